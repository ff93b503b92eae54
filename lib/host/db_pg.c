/*
 * db_pg.c - the store's connection over PostgreSQL (libpq).
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * The URI is handed to libpq as is ("postgresql://..." or "postgres://...",
 * every libpq parameter allowed); when it does not say otherwise the
 * connection gets connect_timeout=10, fallback_application_name=baton and
 * client_min_messages=warning, and notices are discarded (the library
 * never prints).
 *
 * A statement is prepared (PQprepare, named "b<N>") on its first db_step()
 * on a connection, then run with PQexecPrepared; db_reconnect() forgets
 * every preparation, so that they are made again on the new connection.
 * The number of parameters is the highest "$N" in the SQL (outside quotes
 * and comments); their types are inferred by the server, but for numbers
 * the SQL skips ("$1, $3"), which are declared text and left NULL. Integers and
 * text are sent in text format (text cannot hold a NUL byte: binding one
 * fails), blobs in binary format.
 *
 * Results come in binary format and are decoded by column type:
 *   bool, int2, int4, int8, oid    read by db_col_int64(); db_col_text()
 *                                  gives their decimal text ("1"/"0" for
 *                                  bool, as SQLite stores it)
 *   float4, float8                 db_col_int64() truncates; text "%.17g"
 *   numeric                        its integer part (db_col_int64(), and
 *                                  as text), saturated to int64
 *   text, varchar, bpchar, name,
 *   "char", unknown, json          the raw bytes (db_col_int64() parses
 *                                  them as a decimal integer)
 *   jsonb                          its text (the version byte dropped)
 *   bytea                          the raw bytes
 *   anything else                  the server's binary form, as is
 */
#define _POSIX_C_SOURCE 200809L

#include "db_int.h"

#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs (catalog/pg_type_d.h, stable across versions). */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19,
    OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25,
    OID_OID = 26, OID_JSON = 114, OID_FLOAT4 = 700, OID_FLOAT8 = 701,
    OID_UNKNOWN = 705, OID_BPCHAR = 1042, OID_VARCHAR = 1043,
    OID_NUMERIC = 1700, OID_JSONB = 3802
};

typedef struct {
    PGconn *conn;
    char **channels;   /* LISTENed, to listen again after a reconnection */
    int nchannels;
    unsigned next_name;
} pg;

typedef struct {
    char *buf;
    size_t cap;
} pg_param;

typedef struct {
    db_stmt base;      /* first */
    char name[16];
    int prepared;      /* on the current connection */
    int nparams;
    Oid *types;        /* per parameter: 0 (the server infers it), or text
                          for a number the SQL skips */
    pg_param *params;  /* nparams buffers */
    const char **vals; /* per parameter: NULL (SQL NULL) or params[i].buf */
    int *lens;
    int *fmts;
    PGresult *res;
    int row, nrows, ncols;
    char (*conv)[40];  /* per column: numbers converted to text */
    int nconv;
} pg_stmt;

static pg *P(db *d)
{
    return d->impl;
}

static void discard_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* ---- errors ---- */

static int is_conn_state(const char *st)
{
    return strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
           strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0;
}

/* Sets the message for a failed result `res` (or NULL) of `what` and
 * returns the db.h code. */
static int pg_err(db *d, const PGresult *res, const char *what)
{
    PGconn *c = P(d)->conn;
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *prim = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                           : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)
                             : NULL;
    int code = DB_EFAIL;
    if (!c || PQstatus(c) == CONNECTION_BAD || (st && is_conn_state(st)))
        code = DB_ECONN;
    else if (st && (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
                    strcmp(st, "55P03") == 0))
        code = DB_EBUSY;
    else if (st && strncmp(st, "23", 2) == 0)
        code = DB_ECONSTRAINT;
    if (prim)
        return db_fail(d, code, "PostgreSQL: %s: %s%s%s (SQLSTATE %s)", what,
                       prim, detail ? "; " : "", detail ? detail : "",
                       st ? st : "?");
    const char *m = res ? PQresultErrorMessage(res) : "";
    if (!*m)
        m = c ? PQerrorMessage(c) : "";
    if (!res && code == DB_EFAIL && strstr(m, "out of memory"))
        code = DB_ENOMEM;
    if (code == DB_ECONN)
        return db_fail(d, code, "PostgreSQL: %s: the connection is lost: %s",
                       what, *m ? m : "no connection to the server");
    return db_fail(d, code, "PostgreSQL: %s: %s", what,
                   *m ? m : "failed");
}

