/* Timer definitions: ISO 8601 durations, dates and repeating intervals,
 * and cron expressions (Zeebe's six-field form), parsed once and asked
 * for due times. Pure: no clock, no allocation, no global state. Times
 * are milliseconds since the Unix epoch, UTC. Calendar arithmetic (years,
 * months, days) is done in UTC, or in the definition's zone when a date
 * of it names one (a zone id, through ICU when the library is built with
 * it). */
#ifndef BT_UTIL_TIMER_H
#define BT_UTIL_TIMER_H

#include <stddef.h>
#include <stdint.h>

/* What a timer event definition holds (timeDuration, timeDate,
 * timeCycle). */
enum bt_timer_type {
    BT_TIMER_DURATION = 1,
    BT_TIMER_DATE = 2,
    BT_TIMER_CYCLE = 3
};

/* P[n]Y[n]M[n]W[n]DT[n]H[n]M[n]S: weeks are kept as 7 days; hours,
 * minutes and (fractional, to the millisecond) seconds as milliseconds.
 * Never negative. */
typedef struct bt_duration {
    int32_t years, months, days;
    int64_t millis;
} bt_duration;

/* A cron expression's fields as bit sets: second 0-59, minute 0-59, hour
 * 0-23, day of month 1-31, month 1-12, day of week 0-6 (Sunday 0), with
 * Quartz/Spring's special day forms. */
typedef struct bt_cron {
    uint64_t seconds, minutes;
    uint32_t hours, days; /* bit d: day d of the month */
    uint16_t months;      /* bit m: month m */
    uint8_t weekdays;     /* bit w: weekday w */
    uint8_t days_any, weekdays_any; /* '*' or '?' in that field */
    int8_t last_day;      /* "L" (0) or "L-n" (n) in day of month, -1 */
    int8_t nearest_weekday; /* "nW" in day of month: n, "LW": 32, -1 */
    int8_t last_weekday;  /* "nL" in day of week: weekday n, -1 */
    int8_t nth_weekday, nth;  /* "w#n" in day of week, -1 */
} bt_cron;

typedef struct bt_timer_spec {
    uint8_t type;     /* enum bt_timer_type */
    uint8_t is_cron;  /* a cycle given as a cron expression */
    uint8_t has_start; /* a cycle R/start/interval, or a date */
    int32_t repeat;   /* cycles: how many firings, -1 unbounded */
    int64_t at;       /* a date; a cycle's start when has_start */
    bt_duration every; /* a duration; a cycle's interval */
    bt_cron cron;
    char zone[64];    /* zone id for calendar arithmetic, "" for UTC or a
                         fixed offset */
    int32_t offset_minutes; /* the date's fixed offset, when no zone id */
} bt_timer_spec;

/* Parses `text` (`len` bytes, not NUL-terminated) as a definition of
 * `type` (enum bt_timer_type):
 *   duration: an ISO 8601 duration "PT15M", "P1Y2M3W4DT5H6M7.5S";
 *   date:     "2026-01-01T10:00:00Z", "...+02:00", "...+02:00[Europe/
 *             Berlin]", "...[Europe/Berlin]" (no offset: the zone's), or
 *             no zone at all (UTC); fractions of seconds allowed;
 *   cycle:    "R5/PT10M", "R/PT1H", "R3/2026-01-01T00:00:00Z/P1D",
 *             "R/P1D" (Rn is the number of firings; R alone, unbounded),
 *             an interval alone ("PT1H": unbounded), or a cron expression
 *             of six fields "0 0 9-17 * * MON-FRI" (seconds, minutes,
 *             hours, day of month, month, day of week; *, ?, lists,
 *             ranges, steps, JAN-DEC, SUN-SAT, L, W, #) or a macro
 *             (@yearly, @annually, @monthly, @weekly, @daily, @midnight,
 *             @hourly).
 * Whitespace around the text is ignored. Returns 0, or -1 with a message
 * in `err` (NUL-terminated, at most `errlen` bytes) that says what is
 * wrong and where ("month 13 is out of range at character 6"). A zone id
 * that is not known, or any zone id when built without ICU, is an error
 * too. */
int bt_timer_parse(int type, const char *text, size_t len,
                   bt_timer_spec *out, char *err, size_t errlen);

/* The first due time of a timer that starts at `now`: a duration's end,
 * a date, a cycle's start (when it has one) or `now` plus its interval,
 * a cron expression's first time after `now`. Returns 0, or -1 when the
 * time cannot be represented (far beyond year 9999) or a cycle fires
 * zero times (R0). */
int bt_timer_first(const bt_timer_spec *t, int64_t now, int64_t *due);

/* The due time after a cycle fired for the `fired`-th time (1 for the
 * first firing) at its due time `prev`: `prev` plus the interval, or the
 * cron expression's next time after `prev`. Returns 1 with `*due` set,
 * 0 when the cycle has fired its repetitions (and for a duration or a
 * date, which fire once), -1 when not representable. */
int bt_timer_next(const bt_timer_spec *t, int64_t prev, uint32_t fired,
                  int64_t *due);

/* `t` plus `d`, calendar parts in `zone` ("" or NULL: UTC). Returns 0 or
 * -1 when not representable. */
int bt_duration_add(const bt_duration *d, int64_t t, const char *zone,
                    int64_t *out);

/* Formats `t` as "2026-01-01T10:00:00.000Z" into `buf` (at least 32
 * bytes). Returns `buf`. */
char *bt_time_format(int64_t t, char *buf);

/* Parses an ISO 8601 duration alone (for backoffs and the `advance`
 * action): returns 0 or -1 with `err` as bt_timer_parse(). */
int bt_duration_parse(const char *text, size_t len, bt_duration *out,
                      char *err, size_t errlen);

/* Whether zone ids are supported (the library was built with ICU). */
int bt_timer_has_zones(void);

#endif
