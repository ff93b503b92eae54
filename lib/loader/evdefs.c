/* The details of the event definitions that wait for or send something
 * (BPMN 2.0.2 §10.5.5): timers, messages, signals, escalations,
 * conditions and links, the root elements that name messages, signals,
 * escalations and errors, receive tasks (which wait for a message as a
 * catch event does), and the event-based gateways that choose between
 * catch events (§10.6.6). Where each definition may sit is decided
 * before, in events.c; what is read here goes to the element's `event`
 * fields, which only the engine's event behaviours read. */
#include "loader/dialect.h"

#include <stdint.h>
#include <stdlib.h>

#include "baton.h"

#define AT(e) (int)(e)->line, 0, (e)->tag, (e)->id

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static bt_expr_site site_of(const bt_element *e)
{
    bt_expr_site s = { e->tag, e->id, (int)e->line };
    return s;
}

/* Camunda 7 writes expressions as "${...}" or "#{...}", also inside other
 * text. */
static int has_juel(const char *text)
{
    return strstr(text, "${") || strstr(text, "#{");
}

static int is_throw(const bt_element *e)
{
    return e->kind == BT_END_EVENT || e->kind == BT_INTERMEDIATE_THROW_EVENT;
}

/* ------------------------------------------------------------------ */
/* Root elements                                                       */
/* ------------------------------------------------------------------ */

static int root_kind(const xmlNode *c)
{
    static const char *const tags[] = { "error", "message", "signal",
                                        "escalation" };
    static const int kinds[] = { BT_ID_ERROR, BT_ID_MESSAGE, BT_ID_SIGNAL,
                                 BT_ID_ESCALATION };
    if (!bt_is_elem(c, BT_NS_BPMN))
        return -1;
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strcmp(bt_tag_of(c), tags[i]) == 0)
            return kinds[i];
    return -1;
}

/* Errors, messages, signals and escalations are root elements of the
 * definitions (§8.4), shared by every process and found by id. */
void bt_load_roots(bt_loader *ld, const xmlNode *root)
{
    uint32_t n = 0;
    for (const xmlNode *c = root->children; c; c = c->next)
        n += root_kind(c) >= 0;
    if (!n)
        return;
    ld->roots = bt_calloc(&ld->alloc, n, sizeof *ld->roots);
    ld->root_keys = bt_calloc(&ld->alloc, n, sizeof *ld->root_keys);
    ld->root_keyed = bt_calloc(&ld->alloc, n, 1);
    if (!ld->roots || !ld->root_keys || !ld->root_keyed) {
        ld->oom = 1;
        return;
    }
    for (const xmlNode *c = root->children; c && !ld->oom; c = c->next) {
        int what = root_kind(c);
        if (what < 0)
            continue;
        bt_load_claim_id(ld, NULL, c, what, (int32_t)ld->n_roots, 0);
        ld->roots[ld->n_roots++] = c;
    }
}

/* The index in ld->roots of the root element of kind `what` that
 * attribute `attr` of the definition names, or -1 after reporting that
 * it names none. */
static int32_t root_index(bt_loader *ld, const bt_element *e,
                          const char *ref, int what, const char *attr,
                          const char *a_kind)
{
    int32_t proc, k;
    if (bt_load_ref(ld, ref, &proc, &k) == what)
        return k;
    bt_load_problem(ld, BATON_EMODEL, AT(e),
                    "%s '%s' is not %s of this document", attr, ref, a_kind);
    return -1;
}

static const xmlNode *root_ref(bt_loader *ld, const bt_element *e,
                               const char *ref, int what, const char *attr,
                               const char *a_kind)
{
    int32_t k = root_index(ld, e, ref, what, attr, a_kind);
    return k >= 0 ? ld->roots[k] : NULL;
}

/* ------------------------------------------------------------------ */
/* Names of messages and signals                                       */
/* ------------------------------------------------------------------ */

static json_t *no_variables(void *ctx, const char *name, size_t len)
{
    return NULL;
}

/* Evaluates `e` without variables, with the loader's memory. */
static int eval_static(bt_loader *ld, const bt_expr *e, json_t **out)
{
    bt_expr_env env = { &ld->ar->alloc, no_variables, NULL, INT64_MIN,
                        NULL, NULL, NULL, 0 };
    return bt_expr_eval(e, &env, out);
}

