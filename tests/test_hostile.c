#define _POSIX_C_SOURCE 200809L
/* Hostile BPMN: entity tricks, external resources, resource exhaustion and
 * broken bytes. Each is refused with the right code and line, nothing is
 * read from disk or network, nothing reaches stderr, and (under ASan)
 * nothing leaks. Big inputs are built here at run time.
 *
 * This file plays the host: it installs its own libxml2 entity loader and
 * error handlers, and in one test the most dangerous global defaults, to
 * prove the loader depends on none of them. */
#define _POSIX_C_SOURCE 200809L /* fileno, mkstemp */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "loader/model_load.h"

#define BPMN_NS "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define SECRET "BATON-SECRET-4b1d7e"

static char secret_path[256]; /* a local file holding SECRET */
static int loader_calls;      /* the host's entity loader was asked */
static int host_error_calls;  /* the host's error handlers were called */

static xmlParserInputPtr host_loader(const char *url, const char *id,
                                     xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    loader_calls++;
    return NULL;
}

static void host_generic_error(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
    host_error_calls++;
}

static void host_structured_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
    host_error_calls++;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

typedef struct saw {
    int n;
    int code, line, column;
    char message[256];
    int secret_seen;
} saw;

static void on_problem(void *ud, const bt_problem *p)
{
    saw *s = ud;
    assert_non_null(p->message);
    assert_true(p->message[0] != '\0');
    if (strstr(p->message, SECRET) || strstr(p->message, "root:") ||
        (p->id && strstr(p->id, SECRET)))
        s->secret_seen = 1;
    if (s->n++ == 0) {
        s->code = p->code;
        s->line = p->line;
        s->column = p->column;
        snprintf(s->message, sizeof s->message, "%s", p->message);
    }
}

static int str_has_secret(const char *s)
{
    return s && (strstr(s, SECRET) || strstr(s, "root:"));
}

/* Every string the model holds, checked for the secret. */
static int model_has_secret(const baton_model *m)
{
    for (uint32_t i = 0; i < m->n_processes; i++) {
        const bt_process *p = &m->processes[i];
        if (str_has_secret(p->id) || str_has_secret(p->name))
            return 1;
        for (uint32_t k = 0; k < p->n_elements; k++) {
            const bt_element *e = &p->elements[k];
            if (str_has_secret(e->id) || str_has_secret(e->name) ||
                str_has_secret(e->job.type))
                return 1;
            for (uint32_t h = 0; h < e->job.n_headers; h++)
                if (str_has_secret(e->job.headers[h].value))
                    return 1;
            for (uint32_t h = 0; h < e->n_inputs; h++)
                if (str_has_secret(bt_expr_text(e->inputs[h].source)))
                    return 1;
        }
    }
    return 0;
}

static const bt_alloc alloc = { bt_default_alloc, NULL };

/* Parses with stderr captured: the loader must never write to it. */
static int parse_lim(const char *xml, size_t len, const bt_load_limits *lim,
                     saw *s, baton_model **m)
{
    memset(s, 0, sizeof *s);
    *m = NULL;
    fflush(stderr);
    FILE *cap = tmpfile();
    assert_non_null(cap);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_int_not_equal(dup2(fileno(cap), 2), -1);
    int calls_before = loader_calls;
    int rc = bt_parse_bpmn(&alloc, lim, xml, len, "hostile.bpmn", on_problem,
                           s, m);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fseek(cap, 0, SEEK_END);
    long written = ftell(cap);
    fclose(cap);
    assert_int_equal(written, 0);
    assert_int_equal(loader_calls, calls_before);
    assert_false(s->secret_seen);
    if (*m)
        assert_false(model_has_secret(*m));
    return rc;
}

static int parse(const char *xml, saw *s, baton_model **m)
{
    return parse_lim(xml, strlen(xml), NULL, s, m);
}

/* Refused with `code` at `line`, and nothing else reported. */
static void expect_refused(const char *xml, size_t len,
                           const bt_load_limits *lim, int code, int line,
                           const char *message)
{
    saw s;
    baton_model *m;
    int rc = parse_lim(xml, len, lim, &s, &m);
    assert_null(m);
    if (rc != code || s.code != code || s.line != line ||
        (message && strcmp(s.message, message) != 0))
        fail_msg("rc %d, first problem %d at line %d: '%s'; want %d at %d",
                 rc, s.code, s.line, s.message, code, line);
    assert_int_equal(s.n, 1);
}

