/*
 * db_sqlite.c - the store's connection over SQLite ("sqlite:PATH").
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * The file is opened in WAL mode, so readers never wait for the writer;
 * db_begin() is BEGIN IMMEDIATE, so writers queue up at the start of a
 * transaction (for up to the busy timeout) instead of failing at their
 * first write. "$1".."$N" are SQLite named parameters: they are bound by
 * name, so a number used twice in the SQL binds both places.
 *
 * URI options, after a '?' and separated by '&':
 *   synchronous=full|normal  PRAGMA synchronous (default full: a commit
 *                            survives a power loss; normal: it survives a
 *                            crash of the process only)
 *   busy_timeout=MS          how long to wait for another writer (default
 *                            10000)
 */
#define _POSIX_C_SOURCE 200809L

#include "db_int.h"

#include <errno.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if SQLITE_VERSION_NUMBER >= 3037000
#define lite_changes sqlite3_changes64
#define lite_total_changes sqlite3_total_changes64
#else
#define lite_changes sqlite3_changes
#define lite_total_changes sqlite3_total_changes
#endif

typedef struct {
    sqlite3 *h;
    char *path;
    int sync_full;
    int busy_ms;
    sqlite3_stmt *dv;       /* PRAGMA data_version, for db_wait() */
    int64_t data_version;   /* its value when last looked at */
} lite;

typedef struct {
    db_stmt base;           /* first */
    sqlite3_stmt *st;       /* NULL when not prepared (failed or lost) */
    sqlite3_int64 total_before;
} lite_stmt;

static lite *L(db *d)
{
    return d->impl;
}

/* Sets the message for the SQLite result `rc` of `what` and returns the
 * db.h code. */
static int lite_err(db *d, int rc, const char *what)
{
    lite *l = L(d);
    const char *msg = l->h ? sqlite3_errmsg(l->h) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return db_fail(d, DB_EBUSY, "SQLite: %s: %s (the store is busy)",
                       what, msg);
    case SQLITE_CONSTRAINT:
        return db_fail(d, DB_ECONSTRAINT, "SQLite: %s: %s", what, msg);
    case SQLITE_NOMEM:
        return db_fail(d, DB_ENOMEM, "SQLite: %s: out of memory", what);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return db_fail(d, DB_EFAIL, "SQLite: the file %s is corrupt or not "
                       "a database (%s: %s)", l->path, what, msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return db_fail(d, DB_EFAIL, "SQLite: %s: %s (file %s)", what, msg,
                       l->path);
    default:
        return db_fail(d, DB_EFAIL, "SQLite: %s: %s", what, msg);
    }
}

static int lite_err_sql(db *d, int rc, const char *sql)
{
    char q[DB_SQL_QUOTE + 2];
    q[0] = '"';
    db_sql_quote(sql, q + 1);
    strcat(q, "\"");
    return lite_err(d, rc, q);
}

static int not_open(db *d)
{
    return db_fail(d, DB_ECONN, "SQLite: the file %s is not open",
                   L(d)->path ? L(d)->path : "");
}

static int read_data_version(db *d, int64_t *v)
{
    lite *l = L(d);
    int rc;
    if (!l->dv) {
        rc = sqlite3_prepare_v2(l->h, "PRAGMA data_version", -1, &l->dv,
                                NULL);
        if (rc != SQLITE_OK)
            return lite_err(d, rc, "PRAGMA data_version");
    }
    rc = sqlite3_step(l->dv);
    if (rc != SQLITE_ROW) {
        int code = lite_err(d, rc, "PRAGMA data_version");
        sqlite3_reset(l->dv);
        return code;
    }
    *v = sqlite3_column_int64(l->dv, 0);
    sqlite3_reset(l->dv);
    return DB_OK;
}

static void lite_disconnect(lite *l)
{
    sqlite3_finalize(l->dv);
    l->dv = NULL;
    sqlite3_close_v2(l->h);
    l->h = NULL;
}

