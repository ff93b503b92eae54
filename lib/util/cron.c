/* Cron expressions as Zeebe reads them, with Spring's CronExpression: six
 * fields (second minute hour day-of-month month day-of-week), or a macro,
 * and the next time one matches, in UTC.
 *
 * A field is a list of items: '*', '?' (day fields), a value, a range
 * "a-b", each with an optional step "/n" ("a/n" runs from a to the
 * field's maximum); months and weekdays also by name (JAN-DEC, SUN-SAT,
 * any case); weekdays 0-7, 0 and 7 both Sunday. The day of month also
 * takes "L" (last day), "L-n" (n days before it), "nW" (the weekday
 * nearest day n, within the month) and "LW" (the last weekday); the day
 * of week "nL" (the last weekday n of the month) and "w#n" (the n-th
 * weekday w of the month).
 *
 * Day of month and day of week must both match, as in Spring (Vixie cron
 * takes either when both are restricted; Quartz wants one of them '?').
 * So "0 0 0 13 * FRI" is every Friday the 13th.
 *
 * The search for the next time steps by month, day, hour, minute and
 * second, never second by second, and gives up after five years: a day
 * that never comes ("0 0 0 30 FEB ?") is refused when parsed, and other
 * combinations that never or only rarely match end the search. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/cron.h"

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW };

static const struct field {
    const char *what;
    int lo, hi;
} fields[6] = {
    {"second", 0, 59}, {"minute", 0, 59}, {"hour", 0, 23},
    {"day of month", 1, 31}, {"month", 1, 12}, {"weekday", 0, 7},
};

static const char month_names[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
static const char day_names[] = "SUNMONTUEWEDTHUFRISAT";

static const struct macro {
    const char *name, *expr;
} macros[] = {
    {"yearly", "0 0 0 1 1 *"}, {"annually", "0 0 0 1 1 *"},
    {"monthly", "0 0 0 1 * *"}, {"weekly", "0 0 0 * * 0"},
    {"daily", "0 0 0 * * *"},   {"midnight", "0 0 0 * * *"},
    {"hourly", "0 0 * * * *"},
};

/* Five years, two leap days among them. */
#define SEARCH_DAYS (5 * 365 + 2)

/* One field being read: positions count from `s`, the whole text. */
typedef struct cscan {
    const char *s;
    size_t i, end;
    int f;         /* enum F_* */
    uint64_t bits; /* the field's values so far */
    int any;       /* '*' or '?' without a step */
    bt_cron *out;
    char *err;
    size_t errlen;
} cscan;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(const cscan *c, size_t pos, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return bt_timer_fail(c->err, c->errlen, pos,
                         "%s in field %d of the cron expression", what,
                         c->f + 1);
}

static int at_end(const cscan *c) { return c->i >= c->end; }
static char peek(const cscan *c)
{
    return at_end(c) ? '\0' : bt_upper(c->s[c->i]);
}
static int is_alpha(char ch)
{
    return bt_upper(ch) >= 'A' && bt_upper(ch) <= 'Z';
}

/* Digits, the value capped above any field's range and any step. */
static size_t digits(cscan *c, int64_t *v)
{
    size_t start = c->i;
    int64_t x = 0;
    for (; !at_end(c) && bt_is_digit(c->s[c->i]); c->i++)
        if (x < 1000000)
            x = x * 10 + (c->s[c->i] - '0');
    *v = x;
    return c->i - start;
}

/* A month or weekday name of three letters; a weekday's may be followed
 * by 'L' ("FRIL"). Sunday is 7, as Spring has it. */
static int name(cscan *c, int *v)
{
    size_t at = c->i, n = 0;
    const char *names = c->f == F_MON ? month_names : day_names;
    while (at + n < c->end && is_alpha(c->s[at + n]))
        n++;
    if (c->f == F_DOW && n == 4 && bt_upper(c->s[at + 3]) == 'L')
        n = 3;
    for (int k = 0; n == 3 && names[k * 3]; k++)
        if (bt_upper(c->s[at]) == names[k * 3] &&
            bt_upper(c->s[at + 1]) == names[k * 3 + 1] &&
            bt_upper(c->s[at + 2]) == names[k * 3 + 2]) {
            c->i = at + 3;
            *v = c->f == F_MON ? k + 1 : k ? k : 7;
            return 0;
        }
    return fail(c, at, "unknown %s '%.*s'", c->f == F_MON ? "month" : "weekday",
                (int)(n > 16 ? 16 : n), c->s + at);
}

