/* The commands of `baton` that change a durable store (baton_host.h):
 * deploy, start, publish, signal, jobs, resolve and cancel, with what all
 * the store commands share, their dispatch and their usage. The commands
 * that read a store are in query.c, migrate in migrate.c, the worker is in
 * worker.c. See
 * docs/cli.md. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <inttypes.h>
#include <jansson.h>
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

int cli_parse_count(const char *text, long max, long *out)
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

int cli_parse_args(const char *command, int argc, char **argv,
                   const struct cli_opt *opts, const char *none,
                   const char *many, size_t *n)
{
    size_t count;
    int rc = cli_parse_opts(command, argc, argv, opts, &count);

    if (rc)
        return rc < 0 ? 0 : rc;
    if (!none && count)
        return cli_usage_error(command, "unexpected operand '%s'", argv[1]);
    if (none && count == 0)
        return cli_usage_error(command, "%s", none);
    if (many && count > 1)
        return cli_usage_error(command, "%s", many);
    if (n)
        *n = count;
    return CLI_GO_ON;
}

int cli_key_operand(const char *command, const char *text, const char *what,
                    uint64_t *out)
{
    if (cli_parse_key(text, out) != 0)
        return cli_usage_error(command, "'%s' is not %s key (a positive "
                               "number)", text, what);
    return 0;
}

int cli_call_open(struct cli_call *c, const char *command, const char *store,
                  const char *vars)
{
    int rc;

    c->host = NULL;
    rc = load_vars(command, vars, &c->buf, &c->vars, &c->len);
    if (rc)
        return rc;
    rc = cli_store_open(command, store, &c->host);
    if (rc) {
        free(c->buf);
        c->buf = NULL;
    }
    return rc;
}

int cli_call_end(struct cli_call *c, int rc)
{
    free(c->buf);
    c->buf = NULL;
    if (rc != BATON_OK)
        rc = cli_host_error(c->host, rc);
    baton_host_close(c->host);
    c->host = NULL;
    return rc;
}

/* The exit status after the output: 0, or CLI_EXIT_REFUSED when standard
 * output could not be written (message printed). */
static int stdout_status(void)
{
    return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
}

/* The host's JSON text `out` read, and freed; NULL (message printed) when
 * it cannot be read. */
static json_t *read_host_json(char *out)
{
    json_t *doc = json_loads(out, 0, NULL);

    baton_host_free(out);
    if (!doc)
        fputs("baton: the store returned JSON that cannot be read\n",
              stderr);
    return doc;
}

int cli_print_host_json(char *out, int json, int (*print)(json_t *))
{
    json_t *doc;
    int rc;

    if (json) {
        fputs(out, stdout);
        fputc('\n', stdout);
        baton_host_free(out);
        return stdout_status();
    }
    doc = read_host_json(out);
    if (!doc)
        return CLI_EXIT_REFUSED;
    rc = print(doc);
    json_decref(doc);
    return rc ? rc : stdout_status();
}

/* ------------------------------------------------------------------ */
/* deploy                                                              */
/* ------------------------------------------------------------------ */

