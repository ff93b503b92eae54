/*
 * query.c - reading the store: instances, one instance in full, incidents
 * and deployments, as JSON texts (docs/durable-host.md).
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

static json_t *col_json(db_stmt *s, int i)
{
    if (db_col_null(s, i))
        return json_null();
    return json_string(db_col_text(s, i, NULL));
}

static int finish(baton_host *h, json_t *doc, char **out)
{
    *out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return *out ? 0 : bh_fail(h, BATON_ENOMEM, "out of memory");
}

static int step_fail(baton_host *h, db_stmt *s, int rc, json_t *doc)
{
    if (s)
        db_done(s);
    json_decref(doc);
    return bh_db_fail(h, s ? rc : DB_ENOMEM, "reading the store");
}

static const char *const states[] = {"ACTIVE", "WAITING", "INCIDENT",
                                     "COMPLETED", "TERMINATED", "FAILED"};

int baton_host_instances(baton_host *h, const char *state,
                         const char *process_id, uint64_t before_key,
                         size_t limit, char **out)
{
    if (out)
        *out = NULL;
    if (!h || !out)
        return BATON_EINVAL;
    bh_op_begin(h);
    if (state) {
        size_t i = 0;
        while (i < 6 && strcmp(states[i], state) != 0)
            i++;
        if (i == 6)
            return bh_fail(h, BATON_EINVAL, "unknown state '%s': one of "
                           "ACTIVE, WAITING, INCIDENT, COMPLETED, TERMINATED, "
                           "FAILED", state);
    }
    db_stmt *s = db_prepare(h->db,
        "SELECT i.key, i.process_id, i.version, i.state, i.business_key, "
        "i.created, i.updated, i.error, (SELECT COUNT(*) FROM "
        "baton_incidents n WHERE n.instance_key = i.key) "
        "FROM baton_instances i WHERE (CAST($1 AS BIGINT) = 0 OR i.key < $1) "
        "AND (i.state = $2 OR $3 = 1) AND (i.process_id = $4 OR $5 = 1) "
        "ORDER BY i.key DESC LIMIT $6");
    json_t *arr = json_array();
    if (!s || !arr)
        return step_fail(h, s, DB_ENOMEM, arr);
    db_bind_int64(s, 1, (int64_t)before_key);
    db_bind_text(s, 2, state ? state : "", state ? strlen(state) : 0);
    db_bind_int64(s, 3, !state);
    db_bind_text(s, 4, process_id ? process_id : "",
                 process_id ? strlen(process_id) : 0);
    db_bind_int64(s, 5, !process_id);
    db_bind_int64(s, 6, limit ? (int64_t)limit : 100);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        json_t *o = json_pack("{sIsosIsosososIsI}",
            "key", (json_int_t)db_col_int64(s, 0), "processId", col_json(s, 1),
            "version", (json_int_t)db_col_int64(s, 2), "state", col_json(s, 3),
            "businessKey", col_json(s, 4), "error", col_json(s, 7),
            "created", (json_int_t)db_col_int64(s, 5),
            "updated", (json_int_t)db_col_int64(s, 6));
        if (!o || json_object_set_new(o, "incidents",
                                      json_integer(db_col_int64(s, 8))) ||
            json_array_append_new(arr, o))
            return step_fail(h, s, DB_ENOMEM, arr);
    }
    db_done(s);
    if (rc < 0) {
        json_decref(arr);
        return bh_db_fail(h, rc, "listing instances");
    }
    return finish(h, arr, out);
}

/* Rows of `sql` (bound to the instance key) as objects with `names`. */
static int rows(baton_host *h, const char *sql, uint64_t key,
                const char *const *names, const char *types, json_t **out)
{
    db_stmt *s = db_prepare(h->db, sql);
    json_t *arr = json_array();
    if (!s || !arr)
        return step_fail(h, s, DB_ENOMEM, arr);
    db_bind_int64(s, 1, (int64_t)key);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        json_t *o = json_object();
        for (int i = 0; o && names[i]; i++) {
            json_t *v;
            if (db_col_null(s, i))
                v = json_null();
            else if (types[i] == 'i')
                v = json_integer(db_col_int64(s, i));
            else if (types[i] == 'j')
                v = json_loads(db_col_text(s, i, NULL), 0, NULL);
            else
                v = json_string(db_col_text(s, i, NULL));
            if (json_object_set_new(o, names[i], v ? v : json_null()))
                break;
        }
        if (!o || json_array_append_new(arr, o))
            return step_fail(h, s, DB_ENOMEM, arr);
    }
    db_done(s);
    if (rc < 0) {
        json_decref(arr);
        return bh_db_fail(h, rc, "reading the store");
    }
    *out = arr;
    return 0;
}

