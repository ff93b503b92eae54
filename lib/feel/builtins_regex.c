/* FEEL's regular expression functions: matches, replace, split, extract.
 *
 * DMN names XML Schema's regular expressions with XPath's flags; feel-
 * scala, which Zeebe runs, hands patterns to java.util.regex, and so
 * does this file to ICU's regular expressions, whose syntax and
 * replacement strings ($1, ${name}, \$) are Java's. The flags are s
 * (dot matches line ends), m (^ and $ at lines), i (ignore case) and x
 * (spaces and #comments in the pattern); feel-scala ignores any other
 * letter, and so does this. Two differences from Java remain: ICU's
 * \w \d \s and case folding are Unicode's where Java's are ASCII's.
 *
 * ICU works on UTF-16, so texts are converted on the way in and out;
 * ICU's own memory for a pattern and its match comes from ICU's
 * allocator, since changing that is process-wide. A pattern can take
 * exponential time on some inputs ("(a+)+b"), or quadratic ("a.*z" on a
 * long line), so each call has a budget of match steps linear in its
 * input (see budget()) and gives null when it runs out.
 *
 * Without ICU these functions give null, saying why. */
#include <stdint.h>
#include <string.h>

#include "baton.h"
#include "feel/builtins_str.h"

#ifdef BT_HAVE_ICU

#include <unicode/uregex.h>
#include <unicode/ustring.h>

/* ICU counts time in steps of its match engine, each some thousands of
 * operations (0.2 to 0.3 ms on a 2020s machine). Patterns that run in
 * linear time take a step per 2,500 to 70,000 characters of input; a
 * call of a builtin gets ten times that for all its matching together,
 * plus a fixed part that no ordinary pattern comes near on short input:
 * 0.2 to 0.3 s for a hostile pattern on short input, and a second or so
 * per megabyte. */
static int32_t budget(int32_t len)
{
    return 1000 + len / 256;
}

int bt_str_to_u16(fv_cx *cx, const char *fn, const fv *s, UChar **out,
                  int32_t *len)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = 0;
    if (s->u.str.n > INT32_MAX / 2) {
        fv_why(cx, "%s(): the string is too long", fn);
        return 1;
    }
    /* Preflight for the length, then convert; the substitute only
     * matters for text that is not UTF-8, which values never hold. */
    u_strFromUTF8WithSub(NULL, 0, &n, s->u.str.s, (int32_t)s->u.str.n,
                         0xFFFD, NULL, &st);
    if (U_FAILURE(st) && st != U_BUFFER_OVERFLOW_ERROR) {
        fv_why(cx, "%s(): %s", fn, u_errorName(st));
        return 1;
    }
    UChar *u = fv_alloc(cx, ((size_t)n + 1) * sizeof *u);
    if (!u)
        return BATON_ENOMEM;
    st = U_ZERO_ERROR;
    u_strFromUTF8WithSub(u, n + 1, &n, s->u.str.s, (int32_t)s->u.str.n,
                         0xFFFD, NULL, &st);
    if (U_FAILURE(st)) {
        fv_why(cx, "%s(): %s", fn, u_errorName(st));
        return 1;
    }
    *out = u;
    *len = n;
    return 0;
}

int bt_str_from_u16(fv_cx *cx, const UChar *s, int32_t n, const fv **out)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = 0;
    u_strToUTF8WithSub(NULL, 0, &len, s, n, 0xFFFD, NULL, &st);
    if (U_FAILURE(st) && st != U_BUFFER_OVERFLOW_ERROR)
        return bt_str_icu_fail(cx, "string", st, out);
    char *r = fv_alloc(cx, (size_t)len + 1);
    if (!r)
        return BATON_ENOMEM;
    st = U_ZERO_ERROR;
    u_strToUTF8WithSub(r, len + 1, &len, s, n, 0xFFFD, NULL, &st);
    if (U_FAILURE(st))
        return bt_str_icu_fail(cx, "string", st, out);
    return bt_str_done(fv_str_take(cx, r, (size_t)len), out);
}

int bt_str_icu_fail(fv_cx *cx, const char *fn, UErrorCode st,
                    const fv **out)
{
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return BATON_ENOMEM;
    if (st == U_REGEX_TIME_OUT || st == U_REGEX_STOPPED_BY_CALLER)
        fv_why(cx, "%s(): the pattern takes too long on this input", fn);
    else
        fv_why(cx, "%s(): %s", fn, u_errorName(st));
    return bt_str_null(cx, out);
}

