/*
 * host.c - the host's connection: errors, the clock, transactions, the
 * engine and the deployments it has loaded from the store.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "host_int.h"

static const int64_t setting_default[] = {0, 60000, 100, 32, 1};
#define N_SETTINGS (sizeof setting_default / sizeof setting_default[0])

int bh_fail(baton_host *h, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
    return code;
}

int bh_db_fail(baton_host *h, int dbrc, const char *what)
{
    h->last_db = dbrc;
    if (dbrc == DB_ENOMEM)
        return bh_fail(h, BATON_ENOMEM, "out of memory %s", what);
    if (dbrc == DB_ECONN)
        h->conn_lost = 1;
    bh_fail(h, BATON_HOST_ESTORE, "store failed %s: %s", what,
            db_errmsg(h->db));
    return BATON_HOST_ESTORE;
}

int bh_engine_fail(baton_host *h, int code, const char *what)
{
    const baton_engine *e = h->engine;
    const char *m = baton_engine_errmsg(e);
    const char *src = baton_engine_errsource(e);
    const char *el = baton_engine_errelement(e);
    int line = baton_engine_errline(e), col = baton_engine_errcolumn(e);
    char where[512] = "";
    if (src && *src && line > 0)
        snprintf(where, sizeof where, "%s:%d:%d: ", src, line, col);
    else if (src && *src)
        snprintf(where, sizeof where, "%s: ", src);
    return bh_fail(h, code, "%s: %s%s%s%s%s", what, where,
                   m && *m ? m : baton_strerror(code),
                   el && *el && (!m || !strstr(m, el)) ? " (element '" : "",
                   el && *el && (!m || !strstr(m, el)) ? el : "",
                   el && *el && (!m || !strstr(m, el)) ? "')" : "");
}

static int64_t system_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bh_now(baton_host *h)
{
    if (!h->now)
        h->now = h->clock ? h->clock(h->clock_ud) : system_ms();
    return h->now;
}

static int64_t engine_clock(void *ud)
{
    return bh_now(ud);
}

static void record_sink(void *ud, baton_instance *in, const baton_record *rec)
{
    baton_host *h = ud;
    if (h->rec_failed)
        return;
    if (h->n_recs == h->cap_recs) {
        size_t cap = h->cap_recs ? 2 * h->cap_recs : 64;
        hrec *n = realloc(h->recs, cap * sizeof *n);
        if (!n) {
            h->rec_failed = 1;
            return;
        }
        h->recs = n;
        h->cap_recs = cap;
    }
    hrec *r = &h->recs[h->n_recs];
    if (baton_record_to_json(rec, &r->json, NULL) != BATON_OK) {
        h->rec_failed = 1;
        return;
    }
    r->instance = baton_instance_key(in);
    r->position = baton_record_position(rec);
    r->value_type = baton_record_value_type(rec);
    r->intent = baton_record_intent(rec);
    h->n_recs++;
    bh_count_record(h, rec, r->json);
}

void bh_clear_recs(baton_host *h)
{
    for (size_t i = 0; i < h->n_recs; i++)
        baton_free(h->recs[i].json);
    h->n_recs = 0;
    h->rec_failed = 0;
}

void bh_op_begin(baton_host *h)
{
    h->err[0] = '\0';
    h->now = 0;
    h->last_db = 0;
    h->notify = 0;
    bh_clear_recs(h);
    bh_tally_clear(h);
    if (h->conn_lost && db_reconnect(h->db) == DB_OK)
        h->conn_lost = 0;
}

int bh_begin(baton_host *h)
{
    int rc = db_begin(h->db);
    return rc < 0 ? bh_db_fail(h, rc, "beginning a transaction") : 0;
}

int bh_commit(baton_host *h)
{
    int rc = db_commit(h->db);
    return rc < 0 ? bh_db_fail(h, rc, "committing") : 0;
}

void bh_rollback(baton_host *h)
{
    if (db_in_transaction(h->db))
        db_rollback(h->db);
}

/* An operation failed on an instance whose snapshot cannot be restored:
 * mark it FAILED in a transaction of its own, so that no worker takes its
 * jobs again, and keep the operation's own error. */
