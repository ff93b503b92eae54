#define _POSIX_C_SOURCE 200809L
/* make_golden: writes golden snapshots of the scenarios in tests/scenarios
 * in the snapshot format of the library it is linked with, for
 * test_golden to restore with every later library. See
 * tests/golden/README.md.
 *
 *   make_golden OUT_DIR [SCENARIO...]
 *
 * OUT_DIR is tests/golden/vN for format N (checked against the bytes the
 * library writes). A SCENARIO is a case's path under $BATON_SCENARIOS
 * ("saga/happy-no-compensation"), and its goldens go to one folder named
 * after it with '-' for '/' (OUT_DIR/saga-happy-no-compensation). Models
 * come from $BATON_MODELS and $BATON_CORPUS, as for test_scenarios.
 * Nothing existing is ever overwritten.
 *
 * Each scenario runs as a host that fetches its jobs (no handler is
 * registered) and settles them with the scenario's job script, then
 * applies its "after" commands, exactly as test_scenarios does in its
 * fetching mode. Every time control is back with the host (after the
 * instance is created, after every run and after every command) the
 * instance is snapshotted; N.snap holds the bytes and N.json the commands
 * that finish the scenario from there and what they must produce.
 *
 * SCENARIO.handler-defers is the same scenario with a handler that defers
 * the jobs the script leaves waiting, so that a job deferred by a handler
 * is kept too (a fetching host never makes one). The handler is removed
 * when the instance first stops, and snapshots start from there: what
 * follows is the host's commands only.
 *
 * Time is the scenario's: the clock starts at its "now" (default
 * 2026-01-01T00:00:00Z) and moves only by its "then" actions, which are
 * applied after "after" as test_scenarios does (advance the clock,
 * correlate a message, deliver a signal, cancel, settle a job by element
 * id), each followed by a drive. A scenario that is not in
 * $BATON_SCENARIOS is looked for in $BATON_GOLDEN_SCENARIOS (default
 * tests/golden/scenarios), where the scenarios written for the goldens
 * live. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "baton.h"
#include "golden.h"

#define HANDLER_DEFERS ".handler-defers"

/* The scenarios captured when no list is given. */
static const char *const default_scenarios[] = {
    "saga/happy-no-compensation",
    "saga/flight-fails-compensates-in-reverse",
    "saga/incident-mid-compensation-resolved",
    "saga/incident-mid-compensation-waits",
    "saga/deferred-cancel-restored",
    "jobs/deferred",
    "gateways/parallel-fork-join",
    "errors/end-event-boundary",
    "errors/specific-before-catch-all",
    "seed/serverless-camunda-compensation",
    "jobs/retry",
    "jobs/no-retries-incident",
    "compensation/nested-subprocess",
    "mappings/io-mapping",
    "jobs/deferred.handler-defers",
    "saga/deferred-cancel-restored.handler-defers",
    "zeebe-trip/condition-incident",
    "zeebe-trip/condition-incident-resolved",
    /* tests/golden/scenarios, from format 3: subscriptions and backoffs */
    "waits/boundary-backoff-message-signal",
    "waits/gateway-cycle-condition",
    /* from format 4: multi-instance bodies and their inner instances */
    "multi-instance/sequential",
    "multi-instance/completion-condition",
    "multi-instance/collection-not-a-list",
    "multi-instance/timer-boundary",
    /* format 4 too: standard loops keep their state in LOOP */
    "standard-loop/test-after",
    "standard-loop/condition-error",
    "standard-loop/condition-error-before",
    "standard-loop/boundary-cannot-open",
    "standard-loop/timer-boundary",
    /* from format 5: process instances started by call activities */
    "calls/zeebe-variables-in-and-out",
    "calls/compensation-inside-child",
    "calls/multi-instance-call-activity",
    "calls/called-process-expression-incident-resolved",
    /* ... and the variables of compensated inner instances of loops */
    "multi-instance/compensation-one-handler-per-instance",
    "multi-instance/compensation-end-inside-one-instance",
    /* ... and a subprocess revived for its compensation event subprocess */
    "compensation/event-subprocess-compensates-inside",
};

