/*
 * test_host_ops.c - what an operations view reads from the durable host,
 * on SQLite and PostgreSQL: the filtered, paged instance listing
 * (baton_host_find_instances), a deployment's BPMN (baton_host_model),
 * the store's figures (baton_host_metrics) after a known run, live
 * element instances in baton_host_instance, the history records of each
 * operator action, and a store of schema version 1 that upgrades.
 *
 * The PostgreSQL half needs BATON_TEST_PG (tests/pg/with_pg.sh).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton_host.h"
#include "host/host_fixture.h"
#include "host/store_util.h"

static const char *models;
static const char *golden_v1;

static char *model_text(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", models, name);
    char *text = store_read_file(path, len);
    if (!text)
        fail_msg("cannot read %s", path);
    return text;
}

static void deploy(fixture *f, const char *name)
{
    char *xml = model_text(name, NULL);
    char *out = NULL;
    CHECK(f, baton_host_deploy(f->h, xml, BATON_NUL, name, &out), 0);
    baton_host_free(out);
    free(xml);
}

static uint64_t activate_one(fixture *f, const char *type)
{
    char *out = NULL;
    size_t n = 0;
    CHECK(f, baton_host_activate_jobs(f->h, type, "test", 1, 60000, &out, &n),
          0);
    uint64_t key = 0;
    if (n) {
        json_t *doc = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
        key = (uint64_t)json_integer_value(json_object_get(doc, "key"));
        json_decref(doc);
    }
    baton_host_free(out);
    return key;
}

static uint64_t start(fixture *f, const char *process, const char *bkey)
{
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, process, NULL, 0, bkey, &key), 0);
    return key;
}

/* One page of baton_host_find_instances(), parsed. */
static json_t *find(fixture *f, const baton_host_instance_filter *flt)
{
    char *out = NULL;
    CHECK(f, baton_host_find_instances(f->h, flt, &out), 0);
    json_t *doc = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_non_null(doc);
    return doc;
}

/* Every page of `flt` with `limit` rows a page: the keys in order, each
 * checked against a page's size. Returns how many. */
static size_t find_all(fixture *f, baton_host_instance_filter flt,
                       size_t limit, uint64_t *keys, size_t cap)
{
    size_t n = 0;
    char cursor[64] = "";
    flt.limit = limit;
    for (int pages = 0; pages < 100; pages++) {
        flt.cursor = cursor;
        json_t *doc = find(f, &flt);
        json_t *list = json_object_get(doc, "instances");
        json_t *next = json_object_get(doc, "next");
        assert_true(json_array_size(list) <= limit);
        size_t i;
        json_t *row;
        json_array_foreach(list, i, row) {
            assert_true(n < cap);
            keys[n++] = (uint64_t)json_integer_value(json_object_get(row,
                                                                     "key"));
        }
        if (json_is_null(next)) {
            json_decref(doc);
            return n;
        }
        assert_int_equal(json_array_size(list), limit);
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(doc);
    }
    fail_msg("the listing does not end");
    return 0;
}

/* Puts the instance in INCIDENT: its ReserveCar job fails with no
 * retries left. */
static void make_incident(fixture *f, uint64_t key)
{
    char *out = NULL;
    size_t n = 0;
    /* The oldest ReserveCar job may be another instance's: take them
     * until this one's comes. */
    CHECK(f, baton_host_activate_jobs(f->h, "ReserveCar", "test", 100, 60000,
                                      &out, &n), 0);
    char *line = out;
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *doc = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
        uint64_t job = (uint64_t)json_integer_value(json_object_get(doc,
                                                                    "key"));
        uint64_t ik = (uint64_t)json_integer_value(
            json_object_get(doc, "processInstanceKey"));
        if (ik == key) {
            CHECK(f, baton_host_fail_job(f->h, job, 0, 0, "car down"), 0);
            found = 1;
        }
        json_decref(doc);
        line = strchr(line, '\n');
        line = line ? line + 1 : line;
    }
    baton_host_free(out);
    assert_true(found);
    /* The others' locks lapse for the next taker. */
    f->now += 60000;
}

