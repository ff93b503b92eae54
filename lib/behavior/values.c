/* Values that elements need from their expressions (a timer, a message
 * name, a correlation key, a job's type and retries, a thrown code):
 * evaluated in the element instance's scope when needed, as Zeebe does,
 * and a value of the wrong kind raised as an EXTRACT_VALUE_ERROR
 * incident whose message says what came instead, and why the
 * evaluation gave null when it did. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "behavior/behavior.h"

static const char *kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL: return "null";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_STRING: return "a string";
    case JSON_ARRAY: return "a list";
    default: return "a context";
    }
}

static int wrong(bt_ctx *cx, const bt_value_site *at, const bt_expr *e,
                 const bt_eval_ctx *ctx, const json_t *v, const char *want)
{
    return bt_fail(cx->in, &cx->fail, BT_INC_EXTRACT_VALUE, at->ei, 0,
                   &at->retry,
                   "the %s of '%s' (%s) gave %s, not %s" BT_WHY_FMT,
                   at->what, at->el->id, bt_expr_text(e), kind_of(v), want,
                   BT_WHY(ctx));
}

/* A number that is whole and within int64_t, in `*out`. */
static int whole(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 1;
    }
    double d = json_is_real(v) ? json_real_value(v) : NAN;
    /* 2^63 is the first double past INT64_MAX. */
    if (!(d == floor(d) && d >= -9223372036854775808.0 &&
          d < 9223372036854775808.0))
        return 0;
    *out = (int64_t)d;
    return 1;
}

int bt_value_text(bt_ctx *cx, const bt_value_site *at, const bt_expr *e,
                  int numbers, const char **out)
{
    bt_eval_ctx ctx = { at->ei, NULL, "" };
    json_t *v;
    *out = NULL;
    int rc = bt_eval(cx->in, &ctx, e, &v);
    if (rc)
        return rc;
    char num[32];
    const char *text = json_string_value(v);
    int64_t n;
    if (!text && numbers && whole(v, &n)) {
        snprintf(num, sizeof num, "%" PRId64, n);
        text = num;
    }
    if (text) {
        *out = bt_scratch_strdup(cx->in, text);
        rc = *out ? 0 : BATON_ENOMEM;
    } else {
        rc = wrong(cx, at, e, &ctx, v,
                   numbers ? "a string or a number" : "a string");
    }
    json_decref(v);
    return rc;
}

int bt_value_whole(bt_ctx *cx, const bt_value_site *at, const bt_expr *e,
                   int64_t min, int64_t max, int64_t *out)
{
    bt_eval_ctx ctx = { at->ei, NULL, "" };
    json_t *v;
    int rc = bt_eval(cx->in, &ctx, e, &v);
    if (rc)
        return rc;
    if (whole(v, out) && *out >= min && *out <= max) {
        json_decref(v);
        return 0;
    }
    char want[80];
    snprintf(want, sizeof want, "a whole number from %" PRId64 " to %" PRId64,
             min, max);
    /* A number is the right kind, but not a value it can take. */
    const char *got =
        !json_is_number(v) ? NULL
        : json_is_real(v) && json_real_value(v) != floor(json_real_value(v))
            ? "a number with a fraction"
            : "a number out of range";
    rc = got ? bt_fail(cx->in, &cx->fail, BT_INC_EXTRACT_VALUE, at->ei, 0,
                       &at->retry, "the %s of '%s' (%s) gave %s, not %s",
                       at->what, at->el->id, bt_expr_text(e), got, want)
             : wrong(cx, at, e, &ctx, v, want);
    json_decref(v);
    return rc;
}
