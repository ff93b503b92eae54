/*
 * test_host_migrate.c - moving live instances of a store to another
 * version (baton_host_migrate, baton_host_migrate_all), on SQLite and
 * PostgreSQL, with the trip saga: version 2
 * (tests/models/trip-booking-saga-v2.bpmn) renames BookHotel to
 * ReserveHotel and adds ConfirmTrip after BookFlight; another version
 * makes BookHotel a user task. Checked: the dry run changes nothing;
 * a migrated saga's row, job rows and history name the new version and
 * it runs on to the new end; one left on version 1 runs beside it; a
 * locked job keeps its key and lock; the compensation log moves; every
 * refusal leaves the instance as it was; the batch moves what it can.
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

#include <cmocka.h>
#include <jansson.h>

#include "baton_host.h"
#include "host/host_fixture.h"
#include "host/store_util.h"

#define PID "TripBookingSaga"
#define PLAN "{\"mappings\": [{\"sourceElementId\": \"BookHotel\", " \
             "\"targetElementId\": \"ReserveHotel\"}]}"

static const char *models;

static int deploy(fixture *f, const char *name)
{
    char path[1024], *out = NULL;
    snprintf(path, sizeof path, "%s/%s", models, name);
    char *xml = store_read_file(path, NULL);
    if (!xml)
        fail_msg("cannot read %s", path);
    CHECK(f, baton_host_deploy(f->h, xml, BATON_NUL, name, &out), 0);
    json_t *doc = json_loads(out, 0, NULL);
    int version = (int)json_integer_value(
        json_object_get(json_array_get(doc, 0), "version"));
    json_decref(doc);
    baton_host_free(out);
    free(xml);
    return version;
}

static uint64_t start(fixture *f)
{
    uint64_t key = 0;
    CHECK(f, baton_host_start(f->h, PID, NULL, 0, NULL, &key), 0);
    return key;
}

static int version_of(fixture *f, uint64_t key)
{
    json_t *doc = fixture_instance(f, key);
    int v = (int)json_integer_value(json_object_get(doc, "version"));
    json_decref(doc);
    return v;
}

static int64_t revision_of(fixture *f, uint64_t key)
{
    json_t *doc = fixture_instance(f, key);
    int64_t r = json_integer_value(json_object_get(doc, "revision"));
    json_decref(doc);
    return r;
}

static void assert_state(fixture *f, uint64_t key, const char *state)
{
    json_t *doc = fixture_instance(f, key);
    assert_string_equal(json_string_value(json_object_get(doc, "state")),
                        state);
    json_decref(doc);
}

/* The key of the instance's only job, which must be at `element`. */
static uint64_t job_at(fixture *f, uint64_t key, const char *element)
{
    json_t *doc = fixture_instance(f, key);
    json_t *jobs = json_object_get(doc, "jobs");
    if (json_array_size(jobs) != 1)
        fail_msg("instance %llu has %zu jobs, want one at %s",
                 (unsigned long long)key, json_array_size(jobs), element);
    json_t *job = json_array_get(jobs, 0);
    assert_string_equal(json_string_value(json_object_get(job, "elementId")),
                        element);
    uint64_t jkey = (uint64_t)json_integer_value(json_object_get(job, "key"));
    json_decref(doc);
    return jkey;
}

static void complete_at(fixture *f, uint64_t key, const char *element)
{
    CHECK(f, baton_host_complete_job(f->h, job_at(f, key, element), NULL, 0),
          0);
}

/* How many history records of the instance have this intent. */
static size_t records_with(fixture *f, uint64_t key, const char *intent)
{
    json_t *doc = fixture_instance(f, key);
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(json_object_get(doc, "history"), i, e) {
        const char *in = json_string_value(
            json_object_get(json_object_get(e, "record"), "intent"));
        n += in && strcmp(in, intent) == 0;
    }
    json_decref(doc);
    return n;
}

static json_t *migrate(fixture *f, uint64_t key, int version,
                       const char *plan, int dry_run, int want)
{
    char *out = NULL;
    CHECK(f, baton_host_migrate(f->h, key, PID, version, plan, BATON_NUL,
                                dry_run, &out), want);
    json_t *doc = out ? json_loads(out, 0, NULL) : NULL;
    baton_host_free(out);
    return doc;
}

