/* fuzz_timer: timer definitions, the text of a model's timeDuration,
 * timeDate and timeCycle (lib/util/timer.c and cron.c, which the loader
 * and the engine call; this target calls them directly, the one target
 * below the public API).
 *
 * Input: the text. It is parsed as each of the three types
 * (bt_timer_parse) and as a duration alone (bt_duration_parse), from a
 * block of exactly its length (no NUL after it), with error buffers of
 * exactly their size, 160 bytes and a small one whose size the first
 * byte chooses, so that ASan sees a read or write past either. What
 * parses is asked for its first due time (bt_timer_first) at a few
 * instants and for up to 16 due times after that (bt_timer_next); a
 * duration is added (bt_duration_add) in UTC and, with zone support, in
 * a zone with daylight saving time. Besides crashes and sanitizer
 * reports, a failure is:
 *  - a refusal without a message, or one not NUL-terminated inside its
 *    buffer; a different result with the small buffer;
 *  - a due time outside 0001-01-01 to 9999-12-31 reported as valid;
 *  - a first due time that is not what the definition says: a duration's
 *    before `now` (UTC), a date's or a started cycle's depending on
 *    `now`, a cron expression's not after `now`;
 *  - a due time after a cycle's firing before the previous one (not
 *    after it for cron), a duration or date that fires again, a cycle of
 *    n repetitions that fires more than n times;
 *  - a due time that bt_time_format writes and that does not parse back,
 *    as a date, to the same instant. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/timer.h"

#define TIME_MIN (-62135596800000LL) /* 0001-01-01T00:00:00.000Z */
#define TIME_MAX 253402300799999LL   /* 9999-12-31T23:59:59.999Z */
#define ERR_LEN 160

static const char *const type_names[] = { "", "duration", "date", "cycle" };

static int in_range(int64_t t)
{
    return t >= TIME_MIN && t <= TIME_MAX;
}

/* A refusal's message: NUL-terminated inside its `len` bytes, and not
 * empty when there is room for more than the NUL. */
static void check_message(const char *err, size_t len, const char *what)
{
    const char *end = memchr(err, 0, len);
    if (!end)
        fz_fail("%s: the error message is not NUL-terminated in %zu bytes",
                what, len);
    if (len > 1 && end == err)
        fz_fail("%s: a refusal without a message", what);
}

static int same_spec(const bt_timer_spec *a, const bt_timer_spec *b)
{
    const bt_cron *x = &a->cron, *y = &b->cron;
    if (a->type != b->type || a->is_cron != b->is_cron ||
        a->has_start != b->has_start || a->repeat != b->repeat ||
        a->at != b->at || a->every.years != b->every.years ||
        a->every.months != b->every.months ||
        a->every.days != b->every.days ||
        a->every.millis != b->every.millis ||
        a->offset_minutes != b->offset_minutes ||
        strcmp(a->zone, b->zone) != 0)
        return 0;
    return !a->is_cron ||
           (x->seconds == y->seconds && x->minutes == y->minutes &&
            x->hours == y->hours && x->days == y->days &&
            x->months == y->months && x->weekdays == y->weekdays &&
            x->days_any == y->days_any &&
            x->weekdays_any == y->weekdays_any &&
            x->last_day == y->last_day &&
            x->nearest_weekday == y->nearest_weekday &&
            x->last_weekday == y->last_weekday &&
            x->nth_weekday == y->nth_weekday && x->nth == y->nth);
}

/* `t` written by bt_time_format parses back to `t` as a date. */
static void round_trip(int64_t t)
{
    char text[64];
    bt_time_format(t, text);
    size_t len = strlen(text);
    if (len >= 32)
        fz_fail("bt_time_format wrote %zu characters: %s", len, text);
    bt_timer_spec d;
    char err[ERR_LEN];
    if (bt_timer_parse(BT_TIMER_DATE, text, len, &d, err, sizeof err))
        fz_fail("the due time %s does not parse as a date: %s", text, err);
    if (d.at != t)
        fz_fail("the due time %s parses as %lld, not %lld", text,
                (long long)d.at, (long long)t);
}

/* Instants to start timers at: the Unix epoch, the scenarios' start,
 * the ends of the representable range, a time before 1970. */
static const int64_t starts[] = {
    0, 1767225600000LL, TIME_MIN, TIME_MAX - 1000, -2208988800000LL,
};

