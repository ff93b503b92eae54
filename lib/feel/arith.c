/* FEEL's operators on values: arithmetic over numbers, strings, temporal
 * values and durations (DMN 1.4 §10.3.2.3, Table 57), and comparison. A
 * result that does not fit its operands is null, with the reason. */
#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"

/* ---- arithmetic (DMN 1.4 §10.3.2.3, Table 57) ---------------------------- */

static int num_op(fv_cx *cx, int op, const bt_dec *a, const bt_dec *b,
                  const fv **out)
{
    bt_dec r;
    int rc;
    switch (op) {
    case T_PLUS: rc = bt_dec_add(&r, a, b); break;
    case T_MINUS: rc = bt_dec_sub(&r, a, b); break;
    case T_STAR: rc = bt_dec_mul(&r, a, b); break;
    case T_SLASH: rc = bt_dec_div(&r, a, b); break;
    case T_POW: rc = bt_dec_pow(&r, a, b); break;
    default: { /* JUEL's %: the remainder takes the dividend's sign */
        bt_dec q;
        rc = bt_dec_div(&q, a, b);
        if (!rc)
            rc = bt_dec_round(&q, &q, 0, BT_ROUND_DOWN);
        if (!rc)
            rc = bt_dec_mul(&q, &q, b);
        if (!rc)
            rc = bt_dec_sub(&r, a, &q);
    }
    }
    if (rc)
        return fv_null_because(cx, out, "%s%s",
                            rc == BT_DEC_OVERFLOW ? "number overflow"
                                                  : "undefined arithmetic "
                                                    "(division by zero?)",
                            "");
    return fv_made(cx, fv_num(cx, &r), out);
}

static int concat(fv_cx *cx, const fv *a, const fv *b, const fv **out)
{
    size_t n = a->u.str.n + b->u.str.n;
    if (fv_spend(cx, n / 64))
        return fv_null_because(cx, out, "%s%s", "string too long", "");
    char *s = fv_alloc(cx, n + 1);
    if (!s)
        return fv_oom(cx);
    memcpy(s, a->u.str.s, a->u.str.n);
    memcpy(s + a->u.str.n, b->u.str.s, b->u.str.n);
    return fv_made(cx, fv_str_take(cx, s, n), out);
}

static bt_fdt midnight(const bt_fdate *d)
{
    bt_fdt dt;
    memset(&dt, 0, sizeof dt);
    dt.date = *d;
    return dt;
}

/* A duration times or divided by a number. */
static int dur_scale(fv_cx *cx, int op, const fv *d, const bt_dec *k,
                     const fv **out)
{
    bt_dec x, r;
    if (d->kind == FV_YMDUR)
        bt_dec_from_int(&x, d->u.months);
    else {
        bt_dec s, ns, g;
        bt_dec_from_int(&s, d->u.dtdur.secs);
        bt_dec_from_int(&ns, d->u.dtdur.nanos);
        bt_dec_from_int(&g, 1000000000);
        if (bt_dec_mul(&x, &s, &g) || bt_dec_add(&x, &x, &ns))
            return fv_null_because(cx, out, "%s%s", "duration overflow", "");
    }
    int rc = op == T_STAR ? bt_dec_mul(&r, &x, k) : bt_dec_div(&r, &x, k);
    if (!rc)
        rc = bt_dec_round(&r, &r, 0, BT_ROUND_DOWN);
    int64_t v;
    if (rc || !bt_dec_to_int(&r, &v))
        return fv_null_because(cx, out, "%s%s", "duration out of range", "");
    if (d->kind == FV_YMDUR)
        return fv_made(cx, fv_ymdur(cx, v), out);
    bt_dtdur dd = { v / 1000000000, (int32_t)(v % 1000000000) };
    return fv_made(cx, fv_dtdur(cx, &dd), out);
}

/* duration / duration of one kind: a number. */
static int dur_ratio(fv_cx *cx, const fv *a, const fv *b, const fv **out)
{
    bt_dec x, y, r, g;
    bt_dec_from_int(&g, 1000000000);
    if (a->kind == FV_YMDUR) {
        bt_dec_from_int(&x, a->u.months);
        bt_dec_from_int(&y, b->u.months);
    } else {
        bt_dec ns;
        bt_dec_from_int(&x, a->u.dtdur.secs);
        bt_dec_from_int(&ns, a->u.dtdur.nanos);
        if (bt_dec_mul(&x, &x, &g) || bt_dec_add(&x, &x, &ns))
            return fv_null_because(cx, out, "%s%s", "duration overflow", "");
        bt_dec_from_int(&y, b->u.dtdur.secs);
        bt_dec_from_int(&ns, b->u.dtdur.nanos);
        if (bt_dec_mul(&y, &y, &g) || bt_dec_add(&y, &y, &ns))
            return fv_null_because(cx, out, "%s%s", "duration overflow", "");
    }
    if (bt_dec_div(&r, &x, &y))
        return fv_null_because(cx, out, "%s%s", "division by a zero duration", "");
    return fv_made(cx, fv_num(cx, &r), out);
}

/* A point in time (date, time, date and time) moved by a duration. */
static int shift(fv_cx *cx, const fv *t, const fv *d, int sign, const fv **out)
{
    bt_fdt dt, r;
    int rc;
    if (t->kind == FV_TIME) {
        if (d->kind != FV_DTDUR)
            return fv_null_because(cx, out, "%s%s", "a time moves only by a days "
                                "and time duration", "");
        bt_ftime tr;
        if (bt_t_time_add_dtdur(&t->u.time, &d->u.dtdur, sign, &tr))
            return fv_null_because(cx, out, "%s%s", "time out of range", "");
        return fv_made(cx, fv_time(cx, &tr), out);
    }
    dt = t->kind == FV_DATE ? midnight(&t->u.date) : t->u.dt;
    if (d->kind == FV_DTDUR)
        rc = bt_t_dt_add_dtdur(&dt, &d->u.dtdur, sign, &r);
    else if (d->u.months == INT64_MIN)
        rc = 1;
    else
        rc = bt_t_dt_add_months(&dt, sign * d->u.months, &r);
    if (rc)
        return fv_null_because(cx, out, "%s%s", "date out of range", "");
    if (t->kind == FV_DATE)
        return fv_made(cx, fv_date(cx, &r.date), out);
    return fv_made(cx, fv_dt(cx, &r), out);
}

