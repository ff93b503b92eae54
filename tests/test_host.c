/*
 * test_host.c - the durable host (baton_host.h) on SQLite and on
 * PostgreSQL: deployments and versions, instances run by external job
 * workers and by a worker with handlers, messages kept with a time to
 * live, timers, signals, incidents, cancellation, and bad input.
 *
 * Every test runs once per store; the PostgreSQL half needs BATON_TEST_PG
 * (tests/pg/with_pg.sh starts a server for it).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "baton_host.h"
#include "host/host_fixture.h"
#include "host/store_util.h"

static const char *models;

static char *model_text(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", models, name);
    char *text = store_read_file(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    return text;
}

static void deploy(fixture *f, const char *name, int version, int is_new)
{
    char *xml = model_text(name);
    char *out = NULL;
    int rc = baton_host_deploy(f->h, xml, BATON_NUL, name, &out);
    if (rc)
        fail_msg("deploy %s: %s", name, baton_host_errmsg(f->h));
    json_t *doc = json_loads(out, 0, NULL);
    assert_int_equal(json_array_size(doc), 1);
    json_t *d = json_array_get(doc, 0);
    assert_int_equal(json_integer_value(json_object_get(d, "version")),
                     version);
    assert_int_equal(json_is_true(json_object_get(d, "new")), is_new);
    json_decref(doc);
    baton_host_free(out);
    free(xml);
}

static const char *state_of(fixture *f, uint64_t key)
{
    static char buf[32];
    json_t *doc = fixture_instance(f, key);
    snprintf(buf, sizeof buf, "%s",
             json_string_value(json_object_get(doc, "state")));
    json_decref(doc);
    return buf;
}

/* Activates one job of `type`; returns its key (0: none). */
static uint64_t activate_one(fixture *f, const char *type, json_t **job)
{
    char *out = NULL;
    size_t n = 0;
    int rc = baton_host_activate_jobs(f->h, type, "test", 1, 60000, &out, &n);
    if (rc)
        fail_msg("activate: %s", baton_host_errmsg(f->h));
    uint64_t key = 0;
    if (n) {
        json_t *doc = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
        key = (uint64_t)json_integer_value(json_object_get(doc, "key"));
        if (job)
            *job = doc;
        else
            json_decref(doc);
    }
    baton_host_free(out);
    return key;
}

/* The element ids of ELEMENT_COMPLETED records of service tasks, in
 * order, joined by spaces. */
static void completed_tasks(fixture *f, uint64_t key, char *buf, size_t n)
{
    json_t *doc = fixture_instance(f, key);
    buf[0] = '\0';
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(doc, "history"), i, h) {
        json_t *rec = json_object_get(h, "record");
        json_t *value = json_object_get(rec, "value");
        const char *intent = json_string_value(json_object_get(rec, "intent"));
        const char *type =
            json_string_value(json_object_get(value, "bpmnElementType"));
        if (intent && type && strcmp(intent, "ELEMENT_COMPLETED") == 0 &&
            strcmp(type, "SERVICE_TASK") == 0) {
            if (buf[0])
                strncat(buf, " ", n - strlen(buf) - 1);
            strncat(buf,
                    json_string_value(json_object_get(value, "elementId")),
                    n - strlen(buf) - 1);
        }
    }
    json_decref(doc);
}

/* ---- Deployments ------------------------------------------------------ */

static void test_versions(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    deploy(f, "trip-booking-saga.bpmn", 1, 0);
    /* A changed model is the next version; instances start on it. */
    char *xml = model_text("trip-booking-saga.bpmn");
    char *p = strstr(xml, "name=\"Book hotel\"");
    assert_non_null(p);
    memcpy(p, "name=\"Book HOTEL\"", 17);
    char *out = NULL;
    CHECK(f, baton_host_deploy(f->h, xml, BATON_NUL, "v2", &out), 0);
    assert_non_null(strstr(out, "\"version\":2"));
    baton_host_free(out);
    free(xml);
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, "b-1",
                                      &key), 0);
    json_t *doc = fixture_instance(f, key);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(doc, "businessKey")),
                        "b-1");
    json_decref(doc);
    CHECK(f, baton_host_deployments(f->h, &out), 0);
    json_t *deps = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_int_equal(json_array_size(deps), 2);
    json_t *v2 = json_object_get(json_array_get(deps, 1), "instances");
    assert_int_equal(json_integer_value(json_object_get(v2, "WAITING")), 1);
    json_decref(deps);
}

