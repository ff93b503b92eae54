/*
 * host_int.h - what the files of the durable host share.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * Layers, lowest first: db (the connection), host (errors, clock, the
 * engine and its deployments), schema, save (an instance loaded from and
 * saved to the store, with its jobs, subscriptions, incidents and history
 * kept in step), then deploy, ops, jobs, migrate and query, and the worker
 * on top.
 */
#ifndef BATON_HOST_INT_H
#define BATON_HOST_INT_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "baton_host.h"
#include "db.h"

typedef struct hrec {
    uint64_t instance;
    uint64_t position;
    int value_type, intent;
    char *json;
} hrec;

/* One counter's increment in the transaction in progress (metrics.c). */
typedef struct htally {
    int metric; /* BH_M_* */
    char *a, *b; /* its labels */
    int64_t n;
} htally;

enum { BH_M_COMPLETED, BH_M_ACTIVATED, BH_M_FAILED, BH_M_COMMIT_BUCKET,
       BH_M_COMMIT_US };
/* The commit latency buckets: the eight bounds docs/durable-host.md
 * lists, then +Inf. */
#define BH_LATENCY_BUCKETS 9

/* A process id and how many of its versions the engine has deployed. */
typedef struct hproc {
    char *id;
    int loaded;
} hproc;

typedef struct hhandler {
    char *type;
    baton_host_handler_fn fn;
    void *ud;
} hhandler;

struct baton_host {
    db *db;
    baton_engine *engine;
    char err[1024];
    baton_clock_fn clock;
    void *clock_ud;
    int64_t now; /* the time of the current operation, 0 outside one */
    int64_t settings[5];
    hproc *procs;
    size_t n_procs, cap_procs;
    /* Records of the instance being run, written to the history. */
    hrec *recs;
    size_t n_recs, cap_recs;
    int rec_failed;
    hhandler *handlers;
    size_t n_handlers;
    volatile sig_atomic_t stop; /* set by baton_host_worker_stop() */
    int wake_fd[2];    /* handler threads wake the worker */
    int schema;
    int last_db;   /* the db code of the last store failure */
    int conn_lost; /* reconnect before the next operation */
    int signal_depth;
    int notify; /* the transaction made work for other workers */
    uint64_t damaged; /* an instance bh_load() could not restore */
    baton_log_fn log;
    void *log_ud;
    int64_t last_sweep; /* when kept messages and history were last swept */
    /* Counters of the transaction in progress, written at its commit;
     * the worker's commit latencies, written in its next transaction
     * (one cannot count its own commit). */
    htally *tally;
    size_t n_tally, cap_tally;
    int tally_failed;
    int shard; /* the rows of baton_metrics this host adds to */
    int64_t lat_counts[BH_LATENCY_BUCKETS];
    int64_t lat_sum_us;
};

/* host.c */
int bh_fail(baton_host *h, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bh_db_fail(baton_host *h, int dbrc, const char *what);
void bh_log(baton_host *h, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bh_engine_fail(baton_host *h, int code, const char *what);
int64_t bh_now(baton_host *h);
void bh_op_begin(baton_host *h);
int bh_begin(baton_host *h);
int bh_commit(baton_host *h);
void bh_rollback(baton_host *h);
int bh_ensure_version(baton_host *h, const char *process_id, int version);
int bh_latest_version(baton_host *h, const char *process_id, int *version);
void bh_clear_recs(baton_host *h);
int bh_next_ordinal(baton_host *h, uint64_t *ordinal);
int bh_next_id(baton_host *h, const char *counter, int64_t *out);
const char *bh_state_name(int state);
/* BATON_EPARSE, naming `what`, unless `text` (NULL: none) is a JSON
 * object. */
int bh_check_object(baton_host *h, const char *text, size_t len,
                    const char *what);
/* Runs `op` in a transaction, again while the store reports it busy or
 * the instance changed under it (at most a few times). */
int bh_retry(baton_host *h, int (*op)(baton_host *h, void *arg), void *arg);

/* metrics.c: counters kept in step with the changes they count. */
/* Adds `n` to the counter `metric` labelled `a`, `b` (NULL: "") in this
 * transaction's tally; out of memory fails the transaction at its
 * commit. */
void bh_count(baton_host *h, int metric, const char *a, const char *b,
              int64_t n);
/* Counts what a record says happened (element completions, job
 * failures); `json` is the record's JSON text. */
void bh_count_record(baton_host *h, const baton_record *rec,
                     const char *json);
/* Writes the tally, one upsert per counter, inside the transaction. */
int bh_tally_flush(baton_host *h);
/* The transaction committed: the tally and the latencies it carried are
 * written. */
void bh_tally_committed(baton_host *h);
/* The transaction rolled back: its tally is gone (it runs again). */
void bh_tally_clear(baton_host *h);
void bh_tally_init(baton_host *h);
/* A commit's latency: the start (a monotonic time), then its end. */
int64_t bh_latency_start(void);
void bh_latency_end(baton_host *h, int64_t start);

/* schema.c */
int bh_schema_open(baton_host *h);

/* save.c: an instance taken from the store for one change. */
typedef struct hinst {
    baton_instance *in;
    uint64_t key;
    uint64_t revision; /* as loaded (0: new) */
    char *business_key;
    char *start_key;
    /* Which index tables hold rows of it (jobs, timers, message subs,
     * signal subs, incidents: bits 0..4), as saved. */
    unsigned indexed;
} hinst;

int bh_load(baton_host *h, uint64_t key, hinst *hi);
/* Runs the instance until it waits, then saves it and everything kept in
 * step with it; signals it broadcast are delivered; kept messages
 * correlate to new subscriptions. Frees hi->in. */
int bh_run_save(baton_host *h, hinst *hi);
void bh_release(hinst *hi);
/* A job's custom headers as a JSON object text (malloc'ed), or NULL when
 * memory ran out. */
char *bh_job_headers_json(baton_job *j);
/* Marks an instance whose snapshot cannot be restored as FAILED. */
int bh_mark_failed(baton_host *h, uint64_t key, const char *why);
/* Creates an instance at `start_id` (NULL: none start event) of the latest
 * version and saves it. */
int bh_create(baton_host *h, const char *process_id, const char *start_id,
              const char *vars, size_t len, const char *business_key,
              const char *start_key, int64_t message_key,
              uint64_t *key_out);
/* On PostgreSQL, takes the transaction's lock on kept messages: a
 * publish that finds no subscription keeps its message, and a save that
 * opens a subscription looks for kept messages; under READ COMMITTED
 * neither would see the other's uncommitted row, and the message would
 * wait for nobody. Holding this lock, each sees what the other
 * committed. SQLite's writers are serialized already. */
int bh_lock_messages(baton_host *h);

int bh_record_correlation(baton_host *h, int64_t message_key,
                          int64_t instance_key);
int bh_deliver_signal(baton_host *h, const char *name, const char *vars,
                      size_t len, size_t *count);

/* Loads instance `key`, applies `fn` (which reports its own errors
 * through bh_fail), runs and saves it, in one transaction retried on
 * conflicts. */
typedef int (*bh_change_fn)(baton_host *h, baton_instance *in, void *arg);
int bh_change(baton_host *h, uint64_t key, bh_change_fn fn, void *arg);

/* The instance a job or incident key belongs to. */
#define BH_INSTANCE_OF(key) ((key) & ~(uint64_t)0xffffffffu)

#endif
