/* Expressions: FEEL as Zeebe evaluates it (DMN 1.4 chapter 10, with
 * feel-scala's extensions; Zeebe's `=` expressions without the '=') and
 * the part of Camunda 7's JUEL (`${...}`) that its models use, compiled
 * once when a model loads into an immutable tree in the model's arena,
 * and evaluated over jansson values. docs/feel.md lists what is
 * supported, with examples, and where Baton differs from the spec.
 *
 * Semantics follow FEEL: a missing variable or path is null; comparing
 * values of different kinds gives null; `and`/`or` are three-valued;
 * anything that does not fit its operands gives null, and the
 * evaluation says why. Numbers are decimals of 34 digits (dec.h);
 * temporal values leave as ISO 8601 strings (temporal.h). */
#ifndef BT_FEEL_H
#define BT_FEEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

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

/* A JUEL call the expression cannot answer itself (a bean's method, a
 * function): `target` is the bean or function name, `method` the method
 * (NULL for a function call), `args` a JSON array. The host sets `*out`
 * to a new reference and returns 0, or returns nonzero to refuse, with
 * a reason in `why` (`whylen` bytes) for the incident. */
typedef int (*bt_juel_call_fn)(void *ud, const char *target,
                               const char *method, json_t *args,
                               json_t **out, char *why, size_t whylen);

typedef struct bt_expr_env {
    const struct bt_alloc *alloc; /* scratch memory of the evaluation */
    bt_lookup_fn lookup;
    void *ctx;
    int64_t now_ms;        /* the host's clock: FEEL's now() and today() */
    bt_juel_call_fn call;  /* NULL: every such call is refused */
    void *call_ud;
    char *why;             /* when not NULL, receives why the result is
                              null (or ""), `whylen` bytes */
    size_t whylen;
} bt_expr_env;

/* Evaluates `e`. On success returns 0 and a new reference in `*out`
 * (json_null() for null). Returns BATON_ENOMEM when an allocation fails
 * (nothing is leaked). Evaluation itself never fails otherwise: FEEL turns
 * type errors into null, and `why` says why. */
int bt_expr_eval(const bt_expr *e, const bt_expr_env *env, json_t **out);

/* 1 when evaluating `e` may read the clock (now(), today()). */
int bt_expr_uses_clock(const bt_expr *e);

/* The source text the expression was compiled from (for messages). */
const char *bt_expr_text(const bt_expr *e);

/* If `e` is a plain name or path (a, a.b.c), returns 1; else 0. */
int bt_expr_is_path(const bt_expr *e);

#endif
