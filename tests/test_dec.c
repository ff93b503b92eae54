/* Unit tests of FEEL's decimal numbers (lib/feel/dec.c): tables of
 * operands as text and the expected result as bt_dec_format prints it
 * (or the error), checked against decimal128 arithmetic (Python's
 * decimal module with 34 digits, half even, Emax 6144 gives the same
 * values), plus the exponents that decimal arithmetic prescribes where
 * they matter. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "feel/dec.h"

#define ANY_EXP INT32_MIN /* the exponent is not checked */
#define OVF BT_DEC_OVERFLOW
#define UND BT_DEC_UNDEFINED

static bt_dec num(const char *s)
{
    bt_dec d;
    int rc = bt_dec_parse(&d, s, strlen(s));
    if (rc != 0)
        fail_msg("cannot parse \"%s\": %d", s, rc);
    return d;
}

/* Checks a result: its code, then (on success) its text and exponent. */
static void check(const char *what, int rc, const bt_dec *r, int want_rc,
                  const char *want, int32_t want_exp)
{
    char buf[BT_DEC_BUFSZ];
    if (rc != want_rc)
        fail_msg("%s: returned %d, expected %d", what, rc, want_rc);
    if (rc != 0)
        return;
    bt_dec_format(r, buf);
    if (strcmp(buf, want) != 0)
        fail_msg("%s: gave %s, expected %s", what, buf, want);
    if (want_exp != ANY_EXP && r->exp != want_exp)
        fail_msg("%s: exponent %d, expected %d", what, (int)r->exp,
                 (int)want_exp);
    if (bt_dec_is_zero(r) && r->neg)
        fail_msg("%s: a negative zero", what);
    if (r->hi > 0x1ed09bead87c0u ||
        (r->hi == 0x1ed09bead87c0u && r->lo >= 0x378d8e6400000000u))
        fail_msg("%s: coefficient beyond 34 digits", what);
}

/* ---- parse and format ------------------------------------------------ */

static const struct {
    const char *in;
    int rc;
    const char *want;
    int32_t exp;
} parse_cases[] = {
    {"0", 0, "0", 0},
    {"-0", 0, "0", 0},
    {"0.000", 0, "0", -3},
    {"1", 0, "1", 0},
    {"+7", 0, "7", 0},
    {"1.50", 0, "1.5", -2},
    {".5", 0, "0.5", -1},
    {"5.", 0, "5", 0},
    {"-12.340", 0, "-12.34", -3},
    {"1e3", 0, "1000", 3},
    {"1.23e4", 0, "12300", 2},
    {"12300", 0, "12300", 0},
    {"-1.5E-3", 0, "-0.0015", -4},
    {"2E+2", 0, "200", 2},
    {"000123.4500", 0, "123.45", -4},
    {"0.0000001", 0, "0.0000001", -7},
    {"1234567890123456789012345678901234", 0,
     "1234567890123456789012345678901234", 0},
    /* 39 digits: rounded to 34 (…1234|56789 rounds up). */
    {"123456789012345678901234567890123456789", 0,
     "123456789012345678901234567890123500000", 5},
    /* The 35th digit a 5 with nothing after it: to the even neighbour. */
    {"1.0000000000000000000000000000000005", 0, "1", -33},
    {"1.0000000000000000000000000000000015", 0,
     "1.000000000000000000000000000000002", -33},
    {"1.0000000000000000000000000000000025", 0,
     "1.000000000000000000000000000000002", -33},
    /* ... and anything after the 5 makes it more than half. */
    {"1.00000000000000000000000000000000050000000000000000001", 0,
     "1.000000000000000000000000000000001", -33},
    {"9.9999999999999999999999999999999999", 0, "10", -32},
    {"9.999999999999999999999999999999999e6144", 0, NULL, 6111},
    {"1e6144", 0, NULL, 6144},
    {"1e6145", OVF, NULL, 0},
    {"10e6144", OVF, NULL, 0},
    {"1e999999999999", OVF, NULL, 0},
    {"0e999999999999", 0, "0", BT_DEC_EMAX},
    {"1e-6176", 0, NULL, -6176},  /* the smallest subnormal */
    {"6e-6177", 0, NULL, -6176},  /* rounds up to it */
    {"5e-6177", 0, "0", -6176},   /* half: to the even zero */
    {"1e-6177", 0, "0", -6176},
    {"1e-999999999999", 0, "0", -6176},
    {"", UND, NULL, 0},
    {".", UND, NULL, 0},
    {"-", UND, NULL, 0},
    {"1e", UND, NULL, 0},
    {"1e+", UND, NULL, 0},
    {"e5", UND, NULL, 0},
    {"1..2", UND, NULL, 0},
    {"1.2.3", UND, NULL, 0},
    {"abc", UND, NULL, 0},
    {" 1", UND, NULL, 0},
    {"1 ", UND, NULL, 0},
    {"1,5", UND, NULL, 0},
    {"--1", UND, NULL, 0},
    {"0x10", UND, NULL, 0},
};

