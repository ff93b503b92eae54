/* Instances: creation, the step/run loop, host commands, and read-only
 * views of variables, jobs and incidents. The transitions themselves are
 * in step.c. */
#include <string.h>

#include "internal.h"

bt_ei *bt_ei_find(const baton_instance *in, uint64_t key)
{
    /* Newest first: the element a transition concerns is usually recent. */
    for (size_t i = in->n_eis; i-- > 0;)
        if (in->eis[i].key == key)
            return &in->eis[i];
    return NULL;
}

baton_job *bt_job_find(const baton_instance *in, uint64_t key)
{
    for (size_t i = 0; i < in->n_jobs; i++)
        if (in->jobs[i].key == key)
            return &in->jobs[i];
    return NULL;
}

void bt_queue_compact(baton_instance *in)
{
    /* Only between transitions: a transition in progress keeps indices. */
    if (in->q_head && in->q_head == in->n_queue) {
        in->q_head = in->n_queue = 0;
    } else if (in->q_head > 64 && in->q_head * 2 > in->n_queue) {
        memmove(in->queue, in->queue + in->q_head,
                (in->n_queue - in->q_head) * sizeof *in->queue);
        in->n_queue -= in->q_head;
        in->q_head = 0;
    }
}

int bt_reserve(baton_instance *in, size_t eis, size_t jobs, size_t queue,
               size_t recs)
{
    const bt_alloc *a = &in->engine->alloc;
    if (bt_grow(a, (void **)&in->eis, &in->cap_eis, in->n_eis + eis,
                sizeof *in->eis) ||
        bt_grow(a, (void **)&in->jobs, &in->cap_jobs, in->n_jobs + jobs,
                sizeof *in->jobs) ||
        bt_grow(a, (void **)&in->queue, &in->cap_queue, in->n_queue + queue,
                sizeof *in->queue) ||
        bt_grow(a, (void **)&in->engine->recs, &in->engine->cap_recs,
                in->engine->n_recs + recs, sizeof *in->engine->recs))
        return BATON_ENOMEM;
    return 0;
}

int bt_reserve_marks(baton_instance *in, size_t marks)
{
    const bt_alloc *a = &in->engine->alloc;
    if (bt_grow(a, (void **)&in->marks, &in->cap_marks, in->n_marks + marks,
                sizeof *in->marks))
        return BATON_ENOMEM;
    return 0;
}

int bt_reserve_incident(baton_instance *in)
{
    const bt_alloc *a = &in->engine->alloc;
    if (bt_grow(a, (void **)&in->incidents, &in->cap_incidents,
                in->n_incidents + 1, sizeof *in->incidents))
        return BATON_ENOMEM;
    return 0;
}

void bt_drop_records(baton_engine *e)
{
    for (size_t i = 0; i < e->n_recs; i++)
        json_decref(e->recs[i].var_value);
    e->n_recs = 0;
    /* The scratch arena keeps one chunk for the next step. */
    bt_arena_reset(&e->scratch);
}

void bt_step_commit(baton_instance *in)
{
    in->revision++;
    baton_engine *e = in->engine;
    for (size_t i = 0; i < e->n_recs; i++) {
        e->recs[i].position = ++in->position;
        if (e->record)
            e->record(e->record_ud, in, &e->recs[i]);
    }
    bt_drop_records(e);
    e->stepping = NULL;
}

void bt_step_abort(baton_instance *in)
{
    bt_drop_records(in->engine);
    in->engine->stepping = NULL;
}

int bt_step_begin(baton_instance *in)
{
    baton_engine *e = in->engine;
    if (in->handler_job)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "the instance cannot be changed from its handler");
    if (e->stepping)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "another instance of this engine is in a step (a "
                        "handler or record hook cannot change instances)");
    e->stepping = in;
    return 0;
}

int bt_instance_alloc(baton_engine *e, const bt_deployment *d,
                      baton_instance **out)
{
    baton_instance *in = bt_calloc(&e->alloc, 1, sizeof *in);
    if (!in)
        return BATON_ENOMEM;
    in->engine = e;
    in->model = d->model;
    in->proc = d->process;
    in->version = d->version;
    bt_model_ref(d->model);
    *out = in;
    return 0;
}