static void test_find_instances(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    deploy(f, "host-timer-saga.bpmn");
    uint64_t k[9];
    char bk[16];
    for (int i = 0; i < 7; i++) {
        snprintf(bk, sizeof bk, "B-%d", i);
        k[i] = start(f, "TripBookingSaga", bk);
    }
    k[7] = start(f, "HostTimerSaga", "B-3"); /* a second B-3 */
    k[8] = start(f, "TripBookingSaga", NULL);
    make_incident(f, k[1]);
    make_incident(f, k[4]);
    CHECK(f, baton_host_cancel(f->h, k[5]), 0);

    /* Incidents first, newest first, then the others newest first;
     * every page size sees each instance once. */
    const uint64_t want[9] = {k[4], k[1], k[8], k[7], k[6], k[5], k[3],
                              k[2], k[0]};
    for (size_t limit = 1; limit <= 10; limit++) {
        uint64_t got[16];
        baton_host_instance_filter flt = {.incidents_first = 1};
        size_t n = find_all(f, flt, limit, got, 16);
        assert_int_equal(n, 9);
        for (size_t i = 0; i < 9; i++)
            assert_int_equal(got[i], want[i]);
    }
    /* Without incidents first: newest first. */
    uint64_t got[16];
    size_t n = find_all(f, (baton_host_instance_filter){0}, 4, got, 16);
    assert_int_equal(n, 9);
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(got[i], k[8 - i]);
    /* Each filter. */
    n = find_all(f, (baton_host_instance_filter){.state = "TERMINATED"}, 2,
                 got, 16);
    assert_int_equal(n, 1);
    assert_int_equal(got[0], k[5]);
    n = find_all(f, (baton_host_instance_filter){.state = "INCIDENT",
                                                 .incidents_first = 1},
                 1, got, 16);
    assert_int_equal(n, 2);
    assert_int_equal(got[0], k[4]);
    assert_int_equal(got[1], k[1]);
    n = find_all(f, (baton_host_instance_filter){.business_key = "B-3"}, 1,
                 got, 16);
    assert_int_equal(n, 2);
    assert_int_equal(got[0], k[7]);
    assert_int_equal(got[1], k[3]);
    n = find_all(f, (baton_host_instance_filter){.business_key = "B-3",
                                                 .process_id =
                                                     "TripBookingSaga"},
                 5, got, 16);
    assert_int_equal(n, 1);
    assert_int_equal(got[0], k[3]);
    n = find_all(f, (baton_host_instance_filter){.process_id =
                                                     "HostTimerSaga"},
                 5, got, 16);
    assert_int_equal(n, 1);
    assert_int_equal(got[0], k[7]);
    n = find_all(f, (baton_host_instance_filter){.process_id =
                                                     "TripBookingSaga",
                                                 .version = 1,
                                                 .incidents_first = 1},
                 3, got, 16);
    assert_int_equal(n, 8);
    assert_int_equal(got[0], k[4]);
    assert_int_equal(got[2], k[8]);
    n = find_all(f, (baton_host_instance_filter){.process_id =
                                                     "TripBookingSaga",
                                                 .version = 2},
                 3, got, 16);
    assert_int_equal(n, 0);
    n = find_all(f, (baton_host_instance_filter){.process_id =
                                                     "TripBookingSaga",
                                                 .state = "WAITING"},
                 2, got, 16);
    assert_int_equal(n, 5);
    /* A row carries what baton_host_instances() shows. */
    json_t *doc = find(f, &(baton_host_instance_filter){.business_key =
                                                            "B-1"});
    json_t *row = json_array_get(json_object_get(doc, "instances"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "state")),
                        "INCIDENT");
    assert_string_equal(json_string_value(json_object_get(row,
                                                          "businessKey")),
                        "B-1");
    assert_int_equal(json_integer_value(json_object_get(row, "incidents")),
                     1);
    assert_true(json_is_null(json_object_get(doc, "next")));
    json_decref(doc);

    /* Damaged cursors and bad filters change nothing and say why. */
    const char *bad[] = {"x:5", "i:", "i:abc", "o:-1", "i:5x", "k",
                         "o:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *out = NULL;
        baton_host_instance_filter flt = {.incidents_first = 1,
                                          .cursor = bad[i]};
        CHECK(f, baton_host_find_instances(f->h, &flt, &out), BATON_EINVAL);
        assert_null(out);
        assert_non_null(strstr(baton_host_errmsg(f->h), "damaged"));
    }
    char *out = NULL;
    /* A cursor of one listing is not one of another. */
    baton_host_instance_filter other = {.cursor = "i:5"};
    CHECK(f, baton_host_find_instances(f->h, &other, &out), BATON_EINVAL);
    other = (baton_host_instance_filter){.state = "SLEEPING"};
    CHECK(f, baton_host_find_instances(f->h, &other, &out), BATON_EINVAL);
    assert_non_null(strstr(baton_host_errmsg(f->h), "unknown state"));
    other = (baton_host_instance_filter){.version = 1};
    CHECK(f, baton_host_find_instances(f->h, &other, &out), BATON_EINVAL);
    other = (baton_host_instance_filter){.limit = 1001};
    CHECK(f, baton_host_find_instances(f->h, &other, &out), BATON_EINVAL);
    CHECK(f, baton_host_find_instances(f->h, NULL, &out), 0);
    baton_host_free(out);
}

