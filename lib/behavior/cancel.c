/* Cancelling a transaction (BPMN 2.0.2 §10.5.5, §13.4.6). A cancel end
 * event ends everything else in its transaction, then, one step later,
 * compensates the transaction's completed activities in reverse order of
 * completion (compensation.c, as a compensation end event does), and
 * when they are compensated the transaction ends and its cancel boundary
 * event starts in the scope around it. The end event's steps after its
 * activation are BT_CMD_THROW_ERROR commands (its `resume`): the first
 * finds comp_scope unset and starts the compensation, the one queued
 * when the compensation is done finishes the cancel. An error inside a
 * transaction does not compensate: only a cancel does. */
#include "behavior/behavior.h"

int bt_cancel_begin(bt_ctx *cx, bt_ei *ev)
{
    baton_instance *in = cx->in;
    bt_ei *tx = ev->scope;
    bt_sub_close_tokens(in, tx);
    int rc = bt_terminate_inside(in, tx, ev);
    if (!rc)
        rc = bt_sub_close_owned(in, tx, 1);
    if (rc)
        return rc;
    bt_sweep_inside(in, tx, ev);
    bt_push_cmd(in, BT_CMD_THROW_ERROR, ev->element, ev->key, 0);
    return 0;
}

int bt_cancel_resume(bt_ctx *cx, bt_ei *ev)
{
    baton_instance *in = cx->in;
    if (!ev->comp_scope)
        return bt_comp_throw(in, ev);
    bt_ei *tx = ev->scope;
    bt_ei *around = tx->scope;
    int32_t b = bt_ei_el(tx)->scope.cancel_boundary;
    int rc = bt_terminate_ei(in, tx, ev->key);
    if (!rc && bt_reserve(in, 0, 0, 1, 0))
        rc = BATON_ENOMEM;
    if (rc)
        return rc;
    bt_sweep_ei(in, tx);
    bt_push_cmd(in, BT_CMD_ACTIVATE, b, 0, around->key);
    return 0;
}
