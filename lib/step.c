/* The token engine: one transition per step, taken from the head of the
 * instance's queue. Every transition does its fallible work first
 * (allocations, expression evaluation, records, variable writes through
 * the undo log) and changes the element instances only after the last
 * thing that can fail, so a failed step leaves the instance as it was. */
#include <string.h>

#include "internal.h"

static int is_job_task(const bt_element *el)
{
    switch (el->kind) {
    case BT_SERVICE_TASK:
    case BT_SEND_TASK:
    case BT_BUSINESS_RULE_TASK:
    case BT_SCRIPT_TASK:
    case BT_USER_TASK:
        return 1;
    default:
        return 0;
    }
}

void bt_push_cmd(baton_instance *in, uint32_t kind, int32_t element,
                     uint64_t key, uint64_t scope_key)
{
    /* Capacity was reserved at the start of the step. */
    in->queue[in->n_queue++] = (bt_cmd){ kind, element, key, scope_key };
}

void bt_outcome_clear(const bt_alloc *a, bt_outcome *o)
{
    json_decref(o->vars);
    bt_free(a, o->code);
    bt_free(a, o->message);
    memset(o, 0, sizeof *o);
}

int bt_raise_incident(baton_instance *in, uint32_t type,
                          const bt_ei *ei, uint64_t job_key, bt_cmd retry,
                          const char *message)
{
    const bt_alloc *a = &in->engine->alloc;
    if (bt_reserve_incident(in))
        return BATON_ENOMEM;
    char *msg = bt_strdup(a, message);
    struct baton_record *r =
        msg ? bt_rec_push(in, BATON_VT_INCIDENT, BATON_INTENT_CREATED,
                          in->next_key)
            : NULL;
    if (!r) {
        bt_free(a, msg);
        return BATON_ENOMEM;
    }
    r->incident_type = bt_incident_type_names[type];
    r->error_message = msg;
    r->element = &in->proc->elements[ei->element];
    r->element_instance_key = ei->key;
    r->job_key = job_key;
    in->incidents[in->n_incidents++] = (bt_incident){
        in->next_key++, type, ei->element, ei->key, job_key, msg, retry
    };
    bt_log(in->engine, BATON_LOG_WARN, "incident %s on %s: %s",
           bt_incident_type_names[type], in->proc->elements[ei->element].id,
           message);
    return 0;
}

