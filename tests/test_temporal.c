/* Unit tests of FEEL's temporal values (lib/feel/temporal.c): the
 * calendar (leap years, negative years, ISO weeks), month arithmetic
 * clamped to a month's end, zones across changes of daylight saving time
 * in both directions, texts read and written back, and texts refused.
 * Every text is parsed from a heap copy of exactly its length, so that a
 * read past the end shows under AddressSanitizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feel/temporal.h"

/* ------------------------------------------------------------------ */
/* Texts on the heap, exactly their length, kept until the test ends   */
/* (zone ids point into them)                                          */
/* ------------------------------------------------------------------ */

static char *kept[512];
static size_t nkept;

static const char *exact(const char *s, size_t *n)
{
    *n = strlen(s);
    char *p = malloc(*n ? *n : 1);
    assert_non_null(p);
    memcpy(p, s, *n);
    assert_true(nkept < sizeof kept / sizeof kept[0]);
    kept[nkept++] = p;
    return p;
}

static int release(void **state)
{
    (void)state;
    while (nkept)
        free(kept[--nkept]);
    return 0;
}

static int date_of(const char *s, bt_fdate *d)
{
    size_t n;
    const char *p = exact(s, &n);
    return bt_t_parse_date(p, n, d);
}

static int time_of(const char *s, bt_ftime *t)
{
    size_t n;
    const char *p = exact(s, &n);
    return bt_t_parse_time(p, n, t);
}

static int dt_of(const char *s, bt_fdt *dt)
{
    size_t n;
    const char *p = exact(s, &n);
    return bt_t_parse_dt(p, n, dt);
}

/* A duration's text back as text: days-time or years-months. */
static int dur_text(const char *s, char *buf)
{
    size_t n;
    const char *p = exact(s, &n);
    int is_ym = -1;
    bt_dtdur d;
    int64_t m;
    int rc = bt_t_parse_duration(p, n, &is_ym, &d, &m);
    if (rc)
        return rc;
    if (is_ym)
        bt_t_format_ymdur(m, buf);
    else
        bt_t_format_dtdur(&d, buf);
    return 0;
}

static bt_dtdur dtdur(const char *s)
{
    size_t n;
    const char *p = exact(s, &n);
    int is_ym;
    bt_dtdur d = {0, 0};
    int64_t m;
    assert_int_equal(bt_t_parse_duration(p, n, &is_ym, &d, &m), 0);
    assert_int_equal(is_ym, 0);
    return d;
}

static int64_t ymdur(const char *s)
{
    size_t n;
    const char *p = exact(s, &n);
    int is_ym;
    bt_dtdur d;
    int64_t m = 0;
    assert_int_equal(bt_t_parse_duration(p, n, &is_ym, &d, &m), 0);
    assert_int_equal(is_ym, 1);
    return m;
}

static const char *dt_str(const bt_fdt *dt, char *buf)
{
    bt_t_format_dt(dt, buf);
    return buf;
}

static bt_fdt dt_must(const char *s)
{
    bt_fdt dt;
    if (dt_of(s, &dt))
        fail_msg("'%s' does not parse", s);
    return dt;
}

/* ------------------------------------------------------------------ */
/* The calendar                                                        */
/* ------------------------------------------------------------------ */

static void test_leap_years(void **state)
{
    (void)state;
    static const struct {
        int64_t year;
        int feb, days;
    } years[] = {
        {2000, 29, 366}, {1900, 28, 365}, {2024, 29, 366}, {2023, 28, 365},
        {2100, 28, 365}, {0, 29, 366},    {-4, 29, 366},   {-1, 28, 365},
        {-100, 28, 365}, {-400, 29, 366},
    };
    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        bt_fdate dec31 = {years[i].year, 12, 31}, d;
        assert_int_equal(bt_t_days_in_month(years[i].year, 2), years[i].feb);
        assert_int_equal(bt_t_day_of_year(&dec31), years[i].days);
        assert_int_equal(bt_t_make_date(years[i].year, 2, 29, &d),
                         years[i].feb == 29 ? 0 : BT_T_INVALID);
    }
    bt_fdate d;
    assert_int_equal(date_of("2000-02-29", &d), 0);
    assert_int_equal(date_of("2024-02-29", &d), 0);
    assert_int_equal(date_of("1900-02-29", &d), BT_T_INVALID);
    assert_int_equal(date_of("2021-02-29", &d), BT_T_INVALID);
    assert_int_equal(bt_t_days_in_month(2021, 13), 0);
}

static void test_epoch_days(void **state)
{
    (void)state;
    static const struct {
        const char *date;
        int64_t day;
        int weekday, yday, week;
    } days[] = {
        {"1970-01-01", 0, 4, 1, 1},
        {"2019-09-17", 18156, 2, 260, 38},
        {"2020-02-29", 18321, 6, 60, 9},
        {"2021-01-01", 18628, 5, 1, 53},  /* week 53 of 2020 */
        {"2020-12-31", 18627, 4, 366, 53},
        {"2018-12-31", 17896, 1, 365, 1}, /* week 1 of 2019 */
        {"2026-01-01", 20454, 4, 1, 1},
        {"2027-01-01", 20819, 5, 1, 53},
        {"0001-01-01", -719162, 1, 1, 1},
        {"0000-01-01", -719528, 6, 1, 52},
        {"-0001-12-31", -719529, 5, 365, 52},
        {"-0004-02-29", -720930, 4, 60, 9},
    };
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        bt_fdate d, back;
        char buf[BT_T_BUFSZ];
        assert_int_equal(date_of(days[i].date, &d), 0);
        assert_int_equal(bt_t_epoch_day(&d), days[i].day);
        assert_int_equal(bt_t_weekday(&d), days[i].weekday);
        assert_int_equal(bt_t_day_of_year(&d), days[i].yday);
        assert_int_equal(bt_t_iso_week(&d), days[i].week);
        assert_int_equal(bt_t_from_epoch_day(days[i].day, &back), 0);
        bt_t_format_date(&back, buf);
        assert_string_equal(buf, days[i].date);
    }
}

