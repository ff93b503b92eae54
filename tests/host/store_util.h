/*
 * store_util.h - fresh stores for the durable host's tests: a new SQLite
 * file, or a new schema in the PostgreSQL server of tests/pg/with_pg.sh
 * (BATON_TEST_PG).
 */
#ifndef BATON_TEST_STORE_UTIL_H
#define BATON_TEST_STORE_UTIL_H

#include <stddef.h>

/* Writes the URI of a fresh, empty store of `kind` ("sqlite" or
 * "postgresql") into buf. Returns 0, or -1 when that kind is not
 * available (PostgreSQL without BATON_TEST_PG). */
int store_fresh(const char *kind, char *buf, size_t n);
/* Whether PostgreSQL tests can run. */
int store_have_pg(void);
/* Reads a whole file (tests/models, examples); free() it. */
char *store_read_file(const char *path, size_t *len);

#endif
