/* FEEL values: the evaluation's scratch memory, constructors, equality
 * and ordering, and the way in from and out to JSON. */
#include "feel/value.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "baton.h"

/* ---- scratch memory --------------------------------------------------- */

struct fv_chunk {
    struct fv_chunk *next;
    size_t size;
    _Alignas(max_align_t) char data[];
};

#define ALIGN (sizeof(max_align_t))

void fv_cx_init(fv_cx *cx, const bt_alloc *a, const bt_expr_env *env)
{
    cx->alloc = a;
    cx->chunks = NULL;
    cx->cur = cx->first;
    cx->end = cx->first + sizeof cx->first;
    cx->status = 0;
    cx->now_ms = env ? env->now_ms : INT64_MIN;
    cx->env = env;
    cx->why[0] = '\0';
    cx->work = 0;
    cx->depth = 0;
    cx->missing = 0;
    cx->held = NULL;
    cx->conv = NULL;
}

struct fv_held {
    struct fv_held *next;
    json_t *j;
};

int fv_hold(fv_cx *cx, json_t *j)
{
    struct fv_held *h = fv_alloc(cx, sizeof *h);
    if (!h)
        return BATON_ENOMEM;
    h->j = j;
    h->next = cx->held;
    cx->held = h;
    return 0;
}

void fv_cx_done(fv_cx *cx)
{
    for (struct fv_held *h = cx->held; h; h = h->next)
        json_decref(h->j);
    cx->held = NULL;
    struct fv_chunk *c = cx->chunks;
    while (c) {
        struct fv_chunk *next = c->next;
        bt_free(cx->alloc, c);
        c = next;
    }
    cx->chunks = NULL;
}

