/*
 * test_host_badstore.c - the durable host against a store that is
 * damaged or goes away (beyond tests/test_host.c):
 *
 *  - a damaged snapshot row, on SQLite and PostgreSQL, met by a worker
 *    with handlers: the instance is marked FAILED with the reason and the
 *    worker finishes the others;
 *  - PostgreSQL's backends terminated (pg_terminate_backend) again and
 *    again while a worker process (tests/host/saga_worker.c) runs sagas:
 *    a call on a connection that was cut fails with BATON_HOST_ESTORE and
 *    a message, writes nothing, and succeeds when repeated; the worker
 *    reconnects and finishes every saga, each job result committed once.
 *
 *   test_host_badstore SAGA_WORKER
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "baton_host.h"
#include "host/saga_util.h"
#include "host/store_util.h"

static const char *worker_path;

/* The instance a job key belongs to (baton_host.h: they share the upper
 * 32 bits). */
#define BATON_INSTANCE_OF_JOB(key) ((key) & ~(uint64_t)0xffffffffu)

static void must(baton_host *h, int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "%s: %s\n", what, baton_host_errmsg(h));
        exit(1);
    }
}

/* Runs SQL on the store behind `uri` through its own connection. */
static int raw_sql(const char *uri, const char *sql)
{
    if (strncmp(uri, "sqlite:", 7) == 0) {
        sqlite3 *db = NULL;
        int rc = sqlite3_open(uri + 7, &db);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
        sqlite3_close(db);
        return rc == SQLITE_OK ? 0 : -1;
    }
    PGconn *c = PQconnectdb(uri);
    PGresult *r = PQexec(c, sql);
    int st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

static void complete(void *ud, baton_host_job *job)
{
    uint64_t *damaged = ud;
    if (BATON_INSTANCE_OF_JOB(baton_host_job_key(job)) == damaged[0])
        damaged[1]++;
    baton_host_job_complete(job, "{\"done\":true}", BATON_NUL);
}

static void damaged_snapshot(const char *kind)
{
    char uri[512];
    if (store_fresh(kind, uri, sizeof uri)) {
        printf("%s damaged snapshot: no store, skipped\n", kind);
        return;
    }
    baton_host *h = su_open(uri);
    su_deploy(h, "trip-booking-saga.bpmn");
    uint64_t keys[4];
    for (int i = 0; i < 4; i++)
        must(h, baton_host_start(h, "TripBookingSaga", "{}", BATON_NUL, NULL,
                                 &keys[i]), "start");
    /* One byte of instance 1's snapshot zeroed, as a bad disk would. */
    char sql[256];
    if (strcmp(kind, "sqlite") == 0)
        snprintf(sql, sizeof sql, "UPDATE baton_instances SET snapshot = "
                 "substr(snapshot, 1, 40) || x'00' || substr(snapshot, 42) "
                 "WHERE key = %llu", (unsigned long long)keys[1]);
    else
        snprintf(sql, sizeof sql, "UPDATE baton_instances SET snapshot = "
                 "overlay(snapshot placing '\\x00'::bytea from 41 for 1) "
                 "WHERE key = %llu", (unsigned long long)keys[1]);
    EXPECT(raw_sql(uri, sql) == 0, "%s: damaging the snapshot", kind);
    static const char *const types[] = {"ReserveCar", "BookHotel",
                                        "BookFlight"};
    uint64_t damaged[2] = {keys[1], 0}; /* the instance, its calls */
    for (int i = 0; i < 3; i++)
        baton_host_register(h, types[i], complete, damaged);
    baton_host_set(h, BATON_HOST_LEASE_MS, 500);
    baton_host_worker_options o = {.concurrency = 2, .until_idle = 1};
    int rc = baton_host_worker_run(h, &o);
    EXPECT(rc == BATON_OK, "%s: worker: %d %s", kind, rc,
           baton_host_errmsg(h));
    /* A second pass after the lease: the damaged instance's job is not
     * taken up again and again. */
    su_sleep_ms(600);
    rc = baton_host_worker_run(h, &o);
    EXPECT(rc == BATON_OK, "%s: worker: %d %s", kind, rc,
           baton_host_errmsg(h));
    char *out = NULL;
    must(h, baton_host_instances(h, "FAILED", NULL, 0, 0, &out), "list");
    char want[64];
    snprintf(want, sizeof want, "\"key\":%llu", (unsigned long long)keys[1]);
    EXPECT(strstr(out, want) != NULL,
           "%s: the damaged instance is not listed FAILED: %s", kind, out);
    baton_host_free(out);
    size_t n = 0;
    su_inst *v = su_read_instances(h, 1, &n);
    for (size_t i = 0; i < n; i++) {
        if (v[i].key == keys[1]) {
            EXPECT(strcmp(v[i].state, "FAILED") == 0,
                   "%s: the damaged instance is %s, want FAILED", kind,
                   v[i].state);
            EXPECT(v[i].error && strstr(v[i].error, "cannot be restored"),
                   "%s: the damaged instance's error: %s", kind,
                   v[i].error ? v[i].error : "(none)");
        } else {
            EXPECT(strcmp(v[i].state, "COMPLETED") == 0 &&
                       strcmp(v[i].tasks,
                              "ReserveCar BookHotel BookFlight") == 0,
                   "%s: instance %" PRIu64 " is %s with [%s]", kind,
                   v[i].key, v[i].state, v[i].tasks);
        }
    }
    EXPECT(n == 4, "%s: %zu instances", kind, n);
    /* Marked FAILED when first met, its job is not run again. */
    EXPECT(damaged[1] <= 1, "%s: the damaged instance's job was called %llu "
           "times over two passes of the worker", kind,
           (unsigned long long)damaged[1]);
    printf("%s: a damaged snapshot met by a worker: its job called %llu "
           "time(s) over two passes\n", kind, (unsigned long long)damaged[1]);
    su_free_instances(v, n);
    baton_host_close(h);
    su_remove_sqlite(uri);
}

/* PostgreSQL cuts every client connection but the caller's. */
static int terminate_backends(PGconn *admin)
{
    PGresult *r = PQexec(admin,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
    int n = PQresultStatus(r) == PGRES_TUPLES_OK
        ? atoi(PQgetvalue(r, 0, 0)) : -1;
    if (n < 0)
        fprintf(stderr, "terminating backends: %s", PQerrorMessage(admin));
    PQclear(r);
    return n;
}

static void database_goes_away(void)
{
    char uri[512];
    if (store_fresh("postgresql", uri, sizeof uri)) {
        printf("postgresql going away: no store, skipped\n");
        return;
    }
    const char *dir = getenv("TMPDIR");
    char effects[512];
    snprintf(effects, sizeof effects, "%s/baton-badstore-%ld.effects",
             dir ? dir : "/tmp", (long)getpid());
    remove(effects);
    int64_t t0 = su_now_ms();
    baton_host *h = su_open(uri);
    su_deploy(h, "trip-booking-saga.bpmn");
    const int sagas = 60;
    for (int i = 0; i < sagas; i++) {
        char vars[96], bk[32];
        snprintf(vars, sizeof vars, "{\"trip\":\"T-%d\",\"fail\":%s}", i,
                 i % 2 ? "true" : "false");
        snprintf(bk, sizeof bk, "S-%d", i);
        must(h, baton_host_start(h, "TripBookingSaga", vars, BATON_NUL, bk,
                                 NULL), "start");
    }
    PGconn *admin = PQconnectdb(getenv("BATON_TEST_PG"));
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "admin connection: %s", PQerrorMessage(admin));
        exit(1);
    }
    /* A worker whose handlers take 20 ms: the cuts meet it in flight. */
    const char *argv[] = {worker_path, uri, effects, "4", "60000", "20000",
                          "0", "0", NULL};
    pid_t pid = su_spawn(argv);
    int cuts = 0, cut_backends = 0;
    for (int k = 0; k < 8; k++) {
        su_sleep_ms(150 + 40 * k);
        int n = terminate_backends(admin);
        EXPECT(n >= 0, "terminating backends");
        cuts++;
        cut_backends += n > 0 ? n : 0;
    }
    /* The driver's own connection was cut too: a call fails whole with
     * a message, and the same call succeeds when repeated. */
    long before = -1;
    int rc = baton_host_start(h, "TripBookingSaga", "{\"trip\":\"T-x\"}",
                              BATON_NUL, "S-x", NULL);
    EXPECT(rc == BATON_HOST_ESTORE, "a call on a cut connection: %d (%s), "
           "want BATON_HOST_ESTORE", rc, baton_host_errmsg(h));
    EXPECT(strstr(baton_host_errmsg(h), "store failed") != NULL,
           "the message of a cut connection: %s", baton_host_errmsg(h));
    printf("postgresql: a call on a cut connection: %d: %s\n", rc,
           baton_host_errmsg(h));
    before = su_count_all(h);
    EXPECT(before == sagas, "after a failed start: %ld instances, want %d "
           "(nothing half-written)", before, sagas);
    rc = baton_host_start(h, "TripBookingSaga", "{\"trip\":\"T-x\"}",
                          BATON_NUL, "S-x", NULL);
    EXPECT(rc == BATON_OK, "the start repeated: %d %s", rc,
           baton_host_errmsg(h));
    int total = sagas + (rc == BATON_OK);
    int64_t deadline = su_now_ms() + 90000;
    long completed = 0;
    while ((completed = su_count_state(h, "COMPLETED")) < total &&
           su_now_ms() < deadline)
        su_sleep_ms(100);
    EXPECT(completed == total, "the worker finished %ld of %d sagas after "
           "the store came back", completed, total);
    kill(pid, SIGTERM);
    int st = su_wait_or_kill(pid, su_now_ms() + 60000);
    EXPECT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "the worker did not stop cleanly: status %d", st);
    size_t n = 0, nc = 0;
    su_inst *v = su_read_instances(h, 1, &n);
    su_call *calls = su_read_calls(effects, &nc);
    size_t jobs = 0, rerun = 0;
    for (size_t a = 0; a < n; a++) {
        const su_inst *x = &v[a];
        int i = x->business_key[2] == 'x' ? 0 : atoi(x->business_key + 2);
        const char *want = i % 2 ? "ReserveCar BookHotel CancelHotel CancelCar"
                                 : "ReserveCar BookHotel BookFlight";
        EXPECT(strcmp(x->state, "COMPLETED") == 0 &&
                   strcmp(x->tasks, want) == 0 && x->dup_jobs == 0 &&
                   x->dup_elements == 0,
               "%s is %s with [%s] (%zu results twice, %zu elements "
               "twice), want COMPLETED with [%s]", x->business_key,
               x->state, x->tasks, x->dup_jobs, x->dup_elements, want);
        for (size_t j = 0; j < x->n_jobs; j++) {
            size_t c = 0;
            su_find_calls(calls, nc, x->jobs[j], &c);
            EXPECT(c >= 1, "%s: job %" PRIu64 " committed, never called",
                   x->business_key, x->jobs[j]);
            rerun += c > 1 ? c - 1 : 0;
            jobs++;
        }
    }
    EXPECT(n == (size_t)total, "%zu instances, want %d", n, total);
    printf("postgresql: backends terminated %d times (%d connections cut) "
           "while a worker ran: all %zu sagas completed, %zu job results "
           "committed once each, %zu handler calls (%zu run again); %.1f s\n",
           cuts, cut_backends, n, jobs, nc, rerun,
           (su_now_ms() - t0) / 1000.0);
    free(calls);
    su_free_instances(v, n);
    PQfinish(admin);
    baton_host_close(h);
    if (!su_failures)
        remove(effects);
}

int main(int argc, char **argv)
{
    worker_path = su_worker_arg(argc, argv);
    damaged_snapshot("sqlite");
    if (store_have_pg()) {
        damaged_snapshot("postgresql");
        database_goes_away();
    } else {
        printf("BATON_TEST_PG is not set: PostgreSQL skipped\n");
    }
    if (su_failures)
        printf("%d failures\n", su_failures);
    return su_failures ? 1 : 0;
}
