/* Tests of the durable host's store connection (lib/host/db.h) on SQLite
 * (a temporary file) and, when BATON_TEST_PG holds a libpq URI, on
 * PostgreSQL: values through bound parameters and back (quotes, UTF-8,
 * blobs with zero and high bytes, int64 extremes, NULLs), row counts,
 * the statement cache, transactions, savepoints, constraint and lock
 * failures, FOR UPDATE SKIP LOCKED, LISTEN/NOTIFY and db_wait(), the
 * password kept out of messages, and a lost connection with
 * db_reconnect().
 *
 * The meson test runs this under tests/pg/with_pg.sh, which starts a
 * throwaway server and sets BATON_TEST_PG; run directly without it, the
 * PostgreSQL half is skipped with a note. Tables are named tdb_* and
 * dropped at the end. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    int kind;
    char uri[1024];
    char path[512]; /* SQLite: the file */
} ctx;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

static db *open_at(const char *uri, const char *file, int line)
{
    db *d = NULL;
    int rc = db_open(uri, &d);
    if (rc != DB_OK)
        fail_msg("%s:%d: db_open: %d %s", file, line, rc,
                 d ? db_errmsg(d) : "(no db)");
    assert_non_null(d);
    return d;
}
#define open_ok(uri) open_at((uri), __FILE__, __LINE__)

static void ok_at(db *d, int rc, const char *what, const char *file,
                  int line)
{
    if (rc != DB_OK)
        fail_msg("%s:%d: %s: %d %s", file, line, what, rc, db_errmsg(d));
}
#define OK(d, call) ok_at((d), (call), #call, __FILE__, __LINE__)

