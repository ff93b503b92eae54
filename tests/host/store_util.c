/*
 * store_util.c - fresh stores for the durable host's tests.
 */
#define _POSIX_C_SOURCE 200809L
#include "store_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

int store_have_pg(void)
{
    const char *pg = getenv("BATON_TEST_PG");
    return pg && *pg;
}

static unsigned counter;

int store_fresh(const char *kind, char *buf, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned id = (unsigned)getpid() * 1000u + counter++;
    if (strcmp(kind, "sqlite") == 0) {
        const char *dir = getenv("TMPDIR");
        snprintf(buf, n, "sqlite:%s/baton-test-%u-%ld.db", dir ? dir : "/tmp",
                 id, (long)ts.tv_nsec);
        remove(buf + 7);
        return 0;
    }
    if (!store_have_pg())
        return -1;
    /* A schema of its own, selected through libpq's options parameter. */
    const char *base = getenv("BATON_TEST_PG");
    PGconn *c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect to %s: %s", base, PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE SCHEMA bt_%u_%ld", id,
             (long)(ts.tv_nsec % 100000));
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    if (!ok)
        return -1;
    snprintf(buf, n, "%s%soptions=-csearch_path%%3D%s", base,
             strchr(base, '?') ? "&" : "?", sql + strlen("CREATE SCHEMA "));
    return 0;
}

char *store_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        if (len)
            *len = (size_t)size;
    }
    return buf;
}
