/* Unit tests of the expression language (lib/feel/): results of FEEL and
 * JUEL expressions over a set of variables, compile errors with their
 * columns and messages, the limits, and allocation failures in both the
 * compiler (through the arena) and the evaluator (through jansson). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <locale.h>

#include <cmocka.h>

#include "baton.h"
#include "feel/feel.h"

/* ------------------------------------------------------------------ */
/* jansson's allocator, counted, and failing on request                */
/* ------------------------------------------------------------------ */

static long j_calls;   /* allocations attempted */
static long j_fail_at; /* fail the allocation with this number; 0: never */
static long j_live;    /* blocks allocated and not yet freed */

static void *j_malloc(size_t n)
{
    if (++j_calls == j_fail_at)
        return NULL;
    void *p = malloc(n);
    if (p)
        j_live++;
    return p;
}

static void j_free(void *p)
{
    if (p) {
        j_live--;
        free(p);
    }
}

/* ------------------------------------------------------------------ */
/* Variables and helpers                                               */
/* ------------------------------------------------------------------ */

static const char *vars_text =
    "{\"a\": 1, \"b\": 2, \"half\": 0.5, \"huge\": 1e308,"
    " \"big\": 9223372036854775807, \"small\": -9223372036854775808,"
    " \"s\": \"abc\", \"empty\": \"\", \"uni\": \"\\u00e9\","
    " \"t\": true, \"f\": false, \"n\": null,"
    " \"amount\": 1500, \"vip\": true, \"approved\": false, \"x\": \"a\","
    " \"order\": {\"id\": \"o-1\", \"amount\": 1500, \"items\": [1, 2],"
    "            \"customer\": {\"name\": \"Ann\", \"vip\": true}},"
    " \"list\": [1, 2, 3], \"list2\": [1, 2.0, 3], \"list3\": [1, 2, 4],"
    " \"obj\": {\"x\": 1, \"y\": [1, {\"z\": \"q\"}]},"
    " \"obj2\": {\"y\": [1.0, {\"z\": \"q\"}], \"x\": 1.0},"
    " \"obj3\": {\"x\": 1, \"y\": [1, {\"z\": \"r\"}]}}";

static json_t *vars;

static json_t *lookup(void *ctx, const char *name, size_t len)
{
    char key[128];
    if (len >= sizeof key)
        return NULL;
    memcpy(key, name, len);
    key[len] = '\0';
    return json_object_get(ctx, key);
}

static bt_alloc std_alloc = {bt_default_alloc, NULL};

static int eval_in(const bt_expr *e, bt_lookup_fn fn, json_t *ctx,
                   json_t **out)
{
    bt_expr_env env = { &std_alloc, fn, ctx, 0, NULL, NULL, NULL, 0 };
    return bt_expr_eval(e, &env, out);
}

/* Compact, ASCII-only JSON text of `j`, in memory from malloc(). */
static char *dump(const json_t *j)
{
    char *t = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
    const char *src = t ? t : "(dump failed)";
    char *s = malloc(strlen(src) + 1);
    strcpy(s, src);
    j_free(t);
    return s;
}

/* Compiles, evaluates and renders the result as compact JSON (ASCII, so
 * expected values can be written plainly); NULL-terminated error text in
 * `err` when the compile fails. */
static char *run(int dialect, const char *text, size_t len)
{
    bt_arena ar;
    bt_expr *e = NULL;
    bt_expr_error err;
    json_t *out = NULL;
    char *s;
    bt_arena_init(&ar, &std_alloc);
    int rc = bt_expr_compile(&ar, text, len, dialect, &e, &err);
    if (rc) {
        size_t n = strlen(err.message) + 64;
        s = malloc(n);
        snprintf(s, n, "compile error %d at %d: %s", rc, err.column,
                 err.message);
    } else if ((rc = eval_in(e, lookup, vars, &out)) != 0) {
        s = malloc(64);
        snprintf(s, 64, "eval error %d", rc);
    } else {
        s = dump(out);
        json_decref(out);
    }
    bt_arena_free(&ar);
    return s;
}

static void check_at(int dialect, const char *text, const char *want,
                     const char *file, int line)
{
    char *got = run(dialect, text, strlen(text));
    if (strcmp(got, want) != 0) {
        print_error("%s:%d: %s\n  expected %s\n  got      %s\n", file, line,
                    text, want, got);
        free(got);
        _fail(file, line);
    }
    free(got);
}

#define FEEL(text, want) check_at(BT_EXPR_FEEL, text, want, __FILE__, __LINE__)
#define JUEL(text, want) check_at(BT_EXPR_JUEL, text, want, __FILE__, __LINE__)

