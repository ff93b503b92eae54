/*
 * runtime_api.c - the Runtime API client on libcurl (one easy handle,
 * kept alive between requests).
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#include "runtime_api.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rt_client {
    CURL *curl;
    char *base; /* "http://HOST:PORT/2018-06-01/runtime" */
};

typedef struct {
    char *data;
    size_t len, cap;
    int oom;
} rt_buf;

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    rt_buf *b = ud;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->oom = 1;
            return 0;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * n;
}

/* The value of header `name` in the line `line`, copied, or NULL. */
static char *header_value(const char *line, size_t len, const char *name)
{
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
        return NULL;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
                       end[-1] == ' ' || end[-1] == '\t'))
        end--;
    char *s = malloc((size_t)(end - v) + 1);
    if (s) {
        memcpy(s, v, (size_t)(end - v));
        s[end - v] = '\0';
    }
    return s;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *ud)
{
    rt_invocation *inv = ud;
    size_t len = size * n;
    char *v;
    if ((v = header_value(ptr, len, "Lambda-Runtime-Aws-Request-Id"))) {
        free(inv->request_id);
        inv->request_id = v;
    } else if ((v = header_value(ptr, len, "Lambda-Runtime-Trace-Id"))) {
        free(inv->trace_id);
        inv->trace_id = v;
    } else if ((v = header_value(ptr, len, "Lambda-Runtime-Deadline-Ms"))) {
        inv->deadline_ms = strtoll(v, NULL, 10);
        free(v);
    }
    return len;
}

rt_client *rt_client_new(const char *api)
{
    rt_client *rt = calloc(1, sizeof *rt);
    if (!rt)
        return NULL;
    size_t n = strlen(api) + 64;
    rt->base = malloc(n);
    rt->curl = curl_easy_init();
    if (!rt->base || !rt->curl) {
        rt_client_free(rt);
        return NULL;
    }
    snprintf(rt->base, n, "http://%s/2018-06-01/runtime", api);
    return rt;
}

void rt_client_free(rt_client *rt)
{
    if (!rt)
        return;
    if (rt->curl)
        curl_easy_cleanup(rt->curl);
    free(rt->base);
    free(rt);
}

void rt_invocation_clear(rt_invocation *inv)
{
    free(inv->request_id);
    free(inv->trace_id);
    free(inv->body);
    memset(inv, 0, sizeof *inv);
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

/* Runs the prepared request; returns the status or -1. */
static int perform(rt_client *rt, const char *url, char *err, size_t errlen)
{
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(rt->curl, CURLOPT_URL, url);
    curl_easy_setopt(rt->curl, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(rt->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(rt->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(rt->curl);
    curl_easy_setopt(rt->curl, CURLOPT_ERRORBUFFER, NULL);
    if (rc != CURLE_OK) {
        set_err(err, errlen, ebuf[0] ? ebuf : curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, &status);
    return (int)status;
}

int rt_next(rt_client *rt, rt_invocation *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    rt_buf body = {0};
    char url[1024];
    snprintf(url, sizeof url, "%s/invocation/next", rt->base);
    curl_easy_reset(rt->curl);
    curl_easy_setopt(rt->curl, CURLOPT_HTTPGET, 1L);
    /* The next event may be hours away: no read timeout. */
    curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT, 0L);
    curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(rt->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(rt->curl, CURLOPT_HEADERDATA, out);
    int status = perform(rt, url, err, errlen);
    if (body.oom) {
        set_err(err, errlen, "out of memory reading the event");
        status = -1;
    }
    if (status == 200 && !out->request_id) {
        set_err(err, errlen, "no Lambda-Runtime-Aws-Request-Id header");
        status = -1;
    }
    if (status != 200) {
        if (status > 0)
            set_err(err, errlen, body.data ? body.data : "");
        free(body.data);
        rt_invocation_clear(out);
        return status;
    }
    if (!body.data) {
        body.data = calloc(1, 1);
        if (!body.data) {
            rt_invocation_clear(out);
            set_err(err, errlen, "out of memory");
            return -1;
        }
    }
    out->body = body.data;
    out->len = body.len;
    return status;
}

static int post(rt_client *rt, const char *url, const char *body, size_t len,
                const char *error_type, char *err, size_t errlen)
{
    struct curl_slist *hdrs = NULL, *h;
    char line[256];
    h = curl_slist_append(hdrs, "Content-Type: application/json");
    if (h)
        hdrs = h;
    /* No "Expect: 100-continue" round trip on large answers. */
    h = curl_slist_append(hdrs, "Expect:");
    if (h)
        hdrs = h;
    if (error_type) {
        snprintf(line, sizeof line, "Lambda-Runtime-Function-Error-Type: %s",
                 error_type);
        h = curl_slist_append(hdrs, line);
        if (h)
            hdrs = h;
    }
    curl_easy_reset(rt->curl);
    curl_easy_setopt(rt->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT, 60L);
    int status = perform(rt, url, err, errlen);
    curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    return status;
}

int rt_post_response(rt_client *rt, const char *request_id,
                     const char *body, size_t len, char *err, size_t errlen)
{
    size_t n = strlen(rt->base) + strlen(request_id) + 64;
    char *url = malloc(n);
    if (!url) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    snprintf(url, n, "%s/invocation/%s/response", rt->base, request_id);
    int status = post(rt, url, body, len, NULL, err, errlen);
    free(url);
    return status;
}

int rt_post_error(rt_client *rt, const char *request_id, const char *type,
                  const char *message, char *err, size_t errlen)
{
    json_t *o = json_pack("{s:s, s:s}", "errorMessage", message ? message : "",
                          "errorType", type);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    size_t n = strlen(rt->base) + (request_id ? strlen(request_id) : 0) + 64;
    char *url = malloc(n);
    if (!body || !url) {
        free(body);
        free(url);
        set_err(err, errlen, "out of memory");
        return -1;
    }
    if (request_id)
        snprintf(url, n, "%s/invocation/%s/error", rt->base, request_id);
    else
        snprintf(url, n, "%s/init/error", rt->base);
    int status = post(rt, url, body, strlen(body), type, err, errlen);
    free(url);
    free(body);
    return status;
}