static void test_parse_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
        bt_dec d;
        const char *in = parse_cases[i].in;
        int rc = bt_dec_parse(&d, in, strlen(in));
        if (parse_cases[i].want) {
            check(in, rc, &d, parse_cases[i].rc, parse_cases[i].want,
                  parse_cases[i].exp);
        } else if (rc != parse_cases[i].rc) {
            fail_msg("%s: returned %d, expected %d", in, rc,
                     parse_cases[i].rc);
        } else if (rc == 0 && d.exp != parse_cases[i].exp) {
            fail_msg("%s: exponent %d", in, (int)d.exp);
        }
    }
    /* A length, not a NUL, ends the text. */
    bt_dec d;
    assert_int_equal(bt_dec_parse(&d, "12345", 3), 0);
    check("12345/3", 0, &d, 0, "123", 0);
}

/* Formatting round-trips through parsing, and the extremes fit the
 * buffer the header promises. */
static void test_format_round_trip(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "0.1", "-0.5", "123.456", "1000000", "0.000000000000000000001",
        "3.333333333333333333333333333333333", "-9999999999999999999999999999999999",
        "1e6144", "9.999999999999999999999999999999999e6144", "1e-6176",
        "-1.234567890123456789012345678901234e-6143",
    };
    char buf[BT_DEC_BUFSZ];
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        bt_dec a = num(texts[i]), b;
        size_t n = bt_dec_format(&a, buf);
        assert_true(n < BT_DEC_BUFSZ);
        assert_int_equal(strlen(buf), n);
        assert_int_equal(bt_dec_parse(&b, buf, n), 0);
        assert_int_equal(bt_dec_cmp(&a, &b), 0);
    }
    bt_dec a = num("1e-6176");
    size_t n = bt_dec_format(&a, buf);
    assert_int_equal(n, 2 + 6175 + 1);
    assert_memory_equal(buf, "0.000", 5);
    assert_string_equal(buf + n - 2, "01");
    a = num("-1e6144");
    assert_int_equal(bt_dec_format(&a, buf), 6146);
}

/* ---- comparison ------------------------------------------------------- */

static const struct {
    const char *a, *b;
    int want;
} cmp_cases[] = {
    {"12300", "1.23e4", 0},
    {"1", "1.000", 0},
    {"0", "-0.00", 0},
    {"0", "0e100", 0},
    {"1", "2", -1},
    {"-1", "-2", 1},
    {"-1", "1", -1},
    {"0.1", "0.09999999999999999999999999999999999", 1},
    {"1e6144", "9.999999999999999999999999999999999e6143", 1},
    {"1e-6176", "0", 1},
    {"-1e-6176", "0", -1},
    {"4611686018427387903", "4611686018427387904", -1}, /* 2^62 - 1, 2^62 */
    {"9223372036854775808", "9223372036854775807", 1},
    {"123456789012345678901234567890", "123456789012345678901234567891", -1},
    {"1.5", "15e-1", 0},
    {"100", "1e2", 0},
    {"99", "1e2", -1},
};

