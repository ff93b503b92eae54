/* Intermediate catch events (BPMN 2.0.2 §10.5.6): a timer, message,
 * signal or conditional event waits for its subscription to fire
 * (triggers.c completes it); a link catch event goes on at once, reached
 * only from its throw link; one an event-based gateway started has
 * occurred already. */
#include "elements/processor.h"

static int activated(bt_ctx *cx, bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    if (ei->triggered || !bt_event_waits(el))
        return bt_complete_next(cx, ei);
    int rc = bt_reserve_keys(cx->in, BT_KEYS_PER_STEP);
    return rc ? rc : bt_event_subscribe(cx, ei, ei->element);
}

const bt_processor bt_proc_intermediate_catch_event = {
    .activated = activated,
};