static void check_error_at(int dialect, const char *text, size_t len,
                           int column, const char *message, const char *file,
                           int line)
{
    bt_arena ar;
    bt_expr *e = (bt_expr *)&ar; /* must be reset to NULL */
    bt_expr_error err;
    bt_arena_init(&ar, &std_alloc);
    int rc = bt_expr_compile(&ar, text, len, dialect, &e, &err);
    if (rc != BATON_EEXPR || err.column != column ||
        strcmp(err.message, message) != 0 || e != NULL) {
        print_error("%s:%d: %.60s\n  expected %d at %d: %s\n  got      %d at %d: %s\n",
                    file, line, text, BATON_EEXPR, column, message, rc,
                    err.column, err.message);
        bt_arena_free(&ar);
        _fail(file, line);
    }
    bt_arena_free(&ar);
}

#define FEEL_ERR(text, col, msg)                                            \
    check_error_at(BT_EXPR_FEEL, text, strlen(text), col, msg, __FILE__,    \
                   __LINE__)
#define JUEL_ERR(text, col, msg)                                            \
    check_error_at(BT_EXPR_JUEL, text, strlen(text), col, msg, __FILE__,    \
                   __LINE__)

/* ------------------------------------------------------------------ */
/* FEEL results                                                        */
/* ------------------------------------------------------------------ */

static void test_literals(void **state)
{
    (void)state;
    FEEL("1", "1");
    FEEL("42", "42");
    FEEL("1.5", "1.5");
    FEEL("0.25", "0.25");
    FEEL("-3", "-3");
    FEEL("- 2.5", "-2.5");
    FEEL("true", "true");
    FEEL("false", "false");
    FEEL("null", "null");
    FEEL("\"hi\"", "\"hi\"");
    FEEL("\"\"", "\"\"");
    FEEL("  \n\t 7 \r\n", "7");
    FEEL("9223372036854775807", "9223372036854775807");
    FEEL("-9223372036854775807", "-9223372036854775807");
    /* Too large for int64: a real. */
    FEEL("9223372036854775808", "9.2233720368547758e18");
    FEEL("123456789012345678901234567890", "1.2345678901234568e29");
    FEEL("1 + /* two */ 2 // and a comment", "3");
}

static void test_strings(void **state)
{
    (void)state;
    FEEL("\"a\\\"b\"", "\"a\\\"b\"");
    FEEL("\"back\\\\slash\"", "\"back\\\\slash\"");
    FEEL("\"\\n\\t\\r\"", "\"\\n\\t\\r\"");
    FEEL("\"it\\'s\"", "\"it's\"");
    FEEL("\"\\u0041\\u00e9\\u20AC\"", "\"A\\u00E9\\u20AC\"");
    FEEL("\"\\uD83D\\uDE00\"", "\"\\uD83D\\uDE00\"");
    FEEL("\"caf\xc3\xa9\"", "\"caf\\u00E9\"");
    FEEL("\"\xf0\x9f\x98\x80\" = \"\\uD83D\\uDE00\"", "true");
    FEEL("\"a\\u0000b\"", "\"a\\u0000b\"");
    FEEL("uni = \"\\u00e9\"", "true");
    FEEL("\"}{][\"", "\"}{][\"");
}

static void test_paths(void **state)
{
    (void)state;
    FEEL("a", "1");
    FEEL("order.id", "\"o-1\"");
    FEEL("order.customer.name", "\"Ann\"");
    FEEL("order . customer . vip", "true");
    FEEL("order.customer", "{\"name\":\"Ann\",\"vip\":true}");
    FEEL("order.items", "[1,2]");
    FEEL("missing", "null");
    FEEL("missing.x.y", "null");
    FEEL("order.missing", "null");
    FEEL("order.missing.deeper", "null");
    FEEL("s.length", "null");
    /* a path over a list maps over its items */
    FEEL("order.items.x", "[null,null]");
    FEEL("n.x", "null");
    FEEL("a.b", "null");
    FEEL("(order).customer.name", "\"Ann\"");
    FEEL("(order.customer).name", "\"Ann\"");
    FEEL("\"str\".x", "null");
    FEEL("(s + s).x", "null");
    FEEL("$_x1", "null");
}