/* A process's start events are known before any instance is: a name
 * given as an expression is worked out now, without variables, as Zeebe
 * does when it deploys the process. */
static void name_at_deployment(bt_loader *ld, bt_element *e,
                               const char *text)
{
    json_t *v = NULL;
    if (eval_static(ld, e->event.name_expr, &v)) {
        ld->oom = 1;
        return;
    }
    if (json_is_string(v)) {
        e->event.name = bt_load_dup(ld, json_string_value(v));
        e->event.name_expr = NULL;
    } else {
        bt_load_problem(ld, BATON_EEXPR, AT(e),
                        "name '%s' of a process start event does not give "
                        "a string without variables",
                        text);
    }
    json_decref(v);
}

/* A message's or signal's name: "=..." is FEEL (Zeebe), text with
 * "${...}" JUEL (Camunda 7), evaluated when the subscription opens or
 * the event throws; anything else is the name itself. */
static void read_name(bt_loader *ld, bt_element *e, const char *name)
{
    bt_expr_site at = site_of(e);
    size_t len = strlen(name);
    if (name[0] == '=')
        e->event.name_expr =
            bt_load_compile(ld, &at, name + 1, len - 1, BT_EXPR_FEEL);
    else if (has_juel(name))
        e->event.name_expr =
            bt_load_compile(ld, &at, name, len, BT_EXPR_JUEL);
    else
        e->event.name = bt_load_dup(ld, name);
    if (e->event.name_expr &&
        ((e->kind == BT_START_EVENT && e->parent < 0) || e->instantiate))
        name_at_deployment(ld, e, name);
}

/* ------------------------------------------------------------------ */
/* The definitions                                                     */
/* ------------------------------------------------------------------ */

/* messageRef → the message's name and, for what waits for it, what the
 * dialects say of the subscription. A catch needs a named message; a
 * throw is a job (as a send task), which may name its message. */
static void read_message(bt_loader *ld, bt_element *e, const xmlNode *n,
                         const char *owner)
{
    int waits = !is_throw(e);
    const char *ref = nonempty(bt_load_attr(ld, n, NULL, "messageRef"));
    if (!ref) {
        if (waits)
            bt_load_problem(ld, BATON_EMODEL, AT(e), "%s has no messageRef",
                            owner);
        return;
    }
    int32_t k =
        root_index(ld, e, ref, BT_ID_MESSAGE, "messageRef", "a message");
    if (k < 0)
        return;
    const xmlNode *m = ld->roots[k];
    const char *name = nonempty(bt_load_attr(ld, m, NULL, "name"));
    if (!name) {
        if (waits)
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "message '%s' has no name", ref);
        return;
    }
    read_name(ld, e, name);
    if (!waits)
        return;
    if (ld->root_keyed[k]) {
        e->event.correlation_key = ld->root_keys[k];
        return;
    }
    bt_load_subscription(ld, e, m);
    ld->root_keys[k] = e->event.correlation_key;
    ld->root_keyed[k] = 1;
}

/* signalRef → the signal's name, which both a throw and a catch need. */
static void read_signal(bt_loader *ld, bt_element *e, const xmlNode *d)
{
    const char *ref = nonempty(bt_load_attr(ld, d, NULL, "signalRef"));
    if (!ref) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "signal event definition has no signalRef");
        return;
    }
    const xmlNode *s =
        root_ref(ld, e, ref, BT_ID_SIGNAL, "signalRef", "a signal");
    if (!s)
        return;
    const char *name = nonempty(bt_load_attr(ld, s, NULL, "name"));
    if (!name)
        bt_load_problem(ld, BATON_EMODEL, AT(e), "signal '%s' has no name",
                        ref);
    else
        read_name(ld, e, name);
}

/* escalationRef → escalation_code, as errorRef for errors: a throw needs
 * a code; a catch without one catches every escalation. */
