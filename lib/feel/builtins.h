/* FEEL's built-in functions (DMN 1.4 §10.3.4 and feel-scala's extensions
 * for Zeebe), as tables the parser and evaluator look names up in.
 *
 * A builtin receives its arguments in declared parameter order, one slot
 * per parameter: a required one is never NULL; an optional one that the
 * call left out is NULL (which differs from a null value). A variadic
 * builtin (min, max, sum, concatenate, ...) receives its positional
 * arguments as given, `n` of them; a call with the parameter's name
 * (max(list: [1, 2])) gives it one argument.
 *
 * A builtin returns 0 with `*out` set (fv_null() when the arguments do not
 * fit, after fv_why() says why), or BATON_ENOMEM. It never keeps `args`. */
#ifndef BT_FEEL_BUILTINS_H
#define BT_FEEL_BUILTINS_H

#include <stddef.h>

#include "feel/value.h"

typedef int (*bt_feel_fn)(fv_cx *cx, const fv *const *args, size_t n,
                          const fv **out);

struct bt_feel_builtin {
    const char *name;   /* as FEEL writes it: "string length" */
    /* Parameter names, in order, as named arguments give them; at most
     * BT_FEEL_MAX_PARAMS. */
    const char *params[6];
    unsigned char required; /* the first `required` must be given */
    unsigned char variadic; /* see above */
    bt_feel_fn fn;
};
#define BT_FEEL_MAX_PARAMS 6

/* The tables, each ended by an entry with a NULL name. One name may have
 * several entries (overloads by parameters: date(from) and
 * date(year, month, day)). */
extern const bt_feel_builtin bt_feel_lib_num[];    /* builtins_num.c */
extern const bt_feel_builtin bt_feel_lib_time[];   /* builtins_time.c */
extern const bt_feel_builtin bt_feel_lib_string[]; /* builtins_string.c */
extern const bt_feel_builtin bt_feel_lib_list[];   /* builtins_list.c */
extern const bt_feel_builtin bt_feel_lib_misc[];   /* builtins_misc.c:
                                                      boolean, context,
                                                      range, conversion */

/* The first entry named `name` (`n` bytes), or NULL. Entries of one name
 * are adjacent in their table; the next overload is the entry after,
 * while its name is the same. */
const bt_feel_builtin *bt_feel_builtin_find(const char *name, size_t n);
/* 1 when some builtin's name starts with the words `name` (`n` bytes)
 * followed by a space: the parser joins "string" "length" that way. */
int bt_feel_builtin_prefix(const char *name, size_t n);

/* Helpers the tables share. */
/* The items of a list argument, or of the variadic arguments. Sets
 * `*items`/`*count`; returns 0, or 1 when `args` are not a list (after
 * fv_why). */
int bt_feel_items(fv_cx *cx, const fv *const *args, size_t n,
                  const fv *const **items, size_t *count);

#endif
