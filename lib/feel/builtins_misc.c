/* FEEL's boolean, context and range functions, is() and range():
 * DMN 1.4 §10.3.4.2, .8, .9 and §10.3.4.10 (is), DMN 1.5's range(from),
 * and feel-scala's extensions for Zeebe (get or else, assert, context
 * put/get value with a path of keys, context merge, context()).
 *
 * `is defined` is not here: feel-scala answers false for a variable that
 * does not exist, which only the evaluator can tell from null. */
#include <stdint.h>
#include <string.h>

#include "baton.h"
#include "feel/builtins.h"

static int null_out(fv_cx *cx, const fv **out, const char *why)
{
    fv_why(cx, "%s", why);
    *out = fv_null();
    return 0;
}

static int bool_out(int b, const fv **out)
{
    *out = fv_bool(b);
    return 0;
}

static int is_ctx(const fv *v)
{
    return v && v->kind == FV_CTX;
}

/* ---- boolean -------------------------------------------------------- */

static int f_not(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    if (a[0]->kind != FV_BOOL)
        return null_out(cx, out, "not() expects a boolean");
    return bool_out(!a[0]->u.b, out);
}

static int f_get_or_else(fv_cx *cx, const fv *const *a, size_t n,
                         const fv **out)
{
    *out = a[0]->kind != FV_NULL ? a[0] : a[1];
    return 0;
}

/* feel-scala fails the evaluation; here the result is null, with the
 * cause as the reason. */
static int f_assert(fv_cx *cx, const fv *const *a, size_t n,
                    const fv **out)
{
    const fv *cause = a[2];

    if (a[1]->kind == FV_BOOL && a[1]->u.b) {
        *out = a[0];
        return 0;
    }
    if (cause && cause->kind != FV_NULL && cause->kind != FV_STR) {
        cause = fv_to_string(cx, cause);
        if (!cause)
            return BATON_ENOMEM;
    }
    if (cause && cause->kind == FV_STR)
        fv_why(cx, "assertion failed: %s", cause->u.str.s);
    else
        fv_why(cx, "assertion failed");
    *out = fv_null();
    return 0;
}

/* ---- contexts ------------------------------------------------------- */

static int ctx_of(fv_cx *cx, const fv_entry *e, size_t n, const fv **out)
{
    fv_entry *slots;
    fv *c = fv_ctx_new(cx, n, &slots);

    if (!c)
        return BATON_ENOMEM;
    if (n)
        memcpy(slots, e, n * sizeof *slots);
    *out = c;
    return 0;
}

static int key_is(const fv_entry *e, const char *key, size_t klen)
{
    return e->klen == klen && (klen == 0 || !memcmp(e->key, key, klen));
}

/* `c` with entry `key` set to `val`: in its place when `c` has it, else
 * at the end (feel-scala keeps the order of entries). */
static int put1(fv_cx *cx, const fv *c, const char *key, size_t klen,
                const fv *val, const fv **out)
{
    fv_entry *slots;
    size_t i, n = c->u.ctx.n;
    fv *r;

    for (i = 0; i < n; i++)
        if (key_is(&c->u.ctx.e[i], key, klen))
            break;
    r = fv_ctx_new(cx, i < n ? n : n + 1, &slots);
    if (!r)
        return BATON_ENOMEM;
    if (n)
        memcpy(slots, c->u.ctx.e, n * sizeof *slots);
    slots[i].key = i < n ? c->u.ctx.e[i].key : key;
    slots[i].klen = klen;
    slots[i].val = val;
    *out = r;
    return 0;
}

/* A key argument: one string, or a list of strings (a path); 0 when it
 * is neither or the list is empty. */
static int keys_of(const fv *const *kp, const fv *const **keys, size_t *n)
{
    const fv *k = *kp;
    size_t i;

    if (k->kind == FV_STR) {
        *keys = kp;
        *n = 1;
        return 1;
    }
    if (k->kind != FV_LIST || k->u.list.n == 0)
        return 0;
    for (i = 0; i < k->u.list.n; i++)
        if (k->u.list.v[i]->kind != FV_STR)
            return 0;
    *keys = k->u.list.v;
    *n = k->u.list.n;
    return 1;
}

