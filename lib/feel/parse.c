/* FEEL's grammar (DMN 1.4 §10.3.1.2) by recursive descent, into the tree
 * of feel_tree.h. Precedence, lowest first: the textual forms (if, for,
 * some/every, function), or, and, comparison (= != < <= > >= between in
 * instance of), + -, * /, **, unary minus, then paths, filters and
 * invocations.
 *
 * Names are resolved as far as the text allows: a call's name is a
 * builtin unless a parameter, context entry or iteration variable of the
 * text binds it; a call of a name that neither knows is refused here, so
 * a typo fails at load, not in production. */
#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"

#define fail bt_feel_fail
#define nomem bt_feel_nomem

#define lex bt_feel_lex
#define at bt_feel_at
#define expected bt_feel_expected
#define mk bt_feel_mk
#define tall bt_feel_tall
#define binary bt_feel_binary


static int expect(parser *p, int kind, const char *what)
{
    if (!at(p, kind)) {
        expected(p, what);
        return -1;
    }
    return lex(p);
}


static int enter(parser *p)
{
    if (++p->depth > MAX_DEPTH) {
        fail(p, p->tok.pos, "expression nested too deeply (more than %d "
                            "levels)", MAX_DEPTH);
        return -1;
    }
    return 0;
}

/* A saved position, to try one reading and fall back to another. */
typedef struct mark {
    size_t pos;
    token tok;
} mark;
static mark save(const parser *p) { mark m = { p->pos, p->tok }; return m; }
static void restore(parser *p, mark m) { p->pos = m.pos; p->tok = m.tok; }

/* ---- names bound by the text ---------------------------------------- */

static int bind(parser *p, const char *name, size_t n)
{
    if (p->nbound == p->capbound) {
        size_t cap = p->capbound ? p->capbound * 2 : 16;
        const char **b = bt_arena_alloc(p->ar, cap * sizeof *b);
        size_t *l = bt_arena_alloc(p->ar, cap * sizeof *l);
        if (!b || !l)
            return nomem(p), -1;
        if (p->nbound) {
            memcpy(b, p->bound, p->nbound * sizeof *b);
            memcpy(l, p->boundlen, p->nbound * sizeof *l);
        }
        p->bound = b;
        p->boundlen = l;
        p->capbound = cap;
    }
    p->bound[p->nbound] = name;
    p->boundlen[p->nbound++] = n;
    return 0;
}

static int is_bound(const parser *p, const char *name, size_t n)
{
    for (size_t i = p->nbound; i-- > 0;)
        if (p->boundlen[i] == n && !memcmp(p->bound[i], name, n))
            return 1;
    return 0;
}

/* ---- growing arrays in the arena ------------------------------------- */

typedef struct vec {
    const node **v;
    const char **names;
    size_t *lens;
    size_t n, cap;
} vec;

static int push(parser *p, vec *a, const node *x, const char *name, size_t len)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        const node **v = bt_arena_alloc(p->ar, cap * sizeof *v);
        const char **nm = bt_arena_alloc(p->ar, cap * sizeof *nm);
        size_t *ln = bt_arena_alloc(p->ar, cap * sizeof *ln);
        if (!v || !nm || !ln)
            return nomem(p), -1;
        if (a->n) {
            memcpy(v, a->v, a->n * sizeof *v);
            memcpy(nm, a->names, a->n * sizeof *nm);
            memcpy(ln, a->lens, a->n * sizeof *ln);
        }
        a->v = v, a->names = nm, a->lens = ln, a->cap = cap;
    }
    a->v[a->n] = x;
    a->names[a->n] = name;
    a->lens[a->n++] = len;
    return 0;
}

static void take(node *n, const vec *a, int named)
{
    n->args = a->v;
    n->n = a->n;
    if (named) {
        n->argnames = a->names;
        n->arglens = a->lens;
    }
}

/* ---- literals -------------------------------------------------------- */

static node *lit(parser *p, size_t pos, fv **out)
{
    node *n = mk(p, N_LIT, pos);
    fv *v = n ? bt_arena_alloc(p->ar, sizeof *v) : NULL;
    if (!v)
        return nomem(p);
    n->lit = v;
    *out = v;
    return n;
}

