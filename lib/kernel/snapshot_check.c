/* The structure of a restored instance, checked before anything runs on
 * it: what a damaged store row, a bad migration or a forged snapshot with
 * a valid checksum must not get past. Values, ranges and the tree of
 * scopes are checked while reading (snapshot_read.c); this checks how the
 * tables fit together: states, scopes, jobs, incidents, queued commands,
 * join marks and the compensation log, each against the kind of the
 * element it names. */
#include "kernel/snapshot.h"

static int is_scope(const bt_ei *ei)
{
    return ei->element < 0 || bt_kind_has(bt_ei_el(ei)->kind, BT_KF_SCOPE);
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
        if (!is_scope(ei->scope))
            return "element instance inside an element that holds none";
        /* A compensation handler runs beside its throw event, wherever
         * that is; everything else runs in the scope that holds it. */
        if (!el->is_for_compensation &&
            el->parent != scope_element(ei->scope))
            return "element instance in the wrong scope";
        if (ei->job_key && !bt_kind_has(el->kind, BT_KF_JOB))
            return "job on an element that creates none";
        if ((ei->comp_scope || ei->comp_entry) &&
            el->evdef != BT_EVDEF_COMPENSATE)
            return "compensation state on an element that throws none";
        if (ei->comp_throw) {
            const bt_ei *t = bt_ei_find(in, ei->comp_throw);
            if (!el->is_for_compensation || !t || t->element < 0 ||
                bt_ei_el(t)->evdef != BT_EVDEF_COMPENSATE)
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
        if (!is_scope(ei))
            return "join mark outside any scope";
        const bt_process *p = ei->proc;
        for (uint32_t f = 0; f < p->n_flows; f++) {
            if (!ei->joins->flow_marks[f])
                continue;
            const bt_element *t = &p->elements[p->flows[f].target];
            if (!bt_kind_has(t->kind, BT_KF_JOINS_ALL) || t->n_incoming < 2 ||
                t->parent != scope_element(ei))
                return "join mark on a flow into no join of its scope";
        }
    }
    return NULL;
}

/* A queued command (or an incident's retry) fits the element instance,
 * job or scope it names. */
static const char *check_cmd(const baton_instance *in, const bt_cmd *c)
{
    const bt_process *p = in->proc;
    switch (c->kind) {
    case BT_CMD_ACTIVATE: {
        if (c->element < 0)
            return c->key == in->key && !c->scope_key &&
                           in->root->state == BT_EI_ACTIVATING
                       ? NULL
                       : "process activation of a process already active";
        const bt_ei *scope = bt_ei_find(in, c->scope_key);
        const bt_element *el = &p->elements[c->element];
        if (!scope || scope->state != BT_EI_ACTIVATED || !is_scope(scope))
            return "activation in no active scope";
        if (el->is_for_compensation) {
            const bt_ei *t = bt_ei_find(in, c->key);
            if (!t || t->element < 0 ||
                bt_ei_el(t)->evdef != BT_EVDEF_COMPENSATE)
                return "compensation handler activated for no throw event";
            return NULL;
        }
        return el->parent == scope_element(scope) && !c->key
                   ? NULL
                   : "activation in the wrong scope";
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
        return el && el->kind == BT_END_EVENT &&
                       el->evdef == BT_EVDEF_ERROR &&
                       c->element == ei->element
                   ? NULL
                   : "error thrown by no error end event";
    }
    default:
        return "a command no snapshot holds";
    }
}

static const char *check_work(const baton_instance *in)
{
    size_t held = 0;
    for (size_t i = 0; i < in->n_incidents; i++) {
        const bt_incident *x = &in->incidents[i];
        const baton_job *j = x->job_key ? bt_job_find(in, x->job_key) : NULL;
        if (j && (j->state != BT_JOB_INCIDENT || j->ei->key != x->ei_key))
            return "job incident of another element instance";
        held += j != NULL;
        const char *why = x->retry.kind == BT_CMD_NONE
                              ? (j ? NULL : "incident with nothing to retry")
                              : check_cmd(in, &x->retry);
        if (why)
            return why;
    }
    if (held != in->n_held_jobs)
        return "job held by no incident";
    for (size_t i = in->q_head; i < in->n_queue; i++) {
        const char *why = check_cmd(in, &in->queue[i]);
        if (why)
            return why;
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
    const bt_process *p = in->proc;
    for (size_t i = 0; i < in->n_comps; i++) {
        const bt_comp *c = &in->comps[i];
        const bt_element *el = &p->elements[c->element];
        if (!c->key || c->key >= in->next_key || c->key <= c->scope_key)
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
        const bt_ei *live = bt_ei_find(in, c->scope_key);
        const bt_comp *owner = bt_keymap_get(subs, c->scope_key);
        int32_t holder = live ? scope_element(live)
                         : owner ? owner->element
                                 : -2;
        if (p->elements[c->element].parent != holder)
            return "compensation entry in the log of another scope";
    }
    return NULL;
}

const char *bt_snapshot_check(baton_instance *in, int *oom)
{
    *oom = 0;
    const char *why = check_elements(in);
    if (!why)
        why = check_marks(in);
    if (!why)
        why = check_work(in);
    if (why)
        return why;
    bt_keymap subs = { 0 };
    const bt_alloc *a = &in->engine->alloc;
    if (bt_keymap_reserve(a, &subs, in->n_comps)) {
        *oom = 1;
        return NULL;
    }
    why = check_log(in, &subs);
    bt_keymap_free(a, &subs);
    return why;
}
