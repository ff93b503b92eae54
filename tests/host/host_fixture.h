/*
 * host_fixture.h - the cmocka fixture of the host's API tests: a host on
 * a fresh store of each kind, with a clock the test moves by hand. A
 * test file includes cmocka.h first, then this.
 */
#ifndef BATON_TEST_HOST_FIXTURE_H
#define BATON_TEST_HOST_FIXTURE_H

#include <stdint.h>

#include <jansson.h>

#include "baton_host.h"

typedef struct fixture {
    const char *kind; /* "sqlite" or "postgresql" */
    char uri[512];
    baton_host *h;
    int64_t now; /* the host's clock, from 2026-01-01T00:00:00Z */
} fixture;

/* The clock hook that reads `now` (ud is the fixture). */
int64_t fixture_clock(void *ud);

/* cmocka setups: a fresh store of one kind, opened, with the clock set;
 * none (the test skips) when that kind is not available. */
int fixture_setup_sqlite(void **state);
int fixture_setup_pg(void **state);
/* Closes the host and removes a SQLite store's files. */
int fixture_teardown(void **state);

/* Instance `key` with its history, parsed (baton_host_instance());
 * fails the test when the host refuses. json_decref() it. */
json_t *fixture_instance(fixture *f, uint64_t key);

/* Checks a call's status, showing the host's message when it differs. */
#define CHECK(f, call, want)                                                \
    do {                                                                    \
        int rc_ = (call);                                                   \
        if (rc_ != (want))                                                  \
            fail_msg("%s: %d, want %d: %s", #call, rc_, (int)(want),        \
                     baton_host_errmsg((f)->h));                            \
    } while (0)

/* The test's fixture, or a skip when its store kind is not available. */
#define FIXTURE(f)                                                          \
    fixture *f = *state;                                                    \
    if (!f)                                                                 \
        skip()

/* A test run on both stores. */
#define BOTH(fn)                                                            \
    cmocka_unit_test_setup_teardown(fn, fixture_setup_sqlite,               \
                                    fixture_teardown),                      \
    cmocka_unit_test_setup_teardown(fn, fixture_setup_pg, fixture_teardown)

#endif