static const char *const job_names[] = {"key", "type", "elementId", "retries",
                                        "worker", "deadline", NULL};
static const char *const timer_names[] = {"key", "elementId", "due", NULL};
static const char *const msub_names[] = {"key", "elementId", "name",
                                         "correlationKey", NULL};
static const char *const ssub_names[] = {"key", "elementId", "name", NULL};
static const char *const incident_names[] = {"key", "instanceKey", "type",
                                             "message", "elementId", "jobKey",
                                             "created", NULL};
static const char *const history_names[] = {"position", "record", NULL};

/* History rows hold the records of one run each; the listing has one
 * entry per record. */
static json_t *flatten(json_t *rows_in)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *row, *rec;
    json_array_foreach(rows_in, i, row) {
        json_int_t pos = json_integer_value(json_object_get(row, "position"));
        json_array_foreach(json_object_get(row, "record"), j, rec) {
            json_t *e = json_pack("{sIsO}", "position",
                                  (json_int_t)(pos + (json_int_t)j),
                                  "record", rec);
            if (!e || json_array_append_new(out, e)) {
                json_decref(out);
                json_decref(rows_in);
                return NULL;
            }
        }
    }
    json_decref(rows_in);
    return out;
}

static int instance_tx(baton_host *h, uint64_t key, int history, json_t *o)
{
    struct {
        const char *field, *sql;
        const char *const *names;
        const char *types;
    } parts[] = {
        {"jobs", "SELECT key, type, element_id, retries, worker, lock_until "
                 "FROM baton_jobs WHERE instance_key = $1 ORDER BY key",
         job_names, "issisi"},
        {"timers", "SELECT key, element_id, due FROM baton_timers "
                   "WHERE instance_key = $1 ORDER BY key", timer_names, "isi"},
        {"messageSubscriptions", "SELECT key, element_id, name, "
         "correlation_key FROM baton_message_subs WHERE instance_key = $1 "
         "ORDER BY key", msub_names, "isss"},
        {"signalSubscriptions", "SELECT key, element_id, name FROM "
         "baton_signal_subs WHERE instance_key = $1 ORDER BY key",
         ssub_names, "iss"},
        {"incidents", "SELECT key, instance_key, type, message, element_id, "
         "job_key, created FROM baton_incidents WHERE instance_key = $1 "
         "ORDER BY key", incident_names, "iisssii"},
        {"history", "SELECT position, records FROM baton_history "
         "WHERE instance_key = $1 ORDER BY position", history_names, "ij"},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!history && strcmp(parts[i].field, "history") == 0)
            continue;
        json_t *arr = NULL;
        int rc = rows(h, parts[i].sql, key, parts[i].names, parts[i].types,
                      &arr);
        if (rc)
            return rc;
        if (strcmp(parts[i].field, "history") == 0 && !(arr = flatten(arr)))
            return bh_fail(h, BATON_ENOMEM, "out of memory");
        if (json_object_set_new(o, parts[i].field, arr))
            return bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    return 0;
}

