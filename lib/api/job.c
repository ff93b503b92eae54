/* The job as a handler and the host see it: accessors and the four ways
 * to settle it from inside its handler. */
#include <string.h>

#include "api/api.h"
#include "util/json.h"

uint64_t baton_job_key(const baton_job *j) { return j ? j->key : 0; }
baton_instance *baton_job_instance(const baton_job *j)
{
    return j ? j->inst : NULL;
}
const char *baton_job_type(const baton_job *j) { return j ? j->type : NULL; }
int baton_job_retries(const baton_job *j) { return j ? j->retries : 0; }
uint64_t baton_job_element_instance_key(const baton_job *j)
{
    return j ? j->ei->key : 0;
}
uint64_t baton_job_process_instance_key(const baton_job *j)
{
    return j ? bt_ei_process(j->ei)->key : 0;
}
const char *baton_job_process_id(const baton_job *j)
{
    return j ? j->ei->proc->id : NULL;
}

static const bt_element *job_element(const baton_job *j)
{
    return bt_ei_el(j->ei);
}

const char *baton_job_element_id(const baton_job *j)
{
    return j ? job_element(j)->id : NULL;
}

size_t baton_job_header_count(const baton_job *j)
{
    return j ? job_element(j)->job.n_headers : 0;
}

const char *baton_job_header_name(const baton_job *j, size_t i)
{
    return j && i < job_element(j)->job.n_headers
               ? job_element(j)->job.headers[i].name
               : NULL;
}

const char *baton_job_header_value(const baton_job *j, size_t i)
{
    return j && i < job_element(j)->job.n_headers
               ? job_element(j)->job.headers[i].value
               : NULL;
}

const char *baton_job_header(const baton_job *j, const char *name)
{
    if (!j || !name)
        return NULL;
    const bt_element *el = job_element(j);
    for (uint32_t i = 0; i < el->job.n_headers; i++)
        if (strcmp(el->job.headers[i].name, name) == 0)
            return el->job.headers[i].value;
    return NULL;
}

int baton_job_variables(const baton_job *j, char **out, size_t *len)
{
    if (!j)
        return BATON_EINVAL;
    bt_clear_error(j->inst->engine);
    if (!out)
        return bt_error(j->inst->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_job_variables needs an output");
    json_t *all = bt_var_collect(j->ei);
    int rc = all ? bt_json_dump(&j->inst->engine->alloc, all, out, len)
                 : BATON_ENOMEM;
    json_decref(all);
    return rc ? bt_error(j->inst->engine, rc, NULL, 0, 0, NULL,
                         "out of memory")
              : 0;
}

/* What the handler in progress chose. */
static bt_outcome *outcome_of(baton_job *j)
{
    return &j->inst->engine->outcome;
}

/* Settling is only possible for the job whose handler is running, once. */
static int settle_check(baton_job *j)
{
    if (!j)
        return BATON_EINVAL;
    baton_engine *e = j->inst->engine;
    bt_clear_error(e);
    if (j->inst->engine->handler_job != j)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, job_element(j)->id,
                        "job %llu can be settled this way only inside its "
                        "handler; use baton_instance_complete_job() and "
                        "friends",
                        (unsigned long long)j->key);
    if (outcome_of(j)->kind != BT_OUT_NONE)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, job_element(j)->id,
                        "job %llu is already settled",
                        (unsigned long long)j->key);
    return 0;
}

int baton_job_complete(baton_job *j, const char *vars, size_t len)
{
    int rc = settle_check(j);
    if (rc)
        return rc;
    json_t *doc = NULL;
    if (vars && (rc = bt_json_parse(j->inst->engine, vars, len, 1,
                                    "job variables", &doc)))
        return rc;
    *outcome_of(j) = (bt_outcome){ BT_OUT_COMPLETE, 0, doc, NULL, NULL, 0 };
    return 0;
}

int baton_job_fail_backoff(baton_job *j, int retries, int64_t backoff_ms,
                           const char *message)
{
    int rc = settle_check(j);
    if (rc)
        return rc;
    baton_engine *e = j->inst->engine;
    if (retries < 0 || backoff_ms < 0)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "%s must not be negative",
                        retries < 0 ? "retries" : "the backoff");
    char *m = message ? bt_strdup(&e->alloc, message) : NULL;
    if (message && !m)
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    *outcome_of(j) =
        (bt_outcome){ BT_OUT_FAIL, retries, NULL, NULL, m, backoff_ms };
    return 0;
}

int baton_job_fail(baton_job *j, int retries, const char *message)
{
    return baton_job_fail_backoff(j, retries, 0, message);
}

int baton_job_throw_error(baton_job *j, const char *code, const char *message)
{
    int rc = settle_check(j);
    if (rc)
        return rc;
    baton_engine *e = j->inst->engine;
    if (!code || !*code)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "a BPMN error needs a code");
    char *c = bt_strdup(&e->alloc, code);
    char *m = message ? bt_strdup(&e->alloc, message) : NULL;
    if (!c || (message && !m)) {
        bt_free(&e->alloc, c);
        bt_free(&e->alloc, m);
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    *outcome_of(j) = (bt_outcome){ BT_OUT_ERROR, 0, NULL, c, m, 0 };
    return 0;
}

int baton_job_defer(baton_job *j)
{
    int rc = settle_check(j);
    if (rc)
        return rc;
    *outcome_of(j) = (bt_outcome){ BT_OUT_DEFER, 0, NULL, NULL, NULL, 0 };
    return 0;
}