static void test_year_range(void **state)
{
    (void)state;
    bt_fdate d;
    char buf[BT_T_BUFSZ];
    assert_int_equal(date_of("+999999999-12-31", &d), 0);
    assert_int_equal(d.year, 999999999);
    assert_int_equal(bt_t_from_epoch_day(bt_t_epoch_day(&d) + 1, &d),
                     BT_T_INVALID);
    assert_int_equal(date_of("-999999999-01-01", &d), 0);
    assert_int_equal(bt_t_from_epoch_day(bt_t_epoch_day(&d) - 1, &d),
                     BT_T_INVALID);
    assert_int_equal(bt_t_make_date(1000000000, 1, 1, &d), BT_T_INVALID);
    assert_int_equal(bt_t_make_date(-1000000000, 1, 1, &d), BT_T_INVALID);
    /* feel-scala's pattern takes five to nine digits without a '+' */
    assert_int_equal(date_of("10000-01-01", &d), 0);
    bt_t_format_date(&d, buf);
    assert_string_equal(buf, "+10000-01-01");
    bt_fdt dt = dt_must("2020-01-01T00:00:00");
    bt_fdt r;
    assert_int_equal(bt_t_dt_add_months(&dt, INT64_MAX, &r), BT_T_INVALID);
    assert_int_equal(bt_t_dt_add_months(&dt, INT64_MIN, &r), BT_T_INVALID);
    bt_dtdur big = {INT64_MAX, 0};
    assert_int_equal(bt_t_dt_add_dtdur(&dt, &big, 1, &r), BT_T_INVALID);
    assert_int_equal(bt_t_dt_add_dtdur(&dt, &big, -1, &r), BT_T_INVALID);
}

/* ------------------------------------------------------------------ */
/* Texts                                                               */
/* ------------------------------------------------------------------ */

/* Each text read and written back: `out` NULL means unchanged. */
typedef struct trip {
    const char *in, *out;
} trip;

static void test_round_trips(void **state)
{
    (void)state;
    static const trip dates[] = {
        {"2020-01-01", NULL},   {"-0001-01-01", NULL},
        {"+10000-01-01", NULL}, {"0000-02-29", NULL},
        {"0999-12-31", NULL},   {"-10000-06-15", NULL},
    };
    static const trip times[] = {
        {"10:30:00", NULL},
        {"10:30:00.5", NULL},
        {"00:00:00.000000001", NULL},
        {"23:59:59.999999999", NULL},
        {"10:30:00Z", NULL},
        {"10:30:00+01:00", NULL},
        {"23:59:59-05:30", NULL},
        {"10:30:00+00:17:30", NULL},
        {"10:30", "10:30:00"},
        {"T10:30:00", "10:30:00"},
        {"10:30:00.500", "10:30:00.5"},
        {"10:30:00-00:00", "10:30:00Z"},
        {"10:30:00+18:00", NULL},
    };
    static const trip dts[] = {
        {"2020-01-01T10:30:00", NULL},
        {"2020-01-01T10:30:00.123Z", NULL},
        {"2020-01-01T10:30:00+01:00", NULL},
        {"-0001-01-01T00:00:00-01:00", NULL},
        {"2020-01-01", "2020-01-01T00:00:00"},
        {"2020-01-01T10:30", "2020-01-01T10:30:00"},
        {"2020-01-01T10:30:00+00:00", "2020-01-01T10:30:00Z"},
    };
    static const trip durs[] = {
        {"P1DT2H", NULL},          {"-PT0.5S", NULL},
        {"PT0.5S", NULL},          {"PT1.000000001S", NULL},
        {"-PT1.000000001S", NULL}, {"P0D", NULL},
        {"P1Y2M", NULL},           {"-P3M", NULL},
        {"P0Y", NULL},             {"P1Y", NULL},
        {"PT1M", NULL},            {"P1D", NULL},
        {"P1DT2H3M4.5S", NULL},    {"-P1DT1S", NULL},
        {"P14M", "P1Y2M"},         {"PT36H", "P1DT12H"},
        {"P0Y0M", "P0Y"},          {"PT0S", "P0D"},
        {"PT90M", "PT1H30M"},      {"-P0D", "P0D"},
        {"PT3600S", "PT1H"},       {"P1M", NULL},
        {"PT0.100S", "PT0.1S"},    {"P2Y12M", "P3Y"},
        {"PT9223372036854775807S", "P106751991167300DT15H30M7S"},
    };
    char buf[BT_T_BUFSZ];
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        bt_fdate d;
        if (date_of(dates[i].in, &d))
            fail_msg("date '%s' does not parse", dates[i].in);
        bt_t_format_date(&d, buf);
        assert_string_equal(buf, dates[i].out ? dates[i].out : dates[i].in);
    }
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        bt_ftime t;
        if (time_of(times[i].in, &t))
            fail_msg("time '%s' does not parse", times[i].in);
        bt_t_format_time(&t, buf);
        assert_string_equal(buf, times[i].out ? times[i].out : times[i].in);
    }
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        bt_fdt dt = dt_must(dts[i].in);
        assert_string_equal(dt_str(&dt, buf),
                            dts[i].out ? dts[i].out : dts[i].in);
    }
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        if (dur_text(durs[i].in, buf))
            fail_msg("duration '%s' does not parse", durs[i].in);
        assert_string_equal(buf, durs[i].out ? durs[i].out : durs[i].in);
    }
}