static void code_at(db *d, int rc, int want, const char *what,
                    const char *file, int line)
{
    if (rc != want)
        fail_msg("%s:%d: %s: got %d, want %d (%s)", file, line, what, rc,
                 want, db_errmsg(d));
}
#define CODE(d, call, want) \
    code_at((d), (call), (want), #call, __FILE__, __LINE__)

static db_stmt *prep_at(db *d, const char *sql, const char *file, int line)
{
    db_stmt *s = db_prepare(d, sql);
    if (!s)
        fail_msg("%s:%d: db_prepare: %s", file, line, db_errmsg(d));
    return s;
}
#define PREP(d, sql) prep_at((d), (sql), __FILE__, __LINE__)

/* Runs a statement that returns no rows; returns db_changes(). */
static int64_t run_at(db *d, db_stmt *s, const char *file, int line)
{
    int rc = db_step(s);
    if (rc != DB_DONE)
        fail_msg("%s:%d: db_step: %d %s", file, line, rc, db_errmsg(d));
    int64_t n = db_changes(s);
    db_done(s);
    return n;
}
#define RUN(d, s) run_at((d), (s), __FILE__, __LINE__)

/* The one integer of a one-row query without parameters. */
static int64_t one_int_at(db *d, const char *sql, const char *file, int line)
{
    db_stmt *s = prep_at(d, sql, file, line);
    int rc = db_step(s);
    if (rc != DB_ROW)
        fail_msg("%s:%d: db_step: %d %s", file, line, rc, db_errmsg(d));
    int64_t v = db_col_int64(s, 0);
    rc = db_step(s);
    if (rc != DB_DONE)
        fail_msg("%s:%d: second db_step: %d %s", file, line, rc,
                 db_errmsg(d));
    db_done(s);
    return v;
}
#define ONE_INT(d, sql) one_int_at((d), (sql), __FILE__, __LINE__)

#define PG(d) (db_kind(d) == DB_PG)

static const char *const drop_all =
    "DROP TABLE IF EXISTS tdb_v; DROP TABLE IF EXISTS tdb_t;"
    "DROP TABLE IF EXISTS tdb_q";

static void make_t(db *d)
{
    OK(d, db_exec(d, "DROP TABLE IF EXISTS tdb_t;"
                     "CREATE TABLE tdb_t (id BIGINT PRIMARY KEY, s TEXT)"));
}

static void insert_t(db *d, int64_t id, const char *s)
{
    db_stmt *st = PREP(d, "INSERT INTO tdb_t (id, s) VALUES ($1, $2)");
    OK(d, db_bind_int64(st, 1, id));
    OK(d, db_bind_text(st, 2, s, s ? strlen(s) : 0));
    assert_int_equal(RUN(d, st), 1);
}

static int64_t count_t(db *d)
{
    return ONE_INT(d, "SELECT count(*) FROM tdb_t");
}

static int has_t(db *d, int64_t id)
{
    db_stmt *s = PREP(d, "SELECT count(*) FROM tdb_t WHERE id = $1");
    OK(d, db_bind_int64(s, 1, id));
    assert_int_equal(db_step(s), DB_ROW);
    int64_t n = db_col_int64(s, 0);
    db_done(s);
    return n > 0;
}

/* ------------------------------------------------------------------ */
/* Both stores                                                         */
/* ------------------------------------------------------------------ */

static const char text1[] =
    "it's \"quoted\" `x` \\ back; $1 -- not a comment /* nor this */ "
    "\xc3\xbc\x6e\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9 \xe2\x9c\x93 "
    "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \t\n end";
static const unsigned char blob1[] = { 0x00, 0x01, 0x00, 0xff, 0x80, 0x7f,
                                       0x00, 0xfe, 0x5c, 0x27, 0x00 };

static void check_row(db_stmt *s, int64_t id, const char *text,
                      const void *blob, size_t blen, int64_t n)
{
    assert_int_equal(db_col_int64(s, 0), id);
    size_t len = 99;
    const char *t = db_col_text(s, 1, &len);
    if (!text) {
        assert_true(db_col_null(s, 1));
        assert_null(t);
        assert_int_equal(len, 0);
    } else {
        assert_false(db_col_null(s, 1));
        assert_non_null(t);
        assert_int_equal(len, strlen(text));
        assert_memory_equal(t, text, len);
        assert_int_equal(t[len], '\0');
    }
    len = 99;
    const void *b = db_col_blob(s, 2, &len);
    if (!blob) {
        assert_true(db_col_null(s, 2));
        assert_null(b);
        assert_int_equal(len, 0);
    } else {
        assert_false(db_col_null(s, 2));
        assert_non_null(b);
        assert_int_equal(len, blen);
        if (blen)
            assert_memory_equal(b, blob, blen);
    }
    if (n == INT64_MIN + 1) { /* stands for NULL */
        assert_true(db_col_null(s, 3));
        assert_int_equal(db_col_int64(s, 3), 0);
    } else {
        assert_false(db_col_null(s, 3));
        assert_true(db_col_int64(s, 3) == n);
    }
}

static void test_values(void **state)
{
    ctx *c = *state;
    db *d = open_ok(c->uri);
    OK(d, db_exec(d, PG(d)
        ? "DROP TABLE IF EXISTS tdb_v;"
          "CREATE TABLE tdb_v (id BIGINT PRIMARY KEY, s TEXT, b BYTEA, "
          "n BIGINT)"
        : "DROP TABLE IF EXISTS tdb_v;"
          "CREATE TABLE tdb_v (id BIGINT PRIMARY KEY, s TEXT, b BLOB, "
          "n BIGINT)"));

    const char *ins = "INSERT INTO tdb_v (id, s, b, n) VALUES ($1, $2, $3, $4)";
    db_stmt *s = PREP(d, ins);
    OK(d, db_bind_int64(s, 1, 1));
    OK(d, db_bind_text(s, 2, text1, strlen(text1)));
    OK(d, db_bind_blob(s, 3, blob1, sizeof blob1));
    OK(d, db_bind_int64(s, 4, INT64_MIN));
    assert_int_equal(RUN(d, s), 1);

    s = PREP(d, ins);
    OK(d, db_bind_int64(s, 1, 2));
    OK(d, db_bind_text(s, 2, "", 0));
    OK(d, db_bind_blob(s, 3, "", 0));
    OK(d, db_bind_int64(s, 4, INT64_MAX));
    assert_int_equal(RUN(d, s), 1);

    /* Unbound parameters are NULL; so are explicit NULLs. */
    s = PREP(d, ins);
    OK(d, db_bind_int64(s, 1, 3));
    OK(d, db_bind_null(s, 2));
    OK(d, db_bind_text(s, 2, NULL, 0));
    assert_int_equal(RUN(d, s), 1);

    /* Text bound with a length shorter than the string. */
    s = PREP(d, ins);
    OK(d, db_bind_int64(s, 1, 4));
    OK(d, db_bind_text(s, 2, "xyz-not-this", 3));
    OK(d, db_bind_blob(s, 3, blob1, 1));
    OK(d, db_bind_int64(s, 4, -1));
    assert_int_equal(RUN(d, s), 1);

    s = PREP(d, "SELECT id, s, b, n FROM tdb_v ORDER BY id");
    assert_int_equal(db_step(s), DB_ROW);
    check_row(s, 1, text1, blob1, sizeof blob1, INT64_MIN);
    assert_int_equal(db_step(s), DB_ROW);
    check_row(s, 2, "", "", 0, INT64_MAX);
    assert_int_equal(db_step(s), DB_ROW);
    check_row(s, 3, NULL, NULL, 0, INT64_MIN + 1);
    assert_int_equal(db_step(s), DB_ROW);
    check_row(s, 4, "xyz", blob1, 1, -1);
    /* Numbers read as text give their decimal form. */
    size_t len;
    const char *t = db_col_text(s, 0, &len);
    assert_non_null(t);
    assert_string_equal(t, "4");
    assert_int_equal(len, 1);
    /* Out of range columns read as NULL. */
    assert_true(db_col_null(s, 9));
    assert_null(db_col_text(s, 9, &len));
    assert_int_equal(db_step(s), DB_DONE);
    assert_int_equal(db_step(s), DB_DONE);
    assert_int_equal(db_changes(s), 0);
    db_done(s);

    /* Parameters by value: the extremes and the odd bytes match. */
    s = PREP(d, "SELECT id FROM tdb_v WHERE n = $1 AND s = $2 AND b = $3");
    OK(d, db_bind_int64(s, 1, INT64_MIN));
    OK(d, db_bind_text(s, 2, text1, strlen(text1)));
    OK(d, db_bind_blob(s, 3, blob1, sizeof blob1));
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 1);
    assert_int_equal(db_step(s), DB_DONE);
    db_done(s);

    /* A parameter used twice binds both places. */
    s = PREP(d, "SELECT count(*) FROM tdb_v WHERE id = $1 OR n = $1");
    OK(d, db_bind_int64(s, 1, 2));
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 1);
    db_done(s);

    /* Numbers may be skipped; binding a skipped one fails. */
    s = PREP(d, "SELECT count(*) FROM tdb_v WHERE id = $4 AND n = $2");
    OK(d, db_bind_int64(s, 4, 1));
    OK(d, db_bind_int64(s, 2, INT64_MIN));
    assert_true(db_bind_int64(s, 3, 0) < 0);
    db_done(s);
    s = PREP(d, "SELECT count(*) FROM tdb_v WHERE id = $4 AND n = $2");
    OK(d, db_bind_int64(s, 4, 1));
    OK(d, db_bind_int64(s, 2, INT64_MIN));
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 1);
    db_done(s);

    /* Row counts. */
    s = PREP(d, "UPDATE tdb_v SET n = $1 WHERE id >= $2");
    OK(d, db_bind_int64(s, 1, 7));
    OK(d, db_bind_int64(s, 2, 3));
    assert_int_equal(RUN(d, s), 2);
    s = PREP(d, "DELETE FROM tdb_v WHERE id = $1");
    OK(d, db_bind_int64(s, 1, 99));
    assert_int_equal(RUN(d, s), 0);
    s = PREP(d, "SELECT id FROM tdb_v");
    while (db_step(s) == DB_ROW)
        ;
    assert_int_equal(db_changes(s), 0);
    db_done(s);
    s = PREP(d, "DELETE FROM tdb_v WHERE id = $1");
    OK(d, db_bind_int64(s, 1, 4));
    assert_int_equal(RUN(d, s), 1);
    assert_int_equal(ONE_INT(d, "SELECT count(*) FROM tdb_v WHERE n = 7"), 1);

    /* A parameter the SQL does not have fails, at the bind and at the
     * step; the next db_prepare() starts clean. */
    s = PREP(d, ins);
    assert_true(db_bind_int64(s, 5, 1) < 0);
    assert_true(strlen(db_errmsg(d)) > 0);
    assert_true(db_step(s) < 0);
    db_done(s);
    assert_true(db_bind_int64(PREP(d, ins), 0, 1) < 0);
    db_done(s);

    /* A statement the database refuses: a failure at the step, not a
     * crash; then the connection goes on. */
    s = PREP(d, "SELECT nosuchcolumn FROM tdb_v");
    assert_int_equal(db_step(s), DB_EFAIL);
    assert_non_null(strstr(db_errmsg(d), "nosuchcolumn"));
    db_done(s);
    assert_int_equal(ONE_INT(d, "SELECT count(*) FROM tdb_v"), 3);
    db_close(d);
}

