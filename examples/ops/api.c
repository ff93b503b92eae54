/* The JSON API of `baton ops` (docs/cli.md): each route is one call of
 * baton_host.h on a connection taken from the pool. */
#define _POSIX_C_SOURCE 200809L
#include "ops.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const states[] = {
    "ACTIVE", "WAITING", "INCIDENT", "COMPLETED", "TERMINATED", "FAILED"};

static char ok_body[] = "{\"ok\": true}";

static int is_get(const struct ops_request_view *q)
{
    return strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0;
}

/* Whether the method fits the route; otherwise a 405 is set. */
static int method_is(const struct ops_request_view *q, int post,
                     struct ops_reply *r)
{
    if (post ? strcmp(q->method, "POST") == 0 : is_get(q))
        return 1;
    ops_reply_error(r, 405, post ? "method not allowed: use POST"
                                 : "method not allowed: use GET");
    r->allow = post ? "POST" : "GET, HEAD";
    return 0;
}

/* A decimal number from `min` to `max`, digits only. */
static int parse_int(const char *s, long min, long max, long *out)
{
    long v = 0;

    if (!*s || strlen(s) > 10)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* The request body as a JSON object (an empty body is {}); NULL with a
 * 400 set otherwise. */
static json_t *body_object(const struct ops_request_view *q,
                           struct ops_reply *r)
{
    json_error_t err;
    json_t *o;
    char msg[256];

    if (!q->body || q->body_len == 0)
        return json_object();
    o = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!o) {
        snprintf(msg, sizeof msg, "the body is not JSON: %s (line %d, "
                 "column %d)", err.text, err.line, err.column);
        ops_reply_error(r, 400, msg);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        ops_reply_error(r, 400, "the body is not a JSON object");
        return NULL;
    }
    return o;
}

/* Whether every member of `o` is one of `names` (NULL-ended); otherwise
 * a 400 naming the first other one is set. */
static int only_members(json_t *o, const char *const *names,
                        struct ops_reply *r)
{
    const char *k;
    json_t *v;
    char msg[160];

    json_object_foreach(o, k, v) {
        const char *const *n;
        for (n = names; *n; n++)
            if (strcmp(*n, k) == 0)
                break;
        if (!*n) {
            snprintf(msg, sizeof msg, "unknown member '%.80s' in the body",
                     k);
            ops_reply_error(r, 400, msg);
            return 0;
        }
    }
    return 1;
}

static baton_host *take(const struct ops_api *api, struct ops_reply *r)
{
    baton_host *h = ops_pool_take(api->pool);

    if (!h)
        ops_reply_error(r, 500, "cannot open the store");
    return h;
}

/* Ends a route that made one host call: `text` (may be NULL) is its
 * JSON result on success. */
static void host_done(const struct ops_api *api, baton_host *h, int rc,
                      char *text, struct ops_reply *r)
{
    if (rc != BATON_OK) {
        ops_reply_host_error(r, h, rc);
        baton_host_free(text);
    } else if (text) {
        ops_reply_host_json(r, text);
    } else {
        r->status = 200;
        r->type = "application/json; charset=utf-8";
        r->body = ok_body;
        r->len = strlen(ok_body);
        r->release = NULL;
    }
    ops_pool_give(api->pool, h);
}

/* ---- GET routes --------------------------------------------------- */

static void session(const struct ops_api *api, struct ops_reply *r)
{
    json_t *o = json_pack("{s:s, s:b, s:s, s:s}", "csrf", api->csrf,
                          "readOnly", api->read_only, "store",
                          api->store_kind, "version", baton_version());
    char *text = o ? json_dumps(o, 0) : NULL;

    json_decref(o);
    if (!text)
        ops_reply_error(r, 500, "out of memory");
    else
        ops_reply_json(r, text);
}

static void processes(const struct ops_api *api, struct ops_reply *r)
{
    baton_host *h = take(api, r);
    char *out = NULL;

    int rc;

    if (!h)
        return;
    rc = baton_host_deployments(h, &out);
    host_done(api, h, rc, out, r);
}

