/*
 * metrics.c - the store's counters (table baton_metrics, schema version 2)
 * and baton_host_metrics(), which reads them with the figures the other
 * tables give (docs/durable-host.md, "Metrics").
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * A transaction tallies its increments in memory (bh_count) and writes
 * them just before it commits, one upsert per distinct counter, in a
 * fixed order (two transactions upserting the same rows lock them alike
 * and do not deadlock). Each host writes the rows of its own shard, one
 * of a few per counter, so that many PostgreSQL workers do not queue on
 * one hot row; the reader sums the shards.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "host_int.h"

#define N_SHARDS 8

/* Commit latency bounds in microseconds (docs/durable-host.md gives them
 * in seconds). */
static const int64_t bounds_us[BH_LATENCY_BUCKETS - 1] = {
    1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000};

static const char *const metric_names[] = {
    [BH_M_COMPLETED] = "element_completed",
    [BH_M_ACTIVATED] = "job_activated",
    [BH_M_FAILED] = "job_failed",
    [BH_M_COMMIT_BUCKET] = "commit_bucket",
    [BH_M_COMMIT_US] = "commit_us",
};

static char *copy(const char *s)
{
    return strdup(s ? s : "");
}

void bh_count(baton_host *h, int metric, const char *a, const char *b,
              int64_t n)
{
    if (!a)
        a = "";
    if (!b)
        b = "";
    for (size_t i = 0; i < h->n_tally; i++) {
        htally *t = &h->tally[i];
        if (t->metric == metric && strcmp(t->a, a) == 0 &&
            strcmp(t->b, b) == 0) {
            t->n += n;
            return;
        }
    }
    if (h->n_tally == h->cap_tally) {
        size_t cap = h->cap_tally ? 2 * h->cap_tally : 16;
        htally *v = realloc(h->tally, cap * sizeof *v);
        if (!v) {
            h->tally_failed = 1;
            return;
        }
        h->tally = v;
        h->cap_tally = cap;
    }
    htally *t = &h->tally[h->n_tally];
    t->metric = metric;
    t->n = n;
    t->a = copy(a);
    t->b = copy(b);
    if (!t->a || !t->b) {
        free(t->a), free(t->b);
        h->tally_failed = 1;
        return;
    }
    h->n_tally++;
}

void bh_tally_clear(baton_host *h)
{
    for (size_t i = 0; i < h->n_tally; i++)
        free(h->tally[i].a), free(h->tally[i].b);
    h->n_tally = 0;
    h->tally_failed = 0;
}

/* The value of `field` in the record's JSON text: the first occurrence
 * is the record's own (the value object's ids and the job type come
 * before any text a variable carries). Escaped text is read with a
 * parser. Returns 0 and fills `buf`, or -1. */
static int record_field(const char *json, const char *field, char *buf,
                        size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":\"", field);
    const char *p = strstr(json, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    size_t n = strcspn(p, "\"\\");
    if (p[n] == '"' && n < cap) {
        memcpy(buf, p, n);
        buf[n] = '\0';
        return 0;
    }
    json_t *doc = json_loads(json, 0, NULL);
    const char *v = json_string_value(
        json_object_get(json_object_get(doc, "value"), field));
    int rc = v && strlen(v) < cap ? (strcpy(buf, v), 0) : -1;
    json_decref(doc);
    return rc;
}

void bh_count_record(baton_host *h, const baton_record *rec, const char *json)
{
    int vt = baton_record_value_type(rec), intent = baton_record_intent(rec);
    char pid[512], type[512];
    if (vt == BATON_VT_PROCESS_INSTANCE &&
        intent == BATON_INTENT_ELEMENT_COMPLETED) {
        if (record_field(json, "bpmnProcessId", pid, sizeof pid) == 0)
            bh_count(h, BH_M_COMPLETED, pid, baton_record_element_id(rec),
                     1);
    } else if (vt == BATON_VT_JOB && intent == BATON_INTENT_FAILED) {
        if (record_field(json, "type", type, sizeof type) == 0)
            bh_count(h, BH_M_FAILED, type, NULL, 1);
    }
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t bh_latency_start(void)
{
    return mono_us();
}

void bh_latency_end(baton_host *h, int64_t start)
{
    int64_t us = mono_us() - start;
    size_t b = 0;
    while (b < BH_LATENCY_BUCKETS - 1 && us > bounds_us[b])
        b++;
    h->lat_counts[b]++;
    h->lat_sum_us += us;
}

static int cmp_tally(const void *x, const void *y)
{
    const htally *a = x, *b = y;
    if (a->metric != b->metric)
        return a->metric - b->metric;
    int c = strcmp(a->a, b->a);
    return c ? c : strcmp(a->b, b->b);
}

static int upsert(baton_host *h, int metric, const char *a, const char *b,
                  int64_t n)
{
    db_stmt *s = db_prepare(h->db,
        "INSERT INTO baton_metrics (name, label1, label2, shard, value) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name, label1, label2, "
        "shard) DO UPDATE SET value = baton_metrics.value + excluded.value");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "counting");
    const char *name = metric_names[metric];
    db_bind_text(s, 1, name, strlen(name));
    db_bind_text(s, 2, a, strlen(a));
    db_bind_text(s, 3, b, strlen(b));
    db_bind_int64(s, 4, h->shard);
    db_bind_int64(s, 5, n);
    int rc = db_step(s);
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "counting") : 0;
}

