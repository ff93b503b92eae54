/* Intermediate throw events: none (passes through), compensation (waits
 * until the handlers it runs have completed), signal, escalation and
 * message (throws.c), and link: BPMN 2.0.2 §10.5.5, a throw link goes
 * on at the catch link of the same name in its scope, as if a sequence
 * flow joined them. */
#include "elements/throws.h"

static int activated(bt_ctx *cx, bt_ei *ei)
{
    if (bt_ei_el(ei)->evdef == BT_EVDEF_COMPENSATE)
        return bt_comp_throw(cx->in, ei);
    int handled;
    int rc = bt_throw_event(cx, ei, &handled);
    return rc || handled ? rc : bt_complete_next(cx, ei);
}

static int completed(bt_ctx *cx, bt_ei *ei, int64_t chosen, int *scope_done)
{
    const bt_element *el = bt_ei_el(ei);
    if (el->evdef != BT_EVDEF_LINK)
        return bt_leave(cx, ei, chosen, 0, scope_done);
    /* complete() reserved a command for every outgoing flow plus two. */
    bt_ei *scope = ei->scope;
    bt_ei_remove(cx->in, ei);
    bt_push_cmd(cx->in, BT_CMD_ACTIVATE, el->event.link_target, 0,
                scope->key);
    *scope_done = 0;
    return 0;
}

const bt_processor bt_proc_intermediate_throw_event = {
    .activated = activated,
    .completed = completed,
    .terminating = bt_job_cancel,
};
