/* The events API through the public header: the clock contract, start
 * events and their timers, creating at a start event, subscriptions as
 * the host lists them, message correlation and signal delivery (what
 * matches, what does not, and that a call matching nothing changes
 * nothing), job backoffs, and the errors each call gives for misuse.
 * How the events run is the scenarios' business (tests/scenarios). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baton.h"

#define NS                                                                    \
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "     \
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "                    \
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"d\" "       \
    "targetNamespace=\"http://example.com/test\">\n"

/* A task with an interrupting timer boundary and a message boundary with
 * a correlation key, a signal boundary without a key. */
static const char waits_bpmn[] =
    NS "<message id=\"m\" name=\"callback\"><extensionElements>"
       "<zeebe:subscription correlationKey=\"=ref\"/></extensionElements>"
       "</message>\n"
       "<message id=\"m2\" name=\"any\"/>\n"
       "<signal id=\"s\" name=\"poke\"/>\n"
       "<process id=\"p\" isExecutable=\"true\">\n"
       "<startEvent id=\"start\"/>\n"
       "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"task\"/>\n"
       "<serviceTask id=\"task\"/>\n"
       "<sequenceFlow id=\"f2\" sourceRef=\"task\" targetRef=\"end\"/>\n"
       "<endEvent id=\"end\"/>\n"
       "<boundaryEvent id=\"late\" attachedToRef=\"task\">"
       "<timerEventDefinition><timeDuration xsi:type=\"tFormalExpression\">"
       "PT90M</timeDuration></timerEventDefinition></boundaryEvent>\n"
       "<sequenceFlow id=\"f3\" sourceRef=\"late\" targetRef=\"e2\"/>\n"
       "<endEvent id=\"e2\"/>\n"
       "<boundaryEvent id=\"cb\" attachedToRef=\"task\" "
       "cancelActivity=\"false\"><messageEventDefinition messageRef=\"m\"/>"
       "</boundaryEvent>\n"
       "<sequenceFlow id=\"f4\" sourceRef=\"cb\" targetRef=\"e3\"/>\n"
       "<endEvent id=\"e3\"/>\n"
       "<boundaryEvent id=\"anymsg\" attachedToRef=\"task\" "
       "cancelActivity=\"false\"><messageEventDefinition messageRef=\"m2\"/>"
       "</boundaryEvent>\n"
       "<sequenceFlow id=\"f5\" sourceRef=\"anymsg\" targetRef=\"e4\"/>\n"
       "<endEvent id=\"e4\"/>\n"
       "<boundaryEvent id=\"sig\" attachedToRef=\"task\" "
       "cancelActivity=\"false\"><signalEventDefinition signalRef=\"s\"/>"
       "</boundaryEvent>\n"
       "<sequenceFlow id=\"f6\" sourceRef=\"sig\" targetRef=\"e5\"/>\n"
       "<endEvent id=\"e5\"/>\n"
       "</process>\n</definitions>\n";