static void test_bad_model(void **state)
{
    FIXTURE(f);
    const char *bad = "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/"
                      "spec/BPMN/20100524/MODEL\">\n  <bpmn:process id=\"p\" "
                      "isExecutable=\"true\">\n    <bpmn:startEvent id=\"s\">"
                      "\n  </bpmn:process>\n</bpmn:definitions>";
    char *out = (char *)"untouched";
    int rc = baton_host_deploy(f->h, bad, BATON_NUL, "bad.bpmn", &out);
    assert_int_equal(rc, BATON_EPARSE);
    assert_null(out);
    assert_non_null(strstr(baton_host_errmsg(f->h), "bad.bpmn:"));
    CHECK(f, baton_host_deployments(f->h, &out), 0);
    assert_string_equal(out, "[]");
    baton_host_free(out);
    /* Nothing deployed: nothing starts. */
    CHECK(f, baton_host_start(f->h, "p", NULL, 0, NULL, NULL), BATON_ENOTFOUND);
    assert_non_null(strstr(baton_host_errmsg(f->h), "'p' is not deployed"));
}

/* ---- External job workers --------------------------------------------- */

static void test_saga_by_external_jobs(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga",
                                      "{\"trip\":\"T-1\"}", BATON_NUL, NULL,
                                      &key), 0);
    assert_true(key >> 32 >= 1);
    assert_string_equal(state_of(f, key), "WAITING");
    json_t *job = NULL;
    uint64_t j = activate_one(f, "ReserveCar", &job);
    assert_true(j != 0);
    assert_int_equal(j >> 32, key >> 32);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(job, "variables"), "trip")), "T-1");
    json_decref(job);
    /* Locked: a second worker does not get it. */
    assert_int_equal(activate_one(f, "ReserveCar", NULL), 0);
    CHECK(f, baton_host_complete_job(f->h, j, "{\"car\":\"C-7\"}",
                                             BATON_NUL), 0);
    /* Completed once: a second completion (a worker that ran it again
     * after its lock expired) is refused and changes nothing. */
    CHECK(f, baton_host_complete_job(f->h, j, NULL, 0), BATON_ENOTFOUND);
    assert_non_null(strstr(baton_host_errmsg(f->h), "is not waiting"));
    j = activate_one(f, "BookHotel", NULL);
    CHECK(f, baton_host_complete_job(f->h, j, NULL, 0), 0);
    j = activate_one(f, "BookFlight", NULL);
    CHECK(f, baton_host_throw_error(f->h, j, "FLIGHT_BOOKING_FAILED",
                                            "no seats", NULL, 0), 0);
    /* Compensation in reverse order of completion. */
    uint64_t c1 = activate_one(f, "CancelHotel", NULL);
    assert_true(c1 != 0);
    assert_int_equal(activate_one(f, "CancelCar", NULL), 0);
    CHECK(f, baton_host_complete_job(f->h, c1, NULL, 0), 0);
    uint64_t c2 = activate_one(f, "CancelCar", NULL);
    assert_true(c2 != 0);
    CHECK(f, baton_host_complete_job(f->h, c2, NULL, 0), 0);
    assert_string_equal(state_of(f, key), "COMPLETED");
    char tasks[256];
    completed_tasks(f, key, tasks, sizeof tasks);
    assert_string_equal(tasks, "ReserveCar BookHotel CancelHotel CancelCar");
    json_t *doc = fixture_instance(f, key);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "variables"), "car")), "C-7");
    assert_int_equal(json_array_size(json_object_get(doc, "jobs")), 0);
    json_decref(doc);
}

/* A call activity in the durable host: the document's two processes are
 * two deployments of the store; the called one is loaded into the engine
 * when the call activity needs it, and again when a host that never ran
 * it restores an instance that is inside it. */
static void test_call_activity(void **state)
{
    FIXTURE(f);
    char *xml = model_text("call-leg.bpmn");
    char *out = NULL;
    CHECK(f, baton_host_deploy(f->h, xml, BATON_NUL, "call-leg.bpmn", &out),
          0);
    baton_host_free(out);
    free(xml);
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "CallTrip", "{\"leg\":\"hotel\"}",
                              BATON_NUL, NULL, &key),
          0);
    assert_string_equal(state_of(f, key), "WAITING");
    json_t *job = NULL;
    uint64_t j = activate_one(f, "Reserve", &job);
    assert_true(j != 0);
    assert_string_equal(json_string_value(json_object_get(job, "processId")),
                        "BookLeg");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(job, "variables"), "leg")),
                        "hotel");
    json_decref(job);
    /* Another host, with nothing loaded: restoring the instance needs the
     * called process too. */
    baton_host_close(f->h);
    CHECK(f, baton_host_open(f->uri, &f->h), 0);
    baton_host_set_clock(f->h, fixture_clock, f);
    CHECK(f, baton_host_complete_job(f->h, j, "{\"booking\":\"H-1\"}",
                                     BATON_NUL),
          0);
    assert_string_equal(state_of(f, key), "COMPLETED");
    json_t *doc = fixture_instance(f, key);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(doc, "variables"), "booking")),
                        "H-1");
    json_decref(doc);
}

