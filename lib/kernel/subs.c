/* Subscriptions: the table of what element instances wait for (timers,
 * messages, signals, conditions) and of events that occurred and wait
 * for the element they start. Closing is deferred to the end of the
 * transaction, so that a transition may close subscriptions anywhere and
 * a failure still puts every one back. The table is small (what one
 * instance waits for), so lookups scan it; an element instance counts
 * its own, so ending one that has none costs nothing here. */
#include <string.h>

#include "kernel/instance.h"

void bt_sub_free_strings(const bt_alloc *a, bt_sub *s)
{
    bt_free(a, s->name);
    bt_free(a, s->corr);
    json_decref(s->payload);
    s->name = s->corr = NULL;
    s->payload = NULL;
}

/* Counts a subscription in or out: on its element instance, and by
 * kind when open. */
static void count(baton_instance *in, const bt_sub *s, int delta)
{
    bt_ei *owner = bt_ei_find(in, s->ei_key);
    if (owner)
        owner->n_subs += (uint32_t)delta;
    if (s->state != BT_SUB_OPEN)
        return;
    in->n_open_subs += (uint32_t)delta;
    if (s->kind == BT_SUB_TIMER)
        in->n_timer_subs += (uint32_t)delta;
    else if (s->kind == BT_SUB_CONDITION)
        in->n_cond_subs += (uint32_t)delta;
}

static bt_sub *push(baton_instance *in, char *name, char *corr)
{
    const bt_alloc *a = &in->engine->alloc;
    if (bt_grow(a, (void **)&in->subs, &in->cap_subs, in->n_subs + 1,
                sizeof *in->subs)) {
        bt_free(a, name);
        bt_free(a, corr);
        return NULL;
    }
    bt_sub *s = &in->subs[in->n_subs++];
    memset(s, 0, sizeof *s);
    s->key = in->next_key++;
    s->name = name;
    s->corr = corr;
    s->repeat = -1;
    return s;
}

bt_sub *bt_sub_add(baton_instance *in, bt_ei *owner, int kind,
                   int32_t element, const char *name, const char *corr)
{
    const bt_alloc *a = &in->engine->alloc;
    char *n = name ? bt_strdup(a, name) : NULL;
    char *c = corr ? bt_strdup(a, corr) : NULL;
    if ((name && !n) || (corr && !c)) {
        bt_free(a, n);
        bt_free(a, c);
        return NULL;
    }
    bt_sub *s = push(in, n, c);
    if (!s)
        return NULL;
    s->kind = (uint8_t)kind;
    s->state = BT_SUB_OPEN;
    s->element = element;
    s->ei_key = owner->key;
    count(in, s, 1);
    return s;
}

bt_sub *bt_sub_add_triggered(baton_instance *in, bt_ei *scope,
                             int32_t element, json_t *payload)
{
    bt_sub *s = push(in, NULL, NULL);
    if (!s)
        return NULL;
    s->state = BT_SUB_TRIGGERED;
    s->element = element;
    s->ei_key = scope->key;
    s->payload = json_incref(payload);
    count(in, s, 1);
    return s;
}

bt_sub *bt_sub_restore(baton_instance *in, const bt_sub *src)
{
    const bt_alloc *a = &in->engine->alloc;
    if (bt_grow(a, (void **)&in->subs, &in->cap_subs, in->n_subs + 1,
                sizeof *in->subs)) {
        bt_sub tmp = *src;
        bt_sub_free_strings(a, &tmp);
        return NULL;
    }
    bt_sub *s = &in->subs[in->n_subs++];
    *s = *src;
    s->gone = 0;
    count(in, s, 1);
    return s;
}

void bt_sub_set_state(baton_instance *in, bt_sub *s, int state)
{
    count(in, s, -1);
    s->state = (uint8_t)state;
    count(in, s, 1);
}

void bt_subs_truncate(baton_instance *in, size_t n)
{
    const bt_alloc *a = &in->engine->alloc;
    while (in->n_subs > n) {
        bt_sub *s = &in->subs[--in->n_subs];
        if (s->gone)
            in->n_gone_subs--;
        else
            count(in, s, -1);
        bt_sub_free_strings(a, s);
    }
}

bt_sub *bt_sub_find(const baton_instance *in, uint64_t key)
{
    for (size_t i = 0; i < in->n_subs; i++)
        if (in->subs[i].key == key && !in->subs[i].gone)
            return &in->subs[i];
    return NULL;
}

void bt_sub_close(baton_instance *in, bt_sub *s)
{
    if (s->gone)
        return;
    count(in, s, -1);
    s->gone = 1;
    in->n_gone_subs++;
}

struct baton_record *bt_rec_sub(baton_instance *in, int value_type,
                                int intent, const bt_sub *s)
{
    struct baton_record *r = bt_rec_push(in, value_type, intent, s->key);
    if (!r)
        return NULL;
    const bt_ei *owner = bt_ei_find(in, s->ei_key);
    r->proc = owner ? owner->proc : in->proc;
    r->element = &r->proc->elements[s->element];
    r->element_instance_key = s->ei_key;
    r->u.sub.due = s->due;
    r->u.sub.repetitions =
        s->repeat < 0 ? -1 : s->repeat - (int32_t)s->fired;
    if ((s->name && !(r->u.sub.name = bt_scratch_strdup(in, s->name))) ||
        (s->corr && !(r->u.sub.corr = bt_scratch_strdup(in, s->corr))))
        return NULL;
    if (s->kind == BT_SUB_TIMER)
        r->u.sub.name = NULL; /* a timer's text is not a name */
    return r;
}

