/* How step costs grow with the size of an instance. Each shape is run at
 * N, 2N, 4N... and the time per unit of work is compared between
 * successive sizes: a ratio near 1.0 means the work is linear overall
 * (each step costs what it touches), near 2.0 quadratic (each step pays
 * for the whole instance).
 *
 *  fork-join  a parallel gateway forks N service tasks that meet at a
 *             parallel join. The instance runs until N jobs wait (no
 *             handler is registered), then the host completes them by
 *             key one by one, each followed by a run.
 *  terminate  a subprocess holds N parallel service tasks; one job throws
 *             a BPMN error that a boundary event on the subprocess
 *             catches, which terminates the N-1 others (and the task
 *             that threw): time per terminated task.
 *  join       N branches of plain tasks leave a parallel fork and meet at
 *             one parallel join, all in one run: time per branch, for N
 *             = 1,000, 10,000 and 100,000 (100 and 1,000 with --quick; a
 *             ratio near 10 there would be quadratic).
 *  inclusive  the same with an inclusive fork (no conditions: every
 *             branch is taken) and an inclusive join, which looks for
 *             tokens that can still reach it whenever a branch arrives.
 *  multi-instance
 *             a plain task, multi-instance over a list of N numbers
 *             (parallel, then sequential): time per item at the same
 *             sizes as the joins; and parallel with an output
 *             collection. Then a service task, parallel
 *             multi-instance over N items: the snapshot of the instance
 *             with N jobs waiting, and with half of them completed, in
 *             bytes per job still waiting.
 *
 * It checks what each run does (jobs waiting, elements terminated, the
 * instance completed) and exits 1 when that is wrong; timings are only
 * printed, never judged. A table, then one JSON object on the last line.
 *
 *   bench_scale [--quick] [--max N] [--budget S]
 *
 * N goes 1000, 2000, ... up to --max (16000); --quick runs 250 to 1000.
 * A size whose fork-join run would take more than --budget seconds (120)
 * by the growth seen so far is skipped, and the table says so.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(baton_engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_scale: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s%s\n", e ? ": " : "", e ? baton_engine_errmsg(e) : "");
    exit(1);
}

/* ---- generated models ------------------------------------------- */

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void add(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (w < 0)
            die(NULL, "formatting the model");
        if ((size_t)w < t->cap - t->n) {
            t->n += (size_t)w;
            return;
        }
        t->cap = t->cap * 2 + (size_t)w + 1;
        if (!(t->p = realloc(t->p, t->cap)))
            die(NULL, "out of memory");
    }
}

static const char head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"defs\" "
    "targetNamespace=\"http://example.com/bench\">\n";

static void task(text *t, const char *id, size_t i, const char *type)
{
    add(t,
        "<serviceTask id=\"%s%zu\"><extensionElements>"
        "<zeebe:taskDefinition type=\"%s\"/></extensionElements>"
        "</serviceTask>\n",
        id, i, type);
}

/* start -> fork -> t0..tN-1 -> join -> end */
static text fork_join_model(size_t n)
{
    text t = { NULL, 0, 0 };
    add(&t, "%s<process id=\"fj\" isExecutable=\"true\">\n", head);
    add(&t, "<startEvent id=\"start\"/>\n"
            "<sequenceFlow id=\"f_start\" sourceRef=\"start\" "
            "targetRef=\"fork\"/>\n"
            "<parallelGateway id=\"fork\"/>\n"
            "<parallelGateway id=\"join\"/>\n"
            "<sequenceFlow id=\"f_end\" sourceRef=\"join\" "
            "targetRef=\"end\"/>\n"
            "<endEvent id=\"end\"/>\n");
    for (size_t i = 0; i < n; i++) {
        task(&t, "t", i, "work");
        add(&t,
            "<sequenceFlow id=\"in%zu\" sourceRef=\"fork\" targetRef=\"t%zu\"/>\n"
            "<sequenceFlow id=\"out%zu\" sourceRef=\"t%zu\" "
            "targetRef=\"join\"/>\n",
            i, i, i, i);
    }
    add(&t, "</process>\n</definitions>\n");
    return t;
}

/* start -> fork -> plain tasks p0..pN-1 -> join -> end, both gateways
 * of kind `gw` (parallelGateway, inclusiveGateway): no job, so every
 * token reaches the join within one run. */
