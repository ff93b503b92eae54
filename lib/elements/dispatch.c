/* The dispatcher: one transition per step, from the head of the queue.
 * It runs the lifecycle all kinds share and calls the element's
 * processor at each point; a failure a processor returns becomes an
 * incident here. */
#include "elements/processor.h"

static const bt_processor *const processors[BT_KIND_COUNT] = {
#define BT_KIND(name, tag, zeebe, flags, evdefs, proc)                       \
    [BT_##name] = &bt_proc_##proc,
#include "model/kinds.def"
#undef BT_KIND
};

static const bt_processor *processor_of(const bt_ei *ei)
{
    if (ei->element < 0)
        return &bt_proc_process;
    return bt_ei_is_body(ei) ? &bt_proc_mi_body
                             : processors[bt_ei_el(ei)->kind];
}

int bt_element_terminating(baton_instance *in, bt_ei *ei, uint64_t thrower)
{
    const bt_processor *p = processor_of(ei);
    return p->terminating ? p->terminating(in, ei, thrower) : 0;
}

/* The catch events that wait inside or on `ei`: its boundary events, and
 * the start events of its event subprocesses when it is a scope. */
static int open_all(bt_ctx *cx, bt_ei *ei)
{
    const bt_process *p = ei->proc;
    const bt_element *el = bt_ei_el(ei);
    const uint32_t *esps = el ? el->scope.event_subprocesses
                              : p->event_subprocesses;
    uint32_t n_esps = el ? el->scope.n_event_subprocesses
                         : p->n_event_subprocesses;
    /* A multi-instance body has the activity's boundary events, its
     * inner instances the event subprocesses. */
    if (el && (!bt_kind_has(el->kind, BT_KF_SCOPE) || bt_ei_is_body(ei)))
        n_esps = 0;
    uint32_t n_bounds = el && !bt_ei_is_inner(ei) ? el->n_boundaries : 0;
    int rc = bt_reserve_keys(cx->in,
                             (size_t)n_bounds + n_esps + BT_KEYS_PER_STEP);
    for (uint32_t i = 0; !rc && i < n_bounds && cx->fail.type < 0; i++)
        if (bt_event_waits(&p->elements[el->boundaries[i]]))
            rc = bt_event_subscribe(cx, ei, (int32_t)el->boundaries[i]);
    for (uint32_t i = 0; !rc && i < n_esps && cx->fail.type < 0; i++) {
        int32_t start = p->elements[esps[i]].scope.start;
        if (start >= 0 && bt_event_waits(&p->elements[start]))
            rc = bt_event_subscribe(cx, ei, start);
    }
    return rc;
}

int bt_open_subscriptions(bt_ctx *cx, bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    if (el && !el->n_boundaries &&
        (!bt_kind_has(el->kind, BT_KF_SCOPE) ||
         !el->scope.n_event_subprocesses))
        return 0; /* most elements: nothing waits on them */
    baton_instance *in = cx->in;
    baton_engine *e = in->engine;
    size_t n_subs = in->n_subs, n_recs = e->n_recs, n_queue = in->n_queue;
    int rc = open_all(cx, ei);
    if (!rc && cx->fail.type >= 0) {
        /* Nothing opens: the incident's retry opens them all again (the
         * commands queued meanwhile evaluate conditions, which count on
         * nothing). */
        bt_subs_truncate(in, n_subs);
        e->n_recs = n_recs;
        in->n_queue = n_queue;
    }
    return rc;
}

/* Opens the subscriptions of `ei`, then calls its processor; a failure
 * to open them is an incident whose retry remembers whether its event
 * had occurred. A retry after the processor itself failed (its own
 * subscription, its job type) finds them open already: they open once. */
static int open_then_activated(bt_ctx *cx, bt_ei *ei)
{
    /* A revived subprocess runs its compensation event subprocess only. */
    int rc = ei->n_subs || bt_ei_revived(ei) ? 0 : bt_open_subscriptions(cx, ei);
    if (rc)
        return rc;
    if (cx->fail.type >= 0) {
        cx->fail.retry.scope_key = ei->triggered;
        return 0;
    }
    return processor_of(ei)->activated(cx, ei);
}

/* An element that starts because its event occurred: the event's
 * variables reach it, and it is marked so that it does not wait. */
static int take_token(bt_ctx *cx, bt_ei *ei, uint64_t token)
{
    bt_sub *t = bt_sub_find(cx->in, token);
    if (!t || t->state != BT_SUB_TRIGGERED)
        return 0;
    ei->triggered = 1;
    int rc = bt_event_payload(cx, ei, t->payload);
    if (!rc)
        bt_sub_close(cx->in, bt_sub_find(cx->in, token));
    return rc;
}

/* Whether activating `el` for the command's `key` runs compensation: a
 * handler (isForCompensation), or a subprocess revived to run its
 * compensation event subprocess, for the throw event `key`. */
static int compensates(const baton_instance *in, const bt_element *el,
                       uint64_t key)
{
    if (el->is_for_compensation)
        return 1;
    if (!bt_el_compensates(el) || !key)
        return 0;
    const bt_ei *t = bt_ei_find(in, key);
    return t && t->element >= 0 && bt_el_throws_compensation(bt_ei_el(t));
}

/* A compensation handler for an inner instance of a loop starts with
 * that instance's variables (its input element, loopCounter), as Zeebe
 * gives them, before its own input mappings; a revived subprocess with
 * the variables it completed with. */
static int handler_vars(bt_ctx *cx, bt_ei *handler, uint64_t throw_key)
{
    const bt_ei *t = bt_ei_find(cx->in, throw_key);
    long i = t ? bt_comp_find(cx->in, t->comp_entry) : -1;
    json_t *vars = i >= 0 ? cx->in->comps[i].vars : NULL;
    return vars ? bt_var_set_all_local(cx->in, cx->log, handler, vars) : 0;
}

static int activate(bt_ctx *cx, const bt_cmd *c)
{
    baton_instance *in = cx->in;
    if (c->element < 0) /* the start event chosen at creation, if any */
        return bt_process_activate(cx, in->root,
                                   c->scope_key ? (int32_t)(c->scope_key - 1)
                                                : in->proc->start);
    bt_ei *scope = bt_ei_find(in, c->scope_key);
    if (!scope || scope->state != BT_EI_ACTIVATED)
        return 0; /* the scope ended while this token was queued */
    bt_ei *ei = bt_ei_new(in, scope, c->element, in->next_key);
    if (!ei)
        return BATON_ENOMEM;
    in->next_key++;
    /* The mappings of a multi-instance activity apply to each inner
     * instance, after its input element and loopCounter are set. */
    int inner = bt_ei_is_inner(ei);
    int comp = compensates(in, bt_ei_el(ei), c->key);
    int rc = bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATING, ei);
    if (!rc && inner)
        rc = bt_mi_inner_vars(cx, ei);
    if (!rc && comp)
        rc = handler_vars(cx, ei, c->key);
    /* A revived subprocess has the variables it completed with; its
     * mappings ran then. */
    int revived = comp && !bt_ei_el(ei)->is_for_compensation;
    if (!rc && !bt_ei_is_body(ei) && !revived)
        rc = bt_apply_inputs(cx, ei);
    if (!rc)
        rc = bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATED, ei);
    if (rc)
        return rc;
    ei->state = BT_EI_ACTIVATED;
    if (comp)
        ei->comp_throw = c->key;
    else if (c->key && (rc = take_token(cx, ei, c->key)))
        return rc;
    rc = open_then_activated(cx, ei);
    if (!rc && inner)
        bt_mi_inner_started(ei);
    return rc;
}

