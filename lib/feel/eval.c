/* Evaluating a compiled expression (feel_tree.h) over FEEL values
 * (value.h). Every intermediate value lives in the evaluation's scratch
 * memory and is dropped with it at the end, so the evaluator never frees
 * and an allocation failure anywhere unwinds as BATON_ENOMEM.
 *
 * Semantics follow DMN 1.4 chapter 10 as feel-scala evaluates it for
 * Zeebe: type errors, missing names and impossible operations give null
 * (and fv_why records the first reason, for incident messages);
 * `and`/`or` are three-valued. */
#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"
#include "feel/temporal_props.h"

/* Names bound while evaluating: an iteration variable, a parameter, the
 * item of a filter (whose entries are names too when it is a context),
 * the entries of a context under construction. */
typedef struct scope {
    const struct scope *up;
    const char *name;
    size_t nlen;
    const fv *val;
    const fv *ctx; /* its entries are names here too */
} scope;

typedef struct lambda {
    const node *def;
    const scope *sc;
} lambda;

typedef struct ev {
    fv_cx *cx;
    const bt_expr_env *env;
    int juel;
} ev;

static int eval(ev *e, const node *n, const scope *sc, const fv **out);

#define TRY(x)                                                                \
    do {                                                                      \
        int rc_ = (x);                                                        \
        if (rc_)                                                              \
            return rc_;                                                       \
    } while (0)

#define oom(e) fv_oom((e)->cx)
#define made(e, v, out) fv_made((e)->cx, v, out)
#define null_because(e, out, fmt, a, b) fv_null_because((e)->cx, out, fmt, a, b)
#define spend(e, units) fv_spend((e)->cx, units)

/* ---- names ------------------------------------------------------------- */

static const fv *scope_find(const scope *sc, const char *name, size_t n)
{
    for (; sc; sc = sc->up) {
        /* a filtered context's entries hide `item` (feel-scala) */
        if (sc->ctx) {
            const fv *v = fv_ctx_get(sc->ctx, name, n);
            if (v)
                return v;
        }
        if (sc->name && sc->nlen == n && !memcmp(sc->name, name, n))
            return sc->val;
    }
    return NULL;
}

static int lookup(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv *v = scope_find(sc, n->name, n->nlen);
    if (v) {
        *out = v;
        return 0;
    }
    json_t *j = e->env->lookup ? e->env->lookup(e->env->ctx, n->name, n->nlen)
                               : NULL;
    if (!j) {
        e->cx->missing = 1;
        return null_because(e, out, "no variable '%s'%s", n->name, "");
    }
    return made(e, fv_from_json(e->cx, j), out);
}

/* ---- paths ------------------------------------------------------------- */

static int member(ev *e, const fv *v, const char *name, size_t n,
                  const fv **out, int depth)
{
    switch (v->kind) {
    case FV_CTX: {
        const fv *m = fv_ctx_get(v, name, n);
        if (!m) {
            e->cx->missing = 1;
            return null_because(e, out, "no entry '%s' in the context%s",
                                name, "");
        }
        *out = m;
        return 0;
    }
    case FV_LIST: { /* a path over a list maps over its items */
        const fv **slots;
        if (depth > 32 || spend(e, v->u.list.n))
            return null_because(e, out, "%s%s", "path too deep", "");
        fv *l = fv_list_new(e->cx, v->u.list.n, &slots);
        if (!l)
            return oom(e);
        for (size_t i = 0; i < v->u.list.n; i++)
            TRY(member(e, v->u.list.v[i], name, n, &slots[i], depth + 1));
        *out = l;
        return 0;
    }
    case FV_RANGE:
        if (n == 5 && !memcmp(name, "start", 5))
            *out = v->u.range.lo ? v->u.range.lo : fv_null();
        else if (n == 3 && !memcmp(name, "end", 3))
            *out = v->u.range.hi ? v->u.range.hi : fv_null();
        else if (n == 14 && !memcmp(name, "start included", 14))
            *out = fv_bool(v->u.range.lo_closed);
        else if (n == 12 && !memcmp(name, "end included", 12))
            *out = fv_bool(v->u.range.hi_closed);
        else
            return null_because(e, out, "a range has no '%s'%s", name, "");
        return 0;
    case FV_DATE:
    case FV_TIME:
    case FV_DT:
    case FV_DTDUR:
    case FV_YMDUR: {
        const fv *p = NULL;
        if (bt_feel_temporal_prop(e->cx, v, name, n, &p))
            return oom(e);
        if (!p)
            return null_because(e, out, "a %s has no property '%s'",
                                fv_type_name(v), name);
        *out = p;
        return 0;
    }
    case FV_NULL:
        *out = fv_null();
        return 0;
    }
    return null_because(e, out, "a %s has no member '%s'", fv_type_name(v),
                        name);
}