/* A value of the field, by number or by name. */
static int value(cscan *c, int *v, int *named)
{
    const struct field *f = &fields[c->f];
    size_t at = c->i;
    char buf[16];
    int64_t x;
    size_t n = digits(c, &x);
    *named = 0;
    if (n) { /* the number as written, cut short when long */
        if (x < f->lo || x > f->hi)
            return fail(c, at, "%s %.*s%s is out of range (%d-%d)", f->what,
                        (int)(n > 12 ? 12 : n), c->s + at, n > 12 ? "..." : "",
                        f->lo, f->hi);
        *v = (int)x;
        return 0;
    }
    if ((c->f == F_MON || c->f == F_DOW) && is_alpha(peek(c))) {
        *named = 1;
        return name(c, v);
    }
    if (at_end(c) || peek(c) == ',')
        return fail(c, at, "expected a %s", f->what);
    return fail(c, at, "unexpected %s", bt_timer_show(c->s[at], buf));
}

static int step(cscan *c, int64_t *n)
{
    size_t at = ++c->i;
    if (!digits(c, n))
        return fail(c, at, "expected a number after '/'");
    if (*n == 0)
        return fail(c, at, "step 0 is out of range (at least 1)");
    return 0;
}

/* Sets a special day once: a second one of a kind does not fit. */
static int special(cscan *c, size_t at, int8_t *slot, int v, const char *kind)
{
    if (*slot >= 0)
        return fail(c, at, "only one %s is allowed", kind);
    *slot = (int8_t)v;
    return 0;
}

/* "L", "L-n", "LW" in the day of month. */
static int last_day(cscan *c)
{
    size_t at = c->i++;
    int64_t n;
    if (peek(c) == 'W') {
        c->i++;
        return special(c, at, &c->out->nearest_weekday, 32, "'W' day");
    }
    if (peek(c) != '-')
        return special(c, at, &c->out->last_day, 0, "'L' day");
    c->i++;
    if (!digits(c, &n))
        return fail(c, c->i, "expected a number after 'L-'");
    if (n > 30)
        return fail(c, at, "offset %lld in 'L-' is out of range (0-30)",
                    (long long)n);
    return special(c, at, &c->out->last_day, (int)n, "'L' day");
}

/* After a value: "nW" in the day of month, "nL" and "w#n" in the day of
 * week. Returns 1 when none of them follows. */
static int day_suffix(cscan *c, size_t at, int v, int named)
{
    int64_t n;
    if (c->f == F_DOM && peek(c) == 'W' && !named) {
        c->i++;
        return special(c, at, &c->out->nearest_weekday, v, "'W' day");
    }
    if (c->f == F_DOW && peek(c) == 'L') {
        c->i++;
        return special(c, at, &c->out->last_weekday, v % 7, "'L' weekday");
    }
    if (c->f != F_DOW || peek(c) != '#')
        return 1;
    size_t n_at = ++c->i;
    if (!digits(c, &n))
        return fail(c, n_at, "expected a number after '#'");
    if (n < 1 || n > 5)
        return fail(c, n_at, "occurrence %lld after '#' is out of range (1-5)",
                    (long long)n);
    c->out->nth = (int8_t)n;
    return special(c, at, &c->out->nth_weekday, v % 7, "'#' weekday");
}

/* '*' or '?': the whole field. Spring reads '*' in the day of week as
 * 1-7, which decides what a step over it gives: every second day is
 * Monday, Wednesday, Friday and Sunday. */
static int star(cscan *c, int *lo, int *hi, int64_t *by)
{
    size_t at = c->i;
    char ch = c->s[c->i++];
    *lo = c->f == F_DOW ? 1 : fields[c->f].lo;
    *hi = fields[c->f].hi;
    if (ch == '?' && c->f != F_DOM && c->f != F_DOW)
        return fail(c, at, "'?' is only allowed in the day fields");
    if (peek(c) == '/')
        return ch == '?' ? fail(c, c->i, "'?' cannot have a step")
                         : step(c, by);
    c->any = 1;
    return 0;
}

/* "a", "a-b", "a/n", "a-b/n", or a day form after "a". Returns 1 when
 * it was a day form (already stored). */