static text join_model(size_t n, const char *gw)
{
    text t = { NULL, 0, 0 };
    add(&t, "%s<process id=\"jn\" isExecutable=\"true\">\n", head);
    add(&t, "<startEvent id=\"start\"/>\n"
            "<sequenceFlow id=\"f_start\" sourceRef=\"start\" "
            "targetRef=\"fork\"/>\n"
            "<%s id=\"fork\"/>\n"
            "<%s id=\"join\"/>\n"
            "<sequenceFlow id=\"f_end\" sourceRef=\"join\" "
            "targetRef=\"end\"/>\n"
            "<endEvent id=\"end\"/>\n",
        gw, gw);
    for (size_t i = 0; i < n; i++)
        add(&t,
            "<task id=\"p%zu\"/>\n"
            "<sequenceFlow id=\"in%zu\" sourceRef=\"fork\" targetRef=\"p%zu\"/>\n"
            "<sequenceFlow id=\"out%zu\" sourceRef=\"p%zu\" "
            "targetRef=\"join\"/>\n",
            i, i, i, i, i);
    add(&t, "</process>\n</definitions>\n");
    return t;
}

/* start -> sub { fork -> t0..tN-2, boom } -> normal; error boundary on sub
 * -> handled. */
static text terminate_model(size_t n)
{
    text t = { NULL, 0, 0 };
    add(&t, "%s<error id=\"err\" errorCode=\"BOOM\"/>\n"
            "<process id=\"term\" isExecutable=\"true\">\n"
            "<startEvent id=\"start\"/>\n"
            "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"sub\"/>\n"
            "<subProcess id=\"sub\">\n"
            "<startEvent id=\"sub_start\"/>\n"
            "<sequenceFlow id=\"s0\" sourceRef=\"sub_start\" "
            "targetRef=\"fork\"/>\n"
            "<parallelGateway id=\"fork\"/>\n",
        head);
    for (size_t i = 0; i + 1 < n; i++) {
        task(&t, "t", i, "work");
        add(&t,
            "<sequenceFlow id=\"in%zu\" sourceRef=\"fork\" "
            "targetRef=\"t%zu\"/>\n",
            i, i);
    }
    task(&t, "boom", 0, "boom");
    add(&t, "<sequenceFlow id=\"in_boom\" sourceRef=\"fork\" "
            "targetRef=\"boom0\"/>\n"
            "</subProcess>\n"
            "<boundaryEvent id=\"caught\" attachedToRef=\"sub\">"
            "<errorEventDefinition errorRef=\"err\"/></boundaryEvent>\n"
            "<sequenceFlow id=\"f2\" sourceRef=\"caught\" "
            "targetRef=\"handled\"/>\n"
            "<endEvent id=\"handled\"/>\n"
            "<sequenceFlow id=\"f3\" sourceRef=\"sub\" "
            "targetRef=\"normal\"/>\n"
            "<endEvent id=\"normal\"/>\n"
            "</process>\n</definitions>\n");
    return t;
}

/* ---- runs --------------------------------------------------------- */

typedef struct counts {
    size_t terminated; /* ELEMENT_TERMINATED of service tasks */
    size_t records;    /* of the measured phase */
} counts;

static void count_records(void *ud, baton_instance *in,
                          const baton_record *rec)
{
    counts *c = ud;
    (void)in;
    c->records++;
    if (baton_record_value_type(rec) == BATON_VT_PROCESS_INSTANCE &&
        baton_record_intent(rec) == BATON_INTENT_ELEMENT_TERMINATED &&
        !strcmp(baton_record_element_type(rec), "SERVICE_TASK"))
        c->terminated++;
}

/* An engine with `model` deployed, room for every step of an instance of
 * size `n` (N activations and N completions and more), and its records
 * counted in `c`. */
static baton_engine *engine_for(const text *model, size_t n, counts *c,
                                double *load_s)
{
    baton_engine *e;
    baton_model *m;
    if (baton_engine_new(NULL, NULL, &e))
        die(NULL, "engine");
    double t0 = now_s();
    if (baton_model_load(e, model->p, model->n, "generated", &m))
        die(e, "load");
    *load_s = now_s() - t0;
    if (baton_engine_deploy(e, m, NULL, NULL))
        die(e, "deploy");
    baton_model_free(m);
    baton_engine_set_limit(e, BATON_LIMIT_STEPS, (int64_t)(8 * n + 100));
    baton_engine_set_record_sink(e, count_records, c);
    return e;
}

