/* Large instances give the right result: a parallel join of 10,000
 * branches, an inclusive fork and join of as many, and a scope of 10,000 waiting tasks ended at once by an error
 * caught on it. The time they take is measured by bench_scale, never
 * judged here; this checks what they do (records, order, end state). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baton.h"

#define N 10000

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int w = vsnprintf(t->p ? t->p + t->n : NULL,
                          t->p ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        assert_true(w >= 0);
        if (t->p && (size_t)w < t->cap - t->n) {
            t->n += (size_t)w;
            return;
        }
        t->cap = (t->cap + (size_t)w + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
}

static const char head[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" "
    "targetNamespace=\"t\">\n";

/* What the records said, counted by element id prefix and intent. */
typedef struct tally {
    size_t branch_completed; /* p* or t* tasks completed */
    size_t branch_terminated;
    size_t jobs_canceled;
    size_t join_activated, end_completed, handled_completed, normal;
    size_t flows_into_join;
    uint64_t last_position;
    int out_of_order;
} tally;

static void on_record(void *ud, baton_instance *in, const baton_record *r)
{
    tally *t = ud;
    (void)in;
    if (baton_record_position(r) != t->last_position + 1)
        t->out_of_order = 1;
    t->last_position = baton_record_position(r);
    const char *id = baton_record_element_id(r);
    int vt = baton_record_value_type(r), it = baton_record_intent(r);
    if (vt == BATON_VT_JOB && it == BATON_INTENT_CANCELED)
        t->jobs_canceled++;
    if (vt != BATON_VT_PROCESS_INSTANCE)
        return;
    int branch = (id[0] == 'p' || id[0] == 't') && id[1] >= '0' &&
                 id[1] <= '9';
    if (branch && it == BATON_INTENT_ELEMENT_COMPLETED)
        t->branch_completed++;
    if ((branch || !strcmp(id, "boom")) &&
        it == BATON_INTENT_ELEMENT_TERMINATED)
        t->branch_terminated++;
    if (!strcmp(id, "join") && it == BATON_INTENT_ELEMENT_ACTIVATED)
        t->join_activated++;
    if (!strcmp(id, "end") && it == BATON_INTENT_ELEMENT_COMPLETED)
        t->end_completed++;
    if (!strcmp(id, "handled") && it == BATON_INTENT_ELEMENT_COMPLETED)
        t->handled_completed++;
    if (!strcmp(id, "normal") && it == BATON_INTENT_ELEMENT_ACTIVATED)
        t->normal++;
    if (!strncmp(id, "out", 3) && it == BATON_INTENT_SEQUENCE_FLOW_TAKEN)
        t->flows_into_join++;
}

static baton_engine *engine_for(text *model, tally *t)
{
    baton_engine *e;
    baton_model *m;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    int rc = baton_model_load(e, model->p, model->n, "large", &m);
    if (rc)
        fail_msg("load: %s", baton_engine_errmsg(e));
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
    free(model->p);
    baton_engine_set_limit(e, BATON_LIMIT_STEPS, 8 * N + 100);
    baton_engine_set_record_sink(e, on_record, t);
    return e;
}

/* start -> fork -> p0..pN-1 -> join -> end, with gateways of kind `gw`;
 * an inclusive fork takes every other branch only. */
static void join_of_many_branches(const char *gw)
{
    int inclusive = !strcmp(gw, "inclusiveGateway");
    size_t taken = inclusive ? N / 2 : N;
    text m = { NULL, 0, 0 };
    add(&m, "%s<process id=\"jn\" isExecutable=\"true\">\n"
            "<startEvent id=\"start\"/>\n"
            "<sequenceFlow id=\"f0\" sourceRef=\"start\" targetRef=\"fork\"/>\n"
            "<%s id=\"fork\"/><%s id=\"join\"/>\n"
            "<sequenceFlow id=\"f1\" sourceRef=\"join\" targetRef=\"end\"/>\n"
            "<endEvent id=\"end\"/>\n",
        head, gw, gw);
    for (int i = 0; i < N; i++)
        add(&m, "<task id=\"p%d\"/>"
                "<sequenceFlow id=\"in%d\" sourceRef=\"fork\" targetRef=\"p%d\">"
                "%s</sequenceFlow>"
                "<sequenceFlow id=\"out%d\" sourceRef=\"p%d\" targetRef=\"join\"/>\n",
            i, i, i,
            !inclusive ? ""
            : i % 2    ? "<conditionExpression>= false</conditionExpression>"
                       : "<conditionExpression>= true</conditionExpression>",
            i, i);
    add(&m, "</process></definitions>\n");
    tally t = { 0 };
    baton_engine *e = engine_for(&m, &t);
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_COMPLETED);
    assert_int_equal(t.branch_completed, taken);
    assert_int_equal(t.flows_into_join, taken);
    /* Every token waited at the join, which went on once. */
    assert_int_equal(t.join_activated, 1);
    assert_int_equal(t.end_completed, 1);
    assert_false(t.out_of_order);
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_join_of_many_branches(void **state)
{
    (void)state;
    join_of_many_branches("parallelGateway");
}