static void mark_damaged(baton_host *h)
{
    char why[sizeof h->err];
    memcpy(why, h->err, sizeof why);
    uint64_t key = h->damaged;
    if (bh_begin(h) == 0) {
        if (bh_mark_failed(h, key, why) == 0)
            bh_commit(h);
        bh_rollback(h);
    }
    memcpy(h->err, why, sizeof why);
}

int bh_retry(baton_host *h, int (*op)(baton_host *h, void *arg), void *arg)
{
    int rc = 0;
    h->damaged = 0;
    for (int attempt = 0; attempt < 50; attempt++) {
        bh_op_begin(h);
        rc = bh_begin(h);
        h->notify = 0;
        if (!rc)
            rc = op(h, arg);
        /* Idle workers on PostgreSQL wait on LISTEN; others poll. */
        if (!rc && h->schema >= 2)
            rc = bh_tally_flush(h);
        if (!rc && h->notify && db_kind(h->db) == DB_PG &&
            (rc = db_notify(h->db, "baton_work")) < 0)
            rc = bh_db_fail(h, rc, "notifying workers");
        if (!rc)
            rc = bh_commit(h);
        if (!rc) {
            bh_tally_committed(h);
            return 0;
        }
        bh_rollback(h);
        bh_clear_recs(h);
        bh_tally_clear(h);
        if (h->damaged) {
            mark_damaged(h);
            break;
        }
        int busy = h->last_db == DB_EBUSY || rc == BATON_HOST_ECONFLICT;
        if (!busy || attempt == 49)
            break;
        struct timespec ts = {0, (long)(1 + attempt * 2) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return rc;
}

int bh_check_object(baton_host *h, const char *text, size_t len,
                    const char *what)
{
    if (!text)
        return 0;
    json_error_t e;
    json_t *doc = json_loadb(text, len, 0, &e);
    int ok = json_is_object(doc);
    json_decref(doc);
    if (ok)
        return 0;
    return bh_fail(h, BATON_EPARSE, "%s: %s", what,
                   doc ? "not a JSON object" : e.text);
}

const char *bh_state_name(int state)
{
    switch (state) {
    case BATON_INSTANCE_ACTIVE: return "ACTIVE";
    case BATON_INSTANCE_WAITING: return "WAITING";
    case BATON_INSTANCE_INCIDENT: return "INCIDENT";
    case BATON_INSTANCE_COMPLETED: return "COMPLETED";
    case BATON_INSTANCE_TERMINATED: return "TERMINATED";
    default: return "FAILED";
    }
}

/* ---- Deployments in the engine ------------------------------------ */

static hproc *find_proc(baton_host *h, const char *id, int add)
{
    for (size_t i = 0; i < h->n_procs; i++)
        if (strcmp(h->procs[i].id, id) == 0)
            return &h->procs[i];
    if (!add)
        return NULL;
    if (h->n_procs == h->cap_procs) {
        size_t cap = h->cap_procs ? 2 * h->cap_procs : 8;
        hproc *n = realloc(h->procs, cap * sizeof *n);
        if (!n)
            return NULL;
        h->procs = n;
        h->cap_procs = cap;
    }
    char *copy = strdup(id);
    if (!copy)
        return NULL;
    h->procs[h->n_procs] = (hproc){copy, 0};
    return &h->procs[h->n_procs++];
}

/* The engine numbers the versions of a process id in the order they are
 * deployed, so version v is loaded after 1..v-1, from the store's rows. */
int bh_ensure_version(baton_host *h, const char *process_id, int version)
{
    hproc *p = find_proc(h, process_id, 1);
    if (!p)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    if (p->loaded >= version)
        return 0;
    db_stmt *s = db_prepare(h->db,
        "SELECT version, model, name FROM baton_deployments "
        "WHERE process_id = $1 AND version > $2 AND version <= $3 "
        "ORDER BY version");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "reading deployments");
    db_bind_text(s, 1, process_id, strlen(process_id));
    db_bind_int64(s, 2, p->loaded);
    db_bind_int64(s, 3, version);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        int v = (int)db_col_int64(s, 0);
        size_t len;
        const char *xml = db_col_text(s, 1, &len);
        const char *name = db_col_text(s, 2, NULL);
        if (v != p->loaded + 1) {
            db_done(s);
            return bh_fail(h, BATON_HOST_ESCHEMA,
                           "process '%s' lacks version %d in the store",
                           process_id, p->loaded + 1);
        }
        baton_model *m = NULL;
        int lrc = baton_model_load(h->engine, xml, len, name, &m);
        if (!lrc) {
            int got = 0;
            lrc = baton_engine_deploy(h->engine, m, process_id, &got);
            baton_model_free(m);
        }
        if (lrc) {
            db_done(s);
            return bh_engine_fail(h, lrc, "loading a stored deployment");
        }
        p->loaded = v;
    }
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "reading deployments");
    if (p->loaded < version)
        return bh_fail(h, BATON_ENOTFOUND,
                       "process '%s' version %d is not deployed", process_id,
                       version);
    return 0;
}

