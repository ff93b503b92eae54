/*
 * host_fixture.c - the cmocka fixture of the host's API tests
 * (host_fixture.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host_fixture.h"
#include "store_util.h"

int64_t fixture_clock(void *ud)
{
    return ((fixture *)ud)->now;
}

static int setup(void **state, const char *kind)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->kind = kind;
    if (store_fresh(kind, f->uri, sizeof f->uri) != 0) {
        free(f);
        *state = NULL;
        return 0;
    }
    int rc = baton_host_open(f->uri, &f->h);
    if (rc)
        fprintf(stderr, "open %s: %s\n", f->uri, baton_host_errmsg(f->h));
    assert_int_equal(rc, BATON_OK);
    f->now = 1767225600000; /* 2026-01-01T00:00:00Z */
    baton_host_set_clock(f->h, fixture_clock, f);
    *state = f;
    return 0;
}

int fixture_setup_sqlite(void **state)
{
    return setup(state, "sqlite");
}

int fixture_setup_pg(void **state)
{
    return setup(state, "postgresql");
}

int fixture_teardown(void **state)
{
    fixture *f = *state;
    if (f) {
        baton_host_close(f->h);
        if (strcmp(f->kind, "sqlite") == 0) {
            char path[600];
            remove(f->uri + 7);
            snprintf(path, sizeof path, "%s-wal", f->uri + 7);
            remove(path);
            snprintf(path, sizeof path, "%s-shm", f->uri + 7);
            remove(path);
        }
        free(f);
    }
    return 0;
}

json_t *fixture_instance(fixture *f, uint64_t key)
{
    char *out = NULL;
    int rc = baton_host_instance(f->h, key, 1, &out);
    if (rc)
        fail_msg("instance %llu: %s", (unsigned long long)key,
                 baton_host_errmsg(f->h));
    json_t *doc = json_loads(out, 0, NULL);
    baton_host_free(out);
    assert_non_null(doc);
    return doc;
}
