/* Embedded subprocesses and event subprocesses: a scope that starts at
 * its start event (or, without one, at its flow nodes without incoming
 * flows) and completes when nothing is left to run inside. */
#include "elements/processor.h"

static int activated(bt_ctx *cx, bt_ei *ei)
{
    const bt_scope_def *d = &bt_ei_el(ei)->scope;
    if (bt_ei_revived(ei)) {
        /* Revived to be compensated: its compensation event subprocess
         * runs, over the log of what completed inside it. */
        if (bt_reserve(cx->in, 0, 0, 1, 0))
            return BATON_ENOMEM;
        bt_comp_revived(cx->in, ei);
        bt_push_cmd(cx->in, BT_CMD_ACTIVATE, d->comp_esp, 0, ei->key);
        return 0;
    }
    return bt_start_scope(cx->in, ei, d->start, d->implicit_starts,
                          d->n_implicit_starts);
}

static int completed(bt_ctx *cx, bt_ei *ei, int64_t chosen, int *scope_done)
{
    /* A subprocess that left no entry in its parent's log takes its own
     * log with it (bt_leave() cannot fail once it has started). */
    uint64_t key = ei->key;
    int logged = bt_comp_logged_sub(cx->in, ei);
    int rc = bt_leave(cx, ei, chosen, 0, scope_done);
    if (!rc && !logged)
        bt_comp_drop(cx->in, key);
    return rc;
}

const bt_processor bt_proc_sub_process = {
    .activated = activated,
    .completed = completed,
    .child_completed = bt_scope_complete_next,
};
