/*
 * jobs.c - jobs that wait for workers: activation with a lock (row locks
 * skipped on PostgreSQL, so that workers never take the same job), and
 * settling by key (complete, fail, throw a BPMN error), which changes the
 * job's instance in the same transaction.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jobs.h"

void bh_job_free_list(baton_host_job **list)
{
    while (*list) {
        baton_host_job *n = (*list)->next;
        bh_job_free(*list);
        *list = n;
    }
}

void bh_job_free(baton_host_job *j)
{
    if (!j)
        return;
    free(j->type), free(j->process_id), free(j->element_id);
    free(j->variables), free(j->headers);
    free(j->vars_out), free(j->message), free(j->code);
    free(j);
}

static char *dup_col(db_stmt *s, int i)
{
    const char *t = db_col_text(s, i, NULL);
    return strdup(t ? t : "");
}

int bh_activate(baton_host *h, const char *type, const char *worker,
                size_t max, int64_t lock_ms, baton_host_job **out)
{
    *out = NULL;
    int64_t now = bh_now(h);
    db_stmt *s = db_prepare(h->db, db_kind(h->db) == DB_PG
        ? "UPDATE baton_jobs SET worker = $1, lock_until = $2 "
          "WHERE key IN (SELECT key FROM baton_jobs WHERE type = $3 "
          "AND (lock_until IS NULL OR lock_until <= $4) AND retries > 0 "
          "ORDER BY key LIMIT $5 FOR UPDATE SKIP LOCKED) "
          "RETURNING key, instance_key, type, process_id, element_id, "
          "retries, variables, headers"
        : "UPDATE baton_jobs SET worker = $1, lock_until = $2 "
          "WHERE key IN (SELECT key FROM baton_jobs WHERE type = $3 "
          "AND (lock_until IS NULL OR lock_until <= $4) AND retries > 0 "
          "ORDER BY key LIMIT $5) "
          "RETURNING key, instance_key, type, process_id, element_id, "
          "retries, variables, headers");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "activating jobs");
    db_bind_text(s, 1, worker, strlen(worker));
    db_bind_int64(s, 2, lock_ms > INT64_MAX - now ? INT64_MAX : now + lock_ms);
    db_bind_text(s, 3, type, strlen(type));
    db_bind_int64(s, 4, now);
    db_bind_int64(s, 5, (int64_t)max);
    int rc;
    int64_t taken = 0;
    baton_host_job **tail = out;
    while ((rc = db_step(s)) == DB_ROW) {
        baton_host_job *j = calloc(1, sizeof *j);
        if (j) {
            j->key = (uint64_t)db_col_int64(s, 0);
            j->instance_key = (uint64_t)db_col_int64(s, 1);
            j->type = dup_col(s, 2);
            j->process_id = dup_col(s, 3);
            j->element_id = dup_col(s, 4);
            j->retries = (int)db_col_int64(s, 5);
            j->variables = dup_col(s, 6);
            j->headers = dup_col(s, 7);
            j->deadline = now + lock_ms;
        }
        if (!j || !j->type || !j->process_id || !j->element_id ||
            !j->variables || !j->headers) {
            bh_job_free(j);
            rc = DB_ENOMEM;
            break;
        }
        *tail = j;
        tail = &j->next;
        taken++;
    }
    db_done(s);
    /* One type per call: one counter. */
    if (rc >= 0 && taken)
        bh_count(h, BH_M_ACTIVATED, type, NULL, taken);
    if (rc < 0) {
        while (*out) {
            baton_host_job *n = (*out)->next;
            bh_job_free(*out);
            *out = n;
        }
        return bh_db_fail(h, rc, "activating jobs");
    }
    return 0;
}

/* ---- Settling --------------------------------------------------------- */

static int unlock(baton_host *h, uint64_t key)
{
    db_stmt *s = db_prepare(h->db, "UPDATE baton_jobs SET worker = NULL, "
                                   "lock_until = NULL WHERE key = $1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "unlocking a job");
    db_bind_int64(s, 1, (int64_t)key);
    int rc = db_step(s);
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "unlocking a job") : 0;
}