/* @"..." (feel-scala): the kind follows from the text's shape. */
static node *temporal_lit(parser *p)
{
    size_t pos = p->tok.pos;
    if (lex(p))
        return NULL;
    if (!at(p, T_STR))
        return expected(p, "a string after '@'");
    const char *s = p->tok.s;
    size_t n = p->tok.n;
    fv *v = NULL;
    node *x = lit(p, pos, &v);
    if (!x)
        return NULL;
    int is_ym, ok;
    if (n && (s[0] == 'P' || ((s[0] == '-' || s[0] == '+') && n > 1 &&
                              s[1] == 'P'))) {
        ok = !bt_t_parse_duration(s, n, &is_ym, &v->u.dtdur, &v->u.months);
        v->kind = is_ym ? FV_YMDUR : FV_DTDUR;
    } else if (memchr(s, 'T', n)) {
        ok = !bt_t_parse_dt(s, n, &v->u.dt);
        v->kind = FV_DT;
    } else if (n > 2 && s[2] == ':') {
        ok = !bt_t_parse_time(s, n, &v->u.time);
        v->kind = FV_TIME;
    } else {
        ok = !bt_t_parse_date(s, n, &v->u.date);
        v->kind = FV_DATE;
    }
    if (!ok)
        return fail(p, pos, "invalid temporal literal @\"%.*s\"",
                    (int)(n > 60 ? 60 : n), s);
    return lex(p) ? NULL : x;
}

/* ---- names ----------------------------------------------------------- */

/* A word token: a name, or a keyword spelled as a word (the words of
 * "date and time", "index of", "get or else"). */
static int is_word(const parser *p)
{
    return p->tok.s && p->tok.n && p->tok.kind != T_STR;
}

/* Joins the words from the current token into the longest builtin name
 * followed by '('. On success the current token is the name's last word;
 * otherwise the tokens are left alone and NULL is returned. */
static const char *builtin_words(parser *p, size_t *len)
{
    mark m = save(p), best_at = m;
    char buf[64];
    size_t n = p->tok.n, best_n = 0;
    const char *best = NULL;
    if (n >= sizeof buf)
        return NULL;
    memcpy(buf, p->tok.s, n);
    while (1) {
        const bt_feel_builtin *b = bt_feel_builtin_find(buf, n);
        if (b) {
            mark here = save(p);
            if (lex(p))
                return NULL;
            if (at(p, T_LP)) {
                best = b->name;
                best_n = n;
                best_at = here;
            }
            restore(p, here);
        }
        if (!bt_feel_builtin_prefix(buf, n))
            break;
        if (lex(p))
            return NULL;
        if (!is_word(p) || n + 1 + p->tok.n >= sizeof buf)
            break;
        buf[n] = ' ';
        memcpy(buf + n + 1, p->tok.s, p->tok.n);
        n += 1 + p->tok.n;
    }
    restore(p, best ? best_at : m);
    *len = best_n;
    return best;
}

static node *parse_expr(parser *p);
static node *parse_add(parser *p);
static node *parse_postfix(parser *p);

/* Arguments of a call: all positional or all named. */
static int parse_args(parser *p, vec *a, int *named)
{
    *named = 0;
    if (lex(p)) /* '(' */
        return -1;
    if (at(p, T_RP))
        return lex(p);
    *named = -1;
    do {
        if (a->n && lex(p))
            return -1;
        const char *name = NULL;
        size_t len = 0;
        if (is_word(p) && p->tok.kind != T_NULL && p->tok.kind != T_TRUE &&
            p->tok.kind != T_FALSE) {
            /* name: or words of a name: ("start position: 2") */
            mark m = save(p);
            char buf[64];
            size_t n = 0;
            while (is_word(p) && n + p->tok.n + 1 < sizeof buf) {
                if (n)
                    buf[n++] = ' ';
                memcpy(buf + n, p->tok.s, p->tok.n);
                n += p->tok.n;
                if (lex(p))
                    return -1;
            }
            if (at(p, T_COLON) && n) {
                if (!(name = bt_arena_strndup(p->ar, buf, n)))
                    return nomem(p), -1;
                len = n;
                if (lex(p))
                    return -1;
            } else {
                restore(p, m);
            }
        }
        if (*named >= 0 && *named != (name != NULL)) {
            fail(p, p->tok.pos, "a call mixes named and positional arguments");
            return -1;
        }
        *named = name != NULL;
        const node *x = parse_expr(p);
        if (!x || push(p, a, x, name, len))
            return -1;
    } while (at(p, T_COMMA));
    if (*named < 0)
        *named = 0;
    return expect(p, T_RP, "',' or ')' after an argument");
}