void baton_instance_free(baton_instance *in)
{
    if (!in)
        return;
    const bt_alloc *a = &in->engine->alloc;
    for (size_t i = 0; i < in->n_eis; i++)
        json_decref(in->eis[i].vars);
    for (size_t i = 0; i < in->n_jobs; i++) {
        bt_free(a, in->jobs[i].type);
        bt_free(a, in->jobs[i].error_message);
    }
    for (size_t i = 0; i < in->n_incidents; i++)
        bt_free(a, in->incidents[i].message);
    bt_outcome_clear(a, &in->outcome);
    bt_free(a, in->eis);
    bt_free(a, in->jobs);
    bt_free(a, in->incidents);
    bt_free(a, in->queue);
    bt_free(a, in->marks);
    bt_free(a, in->comps);
    bt_model_unref(in->model);
    bt_free(a, in);
}

int baton_instance_create(baton_engine *e, const char *process_id,
                          const char *vars, size_t len, baton_instance **out)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!out)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_create needs an output");
    *out = NULL;
    const bt_deployment *d = bt_engine_find_deployment(e, process_id, 0);
    if (!d)
        return bt_error(e, BATON_ENOTFOUND, NULL, 0, 0, process_id,
                        process_id ? "process '%s' is not deployed"
                                   : "no process is deployed%s",
                        process_id ? process_id : "");
    if (!process_id) {
        for (size_t i = 0; i < e->n_deps; i++)
            if (strcmp(e->deps[i].process->id, d->process->id) != 0)
                return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                                "several processes are deployed: name one");
    }
    json_t *doc = NULL;
    if (vars) {
        int rc = bt_json_parse(e, vars, len, 1, "variables", &doc);
        if (rc)
            return rc;
    }
    baton_instance *in;
    if (bt_instance_alloc(e, d, &in)) {
        json_decref(doc);
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory creating an instance");
    }
    if (bt_reserve(in, 1, 0, 1, 0)) {
        json_decref(doc);
        baton_instance_free(in);
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory creating an instance");
    }
    in->key = e->next_instance << 32;
    in->next_key = in->key + 1;
    in->eis[in->n_eis++] = (bt_ei){ .key = in->key, .element = -1,
                                    .state = BT_EI_ACTIVATING, .vars = doc };
    in->queue[in->n_queue++] = (bt_cmd){ BT_CMD_ACTIVATE, -1, in->key, 0 };
    e->next_instance++;
    *out = in;
    return 0;
}

int baton_instance_step(baton_instance *in)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_clear_error(e);
    if (in->ended)
        return BATON_STEP_ENDED;
    if (in->q_head == in->n_queue)
        return BATON_STEP_WAITING;
    int rc = bt_step_begin(in);
    if (rc)
        return rc;
    rc = bt_step(in);
    e->stepping = NULL;
    if (rc < 0) {
        if (!e->err_code)
            bt_error(e, rc, NULL, 0, 0, NULL, "%s", baton_strerror(rc));
        return rc;
    }
    if (in->ended)
        return BATON_STEP_ENDED;
    return in->q_head < in->n_queue ? BATON_STEP_READY : BATON_STEP_WAITING;
}

int baton_instance_run(baton_instance *in, size_t max_steps)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    if (max_steps == 0)
        max_steps = (size_t)e->limits[BATON_LIMIT_STEPS];
    uint64_t start = in->revision;
    int rc = BATON_STEP_READY;
    for (size_t n = 0; rc == BATON_STEP_READY && n < max_steps; n++)
        rc = baton_instance_step(in);
    if (rc == BATON_STEP_READY)
        rc = bt_error(e, BATON_EBUDGET, NULL, 0, 0, NULL,
                      "the step budget of %zu steps is used up with work "
                      "still ready (a loop without a wait state?)",
                      max_steps);
    if (in->q_head == in->n_queue) {
        /* A waiting instance may wait for days: it keeps no empty queue. */
        bt_free(&e->alloc, in->queue);
        in->queue = NULL;
        in->q_head = in->n_queue = in->cap_queue = 0;
    }
    if (rc >= 0 || rc == BATON_EBUDGET) {
        if (e->persist && in->revision != start) {
            void *snap;
            size_t size;
            int src = baton_instance_snapshot(in, &snap, &size);
            if (src)
                return bt_error(e, src, NULL, 0, 0, NULL,
                                "cannot snapshot the instance to persist it");
            int prc = e->persist(e->persist_ud, in, snap, size,
                                 in->revision);
            baton_free(snap);
            if (prc)
                return bt_error(e, BATON_EIO, NULL, 0, 0, NULL,
                                "the persist hook failed (%d)", prc);
        }
    }
    return rc;
}

