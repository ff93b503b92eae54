/* Evaluation of compiled expressions over jansson values, with FEEL's
 * semantics: type errors give null, logic is three-valued. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */
/* ------------------------------------------------------------------ */

enum { V_NULL, V_BOOL, V_INT, V_REAL, V_STR, V_JSON /* array, object */ };

typedef struct val {
    int k;
    int own;   /* j is a reference this value holds */
    json_t *j; /* the JSON value it stands for, or NULL when computed */
    union {
        int b;
        json_int_t i;
        double d;
        struct { const char *s; size_t n; } str;
    } u;
} val;

typedef struct env {
    bt_lookup_fn lookup;
    void *ctx;
} env;

static void set_null(val *v)
{
    memset(v, 0, sizeof *v);
}

/* -1 stands for null, the third truth value. */
static void set_bool(val *v, int b)
{
    set_null(v);
    if (b >= 0) {
        v->k = V_BOOL;
        v->u.b = b;
    }
}

static void set_int(val *v, json_int_t i)
{
    set_null(v);
    v->k = V_INT;
    v->u.i = i;
}

static void set_real(val *v, double d)
{
    set_null(v);
    /* jansson cannot hold inf or NaN; FEEL's decimals would not overflow,
     * so an overflowing result is treated as one it cannot represent. */
    if (isfinite(d)) {
        v->k = V_REAL;
        v->u.d = d;
    }
}

static void from_json(val *v, json_t *j, int own)
{
    set_null(v);
    v->j = j;
    v->own = own && j;
    switch (j ? json_typeof(j) : JSON_NULL) {
    case JSON_TRUE: v->k = V_BOOL; v->u.b = 1; break;
    case JSON_FALSE: v->k = V_BOOL; break;
    case JSON_INTEGER: v->k = V_INT; v->u.i = json_integer_value(j); break;
    case JSON_REAL: v->k = V_REAL; v->u.d = json_real_value(j); break;
    case JSON_STRING:
        v->k = V_STR;
        v->u.str.s = json_string_value(j);
        v->u.str.n = json_string_length(j);
        break;
    case JSON_ARRAY: case JSON_OBJECT: v->k = V_JSON; break;
    case JSON_NULL: break;
    }
}

static void drop(val *v)
{
    if (v->own)
        json_decref(v->j);
    v->own = 0;
}

static int to_json(val *v, json_t **out)
{
    if (v->j) {
        *out = v->own ? v->j : json_incref(v->j);
        v->own = 0;
        return 0;
    }
    switch (v->k) {
    case V_BOOL: *out = json_boolean(v->u.b); break;
    case V_INT: *out = json_integer(v->u.i); break;
    case V_REAL: *out = json_real(v->u.d); break;
    case V_STR: *out = json_stringn_nocheck(v->u.str.s, v->u.str.n); break;
    default: *out = json_null(); break;
    }
    return *out ? 0 : BATON_ENOMEM;
}

/* Numbers compare by value, exactly, also between an integer and a real
 * (converting the integer to double would round above 2^53). */
static int cmp_int_real(json_int_t i, double d)
{
    if (d >= 0x1p63)
        return -1;
    if (d < -0x1p63)
        return 1;
    json_int_t t = (json_int_t)d;
    if (i != t)
        return i < t ? -1 : 1;
    return d > (double)t ? -1 : d < (double)t;
}

static int cmp_num(const val *a, const val *b)
{
    if (a->k == V_INT && b->k == V_INT)
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    if (a->k == V_INT)
        return cmp_int_real(a->u.i, b->u.d);
    if (b->k == V_INT)
        return -cmp_int_real(b->u.i, a->u.d);
    return (a->u.d > b->u.d) - (a->u.d < b->u.d);
}

static int is_num(const val *v) { return v->k == V_INT || v->k == V_REAL; }

