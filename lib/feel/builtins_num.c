/* FEEL's numeric functions (DMN 1.4 §10.3.4.5, with feel-scala's round
 * up/down/half up/half down, random number() and abs() of durations)
 * and the conversion number() (§10.3.4.1), over the decimals of dec.h.
 * Arguments of the wrong kind give null with the reason. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "baton.h"
#include "feel/builtins.h"

static int put_null(const fv **out)
{
    *out = fv_null();
    return 0;
}

static int put_num(fv_cx *cx, const bt_dec *d, const fv **out)
{
    *out = fv_num(cx, d);
    return *out ? 0 : BATON_ENOMEM;
}

/* "a string", or "null" */
static const char *article(const fv *v)
{
    return v->kind == FV_NULL ? "" : "a ";
}

/* The number in `v`, or NULL after saying why. */
static const bt_dec *num_arg(fv_cx *cx, const char *fn, const char *param,
                             const fv *v)
{
    if (v->kind == FV_NUM)
        return &v->u.num;
    fv_why(cx, "%s() needs a number as %s, not %s%s", fn, param,
           article(v), fv_type_name(v));
    return NULL;
}

/* A dec.h result: the number, or null saying why. */
static int dec_out(fv_cx *cx, const char *fn, int rc, const bt_dec *r,
                   const char *undefined, const fv **out)
{
    if (rc == 0)
        return put_num(cx, r, out);
    if (rc == BT_DEC_OVERFLOW)
        fv_why(cx, "%s() overflows the range of numbers", fn);
    else
        fv_why(cx, "%s() %s", fn, undefined);
    return put_null(out);
}

/* ---- rounding -------------------------------------------------------- */

/* The scale: truncated to an integer, as feel-scala's scale.intValue.
 * DMN 1.4 names the range -6111..6176 but says nothing of scales beyond
 * it; feel-scala takes any, and so does this (a number beyond int64 is
 * refused rather than wrapped around). 1, or 0 after saying why. */
static int scale_arg(fv_cx *cx, const char *fn, const fv *v, int64_t *scale)
{
    const bt_dec *d = num_arg(cx, fn, "scale", v);
    bt_dec t;
    if (!d)
        return 0;
    if (bt_dec_round(&t, d, 0, BT_ROUND_DOWN) != 0 ||
        !bt_dec_to_int(&t, scale)) {
        fv_why(cx, "%s() needs a smaller scale", fn);
        return 0;
    }
    return 1;
}

/* n rounded to `scale` (args[1]; 0 when left out) in `mode`. */
static int round_to(fv_cx *cx, const char *fn, const fv *const *args,
                    int mode, const fv **out)
{
    const bt_dec *n = num_arg(cx, fn, "n", args[0]);
    int64_t scale = 0;
    bt_dec r;
    if (!n || (args[1] && !scale_arg(cx, fn, args[1], &scale)))
        return put_null(out);
    return dec_out(cx, fn, bt_dec_round(&r, n, scale, mode), &r, "", out);
}

static int fn_decimal(fv_cx *cx, const fv *const *args, size_t n,
                      const fv **out)
{
    (void)n;
    return round_to(cx, "decimal", args, BT_ROUND_HALF_EVEN, out);
}

static int fn_floor(fv_cx *cx, const fv *const *args, size_t n,
                    const fv **out)
{
    (void)n;
    return round_to(cx, "floor", args, BT_ROUND_FLOOR, out);
}

static int fn_ceiling(fv_cx *cx, const fv *const *args, size_t n,
                      const fv **out)
{
    (void)n;
    return round_to(cx, "ceiling", args, BT_ROUND_CEILING, out);
}

static int fn_round_up(fv_cx *cx, const fv *const *args, size_t n,
                       const fv **out)
{
    (void)n;
    return round_to(cx, "round up", args, BT_ROUND_UP, out);
}

static int fn_round_down(fv_cx *cx, const fv *const *args, size_t n,
                         const fv **out)
{
    (void)n;
    return round_to(cx, "round down", args, BT_ROUND_DOWN, out);
}

static int fn_round_half_up(fv_cx *cx, const fv *const *args, size_t n,
                            const fv **out)
{
    (void)n;
    return round_to(cx, "round half up", args, BT_ROUND_HALF_UP, out);
}

static int fn_round_half_down(fv_cx *cx, const fv *const *args, size_t n,
                              const fv **out)
{
    (void)n;
    return round_to(cx, "round half down", args, BT_ROUND_HALF_DOWN, out);
}