/* Every other branch taken: the join waits for the N / 2 taken ones,
 * asking at each arrival whether a token can still reach it, and goes on
 * once. */
static void test_inclusive_join_of_many_branches(void **state)
{
    (void)state;
    join_of_many_branches("inclusiveGateway");
}

static void test_scope_of_many_tokens_ended(void **state)
{
    (void)state;
    text m = { NULL, 0, 0 };
    add(&m, "%s<error id=\"err\" errorCode=\"BOOM\"/>\n"
            "<process id=\"term\" isExecutable=\"true\">\n"
            "<startEvent id=\"start\"/>\n"
            "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"sub\"/>\n"
            "<subProcess id=\"sub\"><startEvent id=\"s\"/>\n"
            "<sequenceFlow id=\"s0\" sourceRef=\"s\" targetRef=\"fork\"/>\n"
            "<parallelGateway id=\"fork\"/>\n",
        head);
    for (int i = 0; i < N - 1; i++)
        add(&m, "<serviceTask id=\"t%d\"><extensionElements>"
                "<zeebe:taskDefinition type=\"work\"/></extensionElements>"
                "</serviceTask><sequenceFlow id=\"in%d\" sourceRef=\"fork\" "
                "targetRef=\"t%d\"/>\n",
            i, i, i);
    add(&m, "<serviceTask id=\"boom\"><extensionElements>"
            "<zeebe:taskDefinition type=\"boom\"/></extensionElements>"
            "</serviceTask><sequenceFlow id=\"ib\" sourceRef=\"fork\" "
            "targetRef=\"boom\"/>\n</subProcess>\n"
            "<boundaryEvent id=\"caught\" attachedToRef=\"sub\">"
            "<errorEventDefinition errorRef=\"err\"/></boundaryEvent>\n"
            "<sequenceFlow id=\"f2\" sourceRef=\"caught\" targetRef=\"handled\"/>\n"
            "<endEvent id=\"handled\"/>\n"
            "<sequenceFlow id=\"f3\" sourceRef=\"sub\" targetRef=\"normal\"/>\n"
            "<endEvent id=\"normal\"/>\n</process></definitions>\n");
    tally t = { 0 };
    baton_engine *e = engine_for(&m, &t);
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_job_count(in), N);
    uint64_t boom = 0;
    for (size_t i = 0; i < N; i++) {
        baton_job *j = baton_instance_job(in, i);
        assert_non_null(j);
        if (!strcmp(baton_job_type(j), "boom"))
            boom = baton_job_key(j);
    }
    assert_true(boom != 0);
    assert_int_equal(baton_instance_throw_job_error(in, boom, "BOOM", "x"), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_COMPLETED);
    /* Every task of the scope ended with it, and every job with its task
     * (the thrower's too: the catch is on the scope, not on the task). */
    assert_int_equal(t.branch_terminated, N);
    assert_int_equal(t.jobs_canceled, N);
    assert_int_equal(t.handled_completed, 1);
    assert_int_equal(t.normal, 0);
    assert_int_equal(baton_instance_job_count(in), 0);
    assert_false(t.out_of_order);
    baton_instance_free(in);
    baton_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_of_many_branches),
        cmocka_unit_test(test_inclusive_join_of_many_branches),
        cmocka_unit_test(test_scope_of_many_tokens_ended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
