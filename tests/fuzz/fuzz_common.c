/* What the fuzz targets share (fuzz.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#ifndef BATON_FUZZ_SRCDIR
#define BATON_FUZZ_SRCDIR "tests/fuzz"
#endif

const char *fz_srcdir(void)
{
    const char *d = getenv("BATON_FUZZ_SRCDIR");
    return d && *d ? d : BATON_FUZZ_SRCDIR;
}

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

unsigned fz_byte(fz_bytes *b)
{
    return b && b->off < b->n ? b->p[b->off++] : 0;
}

/* The time every engine a target drives reads: it moves only when the
 * host moves it (fz_drive), so that an input always runs alike. */
static int64_t fz_now;

static int64_t fz_clock(void *ud)
{
    (void)ud;
    return fz_now;
}

/* An instance restored at the end of its key range refuses every change:
 * a clean refusal, wherever it comes. */
static int out_of_keys(baton_engine *e, int rc)
{
    return rc == BATON_ELIMIT && e &&
           !strcmp(baton_engine_errmsg(e),
                   "the instance has used up its 2^32 keys");
}

void fz_expect(baton_engine *e, const char *what, int rc,
               const int *allowed)
{
    if (rc >= 0 || out_of_keys(e, rc))
        return;
    for (; allowed && *allowed; allowed++)
        if (rc == *allowed)
            return;
    fz_fail("%s returned %d (%s): %s", what, rc, baton_strerror(rc),
            e ? baton_engine_errmsg(e) : "");
}

/* Error codes of the test models, and a few that nothing catches. */
static const char *const error_codes[] = {
    "FLIGHT_BOOKING_FAILED", "CARD_DECLINED", "OUT_OF_STOCK",
    "io.berndruecker.serverless.aws.lambda.LambdaInvocationError",
    "error", "E1",
};

static const char *const small_vars[] = {
    NULL,
    "{}",
    "{\"ok\":true,\"x\":1}",
    "{\"x\":2.5,\"s\":\"text\",\"o\":{\"a\":{\"b\":1}},\"l\":[1,2]}",
    "{\"x\":null,\"ok\":false,\"s\":\"\"}",
    "{\"price\":99.5,\"amount\":250,\"approved\":true,\"score\":700}",
};

int fz_settle(baton_instance *in, baton_job *job, fz_bytes *b,
              int in_handler)
{
    static const int ok_settle[] = { BATON_ESTATE, BATON_ENOTFOUND, 0 };
    baton_engine *e = baton_instance_engine(in);
    uint64_t key = baton_job_key(job);
    unsigned c = fz_byte(b);
    int rc = 0;
    switch (c & 3) {
    case 0: {
        char buf[256];
        const char *vars = small_vars[(c >> 2) % (sizeof small_vars /
                                                 sizeof *small_vars)];
        const char *result = baton_job_header(job, "resultName");
        if (result && strlen(result) < 100 && !strpbrk(result, "\"\\") &&
            (c & 0x80) == 0) {
            snprintf(buf, sizeof buf, "{\"%s\":{\"success\":%s}}", result,
                     c & 0x40 ? "false" : "true");
            vars = buf;
        }
        rc = in_handler ? baton_job_complete(job, vars, BATON_NUL)
                        : baton_instance_complete_job(in, key, vars,
                                                      BATON_NUL);
        fz_expect(e, "completing a job", rc, ok_settle);
        break;
    }
    case 1: {
        /* Now and then retried after a backoff of up to 7 minutes. */
        int64_t backoff = c & 0x40 ? (int64_t)((c >> 3) & 7) * 60000 : 0;
        rc = in_handler
                 ? baton_job_fail_backoff(job, (int)(c >> 2) % 3, backoff,
                                          "failed")
                 : baton_instance_fail_job_backoff(
                       in, key, (int)(c >> 2) % 3, backoff,
                       c & 0x80 ? NULL : "failed");
        fz_expect(e, "failing a job", rc, ok_settle);
        break;
    }
    case 2: {
        char code[16];
        const char *ec;
        if ((c >> 2) < 48) {
            ec = error_codes[(c >> 2) % (sizeof error_codes /
                                          sizeof *error_codes)];
        } else {
            /* A code of input bytes; "" is refused as an argument. */
            size_t n = 0;
            for (unsigned k = fz_byte(b) % 8; n < k; n++)
                code[n] = (char)(fz_byte(b) | 1);
            code[n] = '\0';
            ec = code;
        }
        static const int ok_throw[] = { BATON_ESTATE, BATON_ENOTFOUND,
                                        BATON_EINVAL, 0 };
        rc = in_handler ? baton_job_throw_error(job, ec, "thrown")
                        : baton_instance_throw_job_error(in, key, ec, NULL);
        fz_expect(e, "throwing an error", rc, ok_throw);
        if (rc == BATON_EINVAL && *ec)
            fz_fail("a non-empty error code '%s' was refused: %s", ec,
                    baton_engine_errmsg(e));
        if (rc && in_handler)
            baton_job_complete(job, NULL, 0);
        break;
    }
    default:
        if (in_handler)
            baton_job_defer(job);
        return 1;
    }
    return 0;
}

