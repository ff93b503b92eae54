/* Receive tasks (BPMN 2.0.2 §10.3.3): wait for their message, as a
 * message catch event does; an instantiating one that started its
 * process has received it already. */
#include "elements/processor.h"

static int activated(bt_ctx *cx, bt_ei *ei)
{
    if (ei->triggered)
        return bt_complete_next(cx, ei);
    int rc = bt_reserve_keys(cx->in, BT_KEYS_PER_STEP);
    return rc ? rc : bt_event_subscribe(cx, ei, ei->element);
}

const bt_processor bt_proc_receive_task = {
    .activated = activated,
};
