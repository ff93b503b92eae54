/* The durable host benchmark (baton_host.h): sagas per second through the
 * store, the latency of a message, finding due timers among many waiting
 * instances, and the bytes a waiting instance takes in the store, on
 * SQLite and, when BATON_TEST_PG is set (tests/bench/bench_host.sh starts
 * a throwaway server), on PostgreSQL. It checks what the saga's two paths
 * do before timing anything; timings are printed, never judged. A table
 * per section, then one JSON object on the last line.
 *
 *   bench_host [--quick] [--only LIST] [--sagas N] [--timers N]
 *              [--pg-build-s S] [--samples N] MODELS_DIR
 *
 * LIST is a comma-separated choice of sleep, throughput, latency, timers,
 * size (all by default).
 *
 *  sleep       trip-booking sagas whose handlers sleep 50 ms (a remote
 *              call), half of them compensating, run by one worker at
 *              concurrency 1, 16 and 256.
 *  throughput  the same sagas with handlers that return at once: N happy
 *              ones, then N compensating ones, in one store per
 *              configuration (SQLite synchronous=full and =normal, one
 *              worker process; PostgreSQL with 1, 2, 4 and 8 worker
 *              processes, each with its own connection). The instances
 *              are started first (their starts are timed apart); the
 *              figure is the instances completed over the wall time from
 *              the workers' start to the last completion.
 *  latency     a message published to an instance waiting at a receive
 *              task (events-flight-receive.bpmn): until its next job can
 *              be activated (the publisher polls), and until a worker in
 *              another process has its handler called (PostgreSQL: it
 *              waits on LISTEN; SQLite: it polls). Median and p99.
 *  timers      1,000 real instances wait on a PT2H timer
 *              (events-flight-timeout.bpmn), then their rows (instance,
 *              timer, message subscription; not their history) are copied
 *              with SQL under new keys, due a day later, up to N
 *              (1,000,000; PostgreSQL: as many as fit in --pg-build-s
 *              seconds): the time of baton_host_tick() with none due and
 *              with 100 real ones due, at 1,000 and at N.
 *  size        the store's growth per saga waiting at its first job,
 *              with and without history.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "baton_host.h"
#include "host/store_util.h"

static const char *models = "tests/models";
static int quick;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1000),
                          (long)((ms - 1000.0 * (long)(ms / 1000)) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_host: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

#define CALL(h, call)                                                       \
    do {                                                                    \
        int rc_ = (call);                                                   \
        if (rc_)                                                            \
            die("%s: %d: %s", #call, rc_, baton_host_errmsg(h));            \
    } while (0)

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* ---- Stores ------------------------------------------------------------- */

typedef struct store {
    char uri[600];
    int pg;
    sqlite3 *lite; /* a side connection, for counts, sizes and copies */
    PGconn *pq;
} store;

static void store_new(store *s, const char *kind, const char *options)
{
    memset(s, 0, sizeof *s);
    s->pg = strcmp(kind, "postgresql") == 0;
    if (store_fresh(kind, s->uri, sizeof s->uri - 64) != 0)
        die("cannot make a %s store", kind);
    if (options && !s->pg)
        strcat(strcat(s->uri, "?"), options);
    /* The host creates the tables. */
    baton_host *h = NULL;
    if (baton_host_open(s->uri, &h))
        die("open %s: %s", s->uri, baton_host_errmsg(h));
    baton_host_close(h);
    if (s->pg) {
        s->pq = PQconnectdb(s->uri);
        if (PQstatus(s->pq) != CONNECTION_OK)
            die("connect: %s", PQerrorMessage(s->pq));
    } else {
        char path[600];
        snprintf(path, sizeof path, "%s", s->uri + 7);
        char *q = strchr(path, '?');
        if (q)
            *q = '\0';
        if (sqlite3_open(path, &s->lite) != SQLITE_OK)
            die("sqlite open %s", path);
        sqlite3_busy_timeout(s->lite, 60000);
    }
}

static void sql_exec(store *s, const char *sql)
{
    if (s->pg) {
        PGresult *r = PQexec(s->pq, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK &&
            PQresultStatus(r) != PGRES_TUPLES_OK)
            die("%s: %s", sql, PQerrorMessage(s->pq));
        PQclear(r);
    } else {
        char *err = NULL;
        if (sqlite3_exec(s->lite, sql, NULL, NULL, &err) != SQLITE_OK)
            die("%s: %s", sql, err ? err : "");
    }
}

