/* FEEL's temporal values: the calendar, zones, arithmetic, comparison and
 * formatting (temporal_parse.c reads the texts).
 *
 * The calendar is the proleptic Gregorian one of java.time, computed
 * with the days-from-civil algorithms of util/cron.h over 64-bit years,
 * never through the C library (whose time functions read the process's
 * zone and locale). Zone ids are ICU's, and ICU is asked one thing only:
 * a zone's offset at an instant. Turning a local date and time into an
 * instant, with java.time's rules for gaps and overlaps, is done here, as
 * lib/util/timer.c does for timers.
 *
 * Values are kept in range (years BT_T_YEAR_MIN..MAX): every sum that
 * could leave it is checked, and a result outside it is BT_T_INVALID,
 * which FEEL turns into null. */
#include <string.h>

#include "feel/temporal.h"
#include "feel/temporal_impl.h"
#include "util/cron.h"

#ifdef BT_HAVE_ICU
#include <unicode/ucal.h>
#endif

#define DAY 86400LL
#define NANOS 1000000000LL

/* ------------------------------------------------------------------ */
/* Checked arithmetic and the calendar                                 */
/* ------------------------------------------------------------------ */

int bt_t_add64(int64_t a, int64_t b, int64_t *r)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return BT_T_INVALID;
    *r = a + b;
    return 0;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - bt_floor_div(a, b) * b;
}

int bt_t_days_in_month(int64_t year, int month)
{
    return month >= 1 && month <= 12 ? bt_days_in_month(year, month) : 0;
}

int64_t bt_t_epoch_day(const bt_fdate *d)
{
    return bt_days_from_civil(d->year, d->month, d->day);
}

int bt_t_from_epoch_day(int64_t days, bt_fdate *out)
{
    /* Beyond the years' range the algorithm's products could overflow. */
    if (days < bt_days_from_civil(BT_T_YEAR_MIN, 1, 1) ||
        days > bt_days_from_civil(BT_T_YEAR_MAX, 12, 31))
        return BT_T_INVALID;
    bt_civil_from_days(days, &out->year, &out->month, &out->day);
    return 0;
}

int bt_t_weekday(const bt_fdate *d)
{
    int w = bt_weekday(bt_t_epoch_day(d));
    return w == 0 ? 7 : w;
}

int bt_t_day_of_year(const bt_fdate *d)
{
    bt_fdate jan1 = {d->year, 1, 1};
    return (int)(bt_t_epoch_day(d) - bt_t_epoch_day(&jan1)) + 1;
}

/* ISO 8601: a year has 53 weeks when it starts on a Thursday, or on a
 * Wednesday in a leap year. */
static int iso_weeks_in_year(int64_t y)
{
    bt_fdate jan1 = {y, 1, 1};
    int w = bt_t_weekday(&jan1);
    return w == 4 || (w == 3 && bt_is_leap(y)) ? 53 : 52;
}

int bt_t_iso_week(const bt_fdate *d)
{
    int week = (bt_t_day_of_year(d) - bt_t_weekday(d) + 10) / 7;
    if (week < 1)
        return iso_weeks_in_year(d->year - 1);
    if (week > iso_weeks_in_year(d->year))
        return 1;
    return week;
}

int bt_t_make_date(int64_t y, int64_t m, int64_t d, bt_fdate *out)
{
    if (y < BT_T_YEAR_MIN || y > BT_T_YEAR_MAX || m < 1 || m > 12 || d < 1 ||
        d > bt_days_in_month(y, (int)m))
        return BT_T_INVALID;
    out->year = y;
    out->month = (int)m;
    out->day = (int)d;
    return 0;
}

/* Seconds since the epoch of a date and a second of its day, as if UTC. */
static int64_t local_secs(const bt_fdate *d, int32_t sec)
{
    return bt_t_epoch_day(d) * DAY + sec;
}

static int from_local_secs(int64_t secs, bt_fdate *date, int32_t *sec)
{
    if (bt_t_from_epoch_day(bt_floor_div(secs, DAY), date))
        return BT_T_INVALID;
    *sec = (int32_t)floor_mod(secs, DAY);
    return 0;
}

