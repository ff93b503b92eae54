/*
 * db.c - the store's connection: opening by URI scheme, the statement
 * cache, transactions' bookkeeping and the error message, common to
 * db_sqlite.c and db_pg.c.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L

#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- errors ---- */

/* Copies src into dst (DB_ERRMSG_MAX bytes) with every secret replaced
 * by "***", line breaks and tabs made single spaces and trailing white
 * space removed. */
static void scrub(const db *d, const char *src, char *dst)
{
    size_t o = 0;
    const char *p = src;
    while (*p && o + 1 < DB_ERRMSG_MAX) {
        /* Multi-line messages (libpq's) become one line. */
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            while (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ')
                p++;
            if (o > 0 && dst[o - 1] != ' ')
                dst[o++] = ' ';
            continue;
        }
        int hit = 0;
        for (int k = 0; k < d->nsecrets; k++) {
            size_t n = strlen(d->secrets[k]);
            if (strncmp(p, d->secrets[k], n) == 0) {
                for (const char *m = "***"; *m && o + 1 < DB_ERRMSG_MAX; m++)
                    dst[o++] = *m;
                p += n;
                hit = 1;
                break;
            }
        }
        if (!hit)
            dst[o++] = *p++;
    }
    while (o > 0 && (dst[o - 1] == '\n' || dst[o - 1] == ' ' ||
                     dst[o - 1] == '\t' || dst[o - 1] == '\r'))
        o--;
    dst[o] = '\0';
}

int db_fail(db *d, int code, const char *fmt, ...)
{
    char tmp[DB_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    scrub(d, tmp, d->errmsg);
    return code;
}

void db_add_secret(db *d, const char *s, size_t len)
{
    /* Masking one or two characters would only garble messages. */
    if (!s || len < 3 || d->nsecrets >= (int)(sizeof d->secrets /
                                              sizeof d->secrets[0]))
        return;
    for (int k = 0; k < d->nsecrets; k++)
        if (strlen(d->secrets[k]) == len &&
            memcmp(d->secrets[k], s, len) == 0)
            return;
    char *c = malloc(len + 1);
    if (!c)
        return;
    memcpy(c, s, len);
    c[len] = '\0';
    /* Longer secrets first, so that one containing another is masked
     * whole. */
    int k = d->nsecrets++;
    while (k > 0 && strlen(d->secrets[k - 1]) < len) {
        d->secrets[k] = d->secrets[k - 1];
        k--;
    }
    d->secrets[k] = c;
}

void db_sql_quote(const char *sql, char *buf)
{
    size_t o = 0;
    int space = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            space = o > 0;
            continue;
        }
        if (o + (size_t)space + 4 >= DB_SQL_QUOTE - 1 || o >= 80) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (space)
            buf[o++] = ' ';
        space = 0;
        buf[o++] = *p;
    }
    buf[o] = '\0';
}

int64_t db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *db_errmsg(const db *d)
{
    return d ? d->errmsg : "no connection";
}

int db_kind(const db *d)
{
    return d ? d->kind : 0;
}

/* ---- opening and closing ---- */

int db_open(const char *uri, db **out)
{
    if (!out)
        return DB_EFAIL;
    *out = NULL;
    db *d = calloc(1, sizeof *d);
    if (!d)
        return DB_ENOMEM;
    *out = d;
    if (!uri)
        return db_fail(d, DB_EFAIL, "no store URI");
    if (strncmp(uri, "sqlite:", 7) == 0) {
        d->kind = DB_SQLITE;
        return db_sqlite_open(d, uri + 7);
    }
    if (strncmp(uri, "postgresql://", 13) == 0 ||
        strncmp(uri, "postgres://", 11) == 0) {
        d->kind = DB_PG;
        return db_pg_open(d, uri);
    }
    /* Never echo the URI: it may carry a password. Its scheme is safe. */
    size_t n = strcspn(uri, ":/?@");
    if (uri[n] == ':' && n > 0 && n <= 20)
        return db_fail(d, DB_EFAIL, "unknown store URI scheme \"%.*s:\" "
                       "(expected \"sqlite:PATH\" or \"postgresql://...\")",
                       (int)n, uri);
    return db_fail(d, DB_EFAIL, "not a store URI (expected \"sqlite:PATH\" "
                   "or \"postgresql://...\")");
}

static void cache_clear(db *d)
{
    for (size_t b = 0; b < d->nbuckets; b++) {
        db_stmt *s = d->buckets[b];
        while (s) {
            db_stmt *next = s->next;
            char *sql = s->sql;
            d->ops->stmt_free(s);
            free(sql);
            s = next;
        }
    }
    free(d->buckets);
    d->buckets = NULL;
    d->nbuckets = d->nstmts = 0;
}

