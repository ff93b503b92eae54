/*
 * compensation_form.c - the saga with BPMN compensation
 * (trip-booking-saga.bpmn).
 *
 * Reserve car, book hotel, book flight; each booking has a compensation
 * boundary event joined to its cancel task (isForCompensation). When the
 * flight booking throws the BPMN error FLIGHT_BOOKING_FAILED, the error
 * boundary event on "Book flight" leads to a compensation throw event,
 * and the engine runs the cancel tasks of the bookings that completed, in
 * reverse order of completion: CancelHotel, then CancelCar. The flight
 * never completed, so CancelFlight never runs (BPMN 2.0.2 §10.6.5).
 *
 * The model's tasks have no job type, so their job type is their element
 * id, and one in-process handler is registered per element id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "trip_booking.h"

/* The six tasks of the model and what their handlers do. */
struct task {
    const char *id;     /* element id, and so job type */
    enum booking which;
    int is_cancel;
    const char *var;    /* the variable a booking sets and a cancel reads */
    const char *ref;    /* the booking reference it sets */
};

static const struct task tasks[] = {
    {"ReserveCar", CAR, 0, "carReservation", "CAR-1"},
    {"BookHotel", HOTEL, 0, "hotelBooking", "HOTEL-1"},
    {"BookFlight", FLIGHT, 0, "flightBooking", "FLIGHT-1"},
    {"CancelCar", CAR, 1, "carReservation", NULL},
    {"CancelHotel", HOTEL, 1, "hotelBooking", NULL},
    {"CancelFlight", FLIGHT, 1, "flightBooking", NULL},
};
#define N_TASKS (sizeof tasks / sizeof tasks[0])

/* The only error the model catches, on "Book flight". */
#define FLIGHT_ERROR "FLIGHT_BOOKING_FAILED"

/* A short list of ids (or "INTENT id" pairs) seen during a case. */
#define MAX_SEEN 24
struct seen {
    char item[MAX_SEEN][96];
    size_t n;
    int overflow;
};

/* What a case must produce; the lists end with NULL. */
struct expectation {
    const char *const *handlers; /* handler calls, in order */
    const char *const *tasks;    /* service tasks completed, in order */
    const char *const *comp;     /* COMPENSATION_SUBSCRIPTION records */
    const char *end_event;
};

/* One run of the saga and what it did. */
struct comp_case {
    struct seen handlers;
    struct seen tasks;
    struct seen comp;
    char end_event[128];
    int surprises; /* handler-side surprises, e.g. nothing to cancel */
};

static void seen_add(struct seen *s, const char *a, const char *b)
{
    if (s->n == MAX_SEEN) {
        s->overflow = 1;
        return;
    }
    snprintf(s->item[s->n++], sizeof s->item[0], "%s%s%s", a, b ? " " : "",
             b ? b : "");
}

static int seen_equals(const struct seen *s, const char *const *expected)
{
    size_t i;

    if (s->overflow)
        return 0;
    for (i = 0; i < s->n; i++)
        if (!expected[i] || strcmp(s->item[i], expected[i]) != 0)
            return 0;
    return expected[i] == NULL;
}

static void print_list(const char *label, const char *const *items,
                       size_t n)
{
    size_t i;

    printf("       %s:", label);
    if (!n)
        printf(" (none)");
    for (i = 0; i < n; i++)
        printf("%s %s", i ? "," : "", items[i]);
    printf("\n");
}

/* Reports one mismatch between what a case did and what it must do. */
static int check_list(const char *what, const struct seen *got,
                      const char *const *expected)
{
    const char *items[MAX_SEEN];
    size_t i, n = 0;

    if (seen_equals(got, expected))
        return 1;
    printf("  !! %s differ%s\n", what,
           got->overflow ? " (too many to keep)" : "");
    while (expected[n])
        n++;
    print_list("expected", expected, n);
    for (i = 0; i < got->n; i++)
        items[i] = got->item[i];
    print_list("got     ", items, got->n);
    return 0;
}

static const struct task *find_task(const char *id)
{
    size_t i;

    for (i = 0; i < N_TASKS; i++)
        if (strcmp(tasks[i].id, id) == 0)
            return &tasks[i];
    return NULL;
}

