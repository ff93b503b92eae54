#define _POSIX_C_SOURCE 200809L
/* Snapshots of format 4 (the layout is documented at the top of
 * lib/kernel/snapshot.c), through the public API:
 *
 *  - a snapshot round-trips byte for byte (snapshot, restore, snapshot)
 *    at every stop: before each step (baton_instance_step) and each host
 *    command, on six paths (the saga happy, compensating, with
 *    incidents; a parallel join; a join inside a subprocess), on a
 *    path that waits on timers, a backoff, messages, signals and a
 *    condition, and through parallel and sequential multi-instance
 *    activities;
 *  - a restored instance finishes with the same records (value type,
 *    intent, element id, key) as the original going on, from every stop;
 *  - restore checks structure, not only the checksum: snapshots forged
 *    from real ones, each with a valid checksum and total size, are
 *    refused whole with BATON_ESNAPSHOT and the message that names what
 *    is wrong.
 *
 * The test reads and writes the format itself (sections, fields, the
 * FNV-1a 64 checksum) so that it can forge exactly one defect at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton.h"

/* ------------------------------------------------------------------ */
/* The format                                                          */
/* ------------------------------------------------------------------ */

#define TAG(a, b, c, d)                                                       \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |              \
     (uint32_t)(d) << 24)
#define HEAD TAG('H', 'E', 'A', 'D')
#define ELEM TAG('E', 'L', 'E', 'M')
#define JOBS TAG('J', 'O', 'B', 'S')
#define INCI TAG('I', 'N', 'C', 'I')
#define QUEU TAG('Q', 'U', 'E', 'U')
#define JOIN TAG('J', 'O', 'I', 'N')
#define COMP TAG('C', 'O', 'M', 'P')
#define SUBS TAG('S', 'U', 'B', 'S')
#define BACK TAG('B', 'A', 'C', 'K')
#define LOOP TAG('L', 'O', 'O', 'P')
#define CALL TAG('C', 'A', 'L', 'L')
#define NO_STR 0xffffffffu

static const uint32_t section_order[] = { HEAD, CALL, ELEM, JOBS, INCI,
                                          QUEU, JOIN, COMP, SUBS, BACK,
                                          LOOP };
#define N_SECTIONS (sizeof section_order / sizeof *section_order)

/* Field offsets inside one entry of a table. */
enum { EI_KEY = 0, EI_SCOPE = 8, EI_ELEMENT = 16, EI_STATE = 20, EI_JOB = 24,
       EI_VARS = 56 };
enum { JOB_KEY = 0, JOB_EI = 8, JOB_ELEMENT = 16, JOB_RETRIES = 20,
       JOB_STATE = 24, JOB_TYPE = 28 };
enum { CMD_KIND = 0, CMD_ELEMENT = 4, CMD_KEY = 8, CMD_SCOPE = 16,
       CMD_SIZE = 24 };
enum { INC_KEY = 0, INC_TYPE = 8, INC_ELEMENT = 12, INC_EI = 16,
       INC_JOB = 24, INC_MESSAGE = 32 };
enum { MARK_SCOPE = 0, MARK_FLOW = 8, MARK_SIZE = 12 };
enum { COMP_KEY = 0, COMP_SCOPE = 8, COMP_ELEMENT = 16, COMP_SUB = 20,
       COMP_PI = 28, COMP_VARS = 36, COMP_SIZE = 40 /* without variables */ };
enum { SUB_KEY = 0, SUB_KIND = 8, SUB_STATE = 12, SUB_ELEMENT = 16,
       SUB_OWNER = 20, SUB_DUE = 28, SUB_FIRED = 36, SUB_REPEAT = 40,
       SUB_NAME = 44 }; /* then str corr, str payload, u64 source */
enum { BACK_JOB = 0, BACK_DUE = 8, BACK_SIZE = 16 };
enum { LOOP_KEY = 0, LOOP_INDEX = 8, LOOP_TOTAL = 12, LOOP_NEXT = 16,
       LOOP_DONE = 20, LOOP_ENDED = 24, LOOP_ITEMS = 28 };
/* The subscription states and kinds, and the job state of a backoff. */
enum { S_OPEN = 0, S_TRIGGERED = 1, S_PENDING = 2 };
enum { K_TIMER = 0, K_MESSAGE = 1, K_SIGNAL = 2, K_CONDITION = 3 };
enum { JOB_BACKOFF = 3 };
/* HEAD: str process-id, then these, counted from the end of the id. */
enum { H_VERSION = 0, H_CHECKSUM = 4, H_REVISION = 12, H_KEY = 20,
       H_NEXT_KEY = 28, H_POSITION = 36, H_ENDED = 44, H_SIZE = 48 };

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint32_t g32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t g64(const unsigned char *p)
{
    return (uint64_t)g32(p) | (uint64_t)g32(p + 4) << 32;
}

static void s32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void s64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

typedef struct section {
    uint32_t tag;
    size_t len;
    unsigned char *body;
} section;

/* A snapshot taken apart: its 16-byte header, its sections in order, and
 * whatever lies between the last section and the checksum (nothing, in
 * what the library writes). */
typedef struct snap {
    unsigned char head[16];
    section sec[16];
    size_t n;
    unsigned char *tail;
    size_t n_tail;
} snap;

static snap parse(const unsigned char *p, size_t size)
{
    snap s;
    memset(&s, 0, sizeof s);
    assert_true(size >= 24);
    assert_memory_equal(p, "BATN", 4);
    assert_int_equal(g32(p + 4), 6);
    assert_int_equal(g64(p + 8), size);
    assert_int_equal(g64(p + size - 8), fnv1a64(p, size - 8));
    memcpy(s.head, p, 16);
    size_t off = 16;
    while (off < size - 8) {
        assert_true(s.n < N_SECTIONS);
        assert_true(size - 8 - off >= 8);
        section *x = &s.sec[s.n];
        x->tag = g32(p + off);
        x->len = g32(p + off + 4);
        assert_int_equal(x->tag, section_order[s.n]);
        assert_true(x->len <= size - 8 - off - 8);
        x->body = malloc(x->len + 1);
        assert_non_null(x->body);
        memcpy(x->body, p + off + 8, x->len);
        off += 8 + x->len;
        s.n++;
    }
    assert_int_equal(s.n, N_SECTIONS);
    assert_int_equal(off, size - 8);
    return s;
}

static snap copy(const snap *from)
{
    snap s = *from;
    for (size_t i = 0; i < s.n; i++) {
        s.sec[i].body = malloc(s.sec[i].len + 1);
        assert_non_null(s.sec[i].body);
        memcpy(s.sec[i].body, from->sec[i].body, s.sec[i].len);
    }
    s.tail = NULL;
    if (from->n_tail) {
        s.tail = malloc(from->n_tail);
        assert_non_null(s.tail);
        memcpy(s.tail, from->tail, from->n_tail);
    }
    return s;
}

static void snap_free(snap *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->sec[i].body);
    free(s->tail);
    memset(s, 0, sizeof *s);
}

/* The bytes of `s`, with the total size and the checksum made right. */
static unsigned char *build(const snap *s, size_t *size)
{
    size_t n = 16 + s->n_tail + 8;
    for (size_t i = 0; i < s->n; i++)
        n += 8 + s->sec[i].len;
    unsigned char *p = malloc(n), *w = p;
    assert_non_null(p);
    memcpy(w, s->head, 16);
    s64(w + 8, n);
    w += 16;
    for (size_t i = 0; i < s->n; i++) {
        s32(w, s->sec[i].tag);
        s32(w + 4, (uint32_t)s->sec[i].len);
        memcpy(w + 8, s->sec[i].body, s->sec[i].len);
        w += 8 + s->sec[i].len;
    }
    if (s->n_tail)
        memcpy(w, s->tail, s->n_tail);
    w += s->n_tail;
    s64(w, fnv1a64(p, n - 8));
    *size = n;
    return p;
}

static section *sec(snap *s, uint32_t tag)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->sec[i].tag == tag)
            return &s->sec[i];
    fail_msg("no section %.4s", (const char *)&tag);
    return NULL;
}

/* Replaces `remove` bytes at `at` of a section's body with `n` bytes. */
static void splice(section *x, size_t at, size_t remove, const void *ins,
                   size_t n)
{
    assert_true(at + remove <= x->len);
    unsigned char *b = malloc(x->len - remove + n + 1);
    assert_non_null(b);
    memcpy(b, x->body, at);
    if (n)
        memcpy(b + at, ins, n);
    memcpy(b + at + n, x->body + at + remove, x->len - at - remove);
    free(x->body);
    x->body = b;
    x->len = x->len - remove + n;
}

static void remove_section(snap *s, size_t i)
{
    free(s->sec[i].body);
    memmove(&s->sec[i], &s->sec[i + 1], (s->n - i - 1) * sizeof *s->sec);
    s->n--;
}

static uint64_t bytes_of(uint64_t identity);

/* The header's model named as formats 1 to 5 name it: by its bytes. */
static void named_by_bytes(snap *s)
{
    section *h = sec(s, HEAD);
    unsigned char *sum = h->body + 4 + g32(h->body) + H_CHECKSUM;
    s64(sum, bytes_of(g64(sum)));
}

/* The same instance in format 4, for one without called processes and
 * loops compensated: no CALL section, and compensation entries without
 * their process instance and variables. */
static void as_format4(snap *s)
{
    assert_int_equal(g32(sec(s, CALL)->body), 0);
    remove_section(s, 1);
    section *c = sec(s, COMP);
    uint32_t n = g32(c->body);
    for (uint32_t i = n; i > 0; i--) {
        size_t at = 4 + (size_t)(i - 1) * COMP_SIZE;
        assert_int_equal(g32(c->body + at + COMP_VARS), NO_STR);
        splice(c, at + COMP_PI, COMP_SIZE - COMP_PI, NULL, 0);
    }
    s32(s->head + 4, 4);
    named_by_bytes(s);
}

static void expect_restores(baton_engine *e, const snap *s, int line);

static size_t str_end(const section *x, size_t off)
{
    uint32_t n = g32(x->body + off);
    return off + 4 + (n == NO_STR ? 0 : n);
}

static uint32_t count(snap *s, uint32_t tag)
{
    return g32(sec(s, tag)->body);
}

/* Offset of the i-th entry of a table whose entries end in strings. */
static size_t elem_at(snap *s, uint32_t i)
{
    section *x = sec(s, ELEM);
    assert_true(i < g32(x->body));
    size_t off = 4;
    for (uint32_t k = 0; k < i; k++)
        off = str_end(x, off + EI_VARS);
    return off;
}

static size_t job_at(snap *s, uint32_t i)
{
    section *x = sec(s, JOBS);
    assert_true(i < g32(x->body));
    size_t off = 4;
    for (uint32_t k = 0; k < i; k++)
        off = str_end(x, str_end(x, off + JOB_TYPE));
    return off;
}

static size_t inc_at(snap *s, uint32_t i)
{
    section *x = sec(s, INCI);
    assert_true(i < g32(x->body));
    size_t off = 4;
    for (uint32_t k = 0; k < i; k++)
        off = str_end(x, off + INC_MESSAGE) + CMD_SIZE;
    return off;
}

static size_t sub_at(snap *s, uint32_t i)
{
    section *x = sec(s, SUBS);
    assert_true(i < g32(x->body));
    size_t off = 4;
    for (uint32_t k = 0; k < i; k++)
        off = str_end(x, str_end(x, str_end(x, off + SUB_NAME))) + 8;
    return off;
}

/* Offsets of a subscription's corr, payload and source. */
static size_t sub_corr(snap *s, uint32_t i)
{
    return str_end(sec(s, SUBS), sub_at(s, i) + SUB_NAME);
}

static size_t sub_payload(snap *s, uint32_t i)
{
    return str_end(sec(s, SUBS), sub_corr(s, i));
}

static size_t sub_source(snap *s, uint32_t i)
{
    return str_end(sec(s, SUBS), sub_payload(s, i));
}

/* Where multi-instance entry `i` starts. */
static size_t loop_at(snap *s, uint32_t i)
{
    size_t off = 4;
    for (uint32_t k = 0; k < i; k++)
        off = str_end(sec(s, LOOP), off + LOOP_ITEMS);
    return off;
}

static unsigned char *field(snap *s, uint32_t tag, size_t off)
{
    return sec(s, tag)->body + off;
}

static size_t head_field(snap *s, size_t which)
{
    return str_end(sec(s, HEAD), 0) + which;
}

/* Every table walks to exactly the end of its section: the layout read
 * here is the layout written. */