static int f_get_value(fv_cx *cx, const fv *const *a, size_t n,
                       const fv **out)
{
    const fv *const *keys;
    const fv *v = a[0];
    size_t nk, i;

    if (!is_ctx(a[0]) || !keys_of(&a[1], &keys, &nk))
        return null_out(cx, out, "get value() expects a context and a key "
                        "or a list of keys");
    for (i = 0; i < nk && v; i++)
        v = is_ctx(v) ? fv_ctx_get(v, keys[i]->u.str.s, keys[i]->u.str.n)
                      : NULL;
    *out = v ? v : fv_null();
    return 0;
}

static int f_get_entries(fv_cx *cx, const fv *const *a, size_t n,
                         const fv **out)
{
    const fv **slots;
    size_t i, size;
    fv *l;

    if (!is_ctx(a[0]))
        return null_out(cx, out, "get entries() expects a context");
    size = a[0]->u.ctx.n;
    l = fv_list_new(cx, size, &slots);
    if (!l)
        return BATON_ENOMEM;
    for (i = 0; i < size; i++) {
        const fv_entry *e = &a[0]->u.ctx.e[i];
        fv_entry *pair;
        fv *c = fv_ctx_new(cx, 2, &pair);
        const fv *key = fv_str(cx, e->key, e->klen);

        if (!c || !key)
            return BATON_ENOMEM;
        pair[0].key = "key";
        pair[0].klen = 3;
        pair[0].val = key;
        pair[1].key = "value";
        pair[1].klen = 5;
        pair[1].val = e->val;
        slots[i] = c;
    }
    *out = l;
    return 0;
}

static int f_context_put(fv_cx *cx, const fv *const *a, size_t n,
                         const fv **out)
{
    const fv *const *keys;
    const fv **chain, *v;
    size_t nk, i;
    int rc;

    if (!is_ctx(a[0]) || !keys_of(&a[1], &keys, &nk))
        return null_out(cx, out, "context put() expects a context and a "
                        "key or a non-empty list of keys");
    /* Down the path, then back up putting each level's new context into
     * its parent; a level that is missing or not a context becomes a new
     * one (as feel-scala). */
    chain = fv_alloc(cx, nk * sizeof *chain);
    if (!chain)
        return BATON_ENOMEM;
    chain[0] = a[0];
    for (i = 1; i < nk; i++) {
        const fv *c = fv_ctx_get(chain[i - 1], keys[i - 1]->u.str.s,
                                 keys[i - 1]->u.str.n);

        if (!is_ctx(c)) {
            rc = ctx_of(cx, NULL, 0, &c);
            if (rc)
                return rc;
        }
        chain[i] = c;
    }
    v = a[2];
    for (i = nk; i-- > 0;) {
        rc = put1(cx, chain[i], keys[i]->u.str.s, keys[i]->u.str.n, v, &v);
        if (rc)
            return rc;
    }
    *out = v;
    return 0;
}

/* Entries by key in a hash table over fv memory, so that merging n
 * entries is linear. Each key keeps the place of its first entry and the
 * value of its last. */
struct keyset {
    size_t mask, n;
    size_t *slot; /* 0: empty, else entry index + 1 */
    fv_entry *e;
};

static int ks_init(fv_cx *cx, struct keyset *ks, size_t max)
{
    size_t cap = 8;

    while (cap < 2 * max)
        cap *= 2;
    ks->mask = cap - 1;
    ks->n = 0;
    ks->slot = fv_alloc(cx, cap * sizeof *ks->slot);
    ks->e = fv_alloc(cx, (max ? max : 1) * sizeof *ks->e);
    return ks->slot && ks->e ? 0 : BATON_ENOMEM;
}

