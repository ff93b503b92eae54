/*
 * db.h - the store's connection: one SQL dialect over SQLite and libpq.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * The host writes its SQL once with numbered parameters "$1".."$N"
 * (SQLite binds them by name, PostgreSQL natively) and asks db_kind()
 * where the two dialects differ (DDL types, FOR UPDATE SKIP LOCKED).
 * Values always go through bound parameters. A connection is used by one
 * thread at a time.
 */
#ifndef BATON_HOST_DB_H
#define BATON_HOST_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_kind { DB_SQLITE = 1, DB_PG = 2 };

/* Results of db_step() and the other calls: DB_OK/DB_ROW/DB_DONE, or a
 * negative failure. DB_EBUSY: the store is locked by another writer or
 * the transaction was chosen as a deadlock / serialization victim (retry
 * the whole transaction). DB_ECONSTRAINT: a unique or check constraint
 * failed. DB_ECONN: the connection is lost (db_reconnect()). DB_EFAIL:
 * anything else. Every failure sets db_errmsg(). */
enum {
    DB_OK = 0,
    DB_ROW = 1,
    DB_DONE = 2,
    DB_EFAIL = -1,
    DB_EBUSY = -2,
    DB_ECONSTRAINT = -3,
    DB_ECONN = -4,
    DB_ENOMEM = -5
};

typedef struct db db;
typedef struct db_stmt db_stmt;

/* Opens "sqlite:PATH" or "postgresql://..."/"postgres://...". On failure
 * returns a negative code and, when it could allocate one, a db in *out
 * carrying the message (close it after reading). The message never
 * contains the URI's password. SQLite: WAL, busy timeout, foreign keys
 * off, synchronous from "?synchronous=normal|full" (default full).
 * Returns DB_OK, DB_EFAIL (bad URI / cannot open), DB_ECONN, DB_ENOMEM. */
int db_open(const char *uri, db **out);
void db_close(db *d);
int db_kind(const db *d);
const char *db_errmsg(const db *d);
/* Reconnects a lost connection (PostgreSQL; SQLite reopens). DB_OK or
 * DB_ECONN. */
int db_reconnect(db *d);

/* Runs SQL without parameters; several statements separated by ';' are
 * allowed (DDL). */
int db_exec(db *d, const char *sql);

/* Transactions. db_begin() starts a write transaction (SQLite: BEGIN
 * IMMEDIATE, waiting up to the busy timeout; PostgreSQL: BEGIN, READ
 * COMMITTED). Savepoints nest inside it by name. */
int db_begin(db *d);
int db_commit(db *d);
int db_rollback(db *d);
int db_savepoint(db *d, const char *name);
int db_release(db *d, const char *name);
int db_rollback_to(db *d, const char *name);
int db_in_transaction(const db *d);

/* Statements. db_prepare() returns a statement for `sql` (cached per
 * connection by the text's address: pass string literals), with its
 * bindings cleared. Parameters are numbered from 1. Text and blobs are
 * copied. */
db_stmt *db_prepare(db *d, const char *sql);
int db_bind_int64(db_stmt *s, int i, int64_t v);
int db_bind_null(db_stmt *s, int i);
int db_bind_text(db_stmt *s, int i, const char *v, size_t len); /* v NULL: null */
int db_bind_blob(db_stmt *s, int i, const void *v, size_t len);
/* Executes on the first call, then walks the rows: DB_ROW, DB_DONE or a
 * failure. */
int db_step(db_stmt *s);
/* Rows changed by the last INSERT/UPDATE/DELETE of the statement. */
int64_t db_changes(db_stmt *s);
/* Columns of the current row, numbered from 0. Text is NUL-terminated;
 * NULL columns read as 0 / NULL with length 0. Valid until the next
 * step or db_done(). */
int db_col_null(db_stmt *s, int i);
int64_t db_col_int64(db_stmt *s, int i);
const char *db_col_text(db_stmt *s, int i, size_t *len);
const void *db_col_blob(db_stmt *s, int i, size_t *len);
/* Ends the use of a statement (resets it for the next db_prepare()). */
void db_done(db_stmt *s);

/* Notifications: PostgreSQL LISTEN/NOTIFY on `channel`; on SQLite
 * db_notify() does nothing and db_wait() polls the file's data_version.
 * db_notify() inside a transaction is delivered at commit. db_wait()
 * returns 1 when notified (or the SQLite file changed, or `wake_fd` (-1:
 * none) became readable), 0 after timeout_ms, or a failure. */
int db_listen(db *d, const char *channel);
int db_notify(db *d, const char *channel);
int db_wait(db *d, int64_t timeout_ms, int wake_fd);

#endif
