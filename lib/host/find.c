/*
 * find.c - a filtered listing of instances, one page at a time, and the
 * BPMN a deployment was made from (docs/durable-host.md).
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * Keyset paging: a page is the next `limit` rows in key order after the
 * cursor, read from an index whose leading columns are the filter's
 * equalities and whose last is the key (schema version 2), so a page
 * costs its own rows whatever the store holds. A filter that combines a
 * process with a state other than INCIDENT reads the process's index
 * and skips the rows of other states. With incidents first the
 * listing is two segments, instances in state INCIDENT then the others,
 * each newest first; the cursor names its segment and the last key
 * shown: "i:KEY" (incidents), "o:KEY" (the others), "k:KEY" (one
 * segment).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "host_int.h"

#define MAX_LIMIT 1000

/* The columns every query selects, and their residual conditions:
 * $1 the cursor's key (INT64_MAX from the newest: a plain bound, which
 * the index seeks to rather than walking down from the newest row),
 * $2 process id, $3 version (0: any), $4 state condition (0: none,
 * 1: = $5, 2: not INCIDENT), $5 state, $6 business key, $7 limit. Each query leads with the equalities its
 * index serves, so each is a literal of its own (statements are cached
 * by their text's address). */
#define COLS                                                               \
    "SELECT i.key, i.process_id, i.version, i.state, i.business_key, "    \
    "i.created, i.updated, i.error, (SELECT COUNT(*) FROM "               \
    "baton_incidents n WHERE n.instance_key = i.key) FROM baton_instances i "
#define REST                                                               \
    "i.key < $1 "                                                         \
    "AND (CAST($3 AS INTEGER) = 0 OR i.version = $3) "                    \
    "AND (CAST($4 AS INTEGER) = 0 OR (CAST($4 AS INTEGER) = 1 AND "       \
    "i.state = $5) OR (CAST($4 AS INTEGER) = 2 AND "                      \
    "i.state <> 'INCIDENT')) "                                            \
    "ORDER BY i.key DESC LIMIT $7"

static const char by_business[] =
    COLS "WHERE i.business_key = $6 "
    "AND (CAST($2 AS TEXT) = '' OR i.process_id = $2) AND " REST;
static const char by_version[] =
    COLS "WHERE i.process_id = $2 AND i.version = $3 "
    "AND CAST($6 AS TEXT) = '' AND " REST;
static const char by_process[] =
    COLS "WHERE i.process_id = $2 AND CAST($6 AS TEXT) = '' AND " REST;
static const char by_state[] =
    COLS "WHERE i.state = $5 AND CAST($4 AS INTEGER) = 1 "
    "AND (CAST($2 AS TEXT) = '' OR i.process_id = $2) "
    "AND CAST($6 AS TEXT) = '' AND " REST;
static const char by_key[] =
    COLS "WHERE CAST($2 AS TEXT) = '' AND CAST($6 AS TEXT) = '' AND " REST;

static const char *const states[] = {"ACTIVE", "WAITING", "INCIDENT",
                                     "COMPLETED", "TERMINATED", "FAILED"};

typedef struct seg {
    int cond;          /* $4: 0 none, 1 state = $5, 2 not INCIDENT */
    const char *state; /* $5 */
    char tag;          /* its cursor's letter */
} seg;

static json_t *col(db_stmt *s, int i)
{
    return db_col_null(s, i) ? json_null()
                             : json_string(db_col_text(s, i, NULL));
}

/* Up to `want` rows of segment `g` after `after`, appended to `arr`;
 * each row's segment letter is kept in `tags`. */
static int read_segment(baton_host *h, const baton_host_instance_filter *f,
                        const seg *g, uint64_t after, size_t want,
                        json_t *arr, char *tags)
{
    /* Instances in INCIDENT are read from the state's index even with a
     * process filter: they are few, and the process's own index would
     * read all its instances to find none. */
    int incidents = g->cond == 1 && strcmp(g->state, "INCIDENT") == 0;
    const char *sql = f->business_key ? by_business
                      : incidents ? by_state
                      : f->process_id && f->version ? by_version
                      : f->process_id ? by_process
                      : g->cond == 1 ? by_state
                      : by_key;
    db_stmt *s = db_prepare(h->db, sql);
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "listing instances");
    const char *pid = f->process_id ? f->process_id : "";
    const char *bk = f->business_key ? f->business_key : "";
    const char *st = g->state ? g->state : "";
    db_bind_int64(s, 1, after ? (int64_t)after : INT64_MAX);
    db_bind_text(s, 2, pid, strlen(pid));
    db_bind_int64(s, 3, f->version);
    db_bind_int64(s, 4, g->cond);
    db_bind_text(s, 5, st, strlen(st));
    db_bind_text(s, 6, bk, strlen(bk));
    db_bind_int64(s, 7, (int64_t)want);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        json_t *o = json_pack("{sIsosIsosososIsIsI}",
            "key", (json_int_t)db_col_int64(s, 0), "processId", col(s, 1),
            "version", (json_int_t)db_col_int64(s, 2), "state", col(s, 3),
            "businessKey", col(s, 4), "error", col(s, 7),
            "created", (json_int_t)db_col_int64(s, 5),
            "updated", (json_int_t)db_col_int64(s, 6),
            "incidents", (json_int_t)db_col_int64(s, 8));
        if (!o || json_array_append_new(arr, o)) {
            db_done(s);
            return bh_fail(h, BATON_ENOMEM, "out of memory");
        }
        tags[json_array_size(arr) - 1] = g->tag;
    }
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "listing instances") : 0;
}

