/* Unit tests of the timer definitions (lib/util/timer.c, cron.c):
 * durations, dates with offsets and zone ids, repeating cycles, cron
 * expressions and their next times, calendar arithmetic across month
 * ends and DST changes, every error message with its position, and
 * hostile input (long digit runs, long text, embedded NULs, random
 * bytes).
 *
 * The expected instants were computed apart from this code, with
 * Python 3's datetime and zoneinfo (IANA data), e.g.
 *   datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"),
 *            fold=0).timestamp() * 1000
 * for local times (fold=0 is java.time's choice in a gap and, without a
 * preferred offset, in an overlap), java.time's plus() restated in
 * Python for the calendar arithmetic (months with the day clamped, then
 * days, each resolved with the previous offset preferred, then time),
 * and, for cron, a brute-force search over days and seconds with each
 * expression restated by hand as a Python predicate. Where a constant is
 * a day or a time of day, the ISO text beside it says which. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/timer.h"

#define TIME_MIN (-62135596800000LL) /* 0001-01-01T00:00:00.000Z */
#define TIME_MAX 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char err[256];

static bt_timer_spec parse_at(int type, const char *text, const char *file,
                              int line)
{
    bt_timer_spec t;
    if (bt_timer_parse(type, text, strlen(text), &t, err, sizeof err) != 0)
        fail_msg("%s:%d: '%s' does not parse: %s", file, line, text, err);
    return t;
}
#define parse_ok(type, text) parse_at(type, text, __FILE__, __LINE__)

static void error_at(int type, const char *text, size_t len, const char *want,
                     const char *file, int line)
{
    bt_timer_spec t;
    memset(err, 'x', sizeof err);
    int rc = bt_timer_parse(type, text, len, &t, err, sizeof err);
    if (rc != -1 || strcmp(err, want) != 0)
        fail_msg("%s:%d: '%.*s' (type %d): got %d \"%s\", want \"%s\"", file,
                 line, (int)(len > 60 ? 60 : len), text, type, rc,
                 rc ? err : "", want);
}
#define expect_error(type, text, want) \
    error_at(type, text, strlen(text), want, __FILE__, __LINE__)
#define expect_error_len(type, text, len, want) \
    error_at(type, text, len, want, __FILE__, __LINE__)

static const char *fmt(int64_t t)
{
    static char buf[4][32];
    static int n;
    return bt_time_format(t, buf[n++ & 3]);
}

static int64_t first(const bt_timer_spec *t, int64_t now)
{
    int64_t due = 0;
    assert_int_equal(bt_timer_first(t, now, &due), 0);
    return due;
}

/* A large text on the heap, freed by the caller. */
static char *repeat(const char *head, char fill, size_t n, const char *tail)
{
    size_t h = strlen(head), t = strlen(tail);
    char *s = malloc(h + n + t + 1);
    assert_non_null(s);
    memcpy(s, head, h);
    memset(s + h, fill, n);
    memcpy(s + h + n, tail, t + 1);
    return s;
}

/* ------------------------------------------------------------------ */
/* Durations                                                           */
/* ------------------------------------------------------------------ */

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int32_t years, months, days;
        int64_t millis;
    } cases[] = {
        {"PT15M", 0, 0, 0, 900000},
        {"P1Y2M3W4DT5H6M7.5S", 1, 2, 25, 5 * 3600000 + 6 * 60000 + 7500},
        {"PT0.5S", 0, 0, 0, 500},
        {"PT1,25S", 0, 0, 0, 1250},
        {"PT0.123456789S", 0, 0, 0, 123},
        {"PT0.001S", 0, 0, 0, 1},
        {"P2W", 0, 0, 14, 0},
        {"P1W1D", 0, 0, 8, 0},
        {"P1M", 0, 1, 0, 0},
        {"PT1M", 0, 0, 0, 60000},
        {"P1MT1M", 0, 1, 0, 60000},
        {"PT36H", 0, 0, 0, 36 * 3600000LL},
        {"P0D", 0, 0, 0, 0},
        {"PT0S", 0, 0, 0, 0},
        {"pt1h30m", 0, 0, 0, 5400000},
        {"  \t PT1H \r\n", 0, 0, 0, 3600000},
        {"P0001Y", 1, 0, 0, 0},
        {"P9999Y", 9999, 0, 0, 0},
        {"P119988M", 0, 119988, 0, 0},
        {"P3652059D", 0, 0, 3652059, 0},
        {"P521722W5D", 0, 0, 3652059, 0},
        {"PT87649416H", 0, 0, 0, 87649416LL * 3600000},
        {"PT315537897600S", 0, 0, 0, 315537897600000LL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bt_duration d;
        const char *s = cases[i].text;
        if (bt_duration_parse(s, strlen(s), &d, err, sizeof err))
            fail_msg("'%s': %s", s, err);
        assert_int_equal(d.years, cases[i].years);
        assert_int_equal(d.months, cases[i].months);
        assert_int_equal(d.days, cases[i].days);
        assert_int_equal(d.millis, cases[i].millis);
        bt_timer_spec t = parse_ok(BT_TIMER_DURATION, s);
        assert_int_equal(t.type, BT_TIMER_DURATION);
        assert_memory_equal(&t.every, &d, sizeof d);
    }
}

static void test_duration_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"P", "'P' has no date or time part at character 1"},
        {"PT", "'PT' has no time part at character 2"},
        {"P1DT", "'T' has no time part at character 4"},
        {"-PT1H", "negative durations are not allowed at character 1"},
        {"PT-1H", "negative durations are not allowed at character 3"},
        {"P-1D", "negative durations are not allowed at character 2"},
        {"1H", "expected a duration 'P...' at character 1"},
        {"T1H", "expected a duration 'P...' at character 1"},
        {"P1", "expected Y, M, W or D after the number at character 3"},
        {"PT1", "expected H, M or S after the number at character 4"},
        {"P1H", "'H' must follow 'T' at character 3"},
        {"P1S", "'S' must follow 'T' at character 3"},
        {"P1D2Y", "'Y' is out of order or repeated at character 5"},
        {"P1D1D", "'D' is out of order or repeated at character 5"},
        {"PT1M1H", "'H' is out of order or repeated at character 6"},
        {"P1X", "expected Y, M, W or D after the number, found 'X' "
                "at character 3"},
        {"PT1D", "expected H, M or S after the number, found 'D' "
                 "at character 4"},
        {"PT1HT1M", "expected a number, found 'T' at character 5"},
        {"PTxS", "expected a number, found 'x' at character 3"},
        {"PT.5S", "expected a number, found '.' at character 3"},
        {"P1D x", "expected a number, found ' ' at character 4"},
        {"PT1.5M", "only seconds can have a fraction at character 4"},
        {"P1.5D", "only seconds can have a fraction at character 3"},
        {"PT1.S", "expected digits after the decimal point at character 5"},
        {"PT0.1234567891S", "the fraction has more than 9 digits "
                            "at character 4"},
        {"P10000Y", "the number of years is too large (at most 9999) "
                    "at character 2"},
        {"P119989M", "the number of months is too large (at most 119988) "
                     "at character 2"},
        {"P521723W", "the number of weeks is too large (at most 521722) "
                     "at character 2"},
        {"P3652060D", "the number of days is too large (at most 3652059) "
                      "at character 2"},
        {"P521722W6D", "the duration is longer than 9999 years at "
                       "character 9"},
        {"PT87649417H", "the number of hours is too large (at most "
                        "87649416) at character 3"},
        {"PT5258964961M", "the number of minutes is too large (at most "
                          "5258964960) at character 3"},
        {"PT315537897601S", "the number of seconds is too large (at most "
                            "315537897600) at character 3"},
        {"PT87649416H1S", "the duration is longer than 9999 years at "
                          "character 12"},
        {"P99999999999999999999999999999D", "the number of days is too "
                                            "large (at most 3652059) at "
                                            "character 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        expect_error(BT_TIMER_DURATION, cases[i].text, cases[i].want);
        bt_duration d;
        const char *s = cases[i].text;
        assert_int_equal(bt_duration_parse(s, strlen(s), &d, err, sizeof err),
                         -1);
        assert_string_equal(err, cases[i].want);
    }
    expect_error(BT_TIMER_DURATION, "", "the timer definition is empty");
    expect_error(BT_TIMER_DURATION, " \t\r\n", "the timer definition is empty");
    expect_error_len(BT_TIMER_DURATION, NULL, 0,
                     "the timer definition is empty");
    bt_duration d;
    assert_int_equal(bt_duration_parse("  ", 2, &d, err, sizeof err), -1);
    assert_string_equal(err, "the duration is empty");
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */
/* ------------------------------------------------------------------ */

