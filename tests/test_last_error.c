#define _POSIX_C_SOURCE 200809L
/* The engine's last error, as the header's preamble promises it: every
 * call that takes an engine (directly or through a model, instance, job
 * or record) and can fail resets the last error on entry, and on failure
 * records a message that names what is wrong.
 *
 * For each such function of include/baton.h: an error is set first (a
 * model with an element Baton cannot run: code, message, line, element
 * and source all set), then a successful call of the function must leave
 * errcode 0 and errmsg, errelement, errsource "" and line and column 0.
 * And a failing call of it must record its own code and message. Jobs
 * are settled inside a handler, records are read inside the record hook;
 * what happens there is noted and checked once the run is back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baton.h"

static const char model_bpmn[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" "
    "targetNamespace=\"http://example.com/test\">\n"
    "<process id=\"p\" isExecutable=\"true\">\n"
    "<startEvent id=\"start\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"task\"/>\n"
    "<serviceTask id=\"task\"><extensionElements>"
    "<zeebe:taskDefinition type=\"work\" retries=\"3\"/>"
    "</extensionElements></serviceTask>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"task\" targetRef=\"end\"/>\n"
    "<endEvent id=\"end\"/>\n"
    "</process>\n"
    "</definitions>\n";

/* An executable process with an element Baton refuses. */
static const char unsupported_bpmn[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "id=\"d\" targetNamespace=\"http://example.com/test\">\n"
    "<process id=\"p\" isExecutable=\"true\">\n"
    "<startEvent id=\"s\"/>\n"
    "<complexGateway id=\"cg\"/>\n"
    "</process>\n"
    "</definitions>\n";

/* ------------------------------------------------------------------ */
/* The error as the getters report it                                  */
/* ------------------------------------------------------------------ */

typedef struct errstate {
    int code, line, column;
    char msg[512], element[256], source[256];
} errstate;

static errstate grab(const baton_engine *e)
{
    errstate s;
    s.code = baton_engine_errcode(e);
    s.line = baton_engine_errline(e);
    s.column = baton_engine_errcolumn(e);
    snprintf(s.msg, sizeof s.msg, "%s", baton_engine_errmsg(e));
    snprintf(s.element, sizeof s.element, "%s", baton_engine_errelement(e));
    snprintf(s.source, sizeof s.source, "%s", baton_engine_errsource(e));
    return s;
}

static void expect_clean_state(const errstate *s, const char *what)
{
    if (s->code || s->msg[0] || s->line || s->column || s->element[0] ||
        s->source[0])
        fail_msg("after a successful %s the last error is not reset: code "
                 "%d, message \"%s\", line %d, column %d, element \"%s\", "
                 "source \"%s\"",
                 what, s->code, s->msg, s->line, s->column, s->element,
                 s->source);
}

static void expect_clean(const baton_engine *e, const char *what)
{
    errstate s = grab(e);
    expect_clean_state(&s, what);
}

static void expect_error_state(const errstate *s, int code, const char *msg,
                               const char *what)
{
    if (s->code != code || strcmp(s->msg, msg))
        fail_msg("a failing %s: want %d \"%s\", got %d \"%s\"", what, code,
                 msg, s->code, s->msg);
}

static void expect_error(const baton_engine *e, int rc, int code,
                         const char *msg, const char *what)
{
    if (rc != code)
        fail_msg("a failing %s returned %d, want %d (%s)", what, rc, code,
                 baton_engine_errmsg(e));
    errstate s = grab(e);
    expect_error_state(&s, code, msg, what);
}

/* Sets an error with every field: returns 1 when it did. Safe inside a
 * handler or a hook (it changes no instance). */
static int try_provoke(baton_engine *e)
{
    baton_model *m = NULL;
    int rc = baton_model_load(e, unsupported_bpmn, BATON_NUL, "provoke.bpmn",
                              &m);
    return rc == BATON_EUNSUPPORTED && m == NULL &&
           baton_engine_errcode(e) == BATON_EUNSUPPORTED &&
           !strcmp(baton_engine_errmsg(e),
                   "complexGateway 'cg': complexGateway is not supported") &&
           baton_engine_errline(e) == 4 &&
           !strcmp(baton_engine_errelement(e), "cg") &&
           !strcmp(baton_engine_errsource(e), "provoke.bpmn");
}

static void provoke(baton_engine *e)
{
    if (!try_provoke(e))
        fail_msg("the error was not provoked: %d \"%s\"",
                 baton_engine_errcode(e), baton_engine_errmsg(e));
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static baton_engine *new_engine(void)
{
    baton_engine *e = NULL;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    return e;
}

static baton_model *load(baton_engine *e)
{
    baton_model *m = NULL;
    if (baton_model_load(e, model_bpmn, BATON_NUL, "model.bpmn", &m))
        fail_msg("load: %s", baton_engine_errmsg(e));
    return m;
}

static baton_engine *deployed(void)
{
    baton_engine *e = new_engine();
    baton_model *m = load(e);
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
    return e;
}

/* An instance waiting at its task's job (no handler registered). */
static baton_instance *waiting(baton_engine *e)
{
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, "{\"x\":1}", BATON_NUL,
                                           &in),
                     0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_job_count(in), 1);
    return in;
}

