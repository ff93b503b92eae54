/* Restoring snapshots, of every format this library has written: format
 * 6 (naming the model by its identity), format 5 (the same naming it by
 * the checksum of its bytes, with the process instances call activities
 * started), format 4
 * (with multi-instance state), format 3 (tagged sections, with
 * subscriptions and backoffs), format 2 (the same without those two) and
 * format 1 (format 2's tables in a fixed order, untagged).
 * Everything is checked before use: values in range, keys unique and
 * non-zero, one root that is the process, every scope read before what
 * it holds (so scopes form a tree), every reference resolved. Anything
 * else is refused whole. */
#include <string.h>

#include "kernel/snapshot.h"
#include "util/json.h"

typedef struct rbuf {
    const unsigned char *p;
    size_t n, off;
    int bad;
} rbuf;

/* A process instance a call activity started, from CALL: the process
 * and version of its deployment (the deployments may move while a
 * resolver hook deploys more; the processes do not). */
typedef struct call_entry {
    uint64_t key;
    const bt_process *process;
    int version;
    uint64_t checksum; /* of its model, as checked */
} call_entry;

typedef struct reader {
    baton_engine *e;
    baton_instance *in;
    uint32_t version;
    call_entry *calls;
    uint32_t n_calls, next_call; /* read, and met in ELEM */
    uint32_t most; /* most_elements(), once known */
} reader;

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
    if (r->bad || len == BT_SNAP_NO_STR)
        return NULL;
    const unsigned char *p = take(r, len);
    *n = len;
    return (const char *)p;
}

static void get_cmd(rbuf *r, bt_cmd *c)
{
    c->kind = get_u32(r);
    c->element = (int32_t)get_u32(r);
    c->key = get_u64(r);
    c->scope_key = get_u64(r);
}

static int refuse(reader *x, const char *what)
{
    return bt_error(x->e, BATON_ESNAPSHOT, NULL, 0, 0, NULL,
                    "snapshot refused: %s", what);
}

static int element_ok(const bt_process *p, int32_t el, int allow_proc)
{
    return (allow_proc && el == -1) ||
           (el >= 0 && (uint32_t)el < p->n_elements);
}

/* A count that the rest of the buffer could hold at `each` bytes an
 * entry. */
static int count_ok(const rbuf *r, uint32_t n, size_t each)
{
    return !r->bad && n <= (r->n - r->off) / each;
}

/* A command names its element, or -1 for the process (its activation,
 * and the completion of any scope, which format 1 wrote so). */
/* The most elements a process of the instance has (its own, or a called
 * one's). */
static uint32_t most_elements(reader *x)
{
    if (x->most)
        return x->most;
    uint32_t n = x->in->proc->n_elements;
    for (uint32_t i = 0; i < x->n_calls; i++)
        if (x->calls[i].process->n_elements > n)
            n = x->calls[i].process->n_elements;
    return x->most = n;
}

static int cmd_ok(reader *x, const bt_cmd *c)
{
    const baton_instance *in = x->in;
    /* An evaluation of conditions keeps a BT_COND_* in `element`; the
     * element of the others is one of the process of the element
     * instance the command names, which bt_snapshot_check judges. */
    return c->kind < BT_CMD_COUNT &&
           (c->kind == BT_CMD_CONDITIONS ||
            (c->element >= -1 &&
             (c->element < 0 || (uint32_t)c->element < most_elements(x)))) &&
           /* the process's activation names its start event + 1 */
           (c->kind != BT_CMD_ACTIVATE || c->element >= 0 ||
            (c->scope_key <= in->proc->n_elements &&
             (c->scope_key || bt_process_starts_plainly(in->proc))));
}

/* What the snapshot names its models by: their identity from format 6,
 * before it the checksum of their bytes (so an old snapshot restores
 * against the very document it was taken with). */
static uint64_t model_sum(const reader *x, const baton_model *m)
{
    return x->version >= BT_SNAP_IDENTITY_SINCE ? m->identity : m->byte_sum;
}