static void test_zone_round_trips(void **state)
{
    (void)state;
    if (!bt_t_have_zones())
        skip();
    static const trip times[] = {
        {"10:30:00@Europe/Paris", NULL},
        {"10:30:00@America/New_York", NULL},
        {"10:30:00@UTC", "10:30:00Z"},
        {"10:30:00@Z", "10:30:00Z"},
        {"10:30:00@+02:00", "10:30:00+02:00"},
    };
    static const trip dts[] = {
        {"2020-01-01T10:30:00+01:00[Europe/Paris]", NULL},
        {"2020-07-01T10:30:00+02:00[Europe/Paris]", NULL},
        {"2020-07-01T10:30:00@Europe/Paris",
         "2020-07-01T10:30:00+02:00[Europe/Paris]"},
        {"2020-07-01T10:30:00[Europe/Paris]",
         "2020-07-01T10:30:00+02:00[Europe/Paris]"},
        {"2020-07-01T10:30:00@UTC", "2020-07-01T10:30:00Z"},
        {"2020-07-01T10:30:00Z[UTC]", "2020-07-01T10:30:00Z"},
        /* the offset fixes the instant, the zone the offset shown */
        {"2020-07-01T10:30:00+05:00[Europe/Paris]",
         "2020-07-01T07:30:00+02:00[Europe/Paris]"},
        {"2020-07-01T08:30:00Z[Europe/Paris]",
         "2020-07-01T10:30:00+02:00[Europe/Paris]"},
        /* aliases keep their name, as java.time's ZoneId.getId() */
        {"2020-07-01T10:30:00@US/Eastern",
         "2020-07-01T10:30:00-04:00[US/Eastern]"},
        /* local mean time, before the zone's standard time */
        {"1850-01-01T12:00:00@Europe/Berlin",
         "1850-01-01T12:00:00+00:53:28[Europe/Berlin]"},
        {"1850-01-01T12:00:00+00:53:28[Europe/Berlin]", NULL},
        /* years beyond ICU's range take the rules of their 400-year
         * cycle (java.time: the zone's last rules) */
        {"+999999999-07-01T12:00:00@Europe/Berlin",
         "+999999999-07-01T12:00:00+02:00[Europe/Berlin]"},
        {"+999999999-01-01T12:00:00@Europe/Berlin",
         "+999999999-01-01T12:00:00+01:00[Europe/Berlin]"},
        {"-999999999-07-01T12:00:00@Europe/Berlin",
         "-999999999-07-01T12:00:00+00:53:28[Europe/Berlin]"},
    };
    char buf[BT_T_BUFSZ];
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        bt_ftime t;
        if (time_of(times[i].in, &t))
            fail_msg("time '%s' does not parse", times[i].in);
        bt_t_format_time(&t, buf);
        assert_string_equal(buf, times[i].out ? times[i].out : times[i].in);
    }
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        bt_fdt dt = dt_must(dts[i].in);
        assert_string_equal(dt_str(&dt, buf),
                            dts[i].out ? dts[i].out : dts[i].in);
    }
}

static void test_invalid_texts(void **state)
{
    (void)state;
    static const char *const dates[] = {
        "", "2021-02-29", "2021-13-01", "2021-00-10", "2021-01-32",
        "2021-01-00", "2021-1-01", "21-01-01", "2021-01-01x", "2021-01-01 ",
        " 2021-01-01", "+2021-01-01", "02021-01-01", "-0000-01-01",
        "2021/01/01", "1234567890-01-01", "2021-01-01T10:00:00", "-",
        "2021-01", "２０２１-01-01",
    };
    static const char *const times[] = {
        "", "24:00:00", "24:00:01", "23:60:00", "23:59:60", "10:30+01:00",
        "10:30Z", "10:30:00.", "10:30:00.1234567890", "10:30:00+19:00",
        "10:30:00+18:00:01", "10:30:00+01", "10:30:00+0100", "10:30:00z",
        "10:30:00 ", "1:30:00", "10:30:00Z[Europe/Paris]", "10:30:00@",
        "10:30:00+01:00@Europe/Paris", "TT10:30:00", "10:30:00T", "10",
        "10:3", "10:30:0", "-10:30:00", "10:30:00@Mars/Base",
        "10:30:00@europe/paris", "10:30:00+01:60",
    };
    static const char *const dts[] = {
        "", "2021-02-29T10:00:00", "2021-01-01T24:00:00",
        "2021-01-01 10:00:00", "2021-01-01T10:00:00+01:00@Europe/Paris",
        "2021-01-01T", "2021-01-01T10", "2021-01-01T10:00:00[",
        "2021-01-01T10:00:00[]", "2021-01-01T10:00:00[Europe/Paris",
        "2021-01-01T10:00:00Zjunk", "2021-01-01t10:00:00",
        "2021-01-01T10:00:00Z[Europe/Paris]x", "T10:00:00",
        "2021-01-01T10:00:00@", "2021-01-01T10:00:00[Europe/Paris]]",
        "2021-01-01T10:00:00[Mars/Base]", "2021-01-01T10:00:00@Mars/Base",
    };
    static const char *const durs[] = {
        "", "P", "PT", "P1DT", "P2W", "P1Y2D", "P1YT1H", "PT1H1H", "PT1S1M",
        "P1M1Y", "pt1h", "PT.5S", "PT0.5H", "PT1.S", "PT1.1234567890S",
        "P1.5D", "-", "-P", "P-1D", "P2147483648Y", "P2147483648M",
        "PT9223372036854775808S", "P106751991167301D", "1D", "P1D ", "+P1D",
        "P1Y1Y", "P1D1D", "PT1H2H", "P T1H", "PT1HT1M", "--P1D", "P1DT1D",
        "PT1,5S", "P1H", "PT1Y", "PT1D",
    };
    bt_fdate d;
    bt_ftime t;
    bt_fdt dt;
    char buf[BT_T_BUFSZ];
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        if (date_of(dates[i], &d) != BT_T_INVALID)
            fail_msg("date '%s' parses", dates[i]);
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        if (time_of(times[i], &t) != BT_T_INVALID)
            fail_msg("time '%s' parses", times[i]);
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++)
        if (dt_of(dts[i], &dt) != BT_T_INVALID)
            fail_msg("date and time '%s' parses", dts[i]);
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++)
        if (dur_text(durs[i], buf) != BT_T_INVALID)
            fail_msg("duration '%s' parses as %s", durs[i], buf);
}

