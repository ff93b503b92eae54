/* What builtins_string.c and builtins_regex.c share: argument checks,
 * the regular expression functions, and (with ICU) UTF-16 conversion. */
#ifndef BT_FEEL_BUILTINS_STR_H
#define BT_FEEL_BUILTINS_STR_H

#include <stddef.h>

#include "feel/builtins.h"

#ifdef BT_HAVE_ICU
#include <unicode/utypes.h>
#endif

/* Argument `i`, or NULL when the call left it out. */
const fv *bt_str_arg(const fv *const *args, size_t n, size_t i);
/* 1 when `v` is of `kind` (FV_STR, FV_NUM or FV_LIST); else 0, after
 * fv_why names function `fn` and parameter `param`. */
int bt_str_want(fv_cx *cx, const char *fn, const char *param, const fv *v,
                int kind);
/* Sets `*out` to null and returns 0. */
int bt_str_null(fv_cx *cx, const fv **out);
/* Sets `*out` to `v`: 0, or BATON_ENOMEM when `v` is NULL. */
int bt_str_done(const fv *v, const fv **out);

/* builtins_regex.c */
int bt_str_replace(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out);
int bt_str_matches(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out);
int bt_str_split(fv_cx *cx, const fv *const *args, size_t n,
                 const fv **out);
int bt_str_extract(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out);

#ifdef BT_HAVE_ICU
/* String `s` as UTF-16 in scratch memory: 0, 1 when it does not fit
 * ICU's lengths (after fv_why), or BATON_ENOMEM. */
int bt_str_to_u16(fv_cx *cx, const char *fn, const fv *s, UChar **out,
                  int32_t *len);
/* A string value of `n` UTF-16 units: 0 or BATON_ENOMEM. */
int bt_str_from_u16(fv_cx *cx, const UChar *s, int32_t n, const fv **out);
/* Null for ICU's failure `st` (BATON_ENOMEM when it ran out of memory). */
int bt_str_icu_fail(fv_cx *cx, const char *fn, UErrorCode st,
                    const fv **out);
#endif

#endif