static void test_lock_expiry(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, NULL,
                                      &key), 0);
    uint64_t j = activate_one(f, "ReserveCar", NULL);
    assert_true(j != 0);
    f->now += 59999;
    assert_int_equal(activate_one(f, "ReserveCar", NULL), 0);
    f->now += 1;
    /* The first worker's lock ran out: the job is taken again. */
    assert_int_equal(activate_one(f, "ReserveCar", NULL), j);
}

static void test_fail_incident_resolve(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, NULL,
                                      &key), 0);
    uint64_t j = activate_one(f, "ReserveCar", NULL);
    /* A retry after a backoff: not activatable until it is due. */
    CHECK(f, baton_host_fail_job(f->h, j, 2, 5000, "busy"), 0);
    assert_int_equal(activate_one(f, "ReserveCar", NULL), 0);
    f->now += 5000;
    size_t did = 0;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    assert_int_equal(did, 1);
    j = activate_one(f, "ReserveCar", NULL);
    assert_true(j != 0);
    CHECK(f, baton_host_fail_job(f->h, j, 0, 0, "car service down"), 0);
    assert_string_equal(state_of(f, key), "INCIDENT");
    char *out = NULL;
    CHECK(f, baton_host_incidents(f->h, &out), 0);
    json_t *inc = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_int_equal(json_array_size(inc), 1);
    json_t *i0 = json_array_get(inc, 0);
    assert_string_equal(json_string_value(json_object_get(i0, "type")),
                        "JOB_NO_RETRIES");
    assert_string_equal(json_string_value(json_object_get(i0, "message")),
                        "the job failed with no retries left: car service "
                        "down");
    uint64_t ik = (uint64_t)json_integer_value(json_object_get(i0, "key"));
    json_decref(inc);
    assert_int_equal(activate_one(f, "ReserveCar", NULL), 0);
    CHECK(f, baton_host_resolve(f->h, ik), 0);
    CHECK(f, baton_host_resolve(f->h, ik), BATON_ENOTFOUND);
    assert_string_equal(state_of(f, key), "WAITING");
    j = activate_one(f, "ReserveCar", NULL);
    assert_true(j != 0);
    CHECK(f, baton_host_complete_job(f->h, j, NULL, 0), 0);
    CHECK(f, baton_host_incidents(f->h, &out), 0);
    assert_string_equal(out, "[]");
    baton_host_free(out);
}

static void test_cancel(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, NULL,
                                      &key), 0);
    CHECK(f, baton_host_cancel(f->h, key), 0);
    assert_string_equal(state_of(f, key), "TERMINATED");
    assert_int_equal(activate_one(f, "ReserveCar", NULL), 0);
    CHECK(f, baton_host_cancel(f->h, key), BATON_ESTATE);
    assert_non_null(strstr(baton_host_errmsg(f->h), "already ended"));
    CHECK(f, baton_host_cancel(f->h, key + (1ull << 40)), BATON_ENOTFOUND);
}

/* ---- Messages, timers, signals ---------------------------------------- */

