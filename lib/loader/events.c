/* The event half of the BPMN loader: where event definitions may sit,
 * the details of error and compensation definitions, the scopes that
 * processes and subprocesses open (their start events and event
 * subprocesses), boundary events, and the compensation handlers that
 * associations name; the other definitions' details are evdefs.c's. It
 * runs on a process whose elements and flows bpmn.c has read, and only
 * fills in and checks the fields the engine reads (start, starts,
 * event_subprocesses, boundaries, compensation_handler, attached_to,
 * error_code, activity_ref, ...). */
#include "loader/loader.h"

#include <stdint.h>

#include "baton.h"

#define AT(e) (int)(e)->line, 0, (e)->tag, (e)->id

static int in_event_subprocess(const bt_process *p, const bt_element *e)
{
    return e->parent >= 0 && p->elements[e->parent].scope.triggered_by_event;
}

/* The definitions Baton runs, by the local name of their element, and
 * what messages call them. */
static const struct evdef_name {
    const char *tag;
    int evdef;
    const char *what;
} evdef_names[] = {
    { "terminateEventDefinition", BT_EVDEF_TERMINATE, "terminate" },
    { "errorEventDefinition", BT_EVDEF_ERROR, "error" },
    { "compensateEventDefinition", BT_EVDEF_COMPENSATE, "compensation" },
    { "timerEventDefinition", BT_EVDEF_TIMER, "timer" },
    { "messageEventDefinition", BT_EVDEF_MESSAGE, "message" },
    { "signalEventDefinition", BT_EVDEF_SIGNAL, "signal" },
    { "escalationEventDefinition", BT_EVDEF_ESCALATION, "escalation" },
    { "linkEventDefinition", BT_EVDEF_LINK, "link" },
    { "conditionalEventDefinition", BT_EVDEF_CONDITIONAL, "conditional" },
    { "cancelEventDefinition", BT_EVDEF_CANCEL, "cancel" },
};

static const struct evdef_name *evdef_named(const char *tag)
{
    for (size_t i = 0; i < sizeof evdef_names / sizeof evdef_names[0]; i++)
        if (strcmp(evdef_names[i].tag, tag) == 0)
            return &evdef_names[i];
    return NULL;
}

static const char *kind_plural(int kind)
{
    switch (kind) {
    case BT_START_EVENT: return "start events";
    case BT_END_EVENT: return "end events";
    case BT_INTERMEDIATE_THROW_EVENT: return "intermediate throw events";
    case BT_INTERMEDIATE_CATCH_EVENT: return "intermediate catch events";
    default: return "boundary events";
    }
}

/* Where a start event's definition may not sit (§10.5.2, Table 10.84,
 * §10.3.5): error, escalation and compensation start events trigger
 * event subprocesses only; an embedded subprocess starts from its none
 * start event; a process from none, timer, message and signal start
 * events, since a conditional one would wait on variables that no
 * instance has yet. Returns 1 after reporting, 0 when the kind table
 * decides. */
static int start_misplaced(bt_loader *ld, const bt_process *p,
                           const bt_element *e, const xmlNode *c,
                           const struct evdef_name *n, int allowed)
{
    if (in_event_subprocess(p, e)) {
        const char *msg =
            bt_load_refusal(BT_REFUSE_EVSUB_START, BT_NS_BPMN, n->tag);
        if (!msg && n->evdef == BT_EVDEF_COMPENSATE &&
            p->elements[e->parent].parent < 0)
            msg = "compensation event subprocesses of a process are not "
                  "supported (they would run when the call activity that "
                  "called the process is compensated)";
        if (msg)
            bt_load_refuse(ld, c, e->tag, e->id, msg);
        return msg != NULL;
    }
    if (n->evdef == BT_EVDEF_ERROR || n->evdef == BT_EVDEF_COMPENSATE ||
        n->evdef == BT_EVDEF_ESCALATION) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "%s start events are only allowed in event "
                        "subprocesses",
                        n->what);
        return 1;
    }
    if (!allowed)
        return 0;
    if (e->parent >= 0) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "%s start events are not allowed in embedded "
                        "subprocesses",
                        n->what);
        return 1;
    }
    if (n->evdef == BT_EVDEF_CONDITIONAL) {
        bt_load_refuse(ld, c, e->tag, e->id,
                       "conditional start events of a process are not "
                       "supported");
        return 1;
    }
    return 0;
}