static int cmd_deploy(int argc, char **argv)
{
    const char *store = NULL;
    int json = 0, rc, failed = 0;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_FLAG("--json", &json),
        CLI_OPT_END};
    size_t n = 0, i;
    struct cli_call c;
    json_t *all;

    rc = cli_parse_args("deploy", argc, argv, opts, "no MODEL given", NULL,
                        &n);
    if (rc != CLI_GO_ON)
        return rc;
    rc = cli_call_open(&c, "deploy", store, NULL);
    if (rc)
        return rc;
    all = json_array();
    if (!all) {
        cli_call_end(&c, BATON_OK);
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
        rc = baton_host_deploy(c.host, xml, len, name, &out);
        free(xml);
        if (rc != BATON_OK) {
            cli_host_error(c.host, rc);
            failed = 1;
            continue;
        }
        doc = read_host_json(out);
        if (!doc) {
            failed = 1;
            continue;
        }
        json_array_foreach(doc, k, d) {
            const char *id = json_string_value(json_object_get(d,
                                                               "processId"));
            if (!json)
                printf("%s version %" JSON_INTEGER_FORMAT " (%s)\n",
                       id ? id : "",
                       json_integer_value(json_object_get(d, "version")),
                       json_is_true(json_object_get(d, "new"))
                           ? "new" : "unchanged");
            json_array_append(all, d);
        }
        json_decref(doc);
    }
    cli_call_end(&c, BATON_OK);
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
    const char *store = NULL, *vars = NULL, *business_key = NULL;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_OPT("--vars", &vars),
        CLI_OPT("--business-key", &business_key),
        CLI_OPT_END};
    struct cli_call c;
    uint64_t key = 0;
    int rc;

    rc = cli_parse_args("start", argc, argv, opts, "no PROCESS_ID given",
                        "more than one PROCESS_ID", NULL);
    if (rc != CLI_GO_ON)
        return rc;
    rc = cli_call_open(&c, "start", store, vars);
    if (rc)
        return rc;
    rc = baton_host_start(c.host, argv[1], c.vars, c.len, business_key, &key);
    if (cli_call_end(&c, rc) != 0)
        return CLI_EXIT_REFUSED;
    printf("%" PRIu64 "\n", key);
    return stdout_status();
}

/* Prints what `baton publish` did: the instances it reached and those it
 * started. */
static int print_published(json_t *doc)
{
    size_t i;
    json_t *v;

    json_array_foreach(json_object_get(doc, "correlated"), i, v)
        printf("correlated %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
    json_array_foreach(json_object_get(doc, "started"), i, v)
        printf("started %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
    return 0;
}

static int cmd_publish(int argc, char **argv)
{
    const char *store = NULL, *vars = NULL, *key = NULL, *ttl = NULL,
               *id = NULL;
    int json = 0;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_OPT("--key", &key),
        CLI_OPT("--vars", &vars),
        CLI_OPT("--ttl", &ttl),
        CLI_OPT("--id", &id),
        CLI_FLAG("--json", &json),
        CLI_OPT_END};
    char *out = NULL;
    int64_t ttl_ms = 0;
    struct cli_call c;
    int rc;

    rc = cli_parse_args("publish", argc, argv, opts, "no message NAME given",
                        "more than one NAME", NULL);
    if (rc != CLI_GO_ON)
        return rc;
    if (ttl && (rc = parse_duration_opt("publish", "--ttl", ttl, &ttl_ms)))
        return rc;
    rc = cli_call_open(&c, "publish", store, vars);
    if (rc)
        return rc;
    rc = baton_host_publish(c.host, argv[1], key, c.vars, c.len, ttl_ms, id,
                            &out);
    if (cli_call_end(&c, rc) != 0)
        return CLI_EXIT_REFUSED;
    return cli_print_host_json(out, json, print_published);
}

static int cmd_signal(int argc, char **argv)
{
    const char *store = NULL, *vars = NULL;
    int json = 0;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_OPT("--vars", &vars),
        CLI_FLAG("--json", &json),
        CLI_OPT_END};
    size_t count = 0;
    struct cli_call c;
    int rc;

    rc = cli_parse_args("signal", argc, argv, opts, "no signal NAME given",
                        "more than one NAME", NULL);
    if (rc != CLI_GO_ON)
        return rc;
    rc = cli_call_open(&c, "signal", store, vars);
    if (rc)
        return rc;
    rc = baton_host_signal(c.host, argv[1], c.vars, c.len, &count);
    if (cli_call_end(&c, rc) != 0)
        return CLI_EXIT_REFUSED;
    if (json)
        printf("{\"instances\":%zu}\n", count);
    else
        printf("%zu\n", count);
    return stdout_status();
}

/* ------------------------------------------------------------------ */
/* jobs                                                                */
/* ------------------------------------------------------------------ */

