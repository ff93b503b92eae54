/* baton run MODEL [OPTION]...: one instance, jobs settled as scripted.
 *
 * No handler is registered: the tool does not know the model's job types
 * in advance, so it lets jobs wait, fetches them with
 * baton_instance_job_count()/baton_instance_job() as a job worker would,
 * settles them by key and runs again, until nothing more can move. When
 * nothing can, the next --then action (then.c) delivers an event or
 * moves the clock, and the instance runs again.
 *
 * The JSON of --job options is checked (with jansson, in util.c) so that
 * a typo is a usage error before anything runs; everything else goes
 * through baton.h. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum action_kind { ACT_COMPLETE, ACT_FAIL, ACT_ERROR, ACT_WAIT };

/* One --job MATCH=ACTION, split in place inside `buf`. */
struct rule {
    char *buf;
    const char *spec; /* the option's text, for messages */
    const char *match;
    enum action_kind kind;
    const char *json;    /* complete: variables, NULL for none */
    const char *code;    /* error: the BPMN error code */
    const char *message; /* fail, error: NULL for none */
};

/* The rules sharing one MATCH, in command-line order. */
struct group {
    const char *match;
    size_t *rules;
    size_t n_rules;
    size_t used; /* jobs this group has settled or parked */
};

/* A job fetched from the instance, copied out before anything changes. */
struct pending {
    uint64_t key;
    int retries;
    const struct rule *rule; /* NULL: complete with no variables */
    char *label;             /* "elementId (type)", for messages */
};

struct run_opts {
    const char *model;
    const char *process;
    const char *vars;        /* the JSON text, once --vars @FILE is read */
    size_t vars_len;         /* BATON_NUL for --vars JSON */
    const char *vars_source; /* names the variables in messages */
    char *vars_buf;          /* --vars @FILE: the file's contents */
    int records;
    int log_level;
    unsigned long max_jobs;
    struct rule *rules;
    size_t n_rules;
    struct group *groups;
    size_t n_groups;
    int have_now;
    int64_t now;                /* --now, in ms since the epoch */
    struct then_action *thens;  /* --then, in command-line order */
    size_t n_thens;
    size_t next_then;           /* the next one to apply */
};

struct keyset {
    uint64_t *keys;
    size_t n, cap;
};

struct sink_ctx {
    int failed; /* first baton_record_to_json() error, or 0 */
};

static int keyset_has(const struct keyset *s, uint64_t key)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (s->keys[i] == key)
            return 1;
    return 0;
}

static int keyset_add(struct keyset *s, uint64_t key)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        uint64_t *nkeys;
        if (ncap > SIZE_MAX / sizeof *nkeys)
            return -1;
        nkeys = realloc(s->keys, ncap * sizeof *nkeys);
        if (!nkeys)
            return -1;
        s->keys = nkeys;
        s->cap = ncap;
    }
    s->keys[s->n++] = key;
    return 0;
}

/* A job settled by --then may come back (a retry after fail:): the
 * --job rules decide about it again, as about any new job. */
static void keyset_remove(struct keyset *s, uint64_t key)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (s->keys[i] == key) {
            s->keys[i] = s->keys[--s->n];
            return;
        }
}

static void opts_free(struct run_opts *o)
{
    size_t i;
    for (i = 0; i < o->n_rules; i++)
        free(o->rules[i].buf);
    free(o->rules);
    for (i = 0; i < o->n_thens; i++)
        cli_then_free(&o->thens[i]);
    free(o->thens);
    for (i = 0; i < o->n_groups; i++)
        free(o->groups[i].rules);
    free(o->groups);
    free(o->vars_buf);
}

/* Checks the JSON of complete:JSON as the job result it will be: one
 * object. Returns NULL, or what is wrong in `buf`. */
static const char *check_result_json(const char *text, char *buf,
                                     size_t size)
{
    int rc;

    if (!*text)
        return "expected a JSON object after complete:";
    rc = cli_json_object_check(text, buf, size);
    if (rc > 0)
        return "expected a JSON object after complete:";
    return rc < 0 ? buf : NULL;
}

/* Parses MATCH=ACTION into `r`. Returns 0, -1 (out of memory) or
 * CLI_EXIT_USAGE (bad syntax, message printed). */
