/* Instances: creation, stepping and running, and read-only views of their
 * state, variables, jobs and incidents. */
#include <string.h>

#include "api/api.h"
#include "util/json.h"

/* The start event named `start_id` of a deployment's process (NULL: its
 * none start event), as its element index + 1 for the process's
 * activation (0: the none start event). */
static int find_start(baton_engine *e, const bt_process *p,
                      const char *start_id, uint64_t *start)
{
    *start = 0;
    if (!start_id) {
        if (bt_process_starts_plainly(p))
            return 0;
        return bt_error(e, BATON_ENOTFOUND, NULL, (int)p->line, 0, p->id,
                        "process '%s' has no none start event: start it "
                        "at one of its start events "
                        "(baton_instance_create_at)",
                        p->id);
    }
    for (uint32_t i = 0; i < p->n_starts; i++)
        if (strcmp(p->elements[p->starts[i]].id, start_id) == 0) {
            *start = (uint64_t)p->starts[i] + 1;
            return 0;
        }
    return bt_error(e, BATON_ENOTFOUND, NULL, 0, 0, start_id,
                    "'%s' is not a start event of process '%s'", start_id,
                    p->id);
}

int baton_instance_create(baton_engine *e, const char *process_id,
                          const char *vars, size_t len, baton_instance **out)
{
    return baton_instance_create_at(e, process_id, NULL, vars, len, out);
}

int baton_instance_create_at(baton_engine *e, const char *process_id,
                             const char *start_id, const char *vars,
                             size_t len, baton_instance **out)
{
    if (!e)
        return BATON_EINVAL;
    bt_call_begin(e);
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
    uint64_t start;
    int src = find_start(e, d->process, start_id, &start);
    if (src)
        return src;
    json_t *doc = NULL;
    if (vars) {
        int rc = bt_json_parse(e, vars, len, 1, "variables", &doc);
        if (rc)
            return rc;
    }
    baton_instance *in = NULL;
    uint64_t key = e->next_instance << 32;
    bt_ei *root = NULL;
    if (bt_instance_alloc(e, d, &in) || bt_reserve(in, 0, 0, 1, 0) ||
        !(root = bt_ei_new(in, NULL, -1, key))) {
        json_decref(doc);
        if (in)
            bt_instance_free(in);
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory creating an instance");
    }
    in->key = key;
    in->next_key = key + 1;
    root->vars = doc;
    bt_push_cmd(in, BT_CMD_ACTIVATE, -1, key, start);
    e->next_instance++;
    *out = in;
    return 0;
}

void baton_instance_free(baton_instance *in)
{
    if (in)
        bt_instance_free(in);
}

/* Whether a timer or backoff is due at the call's time; asks the clock
 * only when the instance waits on time. Without a clock nothing is due:
 * the instance waits (a host that restores it without one must not see
 * the steps it did make fail). */
static int due_now(baton_instance *in, int64_t *now)
{
    int64_t due;
    if (!bt_next_due(in, &due) || !in->engine->clock)
        return 0;
    int rc = bt_now(in->engine, now);
    return rc ? rc : due <= *now;
}

/* One transition: the command at the head of the queue, else the
 * earliest timer or backoff due at the call's time. */
static int step(baton_instance *in)
{
    int rc = bt_instance_busy(in);
    if (rc)
        return rc;
    if (in->ended)
        return BATON_STEP_ENDED;
    int64_t now = 0;
    if (in->q_head < in->n_queue) {
        rc = bt_step(in);
    } else {
        rc = due_now(in, &now);
        if (rc <= 0)
            return rc ? rc : BATON_STEP_WAITING;
        rc = bt_fire_due(in, now);
    }
    if (rc < 0)
        return rc;
    if (in->ended)
        return BATON_STEP_ENDED;
    if (in->q_head < in->n_queue)
        return BATON_STEP_READY;
    rc = due_now(in, &now);
    return rc < 0 ? rc : rc ? BATON_STEP_READY : BATON_STEP_WAITING;
}

int baton_instance_step(baton_instance *in)
{
    if (!in)
        return BATON_EINVAL;
    bt_call_begin(in->engine);
    return step(in);
}