typedef struct buf {
    char *data;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

static void put_n(buf *b, const char *s, size_t times)
{
    for (size_t i = 0; i < times; i++)
        put(b, s);
}

#define DOC_START                                                             \
    "<definitions xmlns=\"" BPMN_NS "\" "                                     \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">\n"
/* The entity lands in text the model keeps, were it ever expanded. */
#define SMALL_PROCESS                                                         \
    "<process id=\"p\" isExecutable=\"true\">\n"                              \
    "<startEvent id=\"s\"/>\n"                                                \
    "<serviceTask id=\"t\"><extensionElements><camunda:inputOutput>"          \
    "<camunda:inputParameter name=\"x\">&e;</camunda:inputParameter>"         \
    "</camunda:inputOutput></extensionElements></serviceTask>\n"              \
    "<sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"t\"/>\n"              \
    "</process>\n"

/* ------------------------------------------------------------------ */
/* Entities and external resources                                     */
/* ------------------------------------------------------------------ */

static void xxe_local_file(void **state)
{
    (void)state;
    const char *passwd =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE definitions [\n"
        "  <!ENTITY e SYSTEM \"file:///etc/passwd\">\n"
        "]>\n" DOC_START SMALL_PROCESS "</definitions>\n";
    expect_refused(passwd, strlen(passwd), NULL, BATON_EPARSE, 2,
                   "DOCTYPE is not allowed");

    char xml[4096];
    snprintf(xml, sizeof xml,
             "<!DOCTYPE definitions [<!ENTITY e SYSTEM \"file://%s\">]>\n"
             DOC_START SMALL_PROCESS "</definitions>\n",
             secret_path);
    expect_refused(xml, strlen(xml), NULL, BATON_EPARSE, 1,
                   "DOCTYPE is not allowed");

    /* Without a DOCTYPE an entity cannot be declared: using one is an
     * error, not an empty string. */
    const char *undeclared = DOC_START SMALL_PROCESS "</definitions>\n";
    saw s;
    baton_model *m;
    assert_int_equal(parse(undeclared, &s, &m), BATON_EPARSE);
    assert_int_equal(s.line, 4);
    assert_non_null(strstr(s.message, "'e'"));
}

/* The host may have set libxml2's process-wide defaults to the most
 * dangerous values, and its own error handlers: the loader must behave
 * exactly the same. */
static void xxe_with_dangerous_globals(void **state)
{
    (void)state;
    int old_subst = xmlSubstituteEntitiesDefault(1);
    int old_ext = xmlLoadExtDtdDefaultValue;
    xmlLoadExtDtdDefaultValue = XML_DETECT_IDS | XML_COMPLETE_ATTRS;
    int old_blanks = xmlKeepBlanksDefault(0);
    int old_pedantic = xmlPedanticParserDefault(1);
    int old_lines = xmlLineNumbersDefault(0);
    int old_valid = xmlDoValidityCheckingDefaultValue;
    xmlDoValidityCheckingDefaultValue = 1;
    int old_warn = xmlGetWarningsDefaultValue;
    xmlGetWarningsDefaultValue = 1;
    xmlSetGenericErrorFunc(NULL, host_generic_error);
    xmlSetStructuredErrorFunc(NULL, host_structured_error);
    host_error_calls = 0;

    char xml[4096];
    snprintf(xml, sizeof xml,
             "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE definitions SYSTEM \"file://%s\" [\n"
             "  <!ENTITY e SYSTEM \"file://%s\">\n"
             "]>\n" DOC_START SMALL_PROCESS "</definitions>\n",
             secret_path, secret_path);
    expect_refused(xml, strlen(xml), NULL, BATON_EPARSE, 2,
                   "DOCTYPE is not allowed");

    /* An ordinary document loads as it would with the defaults: same
     * lines (xmlLineNumbersDefault(0) must not matter), same text. */
    const char *ok = DOC_START
        "<process id=\"p\" isExecutable=\"true\">\n"
        "  <startEvent id=\"s\" name=\"a &amp; b\"/>\n"
        "  <exclusiveGateway id=\"g\"/>\n"
        "  <endEvent id=\"e\"/>\n"
        "  <sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"g\"/>\n"
        "  <sequenceFlow id=\"f1\" sourceRef=\"g\" targetRef=\"e\">\n"
        "    <conditionExpression> =x &gt; 1 </conditionExpression>\n"
        "  </sequenceFlow>\n"
        "</process>\n"
        "</definitions>\n";
    saw s;
    baton_model *m;
    assert_int_equal(parse(ok, &s, &m), 0);
    const bt_process *p = &m->processes[0];
    assert_string_equal(p->elements[0].name, "a & b");
    assert_int_equal(p->line, 2);
    assert_int_equal(p->elements[2].line, 5);
    assert_int_equal(p->flows[1].line, 7);
    assert_non_null(p->flows[1].condition);
    bt_model_unref(m);

    /* Syntax errors still come back through the loader, with lines. */
    assert_int_equal(parse(DOC_START "<process>\n</definitions>\n", &s, &m),
                     BATON_EPARSE);
    assert_int_equal(s.line, 3);
    assert_int_equal(host_error_calls, 0);

    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlSetGenericErrorFunc(NULL, NULL);
    xmlGetWarningsDefaultValue = old_warn;
    xmlDoValidityCheckingDefaultValue = old_valid;
    xmlLineNumbersDefault(old_lines);
    xmlPedanticParserDefault(old_pedantic);
    xmlKeepBlanksDefault(old_blanks);
    xmlLoadExtDtdDefaultValue = old_ext;
    xmlSubstituteEntitiesDefault(old_subst);
}

static void billion_laughs(void **state)
{
    (void)state;
    buf b = { 0 };
    put(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
            " <!ENTITY lol \"lol\">\n");
    for (int i = 1; i <= 9; i++) {
        char prev[8], line[256];
        snprintf(prev, sizeof prev, i == 1 ? "lol" : "lol%d", i - 1);
        int n = snprintf(line, sizeof line, " <!ENTITY lol%d \"", i);
        for (int k = 0; k < 10; k++)
            n += snprintf(line + n, sizeof line - (size_t)n, "&%s;", prev);
        snprintf(line + n, sizeof line - (size_t)n, "\">\n");
        put(&b, line);
    }
    put(&b, "]>\n" DOC_START "<process id=\"&lol9;\"/>\n</definitions>\n");
    expect_refused(b.data, b.len, NULL, BATON_EPARSE, 2,
                   "DOCTYPE is not allowed");
    free(b.data);
}

/* One 100 KB entity referenced 10,000 times: a gigabyte if expanded. */
static void quadratic_blowup(void **state)
{
    (void)state;
    buf b = { 0 };
    put(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE definitions [<!ENTITY a \"");
    put_n(&b, "aaaaaaaaaa", 10000);
    put(&b, "\">]>\n" DOC_START "<process id=\"p\" name=\"");
    put_n(&b, "&a;", 10000);
    put(&b, "\"/>\n</definitions>\n");
    expect_refused(b.data, b.len, NULL, BATON_EPARSE, 2,
                   "DOCTYPE is not allowed");
    free(b.data);
}

static void external_dtd(void **state)
{
    (void)state;
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE definitions SYSTEM \"file://%s\">\n" DOC_START
             "</definitions>\n",
             secret_path);
    expect_refused(xml, strlen(xml), NULL, BATON_EPARSE, 2,
                   "DOCTYPE is not allowed");

    /* A network DTD: refused before any connection is attempted. */
    const char *net = "<?xml version=\"1.0\"?>\n\n\n"
                      "<!DOCTYPE definitions PUBLIC \"-//Evil//DTD//EN\"\n"
                      "  \"http://127.0.0.1:9/evil.dtd\">\n" DOC_START
                      "</definitions>\n";
    expect_refused(net, strlen(net), NULL, BATON_EPARSE, 4,
                   "DOCTYPE is not allowed");
}

static void parameter_entities(void **state)
{
    (void)state;
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<!DOCTYPE definitions [\n"
             "  <!ENTITY %% remote SYSTEM \"file://%s\">\n"
             "  %%remote;\n"
             "  <!ENTITY %% nested \"<!ENTITY &#x25; x SYSTEM "
             "'http://127.0.0.1:9/?%%remote;'>\">\n"
             "  %%nested;\n"
             "]>\n" DOC_START "</definitions>\n",
             secret_path);
    expect_refused(xml, strlen(xml), NULL, BATON_EPARSE, 1,
                   "DOCTYPE is not allowed");
}

/* XInclude and catalog PIs are inert: nothing is fetched, the elements are
 * just foreign markup the loader skips. */
static void xinclude_and_catalog_inert(void **state)
{
    (void)state;
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<?xml version=\"1.0\"?>\n"
             "<?oasis-xml-catalog catalog=\"file://%s\"?>\n" DOC_START
             "<process id=\"p\" isExecutable=\"true\" "
             "xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n"
             "  <documentation><xi:include href=\"file://%s\" parse=\"text\"/>"
             "</documentation>\n"
             "  <startEvent id=\"s\"><extensionElements>"
             "<xi:include href=\"file:///etc/passwd\" parse=\"text\"/>"
             "</extensionElements></startEvent>\n"
             "</process>\n</definitions>\n",
             secret_path, secret_path);
    saw s;
    baton_model *m;
    assert_int_equal(parse(xml, &s, &m), 0);
    assert_int_equal(m->processes[0].n_elements, 1);
    bt_model_unref(m);
}

/* ------------------------------------------------------------------ */
/* Exhaustion                                                          */
/* ------------------------------------------------------------------ */

static void deep_nesting(void **state)
{
    (void)state;
    buf b = { 0 };
    put(&b, DOC_START);
    put_n(&b, "<a>", 100000);
    put_n(&b, "</a>", 100000);
    put(&b, "</definitions>\n");
    saw s;
    baton_model *m;
    assert_int_equal(parse_lim(b.data, b.len, NULL, &s, &m), BATON_ELIMIT);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.line, 2);
    assert_int_equal(s.column, 1 + 3 * 255);
    assert_string_equal(s.message,
                        "elements nest deeper than the limit of 256");
    free(b.data);

    /* A lower limit, one element per line: the first one too deep. */
    b = (buf){ 0 };
    put(&b, DOC_START);
    put_n(&b, "<a>\n", 100);
    put_n(&b, "</a>", 100);
    put(&b, "</definitions>\n");
    bt_load_limits lim = { 0, 10, 0 };
    expect_refused(b.data, b.len, &lim, BATON_ELIMIT, 11,
                   "elements nest deeper than the limit of 10");

    /* A higher limit than libxml2's own: its limit holds, as ELIMIT. */
    free(b.data);
    b = (buf){ 0 };
    put(&b, DOC_START);
    put_n(&b, "<a>\n", 5000);
    put_n(&b, "</a>", 5000);
    put(&b, "</definitions>\n");
    bt_load_limits high = { 0, 100000, 0 };
    assert_int_equal(parse_lim(b.data, b.len, &high, &s, &m), BATON_ELIMIT);
    assert_int_equal(s.n, 1);
    assert_true(s.line > 200 && s.line < 300);
    free(b.data);
}

