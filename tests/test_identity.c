/* A model's identity (baton_model_checksum(), lib/loader/identity.c):
 * what reformatting leaves alone and what a change of content does not.
 *
 * Data: each folder of tests/identity holds `base.bpmn`, variants
 * `same-*.bpmn` that a modeler or formatter could write from it (the
 * identity must stay, the bytes differ) and `other-*.bpmn` that change
 * what it is (the identity must differ from the base's and from each
 * other's). An instance of the base, snapshotted while it waits,
 * restores against a `same-*` model and is refused by an `other-*` one.
 * A new case is a new file, no C. A few cases that need no whole model
 * (text split by comments, deep nesting, QNames) are written here. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baton.h"

static const char *cases_dir;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *p = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 4096 > cap) {
            cap = (n + 4096) * 2;
            p = realloc(p, cap);
            assert_non_null(p);
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
    } while (got);
    fclose(f);
    *len = n;
    return p;
}

static baton_model *load_text(baton_engine *e, const char *xml, size_t len,
                              const char *name)
{
    baton_model *m = NULL;
    if (baton_model_load(e, xml, len, name, &m))
        fail_msg("%s: %s", name, baton_engine_errmsg(e));
    return m;
}

static uint64_t identity_of_text(const char *xml)
{
    baton_engine *e = NULL;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    baton_model *m = load_text(e, xml, strlen(xml), "inline");
    uint64_t id = baton_model_checksum(m);
    baton_model_free(m);
    baton_engine_free(e);
    return id;
}

/* An engine with `path` deployed (its only executable process). */
static baton_engine *engine_with(const char *path, uint64_t *id)
{
    baton_engine *e = NULL;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    baton_model *m = NULL;
    if (baton_model_load_file(e, path, &m))
        fail_msg("%s: %s", path, baton_engine_errmsg(e));
    *id = baton_model_checksum(m);
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
    return e;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The variants of one folder, sorted. */
static size_t list(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *x;
    while ((x = readdir(d))) {
        size_t l = strlen(x->d_name);
        if (l < 5 || strcmp(x->d_name + l - 5, ".bpmn") ||
            (strncmp(x->d_name, "same-", 5) && strncmp(x->d_name, "other-", 6)))
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        assert_non_null(names);
        names[n++] = strdup(x->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    *out = names;
    return n;
}

static void one_folder(const char *dir)
{
    char path[4096 + 256];
    snprintf(path, sizeof path, "%s/base.bpmn", dir);
    uint64_t base_id;
    baton_engine *e = engine_with(path, &base_id);
    size_t base_len;
    char *base_xml = read_file(path, &base_len);

    /* An instance that waits (its first task's job, no handler). */
    baton_instance *in = NULL;
    if (baton_instance_create(e, NULL, "{}", BATON_NUL, &in))
        fail_msg("%s: %s", path, baton_engine_errmsg(e));
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    void *snap = NULL;
    size_t snap_len = 0;
    assert_int_equal(baton_instance_snapshot(in, &snap, &snap_len), 0);
    baton_instance_free(in);

    char **names;
    size_t n = list(dir, &names);
    uint64_t *others = calloc(n + 1, sizeof *others);
    assert_non_null(others);
    size_t n_others = 0, n_same = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        char *xml = read_file(path, &len);
        assert_false(len == base_len && !memcmp(xml, base_xml, len));
        free(xml);
        uint64_t id;
        baton_engine *v = engine_with(path, &id);
        baton_instance *back = NULL;
        int rc = baton_instance_restore(v, snap, snap_len, &back);
        if (names[i][0] == 's') {
            n_same++;
            if (id != base_id)
                fail_msg("%s: identity %016llx, the base's %016llx", path,
                         (unsigned long long)id,
                         (unsigned long long)base_id);
            if (rc)
                fail_msg("%s: the base's snapshot is refused: %s", path,
                         baton_engine_errmsg(v));
            /* And it goes on as it would have. */
            assert_int_equal(baton_instance_state(back),
                             BATON_INSTANCE_WAITING);
            assert_true(baton_instance_job_count(back) > 0);
            baton_instance_free(back);
        } else {
            if (id == base_id)
                fail_msg("%s: the same identity as the base", path);
            for (size_t k = 0; k < n_others; k++)
                if (others[k] == id)
                    fail_msg("%s: the same identity as another variant",
                             path);
            others[n_others++] = id;
            assert_int_equal(rc, BATON_ESNAPSHOT);
            assert_null(back);
            assert_non_null(strstr(baton_engine_errmsg(v),
                                   "it was taken with another model"));
        }
        baton_engine_free(v);
        free(names[i]);
    }
    /* Each folder has both kinds of variant. */
    assert_true(n_same > 0);
    assert_true(n_others > 0);
    free(names);
    free(others);
    free(base_xml);
    baton_free(snap);
    baton_engine_free(e);
}

static void test_folders(void **state)
{
    (void)state;
    DIR *d = opendir(cases_dir);
    if (!d)
        fail_msg("cannot open %s", cases_dir);
    struct dirent *x;
    int folders = 0;
    while ((x = readdir(d))) {
        if (x->d_name[0] == '.')
            continue;
        char dir[2048];
        snprintf(dir, sizeof dir, "%s/%s", cases_dir, x->d_name);
        struct stat st;
        if (stat(dir, &st) || !S_ISDIR(st.st_mode))
            continue; /* README.md */
        print_message("%s\n", x->d_name);
        one_folder(dir);
        folders++;
    }
    closedir(d);
    assert_true(folders >= 2);
}

#define DEFS_OPEN                                                             \
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "     \
    "xmlns:x=\"urn:x\" id=\"d\" targetNamespace=\"urn:t\">"                    \
    "<process id=\"p\" isExecutable=\"true\">"                                 \
    "<startEvent id=\"s\"/><sequenceFlow id=\"f\" sourceRef=\"s\" "            \
    "targetRef=\"e\"/><endEvent id=\"e\">"
#define DEFS_CLOSE "</endEvent></process></definitions>"

/* Text is the run between elements: a comment inside it is dropped and
 * the pieces join; whitespace inside text with content counts. */
static void test_text_runs(void **state)
{
    (void)state;
    uint64_t joined = identity_of_text(
        DEFS_OPEN "<extensionElements><x:v>ab</x:v></extensionElements>"
        DEFS_CLOSE);
    assert_int_equal(identity_of_text(DEFS_OPEN
                         "<extensionElements><x:v>a<!-- c -->b</x:v>"
                         "</extensionElements>" DEFS_CLOSE),
                     joined);
    assert_int_equal(identity_of_text(DEFS_OPEN
                         "<extensionElements><x:v>a<![CDATA[b]]></x:v>"
                         "</extensionElements>" DEFS_CLOSE),
                     joined);
    assert_int_equal(identity_of_text(DEFS_OPEN
                         "<extensionElements>\n  <x:v>ab</x:v>\n"
                         "</extensionElements>" DEFS_CLOSE),
                     joined);
    assert_true(identity_of_text(DEFS_OPEN
                    "<extensionElements><x:v>a b</x:v>"
                    "</extensionElements>" DEFS_CLOSE) != joined);
    /* An element moved is another document. */
    assert_true(identity_of_text(DEFS_OPEN
                    "<extensionElements><x:v>a</x:v><x:v>b</x:v>"
                    "</extensionElements>" DEFS_CLOSE) != joined);
    /* An empty element is not its absence. */
    assert_true(identity_of_text(DEFS_OPEN
                    "<extensionElements><x:v>ab</x:v><x:w/>"
                    "</extensionElements>" DEFS_CLOSE) != joined);
    /* An unknown extension attribute counts; one of the modeler's does
     * not. */
    assert_true(identity_of_text(DEFS_OPEN
                    "<extensionElements><x:v x:y=\"1\">ab</x:v>"
                    "</extensionElements>" DEFS_CLOSE) != joined);
    assert_int_equal(
        identity_of_text(DEFS_OPEN
                         "<extensionElements><x:v xmlns:m=\"http://camunda."
                         "org/schema/modeler/1.0\" m:y=\"1\">ab</x:v>"
                         "</extensionElements>" DEFS_CLOSE),
        joined);
}

/* Nested `depth` levels of extension elements, as deep as the loader
 * lets a document be: the identity is worked out without recursion. */
static char *nested(int depth, const char *leaf)
{
    size_t cap = (size_t)depth * 16 + 1024;
    char *p = malloc(cap);
    assert_non_null(p);
    size_t n = (size_t)snprintf(p, cap, "%s<extensionElements>", DEFS_OPEN);
    for (int i = 0; i < depth; i++)
        n += (size_t)snprintf(p + n, cap - n, "<x:n>");
    n += (size_t)snprintf(p + n, cap - n, "%s", leaf);
    for (int i = 0; i < depth; i++)
        n += (size_t)snprintf(p + n, cap - n, "</x:n>");
    snprintf(p + n, cap - n, "</extensionElements>%s", DEFS_CLOSE);
    return p;
}

static void test_deep(void **state)
{
    (void)state;
    char *a = nested(240, "v");
    char *b = nested(239, "v");
    char *c = nested(240, "w");
    uint64_t ia = identity_of_text(a);
    assert_true(ia != identity_of_text(b));
    assert_true(ia != identity_of_text(c));
    assert_int_equal(ia, identity_of_text(a));
    free(a);
    free(b);
    free(c);
}

/* xsi:type values are QNames, compared by the URI of their prefix; an
 * unbound prefix counts as written. */
static void test_qnames(void **state)
{
    (void)state;
    const char *tpl =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xmlns:%s=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "id=\"d\" targetNamespace=\"urn:t\">"
        "<process id=\"p\" isExecutable=\"true\">"
        "<startEvent id=\"s\"/><exclusiveGateway id=\"g\"/>"
        "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"g\"/>"
        "<sequenceFlow id=\"f\" sourceRef=\"g\" targetRef=\"e\">"
        "<conditionExpression xsi:type=\"%s\">=true</conditionExpression>"
        "</sequenceFlow><endEvent id=\"e\"/></process></definitions>";
    char doc[2048];
    snprintf(doc, sizeof doc, tpl, "a", "a:tFormalExpression");
    uint64_t id = identity_of_text(doc);
    snprintf(doc, sizeof doc, tpl, "b", "b:tFormalExpression");
    assert_int_equal(identity_of_text(doc), id);
    /* By the default namespace, which is BPMN's here. */
    snprintf(doc, sizeof doc, tpl, "b", "tFormalExpression");
    assert_int_equal(identity_of_text(doc), id);
    snprintf(doc, sizeof doc, tpl, "b", "b:tExpression");
    assert_true(identity_of_text(doc) != id);
    /* An unbound prefix counts as written. */
    snprintf(doc, sizeof doc, tpl, "b", "c:tFormalExpression");
    uint64_t unbound = identity_of_text(doc);
    assert_true(unbound != id);
    snprintf(doc, sizeof doc, tpl, "b", "d:tFormalExpression");
    assert_true(identity_of_text(doc) != unbound);
}

int main(int argc, char **argv)
{
    cases_dir = argc > 1 ? argv[1] : "tests/identity";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folders),
        cmocka_unit_test(test_text_runs),
        cmocka_unit_test(test_deep),
        cmocka_unit_test(test_qnames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