int bt_load_evdef(bt_loader *ld, const bt_process *p, const bt_element *e,
                  const xmlNode *c)
{
    const char *t = bt_tag_of(c);
    const struct evdef_name *n = evdef_named(t);
    if (!n) {
        bt_load_refuse(ld, c, e->tag, e->id,
                       bt_load_refusal(BT_REFUSE_EVDEF, BT_NS_BPMN, t));
        return -1;
    }
    /* What the kind may carry is the kind table's (model/kinds.def). */
    int allowed = (bt_kinds[e->kind].evdefs & (1u << n->evdef)) != 0;
    if (e->kind == BT_START_EVENT &&
        start_misplaced(ld, p, e, c, n, allowed))
        return -1;
    if (allowed)
        return n->evdef;
    if (n->evdef == BT_EVDEF_TERMINATE) {
        /* BPMN 2.0.2 Table 10.90: terminate is an end event's. */
        bt_load_refuse(ld, c, e->tag, e->id,
                       "terminate event definitions are only supported on "
                       "end events");
    } else {
        /* Tables 10.84 to 10.93 say which definitions each kind of event
         * takes; an intermediate error event, for one, only catches, on
         * the boundary of an activity (§10.5.4). */
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "%s event definitions are not allowed on %s",
                        n->what, kind_plural(e->kind));
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Flows                                                               */
/* ------------------------------------------------------------------ */

/* What a sequence flow may not leave or enter, by BPMN 2.0.2: an event
 * subprocess (§10.3.5), a compensation handler (§10.7.1), a compensation
 * boundary event, whose handler is reached by association only (§10.7.1),
 * and any boundary event as a target (§10.5.4). */
static const char *no_flow_out(const bt_element *e)
{
    if (e->kind == BT_SUB_PROCESS && e->scope.triggered_by_event)
        return "event subprocess";
    if (e->is_for_compensation)
        return "compensation handler";
    if (e->kind == BT_BOUNDARY_EVENT && e->evdef == BT_EVDEF_COMPENSATE)
        return "compensation boundary event";
    return NULL;
}

static const char *no_flow_in(const bt_element *e)
{
    if (e->kind == BT_SUB_PROCESS && e->scope.triggered_by_event)
        return "event subprocess";
    if (e->is_for_compensation)
        return "compensation handler";
    if (e->kind == BT_BOUNDARY_EVENT)
        return "boundary event";
    return NULL;
}

void bt_load_check_flow(bt_loader *ld, const bt_proc_build *pb,
                        uint32_t index, int32_t src, int32_t dst)
{
    const bt_process *p = pb->p;
    const bt_flow *f = &p->flows[index];
    const bt_element *s = src >= 0 ? &p->elements[src] : NULL;
    const bt_element *t = dst >= 0 ? &p->elements[dst] : NULL;
    const char *what;
    if (s && (what = no_flow_out(s)))
        bt_load_problem(ld, BATON_EMODEL, (int)f->line, 0, "sequenceFlow",
                        f->id, "sequence flow leaves %s '%s'", what, s->id);
    if (t && (what = no_flow_in(t)))
        bt_load_problem(ld, BATON_EMODEL, (int)f->line, 0, "sequenceFlow",
                        f->id, "sequence flow enters %s '%s'", what, t->id);
    /* §10.3.5: a sequence flow stays inside the (sub)process that holds
     * it, with both its ends. */
    int32_t scope = pb->fparent[index];
    if ((s && s->parent != scope) || (t && t->parent != scope))
        bt_load_problem(ld, BATON_EMODEL, (int)f->line, 0, "sequenceFlow",
                        f->id, "sequence flow crosses a subprocess boundary");
}

/* ------------------------------------------------------------------ */
/* Event definitions                                                   */
/* ------------------------------------------------------------------ */

/* An element of this process named by `ref`: its index, -1 when `ref`
 * names something else (reported by the caller), -2 when it names
 * something already refused (not reported again). */
static int32_t element_ref(const bt_loader *ld, const bt_proc_build *pb,
                           const char *ref)
{
    int32_t proc = -1, index = -1;
    int what = bt_load_ref(ld, ref, &proc, &index);
    if (proc != pb->index)
        return -1;
    if (what == BT_ID_REFUSED)
        return -2;
    return what == BT_ID_ELEMENT ? index : -1;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* errorRef → error_code (§10.5.5). A catch without a code catches every
 * error; a throw needs one. */
static void read_error(bt_loader *ld, bt_element *e, const xmlNode *d)
{
    const char *ref = nonempty(bt_load_attr(ld, d, NULL, "errorRef"));
    const char *code = NULL;
    if (ref) {
        int32_t proc, k;
        if (bt_load_ref(ld, ref, &proc, &k) != BT_ID_ERROR) {
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "errorRef '%s' is not an error of this document",
                            ref);
            return;
        }
        code = nonempty(bt_load_attr(ld, ld->roots[k], NULL, "errorCode"));
    }
    /* As Zeebe: the code an end event throws may be an expression,
     * worked out when it throws; a catch's is a static value. */
    if (code && code[0] == '=' && e->kind != BT_END_EVENT) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "the error code of a catch event cannot be an "
                        "expression");
        return;
    }
    if (code && code[0] == '=') {
        bt_expr_site at = { e->tag, e->id, (int)e->line };
        e->event.code_expr =
            bt_load_compile(ld, &at, code + 1, strlen(code) - 1, BT_EXPR_FEEL);
        return;
    }
    if (e->kind == BT_END_EVENT) {
        if (!ref)
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "error end event has no errorRef");
        else if (!code)
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "error '%s' thrown by this end event has no "
                            "errorCode",
                            ref);
    } else {
        bt_load_caught_error(ld, e, d);
    }
    e->event.error_code = bt_load_dup(ld, code);
}

