/*
 * save.c - an instance taken from the store and put back: restore, run
 * until it waits, save with compare-and-swap on the revision, and keep
 * the tables that index it (jobs, timers, subscriptions, incidents,
 * history) in step in the same transaction.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "host_int.h"

/* A signal depth beyond which throws are refused: a process whose signal
 * starts another instance that throws it again would never end. */
#define MAX_SIGNAL_DEPTH 16

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

static void bind_opt_text(db_stmt *s, int i, const char *v)
{
    if (v)
        db_bind_text(s, i, v, strlen(v));
    else
        db_bind_null(s, i);
}

static int run_stmt(baton_host *h, db_stmt *s, const char *what)
{
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, what);
    int rc = db_step(s);
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, what) : 0;
}

void bh_release(hinst *hi)
{
    baton_instance_free(hi->in);
    free(hi->business_key);
    free(hi->start_key);
    memset(hi, 0, sizeof *hi);
}

int bh_mark_failed(baton_host *h, uint64_t key, const char *why)
{
    h->damaged = 0; /* handled in this transaction */
    bh_log(h, BATON_LOG_ERROR, "instance %" PRIu64 " is marked FAILED: %s",
           key, why);
    /* Its jobs cannot be settled any more; its snapshot and history stay
     * for inspection. */
    db_stmt *d = db_prepare(h->db,
        "DELETE FROM baton_jobs WHERE instance_key = $1");
    if (d)
        db_bind_int64(d, 1, (int64_t)key);
    int rc = run_stmt(h, d, "marking an instance failed");
    if (rc)
        return rc;
    db_stmt *s = db_prepare(h->db,
        "UPDATE baton_instances SET state = 'FAILED', error = $2, "
        "ready = 0, wake_at = NULL, updated = $3 WHERE key = $1");
    if (s) {
        db_bind_int64(s, 1, (int64_t)key);
        db_bind_text(s, 2, why, strlen(why));
        db_bind_int64(s, 3, bh_now(h));
    }
    return run_stmt(h, s, "marking an instance failed");
}

