/* FEEL numbers as decimal128 (dec.h). Every result goes through one
 * rounding step, finish(), which takes an exact or nearly exact wide
 * coefficient (GMP limbs on the stack), drops digits to fit 34 digits
 * and the exponent range, rounds them in the requested mode and checks
 * for overflow. A "sticky" flag stands for nonzero digits already
 * discarded below the wide coefficient, so that rounding stays correct
 * when the exact result has more digits than we keep.
 *
 * Only GMP's mpn layer is used, on fixed buffers: it allocates nothing
 * for operands this small, whereas mpz aborts when memory runs out. */
#include "feel/dec.h"

#include <float.h>
#include <gmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if GMP_NAIL_BITS != 0
#error "GMP built with nail bits is not supported"
#endif
#if GMP_NUMB_BITS == 64
#define CH_DIG 19 /* the most decimal digits whose power fits a limb */
#define COEF_LIMBS 2
#elif GMP_NUMB_BITS == 32
#define CH_DIG 9
#define COEF_LIMBS 4
#else
#error "GMP limbs of 32 or 64 bits are needed"
#endif

/* Wide enough for every intermediate: an addition aligns a coefficient
 * by up to 10^72 (10^106 in all), a power multiplies two 50-digit
 * coefficients, and digit counting compares with one power of ten more. */
#define WL (704 / GMP_NUMB_BITS)
#define ETINY (BT_DEC_EMIN - (BT_DEC_DIGITS - 1)) /* smallest exponent */
#define ADD_ALIGN_MAX 72
#define POW_DIGITS 50 /* working precision of integer powers */
#define SMALL_MAX ((uint64_t)1 << 62)

typedef struct wnum {
    mp_limb_t l[WL];
    mp_size_t n; /* limbs in use, the top one nonzero; 0 for zero */
} wnum;

static const struct { uint64_t lo, hi; } P10[BT_DEC_DIGITS + 1] = {
    {0x0000000000000001u, 0x0u}, {0x000000000000000au, 0x0u},
    {0x0000000000000064u, 0x0u}, {0x00000000000003e8u, 0x0u},
    {0x0000000000002710u, 0x0u}, {0x00000000000186a0u, 0x0u},
    {0x00000000000f4240u, 0x0u}, {0x0000000000989680u, 0x0u},
    {0x0000000005f5e100u, 0x0u}, {0x000000003b9aca00u, 0x0u},
    {0x00000002540be400u, 0x0u}, {0x000000174876e800u, 0x0u},
    {0x000000e8d4a51000u, 0x0u}, {0x000009184e72a000u, 0x0u},
    {0x00005af3107a4000u, 0x0u}, {0x00038d7ea4c68000u, 0x0u},
    {0x002386f26fc10000u, 0x0u}, {0x016345785d8a0000u, 0x0u},
    {0x0de0b6b3a7640000u, 0x0u}, {0x8ac7230489e80000u, 0x0u},
    {0x6bc75e2d63100000u, 0x5u}, {0x35c9adc5dea00000u, 0x36u},
    {0x19e0c9bab2400000u, 0x21eu}, {0x02c7e14af6800000u, 0x152du},
    {0x1bcecceda1000000u, 0xd3c2u}, {0x161401484a000000u, 0x84595u},
    {0xdcc80cd2e4000000u, 0x52b7d2u}, {0x9fd0803ce8000000u, 0x33b2e3cu},
    {0x3e25026110000000u, 0x204fce5eu}, {0x6d7217caa0000000u, 0x1431e0faeu},
    {0x4674edea40000000u, 0xc9f2c9cd0u}, {0xc0914b2680000000u, 0x7e37be2022u},
    {0x85acef8100000000u, 0x4ee2d6d415bu},
    {0x38c15b0a00000000u, 0x314dc6448d93u},
    {0x378d8e6400000000u, 0x1ed09bead87c0u},
};

/* ---- wide unsigned integers ------------------------------------------ */

static void w_norm(wnum *w)
{
    while (w->n > 0 && w->l[w->n - 1] == 0)
        w->n--;
}

static void w_set_pair(wnum *w, uint64_t lo, uint64_t hi)
{
#if GMP_NUMB_BITS == 64
    w->l[0] = lo;
    w->l[1] = hi;
#else
    w->l[0] = (mp_limb_t)lo;
    w->l[1] = (mp_limb_t)(lo >> 32);
    w->l[2] = (mp_limb_t)hi;
    w->l[3] = (mp_limb_t)(hi >> 32);
#endif
    w->n = COEF_LIMBS;
    w_norm(w);
}

