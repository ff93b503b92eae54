#define _POSIX_C_SOURCE 200809L
/* Data-driven behaviour tests: every folder under tests/scenarios holds a
 * scenario.json (and usually its model). One driver runs them all, so a new
 * case needs no new C.
 *
 * scenario.json:
 *   "model":     file name in the folder, or "$CORPUS/..." / "$MODELS/..."
 *   "process":   process id (optional)
 *   "variables": initial variables (optional)
 *   "jobs":      { MATCH: [ACTION, ...] }  MATCH is an element id or a job
 *                type; ACTION as `baton run --job`: "complete[:JSON]",
 *                "fail[:MESSAGE]", "error:CODE[:MESSAGE]", "wait"; the
 *                last action repeats; unmatched jobs complete empty.
 *   "after":     commands once the instance first stops (optional), each
 *                {"set": {...}} | {"resolve": true} (every open incident)
 *                | {"retries": N} (every job held by an incident)
 *                | {"settle": {MATCH: [ACTION...]}} (settle every waiting
 *                job, deferred ones too, with this script), each
 *                followed by a run.
 *   "expect":    "state", "completed" (ids of ELEMENT_COMPLETED records of
 *                tasks and events, in order), "not_completed", "variables"
 *                (a subset of the process variables), "incidents"
 *                ([{"type", "elementId"}]), "records" (for the handler
 *                mode: "VALUE_TYPE INTENT elementId" lines, in order, for
 *                every record whose value type is listed in
 *                "record_types").
 *
 * Each scenario runs three ways, and all must give the same outcome:
 * settled by in-process handlers; settled by the host fetching waiting
 * jobs; and fetched with a snapshot, free and restore at every stop. The
 * handler run is repeated to check that records and snapshot bytes are
 * deterministic. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton.h"
#include "kernel/instance.h"

enum mode { MODE_HANDLER, MODE_FETCH, MODE_RESTORE };

typedef struct run {
    json_t *scn;
    const char *dir;
    enum mode mode;
    baton_engine *e;
    baton_instance *in;
    json_t *records;   /* array of record objects */
    json_t *cursor;    /* MATCH -> next action index */
    char model_path[1024];
} run;

static void sink(void *ud, baton_instance *in, const baton_record *rec)
{
    run *r = ud;
    (void)in;
    char *text;
    size_t len;
    assert_int_equal(baton_record_to_json(rec, &text, &len), 0);
    json_error_t err;
    json_t *o = json_loadb(text, len, 0, &err);
    assert_non_null(o);
    /* Positions and keys are compared separately (restore keeps them). */
    json_array_append_new(r->records, o);
    baton_free(text);
}

/* The action for a job: element id match first, then type. */
static const char *action_for(run *r, const char *element, const char *type)
{
    json_t *jobs = json_object_get(r->scn, "jobs");
    const char *keys[2] = { element, type };
    for (int i = 0; i < 2; i++) {
        json_t *list = json_object_get(jobs, keys[i]);
        if (!json_is_array(list) || json_array_size(list) == 0)
            continue;
        json_int_t n = json_integer_value(json_object_get(r->cursor, keys[i]));
        size_t idx = (size_t)n < json_array_size(list)
                         ? (size_t)n
                         : json_array_size(list) - 1;
        json_object_set_new(r->cursor, keys[i], json_integer(n + 1));
        return json_string_value(json_array_get(list, idx));
    }
    return "complete";
}

/* Applies ACTION through either the in-handler API or the by-key API. */
static int settle(run *r, baton_job *job, const char *action, int in_handler)
{
    uint64_t key = baton_job_key(job);
    const char *arg = strchr(action, ':');
    size_t verb = arg ? (size_t)(arg - action) : strlen(action);
    if (arg)
        arg++;
    if (!strncmp(action, "wait", verb))
        return in_handler ? baton_job_defer(job) : 1;
    if (!strncmp(action, "complete", verb))
        return in_handler ? baton_job_complete(job, arg, BATON_NUL)
                          : baton_instance_complete_job(r->in, key, arg,
                                                        BATON_NUL);
    if (!strncmp(action, "fail", verb)) {
        int retries = baton_job_retries(job) - 1;
        if (retries < 0)
            retries = 0;
        return in_handler ? baton_job_fail(job, retries, arg)
                          : baton_instance_fail_job(r->in, key, retries, arg);
    }
    if (!strncmp(action, "error", verb)) {
        char code[128] = "";
        const char *msg = arg ? strchr(arg, ':') : NULL;
        size_t n = msg ? (size_t)(msg - arg) : strlen(arg);
        assert_true(n < sizeof code);
        memcpy(code, arg, n);
        code[n] = '\0';
        return in_handler ? baton_job_throw_error(job, code, msg ? msg + 1 : NULL)
                          : baton_instance_throw_job_error(r->in, key, code,
                                                           msg ? msg + 1 : NULL);
    }
    fail_msg("unknown action %s", action);
    return -1;
}