/* A compiled pattern over one input. */
typedef struct rx {
    URegularExpression *re;
    UChar *in;
    int32_t n;
    int32_t steps; /* spent over every match of the call */
    int32_t limit; /* budget(n) */
} rx;

static UBool U_CALLCONV on_step(const void *ctx, int32_t steps)
{
    rx *r = (rx *)(uintptr_t)ctx; /* our own rx, handed over as const */
    (void)steps;
    return ++r->steps < r->limit;
}

static uint32_t flag_bits(const fv *flags)
{
    uint32_t bits = 0;
    for (size_t i = 0; flags && i < flags->u.str.n; i++)
        switch (flags->u.str.s[i]) {
        case 's': bits |= UREGEX_DOTALL; break;
        case 'm': bits |= UREGEX_MULTILINE; break;
        case 'i': bits |= UREGEX_CASE_INSENSITIVE; break;
        case 'x': bits |= UREGEX_COMMENTS; break;
        default: break; /* as feel-scala: other letters mean nothing */
        }
    return bits;
}

/* Checks the arguments and compiles the pattern for `input`: 0, 1 when
 * the result is null (after fv_why), or BATON_ENOMEM. On 0 the caller
 * closes `r`; on any other result there is nothing to close. */
static int rx_open(fv_cx *cx, const char *fn, const fv *input,
                   const char *input_name, const fv *pattern,
                   const fv *flags, rx *r)
{
    UChar *pat;
    int32_t pn;
    int rc;
    memset(r, 0, sizeof *r);
    if (!bt_str_want(cx, fn, input_name, input, FV_STR) ||
        !bt_str_want(cx, fn, "pattern", pattern, FV_STR) ||
        (flags && !bt_str_want(cx, fn, "flags", flags, FV_STR)))
        return 1;
    if ((rc = bt_str_to_u16(cx, fn, input, &r->in, &r->n)) != 0 ||
        (rc = bt_str_to_u16(cx, fn, pattern, &pat, &pn)) != 0)
        return rc;
    UParseError pe;
    UErrorCode st = U_ZERO_ERROR;
    /* ICU refuses a length of 0; an empty pattern is NUL-terminated. */
    r->re = uregex_open(pat, pn ? pn : -1, flag_bits(flags), &pe, &st);
    if (U_FAILURE(st)) {
        if (r->re)
            uregex_close(r->re);
        r->re = NULL;
        if (st == U_MEMORY_ALLOCATION_ERROR)
            return BATON_ENOMEM;
        fv_why(cx, "%s(): invalid pattern '%.48s' (%s at offset %d)", fn,
               pattern->u.str.s, u_errorName(st), (int)pe.offset);
        return 1;
    }
    /* Each match operation stops at the budget on its own, and all of
     * them together through the callback. */
    r->limit = budget(r->n);
    uregex_setTimeLimit(r->re, r->limit, &st);
    uregex_setMatchCallback(r->re, on_step, r, &st);
    uregex_setText(r->re, r->in, r->n, &st);
    if (U_FAILURE(st)) {
        uregex_close(r->re);
        r->re = NULL;
        return st == U_MEMORY_ALLOCATION_ERROR ? BATON_ENOMEM : 1;
    }
    return 0;
}

static void rx_close(rx *r)
{
    if (r->re)
        uregex_close(r->re);
    r->re = NULL;
}

/* Match spans in UTF-16 units, collected in scratch memory. */
typedef struct spans {
    int32_t (*v)[2];
    size_t n, cap;
} spans;

static int spans_add(fv_cx *cx, spans *s, int32_t a, int32_t b)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        int32_t(*v)[2] = fv_alloc(cx, cap * sizeof *v);
        if (!v)
            return BATON_ENOMEM;
        if (s->n)
            memcpy(v, s->v, s->n * sizeof *v);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n][0] = a;
    s->v[s->n][1] = b;
    s->n++;
    return 0;
}

/* The list of the input's pieces at `s`. */
static int spans_list(fv_cx *cx, const rx *r, const spans *s,
                      const fv **out)
{
    const fv **slots;
    fv *list = fv_list_new(cx, s->n, &slots);
    if (!list)
        return BATON_ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        int rc = bt_str_from_u16(cx, r->in + s->v[i][0],
                                 s->v[i][1] - s->v[i][0], &slots[i]);
        if (rc)
            return rc;
    }
    *out = list;
    return 0;
}

/* Every match of `r`, in order, as Java's Matcher.find() finds them: an
 * empty match moves the next search one code point on. With `split`,
 * the pieces between the matches instead, as Java's
 * Pattern.split(input, -1): trailing empty pieces stay, and an empty
 * match at the very start makes no empty first piece. */
