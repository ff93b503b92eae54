/*
 * saga_util.c - worker processes, effects files and instances read back,
 * for the durable host's reliability tests.
 */
#define _POSIX_C_SOURCE 200809L
#include "saga_util.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "store_util.h"

int su_failures;

int64_t su_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void su_sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

pid_t su_spawn(const char *const *argv)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

int su_wait(pid_t pid, int64_t deadline_ms)
{
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, deadline_ms ? WNOHANG : 0);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            return -1;
        }
        if (deadline_ms && su_now_ms() > deadline_ms)
            return -1;
        if (deadline_ms)
            su_sleep_ms(10);
    }
}

int su_wait_or_kill(pid_t pid, int64_t deadline_ms)
{
    int st = su_wait(pid, deadline_ms);
    if (st == -1) {
        kill(pid, SIGKILL);
        su_wait(pid, 0);
    }
    return st;
}

void su_remove_sqlite(const char *uri)
{
    if (strncmp(uri, "sqlite:", 7) != 0)
        return;
    char p[600];
    remove(uri + 7);
    snprintf(p, sizeof p, "%s-wal", uri + 7);
    remove(p);
    snprintf(p, sizeof p, "%s-shm", uri + 7);
    remove(p);
}

const char *su_worker_arg(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SAGA_WORKER\n", argv[0]);
        exit(2);
    }
    return argv[1];
}

baton_host *su_open(const char *uri)
{
    baton_host *h = NULL;
    if (baton_host_open(uri, &h) != BATON_OK) {
        fprintf(stderr, "open %s: %s\n", uri, baton_host_errmsg(h));
        exit(1);
    }
    return h;
}

void su_deploy(baton_host *h, const char *file)
{
    const char *models = getenv("BATON_MODELS");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", models ? models : "tests/models",
             file);
    char *xml = store_read_file(path, NULL);
    if (!xml) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    if (baton_host_deploy(h, xml, BATON_NUL, file, NULL) != BATON_OK) {
        fprintf(stderr, "deploy %s: %s\n", file, baton_host_errmsg(h));
        exit(1);
    }
    free(xml);
}

/* ---- Effects ----------------------------------------------------------- */

static int call_cmp(const void *a, const void *b)
{
    const su_call *x = a, *y = b;
    if (x->job != y->job)
        return x->job < y->job ? -1 : 1;
    return x->start_us < y->start_us ? -1 : x->start_us > y->start_us;
}

su_call *su_read_calls(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return calloc(1, sizeof(su_call));
    size_t cap = 1024;
    su_call *v = malloc(cap * sizeof *v);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        su_call c;
        unsigned long long job;
        long long s, e;
        if (sscanf(line, "%llu %31s %ld %lld %lld", &job, c.type, &c.pid,
                   &s, &e) != 5) {
            EXPECT(0, "%s: a damaged line: %s", path, line);
            continue;
        }
        c.job = job;
        c.start_us = s;
        c.end_us = e;
        if (*n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[(*n)++] = c;
    }
    fclose(f);
    qsort(v, *n, sizeof *v, call_cmp);
    return v;
}

size_t su_find_calls(const su_call *calls, size_t n, uint64_t job,
                     size_t *count)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (calls[mid].job < job)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t k = lo;
    while (k < n && calls[k].job == job)
        k++;
    *count = k - lo;
    return lo;
}

/* ---- Instances --------------------------------------------------------- */

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t count_dups(uint64_t *v, size_t n)
{
    uint64_t *c = malloc((n ? n : 1) * sizeof *c);
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, u64_cmp);
    size_t d = 0;
    for (size_t i = 1; i < n; i++)
        d += c[i] == c[i - 1];
    free(c);
    return d;
}

