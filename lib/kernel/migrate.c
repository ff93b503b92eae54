/* Migration of a live instance to another deployed version (the rules:
 * docs/versions.md, "Migration rules"). The whole plan is checked before
 * anything moves, every reason collected; then the move changes only
 * element indices and process pointers, after the last thing that can
 * fail, so a refused or failed call leaves the instance as it was. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel/migrate.h"
#include "util/json.h"

typedef struct mig {
    baton_instance *in;
    const bt_process *from;
    const bt_deployment *to;
    int32_t *target; /* per source element: its target, -1: none */
    json_t *refused;
    int oom;
} mig;

static const bt_element *src_el(const mig *m, int32_t i)
{
    return &m->from->elements[i];
}

static const bt_element *dst_el(const mig *m, int32_t i)
{
    return &m->to->process->elements[i];
}

/* Adds a reason once: many element instances of one element (the inner
 * instances of a body, the tokens of a loop) give the same. */
static void refuse(mig *m, const char *element_id, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void refuse(mig *m, const char *element_id, const char *fmt, ...)
{
    char reason[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    size_t i;
    json_t *r;
    json_array_foreach(m->refused, i, r) {
        if (!strcmp(json_string_value(json_object_get(r, "reason")), reason))
            return;
    }
    r = json_pack("{s:s,s:s}", "elementId", element_id, "reason", reason);
    if (!r || json_array_append_new(m->refused, r))
        m->oom = 1;
}

/* Whether element instance `ei` belongs to the instance's own process
 * instance, not to one a call activity started (which keeps its own
 * process and version). */
static int own(const baton_instance *in, const bt_ei *ei)
{
    return bt_ei_process(ei) == in->root;
}

/* The targets of the plan: the same id by default, the plan's mapping
 * where it gives one. */
static void map_plan(mig *m, const bt_mig_pair *pairs, size_t n,
                     uint8_t *seen)
{
    const bt_process *to = m->to->process;
    for (uint32_t i = 0; i < m->from->n_elements; i++)
        m->target[i] = bt_process_find(to, m->from->elements[i].id);
    for (size_t k = 0; k < n; k++) {
        int32_t s = bt_process_find(m->from, pairs[k].source);
        int32_t t = bt_process_find(to, pairs[k].target);
        if (s < 0)
            refuse(m, pairs[k].source,
                   "the plan maps '%s', which process '%s' version %d does "
                   "not have", pairs[k].source, m->from->id,
                   m->in->version);
        if (t < 0)
            refuse(m, pairs[k].target,
                   "the plan maps to '%s', which process '%s' version %d "
                   "does not have", pairs[k].target, to->id, m->to->version);
        if (s < 0 || t < 0)
            continue;
        if (seen[s]++)
            refuse(m, pairs[k].source, "the plan maps '%s' more than once",
                   pairs[k].source);
        m->target[s] = t;
    }
}

/* The target element the flow scope `scope` gives its children: -1 for
 * the process level. */
static int32_t scope_target(const mig *m, const bt_ei *scope)
{
    return scope->element < 0 ? -1 : m->target[scope->element];
}

static void check_ei(mig *m, const bt_ei *ei)
{
    const bt_element *s = src_el(m, ei->element);
    int32_t t = m->target[ei->element];
    if (t < 0) {
        refuse(m, s->id, "active element '%s' has no target", s->id);
        return;
    }
    /* An inner instance goes where its body goes, which is checked. */
    if (bt_ei_is_inner(ei))
        return;
    const bt_element *d = dst_el(m, t);
    if (s->kind != d->kind)
        refuse(m, s->id, "'%s' is a %s and its target '%s' a %s", s->id,
               bt_kinds[s->kind].tag, d->id, bt_kinds[d->kind].tag);
    else if (s->evdef != d->evdef)
        refuse(m, s->id,
               "'%s' and its target '%s' have other event definitions",
               s->id, d->id);
    if (s->loop && !d->loop)
        refuse(m, s->id,
               "'%s' cannot move out of a multi-instance body into '%s'",
               s->id, d->id);
    else if (!s->loop && d->loop)
        refuse(m, s->id,
               "'%s' cannot move into the multi-instance body '%s'", s->id,
               d->id);
    else if (s->loop && s->loop->standard != d->loop->standard)
        refuse(m, s->id, "'%s' and its target '%s' loop differently",
               s->id, d->id);
    int32_t want = scope_target(m, ei->scope);
    if (ei->scope->element >= 0 && want < 0)
        return; /* its scope has no target: refused there */
    if (d->parent != want)
        refuse(m, s->id,
               "'%s' cannot move to '%s' in another flow scope than its "
               "scope's target '%s'", s->id, d->id,
               want < 0 ? m->to->process->id : dst_el(m, want)->id);
}

/* Tokens waiting at a join are counted per flow of the process: they do
 * not move (see the rules). */
static void check_marks(mig *m, const bt_ei *scope)
{
    if (!bt_ei_marks(scope))
        return;
    for (uint32_t f = 0; f < m->from->n_flows; f++)
        if (scope->joins->flow_marks[f]) {
            const bt_element *j = src_el(m, (int32_t)m->from->flows[f].target);
            refuse(m, j->id,
                   "a token waits at the join '%s'; tokens at joins do not "
                   "move", j->id);
        }
}

static const char *const wait_names[BT_SUB_KIND_COUNT] = {
    "timer", "message", "signal", "condition"
};

static void check_sub(mig *m, const bt_sub *x, const bt_ei *owner)
{
    const bt_element *s = src_el(m, x->element);
    const char *what = wait_names[x->kind];
    int32_t t = m->target[x->element];
    if (t < 0) {
        refuse(m, s->id, "the %s wait of '%s' would be lost: it has no "
               "target", what, s->id);
        return;
    }
    const bt_element *d = dst_el(m, t);
    if (d->kind != s->kind || d->evdef != s->evdef) {
        refuse(m, s->id, "the %s wait of '%s' would be lost: its target "
               "'%s' does not wait for a %s", what, s->id, d->id, what);
        return;
    }
    /* A message or signal subscription keeps the name it opened with:
     * the target must wait for that name (an expression is taken on
     * trust, as it was evaluated when the subscription opened). */
    if ((x->kind == BT_SUB_MESSAGE || x->kind == BT_SUB_SIGNAL) && x->name &&
        d->event.name && !d->event.name_expr &&
        strcmp(x->name, d->event.name) != 0)
        refuse(m, s->id, "the %s wait of '%s' would be lost: its target "
               "'%s' waits for %s '%s', not '%s'", what, s->id, d->id, what,
               d->event.name, x->name);
    /* A boundary event's wait stays on its activity's target. */
    if (s->event.attached_to >= 0 && owner->element >= 0 &&
        m->target[owner->element] >= 0 &&
        d->event.attached_to != m->target[owner->element])
        refuse(m, s->id, "the %s wait of '%s' would be lost: its target "
               "'%s' is not attached to '%s'", what, s->id, d->id,
               dst_el(m, m->target[owner->element])->id);
}

static void check_comp(mig *m, const bt_comp *c)
{
    const bt_element *s = src_el(m, c->element);
    int32_t t = m->target[c->element];
    const bt_element *d = t >= 0 ? dst_el(m, t) : NULL;
    if (!d || d->kind != s->kind ||
        (s->compensation_handler >= 0 && d->compensation_handler < 0) ||
        (bt_el_compensates(s) && !bt_el_compensates(d)))
        refuse(m, s->id, "completed activity '%s' has no target with a "
               "compensation handler", s->id);
}

/* A command that names an element (an activation an incident retries). */
static void check_cmd(mig *m, const bt_cmd *c)
{
    if (c->kind != BT_CMD_ACTIVATE || c->element < 0)
        return;
    const bt_ei *scope = bt_ei_find(m->in, c->scope_key);
    if (scope && own(m->in, scope) && m->target[c->element] < 0)
        refuse(m, src_el(m, c->element)->id,
               "'%s' waits to be retried and has no target",
               src_el(m, c->element)->id);
}

static int moved_add(mig *m, json_t *moved, const bt_ei *ei)
{
    const char *s = ei->element < 0 ? m->from->id : src_el(m, ei->element)->id;
    const char *t = ei->element < 0 ? m->to->process->id
                                    : dst_el(m, m->target[ei->element])->id;
    json_t *o = json_pack("{s:I,s:s,s:s}", "key", (json_int_t)ei->key,
                          "sourceElementId", s, "targetElementId", t);
    return !o || json_array_append_new(moved, o) ? BATON_ENOMEM : 0;
}

/* The move itself: indices and pointers only, nothing that can fail. */
static void apply(mig *m)
{
    baton_instance *in = m->in;
    const bt_process *to = m->to->process;
    for (bt_ei *ei = in->oldest; ei; ei = ei->newer) {
        if (!own(in, ei))
            continue;
        /* Join scratch is sized by the old process (and holds no mark:
         * those are refused). */
        if (ei->joins)
            bt_ei_drop_marks(in, ei);
        ei->proc = to;
        if (ei->element >= 0)
            ei->element = m->target[ei->element];
    }
    in->root->version = m->to->version;
    for (bt_sub *x = in->oldest_sub; x; x = x->newer) {
        const bt_ei *owner = bt_ei_find(in, x->ei_key);
        if (!x->gone && owner && own(in, owner))
            x->element = m->target[x->element];
    }
    for (size_t i = 0; i < in->n_comps; i++)
        if (in->comps[i].pi_key == in->key)
            in->comps[i].element = m->target[in->comps[i].element];
    for (size_t i = 0; i < in->n_incidents; i++) {
        bt_incident *x = &in->incidents[i];
        const bt_ei *ei = bt_ei_find(in, x->ei_key);
        if (!ei || !own(in, ei))
            continue;
        if (x->element >= 0)
            x->element = ei->element;
        const bt_ei *scope = bt_ei_find(in, x->retry.scope_key);
        if (x->retry.kind == BT_CMD_ACTIVATE && x->retry.element >= 0 &&
            scope && own(in, scope))
            x->retry.element = m->target[x->retry.element];
    }
    /* Scratch sized by the old process's elements. */
    bt_free(&in->engine->alloc, in->join_seen);
    in->join_seen = in->join_work = NULL;
    in->join_pass = in->join_cap = 0;
    baton_model *old = in->model;
    bt_model_ref(m->to->model);
    in->model = m->to->model;
    in->proc = to;
    in->version = m->to->version;
    bt_model_unref(old);
    in->sub_epoch++;
    in->job_epoch++;
}

static int check_all(mig *m)
{
    baton_instance *in = m->in;
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer) {
        if (!own(in, ei))
            continue;
        if (ei->element >= 0)
            check_ei(m, ei);
        check_marks(m, ei);
    }
    for (const bt_sub *x = in->oldest_sub; x; x = x->newer) {
        const bt_ei *owner = bt_ei_find(in, x->ei_key);
        if (!x->gone && owner && own(in, owner))
            check_sub(m, x, owner);
    }
    for (size_t i = 0; i < in->n_comps; i++)
        if (in->comps[i].pi_key == in->key)
            check_comp(m, &in->comps[i]);
    for (size_t i = 0; i < in->n_incidents; i++)
        check_cmd(m, &in->incidents[i].retry);
    return m->oom ? BATON_ENOMEM : 0;
}

/* The engine's message: every reason, as far as it holds them. */
static int refused_error(mig *m)
{
    char msg[480];
    size_t n = 0, i;
    json_t *r;
    msg[0] = 0;
    json_array_foreach(m->refused, i, r) {
        int k = snprintf(msg + n, sizeof msg - n, "%s%s", i ? "; " : "",
                         json_string_value(json_object_get(r, "reason")));
        if (k < 0 || (size_t)k >= sizeof msg - n)
            break;
        n += (size_t)k;
    }
    return bt_error(m->in->engine, BATON_EMIGRATE, NULL, 0, 0,
                    json_string_value(json_object_get(
                        json_array_get(m->refused, 0), "elementId")),
                    "the migration plan is refused: %s", msg);
}

/* The report as JSON text for the caller, written before anything moves
 * so that running out of memory for it leaves the instance as it was. */
static int dump(mig *m, json_t *report, char **out)
{
    size_t len;
    if (out && bt_json_dump(&m->in->engine->alloc, report, out, &len))
        return BATON_ENOMEM;
    return 0;
}

static int move_and_report(mig *m, bt_txn *tx, json_t *report, char **out,
                           int dry_run)
{
    json_t *moved = json_object_get(report, "moved");
    baton_instance *in = m->in;
    size_t n = 0;
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer)
        if (own(in, ei)) {
            n++;
            if (moved_add(m, moved, ei))
                return BATON_ENOMEM;
        }
    if (dry_run)
        return dump(m, report, out);
    if (bt_reserve(in, 0, 0, 0, n) || dump(m, report, out))
        return BATON_ENOMEM;
    apply(m);
    /* Room was reserved: these cannot fail. */
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer)
        if (own(in, ei))
            (void)bt_rec_element(in, BATON_INTENT_MIGRATED, ei);
    bt_txn_commit(tx);
    return 0;
}

