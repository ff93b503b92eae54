/* --now and --then: the tool's clock, and the events it delivers each time
 * the instance waits.
 *
 * Time is an input of the library (baton_clock_fn): the tool answers the
 * clock hook with a value of its own, set once at the start (--now, or
 * the system's time) and moved only by advance:, so that a run with --now
 * gives the same records every time, and two hours pass in no time. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS 86400000LL
/* The years 0001-9999, the range of the library's timers. */
#define TIME_MIN (-62135596800000LL)
#define TIME_MAX 253402300799999LL
#define MAX_DAYS 3652059LL /* 9999 years */

/* ------------------------------------------------------------------ */
/* Dates                                                               */
/* ------------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return a % b != 0 && (a < 0) != (b < 0) ? q - 1 : q;
}

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), and back. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30,
                               31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Exactly `count` digits at `*p`, which moves past them. */
static int fixed_digits(const char **p, int count, int *out)
{
    int i, v = 0;

    for (i = 0; i < count; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
    }
    *p += count;
    *out = v;
    return 0;
}

/* The zone after the time: Z, or an offset +hh:mm / -hh:mm, in minutes
 * east of UTC. */
static int parse_zone(const char *p, int *minutes)
{
    int sign, h, m;

    if (p[0] == 'Z' && p[1] == '\0') {
        *minutes = 0;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return -1;
    sign = *p++ == '-' ? -1 : 1;
    if (fixed_digits(&p, 2, &h) || *p++ != ':' || fixed_digits(&p, 2, &m) ||
        *p != '\0' || h > 23 || m > 59)
        return -1;
    *minutes = sign * (h * 60 + m);
    return 0;
}

int cli_time_parse(const char *text, int64_t *out)
{
    const char *p = text;
    int y, mo, d, h, mi, s, ms = 0, zone;
    int64_t t;

    if (fixed_digits(&p, 4, &y) || *p++ != '-' ||
        fixed_digits(&p, 2, &mo) || *p++ != '-' ||
        fixed_digits(&p, 2, &d) || *p++ != 'T' ||
        fixed_digits(&p, 2, &h) || *p++ != ':' ||
        fixed_digits(&p, 2, &mi) || *p++ != ':' ||
        fixed_digits(&p, 2, &s))
        return -1;
    if (*p == '.') {
        int n = 0;
        for (p++; n < 3 && *p >= '0' && *p <= '9'; p++, n++)
            ms = ms * 10 + (*p - '0');
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            ms *= 10;
    }
    if (parse_zone(p, &zone) != 0)
        return -1;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
        h > 23 || mi > 59 || s > 59)
        return -2;
    t = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) *
            1000 + ms - (int64_t)zone * 60000;
    if (t < TIME_MIN || t > TIME_MAX)
        return -2;
    *out = t;
    return 0;
}

char *cli_time_format(int64_t t, char buf[32])
{
    int64_t days = floor_div(t, DAY_MS), y;
    int64_t ms = t - days * DAY_MS;
    int m, d;

    civil_from_days(days, &y, &m, &d);
    snprintf(buf, 32, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m,
             d, (int)(ms / 3600000), (int)(ms / 60000 % 60),
             (int)(ms / 1000 % 60), (int)(ms % 1000));
    return buf;
}

/* ------------------------------------------------------------------ */
/* The clock                                                           */
/* ------------------------------------------------------------------ */

int64_t cli_clock_read(void *ud)
{
    return ((const struct cli_clock *)ud)->now;
}

int cli_clock_system(int64_t *out)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return -1;
    *out = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Durations                                                           */
/* ------------------------------------------------------------------ */

/* The grammar and the arithmetic are those of the library's timer
 * durations, so that advance: reads a duration as a model's timer does:
 * P[nY][nM][nW][nD][T[nH][nM][n[.f]S]], letters in either case, a fraction
 * only on seconds, and years and months as calendar months in UTC. */

struct unit {
    char letter;
    int64_t ms; /* time units: their length; date units: 0 */
};

static const struct unit date_units[] = {
    {'Y', 0}, {'M', 0}, {'W', 0}, {'D', 0}};
static const struct unit time_units[] = {
    {'H', 3600000}, {'M', 60000}, {'S', 1000}};

static char upper(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

/* Digits at `*p`; the value stops growing past 10^15, above every limit,
 * so that a long run of digits cannot overflow. */
static int64_t number(const char **p)
{
    int64_t v = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++)
        if (v <= 1000000000000000LL)
            v = v * 10 + (**p - '0');
    return v;
}