static void test_message_kept_until_subscription(void **state)
{
    FIXTURE(f);
    deploy(f, "events-flight-receive.bpmn", 1, 1);
    char *out = NULL;
    /* Published before anyone waits, kept for a minute. */
    CHECK(f, baton_host_publish(f->h, "airline-callback", "B-1",
                                        "{\"seat\":\"12A\"}", BATON_NUL, 60000,
                                        "cb-1", &out), 0);
    assert_non_null(strstr(out, "\"correlated\":[]"));
    baton_host_free(out);
    /* The same id again while it is kept: refused, nothing kept twice. */
    CHECK(f, baton_host_publish(f->h, "airline-callback", "B-1", NULL,
                                        0, 60000, "cb-1", NULL), BATON_HOST_ECONFLICT);
    uint64_t a = 0, b = 0;
    CHECK(f, baton_host_start(f->h, "FlightReceive",
                                      "{\"bookingId\":\"B-1\"}", BATON_NUL,
                                      NULL, &a), 0);
    CHECK(f, baton_host_start(f->h, "FlightReceive",
                                      "{\"bookingId\":\"B-2\"}", BATON_NUL,
                                      NULL, &b), 0);
    uint64_t j = activate_one(f, "book-flight", NULL);
    CHECK(f, baton_host_complete_job(f->h, j, NULL, 0), 0);
    j = activate_one(f, "book-flight", NULL);
    CHECK(f, baton_host_complete_job(f->h, j, NULL, 0), 0);
    /* Instance a took the kept message when its receive task opened. */
    json_t *job = NULL;
    j = activate_one(f, "confirm-trip", &job);
    assert_true(j != 0);
    assert_int_equal(json_integer_value(json_object_get(job,
                         "processInstanceKey")), (json_int_t)a);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(job, "variables"), "seat")), "12A");
    json_decref(job);
    assert_int_equal(activate_one(f, "confirm-trip", NULL), 0);
    /* b waits; a message without time to live reaches only those that
     * wait now. */
    CHECK(f, baton_host_publish(f->h, "airline-callback", "B-2", NULL,
                                        0, 0, NULL, &out), 0);
    char expect[64];
    snprintf(expect, sizeof expect, "\"correlated\":[%llu]",
             (unsigned long long)b);
    assert_non_null(strstr(out, expect));
    baton_host_free(out);
    /* After its time to live, the id is free again. */
    f->now += 60000;
    CHECK(f, baton_host_publish(f->h, "airline-callback", "B-9", NULL,
                                        0, 1000, "cb-1", NULL), 0);
}

/* A message goes at most once to a process id: of two instances that
 * wait for the same name and key, the older subscription takes it. */
static void test_message_once_per_process(void **state)
{
    FIXTURE(f);
    deploy(f, "events-flight-receive.bpmn", 1, 1);
    uint64_t k[2];
    for (int i = 0; i < 2; i++) {
        CHECK(f, baton_host_start(f->h, "FlightReceive",
                                  "{\"bookingId\":\"B-1\"}", BATON_NUL, NULL,
                                  &k[i]), 0);
        uint64_t j = activate_one(f, "book-flight", NULL);
        CHECK(f, baton_host_complete_job(f->h, j, NULL, 0), 0);
    }
    char *out = NULL;
    CHECK(f, baton_host_publish(f->h, "airline-callback", "B-1", NULL, 0, 0,
                                NULL, &out), 0);
    char expect[64];
    snprintf(expect, sizeof expect, "\"correlated\":[%llu]",
             (unsigned long long)k[0]);
    assert_non_null(strstr(out, expect));
    baton_host_free(out);
    CHECK(f, baton_host_publish(f->h, "airline-callback", "B-1", NULL, 0, 0,
                                NULL, &out), 0);
    snprintf(expect, sizeof expect, "\"correlated\":[%llu]",
             (unsigned long long)k[1]);
    assert_non_null(strstr(out, expect));
    baton_host_free(out);
}

static void test_timer(void **state)
{
    FIXTURE(f);
    deploy(f, "events-flight-timeout.bpmn", 1, 1);
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "FlightTimeout",
                                      "{\"bookingId\":\"B-1\"}", BATON_NUL,
                                      NULL, &key), 0);
    uint64_t j = activate_one(f, "book-flight", NULL);
    CHECK(f, baton_host_complete_job(f->h, j, NULL, 0), 0);
    json_t *doc = fixture_instance(f, key);
    json_t *timers = json_object_get(doc, "timers");
    assert_int_equal(json_array_size(timers), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(timers, 0), "due")),
                     f->now + 2 * 3600 * 1000);
    assert_int_equal(json_array_size(json_object_get(doc,
                         "messageSubscriptions")), 1);
    json_decref(doc);
    size_t did = 9;
    f->now += 2 * 3600 * 1000 - 1;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    assert_int_equal(did, 0);
    f->now += 1;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    assert_int_equal(did, 1);
    assert_true(activate_one(f, "cancel-flight", NULL) != 0);
    doc = fixture_instance(f, key);
    assert_int_equal(json_array_size(json_object_get(doc, "timers")), 0);
    assert_int_equal(json_array_size(json_object_get(doc,
                         "messageSubscriptions")), 0);
    json_decref(doc);
}

/* ---- Start events the host triggers ----------------------------------- */

static size_t count_instances(fixture *f, const char *process_id,
                              const char *state)
{
    char *out = NULL;
    CHECK(f, baton_host_instances(f->h, state, process_id, 0, 1000, &out), 0);
    json_t *list = json_loads(out, 0, NULL);
    baton_host_free(out);
    size_t n = json_array_size(list);
    json_decref(list);
    return n;
}