static void test_dates(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t at;
        int32_t offset;
    } cases[] = {
        {"2026-01-01T10:00:00Z", 1767261600000LL, 0},
        {"2026-01-01T10:00:00", 1767261600000LL, 0},
        {"2026-01-01T10:00Z", 1767261600000LL, 0},
        {"2026-01-01t10:00:00z", 1767261600000LL, 0},
        {"2026-01-01T10:00:00.5Z", 1767261600500LL, 0},
        {"2026-01-01T10:00:00,123456789Z", 1767261600123LL, 0},
        {"2026-01-01T10:00:00+02:00", 1767254400000LL, 120},
        {"2026-01-01T10:00:00+0200", 1767254400000LL, 120},
        {"2026-01-01T10:00:00+02", 1767254400000LL, 120},
        {"2026-01-01T10:00:00-05:30", 1767281400000LL, -330},
        {"2026-01-01T10:00:00+18:00", 1767196800000LL, 1080},
        {"2026-01-01T10:00:00-00:00", 1767261600000LL, 0},
        {"2024-02-29T23:59:59.999Z", 1709251199999LL, 0},
        {"2000-02-29T12:00:00Z", 951825600000LL, 0},
        {"1970-01-01T00:00:00Z", 0LL, 0},
        {"1969-12-31T23:59:59Z", -1000LL, 0},
        {"0001-01-01T00:00:00Z", -62135596800000LL, 0},
        {"9999-12-31T23:59:59.999Z", 253402300799999LL, 0},
        {"1600-03-01T00:00:00Z", -11670912000000LL, 0},
        {" 2026-01-01T10:00:00Z\n", 1767261600000LL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bt_timer_spec t = parse_ok(BT_TIMER_DATE, cases[i].text);
        assert_int_equal(t.type, BT_TIMER_DATE);
        assert_int_equal(t.has_start, 1);
        assert_int_equal(t.at, cases[i].at);
        assert_int_equal(t.offset_minutes, cases[i].offset);
        assert_string_equal(t.zone, "");
        assert_int_equal(first(&t, 42), cases[i].at);
        int64_t due = 0;
        assert_int_equal(bt_timer_next(&t, cases[i].at, 1, &due), 0);
    }
}

static void test_zone_dates(void **state)
{
    (void)state;
    if (!bt_timer_has_zones())
        skip();
    static const struct {
        const char *text, *zone;
        int64_t at;
    } cases[] = {
        {"2026-07-01T12:00:00[Europe/Berlin]", "Europe/Berlin",
         1782900000000LL},
        {"2026-01-01T12:00:00[America/New_York]", "America/New_York",
         1767286800000LL},
        /* In the spring gap: 02:30 is 03:30 CEST, 01:30Z. */
        {"2026-03-29T02:30:00[Europe/Berlin]", "Europe/Berlin",
         1774747800000LL},
        /* In the autumn overlap: the earlier offset, +02:00. */
        {"2026-10-25T02:30:00[Europe/Berlin]", "Europe/Berlin",
         1792888200000LL},
        {"2026-03-08T02:30:00[America/New_York]", "America/New_York",
         1772955000000LL},
        {"2026-11-01T01:30:00[America/New_York]", "America/New_York",
         1793511000000LL},
        /* The offset decides the instant; the zone is kept. */
        {"2026-10-25T02:30:00+01:00[Europe/Berlin]", "Europe/Berlin",
         1792891800000LL},
        {"2026-01-01T10:00:00+05:00[Europe/Berlin]", "Europe/Berlin",
         1767243600000LL},
        {"2026-01-01T10:00:00Z[UTC]", "UTC", 1767261600000LL},
        {"2026-06-15T08:00:00[Asia/Kolkata]", "Asia/Kolkata",
         1781490600000LL},
        /* Samoa skipped 2011-12-30 entirely: a gap of a whole day. */
        {"2011-12-30T12:00:00[Pacific/Apia]", "Pacific/Apia",
         1325282400000LL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bt_timer_spec t = parse_ok(BT_TIMER_DATE, cases[i].text);
        if (t.at != cases[i].at)
            fail_msg("'%s': %s, want %s", cases[i].text, fmt(t.at),
                     fmt(cases[i].at));
        assert_string_equal(t.zone, cases[i].zone);
        assert_int_equal(first(&t, 0), cases[i].at);
    }
    expect_error(BT_TIMER_DATE, "2026-01-01T10:00:00[Mars/Base]",
                 "unknown zone 'Mars/Base' at character 21");
    expect_error(BT_TIMER_DATE, "2026-01-01T10:00:00Z[GMT+5]",
                 "unknown zone 'GMT+5' at character 22");
    expect_error(BT_TIMER_DATE, "2026-01-01T10:00:00[europe_berlin]",
                 "unknown zone 'europe_berlin' at character 21");
}

static void test_zones_disabled(void **state)
{
    (void)state;
    if (bt_timer_has_zones())
        skip();
    expect_error(BT_TIMER_DATE, "2026-01-01T10:00:00[Europe/Berlin]",
                 "zone ids need a build with ICU (-Dtimezones=enabled) at "
                 "character 21");
    expect_error(BT_TIMER_DATE, "2026-01-01T10:00:00+01:00[Europe/Berlin]",
                 "zone ids need a build with ICU (-Dtimezones=enabled) at "
                 "character 27");
    expect_error(BT_TIMER_CYCLE, "R/2026-01-01T10:00:00[UTC]/P1D",
                 "zone ids need a build with ICU (-Dtimezones=enabled) at "
                 "character 23");
    bt_duration d = {0, 0, 1, 0};
    int64_t out;
    assert_int_equal(bt_duration_add(&d, 0, "Europe/Berlin", &out), -1);
    assert_int_equal(bt_duration_add(&d, 0, "", &out), 0);
    assert_int_equal(out, 86400000);
}

static void test_date_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"2026-13-01T00:00:00Z", "month 13 is out of range at character 6"},
        {"2026-00-01T00:00:00Z", "month 0 is out of range at character 6"},
        {"2026-02-29T00:00:00Z", "day 29 is out of range for 2026-02 at "
                                 "character 9"},
        {"2100-02-29T00:00:00Z", "day 29 is out of range for 2100-02 at "
                                 "character 9"},
        {"2026-04-31T00:00:00Z", "day 31 is out of range for 2026-04 at "
                                 "character 9"},
        {"2026-01-00T00:00:00Z", "day 0 is out of range for 2026-01 at "
                                 "character 9"},
        {"0000-01-01T00:00:00Z", "year 0 is out of range at character 1"},
        {"10000-01-01T00:00:00Z", "expected '-' after the year at "
                                  "character 5"},
        {"226-01-01T00:00:00Z", "expected 4 digits for the year at "
                                "character 4"},
        {"2026-1-01T00:00:00Z", "expected 2 digits for the month at "
                                "character 7"},
        {"2026/01/01T00:00:00Z", "expected '-' after the year at "
                                 "character 5"},
        {"2026-01-01", "expected 'T' and a time after the date at "
                       "character 11"},
        {"2026-01-01 10:00:00Z", "expected 'T' and a time after the date at "
                                 "character 11"},
        {"2026-01-01T24:00:00Z", "hour 24 is out of range at character 12"},
        {"2026-01-01T10:60:00Z", "minute 60 is out of range at character 15"},
        {"2026-01-01T10:00:60Z", "second 60 is out of range at character 18"},
        {"2026-01-01T10", "expected ':' after the hour at character 14"},
        {"2026-01-01T10:00:00.Z", "expected digits after the decimal point "
                                  "at character 21"},
        {"2026-01-01T10:00:00.1234567891Z", "the fraction has more than 9 "
                                            "digits at character 20"},
        {"2026-01-01T10:00:00+19:00", "offset +19:00 is out of range (at "
                                      "most 18:00) at character 20"},
        {"2026-01-01T10:00:00-18:01", "offset -18:01 is out of range (at "
                                      "most 18:00) at character 20"},
        {"2026-01-01T10:00:00+05:60", "offset +05:60 is out of range (at "
                                      "most 18:00) at character 20"},
        {"2026-01-01T10:00:00+5", "expected 2 digits for the offset's hours "
                                  "at character 22"},
        {"2026-01-01T10:00:00+05:", "expected 2 digits for the offset's "
                                    "minutes at character 24"},
        {"2026-01-01T10:00:00+05:3", "expected 2 digits for the offset's "
                                     "minutes at character 25"},
        {"2026-01-01T10:00:00Zx", "unexpected 'x' after the date at "
                                  "character 21"},
        {"2026-01-01T10:00:00+01:00:30", "unexpected ':' after the date at "
                                         "character 26"},
        {"2026-01-01T10:00:00[Europe/Berlin", "expected ']' after the zone "
                                              "id at character 34"},
        {"2026-01-01T10:00:00[]", "the zone id is empty at character 21"},
        {"2026-01-01T10:00:00[Europe Berlin]", "unexpected ' ' in the zone "
                                               "id at character 27"},
        {"0001-01-01T00:00:00+01:00", "the date is out of range (years "
                                      "0001 to 9999 UTC) at character 1"},
        {"9999-12-31T23:00:00-01:00", "the date is out of range (years "
                                      "0001 to 9999 UTC) at character 1"},
        {"PT1H", "expected 4 digits for the year at character 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_error(BT_TIMER_DATE, cases[i].text, cases[i].want);
    expect_error(BT_TIMER_DATE, "2026-01-01T10:00:00[Europe/Berlin]x",
                 bt_timer_has_zones()
                     ? "unexpected 'x' after the date at character 35"
                     : "zone ids need a build with ICU (-Dtimezones=enabled) "
                       "at character 21");
    char *s = repeat("2026-01-01T10:00:00[", 'A', 70, "]");
    expect_error(BT_TIMER_DATE, s, "the zone id is longer than 63 "
                                   "characters at character 21");
    free(s);
    expect_error(BT_TIMER_DATE, "", "the timer definition is empty");
}