/* 1 when some overload of `b` takes these arguments. */
static int fits(const bt_feel_builtin *b, const vec *a, int named)
{
    size_t np = 0;
    while (np < BT_FEEL_MAX_PARAMS && b->params[np])
        np++;
    if (!named)
        return a->n >= b->required && (b->variadic || a->n <= np);
    for (size_t i = 0; i < a->n; i++) {
        size_t k = 0;
        while (k < np && !(strlen(b->params[k]) == a->lens[i] &&
                           !memcmp(b->params[k], a->names[i], a->lens[i])))
            k++;
        if (k == np)
            return 0;
    }
    for (size_t k = 0; k < b->required; k++) {
        size_t i = 0;
        while (i < a->n && !(strlen(b->params[k]) == a->lens[i] &&
                             !memcmp(b->params[k], a->names[i], a->lens[i])))
            i++;
        if (i == a->n)
            return 0;
    }
    return 1;
}

static node *call_builtin(parser *p, const char *name, size_t len, size_t pos)
{
    const bt_feel_builtin *b = bt_feel_builtin_find(name, len);
    vec a = { 0 };
    int named;
    if (parse_args(p, &a, &named))
        return NULL;
    if (len == 10 && !memcmp(name, "is defined", 10)) {
        if (a.n != 1)
            return fail(p, pos, "is defined() takes one argument");
        node *n = mk(p, N_ISDEF, pos);
        if (n)
            n->kid = a.v[0];
        return n;
    }
    const bt_feel_builtin *o = b;
    while (o->name && !strcmp(o->name, b->name) && !fits(o, &a, named))
        o++;
    if (!o->name || strcmp(o->name, b->name))
        return fail(p, pos, "%s() does not take %s", b->name,
                    named ? "these named arguments"
                          : "this number of arguments");
    if (!strcmp(b->name, "now") || !strcmp(b->name, "today"))
        p->uses_clock = 1;
    node *n = mk(p, N_CALL, pos);
    if (!n)
        return NULL;
    n->builtin = b;
    n->name = b->name;
    n->nlen = len;
    take(n, &a, named);
    return n;
}

static node *call_value(parser *p, const node *callee, size_t pos)
{
    vec a = { 0 };
    int named;
    if (parse_args(p, &a, &named))
        return NULL;
    node *n = mk(p, N_CALL, pos);
    if (!n)
        return NULL;
    n->kid = callee;
    take(n, &a, named);
    return n;
}

static node *name_or_call(parser *p)
{
    size_t pos = p->tok.pos, len;
    const char *bname = NULL;
    if (!is_bound(p, p->tok.s, p->tok.n))
        bname = builtin_words(p, &len);
    if (p->status)
        return NULL;
    if (bname) {
        if (lex(p)) /* the last word; '(' is current now */
            return NULL;
        return call_builtin(p, bname, len, pos);
    }
    node *n = mk(p, N_NAME, pos);
    if (!n)
        return NULL;
    n->name = p->tok.s;
    n->nlen = p->tok.n;
    if (lex(p))
        return NULL;
    /* DMN names may hold spaces ("Service Level"): words that follow a
     * name, none of them a keyword, are one name, spaces made single */
    while (at(p, T_NAME)) {
        char *joined = bt_arena_printf(p->ar, "%s %s", n->name, p->tok.s);
        if (!joined)
            return nomem(p);
        n->name = joined;
        n->nlen += 1 + p->tok.n;
        if (lex(p))
            return NULL;
    }
    if (at(p, T_LP) && !is_bound(p, n->name, n->nlen)) {
        if (bt_feel_builtin_prefix(n->name, n->nlen))
            return fail(p, pos, "unknown function '%s'; did you mean one "
                                "whose name starts with '%s '?",
                        n->name, n->name);
        return fail(p, pos, "unknown function '%s'", n->name);
    }
    return n;
}

/* ---- primaries ------------------------------------------------------- */

/* A range's upper end: a value, not followed by a filter, so that the
 * '[' of "[1..10[" closes the range. */
static node *range_end(parser *p)
{
    int nf = p->nofilter;
    p->nofilter = 1;
    node *x = parse_add(p);
    p->nofilter = nf;
    return x;
}