static int persist(baton_instance *in)
{
    baton_engine *e = in->engine;
    void *snap;
    size_t size;
    if (bt_snapshot_write(in, &snap, &size))
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "cannot snapshot the instance to persist it");
    int prc = e->persist(e->persist_ud, in, snap, size, in->revision);
    baton_free(snap);
    if (prc)
        return bt_error(e, BATON_EIO, NULL, 0, 0, NULL,
                        "the persist hook failed (%d)", prc);
    return 0;
}

int baton_instance_run(baton_instance *in, size_t max_steps)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_call_begin(e);
    if (max_steps == 0)
        max_steps = (size_t)e->limits[BATON_LIMIT_STEPS];
    uint64_t start = in->revision;
    int rc = BATON_STEP_READY;
    for (size_t n = 0; rc == BATON_STEP_READY && n < max_steps; n++)
        rc = step(in);
    if (rc == BATON_STEP_READY)
        rc = bt_error(e, BATON_EBUDGET, NULL, 0, 0, NULL,
                      "the step budget of %zu steps is used up with work "
                      "still ready (a loop without a wait state?)",
                      max_steps);
    bt_instance_trim(in);
    if ((rc >= 0 || rc == BATON_EBUDGET) && e->persist &&
        in->revision != start) {
        int prc = persist(in);
        if (prc)
            return prc;
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

uint64_t baton_instance_key(const baton_instance *in)
{
    return in ? in->key : 0;
}
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

int baton_instance_variables(const baton_instance *in, char **out,
                             size_t *len)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_clear_error(e);
    if (!out)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_variables needs an output");
    json_t *v = in->root ? in->root->vars : NULL;
    json_t *empty = NULL;
    if (!v && !(v = empty = json_object()))
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    int rc = bt_json_dump(&e->alloc, v, out, len);
    json_decref(empty);
    return rc ? bt_error(e, rc, NULL, 0, 0, NULL, "out of memory") : 0;
}

int baton_instance_get_variable(const baton_instance *in, const char *name,
                                char **out, size_t *len)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_clear_error(e);
    if (!name || !out)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_get_variable needs a name and an "
                        "output");
    json_t *vars = in->root ? in->root->vars : NULL;
    json_t *v = vars ? json_object_get(vars, name) : NULL;
    if (!v)
        return bt_error(e, BATON_ENOTFOUND, NULL, 0, 0, NULL,
                        "no variable '%s' in the process scope", name);
    int rc = bt_json_dump(&e->alloc, v, out, len);
    return rc ? bt_error(e, rc, NULL, 0, 0, NULL, "out of memory") : 0;
}

/* ---- jobs --------------------------------------------------------- */

size_t baton_instance_job_count(const baton_instance *in)
{
    return in ? in->n_jobs - in->n_held_jobs : 0;
}

baton_job *baton_instance_job(baton_instance *in, size_t index)
{
    if (!in || index >= in->n_jobs - in->n_held_jobs)
        return NULL;
    /* From where the last call stopped when it is still valid and not
     * past `index`: listing every job costs one step each. */
    baton_job *j = in->oldest_job;
    size_t at = 0;
    if (in->job_cursor && in->job_cursor_epoch == in->job_epoch &&
        in->job_cursor_index <= index) {
        j = in->job_cursor;
        at = in->job_cursor_index;
    }
    for (; j; j = j->newer) {
        if (bt_job_held(j->state))
            continue;
        if (at == index) {
            in->job_cursor = j;
            in->job_cursor_index = at;
            in->job_cursor_epoch = in->job_epoch;
            return j;
        }
        at++;
    }
    return NULL;
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
    if (!x)
        return NULL;
    if (x->element < 0)
        return in->proc->id; /* the process instance's own */
    const bt_ei *ei = bt_ei_find(in, x->ei_key);
    return ei ? bt_ei_el(ei)->id : in->proc->elements[x->element].id;
}
uint64_t baton_instance_incident_job_key(const baton_instance *in, size_t i)
{
    const bt_incident *x = incident_at(in, i);
    return x ? x->job_key : 0;
}