static int jobs_activate(int argc, char **argv)
{
    const char *store = NULL, *worker = NULL, *max = NULL, *lock = NULL;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_OPT("--worker", &worker),
        CLI_OPT("--max", &max),
        CLI_OPT("--lock", &lock),
        CLI_OPT_END};
    size_t count = 0;
    long max_jobs = 32;
    int64_t lock_ms = 300000;
    struct cli_call c;
    char *out = NULL;
    int rc;

    rc = cli_parse_args("jobs activate", argc, argv, opts,
                        "no job TYPE given", "more than one TYPE", NULL);
    if (rc != CLI_GO_ON)
        return rc;
    if (!worker || !*worker)
        return cli_usage_error("jobs activate", "--worker NAME is required");
    if (max &&
        (cli_parse_count(max, 100000, &max_jobs) != 0 || max_jobs < 1))
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
    rc = cli_call_open(&c, "jobs activate", store, NULL);
    if (rc)
        return rc;
    rc = baton_host_activate_jobs(c.host, argv[1], worker, (size_t)max_jobs,
                                  lock_ms, &out, &count);
    if (cli_call_end(&c, rc) != 0)
        return CLI_EXIT_REFUSED;
    if (out && *out) {
        size_t len = strlen(out);
        fputs(out, stdout);
        if (out[len - 1] != '\n')
            fputc('\n', stdout);
    }
    baton_host_free(out);
    return stdout_status();
}

/* complete, fail and error: JOB_KEY and their options. */
static int jobs_settle(const char *what, int argc, char **argv)
{
    const char *store = NULL, *vars = NULL, *retries = NULL,
               *backoff = NULL, *message = NULL, *code = NULL;
    char command[32];
    struct cli_opt opts[8];
    size_t k = 0;
    int is_complete = strcmp(what, "complete") == 0;
    int is_fail = strcmp(what, "fail") == 0;
    uint64_t key;
    long retries_n = 0;
    int64_t backoff_ms = 0;
    struct cli_call c;
    int rc;

    snprintf(command, sizeof command, "jobs %s", what);
    memset(opts, 0, sizeof opts);
    opts[k++] = (struct cli_opt)CLI_OPT("--store", &store);
    if (!is_fail)
        opts[k++] = (struct cli_opt)CLI_OPT("--vars", &vars);
    if (is_fail) {
        opts[k++] = (struct cli_opt)CLI_OPT("--retries", &retries);
        opts[k++] = (struct cli_opt)CLI_OPT("--backoff", &backoff);
    }
    if (!is_complete)
        opts[k++] = (struct cli_opt)CLI_OPT("--message", &message);
    if (!is_complete && !is_fail)
        opts[k++] = (struct cli_opt)CLI_OPT("--code", &code);

    rc = cli_parse_args(command, argc, argv, opts, "no JOB_KEY given",
                        "more than one JOB_KEY", NULL);
    if (rc != CLI_GO_ON)
        return rc;
    rc = cli_key_operand(command, argv[1], "a job", &key);
    if (rc)
        return rc;
    if (is_fail) {
        if (!retries)
            return cli_usage_error(command, "--retries N is required");
        if (cli_parse_count(retries, 1000000, &retries_n) != 0)
            return cli_usage_error(command, "--retries '%s': expected a "
                                   "number from 0 to 1000000", retries);
        if (backoff &&
            (rc = parse_duration_opt(command, "--backoff", backoff,
                                     &backoff_ms)))
            return rc;
    }
    if (!is_complete && !is_fail && (!code || !*code))
        return cli_usage_error(command, "--code CODE is required");
    rc = cli_call_open(&c, command, store, vars);
    if (rc)
        return rc;
    if (is_complete)
        rc = baton_host_complete_job(c.host, key, c.vars, c.len);
    else if (is_fail)
        rc = baton_host_fail_job(c.host, key, (int)retries_n, backoff_ms,
                                 message);
    else
        rc = baton_host_throw_error(c.host, key, code, message, c.vars,
                                    c.len);
    return cli_call_end(&c, rc);
}

