/* Call activities (BPMN 2.0.2 §10.2.5): the call activity starts a process
 * instance of the called process inside its own element instance, in the
 * same baton_instance (one snapshot holds the whole tree), with a key and
 * records of its own, as Zeebe reports a child instance. The child sees
 * only the variables passed in; when it completes, what it passes out
 * reaches the call activity, which then completes. Errors and
 * escalations thrown in the child climb on to the call activity's
 * boundary events and scopes; terminating the call activity terminates
 * the child. */
#include <string.h>

#include "elements/processor.h"
#include "util/json.h"

/* An incident on the call activity whose resolution activates it again
 * (its boundary events are open already). */
static int call_fail(bt_ctx *cx, bt_ei *ei, const char *fmt, const char *arg)
{
    bt_cmd retry = { BT_CMD_SUBSCRIBE, ei->element, ei->key, ei->triggered };
    return bt_fail(cx->in, &cx->fail, BT_INC_CALLED_ELEMENT, ei, 0, &retry,
                   fmt, arg);
}

/* The deployment the call binds to, or NULL. */
static const bt_deployment *bound(const baton_engine *e, const bt_ei *ei,
                                  const bt_call_def *d, const char *id)
{
    if (d->binding == BT_BIND_VERSION)
        return bt_engine_find_deployment(e, id, d->version);
    if (d->binding == BT_BIND_LATEST)
        return bt_engine_find_deployment(e, id, 0);
    /* The latest deployment of `id` from the caller's own document (the
     * same identity, whichever baton_model loaded it). */
    const bt_deployment *caller =
        bt_engine_find_deployment(e, ei->proc->id, bt_ei_process(ei)->version);
    const bt_deployment *best = NULL;
    for (size_t i = 0; caller && i < e->n_deps; i++) {
        const bt_deployment *x = &e->deps[i];
        if (x->model->identity == caller->model->identity &&
            strcmp(x->process->id, id) == 0 &&
            (!best || x->version > best->version))
            best = x;
    }
    return best;
}

/* Process instances from `ei` up to the instance's root. */
static int64_t call_depth(const bt_ei *ei)
{
    int64_t n = 0;
    for (; ei; ei = ei->scope)
        n += ei->element < 0;
    return n;
}

/* Camunda 7's camunda:in / camunda:out into `doc`: each evaluated in
 * `from` (a variable name, an expression, or every variable; going in,
 * `local` takes only the call activity's own). */
static int pass_vars(baton_instance *in, const bt_call_var *vars, uint32_t n, const bt_ei *from,
                     int going_in, json_t *doc)
{
    for (uint32_t i = 0; i < n; i++) {
        const bt_call_var *v = &vars[i];
        if (v->all) {
            int own = going_in && v->local;
            json_t *all = own ? (from->vars ? json_incref(from->vars)
                                            : json_object())
                              : bt_var_collect(from);
            int bad = !all || json_object_update(doc, all);
            json_decref(all);
            if (bad)
                return BATON_ENOMEM;
            continue;
        }
        bt_eval_ctx ctx = { from, NULL, "" };
        json_t *val;
        if (bt_eval(in, &ctx, v->source, &val))
            return BATON_ENOMEM;
        if (json_object_set_new(doc, v->target, val))
            return BATON_ENOMEM;
    }
    return 0;
}

/* What the child starts with. */
static int vars_in(baton_instance *in, const bt_ei *ei, const bt_call_def *d, json_t **out)
{
    json_t *doc;
    if (d->camunda7) {
        doc = json_object();
        if (doc && pass_vars(in, d->ins, d->n_ins, ei, 1, doc)) {
            json_decref(doc);
            doc = NULL;
        }
    } else if (d->all_parent) {
        doc = bt_var_collect(ei);
    } else {
        /* Only what the call activity's input mappings made. */
        doc = ei->vars ? bt_json_object_copy(ei->vars) : json_object();
    }
    *out = doc;
    return doc ? 0 : BATON_ENOMEM;
}

