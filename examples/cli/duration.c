/* Durations of the store commands (--ttl, --lease, --lock, --backoff):
 * an ISO 8601 duration of fixed length, or plain milliseconds. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Every duration stays below 10000 years of days, as the library's timer
 * durations do; no sum or product below can overflow int64_t. */
#define DAY_MS INT64_C(86400000)
#define MAX_MS (INT64_C(3652425) * DAY_MS)

static char up(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Digits at `*p`, saturating above MAX_MS. Returns the number of digits. */
static int digits(const char **p, int64_t *v)
{
    int n = 0;

    *v = 0;
    for (; is_digit(**p); (*p)++, n++)
        if (*v <= MAX_MS)
            *v = *v * 10 + (**p - '0');
    return n;
}

int cli_duration_ms(const char *text, int64_t *out, char *why, size_t size)
{
    static const char *const fixed =
        "years and months have no fixed length: use weeks or days "
        "(P30D)";
    const char *p = text;
    int64_t total = 0, v;
    int in_time = 0, parts = 0, time_parts = 0;
    /* The next unit allowed: W D, then H M S after 'T'. */
    const char *order = "WD", *at;

    *out = 0;
    if (!*p) {
        snprintf(why, size, "empty duration");
        return -1;
    }
    if (is_digit(*p)) { /* plain milliseconds */
        digits(&p, &v);
        if (*p) {
            snprintf(why, size, "expected an ISO 8601 duration such as "
                     "PT30S or P1D, or milliseconds");
            return -1;
        }
        if (v > MAX_MS) {
            snprintf(why, size, "the duration is longer than 9999 years");
            return -1;
        }
        *out = v;
        return 0;
    }
    if (*p == '-') {
        snprintf(why, size, "a duration cannot be negative");
        return -1;
    }
    if (up(*p) != 'P') {
        snprintf(why, size, "expected an ISO 8601 duration such as PT30S "
                 "or P1D, or milliseconds");
        return -1;
    }
    for (p++; *p;) {
        int64_t frac = 0, unit;
        char letter;

        if (up(*p) == 'T' && !in_time) {
            in_time = 1;
            order = "HMS";
            p++;
            continue;
        }
        if (!is_digit(*p)) {
            snprintf(why, size, "expected a number in the duration");
            return -1;
        }
        digits(&p, &v);
        if (*p == '.' || *p == ',') {
            int n = 0;
            for (p++; is_digit(*p); p++, n++)
                if (n < 3)
                    frac = frac * 10 + (*p - '0');
            if (n == 0 || n > 9) {
                snprintf(why, size, "expected 1 to 9 digits after the "
                         "decimal point");
                return -1;
            }
            for (; n < 3; n++)
                frac *= 10;
            if (up(*p) != 'S' || !in_time) {
                snprintf(why, size, "only seconds can have a fraction");
                return -1;
            }
        }
        letter = up(*p);
        if (!in_time && (letter == 'Y' || letter == 'M')) {
            snprintf(why, size, "%s", fixed);
            return -1;
        }
        if (in_time && letter == 'Y') {
            snprintf(why, size, "%s", fixed);
            return -1;
        }
        at = letter ? strchr(order, letter) : NULL;
        if (!at) {
            snprintf(why, size, in_time
                     ? "expected H, M or S after a number, in that order"
                     : "expected W or D after a number, in that order "
                       "(hours, minutes and seconds follow 'T')");
            return -1;
        }
        order = at + 1;
        switch (letter) {
        case 'W': unit = 7 * DAY_MS; break;
        case 'D': unit = DAY_MS; break;
        case 'H': unit = 3600000; break;
        case 'M': unit = 60000; break;
        default: unit = 1000; break;
        }
        if (v > MAX_MS / unit || total + v * unit + frac > MAX_MS) {
            snprintf(why, size, "the duration is longer than 9999 years");
            return -1;
        }
        total += v * unit + frac;
        p++;
        parts++;
        time_parts += in_time;
    }
    if (!parts) {
        snprintf(why, size, "the duration has no part");
        return -1;
    }
    if (in_time && !time_parts) {
        snprintf(why, size, "'T' has no time part after it");
        return -1;
    }
    *out = total;
    return 0;
}