int baton_host_instance(baton_host *h, uint64_t key, int history, char **out)
{
    if (out)
        *out = NULL;
    if (!h || !out)
        return BATON_EINVAL;
    bh_op_begin(h);
    db_stmt *s = db_prepare(h->db,
        "SELECT key, process_id, version, state, business_key, created, "
        "updated, ended, error, revision, wake_at, snapshot "
        "FROM baton_instances WHERE key = $1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "reading the store");
    db_bind_int64(s, 1, (int64_t)key);
    int rc = db_step(s);
    if (rc != DB_ROW) {
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "reading the store");
        return bh_fail(h, BATON_ENOTFOUND, "no instance %" PRIu64, key);
    }
    json_t *o = json_pack("{sIsosIsosososo}",
        "key", (json_int_t)key, "processId", col_json(s, 1),
        "version", (json_int_t)db_col_int64(s, 2), "state", col_json(s, 3),
        "businessKey", col_json(s, 4), "error", col_json(s, 8),
        "wakeAt", db_col_null(s, 10) ? json_null()
                                      : json_integer(db_col_int64(s, 10)));
    if (o) {
        json_object_set_new(o, "created", json_integer(db_col_int64(s, 5)));
        json_object_set_new(o, "updated", json_integer(db_col_int64(s, 6)));
        json_object_set_new(o, "ended", db_col_null(s, 7) ? json_null()
                                      : json_integer(db_col_int64(s, 7)));
        json_object_set_new(o, "revision", json_integer(db_col_int64(s, 9)));
    }
    /* The variables come from the snapshot, restored in this engine. */
    const char *pid = db_col_text(s, 1, NULL);
    int version = (int)db_col_int64(s, 2);
    size_t size;
    const void *blob = db_col_blob(s, 11, &size);
    void *snap = size ? malloc(size) : NULL;
    char *pcopy = strdup(pid ? pid : "");
    if (snap)
        memcpy(snap, blob, size);
    int failed = !db_col_null(s, 8);
    db_done(s);
    if (!o || !pcopy || (size && !snap)) {
        free(snap), free(pcopy);
        json_decref(o);
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    json_t *vars = json_null(), *elements = json_null();
    if (!failed) {
        baton_instance *in = NULL;
        rc = bh_ensure_version(h, pcopy, version);
        if (!rc && (rc = baton_instance_restore(h->engine, snap, size, &in)))
            rc = bh_fail(h, rc, "instance %" PRIu64 " cannot be restored: "
                         "%s", key, baton_engine_errmsg(h->engine));
        char *text = NULL;
        size_t len = 0;
        if (!rc && !baton_instance_variables(in, &text, &len)) {
            json_decref(vars);
            vars = json_loadb(text, len, 0, NULL);
            baton_free(text);
        }
        if (!rc && !baton_instance_elements(in, &text, &len)) {
            json_decref(elements);
            elements = json_loadb(text, len, 0, NULL);
            baton_free(text);
        }
        baton_instance_free(in);
        if (rc) {
            json_object_set_new(o, "error", json_string(h->err));
            rc = 0;
            h->err[0] = '\0';
        }
    }
    free(snap), free(pcopy);
    json_object_set_new(o, "variables", vars ? vars : json_null());
    json_object_set_new(o, "elements", elements ? elements : json_null());
    rc = instance_tx(h, key, history, o);
    if (rc) {
        json_decref(o);
        return rc;
    }
    return finish(h, o, out);
}

int baton_host_incidents(baton_host *h, char **out)
{
    if (out)
        *out = NULL;
    if (!h || !out)
        return BATON_EINVAL;
    bh_op_begin(h);
    json_t *arr = NULL;
    /* Bound to nothing: `$1` = 0 keeps one code path with rows(). */
    int rc = rows(h, "SELECT key, instance_key, type, message, element_id, "
                     "job_key, created FROM baton_incidents "
                     "WHERE $1 = 0 ORDER BY key",
                  0, incident_names, "iisssii", &arr);
    return rc ? rc : finish(h, arr, out);
}

/* A version can be dropped when no live instance runs it and new
 * instances do not start on it (it is not its process's latest; the
 * listing is ordered by process and version). Returns 0 or -1 (out of
 * memory). */
static int mark_droppable(json_t *arr)
{
    static const char *const live[] = {"ACTIVE", "WAITING", "INCIDENT"};
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(arr, i);
        json_t *next = i + 1 < n ? json_array_get(arr, i + 1) : NULL;
        int latest =
            !next ||
            strcmp(json_string_value(json_object_get(d, "processId")),
                   json_string_value(json_object_get(next, "processId")));
        json_int_t running = 0;
        json_t *counts = json_object_get(d, "instances");
        for (size_t k = 0; k < sizeof live / sizeof *live; k++)
            running += json_integer_value(json_object_get(counts, live[k]));
        if (json_object_set_new(d, "droppable",
                                json_boolean(!latest && !running)))
            return -1;
    }
    return 0;
}

int baton_host_deployments(baton_host *h, char **out)
{
    if (out)
        *out = NULL;
    if (!h || !out)
        return BATON_EINVAL;
    bh_op_begin(h);
    db_stmt *s = db_prepare(h->db,
        "SELECT d.process_id, d.version, d.checksum, d.name, d.deployed, "
        "i.state, COUNT(i.key) FROM baton_deployments d "
        "LEFT JOIN baton_instances i ON i.process_id = d.process_id "
        "AND i.version = d.version GROUP BY d.process_id, d.version, "
        "d.checksum, d.name, d.deployed, i.state "
        "ORDER BY d.process_id, d.version");
    json_t *arr = json_array();
    if (!s || !arr)
        return step_fail(h, s, DB_ENOMEM, arr);
    int rc;
    json_t *cur = NULL;
    while ((rc = db_step(s)) == DB_ROW) {
        const char *pid = db_col_text(s, 0, NULL);
        json_int_t v = db_col_int64(s, 1);
        if (!cur ||
            strcmp(json_string_value(json_object_get(cur, "processId")),
                   pid) != 0 ||
            json_integer_value(json_object_get(cur, "version")) != v) {
            char sum[24];
            snprintf(sum, sizeof sum, "%016" PRIx64,
                     (uint64_t)db_col_int64(s, 2));
            cur = json_pack("{sssIsssosIs{}}", "processId", pid, "version", v,
                            "checksum", sum, "name", col_json(s, 3),
                            "deployed", (json_int_t)db_col_int64(s, 4),
                            "instances");
            if (!cur || json_array_append_new(arr, cur))
                return step_fail(h, s, DB_ENOMEM, arr);
        }
        if (!db_col_null(s, 5))
            json_object_set_new(json_object_get(cur, "instances"),
                                db_col_text(s, 5, NULL),
                                json_integer(db_col_int64(s, 6)));
    }
    db_done(s);
    if (rc < 0) {
        json_decref(arr);
        return bh_db_fail(h, rc, "reading the store");
    }
    return mark_droppable(arr) ? step_fail(h, NULL, DB_ENOMEM, arr)
                               : finish(h, arr, out);
}

