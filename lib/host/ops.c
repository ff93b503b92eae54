/*
 * ops.c - what a client does to the store: start instances, publish
 * messages, broadcast signals, cancel, resolve incidents, set variables.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "host_int.h"

/* Keys read from a query before acting on them: a statement is never
 * held open across a change that may run the same statement. */
typedef struct keys {
    int64_t *v;
    char **a, **b; /* optional text columns */
    size_t n, cap;
} keys;

static void keys_free(keys *k)
{
    for (size_t i = 0; i < k->n; i++) {
        if (k->a)
            free(k->a[i]);
        if (k->b)
            free(k->b[i]);
    }
    free(k->v), free(k->a), free(k->b);
    memset(k, 0, sizeof *k);
}

/* Reads column 0 (int) and, with `texts`, columns 1 and 2 (text). */
static int keys_read(baton_host *h, db_stmt *s, keys *k, int texts)
{
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (k->n == k->cap) {
            size_t cap = k->cap ? 2 * k->cap : 16;
            int64_t *v = realloc(k->v, cap * sizeof *v);
            if (v)
                k->v = v;
            char **a = texts ? realloc(k->a, cap * sizeof *a) : NULL;
            if (a)
                k->a = a;
            char **b = texts ? realloc(k->b, cap * sizeof *b) : NULL;
            if (b)
                k->b = b;
            if (!v || (texts && (!a || !b))) {
                db_done(s);
                return bh_fail(h, BATON_ENOMEM, "out of memory");
            }
            k->cap = cap;
        }
        k->v[k->n] = db_col_int64(s, 0);
        if (texts) {
            k->a[k->n] = db_col_null(s, 1) ? NULL
                                           : strdup(db_col_text(s, 1, NULL));
            k->b[k->n] = db_col_null(s, 2) ? NULL
                                           : strdup(db_col_text(s, 2, NULL));
        }
        k->n++;
    }
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "reading the store") : 0;
}

/* Loads an instance that a message or signal reaches; one that cannot
 * be restored is marked FAILED and skipped (1) rather than failing the
 * delivery to all the others. */
static int load_live(baton_host *h, uint64_t key, hinst *hi)
{
    int rc = bh_load(h, key, hi);
    if (rc != BATON_ESNAPSHOT)
        return rc;
    rc = bh_mark_failed(h, key, h->err);
    return rc ? rc : 1;
}

/* ---- Start ------------------------------------------------------------ */

typedef struct start_arg {
    const char *process_id, *vars, *business_key;
    size_t len;
    uint64_t key;
} start_arg;

static int start_tx(baton_host *h, void *arg)
{
    start_arg *a = arg;
    return bh_create(h, a->process_id, NULL, a->vars, a->len,
                     a->business_key, NULL, 0, &a->key);
}

int baton_host_start(baton_host *h, const char *process_id, const char *vars,
                     size_t len, const char *business_key, uint64_t *key_out)
{
    if (!h)
        return BATON_EINVAL;
    if (!process_id) {
        bh_op_begin(h);
        return bh_fail(h, BATON_EINVAL, "no process id to start");
    }
    start_arg a = {process_id, vars, business_key,
                   vars && len == BATON_NUL ? strlen(vars) : len, 0};
    int rc = bh_retry(h, start_tx, &a);
    if (!rc && key_out)
        *key_out = a.key;
    return rc;
}

/* ---- Signals ---------------------------------------------------------- */