/* Start events of every kind. */
static const char starts_bpmn[] =
    NS "<message id=\"m\" name=\"order\"/>\n"
       "<signal id=\"s\" name=\"alarm\"/>\n"
       "<process id=\"p\" isExecutable=\"true\">\n"
       "<startEvent id=\"plain\"/>\n"
       "<startEvent id=\"once\"><timerEventDefinition><timeDate "
       "xsi:type=\"tFormalExpression\">2026-06-01T12:00:00Z</timeDate>"
       "</timerEventDefinition></startEvent>\n"
       "<startEvent id=\"cycle\"><timerEventDefinition><timeCycle "
       "xsi:type=\"tFormalExpression\">R2/PT1H</timeCycle>"
       "</timerEventDefinition></startEvent>\n"
       "<startEvent id=\"cron\"><timerEventDefinition><timeCycle "
       "xsi:type=\"tFormalExpression\">0 30 9 * * MON-FRI</timeCycle>"
       "</timerEventDefinition></startEvent>\n"
       "<startEvent id=\"expr\"><timerEventDefinition><timeDuration "
       "xsi:type=\"tFormalExpression\">=\"PT5M\"</timeDuration>"
       "</timerEventDefinition></startEvent>\n"
       "<startEvent id=\"msg\"><messageEventDefinition messageRef=\"m\"/>"
       "</startEvent>\n"
       "<startEvent id=\"sg\"><signalEventDefinition signalRef=\"s\"/>"
       "</startEvent>\n"
       "<endEvent id=\"end\"/>\n"
       "<sequenceFlow id=\"a\" sourceRef=\"plain\" targetRef=\"end\"/>\n"
       "<sequenceFlow id=\"b\" sourceRef=\"once\" targetRef=\"end\"/>\n"
       "<sequenceFlow id=\"c\" sourceRef=\"cycle\" targetRef=\"end\"/>\n"
       "<sequenceFlow id=\"fd\" sourceRef=\"cron\" targetRef=\"end\"/>\n"
       "<sequenceFlow id=\"e\" sourceRef=\"expr\" targetRef=\"end\"/>\n"
       "<sequenceFlow id=\"f\" sourceRef=\"msg\" targetRef=\"end\"/>\n"
       "<sequenceFlow id=\"g\" sourceRef=\"sg\" targetRef=\"end\"/>\n"
       "</process>\n</definitions>\n";

/* 2026-01-01T00:00:00Z */
#define T0 INT64_C(1767225600000)
#define MIN INT64_C(60000)

static int64_t clock_now;
static int64_t test_clock(void *ud)
{
    (void)ud;
    return clock_now;
}

static baton_engine *engine_with(const char *xml, int with_clock)
{
    baton_engine *e = NULL;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    if (with_clock)
        baton_engine_set_clock(e, test_clock, NULL);
    baton_model *m = NULL;
    if (baton_model_load(e, xml, BATON_NUL, "t.bpmn", &m))
        fail_msg("load: %s", baton_engine_errmsg(e));
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
    return e;
}

static void expect_error(baton_engine *e, int rc, int code, const char *msg)
{
    if (rc != code || baton_engine_errcode(e) != code ||
        strcmp(baton_engine_errmsg(e), msg))
        fail_msg("want %d \"%s\", got %d (%d \"%s\")", code, msg, rc,
                 baton_engine_errcode(e), baton_engine_errmsg(e));
}

static void snapshot_of(baton_instance *in, void **snap, size_t *size)
{
    assert_int_equal(baton_instance_snapshot(in, snap, size), 0);
}

static void expect_same(baton_instance *in, const void *snap, size_t size)
{
    void *now;
    size_t n;
    snapshot_of(in, &now, &n);
    assert_int_equal(n, size);
    assert_memory_equal(now, snap, size);
    baton_free(now);
}

/* ------------------------------------------------------------------ */

