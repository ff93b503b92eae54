/*
 * worker.c - the worker: due instance work (ready instances, due timers
 * and backoffs, timer start events, expiry), and jobs of the registered
 * types run on handler threads, their results committed several per
 * transaction.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * The worker's own thread owns the connection; handler threads only run
 * handlers, so a worker with 256 jobs in flight still holds one
 * connection. A job is locked for the lease and the lock is renewed while
 * its handler runs; a worker that dies leaves its jobs to be taken again
 * when their locks expire (at least once), and a result is applied only
 * if the job still waits (exactly once).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobs.h"

#define MAX_CONCURRENCY 1024
#define SWEEP_MS 60000

/* ---- Due instance work ------------------------------------------------- */

static int read_keys(baton_host *h, db_stmt *s, int64_t *keys, size_t max,
                     size_t *n)
{
    int rc;
    while ((rc = db_step(s)) == DB_ROW)
        if (*n < max)
            keys[(*n)++] = db_col_int64(s, 0);
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "finding due work") : 0;
}

/* Runs one instance inside a savepoint; an instance that cannot be run is
 * marked FAILED instead of stopping the batch. */
static int run_one(baton_host *h, uint64_t key)
{
    int rc = db_savepoint(h->db, "inst");
    if (rc < 0)
        return bh_db_fail(h, rc, "running due work");
    hinst hi;
    rc = bh_load(h, key, &hi);
    if (!rc)
        rc = bh_run_save(h, &hi);
    if (!rc) {
        rc = db_release(h->db, "inst");
        return rc < 0 ? bh_db_fail(h, rc, "running due work") : 0;
    }
    if (rc == BATON_HOST_ESTORE || rc == BATON_ENOMEM ||
        rc == BATON_HOST_ECONFLICT)
        return rc;
    char why[sizeof h->err];
    memcpy(why, h->err, sizeof why);
    int drc = db_rollback_to(h->db, "inst");
    if (drc < 0)
        return bh_db_fail(h, drc, "running due work");
    bh_clear_recs(h);
    if (rc == BATON_ENOTFOUND) /* gone since it was found */
        return 0;
    return bh_mark_failed(h, key, why);
}

static int fire_start(baton_host *h, const char *pid, const char *start_id,
                      int64_t due, int64_t fired)
{
    int rc = bh_create(h, pid, start_id, NULL, 0, NULL, NULL, 0, NULL);
    if (rc)
        return rc;
    /* The next time: from the model of the latest version. */
    db_stmt *s = db_prepare(h->db,
        "SELECT model, name FROM baton_deployments WHERE process_id = $1 "
        "ORDER BY version DESC LIMIT 1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "scheduling a timer start");
    db_bind_text(s, 1, pid, strlen(pid));
    rc = db_step(s);
    baton_model *m = NULL;
    int lrc = BATON_ENOTFOUND;
    if (rc == DB_ROW) {
        size_t len;
        const char *xml = db_col_text(s, 0, &len);
        lrc = baton_model_load(h->engine, xml, len, db_col_text(s, 1, NULL),
                               &m);
    }
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "scheduling a timer start");
    int64_t next = 0;
    int has = 0;
    if (!lrc) {
        size_t np = baton_model_process_count(m);
        for (size_t p = 0; p < np; p++) {
            if (strcmp(baton_model_process_id(m, p), pid) != 0)
                continue;
            size_t n = baton_model_start_count(m, p);
            for (size_t i = 0; i < n; i++)
                if (strcmp(baton_model_start_id(m, p, i), start_id) == 0)
                    has = baton_model_start_next_due(m, p, i, due,
                                                     (uint32_t)fired + 1,
                                                     &next);
        }
        baton_model_free(m);
    }
    s = db_prepare(h->db,
        "UPDATE baton_starts SET due = $3, since = $4, fired = fired + 1 "
        "WHERE process_id = $1 AND start_id = $2");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "scheduling a timer start");
    db_bind_text(s, 1, pid, strlen(pid));
    db_bind_text(s, 2, start_id, strlen(start_id));
    if (has == 1)
        db_bind_int64(s, 3, next > due ? next : due + 1);
    else
        db_bind_null(s, 3);
    db_bind_int64(s, 4, due);
    rc = db_step(s);
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "scheduling a timer start") : 0;
}

