/* The BPMN loader: what it builds from real and hand-written models, as
 * the model's internal structure shows it. What it refuses, and where it
 * says the problem is, are data in tests/parse (test_parse_cases.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader/model_load.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

#define MAX_PROBLEMS 64

typedef struct saw {
    int n;
    struct {
        int code, line, column;
        char tag[64], id[128], message[256];
    } p[MAX_PROBLEMS];
} saw;

static void on_problem(void *ud, const bt_problem *p)
{
    saw *s = ud;
    assert_non_null(p->message);
    assert_true(p->message[0] != '\0');
    if (s->n == MAX_PROBLEMS)
        return;
    s->p[s->n].code = p->code;
    s->p[s->n].line = p->line;
    s->p[s->n].column = p->column;
    snprintf(s->p[s->n].tag, sizeof s->p[0].tag, "%s", p->tag ? p->tag : "");
    snprintf(s->p[s->n].id, sizeof s->p[0].id, "%s", p->id ? p->id : "");
    snprintf(s->p[s->n].message, sizeof s->p[0].message, "%s", p->message);
    s->n++;
}

static const bt_alloc alloc = { bt_default_alloc, NULL };

static int parse(const char *xml, saw *s, baton_model **m)
{
    memset(s, 0, sizeof *s);
    *m = NULL;
    return bt_parse_bpmn(&alloc, NULL, xml, strlen(xml), "test.bpmn",
                         on_problem, s, m);
}

static char *read_file(const char *dir_env, const char *rel, size_t *len)
{
    const char *dir = getenv(dir_env);
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int parse_file(const char *dir_env, const char *rel, saw *s,
                      baton_model **m)
{
    size_t len;
    char *xml = read_file(dir_env, rel, &len);
    memset(s, 0, sizeof *s);
    *m = NULL;
    int rc = bt_parse_bpmn(&alloc, NULL, xml, len, rel, on_problem, s, m);
    free(xml);
    return rc;
}

/* A document around a process body; the body's first line is line 4. */
#define HEAD                                                                  \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                            \
    "<bpmn:definitions "                                                      \
    "xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "             \
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "                    \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" "                   \
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"defs\">\n"  \
    "<bpmn:process id=\"p\" isExecutable=\"true\">\n"
#define TAIL "</bpmn:process>\n</bpmn:definitions>\n"
#define L(n) (3 + (n)) /* document line of body line n */

/* A start and an end, so a body can add just what a test is about. */
#define START_END                                                             \
    "<bpmn:startEvent id=\"start\"/>\n"                                       \
    "<bpmn:endEvent id=\"end\"/>\n"

static const bt_element *find(const bt_process *p, const char *id)
{
    int32_t i = bt_process_find(p, id);
    if (i < 0)
        fail_msg("no element %s", id);
    return &p->elements[i];
}

static const bt_flow *find_flow(const bt_process *p, const char *id)
{
    for (uint32_t i = 0; i < p->n_flows; i++)
        if (strcmp(p->flows[i].id, id) == 0)
            return &p->flows[i];
    fail_msg("no flow %s", id);
    return NULL;
}

static const char *header(const bt_element *e, const char *name)
{
    for (uint32_t i = 0; i < e->job.n_headers; i++)
        if (strcmp(e->job.headers[i].name, name) == 0)
            return e->job.headers[i].value;
    return NULL;
}

static const char *expr_text(const bt_expr *e)
{
    assert_non_null(e);
    const char *t = bt_expr_text(e);
    while (*t == ' ')
        t++;
    return t;
}

/* ------------------------------------------------------------------ */
/* Real models                                                         */
/* ------------------------------------------------------------------ */

#define SEED_ZEEBE                                                            \
    "seed/trip-booking-saga-serverless__zeebe__aws__trip-booking.bpmn"

static void seed_zeebe_trip_structure(void **state)
{
    (void)state;
    size_t len;
    char *xml = read_file("BATON_CORPUS", SEED_ZEEBE, &len);
    saw s;
    baton_model *m = NULL;
    memset(&s, 0, sizeof s);
    assert_int_equal(bt_parse_bpmn(&alloc, NULL, xml, len, "trip.bpmn",
                                   on_problem, &s, &m),
                     0);
    assert_int_equal(s.n, 0);
    assert_non_null(m);
    assert_int_equal(m->byte_sum, bt_fnv1a64(xml, len, BT_FNV_SEED));
    assert_string_equal(m->source_name, "trip.bpmn");
    assert_int_equal(atomic_load(&m->refs), 1);
    free(xml);

    assert_int_equal(m->n_processes, 1);
    const bt_process *p = &m->processes[0];
    assert_string_equal(p->id, "trip-booking");
    assert_null(p->name);
    assert_int_equal(p->executable, 1);
    assert_int_equal(p->line, 3);
    assert_int_equal(p->n_elements, 12);
    assert_int_equal(p->n_flows, 13);

    int kinds[BT_KIND_COUNT] = { 0 };
    for (uint32_t i = 0; i < p->n_elements; i++) {
        kinds[p->elements[i].kind]++;
        assert_int_equal(p->elements[i].parent, -1);
    }
    assert_int_equal(kinds[BT_START_EVENT], 1);
    assert_int_equal(kinds[BT_END_EVENT], 2);
    assert_int_equal(kinds[BT_SERVICE_TASK], 6);
    assert_int_equal(kinds[BT_EXCLUSIVE_GATEWAY], 3);

    assert_true(p->start >= 0);
    const bt_element *start = &p->elements[p->start];
    assert_string_equal(start->id, "StartEvent_1");
    assert_string_equal(start->name, "Trip requested");
    assert_string_equal(start->tag, "startEvent");
    assert_int_equal(start->line, 4);
    assert_int_equal(start->n_incoming, 0);
    assert_int_equal(start->n_outgoing, 1);

    const bt_element *hotel = find(p, "ServiceTask_BookHotel");
    assert_int_equal(hotel->kind, BT_SERVICE_TASK);
    assert_string_equal(hotel->name, "Book hotel");
    assert_int_equal(hotel->line, 7);
    assert_string_equal(hotel->job.type, "lambda");
    assert_null(hotel->job.type_expr);
    assert_int_equal(hotel->job.retries, 3);
    assert_int_equal(hotel->job.n_headers, 3);
    assert_string_equal(hotel->job.headers[0].name, "functionName");
    assert_string_equal(header(hotel, "functionName"),
                        "trip-booking-functions-dev-book-hotel");
    /* &#34; in the attribute arrives as a quote. */
    assert_string_equal(header(hotel, "body"),
                        "{\"body\":  \"{{{variablesJsonEscaped}}}\"  }");
    assert_string_equal(header(hotel, "resultName"), "bookHotelResult");
    assert_int_equal(hotel->n_inputs, 0);
    assert_int_equal(hotel->n_outputs, 0);

    const bt_element *cancel_car = find(p, "ServiceTask_CancelCar");
    assert_int_equal(cancel_car->job.n_headers, 2);
    assert_null(header(cancel_car, "resultName"));
    assert_int_equal(cancel_car->n_incoming, 2);
    assert_int_equal(find(p, "ServiceTask_CancelHotel")->n_incoming, 2);

    const bt_element *gw = find(p, "ExclusiveGateway_18dnlxl");
    assert_int_equal(gw->kind, BT_EXCLUSIVE_GATEWAY);
    assert_string_equal(gw->name, "Successful?");
    assert_int_equal(gw->n_incoming, 1);
    assert_int_equal(gw->n_outgoing, 2);
    assert_int_equal(gw->default_flow, -1);
    assert_null(gw->job.type);

    const bt_flow *yes = find_flow(p, "SequenceFlow_04ynlib");
    assert_string_equal(p->elements[yes->source].id,
                        "ExclusiveGateway_18dnlxl");
    assert_string_equal(p->elements[yes->target].id, "ServiceTask_BookCar");
    assert_string_equal(expr_text(yes->condition), "bookHotelResult.success");
    const bt_flow *no = find_flow(p, "SequenceFlow_0xxqsoc");
    assert_string_equal(expr_text(no->condition),
                        "not(bookHotelResult.success)");
    assert_null(find_flow(p, "SequenceFlow_04dmf07")->condition);

    /* Every flow sits in its source's outgoing and its target's incoming
     * list, and nowhere else. */
    uint32_t n_in = 0, n_out = 0;
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        for (uint32_t k = 0; k < e->n_outgoing; k++)
            assert_int_equal(p->flows[e->outgoing[k]].source, i);
        for (uint32_t k = 0; k < e->n_incoming; k++)
            assert_int_equal(p->flows[e->incoming[k]].target, i);
        n_in += e->n_incoming;
        n_out += e->n_outgoing;
    }
    assert_int_equal(n_in, p->n_flows);
    assert_int_equal(n_out, p->n_flows);

    const bt_element *booked = find(p, "EndEvent_1x8sklw");
    assert_int_equal(booked->kind, BT_END_EVENT);
    assert_int_equal(booked->evdef, BT_EVDEF_NONE);
    assert_int_equal(booked->n_outgoing, 0);
    bt_model_unref(m);
}