/* "X:KEY" into its letter and key; -1 when damaged. */
static int parse_cursor(const char *c, char *tag, uint64_t *key)
{
    if (strlen(c) < 3 || c[1] != ':' || c[2] < '1' || c[2] > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long k = strtoull(c + 2, &end, 10);
    if (errno || *end || k > INT64_MAX)
        return -1;
    *tag = c[0];
    *key = k;
    return 0;
}

static int check_filter(baton_host *h, const baton_host_instance_filter *f)
{
    if (f->state) {
        size_t i = 0;
        while (i < 6 && strcmp(states[i], f->state) != 0)
            i++;
        if (i == 6)
            return bh_fail(h, BATON_EINVAL, "unknown state '%s': one of "
                           "ACTIVE, WAITING, INCIDENT, COMPLETED, "
                           "TERMINATED, FAILED", f->state);
    }
    if (f->version < 0 || (f->version && !f->process_id))
        return bh_fail(h, BATON_EINVAL, "a version filter needs a process "
                       "id and a positive version");
    if (f->limit > MAX_LIMIT)
        return bh_fail(h, BATON_EINVAL, "a page holds at most %d instances",
                       MAX_LIMIT);
    return 0;
}

int baton_host_find_instances(baton_host *h,
                              const baton_host_instance_filter *filter,
                              char **out)
{
    if (out)
        *out = NULL;
    if (!h || !out)
        return BATON_EINVAL;
    bh_op_begin(h);
    baton_host_instance_filter f = {0};
    if (filter)
        f = *filter;
    int rc = check_filter(h, &f);
    if (rc)
        return rc;
    size_t limit = f.limit ? f.limit : 50;
    /* The segments in order: with incidents first and no state filter,
     * two; otherwise one. */
    seg segs[2];
    size_t n_segs = 0;
    int state_cond = f.state ? 1 : 0;
    if (f.incidents_first && !f.state) {
        segs[n_segs++] = (seg){1, "INCIDENT", 'i'};
        segs[n_segs++] = (seg){2, NULL, 'o'};
    } else {
        segs[n_segs++] = (seg){state_cond, f.state, 'k'};
    }
    size_t first = 0;
    uint64_t after = 0;
    if (f.cursor && *f.cursor) {
        char tag = 0;
        if (parse_cursor(f.cursor, &tag, &after) == 0)
            while (first < n_segs && segs[first].tag != tag)
                first++;
        if (!after || first == n_segs)
            return bh_fail(h, BATON_EINVAL, "the cursor '%.40s' is damaged "
                           "or from another listing: give the \"next\" text "
                           "of the previous page of the same filter",
                           f.cursor);
    }
    json_t *arr = json_array();
    char *tags = malloc(limit + 1);
    if (!arr || !tags) {
        json_decref(arr);
        free(tags);
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    }
    /* One row past the page tells whether there is a next one. */
    for (size_t g = first; g < n_segs && !rc; g++) {
        size_t have = json_array_size(arr);
        if (have > limit)
            break;
        rc = read_segment(h, &f, &segs[g], g == first ? after : 0,
                          limit + 1 - have, arr, tags);
    }
    json_t *next = json_null();
    if (!rc && json_array_size(arr) > limit) {
        json_array_remove(arr, limit);
        char text[32];
        snprintf(text, sizeof text, "%c:%" PRId64, tags[limit - 1],
                 (int64_t)json_integer_value(json_object_get(
                     json_array_get(arr, limit - 1), "key")));
        next = json_string(text);
    }
    free(tags);
    json_t *doc = rc ? NULL : json_pack("{soso}", "instances", arr, "next",
                                        next);
    if (rc) {
        json_decref(arr);
        json_decref(next);
        return rc;
    }
    *out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return *out ? 0 : bh_fail(h, BATON_ENOMEM, "out of memory");
}

int baton_host_model(baton_host *h, const char *process_id, int version,
                     char **out, size_t *len)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!h || !process_id || !out)
        return BATON_EINVAL;
    bh_op_begin(h);
    db_stmt *s = db_prepare(h->db, "SELECT model FROM baton_deployments "
                                   "WHERE process_id = $1 AND version = $2");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "reading the store");
    db_bind_text(s, 1, process_id, strlen(process_id));
    db_bind_int64(s, 2, version);
    int rc = db_step(s);
    if (rc != DB_ROW) {
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "reading the store");
        return bh_fail(h, BATON_ENOTFOUND, "no deployment of process '%s' "
                       "version %d", process_id, version);
    }
    size_t n = 0;
    const char *text = db_col_text(s, 0, &n);
    *out = malloc(n + 1);
    if (*out) {
        memcpy(*out, text ? text : "", n);
        (*out)[n] = '\0';
        if (len)
            *len = n;
    }
    db_done(s);
    return *out ? 0 : bh_fail(h, BATON_ENOMEM, "out of memory");
}
