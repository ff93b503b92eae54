/* Exclusive gateways: BPMN 2.0.2 §13.3.2, the first outgoing flow in
 * order whose condition is true, else the default flow; neither is a
 * CONDITION_ERROR incident, as in Zeebe. */
#include "elements/processor.h"

static int choose(bt_ctx *cx, bt_ei *ei, int64_t *chosen)
{
    const bt_element *el = bt_ei_el(ei);
    if (!el->n_outgoing)
        return 0;
    for (uint32_t i = 0; i < el->n_outgoing; i++) {
        if ((int32_t)el->outgoing[i] == el->default_flow)
            continue;
        int holds;
        int rc = bt_flow_holds(cx, ei, &ei->proc->flows[el->outgoing[i]],
                               &holds);
        if (rc || cx->fail.type >= 0)
            return rc;
        if (holds) {
            *chosen = el->outgoing[i];
            return 0;
        }
    }
    return bt_flow_default(cx, ei, chosen);
}

const bt_processor bt_proc_exclusive_gateway = {
    .activated = bt_complete_next,
    .completing = choose,
};
