/* baton test [PATH...]: unit tests for BPMN models, written as scenario
 * files (docs/testing.md, docs/baton-test.schema.json).
 *
 * A case starts one instance and applies its steps in order: actions are
 * the events of `baton run --then` (then.c builds and applies them, so
 * both commands settle jobs, move the clock and correlate messages
 * alike), expectations read the instance and the completed elements
 * gathered from the records. No job is settled unless a step says so:
 * a job the case forgets is a failure at the end, not a silent
 * completion. Every case runs twice, the second time through a snapshot
 * and a restore at each stop, and both runs must agree. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, stat */
#include "cli.h"

#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define LAST_RECORDS 8
#define MSG_SIZE 4096

/* Coverage of one process: which of its flow nodes and sequence flows
 * any case reached, by id (baton_model_element_id(), _flow_id()). */
struct cov_proc {
    char *id;
    char **ids;            /* the elements, then the flows */
    unsigned char *hit;
    size_t n_elements, n_flows;
};

struct coverage {
    struct cov_proc *procs;
    size_t n;
    int oom;
};

/* What the record hook gathers during one run of a case. */
struct trace {
    struct coverage *cov;
    char **path; /* element ids completed, in order */
    size_t n_path, cap_path;
    char *last[LAST_RECORDS]; /* the last records' JSON, a ring */
    size_t n_records;
    int oom;
};

/* One run of one case. */
struct run {
    struct trace trace;
    char msg[MSG_SIZE]; /* why it failed; "" when it passed */
    char *result;       /* state, variables and path, to compare runs */
};

static void trace_free(struct trace *t)
{
    size_t i;
    for (i = 0; i < t->n_path; i++)
        free(t->path[i]);
    free(t->path);
    for (i = 0; i < LAST_RECORDS; i++)
        free(t->last[i]);
    memset(t, 0, sizeof *t);
}

static struct cov_proc *cov_find(struct coverage *cov, const char *id)
{
    size_t i;
    for (i = 0; id && i < cov->n; i++)
        if (strcmp(cov->procs[i].id, id) == 0)
            return &cov->procs[i];
    return NULL;
}

/* Marks `id` reached: a flow when `flow`, else an element. */
static void cov_hit(struct coverage *cov, const char *process,
                    const char *id, int flow)
{
    struct cov_proc *p = cov_find(cov, process);
    size_t i, from, to;

    if (!p || !id)
        return;
    from = flow ? p->n_elements : 0;
    to = flow ? p->n_elements + p->n_flows : p->n_elements;
    for (i = from; i < to; i++)
        if (p->ids[i] && strcmp(p->ids[i], id) == 0) {
            p->hit[i] = 1;
            return;
        }
}

/* Adds the executable processes of `m` not counted yet, with the totals
 * of the model. */
static void cov_add_model(struct coverage *cov, const baton_model *m)
{
    size_t k, i;

    for (k = 0; k < baton_model_process_count(m); k++) {
        const char *id = baton_model_process_id(m, k);
        size_t ne = baton_model_element_count(m, k);
        size_t nf = baton_model_flow_count(m, k);
        struct cov_proc *np, *p;
        if (!baton_model_process_executable(m, k) || !id ||
            cov_find(cov, id))
            continue;
        np = realloc(cov->procs, (cov->n + 1) * sizeof *np);
        if (!np) {
            cov->oom = 1;
            return;
        }
        cov->procs = np;
        p = &np[cov->n];
        memset(p, 0, sizeof *p);
        p->id = cli_strdup(id);
        p->ids = calloc(ne + nf + 1, sizeof *p->ids);
        p->hit = calloc(ne + nf + 1, 1);
        if (!p->id || !p->ids || !p->hit) {
            free(p->id);
            free(p->ids);
            free(p->hit);
            cov->oom = 1;
            return;
        }
        p->n_elements = ne;
        p->n_flows = nf;
        for (i = 0; i < ne + nf; i++) {
            const char *s = i < ne ? baton_model_element_id(m, k, i)
                                   : baton_model_flow_id(m, k, i - ne);
            p->ids[i] = s ? cli_strdup(s) : NULL;
        }
        cov->n++;
    }
}

static void cov_free(struct coverage *cov)
{
    size_t i, j;
    for (i = 0; i < cov->n; i++) {
        for (j = 0; j < cov->procs[i].n_elements + cov->procs[i].n_flows;
             j++)
            free(cov->procs[i].ids[j]);
        free(cov->procs[i].ids);
        free(cov->procs[i].hit);
        free(cov->procs[i].id);
    }
    free(cov->procs);
    memset(cov, 0, sizeof *cov);
}