static void test_equality(void **state)
{
    (void)state;
    FEEL("a = 1", "true");
    FEEL("a = 1.0", "true");
    FEEL("1 = 1.0", "true");
    FEEL("half = 0.5", "true");
    FEEL("a != 2", "true");
    FEEL("s = \"abc\"", "true");
    FEEL("s != \"abc\"", "false");
    FEEL("s = \"abcd\"", "false");
    FEEL("t = true", "true");
    FEEL("t = f", "false");
    FEEL("null = null", "true");
    FEEL("n = null", "true");
    FEEL("missing = null", "true");
    FEEL("missing = n", "true");
    FEEL("a = null", "false");
    FEEL("null = a", "false");
    FEEL("a != null", "true");
    FEEL("null != null", "false");
    /* Values of different kinds do not compare: null. */
    FEEL("1 = \"1\"", "null");
    FEEL("1 != \"1\"", "null");
    FEEL("t = 1", "null");
    FEEL("list = obj", "null");
    /* Deep, with numbers by value. */
    FEEL("list = list2", "true");
    FEEL("list = list3", "false");
    FEEL("obj = obj2", "true");
    FEEL("obj = obj3", "false");
    FEEL("order = order", "true");
    FEEL("order.items = list", "false");
    /* Exact integer/real comparison at the edge of int64. */
    FEEL("big = 9223372036854775807", "true");
    FEEL("big = 9223372036854775808", "false");
    FEEL("big < 9223372036854775808", "true");
    FEEL("9007199254740993 = 9007199254740992.0", "false");
    FEEL("9007199254740993 > 9007199254740992.0", "true");
    FEEL("small = -9223372036854775808", "true");
    FEEL("1.5 > 1", "true");
    FEEL("-1.5 < -1", "true");
    FEEL("-0.5 > -1", "true");
}

static void test_ordering(void **state)
{
    (void)state;
    FEEL("1 < 2", "true");
    FEEL("2 < 1", "false");
    FEEL("2 <= 2", "true");
    FEEL("3 > 2.5", "true");
    FEEL("2.5 >= 3", "false");
    FEEL("amount >= 1500", "true");
    FEEL("\"abc\" < \"abd\"", "true");
    FEEL("\"ab\" < \"abc\"", "true");
    FEEL("\"b\" > \"abc\"", "true");
    FEEL("s <= \"abc\"", "true");
    FEEL("\"Z\" < \"a\"", "true");
    FEEL("\"\xc3\xa9\" > \"z\"", "true");
    /* Across kinds, or on kinds without an order: null. */
    FEEL("1 < \"2\"", "null");
    FEEL("\"2\" > 1", "null");
    FEEL("t < f", "null");
    FEEL("n < 1", "null");
    FEEL("missing > 0", "null");
    FEEL("list < list", "null");
    FEEL("null <= null", "null");
}

static void test_logic(void **state)
{
    (void)state;
    /* The full three-valued tables. */
    FEEL("true and true", "true");
    FEEL("true and false", "false");
    FEEL("true and null", "null");
    FEEL("false and true", "false");
    FEEL("false and false", "false");
    FEEL("false and null", "false");
    FEEL("null and true", "null");
    FEEL("null and false", "false");
    FEEL("null and null", "null");
    FEEL("true or true", "true");
    FEEL("true or false", "true");
    FEEL("true or null", "true");
    FEEL("false or true", "true");
    FEEL("false or false", "false");
    FEEL("false or null", "null");
    FEEL("null or true", "true");
    FEEL("null or false", "null");
    FEEL("null or null", "null");
    /* Non-booleans count as null. */
    FEEL("1 and true", "null");
    FEEL("\"x\" and false", "false");
    FEEL("s or true", "true");
    FEEL("list or false", "null");
    FEEL("missing and t", "null");
    FEEL("f and missing.x", "false");
    FEEL("t and t and f", "false");
    FEEL("f or f or t", "true");
    FEEL("n or f or f", "null");
    FEEL("t and t and t and t", "true");
    FEEL("not(true)", "false");
    FEEL("not(false)", "true");
    FEEL("not(null)", "null");
    FEEL("not(1)", "null");
    FEEL("not(\"true\")", "null");
    FEEL("not(missing)", "null");
    FEEL("not(a > 0)", "false");
    FEEL("not(not(t))", "true");
    FEEL("not (f)", "true");
    FEEL("not(f) and t", "true");
}

static void test_precedence(void **state)
{
    (void)state;
    FEEL("1 + 2 * 3", "7");
    FEEL("(1 + 2) * 3", "9");
    FEEL("10 - 2 - 3", "5");
    FEEL("12 / 2 / 3", "2");
    FEEL("2 * 3 / 4", "1.5");
    FEEL("-2 * 3", "-6");
    FEEL("- a", "-1");
    FEEL("-(a + b)", "-3");
    FEEL("--a", "1");
    FEEL("1 - -1", "2");
    FEEL("1 + 2 = 3", "true");
    FEEL("a + 1 > b - 1", "true");
    FEEL("1 < 2 and 3 < 4", "true");
    FEEL("t or f and f", "true");
    FEEL("(t or f) and f", "false");
    FEEL("a = 1 or b = 1 and f", "true");
    FEEL("-order.amount", "-1500");
}