static int32_t idx(const bt_process *p, const char *id)
{
    int32_t i = bt_process_find(p, id);
    if (i < 0)
        fail_msg("no element %s", id);
    return i;
}

/* The plain-BPMN saga: compensation boundary events associated with their
 * handlers, an error boundary event and a compensation throw. */
static void trip_booking_saga_structure(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_MODELS", "trip-booking-saga.bpmn", &s,
                                &m),
                     0);
    assert_int_equal(s.n, 0);
    const bt_process *p = &m->processes[0];
    assert_string_equal(p->id, "TripBookingSaga");
    assert_int_equal(p->n_elements, 14);
    assert_int_equal(p->n_flows, 6);
    assert_int_equal(p->start, idx(p, "StartEvent"));
    assert_int_equal(p->n_event_subprocesses, 0);
    for (uint32_t i = 0; i < p->n_elements; i++)
        assert_int_equal(p->elements[i].parent, -1);

    static const char *const bookings[][3] = {
        { "ReserveCar", "ReserveCar_Compensation", "CancelCar" },
        { "BookHotel", "BookHotel_Compensation", "CancelHotel" },
        { "BookFlight", "BookFlight_Compensation", "CancelFlight" },
    };
    for (size_t i = 0; i < 3; i++) {
        const bt_element *task = find(p, bookings[i][0]);
        const bt_element *comp = find(p, bookings[i][1]);
        const bt_element *cancel = find(p, bookings[i][2]);
        assert_int_equal(task->compensation_handler, idx(p, bookings[i][2]));
        assert_int_equal(task->is_for_compensation, 0);
        assert_true(task->n_boundaries >= 1);
        assert_int_equal(task->boundaries[0], idx(p, bookings[i][1]));
        assert_int_equal(comp->kind, BT_BOUNDARY_EVENT);
        assert_int_equal(comp->evdef, BT_EVDEF_COMPENSATE);
        assert_int_equal(comp->event.attached_to, idx(p, bookings[i][0]));
        assert_int_equal(comp->event.cancel_activity, 1);
        assert_int_equal(comp->n_outgoing, 0);
        assert_null(comp->event.error_code);
        assert_int_equal(cancel->kind, BT_SERVICE_TASK);
        assert_int_equal(cancel->is_for_compensation, 1);
        assert_int_equal(cancel->compensation_handler, -1);
        assert_int_equal(cancel->n_incoming + cancel->n_outgoing, 0);
        assert_int_equal(cancel->n_boundaries, 0);
        assert_string_equal(cancel->job.type, bookings[i][2]);
    }
    assert_int_equal(find(p, "ReserveCar")->n_boundaries, 1);
    assert_int_equal(find(p, "BookHotel")->n_boundaries, 1);
    /* Both of BookFlight's, in document order. */
    const bt_element *flight = find(p, "BookFlight");
    assert_int_equal(flight->n_boundaries, 2);
    assert_int_equal(flight->boundaries[1], idx(p, "BookFlight_Error"));

    const bt_element *err = find(p, "BookFlight_Error");
    assert_int_equal(err->kind, BT_BOUNDARY_EVENT);
    assert_string_equal(err->tag, "boundaryEvent");
    assert_int_equal(err->line, 68);
    assert_int_equal(err->evdef, BT_EVDEF_ERROR);
    assert_string_equal(err->event.error_code, "FLIGHT_BOOKING_FAILED");
    assert_null(err->event.error_code_variable);
    assert_null(err->event.error_message_variable);
    assert_int_equal(err->event.attached_to, idx(p, "BookFlight"));
    assert_int_equal(err->event.cancel_activity, 1);
    assert_int_equal(err->n_outgoing, 1);
    assert_int_equal(p->flows[err->outgoing[0]].target,
                     idx(p, "CompensateBookings"));

    const bt_element *throw = find(p, "CompensateBookings");
    assert_int_equal(throw->kind, BT_INTERMEDIATE_THROW_EVENT);
    assert_int_equal(throw->evdef, BT_EVDEF_COMPENSATE);
    assert_int_equal(throw->event.activity_ref, -1);
    assert_int_equal(throw->event.wait_for_completion, 1);
    assert_int_equal(throw->event.attached_to, -1);

    const bt_element *booked = find(p, "EndEvent_TripBooked");
    assert_int_equal(booked->evdef, BT_EVDEF_NONE);
    assert_int_equal(booked->compensation_handler, -1);
    assert_int_equal(booked->event.activity_ref, -1);
    bt_model_unref(m);
}

#define SEED_SERVERLESS_COMP                                                  \
    "seed/trip-booking-saga-serverless__camunda__workflow__trip-"             \
    "compensation.bpmn"

/* The seed's Camunda 7 saga: an error event subprocess that throws
 * compensation for the whole process. */
static void seed_serverless_compensation(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_CORPUS", SEED_SERVERLESS_COMP, &s, &m),
                     0);
    const bt_process *p = &m->processes[0];
    assert_string_equal(p->id, "trip");
    assert_int_equal(p->start, idx(p, "StartEvent_TripRequested"));
    int32_t sub = idx(p, "SubProcess_LambdaInvocationError");
    assert_int_equal(p->n_event_subprocesses, 1);
    assert_int_equal(p->event_subprocesses[0], sub);
    const bt_element *es = &p->elements[sub];
    assert_int_equal(es->kind, BT_SUB_PROCESS);
    assert_int_equal(es->scope.triggered_by_event, 1);
    assert_int_equal(es->parent, -1);
    assert_int_equal(es->n_incoming + es->n_outgoing, 0);
    assert_int_equal(es->scope.start, idx(p, "ErrorEvent"));

    const bt_element *start = find(p, "ErrorEvent");
    assert_int_equal(start->parent, sub);
    assert_int_equal(start->evdef, BT_EVDEF_ERROR);
    assert_string_equal(start->event.error_code,
                        "io.berndruecker.serverless.aws.lambda."
                        "LambdaInvocationError");
    assert_string_equal(start->event.error_code_variable, "errorCode");
    assert_string_equal(start->event.error_message_variable, "errorMessage");

    const bt_element *throw = find(p, "ThrowCompensation");
    assert_int_equal(throw->parent, sub);
    assert_int_equal(throw->evdef, BT_EVDEF_COMPENSATE);
    assert_int_equal(throw->event.activity_ref, -1);
    assert_int_equal(find(p, "ServiceTask_SendCanceledEvent")->parent, sub);
    assert_int_equal(find(p, "EndEvent_TripCanceled")->parent, sub);

    static const char *const pairs[][2] = {
        { "ServiceTask_BookHotel", "ServiceTask_CancelHotel" },
        { "ServiceTask_BookCar", "ServiceTask_CancelCar" },
        { "ServiceTask_BookFlight", "ServiceTask_CancelFlight" },
    };
    for (size_t i = 0; i < 3; i++) {
        const bt_element *t = find(p, pairs[i][0]);
        assert_int_equal(t->compensation_handler, idx(p, pairs[i][1]));
        assert_int_equal(t->n_boundaries, 1);
        assert_int_equal(p->elements[t->boundaries[0]].evdef,
                         BT_EVDEF_COMPENSATE);
        assert_int_equal(find(p, pairs[i][1])->is_for_compensation, 1);
    }
    /* camunda:failedJobRetryTimeCycle R3/PT1S. */
    const bt_element *hotel = find(p, "ServiceTask_BookHotel");
    assert_int_equal(hotel->job.retries, 3);
    /* camunda:properties: the headers. */
    assert_int_equal(hotel->job.n_headers, 2);
    assert_string_equal(header(hotel, "functionName"),
                        "trip-booking-functions-dev-book-hotel");
    assert_string_equal(header(hotel, "invocationError"), "true");
    assert_string_equal(header(find(p, "ServiceTask_CancelCar"),
                               "functionName"),
                        "trip-booking-functions-dev-cancel-car");
    assert_string_equal(find(p, "ServiceTask_CancelHotel")->job.type,
                        "#{lambdaInvocationDelegate}");
    bt_model_unref(m);
}