static int read_calls(reader *x, rbuf *r)
{
    baton_engine *e = x->e;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 24))
        return refuse(x, "bad call count");
    if (n && !(x->calls = bt_calloc(&e->alloc, n, sizeof *x->calls)))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint64_t key = get_u64(r);
        size_t len;
        const char *id = get_str(r, &len);
        uint32_t version = get_u32(r);
        uint64_t checksum = get_u64(r);
        if (r->bad || !id || !key || memchr(id, 0, len) ||
            version > INT32_MAX)
            return refuse(x, "bad called process instance");
        /* The children of a multi-instance call activity name one
         * deployment: it is looked up once. */
        const call_entry *prev = i ? &x->calls[i - 1] : NULL;
        if (prev && prev->version == (int)version && prev->checksum ==
                                                         checksum &&
            strlen(prev->process->id) == len &&
            memcmp(prev->process->id, id, len) == 0) {
            x->calls[x->n_calls++] = (call_entry){ key, prev->process,
                                                   prev->version, checksum };
            continue;
        }
        char *name = bt_strndup(&e->alloc, id, len);
        if (!name)
            return BATON_ENOMEM;
        int rc = 0;
        const bt_deployment *d =
            bt_engine_find_deployment(e, name, (int)version);
        if (!d && version && e->resolve) {
            e->resolve(e->resolve_ud, e, name, (int)version);
            d = bt_engine_find_deployment(e, name, (int)version);
        }
        if (!d || !version)
            rc = bt_error(e, BATON_ENOTFOUND, NULL, 0, 0, name,
                          "snapshot of a called process '%s' version %u, "
                          "which is not deployed",
                          name, version);
        else if (model_sum(x, d->model) != checksum)
            rc = bt_error(e, BATON_ESNAPSHOT, NULL, 0, 0, name,
                          "snapshot refused: it was taken with another "
                          "model of the called process '%s' version %u",
                          name, version);
        bt_free(&e->alloc, name);
        if (rc)
            return rc;
        x->calls[x->n_calls++] =
            (call_entry){ key, d->process, d->version, checksum };
    }
    return r->bad ? refuse(x, "truncated called process instances") : 0;
}

/* Element instance `key` of element -1 inside `scope`: the next process
 * instance CALL names, started by the call activity `scope`. */
static const call_entry *called(reader *x, const bt_ei *scope, uint64_t key)
{
    if (x->next_call >= x->n_calls || x->calls[x->next_call].key != key)
        return NULL;
    const bt_element *el = bt_ei_el(scope);
    if (!el || el->kind != BT_CALL_ACTIVITY || bt_ei_is_body(scope) ||
        scope->first)
        return NULL;
    return &x->calls[x->next_call++];
}

static int read_elements(reader *x, rbuf *r)
{
    baton_instance *in = x->in;
    const bt_alloc *a = &x->e->alloc;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 52) || n == 0)
        return refuse(x, "bad element count");
    if (bt_keymap_reserve(a, &in->ei_map, n))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint64_t key = get_u64(r), scope_key = get_u64(r);
        int32_t element = (int32_t)get_u32(r);
        uint32_t state = get_u32(r);
        uint64_t job = get_u64(r), cs = get_u64(r), ce = get_u64(r),
                 ct = get_u64(r);
        size_t len;
        const char *vars = get_str(r, &len);
        if (r->bad || state > BT_EI_TERMINATED || !key ||
            bt_ei_find(in, key))
            return refuse(x, "bad element instance");
        bt_ei *scope = NULL;
        const call_entry *call = NULL;
        if (i == 0) {
            if (key != in->key || scope_key || element != -1)
                return refuse(x, "the first element instance is not the "
                                 "process instance");
        } else if (!(scope = bt_ei_find(in, scope_key))) {
            return refuse(x, "element instance outside any scope");
        } else if (element == -1) {
            if (!(call = called(x, scope, key)))
                return refuse(x, "process instance started by no call "
                                 "activity");
        } else if (!element_ok(scope->proc, element, 0)) {
            return refuse(x, "element instance of no element of the process");
        }
        bt_ei *ei = bt_ei_new(in, scope, element, key);
        if (!ei)
            return BATON_ENOMEM;
        if (call) {
            ei->proc = call->process;
            ei->version = call->version;
        }
        ei->state = state;
        ei->job_key = job;
        ei->comp_scope = cs;
        ei->comp_entry = ce;
        ei->comp_throw = ct;
        if (vars) {
            bt_json_error err;
            int jrc = bt_json_load(a, vars, len, BT_JSON_MAX_DEPTH, &ei->vars,
                                   &err);
            if (jrc)
                return jrc == BATON_ENOMEM ? BATON_ENOMEM
                                           : refuse(x, "bad variables");
            if (!json_is_object(ei->vars))
                return refuse(x, "bad variables");
        }
    }
    if (!r->bad && x->next_call != x->n_calls)
        return refuse(x, "called process instance of no element instance");
    return r->bad ? refuse(x, "truncated element instances") : 0;
}