/* ---- the others -------------------------------------------------------- */

/* abs() of a number, and (as feel-scala) of either kind of duration. */
static int fn_abs(fv_cx *cx, const fv *const *args, size_t n, const fv **out)
{
    const fv *v = args[0];
    (void)n;
    if (v->kind == FV_NUM) {
        bt_dec r;
        bt_dec_abs(&r, &v->u.num);
        return put_num(cx, &r, out);
    }
    if (v->kind == FV_DTDUR) {
        bt_dtdur d = v->u.dtdur;
        if (d.secs < 0 || d.nanos < 0) {
            if (d.secs == INT64_MIN) {
                fv_why(cx, "abs() of a duration out of range");
                return put_null(out);
            }
            d.secs = -d.secs;
            d.nanos = -d.nanos;
        }
        *out = fv_dtdur(cx, &d);
        return *out ? 0 : BATON_ENOMEM;
    }
    if (v->kind == FV_YMDUR) {
        if (v->u.months == INT64_MIN) {
            fv_why(cx, "abs() of a duration out of range");
            return put_null(out);
        }
        *out = fv_ymdur(cx, v->u.months < 0 ? -v->u.months : v->u.months);
        return *out ? 0 : BATON_ENOMEM;
    }
    fv_why(cx, "abs() needs a number or a duration, not %s%s",
           article(v), fv_type_name(v));
    return put_null(out);
}

static int fn_modulo(fv_cx *cx, const fv *const *args, size_t n,
                     const fv **out)
{
    const bt_dec *a = num_arg(cx, "modulo", "dividend", args[0]);
    const bt_dec *b = a ? num_arg(cx, "modulo", "divisor", args[1]) : NULL;
    bt_dec r;
    (void)n;
    if (!b)
        return put_null(out);
    return dec_out(cx, "modulo", bt_dec_mod(&r, a, b), &r,
                   "by zero is undefined", out);
}

static int fn_sqrt(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    const bt_dec *a = num_arg(cx, "sqrt", "number", args[0]);
    bt_dec r;
    (void)n;
    if (!a)
        return put_null(out);
    return dec_out(cx, "sqrt", bt_dec_sqrt(&r, a), &r,
                   "of a negative number is undefined", out);
}

static int fn_log(fv_cx *cx, const fv *const *args, size_t n, const fv **out)
{
    const bt_dec *a = num_arg(cx, "log", "number", args[0]);
    bt_dec r;
    (void)n;
    if (!a)
        return put_null(out);
    return dec_out(cx, "log", bt_dec_ln(&r, a), &r,
                   "of a number not above zero is undefined", out);
}

static int fn_exp(fv_cx *cx, const fv *const *args, size_t n, const fv **out)
{
    const bt_dec *a = num_arg(cx, "exp", "number", args[0]);
    bt_dec r;
    (void)n;
    if (!a)
        return put_null(out);
    return dec_out(cx, "exp", bt_dec_exp(&r, a), &r, "is undefined", out);
}

/* odd() and even() as feel-scala decides them, by the remainder of a
 * division by 2: a number that is not an integer is neither. */
static int parity(fv_cx *cx, const char *fn, const fv *const *args,
                  int64_t want, const fv **out)
{
    const bt_dec *a = num_arg(cx, fn, "number", args[0]);
    bt_dec two, r;
    int64_t rem;
    if (!a)
        return put_null(out);
    bt_dec_from_int(&two, 2);
    if (bt_dec_mod(&r, a, &two) != 0)
        return put_null(out); /* not reached: 2 is not zero */
    *out = fv_bool(bt_dec_to_int(&r, &rem) && rem == want);
    return 0;
}

static int fn_odd(fv_cx *cx, const fv *const *args, size_t n, const fv **out)
{
    (void)n;
    return parity(cx, "odd", args, 1, out);
}

static int fn_even(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    (void)n;
    return parity(cx, "even", args, 0, out);
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* random number(): a number in [0, 1). Each call seeds its own xorshift
 * from this evaluation's memory (whose position moves with every value
 * made, so two calls in one expression differ), the engine's clock and
 * the process's clocks: no state is shared between calls or threads.
 * Not for cryptography or anything that must not be guessed. */
