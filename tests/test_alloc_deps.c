/* Allocation-failure sweep over the dependencies' own allocations: the
 * k-th allocation libxml2 makes while a document loads, and the k-th one
 * jansson makes in a call that reads or writes JSON text, fail, for every
 * k until a call completes without reaching k.
 *
 * The library never sets its dependencies' allocators (that would be
 * process-wide state chosen for the host), so this test, as the host,
 * installs failing ones itself: xmlMemSetup() before libxml2 is first
 * used, json_set_alloc_funcs() before jansson is. The counters are armed
 * only around the calls under test; what libxml2 sets up for itself on
 * first use happens in the unarmed reference run.
 *
 * Documents: every tests/scenarios/ model.bpmn, the trip-booking saga of
 * tests/models and a few tests/corpus files that are refused (malformed
 * XML, wrong root, duplicate ids, refused elements and expressions) or
 * large. Each is loaded with baton_model_load() and checked with
 * baton_model_check() with the k-th libxml2 allocation failing. A call
 * that met the failure must return BATON_ENOMEM, say "out of memory" in
 * the engine's last error and report nothing else; a call that got
 * through must give exactly the reference's result, last error, problems
 * and processes. After every call libxml2's blocks, the engine's and
 * jansson's all balance.
 *
 * JSON surfaces: an instance of the io-mapping scenario's model is
 * played through create with variables, set variables, the variables of
 * the instance, of one variable, its live element instances (with the
 * task's local variables) and of the waiting job, every record as
 * JSON, a snapshot restored, and the job completed with variables. Each
 * surface is swept on its own: the k-th jansson allocation made inside
 * that surface's calls fails. The call that met it must return
 * BATON_ENOMEM with the last error saying so, write no output, and leave
 * the instance's snapshot bytes as they were; the driver makes the same
 * call again, and the play must end with the reference's outputs, records
 * and end snapshot.
 *
 * `meson test alloc_deps` prints the allocation points swept per case. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/encoding.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

#include "baton.h"
#include "scenario_lib.h"

/* ------------------------------------------------------------------ */
/* Failing allocators                                                  */
/* ------------------------------------------------------------------ */

/* One counter per dependency; only the armed one's allocations count. */
typedef struct dep {
    long fail_at; /* the allocation to refuse, from 1; 0: none */
    long counter; /* allocations made while armed */
    int armed;
    int failed;   /* fail_at was reached and refused */
    long live;    /* blocks allocated and not freed, armed or not */
} dep;

static dep xml_dep, json_dep;
static long engine_live;

static int should_fail(dep *d)
{
    if (!d->armed || ++d->counter != d->fail_at)
        return 0;
    d->failed = 1;
    return 1;
}

/* At a point where libxml2 is known to leak (libxml2_bugs below), the
 * blocks it allocates are tracked, so that the test can check which are
 * left and free them (the sanitizers' leak check stays quiet). */
static struct {
    int on;
    void *p[256];
    size_t n;
} tracked;

/* The slot of a tracked block, or -1. */
static long tracked_slot(const void *p)
{
    for (size_t i = 0; tracked.on && p && i < tracked.n; i++)
        if (tracked.p[i] == p)
            return (long)i;
    return -1;
}

/* Block `slot` (-1: a new one) is now at `p`, or is gone (p NULL). */
static void track(long slot, void *p)
{
    if (!tracked.on)
        return;
    if (slot >= 0) {
        tracked.p[slot] = p ? p : tracked.p[--tracked.n];
    } else if (p) {
        assert_true(tracked.n < sizeof tracked.p / sizeof *tracked.p);
        tracked.p[tracked.n++] = p;
    }
}

static void *xml_malloc(size_t n)
{
    if (should_fail(&xml_dep))
        return NULL;
    void *p = malloc(n ? n : 1);
    if (p) {
        xml_dep.live++;
        track(-1, p);
    }
    return p;
}

static void *xml_realloc(void *p, size_t n)
{
    if (should_fail(&xml_dep))
        return NULL;
    int fresh = !p;
    long slot = tracked_slot(p);
    void *q = realloc(p, n ? n : 1);
    if (!q)
        return NULL;
    if (fresh)
        xml_dep.live++;
    if (fresh || slot >= 0)
        track(slot, q);
    return q;
}

static void xml_free(void *p)
{
    if (p) {
        xml_dep.live--;
        long slot = tracked_slot(p);
        if (slot >= 0)
            track(slot, NULL);
    }
    free(p);
}