static void read_escalation(bt_loader *ld, bt_element *e, const xmlNode *d)
{
    const char *ref = nonempty(bt_load_attr(ld, d, NULL, "escalationRef"));
    const char *code = NULL;
    if (ref) {
        const xmlNode *x = root_ref(ld, e, ref, BT_ID_ESCALATION,
                                    "escalationRef", "an escalation");
        if (!x)
            return;
        code = nonempty(bt_load_attr(ld, x, NULL, "escalationCode"));
    }
    /* As Zeebe: a throw's code may be an expression, worked out when it
     * throws; a catch's is a static value. */
    if (code && code[0] == '=' && !is_throw(e)) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "the escalation code of a catch event cannot be an "
                        "expression");
        return;
    }
    if (code && code[0] == '=') {
        bt_expr_site at = site_of(e);
        e->event.code_expr =
            bt_load_compile(ld, &at, code + 1, strlen(code) - 1, BT_EXPR_FEEL);
        return;
    }
    if (is_throw(e) && !ref) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "escalation throw event has no escalationRef");
        return;
    }
    if (is_throw(e) && !code) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "escalation '%s' thrown by this event has no "
                        "escalationCode",
                        ref);
        return;
    }
    e->event.escalation_code = bt_load_dup(ld, code);
}

/* The condition, read as a sequence flow's (either dialect). Camunda 7's
 * variableName/variableEvents and Zeebe's zeebe:conditionalFilter narrow
 * the variable changes that make the engine evaluate it; evaluating it on
 * every change would trigger the event where those engines do not. */
static int has_filter(bt_loader *ld, const xmlNode *d)
{
    const xmlNode *f = bt_ext_last(d, BT_NS_ZEEBE, "conditionalFilter");
    return nonempty(bt_load_attr(ld, d, BT_NS_CAMUNDA, "variableName")) ||
           nonempty(bt_load_attr(ld, d, BT_NS_CAMUNDA, "variableEvents")) ||
           (f && (nonempty(bt_load_attr(ld, f, NULL, "variableNames")) ||
                  nonempty(bt_load_attr(ld, f, NULL, "variableEvents"))));
}

static void read_conditional(bt_loader *ld, bt_element *e, const xmlNode *d)
{
    if (has_filter(ld, d)) {
        bt_load_refuse(ld, d, e->tag, e->id,
                       "variable filters of conditional events are not "
                       "supported");
        return;
    }
    const xmlNode *c = d->children;
    while (c && !bt_is_elem_named(c, BT_NS_BPMN, "condition"))
        c = c->next;
    size_t len = 0;
    if (c)
        bt_load_text(ld, c, &len);
    if (!len) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "conditional event definition has no condition");
        return;
    }
    bt_expr_site at = site_of(e);
    e->event.condition = bt_load_formal_expr(ld, &at, c);
}

static void read_link(bt_loader *ld, bt_element *e, const xmlNode *d)
{
    const char *name = nonempty(bt_load_attr(ld, d, NULL, "name"));
    if (!name)
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "link event definition has no name");
    else
        e->event.link_name = bt_load_dup(ld, name);
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */
/* ------------------------------------------------------------------ */

static const char *const timer_tags[] = { NULL, "timeDuration", "timeDate",
                                          "timeCycle" };

/* The one timeDuration, timeDate or timeCycle of `d` (§10.5.5), with its
 * type in `*type`; NULL after reporting none or several. */
static const xmlNode *timer_child(bt_loader *ld, const bt_element *e,
                                  const xmlNode *d, int *type)
{
    const xmlNode *t = NULL;
    int n = 0;
    for (const xmlNode *c = d->children; c; c = c->next)
        for (int k = BT_TIMER_DURATION; k <= BT_TIMER_CYCLE; k++)
            if (bt_is_elem_named(c, BT_NS_BPMN, timer_tags[k])) {
                t = c;
                *type = k;
                n++;
            }
    if (n == 1)
        return t;
    bt_load_problem(ld, BATON_EMODEL, AT(e),
                    n ? "timer event definition has more than one of "
                        "timeDuration, timeDate and timeCycle"
                      : "timer event definition has no timeDuration, "
                        "timeDate or timeCycle");
    return NULL;
}

/* A timer's text: "=..." FEEL (Zeebe) and "${...}" JUEL (Camunda 7) are
 * evaluated when the timer starts; anything else is parsed now, so that a
 * definition that cannot run is refused with the model. */
/* A timer that cannot fall due whenever it starts: a cycle of no
 * repetitions (R0), or a duration that reaches past the year 9999 from
 * any time a clock gives now (checked from 2000-01-01; the loader reads
 * no clock). A cron expression whose days never occur is found when its
 * timer starts. */