/* The keys of the waiting jobs, oldest first. baton_instance_job() finds
 * the i-th job from the oldest, so listing all of them is timed apart. */
static uint64_t *job_keys(baton_instance *in, size_t n, double *list_s)
{
    uint64_t *keys = malloc(n * sizeof *keys);
    if (!keys)
        die(NULL, "out of memory");
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        baton_job *j = baton_instance_job(in, i);
        if (!j)
            die(NULL, "job %zu of %zu missing", i, n);
        keys[i] = baton_job_key(j);
    }
    *list_s = now_s() - t0;
    return keys;
}

typedef struct row {
    size_t n;
    double load_s, fork_s, list_s, work_s, snap_s;
    size_t snap_bytes;
    double per_fork_us, per_unit_us, ratio, fork_ratio;
    size_t records;
} row;

/* Short phases are timed REPEAT times and the fastest is kept. */
#define REPEAT 5

/* Creates the instance and runs it until it waits with `n` jobs. */
static baton_instance *fork_n(baton_engine *e, size_t n, row *r)
{
    baton_instance *in = NULL;
    r->fork_s = 1e9;
    for (int k = 0; k < REPEAT; k++) {
        baton_instance_free(in);
        double t0 = now_s();
        if (baton_instance_create(e, NULL, NULL, 0, &in))
            die(e, "create");
        int rc = baton_instance_run(in, 0);
        double t = now_s() - t0;
        if (t < r->fork_s)
            r->fork_s = t;
        if (rc != BATON_STEP_WAITING)
            die(e, "fork of %zu: run gave %d", n, rc);
        if (baton_instance_job_count(in) != n)
            die(NULL, "fork of %zu: %zu jobs wait", n,
                baton_instance_job_count(in));
    }
    r->per_fork_us = r->fork_s / (double)n * 1e6;
    /* The snapshot of the whole waiting instance, for scale. */
    void *snap;
    size_t size;
    double t0 = now_s();
    if (baton_instance_snapshot(in, &snap, &size))
        die(e, "snapshot");
    baton_instance *back;
    if (baton_instance_restore(e, snap, size, &back))
        die(e, "restore");
    r->snap_s = now_s() - t0;
    r->snap_bytes = size;
    baton_instance_free(back);
    baton_free(snap);
    return in;
}

static row run_fork_join(size_t n)
{
    row r;
    memset(&r, 0, sizeof r);
    r.n = n;
    text model = fork_join_model(n);
    counts c = { 0, 0 };
    baton_engine *e = engine_for(&model, n, &c, &r.load_s);
    free(model.p);
    baton_instance *in = fork_n(e, n, &r);
    c.records = 0;
    uint64_t *keys = job_keys(in, n, &r.list_s);
    double t0 = now_s();
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (baton_instance_complete_job(in, keys[i], NULL, 0))
            die(e, "complete job %zu", i);
        rc = baton_instance_run(in, 0);
        if (rc < 0)
            die(e, "run after job %zu", i);
    }
    r.work_s = now_s() - t0;
    if (rc != BATON_STEP_ENDED ||
        baton_instance_state(in) != BATON_INSTANCE_COMPLETED)
        die(NULL, "fork-join of %zu did not complete (%d)", n, rc);
    r.per_unit_us = r.work_s / (double)n * 1e6;
    r.records = c.records;
    free(keys);
    baton_instance_free(in);
    baton_engine_free(e);
    return r;
}

/* Runs `model` (with variables `vars`, may be NULL) to its end REPEAT
 * times, keeping the fastest run: time per unit of `n`. */
static row run_to_end(text *model, const text *vars, size_t n,
                      const char *what)
{
    row r;
    memset(&r, 0, sizeof r);
    r.n = n;
    counts c = { 0, 0 };
    baton_engine *e = engine_for(model, n, &c, &r.load_s);
    free(model->p);
    r.work_s = 1e9;
    for (int k = 0; k < REPEAT; k++) {
        baton_instance *in;
        if (baton_instance_create(e, NULL, vars ? vars->p : NULL,
                                  vars ? vars->n : 0, &in))
            die(e, "create");
        c.records = 0;
        double t0 = now_s();
        int rc = baton_instance_run(in, 0);
        double t = now_s() - t0;
        if (rc != BATON_STEP_ENDED ||
            baton_instance_state(in) != BATON_INSTANCE_COMPLETED)
            die(e, "%s of %zu did not complete (%d)", what, n, rc);
        if (t < r.work_s)
            r.work_s = t;
        baton_instance_free(in);
    }
    r.per_unit_us = r.work_s / (double)n * 1e6;
    r.records = c.records;
    baton_engine_free(e);
    return r;
}