static void element_count_cap(void **state)
{
    (void)state;
    buf b = { 0 };
    put(&b, DOC_START "<process id=\"p\" isExecutable=\"false\">\n");
    put_n(&b, "<documentation/>\n", 2000);
    put(&b, "</process>\n</definitions>\n");
    /* definitions (line 1), process (line 2), then documentation number
     * 999 is the 1001st element, on line 2 + 999. */
    bt_load_limits lim = { 0, 0, 1000 };
    expect_refused(b.data, b.len, &lim, BATON_ELIMIT, 1001,
                   "document has more elements than the limit of 1000");
    /* The default limit lets it through. */
    saw s;
    baton_model *m;
    assert_int_equal(parse_lim(b.data, b.len, NULL, &s, &m), 0);
    bt_model_unref(m);

    /* A million and one elements against the default limit. */
    free(b.data);
    b = (buf){ 0 };
    put(&b, DOC_START);
    put_n(&b, "<a/>", 1000000);
    put(&b, "</definitions>\n");
    expect_refused(b.data, b.len, NULL, BATON_ELIMIT, 2,
                   "document has more elements than the limit of 1000000");
    free(b.data);
}

static void document_size_cap(void **state)
{
    (void)state;
    buf b = { 0 };
    put(&b, DOC_START "<documentation>");
    put_n(&b, "x", 2000);
    put(&b, "</documentation></definitions>");
    bt_load_limits lim = { 1024, 0, 0 };
    expect_refused(b.data, b.len, &lim, BATON_ELIMIT, 0,
                   "document exceeds the limit of 1024 bytes");
    free(b.data);

    /* The default limit, 16 MiB, is checked before any parsing. */
    size_t big = ((size_t)16 << 20) + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, '<', big);
    expect_refused(huge, big, NULL, BATON_ELIMIT, 0,
                   "document exceeds the limit of 16777216 bytes");
    free(huge);
}