static int due_starts(baton_host *h, size_t *did)
{
    db_stmt *s = db_prepare(h->db, db_kind(h->db) == DB_PG
        ? "SELECT process_id, start_id, due, fired FROM baton_starts "
          "WHERE due <= $1 ORDER BY due LIMIT 8 FOR UPDATE SKIP LOCKED"
        : "SELECT process_id, start_id, due, fired FROM baton_starts "
          "WHERE due <= $1 ORDER BY due LIMIT 8");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "finding due timer starts");
    db_bind_int64(s, 1, bh_now(h));
    struct { char *pid, *id; int64_t due, fired; } starts[8];
    size_t n = 0;
    int rc;
    while ((rc = db_step(s)) == DB_ROW && n < 8) {
        starts[n].pid = strdup(db_col_text(s, 0, NULL));
        starts[n].id = strdup(db_col_text(s, 1, NULL));
        starts[n].due = db_col_int64(s, 2);
        starts[n].fired = db_col_int64(s, 3);
        n++;
    }
    db_done(s);
    rc = rc < 0 ? bh_db_fail(h, rc, "finding due timer starts") : 0;
    for (size_t i = 0; i < n; i++) {
        if (!rc && (!starts[i].pid || !starts[i].id))
            rc = bh_fail(h, BATON_ENOMEM, "out of memory");
        if (!rc)
            rc = fire_start(h, starts[i].pid, starts[i].id, starts[i].due,
                            starts[i].fired);
        if (!rc)
            (*did)++;
        free(starts[i].pid), free(starts[i].id);
    }
    return rc;
}

static int sweep(baton_host *h)
{
    int64_t now = bh_now(h);
    if (h->last_sweep && now - h->last_sweep < SWEEP_MS)
        return 0;
    h->last_sweep = now;
    int64_t retention = h->settings[BATON_HOST_HISTORY_RETENTION_MS];
    const char *sql[] = {
        "DELETE FROM baton_message_correlations WHERE message_key IN "
        "(SELECT key FROM baton_messages WHERE expires <= $1)",
        "DELETE FROM baton_messages WHERE expires <= $1",
        "DELETE FROM baton_history WHERE instance_key IN (SELECT key FROM "
        "baton_instances WHERE ended IS NOT NULL AND ended <= $1)",
    };
    for (size_t i = 0; i < 3; i++) {
        if (i == 2 && !retention)
            break;
        db_stmt *s = db_prepare(h->db, sql[i]);
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "sweeping");
        db_bind_int64(s, 1, i == 2 ? now - retention : now);
        int rc = db_step(s);
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "sweeping");
    }
    return 0;
}

static int tick_tx(baton_host *h, void *arg)
{
    size_t *did = arg;
    *did = 0;
    size_t batch = (size_t)h->settings[BATON_HOST_BATCH];
    int64_t *keys = malloc(batch * sizeof *keys);
    if (!keys)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    size_t n = 0;
    int pg = db_kind(h->db) == DB_PG;
    const char *sql[] = {
        pg ? "SELECT key FROM baton_instances WHERE ready = 1 "
             "AND error IS NULL ORDER BY key LIMIT $1 FOR UPDATE SKIP LOCKED"
           : "SELECT key FROM baton_instances WHERE ready = 1 "
             "AND error IS NULL ORDER BY key LIMIT $1",
        pg ? "SELECT key FROM baton_instances WHERE wake_at <= $2 "
             "AND ready = 0 AND error IS NULL ORDER BY wake_at LIMIT $1 "
             "FOR UPDATE SKIP LOCKED"
           : "SELECT key FROM baton_instances WHERE wake_at <= $2 "
             "AND ready = 0 AND error IS NULL ORDER BY wake_at LIMIT $1",
    };
    int rc = 0;
    for (int q = 0; q < 2 && !rc && n < batch; q++) {
        db_stmt *s = db_prepare(h->db, sql[q]);
        if (!s) {
            rc = bh_db_fail(h, DB_ENOMEM, "finding due work");
            break;
        }
        db_bind_int64(s, 1, (int64_t)(batch - n));
        if (q == 1)
            db_bind_int64(s, 2, bh_now(h));
        rc = read_keys(h, s, keys, batch, &n);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        rc = run_one(h, (uint64_t)keys[i]);
        if (!rc)
            (*did)++;
    }
    free(keys);
    if (!rc)
        rc = due_starts(h, did);
    if (!rc)
        rc = sweep(h);
    return rc;
}