static int fn_random(fv_cx *cx, const fv *const *args, size_t n,
                     const fv **out)
{
    uint64_t x = mix64((uint64_t)(uintptr_t)cx);
    bt_dec r;
    (void)args;
    (void)n;
    x = mix64(x ^ (uint64_t)(uintptr_t)cx->cur);
    x = mix64(x ^ (uint64_t)cx->now_ms);
    x = mix64(x ^ (uint64_t)time(NULL));
    x = mix64(x ^ (uint64_t)clock());
    for (int i = 0; i < 4; i++) { /* xorshift64* */
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
    }
    x *= 0x2545f4914f6cdd1du;
    /* 53 random bits: every double of this form is in [0, 1). */
    double d = (double)(x >> 11) / 9007199254740992.0;
    if (bt_dec_from_double(&r, d) != 0)
        return put_null(out); /* not reached: d is finite */
    return put_num(cx, &r, out);
}

/* A separator argument: `allowed` lists the one-character separators it
 * may be. Left out or null: none (0). 1 with `*c` set, or -1. */
static int separator(const fv *v, const char *allowed, char *c)
{
    *c = 0;
    if (!v || v->kind == FV_NULL)
        return 1;
    if (v->kind != FV_STR || v->u.str.n != 1 || !v->u.str.s[0] ||
        !strchr(allowed, v->u.str.s[0]))
        return -1;
    *c = v->u.str.s[0];
    return 1;
}

/* number(from, grouping separator, decimal separator): the grouping
 * separator (" ", "," or ".") is dropped and the decimal separator ("."
 * or ",") becomes the point, anywhere in the text, as feel-scala does;
 * then the text must be a number as FEEL writes one, with an optional
 * sign and exponent. */
static int fn_number(fv_cx *cx, const fv *const *args, size_t n,
                     const fv **out)
{
    const fv *from = args[0];
    char group, point, small[64];
    (void)n;
    if (from->kind != FV_STR) {
        fv_why(cx, "number() needs a string as from, not %s%s",
               article(from), fv_type_name(from));
        return put_null(out);
    }
    if (separator(args[1], " ,.", &group) < 0) {
        fv_why(cx, "number() needs ' ', ',' or '.' as grouping separator");
        return put_null(out);
    }
    if (separator(args[2], ",.", &point) < 0) {
        fv_why(cx, "number() needs ',' or '.' as decimal separator");
        return put_null(out);
    }
    if (group && group == point) {
        fv_why(cx, "number() needs two different separators");
        return put_null(out);
    }
    const char *s = from->u.str.s;
    size_t len = from->u.str.n, k = 0;
    char *buf = small;
    if (len > sizeof small && !(buf = fv_alloc(cx, len)))
        return BATON_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        if (group && s[i] == group)
            continue;
        buf[k++] = point && s[i] == point ? '.' : s[i];
    }
    bt_dec r;
    int rc = bt_dec_parse(&r, buf, k);
    if (rc == BT_DEC_UNDEFINED) {
        fv_why(cx, "number() can't read '%.40s' as a number", s);
        return put_null(out);
    }
    return dec_out(cx, "number", rc, &r, "", out);
}

const bt_feel_builtin bt_feel_lib_num[] = {
    {"decimal", {"n", "scale"}, 2, 0, fn_decimal},
    /* feel-scala names floor's scale "scala" (a slip): DMN's name here. */
    {"floor", {"n", "scale"}, 1, 0, fn_floor},
    {"ceiling", {"n", "scale"}, 1, 0, fn_ceiling},
    {"round up", {"n", "scale"}, 2, 0, fn_round_up},
    {"round down", {"n", "scale"}, 2, 0, fn_round_down},
    {"round half up", {"n", "scale"}, 2, 0, fn_round_half_up},
    {"round half down", {"n", "scale"}, 2, 0, fn_round_half_down},
    /* DMN names the parameter n, feel-scala also number. */
    {"abs", {"n"}, 1, 0, fn_abs},
    {"abs", {"number"}, 1, 0, fn_abs},
    {"modulo", {"dividend", "divisor"}, 2, 0, fn_modulo},
    {"sqrt", {"number"}, 1, 0, fn_sqrt},
    {"log", {"number"}, 1, 0, fn_log},
    {"exp", {"number"}, 1, 0, fn_exp},
    {"odd", {"number"}, 1, 0, fn_odd},
    {"even", {"number"}, 1, 0, fn_even},
    {"random number", {NULL}, 0, 0, fn_random},
    {"number", {"from", "grouping separator", "decimal separator"}, 1, 0,
     fn_number},
    {NULL, {NULL}, 0, 0, NULL},
};