static int parse_rule(const char *spec, struct rule *r)
{
    char *eq, *action, *colon, buf[256];
    const char *why = NULL;

    memset(r, 0, sizeof *r);
    r->spec = spec;
    r->buf = cli_strdup(spec);
    if (!r->buf)
        return -1;
    eq = strchr(r->buf, '=');
    if (!eq || eq == r->buf) {
        why = "expected MATCH=ACTION";
        goto bad;
    }
    *eq = '\0';
    r->match = r->buf;
    action = eq + 1;
    colon = strchr(action, ':');
    if (colon)
        *colon = '\0';

    if (strcmp(action, "complete") == 0) {
        r->kind = ACT_COMPLETE;
        r->json = colon ? colon + 1 : NULL;
        if (r->json)
            why = check_result_json(r->json, buf, sizeof buf);
    } else if (strcmp(action, "fail") == 0) {
        r->kind = ACT_FAIL;
        r->message = colon ? colon + 1 : NULL;
    } else if (strcmp(action, "error") == 0) {
        char *code = colon ? colon + 1 : NULL;
        char *sep = code ? strchr(code, ':') : NULL;
        if (sep) {
            *sep = '\0';
            r->message = sep + 1;
        }
        r->kind = ACT_ERROR;
        r->code = code;
        if (!code || !*code)
            why = "error needs a CODE (error:CODE)";
    } else if (strcmp(action, "wait") == 0 && !colon) {
        r->kind = ACT_WAIT;
    } else {
        why = "ACTION is complete[:JSON], fail[:MESSAGE], "
              "error:CODE[:MESSAGE] or wait";
    }
    if (!why)
        return 0;
bad:
    free(r->buf);
    r->buf = NULL;
    return cli_usage_error("run", "--job '%s': %s", spec, why);
}

static int add_rule(struct run_opts *o, const char *spec)
{
    struct rule r, *nrules;
    struct group *g = NULL;
    size_t i, *nidx;
    int rc = parse_rule(spec, &r);

    if (rc != 0)
        return rc;
    nrules = realloc(o->rules, (o->n_rules + 1) * sizeof *nrules);
    if (!nrules) {
        free(r.buf);
        return -1;
    }
    o->rules = nrules;
    for (i = 0; i < o->n_groups; i++)
        if (strcmp(o->groups[i].match, r.match) == 0)
            g = &o->groups[i];
    if (!g) {
        struct group *ngroups =
            realloc(o->groups, (o->n_groups + 1) * sizeof *ngroups);
        if (!ngroups) {
            free(r.buf);
            return -1;
        }
        o->groups = ngroups;
        g = &o->groups[o->n_groups++];
        memset(g, 0, sizeof *g);
        g->match = r.match; /* points into r.buf, which the rule keeps */
    }
    nidx = realloc(g->rules, (g->n_rules + 1) * sizeof *nidx);
    if (!nidx) {
        free(r.buf);
        if (g->n_rules == 0) /* the group was just added */
            o->n_groups--;
        return -1;
    }
    g->rules = nidx;
    g->rules[g->n_rules++] = o->n_rules;
    o->rules[o->n_rules++] = r;
    return 0;
}

/* Returns 0, -1 (out of memory) or an exit status (message printed). */
static int add_then(struct run_opts *o, const char *spec)
{
    struct then_action a, *nthens;
    int rc = cli_then_parse(spec, &a);

    if (rc != 0)
        return rc;
    nthens = realloc(o->thens, (o->n_thens + 1) * sizeof *nthens);
    if (!nthens) {
        cli_then_free(&a);
        return -1;
    }
    o->thens = nthens;
    o->thens[o->n_thens++] = a;
    return 0;
}

static int parse_ulong(const char *s, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v == 0)
        return -1;
    *out = v;
    return 0;
}

/* Returns 0, or an exit status. */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
    int i, only_operands = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        size_t nlen;

        if (only_operands || a[0] != '-' || a[1] == '\0') {
            if (o->model)
                return cli_usage_error("run", "more than one MODEL ('%s', "
                                       "'%s')", o->model, a);
            o->model = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_operands = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_usage_run(stdout);
            return cli_finish_stdout() == 0 ? -1 : CLI_EXIT_REFUSED;
        }
        if (strcmp(a, "--records") == 0) {
            o->records = 1;
            continue;
        }
        if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            o->log_level = BATON_LOG_DEBUG;
            continue;
        }
        /* Options with a value: --opt VALUE or --opt=VALUE. */
        nlen = strcspn(a, "=");
        if (a[nlen] == '=')
            val = a + nlen + 1;