/* An incident's retry: the subscriptions of `ei` open, then it does what
 * it does once active; the process starts at the start event the retry
 * names (+ 1). An element whose event had occurred is marked again (the
 * mark lives only during its activation, so the retry carries it). */
static int resubscribe(bt_ctx *cx, const bt_cmd *c)
{
    bt_ei *ei = bt_ei_find(cx->in, c->key);
    if (!ei || ei->state != BT_EI_ACTIVATED)
        return 0;
    if (ei->element < 0)
        return c->scope_key ? bt_process_start(cx, ei,
                                               (int32_t)(c->scope_key - 1))
                            : bt_open_subscriptions(cx, ei);
    ei->triggered = c->scope_key == 1;
    return open_then_activated(cx, ei);
}

static int finish(bt_ctx *cx, bt_ei *ei, const bt_processor *p,
                  int64_t chosen, bt_mi_out *mo);

static int complete(bt_ctx *cx, const bt_cmd *c)
{
    baton_instance *in = cx->in;
    bt_ei *ei = bt_ei_find(in, c->key);
    if (!ei || ei->state != BT_EI_ACTIVATED)
        return 0;
    /* A scope completes when nothing is left to run in it; a completion
     * queued while work is left (which only a damaged snapshot can hold)
     * waits for the one its last child queues. */
    if (ei->element < 0)
        return bt_scope_busy(ei)   ? 0
               : ei == in->root    ? bt_process_complete(cx, ei)
                                   : bt_call_returned(cx, ei);
    int body = bt_ei_is_body(ei), inner = bt_ei_is_inner(ei);
    if ((body || bt_kind_has(bt_ei_el(ei)->kind, BT_KF_SCOPE)) &&
        bt_scope_busy(ei))
        return 0;
    const bt_processor *p = processor_of(ei);
    if (bt_reserve(in, 0, 0, bt_ei_el(ei)->n_outgoing + 2, 0))
        return BATON_ENOMEM;
    int64_t chosen = -1;
    bt_mi_out mo = { NULL, 0 };
    int rc = p->completing ? p->completing(cx, ei, &chosen) : 0;
    if (!rc && inner && cx->fail.type < 0)
        rc = bt_mi_inner_completing(cx, ei, &mo);
    if (!rc && cx->fail.type < 0)
        rc = finish(cx, ei, p, chosen, &mo);
    bt_mi_out_clear(&mo);
    return rc;
}

