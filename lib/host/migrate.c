/*
 * migrate.c - moving live instances of the store to another deployed
 * version: baton_instance_migrate() on an instance loaded from the store,
 * its row and index rows pointed at the new version's elements, saved
 * with compare-and-swap and run, in one transaction; the batch form does
 * that for every live instance of a version, one transaction each.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "host_int.h"

/* Instances read per query of the batch's keyset walk. */
#define BATCH_PAGE 64

typedef struct mig_arg {
    uint64_t key;
    const char *process_id;
    int version;
    const char *plan;
    size_t len;
    int dry_run;
    char *report; /* the engine's report, malloc'ed; NULL when none */
} mig_arg;

static int run_update(baton_host *h, db_stmt *s, const char *what)
{
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, what);
    int rc = db_step(s);
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, what) : 0;
}

static void bind_text_or_null(db_stmt *s, int i, const char *v)
{
    if (v)
        db_bind_text(s, i, v, strlen(v));
    else
        db_bind_null(s, i);
}

/* The save keeps a job's or subscription's row by key and refreshes only
 * what a run can change (retries, due time); a migration also changes
 * what the row says about where it waits (element, process, job type and
 * headers, message and signal names), so those are rewritten here, before
 * the save. A worker holding a job keeps its lock: it settles it by key. */
static int reindex_jobs(baton_host *h, baton_instance *in, uint64_t key)
{
    size_t n = baton_instance_job_count(in);
    for (size_t i = 0; i < n; i++) {
        baton_job *j = baton_instance_job(in, i);
        char *headers = bh_job_headers_json(j);
        if (!headers)
            return bh_fail(h, BATON_ENOMEM, "out of memory");
        db_stmt *s = db_prepare(h->db,
            "UPDATE baton_jobs SET element_id = $2, process_id = $3, "
            "type = $4, headers = $5 WHERE key = $1 AND instance_key = $6");
        if (s) {
            db_bind_int64(s, 1, (int64_t)baton_job_key(j));
            bind_text_or_null(s, 2, baton_job_element_id(j));
            bind_text_or_null(s, 3, baton_job_process_id(j));
            bind_text_or_null(s, 4, baton_job_type(j));
            db_bind_text(s, 5, headers, strlen(headers));
            db_bind_int64(s, 6, (int64_t)key);
        }
        int rc = run_update(h, s, "migrating a job");
        free(headers);
        if (rc)
            return rc;
    }
    return 0;
}

static int reindex_subs(baton_host *h, baton_instance *in, uint64_t key)
{
    static const char *const upd[] = {
        "UPDATE baton_timers SET element_id = $2, due = $3 "
        "WHERE key = $1 AND instance_key = $4",
        "UPDATE baton_message_subs SET element_id = $2, name = $3, "
        "correlation_key = $5 WHERE key = $1 AND instance_key = $4",
        "UPDATE baton_signal_subs SET element_id = $2, name = $3 "
        "WHERE key = $1 AND instance_key = $4",
    };
    size_t n = baton_instance_subscription_count(in);
    for (size_t i = 0; i < n; i++) {
        int kind = baton_instance_subscription_kind(in, i);
        if (kind < BATON_SUB_TIMER || kind > BATON_SUB_SIGNAL)
            continue;
        db_stmt *s = db_prepare(h->db, upd[kind]);
        if (s) {
            db_bind_int64(s, 1,
                          (int64_t)baton_instance_subscription_key(in, i));
            bind_text_or_null(s, 2,
                              baton_instance_subscription_element_id(in, i));
            if (kind == BATON_SUB_TIMER)
                db_bind_int64(s, 3, baton_instance_subscription_due(in, i));
            else
                bind_text_or_null(s, 3,
                                  baton_instance_subscription_name(in, i));
            db_bind_int64(s, 4, (int64_t)key);
            if (kind == BATON_SUB_MESSAGE)
                bind_text_or_null(s, 5,
                    baton_instance_subscription_correlation_key(in, i));
        }
        int rc = run_update(h, s, "migrating a subscription");
        if (rc)
            return rc;
    }
    return 0;
}

