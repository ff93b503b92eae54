/* Allocation-failure sweep over every scenario of tests/scenarios, as
 * nghttp2's failmalloc test does. Each scenario is played once for
 * reference, then again and again with the k-th allocation failing, for
 * every k up to the number of allocations the play makes (the engine's
 * and jansson's, from creating the engine to the last command), in each
 * of the three ways test_scenarios plays it: in-process handlers, the
 * host fetching jobs, and a snapshot, free and restore at every stop.
 *
 * The call that meets the failure must return BATON_ENOMEM with the
 * engine's last error saying so, and leave things as they were: nothing
 * written out by a constructor (engine, model, instance); an instance's
 * snapshot bytes unchanged by a failed command or snapshot; and for
 * baton_instance_run(), whose steps before the failed one stay done, the
 * bytes the reference had at the same revision. The driver then makes the
 * same call again, finishes the scenario, and must see exactly the
 * reference's records (as JSON) and end snapshot. Every block allocated
 * during a play is freed by its end.
 *
 * `meson test alloc_fail` prints, per scenario and way, the number of
 * allocation points swept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton.h"
#include "scenario_lib.h"

/* ------------------------------------------------------------------ */
/* The failing allocator                                               */
/* ------------------------------------------------------------------ */

static long fail_at; /* the allocation to refuse, counted from 1; 0: none */
static long counter; /* allocations made while armed */
static int armed;    /* inside a call of the script */
static int failed;   /* the allocation fail_at was refused */
static long live;    /* blocks allocated and not yet freed */

static int should_fail(void)
{
    if (!armed)
        return 0;
    if (++counter != fail_at)
        return 0;
    failed = 1;
    return 1;
}

static void *alloc_fn(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    (void)old_size;
    if (new_size == 0) {
        if (ptr)
            live--;
        free(ptr);
        return NULL;
    }
    if (should_fail())
        return NULL;
    void *p = realloc(ptr, new_size);
    if (p && !ptr)
        live++;
    return p;
}

/* jansson's allocations, the library's included, go through here too. */
static void *json_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = malloc(n);
    if (p)
        live++;
    return p;
}

static void json_free_fn(void *p)
{
    if (p)
        live--;
    free(p);
}

/* ------------------------------------------------------------------ */
/* Reference and sweep                                                 */
/* ------------------------------------------------------------------ */

typedef struct bytes {
    void *p;
    size_t n;
} bytes;

typedef struct sweep {
    bytes *at_revision; /* the reference instance's snapshot per revision */
    size_t n_revisions;
    long absorbed;      /* failed allocations a call succeeded despite */
    int saved_armed;
} sweep;

static bytes snapshot(baton_instance *in)
{
    int was = armed;
    armed = 0;
    bytes b;
    assert_int_equal(baton_instance_snapshot(in, &b.p, &b.n), 0);
    armed = was;
    return b;
}

static void quiet(sc_run *r, int on)
{
    sweep *sw = r->ud;
    if (on) {
        sw->saved_armed = armed;
        armed = 0;
    } else {
        armed = sw->saved_armed;
    }
}

/* What a handler read must be a JSON object, even when an allocation
 * failed on the way. */
static int check_vars(sc_run *r, const char *vars)
{
    quiet(r, 1);
    json_t *v = json_loads(vars, 0, NULL);
    int ok = json_is_object(v);
    json_decref(v);
    quiet(r, 0);
    if (!ok)
        fail_msg("%s: allocation %ld: the handler read '%s'", r->sc->name,
                 fail_at, vars);
    return 0;
}

static void keep_revision(sweep *sw, baton_instance *in)
{
    uint64_t rev = baton_instance_revision(in);
    if (rev >= sw->n_revisions) {
        size_t n = (size_t)rev + 1;
        sw->at_revision = realloc(sw->at_revision, n * sizeof *sw->at_revision);
        assert_non_null(sw->at_revision);
        memset(sw->at_revision + sw->n_revisions, 0,
               (n - sw->n_revisions) * sizeof *sw->at_revision);
        sw->n_revisions = n;
    }
    bytes b = snapshot(in);
    bytes *have = &sw->at_revision[rev];
    if (have->p) {
        /* The same revision again (a restore): the same bytes. */
        assert_int_equal(have->n, b.n);
        assert_memory_equal(have->p, b.p, b.n);
        baton_free(b.p);
    } else {
        *have = b;
    }
}

/* The reference: runs one step at a time to keep the snapshot of every
 * revision, for comparing with a run that failed part way. */
static int reference_call(sc_run *r, sc_call *c)
{
    sweep *sw = r->ud;
    int rc;
    if (c->op == SC_RUN) {
        size_t steps = 0;
        do {
            rc = baton_instance_step(r->in);
            if (rc >= 0)
                keep_revision(sw, r->in);
        } while (rc == BATON_STEP_READY && ++steps < 100000);
    } else {
        rc = sc_exec(r, c);
    }
    if (rc >= 0 && r->in)
        keep_revision(sw, r->in);
    return rc;
}

static void expect_same(const sc_run *r, const char *what, bytes a, bytes b)
{
    if (a.n != b.n || memcmp(a.p, b.p, a.n))
        fail_msg("%s: allocation %ld: after %s the snapshot differs (%zu "
                 "bytes, want %zu)",
                 r->sc->name, fail_at, what, a.n, b.n);
}