int baton_host_tick(baton_host *h, size_t *did)
{
    size_t n = 0;
    if (did)
        *did = 0;
    if (!h)
        return BATON_EINVAL;
    int rc = bh_retry(h, tick_tx, &n);
    if (!rc && did)
        *did = n;
    return rc;
}

/* ---- Handlers ---------------------------------------------------------- */

int baton_host_register(baton_host *h, const char *type,
                        baton_host_handler_fn fn, void *ud)
{
    if (!h)
        return BATON_EINVAL;
    bh_op_begin(h);
    if (!type || !*type)
        return bh_fail(h, BATON_EINVAL, "a handler needs a job type");
    for (size_t i = 0; i < h->n_handlers; i++) {
        if (strcmp(h->handlers[i].type, type) != 0)
            continue;
        if (fn) {
            h->handlers[i].fn = fn;
            h->handlers[i].ud = ud;
        } else {
            free(h->handlers[i].type);
            h->handlers[i] = h->handlers[--h->n_handlers];
        }
        return BATON_OK;
    }
    if (!fn)
        return BATON_OK;
    hhandler *n = realloc(h->handlers, (h->n_handlers + 1) * sizeof *n);
    if (!n)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    h->handlers = n;
    char *copy = strdup(type);
    if (!copy)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    h->handlers[h->n_handlers++] = (hhandler){copy, fn, ud};
    return BATON_OK;
}

/* The worker's queues: jobs to run, and jobs whose handler returned. */
typedef struct pool {
    baton_host *h;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    baton_host_job *todo, **todo_tail;
    baton_host_job *done;
    size_t inflight; /* activated, not yet committed */
    int quit;
    int tick_due;      /* due instance work may be waiting */
    int64_t last_tick; /* when it was last looked for */
    int ticked;        /* looked for in this round */
} pool;

static hhandler *handler_for(baton_host *h, const char *type)
{
    for (size_t i = 0; i < h->n_handlers; i++)
        if (strcmp(h->handlers[i].type, type) == 0)
            return &h->handlers[i];
    return NULL;
}

static void *handler_thread(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->todo && !p->quit)
            pthread_cond_wait(&p->cv, &p->mu);
        baton_host_job *j = p->todo;
        if (!j) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        p->todo = j->next;
        if (!p->todo)
            p->todo_tail = &p->todo;
        pthread_mutex_unlock(&p->mu);
        j->next = NULL;
        hhandler *hd = handler_for(p->h, j->type);
        if (hd)
            hd->fn(hd->ud, j);
        if (!j->settled)
            baton_host_job_fail(j, j->retries > 0 ? j->retries - 1 : 0, 0,
                                hd ? "the handler settled nothing"
                                   : "no handler for the job's type");
        pthread_mutex_lock(&p->mu);
        j->next = p->done;
        p->done = j;
        pthread_mutex_unlock(&p->mu);
        char b = 1;
        ssize_t w = write(p->h->wake_fd[1], &b, 1);
        (void)w;
    }
}

typedef struct commit_arg {
    baton_host_job *jobs;
    size_t ok;
} commit_arg;

