/* The compiled form of an expression, shared by the lexer (lex.c), the
 * parser (parse.c) and the evaluator (eval.c). Nothing here is
 * exported. */
#ifndef BT_FEEL_TREE_H
#define BT_FEEL_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "baton.h"
#include "feel/builtins.h"
#include "feel/dec.h"
#include "feel/feel.h"
#include "feel/value.h"
#include "util/arena.h"

/* Hostile input must not exhaust the stack: the parser's nesting and the
 * evaluator's recursion (user functions may recurse) are capped, and so
 * is the work one evaluation may do (items made or visited). */
#define MAX_DEPTH 64
#define MAX_HEIGHT 128
/* The evaluator's recursion in all: nesting times chains, calls. */
#define MAX_EVAL_RECURSION 600
#define MAX_TEXT 65536u
#define MAX_WORK 1000000

typedef struct node node;

enum {
    N_LIT,      /* a constant value (lit) */
    N_NAME,     /* a variable or a name bound in scope (name) */
    N_MEMBER,   /* a.name (kid, name) */
    N_FILTER,   /* a[cond] (kid, kid2) */
    N_CALL,     /* callee(args) (kid, args, argnames; builtin when resolved) */
    N_NEG,      /* -a */
    N_NOT,      /* JUEL's !a */
    N_AND, N_OR,
    N_CMP,      /* kid op kid2 (op: T_EQ...) */
    N_ARITH,    /* kid op kid2 (op: T_PLUS, T_MINUS, T_STAR, T_SLASH,
                   T_POW, T_MOD (JUEL)) */
    N_IF,       /* if kid then kid2 else kid3 */
    N_FOR,      /* for name in dom... return kid (iters) */
    N_SOME, N_EVERY,
    N_LIST,     /* [args...] */
    N_CONTEXT,  /* {argnames[i]: args[i]...} */
    N_RANGE,    /* kid..kid2 with open/closed ends; NULL kid: unbounded */
    N_UTEST,    /* unary test "op kid" against the tested value */
    N_TESTS,    /* x in (tests...): kid tested against args (any) */
    N_NOTTESTS, /* not(tests...) as a unary test */
    N_BETWEEN,  /* kid between kid2 and kid3 */
    N_INSTANCE, /* kid instance of type */
    N_FUNCDEF,  /* function(argnames...) kid */
    N_ISDEF,    /* is defined(kid) */
    N_EMPTY,    /* JUEL's empty kid */
    N_TERNARY,  /* JUEL's kid ? kid2 : kid3 */
    N_JCALL,    /* JUEL's target.method(args) or fn(args), answered by
                   execution.getVariable or the host's hook */
    N_JINDEX    /* JUEL's a[b] */
};

typedef struct iter {
    const char *name;
    size_t nlen;
    const node *dom;  /* a list, or with dom2 the range dom..dom2 */
    const node *dom2;
} iter;

/* An `instance of` type: a name, with the item type of list<T>. */
typedef struct ftype {
    int kind;           /* FV_* or -1 for Any, -2 for Null */
    const struct ftype *item; /* list<T>, range<T> */
} ftype;

struct node {
    uint8_t kind;
    uint8_t op;
    uint8_t lo_closed, hi_closed;
    uint16_t height;            /* of chains, see parse.c's tall() */
    uint32_t pos;               /* byte offset in the text, for messages */
    const node *kid, *kid2, *kid3;
    const node *const *args;
    const char *const *argnames; /* named arguments, context keys, params */
    const size_t *arglens;
    size_t n;
    const char *name;            /* NUL-terminated */
    size_t nlen;
    const fv *lit;
    double d;                    /* N_LIT number: its double, when dbl_ok */
    uint8_t dbl_ok;              /* 15 digits at most: doubles compare
                                    exactly against it (eval.c) */
    const bt_feel_builtin *builtin; /* N_CALL: first overload, or NULL */
    const iter *iters;
    const ftype *type;
    const char *method;          /* N_JCALL */
};

struct bt_expr {
    const char *text;
    const node *root;
    int uses_clock;
    int is_path;
    int juel;
    int fast; /* comparisons of paths with literals under and/or */
};

/* fast.c: marks the shapes the evaluator can decide on the variables'
 * JSON directly (conditions on the hot path), and decides them: 1, 0,
 * or -2 when the general way must. */