static void test_arithmetic(void **state)
{
    (void)state;
    FEEL("1 + 2", "3");
    FEEL("a + b", "3");
    FEEL("1.5 + 1", "2.5");
    FEEL("1 + 0.5", "1.5");
    FEEL("1.5 * 2", "3");
    FEEL("0.1 + 0.2", "0.29999999999999999");
    FEEL("7 / 2", "3.5");
    FEEL("6 / 3", "2");
    FEEL("-6 / 3", "-2");
    FEEL("0 / 5", "0");
    FEEL("1 / 3", "0.33333333333333331");
    FEEL("3.0 / 1.5", "2");
    FEEL("1 / 0", "null");
    FEEL("1.5 / 0", "null");
    FEEL("1 / 0.0", "null");
    FEEL("0 / 0", "null");
    FEEL("5 - 7", "-2");
    FEEL("2 * 3", "6");
    /* Overflow falls back to a real. */
    FEEL("big + 1", "9.2233720368547758e18");
    FEEL("small - 1", "-9.2233720368547758e18");
    FEEL("big * 2", "1.8446744073709552e19");
    FEEL("small / -1", "9.2233720368547758e18");
    FEEL("-small", "9.2233720368547758e18");
    FEEL("big / -1", "-9223372036854775807");
    FEEL("big - big", "0");
    /* Not representable: null. */
    FEEL("huge * 10", "null");
    FEEL("-huge - huge", "null");
    /* Strings. */
    FEEL("s + \"def\"", "\"abcdef\"");
    FEEL("\"\" + empty", "\"\"");
    FEEL("s + s + s", "\"abcabcabc\"");
    FEEL("uni + \"!\"", "\"\\u00E9!\"");
    /* Anything else: null. */
    FEEL("s + 1", "null");
    FEEL("1 + \"a\"", "null");
    FEEL("s - \"a\"", "null");
    FEEL("s * 2", "null");
    FEEL("t + 1", "null");
    FEEL("n + 1", "null");
    FEEL("missing + 1", "null");
    FEEL("list + list", "null");
    FEEL("-s", "null");
    FEEL("-t", "null");
    FEEL("-missing", "null");
    FEEL("null + 1 + 2", "null");
}

/* ------------------------------------------------------------------ */
/* JUEL                                                                */
/* ------------------------------------------------------------------ */

static void test_juel(void **state)
{
    (void)state;
    JUEL("${!approved}", "true");
    JUEL("${amount > 1000 && vip}", "true");
    JUEL("#{x eq 'a'}", "true");
    JUEL("${x == \"a\"}", "true");
    JUEL("${x != 'a'}", "false");
    JUEL("${x ne 'b'}", "true");
    JUEL("${a lt b}", "true");
    JUEL("${a gt b}", "false");
    JUEL("${a le 1}", "true");
    JUEL("${a ge 2}", "false");
    JUEL("${not approved}", "true");
    JUEL("${approved or vip}", "true");
    JUEL("${approved || vip}", "true");
    JUEL("${approved and vip}", "false");
    JUEL("${!!vip}", "true");
    JUEL("${! vip && vip}", "false");
    JUEL("${order.customer.vip}", "true");
    JUEL("${order.customer.name == 'Ann'}", "true");
    JUEL("${ 'it\\'s' }", "\"it's\"");
    JUEL("${\"say \\\"hi\\\"\"}", "\"say \\\"hi\\\"\"");
    JUEL("${'a\\\\b'}", "\"a\\\\b\"");
    JUEL("${'a' + 'b'}", "\"ab\"");
    JUEL("${'}'}", "\"}\"");
    JUEL("${6 div 3}", "2");
    JUEL("${7 / 2}", "3.5");
    JUEL("${1.5e3}", "1500");
    JUEL("${2E-1}", "0.20000000000000001");
    JUEL("${-a}", "-1");
    JUEL("${null == missing}", "true");
    JUEL("${missing.x}", "null");
    JUEL("${true}", "true");
    /* JUEL keeps Java's levels: relational binds tighter than equality,
     * and equality associates to the left. */
    JUEL("${a < b == true}", "true");
    JUEL("${a == 1 == true}", "true");
    JUEL("${1 < 2 < 3}", "null");
    JUEL("  \n${vip}\n  ", "true");
    JUEL("${a + b * 2 == 5 && (vip || approved)}", "true");
}

/* ------------------------------------------------------------------ */
/* Compile errors                                                      */
/* ------------------------------------------------------------------ */