static void test_model(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    size_t want_len = 0;
    char *want = model_text("trip-booking-saga.bpmn", &want_len);
    char *out = NULL;
    size_t len = 0;
    CHECK(f, baton_host_model(f->h, "TripBookingSaga", 1, &out, &len), 0);
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, len);
    baton_host_free(out);
    free(want);
    CHECK(f, baton_host_model(f->h, "TripBookingSaga", 2, &out, &len),
          BATON_ENOTFOUND);
    assert_null(out);
    assert_string_equal(baton_host_errmsg(f->h),
                        "no deployment of process 'TripBookingSaga' "
                        "version 2");
    CHECK(f, baton_host_model(f->h, "Nope", 1, &out, &len), BATON_ENOTFOUND);
}

/* The live element instances in baton_host_instance(): the process
 * instance and the job's task, with its local variables. */
static void test_instance_elements(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, "TripBookingSaga", "{\"trip\":\"T-9\"}",
                              BATON_NUL, NULL, &key), 0);
    json_t *doc = fixture_instance(f, key);
    json_t *els = json_object_get(doc, "elements");
    assert_true(json_array_size(els) >= 2);
    json_t *root = json_array_get(els, 0);
    assert_int_equal(json_integer_value(json_object_get(root, "key")),
                     (json_int_t)key);
    assert_string_equal(json_string_value(json_object_get(root,
                                                          "elementType")),
                        "PROCESS");
    assert_int_equal(json_integer_value(json_object_get(root,
                                                        "flowScopeKey")), -1);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(root, "variables"), "trip")),
                        "T-9");
    json_t *last = json_array_get(els, json_array_size(els) - 1);
    assert_string_equal(json_string_value(json_object_get(last,
                                                          "elementId")),
                        "ReserveCar");
    assert_string_equal(json_string_value(json_object_get(last, "state")),
                        "ACTIVATED");
    json_decref(doc);
}

/* ---- Metrics ---------------------------------------------------------- */

static void complete(void *ud, baton_host_job *job)
{
    (void)ud;
    baton_host_job_complete(job, NULL, 0);
}

/* The count of `field` = `value` (and `field2` = `value2` when not NULL)
 * in the metrics array `name`; -1 when absent. */
static json_int_t count_of(json_t *m, const char *name, const char *field,
                           const char *value, const char *field2,
                           const char *value2)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(m, name), i, row) {
        if (strcmp(json_string_value(json_object_get(row, field)), value))
            continue;
        if (field2 && strcmp(json_string_value(json_object_get(row, field2)),
                             value2))
            continue;
        return json_integer_value(json_object_get(row, "count"));
    }
    return -1;
}

static json_t *metrics(fixture *f)
{
    char *out = NULL;
    CHECK(f, baton_host_metrics(f->h, &out), 0);
    json_t *m = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_non_null(m);
    return m;
}

/* Element completions counted from every instance's history records,
 * compared with the figures. */