static void test_clock_needed(void **state)
{
    (void)state;
    baton_engine *e = engine_with(waits_bpmn, 0);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, "{\"ref\":\"R1\"}",
                                           BATON_NUL, &in),
                     0);
    /* The step that would start the timer fails and changes nothing. */
    int rc;
    while ((rc = baton_instance_step(in)) == BATON_STEP_READY)
        ;
    expect_error(e, rc,
                 BATON_ESTATE,
                 "timers and backoffs need the time: set a clock with "
                 "baton_engine_set_clock()");
    void *snap;
    size_t size;
    snapshot_of(in, &snap, &size);
    expect_error(e, baton_instance_step(in), BATON_ESTATE,
                 "timers and backoffs need the time: set a clock with "
                 "baton_engine_set_clock()");
    expect_same(in, snap, size);
    assert_int_equal(baton_instance_subscription_count(in), 0);
    /* With a clock the same instance goes on. */
    clock_now = T0;
    baton_engine_set_clock(e, test_clock, NULL);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_subscription_count(in), 4);
    baton_free(snap);
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_subscriptions_listed(void **state)
{
    (void)state;
    clock_now = T0;
    baton_engine *e = engine_with(waits_bpmn, 1);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, "{\"ref\":7}", BATON_NUL,
                                           &in),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_subscription_count(in), 4);
    static const struct {
        int kind;
        const char *element, *name, *key;
        int64_t due;
    } want[] = {
        { BATON_SUB_TIMER, "late", NULL, NULL, T0 + 90 * MIN },
        { BATON_SUB_MESSAGE, "cb", "callback", "7", 0 },
        { BATON_SUB_MESSAGE, "anymsg", "any", NULL, 0 },
        { BATON_SUB_SIGNAL, "sig", "poke", NULL, 0 },
    };
    uint64_t task = 0;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(baton_instance_subscription_kind(in, i),
                         want[i].kind);
        assert_string_equal(baton_instance_subscription_element_id(in, i),
                            want[i].element);
        const char *n = baton_instance_subscription_name(in, i);
        const char *k = baton_instance_subscription_correlation_key(in, i);
        if (want[i].name)
            assert_string_equal(n, want[i].name);
        else
            assert_null(n);
        if (want[i].key)
            assert_string_equal(k, want[i].key);
        else
            assert_null(k);
        assert_int_equal(baton_instance_subscription_due(in, i),
                         want[i].due);
        assert_true(baton_instance_subscription_key(in, i) != 0);
        /* Every one belongs to the task's element instance. */
        uint64_t owner =
            baton_instance_subscription_element_instance_key(in, i);
        if (!task)
            task = owner;
        assert_int_equal(owner, task);
    }
    assert_int_equal(baton_job_element_instance_key(baton_instance_job(in, 0)),
                     task);
    int64_t due = 0;
    assert_int_equal(baton_instance_next_due(in, &due), 1);
    assert_int_equal(due, T0 + 90 * MIN);
    /* Out of range and NULL. */
    assert_int_equal(baton_instance_subscription_kind(in, 4), -1);
    assert_null(baton_instance_subscription_element_id(in, 4));
    assert_int_equal(baton_instance_subscription_key(in, 9), 0);
    assert_int_equal(baton_instance_subscription_count(NULL), 0);
    assert_int_equal(baton_instance_next_due(NULL, &due), BATON_EINVAL);
    expect_error(e, baton_instance_next_due(in, NULL), BATON_EINVAL,
                 "baton_instance_next_due needs an output");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_correlation(void **state)
{
    (void)state;
    clock_now = T0;
    baton_engine *e = engine_with(waits_bpmn, 1);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, "{\"ref\":\"R1\"}",
                                           BATON_NUL, &in),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    uint64_t rev = baton_instance_revision(in);
    void *snap;
    size_t size;
    snapshot_of(in, &snap, &size);
    /* Wrong key, unknown name, no key for a keyed subscription: nothing
     * matches and nothing changes, not even the revision. */
    assert_int_equal(baton_instance_correlate_message(in, "callback", "R2",
                                                      NULL, 0),
                     0);
    assert_int_equal(baton_instance_correlate_message(in, "nobody", "R1",
                                                      NULL, 0),
                     0);
    assert_int_equal(baton_instance_correlate_message(in, "callback", NULL,
                                                      NULL, 0),
                     0);
    assert_int_equal(baton_instance_signal(in, "nothing", NULL, 0), 0);
    assert_int_equal(baton_instance_revision(in), rev);
    expect_same(in, snap, size);
    assert_int_equal(baton_engine_errcode(e), 0);
    /* A subscription without a key matches on its name with any key. */
    assert_int_equal(baton_instance_correlate_message(in, "any", "whatever",
                                                      "{\"a\":1}",
                                                      BATON_NUL),
                     1);
    assert_int_equal(baton_instance_correlate_message(in, "callback", "R1",
                                                      NULL, 0),
                     1);
    assert_int_equal(baton_instance_signal(in, "poke", NULL, 0), 1);
    /* Non-interrupting: they stay open and match again. */
    assert_int_equal(baton_instance_correlate_message(in, "callback", "R1",
                                                      NULL, 0),
                     1);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    char *v = NULL;
    assert_int_equal(baton_instance_get_variable(in, "a", &v, NULL), 0);
    assert_string_equal(v, "1");
    baton_free(v);
    assert_int_equal(baton_instance_subscription_count(in), 4);
    /* Misuse. */
    expect_error(e, baton_instance_correlate_message(in, NULL, "R1", NULL, 0),
                 BATON_EINVAL, "a message needs a name");
    expect_error(e, baton_instance_signal(in, NULL, NULL, 0), BATON_EINVAL,
                 "a signal needs a name");
    expect_error(e, baton_instance_correlate_message(in, "any", NULL, "[1]",
                                                     BATON_NUL),
                 BATON_EPARSE, "variables: expected a JSON object");
    assert_int_equal(baton_instance_correlate_message(NULL, "x", NULL, NULL,
                                                      0),
                     BATON_EINVAL);
    /* The timer ends the task and with it every subscription. */
    clock_now += 90 * MIN;
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_int_equal(baton_instance_subscription_count(in), 0);
    assert_int_equal(baton_instance_next_due(in, &(int64_t){ 0 }), 0);
    expect_error(e, baton_instance_signal(in, "poke", NULL, 0), BATON_ESTATE,
                 "the instance has already ended");
    baton_free(snap);
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_starts(void **state)
{
    (void)state;
    baton_engine *e = NULL;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    baton_model *m = NULL;
    if (baton_model_load(e, starts_bpmn, BATON_NUL, "s.bpmn", &m))
        fail_msg("load: %s", baton_engine_errmsg(e));
    static const struct {
        const char *id;
        int kind;
        const char *name;
    } want[] = {
        { "plain", BATON_START_NONE, NULL },
        { "once", BATON_START_TIMER, NULL },
        { "cycle", BATON_START_TIMER, NULL },
        { "cron", BATON_START_TIMER, NULL },
        { "expr", BATON_START_TIMER, NULL },
        { "msg", BATON_START_MESSAGE, "order" },
        { "sg", BATON_START_SIGNAL, "alarm" },
    };
    assert_int_equal(baton_model_start_count(m, 0), 7);
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(baton_model_start_id(m, 0, i), want[i].id);
        assert_int_equal(baton_model_start_kind(m, 0, i), want[i].kind);
        const char *n = baton_model_start_name(m, 0, i);
        if (want[i].name)
            assert_string_equal(n, want[i].name);
        else
            assert_null(n);
    }
    assert_null(baton_model_start_id(m, 0, 7));
    assert_int_equal(baton_model_start_kind(m, 0, 7), -1);
    assert_int_equal(baton_model_start_count(m, 1), 0);

    int64_t due = 0;
    /* A date fires once, at the date. */
    assert_int_equal(baton_model_start_next_due(m, 0, 1, T0, 0, &due), 1);
    assert_int_equal(due, INT64_C(1780315200000)); /* 2026-06-01T12:00Z */
    assert_int_equal(baton_model_start_next_due(m, 0, 1, due, 1, &due), 0);
    /* R2/PT1H: an hour after deployment, then an hour later, then no
     * more. */
    assert_int_equal(baton_model_start_next_due(m, 0, 2, T0, 0, &due), 1);
    assert_int_equal(due, T0 + 60 * MIN);
    assert_int_equal(baton_model_start_next_due(m, 0, 2, due, 1, &due), 1);
    assert_int_equal(due, T0 + 120 * MIN);
    assert_int_equal(baton_model_start_next_due(m, 0, 2, due, 2, &due), 0);
    /* Cron: 2026-01-01 is a Thursday; the next 09:30 is that morning,
     * then Friday's, then Monday's (the 5th). */
    assert_int_equal(baton_model_start_next_due(m, 0, 3, T0, 0, &due), 1);
    assert_int_equal(due, T0 + (9 * 60 + 30) * MIN);
    assert_int_equal(baton_model_start_next_due(m, 0, 3, due, 1, &due), 1);
    assert_int_equal(due, T0 + (24 * 60 + 9 * 60 + 30) * MIN);
    assert_int_equal(baton_model_start_next_due(m, 0, 3, due, 2, &due), 1);
    assert_int_equal(due, T0 + (4 * 24 * 60 + 9 * 60 + 30) * MIN);
    /* An expression, evaluated with no variables. */
    assert_int_equal(baton_model_start_next_due(m, 0, 4, T0, 0, &due), 1);
    assert_int_equal(due, T0 + 5 * MIN);
    /* Not timer starts. */
    assert_int_equal(baton_model_start_next_due(m, 0, 0, T0, 0, &due),
                     BATON_EINVAL);
    assert_int_equal(baton_model_start_next_due(m, 0, 5, T0, 0, &due),
                     BATON_EINVAL);
    assert_int_equal(baton_model_start_next_due(m, 0, 9, T0, 0, &due),
                     BATON_EINVAL);
    assert_int_equal(baton_model_start_next_due(m, 0, 1, T0, 0, NULL),
                     BATON_EINVAL);

    /* Creating at a start event. */
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create_at(e, "p", "msg", "{\"n\":1}",
                                              BATON_NUL, &in),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    baton_instance_free(in);
    in = NULL;
    expect_error(e, baton_instance_create_at(e, "p", "end", NULL, 0, &in),
                 BATON_ENOTFOUND, "'end' is not a start event of process 'p'");
    assert_string_equal(baton_engine_errelement(e), "end");
    assert_null(in);
    /* The none start event is the default. */
    assert_int_equal(baton_instance_create(e, "p", NULL, 0, &in), 0);
    baton_instance_free(in);
    baton_model_free(m);
    baton_engine_free(e);
}