static void check_layout(snap *s)
{
    uint32_t n = count(s, ELEM);
    assert_true(n >= 1);
    assert_int_equal(str_end(sec(s, ELEM), elem_at(s, n - 1) + EI_VARS),
                     sec(s, ELEM)->len);
    n = count(s, JOBS);
    assert_int_equal(n ? str_end(sec(s, JOBS),
                                 str_end(sec(s, JOBS),
                                         job_at(s, n - 1) + JOB_TYPE))
                       : 4,
                     sec(s, JOBS)->len);
    n = count(s, INCI);
    assert_int_equal(n ? str_end(sec(s, INCI),
                                 inc_at(s, n - 1) + INC_MESSAGE) +
                             CMD_SIZE
                       : 4,
                     sec(s, INCI)->len);
    assert_int_equal(4 + count(s, QUEU) * CMD_SIZE, sec(s, QUEU)->len);
    assert_int_equal(4 + count(s, JOIN) * MARK_SIZE, sec(s, JOIN)->len);
    assert_int_equal(4 + count(s, COMP) * COMP_SIZE, sec(s, COMP)->len);
    n = count(s, SUBS);
    assert_int_equal(n ? sub_source(s, n - 1) + 8 : 4, sec(s, SUBS)->len);
    assert_int_equal(4 + count(s, BACK) * BACK_SIZE, sec(s, BACK)->len);
    assert_int_equal(loop_at(s, count(s, LOOP)), sec(s, LOOP)->len);
    assert_int_equal(head_field(s, H_SIZE), sec(s, HEAD)->len);
}

/* ------------------------------------------------------------------ */
/* Models and the host                                                 */
/* ------------------------------------------------------------------ */

enum { SAGA, FORK_JOIN, NESTED, WAITS, LOOPS };

/* A parallel multi-instance task over a cardinality whose output
 * collection a sequential one then runs over: bodies with and without a
 * collection, inner instances waiting at jobs. */