static int never_due(const bt_timer_spec *t)
{
    int64_t due;
    if (t->type == BT_TIMER_CYCLE && !t->is_cron && t->repeat == 0)
        return 1;
    return !t->is_cron && bt_timer_first(t, INT64_C(946684800000), &due);
}

/* A process's timer start event is scheduled by the host before any
 * instance exists: its expression is worked out now, without variables
 * (as its name would be), and must give a timer that falls due. */
static void timer_at_deployment(bt_loader *ld, bt_element *e, int type,
                                const char *tag, const char *text)
{
    json_t *v = NULL;
    if (eval_static(ld, e->event.timer_expr, &v)) {
        ld->oom = 1;
        return;
    }
    bt_timer_spec *spec = bt_arena_alloc(ld->ar, sizeof *spec);
    char err[160];
    if (!spec)
        ld->oom = 1;
    else if (!json_is_string(v) ||
             bt_timer_parse(type, json_string_value(v), json_string_length(v),
                            spec, err, sizeof err) ||
             never_due(spec))
        bt_load_problem(ld, BATON_EEXPR, AT(e),
                        "%s '%s' of a process start event does not give a "
                        "timer that falls due without variables",
                        tag, text);
    else {
        e->event.timer = spec;
        e->event.timer_expr = NULL;
    }
    json_decref(v);
}

static void read_timer(bt_loader *ld, bt_element *e, const xmlNode *d)
{
    int type = 0;
    const xmlNode *t = timer_child(ld, e, d, &type);
    if (!t)
        return;
    const char *tag = timer_tags[type];
    /* As Zeebe: an intermediate catch event waits once. */
    if (type == BT_TIMER_CYCLE && e->kind == BT_INTERMEDIATE_CATCH_EVENT) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "intermediate timer catch events cannot have a "
                        "timeCycle");
        return;
    }
    e->event.timer_type = (uint8_t)type;
    size_t len;
    const char *text = bt_load_text(ld, t, &len);
    bt_expr_site at = site_of(e);
    if (!len) {
        bt_load_problem(ld, BATON_EMODEL, AT(e), "%s is empty", tag);
    } else if (text[0] == '=' || has_juel(text)) {
        e->event.timer_expr =
            text[0] == '='
                ? bt_load_compile(ld, &at, text + 1, len - 1, BT_EXPR_FEEL)
                : bt_load_compile(ld, &at, text, len, BT_EXPR_JUEL);
        if (e->event.timer_expr && e->kind == BT_START_EVENT &&
            e->parent < 0)
            timer_at_deployment(ld, e, type, tag, text);
    } else if (memchr(text, '[', len) && !bt_timer_has_zones()) {
        bt_load_problem(ld, BATON_EUNSUPPORTED, AT(e),
                        "%s '%s' names a time zone, which needs a build "
                        "with ICU",
                        tag, text);
    } else {
        bt_timer_spec *spec = bt_arena_alloc(ld->ar, sizeof *spec);
        char err[160];
        if (!spec)
            ld->oom = 1;
        else if (bt_timer_parse(type, text, len, spec, err, sizeof err))
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "%s '%s' is not valid: %s", tag, text, err);
        else if (never_due(spec))
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "%s '%s' never falls due (no repetition, or "
                            "beyond the year 9999)",
                            tag, text);
        else
            e->event.timer = spec;
    }
}

/* ------------------------------------------------------------------ */
/* Receive tasks                                                       */
/* ------------------------------------------------------------------ */

/* instantiate="true" makes a receive task that no flow enters a start
 * of its process (§10.3.3). */
static void instantiate(bt_loader *ld, bt_element *e)
{
    if (e->parent >= 0)
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "receive tasks with instantiate=\"true\" are only "
                        "allowed at process level");
    else if (e->n_incoming)
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "receive task with instantiate=\"true\" has "
                        "incoming sequence flows");
    else
        e->instantiate = 1;
}

/* Its message, as a message catch event's (read once it is known whether
 * the task starts the process). */
static void receive_task(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    if (bt_is_true(bt_load_attr(ld, n, NULL, "instantiate")))
        instantiate(ld, e);
    read_message(ld, e, n, "receive task");
}