static int64_t sql_int(store *s, const char *sql)
{
    int64_t v = 0;
    if (s->pg) {
        PGresult *r = PQexec(s->pq, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("%s: %s", sql, PQerrorMessage(s->pq));
        if (PQntuples(r) && !PQgetisnull(r, 0, 0))
            v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    } else {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->lite, sql, -1, &st, NULL) != SQLITE_OK)
            die("%s: %s", sql, sqlite3_errmsg(s->lite));
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        else if (rc != SQLITE_DONE)
            die("%s: %s", sql, sqlite3_errmsg(s->lite));
        sqlite3_finalize(st);
    }
    return v;
}

static void store_drop(store *s)
{
    if (s->pg) {
        PGresult *r = PQexec(s->pq, "SELECT current_schema()");
        char sql[200] = "";
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r))
            snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE",
                     PQgetvalue(r, 0, 0));
        PQclear(r);
        PQclear(PQexec(s->pq, "SET client_min_messages = warning"));
        if (*sql)
            PQclear(PQexec(s->pq, sql));
        PQfinish(s->pq);
    } else {
        sqlite3_close(s->lite);
        char path[700];
        snprintf(path, sizeof path, "%s", s->uri + 7);
        char *q = strchr(path, '?');
        if (q)
            *q = '\0';
        size_t n = strlen(path);
        remove(path);
        strcpy(path + n, "-wal");
        remove(path);
        strcpy(path + n, "-shm");
        remove(path);
    }
}

/* The store's size in bytes: every baton_* table with its indexes
 * (PostgreSQL: pg_total_relation_size, TOAST included; SQLite: the pages
 * in use, after a checkpoint). `per` (may be NULL) receives the bytes of
 * each table, in the order of `tables`. */
static const char *const tables[] = {
    "baton_instances", "baton_jobs", "baton_timers", "baton_message_subs",
    "baton_history", NULL};

static int64_t store_bytes(store *s, int64_t *per)
{
    char sql[400];
    if (!s->pg)
        sql_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
    for (int i = 0; per && tables[i]; i++) {
        if (s->pg)
            snprintf(sql, sizeof sql,
                     "SELECT pg_total_relation_size('%s')", tables[i]);
        else
            snprintf(sql, sizeof sql,
                     "SELECT SUM(pgsize) FROM dbstat d JOIN sqlite_master m "
                     "ON m.name = d.name WHERE m.tbl_name = '%s'",
                     tables[i]);
        per[i] = sql_int(s, sql);
    }
    if (s->pg)
        return sql_int(s, "SELECT SUM(pg_total_relation_size(c.oid)) "
                          "FROM pg_class c JOIN pg_namespace n ON "
                          "n.oid = c.relnamespace WHERE n.nspname = "
                          "current_schema() AND c.relkind = 'r'");
    return (sql_int(s, "PRAGMA page_count") -
            sql_int(s, "PRAGMA freelist_count")) *
           sql_int(s, "PRAGMA page_size");
}

static baton_host *host_open(const char *uri)
{
    baton_host *h = NULL;
    if (baton_host_open(uri, &h))
        die("open %s: %s", uri, baton_host_errmsg(h));
    return h;
}

static void deploy(baton_host *h, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", models, file);
    char *xml = store_read_file(path, NULL);
    if (!xml)
        die("cannot read %s", path);
    CALL(h, baton_host_deploy(h, xml, BATON_NUL, file, NULL));
    free(xml);
}

/* ---- The saga's handlers ----------------------------------------------- */

static int handler_sleep_ms;
static const char *const saga_types[] = {"ReserveCar", "BookHotel",
                                         "BookFlight", "CancelCar",
                                         "CancelHotel", "CancelFlight"};

static void saga_handler(void *ud, baton_host_job *job)
{
    (void)ud;
    if (handler_sleep_ms)
        sleep_ms(handler_sleep_ms);
    const char *type = baton_host_job_type(job);
    if (strcmp(type, "BookFlight") == 0 &&
        strstr(baton_host_job_variables(job), "\"fail\":true")) {
        baton_host_job_throw_error(job, "FLIGHT_BOOKING_FAILED", "no seats",
                                   NULL, 0);
        return;
    }
    /* One variable per task, as bench_saga's handlers set. */
    char vars[64];
    snprintf(vars, sizeof vars, "{\"%sResult\":\"ok\"}", type);
    baton_host_job_complete(job, vars, BATON_NUL);
}

static void register_saga(baton_host *h)
{
    for (size_t i = 0; i < 6; i++)
        CALL(h, baton_host_register(h, saga_types[i], saga_handler, NULL));
}