int bt_instance_migrate(baton_instance *in, const bt_deployment *to,
                        const bt_mig_pair *pairs, size_t n_pairs,
                        int dry_run, json_t *report, char **out)
{
    json_t *refused = json_object_get(report, "refused");
    baton_engine *e = in->engine;
    if (in->ended)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "the instance has already ended");
    if (in->q_head != in->n_queue)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "the instance has work queued: run it until it "
                        "waits, then migrate it");
    bt_txn tx;
    int rc = bt_txn_begin(in, &tx, 0);
    if (rc)
        return rc;
    const bt_alloc *a = &e->alloc;
    size_t n = in->proc->n_elements;
    mig m = { in, in->proc, to, NULL, refused, 0 };
    void *block = bt_calloc(a, 1, n * (sizeof *m.target + 1) + 1);
    if (!block)
        return bt_txn_abort(&tx, BATON_ENOMEM);
    m.target = block;
    map_plan(&m, pairs, n_pairs, (uint8_t *)(m.target + n));
    rc = m.oom ? BATON_ENOMEM : check_all(&m);
    if (!rc && json_array_size(refused))
        rc = dump(&m, report, out) ? BATON_ENOMEM : refused_error(&m);
    if (!rc)
        rc = move_and_report(&m, &tx, report, out, dry_run);
    bt_free(a, block);
    if (rc)
        return bt_txn_abort(&tx, rc);
    if (dry_run) {
        /* Nothing changed: close the transaction without a revision. */
        bt_txn_abort(&tx, BATON_EMIGRATE);
        bt_clear_error(e);
    }
    return 0;
}
