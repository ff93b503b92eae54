/* The trip-booking saga benchmark: sagas per second on both paths, parse
 * times, memory and snapshot size of waiting instances, snapshot/restore
 * time. It first checks what each path does (the order of completed
 * tasks), then measures, and prints a table and, on its last line, one
 * JSON object. Timings are reported, never asserted.
 *
 *   bench_saga [--quick] [--duration S] [--instances N] [--cold]
 *              SAGA_MODEL LARGE_MODEL
 *
 * --cold loads the model, runs one compensating saga and exits: the
 * comparison script times that whole process. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baton.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, baton_engine *e)
{
    fprintf(stderr, "bench_saga: %s: %s\n", what,
            e ? baton_engine_errmsg(e) : "");
    exit(1);
}

/* ---- handlers: bound by element id, one variable each ----------- */

typedef struct saga {
    int fail_flight;
    int park_flight; /* defer BookFlight (waiting instances) */
    char order[256]; /* completed tasks, for the check */
} saga;

static saga *current;

static int book(void *ud, baton_job *job)
{
    const char *id = baton_job_element_id(job);
    (void)ud;
    if (current) {
        strncat(current->order, id,
                sizeof current->order - strlen(current->order) - 2);
        strcat(current->order, " ");
    }
    if (!strcmp(id, "BookFlight")) {
        if (current && current->park_flight)
            return baton_job_defer(job);
        if (current && current->fail_flight)
            return baton_job_throw_error(job, "FLIGHT_BOOKING_FAILED",
                                         "no seats");
    }
    /* One variable per task, as the peer's handlers set. */
    char vars[64];
    snprintf(vars, sizeof vars, "{\"%sResult\":\"ok\"}", id);
    return baton_job_complete(job, vars, BATON_NUL);
}

static const char *const task_ids[] = { "ReserveCar", "BookHotel",
                                        "BookFlight", "CancelCar",
                                        "CancelHotel", "CancelFlight" };

static baton_engine *engine_with(const char *xml, size_t len)
{
    baton_engine *e;
    baton_model *m;
    if (baton_engine_new(NULL, NULL, &e))
        die("engine", NULL);
    if (baton_model_load(e, xml, len, "saga", &m))
        die("load", e);
    if (baton_engine_deploy(e, m, NULL, NULL))
        die("deploy", e);
    baton_model_free(m);
    for (size_t i = 0; i < sizeof task_ids / sizeof *task_ids; i++)
        if (baton_engine_register_handler(e, task_ids[i], book, NULL))
            die("register", e);
    return e;
}

static int run_saga(baton_engine *e, saga *s)
{
    baton_instance *in;
    current = s;
    if (baton_instance_create(e, NULL, NULL, 0, &in))
        die("create", e);
    int rc = baton_instance_run(in, 0);
    if (rc != BATON_STEP_ENDED)
        die("run did not end", e);
    baton_instance_free(in);
    current = NULL;
    return rc;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void check(baton_engine *e, int fail, const char *want)
{
    saga s = { fail, 0, "" };
    run_saga(e, &s);
    if (strcmp(s.order, want)) {
        fprintf(stderr, "bench_saga: %s path ran \"%s\", expected \"%s\"\n",
                fail ? "compensating" : "happy", s.order, want);
        exit(1);
    }
}

/* Sagas per second over about `dur` seconds. */
static double throughput(baton_engine *e, int fail, double dur,
                         const char *xml, size_t len)
{
    saga s = { fail, 0, "" };
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 100; i++) {
            s.order[0] = '\0';
            if (e) {
                run_saga(e, &s);
            } else {
                baton_engine *fresh = engine_with(xml, len);
                run_saga(fresh, &s);
                baton_engine_free(fresh);
            }
        }
        n += 100;
        t = now_s() - t0;
    } while (t < dur);
    return (double)n / t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* First parse (microseconds) and the warm median of `reps` more. A model
 * refused (for unsupported elements, or as invalid: the large export's
 * message events name no message) is still read and checked in full
 * (every problem is collected), so its time counts too; `refused` says. */
