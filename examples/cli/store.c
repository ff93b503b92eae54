/* The commands of `baton` over a durable store (baton_host.h): deploy,
 * start, publish, signal, jobs, instances, instance, incidents, resolve
 * and cancel. The worker is in worker.c. See docs/cli.md. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STORE "sqlite:baton.db"

/* ------------------------------------------------------------------ */
/* Shared helpers                                                      */
/* ------------------------------------------------------------------ */

int cli_parse_opts(const char *command, int argc, char **argv,
                   const struct cli_opt *opts, size_t *n_operands)
{
    int i, only_operands = 0;
    size_t n = 0;

    for (i = 1; i < argc; i++) {
        char *a = argv[i];
        const char *val = NULL;
        const struct cli_opt *o;
        size_t nlen;

        if (only_operands || a[0] != '-' || a[1] == '\0') {
            argv[1 + n++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_operands = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_usage_store_command(stdout, command);
            return cli_finish_stdout() == 0 ? -1 : CLI_EXIT_REFUSED;
        }
        nlen = strcspn(a, "=");
        for (o = opts; o->name; o++)
            if (strlen(o->name) == nlen && strncmp(a, o->name, nlen) == 0)
                break;
        if (!o->name)
            return cli_usage_error(command, "unknown option '%.*s'",
                                   (int)nlen, a);
        if (!o->takes_value) {
            if (a[nlen] == '=')
                return cli_usage_error(command, "%s takes no value",
                                       o->name);
            *o->flag = 1;
            continue;
        }
        if (a[nlen] == '=') {
            val = a + nlen + 1;
        } else {
            if (i + 1 >= argc)
                return cli_usage_error(command, "%s needs a value", o->name);
            val = argv[++i];
        }
        if (o->add) {
            int rc = o->add(o->ud, val);
            if (rc)
                return rc;
        } else {
            *o->value = val;
        }
    }
    *n_operands = n;
    return 0;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int cli_store_open(const char *command, const char *uri, baton_host **out)
{
    const char *source = "--store";
    baton_host *host = NULL;
    int rc;

    *out = NULL;
    if (!uri) {
        uri = getenv("BATON_STORE");
        source = "BATON_STORE";
        if (!uri || !*uri) {
            uri = DEFAULT_STORE;
            source = NULL;
        }
    }
    /* The URI is not repeated: it may carry a password. */
    if (!(has_prefix(uri, "sqlite:") || has_prefix(uri, "postgresql://") ||
          has_prefix(uri, "postgres://")))
        return cli_usage_error(command, "%s: unknown kind of store: "
                               "expected sqlite:PATH or postgresql://...",
                               source ? source : "--store");
    rc = baton_host_open(uri, &host);
    if (rc != BATON_OK) {
        if (!host) {
            fprintf(stderr, "baton: cannot open the store: %s\n",
                    baton_host_strerror(rc));
            return CLI_EXIT_REFUSED;
        }
        cli_host_error(host, rc);
        baton_host_close(host);
        return CLI_EXIT_REFUSED;
    }
    *out = host;
    return 0;
}

int cli_host_error(const baton_host *host, int code)
{
    const char *msg = host ? baton_host_errmsg(host) : "";

    fprintf(stderr, "baton: %s\n", *msg ? msg : baton_host_strerror(code));
    return CLI_EXIT_REFUSED;
}

int cli_parse_key(const char *text, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = text;

    if (!*p)
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v == 0)
        return -1;
    *out = v;
    return 0;
}

/* A non-negative decimal int. Returns 0 or -1. */
static int parse_count(const char *text, long max, long *out)
{
    long v = 0;
    const char *p = text;

    if (!*p)
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
        if (v > max)
            return -1;
    }
    *out = v;
    return 0;
}

static int parse_duration_opt(const char *command, const char *opt,
                              const char *text, int64_t *out)
{
    char why[160];

    if (cli_duration_ms(text, out, why, sizeof why) != 0)
        return cli_usage_error(command, "%s '%s': %s", opt, text, why);
    return 0;
}

/* Variables of --vars: the JSON text itself, or @FILE, or @- (standard
 * input). `*buf` receives what must be freed. Returns 0, or an exit
 * status (message printed). */
static int load_vars(const char *command, const char *arg, char **buf,
                     const char **text, size_t *len)
{
    const char *path;
    int err;

    *buf = NULL;
    *text = NULL;
    *len = 0;
    if (!arg)
        return 0;
    if (arg[0] != '@') {
        *text = arg;
        *len = strlen(arg);
        return 0;
    }
    if (strcmp(arg, "@") == 0)
        return cli_usage_error(command, "--vars '@': expected @FILE or @- "
                               "(standard input)");
    path = strcmp(arg, "@-") == 0 ? NULL : arg + 1;
    err = cli_read_file(path, buf, len);
    if (err) {
        cli_print_read_error(stderr, path ? path : "<stdin>", err);
        return CLI_EXIT_REFUSED;
    }
    *text = *buf;
    return 0;
}