/* After "lo ..": the upper end and the closing bracket. */
static node *range_rest(parser *p, const node *lo, int lo_closed, size_t pos)
{
    if (lex(p)) /* '..' */
        return NULL;
    node *hi = range_end(p);
    if (!hi)
        return NULL;
    int closed;
    if (at(p, T_RB))
        closed = 1;
    else if (at(p, T_RP) || at(p, T_LB))
        closed = 0;
    else
        return expected(p, "']', ')' or '[' to close the range");
    node *n = mk(p, N_RANGE, pos);
    if (!n || lex(p))
        return NULL;
    n->kid = lo;
    n->kid2 = hi;
    n->lo_closed = (uint8_t)lo_closed;
    n->hi_closed = (uint8_t)closed;
    return n;
}

static node *list_or_range(parser *p)
{
    size_t pos = p->tok.pos;
    if (lex(p))
        return NULL;
    node *n;
    if (at(p, T_RB)) {
        if (!(n = mk(p, N_LIST, pos)) || lex(p))
            return NULL;
        return n;
    }
    node *first = parse_expr(p);
    if (!first)
        return NULL;
    if (at(p, T_DOTDOT))
        return range_rest(p, first, 1, pos);
    vec a = { 0 };
    if (push(p, &a, first, NULL, 0))
        return NULL;
    while (at(p, T_COMMA)) {
        if (lex(p))
            return NULL;
        const node *x = parse_expr(p);
        if (!x || push(p, &a, x, NULL, 0))
            return NULL;
    }
    if (expect(p, T_RB, "',' or ']' in a list"))
        return NULL;
    if (!(n = mk(p, N_LIST, pos)))
        return NULL;
    take(n, &a, 0);
    return n;
}

/* A context key: a string, or the text up to the ':' with its spaces
 * kept as written (feel-scala takes "foo+bar" and "a  b" as keys). */
static int context_key(parser *p, const char **key, size_t *len)
{
    if (at(p, T_STR)) {
        *key = p->tok.s;
        *len = p->tok.n;
        return lex(p);
    }
    size_t start = p->tok.pos, end = start;
    while (end < p->len && p->text[end] != ':' && p->text[end] != '"' &&
           p->text[end] != ',' && p->text[end] != '{' && p->text[end] != '}')
        end++;
    while (end > start && (p->text[end - 1] == ' ' || p->text[end - 1] == '\t' ||
                           p->text[end - 1] == '\n' || p->text[end - 1] == '\r'))
        end--;
    if (end == start || end >= p->len || !is_word(p)) {
        expected(p, "a name or a string as a context key");
        return -1;
    }
    if (!bt_feel_utf8_valid(p->text + start, end - start)) {
        fail(p, start, "invalid UTF-8 in a context key");
        return -1;
    }
    if (!(*key = bt_arena_strndup(p->ar, p->text + start, end - start)))
        return nomem(p), -1;
    *len = end - start;
    p->pos = end;
    return lex(p);
}

static node *context(parser *p)
{
    size_t pos = p->tok.pos, nb = p->nbound;
    if (lex(p))
        return NULL;
    vec a = { 0 };
    while (!at(p, T_RC)) {
        if (a.n && expect(p, T_COMMA, "',' or '}' in a context"))
            return NULL;
        size_t kpos = p->tok.pos;
        const char *key;
        size_t len;
        if (context_key(p, &key, &len) ||
            expect(p, T_COLON, "':' after a context key"))
            return NULL;
        for (size_t i = 0; i < a.n; i++)
            if (a.lens[i] == len && !memcmp(a.names[i], key, len))
                return fail(p, kpos, "duplicate context key '%s'", key);
        const node *x = parse_expr(p);
        /* later entries see the earlier ones */
        if (!x || push(p, &a, x, key, len) || bind(p, key, len))
            return NULL;
    }
    p->nbound = nb;
    node *n = mk(p, N_CONTEXT, pos);
    if (!n || lex(p))
        return NULL;
    take(n, &a, 1);
    return n;
}

static node *parens(parser *p)
{
    size_t pos = p->tok.pos;
    if (lex(p))
        return NULL;
    node *x = parse_expr(p);
    if (!x)
        return NULL;
    if (at(p, T_DOTDOT))
        return range_rest(p, x, 0, pos);
    return expect(p, T_RP, "')'") ? NULL : x;
}

