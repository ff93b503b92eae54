/* The FEEL and JUEL conformance cases: every .txt file of tests/feel (the
 * directory is the first argument), one case a line, run through
 * bt_expr_compile and bt_expr_eval. tests/feel/README.md describes the
 * format.
 *
 * Every case is checked three ways:
 *  - the result (or the compile refusal) is the expected one;
 *  - the evaluation returns all of its scratch memory (the environment's
 *    allocator counts live bytes) and every jansson block it made, apart
 *    from the result, which the driver releases;
 *  - allocations fail in turn: with allocation number k failing (k = 1,
 *    2, ... counted over the environment's allocator and jansson's
 *    together), the evaluation must return BATON_ENOMEM, or the right
 *    value if it got by without that allocation, and leak nothing. The
 *    sweep stops at the first k the evaluation never reaches.
 *
 * What is swept: every case of a file whose name starts with "alloc_"
 * for all k, and every other case for k up to SWEEP_CAP, so the whole
 * run takes seconds; BATON_FEEL_SWEEP=all lifts the cap everywhere.
 *
 * The driver is the host here, so it may install jansson's allocator
 * (the library never does). Plain main(): prints each failing case as
 * file:line, then a total per file, and exits 1 when any case failed. */
#define _POSIX_C_SOURCE 200809L /* getline, strdup */

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "baton.h"
#include "feel/feel.h"
#include "feel/temporal.h"
#include "util/arena.h"
#include "util/mem.h"

#define SWEEP_CAP 48

/* ------------------------------------------------------------------ */
/* Counting allocators, failing on request                             */
/* ------------------------------------------------------------------ */

/* One allocation counter for the environment's allocator and jansson's,
 * so "allocation number k" means the k-th of either during one
 * evaluation. */
static long n_allocs;  /* allocations attempted since the last reset */
static long fail_at;   /* fail the allocation with this number; 0: never */
static int failed;     /* an allocation was failed on purpose */
static int counting;   /* 0 outside the evaluation (hook, parsing, dumps) */

/* 1 when this allocation is to fail. */
static int should_fail(void)
{
    if (!counting)
        return 0;
    if (++n_allocs == fail_at) {
        failed = 1;
        return 1;
    }
    return 0;
}

/* The environment's allocator: live bytes, by the sizes it is told. */
static size_t env_live;

static void *env_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    if (new_size == 0) {
        if (ptr)
            env_live -= old_size;
        free(ptr);
        return NULL;
    }
    if (should_fail())
        return NULL;
    void *p = realloc(ptr, new_size);
    if (p)
        env_live = env_live - (ptr ? old_size : 0) + new_size;
    return p;
}

static const bt_alloc env_allocator = {env_alloc, NULL};

/* The compiler's arena gets a counter of its own: it must return
 * everything when the arena is freed. */
static size_t arena_live;

static void *arena_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    if (new_size == 0) {
        if (ptr)
            arena_live -= old_size;
        free(ptr);
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (p)
        arena_live = arena_live - (ptr ? old_size : 0) + new_size;
    return p;
}

static const bt_alloc arena_allocator = {arena_alloc, NULL};

/* jansson's allocator: live blocks. */
static long j_live;