/* The Java and C# forms of the saga: the same shape, with an error code
 * on the event subprocess's start event and, in C#, an association to a
 * text annotation that changes nothing. */
static void seed_java_and_csharp_compensation(void **state)
{
    (void)state;
    static const struct {
        const char *file, *start, *code, *throw, *task, *handler;
    } cases[] = {
        { "seed/trip-booking-saga-java__docs__trip.bpmn",
          "startEvent_380ed1c2-deab-4987-8021-7f1ee07e0510",
          "java.lang.Throwable",
          "intermediateThrowEvent_e3410437-553f-4ec6-817a-914db4fd0625",
          "hotel", "CancelHotel" },
        { "seed/flowing-trip-booking-saga-c-sharp__Models__"
          "FlowingTripBookingSaga.bpmn",
          "ErrorCatched", "BookingFailed", "ToBeCompensated",
          "Activity-Reserve-car", "Activity-Cancel-car-compensation" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        saw s;
        baton_model *m;
        assert_int_equal(parse_file("BATON_CORPUS", cases[i].file, &s, &m), 0);
        const bt_process *p = &m->processes[0];
        assert_int_equal(p->n_event_subprocesses, 1);
        const bt_element *es = &p->elements[p->event_subprocesses[0]];
        assert_int_equal(es->scope.triggered_by_event, 1);
        assert_int_equal(es->scope.start, idx(p, cases[i].start));
        const bt_element *start = find(p, cases[i].start);
        assert_int_equal(start->evdef, BT_EVDEF_ERROR);
        assert_int_equal(start->parent, (int32_t)p->event_subprocesses[0]);
        assert_string_equal(start->event.error_code, cases[i].code);
        assert_null(start->event.error_code_variable);
        const bt_element *throw = find(p, cases[i].throw);
        assert_int_equal(throw->evdef, BT_EVDEF_COMPENSATE);
        assert_int_equal(throw->event.activity_ref, -1);
        assert_int_equal(throw->parent, (int32_t)p->event_subprocesses[0]);
        assert_int_equal(find(p, cases[i].task)->compensation_handler,
                         idx(p, cases[i].handler));
        int handlers = 0;
        for (uint32_t k = 0; k < p->n_elements; k++)
            if (p->elements[k].compensation_handler >= 0)
                handlers++;
        assert_int_equal(handlers, 3);
        bt_model_unref(m);
    }
}

/* Elements of every level share the process's arrays, in document order,
 * each knowing its subprocess; each scope knows its start event and its
 * event subprocesses. */
static void nested_subprocesses(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_TESTDATA", "parse/subprocesses.bpmn",
                                &s, &m),
                     0);
    const bt_process *p = &m->processes[0];
    static const struct {
        const char *id;
        const char *parent;
        int kind;
    } want[] = {
        { "Start", NULL, BT_START_EVENT },
        { "Outer", NULL, BT_SUB_PROCESS },
        { "OuterStart", "Outer", BT_START_EVENT },
        { "Book", "Outer", BT_SERVICE_TASK },
        { "BookComp", "Outer", BT_BOUNDARY_EVENT },
        { "Unbook", "Outer", BT_SERVICE_TASK },
        { "Inner", "Outer", BT_SUB_PROCESS },
        { "InnerStart", "Inner", BT_START_EVENT },
        { "Fail", "Inner", BT_END_EVENT },
        { "InnerBusy", "Outer", BT_BOUNDARY_EVENT },
        { "OuterEnd", "Outer", BT_END_EVENT },
        { "OnError", "Outer", BT_SUB_PROCESS },
        { "Caught", "OnError", BT_START_EVENT },
        { "Undo", "OnError", BT_INTERMEDIATE_THROW_EVENT },
        { "UndoAll", "OnError", BT_END_EVENT },
        { "End", NULL, BT_END_EVENT },
        { "Rescue", NULL, BT_SUB_PROCESS },
        { "RescueStart", "Rescue", BT_START_EVENT },
    };
    assert_int_equal(p->n_elements, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const bt_element *e = &p->elements[i];
        assert_string_equal(e->id, want[i].id);
        assert_int_equal(e->kind, want[i].kind);
        assert_int_equal(e->parent,
                         want[i].parent ? idx(p, want[i].parent) : -1);
    }
    assert_int_equal(p->n_flows, 9);
    for (uint32_t i = 0; i < p->n_flows; i++)
        assert_int_equal(p->elements[p->flows[i].source].parent,
                         p->elements[p->flows[i].target].parent);

    assert_int_equal(p->start, idx(p, "Start"));
    const bt_element *outer = find(p, "Outer");
    assert_int_equal(outer->scope.start, idx(p, "OuterStart"));
    assert_int_equal(outer->scope.triggered_by_event, 0);
    assert_int_equal(outer->scope.n_event_subprocesses, 1);
    assert_int_equal(outer->scope.event_subprocesses[0], idx(p, "OnError"));
    assert_int_equal(outer->n_incoming, 1);
    assert_int_equal(outer->n_outgoing, 1);
    const bt_element *inner = find(p, "Inner");
    assert_int_equal(inner->scope.start, idx(p, "InnerStart"));
    assert_int_equal(inner->scope.n_event_subprocesses, 0);
    assert_int_equal(inner->n_boundaries, 1);
    assert_int_equal(inner->boundaries[0], idx(p, "InnerBusy"));
    assert_int_equal(find(p, "OnError")->scope.start, idx(p, "Caught"));
    assert_int_equal(find(p, "OnError")->scope.triggered_by_event, 1);
    assert_int_equal(p->n_event_subprocesses, 1);
    assert_int_equal(p->event_subprocesses[0], idx(p, "Rescue"));
    assert_int_equal(find(p, "Rescue")->scope.start, idx(p, "RescueStart"));

    /* An error end event throws its error's code; catches with and
     * without one. */
    const bt_element *fail = find(p, "Fail");
    assert_int_equal(fail->evdef, BT_EVDEF_ERROR);
    assert_string_equal(fail->event.error_code, "BUSY");
    const bt_element *busy = find(p, "InnerBusy");
    assert_int_equal(busy->evdef, BT_EVDEF_ERROR);
    assert_string_equal(busy->event.error_code, "BUSY");
    assert_int_equal(busy->event.attached_to, idx(p, "Inner"));
    const bt_element *caught = find(p, "Caught");
    assert_null(caught->event.error_code); /* its error has no errorCode */
    assert_null(caught->event.error_code_variable);
    assert_string_equal(caught->event.error_message_variable, "why");
    assert_null(find(p, "RescueStart")->event.error_code); /* no errorRef */

    /* From an event subprocess, activityRef names an activity of the
     * scope that holds it. */
    const bt_element *undo = find(p, "Undo");
    assert_int_equal(undo->evdef, BT_EVDEF_COMPENSATE);
    assert_int_equal(undo->event.activity_ref, idx(p, "Book"));
    assert_int_equal(undo->event.wait_for_completion, 0);
    const bt_element *all = find(p, "UndoAll");
    assert_int_equal(all->kind, BT_END_EVENT);
    assert_int_equal(all->evdef, BT_EVDEF_COMPENSATE);
    assert_int_equal(all->event.activity_ref, -1);
    assert_int_equal(all->event.wait_for_completion, 1);

    assert_int_equal(find(p, "Book")->compensation_handler, idx(p, "Unbook"));
    assert_int_equal(find(p, "Unbook")->is_for_compensation, 1);
    assert_int_equal(find(p, "BookComp")->event.attached_to, idx(p, "Book"));
    bt_model_unref(m);
}