/* 1 equal, 0 different, -1 unknown (nesting deeper than we compare). */
static int json_eq(json_t *a, json_t *b, int depth)
{
    val x, y;
    if (a == b)
        return 1;
    if (depth > MAX_EQ_DEPTH)
        return -1;
    from_json(&x, a, 0);
    from_json(&y, b, 0);
    if (is_num(&x) && is_num(&y))
        return cmp_num(&x, &y) == 0;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (x.k) {
    case V_STR:
        return x.u.str.n == y.u.str.n && !memcmp(x.u.str.s, y.u.str.s, x.u.str.n);
    case V_JSON:
        break;
    default: /* true, false, null of the same type */
        return 1;
    }
    if (json_is_array(a)) {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (size_t i = 0; i < n; i++) {
            int r = json_eq(json_array_get(a, i), json_array_get(b, i), depth + 1);
            if (r != 1)
                return r;
        }
        return 1;
    }
    if (json_object_size(a) != json_object_size(b))
        return 0;
    const char *key;
    json_t *va;
    json_object_foreach(a, key, va) {
        json_t *vb = json_object_get(b, key);
        int r = vb ? json_eq(va, vb, depth + 1) : 0;
        if (r != 1)
            return r;
    }
    return 1;
}

static int eq(const val *a, const val *b)
{
    if (a->k == V_NULL || b->k == V_NULL)
        return a->k == b->k;
    if (is_num(a) && is_num(b))
        return cmp_num(a, b) == 0;
    if (a->k != b->k)
        return 0;
    switch (a->k) {
    case V_BOOL: return a->u.b == b->u.b;
    case V_STR:
        return a->u.str.n == b->u.str.n &&
               !memcmp(a->u.str.s, b->u.str.s, a->u.str.n);
    }
    return json_eq(a->j, b->j, 0);
}

static void order(int op, const val *a, const val *b, val *r)
{
    int c;
    if (is_num(a) && is_num(b)) {
        c = cmp_num(a, b);
    } else if (a->k == V_STR && b->k == V_STR) {
        size_t n = a->u.str.n < b->u.str.n ? a->u.str.n : b->u.str.n;
        c = memcmp(a->u.str.s, b->u.str.s, n);
        if (c == 0)
            c = (a->u.str.n > b->u.str.n) - (a->u.str.n < b->u.str.n);
    } else {
        set_null(r);
        return;
    }
    switch (op) {
    case T_LT: set_bool(r, c < 0); break;
    case T_LE: set_bool(r, c <= 0); break;
    case T_GT: set_bool(r, c > 0); break;
    default: set_bool(r, c >= 0); break;
    }
}

static double as_double(const val *v)
{
    return v->k == V_INT ? (double)v->u.i : v->u.d;
}

/* Integers stay integers while the result fits: 1 with the result in
 * *z, 0 when it must be computed as a real. */
static int int_arith(int op, json_int_t x, json_int_t y, json_int_t *z)
{
    switch (op) {
    case T_PLUS: return !__builtin_add_overflow(x, y, z);
    case T_MINUS: return !__builtin_sub_overflow(x, y, z);
    case T_STAR: return !__builtin_mul_overflow(x, y, z);
    }
    if (y == -1) /* x / -1 overflows for the smallest x; x % -1 is UB */
        return !__builtin_sub_overflow((json_int_t)0, x, z);
    if (x % y != 0)
        return 0;
    *z = x / y;
    return 1;
}

static void arith(int op, const val *a, const val *b, val *r)
{
    json_int_t z;
    double u = as_double(a), w = as_double(b);
    if (op == T_SLASH && w == 0)
        set_null(r);
    else if (a->k == V_INT && b->k == V_INT && int_arith(op, a->u.i, b->u.i, &z))
        set_int(r, z);
    else if (op == T_PLUS)
        set_real(r, u + w);
    else if (op == T_MINUS)
        set_real(r, u - w);
    else if (op == T_STAR)
        set_real(r, u * w);
    else
        set_real(r, u / w);
}

static int concat(const val *a, const val *b, val *r)
{
    json_malloc_t jmalloc;
    json_free_t jfree;
    size_t n = a->u.str.n + b->u.str.n;
    if (n < a->u.str.n)
        return BATON_ENOMEM;
    /* jansson has no way to build a string in place: assemble it in a
     * scratch buffer from the host's jansson allocator, then copy. */
    json_get_alloc_funcs(&jmalloc, &jfree);
    char *buf = jmalloc(n ? n : 1);
    if (!buf)
        return BATON_ENOMEM;
    memcpy(buf, a->u.str.s, a->u.str.n);
    memcpy(buf + a->u.str.n, b->u.str.s, b->u.str.n);
    json_t *s = json_stringn_nocheck(buf, n);
    jfree(buf);
    if (!s)
        return BATON_ENOMEM;
    from_json(r, s, 1);
    return 0;
}

