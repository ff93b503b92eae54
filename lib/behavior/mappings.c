/* Input and output mappings (zeebe:ioMapping, camunda:inputOutput). */
#include <string.h>

#include "behavior/behavior.h"
#include "util/json.h"

/* Evaluates the mappings, seen from `scope`, into a fresh document. */
static int eval_mappings(bt_ctx *cx, const bt_ei *scope, const bt_mapping *maps,
                         uint32_t n, json_t **out)
{
    json_t *doc = json_object();
    if (!doc)
        return BATON_ENOMEM;
    bt_eval_ctx ctx = { scope, NULL, "" };
    for (uint32_t i = 0; i < n; i++) {
        json_t *v;
        int rc = bt_eval(cx->in, &ctx, maps[i].source, &v);
        size_t n0 = strcspn(maps[i].target, ".");
        if (!rc) {
            if (maps[i].target[n0] &&
                !json_object_getn(doc, maps[i].target, n0)) {
                /* A nested target extends the visible value. */
                json_t *cur = bt_var_lookup(scope, maps[i].target, n0);
                if (json_is_object(cur)) {
                    json_t *copy = bt_json_object_copy(cur);
                    if (!copy || json_object_setn_new(doc, maps[i].target, n0,
                                                      copy))
                        rc = BATON_ENOMEM;
                }
            }
            if (!rc)
                rc = bt_path_set(doc, maps[i].target, v);
            json_decref(v);
        }
        if (rc) {
            json_decref(doc);
            return rc;
        }
    }
    *out = doc;
    return 0;
}

int bt_apply_inputs(bt_ctx *cx, bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    if (!el->n_inputs)
        return 0;
    json_t *doc = NULL;
    int rc = eval_mappings(cx, ei, el->inputs, el->n_inputs, &doc);
    if (!rc)
        rc = bt_var_set_all_local(cx->in, cx->log, ei, doc);
    json_decref(doc);
    return rc;
}

int bt_apply_outputs(bt_ctx *cx, bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    if (!el->n_outputs)
        return 0;
    json_t *doc = NULL;
    int rc = eval_mappings(cx, ei, el->outputs, el->n_outputs, &doc);
    if (!rc)
        rc = bt_var_propagate(cx->in, cx->log, ei->scope, doc);
    json_decref(doc);
    return rc;
}
