/* The fast path of conditions. Conditions on the hot path are mostly
 * "path op literal" joined by and/or. Those are decided on the variables'
 * JSON directly, with no scratch memory and no FEEL values; whatever the
 * fast path cannot decide exactly (a missing variable, kinds that differ,
 * big numbers) goes the evaluator's general way (eval.c). */
#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"

static int is_path_node(const node *n)
{
    int k = 0;
    while (n->kind == N_MEMBER && k++ < BT_FEEL_JSON_PATH)
        n = n->kid;
    return n->kind == N_NAME && n->name[0] != '?';
}

int bt_feel_fast_shape(node *n)
{
    switch (n->kind) {
    case N_AND:
    case N_OR:
        return bt_feel_fast_shape((node *)n->kid) &
               bt_feel_fast_shape((node *)n->kid2);
    case N_CMP:
        if (!is_path_node(n->kid) || n->kid2->kind != N_LIT)
            return 0;
        if (n->kid2->lit->kind == FV_NUM) {
            node *l = (node *)n->kid2;
            const bt_dec *d = &l->lit->u.num;
            /* below 10^15 and well inside a double's range */
            l->dbl_ok = d->hi == 0 && d->lo < 1000000000000000ULL &&
                        d->exp > -280 && d->exp < 280;
            if (l->dbl_ok)
                l->d = bt_dec_to_double(d);
        }
        return 1;
    }
    return 0;
}

json_t *bt_feel_json_path(const bt_expr_env *env, const node *n)
{
    const node *chain[BT_FEEL_JSON_PATH];
    size_t k = 0;
    while (n->kind == N_MEMBER && k < BT_FEEL_JSON_PATH) {
        chain[k++] = n;
        n = n->kid;
    }
    if (n->kind != N_NAME || !env->lookup)
        return NULL;
    json_t *j = env->lookup(env->ctx, n->name, n->nlen);
    while (j && k--)
        j = json_is_object(j) ? json_object_getn(j, chain[k]->name,
                                                 chain[k]->nlen)
                              : NULL;
    return j;
}

/* -1, 0, 1, or 2 when undecided. */
static int fast_order(json_t *j, const node *l)
{
    const fv *v = l->lit;
    if (v->kind == FV_NUM) {
        const bt_dec *d = &v->u.num;
        if (json_is_integer(j)) {
            json_int_t i = json_integer_value(j);
            if (d->exp == 0 && d->hi == 0 && d->lo < ((uint64_t)1 << 62)) {
                int64_t y = d->neg ? -(int64_t)d->lo : (int64_t)d->lo;
                return (i > y) - (i < y);
            }
            if (l->dbl_ok && i > -(1LL << 53) && i < (1LL << 53)) {
                double x = (double)i;
                return (x > l->d) - (x < l->d);
            }
        } else if (json_is_real(j) && l->dbl_ok) {
            double x = json_real_value(j);
            return (x > l->d) - (x < l->d);
        }
        return 2;
    }
    if (v->kind == FV_STR && json_is_string(j)) {
        size_t a = json_string_length(j), b = v->u.str.n;
        int c = memcmp(json_string_value(j), v->u.str.s, a < b ? a : b);
        if (c)
            return c < 0 ? -1 : 1;
        return (a > b) - (a < b);
    }
    return 2;
}

/* 1, 0, or -2 when the general way must decide. */
int bt_feel_fast_test(const bt_expr_env *env, const node *n)
{
    if (n->kind == N_AND || n->kind == N_OR) {
        int stop = n->kind == N_OR;
        int a = bt_feel_fast_test(env, n->kid);
        if (a == -2 || a == stop)
            return a;
        return bt_feel_fast_test(env, n->kid2);
    }
    json_t *j = bt_feel_json_path(env, n->kid);
    if (!j)
        return -2;
    int c;
    if (n->kid2->lit->kind == FV_BOOL && json_is_boolean(j)) {
        if (n->op != T_EQ && n->op != T_NE)
            return -2;
        c = json_is_true(j) != !!n->kid2->lit->u.b;
    } else if ((c = fast_order(j, n->kid2)) == 2) {
        return -2;
    }
    switch (n->op) {
    case T_EQ: return c == 0;
    case T_NE: return c != 0;
    case T_LT: return c < 0;
    case T_LE: return c <= 0;
    case T_GT: return c > 0;
    default: return c >= 0;
    }
}

