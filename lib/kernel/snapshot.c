/* Snapshots: an instance as bytes and back.
 *
 * Format 6 (integers little-endian):
 *   "BATN" u32 format-version u64 total-size
 *   sections, each: u32 tag, u32 length, body
 *     HEAD  str process-id u32 process-version u64 model-identity
 *           u64 revision u64 instance-key u64 next-key u64 position
 *           u32 ended
 *     CALL  u32 n { u64 key str process-id u32 process-version
 *                   u64 model-identity }
 *           (the process instances call activities started, in the
 *           order of ELEM, where each is an element instance of
 *           element -1 inside its call activity's)
 *     ELEM  u32 n { u64 key u64 scope i32 element u32 state u64 job
 *                   u64 comp-scope u64 comp-entry u64 comp-throw
 *                   str vars }        (a scope before what it holds)
 *     JOBS  u32 n { u64 key u64 ei i32 element i32 retries u32 state
 *                   str type str error }
 *     INCI  u32 n { u64 key u32 type i32 element u64 ei u64 job
 *                   str message cmd }
 *     QUEU  u32 n { cmd }             (head first)
 *     JOIN  u32 n { u64 scope u32 flow }
 *     COMP  u32 n { u64 key u64 scope i32 element u64 sub
 *                   u64 process-instance str vars }
 *     SUBS  u32 n { u64 key u32 kind u32 state i32 element u64 owner
 *                   u64 due u32 fired i32 repeat str name str corr
 *                   str payload u64 source }   (oldest first)
 *     BACK  u32 n { u64 job i64 due }  (jobs in backoff, oldest first)
 *     LOOP  u32 n { u64 ei u32 index u32 total u32 next u32 completed
 *                   u32 terminated str items }
 *           (multi-instance bodies, index 0, and their inner instances,
 *           index from 1, the rest 0; in the order of ELEM; a standard
 *           loop's body and iteration too, its total the loopMaximum or
 *           1000000, its items absent)
 *   u64 checksum (FNV-1a 64 of everything before it)
 * str = u32 length + bytes (0xffffffff: absent);
 * cmd = u32 kind i32 element u64 key u64 scope.
 * A feature that needs more state adds a section and a format version;
 * every older version keeps restoring (format 5: the same with the
 * checksum of the model's bytes where format 6 has its identity, see
 * baton_model_checksum(); format 4: the same without CALL
 * and with COMP entries of the instance's own process and without
 * variables; format 3: format
 * 4 without LOOP; format 2: format 3 without SUBS and BACK; format 1: format 2's tables, in this order, without tags;
 * see snapshot_read.c). */
#include <string.h>

#include "kernel/snapshot.h"

typedef struct wbuf {
    const bt_alloc *a;
    unsigned char *p;
    size_t n, cap;
    int oom;
} wbuf;

static void put(wbuf *w, const void *d, size_t n)
{
    if (w->oom)
        return;
    if (bt_grow(w->a, (void **)&w->p, &w->cap, w->n + n, 1)) {
        w->oom = 1;
        return;
    }
    memcpy(w->p + w->n, d, n);
    w->n += n;
}

static void patch_u32(wbuf *w, size_t at, uint32_t v)
{
    if (!w->oom)
        for (int i = 0; i < 4; i++)
            w->p[at + i] = (unsigned char)(v >> (8 * i));
}

static void put_u32(wbuf *w, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 4);
}

static void put_u64(wbuf *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}

static void put_str(wbuf *w, const char *s)
{
    if (!s) {
        put_u32(w, BT_SNAP_NO_STR);
        return;
    }
    size_t n = strlen(s);
    put_u32(w, (uint32_t)n);
    put(w, s, n);
}

static void put_cmd(wbuf *w, const bt_cmd *c)
{
    put_u32(w, c->kind);
    put_u32(w, (uint32_t)c->element);
    put_u64(w, c->key);
    put_u64(w, c->scope_key);
}

static int put_cb(const char *buf, size_t size, void *ud)
{
    wbuf *w = ud;
    put(w, buf, size);
    return w->oom ? -1 : 0;
}

/* A JSON value as a str, compact, absent for NULL. Objects keep the
 * order their members were set in, which jansson keeps and which readers
 * see (records, variable documents): a restored instance goes on exactly
 * as the original. The order is the instance's own, so the bytes stay
 * deterministic. */
static void put_json(wbuf *w, const json_t *v)
{
    if (!v) {
        put_str(w, NULL);
        return;
    }
    size_t at = w->n;
    put_u32(w, 0);
    if (json_dump_callback(v, put_cb, w, JSON_COMPACT))
        w->oom = 1;
    patch_u32(w, at, (uint32_t)(w->n - at - 4));
}