static uint64_t job_key(baton_instance *in)
{
    baton_job *j = baton_instance_job(in, 0);
    assert_non_null(j);
    return baton_job_key(j);
}

/* ------------------------------------------------------------------ */
/* Engine and models                                                   */
/* ------------------------------------------------------------------ */

static int dummy_handler(void *ud, baton_job *job)
{
    (void)ud;
    return baton_job_complete(job, NULL, 0);
}

static void test_register_handler(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    provoke(e);
    assert_int_equal(baton_engine_register_handler(e, "work", dummy_handler,
                                                   NULL),
                     0);
    expect_clean(e, "baton_engine_register_handler");
    provoke(e);
    assert_int_equal(baton_engine_register_handler(e, "work", NULL, NULL), 0);
    expect_clean(e, "baton_engine_register_handler (unregistering)");
    provoke(e);
    assert_int_equal(baton_engine_register_handler(e, "never-registered",
                                                   NULL, NULL),
                     0);
    expect_clean(e, "baton_engine_register_handler (nothing to unregister)");
    expect_error(e,
                 baton_engine_register_handler(e, "", dummy_handler, NULL),
                 BATON_EINVAL, "a handler needs a non-empty job type",
                 "baton_engine_register_handler");
    expect_error(e,
                 baton_engine_register_handler(e, NULL, dummy_handler, NULL),
                 BATON_EINVAL, "a handler needs a non-empty job type",
                 "baton_engine_register_handler");
    baton_engine_free(e);
}

static void test_deploy(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    baton_model *m = load(e);
    provoke(e);
    int version = 0;
    assert_int_equal(baton_engine_deploy(e, m, NULL, &version), 0);
    assert_int_equal(version, 1);
    expect_clean(e, "baton_engine_deploy");
    provoke(e);
    assert_int_equal(baton_engine_deploy(e, m, "p", &version), 0);
    assert_int_equal(version, 2);
    expect_clean(e, "baton_engine_deploy (by id)");
    expect_error(e, baton_engine_deploy(e, m, "nope", NULL), BATON_ENOTFOUND,
                 "no process 'nope' in the model", "baton_engine_deploy");
    assert_string_equal(baton_engine_errelement(e), "nope");
    assert_string_equal(baton_engine_errsource(e), "model.bpmn");
    expect_error(e, baton_engine_deploy(e, NULL, NULL, NULL), BATON_EINVAL,
                 "baton_engine_deploy needs a model", "baton_engine_deploy");
    baton_model_free(m);
    baton_engine_free(e);
}

/* baton_engine_set_limit takes an engine and can fail (-1 for an
 * unknown limit or a value out of range), so the preamble's rule holds
 * for it too. */
static void test_set_limit(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    provoke(e);
    assert_int_equal(baton_engine_set_limit(e, BATON_LIMIT_STEPS, 500),
                     100000);
    expect_clean(e, "baton_engine_set_limit");
    baton_engine_free(e);
}

static void test_set_limit_failure(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    assert_int_equal(baton_engine_set_limit(e, 99, 1), -1);
    if (baton_engine_errcode(e) != BATON_EINVAL ||
        !strstr(baton_engine_errmsg(e), "limit"))
        fail_msg("a failing baton_engine_set_limit (unknown limit 99) "
                 "records %d \"%s\"; want BATON_EINVAL and a message naming "
                 "the limit",
                 baton_engine_errcode(e), baton_engine_errmsg(e));
    baton_engine_free(e);
}