/* Evaluates the mappings into a fresh document. */
static int eval_mappings(const baton_instance *in, uint64_t scope_key,
                         const bt_mapping *maps, uint32_t n, json_t **out)
{
    json_t *doc = json_object();
    if (!doc)
        return BATON_ENOMEM;
    bt_eval_ctx ctx = { in, scope_key, NULL };
    for (uint32_t i = 0; i < n; i++) {
        json_t *v;
        int rc = bt_expr_eval(maps[i].source, bt_eval_lookup, &ctx, &v);
        size_t n0 = strcspn(maps[i].target, ".");
        if (!rc) {
            if (maps[i].target[n0] &&
                !json_object_getn(doc, maps[i].target, n0)) {
                /* A nested target extends the visible value. */
                json_t *cur = bt_var_lookup(in, scope_key, maps[i].target, n0);
                if (json_is_object(cur)) {
                    json_t *copy = json_copy(cur);
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

static int set_all_local(baton_instance *in, bt_varlog *log, uint64_t scope,
                         json_t *doc)
{
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        int rc = bt_var_set_local(in, log, scope, k, v);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- activation --------------------------------------------------- */

static int create_job(baton_instance *in, bt_ei *ei, const bt_element *el)
{
    const bt_alloc *a = &in->engine->alloc;
    char *type;
    if (el->job_type_expr) {
        bt_eval_ctx ctx = { in, ei->key, NULL };
        json_t *v;
        if (bt_expr_eval(el->job_type_expr, bt_eval_lookup, &ctx, &v))
            return BATON_ENOMEM;
        if (!json_is_string(v)) {
            json_decref(v);
            return 1; /* the caller raises the incident */
        }
        type = bt_strdup(a, json_string_value(v));
        json_decref(v);
    } else {
        type = bt_strdup(a, el->job_type ? el->job_type : el->id);
    }
    if (!type)
        return BATON_ENOMEM;
    uint64_t key = in->next_key;
    struct baton_record *r = bt_rec_push(in, BATON_VT_JOB,
                                         BATON_INTENT_CREATED, key);
    if (!r) {
        bt_free(a, type);
        return BATON_ENOMEM;
    }
    in->next_key++;
    r->job_type = type;
    r->retries = el->retries;
    r->element = el;
    r->element_instance_key = ei->key;
    in->jobs[in->n_jobs++] = (baton_job){ in, key, ei->key, ei->element,
                                          el->retries, BT_JOB_READY, type,
                                          NULL };
    ei->job_key = key;
    if (bt_engine_handler(in->engine, type))
        bt_push_cmd(in, BT_CMD_CALL_HANDLER, ei->element, key, 0);
    return 0;
}

static int activate_process(baton_instance *in, bt_ei *root)
{
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATING, root))
        return BATON_ENOMEM;
    if (root->vars) {
        const char *k;
        json_t *v;
        json_object_foreach(root->vars, k, v) {
            struct baton_record *r = bt_rec_push(in, BATON_VT_VARIABLE,
                                                 BATON_INTENT_CREATED,
                                                 in->key);
            if (!r)
                return BATON_ENOMEM;
            r->var_name = k;
            r->var_value = json_incref(v);
            r->flow_scope_key = in->key;
        }
    }
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATED, root))
        return BATON_ENOMEM;
    root->state = BT_EI_ACTIVATED;
    bt_push_cmd(in, BT_CMD_ACTIVATE, in->proc->start, 0, in->key);
    return 0;
}

static int do_activate(baton_instance *in, const bt_cmd *c, bt_varlog *log)
{
    if (c->element < 0)
        return activate_process(in, bt_ei_find(in, in->key));
    const bt_ei *scope = bt_ei_find(in, c->scope_key);
    if (!scope || scope->state != BT_EI_ACTIVATED)
        return 0; /* the scope ended while this token was queued */
    const bt_element *el = &in->proc->elements[c->element];
    bt_ei *ei = &in->eis[in->n_eis++];
    *ei = (bt_ei){ .key = in->next_key++, .scope_key = c->scope_key,
                   .element = c->element, .state = BT_EI_ACTIVATING };
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATING, ei))
        return BATON_ENOMEM;
    if (el->n_inputs) {
        json_t *doc;
        int rc = eval_mappings(in, ei->key, el->inputs, el->n_inputs, &doc);
        if (!rc)
            rc = set_all_local(in, log, ei->key, doc);
        json_decref(doc);
        if (rc)
            return rc;
    }
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATED, ei))
        return BATON_ENOMEM;
    ei->state = BT_EI_ACTIVATED;
    if (el->is_for_compensation)
        ei->comp_throw = c->key;
    if (el->kind == BT_SUB_PROCESS) {
        bt_push_cmd(in, BT_CMD_ACTIVATE, el->start, 0, ei->key);
        return 0;
    }
    if (el->evdef == BT_EVDEF_COMPENSATE) {
        /* A throw inside an event subprocess compensates the scope that
         * holds the event subprocess (BPMN 2.0.2 §10.6.5). */
        const bt_ei *sc = bt_ei_find(in, ei->scope_key);
        if (sc->element >= 0 && in->proc->elements[sc->element].triggered_by_event)
            ei->comp_scope = sc->scope_key;
        else
            ei->comp_scope = ei->scope_key;
        return bt_comp_next(in, ei);
    }
    if (el->evdef == BT_EVDEF_ERROR && el->kind == BT_END_EVENT) {
        bt_push_cmd(in, BT_CMD_THROW_ERROR, ei->element, ei->key, 0);
        return 0;
    }
    if (is_job_task(el)) {
        int rc = create_job(in, ei, el);
        if (rc == 1)
            return bt_raise_incident(in, BT_INC_EXTRACT_VALUE, ei, 0,
                                  (bt_cmd){ BT_CMD_COMPLETE, ei->element,
                                            ei->key, 0 },
                                  "the job type expression did not give a "
                                  "string");
        return rc;
    }
    bt_push_cmd(in, BT_CMD_COMPLETE, ei->element, ei->key, 0);
    return 0;
}

/* ---- completion --------------------------------------------------- */

