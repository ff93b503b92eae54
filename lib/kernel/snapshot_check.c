/* The structure of a restored instance, checked before anything runs on
 * it: what a damaged store row, a bad migration or a forged snapshot with
 * a valid checksum must not get past. Values, ranges and the tree of
 * scopes are checked while reading (snapshot_read.c); this checks how the
 * tables fit together: states, scopes, jobs, incidents, queued commands,
 * join marks, the compensation log and the subscriptions, each against
 * the kind of the element it names. */
#include "kernel/snapshot.h"

/* Subscriptions by key, and TRIGGERED entries by the subscription that
 * fired for them: built once, so that every check stays linear. */
typedef struct sub_index {
    bt_keymap by_key;
    bt_keymap by_source;
} sub_index;

static int is_scope(const bt_ei *ei)
{
    return ei->element < 0 || bt_kind_has(bt_ei_el(ei)->kind, BT_KF_SCOPE);
}

/* Whether element `element` runs directly in `scope`: a multi-instance
 * body holds only inner instances of its own element. */
static int holds(const bt_ei *scope, int32_t element)
{
    const bt_element *el = &scope->proc->elements[element];
    if (bt_ei_is_body(scope))
        return element == scope->element;
    return is_scope(scope) && el->parent == scope->element;
}

/* The element a scope holds its elements under: -1 for the process. */
static int32_t scope_element(const bt_ei *scope)
{
    return scope->element;
}

static const char *check_elements(const baton_instance *in)
{
    const bt_ei *root = in->root;
    uint32_t want = in->ended ? (uint32_t)(in->ended ==
                                                   BATON_INSTANCE_COMPLETED
                                               ? BT_EI_COMPLETED
                                               : BT_EI_TERMINATED)
                              : root->state;
    if (root->state != want ||
        (!in->ended && root->state != BT_EI_ACTIVATING &&
         root->state != BT_EI_ACTIVATED) ||
        (in->ended && root->first))
        return "the process instance's state does not match the instance's";
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer) {
        if (ei == root)
            continue;
        const bt_element *el = bt_ei_el(ei);
        if (ei->state != BT_EI_ACTIVATED)
            return "element instance in a state no snapshot holds";
        if (!el) { /* a called process instance (snapshot_read.c) */
            if (ei->job_key || ei->comp_scope || ei->comp_entry ||
                ei->comp_throw)
                return "called process instance with an element's state";
            continue;
        }
        if (!is_scope(ei->scope) && !bt_ei_is_body(ei->scope))
            return "element instance inside an element that holds none";
        /* A compensation handler runs beside its throw event, wherever
         * that is; everything else runs in the scope that holds it. */
        if (!(el->is_for_compensation || ei->comp_throw) &&
            !holds(ei->scope, ei->element))
            return "element instance in the wrong scope";
        if (ei->job_key && (!bt_el_has_job(el) || bt_ei_is_body(ei)))
            return "job on an element that creates none";
        if ((ei->comp_scope || ei->comp_entry) &&
            !bt_el_throws_compensation(el))
            return "compensation state on an element that throws none";
        if (ei->comp_throw) {
            const bt_ei *t = bt_ei_find(in, ei->comp_throw);
            if (!bt_el_compensates(el) || !t || t->element < 0 ||
                !bt_el_throws_compensation(bt_ei_el(t)))
                return "compensation handler of no throw event";
        }
    }
    return NULL;
}

static const char *check_marks(const baton_instance *in)
{
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer) {
        if (!bt_ei_marks(ei))
            continue;
        if (!is_scope(ei) || bt_ei_is_body(ei))
            return "join mark outside any scope";
        const bt_process *p = ei->proc;
        for (uint32_t f = 0; f < p->n_flows; f++) {
            if (!ei->joins->flow_marks[f])
                continue;
            const bt_element *t = &p->elements[p->flows[f].target];
            if (!bt_el_joins(t) || t->parent != scope_element(ei))
                return "join mark on a flow into no join of its scope";
        }
    }
    return NULL;
}

/* The start event a process activation names: its index + 1, or 0 for
 * the none start event. */
static int is_start(const bt_process *p, uint64_t start)
{
    if (!start)
        return bt_process_starts_plainly(p);
    for (uint32_t i = 0; i < p->n_starts; i++)
        if (p->starts[i] + 1 == start)
            return 1;
    return 0;
}

/* An element that starts because its event occurred names the TRIGGERED
 * entry that holds the event's variables, in the scope it starts in. */
static const char *check_token(const sub_index *x, const bt_cmd *c)
{
    const bt_sub *t = bt_keymap_get(&x->by_key, c->key);
    return t && t->state == BT_SUB_TRIGGERED && !t->source &&
                   t->ei_key == c->scope_key && t->element == c->element
               ? NULL
               : "activation by an event that did not occur";
}