static const char loops_bpmn[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\">"
    "<process id=\"loops\" isExecutable=\"true\">"
    "<startEvent id=\"start\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"par\"/>"
    "<serviceTask id=\"par\"><extensionElements>"
    "<zeebe:taskDefinition type=\"t\"/></extensionElements>"
    "<multiInstanceLoopCharacteristics><extensionElements>"
    "<zeebe:loopCharacteristics outputCollection=\"outs\" "
    "outputElement=\"=loopCounter\"/></extensionElements>"
    "<loopCardinality>=n</loopCardinality>"
    "</multiInstanceLoopCharacteristics></serviceTask>"
    "<sequenceFlow id=\"f2\" sourceRef=\"par\" targetRef=\"seq\"/>"
    "<serviceTask id=\"seq\"><extensionElements>"
    "<zeebe:taskDefinition type=\"t\"/></extensionElements>"
    "<multiInstanceLoopCharacteristics isSequential=\"true\">"
    "<extensionElements><zeebe:loopCharacteristics "
    "inputCollection=\"=outs\" inputElement=\"x\"/></extensionElements>"
    "</multiInstanceLoopCharacteristics></serviceTask>"
    "<sequenceFlow id=\"f3\" sourceRef=\"seq\" targetRef=\"end\"/>"
    "<endEvent id=\"end\"/>"
    "</process></definitions>";

/* A subprocess whose two tasks meet at a parallel join: element instances
 * nest, and the join's mark is held by the subprocess. */
static const char nested_bpmn[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" "
    "targetNamespace=\"http://example.com/test\">"
    "<process id=\"nested\" isExecutable=\"true\">"
    "<startEvent id=\"start\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"sub\"/>"
    "<subProcess id=\"sub\">"
    "<startEvent id=\"sub_start\"/>"
    "<sequenceFlow id=\"s1\" sourceRef=\"sub_start\" targetRef=\"fork\"/>"
    "<parallelGateway id=\"fork\"/>"
    "<sequenceFlow id=\"s2\" sourceRef=\"fork\" targetRef=\"a\"/>"
    "<sequenceFlow id=\"s3\" sourceRef=\"fork\" targetRef=\"b\"/>"
    "<serviceTask id=\"a\"><extensionElements>"
    "<zeebe:taskDefinition type=\"work\"/></extensionElements></serviceTask>"
    "<serviceTask id=\"b\"><extensionElements>"
    "<zeebe:taskDefinition type=\"work\"/></extensionElements></serviceTask>"
    "<sequenceFlow id=\"s4\" sourceRef=\"a\" targetRef=\"join\"/>"
    "<sequenceFlow id=\"s5\" sourceRef=\"b\" targetRef=\"join\"/>"
    "<parallelGateway id=\"join\"/>"
    "<sequenceFlow id=\"s6\" sourceRef=\"join\" targetRef=\"sub_end\"/>"
    "<endEvent id=\"sub_end\"/>"
    "</subProcess>"
    "<sequenceFlow id=\"f2\" sourceRef=\"sub\" targetRef=\"end\"/>"
    "<endEvent id=\"end\"/>"
    "</process></definitions>";

/* What waits: a task's timer boundary (its job fails once with a
 * backoff), a message catch event with a correlation key, an event-based
 * gateway between a signal and a timer, and a conditional catch event. */
static const char waits_bpmn[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"d\" "
    "targetNamespace=\"http://example.com/test\">"
    "<message id=\"m\" name=\"reply\"><extensionElements>"
    "<zeebe:subscription correlationKey=\"=trip\"/></extensionElements>"
    "</message>"
    "<signal id=\"s\" name=\"go\"/>"
    "<process id=\"waits\" isExecutable=\"true\">"
    "<startEvent id=\"start\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"Work\"/>"
    "<serviceTask id=\"Work\"><extensionElements>"
    "<zeebe:taskDefinition type=\"work\"/></extensionElements></serviceTask>"
    "<boundaryEvent id=\"Late\" attachedToRef=\"Work\">"
    "<timerEventDefinition><timeDuration>PT1H</timeDuration>"
    "</timerEventDefinition></boundaryEvent>"
    "<sequenceFlow id=\"f2\" sourceRef=\"Late\" targetRef=\"lateEnd\"/>"
    "<endEvent id=\"lateEnd\"/>"
    "<sequenceFlow id=\"f3\" sourceRef=\"Work\" targetRef=\"Reply\"/>"
    "<intermediateCatchEvent id=\"Reply\">"
    "<messageEventDefinition messageRef=\"m\"/></intermediateCatchEvent>"
    "<sequenceFlow id=\"f4\" sourceRef=\"Reply\" targetRef=\"Gate\"/>"
    "<eventBasedGateway id=\"Gate\"/>"
    "<sequenceFlow id=\"f5\" sourceRef=\"Gate\" targetRef=\"Go\"/>"
    "<sequenceFlow id=\"f6\" sourceRef=\"Gate\" targetRef=\"Expire\"/>"
    "<intermediateCatchEvent id=\"Go\">"
    "<signalEventDefinition signalRef=\"s\"/></intermediateCatchEvent>"
    "<intermediateCatchEvent id=\"Expire\"><timerEventDefinition>"
    "<timeDuration>PT2H</timeDuration></timerEventDefinition>"
    "</intermediateCatchEvent>"
    "<sequenceFlow id=\"f7\" sourceRef=\"Expire\" "
    "targetRef=\"expiredEnd\"/>"
    "<endEvent id=\"expiredEnd\"/>"
    "<sequenceFlow id=\"f8\" sourceRef=\"Go\" targetRef=\"Ready\"/>"
    "<intermediateCatchEvent id=\"Ready\"><conditionalEventDefinition>"
    "<condition xsi:type=\"tFormalExpression\">=n &gt; 5</condition>"
    "</conditionalEventDefinition></intermediateCatchEvent>"
    "<sequenceFlow id=\"f9\" sourceRef=\"Ready\" targetRef=\"end\"/>"
    "<endEvent id=\"end\"/>"
    "</process></definitions>";

/* The hosts' clock: every engine reads it; it moves only when the host
 * waits for a due time (move()). */
#define T0 1767225600000 /* 2026-01-01T00:00:00Z */
static int64_t g_now = T0;

static int64_t read_clock(void *ud)
{
    (void)ud;
    return g_now;
}

/* Formats 1 to 5 name the model by the checksum of its bytes, format 6
 * by its identity (baton_model_checksum()): each model deployed, by both,
 * so that a snapshot can be written back as an older format. */
static struct {
    uint64_t identity, bytes;
} sums[8];
static size_t n_sums;

static void remember_sums(const baton_model *m, const char *text,
                          const char *path)
{
    unsigned char *data = NULL;
    size_t n = 0;
    if (!text) {
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = (size_t)ftell(f);
        rewind(f);
        data = malloc(n + 1);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, n, f), n);
        fclose(f);
    }
    uint64_t bytes = text ? fnv1a64((const unsigned char *)text, strlen(text))
                          : fnv1a64(data, n);
    free(data);
    uint64_t id = baton_model_checksum(m);
    assert_true(id != bytes);
    for (size_t i = 0; i < n_sums; i++)
        if (sums[i].identity == id)
            return;
    assert_true(n_sums < sizeof sums / sizeof *sums);
    sums[n_sums].identity = id;
    sums[n_sums++].bytes = bytes;
}

static uint64_t bytes_of(uint64_t identity)
{
    for (size_t i = 0; i < n_sums; i++)
        if (sums[i].identity == identity)
            return sums[i].bytes;
    fail_msg("no model of identity %016llx", (unsigned long long)identity);
    return 0;
}

static void deploy(baton_engine *e, int which)
{
    baton_model *m = NULL;
    int rc;
    char path[2048];
    const char *text = NULL;
    if (which == NESTED || which == WAITS || which == LOOPS) {
        text = which == NESTED  ? nested_bpmn
               : which == WAITS ? waits_bpmn
                                : loops_bpmn;
        snprintf(path, sizeof path, "%s",
                 which == NESTED  ? "nested"
                 : which == WAITS ? "waits"
                                  : "loops");
        rc = baton_model_load(e, text, BATON_NUL, path, &m);
    } else {
        const char *dir = getenv(which == SAGA ? "BATON_MODELS"
                                               : "BATON_SCENARIOS");
        if (!dir)
            fail_msg("BATON_MODELS and BATON_SCENARIOS must be set");
        snprintf(path, sizeof path, "%s/%s", dir,
                 which == SAGA ? "trip-booking-saga.bpmn"
                               : "gateways/parallel-fork-join/model.bpmn");
        rc = baton_model_load_file(e, path, &m);
    }
    if (rc)
        fail_msg("%s: %s", path, baton_engine_errmsg(e));
    remember_sums(m, text, path);
    assert_int_equal(baton_engine_deploy(e, m, NULL, NULL), 0);
    baton_model_free(m);
}

static baton_engine *engine_with(int which)
{
    baton_engine *e = NULL;
    assert_int_equal(baton_engine_new(NULL, NULL, &e), 0);
    baton_engine_set_clock(e, read_clock, NULL);
    deploy(e, which);
    return e;
}

static baton_instance *create(baton_engine *e)
{
    baton_instance *in = NULL;
    g_now = T0;
    if (baton_instance_create(e, NULL, "{\"trip\":\"Lisbon\",\"n\":3}",
                              BATON_NUL, &in))
        fail_msg("create: %s", baton_engine_errmsg(e));
    return in;
}

/* What the host does with each waiting job: throw a BPMN error at one
 * element, fail another with no retries (raising an incident that the
 * next move resolves), complete the rest with one variable. Decisions
 * depend only on the instance's state, so that an original and its
 * restored copy are driven alike. */
typedef struct plan {
    const char *name;
    int model;
    const char *throw_at, *code;
    const char *incident_at;
} plan;

/* What the last move of the waits host did ("backoff", "message",
 * "signal", "set", "clock", "step", ...). */
static const char *last_move = "";

/* The host of the waits model: the job fails once with a backoff and
 * then completes; the message and the signal arrive as soon as they are
 * waited for, and the condition is met by setting a variable; when
 * nothing else is left, the clock moves to the next due time. */
static int move_waits(baton_instance *in)
{
    baton_engine *e = baton_instance_engine(in);
    int rc;
    if (baton_instance_job_count(in)) {
        baton_job *j = baton_instance_job(in, 0);
        uint64_t key = baton_job_key(j);
        int first = baton_job_retries(j) == 3;
        last_move = first ? "backoff" : "complete";
        rc = first ? baton_instance_fail_job_backoff(in, key, 2, 10000,
                                                     "busy")
                   : baton_instance_complete_job(in, key, "{\"done\":true}",
                                                 BATON_NUL);
        if (rc)
            fail_msg("%s: %s", last_move, baton_engine_errmsg(e));
        return 1;
    }
    for (size_t i = 0; i < baton_instance_subscription_count(in); i++) {
        switch (baton_instance_subscription_kind(in, i)) {
        case BATON_SUB_MESSAGE:
            last_move = "message";
            rc = baton_instance_correlate_message(in, "reply", "Lisbon",
                                                  "{\"answer\":\"yes\"}",
                                                  BATON_NUL);
            break;
        case BATON_SUB_SIGNAL:
            last_move = "signal";
            rc = baton_instance_signal(in, "go", NULL, 0);
            break;
        case BATON_SUB_CONDITION:
            last_move = "set";
            rc = baton_instance_set_variables(in, "{\"n\":9}", BATON_NUL);
            break;
        default:
            continue;
        }
        if (rc < 0 || (rc < 1 && strcmp(last_move, "set")))
            fail_msg("%s: %d %s", last_move, rc, baton_engine_errmsg(e));
        return 1;
    }
    int64_t due;
    if (baton_instance_next_due(in, &due) == 1) {
        if (due > g_now)
            g_now = due;
        last_move = "clock";
        rc = baton_instance_step(in);
        if (rc <= 0)
            fail_msg("step at the due time: %d %s", rc,
                     baton_engine_errmsg(e));
        return 1;
    }
    fail_msg("the waits instance is stuck");
    return 0;
}

/* One move of the host: a step when work is ready, else settling the
 * oldest waiting job, else resolving the first incident. Returns 0 once
 * the instance has ended. */
static int move(baton_instance *in, const plan *p)
{
    baton_engine *e = baton_instance_engine(in);
    int st = baton_instance_state(in);
    int rc;
    if (st == BATON_INSTANCE_COMPLETED || st == BATON_INSTANCE_TERMINATED)
        return 0;
    if (st == BATON_INSTANCE_ACTIVE) {
        last_move = "step";
        rc = baton_instance_step(in);
        if (rc <= 0)
            fail_msg("step: %d %s", rc, baton_engine_errmsg(e));
        return 1;
    }
    if (p->model == WAITS)
        return move_waits(in);
    if (baton_instance_job_count(in)) {
        baton_job *j = baton_instance_job(in, 0);
        const char *el = baton_job_element_id(j);
        uint64_t key = baton_job_key(j);
        if (p->throw_at && !strcmp(el, p->throw_at)) {
            rc = baton_instance_throw_job_error(in, key, p->code, "forced");
        } else if (p->incident_at && !strcmp(el, p->incident_at) &&
                   baton_job_retries(j) != 1) {
            rc = baton_instance_fail_job(in, key, 0, "service down");
        } else {
            char vars[128];
            snprintf(vars, sizeof vars, "{\"%sDone\":true}", el);
            rc = baton_instance_complete_job(in, key, vars, BATON_NUL);
        }
        if (rc)
            fail_msg("settling %s: %s", el, baton_engine_errmsg(e));
        return 1;
    }
    if (st == BATON_INSTANCE_INCIDENT && baton_instance_incident_count(in)) {
        rc = baton_instance_resolve_incident(
            in, baton_instance_incident_key(in, 0));
        if (rc)
            fail_msg("resolve: %s", baton_engine_errmsg(e));
        return 1;
    }
    fail_msg("the instance is stuck in state %d", st);
    return 0;
}

static const plan plans[] = {
    { "saga, happy", SAGA, NULL, NULL, NULL },
    { "saga, compensating", SAGA, "BookFlight", "FLIGHT_BOOKING_FAILED",
      NULL },
    { "saga, compensating after an incident", SAGA, "BookFlight",
      "FLIGHT_BOOKING_FAILED", "BookHotel" },
    { "saga, happy after an incident", SAGA, NULL, NULL, "ReserveCar" },
    { "parallel fork and join", FORK_JOIN, NULL, NULL, NULL },
    { "join in a subprocess, after an incident", NESTED, NULL, NULL, "b" },
    { "timers, a backoff, messages, a signal and a condition", WAITS, NULL,
      NULL, NULL },
    { "multi-instance, parallel then sequential, after an incident", LOOPS,
      NULL, NULL, "seq" },
};
#define N_PLANS (sizeof plans / sizeof *plans)

static unsigned char *take_snapshot(baton_instance *in, size_t *size)
{
    void *data = NULL;
    if (baton_instance_snapshot(in, &data, size))
        fail_msg("snapshot: %s",
                 baton_engine_errmsg(baton_instance_engine(in)));
    unsigned char *copy_ = malloc(*size);
    assert_non_null(copy_);
    memcpy(copy_, data, *size);
    baton_free(data);
    return copy_;
}

static baton_instance *restore(baton_engine *e, const unsigned char *p,
                               size_t size)
{
    baton_instance *in = NULL;
    if (baton_instance_restore(e, p, size, &in))
        fail_msg("restore: %s", baton_engine_errmsg(e));
    assert_non_null(in);
    return in;
}

static json_t *variables(baton_instance *in)
{
    char *text = NULL;
    size_t len;
    assert_int_equal(baton_instance_variables(in, &text, &len), 0);
    json_t *v = json_loadb(text, len, 0, NULL);
    baton_free(text);
    assert_non_null(v);
    return v;
}

/* Variables are compared as values: a restored instance lists them in
 * the snapshot's (sorted) order, the original in the order they were
 * set. */
static void expect_same_variables(baton_instance *a, baton_instance *b)
{
    json_t *va = variables(a), *vb = variables(b);
    if (!json_equal(va, vb)) {
        char *x = json_dumps(va, JSON_SORT_KEYS);
        char *y = json_dumps(vb, JSON_SORT_KEYS);
        print_error("variables differ:\n%s\n%s\n", x, y);
        free(x);
        free(y);
        fail();
    }
    json_decref(va);
    json_decref(vb);
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* The open subscriptions and the wake-up time, as a host lists them. */
static void expect_same_waits(baton_instance *a, baton_instance *b)
{
    size_t n = baton_instance_subscription_count(a);
    assert_int_equal(baton_instance_subscription_count(b), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(baton_instance_subscription_kind(b, i),
                         baton_instance_subscription_kind(a, i));
        assert_int_equal(baton_instance_subscription_key(b, i),
                         baton_instance_subscription_key(a, i));
        assert_int_equal(
            baton_instance_subscription_element_instance_key(b, i),
            baton_instance_subscription_element_instance_key(a, i));
        assert_string_equal(baton_instance_subscription_element_id(b, i),
                            baton_instance_subscription_element_id(a, i));
        assert_true(same_text(baton_instance_subscription_name(b, i),
                              baton_instance_subscription_name(a, i)));
        assert_true(same_text(
            baton_instance_subscription_correlation_key(b, i),
            baton_instance_subscription_correlation_key(a, i)));
        assert_true(baton_instance_subscription_due(b, i) ==
                    baton_instance_subscription_due(a, i));
    }
    int64_t da = 0, db = 0;
    assert_int_equal(baton_instance_next_due(b, &db),
                     baton_instance_next_due(a, &da));
    assert_true(da == db);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */
/* ------------------------------------------------------------------ */

/* "VALUE_TYPE INTENT ELEMENT KEY": what two record streams must share. */
static void record_line(const baton_record *rec, char *line, size_t cap)
{
    const char *el = baton_record_element_id(rec);
    snprintf(line, cap, "%s %s %s %llu",
             baton_value_type_name(baton_record_value_type(rec)),
             baton_intent_name(baton_record_intent(rec)), *el ? el : "-",
             (unsigned long long)baton_record_key(rec));
}

/* The last record an instance produced, to say where a stop is. */
static char last_record[512];

static void remember(void *ud, baton_instance *in, const baton_record *rec)
{
    (void)ud;
    (void)in;
    record_line(rec, last_record, sizeof last_record);
}

/* Problems found at some stop, reported together once every stop of
 * every plan has been tried. */
static char problems[16384];
static size_t n_problems;

static void problem(const plan *p, size_t stop, const char *fmt, ...)
{
    size_t at = strlen(problems);
    if (at + 200 >= sizeof problems)
        return;
    at += (size_t)snprintf(problems + at, sizeof problems - at,
                           "\n  %s, stop %zu (last record: %s): ", p->name,
                           stop, last_record);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problems + at, sizeof problems - at, fmt, ap);
    va_end(ap);
    n_problems++;
}

static void report_problems(void)
{
    size_t n = n_problems;
    n_problems = 0;
    if (n) {
        fprintf(stderr, "%zu stop(s) went wrong:%s\n", n, problems);
        problems[0] = '\0';
        fail();
    }
}

static void check_round_trip(baton_engine *e, baton_instance *in,
                             const plan *p, size_t stop)
{
    size_t n1, n2;
    unsigned char *a = take_snapshot(in, &n1);
    snap s = parse(a, n1);
    check_layout(&s);
    snap_free(&s);
    baton_instance *back = NULL;
    if (baton_instance_restore(e, a, n1, &back)) {
        problem(p, stop, "its own snapshot is refused: %s",
                baton_engine_errmsg(e));
        free(a);
        return;
    }
    unsigned char *b = take_snapshot(back, &n2);
    if (n1 != n2 || memcmp(a, b, n1))
        problem(p, stop, "the snapshot of the restored instance differs "
                         "(%zu bytes, then %zu)",
                n1, n2);
    assert_int_equal(baton_instance_state(back), baton_instance_state(in));
    assert_int_equal(baton_instance_key(back), baton_instance_key(in));
    assert_int_equal(baton_instance_revision(back),
                     baton_instance_revision(in));
    assert_int_equal(baton_instance_job_count(back),
                     baton_instance_job_count(in));
    assert_int_equal(baton_instance_incident_count(back),
                     baton_instance_incident_count(in));
    expect_same_variables(in, back);
    expect_same_waits(in, back);
    baton_instance_free(back);
    free(a);
    free(b);
}

static void test_round_trip_every_stop(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_PLANS; k++) {
        const plan *p = &plans[k];
        baton_engine *e = engine_with(p->model);
        baton_engine_set_record_sink(e, remember, NULL);
        baton_instance *in = create(e);
        size_t stop = 0;
        strcpy(last_record, "none");
        do
            check_round_trip(e, in, p, stop++);
        while (move(in, p));
        /* create, a few steps and moves per task at least */
        assert_true(stop > 10);
        assert_int_equal(baton_instance_state(in), BATON_INSTANCE_COMPLETED);
        baton_instance_free(in);
        baton_engine_free(e);
    }
    report_problems();
}

/* ------------------------------------------------------------------ */
/* A restored instance goes on as the original does                    */
/* ------------------------------------------------------------------ */

static void collect(void *ud, baton_instance *in, const baton_record *rec)
{
    char line[512];
    record_line(rec, line, sizeof line);
    json_array_append_new(ud, json_string(line));
    remember(NULL, in, rec);
}

static void expect_same_records(const plan *p, size_t stop, json_t *want,
                                json_t *got)
{
    size_t n = json_array_size(want), m = json_array_size(got);
    for (size_t i = 0; i < n || i < m; i++) {
        const char *a = json_string_value(json_array_get(want, i));
        const char *b = json_string_value(json_array_get(got, i));
        if (a && b && !strcmp(a, b))
            continue;
        problem(p, stop, "record %zu of %zu: original %s, restored %s",
                i + 1, n, a ? a : "(nothing)", b ? b : "(nothing)");
        return;
    }
}

static void test_restored_goes_on_alike(void **state)
{
    (void)state;
    size_t compared = 0;
    for (size_t k = 0; k < N_PLANS; k++) {
        const plan *p = &plans[k];
        for (size_t stop = 0;; stop++) {
            baton_engine *e1 = engine_with(p->model);
            baton_instance *orig = create(e1);
            size_t moved = 0;
            baton_engine_set_record_sink(e1, remember, NULL);
            strcpy(last_record, "none");
            while (moved < stop && move(orig, p))
                moved++;
            if (moved < stop) { /* past the end */
                baton_instance_free(orig);
                baton_engine_free(e1);
                break;
            }
            size_t size;
            unsigned char *data = take_snapshot(orig, &size);
            baton_engine *e2 = engine_with(p->model);
            baton_instance *copy_ = NULL;
            if (baton_instance_restore(e2, data, size, &copy_)) {
                problem(p, stop, "its own snapshot is refused: %s",
                        baton_engine_errmsg(e2));
                free(data);
                baton_instance_free(orig);
                baton_engine_free(e1);
                baton_engine_free(e2);
                continue;
            }
            json_t *want = json_array(), *got = json_array();
            baton_engine_set_record_sink(e1, collect, want);
            baton_engine_set_record_sink(e2, collect, got);
            /* Both go on from the same time. */
            int64_t at = g_now;
            while (move(orig, p))
                ;
            g_now = at;
            while (move(copy_, p))
                ;
            expect_same_records(p, stop, want, got);
            assert_int_equal(baton_instance_state(copy_),
                             baton_instance_state(orig));
            expect_same_variables(orig, copy_);
            compared += json_array_size(want);
            json_decref(want);
            json_decref(got);
            free(data);
            baton_instance_free(orig);
            baton_instance_free(copy_);
            baton_engine_free(e1);
            baton_engine_free(e2);
        }
    }
    report_problems();
    assert_true(compared > 1000);
}

/* The process instance's own completion, queued after the last end
 * event completed (element -1, as its activation is), is a state a host
 * sees between steps, and one the persist hook gets when a run uses up
 * its step budget right there. Its snapshot must restore. */
typedef struct persisted {
    unsigned char *data;
    size_t size;
    int calls;
} persisted;

static int keep_snapshot(void *ud, baton_instance *in, const void *snapshot,
                         size_t size, uint64_t revision)
{
    persisted *p = ud;
    (void)in;
    (void)revision;
    free(p->data);
    p->data = malloc(size);
    assert_non_null(p->data);
    memcpy(p->data, snapshot, size);
    p->size = size;
    p->calls++;
    return 0;
}

static void test_process_completion_queued(void **state)
{
    (void)state;
    baton_engine *e = engine_with(FORK_JOIN);
    baton_engine_set_record_sink(e, remember, NULL);
    const plan all = { "fork-join", FORK_JOIN, NULL, NULL, NULL };
    baton_instance *in = create(e);
    size_t steps = 0;
    strcpy(last_record, "none");
    while (!strstr(last_record, "ELEMENT_COMPLETED end ")) {
        steps += baton_instance_state(in) == BATON_INSTANCE_ACTIVE;
        assert_true(move(in, &all));
    }
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_ACTIVE);
    size_t size;
    unsigned char *data = take_snapshot(in, &size);
    baton_instance *back = NULL;
    int rc = baton_instance_restore(e, data, size, &back);
    if (rc)
        fail_msg("a snapshot with the process's completion queued is "
                 "refused: %s",
                 baton_engine_errmsg(e));
    assert_int_equal(baton_instance_run(back, 0), BATON_STEP_ENDED);
    assert_string_equal(last_record, "PROCESS_INSTANCE ELEMENT_COMPLETED p "
                                     "4294967296");
    baton_instance_free(back);
    baton_instance_free(in);
    free(data);

    /* The same state, reached by a run whose budget ends there: what the
     * persist hook is given restores. */
    persisted kept = { NULL, 0, 0 };
    baton_engine_set_persist(e, keep_snapshot, &kept);
    in = create(e);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    while (baton_instance_job_count(in)) {
        baton_job *j = baton_instance_job(in, 0);
        assert_int_equal(baton_instance_complete_job(in, baton_job_key(j),
                                                     NULL, 0),
                         0);
    }
    /* Steps left: from here to the end event's completion. */
    size_t left = 0;
    {
        size_t sz;
        unsigned char *at = take_snapshot(in, &sz);
        baton_instance *probe = restore(e, at, sz);
        strcpy(last_record, "none");
        baton_engine_set_persist(e, NULL, NULL);
        while (!strstr(last_record, "ELEMENT_COMPLETED end ")) {
            assert_int_equal(baton_instance_step(probe), BATON_STEP_READY);
            left++;
        }
        baton_engine_set_persist(e, keep_snapshot, &kept);
        baton_instance_free(probe);
        free(at);
    }
    assert_true(left > 0 && left < steps);
    kept.calls = 0;
    assert_int_equal(baton_instance_run(in, left), BATON_EBUDGET);
    assert_int_equal(kept.calls, 1);
    back = NULL;
    rc = baton_instance_restore(e, kept.data, kept.size, &back);
    if (rc)
        fail_msg("the persisted snapshot of a run out of budget is refused: "
                 "%s",
                 baton_engine_errmsg(e));
    assert_int_equal(baton_instance_run(back, 0), BATON_STEP_ENDED);
    baton_instance_free(back);
    baton_instance_free(in);
    free(kept.data);
    baton_engine_free(e);
}

