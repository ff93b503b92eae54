/*
 * db_int.h - what db.c shares with its two backends, db_sqlite.c and
 * db_pg.c. Private to those three files.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * db.c owns the connection object, the statement cache, the last error
 * and the checks that do not depend on the database; a backend fills in
 * a table of operations (struct db_ops) when it opens a connection.
 */
#ifndef BATON_HOST_DB_INT_H
#define BATON_HOST_DB_INT_H

#include "db.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define DB_ERRMSG_MAX 512

/* Where a statement is between db_prepare() and db_done(). */
enum db_stmt_state {
    DB_ST_READY = 0, /* bindings may be set; not executed yet */
    DB_ST_ROW,       /* executed, on a row */
    DB_ST_DONE       /* executed, no more rows */
};

/* Kinds of value for db_ops.bind. */
enum db_bind_kind { DB_B_NULL, DB_B_INT64, DB_B_TEXT, DB_B_BLOB };

/* The common head of a statement; each backend embeds it first in its
 * own statement structure. */
struct db_stmt {
    db *d;
    const char *key;   /* the caller's SQL pointer: the cache key */
    char *sql;         /* a copy of the text, checked on every hit */
    db_stmt *next;     /* the cache's bucket chain */
    int state;         /* enum db_stmt_state */
    int err;           /* a failure kept for db_step() (failed bind or
                          prepare), 0 when none */
    int64_t changes;   /* db_changes() */
};

struct db_ops {
    void (*close)(db *d);
    /* Reopens; every cached statement has been through stmt_lost()
     * first. */
    int (*reconnect)(db *d);
    int (*exec)(db *d, const char *sql);
    int (*begin)(db *d);
    int (*commit)(db *d);
    int (*rollback)(db *d);
    /* A new statement for `sql` (db.c's copy, which it frees after
     * stmt_free), or NULL when out of memory. A statement the database
     * refuses is still returned, with its failure in ->err. db.c fills in
     * the common head's other fields. */
    db_stmt *(*stmt_new)(db *d, const char *sql);
    /* Back to DB_ST_READY with no bindings and no kept failure. With
     * `prepare`, also prepares again a statement whose preparation failed
     * or was lost (setting ->err when that fails). */
    void (*stmt_reset)(db_stmt *s, int prepare);
    /* The connection is going away: forget the database's handle. */
    void (*stmt_lost)(db_stmt *s);
    void (*stmt_free)(db_stmt *s);
    int (*bind)(db_stmt *s, int i, int kind, int64_t v, const void *p,
                size_t len);
    int (*step)(db_stmt *s);
    int (*col_null)(db_stmt *s, int i);
    int64_t (*col_int64)(db_stmt *s, int i);
    /* Text (NUL-terminated) or blob bytes of column i; NULL for NULL. */
    const void *(*col_bytes)(db_stmt *s, int i, size_t *len, int text);
    int (*listen)(db *d, const char *channel);
    int (*notify)(db *d, const char *channel);
    int (*wait)(db *d, int64_t timeout_ms, int wake_fd);
};

struct db {
    const struct db_ops *ops;
    void *impl;        /* the backend's connection state */
    int kind;          /* enum db_kind */
    int in_tx;         /* between db_begin() and db_commit()/db_rollback() */
    db_stmt **buckets; /* the statement cache, by SQL address */
    size_t nbuckets;
    size_t nstmts;
    char *secrets[4];  /* strings never to appear in a message */
    int nsecrets;
    char errmsg[DB_ERRMSG_MAX];
};

/* Sets the message (printf-like) with every secret masked, and returns
 * `code`. */
int db_fail(db *d, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Remembers `len` bytes of `s` as a secret (a password) to mask in every
 * message of this connection. Short strings are ignored. */
void db_add_secret(db *d, const char *s, size_t len);
/* A short quotation of a statement's SQL for messages (the first line,
 * cut at 80 characters), in a buffer of DB_SQL_QUOTE bytes. */
#define DB_SQL_QUOTE 96
void db_sql_quote(const char *sql, char *buf);
/* Monotonic milliseconds. */
int64_t db_now_ms(void);

/* The backends' open functions: they set d->ops and d->impl (even when
 * the connection fails, so that db_close() works) and return DB_OK or a
 * failure with the message set. `uri` has been checked for its scheme. */
int db_sqlite_open(db *d, const char *uri);
int db_pg_open(db *d, const char *uri);

#endif