/* A message or signal that occurred for element instance `key`: its
 * TRIGGERED entry, owned by it, names the subscription that matched (or
 * one that closed since, which the trigger then ignores). An entry that
 * is gone went with the subscriptions of its element instance (which
 * ended, or whose event subprocess starts an interrupting one closed):
 * the trigger ignores it too. */
static const char *check_trigger(const baton_instance *in,
                                 const sub_index *x, const bt_cmd *c)
{
    const bt_sub *t = bt_keymap_get(&x->by_key, c->scope_key);
    if (!t)
        return c->key && c->key < in->next_key && c->scope_key &&
                       c->scope_key < in->next_key
                   ? NULL
                   : "event acted on that did not occur";
    const bt_ei *owner = bt_ei_find(in, c->key);
    if (!owner || owner->state != BT_EI_ACTIVATED)
        return "event for no active element instance";
    if (!t || t->state != BT_SUB_TRIGGERED || !t->source ||
        t->ei_key != owner->key || t->element != c->element)
        return "event acted on that did not occur";
    const bt_sub *src = bt_keymap_get(&x->by_key, t->source);
    if (src && (src->state == BT_SUB_TRIGGERED || src->ei_key != owner->key ||
                src->element != t->element ||
                (src->kind != BT_SUB_MESSAGE && src->kind != BT_SUB_SIGNAL)))
        return "event acted on that did not occur";
    return NULL;
}

/* A queued command (or an incident's retry) fits the element instance,
 * job, scope or subscription it names. */
static const char *check_cmd(const baton_instance *in, const sub_index *x,
                             const bt_cmd *c)
{
    switch (c->kind) {
    case BT_CMD_ACTIVATE: {
        if (c->element < 0)
            return c->key == in->key && is_start(in->proc, c->scope_key) &&
                           in->root->state == BT_EI_ACTIVATING
                       ? NULL
                       : "process activation of a process already active";
        const bt_ei *scope = bt_ei_find(in, c->scope_key);
        if (!scope || scope->state != BT_EI_ACTIVATED ||
            (!is_scope(scope) && !bt_ei_is_body(scope)))
            return "activation in no active scope";
        if ((uint32_t)c->element >= scope->proc->n_elements)
            return "activation of no element of its scope's process";
        const bt_element *el = &scope->proc->elements[c->element];
        /* A subprocess is revived for a throw event (its key), and
         * activated as usual for a token (a subscription's). */
        if (el->is_for_compensation ||
            (bt_el_compensates(el) && c->key && bt_ei_find(in, c->key))) {
            const bt_ei *t = bt_ei_find(in, c->key);
            if (!t || t->element < 0 ||
                !bt_el_throws_compensation(bt_ei_el(t)))
                return "compensation handler activated for no throw event";
            return NULL;
        }
        if (!holds(scope, c->element))
            return "activation in the wrong scope";
        return c->key ? check_token(x, c) : NULL;
    }
    case BT_CMD_COMPLETE: {
        const bt_ei *ei = bt_ei_find(in, c->key);
        return ei && ei->state == BT_EI_ACTIVATED &&
                       (c->element == -1 || c->element == ei->element)
                   ? NULL
                   : "completion of no active element instance";
    }
    case BT_CMD_CALL_HANDLER: {
        const baton_job *j = bt_job_find(in, c->key);
        return j && c->element == j->ei->element
                   ? NULL
                   : "handler call for no job";
    }
    case BT_CMD_THROW_ERROR: {
        const bt_ei *ei = bt_ei_find(in, c->key);
        const bt_element *el = ei ? bt_ei_el(ei) : NULL;
        /* An error end event's throw, or a cancel end event's steps. */
        return el && el->kind == BT_END_EVENT &&
                       (el->evdef == BT_EVDEF_ERROR ||
                        el->evdef == BT_EVDEF_CANCEL) &&
                       c->element == ei->element
                   ? NULL
                   : "error thrown by no error end event";
    }
    case BT_CMD_CONDITIONS:
        /* Every condition (key 0), those after a subscription that may
         * have closed since, or that one alone (a key). */
        return ((c->element == BT_COND_ALL && c->scope_key <= in->next_key) ||
                ((c->element == BT_COND_ONE || c->element == BT_COND_RETRY) &&
                 c->key && !c->scope_key)) &&
                       c->key < in->next_key
                   ? NULL
                   : "evaluation of conditions that names something else";
    case BT_CMD_SUBSCRIBE: {
        /* The process's may outlive it: it completes while the incident
         * that would open them again is open. */
        const bt_ei *ei = bt_ei_find(in, c->key);
        /* scope_key: the process's start event + 1 (0: none), or 1 for
         * an element whose event had occurred. */
        return ei && (ei->state == BT_EI_ACTIVATED ||
                      (in->ended && ei == in->root)) &&
                       c->element == ei->element &&
                       (!c->scope_key ||
                        (ei->element < 0 ? is_start(ei->proc, c->scope_key)
                                        : c->scope_key == 1))
                   ? NULL
                   : "subscriptions opened for no active element instance";
    }
    case BT_CMD_TRIGGER:
        return check_trigger(in, x, c);
    default:
        return "a command no snapshot holds";
    }
}