static void on_record(void *ud, baton_instance *instance,
                      const baton_record *rec)
{
    struct trace *t = ud;
    char *json = NULL;
    size_t len = 0;
    char **slot = &t->last[t->n_records % LAST_RECORDS];

    if (t->cov && baton_record_value_type(rec) ==
                      BATON_VT_PROCESS_INSTANCE &&
        (baton_record_intent(rec) == BATON_INTENT_SEQUENCE_FLOW_TAKEN ||
         baton_record_intent(rec) == BATON_INTENT_ELEMENT_ACTIVATED))
        cov_hit(t->cov, baton_instance_process_id(instance),
                baton_record_element_id(rec),
                baton_record_intent(rec) == BATON_INTENT_SEQUENCE_FLOW_TAKEN);
    if (baton_record_to_json(rec, &json, &len) == BATON_OK) {
        free(*slot);
        *slot = cli_strdup(json);
        baton_free(json);
    }
    t->n_records++;
    if (baton_record_value_type(rec) != BATON_VT_PROCESS_INSTANCE ||
        baton_record_intent(rec) != BATON_INTENT_ELEMENT_COMPLETED ||
        strcmp(baton_record_element_type(rec), "PROCESS") == 0)
        return;
    if (t->n_path == t->cap_path) {
        size_t ncap = t->cap_path ? t->cap_path * 2 : 16;
        char **np = realloc(t->path, ncap * sizeof *np);
        if (!np) {
            t->oom = 1;
            return;
        }
        t->path = np;
        t->cap_path = ncap;
    }
    t->path[t->n_path] = cli_strdup(baton_record_element_id(rec));
    if (!t->path[t->n_path])
        t->oom = 1;
    else
        t->n_path++;
}

