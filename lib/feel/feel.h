/* Expressions: a FEEL subset (Zeebe's `=` expressions) and the part of
 * Camunda 7's JUEL (`${...}`) that shares its meaning, compiled once when
 * a model loads into an immutable tree that lives in the model's arena,
 * and evaluated over jansson values.
 *
 * Supported: names and dotted paths (a.b.c), string/number/boolean/null
 * literals, = != < <= > >=, and, or, not(x), parentheses, unary minus,
 * + - * / (numbers; + also joins strings). JUEL adds == != && || ! and the
 * word operators eq ne lt gt le ge and or not.
 *
 * Semantics follow FEEL: a missing variable or path is null; comparing
 * values of different kinds gives null; `and`/`or` are three-valued;
 * not(non-boolean) is null; arithmetic on a non-number is null. */
#ifndef BT_FEEL_H
#define BT_FEEL_H

#include <jansson.h>
#include <stddef.h>

#include "util/arena.h"

typedef struct bt_expr bt_expr;

enum bt_expr_dialect {
    BT_EXPR_FEEL = 0, /* text without the leading '=' */
    BT_EXPR_JUEL = 1  /* text with its ${ } or #{ } */
};

typedef struct bt_expr_error {
    int column;        /* 1-based column within the expression text */
    char message[160]; /* NUL-terminated, no trailing newline */
} bt_expr_error;

/* Compiles `text` (`len` bytes, need not be NUL-terminated). Returns 0,
 * BATON_ENOMEM, or BATON_EEXPR with `err` filled in. The tree and every
 * string it needs are taken from `ar`. */
int bt_expr_compile(bt_arena *ar, const char *text, size_t len, int dialect,
                    bt_expr **out, bt_expr_error *err);

/* An expression that always yields the string `text` (a static attribute
 * value such as a Zeebe input source without '='). */
int bt_expr_literal_string(bt_arena *ar, const char *text, size_t len,
                           bt_expr **out);

/* Name lookup for evaluation: returns a borrowed value, or NULL when the
 * name is not defined. */
typedef json_t *(*bt_lookup_fn)(void *ctx, const char *name, size_t len);

/* Evaluates `e`. On success returns 0 and a new reference in `*out`
 * (json_null() for null). Returns BATON_ENOMEM when an allocation fails
 * (nothing is leaked). Evaluation itself never fails otherwise: FEEL turns
 * type errors into null. */
int bt_expr_eval(const bt_expr *e, bt_lookup_fn lookup, void *ctx,
                 json_t **out);

/* The source text the expression was compiled from (for messages). */
const char *bt_expr_text(const bt_expr *e);

/* If `e` is a plain name or path (a, a.b.c), returns 1; else 0. */
int bt_expr_is_path(const bt_expr *e);

#endif
