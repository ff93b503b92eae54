/* Jobs: what a task creates for a handler or for the host, and what
 * completing, failing or throwing from a job does (as Zeebe's job
 * behaviour). */
#include <stdint.h>
#include <string.h>

#include "behavior/behavior.h"

void bt_outcome_clear(const bt_alloc *a, bt_outcome *o)
{
    json_decref(o->vars);
    bt_free(a, o->code);
    bt_free(a, o->message);
    memset(o, 0, sizeof *o);
}

/* The type and retries of the job `ei` creates, worked out now when
 * they are expressions; one that gives a value of the wrong kind is a
 * failure whose resolution does what the element does once active again:
 * its job is created then. */
static int job_def(bt_ctx *cx, bt_ei *ei, const char **type,
                   int32_t *retries)
{
    const bt_element *el = bt_ei_el(ei);
    *type = el->job.type ? el->job.type : el->id;
    *retries = el->job.retries;
    if (!el->job.type_expr && !el->job.retries_expr)
        return 0; /* the saga's hot path: static type and retries */
    bt_value_site at = { ei, el, "job type",
                         { BT_CMD_SUBSCRIBE, ei->element, ei->key,
                           ei->triggered } };
    int rc = 0;
    if (el->job.type_expr)
        rc = bt_value_text(cx, &at, el->job.type_expr, 0, type);
    if (!rc && cx->fail.type < 0 && el->job.retries_expr) {
        int64_t n;
        at.what = "job retries";
        rc = bt_value_whole(cx, &at, el->job.retries_expr, 0, INT32_MAX, &n);
        *retries = (int32_t)n;
    }
    return rc;
}

int bt_job_create(bt_ctx *cx, bt_ei *ei)
{
    baton_instance *in = cx->in;
    const char *t;
    int32_t retries;
    int rc = job_def(cx, ei, &t, &retries);
    if (rc || cx->fail.type >= 0)
        return rc;
    char *type = bt_strdup(&in->engine->alloc, t);
    if (!type)
        return BATON_ENOMEM;
    baton_job *job = bt_job_new(in, ei, in->next_key, type, retries);
    if (!job)
        return BATON_ENOMEM;
    if (!bt_rec_job(in, BATON_INTENT_CREATED, job))
        return BATON_ENOMEM; /* the transaction takes the job back */
    in->next_key++;
    if (bt_engine_handler(in->engine, type))
        bt_push_cmd(in, BT_CMD_CALL_HANDLER, ei->element, job->key, 0);
    return 0;
}

int bt_job_cancel(baton_instance *in, bt_ei *ei, uint64_t thrower)
{
    baton_job *job = ei->job_key && ei->job_key != thrower
                         ? bt_job_find(in, ei->job_key)
                         : NULL;
    if (job && !bt_rec_job(in, BATON_INTENT_CANCELED, job))
        return BATON_ENOMEM;
    return 0;
}

static int complete(bt_ctx *cx, baton_job *job, const bt_outcome *o)
{
    baton_instance *in = cx->in;
    bt_ei *ei = job->ei;
    if (!bt_rec_job(in, BATON_INTENT_COMPLETED, job))
        return BATON_ENOMEM;
    if (o->vars) {
        /* As Zeebe: with output mappings the result stays local to the
         * task for them to read; without, it propagates. */
        int rc = bt_ei_el(ei)->n_outputs
                     ? bt_var_set_all_local(in, cx->log, ei, o->vars)
                     : bt_var_propagate(in, cx->log, ei, o->vars);
        if (rc)
            return rc;
    }
    bt_push_cmd(in, BT_CMD_COMPLETE, ei->element, ei->key, 0);
    bt_job_remove(in, job);
    return 0;
}

/* When a failed job with retries left is tried again: after the backoff
 * it failed with, else after its element's retry interval (Camunda 7's
 * failedJobRetryTimeCycle), else at once (0). */
static int backoff_due(bt_ctx *cx, const baton_job *job, const bt_outcome *o,
                       int64_t *due)
{
    baton_engine *e = cx->in->engine;
    const bt_job_def *d = &bt_ei_el(job->ei)->job;
    *due = 0;
    if (o->backoff <= 0 && !d->has_backoff)
        return 0;
    int64_t now;
    int rc = bt_now(e, &now);
    if (rc)
        return rc;
    int bad = o->backoff > 0
                  ? (now > INT64_MAX - o->backoff ? -1 : 0)
                  : bt_duration_add(&d->backoff, now, NULL, due);
    if (o->backoff > 0 && !bad)
        *due = now + o->backoff;
    if (bad)
        *due = INT64_MAX; /* beyond any time a clock gives */
    if (*due == 0)
        *due = 1; /* 0 means "none" */
    return 0;
}

/* A job failed or threw: announce it, then retry, catch, or raise the
 * incident. The job changes only after the last fallible operation. */
