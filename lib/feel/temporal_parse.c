/* The texts FEEL's conversion functions (date(), time(), date and time(),
 * duration()) and @-literals accept, read strictly: what feel-scala
 * accepts for Zeebe (its patterns in org.camunda.feel and java.time's
 * parsers behind them), with calendar dates checked (2021-02-29 is
 * refused, as Camunda documents, where java.time's lenient resolver
 * would move it to the 28th). The text may hold anything: nothing is
 * read beyond its `n` bytes, every number is capped as it is read, and
 * every sum is checked. */
#include <string.h>

#include "feel/temporal.h"
#include "feel/temporal_impl.h"

typedef struct scan {
    const char *s;
    size_t n, i;
} scan;

static int peek(const scan *c)
{
    return c->i < c->n ? (unsigned char)c->s[c->i] : -1;
}

static int at_end(const scan *c) { return c->i >= c->n; }

static int eat(scan *c, char ch)
{
    if (peek(c) != (unsigned char)ch)
        return 0;
    c->i++;
    return 1;
}

static int is_digit(int ch) { return ch >= '0' && ch <= '9'; }

/* Exactly `width` digits. */
static int fixed(scan *c, int width, int *v)
{
    int x = 0;
    for (int k = 0; k < width; k++, c->i++) {
        if (!is_digit(peek(c)))
            return BT_T_INVALID;
        x = x * 10 + (c->s[c->i] - '0');
    }
    *v = x;
    return 0;
}

/* One or more digits; `*v` stops growing (and `*big` is set) beyond
 * int64's range. Returns how many digits there were. */
static size_t number(scan *c, int64_t *v, int *big)
{
    size_t start = c->i;
    int64_t x = 0;
    *big = 0;
    for (; is_digit(peek(c)); c->i++) {
        int d = c->s[c->i] - '0';
        if (x > (INT64_MAX - d) / 10)
            *big = 1;
        else
            x = x * 10 + d;
    }
    *v = x;
    return c->i - start;
}

/* '.' and 1 to 9 digits, as nanoseconds. */
static int fraction(scan *c, int32_t *nanos)
{
    int32_t x = 0;
    int k = 0;
    for (; is_digit(peek(c)); c->i++, k++) {
        if (k == 9)
            return BT_T_INVALID;
        x = x * 10 + (c->s[c->i] - '0');
    }
    if (!k)
        return BT_T_INVALID;
    for (; k < 9; k++)
        x *= 10;
    *nanos = x;
    return 0;
}

/* [-+]yyyy-mm-dd: four digits, or five to nine without a leading zero
 * (feel-scala's date pattern); '+' only before more than four, as
 * java.time writes years after 9999. */
static int date_part(scan *c, bt_fdate *out)
{
    int neg = eat(c, '-'), plus = !neg && eat(c, '+'), m, d;
    size_t start = c->i, nd;
    int64_t y = 0;
    for (; is_digit(peek(c)) && c->i - start < 10; c->i++)
        y = y * 10 + (c->s[c->i] - '0');
    nd = c->i - start;
    if (nd < 4 || nd > 9 || (nd > 4 && c->s[start] == '0') ||
        (plus && nd == 4) || (neg && y == 0))
        return BT_T_INVALID;
    if (!eat(c, '-') || fixed(c, 2, &m) || !eat(c, '-') || fixed(c, 2, &d))
        return BT_T_INVALID;
    return bt_t_make_date(neg ? -y : y, m, d, out);
}

/* hh:mm[:ss[.fffffffff]], 00:00 to 23:59:59.999999999. */
static int clock_part(scan *c, bt_ftime *t, int *has_sec)
{
    int h, m, s = 0;
    int32_t nanos = 0;
    if (fixed(c, 2, &h) || !eat(c, ':') || fixed(c, 2, &m))
        return BT_T_INVALID;
    *has_sec = eat(c, ':');
    if (*has_sec) {
        if (fixed(c, 2, &s))
            return BT_T_INVALID;
        if (eat(c, '.') && fraction(c, &nanos))
            return BT_T_INVALID;
    }
    return bt_t_make_time(h, m, s, nanos, NULL, t);
}

/* +hh:mm or -hh:mm, with seconds when they are not zero (as java.time
 * writes the offsets of local mean time), within +-18:00. */
