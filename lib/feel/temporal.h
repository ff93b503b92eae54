/* FEEL's temporal values (DMN 1.4 §10.3.2.3): dates, times, dates and
 * times, days-time and years-months durations, as feel-scala has them
 * for Zeebe. Zone ids (IANA, "Europe/Berlin") resolve through ICU's
 * time zone data; a build without ICU refuses them by name.
 *
 * Calendar arithmetic is proleptic Gregorian. A value that carries a
 * zone id keeps the id; its offset is computed from the zone for its
 * local date and time (in a DST gap, the later offset; in an overlap,
 * the earlier one, as java.time does).
 *
 * Nothing here allocates: zone ids are (pointer, length) pairs into
 * memory the caller owns (the expression's text, a variable, or the
 * evaluation's scratch memory), and text is written to caller buffers. */
#ifndef BT_FEEL_TEMPORAL_H
#define BT_FEEL_TEMPORAL_H

#include <stddef.h>
#include <stdint.h>

/* Years beyond these are refused (java.time's range). */
#define BT_T_YEAR_MIN (-999999999LL)
#define BT_T_YEAR_MAX 999999999LL
/* Enough for any value bt_t_format_* writes, with its NUL. */
#define BT_T_BUFSZ 128

typedef struct bt_fdate {
    int64_t year;
    int month, day; /* 1-based */
} bt_fdate;

enum { BT_TZ_LOCAL = 0, BT_TZ_OFFSET = 1, BT_TZ_ZONE = 2 };

typedef struct bt_fzone {
    int kind;       /* BT_TZ_* */
    int32_t offset; /* seconds east of UTC; for BT_TZ_ZONE, the offset
                       in force at the value's local date and time (for a
                       bare time, the zone's standard offset: temporal.c
                       says which) */
    const char *id; /* BT_TZ_ZONE: the IANA id, `idlen` bytes */
    size_t idlen;
} bt_fzone;

typedef struct bt_ftime {
    int32_t sec;   /* seconds of the day, 0..86399 */
    int32_t nanos; /* 0..999999999 */
    bt_fzone tz;
} bt_ftime;

typedef struct bt_fdt {
    bt_fdate date;
    bt_ftime time;
} bt_fdt;

/* A days and time duration: secs and nanos have the same sign (or are
 * zero), |nanos| < 10^9. */
typedef struct bt_dtdur {
    int64_t secs;
    int32_t nanos;
} bt_dtdur;

/* A years and months duration is a signed count of months (int64_t). */

/* Results: 0 or BT_T_INVALID (malformed text, a field out of range, an
 * unknown zone id, an overflow). */
enum { BT_T_INVALID = 1 };

/* ---- parsing: the texts FEEL's conversion functions accept ---------- */

/* "2020-02-29", "-0001-01-01", "+10000-01-01". */
int bt_t_parse_date(const char *s, size_t n, bt_fdate *out);
/* "10:30:00", "10:30", "10:30:00.123456789", "T10:30:00", with an
 * optional "Z", "+01:00" or "@Europe/Paris" suffix after the seconds.
 * The zone id of the result points into `s`. */
int bt_t_parse_time(const char *s, size_t n, bt_ftime *out);
/* "2020-01-01T10:30:00" with the suffixes of times, and
 * "...+01:00[Europe/Paris]" (the zone id wins); a date alone
 * ("2020-01-01") is midnight of that date, local. */
int bt_t_parse_dt(const char *s, size_t n, bt_fdt *out);
/* ISO 8601 durations: "P1DT2H3M4.5S", "-PT1S" (days-time), or
 * "P1Y2M", "-P3M" (years-months). `*is_ym` says which was parsed. A text
 * mixing years/months with days/time is invalid (FEEL has no such
 * type), and so are weeks ("P2W": neither feel-scala nor XML Schema's
 * durations have them). */
int bt_t_parse_duration(const char *s, size_t n, int *is_ym, bt_dtdur *dt,
                        int64_t *months);

/* ---- construction ---------------------------------------------------- */

int bt_t_make_date(int64_t y, int64_t m, int64_t d, bt_fdate *out);
/* seconds with a fraction are given as sec + nanos */
int bt_t_make_time(int64_t h, int64_t mi, int64_t s, int32_t nanos,
                   const bt_fzone *tz, bt_ftime *out);
/* Checks `id` names a known zone (or "Z", "UTC", "+01:00") and fills
 * `out` with it; the offset is left 0 until bt_t_resolve. */