static void ks_put(struct keyset *ks, const char *key, size_t klen,
                   const fv *val)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < klen; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    for (i = (size_t)h & ks->mask; ks->slot[i]; i = (i + 1) & ks->mask)
        if (key_is(&ks->e[ks->slot[i] - 1], key, klen)) {
            ks->e[ks->slot[i] - 1].val = val;
            return;
        }
    ks->e[ks->n].key = key;
    ks->e[ks->n].klen = klen;
    ks->e[ks->n].val = val;
    ks->slot[i] = ++ks->n;
}

static int f_context_merge(fv_cx *cx, const fv *const *a, size_t n,
                           const fv **out)
{
    const fv *const *v;
    struct keyset ks;
    size_t count, i, j, total = 0;
    int rc;

    if (bt_feel_items(cx, a, n, &v, &count)) {
        *out = fv_null();
        return 0;
    }
    for (i = 0; i < count; i++) {
        if (!is_ctx(v[i]))
            return null_out(cx, out, "context merge() expects contexts");
        total += v[i]->u.ctx.n;
    }
    rc = ks_init(cx, &ks, total);
    if (rc)
        return rc;
    for (i = 0; i < count; i++)
        for (j = 0; j < v[i]->u.ctx.n; j++)
            ks_put(&ks, v[i]->u.ctx.e[j].key, v[i]->u.ctx.e[j].klen,
                   v[i]->u.ctx.e[j].val);
    return ctx_of(cx, ks.e, ks.n, out);
}

static int f_context(fv_cx *cx, const fv *const *a, size_t n,
                     const fv **out)
{
    struct keyset ks;
    size_t i, size;
    int rc;

    if (a[0]->kind != FV_LIST)
        return null_out(cx, out, "context() expects a list of entries");
    size = a[0]->u.list.n;
    for (i = 0; i < size; i++) {
        const fv *e = a[0]->u.list.v[i], *k;

        k = is_ctx(e) ? fv_ctx_get(e, "key", 3) : NULL;
        if (!k || k->kind != FV_STR || !fv_ctx_get(e, "value", 5))
            return null_out(cx, out, "context() expects entries with a "
                            "string key and a value");
    }
    rc = ks_init(cx, &ks, size);
    if (rc)
        return rc;
    for (i = 0; i < size; i++) {
        const fv *e = a[0]->u.list.v[i], *k = fv_ctx_get(e, "key", 3);

        ks_put(&ks, k->u.str.s, k->u.str.n, fv_ctx_get(e, "value", 5));
    }
    return ctx_of(cx, ks.e, ks.n, out);
}

/* ---- ranges (DMN 1.4 §10.3.4.9, Table 78) -------------------------- */

/* A point or a range as the relations see it: a point p is [p..p]; a
 * missing bound is infinite and never included. */
struct span {
    const fv *lo, *hi;
    int lo_in, hi_in;
};

enum { PP, PR, RP, RR };

/* Orders bounds where NULL is infinite: `sx`, `sy` say which infinity
 * (-1 below every value, 1 above). 2 when not comparable. */
static int bound_cmp(const fv *x, int sx, const fv *y, int sy)
{
    if (!x && !y)
        return (sx > sy) - (sx < sy);
    if (!x)
        return sx;
    if (!y)
        return -sy;
    return fv_cmp(x, y);
}

/* The four comparisons every relation is written in. */
#define SS c[0] /* a.start vs b.start */
#define EE c[1] /* a.end vs b.end */
#define ES c[2] /* a.end vs b.start */
#define SE c[3] /* a.start vs b.end */

/* Each relation: 1, 0, or -1 when it does not take that shape. */
typedef int (*rel_fn)(int shape, const struct span *a, const struct span *b,
                      const int *c);

static int r_before(int shape, const struct span *a, const struct span *b,
                    const int *c)
{
    return ES < 0 || ((!a->hi_in || !b->lo_in) && ES == 0);
}

