#define _POSIX_C_SOURCE 200809L
/* Scenario folders and how a scenario is played; see scenario_lib.h and,
 * for the scenario.json format, test_scenarios.c. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "scenario_lib.h"

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "out of memory in the test driver\n");
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

/* "a" + "/" + "b", or just "b" when `a` is empty. */
static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = xrealloc(NULL, na + nb + 2);
    if (na) {
        memcpy(s, a, na);
        s[na++] = '/';
    }
    memcpy(s + na, b, nb + 1);
    return s;
}

static void grow(void **p, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap)
        return;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < want)
        n *= 2;
    *p = xrealloc(*p, n * size);
    *cap = n;
}

char *sc_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        grow((void **)&buf, &cap, n + 4096 + 1, 1);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        fail_msg("cannot read %s", path);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* ------------------------------------------------------------------ */
/* Case folders                                                        */
/* ------------------------------------------------------------------ */

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int walk(const char *root, const char *rel, const char *marker,
                sc_cases *out, size_t *cap)
{
    char *dir = *rel ? join(root, rel) : xstrdup(root);
    char *mark = join(dir, marker);
    int found = is_file(mark);
    free(mark);
    if (found) {
        grow((void **)&out->names, cap, out->n + 1, sizeof *out->names);
        out->dirs = xrealloc(out->dirs, *cap * sizeof *out->dirs);
        out->names[out->n] = xstrdup(rel);
        out->dirs[out->n++] = dir;
        return 0;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
        free(dir);
        return -1;
    }
    int rc = 0, subdirs = 0;
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = join(dir, de->d_name);
        int sub_is_dir = is_dir(sub);
        free(sub);
        if (!sub_is_dir)
            continue;
        subdirs++;
        char *sub_rel = join(rel, de->d_name);
        rc = walk(root, sub_rel, marker, out, cap);
        free(sub_rel);
    }
    if (rc == 0 && errno) {
        fprintf(stderr, "cannot read %s: %s\n", dir, strerror(errno));
        rc = -1;
    }
    closedir(d);
    if (rc == 0 && !subdirs && *rel) {
        fprintf(stderr, "%s has no %s and no subfolders\n", dir, marker);
        rc = -1;
    }
    free(dir);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sc_walk(const char *root, const char *marker, sc_cases *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    if (walk(root, "", marker, out, &cap)) {
        sc_cases_free(out);
        return -1;
    }
    if (out->n == 0) {
        fprintf(stderr, "no %s under %s\n", marker, root);
        return -1;
    }
    /* Sort names and dirs together: a dir is root + "/" + name. */
    qsort(out->names, out->n, sizeof *out->names, by_name);
    for (size_t i = 0; i < out->n; i++) {
        free(out->dirs[i]);
        out->dirs[i] = join(root, out->names[i]);
    }
    return 0;
}

void sc_cases_free(sc_cases *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->names[i]);
        free(c->dirs[i]);
    }
    free(c->names);
    free(c->dirs);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------ */
/* scenario.json                                                       */
/* ------------------------------------------------------------------ */

static void parse_script(const char *where, json_t *jobs, sc_script *out)
{
    memset(out, 0, sizeof *out);
    if (!jobs)
        return;
    if (!json_is_object(jobs))
        fail_msg("%s: \"jobs\" and \"settle\" are objects", where);
    out->lists = xrealloc(NULL, json_object_size(jobs) * sizeof *out->lists);
    const char *match;
    json_t *list;
    json_object_foreach(jobs, match, list) {
        if (!json_is_array(list))
            fail_msg("%s: the actions of %s are not an array", where, match);
        sc_list *l = &out->lists[out->n++];
        l->match = xstrdup(match);
        l->n = json_array_size(list);
        l->actions = xrealloc(NULL, l->n * sizeof *l->actions);
        for (size_t i = 0; i < l->n; i++) {
            const char *a = json_string_value(json_array_get(list, i));
            if (!a)
                fail_msg("%s: an action of %s is not a string", where, match);
            l->actions[i] = xstrdup(a);
        }
    }
}

