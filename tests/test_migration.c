/* Migration cases (tests/migration/<case>/): an instance of from.bpmn is
 * driven to a wait ("before"), to.bpmn is deployed as the next version,
 * and the instance is migrated with plan.json (absent: no mappings).
 * case.json says what must come of it:
 *
 *   "now"       the clock at the start (default 2026-01-01T00:00:00Z)
 *   "variables" the instance's variables at its start
 *   "before", "after"  actions, each followed by a run:
 *       {"complete": ELEMENT-ID, "variables": {...}}  the waiting job of
 *       that element; {"throw": ELEMENT-ID, "code": C}; {"correlate":
 *       NAME, "key": K}; {"signal": NAME}; {"at": TIME} (the clock moves,
 *       due timers fire)
 *   "refused"   the reasons, [{elementId, reason}]: the call must return
 *               BATON_EMIGRATE with them, its message listing them, and
 *               change nothing
 *   "moved"     else the report's moves [[source, target], ...]
 *   "due"       timers' due times after the move, [[element, TIME]]
 *   "completed" the element ids whose ELEMENT_COMPLETED records follow
 *               the move, in order, to the end of the instance
 *   "variables_end"  the process variables at the end
 *
 * Each case is played several ways that must agree: as is; twice (same
 * records, same snapshot bytes); with a snapshot, free and restore right
 * after the move (same future); as a dry run first (nothing changes, the
 * same report); and with every allocation of the call failing in turn
 * (BATON_ENOMEM, the instance's snapshot bytes as before the call). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton.h"
#include "scenario_lib.h"

/* ---- a failing allocator (as test_alloc_fail.c) ------------------- */

static long fail_at, counter;
static int armed, failed;

static int should_fail(void)
{
    if (!armed || ++counter != fail_at)
        return 0;
    failed = 1;
    return 1;
}

static void *alloc_fn(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    (void)old_size;
    if (!new_size) {
        free(ptr);
        return NULL;
    }
    return should_fail() ? NULL : realloc(ptr, new_size);
}

static void *json_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

/* ---- one play ----------------------------------------------------- */

typedef struct play {
    const char *dir;
    json_t *c; /* case.json */
    baton_engine *e;
    baton_model *from, *to;
    baton_instance *in;
    int64_t now;
    int recording;
    json_t *records; /* "VT INTENT ELEMENT" strings while recording */
    int to_version;
} play;

static int64_t clock_fn(void *ud)
{
    return ((play *)ud)->now;
}

static void record_fn(void *ud, baton_instance *in, const baton_record *r)
{
    (void)in;
    play *p = ud;
    if (!p->recording)
        return;
    char buf[256];
    snprintf(buf, sizeof buf, "%s %s %s",
             baton_value_type_name(baton_record_value_type(r)),
             baton_intent_name(baton_record_intent(r)),
             baton_record_element_id(r) ? baton_record_element_id(r) : "-");
    json_array_append_new(p->records, json_string(buf));
}

static int64_t time_of(const char *text)
{
    int64_t ms = 0;
    assert_int_equal(sc_parse_time(text, &ms), 0);
    return ms;
}

static char *vars_text(json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT) : NULL;
}

static void run(play *p)
{
    int rc = baton_instance_run(p->in, 0);
    if (rc < 0)
        fail_msg("run: %s", baton_engine_errmsg(p->e));
}

static baton_job *job_at(play *p, const char *element)
{
    for (size_t i = 0; i < baton_instance_job_count(p->in); i++) {
        baton_job *j = baton_instance_job(p->in, i);
        if (!strcmp(baton_job_element_id(j), element))
            return j;
    }
    fail_msg("no job waits at '%s'", element);
    return NULL;
}

static void act(play *p, json_t *a)
{
    const char *s;
    char *vars = vars_text(json_object_get(a, "variables"));
    int rc = 0;
    if ((s = json_string_value(json_object_get(a, "complete"))))
        rc = baton_instance_complete_job(p->in, baton_job_key(job_at(p, s)),
                                         vars, BATON_NUL);
    else if ((s = json_string_value(json_object_get(a, "throw"))))
        rc = baton_instance_throw_job_error(
            p->in, baton_job_key(job_at(p, s)),
            json_string_value(json_object_get(a, "code")), NULL);
    else if ((s = json_string_value(json_object_get(a, "correlate"))))
        rc = baton_instance_correlate_message(
            p->in, s, json_string_value(json_object_get(a, "key")), vars,
            BATON_NUL) == 1 ? 0 : -1;
    else if ((s = json_string_value(json_object_get(a, "signal"))))
        rc = baton_instance_signal(p->in, s, vars, BATON_NUL) >= 1 ? 0 : -1;
    else if ((s = json_string_value(json_object_get(a, "at"))))
        p->now = time_of(s);
    else
        fail_msg("%s: unknown action", p->dir);
    free(vars);
    if (rc)
        fail_msg("%s: action failed (%d): %s", p->dir, rc,
                 baton_engine_errmsg(p->e));
    run(p);
}

