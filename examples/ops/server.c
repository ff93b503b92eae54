/* The HTTP side of `baton ops` over libmicrohttpd: per request, the path
 * split into decoded segments, the token, the origin and CSRF checks, the
 * body (at most OPS_BODY_LIMIT), then the embedded files, the login form,
 * /metrics or the JSON API (api.c). Every response carries the same
 * security headers. */
#define _POSIX_C_SOURCE 200809L
#include "ops.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define THREADS 4
#define MAX_SEGMENTS 8
#define LOGIN_BODY_LIMIT 4096
#define DROP_LIMIT (8 * OPS_BODY_LIMIT)

static const char csp[] =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; script-src 'self'; frame-ancestors 'none'";

struct ops_server {
    struct MHD_Daemon *daemon;
    struct ops_pool *pool;
    struct ops_api api;
    char csrf[65];
    struct ops_auth auth;
    int loopback;
};

enum route { R_NONE, R_ASSET, R_API, R_METRICS, R_LOGIN };

/* One request: what the URI log callback saw, then the body. */
struct request {
    char *uri;  /* the request target as sent, before any decoding */
    char *segbuf;
    char *seg[MAX_SEGMENTS];
    size_t n_seg;
    enum route route;
    int started, too_big;
    size_t dropped;
    char *body;
    size_t len, cap, limit;
};

int ops_secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;

    /* The loop runs over the secret's length `lb` whatever `a` holds. */
    for (size_t i = 0; i < lb; i++)
        d |= (unsigned char)((i < la ? a[i] : 0) ^ b[i]);
    return d == 0;
}

/* ---- Replies ------------------------------------------------------ */

static void html_reply(struct ops_reply *r, unsigned status,
                       const char *page)
{
    r->status = status;
    r->type = "text/html; charset=utf-8";
    r->body = (char *)page;
    r->len = strlen(page);
    r->release = NULL;
}

static enum MHD_Result send_reply(struct MHD_Connection *c,
                                  struct ops_reply *r, int no_store,
                                  const char *cookie)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (r->release)
        resp = MHD_create_response_from_buffer_with_free_callback(
            r->len, r->body, r->release);
    else
        resp = MHD_create_response_from_buffer(r->len, r->body,
                                               MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (r->release)
            r->release(r->body);
        return MHD_NO;
    }
    if (MHD_add_response_header(resp, "Content-Type", r->type) != MHD_YES ||
        MHD_add_response_header(resp, "Content-Security-Policy", csp) !=
            MHD_YES ||
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") !=
            MHD_YES ||
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") !=
            MHD_YES ||
        MHD_add_response_header(resp, "Cache-Control",
                                no_store ? "no-store" : "no-cache") !=
            MHD_YES ||
        (r->allow && MHD_add_response_header(resp, "Allow", r->allow) !=
                         MHD_YES) ||
        (r->status == 401 && MHD_add_response_header(
                                 resp, "WWW-Authenticate", "Bearer") !=
                                 MHD_YES) ||
        (r->status == 303 &&
         MHD_add_response_header(resp, "Location", "/") != MHD_YES) ||
        (cookie && MHD_add_response_header(resp, "Set-Cookie", cookie) !=
                       MHD_YES)) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
                                  const char *message)
{
    struct ops_reply r = {0};

    ops_reply_error(&r, status, message);
    return send_reply(c, &r, 1, NULL);
}

/* ---- Requests ----------------------------------------------------- */

static void *request_new(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct request *rq = calloc(1, sizeof *rq);

    if (rq && !(rq->uri = cli_strdup(uri))) {
        free(rq);
        rq = NULL;
    }
    return rq; /* NULL: the handler answers 500 */
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;

    if (!rq)
        return;
    free(rq->uri);
    free(rq->segbuf);
    free(rq->body);
    free(rq);
    *con_cls = NULL;
}

/* Splits the raw path into percent-decoded segments: "/" has none, and
 * an empty segment elsewhere ("//", a trailing "/") names nothing.
 * Returns 0, or the status of a refusal with `why` set. */