/* The report moved an element instance from `src` to `dst`. */
static void assert_moved(json_t *report, const char *src, const char *dst)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(report, "moved"), i, m) {
        const char *s = json_string_value(json_object_get(m,
                                                          "sourceElementId"));
        const char *d = json_string_value(json_object_get(m,
                                                          "targetElementId"));
        if (s && d && strcmp(s, src) == 0 && strcmp(d, dst) == 0)
            return;
    }
    char *text = json_dumps(report, 0);
    fail_msg("the report does not move %s to %s: %s", src, dst, text);
}

/* The report refused `element` with a reason that has `word`. */
static void assert_refused(json_t *refused, const char *element,
                           const char *word)
{
    size_t i;
    json_t *r;
    json_array_foreach(refused, i, r) {
        const char *el = json_string_value(json_object_get(r, "elementId"));
        const char *why = json_string_value(json_object_get(r, "reason"));
        if (el && strcmp(el, element) == 0 && why && strstr(why, word))
            return;
    }
    char *text = json_dumps(refused, 0);
    fail_msg("no refusal of %s saying '%s': %s", element, word, text);
}

/* A saga of version 1 waiting at BookHotel, with version 2 deployed. */
static uint64_t at_book_hotel(fixture *f)
{
    uint64_t key = start(f);
    complete_at(f, key, "ReserveCar");
    job_at(f, key, "BookHotel");
    return key;
}

/* ---- One instance ---------------------------------------------------- */

static void test_rename_and_add(void **state)
{
    FIXTURE(f);
    assert_int_equal(deploy(f, "trip-booking-saga.bpmn"), 1);
    uint64_t a = at_book_hotel(f), b = at_book_hotel(f);
    assert_int_equal(deploy(f, "trip-booking-saga-v2.bpmn"), 2);

    /* The dry run reports the move and changes nothing. */
    int64_t rev = revision_of(f, a);
    json_t *report = migrate(f, a, 2, PLAN, 1, 0);
    assert_non_null(report);
    assert_moved(report, "BookHotel", "ReserveHotel");
    assert_int_equal(json_array_size(json_object_get(report, "refused")), 0);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(report, "to"), "version")), 2);
    json_decref(report);
    assert_int_equal(version_of(f, a), 1);
    assert_int_equal(revision_of(f, a), rev);
    job_at(f, a, "BookHotel");
    assert_int_equal(records_with(f, a, "MIGRATED"), 0);

    report = migrate(f, a, 2, PLAN, 0, 0);
    assert_moved(report, "BookHotel", "ReserveHotel");
    json_decref(report);
    assert_int_equal(version_of(f, a), 2);
    assert_true(records_with(f, a, "MIGRATED") >= 1);
    /* Version 2 from here: the renamed task, then the added one. */
    complete_at(f, a, "ReserveHotel");
    complete_at(f, a, "BookFlight");
    complete_at(f, a, "ConfirmTrip");
    assert_state(f, a, "COMPLETED");

    /* The saga left on version 1 runs to version 1's end beside it. */
    complete_at(f, b, "BookHotel");
    complete_at(f, b, "BookFlight");
    assert_state(f, b, "COMPLETED");
    assert_int_equal(version_of(f, b), 1);
}

/* A job an external worker holds keeps its key and lock: the worker
 * settles it after the move, and the saga goes on in version 2. */
static void test_locked_job(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    uint64_t a = at_book_hotel(f);
    uint64_t job = job_at(f, a, "BookHotel");
    char *out = NULL;
    size_t n = 0;
    CHECK(f, baton_host_activate_jobs(f->h, "BookHotel", "w1", 1, 60000,
                                      &out, &n), 0);
    baton_host_free(out);
    assert_int_equal(n, 1);
    deploy(f, "trip-booking-saga-v2.bpmn");
    json_decref(migrate(f, a, 2, PLAN, 0, 0));

    json_t *doc = fixture_instance(f, a);
    json_t *j = json_array_get(json_object_get(doc, "jobs"), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "key")), job);
    assert_string_equal(json_string_value(json_object_get(j, "elementId")),
                        "ReserveHotel");
    assert_string_equal(json_string_value(json_object_get(j, "worker")),
                        "w1");
    json_decref(doc);
    /* Another worker does not get it while the lock lasts. */
    CHECK(f, baton_host_activate_jobs(f->h, "ReserveHotel", "w2", 1, 60000,
                                      &out, &n), 0);
    baton_host_free(out);
    assert_int_equal(n, 0);

    CHECK(f, baton_host_complete_job(f->h, job, NULL, 0), 0);
    complete_at(f, a, "BookFlight");
    complete_at(f, a, "ConfirmTrip");
    assert_state(f, a, "COMPLETED");
}