/* ------------------------------------------------------------------ */
/* Broken bytes                                                        */
/* ------------------------------------------------------------------ */

static void truncated(void **state)
{
    (void)state;
    const char *dir = getenv("BATON_CORPUS");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir,
             "seed/trip-booking-saga-serverless__zeebe__aws__trip-booking."
             "bpmn");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char data[1 << 16];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    assert_true(n > 5000);
    /* Cut anywhere, down to the last '>' (the file ends in ">\n"). */
    size_t cuts[] = { 1, 40, 1000, 2000, n / 2, n - 10, n - 2 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        saw s;
        baton_model *m;
        assert_int_equal(parse_lim(data, cuts[i], NULL, &s, &m),
                         BATON_EPARSE);
        assert_null(m);
        assert_int_equal(s.n, 1);
        assert_true(s.line > 0);
    }
    saw s;
    baton_model *m;
    assert_int_equal(parse_lim(data, n, NULL, &s, &m), 0);
    bt_model_unref(m);
}

static void invalid_utf8(void **state)
{
    (void)state;
    const char *bad[] = {
        DOC_START "<process id=\"caf\xc3\x28\"/>\n</definitions>\n",
        DOC_START "<process id=\"p\" name=\"\xff\xfe\"/>\n</definitions>\n",
        /* An overlong encoding of '/'. */
        DOC_START "<process id=\"\xc0\xaf\"/>\n</definitions>\n",
        /* A UTF-16 surrogate encoded in UTF-8. */
        DOC_START "<process id=\"\xed\xa0\x80\"/>\n</definitions>\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        saw s;
        baton_model *m;
        assert_int_equal(parse(bad[i], &s, &m), BATON_EPARSE);
        assert_int_equal(s.line, 2);
        assert_null(m);
    }
}

