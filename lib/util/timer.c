/* Timer definitions: ISO 8601 durations, dates and repeating intervals
 * parsed into a bt_timer_spec, and the due times they give. Cron
 * expressions are cron.c's.
 *
 * The text is hostile (it comes from models, and fuzzers feed it): every
 * number is read with a cap, every sum is bounded before it is formed,
 * and every time is kept within years 0001 to 9999, so that no step can
 * overflow. The calendar is the proleptic Gregorian one of java.time,
 * computed here (cron.h) rather than by the C library, which would bring
 * locales, the process's zone and a narrower range.
 *
 * Calendar arithmetic follows java.time's ZonedDateTime.plus(), as Zeebe
 * uses it: months (with years) are added to the local date-time, the day
 * clamped to the month's end; then days; each result resolved back to an
 * instant in the zone; then hours, minutes and seconds are added to the
 * instant. Zone ids are ICU's: only the zone's offset at an instant is
 * asked of it, and the local-to-instant resolution, with java.time's
 * rules for gaps and overlaps, is done here, so that it does not depend
 * on ICU's own wall-time options nor on its Julian calendar before 1582. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/cron.h"
#include "util/timer.h"

#ifdef BT_HAVE_ICU
#include <unicode/ucal.h>
#endif

/* Days from 0001-01-01 to 10000-01-01: no duration that fits the range
 * of times is longer. */
#define SPAN_DAYS 3652059LL
#define SPAN_MS (SPAN_DAYS * BT_DAY_MS)

/* ------------------------------------------------------------------ */
/* Messages and scanning                                              */
/* ------------------------------------------------------------------ */

static void vformat(char *err, size_t errlen, size_t pos, const char *fmt,
                    va_list ap)
{
    if (!err || !errlen)
        return;
    int n = vsnprintf(err, errlen, fmt, ap);
    if (n >= 0 && (size_t)n < errlen)
        snprintf(err + n, errlen - (size_t)n, " at character %zu", pos + 1);
}

int bt_timer_fail(char *err, size_t errlen, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(err, errlen, pos, fmt, ap);
    va_end(ap);
    return -1;
}

/* The part of the trimmed text being read: positions count from `s`. */
typedef struct scan {
    const char *s;
    size_t i, end;
    char *err;
    size_t errlen;
} scan;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(const scan *c, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(c->err, c->errlen, pos, fmt, ap);
    va_end(ap);
    return -1;
}

const char *bt_timer_show(char ch, char buf[16])
{
    if (ch >= 0x20 && ch < 0x7f)
        snprintf(buf, 16, "'%c'", ch);
    else
        snprintf(buf, 16, "byte 0x%02x", (unsigned char)ch);
    return buf;
}

static int at_end(const scan *c) { return c->i >= c->end; }
static char peek(const scan *c) { return at_end(c) ? '\0' : c->s[c->i]; }

/* Decimal digits at the cursor. The value stops growing past 10^15, above
 * every limit here, so that a long run of digits neither overflows nor
 * passes a check. Returns how many digits there were. */
static size_t number(scan *c, int64_t *v)
{
    size_t start = c->i;
    int64_t x = 0;
    for (; !at_end(c) && bt_is_digit(c->s[c->i]); c->i++)
        if (x <= 1000000000000000LL)
            x = x * 10 + (c->s[c->i] - '0');
    *v = x;
    return c->i - start;
}

/* Exactly `count` digits, as a date's fields are written. */
static int fixed(scan *c, int count, const char *what, int *v)
{
    size_t start = c->i;
    int x = 0;
    for (; c->i - start < (size_t)count; c->i++) {
        if (at_end(c) || !bt_is_digit(c->s[c->i]))
            return fail(c, c->i, "expected %d digits for the %s", count,
                        what);
        x = x * 10 + (c->s[c->i] - '0');
    }
    *v = x;
    return 0;
}

static int expect(scan *c, char ch, const char *where)
{
    if (bt_upper(peek(c)) != ch || at_end(c))
        return fail(c, c->i, "expected '%c' %s", ch, where);
    c->i++;
    return 0;
}