static void acts(play *p, const char *key)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(p->c, key), i, a)
        act(p, a);
}

static baton_model *load(play *p, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    baton_model *m = NULL;
    if (baton_model_load_file(p->e, path, &m))
        fail_msg("%s: %s", path, baton_engine_errmsg(p->e));
    return m;
}

/* The engine, the instance at its wait, and the target deployed. */
static void setup(play *p, const char *dir, json_t *c)
{
    memset(p, 0, sizeof *p);
    p->dir = dir;
    p->c = c;
    p->records = json_array();
    const char *now = json_string_value(json_object_get(c, "now"));
    p->now = time_of(now ? now : "2026-01-01T00:00:00Z");
    assert_int_equal(baton_engine_new(alloc_fn, NULL, &p->e), 0);
    baton_engine_set_clock(p->e, clock_fn, p);
    baton_engine_set_record_sink(p->e, record_fn, p);
    p->from = load(p, "from.bpmn");
    assert_int_equal(baton_engine_deploy(p->e, p->from, NULL, NULL), 0);
    char *vars = vars_text(json_object_get(c, "variables"));
    assert_int_equal(baton_instance_create(p->e, NULL, vars, BATON_NUL,
                                           &p->in), 0);
    free(vars);
    run(p);
    acts(p, "before");
    p->to = load(p, "to.bpmn");
    assert_int_equal(baton_engine_deploy(p->e, p->to, NULL, &p->to_version),
                     0);
}

static void teardown(play *p)
{
    baton_instance_free(p->in);
    baton_model_free(p->from);
    baton_model_free(p->to);
    baton_engine_free(p->e);
    json_decref(p->records);
}

typedef struct snap {
    void *data;
    size_t size;
} snap;

static snap take(play *p)
{
    snap s = { NULL, 0 };
    assert_int_equal(baton_instance_snapshot(p->in, &s.data, &s.size), 0);
    return s;
}

static void assert_same(snap a, snap b, const char *what)
{
    if (a.size != b.size || memcmp(a.data, b.data, a.size))
        fail_msg("%s: snapshot bytes differ", what);
}

static int migrate(play *p, int dry, char **report)
{
    size_t len = 0;
    char path[1024];
    snprintf(path, sizeof path, "%s/plan.json", p->dir);
    FILE *f = fopen(path, "rb");
    char *plan = NULL;
    if (f) {
        fclose(f);
        plan = sc_read_file(path, &len);
    }
    int rc = baton_instance_migrate(
        p->in, baton_model_process_id(p->to, 0), p->to_version, plan, len,
        dry, report);
    free(plan);
    return rc;
}

static void check_json(json_t *want, json_t *got, const char *what,
                       const char *dir)
{
    if (!json_equal(want, got)) {
        char *w = json_dumps(want, JSON_COMPACT);
        char *g = json_dumps(got, JSON_COMPACT);
        fail_msg("%s: %s\n want %s\n got  %s", dir, what, w, g);
    }
}

/* The report's moves as [[source, target], ...]. */
static json_t *pairs_of(json_t *report)
{
    json_t *out = json_array(), *m;
    size_t i;
    json_array_foreach(json_object_get(report, "moved"), i, m)
        json_array_append_new(out, json_pack("[OO]",
                              json_object_get(m, "sourceElementId"),
                              json_object_get(m, "targetElementId")));
    return out;
}