static node *parse_primary(parser *p)
{
    size_t pos = p->tok.pos;
    fv *v = NULL;
    node *n;
    int nf = p->nofilter;
    switch (p->tok.kind) {
    case T_NUM:
        if (!(n = lit(p, pos, &v)))
            return NULL;
        v->kind = FV_NUM;
        v->u.num = p->tok.num;
        return lex(p) ? NULL : n;
    case T_STR:
        if (!(n = lit(p, pos, &v)))
            return NULL;
        v->kind = FV_STR;
        v->u.str.s = p->tok.s;
        v->u.str.n = p->tok.n;
        return lex(p) ? NULL : n;
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        if (!(n = lit(p, pos, &v)))
            return NULL;
        v->kind = at(p, T_NULL) ? FV_NULL : FV_BOOL;
        v->u.b = at(p, T_TRUE);
        return lex(p) ? NULL : n;
    case T_AT:
        return temporal_lit(p);
    case T_QUESTION: /* the value a unary test tests */
        if (!(n = mk(p, N_NAME, pos)))
            return NULL;
        n->name = "?";
        n->nlen = 1;
        p->qmarks++;
        return lex(p) ? NULL : n;
    case T_NAME:
        return name_or_call(p);
    case T_LP:
    case T_LB:
    case T_LC:
        p->nofilter = 0;
        n = at(p, T_LP) ? parens(p) : at(p, T_LB) ? list_or_range(p)
                                                  : context(p);
        p->nofilter = nf;
        return n;
    case T_RB: { /* ]lo..hi */
        if (lex(p))
            return NULL;
        node *lo = range_end(p);
        if (!lo)
            return NULL;
        if (!at(p, T_DOTDOT))
            return expected(p, "'..' in a range");
        return range_rest(p, lo, 0, pos);
    }
    case T_IF:
    case T_FOR:
    case T_SOME:
    case T_EVERY:
    case T_FUNCTION:
        return parse_expr(p);
    }
    if (is_word(p)) /* a keyword where a name was expected */
        return fail(p, pos, "'%s' is a FEEL keyword; write `%s` to use it "
                            "as a name", p->tok.s, p->tok.s);
    return expected(p, "an operand");
}

static node *parse_postfix(parser *p)
{
    node *n = parse_primary(p);
    while (n) {
        size_t pos = p->tok.pos;
        if (at(p, T_DOT)) {
            if (lex(p))
                return NULL;
            if (!is_word(p))
                return expected(p, "a name after '.'");
            node *m = mk(p, N_MEMBER, pos);
            if (!m)
                return NULL;
            m->kid = n;
            m->name = p->tok.s;
            m->nlen = p->tok.n;
            if (lex(p))
                return NULL;
            /* the one property of two words */
            if (m->nlen == 4 && !memcmp(m->name, "time", 4) &&
                is_word(p) && p->tok.n == 6 &&
                !memcmp(p->tok.s, "offset", 6)) {
                m->name = "time offset";
                m->nlen = 11;
                if (lex(p))
                    return NULL;
            }
            n = m;
        } else if (at(p, T_LB) && !p->nofilter) {
            if (lex(p))
                return NULL;
            node *f = mk(p, N_FILTER, pos);
            size_t nb = p->nbound;
            if (!f || bind(p, "item", 4))
                return NULL;
            f->kid = n;
            f->kid2 = parse_expr(p);
            p->nbound = nb;
            if (!f->kid2 || expect(p, T_RB, "']' after a filter"))
                return NULL;
            n = f;
        } else if (at(p, T_LP)) {
            n = call_value(p, n, pos);
        } else {
            break;
        }
        if (n && tall(p, n, pos))
            return NULL;
    }
    return n;
}

static node *parse_unary(parser *p)
{
    if (!at(p, T_MINUS))
        return parse_postfix(p);
    size_t pos = p->tok.pos;
    if (enter(p) || lex(p))
        return NULL;
    node *kid = parse_unary(p);
    p->depth--;
    if (!kid)
        return NULL;
    if (kid->kind == N_LIT && kid->lit->kind == FV_NUM) {
        fv *v = (fv *)kid->lit; /* fold: the literal is ours alone */
        bt_dec_neg(&v->u.num, &v->u.num);
        return kid;
    }
    node *n = mk(p, N_NEG, pos);
    if (n)
        n->kid = kid;
    return n;
}

