/* /metrics: the store's figures (baton_host_metrics(), whose JSON shape
 * docs/durable-host.md gives) in Prometheus' text format 0.0.4. */
#define _POSIX_C_SOURCE 200809L
#include "ops.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A label value: backslash, double quote and line feed escaped, as the
 * text format asks. */
static void label_value(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type,
                 const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per element of `rows`: its labels are the members named in
 * `members` (JSON strings or integers), in `labels`' names; its value is
 * "count". Returns 0, or -1 when a row has not that shape. */
static int samples(FILE *f, const char *name, json_t *rows,
                   const char *const *members, const char *const *labels)
{
    size_t i;
    json_t *row;

    if (!json_is_array(rows))
        return -1;
    json_array_foreach(rows, i, row) {
        json_t *count = json_object_get(row, "count");
        char num[32];

        if (!json_is_integer(count))
            return -1;
        fprintf(f, "%s{", name);
        for (size_t k = 0; members[k]; k++) {
            json_t *v = json_object_get(row, members[k]);
            const char *text;

            if (json_is_string(v)) {
                text = json_string_value(v);
            } else if (json_is_integer(v)) {
                snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
                text = num;
            } else if (json_is_null(v)) {
                text = "";
            } else {
                return -1;
            }
            fprintf(f, "%s%s=", k ? "," : "", labels[k]);
            label_value(f, text);
        }
        fprintf(f, "} %" JSON_INTEGER_FORMAT "\n", json_integer_value(count));
    }
    return 0;
}

static int histogram(FILE *f, json_t *h)
{
    static const char name[] = "baton_worker_commit_seconds";
    json_t *bounds = json_object_get(h, "bounds");
    json_t *counts = json_object_get(h, "counts");
    json_t *sum = json_object_get(h, "sum");
    json_t *count = json_object_get(h, "count");
    size_t n = json_array_size(bounds);

    if (!json_is_array(bounds) || !json_is_array(counts) ||
        json_array_size(counts) != n + 1 || !json_is_number(sum) ||
        !json_is_integer(count))
        return -1;
    head(f, name, "histogram",
         "Latency of the workers' commits in seconds.");
    for (size_t i = 0; i <= n; i++) {
        json_t *c = json_array_get(counts, i);

        if (!json_is_integer(c) ||
            (i < n && !json_is_number(json_array_get(bounds, i))))
            return -1;
        if (i < n)
            fprintf(f, "%s_bucket{le=\"%.9g\"} %" JSON_INTEGER_FORMAT "\n",
                    name, json_number_value(json_array_get(bounds, i)),
                    json_integer_value(c));
        else
            fprintf(f, "%s_bucket{le=\"+Inf\"} %" JSON_INTEGER_FORMAT "\n",
                    name, json_integer_value(c));
    }
    fprintf(f, "%s_sum %.9g\n%s_count %" JSON_INTEGER_FORMAT "\n", name,
            json_number_value(sum), name, json_integer_value(count));
    return 0;
}

/* The families read from arrays of the figures' JSON: each member of
 * an entry (up to three, then "count") becomes the label named beside
 * it. */
static const struct family {
    const char *name, *type, *help, *key;
    const char *members[4], *labels[3];
} families[] = {
    {"baton_process_instances", "gauge",
     "Instances by process, version and state.", "instances",
     {"processId", "version", "state", NULL},
     {"process_id", "version", "state"}},
    {"baton_incidents_open", "gauge",
     "Open incidents by process, element and type.", "incidents",
     {"processId", "elementId", "type", NULL},
     {"process_id", "element_id", "type"}},
    {"baton_element_completions_total", "counter",
     "Elements completed, by process and element.", "elementCompletions",
     {"processId", "elementId", NULL}, {"process_id", "element_id"}},
    {"baton_job_activations_total", "counter", "Jobs activated, by type.",
     "jobActivations", {"type", NULL}, {"type"}},
    {"baton_job_failures_total", "counter", "Jobs failed, by type.",
     "jobFailures", {"type", NULL}, {"type"}},
};

static int write_all(FILE *f, json_t *m)
{
    json_t *due = json_object_get(m, "timersDue");
    json_t *lag = json_object_get(m, "timerLagMs");

    for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
        const struct family *fm = &families[i];
        head(f, fm->name, fm->type, fm->help);
        if (samples(f, fm->name, json_object_get(m, fm->key), fm->members,
                    fm->labels))
            return -1;
    }
    if (!json_is_integer(due) || !json_is_number(lag))
        return -1;
    head(f, "baton_timers_due", "gauge", "Timers due and not yet fired.");
    fprintf(f, "baton_timers_due %" JSON_INTEGER_FORMAT "\n",
            json_integer_value(due));
    head(f, "baton_timer_lag_seconds", "gauge",
         "How late the most overdue timer is, in seconds.");
    fprintf(f, "baton_timer_lag_seconds %.9g\n",
            json_number_value(lag) / 1000.0);
    return histogram(f, json_object_get(m, "commitLatency"));
}

int ops_metrics_text(const char *json, char **out, size_t *len)
{
    json_t *m = json_loads(json, 0, NULL);
    char *buf = NULL;
    size_t size = 0;
    FILE *f;
    int bad;

    *out = NULL;
    if (!m)
        return BATON_EPARSE;
    f = open_memstream(&buf, &size);
    if (!f) {
        json_decref(m);
        return BATON_ENOMEM;
    }
    bad = !json_is_object(m) || write_all(f, m) != 0;
    json_decref(m);
    if (fclose(f) != 0) {
        free(buf);
        return BATON_ENOMEM;
    }
    if (bad) {
        free(buf);
        return BATON_EPARSE;
    }
    *out = buf;
    *len = size;
    return 0;
}
