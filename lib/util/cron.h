/* Shared by timer.c and cron.c: cron expressions, the proleptic
 * Gregorian calendar (days since 1970-01-01 to and from year, month and
 * day; the algorithms of Howard Hinnant's "chrono-Compatible Low-Level
 * Date Algorithms"), and the error message of a timer definition. */
#ifndef BT_UTIL_CRON_H
#define BT_UTIL_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "util/timer.h"

#define BT_DAY_MS 86400000LL
/* The representable times: 0001-01-01T00:00:00.000Z through
 * 9999-12-31T23:59:59.999Z. */
#define BT_TIME_MIN (-62135596800000LL)
#define BT_TIME_MAX 253402300799999LL

/* Parses the cron expression `s` (`n` bytes, trimmed) into `out`: six
 * fields or a macro. Returns 0, or -1 with the message in `err`. */
int bt_cron_parse(const char *s, size_t n, bt_cron *out, char *err,
                  size_t errlen);

/* The first time (whole seconds, UTC) after `after` that `c` matches,
 * searched at most five years ahead. Returns 0, or -1 when there is none
 * in that time or before year 10000. */
int bt_cron_next(const bt_cron *c, int64_t after, int64_t *due);

/* Writes "<what> at character <pos + 1>" to `err`; `pos` is 0-based.
 * Returns -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int bt_timer_fail(char *err, size_t errlen, size_t pos, const char *fmt,
                  ...);

/* "'x'" for a printable byte, "byte 0x00" for another (a NUL would end
 * the message). Returns `buf`. */
const char *bt_timer_show(char ch, char buf[16]);

/* ASCII only: the text is not read through the locale. */
static inline int bt_is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static inline int bt_is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
           ch == '\f' || ch == '\v';
}
static inline char bt_upper(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
}

static inline int64_t bt_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int bt_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int bt_days_in_month(int64_t y, int m)
{
    static const int8_t len[13] = {0, 31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
    return m == 2 && bt_is_leap(y) ? 29 : len[m];
}

/* Days since 1970-01-01 of year `y`, month `m` (1-12), day `d`. */
static inline int64_t bt_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline void bt_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0 for Sunday through 6 for Saturday (1970-01-01 was a Thursday). */
static inline int bt_weekday(int64_t days)
{
    return (int)(days - bt_floor_div(days + 4, 7) * 7 + 4);
}

#endif