/* ------------------------------------------------------------------ */
/* Forged snapshots                                                    */
/* ------------------------------------------------------------------ */

/* An engine with the model deployed and a real snapshot taken apart. */
typedef struct base {
    baton_engine *e;
    snap s;
} base;

/* Takes the snapshot of `in` apart into `b` and frees `in`. */
static void base_take(base *b, baton_instance *in)
{
    size_t size;
    unsigned char *data = take_snapshot(in, &size);
    b->s = parse(data, size);
    check_layout(&b->s);
    /* Taken apart and put together, it is the same snapshot. */
    size_t n;
    unsigned char *again = build(&b->s, &n);
    assert_int_equal(n, size);
    assert_memory_equal(again, data, size);
    baton_instance *back = restore(b->e, again, n);
    baton_instance_free(back);
    free(again);
    free(data);
    baton_instance_free(in);
}

static base base_at(int model, const plan *p, const char *until_job,
                    int until_mark)
{
    base b;
    b.e = engine_with(model);
    baton_instance *in = create(b.e);
    if (until_job) {
        /* Move until a job of `until_job` waits (and, with until_mark,
         * until a join holds a mark: the instance waits with only one of
         * its two branches done). */
        for (;;) {
            int st = baton_instance_state(in);
            int found = 0;
            for (size_t i = 0; i < baton_instance_job_count(in); i++)
                found |= !strcmp(baton_job_element_id(
                                     baton_instance_job(in, i)),
                                 until_job);
            if (found && st == BATON_INSTANCE_WAITING &&
                (!until_mark || baton_instance_job_count(in) == 1))
                break;
            if (!move(in, p))
                fail_msg("the instance ended before %s", until_job);
        }
    }
    base_take(&b, in);
    return b;
}

/* The waits model, moved until its host's move `after` is done and then
 * `then` moves more. */
static base base_when(const char *after, int then)
{
    const plan all = { "waits", WAITS, NULL, NULL, NULL };
    base b;
    b.e = engine_with(WAITS);
    baton_instance *in = create(b.e);
    last_move = "";
    while (strcmp(last_move, after))
        if (!move(in, &all))
            fail_msg("the instance ended before %s", after);
    for (int i = 0; i < then; i++)
        if (!move(in, &all))
            fail_msg("the instance ended after %s", after);
    base_take(&b, in);
    return b;
}

static void base_free(base *b)
{
    snap_free(&b->s);
    baton_engine_free(b->e);
}

static void expect_refused_code(baton_engine *e, const snap *s, int code,
                                const char *msg, int line)
{
    size_t n;
    unsigned char *data = build(s, &n);
    baton_instance *in = (baton_instance *)&n; /* must be cleared */
    int rc = baton_instance_restore(e, data, n, &in);
    if (rc != code || strcmp(baton_engine_errmsg(e), msg))
        fail_msg("line %d: restore gave %d \"%s\", want %d \"%s\"", line, rc,
                 baton_engine_errmsg(e), code, msg);
    assert_null(in);
    assert_int_equal(baton_engine_errcode(e), code);
    free(data);
}

#define expect_refused(e, s, msg)                                             \
    expect_refused_code(e, s, BATON_ESNAPSHOT, "snapshot refused: " msg,      \
                        __LINE__)

/* The key of the element instance of a waiting job. */
static uint32_t entry_with_job(snap *s)
{
    for (uint32_t i = 0; i < count(s, ELEM); i++)
        if (g64(field(s, ELEM, elem_at(s, i) + EI_JOB)))
            return i;
    fail_msg("no element instance with a job");
    return 0;
}

static uint32_t entry_with_scope(snap *s, uint64_t scope, uint32_t from)
{
    for (uint32_t i = from; i < count(s, ELEM); i++)
        if (g64(field(s, ELEM, elem_at(s, i) + EI_SCOPE)) == scope)
            return i;
    fail_msg("no element instance in scope %llu", (unsigned long long)scope);
    return 0;
}

static uint64_t ei_key(snap *s, uint32_t i)
{
    return g64(field(s, ELEM, elem_at(s, i) + EI_KEY));
}

static void set_ei64(snap *s, uint32_t i, size_t f, uint64_t v)
{
    s64(field(s, ELEM, elem_at(s, i) + f), v);
}

static void set_ei32(snap *s, uint32_t i, size_t f, uint32_t v)
{
    s32(field(s, ELEM, elem_at(s, i) + f), v);
}

static void test_forged_elements(void **state)
{
    (void)state;
    const plan all = { "saga", SAGA, NULL, NULL, NULL };
    base b = base_at(SAGA, &all, "BookHotel", 0);
    snap *s = &b.s;
    assert_true(count(s, ELEM) >= 2);
    assert_int_equal(count(s, JOBS), 1);
    uint32_t task = entry_with_job(s);
    assert_true(task > 0);
    uint64_t root_key = ei_key(s, 0);
    snap f;

    /* The first element instance must be the process instance. */
    f = copy(s);
    set_ei32(&f, 0, EI_ELEMENT, g32(field(&f, ELEM, elem_at(&f, task) +
                                                  EI_ELEMENT)));
    expect_refused(b.e, &f,
                   "the first element instance is not the process instance");
    snap_free(&f);
    f = copy(s);
    set_ei64(&f, 0, EI_SCOPE, root_key);
    expect_refused(b.e, &f,
                   "the first element instance is not the process instance");
    snap_free(&f);
    f = copy(s);
    set_ei64(&f, 0, EI_KEY, root_key + 0x1000);
    expect_refused(b.e, &f,
                   "the first element instance is not the process instance");
    snap_free(&f);

    /* Keys: unique and non-zero. */
    f = copy(s);
    set_ei64(&f, task, EI_KEY, root_key);
    expect_refused(b.e, &f, "bad element instance");
    snap_free(&f);
    f = copy(s);
    set_ei64(&f, task, EI_KEY, 0);
    expect_refused(b.e, &f, "bad element instance");
    snap_free(&f);
    f = copy(s);
    set_ei64(&f, 0, EI_KEY, 0);
    expect_refused(b.e, &f, "bad element instance");
    snap_free(&f);

    /* A state beyond TERMINATED. */
    f = copy(s);
    set_ei32(&f, task, EI_STATE, 6);
    expect_refused(b.e, &f, "bad element instance");
    snap_free(&f);

    /* A process instance that has not started (ACTIVATING) while a task
     * of it waits on a job: before its first step nothing lives in it. */
    f = copy(s);
    set_ei32(&f, 0, EI_STATE, 0);
    expect_refused(b.e, &f,
                   "the process instance has not started but holds work");
    snap_free(&f);

    /* A scope that does not exist. */
    f = copy(s);
    set_ei64(&f, task, EI_SCOPE, root_key + 0x7777);
    expect_refused(b.e, &f, "element instance outside any scope");
    snap_free(&f);
    f = copy(s);
    set_ei64(&f, task, EI_SCOPE, 0);
    expect_refused(b.e, &f, "element instance outside any scope");
    snap_free(&f);

    /* Element indices out of range, or the process's outside the root. */
    f = copy(s);
    set_ei32(&f, task, EI_ELEMENT, 100000);
    expect_refused(b.e, &f, "element instance of no element of the process");
    snap_free(&f);
    f = copy(s);
    set_ei32(&f, task, EI_ELEMENT, 0x80000000u);
    expect_refused(b.e, &f, "element instance of no element of the process");
    snap_free(&f);
    f = copy(s);
    set_ei32(&f, task, EI_ELEMENT, 0xffffffffu);
    expect_refused(b.e, &f, "process instance started by no call activity");
    snap_free(&f);

    /* An element instance naming a job that does not exist: the root has
     * no job. */
    f = copy(s);
    assert_int_equal(g64(field(&f, ELEM, elem_at(&f, 0) + EI_JOB)), 0);
    set_ei64(&f, 0, EI_JOB, g64(field(&f, ELEM, elem_at(&f, task) + EI_JOB)) +
                                0x100);
    expect_refused(b.e, &f, "element instance names a missing job");
    snap_free(&f);

    /* Variables that are not a JSON object. */
    f = copy(s);
    {
        section *x = sec(&f, ELEM);
        size_t at = elem_at(&f, 0) + EI_VARS;
        unsigned char arr[4 + 3];
        s32(arr, 3);
        memcpy(arr + 4, "[1]", 3);
        splice(x, at, str_end(x, at) - at, arr, sizeof arr);
    }
    expect_refused(b.e, &f, "bad variables");
    snap_free(&f);
    f = copy(s);
    {
        section *x = sec(&f, ELEM);
        size_t at = elem_at(&f, 0) + EI_VARS;
        unsigned char bad[4 + 5];
        s32(bad, 5);
        memcpy(bad + 4, "{\"a\":", 5);
        splice(x, at, str_end(x, at) - at, bad, sizeof bad);
    }
    expect_refused(b.e, &f, "bad variables");
    snap_free(&f);

    /* A count that the section cannot hold, and none at all. */
    f = copy(s);
    s32(field(&f, ELEM, 0), count(&f, ELEM) + 1);
    expect_refused(b.e, &f, "bad element instance");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, ELEM, 0), 0x10000000u);
    expect_refused(b.e, &f, "bad element count");
    snap_free(&f);
    f = copy(s);
    splice(sec(&f, ELEM), 0, sec(&f, ELEM)->len, "\0\0\0\0", 4);
    expect_refused(b.e, &f, "bad element count");
    snap_free(&f);

    base_free(&b);
}

