/* Events from the host: the instance's next wake-up time, its open
 * subscriptions, and correlating messages and delivering signals. A
 * message or signal that matches is acted on at the next step (a TRIGGER
 * command): the call only records that it occurred, so that it stays one
 * transaction that cannot half happen. */
#include <string.h>

#include "api/api.h"

int baton_instance_next_due(const baton_instance *in, int64_t *due)
{
    if (!in)
        return BATON_EINVAL;
    if (!due)
        return bt_error(in->engine, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_next_due needs an output");
    return in->ended ? 0 : bt_next_due(in, due);
}

/* ---- listing ------------------------------------------------------ */

/* The index-th open subscription, oldest first: from where the last
 * call stopped when that is still valid and not past `index`, so that
 * listing them all costs one step each (as baton_instance_job()). */
static const bt_sub *open_at(const baton_instance *in, size_t index)
{
    if (!in || index >= in->n_open_subs)
        return NULL;
    baton_instance *w = (baton_instance *)in; /* the cursor only */
    const bt_sub *s = in->oldest_sub;
    size_t at = 0;
    if (in->sub_cursor && in->sub_cursor_epoch == in->sub_epoch &&
        in->sub_cursor_index <= index) {
        s = in->sub_cursor;
        at = in->sub_cursor_index;
    }
    for (; s; s = s->newer) {
        if (s->gone || s->state != BT_SUB_OPEN)
            continue;
        if (at == index) {
            w->sub_cursor = s;
            w->sub_cursor_index = at;
            w->sub_cursor_epoch = in->sub_epoch;
            return s;
        }
        at++;
    }
    return NULL;
}

size_t baton_instance_subscription_count(const baton_instance *in)
{
    return in ? in->n_open_subs : 0;
}

int baton_instance_subscription_kind(const baton_instance *in, size_t i)
{
    const bt_sub *s = open_at(in, i);
    return s ? s->kind : -1;
}

uint64_t baton_instance_subscription_key(const baton_instance *in, size_t i)
{
    const bt_sub *s = open_at(in, i);
    return s ? s->key : 0;
}

const char *baton_instance_subscription_element_id(const baton_instance *in,
                                                   size_t i)
{
    const bt_sub *s = open_at(in, i);
    if (!s)
        return NULL;
    const bt_ei *owner = bt_ei_find(in, s->ei_key);
    return (owner ? owner->proc : in->proc)->elements[s->element].id;
}

uint64_t baton_instance_subscription_element_instance_key(
    const baton_instance *in, size_t i)
{
    const bt_sub *s = open_at(in, i);
    return s ? s->ei_key : 0;
}

const char *baton_instance_subscription_name(const baton_instance *in,
                                             size_t i)
{
    const bt_sub *s = open_at(in, i);
    return s && s->kind != BT_SUB_TIMER ? s->name : NULL;
}

const char *baton_instance_subscription_correlation_key(
    const baton_instance *in, size_t i)
{
    const bt_sub *s = open_at(in, i);
    return s ? s->corr : NULL;
}

int64_t baton_instance_subscription_due(const baton_instance *in, size_t i)
{
    const bt_sub *s = open_at(in, i);
    return s && s->kind == BT_SUB_TIMER ? s->due : 0;
}

/* ---- delivering events -------------------------------------------- */

typedef struct deliver_arg {
    int kind; /* BT_SUB_MESSAGE or BT_SUB_SIGNAL */
    const char *name;
    const char *corr;
    json_t *vars;
    int matched;
} deliver_arg;

static int matches(const bt_sub *s, const deliver_arg *d)
{
    return !s->gone && s->state == BT_SUB_OPEN && s->kind == d->kind &&
           strcmp(s->name, d->name) == 0 &&
           (d->kind != BT_SUB_MESSAGE || !s->corr ||
            strcmp(s->corr, d->corr ? d->corr : "") == 0);
}

/* Whether the catch of `s` fires once: everything but a non-interrupting
 * boundary event or event subprocess start, which keep waiting. */
static int fires_once(const baton_instance *in, const bt_sub *s)
{
    const bt_ei *owner = bt_ei_find(in, s->ei_key);
    const bt_element *c = &owner->proc->elements[s->element];
    if (s->element == owner->element ||
        (owner->element >= 0 &&
         bt_ei_el(owner)->kind == BT_EVENT_BASED_GATEWAY))
        return 1;
    return c->kind == BT_BOUNDARY_EVENT ? c->event.cancel_activity
                                        : c->event.interrupting;
}

/* Announces that the message of `s` arrived (the subscription's records
 * carry the message's variables). */
static int correlated(baton_instance *in, const bt_sub *s, json_t *vars)
{
    int vts[2] = { BATON_VT_MESSAGE_SUBSCRIPTION,
                   BATON_VT_PROCESS_MESSAGE_SUBSCRIPTION };
    for (int k = 0; k < 2; k++) {
        struct baton_record *r =
            bt_rec_sub(in, vts[k], BATON_INTENT_CORRELATED, s);
        if (!r)
            return BATON_ENOMEM;
        r->u.sub.vars = json_incref(vars);
    }
    return 0;
}

static int deliver(bt_ctx *cx, void *p)
{
    deliver_arg *d = p;
    baton_instance *in = cx->in;
    /* First what matches (a message: the oldest; a signal: all), then
     * their triggered entries, then, with nothing left to fail, their
     * states and commands. */
    size_t count = 0;
    for (const bt_sub *s = in->oldest_sub; s; s = s->newer)
        if (matches(s, d) && (++count, d->kind == BT_SUB_MESSAGE))
            break;
    if (!count)
        return 0;
    if (bt_reserve_keys(in, count + BT_KEYS_PER_STEP))
        return BATON_ELIMIT;
    if (bt_reserve(in, 0, 0, count, 0))
        return BATON_ENOMEM;
    bt_sub *last = in->newest_sub; /* the entries come after it */
    for (bt_sub *s = in->oldest_sub; s; s = s == last ? NULL : s->newer) {
        if (!matches(s, d))
            continue;
        if (d->kind == BT_SUB_MESSAGE && correlated(in, s, d->vars))
            return BATON_ENOMEM;
        bt_sub *t = bt_sub_add_triggered(in, bt_ei_find(in, s->ei_key),
                                         s->element, d->vars);
        if (!t)
            return BATON_ENOMEM;
        t->source = s->key;
        if (d->kind == BT_SUB_MESSAGE)
            break;
    }
    for (const bt_sub *t = last->newer; t; t = t->newer) {
        bt_sub *s = bt_sub_find(in, t->source);
        bt_push_cmd(in, BT_CMD_TRIGGER, t->element, s->ei_key, t->key);
        if (fires_once(in, s))
            bt_sub_set_state(in, s, BT_SUB_PENDING);
        d->matched++;
    }
    return 0;
}

static int deliver_call(baton_instance *in, deliver_arg *d, const char *vars,
                        size_t len, const char *what)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_call_begin(e);
    if (!d->name)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "a %s needs a name", what);
    if (in->ended)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "the instance has already ended");
    int busy = bt_instance_busy(in);
    if (busy)
        return busy;
    if (vars) {
        int rc = bt_json_parse(e, vars, len, 1, "variables", &d->vars);
        if (rc)
            return rc;
    }
    /* Nothing waits for it: nothing changes, not even the revision. */
    int any = 0;
    for (const bt_sub *s = in->oldest_sub; !any && s; s = s->newer)
        any = matches(s, d);
    int rc = any ? bt_transact(in, 0, deliver, d) : 0;
    json_decref(d->vars);
    return rc ? rc : d->matched;
}

int baton_instance_correlate_message(baton_instance *in, const char *name,
                                     const char *correlation_key,
                                     const char *vars, size_t len)
{
    deliver_arg d = { BT_SUB_MESSAGE, name, correlation_key, NULL, 0 };
    return deliver_call(in, &d, vars, len, "message");
}

int baton_instance_signal(baton_instance *in, const char *name,
                          const char *vars, size_t len)
{
    deliver_arg d = { BT_SUB_SIGNAL, name, NULL, NULL, 0 };
    return deliver_call(in, &d, vars, len, "signal");
}