static int lite_connect(db *d)
{
    lite *l = L(d);
    int rc = sqlite3_open_v2(l->path, &l->h, SQLITE_OPEN_READWRITE |
                             SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_NOMEM)
            rc = db_fail(d, DB_ENOMEM, "SQLite: out of memory");
        else
            rc = db_fail(d, DB_EFAIL, "SQLite: cannot open the file %s: %s",
                         l->path, l->h ? sqlite3_errmsg(l->h)
                                       : sqlite3_errstr(rc));
        lite_disconnect(l);
        return rc;
    }
    sqlite3_extended_result_codes(l->h, 1);
    sqlite3_busy_timeout(l->h, l->busy_ms);
    const char *setup[] = {
        "PRAGMA journal_mode=WAL",
        l->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=OFF",
    };
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++) {
        rc = sqlite3_exec(l->h, setup[i], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            rc = lite_err(d, rc, setup[i]);
            lite_disconnect(l);
            return rc;
        }
    }
    rc = read_data_version(d, &l->data_version);
    if (rc != DB_OK) {
        lite_disconnect(l);
        return rc;
    }
    return DB_OK;
}

static int parse_options(db *d, const char *q)
{
    lite *l = L(d);
    while (*q) {
        size_t n = strcspn(q, "&");
        const char *eq = memchr(q, '=', n);
        size_t kn = eq ? (size_t)(eq - q) : n;
        const char *v = eq ? eq + 1 : q + n;
        size_t vn = (size_t)(q + n - v);
        if (kn == 11 && strncmp(q, "synchronous", kn) == 0) {
            if (vn == 4 && strncmp(v, "full", 4) == 0)
                l->sync_full = 1;
            else if (vn == 6 && strncmp(v, "normal", 6) == 0)
                l->sync_full = 0;
            else
                return db_fail(d, DB_EFAIL, "SQLite: synchronous=%.*s: "
                               "expected full or normal", (int)vn, v);
        } else if (kn == 12 && strncmp(q, "busy_timeout", kn) == 0) {
            long ms = 0;
            int ok = vn > 0 && vn <= 9;
            for (size_t i = 0; ok && i < vn; i++) {
                ok = v[i] >= '0' && v[i] <= '9';
                ms = ms * 10 + (v[i] - '0');
            }
            if (!ok)
                return db_fail(d, DB_EFAIL, "SQLite: busy_timeout=%.*s: "
                               "expected milliseconds", (int)vn, v);
            l->busy_ms = (int)ms;
        } else if (n > 0) {
            return db_fail(d, DB_EFAIL, "SQLite: unknown URI option "
                           "\"%.*s\" (synchronous, busy_timeout)",
                           (int)(kn > 40 ? 40 : kn), q);
        }
        q += n;
        if (*q == '&')
            q++;
    }
    return DB_OK;
}

/* ---- operations ---- */

static void lite_close(db *d)
{
    lite *l = L(d);
    if (!l)
        return;
    lite_disconnect(l);
    free(l->path);
    free(l);
    d->impl = NULL;
}

static int lite_reconnect(db *d)
{
    lite *l = L(d);
    lite_disconnect(l);
    int rc = lite_connect(d);
    /* db.h: a reconnection succeeds or reports the store unreachable. */
    return rc == DB_OK ? DB_OK : DB_ECONN;
}