static int children_remain(const baton_instance *in, uint64_t scope_key)
{
    for (size_t i = 0; i < in->n_eis; i++)
        if (in->eis[i].scope_key == scope_key &&
            in->eis[i].state != BT_EI_COMPLETED &&
            in->eis[i].state != BT_EI_TERMINATED)
            return 1;
    for (size_t i = in->q_head; i < in->n_queue; i++)
        if (in->queue[i].kind == BT_CMD_ACTIVATE &&
            in->queue[i].scope_key == scope_key)
            return 1;
    for (size_t i = 0; i < in->n_marks; i++)
        if (in->marks[i].scope_key == scope_key)
            return 1;
    return 0;
}

/* Picks the flow an exclusive gateway takes (BPMN 2.0.2 §13.3.2: the
 * first in order whose condition is true, else the default). Returns the
 * flow index, NO_FLOW with `msg` set when an incident is due, or
 * BATON_ENOMEM. */
#define NO_FLOW (-100)
static int64_t choose_exclusive(baton_instance *in, const bt_ei *ei,
                                const bt_element *el, char *msg, size_t cap)
{
    bt_eval_ctx ctx = { in, ei->key, NULL };
    for (uint32_t i = 0; i < el->n_outgoing; i++) {
        const bt_flow *f = &in->proc->flows[el->outgoing[i]];
        if ((int32_t)el->outgoing[i] == el->default_flow)
            continue;
        if (!f->condition)
            return el->outgoing[i];
        json_t *v;
        if (bt_expr_eval(f->condition, bt_eval_lookup, &ctx, &v))
            return BATON_ENOMEM;
        int kind = json_typeof(v);
        json_decref(v);
        if (kind == JSON_TRUE)
            return el->outgoing[i];
        if (kind != JSON_FALSE) {
            snprintf(msg, cap,
                     "expected the condition of sequence flow '%s' (%s) to "
                     "be a boolean, but it was %s",
                     f->id, bt_expr_text(f->condition),
                     kind == JSON_NULL ? "null" : "not a boolean");
            return NO_FLOW;
        }
    }
    if (el->default_flow >= 0)
        return el->default_flow;
    snprintf(msg, cap, "no condition of an outgoing sequence flow was true "
                       "and there is no default flow");
    return NO_FLOW;
}

/* Takes a sequence flow: announces it and queues its target, or leaves a
 * mark at a parallel join and queues the join when every incoming flow
 * has a token (BPMN 2.0.2 §13.3.4). The caller reserved the record, the
 * command and the mark, so this cannot fail. */
static void take_flow(baton_instance *in, uint64_t scope_key, uint32_t fi)
{
    const bt_flow *f = &in->proc->flows[fi];
    struct baton_record *r = bt_rec_push(in, BATON_VT_PROCESS_INSTANCE,
                                         BATON_INTENT_SEQUENCE_FLOW_TAKEN,
                                         in->next_key);
    in->next_key++;
    r->flow = f;
    r->flow_scope_key = scope_key;
    const bt_element *t = &in->proc->elements[f->target];
    if (t->kind != BT_PARALLEL_GATEWAY || t->n_incoming < 2) {
        bt_push_cmd(in, BT_CMD_ACTIVATE, (int32_t)f->target, 0, scope_key);
        return;
    }
    in->marks[in->n_marks++] = (bt_joinmark){ scope_key, fi };
    /* Every incoming flow needs a mark (one per flow is consumed). */
    for (uint32_t i = 0; i < t->n_incoming; i++) {
        size_t j = 0;
        while (j < in->n_marks && !(in->marks[j].scope_key == scope_key &&
                                    in->marks[j].flow == t->incoming[i]))
            j++;
        if (j == in->n_marks)
            return;
    }
    for (uint32_t i = 0; i < t->n_incoming; i++) {
        for (size_t j = 0; j < in->n_marks; j++) {
            if (in->marks[j].scope_key == scope_key &&
                in->marks[j].flow == t->incoming[i]) {
                memmove(&in->marks[j], &in->marks[j + 1],
                        (in->n_marks - j - 1) * sizeof *in->marks);
                in->n_marks--;
                break;
            }
        }
    }
    bt_push_cmd(in, BT_CMD_ACTIVATE, (int32_t)f->target, 0, scope_key);
}

void bt_remove_ei(baton_instance *in, uint64_t key)
{
    for (size_t i = 0; i < in->n_eis; i++) {
        if (in->eis[i].key == key) {
            json_decref(in->eis[i].vars);
            memmove(&in->eis[i], &in->eis[i + 1],
                    (in->n_eis - i - 1) * sizeof *in->eis);
            in->n_eis--;
            return;
        }
    }
}