/* a.b.c over a variable reads the JSON as far as it is objects, and
 * converts only what the path reaches. */
static int eval_member(ev *e, const node *n, const scope *sc, const fv **out)
{
    const node *chain[MAX_DEPTH * 4];
    size_t k = 0;
    const node *base = n;
    while (base->kind == N_MEMBER && k < sizeof chain / sizeof *chain) {
        chain[k++] = base;
        base = base->kid;
    }
    const fv *v;
    if (base->kind == N_NAME && !scope_find(sc, base->name, base->nlen) &&
        e->env->lookup) {
        json_t *j = e->env->lookup(e->env->ctx, base->name, base->nlen);
        while (j && k && json_is_object(j)) {
            json_t *m = json_object_getn(j, chain[k - 1]->name,
                                         chain[k - 1]->nlen);
            if (!m)
                break;
            j = m;
            k--;
        }
        if (!j) {
            e->cx->missing = 1;
            return null_because(e, out, "no variable '%s'%s", base->name, "");
        }
        if (!(v = fv_from_json(e->cx, j)))
            return oom(e);
    } else {
        TRY(eval(e, base, sc, &v));
    }
    while (k--)
        TRY(member(e, v, chain[k]->name, chain[k]->nlen, &v, 0));
    *out = v;
    return 0;
}

/* ---- unary tests ----------------------------------------------------------- */

/* x against one test: 1, 0, -1 for null. */
static int test1(ev *e, const fv *x, const node *t, const scope *sc, int *r)
{
    const fv *v;
    if (t->kind == N_UTEST && t->op == T_QUESTION) { /* ? > 3 */
        scope q = { sc, "?", 1, x, NULL };
        TRY(eval(e, t->kid, &q, &v));
        *r = v->kind == FV_BOOL ? v->u.b : -1;
        return 0;
    }
    if (t->kind == N_UTEST) {
        TRY(eval(e, t->kid, sc, &v));
        *r = bt_feel_compare(e->cx, t->op, x, v);
        return 0;
    }
    if (t->kind == N_NOTTESTS) {
        int any = 0, unknown = 0;
        for (size_t i = 0; i < t->n; i++) {
            int ri;
            TRY(test1(e, x, t->args[i], sc, &ri));
            any |= ri == 1;
            unknown |= ri < 0;
        }
        *r = any ? 0 : unknown ? -1 : 1;
        return 0;
    }
    TRY(eval(e, t, sc, &v));
    if (v->kind == FV_RANGE) {
        *r = fv_in_range(v, x);
        return 0;
    }
    if (v->kind == FV_LIST) { /* x in [1, 2, 3] */
        int unknown = 0;
        if (spend(e, v->u.list.n))
            return *r = -1, 0;
        for (size_t i = 0; i < v->u.list.n; i++) {
            int q = fv_eq(x, v->u.list.v[i]);
            if (q == 1)
                return *r = 1, 0;
            unknown |= q < 0;
        }
        *r = unknown ? -1 : 0;
        return 0;
    }
    *r = bt_feel_compare(e->cx, T_EQ, x, v);
    return 0;
}

static int eval_tests(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv *x;
    TRY(eval(e, n->kid, sc, &x));
    int unknown = 0;
    for (size_t i = 0; i < n->n; i++) {
        int r;
        TRY(test1(e, x, n->args[i], sc, &r));
        if (r == 1) {
            *out = fv_bool(1);
            return 0;
        }
        unknown |= r < 0;
    }
    *out = unknown ? fv_null() : fv_bool(0);
    return 0;
}

