/* Host commands: what the host does to a waiting instance (settle a job by
 * key, set variables, update retries, resolve an incident, cancel). Each
 * runs as one transaction (bt_transact), as a step does. */
#include <string.h>

#include "api/api.h"

static int check_retries(baton_instance *in, int retries)
{
    return retries < 0 ? bt_error(in->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                                  "retries must not be negative")
                       : 0;
}

static int check_open(baton_instance *in)
{
    if (in->ended)
        return bt_error(in->engine, BATON_ESTATE, NULL, 0, 0, NULL,
                        "the instance has already ended");
    return 0;
}

/* ---- variables ---------------------------------------------------- */

static int set_vars(bt_ctx *cx, void *doc)
{
    return bt_var_set_all_local(cx->in, cx->log, cx->in->root, doc);
}

int baton_instance_set_variables(baton_instance *in, const char *vars,
                                 size_t len)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_call_begin(e);
    if (!vars)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "variables are required");
    json_t *doc;
    int rc = bt_json_parse(e, vars, len, 1, "variables", &doc);
    if (rc)
        return rc;
    rc = bt_transact(in, 0, set_vars, doc);
    json_decref(doc);
    return rc;
}

/* ---- jobs --------------------------------------------------------- */

typedef struct job_arg {
    uint64_t key;
    bt_outcome *o;
} job_arg;

static int settle(bt_ctx *cx, void *p)
{
    job_arg *arg = p;
    baton_instance *in = cx->in;
    baton_job *job = bt_job_find(in, arg->key);
    if (!job || job->state == BT_JOB_INCIDENT)
        return bt_error(in->engine, job ? BATON_ESTATE : BATON_ENOTFOUND,
                        NULL, 0, 0, NULL,
                        job ? "job %llu is held by an incident"
                            : "no waiting job with key %llu",
                        (unsigned long long)arg->key);
    return bt_job_apply(cx, job, arg->o);
}

static int job_command(baton_instance *in, uint64_t key, bt_outcome *o)
{
    job_arg arg = { key, o };
    int rc = bt_transact(in, 4, settle, &arg);
    bt_outcome_clear(&in->engine->alloc, o);
    return rc;
}

int baton_instance_complete_job(baton_instance *in, uint64_t key,
                                const char *vars, size_t len)
{
    if (!in)
        return BATON_EINVAL;
    bt_call_begin(in->engine);
    bt_outcome o = { BT_OUT_COMPLETE, 0, NULL, NULL, NULL, 0 };
    if (vars) {
        int rc = bt_json_parse(in->engine, vars, len, 1, "job variables",
                               &o.vars);
        if (rc)
            return rc;
    }
    return job_command(in, key, &o);
}