static void test_cache(void **state)
{
    ctx *c = *state;
    db *d = open_ok(c->uri);
    make_t(d);
    insert_t(d, 1, "a");
    insert_t(d, 2, "b");
    insert_t(d, 3, "c");
    const char *sql = "SELECT id, s FROM tdb_t ORDER BY id";
    db_stmt *s = PREP(d, sql);
    assert_ptr_equal(PREP(d, sql), s);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 1);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 2);
    /* Prepared again while in use: it starts over. */
    assert_ptr_equal(PREP(d, sql), s);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 1);
    /* Another statement meanwhile. */
    assert_int_equal(count_t(d), 3);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 2);
    db_done(s);
    /* Bindings are cleared by db_prepare(). */
    db_stmt *q = PREP(d, "SELECT count(*) FROM tdb_t WHERE id = $1");
    OK(d, db_bind_int64(q, 1, 2));
    assert_int_equal(db_step(q), DB_ROW);
    assert_int_equal(db_col_int64(q, 0), 1);
    q = PREP(d, "SELECT count(*) FROM tdb_t WHERE id = $1");
    assert_int_equal(db_step(q), DB_ROW);
    assert_int_equal(db_col_int64(q, 0), 0);
    db_done(q);
    /* The same text at another address is another statement; a buffer
     * reused for another text is not mistaken for the first. */
    char buf[64];
    snprintf(buf, sizeof buf, "SELECT %d", 41);
    assert_int_equal(ONE_INT(d, buf), 41);
    snprintf(buf, sizeof buf, "SELECT %d", 42);
    assert_int_equal(ONE_INT(d, buf), 42);
    db_close(d);
}

