/* Script tasks whose script the engine evaluates (zeebe:script's FEEL,
 * a Camunda 7 JUEL script), as Zeebe's ScriptTaskProcessor does: once
 * active (its input mappings applied), the expression is evaluated in
 * the task's scope, its result set as `resultVariable` the way a job's
 * result is (local to the task for its output mappings when it has some,
 * else merged into the scopes above), and the task completes at the next
 * step, with no job. FEEL gives null rather than failing, so nothing
 * here raises an incident: a null result is a result. */
#include "elements/processor.h"

static int activated(bt_ctx *cx, bt_ei *ei)
{
    baton_instance *in = cx->in;
    const bt_script_def *s = bt_ei_el(ei)->script;
    bt_eval_ctx ctx = { ei, NULL, "" };
    json_t *v;
    int rc = bt_eval(in, &ctx, s->expr, &v);
    if (rc)
        return rc;
    if (s->result_variable) {
        json_t *doc = json_object();
        rc = !doc || json_object_set(doc, s->result_variable, v)
                 ? BATON_ENOMEM
             : bt_ei_el(ei)->n_outputs
                 ? bt_var_set_all_local(in, cx->log, ei, doc)
                 : bt_var_propagate(in, cx->log, ei, doc);
        json_decref(doc);
    }
    json_decref(v);
    return rc ? rc : bt_complete_next(cx, ei);
}

const bt_processor bt_proc_script_task = {
    .activated = activated,
};