/* ------------------------------------------------------------------ */
/* Calendar arithmetic                                                 */
/* ------------------------------------------------------------------ */

typedef struct add_case {
    const char *what;
    int64_t from;
    int32_t years, months, days;
    int64_t millis, want;
} add_case;

static void check_adds(const add_case *c, size_t n, const char *zone)
{
    for (size_t i = 0; i < n; i++) {
        bt_duration d = {c[i].years, c[i].months, c[i].days, c[i].millis};
        int64_t out = 0;
        if (bt_duration_add(&d, c[i].from, zone, &out) != 0 ||
            out != c[i].want)
            fail_msg("%s: %s, want %s", c[i].what, fmt(out), fmt(c[i].want));
    }
}

static void test_add_utc(void **state)
{
    (void)state;
    static const add_case cases[] = {
        {"Jan 31 + P1M", 1769853600000LL, 0, 1, 0, 0, 1772272800000LL},
        /* 2026-02-28T10:00Z */
        {"Jan 31 + P1M, leap", 1706695200000LL, 0, 1, 0, 0, 1709200800000LL},
        /* 2024-02-29T10:00Z */
        {"Feb 29 + P1Y", 1709200800000LL, 1, 0, 0, 0, 1740736800000LL},
        /* 2025-02-28T10:00Z */
        {"Feb 29 + P4Y", 1709200800000LL, 4, 0, 0, 0, 1835431200000LL},
        /* 2028-02-29T10:00Z */
        {"Mar 31 + P1M", 1711843200000LL, 0, 1, 0, 0, 1714435200000LL},
        /* 2024-04-30T00:00Z */
        {"Jan 31 + P1M1D", 1769853600000LL, 0, 1, 1, 0, 1772359200000LL},
        /* 2026-03-01T10:00Z: months first, then days */
        {"Dec 31 + P2M", 1767225599999LL, 0, 2, 0, 0, 1772323199999LL},
        /* 2026-02-28T23:59:59.999Z */
        {"P1Y2M3DT4H5M6.789S", 1767225600000LL, 1, 2, 3, 14706789,
         1804133106789LL}, /* 2027-03-04T04:05:06.789Z */
        {"Jan 31 + P13M", 1769817600000LL, 0, 13, 0, 0, 1803772800000LL},
        /* 2027-02-28T00:00Z */
        {"PT24H", 1774688400000LL, 0, 0, 0, 86400000, 1774774800000LL},
        {"nothing", 1774688400000LL, 0, 0, 0, 0, 1774688400000LL},
        {"to the last instant", TIME_MAX - 1, 0, 0, 0, 1, TIME_MAX},
        {"from the first instant", TIME_MIN, 9998, 11, 30, 86399999,
         TIME_MAX},
        {"back a month", 1772272800000LL, 0, -1, 0, 0, 1769594400000LL},
        /* 2026-01-28T10:00Z */
    };
    check_adds(cases, sizeof cases / sizeof *cases, NULL);
    check_adds(cases, sizeof cases / sizeof *cases, "");

    /* Not representable. */
    static const struct {
        int64_t from;
        bt_duration d;
    } bad[] = {
        {TIME_MAX, {0, 0, 0, 1}},
        {TIME_MAX - 86399999, {0, 0, 1, 0}},
        {253400000000000LL, {0, 1, 0, 0}},
        {TIME_MIN, {0, 0, 0, -1}},
        {TIME_MIN, {0, 0, -1, 0}},
        {TIME_MIN, {-1, 0, 0, 0}},
        {0, {INT32_MAX, INT32_MAX, INT32_MAX, INT64_MAX}},
        {0, {INT32_MIN, INT32_MIN, INT32_MIN, INT64_MIN}},
        {0, {0, 0, 0, INT64_MAX}},
        {0, {0, 0, 0, INT64_MIN}},
        {0, {0, 0, INT32_MAX, 0}},
        {0, {INT32_MAX, 0, 0, 0}},
        {0, {0, INT32_MIN, 0, 0}},
        {INT64_MAX, {0, 0, 0, 0}},
        {INT64_MIN, {0, 0, 0, 0}},
        {TIME_MAX + 1, {0, 0, 0, 0}},
        {TIME_MIN - 1, {0, 0, 0, 0}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t out = 12345;
        assert_int_equal(bt_duration_add(&bad[i].d, bad[i].from, NULL, &out),
                         -1);
    }
}

static void test_add_zones(void **state)
{
    (void)state;
    if (!bt_timer_has_zones())
        skip();
    static const add_case berlin[] = {
        {"spring P1D keeps 10:00", 1774688400000LL, 0, 0, 1, 0,
         1774771200000LL}, /* 2026-03-28T10:00+01 -> 03-29T10:00+02 */
        {"spring PT24H is 11:00", 1774688400000LL, 0, 0, 0, 86400000,
         1774774800000LL},
        {"autumn P1D keeps 10:00", 1792828800000LL, 0, 0, 1, 0,
         1792918800000LL},
        {"autumn PT24H is 09:00", 1792828800000LL, 0, 0, 0, 86400000,
         1792915200000LL},
        {"P1D into the gap", 1774661400000LL, 0, 0, 1, 0, 1774747800000LL},
        /* 03-28T02:30+01 -> 03-29T03:30+02 */
        {"overlap, +02:00 kept", 1792801800000LL, 0, 0, 1, 0,
         1792888200000LL},
        {"overlap, +01:00 kept", 1774402200000LL, 0, 7, 0, 0,
         1792891800000LL}, /* 03-25T02:30+01 -> 10-25T02:30+01 */
        {"overlap from summer", 1790296200000LL, 0, 1, 0, 0, 1792888200000LL},
        {"P1M over the change", 1773565200000LL, 0, 1, 0, 0, 1776240000000LL},
        {"P1M1DT1H", 1772269200000LL, 0, 1, 1, 3600000, 1774774800000LL},
        /* 02-28T10:00+01 -> 03-28T10:00+01 -> 03-29T10:00+02 -> 11:00 */
    };
    static const add_case new_york[] = {
        {"spring P1D", 1772902800000LL, 0, 0, 1, 0, 1772985600000LL},
        {"spring PT24H", 1772902800000LL, 0, 0, 0, 86400000, 1772989200000LL},
        {"autumn P1D", 1793462400000LL, 0, 0, 1, 0, 1793552400000LL},
        {"overlap, EDT kept", 1793424600000LL, 0, 0, 1, 0, 1793511000000LL},
        {"overlap, EST kept", 1772346600000LL, 0, 8, 0, 0, 1793514600000LL},
        {"P1D into the gap", 1772868600000LL, 0, 0, 1, 0, 1772955000000LL},
    };
    check_adds(berlin, sizeof berlin / sizeof *berlin, "Europe/Berlin");
    check_adds(new_york, sizeof new_york / sizeof *new_york,
               "America/New_York");

    bt_duration d = {0, 0, 1, 0};
    int64_t out;
    assert_int_equal(bt_duration_add(&d, 0, "Mars/Base", &out), -1);
    char *longid = repeat("Europe/", 'x', 100, "");
    assert_int_equal(bt_duration_add(&d, 0, longid, &out), -1);
    free(longid);
    assert_int_equal(bt_duration_add(&d, TIME_MAX - 3600000,
                                     "Europe/Berlin", &out), -1);
}

/* ------------------------------------------------------------------ */
/* Cycles                                                              */
/* ------------------------------------------------------------------ */

static void test_cycles(void **state)
{
    (void)state;
    const int64_t now = 1767261600000LL; /* 2026-01-01T10:00:00Z */
    int64_t due;

    bt_timer_spec t = parse_ok(BT_TIMER_CYCLE, "R5/PT10M");
    assert_int_equal(t.type, BT_TIMER_CYCLE);
    assert_int_equal(t.repeat, 5);
    assert_int_equal(t.has_start, 0);
    assert_int_equal(t.is_cron, 0);
    assert_int_equal(t.every.millis, 600000);
    int64_t prev = first(&t, now);
    assert_int_equal(prev, now + 600000);
    for (uint32_t fired = 1; fired < 5; fired++) {
        assert_int_equal(bt_timer_next(&t, prev, fired, &due), 1);
        assert_int_equal(due, prev + 600000);
        prev = due;
    }
    assert_int_equal(bt_timer_next(&t, prev, 5, &due), 0);
    assert_int_equal(bt_timer_next(&t, prev, 6, &due), 0);

    t = parse_ok(BT_TIMER_CYCLE, "R/PT1H");
    assert_int_equal(t.repeat, -1);
    assert_int_equal(first(&t, now), now + 3600000);
    assert_int_equal(bt_timer_next(&t, now, UINT32_MAX, &due), 1);
    assert_int_equal(due, now + 3600000);

    t = parse_ok(BT_TIMER_CYCLE, "PT1H");
    assert_int_equal(t.repeat, -1);
    assert_int_equal(first(&t, now), now + 3600000);
    assert_int_equal(bt_timer_next(&t, now, 1000000, &due), 1);

    /* With a start: the first due time is the start, past or not. */
    t = parse_ok(BT_TIMER_CYCLE, "R3/2026-01-01T00:00:00Z/P1D");
    assert_int_equal(t.repeat, 3);
    assert_int_equal(t.has_start, 1);
    assert_int_equal(t.at, 1767225600000LL);
    assert_int_equal(t.every.days, 1);
    assert_int_equal(first(&t, now), 1767225600000LL);
    assert_int_equal(first(&t, 0), 1767225600000LL);
    assert_int_equal(bt_timer_next(&t, 1767225600000LL, 1, &due), 1);
    assert_int_equal(due, 1767312000000LL); /* 2026-01-02 */
    assert_int_equal(bt_timer_next(&t, due, 2, &due), 1);
    assert_int_equal(due, 1767398400000LL); /* 2026-01-03 */
    assert_int_equal(bt_timer_next(&t, due, 3, &due), 0);

    /* R0 parses but never fires; R1 fires once. */
    t = parse_ok(BT_TIMER_CYCLE, "R0/PT1M");
    assert_int_equal(t.repeat, 0);
    assert_int_equal(bt_timer_first(&t, now, &due), -1);
    assert_int_equal(bt_timer_next(&t, now, 0, &due), 0);
    t = parse_ok(BT_TIMER_CYCLE, "R1/PT1M");
    assert_int_equal(first(&t, now), now + 60000);
    assert_int_equal(bt_timer_next(&t, now + 60000, 1, &due), 0);

    t = parse_ok(BT_TIMER_CYCLE, "R2147483647/PT1S");
    assert_int_equal(t.repeat, INT32_MAX);
    assert_int_equal(bt_timer_next(&t, now, INT32_MAX - 1, &due), 1);
    assert_int_equal(bt_timer_next(&t, now, INT32_MAX, &due), 0);

    t = parse_ok(BT_TIMER_CYCLE, "r2/p1m");
    assert_int_equal(t.repeat, 2);
    assert_int_equal(t.every.months, 1);

    /* A fixed offset is where the calendar arithmetic happens, as with
     * java.time's ZoneOffset: 2026-01-31T02:00+05:00 plus a month is
     * 2026-02-28T02:00+05:00, 2026-02-27T21:00Z (in UTC it would have
     * been 2026-02-28T21:00Z). */
    t = parse_ok(BT_TIMER_CYCLE, "R/2026-01-31T02:00:00+05:00/P1M");
    assert_int_equal(t.offset_minutes, 300);
    assert_int_equal(first(&t, 0), 1769806800000LL);
    assert_int_equal(bt_timer_next(&t, 1769806800000LL, 1, &due), 1);
    assert_int_equal(due, 1772226000000LL);

    /* Durations fire once, after `now`; dates once, at the date. */
    t = parse_ok(BT_TIMER_DURATION, "P1M");
    assert_int_equal(first(&t, 1769853600000LL), 1772272800000LL);
    assert_int_equal(bt_timer_next(&t, 1772272800000LL, 1, &due), 0);
    t = parse_ok(BT_TIMER_DATE, "2026-01-01T10:00:00Z");
    assert_int_equal(bt_timer_next(&t, now, 0, &due), 0);

    /* Not representable. */
    t = parse_ok(BT_TIMER_CYCLE, "R/PT1H");
    assert_int_equal(bt_timer_first(&t, TIME_MAX, &due), -1);
    assert_int_equal(bt_timer_first(&t, INT64_MAX, &due), -1);
    assert_int_equal(bt_timer_first(&t, INT64_MIN, &due), -1);
    assert_int_equal(bt_timer_next(&t, TIME_MAX - 1000, 1, &due), -1);
    assert_int_equal(bt_timer_next(&t, INT64_MAX, 1, &due), -1);
    t = parse_ok(BT_TIMER_DURATION, "P9999Y");
    assert_int_equal(bt_timer_first(&t, 0, &due), -1);
    assert_int_equal(bt_timer_first(&t, TIME_MIN, &due), -1); /* 10000 */
    t = parse_ok(BT_TIMER_DURATION, "P9998Y");
    assert_int_equal(first(&t, TIME_MIN), 253370764800000LL); /* 9999 */

    /* A spec that was not parsed. */
    bt_timer_spec zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(bt_timer_first(&zero, now, &due), -1);
    assert_int_equal(bt_timer_next(&zero, now, 1, &due), 0);
}

static void test_zone_cycles(void **state)
{
    (void)state;
    if (!bt_timer_has_zones())
        skip();
    int64_t due;
    /* P1D keeps 10:00 local across the spring change; PT24H does not. */
    bt_timer_spec t =
        parse_ok(BT_TIMER_CYCLE, "R/2026-03-28T10:00:00[Europe/Berlin]/P1D");
    assert_string_equal(t.zone, "Europe/Berlin");
    assert_int_equal(first(&t, 0), 1774688400000LL);
    assert_int_equal(bt_timer_next(&t, 1774688400000LL, 1, &due), 1);
    assert_int_equal(due, 1774771200000LL); /* 2026-03-29T08:00Z */
    t = parse_ok(BT_TIMER_CYCLE, "R/2026-03-28T10:00:00[Europe/Berlin]/PT24H");
    assert_int_equal(bt_timer_next(&t, 1774688400000LL, 1, &due), 1);
    assert_int_equal(due, 1774774800000LL); /* 2026-03-29T09:00Z */

    /* Month ends in the zone. */
    t = parse_ok(BT_TIMER_CYCLE, "R3/2026-01-31T10:00:00[Europe/Berlin]/P1M");
    assert_int_equal(first(&t, 0), 1769850000000LL); /* 01-31T09:00Z */
    assert_int_equal(bt_timer_next(&t, 1769850000000LL, 1, &due), 1);
    assert_int_equal(due, 1772269200000LL); /* 02-28T09:00Z */
    assert_int_equal(bt_timer_next(&t, due, 2, &due), 1);
    assert_int_equal(due, 1774688400000LL); /* 03-28T09:00Z */
    assert_int_equal(bt_timer_next(&t, due, 3, &due), 0);

    /* The slash inside the zone id does not split the cycle. */
    t = parse_ok(BT_TIMER_CYCLE,
                 "R2/2026-03-07T12:00:00[America/New_York]/P1D");
    assert_int_equal(t.repeat, 2);
    assert_int_equal(first(&t, 0), 1772902800000LL);
    assert_int_equal(bt_timer_next(&t, 1772902800000LL, 1, &due), 1);
    assert_int_equal(due, 1772985600000LL); /* 03-08T12:00-04:00 */

    expect_error(BT_TIMER_CYCLE, "R/2026-01-01T00:00:00[Mars/Base]/P1D",
                 "unknown zone 'Mars/Base' at character 23");
}

static void test_cycle_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"R5", "expected '/' after the repetition count at character 3"},
        {"R", "expected '/' after 'R' at character 2"},
        {"R-1/PT1S", "expected '/' after 'R' at character 2"},
        {"R5x/PT1S", "expected '/' after the repetition count at "
                     "character 3"},
        {"R5/", "expected a duration 'P...' at character 4"},
        {"R/PT0S", "the interval of a cycle must not be zero at character 3"},
        {"PT0S", "the interval of a cycle must not be zero at character 1"},
        {"R/P0Y0M0W0DT0H0M0.000S", "the interval of a cycle must not be "
                                   "zero at character 3"},
        {"R/PT1H/2026-01-01T00:00:00Z", "an end date is not supported; use "
                                        "'R[n]/start/interval' at "
                                        "character 3"},
        {"R/a/b/c", "unexpected '/' at character 6"},
        {"R3/2026-13-01T00:00:00Z/P1D", "month 13 is out of range at "
                                        "character 9"},
        {"R3/2026-01-01T00:00:00Z/", "expected a duration 'P...' at "
                                     "character 25"},
        {"R3/2026-01-01T00:00:00Z/PT", "'PT' has no time part at "
                                       "character 26"},
        {"R3/2026-01-01/P1D", "expected 'T' and a time after the date at "
                              "character 14"},
        {"R99999999999/PT1S", "the repetition count is too large (at most "
                              "2147483647) at character 2"},
        {"R2147483648/PT1S", "the repetition count is too large (at most "
                             "2147483647) at character 2"},
        {"R5/PT10M ", NULL},
        {"X", "expected 'R[n]/...', a duration or a cron expression at "
              "character 1"},
        {"2026-01-01T00:00:00Z", "expected 'R[n]/...', a duration or a cron "
                                 "expression at character 1"},
        {"-PT1H", "negative durations are not allowed at character 1"},
        {"P", "'P' has no date or time part at character 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (cases[i].want)
            expect_error(BT_TIMER_CYCLE, cases[i].text, cases[i].want);
        else
            parse_ok(BT_TIMER_CYCLE, cases[i].text);
    }
    expect_error(BT_TIMER_CYCLE, "", "the timer definition is empty");
    expect_error(7, "PT1H", "unknown timer type 7");
    expect_error(0, "PT1H", "unknown timer type 0");
}

