/* Exclusive gateways: BPMN 2.0.2 §13.3.2, the first outgoing flow in
 * order whose condition is true, else the default flow; neither is a
 * CONDITION_ERROR incident, as in Zeebe. */
#include "elements/processor.h"

static int choose(bt_ctx *cx, bt_ei *ei, int64_t *chosen)
{
    return bt_flow_choose(cx, ei, NULL, chosen);
}

const bt_processor bt_proc_exclusive_gateway = {
    .activated = bt_complete_next,
    .completing = choose,
};