typedef struct point {
    void *snap;
    size_t size;
    size_t op;  /* first command after it */
    size_t rec; /* first record after it */
    json_t *at;
    char *after;
    int64_t now; /* the clock when it was taken */
} point;

typedef struct gen {
    const char *name;
    json_t *scn;
    json_t *cursor; /* MATCH -> index of the next action */
    baton_engine *e;
    baton_instance *in;
    json_t *records; /* golden_record_line() strings */
    json_t *ops;     /* the host's commands, runs included */
    point *pts;
    size_t n_pts, cap_pts;
    uint64_t *held; /* jobs the script leaves waiting ("wait") */
    size_t n_held, cap_held;
    int pik_ok;
    int quiet; /* no snapshots while a handler is registered */
    int64_t now; /* the clock the engine reads */
} gen;

static const char *g_name = "";

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "make_golden: %s: ", g_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        die("out of memory");
    return p;
}

/* "YYYY-MM-DDTHH:MM:SSZ" as milliseconds since the epoch. */
static int parse_time(const char *t, int64_t *ms)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec,
               &n) != 6 || n != 20 || t[n] || mo < 1 || mo > 12)
        return -1;
    /* days from civil (proleptic Gregorian) */
    int64_t yy = mo <= 2 ? y - 1 : y;
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000;
    return 0;
}

/* "P[nD][T[nH][nM][nS]]" (whole numbers) as milliseconds. */
static int parse_duration(const char *t, int64_t *ms)
{
    if (*t++ != 'P' || !*t)
        return -1;
    int64_t total = 0;
    int in_time = 0;
    while (*t) {
        if (*t == 'T' && !in_time) {
            in_time = 1;
            t++;
            continue;
        }
        char *end;
        long long v = strtoll(t, &end, 10);
        if (end == t || v < 0)
            return -1;
        int64_t unit = *end == 'D' && !in_time ? 86400000
                       : *end == 'H' && in_time ? 3600000
                       : *end == 'M' && in_time ? 60000
                       : *end == 'S' && in_time ? 1000
                                                : -1;
        if (unit < 0)
            return -1;
        total += v * unit;
        t = end + 1;
    }
    *ms = total;
    return 0;
}

static int64_t clock_fn(void *ud)
{
    return ((const gen *)ud)->now;
}

static void check(gen *g, int rc, const char *what)
{
    if (rc < 0)
        die("%s: %s (%s)", what, baton_strerror(rc),
            baton_engine_errmsg(g->e));
}

static void sink(void *ud, baton_instance *in, const baton_record *rec)
{
    gen *g = ud;
    json_t *line = golden_record_line(in, rec, &g->pik_ok);
    if (!line)
        die("a record cannot be read");
    json_array_append_new(g->records, line);
}

/* Control is back with the host: keep the snapshot, unless nothing
 * changed since the last one. */
static void add_point(gen *g, const char *after)
{
    void *data;
    size_t size;
    if (g->quiet)
        return;
    check(g, baton_instance_snapshot(g->in, &data, &size), "snapshot");
    if (g->n_pts) {
        point *last = &g->pts[g->n_pts - 1];
        if (last->size == size && !memcmp(last->snap, data, size)) {
            baton_free(data);
            return;
        }
    }
    if (g->n_pts == g->cap_pts) {
        g->cap_pts = g->cap_pts ? 2 * g->cap_pts : 16;
        g->pts = xrealloc(g->pts, g->cap_pts * sizeof *g->pts);
    }
    point *p = &g->pts[g->n_pts++];
    p->now = g->now;
    p->snap = xrealloc(NULL, size);
    memcpy(p->snap, data, size);
    baton_free(data);
    p->size = size;
    p->op = json_array_size(g->ops);
    p->rec = json_array_size(g->records);
    p->at = golden_view(g->in);
    p->after = strdup(after);
}