/* A prefix of a valid text is read as what it says, never beyond. */
static void test_length_bounds(void **state)
{
    (void)state;
    bt_fdate d;
    bt_ftime t;
    bt_fdt dt;
    char buf[BT_T_BUFSZ];
    assert_int_equal(bt_t_parse_date("2020-01-011", 10, &d), 0);
    assert_int_equal(d.day, 1);
    assert_int_equal(bt_t_parse_time("10:30:00Z", 8, &t), 0);
    assert_int_equal(t.tz.kind, BT_TZ_LOCAL);
    assert_int_equal(bt_t_parse_time("10:30:00.5", 9, &t), BT_T_INVALID);
    assert_int_equal(bt_t_parse_dt("2020-01-01T10:00:00+01:00", 19, &dt), 0);
    assert_int_equal(dt.time.tz.kind, BT_TZ_LOCAL);
    assert_int_equal(bt_t_parse_dt("2020-01-01T10:00:00+01:00", 22,
                                   &dt), BT_T_INVALID);
    int is_ym;
    bt_dtdur dd;
    int64_t m;
    assert_int_equal(bt_t_parse_duration("PT1H30M", 4, &is_ym, &dd, &m), 0);
    assert_int_equal(dd.secs, 3600);
    assert_int_equal(bt_t_parse_duration("PT1H30M", 6, &is_ym, &dd, &m),
                     BT_T_INVALID);
    /* an embedded NUL is a character like another */
    assert_int_equal(bt_t_parse_date("2020-01-01\0", 11, &d), BT_T_INVALID);
    bt_fzone z;
    assert_int_equal(bt_t_zone("Z", 1, &z), 0);
    assert_int_equal(bt_t_zone("ZZ", 1, &z), 0);
    assert_int_equal(bt_t_zone("UTC", 2, &z), BT_T_INVALID);
    (void)buf;
}

static void test_zones(void **state)
{
    (void)state;
    bt_fzone z;
    assert_int_equal(bt_t_zone("Z", 1, &z), 0);
    assert_int_equal(z.kind, BT_TZ_OFFSET);
    assert_int_equal(z.offset, 0);
    assert_int_equal(bt_t_zone("UTC", 3, &z), 0);
    assert_int_equal(z.kind, BT_TZ_OFFSET);
    assert_int_equal(z.offset, 0);
    assert_int_equal(bt_t_zone("+05:30", 6, &z), 0);
    assert_int_equal(z.offset, 19800);
    assert_int_equal(bt_t_zone("-01:00", 6, &z), 0);
    assert_int_equal(z.offset, -3600);
    assert_int_equal(bt_t_zone("+05:30x", 7, &z), BT_T_INVALID);
    assert_int_equal(bt_t_zone("", 0, &z), BT_T_INVALID);
    assert_int_equal(bt_t_zone("Mars/Base", 9, &z), BT_T_INVALID);
    assert_int_equal(bt_t_zone("GMT+1", 5, &z), BT_T_INVALID);
    assert_int_equal(bt_t_zone("Europe/Berlin ", 14, &z), BT_T_INVALID);
    static const char longid[] =
        "Europe/Berlin_Europe/Berlin_Europe/Berlin_Europe/Berlin_Europe/Be";
    assert_int_equal(bt_t_zone(longid, sizeof longid - 1, &z), BT_T_INVALID);
    int r = bt_t_zone("Europe/Berlin", 13, &z);
    if (!bt_t_have_zones()) {
        /* without ICU, zone ids are refused by name; offsets still work */
        assert_int_equal(r, BT_T_INVALID);
        bt_ftime t;
        bt_fdt dt;
        assert_int_equal(time_of("10:00:00@Europe/Paris", &t), BT_T_INVALID);
        assert_int_equal(dt_of("2020-01-01T10:00:00@Europe/Paris", &dt),
                         BT_T_INVALID);
        assert_int_equal(time_of("10:00:00@UTC", &t), 0);
        return;
    }
    assert_int_equal(r, 0);
    assert_int_equal(z.kind, BT_TZ_ZONE);
    assert_int_equal(z.idlen, 13);
    /* a time with a zone id takes the zone's standard offset, as
     * feel-scala does (Sydney's is +10:00, though January is summer) */
    static const struct {
        const char *text;
        int32_t offset;
    } std[] = {
        {"10:00:00@Europe/Paris", 3600},
        {"10:00:00@America/New_York", -18000},
        {"10:00:00@Australia/Sydney", 36000},
        {"10:00:00@Asia/Kolkata", 19800},
        {"10:00:00@Europe/Lisbon", 0},
    };
    for (size_t i = 0; i < sizeof std / sizeof std[0]; i++) {
        bt_ftime t;
        assert_int_equal(time_of(std[i].text, &t), 0);
        assert_int_equal(t.tz.kind, BT_TZ_ZONE);
        assert_int_equal(t.tz.offset, std[i].offset);
    }
    bt_ftime t;
    assert_int_equal(bt_t_make_time(10, 0, 0, 0, &z, &t), 0);
    assert_int_equal(t.tz.offset, 3600);
}

