/* FEEL's string functions (DMN 1.4 §10.3.4.3 and feel-scala's additions
 * for Zeebe: extract, trim, uuid, to base64, is blank, string join's
 * prefix and suffix). The regular expression functions live in
 * builtins_regex.c.
 *
 * Strings are UTF-8; positions and lengths count Unicode code points, as
 * DMN says (feel-scala counts UTF-16 units, so it sees an emoji as two).
 * Where feel-scala throws (a position outside the string) the result is
 * null. Every search is linear in its input. */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "baton.h"
#include "feel/builtins.h"
#include "feel/builtins_str.h"

#ifdef BT_HAVE_ICU
#include <unicode/ustring.h>
#endif

/* ---- argument checks ---------------------------------------------- */

const fv *bt_str_arg(const fv *const *args, size_t n, size_t i)
{
    return i < n ? args[i] : NULL;
}

static const char *kind_name(const fv *v)
{
    return v->kind == FV_NULL ? "null" : fv_type_name(v);
}

int bt_str_want(fv_cx *cx, const char *fn, const char *param, const fv *v,
                int kind)
{
    if (v->kind == kind)
        return 1;
    fv_why(cx, "%s(): '%s' must be a %s, not %s", fn, param,
           kind == FV_STR ? "string" : kind == FV_NUM ? "number" : "list",
           kind_name(v));
    return 0;
}

int bt_str_null(fv_cx *cx, const fv **out)
{
    (void)cx;
    *out = fv_null();
    return 0;
}

int bt_str_done(const fv *v, const fv **out)
{
    *out = v;
    return v ? 0 : BATON_ENOMEM;
}

/* A number argument as feel-scala's intValue takes it (toward zero),
 * saturated at int64's range instead of wrapping around. */
static int64_t trunc_int(const bt_dec *d)
{
    bt_dec t;
    int64_t i;
    if (bt_dec_round(&t, d, 0, BT_ROUND_DOWN) == 0 && bt_dec_to_int(&t, &i))
        return i;
    return bt_dec_sign(d) < 0 ? INT64_MIN : INT64_MAX;
}

/* ---- UTF-8 ---------------------------------------------------------- */

static int is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

static size_t cp_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !is_cont((unsigned char)s[i]);
    return k;
}

/* The byte offset of code point `k` (at most the count) of `s`. */
static size_t cp_offset(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    while (i < n && k > 0) {
        i++;
        while (i < n && is_cont((unsigned char)s[i]))
            i++;
        k--;
    }
    return i;
}

/* Decodes the code point at `*i` and moves past it; input strings are
 * valid UTF-8, so only lengths are checked. */
static uint32_t cp_next(const char *s, size_t n, size_t *i)
{
    unsigned char c = (unsigned char)s[(*i)++];
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    uint32_t cp = more ? c & (0x3F >> more) : c;
    while (more-- > 0 && *i < n)
        cp = cp << 6 | ((unsigned char)s[(*i)++] & 0x3F);
    return cp;
}

/* The first occurrence of `p` (`m` bytes) in `s` (`n` bytes), or
 * SIZE_MAX: Knuth-Morris-Pratt, so that no text makes it quadratic. */
static int find(fv_cx *cx, const char *s, size_t n, const char *p, size_t m,
                size_t *at)
{
    size_t local[64], *fail = local;
    *at = SIZE_MAX;
    if (m == 0) {
        *at = 0;
        return 0;
    }
    if (m > n)
        return 0;
    if (m > sizeof local / sizeof *local &&
        !(fail = fv_alloc(cx, m * sizeof *fail)))
        return BATON_ENOMEM;
    fail[0] = 0;
    for (size_t i = 1, k = 0; i < m; i++) {
        while (k > 0 && p[i] != p[k])
            k = fail[k - 1];
        k += p[i] == p[k];
        fail[i] = k;
    }
    for (size_t i = 0, k = 0; i < n; i++) {
        while (k > 0 && s[i] != p[k])
            k = fail[k - 1];
        k += s[i] == p[k];
        if (k == m) {
            *at = i + 1 - m;
            return 0;
        }
    }
    return 0;
}

/* ---- the functions ------------------------------------------------- */

#define STR(v) ((v)->u.str.s)
#define LEN(v) ((v)->u.str.n)

