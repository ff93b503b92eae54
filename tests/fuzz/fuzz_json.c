/* fuzz_json: JSON text as a host hands it to the engine.
 *
 * The input is used, with its explicit length, as the variables of
 * baton_instance_create(), as the variables of every job completion (in
 * the handler and by key) and in baton_instance_set_variables(), on a
 * small fixed model whose mappings and conditions read the variables
 * (so that every JSON type reaches FEEL). What the engine accepts must
 * come back out as JSON it accepts again (fz_read_back), and survive a
 * snapshot round trip. Instances run a second version of the model
 * ("again" renamed "agaim"), and the input is also the plan of their
 * migration back to the first: a dry run and a plan refused, however
 * malformed, leave the instance's snapshot as it was. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static const char model_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" "
    "targetNamespace=\"t\">\n"
    "<process id=\"p\" isExecutable=\"true\">\n"
    "<startEvent id=\"start\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"work\"/>\n"
    "<serviceTask id=\"work\"><extensionElements>"
    "<zeebe:taskDefinition type=\"work\"/><zeebe:ioMapping>"
    "<zeebe:input source=\"= o.a.b\" target=\"ab\"/>"
    "<zeebe:input source=\"= x + 1\" target=\"x1\"/>"
    "<zeebe:output source=\"= s + &quot;!&quot;\" target=\"s2\"/>"
    "<zeebe:output source=\"= ok\" target=\"result.ok\"/>"
    "</zeebe:ioMapping></extensionElements></serviceTask>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"work\" targetRef=\"gw\"/>\n"
    "<exclusiveGateway id=\"gw\" default=\"other\"/>\n"
    "<sequenceFlow id=\"big\" sourceRef=\"gw\" targetRef=\"again\">"
    "<conditionExpression>= x &gt; 1 and not(ok = false)"
    "</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"other\" sourceRef=\"gw\" targetRef=\"end\"/>\n"
    "<serviceTask id=\"again\"><extensionElements>"
    "<zeebe:taskDefinition type=\"work\"/></extensionElements>"
    "</serviceTask>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"again\" targetRef=\"end\"/>\n"
    "<endEvent id=\"end\"/>\n"
    "</process>\n"
    "</definitions>\n";

typedef struct ctx {
    const char *json;
    size_t len;
    int calls;
} ctx;

static const int ok_json[] = { BATON_EPARSE, BATON_ELIMIT, 0 };

static void snapshot(baton_instance *in, void **out, size_t *size)
{
    if (baton_instance_snapshot(in, out, size))
        fz_fail("snapshot");
}

/* The input as the plan of a migration to version 1, first as a dry
 * run: what does not move leaves the snapshot byte for byte. */
static void migrate(baton_engine *e, baton_instance *in, const char *json,
                    size_t len)
{
    static const int ok_migrate[] = { BATON_EPARSE, BATON_ELIMIT,
                                      BATON_EMIGRATE, BATON_ESTATE, 0 };
    void *before = NULL;
    size_t n_before = 0;
    snapshot(in, &before, &n_before);
    for (int dry = 1; dry >= 0; dry--) {
        char *report = NULL;
        int rc = baton_instance_migrate(in, "p", 1, json, len, dry, &report);
        fz_expect(e, "migrate", rc, ok_migrate);
        if (!rc && !report)
            fz_fail("migrate: no report");
        baton_free(report);
        if (rc || dry) {
            void *after = NULL;
            size_t n_after = 0;
            snapshot(in, &after, &n_after);
            if (n_after != n_before || memcmp(after, before, n_after))
                fz_fail("migrate (%s, %d) changed the instance",
                        dry ? "dry run" : "refused", rc);
            baton_free(after);
        }
        if (rc)
            break;
    }
    baton_free(before);
}

static int handler(void *ud, baton_job *job)
{
    ctx *c = ud;
    baton_engine *e = baton_instance_engine(baton_job_instance(job));
    char *vars = NULL;
    if (baton_job_variables(job, &vars, NULL))
        fz_fail("job variables");
    baton_free(vars);
    int rc = BATON_EPARSE;
    if (c->calls++ < 4) {
        rc = baton_job_complete(job, c->json, c->len);
        fz_expect(e, "job_complete", rc, ok_json);
    }
    if (rc)
        baton_job_complete(job, NULL, 0);
    return 0;
}

