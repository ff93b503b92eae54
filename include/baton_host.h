/*
 * baton_host.h - the durable host of Baton: process instances, timers,
 * messages, signals and jobs kept in a store (SQLite or PostgreSQL), and
 * workers that take due work from it.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * The host is a second library (libbaton-host) built on the public API of
 * libbaton only (baton.h). docs/durable-host.md describes the store, its
 * tables and its guarantees.
 *
 * Conventions, in addition to those of baton.h:
 *
 *  - Status: 0 is success, errors are negative. The BATON_E* codes of
 *    baton.h keep their meaning; the host adds BATON_HOST_ESTORE (the
 *    store failed or went away: nothing was written, the call may be
 *    repeated), BATON_HOST_ECONFLICT (another worker changed the same
 *    instance or job first) and BATON_HOST_ESCHEMA (the store was written
 *    by a newer version of Baton, or is not a Baton store).
 *  - Last error: every call that can fail records a message, read with
 *    baton_host_errmsg(). Messages name the instance, job, incident or
 *    element concerned and never carry a password or token of the URI.
 *  - Atomicity: every call that changes the store is one database
 *    transaction: it happens whole or not at all. An instance is saved
 *    with compare-and-swap on its revision, so two workers never both
 *    commit a change of the same instance.
 *  - Threads: a baton_host is one connection, used by one thread at a
 *    time; open one per thread. baton_host_worker_run() starts its own
 *    handler threads and calls handlers on them.
 *  - Keys: instance keys are unique in the store; every key inside an
 *    instance (elements, jobs, incidents) shares the instance key's upper
 *    32 bits, so a job key names its instance.
 *  - Buffers handed over through `char **out` are released with
 *    baton_host_free(), not with the engine's baton_free. Listings are
 *    JSON texts whose shapes docs/durable-host.md documents.
 */
#ifndef BATON_HOST_H
#define BATON_HOST_H

#include "baton.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Errors of the host, beyond those of baton.h. */
enum baton_host_status {
    BATON_HOST_ESTORE = -100,    /**< the store failed; nothing was written */
    BATON_HOST_ECONFLICT = -101, /**< changed by another worker first */
    BATON_HOST_ESCHEMA = -102    /**< not a Baton store, or a newer one */
};

/** A connection to a store. */
typedef struct baton_host baton_host;

/** A job handed to a handler of baton_host_worker_run(). */
typedef struct baton_host_job baton_host_job;

/** Opens the store at `uri` and creates or upgrades its tables:
 *  "sqlite:PATH" (a file, created when missing; WAL mode) or
 *  "postgresql://..." / "postgres://..." (a libpq connection URI; libpq's
 *  environment variables apply). NULL means "sqlite:baton.db". On failure
 *  `*out` may still receive a host that carries the message (read it with
 *  baton_host_errmsg(), then close it); it is NULL only when memory ran
 *  out. Returns BATON_OK, BATON_EINVAL (an unknown scheme), BATON_ENOMEM,
 *  BATON_HOST_ESTORE or BATON_HOST_ESCHEMA. */
BATON_API int baton_host_open(const char *uri, baton_host **out);

/** Releases a buffer the host handed over through `char **out`. Accepts
 *  NULL. */
BATON_API void baton_host_free(void *buffer);

/** Closes the connection. Accepts NULL. */
BATON_API void baton_host_close(baton_host *host);

/** A short text for a status of the host or of baton.h (never NULL). */
BATON_API const char *baton_host_strerror(int code);

/** The message of the last failed call ("" when the last call succeeded). */
BATON_API const char *baton_host_errmsg(const baton_host *host);

/** The store's kind: "sqlite" or "postgresql". */
BATON_API const char *baton_host_store_kind(const baton_host *host);

/** The schema version this library writes, and the one of the store. */
BATON_API int baton_host_schema_version(void);
BATON_API int baton_host_store_schema_version(const baton_host *host);