/* activityRef and waitForCompletion of a compensation throw (§10.5.5):
 * the activity sits in the throw's scope or, from an event subprocess,
 * in the scope that holds the event subprocess. */
static void read_compensate(bt_loader *ld, const bt_proc_build *pb,
                            bt_element *e, const xmlNode *d)
{
    const bt_process *p = pb->p;
    e->event.wait_for_completion =
        !bt_is_false(bt_load_attr(ld, d, NULL, "waitForCompletion"));
    const char *ref = nonempty(bt_load_attr(ld, d, NULL, "activityRef"));
    if (!ref)
        return;
    int32_t k = element_ref(ld, pb, ref);
    if (k == -2)
        return;
    int32_t outer = in_event_subprocess(p, e)
                        ? p->elements[e->parent].parent
                        : e->parent;
    const bt_element *a = k >= 0 ? &p->elements[k] : NULL;
    if (!a || !bt_is_activity(a->kind) || a->scope.triggered_by_event ||
        a->is_for_compensation ||
        (a->parent != e->parent && a->parent != outer)) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "activityRef '%s' is not an activity in the scope "
                        "of this event",
                        ref);
        return;
    }
    e->event.activity_ref = k;
}

/* ------------------------------------------------------------------ */
/* Scopes, boundary events, compensation handlers                      */
/* ------------------------------------------------------------------ */

typedef struct events_build {
    uint32_t *starts;    /* start events per scope: [0] process, [i+1] i */
    uint8_t *refused;    /* a start event of the scope was refused */
    uint32_t *n_evsubs;  /* event subprocesses per scope, same slots */
    uint32_t *n_bounds;  /* boundary events per activity */
    uint32_t *n_assocs;  /* handler associations per boundary event */
    uint8_t *comp_bound; /* the activity has a compensation boundary */
    uint8_t *handles;    /* the handler already compensates an activity */
} events_build;

/* The start event of an event subprocess: exactly one, with a
 * definition, its trigger. isInterrupting (§10.5.2) says whether it ends
 * the scope's other work; an error start event always does. */
static void event_subprocess_start(bt_loader *ld, bt_proc_build *pb,
                                   events_build *b, uint32_t i)
{
    bt_element *e = &pb->p->elements[i];
    bt_element *sc = &pb->p->elements[e->parent];
    uint32_t slot = (uint32_t)(e->parent + 1);
    if (++b->starts[slot] > 1) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "event subprocess has more than one start event");
        return;
    }
    if (e->evdef == BT_EVDEF_NONE) {
        b->refused[slot] = 1;
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "the start event of an event subprocess needs an "
                        "event definition");
        return;
    }
    const char *v = bt_load_attr(ld, pb->enodes[i], NULL, "isInterrupting");
    if (e->evdef == BT_EVDEF_ERROR && bt_is_false(v)) {
        b->refused[slot] = 1;
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "error start events are always interrupting");
        return;
    }
    e->event.interrupting = !bt_is_false(v);
    sc->scope.start = (int32_t)i;
}