static void w_set_coef(wnum *w, const bt_dec *a)
{
    w_set_pair(w, a->lo, a->hi);
}

/* The value of a wide number below 2^128 (callers know it fits). */
static void w_get_pair(const wnum *w, uint64_t *lo, uint64_t *hi)
{
    mp_limb_t l[COEF_LIMBS] = {0};
    for (mp_size_t i = 0; i < w->n && i < COEF_LIMBS; i++)
        l[i] = w->l[i];
#if GMP_NUMB_BITS == 64
    *lo = l[0];
    *hi = l[1];
#else
    *lo = (uint64_t)l[0] | (uint64_t)l[1] << 32;
    *hi = (uint64_t)l[2] | (uint64_t)l[3] << 32;
#endif
}

static int w_cmp(const wnum *a, const wnum *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return a->n ? mpn_cmp(a->l, b->l, a->n) : 0;
}

static void w_mul_limb(wnum *w, mp_limb_t m)
{
    if (w->n == 0)
        return;
    mp_limb_t c = mpn_mul_1(w->l, w->l, w->n, m);
    if (c)
        w->l[w->n++] = c;
}

static void w_mul_pow10(wnum *w, int64_t k)
{
    for (; k >= CH_DIG; k -= CH_DIG)
        w_mul_limb(w, (mp_limb_t)P10[CH_DIG].lo);
    if (k > 0)
        w_mul_limb(w, (mp_limb_t)P10[k].lo);
}

static void w_pow10(wnum *w, int64_t k)
{
    int64_t first = k < BT_DEC_DIGITS ? k : BT_DEC_DIGITS;
    w_set_pair(w, P10[first].lo, P10[first].hi);
    w_mul_pow10(w, k - first);
}

/* Divides in place; the remainder of a one-limb divisor. */
static mp_limb_t w_div_limb(wnum *w, mp_limb_t d)
{
    if (w->n == 0)
        return 0;
    mp_limb_t r = mpn_divrem_1(w->l, 0, w->l, w->n, d);
    w_norm(w);
    return r;
}

/* Divides by 10^k in place (truncating); 1 when the remainder was not
 * zero. */
static int w_div_pow10(wnum *w, int64_t k)
{
    int lost = 0;
    for (; k > 0 && w->n > 0; k -= CH_DIG) {
        int64_t step = k < CH_DIG ? k : CH_DIG;
        lost |= w_div_limb(w, (mp_limb_t)P10[step].lo) != 0;
    }
    return lost;
}

static void w_add_1(wnum *w)
{
    if (w->n == 0) {
        w->l[0] = 1;
        w->n = 1;
    } else if (mpn_add_1(w->l, w->l, w->n, 1)) {
        w->l[w->n++] = 1;
    }
}

static void w_sub_1(wnum *w) /* w > 0 */
{
    mpn_sub_1(w->l, w->l, w->n, 1);
    w_norm(w);
}

/* r = a + b; r may be a or b. */
static void w_add(wnum *r, const wnum *a, const wnum *b)
{
    if (a->n < b->n) {
        const wnum *t = a;
        a = b;
        b = t;
    }
    if (b->n == 0) {
        *r = *a;
        return;
    }
    mp_size_t n = a->n;
    mp_limb_t c = mpn_add(r->l, a->l, a->n, b->l, b->n);
    r->n = n;
    if (c)
        r->l[r->n++] = c;
}

/* r = a - b with a >= b; r may be a. */
static void w_sub(wnum *r, const wnum *a, const wnum *b)
{
    mp_size_t n = a->n;
    if (b->n)
        mpn_sub(r->l, a->l, a->n, b->l, b->n);
    else if (r != a)
        *r = *a;
    r->n = n;
    w_norm(r);
}

static void w_mul(wnum *r, const wnum *a, const wnum *b)
{
    if (a->n == 0 || b->n == 0) {
        r->n = 0;
        return;
    }
    if (a->n < b->n) {
        const wnum *t = a;
        a = b;
        b = t;
    }
    wnum t;
    mpn_mul(t.l, a->l, a->n, b->l, b->n);
    t.n = a->n + b->n;
    w_norm(&t);
    *r = t;
}

/* q = a / b, rem = a % b; b nonzero. q or rem may be NULL. */
static void w_divmod(wnum *q, wnum *rem, const wnum *a, const wnum *b)
{
    wnum qq, rr;
    if (a->n < b->n) {
        qq.n = 0;
        rr = *a;
    } else {
        mpn_tdiv_qr(qq.l, rr.l, 0, a->l, a->n, b->l, b->n);
        qq.n = a->n - b->n + 1;
        rr.n = b->n;
        w_norm(&qq);
        w_norm(&rr);
    }
    if (q)
        *q = qq;
    if (rem)
        *rem = rr;
}