static void model(const struct ops_api *api, const char *process_id,
                  const char *version, struct ops_reply *r)
{
    baton_host *h;
    char *out = NULL;
    size_t len = 0;
    long v;
    int rc;

    if (parse_int(version, 1, 2147483647L, &v) != 0) {
        ops_reply_error(r, 400, "the version is not a positive number");
        return;
    }
    if (!(h = take(api, r)))
        return;
    rc = baton_host_model(h, process_id, (int)v, &out, &len);
    if (rc != BATON_OK) {
        host_done(api, h, rc, out, r);
        return;
    }
    ops_pool_give(api->pool, h);
    r->status = 200;
    r->type = "application/xml; charset=utf-8";
    r->body = out;
    r->len = len;
    r->release = baton_host_free;
}

static void find_instances(const struct ops_api *api,
                           const struct ops_request_view *q,
                           struct ops_reply *r)
{
    baton_host_instance_filter f;
    const char *s;
    baton_host *h;
    char *out = NULL;
    long v;
    int rc;

    memset(&f, 0, sizeof f);
    f.incidents_first = 1;
    s = q->arg(q->ud, "process");
    f.process_id = s && *s ? s : NULL;
    s = q->arg(q->ud, "version");
    if (s && *s) {
        if (parse_int(s, 1, 2147483647L, &v) != 0) {
            ops_reply_error(r, 400, "version: not a positive number");
            return;
        }
        if (!f.process_id) {
            ops_reply_error(r, 400, "version: needs a process");
            return;
        }
        f.version = (int)v;
    }
    s = q->arg(q->ud, "state");
    if (s && *s) {
        size_t i;
        for (i = 0; i < sizeof states / sizeof states[0]; i++)
            if (strcmp(states[i], s) == 0)
                break;
        if (i == sizeof states / sizeof states[0]) {
            ops_reply_error(r, 400, "state: not one of ACTIVE, WAITING, "
                            "INCIDENT, COMPLETED, TERMINATED, FAILED");
            return;
        }
        f.state = states[i];
    }
    s = q->arg(q->ud, "businessKey");
    f.business_key = s && *s ? s : NULL;
    f.cursor = q->arg(q->ud, "cursor");
    s = q->arg(q->ud, "limit");
    if (s && *s) {
        if (parse_int(s, 1, 1000, &v) != 0) {
            ops_reply_error(r, 400, "limit: not a number from 1 to 1000");
            return;
        }
        f.limit = (size_t)v;
    }
    if (!(h = take(api, r)))
        return;
    rc = baton_host_find_instances(h, &f, &out);
    host_done(api, h, rc, out, r);
}

static void instance(const struct ops_api *api, uint64_t key,
                     struct ops_reply *r)
{
    baton_host *h = take(api, r);
    char *out = NULL;
    int rc;

    if (!h)
        return;
    rc = baton_host_instance(h, key, 1, &out);
    host_done(api, h, rc, out, r);
}

/* The incidents page reads groups, not every incident: an outage can
 * leave a great many incidents of one kind. */
static void incidents(const struct ops_api *api, struct ops_reply *r)
{
    static const char head[] = "{\"groups\": ";
    baton_host *h = take(api, r);
    char *out = NULL, *text;
    size_t len;
    int rc;

    if (!h)
        return;
    rc = baton_host_incident_groups(h, &out);
    if (rc != BATON_OK) {
        host_done(api, h, rc, out, r);
        return;
    }
    ops_pool_give(api->pool, h);
    len = strlen(out);
    text = malloc(sizeof head + len + 1);
    if (!text) {
        baton_host_free(out);
        ops_reply_error(r, 500, "out of memory");
        return;
    }
    memcpy(text, head, sizeof head - 1);
    memcpy(text + sizeof head - 1, out, len);
    memcpy(text + sizeof head - 1 + len, "}", 2);
    baton_host_free(out);
    ops_reply_json(r, text);
}

/* ---- POST routes -------------------------------------------------- */

static void set_retries(const struct ops_api *api, uint64_t key,
                        const struct ops_request_view *q,
                        struct ops_reply *r)
{
    static const char *const names[] = {"retries", NULL};
    json_t *o = body_object(q, r), *n;
    baton_host *h;
    json_int_t v;

    if (!o)
        return;
    if (!only_members(o, names, r)) {
        json_decref(o);
        return;
    }
    n = json_object_get(o, "retries");
    v = json_is_integer(n) ? json_integer_value(n) : 0;
    json_decref(o);
    if (v < 1 || v > 1000) {
        ops_reply_error(r, 400, "retries: an integer from 1 to 1000");
        return;
    }
    if ((h = take(api, r)))
        host_done(api, h, baton_host_update_retries(h, key, (int)v), NULL,
                  r);
}