static void test_feel_errors(void **state)
{
    (void)state;
    FEEL_ERR("", 1, "empty expression");
    FEEL_ERR("   ", 1, "empty expression");
    FEEL_ERR("(1 + 2", 7, "expected ')' but found end of expression");
    FEEL_ERR("(1 + 2 3)", 8, "expected ')' but found '3'");
    FEEL_ERR("1 +", 4, "expected an operand but found end of expression");
    FEEL_ERR("1 + * 2", 5, "expected an operand but found '*'");
    FEEL_ERR("a b", 3, "expected an operator or end of expression but found 'b'");
    FEEL_ERR("a )", 3, "expected an operator or end of expression but found ')'");
    FEEL_ERR("\"\xc3\xa9\" = b c", 9,
             "expected an operator or end of expression but found 'c'");
    FEEL_ERR("a = \"a very long string literal that goes on\" \"x\"", 47,
             "expected an operator or end of expression but found '\"x\"'");
    FEEL_ERR("foo(1)", 1, "unknown function 'foo'");
    FEEL_ERR("not()", 1, "not() does not take this number of arguments");
    FEEL_ERR("not(a, b)", 1, "not() does not take this number of arguments");
    FEEL_ERR("not(a", 6, "expected ',' or ')' after an argument but found end of expression");
    FEEL_ERR("a < b < c", 7, "comparisons do not chain in FEEL; join them with 'and'");
    FEEL_ERR("a = b = c", 7, "comparisons do not chain in FEEL; join them with 'and'");
    FEEL_ERR("a.", 3, "expected a name after '.' but found end of expression");
    FEEL_ERR("a.1", 2, "expected an operator or end of expression but found '.1'");
    FEEL_ERR("\"abc", 1, "unterminated string");
    FEEL_ERR("\"abc\\\"", 1, "unterminated string");
    FEEL_ERR("\"\\u12G4\"", 2, "invalid \\u escape in string");
    FEEL_ERR("\"\\u12\"", 2, "invalid \\u escape in string");
    FEEL_ERR("\"\\uD800\"", 2, "unpaired surrogate in \\u escape");
    FEEL_ERR("\"\\uDC00\\uD800\"", 2, "unpaired surrogate in \\u escape");
    FEEL_ERR("\"x\\uD800\\u0041\"", 3, "unpaired surrogate in \\u escape");
    FEEL_ERR("\"ok\xff\"", 4, "invalid UTF-8 in string");
    FEEL_ERR("\"\xed\xa0\x80\"", 2, "invalid UTF-8 in string");
    FEEL_ERR("\"\xc0\xaf\"", 2, "invalid UTF-8 in string");
    FEEL_ERR("12abc", 1, "invalid number '12abc'");
    FEEL_ERR("1 # 2", 3, "unexpected character '#'");
    FEEL_ERR("a \xc3\xa9", 3, "expected an operator or end of expression but found 'é'");
    FEEL_ERR("a \x01", 3, "unexpected byte 0x01");
    FEEL_ERR("a \xff", 3, "invalid UTF-8 in name");
    FEEL_ERR("a == b", 3, "'==' is not FEEL; use '='");
    FEEL_ERR("a && b", 3, "'&&' is not FEEL; use 'and'");
    FEEL_ERR("a || b", 3, "'||' is not FEEL; use 'or'");
    FEEL_ERR("!a", 1, "'!' is not FEEL; use not(...)");
    FEEL_ERR("'a'", 1, "FEEL strings use \"...\", not '...'");
    FEEL_ERR("1..2", 2, "expected an operator or end of expression but found '..'");
    FEEL_ERR("1 + /* open", 5, "unterminated comment");
    FEEL_ERR(" ${a}", 2, "'${...}' is JUEL; FEEL needs no braces");
    FEEL_ERR("#{a}", 1, "'#{...}' is JUEL; FEEL needs no braces");
    FEEL_ERR("$a {", 4, "expected an operator or end of expression but found '{'");
}

/* A long token is quoted cut short, so the message stays readable. */
static void test_error_truncation(void **state)
{
    (void)state;
    FEEL_ERR("a \"a very long string literal that goes on\"", 3,
             "expected an operator or end of expression but found "
             "'\"a very long string lite...'");
}

static void test_juel_errors(void **state)
{
    (void)state;
    JUEL_ERR("${a = 1}", 5, "JUEL assignment is not supported");
    JUEL_ERR("${x -> x}", 5, "JUEL lambdas are not supported");
    JUEL_ERR("${a; b}", 4, "JUEL's ';' is not supported");
    JUEL_ERR("${a instanceof b}", 5, "JUEL's instanceof is not supported");
    JUEL_ERR("abc${x}", 1, "unsupported JUEL construct: text outside ${...}");
    JUEL_ERR("${x}abc", 5, "unsupported JUEL construct: text outside ${...}");
    JUEL_ERR("${a} ${b}", 6, "unsupported JUEL construct: text outside ${...}");
    JUEL_ERR("approved", 1, "unsupported JUEL construct: text outside ${...}");
    JUEL_ERR("$ {a}", 1, "unsupported JUEL construct: text outside ${...}");
    JUEL_ERR("", 1, "unsupported JUEL construct: text outside ${...}");
    JUEL_ERR("${}", 3, "empty expression");
    JUEL_ERR("${ }", 4, "empty expression");
    JUEL_ERR("${a", 4, "expected '}' but found end of expression");
    JUEL_ERR("${a b}", 5, "expected '}' but found 'b'");
    JUEL_ERR("${a +}", 6, "expected an operand but found '}'");
    JUEL_ERR("${'abc}", 3, "unterminated string");
    JUEL_ERR("${a & b}", 5, "unexpected character '&'");
    JUEL_ERR("${a.}", 5, "expected a property name after '.' but found '}'");
}

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