/* Jobs are held by an incident exactly when one names them, or wait in
 * a backoff (their due time is read with them), which no incident
 * names. */
static const char *check_work(const baton_instance *in, const sub_index *si)
{
    size_t by_incident = 0, in_incident = 0, held = 0;
    for (size_t i = 0; i < in->n_incidents; i++) {
        const bt_incident *x = &in->incidents[i];
        const baton_job *j = x->job_key ? bt_job_find(in, x->job_key) : NULL;
        if (j && j->state == BT_JOB_BACKOFF)
            return "job in backoff held by an incident";
        if (j && (j->state != BT_JOB_INCIDENT || j->ei->key != x->ei_key))
            return "job incident of another element instance";
        by_incident += j != NULL;
        const char *why = x->retry.kind == BT_CMD_NONE
                              ? (j ? NULL : "incident with nothing to retry")
                              : check_cmd(in, si, &x->retry);
        if (why)
            return why;
    }
    for (const baton_job *j = in->oldest_job; j; j = j->newer) {
        in_incident += j->state == BT_JOB_INCIDENT;
        held += (size_t)bt_job_held(j->state);
    }
    if (by_incident != in_incident || held != in->n_held_jobs)
        return "job held by no incident";
    for (size_t i = in->q_head; i < in->n_queue; i++) {
        const char *why = check_cmd(in, si, &in->queue[i]);
        if (why)
            return why;
    }
    return NULL;
}

/* The kind of subscription `c` waits with, or -1. */
static int catch_kind(const bt_element *c)
{
    if (c->kind == BT_RECEIVE_TASK)
        return BT_SUB_MESSAGE;
    switch (c->evdef) {
    case BT_EVDEF_TIMER: return BT_SUB_TIMER;
    case BT_EVDEF_MESSAGE: return BT_SUB_MESSAGE;
    case BT_EVDEF_SIGNAL: return BT_SUB_SIGNAL;
    case BT_EVDEF_CONDITIONAL: return BT_SUB_CONDITION;
    default: return -1;
    }
}

/* Whether `owner` opens a subscription for the catching element `s`
 * names: its own (a catch event, a receive task), a boundary event on
 * it, the start of one of its event subprocesses (it is their scope), or
 * an event after it (an event-based gateway); of the kind the catching
 * element's definition says. */
static int catches(const bt_ei *owner, const bt_sub *s)
{
    const bt_process *p = owner->proc;
    const bt_element *c = &p->elements[s->element];
    const bt_element *own = bt_ei_el(owner);
    int fits = 0;
    if (own && s->element == owner->element) {
        fits = (c->kind == BT_INTERMEDIATE_CATCH_EVENT ||
                c->kind == BT_RECEIVE_TASK) &&
               !bt_ei_is_body(owner);
    } else if (c->kind == BT_BOUNDARY_EVENT) {
        /* A multi-instance activity's are its body's. */
        fits = own && c->event.attached_to == owner->element &&
               !bt_ei_is_inner(owner);
    } else if (c->kind == BT_START_EVENT) {
        const bt_element *esp = c->parent >= 0 ? &p->elements[c->parent]
                                               : NULL;
        fits = esp && esp->kind == BT_SUB_PROCESS &&
               esp->scope.triggered_by_event && esp->scope.start ==
               s->element && esp->parent == owner->element &&
               is_scope(owner) && !bt_ei_is_body(owner);
    } else if (own && own->kind == BT_EVENT_BASED_GATEWAY) {
        for (uint32_t i = 0; i < own->n_outgoing; i++)
            fits |= p->flows[own->outgoing[i]].target ==
                    (uint32_t)s->element;
    }
    return fits && catch_kind(c) == s->kind;
}

/* Subscriptions belong to active element instances that wait for them.
 * What an ended instance still holds is what its end left: events that
 * occurred for it and were not acted on. A PENDING subscription waits
 * for the TRIGGER of the entry that names it. */
