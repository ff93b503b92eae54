/* FEEL's list functions: DMN 1.4 §10.3.4.4 and the extensions feel-scala
 * gives Zeebe (duplicate values, is empty, partition). Positions follow
 * feel-scala: 1 is the first item, -1 the last, and a position past
 * either end clamps the way Scala's take/drop/slice do.
 *
 * Costs: every function is linear in its input, except sort, median,
 * mode and the de-duplicating ones (distinct values, duplicate values,
 * union): n log n, through a stable merge sort. The de-duplicating ones
 * sort the items whose kinds have a total order (null, booleans, numbers,
 * strings, dates, durations) and put the others (lists, contexts, times,
 * dates and times, ranges, functions) in a hash table, comparing with
 * fv_eq only items whose hashes are equal. */
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

static int is_list(const fv *v)
{
    return v && v->kind == FV_LIST;
}

int bt_feel_items(fv_cx *cx, const fv *const *args, size_t n,
                  const fv *const **items, size_t *count)
{
    size_t i;

    /* As feel-scala: one list argument stands for its items; anything
     * else (min(1, 2), min(1)) is the list of the arguments. */
    if (n == 1 && is_list(args[0])) {
        *items = args[0]->u.list.v;
        *count = args[0]->u.list.n;
        return 0;
    }
    for (i = 0; i < n; i++)
        if (!args[i]) {
            fv_why(cx, "expected a list");
            return 1;
        }
    *items = args;
    *count = n;
    return 0;
}

/* A new list of the `n` values at `v`. */
static int list_of(fv_cx *cx, const fv *const *v, size_t n, const fv **out)
{
    const fv **slots;
    fv *l = fv_list_new(cx, n, &slots);

    if (!l)
        return BATON_ENOMEM;
    if (n)
        memcpy(slots, v, n * sizeof *slots);
    *out = l;
    return 0;
}

/* Null for arguments that do not fit, when the reason is already given. */
static int null_quiet(const fv **out)
{
    *out = fv_null();
    return 0;
}

static int bool_out(int b, const fv **out)
{
    *out = fv_bool(b);
    return 0;
}

/* FEEL's equality for membership: null matches null. */
static int same(const fv *a, const fv *b)
{
    if (a->kind == FV_NULL || b->kind == FV_NULL)
        return a->kind == b->kind;
    return fv_eq(a, b) == 1;
}

static int all_numbers(fv_cx *cx, const fv *const *v, size_t n,
                       const char *fn)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i]->kind != FV_NUM) {
            fv_why(cx, "%s() expects numbers, not %s", fn,
                   fv_type_name(v[i]));
            return 0;
        }
    return 1;
}

/* ---- a stable merge sort of indices -------------------------------- */

/* 1 when item `a` must come before item `b`, 0 when not, SORT_NULL when
 * they cannot be ordered (the sort's result is null), or a negative
 * BATON_E* code. */
#define SORT_NULL 2
typedef int (*lt_fn)(void *ud, size_t a, size_t b);