/** Clock hook (milliseconds since the Unix epoch) used for timers, locks,
 *  leases and time to live; NULL restores the system clock. Tests set it
 *  to move time by hand. */
BATON_API void baton_host_set_clock(baton_host *host, baton_clock_fn fn,
                                    void *ud);

/** Log hook: what a worker cannot report through a return value (a job
 *  result that could not be committed, a store that went away and came
 *  back, an instance marked FAILED). NULL removes it. */
BATON_API void baton_host_set_log(baton_host *host, baton_log_fn fn,
                                  void *ud);

/** Settings of the host, each with baton_host_set(). */
enum baton_host_setting {
    /** History (record stream) of ended instances is deleted this many
     *  milliseconds after they end; 0 keeps it forever (the default). */
    BATON_HOST_HISTORY_RETENTION_MS = 0,
    /** Lease of a worker's claim on a job it runs (default 60000 ms);
     *  renewed while the handler runs. */
    BATON_HOST_LEASE_MS = 1,
    /** Polling interval of an idle worker where the store cannot notify
     *  (SQLite; default 100 ms). */
    BATON_HOST_POLL_MS = 2,
    /** Instances run in one transaction by a worker (group commit,
     *  default 32). */
    BATON_HOST_BATCH = 3,
    /** Whether the history table is written (default 1). */
    BATON_HOST_HISTORY = 4
};

/** Sets a setting; returns its previous value, or BATON_EINVAL. */
BATON_API int64_t baton_host_set(baton_host *host, int setting,
                                 int64_t value);

/* ------------------------------------------------------------------ */
/* Deployments and instances                                           */
/* ------------------------------------------------------------------ */

/** Deploys a BPMN document: each executable process in it becomes the
 *  next version of its process id, unless the latest version has the
 *  same model checksum (then that version is kept). Timer start events
 *  of the new versions are scheduled, replacing those of older versions.
 *  `name` names the document in messages (may be NULL). `*out` (may be
 *  NULL) receives a JSON array [{"processId", "version", "new"}]. A model
 *  that does not load is refused with its error (line, column, element).
 *  Returns BATON_OK or an error. */
BATON_API int baton_host_deploy(baton_host *host, const char *xml,
                                size_t len, const char *name, char **out);

/** Creates an instance of the latest version of `process_id` at its none
 *  start event, with the variables of the JSON object `vars` (may be NULL)
 *  and an optional business key, and runs it until it waits. `*key_out`
 *  (may be NULL) receives the instance key. */
BATON_API int baton_host_start(baton_host *host, const char *process_id,
                               const char *vars, size_t len,
                               const char *business_key,
                               uint64_t *key_out);

/** Publishes a message with Zeebe's semantics: it correlates to the
 *  oldest open subscription of (name, correlation_key) of each process id
 *  (a message goes at most once to a process), and starts an instance of
 *  each other process whose latest version has a message start event of
 *  that name; when `ttl_ms` > 0 it is then
 *  kept until it expires and correlates to subscriptions that open later.
 *  `message_id` (may be NULL) makes it unique: a second publish with the
 *  same name and id while the first is kept is refused with
 *  BATON_HOST_ECONFLICT. `*out` (may be NULL) receives a JSON object
 *  {"messageKey", "correlated": [instance keys], "started": [keys]}. */
BATON_API int baton_host_publish(baton_host *host, const char *name,
                                 const char *correlation_key,
                                 const char *vars, size_t len,
                                 int64_t ttl_ms, const char *message_id,
                                 char **out);

/** Broadcasts a signal to every open signal subscription and starts an
 *  instance of each process whose latest version has a signal start event
 *  of that name, all in one transaction. `*count` (may be NULL) receives
 *  the number of instances it reached, started ones included. */
BATON_API int baton_host_signal(baton_host *host, const char *name,
                                const char *vars, size_t len,
                                size_t *count);