int baton_instance_state(const baton_instance *in)
{
    if (!in)
        return BATON_EINVAL;
    if (in->ended)
        return in->ended;
    if (in->q_head < in->n_queue)
        return BATON_INSTANCE_ACTIVE;
    if (in->n_incidents)
        return BATON_INSTANCE_INCIDENT;
    return BATON_INSTANCE_WAITING;
}

uint64_t baton_instance_key(const baton_instance *in) { return in ? in->key : 0; }
baton_engine *baton_instance_engine(const baton_instance *in)
{
    return in ? in->engine : NULL;
}
const char *baton_instance_process_id(const baton_instance *in)
{
    return in ? in->proc->id : NULL;
}
int baton_instance_process_version(const baton_instance *in)
{
    return in ? in->version : 0;
}
uint64_t baton_instance_revision(const baton_instance *in)
{
    return in ? in->revision : 0;
}

/* ---- variables ---------------------------------------------------- */

static json_t *root_vars(const baton_instance *in)
{
    const bt_ei *root = bt_ei_find(in, in->key);
    return root ? root->vars : NULL;
}

int baton_instance_variables(const baton_instance *in, char **out,
                             size_t *len)
{
    if (!in || !out)
        return BATON_EINVAL;
    json_t *v = root_vars(in);
    json_t *empty = NULL;
    if (!v && !(v = empty = json_object()))
        return BATON_ENOMEM;
    int rc = bt_json_dump(&in->engine->alloc, v, out, len);
    json_decref(empty);
    return rc;
}

int baton_instance_get_variable(const baton_instance *in, const char *name,
                                char **out, size_t *len)
{
    if (!in || !name || !out)
        return BATON_EINVAL;
    json_t *vars = root_vars(in);
    json_t *v = vars ? json_object_get(vars, name) : NULL;
    if (!v)
        return BATON_ENOTFOUND;
    return bt_json_dump(&in->engine->alloc, v, out, len);
}

/* Host commands run as a step of their own: reserve, change, and on
 * failure put everything back. */
typedef struct bt_mark {
    size_t n_eis, n_jobs, n_queue, n_marks, n_incidents;
    uint64_t next_key;
} bt_mark;

static int command_begin(baton_instance *in, bt_mark *m)
{
    bt_clear_error(in->engine);
    int rc = bt_step_begin(in);
    if (rc)
        return rc;
    bt_queue_compact(in);
    if (bt_reserve(in, 1, 1, 4, 0)) {
        in->engine->stepping = NULL;
        return bt_error(in->engine, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory");
    }
    *m = (bt_mark){ in->n_eis, in->n_jobs, in->n_queue, in->n_marks,
                    in->n_incidents, in->next_key };
    return 0;
}

/* Ends a command refused before it changed anything. */
static int command_abort(baton_instance *in, int rc)
{
    bt_step_abort(in);
    return rc;
}

/* Commits a command, or on failure puts back what it appended and undoes
 * its variable writes (`log` may be NULL when it wrote none). */
static int command_end(baton_instance *in, const bt_mark *m, bt_varlog *log,
                       int rc)
{
    const bt_alloc *a = &in->engine->alloc;
    if (rc) {
        if (log)
            bt_varlog_undo(log);
        /* Commands only append incidents and queue entries before their
         * last fallible operation; drop what they appended. */
        for (size_t i = m->n_incidents; i < in->n_incidents; i++)
            bt_free(a, in->incidents[i].message);
        in->n_incidents = m->n_incidents;
        in->n_queue = m->n_queue;
        in->next_key = m->next_key;
        bt_step_abort(in);
    } else {
        bt_step_commit(in);
    }
    if (log)
        bt_varlog_clear(log, a);
    if (rc && !in->engine->err_code)
        bt_error(in->engine, rc, NULL, 0, 0, NULL, "%s", baton_strerror(rc));
    return rc;
}

int baton_instance_set_variables(baton_instance *in, const char *vars,
                                 size_t len)
{
    if (!in || !vars)
        return in ? bt_error(in->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                             "variables are required")
                  : BATON_EINVAL;
    bt_mark m;
    int rc = command_begin(in, &m);
    if (rc)
        return rc;
    json_t *doc;
    rc = bt_json_parse(in->engine, vars, len, 1, "variables", &doc);
    if (rc)
        return command_abort(in, rc);
    bt_varlog log = { 0 };
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        if ((rc = bt_var_set_local(in, &log, in->key, k, v)))
            break;
    }
    json_decref(doc);
    return command_end(in, &m, &log, rc);
}