/* ------------------------------------------------------------------ */
/* Arithmetic                                                          */
/* ------------------------------------------------------------------ */

static void test_months(void **state)
{
    (void)state;
    static const struct {
        const char *from, *dur, *to;
    } cases[] = {
        {"2020-01-31T00:00:00", "P1M", "2020-02-29T00:00:00"},
        {"2021-01-31T00:00:00", "P1M", "2021-02-28T00:00:00"},
        {"2020-03-31T00:00:00", "-P1M", "2020-02-29T00:00:00"},
        {"2020-02-29T10:00:00", "P1Y", "2021-02-28T10:00:00"},
        {"2020-02-29T10:00:00", "P4Y", "2024-02-29T10:00:00"},
        {"2020-05-31T00:00:00", "P1M", "2020-06-30T00:00:00"},
        {"2020-12-15T00:00:00", "P1M", "2021-01-15T00:00:00"},
        {"2020-01-15T00:00:00", "-P1M", "2019-12-15T00:00:00"},
        {"0001-01-01T00:00:00", "-P1M", "0000-12-01T00:00:00"},
        {"-0001-03-31T00:00:00", "-P1M", "-0001-02-28T00:00:00"},
        {"2020-01-31T10:00:00+01:00", "P1M", "2020-02-29T10:00:00+01:00"},
    };
    char buf[BT_T_BUFSZ];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bt_fdt a = dt_must(cases[i].from), r;
        assert_int_equal(bt_t_dt_add_months(&a, ymdur(cases[i].dur), &r), 0);
        assert_string_equal(dt_str(&r, buf), cases[i].to);
    }
    static const struct {
        const char *from, *to;
        int64_t months;
    } between[] = {
        {"2011-12-22", "2013-08-24", 20}, {"2013-08-24", "2011-12-22", -20},
        {"2020-01-31", "2020-02-29", 0},  {"2020-01-31", "2020-03-01", 1},
        {"2020-02-29", "2021-02-28", 11}, {"2021-02-28", "2020-02-29", -11},
        {"2020-01-01", "2020-01-01", 0},  {"-0001-01-01", "0001-01-01", 24},
    };
    for (size_t i = 0; i < sizeof between / sizeof between[0]; i++) {
        bt_fdt a = dt_must(between[i].from), b = dt_must(between[i].to);
        int64_t m;
        assert_int_equal(bt_t_months_between(&a, &b, &m), 0);
        assert_int_equal(m, between[i].months);
    }
}

static void test_durations(void **state)
{
    (void)state;
    bt_dtdur d = dtdur("PT0.5S"), r;
    assert_int_equal(d.secs, 0);
    assert_int_equal(d.nanos, 500000000);
    d = dtdur("-PT1.000000001S");
    assert_int_equal(d.secs, -1);
    assert_int_equal(d.nanos, -1);
    static const struct {
        const char *a, *b;
        int sign;
        const char *sum;
    } sums[] = {
        {"PT0.5S", "PT0.5S", 1, "PT1S"},
        {"PT1S", "PT1.5S", -1, "-PT0.5S"},
        {"-PT1.000000001S", "PT2S", 1, "PT0.999999999S"},
        {"P1D", "PT1H", -1, "PT23H"},
        {"-P1D", "-PT1H", 1, "-P1DT1H"},
        {"PT1H", "PT1H", -1, "P0D"},
    };
    char buf[BT_T_BUFSZ];
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++) {
        bt_dtdur a = dtdur(sums[i].a), b = dtdur(sums[i].b);
        assert_int_equal(bt_t_dtdur_add(&a, &b, sums[i].sign, &r), 0);
        bt_t_format_dtdur(&r, buf);
        assert_string_equal(buf, sums[i].sum);
    }
    bt_dtdur max = {INT64_MAX, 999999999}, one = dtdur("PT1S"),
             min = {INT64_MIN, 0};
    assert_int_equal(bt_t_dtdur_add(&max, &one, 1, &r), BT_T_INVALID);
    assert_int_equal(bt_t_dtdur_add(&one, &min, -1, &r), BT_T_INVALID);
    assert_int_equal(bt_t_cmp_dtdur(&one, &max), -1);
    d = dtdur("-PT0.5S");
    assert_int_equal(bt_t_cmp_dtdur(&d, &one), -1);
    assert_int_equal(bt_t_cmp_dtdur(&one, &one), 0);
}

