/*
 * bootstrap.c - Baton as an AWS Lambda custom runtime: deploys the models
 * of $BATON_MODELS_DIR into the store $BATON_STORE, then serves
 * invocations from the Runtime API one at a time: it starts instances,
 * publishes messages and runs due work, each followed by a worker that
 * runs until nothing is due or the invocation's deadline comes near.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * docs: examples/lambda/README.md (environment, event shapes, answers).
 */
#define _POSIX_C_SOURCE 200809L

#include "events.h"
#include "runtime_api.h"

#include <baton_host.h>
#ifdef BATON_RT_HAVE_LAMBDA
#include <baton_lambda.h>
#endif

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* /next failures in a row before the runtime gives up (Lambda then
 * starts a new execution environment), and the first backoff. */
#define NEXT_TRIES 5
#define NEXT_BACKOFF_MS 100

typedef struct rt_ctx {
    rt_client *rt;
    baton_host *host;
    const char *fixed_process;
    int concurrency;
    int64_t margin_ms;
#ifdef BATON_RT_HAVE_LAMBDA
    baton_lambda *lambda;
#endif
} rt_ctx;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static long env_long(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < lo || n > hi) {
        fprintf(stderr, "baton-runtime: %s=%s is out of range, using %ld\n",
                name, v, def);
        return def;
    }
    return n;
}

static void host_log(void *ud, int level, const char *message)
{
    (void)ud;
    fprintf(stderr, "baton-runtime: host: %s%s\n",
            level == BATON_LOG_ERROR ? "error: " : "", message);
}