static int commit_tx(baton_host *h, void *arg)
{
    commit_arg *c = arg;
    c->ok = 0;
    for (baton_host_job *j = c->jobs; j; j = j->next) {
        int rc = db_savepoint(h->db, "job");
        if (rc < 0)
            return bh_db_fail(h, rc, "committing job results");
        rc = bh_settle(h, j);
        if (!rc) {
            rc = db_release(h->db, "job");
            if (rc < 0)
                return bh_db_fail(h, rc, "committing job results");
            c->ok++;
            continue;
        }
        if (rc == BATON_HOST_ESTORE || rc == BATON_ENOMEM ||
            rc == BATON_HOST_ECONFLICT)
            return rc;
        bh_log(h, BATON_LOG_WARN, "the result of job %" PRIu64 " (%s) is "
               "dropped: %s", j->key, j->type, h->err);
        char why[sizeof h->err];
        memcpy(why, h->err, sizeof why);
        int drc = db_rollback_to(h->db, "job");
        if (drc < 0)
            return bh_db_fail(h, drc, "committing job results");
        bh_clear_recs(h);
        /* An instance that cannot be restored would have its jobs taken
         * and dropped again after every lease. */
        if (rc == BATON_ESNAPSHOT &&
            (rc = bh_mark_failed(h, BH_INSTANCE_OF(j->key), why)))
            return rc;
    }
    return 0;
}

static int renew(baton_host *h, const char *name)
{
    db_stmt *s = db_prepare(h->db,
        "UPDATE baton_jobs SET lock_until = $2 WHERE worker = $1 "
        "AND lock_until > $3");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "renewing locks");
    int64_t now = bh_now(h);
    db_bind_text(s, 1, name, strlen(name));
    db_bind_int64(s, 2, now + h->settings[BATON_HOST_LEASE_MS]);
    db_bind_int64(s, 3, now);
    int rc = db_step(s);
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "renewing locks") : 0;
}

static int renew_tx(baton_host *h, void *arg)
{
    return renew(h, arg);
}

/* Activates jobs of every registered type in one transaction, the
 * types taken in turn from `first` so that none starves. */
typedef struct act_req {
    const char *worker;
    size_t max, first;
    baton_host_job *jobs;
} act_req;

static int act_tx(baton_host *h, void *arg)
{
    act_req *a = arg;
    bh_job_free_list(&a->jobs); /* a try whose commit failed */
    baton_host_job **tail = &a->jobs;
    size_t left = a->max;
    int rc = 0;
    for (size_t t = 0; !rc && left && t < h->n_handlers; t++) {
        const char *type = h->handlers[(a->first + t) % h->n_handlers].type;
        rc = bh_activate(h, type, a->worker, left,
                         h->settings[BATON_HOST_LEASE_MS], tail);
        while (*tail) {
            tail = &(*tail)->next;
            left--;
        }
    }
    if (rc)
        bh_job_free_list(&a->jobs);
    return rc;
}

/* How long an idle worker may wait before something it knows of falls
 * due (a timer, a backoff, a timer start): at most `max`. */
static int64_t next_wait(baton_host *h, int64_t max)
{
    static const char *const sql[] = {
        "SELECT MIN(wake_at) FROM baton_instances WHERE wake_at IS NOT NULL",
        "SELECT MIN(due) FROM baton_starts WHERE due IS NOT NULL",
    };
    h->now = 0;
    int64_t now = bh_now(h);
    for (size_t i = 0; i < 2; i++) {
        db_stmt *s = db_prepare(h->db, sql[i]);
        if (!s)
            break;
        if (db_step(s) == DB_ROW && !db_col_null(s, 0)) {
            int64_t in = db_col_int64(s, 0) - now;
            if (in < max)
                max = in < 1 ? 1 : in;
        }
        db_done(s);
    }
    h->now = 0;
    return max;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void default_name(char *buf, size_t n)
{
    char host[128] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, n, "%s:%ld:%lx", host, (long)getpid(),
             (unsigned long)(ts.tv_nsec ^ (ts.tv_sec << 8)) & 0xffffff);
}

static void drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

static int cmp_job(const void *a, const void *b)
{
    uint64_t x = (*(baton_host_job *const *)a)->key;
    uint64_t y = (*(baton_host_job *const *)b)->key;
    return x < y ? -1 : x > y;
}

