/*
 * test_host_crash.c - crash safety of the durable host: worker processes
 * (tests/host/saga_worker.c) are killed with SIGKILL at random points
 * while sagas run, and started again; every saga must then end as its
 * uninterrupted twin does.
 *
 *   test_host_crash SAGA_WORKER
 *
 * For each store (SQLite, and PostgreSQL when BATON_TEST_PG is set):
 * starts sagas of trip-booking-saga.bpmn (happy and compensating) and of
 * events-flight-timeout.bpmn (callback message kept with a time to live,
 * or the PT2H timer) in waves while a loop starts a worker, lets it run
 * 5-80 ms and kills it, KILLS times; then, once the killed workers'
 * locks have expired, a worker runs until nothing is due, and another
 * with the clock moved by three hours fires the timers. A twin store runs the same sagas
 * with one worker that is never killed. Per business key: the same end
 * state, the same completed service tasks in order, the same variables;
 * in the history no element instance completed twice and no job result
 * applied twice; every job whose result committed was called (effects
 * file) at least once. Calls run again after kills are counted.
 *
 * BATON_CRASH_SEED (default: the time) makes a run repeatable; the seed
 * is printed. BATON_CRASH_KILLS (default 150 per store) and
 * BATON_CRASH_SAGAS (default 120 per store) scale it; BATON_CRASH_MAX_MS
 * (default 80) is the longest life of a worker before its kill (slower
 * builds, such as with sanitizers, start workers slower).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baton_host.h"
#include "host/saga_util.h"
#include "host/store_util.h"

#define LEASE_MS "250"
#define DELAY_US "5000"
#define THREE_HOURS "10800000"

static const char *worker_path;
static unsigned long long rng;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static long env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 10) : dflt;
}

/* Saga i: a trip (every other one failing at the flight) or, one in
 * four, a flight with a timeout whose callback comes for half of them. */
static int is_flight(int i) { return i % 4 == 3; }
static int gets_callback(int i) { return i % 8 == 3; }

static void start_saga(baton_host *h, int i)
{
    char vars[128], bk[32];
    snprintf(bk, sizeof bk, "S-%d", i);
    int rc;
    if (is_flight(i)) {
        snprintf(vars, sizeof vars, "{\"bookingId\":\"B-%d\"}", i);
        if (gets_callback(i)) {
            char ck[32], id[32];
            snprintf(ck, sizeof ck, "B-%d", i);
            snprintf(id, sizeof id, "cb-%d", i);
            /* Kept for a day: it waits for the subscription. */
            rc = baton_host_publish(h, "airline-callback", ck,
                                    "{\"seat\":\"12A\"}", BATON_NUL,
                                    86400000, id, NULL);
            if (rc) {
                fprintf(stderr, "publish %s: %s\n", ck, baton_host_errmsg(h));
                exit(1);
            }
        }
        rc = baton_host_start(h, "FlightTimeout", vars, BATON_NUL, bk, NULL);
    } else {
        snprintf(vars, sizeof vars, "{\"trip\":\"T-%d\",\"fail\":%s}", i,
                 i % 4 == 1 ? "true" : "false");
        rc = baton_host_start(h, "TripBookingSaga", vars, BATON_NUL, bk,
                              NULL);
    }
    if (rc) {
        fprintf(stderr, "start %s: %s\n", bk, baton_host_errmsg(h));
        exit(1);
    }
}

/* Runs a worker to its end (until idle); it must exit 0. */
static void run_worker(const char *uri, const char *effects,
                       const char *lease, const char *offset)
{
    const char *argv[] = {worker_path, uri, effects, "4", lease, "0",
                          offset, "1", NULL};
    pid_t pid = su_spawn(argv);
    int st = su_wait_or_kill(pid, su_now_ms() + 120000);
    EXPECT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "a worker to the end of %s: status %d", uri, st);
}

static long max_ms = 80;