static unsigned split_path(struct request *rq, const char **why)
{
    size_t plen = strcspn(rq->uri, "?#");
    char *p;

    if (rq->uri[0] != '/') {
        *why = "the request target is not a path";
        return 400;
    }
    if (!(rq->segbuf = malloc(plen + 1))) {
        *why = "out of memory";
        return 500;
    }
    memcpy(rq->segbuf, rq->uri, plen);
    rq->segbuf[plen] = '\0';
    if (plen == 1)
        return 0;
    p = rq->segbuf + 1;
    for (;;) {
        char *end = strchr(p, '/');
        size_t n;

        if (end)
            *end = '\0';
        if (rq->n_seg == MAX_SEGMENTS) {
            *why = "no such path";
            return 404;
        }
        n = MHD_http_unescape(p);
        if (n != strlen(p) || strpbrk(p, "/\\") || strcmp(p, ".") == 0 ||
            strcmp(p, "..") == 0) {
            *why = "bad path: a segment is '.', '..', or holds an encoded "
                   "slash, backslash or NUL";
            return 400;
        }
        if (n == 0) {
            *why = "no such path";
            return 404;
        }
        rq->seg[rq->n_seg++] = p;
        if (!end)
            return 0;
        p = end + 1;
    }
}

/* The path of an embedded file: the decoded segments joined ("/" for
 * none). NULL when it is too long to be one. */
static const struct ops_asset *asset_of(const struct request *rq)
{
    char path[256] = "/";
    size_t len = 0;

    for (size_t i = 0; i < rq->n_seg; i++) {
        size_t n = strlen(rq->seg[i]);
        if (len + n + 2 > sizeof path)
            return NULL;
        path[len++] = '/';
        memcpy(path + len, rq->seg[i], n);
        len += n;
        path[len] = '\0';
    }
    return ops_asset_find(path);
}

/* Which part of the server answers the path. */
static enum route route_of(const struct ops_server *s, struct request *rq)
{
    if (rq->n_seg >= 1 && strcmp(rq->seg[0], "api") == 0)
        return R_API;
    if (rq->n_seg == 1 && strcmp(rq->seg[0], "metrics") == 0)
        return R_METRICS;
    if (rq->n_seg == 1 && strcmp(rq->seg[0], "login") == 0 &&
        s->auth.token)
        return R_LOGIN;
    return asset_of(rq) ? R_ASSET : R_NONE;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* On a loopback listener, a Host that names another machine means a
 * page of another site reached the server through a name that resolves
 * to this machine (DNS rebinding): only loopback names are answered. */
static int host_allowed(const struct ops_server *s, struct MHD_Connection *c)
{
    const char *h = header(c, "Host");
    char name[64];
    unsigned char a[16];
    size_t n;

    if (!s->loopback || !h)
        return 1;
    if (h[0] == '[') {
        n = strcspn(h + 1, "]");
        if (n >= sizeof name)
            return 0;
        memcpy(name, h + 1, n);
        name[n] = '\0';
        return strcmp(name, "::1") == 0;
    }
    n = strcspn(h, ":");
    if (n >= sizeof name)
        return 0;
    memcpy(name, h, n);
    name[n] = '\0';
    if (strcasecmp(name, "localhost") == 0)
        return 1;
    return inet_pton(AF_INET, name, a) == 1 && a[0] == 127;
}

/* A POST from another site is refused: the browser says so in
 * Sec-Fetch-Site, or sends an Origin other than this server's. */
static int same_origin(struct MHD_Connection *c)
{
    const char *site = header(c, "Sec-Fetch-Site");
    const char *origin = header(c, "Origin");
    const char *host = header(c, "Host");

    if (site && strcasecmp(site, "cross-site") == 0)
        return 0;
    if (!origin)
        return 1;
    return host && strncmp(origin, "http://", 7) == 0 &&
           strcmp(origin + 7, host) == 0;
}

static int media_type_is(const char *value, const char *type)
{
    size_t n = strlen(type);

    return value && strncasecmp(value, type, n) == 0 &&
           (value[n] == '\0' || value[n] == ';' || value[n] == ' ');
}

/* The checks made once the headers are in. Returns 0 when the request
 * goes on, else the reply is set. */
static int check_request(struct ops_server *s, struct MHD_Connection *c,
                         struct request *rq, const char *method,
                         struct ops_reply *r)
{
    const char *why = NULL, *len, *csrf;
    unsigned status = split_path(rq, &why);
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0;