static int copy_text(baton_instance *in, const char *s, char **out)
{
    if (s && !(*out = bt_strdup(&in->engine->alloc, s)))
        return bt_error(in->engine, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory");
    return 0;
}

int baton_instance_fail_job(baton_instance *in, uint64_t key, int retries,
                            const char *message)
{
    return baton_instance_fail_job_backoff(in, key, retries, 0, message);
}

int baton_instance_fail_job_backoff(baton_instance *in, uint64_t key,
                                    int retries, int64_t backoff_ms,
                                    const char *message)
{
    if (!in)
        return BATON_EINVAL;
    bt_call_begin(in->engine);
    if (check_retries(in, retries))
        return BATON_EINVAL;
    if (backoff_ms < 0)
        return bt_error(in->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                        "the backoff must not be negative");
    bt_outcome o = { BT_OUT_FAIL, retries, NULL, NULL, NULL, backoff_ms };
    if (copy_text(in, message, &o.message))
        return BATON_ENOMEM;
    return job_command(in, key, &o);
}

int baton_instance_throw_job_error(baton_instance *in, uint64_t key,
                                   const char *code, const char *message)
{
    if (!in)
        return BATON_EINVAL;
    bt_call_begin(in->engine);
    if (!code || !*code)
        return bt_error(in->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                        "a BPMN error needs a code");
    bt_outcome o = { BT_OUT_ERROR, 0, NULL, NULL, NULL, 0 };
    if (copy_text(in, code, &o.code) || copy_text(in, message, &o.message)) {
        bt_outcome_clear(&in->engine->alloc, &o);
        return BATON_ENOMEM;
    }
    return job_command(in, key, &o);
}

typedef struct retries_arg {
    uint64_t key;
    int retries;
} retries_arg;

static int update_retries(bt_ctx *cx, void *p)
{
    retries_arg *arg = p;
    baton_instance *in = cx->in;
    baton_job *job = bt_job_find(in, arg->key);
    if (!job)
        return bt_error(in->engine, BATON_ENOTFOUND, NULL, 0, 0, NULL,
                        "no job with key %llu", (unsigned long long)arg->key);
    struct baton_record *r = bt_rec_job(in, BATON_INTENT_RETRIES_UPDATED,
                                        job);
    if (!r)
        return BATON_ENOMEM;
    r->u.job.retries = arg->retries;
    job->retries = arg->retries;
    return 0;
}

int baton_instance_update_job_retries(baton_instance *in, uint64_t key,
                                      int retries)
{
    if (!in)
        return BATON_EINVAL;
    bt_call_begin(in->engine);
    if (check_retries(in, retries))
        return BATON_EINVAL;
    retries_arg arg = { key, retries };
    return bt_transact(in, 0, update_retries, &arg);
}

/* ---- incidents ---------------------------------------------------- */

static int resolve(bt_ctx *cx, void *p)
{
    uint64_t key = *(const uint64_t *)p;
    baton_instance *in = cx->in;
    size_t i;
    bt_incident *x = bt_incident_find(in, key, &i);
    if (!x)
        return bt_error(in->engine, BATON_ENOTFOUND, NULL, 0, 0, NULL,
                        "no open incident with key %llu",
                        (unsigned long long)key);
    if (bt_incident_announce_resolved(in, x))
        return BATON_ENOMEM;
    baton_job *job = x->job_key ? bt_job_find(in, x->job_key) : NULL;
    if (job) {
        bt_job_set_state(in, job, BT_JOB_READY);
        if (job->retries <= 0)
            job->retries = 1;
        if (bt_engine_handler(in->engine, job->type))
            bt_push_cmd(in, BT_CMD_CALL_HANDLER, job->ei->element, job->key,
                        0);
    } else if (x->retry.kind == BT_CMD_CONDITIONS && in->n_cond_cmds) {
        /* An evaluation of every condition is queued: it covers this one
         * (evaluating it twice would fire a non-interrupting event twice
         * for one change). */
    } else if (x->retry.kind != BT_CMD_NONE) {
        bt_push_cmd(in, x->retry.kind, x->retry.element, x->retry.key,
                    x->retry.scope_key);
    }
    bt_incident_remove_at(in, i);
    return 0;
}

int baton_instance_resolve_incident(baton_instance *in, uint64_t key)
{
    if (!in)
        return BATON_EINVAL;
    bt_call_begin(in->engine);
    return bt_transact(in, 1, resolve, &key);
}

/* ---- cancel ------------------------------------------------------- */

static int cancel(bt_ctx *cx, void *p)
{
    (void)p;
    baton_instance *in = cx->in;
    bt_ei *root = in->root;
    int rc = bt_terminate_ei(in, root, 0);
    if (rc)
        return rc;
    bt_sweep_inside(in, root, NULL);
    bt_sub_drop_owned(in, root);
    bt_comp_drop(in, root->key); /* announced DELETED by the terminate */
    while (in->n_incidents)
        bt_incident_remove_at(in, in->n_incidents - 1);
    while (in->q_head < in->n_queue)
        bt_pop_cmd(in);
    root->state = BT_EI_TERMINATED;
    in->ended = BATON_INSTANCE_TERMINATED;
    return 0;
}

int baton_instance_cancel(baton_instance *in)
{
    if (!in)
        return BATON_EINVAL;
    bt_call_begin(in->engine);
    int rc = check_open(in);
    return rc ? rc : bt_transact(in, 0, cancel, NULL);
}