static int digits_pair(uint64_t lo, uint64_t hi)
{
    int d = 1;
    while (d <= BT_DEC_DIGITS &&
           (hi > P10[d].hi || (hi == P10[d].hi && lo >= P10[d].lo)))
        d++;
    return d;
}

/* Decimal digits of w; 0 for zero. */
static int w_digits(const wnum *w)
{
    if (w->n == 0)
        return 0;
    if (w->n <= COEF_LIMBS) {
        uint64_t lo, hi;
        w_get_pair(w, &lo, &hi);
        if (hi < P10[BT_DEC_DIGITS].hi ||
            (hi == P10[BT_DEC_DIGITS].hi && lo < P10[BT_DEC_DIGITS].lo))
            return digits_pair(lo, hi);
    }
    /* GMP's count is exact or one too many. */
    int d = (int)mpn_sizeinbase(w->l, w->n, 10);
    wnum p;
    w_pow10(&p, d - 1);
    return w_cmp(w, &p) < 0 ? d - 1 : d;
}

/* ---- rounding ---------------------------------------------------------- */

enum { R_EXACT, R_BELOW, R_HALF, R_ABOVE };

static int round_up_p(int cls, int mode, int neg, int odd)
{
    if (cls == R_EXACT)
        return 0;
    switch (mode) {
    case BT_ROUND_HALF_EVEN: return cls == R_ABOVE || (cls == R_HALF && odd);
    case BT_ROUND_HALF_UP: return cls != R_BELOW;
    case BT_ROUND_HALF_DOWN: return cls == R_ABOVE;
    case BT_ROUND_UP: return 1;
    case BT_ROUND_DOWN: return 0;
    case BT_ROUND_CEILING: return !neg;
    case BT_ROUND_FLOOR: return neg;
    default: return 0;
    }
}

static int64_t clamp_exp(int64_t e)
{
    return e < ETINY ? ETINY : e > BT_DEC_EMAX ? BT_DEC_EMAX : e;
}

static void set_zero(bt_dec *r, int64_t exp)
{
    r->lo = r->hi = 0;
    r->exp = (int32_t)clamp_exp(exp);
    r->neg = 0;
}

/* r = (-1)^neg * (w + sticky fraction) * 10^exp, rounded in `mode` to 34
 * digits and to an exponent of at least `min_exp`. `w` is consumed. A
 * sticky fraction needs at least one digit dropped to be rounded right,
 * which every caller that sets it arranges. */
static int finish(bt_dec *r, wnum *w, int64_t exp, int neg, int sticky,
                  int mode, int64_t min_exp)
{
    if (min_exp < ETINY)
        min_exp = ETINY;
    int d = w_digits(w);
    int64_t k = d - BT_DEC_DIGITS;
    if (min_exp - exp > k)
        k = min_exp - exp;
    int cls = sticky ? R_BELOW : R_EXACT;
    if (k > d) {
        /* Every digit goes, and the value is below a tenth of the unit
         * that remains. */
        if (w->n)
            cls = R_BELOW;
        w->n = 0;
        exp += k;
    } else if (k > 0) {
        sticky |= w_div_pow10(w, k - 1);
        mp_limb_t digit = w_div_limb(w, 10);
        cls = digit > 5 || (digit == 5 && sticky) ? R_ABOVE
              : digit == 5                        ? R_HALF
              : digit || sticky                   ? R_BELOW
                                                  : R_EXACT;
        exp += k;
    }
    if (round_up_p(cls, mode, neg, w->n && (w->l[0] & 1))) {
        w_add_1(w);
        if (w_digits(w) > BT_DEC_DIGITS) { /* 999..9 + 1 */
            w_div_limb(w, 10);
            exp++;
        }
    }
    if (w->n == 0) {
        set_zero(r, exp);
        return 0;
    }
    if (exp + w_digits(w) - 1 > BT_DEC_EMAX)
        return BT_DEC_OVERFLOW;
    w_get_pair(w, &r->lo, &r->hi);
    r->exp = (int32_t)exp;
    r->neg = (uint8_t)(neg != 0);
    return 0;
}

static int finish_even(bt_dec *r, wnum *w, int64_t exp, int neg, int sticky)
{
    return finish(r, w, exp, neg, sticky, BT_ROUND_HALF_EVEN, ETINY);
}