/* The records of a subscription opening or ending, by kind. */
static int announce(baton_instance *in, const bt_sub *s, int open)
{
    switch (s->kind) {
    case BT_SUB_TIMER:
        return bt_rec_sub(in, BATON_VT_TIMER,
                          open ? BATON_INTENT_CREATED : BATON_INTENT_CANCELED,
                          s)
                   ? 0
                   : BATON_ENOMEM;
    case BT_SUB_MESSAGE: {
        int intent = open ? BATON_INTENT_CREATED : BATON_INTENT_DELETED;
        return bt_rec_sub(in, BATON_VT_PROCESS_MESSAGE_SUBSCRIPTION, intent,
                          s) &&
                       bt_rec_sub(in, BATON_VT_MESSAGE_SUBSCRIPTION, intent,
                                  s)
                   ? 0
                   : BATON_ENOMEM;
    }
    case BT_SUB_SIGNAL:
        return bt_rec_sub(in, BATON_VT_SIGNAL_SUBSCRIPTION,
                          open ? BATON_INTENT_CREATED : BATON_INTENT_DELETED,
                          s)
                   ? 0
                   : BATON_ENOMEM;
    default:
        return bt_rec_sub(in, BATON_VT_CONDITIONAL_SUBSCRIPTION,
                          open ? BATON_INTENT_CREATED : BATON_INTENT_DELETED,
                          s)
                   ? 0
                   : BATON_ENOMEM;
    }
}

int bt_sub_announce_open(baton_instance *in, const bt_sub *s)
{
    return announce(in, s, 1);
}

int bt_sub_announce_end(baton_instance *in, const bt_sub *s)
{
    return announce(in, s, 0);
}

static int is_start_sub(const baton_instance *in, const bt_sub *s)
{
    const bt_ei *owner = bt_ei_find(in, s->ei_key);
    const bt_process *p = owner ? owner->proc : in->proc;
    return p->elements[s->element].kind == BT_START_EVENT;
}

int bt_sub_close_owned(baton_instance *in, bt_ei *owner, int starts_only)
{
    for (size_t i = 0; owner->n_subs && i < in->n_subs; i++) {
        bt_sub *s = &in->subs[i];
        if (s->gone || s->ei_key != owner->key ||
            (starts_only && !is_start_sub(in, s)))
            continue;
        /* An event that occurred and was not acted on yet goes too. */
        int rc = s->state == BT_SUB_TRIGGERED ? 0 : bt_sub_announce_end(in, s);
        if (rc)
            return rc;
        bt_sub_close(in, s);
    }
    return 0;
}

void bt_sub_close_tokens(baton_instance *in, bt_ei *scope)
{
    for (size_t i = 0; scope->n_subs && i < in->n_subs; i++) {
        bt_sub *s = &in->subs[i];
        if (!s->gone && s->state == BT_SUB_TRIGGERED &&
            s->ei_key == scope->key &&
            scope->proc->elements[s->element].parent == scope->element)
            bt_sub_close(in, s);
    }
}

void bt_sub_drop_owned(baton_instance *in, const bt_ei *owner)
{
    for (size_t i = 0; owner->n_subs && i < in->n_subs; i++) {
        bt_sub *s = &in->subs[i];
        if (!s->gone && s->ei_key == owner->key)
            bt_sub_close(in, s);
    }
}

int bt_next_due(const baton_instance *in, int64_t *due)
{
    int found = 0;
    int64_t best = 0;
    for (size_t i = 0; in->n_timer_subs && i < in->n_subs; i++) {
        const bt_sub *s = &in->subs[i];
        if (s->gone || s->state != BT_SUB_OPEN || s->kind != BT_SUB_TIMER)
            continue;
        if (!found || s->due < best)
            best = s->due;
        found = 1;
    }
    for (const baton_job *j = in->oldest_job; in->n_backoff_jobs && j;
         j = j->newer) {
        if (j->state != BT_JOB_BACKOFF)
            continue;
        if (!found || j->due < best)
            best = j->due;
        found = 1;
    }
    if (found)
        *due = best;
    return found;
}

void bt_subs_commit(baton_instance *in)
{
    const bt_alloc *a = &in->engine->alloc;
    if (!in->n_gone_subs)
        return;
    in->n_gone_subs = 0;
    size_t w = 0;
    for (size_t r = 0; r < in->n_subs; r++) {
        if (in->subs[r].gone)
            bt_sub_free_strings(a, &in->subs[r]);
        else
            in->subs[w++] = in->subs[r];
    }
    in->n_subs = w;
    if (!w) {
        bt_free(a, in->subs);
        in->subs = NULL;
        in->cap_subs = 0;
    }
}

void bt_subs_abort(baton_instance *in, size_t n_subs)
{
    bt_subs_truncate(in, n_subs);
    for (size_t i = 0; in->n_gone_subs && i < in->n_subs; i++) {
        bt_sub *s = &in->subs[i];
        if (s->gone) {
            s->gone = 0;
            count(in, s, 1);
        }
    }
    in->n_gone_subs = 0;
}