static void test_model_load(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    provoke(e);
    baton_model *m = NULL;
    assert_int_equal(baton_model_load(e, model_bpmn, BATON_NUL, "model.bpmn",
                                      &m),
                     0);
    expect_clean(e, "baton_model_load");
    baton_model_free(m);
    /* The column too: a parse error sets one. */
    assert_int_equal(baton_model_load(e, "<definitions", BATON_NUL,
                                      "bad.bpmn", &m),
                     BATON_EPARSE);
    assert_true(baton_engine_errcolumn(e) > 0);
    assert_string_equal(baton_engine_errsource(e), "bad.bpmn");
    assert_int_equal(baton_model_load(e, model_bpmn, sizeof model_bpmn - 1,
                                      NULL, &m),
                     0);
    expect_clean(e, "baton_model_load (after a parse error)");
    baton_model_free(m);
    /* The failure names the element, its line and the source. */
    expect_error(e,
                 baton_model_load(e, unsupported_bpmn, BATON_NUL, "u.bpmn",
                                  &m),
                 BATON_EUNSUPPORTED,
                 "complexGateway 'cg': complexGateway is not supported",
                 "baton_model_load");
    assert_null(m);
    assert_int_equal(baton_engine_errline(e), 4);
    assert_string_equal(baton_engine_errelement(e), "cg");
    assert_string_equal(baton_engine_errsource(e), "u.bpmn");
    expect_error(e, baton_model_load(e, NULL, 0, "x", &m), BATON_EINVAL,
                 "baton_model_load needs a document and an output",
                 "baton_model_load");
    baton_engine_free(e);
}

static void test_model_load_file(void **state)
{
    (void)state;
    const char *dir = getenv("BATON_MODELS");
    if (!dir)
        fail_msg("BATON_MODELS must be set");
    char path[2048];
    snprintf(path, sizeof path, "%s/trip-booking-saga.bpmn", dir);
    baton_engine *e = new_engine();
    provoke(e);
    baton_model *m = NULL;
    if (baton_model_load_file(e, path, &m))
        fail_msg("%s: %s", path, baton_engine_errmsg(e));
    expect_clean(e, "baton_model_load_file");
    baton_model_free(m);
    m = NULL;
    expect_error(e, baton_model_load_file(e, "/nonexistent/x.bpmn", &m),
                 BATON_EIO, "cannot open: No such file or directory",
                 "baton_model_load_file");
    assert_string_equal(baton_engine_errsource(e), "/nonexistent/x.bpmn");
    assert_null(m);
    baton_engine_free(e);
}

typedef struct problems {
    int count;
    char first[512];
} problems;

static void on_problem(void *ud, int code, const char *source, int line,
                       int column, const char *tag, const char *element_id,
                       const char *message)
{
    problems *p = ud;
    (void)code;
    (void)source;
    (void)line;
    (void)column;
    if (!p->count++)
        snprintf(p->first, sizeof p->first, "%s %s %s", tag, element_id,
                 message);
}

static void test_model_check(void **state)
{
    (void)state;
    baton_engine *e = new_engine();
    problems p = { 0, "" };
    provoke(e);
    assert_int_equal(baton_model_check(e, model_bpmn, BATON_NUL, "model.bpmn",
                                       on_problem, &p),
                     0);
    assert_int_equal(p.count, 0);
    expect_clean(e, "baton_model_check");
    provoke(e);
    assert_int_equal(baton_model_check(e, model_bpmn, BATON_NUL, NULL, NULL,
                                       NULL),
                     0);
    expect_clean(e, "baton_model_check (no callback)");
    expect_error(e,
                 baton_model_check(e, unsupported_bpmn, BATON_NUL, "u.bpmn",
                                   on_problem, &p),
                 BATON_EUNSUPPORTED,
                 "complexGateway 'cg': complexGateway is not supported",
                 "baton_model_check");
    assert_int_equal(p.count, 1);
    assert_string_equal(p.first,
                        "complexGateway cg complexGateway is not supported");
    baton_engine_free(e);
}

/* ------------------------------------------------------------------ */
/* Instances                                                           */
/* ------------------------------------------------------------------ */

static void test_instance_create(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    baton_instance *in = NULL;
    provoke(e);
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    expect_clean(e, "baton_instance_create");
    baton_instance_free(in);
    provoke(e);
    assert_int_equal(baton_instance_create(e, "p", "{\"a\":[1]}", BATON_NUL,
                                           &in),
                     0);
    expect_clean(e, "baton_instance_create (with variables)");
    baton_instance_free(in);
    in = NULL;
    expect_error(e, baton_instance_create(e, "nope", NULL, 0, &in),
                 BATON_ENOTFOUND, "process 'nope' is not deployed",
                 "baton_instance_create");
    assert_string_equal(baton_engine_errelement(e), "nope");
    expect_error(e, baton_instance_create(e, NULL, "[1]", BATON_NUL, &in),
                 BATON_EPARSE, "variables: expected a JSON object",
                 "baton_instance_create");
    assert_null(in);
    baton_engine_free(e);
}