static int fail_or_throw(bt_ctx *cx, baton_job *job, const bt_outcome *o)
{
    baton_instance *in = cx->in;
    const bt_alloc *a = &in->engine->alloc;
    int fail = o->kind == BT_OUT_FAIL;
    struct baton_record *r = bt_rec_job(
        in, fail ? BATON_INTENT_FAILED : BATON_INTENT_ERROR_THROWN, job);
    if (!r)
        return BATON_ENOMEM;
    if (fail)
        r->u.job.retries = o->retries;
    r->u.job.error_message = bt_scratch_strdup(in, o->message);
    r->u.job.error_code = bt_scratch_strdup(in, o->code);
    if ((o->message && !r->u.job.error_message) ||
        (o->code && !r->u.job.error_code))
        return BATON_ENOMEM;
    char *keep = o->message ? bt_strdup(a, o->message) : NULL;
    if (o->message && !keep)
        return BATON_ENOMEM;
    int rc = 0, incident = 0;
    int64_t due = 0;
    if (fail && o->retries > 0) {
        rc = backoff_due(cx, job, o, &due);
        if (!rc && due) {
            int64_t now;
            bt_now(in->engine, &now); /* known: backoff_due asked it */
            r->u.job.retry_backoff = due > now ? due - now : 0;
        }
        if (!rc && !due && bt_engine_handler(in->engine, job->type))
            bt_push_cmd(in, BT_CMD_CALL_HANDLER, job->ei->element, job->key,
                        0);
    } else if (fail) {
        incident = 1;
        rc = bt_fail(in, &cx->fail, BT_INC_JOB_NO_RETRIES, job->ei, job->key,
                     NULL, "the job failed with no retries left: %s",
                     o->message ? o->message : "no message");
    } else {
        int caught;
        rc = bt_throw_error(cx, job->ei, job->key, o->code, o->message,
                            &caught);
        if (!rc && caught) {
            /* The job went with its activity. */
            bt_free(a, keep);
            return 0;
        }
        incident = 1;
        if (!rc)
            rc = bt_fail(in, &cx->fail, BT_INC_UNHANDLED_ERROR, job->ei,
                         job->key, NULL,
                         "an error with the code '%s' was thrown%s%s, but "
                         "nothing catches it",
                         o->code, o->message ? ": " : "",
                         o->message ? o->message : "");
    }
    /* The incident is raised before the job changes, so that a failure to
     * raise it leaves the job as it was. */
    if (!rc && incident) {
        rc = bt_incident_raise(in, &cx->fail);
        cx->fail.type = -1;
    }
    if (rc) {
        bt_free(a, keep);
        return rc;
    }
    job->retries = fail ? o->retries : (job->retries > 0 ? job->retries : 0);
    bt_free(a, job->error_message);
    job->error_message = keep;
    bt_job_set_state(in, job, incident ? BT_JOB_INCIDENT
                              : due    ? BT_JOB_BACKOFF
                                       : BT_JOB_READY);
    job->due = incident ? 0 : due;
    return 0;
}

int bt_job_apply(bt_ctx *cx, baton_job *job, const bt_outcome *o)
{
    switch (o->kind) {
    case BT_OUT_COMPLETE:
        return complete(cx, job, o);
    case BT_OUT_FAIL:
    case BT_OUT_ERROR:
        return fail_or_throw(cx, job, o);
    case BT_OUT_DEFER:
        bt_job_set_state(cx->in, job, BT_JOB_DEFERRED);
        return 0;
    default:
        return BATON_EINVAL;
    }
}

int bt_job_call_handler(bt_ctx *cx, uint64_t key)
{
    baton_instance *in = cx->in;
    baton_job *job = bt_job_find(in, key);
    if (!job || job->state != BT_JOB_READY)
        return 0;
    const bt_handler *h = bt_engine_handler(in->engine, job->type);
    if (!h)
        return 0;
    const bt_alloc *a = &in->engine->alloc;
    bt_outcome *o = &in->engine->outcome;
    bt_outcome_clear(a, o);
    in->engine->handler_job = job;
    int hrc = h->fn(h->ud, job);
    in->engine->handler_job = NULL;
    if (hrc == BATON_ENOMEM && o->kind == BT_OUT_NONE)
        return BATON_ENOMEM; /* the step is undone; the handler runs again */
    if (o->kind == BT_OUT_NONE || hrc < 0) {
        /* A handler that settles nothing, or reports failure, fails the
         * job so that retries count down instead of hanging. */
        bt_outcome_clear(a, o);
        o->kind = BT_OUT_FAIL;
        o->retries = job->retries > 0 ? job->retries - 1 : 0;
        const char *msg =
            hrc < 0 ? bt_arena_printf(&in->engine->scratch,
                                      "the handler returned %d", hrc)
                    : "the handler returned without settling the job";
        if (!msg || !(o->message = bt_strdup(a, msg)))
            return BATON_ENOMEM;
    }
    int rc = bt_job_apply(cx, job, o);
    bt_outcome_clear(a, o);
    return rc;
}