static json_t *parse(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

/* What a refused call must say: the reasons in the report, all of them
 * in the message, and nothing changed. */
static void check_refused(play *p, json_t *want)
{
    snap before = take(p);
    uint64_t rev = baton_instance_revision(p->in);
    char *report = NULL;
    p->recording = 1;
    assert_int_equal(migrate(p, 0, &report), BATON_EMIGRATE);
    assert_int_equal(baton_engine_errcode(p->e), BATON_EMIGRATE);
    json_t *r = parse(report);
    check_json(want, json_object_get(r, "refused"), "refused", p->dir);
    assert_int_equal(json_array_size(json_object_get(r, "moved")), 0);
    char msg[1024] = "the migration plan is refused: ";
    size_t i;
    json_t *x;
    json_array_foreach(want, i, x) {
        if (i)
            strcat(msg, "; ");
        strcat(msg, json_string_value(json_object_get(x, "reason")));
    }
    assert_string_equal(baton_engine_errmsg(p->e), msg);
    assert_string_equal(baton_engine_errelement(p->e),
                        json_string_value(json_object_get(
                            json_array_get(want, 0), "elementId")));
    /* A dry run says the same. */
    char *dry = NULL;
    assert_int_equal(migrate(p, 1, &dry), BATON_EMIGRATE);
    assert_string_equal(dry, report);
    snap after = take(p);
    assert_same(before, after, "a refused migration");
    assert_int_equal(baton_instance_revision(p->in), rev);
    assert_int_equal(json_array_size(p->records), 0);
    json_decref(r);
    baton_free(report);
    baton_free(dry);
    baton_free(before.data);
    baton_free(after.data);
}

/* The ELEMENT_COMPLETED records of `recs` as element ids. */
static json_t *completed_of(json_t *recs)
{
    json_t *out = json_array(), *r;
    size_t i;
    const char *pre = "PROCESS_INSTANCE ELEMENT_COMPLETED ";
    json_array_foreach(recs, i, r) {
        const char *s = json_string_value(r);
        if (!strncmp(s, pre, strlen(pre)))
            json_array_append_new(out, json_string(s + strlen(pre)));
    }
    return out;
}

typedef struct outcome {
    char *report;
    json_t *migrated; /* the call's records */
    json_t *future;   /* the records after it */
    snap moved_snap, end_snap;
} outcome;

static void outcome_free(outcome *o)
{
    baton_free(o->report);
    json_decref(o->migrated);
    json_decref(o->future);
    baton_free(o->moved_snap.data);
    baton_free(o->end_snap.data);
}

/* Migrates (after a dry run with `dry_first`; with a snapshot, free and
 * restore after the move with `restore`) and runs on to the end. */
static void play_on(play *p, int dry_first, int restore, outcome *o)
{
    memset(o, 0, sizeof *o);
    if (dry_first) {
        snap before = take(p);
        uint64_t rev = baton_instance_revision(p->in);
        char *dry = NULL;
        p->recording = 1;
        assert_int_equal(migrate(p, 1, &dry), 0);
        assert_int_equal(json_array_size(p->records), 0);
        snap after = take(p);
        assert_same(before, after, "a dry run");
        assert_int_equal(baton_instance_revision(p->in), rev);
        assert_string_equal(baton_instance_process_id(p->in),
                            baton_model_process_id(p->from, 0));
        o->report = dry;
        baton_free(before.data);
        baton_free(after.data);
    }
    json_array_clear(p->records);
    p->recording = 1;
    char *report = NULL;
    if (migrate(p, 0, &report))
        fail_msg("%s: %s", p->dir, baton_engine_errmsg(p->e));
    if (o->report) {
        assert_string_equal(o->report, report);
        baton_free(o->report);
    }
    o->report = report;
    assert_int_equal(baton_instance_process_version(p->in), p->to_version);
    o->migrated = json_deep_copy(p->records);
    json_array_clear(p->records);
    o->moved_snap = take(p);
    if (restore) {
        baton_instance_free(p->in);
        p->in = NULL;
        assert_int_equal(baton_instance_restore(p->e, o->moved_snap.data,
                                                o->moved_snap.size, &p->in),
                         0);
    }
    acts(p, "after");
    o->future = json_deep_copy(p->records);
    o->end_snap = take(p);
}

static void check_outcome(play *p, outcome *o)
{
    json_t *r = parse(o->report);
    json_t *want = json_object_get(p->c, "moved");
    json_t *got = pairs_of(r);
    if (want)
        check_json(want, got, "moved", p->dir);
    assert_int_equal(json_array_size(json_object_get(r, "refused")), 0);
    /* One MIGRATED record per move, at its target. */
    json_t *recs = json_array(), *m;
    size_t i;
    json_array_foreach(got, i, m) {
        char buf[256];
        snprintf(buf, sizeof buf, "PROCESS_INSTANCE MIGRATED %s",
                 json_string_value(json_array_get(m, 1)));
        json_array_append_new(recs, json_string(buf));
    }
    check_json(recs, o->migrated, "MIGRATED records", p->dir);
    json_t *done = completed_of(o->future);
    if ((want = json_object_get(p->c, "completed")))
        check_json(want, done, "completed", p->dir);
    assert_int_equal(baton_instance_state(p->in),
                     BATON_INSTANCE_COMPLETED);
    if ((want = json_object_get(p->c, "variables_end"))) {
        char *v = NULL;
        size_t len;
        assert_int_equal(baton_instance_variables(p->in, &v, &len), 0);
        json_t *got_v = parse(v);
        check_json(want, got_v, "variables_end", p->dir);
        json_decref(got_v);
        baton_free(v);
    }
    json_decref(done);
    json_decref(recs);
    json_decref(got);
    json_decref(r);
}

static void check_due(play *p)
{
    json_t *due = json_object_get(p->c, "due"), *m;
    size_t i;
    json_array_foreach(due, i, m) {
        const char *el = json_string_value(json_array_get(m, 0));
        int64_t at = time_of(json_string_value(json_array_get(m, 1)));
        int found = 0;
        for (size_t k = 0; k < baton_instance_subscription_count(p->in); k++)
            if (baton_instance_subscription_kind(p->in, k) == BATON_SUB_TIMER
                && !strcmp(baton_instance_subscription_element_id(p->in, k),
                           el)) {
                assert_int_equal(baton_instance_subscription_due(p->in, k),
                                 at);
                found = 1;
            }
        if (!found)
            fail_msg("%s: no timer at '%s' after the move", p->dir, el);
    }
}

/* Every allocation of the call failing in turn: BATON_ENOMEM and the
 * same snapshot bytes, until the call gets through; then the outcome of
 * the plain play. */
static void sweep(play *p, const outcome *ref, int refused)
{
    snap before = take(p);
    long points = 0;
    for (fail_at = 1;; fail_at++) {
        char *report = NULL;
        counter = 0;
        failed = 0;
        armed = 1;
        int rc = migrate(p, 0, &report);
        armed = 0;
        if (!failed) {
            assert_int_equal(rc, refused ? BATON_EMIGRATE : 0);
            if (!refused)
                assert_string_equal(report, ref->report);
            baton_free(report);
            break;
        }
        points++;
        if (rc != BATON_ENOMEM && rc != (refused ? BATON_EMIGRATE : 0))
            fail_msg("%s: allocation %ld failing gave %d", p->dir, fail_at,
                     rc);
        if (rc == BATON_ENOMEM) {
            assert_int_equal(baton_engine_errcode(p->e), BATON_ENOMEM);
            assert_null(report);
            snap now = take(p);
            assert_same(before, now, "a migration out of memory");
            baton_free(now.data);
        } else {
            /* The failure was met where it cannot change the outcome (a
             * cache): the call went through. */
            baton_free(report);
            break;
        }
    }
    if (!refused) {
        snap moved = take(p);
        assert_same(ref->moved_snap, moved, "after the sweep");
        baton_free(moved.data);
    }
    print_message("%s: %ld allocation points swept\n", p->dir, points);
    baton_free(before.data);
}

static void test_case(void **state)
{
    const char *const *nd = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/case.json", nd[1]);
    json_error_t err;
    json_t *c = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!c)
        fail_msg("%s: %s", path, err.text);
    json_t *refused = json_object_get(c, "refused");
    play p;
    if (refused) {
        setup(&p, nd[1], c);
        check_refused(&p, refused);
        sweep(&p, NULL, 1);
        teardown(&p);
        json_decref(c);
        return;
    }
    outcome o[4];
    for (int way = 0; way < 4; way++) {
        setup(&p, nd[1], c);
        if (way == 3) {
            /* Allocation failures first, then the future as always. */
            sweep(&p, &o[0], 0);
            teardown(&p);
            continue;
        }
        play_on(&p, way == 2, way == 1, &o[way]);
        if (way == 0) {
            check_outcome(&p, &o[0]);
        } else {
            assert_string_equal(o[way].report, o[0].report);
            check_json(o[0].migrated, o[way].migrated, "records", nd[1]);
            check_json(o[0].future, o[way].future, "future", nd[1]);
            assert_same(o[0].moved_snap, o[way].moved_snap, "moved");
            assert_same(o[0].end_snap, o[way].end_snap, "end");
        }
        teardown(&p);
    }
    /* The timers' due times, on a fresh play stopped after the move. */
    setup(&p, nd[1], c);
    char *report = NULL;
    assert_int_equal(migrate(&p, 0, &report), 0);
    check_due(&p);
    baton_free(report);
    teardown(&p);
    for (int way = 0; way < 3; way++)
        outcome_free(&o[way]);
    json_decref(c);
}

int main(void)
{
    json_set_alloc_funcs(json_malloc, free);
    return sc_run_cases("migration", "BATON_MIGRATION",
                        "tests/migration", "case.json", test_case);
}