#define IS_OPT(name) (nlen == sizeof(name) - 1 && strncmp(a, name, nlen) == 0)
        if (!(IS_OPT("--process") || IS_OPT("--vars") || IS_OPT("--job") ||
              IS_OPT("--max-jobs") || IS_OPT("--now") || IS_OPT("--then")))
            return cli_usage_error("run", "unknown option '%s'", a);
        if (!val) {
            if (i + 1 >= argc)
                return cli_usage_error("run", "%s needs a value", a);
            val = argv[++i];
        }
        if (IS_OPT("--process")) {
            o->process = val;
        } else if (IS_OPT("--vars")) {
            if (strcmp(val, "@") == 0)
                return cli_usage_error("run", "--vars '@': expected @FILE "
                                       "or @- (standard input)");
            o->vars = val;
        } else if (IS_OPT("--max-jobs")) {
            if (parse_ulong(val, &o->max_jobs) != 0)
                return cli_usage_error("run", "--max-jobs '%s': expected a "
                                       "positive number", val);
        } else if (IS_OPT("--now")) {
            int rc = cli_time_parse(val, &o->now);
            if (rc == -1)
                return cli_usage_error("run", "--now '%s': expected "
                                       "YYYY-MM-DDThh:mm:ss[.fff] followed "
                                       "by Z, +hh:mm or -hh:mm", val);
            if (rc != 0)
                return cli_usage_error("run", "--now '%s': no such date and "
                                       "time in the years 0001-9999", val);
            o->have_now = 1;
        } else if (IS_OPT("--then")) {
            int rc = add_then(o, val);
            if (rc < 0) {
                fputs("baton: out of memory\n", stderr);
                return CLI_EXIT_REFUSED;
            }
            if (rc > 0)
                return rc;
        } else {
            int rc = add_rule(o, val);
            if (rc < 0) {
                fputs("baton: out of memory\n", stderr);
                return CLI_EXIT_REFUSED;
            }
            if (rc > 0)
                return CLI_EXIT_USAGE;
        }
#undef IS_OPT
    }
    if (!o->model)
        return cli_usage_error("run", "no MODEL given");
    return 0;
}

/* --vars JSON is the text itself; --vars @FILE and @- read it from a file
 * or standard input. Returns 0, or an exit status (message printed). */
static int read_vars(struct run_opts *o)
{
    const char *path;
    int err;

    o->vars_len = BATON_NUL;
    o->vars_source = "--vars";
    if (!o->vars || o->vars[0] != '@')
        return 0;
    path = strcmp(o->vars, "@-") == 0 ? NULL : o->vars + 1;
    o->vars_source = path ? path : "<stdin>";
    err = cli_read_file(path, &o->vars_buf, &o->vars_len);
    if (err) {
        cli_print_read_error(stderr, o->vars_source, err);
        return CLI_EXIT_REFUSED;
    }
    o->vars = o->vars_buf;
    return 0;
}

/* Without --process, a model with several executable processes cannot be
 * deployed: name them, so that one can be picked. Returns 1 when it did. */
static int report_processes(const char *path, const baton_model *model)
{
    size_t i, n = baton_model_process_count(model), count = 0;
    const char *sep = ": ";

    for (i = 0; i < n; i++)
        if (baton_model_process_executable(model, i))
            count++;
    if (count < 2)
        return 0;
    fprintf(stderr, "%s: the model has %zu executable processes", path,
            count);
    for (i = 0; i < n; i++) {
        if (!baton_model_process_executable(model, i))
            continue;
        fprintf(stderr, "%s%s", sep, baton_model_process_id(model, i));
        sep = ", ";
    }
    fputs("; choose one with --process\n", stderr);
    return 1;
}

static struct group *find_group(struct run_opts *o, const char *match)
{
    size_t i;
    if (!match)
        return NULL;
    for (i = 0; i < o->n_groups; i++)
        if (strcmp(o->groups[i].match, match) == 0)
            return &o->groups[i];
    return NULL;
}

/* The rule for the next job of this element id or type; NULL means
 * "complete with no variables". An element-id match wins. */