/* ------------------------------------------------------------------ */
/* Namespaces and documents                                            */
/* ------------------------------------------------------------------ */

static void default_namespace(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_TESTDATA",
                                "parse/default-namespace.bpmn",
                                &s, &m),
                     0);
    assert_int_equal(m->n_processes, 1);
    const bt_process *p = &m->processes[0];
    assert_string_equal(p->id, "Order");
    assert_string_equal(p->name, "Order & ship");
    assert_int_equal(p->n_elements, 4);
    assert_int_equal(p->n_flows, 3);
    const bt_element *t = find(p, "Ship");
    assert_int_equal(t->kind, BT_SERVICE_TASK);
    assert_string_equal(t->job.type, "ship");
    assert_int_equal(t->job.retries, 5);
    assert_int_equal(t->line, 9);
    bt_model_unref(m);
}

/* Elements are matched by namespace, never by prefix: any prefix works,
 * and the usual prefix bound to another namespace is not BPMN. */
static void any_prefix_but_namespace_matters(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *other_prefix =
        "<x:definitions xmlns:x=\"http://www.omg.org/spec/BPMN/20100524/MODEL\""
        " xmlns:z=\"http://camunda.org/schema/zeebe/1.0\">\n"
        " <x:process id=\"p\" isExecutable=\"true\">\n"
        "  <x:startEvent id=\"s\"/>\n"
        "  <x:serviceTask id=\"t\"><x:extensionElements>"
        "<z:taskDefinition type=\"work\"/></x:extensionElements>"
        "</x:serviceTask>\n"
        "  <x:sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"t\"/>\n"
        " </x:process>\n"
        "</x:definitions>\n";
    assert_int_equal(parse(other_prefix, &s, &m), 0);
    assert_string_equal(find(&m->processes[0], "t")->job.type, "work");
    bt_model_unref(m);

    /* A zeebe: prefix bound to something else is not Zeebe. */
    const char *fake_zeebe =
        "<bpmn:definitions "
        "xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:zeebe=\"http://example.com/not-zeebe\">\n"
        " <bpmn:process id=\"p\">\n"
        "  <bpmn:startEvent id=\"s\"/>\n"
        "  <bpmn:serviceTask id=\"t\"><bpmn:extensionElements>"
        "<zeebe:taskDefinition type=\"work\"/></bpmn:extensionElements>"
        "</bpmn:serviceTask>\n"
        " </bpmn:process>\n"
        "</bpmn:definitions>\n";
    assert_int_equal(parse(fake_zeebe, &s, &m), 0);
    assert_string_equal(find(&m->processes[0], "t")->job.type, "t");
    bt_model_unref(m);
}

static void multiple_processes(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_TESTDATA",
                                "parse/multiple-processes.bpmn", &s, &m),
                     0);
    assert_int_equal(m->n_processes, 3);
    assert_string_equal(m->processes[0].id, "Customer");
    assert_int_equal(m->processes[0].executable, 0);
    assert_string_equal(m->processes[0].name, "Customer (descriptive)");
    assert_int_equal(m->processes[0].n_elements, 0);
    assert_int_equal(m->processes[0].start, -1);
    assert_string_equal(m->processes[1].id, "Billing");
    assert_int_equal(m->processes[1].executable, 1);
    assert_string_equal(m->processes[2].id, "Shipping");
    assert_int_equal(m->processes[2].executable, 1);
    /* Each process has its own elements; the same task name does not
     * clash across processes, ids do not repeat. */
    assert_int_equal(bt_process_find(&m->processes[1], "ShipIt"), -1);
    const bt_element *t = find(&m->processes[2], "ShipIt");
    assert_string_equal(t->job.type, "ship");
    assert_string_equal(m->processes[1].elements[m->processes[1].start].id,
                        "BillingStart");
    assert_string_equal(m->processes[2].elements[m->processes[2].start].id,
                        "ShippingStart");
    bt_model_unref(m);
}

/* isExecutable="false": kept for inspection, its content not checked, so
 * a descriptive model full of things Baton cannot run still loads. */