void bt_load_evdef_detail(bt_loader *ld, bt_proc_build *pb, uint32_t i)
{
    bt_element *e = &pb->p->elements[i];
    const xmlNode *d = pb->evnodes[i];
    switch (e->evdef) {
    case BT_EVDEF_TIMER: read_timer(ld, e, d); break;
    case BT_EVDEF_MESSAGE:
        read_message(ld, e, d, "message event definition");
        break;
    case BT_EVDEF_SIGNAL: read_signal(ld, e, d); break;
    case BT_EVDEF_ESCALATION: read_escalation(ld, e, d); break;
    case BT_EVDEF_CONDITIONAL: read_conditional(ld, e, d); break;
    case BT_EVDEF_LINK: read_link(ld, e, d); break;
    default: break;
    }
    if (e->kind == BT_RECEIVE_TASK)
        receive_task(ld, e, pb->enodes[i]);
    /* §10.5.4: an intermediate catch event waits for its trigger. */
    if (e->kind == BT_INTERMEDIATE_CATCH_EVENT &&
        e->evdef == BT_EVDEF_NONE && !(pb->flags[i] & BT_EL_REFUSED_EVDEF))
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "intermediate catch event has no event definition");
}

/* ------------------------------------------------------------------ */
/* Links                                                               */
/* ------------------------------------------------------------------ */

/* A link event by scope and name, so that catch events are matched by
 * sorting rather than by comparing every pair. */
typedef struct link_key {
    int32_t parent;
    const char *name;
    uint32_t index;
} link_key;

static int link_order(const void *a, const void *b)
{
    const link_key *x = a, *y = b;
    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int is_link(const bt_element *e, int kind)
{
    return e->kind == kind && e->evdef == BT_EVDEF_LINK && e->event.link_name;
}

/* The link catch events of the process, sorted by scope and name;
 * reports those that share a name in their scope and those with incoming
 * flows (§10.5.4: a link pair is one sequence flow in two halves). */
static link_key *sorted_catches(bt_loader *ld, const bt_process *p,
                                uint32_t *count)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->n_elements; i++)
        n += is_link(&p->elements[i], BT_INTERMEDIATE_CATCH_EVENT);
    link_key *keys = bt_calloc(&ld->alloc, n + 1, sizeof *keys);
    if (!keys) {
        ld->oom = 1;
        return NULL;
    }
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (!is_link(e, BT_INTERMEDIATE_CATCH_EVENT))
            continue;
        if (e->n_incoming)
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "link catch event has incoming sequence flows");
        keys[*count] = (link_key){ e->parent, e->event.link_name, i };
        ++*count;
    }
    qsort(keys, n, sizeof *keys, link_order);
    for (uint32_t k = 1; k < n; k++)
        if (keys[k].parent == keys[k - 1].parent &&
            strcmp(keys[k].name, keys[k - 1].name) == 0) {
            const bt_element *e = &p->elements[keys[k].index];
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "another link catch event in this scope is "
                            "named '%s'",
                            e->event.link_name);
        }
    return keys;
}

/* The scope and name only: the first catch event of that name. */
static int link_find(const void *a, const void *b)
{
    const link_key *x = a, *y = b;
    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    return strcmp(x->name, y->name);
}

void bt_load_links(bt_loader *ld, bt_proc_build *pb)
{
    bt_process *p = pb->p;
    uint32_t n = 0;
    link_key *keys = sorted_catches(ld, p, &n);
    if (!keys)
        return;
    for (uint32_t i = 0; i < p->n_elements; i++) {
        bt_element *e = &p->elements[i];
        if (!is_link(e, BT_INTERMEDIATE_THROW_EVENT))
            continue;
        if (e->n_outgoing)
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "link throw event has outgoing sequence flows");
        link_key want = { e->parent, e->event.link_name, 0 };
        const link_key *k = bsearch(&want, keys, n, sizeof *keys, link_find);
        if (k)
            e->event.link_target = (int32_t)k->index;
        else
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "link throw event has no link catch event "
                            "named '%s' in its scope",
                            e->event.link_name);
    }
    bt_free(&ld->alloc, keys);
}

/* ------------------------------------------------------------------ */
/* Event-based gateways                                                */
/* ------------------------------------------------------------------ */