/* A fraction of a second after '.' or ',': up to nine digits, kept to
 * the millisecond. Returns the milliseconds, or -1. */
static int64_t fraction(const char **p)
{
    int64_t v = 0;
    int n = 0;

    for ((*p)++; **p >= '0' && **p <= '9'; (*p)++, n++)
        if (n < 3)
            v = v * 10 + (**p - '0');
    if (n == 0 || n > 9)
        return -1;
    for (; n < 3; n++)
        v *= 10;
    return v;
}

/* One "<number>[.fraction]<letter>" into `d`; `*next` is the first unit
 * the letter may be. Returns NULL, or what is wrong. */
static const char *duration_part(const char **p, int in_time, size_t *next,
                                 struct cli_duration *d)
{
    const struct unit *units = in_time ? time_units : date_units;
    size_t n = in_time ? 3 : 4, k;
    int64_t v = number(p), frac = -1;

    if (**p == '.' || **p == ',') {
        frac = fraction(p);
        if (frac < 0)
            return "expected 1 to 9 digits after the decimal point";
    }
    for (k = *next; k < n && units[k].letter != upper(**p); k++)
        continue;
    if (k == n)
        return in_time ? "expected H, M or S after a number, in that order"
                       : "expected Y, M, W or D after a number, in that "
                         "order (hours, minutes and seconds follow 'T')";
    if (frac >= 0 && !(in_time && units[k].letter == 'S'))
        return "only seconds can have a fraction";
    if (in_time && v > MAX_DAYS * DAY_MS / units[k].ms)
        return "the duration is longer than 9999 years";
    if (in_time)
        d->ms += v * units[k].ms + (frac > 0 ? frac : 0);
    else if (units[k].letter == 'Y')
        d->months += v * 12;
    else if (units[k].letter == 'M')
        d->months += v;
    else
        d->days += units[k].letter == 'W' ? v * 7 : v;
    if (d->months > 9999 * 12 || d->days > MAX_DAYS ||
        d->ms > MAX_DAYS * DAY_MS)
        return "the duration is longer than 9999 years";
    (*p)++;
    *next = k + 1;
    return NULL;
}

/* Parses an ISO 8601 duration. Returns NULL, or what is wrong. */
static const char *parse_duration(const char *text, struct cli_duration *d)
{
    const char *p = text, *why;
    size_t next = 0;
    int in_time = 0, parts = 0, time_parts = 0;

    memset(d, 0, sizeof *d);
    if (*p == '-')
        return "the clock only moves forward";
    if (upper(*p) != 'P')
        return "expected an ISO 8601 duration such as PT2H or P1DT30M";
    for (p++; *p;) {
        if (upper(*p) == 'T' && !in_time) {
            in_time = 1;
            next = 0;
            p++;
            continue;
        }
        if (*p < '0' || *p > '9')
            return "expected a number in the duration";
        why = duration_part(&p, in_time, &next, d);
        if (why)
            return why;
        parts++;
        time_parts += in_time;
    }
    if (!parts)
        return "the duration has no part";
    if (in_time && !time_parts)
        return "'T' has no time part after it";
    return NULL;
}

/* `t` plus `d`: months first (a day past the end of the month becomes its
 * last day, as java.time does), then days and time. Returns 0, or -1 when
 * the result passes the year 9999. */