/** Migrates instance `instance_key` to version `version` of
 *  `process_id` as the engine's baton_instance_migrate does (baton.h),
 *  with the same `plan`, `dry_run` and report in `*out` (released with
 *  baton_host_free(); written also when the plan is refused with
 *  BATON_EMIGRATE), in one transaction, and runs it. (No parentheses
 *  after the engine's name: tests/check_exports.sh takes every name
 *  followed by one for a function of this library.) */
BATON_API int baton_host_migrate(baton_host *host, uint64_t instance_key,
                                 const char *process_id, int version,
                                 const char *plan, size_t len, int dry_run,
                                 char **out);

/** Migrates every live instance of version `from_version` of
 *  `process_id` to version `to_version`, each in its own transaction (an
 *  instance the plan cannot move stays as it was and is reported; the
 *  others move). `*out` receives {"migrated": [keys], "refused":
 *  [{"key", "refused": [{"elementId", "reason"}]}]}. Returns BATON_OK
 *  when it went through the instances, whatever each one's outcome. */
BATON_API int baton_host_migrate_all(baton_host *host,
                                     const char *process_id,
                                     int from_version, int to_version,
                                     const char *plan, size_t len,
                                     int dry_run, char **out);

/** Cancels an instance. BATON_ENOTFOUND: no such instance; BATON_ESTATE:
 *  it has already ended. */
BATON_API int baton_host_cancel(baton_host *host, uint64_t instance_key);

/** Resolves an incident (a job incident gets one retry) and runs the
 *  instance. */
BATON_API int baton_host_resolve(baton_host *host, uint64_t incident_key);

/** Merges the JSON object `vars` into the instance's variables and runs
 *  it. */
BATON_API int baton_host_set_variables(baton_host *host,
                                       uint64_t instance_key,
                                       const char *vars, size_t len);

/** Sets the retries of a waiting job. */
BATON_API int baton_host_update_retries(baton_host *host, uint64_t job_key,
                                        int retries);

/* ------------------------------------------------------------------ */
/* Reading the store                                                   */
/* ------------------------------------------------------------------ */

/** Instances as a JSON array, newest first: each {"key", "processId",
 *  "version", "state", "businessKey", "error" (why a FAILED one cannot be
 *  restored, else null), "created", "updated", "incidents"}.
 *  `state` (may be NULL) filters by state name ("ACTIVE", "WAITING",
 *  "INCIDENT", "COMPLETED", "TERMINATED", "FAILED"), `process_id` (may be
 *  NULL) by process; `before_key` 0 starts at the newest, otherwise only
 *  keys below it are listed (paging); `limit` 0 means 100. */
BATON_API int baton_host_instances(baton_host *host, const char *state,
                                   const char *process_id,
                                   uint64_t before_key, size_t limit,
                                   char **out);

/** One instance as a JSON object: its row, "variables", "elements" (its
 *  live element instances with their local variables, as
 *  baton_instance_elements gives them; null when the snapshot cannot be
 *  restored),
 *  "jobs", "timers", "messageSubscriptions", "signalSubscriptions",
 *  "incidents" and, when `history` is non-zero, "history" (its records in
 *  order). BATON_ENOTFOUND: no such instance. */
BATON_API int baton_host_instance(baton_host *host, uint64_t instance_key,
                                  int history, char **out);

/** A filter of baton_host_find_instances(); zero-initialise it and set
 *  what you need. */
typedef struct baton_host_instance_filter {
    const char *process_id;   /**< NULL: any process */
    int version;              /**< 0: any version (needs process_id) */
    const char *state;        /**< NULL: any state (names as above) */
    const char *business_key; /**< NULL: any; exact match */
    /** Non-zero: instances in state INCIDENT come first (newest first),
     *  then the others (newest first). */
    int incidents_first;
    /** NULL or "": the first page; otherwise the "next" text of the
     *  previous page (opaque; a damaged one is BATON_EINVAL). */
    const char *cursor;
    size_t limit; /**< 0 means 50; at most 1000 */
} baton_host_instance_filter;

