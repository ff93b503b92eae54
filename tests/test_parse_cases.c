#define _POSIX_C_SOURCE 200809L
/* What the BPMN loader refuses, and where it says the problem is, as
 * data: every folder under tests/parse, at any depth, that holds an
 * expected.json is a case, named by its path there; its model.bpmn is
 * checked with baton_model_check() and loaded with baton_model_load().
 *
 * expected.json:
 *   "description": why the case exists (optional, not checked)
 *   "result":      the status both calls return ("BATON_EMODEL", ...,
 *                  "BATON_OK")
 *   "problems":    every problem reported, in order: no more, no fewer.
 *                  Each is an object whose keys are checked when present:
 *                  "code", "line", "column" (exact), "column_min" (at
 *                  least), "tag" and "id" ("" for none), and the message
 *                  as "message" (exact), "message_contains" (a substring)
 *                  or "message_regex" (POSIX extended). Every message must
 *                  be non-empty in any case.
 *   "processes":   with "BATON_OK", the loaded model's processes in order
 *                  (optional): "id", and when present "executable" (bool)
 *                  and "job_types" (baton_model_job_type(), in order).
 *
 * Structure that only the model's internals show stays in
 * test_parse_bpmn.c. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton.h"
#include "scenario_lib.h"

static const struct {
    const char *name;
    int code;
} codes[] = {
    { "BATON_OK", BATON_OK },
    { "BATON_ENOMEM", BATON_ENOMEM },
    { "BATON_EINVAL", BATON_EINVAL },
    { "BATON_EPARSE", BATON_EPARSE },
    { "BATON_EUNSUPPORTED", BATON_EUNSUPPORTED },
    { "BATON_EMODEL", BATON_EMODEL },
    { "BATON_ENOTFOUND", BATON_ENOTFOUND },
    { "BATON_ESTATE", BATON_ESTATE },
    { "BATON_ELIMIT", BATON_ELIMIT },
    { "BATON_EIO", BATON_EIO },
    { "BATON_ESNAPSHOT", BATON_ESNAPSHOT },
    { "BATON_EEXPR", BATON_EEXPR },
    { "BATON_EBUDGET", BATON_EBUDGET },
};

static int code_of(const char *where, json_t *name)
{
    const char *s = json_string_value(name);
    for (size_t i = 0; s && i < sizeof codes / sizeof *codes; i++)
        if (!strcmp(codes[i].name, s))
            return codes[i].code;
    fail_msg("%s: '%s' is not a status name", where, s ? s : "(not a string)");
    return 0;
}

static const char *name_of(int code)
{
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (codes[i].code == code)
            return codes[i].name;
    return "?";
}

typedef struct problem {
    int code, line, column;
    char *tag, *id, *message;
} problem;

typedef struct problems {
    problem *p;
    size_t n, cap;
} problems;

static char *dup(const char *s)
{
    char *d = strdup(s ? s : "");
    assert_non_null(d);
    return d;
}

static void on_problem(void *ud, int code, const char *source, int line,
                       int column, const char *tag, const char *element_id,
                       const char *message)
{
    problems *ps = ud;
    (void)source;
    assert_non_null(tag);
    assert_non_null(element_id);
    assert_non_null(message);
    assert_true(message[0] != '\0');
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 8;
        ps->p = realloc(ps->p, ps->cap * sizeof *ps->p);
        assert_non_null(ps->p);
    }
    ps->p[ps->n++] = (problem){ code, line, column, dup(tag),
                                dup(element_id), dup(message) };
}

static void list_problems(const problems *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        print_message("  got %zu: %s line %d column %d tag '%s' id '%s': %s\n",
                      i, name_of(ps->p[i].code), ps->p[i].line,
                      ps->p[i].column, ps->p[i].tag, ps->p[i].id,
                      ps->p[i].message);
}

static int int_field(const char *where, json_t *v)
{
    if (!json_is_integer(v))
        fail_msg("%s: not an integer", where);
    return (int)json_integer_value(v);
}

static const char *str_field(const char *where, json_t *v)
{
    if (!json_is_string(v))
        fail_msg("%s: not a string", where);
    return json_string_value(v);
}

/* Checks one reported problem against its expectation; a message of what
 * differs, or NULL. */