static int offset_part(scan *c, int32_t *off)
{
    int neg = peek(c) == '-', h, m, s = 0;
    if (!eat(c, '+') && !eat(c, '-'))
        return BT_T_INVALID;
    if (fixed(c, 2, &h) || !eat(c, ':') || fixed(c, 2, &m) || m > 59)
        return BT_T_INVALID;
    if (eat(c, ':') && (fixed(c, 2, &s) || s > 59))
        return BT_T_INVALID;
    int32_t v = h * 3600 + m * 60 + s;
    if (v > BT_T_OFFSET_MAX)
        return BT_T_INVALID;
    *off = neg ? -v : v;
    return 0;
}

static int zone_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
           is_digit((unsigned char)ch) || ch == '/' || ch == '_' ||
           ch == '-' || ch == '+';
}

/* "Z" and "UTC" are offset 0 (as feel-scala prints "Z" for UTC too); an
 * offset is one; anything else must be a zone id ICU knows. */
int bt_t_zone(const char *id, size_t n, bt_fzone *out)
{
    memset(out, 0, sizeof *out);
    out->kind = BT_TZ_OFFSET;
    if ((n == 1 && id[0] == 'Z') || (n == 3 && !memcmp(id, "UTC", 3)))
        return 0;
    if (n && (id[0] == '+' || id[0] == '-')) {
        scan c = {id, n, 0};
        return offset_part(&c, &out->offset) || !at_end(&c) ? BT_T_INVALID
                                                              : 0;
    }
    if (n == 0 || n > BT_T_ZONE_MAX)
        return BT_T_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!zone_char(id[i]))
            return BT_T_INVALID;
    if (!bt_t_zone_known(id, n))
        return BT_T_INVALID;
    out->kind = BT_TZ_ZONE;
    out->id = id;
    out->idlen = n;
    return 0;
}

/* The rest of the text after '@': a zone for a time, its standard
 * offset taken (see temporal.c). */
static int time_zone_rest(scan *c, bt_fzone *tz)
{
    int rc = bt_t_zone(c->s + c->i, c->n - c->i, tz);
    c->i = c->n;
    if (!rc && tz->kind == BT_TZ_ZONE)
        rc = bt_t_zone_std_offset(tz, &tz->offset);
    return rc;
}

int bt_t_parse_date(const char *s, size_t n, bt_fdate *out)
{
    scan c = {s, n, 0};
    bt_fdate d;
    if (date_part(&c, &d) || !at_end(&c))
        return BT_T_INVALID;
    *out = d;
    return 0;
}

/* feel-scala accepts a 'T' in front ("T23:59:00", as DMN's examples
 * write times), and wants the seconds of a time with an offset or a
 * zone (its pattern for those; "10:30+01:00" is null there). */
int bt_t_parse_time(const char *s, size_t n, bt_ftime *out)
{
    scan c = {s, n, 0};
    bt_ftime t;
    int has_sec;
    eat(&c, 'T');
    if (clock_part(&c, &t, &has_sec))
        return BT_T_INVALID;
    if (!at_end(&c)) {
        if (!has_sec)
            return BT_T_INVALID;
        if (eat(&c, 'Z'))
            t.tz.kind = BT_TZ_OFFSET;
        else if (eat(&c, '@')) {
            if (time_zone_rest(&c, &t.tz))
                return BT_T_INVALID;
        } else if (offset_part(&c, &t.tz.offset))
            return BT_T_INVALID;
        else
            t.tz.kind = BT_TZ_OFFSET;
    }
    if (!at_end(&c))
        return BT_T_INVALID;
    *out = t;
    return 0;
}

/* "[Zone/Id]" up to the end of the text. */
static int bracket_zone(scan *c, bt_fzone *tz)
{
    if (!eat(c, '[') || c->n - c->i < 2 || c->s[c->n - 1] != ']')
        return BT_T_INVALID;
    int rc = bt_t_zone(c->s + c->i, c->n - c->i - 1, tz);
    c->i = c->n;
    return rc;
}

/* After the time: nothing (local), "Z" or an offset, optionally followed
 * by "[Zone/Id]" (as Zeebe and java.time write them), "@Zone/Id" (as
 * feel-scala writes them), or "[Zone/Id]" alone. With an offset and a
 * zone, the offset fixes the instant and the zone the offset shown, as
 * java.time's ZonedDateTime.parse does: "2021-10-31T02:30:00+01:00
 * [Europe/Berlin]" is the second 02:30 of that night. */