static void parse_times(baton_engine *e, const char *xml, size_t len,
                        int reps, double *first, double *median,
                        int *refused)
{
    *refused = 0;
    double *t = malloc(sizeof *t * (size_t)reps);
    for (int i = -1; i < reps; i++) {
        baton_model *m = NULL;
        double t0 = now_s();
        int rc = baton_model_load(e, xml, len, "model", &m);
        if (rc == BATON_EUNSUPPORTED || rc == BATON_EMODEL)
            *refused = 1;
        else if (rc)
            die("parse", e);
        double us = (now_s() - t0) * 1e6;
        baton_model_free(m);
        if (i < 0)
            *first = us;
        else
            t[i] = us;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    *median = t[reps / 2];
    free(t);
}

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

int main(int argc, char **argv)
{
    double dur = 3;
    long instances = 100000;
    int cold = 0;
    const char *paths[2] = { NULL, NULL };
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            dur = 0.3;
            instances = 10000;
        } else if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
            dur = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--instances") && i + 1 < argc) {
            instances = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--cold")) {
            cold = 1;
        } else if (np < 2) {
            paths[np++] = argv[i];
        } else {
            fprintf(stderr, "usage: bench_saga [--quick] [--duration S] "
                            "[--instances N] [--cold] SAGA [LARGE]\n");
            return 2;
        }
    }
    if (!paths[0] || (!cold && !paths[1])) {
        fprintf(stderr, "bench_saga: SAGA and LARGE models are needed\n");
        return 2;
    }
    size_t len;
    char *xml = read_all(paths[0], &len);
    if (cold) {
        baton_engine *e = engine_with(xml, len);
        saga s = { 1, 0, "" };
        run_saga(e, &s);
        printf("%s\n", s.order);
        baton_engine_free(e);
        free(xml);
        return 0;
    }

    baton_engine *probe;
    if (baton_engine_new(NULL, NULL, &probe))
        die("engine", NULL);
    double parse_first, parse_med, large_first, large_med;
    size_t large_len;
    char *large = read_all(paths[1], &large_len);
    int refused, large_refused;
    parse_times(probe, xml, len, 200, &parse_first, &parse_med, &refused);
    parse_times(probe, large, large_len, 21, &large_first, &large_med,
                &large_refused);
    if (refused)
        die("the saga model is refused", probe);
    free(large);
    baton_engine_free(probe);

    baton_engine *e = engine_with(xml, len);
    check(e, 0, "ReserveCar BookHotel BookFlight ");
    check(e, 1, "ReserveCar BookHotel BookFlight CancelHotel CancelCar ");

    double happy = throughput(e, 0, dur, NULL, 0);
    double comp = throughput(e, 1, dur, NULL, 0);
    double happy_each = throughput(NULL, 0, dur, xml, len);
    double comp_each = throughput(NULL, 1, dur, xml, len);

    /* Waiting instances: parked at BookFlight with the job deferred. */
    baton_instance **parked = malloc(sizeof *parked * (size_t)instances);
    saga park = { 0, 1, "" };
    long rss0 = rss_bytes();
    for (long i = 0; i < instances; i++) {
        current = &park;
        park.order[0] = '\0';
        if (baton_instance_create(e, NULL, NULL, 0, &parked[i]) ||
            baton_instance_run(parked[i], 0) != BATON_STEP_WAITING)
            die("park", e);
    }
    current = NULL;
    long rss1 = rss_bytes();
    double per_instance = (double)(rss1 - rss0) / (double)instances;

    void *snap;
    size_t snap_len;
    if (baton_instance_snapshot(parked[0], &snap, &snap_len))
        die("snapshot", e);
    baton_free(snap);
    /* Snapshot + restore of a waiting instance, median of many. */
    enum { REPS = 2001 };
    static double t[REPS];
    for (int i = 0; i < REPS; i++) {
        baton_instance *back = NULL;
        double t0 = now_s();
        if (baton_instance_snapshot(parked[i % instances], &snap, &snap_len) ||
            baton_instance_restore(e, snap, snap_len, &back))
            die("snapshot/restore", e);
        t[i] = (now_s() - t0) * 1e6;
        baton_free(snap);
        baton_instance_free(back);
    }
    qsort(t, REPS, sizeof *t, cmp_double);
    double snap_us = t[REPS / 2];
    for (long i = 0; i < instances; i++)
        baton_instance_free(parked[i]);
    free(parked);
    baton_engine_free(e);
    free(xml);

    printf("baton %s on %s\n", baton_version(), paths[0]);
    printf("  happy sagas/s (parsed once)        %12.0f\n", happy);
    printf("  compensating sagas/s (parsed once) %12.0f\n", comp);
    printf("  happy sagas/s (parse each)         %12.0f\n", happy_each);
    printf("  compensating sagas/s (parse each)  %12.0f\n", comp_each);
    printf("  parse us (warm median / first)     %12.1f %10.1f\n", parse_med,
           parse_first);
    printf("  parse large us (warm / first)      %12.1f %10.1f%s\n", large_med,
           large_first,
           large_refused ? "  (read in full, refused: unsupported elements)"
                         : "");
    printf("  bytes per waiting instance         %12.0f  (%ld instances)\n",
           per_instance, instances);
    printf("  snapshot bytes (waiting)           %12zu\n", snap_len);
    printf("  snapshot+restore us (median)       %12.2f\n", snap_us);
    printf("{\"happy_sagas_per_s\": %.0f, \"compensating_sagas_per_s\": %.0f, "
           "\"happy_sagas_per_s_parse_each\": %.0f, "
           "\"compensating_sagas_per_s_parse_each\": %.0f, "
           "\"parse_us\": %.1f, \"parse_first_us\": %.1f, "
           "\"parse_large_us\": %.1f, \"parse_large_first_us\": %.1f, "
           "\"bytes_per_waiting_instance\": %.0f, \"snapshot_bytes\": %zu, "
           "\"snapshot_restore_us\": %.2f, \"cold_start_ms\": null}\n",
           happy, comp, happy_each, comp_each, parse_med, parse_first,
           large_med, large_first, per_instance, snap_len, snap_us);
    return 0;
}