static void due_times(const bt_timer_spec *t, int type)
{
    const char *what = type_names[type];
    int64_t firsts[sizeof starts / sizeof *starts];
    int fixed = type == BT_TIMER_DATE ||
                (type == BT_TIMER_CYCLE && t->has_start && !t->is_cron);
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++) {
        int64_t now = starts[i], due = 0;
        int rc = bt_timer_first(t, now, &due);
        if (rc != 0 && rc != -1)
            fz_fail("%s: bt_timer_first returned %d", what, rc);
        firsts[i] = rc ? INT64_MIN : due;
        if (rc)
            continue;
        if (!in_range(due))
            fz_fail("%s: first due time %lld is out of range", what,
                    (long long)due);
        if (type == BT_TIMER_DURATION && due < now)
            fz_fail("duration: due at %lld, before its start %lld",
                    (long long)due, (long long)now);
        if (t->is_cron && due <= now)
            fz_fail("cron: due at %lld, not after %lld", (long long)due,
                    (long long)now);
        if (fixed && i && firsts[0] != INT64_MIN && due != firsts[0])
            fz_fail("%s: the first due time depends on the start (%lld, "
                    "%lld)", what, (long long)firsts[0], (long long)due);
        round_trip(due);
        if (i != 1)
            continue;
        /* Its firings from the scenarios' start on. */
        int64_t prev = due;
        for (uint32_t fired = 1; fired <= 16; fired++) {
            int64_t next = 0;
            rc = bt_timer_next(t, prev, fired, &next);
            if (rc == 0)
                break;
            if (rc != 1 && rc != -1)
                fz_fail("%s: bt_timer_next returned %d", what, rc);
            if (type != BT_TIMER_CYCLE)
                fz_fail("%s fires again after it fired", what);
            if (t->repeat >= 0 && !t->is_cron && fired >= (uint32_t)t->repeat)
                fz_fail("cycle of %d repetitions fires again after %u",
                        t->repeat, fired);
            if (rc < 0)
                break;
            if (!in_range(next) || next < prev || (t->is_cron && next == prev))
                fz_fail("cycle: due at %lld after firing at %lld",
                        (long long)next, (long long)prev);
            prev = next;
        }
    }
}

static void durations(const bt_duration *d)
{
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++) {
        int64_t out = 0;
        int rc = bt_duration_add(d, starts[i], NULL, &out);
        if (rc != 0 && rc != -1)
            fz_fail("bt_duration_add returned %d", rc);
        if (!rc && (!in_range(out) || out < starts[i]))
            fz_fail("duration added to %lld gives %lld",
                    (long long)starts[i], (long long)out);
        if (bt_timer_has_zones()) {
            rc = bt_duration_add(d, starts[i], "Europe/Berlin", &out);
            if (!rc && !in_range(out))
                fz_fail("duration added in a zone is out of range: %lld",
                        (long long)out);
        }
    }
}

int fuzz_timer_one(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    /* Its own block, so that ASan sees a read past the end. */
    char *text = malloc(size ? size : 1);
    char *err = malloc(ERR_LEN);
    size_t small_len = size ? 1 + data[0] % 24 : 1;
    char *small = malloc(small_len);
    if (!text || !err || !small)
        fz_fail("out of memory");
    memcpy(text, data, size);
    for (int type = BT_TIMER_DURATION; type <= BT_TIMER_CYCLE; type++) {
        bt_timer_spec t, again;
        memset(err, 'x', ERR_LEN);
        int rc = bt_timer_parse(type, text, size, &t, err, ERR_LEN);
        if (rc != 0 && rc != -1)
            fz_fail("bt_timer_parse returned %d", rc);
        if (rc)
            check_message(err, ERR_LEN, type_names[type]);
        memset(small, 'x', small_len);
        int rc2 = bt_timer_parse(type, text, size, &again, small, small_len);
        if (rc2 != rc)
            fz_fail("%s: %d with an error buffer of %d bytes, %d with %zu",
                    type_names[type], rc, ERR_LEN, rc2, small_len);
        if (rc2)
            check_message(small, small_len, type_names[type]);
        if (rc)
            continue;
        if (t.type != type)
            fz_fail("parsed as a %s, the spec says type %d",
                    type_names[type], t.type);
        if (!same_spec(&t, &again))
            fz_fail("%s: parsed twice, two different definitions",
                    type_names[type]);
        due_times(&t, type);
        if (type == BT_TIMER_DURATION)
            durations(&t.every);
    }
    bt_duration d;
    memset(err, 'x', ERR_LEN);
    int rc = bt_duration_parse(text, size, &d, err, ERR_LEN);
    if (rc != 0 && rc != -1)
        fz_fail("bt_duration_parse returned %d", rc);
    if (rc)
        check_message(err, ERR_LEN, "bt_duration_parse");
    else
        durations(&d);
    free(small);
    free(err);
    free(text);
    return 0;
}

FUZZ_ENTRY(fuzz_timer_one)