static int is_point(int k) { return k == FV_DATE || k == FV_TIME || k == FV_DT; }
static int is_dur(int k) { return k == FV_DTDUR || k == FV_YMDUR; }

static int difference(fv_cx *cx, const fv *a, const fv *b, const fv **out)
{
    bt_dtdur d;
    int rc;
    if (a->kind == FV_TIME || b->kind == FV_TIME) {
        if (a->kind != b->kind)
            return fv_null_because(cx, out, "can't subtract a %s from a %s",
                                fv_type_name(b), fv_type_name(a));
        rc = bt_t_time_sub(&a->u.time, &b->u.time, &d);
    } else {
        bt_fdt x = a->kind == FV_DATE ? midnight(&a->u.date) : a->u.dt;
        bt_fdt y = b->kind == FV_DATE ? midnight(&b->u.date) : b->u.dt;
        rc = bt_t_dt_sub(&x, &y, &d);
    }
    if (rc)
        return fv_null_because(cx, out, "%s%s", "can't subtract a local date and "
                            "time from one with a zone, or back", "");
    return fv_made(cx, fv_dtdur(cx, &d), out);
}

static const char *op_name(int op)
{
    switch (op) {
    case T_PLUS: return "add";
    case T_MINUS: return "subtract";
    case T_STAR: return "multiply";
    case T_SLASH: return "divide";
    case T_POW: return "raise";
    default: return "take the remainder of";
    }
}

int bt_feel_arith(fv_cx *cx, int op, const fv *a, const fv *b, const fv **out)
{
    int ka = a->kind, kb = b->kind;
    if (ka == FV_NULL || kb == FV_NULL) {
        *out = fv_null();
        return 0;
    }
    if (ka == FV_NUM && kb == FV_NUM)
        return num_op(cx, op, &a->u.num, &b->u.num, out);
    switch (op) {
    case T_PLUS:
        if (ka == FV_STR && kb == FV_STR)
            return concat(cx, a, b, out);
        if (is_point(ka) && is_dur(kb))
            return shift(cx, a, b, 1, out);
        if (is_dur(ka) && is_point(kb))
            return shift(cx, b, a, 1, out);
        /* fall through */
    case T_MINUS:
        if (op == T_MINUS && is_point(ka) && is_dur(kb))
            return shift(cx, a, b, -1, out);
        if (op == T_MINUS && is_point(ka) && is_point(kb) &&
            (ka == FV_TIME) == (kb == FV_TIME))
            return difference(cx, a, b, out);
        if (ka == FV_DTDUR && kb == FV_DTDUR) {
            bt_dtdur r;
            if (bt_t_dtdur_add(&a->u.dtdur, &b->u.dtdur,
                               op == T_PLUS ? 1 : -1, &r))
                return fv_null_because(cx, out, "%s%s", "duration overflow", "");
            return fv_made(cx, fv_dtdur(cx, &r), out);
        }
        if (ka == FV_YMDUR && kb == FV_YMDUR) {
            int64_t r;
            if (op == T_PLUS ? __builtin_add_overflow(a->u.months,
                                                      b->u.months, &r)
                             : __builtin_sub_overflow(a->u.months,
                                                      b->u.months, &r))
                return fv_null_because(cx, out, "%s%s", "duration overflow", "");
            return fv_made(cx, fv_ymdur(cx, r), out);
        }
        break;
    case T_STAR:
        if (is_dur(ka) && kb == FV_NUM)
            return dur_scale(cx, op, a, &b->u.num, out);
        if (ka == FV_NUM && is_dur(kb))
            return dur_scale(cx, op, b, &a->u.num, out);
        break;
    case T_SLASH:
        if (is_dur(ka) && kb == FV_NUM)
            return dur_scale(cx, op, a, &b->u.num, out);
        if (is_dur(ka) && ka == kb)
            return dur_ratio(cx, a, b, out);
        break;
    }
    fv_why(cx, "can't %s a %s and a %s", op_name(op), fv_type_name(a),
           fv_type_name(b));
    *out = fv_null();
    return 0;
}

/* ---- comparison -------------------------------------------------------- */

/* a op b: 1, 0, or -1 for null. */
int bt_feel_compare(fv_cx *cx, int op, const fv *a, const fv *b)
{
    if (op == T_EQ || op == T_NE) {
        int r = fv_eq(a, b);
        if (r < 0) {
            fv_why(cx, "can't compare a %s with a %s", fv_type_name(a),
                   fv_type_name(b));
            return -1;
        }
        return op == T_EQ ? r : !r;
    }
    int c = fv_cmp(a, b);
    if (c == 2) {
        if (a->kind != FV_NULL && b->kind != FV_NULL)
            fv_why(cx, "can't order a %s and a %s", fv_type_name(a),
                   fv_type_name(b));
        return -1;
    }
    switch (op) {
    case T_LT: return c < 0;
    case T_LE: return c <= 0;
    case T_GT: return c > 0;
    default: return c >= 0;
    }
}

const fv *bt_feel_tri(int r)
{
    return r < 0 ? fv_null() : fv_bool(r);
}