int bh_deliver_signal(baton_host *h, const char *name, const char *vars,
                      size_t len, size_t *count)
{
    keys k = {0};
    size_t reached = 0;
    db_stmt *s = db_prepare(h->db,
        "SELECT DISTINCT s.instance_key FROM baton_signal_subs s "
        "JOIN baton_instances i ON i.key = s.instance_key "
        "WHERE s.name = $1 AND i.error IS NULL ORDER BY s.instance_key");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "finding signal subscriptions");
    db_bind_text(s, 1, name, strlen(name));
    int rc = keys_read(h, s, &k, 0);
    for (size_t i = 0; !rc && i < k.n; i++) {
        hinst hi;
        if ((rc = load_live(h, (uint64_t)k.v[i], &hi)) != 0) {
            rc = rc > 0 ? 0 : rc;
            continue;
        }
        rc = baton_instance_signal(hi.in, name, vars, len);
        if (rc < 0) {
            rc = bh_engine_fail(h, rc, "delivering a signal");
            bh_release(&hi);
            break;
        }
        reached += rc > 0;
        rc = bh_run_save(h, &hi);
    }
    keys_free(&k);
    if (rc)
        return rc;
    s = db_prepare(h->db,
        "SELECT version, process_id, start_id FROM baton_starts "
        "WHERE kind = 3 AND name = $1 ORDER BY process_id, start_id");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "finding signal start events");
    db_bind_text(s, 1, name, strlen(name));
    rc = keys_read(h, s, &k, 1);
    for (size_t i = 0; !rc && i < k.n; i++) {
        rc = bh_create(h, k.a[i], k.b[i], vars, len, NULL, NULL, 0, NULL);
        reached += !rc;
    }
    keys_free(&k);
    if (!rc && count)
        *count = reached;
    return rc;
}

typedef struct signal_arg {
    const char *name, *vars;
    size_t len, count;
} signal_arg;

static int signal_tx(baton_host *h, void *arg)
{
    signal_arg *a = arg;
    return bh_deliver_signal(h, a->name, a->vars, a->len, &a->count);
}

int baton_host_signal(baton_host *h, const char *name, const char *vars,
                      size_t len, size_t *count)
{
    if (!h)
        return BATON_EINVAL;
    if (!name) {
        bh_op_begin(h);
        return bh_fail(h, BATON_EINVAL, "no signal name");
    }
    signal_arg a = {name, vars, vars && len == BATON_NUL ? strlen(vars) : len,
                    0};
    int rc = bh_retry(h, signal_tx, &a);
    if (!rc && count)
        *count = a.count;
    return rc;
}

/* ---- Messages --------------------------------------------------------- */

typedef struct publish_arg {
    const char *name, *ckey, *vars, *id;
    size_t len;
    int64_t ttl;
    json_t *correlated, *started;
    int64_t message_key;
    json_t *processes; /* process ids the message went to */
} publish_arg;

static int took_it(publish_arg *a, const char *process_id)
{
    return json_object_get(a->processes, process_id) != NULL;
}

static int correlate_open(baton_host *h, publish_arg *a)
{
    keys k = {0};
    db_stmt *s = db_prepare(h->db,
        "SELECT s.instance_key, i.process_id, NULL FROM baton_message_subs s "
        "JOIN baton_instances i ON i.key = s.instance_key "
        "WHERE s.name = $1 AND (s.correlation_key = $2 OR "
        "s.correlation_key IS NULL) AND i.error IS NULL "
        "ORDER BY s.key");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "finding message subscriptions");
    db_bind_text(s, 1, a->name, strlen(a->name));
    db_bind_text(s, 2, a->ckey, strlen(a->ckey));
    int rc = keys_read(h, s, &k, 1);
    for (size_t i = 0; !rc && i < k.n; i++) {
        /* The oldest subscription of each process takes it (as Zeebe: a
         * message goes at most once to a process id). */
        if (!k.a[i] || took_it(a, k.a[i]))
            continue;
        hinst hi;
        if ((rc = load_live(h, (uint64_t)k.v[i], &hi)) != 0) {
            rc = rc > 0 ? 0 : rc;
            continue;
        }
        rc = baton_instance_correlate_message(hi.in, a->name, a->ckey,
                                              a->vars, a->len);
        if (rc <= 0) {
            if (rc < 0)
                rc = bh_engine_fail(h, rc, "correlating a message");
            bh_release(&hi);
            continue;
        }
        json_array_append_new(a->correlated, json_integer(k.v[i]));
        json_object_set_new(a->processes, k.a[i], json_true());
        rc = a->ttl > 0 ? bh_record_correlation(h, a->message_key, k.v[i]) : 0;
        if (!rc)
            rc = bh_run_save(h, &hi);
        else
            bh_release(&hi);
    }
    keys_free(&k);
    return rc;
}

/* Message start events: one instance per process, unless an instance that
 * a message of the same correlation key started is still running (as
 * Zeebe). */