static void deploy_starts(fixture *f)
{
    char *xml = model_text("host-starts.bpmn");
    char *out = NULL;
    CHECK(f, baton_host_deploy(f->h, xml, BATON_NUL, "host-starts.bpmn",
                               &out), 0);
    assert_string_equal(out, "[{\"processId\":\"Hourly\",\"version\":1,"
                             "\"new\":true},{\"processId\":\"OnOrder\","
                             "\"version\":1,\"new\":true},{\"processId\":"
                             "\"OnAlarm\",\"version\":1,\"new\":true},"
                             "{\"processId\":\"AllClear\",\"version\":1,"
                             "\"new\":true}]");
    baton_host_free(out);
    free(xml);
}

static void test_timer_start(void **state)
{
    FIXTURE(f);
    deploy_starts(f);
    size_t did = 0;
    f->now += 3600 * 1000 - 1;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    assert_int_equal(count_instances(f, "Hourly", NULL), 0);
    f->now += 1;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    assert_int_equal(count_instances(f, "Hourly", NULL), 1);
    assert_true(activate_one(f, "tick", NULL) != 0);
    /* R2: once more an hour later, then never again. */
    f->now += 3600 * 1000;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    assert_int_equal(count_instances(f, "Hourly", NULL), 2);
    f->now += 10 * 3600 * 1000;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    assert_int_equal(count_instances(f, "Hourly", NULL), 2);
}

static void test_message_start(void **state)
{
    FIXTURE(f);
    deploy_starts(f);
    char *out = NULL;
    CHECK(f, baton_host_publish(f->h, "order-placed", "O-1",
                                "{\"order\":\"O-1\"}", BATON_NUL, 0, NULL,
                                &out), 0);
    json_t *doc = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_int_equal(json_array_size(json_object_get(doc, "started")), 1);
    json_decref(doc);
    /* The same correlation key while that instance runs: no second one. */
    CHECK(f, baton_host_publish(f->h, "order-placed", "O-1", NULL, 0, 0, NULL,
                                &out), 0);
    assert_non_null(strstr(out, "\"started\":[]"));
    baton_host_free(out);
    CHECK(f, baton_host_publish(f->h, "order-placed", "O-2", NULL, 0, 0, NULL,
                                NULL), 0);
    assert_int_equal(count_instances(f, "OnOrder", NULL), 2);
    json_t *job = NULL;
    uint64_t j = activate_one(f, "handle-order", &job);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(job, "variables"), "order")), "O-1");
    json_decref(job);
    CHECK(f, baton_host_complete_job(f->h, j, NULL, 0), 0);
    /* O-1's instance has ended: a new O-1 order starts again. */
    CHECK(f, baton_host_publish(f->h, "order-placed", "O-1", NULL, 0, 0, NULL,
                                NULL), 0);
    assert_int_equal(count_instances(f, "OnOrder", NULL), 3);
}

static void test_signals(void **state)
{
    FIXTURE(f);
    deploy_starts(f);
    size_t n = 0;
    CHECK(f, baton_host_signal(f->h, "alarm", "{\"level\":3}", BATON_NUL, &n),
          0);
    assert_int_equal(n, 1);
    CHECK(f, baton_host_signal(f->h, "alarm", NULL, 0, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(count_instances(f, "OnAlarm", "WAITING"), 2);
    /* Another process's throw reaches both, in the same transaction. */
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "AllClear", NULL, 0, NULL, &key), 0);
    assert_string_equal(state_of(f, key), "COMPLETED");
    assert_int_equal(count_instances(f, "OnAlarm", "COMPLETED"), 2);
    CHECK(f, baton_host_signal(f->h, "nobody-listens", NULL, 0, &n), 0);
    assert_int_equal(n, 0);
}

/* ---- A worker with handlers ------------------------------------------- */

typedef struct calls {
    int n;
} calls;

static void book(void *ud, baton_host_job *job)
{
    (void)ud;
    const char *type = baton_host_job_type(job);
    if (strcmp(type, "BookFlight") == 0 &&
        strstr(baton_host_job_variables(job), "\"fail\":true")) {
        baton_host_job_throw_error(job, "FLIGHT_BOOKING_FAILED", "no seats",
                                   "{\"reason\":\"sold out\"}", BATON_NUL);
        return;
    }
    char vars[128];
    snprintf(vars, sizeof vars, "{\"%s\":\"done\"}", type);
    baton_host_job_complete(job, vars, BATON_NUL);
}

/* The deployments listing as an array, and whether the entry of
 * `version` can be dropped. */