static void test_cmp(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cmp_cases / sizeof *cmp_cases; i++) {
        bt_dec a = num(cmp_cases[i].a), b = num(cmp_cases[i].b);
        int c = bt_dec_cmp(&a, &b), back = bt_dec_cmp(&b, &a);
        if (c != cmp_cases[i].want || back != -cmp_cases[i].want)
            fail_msg("cmp(%s, %s) = %d, reversed %d", cmp_cases[i].a,
                     cmp_cases[i].b, c, back);
    }
}

/* ---- binary operations ------------------------------------------------ */

static const struct {
    char op; /* + - * / % (modulo) ^ (power) */
    const char *a, *b;
    int rc;
    const char *want;
    int32_t exp;
} bin_cases[] = {
    {'+', "0.1", "0.2", 0, "0.3", -1},
    {'+', "1", "2", 0, "3", 0},
    {'+', "-5", "3", 0, "-2", 0},
    {'+', "1.5", "-1.5", 0, "0", -1},
    {'+', "1.50", "1", 0, "2.5", -2},
    {'+', "1.5", "0e-3", 0, "1.5", -3}, /* the zero's exponent */
    {'+', "4611686018427387903", "4611686018427387903", 0,
     "9223372036854775806", 0},
    {'+', "9223372036854775807", "1", 0, "9223372036854775808", 0},
    /* Carries that add a digit. */
    {'+', "9999999999999999999999999999999999", "1", 0,
     "10000000000000000000000000000000000", 1},
    {'+', "9999999999999999999999999999999999", "0.5", 0,
     "10000000000000000000000000000000000", 1},
    {'+', "9999999999999999999999999999999999", "0.4", 0,
     "9999999999999999999999999999999999", 0},
    {'+', "0.9999999999999999999999999999999999",
     "0.0000000000000000000000000000000001", 0, "1", -33},
    /* A far smaller operand still decides the rounding. */
    {'+', "1", "1e-40", 0, "1", -33},
    {'-', "1", "1e-40", 0, "1", -33},
    {'-', "1", "1e-33", 0, "0.999999999999999999999999999999999", -33},
    {'+', "1e100", "1e-100", 0, NULL, 67},
    {'+', "5e-34", "1", 0, "1", -33}, /* a tie: to the even 1.000... */
    {'+', "1", "5.000000000000000000000000000000001e-34", 0,
     "1.000000000000000000000000000000001", -33},
    {'+', "1.000000000000000000000000000000001", "5e-34", 0,
     "1.000000000000000000000000000000002", -33},
    {'+', "9e6144", "9e6144", OVF, NULL, 0},
    {'+', "9.999999999999999999999999999999999e6144", "1e6111", OVF, NULL, 0},
    {'+', "9.999999999999999999999999999999999e6144", "4e6110", 0, NULL, 6111},
    {'-', "5", "8", 0, "-3", 0},
    {'-', "0.3", "0.1", 0, "0.2", -1},
    {'-', "-9223372036854775808", "1", 0, "-9223372036854775809", 0},
    {'-', "1e-6176", "1e-6176", 0, "0", -6176},
    {'*', "6", "7", 0, "42", 0},
    {'*', "-6", "7", 0, "-42", 0},
    {'*', "-6", "0", 0, "0", 0},
    {'*', "1.5", "2", 0, "3", -1},
    {'*', "0.1", "0.1", 0, "0.01", -2},
    {'*', "4294967296", "4294967296", 0, "18446744073709551616", 0},
    {'*', "9999999999999999999999999999999999", "9999999999999999999999999999999999", 0,
     "99999999999999999999999999999999980000000000000000000000000000000000", 34},
    {'*', "1e6144", "10", OVF, NULL, 0},
    {'*', "1e3072", "1e3073", OVF, NULL, 0},
    {'*', "1e-6000", "1e-6000", 0, "0", -6176},
    {'*', "-1e-6000", "1e-6000", 0, "0", -6176},
    {'*', "1e-3000", "1e-3000", 0, NULL, -6000},
    {'/', "1", "3", 0, "0.3333333333333333333333333333333333", -34},
    {'/', "2", "3", 0, "0.6666666666666666666666666666666667", -34},
    {'/', "1", "7", 0, "0.1428571428571428571428571428571429", -34},
    {'/', "-1", "7", 0, "-0.1428571428571428571428571428571429", -34},
    {'/', "10", "4", 0, "2.5", -1},
    {'/', "1", "4", 0, "0.25", -2},
    {'/', "6", "2", 0, "3", 0},
    {'/', "6.0", "2", 0, "3", -1},
    {'/', "100", "1e2", 0, "1", -2}, /* 1.00 */
    {'/', "1e2", "1", 0, "100", 2},
    {'/', "1", "8", 0, "0.125", -3},
    {'/', "1", "1e-6000", 0, NULL, 6000},
    {'/', "1", "1e-6145", OVF, NULL, 0},
    {'/', "0", "5", 0, "0", 0},
    {'/', "1", "0", UND, NULL, 0},
    {'/', "0", "0", UND, NULL, 0},
    {'/', "1", "0.000", UND, NULL, 0},
    {'%', "-12", "5", 0, "3", 0},
    {'%', "12", "-5", 0, "-3", 0},
    {'%', "-12", "-5", 0, "-2", 0},
    {'%', "12", "5", 0, "2", 0},
    {'%', "10.1", "4.5", 0, "1.1", -1},
    {'%', "10", "2.5", 0, "0", -1},
    {'%', "0.3", "0.1", 0, "0", -1},
    {'%', "1e40", "7", 0, "4", 0},
    {'%', "-1e40", "7", 0, "3", 0},
    {'%', "1", "1e40", 0, "1", 0},
    {'%', "-1", "1e40", 0, "10000000000000000000000000000000000000000", 7},
    {'%', "5", "0", UND, NULL, 0},
    {'%', "0", "5", 0, "0", 0},
    {'^', "2", "10", 0, "1024", 0},
    {'^', "2", "-2", 0, "0.25", -2},
    {'^', "-2", "3", 0, "-8", 0},
    {'^', "-2", "2", 0, "4", 0},
    {'^', "1.1", "2", 0, "1.21", -2},
    {'^', "10", "35", 0, "100000000000000000000000000000000000", 2},
    {'^', "2", "200", 0,
     "1606938044258990275541962092341163000000000000000000000000000", 27},
    {'^', "7", "100", 0, NULL, 51}, /* 3.234476509624757991344647769100217e84 */
    {'^', "3", "-1", 0, "0.3333333333333333333333333333333333", -34},
    {'^', "7", "-13", 0, "0.00000000001032108797271555561466433463229334", -44},
    {'^', "5", "0", 0, "1", 0},
    {'^', "0", "0", 0, "1", 0},
    {'^', "0", "3", 0, "0", 0},
    {'^', "0", "-1", UND, NULL, 0},
    {'^', "10", "6144", 0, NULL, 6111},
    {'^', "10", "6145", OVF, NULL, 0},
    {'^', "10", "999999999", OVF, NULL, 0},
    {'^', "0.1", "999999999", 0, "0", -6176},
    {'^', "10", "-999999999", 0, "0", -6176},
    {'^', "0.1", "-999999999", OVF, NULL, 0},
    {'^', "10", "-6176", 0, NULL, -6176},
    {'^', "10", "-6177", 0, "0", -6176},
    {'^', "2", "0.5", 0, "1.4142135623730951", ANY_EXP}, /* through double */
    {'^', "-8", "0.5", UND, NULL, 0},
    {'^', "2", "1e10", OVF, NULL, 0},
    {'^', "1", "1e10", 0, "1", ANY_EXP},
};

