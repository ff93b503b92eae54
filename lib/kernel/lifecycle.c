/* Termination and removal of element instances, for every kind alike:
 * first announce (fallible, changes nothing), then sweep (cannot fail).
 * Scopes know their children, so both touch only what they end. */
#include <string.h>

#include "kernel/instance.h"

int bt_terminate_ei(baton_instance *in, bt_ei *ei, uint64_t thrower)
{
    int rc = bt_rec_element(in, BATON_INTENT_ELEMENT_TERMINATING, ei);
    if (!rc)
        rc = bt_comp_announce_ei(in, ei);
    if (!rc)
        rc = bt_terminate_inside(in, ei, NULL);
    if (!rc)
        rc = bt_sub_close_owned(in, ei, 0);
    /* Its incidents end with it, resolved (as Zeebe): the sweep drops
     * them. */
    if (!rc && in->n_incidents)
        rc = bt_incidents_resolve_announce(in, ei);
    if (!rc && in->engine->terminating)
        rc = in->engine->terminating(in, ei, thrower);
    if (rc)
        return rc;
    return bt_rec_element(in, BATON_INTENT_ELEMENT_TERMINATED, ei);
}

int bt_terminate_inside(baton_instance *in, bt_ei *scope,
                        const bt_ei *except)
{
    for (bt_ei *c = scope->first; c; c = c->next) {
        if (c == except || c->state == BT_EI_TERMINATED)
            continue;
        int rc = bt_terminate_ei(in, c, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the compensation log --------------------------------------- */

int bt_comp_rec(baton_instance *in, int intent, const bt_comp *c,
                uint64_t flow_scope_key)
{
    struct baton_record *r = bt_rec_push(
        in, BATON_VT_COMPENSATION_SUBSCRIPTION, intent, c->key);
    if (!r)
        return BATON_ENOMEM;
    const bt_ei *pi = bt_comp_pi(in, c);
    const bt_process *p = pi->proc;
    if (pi != in->root)
        bt_rec_at(r, pi);
    const bt_element *act = &p->elements[c->element];
    r->element = act;
    r->flow_scope_key = flow_scope_key;
    if (act->compensation_handler >= 0)
        r->u.handler = &p->elements[act->compensation_handler];
    return 0;
}

long bt_comp_find(const baton_instance *in, uint64_t key)
{
    for (size_t i = 0; key && i < in->n_comps; i++)
        if (in->comps[i].key == key)
            return (long)i;
    return -1;
}

long bt_comp_owner(const baton_instance *in, uint64_t scope_key)
{
    for (size_t i = 0; i < in->n_comps; i++)
        if (in->comps[i].sub_key == scope_key)
            return (long)i;
    return -1;
}

static int runs_for(const bt_ei *x, uint64_t key)
{
    return x->comp_entry == key;
}

int bt_comp_busy(const bt_ei *top, uint64_t key)
{
    if (!top || !key)
        return 0;
    /* The throw events that compensate the log of `top`: in it, or in one
     * of its event subprocesses. */
    for (const bt_ei *c = top->first; c; c = c->next) {
        if (runs_for(c, key))
            return 1;
        const bt_element *el = bt_ei_el(c);
        if (el && bt_kind_has(el->kind, BT_KF_SCOPE) &&
            el->scope.triggered_by_event)
            for (const bt_ei *g = c->first; g; g = g->next)
                if (runs_for(g, key))
                    return 1;
    }
    return 0;
}

/* DELETED for every entry of the log of `scope_key`, each followed by
 * the log it holds (as Zeebe deletes a scope's subscriptions, top to
 * bottom), but the entry `skip` and what it holds, and the entries whose
 * handler runs for a throw event of `top` (that throw event announces its
 * own). Logs nest no deeper than they have entries. */
static int announce_log(baton_instance *in, const bt_ei *top,
                        uint64_t scope_key, uint64_t skip, size_t depth)
{
    if (depth > in->n_comps)
        return 0;
    for (size_t i = 0; i < in->n_comps; i++) {
        const bt_comp *c = &in->comps[i];
        if (c->scope_key != scope_key || c->key == skip ||
            (!c->sub_key && bt_comp_busy(top, c->key)))
            continue;
        if (bt_comp_rec(in, BATON_INTENT_DELETED, c, c->scope_key))
            return BATON_ENOMEM;
        if (c->sub_key) {
            int rc = announce_log(in, top, c->sub_key, skip, depth + 1);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int bt_comp_announce_log(baton_instance *in, const bt_ei *top,
                         uint64_t scope_key, uint64_t skip)
{
    return announce_log(in, top, scope_key, skip, 0);
}

int bt_comp_announce_ei(baton_instance *in, const bt_ei *ei)
{
    /* A throw event whose handler runs: that entry ends with it. */
    long i = bt_comp_find(in, ei->comp_entry);
    if (i >= 0 && bt_comp_rec(in, BATON_INTENT_DELETED, &in->comps[i],
                              in->comps[i].scope_key))
        return BATON_ENOMEM;
    return announce_log(in, ei, ei->key, 0, 0);
}

int bt_comp_announce_all(baton_instance *in)
{
    /* Zeebe deletes the subscriptions of an instance in key order, which
     * is the log's order. */
    for (size_t i = 0; i < in->n_comps; i++)
        if (bt_comp_rec(in, BATON_INTENT_DELETED, &in->comps[i],
                        in->comps[i].scope_key))
            return BATON_ENOMEM;
    return 0;
}

void bt_comp_truncate(baton_instance *in, size_t n)
{
    for (size_t i = n; i < in->n_comps; i++)
        json_decref(in->comps[i].vars);
    in->n_comps = n;
}

void bt_comp_remove_at(baton_instance *in, size_t i)
{
    json_decref(in->comps[i].vars);
    memmove(&in->comps[i], &in->comps[i + 1],
            (in->n_comps - i - 1) * sizeof *in->comps);
    in->n_comps--;
}

void bt_comp_drop(baton_instance *in, uint64_t scope_key)
{
    for (size_t i = 0; i < in->n_comps;) {
        bt_comp c = in->comps[i];
        if (c.scope_key != scope_key) {
            i++;
            continue;
        }
        bt_comp_remove_at(in, i);
        if (c.sub_key) {
            bt_comp_drop(in, c.sub_key);
            i = 0; /* entries before i may have moved */
        }
    }
}

static void comp_sweep(baton_instance *in, const bt_ei *ei)
{
    long i = bt_comp_find(in, ei->comp_entry);
    if (i >= 0)
        bt_comp_remove_at(in, (size_t)i);
    bt_comp_drop(in, ei->key);
}

/* Sweeps `ei`; returns whether commands queued for it or inside it are
 * left in the queue. */
static int sweep(baton_instance *in, bt_ei *ei);

static int sweep_children(baton_instance *in, bt_ei *scope,
                          const bt_ei *except)
{
    int stale = scope->n_tokens > 0;
    for (bt_ei *c = scope->first, *next; c; c = next) {
        next = c->next;
        if (c != except)
            stale |= sweep(in, c);
    }
    bt_ei_drop_marks(in, scope);
    return stale;
}

static int sweep(baton_instance *in, bt_ei *ei)
{
    int stale = sweep_children(in, ei, NULL) || ei->n_pending > 0;
    if (ei->job_key) {
        baton_job *job = bt_job_find(in, ei->job_key);
        if (job)
            bt_job_remove(in, job);
    }
    comp_sweep(in, ei);
    bt_sub_drop_owned(in, ei);
    bt_incidents_drop(in, ei->key);
    bt_ei_remove(in, ei);
    return stale;
}

/* Drops queued work that names what was swept: activations inside the
 * scope `inner`, and commands of element instances and jobs that are
 * gone. */
static void drop_stale_commands(baton_instance *in, uint64_t inner)
{
    size_t w = in->q_head;
    for (size_t r = in->q_head; r < in->n_queue; r++) {
        const bt_cmd *c = &in->queue[r];
        int gone;
        switch (c->kind) {
        case BT_CMD_ACTIVATE:
            gone = c->element >= 0 && (c->scope_key == inner ||
                                       !bt_ei_find(in, c->scope_key));
            break;
        case BT_CMD_CALL_HANDLER:
            gone = !bt_job_find(in, c->key);
            break;
        case BT_CMD_CONDITIONS:
            gone = 0;
            break;
        default:
            gone = !bt_ei_find(in, c->key);
            break;
        }
        if (gone)
            bt_cmd_count(in, c, -1);
        else
            in->queue[w++] = *c;
    }
    in->n_queue = w;
}

void bt_sweep_inside(baton_instance *in, bt_ei *scope, const bt_ei *except)
{
    if (sweep_children(in, scope, except))
        drop_stale_commands(in, scope->key);
}

void bt_sweep_ei(baton_instance *in, bt_ei *ei)
{
    uint64_t key = ei->key;
    if (sweep(in, ei))
        drop_stale_commands(in, key);
}