static void non_executable_kept(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *xml =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n"
        " <process id=\"d\" name=\"Drawn\" isExecutable=\"false\">\n"
        "  <boundaryEvent id=\"b\"/>\n"
        "  <sequenceFlow id=\"f\" sourceRef=\"nowhere\" targetRef=\"x\"/>\n"
        "  <task/>\n"
        " </process>\n"
        "</definitions>\n";
    assert_int_equal(parse(xml, &s, &m), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(m->n_processes, 1);
    assert_string_equal(m->processes[0].id, "d");
    assert_string_equal(m->processes[0].name, "Drawn");
    assert_int_equal(m->processes[0].line, 2);
    assert_int_equal(m->processes[0].executable, 0);
    bt_model_unref(m);
}

static void definitions_without_processes(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *xml =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "id=\"d\">\n"
        " <message id=\"m\" name=\"M\"/>\n"
        " <error id=\"e\" errorCode=\"E\"/>\n"
        " <signal id=\"s\"/>\n"
        " <collaboration id=\"c\"><participant id=\"pa\" processRef=\"x\"/>"
        "</collaboration>\n"
        "</definitions>\n";
    assert_int_equal(parse(xml, &s, &m), 0);
    assert_int_equal(m->n_processes, 0);
    assert_string_equal(m->source_name, "test.bpmn");
    bt_model_unref(m);

    /* NULL source name and NULL report are fine. */
    assert_int_equal(bt_parse_bpmn(&alloc, NULL, xml, strlen(xml), NULL, NULL,
                                   NULL, &m),
                     0);
    assert_string_equal(m->source_name, "");
    bt_model_unref(m);
    /* An empty process loads (it completes at once); one whose only
     * flow nodes form a cycle could never start. */
    const char *empty = HEAD TAIL;
    assert_int_equal(bt_parse_bpmn(&alloc, NULL, empty, strlen(empty), NULL,
                                   NULL, NULL, &m),
                     0);
    assert_int_equal(m->processes[0].n_implicit_starts, 0);
    bt_model_unref(m);
    const char *bad = HEAD
        "<bpmn:task id=\"a\"/>\n"
        "<bpmn:sequenceFlow id=\"f\" sourceRef=\"a\" targetRef=\"a\"/>\n"
        TAIL;
    assert_int_equal(bt_parse_bpmn(&alloc, NULL, bad, strlen(bad), NULL, NULL,
                                   NULL, &m),
                     BATON_EMODEL);
    assert_null(m);
    assert_int_equal(bt_parse_bpmn(&alloc, NULL, NULL, 0, NULL, NULL, NULL,
                                   &m),
                     BATON_EINVAL);
    assert_int_equal(bt_parse_bpmn(&alloc, NULL, xml, strlen(xml), NULL, NULL,
                                   NULL, NULL),
                     BATON_EINVAL);
}

/* What does not change execution is skipped; incoming/outgoing children
 * are ignored in favour of the flows' own refs. */
static void ignored_elements(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *xml = HEAD
        "<bpmn:documentation>doc</bpmn:documentation>\n"
        "<bpmn:extensionElements><zeebe:properties/></bpmn:extensionElements>\n"
        "<bpmn:laneSet id=\"ls\"><bpmn:lane id=\"l\"><bpmn:flowNodeRef>t"
        "</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>\n"
        "<bpmn:startEvent id=\"start\"><bpmn:outgoing>bogus</bpmn:outgoing>"
        "</bpmn:startEvent>\n"
        "<bpmn:userTask id=\"t\">\n"
        " <bpmn:documentation>x</bpmn:documentation>\n"
        " <bpmn:incoming>also-bogus</bpmn:incoming>\n"
        " <bpmn:ioSpecification id=\"io\"/>\n"
        " <bpmn:dataInputAssociation id=\"dia\"/>\n"
        " <bpmn:dataOutputAssociation id=\"doa\"/>\n"
        " <bpmn:property id=\"prop\"/>\n"
        " <bpmn:potentialOwner id=\"po\"/>\n"
        "</bpmn:userTask>\n"
        "<bpmn:textAnnotation id=\"ta\"><bpmn:text>hi</bpmn:text>"
        "</bpmn:textAnnotation>\n"
        "<bpmn:association id=\"as\" sourceRef=\"t\" targetRef=\"ta\"/>\n"
        "<bpmn:group id=\"g\"/>\n"
        "<bpmn:dataObject id=\"do\"/>\n"
        "<bpmn:dataObjectReference id=\"dor\" dataObjectRef=\"do\"/>\n"
        "<bpmn:dataStoreReference id=\"dsr\"/>\n"
        "<bpmn:property id=\"pp\"/>\n"
        "<bpmn:ioSpecification id=\"pio\"/>\n"
        "<foreign:thing xmlns:foreign=\"urn:x\" id=\"ft\"/>\n"
        "<bpmn:sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"t\"/>\n"
        TAIL;
    assert_int_equal(parse(xml, &s, &m), 0);
    const bt_process *p = &m->processes[0];
    assert_int_equal(p->n_elements, 2);
    assert_int_equal(p->n_flows, 1);
    const bt_element *t = find(p, "t");
    assert_int_equal(t->kind, BT_USER_TASK);
    assert_string_equal(t->job.type, "t");
    assert_int_equal(t->n_incoming, 1);
    assert_int_equal(t->incoming[0], 0);
    assert_int_equal(t->n_outgoing, 0);
    bt_model_unref(m);
}

static void element_kinds(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *xml = HEAD
        "<bpmn:startEvent id=\"start\"/>\n"
        "<bpmn:task id=\"a\"/>\n"
        "<bpmn:sendTask id=\"b\"/>\n"
        "<bpmn:businessRuleTask id=\"c\"/>\n"
        "<bpmn:scriptTask id=\"d\"><bpmn:script>x()</bpmn:script>"
        "</bpmn:scriptTask>\n"
        "<bpmn:manualTask id=\"e\"/>\n"
        "<bpmn:parallelGateway id=\"fork\"/>\n"
        "<bpmn:intermediateThrowEvent id=\"it\"/>\n"
        "<bpmn:endEvent id=\"stop\"><bpmn:terminateEventDefinition/>"
        "</bpmn:endEvent>\n"
        "<bpmn:scriptTask id=\"f\"><bpmn:extensionElements><zeebe:script "
        "expression=\"=x + 1\" resultVariable=\"y\"/>"
        "</bpmn:extensionElements></bpmn:scriptTask>\n"
        "<bpmn:scriptTask id=\"g\" scriptFormat=\"juel\"><bpmn:script>"
        "${x}</bpmn:script></bpmn:scriptTask>\n"
        TAIL;
    assert_int_equal(parse(xml, &s, &m), 0);
    const bt_process *p = &m->processes[0];
    static const struct {
        const char *id;
        int kind;
        int job;
    } want[] = {
        { "start", BT_START_EVENT, 0 },
        { "a", BT_TASK, 0 },
        { "b", BT_SEND_TASK, 1 },
        { "c", BT_BUSINESS_RULE_TASK, 1 },
        { "d", BT_SCRIPT_TASK, 1 },
        { "e", BT_MANUAL_TASK, 0 },
        { "fork", BT_PARALLEL_GATEWAY, 0 },
        { "it", BT_INTERMEDIATE_THROW_EVENT, 0 },
        { "stop", BT_END_EVENT, 0 },
        { "f", BT_EVAL_SCRIPT_TASK, 0 },
        { "g", BT_EVAL_SCRIPT_TASK, 0 },
    };
    assert_int_equal(p->n_elements, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const bt_element *e = &p->elements[i];
        assert_string_equal(e->id, want[i].id);
        assert_int_equal(e->kind, want[i].kind);
        assert_int_equal(e->line, L(i + 1));
        if (want[i].job) {
            assert_string_equal(e->job.type, e->id);
            assert_int_equal(e->job.retries, 3);
        } else {
            assert_null(e->job.type);
            assert_null(e->job.type_expr);
        }
    }
    assert_int_equal(find(p, "stop")->evdef, BT_EVDEF_TERMINATE);
    assert_int_equal(find(p, "it")->evdef, BT_EVDEF_NONE);
    /* A script the host runs goes to it with its job; one the engine
     * evaluates is compiled, with where its result goes. */
    const bt_element *d = find(p, "d");
    assert_int_equal(d->job.n_headers, 1);
    assert_string_equal(d->job.headers[0].name, "script");
    assert_string_equal(d->job.headers[0].value, "x()");
    assert_null(d->script);
    const bt_element *f = find(p, "f");
    assert_string_equal(bt_expr_text(f->script->expr), "x + 1");
    assert_string_equal(f->script->result_variable, "y");
    assert_string_equal(bt_kind_zeebe_name(f), "SCRIPT_TASK");
    assert_null(find(p, "g")->script->result_variable);
    /* The arena zero-fills; element references that name nothing are -1,
     * never 0 (the start event). */
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        assert_int_equal(e->parent, -1);
        assert_int_equal(e->default_flow, -1);
        assert_int_equal(e->scope.start, -1);
        assert_int_equal(e->compensation_handler, -1);
        assert_int_equal(e->event.attached_to, -1);
        assert_int_equal(e->event.activity_ref, -1);
        assert_int_equal(e->event.wait_for_completion, 1);
        assert_int_equal(e->event.interrupting, 1);
        assert_int_equal(e->event.link_target, -1);
        assert_int_equal(e->is_for_compensation, 0);
        assert_int_equal(e->scope.triggered_by_event, 0);
        assert_int_equal(e->n_boundaries, 0);
        assert_null(e->boundaries);
        assert_int_equal(e->scope.n_event_subprocesses, 0);
        assert_null(e->event.error_code);
        assert_null(e->event.error_code_variable);
        assert_null(e->event.error_message_variable);
    }
    assert_int_equal(p->n_event_subprocesses, 0);
    assert_null(p->event_subprocesses);
    assert_int_equal(p->n_starts, 1);
    assert_int_equal(p->starts[0], p->start);
    bt_model_unref(m);
}

/* The line is where the start tag begins, also for a tag spread over
 * lines, and past 65535 (libxml2 2.9 keeps 16 bits without BIG_LINES).
 * tests/parse/documents/line-past-65535 is the same document with a flow
 * to nowhere, and the line of its problem. */
static void line_numbers(void **state)
{
    (void)state;
    size_t pad = 70000;
    const char *head = HEAD "<bpmn:startEvent id=\"start\"/>\n";
    const char *task = "<bpmn:serviceTask\n   id=\"far\"\n   name=\"x\"/>\n"
                       "<bpmn:sequenceFlow id=\"f\" sourceRef=\"start\" "
                       "targetRef=\"far\"/>\n";
    size_t nh = strlen(head), nt = strlen(task), ntail = strlen(TAIL);
    char *xml = calloc(nh + pad + nt + ntail + 1, 1);
    assert_non_null(xml);
    memcpy(xml, head, nh);
    for (size_t i = 0; i < pad; i++)
        xml[nh + i] = '\n';
    memcpy(xml + nh + pad, task, nt);
    memcpy(xml + nh + pad + nt, TAIL, ntail);
    saw s;
    baton_model *m;
    int far_line = L(2) + (int)pad;
    assert_int_equal(parse(xml, &s, &m), 0);
    const bt_element *far = find(&m->processes[0], "far");
    assert_int_equal(far->line, far_line);
    assert_int_equal(m->processes[0].flows[0].line, far_line + 3);
    bt_model_unref(m);
    free(xml);
}

/* ------------------------------------------------------------------ */
/* Jobs: Zeebe                                                         */
/* ------------------------------------------------------------------ */

