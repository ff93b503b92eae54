/* The engine through its public API: errors and their messages, misuse,
 * step progress codes, handlers, hooks, snapshots (and damaged ones). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baton.h"

static char data_dir[1024];

static baton_engine *new_engine(void)
{
    baton_engine *e;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    return e;
}

static void deploy_file(baton_engine *e, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    baton_model *m;
    int rc = baton_model_load_file(e, path, &m);
    if (rc)
        fail_msg("%s: %s", path, baton_engine_errmsg(e));
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
}

static void test_strerror(void **state)
{
    (void)state;
    for (int c = 1; c >= -20; c--) {
        assert_non_null(baton_strerror(c));
        assert_true(strlen(baton_strerror(c)) > 0);
    }
    assert_string_equal(baton_strerror(BATON_ENOMEM), "out of memory");
    assert_string_equal(baton_version(), BATON_VERSION_STRING);
    assert_int_equal(baton_version_number(), BATON_VERSION_NUMBER);
    assert_int_equal(baton_engine_new(NULL, NULL, NULL), BATON_EINVAL);
    baton_engine_free(NULL);
    baton_model_free(NULL);
    baton_instance_free(NULL);
    baton_free(NULL);
}

static void test_load_errors(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    baton_model *m = NULL;
    assert_int_equal(baton_model_load_file(e, "/nonexistent/x.bpmn", &m),
                     BATON_EIO);
    assert_null(m);
    assert_string_equal(baton_engine_errsource(e), "/nonexistent/x.bpmn");
    assert_non_null(strstr(baton_engine_errmsg(e), "cannot open"));

    const char *bad = "<?xml version=\"1.0\"?>\n<definitions>\n<process";
    assert_int_equal(baton_model_load(e, bad, BATON_NUL, "bad.bpmn", &m),
                     BATON_EPARSE);
    assert_string_equal(baton_engine_errsource(e), "bad.bpmn");
    assert_true(baton_engine_errline(e) >= 3);

    /* A later successful call clears the error. */
    assert_int_equal(baton_engine_register_handler(e, "x", NULL, NULL), 0);
    assert_string_equal(baton_engine_errmsg(e), "");
    assert_int_equal(baton_engine_errcode(e), 0);
    baton_engine_free(e);
}

static void test_create_errors(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, "nope", NULL, 0, &in),
                     BATON_ENOTFOUND);
    assert_non_null(strstr(baton_engine_errmsg(e), "'nope' is not deployed"));
    deploy_file(e, "one-task.bpmn");
    assert_int_equal(baton_instance_create(e, NULL, "{\"a\":", BATON_NUL, &in),
                     BATON_EPARSE);
    assert_null(in);
    assert_int_equal(baton_engine_errline(e), 1);
    assert_int_equal(baton_instance_create(e, NULL, "{\"a\":1,\"a\":2}",
                                           BATON_NUL, &in),
                     BATON_EPARSE);
    assert_non_null(strstr(baton_engine_errmsg(e), "duplicate"));
    assert_int_equal(baton_instance_create(e, NULL, "[1]", BATON_NUL, &in),
                     BATON_EPARSE);
    assert_non_null(strstr(baton_engine_errmsg(e), "expected a JSON object"));
    char deep[400];
    memset(deep, '[', 100);
    strcpy(deep + 100, "]");
    char doc[500];
    snprintf(doc, sizeof doc, "{\"a\":%.100s%.100s}", deep,
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    assert_int_equal(baton_instance_create(e, NULL, doc, BATON_NUL, &in),
                     BATON_ELIMIT);
    assert_int_equal(baton_instance_create(e, NULL, "{\"ok\":true}", BATON_NUL,
                                           &in),
                     0);
    baton_instance_free(in);
    baton_engine_free(e);
}

typedef struct seen {
    int calls;
    int settle_twice_rc;
    int step_inside_rc;
    char header[64];
    char vars[256];
} seen;

static int work_handler(void *ud, baton_job *job)
{
    seen *s = ud;
    s->calls++;
    snprintf(s->header, sizeof s->header, "%s",
             baton_job_header(job, "region"));
    char *v;
    assert_int_equal(baton_job_variables(job, &v, NULL), 0);
    snprintf(s->vars, sizeof s->vars, "%s", v);
    baton_free(v);
    assert_int_equal(baton_job_complete(job, "{\"done\":1}", BATON_NUL), 0);
    s->settle_twice_rc = baton_job_defer(job);
    return 0;
}