static void fail(struct run *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void fail(struct run *r, const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(r->msg);

    if (n >= sizeof r->msg - 1)
        return;
    va_start(ap, fmt);
    vsnprintf(r->msg + n, sizeof r->msg - n, fmt, ap);
    va_end(ap);
}

/* "BookHotel (book-hotel), ..." of the waiting jobs, into `buf`. */
static void list_jobs(baton_instance *inst, char *buf, size_t size)
{
    size_t i, n = baton_instance_job_count(inst), used = 0;

    buf[0] = '\0';
    for (i = 0; i < n && used < size; i++) {
        baton_job *j = baton_instance_job(inst, i);
        int w;
        if (!j)
            continue;
        w = snprintf(buf + used, size - used, "%s%s (%s)", used ? ", " : "",
                     baton_job_element_id(j), baton_job_type(j));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

/* Expected and actual path side by side. */
static void fail_path(struct run *r, json_t *want, int exact)
{
    size_t i, n = json_array_size(want);
    size_t rows = n > r->trace.n_path ? n : r->trace.n_path;

    fail(r, "path %s:\n    %-32s %s\n", exact ? "differs" :
         "does not contain the expected elements in order", "expected",
         "actual");
    for (i = 0; i < rows; i++) {
        const char *e = i < n ? json_string_value(json_array_get(want, i))
                              : "";
        const char *a = i < r->trace.n_path ? r->trace.path[i] : "";
        fail(r, "  %c %-32s %s\n",
             exact && (!e || strcmp(e ? e : "", a) != 0) ? '!' : ' ',
             e ? e : "?", a);
    }
}

static int check_path(struct run *r, json_t *step)
{
    json_t *want = json_object_get(step, "path");
    json_t *ex = json_object_get(step, "exact");
    int exact = !ex || json_is_true(ex);
    size_t i, j = 0, n = json_array_size(want);

    if (exact && n != r->trace.n_path)
        goto bad;
    for (i = 0; i < n; i++) {
        const char *e = json_string_value(json_array_get(want, i));
        if (exact) {
            if (!e || strcmp(e, r->trace.path[i]) != 0)
                goto bad;
            continue;
        }
        while (j < r->trace.n_path && strcmp(e ? e : "",
                                             r->trace.path[j]) != 0)
            j++;
        if (j == r->trace.n_path)
            goto bad;
        j++;
    }
    return 0;
bad:
    fail_path(r, want, exact);
    return -1;
}

/* Whether the instance waits at `element`: a job, a timer or a
 * subscription of that element. */
static int waits_at(baton_instance *inst, const char *element)
{
    size_t i, n = baton_instance_job_count(inst);
    for (i = 0; i < n; i++) {
        baton_job *j = baton_instance_job(inst, i);
        if (j && strcmp(baton_job_element_id(j), element) == 0)
            return 1;
    }
    n = baton_instance_subscription_count(inst);
    for (i = 0; i < n; i++)
        if (strcmp(baton_instance_subscription_element_id(inst, i),
                   element) == 0)
            return 1;
    return 0;
}

static int check_state(struct run *r, baton_instance *inst, json_t *step)
{
    const char *want = json_string_value(json_object_get(step, "state"));
    const char *element = json_string_value(json_object_get(step,
                                                            "element"));
    const char *type = json_string_value(json_object_get(step, "incident"));
    int state = baton_instance_state(inst);
    const char *have = cli_state_name(state);
    size_t i, n;

    if (!want || strcmp(want, have) != 0) {
        char jobs[512];
        list_jobs(inst, jobs, sizeof jobs);
        fail(r, "state: expected %s, actual %s (waiting jobs: %s)\n",
             want ? want : "?", have, jobs);
        return -1;
    }
    if (state == BATON_INSTANCE_WAITING && element &&
        !waits_at(inst, element)) {
        char jobs[512];
        list_jobs(inst, jobs, sizeof jobs);
        fail(r, "state: expected to wait at %s; waiting jobs: %s\n",
             element, jobs);
        return -1;
    }
    if (state != BATON_INSTANCE_INCIDENT || (!element && !type))
        return 0;
    n = baton_instance_incident_count(inst);
    for (i = 0; i < n; i++) {
        if (element && strcmp(element,
                              baton_instance_incident_element_id(inst, i)))
            continue;
        if (type && strcmp(type, baton_instance_incident_type(inst, i)))
            continue;
        return 0;
    }
    fail(r, "state: no incident%s%s%s%s\n", type ? " of type " : "",
         type ? type : "", element ? " at " : "", element ? element : "");
    for (i = 0; i < n; i++)
        fail(r, "  open incident: %s at %s: %s\n",
             baton_instance_incident_type(inst, i),
             baton_instance_incident_element_id(inst, i),
             baton_instance_incident_message(inst, i));
    return -1;
}

static int check_variables(struct run *r, baton_instance *inst,
                           json_t *want)
{
    char *text = NULL;
    size_t len = 0;
    json_t *have;
    const char *name;
    json_t *value;
    int bad = 0;

    if (baton_instance_variables(inst, &text, &len) != BATON_OK) {
        fail(r, "variables: cannot read them\n");
        return -1;
    }
    have = json_loadb(text, len, 0, NULL);
    baton_free(text);
    json_object_foreach(want, name, value) {
        json_t *got = json_object_get(have, name);
        if (got && json_equal(got, value))
            continue;
        char *e = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        char *a = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY)
                      : NULL;
        fail(r, "variable %s: expected %s, actual %s\n", name,
             e ? e : "?", a ? a : "(not set)");
        free(e);
        free(a);
        bad = 1;
    }
    json_decref(have);
    return bad ? -1 : 0;
}

/* Runs the instance until it stops; in the second pass it is then
 * snapshotted and restored. Returns 0 or -1 (message in r). */
static int run_until_stop(struct run *r, baton_engine *engine,
                          baton_instance **inst, int restore)
{
    int rc = baton_instance_run(*inst, 0);
    void *snap = NULL;
    size_t size = 0;
    baton_instance *again = NULL;

    if (rc < 0) {
        fail(r, "the instance failed to run: %s (%s)\n", baton_strerror(rc),
             baton_engine_errmsg(engine));
        return -1;
    }
    if (!restore)
        return 0;
    rc = baton_instance_snapshot(*inst, &snap, &size);
    if (rc == BATON_OK)
        rc = baton_instance_restore(engine, snap, size, &again);
    baton_free(snap);
    if (rc != BATON_OK) {
        fail(r, "snapshot and restore failed: %s\n", baton_strerror(rc));
        return -1;
    }
    baton_instance_free(*inst);
    *inst = again;
    return 0;
}

static const char *const ACTIONS[] = {"complete", "fail", "error",
                                      "advance", "publish", "signal",
                                      "cancel"};

/* Builds the then.c action of an action step. Returns 1 when `step` is
 * an action, 0 when it is not, -1 when it is malformed (message in r). */
static int build_action(struct run *r, json_t *step, struct then_action *a,
                        char **json_text, char *what, size_t what_size)
{
    size_t k;
    const char *verb = NULL, *arg = NULL;
    json_t *vars = json_object_get(step, "variables");

    memset(a, 0, sizeof *a);
    for (k = 0; k < sizeof ACTIONS / sizeof ACTIONS[0] && !verb; k++)
        if (json_object_get(step, ACTIONS[k]))
            verb = ACTIONS[k];
    if (!verb)
        return 0;
    arg = json_string_value(json_object_get(step, verb));
    snprintf(what, what_size, "%s %s", verb, arg ? arg : "");
    a->what = what;
    a->spec = what;
    if (strcmp(verb, "cancel") == 0) {
        a->kind = THEN_CANCEL;
        return 1;
    }
    if (!arg) {
        fail(r, "step '%s' needs a string\n", verb);
        return -1;
    }
    if (strcmp(verb, "advance") == 0) {
        char spec[128];
        struct then_action parsed;
        snprintf(spec, sizeof spec, "advance:%s", arg);
        if (strchr(arg, ':') || cli_then_parse(spec, &parsed) != 0) {
            fail(r, "advance '%s': not an ISO 8601 duration\n", arg);
            return -1;
        }
        a->kind = THEN_ADVANCE;
        a->by = parsed.by;
        cli_then_free(&parsed);
        return 1;
    }
    a->name = arg;
    if (vars) {
        *json_text = json_dumps(vars, JSON_COMPACT);
        a->text = *json_text;
    }
    if (strcmp(verb, "complete") == 0) {
        a->kind = THEN_COMPLETE;
    } else if (strcmp(verb, "fail") == 0) {
        a->kind = THEN_FAIL;
        a->text = json_string_value(json_object_get(step, "message"));
    } else if (strcmp(verb, "error") == 0) {
        a->kind = THEN_ERROR;
        a->key = json_string_value(json_object_get(step, "code"));
        a->text = json_string_value(json_object_get(step, "message"));
        if (!a->key) {
            fail(r, "step 'error %s' needs a \"code\"\n", arg);
            return -1;
        }
    } else if (strcmp(verb, "publish") == 0) {
        a->kind = THEN_MESSAGE;
        a->key = json_string_value(json_object_get(step, "correlationKey"));
    } else {
        a->kind = THEN_SIGNAL;
    }
    return 1;
}

/* Applies the steps of one case. Returns 0 or -1 (message in r). */
static int run_steps(struct run *r, json_t *steps, baton_engine *engine,
                     baton_instance **inst, struct cli_clock *clock,
                     int restore)
{
    size_t i;
    json_t *step;
    int last_was_state = 0;

    if (run_until_stop(r, engine, inst, restore) != 0)
        return -1;
    json_array_foreach(steps, i, step) {
        struct then_action a;
        char *json_text = NULL, what[300];
        uint64_t job = 0;
        int kind = build_action(r, step, &a, &json_text, what, sizeof what);

        last_was_state = 0;
        if (kind < 0) {
            free(json_text);
            return -1;
        }
        if (kind > 0) {
            int st = baton_instance_state(*inst);
            if (st == BATON_INSTANCE_COMPLETED ||
                st == BATON_INSTANCE_TERMINATED) {
                fail(r, "step %zu (%s): the instance has already %s\n",
                     i + 1, what, cli_state_name(st));
                free(json_text);
                return -1;
            }
            if (cli_then_apply(&a, engine, *inst, clock, &job) != 0) {
                char jobs[512];
                list_jobs(*inst, jobs, sizeof jobs);
                fail(r, "step %zu (%s) could not apply (see above); "
                     "waiting jobs: %s\n", i + 1, what, jobs);
                free(json_text);
                return -1;
            }
            free(json_text);
            if (run_until_stop(r, engine, inst, restore) != 0)
                return -1;
            continue;
        }
        if (json_object_get(step, "path")) {
            if (check_path(r, step) != 0)
                goto bad;
        } else if (json_object_get(step, "state")) {
            last_was_state = 1;
            if (check_state(r, *inst, step) != 0)
                goto bad;
        } else if (json_is_object(json_object_get(step, "variables"))) {
            if (check_variables(r, *inst,
                                json_object_get(step, "variables")) != 0)
                goto bad;
        } else {
            fail(r, "step %zu: not an action or an expectation\n", i + 1);
            return -1;
        }
        continue;
bad:
        fail(r, "  (at step %zu)\n", i + 1);
        return -1;
    }
    /* A wait the case leaves unresolved must be one it expected. */
    if (!last_was_state) {
        int st = baton_instance_state(*inst);
        if (st != BATON_INSTANCE_COMPLETED &&
            st != BATON_INSTANCE_TERMINATED) {
            char jobs[512];
            list_jobs(*inst, jobs, sizeof jobs);
            fail(r, "the steps ran out and the instance is %s, which no "
                 "\"state\" step expects; waiting jobs: %s\n",
                 cli_state_name(st), jobs);
            return -1;
        }
    }
    return 0;
}

/* What both passes must agree on. */
static char *result_of(struct run *r, baton_instance *inst)
{
    char *vars = NULL, *out;
    size_t len = 0, i, n;
    int ok = baton_instance_variables(inst, &vars, &len) == BATON_OK;

    n = strlen(r->msg) + len + 64;
    for (i = 0; i < r->trace.n_path; i++)
        n += strlen(r->trace.path[i]) + 1;
    out = malloc(n);
    if (!out) {
        baton_free(vars);
        return NULL;
    }
    snprintf(out, n, "%s %.*s ", cli_state_name(baton_instance_state(inst)),
             ok ? (int)len : 0, ok ? vars : "");
    for (i = 0; i < r->trace.n_path; i++) {
        strcat(out, r->trace.path[i]);
        strcat(out, ",");
    }
    baton_free(vars);
    return out;
}

/* One pass of a case: a new engine, the model, the instance, the steps. */
static void run_case(struct run *r, json_t *c, const char *dir, int restore,
                     struct coverage *cov)
{
    const char *model = json_string_value(json_object_get(c, "model"));
    const char *process = json_string_value(json_object_get(c, "process"));
    const char *now = json_string_value(json_object_get(c, "now"));
    json_t *vars = json_object_get(c, "variables");
    json_t *steps = json_object_get(c, "steps");
    struct cli_clock clock = {0};
    baton_engine *engine = NULL;
    baton_model *m = NULL;
    baton_instance *inst = NULL;
    char *path = NULL, *vtext = NULL;
    int rc;

    memset(r, 0, sizeof *r);
    r->trace.cov = cov;
    if (!model || !json_is_array(steps)) {
        fail(r, "a case needs \"model\" (a string) and \"steps\" (an "
             "array)\n");
        return;
    }
    if (cli_time_parse(now ? now : "2026-01-01T00:00:00Z", &clock.now)) {
        fail(r, "now '%s': not YYYY-MM-DDThh:mm:ss[.fff]Z\n", now);
        return;
    }
    path = malloc(strlen(dir) + strlen(model) + 2);
    if (!path || baton_engine_new(NULL, NULL, &engine) != BATON_OK) {
        fail(r, "out of memory\n");
        free(path);
        return;
    }
    if (model[0] == '/')
        strcpy(path, model);
    else
        sprintf(path, "%s/%s", dir, model);
    baton_engine_set_clock(engine, cli_clock_read, &clock);
    baton_engine_set_record_sink(engine, on_record, &r->trace);
    rc = baton_model_load_file(engine, path, &m);
    if (rc != BATON_OK) {
        fail(r, "%s: %s\n", path, baton_engine_errmsg(engine));
        goto out;
    }
    cov_add_model(cov, m);
    rc = baton_engine_deploy(engine, m, process, NULL);
    if (rc != BATON_OK) {
        fail(r, "%s: %s\n", path, baton_engine_errmsg(engine));
        goto out;
    }
    if (!process)
        process = baton_model_process_id(m, 0);
    for (size_t p = 0; p < baton_model_process_count(m); p++)
        if (baton_model_process_executable(m, p)) {
            if (strcmp(baton_model_process_id(m, p), process) == 0)
                continue;
            if (baton_engine_deploy(engine, m, baton_model_process_id(m, p),
                                    NULL) != BATON_OK) {
                fail(r, "%s: %s\n", path, baton_engine_errmsg(engine));
                goto out;
            }
        }
    if (vars)
        vtext = json_dumps(vars, JSON_COMPACT);
    rc = baton_instance_create(engine, process, vtext,
                               vtext ? BATON_NUL : 0, &inst);
    free(vtext);
    if (rc != BATON_OK) {
        fail(r, "cannot start %s: %s\n", process ? process : "the process",
             baton_engine_errmsg(engine));
        goto out;
    }
    run_steps(r, steps, engine, &inst, &clock, restore);
    if (r->trace.oom)
        fail(r, "out of memory\n");
    r->result = result_of(r, inst);
out:
    baton_instance_free(inst);
    baton_model_free(m);
    baton_engine_free(engine);
    free(path);
}

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* One case's outcome, for the JUnit report. */
struct outcome {
    char *file, *name;
    double ms;
    char *failure; /* the failure text; NULL when it passed */
};

struct totals {
    unsigned passed, failed;
    struct coverage cov;
    struct outcome *cases; /* gathered only with --junit */
    size_t n_cases;
    int keep, oom;
};

/* printf into a growing string; *s stays NULL when memory runs out. */
static void sb_printf(char **s, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void sb_printf(char **s, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *ns;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !*s)
        return;
    ns = realloc(*s, *len + (size_t)n + 1);
    if (!ns) {
        free(*s);
        *s = NULL;
        return;
    }
    *s = ns;
    va_start(ap, fmt);
    vsnprintf(ns + *len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

static void keep_outcome(struct totals *tot, const char *file,
                         const char *name, double ms, const char *failure)
{
    struct outcome *nc, *o;

    if (!tot->keep)
        return;
    nc = realloc(tot->cases, (tot->n_cases + 1) * sizeof *nc);
    if (!nc) {
        tot->oom = 1;
        return;
    }
    tot->cases = nc;
    o = &nc[tot->n_cases++];
    o->file = cli_strdup(file);
    o->name = cli_strdup(name);
    o->ms = ms;
    o->failure = failure ? cli_strdup(failure) : NULL;
    if (!o->file || !o->name || (failure && !o->failure))
        tot->oom = 1;
}

static void print_last_records(char **out, size_t *len,
                               const struct trace *t)
{
    size_t n = t->n_records < LAST_RECORDS ? t->n_records : LAST_RECORDS;
    size_t i;

    if (n)
        sb_printf(out, len, "    last %zu records:\n", n);
    for (i = t->n_records - n; i < t->n_records; i++) {
        const char *s = t->last[i % LAST_RECORDS];
        sb_printf(out, len, "      %s\n", s ? s : "?");
    }
}

static void test_case(json_t *c, const char *file, const char *dir,
                      size_t index, struct totals *tot)
{
    struct run plain, restored;
    struct timespec t0;
    const char *name = json_string_value(json_object_get(c, "name"));
    char fallback[64];
    const char *msg = NULL;
    int same;
    char *detail = calloc(1, 1);
    size_t dlen = 0;
    double ms;

    if (!name) {
        snprintf(fallback, sizeof fallback, "case %zu", index + 1);
        name = fallback;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fflush(stdout);
    run_case(&plain, c, dir, 0, &tot->cov);
    run_case(&restored, c, dir, 1, &tot->cov);
    same = plain.result && restored.result &&
           strcmp(plain.result, restored.result) == 0;
    if (plain.msg[0])
        msg = plain.msg;
    else if (restored.msg[0])
        msg = restored.msg;
    ms = elapsed_ms(&t0);
    printf("%s %s: %s (%.1f ms)\n", msg || !same ? "FAIL" : "ok  ", file,
           name, ms);
    if (msg) {
        if (msg == restored.msg)
            sb_printf(&detail, &dlen, "    with a snapshot and a restore "
                      "at every stop:\n");
        sb_printf(&detail, &dlen, "    %s", msg);
        print_last_records(&detail, &dlen,
                           msg == plain.msg ? &plain.trace
                                            : &restored.trace);
    } else if (!same) {
        sb_printf(&detail, &dlen, "    a snapshot and a restore at every "
                  "stop changed the result:\n      without: %s\n      "
                  "with:    %s\n",
                  plain.result ? plain.result : "?",
                  restored.result ? restored.result : "?");
    }
    if (!detail)
        tot->oom = 1;
    else
        fputs(detail, stdout);
    if (msg || !same)
        tot->failed++;
    else
        tot->passed++;
    keep_outcome(tot, file, name, ms,
                 msg || !same ? (detail ? detail : "out of memory") : NULL);
    free(detail);
    trace_free(&plain.trace);
    trace_free(&restored.trace);
    free(plain.result);
    free(restored.result);
}

static void test_file(const char *file, struct totals *tot)
{
    json_error_t err;
    json_t *root = json_load_file(file, 0, &err), *cases, *c;
    char *dir = cli_strdup(file), *slash;
    size_t i;

    slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    if (!root) {
        char text[300];
        snprintf(text, sizeof text, "line %d, column %d: %s", err.line,
                 err.column, err.text);
        printf("FAIL %s: %s\n", file, text);
        tot->failed++;
        keep_outcome(tot, file, "(file)", 0, text);
        free(dir);
        return;
    }
    cases = json_object_get(root, "cases");
    if (json_is_array(cases)) {
        json_array_foreach(cases, i, c)
            test_case(c, file, slash ? dir : ".", i, tot);
    } else {
        test_case(root, file, slash ? dir : ".", 0, tot);
    }
    json_decref(root);
    free(dir);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: its *.test.json files and subdirectories, sorted. */
static int test_path(const char *path, struct totals *tot)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, i;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "baton test: %s: no such file or directory\n",
                path);
        return CLI_EXIT_USAGE;
    }
    if (!S_ISDIR(st.st_mode)) {
        test_file(path, tot);
        return 0;
    }
    d = opendir(path);
    if (!d) {
        fprintf(stderr, "baton test: %s: cannot read the directory\n", path);
        return CLI_EXIT_REFUSED;
    }
    while ((e = readdir(d)) != NULL) {
        char *full, **nn;
        if (e->d_name[0] == '.')
            continue;
        full = malloc(strlen(path) + strlen(e->d_name) + 2);
        nn = realloc(names, (n + 1) * sizeof *nn);
        if (!full || !nn) {
            free(full);
            if (nn)
                names = nn;
            break;
        }
        names = nn;
        sprintf(full, "%s/%s", path, e->d_name);
        names[n++] = full;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 &&
            (S_ISDIR(st.st_mode) || ends_with(names[i], ".test.json")))
            test_path(names[i], tot);
        free(names[i]);
    }
    free(names);
    return 0;
}

/* `s` XML-escaped, for text and attribute values alike; characters that
 * XML 1.0 cannot hold become '?'. */
static void xml_put(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\t': fputs("&#9;", f); break;
        case '\r': fputs("&#13;", f); break;
        default: fputc(c < 0x20 ? '?' : c, f);
        }
    }
}