/* secs + nanos (any signs, |nanos| < 2 * 10^9) as a duration whose parts
 * share one sign. */
static int dur_norm(int64_t secs, int64_t nanos, bt_dtdur *out)
{
    if (bt_t_add64(secs, bt_floor_div(nanos, NANOS), &secs))
        return BT_T_INVALID;
    nanos = floor_mod(nanos, NANOS);
    if (secs < 0 && nanos > 0) {
        secs++;
        nanos -= NANOS;
    }
    out->secs = secs;
    out->nanos = (int32_t)nanos;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Zones                                                               */
/* ------------------------------------------------------------------ */

/* An open zone: an offset, or an ICU calendar for a zone id. */
typedef struct zone {
    const bt_fzone *z;
#ifdef BT_HAVE_ICU
    UCalendar *cal;
#endif
} zone;

#ifdef BT_HAVE_ICU
/* Zone ids are ASCII (bt_t_zone sees to it); ICU wants UTF-16. */
static int32_t to_uchars(const char *id, size_t n, UChar out[BT_T_ZONE_MAX + 1])
{
    if (n == 0 || n > BT_T_ZONE_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (UChar)(unsigned char)id[i];
    return (int32_t)n;
}
#endif

int bt_t_zone_known(const char *id, size_t n)
{
#ifdef BT_HAVE_ICU
    /* ucal_open() takes any id and falls back to GMT; a known id is one
     * ICU calls a system id (not "Mars/Base", nor a custom "GMT+5"). */
    UChar uid[BT_T_ZONE_MAX + 1], canon[128];
    UBool sys = 0;
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = to_uchars(id, n, uid);
    if (len < 0)
        return 0;
    ucal_getCanonicalTimeZoneID(uid, len, canon, 128, &sys, &st);
    return U_SUCCESS(st) && sys;
#else
    (void)id;
    (void)n;
    return 0;
#endif
}

static int zone_open(zone *zc, const bt_fzone *z)
{
    zc->z = z;
#ifdef BT_HAVE_ICU
    zc->cal = NULL;
    if (z->kind != BT_TZ_ZONE)
        return 0;
    UChar uid[BT_T_ZONE_MAX + 1];
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = to_uchars(z->id, z->idlen, uid);
    if (len < 0)
        return BT_T_INVALID;
    zc->cal = ucal_open(uid, len, "", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        if (zc->cal)
            ucal_close(zc->cal);
        zc->cal = NULL;
        return BT_T_INVALID;
    }
    return 0;
#else
    return z->kind == BT_TZ_ZONE ? BT_T_INVALID : 0;
#endif
}

static void zone_close(zone *zc)
{
#ifdef BT_HAVE_ICU
    if (zc->cal)
        ucal_close(zc->cal);
    zc->cal = NULL;
#else
    (void)zc;
#endif
}

#ifdef BT_HAVE_ICU
/* ICU's instants end some millions of years out; a zone's rules repeat
 * every 400 years (the Gregorian cycle) after its last transition and
 * stand still before its first, so an instant far out is moved by whole
 * cycles into years where ICU answers alike. */
static int64_t icu_instant(int64_t t)
{
    static const int64_t cycle = 146097LL * DAY;
    static const int64_t lo = -62135596800LL; /* 0001-01-01 */
    static const int64_t hi = 253402300800LL; /* 10000-01-01 */
    if (t >= hi)
        t -= (bt_floor_div(t - hi, cycle) + 1) * cycle;
    else if (t < lo)
        t += (bt_floor_div(lo - t - 1, cycle) + 1) * cycle;
    return t;
}
#endif

/* The offset in seconds at instant `t`; with `raw`, without daylight
 * saving time (the zone's standard offset). */
static int zone_offset(zone *zc, int64_t t, int raw, int32_t *off)
{
    if (zc->z->kind != BT_TZ_ZONE) {
        *off = zc->z->kind == BT_TZ_OFFSET ? zc->z->offset : 0;
        return 0;
    }
#ifdef BT_HAVE_ICU
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(zc->cal, (UDate)icu_instant(t) * 1000.0, &st);
    int32_t zone_ms = ucal_get(zc->cal, UCAL_ZONE_OFFSET, &st);
    int32_t dst_ms = raw ? 0 : ucal_get(zc->cal, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st))
        return BT_T_INVALID;
    /* Offsets before standard time (local mean time) are whole seconds
     * in java.time; ICU has them in milliseconds too. */
    *off = (int32_t)bt_floor_div((int64_t)zone_ms + dst_ms, 1000);
    return 0;
#else
    (void)t;
    (void)raw;
    return BT_T_INVALID;
#endif
}

/* The instant of local time `local` (seconds, as if UTC), as java.time's
 * ZonedDateTime.ofLocal finds it: the one offset valid there; in an
 * overlap (clocks set back) `pref` when it is one of the two, else the
 * earlier offset (the one before the change); in a gap (clocks set
 * forward) the offset before it, which moves the local time later by
 * the gap's length. The offsets a day before and after bracket every
 * transition that can touch `local`. */
static int zone_resolve(zone *zc, int64_t local, const int32_t *pref,
                        int64_t *instant, int32_t *off)
{
    int32_t before, after, o1, o2;
    if (zone_offset(zc, local - DAY, 0, &before) ||
        zone_offset(zc, local + DAY, 0, &after) ||
        zone_offset(zc, local - before, 0, &o1) ||
        zone_offset(zc, local - after, 0, &o2))
        return BT_T_INVALID;
    int before_ok = o1 == before, after_ok = o2 == after;
    *instant = after_ok && (!before_ok || (pref && *pref == after))
                   ? local - after
                   : local - before;
    return zone_offset(zc, *instant, 0, off);
}

/* Recomputes the offset of a zoned `dt` from its local fields (moving
 * them in a gap), preferring `pref` in an overlap. */
static int resolve_pref(bt_fdt *dt, const int32_t *pref)
{
    if (dt->time.tz.kind != BT_TZ_ZONE)
        return 0;
    zone zc;
    int64_t local = local_secs(&dt->date, dt->time.sec), instant;
    int32_t off;
    if (zone_open(&zc, &dt->time.tz))
        return BT_T_INVALID;
    int rc = zone_resolve(&zc, local, pref, &instant, &off);
    zone_close(&zc);
    if (rc)
        return rc;
    if (instant + off != local &&
        from_local_secs(instant + off, &dt->date, &dt->time.sec))
        return BT_T_INVALID;
    dt->time.tz.offset = off;
    return 0;
}

int bt_t_resolve(bt_fdt *dt) { return resolve_pref(dt, NULL); }

/* feel-scala gives a time with a zone id the zone's standard offset "now"
 * (ZonedTime: getStandardOffset(Instant.now)), which would make a value
 * depend on the day it is computed. This takes the standard offset at a
 * fixed recent instant instead, 2025-01-01T00:00:00Z, which agrees with
 * feel-scala for every zone whose standard offset has not changed since:
 * 10:00:00@Europe/Paris is 10:00+01:00 all year, as in feel-scala. */
#define STD_OFFSET_AT 1735689600LL

int bt_t_zone_std_offset(const bt_fzone *z, int32_t *out)
{
    zone zc;
    if (zone_open(&zc, z))
        return BT_T_INVALID;
    int rc = zone_offset(&zc, STD_OFFSET_AT, 1, out);
    zone_close(&zc);
    return rc;
}

int bt_t_have_zones(void)
{
#ifdef BT_HAVE_ICU
    return 1;
#else
    return 0;
#endif
}

int bt_t_make_time(int64_t h, int64_t mi, int64_t s, int32_t nanos,
                   const bt_fzone *tz, bt_ftime *out)
{
    static const bt_fzone local = {BT_TZ_LOCAL, 0, NULL, 0};
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 ||
        nanos < 0 || nanos >= NANOS)
        return BT_T_INVALID;
    out->sec = (int32_t)(h * 3600 + mi * 60 + s);
    out->nanos = nanos;
    out->tz = tz ? *tz : local;
    if (out->tz.kind == BT_TZ_OFFSET &&
        (out->tz.offset < -BT_T_OFFSET_MAX || out->tz.offset > BT_T_OFFSET_MAX))
        return BT_T_INVALID;
    if (out->tz.kind == BT_TZ_ZONE)
        return bt_t_zone_std_offset(&out->tz, &out->tz.offset);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Instants                                                            */
/* ------------------------------------------------------------------ */

void bt_t_dt_instant(const bt_fdt *dt, int64_t *secs, int32_t *nanos)
{
    int32_t off = dt->time.tz.kind == BT_TZ_LOCAL ? 0 : dt->time.tz.offset;
    *secs = local_secs(&dt->date, dt->time.sec) - off;
    *nanos = dt->time.nanos;
}

int bt_t_dt_at_instant(int64_t secs, int32_t nanos, const bt_fzone *tz,
                       bt_fdt *out)
{
    zone zc;
    int32_t off;
    int64_t local;
    if (nanos < 0 || nanos >= NANOS || zone_open(&zc, tz))
        return BT_T_INVALID;
    int rc = zone_offset(&zc, secs, 0, &off);
    zone_close(&zc);
    if (rc || bt_t_add64(secs, off, &local) ||
        from_local_secs(local, &out->date, &out->time.sec))
        return BT_T_INVALID;
    out->time.nanos = nanos;
    out->time.tz = *tz;
    if (tz->kind != BT_TZ_LOCAL)
        out->time.tz.offset = off;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Arithmetic                                                          */
/* ------------------------------------------------------------------ */

static int negate(const bt_dtdur *d, int sign, int64_t *secs, int64_t *nanos)
{
    *secs = d->secs;
    *nanos = d->nanos;
    if (sign >= 0)
        return 0;
    if (d->secs == INT64_MIN)
        return BT_T_INVALID;
    *secs = -d->secs;
    *nanos = -*nanos;
    return 0;
}

/* As java.time: a days-time duration is an amount of seconds, so a zoned
 * value moves on the time line (ZonedDateTime.plus(Duration)): P1D and
 * PT24H across a change of daylight saving time are 24 hours, and the
 * wall clock shows an hour more or less. Local values and values with an
 * offset move in local time, which comes to the same. */
int bt_t_dt_add_dtdur(const bt_fdt *a, const bt_dtdur *d, int sign,
                      bt_fdt *out)
{
    int64_t secs, nanos, t;
    int32_t n;
    if (negate(d, sign, &secs, &nanos))
        return BT_T_INVALID;
    if (a->time.tz.kind == BT_TZ_ZONE) {
        bt_t_dt_instant(a, &t, &n);
        nanos += n;
        if (bt_t_add64(t, secs, &t) ||
            bt_t_add64(t, bt_floor_div(nanos, NANOS), &t))
            return BT_T_INVALID;
        return bt_t_dt_at_instant(t, (int32_t)floor_mod(nanos, NANOS),
                                  &a->time.tz, out);
    }
    t = local_secs(&a->date, a->time.sec);
    nanos += a->time.nanos;
    if (bt_t_add64(t, secs, &t) ||
        bt_t_add64(t, bt_floor_div(nanos, NANOS), &t))
        return BT_T_INVALID;
    *out = *a;
    out->time.nanos = (int32_t)floor_mod(nanos, NANOS);
    return from_local_secs(t, &out->date, &out->time.sec);
}

/* As java.time's plusMonths: the month moves, the day is clamped to the
 * new month's end, and a zoned value is resolved again in local time,
 * keeping its offset in an overlap when it is still valid there. */
int bt_t_dt_add_months(const bt_fdt *a, int64_t months, bt_fdt *out)
{
    int64_t total = a->date.year * 12 + (a->date.month - 1);
    if (months > (BT_T_YEAR_MAX - BT_T_YEAR_MIN + 1) * 12 ||
        months < -(BT_T_YEAR_MAX - BT_T_YEAR_MIN + 1) * 12)
        return BT_T_INVALID;
    total += months;
    int64_t y = bt_floor_div(total, 12);
    int m = (int)floor_mod(total, 12) + 1;
    if (y < BT_T_YEAR_MIN || y > BT_T_YEAR_MAX)
        return BT_T_INVALID;
    *out = *a;
    out->date.year = y;
    out->date.month = m;
    if (out->date.day > bt_days_in_month(y, m))
        out->date.day = bt_days_in_month(y, m);
    return resolve_pref(out, &a->time.tz.offset);
}

int bt_t_time_add_dtdur(const bt_ftime *a, const bt_dtdur *d, int sign,
                        bt_ftime *out)
{
    int64_t secs, nanos;
    if (negate(d, sign, &secs, &nanos))
        return BT_T_INVALID;
    nanos += a->nanos;
    secs = floor_mod(secs, DAY) + a->sec + bt_floor_div(nanos, NANOS);
    *out = *a;
    out->sec = (int32_t)floor_mod(secs, DAY);
    out->nanos = (int32_t)floor_mod(nanos, NANOS);
    return 0;
}

int bt_t_dt_sub(const bt_fdt *a, const bt_fdt *b, bt_dtdur *out)
{
    int64_t sa, sb, diff;
    int32_t na, nb;
    if ((a->time.tz.kind == BT_TZ_LOCAL) != (b->time.tz.kind == BT_TZ_LOCAL))
        return BT_T_INVALID;
    bt_t_dt_instant(a, &sa, &na);
    bt_t_dt_instant(b, &sb, &nb);
    if (bt_t_add64(sa, -sb, &diff))
        return BT_T_INVALID;
    return dur_norm(diff, (int64_t)na - nb, out);
}

/* Both local: a - b. Both with an offset or zone: feel-scala gives the
 * distance between the two, never negative (ZonedTime.between takes the
 * absolute value), where DMN 1.4 would give a - b; this follows
 * feel-scala. The times count from midnight UTC, unwrapped, so
 * 00:30:00+01:00 is half an hour before midnight. */
int bt_t_time_sub(const bt_ftime *a, const bt_ftime *b, bt_dtdur *out)
{
    int la = a->tz.kind == BT_TZ_LOCAL, lb = b->tz.kind == BT_TZ_LOCAL;
    if (la != lb)
        return BT_T_INVALID;
    int64_t secs = (int64_t)a->sec - b->sec;
    int64_t nanos = (int64_t)a->nanos - b->nanos;
    if (!la) {
        secs -= (int64_t)a->tz.offset - b->tz.offset;
        if (secs < 0 || (secs == 0 && nanos < 0)) {
            secs = -secs;
            nanos = -nanos;
        }
    }
    return dur_norm(secs, nanos, out);
}

/* java.time's Period.between(a, b).toTotalMonths(): whole months from
 * date to date, the times left aside (feel-scala compares the dates). */
int bt_t_months_between(const bt_fdt *a, const bt_fdt *b, int64_t *out)
{
    int64_t total = (b->date.year * 12 + b->date.month) -
                    (a->date.year * 12 + a->date.month);
    int days = b->date.day - a->date.day;
    if (total > 0 && days < 0)
        total--;
    else if (total < 0 && days > 0)
        total++;
    *out = total;
    return 0;
}

int bt_t_dtdur_add(const bt_dtdur *a, const bt_dtdur *b, int sign,
                   bt_dtdur *out)
{
    int64_t secs, nanos;
    if (negate(b, sign, &secs, &nanos) || bt_t_add64(a->secs, secs, &secs))
        return BT_T_INVALID;
    return dur_norm(secs, nanos + a->nanos, out);
}

/* ------------------------------------------------------------------ */
/* Comparison                                                          */
/* ------------------------------------------------------------------ */

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

int bt_t_cmp_date(const bt_fdate *a, const bt_fdate *b)
{
    if (a->year != b->year)
        return CMP(a->year, b->year);
    if (a->month != b->month)
        return CMP(a->month, b->month);
    return CMP(a->day, b->day);
}

/* Times with offsets compare as feel-scala's ZonedTime does: by the
 * nanoseconds from midnight UTC, unwrapped. */
int bt_t_cmp_time(const bt_ftime *a, const bt_ftime *b)
{
    int la = a->tz.kind == BT_TZ_LOCAL, lb = b->tz.kind == BT_TZ_LOCAL;
    if (la != lb)
        return 2;
    int64_t sa = a->sec - (la ? 0 : (int64_t)a->tz.offset);
    int64_t sb = b->sec - (lb ? 0 : (int64_t)b->tz.offset);
    if (sa != sb)
        return CMP(sa, sb);
    return CMP(a->nanos, b->nanos);
}

/* The zone as java.time's ZoneId.getId() writes it. */
static size_t zone_id(const bt_fzone *z, char buf[BT_T_BUFSZ])
{
    if (z->kind == BT_TZ_ZONE) {
        size_t n = z->idlen < BT_T_BUFSZ ? z->idlen : BT_T_BUFSZ - 1;
        memcpy(buf, z->id, n);
        buf[n] = '\0';
        return n;
    }
    return (size_t)(bt_t_put_offset(buf, z->offset) - buf);
}

/* Dates and times with offsets compare as java.time's
 * ZonedDateTime.compareTo, as feel-scala does: by instant, then (for
 * the same instant) by local date and time, then by zone id; so equal
 * means the same instant, local time and zone. */
int bt_t_cmp_dt(const bt_fdt *a, const bt_fdt *b)
{
    int la = a->time.tz.kind == BT_TZ_LOCAL, lb = b->time.tz.kind == BT_TZ_LOCAL;
    if (la != lb)
        return 2;
    int64_t sa, sb;
    int32_t na, nb;
    if (!la) {
        bt_t_dt_instant(a, &sa, &na);
        bt_t_dt_instant(b, &sb, &nb);
        if (sa != sb || na != nb)
            return sa != sb ? CMP(sa, sb) : CMP(na, nb);
    }
    sa = local_secs(&a->date, a->time.sec);
    sb = local_secs(&b->date, b->time.sec);
    if (sa != sb || a->time.nanos != b->time.nanos)
        return sa != sb ? CMP(sa, sb) : CMP(a->time.nanos, b->time.nanos);
    if (la)
        return 0;
    char ia[BT_T_BUFSZ], ib[BT_T_BUFSZ];
    zone_id(&a->time.tz, ia);
    zone_id(&b->time.tz, ib);
    int c = strcmp(ia, ib);
    return CMP(c, 0);
}

int bt_t_cmp_dtdur(const bt_dtdur *a, const bt_dtdur *b)
{
    if (a->secs != b->secs)
        return CMP(a->secs, b->secs);
    return CMP(a->nanos, b->nanos);
}

/* ------------------------------------------------------------------ */
/* Formatting                                                          */
/* ------------------------------------------------------------------ */

/* `v` (>= 0) in decimal, at least `width` digits. */
static char *put_num(char *p, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static uint64_t mag(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* ".5", ".000000001": the fewest digits, as java.time's
 * appendFraction(NANO_OF_SECOND, 0, 9, true); nothing for zero. */
static char *put_fraction(char *p, int32_t nanos)
{
    if (!nanos)
        return p;
    char digits[10];
    int n = 9;
    *p++ = '.';
    put_num(digits, (uint64_t)nanos, 9);
    while (digits[n - 1] == '0')
        n--;
    memcpy(p, digits, (size_t)n);
    return p + n;
}

char *bt_t_put_offset(char *p, int32_t off)
{
    if (off == 0) {
        *p++ = 'Z';
        *p = '\0';
        return p;
    }
    *p++ = off < 0 ? '-' : '+';
    uint64_t a = mag(off);
    p = put_num(p, a / 3600, 2);
    *p++ = ':';
    p = put_num(p, a / 60 % 60, 2);
    if (a % 60) {
        *p++ = ':';
        p = put_num(p, a % 60, 2);
    }
    *p = '\0';
    return p;
}

/* As java.time's LocalDate.toString: four digits at least, a sign for
 * years before 0 and a '+' for years after 9999. */
static char *put_date(char *p, const bt_fdate *d)
{
    if (d->year < 0)
        *p++ = '-';
    else if (d->year > 9999)
        *p++ = '+';
    p = put_num(p, mag(d->year), 4);
    *p++ = '-';
    p = put_num(p, (uint64_t)d->month, 2);
    *p++ = '-';
    return put_num(p, (uint64_t)d->day, 2);
}

static char *put_clock(char *p, const bt_ftime *t)
{
    p = put_num(p, (uint64_t)t->sec / 3600, 2);
    *p++ = ':';
    p = put_num(p, (uint64_t)t->sec / 60 % 60, 2);
    *p++ = ':';
    p = put_num(p, (uint64_t)t->sec % 60, 2);
    return put_fraction(p, t->nanos);
}

static char *put_id(char *p, const bt_fzone *z)
{
    size_t n = z->idlen <= BT_T_ZONE_MAX ? z->idlen : BT_T_ZONE_MAX;
    memcpy(p, z->id, n);
    return p + n;
}

size_t bt_t_format_date(const bt_fdate *d, char *buf)
{
    char *p = put_date(buf, d);
    *p = '\0';
    return (size_t)(p - buf);
}

/* As feel-scala's ZonedTime.format: the offset ("Z" for 0), or the zone
 * id after '@'. */
size_t bt_t_format_time(const bt_ftime *t, char *buf)
{
    char *p = put_clock(buf, t);
    if (t->tz.kind == BT_TZ_OFFSET)
        p = bt_t_put_offset(p, t->tz.offset);
    else if (t->tz.kind == BT_TZ_ZONE) {
        *p++ = '@';
        p = put_id(p, &t->tz);
    }
    *p = '\0';
    return (size_t)(p - buf);
}

/* As Zeebe writes a date and time (java.time's ISO_ZONED_DATE_TIME):
 * the offset, and a zone id in brackets after it. */
size_t bt_t_format_dt(const bt_fdt *dt, char *buf)
{
    char *p = put_date(buf, &dt->date);
    *p++ = 'T';
    p = put_clock(p, &dt->time);
    if (dt->time.tz.kind != BT_TZ_LOCAL)
        p = bt_t_put_offset(p, dt->time.tz.offset);
    if (dt->time.tz.kind == BT_TZ_ZONE) {
        *p++ = '[';
        p = put_id(p, &dt->time.tz);
        *p++ = ']';
    }
    *p = '\0';
    return (size_t)(p - buf);
}

/* As feel-scala's ValDayTimeDuration.format: days, then hours, minutes
 * and seconds below a day, zero parts left out, one sign in front, and
 * "P0D" for zero. feel-scala leaves out fractions of a second too (it
 * prints whole seconds); they are kept here, so that a value written
 * out reads back the same. */
size_t bt_t_format_dtdur(const bt_dtdur *d, char *buf)
{
    char *p = buf;
    if (!d->secs && !d->nanos) {
        memcpy(buf, "P0D", 4);
        return 3;
    }
    if (d->secs < 0 || d->nanos < 0)
        *p++ = '-';
    *p++ = 'P';
    uint64_t s = mag(d->secs);
    int32_t n = d->nanos < 0 ? -d->nanos : d->nanos;
    if (s >= (uint64_t)DAY) {
        p = put_num(p, s / DAY, 1);
        *p++ = 'D';
    }
    s %= DAY;
    if (s || n) {
        *p++ = 'T';
        if (s >= 3600) {
            p = put_num(p, s / 3600, 1);
            *p++ = 'H';
        }
        if (s / 60 % 60) {
            p = put_num(p, s / 60 % 60, 1);
            *p++ = 'M';
        }
        if (s % 60 || n) {
            p = put_num(p, s % 60, 1);
            p = put_fraction(p, n);
            *p++ = 'S';
        }
    }
    *p = '\0';
    return (size_t)(p - buf);
}

/* As feel-scala's ValYearMonthDuration.format: "P1Y2M", "-P3M", and
 * "P0Y" for zero. */
size_t bt_t_format_ymdur(int64_t months, char *buf)
{
    char *p = buf;
    if (!months) {
        memcpy(buf, "P0Y", 4);
        return 3;
    }
    if (months < 0)
        *p++ = '-';
    *p++ = 'P';
    uint64_t m = mag(months);
    if (m >= 12) {
        p = put_num(p, m / 12, 1);
        *p++ = 'Y';
    }
    if (m % 12) {
        p = put_num(p, m % 12, 1);
        *p++ = 'M';
    }
    *p = '\0';
    return (size_t)(p - buf);
}