static void test_transactions(void **state)
{
    ctx *c = *state;
    db *d = open_ok(c->uri);
    db *e = open_ok(c->uri);
    make_t(d);
    assert_false(db_in_transaction(d));
    OK(d, db_begin(d));
    assert_true(db_in_transaction(d));
    assert_true(db_begin(d) < 0);
    insert_t(d, 1, "one");
    assert_int_equal(count_t(d), 1);
    assert_int_equal(count_t(e), 0);
    OK(d, db_commit(d));
    assert_false(db_in_transaction(d));
    assert_int_equal(count_t(e), 1);

    OK(d, db_begin(d));
    insert_t(d, 2, "two");
    assert_int_equal(count_t(d), 2);
    OK(d, db_rollback(d));
    assert_false(db_in_transaction(d));
    assert_int_equal(count_t(d), 1);
    assert_int_equal(count_t(e), 1);
    /* Rolling back with no transaction is harmless; committing is not. */
    OK(d, db_rollback(d));
    assert_true(db_commit(d) < 0);

    /* Savepoints: a rollback to one keeps the work before it. */
    OK(d, db_begin(d));
    insert_t(d, 10, "a");
    OK(d, db_savepoint(d, "sp1"));
    insert_t(d, 11, "b");
    OK(d, db_savepoint(d, "sp2"));
    insert_t(d, 12, "c");
    OK(d, db_rollback_to(d, "sp1"));
    OK(d, db_release(d, "sp1"));
    insert_t(d, 13, "d");
    OK(d, db_savepoint(d, "sp3"));
    insert_t(d, 14, "e");
    OK(d, db_release(d, "sp3"));
    OK(d, db_commit(d));
    assert_true(has_t(e, 10));
    assert_false(has_t(e, 11));
    assert_false(has_t(e, 12));
    assert_true(has_t(e, 13));
    assert_true(has_t(e, 14));
    /* Savepoint names are plain identifiers, inside a transaction. */
    assert_true(db_savepoint(d, "sp") < 0);
    OK(d, db_begin(d));
    assert_true(db_savepoint(d, "x; DROP TABLE tdb_t") < 0);
    assert_true(db_savepoint(d, "") < 0);
    OK(d, db_rollback(d));
    assert_int_equal(count_t(e), 4);
    db_close(e);
    db_close(d);
}

static void test_constraint(void **state)
{
    ctx *c = *state;
    db *d = open_ok(c->uri);
    make_t(d);
    insert_t(d, 1, "one");
    db_stmt *s = PREP(d, "INSERT INTO tdb_t (id, s) VALUES ($1, $2)");
    OK(d, db_bind_int64(s, 1, 1));
    OK(d, db_bind_text(s, 2, "dup", 3));
    assert_int_equal(db_step(s), DB_ECONSTRAINT);
    assert_true(strlen(db_errmsg(d)) > 0);
    db_done(s);

    /* Inside a transaction, a savepoint takes the failure back. */
    OK(d, db_begin(d));
    insert_t(d, 2, "two");
    OK(d, db_savepoint(d, "sp"));
    s = PREP(d, "INSERT INTO tdb_t (id, s) VALUES ($1, $2)");
    OK(d, db_bind_int64(s, 1, 1));
    assert_int_equal(db_step(s), DB_ECONSTRAINT);
    db_done(s);
    OK(d, db_rollback_to(d, "sp"));
    OK(d, db_release(d, "sp"));
    insert_t(d, 3, "three");
    OK(d, db_commit(d));
    assert_int_equal(count_t(d), 3);
    db_close(d);
}

static void test_wait_wake_fd(void **state)
{
    ctx *c = *state;
    db *d = open_ok(c->uri);
    OK(d, db_listen(d, "tdb_wake"));
    int p[2];
    assert_int_equal(pipe(p), 0);
    int64_t t0 = now_ms();
    assert_int_equal(db_wait(d, 150, p[0]), 0);
    int64_t el = now_ms() - t0;
    assert_true(el >= 140);
    assert_true(el < 2000);
    assert_int_equal(write(p[1], "x", 1), 1);
    t0 = now_ms();
    assert_int_equal(db_wait(d, 10000, p[0]), 1);
    assert_true(now_ms() - t0 < 2000);
    /* Not read by db_wait(): still readable. */
    assert_int_equal(db_wait(d, 10000, p[0]), 1);
    char b;
    assert_int_equal(read(p[0], &b, 1), 1);
    assert_int_equal(db_wait(d, 50, p[0]), 0);
    /* No fd and no timeout. */
    assert_int_equal(db_wait(d, 0, -1), 0);
    close(p[0]);
    close(p[1]);
    db_close(d);
}

/* ------------------------------------------------------------------ */
/* SQLite                                                              */
/* ------------------------------------------------------------------ */