static void test_forged_scopes(void **state)
{
    (void)state;
    const plan all = { "nested", NESTED, NULL, NULL, NULL };
    base b = base_at(NESTED, &all, "b", 1);
    snap *s = &b.s;
    uint64_t root_key = ei_key(s, 0);
    uint32_t sub = entry_with_scope(s, root_key, 1);
    uint64_t sub_key = ei_key(s, sub);
    uint32_t child = entry_with_scope(s, sub_key, 0);
    assert_true(child > sub);
    uint64_t child_key = ei_key(s, child);
    snap f;

    /* The nesting is real: the task waits inside the subprocess. */
    assert_int_equal(g64(field(s, ELEM, elem_at(s, child) + EI_SCOPE)),
                     sub_key);

    /* A cycle: the subprocess inside its own child, which is read later. */
    f = copy(s);
    set_ei64(&f, sub, EI_SCOPE, child_key);
    expect_refused(b.e, &f, "element instance outside any scope");
    snap_free(&f);
    /* Its own scope. */
    f = copy(s);
    set_ei64(&f, sub, EI_SCOPE, sub_key);
    expect_refused(b.e, &f, "element instance outside any scope");
    snap_free(&f);
    /* A scope that exists only further down: the child and the
     * subprocess swapped. */
    f = copy(s);
    {
        section *x = sec(&f, ELEM);
        size_t a0 = elem_at(&f, sub), a1 = elem_at(&f, sub + 1);
        size_t c0 = elem_at(&f, child), c1 = str_end(x, c0 + EI_VARS);
        assert_int_equal(child, sub + 1);
        unsigned char *tmp = malloc(c1 - a0);
        assert_non_null(tmp);
        memcpy(tmp, x->body + c0, c1 - c0);
        memcpy(tmp + (c1 - c0), x->body + a0, a1 - a0);
        memcpy(x->body + a0, tmp, c1 - a0);
        free(tmp);
    }
    expect_refused(b.e, &f, "element instance outside any scope");
    snap_free(&f);
    /* A scope that is no element instance at all. */
    f = copy(s);
    set_ei64(&f, child, EI_SCOPE, sub_key + 0x4000);
    expect_refused(b.e, &f, "element instance outside any scope");
    snap_free(&f);
    /* Duplicated key between siblings. */
    f = copy(s);
    set_ei64(&f, child, EI_KEY, sub_key);
    expect_refused(b.e, &f, "bad element instance");
    snap_free(&f);

    /* The join's mark, held by the subprocess. */
    assert_int_equal(count(s, JOIN), 1);
    assert_int_equal(g64(field(s, JOIN, 4 + MARK_SCOPE)), sub_key);
    f = copy(s);
    s64(field(&f, JOIN, 4 + MARK_SCOPE), sub_key + 0x4000);
    expect_refused(b.e, &f, "bad join");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, JOIN, 4 + MARK_SCOPE), 0);
    expect_refused(b.e, &f, "bad join");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, JOIN, 4 + MARK_FLOW), 10000);
    expect_refused(b.e, &f, "bad join");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, JOIN, 0), 2);
    expect_refused(b.e, &f, "bad join count");
    snap_free(&f);

    base_free(&b);
}

static void test_forged_join_in_process(void **state)
{
    (void)state;
    const plan all = { "fork-join", FORK_JOIN, NULL, NULL, NULL };
    base b = base_at(FORK_JOIN, &all, "b", 1);
    snap *s = &b.s;
    assert_int_equal(count(s, JOIN), 1);
    uint64_t root_key = ei_key(s, 0);
    assert_int_equal(g64(field(s, JOIN, 4 + MARK_SCOPE)), root_key);
    snap f = copy(s);
    s64(field(&f, JOIN, 4 + MARK_SCOPE), root_key + 0x4000);
    expect_refused(b.e, &f, "bad join");
    snap_free(&f);
    base_free(&b);
}

static void test_forged_jobs(void **state)
{
    (void)state;
    const plan all = { "saga", SAGA, NULL, NULL, NULL };
    base b = base_at(SAGA, &all, "BookHotel", 0);
    snap *s = &b.s;
    uint32_t task = entry_with_job(s);
    uint64_t task_key = ei_key(s, task);
    size_t j0 = job_at(s, 0);
    uint64_t job_key = g64(field(s, JOBS, j0 + JOB_KEY));
    assert_int_equal(g64(field(s, JOBS, j0 + JOB_EI)), task_key);
    snap f;

    /* A job naming an element instance that does not exist. */
    f = copy(s);
    s64(field(&f, JOBS, j0 + JOB_EI), task_key + 0x4000);
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    /* ... or one that does not name the job back. */
    f = copy(s);
    s64(field(&f, JOBS, j0 + JOB_EI), ei_key(&f, 0));
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    /* Key 0, element mismatch, negative retries, unknown state. */
    f = copy(s);
    s64(field(&f, JOBS, j0 + JOB_KEY), 0);
    set_ei64(&f, task, EI_JOB, 0);
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, JOBS, j0 + JOB_ELEMENT),
        g32(field(&f, JOBS, j0 + JOB_ELEMENT)) + 1);
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, JOBS, j0 + JOB_RETRIES), 0xffffffffu);
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, JOBS, j0 + JOB_STATE), JOB_BACKOFF + 1);
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    /* A job in backoff needs its due time in BACK. */
    f = copy(s);
    s32(field(&f, JOBS, j0 + JOB_STATE), JOB_BACKOFF);
    expect_refused(b.e, &f, "job in backoff without a due time");
    snap_free(&f);
    /* An absent job type. */
    f = copy(s);
    {
        section *x = sec(&f, JOBS);
        size_t at = j0 + JOB_TYPE;
        unsigned char none[4];
        s32(none, NO_STR);
        splice(x, at, str_end(x, at) - at, none, 4);
    }
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    /* The job removed: its element instance names a missing job. */
    f = copy(s);
    splice(sec(&f, JOBS), 0, sec(&f, JOBS)->len, "\0\0\0\0", 4);
    expect_refused(b.e, &f, "element instance names a missing job");
    snap_free(&f);
    /* The element instance names another key than its job's. */
    f = copy(s);
    set_ei64(&f, task, EI_JOB, job_key + 0x100);
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    /* The same job twice. */
    f = copy(s);
    {
        section *x = sec(&f, JOBS);
        size_t end = str_end(x, str_end(x, j0 + JOB_TYPE));
        unsigned char *dup = malloc(end - j0);
        assert_non_null(dup);
        memcpy(dup, x->body + j0, end - j0);
        splice(x, end, 0, dup, end - j0);
        s32(x->body, 2);
        free(dup);
    }
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);

    /* The compensation log names ReserveCar, done. */
    assert_int_equal(count(s, COMP), 1);
    f = copy(s);
    s32(field(&f, COMP, 4 + COMP_ELEMENT), 100000);
    expect_refused(b.e, &f, "bad compensation entry");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, COMP, 0), 2);
    expect_refused(b.e, &f, "bad compensation log length");
    snap_free(&f);
    /* Its process instance: none, or an element instance that is no
     * process instance. */
    f = copy(s);
    s64(field(&f, COMP, 4 + COMP_PI), 12345);
    expect_refused(b.e, &f, "bad compensation entry");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, COMP, 4 + COMP_PI), g64(field(s, COMP, 4 + COMP_SCOPE)) + 1);
    expect_refused(b.e, &f, "bad compensation entry");
    snap_free(&f);
    /* Variables only for the inner instance of a loop, and as an object. */
    f = copy(s);
    {
        section *x = sec(&f, COMP);
        splice(x, 4 + COMP_VARS, 4, "\x07\0\0\0{\"a\":1}", 11);
    }
    expect_refused(b.e, &f, "bad compensation entry");
    snap_free(&f);

    base_free(&b);
}

static void test_forged_keys(void **state)
{
    (void)state;
    const plan all = { "nested", NESTED, NULL, NULL, NULL };
    base b = base_at(NESTED, &all, "b", 1);
    snap *s = &b.s;
    uint64_t max_ei = 0, max_job = 0;
    for (uint32_t i = 0; i < count(s, ELEM); i++)
        if (ei_key(s, i) > max_ei)
            max_ei = ei_key(s, i);
    for (uint32_t i = 0; i < count(s, JOBS); i++)
        if (g64(field(s, JOBS, job_at(s, i) + JOB_KEY)) > max_job)
            max_job = g64(field(s, JOBS, job_at(s, i) + JOB_KEY));
    uint64_t next = g64(field(s, HEAD, head_field(s, H_NEXT_KEY)));
    uint64_t key = g64(field(s, HEAD, head_field(s, H_KEY)));
    assert_true(next > max_ei && next > max_job);
    assert_true(max_ei > key);
    snap f;

    /* next-key at an element instance's key, or below it. */
    f = copy(s);
    s64(field(&f, HEAD, head_field(&f, H_NEXT_KEY)), max_ei);
    expect_refused(b.e, &f, "element instance key not below the next key");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, HEAD, head_field(&f, H_NEXT_KEY)), key + 1);
    expect_refused(b.e, &f, "element instance key not below the next key");
    snap_free(&f);
    /* next-key above every element instance but at the newest job. */
    if (max_job > max_ei) {
        f = copy(s);
        s64(field(&f, HEAD, head_field(&f, H_NEXT_KEY)), max_job);
        expect_refused(b.e, &f, "job key not below the next key");
        snap_free(&f);
    } else {
        fail_msg("expected the newest job's key above every element "
                 "instance's");
    }
    /* next-key at or below the instance key; instance key 0. */
    f = copy(s);
    s64(field(&f, HEAD, head_field(&f, H_NEXT_KEY)), key);
    expect_refused(b.e, &f, "bad keys");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, HEAD, head_field(&f, H_KEY)), 0);
    expect_refused(b.e, &f, "bad keys");
    snap_free(&f);
    /* An instance key that is not the root's. */
    f = copy(s);
    s64(field(&f, HEAD, head_field(&f, H_KEY)), key + 1);
    expect_refused(b.e, &f,
                   "the first element instance is not the process instance");
    snap_free(&f);
    /* An end state that is no end state. */
    f = copy(s);
    s32(field(&f, HEAD, head_field(&f, H_ENDED)), BATON_INSTANCE_INCIDENT);
    expect_refused(b.e, &f, "bad instance state");
    snap_free(&f);
    /* Another model of the same process and version. */
    f = copy(s);
    s64(field(&f, HEAD, head_field(&f, H_CHECKSUM)),
        g64(field(&f, HEAD, head_field(&f, H_CHECKSUM))) ^ 1);
    expect_refused(b.e, &f,
                   "it was taken with another model of process 'nested' "
                   "version 1");
    assert_string_equal(baton_engine_errelement(b.e), "nested");
    snap_free(&f);
    /* A version that is not deployed is not damage: BATON_ENOTFOUND. */
    f = copy(s);
    s32(field(&f, HEAD, head_field(&f, H_VERSION)), 2);
    expect_refused_code(b.e, &f, BATON_ENOTFOUND,
                        "snapshot of process 'nested' version 2, which is "
                        "not deployed",
                        __LINE__);
    snap_free(&f);
    /* A process id with a NUL inside. */
    f = copy(s);
    field(&f, HEAD, 4)[1] = 0;
    expect_refused(b.e, &f, "bad header");
    snap_free(&f);

    base_free(&b);
}