/* The first line of `s`, without its indentation, escaped. */
static void xml_put_line(FILE *f, const char *s)
{
    size_t n;
    char *line;

    s += strspn(s, " ");
    n = strcspn(s, "\n");
    line = malloc(n + 1);
    if (!line)
        return;
    memcpy(line, s, n);
    line[n] = '\0';
    xml_put(f, line);
    free(line);
}

/* The JUnit XML of the run: a <testsuite> per scenario file, in the
 * order they ran. Returns 0, or -1 when the file cannot be written. */
static int write_junit(const char *path, const struct totals *tot,
                       double ms)
{
    FILE *f = fopen(path, "w");
    size_t i, j;

    if (!f)
        return -1;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"baton test\" tests=\"%u\" "
            "failures=\"%u\" time=\"%.3f\">\n",
            tot->passed + tot->failed, tot->failed, ms / 1e3);
    for (i = 0; i < tot->n_cases; i = j) {
        const char *file = tot->cases[i].file;
        unsigned n = 0, failed = 0;
        double t = 0;
        for (j = i; j < tot->n_cases &&
                    strcmp(tot->cases[j].file, file) == 0; j++) {
            n++;
            failed += tot->cases[j].failure != NULL;
            t += tot->cases[j].ms;
        }
        fputs("  <testsuite name=\"", f);
        xml_put(f, file);
        fprintf(f, "\" tests=\"%u\" failures=\"%u\" time=\"%.3f\">\n", n,
                failed, t / 1e3);
        for (j = i; j < tot->n_cases &&
                    strcmp(tot->cases[j].file, file) == 0; j++) {
            const struct outcome *o = &tot->cases[j];
            fputs("    <testcase classname=\"", f);
            xml_put(f, file);
            fputs("\" name=\"", f);
            xml_put(f, o->name);
            fprintf(f, "\" time=\"%.3f\"", o->ms / 1e3);
            if (!o->failure) {
                fputs("/>\n", f);
                continue;
            }
            fputs(">\n      <failure message=\"", f);
            xml_put_line(f, o->failure);
            fputs("\">", f);
            xml_put(f, o->failure);
            fputs("</failure>\n    </testcase>\n", f);
        }
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
    if (ferror(f)) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* The coverage table; returns how many processes are below `min`. */
static int print_coverage(const struct coverage *cov, long min)
{
    size_t i, j, width = 7;
    int below = 0;

    if (!cov->n)
        return 0;
    for (i = 0; i < cov->n; i++)
        if (strlen(cov->procs[i].id) > width)
            width = strlen(cov->procs[i].id);
    printf("\n%-*s  %-9s  %-9s  %s\n", (int)width, "PROCESS", "ELEMENTS",
           "FLOWS", "COVERAGE");
    for (i = 0; i < cov->n; i++) {
        const struct cov_proc *p = &cov->procs[i];
        size_t ne = 0, nf = 0, all = p->n_elements + p->n_flows;
        char el[48], fl[48];
        double pct;
        for (j = 0; j < p->n_elements; j++)
            ne += p->hit[j];
        for (; j < all; j++)
            nf += p->hit[j];
        pct = all ? 100.0 * (double)(ne + nf) / (double)all : 100.0;
        snprintf(el, sizeof el, "%zu/%zu", ne, p->n_elements);
        snprintf(fl, sizeof fl, "%zu/%zu", nf, p->n_flows);
        printf("%-*s  %-9s  %-9s  %.1f%%\n", (int)width, p->id, el, fl, pct);
    }
    for (i = 0; i < cov->n; i++) {
        const struct cov_proc *p = &cov->procs[i];
        size_t hit = 0, all = p->n_elements + p->n_flows;
        for (j = 0; j < all; j++)
            hit += p->hit[j];
        if ((double)hit * 100.0 < (double)min * (double)all) {
            printf("coverage of %s is below %ld%%\n", p->id, min);
            below++;
        }
    }
    return below;
}

static void totals_free(struct totals *tot)
{
    size_t i;
    for (i = 0; i < tot->n_cases; i++) {
        free(tot->cases[i].file);
        free(tot->cases[i].name);
        free(tot->cases[i].failure);
    }
    free(tot->cases);
    cov_free(&tot->cov);
}

void cli_usage_test(FILE *f)
{
    fputs(
"usage: baton test [--junit FILE] [--coverage-min N] [PATH...]\n"
"\n"
"Runs the scenario files given, and the *.test.json files found under\n"
"the directories given (default: the current directory). Each case runs\n"
"twice, the second time with a snapshot and a restore of the instance at\n"
"every stop; both must pass and agree. Prints one line per case and\n"
"\"N passed, N failed\", then the coverage of each process: the flow\n"
"nodes (ELEMENTS) and sequence flows (FLOWS) any case reached, of all\n"
"the model has, and one percentage over both. See docs/testing.md.\n"
"\n"
"  --junit FILE        also write the run as JUnit XML to FILE\n"
"  --coverage-min N    fail when a process's coverage is below N (0-100)\n"
"\n"
"Exit status: 0 all passed, 1 a case failed or coverage is below N,\n"
"2 usage.\n", f);
}

int cli_test(int argc, char **argv)
{
    struct totals tot;
    int i, rc = 0, n_paths = 0, below;
    const char *junit = NULL;
    long min = 0;
    struct timespec t0;

    memset(&tot, 0, sizeof tot);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_usage_test(stdout);
            return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
        }
        if (strcmp(argv[i], "--junit") == 0) {
            if (++i == argc || !argv[i][0])
                return cli_usage_error("test", "--junit needs a FILE");
            junit = argv[i];
        } else if (strcmp(argv[i], "--coverage-min") == 0) {
            char *end = NULL;
            if (++i == argc)
                return cli_usage_error("test", "--coverage-min needs N");
            min = strtol(argv[i], &end, 10);
            if (!argv[i][0] || *end || min < 0 || min > 100)
                return cli_usage_error("test", "--coverage-min '%s': not a "
                                       "number from 0 to 100", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("test", "unknown option '%s'", argv[i]);
        }
    }
    tot.keep = junit != NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 1; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--junit") == 0 ||
            strcmp(argv[i], "--coverage-min") == 0) {
            i++;
            continue;
        }
        n_paths++;
        rc = test_path(argv[i], &tot);
    }
    if (rc == 0 && n_paths == 0)
        rc = test_path(".", &tot);
    if (rc != 0) {
        totals_free(&tot);
        return rc;
    }
    printf("%u passed, %u failed\n", tot.passed, tot.failed);
    below = print_coverage(&tot.cov, min);
    if (tot.oom || tot.cov.oom) {
        fprintf(stderr, "baton test: out of memory\n");
        rc = CLI_EXIT_REFUSED;
    }
    if (junit && write_junit(junit, &tot, elapsed_ms(&t0)) != 0) {
        fprintf(stderr, "baton test: %s: cannot write the JUnit report\n",
                junit);
        rc = CLI_EXIT_REFUSED;
    }
    totals_free(&tot);
    if (cli_finish_stdout() != 0)
        return CLI_EXIT_REFUSED;
    return rc || tot.failed || below ? CLI_EXIT_REFUSED : 0;
}