static int r_after(int shape, const struct span *a, const struct span *b,
                   const int *c)
{
    return SE > 0 || ((!a->lo_in || !b->hi_in) && SE == 0);
}

static int r_meets(int shape, const struct span *a, const struct span *b,
                   const int *c)
{
    if (shape != RR)
        return -1;
    return a->hi_in && b->lo_in && ES == 0;
}

static int r_met_by(int shape, const struct span *a, const struct span *b,
                    const int *c)
{
    if (shape != RR)
        return -1;
    return a->lo_in && b->hi_in && SE == 0;
}

static int r_overlaps(int shape, const struct span *a, const struct span *b,
                      const int *c)
{
    if (shape != RR)
        return -1;
    return (ES > 0 || (ES == 0 && a->hi_in && b->lo_in)) &&
           (SE < 0 || (SE == 0 && a->lo_in && b->hi_in));
}

static int r_overlaps_before(int shape, const struct span *a,
                             const struct span *b, const int *c)
{
    if (shape != RR)
        return -1;
    return (SS < 0 || (SS == 0 && a->lo_in && !b->lo_in)) &&
           (ES > 0 || (ES == 0 && a->hi_in && b->lo_in)) &&
           (EE < 0 || (EE == 0 && (!a->hi_in || b->hi_in)));
}

static int r_overlaps_after(int shape, const struct span *a,
                            const struct span *b, const int *c)
{
    if (shape != RR)
        return -1;
    return (SS > 0 || (SS == 0 && b->lo_in && !a->lo_in)) &&
           (SE < 0 || (SE == 0 && b->hi_in && a->lo_in)) &&
           (EE > 0 || (EE == 0 && (!b->hi_in || a->hi_in)));
}

static int r_finishes(int shape, const struct span *a, const struct span *b,
                      const int *c)
{
    if (shape == PR)
        return b->hi_in && EE == 0;
    if (shape != RR)
        return -1;
    return a->hi_in == b->hi_in && EE == 0 &&
           (SS > 0 || (SS == 0 && (!a->lo_in || b->lo_in)));
}

static int r_finished_by(int shape, const struct span *a,
                         const struct span *b, const int *c)
{
    if (shape == RP)
        return a->hi_in && EE == 0;
    if (shape != RR)
        return -1;
    return a->hi_in == b->hi_in && EE == 0 &&
           (SS < 0 || (SS == 0 && (a->lo_in || !b->lo_in)));
}

static int r_includes(int shape, const struct span *a, const struct span *b,
                      const int *c)
{
    if (shape == RP)
        return (SS < 0 && EE > 0) || (SS == 0 && a->lo_in) ||
               (EE == 0 && a->hi_in);
    if (shape != RR)
        return -1;
    return (SS < 0 || (SS == 0 && (a->lo_in || !b->lo_in))) &&
           (EE > 0 || (EE == 0 && (a->hi_in || !b->hi_in)));
}

static int r_during(int shape, const struct span *a, const struct span *b,
                    const int *c)
{
    if (shape == PR)
        return (SS > 0 && EE < 0) || (SS == 0 && b->lo_in) ||
               (EE == 0 && b->hi_in);
    if (shape != RR)
        return -1;
    return (SS > 0 || (SS == 0 && (b->lo_in || !a->lo_in))) &&
           (EE < 0 || (EE == 0 && (b->hi_in || !a->hi_in)));
}

static int r_starts(int shape, const struct span *a, const struct span *b,
                    const int *c)
{
    if (shape == PR)
        return SS == 0 && b->lo_in;
    if (shape != RR)
        return -1;
    return SS == 0 && a->lo_in == b->lo_in &&
           (EE < 0 || (EE == 0 && (!a->hi_in || b->hi_in)));
}

static int r_started_by(int shape, const struct span *a,
                        const struct span *b, const int *c)
{
    if (shape == RP)
        return SS == 0 && a->lo_in;
    if (shape != RR)
        return -1;
    return SS == 0 && a->lo_in == b->lo_in &&
           (EE > 0 || (EE == 0 && (a->hi_in || !b->hi_in)));
}

