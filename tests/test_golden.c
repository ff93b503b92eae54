#define _POSIX_C_SOURCE 200809L
/* Golden snapshots: snapshots written by earlier versions of the format
 * keep restoring and keep running exactly as they did when they were
 * written (tests/golden/README.md).
 *
 * For every tests/golden/vN/SCENARIO/K.json (and its K.snap): deploy the
 * model kept beside it, restore the snapshot, check the instance as the
 * host sees it, apply the host's commands, and compare the records, the
 * final state, variables, jobs and incidents with what the file says.
 * Then every one-byte change, a truncation and an extension of the
 * snapshot must be refused with BATON_ESNAPSHOT. Public API only. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton.h"
#include "golden/golden.h"

typedef struct golden {
    char *dir;  /* .../vN/SCENARIO */
    char *base; /* K */
    char *name; /* vN/SCENARIO/K */
    unsigned format;
    long number;
} golden;

typedef struct replay {
    baton_engine *e;
    baton_instance *in;
    json_t *records;
    int pik_ok;
    int64_t now; /* the clock, from format 3 */
} replay;

static int64_t clock_fn(void *ud)
{
    return ((const replay *)ud)->now;
}

static void sink(void *ud, baton_instance *in, const baton_record *rec)
{
    replay *r = ud;
    json_t *line = golden_record_line(in, rec, &r->pik_ok);
    assert_non_null(line);
    json_array_append_new(r->records, line);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16384;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (!got)
            break;
    }
    assert_false(ferror(f));
    fclose(f);
    *len = n;
    return buf;
}

/* The view of the instance without what the golden's format did not
 * show yet (subscriptions and the wake-up time came with format 3). */
static void drop_unseen(json_t *want, json_t *view)
{
    static const char *const later[] = { "subscriptions", "nextDue" };
    for (size_t i = 0; i < sizeof later / sizeof *later; i++)
        if (!json_object_get(want, later[i]))
            json_object_del(view, later[i]);
}

static void expect_json(const char *what, json_t *want, json_t *got)
{
    if (json_equal(want, got))
        return;
    char *a = json_dumps(want, JSON_INDENT(1) | JSON_ENCODE_ANY);
    char *b = json_dumps(got, JSON_INDENT(1) | JSON_ENCODE_ANY);
    print_error("%s differs\nwant: %s\n got: %s\n", what, a, b);
    free(a);
    free(b);
    fail();
}

static void expect_records(json_t *want, json_t *got)
{
    size_t n = json_array_size(want), m = json_array_size(got);
    for (size_t i = 0; i < n || i < m; i++) {
        const char *a = json_string_value(json_array_get(want, i));
        const char *b = json_string_value(json_array_get(got, i));
        if (a && b && !strcmp(a, b))
            continue;
        fail_msg("record %zu of %zu after restore:\nwant %s\n got %s", i + 1,
                 n, a ? a : "(nothing)", b ? b : "(nothing)");
    }
}

/* BATON_GOLDEN_UPDATE=1: a deliberate change of behaviour (a bug fixed
 * on purpose, records added) rewrites the expectations of the .json files
 * instead of failing: the commands keep their order and targets, the
 * keys they name and what comes out are taken from the run. Never the
 * .snap files, and never in CI; the diff goes into the commit that
 * changes the behaviour, saying why (README.md). */
static int update;
static int keys_moved; /* a command's key was taken from the run */

static baton_job *find_job(baton_instance *in, json_t *cmd)
{
    const char *el = json_string_value(json_object_get(cmd, "elementId"));
    uint64_t key = golden_key_value(json_object_get(cmd, "jobKey"));
    for (size_t i = 0; i < baton_instance_job_count(in); i++) {
        baton_job *job = baton_instance_job(in, i);
        if (baton_job_key(job) == key && !strcmp(baton_job_element_id(job), el))
            return job;
    }
    for (size_t i = 0; update && i < baton_instance_job_count(in); i++) {
        baton_job *job = baton_instance_job(in, i);
        if (!strcmp(baton_job_element_id(job), el)) {
            keys_moved = 1;
            json_object_set_new(cmd, "jobKey",
                                golden_key(baton_job_key(job)));
            return job;
        }
    }
    fail_msg("no waiting job %llu at %s", (unsigned long long)key, el);
    return NULL;
}