static void test_steps_and_handler(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    deploy_file(e, "one-task.bpmn");
    seen s = { 0 };
    assert_int_equal(baton_engine_register_handler(e, "work", work_handler, &s),
                     0);
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, "one", "{\"x\":1}", BATON_NUL,
                                           &in),
                     0);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_ACTIVE);
    int steps = 0, rc;
    while ((rc = baton_instance_step(in)) == BATON_STEP_READY)
        steps++;
    assert_int_equal(rc, BATON_STEP_ENDED);
    /* process, start (activate, complete), task (activate, handler,
     * complete), end (activate, complete), process completes. */
    assert_int_equal(steps + 1, 9);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.header, "eu-west-1");
    assert_string_equal(s.vars, "{\"x\":1}");
    assert_int_equal(s.settle_twice_rc, BATON_ESTATE);
    assert_int_equal(baton_instance_step(in), BATON_STEP_ENDED);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_COMPLETED);
    char *v;
    assert_int_equal(baton_instance_get_variable(in, "done", &v, NULL), 0);
    assert_string_equal(v, "1");
    baton_free(v);
    assert_int_equal(baton_instance_get_variable(in, "nope", &v, NULL),
                     BATON_ENOTFOUND);
    baton_instance_free(in);
    baton_engine_free(e);
}

static int silent_handler(void *ud, baton_job *job)
{
    (void)ud;
    (void)job;
    return 0;
}

static void test_unsettled_handler_fails_job(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    deploy_file(e, "one-task.bpmn");
    assert_int_equal(baton_engine_register_handler(e, "work", silent_handler,
                                                   NULL),
                     0);
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_INCIDENT);
    assert_int_equal(baton_instance_incident_count(in), 1);
    assert_string_equal(baton_instance_incident_type(in, 0), "JOB_NO_RETRIES");
    assert_non_null(strstr(baton_instance_incident_message(in, 0),
                           "without settling"));
    assert_string_equal(baton_instance_incident_element_id(in, 0), "work");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_settle_outside_handler(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    deploy_file(e, "one-task.bpmn");
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_job_count(in), 1);
    baton_job *job = baton_instance_job(in, 0);
    assert_string_equal(baton_job_type(job), "work");
    assert_string_equal(baton_job_element_id(job), "work");
    assert_int_equal(baton_job_retries(job), 2);
    assert_int_equal(baton_job_complete(job, NULL, 0), BATON_ESTATE);
    assert_non_null(strstr(baton_engine_errmsg(e), "only inside its handler"));
    assert_int_equal(baton_instance_complete_job(in, 12345, NULL, 0),
                     BATON_ENOTFOUND);
    uint64_t key = baton_job_key(job);
    assert_int_equal(baton_instance_complete_job(in, key, "{\"a\":", BATON_NUL),
                     BATON_EPARSE);
    assert_int_equal(baton_instance_job_count(in), 1);
    assert_int_equal(baton_instance_throw_job_error(in, key, "", NULL),
                     BATON_EINVAL);
    assert_int_equal(baton_instance_fail_job(in, key, -1, NULL), BATON_EINVAL);
    assert_int_equal(baton_instance_complete_job(in, key, "{\"a\":1}",
                                                 BATON_NUL),
                     0);
    assert_int_equal(baton_instance_complete_job(in, key, NULL, 0),
                     BATON_ENOTFOUND);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_budget(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    deploy_file(e, "loop.bpmn");
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 500), BATON_EBUDGET);
    assert_non_null(strstr(baton_engine_errmsg(e), "step budget"));
    assert_int_equal(baton_instance_revision(in), 500);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_ACTIVE);
    assert_int_equal(baton_instance_cancel(in), 0);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_TERMINATED);
    assert_int_equal(baton_instance_cancel(in), BATON_ESTATE);
    baton_instance_free(in);
    baton_engine_free(e);
}

typedef struct persisted {
    int calls;
    uint64_t revision;
    size_t size;
} persisted;

static int persist(void *ud, baton_instance *in, const void *snap,
                   size_t size, uint64_t revision)
{
    persisted *p = ud;
    (void)in;
    assert_non_null(snap);
    p->calls++;
    p->revision = revision;
    p->size = size;
    return 0;
}