static int eval_between(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv *x, *lo, *hi;
    TRY(eval(e, n->kid, sc, &x));
    TRY(eval(e, n->kid2, sc, &lo));
    TRY(eval(e, n->kid3, sc, &hi));
    int a = bt_feel_compare(e->cx, T_GE, x, lo), b = bt_feel_compare(e->cx, T_LE, x, hi);
    *out = a == 0 || b == 0 ? fv_bool(0) : bt_feel_tri(a < 0 || b < 0 ? -1 : 1);
    return 0;
}

static int instance_of(const fv *v, const ftype *t)
{
    if (t->kind == -1)
        return v->kind != FV_NULL;
    if (t->kind == -2)
        return v->kind == FV_NULL;
    if (v->kind != t->kind)
        return 0;
    if (t->item && v->kind == FV_LIST) {
        for (size_t i = 0; i < v->u.list.n; i++)
            if (!instance_of(v->u.list.v[i], t->item))
                return 0;
    } else if (t->item && v->kind == FV_RANGE) {
        return (!v->u.range.lo || instance_of(v->u.range.lo, t->item)) &&
               (!v->u.range.hi || instance_of(v->u.range.hi, t->item));
    }
    return 1;
}

/* ---- lists, contexts, ranges ------------------------------------------- */

static int eval_list(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv **slots;
    fv *l = fv_list_new(e->cx, n->n, &slots);
    if (!l)
        return oom(e);
    for (size_t i = 0; i < n->n; i++)
        TRY(eval(e, n->args[i], sc, &slots[i]));
    *out = l;
    return 0;
}

static int eval_context(ev *e, const node *n, const scope *sc, const fv **out)
{
    fv_entry *ents;
    fv *c = fv_ctx_new(e->cx, n->n, &ents);
    if (!c)
        return oom(e);
    /* each entry sees the ones before it */
    scope inner = { sc, NULL, 0, NULL, c };
    for (size_t i = 0; i < n->n; i++) {
        c->u.ctx.n = i;
        ents[i].key = n->argnames[i];
        ents[i].klen = n->arglens[i];
        TRY(eval(e, n->args[i], &inner, &ents[i].val));
    }
    c->u.ctx.n = n->n;
    *out = c;
    return 0;
}

static int eval_range(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv *lo = NULL, *hi = NULL;
    if (n->kid)
        TRY(eval(e, n->kid, sc, &lo));
    if (n->kid2)
        TRY(eval(e, n->kid2, sc, &hi));
    if (lo && hi && lo->kind != FV_NULL && hi->kind != FV_NULL &&
        fv_cmp(lo, hi) == 2)
        return null_because(e, out, "a range from a %s to a %s",
                            fv_type_name(lo), fv_type_name(hi));
    return made(e, fv_range(e->cx, lo, n->lo_closed, hi, n->hi_closed), out);
}

/* ---- filters --------------------------------------------------------------- */

static int item_scope(const fv *item, const scope *sc, scope *s)
{
    s->up = sc;
    s->name = "item";
    s->nlen = 4;
    s->val = item;
    s->ctx = item->kind == FV_CTX ? item : NULL;
    return 0;
}

static int eval_filter(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv *base, *c;
    TRY(eval(e, n->kid, sc, &base));
    if (base->kind == FV_NULL) {
        *out = base;
        return 0;
    }
    if (base->kind != FV_LIST) /* as feel-scala: no singleton lists */
        return null_because(e, out, "can't filter a %s%s",
                            fv_type_name(base), "");
    const fv *const *items = base->u.list.v;
    size_t count = base->u.list.n;
    if (spend(e, count))
        return null_because(e, out, "%s%s", "filter too large", "");
    scope s;
    item_scope(count ? items[0] : fv_null(), sc, &s);
    TRY(eval(e, n->kid2, &s, &c));
    if (c->kind == FV_NUM) { /* list[1], list[-1] */
        int64_t i;
        if (!bt_dec_to_int(&c->u.num, &i) || i == 0 ||
            (i > 0 ? (uint64_t)i > count : (uint64_t)-(i + 1) >= count))
            return null_because(e, out, "%s%s", "index out of range", "");
        *out = items[i > 0 ? (size_t)i - 1 : count - (size_t)-i];
        return 0;
    }
    const fv **keep = count ? fv_alloc(e->cx, count * sizeof *keep) : NULL;
    if (count && !keep)
        return oom(e);
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        if (i) {
            item_scope(items[i], sc, &s);
            TRY(eval(e, n->kid2, &s, &c));
        }
        if (c->kind == FV_BOOL && c->u.b)
            keep[k++] = items[i];
    }
    const fv **slots;
    fv *l = fv_list_new(e->cx, k, &slots);
    if (!l)
        return oom(e);
    if (k)
        memcpy(slots, keep, k * sizeof *slots);
    *out = l;
    return 0;
}