static const int ops_pow[] = { T_POW, 0 };
static const int ops_mul[] = { T_STAR, T_SLASH, 0 };
static const int ops_add[] = { T_PLUS, T_MINUS, 0 };
static node *parse_pow(parser *p) { return binary(p, parse_unary, ops_pow, N_ARITH); }
static node *parse_mul(parser *p) { return binary(p, parse_pow, ops_mul, N_ARITH); }
static node *parse_add(parser *p) { return binary(p, parse_mul, ops_add, N_ARITH); }

/* ---- comparison, in, between, instance of ---------------------------- */

static int is_cmp_op(int k)
{
    return k == T_EQ || k == T_NE || k == T_LT || k == T_LE || k == T_GT ||
           k == T_GE;
}

static node *parse_cmp(parser *p);

/* One positive unary test: "< 5", "[1..10]", "5", "[1, 2]", or an
 * expression over `?` ("? > 3"). In a parenthesised list a test may be a
 * comparison itself. */
static node *parse_test(parser *p, int in_list)
{
    size_t q = p->qmarks, pos = p->tok.pos;
    if (!is_cmp_op(p->tok.kind) && (at(p, T_QUESTION) || in_list)) {
        node *x = in_list ? parse_cmp(p) : parse_add(p);
        if (!x || p->qmarks == q)
            return x;
        node *n = mk(p, N_UTEST, pos);
        if (!n)
            return NULL;
        n->op = T_QUESTION;
        n->kid = x;
        return n;
    }
    if (is_cmp_op(p->tok.kind)) {
        node *n = mk(p, N_UTEST, p->tok.pos);
        if (!n)
            return NULL;
        n->op = (uint8_t)p->tok.kind;
        if (lex(p) || !(n->kid = parse_add(p)))
            return NULL;
        return n;
    }
    return parse_add(p);
}

static node *parse_tests(parser *p, size_t pos, int kind)
{
    vec a = { 0 };
    node *n = mk(p, kind, pos);
    if (!n)
        return NULL;
    if (kind == N_NOTTESTS && !at(p, T_LP))
        return expected(p, "'(' after 'not'");
    if (at(p, T_LP)) {
        if (lex(p))
            return NULL;
        node *first = parse_test(p, 1);
        if (!first)
            return NULL;
        if (first->kind != N_UTEST && at(p, T_DOTDOT)) { /* (lo..hi) */
            node *r = range_rest(p, first, 0, pos);
            if (!r || push(p, &a, r, NULL, 0))
                return NULL;
            take(n, &a, 0);
            return n;
        }
        if (push(p, &a, first, NULL, 0))
            return NULL;
        while (at(p, T_COMMA)) {
            if (lex(p))
                return NULL;
            const node *x = parse_test(p, 1);
            if (!x || push(p, &a, x, NULL, 0))
                return NULL;
        }
        if (expect(p, T_RP, "',' or ')' in a list of tests"))
            return NULL;
    } else {
        const node *x = parse_test(p, 0);
        if (!x || push(p, &a, x, NULL, 0))
            return NULL;
    }
    take(n, &a, 0);
    return n;
}

static node *parse_in(parser *p, node *x, size_t pos)
{
    if (lex(p))
        return NULL;
    node *t;
    if (at(p, T_NAME) && p->tok.n == 3 && !memcmp(p->tok.s, "not", 3)) {
        size_t npos = p->tok.pos;
        if (lex(p))
            return NULL;
        node *inner = parse_tests(p, npos, N_NOTTESTS);
        if (!inner || !(t = mk(p, N_TESTS, pos)))
            return NULL;
        const node **one = bt_arena_alloc(p->ar, sizeof *one);
        if (!one)
            return nomem(p);
        one[0] = inner;
        t->args = one;
        t->n = 1;
    } else if (!(t = parse_tests(p, pos, N_TESTS))) {
        return NULL;
    }
    t->kid = x;
    return t;
}

static const struct { const char *name; int kind; } type_names[] = {
    {"number", FV_NUM}, {"string", FV_STR}, {"boolean", FV_BOOL},
    {"date", FV_DATE}, {"time", FV_TIME}, {"date and time", FV_DT},
    {"days and time duration", FV_DTDUR},
    {"years and months duration", FV_YMDUR},
    {"list", FV_LIST}, {"context", FV_CTX}, {"range", FV_RANGE},
    {"function", FV_FUNC}, {"Any", -1}, {"Null", -2}, {NULL, 0}};

