#define _POSIX_C_SOURCE 200809L
/* The replay property: an instance that is snapshotted, freed and
 * restored after every step and every host command behaves exactly as
 * one that is never interrupted.
 *
 * Each case is a 64-bit seed. It gives a random valid model
 * (replay_gen.c) and a random host: for each job, when it waits, the
 * host completes it (with random variables, the ones the gateways test
 * among them), fails it with retries left (now and then with a backoff),
 * fails it with none (an incident, later given retries and resolved),
 * throws a BPMN error that something may or may not catch (uncaught: an
 * incident, resolved later or left), or defers it and settles it later
 * by key; it resolves or leaves incidents (setting variables first for a
 * condition), sets variables now and then, and may cancel the instance.
 * The host owns the clock (baton_engine_set_clock): time moves only when
 * it advances it, to the instance's next due time
 * (baton_instance_next_due) or by a random amount. Whenever the instance
 * waits on events, the host may also correlate a message to an open
 * subscription (its name and correlation key, or another key), or one
 * that nothing waits for, deliver a signal, or set the variables that
 * conditional events read. Decisions about a job are keyed by its
 * element id and attempt number, so the two drives decide alike: the
 * host fetching waiting jobs (no handlers), and in-process handlers.
 * Host actions (handlers' included) are capped per instance; past the
 * cap the host does nothing more and handlers defer, so that every case
 * ends or waits with nothing left to do.
 *
 * For each drive the case runs twice, with baton_instance_step() in a
 * loop and the host acting between steps: (a) uninterrupted, and (b) with
 * snapshot, free and restore at every point (after each step and each
 * host command), each in its own engine, with the same clock readings.
 * They must give the same record stream (baton_record_to_json() of every
 * record, in order), the same job variables seen by the host and results
 * of its correlations and signals, the same final state, variables,
 * incidents, waiting jobs, open subscriptions and next due time, and the
 * same snapshot bytes at every point; (b)'s restored instance must
 * snapshot to the same bytes again.
 *
 *   build/tests/test_replay [CASES]      CASES cases (default 500, or
 *                                        $BATON_REPLAY_CASES)
 *   BATON_REPLAY_SEED=0x...              that case only
 *   BATON_REPLAY_BASE=0x...              another series of cases
 *   BATON_REPLAY_DUMP=1                  print the model and what the
 *                                        host did (2: and the records)
 *
 * A failure prints the case's seed and index; BATON_REPLAY_SEED replays
 * exactly that case. A generated model that does not load is a generator
 * bug and fails the test with the loader's message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "baton.h"
#include "replay_gen.h"

#define DEFAULT_CASES 500
#define DEFAULT_BASE 0x626174306e2d7270ull
#define MAX_STEPS 20000
#define MAX_TURNS 20000
#define MAX_BUSY 5000   /* steps in a row that return READY: a livelock */
#define MAX_ATTEMPTS 6  /* past this, a job is completed */
#define MAX_RESOLVES 3  /* past this, an element's incident is left */
#define MAX_FAILURES 20 /* printed; later ones are only counted */
#define MAX_HOST_ACTS 300 /* per instance: jobs settled, events, commands */
#define MAX_EVENT_ACTS 60 /* of which clock moves, messages, signals and
                             condition variables */
#define MAX_CANDS 128

/* ------------------------------------------------------------------ */
/* Small containers                                                    */
/* ------------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "test_replay: out of memory\n");
        exit(2);
    }
    return p;
}

static void grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    *p = xrealloc(*p, c * size);
    *cap = c;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *vfmt(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    char *s = xrealloc(NULL, (size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
    return s;
}

static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = vfmt(f, ap);
    va_end(ap);
    return s;
}

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static void strv_push(strv *s, char *owned)
{
    grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v);
    s->v[s->n++] = owned;
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

typedef struct blob {
    void *p;
    size_t n;
} blob;

/* ------------------------------------------------------------------ */
/* A case and a run                                                    */
/* ------------------------------------------------------------------ */

typedef struct rcase {
    uint64_t seed;
    size_t index;
    rg_model m;
    char vars[512];  /* initial variables */
    long cancel_at;  /* the host cancels after this many steps; 0 never */
    unsigned idle;   /* % of turns the host lets pass while work is ready */
} rcase;

/* Per element id: attempts at its jobs, or incidents it raised. */
typedef struct counter {
    char id[32];
    unsigned n;
} counter;

/* Something the host will do later: settle a deferred job, or resolve
 * an incident. */
typedef struct pending {
    uint64_t key;
    char el[32];
    unsigned attempt; /* deferred: the attempt that deferred it */
    long due;         /* host turn */
    int forever;      /* never */
    int retries;      /* incident of a job: retries to give first, or 0 */
} pending;

typedef struct pendv {
    pending *v;
    size_t n, cap;
} pendv;

enum { DRIVE_FETCH, DRIVE_HANDLERS, N_DRIVES };
static const char *const drive_names[N_DRIVES] = { "fetch", "handlers" };

/* What the host did, for the summary. */
enum { A_COMPLETE, A_FAIL, A_BACKOFF, A_FAIL_INCIDENT, A_THROW, A_DEFER,
       A_RETRIES, A_RESOLVE, A_SET, A_CANCEL, A_ADVANCE_DUE, A_ADVANCE,
       A_MESSAGE, A_MESSAGE_NONE, A_SIGNAL, A_CONDITION, N_ACTS };
static const char *const act_names[N_ACTS] = {
    "complete", "fail, retries left", "fail with backoff",
    "fail, no retries", "throw error", "defer", "update retries",
    "resolve incident", "set variables", "cancel", "clock to next due",
    "clock forward", "message (matched)", "message (none)", "signal",
    "condition variables",
};