static int r_coincides(int shape, const struct span *a,
                       const struct span *b, const int *c)
{
    if (shape == PP)
        return SS == 0;
    if (shape != RR)
        return -1;
    return SS == 0 && a->lo_in == b->lo_in && EE == 0 &&
           a->hi_in == b->hi_in;
}

/* 1 for a range, 0 for a point, -1 for null (neither). */
static int to_span(const fv *v, struct span *s)
{
    if (v->kind == FV_NULL)
        return -1;
    if (v->kind != FV_RANGE) {
        s->lo = s->hi = v;
        s->lo_in = s->hi_in = 1;
        return 0;
    }
    s->lo = v->u.range.lo;
    s->hi = v->u.range.hi;
    s->lo_in = s->lo && v->u.range.lo_closed;
    s->hi_in = s->hi && v->u.range.hi_closed;
    return 1;
}

static int relate(fv_cx *cx, const fv *const *arg, const fv **out,
                  rel_fn rel, const char *fn)
{
    struct span a, b;
    int ka = to_span(arg[0], &a), kb = to_span(arg[1], &b), c[4], r, i;

    if (ka < 0 || kb < 0) {
        fv_why(cx, "%s() expects points and ranges, not null", fn);
        *out = fv_null();
        return 0;
    }
    c[0] = bound_cmp(a.lo, -1, b.lo, -1);
    c[1] = bound_cmp(a.hi, 1, b.hi, 1);
    c[2] = bound_cmp(a.hi, 1, b.lo, -1);
    c[3] = bound_cmp(a.lo, -1, b.hi, 1);
    for (i = 0; i < 4; i++)
        if (c[i] == 2) {
            fv_why(cx, "%s() can't compare %s and %s", fn,
                   fv_type_name(arg[0]), fv_type_name(arg[1]));
            *out = fv_null();
            return 0;
        }
    r = rel(ka * 2 + kb, &a, &b, c);
    if (r < 0) {
        fv_why(cx, "%s() does not take %s and %s", fn,
               ka ? "a range" : "a point", kb ? "a range" : "a point");
        *out = fv_null();
        return 0;
    }
    return bool_out(r, out);
}

#define RELATION(name, rel, text)                                          \
    static int name(fv_cx *cx, const fv *const *a, size_t n,               \
                    const fv **out)                                        \
    {                                                                      \
        return relate(cx, a, out, rel, text);                              \
    }

RELATION(f_before, r_before, "before")
RELATION(f_after, r_after, "after")
RELATION(f_meets, r_meets, "meets")
RELATION(f_met_by, r_met_by, "met by")
RELATION(f_overlaps, r_overlaps, "overlaps")
RELATION(f_overlaps_before, r_overlaps_before, "overlaps before")
RELATION(f_overlaps_after, r_overlaps_after, "overlaps after")
RELATION(f_finishes, r_finishes, "finishes")
RELATION(f_finished_by, r_finished_by, "finished by")
RELATION(f_includes, r_includes, "includes")
RELATION(f_during, r_during, "during")
RELATION(f_starts, r_starts, "starts")
RELATION(f_started_by, r_started_by, "started by")
RELATION(f_coincides, r_coincides, "coincides")

/* ---- is(value1, value2) (DMN 1.4 §10.3.4.10) ------------------------ */

static int same_zone(const bt_fzone *a, const bt_fzone *b)
{
    if (a->kind != b->kind || a->offset != b->offset)
        return 0;
    return a->kind != BT_TZ_ZONE ||
           (a->idlen == b->idlen && !memcmp(a->id, b->id, a->idlen));
}

static int same_time(const bt_ftime *a, const bt_ftime *b)
{
    return a->sec == b->sec && a->nanos == b->nanos &&
           same_zone(&a->tz, &b->tz);
}