static void *j_malloc(size_t n)
{
    if (should_fail())
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
/* The environment                                                     */
/* ------------------------------------------------------------------ */

static json_t *lookup(void *ctx, const char *name, size_t len)
{
    char buf[256];
    char *key = len < sizeof buf ? buf : malloc(len + 1);
    if (!key)
        return NULL;
    memcpy(key, name, len);
    key[len] = '\0';
    json_t *v = strlen(key) == len ? json_object_get(ctx, key) : NULL;
    if (key != buf)
        free(key);
    return v;
}

/* The host's answer to JUEL calls, for the cases in juel.txt:
 *   calc.add(a, b, ...)  the sum of its number arguments;
 *   echo(a, b, ...)      a function call (also as ns:echo): its
 *                        arguments, as a list;
 *   anything else        refused ("no bean 'x'").
 * Its own allocations neither count nor fail: a host cannot report
 * running out of memory through this hook, only a refusal. */
static int juel_call(void *ud, const char *target, const char *method,
                     json_t *args, json_t **out, char *why, size_t whylen)
{
    (void)ud;
    int was = counting;
    int rc = 1;
    counting = 0;
    if (strcmp(target, "calc") == 0 && method && strcmp(method, "add") == 0) {
        double sum = 0;
        size_t i;
        json_t *a;
        rc = 0;
        json_array_foreach(args, i, a) {
            if (!json_is_number(a)) {
                snprintf(why, whylen, "calc.add takes numbers");
                rc = 1;
                break;
            }
            sum += json_number_value(a);
        }
        if (rc == 0)
            *out = sum == floor(sum) && fabs(sum) < 9e15
                       ? json_integer((json_int_t)sum)
                       : json_real(sum);
    } else if ((strcmp(target, "echo") == 0 ||
                strcmp(target, "ns:echo") == 0) && !method) {
        *out = json_deep_copy(args);
        rc = 0;
    } else {
        snprintf(why, whylen, "no bean '%s'", target);
    }
    if (rc == 0 && !*out)
        rc = 1;
    counting = was;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

/* JSON equality with numbers compared by value: an integer equals a
 * real of the same value, and reals compare exactly (an expected 0.3
 * parses to the same double as a decimal 0.3 turned to double). */
static int same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        if (json_is_integer(b)) {
            const json_t *t = a;
            a = b;
            b = t;
        }
        if (json_is_integer(a)) {
            double r = json_real_value(b);
            return r == floor(r) && fabs(r) < 9.2e18 &&
                   (json_int_t)r == json_integer_value(a);
        }
        return json_real_value(a) == json_real_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_array(a)) {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!same(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a)) {
        const char *k;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, v) {
            json_t *w = json_object_get(b, k);
            if (!w || !same(v, w))
                return 0;
        }
        return 1;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

/* The JSON text of `j` for messages, in memory from malloc(). */
static char *dump(const json_t *j)
{
    char *t = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    char *s = strdup(t ? t : "(unprintable)");
    j_free(t);
    return s;
}

/* ------------------------------------------------------------------ */
/* The clock                                                           */
/* ------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "2026-03-29T01:30:00Z", with optional fraction and Z or +hh:mm; 0 with
 * the epoch milliseconds in `*out`, or -1. */
static int parse_now(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return -1;
    s += n;
    int64_t ms = 0;
    if (*s == '.') {
        int scale = 100;
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
            ms += (*s - '0') * scale;
    }
    int64_t off = 0;
    if (*s == '+' || *s == '-') {
        int oh, om;
        if (sscanf(s + 1, "%d:%d", &oh, &om) != 2)
            return -1;
        off = (*s == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else if (*s != 'Z') {
        return -1;
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
                   sec - off;
    *out = secs * 1000 + ms;
    return 0;
}

/* ------------------------------------------------------------------ */
/* One case                                                            */
/* ------------------------------------------------------------------ */

typedef struct run_state {
    const char *file;
    json_t *vars;
    int64_t now_ms;
    int dialect;
    int full_sweep;
    int failures;
    int passed;
    int skipped; /* needing ICU, in a build without it */
} run_state;

static void report(const run_state *st, int line, const char *expr,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void report(const run_state *st, int line, const char *expr,
                   const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(expr);
    /* The deep-nesting cases are tens of kilobytes long. */
    if (n > 160)
        printf("%s:%d: %.120s... (%zu bytes)\n  ", st->file, line, expr, n);
    else
        printf("%s:%d: %s\n  ", st->file, line, expr);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Evaluates with allocation `k` failing (0: none). Returns the status;
 * `*out` the result on success; `*leak` set when memory stayed behind
 * (the result excepted). */
static int eval_once(const bt_expr *e, const run_state *st, long k,
                     json_t **out, char *why, size_t whylen, int *leak)
{
    bt_expr_env env = {&env_allocator, lookup, st->vars, st->now_ms,
                       juel_call, NULL, why, whylen};
    long j_before = j_live;
    why[0] = '\0';
    *out = NULL;
    n_allocs = 0;
    fail_at = k;
    failed = 0;
    counting = 1;
    int rc = bt_expr_eval(e, &env, out);
    counting = 0;
    fail_at = 0;
    /* On success the result's blocks are the caller's, who checks the
     * jansson count after dropping it. */
    *leak = env_live != 0 || (rc != 0 && j_live != j_before);
    return rc;
}

/* A build without ICU (-Dtimezones=disabled) has no zone ids, no regular
 * expressions and no case mapping beyond ASCII: the cases that use them
 * are skipped there, by what their text holds. */
static int needs_icu(const char *expr, const char *want)
{
    static const char *const calls[] = {
        "matches(", "replace(", "split(", "extract(", "upper case(",
        "lower case(", NULL};
    for (int i = 0; calls[i]; i++)
        if (strstr(expr, calls[i]))
            return 1;
    const char *texts[] = {expr, want};
    for (int t = 0; t < 2; t++)
        for (const char *c = texts[t]; (c = strchr(c, '/')); c++)
            if (c > texts[t] && c[-1] >= 'a' && c[-1] <= 'z' &&
                c[1] >= 'A' && c[1] <= 'Z')
                return 1; /* Europe/Berlin, America/New_York */
    return 0;
}

static void run_case(run_state *st, int line, const char *expr,
                     const char *want_text)
{
    if (!bt_t_have_zones() && needs_icu(expr, want_text)) {
        st->skipped++;
        return;
    }
    bt_arena ar;
    bt_expr *e = NULL;
    bt_expr_error err;
    memset(&err, 0, sizeof err);
    bt_arena_init(&ar, &arena_allocator);
    int rc = bt_expr_compile(&ar, expr, strlen(expr), st->dialect, &e, &err);

    if (strncmp(want_text, "!refused", 8) == 0) {
        const char *sub = want_text + 8;
        while (*sub == ' ')
            sub++;
        if (rc == BATON_EEXPR && strstr(err.message, sub)) {
            st->passed++;
        } else if (rc) {
            report(st, line, expr, "expected: refused with \"%s\"\n  got:      "
                   "refused (%d) with \"%s\"", sub, rc, err.message);
            st->failures++;
        } else {
            json_t *out = NULL;
            char why[256];
            int leak;
            rc = eval_once(e, st, 0, &out, why, sizeof why, &leak);
            char *g = out ? dump(out) : strdup("(nothing)");
            report(st, line, expr, "expected: refused with \"%s\"\n  got:      "
                   "compiled; evaluates (%d) to %s", sub, rc, g);
            free(g);
            json_decref(out);
            st->failures++;
        }
        bt_arena_free(&ar);
        if (arena_live) {
            report(st, line, expr, "the arena kept %zu bytes", arena_live);
            st->failures++;
            arena_live = 0;
        }
        return;
    }

    json_error_t jerr;
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, &jerr);
    if (!want) {
        report(st, line, expr, "bad expected JSON '%s': %s", want_text,
               jerr.text);
        st->failures++;
        bt_arena_free(&ar);
        return;
    }
    if (rc) {
        report(st, line, expr, "expected: %s\n  got:      refused (%d) "
               "at column %d: %s", want_text, rc, err.column, err.message);
        st->failures++;
        json_decref(want);
        bt_arena_free(&ar);
        return;
    }

    int ok = 1;
    char why[256];
    json_t *out = NULL;
    int leak;
    long j_before = j_live;
    rc = eval_once(e, st, 0, &out, why, sizeof why, &leak);
    long allocs = n_allocs;
    if (rc != 0) {
        report(st, line, expr, "expected: %s\n  got:      error %d (%s)",
               want_text, rc, baton_strerror(rc));
        ok = 0;
    } else if (!out || !same(want, out)) {
        char *g = out ? dump(out) : strdup("(no result)");
        if (json_is_null(out) && why[0])
            report(st, line, expr, "expected: %s\n  got:      %s (why: %s)",
                   want_text, g, why);
        else
            report(st, line, expr, "expected: %s\n  got:      %s", want_text,
                   g);
        free(g);
        ok = 0;
    }
    json_decref(out);
    if (ok && (leak || j_live != j_before)) {
        report(st, line, expr, "leaked %zu bytes of scratch memory and %ld "
               "jansson blocks", env_live, j_live - j_before);
        ok = 0;
    }
    env_live = 0;

    /* The allocation-failure sweep. */
    long cap = st->full_sweep ? LONG_MAX : SWEEP_CAP;
    for (long k = 1; ok && k <= allocs && k <= cap; k++) {
        j_before = j_live;
        rc = eval_once(e, st, k, &out, why, sizeof why, &leak);
        int hit = failed;
        if (!hit) {
            json_decref(out);
            break; /* this run never reached allocation k */
        }
        if (rc == 0 && !(out && same(want, out))) {
            char *g = out ? dump(out) : strdup("(no result)");
            report(st, line, expr, "with allocation %ld failing: returned 0 "
                   "and %s instead of BATON_ENOMEM (why: %s)", k, g, why);
            free(g);
            ok = 0;
        } else if (rc != 0 && rc != BATON_ENOMEM) {
            report(st, line, expr, "with allocation %ld failing: returned %d, "
                   "not BATON_ENOMEM", k, rc);
            ok = 0;
        }
        json_decref(out);
        if (ok && (leak || j_live != j_before)) {
            report(st, line, expr, "with allocation %ld failing: leaked %zu "
                   "bytes of scratch memory and %ld jansson blocks", k,
                   env_live, j_live - j_before);
            ok = 0;
        }
        env_live = 0;
    }

    json_decref(want);
    bt_arena_free(&ar);
    if (arena_live) {
        report(st, line, expr, "the arena kept %zu bytes", arena_live);
        arena_live = 0;
        ok = 0;
    }
    if (ok)
        st->passed++;
    else
        st->failures++;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                 s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* The last " ==> " of the line, or NULL. */
static char *separator(char *s)
{
    char *found = NULL;
    for (char *p = strstr(s, " ==> "); p; p = strstr(p + 1, " ==> "))
        found = p;
    return found;
}

static int run_file(const char *dir, const char *name, int full_sweep)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("%s: cannot open\n", path);
        return 1;
    }
    run_state st = {name, json_object(), INT64_MIN, BT_EXPR_FEEL,
                    full_sweep || strncmp(name, "alloc_", 6) == 0, 0, 0, 0};
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    int line = 0;
    while ((got = getline(&buf, &cap, f)) != -1) {
        line++;
        char *s = trim(buf);
        if (*s == '\0' || *s == '#')
            continue;
        /* A directive is @ and a word; @"..." starts an expression. */
        int directive = s[0] == '@' && s[1] >= 'a' && s[1] <= 'z';
        if (!directive) {
            char *sep = separator(s);
            if (!sep) {
                report(&st, line, s, "no ' ==> ' in the line");
                st.failures++;
                continue;
            }
            *sep = '\0';
            run_case(&st, line, trim(s), trim(sep + 5));
        } else if (strncmp(s, "@vars", 5) == 0) {
            json_error_t jerr;
            json_t *v = json_loads(trim(s + 5), 0, &jerr);
            if (!json_is_object(v)) {
                report(&st, line, s, "bad @vars: %s", v ? "not an object"
                                                         : jerr.text);
                st.failures++;
                json_decref(v);
                continue;
            }
            json_decref(st.vars);
            st.vars = v;
        } else if (strncmp(s, "@now", 4) == 0) {
            if (parse_now(trim(s + 4), &st.now_ms)) {
                report(&st, line, s, "bad @now");
                st.failures++;
            }
        } else if (strncmp(s, "@dialect", 8) == 0) {
            const char *d = trim(s + 8);
            if (strcmp(d, "juel") == 0) {
                st.dialect = BT_EXPR_JUEL;
            } else if (strcmp(d, "feel") == 0) {
                st.dialect = BT_EXPR_FEEL;
            } else {
                report(&st, line, s, "unknown dialect");
                st.failures++;
            }
        } else {
            report(&st, line, s, "unknown directive");
            st.failures++;
        }
    }
    free(buf);
    fclose(f);
    json_decref(st.vars);
    printf("%s: %d passed, %d failed", name, st.passed, st.failures);
    if (st.skipped)
        printf(", %d skipped (they need ICU)", st.skipped);
    printf("\n");
    return st.failures;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [FILE.txt...]\n", argv[0]);
        return 2;
    }
    json_set_alloc_funcs(j_malloc, j_free);
    const char *sweep = getenv("BATON_FEEL_SWEEP");
    int full_sweep = sweep && strcmp(sweep, "all") == 0;

    char **names = NULL;
    size_t n = 0;
    if (argc > 2) {
        names = malloc((size_t)(argc - 2) * sizeof *names);
        for (int i = 2; i < argc; i++)
            names[n++] = strdup(argv[i]);
    } else {
        DIR *d = opendir(argv[1]);
        if (!d) {
            fprintf(stderr, "%s: cannot open the directory\n", argv[1]);
            return 2;
        }
        struct dirent *de;
        size_t cap = 0;
        while ((de = readdir(d)) != NULL) {
            size_t len = strlen(de->d_name);
            if (len < 5 || strcmp(de->d_name + len - 4, ".txt") != 0)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                names = realloc(names, cap * sizeof *names);
            }
            names[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, by_name);
    }

    int failures = 0, files = 0;
    for (size_t i = 0; i < n; i++) {
        failures += run_file(argv[1], names[i], full_sweep);
        files++;
        free(names[i]);
    }
    free(names);
    printf("%d files, %d failing cases\n", files, failures);
    if (files == 0)
        return 1;
    return failures ? 1 : 0;
}