static void free_script(sc_script *s)
{
    for (size_t i = 0; i < s->n; i++) {
        for (size_t k = 0; k < s->lists[i].n; k++)
            free(s->lists[i].actions[k]);
        free(s->lists[i].actions);
        free(s->lists[i].match);
    }
    free(s->lists);
}

/* ------------------------------------------------------------------ */
/* Times                                                               */
/* ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int sc_parse_time(const char *t, int64_t *ms)
{
    int y, mo, d, h, mi, s, n = 0, frac = 0;
    if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
               &n) != 6 || n != 19)
        return -1;
    const char *p = t + n;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        while (digits++ < 3)
            frac *= 10;
    }
    if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 +
          (int64_t)s * 1000 + frac;
    return 0;
}

char *sc_format_time(int64_t ms, char *buf)
{
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    /* civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, (int)m,
             (int)d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
             (int)(rem / 1000 % 60), (int)(rem % 1000));
    return buf;
}

int sc_parse_duration(const char *t, int64_t *ms)
{
    if (*t++ != 'P' || !*t)
        return -1;
    int64_t total = 0;
    int in_time = 0;
    while (*t) {
        if (*t == 'T') {
            in_time = 1;
            t++;
            continue;
        }
        char *end;
        double v = strtod(t, &end);
        if (end == t)
            return -1;
        int64_t unit;
        switch (*end) {
        case 'W': unit = in_time ? -1 : 7 * 86400000LL; break;
        case 'D': unit = in_time ? -1 : 86400000LL; break;
        case 'H': unit = in_time ? 3600000LL : -1; break;
        case 'M': unit = in_time ? 60000LL : -1; break;
        case 'S': unit = in_time ? 1000LL : -1; break;
        default: unit = -1;
        }
        if (unit < 0)
            return -1;
        total += (int64_t)(v * (double)unit);
        t = end + 1;
    }
    *ms = total;
    return 0;
}

static char *model_path(const char *dir, const char *model)
{
    const char *base = NULL;
    if (!strncmp(model, "$CORPUS/", 8))
        base = getenv("BATON_CORPUS");
    else if (!strncmp(model, "$MODELS/", 8))
        base = getenv("BATON_MODELS");
    else
        return join(dir, model);
    if (!base)
        fail_msg("%s needs BATON_%s set", model,
                 model[1] == 'C' ? "CORPUS" : "MODELS");
    return join(base, model + 8);
}

scenario *sc_load(const char *dir, const char *name)
{
    char *path = join(dir, "scenario.json");
    json_error_t err;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!doc)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    scenario *sc = xrealloc(NULL, sizeof *sc);
    memset(sc, 0, sizeof *sc);
    sc->name = xstrdup(name);
    sc->json = doc;
    const char *model = json_string_value(json_object_get(doc, "model"));
    if (!model)
        fail_msg("%s: no \"model\"", path);
    sc->model_path = model_path(dir, model);
    const char *process = json_string_value(json_object_get(doc, "process"));
    sc->process = process ? xstrdup(process) : NULL;
    /* "deploy": ["PROCESS" (of the scenario's model) or
     * {"model": PATH, "process": ID (optional)}], before the scenario's. */
    json_t *deploy = json_object_get(doc, "deploy");
    if (deploy && !json_is_array(deploy))
        fail_msg("%s: \"deploy\" is an array", path);
    sc->n_deploys = json_array_size(deploy);
    sc->deploys = xrealloc(NULL, (sc->n_deploys + 1) * sizeof *sc->deploys);
    for (size_t i = 0; i < sc->n_deploys; i++) {
        json_t *d = json_array_get(deploy, i);
        const char *m = json_string_value(json_object_get(d, "model"));
        const char *p = json_is_string(d)
                            ? json_string_value(d)
                            : json_string_value(json_object_get(d, "process"));
        if (!m && !p)
            fail_msg("%s: deploy entry %zu names no process or model", path,
                     i);
        sc->deploys[i].model_path = m ? model_path(dir, m) : NULL;
        sc->deploys[i].process = p ? xstrdup(p) : NULL;
    }
    const char *st = json_string_value(json_object_get(doc, "start"));
    sc->start = st ? xstrdup(st) : NULL;
    const char *now = json_string_value(json_object_get(doc, "now"));
    if (sc_parse_time(now ? now : "2026-01-01T00:00:00Z", &sc->now))
        fail_msg("%s: \"now\" is not a UTC time", path);
    json_t *then = json_object_get(doc, "then");
    if (then && !json_is_array(then))
        fail_msg("%s: \"then\" is an array", path);
    sc->n_then = json_array_size(then);
    sc->then = xrealloc(NULL, sc->n_then * sizeof *sc->then);
    for (size_t i = 0; i < sc->n_then; i++) {
        const char *a = json_string_value(json_array_get(then, i));
        if (!a)
            fail_msg("%s: a \"then\" action is not a string", path);
        sc->then[i] = xstrdup(a);
    }
    json_t *vars = json_object_get(doc, "variables");
    if (vars) {
        char *t = json_dumps(vars, JSON_COMPACT);
        sc->variables = xstrdup(t);
        free(t);
    }
    parse_script(path, json_object_get(doc, "jobs"), &sc->jobs);

    json_t *after = json_object_get(doc, "after");
    if (after && !json_is_array(after))
        fail_msg("%s: \"after\" is an array", path);
    sc->n_after = json_array_size(after);
    sc->after = xrealloc(NULL, sc->n_after * sizeof *sc->after);
    memset(sc->after, 0, sc->n_after * sizeof *sc->after);
    for (size_t i = 0; i < sc->n_after; i++) {
        json_t *cmd = json_array_get(after, i), *v;
        sc_after *a = &sc->after[i];
        if ((v = json_object_get(cmd, "set"))) {
            a->kind = SC_AFTER_SET;
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            a->vars = xstrdup(t);
            free(t);
        } else if ((v = json_object_get(cmd, "retries"))) {
            if (!json_is_integer(v))
                fail_msg("%s: \"retries\" is an integer", path);
            a->kind = SC_AFTER_RETRIES;
            a->retries = (int)json_integer_value(v);
        } else if (json_object_get(cmd, "resolve")) {
            a->kind = SC_AFTER_RESOLVE;
        } else if ((v = json_object_get(cmd, "settle"))) {
            a->kind = SC_AFTER_SETTLE;
            parse_script(path, v, &a->settle);
        } else {
            fail_msg("%s: unknown after command %zu", path, i);
        }
    }
    free(path);
    return sc;
}