/* The same element of FEEL's domain: unlike =, times and dates and
 * times must agree on their zone too (10:00:00Z is not 11:00:00+01:00). */
static int f_is(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    const fv *x = a[0], *y = a[1];

    if (x->kind != y->kind)
        return bool_out(0, out);
    switch (x->kind) {
    case FV_NULL:
        return bool_out(1, out);
    case FV_TIME:
        return bool_out(same_time(&x->u.time, &y->u.time), out);
    case FV_DT:
        return bool_out(bt_t_cmp_date(&x->u.dt.date, &y->u.dt.date) == 0 &&
                        same_time(&x->u.dt.time, &y->u.dt.time), out);
    default:
        return bool_out(fv_eq(x, y) == 1, out);
    }
}

/* ---- range(from) (DMN 1.5) ----------------------------------------- */

/* The text of a range literal: "[1..10)", "(..@\"2020-01-01\"]",
 * "[\"a\"..\"z\"]". Each endpoint is empty or null (unbounded), a
 * number, a string, an @"..." temporal literal, or date(...), time(...),
 * date and time(...), duration(...) of a string literal (as Drools). */
struct rtext {
    fv_cx *cx;
    const char *p, *end;
};

static void skip_ws(struct rtext *t)
{
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' ||
                             *t->p == '\n' || *t->p == '\r'))
        t->p++;
}

static int take(struct rtext *t, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(t->end - t->p) < n || memcmp(t->p, word, n))
        return 0;
    t->p += n;
    return 1;
}

/* A "..." literal at t->p, decoded into fv memory as the FEEL lexer
 * decodes strings (as feel-scala: \n \r \t \b \f \' \" \\, any other
 * backslash kept as written). 1, 0 when malformed, BATON_ENOMEM. */
static int string_lit(struct rtext *t, char **s, size_t *n)
{
    const char *p = t->p + 1;
    char *o;
    size_t k = 0;

    if (t->p >= t->end || *t->p != '"')
        return 0;
    /* Decoding never makes the text longer. */
    o = fv_alloc(t->cx, (size_t)(t->end - t->p) + 1);
    if (!o)
        return BATON_ENOMEM;
    while (p < t->end && *p != '"') {
        if (*p != '\\' || p + 1 >= t->end) {
            o[k++] = *p++;
            continue;
        }
        switch (p[1]) {
        case '"': case '\\': case '\'': o[k++] = p[1]; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        default: o[k++] = '\\'; o[k++] = p[1]; break;
        }
        p += 2;
    }
    if (p >= t->end)
        return 0;
    t->p = p + 1;
    o[k] = '\0';
    *s = o;
    *n = k;
    return 1;
}

enum { T_ANY, T_DATE, T_TIME, T_DT, T_DUR };

/* A 'T' between digits: "2020-01-01T10:00", not the T of "@Asia/Tokyo". */
static int has_date_time_t(const char *s, size_t n)
{
    size_t i;

    for (i = 1; i + 1 < n; i++)
        if (s[i] == 'T' && s[i - 1] >= '0' && s[i - 1] <= '9' &&
            s[i + 1] >= '0' && s[i + 1] <= '9')
            return 1;
    return 0;
}

static const fv *temporal(fv_cx *cx, const char *s, size_t n, int type,
                          int *bad)
{
    bt_fdate d;
    bt_ftime tm;
    bt_fdt dt;
    bt_dtdur dur;
    int64_t months;
    int ym;

    *bad = 0;
    if (type == T_ANY) {
        if (n && (s[0] == 'P' || (s[0] == '-' && n > 1 && s[1] == 'P')))
            type = T_DUR;
        else if (has_date_time_t(s, n))
            type = T_DT;
        else if (memchr(s, ':', n))
            type = T_TIME;
        else
            type = T_DATE;
    }
    switch (type) {
    case T_DATE:
        if (!bt_t_parse_date(s, n, &d))
            return fv_date(cx, &d);
        break;
    case T_TIME:
        if (!bt_t_parse_time(s, n, &tm))
            return fv_time(cx, &tm);
        break;
    case T_DT:
        if (!bt_t_parse_dt(s, n, &dt))
            return fv_dt(cx, &dt);
        break;
    default:
        if (!bt_t_parse_duration(s, n, &ym, &dur, &months))
            return ym ? fv_ymdur(cx, months) : fv_dtdur(cx, &dur);
        break;
    }
    *bad = 1;
    return NULL;
}