static void check_completions(fixture *f, json_t *m, const uint64_t *keys,
                              size_t n)
{
    json_t *want = json_object(); /* "process element" -> count */
    for (size_t i = 0; i < n; i++) {
        json_t *doc = fixture_instance(f, keys[i]);
        size_t j;
        json_t *h;
        json_array_foreach(json_object_get(doc, "history"), j, h) {
            json_t *rec = json_object_get(h, "record");
            json_t *v = json_object_get(rec, "value");
            if (strcmp(json_string_value(json_object_get(rec, "intent")),
                       "ELEMENT_COMPLETED") ||
                strcmp(json_string_value(json_object_get(rec, "valueType")),
                       "PROCESS_INSTANCE"))
                continue;
            char name[256];
            snprintf(name, sizeof name, "%s %s",
                     json_string_value(json_object_get(v, "bpmnProcessId")),
                     json_string_value(json_object_get(v, "elementId")));
            json_object_set_new(want, name, json_integer(
                json_integer_value(json_object_get(want, name)) + 1));
        }
        json_decref(doc);
    }
    json_t *got = json_object();
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(m, "elementCompletions"), i, row) {
        char name[256];
        snprintf(name, sizeof name, "%s %s",
                 json_string_value(json_object_get(row, "processId")),
                 json_string_value(json_object_get(row, "elementId")));
        json_object_set(got, name, json_object_get(row, "count"));
    }
    char *a = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
    char *b = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(b, a);
    assert_true(json_object_size(want) > 5);
    free(a), free(b);
    json_decref(want);
    json_decref(got);
}

static void test_metrics(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    deploy(f, "host-timer-saga.bpmn");
    json_t *m = metrics(f);
    assert_int_equal(json_integer_value(json_object_get(m, "now")), f->now);
    assert_int_equal(json_array_size(json_object_get(m, "instances")), 0);
    assert_int_equal(json_array_size(json_object_get(m,
                                                     "elementCompletions")),
                     0);
    assert_int_equal(json_integer_value(json_object_get(m, "timersDue")), 0);
    assert_int_equal(json_integer_value(json_object_get(m, "timerLagMs")),
                     0);
    json_t *lat = json_object_get(m, "commitLatency");
    assert_int_equal(json_array_size(json_object_get(lat, "bounds")), 8);
    assert_int_equal(json_array_size(json_object_get(lat, "counts")), 9);
    assert_true(json_real_value(json_array_get(json_object_get(lat,
                                                               "bounds"),
                                               0)) == 0.001);
    json_decref(m);

    /* A saga by external jobs: three activations, all completed. */
    uint64_t keys[4];
    keys[0] = start(f, "TripBookingSaga", NULL);
    const char *steps[] = {"ReserveCar", "BookHotel", "BookFlight"};
    for (int i = 0; i < 3; i++)
        CHECK(f, baton_host_complete_job(f->h, activate_one(f, steps[i]),
                                         NULL, 0), 0);
    /* A second one fails twice at ReserveCar: a retry, then an
     * incident. */
    keys[1] = start(f, "TripBookingSaga", NULL);
    CHECK(f, baton_host_fail_job(f->h, activate_one(f, "ReserveCar"), 2, 0,
                                 "busy"), 0);
    CHECK(f, baton_host_fail_job(f->h, activate_one(f, "ReserveCar"), 0, 0,
                                 "down"), 0);
    /* A third waits at its timer, two and a half seconds overdue. */
    keys[2] = start(f, "HostTimerSaga", NULL);
    CHECK(f, baton_host_complete_job(f->h, activate_one(f, "hold-seat"),
                                     NULL, 0), 0);
    f->now += 3500;
    m = metrics(f);
    assert_int_equal(count_of(m, "instances", "processId", "TripBookingSaga",
                              "state", "COMPLETED"), 1);
    assert_int_equal(count_of(m, "instances", "processId", "TripBookingSaga",
                              "state", "INCIDENT"), 1);
    assert_int_equal(count_of(m, "instances", "processId", "HostTimerSaga",
                              "state", "WAITING"), 1);
    assert_int_equal(count_of(m, "incidents", "elementId", "ReserveCar",
                              "type", "JOB_NO_RETRIES"), 1);
    assert_int_equal(count_of(m, "jobActivations", "type", "ReserveCar",
                              NULL, NULL), 3);
    assert_int_equal(count_of(m, "jobActivations", "type", "BookHotel",
                              NULL, NULL), 1);
    assert_int_equal(count_of(m, "jobActivations", "type", "hold-seat",
                              NULL, NULL), 1);
    assert_int_equal(count_of(m, "jobFailures", "type", "ReserveCar",
                              NULL, NULL), 2);
    assert_int_equal(count_of(m, "jobFailures", "type", "BookHotel", NULL,
                              NULL), -1);
    assert_int_equal(count_of(m, "elementCompletions", "elementId",
                              "ReserveCar", NULL, NULL), 1);
    assert_int_equal(count_of(m, "elementCompletions", "elementId",
                              "TripBookingSaga", NULL, NULL), 1);
    assert_int_equal(json_integer_value(json_object_get(m, "timersDue")), 1);
    assert_int_equal(json_integer_value(json_object_get(m, "timerLagMs")),
                     2500);
    check_completions(f, m, keys, 3);
    json_decref(m);

    /* A worker runs what is due: its commits are timed, and counted in
     * its next transaction. */
    CHECK(f, baton_host_register(f->h, "pay-seat", complete, NULL), 0);
    baton_host_worker_options o = {.concurrency = 2, .until_idle = 1};
    CHECK(f, baton_host_worker_run(f->h, &o), 0);
    m = metrics(f);
    assert_int_equal(count_of(m, "instances", "processId", "HostTimerSaga",
                              "state", "COMPLETED"), 1);
    assert_int_equal(count_of(m, "jobActivations", "type", "pay-seat", NULL,
                              NULL), 1);
    assert_int_equal(json_integer_value(json_object_get(m, "timersDue")), 0);
    assert_int_equal(json_integer_value(json_object_get(m, "timerLagMs")),
                     0);
    lat = json_object_get(m, "commitLatency");
    json_int_t count = json_integer_value(json_object_get(lat, "count"));
    assert_true(count >= 1);
    json_t *counts = json_object_get(lat, "counts");
    assert_int_equal(json_integer_value(json_array_get(counts, 8)), count);
    for (size_t i = 1; i < 9; i++)
        assert_true(json_integer_value(json_array_get(counts, i)) >=
                    json_integer_value(json_array_get(counts, i - 1)));
    assert_true(json_real_value(json_object_get(lat, "sum")) > 0);
    check_completions(f, m, keys, 3);
    json_decref(m);
}