static size_t find_incident(baton_instance *in, json_t *cmd, const char *el,
                            const char *field, uint64_t key)
{
    for (int pass = 0; pass < 1 + update; pass++)
        for (size_t i = 0; i < baton_instance_incident_count(in); i++) {
            uint64_t k = !strcmp(field, "jobKey")
                             ? baton_instance_incident_job_key(in, i)
                             : baton_instance_incident_key(in, i);
            if ((pass || k == key) &&
                !strcmp(baton_instance_incident_element_id(in, i), el)) {
                if (pass) {
                    keys_moved = 1;
                    json_object_set_new(cmd, field, golden_key(k));
                }
                return i;
            }
        }
    fail_msg("no incident with %s %llu at %s", field, (unsigned long long)key,
             el);
    return 0;
}

static const char *opt_string(json_t *cmd, const char *name)
{
    return json_string_value(json_object_get(cmd, name));
}

static void apply(replay *r, json_t *cmd)
{
    const char *op = opt_string(cmd, "op");
    const char *el = opt_string(cmd, "elementId");
    int rc;
    assert_non_null(op);
    if (!strcmp(op, "run")) {
        rc = baton_instance_run(r->in, 0);
        const char *want = opt_string(cmd, "result");
        const char *got = rc == BATON_STEP_ENDED     ? "ended"
                          : rc == BATON_STEP_WAITING ? "waiting"
                                                     : baton_strerror(rc);
        if (strcmp(want, got))
            fail_msg("run: want %s, got %s (%s)", want, got,
                     baton_engine_errmsg(r->e));
        return;
    }
    if (!strcmp(op, "complete")) {
        baton_job *job = find_job(r->in, cmd);
        json_t *vars = json_object_get(cmd, "variables");
        char *text = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
        rc = baton_instance_complete_job(r->in, baton_job_key(job), text,
                                         BATON_NUL);
        free(text);
    } else if (!strcmp(op, "fail")) {
        baton_job *job = find_job(r->in, cmd);
        int retries = (int)json_integer_value(json_object_get(cmd,
                                                               "retries"));
        json_t *backoff = json_object_get(cmd, "backoff");
        rc = backoff ? baton_instance_fail_job_backoff(
                           r->in, baton_job_key(job), retries,
                           json_integer_value(backoff),
                           opt_string(cmd, "message"))
                     : baton_instance_fail_job(r->in, baton_job_key(job),
                                               retries,
                                               opt_string(cmd, "message"));
    } else if (!strcmp(op, "throw")) {
        baton_job *job = find_job(r->in, cmd);
        rc = baton_instance_throw_job_error(r->in, baton_job_key(job),
                                            opt_string(cmd, "code"),
                                            opt_string(cmd, "message"));
    } else if (!strcmp(op, "set")) {
        char *text = json_dumps(json_object_get(cmd, "variables"),
                                JSON_COMPACT);
        assert_non_null(text);
        rc = baton_instance_set_variables(r->in, text, BATON_NUL);
        free(text);
    } else if (!strcmp(op, "retries")) {
        /* A job held by an incident is no waiting job: find it there. */
        uint64_t jk = golden_key_value(json_object_get(cmd, "jobKey"));
        jk = baton_instance_incident_job_key(
            r->in, find_incident(r->in, cmd, el, "jobKey", jk));
        rc = baton_instance_update_job_retries(
            r->in, jk,
            (int)json_integer_value(json_object_get(cmd, "retries")));
    } else if (!strcmp(op, "resolve")) {
        uint64_t ik = golden_key_value(json_object_get(cmd, "incidentKey"));
        ik = baton_instance_incident_key(
            r->in, find_incident(r->in, cmd, el, "incidentKey", ik));
        rc = baton_instance_resolve_incident(r->in, ik);
    } else if (!strcmp(op, "clock")) {
        r->now = json_integer_value(json_object_get(cmd, "now"));
        return;
    } else if (!strcmp(op, "message") || !strcmp(op, "signal")) {
        json_t *vars = json_object_get(cmd, "variables");
        char *text = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
        const char *name = opt_string(cmd, "name");
        rc = op[0] == 'm'
                 ? baton_instance_correlate_message(
                       r->in, name, opt_string(cmd, "correlationKey"), text,
                       BATON_NUL)
                 : baton_instance_signal(r->in, name, text, BATON_NUL);
        free(text);
        json_int_t want = json_integer_value(json_object_get(cmd, "result"));
        if (rc >= 0 && rc != want)
            fail_msg("%s %s: %d matched, want %lld", op, name, rc,
                     (long long)want);
        if (rc > 0)
            rc = 0;
    } else if (!strcmp(op, "cancel")) {
        rc = baton_instance_cancel(r->in);
    } else {
        fail_msg("unknown command %s", op);
        return;
    }
    if (rc)
        fail_msg("%s %s: %s (%s)", op, el ? el : "", baton_strerror(rc),
                 baton_engine_errmsg(r->e));
}