static void test_no_none_start(void **state)
{
    (void)state;
    static const char xml[] =
        NS "<message id=\"m\" name=\"order\"/>\n"
           "<process id=\"p\" isExecutable=\"true\">\n"
           "<startEvent id=\"msg\"><messageEventDefinition messageRef=\"m\"/>"
           "</startEvent>\n"
           "<sequenceFlow id=\"a\" sourceRef=\"msg\" targetRef=\"end\"/>\n"
           "<endEvent id=\"end\"/>\n"
           "</process>\n</definitions>\n";
    baton_engine *e = engine_with(xml, 0);
    baton_instance *in = NULL;
    expect_error(e, baton_instance_create(e, NULL, NULL, 0, &in),
                 BATON_ENOTFOUND,
                 "process 'p' has no none start event: start it at one of "
                 "its start events (baton_instance_create_at)");
    assert_null(in);
    assert_int_equal(baton_instance_create_at(e, NULL, "msg", NULL, 0, &in),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    baton_instance_free(in);
    baton_engine_free(e);
}

/* ---- backoffs ------------------------------------------------------ */

static const char task_bpmn[] =
    NS "<process id=\"p\" isExecutable=\"true\">\n"
       "<startEvent id=\"start\"/>\n"
       "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"task\"/>\n"
       "<serviceTask id=\"task\"/>\n"
       "<sequenceFlow id=\"f2\" sourceRef=\"task\" targetRef=\"end\"/>\n"
       "<endEvent id=\"end\"/>\n"
       "</process>\n</definitions>\n";

static char failed_json[1024];
static void failed_sink(void *ud, baton_instance *in, const baton_record *r)
{
    (void)ud;
    (void)in;
    if (baton_record_value_type(r) != BATON_VT_JOB ||
        baton_record_intent(r) != BATON_INTENT_FAILED || failed_json[0])
        return;
    char *text;
    size_t len;
    if (baton_record_to_json(r, &text, &len) == 0) {
        snprintf(failed_json, sizeof failed_json, "%s", text);
        baton_free(text);
    }
}

static int backoff_calls;
static int backoff_handler(void *ud, baton_job *job)
{
    (void)ud;
    if (backoff_calls++ == 0) {
        /* Misuse first, then the real answer. */
        int rc = baton_job_fail_backoff(job, 1, -5, "x");
        baton_engine *e = baton_instance_engine(baton_job_instance(job));
        if (rc != BATON_EINVAL ||
            strcmp(baton_engine_errmsg(e), "the backoff must not be negative"))
            return -99;
        return baton_job_fail_backoff(job, 2, 5 * MIN, "busy");
    }
    return baton_job_complete(job, NULL, 0);
}

static void test_backoff(void **state)
{
    (void)state;
    clock_now = T0;
    baton_engine *e = engine_with(task_bpmn, 1);
    backoff_calls = 0;
    failed_json[0] = '\0';
    baton_engine_set_record_sink(e, failed_sink, NULL);
    assert_int_equal(baton_engine_register_handler(e, "task", backoff_handler,
                                                   NULL),
                     0);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(backoff_calls, 1);
    assert_non_null(strstr(failed_json, "\"retryBackoff\":300000"));
    assert_non_null(strstr(failed_json, "\"retries\":2"));
    assert_non_null(strstr(failed_json, "\"errorMessage\":\"busy\""));
    /* In backoff, the job is not handed out. */
    assert_int_equal(baton_instance_job_count(in), 0);
    int64_t due = 0;
    assert_int_equal(baton_instance_next_due(in, &due), 1);
    assert_int_equal(due, T0 + 5 * MIN);
    clock_now = due - 1;
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(backoff_calls, 1);
    clock_now = due;
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_int_equal(backoff_calls, 2);
    baton_instance_free(in);

    /* By key, from the host, without a handler. */
    baton_engine_register_handler(e, "task", NULL, NULL);
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    uint64_t key = baton_job_key(baton_instance_job(in, 0));
    expect_error(e, baton_instance_fail_job_backoff(in, key, 1, -1, NULL),
                 BATON_EINVAL, "the backoff must not be negative");
    expect_error(e, baton_instance_fail_job_backoff(in, key, -1, 10, NULL),
                 BATON_EINVAL, "retries must not be negative");
    baton_engine_set_clock(e, NULL, NULL);
    void *snap;
    size_t size;
    snapshot_of(in, &snap, &size);
    expect_error(e, baton_instance_fail_job_backoff(in, key, 1, 10, "x"),
                 BATON_ESTATE,
                 "timers and backoffs need the time: set a clock with "
                 "baton_engine_set_clock()");
    expect_same(in, snap, size);
    /* A backoff of 0 is a plain failure and needs no clock. */
    assert_int_equal(baton_instance_fail_job_backoff(in, key, 1, 0, "x"), 0);
    assert_int_equal(baton_instance_job_count(in), 1);
    baton_engine_set_clock(e, test_clock, NULL);
    assert_int_equal(baton_instance_fail_job_backoff(in, key, 1, MIN, "y"),
                     0);
    assert_int_equal(baton_instance_job_count(in), 0);
    clock_now += MIN;
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_job_count(in), 1);
    baton_free(snap);
    baton_instance_free(in);
    baton_engine_free(e);
}