static const struct rule *next_rule(struct run_opts *o, const char *element,
                                    const char *type)
{
    struct group *g = find_group(o, element);
    size_t at;

    if (!g)
        g = find_group(o, type);
    if (!g)
        return NULL;
    at = g->used < g->n_rules ? g->used : g->n_rules - 1;
    g->used++;
    return &o->rules[g->rules[at]];
}

static void record_sink(void *ud, baton_instance *instance,
                        const baton_record *rec)
{
    struct sink_ctx *ctx = ud;
    char *json = NULL;
    size_t len = 0;
    int rc;

    (void)instance;
    rc = baton_record_to_json(rec, &json, &len);
    if (rc != BATON_OK) {
        if (!ctx->failed) {
            fprintf(stderr, "baton: record %" PRIu64 ": %s\n",
                    baton_record_position(rec), baton_strerror(rc));
            ctx->failed = rc;
        }
        return;
    }
    fwrite(json, 1, len, stdout);
    fputc('\n', stdout);
    baton_free(json);
}

static int job_has_incident(const baton_instance *inst, uint64_t key)
{
    size_t i, n = baton_instance_incident_count(inst);
    for (i = 0; i < n; i++)
        if (baton_instance_incident_job_key(inst, i) == key)
            return 1;
    return 0;
}

static char *job_label(const baton_job *job)
{
    const char *id = baton_job_element_id(job);
    const char *type = baton_job_type(job);
    size_t n;
    char *s;

    id = id ? id : "";
    type = type ? type : "";
    n = strlen(id) + strlen(type) + 4;
    s = malloc(n);
    if (s)
        snprintf(s, n, "%s (%s)", id, type);
    return s;
}

static void pending_free(struct pending *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(p[i].label);
    free(p);
}

/* Copies out the jobs that can be settled now: waiting, not parked by a
 * `wait` action, and without an open incident. Jobs given `wait` are
 * parked here. Returns 0 or -1 (out of memory). */
static int collect_jobs(struct run_opts *o, baton_instance *inst,
                        struct keyset *parked, struct pending **out,
                        size_t *n_out)
{
    size_t i, n = baton_instance_job_count(inst), k = 0;
    struct pending *p;

    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    if (n > SIZE_MAX / sizeof *p)
        return -1;
    p = calloc(n, sizeof *p);
    if (!p)
        return -1;
    for (i = 0; i < n; i++) {
        baton_job *job = baton_instance_job(inst, i);
        const struct rule *r;
        uint64_t key;

        if (!job)
            continue;
        key = baton_job_key(job);
        if (keyset_has(parked, key) || job_has_incident(inst, key))
            continue;
        r = next_rule(o, baton_job_element_id(job), baton_job_type(job));
        if (r && r->kind == ACT_WAIT) {
            if (keyset_add(parked, key) != 0) {
                pending_free(p, k);
                return -1;
            }
            continue;
        }
        p[k].key = key;
        p[k].retries = baton_job_retries(job);
        p[k].rule = r;
        p[k].label = job_label(job);
        if (!p[k].label) {
            pending_free(p, k);
            return -1;
        }
        k++;
    }
    *out = p;
    *n_out = k;
    return 0;
}

static int settle(baton_instance *inst, const struct pending *p)
{
    const struct rule *r = p->rule;

    if (!r)
        return baton_instance_complete_job(inst, p->key, NULL, 0);
    switch (r->kind) {
    case ACT_COMPLETE:
        return baton_instance_complete_job(inst, p->key, r->json,
                                           r->json ? BATON_NUL : 0);
    case ACT_FAIL:
        return baton_instance_fail_job(inst, p->key,
                                       p->retries > 0 ? p->retries - 1 : 0,
                                       r->message);
    case ACT_ERROR:
        return baton_instance_throw_job_error(inst, p->key, r->code,
                                              r->message);
    case ACT_WAIT:
        break;
    }
    return BATON_OK;
}

static int state_exit(int state)
{
    switch (state) {
    case BATON_INSTANCE_COMPLETED: return CLI_EXIT_COMPLETED;
    case BATON_INSTANCE_WAITING: return CLI_EXIT_WAITING;
    case BATON_INSTANCE_INCIDENT: return CLI_EXIT_INCIDENT;
    case BATON_INSTANCE_TERMINATED: return CLI_EXIT_TERMINATED;
    default: return CLI_EXIT_REFUSED;
    }
}