static const char *check_subs(const baton_instance *in, sub_index *x)
{
    for (const bt_sub *s = in->oldest_sub; s; s = s->newer) {
        bt_keymap_put(&x->by_key, s->key, (void *)s);
        if (s->state == BT_SUB_TRIGGERED && s->source)
            bt_keymap_put(&x->by_source, s->source, (void *)s);
    }
    for (const bt_sub *s = in->oldest_sub; s; s = s->newer) {
        const bt_ei *owner = bt_ei_find(in, s->ei_key);
        int left = in->ended && owner == in->root &&
                   s->state != BT_SUB_OPEN;
        if (owner->state != BT_EI_ACTIVATED && !left)
            return "subscription of no active element instance";
        if (s->state != BT_SUB_TRIGGERED && !catches(owner, s))
            return "subscription for an element that does not wait for it";
        if (s->state == BT_SUB_PENDING &&
            !bt_keymap_get(&x->by_source, s->key))
            return "pending subscription with no event that occurred";
    }
    return NULL;
}

/* The log's entries name completed activities that can be compensated,
 * each in the log of the scope that held it: a live scope, or a
 * completed subprocess whose own entry names that log. A subprocess log
 * is newer than the scope it sits in and older than its own entry, so
 * following logs always goes forward in keys: the log has no cycle. */
static const char *check_log(const baton_instance *in, bt_keymap *subs)
{
    for (size_t i = 0; i < in->n_comps; i++) {
        const bt_comp *c = &in->comps[i];
        /* Its process instance and element were checked as read. */
        const bt_element *el = &bt_comp_pi(in, c)->proc->elements[c->element];
        /* A revived subprocess took over the log of the subprocess it
         * revives, whose entries are older than itself. */
        const bt_ei *sc = bt_ei_find(in, c->scope_key);
        int revived = sc && bt_ei_revived(sc);
        if (!c->key || c->key >= in->next_key ||
            (c->key <= c->scope_key && !revived))
            return "compensation entry out of order";
        if (c->sub_key ? !bt_kind_has(el->kind, BT_KF_SCOPE) ||
                             c->sub_key <= c->scope_key ||
                             c->sub_key >= c->key ||
                             bt_ei_find(in, c->sub_key) ||
                             bt_keymap_get(subs, c->sub_key)
                       : el->compensation_handler < 0)
            return "compensation entry of nothing to compensate";
        if (c->sub_key)
            bt_keymap_put(subs, c->sub_key, (void *)c);
    }
    for (size_t i = 0; i < in->n_comps; i++) {
        const bt_comp *c = &in->comps[i];
        const bt_ei *pi = bt_comp_pi(in, c);
        const bt_ei *live = bt_ei_find(in, c->scope_key);
        const bt_comp *owner = bt_keymap_get(subs, c->scope_key);
        int32_t holder = live ? scope_element(live)
                         : owner ? owner->element
                                 : -2;
        if (pi->proc->elements[c->element].parent != holder ||
            (live ? bt_ei_process(live) != pi : owner && owner->pi_key !=
                                                             c->pi_key))
            return "compensation entry in the log of another scope";
    }
    return NULL;
}

/* Before its first step a process has done nothing: its activation is
 * all that is queued, and nothing runs or waits in it yet. (Checked
 * after the commands, which say more precisely what is wrong with one.) */
static const char *check_not_started(const baton_instance *in)
{
    if (in->ended || in->root->state != BT_EI_ACTIVATING)
        return NULL;
    const bt_cmd *c = in->n_queue > in->q_head ? &in->queue[in->q_head]
                                                : NULL;
    if (in->root->first || in->oldest_sub || in->oldest_job ||
        in->n_incidents || in->n_comps || in->n_queue - in->q_head != 1 ||
        c->kind != BT_CMD_ACTIVATE || c->element >= 0)
        return "the process instance has not started but holds work";
    return NULL;
}

const char *bt_snapshot_check(baton_instance *in, int *oom)
{
    const bt_alloc *a = &in->engine->alloc;
    sub_index si = { { 0 }, { 0 } };
    bt_keymap logs = { 0 };
    const char *why = NULL;
    *oom = bt_keymap_reserve(a, &si.by_key, in->n_subs) ||
           bt_keymap_reserve(a, &si.by_source, in->n_subs) ||
           bt_keymap_reserve(a, &logs, in->n_comps);
    if (!*oom)
        why = check_elements(in);
    if (!*oom && !why)
        why = check_marks(in);
    if (!*oom && !why)
        why = check_subs(in, &si);
    if (!*oom && !why)
        why = check_work(in, &si);
    if (!*oom && !why)
        why = check_log(in, &logs);
    if (!*oom && !why)
        why = check_not_started(in);
    bt_keymap_free(a, &si.by_key);
    bt_keymap_free(a, &si.by_source);
    bt_keymap_free(a, &logs);
    return *oom ? NULL : why;
}