static int apply_bin(char op, bt_dec *r, const bt_dec *a, const bt_dec *b)
{
    switch (op) {
    case '+': return bt_dec_add(r, a, b);
    case '-': return bt_dec_sub(r, a, b);
    case '*': return bt_dec_mul(r, a, b);
    case '/': return bt_dec_div(r, a, b);
    case '%': return bt_dec_mod(r, a, b);
    default: return bt_dec_pow(r, a, b);
    }
}

static void test_binary(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bin_cases / sizeof *bin_cases; i++) {
        char what[200];
        bt_dec a = num(bin_cases[i].a), b = num(bin_cases[i].b), r;
        snprintf(what, sizeof what, "%s %c %s", bin_cases[i].a,
                 bin_cases[i].op, bin_cases[i].b);
        int rc = apply_bin(bin_cases[i].op, &r, &a, &b);
        if (bin_cases[i].want) {
            check(what, rc, &r, bin_cases[i].rc, bin_cases[i].want,
                  bin_cases[i].exp);
        } else if (rc != bin_cases[i].rc) {
            fail_msg("%s: returned %d, expected %d", what, rc,
                     bin_cases[i].rc);
        } else if (rc == 0 && r.exp != bin_cases[i].exp) {
            fail_msg("%s: exponent %d", what, (int)r.exp);
        }
        /* The result may be one of the operands. */
        if (rc == 0 && bin_cases[i].op != '^') {
            bt_dec x = a;
            assert_int_equal(apply_bin(bin_cases[i].op, &x, &x, &b), 0);
            assert_int_equal(bt_dec_cmp(&x, &r), 0);
        }
    }
}

