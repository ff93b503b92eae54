/* Compensation, in the order BPMN 2.0.2 gives it (§10.6.5, §13.5.5):
 * only activities that completed are compensated; their handlers run one
 * at a time, in reverse order of completion; a completed embedded
 * subprocess is compensated by compensating what completed inside it, in
 * reverse; the throw event completes when the last handler has. Each
 * entry is compensated once: a later throw finds it gone. See
 * docs/compensation.md for every choice made where the spec is open. */
#include <string.h>

#include "behavior/behavior.h"

/* An entry of a subprocess with a compensation event subprocess: its
 * compensation is that event subprocess, run in a revived instance of
 * the subprocess, not a walk through its log. */
static int revives(const baton_instance *in, const bt_comp *c)
{
    const bt_element *el = &bt_comp_pi(in, c)->proc->elements[c->element];
    return c->sub_key && el->kind == BT_SUB_PROCESS && el->scope.comp_esp >= 0;
}

static int has_log(const baton_instance *in, uint64_t scope_key)
{
    for (size_t i = 0; i < in->n_comps; i++)
        if (in->comps[i].scope_key == scope_key)
            return 1;
    return 0;
}

/* Whether the log of `scope_key`, or one nested in it, holds the entry
 * of an activity other than `except` (a subprocess's entry whose log is
 * used up counts for nothing). */
static int has_leaf(const baton_instance *in, uint64_t scope_key,
                    uint64_t except, size_t depth)
{
    if (depth > in->n_comps)
        return 0;
    for (size_t i = 0; i < in->n_comps; i++) {
        const bt_comp *c = &in->comps[i];
        if (c->scope_key == scope_key && c->key != except &&
            (!c->sub_key || revives(in, c) ||
             has_leaf(in, c->sub_key, except, depth + 1)))
            return 1;
    }
    return 0;
}

/* Whether a handler runs, for a throw event of `top`, for an entry of the
 * log of `scope_key` or of one nested in it. */
static int log_busy(const baton_instance *in, const bt_ei *top,
                    uint64_t scope_key, size_t depth)
{
    if (depth > in->n_comps)
        return 0;
    for (size_t i = 0; i < in->n_comps; i++) {
        const bt_comp *c = &in->comps[i];
        if (c->scope_key == scope_key &&
            (c->sub_key && !revives(in, c)
                 ? log_busy(in, top, c->sub_key, depth + 1)
                 : bt_comp_busy(top, c->key)))
            return 1;
    }
    return 0;
}

int bt_comp_completed(baton_instance *in, const bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    uint64_t sub = 0;
    if (el->kind == BT_SUB_PROCESS &&
        (el->compensation_handler >= 0 || el->scope.triggered_by_event)) {
        /* Its own log goes with it (sub_process.c drops it): what was
         * logged there ends untriggered. */
        int rc = bt_comp_announce_log(in, ei, ei->key, 0);
        if (rc)
            return rc;
    }
    int revived = el->kind == BT_SUB_PROCESS && el->scope.comp_esp >= 0;
    if (el->compensation_handler < 0) {
        /* A subprocess without its own handler is compensated through the
         * activities that completed inside it: as Zeebe, it has an entry
         * of its own, with no handler, that holds their log. One with a
         * compensation event subprocess always has one: that runs. */
        if (el->kind != BT_SUB_PROCESS || el->scope.triggered_by_event ||
            (!revived && !has_log(in, ei->key)))
            return 0;
        sub = ei->key;
    }
    if (bt_grow(&in->engine->alloc, (void **)&in->comps, &in->cap_comps,
                in->n_comps + 1, sizeof *in->comps))
        return BATON_ENOMEM;
    /* An inner instance of a loop is logged in the scope of its body,
     * with its own variables for its handler. */
    int inner = bt_ei_is_inner(ei);
    const bt_ei *holder = inner ? ei->scope->scope : ei->scope;
    /* ... and a subprocess with a compensation event subprocess with the
     * variables it completed with, which that event subprocess sees. */
    bt_comp c = { in->next_key, holder->key, ei->element, sub,
                  bt_ei_process(ei)->key,
                  (inner || revived) && ei->vars ? json_incref(ei->vars)
                                                 : NULL };
    if (bt_comp_rec(in, BATON_INTENT_CREATED, &c, holder->key)) {
        json_decref(c.vars);
        return BATON_ENOMEM;
    }
    in->next_key++;
    in->comps[in->n_comps++] = c;
    return 0;
}