/* Variables: none and an empty object are both absent. */
static void put_vars(wbuf *w, const json_t *vars)
{
    put_json(w, vars && json_object_size(vars) ? vars : NULL);
}

/* Opens a section; section_end() writes its length. */
static size_t section_begin(wbuf *w, uint32_t tag)
{
    put_u32(w, tag);
    put_u32(w, 0);
    return w->n;
}

static void section_end(wbuf *w, size_t start)
{
    patch_u32(w, start - 4, (uint32_t)(w->n - start));
}

/* Element instances in preorder: a scope before its children, children
 * in creation order. */
static const bt_ei *preorder_next(const bt_ei *ei)
{
    if (ei->first)
        return ei->first;
    while (ei && !ei->next)
        ei = ei->scope;
    return ei ? ei->next : NULL;
}

/* The process instances call activities started, with the deployment
 * each runs, so that a restore finds the same ones. */
static void put_calls(wbuf *w, const baton_instance *in)
{
    size_t s = section_begin(w, BT_SNAP_CALL);
    size_t at = w->n;
    uint32_t n = 0;
    put_u32(w, 0); /* patched below */
    /* The children of a multi-instance call activity run one deployment:
     * it is looked up once, not once per child. */
    const bt_process *last = NULL;
    int last_version = 0;
    uint64_t checksum = 0;
    for (const bt_ei *x = in->root; x; x = preorder_next(x)) {
        if (x->element >= 0 || !x->scope)
            continue;
        if (x->proc != last || x->version != last_version) {
            const bt_deployment *d = bt_engine_find_deployment(
                in->engine, x->proc->id, x->version);
            checksum = d ? d->model->identity : 0;
            last = x->proc;
            last_version = x->version;
        }
        n++;
        put_u64(w, x->key);
        put_str(w, x->proc->id);
        put_u32(w, (uint32_t)x->version);
        put_u64(w, checksum);
    }
    patch_u32(w, at, n);
    section_end(w, s);
}

static void put_elements(wbuf *w, const baton_instance *in)
{
    size_t s = section_begin(w, BT_SNAP_ELEM);
    put_u32(w, (uint32_t)in->n_eis);
    for (const bt_ei *x = in->root; x; x = preorder_next(x)) {
        put_u64(w, x->key);
        put_u64(w, x->scope ? x->scope->key : 0);
        put_u32(w, (uint32_t)x->element);
        put_u32(w, x->state);
        put_u64(w, x->job_key);
        put_u64(w, x->comp_scope);
        put_u64(w, x->comp_entry);
        put_u64(w, x->comp_throw);
        put_vars(w, x->vars);
    }
    section_end(w, s);
}

static void put_tables(wbuf *w, const baton_instance *in)
{
    size_t s = section_begin(w, BT_SNAP_JOBS);
    put_u32(w, (uint32_t)in->n_jobs);
    for (const baton_job *j = in->oldest_job; j; j = j->newer) {
        put_u64(w, j->key);
        put_u64(w, j->ei->key);
        put_u32(w, (uint32_t)j->ei->element);
        put_u32(w, (uint32_t)j->retries);
        put_u32(w, j->state);
        put_str(w, j->type);
        put_str(w, j->error_message);
    }
    section_end(w, s);
    s = section_begin(w, BT_SNAP_INCI);
    put_u32(w, (uint32_t)in->n_incidents);
    for (size_t i = 0; i < in->n_incidents; i++) {
        const bt_incident *x = &in->incidents[i];
        put_u64(w, x->key);
        put_u32(w, x->type);
        put_u32(w, (uint32_t)x->element);
        put_u64(w, x->ei_key);
        put_u64(w, x->job_key);
        put_str(w, x->message);
        put_cmd(w, &x->retry);
    }
    section_end(w, s);
    s = section_begin(w, BT_SNAP_QUEU);
    put_u32(w, (uint32_t)(in->n_queue - in->q_head));
    for (size_t i = in->q_head; i < in->n_queue; i++)
        put_cmd(w, &in->queue[i]);
    section_end(w, s);
    s = section_begin(w, BT_SNAP_JOIN);
    uint32_t n = 0;
    for (const bt_ei *x = in->root; x; x = preorder_next(x))
        n += bt_ei_marks(x);
    put_u32(w, n);
    /* A mark an entry, by scope in preorder and flow in order. */
    for (const bt_ei *x = in->root; x; x = preorder_next(x))
        for (uint32_t f = 0; bt_ei_marks(x) && f < x->proc->n_flows; f++)
            for (uint32_t k = 0; k < x->joins->flow_marks[f]; k++) {
                put_u64(w, x->key);
                put_u32(w, f);
            }
    section_end(w, s);
    s = section_begin(w, BT_SNAP_COMP);
    put_u32(w, (uint32_t)in->n_comps);
    for (size_t i = 0; i < in->n_comps; i++) {
        put_u64(w, in->comps[i].key);
        put_u64(w, in->comps[i].scope_key);
        put_u32(w, (uint32_t)in->comps[i].element);
        put_u64(w, in->comps[i].sub_key);
        put_u64(w, in->comps[i].pi_key);
        put_json(w, in->comps[i].vars);
    }
    section_end(w, s);
}

