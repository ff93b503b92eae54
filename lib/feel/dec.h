/* FEEL numbers: decimal floating point with the semantics of IEEE 754
 * decimal128 as feel-scala uses it (java.math.MathContext.DECIMAL128):
 * 34 significant digits, rounding half even, so 0.1 + 0.2 = 0.3 and
 * 12300 = 1.23e4 exactly. The big-integer arithmetic under the rounding
 * is GMP's low-level mpn layer on fixed buffers, so nothing here
 * allocates and nothing can run out of memory.
 *
 * A value is (-1)^neg * coef * 10^exp with coef < 10^34. Values are not
 * normalised: 1.0 and 1 differ in representation and compare equal.
 * Small integers (exp 0, coef < 2^62) take a fast path in +, -, *, and
 * comparison, since conditions on the hot path mostly compare them. */
#ifndef BT_FEEL_DEC_H
#define BT_FEEL_DEC_H

#include <stddef.h>
#include <stdint.h>

#define BT_DEC_DIGITS 34
/* decimal128's exponent range for the adjusted exponent; beyond it a
 * result overflows (FEEL: null). Results too small round to zero. */
#define BT_DEC_EMAX 6144
#define BT_DEC_EMIN (-6143)
/* Enough for bt_dec_format of any value, with its NUL. */
#define BT_DEC_BUFSZ 6200

typedef struct bt_dec {
    uint64_t lo, hi; /* coefficient, lo + hi * 2^64, < 10^34 */
    int32_t exp;
    uint8_t neg; /* never set on a zero coefficient */
} bt_dec;

/* Results: 0, or one of these (the result is then left unspecified). */
enum {
    BT_DEC_OVERFLOW = 1, /* beyond decimal128's range */
    BT_DEC_UNDEFINED = 2 /* division by zero, sqrt/log of a negative... */
};

void bt_dec_from_int(bt_dec *r, int64_t i);
/* The shortest decimal that round-trips to `d` (as JSON numbers print),
 * so 0.1 becomes exactly 0.1. BT_DEC_UNDEFINED for NaN and infinities. */
int bt_dec_from_double(bt_dec *r, double d);
/* A FEEL number literal or a number() argument: optional sign, digits
 * with an optional fraction (".5" and "5." are accepted), optional
 * exponent e/E[+-]digits. Rounded to 34 digits. Returns 0,
 * BT_DEC_UNDEFINED for malformed text, BT_DEC_OVERFLOW. Exact for any
 * length of digits (no double in between). */
int bt_dec_parse(bt_dec *r, const char *s, size_t n);

/* 1 with `*out` set when `a` is an integer within int64; else 0. */
int bt_dec_to_int(const bt_dec *a, int64_t *out);
/* The nearest double (for JSON output of non-integers). */
double bt_dec_to_double(const bt_dec *a);
/* Plain notation, no exponent, trailing fraction zeros removed, as FEEL's
 * string() prints numbers: "1", "-0.5", "12300", "0.3333...". Writes a
 * NUL-terminated text to `buf` (BT_DEC_BUFSZ bytes) and returns its
 * length. */
size_t bt_dec_format(const bt_dec *a, char *buf);

int bt_dec_is_zero(const bt_dec *a);
int bt_dec_is_int(const bt_dec *a);
int bt_dec_sign(const bt_dec *a); /* -1, 0, 1 */
/* -1, 0, 1 by value (1.0 equals 1). */
int bt_dec_cmp(const bt_dec *a, const bt_dec *b);

int bt_dec_add(bt_dec *r, const bt_dec *a, const bt_dec *b);
int bt_dec_sub(bt_dec *r, const bt_dec *a, const bt_dec *b);
int bt_dec_mul(bt_dec *r, const bt_dec *a, const bt_dec *b);
int bt_dec_div(bt_dec *r, const bt_dec *a, const bt_dec *b);
void bt_dec_neg(bt_dec *r, const bt_dec *a);
void bt_dec_abs(bt_dec *r, const bt_dec *a);
/* FEEL's modulo(a, b): a - b * floor(a / b) (the sign of b). */
int bt_dec_mod(bt_dec *r, const bt_dec *a, const bt_dec *b);
/* a ** b: exact (rounded to 34 digits) for an integer b within
 * +-999999999; otherwise through double, as feel-scala does; undefined
 * for 0 ** negative. */
int bt_dec_pow(bt_dec *r, const bt_dec *a, const bt_dec *b);
/* Square root to 34 digits; undefined below zero. */
int bt_dec_sqrt(bt_dec *r, const bt_dec *a);
/* Natural log and e ** a through double (feel-scala does the same);
 * log is undefined for a <= 0. */
int bt_dec_ln(bt_dec *r, const bt_dec *a);
int bt_dec_exp(bt_dec *r, const bt_dec *a);

enum bt_dec_round_mode {
    BT_ROUND_HALF_EVEN, BT_ROUND_HALF_UP, BT_ROUND_HALF_DOWN,
    BT_ROUND_UP,       /* away from zero */
    BT_ROUND_DOWN,     /* toward zero */
    BT_ROUND_CEILING, BT_ROUND_FLOOR
};
/* Rounds to `scale` digits after the point (negative: before it), the
 * result keeping that scale as its exponent when it fits 34 digits
 * (decimal(1/3, 2) is 0.33; round up(5.5, 0) is 6). */
int bt_dec_round(bt_dec *r, const bt_dec *a, int64_t scale, int mode);

#endif
