/* Events that occur: what a timer, message, signal or condition that
 * fires does to the element waiting for it (BPMN 2.0.2 §10.5.6, Zeebe's
 * event triggers). A catch event or receive task completes; a boundary
 * event starts beside its activity, ending it when it interrupts; an
 * event subprocess starts in its scope, ending the rest of it when it
 * interrupts; an event-based gateway leaves by the flow to the event
 * that occurred and drops the others. Each trigger is one transition:
 * structural changes (terminate, sweep) come after everything that can
 * fail. */
#include "elements/processor.h"

/* The trigger of a catch event that stays: a non-interrupting timer
 * cycle opens its next timer, other kinds keep their subscription. */
static int rearm(bt_ctx *cx, bt_ei *owner, uint64_t key)
{
    baton_instance *in = cx->in;
    bt_sub *s = bt_sub_find(in, key);
    if (s->kind != BT_SUB_TIMER)
        return 0;
    const bt_element *c = &owner->proc->elements[s->element];
    bt_timer_spec parsed;
    const bt_timer_spec *spec = c->event.timer;
    if (!spec) {
        char err[160];
        if (!s->name || bt_timer_parse(c->event.timer_type, s->name,
                                       strlen(s->name), &parsed, err,
                                       sizeof err))
            spec = NULL;
        else
            spec = &parsed;
    }
    int64_t due;
    uint32_t fired = s->fired + 1;
    int more = spec ? bt_timer_next(spec, s->due, fired, &due) : 0;
    int32_t element = s->element, repeat = s->repeat;
    /* The repetitions the subscription was opened with bound it too: a
     * restored one may say fewer than the definition does. */
    if (repeat >= 0 && fired >= (uint32_t)repeat)
        more = 0;
    char *text = s->name;
    bt_sub_close(in, s);
    if (more != 1)
        return 0;
    bt_sub *n = bt_sub_add(in, owner, BT_SUB_TIMER, element, text, NULL,
                           due);
    if (!n)
        return BATON_ENOMEM;
    n->fired = fired;
    n->repeat = repeat;
    return bt_sub_announce_open(in, n);
}

/* A signal subscription that closes because it fired is announced, as
 * Zeebe deletes it; the other kinds said so when they fired. */
static int closing(bt_ctx *cx, bt_sub *s)
{
    int rc = 0;
    if (s->kind == BT_SUB_SIGNAL &&
        !bt_rec_sub(cx->in, BATON_VT_SIGNAL_SUBSCRIPTION,
                    BATON_INTENT_DELETED, s))
        rc = BATON_ENOMEM;
    if (!rc)
        bt_sub_close(cx->in, s);
    return rc;
}

/* The token for the element that starts: a triggered entry with the
 * event's variables (0 when there are none and `always` is not set). */
static int token_for(bt_ctx *cx, bt_ei *scope, int32_t element,
                     json_t *payload, int always, uint64_t *token)
{
    *token = 0;
    if (!always && !payload)
        return 0;
    bt_sub *t = bt_sub_add_triggered(cx->in, scope, element, payload);
    if (!t)
        return BATON_ENOMEM;
    *token = t->key;
    return 0;
}

static int on_boundary(bt_ctx *cx, bt_ei *act, uint64_t key,
                       const bt_element *b, int32_t element, json_t *payload)
{
    baton_instance *in = cx->in;
    bt_ei *scope = act->scope;
    uint64_t token;
    int rc = bt_reserve(in, 0, 0, 1, 0) ? BATON_ENOMEM : 0;
    if (!rc)
        rc = token_for(cx, scope, element, payload, 0, &token);
    if (rc)
        return rc;
    if (!b->event.cancel_activity) {
        rc = rearm(cx, act, key);
        if (!rc)
            bt_push_cmd(in, BT_CMD_ACTIVATE, element, token, scope->key);
        return rc;
    }
    rc = closing(cx, bt_sub_find(in, key));
    if (!rc)
        rc = bt_terminate_ei(in, act, 0);
    if (rc)
        return rc;
    bt_sweep_ei(in, act);
    bt_push_cmd(in, BT_CMD_ACTIVATE, element, token, scope->key);
    return 0;
}