static void test_sqlite_busy(void **state)
{
    ctx *c = *state;
    char uri2[1100];
    snprintf(uri2, sizeof uri2, "%s?busy_timeout=100", c->uri);
    db *a = open_ok(c->uri);
    db *b = open_ok(uri2);
    make_t(a);
    OK(a, db_begin(a));
    insert_t(a, 1, "a");
    int64_t t0 = now_ms();
    CODE(b, db_begin(b), DB_EBUSY);
    assert_true(now_ms() - t0 < 5000);
    assert_false(db_in_transaction(b));
    assert_non_null(strstr(db_errmsg(b), "busy"));
    /* Readers are not blocked (WAL). */
    assert_int_equal(count_t(b), 0);
    /* A write outside a transaction is busy too. */
    db_stmt *s = PREP(b, "INSERT INTO tdb_t (id, s) VALUES ($1, $2)");
    OK(b, db_bind_int64(s, 1, 2));
    CODE(b, db_step(s), DB_EBUSY);
    db_done(s);
    OK(a, db_commit(a));
    OK(b, db_begin(b));
    insert_t(b, 2, "b");
    OK(b, db_commit(b));
    assert_int_equal(count_t(a), 2);
    db_close(b);
    db_close(a);
}

static void test_sqlite_wait(void **state)
{
    ctx *c = *state;
    db *a = open_ok(c->uri);
    db *b = open_ok(c->uri);
    make_t(b);
    /* b's change since a opened wakes a at once. */
    int64_t t0 = now_ms();
    assert_int_equal(db_wait(a, 5000, -1), 1);
    assert_true(now_ms() - t0 < 2000);
    assert_int_equal(db_wait(a, 100, -1), 0);
    /* A commit by another connection wakes a waiter. */
    insert_t(b, 1, "x");
    t0 = now_ms();
    assert_int_equal(db_wait(a, 5000, -1), 1);
    assert_true(now_ms() - t0 < 2000);
    assert_int_equal(db_wait(a, 100, -1), 0);
    /* An uncommitted change does not; its commit does. */
    OK(b, db_begin(b));
    insert_t(b, 2, "y");
    assert_int_equal(db_wait(a, 100, -1), 0);
    OK(b, db_commit(b));
    assert_int_equal(db_wait(a, 5000, -1), 1);
    /* Its own changes do not wake a connection; notify is a no-op. */
    insert_t(a, 3, "z");
    OK(a, db_notify(a, "tdb_chan"));
    assert_int_equal(db_wait(a, 100, -1), 0);
    db_close(b);
    db_close(a);
}

static void test_sqlite_open(void **state)
{
    ctx *c = *state;
    char u[1100];
    db *d = open_ok(c->uri);
    assert_int_equal(db_kind(d), DB_SQLITE);
    assert_int_equal(ONE_INT(d, "PRAGMA synchronous"), 2);
    db_stmt *s = PREP(d, "PRAGMA journal_mode");
    assert_int_equal(db_step(s), DB_ROW);
    assert_string_equal(db_col_text(s, 0, NULL), "wal");
    db_done(s);
    assert_int_equal(ONE_INT(d, "PRAGMA foreign_keys"), 0);
    db_close(d);

    snprintf(u, sizeof u, "%s?synchronous=normal&busy_timeout=500", c->uri);
    d = open_ok(u);
    assert_int_equal(ONE_INT(d, "PRAGMA synchronous"), 1);
    db_close(d);

    const char *bad[] = { "?synchronous=bogus", "?busy_timeout=x",
                          "?nosuch=1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(u, sizeof u, "%s%s", c->uri, bad[i]);
        d = NULL;
        assert_int_equal(db_open(u, &d), DB_EFAIL);
        assert_non_null(d);
        assert_true(strlen(db_errmsg(d)) > 0);
        db_close(d);
    }

    d = NULL;
    assert_int_equal(db_open("sqlite:/nonexistent-dir-tdb/x/y.db", &d),
                     DB_EFAIL);
    assert_non_null(strstr(db_errmsg(d), "/nonexistent-dir-tdb/x/y.db"));
    db_close(d);
    d = NULL;
    assert_int_equal(db_open("sqlite:", &d), DB_EFAIL);
    db_close(d);

    /* A file that is not a database: a message naming it. */
    char path[600];
    snprintf(path, sizeof path, "%s.junk", c->path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 4096; i++)
        fputc("not a database "[i % 15], f);
    fclose(f);
    snprintf(u, sizeof u, "sqlite:%s", path);
    d = NULL;
    assert_int_equal(db_open(u, &d), DB_EFAIL);
    assert_non_null(strstr(db_errmsg(d), path));
    assert_non_null(strstr(db_errmsg(d), "not a database"));
    db_close(d);
    unlink(path);

    /* In memory. */
    d = open_ok("sqlite::memory:");
    make_t(d);
    insert_t(d, 1, "m");
    assert_int_equal(count_t(d), 1);
    db_close(d);
}

static void test_sqlite_reconnect(void **state)
{
    ctx *c = *state;
    db *d = open_ok(c->uri);
    make_t(d);
    insert_t(d, 1, "a");
    db_stmt *s = PREP(d, "SELECT s FROM tdb_t WHERE id = $1");
    OK(d, db_bind_int64(s, 1, 1));
    assert_int_equal(db_step(s), DB_ROW);
    OK(d, db_reconnect(d));
    s = PREP(d, "SELECT s FROM tdb_t WHERE id = $1");
    OK(d, db_bind_int64(s, 1, 1));
    assert_int_equal(db_step(s), DB_ROW);
    assert_string_equal(db_col_text(s, 0, NULL), "a");
    db_done(s);
    OK(d, db_begin(d));
    OK(d, db_reconnect(d));
    assert_false(db_in_transaction(d));
    insert_t(d, 2, "b");
    assert_int_equal(count_t(d), 2);
    db_close(d);
}