static baton_host_job *sort_by_key(baton_host_job *list)
{
    size_t n = 0;
    for (baton_host_job *j = list; j; j = j->next)
        n++;
    baton_host_job **v = malloc(n * sizeof *v);
    if (!v)
        return list; /* unsorted still commits; a deadlock is retried */
    n = 0;
    for (baton_host_job *j = list; j; j = j->next)
        v[n++] = j;
    qsort(v, n, sizeof *v, cmp_job);
    for (size_t i = 0; i < n; i++)
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    list = v[0];
    free(v);
    return list;
}

/* One round of the loop; returns units of work done, or an error. */
static int round_once(baton_host *h, pool *p, const char *name,
                      size_t concurrency, size_t *next_type)
{
    int did = 0;
    pthread_mutex_lock(&p->mu);
    baton_host_job *done = p->done;
    p->done = NULL;
    pthread_mutex_unlock(&p->mu);
    if (done) {
        /* In key order: two workers committing batches lock instances in
         * the same order, so they do not deadlock each other. */
        done = sort_by_key(done);
        commit_arg c = {done, 0};
        int64_t t0 = bh_latency_start();
        int rc = bh_retry(h, commit_tx, &c);
        if (!rc)
            bh_latency_end(h, t0);
        if (rc) {
            /* Kept for the next round: the store may be back by then. */
            pthread_mutex_lock(&p->mu);
            baton_host_job **t = &done;
            while (*t)
                t = &(*t)->next;
            *t = p->done;
            p->done = done;
            pthread_mutex_unlock(&p->mu);
            return rc;
        }
        size_t n = 0;
        while (done) {
            baton_host_job *next = done->next;
            bh_job_free(done);
            done = next;
            n++;
        }
        pthread_mutex_lock(&p->mu);
        p->inflight -= n;
        pthread_mutex_unlock(&p->mu);
        did += (int)n;
    }
    /* Due instance work: after a wake-up, after a tick that found some,
     * and every 200 ms while busy, so that timers are not starved. */
    int64_t now = bh_now(h);
    h->now = 0;
    if (p->tick_due || now - p->last_tick >= 200) {
        size_t units = 0;
        int rc = baton_host_tick(h, &units);
        if (rc)
            return rc;
        p->last_tick = now;
        p->tick_due = units > 0;
        p->ticked = 1;
        did += (int)units;
    }
    pthread_mutex_lock(&p->mu);
    size_t free_slots = concurrency > p->inflight ? concurrency - p->inflight
                                                  : 0;
    pthread_mutex_unlock(&p->mu);
    if (free_slots && h->n_handlers && !h->stop) {
        act_req a = {name, free_slots, *next_type, NULL};
        int rc = bh_retry(h, act_tx, &a);
        if (rc) {
            bh_job_free_list(&a.jobs);
            return rc;
        }
        *next_type = (*next_type + 1) % h->n_handlers;
        size_t n = 0;
        baton_host_job *last = NULL;
        for (baton_host_job *j = a.jobs; j; j = j->next, n++)
            last = j;
        if (n) {
            pthread_mutex_lock(&p->mu);
            *p->todo_tail = a.jobs;
            p->todo_tail = &last->next;
            p->inflight += n;
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
            did += (int)n;
        }
    }
    return did;
}