/* ------------------------------------------------------------------ */
/* Cron                                                                */
/* ------------------------------------------------------------------ */

static uint64_t bits(int lo, int hi, int step)
{
    uint64_t b = 0;
    for (int i = lo; i <= hi; i += step)
        b |= 1ull << i;
    return b;
}

static void test_cron_fields(void **state)
{
    (void)state;
    bt_timer_spec t = parse_ok(BT_TIMER_CYCLE, "0 0 9-17 * * MON-FRI");
    assert_int_equal(t.is_cron, 1);
    assert_int_equal(t.repeat, -1);
    const bt_cron *c = &t.cron;
    assert_int_equal(c->seconds, 1);
    assert_int_equal(c->minutes, 1);
    assert_int_equal(c->hours, bits(9, 17, 1));
    assert_int_equal(c->days, bits(1, 31, 1));
    assert_int_equal(c->days_any, 1);
    assert_int_equal(c->months, bits(1, 12, 1));
    assert_int_equal(c->weekdays, bits(1, 5, 1));
    assert_int_equal(c->weekdays_any, 0);
    assert_int_equal(c->last_day, -1);
    assert_int_equal(c->nearest_weekday, -1);
    assert_int_equal(c->last_weekday, -1);
    assert_int_equal(c->nth_weekday, -1);

    t = parse_ok(BT_TIMER_CYCLE, "*/15 5/20 10-22/10 1,15 jan,Mar-MAY ?");
    assert_int_equal(c->seconds, bits(0, 45, 15));
    assert_int_equal(c->minutes, bits(5, 45, 20));
    assert_int_equal(c->hours, bits(10, 22, 10));
    assert_int_equal(c->days, (1u << 1) | (1u << 15));
    assert_int_equal(c->days_any, 0);
    assert_int_equal(c->months, (1u << 1) | bits(3, 5, 1));
    assert_int_equal(c->weekdays_any, 1);

    /* Weekdays: 0 and 7 are Sunday; '*' steps from Monday (Spring). */
    static const struct {
        const char *dow;
        unsigned want;
    } dows[] = {
        {"0", 1}, {"7", 1}, {"SUN", 1}, {"sun", 1}, {"SUN-TUE", 0x07},
        {"FRI-SUN", 0x61}, {"5-7", 0x61}, {"0-6", 0x7f}, {"*/2", 0x2b},
        {"1/2", 0x2b}, {"0/2", 0x55}, {"MON,WED,FRI", 0x2a},
        {"SAT", 0x40}, {"1-5/2", 0x2a}, {"SUN-SUN", 0x01},
        {"SAT-SUN", 0x41}, {"SUN/2", 0x01}, {"7-7", 0x01}, {"6-7", 0x41},
    };
    for (size_t i = 0; i < sizeof dows / sizeof *dows; i++) {
        char text[64];
        snprintf(text, sizeof text, "0 0 0 ? * %s", dows[i].dow);
        t = parse_ok(BT_TIMER_CYCLE, text);
        if (t.cron.weekdays != dows[i].want)
            fail_msg("'%s': 0x%x, want 0x%x", text, t.cron.weekdays,
                     dows[i].want);
    }

    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 L * ?");
    assert_int_equal(c->last_day, 0);
    assert_int_equal(c->days, 0);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 L-3 * ?");
    assert_int_equal(c->last_day, 3);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 15W * ?");
    assert_int_equal(c->nearest_weekday, 15);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 lw * ?");
    assert_int_equal(c->nearest_weekday, 32);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 1,15,L * ?");
    assert_int_equal(c->days, (1u << 1) | (1u << 15));
    assert_int_equal(c->last_day, 0);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 ? * 5L");
    assert_int_equal(c->last_weekday, 5);
    assert_int_equal(c->weekdays, 0);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 ? * friL");
    assert_int_equal(c->last_weekday, 5);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 ? * 7L");
    assert_int_equal(c->last_weekday, 0);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 ? * MON#2");
    assert_int_equal(c->nth_weekday, 1);
    assert_int_equal(c->nth, 2);
    t = parse_ok(BT_TIMER_CYCLE, "0 0 0 ? * 7#1,SAT");
    assert_int_equal(c->nth_weekday, 0);
    assert_int_equal(c->nth, 1);
    assert_int_equal(c->weekdays, 0x40);
    t = parse_ok(BT_TIMER_CYCLE, " \t0   0\t0 * *  * \n");
    assert_int_equal(c->hours, 1);

    /* The macros are their six-field forms. */
    static const struct {
        const char *macro, *fields;
    } macros[] = {
        {"@yearly", "0 0 0 1 1 *"}, {"@annually", "0 0 0 1 1 *"},
        {"@monthly", "0 0 0 1 * *"}, {"@weekly", "0 0 0 * * 0"},
        {"@daily", "0 0 0 * * *"},   {"@midnight", "0 0 0 * * *"},
        {"@hourly", "0 0 * * * *"},  {"@Daily", "0 0 0 * * *"},
    };
    for (size_t i = 0; i < sizeof macros / sizeof *macros; i++) {
        bt_timer_spec a = parse_ok(BT_TIMER_CYCLE, macros[i].macro);
        bt_timer_spec b = parse_ok(BT_TIMER_CYCLE, macros[i].fields);
        assert_int_equal(a.is_cron, 1);
        assert_memory_equal(&a.cron, &b.cron, sizeof a.cron);
    }
}