/* The element ids of the service tasks an instance completed, in order. */
static void completed_tasks(baton_host *h, uint64_t key, char *buf, size_t n)
{
    char *out = NULL;
    CALL(h, baton_host_instance(h, key, 1, &out));
    json_t *doc = json_loads(out, 0, NULL);
    baton_host_free(out);
    buf[0] = '\0';
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "history"), i, e) {
        json_t *rec = json_object_get(e, "record");
        json_t *value = json_object_get(rec, "value");
        const char *intent = json_string_value(json_object_get(rec, "intent"));
        const char *type =
            json_string_value(json_object_get(value, "bpmnElementType"));
        if (intent && type && !strcmp(intent, "ELEMENT_COMPLETED") &&
            !strcmp(type, "SERVICE_TASK")) {
            strncat(buf, json_string_value(json_object_get(value,
                                                           "elementId")),
                    n - strlen(buf) - 2);
            strcat(buf, " ");
        }
    }
    json_decref(doc);
}

/* What the two paths do, through the store, before any timing. */
static void check_saga_paths(const char *kind)
{
    store s;
    store_new(&s, kind, NULL);
    baton_host *h = host_open(s.uri);
    deploy(h, "trip-booking-saga.bpmn");
    register_saga(h);
    uint64_t ok = 0, bad = 0;
    CALL(h, baton_host_start(h, "TripBookingSaga", "{\"fail\":false}",
                             BATON_NUL, NULL, &ok));
    CALL(h, baton_host_start(h, "TripBookingSaga", "{\"fail\":true}",
                             BATON_NUL, NULL, &bad));
    baton_host_worker_options o = {.concurrency = 4, .until_idle = 1};
    CALL(h, baton_host_worker_run(h, &o));
    char got[256];
    completed_tasks(h, ok, got, sizeof got);
    if (strcmp(got, "ReserveCar BookHotel BookFlight "))
        die("%s: the happy path ran \"%s\"", kind, got);
    completed_tasks(h, bad, got, sizeof got);
    if (strcmp(got, "ReserveCar BookHotel CancelHotel CancelCar "))
        die("%s: the compensating path ran \"%s\"", kind, got);
    baton_host_close(h);
    store_drop(&s);
}

/* ---- Sagas through worker processes ------------------------------------- */

static baton_host *child_host;

static void on_term(int sig)
{
    (void)sig;
    if (child_host)
        baton_host_worker_stop(child_host);
}

static pid_t spawn_worker(const char *uri, int concurrency)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid)
        return pid;
    /* The parent's connections are left alone: never used, never closed
     * (the child leaves with _exit). */
    baton_host *h = NULL;
    if (baton_host_open(uri, &h)) {
        fprintf(stderr, "bench_host: worker: %s\n", baton_host_errmsg(h));
        _exit(1);
    }
    register_saga(h);
    child_host = h;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    baton_host_worker_options o = {.concurrency = concurrency};
    int rc = baton_host_worker_run(h, &o);
    if (rc)
        fprintf(stderr, "bench_host: worker: %s\n", baton_host_errmsg(h));
    child_host = NULL;
    baton_host_close(h);
    _exit(rc ? 1 : 0);
}

static void stop_workers(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGTERM);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        int st;
        while (waitpid(pids[i], &st, WNOHANG) == 0) {
            if (now_s() - t0 > 20) {
                kill(pids[i], SIGKILL);
                waitpid(pids[i], &st, 0);
                break;
            }
            sleep_ms(5);
        }
    }
}

typedef struct saga_run {
    double starts_per_s;
    double sagas_per_s;
    double seconds;
} saga_run;

/* Starts n sagas (fail: 0 none, 1 all, 2 every other), then runs them to
 * their end with `procs` worker processes of `concurrency` each. */