int bt_feel_fast_shape(node *n);
int bt_feel_fast_test(const bt_expr_env *env, const node *n);
/* The variable's JSON that the path `n` (a name and up to
 * BT_FEEL_JSON_PATH members) names, through objects only; NULL when it
 * names none or is no such path. */
#define BT_FEEL_JSON_PATH 32
json_t *bt_feel_json_path(const bt_expr_env *env, const node *n);

/* arith.c: a op b (T_PLUS ... T_POW, T_MOD) into `*out`, 0 or
 * BATON_ENOMEM; comparison a op b (T_EQ ... T_GE): 1, 0, or -1 for
 * null; tri() turns the latter into a value. */
int bt_feel_arith(fv_cx *cx, int op, const fv *a, const fv *b,
                  const fv **out);
int bt_feel_compare(fv_cx *cx, int op, const fv *a, const fv *b);
const fv *bt_feel_tri(int r);

/* What every evaluating file shares: running out of scratch memory, a
 * value made (NULL: out of memory), a null with its reason, and the
 * work budget that ends hostile expressions as null. */
static inline int fv_oom(fv_cx *cx)
{
    cx->status = BATON_ENOMEM;
    return BATON_ENOMEM;
}

static inline int fv_made(fv_cx *cx, const fv *v, const fv **out)
{
    if (!v)
        return fv_oom(cx);
    *out = v;
    return 0;
}

static inline int fv_null_because(fv_cx *cx, const fv **out, const char *fmt,
                                  const char *a, const char *b)
{
    fv_why(cx, fmt, a, b);
    *out = fv_null();
    return 0;
}

static inline int fv_spend(fv_cx *cx, size_t units)
{
    cx->work += units;
    if (cx->work > MAX_WORK) {
        fv_why(cx, "the evaluation does more than %d steps", MAX_WORK);
        return 1;
    }
    return 0;
}

/* Token kinds. */
enum {
    T_EOF, T_NAME, T_STR, T_NUM, T_TRUE, T_FALSE, T_NULL,
    T_LP, T_RP, T_LB, T_RB, T_LC, T_RC, T_DOT, T_DOTDOT, T_COMMA, T_COLON,
    T_AT, T_QUESTION,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_POW, T_MOD,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
    T_AND, T_OR, T_NOT,
    /* FEEL's keywords */
    T_IF, T_THEN, T_ELSE, T_FOR, T_IN, T_RETURN, T_SOME, T_EVERY,
    T_SATISFIES, T_BETWEEN, T_INSTANCE, T_OF, T_FUNCTION, T_EXTERNAL,
    /* JUEL's */
    T_EMPTY, T_DIV, T_END
};

typedef struct token {
    int kind;
    size_t pos, end; /* byte span in the text */
    bt_dec num;
    const char *s;   /* decoded string literal or name, in the arena */
    size_t n;
} token;

typedef struct parser {
    bt_arena *ar;
    const char *text;
    size_t len, pos;
    int juel;
    int depth;
    int status;
    int uses_clock;
    int nofilter; /* '[' after a value ends a range, not a filter */
    size_t qmarks; /* '?' seen, for unary tests over it */
    bt_expr_error *err;
    token tok;
    char desc[48];
    /* names bound around the text being parsed (function parameters,
     * context entries, iteration variables), innermost last */
    const char **bound;
    size_t *boundlen;
    size_t nbound, capbound;
} parser;

/* lex.c */
int bt_feel_lex(parser *p);
void *bt_feel_fail(parser *p, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void *bt_feel_nomem(parser *p);
const char *bt_feel_describe(parser *p);
int bt_feel_at(const parser *p, int kind);
void *bt_feel_expected(parser *p, const char *what);
node *bt_feel_mk(parser *p, int kind, size_t pos);
/* Sets n->height from its kids; fails past MAX_HEIGHT (the evaluator
 * recurses once per level; chains of one operator do not count). */
int bt_feel_tall(parser *p, node *n, size_t pos);
/* One level of left-associative binary operators `ops` (0-ended), each
 * operand parsed by `sub`: both languages' precedence levels. */
typedef node *(*bt_feel_level_fn)(parser *);
node *bt_feel_binary(parser *p, bt_feel_level_fn sub, const int *ops,
                     int kind);
int bt_feel_utf8_valid(const char *s, size_t n);

/* parse.c / juel.c */
const node *bt_feel_parse(parser *p);
const node *bt_juel_parse(parser *p);

#endif
