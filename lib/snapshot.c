/* Snapshots: an instance as bytes and back.
 *
 * Layout (integers little-endian):
 *   "BATN" u32 format-version u64 total-size
 *   str process-id  u32 process-version  u64 model-checksum
 *   u64 revision u64 instance-key u64 next-key u64 position u32 ended
 *   u32 n  { u64 key u64 scope i32 element u32 state u64 job
 *            u64 comp-scope u64 comp-entry u64 comp-throw str vars }
 *   u32 n  { u64 key u64 ei i32 element i32 retries u32 state str type
 *            str error }
 *   u32 n  { u64 key u32 type i32 element u64 ei u64 job str message cmd }
 *   u32 n  { cmd }            (the queue, head first)
 *   u32 n  { u64 scope u32 flow }
 *   u32 n  { u64 key u64 scope i32 element u64 sub }   (compensation log)
 *   u64 checksum (FNV-1a 64 of everything before it)
 * str = u32 length + bytes (length 0xffffffff: absent);
 * cmd = u32 kind i32 element u64 key u64 scope. */
#include <string.h>

#include "internal.h"

#define SNAP_MAGIC "BATN"
#define SNAP_VERSION 1u
#define NO_STR 0xffffffffu

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

static void put_str(wbuf *w, const char *s, size_t n)
{
    if (!s) {
        put_u32(w, NO_STR);
        return;
    }
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

static void put_vars(wbuf *w, const json_t *vars)
{
    if (!vars || json_object_size(vars) == 0) {
        put_str(w, NULL, 0);
        return;
    }
    size_t at = w->n;
    put_u32(w, 0);
    /* Sorted keys keep the bytes independent of hash order. */
    if (json_dump_callback(vars, put_cb, w, JSON_COMPACT | JSON_SORT_KEYS))
        w->oom = 1;
    if (w->oom)
        return;
    uint32_t len = (uint32_t)(w->n - at - 4);
    for (int i = 0; i < 4; i++)
        w->p[at + i] = (unsigned char)(len >> (8 * i));
}

int baton_instance_snapshot(const baton_instance *in, void **out,
                            size_t *size)
{
    if (!in || !out || !size)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_clear_error(e);
    if (in->handler_job)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "an instance cannot be snapshotted from a handler");
    wbuf w = { &e->alloc, NULL, 0, 0, 0 };
    put(&w, SNAP_MAGIC, 4);
    put_u32(&w, SNAP_VERSION);
    put_u64(&w, 0); /* total size, patched below */
    put_str(&w, in->proc->id, strlen(in->proc->id));
    put_u32(&w, (uint32_t)in->version);
    put_u64(&w, in->model->checksum);
    put_u64(&w, in->revision);
    put_u64(&w, in->key);
    put_u64(&w, in->next_key);
    put_u64(&w, in->position);
    put_u32(&w, (uint32_t)in->ended);
    put_u32(&w, (uint32_t)in->n_eis);
    for (size_t i = 0; i < in->n_eis; i++) {
        const bt_ei *x = &in->eis[i];
        put_u64(&w, x->key);
        put_u64(&w, x->scope_key);
        put_u32(&w, (uint32_t)x->element);
        put_u32(&w, x->state);
        put_u64(&w, x->job_key);
        put_u64(&w, x->comp_scope);
        put_u64(&w, x->comp_entry);
        put_u64(&w, x->comp_throw);
        put_vars(&w, x->vars);
    }
    put_u32(&w, (uint32_t)in->n_jobs);
    for (size_t i = 0; i < in->n_jobs; i++) {
        const baton_job *j = &in->jobs[i];
        put_u64(&w, j->key);
        put_u64(&w, j->ei_key);
        put_u32(&w, (uint32_t)j->element);
        put_u32(&w, (uint32_t)j->retries);
        put_u32(&w, j->state);
        put_str(&w, j->type, strlen(j->type));
        put_str(&w, j->error_message,
                j->error_message ? strlen(j->error_message) : 0);
    }
    put_u32(&w, (uint32_t)in->n_incidents);
    for (size_t i = 0; i < in->n_incidents; i++) {
        const bt_incident *x = &in->incidents[i];
        put_u64(&w, x->key);
        put_u32(&w, x->type);
        put_u32(&w, (uint32_t)x->element);
        put_u64(&w, x->ei_key);
        put_u64(&w, x->job_key);
        put_str(&w, x->message, x->message ? strlen(x->message) : 0);
        put_cmd(&w, &x->retry);
    }
    put_u32(&w, (uint32_t)(in->n_queue - in->q_head));
    for (size_t i = in->q_head; i < in->n_queue; i++)
        put_cmd(&w, &in->queue[i]);
    put_u32(&w, (uint32_t)in->n_marks);
    for (size_t i = 0; i < in->n_marks; i++) {
        put_u64(&w, in->marks[i].scope_key);
        put_u32(&w, in->marks[i].flow);
    }
    put_u32(&w, (uint32_t)in->n_comps);
    for (size_t i = 0; i < in->n_comps; i++) {
        put_u64(&w, in->comps[i].key);
        put_u64(&w, in->comps[i].scope_key);
        put_u32(&w, (uint32_t)in->comps[i].element);
        put_u64(&w, in->comps[i].sub_key);
    }
    put_u64(&w, 0); /* checksum, patched below */
    char *res = NULL;
    if (!w.oom) {
        size_t total = w.n;
        for (int i = 0; i < 8; i++)
            w.p[8 + i] = (unsigned char)((uint64_t)total >> (8 * i));
        uint64_t sum = bt_fnv1a64(w.p, total - 8, BT_FNV_SEED);
        for (int i = 0; i < 8; i++)
            w.p[total - 8 + i] = (unsigned char)(sum >> (8 * i));
        res = bt_out_buffer(&e->alloc, w.p, total);
    }
    bt_free(&e->alloc, w.p);
    if (!res)
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory writing a snapshot");
    *out = res;
    *size = w.n;
    return 0;
}