/* ------------------------------------------------------------------ */
/* PostgreSQL                                                          */
/* ------------------------------------------------------------------ */

static void test_pg_skip_locked(void **state)
{
    ctx *c = *state;
    db *a = open_ok(c->uri);
    db *b = open_ok(c->uri);
    make_t(a);
    insert_t(a, 1, "a");
    insert_t(a, 2, "b");
    insert_t(a, 3, "c");
    const char *take = "SELECT id FROM tdb_t ORDER BY id LIMIT 1 "
                       "FOR UPDATE SKIP LOCKED";
    OK(a, db_begin(a));
    db_stmt *s = PREP(a, take);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 1);
    db_done(s);
    OK(b, db_begin(b));
    s = PREP(b, take);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 2);
    db_done(s);
    /* A row locked by the other: NOWAIT fails busy. */
    s = PREP(b, "SELECT id FROM tdb_t WHERE id = 1 FOR UPDATE NOWAIT");
    CODE(b, db_step(s), DB_EBUSY);
    db_done(s);
    OK(b, db_rollback(b));
    OK(a, db_commit(a));
    db_close(b);
    db_close(a);
}

static void test_pg_failed_commit(void **state)
{
    ctx *c = *state;
    db *d = open_ok(c->uri);
    make_t(d);
    insert_t(d, 1, "a");
    OK(d, db_begin(d));
    insert_t(d, 2, "b");
    db_stmt *s = PREP(d, "INSERT INTO tdb_t (id, s) VALUES ($1, $2)");
    OK(d, db_bind_int64(s, 1, 1));
    CODE(d, db_step(s), DB_ECONSTRAINT);
    db_done(s);
    /* The transaction is aborted: the commit says so and rolls back. */
    assert_true(db_commit(d) < 0);
    assert_false(db_in_transaction(d));
    assert_int_equal(count_t(d), 1);
    /* Rolling back an aborted transaction works too. */
    OK(d, db_begin(d));
    s = PREP(d, "SELECT nosuchcolumn FROM tdb_t");
    CODE(d, db_step(s), DB_EFAIL);
    db_done(s);
    OK(d, db_rollback(d));
    assert_int_equal(count_t(d), 1);
    db_close(d);
}

static void test_pg_types(void **state)
{
    ctx *c = *state;
    db *d = open_ok(c->uri);
    assert_int_equal(db_kind(d), DB_PG);
    db_stmt *s = PREP(d,
        "SELECT 1::int2, -2::int4, -9000000000::int8, true, false, "
        "'abc'::varchar, 'nm'::name, 12345678901234567::numeric, "
        "-42.9::numeric, 2.5::float8, 'x'::char(3), '{\"a\":1}'::jsonb, "
        "4294967295::oid, '-17'::text, 0::numeric, "
        "99999999999999999999999::numeric, 10000::numeric");
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 1);
    assert_int_equal(db_col_int64(s, 1), -2);
    assert_true(db_col_int64(s, 2) == INT64_C(-9000000000));
    assert_int_equal(db_col_int64(s, 3), 1);
    assert_int_equal(db_col_int64(s, 4), 0);
    assert_string_equal(db_col_text(s, 5, NULL), "abc");
    assert_string_equal(db_col_text(s, 6, NULL), "nm");
    assert_true(db_col_int64(s, 7) == INT64_C(12345678901234567));
    assert_int_equal(db_col_int64(s, 8), -42);
    assert_int_equal(db_col_int64(s, 9), 2);
    assert_string_equal(db_col_text(s, 9, NULL), "2.5");
    assert_string_equal(db_col_text(s, 10, NULL), "x  ");
    assert_string_equal(db_col_text(s, 11, NULL), "{\"a\": 1}");
    assert_true(db_col_int64(s, 12) == INT64_C(4294967295));
    assert_int_equal(db_col_int64(s, 13), -17);
    assert_int_equal(db_col_int64(s, 14), 0);
    assert_true(db_col_int64(s, 15) == INT64_MAX);
    assert_int_equal(db_col_int64(s, 16), 10000);
    size_t len;
    assert_string_equal(db_col_text(s, 0, &len), "1");
    assert_int_equal(len, 1);
    assert_string_equal(db_col_text(s, 2, NULL), "-9000000000");
    assert_string_equal(db_col_text(s, 3, NULL), "1");
    assert_string_equal(db_col_text(s, 7, NULL), "12345678901234567");
    assert_int_equal(db_step(s), DB_DONE);
    db_done(s);
    /* Text cannot hold a NUL byte in PostgreSQL. */
    s = PREP(d, "SELECT $1::text");
    assert_int_equal(db_bind_text(s, 1, "a\0b", 3), DB_EFAIL);
    db_done(s);
    db_close(d);
}

