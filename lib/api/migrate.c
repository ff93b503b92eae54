/* baton_instance_migrate(): reads the plan, finds the target deployment,
 * lets the kernel check and move the instance, and writes the report. */
#include <string.h>

#include "api/api.h"
#include "kernel/migrate.h"
#include "util/json.h"

/* The plan's mappings, pointing into `doc`. Anything but the declared
 * shape is BATON_EPARSE with the engine's error naming what is wrong. */
static int read_plan(baton_engine *e, json_t *doc, bt_mig_pair **out,
                     size_t *n)
{
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        if (strcmp(key, "mappings") != 0)
            return bt_error(e, BATON_EPARSE, NULL, 0, 0, NULL,
                            "migration plan: unknown member '%s' (only "
                            "\"mappings\")", key);
    }
    json_t *list = json_object_get(doc, "mappings");
    *out = NULL;
    *n = 0;
    if (!list)
        return 0;
    if (!json_is_array(list))
        return bt_error(e, BATON_EPARSE, NULL, 0, 0, NULL,
                        "migration plan: \"mappings\" must be an array");
    size_t count = json_array_size(list);
    if (!count)
        return 0;
    bt_mig_pair *pairs = bt_calloc(&e->alloc, count, sizeof *pairs);
    if (!pairs)
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    size_t i;
    json_array_foreach(list, i, v) {
        json_t *s = json_object_get(v, "sourceElementId");
        json_t *t = json_object_get(v, "targetElementId");
        if (!json_is_object(v) || json_object_size(v) != 2 ||
            !json_is_string(s) || !json_is_string(t)) {
            bt_free(&e->alloc, pairs);
            return bt_error(e, BATON_EPARSE, NULL, 0, 0, NULL,
                            "migration plan: mapping %zu must be "
                            "{\"sourceElementId\": \"...\", "
                            "\"targetElementId\": \"...\"}", i + 1);
        }
        pairs[i].source = json_string_value(s);
        pairs[i].target = json_string_value(t);
    }
    *out = pairs;
    *n = count;
    return 0;
}

static json_t *side(const char *process_id, int version)
{
    return json_pack("{s:s,s:i}", "processId", process_id, "version",
                     version);
}

int baton_instance_migrate(baton_instance *instance, const char *process_id,
                           int version, const char *plan, size_t len,
                           int dry_run, char **out)
{
    if (!instance)
        return BATON_EINVAL;
    baton_engine *e = instance->engine;
    bt_call_begin(e);
    if (out)
        *out = NULL;
    if (!process_id || version < 1)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_migrate needs a process id and a "
                        "version from 1");
    const bt_deployment *to =
        bt_engine_find_deployment(e, process_id, version);
    if (!to)
        return bt_error(e, BATON_ENOTFOUND, NULL, 0, 0, NULL,
                        "no deployment of process '%s' version %d",
                        process_id, version);
    json_t *doc = NULL;
    bt_mig_pair *pairs = NULL;
    size_t n = 0;
    int rc = 0;
    if (plan) {
        rc = bt_json_parse(e, plan, len, 1, "migration plan", &doc);
        if (!rc)
            rc = read_plan(e, doc, &pairs, &n);
        if (rc) {
            json_decref(doc);
            return rc;
        }
    }
    json_t *report = json_pack("{s:o,s:o,s:[],s:[]}", "from",
                               side(instance->proc->id, instance->version),
                               "to", side(to->process->id, to->version),
                               "moved", "refused");
    if (!report)
        rc = bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    else
        rc = bt_instance_migrate(instance, to, pairs, n, dry_run, report,
                                 out);
    bt_free(&e->alloc, pairs);
    json_decref(doc);
    if (rc == BATON_ENOMEM)
        rc = bt_error_default(e, rc);
    json_decref(report);
    return rc;
}