static char *xml_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xml_malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

static void *json_malloc(size_t n)
{
    if (should_fail(&json_dep))
        return NULL;
    void *p = malloc(n ? n : 1);
    if (p)
        json_dep.live++;
    return p;
}

static void json_free(void *p)
{
    if (p)
        json_dep.live--;
    free(p);
}

/* The engine's own allocator never fails here (test_alloc_fail fails
 * it); it counts, so that a leak on a dependency's failure path shows. */
static void *engine_alloc(void *ud, void *ptr, size_t old_size,
                          size_t new_size)
{
    (void)ud;
    (void)old_size;
    if (new_size == 0) {
        if (ptr)
            engine_live--;
        free(ptr);
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (p && !ptr)
        engine_live++;
    return p;
}

static void arm(dep *d, long k)
{
    d->fail_at = k;
    d->counter = 0;
    d->failed = 0;
}

/* libxml2 keeps a copy of the last error per thread: freed here so that
 * block counts compare across calls. */
static void forget_xml_error(void) { xmlResetLastError(); }

/* What libxml2 could tell no parser context about (it fails before one
 * exists, or in tree and buffer functions that take none) goes to its
 * process-wide handlers, which print to stderr unless the host sets them.
 * The library may not set them; this test, as the host, counts. */
static long xml_global_messages;

static void on_xml_global_error(void *ud, const char *fmt, ...)
{
    (void)ud;
    (void)fmt;
    xml_global_messages++;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    assert_non_null(d);
    return memcpy(d, s, n);
}

/* A growing text, for comparing what calls gave. */
typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void text_add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(k >= 0);
    if (t->n + (size_t)k + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->n + (size_t)k + 1)
            cap *= 2;
        t->s = realloc(t->s, cap);
        assert_non_null(t->s);
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
}

static const char *text_str(const text *t) { return t->s ? t->s : ""; }

