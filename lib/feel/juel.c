/* The part of JUEL (Unified EL 2.2) that Camunda 7 models use, parsed into
 * the same tree as FEEL: names and properties, literals, the arithmetic,
 * comparison and logical operators with their word forms, `empty`, the
 * ternary operator, `execution.getVariable("x")`, and calls of beans and
 * functions, which the host answers through its hook at evaluation.
 * Everything else (assignment, lambdas, collections, other `execution`
 * methods) is refused by name at load. */
#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"

#define fail bt_feel_fail
#define nomem bt_feel_nomem

#define lex bt_feel_lex
#define at bt_feel_at
#define expected bt_feel_expected
#define mk bt_feel_mk



static node *expr(parser *p);

static node *literal(parser *p, int kind)
{
    node *n = mk(p, N_LIT, p->tok.pos);
    fv *v = n ? bt_arena_alloc(p->ar, sizeof *v) : NULL;
    if (!v)
        return nomem(p);
    v->kind = (uint8_t)kind;
    if (kind == FV_NUM)
        v->u.num = p->tok.num;
    else if (kind == FV_STR)
        v->u.str.s = p->tok.s, v->u.str.n = p->tok.n;
    else
        v->u.b = at(p, T_TRUE);
    n->lit = v;
    return lex(p) ? NULL : n;
}

/* The arguments of a call, after its '('. */
static int args(parser *p, node *n)
{
    const node **v = NULL;
    size_t cap = 0;
    if (lex(p))
        return -1;
    while (!at(p, T_RP)) {
        if (n->n && (at(p, T_COMMA) ? lex(p) : (expected(p, "',' or ')'"), -1)))
            return -1;
        const node *x = expr(p);
        if (!x)
            return -1;
        if (n->n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            const node **g = bt_arena_alloc(p->ar, nc * sizeof *g);
            if (!g)
                return nomem(p), -1;
            if (n->n)
                memcpy(g, v, n->n * sizeof *g);
            v = g, cap = nc;
        }
        v[n->n++] = x;
    }
    n->args = v;
    return lex(p);
}

static const char *const execution_reads[] = {
    "getVariable", "getVariableLocal", "hasVariable", "hasVariableLocal",
    NULL};

/* target.method(...): `target` a name; execution's reading methods are
 * answered here, other targets by the host. */
static node *method_call(parser *p, const node *target, const char *method,
                         size_t pos)
{
    /* the bean may be named by a path ("environment.services") */
    const node *t = target;
    size_t len = 0;
    while (t->kind == N_MEMBER) {
        len += t->nlen + 1;
        t = t->kid;
    }
    if (t->kind != N_NAME)
        return fail(p, pos, "method calls on values ('.%s(...)') are not "
                            "supported; only on beans and 'execution'",
                    method);
    len += t->nlen;
    char *name = bt_arena_alloc(p->ar, len + 1);
    if (!name)
        return nomem(p);
    size_t at_ = len;
    name[len] = '\0';
    for (t = target; t->kind == N_MEMBER; t = t->kid) {
        at_ -= t->nlen;
        memcpy(name + at_, t->name, t->nlen);
        name[--at_] = '.';
    }
    memcpy(name, t->name, t->nlen);
    node *n = mk(p, N_JCALL, pos);
    if (!n || args(p, n))
        return NULL;
    n->name = name;
    n->nlen = len;
    n->method = method;
    if (!strcmp(name, "execution")) {
        int k = 0;
        while (execution_reads[k] && strcmp(execution_reads[k], method))
            k++;
        if (!execution_reads[k])
            return fail(p, pos, "execution.%s() is not supported; only "
                                "execution.getVariable(name) and "
                                "execution.hasVariable(name) (and their "
                                "Local forms)", method);
        if (n->n != 1)
            return fail(p, pos, "execution.%s() takes one argument", method);
    }
    return n;
}

static node *primary(parser *p)
{
    size_t pos = p->tok.pos;
    switch (p->tok.kind) {
    case T_NUM: return literal(p, FV_NUM);
    case T_STR: return literal(p, FV_STR);
    case T_TRUE:
    case T_FALSE: return literal(p, FV_BOOL);
    case T_NULL: return literal(p, FV_NULL);
    case T_LP: {
        if (lex(p))
            return NULL;
        node *x = expr(p);
        if (!x)
            return NULL;
        if (!at(p, T_RP))
            return expected(p, "')'");
        return lex(p) ? NULL : x;
    }
    case T_NAME: {
        node *n = mk(p, N_NAME, pos);
        if (!n)
            return NULL;
        n->name = p->tok.s;
        n->nlen = p->tok.n;
        if (lex(p))
            return NULL;
        if (at(p, T_COLON)) { /* ns:fn(...), or the ':' of a ternary */
            size_t save_pos = p->pos;
            token save_tok = p->tok;
            if (lex(p))
                return NULL;
            const char *fn = p->tok.s;
            int is_fn = at(p, T_NAME);
            if (is_fn && lex(p))
                return NULL;
            if (is_fn && at(p, T_LP)) {
                char *full = bt_arena_printf(p->ar, "%s:%s", n->name, fn);
                if (!full)
                    return nomem(p);
                n->name = full;
                n->nlen = strlen(full);
            } else {
                p->pos = save_pos;
                p->tok = save_tok;
            }
        }
        if (at(p, T_LP)) { /* fn(...) */
            node *c = mk(p, N_JCALL, pos);
            if (!c || args(p, c))
                return NULL;
            c->name = n->name;
            c->nlen = n->nlen;
            return c;
        }
        return n;
    }
    }
    return expected(p, "an operand");
}

