/*
 * deploy.c - deployments: each executable process of a document becomes
 * the next version of its id unless the latest has the same identity
 * (baton_model_checksum(): a reformatted document is the same version,
 * and the stored text stays the one its instances were started with),
 * and the start events of the latest versions are scheduled.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "host_int.h"

typedef struct deploy_arg {
    const char *xml;
    size_t len;
    const char *name;
    baton_model *model;
    json_t *result;
} deploy_arg;

static int schedule_starts(baton_host *h, baton_model *m, size_t p,
                           const char *pid, int version)
{
    db_stmt *s = db_prepare(h->db,
        "DELETE FROM baton_starts WHERE process_id = $1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "scheduling start events");
    db_bind_text(s, 1, pid, strlen(pid));
    int rc = db_step(s);
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "scheduling start events");
    size_t n = baton_model_start_count(m, p);
    for (size_t i = 0; i < n; i++) {
        int kind = baton_model_start_kind(m, p, i);
        if (kind == BATON_START_NONE)
            continue;
        int64_t due = 0;
        int has_due = 0;
        if (kind == BATON_START_TIMER) {
            has_due = baton_model_start_next_due(m, p, i, bh_now(h), 0, &due);
            if (has_due < 0)
                return bh_fail(h, has_due, "scheduling a timer start event");
            if (!has_due)
                continue;
        }
        s = db_prepare(h->db,
            "INSERT INTO baton_starts (process_id, version, start_id, kind, "
            "name, due, since, fired) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)");
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "scheduling start events");
        const char *id = baton_model_start_id(m, p, i);
        const char *name = baton_model_start_name(m, p, i);
        db_bind_text(s, 1, pid, strlen(pid));
        db_bind_int64(s, 2, version);
        db_bind_text(s, 3, id, strlen(id));
        db_bind_int64(s, 4, kind);
        if (name)
            db_bind_text(s, 5, name, strlen(name));
        else
            db_bind_null(s, 5);
        if (has_due)
            db_bind_int64(s, 6, due);
        else
            db_bind_null(s, 6);
        db_bind_int64(s, 7, bh_now(h));
        rc = db_step(s);
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "scheduling start events");
    }
    return 0;
}

/* 1 when the latest version's stored document has identity `id`, 0 when
 * not, BATON_ENOMEM. The checksum column holds the identity from the
 * first deployment made with identities on; before, it held the checksum
 * of the bytes, so a row that does not match is decided by the identity
 * of its stored text (a text this library no longer loads is another
 * model). */
static int same_as_stored(baton_host *h, db_stmt *s, int64_t id)
{
    if (db_col_int64(s, 1) == id)
        return 1;
    size_t len;
    const char *xml = db_col_text(s, 2, &len);
    baton_model *m = NULL;
    int rc = xml ? baton_model_load(h->engine, xml, len, NULL, &m)
                 : BATON_EMODEL;
    if (rc == BATON_ENOMEM)
        return rc;
    if (rc)
        return 0;
    int same = (int64_t)baton_model_checksum(m) == id;
    baton_model_free(m);
    return same;
}

static int deploy_one(baton_host *h, deploy_arg *a, size_t p)
{
    baton_model *m = a->model;
    const char *pid = baton_model_process_id(m, p);
    int64_t checksum = (int64_t)baton_model_checksum(m);
    db_stmt *s = db_prepare(h->db,
        "SELECT version, checksum, model FROM baton_deployments "
        "WHERE process_id = $1 ORDER BY version DESC LIMIT 1");
    if (!s)
        return bh_db_fail(h, DB_ENOMEM, "deploying");
    db_bind_text(s, 1, pid, strlen(pid));
    int rc = db_step(s);
    int latest = 0, same = 0;
    if (rc == DB_ROW) {
        latest = (int)db_col_int64(s, 0);
        same = same_as_stored(h, s, checksum);
    }
    db_done(s);
    if (rc < 0)
        return bh_db_fail(h, rc, "deploying");
    if (same < 0)
        return bh_fail(h, same, "out of memory");
    int is_new = !latest || !same;
    int version = is_new ? latest + 1 : latest;
    if (is_new) {
        s = db_prepare(h->db,
            "INSERT INTO baton_deployments (process_id, version, checksum, "
            "name, model, deployed) VALUES ($1, $2, $3, $4, $5, $6)");
        if (!s)
            return bh_db_fail(h, DB_ENOMEM, "deploying");
        db_bind_text(s, 1, pid, strlen(pid));
        db_bind_int64(s, 2, version);
        db_bind_int64(s, 3, checksum);
        if (a->name)
            db_bind_text(s, 4, a->name, strlen(a->name));
        else
            db_bind_null(s, 4);
        db_bind_text(s, 5, a->xml, a->len);
        db_bind_int64(s, 6, bh_now(h));
        rc = db_step(s);
        db_done(s);
        if (rc < 0)
            return bh_db_fail(h, rc, "deploying");
        rc = schedule_starts(h, m, p, pid, version);
        if (rc)
            return rc;
    }
    json_t *o = json_pack("{sssisb}", "processId", pid, "version", version,
                          "new", is_new);
    if (!o || json_array_append_new(a->result, o))
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    return 0;
}

static int deploy_tx(baton_host *h, void *arg)
{
    deploy_arg *a = arg;
    json_array_clear(a->result);
    size_t n = baton_model_process_count(a->model);
    for (size_t p = 0; p < n; p++) {
        if (!baton_model_process_executable(a->model, p))
            continue;
        int rc = deploy_one(h, a, p);
        if (rc)
            return rc;
    }
    return 0;
}

int baton_host_deploy(baton_host *h, const char *xml, size_t len,
                      const char *name, char **out)
{
    if (out)
        *out = NULL;
    if (!h)
        return BATON_EINVAL;
    bh_op_begin(h);
    if (!xml)
        return bh_fail(h, BATON_EINVAL, "no document to deploy");
    if (len == BATON_NUL)
        len = strlen(xml);
    deploy_arg a = {xml, len, name, NULL, json_array()};
    if (!a.result)
        return bh_fail(h, BATON_ENOMEM, "out of memory");
    int rc = baton_model_load(h->engine, xml, len, name, &a.model);
    if (rc) {
        json_decref(a.result);
        return bh_engine_fail(h, rc, "cannot deploy");
    }
    size_t n = baton_model_process_count(a.model), executable = 0;
    for (size_t p = 0; p < n; p++)
        executable += baton_model_process_executable(a.model, p) != 0;
    if (!executable)
        rc = bh_fail(h, BATON_ESTATE, "cannot deploy %s: it has no "
                     "executable process", name ? name : "the document");
    else
        rc = bh_retry(h, deploy_tx, &a);
    baton_model_free(a.model);
    if (!rc && out && !(*out = json_dumps(a.result, JSON_COMPACT)))
        rc = bh_fail(h, BATON_ENOMEM, "out of memory");
    json_decref(a.result);
    return rc;
}