/* The expectations as this run gives them, written back to the .json:
 * the records, then the final view with the fields the file had. */
static void rewrite_expect(replay *r, json_t *doc, const golden *g,
                           json_t *expect)
{
    json_t *view = golden_view(r->in);
    json_t *want = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(expect, k, v) {
        json_t *now = strcmp(k, "records") ? json_object_get(view, k)
                                           : r->records;
        if (now)
            json_object_set(want, k, now);
    }
    json_object_set_new(doc, "expect", want);
    json_decref(view);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", g->dir, g->base);
    char *text = json_dumps(doc, JSON_INDENT(1));
    FILE *f = fopen(path, "w");
    assert_non_null(text);
    assert_non_null(f);
    fprintf(f, "%s\n", text);
    fclose(f);
    free(text);
}

/* Every single-byte change, a truncation and an extension are refused
 * whole: a format must detect damage, whatever its version. */
static void expect_tampering_refused(baton_engine *e,
                                     const unsigned char *snap, size_t size)
{
    unsigned char *copy = malloc(size + 1);
    assert_non_null(copy);
    memcpy(copy, snap, size);
    baton_instance *in = NULL;
    for (size_t i = 0; i < size; i++) {
        copy[i] ^= 0x01;
        int rc = baton_instance_restore(e, copy, size, &in);
        if (rc != BATON_ESNAPSHOT)
            fail_msg("byte %zu of %zu changed: restore gave %d (%s)", i, size,
                     rc, baton_engine_errmsg(e));
        assert_null(in);
        copy[i] = snap[i];
    }
    assert_int_equal(baton_instance_restore(e, copy, size - 1, &in),
                     BATON_ESNAPSHOT);
    copy[size] = 0;
    assert_int_equal(baton_instance_restore(e, copy, size + 1, &in),
                     BATON_ESNAPSHOT);
    assert_null(in);
    free(copy);
}