static int apply(baton_host *h, baton_instance *in, void *arg)
{
    baton_host_job *j = arg;
    int rc = 0;
    switch (j->settled) {
    case BH_COMPLETE:
        rc = baton_instance_complete_job(in, j->key, j->vars_out,
                                         j->vars_out ? j->vars_len : 0);
        break;
    case BH_FAIL:
        rc = unlock(h, j->key);
        if (rc)
            return rc;
        rc = j->backoff > 0
            ? baton_instance_fail_job_backoff(in, j->key, j->fail_retries,
                                              j->backoff, j->message)
            : baton_instance_fail_job(in, j->key, j->fail_retries,
                                      j->message);
        break;
    case BH_ERROR:
        if (j->vars_out) {
            rc = baton_instance_set_variables(in, j->vars_out, j->vars_len);
            if (rc)
                return bh_engine_fail(h, rc, "throwing an error");
        }
        rc = baton_instance_throw_job_error(in, j->key, j->code, j->message);
        break;
    default:
        return bh_fail(h, BATON_ESTATE, "job %" PRIu64 " was not settled",
                       j->key);
    }
    if (rc == BATON_ENOTFOUND)
        return bh_fail(h, rc, "job %" PRIu64 " is not waiting: it was "
                       "completed, failed or cancelled, or never existed",
                       j->key);
    return rc ? bh_engine_fail(h, rc, "settling a job") : 0;
}

int bh_settle(baton_host *h, baton_host_job *j)
{
    hinst hi;
    int rc = bh_load(h, BH_INSTANCE_OF(j->key), &hi);
    if (rc == BATON_ENOTFOUND)
        return bh_fail(h, rc, "job %" PRIu64 " is not waiting: its instance "
                       "does not exist", j->key);
    if (rc)
        return rc;
    rc = apply(h, hi.in, j);
    if (rc) {
        bh_release(&hi);
        return rc;
    }
    return bh_run_save(h, &hi);
}

static int settle_tx(baton_host *h, void *arg)
{
    return bh_settle(h, arg);
}


static int settle_by_key(baton_host *h, baton_host_job *j)
{
    int rc = bh_retry(h, settle_tx, j);
    return rc;
}

int baton_host_complete_job(baton_host *h, uint64_t job_key,
                            const char *vars, size_t len)
{
    if (!h)
        return BATON_EINVAL;
    bh_op_begin(h);
    if (vars && len == BATON_NUL)
        len = strlen(vars);
    int rc = bh_check_object(h, vars, len, "variables");
    if (rc)
        return rc;
    baton_host_job j = {.key = job_key, .settled = BH_COMPLETE,
                        .vars_out = (char *)vars, .vars_len = len};
    return settle_by_key(h, &j);
}

int baton_host_fail_job(baton_host *h, uint64_t job_key, int retries,
                        int64_t backoff_ms, const char *message)
{
    if (!h)
        return BATON_EINVAL;
    bh_op_begin(h);
    if (retries < 0 || backoff_ms < 0)
        return bh_fail(h, BATON_EINVAL, "negative retries or backoff");
    baton_host_job j = {.key = job_key, .settled = BH_FAIL,
                        .fail_retries = retries, .backoff = backoff_ms,
                        .message = (char *)message};
    return settle_by_key(h, &j);
}

int baton_host_throw_error(baton_host *h, uint64_t job_key, const char *code,
                           const char *message, const char *vars, size_t len)
{
    if (!h)
        return BATON_EINVAL;
    bh_op_begin(h);
    if (!code || !*code)
        return bh_fail(h, BATON_EINVAL, "a BPMN error needs a code");
    if (vars && len == BATON_NUL)
        len = strlen(vars);
    int rc = bh_check_object(h, vars, len, "variables");
    if (rc)
        return rc;
    baton_host_job j = {.key = job_key, .settled = BH_ERROR,
                        .code = (char *)code, .message = (char *)message,
                        .vars_out = (char *)vars, .vars_len = len};
    return settle_by_key(h, &j);
}

/* ---- External activation as JSON lines --------------------------------- */

typedef struct act_arg {
    const char *type, *worker;
    size_t max;
    int64_t lock;
    baton_host_job *jobs;
} act_arg;

static int activate_tx(baton_host *h, void *arg)
{
    act_arg *a = arg;
    bh_job_free_list(&a->jobs); /* a try whose commit failed */
    return bh_activate(h, a->type, a->worker, a->max, a->lock, &a->jobs);
}

json_t *bh_job_json(const baton_host_job *j)
{
    json_t *headers = json_loads(j->headers, 0, NULL);
    json_t *vars = json_loads(j->variables, 0, NULL);
    return json_pack("{sIsssIsssssisIso*so*}",
        "key", (json_int_t)j->key, "type", j->type,
        "processInstanceKey", (json_int_t)j->instance_key,
        "processId", j->process_id, "elementId", j->element_id,
        "retries", j->retries, "deadline", (json_int_t)j->deadline,
        "customHeaders", headers ? headers : json_object(),
        "variables", vars ? vars : json_object());
}