static int read_jobs(reader *x, rbuf *r)
{
    baton_instance *in = x->in;
    const bt_alloc *a = &x->e->alloc;
    /* Backoffs came with format 3. */
    uint32_t max_state = x->version >= 3 ? BT_JOB_BACKOFF : BT_JOB_INCIDENT;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 36))
        return refuse(x, "bad job count");
    if (bt_keymap_reserve(a, &in->job_map, n))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint64_t key = get_u64(r), ei_key = get_u64(r);
        int32_t element = (int32_t)get_u32(r);
        int32_t retries = (int32_t)get_u32(r);
        uint32_t state = get_u32(r);
        size_t tl, ml;
        const char *t = get_str(r, &tl);
        const char *m = get_str(r, &ml);
        bt_ei *ei = bt_ei_find(in, ei_key);
        if (r->bad || !t || !key || bt_job_find(in, key) || !ei ||
            ei->element != element || ei->element < 0 ||
            ei->job_key != key || state > max_state || retries < 0 ||
            memchr(t, 0, tl) || (m && memchr(m, 0, ml)))
            return refuse(x, "bad job");
        char *type = bt_strndup(a, t, tl);
        baton_job *j = type ? bt_job_new(in, ei, key, type, retries) : NULL;
        if (!j)
            return BATON_ENOMEM;
        bt_job_set_state(in, j, state);
        if (m && !(j->error_message = bt_strndup(a, m, ml)))
            return BATON_ENOMEM;
    }
    if (r->bad)
        return refuse(x, "truncated jobs");
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer) {
        const baton_job *j = ei->job_key ? bt_job_find(in, ei->job_key)
                                         : NULL;
        if (ei->job_key && !j)
            return refuse(x, "element instance names a missing job");
        if (j && j->ei != ei)
            return refuse(x, "element instance names another's job");
    }
    return 0;
}

static int read_incidents(reader *x, rbuf *r)
{
    baton_instance *in = x->in;
    const bt_alloc *a = &x->e->alloc;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 64))
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
        get_cmd(r, &inc.retry);
        /* Format 1 wrote a zeroed command for "nothing to retry", which a
         * job's incident always is. */
        if (x->version == 1 && inc.job_key)
            inc.retry = (bt_cmd){ BT_CMD_NONE, 0, 0, 0 };
        const bt_ei *ei = bt_ei_find(in, inc.ei_key);
        if (r->bad || inc.type >= BT_INC_COUNT || !ei ||
            ei->element != inc.element ||
            (inc.job_key && !bt_job_find(in, inc.job_key)) ||
            (inc.retry.kind != BT_CMD_NONE && !cmd_ok(x, &inc.retry)) ||
            (m && memchr(m, 0, ml)))
            return refuse(x, "bad incident");
        inc.message = m ? bt_strndup(a, m, ml) : NULL;
        if (m && !inc.message)
            return BATON_ENOMEM;
        in->incidents[in->n_incidents++] = inc;
    }
    return r->bad ? refuse(x, "truncated incidents") : 0;
}

static int read_queue(reader *x, rbuf *r)
{
    baton_instance *in = x->in;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 24))
        return refuse(x, "bad queue length");
    if (bt_reserve(in, 0, 0, n, 0))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        bt_cmd c;
        get_cmd(r, &c);
        if (r->bad || !cmd_ok(x, &c))
            return refuse(x, "bad queued transition");
        bt_push_cmd(in, c.kind, c.element, c.key, c.scope_key);
    }
    return r->bad ? refuse(x, "truncated queue") : 0;
}