static int do_run(gen *g)
{
    int rc = baton_instance_run(g->in, 0);
    check(g, rc, "run");
    if (rc != BATON_STEP_WAITING && rc != BATON_STEP_ENDED)
        die("run returned %d", rc);
    json_t *op = json_object();
    json_object_set_new(op, "op", json_string("run"));
    json_object_set_new(op, "result", json_string(rc == BATON_STEP_ENDED
                                                      ? "ended"
                                                      : "waiting"));
    json_array_append_new(g->ops, op);
    add_point(g, "run");
    return rc;
}

/* The action for a job: element id match first, then type; the last
 * action repeats; no match completes with no variables. */
static const char *action_for(gen *g, const char *element, const char *type)
{
    json_t *jobs = json_object_get(g->scn, "jobs");
    const char *keys[2] = { element, type };
    for (int i = 0; i < 2; i++) {
        json_t *list = json_object_get(jobs, keys[i]);
        if (!json_is_array(list) || json_array_size(list) == 0)
            continue;
        json_int_t n = json_integer_value(json_object_get(g->cursor, keys[i]));
        size_t idx = (size_t)n < json_array_size(list)
                         ? (size_t)n
                         : json_array_size(list) - 1;
        json_object_set_new(g->cursor, keys[i], json_integer(n + 1));
        return json_string_value(json_array_get(list, idx));
    }
    return "complete";
}

static int held(const gen *g, uint64_t key)
{
    for (size_t i = 0; i < g->n_held; i++)
        if (g->held[i] == key)
            return 1;
    return 0;
}

static void hold(gen *g, uint64_t key)
{
    if (held(g, key))
        return;
    if (g->n_held == g->cap_held) {
        g->cap_held = g->cap_held ? 2 * g->cap_held : 8;
        g->held = xrealloc(g->held, g->cap_held * sizeof *g->held);
    }
    g->held[g->n_held++] = key;
}

/* The handler of the .handler-defers variants: it defers what the script
 * leaves waiting, and nothing else may reach it. */
static int defer_handler(void *ud, baton_job *job)
{
    gen *g = ud;
    const char *act = action_for(g, baton_job_element_id(job),
                                 baton_job_type(job));
    if (strcmp(act, "wait"))
        die("job %s reached the deferring handler with %s",
            baton_job_element_id(job), act);
    return baton_job_defer(job);
}

/* Registers defer_handler for every job type (or element id: the saga's
 * tasks have their id as type) that the script leaves waiting; with
 * `on` 0 unregisters them. */
static void defer_handlers(gen *g, int on)
{
    const char *match;
    json_t *list;
    json_object_foreach(json_object_get(g->scn, "jobs"), match, list) {
        size_t i;
        json_t *a;
        json_array_foreach(list, i, a) {
            if (strcmp(json_string_value(a), "wait"))
                continue;
            check(g, baton_engine_register_handler(g->e, match,
                                                   on ? defer_handler : NULL,
                                                   g),
                  "register handler");
            break;
        }
    }
}

/* Settles a waiting job by key as ACTION says and records the command;
 * 1 for "wait" (nothing done). The command is executed with the very text
 * test_golden will pass. */