/* ---- jobs --------------------------------------------------------- */

size_t baton_instance_job_count(const baton_instance *in)
{
    size_t n = 0;
    if (in)
        for (size_t i = 0; i < in->n_jobs; i++)
            n += in->jobs[i].state != BT_JOB_INCIDENT;
    return n;
}

baton_job *baton_instance_job(baton_instance *in, size_t index)
{
    if (in)
        for (size_t i = 0; i < in->n_jobs; i++)
            if (in->jobs[i].state != BT_JOB_INCIDENT && index-- == 0)
                return &in->jobs[i];
    return NULL;
}

static int job_command(baton_instance *in, uint64_t key, bt_outcome *o)
{
    const bt_alloc *a = &in->engine->alloc;
    bt_mark m;
    int rc = command_begin(in, &m);
    if (rc) {
        bt_outcome_clear(a, o);
        return rc;
    }
    /* From here every return passes through command_end or _abort. */
    baton_job *job = bt_job_find(in, key);
    if (!job || job->state == BT_JOB_INCIDENT) {
        bt_outcome_clear(a, o);
        return command_abort(
            in, bt_error(in->engine, job ? BATON_ESTATE : BATON_ENOTFOUND,
                        NULL, 0, 0, NULL,
                        job ? "job %llu is held by an incident"
                            : "no waiting job with key %llu",
                        (unsigned long long)key));
    }
    rc = bt_apply_outcome(in, job, o);
    bt_outcome_clear(a, o);
    return command_end(in, &m, NULL, rc);
}