static int refuse_to_persist(void *ud, baton_instance *in,
                             const void *snapshot, size_t size,
                             uint64_t revision)
{
    (void)in;
    (void)snapshot;
    (void)size;
    (void)revision;
    return *(int *)ud;
}

static void test_step_and_run(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    provoke(e);
    assert_int_equal(baton_instance_step(in), BATON_STEP_READY);
    expect_clean(e, "baton_instance_step");
    provoke(e);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    expect_clean(e, "baton_instance_run");
    /* Nothing to do is success too. */
    provoke(e);
    assert_int_equal(baton_instance_step(in), BATON_STEP_WAITING);
    expect_clean(e, "baton_instance_step (waiting)");
    provoke(e);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    expect_clean(e, "baton_instance_run (waiting)");
    assert_int_equal(baton_instance_complete_job(in, job_key(in), NULL, 0),
                     0);
    expect_error(e, baton_instance_run(in, 1), BATON_EBUDGET,
                 "the step budget of 1 steps is used up with work still "
                 "ready (a loop without a wait state?)",
                 "baton_instance_run");
    /* A persist hook that fails is the run's failure. */
    int persist_rc = 7;
    baton_engine_set_persist(e, refuse_to_persist, &persist_rc);
    expect_error(e, baton_instance_run(in, 1), BATON_EIO,
                 "the persist hook failed (7)", "baton_instance_run");
    persist_rc = 0;
    provoke(e);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    expect_clean(e, "baton_instance_run (to the end)");
    provoke(e);
    assert_int_equal(baton_instance_step(in), BATON_STEP_ENDED);
    expect_clean(e, "baton_instance_step (ended)");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_variables(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    baton_instance *in = waiting(e);
    char *out = NULL;
    size_t len = 0;
    provoke(e);
    assert_int_equal(baton_instance_variables(in, &out, &len), 0);
    assert_string_equal(out, "{\"x\":1}");
    baton_free(out);
    expect_clean(e, "baton_instance_variables");
    provoke(e);
    assert_int_equal(baton_instance_get_variable(in, "x", &out, &len), 0);
    assert_string_equal(out, "1");
    baton_free(out);
    expect_clean(e, "baton_instance_get_variable");
    provoke(e);
    assert_int_equal(baton_instance_set_variables(in, "{\"y\":2}", BATON_NUL),
                     0);
    expect_clean(e, "baton_instance_set_variables");

    expect_error(e, baton_instance_get_variable(in, "zz", &out, &len),
                 BATON_ENOTFOUND, "no variable 'zz' in the process scope",
                 "baton_instance_get_variable");
    expect_error(e, baton_instance_variables(in, NULL, &len), BATON_EINVAL,
                 "baton_instance_variables needs an output",
                 "baton_instance_variables");
    expect_error(e, baton_instance_set_variables(in, "[1]", BATON_NUL),
                 BATON_EPARSE, "variables: expected a JSON object",
                 "baton_instance_set_variables");
    expect_error(e, baton_instance_set_variables(in, NULL, 0), BATON_EINVAL,
                 "variables are required", "baton_instance_set_variables");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_host_job_commands(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    baton_instance *in = waiting(e);

    provoke(e);
    assert_int_equal(baton_instance_update_job_retries(in, job_key(in), 5),
                     0);
    expect_clean(e, "baton_instance_update_job_retries");
    provoke(e);
    assert_int_equal(baton_instance_fail_job(in, job_key(in), 2, "later"),
                     0);
    expect_clean(e, "baton_instance_fail_job");
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    provoke(e);
    assert_int_equal(baton_instance_complete_job(in, job_key(in),
                                                 "{\"done\":true}",
                                                 BATON_NUL),
                     0);
    expect_clean(e, "baton_instance_complete_job");
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    baton_instance_free(in);

    in = waiting(e);
    provoke(e);
    /* Nothing catches it: the command succeeds and raises an incident. */
    assert_int_equal(baton_instance_throw_job_error(in, job_key(in), "OOPS",
                                                    "no"),
                     0);
    expect_clean(e, "baton_instance_throw_job_error");
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_INCIDENT);
    baton_instance_free(in);

    in = waiting(e);
    char msg[128];
    snprintf(msg, sizeof msg, "no waiting job with key %llu",
             (unsigned long long)48879);
    expect_error(e, baton_instance_complete_job(in, 48879, NULL, 0),
                 BATON_ENOTFOUND, msg, "baton_instance_complete_job");
    expect_error(e, baton_instance_fail_job(in, 48879, 1, NULL),
                 BATON_ENOTFOUND, msg, "baton_instance_fail_job");
    expect_error(e, baton_instance_throw_job_error(in, 48879, "E", NULL),
                 BATON_ENOTFOUND, msg, "baton_instance_throw_job_error");
    expect_error(e, baton_instance_fail_job(in, job_key(in), -1, NULL),
                 BATON_EINVAL, "retries must not be negative",
                 "baton_instance_fail_job");
    expect_error(e, baton_instance_throw_job_error(in, job_key(in), "", NULL),
                 BATON_EINVAL, "a BPMN error needs a code",
                 "baton_instance_throw_job_error");
    expect_error(e, baton_instance_complete_job(in, job_key(in), "[1]",
                                                BATON_NUL),
                 BATON_EPARSE, "job variables: expected a JSON object",
                 "baton_instance_complete_job");
    expect_error(e, baton_instance_update_job_retries(in, 48879, 1),
                 BATON_ENOTFOUND, "no job with key 48879",
                 "baton_instance_update_job_retries");
    expect_error(e, baton_instance_update_job_retries(in, job_key(in), -2),
                 BATON_EINVAL, "retries must not be negative",
                 "baton_instance_update_job_retries");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_incidents_and_cancel(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    baton_instance *in = waiting(e);
    uint64_t jk = job_key(in);
    assert_int_equal(baton_instance_fail_job(in, jk, 0, "down"), 0);
    assert_int_equal(baton_instance_incident_count(in), 1);
    uint64_t ik = baton_instance_incident_key(in, 0);
    char msg[128];
    snprintf(msg, sizeof msg, "job %llu is held by an incident",
             (unsigned long long)jk);
    expect_error(e, baton_instance_complete_job(in, jk, NULL, 0),
                 BATON_ESTATE, msg, "baton_instance_complete_job");
    provoke(e);
    assert_int_equal(baton_instance_update_job_retries(in, jk, 2), 0);
    expect_clean(e, "baton_instance_update_job_retries (held by an "
                    "incident)");
    provoke(e);
    assert_int_equal(baton_instance_resolve_incident(in, ik), 0);
    expect_clean(e, "baton_instance_resolve_incident");
    expect_error(e, baton_instance_resolve_incident(in, ik), BATON_ENOTFOUND,
                 "no open incident with key 4294967301",
                 "baton_instance_resolve_incident");
    assert_int_equal(ik, 4294967301ull);
    provoke(e);
    assert_int_equal(baton_instance_cancel(in), 0);
    expect_clean(e, "baton_instance_cancel");
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_TERMINATED);
    expect_error(e, baton_instance_cancel(in), BATON_ESTATE,
                 "the instance has already ended", "baton_instance_cancel");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_snapshot_restore(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    baton_instance *in = waiting(e);
    void *data = NULL;
    size_t size = 0;
    provoke(e);
    assert_int_equal(baton_instance_snapshot(in, &data, &size), 0);
    expect_clean(e, "baton_instance_snapshot");
    baton_instance *back = NULL;
    provoke(e);
    assert_int_equal(baton_instance_restore(e, data, size, &back), 0);
    expect_clean(e, "baton_instance_restore");
    baton_instance_free(back);
    back = NULL;
    expect_error(e, baton_instance_restore(e, "garbage garbage garbage!", 24,
                                           &back),
                 BATON_ESNAPSHOT, "snapshot refused: not a Baton snapshot",
                 "baton_instance_restore");
    assert_null(back);
    expect_error(e, baton_instance_restore(e, data, size - 1, &back),
                 BATON_ESNAPSHOT, "snapshot refused: truncated or extended",
                 "baton_instance_restore");
    expect_error(e, baton_instance_snapshot(in, NULL, &size), BATON_EINVAL,
                 "baton_instance_snapshot needs outputs",
                 "baton_instance_snapshot");
    /* Against an engine without the deployment. */
    baton_engine *other = new_engine();
    expect_error(other, baton_instance_restore(other, data, size, &back),
                 BATON_ENOTFOUND,
                 "snapshot of process 'p' version 1, which is not deployed",
                 "baton_instance_restore");
    baton_engine_free(other);
    baton_free(data);
    baton_instance_free(in);
    baton_engine_free(e);
}

/* ------------------------------------------------------------------ */
/* Inside a handler                                                    */
/* ------------------------------------------------------------------ */

enum probe_kind {
    P_JOB_VARIABLES,
    P_JOB_COMPLETE,
    P_JOB_FAIL,
    P_JOB_THROW,
    P_JOB_DEFER,
    P_INSTANCE_VARIABLES,
    P_INSTANCE_GET_VARIABLE,
    P_COUNT
};

static const char *const probe_names[P_COUNT] = {
    "baton_job_variables",      "baton_job_complete",
    "baton_job_fail",           "baton_job_throw_error",
    "baton_job_defer",          "baton_instance_variables (in a handler)",
    "baton_instance_get_variable (in a handler)",
};

/* What the handler saw, checked once the run is back. */
typedef struct probe {
    int kind;
    int calls;
    int provoked;
    int rc;
    errstate after;      /* after the successful call */
    int failing_rc;
    errstate failing;    /* after a failing call of the same function */
    char text[256];      /* what a successful getter returned */
    int instance_rc;     /* a change of the instance from the handler */
    errstate instance;
} probe;

static int probing_handler(void *ud, baton_job *job)
{
    probe *p = ud;
    baton_instance *in = baton_job_instance(job);
    baton_engine *e = baton_instance_engine(in);
    char *out = NULL;
    size_t len = 0;
    if (p->calls++)
        return baton_job_complete(job, NULL, 0);
    /* A failing call first: its code and message. */
    switch (p->kind) {
    case P_JOB_VARIABLES:
        p->failing_rc = baton_job_variables(job, NULL, &len);
        break;
    case P_JOB_COMPLETE:
        p->failing_rc = baton_job_complete(job, "[1]", BATON_NUL);
        break;
    case P_JOB_FAIL:
        p->failing_rc = baton_job_fail(job, -1, NULL);
        break;
    case P_JOB_THROW:
        p->failing_rc = baton_job_throw_error(job, "", NULL);
        break;
    case P_JOB_DEFER:
        p->failing_rc = baton_instance_cancel(in);
        break;
    case P_INSTANCE_VARIABLES:
        p->failing_rc = baton_instance_snapshot(in, (void **)&out, &len);
        break;
    case P_INSTANCE_GET_VARIABLE:
        p->failing_rc = baton_instance_get_variable(in, "zz", &out, &len);
        break;
    }
    p->failing = grab(e);
    p->instance_rc = baton_instance_complete_job(in, baton_job_key(job),
                                                 NULL, 0);
    p->instance = grab(e);
    p->provoked = try_provoke(e);
    switch (p->kind) {
    case P_JOB_VARIABLES:
        p->rc = baton_job_variables(job, &out, &len);
        break;
    case P_JOB_COMPLETE:
        p->rc = baton_job_complete(job, "{\"z\":3}", BATON_NUL);
        break;
    case P_JOB_FAIL:
        p->rc = baton_job_fail(job, 2, "try again");
        break;
    case P_JOB_THROW:
        p->rc = baton_job_throw_error(job, "OOPS", "no");
        break;
    case P_JOB_DEFER:
        p->rc = baton_job_defer(job);
        break;
    case P_INSTANCE_VARIABLES:
        p->rc = baton_instance_variables(in, &out, &len);
        break;
    case P_INSTANCE_GET_VARIABLE:
        p->rc = baton_instance_get_variable(in, "x", &out, &len);
        break;
    }
    p->after = grab(e);
    if (out) {
        snprintf(p->text, sizeof p->text, "%s", out);
        baton_free(out);
    }
    /* Settle what is not settled yet (a settled job refuses this). */
    if (p->kind == P_JOB_VARIABLES || p->kind == P_INSTANCE_VARIABLES ||
        p->kind == P_INSTANCE_GET_VARIABLE)
        return baton_job_complete(job, NULL, 0);
    return 0;
}

static void run_probe(int kind, probe *p)
{
    baton_engine *e = deployed();
    memset(p, 0, sizeof *p);
    p->kind = kind;
    assert_int_equal(baton_engine_register_handler(e, "work",
                                                   probing_handler, p),
                     0);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, "{\"x\":1}", BATON_NUL,
                                           &in),
                     0);
    int rc = baton_instance_run(in, 0);
    if (rc < 0)
        fail_msg("%s: run: %s", probe_names[kind], baton_engine_errmsg(e));
    assert_true(p->calls >= 1);
    if (!p->provoked)
        fail_msg("%s: the error was not provoked in the handler",
                 probe_names[kind]);
    if (p->rc)
        fail_msg("%s in the handler returned %d (%s)", probe_names[kind],
                 p->rc, p->after.msg);
    expect_clean_state(&p->after, probe_names[kind]);
    /* Changing the instance from its handler is refused. */
    assert_int_equal(p->instance_rc, BATON_ESTATE);
    expect_error_state(&p->instance, BATON_ESTATE,
                       "the instance cannot be changed from its handler",
                       "baton_instance_complete_job (in a handler)");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_job_variables(void **state)
{
    (void)state;
    probe p;
    run_probe(P_JOB_VARIABLES, &p);
    assert_string_equal(p.text, "{\"x\":1}");
    assert_int_equal(p.failing_rc, BATON_EINVAL);
    expect_error_state(&p.failing, BATON_EINVAL,
                       "baton_job_variables needs an output",
                       "baton_job_variables");
}

static void test_job_complete(void **state)
{
    (void)state;
    probe p;
    run_probe(P_JOB_COMPLETE, &p);
    assert_int_equal(p.failing_rc, BATON_EPARSE);
    expect_error_state(&p.failing, BATON_EPARSE,
                       "job variables: expected a JSON object",
                       "baton_job_complete");
}

static void test_job_fail(void **state)
{
    (void)state;
    probe p;
    run_probe(P_JOB_FAIL, &p);
    assert_int_equal(p.failing_rc, BATON_EINVAL);
    expect_error_state(&p.failing, BATON_EINVAL,
                       "retries must not be negative", "baton_job_fail");
}

static void test_job_throw_error(void **state)
{
    (void)state;
    probe p;
    run_probe(P_JOB_THROW, &p);
    assert_int_equal(p.failing_rc, BATON_EINVAL);
    expect_error_state(&p.failing, BATON_EINVAL, "a BPMN error needs a code",
                       "baton_job_throw_error");
}

static void test_job_defer(void **state)
{
    (void)state;
    probe p;
    run_probe(P_JOB_DEFER, &p);
    /* Cancelling from inside a handler is refused. */
    assert_int_equal(p.failing_rc, BATON_ESTATE);
    expect_error_state(&p.failing, BATON_ESTATE,
                       "the instance cannot be changed from its handler",
                       "baton_instance_cancel (in a handler)");

    /* Settling outside a handler is refused, and says what to use. */
    baton_engine *e = deployed();
    baton_instance *in = waiting(e);
    baton_job *job = baton_instance_job(in, 0);
    char msg[256];
    snprintf(msg, sizeof msg,
             "job %llu can be settled this way only inside its handler; use "
             "baton_instance_complete_job() and friends",
             (unsigned long long)baton_job_key(job));
    expect_error(e, baton_job_defer(job), BATON_ESTATE, msg,
                 "baton_job_defer");
    assert_string_equal(baton_engine_errelement(e), "task");
    expect_error(e, baton_job_complete(job, NULL, 0), BATON_ESTATE, msg,
                 "baton_job_complete");
    /* Outside a handler a job's variables can still be read. */
    char *out = NULL;
    size_t len;
    provoke(e);
    assert_int_equal(baton_job_variables(job, &out, &len), 0);
    assert_string_equal(out, "{\"x\":1}");
    baton_free(out);
    expect_clean(e, "baton_job_variables (outside a handler)");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_instance_getters_in_handler(void **state)
{
    (void)state;
    probe p;
    run_probe(P_INSTANCE_VARIABLES, &p);
    assert_string_equal(p.text, "{\"x\":1}");
    assert_int_equal(p.failing_rc, BATON_ESTATE);
    expect_error_state(&p.failing, BATON_ESTATE,
                       "an instance cannot be snapshotted from a handler",
                       "baton_instance_snapshot (in a handler)");
    run_probe(P_INSTANCE_GET_VARIABLE, &p);
    assert_string_equal(p.text, "1");
    assert_int_equal(p.failing_rc, BATON_ENOTFOUND);
    expect_error_state(&p.failing, BATON_ENOTFOUND,
                       "no variable 'zz' in the process scope",
                       "baton_instance_get_variable (in a handler)");
}

/* ------------------------------------------------------------------ */
/* Inside the record hook                                              */
/* ------------------------------------------------------------------ */

typedef struct hook {
    int records;
    int provoked;
    int rc;
    errstate after;
    char json[512];
    int failing_rc;
    errstate failing;
    int instance_rc;
    errstate instance;
    int fail_on_every_record; /* leave a failed call behind each record */
} hook;

static void probing_hook(void *ud, baton_instance *in,
                         const baton_record *rec)
{
    hook *h = ud;
    baton_engine *e = baton_instance_engine(in);
    if (h->fail_on_every_record) {
        h->records++;
        (void)baton_record_to_json(rec, NULL, NULL);
        return;
    }
    if (h->records++)
        return;
    h->failing_rc = baton_record_to_json(rec, NULL, NULL);
    h->failing = grab(e);
    h->instance_rc = baton_instance_set_variables(in, "{\"a\":1}",
                                                  BATON_NUL);
    h->instance = grab(e);
    h->provoked = try_provoke(e);
    char *out = NULL;
    size_t len = 0;
    h->rc = baton_record_to_json(rec, &out, &len);
    h->after = grab(e);
    if (out) {
        snprintf(h->json, sizeof h->json, "%s", out);
        baton_free(out);
    }
}

static void test_record_to_json(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    hook h;
    memset(&h, 0, sizeof h);
    baton_engine_set_record_sink(e, probing_hook, &h);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_step(in), BATON_STEP_READY);
    assert_true(h.records >= 1);
    assert_true(h.provoked);
    assert_int_equal(h.rc, 0);
    expect_clean_state(&h.after, "baton_record_to_json");
    assert_non_null(strstr(h.json, "\"valueType\":\"PROCESS_INSTANCE\""));
    assert_non_null(strstr(h.json, "\"intent\":\"ELEMENT_ACTIVATING\""));
    assert_int_equal(h.failing_rc, BATON_EINVAL);
    expect_error_state(&h.failing, BATON_EINVAL,
                       "baton_record_to_json needs an output",
                       "baton_record_to_json");
    assert_int_equal(h.instance_rc, BATON_ESTATE);
    expect_error_state(&h.instance, BATON_ESTATE,
                       "another instance of this engine is in a step (a "
                       "handler or record hook cannot change instances)",
                       "baton_instance_set_variables (in the record hook)");
    baton_instance_free(in);
    baton_engine_free(e);
}

/* A step or run that succeeds reports success: the error of a call that
 * failed inside its record hook or handler does not outlive it. The
 * header: errmsg is "" when the last call succeeded. */
static void test_no_stale_error_after_hook(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    hook h;
    memset(&h, 0, sizeof h);
    h.fail_on_every_record = 1;
    baton_engine_set_record_sink(e, probing_hook, &h);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_step(in), BATON_STEP_READY);
    assert_true(h.records > 0);
    expect_clean(e, "baton_instance_step (its record hook made a failing "
                    "call)");
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    expect_clean(e, "baton_instance_run (its record hook made a failing "
                    "call)");
    assert_int_equal(baton_instance_complete_job(in, job_key(in), NULL, 0),
                     0);
    expect_clean(e, "baton_instance_complete_job (its record hook made a "
                    "failing call)");
    baton_instance_free(in);
    baton_engine_free(e);
}