/* ---- Operator actions in the history ---------------------------------- */

/* How many records of the instance's history have `value_type` and
 * `intent` (and, when not NULL, value.name or value.elementId `name`). */
static int records(fixture *f, uint64_t key, const char *value_type,
                   const char *intent, const char *name)
{
    json_t *doc = fixture_instance(f, key);
    int n = 0;
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(doc, "history"), i, h) {
        json_t *rec = json_object_get(h, "record");
        json_t *v = json_object_get(rec, "value");
        const char *id = json_string_value(json_object_get(v, "name"));
        if (!id)
            id = json_string_value(json_object_get(v, "elementId"));
        if (strcmp(json_string_value(json_object_get(rec, "valueType")),
                   value_type) == 0 &&
            strcmp(json_string_value(json_object_get(rec, "intent")),
                   intent) == 0 &&
            (!name || (id && strcmp(id, name) == 0)))
            n++;
    }
    json_decref(doc);
    return n;
}

static void test_operator_actions(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    uint64_t key = start(f, "TripBookingSaga", NULL);
    json_t *doc = fixture_instance(f, key);
    uint64_t job = (uint64_t)json_integer_value(json_object_get(
        json_array_get(json_object_get(doc, "jobs"), 0), "key"));
    json_decref(doc);
    CHECK(f, baton_host_update_retries(f->h, job, 7), 0);
    assert_int_equal(records(f, key, "JOB", "RETRIES_UPDATED", NULL), 1);
    doc = fixture_instance(f, key);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(doc, "jobs"), 0),
                         "retries")), 7);
    json_decref(doc);

    CHECK(f, baton_host_fail_job(f->h, activate_one(f, "ReserveCar"), 0, 0,
                                 "down"), 0);
    doc = fixture_instance(f, key);
    uint64_t inc = (uint64_t)json_integer_value(json_object_get(
        json_array_get(json_object_get(doc, "incidents"), 0), "key"));
    json_decref(doc);
    CHECK(f, baton_host_resolve(f->h, inc), 0);
    assert_int_equal(records(f, key, "INCIDENT", "RESOLVED", NULL), 1);

    CHECK(f, baton_host_set_variables(f->h, key, "{\"note\":\"<b>x</b>\"}",
                                      BATON_NUL), 0);
    assert_int_equal(records(f, key, "VARIABLE", "CREATED", "note"), 1);
    CHECK(f, baton_host_set_variables(f->h, key, "{\"note\":\"y\"}",
                                      BATON_NUL), 0);
    assert_int_equal(records(f, key, "VARIABLE", "UPDATED", "note"), 1);
    /* Bad input changes nothing. */
    CHECK(f, baton_host_set_variables(f->h, key, "[1]", BATON_NUL),
          BATON_EPARSE);
    assert_int_equal(records(f, key, "VARIABLE", "UPDATED", "note"), 1);

    CHECK(f, baton_host_cancel(f->h, key), 0);
    assert_int_equal(records(f, key, "PROCESS_INSTANCE",
                             "ELEMENT_TERMINATED", "ReserveCar"), 1);
    assert_int_equal(records(f, key, "PROCESS_INSTANCE",
                             "ELEMENT_TERMINATED", "TripBookingSaga"), 1);
    assert_int_equal(records(f, key, "JOB", "CANCELED", NULL), 1);
}