    if (status) {
        ops_reply_error(r, status, why);
        return -1;
    }
    if (!host_allowed(s, c)) {
        ops_reply_error(r, 403, "the Host header names another machine");
        return -1;
    }
    rq->route = route_of(s, rq);
    if (rq->route != R_LOGIN && !ops_auth_check(&s->auth, c)) {
        if (rq->route == R_API || rq->route == R_METRICS)
            ops_reply_error(r, 401, "a token is needed: send Authorization: "
                            "Bearer TOKEN, or log in at /login");
        else
            html_reply(r, 401, ops_login_page());
        return -1;
    }
    if (rq->route == R_NONE) {
        ops_reply_error(r, 404, "no such path");
        return -1;
    }
    if (!get && !(post && (rq->route == R_API || rq->route == R_LOGIN))) {
        ops_reply_error(r, 405, "method not allowed");
        r->allow = rq->route == R_API || rq->route == R_LOGIN
                       ? "GET, HEAD, POST" : "GET, HEAD";
        return -1;
    }
    if (get)
        return 0;
    if (rq->route == R_API && s->api.read_only) {
        ops_reply_error(r, 403, "read-only");
        return -1;
    }
    if (!same_origin(c)) {
        ops_reply_error(r, 403, "refused: the request comes from another "
                        "site");
        return -1;
    }
    if (rq->route == R_API) {
        csrf = header(c, "X-CSRF-Token");
        if (!csrf || !ops_secret_equal(csrf, s->csrf)) {
            ops_reply_error(r, 403, "missing or wrong X-CSRF-Token (read it "
                            "from /api/session)");
            return -1;
        }
        if (!media_type_is(header(c, "Content-Type"), "application/json")) {
            ops_reply_error(r, 400, "the body must be application/json");
            return -1;
        }
        rq->limit = OPS_BODY_LIMIT;
    } else {
        if (!media_type_is(header(c, "Content-Type"),
                           "application/x-www-form-urlencoded")) {
            ops_reply_error(r, 400, "the body must be "
                            "application/x-www-form-urlencoded");
            return -1;
        }
        rq->limit = LOGIN_BODY_LIMIT;
    }
    len = header(c, "Content-Length");
    if (len && (strlen(len) > 9 || strtoul(len, NULL, 10) > rq->limit)) {
        ops_reply_error(r, 413, "the body is too large");
        return -1;
    }
    return 0;
}

/* Appends a piece of the body. Returns 0, or -1 past the limit. */
static int append_body(struct request *rq, const char *data, size_t n)
{
    if (n > rq->limit - rq->len)
        return -1;
    if (rq->len + n + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 4096;
        char *b;
        while (cap < rq->len + n + 1)
            cap *= 2;
        if (!(b = realloc(rq->body, cap)))
            return -1;
        rq->body = b;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    rq->body[rq->len] = '\0';
    return 0;
}

/* ---- Answers ------------------------------------------------------ */

static const char *query_arg(void *ud, const char *name)
{
    return MHD_lookup_connection_value(ud, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result answer_api(struct ops_server *s,
                                  struct MHD_Connection *c,
                                  struct request *rq, const char *method)
{
    struct ops_reply r = {0};
    struct ops_request_view q = {method, rq->body, rq->len, query_arg, c};

    ops_api_route(&s->api, rq->seg + 1, rq->n_seg - 1, &q, &r);
    return send_reply(c, &r, 1, NULL);
}

static enum MHD_Result answer_metrics(struct ops_server *s,
                                      struct MHD_Connection *c)
{
    struct ops_reply r = {0};
    baton_host *h = ops_pool_take(s->pool);
    char *json = NULL;
    int rc;

    if (!h)
        return send_error(c, 500, "cannot open the store");
    rc = baton_host_metrics(h, &json);
    if (rc != BATON_OK) {
        ops_reply_host_error(&r, h, rc);
        ops_pool_give(s->pool, h);
        baton_host_free(json);
        return send_reply(c, &r, 1, NULL);
    }
    ops_pool_give(s->pool, h);
    rc = ops_metrics_text(json, &r.body, &r.len);
    baton_host_free(json);
    if (rc != 0)
        return send_error(c, 500, rc == BATON_ENOMEM
                                      ? "out of memory"
                                      : "the store's figures have an "
                                        "unknown shape");
    r.status = 200;
    r.type = "text/plain; version=0.0.4; charset=utf-8";
    r.release = free;
    return send_reply(c, &r, 1, NULL);
}

static enum MHD_Result answer_login(struct ops_server *s,
                                    struct MHD_Connection *c,
                                    struct request *rq, const char *method)
{
    struct ops_reply r = {0};
    const char *cookie = ops_login_answer(&s->auth, c, method, rq->body,
                                          rq->len, &r);

    return send_reply(c, &r, 1, cookie);
}

static enum MHD_Result answer_asset(struct MHD_Connection *c,
                                    struct request *rq)
{
    const struct ops_asset *a = asset_of(rq);
    struct ops_reply r = {0};

    if (!a)
        return send_error(c, 404, "no such path");
    r.status = 200;
    r.type = a->type;
    r.body = (char *)a->data;
    r.len = a->len;
    return send_reply(c, &r, 0, NULL);
}

static enum MHD_Result answer(struct ops_server *s, struct MHD_Connection *c,
                              struct request *rq, const char *method)
{
    switch (rq->route) {
    case R_API:
        return answer_api(s, c, rq, method);
    case R_METRICS:
        return answer_metrics(s, c);
    case R_LOGIN:
        return answer_login(s, c, rq, method);
    case R_ASSET:
        return answer_asset(c, rq);
    default:
        return send_error(c, 404, "no such path");
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct ops_server *s = cls;
    struct request *rq = *con_cls;

    if (!rq)
        return send_error(c, 500, "out of memory");
    if (!rq->started) {
        struct ops_reply r = {0};

        rq->started = 1;
        if (check_request(s, c, rq, method, &r) != 0)
            return send_reply(c, &r, 1, NULL);
        if (strcmp(method, "POST") == 0)
            return MHD_YES; /* the body comes next */
        return answer(s, c, rq, method);
    }
    if (*upload_size) {
        /* libmicrohttpd answers only once the body is in: the rest of a
         * body too large is read and dropped, up to a bound past which
         * the connection is closed. */
        if (rq->too_big || append_body(rq, upload, *upload_size) != 0) {
            rq->too_big = 1;
            rq->dropped += *upload_size;
            if (rq->dropped > DROP_LIMIT)
                return MHD_NO;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_big)
        return send_error(c, 413, "the body is too large");
    return answer(s, c, rq, method);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    fputs("baton ops: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* ---- Start and stop ----------------------------------------------- */

int ops_random_hex(char *out, size_t n_bytes)
{
    unsigned char b[32];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    size_t got = 0;

    if (fd < 0 || n_bytes > sizeof b)
        return -1;
    while (got < n_bytes) {
        ssize_t k = read(fd, b + got, n_bytes - got);
        if (k <= 0 && errno != EINTR)
            break;
        if (k > 0)
            got += (size_t)k;
    }
    close(fd);
    if (got < n_bytes)
        return -1;
    for (size_t i = 0; i < n_bytes; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    return 0;
}

int ops_server_start(const struct ops_server_config *cfg, baton_host *first,
                     struct ops_server **out, unsigned *port)
{
    struct ops_server *s = calloc(1, sizeof *s);
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

    *out = NULL;
    if (!s) {
        baton_host_close(first);
        fputs("baton ops: out of memory\n", stderr);
        return CLI_EXIT_REFUSED;
    }
    if (ops_random_hex(s->csrf, 32) != 0 ||
        ops_auth_init(&s->auth, cfg->token) != 0) {
        ops_auth_free(&s->auth);
        free(s);
        baton_host_close(first);
        fputs("baton ops: out of memory, or cannot read /dev/urandom\n",
              stderr);
        return CLI_EXIT_REFUSED;
    }
    s->loopback = cfg->loopback;
    s->api.csrf = s->csrf;
    s->api.read_only = cfg->read_only;
    s->api.store_kind = baton_host_store_kind(first);
    if (ops_pool_new(cfg->uri, THREADS, first, &s->pool) != 0) {
        ops_server_stop(s);
        fputs("baton ops: out of memory\n", stderr);
        return CLI_EXIT_REFUSED;
    }
    s->api.pool = s->pool;
    if (cfg->addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, /* first: it says so */
        MHD_OPTION_SOCK_ADDR, cfg->addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        /* bounds the request line and headers of a request */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_URI_LOG_CALLBACK, request_new, s,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        fprintf(stderr, "baton ops: cannot listen: %s\n",
                errno ? strerror(errno) : "unknown error");
        ops_server_stop(s);
        return CLI_EXIT_REFUSED;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    *out = s;
    return 0;
}

void ops_server_stop(struct ops_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    ops_pool_free(s->pool);
    ops_auth_free(&s->auth);
    free(s);
}
