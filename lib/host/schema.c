/*
 * schema.c - the store's tables, created on first open and upgraded by
 * numbered migrations; docs/durable-host.md describes each table.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * One text serves both stores: "BIGINT" and "BYTEA"/"BLOB" are the only
 * words that differ, and SQLite takes BIGINT as an integer column. Keys
 * are 64-bit (instance keys stay below 2^63, see
 * baton_engine_set_next_instance()); times are milliseconds since the
 * Unix epoch.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"

#define SCHEMA_VERSION 2

/* Version 1. %s is the blob type. */
static const char schema_v1[] =
    "CREATE TABLE baton_meta ("
    " name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
    "INSERT INTO baton_meta (name, value) VALUES ('schema', 1),"
    " ('next_instance', 0), ('next_message', 0);"
    "CREATE TABLE baton_deployments ("
    " process_id TEXT NOT NULL, version INTEGER NOT NULL,"
    " checksum BIGINT NOT NULL, name TEXT, model TEXT NOT NULL,"
    " deployed BIGINT NOT NULL, PRIMARY KEY (process_id, version));"
    /* The start events of each process's latest version that the host
     * triggers: timers (with their next due time), messages, signals. */
    "CREATE TABLE baton_starts ("
    " process_id TEXT NOT NULL, version INTEGER NOT NULL,"
    " start_id TEXT NOT NULL, kind INTEGER NOT NULL, name TEXT,"
    " due BIGINT, since BIGINT, fired INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (process_id, start_id));"
    "CREATE INDEX baton_starts_due ON baton_starts (due)"
    " WHERE due IS NOT NULL;"
    "CREATE INDEX baton_starts_name ON baton_starts (kind, name);"
    "CREATE TABLE baton_instances ("
    " key BIGINT PRIMARY KEY, process_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, state TEXT NOT NULL,"
    " revision BIGINT NOT NULL, snapshot %s NOT NULL, business_key TEXT,"
    " start_key TEXT, created BIGINT NOT NULL, updated BIGINT NOT NULL,"
    " ended BIGINT, wake_at BIGINT, ready INTEGER NOT NULL DEFAULT 0,"
    " error TEXT, indexed INTEGER NOT NULL DEFAULT 31);"
    "CREATE INDEX baton_instances_wake ON baton_instances (wake_at)"
    " WHERE wake_at IS NOT NULL;"
    "CREATE INDEX baton_instances_ready ON baton_instances (ready)"
    " WHERE ready = 1;"
    "CREATE INDEX baton_instances_state ON baton_instances (state, key);"
    "CREATE INDEX baton_instances_process ON baton_instances"
    " (process_id, version, state);"
    "CREATE INDEX baton_instances_ended ON baton_instances (ended)"
    " WHERE ended IS NOT NULL;"
    "CREATE TABLE baton_jobs ("
    " key BIGINT PRIMARY KEY, instance_key BIGINT NOT NULL,"
    " type TEXT NOT NULL, element_id TEXT NOT NULL, process_id TEXT NOT NULL,"
    " retries INTEGER NOT NULL, variables TEXT NOT NULL, headers TEXT NOT NULL,"
    " worker TEXT, lock_until BIGINT, gen BIGINT NOT NULL);"
    "CREATE INDEX baton_jobs_type ON baton_jobs (type, lock_until);"
    "CREATE INDEX baton_jobs_instance ON baton_jobs (instance_key);"
    "CREATE TABLE baton_timers ("
    " key BIGINT PRIMARY KEY, instance_key BIGINT NOT NULL,"
    " element_id TEXT NOT NULL, due BIGINT NOT NULL, gen BIGINT NOT NULL);"
    "CREATE INDEX baton_timers_due ON baton_timers (due);"
    "CREATE INDEX baton_timers_instance ON baton_timers (instance_key);"
    "CREATE TABLE baton_message_subs ("
    " key BIGINT PRIMARY KEY, instance_key BIGINT NOT NULL,"
    " element_id TEXT NOT NULL, name TEXT NOT NULL, correlation_key TEXT,"
    " gen BIGINT NOT NULL);"
    "CREATE INDEX baton_message_subs_name ON baton_message_subs"
    " (name, correlation_key);"
    "CREATE INDEX baton_message_subs_instance ON baton_message_subs"
    " (instance_key);"
    "CREATE TABLE baton_signal_subs ("
    " key BIGINT PRIMARY KEY, instance_key BIGINT NOT NULL,"
    " element_id TEXT NOT NULL, name TEXT NOT NULL, gen BIGINT NOT NULL);"
    "CREATE INDEX baton_signal_subs_name ON baton_signal_subs (name);"
    "CREATE INDEX baton_signal_subs_instance ON baton_signal_subs"
    " (instance_key);"
    "CREATE TABLE baton_messages ("
    " key BIGINT PRIMARY KEY, name TEXT NOT NULL, correlation_key TEXT,"
    " message_id TEXT, variables TEXT, published BIGINT NOT NULL,"
    " expires BIGINT NOT NULL);"
    "CREATE INDEX baton_messages_name ON baton_messages"
    " (name, correlation_key);"
    "CREATE UNIQUE INDEX baton_messages_id ON baton_messages"
    " (name, message_id) WHERE message_id IS NOT NULL;"
    "CREATE INDEX baton_messages_expires ON baton_messages (expires);"
    "CREATE TABLE baton_message_correlations ("
    " message_key BIGINT NOT NULL, instance_key BIGINT NOT NULL,"
    " PRIMARY KEY (message_key, instance_key));"
    "CREATE TABLE baton_incidents ("
    " key BIGINT PRIMARY KEY, instance_key BIGINT NOT NULL,"
    " element_id TEXT, type TEXT NOT NULL, message TEXT, job_key BIGINT,"
    " created BIGINT NOT NULL, gen BIGINT NOT NULL);"
    "CREATE INDEX baton_incidents_instance ON baton_incidents"
    " (instance_key);"
    /* The records of one run of one instance per row, as a JSON array:
     * one insert per change however many records it made. */
    "CREATE TABLE baton_history ("
    " instance_key BIGINT NOT NULL, position BIGINT NOT NULL,"
    " last_position BIGINT NOT NULL, records TEXT NOT NULL,"
    " PRIMARY KEY (instance_key, position));";