static row run_join(size_t n, const char *gw)
{
    text model = join_model(n, gw);
    return run_to_end(&model, NULL, n, "join");
}

/* start -> a plain task, multi-instance over `items` -> end; `job`: a
 * service task instead; `output`: each item collected into `out`. */
static text mi_model(int sequential, int job, int output)
{
    text t = { NULL, 0, 0 };
    add(&t, "%s<process id=\"mi\" isExecutable=\"true\">\n", head);
    add(&t,
        "<startEvent id=\"start\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"each\"/>\n"
        "<%s id=\"each\">%s"
        "<multiInstanceLoopCharacteristics isSequential=\"%s\">"
        "<extensionElements><zeebe:loopCharacteristics "
        "inputCollection=\"=items\" inputElement=\"item\"%s/>"
        "</extensionElements></multiInstanceLoopCharacteristics></%s>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"each\" targetRef=\"end\"/>\n"
        "<endEvent id=\"end\"/>\n</process>\n</definitions>\n",
        job ? "serviceTask" : "task",
        job ? "<extensionElements><zeebe:taskDefinition type=\"work\"/>"
              "</extensionElements>"
            : "",
        sequential ? "true" : "false",
        output ? " outputCollection=\"out\" outputElement=\"=item\"" : "",
        job ? "serviceTask" : "task");
    return t;
}

/* {"items": [0, 1, ..., n-1]} */
static text items_vars(size_t n)
{
    text v = { NULL, 0, 0 };
    add(&v, "{\"items\": [");
    for (size_t i = 0; i < n; i++)
        add(&v, "%s%zu", i ? "," : "", i);
    add(&v, "]}");
    return v;
}

static row run_mi(size_t n, int sequential, int output)
{
    text model = mi_model(sequential, 0, output), vars = items_vars(n);
    row r = run_to_end(&model, &vars, n, "multi-instance");
    free(vars.p);
    return r;
}

static size_t snapshot_size(baton_engine *e, baton_instance *in)
{
    void *snap;
    size_t size;
    if (baton_instance_snapshot(in, &snap, &size))
        die(e, "snapshot");
    baton_free(snap);
    return size;
}

/* A parallel multi-instance service task over n items: the snapshot
 * with n jobs waiting and with n/2 of them completed, per waiting job. */
static void mi_snapshots(size_t n, double *all, double *half)
{
    text model = mi_model(0, 1, 0), vars = items_vars(n);
    counts c = { 0, 0 };
    double load;
    baton_engine *e = engine_for(&model, n, &c, &load);
    free(model.p);
    baton_instance *in;
    if (baton_instance_create(e, NULL, vars.p, vars.n, &in) ||
        baton_instance_run(in, 0) != BATON_STEP_WAITING ||
        baton_instance_job_count(in) != n)
        die(e, "multi-instance of %zu jobs did not wait", n);
    *all = (double)snapshot_size(e, in) / (double)n;
    uint64_t *keys = job_keys(in, n, &load);
    for (size_t i = 0; i < n / 2; i++)
        if (baton_instance_complete_job(in, keys[i], NULL, 0) ||
            baton_instance_run(in, 0) != BATON_STEP_WAITING)
            die(e, "completing job %zu", i);
    *half = (double)snapshot_size(e, in) / (double)(n - n / 2);
    free(keys);
    free(vars.p);
    baton_instance_free(in);
    baton_engine_free(e);
}