void sc_free(scenario *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->n_after; i++) {
        free(sc->after[i].vars);
        free_script(&sc->after[i].settle);
    }
    free(sc->after);
    for (size_t i = 0; i < sc->n_then; i++)
        free(sc->then[i]);
    free(sc->then);
    free(sc->start);
    free_script(&sc->jobs);
    json_decref(sc->json);
    free(sc->variables);
    for (size_t i = 0; i < sc->n_deploys; i++) {
        free(sc->deploys[i].model_path);
        free(sc->deploys[i].process);
    }
    free(sc->deploys);
    free(sc->process);
    free(sc->model_path);
    free(sc->name);
    free(sc);
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */
/* ------------------------------------------------------------------ */

int sc_op_changes_instance(sc_op op)
{
    switch (op) {
    case SC_RUN:
    case SC_SET_VARS:
    case SC_RETRIES:
    case SC_RESOLVE:
    case SC_COMPLETE:
    case SC_FAIL:
    case SC_THROW:
    case SC_CORRELATE:
    case SC_SIGNAL:
    case SC_CANCEL:
        return 1;
    default:
        return 0;
    }
}

const char *sc_op_name(sc_op op)
{
    static const char *const names[] = {
        "baton_engine_new", "baton_model_load_file", "baton_engine_deploy",
        "baton_engine_register_handler", "baton_instance_create",
        "baton_instance_run", "baton_instance_set_variables",
        "baton_instance_update_job_retries", "baton_instance_resolve_incident",
        "baton_instance_complete_job", "baton_instance_fail_job",
        "baton_instance_throw_job_error", "baton_instance_snapshot",
        "baton_instance_restore", "baton_instance_correlate_message",
        "baton_instance_signal", "baton_instance_cancel",
    };
    return (size_t)op < sizeof names / sizeof *names ? names[op] : "?";
}