static int droppable(fixture *f, int version)
{
    char *out = NULL;
    CHECK(f, baton_host_deployments(f->h, &out), 0);
    json_t *deps = json_loads(out, 0, NULL);
    baton_host_free(out);
    int found = -1;
    size_t i;
    json_t *d;
    json_array_foreach(deps, i, d)
        if (json_integer_value(json_object_get(d, "version")) == version)
            found = json_is_true(json_object_get(d, "droppable"));
    json_decref(deps);
    if (found < 0)
        fail_msg("no version %d", version);
    return found;
}

static uint64_t start_trip(fixture *f, int version)
{
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", "{}", BATON_NUL, NULL,
                              &key), 0);
    json_t *doc = fixture_instance(f, key);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")),
                     version);
    json_decref(doc);
    return key;
}

/* A reformatted model (tests/identity/trip-saga) redeploys as the same
 * version and the instances started on it go on; a change of content is
 * the next version, and instances of both run side by side to their
 * ends. */
static void test_identity_versions(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    uint64_t a = start_trip(f, 1);
    /* ReserveCar done: `a` waits at BookHotel, with a snapshot. */
    CHECK(f, baton_host_complete_job(f->h, activate_one(f, "ReserveCar", NULL),
                                     NULL, 0), 0);
    deploy(f, "../identity/trip-saga/same-all-at-once.bpmn", 1, 0);
    deploy(f, "../identity/trip-saga/same-comment-appended.bpmn", 1, 0);
    uint64_t b = start_trip(f, 1);
    assert_int_equal(droppable(f, 1), 0);
    deploy(f, "../identity/trip-saga/other-added-task.bpmn", 2, 1);
    /* Reformatted again: still version 2, not a third. */
    deploy(f, "../identity/trip-saga/other-added-task.bpmn", 2, 0);
    uint64_t c = start_trip(f, 2);
    assert_int_equal(droppable(f, 1), 0); /* live instances */
    assert_int_equal(droppable(f, 2), 0); /* the latest */

    const char *types[] = {"ReserveCar", "BookHotel", "CheckVisa",
                           "BookFlight"};
    for (size_t i = 0; i < 4; i++)
        CHECK(f, baton_host_register(f->h, types[i], book, NULL), 0);
    baton_host_worker_options o = {.concurrency = 2, .until_idle = 1};
    CHECK(f, baton_host_worker_run(f->h, &o), 0);
    char tasks[256];
    uint64_t v1[] = {a, b};
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(state_of(f, v1[i]), "COMPLETED");
        completed_tasks(f, v1[i], tasks, sizeof tasks);
        assert_string_equal(tasks, "ReserveCar BookHotel BookFlight");
    }
    assert_string_equal(state_of(f, c), "COMPLETED");
    completed_tasks(f, c, tasks, sizeof tasks);
    assert_string_equal(tasks, "ReserveCar BookHotel CheckVisa BookFlight");
    /* Nothing runs version 1 any more. */
    assert_int_equal(droppable(f, 1), 1);
    assert_int_equal(droppable(f, 2), 0);
}

static void test_worker(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    const char *types[] = {"ReserveCar", "BookHotel", "BookFlight",
                           "CancelCar", "CancelHotel", "CancelFlight"};
    for (size_t i = 0; i < 6; i++)
        CHECK(f, baton_host_register(f->h, types[i], book, NULL), 0);
    uint64_t keys[20];
    for (int i = 0; i < 20; i++)
        CHECK(f, baton_host_start(f->h, "TripBookingSaga",
                                          i % 2 ? "{\"fail\":true}" : "{}",
                                          BATON_NUL, NULL, &keys[i]), 0);
    baton_host_worker_options o = {.concurrency = 4, .until_idle = 1};
    int rc = baton_host_worker_run(f->h, &o);
    if (rc)
        fail_msg("worker: %s", baton_host_errmsg(f->h));
    for (int i = 0; i < 20; i++) {
        assert_string_equal(state_of(f, keys[i]), "COMPLETED");
        char tasks[256];
        completed_tasks(f, keys[i], tasks, sizeof tasks);
        assert_string_equal(tasks, i % 2 ? "ReserveCar BookHotel CancelHotel "
                                           "CancelCar"
                                         : "ReserveCar BookHotel BookFlight");
        /* The error's variables reached the instance. */
        json_t *doc = fixture_instance(f, keys[i]);
        json_t *reason = json_object_get(json_object_get(doc, "variables"),
                                         "reason");
        if (i % 2)
            assert_string_equal(json_string_value(reason), "sold out");
        else
            assert_null(reason);
        json_decref(doc);
    }
    char *out = NULL;
    CHECK(f, baton_host_instances(f->h, "COMPLETED", NULL, 0, 5,
                                          &out), 0);
    json_t *list = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_int_equal(json_array_size(list), 5);
    /* Newest first, then paged below the last key. */
    json_int_t last = json_integer_value(json_object_get(
        json_array_get(list, 4), "key"));
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(list, 0), "key")), (json_int_t)keys[19]);
    json_decref(list);
    CHECK(f, baton_host_instances(f->h, NULL, "TripBookingSaga",
                                          (uint64_t)last, 100, &out), 0);
    list = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_int_equal(json_array_size(list), 15);
    json_decref(list);
}