void db_close(db *d)
{
    if (!d)
        return;
    if (d->ops) {
        cache_clear(d);
        d->ops->close(d);
    }
    for (int k = 0; k < d->nsecrets; k++)
        free(d->secrets[k]);
    free(d);
}

#define NEED_OPS(d, fail)                                                  \
    do {                                                                   \
        if (!(d))                                                          \
            return fail;                                                   \
        if (!(d)->ops) {                                                   \
            db_fail((d), DB_EFAIL, "the store is not open");               \
            return fail;                                                   \
        }                                                                  \
    } while (0)

int db_reconnect(db *d)
{
    NEED_OPS(d, DB_ECONN);
    for (size_t b = 0; b < d->nbuckets; b++)
        for (db_stmt *s = d->buckets[b]; s; s = s->next) {
            d->ops->stmt_lost(s);
            s->state = DB_ST_READY;
            s->err = 0;
            s->changes = 0;
        }
    d->in_tx = 0;
    return d->ops->reconnect(d);
}

int db_exec(db *d, const char *sql)
{
    NEED_OPS(d, DB_EFAIL);
    return d->ops->exec(d, sql);
}

/* ---- transactions ---- */

int db_begin(db *d)
{
    NEED_OPS(d, DB_EFAIL);
    if (d->in_tx)
        return db_fail(d, DB_EFAIL, "a transaction is already open");
    int rc = d->ops->begin(d);
    if (rc == DB_OK)
        d->in_tx = 1;
    return rc;
}

int db_commit(db *d)
{
    NEED_OPS(d, DB_EFAIL);
    if (!d->in_tx)
        return db_fail(d, DB_EFAIL, "commit without a transaction");
    /* A failed commit rolls back (the backend sees to it): either way the
     * transaction is over. */
    d->in_tx = 0;
    return d->ops->commit(d);
}

int db_rollback(db *d)
{
    NEED_OPS(d, DB_EFAIL);
    d->in_tx = 0;
    return d->ops->rollback(d);
}

int db_in_transaction(const db *d)
{
    return d ? d->in_tx : 0;
}

/* Savepoint names go into the SQL text: plain identifiers only. */
static int savepoint_sql(db *d, const char *verb, const char *name)
{
    NEED_OPS(d, DB_EFAIL);
    if (!d->in_tx)
        return db_fail(d, DB_EFAIL, "%s outside a transaction", verb);
    size_t n = name ? strlen(name) : 0;
    int ok = n > 0 && n <= 63 && !(name[0] >= '0' && name[0] <= '9');
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '_';
    }
    if (!ok)
        return db_fail(d, DB_EFAIL, "%s: bad savepoint name", verb);
    char sql[128];
    snprintf(sql, sizeof sql, "%s %s", verb, name);
    return d->ops->exec(d, sql);
}

int db_savepoint(db *d, const char *name)
{
    return savepoint_sql(d, "SAVEPOINT", name);
}

int db_release(db *d, const char *name)
{
    return savepoint_sql(d, "RELEASE SAVEPOINT", name);
}

int db_rollback_to(db *d, const char *name)
{
    return savepoint_sql(d, "ROLLBACK TO SAVEPOINT", name);
}

/* ---- statements ---- */

static size_t bucket_of(const char *key, size_t nbuckets)
{
    uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (nbuckets - 1);
}

static int cache_grow(db *d)
{
    size_t n = d->nbuckets ? d->nbuckets * 2 : 64;
    db_stmt **nb = calloc(n, sizeof *nb);
    if (!nb)
        return -1;
    for (size_t b = 0; b < d->nbuckets; b++) {
        db_stmt *s = d->buckets[b];
        while (s) {
            db_stmt *next = s->next;
            size_t h = bucket_of(s->key, n);
            s->next = nb[h];
            nb[h] = s;
            s = next;
        }
    }
    free(d->buckets);
    d->buckets = nb;
    d->nbuckets = n;
    return 0;
}