static void nul_byte(void **state)
{
    (void)state;
    static const char xml[] = DOC_START "<process id=\"a\0b\"/>\n"
                                        "</definitions>\n";
    saw s;
    baton_model *m;
    assert_int_equal(parse_lim(xml, sizeof xml - 1, NULL, &s, &m),
                     BATON_EPARSE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.line, 2);
    assert_int_equal(s.column, 15);
    assert_string_equal(s.message, "NUL character in document");

    /* Trailing bytes after a NUL would have gone unseen by libxml2. */
    static const char tail[] = DOC_START "</definitions>\n\0<garbage";
    expect_refused(tail, sizeof tail - 1, NULL, BATON_EPARSE, 3,
                   "NUL character in document");
}

static void junk(void **state)
{
    (void)state;
    const char *cases[] = {
        "not xml at all",
        "<",
        "<?xml version=\"1.0\"?>",
        "<?xml version=\"9.9\" encoding=\"no-such-encoding\"?><a/>",
        "<a xmlns:x=\"\"><x:b/></a>",
        "<definitions xmlns=\"" BPMN_NS "\"><![CDATA[x]]></definitions><b/>",
        "\xef\xbb\xbf\xef\xbb\xbf<a/>",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        saw s;
        baton_model *m;
        int rc = parse(cases[i], &s, &m);
        if (rc != BATON_EPARSE || s.n != 1)
            fail_msg("case %zu: rc %d, %d problems", i, rc, s.n);
        assert_null(m);
    }
}

int main(void)
{
    xmlInitParser();
    xmlSetExternalEntityLoader(host_loader);
    char tmpl[] = "/tmp/baton-secret-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return 1;
    if (write(fd, SECRET "\n", sizeof SECRET) != (ssize_t)sizeof SECRET)
        return 1;
    close(fd);
    snprintf(secret_path, sizeof secret_path, "%s", tmpl);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xxe_local_file),
        cmocka_unit_test(xxe_with_dangerous_globals),
        cmocka_unit_test(billion_laughs),
        cmocka_unit_test(quadratic_blowup),
        cmocka_unit_test(external_dtd),
        cmocka_unit_test(parameter_entities),
        cmocka_unit_test(xinclude_and_catalog_inert),
        cmocka_unit_test(deep_nesting),
        cmocka_unit_test(element_count_cap),
        cmocka_unit_test(document_size_cap),
        cmocka_unit_test(truncated),
        cmocka_unit_test(invalid_utf8),
        cmocka_unit_test(nul_byte),
        cmocka_unit_test(junk),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(secret_path);
    return rc;
}