static int handler(void *ud, baton_job *job);

int sc_exec(sc_run *r, sc_call *c)
{
    switch (c->op) {
    case SC_ENGINE_NEW:
        return baton_engine_new(r->alloc, r->alloc_ud, &r->e);
    case SC_LOAD:
        return baton_model_load_file(
            r->e, c->text ? c->text : r->sc->model_path, &c->model);
    case SC_DEPLOY:
        return baton_engine_deploy(r->e, c->model,
                                   c->text ? c->text : r->sc->process, NULL);
    case SC_REGISTER:
        return baton_engine_register_handler(r->e, c->text, handler, r);
    case SC_CREATE:
        return baton_instance_create_at(r->e, r->sc->process, r->sc->start,
                                        r->sc->variables, BATON_NUL, &r->in);
    case SC_RUN:
        return baton_instance_run(r->in, 0);
    case SC_SET_VARS:
        return baton_instance_set_variables(r->in, c->text, BATON_NUL);
    case SC_RETRIES:
        return baton_instance_update_job_retries(r->in, c->key, c->num);
    case SC_RESOLVE:
        return baton_instance_resolve_incident(r->in, c->key);
    case SC_COMPLETE:
        return baton_instance_complete_job(r->in, c->key, c->text, BATON_NUL);
    case SC_FAIL:
        return baton_instance_fail_job_backoff(r->in, c->key, c->num, c->ms,
                                               c->text);
    case SC_THROW:
        return baton_instance_throw_job_error(r->in, c->key, c->code,
                                              c->text);
    case SC_SNAPSHOT:
        return baton_instance_snapshot(r->in, &c->snap, &c->size);
    case SC_RESTORE_OP:
        return baton_instance_restore(r->e, c->snap, c->size, &r->in);
    case SC_CORRELATE:
        return baton_instance_correlate_message(r->in, c->text, c->code,
                                                c->vars, BATON_NUL);
    case SC_SIGNAL:
        return baton_instance_signal(r->in, c->text, c->vars, BATON_NUL);
    case SC_CANCEL:
        return baton_instance_cancel(r->in);
    }
    fail_msg("unknown call %d", (int)c->op);
    return BATON_EINVAL;
}

int sc_do(sc_run *r, sc_call *c)
{
    return r->call ? r->call(r, c) : sc_exec(r, c);
}

/* A call that must succeed. */
static int must(sc_run *r, sc_call *c)
{
    int rc = sc_do(r, c);
    if (rc < 0)
        fail_msg("%s: %s failed: %s", r->sc->name, sc_op_name(c->op),
                 r->e ? baton_engine_errmsg(r->e) : baton_strerror(rc));
    return rc;
}

/* ------------------------------------------------------------------ */
/* Playing                                                             */
/* ------------------------------------------------------------------ */

void sc_run_init(sc_run *r, const scenario *sc, sc_mode mode)
{
    memset(r, 0, sizeof *r);
    r->sc = sc;
    r->mode = mode;
}

void sc_run_clear(sc_run *r)
{
    baton_instance_free(r->in);
    baton_engine_free(r->e);
    r->in = NULL;
    r->e = NULL;
    free(r->next);
    free(r->log);
    free(r->waiting);
    for (size_t i = 0; i < r->n_records; i++)
        free(r->records[i]);
    free(r->records);
    r->next = NULL;
    r->log = NULL;
    r->waiting = NULL;
    r->records = NULL;
    r->n_log = r->cap_log = r->n_waiting = r->cap_waiting = 0;
    r->n_records = r->cap_records = 0;
}