static void test_time_arithmetic(void **state)
{
    (void)state;
    static const struct {
        const char *time, *dur;
        int sign;
        const char *to;
    } cases[] = {
        {"23:00:00", "PT2H", 1, "01:00:00"},
        {"01:00:00", "PT2H", -1, "23:00:00"},
        {"10:00:00", "P1D", 1, "10:00:00"},
        {"10:00:00", "P3DT1M", -1, "09:59:00"},
        {"23:59:59.5", "PT0.5S", 1, "00:00:00"},
        {"00:00:00", "PT0.000000001S", -1, "23:59:59.999999999"},
        {"10:00:00+01:00", "PT15H", 1, "01:00:00+01:00"},
        {"10:00:00", "-PT1.5S", 1, "09:59:58.5"},
    };
    char buf[BT_T_BUFSZ];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bt_ftime t, r;
        bt_dtdur d = dtdur(cases[i].dur);
        assert_int_equal(time_of(cases[i].time, &t), 0);
        assert_int_equal(bt_t_time_add_dtdur(&t, &d, cases[i].sign, &r), 0);
        bt_t_format_time(&r, buf);
        assert_string_equal(buf, cases[i].to);
    }
    static const struct {
        const char *a, *b;
        int rc;
        const char *diff;
    } subs[] = {
        {"10:00:00", "11:00:00", 0, "-PT1H"},
        {"11:00:00", "10:00:00.5", 0, "PT59M59.5S"},
        /* feel-scala: the distance between times with offsets */
        {"10:00:00Z", "11:00:00Z", 0, "PT1H"},
        {"10:00:00+01:00", "09:00:00Z", 0, "P0D"},
        {"00:30:00+01:00", "23:30:00Z", 0, "P1D"},
        {"10:00:00", "10:00:00Z", BT_T_INVALID, NULL},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        bt_ftime a, b;
        bt_dtdur r;
        assert_int_equal(time_of(subs[i].a, &a), 0);
        assert_int_equal(time_of(subs[i].b, &b), 0);
        assert_int_equal(bt_t_time_sub(&a, &b, &r), subs[i].rc);
        if (subs[i].diff) {
            bt_t_format_dtdur(&r, buf);
            assert_string_equal(buf, subs[i].diff);
        }
    }
}

static void test_dt_arithmetic(void **state)
{
    (void)state;
    static const struct {
        const char *a, *dur;
        int sign;
        const char *to;
    } adds[] = {
        {"2020-12-31T23:00:00", "PT1H", 1, "2021-01-01T00:00:00"},
        {"2020-03-01T00:00:00", "P1D", -1, "2020-02-29T00:00:00"},
        {"2020-01-01T00:00:00Z", "-PT0.5S", 1, "2019-12-31T23:59:59.5Z"},
        {"0001-01-01T00:00:00", "PT1S", -1, "0000-12-31T23:59:59"},
        {"2020-01-01T10:00:00+05:00", "PT20H", 1, "2020-01-02T06:00:00+05:00"},
    };
    char buf[BT_T_BUFSZ];
    for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
        bt_fdt a = dt_must(adds[i].a), r;
        bt_dtdur d = dtdur(adds[i].dur);
        assert_int_equal(bt_t_dt_add_dtdur(&a, &d, adds[i].sign, &r), 0);
        assert_string_equal(dt_str(&r, buf), adds[i].to);
    }
    static const struct {
        const char *a, *b;
        int rc;
        const char *diff;
    } subs[] = {
        {"2020-01-02T00:00:00", "2020-01-01T00:00:00", 0, "P1D"},
        {"2020-01-01T00:00:00", "2020-01-02T12:00:00.5", 0, "-P1DT12H0.5S"},
        {"2020-01-01T10:00:00+01:00", "2020-01-01T09:00:00Z", 0, "P0D"},
        {"2020-03-01T00:00:00Z", "2020-02-28T00:00:00Z", 0, "P2D"},
        {"2021-03-01T00:00:00Z", "2021-02-28T00:00:00Z", 0, "P1D"},
        {"2020-01-01T00:00:00", "2020-01-01T00:00:00Z", BT_T_INVALID, NULL},
        {"+999999999-12-31T23:59:59", "-999999999-01-01T00:00:00", 0,
         "P730484999633DT23H59M59S"},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        bt_fdt a = dt_must(subs[i].a), b = dt_must(subs[i].b);
        bt_dtdur r;
        assert_int_equal(bt_t_dt_sub(&a, &b, &r), subs[i].rc);
        if (subs[i].diff) {
            bt_t_format_dtdur(&r, buf);
            assert_string_equal(buf, subs[i].diff);
        }
    }
}

/* Changes of daylight saving time, both ways, in two zones: 2021-03-28
 * 02:00 and 2021-10-31 03:00 in Europe/Berlin, 2021-03-14 02:00 and
 * 2021-11-07 02:00 in America/New_York. */