static saga_run run_sagas(store *s, baton_host *h, long n, int fail,
                          int procs, int concurrency)
{
    saga_run r = {0, 0, 0};
    int64_t done0 = sql_int(s, "SELECT COUNT(*) FROM baton_instances "
                               "WHERE state = 'COMPLETED'");
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        int f = fail == 2 ? (int)(i % 2) : fail;
        CALL(h, baton_host_start(h, "TripBookingSaga",
                                 f ? "{\"fail\":true}" : "{\"fail\":false}",
                                 BATON_NUL, NULL, NULL));
    }
    r.starts_per_s = (double)n / (now_s() - t0);
    pid_t pids[64];
    t0 = now_s();
    for (int i = 0; i < procs; i++)
        pids[i] = spawn_worker(s->uri, concurrency);
    int64_t done = 0;
    double last_change = t0;
    for (;;) {
        int64_t d = sql_int(s, "SELECT COUNT(*) FROM baton_instances "
                               "WHERE state = 'COMPLETED'") - done0;
        if (d != done)
            last_change = now_s();
        done = d;
        if (done >= n)
            break;
        if (now_s() - last_change > 60) {
            stop_workers(pids, procs);
            die("%lld of %ld sagas completed, no progress for 60 s",
                (long long)done, n);
        }
        sleep_ms(2);
    }
    r.seconds = now_s() - t0;
    r.sagas_per_s = (double)n / r.seconds;
    stop_workers(pids, procs);
    int64_t other = sql_int(s, "SELECT COUNT(*) FROM baton_instances "
                               "WHERE state <> 'COMPLETED'");
    if (other)
        die("%lld instances did not complete", (long long)other);
    return r;
}

/* ---- Sections ------------------------------------------------------------ */

static json_t *results;

static void section_sleep(const char *kind)
{
    static const int conc[] = {1, 16, 256};
    long n[] = {40, 400, 4000};
    if (quick)
        n[0] = 8, n[1] = 64, n[2] = 1024;
    store s;
    store_new(&s, kind, NULL);
    baton_host *h = host_open(s.uri);
    deploy(h, "trip-booking-saga.bpmn");
    handler_sleep_ms = 50;
    printf("  %-10s handlers sleep 50 ms, half compensating (4 jobs per "
           "saga on average)\n", kind);
    printf("  %-10s %11s %8s %10s %10s %10s\n", "", "concurrency", "sagas",
           "sagas/s", "jobs/s", "of ideal");
    json_t *arr = json_array();
    for (int i = 0; i < 3; i++) {
        saga_run r = run_sagas(&s, h, n[i], 2, 1, conc[i]);
        double jobs = (double)n[i] * 4 / r.seconds;
        double ideal = conc[i] / 0.050;
        printf("  %-10s %11d %8ld %10.1f %10.0f %9.0f%%\n", "", conc[i], n[i],
               r.sagas_per_s, jobs, 100 * jobs / ideal);
        json_array_append_new(arr, json_pack("{sisIsfsf}", "concurrency",
                                             conc[i], "sagas", (json_int_t)n[i],
                                             "sagas_per_s", r.sagas_per_s,
                                             "jobs_per_s", jobs));
    }
    handler_sleep_ms = 0;
    char name[64];
    snprintf(name, sizeof name, "sleep50_%s", kind);
    json_object_set_new(results, name, arr);
    baton_host_close(h);
    store_drop(&s);
}

static void section_throughput(const char *kind, const char *options,
                               const char *label, int procs, long n)
{
    store s;
    store_new(&s, kind, options);
    baton_host *h = host_open(s.uri);
    deploy(h, "trip-booking-saga.bpmn");
    saga_run happy = run_sagas(&s, h, n, 0, procs, 32);
    saga_run comp = run_sagas(&s, h, n, 1, procs, 32);
    printf("  %-28s %5d %7ld %10.0f %10.0f %10.0f\n", label, procs, n,
           happy.sagas_per_s, comp.sagas_per_s,
           (happy.starts_per_s + comp.starts_per_s) / 2);
    json_object_set_new(results, label,
        json_pack("{sisIsfsfsf}", "processes", procs, "sagas", (json_int_t)n,
                  "happy_per_s", happy.sagas_per_s, "compensating_per_s",
                  comp.sagas_per_s, "starts_per_s",
                  (happy.starts_per_s + comp.starts_per_s) / 2));
    baton_host_close(h);
    store_drop(&s);
}

/* Latency: a worker process whose confirm-trip handler reports the
 * moment it is called through a pipe. */
static int report_fd = -1;

static void confirm_handler(void *ud, baton_host_job *job)
{
    (void)ud;
    double t = now_s(); /* CLOCK_MONOTONIC: one clock for all processes */
    ssize_t w = write(report_fd, &t, sizeof t);
    (void)w;
    baton_host_job_complete(job, NULL, 0);
}