static row terminate_once(const text *model, size_t n)
{
    row r;
    memset(&r, 0, sizeof r);
    r.n = n;
    counts c = { 0, 0 };
    baton_engine *e = engine_for(model, n, &c, &r.load_s);
    baton_instance *in = fork_n(e, n, &r);
    r.list_s = -1; /* not listed */
    /* The thrower is the newest job: find it from the end. */
    uint64_t boom = 0;
    for (size_t i = n; i-- > 0 && !boom;) {
        baton_job *j = baton_instance_job(in, i);
        if (!strcmp(baton_job_type(j), "boom"))
            boom = baton_job_key(j);
    }
    if (!boom)
        die(NULL, "no job of type boom");
    c.terminated = c.records = 0;
    double t0 = now_s();
    if (baton_instance_throw_job_error(in, boom, "BOOM", "bench"))
        die(e, "throw");
    int rc = baton_instance_run(in, 0);
    r.work_s = now_s() - t0;
    if (rc != BATON_STEP_ENDED ||
        baton_instance_state(in) != BATON_INSTANCE_COMPLETED)
        die(e, "terminate of %zu did not complete (%d)", n, rc);
    /* The N-1 siblings and the thrower itself, as Zeebe terminates the
     * task whose job threw. */
    if (c.terminated != n)
        die(NULL, "terminate of %zu: %zu service tasks terminated, want %zu",
            n, c.terminated, n);
    r.per_unit_us = r.work_s / (double)n * 1e6;
    r.records = c.records;
    baton_instance_free(in);
    baton_engine_free(e);
    return r;
}

static row run_terminate(size_t n)
{
    row r, best;
    memset(&best, 0, sizeof best);
    text model = terminate_model(n);
    for (int k = 0; k < REPEAT; k++) {
        r = terminate_once(&model, n);
        if (!k || r.work_s < best.work_s)
            best = r;
    }
    free(model.p);
    return best;
}

/* ---- output ------------------------------------------------------- */

static void ratios(row *rows, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        rows[i].ratio = i ? rows[i].per_unit_us / rows[i - 1].per_unit_us : 0;
        rows[i].fork_ratio = i && rows[i - 1].per_fork_us > 0
                                 ? rows[i].per_fork_us / rows[i - 1].per_fork_us
                                 : 0;
    }
}

static void print_table(const char *title, const char *unit, row *rows,
                        size_t k)
{
    printf("\n%s\n", title);
    printf("%7s %8s %9s %7s %9s %10s %9s %7s %11s %9s %9s\n", "N", "load s",
           "fork s", "us/task", "ratio", "list s", "work s", unit, "ratio",
           "snap KiB", "snap s");
    for (size_t i = 0; i < k; i++) {
        const row *r = &rows[i];
        char fr[16] = "-", wr[16] = "-", ls[16] = "-";
        if (r->list_s >= 0)
            snprintf(ls, sizeof ls, "%.4f", r->list_s);
        if (i) {
            snprintf(fr, sizeof fr, "%.2f", r->fork_ratio);
            snprintf(wr, sizeof wr, "%.2f", r->ratio);
        }
        printf("%7zu %8.3f %9.4f %7.2f %9s %10s %9.4f %7.2f %11s %9.0f "
               "%9.4f\n",
               r->n, r->load_s, r->fork_s, r->per_fork_us, fr, ls,
               r->work_s, r->per_unit_us, wr, (double)r->snap_bytes / 1024.0,
               r->snap_s);
    }
}

static void print_json_rows(const char *name, const row *rows, size_t k,
                            int last)
{
    printf("\"%s\": [", name);
    for (size_t i = 0; i < k; i++) {
        const row *r = &rows[i];
        char ls[32] = "null";
        if (r->list_s >= 0)
            snprintf(ls, sizeof ls, "%.6f", r->list_s);
        printf("%s{\"n\": %zu, \"load_s\": %.6f, \"fork_s\": %.6f, "
               "\"fork_us_per_task\": %.3f, \"list_s\": %s, "
               "\"work_s\": %.6f, \"us_per_unit\": %.3f, \"ratio\": %.3f, "
               "\"fork_ratio\": %.3f, \"snapshot_bytes\": %zu, "
               "\"snapshot_restore_s\": %.6f, \"records\": %zu}",
               i ? ", " : "", r->n, r->load_s, r->fork_s, r->per_fork_us,
               ls, r->work_s, r->per_unit_us, r->ratio, r->fork_ratio,
               r->snap_bytes, r->snap_s, r->records);
    }
    printf("]%s", last ? "" : ", ");
}

