/* `baton migrate`: moves a live instance, or every live instance of a
 * version, to another deployed version of its process
 * (baton_host_migrate(), baton_host_migrate_all()), with the plan's
 * element mappings read from a JSON file. See docs/cli.md and
 * docs/versions.md. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_version(const char *text, const char *what, int *out)
{
    long v = 0;

    if (cli_parse_count(text, INT_MAX, &v) != 0 || v < 1)
        return cli_usage_error("migrate", "%s '%s': expected a version "
                               "number (1 or more)", what, text);
    *out = (int)v;
    return 0;
}

/* Prints one element's reason, for a refused plan. */
static void print_reasons(FILE *f, const char *indent, json_t *reasons)
{
    size_t i;
    json_t *r;

    json_array_foreach(reasons, i, r) {
        const char *el = json_string_value(json_object_get(r, "elementId"));
        const char *why = json_string_value(json_object_get(r, "reason"));

        fprintf(f, "%s%s%s%s\n", indent, el ? el : "", el ? ": " : "",
                why ? why : "");
    }
}

/* Whether the command is a dry run, for the printers
 * (cli_print_host_json() hands them the document only). */
static int printing_dry_run;

static const char *side_text(json_t *side, char *buf, size_t size)
{
    const char *pid = json_string_value(json_object_get(side, "processId"));

    snprintf(buf, size, "%s version %" JSON_INTEGER_FORMAT, pid ? pid : "?",
             json_integer_value(json_object_get(side, "version")));
    return buf;
}

/* The report of one instance: from where to where, then what moved. */
static int print_report(json_t *doc)
{
    char from[300], to[300];
    json_t *m;
    size_t i;

    printf("%s -> %s%s\n",
           side_text(json_object_get(doc, "from"), from, sizeof from),
           side_text(json_object_get(doc, "to"), to, sizeof to),
           printing_dry_run ? " (dry run: nothing changed)" : "");
    json_array_foreach(json_object_get(doc, "moved"), i, m) {
        const char *src = json_string_value(json_object_get(m,
                                                "sourceElementId"));
        const char *dst = json_string_value(json_object_get(m,
                                                "targetElementId"));

        printf("  %" JSON_INTEGER_FORMAT "  %s -> %s\n",
               json_integer_value(json_object_get(m, "key")),
               src ? src : "", dst ? dst : "");
    }
    return 0;
}

/* The batch's outcome: the keys that moved, then each refused one with
 * its reasons. */
static int print_batch(json_t *doc)
{
    const char *verb = printing_dry_run ? "would migrate" : "migrated";
    json_t *v;
    size_t i;

    json_array_foreach(json_object_get(doc, "migrated"), i, v)
        printf("%s %" JSON_INTEGER_FORMAT "\n", verb,
               json_integer_value(v));
    json_array_foreach(json_object_get(doc, "refused"), i, v) {
        printf("refused %" JSON_INTEGER_FORMAT "\n",
               json_integer_value(json_object_get(v, "key")));
        print_reasons(stdout, "  ", json_object_get(v, "refused"));
    }
    return 0;
}

/* A refused plan of one instance: which move was refused, then every
 * reason one a line, from the report (the host's message holds as many
 * as fit); with --json the report as it is on stdout. */
static int refused_one(struct cli_call *c, const char *key, char *report,
                       int json)
{
    json_t *doc = report ? json_loads(report, 0, NULL) : NULL;
    json_t *to = json_object_get(doc, "to");
    json_t *reasons = json_object_get(doc, "refused");

    if (json_array_size(reasons)) {
        fprintf(stderr, "baton: instance %s cannot move to %s version %"
                JSON_INTEGER_FORMAT ":\n", key,
                json_string_value(json_object_get(to, "processId"))
                    ? json_string_value(json_object_get(to, "processId"))
                    : "?",
                json_integer_value(json_object_get(to, "version")));
        print_reasons(stderr, "  ", reasons);
    } else {
        cli_host_error(c->host, BATON_EMIGRATE);
    }
    if (json && report) {
        puts(report);
        cli_finish_stdout();
    }
    baton_host_free(report);
    json_decref(doc);
    return CLI_EXIT_REFUSED;
}

int cli_migrate(int argc, char **argv)
{
    const char *store = NULL, *plan_path = NULL;
    int all = 0, dry_run = 0, json = 0, rc, to_version = 0, from_version = 0;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_OPT("--plan", &plan_path),
        CLI_FLAG("--all", &all),
        CLI_FLAG("--dry-run", &dry_run),
        CLI_FLAG("--json", &json),
        CLI_OPT_END};
    size_t n = 0;
    uint64_t key = 0;
    char *plan = NULL, *out = NULL;
    size_t plan_len = 0;
    struct cli_call c;

    rc = cli_parse_args("migrate", argc, argv, opts,
                        "no instance KEY, PROCESS_ID and VERSION given",
                        NULL, &n);
    if (rc != CLI_GO_ON)
        return rc;
    if (n != 3)
        return cli_usage_error("migrate", all
            ? "--all takes PROCESS_ID FROM_VERSION TO_VERSION"
            : "expected KEY PROCESS_ID VERSION (or --all PROCESS_ID "
              "FROM_VERSION TO_VERSION)");
    if (all)
        rc = parse_version(argv[2], "FROM_VERSION", &from_version);
    else
        rc = cli_key_operand("migrate", argv[1], "an instance", &key);
    if (!rc)
        rc = parse_version(argv[3], all ? "TO_VERSION" : "VERSION",
                           &to_version);
    if (rc)
        return rc;
    if (plan_path) {
        const char *path = strcmp(plan_path, "-") == 0 ? NULL : plan_path;
        int err = cli_read_file(path, &plan, &plan_len);
        char why[256];
        int bad;

        if (err) {
            cli_print_read_error(stderr, path ? path : "<stdin>", err);
            return CLI_EXIT_REFUSED;
        }
        bad = cli_json_object_check(plan, why, sizeof why);
        if (bad) {
            fprintf(stderr, "baton: %s: %s\n", path ? path : "<stdin>",
                    bad > 0 ? "the plan is not a JSON object" : why);
            free(plan);
            return CLI_EXIT_REFUSED;
        }
    }
    rc = cli_call_open(&c, "migrate", store, NULL);
    if (rc) {
        free(plan);
        return rc;
    }
    if (all)
        rc = baton_host_migrate_all(c.host, argv[1], from_version,
                                    to_version, plan, plan_len, dry_run,
                                    &out);
    else
        rc = baton_host_migrate(c.host, key, argv[2], to_version, plan,
                                plan_len, dry_run, &out);
    free(plan);
    printing_dry_run = dry_run;
    if (rc == BATON_EMIGRATE) {
        rc = refused_one(&c, argv[1], out, json);
        cli_call_end(&c, BATON_OK);
        return rc;
    }
    if (cli_call_end(&c, rc) != 0) {
        baton_host_free(out);
        return CLI_EXIT_REFUSED;
    }
    if (!all)
        return cli_print_host_json(out, json, print_report);
    /* A batch with a refused instance exits with 1 like a refused plan,
     * after what moved: a script sees that some stayed behind. */
    json_t *doc = json_loads(out, 0, NULL);
    int any_refused = json_array_size(json_object_get(doc, "refused")) > 0;
    json_decref(doc);
    rc = cli_print_host_json(out, json, print_batch);
    return rc ? rc : any_refused ? CLI_EXIT_REFUSED : 0;
}
