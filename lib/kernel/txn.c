/* One transaction mechanism for steps and host commands. A transition
 * does its fallible work first and changes what existed before only after
 * the last thing that can fail; abort takes back what it added. */
#include <string.h>

#include "kernel/instance.h"

int bt_reserve(baton_instance *in, size_t eis, size_t jobs, size_t queue,
               size_t recs)
{
    baton_engine *e = in->engine;
    const bt_alloc *a = &e->alloc;
    if (bt_keymap_reserve(a, &in->ei_map, eis) ||
        bt_keymap_reserve(a, &in->job_map, jobs) ||
        bt_grow(a, (void **)&in->queue, &in->cap_queue, in->n_queue + queue,
                sizeof *in->queue) ||
        bt_grow(a, (void **)&e->recs, &e->cap_recs, e->n_recs + recs,
                sizeof *e->recs))
        return BATON_ENOMEM;
    return 0;
}

int bt_reserve_incident(baton_instance *in)
{
    return bt_grow(&in->engine->alloc, (void **)&in->incidents,
                   &in->cap_incidents, in->n_incidents + 1,
                   sizeof *in->incidents)
               ? BATON_ENOMEM
               : 0;
}

void bt_cmd_count(baton_instance *in, const bt_cmd *c, int delta)
{
    bt_ei *ei = NULL;
    switch (c->kind) {
    case BT_CMD_ACTIVATE:
        if (c->element >= 0 && (ei = bt_ei_find(in, c->scope_key)))
            ei->n_tokens += (uint32_t)delta;
        return;
    case BT_CMD_CALL_HANDLER: {
        baton_job *j = bt_job_find(in, c->key);
        ei = j ? j->ei : NULL;
        break;
    }
    case BT_CMD_CONDITIONS:
        if (!c->key && c->element == BT_COND_ALL)
            in->n_cond_cmds += (uint32_t)delta;
        return;
    default:
        ei = bt_ei_find(in, c->key);
        break;
    }
    if (ei)
        ei->n_pending += (uint32_t)delta;
}

void bt_push_cmd(baton_instance *in, uint32_t kind, int32_t element,
                 uint64_t key, uint64_t scope_key)
{
    /* Capacity was reserved at the start of the transition. */
    bt_cmd *c = &in->queue[in->n_queue++];
    *c = (bt_cmd){ kind, element, key, scope_key };
    bt_cmd_count(in, c, 1);
}

bt_cmd bt_pop_cmd(baton_instance *in)
{
    bt_cmd c = in->queue[in->q_head++];
    bt_cmd_count(in, &c, -1);
    return c;
}

static void queue_compact(baton_instance *in)
{
    /* Only between transitions: a transition in progress keeps indices. */
    if (in->q_head && in->q_head == in->n_queue) {
        in->q_head = in->n_queue = 0;
    } else if (in->q_head > 64 && in->q_head * 2 > in->n_queue) {
        memmove(in->queue, in->queue + in->q_head,
                (in->n_queue - in->q_head) * sizeof *in->queue);
        in->n_queue -= in->q_head;
        in->q_head = 0;
    }
}

void bt_instance_trim(baton_instance *in)
{
    /* A waiting instance may wait for days: it keeps no empty queue, no
     * recycled nodes and no scratch. */
    const bt_alloc *a = &in->engine->alloc;
    if (in->q_head == in->n_queue) {
        bt_free(a, in->queue);
        in->queue = NULL;
        in->q_head = in->n_queue = in->cap_queue = 0;
    }
    while (in->free_eis) {
        bt_ei *ei = in->free_eis;
        in->free_eis = ei->next;
        bt_free(a, ei);
    }
    while (in->free_jobs) {
        baton_job *j = in->free_jobs;
        in->free_jobs = j->newer;
        bt_free(a, j);
    }
    bt_free(a, in->join_seen);
    in->join_seen = in->join_work = NULL;
    in->join_pass = 0;
}

int bt_instance_busy(baton_instance *in)
{
    baton_engine *e = in->engine;
    if (e->handler_job && e->handler_job->inst == in)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "the instance cannot be changed from its handler");
    if (e->stepping)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "another instance of this engine is in a step (a "
                        "handler or record hook cannot change instances)");
    return 0;
}

int bt_reserve_keys(baton_instance *in, size_t n)
{
    uint64_t used = in->next_key - in->key;
    if (used > UINT32_MAX || n > UINT32_MAX - used)
        return bt_error(in->engine, BATON_ELIMIT, NULL, 0, 0, NULL,
                        "the instance has used up its 2^32 keys");
    return 0;
}

int bt_txn_begin(baton_instance *in, bt_txn *tx, size_t queue)
{
    baton_engine *e = in->engine;
    int rc = bt_instance_busy(in);
    if (!rc)
        rc = bt_reserve_keys(in, BT_KEYS_PER_STEP);
    if (rc)
        return rc;
    queue_compact(in);
    if (bt_reserve(in, 0, 0, queue, 0))
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    e->stepping = in;
    tx->vars.items = NULL;
    tx->vars.n = tx->vars.cap = 0;
    tx->in = in;
    tx->next_key = in->next_key;
    tx->q_head = in->q_head;
    tx->n_queue = in->n_queue;
    tx->n_incidents = in->n_incidents;
    tx->n_comps = in->n_comps;
    tx->n_subs = in->n_subs;
    return 0;
}

void bt_txn_commit(bt_txn *tx)
{
    baton_instance *in = tx->in;
    bt_varlog_clear(&tx->vars, &in->engine->alloc);
    bt_subs_commit(in);
    in->revision++;
    bt_records_deliver(in);
    in->engine->stepping = NULL;
    /* The change is done: what a handler or the record hook did wrong on
     * the way is not the call's error. */
    bt_clear_error(in->engine);
}

int bt_txn_abort(bt_txn *tx, int rc)
{
    baton_instance *in = tx->in;
    const bt_alloc *a = &in->engine->alloc;
    /* Commands first: their counts live on element instances that may be
     * about to go. */
    for (size_t i = tx->n_queue; i < in->n_queue; i++)
        bt_cmd_count(in, &in->queue[i], -1);
    for (size_t i = tx->q_head; i < in->q_head; i++)
        bt_cmd_count(in, &in->queue[i], 1);
    in->q_head = tx->q_head;
    in->n_queue = tx->n_queue;
    bt_varlog_undo(&tx->vars);
    bt_varlog_clear(&tx->vars, a);
    /* Subscriptions before element instances: they count on them. */
    bt_subs_abort(in, tx->n_subs);
    while (in->newest_job && in->newest_job->key >= tx->next_key)
        bt_job_remove(in, in->newest_job);
    while (in->newest && in->newest->key >= tx->next_key)
        bt_ei_remove(in, in->newest);
    for (size_t i = tx->n_incidents; i < in->n_incidents; i++)
        bt_free(a, in->incidents[i].message);
    in->n_incidents = tx->n_incidents;
    bt_comp_truncate(in, tx->n_comps);
    in->next_key = tx->next_key;
    bt_records_drop(in->engine);
    in->engine->stepping = NULL;
    return bt_error_default(in->engine, rc);
}