static void zeebe_jobs_and_mappings(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_TESTDATA", "parse/zeebe-jobs.bpmn", &s,
                                &m),
                     0);
    const bt_process *p = &m->processes[0];
    const bt_element *a = find(p, "Static");
    assert_string_equal(a->job.type, "payment");
    assert_int_equal(a->job.retries, 0);
    assert_int_equal(a->job.n_headers, 2);
    assert_string_equal(a->job.headers[0].name, "method");
    assert_string_equal(a->job.headers[0].value, "card");
    assert_string_equal(a->job.headers[1].name, "empty");
    assert_string_equal(a->job.headers[1].value, "");
    assert_int_equal(a->n_inputs, 3);
    assert_string_equal(a->inputs[0].target, "amount");
    assert_string_equal(expr_text(a->inputs[0].source), "order.total");
    assert_true(bt_expr_is_path(a->inputs[0].source));
    assert_string_equal(a->inputs[1].target, "currency");
    assert_string_equal(bt_expr_text(a->inputs[1].source), "EUR");
    assert_string_equal(a->inputs[2].target, "nothing");
    assert_int_equal(a->n_outputs, 1);
    assert_string_equal(a->outputs[0].target, "paid");
    assert_string_equal(expr_text(a->outputs[0].source), "result.ok");

    const bt_element *b = find(p, "Dynamic");
    assert_null(b->job.type);
    assert_non_null(b->job.type_expr);
    assert_string_equal(expr_text(b->job.type_expr), "kind + \"-worker\"");
    assert_int_equal(b->job.retries, 7);

    /* retries="" as old Zeebe Modeler wrote it: the default. */
    assert_int_equal(find(p, "EmptyRetries")->job.retries, 3);
    /* Mappings on a pass-through task and an end event; no job. */
    const bt_element *t = find(p, "Plain");
    assert_null(t->job.type);
    assert_int_equal(t->n_outputs, 1);
    assert_int_equal(find(p, "End")->n_inputs, 1);
    bt_model_unref(m);
}

/* ------------------------------------------------------------------ */
/* Jobs: Camunda 7                                                     */
/* ------------------------------------------------------------------ */

static void camunda7_job_types(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_TESTDATA", "parse/camunda7-jobs.bpmn",
                                &s, &m),
                     0);
    const bt_process *p = &m->processes[0];
    assert_string_equal(find(p, "External")->job.type, "book-hotel");
    assert_string_equal(find(p, "Class")->job.type,
                        "org.example.BookCarDelegate");
    assert_string_equal(find(p, "Delegate")->job.type, "${bookFlight}");
    assert_string_equal(find(p, "Expression")->job.type,
                        "${calculator.add(a, b)}");
    /* Nothing from either dialect: the element id. */
    assert_string_equal(find(p, "Bare")->job.type, "Bare");
    assert_string_equal(find(p, "Human")->job.type, "Human");
    /* Zeebe's task definition wins over Camunda 7 attributes. */
    assert_string_equal(find(p, "Both")->job.type, "zeebe-type");

    /* camunda:properties are the job's headers, in document order. */
    const bt_element *d = find(p, "Delegate");
    assert_int_equal(d->job.n_headers, 3);
    assert_string_equal(d->job.headers[0].name, "functionName");
    assert_string_equal(d->job.headers[0].value, "book-flight");
    assert_string_equal(d->job.headers[1].name, "empty");
    assert_string_equal(d->job.headers[1].value, "");
    assert_string_equal(d->job.headers[2].name, "second");
    assert_string_equal(d->job.headers[2].value, "list");
    assert_int_equal(find(p, "External")->job.n_headers, 0);
    assert_int_equal(find(p, "Start")->job.n_headers, 0);

    const bt_element *io = find(p, "External");
    assert_int_equal(io->job.retries, 3);
    assert_int_equal(io->n_inputs, 3);
    assert_string_equal(io->inputs[0].target, "amount");
    assert_string_equal(bt_expr_text(io->inputs[0].source), "${order.total}");
    assert_string_equal(io->inputs[1].target, "currency");
    assert_string_equal(bt_expr_text(io->inputs[1].source), "EUR");
    assert_string_equal(io->inputs[2].target, "none");
    assert_int_equal(io->n_outputs, 1);
    assert_string_equal(io->outputs[0].target, "hotelBooking");
    assert_string_equal(bt_expr_text(io->outputs[0].source), "${result}");
    bt_model_unref(m);
}

/* A transaction is a subprocess that knows its cancel boundary event;
 * records call it TRANSACTION. */
static void transaction_fields(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_SCENARIOS",
                                "transactions/customer-cancels/model.bpmn",
                                &s, &m),
                     0);
    const bt_process *p = &m->processes[0];
    const bt_element *tx = find(p, "Booking");
    assert_int_equal(tx->kind, BT_SUB_PROCESS);
    assert_int_equal(tx->scope.transaction, 1);
    assert_int_equal(tx->scope.cancel_boundary, idx(p, "Cancelled"));
    assert_string_equal(bt_kind_zeebe_name(tx), "TRANSACTION");
    assert_string_equal(tx->tag, "transaction");
    assert_int_equal(find(p, "CustomerCancels")->evdef, BT_EVDEF_CANCEL);
    assert_int_equal(find(p, "Cancelled")->evdef, BT_EVDEF_CANCEL);
    assert_true(bt_el_throws_compensation(find(p, "CustomerCancels")));
    assert_false(bt_el_throws_compensation(find(p, "Cancelled")));
    assert_false(bt_el_throws_compensation(find(p, "UndoHotel")));
    bt_model_unref(m);
}

/* ------------------------------------------------------------------ */
/* Conditions                                                          */
/* ------------------------------------------------------------------ */

static void conditions(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *xml = HEAD
        "<bpmn:startEvent id=\"start\"/>\n"
        "<bpmn:exclusiveGateway id=\"g\" default=\"f4\"/>\n"
        "<bpmn:endEvent id=\"e\"/>\n"
        "<bpmn:sequenceFlow id=\"f0\" sourceRef=\"start\" targetRef=\"g\"/>\n"
        "<bpmn:sequenceFlow id=\"f1\" sourceRef=\"g\" targetRef=\"e\">"
        "<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">\n"
        "  = amount &gt; 100  \n</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\">"
        "<bpmn:conditionExpression>${amount &lt;= 100}"
        "</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
        "<bpmn:sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"e\">"
        "<bpmn:conditionExpression><![CDATA[amount < 0]]>"
        "</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
        "<bpmn:sequenceFlow id=\"f4\" sourceRef=\"g\" targetRef=\"e\"/>\n"
        "<bpmn:sequenceFlow id=\"f5\" sourceRef=\"g\" targetRef=\"e\">"
        "<bpmn:conditionExpression language=\"https://www.omg.org/spec/DMN/"
        "20191111/FEEL/\">amount = 7</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        TAIL;
    assert_int_equal(parse(xml, &s, &m), 0);
    const bt_process *p = &m->processes[0];
    assert_string_equal(expr_text(find_flow(p, "f1")->condition),
                        "amount > 100");
    assert_string_equal(expr_text(find_flow(p, "f2")->condition),
                        "${amount <= 100}");
    assert_string_equal(expr_text(find_flow(p, "f3")->condition),
                        "amount < 0");
    assert_null(find_flow(p, "f4")->condition);
    assert_non_null(find_flow(p, "f5")->condition);
    const bt_element *g = find(p, "g");
    assert_int_equal(g->n_outgoing, 5);
    assert_string_equal(p->flows[g->default_flow].id, "f4");
    bt_model_unref(m);
}

/* Inclusive gateways take conditions and a default flow as exclusive
 * ones do; each scope lists its joins, the gateways with several
 * incoming flows where tokens wait (a fork with one incoming flow is
 * none), and how many of them are inclusive. */
