/* FEEL's temporal builtins (DMN 1.4 §10.3.4: the conversion functions
 * and the temporal ones, with feel-scala's for Zeebe: last day of
 * month(), date and time(date, timezone)), and the properties of
 * temporal values that paths read (feel-scala's Val.properties).
 *
 * Where feel-scala takes a case that DMN leaves open or decides
 * otherwise, feel-scala is followed, and the place says so. */
#include <string.h>

#include "baton.h"
#include "feel/builtins.h"
#include "feel/temporal.h"
#include "feel/temporal_impl.h"
#include "feel/temporal_props.h"

#define NANOS 1000000000LL

#define NULL_BECAUSE(...)                                                      \
    do {                                                                       \
        fv_why(cx, __VA_ARGS__);                                               \
        *out = fv_null();                                                      \
        return 0;                                                              \
    } while (0)

/* A constructor's result: NULL only when out of memory. */
static int made(const fv *v, const fv **out)
{
    *out = v;
    return v ? 0 : BATON_ENOMEM;
}

static int is_kind(const fv *v, int kind) { return v && v->kind == kind; }

/* The date of a date, or of a date and time (its local date). */
static const bt_fdate *date_of(const fv *v)
{
    if (is_kind(v, FV_DATE))
        return &v->u.date;
    if (is_kind(v, FV_DT))
        return &v->u.dt.date;
    return NULL;
}

/* A number as an integer, its fraction cut off (feel-scala takes
 * BigDecimal.intValue of its arguments). */
static int whole(const fv *v, int64_t *out)
{
    bt_dec w;
    return is_kind(v, FV_NUM) &&
           !bt_dec_round(&w, &v->u.num, 0, BT_ROUND_DOWN) &&
           bt_dec_to_int(&w, out);
}

/* ---- conversion --------------------------------------------------------- */

static int date_from(fv_cx *cx, const fv *const *args, size_t n,
                     const fv **out)
{
    const fv *from = args[0];
    bt_fdate d;
    (void)n;
    if (is_kind(from, FV_STR)) {
        if (bt_t_parse_date(from->u.str.s, from->u.str.n, &d))
            NULL_BECAUSE("'%.40s' is not a date", from->u.str.s);
        return made(fv_date(cx, &d), out);
    }
    if (date_of(from))
        return made(fv_date(cx, date_of(from)), out);
    NULL_BECAUSE("date() takes a string, a date or a date and time, not a %s",
                 fv_type_name(from));
}

static int date_ymd(fv_cx *cx, const fv *const *args, size_t n,
                    const fv **out)
{
    int64_t y, m, d;
    bt_fdate r;
    (void)n;
    if (!whole(args[0], &y) || !whole(args[1], &m) || !whole(args[2], &d))
        NULL_BECAUSE("%s", "date() takes a year, a month and a day as numbers");
    if (bt_t_make_date(y, m, d, &r))
        NULL_BECAUSE("%lld-%lld-%lld is not a date", (long long)y,
                     (long long)m, (long long)d);
    return made(fv_date(cx, &r), out);
}

static int time_from(fv_cx *cx, const fv *const *args, size_t n,
                     const fv **out)
{
    const fv *from = args[0];
    bt_ftime t;
    (void)n;
    if (is_kind(from, FV_STR)) {
        if (bt_t_parse_time(from->u.str.s, from->u.str.n, &t))
            NULL_BECAUSE("'%.40s' is not a time", from->u.str.s);
        return made(fv_time(cx, &t), out);
    }
    /* local, with its offset, or with its zone and the offset in force
     * then (feel-scala's ZonedTime.of) */
    if (is_kind(from, FV_DT))
        return made(fv_time(cx, &from->u.dt.time), out);
    if (is_kind(from, FV_DATE)) {
        /* follows feel-scala: a date's time is midnight UTC */
        memset(&t, 0, sizeof t);
        t.tz.kind = BT_TZ_OFFSET;
        return made(fv_time(cx, &t), out);
    }
    /* follows feel-scala, which has no time(time) */
    NULL_BECAUSE("time() takes a string, a date or a date and time, not a %s",
                 fv_type_name(from));
}

/* time(hour, minute, second, offset): the second may have a fraction
 * (to the nanosecond, cut off beyond), the offset is a days and time
 * duration (whole seconds, within +-18 hours) or null for a local time. */