/* Two tasks in parallel, one with a timer boundary event. */
static const char pair_bpmn[] =
    NS "<process id=\"p\" isExecutable=\"true\">\n"
       "<startEvent id=\"start\"/>\n"
       "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"fork\"/>\n"
       "<parallelGateway id=\"fork\"/>\n"
       "<sequenceFlow id=\"f2\" sourceRef=\"fork\" targetRef=\"A\"/>\n"
       "<sequenceFlow id=\"f3\" sourceRef=\"fork\" targetRef=\"B\"/>\n"
       "<serviceTask id=\"A\"/><serviceTask id=\"B\"/>\n"
       "<sequenceFlow id=\"f4\" sourceRef=\"A\" targetRef=\"ea\"/>\n"
       "<sequenceFlow id=\"f5\" sourceRef=\"B\" targetRef=\"eb\"/>\n"
       "<endEvent id=\"ea\"/><endEvent id=\"eb\"/>\n"
       "<boundaryEvent id=\"late\" attachedToRef=\"B\">"
       "<timerEventDefinition><timeDuration xsi:type=\"tFormalExpression\">"
       "PT1H</timeDuration></timerEventDefinition></boundaryEvent>\n"
       "<sequenceFlow id=\"f6\" sourceRef=\"late\" targetRef=\"el\"/>\n"
       "<endEvent id=\"el\"/>\n"
       "</process>\n</definitions>\n";