/* COMPLETING, the output mappings (a multi-instance body's output
 * collection instead; none for a revived subprocess, whose ran when it
 * completed), COMPLETED, and leaving: an inner instance of a
 * multi-instance body hands over to its body; the others take their
 * flows. */
static int finish(bt_ctx *cx, bt_ei *ei, const bt_processor *p,
                  int64_t chosen, bt_mi_out *mo)
{
    baton_instance *in = cx->in;
    int body = bt_ei_is_body(ei), inner = bt_ei_is_inner(ei);
    int rc = bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETING, ei);
    if (!rc && ei->n_subs)
        rc = bt_sub_close_owned(in, ei, 0);
    if (!rc && in->n_incidents)
        rc = bt_incidents_resolve_announce(in, ei);
    if (!rc)
        rc = body                     ? bt_mi_body_outputs(cx, ei)
             : bt_ei_revived(ei)        ? 0
                                      : bt_apply_outputs(cx, ei);
    if (!rc && inner)
        rc = bt_mi_inner_collect(cx, ei, mo);
    if (!rc)
        rc = bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETED, ei);
    if (rc)
        return rc;
    uint64_t key = ei->key;
    if (inner) {
        /* Each inner instance is compensated on its own (one handler
         * call each, with its variables); a subprocess's log that left no
         * entry goes with it. */
        rc = bt_comp_completed(in, ei);
        int logged = !rc && bt_comp_logged_sub(in, ei);
        if (!rc)
            rc = bt_mi_inner_done(cx, ei, mo);
        if (!rc && !logged)
            bt_comp_drop(in, key);
        if (!rc && in->n_incidents)
            bt_incidents_drop(in, key);
        return rc;
    }
    if (ei->comp_throw) {
        /* A compensation handler: it has no flows; its throw moves on. A
         * subprocess handler takes its own log with it: what completed
         * inside it is not compensated later. */
        uint64_t handler_key = ei->key;
        /* A revived subprocess: what its compensation event subprocess
         * left uncompensated is dropped, and announced DELETED. */
        if (bt_ei_revived(ei))
            rc = bt_comp_announce_log(in, NULL, handler_key, 0);
        if (!rc)
            rc = bt_comp_handler_done(in, ei);
        if (!rc) {
            bt_ei_remove(in, ei);
            bt_comp_drop(in, handler_key);
        }
        return rc;
    }
    /* A loop's body is compensated through its inner instances. */
    if (!body && (rc = bt_comp_completed(in, ei)))
        return rc;
    bt_ei *scope = ei->scope;
    int scope_done = 0;
    rc = p->completed ? p->completed(cx, ei, chosen, &scope_done)
                      : bt_leave(cx, ei, chosen, 0, &scope_done);
    if (!rc && in->n_incidents)
        bt_incidents_drop(in, key);
    if (!rc && scope_done)
        processor_of(scope)->child_completed(cx, scope);
    return rc;
}

static int resume(bt_ctx *cx, const bt_cmd *c)
{
    bt_ei *ei = bt_ei_find(cx->in, c->key);
    if (!ei || ei->state != BT_EI_ACTIVATED)
        return 0;
    const bt_processor *p = processor_of(ei);
    return p->resume ? p->resume(cx, ei) : 0;
}

static int transition(bt_ctx *cx, void *arg)
{
    (void)arg;
    bt_cmd c = bt_pop_cmd(cx->in);
    switch (c.kind) {
    case BT_CMD_ACTIVATE: return activate(cx, &c);
    case BT_CMD_COMPLETE: return complete(cx, &c);
    case BT_CMD_CALL_HANDLER: return bt_job_call_handler(cx, c.key);
    case BT_CMD_THROW_ERROR: return resume(cx, &c);
    case BT_CMD_CONDITIONS:
        return bt_check_conditions(cx, &c);
    case BT_CMD_SUBSCRIBE: return resubscribe(cx, &c);
    case BT_CMD_TRIGGER: return bt_trigger_entry(cx, c.scope_key);
    default: return 0;
    }
}

int bt_step(baton_instance *in)
{
    /* A transition queues at most two commands; those that queue more
     * reserve for it themselves. */
    return bt_transact(in, 2, transition, NULL);
}