/* ---- functions of one number ------------------------------------------ */

static void test_unary(void **state)
{
    (void)state;
    bt_dec a, r;
    a = num("2");
    check("sqrt(2)", bt_dec_sqrt(&r, &a), &r, 0,
          "1.414213562373095048801688724209698", -33);
    a = num("4");
    check("sqrt(4)", bt_dec_sqrt(&r, &a), &r, 0, "2", 0);
    a = num("0.25");
    check("sqrt(0.25)", bt_dec_sqrt(&r, &a), &r, 0, "0.5", -1);
    a = num("1.00");
    check("sqrt(1.00)", bt_dec_sqrt(&r, &a), &r, 0, "1", -1);
    a = num("1e-6176");
    assert_int_equal(bt_dec_sqrt(&r, &a), 0);
    assert_int_equal(r.exp, -3088);
    assert_int_equal(r.lo, 1);
    a = num("0");
    check("sqrt(0)", bt_dec_sqrt(&r, &a), &r, 0, "0", 0);
    a = num("-1");
    assert_int_equal(bt_dec_sqrt(&r, &a), UND);
    a = num("1e6144");
    assert_int_equal(bt_dec_sqrt(&r, &a), 0);
    assert_int_equal(r.exp, 3072);
    assert_int_equal(r.lo, 1);

    a = num("1");
    check("ln(1)", bt_dec_ln(&r, &a), &r, 0, "0", ANY_EXP);
    a = num("10");
    check("ln(10)", bt_dec_ln(&r, &a), &r, 0, "2.302585092994046", ANY_EXP);
    a = num("0.5");
    check("ln(0.5)", bt_dec_ln(&r, &a), &r, 0, "-0.6931471805599453",
          ANY_EXP);
    a = num("1e1000"); /* beyond a double, not beyond a decimal */
    check("ln(1e1000)", bt_dec_ln(&r, &a), &r, 0, "2302.5850929940457",
          ANY_EXP);
    a = num("0");
    assert_int_equal(bt_dec_ln(&r, &a), UND);
    a = num("-1");
    assert_int_equal(bt_dec_ln(&r, &a), UND);
    a = num("0");
    check("exp(0)", bt_dec_exp(&r, &a), &r, 0, "1", ANY_EXP);
    a = num("1");
    check("exp(1)", bt_dec_exp(&r, &a), &r, 0, "2.718281828459045", ANY_EXP);
    a = num("1000");
    assert_int_equal(bt_dec_exp(&r, &a), OVF);
    a = num("-1000");
    check("exp(-1000)", bt_dec_exp(&r, &a), &r, 0, "0", ANY_EXP);

    a = num("-1.5");
    bt_dec_neg(&r, &a);
    check("neg", 0, &r, 0, "1.5", -1);
    bt_dec_abs(&r, &a);
    check("abs", 0, &r, 0, "1.5", -1);
    a = num("0");
    bt_dec_neg(&r, &a);
    check("neg(0)", 0, &r, 0, "0", 0);
    assert_int_equal(bt_dec_sign(&r), 0);
    a = num("-0.001");
    assert_int_equal(bt_dec_sign(&a), -1);
    assert_false(bt_dec_is_zero(&a));
}

