/* fuzz_feel: expressions, as they come in models.
 *
 * The input is one expression. It is put, escaped for XML, into a small
 * Zeebe model as `=EXPR` four times: the source of an input mapping and
 * of an output mapping of a service task, the script of a script task
 * (zeebe:script, evaluated by the engine), and the condition of a
 * sequence flow out of an exclusive gateway; and into a Camunda 7 model
 * as the JUEL script of a script task and the JUEL condition `${EXPR}`.
 * Each model that loads (an expression Baton cannot compile is refused at
 * load with BATON_EEXPR or BATON_EUNSUPPORTED) runs once with each of a
 * few variable documents,
 * the job completing with more variables, its incidents resolved; JUEL
 * calls of beans and functions go to a call hook that answers some and
 * refuses others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static const char zeebe_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" "
    "targetNamespace=\"t\">\n"
    "<process id=\"p\" isExecutable=\"true\">\n"
    "<startEvent id=\"start\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"work\"/>\n"
    "<serviceTask id=\"work\"><extensionElements>"
    "<zeebe:taskDefinition type=\"work\"/><zeebe:ioMapping>"
    "<zeebe:input source=\"=";
static const char zeebe_mid1[] =
    "\" target=\"in\"/><zeebe:output source=\"=";
static const char zeebe_mid2[] =
    "\" target=\"out.value\"/></zeebe:ioMapping></extensionElements>"
    "</serviceTask>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"work\" targetRef=\"calc\"/>\n"
    "<scriptTask id=\"calc\"><extensionElements>"
    "<zeebe:script expression=\"=";
static const char zeebe_mid3[] =
    "\" resultVariable=\"calc\"/></extensionElements></scriptTask>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"calc\" targetRef=\"gw\"/>\n"
    "<exclusiveGateway id=\"gw\" default=\"no\"/>\n"
    "<sequenceFlow id=\"yes\" sourceRef=\"gw\" targetRef=\"end1\">"
    "<conditionExpression>=";
static const char zeebe_tail[] =
    "</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"no\" sourceRef=\"gw\" targetRef=\"end2\"/>\n"
    "<endEvent id=\"end1\"/><endEvent id=\"end2\"/>\n"
    "</process>\n"
    "</definitions>\n";

static const char juel_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"d\" "
    "targetNamespace=\"t\">\n"
    "<process id=\"p\" isExecutable=\"true\">\n"
    "<startEvent id=\"start\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"work\"/>\n"
    "<serviceTask id=\"work\" camunda:type=\"external\" "
    "camunda:topic=\"work\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"work\" targetRef=\"calc\"/>\n"
    "<scriptTask id=\"calc\" scriptFormat=\"juel\" "
    "camunda:resultVariable=\"calc\"><script>${";
static const char juel_mid[] =
    "}</script></scriptTask>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"calc\" targetRef=\"gw\"/>\n"
    "<exclusiveGateway id=\"gw\" default=\"no\"/>\n"
    "<sequenceFlow id=\"yes\" sourceRef=\"gw\" targetRef=\"end1\">"
    "<conditionExpression xsi:type=\"tFormalExpression\">${";
static const char juel_tail[] =
    "}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"no\" sourceRef=\"gw\" targetRef=\"end2\"/>\n"
    "<endEvent id=\"end1\"/><endEvent id=\"end2\"/>\n"
    "</process>\n"
    "</definitions>\n";

static const char *const var_docs[] = {
    "{}",
    "{\"x\":1,\"y\":2.5,\"s\":\"text\",\"b\":true,\"n\":null,"
    "\"o\":{\"a\":{\"b\":1}},\"l\":[1,2],\"amount\":250,\"approved\":true,"
    "\"score\":700}",
    "{\"x\":\"1\",\"y\":false,\"s\":3,\"b\":null,\"o\":[],\"l\":{\"x\":1},"
    "\"approved\":\"no\"}",
    "{\"x\":-0.0,\"y\":1e308,\"s\":\"\",\"b\":false,\"o\":{\"a\":\"b\"},"
    "\"amount\":-1e-300,\"score\":9007199254740993}",
};

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p)
            fz_fail("out of memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

#define PUTS(b, s) put((b), (s), sizeof(s) - 1)

/* The expression escaped for an attribute or text: markup characters as
 * entities, control characters XML cannot hold as spaces. */