static void test_dst(void **state)
{
    (void)state;
    if (!bt_t_have_zones())
        skip();
    static const struct {
        const char *text, *is;
    } reads[] = {
        /* in the gap, the local time moves on by its length */
        {"2021-03-28T02:30:00@Europe/Berlin",
         "2021-03-28T03:30:00+02:00[Europe/Berlin]"},
        {"2021-03-14T02:30:00@America/New_York",
         "2021-03-14T03:30:00-04:00[America/New_York]"},
        /* in the overlap, the earlier offset */
        {"2021-10-31T02:30:00@Europe/Berlin",
         "2021-10-31T02:30:00+02:00[Europe/Berlin]"},
        {"2021-11-07T01:30:00@America/New_York",
         "2021-11-07T01:30:00-04:00[America/New_York]"},
        /* unless an offset says which */
        {"2021-10-31T02:30:00+01:00[Europe/Berlin]", NULL},
        {"2021-11-07T01:30:00-05:00[America/New_York]", NULL},
        {"2021-03-28T01:59:59.999999999@Europe/Berlin",
         "2021-03-28T01:59:59.999999999+01:00[Europe/Berlin]"},
        {"2021-03-28T03:00:00@Europe/Berlin",
         "2021-03-28T03:00:00+02:00[Europe/Berlin]"},
        {"2021-10-31T03:00:00@Europe/Berlin",
         "2021-10-31T03:00:00+01:00[Europe/Berlin]"},
    };
    char buf[BT_T_BUFSZ];
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        bt_fdt dt = dt_must(reads[i].text);
        assert_string_equal(dt_str(&dt, buf),
                            reads[i].is ? reads[i].is : reads[i].text);
    }
    static const struct {
        const char *a, *dur;
        int sign;
        const char *to;
    } adds[] = {
        {"2021-03-28T01:30:00@Europe/Berlin", "PT1H", 1,
         "2021-03-28T03:30:00+02:00[Europe/Berlin]"},
        {"2021-03-28T03:30:00@Europe/Berlin", "PT1H", -1,
         "2021-03-28T01:30:00+01:00[Europe/Berlin]"},
        {"2021-10-31T02:30:00@Europe/Berlin", "PT1H", 1,
         "2021-10-31T02:30:00+01:00[Europe/Berlin]"},
        {"2021-10-31T01:30:00@Europe/Berlin", "PT2H", 1,
         "2021-10-31T02:30:00+01:00[Europe/Berlin]"},
        /* a day of 24 hours on the time line, as java.time */
        {"2021-03-27T12:00:00@Europe/Berlin", "P1D", 1,
         "2021-03-28T13:00:00+02:00[Europe/Berlin]"},
        {"2021-10-30T12:00:00@Europe/Berlin", "P1D", 1,
         "2021-10-31T11:00:00+01:00[Europe/Berlin]"},
        {"2021-03-14T01:30:00@America/New_York", "PT1H", 1,
         "2021-03-14T03:30:00-04:00[America/New_York]"},
        {"2021-11-07T01:30:00@America/New_York", "PT1H", 1,
         "2021-11-07T01:30:00-05:00[America/New_York]"},
        {"2021-11-07T00:30:00-04:00", "PT2H", 1, "2021-11-07T02:30:00-04:00"},
    };
    for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
        bt_fdt a = dt_must(adds[i].a), r;
        bt_dtdur d = dtdur(adds[i].dur);
        assert_int_equal(bt_t_dt_add_dtdur(&a, &d, adds[i].sign, &r), 0);
        assert_string_equal(dt_str(&r, buf), adds[i].to);
    }
    static const struct {
        const char *a, *dur, *to;
    } months[] = {
        /* local arithmetic, resolved again: into the gap */
        {"2021-02-28T02:30:00@Europe/Berlin", "P1M",
         "2021-03-28T03:30:00+02:00[Europe/Berlin]"},
        /* into an overlap: the offset kept when still valid there */
        {"2015-10-25T02:30:00+01:00[Europe/Berlin]", "P5Y",
         "2020-10-25T02:30:00+01:00[Europe/Berlin]"},
        {"2015-10-25T02:30:00+02:00[Europe/Berlin]", "P5Y",
         "2020-10-25T02:30:00+02:00[Europe/Berlin]"},
        {"2021-06-30T12:00:00@Europe/Berlin", "P6M",
         "2021-12-30T12:00:00+01:00[Europe/Berlin]"},
    };
    for (size_t i = 0; i < sizeof months / sizeof months[0]; i++) {
        bt_fdt a = dt_must(months[i].a), r;
        assert_int_equal(bt_t_dt_add_months(&a, ymdur(months[i].dur), &r), 0);
        assert_string_equal(dt_str(&r, buf), months[i].to);
    }
    /* FEEL subtracts instants: a calendar day across a change */
    static const struct {
        const char *a, *b, *diff;
    } subs[] = {
        {"2021-03-29T00:00:00@Europe/Berlin",
         "2021-03-28T00:00:00@Europe/Berlin", "PT23H"},
        {"2021-11-01T00:00:00@Europe/Berlin",
         "2021-10-31T00:00:00@Europe/Berlin", "P1DT1H"},
        {"2021-03-15T00:00:00@America/New_York",
         "2021-03-14T00:00:00@America/New_York", "PT23H"},
        {"2021-11-08T00:00:00@America/New_York",
         "2021-11-07T00:00:00@America/New_York", "P1DT1H"},
        {"2021-10-31T02:30:00+01:00[Europe/Berlin]",
         "2021-10-31T02:30:00+02:00[Europe/Berlin]", "PT1H"},
        {"2021-06-01T12:00:00@Europe/Berlin",
         "2021-06-01T06:00:00@America/New_York", "P0D"},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        bt_fdt a = dt_must(subs[i].a), b = dt_must(subs[i].b);
        bt_dtdur r;
        assert_int_equal(bt_t_dt_sub(&a, &b, &r), 0);
        bt_t_format_dtdur(&r, buf);
        assert_string_equal(buf, subs[i].diff);
    }
    /* instants and back */
    bt_fzone berlin;
    bt_fdt dt;
    assert_int_equal(bt_t_zone("Europe/Berlin", 13, &berlin), 0);
    assert_int_equal(bt_t_dt_at_instant(0, 0, &berlin, &dt), 0);
    assert_string_equal(dt_str(&dt, buf),
                        "1970-01-01T01:00:00+01:00[Europe/Berlin]");
    assert_int_equal(bt_t_dt_at_instant(1616893200, 5, &berlin, &dt), 0);
    assert_string_equal(dt_str(&dt, buf),
                        "2021-03-28T03:00:00.000000005+02:00[Europe/Berlin]");
    int64_t secs;
    int32_t nanos;
    bt_t_dt_instant(&dt, &secs, &nanos);
    assert_int_equal(secs, 1616893200);
    assert_int_equal(nanos, 5);
    /* bt_t_resolve recomputes the offset after the fields changed */
    dt.date.month = 1;
    assert_int_equal(bt_t_resolve(&dt), 0);
    assert_string_equal(dt_str(&dt, buf),
                        "2021-01-28T03:00:00.000000005+01:00[Europe/Berlin]");
}