static const ftype *parse_type(parser *p)
{
    size_t pos = p->tok.pos;
    char buf[64];
    size_t n = 0;
    int kind = 0, found = 0;
    mark best = save(p);
    while (is_word(p) && n + p->tok.n + 1 < sizeof buf) {
        if (n)
            buf[n++] = ' ';
        memcpy(buf + n, p->tok.s, p->tok.n);
        n += p->tok.n;
        if (lex(p))
            return NULL;
        for (int i = 0; type_names[i].name; i++)
            if (strlen(type_names[i].name) == n &&
                !memcmp(type_names[i].name, buf, n)) {
                kind = type_names[i].kind;
                found = 1;
                best = save(p);
            }
    }
    restore(p, best);
    if (!found)
        return fail(p, pos, "unknown type after 'instance of'");
    ftype *t = bt_arena_alloc(p->ar, sizeof *t);
    if (!t)
        return nomem(p);
    t->kind = kind;
    if ((kind == FV_LIST || kind == FV_RANGE) && at(p, T_LT)) {
        if (lex(p) || !(t->item = parse_type(p)) ||
            expect(p, T_GT, "'>' after the item type"))
            return NULL;
    } else if ((kind == FV_CTX || kind == FV_FUNC) && at(p, T_LT)) {
        return fail(p, p->tok.pos, "typed contexts and functions in "
                                   "'instance of' are not supported");
    }
    return t;
}

static node *parse_cmp(parser *p)
{
    node *n = parse_add(p);
    while (n) {
        size_t pos = p->tok.pos;
        node *b;
        if (is_cmp_op(p->tok.kind)) {
            if (!(b = mk(p, N_CMP, pos)))
                return NULL;
            b->op = (uint8_t)p->tok.kind;
            b->kid = n;
            if (lex(p) || !(b->kid2 = parse_add(p)))
                return NULL;
        } else if (at(p, T_BETWEEN)) {
            if (!(b = mk(p, N_BETWEEN, pos)) || lex(p))
                return NULL;
            b->kid = n;
            if (!(b->kid2 = parse_add(p)) ||
                expect(p, T_AND, "'and' in 'between ... and ...'") ||
                !(b->kid3 = parse_add(p)))
                return NULL;
        } else if (at(p, T_IN)) {
            if (!(b = parse_in(p, n, pos)))
                return NULL;
        } else if (at(p, T_INSTANCE)) {
            if (!(b = mk(p, N_INSTANCE, pos)) || lex(p) ||
                expect(p, T_OF, "'of' after 'instance'"))
                return NULL;
            b->kid = n;
            if (!(b->type = parse_type(p)))
                return NULL;
        } else {
            break;
        }
        n = b;
        if (tall(p, n, pos))
            return NULL;
        if (is_cmp_op(p->tok.kind) || at(p, T_BETWEEN) || at(p, T_IN) ||
            at(p, T_INSTANCE))
            return fail(p, p->tok.pos, "comparisons do not chain in FEEL; "
                                       "join them with 'and'");
    }
    return n;
}

static const int ops_and[] = { T_AND, 0 };
static const int ops_or[] = { T_OR, 0 };
static node *parse_and(parser *p) { return binary(p, parse_cmp, ops_and, N_AND); }
static node *parse_or(parser *p) { return binary(p, parse_and, ops_or, N_OR); }

/* ---- the textual forms ----------------------------------------------- */

static node *parse_if(parser *p, size_t pos)
{
    node *n = mk(p, N_IF, pos);
    if (!n || lex(p) || !(n->kid = parse_expr(p)) ||
        expect(p, T_THEN, "'then'") || !(n->kid2 = parse_expr(p)) ||
        expect(p, T_ELSE, "'else'") || !(n->kid3 = parse_expr(p)))
        return NULL;
    return n;
}