static int reindex_incidents(baton_host *h, baton_instance *in, uint64_t key)
{
    size_t n = baton_instance_incident_count(in);
    for (size_t i = 0; i < n; i++) {
        db_stmt *s = db_prepare(h->db,
            "UPDATE baton_incidents SET element_id = $2 "
            "WHERE key = $1 AND instance_key = $3");
        if (s) {
            db_bind_int64(s, 1, (int64_t)baton_instance_incident_key(in, i));
            bind_text_or_null(s, 2,
                              baton_instance_incident_element_id(in, i));
            db_bind_int64(s, 3, (int64_t)key);
        }
        int rc = run_update(h, s, "migrating an incident");
        if (rc)
            return rc;
    }
    return 0;
}

/* The instance's row names its version: bh_load() checks the snapshot
 * against it, and listings and baton_host_deployments() count by it. */
static int move_row(baton_host *h, hinst *hi)
{
    const char *pid = baton_instance_process_id(hi->in);
    db_stmt *s = db_prepare(h->db,
        "UPDATE baton_instances SET process_id = $2, version = $3 "
        "WHERE key = $1 AND revision = $4");
    if (s) {
        db_bind_int64(s, 1, (int64_t)hi->key);
        db_bind_text(s, 2, pid, strlen(pid));
        db_bind_int64(s, 3, baton_instance_process_version(hi->in));
        db_bind_int64(s, 4, (int64_t)hi->revision);
    }
    return run_update(h, s, "migrating an instance");
}

static int migrate_tx(baton_host *h, void *arg)
{
    mig_arg *a = arg;
    free(a->report);
    a->report = NULL;
    hinst hi;
    int rc = bh_load(h, a->key, &hi);
    if (rc)
        return rc;
    rc = bh_ensure_version(h, a->process_id, a->version);
    if (rc) {
        bh_release(&hi);
        return rc;
    }
    char *report = NULL;
    rc = baton_instance_migrate(hi.in, a->process_id, a->version, a->plan,
                                a->len, a->dry_run, &report);
    if (report) {
        a->report = strdup(report);
        baton_free(report);
        if (!a->report) {
            bh_release(&hi);
            return bh_fail(h, BATON_ENOMEM, "out of memory");
        }
    }
    if (rc) {
        char what[96];
        snprintf(what, sizeof what, "instance %" PRIu64 " cannot migrate",
                 a->key);
        rc = bh_engine_fail(h, rc, what);
        bh_release(&hi);
        return rc;
    }
    if (a->dry_run) {
        bh_release(&hi);
        return 0;
    }
    rc = reindex_jobs(h, hi.in, hi.key);
    if (!rc)
        rc = reindex_subs(h, hi.in, hi.key);
    if (!rc)
        rc = reindex_incidents(h, hi.in, hi.key);
    if (!rc)
        rc = move_row(h, &hi);
    if (rc) {
        bh_release(&hi);
        return rc;
    }
    return bh_run_save(h, &hi);
}

/* The plan must be a JSON object before any instance is loaded: a batch
 * with a plan that is not one would refuse every instance for it. */
static int check_args(baton_host *h, const char *process_id, int version,
                      const char *plan, size_t len)
{
    if (!process_id)
        return bh_fail(h, BATON_EINVAL, "no process id to migrate to");
    if (version < 1)
        return bh_fail(h, BATON_EINVAL, "version %d: versions count from 1",
                       version);
    return bh_check_object(h, plan, len, "migration plan");
}

int baton_host_migrate(baton_host *h, uint64_t instance_key,
                       const char *process_id, int version, const char *plan,
                       size_t len, int dry_run, char **out)
{
    if (out)
        *out = NULL;
    if (!h)
        return BATON_EINVAL;
    if (plan && len == BATON_NUL)
        len = strlen(plan);
    bh_op_begin(h);
    int rc = check_args(h, process_id, version, plan, len);
    if (rc)
        return rc;
    mig_arg a = {instance_key, process_id, version, plan, plan ? len : 0,
                 dry_run, NULL};
    rc = bh_retry(h, migrate_tx, &a);
    /* A refused plan hands over its report too: it lists the reasons. */
    if (out && (!rc || rc == BATON_EMIGRATE))
        *out = a.report;
    else
        free(a.report);
    return rc;
}

/* ---- The batch ------------------------------------------------------- */