static void text_free(text *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------ */
/* Documents under libxml2's failures                                  */
/* ------------------------------------------------------------------ */

typedef struct doc_case {
    char *name; /* as printed */
    char *path;
} doc_case;

/* What a load or a check gave, as text: the status, the last error and
 * the problems, or the processes of a loaded model. */
static void on_problem(void *ud, int code, const char *source, int line,
                       int column, const char *tag, const char *id,
                       const char *message)
{
    text_add(ud, "problem %d %s:%d:%d <%s> '%s' %s\n", code, source, line,
             column, tag, id, message);
}

static void describe_error(text *t, baton_engine *e, int rc)
{
    text_add(t, "rc %d\nerror %d %s:%d:%d '%s' %s\n", rc,
             baton_engine_errcode(e), baton_engine_errsource(e),
             baton_engine_errline(e), baton_engine_errcolumn(e),
             baton_engine_errelement(e), baton_engine_errmsg(e));
}

static void describe_model(text *t, const baton_model *m)
{
    text_add(t, "checksum %llx\n",
             (unsigned long long)baton_model_checksum(m));
    for (size_t i = 0; i < baton_model_process_count(m); i++) {
        text_add(t, "process %s executable %d:", baton_model_process_id(m, i),
                 baton_model_process_executable(m, i));
        for (size_t j = 0; j < baton_model_job_type_count(m, i); j++)
            text_add(t, " %s", baton_model_job_type(m, i, j));
        text_add(t, "\n");
    }
}

enum { DOC_LOAD, DOC_CHECK };

/* The handler xmlFindCharEncodingHandler() made without a name, closed
 * as libxml2 would have with one. */
static void close_nameless_handler(void *block)
{
    xmlCharEncodingHandler *h = block;
    h->name = xml_strdup("leaked");
    xmlCharEncCloseFunc(h);
}

/* Allocation points where libxml2 itself goes wrong, each naming the
 * libxml2 function and applying only to the libxml2 version it was seen
 * with (the k-th allocation is another one elsewhere). A crash is
 * skipped, so that the rest of the sweep runs; a leak is allowed for
 * exactly its blocks, which the test then frees, and the call must still
 * say out of memory. */
static const struct libxml2_bug {
    int version; /* LIBXML_VERSION */
    const char *doc;
    long k;
    long leaks;  /* blocks; 0: it crashes */
    const char *where;
    void (*release)(void *block); /* default xml_free() */
} libxml2_bugs[] = {
    /* xmlParserInputGrow() (parserInternals.c): when the input buffer of
     * a document that is not UTF-8 (here ISO-8859-1) cannot grow, in
     * xmlParserInputBufferGrow() (21) or in the xmlCharEncInput() it
     * calls (22), the buffer keeps the error, xmlBufContent() returns
     * NULL, and the input is pointed at NULL plus its offset; the
     * xmlSkipBlankChars() of xmlParseXMLDecl() (parser.c) reads there. */
    { 20914, "corpus/miwg/Reference/B.1.0.bpmn", 21, 0, "xmlParserInputGrow",
      NULL },
    { 20914, "corpus/miwg/Reference/B.1.0.bpmn", 22, 0, "xmlParserInputGrow",
      NULL },
    /* xmlParserInputBufferCreateMem() (xmlIO.c): when xmlBufAdd() cannot
     * grow the buffer for the copy of a document of 8 kB or more, it
     * frees the input buffer but not the xmlBuf in it (2 blocks). */
    { 20914, "models/trip-booking-saga.bpmn", 12, 2,
      "xmlParserInputBufferCreateMem", NULL },
    { 20914, "corpus/miwg/Reference/B.1.0.bpmn", 12, 2,
      "xmlParserInputBufferCreateMem", NULL },
    { 20914, "corpus/miwg/Reference/C.1.1.bpmn", 12, 2,
      "xmlParserInputBufferCreateMem", NULL },
    /* xmlFindCharEncodingHandler() (encoding.c) does not check the copy
     * of the name of an iconv handler, and xmlCharEncCloseFunc() gives up
     * on a handler without a name: the handler and its two iconv
     * descriptors leak. */
    { 20914, "corpus/bpmn-moddle/error/bad-encoding.bpmn", 19, 1,
      "xmlFindCharEncodingHandler", close_nameless_handler },
};

static const struct libxml2_bug *libxml2_bug(const char *doc, long k)
{
    int version = atoi(xmlParserVersion);
    for (size_t i = 0; i < sizeof libxml2_bugs / sizeof *libxml2_bugs; i++) {
        const struct libxml2_bug *b = &libxml2_bugs[i];
        if (b->version == version && b->k == k && strcmp(b->doc, doc) == 0)
            return b;
    }
    return NULL;
}

/* One load or check with the k-th libxml2 allocation failing (k 0: none).
 * Returns whether the failure was met; `out` gets the description. */
static int doc_call(baton_engine *e, int which, const doc_case *c,
                    const char *xml, size_t len, long k, int *rc_out,
                    text *out)
{
    const struct libxml2_bug *bug = libxml2_bug(c->name, k);
    long allowed = bug ? bug->leaks : 0;
    baton_model *m = NULL;
    text probs = { 0 };
    long xml_before = xml_dep.live, engine_before = engine_live,
         json_before = json_dep.live;
    arm(&xml_dep, k);
    tracked.on = allowed > 0;
    tracked.n = 0;
    xml_dep.armed = 1;
    int rc = which == DOC_LOAD
                 ? baton_model_load(e, xml, len, c->name, &m)
                 : baton_model_check(e, xml, len, c->name, on_problem,
                                     &probs);
    xml_dep.armed = 0;
    forget_xml_error();
    tracked.on = 0;
    if (allowed && (long)tracked.n == allowed &&
        xml_dep.live == xml_before + allowed) {
        /* Exactly libxml2's own leak: the test cleans up after it. */
        for (size_t i = 0; i < tracked.n; i++)
            (bug->release ? bug->release : xml_free)(tracked.p[i]);
        allowed = 0;
    }
    describe_error(out, e, rc);
    text_add(out, "%s", text_str(&probs));
    if (m)
        describe_model(out, m);
    if (rc && m)
        fail_msg("%s: allocation %ld: a model with status %d", c->name, k,
                 rc);
    baton_model_free(m);
    text_free(&probs);
    /* Shows as a difference from the reference, which leaks nothing. */
    if (xml_dep.live != xml_before + allowed ||
        engine_live != engine_before || json_dep.live != json_before)
        text_add(out, "leaked: libxml2 %ld, engine %ld, jansson %ld blocks\n",
                 xml_dep.live - xml_before, engine_live - engine_before,
                 json_dep.live - json_before);
    *rc_out = rc;
    return xml_dep.failed;
}

static void test_document(void **state)
{
    const doc_case *c = *state;
    clock_t t0 = clock();
    size_t len;
    char *xml = sc_read_file(c->path, &len);
    baton_engine *e = NULL;
    assert_int_equal(baton_engine_new(engine_alloc, NULL, &e), 0);

    /* The references; libxml2's first use sets up its globals here. */
    long global_before = xml_global_messages;
    text ref[2] = { { 0 }, { 0 } };
    int ref_rc[2];
    for (int w = DOC_LOAD; w <= DOC_CHECK; w++) {
        assert_false(doc_call(e, w, c, xml, len, 0, &ref_rc[w], &ref[w]));
        if (strstr(text_str(&ref[w]), "leaked: "))
            fail_msg("%s: the reference leaks:\n%s", c->name,
                     text_str(&ref[w]));
    }

    long k, absorbed = 0, bad = 0, skipped = 0, tolerated = 0;
    for (k = 1;; k++) {
        int reached = 0;
        const struct libxml2_bug *bug = libxml2_bug(c->name, k);
        if (bug && !bug->leaks) {
            skipped++;
            continue;
        }
        if (bug)
            tolerated++;
        for (int w = DOC_LOAD; w <= DOC_CHECK; w++) {
            text got = { 0 };
            int rc;
            int failed = doc_call(e, w, c, xml, len, k, &rc, &got);
            reached |= failed;
            const char *why = NULL;
            if (failed && rc == BATON_ENOMEM) {
                /* Out of memory, and nothing else. */
                text want = { 0 };
                text_add(&want, "rc %d\nerror %d %s:0:0 '' out of memory\n",
                         BATON_ENOMEM, BATON_ENOMEM, c->name);
                if (w == DOC_CHECK)
                    text_add(&want, "problem %d %s:0:0 <> '' out of memory\n",
                             BATON_ENOMEM, c->name);
                if (strcmp(text_str(&got), text_str(&want)))
                    why = "out of memory, but not only";
                text_free(&want);
            } else if (strcmp(text_str(&got), text_str(&ref[w]))) {
                why = failed ? "the failure gave another result"
                             : "a run without failure differs";
            } else if (failed) {
                absorbed++; /* libxml2 got through it */
            }
            if (why) {
                if (bad++ < 20)
                    print_message("%s: %s, libxml2 allocation %ld: %s:\n%s"
                                  "reference:\n%s",
                                  c->name,
                                  w == DOC_LOAD ? "load" : "check", k, why,
                                  text_str(&got), text_str(&ref[w]));
            }
            text_free(&got);
        }
        if (!reached)
            break; /* k is past the last allocation */
    }
    long points = k - 1;
    print_message("%-60s %6ld libxml2 allocation points, %.2f s", c->name,
                  points, (double)(clock() - t0) / CLOCKS_PER_SEC);
    if (absorbed)
        print_message(", %ld absorbed", absorbed);
    if (skipped)
        print_message(", %ld skipped (libxml2 crashes)", skipped);
    if (tolerated)
        print_message(", %ld with libxml2's own leak", tolerated);
    if (xml_global_messages != global_before)
        print_message(", %ld to libxml2's global handler",
                      xml_global_messages - global_before);
    print_message("\n");
    baton_engine_free(e);
    assert_int_equal(engine_live, 0);
    text_free(&ref[0]);
    text_free(&ref[1]);
    free(xml);
    if (bad)
        fail_msg("%s: %ld of %ld allocation points went wrong", c->name, bad,
                 points);
    /* A document that loads without allocating: libxml2 is not hooked. */
    assert_true(points > 10);
}

/* ------------------------------------------------------------------ */
/* The JSON surfaces under jansson's failures                          */
/* ------------------------------------------------------------------ */

enum surface {
    S_NONE = -1,
    S_CREATE,
    S_SET_VARS,
    S_INSTANCE_VARS,
    S_GET_VAR,
    S_JOB_VARS,
    S_RECORD,
    S_RESTORE,
    S_COMPLETE,
    S_ELEMENTS,
    N_SURFACES
};

static const char *const surface_names[] = {
    "baton_instance_create",     "baton_instance_set_variables",
    "baton_instance_variables",  "baton_instance_get_variable",
    "baton_job_variables",       "baton_record_to_json",
    "baton_instance_restore",    "baton_instance_complete_job",
    "baton_instance_elements",
};

static const char CREATE_VARS[] =
    "{\"order\": {\"id\": \"A-1\", \"amount\": 250, \"lines\": [{\"sku\": "
    "\"x-1\", \"qty\": 2, \"price\": 12.5}, {\"sku\": \"y-\\u00e9\", "
    "\"qty\": 1, \"price\": 3}], \"paid\": false}, \"customer\": {\"name\": "
    "\"Zo\\u00eb\", \"tags\": [\"vip\", \"eu\", null, true, -7, 1e3]}, "
    "\"note\": null, \"long\": \"" /* past the parser's 256-byte buffer */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "\"}";
static const char SET_VARS[] =
    "{\"note\": \"rush\", \"priority\": [1, 2, {\"level\": \"high\"}], "
    "\"customer\": {\"name\": \"Zo\\u00eb\", \"since\": 2019}}";
static const char JOB_RESULT[] =
    "{\"price\": 99.5, \"scratch\": 1, \"quote\": {\"currency\": \"EUR\", "
    "\"valid\": [\"2024-01-01\", \"2024-12-31\"]}}";

typedef struct play {
    enum surface swept;
    baton_engine *e;
    baton_instance *in;
    text outputs; /* what the JSON calls gave, in order */
    text records; /* every record as JSON */
    long absorbed; /* failures a call got through, same outcome */
} play;

static void snap(baton_instance *in, void **p, size_t *n)
{
    int was = json_dep.armed;
    json_dep.armed = 0;
    assert_int_equal(baton_instance_snapshot(in, p, n), 0);
    json_dep.armed = was;
}

/* Around one call of surface `s`: armed when it is the swept surface. */
typedef struct guard {
    play *p;
    enum surface s;
    void *before;
    size_t before_n;
    uint64_t revision;
    int was_failed;
} guard;

static void guard_enter(guard *g, play *p, enum surface s)
{
    memset(g, 0, sizeof *g);
    g->p = p;
    g->s = s;
    if (p->swept != s)
        return;
    if (p->in) {
        snap(p->in, &g->before, &g->before_n);
        g->revision = baton_instance_revision(p->in);
    }
    g->was_failed = json_dep.failed;
    json_dep.armed = 1;
}

/* Returns 1 when the call met the failure and must be made again. */
static int guard_leave(guard *g, int rc, const void *out)
{
    play *p = g->p;
    int again = 0;
    if (p->swept != g->s)
        return 0;
    json_dep.armed = 0;
    if (json_dep.failed && !g->was_failed) {
        if (rc >= 0) {
            p->absorbed++;
        } else {
            again = 1;
            if (rc != BATON_ENOMEM)
                fail_msg("%s: jansson allocation %ld: returned %d (%s)",
                         surface_names[g->s], json_dep.fail_at, rc,
                         baton_engine_errmsg(p->e));
            if (baton_engine_errcode(p->e) != BATON_ENOMEM ||
                !strstr(baton_engine_errmsg(p->e), "out of memory"))
                fail_msg("%s: jansson allocation %ld: last error %d '%s'",
                         surface_names[g->s], json_dep.fail_at,
                         baton_engine_errcode(p->e),
                         baton_engine_errmsg(p->e));
            if (out)
                fail_msg("%s: jansson allocation %ld: an output despite "
                         "BATON_ENOMEM",
                         surface_names[g->s], json_dep.fail_at);
            if (p->in) {
                void *after;
                size_t after_n;
                snap(p->in, &after, &after_n);
                if (baton_instance_revision(p->in) != g->revision ||
                    after_n != g->before_n ||
                    memcmp(after, g->before, after_n))
                    fail_msg("%s: jansson allocation %ld: the instance "
                             "changed (revision %llu, was %llu)",
                             surface_names[g->s], json_dep.fail_at,
                             (unsigned long long)baton_instance_revision(
                                 p->in),
                             (unsigned long long)g->revision);
                baton_free(after);
            }
        }
    }
    baton_free(g->before);
    g->before = NULL;
    return again;
}

static void on_record(void *ud, baton_instance *in, const baton_record *rec)
{
    play *p = ud;
    (void)in;
    char *json;
    size_t n;
    guard g;
    int rc;
    /* Records are delivered inside other calls (set variables, run...):
     * only the swept surface's own calls count. */
    int was_armed = json_dep.armed;
    json_dep.armed = 0;
    /* A record changes nothing: no snapshots around it, inside a step. */
    baton_instance *keep = p->in;
    p->in = NULL;
    do {
        json = NULL;
        guard_enter(&g, p, S_RECORD);
        rc = baton_record_to_json(rec, &json, &n);
    } while (guard_leave(&g, rc, rc ? json : NULL));
    p->in = keep;
    json_dep.armed = was_armed;
    assert_int_equal(rc, 0);
    text_add(&p->records, "%s\n", json);
    baton_free(json);
}

/* Text a call handed over, kept for comparing with the reference. */
static void keep_output(play *p, const char *what, char *s, size_t n)
{
    assert_int_equal(strlen(s), n);
    text_add(&p->outputs, "%s: %s\n", what, s);
    baton_free(s);
}

#define SWEPT_CALL(p, s, rc, out, call)                                      \
    do {                                                                     \
        guard g_;                                                            \
        do {                                                                 \
            (out) = NULL;                                                    \
            guard_enter(&g_, (p), (s));                                      \
            (rc) = (call);                                                   \
        } while (guard_leave(&g_, (rc), (rc) ? (const void *)(out) : NULL)); \
    } while (0)

static void play_run(play *p)
{
    int rc = baton_instance_run(p->in, 0);
    assert_true(rc == BATON_STEP_WAITING || rc == BATON_STEP_ENDED);
}

static void play_variables(play *p, const char *when)
{
    char *s;
    size_t n;
    int rc;
    char what[64];
    SWEPT_CALL(p, S_INSTANCE_VARS, rc, s, baton_instance_variables(p->in, &s, &n));
    assert_int_equal(rc, 0);
    snprintf(what, sizeof what, "variables %s", when);
    keep_output(p, what, s, n);
    SWEPT_CALL(p, S_GET_VAR, rc, s,
               baton_instance_get_variable(p->in, "order", &s, &n));
    assert_int_equal(rc, 0);
    snprintf(what, sizeof what, "order %s", when);
    keep_output(p, what, s, n);
    SWEPT_CALL(p, S_ELEMENTS, rc, s, baton_instance_elements(p->in, &s, &n));
    assert_int_equal(rc, 0);
    snprintf(what, sizeof what, "elements %s", when);
    keep_output(p, what, s, n);
}

/* Plays the io-mapping model once, sweeping p->swept. */
static void play_instance(play *p, const char *xml, size_t len)
{
    baton_model *m = NULL;
    int rc;
    char *s;
    size_t n;
    assert_int_equal(baton_engine_new(engine_alloc, NULL, &p->e), 0);
    baton_engine_set_record_sink(p->e, on_record, p);
    assert_int_equal(baton_model_load(p->e, xml, len, "io-mapping", &m), 0);
    assert_int_equal(baton_engine_deploy(p->e, m, NULL, NULL), 0);
    baton_model_free(m);

    baton_instance *in;
    SWEPT_CALL(p, S_CREATE, rc, in,
               baton_instance_create(p->e, NULL, CREATE_VARS, BATON_NUL,
                                     &in));
    assert_int_equal(rc, 0);
    p->in = in;
    SWEPT_CALL(p, S_SET_VARS, rc, s,
               (s = NULL, baton_instance_set_variables(p->in, SET_VARS,
                                                       BATON_NUL)));
    assert_int_equal(rc, 0);
    play_variables(p, "at creation");
    play_run(p);
    assert_int_equal(baton_instance_state(p->in), BATON_INSTANCE_WAITING);
    play_variables(p, "waiting");

    assert_int_equal(baton_instance_job_count(p->in), 1);
    baton_job *job = baton_instance_job(p->in, 0);
    uint64_t key = baton_job_key(job);
    SWEPT_CALL(p, S_JOB_VARS, rc, s, baton_job_variables(job, &s, &n));
    assert_int_equal(rc, 0);
    keep_output(p, "job variables", s, n);

    void *data;
    size_t size;
    snap(p->in, &data, &size);
    baton_instance *back;
    SWEPT_CALL(p, S_RESTORE, rc, back,
               baton_instance_restore(p->e, data, size, &back));
    assert_int_equal(rc, 0);
    void *again;
    size_t again_n;
    snap(back, &again, &again_n);
    assert_int_equal(again_n, size);
    assert_memory_equal(again, data, size);
    baton_free(again);
    baton_free(data);
    baton_instance_free(p->in);
    p->in = back;

    SWEPT_CALL(p, S_COMPLETE, rc, s,
               (s = NULL, baton_instance_complete_job(p->in, key, JOB_RESULT,
                                                      BATON_NUL)));
    assert_int_equal(rc, 0);
    play_run(p);
    assert_int_equal(baton_instance_state(p->in), BATON_INSTANCE_COMPLETED);
    play_variables(p, "at the end");
}

static void play_end(play *p, void **end, size_t *end_n)
{
    snap(p->in, end, end_n);
    baton_instance_free(p->in);
    baton_engine_free(p->e);
    p->in = NULL;
    p->e = NULL;
}

static void test_surface(void **state)
{
    enum surface s = (enum surface)(intptr_t)*state;
    const char *dir = getenv("BATON_SCENARIOS");
    char path[4096];
    snprintf(path, sizeof path, "%s/mappings/io-mapping/model.bpmn",
             dir ? dir : "tests/scenarios");
    size_t len;
    char *xml = sc_read_file(path, &len);
    clock_t t0 = clock();
    long json_base = json_dep.live;

    play ref = { .swept = S_NONE };
    arm(&json_dep, 0);
    play_instance(&ref, xml, len);
    void *ref_end;
    size_t ref_end_n;
    play_end(&ref, &ref_end, &ref_end_n);
    long engine_base = engine_live; /* ref_end */

    long k, absorbed = 0;
    for (k = 1;; k++) {
        play p = { .swept = s };
        arm(&json_dep, k);
        play_instance(&p, xml, len);
        void *end;
        size_t end_n;
        play_end(&p, &end, &end_n);
        int reached = json_dep.failed;
        arm(&json_dep, 0);
        if (strcmp(text_str(&p.outputs), text_str(&ref.outputs)))
            fail_msg("%s: jansson allocation %ld: the outputs are\n%s\nwant"
                     "\n%s",
                     surface_names[s], k, text_str(&p.outputs),
                     text_str(&ref.outputs));
        if (strcmp(text_str(&p.records), text_str(&ref.records)))
            fail_msg("%s: jansson allocation %ld: the records are\n%s\nwant"
                     "\n%s",
                     surface_names[s], k, text_str(&p.records),
                     text_str(&ref.records));
        if (end_n != ref_end_n || memcmp(end, ref_end, end_n))
            fail_msg("%s: jansson allocation %ld: the end snapshot differs",
                     surface_names[s], k);
        baton_free(end);
        text_free(&p.outputs);
        text_free(&p.records);
        absorbed += p.absorbed;
        if (engine_live != engine_base || json_dep.live != json_base)
            fail_msg("%s: jansson allocation %ld: blocks leaked: engine "
                     "%ld, jansson %ld",
                     surface_names[s], k, engine_live - engine_base,
                     json_dep.live - json_base);
        if (!reached)
            break;
    }
    long points = k - 1;
    print_message("%-60s %6ld jansson allocation points, %.2f s",
                  surface_names[s], points,
                  (double)(clock() - t0) / CLOCKS_PER_SEC);
    if (absorbed)
        print_message(", %ld absorbed", absorbed);
    print_message("\n");
    baton_free(ref_end);
    text_free(&ref.outputs);
    text_free(&ref.records);
    free(xml);
    /* Every surface builds or reads jansson values. */
    assert_true(points > 0);
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */
/* ------------------------------------------------------------------ */

/* Refused or large documents of tests/corpus, beside every scenario's. */
static const char *const corpus_docs[] = {
    "bpmn-moddle/error/invalid-attributes.bpmn",  /* malformed XML */
    "bpmn-moddle/error/xmlns-redeclaration.bpmn", /* malformed XML */
    "bpmn-moddle/error/not-bpmn.bpmn",            /* wrong root */
    "bpmn-moddle/error/duplicate-ids.bpmn",
    "bpmn-elements/call-activity.bpmn",           /* refused element */
    "bpmn-elements/timer-event.bpmn",             /* refused events */
    "bpmn-elements/issue-31.bpmn",                /* refused expressions */
    "bpmn-engine/issue-19.bpmn",                  /* loads */
    "camunda7/examples/invoicePayment.bpmn",      /* Camunda 7 dialect */
    "zeebe/bpmn-model/ModelWalkerTest.bpmn",      /* FEEL problems */
    "bpmn-moddle/error/bad-encoding.bpmn",        /* windows-1252 */
    "miwg/Reference/C.1.1.bpmn",                  /* 41 kB, FEEL problems */
    "miwg/Reference/B.1.0.bpmn",                  /* 48 kB, ISO-8859-1 */
};

typedef struct case_list {
    doc_case *docs;
    size_t n, cap;
} case_list;

static void add_doc(case_list *l, const char *name, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->docs = realloc(l->docs, l->cap * sizeof *l->docs);
        assert_non_null(l->docs);
    }
    l->docs[l->n].name = xstrdup(name);
    l->docs[l->n].path = xstrdup(path);
    l->n++;
}

/* Every model.bpmn under `dir`, named by its path below `root`. */
static int find_models(case_list *l, const char *dir, size_t root_len)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st))
            continue;
        if (S_ISDIR(st.st_mode))
            rc = find_models(l, path, root_len);
        else if (strcmp(de->d_name, "model.bpmn") == 0)
            add_doc(l, path + root_len, path);
    }
    closedir(d);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const doc_case *)a)->name, ((const doc_case *)b)->name);
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v ? v : fallback;
}