int bh_latest_version(baton_host *h, const char *process_id, int *version)
{
    db_stmt *s = db_prepare(h->db,
        "SELECT MAX(version) FROM baton_deployments WHERE process_id = $1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "reading deployments");
    db_bind_text(s, 1, process_id, strlen(process_id));
    int rc = db_step(s);
    int v = rc == DB_ROW && !db_col_null(s, 0) ? (int)db_col_int64(s, 0) : 0;
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "reading deployments");
    if (!v)
        return bh_fail(h, BATON_ENOTFOUND, "process '%s' is not deployed",
                       process_id);
    *version = v;
    return 0;
}

/* The engine's resolver: a call activity, or a snapshot being restored,
 * needs a deployment the engine has not loaded yet (another process of
 * the store, or a version another worker deployed since). A failure
 * leaves it missing, which the call activity's incident or the restore's
 * error then reports. */
static void resolve(void *ud, baton_engine *e, const char *process_id,
                    int version)
{
    baton_host *h = ud;
    (void)e;
    int v = version;
    if (v || !bh_latest_version(h, process_id, &v))
        (void)bh_ensure_version(h, process_id, v);
}

int bh_next_id(baton_host *h, const char *counter, int64_t *out)
{
    db_stmt *s = db_prepare(h->db,
        "UPDATE baton_meta SET value = value + 1 WHERE name = $1 "
        "RETURNING value");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "counting");
    db_bind_text(s, 1, counter, strlen(counter));
    int rc = db_step(s);
    if (rc == DB_ROW)
        *out = db_col_int64(s, 0);
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "counting");
    if (rc != DB_ROW)
        return bh_fail(h, BATON_HOST_ESCHEMA, "the store lacks counter '%s'",
                       counter);
    return 0;
}

int bh_next_ordinal(baton_host *h, uint64_t *ordinal)
{
    int64_t v = 0;
    int rc;
    if (db_kind(h->db) == DB_PG) {
        /* A sequence, so that concurrent starts do not queue on one row. */
        db_stmt *s = db_prepare(h->db, "SELECT nextval('baton_instance_seq')");
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "counting");
        rc = db_step(s);
        if (rc == DB_ROW)
            v = db_col_int64(s, 0);
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "counting instances");
    } else if ((rc = bh_next_id(h, "next_instance", &v))) {
        return rc;
    }
    if (v <= 0 || v >= ((int64_t)1 << 31))
        return bh_fail(h, BATON_ELIMIT, "the store has used every instance "
                       "key (%lld)", (long long)v);
    *ordinal = (uint64_t)v;
    return 0;
}

/* ---- Public ---------------------------------------------------------- */