/* ---- for, some, every ------------------------------------------------------ */

typedef struct loop {
    const node *n;
    const fv **res;
    size_t nres, cap;
    int any_true, any_false, any_other;
} loop;

/* The values a domain iterates: a list, or the integers of a range. */
static int domain(ev *e, const iter *it, const scope *sc, const fv **lo,
                  const fv **hi)
{
    TRY(eval(e, it->dom, sc, lo));
    *hi = NULL;
    if (it->dom2)
        TRY(eval(e, it->dom2, sc, hi));
    else if ((*lo)->kind == FV_RANGE && (*lo)->u.range.lo &&
             (*lo)->u.range.hi) {
        const fv *r = *lo;
        *lo = r->u.range.lo;
        *hi = r->u.range.hi;
        /* open ends step inward below */
        if (!r->u.range.lo_closed || !r->u.range.hi_closed) {
            int64_t a, b;
            if (r->u.range.lo->kind != FV_NUM || r->u.range.hi->kind != FV_NUM ||
                !bt_dec_to_int(&r->u.range.lo->u.num, &a) ||
                !bt_dec_to_int(&r->u.range.hi->u.num, &b))
                return 0;
            int up = a <= b;
            if (!r->u.range.lo_closed)
                a += up ? 1 : -1;
            if (!r->u.range.hi_closed)
                b -= up ? 1 : -1;
            if (!(*lo = fv_int(e->cx, a)) || !(*hi = fv_int(e->cx, b)))
                return oom(e);
        }
    }
    return 0;
}

static int body(ev *e, loop *lp, const scope *sc)
{
    const fv *v;
    if (lp->n->kind == N_FOR) {
        if (lp->nres == lp->cap) {
            size_t cap = lp->cap ? lp->cap * 2 : 8;
            const fv **r = fv_alloc(e->cx, cap * sizeof *r);
            if (!r)
                return oom(e);
            if (lp->nres)
                memcpy(r, lp->res, lp->nres * sizeof *r);
            lp->res = r, lp->cap = cap;
        }
        const fv **slots; /* `partial`: the results so far */
        fv *partial = fv_list_new(e->cx, 0, &slots);
        if (!partial)
            return oom(e);
        partial->u.list.v = lp->res;
        partial->u.list.n = lp->nres;
        scope s = { sc, "partial", 7, partial, NULL };
        TRY(eval(e, lp->n->kid, &s, &v));
        lp->res[lp->nres++] = v;
        return 0;
    }
    TRY(eval(e, lp->n->kid, sc, &v));
    if (v->kind == FV_BOOL && v->u.b)
        lp->any_true = 1;
    else if (v->kind == FV_BOOL)
        lp->any_false = 1;
    else
        lp->any_other = 1;
    return 0;
}

/* Iterates the k-th domain and, inside it, the ones after. */
static int iterate(ev *e, loop *lp, size_t k, const scope *sc)
{
    if (k == lp->n->n)
        return body(e, lp, sc);
    const iter *it = &lp->n->iters[k];
    const fv *lo, *hi;
    TRY(domain(e, it, sc, &lo, &hi));
    scope s = { sc, it->name, it->nlen, NULL, NULL };
    if (hi) {
        int64_t a, b;
        if (lo->kind != FV_NUM || hi->kind != FV_NUM ||
            !bt_dec_to_int(&lo->u.num, &a) || !bt_dec_to_int(&hi->u.num, &b)) {
            fv_why(e->cx, "a range to iterate needs integer ends");
            lp->any_other = 1;
            return 1;
        }
        int64_t step = a <= b ? 1 : -1;
        for (int64_t i = a;; i += step) {
            if (spend(e, 1))
                return lp->any_other = 1, 1;
            if (!(s.val = fv_int(e->cx, i)))
                return oom(e);
            int rc = iterate(e, lp, k + 1, &s);
            if (rc)
                return rc;
            if (i == b)
                break;
        }
        return 0;
    }
    if (lo->kind != FV_LIST) { /* as feel-scala: no singleton lists */
        fv_why(e->cx, "can't iterate '%s' over a %s", it->name,
               fv_type_name(lo));
        lp->any_other = 1;
        return 1;
    }
    const fv *const *items = lo->u.list.v;
    size_t count = lo->u.list.n;
    for (size_t i = 0; i < count; i++) {
        if (spend(e, 1))
            return lp->any_other = 1, 1;
        s.val = items[i];
        int rc = iterate(e, lp, k + 1, &s);
        if (rc)
            return rc;
    }
    return 0;
}