static int settle(gen *g, baton_job *job, const char *action)
{
    uint64_t key = baton_job_key(job);
    const char *element = baton_job_element_id(job);
    const char *arg = strchr(action, ':');
    size_t verb = arg ? (size_t)(arg - action) : strlen(action);
    if (arg)
        arg++;
    if (!strncmp(action, "wait", verb))
        return 1;
    json_t *op = json_object();
    char desc[256];
    int rc;
    if (!strncmp(action, "complete", verb)) {
        json_object_set_new(op, "op", json_string("complete"));
        json_object_set_new(op, "elementId", json_string(element));
        json_object_set_new(op, "jobKey", golden_key(key));
        char *text = NULL;
        if (arg) {
            json_error_t err;
            json_t *vars = json_loads(arg, JSON_REJECT_DUPLICATES, &err);
            if (!json_is_object(vars))
                die("bad job variables %s", arg);
            text = json_dumps(vars, JSON_COMPACT);
            json_object_set_new(op, "variables", vars);
        }
        rc = baton_instance_complete_job(g->in, key, text, BATON_NUL);
        free(text);
        snprintf(desc, sizeof desc, "complete %s", element);
    } else if (!strncmp(action, "fail", verb)) {
        int retries = baton_job_retries(job) - 1;
        if (retries < 0)
            retries = 0;
        json_object_set_new(op, "op", json_string("fail"));
        json_object_set_new(op, "elementId", json_string(element));
        json_object_set_new(op, "jobKey", golden_key(key));
        json_object_set_new(op, "retries", json_integer(retries));
        if (arg)
            json_object_set_new(op, "message", json_string(arg));
        rc = baton_instance_fail_job(g->in, key, retries, arg);
        snprintf(desc, sizeof desc, "fail %s", element);
    } else if (!strncmp(action, "backoff", verb) && arg) {
        char d[64];
        const char *msg = strchr(arg, ':');
        size_t n = msg ? (size_t)(msg - arg) : strlen(arg);
        int64_t ms;
        if (n >= sizeof d)
            die("bad backoff %s", arg);
        memcpy(d, arg, n);
        d[n] = '\0';
        if (parse_duration(d, &ms))
            die("bad backoff %s", arg);
        if (msg)
            msg++;
        int retries = baton_job_retries(job) - 1;
        if (retries < 0)
            retries = 0;
        json_object_set_new(op, "op", json_string("fail"));
        json_object_set_new(op, "elementId", json_string(element));
        json_object_set_new(op, "jobKey", golden_key(key));
        json_object_set_new(op, "retries", json_integer(retries));
        json_object_set_new(op, "backoff", json_integer(ms));
        if (msg)
            json_object_set_new(op, "message", json_string(msg));
        rc = baton_instance_fail_job_backoff(g->in, key, retries, ms, msg);
        snprintf(desc, sizeof desc, "fail %s with a backoff", element);
    } else if (!strncmp(action, "error", verb) && arg) {
        char code[128];
        const char *msg = strchr(arg, ':');
        size_t n = msg ? (size_t)(msg - arg) : strlen(arg);
        if (n >= sizeof code)
            die("error code too long");
        memcpy(code, arg, n);
        code[n] = '\0';
        if (msg)
            msg++;
        json_object_set_new(op, "op", json_string("throw"));
        json_object_set_new(op, "elementId", json_string(element));
        json_object_set_new(op, "jobKey", golden_key(key));
        json_object_set_new(op, "code", json_string(code));
        if (msg)
            json_object_set_new(op, "message", json_string(msg));
        rc = baton_instance_throw_job_error(g->in, key, code, msg);
        snprintf(desc, sizeof desc, "throw %s", element);
    } else {
        die("unknown action %s", action);
        return -1;
    }
    check(g, rc, desc);
    json_array_append_new(g->ops, op);
    add_point(g, desc);
    return 0;
}

/* As test_scenarios' drive() for a fetching host: run, then settle one
 * waiting job (held ones only when `all`), until nothing moves. */
static void drive(gen *g, int all)
{
    for (int rounds = 0; rounds < 1000; rounds++) {
        if (do_run(g) == BATON_STEP_ENDED)
            return;
        int moved = 0;
        for (size_t i = 0; i < baton_instance_job_count(g->in);) {
            baton_job *job = baton_instance_job(g->in, i);
            if (!all && held(g, baton_job_key(job))) {
                i++;
                continue;
            }
            const char *act = action_for(g, baton_job_element_id(job),
                                         baton_job_type(job));
            if (settle(g, job, act) == 1) {
                hold(g, baton_job_key(job));
                i++;
                continue;
            }
            moved = 1;
            break;
        }
        if (!moved)
            return;
    }
    die("the scenario does not settle");
}