static void test_snapshot(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    persisted p = { 0 };
    baton_engine_set_persist(e, persist, &p);
    deploy_file(e, "one-task.bpmn");
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, "{\"trip\":\"Oslo\"}",
                                           BATON_NUL, &in),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.revision, baton_instance_revision(in));
    void *snap;
    size_t size;
    assert_int_equal(baton_instance_snapshot(in, &snap, &size), 0);
    assert_int_equal(size, p.size);
    /* Small: a waiting saga costs hundreds of bytes, not kilobytes. */
    assert_true(size < 512);
    /* Nothing to do: run changes nothing and persists nothing. */
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(p.calls, 1);

    /* Every truncation and every single-byte change is refused whole. */
    unsigned char *copy = malloc(size);
    baton_instance *back = NULL;
    for (size_t n = 0; n < size; n++) {
        assert_int_equal(baton_instance_restore(e, snap, n, &back),
                         BATON_ESNAPSHOT);
        assert_null(back);
    }
    for (size_t i = 0; i < size; i++) {
        memcpy(copy, snap, size);
        copy[i] ^= 0x5a;
        int rc = baton_instance_restore(e, copy, size, &back);
        assert_true(rc == BATON_ESNAPSHOT);
        assert_null(back);
        assert_non_null(strstr(baton_engine_errmsg(e), "snapshot"));
    }
    free(copy);

    /* A snapshot for a model that is not deployed here. */
    baton_engine *other = new_engine();
    assert_int_equal(baton_instance_restore(other, snap, size, &back),
                     BATON_ENOTFOUND);
    deploy_file(other, "loop.bpmn");
    assert_int_equal(baton_instance_restore(other, snap, size, &back),
                     BATON_ENOTFOUND);
    baton_engine_free(other);

    assert_int_equal(baton_instance_restore(e, snap, size, &back), 0);
    assert_int_equal(baton_instance_key(back), baton_instance_key(in));
    assert_int_equal(baton_instance_revision(back), baton_instance_revision(in));
    assert_int_equal(baton_instance_job_count(back), 1);
    uint64_t key = baton_job_key(baton_instance_job(back, 0));
    assert_int_equal(baton_instance_complete_job(back, key, "{\"ok\":true}",
                                                 BATON_NUL),
                     0);
    assert_int_equal(baton_instance_run(back, 0), BATON_STEP_ENDED);
    char *vars;
    assert_int_equal(baton_instance_variables(back, &vars, NULL), 0);
    assert_non_null(strstr(vars, "\"ok\":true"));
    assert_non_null(strstr(vars, "\"trip\":\"Oslo\""));
    baton_free(vars);
    baton_instance_free(back);
    baton_instance_free(in);
    baton_free(snap);
    baton_engine_free(e);
}

static int json_count;

static void count_sink(void *ud, baton_instance *in, const baton_record *rec)
{
    (void)ud;
    (void)in;
    char *j;
    assert_int_equal(baton_record_to_json(rec, &j, NULL), 0);
    if (baton_record_value_type(rec) == BATON_VT_JOB &&
        baton_record_intent(rec) == BATON_INTENT_CREATED) {
        assert_non_null(strstr(j, "\"valueType\":\"JOB\""));
        assert_non_null(strstr(j, "\"intent\":\"CREATED\""));
        assert_non_null(strstr(j, "\"type\":\"work\""));
        assert_non_null(strstr(j, "\"retries\":2"));
        assert_non_null(strstr(j, "\"bpmnProcessId\":\"one\""));
        assert_non_null(strstr(j, "\"processInstanceKey\":"));
        assert_non_null(strstr(j, "\"elementId\":\"work\""));
    }
    if (baton_record_value_type(rec) == BATON_VT_PROCESS_INSTANCE) {
        assert_non_null(strstr(j, "\"flowScopeKey\":"));
        assert_non_null(strstr(j, "\"bpmnElementType\":"));
    }
    json_count++;
    baton_free(j);
}

static void test_records_json(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    baton_engine_set_record_sink(e, count_sink, NULL);
    deploy_file(e, "one-task.bpmn");
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_true(json_count >= 8);
    baton_instance_free(in);
    baton_engine_free(e);
}

/* The records of a called process instance, as Zeebe reports a child
 * instance: its own processInstanceKey on every record, the parent's
 * keys on its element records, and no flow scope for the process. */
typedef struct call_keys {
    long long call_ei, child_pi, root_pi;
    int child_records, process_records, job_records;
} call_keys;

static long long num(const char *j, const char *field)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", field);
    const char *p = strstr(j, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -2;
}