static int range(cscan *c, int *lo, int *hi, int64_t *by)
{
    size_t at = c->i;
    int named, named_hi, rc;
    if (value(c, lo, &named))
        return -1;
    if ((rc = day_suffix(c, at, *lo, named)) <= 0)
        return rc < 0 ? -1 : 1;
    *hi = *lo;
    if (peek(c) == '-') {
        c->i++;
        if (value(c, hi, &named_hi))
            return -1;
        if (named && *lo == 7 && *hi < 7) /* "SUN-TUE": Sunday first */
            *lo = 0;
        if (*hi < *lo)
            return fail(c, at, "range '%.*s' runs backwards",
                        (int)(c->i - at > 16 ? 16 : c->i - at), c->s + at);
    } else if (peek(c) == '/') {
        *hi = fields[c->f].hi; /* "a/n": from a to the end */
    }
    return peek(c) == '/' ? step(c, by) : 0;
}

/* One item of a list. */
static int item(cscan *c)
{
    int lo = 0, hi = -1, rc = 0;
    int64_t by = 1;
    char buf[16];
    if (peek(c) == '*' || peek(c) == '?')
        rc = star(c, &lo, &hi, &by);
    else if (c->f == F_DOM && peek(c) == 'L')
        rc = last_day(c);
    else if (c->f == F_DOW && peek(c) == 'L')
        return fail(c, c->i, "'L' needs a weekday before it, as in 5L");
    else
        rc = range(c, &lo, &hi, &by);
    if (rc < 0)
        return -1;
    for (int64_t v = lo; v <= hi; v += by)
        c->bits |= 1ull << v;
    if (!at_end(c) && peek(c) != ',')
        return fail(c, c->i, "unexpected %s", bt_timer_show(c->s[c->i], buf));
    return 0;
}

static void store(cscan *c)
{
    bt_cron *o = c->out;
    switch (c->f) {
    case F_SEC: o->seconds = c->bits; break;
    case F_MIN: o->minutes = c->bits; break;
    case F_HOUR: o->hours = (uint32_t)c->bits; break;
    case F_DOM:
        o->days = (uint32_t)c->bits;
        o->days_any = (uint8_t)c->any;
        break;
    case F_MON: o->months = (uint16_t)c->bits; break;
    default: /* 7 is Sunday too */
        o->weekdays = (uint8_t)((c->bits | c->bits >> 7) & 0x7f);
        o->weekdays_any = (uint8_t)c->any;
    }
}

static int field(cscan *c)
{
    c->bits = 0;
    c->any = 0;
    for (;;) {
        if (at_end(c) || peek(c) == ',')
            return fail(c, c->i, "empty list item");
        if (item(c))
            return -1;
        if (at_end(c))
            break;
        c->i++;
    }
    store(c);
    return 0;
}

/* Whether some chosen day of month occurs in some chosen month (a
 * February of a leap year has 29 days). */
static int day_occurs(const bt_cron *o)
{
    if (o->days_any || o->last_day == 0 || o->nearest_weekday == 32)
        return 1;
    for (int m = 1; m <= 12; m++) {
        int len = bt_days_in_month(2000, m);
        if (!(o->months >> m & 1))
            continue;
        if ((o->days & ((2ull << len) - 2)) || /* days 1 to len */
            (o->nearest_weekday > 0 && o->nearest_weekday <= len) ||
            (o->last_day > 0 && len - o->last_day >= 1))
            return 1;
    }
    return 0;
}

static int parse_macro(const char *s, size_t n, bt_cron *out, char *err,
                       size_t errlen)
{
    size_t len = 1;
    char buf[16];
    while (len < n && is_alpha(s[len]))
        len++;
    for (size_t k = 0; k < sizeof macros / sizeof *macros; k++) {
        const char *name = macros[k].name;
        size_t i = 0;
        while (i < len - 1 && name[i] && bt_upper(s[i + 1]) == bt_upper(name[i]))
            i++;
        if (i != len - 1 || name[i])
            continue;
        if (len < n)
            return bt_timer_fail(err, errlen, len, "unexpected %s after the "
                                 "macro", bt_timer_show(s[len], buf));
        return bt_cron_parse(macros[k].expr, strlen(macros[k].expr), out,
                             err, errlen);
    }
    return bt_timer_fail(err, errlen, 0, "unknown macro '%.*s'",
                         (int)(len > 16 ? 16 : len), s);
}

