/* Allocation-failure sweep over load, create and run of the seed's Zeebe
 * trip model (the flight fails, so the whole cancel chain runs) and of the
 * benchmark saga (the flight throws a BPMN error, which is caught and
 * compensated in reverse). Each
 * allocation, the engine's and jansson's, is made to fail in turn: the
 * call returns BATON_ENOMEM, nothing leaks, and a failed run leaves the
 * instance exactly where its last committed step left it (snapshot bytes
 * equal to an instance stepped as far), from where it finishes with the
 * same records and the same end state as a run that never failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton.h"

static long fail_at;  /* fail the allocation with this number; 0: never */
static long counter;  /* allocations made since the sweep point was set */
static long live;     /* blocks currently allocated (engine + jansson) */

static int should_fail(void)
{
    return fail_at && ++counter == fail_at;
}

static void *alloc_fn(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    (void)old_size;
    if (new_size == 0) {
        if (ptr)
            live--;
        free(ptr);
        return NULL;
    }
    if (should_fail())
        return NULL;
    void *p = realloc(ptr, new_size);
    if (p && !ptr)
        live++;
    return p;
}

static void *json_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = malloc(n);
    if (p)
        live++;
    return p;
}

static void json_free_fn(void *p)
{
    if (p)
        live--;
    free(p);
}

static char model_path[1024];
static char saga_path[1024];
static const char *current_path;

static const char *result_for(const char *element)
{
    if (!strcmp(element, "ServiceTask_BookHotel"))
        return "{\"bookHotelResult\":{\"success\":true}}";
    if (!strcmp(element, "ServiceTask_BookCar"))
        return "{\"bookCarResult\":{\"success\":true}}";
    if (!strcmp(element, "ServiceTask_BookFlight"))
        return "{\"bookFlightResult\":{\"success\":false}}";
    return "{\"cancelled\":true}";
}

static int handler(void *ud, baton_job *job)
{
    (void)ud;
    char *vars;
    int rc = baton_job_variables(job, &vars, NULL);
    if (rc)
        return rc; /* BATON_ENOMEM: the step is undone and retried */
    baton_free(vars);
    /* The benchmark saga: the flight fails with a BPMN error. */
    if (!strcmp(baton_job_element_id(job), "BookFlight") &&
        current_path == saga_path)
        return baton_job_throw_error(job, "FLIGHT_BOOKING_FAILED", "no seats");
    return baton_job_complete(job, result_for(baton_job_element_id(job)),
                              BATON_NUL);
}

static const char *const saga_types[] = {
    "ReserveCar", "BookHotel", "BookFlight", "CancelCar", "CancelHotel",
    "CancelFlight", NULL,
};

typedef struct trace {
    char *text;
    size_t len, cap;
} trace;

static void sink(void *ud, baton_instance *in, const baton_record *rec)
{
    trace *t = ud;
    (void)in;
    char line[256];
    int n = snprintf(line, sizeof line, "%llu %s %s %s\n",
                     (unsigned long long)baton_record_position(rec),
                     baton_value_type_name(baton_record_value_type(rec)),
                     baton_intent_name(baton_record_intent(rec)),
                     baton_record_element_id(rec));
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->text = realloc(t->text, t->cap);
    }
    memcpy(t->text + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
}

static baton_engine *engine(trace *t)
{
    baton_engine *e;
    assert_int_equal(baton_engine_new(alloc_fn, NULL, &e), 0);
    baton_engine_set_record_sink(e, sink, t);
    assert_int_equal(baton_engine_register_handler(e, "lambda", handler, NULL),
                     0);
    for (size_t i = 0; saga_types[i]; i++)
        assert_int_equal(
            baton_engine_register_handler(e, saga_types[i], handler, NULL), 0);
    return e;
}

static void deploy(baton_engine *e)
{
    baton_model *m;
    assert_int_equal(baton_model_load_file(e, current_path, &m), 0);
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
}

static void snap(baton_instance *in, void **s, size_t *n)
{
    long saved = fail_at;
    fail_at = 0;
    assert_int_equal(baton_instance_snapshot(in, s, n), 0);
    fail_at = saved;
}

static void test_load(void **state)
{
    current_path = *state;
    trace t = { 0 };
    int ok = 0;
    for (long n = 1; !ok; n++) {
        baton_engine *e = engine(&t);
        baton_model *m = NULL;
        counter = 0;
        fail_at = n;
        int rc = baton_model_load_file(e, current_path, &m);
        fail_at = 0;
        if (rc == 0) {
            ok = 1;
            baton_model_free(m);
        } else {
            assert_int_equal(rc, BATON_ENOMEM);
            assert_null(m);
            assert_int_equal(baton_engine_errcode(e), BATON_ENOMEM);
        }
        baton_engine_free(e);
        assert_int_equal(live, 0);
        assert_true(n < 100000);
    }
    free(t.text);
}