/* A saga that has booked the car and the hotel migrates while it books
 * the flight; the flight fails, and version 2 compensates the hotel
 * (under its new id) and then the car. */
static void test_compensation_log(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    uint64_t a = at_book_hotel(f);
    complete_at(f, a, "BookHotel");
    uint64_t flight = job_at(f, a, "BookFlight");
    deploy(f, "trip-booking-saga-v2.bpmn");

    /* Its compensation log names BookHotel, which version 2 lacks. */
    json_t *report = migrate(f, a, 2, NULL, 0, BATON_EMIGRATE);
    if (report)
        assert_refused(json_object_get(report, "refused"), "BookHotel", "");
    json_decref(report);
    assert_int_equal(version_of(f, a), 1);

    json_decref(migrate(f, a, 2, PLAN, 0, 0));
    assert_int_equal(version_of(f, a), 2);
    CHECK(f, baton_host_throw_error(f->h, flight, "FLIGHT_BOOKING_FAILED",
                                    NULL, NULL, 0), 0);
    complete_at(f, a, "CancelHotel");
    complete_at(f, a, "CancelCar");
    json_t *doc = fixture_instance(f, a);
    assert_string_equal(json_string_value(json_object_get(doc, "state")),
                        "COMPLETED");
    json_decref(doc);
}

/* Every refusal leaves the instance, its row and its jobs as they were,
 * and says why. */
static void test_refused(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    uint64_t a = at_book_hotel(f);
    assert_int_equal(deploy(f, "trip-booking-saga-v2.bpmn"), 2);
    assert_int_equal(deploy(f, "trip-booking-saga-usertask.bpmn"), 3);
    int64_t rev = revision_of(f, a);

    /* No target: version 2 has no BookHotel, and no plan maps it. */
    json_t *report = migrate(f, a, 2, NULL, 0, BATON_EMIGRATE);
    assert_non_null(strstr(baton_host_errmsg(f->h), "BookHotel"));
    assert_non_null(report);
    assert_refused(json_object_get(report, "refused"), "BookHotel", "");
    json_decref(report);
    /* The same in a dry run. */
    json_decref(migrate(f, a, 2, NULL, 1, BATON_EMIGRATE));

    /* Another kind: a user task where the saga waits at a service task. */
    report = migrate(f, a, 3, NULL, 0, BATON_EMIGRATE);
    assert_non_null(report);
    assert_refused(json_object_get(report, "refused"), "BookHotel", "");
    json_decref(report);

    /* Wrong arguments. */
    json_decref(migrate(f, a, 9, PLAN, 0, BATON_ENOTFOUND));
    json_decref(migrate(f, a, 2, "[1, 2]", 0, BATON_EPARSE));
    json_decref(migrate(f, a, 2, "{\"mappings\": ", 0, BATON_EPARSE));
    json_decref(migrate(f, a, 0, PLAN, 0, BATON_EINVAL));
    json_decref(migrate(f, (uint64_t)999 << 32, 2, PLAN, 0, BATON_ENOTFOUND));

    assert_int_equal(version_of(f, a), 1);
    assert_int_equal(revision_of(f, a), rev);
    job_at(f, a, "BookHotel");
    assert_int_equal(records_with(f, a, "MIGRATED"), 0);

    /* An instance that has ended cannot move. */
    CHECK(f, baton_host_cancel(f->h, a), 0);
    json_decref(migrate(f, a, 2, PLAN, 0, BATON_ESTATE));
    assert_int_equal(version_of(f, a), 1);
}

/* ---- The batch ------------------------------------------------------- */

static json_t *migrate_all(fixture *f, int from, int to, const char *plan,
                           int dry_run)
{
    char *out = NULL;
    CHECK(f, baton_host_migrate_all(f->h, PID, from, to, plan, BATON_NUL,
                                    dry_run, &out), 0);
    json_t *doc = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_non_null(doc);
    return doc;
}

static int has_key(json_t *list, uint64_t key)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if ((uint64_t)json_integer_value(json_is_object(v)
                ? json_object_get(v, "key") : v) == key)
            return 1;
    return 0;
}