int bt_t_zone(const char *id, size_t n, bt_fzone *out);
/* Recomputes the offset of a zoned value from its local date and time. */
int bt_t_resolve(bt_fdt *dt);

/* ---- formatting: ISO 8601, as Zeebe serializes FEEL values ----------- */

/* Each writes a NUL-terminated text to `buf` (BT_T_BUFSZ bytes) and
 * returns its length:
 *   date            2020-01-01
 *   time            10:30:00, 10:30:00.5, 10:30:00Z, 10:30:00+01:00,
 *                   10:30:00@Europe/Paris
 *   date and time   2020-01-01T10:30:00, ...T10:30:00+01:00,
 *                   ...T10:30:00+01:00[Europe/Paris]
 *   durations       P1DT2H, -PT0.5S, P0D; P1Y2M, P0Y */
size_t bt_t_format_date(const bt_fdate *d, char *buf);
size_t bt_t_format_time(const bt_ftime *t, char *buf);
size_t bt_t_format_dt(const bt_fdt *dt, char *buf);
size_t bt_t_format_dtdur(const bt_dtdur *d, char *buf);
size_t bt_t_format_ymdur(int64_t months, char *buf);

/* ---- arithmetic and comparison (DMN 1.4 §10.3.2.3, Table 57) --------- */

/* Days since 1970-01-01 and back. */
int64_t bt_t_epoch_day(const bt_fdate *d);
int bt_t_from_epoch_day(int64_t days, bt_fdate *out);
/* 1 = Monday .. 7 = Sunday */
int bt_t_weekday(const bt_fdate *d);
int bt_t_day_of_year(const bt_fdate *d);
int bt_t_iso_week(const bt_fdate *d); /* ISO 8601 week of the year */
int bt_t_days_in_month(int64_t year, int month);

/* date and time +/- durations; a years-months duration moves the month
 * and clamps the day to the month's end (2020-01-31 + P1M is
 * 2020-02-29), a zoned value moved in local time and re-resolved; a
 * days-time duration moves a zoned value on the time line (P1D is 24
 * hours, as java.time's ZonedDateTime.plus(Duration)). */
int bt_t_dt_add_dtdur(const bt_fdt *a, const bt_dtdur *d, int sign,
                      bt_fdt *out);
int bt_t_dt_add_months(const bt_fdt *a, int64_t months, bt_fdt *out);
/* time +/- a days-time duration wraps around midnight */
int bt_t_time_add_dtdur(const bt_ftime *a, const bt_dtdur *d, int sign,
                        bt_ftime *out);
/* a - b as a days-time duration. Both local, or both with an offset or
 * zone; else BT_T_INVALID (FEEL: null). Dates count as midnight, local.
 * For two times with offsets, feel-scala gives the distance, |a - b|. */
int bt_t_dt_sub(const bt_fdt *a, const bt_fdt *b, bt_dtdur *out);
int bt_t_time_sub(const bt_ftime *a, const bt_ftime *b, bt_dtdur *out);
/* years and months duration(from, to): whole months from a to b. */
int bt_t_months_between(const bt_fdt *a, const bt_fdt *b, int64_t *out);

int bt_t_dtdur_add(const bt_dtdur *a, const bt_dtdur *b, int sign,
                   bt_dtdur *out);
/* The instant of a date and time with an offset or zone: seconds since
 * the epoch and nanos; for a local one, as if it were UTC. */
void bt_t_dt_instant(const bt_fdt *dt, int64_t *secs, int32_t *nanos);
/* The date and time `secs`/`nanos` after the epoch in zone `tz` (its
 * local fields computed from the instant). */
int bt_t_dt_at_instant(int64_t secs, int32_t nanos, const bt_fzone *tz,
                       bt_fdt *out);

/* Orders two values of the same type: -1, 0, 1; or 2 when they are not
 * comparable (one local, the other not: FEEL gives null). Dates and
 * times with offsets compare as instants; two dates and times at one
 * instant then by local time and zone id (java.time's compareTo). */
int bt_t_cmp_date(const bt_fdate *a, const bt_fdate *b);
int bt_t_cmp_time(const bt_ftime *a, const bt_ftime *b);
int bt_t_cmp_dt(const bt_fdt *a, const bt_fdt *b);
int bt_t_cmp_dtdur(const bt_dtdur *a, const bt_dtdur *b);

/* 1 when ICU's zone data is built in. */
int bt_t_have_zones(void);

#endif