/* One endpoint: 1 with *v set (NULL: unbounded), 0 when malformed,
 * BATON_ENOMEM. */
static int endpoint(struct rtext *t, const fv **v)
{
    static const struct { const char *word; int type; } fns[] = {
        { "date and time", T_DT }, { "date", T_DATE }, { "time", T_TIME },
        { "duration", T_DUR },
    };
    char *s;
    size_t n, i;
    int rc, bad, type = -1;

    *v = NULL;
    skip_ws(t);
    if (t->p >= t->end || take(t, "null"))
        return 1;
    if (*t->p == '.' && t->end - t->p > 1 && t->p[1] == '.')
        return 1;
    if (*t->p == '"' || *t->p == '@') {
        type = *t->p == '@' ? T_ANY : -1;
        t->p += *t->p == '@';
        rc = string_lit(t, &s, &n);
        if (rc != 1)
            return rc;
        *v = type < 0 ? fv_str_take(t->cx, s, n)
                      : temporal(t->cx, s, n, type, &bad);
        if (!*v && type >= 0 && bad)
            return 0;
        return *v ? 1 : BATON_ENOMEM;
    }
    for (i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        const char *save = t->p;

        if (!take(t, fns[i].word))
            continue;
        skip_ws(t);
        if (!take(t, "(")) {
            t->p = save;
            continue;
        }
        skip_ws(t);
        rc = string_lit(t, &s, &n);
        if (rc != 1)
            return rc;
        skip_ws(t);
        if (!take(t, ")"))
            return 0;
        *v = temporal(t->cx, s, n, fns[i].type, &bad);
        return *v ? 1 : bad ? 0 : BATON_ENOMEM;
    }
    {
        /* A number: -?digits(.digits)?, or .digits; a lone "." is the
         * start of "..". */
        const char *b = t->p, *p = t->p;
        bt_dec d;

        if (p < t->end && (*p == '-' || *p == '+'))
            p++;
        while (p < t->end && *p >= '0' && *p <= '9')
            p++;
        if (p + 1 < t->end && *p == '.' && p[1] >= '0' && p[1] <= '9')
            for (p++; p < t->end && *p >= '0' && *p <= '9'; p++)
                ;
        if (p == b || bt_dec_parse(&d, b, (size_t)(p - b)))
            return 0;
        t->p = p;
        *v = fv_num(t->cx, &d);
        return *v ? 1 : BATON_ENOMEM;
    }
}

static int f_range(fv_cx *cx, const fv *const *a, size_t n,
                   const fv **out)
{
    struct rtext t;
    const fv *lo, *hi;
    int lo_closed, hi_closed, rc;
    char last;

    if (a[0]->kind != FV_STR || a[0]->u.str.n < 2)
        return null_out(cx, out, "range() expects a range literal");
    t.cx = cx;
    t.p = a[0]->u.str.s;
    t.end = t.p + a[0]->u.str.n;
    last = t.end[-1];
    if ((*t.p != '[' && *t.p != '(' && *t.p != ']') ||
        (last != ']' && last != ')' && last != '['))
        return null_out(cx, out, "range() expects a range literal");
    lo_closed = *t.p == '[';
    hi_closed = last == ']';
    t.p++;
    t.end--;
    rc = endpoint(&t, &lo);
    if (rc == 1) {
        skip_ws(&t);
        rc = take(&t, "..") ? endpoint(&t, &hi) : 0;
    }
    if (rc < 0)
        return rc;
    skip_ws(&t);
    if (rc == 0 || t.p != t.end)
        return null_out(cx, out, "range() expects a range literal");
    if (!lo && !hi)
        return null_out(cx, out, "range() needs at least one endpoint");
    if (lo && hi && fv_cmp(lo, hi) == 2)
        return null_out(cx, out, "range() needs endpoints of one type");
    *out = fv_range(cx, lo, lo && lo_closed, hi, hi && hi_closed);
    return *out ? 0 : BATON_ENOMEM;
}