/* ---- conversions --------------------------------------------------------- */

static int is_small(const bt_dec *a)
{
    return a->exp == 0 && a->hi == 0 && a->lo < SMALL_MAX;
}

static int64_t small_val(const bt_dec *a)
{
    return a->neg ? -(int64_t)a->lo : (int64_t)a->lo;
}

void bt_dec_from_int(bt_dec *r, int64_t i)
{
    r->lo = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    r->hi = 0;
    r->exp = 0;
    r->neg = i < 0;
}

static int coef_digits(const bt_dec *a)
{
    return (a->lo | a->hi) ? digits_pair(a->lo, a->hi) : 0;
}

int bt_dec_is_zero(const bt_dec *a)
{
    return (a->lo | a->hi) == 0;
}

int bt_dec_sign(const bt_dec *a)
{
    return bt_dec_is_zero(a) ? 0 : a->neg ? -1 : 1;
}

int bt_dec_parse(bt_dec *r, const char *s, size_t n)
{
    enum { KEEP = BT_DEC_DIGITS + 2 };
    unsigned char dig[KEEP];
    size_t i = 0, kept = 0, seen = 0;
    int64_t exp = 0;
    int neg = 0, sticky = 0, point = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !point) {
            point = 1;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        seen++;
        if (point)
            exp--;
        if (kept == 0 && c == '0')
            continue;
        if (kept < KEEP) {
            dig[kept++] = (unsigned char)(c - '0');
        } else {
            exp++; /* a digit dropped: the rest scale up by ten */
            sticky |= c != '0';
        }
    }
    if (seen == 0)
        return BT_DEC_UNDEFINED;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        int64_t e = 0;
        size_t edig = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, edig++)
            if (e < 1000000000) /* beyond any range either way */
                e = e * 10 + (s[i] - '0');
        if (edig == 0)
            return BT_DEC_UNDEFINED;
        exp += eneg ? -e : e;
    }
    if (i != n)
        return BT_DEC_UNDEFINED;
    wnum w;
    if (kept == 0) {
        set_zero(r, exp);
        return 0;
    }
    w.n = (mp_size_t)mpn_set_str(w.l, dig, kept, 10);
    w_norm(&w);
    return finish_even(r, &w, exp, neg, sticky);
}

int bt_dec_from_double(bt_dec *r, double d)
{
    char buf[40], clean[40];
    if (isnan(d) || isinf(d))
        return BT_DEC_UNDEFINED;
    if (d == 0) {
        set_zero(r, 0);
        return 0;
    }
    /* Fifteen digits round-trip for every normal double whose shortest
     * form has at most fifteen, and then are that form; other doubles
     * (and subnormals, which have fewer digits of precision) search. */
    int len = snprintf(buf, sizeof buf, "%.15g", d);
    if (!(strtod(buf, NULL) == d && fabs(d) >= DBL_MIN)) {
        for (int p = 1; p <= 17; p++) {
            len = snprintf(buf, sizeof buf, "%.*g", p, d);
            if (strtod(buf, NULL) == d)
                break;
        }
    }
    /* The locale's decimal point may not be '.'. */
    size_t j = 0;
    for (int i = 0; i < len && buf[i]; i++) {
        char c = buf[i];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e')
            clean[j++] = c;
        else if (j == 0 || clean[j - 1] != '.')
            clean[j++] = '.';
    }
    return bt_dec_parse(r, clean, j);
}

int bt_dec_is_int(const bt_dec *a)
{
    if (bt_dec_is_zero(a) || a->exp >= 0)
        return 1;
    if (a->exp < -BT_DEC_DIGITS)
        return 0;
    wnum w;
    w_set_coef(&w, a);
    return !w_div_pow10(&w, -(int64_t)a->exp);
}

int bt_dec_to_int(const bt_dec *a, int64_t *out)
{
    uint64_t limit = a->neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    uint64_t mag;
    if (bt_dec_is_zero(a)) {
        *out = 0;
        return 1;
    }
    if (a->exp >= 0) {
        if (a->hi || a->exp > 18)
            return 0;
        mag = a->lo;
        for (int32_t e = 0; e < a->exp; e++) {
            if (mag > limit / 10)
                return 0;
            mag *= 10;
        }
    } else {
        if (a->exp < -BT_DEC_DIGITS)
            return 0;
        wnum w;
        w_set_coef(&w, a);
        if (w_div_pow10(&w, -(int64_t)a->exp) || w.n > 64 / GMP_NUMB_BITS)
            return 0;
        uint64_t hi;
        w_get_pair(&w, &mag, &hi);
    }
    if (mag > limit)
        return 0;
    *out = a->neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 1;
}