static int defer_then_misuse(void *ud, baton_job *job)
{
    (void)ud;
    int rc = baton_job_defer(job);
    (void)baton_job_complete(job, NULL, 0); /* already settled */
    return rc;
}

static void test_no_stale_error_after_handler(void **state)
{
    (void)state;
    baton_engine *e = deployed();
    assert_int_equal(baton_engine_register_handler(e, "work",
                                                   defer_then_misuse, NULL),
                     0);
    baton_instance *in = NULL;
    assert_int_equal(baton_instance_create(e, NULL, NULL, 0, &in), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_job_count(in), 1);
    expect_clean(e, "baton_instance_run (its handler made a failing call "
                    "after settling)");
    baton_instance_free(in);
    baton_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_handler),
        cmocka_unit_test(test_deploy),
        cmocka_unit_test(test_set_limit),
        cmocka_unit_test(test_set_limit_failure),
        cmocka_unit_test(test_model_load),
        cmocka_unit_test(test_model_load_file),
        cmocka_unit_test(test_model_check),
        cmocka_unit_test(test_instance_create),
        cmocka_unit_test(test_step_and_run),
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_host_job_commands),
        cmocka_unit_test(test_incidents_and_cancel),
        cmocka_unit_test(test_snapshot_restore),
        cmocka_unit_test(test_job_variables),
        cmocka_unit_test(test_job_complete),
        cmocka_unit_test(test_job_fail),
        cmocka_unit_test(test_job_throw_error),
        cmocka_unit_test(test_job_defer),
        cmocka_unit_test(test_instance_getters_in_handler),
        cmocka_unit_test(test_record_to_json),
        cmocka_unit_test(test_no_stale_error_after_hook),
        cmocka_unit_test(test_no_stale_error_after_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
