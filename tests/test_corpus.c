/* Every BPMN file of the corpus (models written by others, see
 * $BATON_CORPUS/README.md) either loads into a coherent model or is
 * refused with a located, non-empty reason. One line per file goes to
 * stdout for review; a few outcomes are pinned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baton.h"
#include "corpus_files.h"
#include "loader/model_load.h"

static const char *corpus;
static char **files;
static size_t n_files;

typedef struct outcome {
    int rc;
    int n;
    bt_problem first; /* strings copied below */
    char tag[64], id[256], message[512];
} outcome;

static void on_problem(void *ud, const bt_problem *p)
{
    outcome *o = ud;
    assert_non_null(p->message);
    assert_true(p->message[0] != '\0');
    if (o->n++)
        return;
    o->first = *p;
    snprintf(o->tag, sizeof o->tag, "%s", p->tag ? p->tag : "");
    snprintf(o->id, sizeof o->id, "%s", p->id ? p->id : "");
    snprintf(o->message, sizeof o->message, "%s", p->message);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static const char *code_name(int code)
{
    switch (code) {
    case BATON_ENOMEM: return "ENOMEM";
    case BATON_EPARSE: return "EPARSE";
    case BATON_EUNSUPPORTED: return "EUNSUPPORTED";
    case BATON_EMODEL: return "EMODEL";
    case BATON_ELIMIT: return "ELIMIT";
    case BATON_EEXPR: return "EEXPR";
    default: return "E?";
    }
}

/* An element index that is in range, or -1 where `none_ok`. */
static void check_index(const char *rel, const bt_process *p, int32_t i,
                        int none_ok, const char *what)
{
    if ((i == -1 && none_ok) || (i >= 0 && (uint32_t)i < p->n_elements))
        return;
    fail_msg("%s: process %s: %s %d out of range", rel, p->id, what, (int)i);
}

static int is_activity(int kind)
{
    return (kind >= BT_TASK && kind <= BT_MANUAL_TASK) ||
           kind == BT_SUB_PROCESS || kind == BT_RECEIVE_TASK;
}

/* What each event definition needs to run: a timer its time, a message
 * or signal catch its name, a condition its expression, a link throw its
 * catch event in its scope. */
static void check_event(const char *rel, const bt_process *p,
                        const bt_element *e)
{
    check_index(rel, p, e->event.link_target, 1, "link_target");
    switch (e->evdef) {
    case BT_EVDEF_TIMER:
        assert_true(e->event.timer_type >= BT_TIMER_DURATION &&
                    e->event.timer_type <= BT_TIMER_CYCLE);
        assert_true(e->event.timer || e->event.timer_expr);
        break;
    case BT_EVDEF_SIGNAL:
        assert_true(e->event.name || e->event.name_expr);
        break;
    case BT_EVDEF_MESSAGE:
        if (e->kind == BT_END_EVENT || e->kind == BT_INTERMEDIATE_THROW_EVENT)
            assert_true(e->job.type || e->job.type_expr);
        else
            assert_true(e->event.name || e->event.name_expr);
        break;
    case BT_EVDEF_CONDITIONAL:
        assert_non_null(e->event.condition);
        break;
    case BT_EVDEF_LINK:
        assert_non_null(e->event.link_name);
        if (e->kind == BT_INTERMEDIATE_THROW_EVENT) {
            check_index(rel, p, e->event.link_target, 0, "link throw");
            const bt_element *c = &p->elements[e->event.link_target];
            assert_int_equal(c->kind, BT_INTERMEDIATE_CATCH_EVENT);
            assert_int_equal(c->parent, e->parent);
            assert_string_equal(c->event.link_name, e->event.link_name);
        }
        break;
    default:
        break;
    }
    if (e->kind == BT_RECEIVE_TASK)
        assert_true(e->event.name || e->event.name_expr);
}

/* Flow nodes that start their scope `parent` for want of a start event:
 * in that scope, without incoming flows, and not started otherwise. */
static void check_implicit(const char *rel, const bt_process *p,
                           const uint32_t *list, uint32_t n, int32_t parent)
{
    for (uint32_t k = 0; k < n; k++) {
        check_index(rel, p, (int32_t)list[k], 0, "implicit start");
        const bt_element *s = &p->elements[list[k]];
        assert_int_equal(s->parent, parent);
        assert_int_equal(s->n_incoming, 0);
        assert_int_equal(s->is_for_compensation, 0);
        assert_int_not_equal(s->kind, BT_START_EVENT);
        assert_int_not_equal(s->kind, BT_BOUNDARY_EVENT);
        if (k)
            assert_true(list[k] > list[k - 1]);
    }
}

/* The starts of a process: at most its one none start event, and every
 * start at process level; without any, its implicit starts. */
static void check_starts(const char *rel, const bt_process *p)
{
    if (p->n_starts)
        assert_int_equal(p->n_implicit_starts, 0);
    check_implicit(rel, p, p->implicit_starts, p->n_implicit_starts, -1);
    check_index(rel, p, p->start, 1, "start");
    if (p->start >= 0) {
        assert_int_equal(p->elements[p->start].kind, BT_START_EVENT);
        assert_int_equal(p->elements[p->start].evdef, BT_EVDEF_NONE);
    }
    for (uint32_t k = 0; k < p->n_starts; k++) {
        check_index(rel, p, (int32_t)p->starts[k], 0, "starts");
        const bt_element *s = &p->elements[p->starts[k]];
        assert_int_equal(s->parent, -1);
        if (s->kind == BT_RECEIVE_TASK)
            assert_true(s->instantiate);
        else
            assert_int_equal(s->kind, BT_START_EVENT);
    }
}

/* Scopes, boundary events and compensation point where they should. */
static void check_links(const char *rel, const bt_process *p,
                        const bt_element *e, uint32_t k)
{
    check_index(rel, p, e->parent, 1, "parent");
    if (e->parent >= 0)
        assert_int_equal(p->elements[e->parent].kind, BT_SUB_PROCESS);
    check_index(rel, p, e->scope.start, 1, "start");
    check_index(rel, p, e->event.attached_to, 1, "attached_to");
    check_index(rel, p, e->compensation_handler, 1, "compensation_handler");
    check_index(rel, p, e->event.activity_ref, 1, "activity_ref");
    if (e->kind == BT_SUB_PROCESS && e->scope.start < 0) {
        assert_int_equal(e->scope.triggered_by_event, 0);
        check_implicit(rel, p, e->scope.implicit_starts,
                       e->scope.n_implicit_starts, (int32_t)k);
    } else if (e->kind == BT_SUB_PROCESS) {
        assert_int_equal(e->scope.n_implicit_starts, 0);
        check_index(rel, p, e->scope.start, 0, "subprocess start");
        assert_int_equal(p->elements[e->scope.start].kind, BT_START_EVENT);
        assert_int_equal(p->elements[e->scope.start].parent, (int32_t)k);
        if (e->scope.triggered_by_event) {
            assert_int_not_equal(p->elements[e->scope.start].evdef,
                                 BT_EVDEF_NONE);
            assert_int_equal(e->n_incoming + e->n_outgoing, 0);
        }
    } else {
        assert_int_equal(e->scope.start, -1);
        assert_int_equal(e->scope.n_event_subprocesses, 0);
    }
    for (uint32_t j = 0; j < e->scope.n_event_subprocesses; j++) {
        const bt_element *s = &p->elements[e->scope.event_subprocesses[j]];
        assert_true(s->scope.triggered_by_event);
        assert_int_equal(s->parent, (int32_t)k);
    }
    for (uint32_t j = 0; j < e->n_boundaries; j++) {
        assert_true(e->boundaries[j] < p->n_elements);
        assert_int_equal(p->elements[e->boundaries[j]].event.attached_to,
                         (int32_t)k);
    }
    if (e->kind == BT_BOUNDARY_EVENT) {
        check_index(rel, p, e->event.attached_to, 0, "boundary attached_to");
        assert_true(is_activity(p->elements[e->event.attached_to].kind));
        assert_int_equal(p->elements[e->event.attached_to].parent, e->parent);
    } else {
        assert_int_equal(e->event.attached_to, -1);
    }
    if (e->compensation_handler >= 0) {
        const bt_element *h = &p->elements[e->compensation_handler];
        assert_true(h->is_for_compensation);
        assert_int_equal(h->n_incoming + h->n_outgoing, 0);
    }
    if (e->event.activity_ref >= 0)
        assert_true(is_activity(p->elements[e->event.activity_ref].kind));
    if (e->evdef == BT_EVDEF_ERROR && e->kind == BT_END_EVENT)
        assert_non_null(e->event.error_code);
    check_event(rel, p, e);
}

/* The joins listed for scope `scope` (-1: the process level): every
 * element of that scope where tokens wait for others, in order. */
static void check_joins(const char *rel, const bt_process *p, int32_t scope)
{
    const bt_scope_joins *sj = bt_joins_of(p, scope);
    uint32_t n = 0, reachable = 0;
    for (uint32_t k = 0; k < p->n_elements; k++) {
        const bt_element *e = &p->elements[k];
        if (e->parent != scope || !bt_el_joins(e))
            continue;
        if (n >= sj->n_joins || sj->joins[n] != k)
            fail_msg("%s: process %s: join %s not listed in its scope", rel,
                     p->id, e->id);
        n++;
        reachable += e->kind == BT_INCLUSIVE_GATEWAY;
    }
    assert_int_equal(sj->n_joins, n);
    assert_int_equal(sj->n_reachable, reachable);
}

/* A loaded model must be coherent: indices in range, the lists of
 * incoming and outgoing flows mirror the flows, executable processes have
 * a start, scopes, boundary events, compensation handlers and links point
 * where they should, and event definitions have what they run on. */
static void check_model(const char *rel, const baton_model *m)
{
    for (uint32_t i = 0; i < m->n_processes; i++) {
        const bt_process *p = &m->processes[i];
        assert_non_null(p->id);
        if (!p->executable) {
            assert_int_equal(p->n_elements, 0);
            continue;
        }
        check_starts(rel, p);
        check_joins(rel, p, -1);
        uint32_t n_in = 0, n_out = 0;
        for (uint32_t k = 0; k < p->n_elements; k++) {
            const bt_element *e = &p->elements[k];
            assert_non_null(e->id);
            assert_true(e->id[0] != '\0');
            assert_true(e->kind < BT_KIND_COUNT);
            assert_true(e->line > 0);
            for (uint32_t j = 0; j < e->n_incoming; j++) {
                assert_true(e->incoming[j] < p->n_flows);
                assert_int_equal(p->flows[e->incoming[j]].target, k);
            }
            for (uint32_t j = 0; j < e->n_outgoing; j++) {
                assert_true(e->outgoing[j] < p->n_flows);
                assert_int_equal(p->flows[e->outgoing[j]].source, k);
            }
            if (e->default_flow >= 0)
                assert_int_equal(p->flows[e->default_flow].source, k);
            if (e->kind == BT_SERVICE_TASK || e->kind == BT_USER_TASK)
                assert_true(e->job.type || e->job.type_expr);
            check_links(rel, p, e, k);
            if (e->kind == BT_SUB_PROCESS)
                check_joins(rel, p, (int32_t)k);
            n_in += e->n_incoming;
            n_out += e->n_outgoing;
        }
        for (uint32_t k = 0; k < p->n_flows; k++) {
            assert_true(p->flows[k].source < p->n_elements);
            assert_true(p->flows[k].target < p->n_elements);
            assert_true(p->flows[k].line > 0);
            assert_int_equal(p->elements[p->flows[k].source].parent,
                             p->elements[p->flows[k].target].parent);
        }
        for (uint32_t k = 0; k < p->n_event_subprocesses; k++) {
            assert_true(p->event_subprocesses[k] < p->n_elements);
            assert_int_equal(p->elements[p->event_subprocesses[k]].parent,
                             -1);
        }
        assert_int_equal(n_in, p->n_flows);
        assert_int_equal(n_out, p->n_flows);
    }
}

static outcome load(const char *path, size_t *bytes)
{
    size_t len;
    char *xml = slurp(path, &len);
    const bt_alloc a = { bt_default_alloc, NULL };
    outcome o;
    memset(&o, 0, sizeof o);
    baton_model *m = NULL;
    const char *rel = path + strlen(corpus) + 1;
    o.rc = bt_parse_bpmn(&a, NULL, xml, len, rel, on_problem, &o, &m);
    free(xml);
    if (bytes)
        *bytes = len;
    if (o.rc == 0) {
        assert_non_null(m);
        assert_int_equal(o.n, 0);
        check_model(rel, m);
        bt_model_unref(m);
    } else {
        assert_null(m);
        assert_true(o.n > 0);
        assert_int_equal(o.first.code, o.rc);
    }
    return o;
}

static void every_file(void **state)
{
    (void)state;
    assert_true(n_files > 200);
    size_t loaded = 0, by_code[16] = { 0 };
    for (size_t i = 0; i < n_files; i++) {
        const char *rel = files[i] + strlen(corpus) + 1;
        size_t bytes;
        outcome o = load(files[i], &bytes);
        if (o.rc == 0) {
            loaded++;
            printf("%s: loaded\n", rel);
            continue;
        }
        by_code[-o.rc < 16 ? -o.rc : 0]++;
        /* Located, or a reason about the document as a whole. */
        if (o.first.line <= 0 &&
            !(o.rc == BATON_ELIMIT || (o.rc == BATON_EPARSE && bytes == 0)))
            fail_msg("%s: unlocated problem '%s'", rel, o.message);
        printf("%s: %s:%d: %s%s%s%s%s (%s)\n", rel, rel, o.first.line, o.tag,
               o.tag[0] ? " " : "", o.id, o.tag[0] || o.id[0] ? ": " : "",
               o.message, code_name(o.rc));
    }
    printf("corpus: %zu files, %zu loaded", n_files, loaded);
    for (int c = 1; c < 16; c++)
        if (by_code[c])
            printf(", %zu %s", by_code[c], code_name(-c));
    printf("\n");
    assert_true(loaded > 0);
}

static outcome load_rel(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", corpus, rel);
    return load(path, NULL);
}

static void pinned_outcomes(void **state)
{
    (void)state;
    /* The seed's Zeebe saga and the Camunda 7 one without compensation. */
    assert_int_equal(
        load_rel("seed/trip-booking-saga-serverless__zeebe__aws__trip-booking"
                 ".bpmn")
            .rc,
        0);
    assert_int_equal(
        load_rel("seed/trip-booking-saga-serverless__camunda__workflow__trip"
                 ".bpmn")
            .rc,
        0);

    /* Not well-formed on purpose: an attribute named "$a". */
    outcome o = load_rel("bpmn-moddle/error/invalid-attributes.bpmn");
    assert_int_equal(o.rc, BATON_EPARSE);
    assert_int_equal(o.first.line, 3);
    assert_true(o.first.column > 0);
    /* Two attributes named xmlns. */
    o = load_rel("bpmn-moddle/error/xmlns-redeclaration.bpmn");
    assert_int_equal(o.rc, BATON_EPARSE);
    assert_int_equal(o.first.line, 2);
    /* Well-formed, but the root is in some other namespace. */
    o = load_rel("bpmn-moddle/error/not-bpmn.bpmn");
    assert_int_equal(o.rc, BATON_EMODEL);
    assert_int_equal(o.first.line, 2);
    /* The definitions and the process share the id "test". */
    o = load_rel("bpmn-moddle/error/duplicate-ids.bpmn");
    assert_int_equal(o.rc, BATON_EMODEL);
    assert_string_equal(o.message, "duplicate id 'test'");
    assert_int_equal(o.first.line, 7);

    /* The compensation forms of the saga: boundary events, handlers, an
     * event subprocess with an error start event. */
    static const char *const compensation[] = {
        "seed/trip-booking-saga-serverless__camunda__workflow__trip-"
        "compensation.bpmn",
        "seed/trip-booking-saga-java__docs__trip.bpmn",
        "seed/flowing-trip-booking-saga-c-sharp__Models__"
        "FlowingTripBookingSaga.bpmn",
    };
    for (size_t i = 0; i < sizeof compensation / sizeof compensation[0]; i++)
        assert_int_equal(load_rel(compensation[i]).rc, 0);

    /* Inclusive gateways: two forks whose flows have no condition. A
     * Zeebe test model whose default flow enters the gateway instead of
     * leaving it, and one refused for a JavaScript condition on a flow
     * leaving one (both were refused for the gateway itself until
     * inclusive gateways ran). */
    assert_int_equal(load_rel("bpmn-elements/multiple-endEvents.bpmn").rc,
                     0);
    o = load_rel("zeebe/bpmn-model/default-flow-inclusive-gateway.bpmn");
    assert_int_equal(o.rc, BATON_EMODEL);
    assert_string_equal(o.tag, "inclusiveGateway");
    assert_string_equal(o.message, "default flow 'SequenceFlow_0s7tk8n' is "
                                   "not an outgoing flow of this gateway");
    o = load_rel("bpmn-elements/mother-of-all.bpmn");
    assert_int_equal(o.rc, BATON_EUNSUPPORTED);
    assert_string_equal(o.id, "toLoop");
    assert_string_equal(o.message,
                        "conditions in language 'JavaScript' are not "
                        "supported");

    /* A timer boundary event, refused until timers ran. */
    o = load_rel("bpmn-elements/boundary-timeout.bpmn");
    assert_int_equal(o.rc, 0);

    /* The biggest file, 906 KB, exported from ADONIS. */
    size_t bytes;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", corpus,
             "miwg/ADONIS_17.0/B.2.0-export.bpmn");
    o = load(path, &bytes);
    assert_true(bytes > 900000);
    /* Its first problem: a message boundary event that names no message
     * (until messages ran, a refusal of further down). */
    assert_int_equal(o.rc, BATON_EMODEL);
    assert_string_equal(o.message,
                        "message event definition has no messageRef");
    assert_true(o.first.line > 1000);
}

int main(void)
{
    if (corpus_files(&corpus, &files, &n_files))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_file),
        cmocka_unit_test(pinned_outcomes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    corpus_files_free(files, n_files);
    return rc;
}