static int eval_loop(ev *e, const node *n, const scope *sc, const fv **out)
{
    loop lp = { n, NULL, 0, 0, 0, 0, 0 };
    int rc = iterate(e, &lp, 0, sc);
    if (rc < 0)
        return rc;
    if (rc > 0) { /* could not iterate */
        *out = fv_null();
        return 0;
    }
    if (n->kind == N_FOR) {
        const fv **slots;
        fv *l = fv_list_new(e->cx, 0, &slots);
        if (!l)
            return oom(e);
        l->u.list.v = lp.res;
        l->u.list.n = lp.nres;
        *out = l;
    } else if (n->kind == N_SOME) {
        *out = lp.any_true ? fv_bool(1) : lp.any_other ? fv_null() : fv_bool(0);
    } else {
        *out = lp.any_false ? fv_bool(0) : lp.any_other ? fv_null() : fv_bool(1);
    }
    return 0;
}

/* ---- functions ------------------------------------------------------------- */

/* A closure keeps the scope it was made in; scopes live on the C stack,
 * so the chain is copied into scratch memory. */
static int make_lambda(ev *e, const node *n, const scope *sc, const fv **out)
{
    scope *copy = NULL, *last = NULL;
    for (const scope *s = sc; s; s = s->up) {
        scope *c = fv_alloc(e->cx, sizeof *c);
        if (!c)
            return oom(e);
        *c = *s;
        c->up = NULL;
        if (last)
            last->up = c;
        else
            copy = c;
        last = c;
    }
    lambda *l = fv_alloc(e->cx, sizeof *l);
    fv *f = l ? fv_alloc(e->cx, sizeof *f) : NULL;
    if (!f)
        return oom(e);
    l->def = n;
    l->sc = copy;
    f->kind = FV_FUNC;
    f->u.fn.lambda = l;
    f->u.fn.arity = n->n;
    f->u.fn.params = n->argnames;
    *out = f;
    return 0;
}

/* Calls a lambda with its parameters in order (NULL: not given). */
static int call_lambda(ev *e, const fv *f, const fv *const *args,
                       const fv **out)
{
    const lambda *l = f->u.fn.lambda;
    const node *def = l->def;
    scope *ps = def->n ? fv_alloc(e->cx, def->n * sizeof *ps) : NULL;
    if (def->n && !ps)
        return oom(e);
    const scope *sc = l->sc;
    for (size_t i = 0; i < def->n; i++) {
        ps[i].up = sc;
        ps[i].name = def->argnames[i];
        ps[i].nlen = def->arglens[i];
        ps[i].val = args[i] ? args[i] : fv_null();
        sc = &ps[i];
    }
    return eval(e, def->kid, sc, out);
}

static size_t nparams(const bt_feel_builtin *b)
{
    size_t n = 0;
    while (n < BT_FEEL_MAX_PARAMS && b->params[n])
        n++;
    return n;
}

/* The position of argument name `name` among `params`, or -1. */
static int param_at(const char *const *params, size_t np, const char *name,
                    size_t len)
{
    for (size_t k = 0; k < np; k++)
        if (strlen(params[k]) == len && !memcmp(params[k], name, len))
            return (int)k;
    return -1;
}