/* ---- A store of schema version 1 -------------------------------------- */

/* tests/host/golden-v1.db was written by the `baton` tool of schema
 * version 1 (tests/host/README.md): two trip sagas waiting at BookHotel
 * after ReserveCar, one completed. It opens, upgrades to version 2,
 * lists and runs its instances. */
static void test_golden_v1(void **state)
{
    (void)state;
    char path[] = "/tmp/baton-golden-v1-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = 0;
    char *bytes = store_read_file(golden_v1, &len);
    assert_non_null(bytes);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    free(bytes);
    fixture fx = {.kind = "sqlite", .now = 1767225600000};
    fixture *f = &fx;
    snprintf(f->uri, sizeof f->uri, "sqlite:%s", path);
    CHECK(f, baton_host_open(f->uri, &f->h), 0);
    baton_host_set_clock(f->h, fixture_clock, f);
    assert_int_equal(baton_host_store_schema_version(f->h), 2);
    uint64_t keys[8];
    size_t n = find_all(f, (baton_host_instance_filter){.state = "WAITING"},
                        1, keys, 8);
    assert_int_equal(n, 2);
    n = find_all(f, (baton_host_instance_filter){.incidents_first = 1}, 2,
                 keys, 8);
    assert_int_equal(n, 3);
    /* Its deployment's checksum column holds the checksum of the bytes:
     * a reformatted trip saga is compared by the stored text's identity
     * and is the same version, whose instances (snapshots of format 5
     * and older) go on. */
    char *out = NULL;
    char *xml = model_text("../identity/trip-saga/same-all-at-once.bpmn", NULL);
    CHECK(f, baton_host_deploy(f->h, xml, BATON_NUL, "reformatted", &out), 0);
    assert_string_equal(out, "[{\"processId\":\"TripBookingSaga\","
                             "\"version\":1,\"new\":false}]");
    baton_host_free(out);
    free(xml);
    const char *types[] = {"BookHotel", "BookFlight"};
    for (size_t i = 0; i < 2; i++)
        CHECK(f, baton_host_register(f->h, types[i], complete, NULL), 0);
    baton_host_worker_options o = {.concurrency = 2, .until_idle = 1};
    CHECK(f, baton_host_worker_run(f->h, &o), 0);
    n = find_all(f, (baton_host_instance_filter){.state = "COMPLETED"}, 5,
                 keys, 8);
    assert_int_equal(n, 3);
    /* A change of content is version 2; version 1 has no live instance
     * left and can be dropped. */
    xml = model_text("../identity/trip-saga/other-added-task.bpmn", NULL);
    CHECK(f, baton_host_deploy(f->h, xml, BATON_NUL, "v2", &out), 0);
    assert_string_equal(out, "[{\"processId\":\"TripBookingSaga\","
                             "\"version\":2,\"new\":true}]");
    baton_host_free(out);
    free(xml);
    CHECK(f, baton_host_deployments(f->h, &out), 0);
    json_t *deps = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_int_equal(json_array_size(deps), 2);
    assert_true(json_is_true(json_object_get(json_array_get(deps, 0),
                                             "droppable")));
    assert_true(json_is_false(json_object_get(json_array_get(deps, 1),
                                              "droppable")));
    json_decref(deps);
    json_t *m = metrics(f);
    assert_int_equal(count_of(m, "jobActivations", "type", "BookFlight",
                              NULL, NULL), 2);
    json_decref(m);
    baton_host_close(f->h);
    /* Opened again: already version 2. */
    CHECK(f, baton_host_open(f->uri, &f->h), 0);
    assert_int_equal(baton_host_store_schema_version(f->h), 2);
    baton_host_close(f->h);
    char extra[64];
    remove(path);
    snprintf(extra, sizeof extra, "%s-wal", path);
    remove(extra);
    snprintf(extra, sizeof extra, "%s-shm", path);
    remove(extra);
}