static void apply_after(gen *g)
{
    json_t *after = json_object_get(g->scn, "after");
    size_t i;
    json_t *cmd;
    json_array_foreach(after, i, cmd) {
        json_t *v;
        if ((v = json_object_get(cmd, "set"))) {
            char *text = json_dumps(v, JSON_COMPACT);
            check(g, baton_instance_set_variables(g->in, text, BATON_NUL),
                  "set variables");
            free(text);
            json_t *op = json_object();
            json_object_set_new(op, "op", json_string("set"));
            json_object_set(op, "variables", v);
            json_array_append_new(g->ops, op);
            add_point(g, "set");
        } else if ((v = json_object_get(cmd, "retries"))) {
            for (size_t k = 0; k < baton_instance_incident_count(g->in); k++) {
                uint64_t jk = baton_instance_incident_job_key(g->in, k);
                if (!jk)
                    continue;
                int n = (int)json_integer_value(v);
                const char *el = baton_instance_incident_element_id(g->in, k);
                json_t *op = json_object();
                json_object_set_new(op, "op", json_string("retries"));
                json_object_set_new(op, "elementId", json_string(el));
                json_object_set_new(op, "jobKey", golden_key(jk));
                json_object_set_new(op, "retries", json_integer(n));
                check(g, baton_instance_update_job_retries(g->in, jk, n),
                      "update retries");
                json_array_append_new(g->ops, op);
                add_point(g, "retries");
            }
        } else if (json_object_get(cmd, "resolve")) {
            while (baton_instance_incident_count(g->in)) {
                uint64_t ik = baton_instance_incident_key(g->in, 0);
                json_t *op = json_object();
                json_object_set_new(op, "op", json_string("resolve"));
                json_object_set_new(op, "elementId",
                                    json_string(
                                        baton_instance_incident_element_id(
                                            g->in, 0)));
                json_object_set_new(op, "incidentKey", golden_key(ik));
                check(g, baton_instance_resolve_incident(g->in, ik),
                      "resolve");
                json_array_append_new(g->ops, op);
                add_point(g, "resolve");
            }
        } else if ((v = json_object_get(cmd, "settle"))) {
            json_object_set(g->scn, "jobs", v);
            json_object_clear(g->cursor);
            drive(g, 1);
        } else {
            die("unknown after command");
        }
    }
    if (json_array_size(after))
        drive(g, 0);
}

/* Splits "a:b:c" at its first colon into `head` (at most `cap` bytes)
 * and returns what follows it, or NULL. */
static const char *split(const char *s, char *head, size_t cap)
{
    const char *c = strchr(s, ':');
    size_t n = c ? (size_t)(c - s) : strlen(s);
    if (n >= cap)
        die("%s is too long", s);
    memcpy(head, s, n);
    head[n] = '\0';
    return c ? c + 1 : NULL;
}

/* A message or signal, with the variables of the JSON text `vars`
 * (NULL: none); it must match. */
static void deliver(gen *g, int message, const char *name, const char *corr,
                    const char *vars)
{
    json_t *op = json_object();
    json_object_set_new(op, "op", json_string(message ? "message"
                                                      : "signal"));
    json_object_set_new(op, "name", json_string(name));
    if (corr)
        json_object_set_new(op, "correlationKey", json_string(corr));
    char *text = NULL;
    if (vars) {
        json_error_t err;
        json_t *v = json_loads(vars, JSON_REJECT_DUPLICATES, &err);
        if (!json_is_object(v))
            die("bad variables %s", vars);
        text = json_dumps(v, JSON_COMPACT);
        json_object_set_new(op, "variables", v);
    }
    int rc = message ? baton_instance_correlate_message(g->in, name, corr,
                                                        text, BATON_NUL)
                     : baton_instance_signal(g->in, name, text, BATON_NUL);
    free(text);
    check(g, rc, message ? "message" : "signal");
    if (rc == 0)
        die("%s %s matched no subscription", message ? "message" : "signal",
            name);
    json_object_set_new(op, "result", json_integer(rc));
    json_array_append_new(g->ops, op);
    add_point(g, message ? "message" : "signal");
}