static int start_by_message(baton_host *h, publish_arg *a)
{
    keys k = {0};
    db_stmt *s = db_prepare(h->db,
        "SELECT version, process_id, start_id FROM baton_starts "
        "WHERE kind = 2 AND name = $1 ORDER BY process_id, start_id");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "finding message start events");
    db_bind_text(s, 1, a->name, strlen(a->name));
    int rc = keys_read(h, s, &k, 1);
    const char *last = NULL;
    for (size_t i = 0; !rc && i < k.n; i++) {
        if ((last && strcmp(last, k.a[i]) == 0) || took_it(a, k.a[i]))
            continue;
        last = k.a[i];
        if (*a->ckey) {
            s = db_prepare(h->db,
                "SELECT COUNT(*) FROM baton_instances WHERE process_id = $1 "
                "AND start_key = $2 AND ended IS NULL");
            if (!s) {
                rc = bh_db_fail(h, DB_ENOMEM, "starting by message");
                break;
            }
            db_bind_text(s, 1, k.a[i], strlen(k.a[i]));
            db_bind_text(s, 2, a->ckey, strlen(a->ckey));
            int64_t running = 0;
            rc = db_step(s);
            if (rc == DB_ROW)
                running = db_col_int64(s, 0);
            db_done(s);
            if (rc < 0) {
                rc = bh_db_fail(h, rc, "starting by message");
                break;
            }
            rc = 0;
            if (running)
                continue;
        }
        uint64_t key = 0;
        rc = bh_create(h, k.a[i], k.b[i], a->vars, a->len, NULL,
                       *a->ckey ? a->ckey : NULL,
                       a->ttl > 0 ? a->message_key : 0, &key);
        if (!rc)
            json_array_append_new(a->started, json_integer((int64_t)key));
    }
    keys_free(&k);
    return rc;
}

static int publish_tx(baton_host *h, void *arg)
{
    publish_arg *a = arg;
    json_array_clear(a->correlated);
    json_array_clear(a->started);
    json_object_clear(a->processes);
    int64_t now = bh_now(h);
    /* Before looking for subscriptions (bh_lock_messages). */
    int rc = bh_lock_messages(h);
    if (!rc)
        rc = bh_next_id(h, "next_message", &a->message_key);
    if (rc)
        return rc;
    if (a->id) {
        /* An expired message with the same id no longer counts. */
        db_stmt *s = db_prepare(h->db,
            "DELETE FROM baton_messages WHERE name = $1 AND message_id = $2 "
            "AND expires <= $3");
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "publishing");
        db_bind_text(s, 1, a->name, strlen(a->name));
        db_bind_text(s, 2, a->id, strlen(a->id));
        db_bind_int64(s, 3, now);
        rc = db_step(s);
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "publishing");
        s = db_prepare(h->db, "SELECT COUNT(*) FROM baton_messages "
                              "WHERE name = $1 AND message_id = $2");
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "publishing");
        db_bind_text(s, 1, a->name, strlen(a->name));
        db_bind_text(s, 2, a->id, strlen(a->id));
        rc = db_step(s);
        int64_t dup = rc == DB_ROW ? db_col_int64(s, 0) : 0;
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "publishing");
        if (dup)
            return bh_fail(h, BATON_HOST_ECONFLICT,
                           "message '%s' with id '%s' was already published "
                           "and is still kept", a->name, a->id);
    }
    if (a->ttl > 0) {
        db_stmt *s = db_prepare(h->db,
            "INSERT INTO baton_messages (key, name, correlation_key, "
            "message_id, variables, published, expires) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)");
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "publishing");
        db_bind_int64(s, 1, a->message_key);
        db_bind_text(s, 2, a->name, strlen(a->name));
        db_bind_text(s, 3, a->ckey, strlen(a->ckey));
        if (a->id)
            db_bind_text(s, 4, a->id, strlen(a->id));
        else
            db_bind_null(s, 4);
        db_bind_text(s, 5, a->vars, a->vars ? a->len : 0);
        db_bind_int64(s, 6, now);
        db_bind_int64(s, 7, a->ttl > INT64_MAX - now ? INT64_MAX
                                                      : now + a->ttl);
        rc = db_step(s);
        db_done(s);
        if (rc == DB_ECONSTRAINT)
            return bh_fail(h, BATON_HOST_ECONFLICT,
                           "message '%s' with id '%s' was already published",
                           a->name, a->id);
        if (rc < 0)
            return bh_db_fail(h, rc, "publishing");
    }
    rc = correlate_open(h, a);
    if (!rc)
        rc = start_by_message(h, a);
    return rc;
}