static int apply(int op, const val *a, const val *b, val *r)
{
    int e;
    switch (op) {
    case T_EQ:
    case T_NE:
        e = eq(a, b);
        set_bool(r, e < 0 ? -1 : op == T_EQ ? e : !e);
        return 0;
    case T_LT: case T_LE: case T_GT: case T_GE:
        order(op, a, b, r);
        return 0;
    }
    if (is_num(a) && is_num(b))
        arith(op, a, b, r);
    else if (op == T_PLUS && a->k == V_STR && b->k == V_STR)
        return concat(a, b, r);
    else
        set_null(r);
    return 0;
}

static int eval(const node *n, const env *en, val *out);

static int eval_path(const node *n, const env *en, val *out)
{
    const seg *segs = n->u.path.segs;
    size_t i = 0;
    val base;
    set_null(&base);
    if (n->u.path.base) {
        int rc = eval(n->u.path.base, en, &base);
        if (rc)
            return rc;
    } else {
        base.j = en->lookup ? en->lookup(en->ctx, segs[0].s, segs[0].n) : NULL;
        i = 1;
    }
    json_t *j = base.j;
    for (; i < n->n && j; i++)
        j = json_is_object(j) ? json_object_get(j, segs[i].s) : NULL;
    /* A member of a value this evaluation owns must outlive it. */
    if (base.own) {
        json_incref(j);
        drop(&base);
        from_json(out, j, 1);
    } else {
        from_json(out, j, 0);
    }
    return 0;
}

/* and/or over any number of operands, in FEEL's three-valued logic:
 * a deciding operand (false for and, true for or) wins over null. */
static int eval_logic(const node *n, const env *en, val *out)
{
    int decide = n->kind == N_OR, res = !decide;
    for (size_t i = 0; i < n->n; i++) {
        val v;
        int rc = eval(n->u.list[i].kid, en, &v);
        if (rc)
            return rc;
        int b = v.k == V_BOOL ? v.u.b : -1;
        drop(&v);
        if (b == decide) {
            res = decide;
            break;
        }
        if (b < 0)
            res = -1;
    }
    set_bool(out, res);
    return 0;
}

static int eval_chain(const node *n, const env *en, val *out)
{
    val acc, b, r;
    int rc = eval(n->u.list[0].kid, en, &acc);
    if (rc)
        return rc;
    for (size_t i = 1; i < n->n; i++) {
        rc = eval(n->u.list[i].kid, en, &b);
        if (rc) {
            drop(&acc);
            return rc;
        }
        rc = apply(n->u.list[i].op, &acc, &b, &r);
        drop(&b);
        drop(&acc);
        if (rc)
            return rc;
        acc = r;
    }
    *out = acc;
    return 0;
}

static int eval(const node *n, const env *en, val *out)
{
    int rc;
    val v;
    switch (n->kind) {
    case N_NULL: set_null(out); return 0;
    case N_BOOL: set_bool(out, n->u.b); return 0;
    case N_INT: set_int(out, n->u.i); return 0;
    case N_REAL: set_real(out, n->u.d); return 0;
    case N_STR:
        set_null(out);
        out->k = V_STR;
        out->u.str.s = n->u.str.s;
        out->u.str.n = n->u.str.n;
        return 0;
    case N_PATH: return eval_path(n, en, out);
    case N_AND: case N_OR: return eval_logic(n, en, out);
    case N_CHAIN: return eval_chain(n, en, out);
    }
    if ((rc = eval(n->u.kid, en, &v)) != 0)
        return rc;
    if (n->kind == N_NOT) {
        set_bool(out, v.k == V_BOOL ? !v.u.b : -1);
    } else if (v.k == V_INT) {
        json_int_t z;
        if (__builtin_sub_overflow((json_int_t)0, v.u.i, &z))
            set_real(out, -(double)v.u.i);
        else
            set_int(out, z);
    } else if (v.k == V_REAL) {
        set_real(out, -v.u.d);
    } else {
        set_null(out);
    }
    drop(&v);
    return 0;
}

int bt_expr_uses_clock(const bt_expr *e)
{
    (void)e;
    return 0;
}

int bt_expr_eval(const bt_expr *e, const bt_expr_env *xe, json_t **out)
{
    env en = {xe->lookup, xe->ctx};
    if (xe->why && xe->whylen)
        xe->why[0] = 0;
    val v;
    *out = NULL;
    int rc = eval(e->root, &en, &v);
    if (rc)
        return rc;
    rc = to_json(&v, out);
    drop(&v);
    return rc;
}