static int time_hms(fv_cx *cx, const fv *const *args, size_t n,
                    const fv **out)
{
    int64_t h, m, s, ns;
    bt_dec w, frac, scale;
    bt_fzone tz = {BT_TZ_LOCAL, 0, NULL, 0};
    bt_ftime t;
    const fv *offset = n > 3 ? args[3] : NULL;
    if (!whole(args[0], &h) || !whole(args[1], &m) || !whole(args[2], &s))
        NULL_BECAUSE("%s", "time() takes an hour, a minute and a second as "
                           "numbers");
    bt_dec_from_int(&scale, NANOS);
    if (bt_dec_round(&w, &args[2]->u.num, 0, BT_ROUND_DOWN) ||
        bt_dec_sub(&frac, &args[2]->u.num, &w) ||
        bt_dec_mul(&frac, &frac, &scale) ||
        bt_dec_round(&frac, &frac, 0, BT_ROUND_DOWN) ||
        !bt_dec_to_int(&frac, &ns))
        NULL_BECAUSE("%s", "time(): the second is out of range");
    if (offset && offset->kind != FV_NULL) {
        if (offset->kind != FV_DTDUR)
            NULL_BECAUSE("time(): the offset is a days and time duration, "
                          "not a %s", fv_type_name(offset));
        /* java.time's Duration.getSeconds: whole seconds, rounded down */
        int64_t off = offset->u.dtdur.secs - (offset->u.dtdur.nanos < 0);
        if (off < -BT_T_OFFSET_MAX || off > BT_T_OFFSET_MAX)
            NULL_BECAUSE("%s", "time(): the offset is beyond 18 hours");
        tz.kind = BT_TZ_OFFSET;
        tz.offset = (int32_t)off;
    }
    if (bt_t_make_time(h, m, s, (int32_t)ns, &tz, &t))
        NULL_BECAUSE("%lld:%lld:%lld is not a time", (long long)h,
                     (long long)m, (long long)s);
    return made(fv_time(cx, &t), out);
}

static int dt_from(fv_cx *cx, const fv *const *args, size_t n,
                   const fv **out)
{
    const fv *from = args[0];
    bt_fdt dt;
    (void)n;
    if (!is_kind(from, FV_STR))
        NULL_BECAUSE("date and time() takes a string, not a %s",
                     fv_type_name(from));
    if (bt_t_parse_dt(from->u.str.s, from->u.str.n, &dt))
        NULL_BECAUSE("'%.40s' is not a date and time", from->u.str.s);
    return made(fv_dt(cx, &dt), out);
}

/* date and time(date, timezone), as feel-scala: a local date and time
 * gets the zone at its local time (atZone); one with an offset or zone
 * keeps its instant (withZoneSameInstant). */
static int dt_date_zone(fv_cx *cx, const fv *const *args, size_t n,
                        const fv **out)
{
    const fv *d = args[0], *zone = args[1];
    bt_fzone tz;
    bt_fdt r;
    (void)n;
    if (!is_kind(d, FV_DT) || !is_kind(zone, FV_STR))
        NULL_BECAUSE("%s", "date and time() takes a date and time and a zone");
    if (bt_t_zone(zone->u.str.s, zone->u.str.n, &tz))
        NULL_BECAUSE("'%.40s' is not a zone%s", zone->u.str.s,
                     bt_t_have_zones() ? "" : " (built without zone ids)");
    if (d->u.dt.time.tz.kind == BT_TZ_LOCAL) {
        r = d->u.dt;
        r.time.tz = tz;
        if (tz.kind == BT_TZ_ZONE && bt_t_resolve(&r))
            NULL_BECAUSE("%s", "date and time(): out of range");
    } else {
        int64_t secs;
        int32_t nanos;
        bt_t_dt_instant(&d->u.dt, &secs, &nanos);
        if (bt_t_dt_at_instant(secs, nanos, &tz, &r))
            NULL_BECAUSE("%s", "date and time(): out of range");
    }
    return made(fv_dt(cx, &r), out);
}

/* date and time(date, time): the date of a date or date and time, at
 * the time; a time with a zone id resolved at that date (feel-scala's
 * ZonedTime.withDate). A string for the time is a zone: feel-scala
 * gives date and time(date, timezone) the parameter names (date, time)
 * too. */
static int dt_date_time(fv_cx *cx, const fv *const *args, size_t n,
                        const fv **out)
{
    const bt_fdate *d = date_of(args[0]);
    const fv *t = args[1];
    bt_fdt r;
    if (is_kind(t, FV_STR))
        return dt_date_zone(cx, args, n, out);
    if (!d || !is_kind(t, FV_TIME))
        NULL_BECAUSE("date and time() takes a date and a time, not a %s and "
                     "a %s", fv_type_name(args[0]), fv_type_name(t));
    r.date = *d;
    r.time = t->u.time;
    if (bt_t_resolve(&r))
        NULL_BECAUSE("%s", "date and time(): out of range");
    return made(fv_dt(cx, &r), out);
}