static int add_duration(int64_t t, const struct cli_duration *d,
                        int64_t *out)
{
    if (d->months) {
        int64_t days = floor_div(t, DAY_MS), y, total;
        int m, day;

        civil_from_days(days, &y, &m, &day);
        total = y * 12 + (m - 1) + d->months;
        if (total > 9999 * 12 + 11)
            return -1;
        y = total / 12;
        m = (int)(total % 12) + 1;
        if (day > days_in_month(y, m))
            day = days_in_month(y, m);
        t = days_from_civil(y, m, day) * DAY_MS + (t - days * DAY_MS);
    }
    /* Each part is below 10^15 ms and t below 3 * 10^14: no overflow. */
    t += d->days * DAY_MS + d->ms;
    if (t > TIME_MAX)
        return -1;
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------ */
/* --then ACTION                                                       */
/* ------------------------------------------------------------------ */

#define THEN_ACTIONS                                                     \
    "ACTION is advance:DURATION, message:NAME[:KEY[:JSON]], "            \
    "signal:NAME[:JSON], complete:ELEMENT_ID[:JSON], "                   \
    "fail:ELEMENT_ID[:MESSAGE], error:ELEMENT_ID:CODE[:MESSAGE] or cancel"

/* What an action needs after its verb, for the message when it is
 * missing. */
static const char *expected(enum then_kind kind)
{
    switch (kind) {
    case THEN_ADVANCE: return "expected advance:DURATION";
    case THEN_MESSAGE: return "expected message:NAME[:KEY[:JSON]]";
    case THEN_SIGNAL: return "expected signal:NAME[:JSON]";
    default: return "expected an ELEMENT_ID";
    }
}

/* Ends `s` at its first colon. Returns what follows it, or NULL. */
static char *cut(char *s)
{
    char *colon = s ? strchr(s, ':') : NULL;
    if (!colon)
        return NULL;
    *colon = '\0';
    return colon + 1;
}

/* The JSON of an action, when there is one, must be one object, as the
 * library takes it: checked before anything runs. */
static const char *check_json(const char *text, char *buf, size_t size)
{
    int rc;

    if (!text)
        return NULL;
    if (!*text)
        return "expected a JSON object after the colon";
    rc = cli_json_object_check(text, buf, size);
    if (rc > 0)
        return "expected a JSON object";
    return rc < 0 ? buf : NULL;
}

/* The part of each action after its verb (`rest`, NULL when none).
 * Returns NULL, or what is wrong. */
static const char *parse_arguments(struct then_action *a, char *rest,
                                   char *buf, size_t size)
{
    char *more;

    if (a->kind == THEN_CANCEL)
        return rest ? "cancel takes no argument" : NULL;
    if (!rest || !*rest)
        return expected(a->kind);
    if (a->kind == THEN_ADVANCE)
        return parse_duration(rest, &a->by);
    a->name = rest;
    more = cut(rest);
    if (!*a->name)
        return a->kind == THEN_MESSAGE || a->kind == THEN_SIGNAL
                   ? "expected a NAME"
                   : "expected an ELEMENT_ID";
    switch (a->kind) {
    case THEN_MESSAGE:
        a->text = cut(more);
        a->key = more && *more ? more : NULL; /* empty: no key */
        return check_json(a->text, buf, size);
    case THEN_SIGNAL:
    case THEN_COMPLETE:
        a->text = more;
        return check_json(a->text, buf, size);
    case THEN_FAIL:
        a->text = more;
        return NULL;
    case THEN_ERROR:
        a->key = more;
        a->text = cut(more);
        return a->key && *a->key
                   ? NULL
                   : "error needs a CODE (error:ELEMENT_ID:CODE)";
    default:
        return NULL;
    }
}

int cli_then_parse(const char *spec, struct then_action *a)
{
    static const struct {
        const char *verb;
        enum then_kind kind;
    } verbs[] = {
        {"advance", THEN_ADVANCE}, {"message", THEN_MESSAGE},
        {"signal", THEN_SIGNAL},   {"complete", THEN_COMPLETE},
        {"fail", THEN_FAIL},       {"error", THEN_ERROR},
        {"cancel", THEN_CANCEL},
    };
    char buf[256], *rest;
    const char *why = THEN_ACTIONS;
    size_t i;

    memset(a, 0, sizeof *a);
    a->spec = spec;
    a->buf = cli_strdup(spec);
    if (!a->buf)
        return -1;
    rest = cut(a->buf);
    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(a->buf, verbs[i].verb) == 0) {
            a->kind = verbs[i].kind;
            why = parse_arguments(a, rest, buf, sizeof buf);
            break;
        }
    if (!why)
        return 0;
    fprintf(stderr, "baton: --then %s: %s\n", spec, why);
    cli_then_free(a);
    return CLI_EXIT_REFUSED;
}

void cli_then_free(struct then_action *a)
{
    free(a->buf);
    a->buf = NULL;
}

static int refuse(const struct then_action *a, const char *why)
{
    if (a->what)
        fprintf(stderr, "baton: %s: %s\n", a->what, why);
    else
        fprintf(stderr, "baton: --then %s: %s\n", a->spec, why);
    return CLI_EXIT_REFUSED;
}

static int engine_failed(const struct then_action *a,
                         const baton_engine *engine, int code)
{
    if (a->what)
        fprintf(stderr, "baton: %s: ", a->what);
    else
        fprintf(stderr, "baton: --then %s: ", a->spec);
    cli_print_engine_error(engine, NULL, NULL, code);
    return CLI_EXIT_REFUSED;
}

/* complete:, fail:, error: settle the first waiting job of the element,
 * as a worker that took it would; failing that, the first of that job
 * type (an element id wins, as in --job). */