static int read_marks(reader *x, rbuf *r)
{
    baton_instance *in = x->in;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 12))
        return refuse(x, "bad join count");
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint64_t scope_key = get_u64(r);
        uint32_t flow = get_u32(r);
        bt_ei *scope = bt_ei_find(in, scope_key);
        if (r->bad || !scope || flow >= scope->proc->n_flows)
            return refuse(x, "bad join");
        if (bt_ei_reserve_marks(in, scope))
            return BATON_ENOMEM;
        bt_ei_add_mark(scope, flow);
    }
    return r->bad ? refuse(x, "truncated joins") : 0;
}

static int read_comps(reader *x, rbuf *r)
{
    baton_instance *in = x->in;
    uint32_t n = get_u32(r);
    /* Format 5 names each entry's process instance and keeps the
     * variables of a loop's inner instance. */
    int with_pi = x->version >= 5;
    if (!count_ok(r, n, with_pi ? 40 : 28))
        return refuse(x, "bad compensation log length");
    if (bt_grow(&x->e->alloc, (void **)&in->comps, &in->cap_comps, n,
                sizeof *in->comps))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        bt_comp c;
        c.key = get_u64(r);
        c.scope_key = get_u64(r);
        c.element = (int32_t)get_u32(r);
        c.sub_key = get_u64(r);
        c.pi_key = with_pi ? get_u64(r) : in->key;
        size_t len = 0;
        const char *vars = with_pi ? get_str(r, &len) : NULL;
        c.vars = NULL;
        const bt_ei *pi = bt_ei_find(in, c.pi_key);
        if (r->bad || !pi || pi->element != -1 ||
            !element_ok(pi->proc, c.element, 0) ||
            (vars && !pi->proc->elements[c.element].loop &&
             pi->proc->elements[c.element].scope.comp_esp < 0))
            return refuse(x, "bad compensation entry");
        if (vars) {
            bt_json_error err;
            int jrc = bt_json_load(&x->e->alloc, vars, len, BT_JSON_MAX_DEPTH,
                                   &c.vars, &err);
            if (jrc)
                return jrc == BATON_ENOMEM ? BATON_ENOMEM
                                           : refuse(x, "bad compensation "
                                                       "entry variables");
            if (!json_is_object(c.vars)) {
                json_decref(c.vars);
                return refuse(x, "bad compensation entry variables");
            }
        }
        in->comps[in->n_comps++] = c;
    }
    return r->bad ? refuse(x, "truncated compensation log") : 0;
}

/* The fields a subscription's kind and state leave unused hold what a
 * new one holds; what it names is checked when the tables are whole
 * (snapshot_check.c). */
static int sub_fields_ok(const bt_sub *s, int has_name, int has_corr)
{
    int triggered = s->state == BT_SUB_TRIGGERED;
    int timer = !triggered && s->kind == BT_SUB_TIMER;
    int named = !triggered &&
                (s->kind == BT_SUB_MESSAGE || s->kind == BT_SUB_SIGNAL);
    /* An event that occurred: its variables, and the subscription that
     * fired (older) when a TRIGGER command acts on it. */
    if (triggered ? has_name || has_corr || s->source >= s->key
                  : s->payload || s->source)
        return 0;
    if (s->state == BT_SUB_PENDING && !named)
        return 0; /* only a message or signal waits for its TRIGGER */
    if (named ? !has_name : s->kind == BT_SUB_CONDITION && has_name)
        return 0;
    if (has_corr && (triggered || s->kind != BT_SUB_MESSAGE))
        return 0;
    /* A timer fires `repeat` times in all (-1: without end), and one
     * that is open has not fired them all. */
    return timer ? s->repeat == -1 ||
                       (s->repeat > 0 && s->fired < (uint32_t)s->repeat)
                 : !s->due && !s->fired && s->repeat == -1;
}