/* ---- restore ------------------------------------------------------ */

typedef struct rbuf {
    const unsigned char *p;
    size_t n, off;
    int bad;
} rbuf;

static const unsigned char *take(rbuf *r, size_t n)
{
    if (r->bad || r->n - r->off < n) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *p = r->p + r->off;
    r->off += n;
    return p;
}

static uint32_t get_u32(rbuf *r)
{
    const unsigned char *b = take(r, 4);
    uint32_t v = 0;
    if (b)
        for (int i = 0; i < 4; i++)
            v |= (uint32_t)b[i] << (8 * i);
    return v;
}

static uint64_t get_u64(rbuf *r)
{
    const unsigned char *b = take(r, 8);
    uint64_t v = 0;
    if (b)
        for (int i = 0; i < 8; i++)
            v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* A string view into the buffer; *n is its length, NULL when absent. */
static const char *get_str(rbuf *r, size_t *n)
{
    uint32_t len = get_u32(r);
    *n = 0;
    if (r->bad || len == NO_STR)
        return NULL;
    const unsigned char *p = take(r, len);
    *n = len;
    return (const char *)p;
}

static int get_cmd(rbuf *r, bt_cmd *c)
{
    c->kind = get_u32(r);
    c->element = (int32_t)get_u32(r);
    c->key = get_u64(r);
    c->scope_key = get_u64(r);
    return c->kind <= BT_CMD_THROW_ERROR;
}

typedef struct restore_ctx {
    baton_engine *e;
    baton_instance *in;
    rbuf r;
} restore_ctx;

static int refuse(restore_ctx *x, const char *what)
{
    return bt_error(x->e, BATON_ESNAPSHOT, NULL, 0, 0, NULL,
                    "snapshot refused: %s", what);
}

static int element_ok(const baton_instance *in, int32_t el, int allow_proc)
{
    return (allow_proc && el == -1) ||
           (el >= 0 && (uint32_t)el < in->proc->n_elements);
}

static int read_body(restore_ctx *x)
{
    baton_instance *in = x->in;
    rbuf *r = &x->r;
    const bt_alloc *a = &x->e->alloc;
    in->revision = get_u64(r);
    in->key = get_u64(r);
    in->next_key = get_u64(r);
    in->position = get_u64(r);
    in->ended = (int)get_u32(r);
    if (in->ended != 0 && in->ended != BATON_INSTANCE_COMPLETED &&
        in->ended != BATON_INSTANCE_TERMINATED)
        return refuse(x, "bad instance state");

    uint32_t n = get_u32(r);
    if (r->bad || n > r->n / 52 || bt_reserve(in, n, 0, 0, 0))
        return r->bad || n > r->n / 52 ? refuse(x, "bad element count")
                                       : BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        bt_ei ei = { 0 };
        ei.key = get_u64(r);
        ei.scope_key = get_u64(r);
        ei.element = (int32_t)get_u32(r);
        ei.state = get_u32(r);
        ei.job_key = get_u64(r);
        ei.comp_scope = get_u64(r);
        ei.comp_entry = get_u64(r);
        ei.comp_throw = get_u64(r);
        size_t len;
        const char *vars = get_str(r, &len);
        if (r->bad || !element_ok(in, ei.element, 1) ||
            ei.state > BT_EI_TERMINATED)
            return refuse(x, "bad element instance");
        if (vars) {
            bt_json_error err;
            int jrc = bt_json_load(a, vars, len, BT_JSON_MAX_DEPTH, &ei.vars,
                                   &err);
            if (jrc)
                return jrc == BATON_ENOMEM ? BATON_ENOMEM
                                           : refuse(x, "bad variables");
            if (!json_is_object(ei.vars)) {
                json_decref(ei.vars);
                return refuse(x, "bad variables");
            }
        }
        in->eis[in->n_eis++] = ei;
    }
    n = get_u32(r);
    if (r->bad || n > r->n / 36)
        return refuse(x, "bad job count");
    if (bt_reserve(in, 0, n, 0, 0))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        baton_job j = { in, 0, 0, 0, 0, 0, NULL, NULL };
        j.key = get_u64(r);
        j.ei_key = get_u64(r);
        j.element = (int32_t)get_u32(r);
        j.retries = (int32_t)get_u32(r);
        j.state = get_u32(r);
        size_t tl, ml;
        const char *t = get_str(r, &tl);
        const char *m = get_str(r, &ml);
        if (r->bad || !t || !element_ok(in, j.element, 0) ||
            j.state > BT_JOB_INCIDENT || j.retries < 0 ||
            memchr(t, 0, tl) || (m && memchr(m, 0, ml)))
            return refuse(x, "bad job");
        j.type = bt_strndup(a, t, tl);
        j.error_message = m ? bt_strndup(a, m, ml) : NULL;
        if (!j.type || (m && !j.error_message)) {
            bt_free(a, j.type);
            bt_free(a, j.error_message);
            return BATON_ENOMEM;
        }
        in->jobs[in->n_jobs++] = j;
    }
    n = get_u32(r);
    if (r->bad || n > r->n / 40)
        return refuse(x, "bad incident count");
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        if (bt_reserve_incident(in))
            return BATON_ENOMEM;
        bt_incident inc = { 0 };
        inc.key = get_u64(r);
        inc.type = get_u32(r);
        inc.element = (int32_t)get_u32(r);
        inc.ei_key = get_u64(r);
        inc.job_key = get_u64(r);
        size_t ml;
        const char *m = get_str(r, &ml);
        int cmd_ok = get_cmd(r, &inc.retry);
        if (r->bad || inc.type >= BT_INC_COUNT || !cmd_ok ||
            !element_ok(in, inc.element, 0) || (m && memchr(m, 0, ml)))
            return refuse(x, "bad incident");
        inc.message = m ? bt_strndup(a, m, ml) : NULL;
        if (m && !inc.message)
            return BATON_ENOMEM;
        in->incidents[in->n_incidents++] = inc;
    }
    n = get_u32(r);
    if (r->bad || n > r->n / 24)
        return refuse(x, "bad queue length");
    if (bt_reserve(in, 0, 0, n, 0))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        bt_cmd c;
        if (!get_cmd(r, &c) || !element_ok(in, c.element, 1))
            return refuse(x, "bad queued transition");
        in->queue[in->n_queue++] = c;
    }
    n = get_u32(r);
    if (r->bad || n > r->n / 12)
        return refuse(x, "bad join count");
    if (bt_grow(a, (void **)&in->marks, &in->cap_marks, n, sizeof *in->marks))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        bt_joinmark m = { get_u64(r), get_u32(r) };
        if (m.flow >= in->proc->n_flows)
            return refuse(x, "bad join");
        in->marks[in->n_marks++] = m;
    }
    n = get_u32(r);
    if (r->bad || n > r->n / 28)
        return refuse(x, "bad compensation log length");
    if (bt_grow(a, (void **)&in->comps, &in->cap_comps, n, sizeof *in->comps))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        bt_comp c;
        c.key = get_u64(r);
        c.scope_key = get_u64(r);
        c.element = (int32_t)get_u32(r);
        c.sub_key = get_u64(r);
        if (!element_ok(in, c.element, 0))
            return refuse(x, "bad compensation entry");
        in->comps[in->n_comps++] = c;
    }
    if (r->bad || r->off != r->n - 8)
        return refuse(x, "unexpected length");
    /* Cross-references: every key an entry names must exist. */
    if (!bt_ei_find(in, in->key))
        return refuse(x, "no process element instance");
    for (size_t i = 0; i < in->n_eis; i++) {
        const bt_ei *ei = &in->eis[i];
        if (ei->key != in->key && !bt_ei_find(in, ei->scope_key))
            return refuse(x, "element instance outside any scope");
        if (ei->job_key && !bt_job_find(in, ei->job_key))
            return refuse(x, "element instance names a missing job");
    }
    for (size_t i = 0; i < in->n_jobs; i++)
        if (!bt_ei_find(in, in->jobs[i].ei_key))
            return refuse(x, "job of a missing element instance");
    return 0;
}