int bh_load(baton_host *h, uint64_t key, hinst *hi)
{
    memset(hi, 0, sizeof *hi);
    db_stmt *s = db_prepare(h->db, db_kind(h->db) == DB_PG
        ? "SELECT process_id, version, revision, snapshot, business_key, "
          "start_key, error, indexed FROM baton_instances WHERE key = $1 "
          "FOR UPDATE"
        : "SELECT process_id, version, revision, snapshot, business_key, "
          "start_key, error, indexed FROM baton_instances WHERE key = $1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "loading an instance");
    db_bind_int64(s, 1, (int64_t)key);
    int rc = db_step(s);
    if (rc != DB_ROW) {
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "loading an instance");
        return bh_fail(h, BATON_ENOTFOUND, "no instance %" PRIu64, key);
    }
    char *pid = strdup(db_col_text(s, 0, NULL));
    int version = (int)db_col_int64(s, 1);
    uint64_t revision = (uint64_t)db_col_int64(s, 2);
    size_t size;
    const void *snap = db_col_blob(s, 3, &size);
    void *copy = size ? malloc(size) : NULL;
    if (copy)
        memcpy(copy, snap, size);
    hi->business_key = db_col_null(s, 4) ? NULL
                                         : strdup(db_col_text(s, 4, NULL));
    hi->start_key = db_col_null(s, 5) ? NULL : strdup(db_col_text(s, 5, NULL));
    char *error = db_col_null(s, 6) ? NULL : strdup(db_col_text(s, 6, NULL));
    hi->indexed = (unsigned)db_col_int64(s, 7);
    db_done(s);
    if (!pid || (size && !copy)) {
        free(pid), free(copy), free(error);
        bh_release(hi);
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    if (error) {
        rc = bh_fail(h, BATON_ESTATE, "instance %" PRIu64 " is FAILED: %s",
                     key, error);
        free(pid), free(copy), free(error);
        bh_release(hi);
        return rc;
    }
    rc = bh_ensure_version(h, pid, version);
    if (!rc) {
        rc = baton_instance_restore(h->engine, copy, size, &hi->in);
        if (rc) {
            bh_fail(h, rc, "instance %" PRIu64 " cannot be restored: %s", key,
                    baton_engine_errmsg(h->engine));
            if (rc == BATON_ESNAPSHOT)
                h->damaged = key;
        } else if (baton_instance_key(hi->in) != key ||
                   strcmp(baton_instance_process_id(hi->in), pid) != 0 ||
                   baton_instance_process_version(hi->in) != version ||
                   baton_instance_revision(hi->in) != revision) {
            rc = bh_fail(h, BATON_ESNAPSHOT,
                         "instance %" PRIu64 " cannot be restored: its "
                         "snapshot is of instance %" PRIu64 " of '%s' "
                         "version %d at revision %" PRIu64 ", the row says "
                         "'%s' version %d at revision %" PRIu64,
                         key, baton_instance_key(hi->in),
                         baton_instance_process_id(hi->in),
                         baton_instance_process_version(hi->in),
                         baton_instance_revision(hi->in), pid, version,
                         revision);
            h->damaged = key;
        }
    }
    free(pid), free(copy);
    if (rc) {
        bh_release(hi);
        return rc;
    }
    unsigned indexed = hi->indexed;
    hi->key = key;
    hi->revision = revision;
    hi->indexed = indexed;
    return 0;
}

/* ---- The index tables ------------------------------------------------ */

char *bh_job_headers_json(baton_job *j)
{
    json_t *o = json_object();
    size_t n = baton_job_header_count(j);
    for (size_t i = 0; o && i < n; i++)
        if (json_object_set_new(o, baton_job_header_name(j, i),
                                json_string(baton_job_header_value(j, i))))
            break;
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* Refreshes the row of a job that has one, leaving its variables: 1 when
 * there was a row, 0 when the job is new. */
static int keep_job(baton_host *h, baton_job *j, int64_t gen)
{
    db_stmt *s = db_prepare(h->db, "UPDATE baton_jobs SET retries = $2, "
                                   "gen = $3 WHERE key = $1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "saving a job");
    db_bind_int64(s, 1, (int64_t)baton_job_key(j));
    db_bind_int64(s, 2, baton_job_retries(j));
    db_bind_int64(s, 3, gen);
    int rc = db_step(s);
    int64_t changed = rc >= 0 ? db_changes(s) : 0;
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "saving a job");
    return changed > 0;
}

static int sync_jobs(baton_host *h, baton_instance *in, uint64_t key,
                     int64_t gen)
{
    size_t n = baton_instance_job_count(in);
    if (n)
        h->notify = 1;
    /* A job row keeps the variables it sees; they are written again only
     * when this change set a variable (a VARIABLE record), not on every
     * save of every waiting job. */
    int vars_changed = 0;
    for (size_t r = 0; r < h->n_recs && !vars_changed; r++)
        vars_changed = h->recs[r].value_type == BATON_VT_VARIABLE;
    for (size_t i = 0; i < n; i++) {
        baton_job *j = baton_instance_job(in, i);
        if (!vars_changed) {
            int kept = keep_job(h, j, gen);
            if (kept < 0)
                return kept;
            if (kept)
                continue;
        }
        char *vars = NULL;
        size_t vlen = 0;
        if (baton_job_variables(j, &vars, &vlen))
            return bh_fail(h, BATON_ENOMEM, "out of memory");
        char *headers = bh_job_headers_json(j);
        if (!headers) {
            baton_free(vars);
            return bh_fail(h, BATON_ENOMEM, "out of memory");
        }
        /* A job keeps its lock across saves: the worker that holds it
         * settles it by key. */
        db_stmt *s = db_prepare(h->db,
            "INSERT INTO baton_jobs (key, instance_key, type, element_id, "
            "process_id, retries, variables, headers, gen) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "ON CONFLICT (key) DO UPDATE SET retries = excluded.retries, "
            "variables = excluded.variables, gen = excluded.gen");
        if (s) {
            const char *type = baton_job_type(j);
            const char *el = baton_job_element_id(j);
            const char *pid = baton_job_process_id(j);
            db_bind_int64(s, 1, (int64_t)baton_job_key(j));
            db_bind_int64(s, 2, (int64_t)key);
            db_bind_text(s, 3, type, slen(type));
            db_bind_text(s, 4, el, slen(el));
            db_bind_text(s, 5, pid, slen(pid));
            db_bind_int64(s, 6, baton_job_retries(j));
            db_bind_text(s, 7, vars, vlen);
            db_bind_text(s, 8, headers, strlen(headers));
            db_bind_int64(s, 9, gen);
        }
        int rc = run_stmt(h, s, "saving a job");
        baton_free(vars);
        free(headers);
        if (rc)
            return rc;
    }
    return 0;
}

/* Upserts one subscription row; *added tells whether it is new. */
static int sync_sub(baton_host *h, baton_instance *in, size_t i,
                    uint64_t key, int64_t gen, int *added)
{
    int kind = baton_instance_subscription_kind(in, i);
    static const char *const upd[] = {
        "UPDATE baton_timers SET gen = $2, due = $3 WHERE key = $1",
        "UPDATE baton_message_subs SET gen = $2 WHERE key = $1",
        "UPDATE baton_signal_subs SET gen = $2 WHERE key = $1",
    };
    static const char *const ins[] = {
        "INSERT INTO baton_timers (key, instance_key, element_id, due, gen) "
        "VALUES ($1, $2, $3, $4, $5)",
        "INSERT INTO baton_message_subs (key, instance_key, element_id, "
        "name, correlation_key, gen) VALUES ($1, $2, $3, $4, $5, $6)",
        "INSERT INTO baton_signal_subs (key, instance_key, element_id, name, "
        "gen) VALUES ($1, $2, $3, $4, $5)",
    };
    *added = 0;
    if (kind < 0 || kind > BATON_SUB_SIGNAL)
        return 0;
    int64_t skey = (int64_t)baton_instance_subscription_key(in, i);
    db_stmt *s = db_prepare(h->db, upd[kind]);
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "saving a subscription");
    db_bind_int64(s, 1, skey);
    db_bind_int64(s, 2, gen);
    if (kind == BATON_SUB_TIMER)
        db_bind_int64(s, 3, baton_instance_subscription_due(in, i));
    int rc = db_step(s);
    int64_t changed = rc >= 0 ? db_changes(s) : 0;
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "saving a subscription");
    if (changed)
        return 0;
    *added = 1;
    s = db_prepare(h->db, ins[kind]);
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "saving a subscription");
    const char *el = baton_instance_subscription_element_id(in, i);
    db_bind_int64(s, 1, skey);
    db_bind_int64(s, 2, (int64_t)key);
    db_bind_text(s, 3, el, slen(el));
    if (kind == BATON_SUB_TIMER) {
        db_bind_int64(s, 4, baton_instance_subscription_due(in, i));
        db_bind_int64(s, 5, gen);
    } else {
        const char *name = baton_instance_subscription_name(in, i);
        db_bind_text(s, 4, name, slen(name));
        if (kind == BATON_SUB_MESSAGE) {
            bind_opt_text(s, 5,
                          baton_instance_subscription_correlation_key(in, i));
            db_bind_int64(s, 6, gen);
        } else {
            db_bind_int64(s, 5, gen);
        }
    }
    return run_stmt(h, s, "saving a subscription");
}