typedef struct run {
    const rcase *c;
    int drive;
    int restore;
    const struct run *ref; /* (b): the uninterrupted run */
    baton_engine *e;
    baton_instance *in;
    strv records; /* baton_record_to_json() of each record */
    strv obs;     /* the variables the host saw, per job attempt */
    strv points;  /* what happened before each snapshot */
    blob *snaps;  /* (a): the snapshot at each point */
    size_t n_snaps, cap_snaps, n_points;
    counter *attempts, *incs;
    size_t n_attempts, cap_attempts, n_incs, cap_incs;
    pendv deferred, incidents;
    rg_rng host;
    long steps, turns;
    int64_t now;        /* the clock the engine reads */
    unsigned host_acts; /* host actions, handlers' included */
    unsigned event_acts;
    int cancelled;
    unsigned long acts[N_ACTS];
    char *final; /* state, revision, variables, incidents, jobs */
    int state;
    char *fail;  /* the first failure */
} run;

static void failf(run *r, const char *f, ...)
{
    if (r->fail)
        return;
    va_list ap;
    va_start(ap, f);
    r->fail = vfmt(f, ap);
    va_end(ap);
}

/* A call that must succeed. */
static int ok(run *r, int rc, const char *what)
{
    if (rc >= 0)
        return 1;
    failf(r, "%s failed: %s: %s", what, baton_strerror(rc),
          r->e ? baton_engine_errmsg(r->e) : "");
    return 0;
}

static unsigned *count_of(counter **v, size_t *n, size_t *cap,
                          const char *id)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].id, id) == 0)
            return &(*v)[i].n;
    grow((void **)v, cap, *n + 1, sizeof **v);
    counter *c = &(*v)[(*n)++];
    snprintf(c->id, sizeof c->id, "%s", id);
    c->n = 0;
    return &c->n;
}

static pending *pend_find(pendv *p, uint64_t key)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].key == key)
            return &p->v[i];
    return NULL;
}

static pending *pend_add(pendv *p)
{
    grow((void **)&p->v, &p->cap, p->n + 1, sizeof *p->v);
    memset(&p->v[p->n], 0, sizeof *p->v);
    return &p->v[p->n++];
}

static void pend_del(pendv *p, size_t i)
{
    memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof *p->v);
    p->n--;
}