int baton_host_activate_jobs(baton_host *h, const char *type,
                             const char *worker, size_t max, int64_t lock_ms,
                             char **out, size_t *count)
{
    if (out)
        *out = NULL;
    if (count)
        *count = 0;
    if (!h)
        return BATON_EINVAL;
    if (!type || !worker || !out || lock_ms <= 0) {
        bh_op_begin(h);
        return bh_fail(h, BATON_EINVAL, "activating jobs needs a type, a "
                       "worker name, an output and a positive lock time");
    }
    act_arg a = {type, worker, max ? max : 1, lock_ms, NULL};
    int rc = bh_retry(h, activate_tx, &a);
    if (rc) {
        bh_job_free_list(&a.jobs);
        return rc;
    }
    size_t n = 0, cap = 256, used = 0;
    char *buf = malloc(cap);
    for (baton_host_job *j = a.jobs; j && buf; j = j->next) {
        json_t *o = bh_job_json(j);
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        size_t l = line ? strlen(line) : 0;
        if (line && used + l + 2 > cap) {
            while (used + l + 2 > cap)
                cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
        if (!line || !buf) {
            free(line);
            free(buf);
            buf = NULL;
            break;
        }
        memcpy(buf + used, line, l);
        used += l;
        buf[used++] = '\n';
        free(line);
        n++;
    }
    bh_job_free_list(&a.jobs);
    if (!buf)
        return bh_fail(h, BATON_ENOMEM, "out of memory; the jobs stay "
                       "locked until their lock expires");
    buf[used] = '\0';
    *out = buf;
    if (count)
        *count = n;
    return 0;
}

/* ---- The job of an in-process handler ---------------------------------- */

uint64_t baton_host_job_key(const baton_host_job *j)
{
    return j ? j->key : 0;
}

uint64_t baton_host_job_instance_key(const baton_host_job *j)
{
    return j ? j->instance_key : 0;
}

const char *baton_host_job_type(const baton_host_job *j)
{
    return j ? j->type : NULL;
}

const char *baton_host_job_process_id(const baton_host_job *j)
{
    return j ? j->process_id : NULL;
}

const char *baton_host_job_element_id(const baton_host_job *j)
{
    return j ? j->element_id : NULL;
}

int baton_host_job_retries(const baton_host_job *j)
{
    return j ? j->retries : 0;
}

const char *baton_host_job_variables(const baton_host_job *j)
{
    return j ? j->variables : NULL;
}

const char *baton_host_job_headers(const baton_host_job *j)
{
    return j ? j->headers : NULL;
}

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Keeps a handler's variables, a JSON object, for the commit. */
static int keep_vars(baton_host_job *j, const char *vars, size_t len)
{
    if (len == BATON_NUL)
        len = strlen(vars);
    json_t *doc = json_loadb(vars, len, 0, NULL);
    int ok = json_is_object(doc);
    json_decref(doc);
    if (!ok)
        return BATON_EPARSE;
    if (!(j->vars_out = malloc(len + 1)))
        return BATON_ENOMEM;
    memcpy(j->vars_out, vars, len);
    j->vars_out[len] = '\0';
    j->vars_len = len;
    return BATON_OK;
}

int baton_host_job_complete(baton_host_job *j, const char *vars, size_t len)
{
    if (!j)
        return BATON_EINVAL;
    if (j->settled)
        return BATON_ESTATE;
    if (vars) {
        int rc = keep_vars(j, vars, len);
        if (rc)
            return rc;
    }
    j->settled = BH_COMPLETE;
    return BATON_OK;
}

int baton_host_job_fail(baton_host_job *j, int retries, int64_t backoff_ms,
                        const char *message)
{
    if (!j || retries < 0 || backoff_ms < 0)
        return BATON_EINVAL;
    if (j->settled)
        return BATON_ESTATE;
    if (message && !(j->message = strdup(message)))
        return BATON_ENOMEM;
    j->fail_retries = retries;
    j->backoff = backoff_ms;
    j->settled = BH_FAIL;
    return BATON_OK;
}

int baton_host_job_throw_error(baton_host_job *j, const char *code,
                               const char *message, const char *vars,
                               size_t len)
{
    if (!j || !code || !*code)
        return BATON_EINVAL;
    if (j->settled)
        return BATON_ESTATE;
    if (vars) {
        int rc = keep_vars(j, vars, len);
        if (rc)
            return rc;
    }
    if (!(j->code = strdup(code)) ||
        (message && !(j->message = dup_opt(message)))) {
        free(j->code), free(j->vars_out);
        j->code = j->vars_out = NULL;
        return BATON_ENOMEM;
    }
    j->settled = BH_ERROR;
    return BATON_OK;
}