int bt_cron_parse(const char *s, size_t n, bt_cron *out, char *err,
                  size_t errlen)
{
    size_t start[6], end[6], count = 0;
    if (n && s[0] == '@')
        return parse_macro(s, n, out, err, errlen);
    for (size_t i = 0; i < n;) {
        while (i < n && bt_is_space(s[i]))
            i++;
        if (i == n)
            break;
        if (count < 6)
            start[count] = i;
        while (i < n && !bt_is_space(s[i]))
            i++;
        if (count < 6)
            end[count] = i;
        count++;
    }
    if (count != 6)
        return bt_timer_fail(err, errlen, 0, "a cron expression needs 6 "
                             "fields (second minute hour day-of-month month "
                             "day-of-week), found %zu", count);
    memset(out, 0, sizeof *out);
    out->last_day = out->nearest_weekday = out->last_weekday = -1;
    out->nth_weekday = out->nth = -1;
    for (int f = 0; f < 6; f++) {
        cscan c = {s, start[f], end[f], f, 0, 0, out, err, errlen};
        if (field(&c))
            return -1;
    }
    if (!day_occurs(out))
        return bt_timer_fail(err, errlen, start[F_DOM], "the days of month of "
                             "field 4 never occur in the months of field 5");
    return 0;
}

/* ------------------------------------------------------------------ */
/* The next time                                                      */
/* ------------------------------------------------------------------ */

static int next_bit(uint64_t bits, int from, int hi)
{
    for (int i = from; i <= hi; i++)
        if (bits >> i & 1)
            return i;
    return -1;
}

/* The day "nW" stands for in month m of year y: the weekday nearest day
 * n, without leaving the month (Quartz's rule); 0 when the month is too
 * short for n. n is 32 for "LW". */
static int nearest_weekday(int64_t y, int m, int n)
{
    int len = bt_days_in_month(y, m);
    if (n == 32) {
        int wd = bt_weekday(bt_days_from_civil(y, m, len));
        return wd == 6 ? len - 1 : wd == 0 ? len - 2 : len;
    }
    if (n > len)
        return 0;
    int wd = bt_weekday(bt_days_from_civil(y, m, n));
    if (wd == 6)
        return n == 1 ? 3 : n - 1;
    if (wd == 0)
        return n == len ? n - 2 : n + 1;
    return n;
}

static int day_matches(const bt_cron *c, int64_t y, int m, int d,
                       int64_t day)
{
    int len = bt_days_in_month(y, m), wd = bt_weekday(day);
    int dom = c->days_any || (c->days >> d & 1) ||
              (c->last_day >= 0 && d == len - c->last_day) ||
              (c->nearest_weekday >= 0 &&
               d == nearest_weekday(y, m, c->nearest_weekday));
    int dow = c->weekdays_any || (c->weekdays >> wd & 1) ||
              (c->last_weekday == wd && d + 7 > len) ||
              (c->nth_weekday == wd && (d - 1) / 7 + 1 == c->nth);
    return dom && dow;
}

/* The first matching time of day at or after h:mi:s. */
static int time_of_day(const bt_cron *c, int *h, int *mi, int *s)
{
    for (int hh = next_bit(c->hours, *h, 23); hh >= 0;
         hh = next_bit(c->hours, hh + 1, 23)) {
        int m0 = hh == *h ? *mi : 0;
        for (int mm = next_bit(c->minutes, m0, 59); mm >= 0;
             mm = next_bit(c->minutes, mm + 1, 59)) {
            int ss = next_bit(c->seconds, hh == *h && mm == *mi ? *s : 0, 59);
            if (ss >= 0) {
                *h = hh;
                *mi = mm;
                *s = ss;
                return 1;
            }
        }
    }
    return 0;
}

int bt_cron_next(const bt_cron *c, int64_t after, int64_t *due)
{
    if (after < BT_TIME_MIN || after > BT_TIME_MAX)
        return -1;
    int64_t t = bt_floor_div(after, 1000) + 1, y;
    int64_t day = bt_floor_div(t, 86400), last = day + SEARCH_DAYS;
    int sod = (int)(t - day * 86400), m, d;
    int h = sod / 3600, mi = sod / 60 % 60, s = sod % 60;
    bt_civil_from_days(day, &y, &m, &d);
    while (day <= last && y <= 9999) {
        if ((c->months >> m & 1) && day_matches(c, y, m, d, day) &&
            time_of_day(c, &h, &mi, &s)) {
            int64_t ms = (day * 86400 + (h * 60 + mi) * 60 + s) * 1000;
            if (ms > BT_TIME_MAX)
                return -1;
            *due = ms;
            return 0;
        }
        /* The next day, or the first of the next month when this month
         * is not one of the field's. */
        int skip = (c->months >> m & 1) ? 1 : bt_days_in_month(y, m) - d + 1;
        day += skip;
        d += skip;
        if (d > bt_days_in_month(y, m)) {
            d = 1;
            y += m == 12;
            m = m % 12 + 1;
        }
        h = mi = s = 0;
    }
    return -1;
}