static json_t *incident_groups(fixture *f)
{
    char *out = NULL;
    CHECK(f, baton_host_incident_groups(f->h, &out), 0);
    json_t *doc = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_non_null(doc);
    return doc;
}

/* 22 incidents of one kind make one group: its count, the newest 20
 * instances newest first, the newest message; a resolved one leaves. */
static void test_incident_groups(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    json_t *g = incident_groups(f);
    assert_int_equal(json_array_size(g), 0);
    json_decref(g);
    uint64_t k[22];
    for (int i = 0; i < 22; i++)
        k[i] = start(f, "TripBookingSaga", NULL);
    for (int i = 0; i < 22; i++)
        make_incident(f, k[i]);
    g = incident_groups(f);
    assert_int_equal(json_array_size(g), 1);
    json_t *g0 = json_array_get(g, 0);
    assert_string_equal(json_string_value(json_object_get(g0, "processId")),
                        "TripBookingSaga");
    assert_string_equal(json_string_value(json_object_get(g0, "elementId")),
                        "ReserveCar");
    assert_string_equal(json_string_value(json_object_get(g0, "type")),
                        "JOB_NO_RETRIES");
    assert_int_equal(json_integer_value(json_object_get(g0, "count")), 22);
    assert_non_null(strstr(json_string_value(json_object_get(g0, "message")),
                           "car down"));
    json_t *keys = json_object_get(g0, "instances");
    assert_int_equal(json_array_size(keys), 20);
    for (size_t i = 0; i < 20; i++)
        assert_int_equal(json_integer_value(json_array_get(keys, i)),
                         (json_int_t)k[21 - i]);
    assert_null(json_object_get(g0, "newest"));
    json_decref(g);

    json_t *inst = fixture_instance(f, k[21]);
    uint64_t incident = (uint64_t)json_integer_value(json_object_get(
        json_array_get(json_object_get(inst, "incidents"), 0), "key"));
    json_decref(inst);
    CHECK(f, baton_host_resolve(f->h, incident), 0);
    g = incident_groups(f);
    g0 = json_array_get(g, 0);
    assert_int_equal(json_integer_value(json_object_get(g0, "count")), 21);
    assert_int_equal(json_integer_value(json_array_get(
                         json_object_get(g0, "instances"), 0)),
                     (json_int_t)k[20]);
    json_decref(g);
}

int main(int argc, char **argv)
{
    models = getenv("BATON_MODELS");
    if (!models)
        models = "tests/models";
    golden_v1 = argc > 1 ? argv[1] : "tests/host/golden-v1.db";
    if (!store_have_pg())
        fprintf(stderr, "BATON_TEST_PG is not set: PostgreSQL cases skip\n");
    const struct CMUnitTest tests[] = {
        BOTH(test_find_instances),
        BOTH(test_model),
        BOTH(test_instance_elements),
        BOTH(test_metrics),
        BOTH(test_operator_actions),
        BOTH(test_incident_groups),
        cmocka_unit_test(test_golden_v1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