void bt_remove_job(baton_instance *in, uint64_t key)
{
    const bt_alloc *a = &in->engine->alloc;
    for (size_t i = 0; i < in->n_jobs; i++) {
        if (in->jobs[i].key == key) {
            bt_free(a, in->jobs[i].type);
            bt_free(a, in->jobs[i].error_message);
            memmove(&in->jobs[i], &in->jobs[i + 1],
                    (in->n_jobs - i - 1) * sizeof *in->jobs);
            in->n_jobs--;
            return;
        }
    }
}

int bt_terminate_ei(baton_instance *in, uint64_t key, uint64_t thrower)
{
    int rc = bt_rec_element(in, BATON_INTENT_ELEMENT_TERMINATING,
                            bt_ei_find(in, key));
    if (!rc)
        rc = bt_terminate_inside(in, key, 0);
    if (rc)
        return rc;
    const bt_ei *ei = bt_ei_find(in, key);
    baton_job *job = ei->job_key && ei->job_key != thrower
                         ? bt_job_find(in, ei->job_key)
                         : NULL;
    if (job) {
        struct baton_record *r = bt_rec_push(in, BATON_VT_JOB,
                                             BATON_INTENT_CANCELED, job->key);
        /* The job is gone by the time the record is delivered. */
        if (!r || !(r->job_type = bt_scratch_strdup(in, job->type)))
            return BATON_ENOMEM;
        r->retries = job->retries;
        r->element = &in->proc->elements[job->element];
        r->element_instance_key = key;
    }
    return bt_rec_element(in, BATON_INTENT_ELEMENT_TERMINATED, ei);
}

int bt_terminate_inside(baton_instance *in, uint64_t scope_key,
                        uint64_t except)
{
    /* Records may grow while announcing; element instances do not move. */
    for (size_t i = 0; i < in->n_eis; i++) {
        const bt_ei *c = &in->eis[i];
        if (c->scope_key != scope_key || c->key == except ||
            c->state == BT_EI_TERMINATED)
            continue;
        int rc = bt_terminate_ei(in, c->key, 0);
        if (rc)
            return rc;
    }
    return 0;
}

void bt_sweep_ei(baton_instance *in, uint64_t key)
{
    bt_sweep_inside(in, key, 0);
    const bt_ei *ei = bt_ei_find(in, key);
    if (ei->job_key)
        bt_remove_job(in, ei->job_key);
    bt_comp_drop(in, key);
    for (size_t k = 0; k < in->n_incidents;) {
        if (in->incidents[k].ei_key == key) {
            bt_free(&in->engine->alloc, in->incidents[k].message);
            memmove(&in->incidents[k], &in->incidents[k + 1],
                    (in->n_incidents - k - 1) * sizeof *in->incidents);
            in->n_incidents--;
        } else {
            k++;
        }
    }
    bt_remove_ei(in, key);
}

/* After terminate_inside() succeeded: drop what it announced. */
void bt_sweep_inside(baton_instance *in, uint64_t scope_key,
                         uint64_t except)
{
    for (size_t i = 0; i < in->n_eis;) {
        bt_ei *c = &in->eis[i];
        if (c->scope_key != scope_key || c->key == except) {
            i++;
            continue;
        }
        bt_sweep_ei(in, c->key);
        i = 0; /* indices moved; the scan restarts (scopes are small) */
    }
    /* Queued work inside the scope is dropped with it. */
    size_t w = in->q_head;
    for (size_t r = in->q_head; r < in->n_queue; r++) {
        const bt_cmd *c = &in->queue[r];
        int gone = (c->kind == BT_CMD_ACTIVATE && c->scope_key == scope_key) ||
                   ((c->kind == BT_CMD_COMPLETE ||
                     c->kind == BT_CMD_THROW_ERROR) &&
                    c->key != except && c->key != scope_key &&
                    !bt_ei_find(in, c->key)) ||
                   (c->kind == BT_CMD_CALL_HANDLER && !bt_job_find(in, c->key));
        if (!gone)
            in->queue[w++] = *c;
    }
    in->n_queue = w;
    size_t m = 0;
    for (size_t r = 0; r < in->n_marks; r++)
        if (in->marks[r].scope_key != scope_key)
            in->marks[m++] = in->marks[r];
    in->n_marks = m;
}