/* One start event, in the scope it starts (§10.5.2, §10.3.5): an
 * embedded subprocess has exactly one none start event, a process at most
 * one, besides its timer, message and signal start events (which
 * bt_load_evdef kept at process level). */
static void start_event(bt_loader *ld, bt_proc_build *pb, events_build *b,
                        uint32_t i)
{
    bt_process *p = pb->p;
    bt_element *e = &p->elements[i];
    bt_element *sc = e->parent >= 0 ? &p->elements[e->parent] : NULL;
    uint32_t slot = (uint32_t)(e->parent + 1);
    if (pb->flags[i] & BT_EL_REFUSED_EVDEF) {
        b->refused[slot] = 1;
        return;
    }
    if (sc && sc->scope.triggered_by_event) {
        event_subprocess_start(ld, pb, b, i);
        return;
    }
    if (e->evdef != BT_EVDEF_NONE)
        return;
    if (++b->starts[slot] == 1) {
        if (sc)
            sc->scope.start = (int32_t)i;
        else
            p->start = (int32_t)i;
    } else {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "%s has more than one none start event",
                        sc ? "subprocess" : "process");
    }
}

/* Whether element `e` starts its process: a start event at process level
 * that bt_load_evdef kept, or a receive task with instantiate="true". */
static int starts_process(const bt_proc_build *pb, const bt_element *e)
{
    if (e->parent >= 0)
        return 0;
    if (e->kind == BT_RECEIVE_TASK)
        return e->instantiate;
    return e->kind == BT_START_EVENT &&
           !(pb->flags[e - pb->p->elements] & BT_EL_REFUSED_EVDEF);
}

/* p->starts, in document order. */
static void list_starts(bt_loader *ld, bt_proc_build *pb)
{
    bt_process *p = pb->p;
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->n_elements; i++)
        n += (uint32_t)starts_process(pb, &p->elements[i]);
    if (!n)
        return;
    if (!(p->starts = bt_arena_alloc(ld->ar, n * sizeof *p->starts))) {
        ld->oom = 1;
        return;
    }
    for (uint32_t i = 0; i < p->n_elements; i++)
        if (starts_process(pb, &p->elements[i]))
            p->starts[p->n_starts++] = i;
}

/* attachedToRef and cancelActivity (§10.5.4): an activity of the same
 * scope; an error boundary always interrupts. */
static void boundary_event(bt_loader *ld, bt_proc_build *pb, events_build *b,
                           uint32_t i)
{
    bt_process *p = pb->p;
    bt_element *e = &p->elements[i];
    const xmlNode *n = pb->enodes[i];
    e->event.cancel_activity =
        !bt_is_false(bt_load_attr(ld, n, NULL, "cancelActivity"));
    if (!(pb->flags[i] & BT_EL_REFUSED_EVDEF) && e->evdef == BT_EVDEF_NONE)
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "boundary event has no event definition");
    if (e->evdef == BT_EVDEF_ERROR && !e->event.cancel_activity)
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "error boundary events are always interrupting "
                        "(cancelActivity must be true)");
    const char *ref = nonempty(bt_load_attr(ld, n, NULL, "attachedToRef"));
    if (!ref) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "boundary event has no attachedToRef");
        return;
    }
    int32_t k = element_ref(ld, pb, ref);
    if (k == -2)
        return;
    const bt_element *a = k >= 0 ? &p->elements[k] : NULL;
    if (!a || !bt_is_activity(a->kind)) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "attachedToRef '%s' is not an activity of this "
                        "process",
                        ref);
        return;
    }
    /* §10.3.5: an event subprocess starts from its own start event. */
    if (a->scope.triggered_by_event) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "boundary events cannot be attached to event "
                        "subprocess '%s'",
                        ref);
        return;
    }
    if (a->parent != e->parent) {
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "boundary event is not in the scope of its "
                        "activity '%s'",
                        ref);
        return;
    }
    if (e->evdef == BT_EVDEF_COMPENSATE) {
        if (b->comp_bound[k]) {
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "activity '%s' has more than one compensation "
                            "boundary event",
                            ref);
            return;
        }
        b->comp_bound[k] = 1;
    }
    e->event.attached_to = k;
    b->n_bounds[k]++;
}