int baton_instance_complete_job(baton_instance *in, uint64_t key,
                                const char *vars, size_t len)
{
    if (!in)
        return BATON_EINVAL;
    bt_clear_error(in->engine);
    bt_outcome o = { BT_OUT_COMPLETE, 0, NULL, NULL, NULL };
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
    *out = NULL;
    if (s && !(*out = bt_strdup(&in->engine->alloc, s)))
        return bt_error(in->engine, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory");
    return 0;
}

int baton_instance_fail_job(baton_instance *in, uint64_t key, int retries,
                            const char *message)
{
    if (!in)
        return BATON_EINVAL;
    bt_clear_error(in->engine);
    if (retries < 0)
        return bt_error(in->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                        "retries must not be negative");
    bt_outcome o = { BT_OUT_FAIL, retries, NULL, NULL, NULL };
    if (copy_text(in, message, &o.message))
        return BATON_ENOMEM;
    return job_command(in, key, &o);
}

int baton_instance_throw_job_error(baton_instance *in, uint64_t key,
                                   const char *code, const char *message)
{
    if (!in)
        return BATON_EINVAL;
    bt_clear_error(in->engine);
    if (!code || !*code)
        return bt_error(in->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                        "a BPMN error needs a code");
    bt_outcome o = { BT_OUT_ERROR, 0, NULL, NULL, NULL };
    if (copy_text(in, code, &o.code) || copy_text(in, message, &o.message)) {
        bt_outcome_clear(&in->engine->alloc, &o);
        return BATON_ENOMEM;
    }
    return job_command(in, key, &o);
}

int baton_instance_update_job_retries(baton_instance *in, uint64_t key,
                                      int retries)
{
    if (!in)
        return BATON_EINVAL;
    bt_mark m;
    int rc = command_begin(in, &m);
    if (rc)
        return rc;
    if (retries < 0)
        return command_abort(
            in, bt_error(in->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                        "retries must not be negative"));
    baton_job *job = bt_job_find(in, key);
    if (!job)
        return command_abort(
            in, bt_error(in->engine, BATON_ENOTFOUND, NULL, 0, 0, NULL,
                        "no job with key %llu", (unsigned long long)key));
    struct baton_record *r = bt_rec_push(in, BATON_VT_JOB,
                                         BATON_INTENT_RETRIES_UPDATED, key);
    if (!r)
        return command_end(in, &m, NULL, BATON_ENOMEM);
    r->job_type = job->type;
    r->retries = retries;
    r->element = &in->proc->elements[job->element];
    r->element_instance_key = job->ei_key;
    job->retries = retries;
    return command_end(in, &m, NULL, 0);
}

/* ---- incidents ---------------------------------------------------- */

static const bt_incident *incident_at(const baton_instance *in, size_t i)
{
    return in && i < in->n_incidents ? &in->incidents[i] : NULL;
}

size_t baton_instance_incident_count(const baton_instance *in)
{
    return in ? in->n_incidents : 0;
}
uint64_t baton_instance_incident_key(const baton_instance *in, size_t i)
{
    const bt_incident *x = incident_at(in, i);
    return x ? x->key : 0;
}
const char *baton_instance_incident_type(const baton_instance *in, size_t i)
{
    const bt_incident *x = incident_at(in, i);
    return x ? bt_incident_type_names[x->type] : NULL;
}
const char *baton_instance_incident_message(const baton_instance *in,
                                            size_t i)
{
    const bt_incident *x = incident_at(in, i);
    return x ? (x->message ? x->message : "") : NULL;
}
const char *baton_instance_incident_element_id(const baton_instance *in,
                                               size_t i)
{
    const bt_incident *x = incident_at(in, i);
    return x ? in->proc->elements[x->element].id : NULL;
}
uint64_t baton_instance_incident_job_key(const baton_instance *in, size_t i)
{
    const bt_incident *x = incident_at(in, i);
    return x ? x->job_key : 0;
}

int baton_instance_resolve_incident(baton_instance *in, uint64_t key)
{
    if (!in)
        return BATON_EINVAL;
    bt_mark m;
    int rc = command_begin(in, &m);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < in->n_incidents && in->incidents[i].key != key)
        i++;
    if (i == in->n_incidents)
        return command_abort(
            in, bt_error(in->engine, BATON_ENOTFOUND, NULL, 0, 0, NULL,
                        "no open incident with key %llu",
                        (unsigned long long)key));
    bt_incident *x = &in->incidents[i];
    struct baton_record *r = bt_rec_push(in, BATON_VT_INCIDENT,
                                         BATON_INTENT_RESOLVED, key);
    if (!r || (x->message &&
               !(r->error_message = bt_scratch_strdup(in, x->message))))
        return command_end(in, &m, NULL, BATON_ENOMEM);
    r->incident_type = bt_incident_type_names[x->type];
    r->element = &in->proc->elements[x->element];
    r->element_instance_key = x->ei_key;
    r->job_key = x->job_key;
    baton_job *job = x->job_key ? bt_job_find(in, x->job_key) : NULL;
    if (job) {
        job->state = BT_JOB_READY;
        if (job->retries <= 0)
            job->retries = 1;
        if (bt_engine_handler(in->engine, job->type))
            in->queue[in->n_queue++] =
                (bt_cmd){ BT_CMD_CALL_HANDLER, job->element, job->key, 0 };
    } else {
        in->queue[in->n_queue++] = x->retry;
    }
    bt_free(&in->engine->alloc, x->message);
    memmove(x, x + 1, (in->n_incidents - i - 1) * sizeof *x);
    in->n_incidents--;
    return command_end(in, &m, NULL, 0);
}