/* Subscriptions in table order (after a commit, none is closed), and the
 * due times of jobs in backoff, in job order. */
static void put_waits(wbuf *w, const baton_instance *in)
{
    size_t s = section_begin(w, BT_SNAP_SUBS);
    uint32_t n = 0;
    put_u32(w, 0); /* patched below */
    for (const bt_sub *x = in->oldest_sub; x; x = x->newer) {
        if (x->gone)
            continue;
        n++;
        put_u64(w, x->key);
        put_u32(w, x->kind);
        put_u32(w, x->state);
        put_u32(w, (uint32_t)x->element);
        put_u64(w, x->ei_key);
        put_u64(w, (uint64_t)x->due);
        put_u32(w, x->fired);
        put_u32(w, (uint32_t)x->repeat);
        put_str(w, x->name);
        put_str(w, x->corr);
        put_json(w, x->payload);
        put_u64(w, x->source);
    }
    patch_u32(w, s, n);
    section_end(w, s);
    s = section_begin(w, BT_SNAP_BACK);
    n = 0;
    put_u32(w, 0); /* patched below */
    for (const baton_job *j = in->oldest_job; j; j = j->newer)
        if (j->state == BT_JOB_BACKOFF) {
            n++;
            put_u64(w, j->key);
            put_u64(w, (uint64_t)j->due);
        }
    patch_u32(w, s, n);
    section_end(w, s);
}

/* The state of multi-instance bodies and the places of their inner
 * instances. */
static void put_loops(wbuf *w, const baton_instance *in)
{
    size_t s = section_begin(w, BT_SNAP_LOOP);
    uint32_t n = 0;
    put_u32(w, 0); /* patched below */
    for (const bt_ei *x = in->root; x; x = preorder_next(x)) {
        int body = bt_ei_is_body(x);
        if (!body && !bt_ei_is_inner(x))
            continue;
        n++;
        put_u64(w, x->key);
        put_u32(w, x->mi_index);
        put_u32(w, x->mi_n);
        put_u32(w, x->mi_next);
        put_u32(w, x->mi_done);
        put_u32(w, x->mi_ended);
        put_json(w, x->mi_items);
    }
    patch_u32(w, s, n);
    section_end(w, s);
}

int bt_snapshot_write(const baton_instance *in, void **out, size_t *size)
{
    const bt_alloc *a = &in->engine->alloc;
    wbuf w = { a, NULL, 0, 0, 0 };
    put(&w, BT_SNAP_MAGIC, 4);
    put_u32(&w, BT_SNAP_VERSION);
    put_u64(&w, 0); /* total size, patched below */
    size_t s = section_begin(&w, BT_SNAP_HEAD);
    put_str(&w, in->proc->id);
    put_u32(&w, (uint32_t)in->version);
    put_u64(&w, in->model->identity);
    put_u64(&w, in->revision);
    put_u64(&w, in->key);
    put_u64(&w, in->next_key);
    put_u64(&w, in->position);
    put_u32(&w, (uint32_t)in->ended);
    section_end(&w, s);
    put_calls(&w, in);
    put_elements(&w, in);
    put_tables(&w, in);
    put_waits(&w, in);
    put_loops(&w, in);
    put_u64(&w, 0); /* checksum, patched below */
    char *res = NULL;
    if (!w.oom) {
        size_t total = w.n;
        for (int i = 0; i < 8; i++)
            w.p[8 + i] = (unsigned char)((uint64_t)total >> (8 * i));
        uint64_t sum = bt_fnv1a64(w.p, total - 8, BT_FNV_SEED);
        for (int i = 0; i < 8; i++)
            w.p[total - 8 + i] = (unsigned char)(sum >> (8 * i));
        res = bt_out_buffer(a, w.p, total);
    }
    bt_free(a, w.p);
    if (!res)
        return BATON_ENOMEM;
    *out = res;
    *size = w.n;
    return 0;
}