int baton_host_open(const char *uri, baton_host **out)
{
    if (!out)
        return BATON_EINVAL;
    *out = NULL;
    baton_host *h = calloc(1, sizeof *h);
    if (!h)
        return BATON_ENOMEM;
    h->wake_fd[0] = h->wake_fd[1] = -1;
    bh_tally_init(h);
    for (size_t i = 0; i < N_SETTINGS; i++)
        h->settings[i] = setting_default[i];
    *out = h;
    if (!uri)
        uri = "sqlite:baton.db";
    if (strncmp(uri, "sqlite:", 7) != 0 &&
        strncmp(uri, "postgresql://", 13) != 0 &&
        strncmp(uri, "postgres://", 11) != 0)
        return bh_fail(h, BATON_EINVAL, "unknown store '%.*s': use "
                       "sqlite:PATH or postgresql://...",
                       (int)strcspn(uri, ":@/"), uri);
    int rc = baton_engine_new(NULL, NULL, &h->engine);
    if (rc)
        return bh_fail(h, rc, "out of memory");
    baton_engine_set_clock(h->engine, engine_clock, h);
    baton_engine_set_record_sink(h->engine, record_sink, h);
    baton_engine_set_resolver(h->engine, resolve, h);
    int drc = db_open(uri, &h->db);
    if (drc != DB_OK) {
        if (drc == DB_ENOMEM || !h->db)
            return bh_fail(h, drc == DB_ENOMEM ? BATON_ENOMEM
                                               : BATON_HOST_ESTORE,
                           "cannot open the store");
        bh_fail(h, BATON_HOST_ESTORE, "cannot open the store: %s",
                db_errmsg(h->db));
        db_close(h->db);
        h->db = NULL;
        return BATON_HOST_ESTORE;
    }
    return bh_schema_open(h);
}

void baton_host_free(void *buffer)
{
    free(buffer);
}

void baton_host_close(baton_host *h)
{
    if (!h)
        return;
    bh_clear_recs(h);
    free(h->recs);
    bh_tally_clear(h);
    free(h->tally);
    for (size_t i = 0; i < h->n_procs; i++)
        free(h->procs[i].id);
    free(h->procs);
    for (size_t i = 0; i < h->n_handlers; i++)
        free(h->handlers[i].type);
    free(h->handlers);
    if (h->db)
        db_close(h->db);
    baton_engine_free(h->engine);
    for (int i = 0; i < 2; i++)
        if (h->wake_fd[i] >= 0)
            close(h->wake_fd[i]);
    free(h);
}

const char *baton_host_errmsg(const baton_host *h)
{
    return h ? h->err : "no host";
}

const char *baton_host_store_kind(const baton_host *h)
{
    return h && h->db && db_kind(h->db) == DB_PG ? "postgresql" : "sqlite";
}

int baton_host_store_schema_version(const baton_host *h)
{
    return h ? h->schema : 0;
}

void baton_host_set_clock(baton_host *h, baton_clock_fn fn, void *ud)
{
    if (h) {
        h->clock = fn;
        h->clock_ud = fn ? ud : NULL;
    }
}

void baton_host_set_log(baton_host *h, baton_log_fn fn, void *ud)
{
    if (h) {
        h->log = fn;
        h->log_ud = fn ? ud : NULL;
    }
}

void bh_log(baton_host *h, int level, const char *fmt, ...)
{
    if (!h->log)
        return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->log(h->log_ud, level, msg);
}

const char *baton_host_strerror(int code)
{
    switch (code) {
    case BATON_HOST_ESTORE: return "the store failed";
    case BATON_HOST_ECONFLICT: return "changed by another worker first";
    case BATON_HOST_ESCHEMA: return "not a Baton store, or a newer one";
    default: return baton_strerror(code);
    }
}

int64_t baton_host_set(baton_host *h, int setting, int64_t value)
{
    if (!h)
        return BATON_EINVAL;
    bh_op_begin(h);
    if (setting < 0 || (size_t)setting >= N_SETTINGS)
        return bh_fail(h, BATON_EINVAL, "no setting number %d", setting);
    if (value < 0 || (value == 0 && (setting == BATON_HOST_BATCH ||
                                     setting == BATON_HOST_POLL_MS ||
                                     setting == BATON_HOST_LEASE_MS)))
        return bh_fail(h, BATON_EINVAL, "setting %d cannot be %lld",
                       setting, (long long)value);
    int64_t old = h->settings[setting];
    h->settings[setting] = value;
    return old;
}