/* ---- conversions ------------------------------------------------------- */

static void test_to_int(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int ok, is_int;
        int64_t want;
    } cases[] = {
        {"0", 1, 1, 0},
        {"0.000", 1, 1, 0},
        {"42", 1, 1, 42},
        {"-42", 1, 1, -42},
        {"1.0", 1, 1, 1},
        {"1.5", 0, 0, 0},
        {"1e18", 1, 1, 1000000000000000000},
        {"9.223372036854775807e18", 1, 1, INT64_MAX},
        {"9223372036854775807", 1, 1, INT64_MAX},
        {"9223372036854775807.000", 1, 1, INT64_MAX},
        {"9223372036854775808", 0, 1, 0},
        {"-9223372036854775808", 1, 1, INT64_MIN},
        {"-9223372036854775808.0000000000", 1, 1, INT64_MIN},
        {"-9223372036854775809", 0, 1, 0},
        {"1e19", 0, 1, 0},
        {"1e100", 0, 1, 0},
        {"12300", 1, 1, 12300},
        {"1.23e4", 1, 1, 12300},
        {"123.000000000000000000000000000000", 1, 1, 123},
        {"1e-40", 0, 0, 0},
        {"1234567890123456789012345678901234e-34", 0, 0, 0},
        {"1000000000000000000000000000000000e-33", 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bt_dec a = num(cases[i].in);
        int64_t v = -7;
        int ok = bt_dec_to_int(&a, &v);
        if (ok != cases[i].ok || (ok && v != cases[i].want))
            fail_msg("to_int(%s) = %d, %lld", cases[i].in, ok, (long long)v);
        if (bt_dec_is_int(&a) != cases[i].is_int)
            fail_msg("is_int(%s) = %d", cases[i].in, bt_dec_is_int(&a));
    }
    bt_dec d;
    char buf[BT_DEC_BUFSZ];
    bt_dec_from_int(&d, INT64_MIN);
    bt_dec_format(&d, buf);
    assert_string_equal(buf, "-9223372036854775808");
    bt_dec_from_int(&d, INT64_MAX);
    bt_dec_format(&d, buf);
    assert_string_equal(buf, "9223372036854775807");
    bt_dec_from_int(&d, 0);
    assert_true(bt_dec_is_zero(&d));
    assert_int_equal(d.neg, 0);
}