/* One subscription, its key not yet in `keys`. */
static int read_sub(reader *x, rbuf *r, bt_keymap *keys)
{
    baton_instance *in = x->in;
    const bt_alloc *a = &x->e->alloc;
    bt_sub s = { 0 };
    s.key = get_u64(r);
    uint32_t kind = get_u32(r), state = get_u32(r);
    s.element = (int32_t)get_u32(r);
    s.ei_key = get_u64(r);
    s.due = (int64_t)get_u64(r);
    s.fired = get_u32(r);
    s.repeat = (int32_t)get_u32(r);
    size_t nl, cl, pl;
    const char *name = get_str(r, &nl);
    const char *corr = get_str(r, &cl);
    const char *payload = get_str(r, &pl);
    s.source = get_u64(r);
    if (r->bad)
        return refuse(x, "truncated subscriptions");
    if (!s.key || bt_keymap_get(keys, s.key) || bt_ei_find(in, s.key) ||
        bt_job_find(in, s.key))
        return refuse(x, "subscription key not unique");
    const bt_ei *owner = bt_ei_find(in, s.ei_key);
    if (!owner)
        return refuse(x, "subscription of no element instance");
    s.kind = (uint8_t)kind;
    s.state = (uint8_t)state;
    if (kind >= BT_SUB_KIND_COUNT || state > BT_SUB_PENDING ||
        !element_ok(owner->proc, s.element, 0) ||
        (name && memchr(name, 0, nl)) ||
        (corr && memchr(corr, 0, cl)))
        return refuse(x, "bad subscription");
    if (payload) {
        bt_json_error err;
        int jrc = bt_json_load(a, payload, pl, BT_JSON_MAX_DEPTH, &s.payload,
                               &err);
        if (jrc)
            return jrc == BATON_ENOMEM ? BATON_ENOMEM
                                       : refuse(x, "bad subscription payload");
        if (!json_is_object(s.payload)) {
            json_decref(s.payload);
            return refuse(x, "bad subscription payload");
        }
    }
    if (!sub_fields_ok(&s, name != NULL, corr != NULL)) {
        json_decref(s.payload);
        return refuse(x, "bad subscription");
    }
    if ((name && !(s.name = bt_strndup(a, name, nl))) ||
        (corr && !(s.corr = bt_strndup(a, corr, cl)))) {
        bt_sub_free_strings(a, &s);
        return BATON_ENOMEM;
    }
    if (!bt_sub_restore(in, &s)) /* it freed them */
        return BATON_ENOMEM;
    bt_keymap_put(keys, s.key, in);
    return 0;
}

static int read_subs(reader *x, rbuf *r)
{
    baton_instance *in = x->in;
    const bt_alloc *a = &x->e->alloc;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 64))
        return refuse(x, "bad subscription count");
    /* Keys come from one counter: a subscription's is no other's, nor an
     * element instance's, a job's or an incident's. */
    bt_keymap keys = { 0 };
    int rc = bt_keymap_reserve(a, &keys, n) ? BATON_ENOMEM : 0;
    for (uint32_t i = 0; !rc && i < n; i++)
        rc = read_sub(x, r, &keys);
    for (size_t i = 0; !rc && i < in->n_incidents; i++)
        if (bt_keymap_get(&keys, in->incidents[i].key))
            rc = refuse(x, "subscription key not unique");
    bt_keymap_free(a, &keys);
    return rc;
}

/* The due times of the jobs in backoff, in job order as written, so that
 * each entry names a job after the previous entry's and none twice. */
static int read_backoffs(reader *x, rbuf *r)
{
    baton_instance *in = x->in;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 16))
        return refuse(x, "bad backoff count");
    baton_job *at = in->oldest_job;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t key = get_u64(r);
        int64_t due = (int64_t)get_u64(r);
        if (r->bad)
            return refuse(x, "truncated backoffs");
        baton_job *j = bt_job_find(in, key);
        if (!j || j->state != BT_JOB_BACKOFF)
            return refuse(x, "due time of a job not in backoff");
        while (at && at != j)
            at = at->newer;
        if (!at)
            return refuse(x, "due times out of job order");
        j->due = due;
        at = at->newer;
    }
    return n != in->n_backoff_jobs
               ? refuse(x, "job in backoff without a due time")
               : 0;
}