static void start_receivers(baton_host *h, const char *prefix, int n)
{
    char vars[64];
    for (int i = 0; i < n; i++) {
        snprintf(vars, sizeof vars, "{\"bookingId\":\"%s-%d\"}", prefix, i);
        CALL(h, baton_host_start(h, "FlightReceive", vars, BATON_NUL, NULL,
                                 NULL));
    }
    /* Each books its flight, then waits at the receive task. */
    for (int left = n; left > 0;) {
        char *out = NULL;
        size_t got = 0;
        CALL(h, baton_host_activate_jobs(h, "book-flight", "bench", 256,
                                         60000, &out, &got));
        if (!got)
            die("book-flight jobs missing");
        for (char *line = out; line && *line;) {
            char *nl = strchr(line, '\n');
            uint64_t key = strtoull(strstr(line, "\"key\":") + 6, NULL, 10);
            CALL(h, baton_host_complete_job(h, key, NULL, 0));
            line = nl ? nl + 1 : NULL;
        }
        baton_host_free(out);
        left -= (int)got;
    }
}

static void section_latency(const char *kind, int samples)
{
    store s;
    store_new(&s, kind, NULL);
    baton_host *h = host_open(s.uri);
    deploy(h, "events-flight-receive.bpmn");
    start_receivers(h, "P", samples);
    start_receivers(h, "W", samples);
    double *poll = malloc(sizeof *poll * (size_t)samples);
    double *work = malloc(sizeof *work * (size_t)samples);
    char ck[32];
    /* The publisher activates the next job itself. */
    for (int i = 0; i < samples; i++) {
        snprintf(ck, sizeof ck, "P-%d", i);
        double t0 = now_s();
        CALL(h, baton_host_publish(h, "airline-callback", ck, NULL, 0, 0,
                                   NULL, NULL));
        char *out = NULL;
        size_t got = 0;
        while (!got) {
            baton_host_free(out);
            out = NULL;
            CALL(h, baton_host_activate_jobs(h, "confirm-trip", "bench", 1,
                                             60000, &out, &got));
        }
        poll[i] = (now_s() - t0) * 1e3;
        uint64_t key = strtoull(strstr(out, "\"key\":") + 6, NULL, 10);
        baton_host_free(out);
        CALL(h, baton_host_complete_job(h, key, NULL, 0));
    }
    /* A worker in another process, idle when each message comes. */
    int fds[2];
    if (pipe(fds))
        die("pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        report_fd = fds[1];
        baton_host *wh = NULL;
        if (baton_host_open(s.uri, &wh))
            _exit(1);
        baton_host_register(wh, "confirm-trip", confirm_handler, NULL);
        child_host = wh;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sigaction(SIGTERM, &sa, NULL);
        baton_host_worker_options o = {.concurrency = 4};
        int rc = baton_host_worker_run(wh, &o);
        baton_host_close(wh);
        _exit(rc ? 1 : 0);
    }
    close(fds[1]);
    sleep_ms(300); /* the worker is up and idle */
    unsigned seed = 7;
    for (int i = 0; i < samples; i++) {
        seed = seed * 1103515245u + 12345u;
        sleep_ms(20 + (seed >> 16) % 50);
        snprintf(ck, sizeof ck, "W-%d", i);
        double t0 = now_s(), t1;
        CALL(h, baton_host_publish(h, "airline-callback", ck, NULL, 0, 0,
                                   NULL, NULL));
        if (read(fds[0], &t1, sizeof t1) != sizeof t1)
            die("the latency worker stopped");
        work[i] = (t1 - t0) * 1e3;
    }
    stop_workers(&pid, 1);
    close(fds[0]);
    double pm = pct(poll, (size_t)samples, 0.5),
           p99 = pct(poll, (size_t)samples, 0.99);
    double wm = pct(work, (size_t)samples, 0.5),
           w99 = pct(work, (size_t)samples, 0.99);
    printf("  %-10s publish -> job activatable (publisher polls) "
           "%8.2f ms %8.2f ms\n", kind, pm, p99);
    printf("  %-10s publish -> handler called (%-18s) %8.2f ms %8.2f ms\n",
           "", s.pg ? "worker on LISTEN" : "worker polls", wm, w99);
    char name[64];
    snprintf(name, sizeof name, "latency_%s", kind);
    json_object_set_new(results, name,
        json_pack("{sisfsfsfsf}", "samples", samples, "activatable_median_ms",
                  pm, "activatable_p99_ms", p99, "handler_median_ms", wm,
                  "handler_p99_ms", w99));
    free(poll);
    free(work);
    baton_host_close(h);
    store_drop(&s);
}

/* Timers: the host's clock is set by hand. */
static int64_t fake_now;

static int64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

#define BASE_MS INT64_C(1767225600000) /* 2026-01-01 */
#define TWO_H INT64_C(7200000)

/* Median time of `reps` ticks with nothing due, and the time of the
 * ticks that fire what is due at `at`. */