/* A compensation boundary event names its handler by an association
 * (§10.7.1); other associations (to text annotations, between anything
 * else) change nothing. */
static void association(bt_loader *ld, bt_proc_build *pb, events_build *b,
                        const xmlNode *an)
{
    bt_process *p = pb->p;
    int32_t src =
        element_ref(ld, pb, bt_load_attr(ld, an, NULL, "sourceRef"));
    if (src < 0 || p->elements[src].kind != BT_BOUNDARY_EVENT ||
        p->elements[src].evdef != BT_EVDEF_COMPENSATE)
        return;
    const bt_element *be = &p->elements[src];
    const char *aid = bt_load_attr(ld, an, NULL, "id");
    aid = aid ? aid : "";
    const char *tref = bt_load_attr(ld, an, NULL, "targetRef");
    int32_t h = element_ref(ld, pb, tref);
    if (h == -1)
        return; /* an annotation, a data object, ... */
    if (b->n_assocs[src]++) {
        bt_load_problem(ld, BATON_EMODEL, AT(be),
                        "compensation boundary event has more than one "
                        "association to an activity");
        return;
    }
    if (h == -2)
        return;
    const char *dir = bt_load_attr(ld, an, NULL, "associationDirection");
    if (dir && *dir && strcmp(dir, "One") != 0) {
        bt_load_problem(ld, BATON_EMODEL, AT(be),
                        "association '%s' to the compensation handler has "
                        "associationDirection '%s', not One",
                        aid, dir);
        return;
    }
    const bt_element *he = &p->elements[h];
    if (!bt_is_activity(he->kind) || !he->is_for_compensation) {
        bt_load_problem(ld, BATON_EMODEL, AT(be),
                        "association '%s' leads to '%s', which is not an "
                        "activity with isForCompensation=\"true\"",
                        aid, he->id);
        return;
    }
    if (he->parent != be->parent) {
        bt_load_problem(ld, BATON_EMODEL, AT(be),
                        "compensation handler '%s' is not in the scope of "
                        "its activity",
                        he->id);
        return;
    }
    /* The engine finds the compensated activity from its handler. */
    if (b->handles[h]) {
        bt_load_problem(ld, BATON_EMODEL, AT(be),
                        "compensation handler '%s' already compensates "
                        "another activity",
                        he->id);
        return;
    }
    b->handles[h] = 1;
    if (be->event.attached_to >= 0) {
        p->elements[be->event.attached_to].compensation_handler = h;
        p->elements[h].compensates = be->event.attached_to;
    }
}

/* A compensation event subprocess replaces the default compensation of
 * the subprocess that holds it (BPMN 2.0.2 §10.6.5): one per subprocess,
 * and not beside a compensation handler of its own or on a loop, whose
 * inner instances are compensated one by one. */
static void comp_event_subprocesses(bt_loader *ld, bt_proc_build *pb)
{
    bt_process *p = pb->p;
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *esp = &p->elements[i];
        if (esp->kind != BT_SUB_PROCESS || !esp->scope.triggered_by_event ||
            esp->scope.start < 0 || esp->parent < 0 ||
            p->elements[esp->scope.start].evdef != BT_EVDEF_COMPENSATE)
            continue;
        bt_element *s = &p->elements[esp->parent];
        if (s->scope.comp_esp >= 0)
            bt_load_problem(ld, BATON_EMODEL, AT(esp),
                            "subprocess '%s' has more than one compensation "
                            "event subprocess",
                            s->id);
        else if (s->compensation_handler >= 0 || s->loop)
            bt_load_refuse(ld, pb->enodes[i], esp->tag, esp->id,
                           s->loop ? "a compensation event subprocess in a "
                                     "subprocess with loop characteristics "
                                     "is not supported"
                                   : "a compensation event subprocess in a "
                                     "subprocess that has a compensation "
                                     "handler is not supported");
        else
            s->scope.comp_esp = (int32_t)i;
    }
}