static int handler(void *ud, baton_job *job)
{
    run *r = ud;
    /* The handler sees its variables and headers. */
    char *vars;
    assert_int_equal(baton_job_variables(job, &vars, NULL), 0);
    assert_int_equal(vars[0], '{');
    baton_free(vars);
    int rc = settle(r, job, action_for(r, baton_job_element_id(job),
                                       baton_job_type(job)), 1);
    assert_int_equal(rc, 0);
    return 0;
}

static void restore_cycle(run *r)
{
    void *snap;
    size_t size;
    assert_int_equal(baton_instance_snapshot(r->in, &snap, &size), 0);
    baton_instance_free(r->in);
    r->in = NULL;
    assert_int_equal(baton_instance_restore(r->e, snap, size, &r->in), 0);
    /* The same bytes again: restore loses nothing. */
    void *again;
    size_t size2;
    assert_int_equal(baton_instance_snapshot(r->in, &again, &size2), 0);
    assert_int_equal(size, size2);
    assert_memory_equal(snap, again, size);
    baton_free(again);
    baton_free(snap);
}

/* Runs until nothing moves: run, then settle waiting jobs by key. */
static void drive(run *r, int all)
{
    for (int rounds = 0; rounds < 1000; rounds++) {
        int rc = baton_instance_run(r->in, 0);
        if (rc < 0)
            fail_msg("run failed: %s", baton_engine_errmsg(r->e));
        if (r->mode == MODE_RESTORE)
            restore_cycle(r);
        if (rc == BATON_STEP_ENDED || (r->mode == MODE_HANDLER && !all))
            return;
        int moved = 0;
        /* Settling changes the job list: take one job at a time. */
        for (size_t i = 0; i < baton_instance_job_count(r->in);) {
            baton_job *job = baton_instance_job(r->in, i);
            if (job->state == BT_JOB_DEFERRED && !all) {
                i++;
                continue;
            }
            const char *act = action_for(r, baton_job_element_id(job),
                                         baton_job_type(job));
            int src = settle(r, job, act, 0);
            if (src == 1) { /* wait: leave it as a handler would */
                job->state = BT_JOB_DEFERRED;
                i++;
                continue;
            }
            if (src)
                fail_msg("settling failed: %s", baton_engine_errmsg(r->e));
            moved = 1;
            break;
        }
        if (!moved)
            return;
    }
    fail_msg("the scenario did not settle");
}

static void register_handlers(run *r, const baton_model *m)
{
    for (uint32_t p = 0; p < m->n_processes; p++)
        for (uint32_t i = 0; i < m->processes[p].n_elements; i++) {
            const bt_element *el = &m->processes[p].elements[i];
            const char *type = el->job_type ? el->job_type : el->id;
            assert_int_equal(
                baton_engine_register_handler(r->e, type, handler, r), 0);
        }
}

static void apply_after(run *r)
{
    json_t *after = json_object_get(r->scn, "after");
    size_t i;
    json_t *cmd;
    json_array_foreach(after, i, cmd) {
        json_t *v;
        if ((v = json_object_get(cmd, "set"))) {
            char *t = json_dumps(v, JSON_COMPACT);
            assert_int_equal(baton_instance_set_variables(r->in, t, BATON_NUL),
                             0);
            free(t);
        } else if ((v = json_object_get(cmd, "retries"))) {
            for (size_t k = 0; k < baton_instance_incident_count(r->in); k++) {
                uint64_t jk = baton_instance_incident_job_key(r->in, k);
                if (jk)
                    assert_int_equal(baton_instance_update_job_retries(
                                         r->in, jk, (int)json_integer_value(v)),
                                     0);
            }
        } else if (json_object_get(cmd, "resolve")) {
            while (baton_instance_incident_count(r->in))
                assert_int_equal(baton_instance_resolve_incident(
                                     r->in,
                                     baton_instance_incident_key(r->in, 0)),
                                 0);
        } else if ((v = json_object_get(cmd, "settle"))) {
            /* Settle every waiting job, deferred ones too, by key. */
            json_object_set(r->scn, "jobs", v);
            json_object_clear(r->cursor);
            drive(r, 1);
        } else {
            fail_msg("unknown after command");
        }
    }
    if (json_array_size(after))
        drive(r, 0);
}