int main(int argc, char **argv)
{
    size_t max = 16000, first = 1000;
    double budget = 120;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            first = 250;
            max = 1000;
        } else if (!strcmp(argv[i], "--max") && i + 1 < argc) {
            max = (size_t)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--budget") && i + 1 < argc) {
            budget = strtod(argv[++i], NULL);
        } else {
            fprintf(stderr, "usage: bench_scale [--quick] [--max N] "
                            "[--budget S]\n");
            return 2;
        }
    }
    row fj[16], te[16];
    size_t k = 0, skipped = 0;
    double predicted = 0;
    for (size_t n = first; n <= max && k < 16; n *= 2, k++) {
        if (k) {
            /* The next size's time by the last growth of time per job. */
            double growth = k > 1 ? fj[k - 1].per_unit_us /
                                        fj[k - 2].per_unit_us
                                  : 2.0;
            predicted = fj[k - 1].work_s * 2 * (growth > 1 ? growth : 1);
            if (predicted > budget) {
                skipped = n;
                break;
            }
        }
        fj[k] = run_fork_join(n);
        te[k] = run_terminate(n);
    }
    ratios(fj, k);
    ratios(te, k);
    printf("baton %s: time per unit of work as an instance grows (ratio: "
           "per-unit time against the previous N; 1.0 linear, 2.0 "
           "quadratic)\n",
           baton_version());
    print_table("fork-join: fork N tasks, then complete each job by key + "
                "run",
                "us/job", fj, k);
    print_table("terminate: an error caught on the subprocess ends N-1 "
                "sibling tasks",
                "us/term", te, k);
    row jn[3], ij[3];
    size_t kj = 0;
    for (size_t n = first < 1000 ? 100u : 1000u;
         n <= (first < 1000 ? 1000u : 100000u) && kj < 3; n *= 10, kj++) {
        jn[kj] = run_join(n, "parallelGateway");
        ij[kj] = run_join(n, "inclusiveGateway");
    }
    ratios(jn, kj);
    ratios(ij, kj);
    print_table("join: N branches meet at one parallel join in one run "
                "(ratio against N/10: 1.0 linear, 10 quadratic)",
                "us/branch", jn, kj);
    print_table("inclusive: the same through an inclusive fork and join",
                "us/branch", ij, kj);
    row mp[3], ms[3], mo[3];
    double snap_all[3], snap_half[3];
    size_t ko = 0;
    for (size_t i = 0; i < kj; i++) {
        mp[i] = run_mi(jn[i].n, 0, 0);
        ms[i] = run_mi(jn[i].n, 1, 0);
        mi_snapshots(jn[i].n, &snap_all[i], &snap_half[i]);
    }
    /* With an output collection: each inner instance's completion sets
     * its item of the collection. */
    for (size_t i = 0; i < kj; i++)
        mo[ko++] = run_mi(jn[i].n, 0, 1);
    ratios(mp, kj);
    ratios(ms, kj);
    ratios(mo, ko);
    print_table("multi-instance: a parallel multi-instance task over N "
                "items",
                "us/item", mp, kj);
    print_table("multi-instance: the same, sequential", "us/item", ms, kj);
    print_table("multi-instance: parallel, each item into an output "
                "collection",
                "us/item", mo, ko);
    printf("\nmulti-instance service task, snapshot bytes per waiting job: "
           "N jobs waiting / N/2 completed\n");
    for (size_t i = 0; i < kj; i++)
        printf("  %7zu  %6.1f / %6.1f\n", jn[i].n, snap_all[i],
               snap_half[i]);
    printf("\n(list s: reading the N waiting jobs' keys with "
           "baton_instance_job(in, i), i = 0..N-1)\n");
    if (skipped)
        printf("N = %zu and above skipped: completing the jobs would take "
               "about %.0f s (--budget %.0f)\n",
               skipped, predicted, budget);
    printf("{\"bench\": \"scale\", \"version\": \"%s\", ", baton_version());
    print_json_rows("fork_join", fj, k, 0);
    print_json_rows("terminate", te, k, 0);
    print_json_rows("join", jn, kj, 0);
    print_json_rows("inclusive_join", ij, kj, 0);
    print_json_rows("multi_instance_parallel", mp, kj, 0);
    print_json_rows("multi_instance_sequential", ms, kj, 0);
    print_json_rows("multi_instance_output", mo, ko, 0);
    printf("\"skipped_from\": %zu}\n", skipped);
    return 0;
}