static int pg_err_sql(db *d, const PGresult *res, const char *sql)
{
    char q[DB_SQL_QUOTE + 2];
    q[0] = '"';
    db_sql_quote(sql, q + 1);
    strcat(q, "\"");
    return pg_err(d, res, q);
}

/* A failed connection: libpq's message names the host and port; the URI
 * (which may hold a password) is never quoted. */
static int conn_fail(db *d)
{
    PGconn *c = P(d)->conn;
    if (!c)
        return db_fail(d, DB_ENOMEM, "PostgreSQL: out of memory");
    const char *dbname = PQdb(c);
    return db_fail(d, DB_ECONN, "PostgreSQL: cannot connect%s%s%s: %s",
                   dbname && *dbname ? " to database \"" : "",
                   dbname && *dbname ? dbname : "",
                   dbname && *dbname ? "\"" : "", PQerrorMessage(c));
}

/* The URI's password, as written (in the user info or a "password="
 * parameter) and as libpq decodes it, so that no message can show it,
 * not even libpq's complaint about a malformed URI. */
static void uri_secrets(db *d, const char *uri)
{
    const char *a = strstr(uri, "://");
    if (a) {
        a += 3;
        size_t alen = strcspn(a, "/?#");
        const char *at = NULL;
        for (size_t i = 0; i < alen; i++)
            if (a[i] == '@')
                at = a + i;
        if (at) {
            const char *colon = memchr(a, ':', (size_t)(at - a));
            if (colon)
                db_add_secret(d, colon + 1, (size_t)(at - colon - 1));
        }
    }
    for (const char *q = strchr(uri, '?'); q; q = strchr(q, '&')) {
        q++;
        if (strncmp(q, "password=", 9) == 0)
            db_add_secret(d, q + 9, strcspn(q + 9, "&#"));
    }
}

/* Checks the URI with libpq's parser; DB_EFAIL when it is malformed. */
static int check_uri(db *d, const char *uri)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(uri, &err);
    if (!opts) {
        int rc = err ? db_fail(d, DB_EFAIL, "PostgreSQL: bad URI: %s", err)
                     : db_fail(d, DB_ENOMEM, "PostgreSQL: out of memory");
        PQfreemem(err);
        return rc;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val)
            db_add_secret(d, o->val, strlen(o->val));
    PQconninfoFree(opts);
    return DB_OK;
}

/* ---- simple commands ---- */

static int command(db *d, const char *sql)
{
    PGconn *c = P(d)->conn;
    if (!c)
        return db_fail(d, DB_ECONN, "PostgreSQL: not connected");
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = DB_OK;
    if (!res || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
                 st != PGRES_EMPTY_QUERY))
        rc = pg_err_sql(d, res, sql);
    PQclear(res);
    return rc;
}

static int listen_one(db *d, const char *channel)
{
    PGconn *c = P(d)->conn;
    char *id = PQescapeIdentifier(c, channel, strlen(channel));
    if (!id)
        return pg_err(d, NULL, "LISTEN");
    size_t n = strlen(id) + 8;
    char *sql = malloc(n);
    int rc;
    if (!sql) {
        rc = db_fail(d, DB_ENOMEM, "out of memory");
    } else {
        snprintf(sql, n, "LISTEN %s", id);
        rc = command(d, sql);
    }
    free(sql);
    PQfreemem(id);
    return rc;
}

/* ---- operations ---- */

static void pg_close(db *d)
{
    pg *p = P(d);
    if (!p)
        return;
    PQfinish(p->conn);
    for (int i = 0; i < p->nchannels; i++)
        free(p->channels[i]);
    free(p->channels);
    free(p);
    d->impl = NULL;
}