static int complete_process(baton_instance *in, bt_ei *root)
{
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETING, root) ||
        bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETED, root))
        return BATON_ENOMEM;
    root->state = BT_EI_COMPLETED;
    in->ended = BATON_INSTANCE_COMPLETED;
    in->n_comps = 0; /* nothing can be compensated any more */
    return 0;
}

static int do_complete(baton_instance *in, const bt_cmd *c, bt_varlog *log)
{
    bt_ei *ei = bt_ei_find(in, c->key);
    if (!ei || ei->state != BT_EI_ACTIVATED)
        return 0;
    if (ei->element < 0)
        return complete_process(in, ei);
    const bt_element *el = &in->proc->elements[ei->element];
    uint64_t key = ei->key, scope = ei->scope_key;
    if (bt_reserve(in, 0, 0, el->n_outgoing + 2, 0) ||
        bt_reserve_marks(in, el->n_outgoing))
        return BATON_ENOMEM;

    int64_t chosen = -2;
    if (el->kind == BT_EXCLUSIVE_GATEWAY && el->n_outgoing) {
        char msg[400];
        chosen = choose_exclusive(in, ei, el, msg, sizeof msg);
        if (chosen == BATON_ENOMEM)
            return BATON_ENOMEM;
        if (chosen == NO_FLOW)
            return bt_raise_incident(in, BT_INC_CONDITION, ei, 0, *c, msg);
    }
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETING, ei))
        return BATON_ENOMEM;
    if (el->n_outputs) {
        json_t *doc;
        int rc = eval_mappings(in, key, el->outputs, el->n_outputs, &doc);
        if (!rc)
            rc = bt_var_propagate(in, log, scope, doc);
        json_decref(doc);
        if (rc)
            return rc;
        ei = bt_ei_find(in, key);
    }
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETED, ei))
        return BATON_ENOMEM;
    if (ei->comp_throw) {
        /* A compensation handler: it has no flows; its throw moves on. */
        int rc = bt_comp_handler_done(in, ei);
        if (rc)
            return rc;
        bt_remove_ei(in, key);
        return 0;
    }
    int rc = bt_comp_completed(in, ei);
    if (rc)
        return rc;
    ei = bt_ei_find(in, key);

    if (el->evdef == BT_EVDEF_TERMINATE) {
        /* BPMN 2.0.2 §10.5.3: a terminate end event ends its whole scope
         * at once. */
        rc = bt_terminate_inside(in, scope, key);
        if (rc)
            return rc;
        bt_sweep_inside(in, scope, key);
        bt_remove_ei(in, key);
        bt_push_cmd(in, BT_CMD_COMPLETE, -1, scope, 0);
        return 0;
    }
    /* Taking a flow into a join consumes marks, which a failure could
     * not put back: reserve every flow's record first. */
    if (bt_reserve(in, 0, 0, 0, el->n_outgoing))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < el->n_outgoing; i++)
        if (chosen < 0 || (int64_t)el->outgoing[i] == chosen)
            take_flow(in, scope, el->outgoing[i]);
    /* A subprocess that left no entry in its parent's log takes its own
     * log with it. */
    if (el->kind == BT_SUB_PROCESS &&
        !(in->n_comps > 0 && in->comps[in->n_comps - 1].sub_key == key))
        bt_comp_drop(in, key);
    bt_remove_ei(in, key);
    if (!el->n_outgoing && !children_remain(in, scope))
        bt_push_cmd(in, BT_CMD_COMPLETE, -1, scope, 0);
    return 0;
}

/* ---- jobs --------------------------------------------------------- */

