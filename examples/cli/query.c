/* The commands of `baton` that read a durable store: instances, instance,
 * incidents and deployments. See docs/cli.md. */
#include "cli.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

/* Prints the table from the first column and frees it. Returns 0 or
 * CLI_EXIT_REFUSED. */
static int print_table(struct table *t)
{
    int rc = table_print(t, "");

    table_free(t);
    return rc ? CLI_EXIT_REFUSED : 0;
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

/* ------------------------------------------------------------------ */
/* instances                                                           */
/* ------------------------------------------------------------------ */

static const char *const states[] = {"ACTIVE", "WAITING", "INCIDENT",
                                     "COMPLETED", "TERMINATED", "FAILED"};

/* Prints `baton instances`: one row an instance. */
static int print_instances(json_t *doc)
{
    struct table t = {7, 0, 0, NULL, 0};
    size_t i;
    json_t *o;

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
    return print_table(&t);
}

int cli_instances(int argc, char **argv)
{
    const char *store = NULL, *state = NULL, *process = NULL, *limit = NULL;
    int json = 0;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_OPT("--state", &state),
        CLI_OPT("--process", &process),
        CLI_OPT("--limit", &limit),
        CLI_FLAG("--json", &json),
        CLI_OPT_END};
    char state_buf[16];
    const char *state_name = NULL;
    long limit_n = 100;
    struct cli_call c;
    char *out = NULL;
    int rc;

    rc = cli_parse_args("instances", argc, argv, opts, NULL, NULL, NULL);
    if (rc != CLI_GO_ON)
        return rc;
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
    if (limit &&
        (cli_parse_count(limit, 1000000, &limit_n) != 0 || limit_n < 1))
        return cli_usage_error("instances", "--limit '%s': expected a "
                               "number from 1 to 1000000", limit);
    rc = cli_call_open(&c, "instances", store, NULL);
    if (rc)
        return rc;
    rc = baton_host_instances(c.host, state_name, process, 0,
                              (size_t)limit_n, &out);
    if (cli_call_end(&c, rc) != 0)
        return CLI_EXIT_REFUSED;
    return cli_print_host_json(out, json, print_instances);
}

/* ------------------------------------------------------------------ */
/* instance                                                            */
/* ------------------------------------------------------------------ */

/* The incidents of `list` as a table, with the INSTANCE column when
 * `with_instance` (`baton incidents`; `baton instance` leaves it out). */
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

/* Prints `baton instance`: the instance's fields, then its jobs,
 * incidents, what it waits for and its history. Returns 0 or
 * CLI_EXIT_REFUSED. */
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
    return rc ? CLI_EXIT_REFUSED : 0;
}

int cli_instance(int argc, char **argv)
{
    const char *store = NULL;
    int json = 0;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_FLAG("--json", &json),
        CLI_OPT_END};
    uint64_t key;
    struct cli_call c;
    char *out = NULL;
    int rc;

    rc = cli_parse_args("instance", argc, argv, opts, "no instance KEY given",
                        "more than one KEY", NULL);
    if (rc != CLI_GO_ON)
        return rc;
    rc = cli_key_operand("instance", argv[1], "an instance", &key);
    if (rc)
        return rc;
    rc = cli_call_open(&c, "instance", store, NULL);
    if (rc)
        return rc;
    rc = baton_host_instance(c.host, key, 1, &out);
    if (cli_call_end(&c, rc) != 0)
        return CLI_EXIT_REFUSED;
    return cli_print_host_json(out, json, print_instance);
}

/* ------------------------------------------------------------------ */
/* incidents                                                           */
/* ------------------------------------------------------------------ */

/* Prints `baton incidents`: one row an incident. */
static int print_incidents(json_t *doc)
{
    struct table t = {7, 0, 0, NULL, 0};

    incidents_table(&t, doc, 1);
    return print_table(&t);
}

/* A listing with no operand: --store and --json, one host call, then
 * its table (or its JSON). */
static int listing(const char *command, int argc, char **argv,
                   int (*call)(baton_host *, char **),
                   int (*print)(json_t *))
{
    const char *store = NULL;
    int json = 0;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_FLAG("--json", &json),
        CLI_OPT_END};
    struct cli_call c;
    char *out = NULL;
    int rc;

    rc = cli_parse_args(command, argc, argv, opts, NULL, NULL, NULL);
    if (rc != CLI_GO_ON)
        return rc;
    rc = cli_call_open(&c, command, store, NULL);
    if (rc)
        return rc;
    rc = call(c.host, &out);
    if (cli_call_end(&c, rc) != 0)
        return CLI_EXIT_REFUSED;
    return cli_print_host_json(out, json, print);
}

int cli_incidents(int argc, char **argv)
{
    return listing("incidents", argc, argv, baton_host_incidents,
                   print_incidents);
}

/* ------------------------------------------------------------------ */
/* deployments                                                         */
/* ------------------------------------------------------------------ */

/* Prints `baton deployments`: one row a version, with its live and ended
 * instances and whether it can be dropped. */
static int print_deployments(json_t *doc)
{
    struct table t = {8, 0, 0, NULL, 0};
    size_t i;
    json_t *o;

    table_add(&t, "PROCESS");
    table_add(&t, "VERSION");
    table_add(&t, "IDENTITY");
    table_add(&t, "DEPLOYED");
    table_add(&t, "LIVE");
    table_add(&t, "ENDED");
    table_add(&t, "FAILED");
    table_add(&t, "DROPPABLE");
    json_array_foreach(doc, i, o) {
        json_t *counts = json_object_get(o, "instances");
        json_int_t live = jint(counts, "ACTIVE") + jint(counts, "WAITING") +
                          jint(counts, "INCIDENT");
        json_int_t ended =
            jint(counts, "COMPLETED") + jint(counts, "TERMINATED");
        char tb[32];
        table_add(&t, "%s", jstr(o, "processId"));
        table_add(&t, "%" JSON_INTEGER_FORMAT, jint(o, "version"));
        table_add(&t, "%s", jstr(o, "checksum"));
        table_add(&t, "%s", jtime(o, "deployed", tb));
        table_add(&t, "%" JSON_INTEGER_FORMAT, live);
        table_add(&t, "%" JSON_INTEGER_FORMAT, ended);
        table_add(&t, "%" JSON_INTEGER_FORMAT, jint(counts, "FAILED"));
        table_add(&t, "%s", json_is_true(json_object_get(o, "droppable"))
                                ? "yes" : "no");
    }
    return print_table(&t);
}

int cli_deployments(int argc, char **argv)
{
    return listing("deployments", argc, argv, baton_host_deployments,
                   print_deployments);
}