/* Prints the host's JSON text and a newline. */
static int print_json_text(const char *text)
{
    fputs(text, stdout);
    fputc('\n', stdout);
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

/* ---- Tables -------------------------------------------------------- */

struct table {
    size_t cols, n, cap;
    char **cells;
    int oom;
};

static void table_add(struct table *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void table_add(struct table *t, const char *fmt, ...)
{
    va_list ap;
    char *cell;
    int len;

    if (t->oom)
        return;
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        char **nc = realloc(t->cells, ncap * sizeof *nc);
        if (!nc) {
            t->oom = 1;
            return;
        }
        t->cells = nc;
        t->cap = ncap;
    }
    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    cell = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (!cell) {
        t->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(cell, (size_t)len + 1, fmt, ap);
    va_end(ap);
    /* One line per row: control characters become spaces. */
    for (char *p = cell; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    t->cells[t->n++] = cell;
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

/* Prints the table, columns two spaces apart, each line after `indent`.
 * Returns 0, or -1 when memory ran out (message printed). */
static int table_print(struct table *t, const char *indent)
{
    size_t *w, r, c;

    if (t->oom) {
        fputs("baton: out of memory\n", stderr);
        return -1;
    }
    w = calloc(t->cols, sizeof *w);
    if (!w) {
        fputs("baton: out of memory\n", stderr);
        return -1;
    }
    for (r = 0; r < t->n; r++) {
        size_t cw = width(t->cells[r]);
        if (cw > w[r % t->cols])
            w[r % t->cols] = cw;
    }
    for (r = 0; r < t->n; r += t->cols) {
        size_t last = t->cols - 1;
        /* Trailing empty cells print nothing. */
        while (last > 0 && !*t->cells[r + last])
            last--;
        fputs(indent, stdout);
        for (c = 0; c <= last; c++) {
            const char *cell = t->cells[r + c];
            fputs(cell, stdout);
            if (c < last)
                fprintf(stdout, "%*s", (int)(w[c] - width(cell) + 2), "");
        }
        fputc('\n', stdout);
    }
    free(w);
    return 0;
}

/* ---- JSON fields --------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_int_t jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* A time in milliseconds since the epoch as YYYY-MM-DDThh:mm:ssZ, or ""
 * for null. */
static const char *jtime(const json_t *o, const char *key, char buf[32])
{
    json_t *v = json_object_get(o, key);
    size_t n;

    if (!json_is_integer(v))
        return "";
    cli_time_format(json_integer_value(v), buf);
    /* Seconds are enough for people. */
    n = strlen(buf);
    if (n > 5 && buf[n - 5] == '.') {
        buf[n - 5] = 'Z';
        buf[n - 4] = '\0';
    }
    return buf;
}

/* Any JSON value as compact text (malloc'ed), or NULL. */
static char *jtext(const json_t *v)
{
    if (!v)
        return NULL;
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static json_t *load_json(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);

    if (!doc)
        fputs("baton: the store returned JSON that cannot be read\n",
              stderr);
    return doc;
}

/* ------------------------------------------------------------------ */
/* deploy                                                              */
/* ------------------------------------------------------------------ */

static int cmd_deploy(int argc, char **argv)
{
    const char *store = NULL;
    int json = 0, rc, failed = 0;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--json", 0, NULL, &json, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    size_t n, i;
    baton_host *host;
    json_t *all;

    rc = cli_parse_opts("deploy", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n == 0)
        return cli_usage_error("deploy", "no MODEL given");
    rc = cli_store_open("deploy", store, &host);
    if (rc)
        return rc;
    all = json_array();
    if (!all) {
        baton_host_close(host);
        fputs("baton: out of memory\n", stderr);
        return CLI_EXIT_REFUSED;
    }
    for (i = 1; i <= n; i++) {
        const char *path = strcmp(argv[i], "-") == 0 ? NULL : argv[i];
        const char *name = path ? path : "<stdin>";
        char *xml = NULL, *out = NULL;
        size_t len = 0, k;
        json_t *doc, *d;
        int err = cli_read_file(path, &xml, &len);

        if (err) {
            cli_print_read_error(stderr, name, err);
            failed = 1;
            continue;
        }
        rc = baton_host_deploy(host, xml, len, name, &out);
        free(xml);
        if (rc != BATON_OK) {
            cli_host_error(host, rc);
            failed = 1;
            continue;
        }
        doc = load_json(out);
        baton_host_free(out);
        if (!doc) {
            failed = 1;
            continue;
        }
        json_array_foreach(doc, k, d) {
            if (!json)
                printf("%s version %" JSON_INTEGER_FORMAT " (%s)\n",
                       jstr(d, "processId"), jint(d, "version"),
                       json_is_true(json_object_get(d, "new"))
                           ? "new" : "unchanged");
            json_array_append(all, d);
        }
        json_decref(doc);
    }
    baton_host_close(host);
    if (json) {
        char *text = json_dumps(all, JSON_COMPACT);
        if (text) {
            puts(text);
            free(text);
        } else {
            fputs("baton: out of memory\n", stderr);
            failed = 1;
        }
    }
    json_decref(all);
    if (cli_finish_stdout() != 0)
        failed = 1;
    return failed ? CLI_EXIT_REFUSED : 0;
}

/* ------------------------------------------------------------------ */
/* start, publish, signal                                              */
/* ------------------------------------------------------------------ */

static int cmd_start(int argc, char **argv)
{
    const char *store = NULL, *vars = NULL, *business_key = NULL, *text;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--vars", 1, &vars, NULL, NULL, NULL},
        {"--business-key", 1, &business_key, NULL, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    size_t n, len;
    char *buf;
    baton_host *host;
    uint64_t key = 0;
    int rc;

    rc = cli_parse_opts("start", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n != 1)
        return cli_usage_error("start", n ? "more than one PROCESS_ID"
                                          : "no PROCESS_ID given");
    rc = load_vars("start", vars, &buf, &text, &len);
    if (rc)
        return rc;
    rc = cli_store_open("start", store, &host);
    if (rc) {
        free(buf);
        return rc;
    }
    rc = baton_host_start(host, argv[1], text, len, business_key, &key);
    free(buf);
    if (rc != BATON_OK) {
        cli_host_error(host, rc);
        baton_host_close(host);
        return CLI_EXIT_REFUSED;
    }
    baton_host_close(host);
    printf("%" PRIu64 "\n", key);
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

static int cmd_publish(int argc, char **argv)
{
    const char *store = NULL, *vars = NULL, *key = NULL, *ttl = NULL,
               *id = NULL, *text;
    int json = 0;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--key", 1, &key, NULL, NULL, NULL},
        {"--vars", 1, &vars, NULL, NULL, NULL},
        {"--ttl", 1, &ttl, NULL, NULL, NULL},
        {"--id", 1, &id, NULL, NULL, NULL},
        {"--json", 0, NULL, &json, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    size_t n, len, i;
    char *buf, *out = NULL;
    int64_t ttl_ms = 0;
    baton_host *host;
    json_t *doc, *v;
    int rc;

    rc = cli_parse_opts("publish", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n != 1)
        return cli_usage_error("publish", n ? "more than one NAME"
                                            : "no message NAME given");
    if (ttl && (rc = parse_duration_opt("publish", "--ttl", ttl, &ttl_ms)))
        return rc;
    rc = load_vars("publish", vars, &buf, &text, &len);
    if (rc)
        return rc;
    rc = cli_store_open("publish", store, &host);
    if (rc) {
        free(buf);
        return rc;
    }
    rc = baton_host_publish(host, argv[1], key, text, len, ttl_ms, id, &out);
    free(buf);
    if (rc != BATON_OK) {
        cli_host_error(host, rc);
        baton_host_close(host);
        return CLI_EXIT_REFUSED;
    }
    baton_host_close(host);
    if (json) {
        rc = print_json_text(out);
        baton_host_free(out);
        return rc;
    }
    doc = load_json(out);
    baton_host_free(out);
    if (!doc)
        return CLI_EXIT_REFUSED;
    json_array_foreach(json_object_get(doc, "correlated"), i, v)
        printf("correlated %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
    json_array_foreach(json_object_get(doc, "started"), i, v)
        printf("started %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
    json_decref(doc);
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

static int cmd_signal(int argc, char **argv)
{
    const char *store = NULL, *vars = NULL, *text;
    int json = 0;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--vars", 1, &vars, NULL, NULL, NULL},
        {"--json", 0, NULL, &json, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    size_t n, len, count = 0;
    char *buf;
    baton_host *host;
    int rc;

    rc = cli_parse_opts("signal", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n != 1)
        return cli_usage_error("signal", n ? "more than one NAME"
                                           : "no signal NAME given");
    rc = load_vars("signal", vars, &buf, &text, &len);
    if (rc)
        return rc;
    rc = cli_store_open("signal", store, &host);
    if (rc) {
        free(buf);
        return rc;
    }
    rc = baton_host_signal(host, argv[1], text, len, &count);
    free(buf);
    if (rc != BATON_OK) {
        cli_host_error(host, rc);
        baton_host_close(host);
        return CLI_EXIT_REFUSED;
    }
    baton_host_close(host);
    if (json)
        printf("{\"instances\":%zu}\n", count);
    else
        printf("%zu\n", count);
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

/* ------------------------------------------------------------------ */
/* jobs                                                                */
/* ------------------------------------------------------------------ */

static int jobs_activate(int argc, char **argv)
{
    const char *store = NULL, *worker = NULL, *max = NULL, *lock = NULL;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--worker", 1, &worker, NULL, NULL, NULL},
        {"--max", 1, &max, NULL, NULL, NULL},
        {"--lock", 1, &lock, NULL, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    size_t n, count = 0;
    long max_jobs = 32;
    int64_t lock_ms = 300000;
    baton_host *host;
    char *out = NULL;
    int rc;

    rc = cli_parse_opts("jobs activate", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n != 1)
        return cli_usage_error("jobs activate", n ? "more than one TYPE"
                                                  : "no job TYPE given");
    if (!worker || !*worker)
        return cli_usage_error("jobs activate", "--worker NAME is required");
    if (max && (parse_count(max, 100000, &max_jobs) != 0 || max_jobs < 1))
        return cli_usage_error("jobs activate", "--max '%s': expected a "
                               "number from 1 to 100000", max);
    if (lock) {
        rc = parse_duration_opt("jobs activate", "--lock", lock, &lock_ms);
        if (rc)
            return rc;
        if (lock_ms <= 0)
            return cli_usage_error("jobs activate", "--lock '%s': the lock "
                                   "must last longer than 0", lock);
    }
    rc = cli_store_open("jobs activate", store, &host);
    if (rc)
        return rc;
    rc = baton_host_activate_jobs(host, argv[1], worker, (size_t)max_jobs,
                                  lock_ms, &out, &count);
    if (rc != BATON_OK) {
        cli_host_error(host, rc);
        baton_host_close(host);
        return CLI_EXIT_REFUSED;
    }
    baton_host_close(host);
    if (out && *out) {
        size_t len = strlen(out);
        fputs(out, stdout);
        if (out[len - 1] != '\n')
            fputc('\n', stdout);
    }
    baton_host_free(out);
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

/* complete, fail and error: JOB_KEY and their options. */
static int jobs_settle(const char *what, int argc, char **argv)
{
    const char *store = NULL, *vars = NULL, *retries = NULL,
               *backoff = NULL, *message = NULL, *code = NULL, *text;
    char command[32];
    struct cli_opt opts[8];
    size_t k = 0, n, len;
    int is_complete = strcmp(what, "complete") == 0;
    int is_fail = strcmp(what, "fail") == 0;
    uint64_t key;
    long retries_n = 0;
    int64_t backoff_ms = 0;
    char *buf = NULL;
    baton_host *host;
    int rc;

    snprintf(command, sizeof command, "jobs %s", what);
    memset(opts, 0, sizeof opts);
    opts[k++] = (struct cli_opt){"--store", 1, &store, NULL, NULL, NULL};
    if (!is_fail)
        opts[k++] = (struct cli_opt){"--vars", 1, &vars, NULL, NULL, NULL};
    if (is_fail) {
        opts[k++] = (struct cli_opt){"--retries", 1, &retries, NULL, NULL,
                                     NULL};
        opts[k++] = (struct cli_opt){"--backoff", 1, &backoff, NULL, NULL,
                                     NULL};
    }
    if (!is_complete)
        opts[k++] = (struct cli_opt){"--message", 1, &message, NULL, NULL,
                                     NULL};
    if (!is_complete && !is_fail)
        opts[k++] = (struct cli_opt){"--code", 1, &code, NULL, NULL, NULL};

    rc = cli_parse_opts(command, argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n != 1)
        return cli_usage_error(command, n ? "more than one JOB_KEY"
                                          : "no JOB_KEY given");
    if (cli_parse_key(argv[1], &key) != 0)
        return cli_usage_error(command, "'%s' is not a job key (a positive "
                               "number)", argv[1]);
    if (is_fail) {
        if (!retries)
            return cli_usage_error(command, "--retries N is required");
        if (parse_count(retries, 1000000, &retries_n) != 0)
            return cli_usage_error(command, "--retries '%s': expected a "
                                   "number from 0 to 1000000", retries);
        if (backoff &&
            (rc = parse_duration_opt(command, "--backoff", backoff,
                                     &backoff_ms)))
            return rc;
    }
    if (!is_complete && !is_fail && (!code || !*code))
        return cli_usage_error(command, "--code CODE is required");
    rc = load_vars(command, vars, &buf, &text, &len);
    if (rc)
        return rc;
    rc = cli_store_open(command, store, &host);
    if (rc) {
        free(buf);
        return rc;
    }
    if (is_complete)
        rc = baton_host_complete_job(host, key, text, len);
    else if (is_fail)
        rc = baton_host_fail_job(host, key, (int)retries_n, backoff_ms,
                                 message);
    else
        rc = baton_host_throw_error(host, key, code, message, text, len);
    free(buf);
    if (rc != BATON_OK)
        rc = cli_host_error(host, rc);
    baton_host_close(host);
    return rc;
}

static int cmd_jobs(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;

    if (!sub)
        return cli_usage_error("jobs", "no jobs command given (activate, "
                               "complete, fail or error)");
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        cli_usage_store_command(stdout, "jobs");
        return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
    }
    if (strcmp(sub, "activate") == 0)
        return jobs_activate(argc - 1, argv + 1);
    if (strcmp(sub, "complete") == 0 || strcmp(sub, "fail") == 0 ||
        strcmp(sub, "error") == 0)
        return jobs_settle(sub, argc - 1, argv + 1);
    return cli_usage_error("jobs", "unknown jobs command '%s' (activate, "
                           "complete, fail or error)", sub);
}

/* ------------------------------------------------------------------ */
/* instances, instance, incidents                                      */
/* ------------------------------------------------------------------ */

static const char *const states[] = {"ACTIVE", "WAITING", "INCIDENT",
                                     "COMPLETED", "TERMINATED", "FAILED"};

static int cmd_instances(int argc, char **argv)
{
    const char *store = NULL, *state = NULL, *process = NULL, *limit = NULL;
    int json = 0;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--state", 1, &state, NULL, NULL, NULL},
        {"--process", 1, &process, NULL, NULL, NULL},
        {"--limit", 1, &limit, NULL, NULL, NULL},
        {"--json", 0, NULL, &json, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    char state_buf[16];
    const char *state_name = NULL;
    long limit_n = 100;
    size_t n, i;
    baton_host *host;
    char *out = NULL;
    json_t *doc, *o;
    struct table t = {7, 0, 0, NULL, 0};
    int rc;

    rc = cli_parse_opts("instances", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n)
        return cli_usage_error("instances", "unexpected operand '%s'",
                               argv[1]);
    if (state) {
        size_t k;
        for (k = 0; state[k] && k + 1 < sizeof state_buf; k++)
            state_buf[k] = (char)(state[k] >= 'a' && state[k] <= 'z'
                                      ? state[k] - 'a' + 'A' : state[k]);
        state_buf[k] = '\0';
        for (k = 0; k < sizeof states / sizeof states[0]; k++)
            if (strcmp(states[k], state_buf) == 0)
                state_name = states[k];
        if (!state_name)
            return cli_usage_error("instances", "--state '%s': expected "
                                   "ACTIVE, WAITING, INCIDENT, COMPLETED, "
                                   "TERMINATED or FAILED", state);
    }
    if (limit && (parse_count(limit, 1000000, &limit_n) != 0 || limit_n < 1))
        return cli_usage_error("instances", "--limit '%s': expected a "
                               "number from 1 to 1000000", limit);
    rc = cli_store_open("instances", store, &host);
    if (rc)
        return rc;
    rc = baton_host_instances(host, state_name, process, 0, (size_t)limit_n,
                              &out);
    if (rc != BATON_OK) {
        cli_host_error(host, rc);
        baton_host_close(host);
        return CLI_EXIT_REFUSED;
    }
    baton_host_close(host);
    if (json) {
        rc = print_json_text(out);
        baton_host_free(out);
        return rc;
    }
    doc = load_json(out);
    baton_host_free(out);
    if (!doc)
        return CLI_EXIT_REFUSED;
    table_add(&t, "KEY");
    table_add(&t, "PROCESS");
    table_add(&t, "VERSION");
    table_add(&t, "STATE");
    table_add(&t, "INCIDENTS");
    table_add(&t, "UPDATED");
    table_add(&t, "BUSINESS_KEY");
    json_array_foreach(doc, i, o) {
        char tb[32];
        table_add(&t, "%" JSON_INTEGER_FORMAT, jint(o, "key"));
        table_add(&t, "%s", jstr(o, "processId"));
        table_add(&t, "%" JSON_INTEGER_FORMAT, jint(o, "version"));
        table_add(&t, "%s", jstr(o, "state"));
        table_add(&t, "%" JSON_INTEGER_FORMAT, jint(o, "incidents"));
        table_add(&t, "%s", jtime(o, "updated", tb));
        table_add(&t, "%s", jstr(o, "businessKey"));
    }
    json_decref(doc);
    rc = table_print(&t, "");
    table_free(&t);
    if (rc)
        return CLI_EXIT_REFUSED;
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

static void incidents_table(struct table *t, json_t *list, int with_instance)
{
    size_t i;
    json_t *o;

    table_add(t, "KEY");
    if (with_instance)
        table_add(t, "INSTANCE");
    table_add(t, "TYPE");
    table_add(t, "ELEMENT");
    table_add(t, "JOB");
    table_add(t, "CREATED");
    table_add(t, "MESSAGE");
    json_array_foreach(list, i, o) {
        char tb[32];
        table_add(t, "%" JSON_INTEGER_FORMAT, jint(o, "key"));
        if (with_instance)
            table_add(t, "%" JSON_INTEGER_FORMAT, jint(o, "instanceKey"));
        table_add(t, "%s", jstr(o, "type"));
        table_add(t, "%s", jstr(o, "elementId"));
        if (json_is_integer(json_object_get(o, "jobKey")))
            table_add(t, "%" JSON_INTEGER_FORMAT, jint(o, "jobKey"));
        else
            table_add(t, "-");
        table_add(t, "%s", jtime(o, "created", tb));
        table_add(t, "%s", jstr(o, "message"));
    }
}

/* Prints one section of `baton instance`: a title and a table, when the
 * list is not empty. */
static int print_section(const char *title, struct table *t)
{
    int rc;

    if (t->n <= t->cols) { /* the header only */
        table_free(t);
        return 0;
    }
    printf("\n%s:\n", title);
    rc = table_print(t, "  ");
    table_free(t);
    return rc;
}

static int print_instance(json_t *o)
{
    char tb[32];
    char *vars = jtext(json_object_get(o, "variables"));
    struct table t = {2, 0, 0, NULL, 0};
    json_t *list, *v;
    size_t i;
    int rc = 0;

    table_add(&t, "key");
    table_add(&t, "%" JSON_INTEGER_FORMAT, jint(o, "key"));
    table_add(&t, "process");
    table_add(&t, "%s version %" JSON_INTEGER_FORMAT, jstr(o, "processId"),
              jint(o, "version"));
    table_add(&t, "state");
    table_add(&t, "%s", jstr(o, "state"));
    if (*jstr(o, "businessKey")) {
        table_add(&t, "business key");
        table_add(&t, "%s", jstr(o, "businessKey"));
    }
    table_add(&t, "created");
    table_add(&t, "%s", jtime(o, "created", tb));
    table_add(&t, "updated");
    table_add(&t, "%s", jtime(o, "updated", tb));
    if (json_is_integer(json_object_get(o, "ended"))) {
        table_add(&t, "ended");
        table_add(&t, "%s", jtime(o, "ended", tb));
    }
    if (*jstr(o, "error")) {
        table_add(&t, "error");
        table_add(&t, "%s", jstr(o, "error"));
    }
    table_add(&t, "variables");
    table_add(&t, "%s", vars ? vars : "null");
    free(vars);
    rc |= table_print(&t, "");
    table_free(&t);

    t = (struct table){6, 0, 0, NULL, 0};
    table_add(&t, "KEY");
    table_add(&t, "TYPE");
    table_add(&t, "ELEMENT");
    table_add(&t, "RETRIES");
    table_add(&t, "WORKER");
    table_add(&t, "LOCKED_UNTIL");
    json_array_foreach(json_object_get(o, "jobs"), i, v) {
        table_add(&t, "%" JSON_INTEGER_FORMAT, jint(v, "key"));
        table_add(&t, "%s", jstr(v, "type"));
        table_add(&t, "%s", jstr(v, "elementId"));
        table_add(&t, "%" JSON_INTEGER_FORMAT, jint(v, "retries"));
        table_add(&t, "%s", *jstr(v, "worker") ? jstr(v, "worker") : "-");
        table_add(&t, "%s", jtime(v, "deadline", tb));
    }
    rc |= print_section("jobs", &t);

    t = (struct table){6, 0, 0, NULL, 0};
    incidents_table(&t, json_object_get(o, "incidents"), 0);
    rc |= print_section("incidents", &t);

    /* What it waits for: timers, messages and signals. */
    t = (struct table){4, 0, 0, NULL, 0};
    table_add(&t, "KIND");
    table_add(&t, "ELEMENT");
    table_add(&t, "NAME");
    table_add(&t, "DUE_OR_KEY");
    json_array_foreach(json_object_get(o, "timers"), i, v) {
        table_add(&t, "timer");
        table_add(&t, "%s", jstr(v, "elementId"));
        table_add(&t, "-");
        table_add(&t, "%s", jtime(v, "due", tb));
    }
    json_array_foreach(json_object_get(o, "messageSubscriptions"), i, v) {
        table_add(&t, "message");
        table_add(&t, "%s", jstr(v, "elementId"));
        table_add(&t, "%s", jstr(v, "name"));
        table_add(&t, "%s", jstr(v, "correlationKey"));
    }
    json_array_foreach(json_object_get(o, "signalSubscriptions"), i, v) {
        table_add(&t, "signal");
        table_add(&t, "%s", jstr(v, "elementId"));
        table_add(&t, "%s", jstr(v, "name"));
        table_add(&t, "%s", "");
    }
    rc |= print_section("waiting for", &t);

    list = json_object_get(o, "history");
    t = (struct table){5, 0, 0, NULL, 0};
    table_add(&t, "POSITION");
    table_add(&t, "VALUE_TYPE");
    table_add(&t, "INTENT");
    table_add(&t, "ELEMENT_TYPE");
    table_add(&t, "ELEMENT");
    json_array_foreach(list, i, v) {
        json_t *rec = json_object_get(v, "record");
        json_t *val = json_object_get(rec, "value");
        table_add(&t, "%" JSON_INTEGER_FORMAT, jint(v, "position"));
        table_add(&t, "%s", jstr(rec, "valueType"));
        table_add(&t, "%s", jstr(rec, "intent"));
        table_add(&t, "%s", jstr(val, "bpmnElementType"));
        /* Variables have a name where elements have an id. */
        table_add(&t, "%s", *jstr(val, "elementId") ? jstr(val, "elementId")
                                                     : jstr(val, "name"));
    }
    rc |= print_section("history", &t);
    return rc ? -1 : 0;
}

static int cmd_instance(int argc, char **argv)
{
    const char *store = NULL;
    int json = 0;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--json", 0, NULL, &json, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    size_t n;
    uint64_t key;
    baton_host *host;
    char *out = NULL;
    json_t *doc;
    int rc;

    rc = cli_parse_opts("instance", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n != 1)
        return cli_usage_error("instance", n ? "more than one KEY"
                                             : "no instance KEY given");
    if (cli_parse_key(argv[1], &key) != 0)
        return cli_usage_error("instance", "'%s' is not an instance key (a "
                               "positive number)", argv[1]);
    rc = cli_store_open("instance", store, &host);
    if (rc)
        return rc;
    rc = baton_host_instance(host, key, 1, &out);
    if (rc != BATON_OK) {
        cli_host_error(host, rc);
        baton_host_close(host);
        return CLI_EXIT_REFUSED;
    }
    baton_host_close(host);
    if (json) {
        rc = print_json_text(out);
        baton_host_free(out);
        return rc;
    }
    doc = load_json(out);
    baton_host_free(out);
    if (!doc)
        return CLI_EXIT_REFUSED;
    rc = print_instance(doc);
    json_decref(doc);
    if (rc)
        return CLI_EXIT_REFUSED;
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

static int cmd_incidents(int argc, char **argv)
{
    const char *store = NULL;
    int json = 0;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--json", 0, NULL, &json, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    size_t n;
    baton_host *host;
    char *out = NULL;
    json_t *doc;
    struct table t = {7, 0, 0, NULL, 0};
    int rc;

    rc = cli_parse_opts("incidents", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n)
        return cli_usage_error("incidents", "unexpected operand '%s'",
                               argv[1]);
    rc = cli_store_open("incidents", store, &host);
    if (rc)
        return rc;
    rc = baton_host_incidents(host, &out);
    if (rc != BATON_OK) {
        cli_host_error(host, rc);
        baton_host_close(host);
        return CLI_EXIT_REFUSED;
    }
    baton_host_close(host);
    if (json) {
        rc = print_json_text(out);
        baton_host_free(out);
        return rc;
    }
    doc = load_json(out);
    baton_host_free(out);
    if (!doc)
        return CLI_EXIT_REFUSED;
    incidents_table(&t, doc, 1);
    json_decref(doc);
    rc = table_print(&t, "");
    table_free(&t);
    if (rc)
        return CLI_EXIT_REFUSED;
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

/* ------------------------------------------------------------------ */
/* resolve, cancel                                                     */
/* ------------------------------------------------------------------ */

static int by_key(const char *command, const char *what, int argc,
                  char **argv, int (*fn)(baton_host *, uint64_t))
{
    const char *store = NULL;
    const struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    size_t n;
    uint64_t key;
    baton_host *host;
    int rc;

    rc = cli_parse_opts(command, argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n > 1)
        return cli_usage_error(command, "more than one KEY");
    if (n == 0)
        return cli_usage_error(command, "no %s key given", what);
    if (cli_parse_key(argv[1], &key) != 0)
        return cli_usage_error(command, "'%s' is not an %s key (a positive "
                               "number)", argv[1], what);
    rc = cli_store_open(command, store, &host);
    if (rc)
        return rc;
    rc = fn(host, key);
    if (rc != BATON_OK)
        rc = cli_host_error(host, rc);
    baton_host_close(host);
    return rc;
}

static int cmd_resolve(int argc, char **argv)
{
    return by_key("resolve", "incident", argc, argv, baton_host_resolve);
}

static int cmd_cancel(int argc, char **argv)
{
    return by_key("cancel", "instance", argc, argv, baton_host_cancel);
}

/* ------------------------------------------------------------------ */
/* Dispatch and usage                                                  */
/* ------------------------------------------------------------------ */

struct store_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
};

static const struct store_command commands[] = {
    {"deploy", cmd_deploy,
"usage: baton deploy [--store URI] [--json] MODEL...\n"
"\n"
"Deploys each MODEL (- reads standard input): every executable process\n"
"becomes the next version of its id, unless the latest version is the\n"
"same model. Prints PROCESS_ID version N (new|unchanged) per process, or\n"
"with --json one JSON array [{\"processId\", \"version\", \"new\"}].\n"},
    {"start", cmd_start,
"usage: baton start [--store URI] PROCESS_ID [--vars JSON|@FILE|@-]\n"
"                   [--business-key KEY]\n"
"\n"
"Starts an instance of the latest version of PROCESS_ID, runs it until it\n"
"waits, and prints its key.\n"},
    {"publish", cmd_publish,
"usage: baton publish [--store URI] NAME [--key KEY] [--vars JSON|@FILE|@-]\n"
"                     [--ttl DURATION] [--id MESSAGE_ID] [--json]\n"
"\n"
"Publishes a message: it correlates to every instance waiting for NAME\n"
"with correlation key KEY and starts the processes with a message start\n"
"event NAME. With --ttl it is kept that long for instances that wait\n"
"later; --id refuses a second message of that name and id while the\n"
"first is kept. Prints 'correlated KEY' and 'started KEY' lines, or with\n"
"--json {\"messageKey\", \"correlated\": [...], \"started\": [...]}.\n"},
    {"signal", cmd_signal,
"usage: baton signal [--store URI] NAME [--vars JSON|@FILE|@-] [--json]\n"
"\n"
"Broadcasts a signal to every instance waiting for it and starts the\n"
"processes with a signal start event NAME. Prints how many instances it\n"
"reached (with --json {\"instances\": N}).\n"},
    {"worker", cli_worker,
"usage: baton worker [--store URI] [--exec TYPE=COMMAND]... [--concurrency N]\n"
"                    [--lease DURATION] [--name NAME] [--until-idle]\n"
"                    [--verbose]\n"
"\n"
"Runs the store's due work (ready instances, timers, retries, kept\n"
"messages) and the jobs of each --exec TYPE, each with the shell command\n"
"COMMAND: the job's variables as one line of JSON on its standard input,\n"
"BATON_JOB_KEY, BATON_JOB_TYPE, BATON_ELEMENT_ID, BATON_PROCESS_ID,\n"
"BATON_PROCESS_INSTANCE_KEY, BATON_JOB_RETRIES and BATON_JOB_HEADERS\n"
"(JSON) in its environment. Exit status 0 completes the job with the JSON\n"
"object printed on standard output (nothing: no variables), or throws the\n"
"BPMN error of {\"bpmnError\": {\"code\": ..., \"message\": ...}}; any\n"
"other status fails it (retries - 1) with standard error as the message.\n"
"\n"
"  --concurrency N   jobs run at once (default 1, at most 1024)\n"
"  --lease DURATION  lock of a running job, renewed while it runs\n"
"                    (default PT1M)\n"
"  --name NAME       the worker's name in job locks\n"
"  --until-idle      exit once nothing is due and no job runs\n"
"  --verbose         log every job on stderr\n"
"\n"
"SIGINT or SIGTERM: take no more jobs, wait for the running commands,\n"
"commit their results and exit with 0 (a second signal exits at once).\n"},
    {"jobs", cmd_jobs,
"usage: baton jobs activate [--store URI] TYPE --worker NAME [--max N]\n"
"                           [--lock DURATION]\n"
"       baton jobs complete [--store URI] JOB_KEY [--vars JSON|@FILE|@-]\n"
"       baton jobs fail [--store URI] JOB_KEY --retries N\n"
"                       [--backoff DURATION] [--message TEXT]\n"
"       baton jobs error [--store URI] JOB_KEY --code CODE\n"
"                        [--message TEXT] [--vars JSON|@FILE|@-]\n"
"\n"
"External job workers: activate locks up to N jobs of TYPE (default 32)\n"
"for the lock's duration (default PT5M) and prints one JSON object per\n"
"job and line: {\"key\", \"type\", \"processInstanceKey\", \"processId\",\n"
"\"elementId\", \"retries\", \"deadline\", \"customHeaders\", \"variables\"}.\n"
"complete, fail (0 retries raises an incident) and error (throws a BPMN\n"
"error) settle one job and run its instance.\n"},
    {"instances", cmd_instances,
"usage: baton instances [--store URI] [--state STATE] [--process ID]\n"
"                       [--limit N] [--json]\n"
"\n"
"Lists instances, newest first (at most N, default 100). STATE is one of\n"
"ACTIVE, WAITING, INCIDENT, COMPLETED, TERMINATED, FAILED.\n"},
    {"instance", cmd_instance,
"usage: baton instance [--store URI] KEY [--json]\n"
"\n"
"Shows one instance: its state, variables, jobs, incidents, what it waits\n"
"for, and its history.\n"},
    {"incidents", cmd_incidents,
"usage: baton incidents [--store URI] [--json]\n"
"\n"
"Lists the open incidents of all instances.\n"},
    {"resolve", cmd_resolve,
"usage: baton resolve [--store URI] INCIDENT_KEY\n"
"\n"
"Resolves an incident (a job's incident gives the job one retry) and runs\n"
"the instance.\n"},
    {"cancel", cmd_cancel,
"usage: baton cancel [--store URI] KEY\n"
"\n"
"Cancels an instance.\n"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char store_note[] =
"--store URI is sqlite:PATH or postgresql://... (a libpq URI); without it,\n"
"the BATON_STORE environment variable, then sqlite:baton.db. DURATION is\n"
"an ISO 8601 duration of days, hours, minutes and seconds (PT30S, PT5M,\n"
"P1DT12H, PT0.5S) or a number of milliseconds.\n"
"Exit status: 0 done, 1 refused or failed (message on stderr), 2 usage.\n";

int cli_is_store_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return 1;
    return 0;
}

int cli_store_main(int argc, char **argv)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, argv[0]) == 0)
            return commands[i].fn(argc, argv);
    return cli_usage_error(NULL, "unknown command '%s'", argv[0]);
}

int cli_usage_store_command(FILE *f, const char *name)
{
    size_t len = strcspn(name, " ");

    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strlen(commands[i].name) == len &&
            strncmp(commands[i].name, name, len) == 0) {
            fputs(commands[i].usage, f);
            fputc('\n', f);
            fputs(store_note, f);
            return 1;
        }
    return 0;
}

void cli_usage_store(FILE *f)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fputs(commands[i].usage, f);
        fputc('\n', f);
    }
    fputs(store_note, f);
}
