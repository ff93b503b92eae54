/*
 * saga_worker.c - a worker process for the durable host's reliability
 * tests (test_host_crash.c, test_host_concurrency.c): handlers for every
 * job type of the saga models, each logging its call to an append-only
 * effects file, run by baton_host_worker_run() until idle, stopped
 * (SIGTERM) or killed (SIGKILL).
 *
 *   saga_worker URI EFFECTS CONCURRENCY LEASE_MS [DELAY_US [CLOCK_OFFSET_MS
 *               [UNTIL_IDLE]]]
 *
 * Each handler call appends one line (one write(2) on an O_APPEND file):
 *
 *   JOBKEY TYPE PID START_US END_US
 *
 * after the job is settled and before the handler returns, so a job whose
 * result was committed has its line. Results are deterministic (they
 * depend on the job's variables only), so two stores that ran the same
 * sagas hold the same variables. BookFlight throws FLIGHT_BOOKING_FAILED
 * when the variables hold "fail": true.
 *
 * CLOCK_OFFSET_MS moves the host's clock (to fire the PT2H timers of
 * events-flight-timeout.bpmn at once). UNTIL_IDLE (default 1) makes the
 * worker return when nothing is due; 0 keeps it running until SIGTERM.
 * Exits 0 after a clean return, 1 on a worker error (the message on
 * stderr), 2 on bad arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "baton_host.h"

static baton_host *host;
static int effects_fd = -1;
static long delay_us;
static int64_t clock_offset;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t shifted_clock(void *ud)
{
    (void)ud;
    return now_us() / 1000 + clock_offset;
}

static volatile sig_atomic_t terminated;

/* A SIGTERM before the host is open (it may wait for the store's lock)
 * is kept, and the worker is asked to stop as soon as there is one. */
static void on_term(int sig)
{
    (void)sig;
    terminated = 1;
    if (host)
        baton_host_worker_stop(host);
}

static void on_log(void *ud, int level, const char *msg)
{
    (void)ud;
    (void)level;
    if (getenv("SAGA_WORKER_VERBOSE"))
        fprintf(stderr, "saga_worker %ld: %s\n", (long)getpid(), msg);
}

/* The string variable `name` of the job, or `dflt`. */
static const char *var(json_t *vars, const char *name, const char *dflt)
{
    const char *s = json_string_value(json_object_get(vars, name));
    return s ? s : dflt;
}

static void handle(void *ud, baton_host_job *job)
{
    (void)ud;
    int64_t start = now_us();
    const char *type = baton_host_job_type(job);
    json_t *vars = json_loads(baton_host_job_variables(job), 0, NULL);
    if (delay_us > 0) {
        struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    int rc;
    if (strcmp(type, "BookFlight") == 0 &&
        json_is_true(json_object_get(vars, "fail"))) {
        rc = baton_host_job_throw_error(job, "FLIGHT_BOOKING_FAILED",
                                        "no seats", NULL, 0);
    } else {
        /* A result that depends on the input only, e.g.
         * {"ReserveCar": "ReserveCar:T-7"}, and a counter that shows a
         * result applied twice. */
        const char *id = var(vars, "trip", var(vars, "bookingId", "-"));
        json_t *out = json_object();
        char value[256];
        snprintf(value, sizeof value, "%s:%s", type, id);
        json_object_set_new(out, type, json_string(value));
        json_int_t steps = json_integer_value(json_object_get(vars, "steps"));
        json_object_set_new(out, "steps", json_integer(steps + 1));
        char *text = json_dumps(out, JSON_COMPACT);
        json_decref(out);
        rc = text ? baton_host_job_complete(job, text, BATON_NUL)
                  : BATON_ENOMEM;
        free(text);
    }
    json_decref(vars);
    if (rc != BATON_OK) {
        fprintf(stderr, "saga_worker: settling job %" PRIu64 ": %d\n",
                baton_host_job_key(job), rc);
        return;
    }
    char line[256];
    int n = snprintf(line, sizeof line, "%" PRIu64 " %s %ld %lld %lld\n",
                     baton_host_job_key(job), type, (long)getpid(),
                     (long long)start, (long long)now_us());
    if (write(effects_fd, line, (size_t)n) != n)
        fprintf(stderr, "saga_worker: writing the effects file: %s\n",
                strerror(errno));
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s URI EFFECTS CONCURRENCY LEASE_MS "
                "[DELAY_US [CLOCK_OFFSET_MS [UNTIL_IDLE]]]\n", argv[0]);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    const char *uri = argv[1];
    int concurrency = atoi(argv[3]);
    int64_t lease = atoll(argv[4]);
    delay_us = argc > 5 ? atol(argv[5]) : 0;
    clock_offset = argc > 6 ? atoll(argv[6]) : 0;
    int until_idle = argc > 7 ? atoi(argv[7]) : 1;
    effects_fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                      0644);
    if (effects_fd < 0) {
        fprintf(stderr, "saga_worker: %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    int rc = baton_host_open(uri, &host);
    if (rc) {
        fprintf(stderr, "saga_worker: open: %s\n", baton_host_errmsg(host));
        baton_host_close(host);
        return 1;
    }
    baton_host_set_log(host, on_log, NULL);
    if (clock_offset)
        baton_host_set_clock(host, shifted_clock, NULL);
    baton_host_set(host, BATON_HOST_LEASE_MS, lease);
    baton_host_set(host, BATON_HOST_POLL_MS, 20);
    static const char *const types[] = {
        "ReserveCar", "BookHotel", "BookFlight", "CancelCar", "CancelHotel",
        "CancelFlight", "book-flight", "confirm-trip", "cancel-flight",
        "hold-seat", "pay-seat"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        baton_host_register(host, types[i], handle, NULL);
    if (terminated)
        baton_host_worker_stop(host);
    baton_host_worker_options o = {.concurrency = concurrency,
                                   .until_idle = until_idle};
    rc = baton_host_worker_run(host, &o);
    if (rc)
        fprintf(stderr, "saga_worker: worker: %d: %s\n", rc,
                baton_host_errmsg(host));
    baton_host_close(host);
    close(effects_fd);
    return rc ? 1 : 0;
}