static int duration_from(fv_cx *cx, const fv *const *args, size_t n,
                         const fv **out)
{
    const fv *from = args[0];
    int is_ym;
    bt_dtdur d;
    int64_t months;
    (void)n;
    if (!is_kind(from, FV_STR))
        NULL_BECAUSE("duration() takes a string, not a %s",
                     fv_type_name(from));
    if (bt_t_parse_duration(from->u.str.s, from->u.str.n, &is_ym, &d,
                            &months))
        NULL_BECAUSE("'%.40s' is not a duration", from->u.str.s);
    return made(is_ym ? fv_ymdur(cx, months) : fv_dtdur(cx, &d), out);
}

/* Whole months between the dates of two dates or dates and times, in
 * any mix (feel-scala: Period.between of their local dates). */
static int ym_between(fv_cx *cx, const fv *const *args, size_t n,
                      const fv **out)
{
    const bt_fdate *a = date_of(args[0]), *b = date_of(args[1]);
    bt_fdt x, y;
    int64_t months;
    (void)n;
    if (!a || !b)
        NULL_BECAUSE("years and months duration() takes two dates, not a %s "
                     "and a %s", fv_type_name(args[0]), fv_type_name(args[1]));
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    x.date = *a;
    y.date = *b;
    bt_t_months_between(&x, &y, &months);
    return made(fv_ymdur(cx, months), out);
}

/* ---- the clock ---------------------------------------------------------- */

/* The host's clock is an instant; feel-scala gives it the engine's zone
 * (the JVM's default), which for a Zeebe broker is UTC: so now() is in
 * UTC, with offset Z, and today() is the UTC date. */
static int clock_now(fv_cx *cx, bt_fdt *now)
{
    static const bt_fzone utc = {BT_TZ_OFFSET, 0, NULL, 0};
    int64_t ms = cx->now_ms;
    if (ms == INT64_MIN)
        return 1;
    int64_t secs = ms / 1000 - (ms % 1000 < 0);
    int32_t nanos = (int32_t)((ms - secs * 1000) * 1000000);
    return bt_t_dt_at_instant(secs, nanos, &utc, now) ? 1 : 0;
}

static int now_fn(fv_cx *cx, const fv *const *args, size_t n,
                  const fv **out)
{
    bt_fdt now;
    (void)args;
    (void)n;
    if (clock_now(cx, &now))
        NULL_BECAUSE("%s", "no clock");
    return made(fv_dt(cx, &now), out);
}

static int today_fn(fv_cx *cx, const fv *const *args, size_t n,
                    const fv **out)
{
    bt_fdt now;
    (void)args;
    (void)n;
    if (clock_now(cx, &now))
        NULL_BECAUSE("%s", "no clock");
    return made(fv_date(cx, &now.date), out);
}

/* ---- calendar questions of a date or date and time ------------------- */