static int settle(int rc)
{
    return rc == BATON_OK ? 0 : rc;
}

/* ReserveCar, BookHotel, BookFlight: completes with the booking's
 * reference, or throws the BPMN error when the booking is asked to fail
 * (variable book<X>Failure = true). */
static int book_handler(void *ud, baton_job *job)
{
    struct comp_case *cc = ud;
    const struct task *t = find_task(baton_job_type(job));
    char vars[128];
    int fails = 0, rc;

    seen_add(&cc->handlers, baton_job_type(job), NULL);
    if (!t) {
        cc->surprises++;
        return settle(baton_job_fail(job, 0, "no such booking"));
    }
    rc = booking_fails(job, t->which, &fails);
    if (rc != BATON_OK) {
        cc->surprises++;
        return settle(baton_job_fail(job, 0, baton_strerror(rc)));
    }
    if (fails) {
        printf("  call   %-24s throws BPMN error %s\n", t->id, FLIGHT_ERROR);
        return settle(baton_job_throw_error(job, FLIGHT_ERROR,
                                            "no seats left"));
    }
    snprintf(vars, sizeof vars, "{\"%s\": \"%s\"}", t->var, t->ref);
    printf("  call   %-24s -> %s\n", t->id, vars);
    return settle(baton_job_complete(job, vars, BATON_NUL));
}

/* CancelCar, CancelHotel, CancelFlight: cancels the booking whose
 * reference the booking task left in the variables. */
static int cancel_handler(void *ud, baton_job *job)
{
    struct comp_case *cc = ud;
    const struct task *t = find_task(baton_job_type(job));
    char *text = NULL;
    size_t len = 0;
    json_t *vars = NULL, *ref;
    json_error_t jerr;

    seen_add(&cc->handlers, baton_job_type(job), NULL);
    if (t && baton_job_variables(job, &text, &len) == BATON_OK) {
        vars = json_loadb(text, len, 0, &jerr);
        baton_free(text);
    }
    ref = t ? json_object_get(vars, t->var) : NULL;
    if (json_is_string(ref)) {
        printf("  call   %-24s cancels %s\n", t->id, json_string_value(ref));
    } else {
        printf("  call   %-24s finds no %s to cancel\n", baton_job_type(job),
               t ? t->var : "booking");
        cc->surprises++;
    }
    json_decref(vars);
    return settle(baton_job_complete(job, NULL, 0));
}

/* The id of the handler a COMPENSATION_SUBSCRIPTION record names; it is
 * only in the record's JSON form. */
static void handler_of(const baton_record *rec, char *buf, size_t size)
{
    char *text = NULL;
    size_t len = 0;
    json_t *root = NULL;
    json_error_t jerr;
    const char *id = NULL;

    if (baton_record_to_json(rec, &text, &len) == BATON_OK) {
        root = json_loadb(text, len, 0, &jerr);
        baton_free(text);
        id = json_string_value(json_object_get(
            json_object_get(root, "value"), "compensationHandlerId"));
    }
    snprintf(buf, size, "%s", id ? id : "?");
    json_decref(root);
}

/* The trace: compensation subscriptions, BPMN errors, every element that
 * completes, and the end event reached. */
static void trace_record(void *ud, baton_instance *instance,
                         const baton_record *rec)
{
    struct comp_case *cc = ud;
    int vt = baton_record_value_type(rec);
    int intent = baton_record_intent(rec);
    const char *type = baton_record_element_type(rec);
    const char *id = baton_record_element_id(rec);
    char handler[96];

    (void)instance;
    /* Never NULL by contract; said again for the compiler's format check,
     * which cannot see into the shared library under the sanitizers. */
    if (!type || !id)
        return;
    if (vt == BATON_VT_COMPENSATION_SUBSCRIPTION) {
        handler_of(rec, handler, sizeof handler);
        printf("  comp   %-24s %-9s (handler %s)\n", id,
               baton_intent_name(intent), handler);
        seen_add(&cc->comp, baton_intent_name(intent), id);
        return;
    }
    if (vt != BATON_VT_PROCESS_INSTANCE ||
        intent != BATON_INTENT_ELEMENT_COMPLETED)
        return;
    if (strcmp(type, "END_EVENT") == 0) {
        printf("  end    %s\n", id);
        snprintf(cc->end_event, sizeof cc->end_event, "%s", id);
    } else if (strcmp(type, "PROCESS") == 0) {
        printf("  done   process %s\n", id);
    } else {
        printf("  done   %-24s %s\n", id, type);
        if (strcmp(type, "SERVICE_TASK") == 0)
            seen_add(&cc->tasks, id, NULL);
    }
}