static int cmd_jobs(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;

    if (!sub)
        return cli_usage_error("jobs", "no jobs command given (activate, "
                               "complete, fail or error)");
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        cli_usage_store_command(stdout, "jobs");
        return stdout_status();
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
/* resolve, cancel                                                     */
/* ------------------------------------------------------------------ */

/* A command whose operand is one key: `what` names it with its article,
 * `none` is the message without it, `fn` is the host's function. */
static int by_key(const char *command, const char *what, const char *none,
                  int argc, char **argv, int (*fn)(baton_host *, uint64_t))
{
    const char *store = NULL;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_OPT_END};
    uint64_t key;
    struct cli_call c;
    int rc;

    rc = cli_parse_args(command, argc, argv, opts, none, "more than one KEY",
                        NULL);
    if (rc != CLI_GO_ON)
        return rc;
    rc = cli_key_operand(command, argv[1], what, &key);
    if (rc)
        return rc;
    rc = cli_call_open(&c, command, store, NULL);
    if (rc)
        return rc;
    return cli_call_end(&c, fn(c.host, key));
}

static int cmd_resolve(int argc, char **argv)
{
    return by_key("resolve", "an incident", "no incident key given", argc,
                  argv, baton_host_resolve);
}

static int cmd_cancel(int argc, char **argv)
{
    return by_key("cancel", "an instance", "no instance key given", argc,
                  argv, baton_host_cancel);
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
"usage: baton worker [--store URI] [--exec TYPE=COMMAND]... [--lambda TYPE]...\n"
"                    [--concurrency N] [--lease DURATION] [--name NAME]\n"
"                    [--until-idle] [--verbose]\n"
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
"Jobs of each --lambda TYPE invoke the AWS Lambda function their task\n"
"header functionName names (docs/lambda.md); the region, credentials and\n"
"endpoint come from AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
"AWS_SESSION_TOKEN and BATON_LAMBDA_ENDPOINT.\n"
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
    {"instances", cli_instances,
"usage: baton instances [--store URI] [--state STATE] [--process ID]\n"
"                       [--limit N] [--json]\n"
"\n"
"Lists instances, newest first (at most N, default 100). STATE is one of\n"
"ACTIVE, WAITING, INCIDENT, COMPLETED, TERMINATED, FAILED.\n"},
    {"instance", cli_instance,
"usage: baton instance [--store URI] KEY [--json]\n"
"\n"
"Shows one instance: its state, variables, jobs, incidents, what it waits\n"
"for, and its history.\n"},
    {"incidents", cli_incidents,
"usage: baton incidents [--store URI] [--json]\n"
"\n"
"Lists the open incidents of all instances.\n"},
    {"deployments", cli_deployments,
"usage: baton deployments [--store URI] [--json]\n"
"\n"
"Lists every deployed version of every process: its identity, when it was\n"
"deployed, its live (ACTIVE, WAITING, INCIDENT), ended and FAILED\n"
"instances, and whether it can be dropped (no live instance, and not\n"
"the latest version). --json prints baton_host_deployments()'s array.\n"},
    {"resolve", cmd_resolve,
"usage: baton resolve [--store URI] INCIDENT_KEY\n"
"\n"
"Resolves an incident (a job's incident gives the job one retry) and runs\n"
"the instance.\n"},
    {"cancel", cmd_cancel,
"usage: baton cancel [--store URI] KEY\n"
"\n"
"Cancels an instance.\n"},
    {"migrate", cli_migrate,
"usage: baton migrate [--store URI] KEY PROCESS_ID VERSION [--plan FILE]\n"
"                     [--dry-run] [--json]\n"
"       baton migrate [--store URI] --all PROCESS_ID FROM_VERSION TO_VERSION\n"
"                     [--plan FILE] [--dry-run] [--json]\n"
"\n"
"Moves the live instance KEY to VERSION of PROCESS_ID, or with --all every\n"
"live instance of FROM_VERSION to TO_VERSION (each in its own\n"
"transaction), and runs it. FILE (- reads standard input) is the plan:\n"
"{\"mappings\": [{\"sourceElementId\": \"A\", \"targetElementId\": \"B\"}]};\n"
"an element it does not map keeps its id. --dry-run checks the plan and\n"
"prints what would move, changing nothing. Prints the versions, then\n"
"each moved element instance as KEY  SOURCE -> TARGET (--all: 'migrated\n"
"KEY' and 'refused KEY' lines), or with --json the report. A plan that\n"
"cannot move an instance is refused with every reason, and the exit\n"
"status is 1 (--all: when one instance was refused); see\n"
"docs/versions.md.\n"},
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