static void test_create(void **state)
{
    current_path = *state;
    trace t = { 0 };
    int ok = 0;
    for (long n = 1; !ok; n++) {
        baton_engine *e = engine(&t);
        deploy(e);
        baton_instance *in = NULL;
        counter = 0;
        fail_at = n;
        int rc = baton_instance_create(e, NULL, "{\"trip\":{\"to\":\"Oslo\"}}",
                                       BATON_NUL, &in);
        fail_at = 0;
        if (rc == 0)
            ok = 1;
        else {
            assert_int_equal(rc, BATON_ENOMEM);
            assert_null(in);
        }
        baton_instance_free(in);
        baton_engine_free(e);
        assert_int_equal(live, 0);
    }
    free(t.text);
}

static void test_run(void **state)
{
    current_path = *state;
    /* The reference: a run that never fails. */
    trace ref = { 0 };
    baton_engine *e = engine(&ref);
    deploy(e);
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, "{}", BATON_NUL, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_COMPLETED);
    assert_non_null(strstr(ref.text, current_path == saga_path
                                         ? "ELEMENT_COMPLETED CancelCar"
                                         : "ELEMENT_COMPLETED ServiceTask_CancelHotel"));
    void *ref_end;
    size_t ref_end_len;
    snap(in, &ref_end, &ref_end_len);
    baton_instance_free(in);
    baton_engine_free(e);

    long failures = 0;
    for (long n = 1;; n++) {
        /* A fresh engine each time, so instance keys match the reference. */
        trace t = { 0 };
        e = engine(&t);
        deploy(e);
        assert_int_equal(baton_instance_create(e, NULL, "{}", BATON_NUL, &in),
                         0);
        counter = 0;
        fail_at = n;
        int rc = baton_instance_run(in, 0);
        fail_at = 0;
        if (rc == BATON_STEP_ENDED) {
            baton_instance_free(in);
            baton_engine_free(e);
            free(t.text);
            break;
        }
        failures++;
        if (rc != BATON_ENOMEM)
            fail_msg("allocation %ld: run gave %d (%s), state %d, %zu "
                     "incidents: %s",
                     n, rc, baton_engine_errmsg(e), baton_instance_state(in),
                     baton_instance_incident_count(in),
                     baton_instance_incident_count(in)
                         ? baton_instance_incident_message(in, 0)
                         : "");
        /* As far as the committed steps, and no further. */
        uint64_t rev = baton_instance_revision(in);
        void *s1, *s2;
        size_t l1, l2;
        snap(in, &s1, &l1);
        baton_instance *twin;
        trace tt = { 0 };
        baton_engine *e2 = engine(&tt);
        deploy(e2);
        assert_int_equal(baton_instance_create(e2, NULL, "{}", BATON_NUL, &twin),
                         0);
        while (baton_instance_revision(twin) < rev)
            assert_true(baton_instance_step(twin) > 0);
        snap(twin, &s2, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(s1, s2, l1);
        baton_free(s1);
        baton_free(s2);
        baton_instance_free(twin);
        baton_engine_free(e2);
        free(tt.text);
        /* And it finishes as if nothing had happened. */
        assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
        assert_string_equal(t.text, ref.text);
        void *end;
        size_t end_len;
        snap(in, &end, &end_len);
        assert_int_equal(end_len, ref_end_len);
        assert_memory_equal(end, ref_end, end_len);
        baton_free(end);
        baton_instance_free(in);
        baton_engine_free(e);
        free(t.text);
    }
    print_message("%ld allocation failures swept during run\n", failures);
    assert_true(failures > 20);
    baton_free(ref_end);
    free(ref.text);
    assert_int_equal(live, 0);
}

int main(void)
{
    const char *corpus = getenv("BATON_CORPUS");
    snprintf(model_path, sizeof model_path,
             "%s/seed/trip-booking-saga-serverless__zeebe__aws__trip-booking"
             ".bpmn",
             corpus ? corpus : "tests/corpus");
    const char *models = getenv("BATON_MODELS");
    snprintf(saga_path, sizeof saga_path, "%s/trip-booking-saga.bpmn",
             models ? models : "tests/models");
    json_set_alloc_funcs(json_malloc, json_free_fn);
    /* The seed's Zeebe model (gateway and cancel chain) and the benchmark
     * saga (error boundary and compensation in reverse). */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_load, model_path),
        cmocka_unit_test_prestate(test_create, model_path),
        cmocka_unit_test_prestate(test_run, model_path),
        cmocka_unit_test_prestate(test_load, saga_path),
        cmocka_unit_test_prestate(test_create, saga_path),
        cmocka_unit_test_prestate(test_run, saga_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