static int pg_reconnect(db *d)
{
    pg *p = P(d);
    if (!p->conn)
        return db_fail(d, DB_ECONN, "PostgreSQL: out of memory");
    PQreset(p->conn);
    if (PQstatus(p->conn) != CONNECTION_OK)
        return conn_fail(d);
    for (int i = 0; i < p->nchannels; i++)
        if (listen_one(d, p->channels[i]) != DB_OK)
            return DB_ECONN;
    return DB_OK;
}

static int pg_exec(db *d, const char *sql)
{
    return command(d, sql);
}

static int pg_begin(db *d)
{
    return command(d, "BEGIN ISOLATION LEVEL READ COMMITTED");
}

static int pg_rollback(db *d)
{
    PGconn *c = P(d)->conn;
    if (!c || PQstatus(c) != CONNECTION_OK)
        return db_fail(d, DB_ECONN, "PostgreSQL: the connection is lost "
                       "(its transaction is void)");
    if (PQtransactionStatus(c) == PQTRANS_IDLE)
        return DB_OK;
    return command(d, "ROLLBACK");
}

static int pg_commit(db *d)
{
    PGconn *c = P(d)->conn;
    if (!c || PQstatus(c) != CONNECTION_OK)
        return db_fail(d, DB_ECONN, "PostgreSQL: the connection is lost "
                       "(nothing was committed)");
    switch (PQtransactionStatus(c)) {
    case PQTRANS_INERROR:
        /* COMMIT would answer "ROLLBACK" without an error. */
        command(d, "ROLLBACK");
        return db_fail(d, DB_EFAIL, "PostgreSQL: COMMIT of a transaction "
                       "that failed earlier: rolled back");
    case PQTRANS_IDLE:
        return db_fail(d, DB_EFAIL, "PostgreSQL: COMMIT without a "
                       "transaction");
    default:
        break;
    }
    PGresult *res = PQexec(c, "COMMIT");
    int rc = DB_OK;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_err(d, res, "COMMIT");
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        rc = db_fail(d, DB_EFAIL, "PostgreSQL: COMMIT answered \"%s\": "
                     "nothing was committed", PQcmdStatus(res));
    PQclear(res);
    if (rc != DB_OK && PQstatus(c) == CONNECTION_OK &&
        PQtransactionStatus(c) != PQTRANS_IDLE) {
        res = PQexec(c, "ROLLBACK");
        PQclear(res);
    }
    return rc;
}

/* The highest "$N" of the SQL outside quotes and comments; with `used`,
 * also marks used[N - 1] for each N found. */
static int scan_params(const char *sql, unsigned char *used)
{
    int max = 0;
    const char *p = sql;
    while (*p) {
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            while (*p && *p != q)
                p++;
            if (*p)
                p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            p += 2;
            while (*p && !(p[0] == '*' && p[1] == '/'))
                p++;
            if (*p)
                p += 2;
        } else if (p[0] == '$' && p[1] >= '0' && p[1] <= '9') {
            long n = 0;
            for (p++; *p >= '0' && *p <= '9'; p++)
                if (n < 100000)
                    n = n * 10 + (*p - '0');
            if (n < 1 || n > 65535)
                continue;
            if (used)
                used[n - 1] = 1;
            if (n > max)
                max = (int)n;
        } else {
            p++;
        }
    }
    return max;
}

static void clear_result(pg_stmt *ps)
{
    PQclear(ps->res);
    ps->res = NULL;
    ps->row = -1;
    ps->nrows = ps->ncols = 0;
}