/* Reports an init error to the Runtime API and to stderr. */
static int init_error(rt_client *rt, const char *type, const char *message)
{
    char err[256] = "";
    fprintf(stderr, "baton-runtime: init error: %s\n", message);
    if (rt && rt_post_error(rt, NULL, type, message, err, sizeof err) < 0)
        fprintf(stderr, "baton-runtime: cannot post the init error: %s\n",
                err);
    return 1;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(buf, cap + 1);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Deploys every *.bpmn file of `dir`, in name order. */
static int deploy_models(baton_host *host, const char *dir, char *msg,
                         size_t msglen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(msg, msglen, "cannot open the models folder %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".bpmn") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(names, cap * sizeof *names);
            if (!p) {
                rc = -1;
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc != 0)
        snprintf(msg, msglen, "out of memory listing %s", dir);
    else if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2, len = 0;
        char *path = malloc(plen);
        char *xml = NULL;
        if (path) {
            snprintf(path, plen, "%s/%s", dir, names[i]);
            xml = read_file(path, &len);
        }
        if (!xml) {
            snprintf(msg, msglen, "cannot read %s/%s", dir, names[i]);
            rc = -1;
        } else {
            char *out = NULL;
            int drc = baton_host_deploy(host, xml, len, names[i], &out);
            if (drc != BATON_OK) {
                snprintf(msg, msglen, "%s: %s", names[i],
                         baton_host_errmsg(host));
                rc = drc == BATON_HOST_ESTORE ? -2 : -1;
            } else {
                fprintf(stderr, "baton-runtime: deployed %s: %s\n", names[i],
                        out ? out : "");
            }
            baton_host_free(out);
        }
        free(xml);
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == 0 && n == 0)
        fprintf(stderr, "baton-runtime: warning: no .bpmn file in %s\n", dir);
    return rc;
}

/* Registers `fn` for each job type of the comma-separated list in
 * environment variable `var` (`def` when unset); `what` says what the
 * types do, for the log. */
static void register_types(rt_ctx *c, const char *var, const char *def,
                           baton_host_handler_fn fn, void *ud,
                           const char *what)
{
    char *types = strdup(env_or(var, def));
    if (!types) {
        fprintf(stderr, "baton-runtime: out of memory reading %s\n", var);
        return;
    }
    char *save = NULL;
    for (char *t = strtok_r(types, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        size_t tl = strlen(t);
        while (tl && t[tl - 1] == ' ')
            t[--tl] = '\0';
        if (!*t)
            continue;
        if (baton_host_register(c->host, t, fn, ud) != BATON_OK)
            fprintf(stderr, "baton-runtime: cannot register %s: %s\n", t,
                    baton_host_errmsg(c->host));
        else
            fprintf(stderr, "baton-runtime: job type %s %s\n", t, what);
    }
    free(types);
}

/* Placeholder tasks ($BATON_COMPLETE_JOB_TYPES), such as Camunda 7's
 * camunda:expression="#{true}": completed at once, setting nothing. */
static void complete_at_once(void *ud, baton_host_job *job)
{
    (void)ud;
    /* Without variables there is nothing to refuse. */
    (void)baton_host_job_complete(job, NULL, 0);
}

#ifdef BATON_RT_HAVE_LAMBDA
/* The Lambda invoker for the job types of $BATON_LAMBDA_JOB_TYPES. */
static void register_lambda(rt_ctx *c)
{
    baton_lambda_config cfg;
    memset(&cfg, 0, sizeof cfg);
    baton_lambda *l = NULL;
    int rc = baton_lambda_new(&cfg, &l);
    if (rc != BATON_OK) {
        fprintf(stderr, "baton-runtime: warning: no Lambda invoker (%s); "
                "no job type is handled by Lambda functions\n",
                l ? baton_lambda_errmsg(l) : baton_host_strerror(rc));
        baton_lambda_free(l);
        return;
    }
    c->lambda = l;
    register_types(c, "BATON_LAMBDA_JOB_TYPES", "lambda",
                   baton_lambda_host_handler, l, "runs Lambda functions");
}
#endif

/* The worker after a start, publish or schedule: until nothing is due,
 * or until the invocation's deadline less the margin. */
static int run_worker(rt_ctx *c, int64_t deadline_ms)
{
    baton_host_worker_options o;
    memset(&o, 0, sizeof o);
    o.concurrency = c->concurrency;
    o.until_idle = 1;
    if (deadline_ms > 0) {
        o.deadline_ms = deadline_ms - c->margin_ms;
        if (o.deadline_ms <= 0)
            o.deadline_ms = 1;
    }
    int rc = baton_host_worker_run(c->host, &o);
    if (rc != BATON_OK)
        fprintf(stderr, "baton-runtime: worker: %s\n",
                baton_host_errmsg(c->host));
    return rc;
}

/* The error type of a failed host call. */
static const char *error_type(int rc)
{
    switch (rc) {
    case BATON_ENOTFOUND: return "Baton.NotFound";
    case BATON_EPARSE:
    case BATON_EINVAL: return "Baton.BadEvent";
    case BATON_HOST_ECONFLICT: return "Baton.Conflict";
    case BATON_HOST_ESTORE:
    case BATON_HOST_ESCHEMA: return "Baton.StoreError";
    case BATON_ENOMEM: return "Baton.OutOfMemory";
    default: return "Baton.Error";
    }
}

/* One invocation's outcome: an answer, or an error. */
typedef struct rt_result {
    json_t *answer;
    const char *error_type;
    char error[1024];
    char outcome[64];
} rt_result;

static void set_error(rt_result *r, const char *type, const char *msg)
{
    r->error_type = type;
    snprintf(r->error, sizeof r->error, "%s", msg);
    snprintf(r->outcome, sizeof r->outcome, "error %s", type);
}

static void start_instance(rt_ctx *c, const rt_invocation *inv,
                           const ev_event *ev, rt_result *r)
{
    char *vars = json_dumps(ev->vars, JSON_COMPACT);
    if (!vars) {
        set_error(r, "Baton.OutOfMemory", "out of memory");
        return;
    }
    uint64_t key = 0;
    int rc = baton_host_start(c->host, ev->process, vars, strlen(vars),
                              ev->business_key, &key);
    free(vars);
    if (rc != BATON_OK) {
        if (ev->kind == EV_APIGW && (rc == BATON_ENOTFOUND ||
                                     rc == BATON_EPARSE ||
                                     rc == BATON_EINVAL)) {
            int st = rc == BATON_ENOTFOUND ? 404 : 400;
            r->answer = ev_proxy_error(st, baton_host_errmsg(c->host));
            snprintf(r->outcome, sizeof r->outcome, "http %d", st);
            return;
        }
        set_error(r, error_type(rc), baton_host_errmsg(c->host));
        return;
    }
    run_worker(c, inv->deadline_ms);
    char *out = NULL;
    rc = baton_host_instance(c->host, key, 0, &out);
    json_t *a = rc == BATON_OK ? ev_instance_answer(out) : NULL;
    baton_host_free(out);
    if (!a) {
        set_error(r, rc == BATON_OK ? "Baton.Error" : error_type(rc),
                  rc == BATON_OK ? "cannot read the instance"
                                 : baton_host_errmsg(c->host));
        return;
    }
    const char *state = json_string_value(json_object_get(a, "state"));
    snprintf(r->outcome, sizeof r->outcome, "%s", state ? state : "?");
    if (ev->kind == EV_APIGW) {
        r->answer = ev_proxy_response(ev_http_status(state), a);
        json_decref(a);
    } else {
        r->answer = a;
    }
}

static void publish(rt_ctx *c, const rt_invocation *inv, const ev_event *ev,
                    rt_result *r)
{
    char *vars = json_dumps(ev->vars, JSON_COMPACT);
    if (!vars) {
        set_error(r, "Baton.OutOfMemory", "out of memory");
        return;
    }
    char *out = NULL;
    int rc = baton_host_publish(c->host, ev->msg_name, ev->msg_key, vars,
                                strlen(vars), ev->msg_ttl_ms, ev->msg_id,
                                &out);
    free(vars);
    if (rc != BATON_OK) {
        set_error(r, error_type(rc), baton_host_errmsg(c->host));
        return;
    }
    r->answer = json_loads(out ? out : "{}", 0, NULL);
    baton_host_free(out);
    run_worker(c, inv->deadline_ms);
    if (!r->answer) {
        set_error(r, "Baton.Error", "cannot read the publish result");
        return;
    }
    size_t nc = json_array_size(json_object_get(r->answer, "correlated"));
    size_t ns = json_array_size(json_object_get(r->answer, "started"));
    snprintf(r->outcome, sizeof r->outcome, "correlated %zu started %zu", nc,
             ns);
}

static void scheduled(rt_ctx *c, const rt_invocation *inv, rt_result *r)
{
    size_t did = 0;
    int rc = baton_host_tick(c->host, &did);
    if (rc != BATON_OK) {
        set_error(r, error_type(rc), baton_host_errmsg(c->host));
        return;
    }
    run_worker(c, inv->deadline_ms);
    r->answer = json_pack("{s:I}", "due", (json_int_t)did);
    snprintf(r->outcome, sizeof r->outcome, "due %zu", did);
    if (!r->answer)
        set_error(r, "Baton.OutOfMemory", "out of memory");
}

static void handle(rt_ctx *c, const rt_invocation *inv, const char **kind,
                   rt_result *r)
{
    ev_event ev;
    int rc = ev_parse(inv->body, inv->len, c->fixed_process, &ev);
    *kind = ev_kind_name(ev.kind);
    if (rc != 0) {
        if (ev.kind == EV_APIGW) {
            r->answer = ev_proxy_error(ev.http_status, ev.error);
            snprintf(r->outcome, sizeof r->outcome, "http %d",
                     ev.http_status);
        } else {
            set_error(r, "Baton.BadEvent", ev.error);
        }
    } else if (ev.kind == EV_DIRECT || ev.kind == EV_APIGW) {
        start_instance(c, inv, &ev, r);
    } else if (ev.kind == EV_MESSAGE) {
        publish(c, inv, &ev, r);
    } else {
        scheduled(c, inv, r);
    }
    if (!r->answer && !r->error_type)
        set_error(r, "Baton.OutOfMemory", "out of memory");
    ev_clear(&ev);
}

/* Waits for the next invocation; retries a failed /next a few times with
 * a doubling backoff, then gives up (as aws-lambda-cpp does: Lambda
 * replaces an environment whose runtime exits). */
static int next_invocation(rt_client *rt, rt_invocation *inv)
{
    int64_t backoff = NEXT_BACKOFF_MS;
    char err[512];
    for (int i = 1;; i++) {
        err[0] = '\0';
        int st = rt_next(rt, inv, err, sizeof err);
        if (st == 200)
            return 0;
        if (st < 0)
            fprintf(stderr, "baton-runtime: /next failed (try %d of %d): "
                    "%s\n", i, NEXT_TRIES, err);
        else
            fprintf(stderr, "baton-runtime: /next failed (try %d of %d): "
                    "HTTP %d %s\n", i, NEXT_TRIES, st, err);
        if (i >= NEXT_TRIES || (st >= 400 && st < 500))
            return -1;
        sleep_ms(backoff);
        backoff *= 2;
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api) {
        fprintf(stderr, "baton-runtime: AWS_LAMBDA_RUNTIME_API is not set\n");
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "baton-runtime: libcurl does not start\n");
        return 1;
    }
    rt_ctx c;
    memset(&c, 0, sizeof c);
    c.rt = rt_client_new(api);
    if (!c.rt) {
        fprintf(stderr, "baton-runtime: out of memory\n");
        curl_global_cleanup();
        return 1;
    }
    int status = 0;
    char msg[2048];

    /* Init: the store, then the models. */
    char models_def[4096];
    const char *root = env_or("LAMBDA_TASK_ROOT", "/var/task");
    snprintf(models_def, sizeof models_def, "%s/models", root);
    const char *models = env_or("BATON_MODELS_DIR", models_def);
    const char *store = env_or("BATON_STORE", "sqlite:/tmp/baton.db");
    c.fixed_process = env_or("BATON_PROCESS", NULL);
    c.concurrency = (int)env_long("BATON_CONCURRENCY", 16, 1, 1024);
    c.margin_ms = env_long("BATON_DEADLINE_MARGIN_MS", 1000, 0, 900000);

    int rc = baton_host_open(store, &c.host);
    if (rc != BATON_OK) {
        snprintf(msg, sizeof msg, "cannot open the store: %s",
                 c.host ? baton_host_errmsg(c.host) : baton_host_strerror(rc));
        status = init_error(c.rt, "Runtime.InitError", msg);
        goto done;
    }
    baton_host_set_log(c.host, host_log, NULL);
    if (deploy_models(c.host, models, msg, sizeof msg) != 0) {
        status = init_error(c.rt, "Runtime.InitError", msg);
        goto done;
    }
    register_types(&c, "BATON_COMPLETE_JOB_TYPES", "",
                   complete_at_once, NULL, "is completed at once");
#ifdef BATON_RT_HAVE_LAMBDA
    register_lambda(&c);
#else
    fprintf(stderr, "baton-runtime: warning: built without libbaton-lambda; "
            "no job type is handled by Lambda functions\n");
#endif

    for (;;) {
        rt_invocation inv;
        if (next_invocation(c.rt, &inv) != 0) {
            status = 1;
            break;
        }
        int64_t t0 = mono_ms();
        if (inv.trace_id)
            setenv("_X_AMZN_TRACE_ID", inv.trace_id, 1);
        else
            unsetenv("_X_AMZN_TRACE_ID");
        const char *kind = "bad";
        rt_result r;
        memset(&r, 0, sizeof r);
        handle(&c, &inv, &kind, &r);
        char err[512] = "";
        int st;
        if (r.error_type) {
            fprintf(stderr, "baton-runtime: %s: %s: %s\n", inv.request_id,
                    r.error_type, r.error);
            st = rt_post_error(c.rt, inv.request_id, r.error_type, r.error,
                               err, sizeof err);
        } else {
            char *text = json_dumps(r.answer, JSON_COMPACT);
            if (!text)
                st = rt_post_error(c.rt, inv.request_id, "Baton.OutOfMemory",
                                   "out of memory", err, sizeof err);
            else
                st = rt_post_response(c.rt, inv.request_id, text,
                                      strlen(text), err, sizeof err);
            free(text);
        }
        if (st < 200 || st >= 300)
            fprintf(stderr, "baton-runtime: %s: the answer was not taken "
                    "(%d): %s\n", inv.request_id, st, err);
        printf("request=%s kind=%s outcome=\"%s\" ms=%lld\n", inv.request_id,
               kind, r.outcome, (long long)(mono_ms() - t0));
        json_decref(r.answer);
        rt_invocation_clear(&inv);
    }

done:
#ifdef BATON_RT_HAVE_LAMBDA
    baton_lambda_free(c.lambda);
#endif
    baton_host_close(c.host);
    rt_client_free(c.rt);
    curl_global_cleanup();
    return status;
}