/** Instances that match `filter` (NULL: all), one page at a time, as a
 *  JSON object {"instances": [rows as baton_host_instances()], "next":
 *  the cursor of the next page, or null on the last page}. Each page
 *  costs time in proportion to its size, however many instances the
 *  store holds. */
BATON_API int baton_host_find_instances(
    baton_host *host, const baton_host_instance_filter *filter, char **out);

/** The BPMN document a deployment was made from, as deployed (for a
 *  diagram). BATON_ENOTFOUND: no such process id and version. */
BATON_API int baton_host_model(baton_host *host, const char *process_id,
                               int version, char **out, size_t *len);

/** The store's figures as a JSON object; docs/durable-host.md documents
 *  the shape, and `baton ops` serves them at /metrics in Prometheus'
 *  text format: instances by process, version and state; open incidents
 *  by process, element and type; element completions by process and
 *  element; job activations and failures by type (counted since the
 *  store was created, by every worker and client); timers due and how
 *  late the most overdue one is; the latency of workers' commits. */
BATON_API int baton_host_metrics(baton_host *host, char **out);

/** Open incidents of all instances grouped by process id, element and
 *  type, as a JSON array, the largest group first: [{"processId",
 *  "elementId" (null for an incident of no element), "type", "count",
 *  "message" and "created" (of the incident in the group's newest
 *  instance), "instances" (the keys of the newest 20 instances
 *  concerned, newest first)}]. It
 *  reads each open incident once and holds one entry per group, however
 *  many incidents there are. */
BATON_API int baton_host_incident_groups(baton_host *host, char **out);

/** Open incidents across all instances, as a JSON array. */
BATON_API int baton_host_incidents(baton_host *host, char **out);

/** Deployments as a JSON array [{"processId", "version", "checksum",
 *  "name", "deployed", "instances": {STATE: count}, "droppable": true
 *  when no live instance (ACTIVE, WAITING, INCIDENT) runs it and it is
 *  not its process's latest version}]. */
BATON_API int baton_host_deployments(baton_host *host, char **out);

/* ------------------------------------------------------------------ */
/* External job workers                                                */
/* ------------------------------------------------------------------ */

/** Activates up to `max` jobs of `type` for `worker`, locking each for
 *  `lock_ms` milliseconds, as JSON lines in `*out`: one object per job
 *  {"key", "type", "processInstanceKey", "processId", "elementId",
 *  "retries", "deadline", "customHeaders", "variables"}. A job whose lock
 *  expired is activated again. `*count` (may be NULL) receives the number
 *  of jobs. */
BATON_API int baton_host_activate_jobs(baton_host *host, const char *type,
                                       const char *worker, size_t max,
                                       int64_t lock_ms, char **out,
                                       size_t *count);

/** Completes a job with the JSON object `vars` (may be NULL) and runs its
 *  instance. BATON_ENOTFOUND: the job is not waiting (completed, failed,
 *  cancelled, or never existed). */
BATON_API int baton_host_complete_job(baton_host *host, uint64_t job_key,
                                      const char *vars, size_t len);

/** Fails a job: with `retries` > 0 it can be activated again after
 *  `backoff_ms` (0: at once), with 0 an incident is raised. */
BATON_API int baton_host_fail_job(baton_host *host, uint64_t job_key,
                                  int retries, int64_t backoff_ms,
                                  const char *message);

/** Throws a BPMN error from a job. `vars` (may be NULL) is a JSON object
 *  merged into the instance's variables first, so that the path that
 *  catches the error sees them. */
BATON_API int baton_host_throw_error(baton_host *host, uint64_t job_key,
                                     const char *code, const char *message,
                                     const char *vars, size_t len);

/* ------------------------------------------------------------------ */
/* Workers                                                             */
/* ------------------------------------------------------------------ */