/* Arena arrays for the lists counted in b, filled in document order. */
static void fill_lists(bt_loader *ld, bt_proc_build *pb, events_build *b)
{
    bt_process *p = pb->p;
    for (uint32_t i = 0; i <= p->n_elements; i++) {
        uint32_t n = b->n_evsubs[i];
        uint32_t **list = i ? &p->elements[i - 1].scope.event_subprocesses
                            : &p->event_subprocesses;
        if (n && !(*list = bt_arena_alloc(ld->ar, n * sizeof **list)))
            ld->oom = 1;
        if (i < p->n_elements && b->n_bounds[i] &&
            !(p->elements[i].boundaries = bt_arena_alloc(
                  ld->ar, b->n_bounds[i] * sizeof(uint32_t))))
            ld->oom = 1;
    }
    if (ld->oom)
        return;
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (e->kind == BT_SUB_PROCESS && e->scope.triggered_by_event) {
            if (e->parent >= 0) {
                bt_element *sc = &p->elements[e->parent];
                bt_scope_def *d = &sc->scope;
                d->event_subprocesses[d->n_event_subprocesses++] = i;
            } else {
                p->event_subprocesses[p->n_event_subprocesses++] = i;
            }
        }
        if (e->kind == BT_BOUNDARY_EVENT && e->event.attached_to >= 0) {
            bt_element *a = &p->elements[e->event.attached_to];
            a->boundaries[a->n_boundaries++] = i;
        }
    }
}

void bt_load_events(bt_loader *ld, bt_proc_build *pb)
{
    bt_process *p = pb->p;
    const bt_alloc *a = &ld->alloc;
    size_t n = (size_t)p->n_elements + 1;
    events_build b;
    b.starts = bt_calloc(a, n, sizeof(uint32_t));
    b.refused = bt_calloc(a, n, 1);
    b.n_evsubs = bt_calloc(a, n, sizeof(uint32_t));
    b.n_bounds = bt_calloc(a, n, sizeof(uint32_t));
    b.n_assocs = bt_calloc(a, n, sizeof(uint32_t));
    b.comp_bound = bt_calloc(a, n, 1);
    b.handles = bt_calloc(a, n, 1);
    if (!b.starts || !b.refused || !b.n_evsubs || !b.n_bounds ||
        !b.n_assocs || !b.comp_bound || !b.handles) {
        ld->oom = 1;
        goto out;
    }
    for (uint32_t i = 0; i < p->n_elements; i++) {
        bt_element *e = &p->elements[i];
        const xmlNode *d = pb->evnodes[i];
        if (e->evdef == BT_EVDEF_ERROR)
            read_error(ld, e, d);
        else if (e->evdef == BT_EVDEF_COMPENSATE &&
                 e->kind != BT_BOUNDARY_EVENT && e->kind != BT_START_EVENT)
            read_compensate(ld, pb, e, d);
        else
            bt_load_evdef_detail(ld, pb, i);
        if (e->kind == BT_START_EVENT)
            start_event(ld, pb, &b, i);
        else if (e->kind == BT_BOUNDARY_EVENT)
            boundary_event(ld, pb, &b, i);
        else if (e->kind == BT_SUB_PROCESS && e->scope.triggered_by_event)
            b.n_evsubs[e->parent + 1]++;
    }
    list_starts(ld, pb);
    bt_load_scope_starts(ld, pb, b.starts, b.refused);
    bt_load_links(ld, pb);
    bt_load_event_gateways(ld, pb);
    for (uint32_t i = 0; i < pb->n_assoc; i++)
        association(ld, pb, &b, pb->anodes[i]);
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (e->kind == BT_BOUNDARY_EVENT && e->evdef == BT_EVDEF_COMPENSATE &&
            !b.n_assocs[i])
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "compensation boundary event has no association "
                            "to a compensation handler");
    }
    bt_load_transactions(ld, pb);
    comp_event_subprocesses(ld, pb);
    fill_lists(ld, pb, &b);
out:
    bt_free(a, b.starts);
    bt_free(a, b.refused);
    bt_free(a, b.n_evsubs);
    bt_free(a, b.n_bounds);
    bt_free(a, b.n_assocs);
    bt_free(a, b.comp_bound);
    bt_free(a, b.handles);
}