static void test_pg_notify(void **state)
{
    ctx *c = *state;
    db *a = open_ok(c->uri);
    db *b = open_ok(c->uri);
    OK(a, db_listen(a, "tdb_chan"));
    OK(a, db_listen(a, "tdb_chan"));
    assert_int_equal(db_wait(a, 100, -1), 0);

    /* Delivered at commit, not before. */
    OK(b, db_begin(b));
    OK(b, db_notify(b, "tdb_chan"));
    assert_int_equal(db_wait(a, 200, -1), 0);
    OK(b, db_commit(b));
    int64_t t0 = now_ms();
    assert_int_equal(db_wait(a, 10000, -1), 1);
    assert_true(now_ms() - t0 < 5000);
    t0 = now_ms();
    assert_int_equal(db_wait(a, 150, -1), 0);
    assert_true(now_ms() - t0 >= 140);

    /* Rolled back: never delivered. Another channel: not heard. */
    OK(b, db_begin(b));
    OK(b, db_notify(b, "tdb_chan"));
    OK(b, db_rollback(b));
    OK(b, db_notify(b, "tdb_other"));
    assert_int_equal(db_wait(a, 200, -1), 0);

    /* Several notifications: one wake drains them all. */
    for (int i = 0; i < 3; i++)
        OK(b, db_notify(b, "tdb_chan"));
    sleep_ms(200);
    assert_int_equal(db_wait(a, 10000, -1), 1);
    assert_int_equal(db_wait(a, 100, -1), 0);

    /* A channel name that needs quoting. */
    OK(a, db_listen(a, "Tdb \"odd\" chan"));
    OK(b, db_notify(b, "Tdb \"odd\" chan"));
    assert_int_equal(db_wait(a, 10000, -1), 1);

    /* Notified and woken by the fd while waiting. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(db_wait(a, 10000, p[0]), 1);
    close(p[0]);
    close(p[1]);
    db_close(b);
    db_close(a);
}

static int64_t backend_pid(db *d)
{
    return ONE_INT(d, "SELECT pg_backend_pid()");
}

static void terminate(db *killer, int64_t pid)
{
    db_stmt *s = PREP(killer, "SELECT pg_terminate_backend($1)");
    OK(killer, db_bind_int64(s, 1, pid));
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_int64(s, 0), 1);
    db_done(s);
    for (int i = 0; i < 500; i++) {
        s = PREP(killer, "SELECT count(*) FROM pg_stat_activity "
                         "WHERE pid = $1");
        OK(killer, db_bind_int64(s, 1, pid));
        assert_int_equal(db_step(s), DB_ROW);
        int64_t n = db_col_int64(s, 0);
        db_done(s);
        if (n == 0)
            return;
        sleep_ms(10);
    }
    fail_msg("backend %lld did not end", (long long)pid);
}

static void test_pg_lost(void **state)
{
    ctx *c = *state;
    db *a = open_ok(c->uri);
    db *b = open_ok(c->uri);
    make_t(a);
    insert_t(a, 1, "a");
    OK(a, db_listen(a, "tdb_lost"));
    /* Statements prepared on the first connection. */
    assert_int_equal(count_t(a), 1);
    assert_true(has_t(a, 1));

    terminate(b, backend_pid(a));
    db_stmt *s = PREP(a, "SELECT count(*) FROM tdb_t");
    CODE(a, db_step(s), DB_ECONN);
    assert_true(strlen(db_errmsg(a)) > 0);
    db_done(s);
    CODE(a, db_wait(a, 10, -1), DB_ECONN);
    OK(a, db_reconnect(a));
    /* The cached statements are prepared again on the new connection. */
    assert_int_equal(count_t(a), 1);
    assert_true(has_t(a, 1));
    /* And the connection listens again. */
    OK(b, db_notify(b, "tdb_lost"));
    assert_int_equal(db_wait(a, 10000, -1), 1);
    /* Lost while waiting. */
    terminate(b, backend_pid(a));
    CODE(a, db_wait(a, 10000, -1), DB_ECONN);
    OK(a, db_reconnect(a));

    /* Lost inside a transaction: the rollback reports it, the
     * transaction is over, the reconnection works. */
    OK(a, db_begin(a));
    insert_t(a, 2, "b");
    terminate(b, backend_pid(a));
    s = PREP(a, "INSERT INTO tdb_t (id, s) VALUES ($1, $2)");
    OK(a, db_bind_int64(s, 1, 3));
    CODE(a, db_step(s), DB_ECONN);
    db_done(s);
    assert_true(db_in_transaction(a));
    assert_int_equal(db_rollback(a), DB_ECONN);
    assert_false(db_in_transaction(a));
    assert_int_equal(db_commit(a), DB_EFAIL);
    OK(a, db_reconnect(a));
    assert_int_equal(count_t(a), 1);
    assert_int_equal(count_t(b), 1);
    /* A commit on a lost connection fails with DB_ECONN. */
    OK(a, db_begin(a));
    terminate(b, backend_pid(a));
    CODE(a, db_commit(a), DB_ECONN);
    assert_false(db_in_transaction(a));
    OK(a, db_reconnect(a));
    assert_int_equal(count_t(a), 1);
    db_close(b);
    db_close(a);
}

