/* Termination and removal of element instances, for every kind alike:
 * first announce (fallible, changes nothing), then sweep (cannot fail).
 * Scopes know their children, so both touch only what they end. */
#include <string.h>

#include "kernel/instance.h"

int bt_terminate_ei(baton_instance *in, bt_ei *ei, uint64_t thrower)
{
    int rc = bt_rec_element(in, BATON_INTENT_ELEMENT_TERMINATING, ei);
    if (!rc)
        rc = bt_terminate_inside(in, ei, NULL);
    if (!rc)
        rc = bt_sub_close_owned(in, ei, 0);
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

void bt_comp_remove_at(baton_instance *in, size_t i)
{
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
    bt_comp_drop(in, ei->key);
    bt_sub_drop_owned(in, ei);
    for (size_t k = 0; k < in->n_incidents;) {
        if (in->incidents[k].ei_key == ei->key)
            bt_incident_remove_at(in, k);
        else
            k++;
    }
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