static int lite_exec(db *d, const char *sql)
{
    lite *l = L(d);
    if (!l->h)
        return not_open(d);
    int rc = sqlite3_exec(l->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? DB_OK : lite_err_sql(d, rc, sql);
}

static int lite_begin(db *d)
{
    return lite_exec(d, "BEGIN IMMEDIATE");
}

static int lite_rollback(db *d)
{
    lite *l = L(d);
    if (!l->h)
        return not_open(d);
    /* Some failures (a full disk, out of memory) already rolled back. */
    if (sqlite3_get_autocommit(l->h))
        return DB_OK;
    return lite_exec(d, "ROLLBACK");
}

static int lite_commit(db *d)
{
    lite *l = L(d);
    if (!l->h)
        return not_open(d);
    int rc = lite_exec(d, "COMMIT");
    if (rc != DB_OK && !sqlite3_get_autocommit(l->h))
        sqlite3_exec(l->h, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int lite_prepare(lite_stmt *ls)
{
    db *d = ls->base.d;
    lite *l = L(d);
    if (!l->h)
        return not_open(d);
    const char *sql = ls->base.sql;
    int rc = sqlite3_prepare_v3(l->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                &ls->st, NULL);
    if (rc != SQLITE_OK) {
        ls->st = NULL;
        return lite_err_sql(d, rc, sql);
    }
    if (!ls->st)
        return db_fail(d, DB_EFAIL, "SQLite: empty statement");
    return DB_OK;
}

static db_stmt *lite_stmt_new(db *d, const char *sql)
{
    lite_stmt *ls = calloc(1, sizeof *ls);
    if (!ls)
        return NULL;
    ls->base.d = d;
    ls->base.sql = (char *)sql;
    int rc = lite_prepare(ls);
    if (rc == DB_ENOMEM) {
        free(ls);
        return NULL;
    }
    ls->base.err = rc;
    return &ls->base;
}

static void lite_stmt_reset(db_stmt *s, int prepare)
{
    lite_stmt *ls = (lite_stmt *)s;
    if (ls->st) {
        sqlite3_reset(ls->st);
        sqlite3_clear_bindings(ls->st);
    }
    s->state = DB_ST_READY;
    s->err = 0;
    s->changes = 0;
    if (prepare && !ls->st)
        s->err = lite_prepare(ls);
}

static void lite_stmt_lost(db_stmt *s)
{
    lite_stmt *ls = (lite_stmt *)s;
    sqlite3_finalize(ls->st);
    ls->st = NULL;
}

static void lite_stmt_free(db_stmt *s)
{
    lite_stmt *ls = (lite_stmt *)s;
    sqlite3_finalize(ls->st);
    free(ls);
}

static int lite_bind(db_stmt *s, int i, int kind, int64_t v, const void *p,
                     size_t len)
{
    lite_stmt *ls = (lite_stmt *)s;
    db *d = s->d;
    if (!ls->st)
        return db_fail(d, DB_EFAIL, "SQLite: the statement is not prepared");
    char name[16];
    snprintf(name, sizeof name, "$%d", i);
    int idx = sqlite3_bind_parameter_index(ls->st, name);
    if (idx == 0) {
        char q[DB_SQL_QUOTE];
        db_sql_quote(s->sql, q);
        return db_fail(d, DB_EFAIL, "SQLite: no parameter %s in \"%s\"",
                       name, q);
    }
    int rc;
    switch (kind) {
    case DB_B_INT64:
        rc = sqlite3_bind_int64(ls->st, idx, v);
        break;
    case DB_B_TEXT:
        rc = sqlite3_bind_text64(ls->st, idx, p, len, SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
        break;
    case DB_B_BLOB:
        rc = sqlite3_bind_blob64(ls->st, idx, p, len, SQLITE_TRANSIENT);
        break;
    default:
        rc = sqlite3_bind_null(ls->st, idx);
        break;
    }
    if (rc == SQLITE_OK)
        return DB_OK;
    return lite_err_sql(d, rc, s->sql);
}

static int lite_step(db_stmt *s)
{
    lite_stmt *ls = (lite_stmt *)s;
    db *d = s->d;
    if (!ls->st)
        return db_fail(d, DB_EFAIL, "SQLite: the statement is not prepared");
    sqlite3 *h = L(d)->h;
    if (s->state == DB_ST_READY)
        ls->total_before = lite_total_changes(h);
    int rc = sqlite3_step(ls->st);
    if (rc == SQLITE_ROW) {
        s->state = DB_ST_ROW;
        return DB_ROW;
    }
    if (rc == SQLITE_DONE) {
        s->state = DB_ST_DONE;
        /* sqlite3_changes() is that of the connection's last change: a
         * statement that changed nothing must not report it. */
        s->changes = lite_total_changes(h) != ls->total_before
                         ? (int64_t)lite_changes(h) : 0;
        return DB_DONE;
    }
    int code = lite_err_sql(d, rc, s->sql);
    sqlite3_reset(ls->st);
    return code;
}

static int in_row(lite_stmt *ls, int i)
{
    return ls->st && i < sqlite3_column_count(ls->st);
}

static int lite_col_null(db_stmt *s, int i)
{
    lite_stmt *ls = (lite_stmt *)s;
    return !in_row(ls, i) || sqlite3_column_type(ls->st, i) == SQLITE_NULL;
}

static int64_t lite_col_int64(db_stmt *s, int i)
{
    lite_stmt *ls = (lite_stmt *)s;
    return in_row(ls, i) ? sqlite3_column_int64(ls->st, i) : 0;
}

static const void *lite_col_bytes(db_stmt *s, int i, size_t *len, int text)
{
    lite_stmt *ls = (lite_stmt *)s;
    if (!in_row(ls, i) || sqlite3_column_type(ls->st, i) == SQLITE_NULL)
        return NULL;
    const void *p = text ? (const void *)sqlite3_column_text(ls->st, i)
                         : sqlite3_column_blob(ls->st, i);
    int n = sqlite3_column_bytes(ls->st, i);
    if (!p && n == 0)
        p = ""; /* an empty blob, not a NULL */
    *len = p ? (size_t)n : 0;
    return p;
}

static int lite_listen(db *d, const char *channel)
{
    (void)channel;
    if (!L(d)->h)
        return not_open(d);
    /* Changes from now on wake db_wait(). */
    return read_data_version(d, &L(d)->data_version);
}

static int lite_notify(db *d, const char *channel)
{
    (void)d;
    (void)channel;
    return DB_OK;
}

static int lite_wait(db *d, int64_t timeout_ms, int wake_fd)
{
    lite *l = L(d);
    if (!l->h)
        return not_open(d);
    int64_t deadline = db_now_ms() + timeout_ms;
    for (;;) {
        int64_t v;
        int rc = read_data_version(d, &v);
        if (rc != DB_OK)
            return rc;
        if (v != l->data_version) {
            l->data_version = v;
            return 1;
        }
        int64_t left = deadline - db_now_ms();
        int slice = left < 50 ? (int)(left > 0 ? left : 0) : 50;
        if (wake_fd >= 0) {
            struct pollfd p = { .fd = wake_fd, .events = POLLIN };
            int n = poll(&p, 1, slice);
            if (n > 0)
                return 1;
            if (n < 0 && errno != EINTR)
                return db_fail(d, DB_EFAIL, "poll: %s", strerror(errno));
        } else if (slice > 0) {
            struct timespec ts = { slice / 1000, (long)(slice % 1000) * 1000000 };
            nanosleep(&ts, NULL);
        }
        if (left <= 0)
            return 0;
    }
}

static const struct db_ops lite_ops = {
    .close = lite_close,
    .reconnect = lite_reconnect,
    .exec = lite_exec,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .stmt_new = lite_stmt_new,
    .stmt_reset = lite_stmt_reset,
    .stmt_lost = lite_stmt_lost,
    .stmt_free = lite_stmt_free,
    .bind = lite_bind,
    .step = lite_step,
    .col_null = lite_col_null,
    .col_int64 = lite_col_int64,
    .col_bytes = lite_col_bytes,
    .listen = lite_listen,
    .notify = lite_notify,
    .wait = lite_wait,
};

int db_sqlite_open(db *d, const char *uri)
{
    lite *l = calloc(1, sizeof *l);
    if (!l)
        return db_fail(d, DB_ENOMEM, "out of memory");
    d->impl = l;
    d->ops = &lite_ops;
    l->sync_full = 1;
    l->busy_ms = 10000;
    size_t n = strcspn(uri, "?");
    if (n == 0)
        return db_fail(d, DB_EFAIL, "SQLite: no file name in the URI "
                       "(\"sqlite:PATH\")");
    l->path = malloc(n + 1);
    if (!l->path)
        return db_fail(d, DB_ENOMEM, "out of memory");
    memcpy(l->path, uri, n);
    l->path[n] = '\0';
    if (uri[n] == '?') {
        int rc = parse_options(d, uri + n + 1);
        if (rc != DB_OK)
            return rc;
    }
    return lite_connect(d);
}