static int on_event_subprocess(bt_ctx *cx, bt_ei *scope, uint64_t key,
                               const bt_element *start, json_t *payload)
{
    baton_instance *in = cx->in;
    int32_t esp = start->parent;
    uint64_t token;
    if (start->event.interrupting)
        bt_sub_close_tokens(in, scope); /* their activations go */
    int rc = bt_reserve(in, 0, 0, 1, 0) ? BATON_ENOMEM : 0;
    if (!rc)
        rc = token_for(cx, scope, esp, payload, 0, &token);
    if (rc)
        return rc;
    if (!start->event.interrupting) {
        rc = rearm(cx, scope, key);
        if (!rc)
            bt_push_cmd(in, BT_CMD_ACTIVATE, esp, token, scope->key);
        return rc;
    }
    rc = closing(cx, bt_sub_find(in, key));
    if (!rc)
        rc = bt_terminate_inside(in, scope, NULL);
    if (!rc)
        rc = bt_sub_close_owned(in, scope, 1);
    if (rc)
        return rc;
    bt_sweep_inside(in, scope, NULL);
    bt_push_cmd(in, BT_CMD_ACTIVATE, esp, token, scope->key);
    return 0;
}

/* An event-based gateway completes by the flow to the event that
 * occurred (BPMN 2.0.2 §10.6.6); the event completes when it starts. */
static int on_gateway(bt_ctx *cx, bt_ei *gw, uint64_t key, int32_t element,
                      json_t *payload)
{
    baton_instance *in = cx->in;
    const bt_element *g = bt_ei_el(gw);
    int64_t flow = -1; /* the first flow to it, when two lead there */
    for (uint32_t i = 0; i < g->n_outgoing && flow < 0; i++)
        if (gw->proc->flows[g->outgoing[i]].target == (uint32_t)element)
            flow = g->outgoing[i];
    bt_ei *scope = gw->scope;
    uint64_t token;
    int rc = closing(cx, bt_sub_find(in, key));
    if (!rc)
        rc = bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETING, gw);
    if (!rc)
        rc = bt_sub_close_owned(in, gw, 0);
    if (!rc && in->n_incidents)
        rc = bt_incidents_resolve_announce(in, gw);
    if (!rc)
        rc = bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETED, gw);
    if (!rc)
        rc = token_for(cx, scope, element, payload, 1, &token);
    if (rc)
        return rc;
    int done;
    uint64_t gw_key = gw->key;
    rc = bt_leave(cx, gw, flow, token, &done);
    if (!rc && in->n_incidents)
        bt_incidents_drop(in, gw_key);
    return rc;
}

int bt_trigger(bt_ctx *cx, uint64_t key, json_t *payload)
{
    baton_instance *in = cx->in;
    bt_sub *s = bt_sub_find(in, key);
    bt_ei *owner = s ? bt_ei_find(in, s->ei_key) : NULL;
    if (!owner || owner->state != BT_EI_ACTIVATED)
        return 0;
    int32_t element = s->element;
    const bt_element *c = &owner->proc->elements[element];
    if (element == owner->element) {
        /* A catch event or receive task waiting itself. */
        int rc = bt_reserve(in, 0, 0, 1, 0) ? BATON_ENOMEM : 0;
        if (!rc)
            rc = bt_event_payload(cx, owner, payload);
        if (!rc)
            rc = closing(cx, bt_sub_find(in, key));
        if (!rc)
            bt_complete_next(cx, owner);
        return rc;
    }
    if (owner->element >= 0 &&
        bt_ei_el(owner)->kind == BT_EVENT_BASED_GATEWAY)
        return on_gateway(cx, owner, key, element, payload);
    if (c->kind == BT_BOUNDARY_EVENT)
        return on_boundary(cx, owner, key, c, element, payload);
    return on_event_subprocess(cx, owner, key, c, payload);
}

/* ---- timers and backoffs ------------------------------------------ */

static int fire_timer(bt_ctx *cx, uint64_t key)
{
    bt_sub *s = bt_sub_find(cx->in, key);
    if (!bt_rec_sub(cx->in, BATON_VT_TIMER, BATON_INTENT_TRIGGERED, s))
        return BATON_ENOMEM;
    return bt_trigger(cx, key, NULL);
}

static int fire_backoff(bt_ctx *cx, baton_job *job)
{
    baton_instance *in = cx->in;
    if (!bt_rec_job(in, BATON_INTENT_RECURRED_AFTER_BACKOFF, job))
        return BATON_ENOMEM;
    bt_job_set_state(in, job, BT_JOB_READY);
    job->due = 0;
    if (bt_engine_handler(in->engine, job->type))
        bt_push_cmd(in, BT_CMD_CALL_HANDLER, job->ei->element, job->key, 0);
    return 0;
}