static void call_sink(void *ud, baton_instance *in, const baton_record *rec)
{
    call_keys *k = ud;
    char *j;
    assert_int_equal(baton_record_to_json(rec, &j, NULL), 0);
    const char *el = baton_record_element_id(rec);
    long long pi = num(j, "processInstanceKey");
    if (baton_record_value_type(rec) == BATON_VT_PROCESS_INSTANCE &&
        !strcmp(el, "Call") && baton_record_intent(rec) ==
                                   BATON_INTENT_ELEMENT_ACTIVATING)
        k->call_ei = (long long)baton_record_key(rec);
    if (!strcmp(el, "leg") &&
        baton_record_value_type(rec) == BATON_VT_PROCESS_INSTANCE) {
        /* The child's own PROCESS records. */
        k->child_pi = (long long)baton_record_key(rec);
        assert_int_equal(pi, k->child_pi);
        assert_int_equal(num(j, "parentElementInstanceKey"), k->call_ei);
        assert_int_equal(num(j, "parentProcessInstanceKey"),
                         (long long)baton_instance_key(in));
        assert_int_equal(num(j, "flowScopeKey"), -1);
        k->process_records++;
    } else if (!strcmp(el, "Reserve") || !strcmp(el, "leg_start") ||
               !strcmp(el, "g1")) {
        assert_true(k->child_pi > 0);
        assert_int_equal(pi, k->child_pi);
        /* Every element record of the child names its parents, as
         * Zeebe's; its jobs do not. */
        if (baton_record_value_type(rec) == BATON_VT_PROCESS_INSTANCE)
            assert_int_equal(num(j, "parentElementInstanceKey"), k->call_ei);
        else
            assert_null(strstr(j, "parentElementInstanceKey"));
        k->child_records++;
        if (baton_record_value_type(rec) == BATON_VT_JOB)
            k->job_records++;
    } else {
        assert_int_equal(pi, (long long)baton_instance_key(in));
    }
    baton_free(j);
}

static void test_called_instance_keys(void **state)
{
    (void)state;
    static const char xml[] =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\">"
        "<process id=\"trip\" isExecutable=\"true\"><startEvent id=\"s\"/>"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"Call\"/>"
        "<callActivity id=\"Call\"><extensionElements>"
        "<zeebe:calledElement processId=\"leg\"/></extensionElements>"
        "</callActivity></process>"
        "<process id=\"leg\" isExecutable=\"true\"><startEvent "
        "id=\"leg_start\"/><sequenceFlow id=\"g1\" sourceRef=\"leg_start\" "
        "targetRef=\"Reserve\"/><serviceTask id=\"Reserve\"><extensionElements>"
        "<zeebe:taskDefinition type=\"reserve\"/></extensionElements>"
        "</serviceTask></process></definitions>";
    baton_engine *e = new_engine();
    call_keys k = { 0, 0, 0, 0, 0, 0 };
    baton_engine_set_record_sink(e, call_sink, &k);
    baton_model *m;
    assert_int_equal(baton_model_load(e, xml, BATON_NUL, "calls.bpmn", &m),
                     0);
    assert_int_equal(baton_engine_deploy(e, m, "leg", NULL), 0);
    assert_int_equal(baton_engine_deploy(e, m, "trip", NULL), 0);
    baton_model_free(m);
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, "trip", NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(k.process_records, 2); /* ACTIVATING, ACTIVATED */
    assert_true(k.child_records >= 6);
    assert_int_equal(k.job_records, 1);
    /* The job belongs to the instance, and runs in the child. */
    assert_int_equal(baton_instance_job_count(in), 1);
    baton_job *job = baton_instance_job(in, 0);
    assert_ptr_equal(baton_job_instance(job), in);
    assert_int_equal((long long)baton_job_process_instance_key(job),
                     k.child_pi);
    assert_string_equal(baton_job_process_id(job), "leg");
    assert_true(k.child_pi != (long long)baton_instance_key(in));
    /* The whole tree comes back from one snapshot. */
    void *snap;
    size_t size;
    assert_int_equal(baton_instance_snapshot(in, &snap, &size), 0);
    baton_instance_free(in);
    assert_int_equal(baton_instance_restore(e, snap, size, &in), 0);
    baton_free(snap);
    job = baton_instance_job(in, 0);
    assert_int_equal((long long)baton_job_process_instance_key(job),
                     k.child_pi);
    assert_int_equal(baton_instance_complete_job(in, baton_job_key(job),
                                                 NULL, 0),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_COMPLETED);
    assert_int_equal(k.process_records, 4); /* COMPLETING, COMPLETED */
    baton_instance_free(in);
    baton_engine_free(e);
}