/* ------------------------------------------------------------------ */
/* Comparison                                                          */
/* ------------------------------------------------------------------ */

static void test_compare(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int cmp;
    } times[] = {
        {"10:00:00", "10:00:00", 0},
        {"10:00:00", "10:00:00.000000001", -1},
        {"10:00:00+01:00", "09:00:00Z", 0},
        {"10:00:00+01:00", "09:30:00Z", -1},
        {"00:30:00+01:00", "23:00:00Z", -1},
        {"10:00:00", "10:00:00Z", 2},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        bt_ftime a, b;
        assert_int_equal(time_of(times[i].a, &a), 0);
        assert_int_equal(time_of(times[i].b, &b), 0);
        assert_int_equal(bt_t_cmp_time(&a, &b), times[i].cmp);
        assert_int_equal(bt_t_cmp_time(&b, &a),
                         times[i].cmp == 2 ? 2 : -times[i].cmp);
    }
    static const struct {
        const char *a, *b;
        int cmp;
    } dts[] = {
        {"2020-01-01T10:00:00", "2020-01-01T10:00:00", 0},
        {"2020-01-01T10:00:00", "2020-01-01T10:00:01", -1},
        {"2020-01-01T10:00:00Z", "2020-01-01T10:00:00+01:00", 1},
        /* one instant: then by local time, as java.time */
        {"2020-01-01T10:00:00+01:00", "2020-01-01T09:00:00Z", 1},
        {"2020-01-01T10:00:00", "2020-01-01T10:00:00Z", 2},
        {"-0001-01-01T00:00:00", "0001-01-01T00:00:00", -1},
    };
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        bt_fdt a = dt_must(dts[i].a), b = dt_must(dts[i].b);
        assert_int_equal(bt_t_cmp_dt(&a, &b), dts[i].cmp);
        assert_int_equal(bt_t_cmp_dt(&b, &a),
                         dts[i].cmp == 2 ? 2 : -dts[i].cmp);
    }
    bt_fdate a, b;
    assert_int_equal(date_of("-0001-12-31", &a), 0);
    assert_int_equal(date_of("0000-01-01", &b), 0);
    assert_int_equal(bt_t_cmp_date(&a, &b), -1);
    assert_int_equal(bt_t_cmp_date(&b, &b), 0);
    if (bt_t_have_zones()) {
        bt_fdt x = dt_must("2020-06-01T12:00:00@Europe/Berlin");
        bt_fdt y = dt_must("2020-06-01T12:00:00@Europe/Paris");
        bt_fdt z = dt_must("2020-06-01T12:00:00+02:00");
        /* one instant and local time: by zone id */
        assert_int_equal(bt_t_cmp_dt(&x, &y), -1);
        assert_int_equal(bt_t_cmp_dt(&z, &x), -1);
        assert_int_equal(bt_t_cmp_dt(&x, &x), 0);
    }
}

static void test_make_time(void **state)
{
    (void)state;
    bt_ftime t;
    bt_fzone off = {BT_TZ_OFFSET, 3600, NULL, 0};
    char buf[BT_T_BUFSZ];
    assert_int_equal(bt_t_make_time(23, 59, 59, 999999999, NULL, &t), 0);
    bt_t_format_time(&t, buf);
    assert_string_equal(buf, "23:59:59.999999999");
    assert_int_equal(bt_t_make_time(14, 30, 0, 0, &off, &t), 0);
    bt_t_format_time(&t, buf);
    assert_string_equal(buf, "14:30:00+01:00");
    assert_int_equal(bt_t_make_time(24, 0, 0, 0, NULL, &t), BT_T_INVALID);
    assert_int_equal(bt_t_make_time(0, 60, 0, 0, NULL, &t), BT_T_INVALID);
    assert_int_equal(bt_t_make_time(0, 0, 60, 0, NULL, &t), BT_T_INVALID);
    assert_int_equal(bt_t_make_time(-1, 0, 0, 0, NULL, &t), BT_T_INVALID);
    assert_int_equal(bt_t_make_time(0, 0, 0, 1000000000, NULL, &t),
                     BT_T_INVALID);
    assert_int_equal(bt_t_make_time(0, 0, 0, -1, NULL, &t), BT_T_INVALID);
    off.offset = 18 * 3600 + 1;
    assert_int_equal(bt_t_make_time(0, 0, 0, 0, &off, &t), BT_T_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_leap_years, release),
        cmocka_unit_test_teardown(test_epoch_days, release),
        cmocka_unit_test_teardown(test_year_range, release),
        cmocka_unit_test_teardown(test_round_trips, release),
        cmocka_unit_test_teardown(test_zone_round_trips, release),
        cmocka_unit_test_teardown(test_invalid_texts, release),
        cmocka_unit_test_teardown(test_length_bounds, release),
        cmocka_unit_test_teardown(test_zones, release),
        cmocka_unit_test_teardown(test_months, release),
        cmocka_unit_test_teardown(test_durations, release),
        cmocka_unit_test_teardown(test_time_arithmetic, release),
        cmocka_unit_test_teardown(test_dt_arithmetic, release),
        cmocka_unit_test_teardown(test_dst, release),
        cmocka_unit_test_teardown(test_compare, release),
        cmocka_unit_test_teardown(test_make_time, release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