int bt_apply_outcome(baton_instance *in, baton_job *job, const bt_outcome *o)
{
    const bt_element *el = &in->proc->elements[job->element];
    bt_ei *ei = bt_ei_find(in, job->ei_key);
    if (!ei)
        return BATON_ENOTFOUND;
    bt_varlog log = { 0 };
    const bt_alloc *a = &in->engine->alloc;
    int rc = 0;
    struct baton_record *r = NULL;
    switch (o->kind) {
    case BT_OUT_COMPLETE:
        r = bt_rec_push(in, BATON_VT_JOB, BATON_INTENT_COMPLETED, job->key);
        if (!r)
            return BATON_ENOMEM;
        r->job_type = bt_scratch_strdup(in, job->type);
        if (!r->job_type)
            return BATON_ENOMEM;
        r->retries = job->retries;
        r->element = el;
        r->element_instance_key = ei->key;
        if (o->vars) {
            /* As Zeebe: with output mappings the result stays local to
             * the task for them to read; without, it propagates. */
            rc = el->n_outputs ? set_all_local(in, &log, ei->key, o->vars)
                               : bt_var_propagate(in, &log, ei->key, o->vars);
            if (rc) {
                bt_varlog_undo(&log);
                bt_varlog_clear(&log, a);
                return rc;
            }
        }
        bt_varlog_clear(&log, a);
        bt_push_cmd(in, BT_CMD_COMPLETE, ei->element, ei->key, 0);
        ei->job_key = 0;
        bt_remove_job(in, job->key);
        return 0;
    case BT_OUT_FAIL:
    case BT_OUT_ERROR: {
        int fail = o->kind == BT_OUT_FAIL;
        r = bt_rec_push(in, BATON_VT_JOB,
                        fail ? BATON_INTENT_FAILED : BATON_INTENT_ERROR_THROWN,
                        job->key);
        if (!r || !(r->job_type = bt_scratch_strdup(in, job->type)))
            return BATON_ENOMEM;
        r->retries = fail ? o->retries : job->retries;
        r->error_message = bt_scratch_strdup(in, o->message);
        r->error_code = bt_scratch_strdup(in, o->code);
        if ((o->message && !r->error_message) || (o->code && !r->error_code))
            return BATON_ENOMEM;
        r->element = el;
        r->element_instance_key = ei->key;
        char *keep = o->message ? bt_strdup(a, o->message) : NULL;
        if (o->message && !keep)
            return BATON_ENOMEM;
        if (fail && o->retries > 0) {
            if (bt_engine_handler(in->engine, job->type))
                bt_push_cmd(in, BT_CMD_CALL_HANDLER, job->element, job->key, 0);
        } else if (!fail && (rc = bt_throw_error(in, ei->key, job->key, o->code,
                                                 o->message)) != 1) {
            /* Caught (the job went with its activity) or out of memory. */
            bt_free(a, keep);
            return rc;
        } else {
            char msg[400];
            if (fail)
                snprintf(msg, sizeof msg, "the job failed with no retries "
                                          "left: %s",
                         o->message ? o->message : "no message");
            else
                snprintf(msg, sizeof msg,
                         "an error with the code '%s' was thrown%s%s, but "
                         "nothing catches it",
                         o->code, o->message ? ": " : "",
                         o->message ? o->message : "");
            rc = bt_raise_incident(in, fail ? BT_INC_JOB_NO_RETRIES
                                         : BT_INC_UNHANDLED_ERROR,
                                ei, job->key, (bt_cmd){ 0, 0, 0, 0 }, msg);
            if (rc) {
                bt_free(a, keep);
                return rc;
            }
            job->state = BT_JOB_INCIDENT;
        }
        if (fail)
            job->retries = o->retries;
        else
            job->retries = job->retries > 0 ? job->retries : 0;
        bt_free(a, job->error_message);
        job->error_message = keep;
        if (job->state != BT_JOB_INCIDENT)
            job->state = BT_JOB_READY;
        return 0;
    }
    case BT_OUT_DEFER:
        job->state = BT_JOB_DEFERRED;
        return 0;
    default:
        return BATON_EINVAL;
    }
}

static int do_throw_error(baton_instance *in, const bt_cmd *c)
{
    bt_ei *ei = bt_ei_find(in, c->key);
    if (!ei || ei->state != BT_EI_ACTIVATED)
        return 0;
    const bt_element *el = &in->proc->elements[ei->element];
    int rc = bt_throw_error(in, ei->key, 0, el->error_code, NULL);
    if (rc != 1)
        return rc;
    char msg[300];
    snprintf(msg, sizeof msg,
             "an error with the code '%s' was thrown, but nothing catches it",
             el->error_code);
    return bt_raise_incident(in, BT_INC_UNHANDLED_ERROR, ei, 0, *c, msg);
}