static const char *state_name(int s)
{
    static const char *const n[] = { "active", "waiting", "incident",
                                     "completed", "terminated" };
    return s >= 0 && s <= 4 ? n[s] : "?";
}

static void check_expect(run *r)
{
    json_t *ex = json_object_get(r->scn, "expect");
    const char *state = json_string_value(json_object_get(ex, "state"));
    if (state)
        assert_string_equal(state_name(baton_instance_state(r->in)), state);

    /* Completed tasks and events, in order. */
    json_t *done = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(r->records, i, rec) {
        json_t *val = json_object_get(rec, "value");
        const char *t = json_string_value(json_object_get(val,
                                                          "bpmnElementType"));
        if (strcmp(json_string_value(json_object_get(rec, "intent")),
                   "ELEMENT_COMPLETED") ||
            !t || !strcmp(t, "SEQUENCE_FLOW") || !strcmp(t, "PROCESS") ||
            strstr(t, "GATEWAY"))
            continue;
        json_array_append(done, json_object_get(val, "elementId"));
    }
    json_t *want = json_object_get(ex, "completed");
    if (want && !json_equal(want, done)) {
        char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(done,
                                                                  JSON_COMPACT);
        fail_msg("completed: want %s\n got %s", a, b);
    }
    json_t *nope = json_object_get(ex, "not_completed");
    json_t *x;
    json_array_foreach(nope, i, x) {
        size_t k;
        json_t *y;
        json_array_foreach(done, k, y)
            if (json_equal(x, y))
                fail_msg("%s completed", json_string_value(x));
    }
    json_decref(done);

    json_t *vars = json_object_get(ex, "variables");
    if (vars) {
        char *text;
        assert_int_equal(baton_instance_variables(r->in, &text, NULL), 0);
        json_t *have = json_loads(text, 0, NULL);
        baton_free(text);
        const char *k;
        json_t *v;
        json_object_foreach(vars, k, v) {
            /* An expected null also accepts an absent variable. */
            json_t *h = json_object_get(have, k);
            if (json_is_null(v) ? h && !json_is_null(h) : !json_equal(h, v))
                fail_msg("variable %s differs", k);
        }
        json_decref(have);
    }
    json_t *inc = json_object_get(ex, "incidents");
    if (inc) {
        assert_int_equal(baton_instance_incident_count(r->in),
                         json_array_size(inc));
        json_array_foreach(inc, i, x) {
            assert_string_equal(baton_instance_incident_type(r->in, i),
                                json_string_value(json_object_get(x, "type")));
            assert_string_equal(baton_instance_incident_element_id(r->in, i),
                                json_string_value(json_object_get(x,
                                                                  "elementId")));
        }
    }
    json_t *lines = json_object_get(ex, "records");
    json_t *types = json_object_get(ex, "record_types");
    if (lines && r->mode == MODE_HANDLER) {
        json_t *got = json_array();
        json_array_foreach(r->records, i, rec) {
            const char *vt = json_string_value(json_object_get(rec,
                                                               "valueType"));
            size_t k;
            json_t *t;
            int keep = !types;
            json_array_foreach(types, k, t)
                keep |= !strcmp(json_string_value(t), vt);
            if (!keep)
                continue;
            char line[512];
            snprintf(line, sizeof line, "%s %s %s", vt,
                     json_string_value(json_object_get(rec, "intent")),
                     json_string_value(json_object_get(
                         json_object_get(rec, "value"), "elementId")));
            json_array_append_new(got, json_string(line));
        }
        if (!json_equal(lines, got)) {
            char *b = json_dumps(got, JSON_INDENT(1));
            fail_msg("records differ; got:\n%s", b);
        }
        json_decref(got);
    }
}