static int sync_incidents(baton_host *h, baton_instance *in, uint64_t key,
                          int64_t gen)
{
    size_t n = baton_instance_incident_count(in);
    for (size_t i = 0; i < n; i++) {
        db_stmt *s = db_prepare(h->db,
            "INSERT INTO baton_incidents (key, instance_key, element_id, "
            "type, message, job_key, created, gen) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (key) DO UPDATE SET gen = excluded.gen, "
            "message = excluded.message");
        if (s) {
            uint64_t job = baton_instance_incident_job_key(in, i);
            db_bind_int64(s, 1, (int64_t)baton_instance_incident_key(in, i));
            db_bind_int64(s, 2, (int64_t)key);
            bind_opt_text(s, 3, baton_instance_incident_element_id(in, i));
            const char *type = baton_instance_incident_type(in, i);
            db_bind_text(s, 4, type, slen(type));
            bind_opt_text(s, 5, baton_instance_incident_message(in, i));
            if (job)
                db_bind_int64(s, 6, (int64_t)job);
            else
                db_bind_null(s, 6);
            db_bind_int64(s, 7, bh_now(h));
            db_bind_int64(s, 8, gen);
        }
        int rc = run_stmt(h, s, "saving an incident");
        if (rc)
            return rc;
    }
    return 0;
}