static void put_escaped(buf *b, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (d[i]) {
        case '&': PUTS(b, "&amp;"); break;
        case '<': PUTS(b, "&lt;"); break;
        case '>': PUTS(b, "&gt;"); break;
        case '"': PUTS(b, "&quot;"); break;
        case '\'': PUTS(b, "&apos;"); break;
        default:
            if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\n' && d[i] != '\r')
                put(b, " ", 1);
            else
                put(b, (const char *)d + i, 1);
        }
    }
}

static int handler(void *ud, baton_job *job)
{
    (void)ud;
    baton_job_complete(job, "{\"r\":1,\"s\":\"done\"}", BATON_NUL);
    return 0;
}

/* JUEL calls of beans and functions: answered with their arguments, or
 * refused, by whether the method's name is even. */
static int call_hook(void *ud, baton_call *call, char *reason, size_t size)
{
    (void)ud;
    const char *m = baton_call_method(call);
    if (m && strlen(m) % 2 == 0) {
        snprintf(reason, size, "refused");
        return 1;
    }
    size_t len;
    const char *args = baton_call_args(call, &len);
    int rc = baton_call_return(call, args, len);
    if (rc && rc != BATON_ENOMEM)
        fz_fail("call_return of the arguments: %d", rc);
    return rc;
}

static void run_model(const buf *xml)
{
    static const int ok_load[] = { BATON_EPARSE, BATON_EUNSUPPORTED,
                                   BATON_EMODEL, BATON_ELIMIT, BATON_EEXPR,
                                   0 };
    baton_engine *e = NULL;
    baton_model *m = NULL;
    if (baton_engine_new(NULL, NULL, &e))
        fz_fail("engine_new");
    int rc = baton_model_load(e, xml->p, xml->n, "feel.bpmn", &m);
    fz_expect(e, "model_load", rc, ok_load);
    if (!rc) {
        if (baton_engine_deploy(e, m, NULL, NULL) ||
            baton_engine_register_handler(e, "work", handler, NULL))
            fz_fail("deploy: %s", baton_engine_errmsg(e));
        baton_engine_set_call_hook(e, call_hook, NULL);
        for (size_t v = 0; v < sizeof var_docs / sizeof *var_docs; v++) {
            baton_instance *in = NULL;
            rc = baton_instance_create(e, NULL, var_docs[v], BATON_NUL,
                                       &in);
            fz_expect(e, "create", rc, NULL);
            uint8_t choice[] = { 0 };
            fz_bytes b = { choice, 1, 0 };
            fz_drive(e, &in, &b, 3, 50);
            baton_instance_free(in);
        }
    }
    baton_model_free(m);
    baton_engine_free(e);
}

int fuzz_feel_one(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    buf b = { 0 };
    PUTS(&b, zeebe_head);
    put_escaped(&b, data, size);
    PUTS(&b, zeebe_mid1);
    put_escaped(&b, data, size);
    PUTS(&b, zeebe_mid2);
    put_escaped(&b, data, size);
    PUTS(&b, zeebe_mid3);
    put_escaped(&b, data, size);
    PUTS(&b, zeebe_tail);
    run_model(&b);

    b.n = 0;
    PUTS(&b, juel_head);
    put_escaped(&b, data, size);
    PUTS(&b, juel_mid);
    put_escaped(&b, data, size);
    PUTS(&b, juel_tail);
    run_model(&b);
    free(b.p);
    return 0;
}

FUZZ_ENTRY(fuzz_feel_one)
