/* End events: none, terminate (BPMN 2.0.2 §10.5.3: ends its whole scope
 * at once), error (throws at the next step, its code worked out then
 * when it is an expression), compensation (waits for its
 * handlers, then ends), cancel (cancels its transaction: cancel.c), and
 * signal, escalation and message (throws.c). */
#include "elements/throws.h"

static int activated(bt_ctx *cx, bt_ei *ei)
{
    int handled;
    int rc = bt_throw_event(cx, ei, &handled);
    if (rc || handled)
        return rc;
    switch (bt_ei_el(ei)->evdef) {
    case BT_EVDEF_COMPENSATE:
        return bt_comp_throw(cx->in, ei);
    case BT_EVDEF_ERROR:
        bt_push_cmd(cx->in, BT_CMD_THROW_ERROR, ei->element, ei->key, 0);
        return 0;
    case BT_EVDEF_CANCEL:
        return bt_cancel_begin(cx, ei);
    default:
        return bt_complete_next(cx, ei);
    }
}

static int throw_error(bt_ctx *cx, bt_ei *ei)
{
    if (bt_ei_el(ei)->evdef == BT_EVDEF_CANCEL)
        return bt_cancel_resume(cx, ei);
    const bt_element *el = bt_ei_el(ei);
    const char *code = el->event.error_code;
    /* Resolving a failed code expression throws again, evaluating it
     * again. */
    bt_cmd retry = { BT_CMD_THROW_ERROR, ei->element, ei->key, 0 };
    int caught;
    int rc = 0;
    if (el->event.code_expr) {
        bt_value_site at = { ei, el, "error code", retry };
        rc = bt_value_text(cx, &at, el->event.code_expr, 0, &code);
        if (rc || !code)
            return rc;
    }
    rc = bt_throw_error(cx, ei, 0, code, NULL, &caught);
    if (rc || caught)
        return rc;
    return bt_fail(cx->in, &cx->fail, BT_INC_UNHANDLED_ERROR, ei, 0, &retry,
                   "an error with the code '%s' was thrown, but nothing "
                   "catches it",
                   code);
}

static int completed(bt_ctx *cx, bt_ei *ei, int64_t chosen, int *scope_done)
{
    if (bt_ei_el(ei)->evdef != BT_EVDEF_TERMINATE)
        return bt_leave(cx, ei, chosen, 0, scope_done);
    baton_instance *in = cx->in;
    bt_ei *scope = ei->scope;
    int rc = bt_terminate_inside(in, scope, ei);
    if (rc)
        return rc;
    bt_sweep_inside(in, scope, ei);
    bt_ei_remove(in, ei);
    *scope_done = 1;
    return 0;
}

const bt_processor bt_proc_end_event = {
    .activated = activated,
    .resume = throw_error,
    .completed = completed,
    .terminating = bt_job_cancel,
};
