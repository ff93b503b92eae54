/*
 * test_host_concurrency.c - many worker processes on one store: 8 on
 * PostgreSQL, 4 on SQLite (tests/host/saga_worker.c), working thousands
 * of sagas with timers and messages at once.
 *
 *   test_host_concurrency SAGA_WORKER
 *
 * The sagas, a quarter each: trip-booking-saga.bpmn booked, the same
 * compensated (the flight fails), events-flight-timeout.bpmn whose
 * "airline-callback" the test publishes with a time to live (half before
 * the instance starts, half later), and host-timer-saga.bpmn with a
 * one-second timer in real time. Checked: every instance COMPLETED along
 * its expected path, each job result committed once, each job called
 * exactly once (the lease is long, nothing is killed: no job runs twice)
 * and never by two workers at the same time, all within a deadline (a
 * deadlock or lost work fails the test with what is left unfinished).
 *
 * BATON_CONC_SAGAS_PG (default 2000), BATON_CONC_SAGAS_SQLITE (1000) and
 * BATON_CONC_DEADLINE_S (240) scale it.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baton_host.h"
#include "host/saga_util.h"
#include "host/store_util.h"

static const char *worker_path;

static long env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 10) : dflt;
}

static void must(baton_host *h, int rc, const char *what, int i)
{
    if (rc) {
        fprintf(stderr, "%s %d: %s\n", what, i, baton_host_errmsg(h));
        exit(1);
    }
}

static void publish(baton_host *h, int i)
{
    char ck[32], id[32];
    snprintf(ck, sizeof ck, "B-%d", i);
    snprintf(id, sizeof id, "cb-%d", i);
    must(h, baton_host_publish(h, "airline-callback", ck,
                               "{\"seat\":\"12A\"}", BATON_NUL, 600000, id,
                               NULL), "publish", i);
}

static void start(baton_host *h, int i)
{
    char vars[128], bk[32];
    snprintf(bk, sizeof bk, "S-%d", i);
    const char *pid;
    switch (i % 4) {
    case 0:
    case 1:
        snprintf(vars, sizeof vars, "{\"trip\":\"T-%d\",\"fail\":%s}", i,
                 i % 4 ? "true" : "false");
        pid = "TripBookingSaga";
        break;
    case 2:
        snprintf(vars, sizeof vars, "{\"bookingId\":\"B-%d\"}", i);
        pid = "FlightTimeout";
        break;
    default:
        snprintf(vars, sizeof vars, "{\"trip\":\"T-%d\"}", i);
        pid = "HostTimerSaga";
        break;
    }
    must(h, baton_host_start(h, pid, vars, BATON_NUL, bk, NULL), "start", i);
}

static const char *expected_path(int i)
{
    switch (i % 4) {
    case 0: return "ReserveCar BookHotel BookFlight";
    case 1: return "ReserveCar BookHotel CancelHotel CancelCar";
    case 2: return "BookFlight ConfirmTrip";
    default: return "HoldSeat PaySeat";
    }
}

static size_t expected_jobs(int i)
{
    /* The compensated trip's flight throws: its job counts too. */
    static const size_t n[] = {3, 5, 2, 2};
    return n[i % 4];
}

