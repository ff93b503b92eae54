/* FEEL values during evaluation. Every value lives in the evaluation's
 * scratch memory (fv_cx), is immutable once built, and may be shared
 * freely; all of it goes away when the evaluation ends, so nothing here
 * is reference-counted and no error path frees anything.
 *
 * Variables come in as jansson values and are converted on demand; the
 * result goes out as a jansson value (temporal values as ISO 8601
 * strings, as Zeebe serializes them). */
#ifndef BT_FEEL_VALUE_H
#define BT_FEEL_VALUE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "feel/dec.h"
#include "feel/feel.h"
#include "feel/temporal.h"
#include "util/mem.h"

typedef enum fv_kind {
    FV_NULL, FV_BOOL, FV_NUM, FV_STR, FV_LIST, FV_CTX,
    FV_DATE, FV_TIME, FV_DT, FV_DTDUR, FV_YMDUR,
    FV_RANGE, FV_FUNC
} fv_kind;

typedef struct fv fv;
typedef struct fv_cx fv_cx;
typedef struct fv_entry {
    const char *key; /* NUL-terminated, `klen` bytes */
    size_t klen;
    const fv *val;
} fv_entry;

/* A function value: a builtin, or a FEEL `function(a, b) body` closed over
 * the scope it was made in (opaque here; the evaluator owns it). */
typedef struct bt_feel_builtin bt_feel_builtin;

struct fv {
    uint8_t kind;
    union {
        int b;
        bt_dec num;
        struct { const char *s; size_t n; } str; /* UTF-8, NUL-terminated */
        struct { const fv *const *v; size_t n; } list;
        struct { const fv_entry *e; size_t n; } ctx; /* keys unique */
        bt_fdate date;
        bt_ftime time;
        bt_fdt dt;
        bt_dtdur dtdur;
        int64_t months;
        struct {
            const fv *lo, *hi; /* NULL: unbounded on that side */
            uint8_t lo_closed, hi_closed;
        } range;
        struct {
            const bt_feel_builtin *builtin; /* or NULL for a lambda */
            const void *lambda;             /* evaluator's closure */
            size_t arity;
            const char *const *params;      /* names, `arity` of them */
        } fn;
    } u;
};

/* ---- the evaluation context ---------------------------------------- */

struct fv_cx {
    const bt_alloc *alloc;
    struct fv_chunk *chunks; /* scratch memory, freed by fv_cx_done */
    char *cur, *end;
    char first[1536];        /* the first chunk, on the stack */
    int status;              /* BATON_ENOMEM once an allocation failed */
    int64_t now_ms;          /* the engine's clock, for now()/today() */
    const bt_expr_env *env;
    char why[160];           /* the first reason a value became null */
    size_t work;             /* items made or visited, against MAX_WORK */
    int depth;               /* of the evaluator's recursion */
    int missing;             /* a name or entry was not found */
    struct fv_held *held;    /* JSON values to release at the end */
    struct fv_conv *conv;    /* lists and contexts converted so far */
};

void fv_cx_init(fv_cx *cx, const bt_alloc *a, const bt_expr_env *env);
void fv_cx_done(fv_cx *cx);
/* Zeroed, aligned scratch memory; NULL (and cx->status = BATON_ENOMEM)
 * when out of memory. */
void *fv_alloc(fv_cx *cx, size_t size);
/* Keeps `j` (a reference the caller hands over) until fv_cx_done, for
 * values that borrow from it: 0 or BATON_ENOMEM (then `j` is still the
 * caller's). */
int fv_hold(fv_cx *cx, json_t *j);
/* Records why a value is null (the first reason wins), for incident
 * messages: "no variable 'x'", "can't add a string to a number". */
void fv_why(fv_cx *cx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- constructors: NULL only when out of memory ---------------------- */

const fv *fv_null(void);
const fv *fv_bool(int b);
const fv *fv_num(fv_cx *cx, const bt_dec *d);
const fv *fv_int(fv_cx *cx, int64_t i);
/* Copies `n` bytes (valid UTF-8 is the caller's duty). */
const fv *fv_str(fv_cx *cx, const char *s, size_t n);
/* Takes `s` (fv_alloc'd, NUL-terminated, `n` bytes) without copying. */
const fv *fv_str_take(fv_cx *cx, char *s, size_t n);
/* A list of `n` slots for the caller to fill before sharing it. */
fv *fv_list_new(fv_cx *cx, size_t n, const fv ***slots);
/* A context of `n` entries for the caller to fill (keys unique). */
fv *fv_ctx_new(fv_cx *cx, size_t n, fv_entry **entries);
const fv *fv_date(fv_cx *cx, const bt_fdate *d);
const fv *fv_time(fv_cx *cx, const bt_ftime *t);
const fv *fv_dt(fv_cx *cx, const bt_fdt *dt);
const fv *fv_dtdur(fv_cx *cx, const bt_dtdur *d);
const fv *fv_ymdur(fv_cx *cx, int64_t months);
const fv *fv_range(fv_cx *cx, const fv *lo, int lo_closed, const fv *hi,
                   int hi_closed);

/* ---- queries ---------------------------------------------------------- */

/* The entry named `key` of a context, or NULL. */
const fv *fv_ctx_get(const fv *ctx, const char *key, size_t klen);
/* FEEL equality: 1, 0, or -1 when the kinds differ (FEEL: null). Lists
 * and contexts compare deeply; numbers by value. */
int fv_eq(const fv *a, const fv *b);
/* FEEL ordering of numbers, strings, dates, times, dates and times and
 * durations of one kind: -1, 0, 1, or 2 when not comparable. */
int fv_cmp(const fv *a, const fv *b);
/* "number", "string", "date and time", ... as `instance of` names them */
const char *fv_type_name(const fv *v);
/* 1 when `x` is in range `r` (null range bounds: unbounded), 0 when not,
 * -1 when not comparable. */
int fv_in_range(const fv *r, const fv *x);

/* ---- conversion -------------------------------------------------------- */

/* A variable's value. Integers stay exact, reals become their shortest
 * decimal. NULL only when out of memory. */
const fv *fv_from_json(fv_cx *cx, json_t *j);
/* The result for the engine: 0 or BATON_ENOMEM. Numbers become JSON
 * integers when integral and within int64, else reals; temporal values
 * ISO 8601 strings; ranges and functions null. */
int fv_to_json(fv_cx *cx, const fv *v, json_t **out);
/* FEEL's string(v): NULL when out of memory. */
const fv *fv_to_string(fv_cx *cx, const fv *v);

/* ---- calling functions ------------------------------------------------ */

/* Invokes function value `f` with `n` positional arguments (as sort()'s
 * precedes function or a context's function entry needs). 0 with the
 * result in `*out` (null when the call does not fit), or BATON_ENOMEM. */
int fv_apply(fv_cx *cx, const fv *f, const fv *const *args, size_t n,
             const fv **out);

#endif
