/* The call hook (baton_engine_set_call_hook): a Camunda 7 condition that
 * calls a bean's method is answered by the host; a refused call is a
 * CONDITION_ERROR incident that names the call and the host's reason, and
 * resolving it after the host changes its mind takes the flow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "baton.h"

static const char model[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" id=\"d\" "
    "targetNamespace=\"t\">\n"
    "<process id=\"p\" isExecutable=\"true\">\n"
    "<startEvent id=\"s\"/>\n"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"gw\"/>\n"
    "<exclusiveGateway id=\"gw\" default=\"small\"/>\n"
    "<sequenceFlow id=\"big\" sourceRef=\"gw\" targetRef=\"e1\">"
    "<conditionExpression xsi:type=\"tFormalExpression\">"
    "${pricing.isBig(amount, 'EUR') &amp;&amp; "
    "execution.getVariable(\"approved\")}</conditionExpression>"
    "</sequenceFlow>\n"
    "<sequenceFlow id=\"small\" sourceRef=\"gw\" targetRef=\"e2\"/>\n"
    "<endEvent id=\"e1\"/><endEvent id=\"e2\"/>\n"
    "</process>\n</definitions>\n";

typedef struct host {
    int refuse;
    int calls;
    char target[32], method[32], args[64];
} host;

static int answer(void *ud, baton_call *call, char *reason, size_t size)
{
    host *h = ud;
    h->calls++;
    snprintf(h->target, sizeof h->target, "%s", baton_call_target(call));
    snprintf(h->method, sizeof h->method, "%s",
             baton_call_method(call) ? baton_call_method(call) : "(none)");
    size_t len;
    const char *args = baton_call_args(call, &len);
    snprintf(h->args, sizeof h->args, "%.*s", (int)len, args);
    if (h->refuse) {
        snprintf(reason, size, "pricing is down");
        return 1;
    }
    assert_int_equal(baton_call_return(call, "{not json", BATON_NUL),
                     BATON_EPARSE);
    return baton_call_return(call, "true", BATON_NUL);
}

static const char *ended_at;
static void sink(void *ud, baton_instance *in, const baton_record *rec)
{
    (void)ud;
    (void)in;
    const char *type = baton_record_element_type(rec);
    if (type && !strcmp(type, "END_EVENT") &&
        baton_record_intent(rec) == BATON_INTENT_ELEMENT_COMPLETED)
        ended_at = strcmp(baton_record_element_id(rec), "e1") ? "e2" : "e1";
}

static baton_instance *start(baton_engine *e, host *h)
{
    baton_model *m;
    assert_int_equal(baton_model_load(e, model, sizeof model - 1, "m", &m), 0);
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
    baton_engine_set_call_hook(e, answer, h);
    baton_engine_set_record_sink(e, sink, NULL);
    baton_instance *in;
    assert_int_equal(baton_instance_create(e, "p",
                                           "{\"amount\": 1200, \"approved\": true}",
                                           BATON_NUL, &in), 0);
    return in;
}

static void test_answered(void **state)
{
    (void)state;
    baton_engine *e;
    host h = { 0, 0, "", "", "" };
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    baton_instance *in = start(e, &h);
    ended_at = NULL;
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_string_equal(ended_at, "e1");
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.target, "pricing");
    assert_string_equal(h.method, "isBig");
    assert_string_equal(h.args, "[1200,\"EUR\"]");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_refused_then_resolved(void **state)
{
    (void)state;
    baton_engine *e;
    host h = { 1, 0, "", "", "" };
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    baton_instance *in = start(e, &h);
    ended_at = NULL;
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_incident_count(in), 1);
    printf("incident: %s\n", baton_instance_incident_message(in, 0));
    assert_string_equal(baton_instance_incident_type(in, 0), "CONDITION_ERROR");
    assert_string_equal(baton_instance_incident_element_id(in, 0), "gw");
    const char *msg = baton_instance_incident_message(in, 0);
    assert_non_null(strstr(msg, "pricing.isBig(...)"));
    assert_non_null(strstr(msg, "pricing is down"));
    h.refuse = 0;
    assert_int_equal(baton_instance_resolve_incident(
                         in, baton_instance_incident_key(in, 0)), 0);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_ENDED);
    assert_string_equal(ended_at, "e1");
    baton_instance_free(in);
    baton_engine_free(e);
}

static void test_no_hook(void **state)
{
    (void)state;
    baton_engine *e;
    host h = { 0, 0, "", "", "" };
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    baton_instance *in = start(e, &h);
    baton_engine_set_call_hook(e, NULL, NULL);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_int_equal(baton_instance_incident_count(in), 1);
    assert_non_null(strstr(baton_instance_incident_message(in, 0),
                           "no host hook answers"));
    assert_int_equal(h.calls, 0);
    baton_instance_free(in);
    baton_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answered),
        cmocka_unit_test(test_refused_then_resolved),
        cmocka_unit_test(test_no_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