static db_stmt *pg_stmt_new(db *d, const char *sql)
{
    pg_stmt *ps = calloc(1, sizeof *ps);
    if (!ps)
        return NULL;
    ps->base.d = d;
    ps->base.sql = (char *)sql;
    snprintf(ps->name, sizeof ps->name, "b%u", ++P(d)->next_name);
    ps->nparams = scan_params(sql, NULL);
    ps->row = -1;
    if (ps->nparams > 0) {
        size_t n = (size_t)ps->nparams;
        unsigned char *used = calloc(n, 1);
        ps->types = calloc(n, sizeof *ps->types);
        ps->params = calloc(n, sizeof *ps->params);
        ps->vals = calloc(n, sizeof *ps->vals);
        ps->lens = calloc(n, sizeof *ps->lens);
        ps->fmts = calloc(n, sizeof *ps->fmts);
        if (!used || !ps->types || !ps->params || !ps->vals || !ps->lens ||
            !ps->fmts) {
            free(used);
            free(ps->types);
            free(ps->params);
            free(ps->vals);
            free(ps->lens);
            free(ps->fmts);
            free(ps);
            return NULL;
        }
        /* "$1, $4" has parameters 2 and 3 too: the server cannot infer
         * their types, so they are declared text (and stay NULL). */
        scan_params(sql, used);
        for (size_t i = 0; i < n; i++)
            ps->types[i] = used[i] ? 0 : OID_TEXT;
        free(used);
    }
    return &ps->base;
}

static void pg_stmt_reset(db_stmt *s, int prepare)
{
    (void)prepare; /* preparation waits for db_step() */
    pg_stmt *ps = (pg_stmt *)s;
    clear_result(ps);
    for (int i = 0; i < ps->nparams; i++) {
        ps->vals[i] = NULL;
        ps->lens[i] = 0;
        ps->fmts[i] = 0;
    }
    s->state = DB_ST_READY;
    s->err = 0;
    s->changes = 0;
}

static void pg_stmt_lost(db_stmt *s)
{
    pg_stmt *ps = (pg_stmt *)s;
    ps->prepared = 0;
    pg_stmt_reset(s, 0);
}

static void pg_stmt_free(db_stmt *s)
{
    pg_stmt *ps = (pg_stmt *)s;
    clear_result(ps);
    for (int i = 0; i < ps->nparams; i++)
        free(ps->params[i].buf);
    free(ps->types);
    free(ps->params);
    free(ps->vals);
    free(ps->lens);
    free(ps->fmts);
    free(ps->conv);
    free(ps);
}

static int pg_bind(db_stmt *s, int i, int kind, int64_t v, const void *p,
                   size_t len)
{
    pg_stmt *ps = (pg_stmt *)s;
    db *d = s->d;
    if (i > ps->nparams || ps->types[i - 1] != 0) {
        char q[DB_SQL_QUOTE];
        db_sql_quote(s->sql, q);
        return db_fail(d, DB_EFAIL, "PostgreSQL: no parameter $%d in \"%s\"",
                       i, q);
    }
    int k = i - 1;
    if (kind == DB_B_NULL) {
        ps->vals[k] = NULL;
        ps->lens[k] = 0;
        ps->fmts[k] = 0;
        return DB_OK;
    }
    if (kind == DB_B_TEXT && memchr(p, 0, len))
        return db_fail(d, DB_EFAIL, "PostgreSQL: text for $%d holds a NUL "
                       "byte", i);
    if (len > INT_MAX - 1)
        return db_fail(d, DB_EFAIL, "PostgreSQL: value for $%d is too long",
                       i);
    size_t need = kind == DB_B_INT64 ? 24 : len + 1;
    pg_param *pp = &ps->params[k];
    if (pp->cap < need) {
        char *b = realloc(pp->buf, need);
        if (!b)
            return db_fail(d, DB_ENOMEM, "out of memory");
        pp->buf = b;
        pp->cap = need;
    }
    if (kind == DB_B_INT64) {
        snprintf(pp->buf, pp->cap, "%lld", (long long)v);
        len = strlen(pp->buf);
    } else {
        memcpy(pp->buf, p, len);
        pp->buf[len] = '\0';
    }
    ps->vals[k] = pp->buf;
    ps->lens[k] = (int)len;
    ps->fmts[k] = kind == DB_B_BLOB;
    return DB_OK;
}