static const char *const day_names[] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    "Sunday"};
static const char *const month_names[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

enum { Q_WEEKDAY, Q_YEARDAY, Q_WEEK, Q_MONTH, Q_LASTDAY };

static int calendar(fv_cx *cx, const fv *arg, int q, const fv **out)
{
    const bt_fdate *d = date_of(arg);
    if (!d)
        NULL_BECAUSE("a date or a date and time is wanted, not a %s",
                     fv_type_name(arg));
    const char *s;
    switch (q) {
    case Q_WEEKDAY:
        s = day_names[bt_t_weekday(d) - 1];
        return made(fv_str(cx, s, strlen(s)), out);
    case Q_YEARDAY:
        return made(fv_int(cx, bt_t_day_of_year(d)), out);
    case Q_WEEK:
        return made(fv_int(cx, bt_t_iso_week(d)), out);
    case Q_MONTH:
        s = month_names[d->month - 1];
        return made(fv_str(cx, s, strlen(s)), out);
    default: {
        bt_fdate last = *d;
        last.day = bt_t_days_in_month(d->year, d->month);
        return made(fv_date(cx, &last), out);
    }
    }
}

#define CALENDAR_FN(name, q)                                                   \
    static int name(fv_cx *cx, const fv *const *args, size_t n,               \
                    const fv **out)                                            \
    {                                                                          \
        (void)n;                                                               \
        return calendar(cx, args[0], q, out);                                  \
    }

CALENDAR_FN(day_of_week, Q_WEEKDAY)
CALENDAR_FN(day_of_year, Q_YEARDAY)
CALENDAR_FN(week_of_year, Q_WEEK)
CALENDAR_FN(month_of_year, Q_MONTH)
CALENDAR_FN(last_day_of_month, Q_LASTDAY)

/* Parameter names as DMN 1.4 and feel-scala name them. Overloads of one
 * name are tried in order: a positional call takes the first whose
 * count fits, so date and time(d, "Europe/Paris") reaches (date, time),
 * which hands a string on as the zone; (date, timezone) is there for
 * calls by name. */
const bt_feel_builtin bt_feel_lib_time[] = {
    {"date", {"from"}, 1, 0, date_from},
    {"date", {"year", "month", "day"}, 3, 0, date_ymd},
    {"time", {"from"}, 1, 0, time_from},
    {"time", {"hour", "minute", "second", "offset"}, 3, 0, time_hms},
    {"date and time", {"from"}, 1, 0, dt_from},
    {"date and time", {"date", "time"}, 2, 0, dt_date_time},
    {"date and time", {"date", "timezone"}, 2, 0, dt_date_zone},
    {"duration", {"from"}, 1, 0, duration_from},
    {"years and months duration", {"from", "to"}, 2, 0, ym_between},
    {"now", {NULL}, 0, 0, now_fn},
    {"today", {NULL}, 0, 0, today_fn},
    {"day of week", {"date"}, 1, 0, day_of_week},
    {"day of year", {"date"}, 1, 0, day_of_year},
    {"week of year", {"date"}, 1, 0, week_of_year},
    {"month of year", {"date"}, 1, 0, month_of_year},
    {"last day of month", {"date"}, 1, 0, last_day_of_month},
    {NULL, {NULL}, 0, 0, NULL},
};

/* ---- properties ----------------------------------------------------------- */

static int is_prop(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && !memcmp(name, want, n);
}

static int date_prop(fv_cx *cx, const bt_fdate *d, const char *name,
                     size_t n, const fv **out)
{
    if (is_prop(name, n, "year"))
        return made(fv_int(cx, d->year), out);
    if (is_prop(name, n, "month"))
        return made(fv_int(cx, d->month), out);
    if (is_prop(name, n, "day"))
        return made(fv_int(cx, d->day), out);
    if (is_prop(name, n, "weekday"))
        return made(fv_int(cx, bt_t_weekday(d)), out);
    return 0;
}

/* feel-scala's: hour, minute, second (whole), time offset (a duration,
 * null for a local time) and timezone (the zone id, or null). */
static int time_prop(fv_cx *cx, const bt_ftime *t, const char *name,
                     size_t n, const fv **out)
{
    if (is_prop(name, n, "hour"))
        return made(fv_int(cx, t->sec / 3600), out);
    if (is_prop(name, n, "minute"))
        return made(fv_int(cx, t->sec / 60 % 60), out);
    if (is_prop(name, n, "second"))
        return made(fv_int(cx, t->sec % 60), out);
    if (is_prop(name, n, "time offset")) {
        bt_dtdur off = {t->tz.offset, 0};
        if (t->tz.kind == BT_TZ_LOCAL) {
            *out = fv_null();
            return 0;
        }
        return made(fv_dtdur(cx, &off), out);
    }
    if (is_prop(name, n, "timezone")) {
        if (t->tz.kind != BT_TZ_ZONE) {
            *out = fv_null();
            return 0;
        }
        return made(fv_str(cx, t->tz.id, t->tz.idlen), out);
    }
    return 0;
}

/* As java.time's Duration, whose seconds round down and whose nanos are
 * never negative: days, hours, minutes and seconds each cut toward zero
 * from those seconds (so -PT0.5S has seconds -1, as in feel-scala). */
static int dtdur_prop(fv_cx *cx, const bt_dtdur *d, const char *name,
                      size_t n, const fv **out)
{
    int64_t s = d->secs - (d->nanos < 0);
    if (is_prop(name, n, "days"))
        return made(fv_int(cx, s / 86400), out);
    if (is_prop(name, n, "hours"))
        return made(fv_int(cx, s / 3600 % 24), out);
    if (is_prop(name, n, "minutes"))
        return made(fv_int(cx, s / 60 % 60), out);
    if (is_prop(name, n, "seconds"))
        return made(fv_int(cx, s % 60), out);
    return 0;
}

int bt_feel_temporal_prop(fv_cx *cx, const fv *v, const char *name, size_t n,
                          const fv **out)
{
    *out = NULL;
    switch (v->kind) {
    case FV_DATE:
        return date_prop(cx, &v->u.date, name, n, out);
    case FV_TIME:
        return time_prop(cx, &v->u.time, name, n, out);
    case FV_DT: {
        int rc = date_prop(cx, &v->u.dt.date, name, n, out);
        if (rc || *out)
            return rc;
        return time_prop(cx, &v->u.dt.time, name, n, out);
    }
    case FV_DTDUR:
        return dtdur_prop(cx, &v->u.dtdur, name, n, out);
    case FV_YMDUR:
        if (is_prop(name, n, "years"))
            return made(fv_int(cx, v->u.months / 12), out);
        if (is_prop(name, n, "months"))
            return made(fv_int(cx, v->u.months % 12), out);
        return 0;
    }
    return 0;
}
