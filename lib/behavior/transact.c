/* A transition as one transaction: the kernel's transaction around a
 * function that may return a failure, raised here as an incident. Steps
 * and host commands both run through it. */
#include "behavior/behavior.h"

int bt_transact(baton_instance *in, size_t queue, bt_transition_fn fn,
                void *arg)
{
    bt_txn tx;
    int rc = bt_txn_begin(in, &tx, queue);
    if (rc)
        return rc;
    bt_ctx cx = { in, &tx.vars, BT_NO_FAILURE };
    rc = fn(&cx, arg);
    if (!rc && cx.fail.type >= 0)
        rc = bt_incident_raise(in, &cx.fail);
    if (rc)
        return bt_txn_abort(&tx, rc);
    bt_txn_commit(&tx);
    return 0;
}