static int settle_job(const struct then_action *a, baton_engine *engine,
                      baton_instance *inst, uint64_t *job_key)
{
    size_t i, n = baton_instance_job_count(inst);
    baton_job *job = NULL;
    uint64_t key;
    int rc, retries;

    for (i = 0; i < n && !job; i++) {
        baton_job *j = baton_instance_job(inst, i);
        const char *id = j ? baton_job_element_id(j) : NULL;
        if (id && strcmp(id, a->name) == 0)
            job = j;
    }
    for (i = 0; i < n && !job; i++) {
        baton_job *j = baton_instance_job(inst, i);
        const char *type = j ? baton_job_type(j) : NULL;
        if (type && strcmp(type, a->name) == 0)
            job = j;
    }
    if (!job) {
        char why[300];
        snprintf(why, sizeof why, "no waiting job of %s", a->name);
        return refuse(a, why);
    }
    key = baton_job_key(job);
    retries = baton_job_retries(job);
    if (a->kind == THEN_COMPLETE)
        rc = baton_instance_complete_job(inst, key, a->text,
                                         a->text ? BATON_NUL : 0);
    else if (a->kind == THEN_FAIL)
        rc = baton_instance_fail_job(inst, key, retries > 0 ? retries - 1 : 0,
                                     a->text);
    else
        rc = baton_instance_throw_job_error(inst, key, a->key, a->text);
    if (rc != BATON_OK)
        return engine_failed(a, engine, rc);
    *job_key = key;
    return 0;
}

int cli_then_apply(const struct then_action *a, baton_engine *engine,
                   baton_instance *inst, struct cli_clock *clock,
                   uint64_t *job_key)
{
    int rc;

    *job_key = 0;
    switch (a->kind) {
    case THEN_ADVANCE:
        if (add_duration(clock->now, &a->by, &clock->now) != 0)
            return refuse(a, "the clock would pass the year 9999");
        return 0;
    case THEN_MESSAGE:
        rc = baton_instance_correlate_message(inst, a->name, a->key, a->text,
                                              a->text ? BATON_NUL : 0);
        break;
    case THEN_SIGNAL:
        rc = baton_instance_signal(inst, a->name, a->text,
                                   a->text ? BATON_NUL : 0);
        break;
    case THEN_CANCEL:
        rc = baton_instance_cancel(inst);
        return rc == BATON_OK ? 0 : engine_failed(a, engine, rc);
    default:
        return settle_job(a, engine, inst, job_key);
    }
    if (rc < 0)
        return engine_failed(a, engine, rc);
    return rc == 0 ? refuse(a, "no open subscription matched") : 0;
}

/* ------------------------------------------------------------------ */
/* What the instance waits for                                         */
/* ------------------------------------------------------------------ */

static const char *sub_kind_name(int kind)
{
    switch (kind) {
    case BATON_SUB_TIMER: return "timer";
    case BATON_SUB_MESSAGE: return "message";
    case BATON_SUB_SIGNAL: return "signal";
    case BATON_SUB_CONDITION: return "condition";
    default: return "unknown";
    }
}

static void print_subscription(FILE *f, const baton_instance *inst,
                               size_t i)
{
    const char *name = baton_instance_subscription_name(inst, i);
    const char *corr = baton_instance_subscription_correlation_key(inst, i);
    int kind = baton_instance_subscription_kind(inst, i);
    char when[32];

    fputs("{\"kind\": ", f);
    cli_json_string(f, sub_kind_name(kind));
    fprintf(f, ", \"key\": %" PRIu64 ", \"elementId\": ",
            baton_instance_subscription_key(inst, i));
    cli_json_string(f, baton_instance_subscription_element_id(inst, i));
    if (name) {
        fputs(", \"name\": ", f);
        cli_json_string(f, name);
    }
    if (corr) {
        fputs(", \"correlationKey\": ", f);
        cli_json_string(f, corr);
    }
    if (kind == BATON_SUB_TIMER) {
        fputs(", \"due\": ", f);
        cli_json_string(f, cli_time_format(
                               baton_instance_subscription_due(inst, i),
                               when));
    }
    fputc('}', f);
}

void cli_print_waits(FILE *f, const baton_instance *inst)
{
    size_t i, n = baton_instance_subscription_count(inst);
    int64_t due;
    char when[32];

    if (baton_instance_next_due(inst, &due) == 1) {
        fputs(", \"nextDue\": ", f);
        cli_json_string(f, cli_time_format(due, when));
    }
    if (n == 0)
        return;
    fputs(", \"subscriptions\": [", f);
    for (i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        print_subscription(f, inst, i);
    }
    fputc(']', f);
}