static int64_t changes_of(const PGresult *res)
{
    const char *tag = PQcmdStatus((PGresult *)res);
    if (strncmp(tag, "INSERT ", 7) != 0 && strncmp(tag, "UPDATE ", 7) != 0 &&
        strncmp(tag, "DELETE ", 7) != 0 && strncmp(tag, "MERGE ", 6) != 0)
        return 0;
    return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

static int pg_step(db_stmt *s)
{
    pg_stmt *ps = (pg_stmt *)s;
    db *d = s->d;
    PGconn *c = P(d)->conn;
    if (s->state == DB_ST_READY) {
        if (!c)
            return db_fail(d, DB_ECONN, "PostgreSQL: not connected");
        if (!ps->prepared) {
            PGresult *r = PQprepare(c, ps->name, s->sql, ps->nparams,
                                    ps->types);
            int rc = DB_OK;
            if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
                rc = pg_err_sql(d, r, s->sql);
            PQclear(r);
            if (rc != DB_OK)
                return rc;
            ps->prepared = 1;
        }
        ps->res = PQexecPrepared(c, ps->name, ps->nparams, ps->vals,
                                 ps->lens, ps->fmts, 1);
        ExecStatusType st = PQresultStatus(ps->res);
        if (!ps->res || (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK &&
                         st != PGRES_EMPTY_QUERY)) {
            int rc = pg_err_sql(d, ps->res, s->sql);
            clear_result(ps);
            return rc;
        }
        s->changes = changes_of(ps->res);
        ps->nrows = st == PGRES_TUPLES_OK ? PQntuples(ps->res) : 0;
        ps->ncols = st == PGRES_TUPLES_OK ? PQnfields(ps->res) : 0;
        ps->row = -1;
    }
    if (ps->row + 1 < ps->nrows) {
        ps->row++;
        s->state = DB_ST_ROW;
        return DB_ROW;
    }
    s->state = DB_ST_DONE;
    return DB_DONE;
}

/* ---- columns ---- */

static int col_ok(const pg_stmt *ps, int i)
{
    return ps->res && ps->row >= 0 && ps->row < ps->nrows && i < ps->ncols;
}

static int pg_col_null(db_stmt *s, int i)
{
    pg_stmt *ps = (pg_stmt *)s;
    return !col_ok(ps, i) || PQgetisnull(ps->res, ps->row, i);
}

static uint64_t be(const unsigned char *v, int n)
{
    uint64_t u = 0;
    for (int k = 0; k < n; k++)
        u = u << 8 | v[k];
    return u;
}

static int64_t as_signed(uint64_t u, int bytes)
{
    /* Sign-extend a two's complement value of `bytes` bytes. */
    if (bytes < 8 && (u >> (bytes * 8 - 1)) & 1)
        u |= ~UINT64_C(0) << (bytes * 8);
    int64_t r;
    memcpy(&r, &u, sizeof r);
    return r;
}

static int64_t from_double(double x)
{
    if (isnan(x))
        return 0;
    if (x >= 9223372036854775807.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

/* The integer part of a binary numeric, saturated. */
static int64_t numeric_int(const unsigned char *v, int n)
{
    if (n < 8)
        return 0;
    int ndigits = (int)as_signed(be(v, 2), 2);
    int weight = (int)as_signed(be(v + 2, 2), 2);
    unsigned sign = (unsigned)be(v + 4, 2);
    if (sign == 0xD000)
        return INT64_MAX;
    if (sign == 0xF000)
        return INT64_MIN;
    if (sign != 0x0000 && sign != 0x4000)
        return 0; /* NaN */
    if (ndigits < 0 || n < 8 + 2 * ndigits)
        return 0;
    uint64_t limit = sign ? UINT64_C(9223372036854775808)
                          : UINT64_C(9223372036854775807);
    uint64_t m = 0;
    int sat = 0;
    for (int k = 0; k <= weight && !sat; k++) {
        uint64_t dg = k < ndigits ? be(v + 8 + 2 * k, 2) : 0;
        if (m > (limit - dg) / 10000)
            sat = 1;
        else
            m = m * 10000 + dg;
    }
    if (sat)
        m = limit;
    if (sign)
        return m == UINT64_C(9223372036854775808) ? INT64_MIN
                                                  : -(int64_t)m;
    return (int64_t)m;
}

static int is_texty(Oid t)
{
    return t == OID_TEXT || t == OID_VARCHAR || t == OID_BPCHAR ||
           t == OID_NAME || t == OID_CHAR || t == OID_UNKNOWN ||
           t == OID_JSON || t == OID_JSONB;
}

static int64_t pg_col_int64(db_stmt *s, int i)
{
    pg_stmt *ps = (pg_stmt *)s;
    if (pg_col_null(s, i))
        return 0;
    const unsigned char *v =
        (const unsigned char *)PQgetvalue(ps->res, ps->row, i);
    int n = PQgetlength(ps->res, ps->row, i);
    Oid t = PQftype(ps->res, i);
    switch (t) {
    case OID_BOOL:
        return n >= 1 && v[0] != 0;
    case OID_INT2:
        return n == 2 ? as_signed(be(v, 2), 2) : 0;
    case OID_INT4:
        return n == 4 ? as_signed(be(v, 4), 4) : 0;
    case OID_INT8:
        return n == 8 ? as_signed(be(v, 8), 8) : 0;
    case OID_OID:
        return n == 4 ? (int64_t)be(v, 4) : 0;
    case OID_FLOAT4: {
        if (n != 4)
            return 0;
        uint32_t u = (uint32_t)be(v, 4);
        float f;
        memcpy(&f, &u, sizeof f);
        return from_double(f);
    }
    case OID_FLOAT8: {
        if (n != 8)
            return 0;
        uint64_t u = be(v, 8);
        double x;
        memcpy(&x, &u, sizeof x);
        return from_double(x);
    }
    case OID_NUMERIC:
        return numeric_int(v, n);
    default:
        if (is_texty(t)) {
            const char *p = (const char *)v;
            if (t == OID_JSONB && n > 0)
                p++;
            return strtoll(p, NULL, 10);
        }
        return 0;
    }
}

static const void *pg_col_bytes(db_stmt *s, int i, size_t *len, int text)
{
    (void)text;
    pg_stmt *ps = (pg_stmt *)s;
    if (pg_col_null(s, i))
        return NULL;
    const char *v = PQgetvalue(ps->res, ps->row, i);
    int n = PQgetlength(ps->res, ps->row, i);
    Oid t = PQftype(ps->res, i);
    switch (t) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
    case OID_NUMERIC:
    case OID_FLOAT4:
    case OID_FLOAT8: {
        if (ps->nconv < ps->ncols) {
            void *c = realloc(ps->conv, (size_t)ps->ncols * sizeof *ps->conv);
            if (!c)
                return NULL;
            ps->conv = c;
            ps->nconv = ps->ncols;
        }
        char *b = ps->conv[i];
        if (t == OID_FLOAT4 || t == OID_FLOAT8) {
            double x;
            if (t == OID_FLOAT4 && n == 4) {
                uint32_t u = (uint32_t)be((const unsigned char *)v, 4);
                float f;
                memcpy(&f, &u, sizeof f);
                x = f;
            } else if (n == 8) {
                uint64_t u = be((const unsigned char *)v, 8);
                memcpy(&x, &u, sizeof x);
            } else {
                x = 0;
            }
            snprintf(b, sizeof ps->conv[i], "%.17g", x);
        } else {
            snprintf(b, sizeof ps->conv[i], "%lld",
                     (long long)pg_col_int64(s, i));
        }
        *len = strlen(b);
        return b;
    }
    case OID_JSONB:
        /* Binary jsonb is a version byte (1) and the text. */
        if (n > 0) {
            *len = (size_t)n - 1;
            return v + 1;
        }
        *len = 0;
        return v;
    default:
        /* libpq ends every value with a NUL byte. */
        *len = (size_t)n;
        return v;
    }
}

/* ---- notifications ---- */

static int pg_listen(db *d, const char *channel)
{
    pg *p = P(d);
    if (!p->conn)
        return db_fail(d, DB_ECONN, "PostgreSQL: not connected");
    int rc = listen_one(d, channel);
    if (rc != DB_OK)
        return rc;
    for (int i = 0; i < p->nchannels; i++)
        if (strcmp(p->channels[i], channel) == 0)
            return DB_OK;
    char **cs = realloc(p->channels, (size_t)(p->nchannels + 1) * sizeof *cs);
    if (!cs)
        return db_fail(d, DB_ENOMEM, "out of memory");
    p->channels = cs;
    if (!(cs[p->nchannels] = strdup(channel)))
        return db_fail(d, DB_ENOMEM, "out of memory");
    p->nchannels++;
    return DB_OK;
}

static int pg_notify(db *d, const char *channel)
{
    PGconn *c = P(d)->conn;
    if (!c)
        return db_fail(d, DB_ECONN, "PostgreSQL: not connected");
    const char *vals[1] = { channel };
    PGresult *res = PQexecParams(c, "SELECT pg_notify($1, '')", 1, NULL,
                                 vals, NULL, NULL, 0);
    int rc = DB_OK;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = pg_err(d, res, "NOTIFY");
    PQclear(res);
    return rc;
}

static int pg_wait(db *d, int64_t timeout_ms, int wake_fd)
{
    PGconn *c = P(d)->conn;
    if (!c || PQstatus(c) != CONNECTION_OK)
        return db_fail(d, DB_ECONN, "PostgreSQL: the connection is lost");
    int64_t deadline = db_now_ms() + timeout_ms;
    for (;;) {
        if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)
            return pg_err(d, NULL, "waiting for a notification");
        int got = 0;
        PGnotify *n;
        while ((n = PQnotifies(c))) {
            got = 1;
            PQfreemem(n);
        }
        if (got)
            return 1;
        int sock = PQsocket(c);
        if (sock < 0)
            return db_fail(d, DB_ECONN, "PostgreSQL: the connection is lost");
        struct pollfd fds[2] = {
            { .fd = sock, .events = POLLIN },
            { .fd = wake_fd, .events = POLLIN },
        };
        int64_t left = deadline - db_now_ms();
        if (left < 0)
            left = 0;
        int r = poll(fds, wake_fd >= 0 ? 2 : 1,
                     left > INT_MAX ? INT_MAX : (int)left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return db_fail(d, DB_EFAIL, "poll: %s", strerror(errno));
        }
        if (wake_fd >= 0 && fds[1].revents)
            return 1;
        if (r == 0 && left <= INT_MAX)
            return 0;
        /* The socket has input: consume it and look again. */
    }
}

static const struct db_ops pg_ops = {
    .close = pg_close,
    .reconnect = pg_reconnect,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .stmt_new = pg_stmt_new,
    .stmt_reset = pg_stmt_reset,
    .stmt_lost = pg_stmt_lost,
    .stmt_free = pg_stmt_free,
    .bind = pg_bind,
    .step = pg_step,
    .col_null = pg_col_null,
    .col_int64 = pg_col_int64,
    .col_bytes = pg_col_bytes,
    .listen = pg_listen,
    .notify = pg_notify,
    .wait = pg_wait,
};

int db_pg_open(db *d, const char *uri)
{
    pg *p = calloc(1, sizeof *p);
    if (!p)
        return db_fail(d, DB_ENOMEM, "out of memory");
    d->impl = p;
    d->ops = &pg_ops;
    uri_secrets(d, uri);
    int rc = check_uri(d, uri);
    if (rc != DB_OK)
        return rc;
    /* Keywords before "dbname" are defaults that the URI overrides. */
    const char *const keys[] = { "connect_timeout",
                                 "fallback_application_name", "options",
                                 "dbname", NULL };
    const char *const vals[] = { "10", "baton",
                                 "-c client_min_messages=warning", uri,
                                 NULL };
    p->conn = PQconnectdbParams(keys, vals, 1);
    if (!p->conn)
        return db_fail(d, DB_ENOMEM, "PostgreSQL: out of memory");
    PQsetNoticeProcessor(p->conn, discard_notice, NULL);
    if (PQstatus(p->conn) != CONNECTION_OK)
        return conn_fail(d);
    return DB_OK;
}