/* The entry whose handler runs next for a throw on `scope_key`: the latest
 * completed (highest key) matching `ref` (-1: any), descending into
 * subprocess logs, passing over the entries whose handler runs already
 * (for a throw event of `top`). Returns its index or -1. Changes
 * nothing. */
static long pick(const baton_instance *in, const bt_ei *top,
                 uint64_t scope_key, int32_t ref, size_t depth)
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
        const bt_comp *c = &in->comps[best];
        if (!c->sub_key || revives(in, c)) {
            if (!bt_comp_busy(top, c->key))
                return best;
        } else {
            long inner = pick(in, top, c->sub_key, -1, depth + 1);
            if (inner >= 0)
                return inner;
        }
        below = c->key;
    }
}

/* TRIGGERED for the subprocess entries that hold the log of `scope_key`,
 * outermost first, before the first handler inside each runs (as Zeebe,
 * before the handlers inside it): those with no handler running inside
 * them yet. */
static int trigger_subs(baton_instance *in, const bt_ei *top,
                        const bt_ei *t, uint64_t scope_key, size_t depth)
{
    long s = bt_comp_owner(in, scope_key);
    if (s < 0 || depth > in->n_comps)
        return 0;
    bt_comp c = in->comps[s];
    int rc = trigger_subs(in, top, t, c.scope_key, depth + 1);
    if (!rc && !log_busy(in, top, c.sub_key, 0))
        rc = bt_comp_rec(in, BATON_INTENT_TRIGGERED, &c, t->key);
    return rc;
}

/* The compensated activity's compensation boundary event occurs, as
 * Zeebe writes it: activated and completed at once, with a key of its
 * own, in the scope where the handler runs. */
static int boundary_records(baton_instance *in, const bt_ei *t,
                            const bt_element *act)
{
    static const int intents[] = {
        BATON_INTENT_ELEMENT_ACTIVATING, BATON_INTENT_ELEMENT_ACTIVATED,
        BATON_INTENT_ELEMENT_COMPLETING, BATON_INTENT_ELEMENT_COMPLETED
    };
    const bt_process *p = t->proc;
    for (uint32_t b = 0; b < act->n_boundaries; b++) {
        const bt_element *ev = &p->elements[act->boundaries[b]];
        if (ev->evdef != BT_EVDEF_COMPENSATE)
            continue;
        uint64_t key = in->next_key++;
        for (size_t k = 0; k < sizeof intents / sizeof *intents; k++) {
            struct baton_record *r = bt_rec_push(
                in, BATON_VT_PROCESS_INSTANCE, intents[k], key);
            if (!r)
                return BATON_ENOMEM;
            bt_rec_at(r, t);
            r->element = ev;
            r->flow_scope_key = t->scope->key;
        }
        return 0;
    }
    return 0;
}

/* After the handler of entry `i` has run: COMPLETED for the subprocess
 * entries that hold it and have no other handler left to run inside,
 * innermost first (as Zeebe completes a flow scope's subscription), each
 * after DELETED for what is left in its log (only subprocess entries
 * whose throw event ended before their handlers had run). */
static int complete_subs(baton_instance *in, const bt_ei *t, size_t i)
{
    uint64_t done = in->comps[i].key, skip = done;
    uint64_t scope = in->comps[i].scope_key;
    for (size_t depth = 0; depth <= in->n_comps; depth++) {
        long s = bt_comp_owner(in, scope);
        if (s < 0 || has_leaf(in, scope, done, 0))
            return 0;
        bt_comp c = in->comps[s];
        int rc = bt_comp_announce_log(in, NULL, scope, skip);
        if (!rc)
            rc = bt_comp_rec(in, BATON_INTENT_COMPLETED, &c, t->key);
        if (rc)
            return rc;
        skip = c.key;
        scope = c.scope_key;
    }
    return 0;
}

/* Removes entry `key` (0: none), whose handler has run, with the
 * subprocess entries complete_subs() completed. Cannot fail. */