void *fv_alloc(fv_cx *cx, size_t size)
{
    if (cx->status)
        return NULL;
    size = (size + ALIGN - 1) / ALIGN * ALIGN;
    char *p = (char *)(((uintptr_t)cx->cur + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
    if (p > cx->end || (size_t)(cx->end - p) < size) {
        size_t want = size > 8192 ? size : 8192;
        if (want > SIZE_MAX - sizeof(struct fv_chunk)) {
            cx->status = BATON_ENOMEM;
            return NULL;
        }
        struct fv_chunk *c = bt_malloc(cx->alloc, sizeof *c + want);
        if (!c) {
            cx->status = BATON_ENOMEM;
            return NULL;
        }
        c->next = cx->chunks;
        c->size = want;
        cx->chunks = c;
        p = c->data;
        cx->end = c->data + want;
    }
    cx->cur = p + size;
    memset(p, 0, size);
    return p;
}

void fv_why(fv_cx *cx, const char *fmt, ...)
{
    if (cx->why[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cx->why, sizeof cx->why, fmt, ap);
    va_end(ap);
}

/* ---- constructors ------------------------------------------------------ */

static const fv the_null = { FV_NULL, { 0 } };
static const fv the_true = { FV_BOOL, { 1 } };
static const fv the_false = { FV_BOOL, { 0 } };

const fv *fv_null(void) { return &the_null; }
const fv *fv_bool(int b) { return b ? &the_true : &the_false; }

static fv *make(fv_cx *cx, int kind)
{
    fv *v = fv_alloc(cx, sizeof *v);
    if (v)
        v->kind = (uint8_t)kind;
    return v;
}

const fv *fv_num(fv_cx *cx, const bt_dec *d)
{
    fv *v = make(cx, FV_NUM);
    if (v)
        v->u.num = *d;
    return v;
}

const fv *fv_int(fv_cx *cx, int64_t i)
{
    bt_dec d;
    bt_dec_from_int(&d, i);
    return fv_num(cx, &d);
}

const fv *fv_str_take(fv_cx *cx, char *s, size_t n)
{
    fv *v = make(cx, FV_STR);
    if (v) {
        v->u.str.s = s;
        v->u.str.n = n;
    }
    return v;
}

const fv *fv_str(fv_cx *cx, const char *s, size_t n)
{
    char *c = fv_alloc(cx, n + 1);
    if (!c)
        return NULL;
    if (n)
        memcpy(c, s, n);
    return fv_str_take(cx, c, n);
}

fv *fv_list_new(fv_cx *cx, size_t n, const fv ***slots)
{
    fv *v = make(cx, FV_LIST);
    const fv **s = v && n ? fv_alloc(cx, n * sizeof *s) : NULL;
    if (!v || (n && !s))
        return NULL;
    v->u.list.v = s;
    v->u.list.n = n;
    *slots = s;
    return v;
}

fv *fv_ctx_new(fv_cx *cx, size_t n, fv_entry **entries)
{
    fv *v = make(cx, FV_CTX);
    fv_entry *e = v && n ? fv_alloc(cx, n * sizeof *e) : NULL;
    if (!v || (n && !e))
        return NULL;
    v->u.ctx.e = e;
    v->u.ctx.n = n;
    *entries = e;
    return v;
}

#define CONSTRUCT(fn, T, kind, field)                                         \
    const fv *fn(fv_cx *cx, const T *x)                                       \
    {                                                                         \
        fv *v = make(cx, kind);                                               \
        if (v)                                                                \
            v->u.field = *x;                                                  \
        return v;                                                             \
    }
CONSTRUCT(fv_date, bt_fdate, FV_DATE, date)
CONSTRUCT(fv_time, bt_ftime, FV_TIME, time)
CONSTRUCT(fv_dt, bt_fdt, FV_DT, dt)
CONSTRUCT(fv_dtdur, bt_dtdur, FV_DTDUR, dtdur)

const fv *fv_ymdur(fv_cx *cx, int64_t months)
{
    fv *v = make(cx, FV_YMDUR);
    if (v)
        v->u.months = months;
    return v;
}

const fv *fv_range(fv_cx *cx, const fv *lo, int lo_closed, const fv *hi,
                   int hi_closed)
{
    fv *v = make(cx, FV_RANGE);
    if (v) {
        v->u.range.lo = lo;
        v->u.range.hi = hi;
        v->u.range.lo_closed = (uint8_t)!!lo_closed;
        v->u.range.hi_closed = (uint8_t)!!hi_closed;
    }
    return v;
}

/* ---- queries ------------------------------------------------------------ */

const fv *fv_ctx_get(const fv *ctx, const char *key, size_t klen)
{
    if (ctx->kind != FV_CTX)
        return NULL;
    for (size_t i = 0; i < ctx->u.ctx.n; i++)
        if (ctx->u.ctx.e[i].klen == klen &&
            !memcmp(ctx->u.ctx.e[i].key, key, klen))
            return ctx->u.ctx.e[i].val;
    return NULL;
}

static int str_cmp(const fv *a, const fv *b)
{
    size_t n = a->u.str.n < b->u.str.n ? a->u.str.n : b->u.str.n;
    int c = n ? memcmp(a->u.str.s, b->u.str.s, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a->u.str.n < b->u.str.n ? -1 : a->u.str.n > b->u.str.n;
}

int fv_cmp(const fv *a, const fv *b)
{
    if (a->kind != b->kind) {
        /* a date against a date and time: the date is its midnight */
        return 2;
    }
    switch (a->kind) {
    case FV_NUM: return bt_dec_cmp(&a->u.num, &b->u.num);
    case FV_STR: return str_cmp(a, b);
    case FV_DATE: return bt_t_cmp_date(&a->u.date, &b->u.date);
    case FV_TIME: return bt_t_cmp_time(&a->u.time, &b->u.time);
    case FV_DT: return bt_t_cmp_dt(&a->u.dt, &b->u.dt);
    case FV_DTDUR: return bt_t_cmp_dtdur(&a->u.dtdur, &b->u.dtdur);
    case FV_YMDUR:
        return a->u.months < b->u.months ? -1 : a->u.months > b->u.months;
    }
    return 2;
}

static int eq_depth(const fv *a, const fv *b, int depth);

static int eq_items(const fv *a, const fv *b, int depth)
{
    if (a->u.list.n != b->u.list.n)
        return 0;
    int r = 1;
    for (size_t i = 0; i < a->u.list.n && r == 1; i++)
        r = eq_depth(a->u.list.v[i], b->u.list.v[i], depth + 1);
    return r < 0 ? 0 : r; /* items of different kinds: not equal */
}

static int eq_entries(const fv *a, const fv *b, int depth)
{
    if (a->u.ctx.n != b->u.ctx.n)
        return 0;
    int r = 1;
    for (size_t i = 0; i < a->u.ctx.n && r == 1; i++) {
        const fv *o = fv_ctx_get(b, a->u.ctx.e[i].key, a->u.ctx.e[i].klen);
        r = o ? eq_depth(a->u.ctx.e[i].val, o, depth + 1) : 0;
    }
    return r < 0 ? 0 : r;
}

static int eq_bound(const fv *a, const fv *b, int depth)
{
    if (!a || !b)
        return !a && !b;
    return eq_depth(a, b, depth + 1);
}

static int eq_depth(const fv *a, const fv *b, int depth)
{
    if (depth > 256)
        return -1;
    if (a->kind == FV_NULL || b->kind == FV_NULL)
        return a->kind == b->kind;
    if (a->kind != b->kind)
        return -1;
    switch (a->kind) {
    case FV_BOOL: return !a->u.b == !b->u.b;
    case FV_LIST: return eq_items(a, b, depth);
    case FV_CTX: return eq_entries(a, b, depth);
    case FV_RANGE:
        if (a->u.range.lo_closed != b->u.range.lo_closed ||
            a->u.range.hi_closed != b->u.range.hi_closed)
            return 0;
        {
            int r = eq_bound(a->u.range.lo, b->u.range.lo, depth);
            return r == 1 ? eq_bound(a->u.range.hi, b->u.range.hi, depth) : r;
        }
    case FV_FUNC: return a == b;
    case FV_TIME: /* as feel-scala: the same time with the same offset */
        if ((a->u.time.tz.kind == BT_TZ_LOCAL) !=
            (b->u.time.tz.kind == BT_TZ_LOCAL))
            return -1;
        return a->u.time.sec == b->u.time.sec &&
               a->u.time.nanos == b->u.time.nanos &&
               a->u.time.tz.kind == b->u.time.tz.kind &&
               a->u.time.tz.offset == b->u.time.tz.offset &&
               a->u.time.tz.idlen == b->u.time.tz.idlen &&
               (!a->u.time.tz.idlen ||
                !memcmp(a->u.time.tz.id, b->u.time.tz.id, a->u.time.tz.idlen));
    }
    int c = fv_cmp(a, b);
    return c == 2 ? -1 : c == 0;
}

int fv_eq(const fv *a, const fv *b)
{
    return eq_depth(a, b, 0);
}

const char *fv_type_name(const fv *v)
{
    static const char *const names[] = {
        "null", "boolean", "number", "string", "list", "context", "date",
        "time", "date and time", "days and time duration",
        "years and months duration", "range", "function"};
    return names[v->kind];
}

int fv_in_range(const fv *r, const fv *x)
{
    int ok = 1;
    if (r->u.range.lo) {
        int c = fv_cmp(r->u.range.lo, x);
        if (c == 2)
            return -1;
        ok = r->u.range.lo_closed ? c <= 0 : c < 0;
    }
    if (r->u.range.hi) {
        int c = fv_cmp(x, r->u.range.hi);
        if (c == 2)
            return -1;
        ok = ok && (r->u.range.hi_closed ? c <= 0 : c < 0);
    }
    return ok;
}

/* ---- JSON ------------------------------------------------------------- */

static const fv *from_json(fv_cx *cx, json_t *j, int depth)
{
    if (depth > 256) {
        fv_why(cx, "variable nested too deeply");
        return fv_null();
    }
    switch (json_typeof(j)) {
    case JSON_TRUE: return fv_bool(1);
    case JSON_FALSE: return fv_bool(0);
    case JSON_INTEGER: return fv_int(cx, json_integer_value(j));
    case JSON_REAL: {
        bt_dec d;
        if (bt_dec_from_double(&d, json_real_value(j)))
            return fv_null();
        return fv_num(cx, &d);
    }
    case JSON_STRING: {
        /* borrowed: variables outlive the evaluation */
        fv *v = make(cx, FV_STR);
        if (v) {
            v->u.str.s = json_string_value(j);
            v->u.str.n = json_string_length(j);
        }
        return v;
    }
    case JSON_ARRAY: {
        const fv **slots;
        size_t n = json_array_size(j);
        cx->work += n;
        fv *v = fv_list_new(cx, n, &slots);
        for (size_t i = 0; v && i < n; i++)
            if (!(slots[i] = from_json(cx, json_array_get(j, i), depth + 1)))
                return NULL;
        return v;
    }
    case JSON_OBJECT: {
        fv_entry *e;
        size_t n = json_object_size(j), i = 0;
        cx->work += n;
        fv *v = fv_ctx_new(cx, n, &e);
        if (!v)
            return NULL;
        const char *key;
        json_t *val;
        json_object_foreach(j, key, val) {
            e[i].key = key;
            e[i].klen = json_object_iter_key_len(
                json_object_key_to_iter(key));
            if (!(e[i].val = from_json(cx, val, depth + 1)))
                return NULL;
            i++;
        }
        return v;
    }
    default: return fv_null();
    }
}

/* A list or context variable is converted once per evaluation, however
 * often the expression names it (`for i in 1..n return count(big)`
 * would otherwise convert `big` n times). The variables do not change
 * while an expression runs, so the JSON value's address is its key; the
 * few variables one expression names make a list enough. */
struct fv_conv {
    struct fv_conv *next;
    const json_t *j;
    const fv *v;
};

const fv *fv_from_json(fv_cx *cx, json_t *j)
{
    if (!j)
        return fv_null();
    if (!json_is_array(j) && !json_is_object(j))
        return from_json(cx, j, 0);
    for (const struct fv_conv *c = cx->conv; c; c = c->next)
        if (c->j == j)
            return c->v;
    struct fv_conv *c = fv_alloc(cx, sizeof *c);
    const fv *v = c ? from_json(cx, j, 0) : NULL;
    if (!v)
        return NULL;
    c->j = j;
    c->v = v;
    c->next = cx->conv;
    cx->conv = c;
    return v;
}

/* JSON numbers are doubles past int64: a number beyond a double's range
 * cannot leave (null). */
static json_t *num_json(const bt_dec *d)
{
    int64_t i;
    if (bt_dec_to_int(d, &i))
        return json_integer(i);
    double x = bt_dec_to_double(d);
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *to_json(fv_cx *cx, const fv *v, int depth, int *bad)
{
    char buf[BT_T_BUFSZ];
    if (depth > 256) {
        *bad = 1;
        return json_null();
    }
    switch (v->kind) {
    case FV_BOOL: return json_boolean(v->u.b);
    case FV_NUM: return num_json(&v->u.num);
    case FV_STR: return json_stringn_nocheck(v->u.str.s, v->u.str.n);
    case FV_DATE: return json_string((bt_t_format_date(&v->u.date, buf), buf));
    case FV_TIME: return json_string((bt_t_format_time(&v->u.time, buf), buf));
    case FV_DT: return json_string((bt_t_format_dt(&v->u.dt, buf), buf));
    case FV_DTDUR:
        return json_string((bt_t_format_dtdur(&v->u.dtdur, buf), buf));
    case FV_YMDUR:
        return json_string((bt_t_format_ymdur(v->u.months, buf), buf));
    case FV_LIST: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < v->u.list.n; i++) {
            json_t *x = to_json(cx, v->u.list.v[i], depth + 1, bad);
            if (!x || json_array_append_new(a, x)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case FV_CTX: {
        json_t *o = json_object();
        for (size_t i = 0; o && i < v->u.ctx.n; i++) {
            const fv_entry *e = &v->u.ctx.e[i];
            json_t *x = to_json(cx, e->val, depth + 1, bad);
            if (!x || json_object_setn_new_nocheck(o, e->key, e->klen, x)) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    }
    return json_null();
}

int fv_to_json(fv_cx *cx, const fv *v, json_t **out)
{
    int bad = 0;
    *out = to_json(cx, v, 0, &bad);
    return *out ? 0 : BATON_ENOMEM;
}

/* ---- string() ------------------------------------------------------------ */

typedef struct sbuf {
    fv_cx *cx;
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = fv_alloc(b->cx, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        if (b->n)
            memcpy(p, b->p, b->n);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void put_value(sbuf *b, const fv *v, int depth, int quote)
{
    char buf[BT_DEC_BUFSZ > BT_T_BUFSZ ? BT_DEC_BUFSZ : BT_T_BUFSZ];
    if (depth > 64) {
        put(b, "...", 3);
        return;
    }
    switch (v->kind) {
    case FV_NULL: put(b, "null", 4); return;
    case FV_BOOL: put(b, v->u.b ? "true" : "false", v->u.b ? 4 : 5); return;
    case FV_NUM: put(b, buf, bt_dec_format(&v->u.num, buf)); return;
    case FV_STR:
        if (quote)
            put(b, "\"", 1);
        put(b, v->u.str.s, v->u.str.n);
        if (quote)
            put(b, "\"", 1);
        return;
    case FV_DATE: put(b, buf, bt_t_format_date(&v->u.date, buf)); return;
    case FV_TIME: put(b, buf, bt_t_format_time(&v->u.time, buf)); return;
    case FV_DT: put(b, buf, bt_t_format_dt(&v->u.dt, buf)); return;
    case FV_DTDUR: put(b, buf, bt_t_format_dtdur(&v->u.dtdur, buf)); return;
    case FV_YMDUR: put(b, buf, bt_t_format_ymdur(v->u.months, buf)); return;
    case FV_LIST:
        put(b, "[", 1);
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i)
                put(b, ", ", 2);
            put_value(b, v->u.list.v[i], depth + 1, 1);
        }
        put(b, "]", 1);
        return;
    case FV_CTX:
        put(b, "{", 1);
        for (size_t i = 0; i < v->u.ctx.n; i++) {
            if (i)
                put(b, ", ", 2);
            put(b, v->u.ctx.e[i].key, v->u.ctx.e[i].klen);
            put(b, ":", 1);
            put_value(b, v->u.ctx.e[i].val, depth + 1, 1);
        }
        put(b, "}", 1);
        return;
    case FV_RANGE:
        put(b, v->u.range.lo_closed ? "[" : "(", 1);
        if (v->u.range.lo)
            put_value(b, v->u.range.lo, depth + 1, 1);
        put(b, "..", 2);
        if (v->u.range.hi)
            put_value(b, v->u.range.hi, depth + 1, 1);
        put(b, v->u.range.hi_closed ? "]" : ")", 1);
        return;
    case FV_FUNC: put(b, "function", 8); return;
    }
}

const fv *fv_to_string(fv_cx *cx, const fv *v)
{
    if (v->kind == FV_STR)
        return v;
    if (v->kind == FV_NULL)
        return v;
    sbuf b = { cx, NULL, 0, 0, 0 };
    put(&b, "", 0);
    put_value(&b, v, 0, 0);
    if (b.oom)
        return NULL;
    return fv_str_take(cx, b.p, b.n);
}
