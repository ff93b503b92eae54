/* Compensation, in the order BPMN 2.0.2 gives it (§10.6.5, §13.5.5):
 * only activities that completed are compensated; their handlers run one
 * at a time, in reverse order of completion; a completed embedded
 * subprocess is compensated by compensating what completed inside it, in
 * reverse; the throw event completes when the last handler has. Each
 * entry is compensated once: a later throw finds it gone. See
 * docs/compensation.md for every choice made where the spec is open. */
#include <string.h>

#include "behavior/behavior.h"

static int has_log(const baton_instance *in, uint64_t scope_key)
{
    for (size_t i = 0; i < in->n_comps; i++)
        if (in->comps[i].scope_key == scope_key)
            return 1;
    return 0;
}

static int comp_record(baton_instance *in, int intent, const bt_comp *c,
                       uint64_t scope_key)
{
    struct baton_record *r = bt_rec_push(
        in, BATON_VT_COMPENSATION_SUBSCRIPTION, intent, c->key);
    if (!r)
        return BATON_ENOMEM;
    const bt_element *act = &in->proc->elements[c->element];
    r->element = act;
    r->flow_scope_key = scope_key;
    if (act->compensation_handler >= 0)
        r->u.handler = &in->proc->elements[act->compensation_handler];
    return 0;
}

int bt_comp_completed(baton_instance *in, const bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    uint64_t sub = 0;
    if (el->compensation_handler < 0) {
        /* A subprocess without its own handler is compensated through the
         * activities that completed inside it. */
        if (el->kind != BT_SUB_PROCESS || el->scope.triggered_by_event ||
            !has_log(in, ei->key))
            return 0;
        sub = ei->key;
    }
    if (bt_grow(&in->engine->alloc, (void **)&in->comps, &in->cap_comps,
                in->n_comps + 1, sizeof *in->comps))
        return BATON_ENOMEM;
    bt_comp c = { in->next_key, ei->scope->key, ei->element, sub };
    if (comp_record(in, BATON_INTENT_CREATED, &c, ei->scope->key))
        return BATON_ENOMEM;
    in->next_key++;
    in->comps[in->n_comps++] = c;
    return 0;
}

/* The entry whose handler runs next for a throw on `scope_key`: the latest
 * completed (highest key) matching `ref` (-1: any), descending into
 * subprocess logs. Returns its index or -1. Changes nothing. */
static long pick(const baton_instance *in, uint64_t scope_key, int32_t ref,
                 size_t depth)
{
    uint64_t below = UINT64_MAX;
    /* Logs nest no deeper than they have entries (restore checks that
     * they form no cycle; this bound keeps a bug from recursing on). */
    if (depth > in->n_comps)
        return -1;
    for (;;) {
        long best = -1;
        for (size_t i = 0; i < in->n_comps; i++) {
            const bt_comp *c = &in->comps[i];
            if (c->scope_key == scope_key && c->key < below &&
                (ref < 0 || c->element == ref) &&
                (best < 0 || c->key > in->comps[best].key))
                best = (long)i;
        }
        if (best < 0)
            return -1;
        if (!in->comps[best].sub_key)
            return best;
        long inner = pick(in, in->comps[best].sub_key, -1, depth + 1);
        if (inner >= 0)
            return inner;
        below = in->comps[best].key;
    }
}

/* Removes subprocess entries whose inner log is used up. */
static void prune(baton_instance *in)
{
    for (size_t i = 0; i < in->n_comps;) {
        const bt_comp *c = &in->comps[i];
        if (c->sub_key && !has_log(in, c->sub_key)) {
            bt_comp_remove_at(in, i);
            i = 0;
        } else {
            i++;
        }
    }
}

int bt_comp_next(baton_instance *in, bt_ei *t)
{
    const bt_element *tel = bt_ei_el(t);
    long i = pick(in, t->comp_scope, tel->event.activity_ref, 0);
    if (i < 0) {
        bt_push_cmd(in, BT_CMD_COMPLETE, t->element, t->key, 0);
        t->comp_entry = 0;
        return 0;
    }
    bt_comp c = in->comps[i];
    const bt_element *act = &in->proc->elements[c.element];
    if (comp_record(in, BATON_INTENT_TRIGGERED, &c, t->key))
        return BATON_ENOMEM;
    /* The handler runs beside the throw event, in its scope: the scope of
     * the compensated activity may have completed long ago. */
    bt_push_cmd(in, BT_CMD_ACTIVATE, act->compensation_handler, t->key,
                t->scope->key);
    t->comp_entry = c.key;
    bt_comp_remove_at(in, (size_t)i);
    prune(in);
    return 0;
}

int bt_comp_handler_done(baton_instance *in, const bt_ei *handler)
{
    bt_ei *t = bt_ei_find(in, handler->comp_throw);
    if (!t || t->state != BT_EI_ACTIVATED)
        return 0; /* the throw event was terminated meanwhile */
    /* The compensated activity is the one whose handler this is. */
    int32_t act = bt_ei_el(handler)->compensates;
    if (act >= 0) {
        bt_comp c = { t->comp_entry, t->comp_scope, act, 0 };
        if (comp_record(in, BATON_INTENT_COMPLETED, &c, t->key))
            return BATON_ENOMEM;
    }
    return bt_comp_next(in, t);
}

int bt_comp_throw(baton_instance *in, bt_ei *t)
{
    /* A throw inside an event subprocess compensates the scope that holds
     * the event subprocess (BPMN 2.0.2 §10.6.5). */
    const bt_ei *sc = t->scope;
    const bt_element *sel = bt_ei_el(sc);
    t->comp_scope =
        sel && sel->scope.triggered_by_event ? sc->scope->key : sc->key;
    return bt_comp_next(in, t);
}

int bt_comp_logged_sub(const baton_instance *in, const bt_ei *ei)
{
    return in->n_comps > 0 && in->comps[in->n_comps - 1].sub_key == ei->key;
}