/* Several entries of one name take the parameter names of DMN 1.4 and
 * feel-scala's alternatives, so that calls by name find theirs; a
 * positional call takes the first and the function tells points from
 * ranges itself. "put" and "put all" are feel-scala's deprecated names
 * of context put and context merge. */
#define POINT_RANGE_ALL(name, fn)                                          \
    { name, { "point1", "point2" }, 2, 0, fn },                            \
    { name, { "point", "range" }, 2, 0, fn },                              \
    { name, { "range", "point" }, 2, 0, fn },                              \
    { name, { "range1", "range2" }, 2, 0, fn }

const bt_feel_builtin bt_feel_lib_misc[] = {
    { "not", { "negand" }, 1, 0, f_not },
    { "get or else", { "value", "default" }, 2, 0, f_get_or_else },
    { "assert", { "value", "condition", "cause" }, 2, 0, f_assert },

    { "get value", { "context", "key" }, 2, 0, f_get_value },
    { "get value", { "m", "key" }, 2, 0, f_get_value },
    { "get value", { "context", "keys" }, 2, 0, f_get_value },
    { "get entries", { "context" }, 1, 0, f_get_entries },
    { "get entries", { "m" }, 1, 0, f_get_entries },
    { "context put", { "context", "key", "value" }, 3, 0, f_context_put },
    { "context put", { "context", "keys", "value" }, 3, 0, f_context_put },
    { "put", { "context", "key", "value" }, 3, 0, f_context_put },
    { "context merge", { "contexts" }, 0, 1, f_context_merge },
    { "put all", { "contexts" }, 0, 1, f_context_merge },
    { "context", { "entries" }, 1, 0, f_context },

    POINT_RANGE_ALL("before", f_before),
    POINT_RANGE_ALL("after", f_after),
    { "meets", { "range1", "range2" }, 2, 0, f_meets },
    { "met by", { "range1", "range2" }, 2, 0, f_met_by },
    { "overlaps", { "range1", "range2" }, 2, 0, f_overlaps },
    { "overlaps before", { "range1", "range2" }, 2, 0, f_overlaps_before },
    { "overlaps after", { "range1", "range2" }, 2, 0, f_overlaps_after },
    { "finishes", { "point", "range" }, 2, 0, f_finishes },
    { "finishes", { "range1", "range2" }, 2, 0, f_finishes },
    { "finished by", { "range", "point" }, 2, 0, f_finished_by },
    { "finished by", { "range1", "range2" }, 2, 0, f_finished_by },
    { "includes", { "range", "point" }, 2, 0, f_includes },
    { "includes", { "range1", "range2" }, 2, 0, f_includes },
    { "during", { "point", "range" }, 2, 0, f_during },
    { "during", { "range1", "range2" }, 2, 0, f_during },
    { "starts", { "point", "range" }, 2, 0, f_starts },
    { "starts", { "range1", "range2" }, 2, 0, f_starts },
    { "started by", { "range", "point" }, 2, 0, f_started_by },
    { "started by", { "range1", "range2" }, 2, 0, f_started_by },
    { "coincides", { "point1", "point2" }, 2, 0, f_coincides },
    { "coincides", { "range1", "range2" }, 2, 0, f_coincides },

    { "is", { "value1", "value2" }, 2, 0, f_is },
    { "range", { "from" }, 1, 0, f_range },
    { NULL, { NULL }, 0, 0, NULL }
};