static void run_store(const char *kind, long kills, int sagas)
{
    char uri[512], twin_uri[512];
    if (store_fresh(kind, uri, sizeof uri) ||
        store_fresh(kind, twin_uri, sizeof twin_uri)) {
        printf("%s: no store, skipped\n", kind);
        return;
    }
    int64_t t0 = su_now_ms();
    const char *dir = getenv("TMPDIR");
    char effects[512], twin_effects[512];
    snprintf(effects, sizeof effects, "%s/baton-crash-%ld-%s.effects",
             dir ? dir : "/tmp", (long)getpid(), kind);
    snprintf(twin_effects, sizeof twin_effects,
             "%s/baton-crash-%ld-%s-twin.effects", dir ? dir : "/tmp",
             (long)getpid(), kind);
    remove(effects);
    remove(twin_effects);

    baton_host *h = su_open(uri);
    su_deploy(h, "trip-booking-saga.bpmn");
    su_deploy(h, "events-flight-timeout.bpmn");

    /* A fifth at once, the rest in waves over nine tenths of the
     * kills, so that the kills meet work in flight all along. */
    int started = sagas / 5;
    for (int i = 0; i < started; i++)
        start_saga(h, i);
    long killed = 0, exited = 0;
    long wave_end = kills * 9 / 10 > 0 ? kills * 9 / 10 : 1;
    for (long k = 0; k < kills; k++) {
        int want = sagas / 5 + (int)((sagas - sagas / 5) * (k + 1) /
                                     wave_end);
        while (started < sagas && started < want)
            start_saga(h, started++);
        const char *argv[] = {worker_path, uri, effects, "3", LEASE_MS,
                              DELAY_US, "0", "0", NULL};
        pid_t pid = su_spawn(argv);
        su_sleep_ms(5 + rnd((unsigned)(max_ms - 4)));
        kill(pid, SIGKILL);
        int st = su_wait(pid, 0);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
            killed++;
        } else {
            exited++;
            EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                   "%s: a worker ended with status %d before its kill", kind,
                   st);
        }
    }
    while (started < sagas)
        start_saga(h, started++);
    long done_before = su_count_state(h, "COMPLETED");
    int64_t t_kills = su_now_ms();

    /* The rest, as the twin does it: once the killed workers' locks have
     * expired, a worker until nothing is due; then one three hours later,
     * when the timers are due. */
    su_sleep_ms(atoi(LEASE_MS) + 50);
    run_worker(uri, effects, LEASE_MS, "0");
    run_worker(uri, effects, LEASE_MS, THREE_HOURS);
    int64_t t_final = su_now_ms();

    /* The twin: the same sagas, one worker never killed. */
    baton_host *t = su_open(twin_uri);
    su_deploy(t, "trip-booking-saga.bpmn");
    su_deploy(t, "events-flight-timeout.bpmn");
    for (int i = 0; i < sagas; i++)
        start_saga(t, i);
    run_worker(twin_uri, twin_effects, "60000", "0");
    run_worker(twin_uri, twin_effects, "60000", THREE_HOURS);

    size_t n = 0, tn = 0, nc = 0, tnc = 0;
    su_inst *v = su_read_instances(h, 1, &n);
    su_inst *tv = su_read_instances(t, 1, &tn);
    su_call *calls = su_read_calls(effects, &nc);
    su_call *tcalls = su_read_calls(twin_effects, &tnc);
    EXPECT(n == (size_t)sagas, "%s: %zu instances, want %d", kind, n, sagas);
    EXPECT(tn == (size_t)sagas, "%s twin: %zu instances, want %d", kind, tn,
           sagas);

    size_t committed = 0, rerun = 0, happy = 0, compensated = 0,
           confirmed = 0, timed_out = 0;
    for (size_t i = 0; i < n; i++) {
        const su_inst *x = &v[i];
        const su_inst *y = su_by_business_key(tv, tn, x->business_key);
        EXPECT(y, "%s: %s has no twin", kind, x->business_key);
        EXPECT(strcmp(x->state, "COMPLETED") == 0,
               "%s: %s is %s, want COMPLETED", kind, x->business_key,
               x->state);
        EXPECT(x->dup_elements == 0,
               "%s: %s: %zu element instances completed twice", kind,
               x->business_key, x->dup_elements);
        EXPECT(x->dup_jobs == 0, "%s: %s: %zu job results applied twice",
               kind, x->business_key, x->dup_jobs);
        if (y) {
            EXPECT(strcmp(x->state, y->state) == 0,
                   "%s: %s ended %s, its twin %s", kind, x->business_key,
                   x->state, y->state);
            EXPECT(strcmp(x->tasks, y->tasks) == 0,
                   "%s: %s completed [%s], its twin [%s]", kind,
                   x->business_key, x->tasks, y->tasks);
            EXPECT(x->variables && y->variables &&
                       strcmp(x->variables, y->variables) == 0,
                   "%s: %s has variables %s, its twin %s", kind,
                   x->business_key, x->variables, y->variables);
            EXPECT(x->n_jobs == y->n_jobs,
                   "%s: %s committed %zu job results, its twin %zu", kind,
                   x->business_key, x->n_jobs, y->n_jobs);
        }
        if (strcmp(x->tasks, "ReserveCar BookHotel BookFlight") == 0)
            happy++;
        else if (strcmp(x->tasks,
                        "ReserveCar BookHotel CancelHotel CancelCar") == 0)
            compensated++;
        else if (strcmp(x->tasks, "BookFlight ConfirmTrip") == 0)
            confirmed++;
        else if (strcmp(x->tasks, "BookFlight CancelFlight") == 0)
            timed_out++;
        else
            EXPECT(0, "%s: %s completed [%s]", kind, x->business_key,
                   x->tasks);
        /* Every committed result came from a handler call. */
        for (size_t j = 0; j < x->n_jobs; j++) {
            size_t c = 0;
            su_find_calls(calls, nc, x->jobs[j], &c);
            EXPECT(c >= 1, "%s: %s: job %" PRIu64 " committed, never called",
                   kind, x->business_key, x->jobs[j]);
            committed++;
            rerun += c > 1 ? c - 1 : 0;
        }
    }
    /* The twin ran each job once. */
    size_t tjobs = 0;
    for (size_t i = 0; i < tn; i++)
        for (size_t j = 0; j < tv[i].n_jobs; j++) {
            size_t c = 0;
            su_find_calls(tcalls, tnc, tv[i].jobs[j], &c);
            EXPECT(c == 1, "%s twin: job %" PRIu64 " called %zu times", kind,
                   tv[i].jobs[j], c);
            tjobs++;
        }
    EXPECT(tnc == tjobs, "%s twin: %zu calls for %zu jobs", kind, tnc,
           tjobs);
    /* Calls that committed nothing are of jobs whose result was lost
     * with a killed worker: their jobs committed later. */
    size_t orphans = 0;
    for (size_t i = 0; i < nc; i++) {
        int found = 0;
        for (size_t a = 0; a < n && !found; a++)
            for (size_t j = 0; j < v[a].n_jobs && !found; j++)
                found = v[a].jobs[j] == calls[i].job;
        orphans += !found;
    }
    EXPECT(orphans == 0, "%s: %zu calls of jobs that never committed", kind,
           orphans);
    EXPECT(happy + compensated + confirmed + timed_out == (size_t)sagas,
           "%s: the paths add up to %zu", kind,
           happy + compensated + confirmed + timed_out);
    EXPECT(confirmed > 0 && timed_out > 0 && happy > 0 && compensated > 0,
           "%s: every path taken", kind);

    printf("%s: %d sagas (%zu booked, %zu compensated, %zu confirmed, %zu "
           "timed out); %ld workers killed (%ld ended first), %ld sagas "
           "done when the kills ended; %zu job results committed once "
           "each, %zu handler calls, %zu re-run after kills; kills %.1f s, "
           "finish %.1f s, total %.1f s\n",
           kind, sagas, happy, compensated, confirmed, timed_out, killed,
           exited, done_before, committed, nc, rerun,
           (t_kills - t0) / 1000.0, (t_final - t_kills) / 1000.0,
           (su_now_ms() - t0) / 1000.0);
    fflush(stdout);
    free(calls);
    free(tcalls);
    su_free_instances(v, n);
    su_free_instances(tv, tn);
    baton_host_close(h);
    baton_host_close(t);
    if (!su_failures) {
        remove(effects);
        remove(twin_effects);
    }
    su_remove_sqlite(uri);
    su_remove_sqlite(twin_uri);
}

int main(int argc, char **argv)
{
    worker_path = su_worker_arg(argc, argv);
    unsigned long long seed = (unsigned long long)env_long(
        "BATON_CRASH_SEED", (long)time(NULL) ^ (long)getpid());
    rng = seed ? seed : 1;
    long kills = env_long("BATON_CRASH_KILLS", 150);
    int sagas = (int)env_long("BATON_CRASH_SAGAS", 120);
    max_ms = env_long("BATON_CRASH_MAX_MS", 80);
    if (max_ms < 6)
        max_ms = 6;
    printf("crash test: seed %llu (BATON_CRASH_SEED), %ld kills and %d "
           "sagas per store\n", seed, kills, sagas);
    fflush(stdout);
    run_store("sqlite", kills, sagas);
    if (store_have_pg())
        run_store("postgresql", kills, sagas);
    else
        printf("BATON_TEST_PG is not set: PostgreSQL skipped\n");
    if (su_failures)
        printf("%d failures (seed %llu)\n", su_failures, seed);
    return su_failures ? 1 : 0;
}