static node *value(parser *p)
{
    node *n = primary(p);
    while (n) {
        size_t pos = p->tok.pos;
        if (at(p, T_DOT)) {
            if (lex(p))
                return NULL;
            if (!p->tok.s || at(p, T_STR))
                return expected(p, "a property name after '.'");
            const char *name = p->tok.s;
            size_t len = p->tok.n;
            if (lex(p))
                return NULL;
            if (at(p, T_LP)) {
                n = method_call(p, n, name, pos);
                continue;
            }
            node *m = mk(p, N_MEMBER, pos);
            if (!m)
                return NULL;
            m->kid = n;
            m->name = name;
            m->nlen = len;
            n = m;
        } else if (at(p, T_LB)) {
            node *x = mk(p, N_JINDEX, pos);
            if (!x || lex(p))
                return NULL;
            x->kid = n;
            if (!(x->kid2 = expr(p)))
                return NULL;
            if (!at(p, T_RB))
                return expected(p, "']'");
            if (lex(p))
                return NULL;
            n = x;
        } else {
            break;
        }
    }
    return n;
}

static node *unary(parser *p)
{
    int k = p->tok.kind;
    if (k != T_MINUS && k != T_NOT && k != T_EMPTY)
        return value(p);
    size_t pos = p->tok.pos;
    if (++p->depth > MAX_DEPTH)
        return fail(p, pos, "expression nested too deeply (more than %d "
                            "levels)", MAX_DEPTH);
    node *n = mk(p, k == T_MINUS ? N_NEG : k == T_NOT ? N_NOT : N_EMPTY, pos);
    if (!n || lex(p) || !(n->kid = unary(p)))
        return NULL;
    p->depth--;
    return n;
}

#define level bt_feel_binary

static const int ops_mul[] = { T_STAR, T_SLASH, T_DIV, T_MOD, 0 };
static const int ops_add[] = { T_PLUS, T_MINUS, 0 };
static const int ops_rel[] = { T_LT, T_LE, T_GT, T_GE, 0 };
static const int ops_eq[] = { T_EQ, T_NE, 0 };
static const int ops_and[] = { T_AND, 0 };
static const int ops_or[] = { T_OR, 0 };
static node *mul(parser *p) { return level(p, unary, ops_mul, N_ARITH); }
static node *add(parser *p) { return level(p, mul, ops_add, N_ARITH); }
static node *rel(parser *p) { return level(p, add, ops_rel, N_CMP); }
static node *eq(parser *p) { return level(p, rel, ops_eq, N_CMP); }
static node *and_(parser *p) { return level(p, eq, ops_and, N_AND); }
static node *or_(parser *p) { return level(p, and_, ops_or, N_OR); }

static node *expr(parser *p)
{
    size_t pos = p->tok.pos;
    if (++p->depth > MAX_DEPTH)
        return fail(p, pos, "expression nested too deeply (more than %d "
                            "levels)", MAX_DEPTH);
    node *c = or_(p);
    p->depth--;
    if (!c || !at(p, T_QUESTION))
        return c;
    node *n = mk(p, N_TERNARY, pos);
    if (!n || lex(p))
        return NULL;
    n->kid = c;
    if (!(n->kid2 = expr(p)))
        return NULL;
    if (!at(p, T_COLON))
        return expected(p, "':' in 'cond ? a : b'");
    if (lex(p) || !(n->kid3 = expr(p)))
        return NULL;
    return n;
}

static void skip_blank(parser *p)
{
    while (p->pos < p->len && (p->text[p->pos] == ' ' ||
                               p->text[p->pos] == '\t' ||
                               p->text[p->pos] == '\n' ||
                               p->text[p->pos] == '\r'))
        p->pos++;
}

const node *bt_juel_parse(parser *p)
{
    skip_blank(p);
    const char *s = p->text + p->pos;
    if (!(p->pos + 1 < p->len && (s[0] == '$' || s[0] == '#') && s[1] == '{'))
        return fail(p, p->pos, "unsupported JUEL construct: text outside "
                               "${...}");
    p->pos += 2;
    if (lex(p))
        return NULL;
    if (at(p, T_END))
        return fail(p, p->tok.pos, "empty expression");
    node *root = expr(p);
    if (!root)
        return NULL;
    if (!at(p, T_END))
        return expected(p, "'}'");
    skip_blank(p);
    if (p->pos < p->len)
        return fail(p, p->pos, "unsupported JUEL construct: text outside "
                               "${...}");
    return root;
}