static void use_script(sc_run *r, const sc_script *s)
{
    r->script = s;
    free(r->next);
    r->next = xrealloc(NULL, s->n * sizeof *r->next);
    memset(r->next, 0, s->n * sizeof *r->next);
}

static void sink(void *ud, baton_instance *in, const baton_record *rec)
{
    sc_run *r = ud;
    (void)in;
    char *text;
    size_t len;
    if (r->quiet)
        r->quiet(r, 1);
    int rc = baton_record_to_json(rec, &text, &len);
    if (r->quiet)
        r->quiet(r, 0);
    assert_int_equal(rc, 0);
    grow((void **)&r->records, &r->cap_records, r->n_records + 1,
         sizeof *r->records);
    char *copy = xrealloc(NULL, len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    r->records[r->n_records++] = copy;
    baton_free(text);
}

json_t *sc_records_json(const sc_run *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n_records; i++) {
        json_error_t err;
        json_t *o = json_loads(r->records[i], 0, &err);
        if (!o)
            fail_msg("record %zu is not JSON: %s", i, err.text);
        json_array_append_new(a, o);
    }
    return a;
}

/* The action for a job: a list for its element id first, then one for
 * its type; each list's last action repeats; no list: complete. */
static const char *action_for(sc_run *r, const char *element,
                              const char *type, int in_handler,
                              uint64_t revision)
{
    const char *keys[2] = { element, type };
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < r->script->n; i++) {
            const sc_list *l = &r->script->lists[i];
            if (strcmp(l->match, keys[k]) || l->n == 0)
                continue;
            size_t n = r->next[i];
            if (in_handler) {
                grow((void **)&r->log, &r->cap_log, r->n_log + 1,
                     sizeof *r->log);
                r->log[r->n_log++] = (struct sc_advance){ i, n, revision };
            }
            r->next[i] = n + 1;
            return l->actions[n < l->n ? n : l->n - 1];
        }
    return "complete";
}

void sc_rollback(sc_run *r, uint64_t revision)
{
    while (r->n_log && r->log[r->n_log - 1].revision >= revision) {
        r->n_log--;
        r->next[r->log[r->n_log].list] = r->log[r->n_log].prev;
    }
}

/* ACTION is "wait", "complete[:JSON]", "fail[:MESSAGE]",
 * "backoff:DURATION[:MESSAGE]" (fail, retried after the duration) or
 * "error:CODE[:MESSAGE]". */
typedef struct action {
    enum { ACT_WAIT, ACT_COMPLETE, ACT_FAIL, ACT_ERROR } verb;
    const char *arg;  /* JSON or message, NULL when none */
    char code[128];
    int64_t backoff;
} action;

static void parse_action(const char *text, action *a)
{
    const char *arg = strchr(text, ':');
    size_t verb = arg ? (size_t)(arg - text) : strlen(text);
    a->arg = arg ? arg + 1 : NULL;
    a->code[0] = '\0';
    a->backoff = 0;
    if (!strncmp(text, "wait", verb))
        a->verb = ACT_WAIT;
    else if (!strncmp(text, "complete", verb))
        a->verb = ACT_COMPLETE;
    else if (!strncmp(text, "fail", verb))
        a->verb = ACT_FAIL;
    else if (!strncmp(text, "backoff", verb)) {
        a->verb = ACT_FAIL;
        char d[64];
        const char *msg = a->arg ? strchr(a->arg, ':') : NULL;
        size_t n = a->arg ? (msg ? (size_t)(msg - a->arg) : strlen(a->arg))
                          : 0;
        if (!a->arg || n >= sizeof d)
            fail_msg("action %s has no duration", text);
        memcpy(d, a->arg, n);
        d[n] = '\0';
        if (sc_parse_duration(d, &a->backoff))
            fail_msg("action %s: bad duration", text);
        a->arg = msg ? msg + 1 : NULL;
    } else if (!strncmp(text, "error", verb)) {
        a->verb = ACT_ERROR;
        if (!a->arg)
            fail_msg("action %s has no error code", text);
        const char *msg = strchr(a->arg, ':');
        size_t n = msg ? (size_t)(msg - a->arg) : strlen(a->arg);
        assert_true(n < sizeof a->code);
        memcpy(a->code, a->arg, n);
        a->code[n] = '\0';
        a->arg = msg ? msg + 1 : NULL;
    } else
        fail_msg("unknown action %s", text);
}