int baton_host_worker_run(baton_host *h, const baton_host_worker_options *o)
{
    if (!h)
        return BATON_EINVAL;
    bh_op_begin(h);
    baton_host_worker_options opts = {0};
    if (o)
        opts = *o;
    if (opts.concurrency < 0 || opts.concurrency > MAX_CONCURRENCY)
        return bh_fail(h, BATON_EINVAL, "concurrency %d is out of range "
                       "1..%d", opts.concurrency, MAX_CONCURRENCY);
    size_t concurrency = opts.concurrency ? (size_t)opts.concurrency : 1;
    char name[256];
    if (opts.name && *opts.name)
        snprintf(name, sizeof name, "%s", opts.name);
    else
        default_name(name, sizeof name);
    if (h->wake_fd[0] < 0) {
        if (pipe(h->wake_fd) != 0)
            return bh_fail(h, BATON_ENOMEM, "cannot create a pipe: %s",
                           strerror(errno));
        /* Not inherited by what handlers start. */
        for (int i = 0; i < 2; i++) {
            fcntl(h->wake_fd[i], F_SETFL,
                  fcntl(h->wake_fd[i], F_GETFL) | O_NONBLOCK);
            fcntl(h->wake_fd[i], F_SETFD, FD_CLOEXEC);
        }
    }
    if (db_kind(h->db) == DB_PG && db_listen(h->db, "baton_work") < 0)
        return bh_db_fail(h, DB_ECONN, "listening for work");
    pool p = {.h = h, .tick_due = 1};
    p.todo_tail = &p.todo;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    size_t n_threads = h->n_handlers ? concurrency : 0;
    pthread_t *threads = calloc(n_threads ? n_threads : 1, sizeof *threads);
    if (!threads)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    /* Handler threads must not take the host's signals (SIGINT stops the
     * worker through its own thread). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    size_t started = 0;
    for (; started < n_threads; started++)
        if (pthread_create(&threads[started], NULL, handler_thread, &p) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int rc = 0;
    if (started < n_threads)
        rc = bh_fail(h, BATON_ENOMEM, "could start %zu of %zu handler "
                     "threads", started, n_threads);
    size_t next_type = 0;
    int64_t last_renew = 0;
    int64_t backoff = 0;
    int64_t lease = h->settings[BATON_HOST_LEASE_MS];
    while (!rc) {
        int stopping = h->stop;
        if (opts.deadline_ms) {
            h->now = 0;
            if (bh_now(h) >= opts.deadline_ms)
                stopping = 1;
            h->now = 0;
        }
        p.ticked = 0;
        int did = round_once(h, &p, name, stopping ? 0 : concurrency,
                             &next_type);
        if (did < 0) {
            /* The store failed: wait and try again, results kept. */
            backoff = backoff ? (backoff * 2 > 5000 ? 5000 : backoff * 2)
                              : 100;
            bh_log(h, BATON_LOG_WARN, "%s; trying again in %lld ms", h->err,
                   (long long)backoff);
            if (did == BATON_HOST_ESCHEMA) {
                rc = did;
                break;
            }
            sleep_ms(backoff);
            did = 0;
            if (h->stop && h->conn_lost)
                break;
            continue;
        }
        backoff = 0;
        pthread_mutex_lock(&p.mu);
        size_t inflight = p.inflight;
        int done_waiting = p.done != NULL;
        pthread_mutex_unlock(&p.mu);
        if (stopping && !inflight)
            break;
        int64_t now = bh_now(h);
        h->now = 0;
        if (inflight && now - last_renew >= lease / 3) {
            bh_retry(h, renew_tx, name);
            last_renew = now;
        }
        if (did || done_waiting)
            continue;
        if (opts.until_idle && !inflight) {
            if (p.ticked)
                break;
            p.tick_due = 1; /* idle only once due work was looked for */
            continue;
        }
        int64_t wait = db_kind(h->db) == DB_PG
            ? 1000 : h->settings[BATON_HOST_POLL_MS];
        if (opts.deadline_ms) {
            int64_t left = opts.deadline_ms - now;
            if (wait > left)
                wait = left < 1 ? 1 : left;
        }
        if (inflight && wait > lease / 3)
            wait = lease / 3;
        wait = next_wait(h, wait);
        int w = db_wait(h->db, wait, h->wake_fd[0]);
        if (w < 0)
            h->conn_lost = 1;
        p.tick_due = 1;
        drain(h->wake_fd[0]);
    }
    pthread_mutex_lock(&p.mu);
    p.quit = 1;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    /* Jobs never handed to a handler, or whose result was not committed,
     * stay locked until their lease ends, then run again elsewhere. */
    bh_job_free_list(&p.todo);
    bh_job_free_list(&p.done);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    h->stop = 0; /* consumed: the next run works again */
    return rc;
}

void baton_host_worker_stop(baton_host *h)
{
    if (h) {
        h->stop = 1;
        if (h->wake_fd[1] >= 0) {
            char b = 1;
            ssize_t w = write(h->wake_fd[1], &b, 1);
            (void)w;
        }
    }
}