/* A multi-instance body's state or an inner instance's place. */
static const char *read_loop(reader *x, rbuf *r, bt_keymap *seen,
                             int *oom)
{
    baton_instance *in = x->in;
    uint64_t key = get_u64(r);
    uint32_t index = get_u32(r), total = get_u32(r), next = get_u32(r),
             done = get_u32(r), ended = get_u32(r);
    size_t len;
    const char *items = get_str(r, &len);
    if (r->bad)
        return "truncated multi-instance state";
    bt_ei *ei = bt_ei_find(in, key);
    if (!ei || bt_keymap_get(seen, key))
        return "multi-instance state of no element instance, or twice";
    bt_keymap_put(seen, key, ei);
    if (bt_ei_is_inner(ei))
        return index && !total && !next && !done && !ended && !items
                   ? (ei->mi_index = index, NULL)
                   : "bad place of an inner instance";
    if (!bt_ei_is_body(ei) || index || total > BT_MI_MAX || next > total ||
        done > next || ended > next - done ||
        (items && !bt_ei_el(ei)->loop->input_collection) ||
        (!items && total && bt_ei_el(ei)->loop->input_collection))
        return "bad multi-instance body";
    /* A standard loop's total is set as it decides on its first
     * iteration: 0 before (while its boundary events cannot open). */
    const bt_loop_def *d = bt_ei_el(ei)->loop;
    if (d->standard &&
        (ended || (total != (d->loop_maximum >= 0
                                 ? (uint32_t)d->loop_maximum
                                 : BT_MI_MAX) &&
                   (total || next))))
        return "bad standard loop body";
    ei->mi_n = total;
    ei->mi_next = next;
    ei->mi_done = done;
    ei->mi_ended = ended;
    if (!items)
        return NULL;
    bt_json_error err;
    int rc = bt_json_load(&x->e->alloc, items, len, BT_JSON_MAX_DEPTH,
                          &ei->mi_items, &err);
    *oom = rc == BATON_ENOMEM;
    if (rc)
        return "bad multi-instance collection";
    return json_array_size(ei->mi_items) == total &&
                   json_is_array(ei->mi_items)
               ? NULL
               : "bad multi-instance collection";
}

/* Every body and inner instance has its entry; an inner instance's
 * place is one its body handed out, and a body has handed out no more
 * places than it has, counting the activations queued in it. */
static const char *check_loops(const baton_instance *in, uint32_t n)
{
    uint32_t want = 0;
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer)
        want += bt_ei_is_inner(ei) || bt_ei_is_body(ei);
    if (want != n)
        return "multi-instance element without its state";
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer) {
        if (bt_ei_is_inner(ei)) {
            if (ei->mi_index > ei->scope->mi_next)
                return "inner instance at a place its body did not hand out";
        } else if (bt_ei_is_body(ei)) {
            uint32_t live = 0;
            for (const bt_ei *c = ei->first; c; c = c->next)
                live++;
            if ((uint64_t)live + ei->mi_done + ei->mi_ended > ei->mi_next ||
                (uint64_t)ei->mi_next + ei->n_tokens > ei->mi_n)
                return "multi-instance body counts that do not add up";
            /* A standard loop runs one iteration at a time. */
            if (bt_ei_el(ei)->loop->standard && live + ei->n_tokens > 1)
                return "standard loop running two iterations at once";
        }
    }
    return NULL;
}

static int read_loops(reader *x, rbuf *r)
{
    const bt_alloc *a = &x->e->alloc;
    uint32_t n = get_u32(r);
    if (!count_ok(r, n, 32))
        return refuse(x, "bad multi-instance count");
    bt_keymap seen = { 0 };
    if (bt_keymap_reserve(a, &seen, n))
        return BATON_ENOMEM;
    const char *why = NULL;
    int oom = 0;
    for (uint32_t i = 0; !why && i < n; i++)
        why = read_loop(x, r, &seen, &oom);
    bt_keymap_free(a, &seen);
    if (oom)
        return BATON_ENOMEM;
    if (!why)
        why = check_loops(x->in, n);
    return why ? refuse(x, why) : 0;
}