static char *repeat(const char *pre, size_t n, const char *mid,
                    const char *post, size_t m)
{
    size_t lp = strlen(pre), lm = strlen(mid), lq = strlen(post);
    /* Room for a short suffix the caller may append. */
    char *s = malloc(lp * n + lm + lq * m + 32), *o = s;
    for (size_t i = 0; i < n; i++, o += lp)
        memcpy(o, pre, lp);
    memcpy(o, mid, lm);
    o += lm;
    for (size_t i = 0; i < m; i++, o += lq)
        memcpy(o, post, lq);
    *o = '\0';
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    char *s = repeat("(", 63, "1", ")", 63);
    FEEL(s, "1");
    free(s);
    s = repeat("(", 64, "1", ")", 64);
    FEEL_ERR(s, 65, "expression nested too deeply (more than 64 levels)");
    free(s);

    clock_t t0 = clock();
    s = repeat("(", 10000, "1", ")", 10000);
    FEEL_ERR(s, 65, "expression nested too deeply (more than 64 levels)");
    free(s);
    s = repeat("not(", 10000, "t", ")", 10000);
    FEEL_ERR(s, 257, "expression nested too deeply (more than 64 levels)");
    free(s);
    s = repeat("-", 10000, "1", "", 0);
    FEEL_ERR(s, 64, "expression nested too deeply (more than 64 levels)");
    free(s);
    s = repeat("${", 1, "", "!", 10000);
    JUEL_ERR(s, 66, "expression nested too deeply (more than 64 levels)");
    free(s);
    /* Refused at the cap, not after walking the whole input. */
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);

    s = repeat("-", 63, "1", "", 0);
    FEEL(s, "-1");
    free(s);

    /* Few parentheses, but a tall tree: every level holds an or, an and,
     * a comparison, a sum and a product. */
    s = repeat("f or t and 1 = 1 + 2 * (", 20, "1", ")", 20);
    FEEL(s, "false");
    free(s);
    s = repeat("f or t and 1 = 1 + 2 * (", 40, "1", ")", 40);
    FEEL_ERR(s, 344, "expression too deep (a chain of more than 128 operations)");
    free(s);
}

static void test_long(void **state)
{
    (void)state;
    /* A long flat chain stays flat: no nesting, no recursion. */
    char *s = repeat("1 + ", 16383, "1", "", 0);
    assert_true(strlen(s) <= 65536);
    FEEL(s, "16384");
    free(s);
    s = repeat("t and ", 10000, "t", "", 0);
    FEEL(s, "true");
    free(s);
    s = repeat("order.", 5000, "x", "", 0);
    FEEL(s, "null");
    free(s);

    s = repeat(" ", 65535, "1", "", 0);
    FEEL(s, "1");
    free(s);
    s = repeat(" ", 65536, "1", "", 0);
    FEEL_ERR(s, 1, "expression too long (more than 65536 bytes)");
    free(s);
}

/* ------------------------------------------------------------------ */
/* The rest of the interface                                           */
/* ------------------------------------------------------------------ */