/* The last line: {"state": ..., "variables": {...}, "incidents": [...]}.
 * Returns 0 or -1 (variables could not be read, message printed). */
static int print_state(baton_engine *engine, baton_instance *inst)
{
    char *vars = NULL;
    size_t len = 0, i, n;
    int rc = baton_instance_variables(inst, &vars, &len);

    if (rc != BATON_OK) {
        cli_print_engine_error(engine, "baton: ", "variables", rc);
        return -1;
    }
    fputs("{\"state\": ", stdout);
    cli_json_string(stdout, cli_state_name(baton_instance_state(inst)));
    fputs(", \"variables\": ", stdout);
    fwrite(vars, 1, len, stdout);
    baton_free(vars);
    n = baton_instance_incident_count(inst);
    if (n > 0) {
        fputs(", \"incidents\": [", stdout);
        for (i = 0; i < n; i++) {
            uint64_t job = baton_instance_incident_job_key(inst, i);
            fputs(i ? ", {\"key\": " : "{\"key\": ", stdout);
            printf("%" PRIu64, baton_instance_incident_key(inst, i));
            fputs(", \"type\": ", stdout);
            cli_json_string(stdout, baton_instance_incident_type(inst, i));
            fputs(", \"message\": ", stdout);
            cli_json_string(stdout, baton_instance_incident_message(inst, i));
            fputs(", \"elementId\": ", stdout);
            cli_json_string(stdout,
                            baton_instance_incident_element_id(inst, i));
            if (job)
                printf(", \"jobKey\": %" PRIu64, job);
            fputc('}', stdout);
        }
        fputc(']', stdout);
    }
    cli_print_waits(stdout, inst);
    fputs("}\n", stdout);
    return 0;
}

/* A MATCH that no job met is most likely a typo in a type or element id. */
static void warn_unused_rules(const struct run_opts *o)
{
    size_t i;
    for (i = 0; i < o->n_groups; i++)
        if (o->groups[i].used == 0)
            fprintf(stderr, "baton: warning: no job matched --job '%s'\n",
                    o->rules[o->groups[i].rules[0]].spec);
}

/* An action left over is most likely a script that expected the
 * instance to wait once more than it did. */
static void warn_unused_thens(const struct run_opts *o)
{
    size_t i;
    for (i = o->next_then; i < o->n_thens; i++)
        fprintf(stderr, "baton: warning: --then %s was not applied\n",
                o->thens[i].spec);
}

/* The instance waits and no job is left to settle: the next --then
 * action, if any. Returns 0 when one was applied, -1 when none is left,
 * or an exit status. */
static int next_then(struct run_opts *o, baton_engine *engine,
                     baton_instance *inst, struct cli_clock *clock,
                     struct keyset *parked)
{
    uint64_t job = 0;
    int status;

    if (o->next_then >= o->n_thens)
        return -1;
    status = cli_then_apply(&o->thens[o->next_then++], engine, inst, clock,
                            &job);
    if (job)
        keyset_remove(parked, job);
    return status;
}

/* Runs and settles jobs until the instance ends or nothing can move,
 * applying the --then actions in order each time it waits with no job
 * to settle. Returns 0 when it stopped normally, or an exit status. */
static int drive(struct run_opts *o, baton_engine *engine,
                 baton_instance *inst, struct cli_clock *clock)
{
    struct keyset parked = {NULL, 0, 0};
    unsigned long settled = 0;
    int status = 0;

    for (;;) {
        struct pending *p = NULL;
        size_t n = 0, i;
        int rc = baton_instance_run(inst, 0);

        if (rc == BATON_STEP_ENDED)
            break;
        if (rc < 0) {
            cli_print_engine_error(engine, NULL, o->model, rc);
            status = CLI_EXIT_REFUSED;
            break;
        }
        if (collect_jobs(o, inst, &parked, &p, &n) != 0) {
            fputs("baton: out of memory\n", stderr);
            status = CLI_EXIT_REFUSED;
            break;
        }
        if (n == 0) {
            free(p);
            rc = next_then(o, engine, inst, clock, &parked);
            if (rc == 0)
                continue;
            if (rc > 0)
                status = rc;
            break;
        }
        if (n > o->max_jobs - settled) {
            fprintf(stderr, "baton: stopped after %lu jobs (--max-jobs)\n",
                    settled);
            pending_free(p, n);
            break;
        }
        for (i = 0; i < n && status == 0; i++) {
            rc = settle(inst, &p[i]);
            if (rc != BATON_OK) {
                fprintf(stderr, "baton: --job '%s' on %s: ",
                        p[i].rule ? p[i].rule->spec : "complete",
                        p[i].label);
                cli_print_engine_error(engine, NULL, NULL, rc);
                status = CLI_EXIT_REFUSED;
            }
        }
        settled += n;
        pending_free(p, n);
        if (status)
            break;
    }
    free(parked.keys);
    return status;
}