static int f_substring(fv_cx *cx, const fv *const *args, size_t n,
                       const fv **out)
{
    const fv *s = args[0], *start = args[1], *len = bt_str_arg(args, n, 2);
    if (!bt_str_want(cx, "substring", "string", s, FV_STR) ||
        !bt_str_want(cx, "substring", "start position", start, FV_NUM) ||
        (len && !bt_str_want(cx, "substring", "length", len, FV_NUM)))
        return bt_str_null(cx, out);
    int64_t total = (int64_t)cp_count(STR(s), LEN(s));
    int64_t pos = trunc_int(&start->u.num);
    /* 1 is the first code point, -1 the last; 0 is past the end, as
     * feel-scala reads it. */
    int64_t from = pos > 0 ? pos - 1 : total + pos, to = total;
    if (len) {
        int64_t k = trunc_int(&len->u.num);
        to = k > total - from ? total : from + k;
    }
    if (from < 0 || from > total || to < from) {
        fv_why(cx, "substring(): position %lld and length are outside the "
                   "string", (long long)pos);
        return bt_str_null(cx, out);
    }
    size_t a = cp_offset(STR(s), LEN(s), (size_t)from);
    size_t b = a + cp_offset(STR(s) + a, LEN(s) - a, (size_t)(to - from));
    return bt_str_done(fv_str(cx, STR(s) + a, b - a), out);
}

static int f_string_length(fv_cx *cx, const fv *const *args, size_t n,
                           const fv **out)
{
    if (!bt_str_want(cx, "string length", "string", args[0], FV_STR))
        return bt_str_null(cx, out);
    size_t k = cp_count(STR(args[0]), LEN(args[0]));
    return bt_str_done(fv_int(cx, (int64_t)k), out);
}

/* With ICU, case mapping is Unicode's full mapping in the root locale
 * ("ß" becomes "SS"), as Java's toUpperCase; without it only ASCII
 * letters change. */