/* Every booking completes: nothing is compensated. Each booking still
 * leaves an entry in the compensation log when it completes, deleted
 * untriggered when the process completes (as Zeebe does). */
static const char *const happy_handlers[] = {"ReserveCar", "BookHotel",
                                             "BookFlight", NULL};
static const char *const happy_comp[] = {
    "CREATED ReserveCar", "CREATED BookHotel", "CREATED BookFlight",
    "DELETED ReserveCar", "DELETED BookHotel", "DELETED BookFlight", NULL};
static const struct expectation happy = {
    happy_handlers, happy_handlers, happy_comp, "EndEvent_TripBooked"};

/* The flight fails: the completed bookings are cancelled in reverse order
 * of completion, one at a time; the flight never completed. */
static const char *const flight_handlers[] = {
    "ReserveCar", "BookHotel", "BookFlight", "CancelHotel", "CancelCar",
    NULL};
static const char *const flight_tasks[] = {"ReserveCar", "BookHotel",
                                           "CancelHotel", "CancelCar", NULL};
static const char *const flight_comp[] = {
    "CREATED ReserveCar",  "CREATED BookHotel",    "TRIGGERED BookHotel",
    "COMPLETED BookHotel", "TRIGGERED ReserveCar", "COMPLETED ReserveCar",
    NULL};
static const struct expectation flight_fails = {
    flight_handlers, flight_tasks, flight_comp, "EndEvent_TripCancelled"};

int compensation_run_case(baton_engine *engine, int fail)
{
    struct comp_case cc;
    const struct expectation *ex = fail < 0 ? &happy : &flight_fails;
    baton_instance *inst = NULL;
    char vars[64];
    size_t i, n_cancel = 0;
    int rc = BATON_OK, ok = 1, completed;

    if (fail >= 0 && fail != FLIGHT) {
        fprintf(stderr, "trip-booking: the compensation model only models "
                        "a failing flight\n");
        return -1;
    }
    memset(&cc, 0, sizeof cc);
    begin_case(fail, vars, sizeof vars);

    baton_engine_set_record_sink(engine, trace_record, &cc);
    for (i = 0; rc == BATON_OK && i < N_TASKS; i++)
        rc = baton_engine_register_handler(
            engine, tasks[i].id,
            tasks[i].is_cancel ? cancel_handler : book_handler, &cc);
    if (rc != BATON_OK) {
        print_error(engine, "register", rc);
        baton_engine_set_record_sink(engine, NULL, NULL);
        return -1;
    }
    if (start_and_run(engine, vars, &inst) < 0)
        return -1;

    completed = baton_instance_state(inst) == BATON_INSTANCE_COMPLETED;
    if (!completed) {
        printf("  !! the instance did not complete (state %d)\n",
               baton_instance_state(inst));
        ok = 0;
    }
    if (strcmp(cc.end_event, ex->end_event) != 0) {
        printf("  !! expected to end at %s\n", ex->end_event);
        ok = 0;
    }
    if (cc.surprises)
        ok = 0;
    ok &= check_list("handler calls", &cc.handlers, ex->handlers);
    ok &= check_list("completed tasks", &cc.tasks, ex->tasks);
    ok &= check_list("compensation records", &cc.comp, ex->comp);

    printf("  => %s at %s", completed ? "completed" : "NOT completed",
           cc.end_event[0] ? cc.end_event : "no end event");
    for (i = 0; i < cc.handlers.n; i++) {
        const struct task *t = find_task(cc.handlers.item[i]);
        if (t && t->is_cancel)
            printf("%s %s", n_cancel++ ? "," : "; cancelled",
                   booking_name[t->which]);
    }
    if (!n_cancel)
        printf("; nothing cancelled");
    printf("%s\n\n", ok ? "" : "  <-- UNEXPECTED");

    baton_instance_free(inst);
    baton_engine_set_record_sink(engine, NULL, NULL);
    return ok;
}