static void read_one(baton_host *h, su_inst *x, int history)
{
    char *out = NULL;
    int rc = baton_host_instance(h, x->key, history, &out);
    if (rc) {
        EXPECT(0, "instance %" PRIu64 ": %s", x->key, baton_host_errmsg(h));
        return;
    }
    json_t *doc = json_loads(out, 0, NULL);
    baton_host_free(out);
    json_t *vars = json_object_get(doc, "variables");
    x->variables = json_dumps(vars ? vars : json_null(),
                              JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    const char *err = json_string_value(json_object_get(doc, "error"));
    x->error = err ? strdup(err) : NULL;
    if (!history) {
        json_decref(doc);
        return;
    }
    json_t *hist = json_object_get(doc, "history");
    size_t n = json_array_size(hist);
    uint64_t *elements = malloc((n ? n : 1) * sizeof *elements);
    size_t n_el = 0;
    x->jobs = malloc((n ? n : 1) * sizeof *x->jobs);
    size_t i;
    json_t *e;
    json_array_foreach(hist, i, e) {
        json_t *rec = json_object_get(e, "record");
        json_t *value = json_object_get(rec, "value");
        const char *vt = json_string_value(json_object_get(rec, "valueType"));
        const char *intent =
            json_string_value(json_object_get(rec, "intent"));
        uint64_t key = (uint64_t)json_integer_value(json_object_get(rec,
                                                                    "key"));
        if (!vt || !intent)
            continue;
        if (strcmp(vt, "PROCESS_INSTANCE") == 0 &&
            strcmp(intent, "ELEMENT_COMPLETED") == 0) {
            elements[n_el++] = key;
            const char *type = json_string_value(
                json_object_get(value, "bpmnElementType"));
            if (type && strcmp(type, "SERVICE_TASK") == 0) {
                size_t l = strlen(x->tasks);
                snprintf(x->tasks + l, sizeof x->tasks - l, "%s%s",
                         l ? " " : "",
                         json_string_value(json_object_get(value,
                                                           "elementId")));
            }
        } else if (strcmp(vt, "JOB") == 0 &&
                   (strcmp(intent, "COMPLETED") == 0 ||
                    strcmp(intent, "ERROR_THROWN") == 0)) {
            x->jobs[x->n_jobs++] = key;
        }
    }
    x->dup_elements = count_dups(elements, n_el);
    x->dup_jobs = count_dups(x->jobs, x->n_jobs);
    free(elements);
    json_decref(doc);
}

su_inst *su_read_instances(baton_host *h, int history, size_t *n)
{
    size_t cap = 256;
    su_inst *v = calloc(cap, sizeof *v);
    *n = 0;
    uint64_t before = 0;
    for (;;) {
        char *out = NULL;
        int rc = baton_host_instances(h, NULL, NULL, before, 100, &out);
        if (rc) {
            EXPECT(0, "instances: %s", baton_host_errmsg(h));
            break;
        }
        json_t *list = json_loads(out, 0, NULL);
        baton_host_free(out);
        size_t m = json_array_size(list);
        for (size_t i = 0; i < m; i++) {
            json_t *o = json_array_get(list, i);
            if (*n == cap) {
                v = realloc(v, (cap *= 2) * sizeof *v);
                memset(v + *n, 0, (cap - *n) * sizeof *v);
            }
            su_inst *x = &v[(*n)++];
            x->key = (uint64_t)json_integer_value(json_object_get(o, "key"));
            const char *s = json_string_value(json_object_get(o, "state"));
            snprintf(x->state, sizeof x->state, "%s", s ? s : "?");
            s = json_string_value(json_object_get(o, "businessKey"));
            snprintf(x->business_key, sizeof x->business_key, "%s",
                     s ? s : "");
            s = json_string_value(json_object_get(o, "processId"));
            snprintf(x->process_id, sizeof x->process_id, "%s", s ? s : "");
            before = x->key;
        }
        json_decref(list);
        if (m < 100)
            break;
    }
    for (size_t i = 0; i < *n; i++)
        read_one(h, &v[i], history);
    return v;
}

void su_free_instances(su_inst *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].variables);
        free(v[i].error);
        free(v[i].jobs);
    }
    free(v);
}

const su_inst *su_by_business_key(const su_inst *v, size_t n, const char *bk)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].business_key, bk) == 0)
            return &v[i];
    return NULL;
}

static long count_states(baton_host *h, const char *state)
{
    char *out = NULL;
    if (baton_host_deployments(h, &out) != BATON_OK)
        return -1;
    json_t *deps = json_loads(out, 0, NULL);
    baton_host_free(out);
    long total = 0;
    size_t i;
    json_t *d;
    json_array_foreach(deps, i, d) {
        json_t *counts = json_object_get(d, "instances");
        if (state) {
            total += (long)json_integer_value(json_object_get(counts, state));
        } else {
            const char *k;
            json_t *c;
            json_object_foreach(counts, k, c)
                total += (long)json_integer_value(c);
        }
    }
    json_decref(deps);
    return total;
}

long su_count_state(baton_host *h, const char *state)
{
    return count_states(h, state);
}

long su_count_all(baton_host *h)
{
    return count_states(h, NULL);
}