static void test_history_retention(void **state)
{
    FIXTURE(f);
    assert_int_equal(baton_host_set(f->h, BATON_HOST_HISTORY_RETENTION_MS,
                                    3600 * 1000), 0);
    assert_int_equal(baton_host_set(f->h, BATON_HOST_BATCH, 0),
                     BATON_EINVAL);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    uint64_t done = 0, waiting = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, NULL, &done),
          0);
    CHECK(f, baton_host_cancel(f->h, done), 0);
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, NULL,
                              &waiting), 0);
    size_t did;
    f->now += 3600 * 1000 - 1;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    json_t *doc = fixture_instance(f, done);
    assert_true(json_array_size(json_object_get(doc, "history")) > 0);
    json_decref(doc);
    /* An hour after it ended, at the next sweep (once a minute). */
    f->now += 60 * 1000;
    CHECK(f, baton_host_tick(f->h, &did), 0);
    doc = fixture_instance(f, done);
    assert_int_equal(json_array_size(json_object_get(doc, "history")), 0);
    assert_string_equal(json_string_value(json_object_get(doc, "state")),
                        "TERMINATED");
    json_decref(doc);
    doc = fixture_instance(f, waiting);
    assert_true(json_array_size(json_object_get(doc, "history")) > 0);
    json_decref(doc);
}

/* A stop asked before the run is not lost: the run returns at once
 * (without until_idle it would otherwise wait for work forever). */
static void test_stop_before_run(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    CHECK(f, baton_host_register(f->h, "ReserveCar", book, NULL), 0);
    CHECK(f, baton_host_register(f->h, "", book, NULL), BATON_EINVAL);
    assert_non_null(strstr(baton_host_errmsg(f->h), "needs a job type"));
    baton_host_worker_stop(f->h);
    baton_host_worker_options o = {.concurrency = 2};
    CHECK(f, baton_host_worker_run(f->h, &o), 0);
    assert_string_equal(baton_host_strerror(BATON_HOST_ECONFLICT),
                        "changed by another worker first");
    assert_string_equal(baton_host_strerror(BATON_ENOTFOUND),
                        baton_strerror(BATON_ENOTFOUND));
}

/* A worker past its deadline takes no job and returns: the work stays in
 * the store for a later run. */
static void test_deadline(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, NULL, &key),
          0);
    CHECK(f, baton_host_register(f->h, "ReserveCar", book, NULL), 0);
    baton_host_worker_options o = {.concurrency = 2, .deadline_ms = f->now};
    CHECK(f, baton_host_worker_run(f->h, &o), 0);
    assert_string_equal(state_of(f, key), "WAITING");
    assert_true(activate_one(f, "ReserveCar", NULL) != 0);
}

/* ---- Bad input ---------------------------------------------------------- */

static void test_bad_arguments(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", "[1,2]",
                                      BATON_NUL, NULL, NULL), BATON_EPARSE);
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", "{\"a\":",
                                      BATON_NUL, NULL, NULL), BATON_EPARSE);
    char *out = NULL;
    CHECK(f, baton_host_instances(f->h, NULL, NULL, 0, 0, &out), 0);
    assert_string_equal(out, "[]"); /* nothing half-written */
    baton_host_free(out);
    CHECK(f, baton_host_instances(f->h, "RUNNING", NULL, 0, 0, &out), BATON_EINVAL);
    assert_non_null(strstr(baton_host_errmsg(f->h), "unknown state"));
    CHECK(f, baton_host_complete_job(f->h, 77ull << 32, "{}", 2), BATON_ENOTFOUND);
    CHECK(f, baton_host_complete_job(f->h, 1ull << 32, "nope", 4), BATON_EPARSE);
    CHECK(f, baton_host_publish(f->h, "m", "k", "[]", 2, 0, NULL,
                                        NULL), BATON_EPARSE);
    CHECK(f, baton_host_publish(f->h, NULL, "k", NULL, 0, 0, NULL,
                                        NULL), BATON_EINVAL);
    CHECK(f, baton_host_fail_job(f->h, 1, -1, 0, NULL), BATON_EINVAL);
    CHECK(f, baton_host_throw_error(f->h, 1, "", NULL, NULL, 0), BATON_EINVAL);
}