static int scan(fv_cx *cx, const char *fn, rx *r, int split,
                const fv **out)
{
    spans s = { NULL, 0, 0 };
    UErrorCode st = U_ZERO_ERROR;
    int32_t last = 0;
    int rc;
    while (uregex_findNext(r->re, &st)) {
        int32_t a = uregex_start(r->re, 0, &st);
        int32_t b = uregex_end(r->re, 0, &st);
        if (U_FAILURE(st))
            break;
        if (split && b == 0)
            continue;
        if ((rc = spans_add(cx, &s, split ? last : a, split ? a : b)) != 0)
            return rc;
        last = b;
    }
    if (U_FAILURE(st))
        return bt_str_icu_fail(cx, fn, st, out);
    if (split && (rc = spans_add(cx, &s, last, r->n)) != 0)
        return rc;
    return spans_list(cx, r, &s, out);
}

int bt_str_matches(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    rx r;
    int rc = rx_open(cx, "matches", args[0], "input", args[1],
                     bt_str_arg(args, n, 2), &r);
    if (rc)
        return rc < 0 ? rc : bt_str_null(cx, out);
    UErrorCode st = U_ZERO_ERROR;
    /* Anywhere in the input, as feel-scala's Matcher.find(). */
    UBool found = uregex_find(r.re, 0, &st);
    rx_close(&r);
    if (U_FAILURE(st))
        return bt_str_icu_fail(cx, "matches", st, out);
    *out = fv_bool(found != 0);
    return 0;
}

int bt_str_replace(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    UChar *rep, *res;
    int32_t rn, len;
    rx r;
    if (!bt_str_want(cx, "replace", "replacement", args[2], FV_STR))
        return bt_str_null(cx, out);
    int rc = rx_open(cx, "replace", args[0], "input", args[1],
                     bt_str_arg(args, n, 3), &r);
    if (rc)
        return rc < 0 ? rc : bt_str_null(cx, out);
    if ((rc = bt_str_to_u16(cx, "replace", args[2], &rep, &rn)) != 0) {
        rx_close(&r);
        return rc < 0 ? rc : bt_str_null(cx, out);
    }
    /* Preflight for the length (ICU resets the matcher on each call). */
    UErrorCode st = U_ZERO_ERROR;
    len = uregex_replaceAll(r.re, rep, rn, NULL, 0, &st);
    if (U_FAILURE(st) && st != U_BUFFER_OVERFLOW_ERROR) {
        rx_close(&r);
        return bt_str_icu_fail(cx, "replace", st, out);
    }
    if (!(res = fv_alloc(cx, ((size_t)len + 1) * sizeof *res))) {
        rx_close(&r);
        return BATON_ENOMEM;
    }
    st = U_ZERO_ERROR;
    len = uregex_replaceAll(r.re, rep, rn, res, len + 1, &st);
    rx_close(&r);
    if (U_FAILURE(st))
        return bt_str_icu_fail(cx, "replace", st, out);
    return bt_str_from_u16(cx, res, len, out);
}

int bt_str_split(fv_cx *cx, const fv *const *args, size_t n,
                 const fv **out)
{
    rx r;
    /* The delimiter is the pattern, under its own name. */
    if (!bt_str_want(cx, "split", "delimiter", args[1], FV_STR))
        return bt_str_null(cx, out);
    int rc = rx_open(cx, "split", args[0], "string", args[1], NULL, &r);
    if (rc)
        return rc < 0 ? rc : bt_str_null(cx, out);
    rc = scan(cx, "split", &r, 1, out);
    rx_close(&r);
    return rc;
}

int bt_str_extract(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    rx r;
    int rc = rx_open(cx, "extract", args[0], "input", args[1], NULL, &r);
    if (rc)
        return rc < 0 ? rc : bt_str_null(cx, out);
    rc = scan(cx, "extract", &r, 0, out);
    rx_close(&r);
    return rc;
}

#else /* no ICU */

static int no_icu(fv_cx *cx, const fv **out)
{
    fv_why(cx, "regular expressions need ICU");
    return bt_str_null(cx, out);
}

int bt_str_matches(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    (void)args, (void)n;
    return no_icu(cx, out);
}

int bt_str_replace(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    (void)args, (void)n;
    return no_icu(cx, out);
}

int bt_str_split(fv_cx *cx, const fv *const *args, size_t n,
                 const fv **out)
{
    (void)args, (void)n;
    return no_icu(cx, out);
}

int bt_str_extract(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    (void)args, (void)n;
    return no_icu(cx, out);
}

#endif