typedef struct head {
    char *id; /* owned; a process id may be as long as the model says */
    int version;
    uint64_t checksum, revision, key, next_key, position;
    uint32_t ended;
} head;

static int read_ident(reader *x, rbuf *r, head *h)
{
    size_t n;
    const char *id = get_str(r, &n);
    h->version = (int)get_u32(r);
    h->checksum = get_u64(r);
    if (r->bad || !id || memchr(id, 0, n))
        return refuse(x, "bad header");
    h->id = bt_strndup(&x->e->alloc, id, n);
    return h->id ? 0 : BATON_ENOMEM;
}

static int read_state(reader *x, rbuf *r, head *h)
{
    h->revision = get_u64(r);
    h->key = get_u64(r);
    h->next_key = get_u64(r);
    h->position = get_u64(r);
    h->ended = get_u32(r);
    if (r->bad || (h->ended != 0 && h->ended != BATON_INSTANCE_COMPLETED &&
                   h->ended != BATON_INSTANCE_TERMINATED))
        return refuse(x, "bad instance state");
    /* An instance's keys follow its own: instance keys are 2^32 apart
     * (baton_instance_create), so the next key stays within that range. */
    if (!h->key || h->next_key <= h->key ||
        h->next_key - h->key > UINT32_MAX)
        return refuse(x, "bad keys");
    return 0;
}

/* Finds the deployment and makes the empty instance. */
static int start_instance(reader *x, const head *h)
{
    baton_engine *e = x->e;
    const bt_deployment *d = bt_engine_find_deployment(e, h->id, h->version);
    if (!d)
        return bt_error(e, BATON_ENOTFOUND, NULL, 0, 0, h->id,
                        "snapshot of process '%s' version %d, which is not "
                        "deployed",
                        h->id, h->version);
    if (model_sum(x, d->model) != h->checksum)
        return bt_error(e, BATON_ESNAPSHOT, NULL, 0, 0, h->id,
                        "snapshot refused: it was taken with another model "
                        "of process '%s' version %d",
                        h->id, h->version);
    if (bt_instance_alloc(e, d, &x->in))
        return BATON_ENOMEM;
    baton_instance *in = x->in;
    in->revision = h->revision;
    in->key = h->key;
    in->next_key = h->next_key;
    in->position = h->position;
    in->ended = (int)h->ended;
    return 0;
}

/* After the tables: every key below the next one, counts consistent. */
static int check_keys(reader *x)
{
    const baton_instance *in = x->in;
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer)
        if (ei->key >= in->next_key)
            return refuse(x, "element instance key not below the next key");
    for (const baton_job *j = in->oldest_job; j; j = j->newer)
        if (j->key >= in->next_key)
            return refuse(x, "job key not below the next key");
    for (size_t i = 0; i < in->n_incidents; i++)
        if (in->incidents[i].key >= in->next_key)
            return refuse(x, "incident key not below the next key");
    for (const bt_sub *s = in->oldest_sub; s; s = s->newer)
        if (s->key >= in->next_key)
            return refuse(x, "subscription key not below the next key");
    int oom;
    const char *why = bt_snapshot_check(x->in, &oom);
    if (oom)
        return BATON_ENOMEM;
    return why ? refuse(x, why) : 0;
}

static int read_v1(reader *x, rbuf *r)
{
    head h = { NULL, 0, 0, 0, 0, 0, 0, 0 };
    int rc = read_ident(x, r, &h);
    if (!rc)
        rc = read_state(x, r, &h);
    if (!rc)
        rc = start_instance(x, &h);
    bt_free(&x->e->alloc, h.id);
    if (!rc)
        rc = read_elements(x, r);
    if (!rc)
        rc = read_jobs(x, r);
    if (!rc)
        rc = read_incidents(x, r);
    if (!rc)
        rc = read_queue(x, r);
    if (!rc)
        rc = read_marks(x, r);
    if (!rc)
        rc = read_comps(x, r);
    return rc;
}

typedef int (*table_fn)(reader *x, rbuf *r);