int bt_t_parse_dt(const char *s, size_t n, bt_fdt *out)
{
    scan c = {s, n, 0};
    bt_fdt dt;
    bt_fzone zone;
    int has_sec, has_zone = 0, has_offset = 0;
    if (date_part(&c, &dt.date))
        return BT_T_INVALID;
    if (at_end(&c)) {
        memset(&dt.time, 0, sizeof dt.time);
        *out = dt;
        return 0;
    }
    if (!eat(&c, 'T') || clock_part(&c, &dt.time, &has_sec))
        return BT_T_INVALID;
    if (eat(&c, 'Z'))
        has_offset = 1;
    else if (peek(&c) == '+' || peek(&c) == '-') {
        if (offset_part(&c, &dt.time.tz.offset))
            return BT_T_INVALID;
        has_offset = 1;
    }
    if (has_offset)
        dt.time.tz.kind = BT_TZ_OFFSET;
    if (peek(&c) == '[') {
        if (bracket_zone(&c, &zone))
            return BT_T_INVALID;
        has_zone = 1;
    } else if (!has_offset && eat(&c, '@')) {
        if (bt_t_zone(c.s + c.i, c.n - c.i, &zone))
            return BT_T_INVALID;
        c.i = c.n;
        has_zone = 1;
    }
    if (!at_end(&c))
        return BT_T_INVALID;
    if (has_zone && has_offset) {
        int64_t secs;
        int32_t nanos;
        bt_t_dt_instant(&dt, &secs, &nanos);
        if (bt_t_dt_at_instant(secs, nanos, &zone, &dt))
            return BT_T_INVALID;
    } else if (has_zone) {
        dt.time.tz = zone;
        if (bt_t_resolve(&dt))
            return BT_T_INVALID;
    }
    *out = dt;
    return 0;
}

/* ---- durations ------------------------------------------------------ */

static int mul_add(int64_t v, int64_t k, int64_t *acc)
{
    if (v > INT64_MAX / k)
        return BT_T_INVALID;
    return bt_t_add64(*acc, v * k, acc);
}

/* feel-scala's two patterns, -?P(nY)?(nM)? and
 * -?P(nD)?(T(nH)?(nM)?(n(.f)?S)?)?, then java.time's Period.parse (years
 * and months within int) or Duration.parse (seconds within long), which
 * refuse an empty "P" or "T". Weeks ("P2W") match neither pattern (nor
 * the XML Schema durations DMN names), so they are refused too. */
int bt_t_parse_duration(const char *s, size_t n, int *is_ym, bt_dtdur *dt,
                        int64_t *months)
{
    static const char units[] = "YMDHMS"; /* in the order they may come */
    static const int64_t secs_per[] = {0, 0, 86400, 3600, 60, 1};
    scan c = {s, n, 0};
    int neg = eat(&c, '-'), next = 0, in_time = 0, parts = 0, ym = 0;
    int64_t total = 0, v;
    int32_t nanos = 0;
    if (!eat(&c, 'P'))
        return BT_T_INVALID;
    while (!at_end(&c)) {
        int big;
        if (!in_time && eat(&c, 'T')) {
            in_time = 1;
            next = 3;
            if (at_end(&c))
                return BT_T_INVALID;
            continue;
        }
        if (!number(&c, &v, &big) || big)
            return BT_T_INVALID;
        int has_frac = eat(&c, '.');
        if (has_frac && fraction(&c, &nanos))
            return BT_T_INVALID;
        int ch = peek(&c), u = next;
        while (u < (in_time ? 6 : 3) && units[u] != ch)
            u++;
        if (u == (in_time ? 6 : 3) || (has_frac && u != 5))
            return BT_T_INVALID;
        c.i++;
        next = u + 1;
        parts++;
        if (u < 2) {
            /* Period.parse reads each within int */
            if (v > INT32_MAX)
                return BT_T_INVALID;
            total += u == 0 ? v * 12 : v;
            ym = 1;
        } else if (mul_add(v, secs_per[u], &total))
            return BT_T_INVALID;
    }
    if (!parts || (ym && (next > 2 || in_time)))
        return BT_T_INVALID;
    *is_ym = ym;
    if (ym) {
        *months = neg ? -total : total;
        return 0;
    }
    dt->secs = neg ? -total : total;
    dt->nanos = neg ? -nanos : nanos;
    return 0;
}