/* Reads the job as a handler would. */
static void read_job(baton_job *job)
{
    volatile size_t sink = 0;
    sink += strlen(baton_job_type(job)) + strlen(baton_job_element_id(job));
    sink += strlen(baton_job_process_id(job));
    sink += (size_t)baton_job_retries(job) + baton_job_element_instance_key(job);
    sink += baton_job_process_instance_key(job);
    for (size_t i = 0; i < baton_job_header_count(job); i++)
        sink += strlen(baton_job_header_name(job, i)) +
                strlen(baton_job_header_value(job, i));
    char *vars = NULL;
    size_t len = 0;
    int rc = baton_job_variables(job, &vars, &len);
    if (rc)
        fz_fail("reading a job's variables: %d", rc);
    if (len != strlen(vars) || vars[0] != '{')
        fz_fail("a job's variables are not a JSON object text: %s", vars);
    baton_free(vars);
    (void)sink;
}

int fz_handler(void *ud, baton_job *job)
{
    read_job(job);
    fz_settle(baton_job_instance(job), job, ud, 1);
    return 0;
}

void fz_round_trip(baton_engine *e, baton_instance **in)
{
    void *s1 = NULL, *s2 = NULL;
    size_t n1 = 0, n2 = 0;
    baton_instance *again = NULL;
    int rc = baton_instance_snapshot(*in, &s1, &n1);
    if (rc)
        fz_fail("snapshot: %d: %s", rc, baton_engine_errmsg(e));
    rc = baton_instance_restore(e, s1, n1, &again);
    if (rc)
        fz_fail("an instance's own snapshot (%zu bytes) is refused: %d: %s",
                n1, rc, baton_engine_errmsg(e));
    rc = baton_instance_snapshot(again, &s2, &n2);
    if (rc)
        fz_fail("snapshot of a restored instance: %d", rc);
    if (n1 != n2 || memcmp(s1, s2, n1))
        fz_fail("a restored instance's snapshot differs from the one it "
                "was restored from (%zu and %zu bytes)", n1, n2);
    if (baton_instance_state(again) != baton_instance_state(*in) ||
        baton_instance_key(again) != baton_instance_key(*in) ||
        baton_instance_revision(again) != baton_instance_revision(*in) ||
        baton_instance_job_count(again) != baton_instance_job_count(*in) ||
        baton_instance_incident_count(again) !=
            baton_instance_incident_count(*in))
        fz_fail("a restored instance differs from the one snapshotted");
    baton_free(s1);
    baton_free(s2);
    baton_instance_free(*in);
    *in = again;
}

void fz_read_back(baton_engine *e, baton_instance *in)
{
    char *vars = NULL;
    size_t len = 0;
    int rc = baton_instance_variables(in, &vars, &len);
    if (rc)
        fz_fail("reading the variables: %d: %s", rc, baton_engine_errmsg(e));
    if (len != strlen(vars) || vars[0] != '{')
        fz_fail("the variables are not a JSON object text: %s", vars);
    int state = baton_instance_state(in);
    if (state != BATON_INSTANCE_COMPLETED &&
        state != BATON_INSTANCE_TERMINATED) {
        rc = baton_instance_set_variables(in, vars, len);
        if (rc && !out_of_keys(e, rc))
            fz_fail("the instance's own variables are refused by "
                    "set_variables: %d: %s\n%s", rc, baton_engine_errmsg(e),
                    vars);
    }
    baton_free(vars);
    for (size_t i = 0; i < baton_instance_job_count(in); i++)
        read_job(baton_instance_job(in, i));
    for (size_t i = 0; i < baton_instance_incident_count(in); i++) {
        volatile size_t sink =
            strlen(baton_instance_incident_type(in, i)) +
            strlen(baton_instance_incident_message(in, i)) +
            strlen(baton_instance_incident_element_id(in, i)) +
            baton_instance_incident_job_key(in, i) +
            baton_instance_incident_key(in, i);
        (void)sink;
    }
}

/* Variables that the conditions of the test models read. */
static const char *const condition_vars[] = {
    "{\"paid\":true,\"ready\":true,\"fraud\":true,\"go\":true}",
    "{\"amount\":150,\"level\":5,\"c0\":true,\"c1\":\"go\",\"c2\":4}",
    "{\"amount\":50,\"ready\":false,\"paid\":false,\"c0\":false}",
    "{\"level\":\"high\",\"ready\":null}",
};

/* Copies of what the first subscriptions wait for: acting on one changes
 * the list and frees its strings. */
typedef struct fz_sub {
    int kind;
    char *name, *key;
} fz_sub;

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        fz_fail("out of memory");
    memcpy(d, s, n);
    return d;
}

/* One subscription, as the byte `a` says: a message correlated with its
 * name and key, with another key, or under a name that nothing waits
 * for; a signal delivered; variables set for a condition; or nothing. */