static void time_ticks(baton_host *h, int64_t at_none, int64_t at_due,
                       double *none_ms, double *due_ms, size_t *fired,
                       int *ticks)
{
    enum { REPS = 21 };
    double t[REPS];
    size_t did = 0;
    fake_now = at_none;
    CALL(h, baton_host_tick(h, &did)); /* the sweep, once a minute */
    for (int i = 0; i < REPS; i++) {
        double t0 = now_s();
        CALL(h, baton_host_tick(h, &did));
        t[i] = (now_s() - t0) * 1e3;
        if (did)
            die("a tick found %zu due before any was", did);
    }
    *none_ms = pct(t, REPS, 0.5);
    fake_now = at_due;
    *fired = 0;
    *ticks = 0;
    double t0 = now_s();
    do {
        CALL(h, baton_host_tick(h, &did));
        *fired += did;
        ++*ticks;
    } while (did);
    *due_ms = (now_s() - t0) * 1e3;
}

static void section_timers(const char *kind, long target, double budget_s)
{
    const int real = 1000;
    store s;
    store_new(&s, kind, NULL);
    baton_host *h = host_open(s.uri);
    baton_host_set_clock(h, fake_clock, NULL);
    fake_now = BASE_MS;
    deploy(h, "events-flight-timeout.bpmn");
    char vars[64];
    for (int i = 0; i < real; i++) {
        snprintf(vars, sizeof vars, "{\"bookingId\":\"T-%d\"}", i);
        CALL(h, baton_host_start(h, "FlightTimeout", vars, BATON_NUL, NULL,
                                 NULL));
    }
    /* Book each flight a millisecond apart: instance i's timer is due at
     * BASE + i + 2 h. */
    char *out = NULL;
    size_t got = 0;
    CALL(h, baton_host_activate_jobs(h, "book-flight", "bench", (size_t)real,
                                     TWO_H, &out, &got));
    if ((int)got != real)
        die("%zu book-flight jobs, expected %d", got, real);
    int i = 0;
    for (char *line = out; line && *line; i++) {
        char *nl = strchr(line, '\n');
        uint64_t key = strtoull(strstr(line, "\"key\":") + 6, NULL, 10);
        fake_now = BASE_MS + i;
        CALL(h, baton_host_complete_job(h, key, NULL, 0));
        line = nl ? nl + 1 : NULL;
    }
    baton_host_free(out);
    int64_t waiting = sql_int(&s, "SELECT COUNT(*) FROM baton_instances "
                                  "WHERE wake_at IS NOT NULL");
    if (waiting != real)
        die("%lld instances wait on a timer", (long long)waiting);
    int64_t bytes_real = store_bytes(&s, NULL);
    /* At 1,000: none due, then instances 0..99 due. */
    double none1, due1, noneN, dueN;
    size_t fired1, firedN;
    int ticks1, ticksN;
    time_ticks(h, BASE_MS + TWO_H - 1000, BASE_MS + TWO_H + 99, &none1, &due1,
               &fired1, &ticks1);
    baton_host_close(h);

    /* Copies of the 900 that still wait, under new keys whose upper 32
     * bits start at 2^30 (beyond any real instance), due a day later. */
    int64_t nmin = sql_int(&s, "SELECT MIN(key >> 32) FROM baton_instances");
    int64_t nmax = sql_int(&s, "SELECT MAX(key >> 32) FROM baton_instances");
    int64_t k = nmax - nmin + 1;
    int64_t per = sql_int(&s, "SELECT COUNT(*) FROM baton_instances "
                              "WHERE wake_at IS NOT NULL");
    if (!s.pg)
        sql_exec(&s, "PRAGMA synchronous=OFF");
    long rounds = (target - real + per - 1) / per;
    long chunk = 50;
    double t0 = now_s();
    long done = 0;
    while (done < rounds) {
        long a = done + 1, b = done + chunk;
        if (b > rounds)
            b = rounds;
        char nk[200], series[200], sql[2000];
        snprintf(nk, sizeof nk,
                 "(((1073741824 + i * %" PRId64 " + ((o.%%s >> 32) - %" PRId64
                 ")) << 32) | (o.%%s & 4294967295))", k, nmin);
        if (s.pg)
            snprintf(series, sizeof series, "generate_series(%ld, %ld) i",
                     a, b);
        else
            snprintf(series, sizeof series,
                     "(WITH RECURSIVE c(i) AS (SELECT %ld UNION ALL SELECT "
                     "i + 1 FROM c WHERE i < %ld) SELECT i FROM c) s", a, b);
        char inst_key[240], key[240];
        snprintf(inst_key, sizeof inst_key, nk, "instance_key",
                 "instance_key");
        snprintf(key, sizeof key, nk, "key", "key");
        sql_exec(&s, "BEGIN");
        snprintf(sql, sizeof sql,
                 "INSERT INTO baton_instances (key, process_id, version, "
                 "state, revision, snapshot, business_key, start_key, "
                 "created, updated, ended, wake_at, ready, error) "
                 "SELECT %s, process_id, version, state, revision, snapshot, "
                 "business_key, start_key, created, updated, ended, "
                 "wake_at + 86400000 + i, ready, error "
                 "FROM baton_instances o, %s WHERE o.key < 4611686018427387904 "
                 "AND o.wake_at IS NOT NULL", key, series);
        sql_exec(&s, sql);
        snprintf(sql, sizeof sql,
                 "INSERT INTO baton_timers (key, instance_key, element_id, "
                 "due, gen) SELECT %s, %s, element_id, due + 86400000 + i, "
                 "gen FROM baton_timers o, %s "
                 "WHERE o.key < 4611686018427387904", key, inst_key, series);
        sql_exec(&s, sql);
        snprintf(sql, sizeof sql,
                 "INSERT INTO baton_message_subs (key, instance_key, "
                 "element_id, name, correlation_key, gen) SELECT %s, %s, "
                 "element_id, name, correlation_key || '/' || i, gen "
                 "FROM baton_message_subs o, %s "
                 "WHERE o.key < 4611686018427387904", key, inst_key, series);
        sql_exec(&s, sql);
        sql_exec(&s, "COMMIT");
        done = b;
        if (s.pg && now_s() - t0 > budget_s)
            break;
    }
    double build_s = now_s() - t0;
    sql_exec(&s, "ANALYZE");
    int64_t total = sql_int(&s, "SELECT COUNT(*) FROM baton_instances");
    int64_t timers = sql_int(&s, "SELECT COUNT(*) FROM baton_timers");
    int64_t bytes_all = store_bytes(&s, NULL);

    /* At N: none due, then instances 100..199 due. */
    h = host_open(s.uri);
    baton_host_set_clock(h, fake_clock, NULL);
    time_ticks(h, BASE_MS + TWO_H + 99, BASE_MS + TWO_H + 199, &noneN, &dueN,
               &firedN, &ticksN);
    int64_t cancels = sql_int(&s, "SELECT COUNT(*) FROM baton_jobs "
                                  "WHERE type = 'cancel-flight'");
    if (fired1 != 100 || firedN != 100 || cancels != 200)
        die("fired %zu and %zu timers, %lld cancel-flight jobs; expected "
            "100, 100, 200", fired1, firedN, (long long)cancels);
    baton_host_close(h);
    printf("  %-10s built %lld instances (%lld timers; %lld real, the rest "
           "row copies) in %.0f s\n", kind, (long long)total,
           (long long)timers, (long long)real, build_s);
    printf("  %-10s %10s %16s %20s %18s\n", "", "instances", "tick, none due",
           "ticks, 100 due", "store bytes/inst");
    printf("  %-10s %10d %13.3f ms %10.1f ms (%2d) %18.0f\n", "", real, none1,
           due1, ticks1, (double)bytes_real / real);
    printf("  %-10s %10lld %13.3f ms %10.1f ms (%2d) %18.0f\n", "",
           (long long)total, noneN, dueN, ticksN,
           (double)bytes_all / (double)total);
    char name[64];
    snprintf(name, sizeof name, "timers_%s", kind);
    json_object_set_new(results, name,
        json_pack("{sIsIsfsfsfsfsfsisi}", "instances", (json_int_t)total,
                  "real", (json_int_t)real, "build_s", build_s,
                  "tick_none_ms_1000", none1, "fire_100_ms_1000", due1,
                  "tick_none_ms_n", noneN, "fire_100_ms_n", dueN,
                  "ticks_1000", ticks1, "ticks_n", ticksN));
    store_drop(&s);
}