static int call_builtin(ev *e, const node *n, const fv *const *vals,
                        const fv **out)
{
    const bt_feel_builtin *b = n->builtin;
    for (; b->name && !strcmp(b->name, n->builtin->name); b++) {
        size_t np = nparams(b);
        if (!n->argnames) {
            if (n->n < b->required || (!b->variadic && n->n > np))
                continue;
            if (b->variadic)
                return b->fn(e->cx, vals, n->n, out);
            const fv *slots[BT_FEEL_MAX_PARAMS] = { 0 };
            if (n->n)
                memcpy(slots, vals, n->n * sizeof *vals);
            return b->fn(e->cx, slots, np, out);
        }
        const fv *slots[BT_FEEL_MAX_PARAMS] = { 0 };
        size_t i;
        for (i = 0; i < n->n; i++) {
            int k = param_at(b->params, np, n->argnames[i], n->arglens[i]);
            if (k < 0)
                break;
            slots[k] = vals[i];
        }
        size_t k = 0;
        while (k < b->required && slots[k])
            k++;
        if (i < n->n || k < b->required)
            continue;
        if (b->variadic) { /* max(list: [...]) */
            size_t last = np;
            while (last > 0 && !slots[last - 1])
                last--;
            return b->fn(e->cx, slots, last, out);
        }
        return b->fn(e->cx, slots, np, out);
    }
    return null_because(e, out, "%s() does not take these arguments%s",
                        n->builtin->name, "");
}

static int apply(ev *e, const fv *f, const fv *const *vals, size_t n,
                 const char *const *names, const size_t *lens, const fv **out)
{
    if (f->kind != FV_FUNC)
        return null_because(e, out, "a %s is not a function%s",
                            fv_type_name(f), "");
    size_t np = f->u.fn.arity;
    if (!names && n != np)
        return null_because(e, out, "%s%s", "a function called with the "
                            "wrong number of arguments", "");
    const fv **slots = np ? fv_alloc(e->cx, np * sizeof *slots) : NULL;
    if (np && !slots)
        return oom(e);
    for (size_t i = 0; i < n; i++) {
        int k = names ? param_at(f->u.fn.params, np, names[i], lens[i])
                      : (int)i;
        if (k < 0)
            return null_because(e, out, "no parameter '%s'%s", names[i], "");
        slots[k] = vals[i];
    }
    return call_lambda(e, f, slots, out);
}

int fv_apply(fv_cx *cx, const fv *f, const fv *const *args, size_t n,
             const fv **out)
{
    ev e = { cx, cx->env, 0 };
    return apply(&e, f, args, n, NULL, NULL, out);
}

/* The arguments of a call, in order, into scratch memory. */
static int eval_args(ev *e, const node *n, const scope *sc, const fv ***out)
{
    const fv **vals = n->n ? fv_alloc(e->cx, n->n * sizeof *vals) : NULL;
    if (n->n && !vals)
        return oom(e);
    for (size_t i = 0; i < n->n; i++)
        TRY(eval(e, n->args[i], sc, &vals[i]));
    *out = vals;
    return 0;
}

static int eval_call(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv **vals;
    TRY(eval_args(e, n, sc, &vals));
    if (n->builtin)
        return call_builtin(e, n, vals, out);
    const fv *f;
    TRY(eval(e, n->kid, sc, &f));
    return apply(e, f, vals, n->n, n->argnames, n->arglens, out);
}

/* ---- JUEL ------------------------------------------------------------------- */

static int is_empty(const fv *v)
{
    switch (v->kind) {
    case FV_NULL: return 1;
    case FV_STR: return v->u.str.n == 0;
    case FV_LIST: return v->u.list.n == 0;
    case FV_CTX: return v->u.ctx.n == 0;
    }
    return 0;
}

static int juel_call(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv **vals;
    TRY(eval_args(e, n, sc, &vals));
    if (n->method && !strcmp(n->name, "execution")) {
        if (vals[0]->kind != FV_STR)
            return null_because(e, out, "execution.%s() needs a variable "
                                "name%s", n->method, "");
        node name = { 0 };
        name.kind = N_NAME;
        name.name = vals[0]->u.str.s;
        name.nlen = vals[0]->u.str.n;
        int has = !strncmp(n->method, "has", 3);
        e->cx->missing = 0;
        TRY(lookup(e, &name, sc, out));
        if (has)
            *out = fv_bool(!e->cx->missing);
        return 0;
    }
    if (!e->env->call)
        return null_because(e, out, "no host hook answers the JUEL call "
                            "'%s%s(...)'", n->name,
                            n->method ? ".method" : "");
    json_t *args = json_array(), *res = NULL;
    if (!args)
        return oom(e);
    for (size_t i = 0; i < n->n; i++) {
        json_t *a;
        if (fv_to_json(e->cx, vals[i], &a) || json_array_append_new(args, a)) {
            json_decref(args);
            return oom(e);
        }
    }
    char why[128] = "";
    int rc = e->env->call(e->env->call_ud, n->name, n->method, args, &res,
                          why, sizeof why);
    json_decref(args);
    if (rc || !res) {
        json_decref(res);
        fv_why(e->cx, "the host refused '%s%s%s(...)'%s%s", n->name,
               n->method ? "." : "", n->method ? n->method : "",
               why[0] ? ": " : "", why);
        *out = fv_null();
        return 0;
    }
    /* strings of the host's value are borrowed: it is held until the
     * evaluation ends */
    if (fv_hold(e->cx, res)) {
        json_decref(res);
        return oom(e);
    }
    return made(e, fv_from_json(e->cx, res), out);
}