/* Version 2: counters (metrics.c; name and two labels, spread over a few
 * shards per counter), and indexes that let a filtered listing of
 * instances read one page in key order (find.c). */
static const char schema_v2[] =
    "CREATE TABLE baton_metrics ("
    " name TEXT NOT NULL, label1 TEXT NOT NULL, label2 TEXT NOT NULL,"
    " shard INTEGER NOT NULL, value BIGINT NOT NULL,"
    " PRIMARY KEY (name, label1, label2, shard));"
    /* Partial: an instance without a business key costs it nothing
     * (`business_key = $1` implies the condition, so both stores use
     * it). */
    "CREATE INDEX baton_instances_business ON baton_instances"
    " (business_key, key) WHERE business_key IS NOT NULL;"
    "CREATE INDEX baton_instances_process_key ON baton_instances"
    " (process_id, key);"
    "CREATE INDEX baton_instances_version_key ON baton_instances"
    " (process_id, version, key);"
    "UPDATE baton_meta SET value = 2 WHERE name = 'schema';";

/* The migrations, each from the version before it. */
static const char *const migrations[] = {NULL, NULL, schema_v2};

static int migrate(baton_host *h, int from)
{
    for (int v = from + 1; v <= SCHEMA_VERSION; v++) {
        int rc = db_exec(h->db, migrations[v]);
        if (rc < 0)
            return bh_db_fail(h, rc, "upgrading the store's tables");
        h->schema = v;
    }
    return 0;
}

static int exists(baton_host *h, int *yes)
{
    db_stmt *s = db_prepare(h->db, db_kind(h->db) == DB_PG
        ? "SELECT COUNT(*) FROM pg_catalog.pg_tables "
          "WHERE tablename = 'baton_meta' AND schemaname = current_schema()"
        : "SELECT COUNT(*) FROM sqlite_master "
          "WHERE type = 'table' AND name = 'baton_meta'");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "reading the schema");
    int rc = db_step(s);
    *yes = rc == DB_ROW && db_col_int64(s, 0) > 0;
    db_done(s);
    return rc < 0 ? bh_db_fail(h, rc, "reading the schema") : 0;
}

static int read_version(baton_host *h)
{
    db_stmt *s = db_prepare(h->db,
        "SELECT value FROM baton_meta WHERE name = 'schema'");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "reading the schema");
    int rc = db_step(s);
    h->schema = rc == DB_ROW ? (int)db_col_int64(s, 0) : 0;
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "reading the schema version");
    if (h->schema <= 0)
        return bh_fail(h, BATON_HOST_ESCHEMA,
                       "the store has no schema version: not a Baton store");
    return 0;
}

static int create(baton_host *h)
{
    const char *blob = db_kind(h->db) == DB_PG ? "BYTEA" : "BLOB";
    size_t n = sizeof schema_v1 + 16;
    char *sql = malloc(n);
    if (!sql)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    snprintf(sql, n, schema_v1, blob);
    int rc = db_exec(h->db, sql);
    free(sql);
    if (rc < 0)
        return bh_db_fail(h, rc, "creating the tables");
    if (db_kind(h->db) == DB_PG) {
        rc = db_exec(h->db, "CREATE SEQUENCE baton_instance_seq "
                     "MINVALUE 1 MAXVALUE 2147483647");
        if (rc < 0)
            return bh_db_fail(h, rc, "creating the tables");
    }
    return migrate(h, 1);
}

/* Creates the tables, or checks and upgrades them, in one transaction
 * that concurrent openers take in turn. */
static int open_tx(baton_host *h, void *arg)
{
    (void)arg;
    if (db_kind(h->db) == DB_PG) {
        int rc = db_exec(h->db, "SELECT pg_advisory_xact_lock(66051966)");
        if (rc < 0)
            return bh_db_fail(h, rc, "locking the schema");
    }
    int yes = 0;
    int rc = exists(h, &yes);
    if (rc)
        return rc;
    if (!yes)
        return create(h);
    rc = read_version(h);
    if (rc)
        return rc;
    if (h->schema > SCHEMA_VERSION)
        return bh_fail(h, BATON_HOST_ESCHEMA,
                       "the store has schema version %d, written by a newer "
                       "Baton; this one knows versions up to %d",
                       h->schema, SCHEMA_VERSION);
    /* Every migration from h->schema to SCHEMA_VERSION, in this
     * transaction: a store upgrades whole or not at all. */
    return migrate(h, h->schema);
}

int bh_schema_open(baton_host *h)
{
    return bh_retry(h, open_tx, NULL);
}

int baton_host_schema_version(void)
{
    return SCHEMA_VERSION;
}