/* ---- Incidents grouped by process, element and type ---------------- */

#define GROUP_SAMPLE 20

static int group_order(const void *x, const void *y)
{
    json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    json_int_t na = json_integer_value(json_object_get(a, "count"));
    json_int_t nb = json_integer_value(json_object_get(b, "count"));
    if (na != nb)
        return na < nb ? 1 : -1;
    /* Equal counts: the group with the newer incident first. */
    json_int_t ka = json_integer_value(json_object_get(a, "newest"));
    json_int_t kb = json_integer_value(json_object_get(b, "newest"));
    return ka < kb ? 1 : ka > kb ? -1 : 0;
}

/* Adds incident row `s` (process, element, type, instance, message,
 * created, key; newest first) to its group in `by_name`/`list`. */
static int add_to_group(db_stmt *s, json_t *by_name, json_t *list)
{
    const char *proc = db_col_text(s, 0, NULL);
    const char *el = db_col_null(s, 1) ? "" : db_col_text(s, 1, NULL);
    const char *type = db_col_text(s, 2, NULL);
    json_int_t inst = db_col_int64(s, 3);
    size_t n = strlen(proc) + strlen(el) + strlen(type) + 4;
    char *name = malloc(n);
    if (!name)
        return -1;
    /* NUL cannot occur in the texts; \x1f separates them in the name
     * and a leading "-"/"+" tells a null element from an empty one. */
    snprintf(name, n, "%c%s\x1f%s\x1f%s", db_col_null(s, 1) ? '-' : '+',
             proc, el, type);
    json_t *g = json_object_get(by_name, name);
    if (!g) {
        g = json_pack("{s:s, s:o, s:s, s:I, s:o, s:o, s:[], s:I}",
                      "processId", proc, "elementId",
                      db_col_null(s, 1) ? json_null() : json_string(el),
                      "type", type, "count", (json_int_t)0, "message",
                      col_json(s, 4), "created",
                      json_integer(db_col_int64(s, 5)), "instances",
                      "newest", (json_int_t)db_col_int64(s, 6));
        if (!g || json_object_set_new(by_name, name, g) ||
            json_array_append(list, g)) {
            free(name);
            return -1;
        }
    }
    free(name);
    json_t *count = json_object_get(g, "count");
    json_integer_set(count, json_integer_value(count) + 1);
    json_t *keys = json_object_get(g, "instances");
    size_t k = json_array_size(keys);
    if (k >= GROUP_SAMPLE)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (json_integer_value(json_array_get(keys, i)) == inst)
            return 0;
    return json_array_append_new(keys, json_integer(inst));
}

int baton_host_incident_groups(baton_host *h, char **out)
{
    if (out)
        *out = NULL;
    if (!h || !out)
        return BATON_EINVAL;
    bh_op_begin(h);
    db_stmt *s = db_prepare(h->db,
        "SELECT i.process_id, n.element_id, n.type, n.instance_key, "
        "n.message, n.created, n.key FROM baton_incidents n "
        "JOIN baton_instances i ON i.key = n.instance_key "
        "ORDER BY n.key DESC");
    json_t *by_name = json_object(), *list = json_array();
    if (!s || !by_name || !list) {
        json_decref(by_name);
        return step_fail(h, s, DB_ENOMEM, list);
    }
    int rc;
    while ((rc = db_step(s)) == DB_ROW)
        if (add_to_group(s, by_name, list)) {
            json_decref(by_name);
            return step_fail(h, s, DB_ENOMEM, list);
        }
    db_done(s);
    json_decref(by_name);
    if (rc < 0) {
        json_decref(list);
        return bh_db_fail(h, rc, "reading the incidents");
    }
    size_t n = json_array_size(list);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    json_t *sorted = json_array();
    if (!v || !sorted) {
        free(v);
        json_decref(sorted);
        json_decref(list);
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(list, i);
    qsort(v, n, sizeof *v, group_order);
    for (size_t i = 0; i < n; i++) {
        json_object_del(v[i], "newest");
        if (json_array_append(sorted, v[i])) {
            free(v);
            json_decref(sorted);
            json_decref(list);
            return bh_fail(h, BATON_ENOMEM, "out of memory");
        }
    }
    free(v);
    json_decref(list);
    return finish(h, sorted, out);
}
