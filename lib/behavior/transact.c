/* A transition as one transaction: the kernel's transaction around a
 * function that may return a failure, raised here as an incident. Steps
 * and host commands both run through it. A transition that changed
 * variables queues the evaluation of the conditional events. */
#include "behavior/behavior.h"

int bt_transact(baton_instance *in, size_t queue, bt_transition_fn fn,
                void *arg)
{
    bt_txn tx;
    int rc = bt_txn_begin(in, &tx, queue);
    if (rc)
        return rc;
    bt_ctx cx = { in, &tx.vars, BT_NO_FAILURE, NULL };
    rc = fn(&cx, arg);
    if (!rc && cx.fail.type >= 0)
        rc = bt_incident_raise(in, &cx.fail);
    /* Conditional events are evaluated when variables change (as Camunda
     * 7 does), once for every change: at the next step, those that were
     * open before this transition (one it opened is evaluated alone). */
    if (!rc && tx.vars.n && in->n_cond_subs && !in->n_cond_cmds) {
        if (bt_reserve(in, 0, 0, 1, 0))
            rc = BATON_ENOMEM;
        else
            bt_push_cmd(in, BT_CMD_CONDITIONS, BT_COND_ALL, 0, tx.next_key);
    }
    if (rc)
        return bt_txn_abort(&tx, rc);
    bt_txn_commit(&tx);
    return 0;
}