db_stmt *db_prepare(db *d, const char *sql)
{
    NEED_OPS(d, NULL);
    if (!sql) {
        db_fail(d, DB_EFAIL, "no SQL to prepare");
        return NULL;
    }
    if (d->nbuckets) {
        db_stmt **pp = &d->buckets[bucket_of(sql, d->nbuckets)];
        for (; *pp; pp = &(*pp)->next) {
            db_stmt *s = *pp;
            if (s->key != sql)
                continue;
            if (strcmp(s->sql, sql) == 0) {
                /* Also a statement still in use: it starts over. */
                d->ops->stmt_reset(s, 1);
                return s;
            }
            /* The address now holds another text (not a literal):
             * forget the old statement. */
            *pp = s->next;
            char *old = s->sql;
            d->ops->stmt_free(s);
            free(old);
            d->nstmts--;
            break;
        }
    }
    if (d->nstmts >= d->nbuckets && cache_grow(d) < 0) {
        db_fail(d, DB_ENOMEM, "out of memory");
        return NULL;
    }
    char *copy = strdup(sql);
    if (!copy) {
        db_fail(d, DB_ENOMEM, "out of memory");
        return NULL;
    }
    db_stmt *s = d->ops->stmt_new(d, copy);
    if (!s) {
        free(copy);
        db_fail(d, DB_ENOMEM, "out of memory");
        return NULL;
    }
    s->d = d;
    s->key = sql;
    s->sql = copy;
    s->state = DB_ST_READY;
    size_t h = bucket_of(sql, d->nbuckets);
    s->next = d->buckets[h];
    d->buckets[h] = s;
    d->nstmts++;
    return s;
}

static int bind(db_stmt *s, int i, int kind, int64_t v, const void *p,
                size_t len)
{
    if (!s)
        return DB_EFAIL;
    if (s->err)
        return s->err;
    int rc;
    if (s->state != DB_ST_READY)
        rc = db_fail(s->d, DB_EFAIL, "bind of $%d after the statement ran "
                     "(db_prepare() it again)", i);
    else if (i < 1)
        rc = db_fail(s->d, DB_EFAIL, "bind of parameter %d: parameters "
                     "are numbered from 1", i);
    else
        rc = s->d->ops->bind(s, i, kind, v, p, len);
    if (rc < 0)
        s->err = rc;
    return rc;
}

int db_bind_int64(db_stmt *s, int i, int64_t v)
{
    return bind(s, i, DB_B_INT64, v, NULL, 0);
}

int db_bind_null(db_stmt *s, int i)
{
    return bind(s, i, DB_B_NULL, 0, NULL, 0);
}

int db_bind_text(db_stmt *s, int i, const char *v, size_t len)
{
    if (!v)
        return bind(s, i, DB_B_NULL, 0, NULL, 0);
    return bind(s, i, DB_B_TEXT, 0, v, len);
}

int db_bind_blob(db_stmt *s, int i, const void *v, size_t len)
{
    if (!v) /* as db_bind_text(): NULL is SQL NULL */
        return bind(s, i, DB_B_NULL, 0, NULL, 0);
    return bind(s, i, DB_B_BLOB, 0, v, len);
}

int db_step(db_stmt *s)
{
    if (!s)
        return DB_EFAIL;
    if (s->err)
        return s->err;
    if (s->state == DB_ST_DONE)
        return DB_DONE;
    int rc = s->d->ops->step(s);
    if (rc < 0) {
        s->err = rc;
        s->state = DB_ST_DONE;
    }
    return rc;
}

int64_t db_changes(db_stmt *s)
{
    return s ? s->changes : 0;
}

static int on_row(const db_stmt *s, int i)
{
    return s && s->state == DB_ST_ROW && i >= 0;
}

int db_col_null(db_stmt *s, int i)
{
    return on_row(s, i) ? s->d->ops->col_null(s, i) : 1;
}

int64_t db_col_int64(db_stmt *s, int i)
{
    return on_row(s, i) ? s->d->ops->col_int64(s, i) : 0;
}

const char *db_col_text(db_stmt *s, int i, size_t *len)
{
    size_t n = 0;
    const void *p = on_row(s, i) ? s->d->ops->col_bytes(s, i, &n, 1) : NULL;
    if (len)
        *len = p ? n : 0;
    return p;
}

const void *db_col_blob(db_stmt *s, int i, size_t *len)
{
    size_t n = 0;
    const void *p = on_row(s, i) ? s->d->ops->col_bytes(s, i, &n, 0) : NULL;
    if (len)
        *len = p ? n : 0;
    return p;
}

void db_done(db_stmt *s)
{
    if (!s)
        return;
    s->d->ops->stmt_reset(s, 0);
}

/* ---- notifications ---- */

int db_listen(db *d, const char *channel)
{
    NEED_OPS(d, DB_EFAIL);
    if (!channel || !*channel)
        return db_fail(d, DB_EFAIL, "listen: no channel");
    return d->ops->listen(d, channel);
}

int db_notify(db *d, const char *channel)
{
    NEED_OPS(d, DB_EFAIL);
    if (!channel || !*channel)
        return db_fail(d, DB_EFAIL, "notify: no channel");
    return d->ops->notify(d, channel);
}

int db_wait(db *d, int64_t timeout_ms, int wake_fd)
{
    NEED_OPS(d, DB_EFAIL);
    if (timeout_ms < 0)
        timeout_ms = 0;
    return d->ops->wait(d, timeout_ms, wake_fd);
}
