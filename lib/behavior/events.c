/* Catch events' subscriptions: what a timer, message, signal or
 * conditional event waits for, worked out when its subscription opens
 * (BPMN 2.0.2 §10.5.6; as Zeebe, expressions are evaluated then, in the
 * scope of the element the subscription belongs to), and where the
 * variables of an event that occurred go. */
#include <string.h>

#include "behavior/behavior.h"

int bt_event_waits(const bt_element *e)
{
    switch (e->evdef) {
    case BT_EVDEF_TIMER:
    case BT_EVDEF_MESSAGE:
    case BT_EVDEF_SIGNAL:
    case BT_EVDEF_CONDITIONAL:
        return 1;
    default:
        return 0;
    }
}

/* A failure of `owner`'s subscriptions: resolving it opens them again. */
static int sub_fail(bt_ctx *cx, bt_ei *owner, int type, const char *fmt,
                    const char *a, const char *b)
{
    bt_cmd retry = { BT_CMD_SUBSCRIBE, owner->element, owner->key, 0 };
    return bt_fail(cx->in, &cx->fail, type, owner, 0, &retry, fmt, a, b);
}

/* Evaluates `e` in `owner`'s scope into a string in the step's scratch
 * arena; numbers are written as text when `numbers` (correlation keys, as
 * Zeebe). NULL in `*out` with a failure set when it gives anything else. */
static int eval_text(bt_ctx *cx, bt_ei *owner, const bt_element *catcher,
                     const bt_expr *e, const char *what, int numbers,
                     const char **out)
{
    bt_value_site at = { owner, catcher, what,
                         { BT_CMD_SUBSCRIBE, owner->element, owner->key, 0 } };
    return bt_value_text(cx, &at, e, numbers, out);
}

static int open_timer(bt_ctx *cx, bt_ei *owner, const bt_element *c,
                      int32_t element)
{
    baton_instance *in = cx->in;
    const bt_event_def *d = &c->event;
    bt_timer_spec parsed;
    const bt_timer_spec *spec = d->timer;
    const char *text = NULL;
    if (!spec) {
        int rc = eval_text(cx, owner, c, d->timer_expr, "timer expression",
                           0, &text);
        if (rc || !text)
            return rc;
        char err[160];
        if (bt_timer_parse(d->timer_type, text, strlen(text), &parsed, err,
                           sizeof err))
            return sub_fail(cx, owner, BT_INC_EXTRACT_VALUE,
                            "the timer of '%s' is not valid: %s", c->id, err);
        spec = &parsed;
    }
    int64_t now, due;
    int rc = bt_now(in->engine, &now);
    if (rc)
        return rc;
    if (bt_timer_first(spec, now, &due))
        return sub_fail(cx, owner, BT_INC_EXTRACT_VALUE,
                        "the timer of '%s' never falls due%s", c->id,
                        " (no repetition, or beyond year 9999)");
    /* A cycle whose start is past fires now, and on from now (as Zeebe):
     * the repetitions it missed before the timer existed are not
     * replayed. */
    if (spec->type == BT_TIMER_CYCLE && due < now)
        due = now;
    bt_sub *s = bt_sub_add(in, owner, BT_SUB_TIMER, element, text, NULL,
                           due);
    if (!s)
        return BATON_ENOMEM;
    s->repeat = spec->type == BT_TIMER_CYCLE ? spec->repeat : 1;
    return bt_sub_announce_open(in, s);
}

static int open_named(bt_ctx *cx, bt_ei *owner, const bt_element *c,
                      int32_t element, int kind)
{
    baton_instance *in = cx->in;
    const bt_event_def *d = &c->event;
    const char *name = d->name, *corr = NULL;
    int rc = 0;
    if (!name)
        rc = eval_text(cx, owner, c, d->name_expr,
                       kind == BT_SUB_MESSAGE ? "message name"
                                              : "signal name",
                       0, &name);
    if (!rc && name && kind == BT_SUB_MESSAGE && d->correlation_key)
        rc = eval_text(cx, owner, c, d->correlation_key, "correlation key",
                       1, &corr);
    if (rc || !name || (d->correlation_key && kind == BT_SUB_MESSAGE &&
                        !corr))
        return rc;
    bt_sub *s = bt_sub_add(in, owner, kind, element, name, corr, 0);
    return s ? bt_sub_announce_open(in, s) : BATON_ENOMEM;
}

int bt_event_name(bt_ctx *cx, bt_ei *owner, const bt_element *c,
                  const char **out)
{
    *out = c->event.name;
    if (*out)
        return 0;
    return eval_text(cx, owner, c, c->event.name_expr,
                     c->evdef == BT_EVDEF_MESSAGE ? "message name"
                                                  : "signal name",
                     0, out);
}

int bt_event_subscribe(bt_ctx *cx, bt_ei *owner, int32_t element)
{
    baton_instance *in = cx->in;
    const bt_element *c = &owner->proc->elements[element];
    /* A receive task waits for its message as a message catch does. */
    switch (c->kind == BT_RECEIVE_TASK ? BT_EVDEF_MESSAGE : c->evdef) {
    case BT_EVDEF_TIMER:
        return open_timer(cx, owner, c, element);
    case BT_EVDEF_MESSAGE:
        return open_named(cx, owner, c, element, BT_SUB_MESSAGE);
    case BT_EVDEF_SIGNAL:
        return open_named(cx, owner, c, element, BT_SUB_SIGNAL);
    case BT_EVDEF_CONDITIONAL: {
        /* Its condition may hold already: it alone is evaluated at the
         * next step (the others' did not change). The command is one
         * more than the two every transition has room for. */
        if (bt_reserve(in, 0, 0, 3, 0))
            return BATON_ENOMEM;
        bt_sub *s = bt_sub_add(in, owner, BT_SUB_CONDITION, element, NULL,
                               NULL, 0);
        if (!s || bt_sub_announce_open(in, s))
            return BATON_ENOMEM;
        bt_push_cmd(in, BT_CMD_CONDITIONS, BT_COND_ONE, s->key, 0);
        return 0;
    }
    default:
        return 0;
    }
}

int bt_event_payload(bt_ctx *cx, bt_ei *ei, json_t *payload)
{
    if (!payload || !json_object_size(payload))
        return 0;
    return bt_ei_el(ei)->n_outputs
               ? bt_var_set_all_local(cx->in, cx->log, ei, payload)
               : bt_var_propagate(cx->in, cx->log, ei, payload);
}

int bt_event_condition(bt_ctx *cx, bt_ei *owner, const bt_element *catcher,
                       uint64_t key, int *met)
{
    bt_eval_ctx ctx = { owner, NULL, "" };
    json_t *v;
    *met = 0;
    if (bt_eval(cx->in, &ctx, catcher->event.condition, &v))
        return BATON_ENOMEM;
    int kind = json_typeof(v);
    json_decref(v);
    if (kind == JSON_TRUE || kind == JSON_FALSE) {
        *met = kind == JSON_TRUE;
        return 0;
    }
    /* Resolved, it is evaluated again, alone. */
    bt_cmd retry = { BT_CMD_CONDITIONS, BT_COND_RETRY, key, 0 };
    return bt_fail(cx->in, &cx->fail, BT_INC_CONDITION, owner, 0, &retry,
                   "expected the condition of '%s' (%s) to be a boolean, but "
                   "it was %s" BT_WHY_FMT,
                   catcher->id, bt_expr_text(catcher->event.condition),
                   kind == JSON_NULL ? "null" : "not a boolean", BT_WHY(&ctx));
}