static void run_clear(run *r)
{
    baton_instance_free(r->in);
    baton_engine_free(r->e);
    strv_free(&r->records);
    strv_free(&r->obs);
    strv_free(&r->points);
    for (size_t i = 0; i < r->n_snaps; i++)
        baton_free(r->snaps[i].p);
    free(r->snaps);
    free(r->attempts);
    free(r->incs);
    free(r->deferred.v);
    free(r->incidents.v);
    free(r->final);
    free(r->fail);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ */
/* Points: snapshot, and in (b) free and restore                       */
/* ------------------------------------------------------------------ */

static void sink(void *ud, baton_instance *in, const baton_record *rec)
{
    run *r = ud;
    char *text;
    size_t len;
    (void)in;
    int rc = baton_record_to_json(rec, &text, &len);
    if (rc) {
        failf(r, "baton_record_to_json failed: %s", baton_strerror(rc));
        return;
    }
    strv_push(&r->records, xstrndup(text, len));
    baton_free(text);
}

/* After each step and each host command. */
static void point(run *r, const char *f, ...)
{
    if (r->fail)
        return;
    va_list ap;
    va_start(ap, f);
    char *what = vfmt(f, ap);
    va_end(ap);
    size_t k = r->n_points++;
    strv_push(&r->points, what);
    blob s = { NULL, 0 };
    if (!ok(r, baton_instance_snapshot(r->in, &s.p, &s.n),
            "baton_instance_snapshot"))
        return;
    if (!r->restore) {
        grow((void **)&r->snaps, &r->cap_snaps, r->n_snaps + 1,
             sizeof *r->snaps);
        r->snaps[r->n_snaps++] = s;
        return;
    }
    const run *a = r->ref;
    if (k >= a->n_snaps) {
        failf(r, "point %zu (%s): the uninterrupted run had only %zu points",
              k, what, a->n_snaps);
    } else if (a->snaps[k].n != s.n || memcmp(a->snaps[k].p, s.p, s.n)) {
        failf(r, "point %zu (%s): the snapshot differs from the "
                 "uninterrupted run's at its point %zu (%s): %zu and %zu "
                 "bytes",
              k, what, k, a->points.v[k], s.n, a->snaps[k].n);
    }
    if (r->fail) {
        baton_free(s.p);
        return;
    }
    baton_instance_free(r->in);
    r->in = NULL;
    int rc = baton_instance_restore(r->e, s.p, s.n, &r->in);
    if (ok(r, rc, "baton_instance_restore")) {
        blob t = { NULL, 0 };
        if (ok(r, baton_instance_snapshot(r->in, &t.p, &t.n),
               "baton_instance_snapshot after restore") &&
            (t.n != s.n || memcmp(t.p, s.p, s.n)))
            failf(r, "point %zu (%s): a restored instance snapshots to other "
                     "bytes (%zu, was %zu)",
                  k, what, t.n, s.n);
        baton_free(t.p);
    }
    baton_free(s.p);
}

/* ------------------------------------------------------------------ */
/* The host's decisions                                                */
/* ------------------------------------------------------------------ */

enum { D_COMPLETE, D_FAIL, D_THROW, D_DEFER };

typedef struct decision {
    int kind;
    int retries;      /* D_FAIL */
    int64_t backoff;  /* D_FAIL: milliseconds, 0 for none */
    const char *code; /* D_THROW */
    char vars[400];   /* D_COMPLETE */
    long delay;       /* D_DEFER: host turns */
    int forever;      /* D_DEFER: never settled */
} decision;

/* What to do with attempt `attempt` at a job of element `el`, which has
 * `retries` retries; `settle`: a deferred job, which is not deferred
 * again. Keyed by element and attempt, never by time, so that the
 * drives decide alike. */
static void decide(const run *r, const char *el, unsigned attempt,
                   int retries, int settle, decision *d)
{
    rg_rng g = { rg_hash(r->c->seed, el, attempt, settle ? 'S' : 'J') };
    unsigned roll = rg_below(&g, settle ? 84 : 100);
    memset(d, 0, sizeof *d);
    if (attempt > MAX_ATTEMPTS)
        roll = 0;
    if (roll < 44) {
        d->kind = D_COMPLETE;
        if (rg_chance(&g, 15))
            snprintf(d->vars, sizeof d->vars, "%s", "{}");
        else
            rg_vars(&g, 0, d->vars, sizeof d->vars);
    } else if (roll < 56) {
        d->kind = D_FAIL;
        d->retries = retries > 1 ? retries - 1 : 0;
        /* Retried after a backoff of seconds to minutes. */
        if (roll >= 50)
            d->backoff = 1000 * (1 + (int64_t)rg_below(&g, 600));
    } else if (roll < 62) {
        d->kind = D_FAIL;
        d->retries = 0;
    } else if (roll < 84) {
        d->kind = D_THROW;
        d->code = rg_code(&g);
    } else {
        d->kind = D_DEFER;
        d->delay = (long)rg_below(&g, 6);
        d->forever = rg_chance(&g, 8);
    }
}

static void see_vars(run *r, const baton_job *job, unsigned attempt)
{
    char *vars;
    size_t len;
    if (!ok(r, baton_job_variables(job, &vars, &len), "baton_job_variables"))
        return;
    strv_push(&r->obs, fmt("%s #%u %.*s", baton_job_element_id(job), attempt,
                           (int)len, vars));
    baton_free(vars);
}

static void defer_later(run *r, uint64_t key, const char *el,
                        unsigned attempt, const decision *d)
{
    pending *p = pend_add(&r->deferred);
    p->key = key;
    snprintf(p->el, sizeof p->el, "%s", el);
    p->attempt = attempt;
    p->due = r->turns + d->delay;
    p->forever = d->forever;
}

/* In-process handler: the same decisions as the fetching host. */
static int on_job(void *ud, baton_job *job)
{
    run *r = ud;
    const char *el = baton_job_element_id(job);
    if (r->host_acts >= MAX_HOST_ACTS) {
        /* Past the cap the job waits for ever. */
        if (baton_job_defer(job))
            failf(r, "handler of %s: deferring failed", el);
        return 0;
    }
    r->host_acts++;
    unsigned attempt =
        ++*count_of(&r->attempts, &r->n_attempts, &r->cap_attempts, el);
    see_vars(r, job, attempt);
    decision d;
    decide(r, el, attempt, baton_job_retries(job), 0, &d);
    int rc;
    switch (d.kind) {
    case D_COMPLETE:
        rc = baton_job_complete(job, d.vars, BATON_NUL);
        r->acts[A_COMPLETE]++;
        break;
    case D_FAIL:
        rc = baton_job_fail_backoff(job, d.retries, d.backoff,
                                    "replay: failed");
        r->acts[!d.retries ? A_FAIL_INCIDENT
                : d.backoff ? A_BACKOFF : A_FAIL]++;
        break;
    case D_THROW:
        rc = baton_job_throw_error(job, d.code, "replay: thrown");
        r->acts[A_THROW]++;
        break;
    default:
        rc = baton_job_defer(job);
        if (!rc)
            defer_later(r, baton_job_key(job), el, attempt, &d);
        r->acts[A_DEFER]++;
        break;
    }
    if (rc)
        failf(r, "handler of %s (attempt %u): settling failed: %s", el,
              attempt, baton_strerror(rc));
    return 0;
}

/* Settles job `key` by key, as `d` says. */
static void settle(run *r, uint64_t key, const char *el, const decision *d)
{
    r->acts[d->kind == D_COMPLETE ? A_COMPLETE
            : d->kind == D_THROW  ? A_THROW
            : !d->retries         ? A_FAIL_INCIDENT
            : d->backoff          ? A_BACKOFF
                                  : A_FAIL]++;
    switch (d->kind) {
    case D_COMPLETE:
        if (ok(r, baton_instance_complete_job(r->in, key, d->vars,
                                              BATON_NUL),
               "baton_instance_complete_job"))
            point(r, "complete %s %s", el, d->vars);
        break;
    case D_FAIL:
        if (ok(r, baton_instance_fail_job_backoff(r->in, key, d->retries,
                                                  d->backoff,
                                                  "replay: failed"),
               "baton_instance_fail_job_backoff"))
            point(r, "fail %s, %d retries, backoff %lld ms", el, d->retries,
                  (long long)d->backoff);
        break;
    case D_THROW:
        if (ok(r, baton_instance_throw_job_error(r->in, key, d->code,
                                                 "replay: thrown"),
               "baton_instance_throw_job_error"))
            point(r, "throw %s from %s", d->code, el);
        break;
    }
}

static baton_job *job_by_key(run *r, uint64_t key)
{
    size_t n = baton_instance_job_count(r->in);
    for (size_t i = 0; i < n; i++) {
        baton_job *j = baton_instance_job(r->in, i);
        if (baton_job_key(j) == key)
            return j;
    }
    return NULL;
}

static int incident_open(run *r, uint64_t key)
{
    size_t n = baton_instance_incident_count(r->in);
    for (size_t i = 0; i < n; i++)
        if (baton_instance_incident_key(r->in, i) == key)
            return 1;
    return 0;
}

/* Forgets what went away (a deferred job whose task was terminated, an
 * incident that a cancel took) and decides about new incidents. */
static void refresh(run *r)
{
    for (size_t i = 0; i < r->deferred.n;)
        if (!job_by_key(r, r->deferred.v[i].key))
            pend_del(&r->deferred, i);
        else
            i++;
    for (size_t i = 0; i < r->incidents.n;)
        if (!incident_open(r, r->incidents.v[i].key))
            pend_del(&r->incidents, i);
        else
            i++;
    size_t n = baton_instance_incident_count(r->in);
    for (size_t i = 0; i < n; i++) {
        uint64_t key = baton_instance_incident_key(r->in, i);
        if (pend_find(&r->incidents, key))
            continue;
        const char *el = baton_instance_incident_element_id(r->in, i);
        unsigned nth = ++*count_of(&r->incs, &r->n_incs, &r->cap_incs, el);
        rg_rng g = { rg_hash(r->c->seed, el, nth, 'I') };
        /* An error end event that nothing catches throws again when
         * resolved: mostly left. */
        int again = !baton_instance_incident_job_key(r->in, i) &&
                    !strcmp(baton_instance_incident_type(r->in, i),
                            "UNHANDLED_ERROR_EVENT");
        pending *p = pend_add(&r->incidents);
        p->key = key;
        snprintf(p->el, sizeof p->el, "%s", el);
        p->due = r->turns + (long)rg_below(&g, 4);
        p->forever = nth > MAX_RESOLVES || rg_chance(&g, again ? 60 : 12);
        p->retries = rg_chance(&g, 70) ? 1 + (int)rg_below(&g, 3) : 0;
    }
}

static void resolve(run *r, const pending *p)
{
    size_t n = baton_instance_incident_count(r->in), i;
    for (i = 0; i < n; i++)
        if (baton_instance_incident_key(r->in, i) == p->key)
            break;
    if (i == n) {
        failf(r, "incident %llu vanished", (unsigned long long)p->key);
        return;
    }
    const char *type = baton_instance_incident_type(r->in, i);
    uint64_t job = baton_instance_incident_job_key(r->in, i);
    if (job && p->retries) {
        if (!ok(r, baton_instance_update_job_retries(r->in, job, p->retries),
                "baton_instance_update_job_retries"))
            return;
        point(r, "retries %d for %s", p->retries, p->el);
        r->acts[A_RETRIES]++;
    } else if (!strcmp(type, "CONDITION_ERROR") ||
               !strcmp(type, "EXTRACT_VALUE_ERROR")) {
        char vars[512];
        rg_rng g = { rg_hash(r->c->seed, p->el, p->key, 'V') };
        rg_vars(&g, 1, vars, sizeof vars);
        if (!ok(r, baton_instance_set_variables(r->in, vars, BATON_NUL),
                "baton_instance_set_variables"))
            return;
        point(r, "set %s", vars);
        r->acts[A_SET]++;
    }
    if (ok(r, baton_instance_resolve_incident(r->in, p->key),
           "baton_instance_resolve_incident"))
        point(r, "resolve %s incident of %s", type, p->el);
    r->acts[A_RESOLVE]++;
}

enum { C_DEFERRED, C_INCIDENT, C_JOB, C_CLOCK, C_MESSAGE, C_NO_MESSAGE,
       C_SIGNAL, C_CONDITION };

typedef struct cand {
    int what;
    size_t i;  /* in r->deferred or r->incidents, or a subscription */
    uint64_t key;
} cand;

/* ---- events ------------------------------------------------------ */

static int64_t clock_fn(void *ud)
{
    return ((const run *)ud)->now;
}

/* Minutes and seconds since the clock started, for the points. */
static char *clock_text(int64_t t)
{
    int64_t s = (t - RG_EPOCH_MS) / 1000;
    return fmt("+%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
}

/* What the host can do about the instance's events: move the clock when
 * something waits on time, correlate a message to each message
 * subscription, signal each signal subscription, set the variables of
 * the conditions, and now and then send a message that nothing waits
 * for. */
static size_t event_cands(run *r, cand *c, size_t n)
{
    int64_t due;
    int timed = baton_instance_next_due(r->in, &due) == 1, waits = 0,
        conds = 0;
    if (timed && n < MAX_CANDS)
        c[n++] = (cand){ C_CLOCK, 0, 0 };
    size_t ns = baton_instance_subscription_count(r->in);
    for (size_t i = 0; i < ns && n < MAX_CANDS; i++) {
        uint64_t key = baton_instance_subscription_key(r->in, i);
        switch (baton_instance_subscription_kind(r->in, i)) {
        case BATON_SUB_MESSAGE:
            c[n++] = (cand){ C_MESSAGE, i, key };
            waits = 1;
            break;
        case BATON_SUB_SIGNAL:
            c[n++] = (cand){ C_SIGNAL, i, key };
            waits = 1;
            break;
        case BATON_SUB_CONDITION:
            if (!conds++)
                c[n++] = (cand){ C_CONDITION, i, key };
            waits = 1;
            break;
        default:
            break;
        }
    }
    if ((waits || timed) && n < MAX_CANDS && rg_chance(&r->host, 20))
        c[n++] = (cand){ C_NO_MESSAGE, 0, 0 };
    return n;
}

/* A copy of a borrowed string, which the call it goes into may free. */
static void copy_name(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void host_event(run *r, const cand *x)
{
    rg_rng *h = &r->host;
    char name[64], key[64], vars[512];
    const char *k = NULL, *v = NULL;
    int rc;
    r->event_acts++;
    if (rg_chance(h, 40)) {
        rg_vars(h, 0, vars, sizeof vars);
        v = vars;
    }
    switch (x->what) {
    case C_CLOCK: {
        int64_t due = r->now;
        baton_instance_next_due(r->in, &due);
        if (rg_chance(h, 75)) {
            if (due > r->now)
                r->now = due;
            r->acts[A_ADVANCE_DUE]++;
        } else {
            r->now += 1000 * (1 + (int64_t)rg_below(h, 600));
            r->acts[A_ADVANCE]++;
        }
        char *t = clock_text(r->now);
        strv_push(&r->obs, fmt("clock %s", t));
        point(r, "clock %s", t);
        free(t);
        return;
    }
    case C_CONDITION:
        rg_cond_vars(h, vars, sizeof vars);
        if (ok(r, baton_instance_set_variables(r->in, vars, BATON_NUL),
               "baton_instance_set_variables"))
            point(r, "set %s", vars);
        r->acts[A_CONDITION]++;
        return;
    case C_SIGNAL:
        copy_name(name, sizeof name,
                  baton_instance_subscription_name(r->in, x->i));
        if (rg_chance(h, 15))
            copy_name(name, sizeof name,
                      rg_signals[rg_below(h, RG_N_SIGNALS)]);
        rc = baton_instance_signal(r->in, name, v, BATON_NUL);
        if (ok(r, rc, "baton_instance_signal")) {
            strv_push(&r->obs, fmt("signal %s %s: %d", name, v ? v : "", rc));
            point(r, "signal %s: %d", name, rc);
        }
        r->acts[A_SIGNAL]++;
        return;
    case C_MESSAGE:
        copy_name(name, sizeof name,
                  baton_instance_subscription_name(r->in, x->i));
        k = baton_instance_subscription_correlation_key(r->in, x->i);
        copy_name(key, sizeof key, k);
        k = k ? key : NULL;
        /* Now and then another key of the set, or none. */
        if (rg_chance(h, 20)) {
            unsigned j = rg_below(h, RG_N_KEYS + 1);
            k = j < RG_N_KEYS ? rg_keys[j] : NULL;
        }
        break;
    default:
        /* A message that nothing waits for: an unknown name, or a key
         * no variable holds. */
        if (rg_chance(h, 50)) {
            copy_name(name, sizeof name, "nobody");
            k = rg_chance(h, 50) ? "k0" : NULL;
        } else {
            copy_name(name, sizeof name, rg_messages[rg_below(h, 2)]);
            k = "k9";
        }
        break;
    }
    rc = baton_instance_correlate_message(r->in, name, k, v, BATON_NUL);
    if (ok(r, rc, "baton_instance_correlate_message")) {
        strv_push(&r->obs, fmt("message %s/%s %s: %d", name, k ? k : "-",
                               v ? v : "", rc));
        point(r, "message %s/%s: %d", name, k ? k : "-", rc);
    }
    r->acts[rc > 0 ? A_MESSAGE : A_MESSAGE_NONE]++;
}

/* One turn of the host, between steps. Returns 1 when it acted, 0 when
 * it let the turn pass, -1 when the instance waits and nothing the host
 * will ever do can move it. */
static int host_turn(run *r, int waiting)
{
    r->turns++;
    if (r->c->cancel_at && !r->cancelled && r->steps >= r->c->cancel_at) {
        r->cancelled = 1;
        if (ok(r, baton_instance_cancel(r->in), "baton_instance_cancel"))
            point(r, "cancel");
        r->acts[A_CANCEL]++;
        return 1;
    }
    if (r->cancelled || r->host_acts >= MAX_HOST_ACTS)
        return waiting ? -1 : 0;
    if (!waiting && rg_chance(&r->host, r->c->idle))
        return 0;
    refresh(r);
    cand c[MAX_CANDS];
    size_t n = 0;
    for (int pass = 0; pass < 2 && !n; pass++) {
        for (size_t i = 0; i < r->deferred.n && n < MAX_CANDS; i++)
            if (!r->deferred.v[i].forever && r->deferred.v[i].due <= r->turns)
                c[n++] = (cand){ C_DEFERRED, i, r->deferred.v[i].key };
        for (size_t i = 0; i < r->incidents.n && n < MAX_CANDS; i++)
            if (!r->incidents.v[i].forever &&
                r->incidents.v[i].due <= r->turns)
                c[n++] = (cand){ C_INCIDENT, i, r->incidents.v[i].key };
        if (r->drive == DRIVE_FETCH) {
            size_t nj = baton_instance_job_count(r->in);
            for (size_t i = 0; i < nj && n < MAX_CANDS; i++) {
                uint64_t key = baton_job_key(baton_instance_job(r->in, i));
                if (!pend_find(&r->deferred, key))
                    c[n++] = (cand){ C_JOB, 0, key };
            }
        }
        if (r->event_acts < MAX_EVENT_ACTS)
            n = event_cands(r, c, n);
        if (n || !waiting)
            break;
        /* Waiting with nothing due: time passes to the next thing due. */
        long next = -1;
        for (size_t i = 0; i < r->deferred.n; i++)
            if (!r->deferred.v[i].forever &&
                (next < 0 || r->deferred.v[i].due < next))
                next = r->deferred.v[i].due;
        for (size_t i = 0; i < r->incidents.n; i++)
            if (!r->incidents.v[i].forever &&
                (next < 0 || r->incidents.v[i].due < next))
                next = r->incidents.v[i].due;
        if (next < 0)
            return -1;
        r->turns = next;
    }
    if (!n)
        return 0;
    r->host_acts++;
    if (rg_chance(&r->host, 4)) {
        char vars[512];
        rg_vars(&r->host, 0, vars, sizeof vars);
        if (ok(r, baton_instance_set_variables(r->in, vars, BATON_NUL),
               "baton_instance_set_variables"))
            point(r, "set %s", vars);
        r->acts[A_SET]++;
        return 1;
    }
    cand x = c[rg_below(&r->host, (unsigned)n)];
    if (x.what >= C_CLOCK) {
        host_event(r, &x);
        return 1;
    }
    if (x.what == C_INCIDENT) {
        pending p = r->incidents.v[x.i];
        pend_del(&r->incidents, x.i);
        resolve(r, &p);
        return 1;
    }
    baton_job *job = job_by_key(r, x.key);
    if (!job) {
        failf(r, "job %llu vanished", (unsigned long long)x.key);
        return -1;
    }
    char el[32];
    snprintf(el, sizeof el, "%s", baton_job_element_id(job));
    decision d;
    if (x.what == C_DEFERRED) {
        pending p = r->deferred.v[x.i];
        pend_del(&r->deferred, x.i);
        decide(r, el, p.attempt, baton_job_retries(job), 1, &d);
        settle(r, x.key, el, &d);
        return 1;
    }
    unsigned attempt =
        ++*count_of(&r->attempts, &r->n_attempts, &r->cap_attempts, el);
    see_vars(r, job, attempt);
    decide(r, el, attempt, baton_job_retries(job), 0, &d);
    if (d.kind == D_DEFER) {
        defer_later(r, x.key, el, attempt, &d);
        r->acts[A_DEFER]++;
    } else
        settle(r, x.key, el, &d);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Playing a case                                                      */
/* ------------------------------------------------------------------ */

static char *final_state(run *r)
{
    baton_instance *in = r->in;
    char *vars = NULL;
    size_t len = 0;
    if (!ok(r, baton_instance_variables(in, &vars, &len),
            "baton_instance_variables"))
        return fmt("?");
    char *s = fmt("state %d, revision %llu\nvariables %.*s\n",
                  baton_instance_state(in),
                  (unsigned long long)baton_instance_revision(in), (int)len,
                  vars);
    baton_free(vars);
    for (size_t i = 0; i < baton_instance_incident_count(in); i++) {
        char *t = fmt("%sincident %llu %s at %s, job %llu: %s\n", s,
                      (unsigned long long)baton_instance_incident_key(in, i),
                      baton_instance_incident_type(in, i),
                      baton_instance_incident_element_id(in, i),
                      (unsigned long long)baton_instance_incident_job_key(in,
                                                                          i),
                      baton_instance_incident_message(in, i));
        free(s);
        s = t;
    }
    for (size_t i = 0; i < baton_instance_job_count(in); i++) {
        baton_job *j = baton_instance_job(in, i);
        char *t = fmt("%sjob %llu %s at %s, %d retries\n", s,
                      (unsigned long long)baton_job_key(j), baton_job_type(j),
                      baton_job_element_id(j), baton_job_retries(j));
        free(s);
        s = t;
    }
    for (size_t i = 0; i < baton_instance_subscription_count(in); i++) {
        const char *name = baton_instance_subscription_name(in, i);
        const char *key = baton_instance_subscription_correlation_key(in, i);
        uint64_t owner = baton_instance_subscription_element_instance_key(in,
                                                                          i);
        char *t = fmt(
            "%ssubscription %llu kind %d at %s (%llu) %s/%s due %lld\n", s,
            (unsigned long long)baton_instance_subscription_key(in, i),
            baton_instance_subscription_kind(in, i),
            baton_instance_subscription_element_id(in, i),
            (unsigned long long)owner, name ? name : "-", key ? key : "-",
            (long long)baton_instance_subscription_due(in, i));
        free(s);
        s = t;
    }
    int64_t due = 0;
    int timed = baton_instance_next_due(in, &due);
    char *t = fmt("%snext due %d %lld\n", s, timed, (long long)due);
    free(s);
    return t;
}

/* Collects the problems baton_model_check reports, one a line. */
static void problem(void *ud, int code, const char *source, int line,
                    int column, const char *tag, const char *element_id,
                    const char *message)
{
    char **all = ud;
    char *t = fmt("%s\n    %s:%d:%d: %s '%s': %s (%s)", *all ? *all : "",
                  source, line, column, tag, element_id, message,
                  baton_strerror(code));
    free(*all);
    *all = t;
}

static void play(run *r)
{
    const rcase *c = r->c;
    r->host.s = rg_hash(c->seed, "host", (uint64_t)r->drive, 0);
    if (!ok(r, baton_engine_new(NULL, NULL, &r->e), "baton_engine_new"))
        return;
    baton_engine_set_record_sink(r->e, sink, r);
    r->now = RG_EPOCH_MS;
    baton_engine_set_clock(r->e, clock_fn, r);
    baton_model *m = NULL;
    char *problems = NULL;
    int rc = baton_model_check(r->e, c->m.xml, c->m.len, "replay.bpmn",
                               problem, &problems);
    if (rc) {
        failf(r, "the generated model does not pass baton_model_check (a "
                 "generator bug): %s:%s",
              baton_strerror(rc), problems ? problems : "");
        free(problems);
        return;
    }
    rc = baton_model_load(r->e, c->m.xml, c->m.len, "replay.bpmn", &m);
    if (rc) {
        failf(r, "the generated model does not load (a generator bug): %s: "
                 "%s",
              baton_strerror(rc), baton_engine_errmsg(r->e));
        return;
    }
    /* "replay", and the processes its call activities call. */
    for (size_t p = 0; !rc && p < baton_model_process_count(m); p++) {
        rc = baton_engine_deploy(r->e, m, baton_model_process_id(m, p), NULL);
        if (!rc && r->drive == DRIVE_HANDLERS)
            for (size_t i = 0; !rc && i < baton_model_job_type_count(m, p);
                 i++)
                rc = baton_engine_register_handler(
                    r->e, baton_model_job_type(m, p, i), on_job, r);
    }
    baton_model_free(m);
    if (!ok(r, rc, "deploying"))
        return;
    if (!ok(r, baton_instance_create(r->e, "replay", c->vars, BATON_NUL,
                                     &r->in),
            "baton_instance_create"))
        return;
    point(r, "created");
    long busy = 0;
    while (!r->fail) {
        if (r->steps >= MAX_STEPS || r->turns >= MAX_TURNS) {
            failf(r, "the instance did not settle in %ld steps and %ld host "
                     "turns",
                  r->steps, r->turns);
            break;
        }
        rc = baton_instance_step(r->in);
        r->steps++;
        if (!ok(r, rc, "baton_instance_step"))
            break;
        int st = baton_instance_state(r->in);
        int ended = st == BATON_INSTANCE_COMPLETED ||
                    st == BATON_INSTANCE_TERMINATED;
        if ((rc == BATON_STEP_ENDED) != ended ||
            (rc == BATON_STEP_WAITING && st != BATON_INSTANCE_WAITING &&
             st != BATON_INSTANCE_INCIDENT)) {
            failf(r, "step %ld returned %d in state %d", r->steps, rc, st);
            break;
        }
        point(r, "step %ld", r->steps);
        if (rc == BATON_STEP_ENDED || r->fail)
            break;
        /* No model here has a loop: work that never runs out is the
         * engine's. */
        busy = rc == BATON_STEP_READY ? busy + 1 : 0;
        if (busy >= MAX_BUSY) {
            failf(r, "livelock: %ld steps in a row returned "
                     "BATON_STEP_READY (the last: %s)",
                  busy, r->records.n ? r->records.v[r->records.n - 1] : "");
            break;
        }
        if (host_turn(r, rc == BATON_STEP_WAITING) < 0)
            break;
    }
    if (!r->fail && r->in) {
        r->state = baton_instance_state(r->in);
        r->final = final_state(r);
    }
}

static char *compare_runs(const run *a, const run *b)
{
    size_t n = a->records.n < b->records.n ? a->records.n : b->records.n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->records.v[i], b->records.v[i]))
            return fmt("record %zu differs:\n    uninterrupted: %s\n    "
                       "restored:      %s",
                       i, a->records.v[i], b->records.v[i]);
    if (a->records.n != b->records.n)
        return fmt("%zu records uninterrupted, %zu restored", a->records.n,
                   b->records.n);
    n = a->obs.n < b->obs.n ? a->obs.n : b->obs.n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->obs.v[i], b->obs.v[i]))
            return fmt("job variables %zu differ:\n    uninterrupted: %s\n  "
                       "  restored:      %s",
                       i, a->obs.v[i], b->obs.v[i]);
    if (a->obs.n != b->obs.n)
        return fmt("%zu job attempts uninterrupted, %zu restored", a->obs.n,
                   b->obs.n);
    if (a->n_points != b->n_points)
        return fmt("%zu points uninterrupted, %zu restored", a->n_points,
                   b->n_points);
    if (strcmp(a->final, b->final))
        return fmt("the end differs:\n  uninterrupted:\n%s  restored:\n%s",
                   a->final, b->final);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */
/* ------------------------------------------------------------------ */

typedef struct stats {
    size_t cases;
    unsigned long kinds[RG_KINDS];
    unsigned long nodes, flows;
    unsigned long long records, points, steps;
    unsigned long outcomes[N_DRIVES][5];
    unsigned long acts[N_DRIVES][N_ACTS];
    size_t failures;
} stats;

static int dump_level(void)
{
    const char *d = getenv("BATON_REPLAY_DUMP");
    return d && *d ? atoi(d) : 0;
}

static void make_case(rcase *c, uint64_t seed, size_t index)
{
    memset(c, 0, sizeof *c);
    c->seed = seed;
    c->index = index;
    if (rg_generate(seed, &c->m)) {
        fprintf(stderr, "test_replay: out of memory\n");
        exit(2);
    }
    rg_rng r = { rg_hash(seed, "case", 0, 0) };
    rg_vars(&r, 1, c->vars, sizeof c->vars);
    c->cancel_at = rg_chance(&r, 10) ? 1 + (long)rg_below(&r, 60) : 0;
    c->idle = 30 + rg_below(&r, 60);
}

static void dump_run(const run *r, int level)
{
    printf("--- %s drive%s: %ld steps, %zu points, %zu records\n",
           drive_names[r->drive], r->restore ? ", restored at every point" : "",
           r->steps, r->n_points, r->records.n);
    for (size_t i = 0; i < r->points.n; i++)
        if (level >= 2 || strncmp(r->points.v[i], "step ", 5))
            printf("  point %zu: %s\n", i, r->points.v[i]);
    for (size_t i = 0; i < r->obs.n; i++)
        printf("  job %s\n", r->obs.v[i]);
    if (level >= 2)
        for (size_t i = 0; i < r->records.n; i++)
            printf("  %s\n", r->records.v[i]);
    printf("%s", r->final ? r->final : "(no end)\n");
}

/* Runs one case both drives, two ways each; returns NULL or why it
 * failed. */
static char *run_case(const rcase *c, stats *st, int dump)
{
    char *why = NULL;
    for (int drive = 0; drive < N_DRIVES && !why; drive++) {
        run a = { .c = c, .drive = drive };
        run b = { .c = c, .drive = drive, .restore = 1, .ref = &a };
        play(&a);
        if (a.fail) {
            why = fmt("%s drive, uninterrupted: %s", drive_names[drive],
                      a.fail);
        } else {
            play(&b);
            if (b.fail)
                why = fmt("%s drive, restored at every point: %s",
                          drive_names[drive], b.fail);
            else {
                char *d = compare_runs(&a, &b);
                if (d)
                    why = fmt("%s drive: %s", drive_names[drive], d);
                free(d);
            }
        }
        if (dump) {
            dump_run(&a, dump);
            dump_run(&b, dump);
        }
        if (!why) {
            st->records += a.records.n;
            st->points += b.n_points;
            st->steps += (unsigned long long)(a.steps + b.steps);
            if (a.state >= 0 && a.state < 5)
                st->outcomes[drive][a.state]++;
            for (int k = 0; k < N_ACTS; k++)
                st->acts[drive][k] += a.acts[k];
        }
        run_clear(&a);
        run_clear(&b);
    }
    st->cases++;
    for (int k = 0; k < RG_KINDS; k++)
        st->kinds[k] += c->m.n[k];
    st->nodes += c->m.n_nodes;
    st->flows += c->m.n_flows;
    return why;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void summary(const stats *st, uint64_t base, double secs)
{
    printf("replay: %zu cases (base seed 0x%016llx), 4 runs each, %.2f s\n",
           st->cases, (unsigned long long)base, secs);
    printf("  models: %lu flow nodes, %lu sequence flows\n", st->nodes,
           st->flows);
    for (int k = 0; k < RG_KINDS; k++)
        printf("    %-34s %lu\n", rg_kind_name(k), st->kinds[k]);
    printf("  compared: %llu records, %llu snapshots restored, %llu steps\n",
           st->records, st->points, st->steps);
    printf("  outcomes    completed terminated   incident    waiting\n");
    for (int d = 0; d < N_DRIVES; d++)
        printf("  %-9s %11lu %10lu %10lu %10lu\n", drive_names[d],
               st->outcomes[d][BATON_INSTANCE_COMPLETED],
               st->outcomes[d][BATON_INSTANCE_TERMINATED],
               st->outcomes[d][BATON_INSTANCE_INCIDENT],
               st->outcomes[d][BATON_INSTANCE_WAITING]);
    printf("  host       %9s %9s\n", drive_names[0], drive_names[1]);
    for (int k = 0; k < N_ACTS; k++)
        printf("    %-20s %9lu %9lu\n", act_names[k], st->acts[0][k],
               st->acts[1][k]);
    if (st->failures)
        printf("  FAILED: %zu cases (the first %d printed)\n", st->failures,
               MAX_FAILURES);
}

typedef struct config {
    size_t cases;
    uint64_t base;
    int one;      /* only `seed` */
    uint64_t seed;
} config;

static void test_replay(void **state)
{
    const config *cfg = *state;
    int dump = dump_level();
    stats st;
    memset(&st, 0, sizeof st);
    double t0 = now();
    rg_rng series = { cfg->base };
    size_t n = cfg->one ? 1 : cfg->cases;
    for (size_t i = 0; i < n; i++) {
        rcase c;
        uint64_t seed = cfg->one ? cfg->seed : rg_next(&series);
        make_case(&c, seed, i);
        if (dump) {
            printf("=== case %zu, seed 0x%016llx: %u flow nodes, cancel "
                   "after step %ld (0: never), initial variables %s\n%s",
                   i, (unsigned long long)seed, c.m.n_nodes, c.cancel_at,
                   c.vars, c.m.xml);
        }
        char *why = run_case(&c, &st, dump);
        if (why && ++st.failures <= MAX_FAILURES) {
            fprintf(stderr,
                    "replay: case %zu, seed 0x%016llx: %s\n"
                    "  replay it: BATON_REPLAY_SEED=0x%016llx "
                    "build/tests/test_replay (BATON_REPLAY_DUMP=1 prints "
                    "the model)\n",
                    i, (unsigned long long)seed, why,
                    (unsigned long long)seed);
        }
        free(why);
        rg_model_free(&c.m);
    }
    summary(&st, cfg->one ? cfg->seed : cfg->base, now() - t0);
    fflush(stdout);
    assert_int_equal(st.failures, 0);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s)
        return 0;
    *out = strtoull(s, &end, 0);
    return *end == '\0';
}

int main(int argc, char **argv)
{
    config cfg = { DEFAULT_CASES, DEFAULT_BASE, 0, 0 };
    uint64_t v;
    const char *cases = argc > 1 ? argv[1] : getenv("BATON_REPLAY_CASES");
    if (cases) {
        if (!parse_u64(cases, &v) || !v) {
            fprintf(stderr, "usage: test_replay [CASES]\n");
            return 2;
        }
        cfg.cases = (size_t)v;
    }
    if (getenv("BATON_REPLAY_BASE") &&
        !parse_u64(getenv("BATON_REPLAY_BASE"), &cfg.base)) {
        fprintf(stderr, "test_replay: BATON_REPLAY_BASE is not a number\n");
        return 2;
    }
    if (getenv("BATON_REPLAY_SEED")) {
        if (!parse_u64(getenv("BATON_REPLAY_SEED"), &cfg.seed)) {
            fprintf(stderr, "test_replay: BATON_REPLAY_SEED is not a "
                            "number\n");
            return 2;
        }
        cfg.one = 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_replay, &cfg),
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