static void test_from_double(void **state)
{
    (void)state;
    static const struct {
        double d;
        const char *want;
        int32_t exp;
    } cases[] = {
        {0.1, "0.1", -1},
        {0.3, "0.3", -1},
        {0.1 + 0.2, "0.30000000000000004", -17},
        {1e-7, "0.0000001", -7},
        {1e21, "1000000000000000000000", 21},
        {123.456, "123.456", -3},
        {-2.5, "-2.5", -1},
        {1.0 / 3.0, "0.3333333333333333", -16},
        {100, "100", 0},
        {4.35, "4.35", -2},
        {5e-324, NULL, -324},           /* the smallest subnormal */
        {2.2250738585072014e-308, NULL, -324}, /* DBL_MIN */
        {1.7976931348623157e308, NULL, 292},   /* DBL_MAX */
        {-0.0, "0", 0},
        {0.0, "0", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bt_dec r;
        char what[64];
        snprintf(what, sizeof what, "from_double(%.17g)", cases[i].d);
        int rc = bt_dec_from_double(&r, cases[i].d);
        if (cases[i].want)
            check(what, rc, &r, 0, cases[i].want, cases[i].exp);
        else if (rc != 0 || r.exp != cases[i].exp)
            fail_msg("%s: %d, exponent %d", what, rc, (int)r.exp);
        assert_true(bt_dec_to_double(&r) == cases[i].d);
    }
    bt_dec r;
    assert_int_equal(bt_dec_from_double(&r, 5e-324), 0);
    assert_int_equal(r.lo, 5);
    assert_int_equal(bt_dec_from_double(&r, -0.0), 0);
    assert_int_equal(r.neg, 0);
    assert_int_equal(bt_dec_from_double(&r, NAN), UND);
    assert_int_equal(bt_dec_from_double(&r, INFINITY), UND);
    assert_int_equal(bt_dec_from_double(&r, -INFINITY), UND);

    bt_dec a = num("1e400");
    assert_true(isinf(bt_dec_to_double(&a)));
    a = num("0.1");
    assert_true(bt_dec_to_double(&a) == 0.1);
    a = num("-1234567890.123456789");
    assert_true(bt_dec_to_double(&a) == -1234567890.123456789);
}

/* ---- rounding to a scale ---------------------------------------------- */

static const struct {
    const char *in;
    int64_t scale;
    int mode;
    int rc;
    const char *want;
    int32_t exp;
} round_cases[] = {
    /* decimal(): half even */
    {"2.5", 0, BT_ROUND_HALF_EVEN, 0, "2", 0},
    {"3.5", 0, BT_ROUND_HALF_EVEN, 0, "4", 0},
    {"-2.5", 0, BT_ROUND_HALF_EVEN, 0, "-2", 0},
    {"1.2345", 3, BT_ROUND_HALF_EVEN, 0, "1.234", -3},
    {"1.2355", 3, BT_ROUND_HALF_EVEN, 0, "1.236", -3},
    {"1.23451", 3, BT_ROUND_HALF_EVEN, 0, "1.235", -3},
    {"0.3333333333333333333333333333333333", 2, BT_ROUND_HALF_EVEN, 0,
     "0.33", -2},
    {"1", 2, BT_ROUND_HALF_EVEN, 0, "1", -2},       /* 1.00 */
    {"9.99", 1, BT_ROUND_HALF_EVEN, 0, "10", -1},   /* 10.0 */
    {"-0.4", 0, BT_ROUND_HALF_EVEN, 0, "0", 0},
    {"1250", -2, BT_ROUND_HALF_EVEN, 0, "1200", 2},
    {"1350", -2, BT_ROUND_HALF_EVEN, 0, "1400", 2},
    {"5", -1, BT_ROUND_HALF_EVEN, 0, "0", 1},
    {"15", -1, BT_ROUND_HALF_EVEN, 0, "20", 1},
    {"1.5", 10000, BT_ROUND_HALF_EVEN, 0, "1.5", -1},
    {"1234567890123456789012345678901234", 2, BT_ROUND_HALF_EVEN, 0,
     "1234567890123456789012345678901234", 0}, /* no room for the zeros */
    /* half up: ties away from zero */
    {"2.5", 0, BT_ROUND_HALF_UP, 0, "3", 0},
    {"-2.5", 0, BT_ROUND_HALF_UP, 0, "-3", 0},
    {"2.4", 0, BT_ROUND_HALF_UP, 0, "2", 0},
    {"5.5", 0, BT_ROUND_HALF_UP, 0, "6", 0},
    {"1250", -2, BT_ROUND_HALF_UP, 0, "1300", 2},
    {"-1.125", 2, BT_ROUND_HALF_UP, 0, "-1.13", -2},
    /* half down: ties toward zero */
    {"2.5", 0, BT_ROUND_HALF_DOWN, 0, "2", 0},
    {"-2.5", 0, BT_ROUND_HALF_DOWN, 0, "-2", 0},
    {"2.51", 0, BT_ROUND_HALF_DOWN, 0, "3", 0},
    {"-1.126", 2, BT_ROUND_HALF_DOWN, 0, "-1.13", -2},
    {"1250", -2, BT_ROUND_HALF_DOWN, 0, "1200", 2},
    /* up: away from zero */
    {"2.1", 0, BT_ROUND_UP, 0, "3", 0},
    {"-2.1", 0, BT_ROUND_UP, 0, "-3", 0},
    {"2.0", 0, BT_ROUND_UP, 0, "2", 0},
    {"5.5", 0, BT_ROUND_UP, 0, "6", 0},
    {"0.001", 0, BT_ROUND_UP, 0, "1", 0},
    {"149", -2, BT_ROUND_UP, 0, "200", 2},
    {"123", -5, BT_ROUND_UP, 0, "100000", 5},
    {"1", -6144, BT_ROUND_UP, 0, NULL, 6144},
    {"1", -6145, BT_ROUND_UP, OVF, NULL, 0},
    {"1", -7000, BT_ROUND_UP, OVF, NULL, 0},
    /* down: toward zero */
    {"2.9", 0, BT_ROUND_DOWN, 0, "2", 0},
    {"-2.9", 0, BT_ROUND_DOWN, 0, "-2", 0},
    {"123", -5, BT_ROUND_DOWN, 0, "0", 5},
    {"-0.9", 0, BT_ROUND_DOWN, 0, "0", 0},
    {"1", INT64_MIN, BT_ROUND_DOWN, 0, "0", BT_DEC_EMAX},
    /* ceiling: toward +infinity */
    {"2.1", 0, BT_ROUND_CEILING, 0, "3", 0},
    {"-2.9", 0, BT_ROUND_CEILING, 0, "-2", 0},
    {"-1250", -2, BT_ROUND_CEILING, 0, "-1200", 2},
    {"0.0001", 2, BT_ROUND_CEILING, 0, "0.01", -2},
    /* floor: toward -infinity */
    {"2.9", 0, BT_ROUND_FLOOR, 0, "2", 0},
    {"-2.1", 0, BT_ROUND_FLOOR, 0, "-3", 0},
    {"-1250", -2, BT_ROUND_FLOOR, 0, "-1300", 2},
    {"-0.0001", 2, BT_ROUND_FLOOR, 0, "-0.01", -2},
    {"1.99", 1, BT_ROUND_FLOOR, 0, "1.9", -1},
};

static void test_round(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof round_cases / sizeof *round_cases; i++) {
        char what[100];
        bt_dec a = num(round_cases[i].in), r;
        snprintf(what, sizeof what, "round(%s, %lld, mode %d)",
                 round_cases[i].in, (long long)round_cases[i].scale,
                 round_cases[i].mode);
        int rc = bt_dec_round(&r, &a, round_cases[i].scale,
                              round_cases[i].mode);
        if (round_cases[i].want) {
            check(what, rc, &r, round_cases[i].rc, round_cases[i].want,
                  round_cases[i].exp);
        } else if (rc != round_cases[i].rc) {
            fail_msg("%s: returned %d", what, rc);
        } else if (rc == 0 && r.exp != round_cases[i].exp) {
            fail_msg("%s: exponent %d", what, (int)r.exp);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_cmp),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_to_int),
        cmocka_unit_test(test_from_double),
        cmocka_unit_test(test_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