/* Formats 2 to 5: tagged sections. */
static int read_tagged(reader *x, rbuf *r)
{
    static const struct {
        uint32_t tag;
        uint32_t since; /* the format that added it */
        table_fn read;
    } tables[] = {
        { BT_SNAP_CALL, 5, read_calls },
        { BT_SNAP_ELEM, 2, read_elements },
        { BT_SNAP_JOBS, 2, read_jobs },
        { BT_SNAP_INCI, 2, read_incidents },
        { BT_SNAP_QUEU, 2, read_queue },
        { BT_SNAP_JOIN, 2, read_marks },
        { BT_SNAP_COMP, 2, read_comps },
        { BT_SNAP_SUBS, 3, read_subs },
        { BT_SNAP_BACK, 3, read_backoffs },
        { BT_SNAP_LOOP, 4, read_loops },
    };
    uint32_t tag = get_u32(r), len = get_u32(r);
    const unsigned char *body = take(r, len);
    if (!body || tag != BT_SNAP_HEAD)
        return refuse(x, "no header section");
    rbuf hb = { body, len, 0, 0 };
    head h = { NULL, 0, 0, 0, 0, 0, 0, 0 };
    int rc = read_ident(x, &hb, &h);
    if (!rc)
        rc = read_state(x, &hb, &h);
    if (!rc && hb.off != hb.n)
        rc = refuse(x, "bad header section length");
    if (!rc)
        rc = start_instance(x, &h);
    bt_free(&x->e->alloc, h.id);
    /* The tables of its format in their order, each exactly once. */
    for (size_t t = 0; !rc && t < sizeof tables / sizeof *tables; t++) {
        if (tables[t].since > x->version)
            continue;
        tag = get_u32(r);
        len = get_u32(r);
        body = take(r, len);
        if (!body)
            return refuse(x, "truncated section");
        if (tag != tables[t].tag)
            return refuse(x, "unexpected or missing section");
        rbuf sb = { body, len, 0, 0 };
        rc = tables[t].read(x, &sb);
        if (!rc && sb.off != sb.n)
            rc = refuse(x, "bad section length");
    }
    return rc;
}

int bt_snapshot_read(baton_engine *e, const void *data, size_t size,
                     baton_instance **out)
{
    reader x = { e, NULL, 0, NULL, 0, 0, 0 };
    rbuf r = { data, size, 0, 0 };
    const unsigned char *magic = take(&r, 4);
    if (!magic || memcmp(magic, BT_SNAP_MAGIC, 4) != 0)
        return refuse(&x, "not a Baton snapshot");
    x.version = get_u32(&r);
    if (x.version < 1 || x.version > BT_SNAP_VERSION)
        return bt_error(e, BATON_ESNAPSHOT, NULL, 0, 0, NULL,
                        "snapshot refused: format version %u, this library "
                        "reads versions 1 to %u",
                        x.version, BT_SNAP_VERSION);
    uint64_t total = get_u64(&r);
    if (r.bad || total != size || size < 28)
        return refuse(&x, "truncated or extended");
    const unsigned char *p = data;
    uint64_t sum = 0;
    for (int i = 0; i < 8; i++)
        sum |= (uint64_t)p[size - 8 + i] << (8 * i);
    if (sum != bt_fnv1a64(data, size - 8, BT_FNV_SEED))
        return refuse(&x, "checksum mismatch (damaged)");
    r.n = size - 8;
    int rc = x.version == 1 ? read_v1(&x, &r) : read_tagged(&x, &r);
    if (!rc && r.off != r.n)
        rc = refuse(&x, "unexpected length");
    /* Formats before 4 kept no multi-instance state: an instance that
     * needs it cannot be one of theirs. */
    const char *why = !rc && x.version < 4 ? check_loops(x.in, 0) : NULL;
    if (why)
        rc = refuse(&x, why);
    if (!rc)
        rc = check_keys(&x);
    bt_free(&e->alloc, x.calls);
    if (rc) {
        if (x.in)
            bt_instance_free(x.in);
        return rc == BATON_ENOMEM
                   ? bt_error(e, rc, NULL, 0, 0, NULL,
                              "out of memory restoring a snapshot")
                   : bt_error_default(e, rc);
    }
    *out = x.in;
    return 0;
}