/* The waiting job of `element`, or NULL. */
static baton_job *job_of(gen *g, const char *element)
{
    for (size_t i = 0; i < baton_instance_job_count(g->in); i++) {
        baton_job *j = baton_instance_job(g->in, i);
        if (!strcmp(baton_job_element_id(j), element))
            return j;
    }
    return NULL;
}

/* One action of "then", as test_scenarios applies it. */
static void apply_then(gen *g, const char *text)
{
    char verb[32], name[256], key[256];
    const char *rest = split(text, verb, sizeof verb);
    if (!strcmp(verb, "advance")) {
        int64_t ms = 0;
        if (!rest || parse_duration(rest, &ms))
            die("%s: bad duration", text);
        g->now += ms;
        json_t *op = json_object();
        json_object_set_new(op, "op", json_string("clock"));
        json_object_set_new(op, "now", json_integer(g->now));
        json_array_append_new(g->ops, op);
        return;
    }
    if (!strcmp(verb, "cancel")) {
        check(g, baton_instance_cancel(g->in), "cancel");
        json_t *op = json_object();
        json_object_set_new(op, "op", json_string("cancel"));
        json_array_append_new(g->ops, op);
        add_point(g, "cancel");
        return;
    }
    if (!rest)
        die("%s needs an argument", text);
    if (!strcmp(verb, "message") || !strcmp(verb, "signal")) {
        int message = verb[0] == 'm';
        const char *corr = NULL;
        rest = split(rest, name, sizeof name);
        if (message && rest) {
            rest = split(rest, key, sizeof key);
            corr = key;
        }
        deliver(g, message, name, corr, rest);
        return;
    }
    /* complete:ELEMENT[:JSON], fail:ELEMENT[:MESSAGE],
     * error:ELEMENT:CODE[:MESSAGE]: the job action after the element. */
    rest = split(rest, name, sizeof name);
    baton_job *job = job_of(g, name);
    if (!job)
        die("%s: no waiting job of %s", text, name);
    char act[512];
    snprintf(act, sizeof act, "%s%s%s", verb, rest ? ":" : "",
             rest ? rest : "");
    if (settle(g, job, act))
        die("%s: nothing to do", text);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        die("%s: read error", path);
    fclose(f);
    *len = n;
    return buf;
}

/* Creates a file that must not exist yet: goldens are never rewritten. */
static void write_new(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wbx");
    if (!f)
        die("%s: %s", path, strerror(errno));
    if (fwrite(data, 1, len, f) != len || fclose(f))
        die("%s: write error", path);
}