static void inclusive_gateways_and_joins(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *xml = HEAD
        "<bpmn:startEvent id=\"start\"/>\n"
        "<bpmn:inclusiveGateway id=\"fork\" default=\"f3\"/>\n"
        "<bpmn:sequenceFlow id=\"f0\" sourceRef=\"start\" targetRef=\"fork\"/>\n"
        "<bpmn:sequenceFlow id=\"f1\" sourceRef=\"fork\" targetRef=\"pj\">"
        "<bpmn:conditionExpression>= a</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"fork\" targetRef=\"sub\">"
        "<bpmn:conditionExpression>${b}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        "<bpmn:sequenceFlow id=\"f3\" sourceRef=\"fork\" targetRef=\"ij\"/>\n"
        "<bpmn:subProcess id=\"sub\">\n"
        "<bpmn:startEvent id=\"s0\"/>\n"
        "<bpmn:inclusiveGateway id=\"sf\"/>\n"
        "<bpmn:inclusiveGateway id=\"sj\"/>\n"
        "<bpmn:endEvent id=\"s9\"/>\n"
        "<bpmn:sequenceFlow id=\"s1\" sourceRef=\"s0\" targetRef=\"sf\"/>\n"
        "<bpmn:sequenceFlow id=\"s2\" sourceRef=\"sf\" targetRef=\"sj\"/>\n"
        "<bpmn:sequenceFlow id=\"s3\" sourceRef=\"sf\" targetRef=\"sj\"/>\n"
        "<bpmn:sequenceFlow id=\"s4\" sourceRef=\"sj\" targetRef=\"s9\"/>\n"
        "</bpmn:subProcess>\n"
        "<bpmn:parallelGateway id=\"pj\"/>\n"
        "<bpmn:inclusiveGateway id=\"ij\"/>\n"
        "<bpmn:sequenceFlow id=\"f4\" sourceRef=\"sub\" targetRef=\"ij\"/>\n"
        "<bpmn:sequenceFlow id=\"f5\" sourceRef=\"ij\" targetRef=\"pj\"/>\n"
        "<bpmn:endEvent id=\"end\"/>\n"
        "<bpmn:sequenceFlow id=\"f6\" sourceRef=\"pj\" targetRef=\"end\"/>\n"
        TAIL;
    assert_int_equal(parse(xml, &s, &m), 0);
    const bt_process *p = &m->processes[0];
    const bt_element *fork = find(p, "fork");
    assert_int_equal(fork->kind, BT_INCLUSIVE_GATEWAY);
    assert_string_equal(bt_kind_zeebe_name(fork), "INCLUSIVE_GATEWAY");
    assert_string_equal(p->flows[fork->default_flow].id, "f3");
    assert_string_equal(expr_text(find_flow(p, "f1")->condition), "a");
    assert_string_equal(expr_text(find_flow(p, "f2")->condition), "${b}");
    assert_false(bt_el_joins(fork));
    /* The process level: pj and ij, in document order; ij inclusive. */
    assert_int_equal(p->joins.n_joins, 2);
    assert_ptr_equal(&p->elements[p->joins.joins[0]], find(p, "pj"));
    assert_ptr_equal(&p->elements[p->joins.joins[1]], find(p, "ij"));
    assert_int_equal(p->joins.n_reachable, 1);
    /* The subprocess: sj only (two flows from sf to it). */
    const bt_scope_joins *sj = bt_joins_of(p, bt_process_find(p, "sub"));
    assert_int_equal(sj->n_joins, 1);
    assert_ptr_equal(&p->elements[sj->joins[0]], find(p, "sj"));
    assert_int_equal(sj->n_reachable, 1);
    bt_model_unref(m);
}

/* ------------------------------------------------------------------ */
/* Compensation                                                        */
/* ------------------------------------------------------------------ */

#define COMP_BOUNDARY(id, on)                                                 \
    "<bpmn:boundaryEvent id=\"" id "\" attachedToRef=\"" on "\">"             \
    "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>\n"
#define HANDLER(id)                                                           \
    "<bpmn:serviceTask id=\"" id "\" isForCompensation=\"true\"/>\n"
#define ASSOC(id, from, to)                                                   \
    "<bpmn:association id=\"" id "\" sourceRef=\"" from "\" targetRef=\"" to  \
    "\"/>\n"

/* Associations to anything but an activity change nothing: a text
 * annotation beside the handler, one from the task. */
static void compensation_associations(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *xml = HEAD START_END
        "<bpmn:task id=\"t\"/>\n" COMP_BOUNDARY("b", "t") HANDLER("h")
        "<bpmn:textAnnotation id=\"note\"><bpmn:text>undo</bpmn:text>"
        "</bpmn:textAnnotation>\n"
        ASSOC("a0", "b", "note") ASSOC("a1", "b", "h") ASSOC("a2", "t", "note")
        "<bpmn:intermediateThrowEvent id=\"x\">"
        "<bpmn:compensateEventDefinition activityRef=\"t\" "
        "waitForCompletion=\"true\"/></bpmn:intermediateThrowEvent>\n"
        TAIL;
    assert_int_equal(parse(xml, &s, &m), 0);
    const bt_process *p = &m->processes[0];
    assert_int_equal(find(p, "t")->compensation_handler, idx(p, "h"));
    assert_int_equal(find(p, "x")->event.activity_ref, idx(p, "t"));
    assert_int_equal(find(p, "x")->event.wait_for_completion, 1);
    bt_model_unref(m);
}

/* camunda:failedJobRetryTimeCycle gives the retries when Zeebe's task
 * definition does not, and the backoff between them. */
static void camunda7_retry_cycle(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *xml = HEAD START_END
        "<bpmn:serviceTask id=\"a\"><bpmn:extensionElements>"
        "<camunda:failedJobRetryTimeCycle>R5/PT10M"
        "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>"
        "</bpmn:serviceTask>\n"
        "<bpmn:serviceTask id=\"b\"><bpmn:extensionElements>"
        "<camunda:failedJobRetryTimeCycle> R0/PT1S "
        "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>"
        "</bpmn:serviceTask>\n"
        "<bpmn:serviceTask id=\"c\"><bpmn:extensionElements>"
        "<zeebe:taskDefinition type=\"c\" retries=\"2\"/>"
        "<camunda:failedJobRetryTimeCycle>R5/PT10M"
        "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>"
        "</bpmn:serviceTask>\n"
        "<bpmn:serviceTask id=\"d\"><bpmn:extensionElements>"
        "<zeebe:taskDefinition type=\"d\" retries=\"\"/>"
        "<camunda:failedJobRetryTimeCycle>R7/PT1S"
        "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>"
        "</bpmn:serviceTask>\n"
        TAIL;
    assert_int_equal(parse(xml, &s, &m), 0);
    const bt_process *p = &m->processes[0];
    assert_int_equal(find(p, "a")->job.retries, 5);
    assert_int_equal(find(p, "b")->job.retries, 0);
    assert_int_equal(find(p, "c")->job.retries, 2);
    assert_int_equal(find(p, "d")->job.retries, 7);
    /* The interval is the wait before each retry; Zeebe's task
     * definition says nothing of it, so Camunda 7's holds beside it. */
    const bt_element *a = find(p, "a");
    assert_int_equal(a->job.has_backoff, 1);
    assert_int_equal(a->job.backoff.millis, 10 * 60 * 1000);
    assert_int_equal(a->job.backoff.days, 0);
    assert_int_equal(find(p, "b")->job.backoff.millis, 1000);
    assert_int_equal(find(p, "c")->job.has_backoff, 1);
    assert_int_equal(find(p, "c")->job.backoff.millis, 10 * 60 * 1000);
    bt_model_unref(m);
    /* No cycle, no backoff. */
    const char *plain = HEAD START_END "<bpmn:serviceTask id=\"t\"/>\n" TAIL;
    assert_int_equal(parse(plain, &s, &m), 0);
    assert_int_equal(find(&m->processes[0], "t")->job.has_backoff, 0);
    bt_model_unref(m);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static int32_t el(const bt_process *p, const char *id)
{
    int32_t i = bt_process_find(p, id);
    if (i < 0)
        fail_msg("no element %s", id);
    return i;
}

/* Every start of the process in document order, the none start event
 * among them; names, keys and timers where the engine reads them. */
static void event_starts_and_catches(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_TESTDATA", "parse/events.bpmn", &s,
                                &m),
                     0);
    const bt_process *p = &m->processes[0];
    assert_int_equal(p->start, el(p, "Start"));
    static const char *const starts[] = { "Start", "Hourly", "Ordered",
                                          "Received", "Stopped" };
    assert_int_equal(p->n_starts, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(p->starts[i], el(p, starts[i]));

    const bt_element *hourly = find(p, "Hourly");
    assert_int_equal(hourly->evdef, BT_EVDEF_TIMER);
    assert_int_equal(hourly->event.timer_type, BT_TIMER_CYCLE);
    assert_non_null(hourly->event.timer);
    assert_int_equal(hourly->event.timer->type, BT_TIMER_CYCLE);
    assert_int_equal(hourly->event.timer->repeat, -1);
    assert_int_equal(hourly->event.timer->every.millis, 3600 * 1000);
    assert_null(hourly->event.timer_expr);

    const bt_element *ordered = find(p, "Ordered");
    assert_int_equal(ordered->evdef, BT_EVDEF_MESSAGE);
    assert_string_equal(ordered->event.name, "order-placed");
    assert_null(ordered->event.name_expr);
    assert_null(ordered->event.correlation_key);
    /* A start's name expression is worked out at load, without
     * variables. */
    const bt_element *received = find(p, "Received");
    assert_int_equal(received->kind, BT_RECEIVE_TASK);
    assert_int_equal(received->instantiate, 1);
    assert_string_equal(received->event.name, "order-changed");
    assert_null(received->event.name_expr);
    assert_string_equal(find(p, "Stopped")->event.name, "stop");

    const bt_element *wait = find(p, "Wait");
    assert_int_equal(wait->kind, BT_INTERMEDIATE_CATCH_EVENT);
    assert_int_equal(wait->event.timer_type, BT_TIMER_DURATION);
    assert_int_equal(wait->event.timer->every.millis, 15 * 60 * 1000);
    const bt_element *paid = find(p, "Paid");
    assert_string_equal(paid->event.name, "payment-received");
    assert_string_equal(expr_text(paid->event.correlation_key), "order.id");
    const bt_element *ready = find(p, "Ready");
    assert_int_equal(ready->evdef, BT_EVDEF_CONDITIONAL);
    assert_string_equal(expr_text(ready->event.condition), "stock >= 1");
    const bt_element *choose = find(p, "Choose");
    assert_int_equal(choose->kind, BT_EVENT_BASED_GATEWAY);
    assert_int_equal(choose->n_outgoing, 4);

    /* Elsewhere than a process start, a name expression waits for the
     * instance; a constant key is a literal. */
    const bt_element *cancelled = find(p, "Cancelled");
    assert_null(cancelled->event.name);
    assert_string_equal(expr_text(cancelled->event.name_expr),
                        "\"cancel-\" + region");
    assert_string_equal(bt_expr_text(cancelled->event.correlation_key),
                        "fixed-key");
    assert_int_equal(cancelled->event.interrupting, 0);
    assert_int_equal(find(p, "OnCancel")->scope.start, el(p, "Cancelled"));
    bt_model_unref(m);
}