static int eval_index(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv *a, *k;
    TRY(eval(e, n->kid, sc, &a));
    TRY(eval(e, n->kid2, sc, &k));
    if (k->kind == FV_STR)
        return member(e, a, k->u.str.s, k->u.str.n, out, 0);
    int64_t i;
    if (a->kind == FV_LIST && k->kind == FV_NUM && bt_dec_to_int(&k->u.num, &i)
        && i >= 0 && (uint64_t)i < a->u.list.n) {
        *out = a->u.list.v[i];
        return 0;
    }
    return null_because(e, out, "%s%s", "no such index", "");
}

/* ---- dispatch ---------------------------------------------------------------- */

/* Left-deep chains of one operator ("a or b or c ...", "1 + 2 + 3 ...")
 * are walked in blocks, so a generated condition of a thousand terms
 * recurses a few levels, not a thousand. */
#define SPINE 64

static int combine(ev *e, const node *m, const scope *sc, const fv *acc,
                   const fv **out)
{
    const fv *b;
    if (m->kind == N_AND || m->kind == N_OR) {
        int stop = m->kind == N_OR; /* the value that decides alone */
        if (acc->kind == FV_BOOL && acc->u.b == stop) {
            *out = acc;
            return 0;
        }
        TRY(eval(e, m->kid2, sc, &b));
        if (b->kind == FV_BOOL && b->u.b == stop)
            *out = b;
        else if (acc->kind == FV_BOOL && b->kind == FV_BOOL)
            *out = fv_bool(!stop);
        else
            *out = fv_null();
        return 0;
    }
    TRY(eval(e, m->kid2, sc, &b));
    if (m->kind == N_CMP) {
        *out = bt_feel_tri(bt_feel_compare(e->cx, m->op, acc, b));
        return 0;
    }
    return bt_feel_arith(e->cx, m->op, acc, b, out);
}

static int eval_chain(ev *e, const node *n, const scope *sc, const fv **out)
{
    const node *spine[SPINE];
    size_t k = 0;
    const node *b = n;
    while (b->kind == n->kind && k < SPINE) {
        spine[k++] = b;
        b = b->kid;
    }
    const fv *acc;
    TRY(eval(e, b, sc, &acc));
    while (k--)
        TRY(combine(e, spine[k], sc, acc, &acc));
    *out = acc;
    return 0;
}

static int eval_neg(ev *e, const fv *v, const fv **out)
{
    if (v->kind == FV_NUM) {
        bt_dec r;
        bt_dec_neg(&r, &v->u.num);
        return made(e, fv_num(e->cx, &r), out);
    }
    if (v->kind == FV_DTDUR) {
        bt_dtdur d = { -v->u.dtdur.secs, -v->u.dtdur.nanos };
        if (v->u.dtdur.secs == INT64_MIN)
            return null_because(e, out, "%s%s", "duration overflow", "");
        return made(e, fv_dtdur(e->cx, &d), out);
    }
    if (v->kind == FV_YMDUR && v->u.months != INT64_MIN)
        return made(e, fv_ymdur(e->cx, -v->u.months), out);
    if (v->kind == FV_NULL)
        return *out = v, 0;
    return null_because(e, out, "can't negate a %s%s", fv_type_name(v), "");
}

static int eval_node(ev *e, const node *n, const scope *sc, const fv **out);

/* Every level of the tree and every call of a FEEL function recurses
 * here, so this one counter bounds the C stack the evaluation uses. */