static int msort(fv_cx *cx, size_t *idx, size_t n, lt_fn lt, void *ud)
{
    size_t *src = idx, *dst, *t, width;

    if (n < 2)
        return 0;
    dst = fv_alloc(cx, n * sizeof *dst);
    if (!dst)
        return BATON_ENOMEM;
    for (width = 1; width < n; width *= 2) {
        size_t lo;

        for (lo = 0; lo < n; lo += 2 * width) {
            size_t mid = n - lo > width ? lo + width : n;
            size_t hi = n - mid > width ? mid + width : n;
            size_t a = lo, b = mid, k = lo;

            while (a < mid && b < hi) {
                /* The right one goes first only when it must: equal
                 * items keep their order. */
                int r = lt(ud, src[b], src[a]);

                if (r < 0 || r == SORT_NULL)
                    return r;
                dst[k++] = r ? src[b++] : src[a++];
            }
            while (a < mid)
                dst[k++] = src[a++];
            while (b < hi)
                dst[k++] = src[b++];
        }
        t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        memcpy(idx, src, n * sizeof *idx);
    return 0;
}

static size_t *iota(fv_cx *cx, size_t n)
{
    size_t *idx = fv_alloc(cx, (n ? n : 1) * sizeof *idx), i;

    if (idx)
        for (i = 0; i < n; i++)
            idx[i] = i;
    return idx;
}

struct by_items {
    fv_cx *cx;
    const fv *const *v;
    const fv *precedes;
};

static int lt_cmp(void *ud, size_t a, size_t b)
{
    const struct by_items *s = ud;
    int r = fv_cmp(s->v[a], s->v[b]);

    if (r == 2) {
        fv_why(s->cx, "can't sort %s and %s", fv_type_name(s->v[a]),
               fv_type_name(s->v[b]));
        return SORT_NULL;
    }
    return r < 0;
}

static int lt_num(void *ud, size_t a, size_t b)
{
    const struct by_items *s = ud;

    return bt_dec_cmp(&s->v[a]->u.num, &s->v[b]->u.num) < 0;
}

static int lt_precedes(void *ud, size_t a, size_t b)
{
    const struct by_items *s = ud;
    const fv *args[2], *res;
    int rc;

    args[0] = s->v[a];
    args[1] = s->v[b];
    rc = fv_apply(s->cx, s->precedes, args, 2, &res);
    if (rc < 0)
        return rc;
    if (res->kind != FV_BOOL) {
        fv_why(s->cx, "sort's precedes function returned %s, not a "
               "boolean", fv_type_name(res));
        return SORT_NULL;
    }
    return res->u.b != 0;
}

/* The items `v` in the order of `idx`, as a new list. */
static int list_in_order(fv_cx *cx, const fv *const *v, const size_t *idx,
                         size_t n, const fv **out)
{
    const fv **slots;
    fv *l = fv_list_new(cx, n, &slots);
    size_t i;

    if (!l)
        return BATON_ENOMEM;
    for (i = 0; i < n; i++)
        slots[i] = v[idx[i]];
    *out = l;
    return 0;
}

/* ---- finding repeated values --------------------------------------- */

/* The kinds whose equality is one total order, so that equal values sort
 * next to each other; -1 for the others. */
static int key_class(const fv *v)
{
    switch (v->kind) {
    case FV_NULL: return 0;
    case FV_BOOL: return 1;
    case FV_NUM: return 2;
    case FV_STR: return 3;
    case FV_DATE: return 4;
    case FV_DTDUR: return 5;
    case FV_YMDUR: return 6;
    default: return -1;
    }
}

static int key_cmp(const fv *a, const fv *b)
{
    int ca = key_class(a), cb = key_class(b), r;
    size_t n;

    if (ca != cb)
        return ca < cb ? -1 : 1;
    switch (a->kind) {
    case FV_BOOL:
        return (a->u.b != 0) - (b->u.b != 0);
    case FV_NUM:
        return bt_dec_cmp(&a->u.num, &b->u.num);
    case FV_STR:
        n = a->u.str.n < b->u.str.n ? a->u.str.n : b->u.str.n;
        r = n ? memcmp(a->u.str.s, b->u.str.s, n) : 0;
        if (r)
            return r < 0 ? -1 : 1;
        return (a->u.str.n > b->u.str.n) - (a->u.str.n < b->u.str.n);
    case FV_DATE:
        return bt_t_cmp_date(&a->u.date, &b->u.date);
    case FV_DTDUR:
        return bt_t_cmp_dtdur(&a->u.dtdur, &b->u.dtdur);
    case FV_YMDUR:
        return (a->u.months > b->u.months) - (a->u.months < b->u.months);
    default:
        return 0;
    }
}

static int lt_key(void *ud, size_t a, size_t b)
{
    const struct by_items *s = ud;

    return key_cmp(s->v[a], s->v[b]) < 0;
}

/* A hash consistent with fv_eq (equal values hash alike), for the kinds
 * without a total order. Where fv_eq's notion of equal could be finer
 * than the fields (times and dates and times compare as instants), the
 * hash only takes what every equal pair shares; deep values stop adding
 * detail, which only makes collisions likelier. */
static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0x100000001b3ULL;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* Numbers hash by value: the coefficient without its trailing zeros
 * (1, 1.0 and 1.00 are one number). */
static uint64_t hash_num(const bt_dec *d)
{
    uint64_t hi = d->hi, lo = d->lo;
    int32_t exp = d->exp;

    if (bt_dec_is_zero(d))
        return 0;
    for (;;) {
        uint32_t limb[4], q[4];
        uint64_t r = 0;
        int i;

        limb[0] = (uint32_t)(hi >> 32);
        limb[1] = (uint32_t)hi;
        limb[2] = (uint32_t)(lo >> 32);
        limb[3] = (uint32_t)lo;
        for (i = 0; i < 4; i++) {
            uint64_t cur = (r << 32) | limb[i];

            q[i] = (uint32_t)(cur / 10);
            r = cur % 10;
        }
        if (r)
            break;
        hi = (uint64_t)q[0] << 32 | q[1];
        lo = (uint64_t)q[2] << 32 | q[3];
        exp++;
    }
    return mix(mix(mix(lo, hi), (uint64_t)(uint32_t)exp), d->neg);
}

static uint64_t hash_value(const fv *v, int depth)
{
    uint64_t h = mix(0, v->kind), sum = 0;
    int64_t secs;
    int32_t nanos;
    size_t i;

    if (depth > 32)
        return h;
    switch (v->kind) {
    case FV_BOOL:
        return mix(h, v->u.b != 0);
    case FV_NUM:
        return mix(h, hash_num(&v->u.num));
    case FV_STR:
        return mix(h, hash_bytes(v->u.str.s, v->u.str.n));
    case FV_DATE:
        return mix(mix(mix(h, (uint64_t)v->u.date.year),
                       (uint64_t)v->u.date.month), (uint64_t)v->u.date.day);
    case FV_TIME:
        secs = v->u.time.sec;
        if (v->u.time.tz.kind != BT_TZ_LOCAL)
            secs = ((secs - v->u.time.tz.offset) % 86400 + 86400) % 86400;
        return mix(mix(mix(h, v->u.time.tz.kind == BT_TZ_LOCAL),
                       (uint64_t)secs), (uint64_t)v->u.time.nanos);
    case FV_DT:
        bt_t_dt_instant(&v->u.dt, &secs, &nanos);
        return mix(mix(mix(h, v->u.dt.time.tz.kind == BT_TZ_LOCAL),
                       (uint64_t)secs), (uint64_t)nanos);
    case FV_DTDUR:
        return mix(mix(h, (uint64_t)v->u.dtdur.secs),
                   (uint64_t)v->u.dtdur.nanos);
    case FV_YMDUR:
        return mix(h, (uint64_t)v->u.months);
    case FV_LIST:
        for (i = 0; i < v->u.list.n; i++)
            h = mix(h, hash_value(v->u.list.v[i], depth + 1));
        return h;
    case FV_CTX:
        /* Entries in any order are the same context. */
        for (i = 0; i < v->u.ctx.n; i++)
            sum += mix(hash_bytes(v->u.ctx.e[i].key, v->u.ctx.e[i].klen),
                       hash_value(v->u.ctx.e[i].val, depth + 1));
        return mix(h, sum);
    case FV_RANGE:
        h = mix(mix(h, v->u.range.lo_closed), v->u.range.hi_closed);
        h = mix(h, v->u.range.lo ? hash_value(v->u.range.lo, depth + 1) : 1);
        return mix(h, v->u.range.hi ? hash_value(v->u.range.hi, depth + 1) : 1);
    case FV_FUNC:
        return mix(h, (uint64_t)(uintptr_t)v);
    default:
        return h;
    }
}

/* Sets rep[i] to the index of the first item equal to v[i] (i itself for
 * a first occurrence). */
static int find_repeats(fv_cx *cx, const fv *const *v, size_t n,
                        size_t *rep)
{
    struct by_items s = { cx, v, NULL };
    size_t *keyed = fv_alloc(cx, (n ? n : 1) * sizeof *keyed);
    size_t nk = 0, m = 0, cap = 8, i, j;
    size_t *slot;     /* first occurrences by hash: index + 1, 0 empty */
    uint64_t *hashes; /* of each item of the hashed kinds */
    int rc;

    if (!keyed)
        return BATON_ENOMEM;
    for (i = 0; i < n; i++) {
        rep[i] = i;
        if (key_class(v[i]) >= 0)
            keyed[nk++] = i;
    }
    rc = msort(cx, keyed, nk, lt_key, &s);
    if (rc)
        return rc;
    /* Stable: the first of a run of equal values is its first
     * occurrence. */
    for (i = 1, j = 0; i < nk; i++) {
        if (key_cmp(v[keyed[j]], v[keyed[i]]) == 0)
            rep[keyed[i]] = keyed[j];
        else
            j = i;
    }
    /* The other kinds through a hash table of first occurrences. */
    m = n - nk;
    if (m == 0)
        return 0;
    while (cap < 2 * m)
        cap *= 2;
    slot = fv_alloc(cx, cap * sizeof *slot);
    hashes = fv_alloc(cx, n * sizeof *hashes);
    if (!slot || !hashes)
        return BATON_ENOMEM;
    for (i = 0; i < n; i++) {
        if (key_class(v[i]) >= 0)
            continue;
        hashes[i] = hash_value(v[i], 0);
        for (j = (size_t)hashes[i] & (cap - 1); slot[j];
             j = (j + 1) & (cap - 1)) {
            size_t f = slot[j] - 1;

            if (hashes[f] == hashes[i] && fv_eq(v[f], v[i]) == 1) {
                rep[i] = f;
                break;
            }
        }
        if (!slot[j])
            slot[j] = i + 1;
    }
    return 0;
}

/* The first occurrences of the values of `v` (`dups`: only of those that
 * occur more than once), in their order. */
static int distinct(fv_cx *cx, const fv *const *v, size_t n, int dups,
                    const fv **out)
{
    size_t *rep = fv_alloc(cx, (n ? n : 1) * sizeof *rep);
    unsigned char *many = fv_alloc(cx, n ? n : 1);
    const fv **slots;
    size_t i, k = 0;
    fv *l;
    int rc;

    if (!rep || !many)
        return BATON_ENOMEM;
    rc = find_repeats(cx, v, n, rep);
    if (rc)
        return rc;
    for (i = 0; i < n; i++)
        if (rep[i] != i)
            many[rep[i]] = 1;
    for (i = 0; i < n; i++)
        if (rep[i] == i && (!dups || many[i]))
            k++;
    l = fv_list_new(cx, k, &slots);
    if (!l)
        return BATON_ENOMEM;
    for (i = 0, k = 0; i < n; i++)
        if (rep[i] == i && (!dups || many[i]))
            slots[k++] = v[i];
    *out = l;
    return 0;
}

/* ---- positions ------------------------------------------------------ */

/* The integer part of a number argument, as feel-scala's intValue
 * takes it, saturated to int64 (no list reaches that far); 0 when it is
 * not a number. */
static int int_arg(const fv *v, int64_t *out)
{
    bt_dec t;

    if (!v || v->kind != FV_NUM)
        return 0;
    if (!bt_dec_round(&t, &v->u.num, 0, BT_ROUND_DOWN) &&
        bt_dec_to_int(&t, out))
        return 1;
    *out = bt_dec_sign(&v->u.num) < 0 ? INT64_MIN : INT64_MAX;
    return 1;
}

/* A 1-based position (negative: from the end) as a 0-based index, which
 * may lie outside the list. */
static int64_t list_index(size_t size, int64_t pos)
{
    return pos > 0 ? pos - 1 : (int64_t)size + pos;
}

static size_t clamp(int64_t i, size_t size)
{
    if (i < 0)
        return 0;
    return (uint64_t)i > size ? size : (size_t)i;
}

/* ---- the functions -------------------------------------------------- */

static int f_list_contains(fv_cx *cx, const fv *const *a, size_t n,
                           const fv **out)
{
    size_t i;

    if (!is_list(a[0]))
        return null_out(cx, out, "list contains() expects a list");
    for (i = 0; i < a[0]->u.list.n; i++)
        if (same(a[0]->u.list.v[i], a[1]))
            return bool_out(1, out);
    return bool_out(0, out);
}

static int f_count(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    if (!is_list(a[0]))
        return null_out(cx, out, "count() expects a list");
    *out = fv_int(cx, (int64_t)a[0]->u.list.n);
    return *out ? 0 : BATON_ENOMEM;
}

static int extreme(fv_cx *cx, const fv *const *a, size_t n, const fv **out,
                   int sign, const char *fn)
{
    const fv *const *v, *best;
    size_t count, i;

    if (bt_feel_items(cx, a, n, &v, &count))
        return null_quiet(out);
    if (count == 0) {
        *out = fv_null();
        return 0;
    }
    best = v[0];
    /* One item must be comparable too (min([true]) is null). */
    if (fv_cmp(best, best) == 2) {
        fv_why(cx, "%s() can't compare %s", fn, fv_type_name(best));
        *out = fv_null();
        return 0;
    }
    for (i = 1; i < count; i++) {
        int r = fv_cmp(v[i], best);

        if (r == 2) {
            fv_why(cx, "%s() can't compare %s and %s", fn,
                   fv_type_name(v[i]), fv_type_name(best));
            *out = fv_null();
            return 0;
        }
        if (sign < 0 ? r < 0 : r > 0)
            best = v[i];
    }
    *out = best;
    return 0;
}

static int f_min(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    return extreme(cx, a, n, out, -1, "min");
}

static int f_max(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    return extreme(cx, a, n, out, 1, "max");
}

/* The number items of a list-or-varargs call; 0 with *out set to null
 * when they are not numbers or there are none. */
static int numbers(fv_cx *cx, const fv *const *a, size_t n, const fv **out,
                   const fv *const **v, size_t *count, const char *fn)
{
    *out = fv_null();
    if (bt_feel_items(cx, a, n, v, count))
        return 0;
    return *count > 0 && all_numbers(cx, *v, *count, fn);
}

static int num_out(fv_cx *cx, const bt_dec *d, int rc, const fv **out,
                   const char *fn)
{
    if (rc) {
        fv_why(cx, "%s() overflows", fn);
        *out = fv_null();
        return 0;
    }
    *out = fv_num(cx, d);
    return *out ? 0 : BATON_ENOMEM;
}

static int sum_of(const fv *const *v, size_t n, bt_dec *r)
{
    size_t i;
    int rc = 0;

    bt_dec_from_int(r, 0);
    for (i = 0; i < n && !rc; i++)
        rc = bt_dec_add(r, r, &v[i]->u.num);
    return rc;
}

static int f_sum(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    const fv *const *v;
    size_t count;
    bt_dec r;

    if (!numbers(cx, a, n, out, &v, &count, "sum"))
        return 0;
    return num_out(cx, &r, sum_of(v, count, &r), out, "sum");
}

static int f_product(fv_cx *cx, const fv *const *a, size_t n,
                     const fv **out)
{
    const fv *const *v;
    size_t count, i;
    bt_dec r;
    int rc = 0;

    if (!numbers(cx, a, n, out, &v, &count, "product"))
        return 0;
    bt_dec_from_int(&r, 1);
    for (i = 0; i < count && !rc; i++)
        rc = bt_dec_mul(&r, &r, &v[i]->u.num);
    return num_out(cx, &r, rc, out, "product");
}

static int mean_of(const fv *const *v, size_t n, bt_dec *r)
{
    bt_dec d;
    int rc = sum_of(v, n, r);

    bt_dec_from_int(&d, (int64_t)n);
    return rc ? rc : bt_dec_div(r, r, &d);
}

static int f_mean(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    const fv *const *v;
    size_t count;
    bt_dec r;

    if (!numbers(cx, a, n, out, &v, &count, "mean"))
        return 0;
    return num_out(cx, &r, mean_of(v, count, &r), out, "mean");
}

/* The indices of number items `v` in ascending order. */
static int sorted_numbers(fv_cx *cx, const fv *const *v, size_t n,
                          size_t **idx)
{
    struct by_items s = { cx, v, NULL };

    *idx = iota(cx, n);
    if (!*idx)
        return BATON_ENOMEM;
    return msort(cx, *idx, n, lt_num, &s);
}

static int f_median(fv_cx *cx, const fv *const *a, size_t n,
                    const fv **out)
{
    const fv *const *v;
    size_t count, *idx;
    bt_dec r, two;
    int rc;

    if (!numbers(cx, a, n, out, &v, &count, "median"))
        return 0;
    rc = sorted_numbers(cx, v, count, &idx);
    if (rc)
        return rc;
    if (count % 2) {
        *out = v[idx[count / 2]];
        return 0;
    }
    rc = bt_dec_add(&r, &v[idx[count / 2 - 1]]->u.num,
                    &v[idx[count / 2]]->u.num);
    bt_dec_from_int(&two, 2);
    if (!rc)
        rc = bt_dec_div(&r, &r, &two);
    return num_out(cx, &r, rc, out, "median");
}

static int f_stddev(fv_cx *cx, const fv *const *a, size_t n,
                    const fv **out)
{
    const fv *const *v;
    size_t count, i;
    bt_dec mean, d, sq, k;
    int rc;

    if (!numbers(cx, a, n, out, &v, &count, "stddev"))
        return 0;
    if (count < 2)
        return null_out(cx, out, "stddev() needs two numbers or more");
    /* The sample standard deviation, as feel-scala computes it: the
     * variance in decimal, its square root as a double. */
    rc = mean_of(v, count, &mean);
    bt_dec_from_int(&d, 0);
    for (i = 0; i < count && !rc; i++) {
        rc = bt_dec_sub(&sq, &v[i]->u.num, &mean);
        if (!rc)
            rc = bt_dec_mul(&sq, &sq, &sq);
        if (!rc)
            rc = bt_dec_add(&d, &d, &sq);
    }
    bt_dec_from_int(&k, (int64_t)count - 1);
    if (!rc)
        rc = bt_dec_div(&d, &d, &k);
    if (!rc)
        rc = bt_dec_sqrt(&d, &d);
    if (!rc)
        rc = bt_dec_from_double(&d, bt_dec_to_double(&d));
    return num_out(cx, &d, rc, out, "stddev");
}

static int f_mode(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    const fv *const *v;
    const fv **slots;
    size_t count, *idx, i, run, best = 0, k = 0;
    fv *l;
    int rc;

    if (bt_feel_items(cx, a, n, &v, &count))
        return null_quiet(out);
    if (!all_numbers(cx, v, count, "mode")) {
        *out = fv_null();
        return 0;
    }
    rc = sorted_numbers(cx, v, count, &idx);
    if (rc)
        return rc;
    /* Two passes over the runs of equal numbers: the longest run's
     * length, then the runs of that length, ascending. */
    for (i = 0; i < count; i += run) {
        for (run = 1; i + run < count &&
             bt_dec_cmp(&v[idx[i]]->u.num, &v[idx[i + run]]->u.num) == 0;
             run++)
            ;
        if (run > best) {
            best = run;
            k = 0;
        }
        if (run == best)
            k++;
    }
    l = fv_list_new(cx, k, &slots);
    if (!l)
        return BATON_ENOMEM;
    for (i = 0, k = 0; i < count; i += run) {
        for (run = 1; i + run < count &&
             bt_dec_cmp(&v[idx[i]]->u.num, &v[idx[i + run]]->u.num) == 0;
             run++)
            ;
        if (run == best)
            slots[k++] = v[idx[i]];
    }
    *out = l;
    return 0;
}

/* all() and any(): `dominant` decides (false for all, true for any);
 * else an item that is not a boolean makes it null. */
static int all_any(fv_cx *cx, const fv *const *a, size_t n, const fv **out,
                   int dominant)
{
    const fv *const *v;
    size_t count, i;
    int other = 0;

    if (bt_feel_items(cx, a, n, &v, &count))
        return null_quiet(out);
    for (i = 0; i < count; i++) {
        if (v[i]->kind != FV_BOOL)
            other = 1;
        else if ((v[i]->u.b != 0) == dominant)
            return bool_out(dominant, out);
    }
    if (other)
        return null_out(cx, out, dominant ? "any() found an item that is "
                        "not a boolean" : "all() found an item that is "
                        "not a boolean");
    return bool_out(!dominant, out);
}

static int f_all(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    return all_any(cx, a, n, out, 0);
}

static int f_any(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    return all_any(cx, a, n, out, 1);
}

static int f_sublist(fv_cx *cx, const fv *const *a, size_t n,
                     const fv **out)
{
    int64_t start, len = 0, from, to;
    size_t size, lo, hi;

    if (!is_list(a[0]) || !int_arg(a[1], &start) ||
        (a[2] && !int_arg(a[2], &len)))
        return null_out(cx, out, "sublist() expects a list and numbers");
    size = a[0]->u.list.n;
    from = list_index(size, start);
    to = (int64_t)size;
    if (a[2]) {
        /* Beyond +-size a length changes nothing (a negative one cuts
         * everything, as Scala's slice); within it, no overflow. */
        if (len > (int64_t)size)
            len = (int64_t)size + 1;
        to = from + (len < 0 ? 0 : len);
    }
    lo = clamp(from, size);
    hi = clamp(to, size);
    return list_of(cx, a[0]->u.list.v + lo, hi > lo ? hi - lo : 0, out);
}

static int f_append(fv_cx *cx, const fv *const *a, size_t n,
                    const fv **out)
{
    const fv **slots;
    size_t size;
    fv *l;

    if (!is_list(a[0]))
        return null_out(cx, out, "append() expects a list");
    size = a[0]->u.list.n;
    l = fv_list_new(cx, size + n - 1, &slots);
    if (!l)
        return BATON_ENOMEM;
    if (size)
        memcpy(slots, a[0]->u.list.v, size * sizeof *slots);
    if (n > 1)
        memcpy(slots + size, a + 1, (n - 1) * sizeof *slots);
    *out = l;
    return 0;
}

/* The items of `v`, each list among them spread into its items. */
static int spread(fv_cx *cx, const fv *const *v, size_t count,
                  const fv **out)
{
    const fv **slots;
    size_t total = 0, i, k = 0;
    fv *l;

    for (i = 0; i < count; i++)
        total += is_list(v[i]) ? v[i]->u.list.n : 1;
    l = fv_list_new(cx, total, &slots);
    if (!l)
        return BATON_ENOMEM;
    for (i = 0; i < count; i++) {
        if (is_list(v[i])) {
            if (v[i]->u.list.n)
                memcpy(slots + k, v[i]->u.list.v,
                       v[i]->u.list.n * sizeof *slots);
            k += v[i]->u.list.n;
        } else {
            slots[k++] = v[i];
        }
    }
    *out = l;
    return 0;
}

static int f_concatenate(fv_cx *cx, const fv *const *a, size_t n,
                         const fv **out)
{
    const fv *const *v;
    size_t count;

    if (bt_feel_items(cx, a, n, &v, &count))
        return null_quiet(out);
    return spread(cx, v, count, out);
}

static int f_insert_before(fv_cx *cx, const fv *const *a, size_t n,
                           const fv **out)
{
    const fv **slots;
    int64_t pos;
    size_t size, k;
    fv *l;

    if (!is_list(a[0]) || !int_arg(a[1], &pos))
        return null_out(cx, out, "insert before() expects a list and a "
                        "position");
    size = a[0]->u.list.n;
    k = clamp(list_index(size, pos), size);
    l = fv_list_new(cx, size + 1, &slots);
    if (!l)
        return BATON_ENOMEM;
    if (k)
        memcpy(slots, a[0]->u.list.v, k * sizeof *slots);
    slots[k] = a[2];
    if (size > k)
        memcpy(slots + k + 1, a[0]->u.list.v + k,
               (size - k) * sizeof *slots);
    *out = l;
    return 0;
}

static int f_remove(fv_cx *cx, const fv *const *a, size_t n,
                    const fv **out)
{
    const fv **slots;
    int64_t pos;
    size_t size, k, from;
    fv *l;

    /* Position 0 names no item (feel-scala would return the list
     * twice). */
    if (!is_list(a[0]) || !int_arg(a[1], &pos) || pos == 0)
        return null_out(cx, out, "remove() expects a list and a position");
    size = a[0]->u.list.n;
    k = clamp(list_index(size, pos), size);
    /* The index after the item: list_index(size, pos + 1) without the
     * overflow at INT64_MAX. */
    from = clamp(pos > 0 ? pos : (int64_t)size + pos + 1, size);
    if (from < k)
        from = k;
    l = fv_list_new(cx, k + (size - from), &slots);
    if (!l)
        return BATON_ENOMEM;
    if (k)
        memcpy(slots, a[0]->u.list.v, k * sizeof *slots);
    if (size > from)
        memcpy(slots + k, a[0]->u.list.v + from,
               (size - from) * sizeof *slots);
    *out = l;
    return 0;
}

static int f_reverse(fv_cx *cx, const fv *const *a, size_t n,
                     const fv **out)
{
    const fv **slots;
    size_t size, i;
    fv *l;

    if (!is_list(a[0]))
        return null_out(cx, out, "reverse() expects a list");
    size = a[0]->u.list.n;
    l = fv_list_new(cx, size, &slots);
    if (!l)
        return BATON_ENOMEM;
    for (i = 0; i < size; i++)
        slots[i] = a[0]->u.list.v[size - 1 - i];
    *out = l;
    return 0;
}

static int f_index_of(fv_cx *cx, const fv *const *a, size_t n,
                      const fv **out)
{
    const fv **slots;
    size_t size, i, k = 0;
    fv *l;

    if (!is_list(a[0]))
        return null_out(cx, out, "index of() expects a list");
    size = a[0]->u.list.n;
    for (i = 0; i < size; i++)
        k += same(a[0]->u.list.v[i], a[1]);
    l = fv_list_new(cx, k, &slots);
    if (!l)
        return BATON_ENOMEM;
    for (i = 0, k = 0; i < size; i++)
        if (same(a[0]->u.list.v[i], a[1])) {
            slots[k] = fv_int(cx, (int64_t)i + 1);
            if (!slots[k++])
                return BATON_ENOMEM;
        }
    *out = l;
    return 0;
}

static int f_union(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    const fv *const *v;
    const fv *all;
    size_t count;
    int rc;

    if (bt_feel_items(cx, a, n, &v, &count))
        return null_quiet(out);
    rc = spread(cx, v, count, &all);
    if (rc)
        return rc;
    return distinct(cx, all->u.list.v, all->u.list.n, 0, out);
}

static int f_distinct_values(fv_cx *cx, const fv *const *a, size_t n,
                             const fv **out)
{
    if (!is_list(a[0]))
        return null_out(cx, out, "distinct values() expects a list");
    return distinct(cx, a[0]->u.list.v, a[0]->u.list.n, 0, out);
}

static int f_duplicate_values(fv_cx *cx, const fv *const *a, size_t n,
                              const fv **out)
{
    if (!is_list(a[0]))
        return null_out(cx, out, "duplicate values() expects a list");
    return distinct(cx, a[0]->u.list.v, a[0]->u.list.n, 1, out);
}

/* Walks the items of nested list `l` that are not lists, in order:
 * counts them, and stores them when `slots` is not NULL. Iterative, with
 * a stack as deep as the nesting, which `partial` in a for loop can make
 * as deep as the loop is long. */
static int flat_walk(fv_cx *cx, const fv *l, const fv **slots, size_t *count)
{
    struct frame { const fv *l; size_t i; } *st;
    size_t cap = 16, top = 1, k = 0;

    st = fv_alloc(cx, cap * sizeof *st);
    if (!st)
        return BATON_ENOMEM;
    st[0].l = l;
    st[0].i = 0;
    while (top) {
        struct frame *f = &st[top - 1];
        const fv *x;

        if (f->i == f->l->u.list.n) {
            top--;
            continue;
        }
        x = f->l->u.list.v[f->i++];
        if (!is_list(x)) {
            if (slots)
                slots[k] = x;
            k++;
            continue;
        }
        if (top == cap) {
            struct frame *bigger = fv_alloc(cx, 2 * cap * sizeof *st);

            if (!bigger)
                return BATON_ENOMEM;
            memcpy(bigger, st, cap * sizeof *st);
            st = bigger;
            cap *= 2;
        }
        st[top].l = x;
        st[top].i = 0;
        top++;
    }
    *count = k;
    return 0;
}

static int f_flatten(fv_cx *cx, const fv *const *a, size_t n,
                     const fv **out)
{
    const fv **slots;
    size_t count;
    fv *l;
    int rc;

    if (!is_list(a[0]))
        return null_out(cx, out, "flatten() expects a list");
    rc = flat_walk(cx, a[0], NULL, &count);
    if (rc)
        return rc;
    l = fv_list_new(cx, count, &slots);
    if (!l)
        return BATON_ENOMEM;
    rc = flat_walk(cx, a[0], slots, &count);
    if (rc)
        return rc;
    *out = l;
    return 0;
}

static int f_sort(fv_cx *cx, const fv *const *a, size_t n, const fv **out)
{
    struct by_items s;
    size_t *idx, size;
    int rc;

    if (!is_list(a[0]))
        return null_out(cx, out, "sort() expects a list");
    if (a[1] && (a[1]->kind != FV_FUNC || a[1]->u.fn.arity != 2))
        return null_out(cx, out, "sort() expects a function of two "
                        "parameters");
    size = a[0]->u.list.n;
    s.cx = cx;
    s.v = a[0]->u.list.v;
    s.precedes = a[1];
    idx = iota(cx, size);
    if (!idx)
        return BATON_ENOMEM;
    /* Without precedes (DMN 1.4 leaves it required; Drools makes it
     * optional) the items sort ascending. */
    rc = msort(cx, idx, size, a[1] ? lt_precedes : lt_cmp, &s);
    if (rc == SORT_NULL) {
        *out = fv_null();
        return 0;
    }
    if (rc)
        return rc;
    return list_in_order(cx, s.v, idx, size, out);
}

static int f_is_empty(fv_cx *cx, const fv *const *a, size_t n,
                      const fv **out)
{
    if (!is_list(a[0]))
        return null_out(cx, out, "is empty() expects a list");
    return bool_out(a[0]->u.list.n == 0, out);
}

static int f_partition(fv_cx *cx, const fv *const *a, size_t n,
                       const fv **out)
{
    const fv **slots;
    int64_t size;
    size_t len, parts, i;
    fv *l;
    int rc;

    if (!is_list(a[0]) || !int_arg(a[1], &size) || size < 1)
        return null_out(cx, out, "partition() expects a list and a size "
                        "of 1 or more");
    len = a[0]->u.list.n;
    if ((uint64_t)size > len)
        size = (int64_t)(len ? len : 1);
    parts = (len + (size_t)size - 1) / (size_t)size;
    l = fv_list_new(cx, parts, &slots);
    if (!l)
        return BATON_ENOMEM;
    for (i = 0; i < parts; i++) {
        size_t lo = i * (size_t)size;
        size_t k = len - lo < (size_t)size ? len - lo : (size_t)size;

        rc = list_of(cx, a[0]->u.list.v + lo, k, &slots[i]);
        if (rc)
            return rc;
    }
    *out = l;
    return 0;
}

/* Parameter names as DMN 1.4 and feel-scala give them; where the two
 * differ (sublist's start), both are accepted by name. */
const bt_feel_builtin bt_feel_lib_list[] = {
    { "list contains", { "list", "element" }, 2, 0, f_list_contains },
    { "count", { "list" }, 1, 0, f_count },
    { "min", { "list" }, 0, 1, f_min },
    { "max", { "list" }, 0, 1, f_max },
    { "sum", { "list" }, 0, 1, f_sum },
    { "product", { "list" }, 0, 1, f_product },
    { "mean", { "list" }, 0, 1, f_mean },
    { "median", { "list" }, 0, 1, f_median },
    { "stddev", { "list" }, 0, 1, f_stddev },
    { "mode", { "list" }, 0, 1, f_mode },
    { "all", { "list" }, 0, 1, f_all },
    { "any", { "list" }, 0, 1, f_any },
    { "sublist", { "list", "start position", "length" }, 2, 0, f_sublist },
    { "sublist", { "list", "start", "length" }, 2, 0, f_sublist },
    { "append", { "list", "items" }, 1, 1, f_append },
    { "concatenate", { "lists" }, 0, 1, f_concatenate },
    { "insert before", { "list", "position", "newItem" }, 3, 0,
      f_insert_before },
    { "remove", { "list", "position" }, 2, 0, f_remove },
    { "reverse", { "list" }, 1, 0, f_reverse },
    { "index of", { "list", "match" }, 2, 0, f_index_of },
    { "union", { "lists" }, 0, 1, f_union },
    { "distinct values", { "list" }, 1, 0, f_distinct_values },
    { "duplicate values", { "list" }, 1, 0, f_duplicate_values },
    { "flatten", { "list" }, 1, 0, f_flatten },
    { "sort", { "list", "precedes" }, 1, 0, f_sort },
    { "is empty", { "list" }, 1, 0, f_is_empty },
    { "partition", { "list", "size" }, 2, 0, f_partition },
    { NULL, { NULL }, 0, 0, NULL }
};