/* Links, escalations, message throws as jobs, boundary events of each
 * trigger. */
static void event_throws_and_boundaries(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    assert_int_equal(parse_file("BATON_TESTDATA", "parse/events.bpmn", &s,
                                &m),
                     0);
    const bt_process *p = &m->processes[0];
    const bt_element *go = find(p, "GoOn");
    assert_int_equal(go->evdef, BT_EVDEF_LINK);
    assert_string_equal(go->event.link_name, "on");
    assert_int_equal(go->event.link_target, el(p, "On"));
    assert_int_equal(find(p, "On")->event.link_target, -1);

    const bt_element *warn = find(p, "Warn");
    assert_string_equal(warn->event.escalation_code, "LATE");
    assert_null(warn->job.type);
    const bt_element *late = find(p, "Late");
    assert_int_equal(late->evdef, BT_EVDEF_ESCALATION);
    assert_string_equal(late->event.escalation_code, "LATE");
    assert_int_equal(late->event.cancel_activity, 0);
    assert_int_equal(late->event.attached_to, el(p, "Work"));
    const bt_element *escalated = find(p, "Escalated");
    assert_null(escalated->event.escalation_code); /* every escalation */
    assert_int_equal(escalated->event.interrupting, 1);

    const bt_element *timeout = find(p, "Timeout");
    assert_int_equal(timeout->event.cancel_activity, 1);
    assert_null(timeout->event.timer);
    assert_string_equal(expr_text(timeout->event.timer_expr), "${timeout}");
    assert_int_equal(find(p, "Work")->n_boundaries, 2);

    /* Message throws are jobs; a signal throw is not. */
    const bt_element *notify = find(p, "Notify");
    assert_string_equal(notify->job.type, "notify");
    assert_int_equal(notify->job.retries, 3);
    assert_null(notify->event.name);
    const bt_element *reply = find(p, "Reply");
    assert_string_equal(reply->job.type, "Reply");
    assert_string_equal(reply->event.name, "order-placed");
    assert_null(reply->event.correlation_key);
    const bt_element *end = find(p, "End");
    assert_int_equal(end->evdef, BT_EVDEF_SIGNAL);
    assert_string_equal(end->event.name, "stop");
    assert_null(end->job.type);
    assert_int_equal(p->n_job_types, 2);
    assert_string_equal(p->job_types[0], "notify");
    assert_string_equal(p->job_types[1], "Reply");
    assert_int_equal(p->n_event_subprocesses, 2);
    bt_model_unref(m);
}

/* Every allocation of the loader may fail: the load then ends with
 * BATON_ENOMEM, no model and nothing leaked (the sanitizer build checks),
 * on models that take every path of scopes, boundary events and
 * compensation. */
typedef struct failing {
    long left; /* allocations to grant before failing one */
    long live;
} failing;

static void *failing_alloc(void *ud, void *ptr, size_t old, size_t size)
{
    failing *f = ud;
    if (size == 0) {
        if (ptr)
            f->live--;
        return bt_default_alloc(NULL, ptr, old, 0);
    }
    if (f->left-- == 0)
        return NULL;
    void *q = bt_default_alloc(NULL, ptr, old, size);
    if (q && !ptr)
        f->live++;
    return q;
}

static void allocation_failures(void **state)
{
    (void)state;
    static const char *const files[][2] = {
        { "BATON_TESTDATA", "parse/subprocesses.bpmn" },
        { "BATON_MODELS", "trip-booking-saga.bpmn" },
        { "BATON_CORPUS", SEED_SERVERLESS_COMP },
        { "BATON_TESTDATA", "parse/events.bpmn" },
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *xml = read_file(files[i][0], files[i][1], &len);
        long n = 0;
        for (;; n++) {
            failing f = { n, 0 };
            bt_alloc a = { failing_alloc, &f };
            baton_model *m = NULL;
            int rc = bt_parse_bpmn(&a, NULL, xml, len, NULL, NULL, NULL, &m);
            if (rc == 0) {
                assert_non_null(m);
                bt_model_unref(m);
                assert_int_equal(f.live, 0);
                break;
            }
            assert_int_equal(rc, BATON_ENOMEM);
            assert_null(m);
            assert_int_equal(f.live, 0);
        }
        assert_true(n > 10);
        free(xml);
    }
}

/* ------------------------------------------------------------------ */
/* Encodings                                                           */
/* ------------------------------------------------------------------ */

static void other_encodings(void **state)
{
    (void)state;
    saw s;
    baton_model *m;
    const char *latin1 =
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n"
        "<process id=\"p\" name=\"Caf\xe9\" isExecutable=\"false\"/>\n"
        "</definitions>\n";
    assert_int_equal(parse(latin1, &s, &m), 0);
    assert_string_equal(m->processes[0].name, "Caf\xc3\xa9");
    bt_model_unref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_zeebe_trip_structure),
        cmocka_unit_test(trip_booking_saga_structure),
        cmocka_unit_test(seed_serverless_compensation),
        cmocka_unit_test(seed_java_and_csharp_compensation),
        cmocka_unit_test(nested_subprocesses),
        cmocka_unit_test(default_namespace),
        cmocka_unit_test(any_prefix_but_namespace_matters),
        cmocka_unit_test(multiple_processes),
        cmocka_unit_test(non_executable_kept),
        cmocka_unit_test(definitions_without_processes),
        cmocka_unit_test(ignored_elements),
        cmocka_unit_test(element_kinds),
        cmocka_unit_test(line_numbers),
        cmocka_unit_test(zeebe_jobs_and_mappings),
        cmocka_unit_test(camunda7_job_types),
        cmocka_unit_test(transaction_fields),
        cmocka_unit_test(conditions),
        cmocka_unit_test(inclusive_gateways_and_joins),
        cmocka_unit_test(compensation_associations),
        cmocka_unit_test(camunda7_retry_cycle),
        cmocka_unit_test(event_starts_and_catches),
        cmocka_unit_test(event_throws_and_boundaries),
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test(other_encodings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