/* A call of the script while the k-th allocation is due to fail. */
static int sweep_call(sc_run *r, sc_call *c)
{
    sweep *sw = r->ud;
    const char *what = sc_op_name(c->op);
    int on_instance = r->in && (sc_op_changes_instance(c->op) ||
                                c->op == SC_SNAPSHOT);
    bytes before = { NULL, 0 };
    uint64_t rev = 0;
    if (on_instance && !failed) {
        rev = baton_instance_revision(r->in);
        before = snapshot(r->in);
    }
    int was_failed = failed;
    armed = 1;
    int rc = sc_exec(r, c);
    armed = 0;
    if (failed && !was_failed) {
        if (rc >= 0) {
            /* Allowed, as long as everything still comes out the same. */
            sw->absorbed++;
        } else {
            if (rc != BATON_ENOMEM)
                fail_msg("%s: allocation %ld failed in %s, which returned "
                         "%d (%s)",
                         r->sc->name, fail_at, what, rc,
                         r->e ? baton_engine_errmsg(r->e) : "");
            if (c->op == SC_ENGINE_NEW)
                assert_null(r->e);
            else
                assert_int_equal(baton_engine_errcode(r->e), BATON_ENOMEM);
            if (c->op == SC_LOAD)
                assert_null(c->model);
            if (c->op == SC_CREATE || c->op == SC_RESTORE_OP)
                assert_null(r->in);
            if (c->op == SC_RUN) {
                /* The steps before the failed one stay done. */
                uint64_t now = baton_instance_revision(r->in);
                assert_true(now >= rev);
                if (now >= sw->n_revisions || !sw->at_revision[now].p)
                    fail_msg("%s: allocation %ld: the reference never had "
                             "revision %llu",
                             r->sc->name, fail_at, (unsigned long long)now);
                bytes b = snapshot(r->in);
                expect_same(r, what, b, sw->at_revision[now]);
                baton_free(b.p);
                /* The failed step's handler calls are undone with it. */
                sc_rollback(r, now);
            } else if (on_instance) {
                assert_int_equal(baton_instance_revision(r->in), rev);
                bytes b = snapshot(r->in);
                expect_same(r, what, b, before);
                baton_free(b.p);
            }
            /* Again, and this time nothing fails. */
            armed = 1;
            rc = sc_exec(r, c);
            armed = 0;
        }
    }
    baton_free(before.p);
    return rc;
}

static void setup_run(sc_run *r, const scenario *sc, sc_mode mode,
                      sweep *sw, int (*call)(sc_run *, sc_call *))
{
    sc_run_init(r, sc, mode);
    r->alloc = alloc_fn;
    r->call = call;
    r->quiet = quiet;
    r->vars = check_vars;
    r->ud = sw;
    r->tolerate_enomem = 1;
}

static long sweep_mode(const scenario *sc, sc_mode mode)
{
    static const char *const names[] = { "handlers", "fetching",
                                         "restoring" };
    clock_t t0 = clock();
    sweep sw = { 0 };
    sc_run ref;
    setup_run(&ref, sc, mode, &sw, reference_call);
    fail_at = 0;
    sc_play(&ref);
    bytes ref_end = snapshot(ref.in);
    long before_plays = live;

    long k;
    for (k = 1;; k++) {
        sc_run r;
        setup_run(&r, sc, mode, &sw, sweep_call);
        fail_at = k;
        counter = 0;
        failed = 0;
        sc_play(&r);
        fail_at = 0;
        /* As if nothing had happened. */
        if (r.n_records != ref.n_records)
            fail_msg("%s: allocation %ld: %zu records, want %zu", sc->name, k,
                     r.n_records, ref.n_records);
        for (size_t i = 0; i < r.n_records; i++)
            if (strcmp(r.records[i], ref.records[i]))
                fail_msg("%s: allocation %ld: record %zu is\n%s\nwant\n%s",
                         sc->name, k, i, r.records[i], ref.records[i]);
        bytes end = snapshot(r.in);
        expect_same(&r, "the end", end, ref_end);
        baton_free(end.p);
        sc_run_clear(&r);
        if (live != before_plays)
            fail_msg("%s: allocation %ld: %ld blocks leaked", sc->name, k,
                     live - before_plays);
        if (!failed)
            break; /* k is past the last allocation */
    }
    long points = k - 1;
    print_message("%-44s %-9s %5ld allocation points, %.2f s", sc->name,
                  names[mode], points,
                  (double)(clock() - t0) / CLOCKS_PER_SEC);
    if (sw.absorbed)
        print_message(", %ld absorbed", sw.absorbed);
    print_message("\n");
    /* A play without allocations would mean the sweep is not hooked. */
    assert_true(points > 20);

    baton_free(ref_end.p);
    sc_run_clear(&ref);
    for (size_t i = 0; i < sw.n_revisions; i++)
        baton_free(sw.at_revision[i].p);
    free(sw.at_revision);
    return points;
}

static void test_sweep(void **state)
{
    const char *const *c = *state; /* name, folder */
    scenario *sc = sc_load(c[1], c[0]);
    long base = live;
    sweep_mode(sc, SC_HANDLER);
    sweep_mode(sc, SC_FETCH);
    sweep_mode(sc, SC_RESTORE);
    assert_int_equal(live, base);
    sc_free(sc);
}

int main(void)
{
    json_set_alloc_funcs(json_malloc, json_free_fn);
    return sc_run_cases("alloc_fail", "BATON_SCENARIOS", "tests/scenarios",
                        "scenario.json", test_sweep);
}
