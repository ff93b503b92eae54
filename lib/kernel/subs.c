/* Subscriptions: what element instances wait for (timers, messages,
 * signals, conditions) and events that occurred and wait for the element
 * they start. Closing is deferred to the end of the transaction, so that
 * a transition may close subscriptions anywhere and a failure still puts
 * every one back. Each is found by key through a map, listed with its
 * owner, and an open timer sits in a heap by due time, so that ending an
 * element, finding an entry and finding the due timer cost what they
 * touch, however many the instance holds. */
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

/* ---- the heap of open timers, by due time then key ------------------ */

static int before(const bt_sub *a, const bt_sub *b)
{
    return a->due < b->due || (a->due == b->due && a->key < b->key);
}

static void heap_set(baton_instance *in, size_t i, bt_sub *s)
{
    in->timers[i] = s;
    s->heap_at = i + 1;
}

static void heap_up(baton_instance *in, size_t i)
{
    bt_sub *s = in->timers[i];
    while (i && before(s, in->timers[(i - 1) / 2])) {
        heap_set(in, i, in->timers[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(in, i, s);
}

static void heap_down(baton_instance *in, size_t i)
{
    bt_sub *s = in->timers[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= in->n_timers)
            break;
        if (c + 1 < in->n_timers && before(in->timers[c + 1], in->timers[c]))
            c++;
        if (!before(in->timers[c], s))
            break;
        heap_set(in, i, in->timers[c]);
        i = c;
    }
    heap_set(in, i, s);
}

/* Room was reserved when the timer was added. */
static void heap_add(baton_instance *in, bt_sub *s)
{
    in->timers[in->n_timers] = s;
    heap_up(in, in->n_timers++);
}

static void heap_del(baton_instance *in, bt_sub *s)
{
    size_t i = s->heap_at - 1;
    s->heap_at = 0;
    bt_sub *last = in->timers[--in->n_timers];
    if (i == in->n_timers)
        return;
    heap_set(in, i, last);
    heap_up(in, i);
    heap_down(in, last->heap_at - 1);
}

/* ---- counting in and out --------------------------------------------- */

/* Its owner's list, in creation order: the head's owned_prev is the
 * tail. A subscription stays there while closed in a transaction (its
 * place kept, should the transaction fail) and leaves it when freed. */
static void own(bt_ei *owner, bt_sub *s)
{
    s->owned_next = NULL;
    if (!owner->subs) {
        owner->subs = s;
        s->owned_prev = s;
        return;
    }
    bt_sub *tail = owner->subs->owned_prev;
    tail->owned_next = s;
    s->owned_prev = tail;
    owner->subs->owned_prev = s;
}

static void disown(baton_instance *in, bt_sub *s)
{
    bt_ei *owner = bt_ei_find(in, s->ei_key);
    if (!owner || !owner->subs)
        return; /* the owner went, and its list with it */
    if (s == owner->subs) {
        owner->subs = s->owned_next;
        if (owner->subs)
            owner->subs->owned_prev = s->owned_prev;
    } else {
        s->owned_prev->owned_next = s->owned_next;
        if (s->owned_next)
            s->owned_next->owned_prev = s->owned_prev;
        else
            owner->subs->owned_prev = s->owned_prev;
    }
}

/* Counts a subscription in or out: on its owner, in the heap when an
 * open timer, and by kind when open. */
static void count(baton_instance *in, bt_sub *s, int delta)
{
    bt_ei *owner = bt_ei_find(in, s->ei_key);
    in->sub_epoch++;
    if (owner)
        owner->n_subs += (uint32_t)delta;
    if (s->state != BT_SUB_OPEN)
        return;
    in->n_open_subs += (uint32_t)delta;
    if (s->kind == BT_SUB_TIMER) {
        in->n_timer_subs += (uint32_t)delta;
        if (delta > 0)
            heap_add(in, s);
        else if (s->heap_at)
            heap_del(in, s);
    } else if (s->kind == BT_SUB_CONDITION) {
        in->n_cond_subs += (uint32_t)delta;
    }
}

/* A new node at the newest end, with the next key, or NULL (then `name`
 * and `corr` are freed). Room in the map and, for a timer, the heap. */
static bt_sub *push(baton_instance *in, char *name, char *corr, int timer)
{
    const bt_alloc *a = &in->engine->alloc;
    bt_sub *s = NULL;
    if (!bt_keymap_reserve(a, &in->sub_map, 1) &&
        (!timer || !bt_grow(a, (void **)&in->timers, &in->cap_timers,
                            in->n_timers + 1, sizeof *in->timers)))
        s = bt_calloc(a, 1, sizeof *s);
    if (!s) {
        bt_free(a, name);
        bt_free(a, corr);
        return NULL;
    }
    s->key = in->next_key++;
    s->name = name;
    s->corr = corr;
    s->repeat = -1;
    s->older = in->newest_sub;
    if (in->newest_sub)
        in->newest_sub->newer = s;
    else
        in->oldest_sub = s;
    in->newest_sub = s;
    in->n_subs++;
    bt_keymap_put(&in->sub_map, s->key, s);
    return s;
}

/* Unlinks and frees a node that is counted out. */
static void unlink_free(baton_instance *in, bt_sub *s)
{
    const bt_alloc *a = &in->engine->alloc;
    disown(in, s);
    if (s->older)
        s->older->newer = s->newer;
    else
        in->oldest_sub = s->newer;
    if (s->newer)
        s->newer->older = s->older;
    else
        in->newest_sub = s->older;
    in->n_subs--;
    in->sub_epoch++;
    bt_keymap_del(&in->sub_map, s->key);
    bt_sub_free_strings(a, s);
    bt_free(a, s);
}

static void gone_del(baton_instance *in, bt_sub *s)
{
    if (s->gone_prev)
        s->gone_prev->gone_next = s->gone_next;
    else
        in->gone_subs = s->gone_next;
    if (s->gone_next)
        s->gone_next->gone_prev = s->gone_prev;
    s->gone_prev = s->gone_next = NULL;
}

bt_sub *bt_sub_add(baton_instance *in, bt_ei *owner, int kind,
                   int32_t element, const char *name, const char *corr,
                   int64_t due)
{
    const bt_alloc *a = &in->engine->alloc;
    char *n = name ? bt_strdup(a, name) : NULL;
    char *c = corr ? bt_strdup(a, corr) : NULL;
    if ((name && !n) || (corr && !c)) {
        bt_free(a, n);
        bt_free(a, c);
        return NULL;
    }
    bt_sub *s = push(in, n, c, kind == BT_SUB_TIMER);
    if (!s)
        return NULL;
    s->kind = (uint8_t)kind;
    s->state = BT_SUB_OPEN;
    s->element = element;
    s->ei_key = owner->key;
    s->due = due; /* before the heap takes it */
    own(owner, s);
    count(in, s, 1);
    return s;
}

bt_sub *bt_sub_add_triggered(baton_instance *in, bt_ei *scope,
                             int32_t element, json_t *payload)
{
    bt_sub *s = push(in, NULL, NULL, 0);
    if (!s)
        return NULL;
    s->state = BT_SUB_TRIGGERED;
    s->element = element;
    s->ei_key = scope->key;
    s->payload = json_incref(payload);
    own(scope, s);
    count(in, s, 1);
    return s;
}

bt_sub *bt_sub_restore(baton_instance *in, const bt_sub *src)
{
    const bt_alloc *a = &in->engine->alloc;
    uint64_t next = in->next_key;
    bt_sub *s = push(in, NULL, NULL, src->kind == BT_SUB_TIMER);
    in->next_key = next; /* the snapshot's key, not a new one */
    if (!s) {
        bt_sub tmp = *src;
        bt_sub_free_strings(a, &tmp);
        return NULL;
    }
    bt_keymap_del(&in->sub_map, s->key);
    bt_sub *older = s->older;
    *s = *src;
    s->older = older;
    s->newer = NULL;
    s->owned_prev = s->owned_next = s->gone_prev = s->gone_next = NULL;
    s->heap_at = 0;
    s->gone = 0;
    bt_keymap_put(&in->sub_map, s->key, s);
    bt_ei *owner = bt_ei_find(in, s->ei_key);
    if (owner) /* checked by the reader */
        own(owner, s);
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
    while (in->n_subs > n) {
        bt_sub *s = in->newest_sub;
        if (s->gone)
            gone_del(in, s);
        else
            count(in, s, -1);
        unlink_free(in, s);
    }
}

bt_sub *bt_sub_find(const baton_instance *in, uint64_t key)
{
    bt_sub *s = bt_keymap_get(&in->sub_map, key);
    return s && !s->gone ? s : NULL;
}

void bt_sub_close(baton_instance *in, bt_sub *s)
{
    if (s->gone)
        return;
    count(in, s, -1);
    s->gone = 1;
    s->gone_prev = NULL;
    s->gone_next = in->gone_subs;
    if (in->gone_subs)
        in->gone_subs->gone_prev = s;
    in->gone_subs = s;
}

struct baton_record *bt_rec_sub(baton_instance *in, int value_type,
                                int intent, const bt_sub *s)
{
    struct baton_record *r = bt_rec_push(in, value_type, intent, s->key);
    if (!r)
        return NULL;
    const bt_ei *owner = bt_ei_find(in, s->ei_key);
    if (owner)
        bt_rec_at(r, owner);
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
    for (bt_sub *s = owner->n_subs ? owner->subs : NULL; s;
         s = s->owned_next) {
        if (s->gone || (starts_only && !is_start_sub(in, s)))
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
    for (bt_sub *s = scope->n_subs ? scope->subs : NULL; s;
         s = s->owned_next) {
        if (!s->gone && s->state == BT_SUB_TRIGGERED &&
            scope->proc->elements[s->element].parent == scope->element)
            bt_sub_close(in, s);
    }
}

void bt_sub_drop_owned(baton_instance *in, const bt_ei *owner)
{
    for (bt_sub *s = owner->n_subs ? owner->subs : NULL; s;
         s = s->owned_next)
        bt_sub_close(in, s);
}

int bt_next_due(const baton_instance *in, int64_t *due)
{
    const bt_sub *t = bt_sub_next_timer(in);
    int found = t != NULL;
    int64_t best = t ? t->due : 0;
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
    while (in->gone_subs) {
        bt_sub *s = in->gone_subs;
        gone_del(in, s);
        unlink_free(in, s);
    }
}

void bt_subs_abort(baton_instance *in, size_t n_subs)
{
    bt_subs_truncate(in, n_subs);
    while (in->gone_subs) {
        bt_sub *s = in->gone_subs;
        gone_del(in, s);
        s->gone = 0;
        count(in, s, 1);
    }
}

void bt_subs_free(baton_instance *in)
{
    const bt_alloc *a = &in->engine->alloc;
    for (bt_sub *s = in->oldest_sub, *next; s; s = next) {
        next = s->newer;
        bt_sub_free_strings(a, s);
        bt_free(a, s);
    }
    in->oldest_sub = in->newest_sub = NULL;
    in->n_subs = 0;
    bt_keymap_free(a, &in->sub_map);
    bt_free(a, in->timers);
    in->timers = NULL;
    in->n_timers = in->cap_timers = 0;
}