static void section_size(const char *kind, long n, int history)
{
    store s;
    store_new(&s, kind, kind[0] == 's' ? "synchronous=normal" : NULL);
    baton_host *h = host_open(s.uri);
    baton_host_set(h, BATON_HOST_HISTORY, history);
    deploy(h, "trip-booking-saga.bpmn");
    int64_t per0[8], per1[8];
    int64_t b0 = store_bytes(&s, per0);
    for (long i = 0; i < n; i++)
        CALL(h, baton_host_start(h, "TripBookingSaga", "{\"fail\":false}",
                                 BATON_NUL, NULL, NULL));
    int64_t b1 = store_bytes(&s, per1);
    double each = (double)(b1 - b0) / (double)n;
    printf("  %-10s %-8s %8ld %12.0f   ", kind, history ? "on" : "off", n,
           each);
    json_t *o = json_pack("{sIsisf}", "instances", (json_int_t)n, "history",
                          history, "bytes_per_instance", each);
    for (int i = 0; tables[i]; i++) {
        double t = (double)(per1[i] - per0[i]) / (double)n;
        if (t >= 1)
            printf(" %s %.0f", tables[i] + 6, t);
        char field[64];
        snprintf(field, sizeof field, "%s_bytes", tables[i] + 6);
        json_object_set_new(o, field, json_real(t));
    }
    printf("\n");
    char name[64];
    snprintf(name, sizeof name, "size_%s_history_%s", kind,
             history ? "on" : "off");
    json_object_set_new(results, name, o);
    baton_host_close(h);
    store_drop(&s);
}