static int change_case(fv_cx *cx, const char *fn, const fv *s, int upper,
                       const fv **out)
{
    if (!bt_str_want(cx, fn, "string", s, FV_STR))
        return bt_str_null(cx, out);
#ifdef BT_HAVE_ICU
    UChar *u;
    int32_t un, rn;
    int rc = bt_str_to_u16(cx, fn, s, &u, &un);
    if (rc)
        return rc < 0 ? rc : bt_str_null(cx, out);
    UErrorCode st = U_ZERO_ERROR;
    rn = upper ? u_strToUpper(NULL, 0, u, un, "", &st)
               : u_strToLower(NULL, 0, u, un, "", &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        return bt_str_icu_fail(cx, fn, st, out);
    UChar *r = fv_alloc(cx, ((size_t)rn + 1) * sizeof *r);
    if (!r)
        return BATON_ENOMEM;
    st = U_ZERO_ERROR;
    rn = upper ? u_strToUpper(r, rn + 1, u, un, "", &st)
               : u_strToLower(r, rn + 1, u, un, "", &st);
    if (U_FAILURE(st))
        return bt_str_icu_fail(cx, fn, st, out);
    return bt_str_from_u16(cx, r, rn, out);
#else
    char *r = fv_alloc(cx, LEN(s) + 1);
    if (!r)
        return BATON_ENOMEM;
    for (size_t i = 0; i < LEN(s); i++) {
        char c = STR(s)[i];
        if (upper && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!upper && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        r[i] = c;
    }
    return bt_str_done(fv_str_take(cx, r, LEN(s)), out);
#endif
}

static int f_upper_case(fv_cx *cx, const fv *const *args, size_t n,
                        const fv **out)
{
    return change_case(cx, "upper case", args[0], 1, out);
}

static int f_lower_case(fv_cx *cx, const fv *const *args, size_t n,
                        const fv **out)
{
    return change_case(cx, "lower case", args[0], 0, out);
}

/* Checks a (string, match) pair and finds `match`: 1 when the arguments
 * fit (with `*at` SIZE_MAX when there is no match), 0 when they don't,
 * or BATON_ENOMEM. */
static int find_args(fv_cx *cx, const char *fn, const fv *const *args,
                     size_t *at)
{
    if (!bt_str_want(cx, fn, "string", args[0], FV_STR) ||
        !bt_str_want(cx, fn, "match", args[1], FV_STR))
        return 0;
    int rc = find(cx, STR(args[0]), LEN(args[0]), STR(args[1]),
                  LEN(args[1]), at);
    return rc ? rc : 1;
}

static int f_substring_before(fv_cx *cx, const fv *const *args, size_t n,
                              const fv **out)
{
    size_t at;
    int rc = find_args(cx, "substring before", args, &at);
    if (rc <= 0)
        return rc ? rc : bt_str_null(cx, out);
    return bt_str_done(fv_str(cx, STR(args[0]), at == SIZE_MAX ? 0 : at),
                       out);
}

static int f_substring_after(fv_cx *cx, const fv *const *args, size_t n,
                             const fv **out)
{
    size_t at;
    int rc = find_args(cx, "substring after", args, &at);
    if (rc <= 0)
        return rc ? rc : bt_str_null(cx, out);
    if (at == SIZE_MAX)
        return bt_str_done(fv_str(cx, "", 0), out);
    at += LEN(args[1]);
    return bt_str_done(fv_str(cx, STR(args[0]) + at, LEN(args[0]) - at),
                       out);
}

static int f_contains(fv_cx *cx, const fv *const *args, size_t n,
                      const fv **out)
{
    size_t at;
    int rc = find_args(cx, "contains", args, &at);
    if (rc <= 0)
        return rc ? rc : bt_str_null(cx, out);
    *out = fv_bool(at != SIZE_MAX);
    return 0;
}

static int affix_args(fv_cx *cx, const char *fn, const fv *const *args,
                      const fv **out)
{
    if (bt_str_want(cx, fn, "string", args[0], FV_STR) &&
        bt_str_want(cx, fn, "match", args[1], FV_STR))
        return 1;
    *out = fv_null();
    return 0;
}

static int f_starts_with(fv_cx *cx, const fv *const *args, size_t n,
                         const fv **out)
{
    if (!affix_args(cx, "starts with", args, out))
        return 0;
    const fv *s = args[0], *m = args[1];
    *out = fv_bool(LEN(m) <= LEN(s) && !memcmp(STR(s), STR(m), LEN(m)));
    return 0;
}

static int f_ends_with(fv_cx *cx, const fv *const *args, size_t n,
                       const fv **out)
{
    if (!affix_args(cx, "ends with", args, out))
        return 0;
    const fv *s = args[0], *m = args[1];
    *out = fv_bool(LEN(m) <= LEN(s) &&
                   !memcmp(STR(s) + LEN(s) - LEN(m), STR(m), LEN(m)));
    return 0;
}

/* feel-scala: null items are skipped, other non-strings make it null; a
 * null delimiter is none; prefix and suffix come together or not at
 * all. */
static int f_string_join(fv_cx *cx, const fv *const *args, size_t n,
                         const fv **out)
{
    static const char *const names[] = { "list", "delimiter", "prefix",
                                         "suffix" };
    const fv *given[4];
    for (size_t i = 0; i < 4; i++) {
        given[i] = bt_str_arg(args, n, i);
        if (i > 0 && given[i] && given[i]->kind == FV_NULL)
            given[i] = NULL;
        if (given[i] && !bt_str_want(cx, "string join", names[i], given[i],
                                     i ? FV_STR : FV_LIST))
            return bt_str_null(cx, out);
    }
    if (!given[2] != !given[3]) {
        fv_why(cx, "string join(): 'prefix' and 'suffix' go together");
        return bt_str_null(cx, out);
    }
    const fv *list = given[0];
    size_t dl = given[1] ? LEN(given[1]) : 0;
    size_t pl = given[2] ? LEN(given[2]) : 0, sl = given[3] ? LEN(given[3]) : 0;
    size_t total = pl + sl, items = 0;
    for (size_t i = 0; i < list->u.list.n; i++) {
        const fv *it = list->u.list.v[i];
        if (it->kind == FV_NULL)
            continue;
        if (it->kind != FV_STR) {
            fv_why(cx, "string join(): the list holds a %s", kind_name(it));
            return bt_str_null(cx, out);
        }
        total += LEN(it) + (items++ ? dl : 0);
    }
    char *r = fv_alloc(cx, total + 1), *p = r;
    if (!r)
        return BATON_ENOMEM;
    if (pl)
        p = (char *)memcpy(p, STR(given[2]), pl) + pl;
    items = 0;
    for (size_t i = 0; i < list->u.list.n; i++) {
        const fv *it = list->u.list.v[i];
        if (it->kind != FV_STR)
            continue;
        if (items++ && dl)
            p = (char *)memcpy(p, STR(given[1]), dl) + dl;
        if (LEN(it))
            p = (char *)memcpy(p, STR(it), LEN(it)) + LEN(it);
    }
    if (sl)
        memcpy(p, STR(given[3]), sl);
    return bt_str_done(fv_str_take(cx, r, total), out);
}

/* Java's String.trim(), which feel-scala calls: every code point up to
 * U+0020 goes, at both ends, and nothing else. */
static int f_trim(fv_cx *cx, const fv *const *args, size_t n,
                  const fv **out)
{
    if (!bt_str_want(cx, "trim", "string", args[0], FV_STR))
        return bt_str_null(cx, out);
    const unsigned char *s = (const unsigned char *)STR(args[0]);
    size_t a = 0, b = LEN(args[0]);
    while (a < b && s[a] <= 0x20)
        a++;
    while (b > a && s[b - 1] <= 0x20)
        b--;
    return bt_str_done(fv_str(cx, (const char *)s + a, b - a), out);
}

/* Java's Character.isWhitespace, which String.isBlank() uses: the
 * Unicode space separators except the no-break ones, and the ASCII
 * controls \t \n \v \f \r and U+001C..U+001F. */
static int java_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x2006) ||
           (c >= 0x2008 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x205F || c == 0x3000;
}

static int f_is_blank(fv_cx *cx, const fv *const *args, size_t n,
                      const fv **out)
{
    if (!bt_str_want(cx, "is blank", "string", args[0], FV_STR))
        return bt_str_null(cx, out);
    const char *s = STR(args[0]);
    size_t i = 0, len = LEN(args[0]);
    while (i < len)
        if (!java_space(cp_next(s, len, &i))) {
            *out = fv_bool(0);
            return 0;
        }
    *out = fv_bool(1);
    return 0;
}

/* A random (version 4) UUID. feel-scala makes time-ordered ones
 * (version 7) from the system clock; here time is the host's input and
 * an expression that reads no clock must not need one, so the bits all
 * come from the operating system's random source. */
static int f_uuid(fv_cx *cx, const fv *const *args, size_t n,
                  const fv **out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    if (getentropy(b, sizeof b) != 0) {
        fv_why(cx, "uuid(): no random source");
        return bt_str_null(cx, out);
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    char *r = fv_alloc(cx, 37), *p = r;
    if (!r)
        return BATON_ENOMEM;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    return bt_str_done(fv_str_take(cx, r, 36), out);
}

/* RFC 4648 base64 of the string's UTF-8 bytes, padded, as Java's
 * Base64.getEncoder(). */
static int f_to_base64(fv_cx *cx, const fv *const *args, size_t n,
                       const fv **out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!bt_str_want(cx, "to base64", "value", args[0], FV_STR))
        return bt_str_null(cx, out);
    const unsigned char *s = (const unsigned char *)STR(args[0]);
    size_t len = LEN(args[0]);
    if (len > (SIZE_MAX - 1) / 4 * 3 - 3) {
        fv_why(cx, "to base64(): the value is too long");
        return bt_str_null(cx, out);
    }
    size_t rn = (len + 2) / 3 * 4;
    char *r = fv_alloc(cx, rn + 1), *p = r;
    if (!r)
        return BATON_ENOMEM;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        *p++ = abc[v >> 18];
        *p++ = abc[(v >> 12) & 63];
        *p++ = i + 1 < len ? abc[(v >> 6) & 63] : '=';
        *p++ = i + 2 < len ? abc[v & 63] : '=';
    }
    return bt_str_done(fv_str_take(cx, r, rn), out);
}