/* The next page of live instances of (process_id, version) after `after`,
 * in key order: an instance migrated meanwhile has left the version, and
 * one started meanwhile has a greater key, so each is seen at most once. */
static int next_page(baton_host *h, const char *process_id, int version,
                     int64_t after, int64_t *keys, size_t *n)
{
    *n = 0;
    db_stmt *s = db_prepare(h->db,
        "SELECT key FROM baton_instances WHERE process_id = $1 AND "
        "version = $2 AND key > $3 AND ended IS NULL AND error IS NULL "
        "ORDER BY key LIMIT $4");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "finding instances to migrate");
    db_bind_text(s, 1, process_id, strlen(process_id));
    db_bind_int64(s, 2, version);
    db_bind_int64(s, 3, after);
    db_bind_int64(s, 4, BATCH_PAGE);
    int rc;
    while ((rc = db_step(s)) == DB_ROW && *n < BATCH_PAGE)
        keys[(*n)++] = db_col_int64(s, 0);
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "finding instances to migrate") : 0;
}

/* What an instance's refusal says: the reasons of its report, or the
 * host's message as one reason (an instance that cannot be restored, one
 * that ended meanwhile). */
static json_t *refusal(baton_host *h, uint64_t key, const char *report)
{
    json_t *doc = report ? json_loads(report, 0, NULL) : NULL;
    json_t *reasons = json_object_get(doc, "refused");
    json_t *entry;
    if (json_array_size(reasons))
        entry = json_pack("{sIsO}", "key", (json_int_t)key, "refused",
                          reasons);
    else
        entry = json_pack("{sIs[{snss}]}", "key", (json_int_t)key,
                          "refused", "elementId", "reason", h->err);
    json_decref(doc);
    return entry;
}

int baton_host_migrate_all(baton_host *h, const char *process_id,
                           int from_version, int to_version,
                           const char *plan, size_t len, int dry_run,
                           char **out)
{
    if (out)
        *out = NULL;
    if (!h)
        return BATON_EINVAL;
    if (plan && len == BATON_NUL)
        len = strlen(plan);
    bh_op_begin(h);
    int rc = check_args(h, process_id, to_version, plan, len);
    if (!rc && from_version < 1)
        rc = bh_fail(h, BATON_EINVAL, "version %d: versions count from 1",
                     from_version);
    /* Both versions must exist: a typo in either is an error, not an
     * empty batch. */
    if (!rc)
        rc = bh_ensure_version(h, process_id,
                               from_version > to_version ? from_version
                                                         : to_version);
    if (rc)
        return rc;
    json_t *migrated = json_array(), *refused = json_array();
    if (!migrated || !refused) {
        json_decref(migrated);
        json_decref(refused);
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    int64_t keys[BATCH_PAGE], after = 0;
    size_t n = 0;
    do {
        bh_op_begin(h);
        rc = next_page(h, process_id, from_version, after, keys, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            after = keys[i];
            mig_arg a = {(uint64_t)keys[i], process_id, to_version, plan,
                         plan ? len : 0, dry_run, NULL};
            int one = bh_retry(h, migrate_tx, &a);
            json_t *entry = NULL;
            if (!one)
                entry = json_integer(keys[i]);
            else if (one == BATON_EMIGRATE || one == BATON_ESTATE ||
                     one == BATON_ESNAPSHOT)
                entry = refusal(h, (uint64_t)keys[i], a.report);
            else
                rc = one; /* the store, memory or the plan failed */
            free(a.report);
            if (entry && json_array_append_new(one ? refused : migrated,
                                               entry))
                entry = NULL;
            if (!rc && !entry)
                rc = bh_fail(h, BATON_ENOMEM, "out of memory");
        }
    } while (!rc && n == BATCH_PAGE);
    if (!rc) {
        json_t *doc = json_pack("{soso}", "migrated", migrated, "refused",
                                refused);
        migrated = refused = NULL;
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!text)
            rc = bh_fail(h, BATON_ENOMEM, "out of memory");
        else if (out)
            *out = text;
        else
            free(text);
        if (!rc)
            h->err[0] = '\0';
    }
    json_decref(migrated);
    json_decref(refused);
    return rc;
}