/* Deletes the rows the save did not rewrite, in the tables where the
 * instance had rows before (bits of `indexed`, in the order of del[]). */
static int drop_stale(baton_host *h, uint64_t key, int64_t gen,
                      unsigned indexed)
{
    static const char *const del[] = {
        "DELETE FROM baton_jobs WHERE instance_key = $1 AND gen <> $2",
        "DELETE FROM baton_timers WHERE instance_key = $1 AND gen <> $2",
        "DELETE FROM baton_message_subs WHERE instance_key = $1 AND gen <> $2",
        "DELETE FROM baton_signal_subs WHERE instance_key = $1 AND gen <> $2",
        "DELETE FROM baton_incidents WHERE instance_key = $1 AND gen <> $2",
    };
    for (size_t i = 0; i < sizeof del / sizeof del[0]; i++) {
        if (!(indexed & (1u << i)))
            continue;
        db_stmt *s = db_prepare(h->db, del[i]);
        if (s) {
            db_bind_int64(s, 1, (int64_t)key);
            db_bind_int64(s, 2, gen);
        }
        int rc = run_stmt(h, s, "saving an instance");
        if (rc)
            return rc;
    }
    return 0;
}

/* A kept message for a subscription that just opened: correlates the
 * oldest one this instance has not had yet. Returns 1 when one did. */