/* A fraction of a second after '.' or ',': up to nine digits, as
 * java.time reads them, kept to the millisecond. */
static int fraction(scan *c, int64_t *ms)
{
    size_t at = c->i++, n = 0;
    int64_t v = 0;
    for (; !at_end(c) && bt_is_digit(c->s[c->i]); c->i++, n++)
        if (n < 3)
            v = v * 10 + (c->s[c->i] - '0');
    if (!n)
        return fail(c, c->i, "expected digits after the decimal point");
    if (n > 9)
        return fail(c, at, "the fraction has more than 9 digits");
    for (; n < 3; n++)
        v *= 10;
    *ms = v;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Durations                                                          */
/* ------------------------------------------------------------------ */

typedef struct unit {
    char letter;
    const char *what;
    int64_t max; /* the most that fits the range of times */
    int64_t ms;  /* time units: its length */
} unit;

static const unit date_units[] = {
    {'Y', "years", 9999, 0},
    {'M', "months", 9999 * 12, 0},
    {'W', "weeks", SPAN_DAYS / 7, 0},
    {'D', "days", SPAN_DAYS, 0},
};
static const unit time_units[] = {
    {'H', "hours", SPAN_DAYS * 24, 3600000},
    {'M', "minutes", SPAN_DAYS * 1440, 60000},
    {'S', "seconds", SPAN_DAYS * 86400, 1000},
};

/* The designator after a number: the next unit in order, or why not. */
static int designator(scan *c, int in_time, size_t *next)
{
    const unit *u = in_time ? time_units : date_units;
    size_t n = in_time ? 3 : 4;
    const char *list = in_time ? "H, M or S" : "Y, M, W or D";
    char buf[16], ch = bt_upper(peek(c));
    if (at_end(c))
        return fail(c, c->i, "expected %s after the number", list);
    for (size_t k = *next; k < n; k++)
        if (u[k].letter == ch) {
            *next = k;
            return 0;
        }
    for (size_t k = 0; k < *next; k++)
        if (u[k].letter == ch)
            return fail(c, c->i, "'%c' is out of order or repeated", ch);
    if (!in_time && (ch == 'H' || ch == 'S'))
        return fail(c, c->i, "'%c' must follow 'T'", ch);
    return fail(c, c->i, "expected %s after the number, found %s", list,
                bt_timer_show(c->s[c->i], buf));
}

/* One "<number>[.fraction]<designator>" into `d`. */
static int duration_part(scan *c, int in_time, size_t *next, bt_duration *d)
{
    size_t num_at = c->i, frac_at = 0;
    int64_t v, frac = -1;
    number(c, &v);
    if (peek(c) == '.' || peek(c) == ',') {
        frac_at = c->i;
        if (fraction(c, &frac))
            return -1;
    }
    if (designator(c, in_time, next))
        return -1;
    const unit *u = in_time ? &time_units[*next] : &date_units[*next];
    if (frac >= 0 && u->letter != 'S')
        return fail(c, frac_at, "only seconds can have a fraction");
    if (v > u->max)
        return fail(c, num_at, "the number of %s is too large (at most %lld)",
                    u->what, (long long)u->max);
    if (in_time)
        d->millis += v * u->ms + (frac > 0 ? frac : 0);
    else if (u->letter == 'Y')
        d->years = (int32_t)v;
    else if (u->letter == 'M')
        d->months = (int32_t)v;
    else
        d->days += (int32_t)(u->letter == 'W' ? v * 7 : v);
    if (d->days > SPAN_DAYS || d->millis > SPAN_MS)
        return fail(c, num_at, "the duration is longer than 9999 years");
    c->i++;
    (*next)++;
    return 0;
}

static int parse_duration(scan *c, bt_duration *d)
{
    size_t p_at = c->i, t_at = 0, next = 0;
    int parts = 0, time_parts = 0, in_time = 0;
    char buf[16];
    memset(d, 0, sizeof *d);
    if (peek(c) == '-' && !at_end(c))
        return fail(c, c->i, "negative durations are not allowed");
    if (bt_upper(peek(c)) != 'P' || at_end(c))
        return fail(c, c->i, "expected a duration 'P...'");
    for (c->i++; !at_end(c);) {
        char ch = c->s[c->i];
        if (bt_upper(ch) == 'T' && !in_time) {
            in_time = 1;
            next = 0;
            t_at = c->i++;
            continue;
        }
        if (ch == '-')
            return fail(c, c->i, "negative durations are not allowed");
        if (!bt_is_digit(ch))
            return fail(c, c->i, "expected a number, found %s", bt_timer_show(ch, buf));
        if (duration_part(c, in_time, &next, d))
            return -1;
        parts++;
        time_parts += in_time;
    }
    if (!parts && !in_time)
        return fail(c, p_at, "'P' has no date or time part");
    if (in_time && !time_parts)
        return fail(c, t_at, parts ? "'T' has no time part"
                                   : "'PT' has no time part");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Zones                                                              */
/* ------------------------------------------------------------------ */

/* Where local times are: a fixed offset from UTC, or a zone id. */
typedef struct tz {
    int64_t fixed; /* milliseconds, when there is no zone id */
#ifdef BT_HAVE_ICU
    UCalendar *cal;
#endif
} tz;

#ifdef BT_HAVE_ICU
/* Zone ids are ASCII (parse_zone() sees to it); ICU wants UTF-16. */
static int32_t to_uchars(const char *id, UChar out[64])
{
    int32_t n = 0;
    while (id[n] && n < 63) {
        out[n] = (UChar)(unsigned char)id[n];
        n++;
    }
    return id[n] ? -1 : n;
}

/* ucal_open() takes any id and falls back to GMT for an unknown one; a
 * known id is one ICU calls a system id (not "Mars/Base", nor a custom
 * "GMT+5"). */
static int zone_known(const UChar *id, int32_t n)
{
    UChar canon[128];
    UBool sys = 0;
    UErrorCode st = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, n, canon, 128, &sys, &st);
    return U_SUCCESS(st) && sys;
}
#endif

static int tz_open(tz *z, const char *id, int32_t offset_minutes)
{
    z->fixed = (int64_t)offset_minutes * 60000;
#ifdef BT_HAVE_ICU
    z->cal = NULL;
    if (id && *id) {
        UChar uid[64];
        int32_t n = to_uchars(id, uid);
        UErrorCode st = U_ZERO_ERROR;
        if (n <= 0 || !zone_known(uid, n))
            return -1;
        z->cal = ucal_open(uid, n, "", UCAL_GREGORIAN, &st);
        if (U_FAILURE(st)) {
            if (z->cal)
                ucal_close(z->cal);
            z->cal = NULL;
            return -1;
        }
    }
    return 0;
#else
    return id && *id ? -1 : 0;
#endif
}

static void tz_close(tz *z)
{
#ifdef BT_HAVE_ICU
    if (z->cal)
        ucal_close(z->cal);
    z->cal = NULL;
#else
    (void)z;
#endif
}

/* The offset from UTC, in milliseconds, at instant `t`. */
static int tz_offset(const tz *z, int64_t t, int64_t *off)
{
#ifdef BT_HAVE_ICU
    if (z->cal) {
        UErrorCode st = U_ZERO_ERROR;
        ucal_setMillis(z->cal, (UDate)t, &st);
        int32_t raw = ucal_get(z->cal, UCAL_ZONE_OFFSET, &st);
        int32_t dst = ucal_get(z->cal, UCAL_DST_OFFSET, &st);
        if (U_FAILURE(st))
            return -1;
        *off = (int64_t)raw + dst;
        return 0;
    }
#endif
    (void)t;
    *off = z->fixed;
    return 0;
}

/* The instant of local time `local`, as java.time's ZonedDateTime.ofLocal
 * finds it: the one offset valid there; in an overlap (clocks set back)
 * `preferred` when it is one of the two, else the earlier offset; in a
 * gap (clocks set forward) the offset before it, which moves the local
 * time later by the gap's length. The offsets a day before and after
 * bracket every transition that can touch `local`. */
static int tz_resolve(const tz *z, int64_t local, const int64_t *preferred,
                      int64_t *out)
{
    int64_t before, after, o1, o2;
    if (tz_offset(z, local - BT_DAY_MS, &before) ||
        tz_offset(z, local + BT_DAY_MS, &after) ||
        tz_offset(z, local - before, &o1) || tz_offset(z, local - after, &o2))
        return -1;
    int before_ok = o1 == before, after_ok = o2 == after;
    if (after_ok && (!before_ok || (preferred && *preferred == after)))
        *out = local - after;
    else
        *out = local - before;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Calendar arithmetic                                                */
/* ------------------------------------------------------------------ */

/* Local time (milliseconds as if UTC) plus `months`, the day clamped to
 * the month's end, as java.time's LocalDateTime.plusMonths. */
static int plus_months(int64_t local, int64_t months, int64_t *out)
{
    int64_t days = bt_floor_div(local, BT_DAY_MS), y;
    int m, d;
    bt_civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    if (total < 12 || total > 9999 * 12 + 11)
        return -1;
    y = total / 12;
    m = (int)(total % 12) + 1;
    if (d > bt_days_in_month(y, m))
        d = bt_days_in_month(y, m);
    *out = bt_days_from_civil(y, m, d) * BT_DAY_MS +
           (local - days * BT_DAY_MS);
    return 0;
}

static int in_range(int64_t t) { return t >= BT_TIME_MIN && t <= BT_TIME_MAX; }

/* One calendar step in `z`: months, or days when `months` is 0. */
static int calendar_step(const tz *z, int64_t t, int64_t months,
                         int64_t days, int64_t *out)
{
    int64_t off, local;
    if (tz_offset(z, t, &off))
        return -1;
    local = t + off;
    if (months && plus_months(local, months, &local))
        return -1;
    local += days * BT_DAY_MS;
    if (local < BT_TIME_MIN || local > BT_TIME_MAX)
        return -1;
    return tz_resolve(z, local, &off, out) || !in_range(*out) ? -1 : 0;
}

/* `t` plus `d` in `z`: months and years, days, then time (see the top of
 * the file). The parts may be negative when a caller builds `d`. */
static int add_in(const bt_duration *d, int64_t t, const tz *z, int64_t *out)
{
    int64_t months = (int64_t)d->years * 12 + d->months;
    if (!in_range(t) || months > SPAN_DAYS || months < -SPAN_DAYS ||
        d->days > SPAN_DAYS || d->days < -SPAN_DAYS ||
        d->millis > SPAN_MS || d->millis < -SPAN_MS)
        return -1;
    if (months && calendar_step(z, t, months, 0, &t))
        return -1;
    if (d->days && calendar_step(z, t, 0, d->days, &t))
        return -1;
    t += d->millis;
    if (!in_range(t))
        return -1;
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Dates                                                              */
/* ------------------------------------------------------------------ */

static int zone_char(char ch)
{
    return (bt_upper(ch) >= 'A' && bt_upper(ch) <= 'Z') || bt_is_digit(ch) ||
           ch == '/' || ch == '_' || ch == '-' || ch == '+';
}

/* "[Zone/Id]", known to ICU. */
static int parse_zone(scan *c, char zone[64])
{
    size_t id_at = ++c->i, n = 0;
    char buf[16];
    for (; !at_end(c) && c->s[c->i] != ']'; c->i++) {
        if (!zone_char(c->s[c->i]))
            return fail(c, c->i, "unexpected %s in the zone id",
                        bt_timer_show(c->s[c->i], buf));
        if (n == 63)
            return fail(c, id_at, "the zone id is longer than 63 characters");
        zone[n++] = c->s[c->i];
    }
    zone[n] = '\0';
    if (at_end(c))
        return fail(c, c->i, "expected ']' after the zone id");
    if (!n)
        return fail(c, c->i, "the zone id is empty");
    c->i++;
#ifdef BT_HAVE_ICU
    UChar uid[64];
    if (!zone_known(uid, to_uchars(zone, uid)))
        return fail(c, id_at, "unknown zone '%s'", zone);
    return 0;
#else
    return fail(c, id_at,
                "zone ids need a build with ICU (-Dtimezones=enabled)");
#endif
}

/* "Z", "+hh:mm", "+hhmm" or "+hh" (java.time allows up to 18 hours). */
static int parse_offset(scan *c, int32_t *minutes)
{
    size_t at = c->i;
    int hh, mm = 0;
    char sign = c->s[c->i];
    if (bt_upper(sign) == 'Z') {
        c->i++;
        *minutes = 0;
        return 0;
    }
    c->i++;
    if (fixed(c, 2, "offset's hours", &hh))
        return -1;
    int colon = peek(c) == ':' && !at_end(c);
    c->i += (size_t)colon;
    if ((colon || (!at_end(c) && bt_is_digit(c->s[c->i]))) &&
        fixed(c, 2, "offset's minutes", &mm))
        return -1;
    if (mm > 59 || hh * 60 + mm > 18 * 60)
        return fail(c, at, "offset %c%02d:%02d is out of range (at most 18:00)",
                    sign, hh, mm);
    *minutes = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
    return 0;
}

/* One field of a date: `count` digits from `lo` to `hi`. */
static int date_field(scan *c, int count, const char *what, int lo, int hi,
                      int *v)
{
    size_t at = c->i;
    if (fixed(c, count, what, v))
        return -1;
    if (*v < lo || *v > hi)
        return fail(c, at, "%s %d is out of range", what, *v);
    return 0;
}

/* The local date-time "YYYY-MM-DDThh:mm[:ss[.fff]]", as if UTC. */
static int local_time(scan *c, int64_t *local)
{
    int y, mo, d, h, mi, s = 0;
    int64_t ms = 0;
    size_t day_at;
    if (date_field(c, 4, "year", 1, 9999, &y) || expect(c, '-', "after the year") ||
        date_field(c, 2, "month", 1, 12, &mo) || expect(c, '-', "after the month"))
        return -1;
    day_at = c->i;
    if (fixed(c, 2, "day", &d))
        return -1;
    if (d < 1 || d > bt_days_in_month(y, mo))
        return fail(c, day_at, "day %d is out of range for %04d-%02d", d, y, mo);
    if (expect(c, 'T', "and a time after the date") ||
        date_field(c, 2, "hour", 0, 23, &h) || expect(c, ':', "after the hour") ||
        date_field(c, 2, "minute", 0, 59, &mi))
        return -1;
    if (peek(c) == ':' && !at_end(c)) {
        c->i++;
        if (date_field(c, 2, "second", 0, 59, &s))
            return -1;
        if ((peek(c) == '.' || peek(c) == ',') && !at_end(c) &&
            fraction(c, &ms))
            return -1;
    }
    *local = bt_days_from_civil(y, mo, d) * BT_DAY_MS +
             ((h * 60 + mi) * 60 + s) * 1000LL + ms;
    return 0;
}

/* A date with its offset and zone id: the offset, when given, decides
 * the instant; a zone id alone resolves the local time in the zone. */
static int parse_date(scan *c, int64_t *at, char zone[64], int32_t *offset)
{
    size_t start = c->i;
    int64_t local = 0;
    int has_offset = 0;
    char buf[16];
    zone[0] = '\0';
    *offset = 0;
    if (local_time(c, &local))
        return -1;
    char ch = peek(c);
    if (!at_end(c) && (bt_upper(ch) == 'Z' || ch == '+' || ch == '-')) {
        if (parse_offset(c, offset))
            return -1;
        has_offset = 1;
    }
    if (peek(c) == '[' && !at_end(c) && parse_zone(c, zone))
        return -1;
    if (!at_end(c))
        return fail(c, c->i, "unexpected %s after the date",
                    bt_timer_show(c->s[c->i], buf));
    *at = local - (int64_t)*offset * 60000;
    if (!has_offset && zone[0]) {
        tz z;
        int rc = tz_open(&z, zone, 0);
        rc = rc || tz_resolve(&z, local, NULL, at);
        tz_close(&z);
        if (rc)
            return fail(c, start, "the time zone '%s' failed", zone);
    }
    if (!in_range(*at))
        return fail(c, start, "the date is out of range (years 0001 to 9999 "
                              "UTC)");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Cycles                                                             */
/* ------------------------------------------------------------------ */

/* "R[n]/[start/]interval" or an interval alone. The slashes that split
 * it are those outside a zone id's brackets. */
static int parse_repeating(scan *c, bt_timer_spec *out)
{
    size_t slash[2] = {0, 0}, nslash = 0;
    int depth = 0;
    char buf[16];
    out->repeat = -1;
    if (bt_upper(c->s[0]) == 'R') {
        int64_t n;
        c->i = 1;
        if (number(c, &n)) {
            if (n > INT32_MAX)
                return fail(c, 1, "the repetition count is too large "
                                  "(at most 2147483647)");
            out->repeat = (int32_t)n;
        }
        if (peek(c) != '/' || at_end(c))
            return fail(c, c->i, "expected '/' after %s",
                        c->i > 1 ? "the repetition count" : "'R'");
        for (size_t i = c->i; i < c->end; i++) {
            depth += c->s[i] == '[' ? 1 : c->s[i] == ']' ? -1 : 0;
            if (c->s[i] == '/' && depth <= 0) {
                if (nslash == 2)
                    return fail(c, i, "unexpected %s", bt_timer_show('/', buf));
                slash[nslash++] = i;
            }
        }
        c->i = slash[0] + 1;
    }
    if (nslash == 2) {
        scan d = *c;
        d.end = slash[1];
        if (bt_upper(peek(&d)) == 'P')
            return fail(c, d.i, "an end date is not supported; use "
                                "'R[n]/start/interval'");
        if (parse_date(&d, &out->at, out->zone, &out->offset_minutes))
            return -1;
        out->has_start = 1;
        c->i = slash[1] + 1;
    }
    size_t at = c->i;
    if (parse_duration(c, &out->every))
        return -1;
    if (!out->every.years && !out->every.months && !out->every.days &&
        !out->every.millis)
        return fail(c, at, "the interval of a cycle must not be zero");
    return 0;
}

static int parse_cycle(scan *c, bt_timer_spec *out)
{
    char first = bt_upper(c->s[0]);
    if (first == 'R' || first == 'P' || first == '-')
        return parse_repeating(c, out);
    int spaced = 0;
    for (size_t i = 0; i < c->end; i++)
        spaced |= bt_is_space(c->s[i]);
    if (first != '@' && !spaced)
        return fail(c, 0, "expected 'R[n]/...', a duration or a cron "
                          "expression");
    out->is_cron = 1;
    out->repeat = -1;
    return bt_cron_parse(c->s, c->end, &out->cron, c->err, c->errlen);
}

/* ------------------------------------------------------------------ */
/* The interface                                                      */
/* ------------------------------------------------------------------ */

/* Trims the text; returns 0 when nothing is left (the message written). */
static int begin(scan *c, const char *text, size_t len, char *err,
                 size_t errlen, const char *empty)
{
    if (err && errlen)
        err[0] = '\0';
    if (!text)
        len = 0;
    while (len && bt_is_space(text[len - 1]))
        len--;
    while (len && bt_is_space(*text))
        text++, len--;
    c->s = text;
    c->i = 0;
    c->end = len;
    c->err = err;
    c->errlen = errlen;
    if (!len && err && errlen)
        snprintf(err, errlen, "%s", empty);
    return len != 0;
}

int bt_timer_parse(int type, const char *text, size_t len,
                   bt_timer_spec *out, char *err, size_t errlen)
{
    scan c;
    memset(out, 0, sizeof *out);
    out->type = (uint8_t)type;
    out->repeat = 1; /* a duration or a date fires once */
    out->cron.last_day = out->cron.nearest_weekday = -1;
    out->cron.last_weekday = out->cron.nth_weekday = out->cron.nth = -1;
    if (!begin(&c, text, len, err, errlen, "the timer definition is empty"))
        return -1;
    switch (type) {
    case BT_TIMER_DURATION:
        return parse_duration(&c, &out->every);
    case BT_TIMER_DATE:
        out->has_start = 1;
        return parse_date(&c, &out->at, out->zone, &out->offset_minutes);
    case BT_TIMER_CYCLE:
        return parse_cycle(&c, out);
    default:
        if (err && errlen)
            snprintf(err, errlen, "unknown timer type %d", type);
        return -1;
    }
}

int bt_duration_parse(const char *text, size_t len, bt_duration *out,
                      char *err, size_t errlen)
{
    scan c;
    memset(out, 0, sizeof *out);
    if (!begin(&c, text, len, err, errlen, "the duration is empty"))
        return -1;
    return parse_duration(&c, out);
}

/* A cycle with a start does its calendar arithmetic where its start date
 * is: the zone id, else the fixed offset; everything else in UTC. */
static int add_for(const bt_timer_spec *t, int64_t from, int64_t *out)
{
    tz z;
    int rc;
    if (!t->has_start)
        rc = tz_open(&z, NULL, 0);
    else
        rc = tz_open(&z, t->zone, t->zone[0] ? 0 : t->offset_minutes);
    if (rc)
        return -1;
    rc = add_in(&t->every, from, &z, out);
    tz_close(&z);
    return rc;
}

int bt_timer_first(const bt_timer_spec *t, int64_t now, int64_t *due)
{
    switch (t->type) {
    case BT_TIMER_DURATION:
        return add_for(t, now, due);
    case BT_TIMER_DATE:
        *due = t->at;
        return 0;
    case BT_TIMER_CYCLE:
        if (t->is_cron)
            return bt_cron_next(&t->cron, now, due);
        if (t->repeat == 0)
            return -1;
        if (t->has_start) {
            *due = t->at;
            return 0;
        }
        return add_for(t, now, due);
    default:
        return -1;
    }
}

int bt_timer_next(const bt_timer_spec *t, int64_t prev, uint32_t fired,
                  int64_t *due)
{
    if (t->type != BT_TIMER_CYCLE)
        return 0;
    if (t->is_cron)
        return bt_cron_next(&t->cron, prev, due) ? -1 : 1;
    if (t->repeat >= 0 && fired >= (uint32_t)t->repeat)
        return 0;
    return add_for(t, prev, due) ? -1 : 1;
}

int bt_duration_add(const bt_duration *d, int64_t t, const char *zone,
                    int64_t *out)
{
    tz z;
    if (tz_open(&z, zone, 0))
        return -1;
    int rc = add_in(d, t, &z, out);
    tz_close(&z);
    return rc;
}

/* `width` digits of `v` (not negative) at `p`; returns the end. */
static char *digits(char *p, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

char *bt_time_format(int64_t t, char *buf)
{
    int64_t days = bt_floor_div(t, BT_DAY_MS), y;
    int64_t ms = t % BT_DAY_MS; /* not t - days * day: that overflows at
                                   the ends of the range */
    if (ms < 0)
        ms += BT_DAY_MS;
    int m, d, w = 4;
    char *p = buf;
    bt_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* a time out of range: ISO's signed year */
        *p++ = y < 0 ? '-' : '+';
        y = y < 0 ? -y : y;
        w = 1;
        for (int64_t v = y / 10; v; v /= 10)
            w++;
    }
    p = digits(p, y, w);
    static const char sep[] = "--T::.";
    const int64_t part[] = {m, d, ms / 3600000, ms / 60000 % 60,
                            ms / 1000 % 60, ms % 1000};
    for (int i = 0; i < 6; i++) {
        *p++ = sep[i];
        p = digits(p, part[i], i == 5 ? 3 : 2);
    }
    *p++ = 'Z';
    *p = '\0';
    return buf;
}

int bt_timer_has_zones(void)
{
#ifdef BT_HAVE_ICU
    return 1;
#else
    return 0;
#endif
}