int fuzz_json_one(const uint8_t *data, size_t size)
{
    /* Its own block, so that ASan sees a read past the end. */
    char *json = malloc(size ? size : 1);
    if (!json)
        return 0;
    memcpy(json, data, size);
    ctx c = { json, size, 0 };

    baton_engine *e = NULL;
    baton_model *m = NULL, *m2 = NULL;
    baton_instance *in = NULL;
    /* Version 2, which instances start on: "again" renamed, in place. */
    char v2[sizeof model_xml];
    memcpy(v2, model_xml, sizeof model_xml);
    for (char *p = v2; (p = strstr(p, "\"again\"")); p += 7)
        p[5] = 'm';
    if (baton_engine_new(NULL, NULL, &e) ||
        baton_model_load(e, model_xml, sizeof model_xml - 1, "json.bpmn",
                         &m) ||
        baton_engine_deploy(e, m, NULL, NULL) ||
        baton_model_load(e, v2, sizeof v2 - 1, "json-v2.bpmn", &m2) ||
        baton_engine_deploy(e, m2, NULL, NULL) ||
        baton_engine_register_handler(e, "work", handler, &c))
        fz_fail("setting up: %s", e ? baton_engine_errmsg(e) : "");

    int rc = baton_instance_create(e, NULL, json, size, &in);
    fz_expect(e, "create", rc, ok_json);
    if (rc) {
        rc = baton_instance_create(e, NULL, "{\"x\":2}", BATON_NUL, &in);
        fz_expect(e, "create", rc, NULL);
    }
    fz_read_back(e, in);
    rc = baton_instance_set_variables(in, json, size);
    fz_expect(e, "set_variables", rc, ok_json);
    fz_read_back(e, in);
    fz_round_trip(e, &in);

    static const int ok_run[] = { BATON_EBUDGET, 0 };
    for (int round = 0; round < 4; round++) {
        rc = baton_instance_run(in, 100);
        fz_expect(e, "run", rc, ok_run);
        fz_read_back(e, in);
        fz_round_trip(e, &in);
        if (rc == BATON_STEP_ENDED)
            break;
        /* What waits: jobs left unsettled, incidents (a condition that
         * is not a boolean). */
        if (baton_instance_job_count(in)) {
            uint64_t key = baton_job_key(baton_instance_job(in, 0));
            rc = baton_instance_complete_job(in, key, json, size);
            fz_expect(e, "complete_job", rc, ok_json);
            if (rc) {
                rc = baton_instance_complete_job(in, key, NULL, 0);
                fz_expect(e, "complete_job", rc, NULL);
            }
        }
        if (baton_instance_incident_count(in)) {
            rc = baton_instance_set_variables(in, "{\"x\":0,\"ok\":true}",
                                              BATON_NUL);
            fz_expect(e, "set_variables", rc, NULL);
            rc = baton_instance_resolve_incident(
                in, baton_instance_incident_key(in, 0));
            fz_expect(e, "resolve_incident", rc, NULL);
        }
    }
    static const char *const names[] = { "x", "o", "s", "ok", "result", "" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *v = NULL;
        size_t len = 0;
        rc = baton_instance_get_variable(in, names[i], &v, &len);
        static const int ok_get[] = { BATON_ENOTFOUND, BATON_EINVAL, 0 };
        fz_expect(e, "get_variable", rc, ok_get);
        if (!rc && len != strlen(v))
            fz_fail("get_variable: length %zu of \"%s\"", len, v);
        baton_free(v);
    }
    baton_instance_free(in);

    /* With no handler, an instance waits at its first job: the input
     * is the plan that moves it, which it runs on after. */
    if (baton_engine_register_handler(e, "work", NULL, NULL) ||
        baton_instance_create(e, NULL, "{\"x\":2}", BATON_NUL, &in) ||
        baton_instance_run(in, 100) != BATON_STEP_WAITING)
        fz_fail("a waiting instance: %s", baton_engine_errmsg(e));
    migrate(e, in, json, size);
    fz_round_trip(e, &in);
    rc = baton_instance_complete_job(
        in, baton_job_key(baton_instance_job(in, 0)), NULL, 0);
    fz_expect(e, "complete_job", rc, NULL);
    rc = baton_instance_run(in, 100);
    fz_expect(e, "run", rc, ok_run);
    baton_instance_free(in);
    baton_model_free(m);
    baton_model_free(m2);
    baton_engine_free(e);
    free(json);
    return 0;
}

FUZZ_ENTRY(fuzz_json_one)