static void test_text_and_path(void **state)
{
    (void)state;
    bt_arena ar;
    bt_expr *e;
    bt_expr_error err;
    bt_arena_init(&ar, &std_alloc);

    char text[] = "  order.id = \"o-1\"  and more";
    assert_int_equal(bt_expr_compile(&ar, text, 20, BT_EXPR_FEEL, &e, &err), 0);
    assert_string_equal(bt_expr_text(e), "  order.id = \"o-1\"  ");
    assert_ptr_not_equal(bt_expr_text(e), text);
    assert_int_equal(bt_expr_is_path(e), 0);

    static const struct {
        int dialect;
        const char *text;
        int path;
    } cases[] = {
        {BT_EXPR_FEEL, "a", 1},          {BT_EXPR_FEEL, " a.b.c ", 1},
        {BT_EXPR_FEEL, "order.id", 1},   {BT_EXPR_FEEL, "a + 1", 0},
        {BT_EXPR_FEEL, "\"a\"", 0},      {BT_EXPR_FEEL, "not(a)", 0},
        {BT_EXPR_FEEL, "-a", 0},         {BT_EXPR_FEEL, "\"s\".x", 0},
        {BT_EXPR_FEEL, "true", 0},       {BT_EXPR_JUEL, "${a.b}", 1},
        {BT_EXPR_JUEL, "${!a}", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(bt_expr_compile(&ar, cases[i].text,
                                         strlen(cases[i].text),
                                         cases[i].dialect, &e, &err),
                         0);
        assert_int_equal(bt_expr_is_path(e), cases[i].path);
        assert_string_equal(bt_expr_text(e), cases[i].text);
    }

    /* A literal string, even one that looks like an expression. */
    json_t *out;
    assert_int_equal(bt_expr_literal_string(&ar, "a + b", 5, &e), 0);
    assert_string_equal(bt_expr_text(e), "a + b");
    assert_int_equal(bt_expr_is_path(e), 0);
    assert_int_equal(eval_in(e, lookup, vars, &out), 0);
    assert_string_equal(json_string_value(out), "a + b");
    json_decref(out);
    assert_int_equal(bt_expr_literal_string(&ar, "x\0y", 3, &e), 0);
    assert_int_equal(eval_in(e, lookup, vars, &out), 0);
    assert_int_equal(json_string_length(out), 3);
    assert_memory_equal(json_string_value(out), "x\0y", 3);
    json_decref(out);
    assert_int_equal(bt_expr_literal_string(&ar, "", 0, &e), 0);
    assert_int_equal(eval_in(e, lookup, vars, &out), 0);
    assert_string_equal(json_string_value(out), "");
    json_decref(out);
    assert_int_equal(bt_expr_literal_string(&ar, "bad\xff", 4, &e), BATON_EEXPR);

    /* Text need not be NUL-terminated; a column counts characters. */
    assert_int_equal(bt_expr_compile(&ar, "a + 1)))", 5, BT_EXPR_FEEL, &e, &err), 0);
    assert_int_equal(eval_in(e, lookup, vars, &out), 0);
    assert_int_equal(json_integer_value(out), 2);
    json_decref(out);

    bt_arena_free(&ar);
}

static void test_borrowed_results(void **state)
{
    (void)state;
    bt_arena ar;
    bt_expr *e;
    bt_expr_error err;
    json_t *out;
    bt_arena_init(&ar, &std_alloc);

    json_t *customer = json_object_get(json_object_get(vars, "order"), "customer");
    size_t refs = customer->refcount;
    assert_int_equal(bt_expr_compile(&ar, "order.customer", 14, BT_EXPR_FEEL,
                                      &e, &err), 0);
    assert_int_equal(eval_in(e, lookup, vars, &out), 0);
    assert_ptr_equal(out, customer);
    assert_int_equal(customer->refcount, refs + 1);
    json_decref(out);
    assert_int_equal(customer->refcount, refs);

    /* Paths, comparisons and logic allocate nothing. */
    const char *cheap[] = {
        "order.customer.name = \"Ann\" and amount > 1000 and vip",
        "not(s < \"b\") or missing.x = null",
        "order.items = list or obj = obj2",
        "(order).customer",
        "null",
    };
    for (size_t i = 0; i < sizeof cheap / sizeof cheap[0]; i++) {
        assert_int_equal(bt_expr_compile(&ar, cheap[i], strlen(cheap[i]),
                                          BT_EXPR_FEEL, &e, &err), 0);
        long before = j_calls;
        assert_int_equal(eval_in(e, lookup, vars, &out), 0);
        assert_int_equal(j_calls, before);
        json_decref(out);
    }

    /* No lookup: every name is null. */
    assert_int_equal(bt_expr_compile(&ar, "a = null", 8, BT_EXPR_FEEL, &e, &err), 0);
    assert_int_equal(eval_in(e, NULL, NULL, &out), 0);
    assert_ptr_equal(out, json_true());

    bt_arena_free(&ar);
}

static void test_locale(void **state)
{
    (void)state;
    static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                  "fr_FR.utf8", "de_DE", "fr_FR"};
    const char *set = NULL;
    for (size_t i = 0; !set && i < sizeof names / sizeof names[0]; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    if (!set)
        skip();
    FEEL("1.5 + 0.25", "1.75");
    JUEL("${2.5e1}", "25.0");
    setlocale(LC_NUMERIC, "C");
}

/* ------------------------------------------------------------------ */
/* Allocation failures                                                 */
/* ------------------------------------------------------------------ */

typedef struct failer {
    long calls, fail_at, live;
} failer;

static void *failing_alloc(void *ud, void *ptr, size_t old_size,
                           size_t new_size)
{
    failer *f = ud;
    (void)old_size;
    if (new_size == 0) {
        if (ptr)
            f->live--;
        free(ptr);
        return NULL;
    }
    if (++f->calls == f->fail_at)
        return NULL;
    void *p = realloc(ptr, new_size);
    if (p && !ptr)
        f->live++;
    return p;
}

static void compile_sweep(int dialect, const char *text, const char *want)
{
    long n;
    for (n = 1;; n++) {
        failer f = {0, n, 0};
        bt_alloc a = {failing_alloc, &f};
        bt_arena ar;
        bt_expr *e;
        bt_expr_error err;
        bt_arena_init(&ar, &a);
        int rc = bt_expr_compile(&ar, text, strlen(text), dialect, &e, &err);
        if (rc == 0) {
            json_t *out;
            assert_int_equal(eval_in(e, lookup, vars, &out), 0);
            char *got = dump(out);
            assert_string_equal(got, want);
            free(got);
            json_decref(out);
        } else {
            assert_int_equal(rc, BATON_ENOMEM);
            assert_string_equal(err.message, "out of memory");
        }
        bt_arena_free(&ar);
        assert_int_equal(f.live, 0);
        if (rc == 0)
            break;
    }
    /* Every case below needs more than one chunk: the sweep failed some. */
    assert_true(n > 1);
}

static void test_compile_nomem(void **state)
{
    (void)state;
    compile_sweep(BT_EXPR_FEEL, "order.customer.name = \"Ann\" and not(f)",
                  "true");
    compile_sweep(BT_EXPR_JUEL, "${amount > 1000 && vip}", "true");
    /* Larger than one arena chunk in each way the arena is used. */
    char *s = repeat("1 + ", 3000, "1", "", 0);
    compile_sweep(BT_EXPR_FEEL, s, "3001");
    free(s);
    s = repeat("\"", 1, "", "ab", 10000);
    strcat(s, "\" = s");
    compile_sweep(BT_EXPR_FEEL, s, "false");
    free(s);
    s = repeat("order.", 2000, "x", "", 0);
    compile_sweep(BT_EXPR_FEEL, s, "null");
    free(s);
    s = repeat("", 0, "1", "0", 200);
    strcat(s, ".5 > 1");
    compile_sweep(BT_EXPR_FEEL, s, "true");
    free(s);
}

static void eval_sweep(const char *text, const char *want)
{
    bt_arena ar;
    bt_expr *e;
    bt_expr_error err;
    bt_arena_init(&ar, &std_alloc);
    assert_int_equal(bt_expr_compile(&ar, text, strlen(text), BT_EXPR_FEEL,
                                     &e, &err), 0);
    long n, live = j_live;
    for (n = 1;; n++) {
        json_t *out = (json_t *)&ar;
        j_calls = 0;
        j_fail_at = n;
        int rc = eval_in(e, lookup, vars, &out);
        j_fail_at = 0;
        if (rc == 0) {
            char *got = dump(out);
            assert_string_equal(got, want);
            free(got);
            json_decref(out);
            assert_int_equal(j_live, live);
            break;
        }
        assert_int_equal(rc, BATON_ENOMEM);
        assert_null(out);
        assert_int_equal(j_live, live);
    }
    /* Results that need no new JSON (booleans, shared variables) make no
     * jansson allocation to fail; the scratch memory's failures are swept
     * by tests/test_feel_cases.c. */
    assert_true(n >= 1);
    bt_arena_free(&ar);
}

static void test_eval_nomem(void **state)
{
    (void)state;
    eval_sweep("s + \"def\"", "\"abcdef\"");
    eval_sweep("s + \"d\" + \"e\" + \"f\" = \"abcdef\"", "true");
    eval_sweep("(s + \"d\").x", "null");
    eval_sweep("(\"a\" + \"b\") + (\"c\" + \"d\")", "\"abcd\"");
    eval_sweep("a + 1", "2");
    eval_sweep("half * 3", "1.5");
    eval_sweep("\"literal\"", "\"literal\"");
    eval_sweep("not(s + s = \"abcabc\") or (s + s + s) = s", "false");
}

static int setup(void **state)
{
    (void)state;
    json_error_t jerr;
    vars = json_loads(vars_text, 0, &jerr);
    return vars ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(vars);
    return j_live == 0 ? 0 : -1;
}

int main(void)
{
    /* As the host, the test may route jansson through its own allocator,
     * before jansson allocates anything. */
    json_set_alloc_funcs(j_malloc, j_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_ordering),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_juel),
        cmocka_unit_test(test_feel_errors),
        cmocka_unit_test(test_error_truncation),
        cmocka_unit_test(test_juel_errors),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_long),
        cmocka_unit_test(test_text_and_path),
        cmocka_unit_test(test_borrowed_results),
        cmocka_unit_test(test_locale),
        cmocka_unit_test(test_compile_nomem),
        cmocka_unit_test(test_eval_nomem),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