/** A handler for jobs of one type, called on a handler thread of
 *  baton_host_worker_run(). It settles the job with exactly one of
 *  baton_host_job_complete(), _fail() or _throw_error(); a handler that
 *  settles nothing fails the job with its retries less one. Several
 *  handlers (of one type or others) may run at the same time, each with
 *  its own job. Handlers run at least once per job: a worker killed
 *  after the handler ran and before its result committed leaves the job
 *  to be run again when its lock expires. */
typedef void (*baton_host_handler_fn)(void *ud, baton_host_job *job);

/** Registers `fn` for jobs of `type` (copied); NULL unregisters. */
BATON_API int baton_host_register(baton_host *host, const char *type,
                                  baton_host_handler_fn fn, void *ud);

/** Job accessors; strings are borrowed and valid during the handler. */
BATON_API uint64_t baton_host_job_key(const baton_host_job *job);
BATON_API uint64_t baton_host_job_instance_key(const baton_host_job *job);
BATON_API const char *baton_host_job_type(const baton_host_job *job);
BATON_API const char *baton_host_job_process_id(const baton_host_job *job);
BATON_API const char *baton_host_job_element_id(const baton_host_job *job);
BATON_API int baton_host_job_retries(const baton_host_job *job);
/** The job's variables, and its custom headers, as JSON object texts. */
BATON_API const char *baton_host_job_variables(const baton_host_job *job);
BATON_API const char *baton_host_job_headers(const baton_host_job *job);

/** Settle a job inside its handler, as baton_host_complete_job(),
 *  _fail_job() and _throw_error() do from outside. Returns BATON_OK,
 *  BATON_EINVAL, BATON_EPARSE (vars is not a JSON object) or BATON_ESTATE
 *  (already settled). The result is committed by the worker after the
 *  handler returns. */
BATON_API int baton_host_job_complete(baton_host_job *job, const char *vars,
                                      size_t len);
BATON_API int baton_host_job_fail(baton_host_job *job, int retries,
                                  int64_t backoff_ms, const char *message);
BATON_API int baton_host_job_throw_error(baton_host_job *job,
                                         const char *code,
                                         const char *message,
                                         const char *vars, size_t len);

/** Worker options; zero-initialise and set what you need. */
typedef struct baton_host_worker_options {
    /** Jobs in flight at once, each on its own handler thread (default
     *  1, at most 1024). */
    int concurrency;
    /** Return once nothing is due and no job is in flight. */
    int until_idle;
    /** The worker's name in job locks (default "HOST:PID:RANDOM"). */
    const char *name;
    /** When set (milliseconds since the epoch, by the host's clock), the
     *  worker takes no new job from then on and returns once the jobs in
     *  flight are committed: a host with a deadline of its own (a Lambda
     *  invocation) leaves the rest in the store for later. */
    int64_t deadline_ms;
} baton_host_worker_options;

/** Runs a worker on this connection until baton_host_worker_stop() or,
 *  with until_idle, until nothing is due: it runs instances with ready
 *  work and due timers and backoffs, starts instances of due timer start
 *  events, expires kept messages and old history, and activates jobs of
 *  the registered types, running their handlers on up to `concurrency`
 *  threads and committing their results (several per transaction). When
 *  the store fails it waits and tries again. Returns BATON_OK after a
 *  stop or when idle, or an error it cannot get past. */
BATON_API int baton_host_worker_run(baton_host *host,
                                    const baton_host_worker_options *opts);

/** Asks the running worker, or the next one to run on this host, to stop
 *  after the jobs in flight are committed; a run consumes the request.
 *  Safe to call from another thread or a signal handler. */
BATON_API void baton_host_worker_stop(baton_host *host);

/** Does the due instance work (ready instances, due timers and backoffs,
 *  timer starts, expiry) once, without running handlers. `*did` (may be
 *  NULL) receives the number of units done. */
BATON_API int baton_host_tick(baton_host *host, size_t *did);

#ifdef __cplusplus
}
#endif

#endif /* BATON_HOST_H */