int baton_instance_restore(baton_engine *e, const void *data, size_t size,
                           baton_instance **out)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!data || !out)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_restore needs data and an output");
    *out = NULL;
    restore_ctx x = { e, NULL, { data, size, 0, 0 } };
    rbuf *r = &x.r;
    const unsigned char *magic = take(r, 4);
    if (!magic || memcmp(magic, SNAP_MAGIC, 4) != 0)
        return refuse(&x, "not a Baton snapshot");
    uint32_t version = get_u32(r);
    if (version != SNAP_VERSION)
        return bt_error(e, BATON_ESNAPSHOT, NULL, 0, 0, NULL,
                        "snapshot refused: format version %u, this library "
                        "reads version %u",
                        version, SNAP_VERSION);
    uint64_t total = get_u64(r);
    if (r->bad || total != size || size < 28)
        return refuse(&x, "truncated or extended");
    const unsigned char *p = data;
    uint64_t sum = 0;
    for (int i = 0; i < 8; i++)
        sum |= (uint64_t)p[size - 8 + i] << (8 * i);
    if (sum != bt_fnv1a64(data, size - 8, BT_FNV_SEED))
        return refuse(&x, "checksum mismatch (damaged)");
    size_t idlen;
    const char *id = get_str(r, &idlen);
    int pversion = (int)get_u32(r);
    uint64_t checksum = get_u64(r);
    if (r->bad || !id)
        return refuse(&x, "bad header");
    char idbuf[256];
    if (idlen >= sizeof idbuf || memchr(id, 0, idlen))
        return refuse(&x, "bad process id");
    memcpy(idbuf, id, idlen);
    idbuf[idlen] = '\0';
    const bt_deployment *d = bt_engine_find_deployment(e, idbuf, pversion);
    if (!d)
        return bt_error(e, BATON_ENOTFOUND, NULL, 0, 0, idbuf,
                        "snapshot of process '%s' version %d, which is not "
                        "deployed",
                        idbuf, pversion);
    if (d->model->checksum != checksum)
        return bt_error(e, BATON_ESNAPSHOT, NULL, 0, 0, idbuf,
                        "snapshot refused: it was taken with another model "
                        "of process '%s' version %d",
                        idbuf, pversion);
    int rc = bt_instance_alloc(e, d, &x.in);
    if (rc)
        return bt_error(e, rc, NULL, 0, 0, NULL, "out of memory");
    rc = read_body(&x);
    if (rc) {
        baton_instance_free(x.in);
        if (!e->err_code)
            bt_error(e, rc, NULL, 0, 0, NULL, "%s", baton_strerror(rc));
        return rc;
    }
    *out = x.in;
    return 0;
}