static int do_call_handler(baton_instance *in, const bt_cmd *c)
{
    baton_job *job = bt_job_find(in, c->key);
    if (!job || job->state != BT_JOB_READY)
        return 0;
    const bt_handler *h = bt_engine_handler(in->engine, job->type);
    if (!h)
        return 0;
    const bt_alloc *a = &in->engine->alloc;
    bt_outcome_clear(a, &in->outcome);
    in->handler_job = job;
    int hrc = h->fn(h->ud, job);
    in->handler_job = NULL;
    if (hrc == BATON_ENOMEM && in->outcome.kind == BT_OUT_NONE)
        return BATON_ENOMEM; /* the step is undone; the handler runs again */
    if (in->outcome.kind == BT_OUT_NONE || hrc < 0) {
        /* A handler that settles nothing, or reports failure, fails the
         * job so that retries count down instead of hanging. */
        bt_outcome_clear(a, &in->outcome);
        in->outcome.kind = BT_OUT_FAIL;
        in->outcome.retries = job->retries > 0 ? job->retries - 1 : 0;
        char msg[120];
        snprintf(msg, sizeof msg,
                 hrc < 0 ? "the handler returned %d"
                         : "the handler returned without settling the "
                           "job%.0d",
                 hrc);
        in->outcome.message = bt_strdup(a, msg);
        if (!in->outcome.message)
            return BATON_ENOMEM;
    }
    int rc = bt_apply_outcome(in, job, &in->outcome);
    bt_outcome_clear(a, &in->outcome);
    return rc;
}

/* ---- the step ----------------------------------------------------- */

int bt_step(baton_instance *in)
{
    const bt_alloc *a = &in->engine->alloc;
    bt_queue_compact(in);
    /* A transition creates at most one element instance and one job;
     * those that queue more reserve for it themselves. */
    if (bt_reserve(in, 1, 1, 2, 0))
        return BATON_ENOMEM;
    size_t n_eis = in->n_eis, n_jobs = in->n_jobs, n_queue = in->n_queue;
    size_t n_marks = in->n_marks, n_incidents = in->n_incidents;
    uint64_t next_key = in->next_key;
    bt_cmd c = in->queue[in->q_head++];
    /* Only compensation and catching change the compensation log, after
     * their last fallible operation; appends are undone by truncation. */
    size_t n_comps = in->n_comps;
    bt_varlog log = { 0 };
    int rc;
    switch (c.kind) {
    case BT_CMD_ACTIVATE: rc = do_activate(in, &c, &log); break;
    case BT_CMD_COMPLETE: rc = do_complete(in, &c, &log); break;
    case BT_CMD_CALL_HANDLER: rc = do_call_handler(in, &c); break;
    case BT_CMD_THROW_ERROR: rc = do_throw_error(in, &c); break;
    default: rc = 0; break;
    }
    if (rc) {
        /* Put back what the transition appended; it changed nothing that
         * existed before except through the variable log. */
        bt_varlog_undo(&log);
        for (size_t i = n_eis; i < in->n_eis; i++)
            json_decref(in->eis[i].vars);
        for (size_t i = n_jobs; i < in->n_jobs; i++)
            bt_free(a, in->jobs[i].type);
        for (size_t i = n_incidents; i < in->n_incidents; i++)
            bt_free(a, in->incidents[i].message);
        in->n_eis = n_eis;
        in->n_jobs = n_jobs;
        in->n_queue = n_queue;
        in->n_marks = n_marks;
        in->n_incidents = n_incidents;
        in->n_comps = n_comps;
        in->next_key = next_key;
        in->q_head--;
        bt_varlog_clear(&log, a);
        bt_step_abort(in);
        return rc;
    }
    bt_varlog_clear(&log, a);
    bt_step_commit(in);
    return 0;
}

int baton_instance_cancel(baton_instance *in)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_clear_error(e);
    if (in->ended)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "the instance has already ended");
    int rc = bt_step_begin(in);
    if (rc)
        return rc;
    rc = bt_terminate_ei(in, in->key, 0);
    if (rc) {
        bt_step_abort(in);
        return bt_error(e, rc, NULL, 0, 0, NULL, "out of memory");
    }
    bt_ei *root = bt_ei_find(in, in->key);
    bt_sweep_inside(in, in->key, 0);
    const bt_alloc *a = &e->alloc;
    for (size_t i = 0; i < in->n_incidents; i++)
        bt_free(a, in->incidents[i].message);
    in->n_incidents = 0;
    in->q_head = in->n_queue = 0;
    root->state = BT_EI_TERMINATED;
    in->ended = BATON_INSTANCE_TERMINATED;
    bt_step_commit(in);
    return 0;
}