static void test_golden(void **state)
{
    const golden *g = *state;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", g->dir, g->base);
    json_error_t err;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!doc)
        fail_msg("%s:%d: %s", path, err.line, err.text);

    replay r = { NULL, NULL, json_array(), 1, 0 };
    keys_moved = 0;
    assert_int_equal(baton_engine_new(NULL, NULL, &r.e), 0);
    baton_engine_set_record_sink(r.e, sink, &r);
    /* Format 3 keeps the clock of the snapshot; before it, no call asked
     * for the time. */
    json_t *now = json_object_get(doc, "now");
    if (now) {
        r.now = json_integer_value(now);
        baton_engine_set_clock(r.e, clock_fn, &r);
    }

    /* The model it was taken with, byte for byte. */
    snprintf(path, sizeof path, "%s/%s", g->dir,
             json_string_value(json_object_get(doc, "model")));
    baton_model *m;
    if (baton_model_load_file(r.e, path, &m))
        fail_msg("%s: %s", path, baton_engine_errmsg(r.e));
    /* Formats 1 to 5 name the model by the FNV-1a 64 of its bytes, from
     * format 6 by its identity (baton_model_checksum()). */
    uint64_t sum = baton_model_checksum(m);
    if (g->format < 6) {
        size_t model_len;
        unsigned char *model = read_all(path, &model_len);
        sum = 0xcbf29ce484222325ull;
        for (size_t k = 0; k < model_len; k++)
            sum = (sum ^ model[k]) * 0x100000001b3ull;
        free(model);
    }
    char hex[32];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)sum);
    assert_string_equal(hex, json_string_value(json_object_get(doc,
                                                               "checksum")));
    /* From format 5: the processes its call activities call. */
    json_t *deploys = json_object_get(doc, "deploy");
    for (size_t k = 0; k < json_array_size(deploys); k++)
        assert_int_equal(baton_engine_deploy(
                             r.e, m,
                             json_string_value(json_array_get(deploys, k)),
                             NULL),
                         0);
    int version = 0;
    assert_int_equal(baton_engine_deploy(r.e, m, opt_string(doc, "process"),
                                         &version),
                     0);
    baton_model_free(m);
    assert_int_equal(version,
                     json_integer_value(json_object_get(doc, "version")));

    size_t size;
    snprintf(path, sizeof path, "%s/%s.snap", g->dir, g->base);
    unsigned char *snap = read_all(path, &size);
    /* vN holds format N: the version word follows the 4-byte magic. */
    assert_true(size >= 8);
    unsigned format = (unsigned)snap[4] | (unsigned)snap[5] << 8 |
                      (unsigned)snap[6] << 16 | (unsigned)snap[7] << 24;
    assert_int_equal(format, g->format);
    assert_int_equal(format,
                     json_integer_value(json_object_get(doc, "format")));

    int rc = baton_instance_restore(r.e, snap, size, &r.in);
    if (rc)
        fail_msg("restore: %s (%s)", baton_strerror(rc),
                 baton_engine_errmsg(r.e));
    assert_string_equal(baton_instance_process_id(r.in),
                        opt_string(doc, "process"));
    assert_int_equal(baton_instance_process_version(r.in), version);
    json_t *view = golden_view(r.in);
    drop_unseen(json_object_get(doc, "at"), view);
    expect_json("the restored instance", json_object_get(doc, "at"), view);
    json_decref(view);
    assert_int_equal(json_array_size(r.records), 0);

    size_t i;
    json_t *cmd;
    json_array_foreach(json_object_get(doc, "commands"), i, cmd)
        apply(&r, cmd);

    json_t *expect = json_object_get(doc, "expect");
    if (update && (!json_equal(json_object_get(expect, "records"),
                               r.records) ||
                   keys_moved)) {
        rewrite_expect(&r, doc, g, expect);
        expect = json_object_get(doc, "expect");
    }
    expect_records(json_object_get(expect, "records"), r.records);
    assert_true(r.pik_ok);
    json_t *want = json_deep_copy(expect);
    json_object_del(want, "records");
    view = golden_view(r.in);
    drop_unseen(want, view);
    expect_json("the final instance", want, view);
    json_decref(want);

    /* It ended, or it waits for good: one more run changes nothing. */
    size_t n = json_array_size(r.records);
    int st = baton_instance_state(r.in);
    rc = baton_instance_run(r.in, 0);
    assert_int_equal(rc, st == BATON_INSTANCE_COMPLETED ||
                                 st == BATON_INSTANCE_TERMINATED
                             ? BATON_STEP_ENDED
                             : BATON_STEP_WAITING);
    assert_int_equal(json_array_size(r.records), n);
    json_t *again = golden_view(r.in);
    drop_unseen(view, again);
    expect_json("the instance after one more run", view, again);
    json_decref(again);
    json_decref(view);

    expect_tampering_refused(r.e, snap, size);

    free(snap);
    baton_instance_free(r.in);
    baton_engine_free(r.e);
    json_decref(r.records);
    json_decref(doc);
}