static void test_bad_uri(void **state)
{
    (void)state;
    baton_host *h = NULL;
    assert_int_equal(baton_host_open("mysql://u:secret@x/db", &h),
                     BATON_EINVAL);
    assert_non_null(strstr(baton_host_errmsg(h), "unknown store 'mysql'"));
    assert_null(strstr(baton_host_errmsg(h), "secret"));
    baton_host_close(h);
    h = NULL;
    assert_int_equal(baton_host_open("sqlite:/nonexistent-dir/x/y.db", &h),
                     BATON_HOST_ESTORE);
    assert_non_null(strstr(baton_host_errmsg(h), "cannot open the store"));
    baton_host_close(h);
}

/* A snapshot damaged in the store: the instance is marked FAILED with the
 * reason, the others go on. */
static void test_damaged_row(void **state)
{
    FIXTURE(f);
    if (strcmp(f->kind, "sqlite") != 0)
        skip();
    deploy(f, "trip-booking-saga.bpmn", 1, 1);
    uint64_t a = 0, b = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, NULL,
                                      &a), 0);
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", NULL, 0, NULL,
                                      &b), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->uri + 7, &db), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE baton_instances SET snapshot = "
             "substr(snapshot, 1, 40) || x'00' || substr(snapshot, 42) "
             "WHERE key = %llu", (unsigned long long)a);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    uint64_t ja = activate_one(f, "ReserveCar", NULL);
    uint64_t jb = activate_one(f, "ReserveCar", NULL);
    assert_int_equal(ja >> 32, a >> 32);
    int rc = baton_host_complete_job(f->h, ja, NULL, 0);
    assert_int_equal(rc, BATON_ESNAPSHOT);
    assert_non_null(strstr(baton_host_errmsg(f->h), "cannot be restored"));
    CHECK(f, baton_host_complete_job(f->h, jb, NULL, 0), 0);
    /* Marked FAILED with the reason: its jobs are not handed out again
     * (the lock ran out), and it takes no further change. */
    assert_string_equal(state_of(f, a), "FAILED");
    json_t *doc = fixture_instance(f, a);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "error")),
                           "cannot be restored"));
    assert_int_equal(json_array_size(json_object_get(doc, "jobs")), 0);
    json_decref(doc);
    f->now += 3600 * 1000;
    assert_int_equal(activate_one(f, "ReserveCar", NULL), 0);
    CHECK(f, baton_host_cancel(f->h, a), BATON_ESTATE);
    assert_non_null(strstr(baton_host_errmsg(f->h), "is FAILED"));
    char *out = NULL;
    CHECK(f, baton_host_instances(f->h, "FAILED", NULL, 0, 0, &out), 0);
    json_t *list = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
}

static void test_newer_schema(void **state)
{
    FIXTURE(f);
    if (strcmp(f->kind, "sqlite") != 0)
        skip();
    baton_host_close(f->h);
    f->h = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->uri + 7, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE baton_meta SET value = 99 "
                                      "WHERE name = 'schema'", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(baton_host_open(f->uri, &f->h), BATON_HOST_ESCHEMA);
    assert_non_null(strstr(baton_host_errmsg(f->h), "schema version 99"));
}

int main(void)
{
    models = getenv("BATON_MODELS");
    if (!models)
        models = "tests/models";
    if (!store_have_pg())
        fprintf(stderr, "BATON_TEST_PG is not set: PostgreSQL cases skip\n");
    const struct CMUnitTest tests[] = {
        BOTH(test_versions),
        BOTH(test_identity_versions),
        BOTH(test_bad_model),
        BOTH(test_saga_by_external_jobs),
        BOTH(test_call_activity),
        BOTH(test_lock_expiry),
        BOTH(test_fail_incident_resolve),
        BOTH(test_cancel),
        BOTH(test_message_kept_until_subscription),
        BOTH(test_message_once_per_process),
        BOTH(test_timer),
        BOTH(test_timer_start),
        BOTH(test_message_start),
        BOTH(test_signals),
        BOTH(test_worker),
        BOTH(test_history_retention),
        BOTH(test_stop_before_run),
        BOTH(test_deadline),
        BOTH(test_bad_arguments),
        cmocka_unit_test(test_bad_uri),
        BOTH(test_damaged_row),
        BOTH(test_newer_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
