/* Every corpus model that loads is also run, through the public API:
 * each executable process from each of its start events (the none start
 * event, or, without one, wherever it starts), with a host that
 * completes every job it finds and moves the clock to the next due time,
 * for a few rounds, snapshotting and restoring the instance after every
 * run. Nothing may fail but what a real host would see (an incident, a
 * budget used up by a model that loops without waiting), a restored
 * instance must snapshot to the same bytes, and in the sanitizer build
 * nothing may leak or touch memory it should not. The counts of how the
 * instances ended are printed; they change as the engine learns more, so
 * they are not judged (an instance that completed must hold no job). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baton.h"
#include "corpus_files.h"

#define ROUNDS 12
#define BUDGET 20000

static const char *corpus;
static char **files;
static size_t n_files;

static int64_t now_ms;

static int64_t clock_fn(void *ud)
{
    (void)ud;
    return now_ms;
}

typedef struct tally {
    size_t runs, completed, terminated, waiting, stuck, incidents, budget;
} tally;

/* The instance's own snapshot restores, and snapshots to the same bytes;
 * the restored instance replaces it. */
static void round_trip(baton_engine *e, baton_instance **in, const char *rel)
{
    void *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    baton_instance *back = NULL;
    if (baton_instance_snapshot(*in, &a, &na) ||
        baton_instance_restore(e, a, na, &back) ||
        baton_instance_snapshot(back, &b, &nb))
        fail_msg("%s: snapshot round trip: %s", rel, baton_engine_errmsg(e));
    if (na != nb || memcmp(a, b, na) != 0)
        fail_msg("%s: a restored instance snapshots to other bytes", rel);
    baton_free(a);
    baton_free(b);
    baton_instance_free(*in);
    *in = back;
}

/* Runs one instance as a simple host would, then says how it ended. */
static void drive(baton_engine *e, baton_instance *in, const char *rel,
                  tally *t)
{
    int rc = 0;
    for (int r = 0; r < ROUNDS; r++) {
        rc = baton_instance_run(in, BUDGET);
        if (rc != BATON_STEP_WAITING && rc != BATON_STEP_ENDED &&
            rc != BATON_EBUDGET)
            fail_msg("%s: run: %d %s", rel, rc, baton_engine_errmsg(e));
        round_trip(e, &in, rel);
        if (rc != BATON_STEP_WAITING)
            break;
        /* Every job the instance waits on, completed without variables
         * (its key taken first: completing one changes the list). */
        size_t n = baton_instance_job_count(in);
        uint64_t *keys = calloc(n + 1, sizeof *keys);
        assert_non_null(keys);
        for (size_t i = 0; i < n; i++)
            keys[i] = baton_job_key(baton_instance_job(in, i));
        for (size_t i = 0; i < n; i++) {
            int c = baton_instance_complete_job(in, keys[i], "{}", 2);
            if (c != BATON_OK && c != BATON_ENOTFOUND && c != BATON_ESTATE)
                fail_msg("%s: complete_job: %d %s", rel, c,
                         baton_engine_errmsg(e));
        }
        free(keys);
        int64_t due;
        int d = baton_instance_next_due(in, &due);
        if (d < 0)
            fail_msg("%s: next_due: %d", rel, d);
        if (d == 1 && due > now_ms)
            now_ms = due;
    }
    t->runs++;
    int state = baton_instance_state(in);
    if (rc == BATON_EBUDGET) {
        t->budget++;
    } else if (state == BATON_INSTANCE_COMPLETED) {
        assert_int_equal(baton_instance_job_count(in), 0);
        t->completed++;
    } else if (state == BATON_INSTANCE_TERMINATED) {
        t->terminated++;
    } else if (baton_instance_incident_count(in)) {
        t->incidents++;
    } else {
        /* Waiting: on a job, a subscription or a due time, or on nothing
         * any more (a parallel join that a boundary event's path leads
         * to, in some models: its other token never comes). */
        int64_t due;
        if (!baton_instance_job_count(in) &&
            !baton_instance_subscription_count(in) &&
            baton_instance_next_due(in, &due) != 1)
            t->stuck++;
        else
            t->waiting++;
    }
    baton_instance_free(in);
}

static void run_model(const char *path, tally *t, size_t *models)
{
    const char *rel = path + strlen(corpus) + 1;
    baton_engine *e = NULL;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), BATON_OK);
    baton_engine_set_clock(e, clock_fn, NULL);
    baton_model *m = NULL;
    if (baton_model_load_file(e, path, &m) != BATON_OK) {
        baton_engine_free(e);
        return; /* refused: test_corpus checks how */
    }
    (*models)++;
    /* Every executable process first, so that call activities find the
     * processes of the model they call. */
    for (size_t p = 0; p < baton_model_process_count(m); p++) {
        const char *pid = baton_model_process_id(m, p);
        if (baton_model_process_executable(m, p) &&
            baton_engine_deploy(e, m, pid, NULL) != BATON_OK)
            fail_msg("%s: deploy %s: %s", rel, pid, baton_engine_errmsg(e));
    }
    for (size_t p = 0; p < baton_model_process_count(m); p++) {
        if (!baton_model_process_executable(m, p))
            continue;
        const char *pid = baton_model_process_id(m, p);
        /* Its plain start, then each start event by id. */
        size_t n_starts = baton_model_start_count(m, p);
        for (size_t s = 0; s <= n_starts; s++) {
            now_ms = 1767225600000LL; /* 2026-01-01T00:00:00Z */
            baton_instance *in = NULL;
            int rc = s == 0 ? baton_instance_create(e, pid, "{}", 2, &in)
                            : baton_instance_create_at(
                                  e, pid, baton_model_start_id(m, p, s - 1),
                                  "{}", 2, &in);
            if (rc == BATON_ENOTFOUND && s == 0)
                continue; /* no plain start: only its start events */
            if (rc != BATON_OK)
                fail_msg("%s: create %s: %d %s", rel, pid, rc,
                         baton_engine_errmsg(e));
            drive(e, in, rel, t);
        }
    }
    baton_model_free(m);
    baton_engine_free(e);
}

static void every_model_runs(void **state)
{
    (void)state;
    tally t;
    memset(&t, 0, sizeof t);
    size_t models = 0;
    for (size_t i = 0; i < n_files; i++)
        run_model(files[i], &t, &models);
    printf("corpus run: %zu models, %zu instances: %zu completed, %zu "
           "terminated, %zu waiting, %zu waiting for nothing, %zu with an "
           "incident, %zu out of budget\n",
           models, t.runs, t.completed, t.terminated, t.waiting, t.stuck,
           t.incidents, t.budget);
    assert_true(models > 100);
    assert_true(t.completed > 50);
}

int main(void)
{
    if (corpus_files(&corpus, &files, &n_files))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_model_runs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    corpus_files_free(files, n_files);
    return rc;
}