static int buffered_message(baton_host *h, hinst *hi, size_t i)
{
    baton_instance *in = hi->in;
    const char *name = baton_instance_subscription_name(in, i);
    const char *ckey = baton_instance_subscription_correlation_key(in, i);
    db_stmt *s = db_prepare(h->db,
        "SELECT m.key, m.correlation_key, m.variables FROM baton_messages m "
        "WHERE m.name = $1 AND (m.correlation_key = $2 OR $3 = 1) "
        "AND m.expires > $4 AND NOT EXISTS (SELECT 1 FROM "
        "baton_message_correlations c WHERE c.message_key = m.key AND "
        "c.instance_key = $5) ORDER BY m.key LIMIT 1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "reading kept messages");
    db_bind_text(s, 1, name, slen(name));
    bind_opt_text(s, 2, ckey);
    db_bind_int64(s, 3, ckey ? 0 : 1);
    db_bind_int64(s, 4, bh_now(h));
    db_bind_int64(s, 5, (int64_t)hi->key);
    int rc = db_step(s);
    if (rc != DB_ROW) {
        db_done(s);
        return rc < 0 ? bh_db_fail(h, rc, "reading kept messages") : 0;
    }
    int64_t mkey = db_col_int64(s, 0);
    char *mck = db_col_null(s, 1) ? NULL : strdup(db_col_text(s, 1, NULL));
    size_t vlen = 0;
    char *vars = db_col_null(s, 2) ? NULL : strdup(db_col_text(s, 2, &vlen));
    db_done(s);
    rc = baton_instance_correlate_message(in, name, mck, vars, vlen);
    free(mck);
    free(vars);
    if (rc < 0)
        return bh_engine_fail(h, rc, "correlating a kept message");
    if (rc == 0)
        return 0;
    rc = bh_record_correlation(h, mkey, (int64_t)hi->key);
    return rc ? rc : 1;
}

int bh_lock_messages(baton_host *h)
{
    if (db_kind(h->db) != DB_PG)
        return 0;
    int rc = db_exec(h->db, "SELECT pg_advisory_xact_lock(66051967)");
    return rc < 0 ? bh_db_fail(h, rc, "locking kept messages") : 0;
}

int bh_record_correlation(baton_host *h, int64_t mkey, int64_t ikey)
{
    db_stmt *s = db_prepare(h->db, "INSERT INTO baton_message_correlations "
                                   "(message_key, instance_key) VALUES ($1, $2)");
    if (s) {
        db_bind_int64(s, 1, mkey);
        db_bind_int64(s, 2, ikey);
    }
    return run_stmt(h, s, "recording a correlation");
}

/* Syncs the index tables; returns 1 when a kept message correlated to a
 * new subscription (the instance must run again). */
static int sync_all(baton_host *h, hinst *hi, int64_t gen)
{
    baton_instance *in = hi->in;
    int rc = sync_jobs(h, in, hi->key, gen);
    if (!rc)
        rc = sync_incidents(h, in, hi->key, gen);
    size_t n = baton_instance_subscription_count(in);
    int again = 0;
    unsigned mask = (baton_instance_job_count(in) ? 1u : 0) |
                    (baton_instance_incident_count(in) ? 16u : 0);
    for (size_t i = 0; i < n; i++) {
        int kind = baton_instance_subscription_kind(in, i);
        if (kind >= BATON_SUB_TIMER && kind <= BATON_SUB_SIGNAL)
            mask |= 2u << kind;
    }
    for (size_t i = 0; !rc && i < n; i++) {
        int added = 0;
        rc = sync_sub(h, in, i, hi->key, gen, &added);
        if (!rc && added && !again &&
            baton_instance_subscription_kind(in, i) == BATON_SUB_MESSAGE) {
            /* After the subscription's row, so that a publish waiting for
             * the lock finds it (bh_lock_messages). */
            rc = bh_lock_messages(h);
            if (!rc)
                rc = buffered_message(h, hi, i);
            if (rc == 1) {
                again = 1;
                rc = 0;
            }
        }
    }
    if (!rc)
        rc = drop_stale(h, hi->key, gen, hi->indexed);
    if (!rc)
        hi->indexed = mask;
    return rc ? rc : again;
}

static int write_row(baton_host *h, hinst *hi, const void *snap, size_t size)
{
    baton_instance *in = hi->in;
    int state = baton_instance_state(in);
    int ended = state == BATON_INSTANCE_COMPLETED ||
                state == BATON_INSTANCE_TERMINATED;
    int64_t due = 0;
    int has_due = baton_instance_next_due(in, &due) == 1;
    int ready = state == BATON_INSTANCE_ACTIVE;
    int64_t now = bh_now(h);
    /* The run fired all that was due now; a due time that is still not
     * later would have a worker run it in a loop. */
    if (has_due && due <= now)
        due = now + 1000;
    if (ready || has_due)
        h->notify = 1;
    db_stmt *s;
    if (!hi->revision) {
        s = db_prepare(h->db,
            "INSERT INTO baton_instances (key, process_id, version, state, "
            "revision, snapshot, business_key, start_key, created, updated, "
            "ended, wake_at, ready, indexed) VALUES ($1, $2, $3, $4, $5, $6, "
            "$7, $8, $9, $9, $10, $11, $12, $14)");
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "saving an instance");
        const char *pid = baton_instance_process_id(in);
        db_bind_text(s, 2, pid, strlen(pid));
        db_bind_int64(s, 3, baton_instance_process_version(in));
        bind_opt_text(s, 7, hi->business_key);
        bind_opt_text(s, 8, hi->start_key);
    } else {
        s = db_prepare(h->db,
            "UPDATE baton_instances SET state = $4, revision = $5, "
            "snapshot = $6, updated = $9, ended = $10, wake_at = $11, "
            "ready = $12, indexed = $14 WHERE key = $1 AND revision = $13");
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "saving an instance");
        db_bind_int64(s, 13, (int64_t)hi->revision);
    }
    const char *st = bh_state_name(state);
    db_bind_int64(s, 1, (int64_t)hi->key);
    db_bind_text(s, 4, st, strlen(st));
    db_bind_int64(s, 5, (int64_t)baton_instance_revision(in));
    db_bind_blob(s, 6, snap, size);
    db_bind_int64(s, 9, now);
    if (ended)
        db_bind_int64(s, 10, now);
    else
        db_bind_null(s, 10);
    if (has_due)
        db_bind_int64(s, 11, due);
    else
        db_bind_null(s, 11);
    db_bind_int64(s, 12, ready);
    db_bind_int64(s, 14, hi->indexed);
    int rc = db_step(s);
    int64_t changed = rc >= 0 ? db_changes(s) : 0;
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "saving an instance");
    if (!changed)
        return bh_fail(h, BATON_HOST_ECONFLICT,
                       "instance %" PRIu64 " was changed by another worker",
                       hi->key);
    return 0;
}

