/* The compiled form of an expression, shared by the compiler (feel.c)
 * and the evaluator (feel_eval.c). Nothing here is exported. */
#ifndef BT_FEEL_TREE_H
#define BT_FEEL_TREE_H

#include <jansson.h>
#include <stddef.h>

#include "feel/feel.h"

/* Deep equality of nested JSON stops here (values may come from a host
 * and be deeper than anything the loader would accept). */
#define MAX_EQ_DEPTH 256

/* ------------------------------------------------------------------ */
/* The tree                                                            */
/* ------------------------------------------------------------------ */

enum {
    N_NULL, N_BOOL, N_INT, N_REAL, N_STR,
    N_PATH,  /* base (or a looked-up name) followed by members */
    N_NEG, N_NOT,
    N_AND, N_OR,  /* n-ary, three-valued */
    N_CHAIN       /* operators applied left to right */
};

typedef struct seg {
    const char *s; /* NUL-terminated, for json_object_get */
    size_t n;
} seg;

typedef struct node node;
typedef struct item {
    node *kid;
    int op; /* the operator before kid; unused for the first */
} item;

struct node {
    int kind;
    int height; /* of the subtree, leaves are 1 */
    size_t n;   /* kids or segments */
    size_t cap; /* while parsing */
    union {
        int b;
        json_int_t i;
        double d;
        struct { const char *s; size_t n; } str;
        struct { node *base; seg *segs; } path; /* base NULL: segs[0] is a variable */
        node *kid;
        item *list;
    } u;
};

struct bt_expr {
    const char *text;
    const node *root;
};

/* Token kinds; the operators among them also tag the operands of a
 * chain node. */
enum {
    T_EOF, T_NAME, T_STR, T_INT, T_REAL, T_TRUE, T_FALSE, T_NULL,
    T_LP, T_RP, T_DOT, T_COMMA,
    T_PLUS, T_MINUS, T_STAR, T_SLASH,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
    T_AND, T_OR, T_NOT, /* T_NOT: JUEL's ! and not */
    T_END               /* JUEL's closing } */
};

#endif