int main(void)
{
    /* Before any use of either library. */
    if (xmlMemSetup(xml_free, xml_malloc, xml_realloc, xml_strdup) != 0) {
        fprintf(stderr, "xmlMemSetup failed\n");
        return 1;
    }
    json_set_alloc_funcs(json_malloc, json_free);
    xmlSetGenericErrorFunc(NULL, on_xml_global_error);
    /* libxml2 sets up its process-wide state (dictionary mutex, character
     * handlers, ...) on first use, and keeps it: done here, before the
     * blocks are counted. */
    baton_engine *warm = NULL;
    if (baton_engine_new(engine_alloc, NULL, &warm) ||
        baton_model_check(warm, "<definitions/>", BATON_NUL, NULL, NULL,
                          NULL) != BATON_EMODEL) {
        fprintf(stderr, "cannot warm libxml2 up\n");
        return 1;
    }
    baton_engine_free(warm);
    forget_xml_error();

    const char *scenarios = env_or("BATON_SCENARIOS", "tests/scenarios");
    const char *models = env_or("BATON_MODELS", "tests/models");
    const char *corpus = env_or("BATON_CORPUS", "tests/corpus");
    case_list l = { 0 };
    char root[4096];
    snprintf(root, sizeof root, "%s", scenarios);
    if (find_models(&l, root, strlen(root) + 1))
        return 1;
    if (l.n == 0) {
        fprintf(stderr, "no model.bpmn under %s\n", scenarios);
        return 1;
    }
    for (size_t i = 0; i < l.n; i++) {
        /* "saga/x/model.bpmn" -> "scenarios/saga/x" */
        char name[4096];
        size_t n = strlen(l.docs[i].name) - strlen("/model.bpmn");
        snprintf(name, sizeof name, "scenarios/%.*s", (int)n, l.docs[i].name);
        free(l.docs[i].name);
        l.docs[i].name = xstrdup(name);
    }
    qsort(l.docs, l.n, sizeof *l.docs, by_name);
    char path[4096], name[4096];
    snprintf(path, sizeof path, "%s/trip-booking-saga.bpmn", models);
    add_doc(&l, "models/trip-booking-saga.bpmn", path);
    for (size_t i = 0; i < sizeof corpus_docs / sizeof *corpus_docs; i++) {
        snprintf(path, sizeof path, "%s/%s", corpus, corpus_docs[i]);
        snprintf(name, sizeof name, "corpus/%s", corpus_docs[i]);
        add_doc(&l, name, path);
    }

    size_t n = l.n + N_SURFACES;
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    if (!tests)
        return 1;
    for (size_t i = 0; i < l.n; i++)
        tests[i] = (struct CMUnitTest){ l.docs[i].name, test_document, NULL,
                                        NULL, &l.docs[i] };
    for (int s = 0; s < N_SURFACES; s++)
        tests[l.n + (size_t)s] =
            (struct CMUnitTest){ surface_names[s], test_surface, NULL, NULL,
                                 (void *)(intptr_t)s };
    /* ALLOC_DEPS_ONLY=pattern runs the cases whose name matches. */
    const char *only = getenv("ALLOC_DEPS_ONLY");
    if (only)
        cmocka_set_test_filter(only);
    int rc = _cmocka_run_group_tests("alloc_deps", tests, n, NULL, NULL);
    free(tests);
    for (size_t i = 0; i < l.n; i++) {
        free(l.docs[i].name);
        free(l.docs[i].path);
    }
    free(l.docs);
    xmlCleanupParser();
    return rc;
}