int bh_tally_flush(baton_host *h)
{
    if (h->tally_failed)
        return bh_fail(h, BATON_ENOMEM, "out of memory counting");
    /* The latency of earlier commits joins this transaction's counts. */
    for (size_t b = 0; b < BH_LATENCY_BUCKETS; b++)
        if (h->lat_counts[b]) {
            char idx[4];
            snprintf(idx, sizeof idx, "%zu", b);
            bh_count(h, BH_M_COMMIT_BUCKET, idx, NULL, h->lat_counts[b]);
        }
    if (h->lat_sum_us)
        bh_count(h, BH_M_COMMIT_US, NULL, NULL, h->lat_sum_us);
    if (h->tally_failed)
        return bh_fail(h, BATON_ENOMEM, "out of memory counting");
    if (!h->n_tally)
        return 0; /* qsort() takes no NULL array, even an empty one */
    qsort(h->tally, h->n_tally, sizeof *h->tally, cmp_tally);
    for (size_t i = 0; i < h->n_tally; i++) {
        htally *t = &h->tally[i];
        if (!t->n)
            continue;
        int rc = upsert(h, t->metric, t->a, t->b, t->n);
        if (rc)
            return rc;
    }
    return 0;
}

void bh_tally_committed(baton_host *h)
{
    bh_tally_clear(h);
    memset(h->lat_counts, 0, sizeof h->lat_counts);
    h->lat_sum_us = 0;
}

void bh_tally_init(baton_host *h)
{
    h->shard = (int)(((uintptr_t)h >> 4) ^ (uintptr_t)getpid()) % N_SHARDS;
}

/* ---- Reading ---------------------------------------------------------- */

/* Rows of `sql` (bound to `now`) as objects: `names` with `types` 's'
 * (text) or 'i' (integer), appended to the array `field` of `doc`. */
static int read_rows(baton_host *h, json_t *doc, const char *field,
                     const char *sql, int64_t now, const char *const *names,
                     const char *types)
{
    json_t *arr = json_array();
    db_stmt *s = db_prepare(h->db, sql);
    if (!arr || !s || json_object_set_new(doc, field, arr)) {
        if (s)
            db_done(s);
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    db_bind_int64(s, 1, now);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        json_t *o = json_object();
        for (int i = 0; o && names[i]; i++) {
            json_t *v = types[i] == 'i'
                ? json_integer(db_col_int64(s, i))
                : json_string(db_col_text(s, i, NULL)
                                  ? db_col_text(s, i, NULL) : "");
            if (json_object_set_new(o, names[i], v)) {
                json_decref(o);
                o = NULL;
            }
        }
        if (!o || json_array_append_new(arr, o)) {
            db_done(s);
            return bh_fail(h, BATON_ENOMEM, "out of memory");
        }
    }
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "reading the figures") : 0;
}

static const char *const inst_names[] = {"processId", "version", "state",
                                         "count", NULL};
static const char *const inc_names[] = {"processId", "elementId", "type",
                                        "count", NULL};
static const char *const comp_names[] = {"processId", "elementId", "count",
                                         NULL};
static const char *const job_names[] = {"type", "count", NULL};