static void test_forged_queue_and_incidents(void **state)
{
    (void)state;
    /* Just created: the process's activation is queued. */
    base b = base_at(SAGA, NULL, NULL, 0);
    snap *s = &b.s;
    assert_int_equal(count(s, QUEU), 1);
    snap f;
    f = copy(s);
    s32(field(&f, QUEU, 4 + CMD_KIND), 99);
    expect_refused(b.e, &f, "bad queued transition");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, QUEU, 4 + CMD_KIND), 8); /* one past the last kind */
    expect_refused(b.e, &f, "bad queued transition");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, QUEU, 4 + CMD_ELEMENT), 100000);
    expect_refused(b.e, &f, "bad queued transition");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, QUEU, 0), 2);
    expect_refused(b.e, &f, "bad queue length");
    snap_free(&f);
    base_free(&b);

    /* An incident on BookHotel's job. */
    const plan inc = { "incident", SAGA, NULL, NULL, "BookHotel" };
    b.e = engine_with(SAGA);
    baton_instance *in = create(b.e);
    while (baton_instance_state(in) != BATON_INSTANCE_INCIDENT)
        assert_true(move(in, &inc));
    size_t size;
    unsigned char *data = take_snapshot(in, &size);
    baton_instance_free(in);
    b.s = parse(data, size);
    free(data);
    s = &b.s;
    check_layout(s);
    assert_int_equal(count(s, INCI), 1);
    size_t i0 = inc_at(s, 0);
    size_t cmd = str_end(sec(s, INCI), i0 + INC_MESSAGE);
    f = copy(s);
    s32(field(&f, INCI, i0 + INC_TYPE), 50);
    expect_refused(b.e, &f, "bad incident");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, INCI, i0 + INC_ELEMENT), 100000);
    expect_refused(b.e, &f, "bad incident");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, INCI, i0 + INC_EI), 0x4242);
    expect_refused(b.e, &f, "bad incident");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, INCI, i0 + INC_JOB),
        g64(field(&f, INCI, i0 + INC_JOB)) + 0x100);
    expect_refused(b.e, &f, "bad incident");
    snap_free(&f);
    /* A retry command of an unknown kind. */
    f = copy(s);
    s32(field(&f, INCI, cmd + CMD_KIND), 17);
    expect_refused(b.e, &f, "bad incident");
    snap_free(&f);
    base_free(&b);
}

static void test_forged_sections(void **state)
{
    (void)state;
    const plan all = { "nested", NESTED, NULL, NULL, NULL };
    base b = base_at(NESTED, &all, "b", 1);
    snap *s = &b.s;
    snap f;

    /* Out of order: JOBS and INCI swapped; JOIN before QUEU. */
    f = copy(s);
    {
        section t = f.sec[2];
        f.sec[2] = f.sec[3];
        f.sec[3] = t;
    }
    expect_refused(b.e, &f, "unexpected or missing section");
    snap_free(&f);
    f = copy(s);
    {
        section t = f.sec[4];
        f.sec[4] = f.sec[5];
        f.sec[5] = t;
    }
    expect_refused(b.e, &f, "unexpected or missing section");
    snap_free(&f);
    /* HEAD not first. */
    f = copy(s);
    {
        section t = f.sec[0];
        f.sec[0] = f.sec[1];
        f.sec[1] = t;
    }
    expect_refused(b.e, &f, "no header section");
    snap_free(&f);
    /* Missing: a middle one, the last one, the header. */
    f = copy(s);
    remove_section(&f, 3);
    expect_refused(b.e, &f, "unexpected or missing section");
    snap_free(&f);
    f = copy(s);
    remove_section(&f, f.n - 1);
    expect_refused(b.e, &f, "truncated section");
    snap_free(&f);
    f = copy(s);
    remove_section(&f, 0);
    expect_refused(b.e, &f, "no header section");
    snap_free(&f);
    /* A section twice. */
    f = copy(s);
    f.sec[f.n] = f.sec[f.n - 1];
    f.sec[f.n].body = malloc(f.sec[f.n].len + 1);
    assert_non_null(f.sec[f.n].body);
    memcpy(f.sec[f.n].body, f.sec[f.n - 1].body, f.sec[f.n].len);
    f.n++;
    expect_refused(b.e, &f, "unexpected length");
    snap_free(&f);
    /* Unknown tags, in place of a known one and of the header. */
    f = copy(s);
    f.sec[5].tag = TAG('X', 'T', 'R', 'A');
    expect_refused(b.e, &f, "unexpected or missing section");
    snap_free(&f);
    f = copy(s);
    f.sec[0].tag = TAG('h', 'e', 'a', 'd');
    expect_refused(b.e, &f, "no header section");
    snap_free(&f);
    /* An unknown section added between known ones. */
    f = copy(s);
    memmove(&f.sec[3], &f.sec[2], (f.n - 2) * sizeof *f.sec);
    f.sec[2].tag = TAG('N', 'E', 'W', '!');
    f.sec[2].len = 4;
    f.sec[2].body = calloc(1, 5);
    assert_non_null(f.sec[2].body);
    f.n++;
    expect_refused(b.e, &f, "unexpected or missing section");
    snap_free(&f);

    /* Lengths that do not match the content: longer than what the table
     * holds, for each section, and the header. */
    for (size_t i = 1; i < s->n; i++) {
        f = copy(s);
        splice(&f.sec[i], f.sec[i].len, 0, "\0\0\0\0", 4);
        expect_refused(b.e, &f, "bad section length");
        snap_free(&f);
    }
    f = copy(s);
    splice(&f.sec[0], f.sec[0].len, 0, "\0\0\0\0", 4);
    expect_refused(b.e, &f, "bad header section length");
    snap_free(&f);
    /* Shorter than the table: the last entry cut off. */
    f = copy(s);
    splice(sec(&f, JOIN), sec(&f, JOIN)->len - MARK_SIZE, MARK_SIZE, NULL, 0);
    expect_refused(b.e, &f, "bad join count");
    snap_free(&f);
    f = copy(s);
    splice(sec(&f, JOBS), sec(&f, JOBS)->len - 2, 2, NULL, 0);
    expect_refused(b.e, &f, "bad job");
    snap_free(&f);
    f = copy(s);
    splice(sec(&f, HEAD), sec(&f, HEAD)->len - 4, 4, NULL, 0);
    expect_refused(b.e, &f, "bad instance state");
    snap_free(&f);
    /* A length word that runs past the end of the snapshot. */
    f = copy(s);
    {
        size_t n;
        unsigned char *data = build(&f, &n);
        size_t off = 16;
        for (size_t i = 0; i + 1 < f.n; i++)
            off += 8 + f.sec[i].len;
        s32(data + off + 4, (uint32_t)f.sec[f.n - 1].len + 1);
        s64(data + n - 8, fnv1a64(data, n - 8));
        baton_instance *in = NULL;
        assert_int_equal(baton_instance_restore(b.e, data, n, &in),
                         BATON_ESNAPSHOT);
        assert_string_equal(baton_engine_errmsg(b.e),
                            "snapshot refused: truncated section");
        assert_null(in);
        free(data);
    }
    snap_free(&f);

    /* Trailing bytes after the last section. */
    f = copy(s);
    f.n_tail = 4;
    f.tail = calloc(1, 4);
    assert_non_null(f.tail);
    expect_refused(b.e, &f, "unexpected length");
    snap_free(&f);
    f = copy(s);
    f.n_tail = 1;
    f.tail = calloc(1, 1);
    assert_non_null(f.tail);
    expect_refused(b.e, &f, "unexpected length");
    snap_free(&f);

    base_free(&b);
}

static void test_forged_envelope(void **state)
{
    (void)state;
    const plan all = { "saga", SAGA, NULL, NULL, NULL };
    base b = base_at(SAGA, &all, "ReserveCar", 0);
    snap *s = &b.s;
    snap f;

    /* Format versions that do not exist (the checksum is right). */
    f = copy(s);
    s32(f.head + 4, 0);
    expect_refused(b.e, &f,
                   "format version 0, this library reads versions 1 to 6");
    snap_free(&f);
    f = copy(s);
    s32(f.head + 4, 7);
    expect_refused(b.e, &f,
                   "format version 7, this library reads versions 1 to 6");
    snap_free(&f);
    f = copy(s);
    s32(f.head + 4, 0xffffffffu);
    expect_refused(b.e, &f, "format version 4294967295, this library reads "
                            "versions 1 to 6");
    snap_free(&f);
    /* Format 5 names the model by its bytes: the same sections labelled
     * format 5 restore once the header says the bytes' checksum, and not
     * with the identity, nor format 6 with the bytes' checksum. */
    f = copy(s);
    s32(f.head + 4, 5);
    expect_refused_code(b.e, &f, BATON_ESNAPSHOT,
                        "snapshot refused: it was taken with another model "
                        "of process 'TripBookingSaga' version 1", __LINE__);
    named_by_bytes(&f);
    expect_restores(b.e, &f, __LINE__);
    s32(f.head + 4, 6);
    expect_refused_code(b.e, &f, BATON_ESNAPSHOT,
                        "snapshot refused: it was taken with another model "
                        "of process 'TripBookingSaga' version 1", __LINE__);
    snap_free(&f);
    /* Format 6's sections read as format 1: the tag is no string. */
    f = copy(s);
    s32(f.head + 4, 1);
    expect_refused(b.e, &f, "bad header");
    snap_free(&f);
    /* ... and as formats 2 to 4, which have no CALL section; once in
     * format 4, as format 2, which ends before SUBS and BACK, and as
     * format 3, which ends before LOOP. */
    for (uint32_t v = 2; v <= 4; v++) {
        f = copy(s);
        s32(f.head + 4, v);
        named_by_bytes(&f);
        expect_refused(b.e, &f, "unexpected or missing section");
        snap_free(&f);
    }
    f = copy(s);
    as_format4(&f);
    expect_restores(b.e, &f, __LINE__);
    s32(f.head + 4, 2);
    expect_refused(b.e, &f, "unexpected length");
    s32(f.head + 4, 3);
    expect_refused(b.e, &f, "unexpected length");
    snap_free(&f);
    /* Not Baton's magic. */
    f = copy(s);
    memcpy(f.head, "BATM", 4);
    expect_refused(b.e, &f, "not a Baton snapshot");
    snap_free(&f);

    /* The total-size field and the checksum are checked too. */
    size_t n;
    unsigned char *data = build(s, &n);
    baton_instance *in = NULL;
    s64(data + 8, n + 1);
    s64(data + n - 8, fnv1a64(data, n - 8));
    assert_int_equal(baton_instance_restore(b.e, data, n, &in),
                     BATON_ESNAPSHOT);
    assert_string_equal(baton_engine_errmsg(b.e),
                        "snapshot refused: truncated or extended");
    s64(data + 8, n);
    s64(data + n - 8, fnv1a64(data, n - 8) ^ 1);
    assert_int_equal(baton_instance_restore(b.e, data, n, &in),
                     BATON_ESNAPSHOT);
    assert_string_equal(baton_engine_errmsg(b.e),
                        "snapshot refused: checksum mismatch (damaged)");
    assert_int_equal(baton_instance_restore(b.e, data, 20, &in),
                     BATON_ESNAPSHOT);
    assert_string_equal(baton_engine_errmsg(b.e),
                        "snapshot refused: truncated or extended");
    assert_null(in);
    /* After all this, the real one still restores and runs to its end. */
    s64(data + n - 8, fnv1a64(data, n - 8));
    in = restore(b.e, data, n);
    assert_int_equal(baton_engine_errcode(b.e), 0);
    while (move(in, &all))
        ;
    assert_int_equal(baton_instance_state(in), BATON_INSTANCE_COMPLETED);
    baton_instance_free(in);
    free(data);
    base_free(&b);
}

/* The defects a checksum cannot stop: tables that are each well formed
 * but do not fit together. Each used to crash or hang the engine. */