static const char *differs(const char *name, json_t *want, const problem *p,
                           char *buf, size_t size)
{
    const char *key;
    json_t *v;
    json_object_foreach(want, key, v) {
        if (!strcmp(key, "code")) {
            if (p->code != code_of(name, v))
                return "code";
        } else if (!strcmp(key, "line")) {
            if (p->line != int_field(name, v))
                return "line";
        } else if (!strcmp(key, "column")) {
            if (p->column != int_field(name, v))
                return "column";
        } else if (!strcmp(key, "column_min")) {
            if (p->column < int_field(name, v))
                return "column_min";
        } else if (!strcmp(key, "tag")) {
            if (strcmp(p->tag, str_field(name, v)))
                return "tag";
        } else if (!strcmp(key, "id")) {
            if (strcmp(p->id, str_field(name, v)))
                return "id";
        } else if (!strcmp(key, "message")) {
            if (strcmp(p->message, str_field(name, v)))
                return "message";
        } else if (!strcmp(key, "message_contains")) {
            if (!strstr(p->message, str_field(name, v)))
                return "message_contains";
        } else if (!strcmp(key, "message_regex")) {
            regex_t re;
            int rc = regcomp(&re, str_field(name, v), REG_EXTENDED | REG_NOSUB);
            if (rc) {
                regerror(rc, &re, buf, size);
                fail_msg("%s: message_regex: %s", name, buf);
            }
            rc = regexec(&re, p->message, 0, NULL, 0);
            regfree(&re);
            if (rc)
                return "message_regex";
        } else {
            fail_msg("%s: unknown key '%s' in a problem", name, key);
        }
    }
    return NULL;
}

static void check_processes(const char *name, json_t *want,
                            const baton_model *m)
{
    assert_int_equal(baton_model_process_count(m), json_array_size(want));
    size_t i;
    json_t *w;
    json_array_foreach(want, i, w) {
        const char *key;
        json_t *v;
        json_object_foreach(w, key, v) {
            if (!strcmp(key, "id")) {
                assert_string_equal(baton_model_process_id(m, i),
                                    str_field(name, v));
            } else if (!strcmp(key, "executable")) {
                if (!json_is_boolean(v))
                    fail_msg("%s: executable is a boolean", name);
                assert_int_equal(baton_model_process_executable(m, i),
                                 json_is_true(v));
            } else if (!strcmp(key, "job_types")) {
                assert_int_equal(baton_model_job_type_count(m, i),
                                 json_array_size(v));
                for (size_t k = 0; k < json_array_size(v); k++)
                    assert_string_equal(baton_model_job_type(m, i, k),
                                        str_field(name,
                                                  json_array_get(v, k)));
            } else {
                fail_msg("%s: unknown key '%s' in a process", name, key);
            }
        }
    }
}

static void test_case(void **state)
{
    const char *const *c = *state; /* name, folder */
    const char *name = c[0];
    size_t n = strlen(c[1]) + 32;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/expected.json", c[1]);
    json_error_t err;
    json_t *ex = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!ex)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    const char *key;
    json_t *v;
    json_object_foreach(ex, key, v)
        if (strcmp(key, "description") && strcmp(key, "result") &&
            strcmp(key, "problems") && strcmp(key, "processes"))
            fail_msg("%s: unknown key '%s'", path, key);
    int result = code_of(path, json_object_get(ex, "result"));
    json_t *want = json_object_get(ex, "problems");
    if (!json_is_array(want))
        fail_msg("%s: \"problems\" is an array", path);

    snprintf(path, n, "%s/model.bpmn", c[1]);
    size_t len;
    char *xml = sc_read_file(path, &len);
    baton_engine *e;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);

    problems got = { 0 };
    int rc = baton_model_check(e, xml, len, "model.bpmn", on_problem, &got);
    if (rc != result || got.n != json_array_size(want)) {
        list_problems(&got);
        fail_msg("%s: %s with %zu problems; want %s with %zu", name,
                 name_of(rc), got.n, name_of(result), json_array_size(want));
    }
    for (size_t i = 0; i < got.n; i++) {
        char buf[256];
        const char *what = differs(name, json_array_get(want, i), &got.p[i],
                                   buf, sizeof buf);
        if (what) {
            list_problems(&got);
            char *w = json_dumps(json_array_get(want, i), JSON_COMPACT);
            fail_msg("%s: problem %zu differs in %s; want %s", name, i, what,
                     w);
        }
    }

    /* Loading says the same, and keeps a model only when it can run. */
    baton_model *m = NULL;
    assert_int_equal(baton_model_load(e, xml, len, "model.bpmn", &m), result);
    if (result == BATON_OK) {
        assert_non_null(m);
        json_t *procs = json_object_get(ex, "processes");
        if (procs)
            check_processes(name, procs, m);
    } else {
        assert_null(m);
        if (json_object_get(ex, "processes"))
            fail_msg("%s: \"processes\" needs BATON_OK", name);
    }
    baton_model_free(m);
    baton_engine_free(e);
    for (size_t i = 0; i < got.n; i++) {
        free(got.p[i].tag);
        free(got.p[i].id);
        free(got.p[i].message);
    }
    free(got.p);
    free(xml);
    free(path);
    json_decref(ex);
}

int main(void)
{
    return sc_run_cases("parse_cases", "BATON_PARSE_CASES", "tests/parse",
                        "expected.json", test_case);
}