static int persisted;
static int count_persist(void *ud, baton_instance *in, const void *snap,
                         size_t size, uint64_t revision)
{
    (void)ud;
    (void)in;
    (void)snap;
    (void)size;
    (void)revision;
    persisted++;
    return 0;
}

static void test_backoff_not_listed_and_no_clock(void **state)
{
    (void)state;
    clock_now = T0;
    baton_engine *e = engine_with(pair_bpmn, 1);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_job_count(in), 2);
    baton_job *a = baton_instance_job(in, 0);
    assert_string_equal(baton_job_element_id(a), "A");
    assert_int_equal(baton_instance_fail_job_backoff(in, baton_job_key(a), 2,
                                                     MIN, "later"),
                     0);
    /* A job in its backoff is not handed out; the others are. */
    assert_int_equal(baton_instance_job_count(in), 1);
    assert_string_equal(baton_job_element_id(baton_instance_job(in, 0)),
                        "B");
    assert_null(baton_instance_job(in, 1));
    /* Without a clock (a host that restored the instance without one),
     * what does not start a timer still runs, persists, and waits. */
    baton_engine_set_clock(e, NULL, NULL);
    persisted = 0;
    baton_engine_set_persist(e, count_persist, NULL);
    uint64_t b = baton_job_key(baton_instance_job(in, 0));
    assert_int_equal(baton_instance_complete_job(in, b, NULL, 0), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(persisted, 1);
    assert_int_equal(baton_engine_errcode(e), 0);
    baton_instance_free(in);
    baton_engine_free(e);
}