static void test_forged_structure(void **state)
{
    (void)state;
    const plan all = { "saga", SAGA, NULL, NULL, NULL };
    snap f;
    /* Just created: the process's activation is queued. An error throw
     * queued for the process itself instead. */
    base b = base_at(SAGA, NULL, NULL, 0);
    f = copy(&b.s);
    s32(field(&f, QUEU, 4 + CMD_KIND), 4 /* BT_CMD_THROW_ERROR */);
    expect_refused(b.e, &f, "error thrown by no error end event");
    snap_free(&f);
    /* The process activated a second time, with the root already
     * active, by the element index -1 on a completion of nothing. */
    f = copy(&b.s);
    s32(field(&f, QUEU, 4 + CMD_KIND), 1 /* BT_CMD_COMPLETE */);
    s64(field(&f, QUEU, 4 + CMD_KEY), 0x4242);
    expect_refused(b.e, &f, "completion of no active element instance");
    snap_free(&f);
    base_free(&b);

    /* A job completed by the host: its task's completion is queued. An
     * error throw queued for the service task instead. */
    b.e = engine_with(SAGA);
    baton_instance *in = create(b.e);
    assert_int_equal(baton_instance_run(in, 0), BATON_STEP_WAITING);
    assert_true(baton_instance_job_count(in) >= 1);
    uint64_t job = baton_job_key(baton_instance_job(in, 0));
    assert_int_equal(baton_instance_complete_job(in, job, "{}", BATON_NUL),
                     0);
    size_t size;
    unsigned char *data = take_snapshot(in, &size);
    baton_instance_free(in);
    b.s = parse(data, size);
    free(data);
    check_layout(&b.s);
    assert_int_equal(count(&b.s, QUEU), 1);
    f = copy(&b.s);
    s32(field(&f, QUEU, 4 + CMD_KIND), 4 /* BT_CMD_THROW_ERROR */);
    expect_refused(b.e, &f, "error thrown by no error end event");
    snap_free(&f);
    /* A handler call for a job that does not exist. */
    f = copy(&b.s);
    s32(field(&f, QUEU, 4 + CMD_KIND), 2 /* BT_CMD_CALL_HANDLER */);
    expect_refused(b.e, &f, "handler call for no job");
    snap_free(&f);
    base_free(&b);

    /* Waiting at BookFlight, ReserveCar is in the compensation log. An
     * entry whose own log is the log it sits in (the recursion that never
     * ended), and an entry in the log of a scope that never was. */
    b = base_at(SAGA, &all, "BookFlight", 0);
    assert_true(count(&b.s, COMP) >= 1);
    f = copy(&b.s);
    s64(field(&f, COMP, 4 + COMP_SUB),
        g64(field(&f, COMP, 4 + COMP_SCOPE)));
    expect_refused(b.e, &f, "compensation entry of nothing to compensate");
    snap_free(&f);
    f = copy(&b.s);
    s64(field(&f, COMP, 4 + COMP_SCOPE),
        g64(field(&f, COMP, 4 + COMP_KEY)) - 1);
    expect_refused(b.e, &f, "compensation entry in the log of another scope");
    snap_free(&f);
    f = copy(&b.s);
    s64(field(&f, COMP, 4 + COMP_KEY), g64(field(&f, COMP, 4 + COMP_SCOPE)));
    expect_refused(b.e, &f, "compensation entry out of order");
    snap_free(&f);
    base_free(&b);
}

/* ---- subscriptions and backoffs (format 3) ------------------------ */

static uint32_t sub_with(snap *s, uint32_t state, uint32_t kind)
{
    for (uint32_t i = 0; i < count(s, SUBS); i++)
        if (g32(field(s, SUBS, sub_at(s, i) + SUB_STATE)) == state &&
            (state == S_TRIGGERED ||
             g32(field(s, SUBS, sub_at(s, i) + SUB_KIND)) == kind))
            return i;
    fail_msg("no subscription in state %u of kind %u", state, kind);
    return 0;
}

static void set_sub32(snap *s, uint32_t i, size_t f, uint32_t v)
{
    s32(field(s, SUBS, sub_at(s, i) + f), v);
}

static void set_sub64(snap *s, uint32_t i, size_t f, uint64_t v)
{
    s64(field(s, SUBS, sub_at(s, i) + f), v);
}

/* Replaces the str at `at` of a section with `text` (NULL: absent),
 * `n` bytes of it. */
static void set_str(section *x, size_t at, const char *text, size_t n)
{
    unsigned char *b = malloc(4 + n);
    assert_non_null(b);
    s32(b, text ? (uint32_t)n : NO_STR);
    if (text)
        memcpy(b + 4, text, n);
    splice(x, at, str_end(x, at) - at, b, 4 + (text ? n : 0));
    free(b);
}

static void expect_restores(baton_engine *e, const snap *s, int line)
{
    size_t n;
    unsigned char *data = build(s, &n);
    baton_instance *in = NULL;
    if (baton_instance_restore(e, data, n, &in))
        fail_msg("line %d: refused: %s", line, baton_engine_errmsg(e));
    baton_instance_free(in);
    free(data);
}

static uint64_t next_key_of(snap *s)
{
    return g64(field(s, HEAD, head_field(s, H_NEXT_KEY)));
}

/* Waiting for its job's backoff: the task's timer boundary is open. */
static void test_forged_backoffs(void **state)
{
    (void)state;
    base b = base_when("backoff", 0);
    snap *s = &b.s;
    snap f;
    assert_int_equal(count(s, JOBS), 1);
    assert_int_equal(count(s, BACK), 1);
    size_t j0 = job_at(s, 0);
    uint64_t job = g64(field(s, JOBS, j0 + JOB_KEY));
    assert_int_equal(g32(field(s, JOBS, j0 + JOB_STATE)), JOB_BACKOFF);
    assert_int_equal(g64(field(s, BACK, 4 + BACK_JOB)), job);
    assert_true(g64(field(s, BACK, 4 + BACK_DUE)) == T0 + 10000);

    /* The job in backoff without its due time. */
    f = copy(s);
    splice(sec(&f, BACK), 0, sec(&f, BACK)->len, "\0\0\0\0", 4);
    expect_refused(b.e, &f, "job in backoff without a due time");
    snap_free(&f);
    /* A due time for a job that does not exist, or is not in backoff. */
    f = copy(s);
    s64(field(&f, BACK, 4 + BACK_JOB), job + 0x100);
    expect_refused(b.e, &f, "due time of a job not in backoff");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, JOBS, j0 + JOB_STATE), 0);
    expect_refused(b.e, &f, "due time of a job not in backoff");
    snap_free(&f);
    /* The same job twice. */
    f = copy(s);
    {
        section *x = sec(&f, BACK);
        splice(x, x->len, 0, x->body + 4, BACK_SIZE);
        s32(x->body, 2);
    }
    expect_refused(b.e, &f, "due times out of job order");
    snap_free(&f);
    /* A count the section cannot hold. */
    f = copy(s);
    s32(field(&f, BACK, 0), 2);
    expect_refused(b.e, &f, "bad backoff count");
    snap_free(&f);
    /* Any time is a time, even before the epoch. */
    f = copy(s);
    s64(field(&f, BACK, 4 + BACK_DUE), (uint64_t)INT64_MIN);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);

    /* Format 2 had no backoffs: the same tables without SUBS and BACK
     * (and format 4's LOOP) are refused for the job's state... */
    f = copy(s);
    as_format4(&f);
    remove_section(&f, f.n - 1);
    remove_section(&f, f.n - 1);
    remove_section(&f, f.n - 1);
    s32(f.head + 4, 2);
    expect_refused(b.e, &f, "bad job");
    /* ... and restore with it ready (and the timer gone). */
    s32(field(&f, JOBS, j0 + JOB_STATE), 0);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);
    base_free(&b);

    /* A job held by an incident that is said to be in backoff too. */
    const plan inc = { "incident", SAGA, NULL, NULL, "BookHotel" };
    b.e = engine_with(SAGA);
    baton_instance *in = create(b.e);
    while (baton_instance_state(in) != BATON_INSTANCE_INCIDENT)
        assert_true(move(in, &inc));
    base_take(&b, in);
    s = &b.s;
    assert_int_equal(count(s, INCI), 1);
    uint64_t held = g64(field(s, INCI, inc_at(s, 0) + INC_JOB));
    uint32_t k;
    for (k = 0; k < count(s, JOBS); k++)
        if (g64(field(s, JOBS, job_at(s, k) + JOB_KEY)) == held)
            break;
    assert_true(k < count(s, JOBS));
    f = copy(s);
    s32(field(&f, JOBS, job_at(&f, k) + JOB_STATE), JOB_BACKOFF);
    {
        unsigned char e[4 + BACK_SIZE];
        s32(e, 1);
        s64(e + 4 + BACK_JOB, held);
        s64(e + 4 + BACK_DUE, T0);
        splice(sec(&f, BACK), 0, sec(&f, BACK)->len, e, sizeof e);
    }
    expect_refused(b.e, &f, "job in backoff held by an incident");
    snap_free(&f);
    base_free(&b);
}

static void test_forged_subscriptions(void **state)
{
    (void)state;
    /* The task's timer boundary, open. */
    base b = base_when("backoff", 0);
    snap *s = &b.s;
    snap f;
    assert_int_equal(count(s, SUBS), 1);
    uint32_t t = sub_with(s, S_OPEN, K_TIMER);
    uint64_t key = g64(field(s, SUBS, sub_at(s, t) + SUB_KEY));
    uint64_t owner = g64(field(s, SUBS, sub_at(s, t) + SUB_OWNER));
    uint64_t root = ei_key(s, 0);
    assert_int_equal(g32(field(s, SUBS, sub_at(s, t) + SUB_REPEAT)), 1);

    /* Values out of range. */
    f = copy(s);
    set_sub32(&f, t, SUB_KIND, 4);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, t, SUB_STATE, 3);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, t, SUB_ELEMENT, 100000);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, t, SUB_ELEMENT, 0xffffffffu);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, t, SUB_REPEAT, 0xfffffffeu);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, t, SUB_REPEAT, 0);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    /* Fired as often as it fires in all: it would be closed. */
    f = copy(s);
    set_sub32(&f, t, SUB_FIRED, 1);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    /* Without end, it may have fired any number of times. */
    f = copy(s);
    set_sub32(&f, t, SUB_REPEAT, 0xffffffffu);
    set_sub32(&f, t, SUB_FIRED, 0xffffffffu);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);
    /* A timer is never pending; an open one fired nothing yet. */
    f = copy(s);
    set_sub32(&f, t, SUB_STATE, S_PENDING);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, SUBS, sub_source(&f, t)), key - 1);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    set_str(sec(&f, SUBS), sub_payload(&f, t), "{}", 2);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    /* Kinds without what they need, or with what they cannot have: a
     * message without a name, a condition with one, a signal with a
     * correlation key. */
    f = copy(s);
    set_sub32(&f, t, SUB_KIND, K_MESSAGE);
    set_sub64(&f, t, SUB_DUE, 0);
    set_sub32(&f, t, SUB_REPEAT, 0xffffffffu);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, t, SUB_KIND, K_CONDITION);
    set_sub64(&f, t, SUB_DUE, 0);
    set_sub32(&f, t, SUB_REPEAT, 0xffffffffu);
    set_str(sec(&f, SUBS), sub_at(&f, t) + SUB_NAME, "x", 1);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, t, SUB_KIND, K_SIGNAL);
    set_sub64(&f, t, SUB_DUE, 0);
    set_sub32(&f, t, SUB_REPEAT, 0xffffffffu);
    set_str(sec(&f, SUBS), sub_at(&f, t) + SUB_NAME, "go", 2);
    set_str(sec(&f, SUBS), sub_corr(&f, t), "k", 1);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    /* A name with a NUL inside. */
    f = copy(s);
    set_str(sec(&f, SUBS), sub_at(&f, t) + SUB_NAME, "P\0T1H", 5);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);

    /* Keys: non-zero, no other's, below the next key. */
    f = copy(s);
    set_sub64(&f, t, SUB_KEY, 0);
    expect_refused(b.e, &f, "subscription key not unique");
    snap_free(&f);
    f = copy(s);
    set_sub64(&f, t, SUB_KEY, root);
    expect_refused(b.e, &f, "subscription key not unique");
    snap_free(&f);
    f = copy(s);
    set_sub64(&f, t, SUB_KEY, g64(field(&f, JOBS, job_at(&f, 0) + JOB_KEY)));
    expect_refused(b.e, &f, "subscription key not unique");
    snap_free(&f);
    f = copy(s);
    set_sub64(&f, t, SUB_KEY, next_key_of(&f));
    expect_refused(b.e, &f, "subscription key not below the next key");
    snap_free(&f);
    f = copy(s);
    {
        section *x = sec(&f, SUBS);
        size_t at = sub_at(&f, t), end = sub_source(&f, t) + 8;
        unsigned char *dup = malloc(end - at);
        assert_non_null(dup);
        memcpy(dup, x->body + at, end - at);
        splice(x, x->len, 0, dup, end - at);
        s32(x->body, 2);
        free(dup);
    }
    expect_refused(b.e, &f, "subscription key not unique");
    snap_free(&f);

    /* Its element instance: none, or one that does not wait for it. */
    f = copy(s);
    set_sub64(&f, t, SUB_OWNER, owner + 0x4000);
    expect_refused(b.e, &f, "subscription of no element instance");
    snap_free(&f);
    f = copy(s);
    set_sub64(&f, t, SUB_OWNER, root);
    expect_refused(b.e, &f,
                   "subscription for an element that does not wait for it");
    snap_free(&f);
    /* The boundary event's element changed for the task's own: a task
     * has no timer of its own. */
    f = copy(s);
    set_sub32(&f, t, SUB_ELEMENT,
              g32(field(&f, JOBS, job_at(&f, 0) + JOB_ELEMENT)));
    expect_refused(b.e, &f,
                   "subscription for an element that does not wait for it");
    snap_free(&f);
    /* The timer boundary said to wait for a condition. */
    f = copy(s);
    set_sub32(&f, t, SUB_KIND, K_CONDITION);
    set_sub64(&f, t, SUB_DUE, 0);
    set_sub32(&f, t, SUB_REPEAT, 0xffffffffu);
    expect_refused(b.e, &f,
                   "subscription for an element that does not wait for it");
    snap_free(&f);

    /* Counts. */
    f = copy(s);
    s32(field(&f, SUBS, 0), 2);
    expect_refused(b.e, &f, "bad subscription count");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, SUBS, 0), 0x10000000u);
    expect_refused(b.e, &f, "bad subscription count");
    snap_free(&f);
    /* The subscription removed: the task just no longer waits for its
     * timer, which nothing else names. */
    f = copy(s);
    splice(sec(&f, SUBS), 0, sec(&f, SUBS)->len, "\0\0\0\0", 4);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);
    base_free(&b);

    /* The message arrived: its subscription waits (PENDING) for the
     * TRIGGER command queued with the event's entry. */
    b = base_when("message", 0);
    s = &b.s;
    assert_int_equal(count(s, SUBS), 2);
    assert_int_equal(count(s, QUEU), 1);
    uint32_t p = sub_with(s, S_PENDING, K_MESSAGE);
    uint32_t e = sub_with(s, S_TRIGGERED, 0);
    uint64_t pkey = g64(field(s, SUBS, sub_at(s, p) + SUB_KEY));
    uint64_t ekey = g64(field(s, SUBS, sub_at(s, e) + SUB_KEY));
    assert_int_equal(g64(field(s, SUBS, sub_source(s, e))), pkey);
    assert_int_equal(g32(field(s, QUEU, 4 + CMD_KIND)), 7 /* TRIGGER */);
    assert_int_equal(g64(field(s, QUEU, 4 + CMD_SCOPE)), ekey);
    {
        section *x = sec(s, SUBS);
        size_t at = sub_payload(s, e);
        assert_int_equal(g32(x->body + at), 16);
        assert_memory_equal(x->body + at + 4, "{\"answer\":\"yes\"}", 16);
    }

    /* Payloads: JSON objects only. */
    f = copy(s);
    set_str(sec(&f, SUBS), sub_payload(&f, e), "[1]", 3);
    expect_refused(b.e, &f, "bad subscription payload");
    snap_free(&f);
    f = copy(s);
    set_str(sec(&f, SUBS), sub_payload(&f, e), "{\"a\":", 5);
    expect_refused(b.e, &f, "bad subscription payload");
    snap_free(&f);
    f = copy(s);
    set_str(sec(&f, SUBS), sub_payload(&f, e), "{\"a\":1,\"a\":2}", 13);
    expect_refused(b.e, &f, "bad subscription payload");
    snap_free(&f);
    /* An event that occurred has no name; its source is older. */
    f = copy(s);
    set_str(sec(&f, SUBS), sub_at(&f, e) + SUB_NAME, "reply", 5);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, SUBS, sub_source(&f, e)), ekey);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    /* A message without its name. */
    f = copy(s);
    set_str(sec(&f, SUBS), sub_at(&f, p) + SUB_NAME, NULL, 0);
    expect_refused(b.e, &f, "bad subscription");
    snap_free(&f);
    /* The pending subscription named by no event that occurred. */
    f = copy(s);
    s64(field(&f, SUBS, sub_source(&f, e)), pkey - 1);
    expect_refused(b.e, &f, "pending subscription with no event that "
                            "occurred");
    snap_free(&f);
    /* The entry of another element instance than its subscription. */
    f = copy(s);
    set_sub64(&f, e, SUB_OWNER, root);
    expect_refused(b.e, &f, "event acted on that did not occur");
    snap_free(&f);

    /* The TRIGGER command: naming no entry there could have been, a
     * subscription that is none, another element, another element
     * instance. */
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_SCOPE), next_key_of(&f));
    expect_refused(b.e, &f, "event acted on that did not occur");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_SCOPE), 0);
    expect_refused(b.e, &f, "event acted on that did not occur");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_SCOPE), pkey);
    expect_refused(b.e, &f, "event acted on that did not occur");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, QUEU, 4 + CMD_ELEMENT), 0);
    expect_refused(b.e, &f, "event acted on that did not occur");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_KEY), root);
    expect_refused(b.e, &f, "event acted on that did not occur");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_KEY), root + 0x4000);
    expect_refused(b.e, &f, "event for no active element instance");
    snap_free(&f);
    /* One whose entry is gone (its element instance ended, or closed
     * it) is left for the trigger to ignore. */
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_KEY), root + 1); /* the start event's */
    s64(field(&f, QUEU, 4 + CMD_SCOPE), root + 1);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_SCOPE), root + 1);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);
    base_free(&b);
}