static int gateway_event(const bt_element *t)
{
    return t->kind == BT_INTERMEDIATE_CATCH_EVENT &&
           (t->evdef == BT_EVDEF_TIMER || t->evdef == BT_EVDEF_MESSAGE ||
            t->evdef == BT_EVDEF_SIGNAL || t->evdef == BT_EVDEF_CONDITIONAL);
}

/* One target of the gateway: an intermediate catch event that only the
 * gateway leads to (§10.6.6, as Zeebe: by one flow or several).
 * Zeebe runs no receive task there, and Baton does not either. */
static void gateway_target(bt_loader *ld, const bt_proc_build *pb,
                           uint32_t gi, int32_t target, const int32_t *only)
{
    const bt_element *g = &pb->p->elements[gi];
    const bt_element *t = &pb->p->elements[target];
    if (t->kind == BT_RECEIVE_TASK) {
        bt_load_problem(ld, BATON_EUNSUPPORTED, AT(g),
                        "receive tasks after an event-based gateway are "
                        "not supported");
        return;
    }
    if (!gateway_event(t)) {
        /* A refused definition has its problem already. */
        if (!(pb->flags[target] & BT_EL_REFUSED_EVDEF))
            bt_load_problem(ld, BATON_EMODEL, AT(g),
                            "'%s' after the event-based gateway is not an "
                            "intermediate catch event with a timer, "
                            "message, signal or conditional definition",
                            t->id);
        return;
    }
    if (only[target] != (int32_t)gi)
        bt_load_problem(ld, BATON_EMODEL, AT(g),
                        "'%s' after the event-based gateway has other "
                        "incoming sequence flows",
                        t->id);
}

static void event_gateway(bt_loader *ld, const bt_proc_build *pb,
                          uint32_t i, const int32_t *only)
{
    const bt_element *g = &pb->p->elements[i];
    const xmlNode *n = pb->enodes[i];
    if (bt_is_true(bt_load_attr(ld, n, NULL, "instantiate"))) {
        bt_load_refuse(ld, n, g->tag, g->id,
                       "event-based gateways that start a process "
                       "(instantiate=\"true\") are not supported");
        return;
    }
    const char *type = bt_load_attr(ld, n, NULL, "eventGatewayType");
    if (type && strcmp(type, "Parallel") == 0) {
        bt_load_refuse(ld, n, g->tag, g->id,
                       "parallel event-based gateways "
                       "(eventGatewayType=\"Parallel\") are not supported");
        return;
    }
    if (g->n_outgoing < 2)
        bt_load_problem(ld, BATON_EMODEL, AT(g),
                        "event-based gateway has fewer than two outgoing "
                        "sequence flows");
    for (uint32_t k = 0; k < g->n_outgoing; k++) {
        int32_t t = pb->ftarget[g->outgoing[k]];
        if (t >= 0)
            gateway_target(ld, pb, i, t, only);
    }
}

/* The element every incoming flow of each element comes from: -1 for
 * none, -2 for several (or one unresolved). */
static int32_t *only_sources(bt_loader *ld, const bt_proc_build *pb)
{
    const bt_process *p = pb->p;
    int32_t *only = bt_calloc(&ld->alloc, p->n_elements + 1, sizeof *only);
    if (!only) {
        ld->oom = 1;
        return NULL;
    }
    for (uint32_t i = 0; i < p->n_elements; i++)
        only[i] = -1;
    for (uint32_t f = 0; f < p->n_flows; f++) {
        int32_t s = pb->fsource[f], t = pb->ftarget[f];
        if (t >= 0)
            only[t] = only[t] == -1 || only[t] == s ? (s >= 0 ? s : -2) : -2;
    }
    return only;
}

void bt_load_event_gateways(bt_loader *ld, const bt_proc_build *pb)
{
    const bt_process *p = pb->p;
    int32_t *only = NULL;
    for (uint32_t i = 0; i < p->n_elements && !ld->oom; i++) {
        if (p->elements[i].kind != BT_EVENT_BASED_GATEWAY)
            continue;
        if (!only && !(only = only_sources(ld, pb)))
            return;
        event_gateway(ld, pb, i, only);
    }
    bt_free(&ld->alloc, only);
}