/* The coefficient's digits, NUL-terminated; returns their count. */
static int coef_str(const bt_dec *a, char *out)
{
    wnum w;
    char tmp[BT_DEC_DIGITS + 1];
    int n = 0;
    w_set_coef(&w, a);
    do {
        mp_limb_t r = w_div_limb(&w, 10);
        tmp[n++] = (char)('0' + r);
    } while (w.n > 0);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

double bt_dec_to_double(const bt_dec *a)
{
    char buf[BT_DEC_DIGITS + 24];
    int n = 0;
    if (a->neg)
        buf[n++] = '-';
    n += coef_str(a, buf + n);
    /* Digits and an exponent, no decimal point: immune to the locale. */
    snprintf(buf + n, sizeof buf - (size_t)n, "e%d", (int)a->exp);
    return strtod(buf, NULL);
}

size_t bt_dec_format(const bt_dec *a, char *buf)
{
    char dig[BT_DEC_DIGITS + 1];
    size_t n = 0;
    if (bt_dec_is_zero(a)) {
        memcpy(buf, "0", 2);
        return 1;
    }
    if (a->neg)
        buf[n++] = '-';
    int64_t len = coef_str(a, dig);
    int64_t exp = a->exp;
    if (exp >= 0) {
        memcpy(buf + n, dig, (size_t)len);
        n += (size_t)len;
        memset(buf + n, '0', (size_t)exp);
        n += (size_t)exp;
    } else {
        /* Trailing zeros of the fraction go. */
        while (exp < 0 && dig[len - 1] == '0') {
            len--;
            exp++;
        }
        int64_t ipart = len + exp; /* digits before the point */
        if (exp >= 0) {
            memcpy(buf + n, dig, (size_t)len);
            n += (size_t)len;
        } else if (ipart > 0) {
            memcpy(buf + n, dig, (size_t)ipart);
            n += (size_t)ipart;
            buf[n++] = '.';
            memcpy(buf + n, dig + ipart, (size_t)(len - ipart));
            n += (size_t)(len - ipart);
        } else {
            buf[n++] = '0';
            buf[n++] = '.';
            memset(buf + n, '0', (size_t)-ipart);
            n += (size_t)-ipart;
            memcpy(buf + n, dig, (size_t)len);
            n += (size_t)len;
        }
    }
    buf[n] = '\0';
    return n;
}

/* ---- comparison and arithmetic -------------------------------------------- */

static int cmp_mag(const bt_dec *a, const bt_dec *b)
{
    int da = coef_digits(a), db = coef_digits(b);
    int64_t adja = (int64_t)a->exp + da, adjb = (int64_t)b->exp + db;
    if (adja != adjb)
        return adja < adjb ? -1 : 1;
    wnum wa, wb;
    w_set_coef(&wa, a);
    w_set_coef(&wb, b);
    /* Equal adjusted exponents: the shift is below 34 digits. */
    if (a->exp > b->exp)
        w_mul_pow10(&wa, (int64_t)a->exp - b->exp);
    else
        w_mul_pow10(&wb, (int64_t)b->exp - a->exp);
    return w_cmp(&wa, &wb);
}

int bt_dec_cmp(const bt_dec *a, const bt_dec *b)
{
    if (is_small(a) && is_small(b)) {
        int64_t x = small_val(a), y = small_val(b);
        return (x > y) - (x < y);
    }
    int sa = bt_dec_sign(a), sb = bt_dec_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    return sa * cmp_mag(a, b);
}

/* A value with a zero beside it: its exponent lowers toward the zero's
 * as far as 34 digits allow (decimal arithmetic's ideal exponent). */
static void add_zero(bt_dec *r, const bt_dec *a, int neg, int32_t zexp)
{
    *r = *a;
    r->neg = (uint8_t)neg;
    if (zexp < a->exp) {
        int64_t shift = BT_DEC_DIGITS - coef_digits(a);
        if (shift > (int64_t)a->exp - zexp)
            shift = (int64_t)a->exp - zexp;
        wnum w;
        w_set_coef(&w, a);
        w_mul_pow10(&w, shift);
        w_get_pair(&w, &r->lo, &r->hi);
        r->exp = (int32_t)(a->exp - shift);
    }
}

static int add_signed(bt_dec *r, const bt_dec *a, const bt_dec *b, int bneg)
{
    int aneg = a->neg;
    if (bt_dec_is_zero(b)) {
        if (bt_dec_is_zero(a)) {
            set_zero(r, a->exp < b->exp ? a->exp : b->exp);
            return 0;
        }
        add_zero(r, a, aneg, b->exp);
        return 0;
    }
    if (bt_dec_is_zero(a)) {
        add_zero(r, b, bneg, a->exp);
        return 0;
    }
    if (a->exp < b->exp) { /* a has the larger exponent from here */
        const bt_dec *t = a;
        int tn = aneg;
        a = b;
        b = t;
        aneg = bneg;
        bneg = tn;
    }
    int64_t diff = (int64_t)a->exp - b->exp;
    wnum wa, wb;
    w_set_coef(&wa, a);
    if (diff > ADD_ALIGN_MAX) {
        /* b is below a's 37th digit: it only decides the rounding, as a
         * sticky fraction on a's side of the unit there. */
        int64_t s = 37 - coef_digits(a);
        w_mul_pow10(&wa, s);
        if (aneg != bneg)
            w_sub_1(&wa);
        return finish_even(r, &wa, a->exp - s, aneg, 1);
    }
    w_set_coef(&wb, b);
    w_mul_pow10(&wa, diff);
    if (aneg == bneg) {
        w_add(&wa, &wa, &wb);
        return finish_even(r, &wa, b->exp, aneg, 0);
    }
    int c = w_cmp(&wa, &wb);
    if (c == 0) {
        set_zero(r, b->exp);
        return 0;
    }
    if (c > 0) {
        w_sub(&wa, &wa, &wb);
        return finish_even(r, &wa, b->exp, aneg, 0);
    }
    w_sub(&wb, &wb, &wa);
    return finish_even(r, &wb, b->exp, bneg, 0);
}

int bt_dec_add(bt_dec *r, const bt_dec *a, const bt_dec *b)
{
    if (is_small(a) && is_small(b)) {
        bt_dec_from_int(r, small_val(a) + small_val(b));
        return 0;
    }
    return add_signed(r, a, b, b->neg);
}

int bt_dec_sub(bt_dec *r, const bt_dec *a, const bt_dec *b)
{
    if (is_small(a) && is_small(b)) {
        bt_dec_from_int(r, small_val(a) - small_val(b));
        return 0;
    }
    return add_signed(r, a, b, !b->neg);
}

int bt_dec_mul(bt_dec *r, const bt_dec *a, const bt_dec *b)
{
    int neg = a->neg != b->neg;
    if (a->exp == 0 && b->exp == 0 && a->hi == 0 && b->hi == 0 &&
        (b->lo == 0 || a->lo <= UINT64_MAX / b->lo)) {
        r->lo = a->lo * b->lo;
        r->hi = 0;
        r->exp = 0;
        r->neg = (uint8_t)(neg && r->lo);
        return 0;
    }
    int64_t exp = (int64_t)a->exp + b->exp;
    if (bt_dec_is_zero(a) || bt_dec_is_zero(b)) {
        set_zero(r, exp);
        return 0;
    }
    wnum wa, wb;
    w_set_coef(&wa, a);
    w_set_coef(&wb, b);
    w_mul(&wa, &wa, &wb);
    return finish_even(r, &wa, exp, neg, 0);
}

/* Divides wide coefficients: (na * 10^ea) / (nb * 10^eb), rounded to 34
 * digits; an exact quotient keeps no more trailing zeros than the ideal
 * exponent ea - eb asks for. `inexact` marks operands already rounded. */
static int div_wide(bt_dec *r, wnum *na, int64_t ea, const wnum *nb,
                    int64_t eb, int neg, int inexact)
{
    int64_t s = BT_DEC_DIGITS + 1 + w_digits(nb) - w_digits(na);
    wnum q, rem;
    if (s < 0)
        s = 0;
    w_mul_pow10(na, s);
    w_divmod(&q, &rem, na, nb);
    int64_t exp = ea - eb - s;
    int sticky = rem.n != 0 || inexact;
    if (!sticky) {
        while (exp < ea - eb && q.n) {
            wnum t = q;
            if (w_div_limb(&t, 10))
                break;
            q = t;
            exp++;
        }
    }
    return finish_even(r, &q, exp, neg, sticky);
}

int bt_dec_div(bt_dec *r, const bt_dec *a, const bt_dec *b)
{
    if (bt_dec_is_zero(b))
        return BT_DEC_UNDEFINED;
    if (bt_dec_is_zero(a)) {
        set_zero(r, (int64_t)a->exp - b->exp);
        return 0;
    }
    wnum wa, wb;
    w_set_coef(&wa, a);
    w_set_coef(&wb, b);
    return div_wide(r, &wa, a->exp, &wb, b->exp, a->neg != b->neg, 0);
}

void bt_dec_neg(bt_dec *r, const bt_dec *a)
{
    *r = *a;
    r->neg = (uint8_t)(!a->neg && !bt_dec_is_zero(a));
}

void bt_dec_abs(bt_dec *r, const bt_dec *a)
{
    *r = *a;
    r->neg = 0;
}

/* (10^k) mod m, by squaring. */
static void pow10_mod(wnum *out, int64_t k, const wnum *m)
{
    wnum base, t;
    w_set_pair(out, 1, 0);
    w_set_pair(&base, P10[1].lo, 0);
    w_divmod(NULL, out, out, m);
    w_divmod(NULL, &base, &base, m);
    for (; k > 0; k >>= 1) {
        if (k & 1) {
            w_mul(&t, out, &base);
            w_divmod(NULL, out, &t, m);
        }
        w_mul(&t, &base, &base);
        w_divmod(NULL, &base, &t, m);
    }
}

int bt_dec_mod(bt_dec *r, const bt_dec *a, const bt_dec *b)
{
    if (bt_dec_is_zero(b))
        return BT_DEC_UNDEFINED;
    if (bt_dec_is_zero(a)) {
        set_zero(r, a->exp < b->exp ? a->exp : b->exp);
        return 0;
    }
    /* The remainder of |a| / |b|, exact, at exponent e: then FEEL's
     * floored modulo takes the sign of b. */
    wnum wa, wb, rem;
    int64_t e;
    w_set_coef(&wa, a);
    w_set_coef(&wb, b);
    if ((int64_t)b->exp - a->exp > BT_DEC_DIGITS) {
        /* |b| > |a|: the remainder is |a| itself. */
        if (a->neg == b->neg) {
            *r = *a;
            return 0;
        }
        bt_dec ma, mb;
        bt_dec_abs(&ma, a);
        bt_dec_abs(&mb, b);
        int rc = bt_dec_sub(r, &mb, &ma);
        if (rc == 0 && b->neg)
            bt_dec_neg(r, r);
        return rc;
    }
    if (b->exp >= a->exp) {
        e = a->exp;
        w_mul_pow10(&wb, (int64_t)b->exp - a->exp);
        w_divmod(NULL, &rem, &wa, &wb);
    } else {
        wnum p, t;
        e = b->exp;
        pow10_mod(&p, (int64_t)a->exp - b->exp, &wb);
        w_divmod(NULL, &wa, &wa, &wb);
        w_mul(&t, &wa, &p);
        w_divmod(NULL, &rem, &t, &wb);
    }
    if (rem.n && a->neg != b->neg)
        w_sub(&rem, &wb, &rem);
    if (rem.n == 0) {
        set_zero(r, e);
        return 0;
    }
    return finish_even(r, &rem, e, b->neg, 0);
}

/* A wide working value for integer powers. */
typedef struct wdec {
    wnum c;
    int64_t exp;
} wdec;

/* Truncates to POW_DIGITS digits; 1 when digits were lost. */
static int wdec_trim(wdec *x)
{
    int d = w_digits(&x->c);
    if (d <= POW_DIGITS)
        return 0;
    x->exp += d - POW_DIGITS;
    return w_div_pow10(&x->c, d - POW_DIGITS);
}

static int pow_int(bt_dec *r, const bt_dec *a, int64_t n)
{
    uint64_t m = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    int neg = a->neg && (m & 1);
    if (m == 0) {
        bt_dec_from_int(r, 1);
        return 0;
    }
    if (bt_dec_is_zero(a)) {
        if (n < 0)
            return BT_DEC_UNDEFINED;
        set_zero(r, (int64_t)a->exp * n);
        return 0;
    }
    wdec x, acc;
    int inexact = 0, top = 63;
    w_set_coef(&x.c, a);
    x.exp = a->exp;
    while (!((m >> top) & 1))
        top--;
    acc = x;
    for (int bit = top - 1; bit >= 0; bit--) {
        w_mul(&acc.c, &acc.c, &acc.c);
        acc.exp *= 2;
        inexact |= wdec_trim(&acc);
        if ((m >> bit) & 1) {
            w_mul(&acc.c, &acc.c, &x.c);
            acc.exp += x.exp;
            inexact |= wdec_trim(&acc);
        }
        /* Far beyond the range already: stop before the exponent runs
         * away. */
        if (acc.exp > 4 * (int64_t)BT_DEC_EMAX + 4 * POW_DIGITS ||
            acc.exp < 4 * (int64_t)ETINY - 4 * POW_DIGITS)
            break;
    }
    if (acc.exp > 4 * (int64_t)BT_DEC_EMAX + 4 * POW_DIGITS ||
        acc.exp < 4 * (int64_t)ETINY - 4 * POW_DIGITS) {
        int big = acc.exp > 0;
        if (big == (n > 0))
            return BT_DEC_OVERFLOW;
        set_zero(r, ETINY);
        return 0;
    }
    if (n > 0)
        return finish_even(r, &acc.c, acc.exp, neg, inexact);
    wnum one;
    w_set_pair(&one, 1, 0);
    return div_wide(r, &one, 0, &acc.c, acc.exp, neg, inexact);
}

static int from_double_result(bt_dec *r, double z)
{
    if (isnan(z))
        return BT_DEC_UNDEFINED;
    if (isinf(z))
        return BT_DEC_OVERFLOW;
    return bt_dec_from_double(r, z);
}

int bt_dec_pow(bt_dec *r, const bt_dec *a, const bt_dec *b)
{
    int64_t n;
    if (bt_dec_to_int(b, &n) && n >= -999999999 && n <= 999999999)
        return pow_int(r, a, n);
    double x = bt_dec_to_double(a), y = bt_dec_to_double(b);
    if (x == 0 && y < 0)
        return BT_DEC_UNDEFINED;
    return from_double_result(r, pow(x, y));
}

int bt_dec_sqrt(bt_dec *r, const bt_dec *a)
{
    if (a->neg)
        return BT_DEC_UNDEFINED;
    /* The ideal exponent is floor(exp / 2). */
    int64_t ideal = a->exp >= 0 ? a->exp / 2 : -((1 - (int64_t)a->exp) / 2);
    if (bt_dec_is_zero(a)) {
        set_zero(r, ideal);
        return 0;
    }
    /* Scale to at least 70 digits and an even exponent, so that the
     * root has 35 digits. */
    int64_t s = 2 * (BT_DEC_DIGITS + 1) - coef_digits(a);
    if (((int64_t)a->exp - s) & 1)
        s++;
    wnum w, root, rem;
    w_set_coef(&w, a);
    w_mul_pow10(&w, s);
    mp_size_t rn = mpn_sqrtrem(root.l, rem.l, w.l, w.n);
    root.n = (w.n + 1) / 2;
    w_norm(&root);
    int64_t exp = ((int64_t)a->exp - s) / 2;
    int sticky = rn != 0;
    if (!sticky) {
        while (exp < ideal) {
            wnum t = root;
            if (w_div_limb(&t, 10))
                break;
            root = t;
            exp++;
        }
    }
    return finish_even(r, &root, exp, 0, sticky);
}

int bt_dec_ln(bt_dec *r, const bt_dec *a)
{
    if (bt_dec_sign(a) <= 0)
        return BT_DEC_UNDEFINED;
    double x = bt_dec_to_double(a);
    if (isfinite(x) && x >= DBL_MIN)
        return from_double_result(r, log(x));
    /* Beyond a double's range: ln(c * 10^e) = ln(c) + e ln(10). */
    bt_dec c = *a;
    c.exp = 0;
    double z = log(bt_dec_to_double(&c)) + a->exp * 2.302585092994045684;
    return from_double_result(r, z);
}

int bt_dec_exp(bt_dec *r, const bt_dec *a)
{
    return from_double_result(r, exp(bt_dec_to_double(a)));
}

int bt_dec_round(bt_dec *r, const bt_dec *a, int64_t scale, int mode)
{
    const int64_t lim = (int64_t)1 << 40;
    int64_t t = scale > lim ? -lim : scale < -lim ? lim : -scale;
    if (bt_dec_is_zero(a)) {
        set_zero(r, t);
        return 0;
    }
    wnum w;
    w_set_coef(&w, a);
    if (a->exp >= t) {
        /* Nothing to round: take the scale as the exponent if the
         * coefficient has room for the zeros. */
        *r = *a;
        if (a->exp > t && t >= ETINY &&
            coef_digits(a) + ((int64_t)a->exp - t) <= BT_DEC_DIGITS) {
            w_mul_pow10(&w, (int64_t)a->exp - t);
            w_get_pair(&w, &r->lo, &r->hi);
            r->exp = (int32_t)t;
        }
        return 0;
    }
    return finish(r, &w, a->exp, a->neg, 0, mode, t);
}