/* The commands events bring: an activation by an event that occurred, an
 * evaluation of the conditions, a subscription opened again. */
/* Multi-instance state (LOOP): a sequential body waiting at its first
 * inner instance. Every body and inner instance has an entry that fits
 * it, and the counts add up. */
static void test_forged_loops(void **state)
{
    (void)state;
    const plan p = { "loops", LOOPS, NULL, NULL, NULL };
    base b = base_at(LOOPS, &p, "seq", 0);
    snap *s = &b.s;
    snap f;
    assert_int_equal(count(s, LOOP), 2);
    size_t body = loop_at(s, 0), inner = loop_at(s, 1);
    assert_int_equal(g32(field(s, LOOP, body + LOOP_INDEX)), 0);
    assert_int_equal(g32(field(s, LOOP, body + LOOP_TOTAL)), 3);
    assert_int_equal(g32(field(s, LOOP, body + LOOP_NEXT)), 1);
    assert_int_equal(g32(field(s, LOOP, inner + LOOP_INDEX)), 1);
    expect_restores(b.e, s, __LINE__);

    /* Without the section's entries. */
    f = copy(s);
    splice(sec(&f, LOOP), 0, sec(&f, LOOP)->len, "\0\0\0\0", 4);
    expect_refused(b.e, &f, "multi-instance element without its state");
    snap_free(&f);
    /* The same as format 3, which had no such state. */
    f = copy(s);
    as_format4(&f);
    remove_section(&f, f.n - 1);
    s32(f.head + 4, 3);
    expect_refused(b.e, &f, "multi-instance element without its state");
    snap_free(&f);
    /* A count the section cannot hold. */
    f = copy(s);
    s32(field(&f, LOOP, 0), 3);
    expect_refused(b.e, &f, "bad multi-instance count");
    snap_free(&f);
    /* An entry for no element instance, and one twice. */
    f = copy(s);
    s64(field(&f, LOOP, inner + LOOP_KEY), 0x7777);
    expect_refused(b.e, &f,
                   "multi-instance state of no element instance, or twice");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, LOOP, inner + LOOP_KEY),
        g64(field(&f, LOOP, body + LOOP_KEY)));
    expect_refused(b.e, &f,
                   "multi-instance state of no element instance, or twice");
    snap_free(&f);
    /* An inner instance without a place, or at one not handed out. */
    f = copy(s);
    s32(field(&f, LOOP, inner + LOOP_INDEX), 0);
    expect_refused(b.e, &f, "bad place of an inner instance");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, LOOP, inner + LOOP_INDEX), 2);
    expect_refused(b.e, &f,
                   "inner instance at a place its body did not hand out");
    snap_free(&f);
    /* A body with a place, or counts out of range. */
    f = copy(s);
    s32(field(&f, LOOP, body + LOOP_INDEX), 1);
    expect_refused(b.e, &f, "bad multi-instance body");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, LOOP, body + LOOP_NEXT), 4);
    expect_refused(b.e, &f, "bad multi-instance body");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, LOOP, body + LOOP_DONE), 1);
    expect_refused(b.e, &f, "multi-instance body counts that do not add up");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, LOOP, body + LOOP_ENDED), 2);
    expect_refused(b.e, &f, "bad multi-instance body");
    snap_free(&f);
    /* A collection that is not the list of its instances. */
    f = copy(s);
    {
        section *x = sec(&f, LOOP);
        size_t at = body + LOOP_ITEMS;
        splice(x, at + 4, g32(x->body + at), "[1]", 3);
        s32(x->body + at, 3);
    }
    expect_refused(b.e, &f, "bad multi-instance collection");
    snap_free(&f);
    /* An inner instance moved out of its body. */
    f = copy(s);
    {
        uint32_t n = count(&f, ELEM);
        uint64_t ikey = g64(field(&f, LOOP, inner + LOOP_KEY));
        for (uint32_t i = 0; i < n; i++) {
            size_t at = elem_at(&f, i);
            if (g64(field(&f, ELEM, at + EI_KEY)) == ikey)
                s64(field(&f, ELEM, at + EI_SCOPE),
                    g64(field(&f, ELEM, elem_at(&f, 0) + EI_KEY)));
        }
    }
    expect_refused(b.e, &f, "bad multi-instance body");
    snap_free(&f);
    base_free(&b);
}

static void test_forged_event_commands(void **state)
{
    (void)state;
    /* The signal arrived and the gateway took its flow: the catch event
     * is queued with the entry of the event. */
    base b = base_when("signal", 1);
    snap *s = &b.s;
    snap f;
    assert_int_equal(count(s, QUEU), 1);
    assert_int_equal(g32(field(s, QUEU, 4 + CMD_KIND)), 0 /* ACTIVATE */);
    uint32_t e = sub_with(s, S_TRIGGERED, 0);
    uint64_t ekey = g64(field(s, SUBS, sub_at(s, e) + SUB_KEY));
    assert_int_equal(g64(field(s, QUEU, 4 + CMD_KEY)), ekey);
    assert_int_equal(g64(field(s, SUBS, sub_source(s, e))), 0);
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_KEY), ekey + 0x100);
    expect_refused(b.e, &f, "activation by an event that did not occur");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, e, SUB_ELEMENT, 0);
    expect_refused(b.e, &f, "activation by an event that did not occur");
    snap_free(&f);
    f = copy(s);
    set_sub32(&f, e, SUB_STATE, S_OPEN); /* a timer of the process */
    expect_refused(b.e, &f,
                   "subscription for an element that does not wait for it");
    snap_free(&f);
    /* Without the entry's variables, the activation stands alone. */
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_KEY), 0);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);
    base_free(&b);

    /* The variable set: every condition is evaluated at the next step. */
    b = base_when("set", 0);
    s = &b.s;
    assert_int_equal(count(s, QUEU), 1);
    assert_int_equal(g32(field(s, QUEU, 4 + CMD_KIND)), 5 /* CONDITIONS */);
    f = copy(s);
    s32(field(&f, QUEU, 4 + CMD_ELEMENT), 1);
    expect_refused(b.e, &f,
                   "evaluation of conditions that names something else");
    snap_free(&f);
    /* Its bound (the subscriptions open before the change) is a key the
     * instance has handed out. */
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_SCOPE), next_key_of(&f) + 1);
    expect_refused(b.e, &f,
                   "evaluation of conditions that names something else");
    snap_free(&f);
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_KEY), next_key_of(&f));
    expect_refused(b.e, &f,
                   "evaluation of conditions that names something else");
    snap_free(&f);
    /* Those after a subscription that closed since. */
    f = copy(s);
    s64(field(&f, QUEU, 4 + CMD_KEY), next_key_of(&f) - 1);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);
    /* Subscriptions opened again: for an active element instance, naming
     * its element (-1 for the process). */
    f = copy(s);
    s32(field(&f, QUEU, 4 + CMD_KIND), 6 /* SUBSCRIBE */);
    expect_refused(b.e, &f,
                   "subscriptions opened for no active element instance");
    snap_free(&f);
    f = copy(s);
    s32(field(&f, QUEU, 4 + CMD_KIND), 6 /* SUBSCRIBE */);
    s64(field(&f, QUEU, 4 + CMD_KEY), ei_key(&f, 0));
    s64(field(&f, QUEU, 4 + CMD_SCOPE), 0); /* the evaluation's bound */
    expect_refused(b.e, &f,
                   "subscriptions opened for no active element instance");
    s32(field(&f, QUEU, 4 + CMD_ELEMENT), 0xffffffffu);
    expect_restores(b.e, &f, __LINE__);
    snap_free(&f);
    base_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_stop),
        cmocka_unit_test(test_restored_goes_on_alike),
        cmocka_unit_test(test_process_completion_queued),
        cmocka_unit_test(test_forged_elements),
        cmocka_unit_test(test_forged_scopes),
        cmocka_unit_test(test_forged_join_in_process),
        cmocka_unit_test(test_forged_jobs),
        cmocka_unit_test(test_forged_keys),
        cmocka_unit_test(test_forged_queue_and_incidents),
        cmocka_unit_test(test_forged_sections),
        cmocka_unit_test(test_forged_envelope),
        cmocka_unit_test(test_forged_structure),
        cmocka_unit_test(test_forged_backoffs),
        cmocka_unit_test(test_forged_subscriptions),
        cmocka_unit_test(test_forged_event_commands),
        cmocka_unit_test(test_forged_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