static int insert_history(baton_host *h, size_t from, size_t to)
{
    size_t len = 2;
    for (size_t i = from; i < to; i++)
        len += strlen(h->recs[i].json) + 1;
    char *text = malloc(len + 1), *p = text;
    if (!text)
        return bh_fail(h, BATON_ENOMEM, "out of memory keeping records");
    *p++ = '[';
    for (size_t i = from; i < to; i++) {
        size_t n = strlen(h->recs[i].json);
        if (i > from)
            *p++ = ',';
        memcpy(p, h->recs[i].json, n);
        p += n;
    }
    *p++ = ']';
    *p = '\0';
    db_stmt *s = db_prepare(h->db,
        "INSERT INTO baton_history (instance_key, position, last_position, "
        "records) VALUES ($1, $2, $3, $4)");
    if (s) {
        db_bind_int64(s, 1, (int64_t)h->recs[from].instance);
        db_bind_int64(s, 2, (int64_t)h->recs[from].position);
        db_bind_int64(s, 3, (int64_t)h->recs[to - 1].position);
        db_bind_text(s, 4, text, (size_t)(p - text));
    }
    int rc = run_stmt(h, s, "writing the history");
    free(text);
    return rc;
}

static int write_history(baton_host *h)
{
    if (h->rec_failed)
        return bh_fail(h, BATON_ENOMEM, "out of memory keeping records");
    if (!h->settings[BATON_HOST_HISTORY])
        return 0;
    size_t from = 0;
    for (size_t i = 1; i <= h->n_recs; i++) {
        if (i < h->n_recs && h->recs[i].instance == h->recs[from].instance)
            continue;
        int rc = insert_history(h, from, i);
        if (rc)
            return rc;
        from = i;
    }
    return 0;
}

/* The signals the run broadcast, as [[name, variables-or-null], ...]. */
static json_t *take_signals(baton_host *h)
{
    json_t *list = NULL;
    for (size_t i = 0; i < h->n_recs; i++) {
        hrec *r = &h->recs[i];
        if (r->value_type != BATON_VT_SIGNAL ||
            r->intent != BATON_INTENT_BROADCASTED)
            continue;
        json_t *doc = json_loads(r->json, 0, NULL);
        json_t *value = json_object_get(doc, "value");
        json_t *name = json_object_get(value, "signalName");
        if (json_is_string(name)) {
            if (!list)
                list = json_array();
            json_t *vars = json_object_get(value, "variables");
            json_array_append_new(list,
                json_pack("[OO]", name, vars ? vars : json_null()));
        }
        json_decref(doc);
    }
    return list;
}