int cli_run(int argc, char **argv)
{
    struct run_opts o;
    struct sink_ctx sink = {0};
    struct cli_clock clock = {0};
    baton_engine *engine = NULL;
    baton_model *model = NULL;
    baton_instance *inst = NULL;
    char *xml = NULL;
    size_t len = 0;
    int rc, status, err;

    memset(&o, 0, sizeof o);
    o.log_level = BATON_LOG_WARN;
    o.max_jobs = 10000;
    status = parse_args(argc, argv, &o);
    if (status == 0)
        status = read_vars(&o);
    if (status != 0) {
        opts_free(&o);
        return status < 0 ? 0 : status; /* -1: --help was printed */
    }

    rc = baton_engine_new(NULL, NULL, &engine);
    if (rc != BATON_OK) {
        fprintf(stderr, "baton: %s\n", baton_strerror(rc));
        opts_free(&o);
        return CLI_EXIT_REFUSED;
    }
    baton_engine_set_log(engine, cli_log, &o.log_level);
    /* The time is read once: it stands still but for advance:. */
    clock.now = o.now;
    if (!o.have_now && cli_clock_system(&clock.now) != 0) {
        fputs("baton: cannot read the system clock\n", stderr);
        baton_engine_free(engine);
        opts_free(&o);
        return CLI_EXIT_REFUSED;
    }
    baton_engine_set_clock(engine, cli_clock_read, &clock);
    if (o.records)
        baton_engine_set_record_sink(engine, record_sink, &sink);

    status = CLI_EXIT_REFUSED;
    /* Read here rather than by baton_model_load_file(), so that `run` and
     * `check` word an unreadable file alike. */
    err = cli_read_file(o.model, &xml, &len);
    if (err) {
        cli_print_read_error(stderr, o.model, err);
        goto out;
    }
    rc = baton_model_load(engine, xml, len, o.model, &model);
    free(xml);
    if (rc != BATON_OK) {
        cli_print_engine_error(engine, NULL, o.model, rc);
        goto out;
    }
    rc = baton_engine_deploy(engine, model, o.process, NULL);
    if (rc != BATON_OK) {
        if (o.process || !report_processes(o.model, model))
            cli_print_engine_error(engine, NULL, o.model, rc);
        goto out;
    }
    /* The other executable processes of the document too, for the call
     * activities that call them. */
    const char *run_id = o.process;
    for (size_t p = 0; p < baton_model_process_count(model); p++) {
        const char *id = baton_model_process_id(model, p);
        if (!baton_model_process_executable(model, p))
            continue;
        if (!run_id) {
            run_id = id; /* the only executable one, as deployed above */
            continue;
        }
        if (strcmp(id, run_id) != 0 &&
            (rc = baton_engine_deploy(engine, model, id, NULL)) != BATON_OK) {
            cli_print_engine_error(engine, NULL, o.model, rc);
            goto out;
        }
    }
    rc = baton_instance_create(engine, run_id, o.vars,
                               o.vars ? o.vars_len : 0, &inst);
    if (rc != BATON_OK) {
        cli_print_engine_error(engine, NULL,
                               o.vars ? o.vars_source : o.model, rc);
        goto out;
    }

    status = drive(&o, engine, inst, &clock);
    warn_unused_rules(&o);
    warn_unused_thens(&o);
    if (print_state(engine, inst) != 0)
        status = CLI_EXIT_REFUSED;
    if (status == 0)
        status = state_exit(baton_instance_state(inst));
    if (sink.failed)
        status = CLI_EXIT_REFUSED;

out:
    baton_instance_free(inst);
    baton_model_free(model);
    baton_engine_free(engine);
    opts_free(&o);
    if (cli_finish_stdout() != 0)
        status = CLI_EXIT_REFUSED;
    return status;
}