static void drop_done(baton_instance *in, uint64_t key)
{
    long i = bt_comp_find(in, key);
    if (i < 0)
        return;
    uint64_t scope = in->comps[i].scope_key;
    long outer = -1;
    for (size_t depth = 0; depth <= in->n_comps; depth++) {
        long s = bt_comp_owner(in, scope);
        if (s < 0 || has_leaf(in, scope, key, 0))
            break;
        outer = s;
        scope = in->comps[s].scope_key;
    }
    if (outer < 0) {
        bt_comp_remove_at(in, (size_t)i);
        return;
    }
    uint64_t sub = in->comps[outer].sub_key;
    bt_comp_remove_at(in, (size_t)outer);
    bt_comp_drop(in, sub);
}

int bt_comp_next(baton_instance *in, bt_ei *t)
{
    const bt_element *tel = bt_ei_el(t);
    const bt_ei *top = bt_ei_find(in, t->comp_scope);
    long i = pick(in, top, t->comp_scope, tel->event.activity_ref, 0);
    uint64_t next = 0;
    int32_t handler = -1;
    if (i >= 0) {
        bt_comp c = in->comps[i];
        /* Compensation stays inside one process instance. */
        const bt_element *act = &t->proc->elements[c.element];
        int rc = trigger_subs(in, top, t, c.scope_key, 0);
        if (!rc)
            rc = boundary_records(in, t, act);
        if (!rc)
            rc = bt_comp_rec(in, BATON_INTENT_TRIGGERED, &c, t->key);
        if (rc)
            return rc;
        next = c.key;
        /* A subprocess with a compensation event subprocess is revived to
         * run it. */
        handler = revives(in, &c) ? c.element : act->compensation_handler;
    }
    /* Nothing fails from here: the entry whose handler has run leaves the
     * log, and the next one's handler runs beside the throw event, in its
     * scope (the scope of the compensated activity may have completed
     * long ago). */
    drop_done(in, t->comp_entry);
    if (next)
        bt_push_cmd(in, BT_CMD_ACTIVATE, handler, t->key, t->scope->key);
    else /* a cancel end event moves on by its resume (cancel.c) */
        bt_push_cmd(in,
                    tel->evdef == BT_EVDEF_CANCEL ? BT_CMD_THROW_ERROR
                                                  : BT_CMD_COMPLETE,
                    t->element, t->key, 0);
    t->comp_entry = next;
    return 0;
}

int bt_comp_handler_done(baton_instance *in, const bt_ei *handler)
{
    bt_ei *t = bt_ei_find(in, handler->comp_throw);
    if (!t || t->state != BT_EI_ACTIVATED)
        return 0; /* the throw event was terminated meanwhile */
    long i = bt_comp_find(in, t->comp_entry);
    if (i >= 0) {
        bt_comp c = in->comps[i];
        int rc = bt_comp_rec(in, BATON_INTENT_COMPLETED, &c, t->key);
        if (!rc)
            rc = complete_subs(in, t, (size_t)i);
        if (rc)
            return rc;
    } else if (bt_ei_el(handler)->compensates >= 0) {
        /* Restored from a snapshot of an earlier version, where the entry
         * left the log when its handler started: the compensated activity
         * is the one whose handler this is. */
        bt_comp c = { t->comp_entry, t->comp_scope,
                      bt_ei_el(handler)->compensates, 0,
                      bt_ei_process(t)->key, NULL };
        if (bt_comp_rec(in, BATON_INTENT_COMPLETED, &c, t->key))
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

int bt_comp_revived(baton_instance *in, bt_ei *ei)
{
    const bt_ei *t = bt_ei_find(in, ei->comp_throw);
    long i = t ? bt_comp_find(in, t->comp_entry) : -1;
    if (i < 0)
        return 0;
    /* What completed inside the subprocess is now the revived
     * instance's log: a throw in its event subprocess compensates it. */
    uint64_t old = in->comps[i].sub_key;
    for (size_t k = 0; k < in->n_comps; k++)
        if (in->comps[k].scope_key == old)
            in->comps[k].scope_key = ei->key;
    return 1;
}

int bt_comp_logged_sub(const baton_instance *in, const bt_ei *ei)
{
    return in->n_comps > 0 && in->comps[in->n_comps - 1].sub_key == ei->key;
}