static int fail_retries(const baton_job *job)
{
    int retries = baton_job_retries(job) - 1;
    return retries < 0 ? 0 : retries;
}

static int handler(void *ud, baton_job *job)
{
    sc_run *r = ud;
    /* The handler sees its variables. */
    char *vars;
    int rc = baton_job_variables(job, &vars, NULL);
    if (rc == BATON_ENOMEM && r->tolerate_enomem)
        return rc;
    assert_int_equal(rc, 0);
    assert_int_equal(vars[0], '{');
    rc = r->vars ? r->vars(r, vars) : 0;
    baton_free(vars);
    if (rc < 0)
        return rc;
    action a;
    parse_action(action_for(r, baton_job_element_id(job), baton_job_type(job),
                            1, baton_instance_revision(baton_job_instance(job))),
                 &a);
    switch (a.verb) {
    case ACT_WAIT:
        rc = baton_job_defer(job);
        break;
    case ACT_COMPLETE:
        rc = baton_job_complete(job, a.arg, BATON_NUL);
        break;
    case ACT_FAIL:
        rc = baton_job_fail_backoff(job, fail_retries(job), a.backoff, a.arg);
        break;
    case ACT_ERROR:
        rc = baton_job_throw_error(job, a.code, a.arg);
        break;
    }
    if (rc == BATON_ENOMEM && r->tolerate_enomem)
        return rc;
    assert_int_equal(rc, 0);
    return 0;
}

/* Settles a waiting job by key as ACTION says; 1 for "wait". */
static int settle_by_key(sc_run *r, baton_job *job, const char *text)
{
    action a;
    parse_action(text, &a);
    sc_call c = { .key = baton_job_key(job), .text = a.arg };
    switch (a.verb) {
    case ACT_WAIT:
        return 1;
    case ACT_COMPLETE:
        c.op = SC_COMPLETE;
        break;
    case ACT_FAIL:
        c.op = SC_FAIL;
        c.num = fail_retries(job);
        c.ms = a.backoff;
        break;
    case ACT_ERROR:
        c.op = SC_THROW;
        c.code = a.code;
        break;
    }
    return sc_do(r, &c);
}

static int is_waiting(const sc_run *r, uint64_t key)
{
    for (size_t i = 0; i < r->n_waiting; i++)
        if (r->waiting[i] == key)
            return 1;
    return 0;
}

static void set_waiting(sc_run *r, uint64_t key, int on)
{
    for (size_t i = 0; i < r->n_waiting; i++)
        if (r->waiting[i] == key) {
            if (!on)
                r->waiting[i] = r->waiting[--r->n_waiting];
            return;
        }
    if (on) {
        grow((void **)&r->waiting, &r->cap_waiting, r->n_waiting + 1,
             sizeof *r->waiting);
        r->waiting[r->n_waiting++] = key;
    }
}

static void restore_cycle(sc_run *r)
{
    sc_call snap = { .op = SC_SNAPSHOT };
    must(r, &snap);
    baton_instance_free(r->in);
    r->in = NULL;
    sc_call restore = { .op = SC_RESTORE_OP, .snap = snap.snap,
                        .size = snap.size };
    must(r, &restore);
    /* The same bytes again: restore loses nothing. */
    sc_call again = { .op = SC_SNAPSHOT };
    must(r, &again);
    assert_int_equal(snap.size, again.size);
    assert_memory_equal(snap.snap, again.snap, snap.size);
    baton_free(again.snap);
    baton_free(snap.snap);
}

/* Runs until nothing moves: run, then settle waiting jobs by key, one at
 * a time (settling changes the job list). `all` settles the jobs the
 * script said to leave too. In handler mode the handlers settle jobs, so
 * one run is enough unless `all`. */