static void test_cron_next(void **state)
{
    (void)state;
    /* The expected times ("-": none within five years or before year
     * 10000) from the brute-force search (see the top of the file). */
    static const struct {
        const char *expr;
        int64_t from;
        const char *want[6];
    } cases[] = {
        {"0 0 9-17 * * MON-FRI", 1767375000000LL, /* Fri 01-02 17:30 */
         {"2026-01-05T09:00:00.000Z", "2026-01-05T10:00:00.000Z",
          "2026-01-05T11:00:00.000Z"}},
        {"*/15 * * * * *", 1767261607500LL,
         {"2026-01-01T10:00:15.000Z", "2026-01-01T10:00:30.000Z",
          "2026-01-01T10:00:45.000Z"}},
        /* Strictly after, with the milliseconds dropped first. */
        {"*/15 * * * * *", 1767261615999LL, {"2026-01-01T10:00:30.000Z"}},
        {"*/15 * * * * *", 1767261615000LL, {"2026-01-01T10:00:30.000Z"}},
        {"5/20 1-10/3 * * * *", 1767262250000LL,
         {"2026-01-01T11:01:05.000Z", "2026-01-01T11:01:25.000Z",
          "2026-01-01T11:01:45.000Z", "2026-01-01T11:04:05.000Z"}},
        {"0 0 */6 * * *", 1767250800000LL,
         {"2026-01-01T12:00:00.000Z", "2026-01-01T18:00:00.000Z",
          "2026-01-02T00:00:00.000Z"}},
        {"0 0 0 L * ?", 1705276800000LL,
         {"2024-01-31T00:00:00.000Z", "2024-02-29T00:00:00.000Z",
          "2024-03-31T00:00:00.000Z", "2024-04-30T00:00:00.000Z"}},
        {"0 0 0 L-3 * ?", 1767225600000LL,
         {"2026-01-28T00:00:00.000Z", "2026-02-25T00:00:00.000Z",
          "2026-03-28T00:00:00.000Z"}},
        {"0 0 0 L-30 * ?", 1767225600000LL,
         {"2026-03-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z",
          "2026-07-01T00:00:00.000Z"}},
        {"0 0 0 15W * ?", 1769817600000LL,
         {"2026-02-16T00:00:00.000Z", "2026-03-16T00:00:00.000Z",
          "2026-04-15T00:00:00.000Z"}},
        {"0 0 0 15W * ?", 1785456000000LL, {"2026-08-14T00:00:00.000Z"}},
        {"0 0 0 1W * ?", 1784073600000LL,
         {"2026-08-03T00:00:00.000Z", "2026-09-01T00:00:00.000Z"}},
        {"0 0 0 31W * ?", 1775001600000LL,
         {"2026-05-29T00:00:00.000Z", "2026-07-31T00:00:00.000Z",
          "2026-08-31T00:00:00.000Z"}},
        {"0 0 0 LW * ?", 1767225600000LL,
         {"2026-01-30T00:00:00.000Z", "2026-02-27T00:00:00.000Z",
          "2026-03-31T00:00:00.000Z", "2026-04-30T00:00:00.000Z",
          "2026-05-29T00:00:00.000Z"}},
        {"0 0 12 ? * 5L", 1767225600000LL,
         {"2026-01-30T12:00:00.000Z", "2026-02-27T12:00:00.000Z",
          "2026-03-27T12:00:00.000Z"}},
        {"0 0 12 ? * FRIL", 1767225600000LL,
         {"2026-01-30T12:00:00.000Z", "2026-02-27T12:00:00.000Z",
          "2026-03-27T12:00:00.000Z"}},
        {"0 0 12 ? * 0L", 1767225600000LL,
         {"2026-01-25T12:00:00.000Z", "2026-02-22T12:00:00.000Z"}},
        {"0 0 12 ? * MON#2", 1767225600000LL,
         {"2026-01-12T12:00:00.000Z", "2026-02-09T12:00:00.000Z",
          "2026-03-09T12:00:00.000Z"}},
        {"0 0 12 ? * 1#5", 1767225600000LL,
         {"2026-03-30T12:00:00.000Z", "2026-06-29T12:00:00.000Z",
          "2026-08-31T12:00:00.000Z"}},
        {"0 0 12 ? * 7#1", 1767225600000LL,
         {"2026-01-04T12:00:00.000Z", "2026-02-01T12:00:00.000Z"}},
        {"0 15 10 ? * 6#3", 1767225600000LL,
         {"2026-01-17T10:15:00.000Z", "2026-02-21T10:15:00.000Z"}},
        /* Both day fields must match: Fridays the 13th. */
        {"0 0 0 13 * FRI", 1767225600000LL,
         {"2026-02-13T00:00:00.000Z", "2026-03-13T00:00:00.000Z",
          "2026-11-13T00:00:00.000Z"}},
        {"0 30 8 * jan,Jul sun", 1767225600000LL,
         {"2026-01-04T08:30:00.000Z", "2026-01-11T08:30:00.000Z",
          "2026-01-18T08:30:00.000Z", "2026-01-25T08:30:00.000Z",
          "2026-07-05T08:30:00.000Z", "2026-07-12T08:30:00.000Z"}},
        {"0 0 0 * * SUN-TUE", 1767225600000LL,
         {"2026-01-04T00:00:00.000Z", "2026-01-05T00:00:00.000Z",
          "2026-01-06T00:00:00.000Z", "2026-01-11T00:00:00.000Z"}},
        {"0 0 0 * * FRI-SUN", 1767225600000LL,
         {"2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z",
          "2026-01-04T00:00:00.000Z", "2026-01-09T00:00:00.000Z"}},
        {"0 0 0 * * */2", 1767225600000LL,
         {"2026-01-02T00:00:00.000Z", "2026-01-04T00:00:00.000Z",
          "2026-01-05T00:00:00.000Z", "2026-01-07T00:00:00.000Z"}},
        {"0 0 0 * * 7", 1767225600000LL,
         {"2026-01-04T00:00:00.000Z", "2026-01-11T00:00:00.000Z"}},
        {"0 0 0 1,15,L * ?", 1769904000000LL,
         {"2026-02-15T00:00:00.000Z", "2026-02-28T00:00:00.000Z",
          "2026-03-01T00:00:00.000Z", "2026-03-15T00:00:00.000Z"}},
        {"0 0 0 29 2 ?", 1740787200000LL, {"2028-02-29T00:00:00.000Z"}},
        /* From 2096-03-01 the next 29 February is in 2104: too far. */
        {"0 0 0 29 2 ?", 3981398400000LL, {"-"}},
        {"0 0 0 29 2 MON", 1767225600000LL, {"-"}},
        {"0 0 0 1 1 ?", 253383811200000LL, {"-"}},
        {"59 59 23 31 12 ?", 253402214400000LL,
         {"9999-12-31T23:59:59.000Z", "-"}},
        {"0 0 0 1 1 *", -17236799500LL,
         {"1970-01-01T00:00:00.000Z", "1971-01-01T00:00:00.000Z"}},
        {"* * * * * *", -500LL,
         {"1970-01-01T00:00:00.000Z", "1970-01-01T00:00:01.000Z"}},
        {"@hourly", 1767262800000LL,
         {"2026-01-01T11:00:00.000Z", "2026-01-01T12:00:00.000Z"}},
        {"@daily", 1767262800000LL,
         {"2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z"}},
        {"@midnight", 1767262800000LL, {"2026-01-02T00:00:00.000Z"}},
        {"@weekly", 1767262800000LL,
         {"2026-01-04T00:00:00.000Z", "2026-01-11T00:00:00.000Z"}},
        {"@monthly", 1769854800000LL,
         {"2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"}},
        {"@YEARLY", 1767225600000LL,
         {"2027-01-01T00:00:00.000Z", "2028-01-01T00:00:00.000Z"}},
        {"@annually", 1767225600000LL, {"2027-01-01T00:00:00.000Z"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bt_timer_spec t = parse_ok(BT_TIMER_CYCLE, cases[i].expr);
        int64_t prev = cases[i].from, due = 0;
        for (uint32_t k = 0; k < 6 && cases[i].want[k]; k++) {
            int rc = k ? bt_timer_next(&t, prev, k, &due)
                       : bt_timer_first(&t, prev, &due);
            const char *got = rc == (k ? 1 : 0) ? fmt(due) : "-";
            if (strcmp(got, cases[i].want[k]) != 0)
                fail_msg("'%s' #%u after %s: %s (rc %d), want %s",
                         cases[i].expr, k, fmt(prev), got, rc,
                         cases[i].want[k]);
            if (!k && rc)
                assert_int_equal(rc, -1);
            prev = due;
        }
    }

    /* Never fires: the search gives up (five years at most), quickly. */
    bt_timer_spec t = parse_ok(BT_TIMER_CYCLE, "0 0 0 29 2 MON");
    int64_t due;
    for (int k = 0; k < 1000; k++)
        assert_int_equal(bt_timer_first(&t, 1767225600000LL + k, &due), -1);
    t = parse_ok(BT_TIMER_CYCLE, "* * * * * *");
    assert_int_equal(bt_timer_first(&t, TIME_MAX, &due), -1);
    assert_int_equal(bt_timer_first(&t, TIME_MAX - 999, &due), -1);
    assert_int_equal(bt_timer_first(&t, TIME_MAX - 1000, &due), 0);
    assert_int_equal(due, TIME_MAX - 999); /* 9999-12-31T23:59:59.000Z */
    assert_int_equal(bt_timer_first(&t, TIME_MAX - 1999, &due), 0);
    assert_int_equal(due, TIME_MAX - 999);
    assert_int_equal(bt_timer_first(&t, INT64_MIN, &due), -1);
    assert_int_equal(bt_timer_next(&t, INT64_MAX, 1, &due), -1);
    assert_int_equal(bt_timer_first(&t, TIME_MIN, &due), 0);
    assert_int_equal(due, TIME_MIN + 1000);
}

static void test_cron_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"0 0 * * *", "a cron expression needs 6 fields (second minute hour "
                      "day-of-month month day-of-week), found 5 at "
                      "character 1"},
        {"0 0 0 * * * 2026", "a cron expression needs 6 fields (second "
                             "minute hour day-of-month month day-of-week), "
                             "found 7 at character 1"},
        {"0 0 0 1 FOO ?", "unknown month 'FOO' in field 5 of the cron "
                          "expression at character 9"},
        {"0 0 0 ? * FOO", "unknown weekday 'FOO' in field 6 of the cron "
                          "expression at character 11"},
        {"0 0 0 ? * MONDAY", "unknown weekday 'MONDAY' in field 6 of the "
                             "cron expression at character 11"},
        {"0 0 0 ? * MO", "unknown weekday 'MO' in field 6 of the cron "
                         "expression at character 11"},
        {"60 * * * * *", "second 60 is out of range (0-59) in field 1 of the "
                         "cron expression at character 1"},
        {"0 60 * * * *", "minute 60 is out of range (0-59) in field 2 of the "
                         "cron expression at character 3"},
        {"0 0 24 * * *", "hour 24 is out of range (0-23) in field 3 of the "
                         "cron expression at character 5"},
        {"0 0 0 32 * ?", "day of month 32 is out of range (1-31) in field 4 "
                         "of the cron expression at character 7"},
        {"0 0 0 0 * ?", "day of month 0 is out of range (1-31) in field 4 of "
                        "the cron expression at character 7"},
        {"0 0 0 1 13 ?", "month 13 is out of range (1-12) in field 5 of the "
                         "cron expression at character 9"},
        {"0 0 0 1 0 ?", "month 0 is out of range (1-12) in field 5 of the "
                        "cron expression at character 9"},
        {"0 0 0 ? * 8", "weekday 8 is out of range (0-7) in field 6 of the "
                        "cron expression at character 11"},
        {"0 0 0 30 FEB ?", "the days of month of field 4 never occur in the "
                           "months of field 5 at character 7"},
        {"0 0 0 31 4,6,9,11 ?", "the days of month of field 4 never occur in "
                                "the months of field 5 at character 7"},
        {"0 0 0 30W 2 ?", "the days of month of field 4 never occur in the "
                          "months of field 5 at character 7"},
        {"*/0 * * * * *", "step 0 is out of range (at least 1) in field 1 of "
                          "the cron expression at character 3"},
        {"*/ * * * * *", "expected a number after '/' in field 1 of the cron "
                         "expression at character 3"},
        {"5-3 * * * * *", "range '5-3' runs backwards in field 1 of the cron "
                          "expression at character 1"},
        {"0 0 0 ? * FRI-MON", "range 'FRI-MON' runs backwards in field 6 of "
                              "the cron expression at character 11"},
        {"5- * * * * *", "expected a second in field 1 of the cron "
                         "expression at character 3"},
        {"? * * * * *", "'?' is only allowed in the day fields in field 1 of "
                        "the cron expression at character 1"},
        {"0 0 0 ?/2 * *", "'?' cannot have a step in field 4 of the cron "
                          "expression at character 8"},
        {"1,,2 * * * * *", "empty list item in field 1 of the cron "
                           "expression at character 3"},
        {"1, * * * * *", "empty list item in field 1 of the cron expression "
                         "at character 3"},
        {",1 * * * * *", "empty list item in field 1 of the cron expression "
                         "at character 1"},
        {"0 0 0 L-31 * ?", "offset 31 in 'L-' is out of range (0-30) in "
                           "field 4 of the cron expression at character 7"},
        {"0 0 0 L- * ?", "expected a number after 'L-' in field 4 of the "
                         "cron expression at character 9"},
        {"0 0 0 L,L-2 * ?", "only one 'L' day is allowed in field 4 of the "
                            "cron expression at character 9"},
        {"0 0 0 1W,LW * ?", "only one 'W' day is allowed in field 4 of the "
                            "cron expression at character 10"},
        {"0 0 0 ? * 1L,2L", "only one 'L' weekday is allowed in field 6 of "
                            "the cron expression at character 14"},
        {"0 0 0 ? * 1#1,2#2", "only one '#' weekday is allowed in field 6 "
                              "of the cron expression at character 15"},
        {"0 0 0 ? * L", "'L' needs a weekday before it, as in 5L in field 6 "
                        "of the cron expression at character 11"},
        {"0 0 0 ? * MON#6", "occurrence 6 after '#' is out of range (1-5) in "
                            "field 6 of the cron expression at character 15"},
        {"0 0 0 ? * MON#0", "occurrence 0 after '#' is out of range (1-5) in "
                            "field 6 of the cron expression at character 15"},
        {"0 0 0 ? * MON#", "expected a number after '#' in field 6 of the "
                           "cron expression at character 15"},
        {"0 0 0 15X * ?", "unexpected 'X' in field 4 of the cron expression "
                          "at character 9"},
        {"0 0 0 1W-5 * ?", "unexpected '-' in field 4 of the cron expression "
                           "at character 9"},
        {"0 0 0 L/2 * ?", "unexpected '/' in field 4 of the cron expression "
                          "at character 8"},
        {"0 0 JAN * * *", "unexpected 'J' in field 3 of the cron expression "
                          "at character 5"},
        {"0 0 0 W * ?", "unexpected 'W' in field 4 of the cron expression "
                        "at character 7"},
        {"0 0 0 * L ?", "unknown month 'L' in field 5 of the cron expression "
                        "at character 9"},
        {"0 0 0 ? * 5#2L", "unexpected 'L' in field 6 of the cron expression "
                           "at character 14"},
        {"1.5 * * * * *", "unexpected '.' in field 1 of the cron expression "
                          "at character 2"},
        {"@foo", "unknown macro '@foo' at character 1"},
        {"@", "unknown macro '@' at character 1"},
        {"@daily x", "unexpected ' ' after the macro at character 7"},
        {"@daily5", "unexpected '5' after the macro at character 7"},
        {"99999999999999999999 * * * * *", "second 999999999999... is out "
                                           "of range (0-59) in field 1 of "
                                           "the cron expression at "
                                           "character 1"},
        {"0 0 0 ? * 0008", "weekday 0008 is out of range (0-7) in field 6 "
                           "of the cron expression at character 11"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_error(BT_TIMER_CYCLE, cases[i].text, cases[i].want);
}

/* ------------------------------------------------------------------ */
/* Formatting                                                          */
/* ------------------------------------------------------------------ */

static void test_format(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(bt_time_format(0, buf), "1970-01-01T00:00:00.000Z");
    assert_string_equal(bt_time_format(-1, buf), "1969-12-31T23:59:59.999Z");
    assert_string_equal(bt_time_format(1767261600123LL, buf),
                        "2026-01-01T10:00:00.123Z");
    assert_string_equal(bt_time_format(1709251199999LL, buf),
                        "2024-02-29T23:59:59.999Z");
    assert_string_equal(bt_time_format(TIME_MIN, buf),
                        "0001-01-01T00:00:00.000Z");
    assert_string_equal(bt_time_format(TIME_MAX, buf),
                        "9999-12-31T23:59:59.999Z");
    assert_ptr_equal(bt_time_format(0, buf), buf);
    /* Out of range: still an ISO text, with the year's sign, in 32
     * bytes. */
    assert_string_equal(bt_time_format(TIME_MAX + 1, buf),
                        "+10000-01-01T00:00:00.000Z");
    assert_string_equal(bt_time_format(TIME_MIN - 1, buf),
                        "0000-12-31T23:59:59.999Z");
    /* datetime's proleptic year -292275055-05-16T16:47:04.192Z and
     * +292278994-08-17T07:12:55.807Z, the int64 ends. */
    assert_string_equal(bt_time_format(INT64_MIN, buf),
                        "-292275055-05-16T16:47:04.192Z");
    assert_string_equal(bt_time_format(INT64_MAX, buf),
                        "+292278994-08-17T07:12:55.807Z");
    assert_true(strlen(bt_time_format(INT64_MIN, buf)) < 32);

    /* Every parsed date formats back to its UTC text. */
    bt_timer_spec t = parse_ok(BT_TIMER_DATE, "2026-01-01T10:00:00.5+01:00");
    assert_string_equal(bt_time_format(t.at, buf), "2026-01-01T09:00:00.500Z");
}

/* ------------------------------------------------------------------ */
/* Hostile input                                                       */
/* ------------------------------------------------------------------ */

static void test_long_input(void **state)
{
    (void)state;
    char *s = repeat("P", '9', 10000, "D");
    expect_error(BT_TIMER_DURATION, s, "the number of days is too large (at "
                                       "most 3652059) at character 2");
    free(s);
    s = repeat("PT0.", '1', 10000, "S");
    expect_error(BT_TIMER_DURATION, s, "the fraction has more than 9 digits "
                                       "at character 4");
    free(s);
    s = repeat("R", '7', 10000, "/PT1S");
    expect_error(BT_TIMER_CYCLE, s, "the repetition count is too large (at "
                                    "most 2147483647) at character 2");
    free(s);
    s = repeat("P", '0', 10000, "1D");
    bt_timer_spec t = parse_ok(BT_TIMER_DURATION, s);
    assert_int_equal(t.every.days, 1);
    free(s);
    s = repeat("PT1H", ' ', 10000, "");
    t = parse_ok(BT_TIMER_DURATION, s);
    assert_int_equal(t.every.millis, 3600000);
    free(s);
    s = repeat("", 'P', 10000, "");
    expect_error(BT_TIMER_DURATION, s, "expected a number, found 'P' at "
                                       "character 2");
    expect_error(BT_TIMER_CYCLE, s, "expected a number, found 'P' at "
                                    "character 2");
    expect_error(BT_TIMER_DATE, s, "expected 4 digits for the year at "
                                   "character 1");
    free(s);
    s = repeat("2026-01-01T10:00:00Z", ' ', 9980, "x");
    expect_error(BT_TIMER_DATE, s, "unexpected ' ' after the date at "
                                   "character 21");
    free(s);
    s = repeat("2026-01-01T10:00:00.", '5', 10000, "Z");
    expect_error(BT_TIMER_DATE, s, "the fraction has more than 9 digits at "
                                   "character 20");
    free(s);
    s = repeat("2026-01-01T10:00:00[", '/', 10000, "]");
    expect_error(BT_TIMER_DATE, s, "the zone id is longer than 63 characters "
                                   "at character 21");
    expect_error(BT_TIMER_CYCLE, s, "expected 'R[n]/...', a duration or a "
                                    "cron expression at character 1");
    free(s);
    s = repeat("R/2026-01-01T10:00:00[", '/', 10000, "]/PT1S");
    expect_error(BT_TIMER_CYCLE, s, "the zone id is longer than 63 "
                                    "characters at character 23");
    free(s);
    s = repeat("R/", '/', 10000, "PT1S");
    expect_error(BT_TIMER_CYCLE, s, "unexpected '/' at character 4");
    free(s);
    s = repeat("", '9', 10000, " * * * * *");
    expect_error(BT_TIMER_CYCLE, s, "second 999999999999... is out of range "
                                    "(0-59) in field 1 of the cron "
                                    "expression at character 1");
    free(s);
    s = repeat("*/", '9', 10000, " * * * * *");
    t = parse_ok(BT_TIMER_CYCLE, s);
    assert_int_equal(t.cron.seconds, 1);
    free(s);

    /* A list of 5000 items is a long but valid field. */
    s = malloc(10020);
    assert_non_null(s);
    strcpy(s, "0 0 0 ");
    size_t n = strlen(s);
    for (int i = 0; i < 4999; i++) {
        memcpy(s + n, "1,", 2);
        n += 2;
    }
    strcpy(s + n, "2 * ?");
    assert_true(strlen(s) > 10000);
    t = parse_ok(BT_TIMER_CYCLE, s);
    assert_int_equal(t.cron.days, 6);
    free(s);

    /* 5000 fields. */
    s = repeat("", ' ', 10000, "");
    for (size_t i = 0; i < 10000; i += 2)
        s[i] = '*';
    expect_error(BT_TIMER_CYCLE, s, "a cron expression needs 6 fields "
                                    "(second minute hour day-of-month month "
                                    "day-of-week), found 5000 at "
                                    "character 1");
    free(s);
}

static void test_embedded_nul(void **state)
{
    (void)state;
    expect_error_len(BT_TIMER_DURATION, "PT1H\0", 5,
                     "expected a number, found byte 0x00 at character 5");
    expect_error_len(BT_TIMER_DURATION, "PT1\0H", 5,
                     "expected H, M or S after the number, found byte 0x00 "
                     "at character 4");
    expect_error_len(BT_TIMER_DURATION, "\0PT1H", 5,
                     "expected a duration 'P...' at character 1");
    expect_error_len(BT_TIMER_DATE, "2026-01-01T10:00:00Z\0", 21,
                     "unexpected byte 0x00 after the date at character 21");
    expect_error_len(BT_TIMER_DATE, "2026-01-01T10:00:00[UT\0C]", 25,
                     "unexpected byte 0x00 in the zone id at character 23");
    expect_error_len(BT_TIMER_CYCLE, "R5\0/PT1S", 8,
                     "expected '/' after the repetition count at "
                     "character 3");
    expect_error_len(BT_TIMER_CYCLE, "0 0 0 * * \0", 11,
                     "unexpected byte 0x00 in field 6 of the cron expression "
                     "at character 11");
    expect_error_len(BT_TIMER_CYCLE, "@daily\0", 7,
                     "unexpected byte 0x00 after the macro at character 7");
    expect_error_len(BT_TIMER_CYCLE, "\xff\xfe", 2,
                     "expected 'R[n]/...', a duration or a cron expression "
                     "at character 1");
    /* The length is the text: what follows it is not read. */
    bt_timer_spec t;
    assert_int_equal(bt_timer_parse(BT_TIMER_DURATION, "PT1HXYZ", 4, &t, err,
                                    sizeof err), 0);
    assert_int_equal(t.every.millis, 3600000);
    assert_string_equal(err, "");
}

static void test_error_buffer(void **state)
{
    (void)state;
    bt_timer_spec t;
    char small[8];
    memset(small, 'x', sizeof small);
    assert_int_equal(bt_timer_parse(BT_TIMER_DURATION, "PT", 2, &t, small,
                                    sizeof small), -1);
    assert_string_equal(small, "'PT' ha");
    char one[1] = {'x'};
    assert_int_equal(bt_timer_parse(BT_TIMER_DURATION, "PT", 2, &t, one, 1),
                     -1);
    assert_int_equal(one[0], '\0');
    assert_int_equal(bt_timer_parse(BT_TIMER_DURATION, "PT", 2, &t, NULL, 0),
                     -1);
    assert_int_equal(bt_timer_parse(BT_TIMER_CYCLE, "0 0 0 1 FOO ?", 13, &t,
                                    NULL, 0), -1);
    assert_int_equal(bt_timer_parse(BT_TIMER_CYCLE, "", 0, &t, NULL, 0), -1);
    /* Exactly the message's length plus its NUL. */
    char fit[sizeof "'PT' has no time part at character 2"];
    assert_int_equal(bt_timer_parse(BT_TIMER_DURATION, "PT", 2, &t, fit,
                                    sizeof fit), -1);
    assert_string_equal(fit, "'PT' has no time part at character 2");
}

/* Random and mutated text for each type: parsing fails with a message
 * that names a position, or gives a spec whose due times are in range.
 * The sanitizer builds turn any overflow into a failure. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned next_rand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(rng >> 33);
}

static long parsed, scheduled; /* how far random text got */

static void check_any(const char *s, size_t len)
{
    static const int64_t nows[] = {0, 1767261600123LL, TIME_MIN, TIME_MAX,
                                   -1, INT64_MIN, INT64_MAX};
    for (int type = 1; type <= 3; type++) {
        bt_timer_spec t;
        err[0] = 'x';
        if (bt_timer_parse(type, s, len, &t, err, sizeof err) != 0) {
            assert_true(strlen(err) > 0);
            assert_true(strstr(err, " at character ") != NULL ||
                        strcmp(err, "the timer definition is empty") == 0);
            continue;
        }
        assert_string_equal(err, "");
        parsed++;
        for (size_t k = 0; k < sizeof nows / sizeof *nows; k++) {
            int64_t due = 0;
            if (bt_timer_first(&t, nows[k], &due) != 0)
                continue;
            scheduled++;
            assert_true(due >= TIME_MIN && due <= TIME_MAX);
            for (uint32_t f = 1; f < 4; f++) {
                int rc = bt_timer_next(&t, due, f, &due);
                assert_true(rc >= -1 && rc <= 1);
                if (rc != 1)
                    break;
                assert_true(due >= TIME_MIN && due <= TIME_MAX);
            }
        }
    }
}

static void test_random(void **state)
{
    (void)state;
    static const char *seeds[] = {
        "P1Y2M3W4DT5H6M7.5S", "R5/PT10M", "R/P1D",
        "R3/2026-01-31T10:00:00Z/P1M", "2026-01-01T10:00:00.123+02:00",
        "2026-03-29T02:30:00[Europe/Berlin]", "0 0 9-17 * * MON-FRI",
        "*/5 1-10/3 0 L-2 JAN-MAR 5L", "0 0 0 15W * ?", "0 0 0 ? * 6#3",
        "@weekly", "R/2026-10-25T02:30:00+01:00[Europe/Berlin]/P1MT1H",
        "9999-12-31T23:59:59.999Z", "R2147483647/P9999Y",
    };
    static const char alphabet[] = "0123456789PTYMWDHSR/:-+.,Z[]LW#?*@ "
                                   "ELNOUFJAWtz\t\xff";
    char buf[96];
    for (int round = 0; round < 20000; round++) {
        size_t len;
        if (round % 2) {
            len = next_rand() % sizeof buf;
            for (size_t i = 0; i < len; i++)
                buf[i] = alphabet[next_rand() % (sizeof alphabet - 1)];
        } else {
            const char *seed = seeds[next_rand() % (sizeof seeds /
                                                    sizeof *seeds)];
            len = strlen(seed);
            memcpy(buf, seed, len);
            for (int m = next_rand() % 3; m > 0 && len; m--) {
                size_t at = next_rand() % len;
                switch (next_rand() % 4) {
                case 0: buf[at] = alphabet[next_rand() % (sizeof alphabet - 1)];
                        break;
                case 1: buf[at] = (char)(next_rand() % 256); break;
                case 2: memmove(buf + at, buf + at + 1, len - at - 1);
                        len--;
                        break;
                default:
                    if (len + 1 < sizeof buf) {
                        memmove(buf + at + 1, buf + at, len - at);
                        buf[at] = (char)('0' + next_rand() % 10);
                        len++;
                    }
                }
            }
        }
        check_any(buf, len);
    }
    /* Every single byte. */
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        check_any(&c, 1);
    }
    /* The mutations keep enough text valid to reach the due times. */
    print_message("random: %ld parsed, %ld scheduled\n", parsed, scheduled);
    assert_true(parsed > 1000 && scheduled > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_duration_errors),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_zone_dates),
        cmocka_unit_test(test_zones_disabled),
        cmocka_unit_test(test_date_errors),
        cmocka_unit_test(test_add_utc),
        cmocka_unit_test(test_add_zones),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_zone_cycles),
        cmocka_unit_test(test_cycle_errors),
        cmocka_unit_test(test_cron_fields),
        cmocka_unit_test(test_cron_next),
        cmocka_unit_test(test_cron_errors),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_long_input),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