static int64_t live_of_version(fixture *f, int version)
{
    char *out = NULL;
    CHECK(f, baton_host_deployments(f->h, &out), 0);
    json_t *doc = json_loads(out, 0, NULL);
    baton_host_free(out);
    size_t i;
    json_t *d;
    int64_t n = 0;
    json_array_foreach(doc, i, d) {
        if (json_integer_value(json_object_get(d, "version")) != version)
            continue;
        json_t *counts = json_object_get(d, "instances");
        n = json_integer_value(json_object_get(counts, "ACTIVE")) +
            json_integer_value(json_object_get(counts, "WAITING")) +
            json_integer_value(json_object_get(counts, "INCIDENT"));
    }
    json_decref(doc);
    return n;
}

static void test_batch(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    uint64_t a = at_book_hotel(f), b = at_book_hotel(f), c = start(f);
    uint64_t done = at_book_hotel(f);
    CHECK(f, baton_host_cancel(f->h, done), 0);
    deploy(f, "trip-booking-saga-v2.bpmn");

    /* Without the plan the two at BookHotel cannot move; c (at
     * ReserveCar, kept by id) can. The dry run only says so. */
    json_t *doc = migrate_all(f, 1, 2, NULL, 1);
    json_t *moved = json_object_get(doc, "migrated");
    json_t *refused = json_object_get(doc, "refused");
    assert_int_equal(json_array_size(moved), 1);
    assert_true(has_key(moved, c));
    assert_int_equal(json_array_size(refused), 2);
    assert_true(has_key(refused, a) && has_key(refused, b));
    assert_refused(json_object_get(json_array_get(refused, 0), "refused"),
                   "BookHotel", "");
    json_decref(doc);
    assert_int_equal(live_of_version(f, 1), 3);

    doc = migrate_all(f, 1, 2, NULL, 0);
    assert_true(has_key(json_object_get(doc, "migrated"), c));
    assert_int_equal(json_array_size(json_object_get(doc, "refused")), 2);
    json_decref(doc);
    assert_int_equal(version_of(f, c), 2);
    assert_int_equal(version_of(f, a), 1);

    /* With it, the rest move; the ended one is not touched. */
    doc = migrate_all(f, 1, 2, PLAN, 0);
    moved = json_object_get(doc, "migrated");
    assert_int_equal(json_array_size(moved), 2);
    assert_true(has_key(moved, a) && has_key(moved, b));
    assert_int_equal(json_array_size(json_object_get(doc, "refused")), 0);
    json_decref(doc);
    assert_int_equal(live_of_version(f, 1), 0);
    assert_int_equal(live_of_version(f, 2), 3);
    assert_int_equal(version_of(f, done), 1);

    /* Nothing is left to move. */
    doc = migrate_all(f, 1, 2, PLAN, 0);
    assert_int_equal(json_array_size(json_object_get(doc, "migrated")), 0);
    json_decref(doc);

    complete_at(f, c, "ReserveCar");
    complete_at(f, c, "ReserveHotel");
    complete_at(f, c, "BookFlight");
    complete_at(f, c, "ConfirmTrip");
    assert_state(f, c, "COMPLETED");

    /* A version that does not exist, a plan that is not an object. */
    char *out = NULL;
    CHECK(f, baton_host_migrate_all(f->h, PID, 1, 7, NULL, 0, 0, &out),
          BATON_ENOTFOUND);
    CHECK(f, baton_host_migrate_all(f->h, PID, 1, 2, "\"x\"", BATON_NUL, 0,
                                    &out), BATON_EPARSE);
    CHECK(f, baton_host_migrate_all(f->h, "NoSuchProcess", 1, 2, NULL, 0, 0,
                                    &out), BATON_ENOTFOUND);
    assert_null(out);
}

/* More live instances than one page of the keyset walk. */
static void test_batch_pages(void **state)
{
    FIXTURE(f);
    deploy(f, "trip-booking-saga.bpmn");
    enum { N = 70 };
    for (int i = 0; i < N; i++)
        start(f);
    deploy(f, "trip-booking-saga-v2.bpmn");
    json_t *doc = migrate_all(f, 1, 2, NULL, 0);
    assert_int_equal(json_array_size(json_object_get(doc, "migrated")), N);
    json_decref(doc);
    assert_int_equal(live_of_version(f, 2), N);
}

int main(void)
{
    models = getenv("BATON_MODELS");
    if (!models)
        models = "tests/models";
    if (!store_have_pg())
        fprintf(stderr, "BATON_TEST_PG is not set: PostgreSQL cases skip\n");
    const struct CMUnitTest tests[] = {
        BOTH(test_rename_and_add),
        BOTH(test_locked_job),
        BOTH(test_compensation_log),
        BOTH(test_refused),
        BOTH(test_batch),
        BOTH(test_batch_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