static void run_store(const char *kind, int workers, int sagas,
                      int64_t deadline_s)
{
    char uri[512];
    if (store_fresh(kind, uri, sizeof uri)) {
        printf("%s: no store, skipped\n", kind);
        return;
    }
    const char *dir = getenv("TMPDIR");
    char effects[512];
    snprintf(effects, sizeof effects, "%s/baton-conc-%ld-%s.effects",
             dir ? dir : "/tmp", (long)getpid(), kind);
    remove(effects);
    int64_t t0 = su_now_ms();
    baton_host *h = su_open(uri);
    su_deploy(h, "trip-booking-saga.bpmn");
    su_deploy(h, "events-flight-timeout.bpmn");
    su_deploy(h, "host-timer-saga.bpmn");

    pid_t *pids = calloc((size_t)workers, sizeof *pids);
    for (int w = 0; w < workers; w++) {
        const char *argv[] = {worker_path, uri, effects, "4", "60000",
                              "200", "0", "0", NULL};
        pids[w] = su_spawn(argv);
    }
    /* Sagas started while the workers run; callbacks published before
     * their instance starts (kept) or a while after it. */
    for (int i = 0; i < sagas; i++) {
        if (i % 8 == 2)
            publish(h, i);
        start(h, i);
        if (i >= 40 && (i - 40) % 8 == 6)
            publish(h, i - 40);
    }
    for (int i = sagas - 40 > 0 ? sagas - 40 : 0; i < sagas; i++)
        if (i % 8 == 6)
            publish(h, i);
    int64_t t_started = su_now_ms();

    int64_t deadline = t0 + deadline_s * 1000;
    long completed = 0;
    while ((completed = su_count_state(h, "COMPLETED")) < sagas &&
           su_now_ms() < deadline)
        su_sleep_ms(250);
    int64_t t_done = su_now_ms();
    if (completed < sagas) {
        static const char *const states[] = {"ACTIVE", "WAITING", "INCIDENT",
                                             "TERMINATED", "FAILED"};
        fprintf(stderr, "%s: after %lld s only %ld of %d instances are "
                "COMPLETED (deadlock or lost work?):", kind,
                (long long)deadline_s, completed, sagas);
        for (size_t s = 0; s < 5; s++)
            fprintf(stderr, " %s %ld", states[s], su_count_state(h, states[s]));
        fputc('\n', stderr);
    }
    EXPECT(completed == sagas, "%s: %ld of %d instances completed before "
           "the deadline", kind, completed, sagas);
    for (int w = 0; w < workers; w++)
        kill(pids[w], SIGTERM);
    for (int w = 0; w < workers; w++) {
        int st = su_wait_or_kill(pids[w], su_now_ms() + 60000);
        EXPECT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
               "%s: worker %d did not stop cleanly (status %d)", kind, w,
               st);
    }
    free(pids);

    size_t n = 0, nc = 0;
    su_inst *v = su_read_instances(h, 1, &n);
    su_call *calls = su_read_calls(effects, &nc);
    EXPECT(n == (size_t)sagas, "%s: %zu instances, want %d", kind, n, sagas);
    size_t jobs = 0, want_jobs = 0, bad = 0;
    for (size_t a = 0; a < n; a++) {
        const su_inst *x = &v[a];
        int i = atoi(x->business_key + 2);
        want_jobs += expected_jobs(i);
        int ok = strcmp(x->state, "COMPLETED") == 0 &&
                 strcmp(x->tasks, expected_path(i)) == 0 &&
                 x->dup_elements == 0 && x->dup_jobs == 0 &&
                 x->n_jobs == expected_jobs(i);
        if (!ok && bad++ < 10)
            EXPECT(0, "%s: %s is %s with [%s], %zu job results (%zu twice), "
                   "%zu elements completed twice; want COMPLETED with [%s]",
                   kind, x->business_key, x->state, x->tasks, x->n_jobs,
                   x->dup_jobs, x->dup_elements, expected_path(i));
        for (size_t j = 0; j < x->n_jobs; j++) {
            size_t c = 0;
            su_find_calls(calls, nc, x->jobs[j], &c);
            EXPECT(c == 1, "%s: %s: job %" PRIu64 " was called %zu times",
                   kind, x->business_key, x->jobs[j], c);
            jobs++;
        }
    }
    EXPECT(bad == 0, "%s: %zu instances off their path", kind, bad);
    EXPECT(jobs == want_jobs, "%s: %zu job results, want %zu", kind, jobs,
           want_jobs);
    EXPECT(nc == jobs, "%s: %zu handler calls for %zu jobs", kind, nc, jobs);
    /* No job ran in two places at once (calls sorted by job, start). */
    size_t overlaps = 0;
    for (size_t i = 1; i < nc; i++)
        if (calls[i].job == calls[i - 1].job &&
            calls[i].start_us < calls[i - 1].end_us)
            overlaps++;
    EXPECT(overlaps == 0, "%s: %zu jobs ran twice at the same time", kind,
           overlaps);
    /* Every worker took part. */
    long seen[64];
    size_t n_seen = 0;
    for (size_t i = 0; i < nc; i++) {
        size_t k = 0;
        while (k < n_seen && seen[k] != calls[i].pid)
            k++;
        if (k == n_seen && n_seen < 64)
            seen[n_seen++] = calls[i].pid;
    }
    printf("%s: %d sagas on %d workers (%zu of them ran jobs): all %ld "
           "completed; %zu jobs, each called once, no overlap; started in "
           "%.1f s, done in %.1f s, checked in %.1f s\n",
           kind, sagas, workers, n_seen, completed, jobs,
           (t_started - t0) / 1000.0, (t_done - t0) / 1000.0,
           (su_now_ms() - t_done) / 1000.0);
    fflush(stdout);
    free(calls);
    su_free_instances(v, n);
    baton_host_close(h);
    if (!su_failures)
        remove(effects);
    su_remove_sqlite(uri);
}

int main(int argc, char **argv)
{
    worker_path = su_worker_arg(argc, argv);
    int64_t deadline = env_long("BATON_CONC_DEADLINE_S", 240);
    run_store("sqlite", 4, (int)env_long("BATON_CONC_SAGAS_SQLITE", 1000),
              deadline);
    if (store_have_pg())
        run_store("postgresql", 8,
                  (int)env_long("BATON_CONC_SAGAS_PG", 2000), deadline);
    else
        printf("BATON_TEST_PG is not set: PostgreSQL skipped\n");
    if (su_failures)
        printf("%d failures\n", su_failures);
    return su_failures ? 1 : 0;
}