/* ------------------------------------------------------------------ */
/* URIs and messages (no server needed)                                */
/* ------------------------------------------------------------------ */

static void expect_fail(const char *uri, int want, const char *secret)
{
    db *d = NULL;
    int rc = db_open(uri, &d);
    assert_non_null(d);
    if (rc != want)
        fail_msg("db_open(%s): got %d, want %d (%s)", uri, rc, want,
                 db_errmsg(d));
    const char *m = db_errmsg(d);
    assert_true(strlen(m) > 0);
    if (secret && strstr(m, secret))
        fail_msg("the message of %s shows the password: %s", uri, m);
    db_close(d);
}

static void test_uri_messages(void **state)
{
    (void)state;
    expect_fail("postgresql://user:secretpw@127.0.0.1:1/db", DB_ECONN,
                "secretpw");
    expect_fail("postgres://user:secretpw@127.0.0.1:1/db", DB_ECONN,
                "secretpw");
    expect_fail("postgresql://127.0.0.1:1/db?user=u&password=secretpw",
                DB_ECONN, "secretpw");
    /* Malformed URIs: libpq's complaint may quote them, the message
     * never shows the password. */
    expect_fail("postgresql://user:secretpw@127.0.0.1:1/db?nosuchopt=1",
                DB_EFAIL, "secretpw");
    expect_fail("postgresql://user:secret%zzpw@127.0.0.1:1/db", DB_EFAIL,
                "secret");
    expect_fail("postgresql://u@h/db?password=secret%zzpw", DB_EFAIL,
                "secret");
    expect_fail("postgresql://user:se%63retpw@127.0.0.1:1/db", DB_ECONN,
                "secretpw");
    expect_fail("mysql://user:secretpw@host/db", DB_EFAIL, "secretpw");
    expect_fail("user:secretpw@host/db", DB_EFAIL, "secretpw");
    expect_fail("", DB_EFAIL, NULL);
    db *d = NULL;
    assert_int_equal(db_open(NULL, &d), DB_EFAIL);
    db_close(d);
    db_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Groups                                                              */
/* ------------------------------------------------------------------ */

static ctx sqlite_ctx, pg_ctx;

static void drop_tables(const char *uri)
{
    db *d = NULL;
    if (db_open(uri, &d) == DB_OK && db_exec(d, drop_all) != DB_OK)
        print_message("dropping the test tables: %s\n", db_errmsg(d));
    db_close(d);
}

static int setup_sqlite(void **state)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(sqlite_ctx.path, sizeof sqlite_ctx.path, "%s/tdb-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(sqlite_ctx.path);
    if (fd < 0)
        return -1;
    close(fd);
    sqlite_ctx.kind = DB_SQLITE;
    snprintf(sqlite_ctx.uri, sizeof sqlite_ctx.uri, "sqlite:%s",
             sqlite_ctx.path);
    *state = &sqlite_ctx;
    return 0;
}

static int teardown_sqlite(void **state)
{
    (void)state;
    char p[600];
    unlink(sqlite_ctx.path);
    snprintf(p, sizeof p, "%s-wal", sqlite_ctx.path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", sqlite_ctx.path);
    unlink(p);
    return 0;
}

static int setup_pg(void **state)
{
    *state = &pg_ctx;
    drop_tables(pg_ctx.uri);
    return 0;
}

static int teardown_pg(void **state)
{
    (void)state;
    drop_tables(pg_ctx.uri);
    return 0;
}

int main(void)
{
    const struct CMUnitTest uri_tests[] = {
        cmocka_unit_test(test_uri_messages),
    };
    const struct CMUnitTest sqlite_tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_constraint),
        cmocka_unit_test(test_wait_wake_fd),
        cmocka_unit_test(test_sqlite_busy),
        cmocka_unit_test(test_sqlite_wait),
        cmocka_unit_test(test_sqlite_open),
        cmocka_unit_test(test_sqlite_reconnect),
    };
    const struct CMUnitTest pg_tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_constraint),
        cmocka_unit_test(test_wait_wake_fd),
        cmocka_unit_test(test_pg_skip_locked),
        cmocka_unit_test(test_pg_failed_commit),
        cmocka_unit_test(test_pg_types),
        cmocka_unit_test(test_pg_notify),
        cmocka_unit_test(test_pg_lost),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("uri", uri_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("sqlite", sqlite_tests,
                                          setup_sqlite, teardown_sqlite);
    const char *pg = getenv("BATON_TEST_PG");
    if (pg && *pg) {
        pg_ctx.kind = DB_PG;
        snprintf(pg_ctx.uri, sizeof pg_ctx.uri, "%s", pg);
        failed += cmocka_run_group_tests_name("postgresql", pg_tests,
                                              setup_pg, teardown_pg);
    } else {
        print_message("[  NOTE    ] BATON_TEST_PG is not set: the "
                      "PostgreSQL tests are skipped (run under "
                      "tests/pg/with_pg.sh, or `meson test db`)\n");
    }
    return failed ? 1 : 0;
}