static void drive(sc_run *r, int all)
{
    for (int rounds = 0; rounds < 1000; rounds++) {
        sc_call run = { .op = SC_RUN };
        int rc = must(r, &run);
        if (r->mode == SC_RESTORE)
            restore_cycle(r);
        if (rc == BATON_STEP_ENDED || (r->mode == SC_HANDLER && !all))
            return;
        int moved = 0;
        for (size_t i = 0; i < baton_instance_job_count(r->in);) {
            baton_job *job = baton_instance_job(r->in, i);
            uint64_t key = baton_job_key(job);
            if (!all && is_waiting(r, key)) {
                i++;
                continue;
            }
            const char *act = action_for(r, baton_job_element_id(job),
                                         baton_job_type(job), 0, 0);
            int src = settle_by_key(r, job, act);
            if (src == 1) { /* wait: leave it as a handler would */
                set_waiting(r, key, 1);
                i++;
                continue;
            }
            if (src)
                fail_msg("%s: settling failed: %s", r->sc->name,
                         baton_engine_errmsg(r->e));
            set_waiting(r, key, 0);
            moved = 1;
            break;
        }
        if (!moved)
            return;
    }
    fail_msg("%s: the scenario did not settle", r->sc->name);
}

static int64_t clock_fn(void *ud)
{
    return ((sc_run *)ud)->now;
}

static void start(sc_run *r)
{
    sc_call c = { .op = SC_ENGINE_NEW };
    must(r, &c);
    r->now = r->sc->now;
    baton_engine_set_clock(r->e, clock_fn, r);
    baton_engine_set_record_sink(r->e, sink, r);
    for (size_t k = 0; k <= r->sc->n_deploys; k++) {
        /* The processes its call activities call, then its own. */
        const struct sc_deploy *d =
            k < r->sc->n_deploys ? &r->sc->deploys[k] : NULL;
        sc_call load = { .op = SC_LOAD, .text = d ? d->model_path : NULL };
        must(r, &load);
        const char *pid = d ? d->process : NULL;
        for (size_t p = 0; d && !pid && p < baton_model_process_count(
                                               load.model);
             p++)
            if (baton_model_process_executable(load.model, p))
                pid = baton_model_process_id(load.model, p);
        sc_call deploy = { .op = SC_DEPLOY, .model = load.model,
                           .text = pid };
        must(r, &deploy);
        if (r->mode == SC_HANDLER) {
            /* A handler for every job type the model names. */
            baton_model *m = load.model;
            for (size_t p = 0; p < baton_model_process_count(m); p++)
                for (size_t i = 0; i < baton_model_job_type_count(m, p);
                     i++) {
                    sc_call reg = { .op = SC_REGISTER,
                                    .text = baton_model_job_type(m, p, i) };
                    must(r, &reg);
                }
        }
        baton_model_free(load.model);
    }
    sc_call create = { .op = SC_CREATE };
    must(r, &create);
}

static void apply_after(sc_run *r)
{
    for (size_t i = 0; i < r->sc->n_after; i++) {
        const sc_after *a = &r->sc->after[i];
        switch (a->kind) {
        case SC_AFTER_SET: {
            sc_call c = { .op = SC_SET_VARS, .text = a->vars };
            must(r, &c);
            break;
        }
        case SC_AFTER_RETRIES:
            /* Every job held by an incident. */
            for (size_t k = 0; k < baton_instance_incident_count(r->in); k++) {
                sc_call c = { .op = SC_RETRIES, .num = a->retries,
                              .key = baton_instance_incident_job_key(r->in,
                                                                     k) };
                if (c.key)
                    must(r, &c);
            }
            break;
        case SC_AFTER_RESOLVE:
            /* Every open incident. */
            while (baton_instance_incident_count(r->in)) {
                sc_call c = { .op = SC_RESOLVE,
                              .key = baton_instance_incident_key(r->in, 0) };
                must(r, &c);
            }
            break;
        case SC_AFTER_SETTLE:
            /* Every waiting job, deferred ones too, by key. */
            use_script(r, &a->settle);
            drive(r, 1);
            break;
        }
    }
    if (r->sc->n_after)
        drive(r, 0);
}