static int activated(bt_ctx *cx, bt_ei *ei)
{
    baton_instance *in = cx->in;
    baton_engine *e = in->engine;
    const bt_call_def *d = bt_ei_el(ei)->call;
    json_t *idv = NULL;
    const char *id = d->process_id;
    if (d->process_expr) {
        bt_eval_ctx ctx = { ei, NULL, "" };
        if (bt_eval(cx->in, &ctx, d->process_expr, &idv))
            return BATON_ENOMEM;
        id = json_string_value(idv);
        if (!id || !*id) {
            json_decref(idv);
            bt_cmd retry = { BT_CMD_SUBSCRIBE, ei->element, ei->key,
                             ei->triggered };
            return bt_fail(cx->in, &cx->fail, BT_INC_CALLED_ELEMENT, ei, 0,
                           &retry,
                           "the called process expression '%s' did not "
                           "give a process id (a non-empty string)" BT_WHY_FMT,
                           bt_expr_text(d->process_expr), BT_WHY(&ctx));
        }
    }
    /* A host that keeps deployments elsewhere deploys what the call
     * binds to now. */
    if (e->resolve)
        e->resolve(e->resolve_ud, e, id,
                   d->binding == BT_BIND_VERSION ? d->version : 0);
    const bt_deployment *dep = bound(e, ei, d, id);
    int rc = 0;
    if (!dep)
        rc = call_fail(cx, ei,
                       d->binding == BT_BIND_LATEST
                           ? "no process '%s' is deployed"
                           : "no deployment of process '%s' fits the call "
                             "activity's binding",
                       id);
    else if (dep->process->start < 0 && !dep->process->n_implicit_starts)
        rc = call_fail(cx, ei,
                       "the called process '%s' has no none start event", id);
    else if (call_depth(ei) >= e->limits[BATON_LIMIT_CALL_DEPTH])
        rc = call_fail(cx, ei,
                       "calling process '%s' would nest process instances "
                       "deeper than the engine's call depth limit",
                       id);
    json_decref(idv);
    if (rc || cx->fail.type >= 0)
        return rc;
    json_t *vars;
    if (vars_in(cx->in, ei, d, &vars))
        return BATON_ENOMEM;
    bt_ei *child = bt_ei_new(in, ei, -1, in->next_key);
    if (!child) {
        json_decref(vars);
        return BATON_ENOMEM;
    }
    in->next_key++;
    child->proc = dep->process;
    child->version = dep->version;
    if (json_object_size(vars))
        child->vars = vars;
    else
        json_decref(vars);
    return bt_process_activate(cx, child, dep->process->start);
}

/* What the child passes out, applied from the call activity: Zeebe's
 * child variables stay local to the call activity for its output mappings
 * to read (or to be dropped, without propagateAllChildVariables), else
 * they propagate as a job's result does; Camunda 7's camunda:out
 * variables propagate from the call activity, or stay local to it. */
static int vars_out(bt_ctx *cx, bt_ei *call, const bt_ei *child)
{
    const bt_element *el = bt_ei_el(call);
    const bt_call_def *d = el->call;
    if (!d->camunda7) {
        if (!child->vars)
            return 0;
        return el->n_outputs || !d->all_child
                   ? bt_var_set_all_local(cx->in, cx->log, call, child->vars)
                   : bt_var_propagate(cx->in, cx->log, call, child->vars);
    }
    for (uint32_t i = 0; i < d->n_outs; i++) {
        json_t *doc = json_object();
        int rc = doc ? pass_vars(cx->in, &d->outs[i], 1, child, 0, doc)
                     : BATON_ENOMEM;
        if (!rc)
            rc = d->outs[i].local
                     ? bt_var_set_all_local(cx->in, cx->log, call, doc)
                     : bt_var_propagate(cx->in, cx->log, call, doc);
        json_decref(doc);
        if (rc)
            return rc;
    }
    return 0;
}

int bt_call_returned(bt_ctx *cx, bt_ei *child)
{
    baton_instance *in = cx->in;
    bt_ei *call = child->scope;
    /* As the process completes: its subscriptions close, its incidents
     * resolve, what is left in its compensation log can no longer be
     * compensated. */
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETING, child) ||
        (child->n_subs && bt_sub_close_owned(in, child, 0)) ||
        (in->n_incidents && bt_incidents_resolve_announce(in, child)) ||
        bt_comp_announce_log(in, NULL, child->key, 0) ||
        bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETED, child))
        return BATON_ENOMEM;
    int rc = vars_out(cx, call, child);
    if (!rc && bt_reserve(in, 0, 0, 1, 0))
        rc = BATON_ENOMEM;
    if (rc)
        return rc;
    uint64_t key = child->key;
    bt_incidents_drop(in, key);
    bt_comp_drop(in, key);
    bt_ei_remove(in, child);
    bt_push_cmd(in, BT_CMD_COMPLETE, call->element, call->key, 0);
    return 0;
}

const bt_processor bt_proc_call_activity = {
    .activated = activated,
};