int baton_host_publish(baton_host *h, const char *name,
                       const char *correlation_key, const char *vars,
                       size_t len, int64_t ttl_ms, const char *message_id,
                       char **out)
{
    if (out)
        *out = NULL;
    if (!h)
        return BATON_EINVAL;
    if (!name || ttl_ms < 0) {
        bh_op_begin(h);
        return bh_fail(h, BATON_EINVAL, !name ? "no message name"
                                              : "a negative time to live");
    }
    if (vars && len == BATON_NUL)
        len = strlen(vars);
    if (vars) {
        bh_op_begin(h);
        int rc = bh_check_object(h, vars, len, "message variables");
        if (rc)
            return rc;
    }
    publish_arg a = {name, correlation_key ? correlation_key : "", vars,
                     message_id, vars ? len : 0, ttl_ms, json_array(),
                     json_array(), 0, json_object()};
    int rc = a.correlated && a.started && a.processes
                 ? bh_retry(h, publish_tx, &a)
                 : bh_fail(h, BATON_ENOMEM, "out of memory");
    if (!rc && out) {
        json_t *o = json_pack("{sIsOsO}", "messageKey",
                              (json_int_t)a.message_key, "correlated",
                              a.correlated, "started", a.started);
        *out = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!*out)
            rc = bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    json_decref(a.correlated);
    json_decref(a.started);
    json_decref(a.processes);
    return rc;
}

/* ---- Changes of one instance ------------------------------------------ */

static int do_cancel(baton_host *h, baton_instance *in, void *arg)
{
    (void)arg;
    int state = baton_instance_state(in);
    if (state == BATON_INSTANCE_COMPLETED || state == BATON_INSTANCE_TERMINATED)
        return bh_fail(h, BATON_ESTATE, "instance %" PRIu64 " has already "
                       "ended (%s)", baton_instance_key(in),
                       bh_state_name(state));
    int rc = baton_instance_cancel(in);
    return rc ? bh_engine_fail(h, rc, "cancelling") : 0;
}

int baton_host_cancel(baton_host *h, uint64_t key)
{
    if (!h)
        return BATON_EINVAL;
    return bh_change(h, key, do_cancel, NULL);
}

static int do_resolve(baton_host *h, baton_instance *in, void *arg)
{
    uint64_t key = *(uint64_t *)arg;
    int rc = baton_instance_resolve_incident(in, key);
    if (rc == BATON_ENOTFOUND)
        return bh_fail(h, rc, "no open incident %" PRIu64, key);
    return rc ? bh_engine_fail(h, rc, "resolving") : 0;
}

int baton_host_resolve(baton_host *h, uint64_t incident_key)
{
    if (!h)
        return BATON_EINVAL;
    int rc = bh_change(h, BH_INSTANCE_OF(incident_key), do_resolve,
                       &incident_key);
    if (rc == BATON_ENOTFOUND)
        bh_fail(h, rc, "no open incident %" PRIu64, incident_key);
    return rc;
}

typedef struct vars_arg {
    const char *vars;
    size_t len;
} vars_arg;

static int do_set_vars(baton_host *h, baton_instance *in, void *arg)
{
    vars_arg *a = arg;
    int rc = baton_instance_set_variables(in, a->vars, a->len);
    return rc ? bh_engine_fail(h, rc, "setting variables") : 0;
}

int baton_host_set_variables(baton_host *h, uint64_t key, const char *vars,
                             size_t len)
{
    if (!h)
        return BATON_EINVAL;
    vars_arg a = {vars, vars && len == BATON_NUL ? strlen(vars) : len};
    return bh_change(h, key, do_set_vars, &a);
}

typedef struct retries_arg {
    uint64_t job;
    int retries;
} retries_arg;

static int do_retries(baton_host *h, baton_instance *in, void *arg)
{
    retries_arg *a = arg;
    int rc = baton_instance_update_job_retries(in, a->job, a->retries);
    return rc ? bh_engine_fail(h, rc, "updating retries") : 0;
}

int baton_host_update_retries(baton_host *h, uint64_t job_key, int retries)
{
    if (!h)
        return BATON_EINVAL;
    retries_arg a = {job_key, retries};
    return bh_change(h, BH_INSTANCE_OF(job_key), do_retries, &a);
}