/* resolve and cancel: a body {} and one call with the key. */
static void by_key(const struct ops_api *api, uint64_t key,
                   const struct ops_request_view *q,
                   int (*fn)(baton_host *, uint64_t), struct ops_reply *r)
{
    static const char *const names[] = {NULL};
    json_t *o = body_object(q, r);
    baton_host *h;
    int ok;

    if (!o)
        return;
    ok = only_members(o, names, r);
    json_decref(o);
    if (ok && (h = take(api, r)))
        host_done(api, h, fn(h, key), NULL, r);
}

static void set_variables(const struct ops_api *api, uint64_t key,
                          const struct ops_request_view *q,
                          struct ops_reply *r)
{
    static const char *const names[] = {"variables", NULL};
    json_t *o = body_object(q, r), *vars;
    baton_host *h;
    char *text;

    if (!o)
        return;
    if (!only_members(o, names, r)) {
        json_decref(o);
        return;
    }
    vars = json_object_get(o, "variables");
    if (!json_is_object(vars) || json_object_size(vars) == 0) {
        json_decref(o);
        ops_reply_error(r, 400, "variables: a JSON object with at least "
                        "one variable");
        return;
    }
    text = json_dumps(vars, JSON_COMPACT);
    json_decref(o);
    if (!text) {
        ops_reply_error(r, 500, "out of memory");
        return;
    }
    if ((h = take(api, r)))
        host_done(api, h, baton_host_set_variables(h, key, text,
                                                   strlen(text)),
                  NULL, r);
    free(text);
}

/* ---- Dispatch ----------------------------------------------------- */

static int key_of(const char *text, const char *what, uint64_t *key,
                  struct ops_reply *r)
{
    char msg[96];

    if (cli_parse_key(text, key) == 0)
        return 1;
    snprintf(msg, sizeof msg, "not %s key: a positive decimal number",
             what);
    ops_reply_error(r, 400, msg);
    return 0;
}

void ops_api_route(const struct ops_api *api, char **seg, size_t n,
                   const struct ops_request_view *q, struct ops_reply *r)
{
    uint64_t key;

    if (n == 1 && strcmp(seg[0], "session") == 0) {
        if (method_is(q, 0, r))
            session(api, r);
    } else if (n == 1 && strcmp(seg[0], "processes") == 0) {
        if (method_is(q, 0, r))
            processes(api, r);
    } else if (n == 4 && strcmp(seg[0], "processes") == 0 &&
               strcmp(seg[3], "xml") == 0) {
        if (method_is(q, 0, r))
            model(api, seg[1], seg[2], r);
    } else if (n == 1 && strcmp(seg[0], "instances") == 0) {
        if (method_is(q, 0, r))
            find_instances(api, q, r);
    } else if (n == 2 && strcmp(seg[0], "instances") == 0) {
        if (method_is(q, 0, r) && key_of(seg[1], "an instance", &key, r))
            instance(api, key, r);
    } else if (n == 3 && strcmp(seg[0], "instances") == 0 &&
               strcmp(seg[2], "variables") == 0) {
        if (method_is(q, 1, r) && key_of(seg[1], "an instance", &key, r))
            set_variables(api, key, q, r);
    } else if (n == 3 && strcmp(seg[0], "instances") == 0 &&
               strcmp(seg[2], "cancel") == 0) {
        if (method_is(q, 1, r) && key_of(seg[1], "an instance", &key, r))
            by_key(api, key, q, baton_host_cancel, r);
    } else if (n == 1 && strcmp(seg[0], "incidents") == 0) {
        if (method_is(q, 0, r))
            incidents(api, r);
    } else if (n == 3 && strcmp(seg[0], "incidents") == 0 &&
               strcmp(seg[2], "resolve") == 0) {
        if (method_is(q, 1, r) && key_of(seg[1], "an incident", &key, r))
            by_key(api, key, q, baton_host_resolve, r);
    } else if (n == 3 && strcmp(seg[0], "jobs") == 0 &&
               strcmp(seg[2], "retries") == 0) {
        if (method_is(q, 1, r) && key_of(seg[1], "a job", &key, r))
            set_retries(api, key, q, r);
    } else {
        ops_reply_error(r, 404, "no such API route");
    }
}