static void make_dir(const char *path, int must_be_new)
{
    if (mkdir(path, 0777) == 0)
        return;
    if (errno == EEXIST && !must_be_new)
        return;
    die("%s: %s%s", path, strerror(errno),
        errno == EEXIST ? " (goldens are never rewritten)" : "");
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static json_t *slice(json_t *array, size_t from)
{
    json_t *out = json_array();
    for (size_t i = from; i < json_array_size(array); i++)
        json_array_append(out, json_array_get(array, i));
    return out;
}

static const char *state_expected(json_t *scn)
{
    return json_string_value(
        json_object_get(json_object_get(scn, "expect"), "state"));
}

static unsigned snapshot_format(const point *p)
{
    const unsigned char *b = p->snap;
    return p->size < 8 ? 0
                       : (unsigned)b[4] | (unsigned)b[5] << 8 |
                             (unsigned)b[6] << 16 | (unsigned)b[7] << 24;
}

static void make_one(const char *out_dir, const char *name)
{
    g_name = name;
    char scenario[1024];
    size_t nl = strlen(name), sl = strlen(HANDLER_DEFERS);
    int defers = nl > sl && !strcmp(name + nl - sl, HANDLER_DEFERS);
    snprintf(scenario, sizeof scenario, "%.*s",
             (int)(defers ? nl - sl : nl), name);
    char path[4096];
    const char *root = env_or("BATON_SCENARIOS", "tests/scenarios");
    snprintf(path, sizeof path, "%s/%s/scenario.json", root, scenario);
    struct stat st;
    if (stat(path, &st)) {
        root = env_or("BATON_GOLDEN_SCENARIOS", "tests/golden/scenarios");
        snprintf(path, sizeof path, "%s/%s/scenario.json", root, scenario);
    }
    json_error_t err;
    gen g = { 0 };
    g.name = name;
    g.pik_ok = 1;
    g.scn = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!g.scn)
        die("%s:%d: %s", path, err.line, err.text);
    const char *model = json_string_value(json_object_get(g.scn, "model"));
    if (!model)
        die("no model");
    char model_path[4096];
    if (!strncmp(model, "$CORPUS/", 8))
        snprintf(model_path, sizeof model_path, "%s/%s",
                 env_or("BATON_CORPUS", "tests/corpus"), model + 8);
    else if (!strncmp(model, "$MODELS/", 8))
        snprintf(model_path, sizeof model_path, "%s/%s",
                 env_or("BATON_MODELS", "tests/models"), model + 8);
    else
        snprintf(model_path, sizeof model_path, "%s/%s/%s", root, scenario,
                 model);
    size_t model_len;
    char *xml = read_file(model_path, &model_len);

    g.records = json_array();
    g.ops = json_array();
    g.cursor = json_object();
    const char *now = json_string_value(json_object_get(g.scn, "now"));
    if (parse_time(now ? now : "2026-01-01T00:00:00Z", &g.now))
        die("\"now\" is not a UTC time");
    check(&g, baton_engine_new(NULL, NULL, &g.e), "engine");
    baton_engine_set_clock(g.e, clock_fn, &g);
    baton_engine_set_record_sink(g.e, sink, &g);
    baton_model *m;
    check(&g, baton_model_load(g.e, xml, model_len, model_path, &m),
          model_path);
    const char *pid = json_string_value(json_object_get(g.scn, "process"));
    /* From format 5: the processes its call activities call, from the
     * same model, deployed first. */
    json_t *deploys = json_object_get(g.scn, "deploy");
    for (size_t k = 0; k < json_array_size(deploys); k++) {
        const char *other = json_string_value(json_array_get(deploys, k));
        if (!other)
            die("a golden scenario deploys processes of its own model only");
        check(&g, baton_engine_deploy(g.e, m, other, NULL), "deploy");
    }
    int version;
    check(&g, baton_engine_deploy(g.e, m, pid, &version), "deploy");
    uint64_t checksum = baton_model_checksum(m);
    baton_model_free(m);
    char *vars = NULL;
    if (json_object_get(g.scn, "variables"))
        vars = json_dumps(json_object_get(g.scn, "variables"), JSON_COMPACT);
    check(&g, baton_instance_create(g.e, pid, vars, BATON_NUL, &g.in),
          "create");
    free(vars);
    if (defers) {
        defer_handlers(&g, 1);
        g.quiet = 1;
    }
    add_point(&g, "create");

    drive(&g, 0);
    if (defers) {
        defer_handlers(&g, 0);
        g.quiet = 0;
        add_point(&g, "run, a handler deferred");
        if (!g.n_pts || !g.n_held)
            die("no job was deferred");
    }
    apply_after(&g);
    json_t *then = json_object_get(g.scn, "then");
    size_t ti;
    json_t *action;
    json_array_foreach(then, ti, action) {
        if (!json_is_string(action))
            die("a \"then\" action is not a string");
        apply_then(&g, json_string_value(action));
        drive(&g, 0);
    }

    json_t *final = golden_view(g.in);
    const char *want = state_expected(g.scn);
    const char *got = json_string_value(json_object_get(final, "state"));
    if (want && strcmp(want, got))
        die("ends %s, the scenario expects %s", got, want);
    if (!g.pik_ok)
        die("a record names another process instance");

    /* The folder's name says the format: vN holds format N only. */
    const char *base = strrchr(out_dir, '/');
    base = base ? base + 1 : out_dir;
    unsigned format = snapshot_format(&g.pts[0]);
    if (base[0] == 'v' && (unsigned)atoi(base + 1) != format)
        die("the library writes format %u, not for %s", format, out_dir);

    make_dir(out_dir, 0);
    char folder[1024];
    snprintf(folder, sizeof folder, "%s", name);
    for (char *c = folder; *c; c++)
        if (*c == '/')
            *c = '-';
    snprintf(path, sizeof path, "%s/%s", out_dir, folder);
    make_dir(path, 1);
    snprintf(path, sizeof path, "%s/%s/model.bpmn", out_dir, folder);
    write_new(path, xml, model_len);

    char hex[32];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)checksum);
    for (size_t i = 0; i < g.n_pts; i++) {
        point *p = &g.pts[i];
        snprintf(path, sizeof path, "%s/%s/%zu.snap", out_dir, folder, i);
        write_new(path, p->snap, p->size);

        json_t *doc = json_object();
        json_object_set_new(doc, "scenario", json_string(scenario));
        if (defers)
            json_object_set_new(doc, "variant",
                                json_string(&HANDLER_DEFERS[1]));
        json_object_set_new(doc, "format", json_integer(snapshot_format(p)));
        json_object_set_new(doc, "library", json_string(baton_version()));
        json_object_set_new(doc, "model", json_string("model.bpmn"));
        json_object_set_new(doc, "process", json_string(
                                                baton_instance_process_id(
                                                    g.in)));
        json_object_set_new(doc, "version", json_integer(version));
        if (deploys)
            json_object_set(doc, "deploy", deploys);
        json_object_set_new(doc, "checksum", json_string(hex));
        json_object_set_new(doc, "after", json_string(p->after));
        if (format >= 3) /* the clock came with timers and backoffs */
            json_object_set_new(doc, "now", json_integer(p->now));
        json_object_set(doc, "at", p->at);
        json_object_set_new(doc, "commands", slice(g.ops, p->op));
        json_t *expect = json_deep_copy(final);
        json_object_set_new(expect, "records", slice(g.records, p->rec));
        json_object_set_new(doc, "expect", expect);
        snprintf(path, sizeof path, "%s/%s/%zu.json", out_dir, folder, i);
        char *text = json_dumps(doc, JSON_INDENT(1));
        size_t len = strlen(text);
        text = xrealloc(text, len + 2);
        text[len++] = '\n';
        write_new(path, text, len);
        free(text);
        json_decref(doc);
    }
    printf("%s: %zu snapshots, %zu commands, %zu records, %s\n", name,
           g.n_pts, json_array_size(g.ops), json_array_size(g.records), got);

    for (size_t i = 0; i < g.n_pts; i++) {
        free(g.pts[i].snap);
        free(g.pts[i].after);
        json_decref(g.pts[i].at);
    }
    free(g.pts);
    free(g.held);
    free(xml);
    json_decref(final);
    json_decref(g.records);
    json_decref(g.ops);
    json_decref(g.cursor);
    json_decref(g.scn);
    baton_instance_free(g.in);
    baton_engine_free(g.e);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: make_golden OUT_DIR [SCENARIO...]\n"
                        "  (see tests/golden/README.md)\n");
        return 2;
    }
    size_t len = strlen(argv[1]);
    while (len > 1 && argv[1][len - 1] == '/')
        argv[1][--len] = '\0';
    if (argc > 2)
        for (int i = 2; i < argc; i++)
            make_one(argv[1], argv[i]);
    else
        for (size_t i = 0;
             i < sizeof default_scenarios / sizeof *default_scenarios; i++)
            make_one(argv[1], default_scenarios[i]);
    return 0;
}