static void drive_sub(baton_engine *e, baton_instance *in, const fz_sub *s,
                      unsigned a)
{
    const char *vars = small_vars[(a >> 2) % (sizeof small_vars /
                                              sizeof *small_vars)];
    int rc = 0;
    switch (s->kind) {
    case BATON_SUB_MESSAGE:
        if ((a & 3) == 3 || !s->name || !*s->name)
            return;
        rc = baton_instance_correlate_message(
            in, (a & 3) == 2 ? "no such message" : s->name,
            (a & 3) == 1 ? "another key" : s->key, vars, BATON_NUL);
        fz_expect(e, "correlate_message", rc, NULL);
        if (rc > 1)
            fz_fail("correlate_message returned %d", rc);
        break;
    case BATON_SUB_SIGNAL:
        if ((a & 3) == 3 || !s->name || !*s->name)
            return;
        rc = baton_instance_signal(in, s->name, vars, BATON_NUL);
        fz_expect(e, "signal", rc, NULL);
        break;
    case BATON_SUB_CONDITION:
        rc = baton_instance_set_variables(
            in, condition_vars[a % (sizeof condition_vars /
                                    sizeof *condition_vars)],
            BATON_NUL);
        fz_expect(e, "set_variables", rc, NULL);
        break;
    default:
        break;
    }
}

/* What the instance waits for besides jobs: the clock moves to its next
 * due time (and, as a byte says, up to 7 minutes past it), then each of
 * its first eight subscriptions is acted on (drive_sub). */
static void drive_events(baton_engine *e, baton_instance *in, fz_bytes *b)
{
    int64_t due;
    unsigned c = fz_byte(b);
    int rc = baton_instance_next_due(in, &due);
    if (rc < 0 || rc > 1)
        fz_fail("next_due returned %d", rc);
    if (rc == 1) {
        /* A restored due time may be anything, INT64_MAX included. */
        int64_t past = (int64_t)(c & 7) * 60000;
        if (due > fz_now)
            fz_now = due;
        fz_now = fz_now > INT64_MAX - past ? INT64_MAX : fz_now + past;
    }
    fz_sub subs[8];
    size_t n = baton_instance_subscription_count(in);
    if (n > 8)
        n = 8;
    for (size_t i = 0; i < n; i++) {
        subs[i].kind = baton_instance_subscription_kind(in, i);
        subs[i].name = dup_or_null(baton_instance_subscription_name(in, i));
        subs[i].key = dup_or_null(
            baton_instance_subscription_correlation_key(in, i));
        if (subs[i].kind < BATON_SUB_TIMER ||
            subs[i].kind > BATON_SUB_CONDITION)
            fz_fail("subscription %zu has kind %d", i, subs[i].kind);
    }
    if (baton_instance_subscription_kind(
            in, baton_instance_subscription_count(in)) != -1)
        fz_fail("a subscription out of range has a kind");
    for (size_t i = 0; i < n; i++) {
        drive_sub(e, in, &subs[i], fz_byte(b));
        free(subs[i].name);
        free(subs[i].key);
    }
}

void fz_drive(baton_engine *e, baton_instance **in, fz_bytes *b, int rounds,
              size_t budget)
{
    static const int ok_run[] = { BATON_EBUDGET, 0 };
    /* 2026-01-01T00:00:00Z, as the scenarios' clocks start. */
    fz_now = 1767225600000LL;
    baton_engine_set_clock(e, fz_clock, NULL);
    for (int r = 0; r < rounds; r++) {
        int rc = baton_instance_run(*in, budget);
        fz_expect(e, "run", rc, ok_run);
        fz_round_trip(e, in);
        if (rc == BATON_STEP_ENDED)
            return;
        fz_read_back(e, *in);
        unsigned c = fz_byte(b);
        if (c == 0xff) {
            rc = baton_instance_cancel(*in);
            fz_expect(e, "cancel", rc, NULL);
            continue;
        }
        /* Each waiting job by key; settling changes the list, so its
         * keys are taken first. */
        uint64_t keys[16];
        size_t n = baton_instance_job_count(*in);
        if (n > 16)
            n = 16;
        for (size_t i = 0; i < n; i++)
            keys[i] = baton_job_key(baton_instance_job(*in, i));
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < baton_instance_job_count(*in); k++) {
                baton_job *job = baton_instance_job(*in, k);
                if (baton_job_key(job) == keys[i]) {
                    fz_settle(*in, job, b, 0);
                    break;
                }
            }
        /* Every open incident: retries back for a job, then resolve. An
         * incident whose resolution is refused (cleanly: an instance out
         * of keys) stays, and the next one is tried. */
        size_t kept = 0;
        for (size_t left = baton_instance_incident_count(*in); left;
             left--) {
            uint64_t job = baton_instance_incident_job_key(*in, kept);
            if (job) {
                rc = baton_instance_update_job_retries(*in, job,
                                                       1 + (int)(c & 1));
                fz_expect(e, "update_job_retries", rc, NULL);
            }
            rc = baton_instance_resolve_incident(
                *in, baton_instance_incident_key(*in, kept));
            fz_expect(e, "resolve_incident", rc, NULL);
            kept += rc < 0;
        }
        if (baton_instance_incident_count(*in) != kept)
            fz_fail("incidents left after resolving every one");
        drive_events(e, *in, b);
    }
}