/* The earliest due timer or backoff at or before `now`: by due time,
 * then by key, so that the order never depends on the table's. */
static int fire(bt_ctx *cx, void *arg)
{
    baton_instance *in = cx->in;
    int64_t now = *(const int64_t *)arg;
    uint64_t best_key = 0;
    int64_t best = 0;
    baton_job *best_job = NULL;
    const bt_sub *t = bt_sub_next_timer(in); /* the heap's first */
    if (t && t->due <= now) {
        best = t->due;
        best_key = t->key;
    }
    for (baton_job *j = in->oldest_job; in->n_backoff_jobs && j;
         j = j->newer) {
        if (j->state != BT_JOB_BACKOFF || j->due > now)
            continue;
        if (!best_key || j->due < best ||
            (j->due == best && j->key < best_key)) {
            best = j->due;
            best_key = j->key;
            best_job = j;
        }
    }
    if (!best_key)
        return 0;
    if (best_job)
        return fire_backoff(cx, best_job);
    return fire_timer(cx, best_key);
}

int bt_fire_due(baton_instance *in, int64_t now)
{
    return bt_transact(in, 1, fire, &now);
}

/* ---- conditions ----------------------------------------------------- */

/* Whether the failed condition of subscription `key` already has its
 * incident (a later change must not raise another). */
static int has_incident(const baton_instance *in, uint64_t key)
{
    for (size_t i = 0; i < in->n_incidents; i++) {
        const bt_cmd *r = &in->incidents[i].retry;
        if (r->kind == BT_CMD_CONDITIONS && r->element == BT_COND_RETRY &&
            r->key == key)
            return 1;
    }
    return 0;
}

/* Evaluates the open conditional subscriptions after the one with key
 * c->key and before c->scope_key (0: every one), oldest first, or only
 * subscription c->key (BT_COND_ONE), and triggers the first whose
 * condition is met; the evaluation goes on from there at the next step
 * (one trigger a step: a trigger may end what the others belong to). A
 * condition that is no boolean raises an incident, which holds its
 * subscription until resolved (resolving evaluates it once); the others
 * are evaluated all the same, from the next step. */
int bt_check_conditions(bt_ctx *cx, const bt_cmd *c)
{
    baton_instance *in = cx->in;
    int one = c->element != BT_COND_ALL;
    uint64_t after = c->key, before = c->scope_key;
    bt_sub *first = one ? bt_sub_find(in, after) : in->oldest_sub;
    for (bt_sub *s = in->n_cond_subs ? first : NULL, *next; s; s = next) {
        next = one ? NULL : s->newer;
        if (s->gone || s->state != BT_SUB_OPEN ||
            s->kind != BT_SUB_CONDITION ||
            (one ? s->key != after
                 : s->key <= after || (before && s->key >= before)))
            continue;
        bt_ei *owner = bt_ei_find(in, s->ei_key);
        if (!owner || owner->state != BT_EI_ACTIVATED ||
            (!one && has_incident(in, s->key)))
            continue; /* its incident holds it until resolved */
        int met;
        uint64_t key = s->key;
        int rc = bt_event_condition(cx, owner,
                                    &owner->proc->elements[s->element], key,
                                    &met);
        if (rc)
            return rc;
        if (cx->fail.type >= 0) {
            if (!one)
                bt_push_cmd(in, BT_CMD_CONDITIONS, BT_COND_ALL, key, before);
            return 0; /* the failure becomes the incident */
        }
        if (!met)
            continue;
        if (!bt_rec_sub(in, BATON_VT_CONDITIONAL_SUBSCRIPTION,
                        BATON_INTENT_TRIGGERED, s))
            return BATON_ENOMEM;
        if (!one)
            bt_push_cmd(in, BT_CMD_CONDITIONS, BT_COND_ALL, key, before);
        return bt_trigger(cx, key, NULL);
    }
    return 0;
}

int bt_trigger_entry(bt_ctx *cx, uint64_t entry_key)
{
    baton_instance *in = cx->in;
    bt_sub *t = bt_sub_find(in, entry_key);
    if (!t || t->state != BT_SUB_TRIGGERED)
        return 0;
    uint64_t source = t->source;
    json_t *payload = json_incref(t->payload);
    bt_sub_close(in, t);
    int rc = bt_trigger(cx, source, payload);
    json_decref(payload);
    return rc;
}