/* for/some/every: "name in domain" pairs, bound for what follows. */
static int parse_iters(parser *p, node *n)
{
    iter *its = NULL;
    size_t cap = 0;
    do {
        if (lex(p))
            return -1;
        if (!at(p, T_NAME)) {
            expected(p, "a name to iterate with");
            return -1;
        }
        if (n->n == cap) {
            size_t nc = cap ? cap * 2 : 2;
            iter *g = bt_arena_alloc(p->ar, nc * sizeof *g);
            if (!g)
                return nomem(p), -1;
            if (n->n)
                memcpy(g, its, n->n * sizeof *g);
            its = g, cap = nc;
        }
        iter *it = &its[n->n++];
        it->name = p->tok.s;
        it->nlen = p->tok.n;
        if (lex(p) || expect(p, T_IN, "'in'") || !(it->dom = parse_add(p)))
            return -1;
        if (at(p, T_DOTDOT) && (lex(p) || !(it->dom2 = parse_add(p))))
            return -1;
        if (bind(p, it->name, it->nlen))
            return -1;
    } while (at(p, T_COMMA));
    n->iters = its;
    return 0;
}

static node *parse_loop(parser *p, size_t pos, int kind)
{
    size_t nb = p->nbound;
    node *n = mk(p, kind, pos);
    if (!n || parse_iters(p, n))
        return NULL;
    if (kind == N_FOR) {
        if (expect(p, T_RETURN, "'return'") || bind(p, "partial", 7))
            return NULL;
    } else if (expect(p, T_SATISFIES, "'satisfies'")) {
        return NULL;
    }
    n->kid = parse_expr(p);
    p->nbound = nb;
    return n->kid ? n : NULL;
}

static node *parse_function(parser *p, size_t pos)
{
    size_t nb = p->nbound;
    node *n = mk(p, N_FUNCDEF, pos);
    vec a = { 0 };
    if (!n || lex(p) || expect(p, T_LP, "'(' after 'function'"))
        return NULL;
    while (!at(p, T_RP)) {
        if (a.n && expect(p, T_COMMA, "',' or ')' after a parameter"))
            return NULL;
        if (!at(p, T_NAME))
            return expected(p, "a parameter name");
        size_t ppos = p->tok.pos;
        char buf[128];
        size_t len = 0;
        while (at(p, T_NAME) && len + p->tok.n + 1 < sizeof buf) {
            if (len)
                buf[len++] = ' ';
            memcpy(buf + len, p->tok.s, p->tok.n);
            len += p->tok.n;
            if (lex(p))
                return NULL;
        }
        const char *name = bt_arena_strndup(p->ar, buf, len);
        if (!name)
            return nomem(p);
        for (size_t i = 0; i < a.n; i++)
            if (a.lens[i] == len && !memcmp(a.names[i], name, len))
                return fail(p, ppos, "duplicate parameter '%s'", name);
        if (push(p, &a, NULL, name, len))
            return NULL;
        if (at(p, T_COLON)) /* a type annotation, not checked */
            if (lex(p) || !parse_type(p))
                return NULL;
    }
    if (lex(p))
        return NULL;
    if (at(p, T_EXTERNAL))
        return fail(p, p->tok.pos, "external functions (Java, PMML) are "
                                   "not supported");
    for (size_t i = 0; i < a.n; i++)
        if (bind(p, a.names[i], a.lens[i]))
            return NULL;
    take(n, &a, 1);
    n->kid = parse_expr(p);
    p->nbound = nb;
    return n->kid ? n : NULL;
}

static node *parse_expr(parser *p)
{
    if (enter(p))
        return NULL;
    size_t pos = p->tok.pos;
    node *n;
    switch (p->tok.kind) {
    case T_IF: n = parse_if(p, pos); break;
    case T_FOR: n = parse_loop(p, pos, N_FOR); break;
    case T_SOME: n = parse_loop(p, pos, N_SOME); break;
    case T_EVERY: n = parse_loop(p, pos, N_EVERY); break;
    case T_FUNCTION: n = parse_function(p, pos); break;
    default: n = parse_or(p); break;
    }
    p->depth--;
    return n;
}

const node *bt_feel_parse(parser *p)
{
    size_t i = 0;
    while (i < p->len && (p->text[i] == ' ' || p->text[i] == '\t' ||
                          p->text[i] == '\n' || p->text[i] == '\r'))
        i++;
    if (i + 1 < p->len && (p->text[i] == '$' || p->text[i] == '#') &&
        p->text[i + 1] == '{')
        return fail(p, i, "'%c{...}' is JUEL; FEEL needs no braces",
                    p->text[i]);
    if (lex(p))
        return NULL;
    if (at(p, T_EOF))
        return fail(p, 0, "empty expression");
    node *root = parse_expr(p);
    if (root && !at(p, T_EOF))
        return expected(p, "an operator or end of expression");
    return root;
}