static void run_once(run *r, enum mode mode, char **snap_out, size_t *snap_len)
{
    r->mode = mode;
    r->records = json_array();
    r->cursor = json_object();
    assert_int_equal(baton_engine_new(NULL, NULL, &r->e), 0);
    baton_engine_set_record_sink(r->e, sink, r);
    baton_model *m;
    int rc = baton_model_load_file(r->e, r->model_path, &m);
    if (rc)
        fail_msg("%s: %s", r->model_path, baton_engine_errmsg(r->e));
    const char *pid = json_string_value(json_object_get(r->scn, "process"));
    assert_int_equal(baton_engine_deploy(r->e, m, pid, NULL), 0);
    if (mode == MODE_HANDLER)
        register_handlers(r, m);
    baton_model_free(m);
    char *vars = NULL;
    if (json_object_get(r->scn, "variables"))
        vars = json_dumps(json_object_get(r->scn, "variables"), JSON_COMPACT);
    assert_int_equal(baton_instance_create(r->e, pid, vars, BATON_NUL, &r->in),
                     0);
    free(vars);
    drive(r, 0);
    apply_after(r);
    check_expect(r);
    if (snap_out) {
        void *s;
        assert_int_equal(baton_instance_snapshot(r->in, &s, snap_len), 0);
        *snap_out = malloc(*snap_len);
        memcpy(*snap_out, s, *snap_len);
        baton_free(s);
    }
    baton_instance_free(r->in);
    baton_engine_free(r->e);
    json_decref(r->cursor);
}

static void test_scenario(void **state)
{
    const char *dir = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/scenario.json", dir);
    json_error_t err;
    json_t *scn = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!scn)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    run r = { 0 };
    r.dir = dir;
    const char *model = json_string_value(json_object_get(scn, "model"));
    assert_non_null(model);
    if (!strncmp(model, "$CORPUS/", 8))
        snprintf(r.model_path, sizeof r.model_path, "%s/%s",
                 getenv("BATON_CORPUS"), model + 8);
    else if (!strncmp(model, "$MODELS/", 8))
        snprintf(r.model_path, sizeof r.model_path, "%s/%s",
                 getenv("BATON_MODELS"), model + 8);
    else
        snprintf(r.model_path, sizeof r.model_path, "%s/%s", dir, model);

    json_t *orig_jobs = json_deep_copy(json_object_get(scn, "jobs"));
    char *snap1, *snap2;
    size_t len1, len2;
    json_t *recs1 = NULL;
    enum mode modes[] = { MODE_HANDLER, MODE_HANDLER, MODE_FETCH,
                          MODE_RESTORE };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        r.scn = scn;
        if (orig_jobs)
            json_object_set(scn, "jobs", orig_jobs);
        run_once(&r, modes[i], i < 2 ? (i ? &snap2 : &snap1) : NULL,
                 i < 2 ? (i ? &len2 : &len1) : NULL);
        if (i == 0) {
            recs1 = r.records;
        } else if (i == 1) {
            /* Deterministic: same records and the same snapshot bytes. */
            assert_true(json_equal(recs1, r.records));
            assert_int_equal(len1, len2);
            assert_memory_equal(snap1, snap2, len1);
            json_decref(r.records);
        } else {
            json_decref(r.records);
        }
    }
    json_decref(recs1);
    free(snap1);
    free(snap2);
    json_decref(orig_jobs);
    json_decref(scn);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct CMUnitTest *)a)->name,
                  ((const struct CMUnitTest *)b)->name);
}

int main(void)
{
    const char *root = getenv("BATON_SCENARIOS");
    if (!root)
        root = "tests/scenarios";
    DIR *d = opendir(root);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", root);
        return 1;
    }
    struct CMUnitTest tests[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        if (de->d_name[0] == '.')
            continue;
        char *dir = malloc(strlen(root) + strlen(de->d_name) + 2);
        sprintf(dir, "%s/%s", root, de->d_name);
        char *name = strdup(de->d_name);
        tests[n++] = (struct CMUnitTest){ name, test_scenario, NULL, NULL,
                                          dir };
    }
    closedir(d);
    qsort(tests, n, sizeof *tests, by_name);
    int rc = _cmocka_run_group_tests("scenarios", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        free((char *)tests[i].name);
        free(tests[i].initial_state);
    }
    return rc;
}