static int by_order(const void *a, const void *b)
{
    const golden *x = ((const struct CMUnitTest *)a)->initial_state;
    const golden *y = ((const struct CMUnitTest *)b)->initial_state;
    if (x->format != y->format)
        return x->format < y->format ? -1 : 1;
    int c = strcmp(x->dir, y->dir);
    if (c)
        return c;
    return (x->number > y->number) - (x->number < y->number);
}

static char *join(const char *a, const char *b)
{
    char *s = malloc(strlen(a) + strlen(b) + 2);
    assert_non_null(s);
    sprintf(s, "%s/%s", a, b);
    return s;
}

static int is_number(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    const char *up = getenv("BATON_GOLDEN_UPDATE");
    update = up && !strcmp(up, "1");
    const char *root = argc > 1 ? argv[1] : getenv("BATON_GOLDEN");
    if (!root)
        root = "tests/golden";
    struct CMUnitTest *tests = NULL;
    size_t n = 0, cap = 0;
    DIR *top = opendir(root);
    if (!top) {
        fprintf(stderr, "cannot open %s\n", root);
        return 1;
    }
    struct dirent *fe;
    while ((fe = readdir(top))) {
        const char *v = fe->d_name;
        if (v[0] != 'v' || !is_number(v + 1, strlen(v + 1)))
            continue;
        char *vdir = join(root, v);
        DIR *fd = opendir(vdir);
        struct dirent *se;
        while (fd && (se = readdir(fd))) {
            if (se->d_name[0] == '.')
                continue;
            char *sdir = join(vdir, se->d_name);
            DIR *sd = opendir(sdir);
            struct dirent *ge;
            while (sd && (ge = readdir(sd))) {
                size_t len = strlen(ge->d_name);
                if (len < 6 || strcmp(ge->d_name + len - 5, ".json") ||
                    !is_number(ge->d_name, len - 5))
                    continue;
                golden *g = calloc(1, sizeof *g);
                assert_non_null(g);
                g->dir = strdup(sdir);
                g->base = strndup(ge->d_name, len - 5);
                g->format = (unsigned)atoi(v + 1);
                g->number = atol(g->base);
                g->name = malloc(strlen(v) + strlen(se->d_name) + len + 3);
                assert_non_null(g->name);
                sprintf(g->name, "%s/%s/%s", v, se->d_name, g->base);
                if (n == cap) {
                    cap = cap ? 2 * cap : 64;
                    tests = realloc(tests, cap * sizeof *tests);
                    assert_non_null(tests);
                }
                tests[n++] = (struct CMUnitTest){ g->name, test_golden, NULL,
                                                  NULL, g };
            }
            if (sd)
                closedir(sd);
            free(sdir);
        }
        if (fd)
            closedir(fd);
        free(vdir);
    }
    closedir(top);
    if (!n) {
        fprintf(stderr, "no golden snapshots under %s\n", root);
        return 1;
    }
    qsort(tests, n, sizeof *tests, by_order);
    int rc = _cmocka_run_group_tests("golden", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        golden *g = (golden *)tests[i].initial_state;
        free(g->dir);
        free(g->base);
        free(g->name);
        free(g);
    }
    free(tests);
    return rc;
}