/* The live element instances: the process instance, the subprocess and
 * the task waiting inside it, each with its local variables (the task's
 * input mappings), in creation order; ended ones are gone. */
static void test_instance_elements(void **state)
{
    (void)state;
    static const char xml[] =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\">"
        "<process id=\"trip\" isExecutable=\"true\"><startEvent id=\"s\"/>"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"Book\"/>"
        "<subProcess id=\"Book\"><startEvent id=\"bs\"/>"
        "<sequenceFlow id=\"g1\" sourceRef=\"bs\" targetRef=\"Hotel\"/>"
        "<serviceTask id=\"Hotel\"><extensionElements>"
        "<zeebe:taskDefinition type=\"hotel\"/><zeebe:ioMapping>"
        "<zeebe:input source=\"= nights * 2\" target=\"rooms\"/>"
        "<zeebe:input source=\"&lt;b&gt;\" target=\"note\"/>"
        "</zeebe:ioMapping></extensionElements></serviceTask>"
        "</subProcess></process></definitions>";
    baton_engine *e = new_engine();
    baton_model *m;
    assert_int_equal(baton_model_load(e, xml, BATON_NUL, "trip.bpmn", &m),
                     0);
    /* The flow nodes and flows, those of the subprocess included. */
    assert_int_equal(baton_model_element_count(m, 0), 4);
    assert_string_equal(baton_model_element_id(m, 0, 0), "s");
    assert_string_equal(baton_model_element_id(m, 0, 1), "Book");
    assert_string_equal(baton_model_element_id(m, 0, 2), "bs");
    assert_string_equal(baton_model_element_id(m, 0, 3), "Hotel");
    assert_null(baton_model_element_id(m, 0, 4));
    assert_int_equal(baton_model_flow_count(m, 0), 2);
    assert_string_equal(baton_model_flow_id(m, 0, 0), "f1");
    assert_string_equal(baton_model_flow_id(m, 0, 1), "g1");
    assert_null(baton_model_flow_id(m, 0, 2));
    assert_int_equal(baton_model_element_count(m, 1), 0);
    assert_int_equal(baton_model_flow_count(NULL, 0), 0);
    assert_null(baton_model_element_id(NULL, 0, 0));
    assert_null(baton_model_flow_id(m, 1, 0));
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, NULL, "{\"nights\": 3}",
                                           BATON_NUL, &in),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(baton_instance_elements(in, &out, &len), 0);
    assert_int_equal(strlen(out), len);
    assert_string_equal(
        out,
        "[{\"key\":4294967296,\"elementId\":\"trip\",\"elementType\":"
        "\"PROCESS\",\"state\":\"ACTIVATED\",\"flowScopeKey\":-1,"
        "\"variables\":{\"nights\":3}},"
        "{\"key\":4294967299,\"elementId\":\"Book\",\"elementType\":"
        "\"SUB_PROCESS\",\"state\":\"ACTIVATED\",\"flowScopeKey\":"
        "4294967296,\"variables\":{}},"
        "{\"key\":4294967302,\"elementId\":\"Hotel\",\"elementType\":"
        "\"SERVICE_TASK\",\"state\":\"ACTIVATED\",\"flowScopeKey\":"
        "4294967299,\"variables\":{\"rooms\":6,\"note\":\"<b>\"}}]");
    baton_free(out);
    assert_int_equal(baton_instance_elements(in, NULL, &len), BATON_EINVAL);
    assert_string_equal(baton_engine_errmsg(e),
                        "baton_instance_elements needs an output");
    assert_int_equal(baton_instance_elements(NULL, &out, &len),
                     BATON_EINVAL);
    /* Once the instance ends, nothing is live. */
    baton_job *job = baton_instance_job(in, 0);
    assert_int_equal(baton_instance_complete_job(in, baton_job_key(job),
                                                 NULL, 0),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_int_equal(baton_instance_elements(in, &out, &len), 0);
    assert_string_equal(out, "[]");
    baton_free(out);
    baton_instance_free(in);
    baton_engine_free(e);
}

int main(void)
{
    const char *d = getenv("BATON_TESTDATA");
    snprintf(data_dir, sizeof data_dir, "%s/engine", d ? d : "tests/data");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_steps_and_handler),
        cmocka_unit_test(test_unsettled_handler_fails_job),
        cmocka_unit_test(test_settle_outside_handler),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_records_json),
        cmocka_unit_test(test_called_instance_keys),
        cmocka_unit_test(test_instance_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