/* The waiting job of `element`, or NULL. */
static baton_job *job_of(sc_run *r, const char *element)
{
    for (size_t i = 0; i < baton_instance_job_count(r->in); i++) {
        baton_job *j = baton_instance_job(r->in, i);
        if (!strcmp(baton_job_element_id(j), element))
            return j;
    }
    return NULL;
}

/* Splits "a:b:c" at its first colon into `head` (at most `cap` bytes)
 * and returns what follows it, or NULL. */
static const char *split(const char *s, char *head, size_t cap)
{
    const char *c = strchr(s, ':');
    size_t n = c ? (size_t)(c - s) : strlen(s);
    if (n >= cap)
        fail_msg("%s is too long", s);
    memcpy(head, s, n);
    head[n] = '\0';
    return c ? c + 1 : NULL;
}

/* One action of "then", as `baton run --then` takes it. */
static void apply_then(sc_run *r, const char *text)
{
    char verb[32], name[256], key[256];
    const char *rest = split(text, verb, sizeof verb);
    if (!strcmp(verb, "advance")) {
        int64_t ms = 0;
        if (!rest || sc_parse_duration(rest, &ms))
            fail_msg("%s: bad duration", text);
        r->now += ms;
        return;
    }
    if (!strcmp(verb, "cancel")) {
        sc_call c = { .op = SC_CANCEL };
        must(r, &c);
        return;
    }
    if (!rest)
        fail_msg("%s needs an argument", text);
    if (!strcmp(verb, "message") || !strcmp(verb, "signal")) {
        int msg = verb[0] == 'm';
        rest = split(rest, name, sizeof name);
        sc_call c = { .op = msg ? SC_CORRELATE : SC_SIGNAL, .text = name };
        if (msg && rest) {
            rest = split(rest, key, sizeof key);
            c.code = key;
        }
        c.vars = rest;
        if (must(r, &c) == 0)
            fail_msg("%s: no open subscription matched", text);
        return;
    }
    /* complete:ELEMENT[:JSON], fail:ELEMENT[:MESSAGE],
     * error:ELEMENT:CODE[:MESSAGE]: the job action after the element. */
    rest = split(rest, name, sizeof name);
    baton_job *job = job_of(r, name);
    if (!job)
        fail_msg("%s: no waiting job of %s", text, name);
    char act[512];
    snprintf(act, sizeof act, "%s%s%s", verb, rest ? ":" : "",
             rest ? rest : "");
    if (settle_by_key(r, job, act) != 0)
        fail_msg("%s: settling failed", text);
}

void sc_play(sc_run *r)
{
    use_script(r, &r->sc->jobs);
    start(r);
    drive(r, 0);
    apply_after(r);
    for (size_t i = 0; i < r->sc->n_then; i++) {
        apply_then(r, r->sc->then[i]);
        drive(r, 0);
    }
}

int sc_run_cases(const char *group, const char *root_env,
                 const char *default_root, const char *marker,
                 void (*test)(void **state))
{
    const char *root = getenv(root_env);
    if (!root)
        root = default_root;
    sc_cases cases;
    if (sc_walk(root, marker, &cases))
        return 1;
    struct CMUnitTest *tests = calloc(cases.n, sizeof *tests);
    const char *(*state)[2] = calloc(cases.n, sizeof *state);
    if (!tests || !state)
        return 1;
    for (size_t i = 0; i < cases.n; i++) {
        state[i][0] = cases.names[i];
        state[i][1] = cases.dirs[i];
        tests[i] = (struct CMUnitTest){ cases.names[i], test, NULL, NULL,
                                        (void *)state[i] };
    }
    int rc = _cmocka_run_group_tests(group, tests, cases.n, NULL, NULL);
    free(tests);
    free(state);
    sc_cases_free(&cases);
    return rc;
}