static int read_latency(baton_host *h, json_t *doc)
{
    db_stmt *s = db_prepare(h->db,
        "SELECT name, label1, SUM(value) FROM baton_metrics "
        "WHERE name IN ('commit_bucket', 'commit_us') AND CAST($1 AS BIGINT) >= 0 "
        "GROUP BY name, label1");
    if (!s)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    db_bind_int64(s, 1, 0);
    int64_t per[BH_LATENCY_BUCKETS] = {0}, sum_us = 0;
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        const char *name = db_col_text(s, 0, NULL);
        int64_t v = db_col_int64(s, 2);
        if (strcmp(name, "commit_us") == 0) {
            sum_us += v;
        } else {
            long b = strtol(db_col_text(s, 1, NULL), NULL, 10);
            if (b >= 0 && b < BH_LATENCY_BUCKETS)
                per[b] += v;
        }
    }
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "reading the figures");
    json_t *bounds = json_array(), *counts = json_array();
    int64_t cum = 0;
    for (size_t b = 0; b < BH_LATENCY_BUCKETS; b++) {
        if (b < BH_LATENCY_BUCKETS - 1)
            json_array_append_new(bounds,
                                  json_real((double)bounds_us[b] / 1e6));
        cum += per[b];
        json_array_append_new(counts, json_integer(cum));
    }
    json_t *o = json_pack("{sosos f sI}", "bounds", bounds, "counts", counts,
                          "sum", (double)sum_us / 1e6, "count",
                          (json_int_t)cum);
    if (!o || json_object_set_new(doc, "commitLatency", o))
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    return 0;
}

static int read_timers(baton_host *h, json_t *doc, int64_t now)
{
    /* Instance timers and the timer start events the host triggers. */
    db_stmt *s = db_prepare(h->db,
        "SELECT COUNT(*), MIN(due) FROM (SELECT due FROM baton_timers "
        "WHERE due <= $1 UNION ALL SELECT due FROM baton_starts "
        "WHERE due IS NOT NULL AND due <= $1) t");
    if (!s)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    db_bind_int64(s, 1, now);
    int rc = db_step(s);
    int64_t n = 0, lag = 0;
    if (rc == DB_ROW) {
        n = db_col_int64(s, 0);
        lag = n && !db_col_null(s, 1) ? now - db_col_int64(s, 1) : 0;
    }
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "reading the figures");
    if (json_object_set_new(doc, "timersDue", json_integer(n)) ||
        json_object_set_new(doc, "timerLagMs", json_integer(lag)))
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    return 0;
}

int baton_host_metrics(baton_host *h, char **out)
{
    if (out)
        *out = NULL;
    if (!h || !out)
        return BATON_EINVAL;
    bh_op_begin(h);
    int64_t now = bh_now(h);
    json_t *doc = json_pack("{sI}", "now", (json_int_t)now);
    if (!doc)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    /* `$1` is bound in every query: one code path in read_rows(). */
    int rc = read_rows(h, doc, "instances",
        "SELECT process_id, version, state, COUNT(*) FROM baton_instances "
        "WHERE CAST($1 AS BIGINT) >= 0 GROUP BY process_id, version, state "
        "ORDER BY process_id, version, state", now, inst_names, "sisi");
    if (!rc)
        rc = read_rows(h, doc, "incidents",
            "SELECT i.process_id, COALESCE(n.element_id, ''), n.type, "
            "COUNT(*) FROM baton_incidents n JOIN baton_instances i "
            "ON i.key = n.instance_key WHERE CAST($1 AS BIGINT) >= 0 "
            "GROUP BY i.process_id, n.element_id, n.type "
            "ORDER BY i.process_id, n.element_id, n.type", now, inc_names,
            "sssi");
    if (!rc)
        rc = read_rows(h, doc, "elementCompletions",
            "SELECT label1, label2, SUM(value) FROM baton_metrics "
            "WHERE name = 'element_completed' AND CAST($1 AS BIGINT) >= 0 "
            "GROUP BY label1, label2 ORDER BY label1, label2", now,
            comp_names, "ssi");
    if (!rc)
        rc = read_rows(h, doc, "jobActivations",
            "SELECT label1, SUM(value) FROM baton_metrics "
            "WHERE name = 'job_activated' AND CAST($1 AS BIGINT) >= 0 "
            "GROUP BY label1 ORDER BY label1", now, job_names, "si");
    if (!rc)
        rc = read_rows(h, doc, "jobFailures",
            "SELECT label1, SUM(value) FROM baton_metrics "
            "WHERE name = 'job_failed' AND CAST($1 AS BIGINT) >= 0 "
            "GROUP BY label1 ORDER BY label1", now, job_names, "si");
    if (!rc)
        rc = read_timers(h, doc, now);
    if (!rc)
        rc = read_latency(h, doc);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return *out ? 0 : bh_fail(h, BATON_ENOMEM, "out of memory");
}