int bh_run_save(baton_host *h, hinst *hi)
{
    int rc = 0;
    void *snap = NULL;
    size_t size = 0;
    for (int round = 0;; round++) {
        rc = baton_instance_run(hi->in, 0);
        if (rc < 0 && rc != BATON_EBUDGET) {
            rc = bh_engine_fail(h, rc, "running the instance");
            goto out;
        }
        rc = sync_all(h, hi, (int64_t)baton_instance_revision(hi->in));
        if (rc < 0)
            goto out;
        if (rc == 0 || round > 1000)
            break;
    }
    rc = baton_instance_snapshot(hi->in, &snap, &size);
    if (rc) {
        rc = bh_engine_fail(h, rc, "taking a snapshot");
        goto out;
    }
    rc = write_row(h, hi, snap, size);
    baton_free(snap);
    if (!rc)
        rc = write_history(h);
    if (rc)
        goto out;
    json_t *signals = take_signals(h);
    bh_clear_recs(h);
    bh_release(hi);
    size_t i;
    json_t *sig;
    json_array_foreach(signals, i, sig) {
        json_t *vars = json_array_get(sig, 1);
        char *vtext = json_is_object(vars) ? json_dumps(vars, JSON_COMPACT)
                                           : NULL;
        if (h->signal_depth >= MAX_SIGNAL_DEPTH) {
            rc = bh_fail(h, BATON_ELIMIT, "signal '%s' was thrown %d levels "
                         "deep: signals that start instances that throw "
                         "them again never end",
                         json_string_value(json_array_get(sig, 0)),
                         MAX_SIGNAL_DEPTH);
        } else {
            h->signal_depth++;
            rc = bh_deliver_signal(h, json_string_value(json_array_get(sig, 0)),
                                   vtext, vtext ? strlen(vtext) : 0, NULL);
            h->signal_depth--;
        }
        free(vtext);
        if (rc)
            break;
    }
    json_decref(signals);
    return rc;
out:
    bh_release(hi);
    return rc;
}

int bh_create(baton_host *h, const char *process_id, const char *start_id,
              const char *vars, size_t len, const char *business_key,
              const char *start_key, int64_t message_key,
              uint64_t *key_out)
{
    int version = 0;
    uint64_t ordinal = 0;
    int rc = bh_latest_version(h, process_id, &version);
    if (!rc)
        rc = bh_ensure_version(h, process_id, version);
    if (!rc)
        rc = bh_next_ordinal(h, &ordinal);
    if (rc)
        return rc;
    hinst hi = {0};
    rc = baton_engine_set_next_instance(h->engine, ordinal);
    if (!rc)
        rc = start_id ? baton_instance_create_at(h->engine, process_id,
                                                 start_id, vars, len, &hi.in)
                      : baton_instance_create(h->engine, process_id, vars,
                                              len, &hi.in);
    if (rc)
        return bh_engine_fail(h, rc, "starting an instance");
    hi.key = baton_instance_key(hi.in);
    if ((business_key && !(hi.business_key = strdup(business_key))) ||
        (start_key && !(hi.start_key = strdup(start_key)))) {
        bh_release(&hi);
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    if (key_out)
        *key_out = hi.key;
    /* The message that started it does not correlate to it again. */
    if (message_key && (rc = bh_record_correlation(h, message_key,
                                                   (int64_t)hi.key))) {
        bh_release(&hi);
        return rc;
    }
    return bh_run_save(h, &hi);
}

/* ---- One change of one instance, in its own transaction ------------- */

typedef struct change {
    uint64_t key;
    bh_change_fn fn;
    void *arg;
} change;

static int change_tx(baton_host *h, void *arg)
{
    change *c = arg;
    hinst hi;
    int rc = bh_load(h, c->key, &hi);
    if (rc)
        return rc;
    rc = c->fn(h, hi.in, c->arg);
    if (rc) {
        bh_release(&hi);
        return rc;
    }
    return bh_run_save(h, &hi);
}

int bh_change(baton_host *h, uint64_t key, bh_change_fn fn, void *arg)
{
    change c = {key, fn, arg};
    return bh_retry(h, change_tx, &c);
}