/* ---- records --------------------------------------------------------- */

static char timer_json[1024];
static void timer_sink(void *ud, baton_instance *in, const baton_record *r)
{
    (void)ud;
    (void)in;
    if (baton_record_value_type(r) != BATON_VT_TIMER || timer_json[0])
        return;
    char *text;
    size_t len;
    if (baton_record_to_json(r, &text, &len) == 0) {
        snprintf(timer_json, sizeof timer_json, "%s", text);
        baton_free(text);
    }
}

static void test_timer_record(void **state)
{
    (void)state;
    clock_now = T0;
    baton_engine *e = engine_with(waits_bpmn, 1);
    timer_json[0] = '\0';
    baton_engine_set_record_sink(e, timer_sink, NULL);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, "{\"ref\":\"R\"}",
                                           BATON_NUL, &in),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_non_null(strstr(timer_json, "\"valueType\":\"TIMER\""));
    assert_non_null(strstr(timer_json, "\"intent\":\"CREATED\""));
    assert_non_null(strstr(timer_json, "\"targetElementId\":\"late\""));
    assert_non_null(strstr(timer_json, "\"dueDate\":1767231000000"));
    assert_non_null(
        strstr(timer_json, "\"dueDateIso\":\"2026-01-01T01:30:00.000Z\""));
    assert_non_null(strstr(timer_json, "\"repetitions\":1"));
    assert_string_equal(baton_value_type_name(BATON_VT_TIMER), "TIMER");
    assert_string_equal(baton_value_type_name(BATON_VT_CONDITIONAL_SUBSCRIPTION),
                        "CONDITIONAL_SUBSCRIPTION");
    assert_string_equal(baton_intent_name(BATON_INTENT_RECURRED_AFTER_BACKOFF),
                        "RECURRED_AFTER_BACKOFF");
    assert_string_equal(baton_value_type_name(6), "UNKNOWN");
    baton_instance_free(in);
    baton_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_needed),
        cmocka_unit_test(test_subscriptions_listed),
        cmocka_unit_test(test_correlation),
        cmocka_unit_test(test_starts),
        cmocka_unit_test(test_no_none_start),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_backoff_not_listed_and_no_clock),
        cmocka_unit_test(test_timer_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