static int wanted(const char *only, const char *name)
{
    if (!only)
        return 1;
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    long sagas = 2000, timers = 1000000, samples = 200;
    double pg_budget = 150;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
            sagas = 300;
            timers = 20000;
            samples = 40;
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--sagas") && i + 1 < argc) {
            sagas = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--timers") && i + 1 < argc) {
            timers = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
            samples = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--pg-build-s") && i + 1 < argc) {
            pg_budget = atof(argv[++i]);
        } else if (argv[i][0] != '-') {
            models = argv[i];
        } else {
            fprintf(stderr, "usage: bench_host [--quick] [--only LIST] "
                            "[--sagas N] [--timers N] [--samples N] "
                            "[--pg-build-s S] MODELS_DIR\n");
            return 2;
        }
    }
    if (sagas < 2 || samples < 2 || timers < 2000)
        die("--sagas and --samples need at least 2, --timers 2000");
    setvbuf(stdout, NULL, _IOLBF, 0);
    int pg = store_have_pg();
    const char *kinds[2] = {"sqlite", pg ? "postgresql" : NULL};
    results = json_object();
    printf("baton %s, durable host, schema %d%s\n", baton_version(),
           baton_host_schema_version(),
           pg ? "" : " (BATON_TEST_PG unset: SQLite only)");
    for (int k = 0; k < 2 && kinds[k]; k++)
        check_saga_paths(kinds[k]);

    if (wanted(only, "sleep")) {
        printf("\nsagas/s, handlers that sleep 50 ms, one worker process\n");
        for (int k = 0; k < 2 && kinds[k]; k++)
            section_sleep(kinds[k]);
    }
    if (wanted(only, "throughput")) {
        printf("\nsagas/s, handlers that return at once, concurrency 32 per "
               "worker process\n");
        printf("  %-28s %5s %7s %10s %10s %10s\n", "store", "procs", "sagas",
               "happy/s", "compens/s", "starts/s");
        section_throughput("sqlite", "synchronous=full",
                           "sqlite synchronous=full", 1, sagas);
        section_throughput("sqlite", "synchronous=normal",
                           "sqlite synchronous=normal", 1, sagas);
        section_throughput("sqlite", "synchronous=normal",
                           "sqlite synchronous=normal x2", 2, sagas);
        for (int p = 1; pg && p <= 8; p *= 2) {
            char label[64];
            snprintf(label, sizeof label, "postgresql x%d", p);
            section_throughput("postgresql", NULL, label, p, sagas);
        }
    }
    if (wanted(only, "latency")) {
        printf("\nmessage latency, %ld samples each: %29s %11s\n", samples,
               "median", "p99");
        for (int k = 0; k < 2 && kinds[k]; k++)
            section_latency(kinds[k], (int)samples);
    }
    if (wanted(only, "timers")) {
        printf("\nfinding due timers among waiting instances (tick: "
               "baton_host_tick(); in brackets the ticks taken)\n");
        for (int k = 0; k < 2 && kinds[k]; k++)
            section_timers(kinds[k], timers, pg_budget);
    }
    if (wanted(only, "size")) {
        long n = quick ? 1000 : 10000;
        printf("\nstore bytes per saga waiting at its first job (indexes "
               "included), by table\n");
        for (int k = 0; k < 2 && kinds[k]; k++) {
            section_size(kinds[k], n, 1);
            section_size(kinds[k], n, 0);
        }
    }
    char *js = json_dumps(results, JSON_COMPACT | JSON_REAL_PRECISION(6));
    printf("%s\n", js);
    free(js);
    json_decref(results);
    return 0;
}