/* string(from) is the evaluator's conversion; it is a builtin here so
 * that it can be called by name and passed around. */
static int f_string(fv_cx *cx, const fv *const *args, size_t n,
                    const fv **out)
{
    if (args[0]->kind == FV_NULL)
        return bt_str_null(cx, out);
    if (args[0]->kind == FV_STR) {
        *out = args[0];
        return 0;
    }
    return bt_str_done(fv_to_string(cx, args[0]), out);
}

const bt_feel_builtin bt_feel_lib_string[] = {
    { "substring", { "string", "start position", "length" }, 2, 0,
      f_substring },
    { "string length", { "string" }, 1, 0, f_string_length },
    { "upper case", { "string" }, 1, 0, f_upper_case },
    { "lower case", { "string" }, 1, 0, f_lower_case },
    { "substring before", { "string", "match" }, 2, 0, f_substring_before },
    { "substring after", { "string", "match" }, 2, 0, f_substring_after },
    { "replace", { "input", "pattern", "replacement", "flags" }, 3, 0,
      bt_str_replace },
    { "contains", { "string", "match" }, 2, 0, f_contains },
    { "starts with", { "string", "match" }, 2, 0, f_starts_with },
    { "ends with", { "string", "match" }, 2, 0, f_ends_with },
    { "matches", { "input", "pattern", "flags" }, 2, 0, bt_str_matches },
    { "split", { "string", "delimiter" }, 2, 0, bt_str_split },
    { "extract", { "input", "pattern" }, 2, 0, bt_str_extract },
    { "string join", { "list", "delimiter", "prefix", "suffix" }, 1, 0,
      f_string_join },
    { "trim", { "string" }, 1, 0, f_trim },
    { "uuid", { NULL }, 0, 0, f_uuid },
    { "to base64", { "value" }, 1, 0, f_to_base64 },
    { "is blank", { "string" }, 1, 0, f_is_blank },
    { "string", { "from" }, 1, 0, f_string },
    { NULL, { NULL }, 0, 0, NULL }
};