static int eval(ev *e, const node *n, const scope *sc, const fv **out)
{
    if (e->cx->depth >= MAX_EVAL_RECURSION)
        return null_because(e, out, "%s%s", "the evaluation nests too deeply "
                            "(functions calling each other?)", "");
    e->cx->depth++;
    int rc = eval_node(e, n, sc, out);
    e->cx->depth--;
    return rc;
}

static int eval_node(ev *e, const node *n, const scope *sc, const fv **out)
{
    const fv *a;
    switch (n->kind) {
    case N_LIT: *out = n->lit; return 0;
    case N_NAME: return lookup(e, n, sc, out);
    case N_MEMBER: return eval_member(e, n, sc, out);
    case N_FILTER: return eval_filter(e, n, sc, out);
    case N_CALL: return eval_call(e, n, sc, out);
    case N_NEG:
        TRY(eval(e, n->kid, sc, &a));
        return eval_neg(e, a, out);
    case N_NOT:
        TRY(eval(e, n->kid, sc, &a));
        *out = a->kind == FV_BOOL ? fv_bool(!a->u.b) : fv_null();
        return 0;
    case N_AND:
    case N_OR:
    case N_CMP:
    case N_ARITH: return eval_chain(e, n, sc, out);
    case N_IF:
    case N_TERNARY:
        TRY(eval(e, n->kid, sc, &a));
        if (n->kind == N_TERNARY && a->kind != FV_BOOL && a->kind != FV_NULL)
            return null_because(e, out, "the condition of '?:' is a %s%s",
                                fv_type_name(a), "");
        return eval(e, a->kind == FV_BOOL && a->u.b ? n->kid2 : n->kid3, sc,
                    out);
    case N_FOR:
    case N_SOME:
    case N_EVERY: return eval_loop(e, n, sc, out);
    case N_LIST: return eval_list(e, n, sc, out);
    case N_CONTEXT: return eval_context(e, n, sc, out);
    case N_RANGE: return eval_range(e, n, sc, out);
    case N_UTEST: /* a unary test alone never reaches here */
        *out = fv_null();
        return 0;
    case N_TESTS: return eval_tests(e, n, sc, out);
    case N_NOTTESTS: *out = fv_null(); return 0;
    case N_BETWEEN: return eval_between(e, n, sc, out);
    case N_INSTANCE:
        TRY(eval(e, n->kid, sc, &a));
        *out = fv_bool(instance_of(a, n->type));
        return 0;
    case N_FUNCDEF: return make_lambda(e, n, sc, out);
    case N_ISDEF: {
        int was = e->cx->missing;
        e->cx->missing = 0;
        TRY(eval(e, n->kid, sc, &a));
        *out = fv_bool(!e->cx->missing);
        e->cx->missing = was;
        return 0;
    }
    case N_EMPTY:
        TRY(eval(e, n->kid, sc, &a));
        *out = fv_bool(is_empty(a));
        return 0;
    case N_JCALL: return juel_call(e, n, sc, out);
    case N_JINDEX: return eval_index(e, n, sc, out);
    }
    *out = fv_null();
    return 0;
}

int bt_expr_eval(const bt_expr *x, const bt_expr_env *env, json_t **out)
{
    if (env->why && env->whylen)
        env->why[0] = '\0';
    if (x->fast && env->lookup) {
        int r = bt_feel_fast_test(env, x->root);
        if (r >= 0) {
            *out = json_boolean(r);
            return 0;
        }
    }
    /* A path that the variables' JSON resolves whole is answered with
     * that JSON itself, shared: mappings that move a large variable copy
     * nothing. */
    if (x->is_path && !x->juel) {
        json_t *j = bt_feel_json_path(env, x->root);
        if (j) {
            *out = json_incref(j);
            return 0;
        }
    }
    fv_cx cx;
    fv_cx_init(&cx, env->alloc, env);
    ev e = { &cx, env, x->juel };
    const fv *v = NULL;
    *out = NULL;
    int rc = eval(&e, x->root, NULL, &v);
    if (!rc && cx.status)
        rc = cx.status;
    if (!rc)
        rc = fv_to_json(&cx, v, out);
    if (!rc && env->why && env->whylen) {
        size_t n = strlen(cx.why);
        if (n >= env->whylen)
            n = env->whylen - 1;
        memcpy(env->why, cx.why, n);
        env->why[n] = '\0';
    }
    fv_cx_done(&cx);
    return rc;
}
