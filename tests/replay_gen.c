/* Random valid BPMN models for the replay property test; see
 * replay_gen.h.
 *
 * A model is block-structured, so that it always loads and never
 * deadlocks by construction: a scope (the process, a subprocess, an
 * event subprocess) is a start event and a path; a path is a sequence
 * of blocks ending in an end event or flowing into the gateway that
 * closes the block around it. The blocks are a task (a job, or now and
 * then a script task the engine evaluates, zeebe:script) or receive task
 * (with, now and then, boundary events: error, timer, message, signal,
 * conditional and, on subprocesses, escalation ones; the paths of those
 * that interrupt merge back through an exclusive gateway, the others end
 * on their own; and a compensation boundary event with its handler), a
 * parallel fork whose branches all reach its join (now and then an
 * inclusive join, which waits only for the branches that can still reach
 * it, so they may end on the way), an exclusive split whose branches
 * reach its merge (now and then an inclusive join) or end, an inclusive
 * fork whose branches (those whose condition holds, or without one) reach
 * its inclusive join or end, an event-based gateway whose
 * catch events (message, timer, signal, conditional) do the same, an
 * embedded subprocess (decorated as a task is), an intermediate throw
 * event (none, compensation of the scope or of one activity, signal,
 * escalation, message, or a link throw and its catch), and an
 * intermediate catch event (timer, message, signal, conditional). A
 * scope may hold event subprocesses started by an error, timer,
 * message, signal, escalation or condition, interrupting or not.
 *
 * A branch of a parallel block into a parallel join may end only by an
 * error or terminate end event, which leave the scope anyway; a none or
 * compensation end event (or a message, signal or escalation one) there
 * would leave the join waiting for ever. The path of a non-interrupting boundary event runs
 * beside its activity and ends on its own.
 *
 * What keeps runs finite: no loops; timer cycles repeat two or three
 * times; conditional events read only c0..c2, which nothing in a model
 * writes; the paths of non-interrupting conditional events are quiet:
 * they write no variables (the engine evaluates every condition again at
 * each change of variables, so such a path would start itself again);
 * and the body of an escalation event subprocess
 * throws no escalation (it could start itself again). Messages and
 * signals come from the host, which bounds its own actions. */
#include "replay_gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Randomness                                                          */
/* ------------------------------------------------------------------ */

uint64_t rg_next(rg_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

unsigned rg_below(rg_rng *r, unsigned n)
{
    return n ? (unsigned)(rg_next(r) % n) : 0;
}

int rg_chance(rg_rng *r, unsigned percent)
{
    return rg_below(r, 100) < percent;
}

uint64_t rg_hash(uint64_t seed, const char *s, uint64_t a, uint64_t b)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    rg_rng r = { h };
    r.s ^= rg_next(&r) + a;
    r.s ^= rg_next(&r) + b;
    return rg_next(&r);
}

const char *const rg_codes[RG_N_CODES] = { "E0", "E1", "E2", "E3", "E4" };
const char *const rg_messages[RG_N_MESSAGES] = { "m0", "m1", "m2" };
/* "7" is set as the number 7: a correlation key may be one. */
const char *const rg_keys[RG_N_KEYS] = { "k0", "k1", "7" };
const char *const rg_signals[RG_N_SIGNALS] = { "s0", "s1", "s2" };
const char *const rg_escalations[RG_N_ESCALATIONS] = { "X0", "X1", "X2" };

/* Thrown codes and caught codes lean the same way (E0 most), so that a
 * throw finds its catch often and misses it often too. */
const char *rg_code(rg_rng *r)
{
    unsigned roll = rg_below(r, 100);
    return rg_codes[roll < 40 ? 0 : roll < 65 ? 1 : roll < 80 ? 2
                    : roll < 90 ? 3 : 4];
}

/* ------------------------------------------------------------------ */
/* Variables                                                           */
/* ------------------------------------------------------------------ */

static void vadd(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
    va_list ap;
    if (*n >= cap)
        return;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, cap - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n += (size_t)k;
    if (*n >= cap)
        *n = cap - 1;
}

void rg_vars(rg_rng *r, int all, char *buf, size_t cap)
{
    static const char *const words[] = { "a", "b", "c" };
    size_t n = 0;
    int first = 1;
    buf[0] = '\0';
    vadd(buf, cap, &n, "{");
#define SEP() (first ? (first = 0, "") : ", ")
    for (unsigned i = 0; i < 3; i++)
        if (all ? !rg_chance(r, 4) : rg_chance(r, 30)) {
            if (rg_chance(r, 5))
                vadd(buf, cap, &n, "%s\"g%u\": \"%u\"", SEP(), i,
                     rg_below(r, 10));
            else
                vadd(buf, cap, &n, "%s\"g%u\": %u", SEP(), i,
                     rg_below(r, 10));
        }
    for (unsigned i = 0; i < 2; i++)
        if (all ? !rg_chance(r, 4) : rg_chance(r, 25))
            vadd(buf, cap, &n, "%s\"b%u\": %s", SEP(), i,
                 rg_chance(r, 3) ? "null"
                                 : rg_chance(r, 50) ? "true" : "false");
    if (all ? !rg_chance(r, 4) : rg_chance(r, 20))
        vadd(buf, cap, &n, "%s\"s0\": \"%s\"", SEP(), words[rg_below(r, 3)]);
    if (all ? !rg_chance(r, 4) : rg_chance(r, 20)) {
        if (rg_chance(r, 5))
            vadd(buf, cap, &n, "%s\"o\": [%u]", SEP(), rg_below(r, 10));
        else
            vadd(buf, cap, &n, "%s\"o\": {\"x\": %u}", SEP(),
                 rg_below(r, 10));
    }
    for (unsigned i = 0; i < 3; i++)
        if (rg_chance(r, all ? 10 : 30)) {
            switch (rg_below(r, 4)) {
            case 0:
                vadd(buf, cap, &n, "%s\"r%u\": %u", SEP(), i,
                     rg_below(r, 100));
                break;
            case 1:
                vadd(buf, cap, &n, "%s\"r%u\": \"%s\"", SEP(), i,
                     words[rg_below(r, 3)]);
                break;
            case 2:
                vadd(buf, cap, &n, "%s\"r%u\": {\"k\": [1, %u]}", SEP(), i,
                     rg_below(r, 10));
                break;
            default:
                vadd(buf, cap, &n, "%s\"r%u\": %u.5", SEP(), i,
                     rg_below(r, 10));
                break;
            }
        }
    /* What message subscriptions, timers and conditions read. */
    unsigned key = rg_below(r, RG_N_KEYS);
    if (all ? !rg_chance(r, 4) : rg_chance(r, 8)) {
        if (key == 2)
            vadd(buf, cap, &n, "%s\"ck\": 7", SEP());
        else
            vadd(buf, cap, &n, "%s\"ck\": \"%s\"", SEP(), rg_keys[key]);
    } else if (!all && rg_chance(r, 1)) {
        vadd(buf, cap, &n, "%s\"ck\": true", SEP());
    }
    if (all ? !rg_chance(r, 4) : rg_chance(r, 3))
        vadd(buf, cap, &n, "%s\"tw\": \"PT%uM\"", SEP(), 1 + rg_below(r, 5));
    else if (!all && rg_chance(r, 1))
        vadd(buf, cap, &n, "%s\"tw\": \"soon\"", SEP());
    /* Now and then left unset: a condition that is no boolean raises a
     * CONDITION_ERROR incident, which the element's other events may
     * outlive. */
    if (all && !rg_chance(r, 10)) {
        vadd(buf, cap, &n, "%s\"c0\": %s", SEP(),
             rg_chance(r, 20) ? "true" : "false");
        vadd(buf, cap, &n, "%s\"c1\": \"%s\"", SEP(),
             rg_chance(r, 20) ? "go" : "wait");
        vadd(buf, cap, &n, "%s\"c2\": %u", SEP(),
             rg_chance(r, 20) ? 3 + rg_below(r, 3) : rg_below(r, 3));
    }
#undef SEP
    vadd(buf, cap, &n, "}");
}

void rg_cond_vars(rg_rng *r, char *buf, size_t cap)
{
    size_t n = 0;
    int first = 1;
    buf[0] = '\0';
    vadd(buf, cap, &n, "{");
#define SEP() (first ? (first = 0, "") : ", ")
    unsigned which = 1 + rg_below(r, 7); /* a non-empty subset */
    if (which & 1)
        vadd(buf, cap, &n, "%s\"c0\": %s", SEP(),
             rg_chance(r, 60) ? "true" : "false");
    if (which & 2)
        vadd(buf, cap, &n, "%s\"c1\": \"%s\"", SEP(),
             rg_chance(r, 60) ? "go" : "wait");
    if (which & 4)
        vadd(buf, cap, &n, "%s\"c2\": %u", SEP(), rg_below(r, 6));
#undef SEP
    vadd(buf, cap, &n, "}");
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

typedef struct buf {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void bput(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void bputs(buf *b, const char *s)
{
    bput(b, s, strlen(s));
}

static void bvprintf(buf *b, const char *fmt, va_list ap)
{
    char tmp[512];
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    if (k < 0 || (size_t)k >= sizeof tmp) {
        b->oom = 1; /* no line here is that long */
        return;
    }
    bput(b, tmp, (size_t)k);
}

static void bprintf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bvprintf(b, fmt, ap);
    va_end(ap);
}

/* XML text or attribute value. */
static void bescape(buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': bputs(b, "&amp;"); break;
        case '<': bputs(b, "&lt;"); break;
        case '>': bputs(b, "&gt;"); break;
        case '"': bputs(b, "&quot;"); break;
        default: bput(b, s, 1); break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* The generator                                                       */
/* ------------------------------------------------------------------ */

#define ID_LEN 16
#define MAX_ACTS 64

typedef struct scope {
    buf body;                  /* its elements and flows */
    const struct scope *outer; /* an event subprocess: the scope holding it */
    int depth;                 /* subprocess nesting, for indentation */
    int top;                   /* the process, or an event subprocess of
                                  it: nothing outside catches an error */
    char acts[MAX_ACTS][ID_LEN]; /* activities, for activityRef */
    unsigned n_acts;
    int cancel; /* a transaction with a cancel boundary event: its paths
                   may end in a cancel end event */
} scope;

typedef struct gen {
    rg_rng r;
    int budget; /* flow nodes still to spend */
    unsigned ids, flows;
    int quiet;          /* in the path of a non-interrupting conditional
                           event: no mappings */
    int no_escalations; /* in an escalation event subprocess: no
                           escalation throws */
    int mi;             /* the task just made is multi-instance or a
                           standard loop (a compensation handler never
                           is: refused at load) */
    buf callees;        /* the processes call activities call */
    int no_comp_bound;  /* the subprocess just made has a compensation
                           event subprocess: no compensation boundary
                           (refused at load) */
    rg_model *m;
    int oom;
} gen;

/* An edge still to draw: from `src`, with a condition (or NULL), and
 * where to write the flow's id (or NULL). */
typedef struct edge {
    char src[ID_LEN];
    const char *cond;
    char *flow_id;
} edge;

/* The end events a path may finish with. */
enum { END_NONE = 1, END_TERMINATE = 2, END_ERROR = 4, END_COMPENSATE = 8,
       END_ALL = 15, END_LEAVING = END_TERMINATE | END_ERROR };

/* What a catch waits for. */
enum { EV_ERROR, EV_TIMER, EV_MESSAGE, EV_SIGNAL, EV_COND, EV_ESCALATION,
       EV_CANCEL };

/* What a timer may be: one that waits once (TM_CATCH: an intermediate
 * catch event, which takes no cycle), one that fires once (TM_ONCE: an
 * interrupting boundary event or event subprocess, where a cycle fires
 * once too), or one that may repeat (TM_REPEAT: a non-interrupting one,
 * a cycle of two or three). */
enum { TM_CATCH, TM_ONCE, TM_REPEAT };

/* Appends what an inner scope made to `into`, and frees it. */
static void take_body(buf *into, scope *in)
{
    if (in->body.p)
        bputs(into, in->body.p);
    into->oom |= in->body.oom;
    free(in->body.p);
    in->body.p = NULL;
}

static void emit(scope *s, const char *fmt, ...)
{
    for (int i = 0; i < s->depth + 2; i++)
        bputs(&s->body, "  ");
    va_list ap;
    va_start(ap, fmt);
    bvprintf(&s->body, fmt, ap);
    va_end(ap);
    bputs(&s->body, "\n");
}

static void node(gen *g, const char *prefix, char id[ID_LEN], int kind)
{
    snprintf(id, ID_LEN, "%s%u", prefix, ++g->ids);
    g->budget--;
    g->m->n_nodes++;
    if (kind >= 0)
        g->m->n[kind]++;
}

static void edge_from(edge *e, const char *src)
{
    snprintf(e->src, ID_LEN, "%s", src);
    e->cond = NULL;
    e->flow_id = NULL;
}

static void link(gen *g, scope *s, const edge *in, const char *dst)
{
    char id[ID_LEN];
    if (!in->src[0])
        return; /* the first node of a scope without a start event */
    snprintf(id, sizeof id, "f%u", ++g->flows);
    g->m->n_flows++;
    if (in->flow_id)
        snprintf(in->flow_id, ID_LEN, "%s", id);
    if (!in->cond) {
        emit(s, "<sequenceFlow id=\"%s\" sourceRef=\"%s\" targetRef=\"%s\"/>",
             id, in->src, dst);
        return;
    }
    g->m->n[RG_CONDITION]++;
    emit(s, "<sequenceFlow id=\"%s\" sourceRef=\"%s\" targetRef=\"%s\">", id,
         in->src, dst);
    for (int i = 0; i < s->depth + 3; i++)
        bputs(&s->body, "  ");
    bputs(&s->body, "<conditionExpression>= ");
    bescape(&s->body, in->cond);
    bputs(&s->body, "</conditionExpression>\n");
    emit(s, "</sequenceFlow>");
}

/* A FEEL comparison of the variables the host sets. */
static void atom(gen *g, char *out, size_t cap)
{
    rg_rng *r = &g->r;
    unsigned i = rg_below(r, 3), j = rg_below(r, 3), k = rg_below(r, 10);
    switch (rg_below(r, 10)) {
    case 0: snprintf(out, cap, "g%u > %u", i, k); break;
    case 1: snprintf(out, cap, "g%u <= %u", i, k); break;
    case 2: snprintf(out, cap, "g%u = %u", i, k); break;
    case 3: snprintf(out, cap, "g%u != %u", i, k); break;
    case 4: snprintf(out, cap, "b%u", i % 2); break;
    case 5: snprintf(out, cap, "not(b%u)", i % 2); break;
    case 6: snprintf(out, cap, "s0 = \"%c\"", 'a' + (int)(k % 3)); break;
    case 7: snprintf(out, cap, "o.x >= %u", k); break;
    case 8: snprintf(out, cap, "g%u + g%u > %u", i, j, k + 4); break;
    default: snprintf(out, cap, "g%u * 2 < %u", i, k * 2); break;
    }
}

static void condition(gen *g, char *out, size_t cap)
{
    char a[64], b[64], c[64];
    atom(g, a, sizeof a);
    switch (rg_below(&g->r, 8)) {
    case 0:
    case 1:
        atom(g, b, sizeof b);
        snprintf(out, cap, "%s and %s", a, b);
        break;
    case 2:
        atom(g, b, sizeof b);
        snprintf(out, cap, "%s or %s", a, b);
        break;
    case 3:
        atom(g, b, sizeof b);
        atom(g, c, sizeof c);
        snprintf(out, cap, "(%s or %s) and %s", a, b, c);
        break;
    default:
        snprintf(out, cap, "%s", a);
        break;
    }
}

/* zeebe:ioMapping with simple FEEL sources, some writing the variables
 * the gateways read. */
static void mappings(gen *g, scope *s)
{
    static const char *const in_src[] = {
        "= g0 + 1", "= o.x", "= s0", "= b1", "fixed", "= r0", "= g2 * 3",
    };
    static const char *const out_src[] = {
        "= r0", "= r1", "= g1 * 2", "= o.x", "= r0 + 1", "done", "= in0",
        "= b0 and b1",
    };
    static const char *const out_dst[] = {
        "m0", "m1", "g0", "g1", "g2", "o.y", "r2", "b0",
    };
    rg_rng *r = &g->r;
    unsigned n_in = rg_below(r, 3), n_out = rg_below(r, 3);
    if (!n_in && !n_out)
        n_out = 1;
    emit(s, "  <zeebe:ioMapping>");
    for (unsigned i = 0; i < n_in; i++) {
        const char *src = in_src[rg_below(r, sizeof in_src / sizeof *in_src)];
        if (rg_chance(r, 25))
            emit(s, "    <zeebe:input source=\"%s\" target=\"g%u\"/>", src,
                 rg_below(r, 3));
        else
            emit(s, "    <zeebe:input source=\"%s\" target=\"in%u\"/>", src,
                 i);
        g->m->n[RG_IO_MAPPING]++;
    }
    for (unsigned i = 0; i < n_out; i++) {
        emit(s, "    <zeebe:output source=\"%s\" target=\"%s\"/>",
             out_src[rg_below(r, sizeof out_src / sizeof *out_src)],
             out_dst[rg_below(r, sizeof out_dst / sizeof *out_dst)]);
        g->m->n[RG_IO_MAPPING]++;
    }
    emit(s, "  </zeebe:ioMapping>");
}

/* Multi-instance loop characteristics: parallel or sequential, 0 to 3
 * instances, an output collection of their loopCounters, and a
 * completion condition, now and then. */
static void loop_def(gen *g, scope *s, rg_rng *lr)
{
    g->m->n[RG_MULTI_INSTANCE]++;
    emit(s, " <multiInstanceLoopCharacteristics%s>",
         rg_chance(lr, 40) ? " isSequential=\"true\"" : "");
    if (rg_chance(lr, 50))
        emit(s, "  <extensionElements><zeebe:loopCharacteristics "
                "outputCollection=\"mo\" outputElement=\"=loopCounter\"/>"
                "</extensionElements>");
    emit(s, "  <loopCardinality>%u</loopCardinality>", rg_below(lr, 4));
    if (rg_chance(lr, 30))
        emit(s, "  <completionCondition>=numberOfCompletedInstances &gt;= 2"
                "</completionCondition>");
    emit(s, " </multiInstanceLoopCharacteristics>");
}

/* Standard loop characteristics: a condition on loopCounter (FEEL, or
 * now and then JUEL, which counts from 0), tested before or after, and
 * a loopMaximum of 0 to 3; one of the two at least, so every loop
 * ends. */
static void standard_loop_def(gen *g, scope *s, rg_rng *lr)
{
    g->m->n[RG_STANDARD_LOOP]++;
    int cond = rg_chance(lr, 75);
    int max = !cond || rg_chance(lr, 40);
    char attrs[64] = "";
    if (max)
        snprintf(attrs, sizeof attrs, " loopMaximum=\"%u\"",
                 rg_below(lr, 4));
    emit(s, " <standardLoopCharacteristics%s%s>",
         rg_chance(lr, 40) ? " testBefore=\"true\"" : "", attrs);
    if (cond)
        emit(s, rg_chance(lr, 20)
                    ? "  <loopCondition>${loopCounter &lt; %u}</loopCondition>"
                    : "  <loopCondition>=loopCounter &lt; %u</loopCondition>",
             rg_below(lr, 4));
    emit(s, " </standardLoopCharacteristics>");
}

/* The zeebe:script of a script task the engine evaluates: simple FEEL
 * over the variables the host sets, its result going to a variable
 * that gateways or mappings read. */
static void script_def(scope *s, rg_rng *sr)
{
    static const struct {
        const char *expr, *result;
    } scripts[] = {
        { "= g0 + 1", "g1" },
        { "= g2 * 3", "r0" },
        { "= o.x &gt; 2", "b1" },
        { "= s0 + &quot;!&quot;", "s0" },
        { "= r0", "r2" },
        { "= not(b0)", "b0" },
        { "= g1 - g0", "g2" },
        { "= missing.value", "r1" },
    };
    unsigned i = rg_below(sr, sizeof scripts / sizeof *scripts);
    emit(s, "  <zeebe:script expression=\"%s\" resultVariable=\"%s\"/>",
         scripts[i].expr, scripts[i].result);
}

/* A task; a compensation handler when `handler`. */
static void task(gen *g, scope *s, char id[ID_LEN], int handler)
{
    static const char *const others[] = { "sendTask", "userTask",
                                          "scriptTask", "businessRuleTask" };
    static const char *const types[] = { "work", "charge", "ship",
                                         "notify" };
    rg_rng *r = &g->r;
    unsigned roll = rg_below(r, 100);
    const char *tag;
    int job = 1, kind;
    if (handler) {
        kind = RG_COMP_HANDLER;
        tag = roll < 75 ? "serviceTask" : "task";
        job = roll < 75;
    } else if (roll < 60) {
        kind = RG_SERVICE_TASK;
        tag = "serviceTask";
    } else if (roll < 75) {
        kind = RG_OTHER_JOB_TASK;
        tag = others[rg_below(r, 4)];
    } else {
        kind = RG_PLAIN_TASK;
        tag = rg_chance(r, 70) ? "task" : "manualTask";
        job = 0;
    }
    /* A script task the engine evaluates (zeebe:script) instead of a
     * job, now and then, decided apart from the model's stream, as loops
     * are, so that the other decisions stay as they were. It writes a
     * variable: never on a quiet path. */
    rg_rng sr = { rg_hash(r->s, tag, 0x5343, g->ids) };
    int was_script = strcmp(tag, "scriptTask") == 0;
    int script = job && !g->quiet &&
                 rg_chance(&sr, handler || was_script ? 50 : 8);
    if (script) {
        tag = "scriptTask";
        kind = handler ? kind : RG_SCRIPT_TASK;
        g->m->n[RG_SCRIPT_TASK] += handler;
    }
    node(g, handler ? "h" : "t", id, kind);
    /* Multi-instance now and then, decided apart from the model's stream
     * so that the other decisions stay as they were. */
    rg_rng lr = { rg_hash(r->s, id, 0x4d49, 0) };
    int mi = rg_chance(&lr, 12);
    int std = !mi && rg_chance(&lr, 6); /* a standard loop */
    g->mi = !handler && !g->quiet && (mi || std);
    int def = job && !rg_chance(r, 20);
    int maps = !g->quiet && rg_chance(r, job ? 30 : 10);
    /* Camunda 7's retry cycle: a failure with retries left waits. */
    int retry = job && rg_chance(r, 8);
    const char *comp = handler ? " isForCompensation=\"true\"" : "";
    if (!def && !maps && !retry && !g->mi && !script) {
        emit(s, "<%s id=\"%s\"%s/>", tag, id, comp);
        return;
    }
    emit(s, "<%s id=\"%s\"%s>", tag, id, comp);
    if (!def && !maps && !retry && !script) {
        (std ? standard_loop_def : loop_def)(g, s, &lr);
        emit(s, "</%s>", tag);
        return;
    }
    emit(s, " <extensionElements>");
    if (script) {
        /* The draws a job's definition and retries would take, so that
         * the stream goes on as it would have. */
        if (def && rg_chance(r, 30))
            rg_next(r);
        if (def)
            rg_next(r);
        if (retry)
            rg_next(r), rg_next(r);
        def = retry = 0;
        script_def(s, &sr);
    }
    if (def) {
        if (rg_chance(r, 30))
            emit(s, "  <zeebe:taskDefinition type=\"%s\" retries=\"%u\"/>",
                 types[rg_below(r, 4)], 1 + rg_below(r, 4));
        else
            emit(s, "  <zeebe:taskDefinition type=\"%s\"/>",
                 types[rg_below(r, 4)]);
    }
    if (retry) {
        g->m->n[RG_RETRY_CYCLE]++;
        emit(s, "  <camunda:failedJobRetryTimeCycle>R%u/PT%uM"
                "</camunda:failedJobRetryTimeCycle>",
             2 + rg_below(r, 2), 1 + rg_below(r, 5));
    }
    if (maps)
        mappings(g, s);
    emit(s, " </extensionElements>");
    if (g->mi)
        (std ? standard_loop_def : loop_def)(g, s, &lr);
    emit(s, "</%s>", tag);
}

static void add_act(scope *s, const char *id)
{
    if (s->n_acts < MAX_ACTS)
        snprintf(s->acts[s->n_acts++], ID_LEN, "%s", id);
}

/* An activity for activityRef: of the scope, or, from an event
 * subprocess, of the scope holding it (§10.5.5); NULL when none. */
static const char *pick_act(gen *g, const scope *s)
{
    unsigned n = s->n_acts + (s->outer ? s->outer->n_acts : 0);
    if (!n)
        return NULL;
    unsigned k = rg_below(&g->r, n);
    return k < s->n_acts ? s->acts[k] : s->outer->acts[k - s->n_acts];
}

/* A compensation event, of the whole scope or of one activity; counted
 * as a throw unless it is an end event. */
static void compensate_def(gen *g, scope *s, const char *tag,
                           const char *id)
{
    const char *ref = rg_chance(&g->r, 50) ? pick_act(g, s) : NULL;
    if (strcmp(tag, "endEvent") != 0)
        g->m->n[ref ? RG_THROW_COMPENSATE_REF : RG_THROW_COMPENSATE]++;
    if (ref)
        emit(s, "<%s id=\"%s\"><compensateEventDefinition activityRef=\"%s\"/>"
                "</%s>", tag, id, ref, tag);
    else
        emit(s, "<%s id=\"%s\"><compensateEventDefinition/></%s>", tag, id,
             tag);
}

/* ---- event definitions ------------------------------------------- */

/* A timer definition's body (timeDuration, timeDate or timeCycle) of
 * the kind `what` allows: durations of a few minutes, dates a few
 * minutes after the host's clock starts, now and then the variable tw
 * or a FEEL string, cycles of two or three. */
static void timer_def(gen *g, buf *b, int what)
{
    rg_rng *r = &g->r;
    char t[128];
    unsigned roll = rg_below(r, 100), min = 1 + rg_below(r, 9);
    if (what == TM_REPEAT && roll < 60) {
        g->m->n[RG_TIMER_CYCLE]++;
        if (rg_chance(r, 85))
            snprintf(t, sizeof t, "<timeCycle>R%u/PT%uM</timeCycle>",
                     2 + rg_below(r, 2), min);
        else
            snprintf(t, sizeof t,
                     "<timeCycle>R%u/2026-01-01T00:%02u:00Z/PT%uM"
                     "</timeCycle>",
                     2 + rg_below(r, 2), rg_below(r, 10), min);
    } else if (what == TM_ONCE && roll < 8) {
        /* A cycle where the event interrupts fires once. */
        g->m->n[RG_TIMER_CYCLE]++;
        switch (rg_below(r, 3)) {
        case 0:
            snprintf(t, sizeof t, "<timeCycle>R/PT%uM</timeCycle>", min);
            break;
        case 1:
            snprintf(t, sizeof t, "<timeCycle>0 0/%u * * * ?</timeCycle>",
                     min);
            break;
        default:
            snprintf(t, sizeof t, "<timeCycle>@hourly</timeCycle>");
            break;
        }
    } else if (roll < 72) {
        if (rg_chance(r, 15))
            snprintf(t, sizeof t, "<timeDuration>PT%uS</timeDuration>",
                     20 + rg_below(r, 200));
        else
            snprintf(t, sizeof t, "<timeDuration>PT%uM</timeDuration>",
                     min);
    } else if (roll < 87) {
        unsigned at = rg_below(r, 20);
        if (rg_chance(r, 30))
            snprintf(t, sizeof t,
                     "<timeDate>2026-01-01T01:%02u:00+01:00</timeDate>", at);
        else
            snprintf(t, sizeof t,
                     "<timeDate>2026-01-01T00:%02u:00Z</timeDate>", at);
    } else {
        g->m->n[RG_TIMER_EXPR]++;
        if (rg_chance(r, 70))
            snprintf(t, sizeof t, "<timeDuration>=tw</timeDuration>");
        else
            snprintf(t, sizeof t,
                     "<timeDuration>= \"PT%uM\"</timeDuration>", min);
    }
    bputs(b, "<timerEventDefinition>");
    bputs(b, t);
    bputs(b, "</timerEventDefinition>");
}

/* m0 the most often: two catches wait for the same message now and
 * then. */
static unsigned pick_message(gen *g)
{
    unsigned roll = rg_below(&g->r, 100);
    return roll < 45 ? 0 : roll < 75 ? 1 : 2;
}

static void message_def(gen *g, buf *b)
{
    char t[96];
    snprintf(t, sizeof t, "<messageEventDefinition messageRef=\"msg_%s\"/>",
             rg_messages[pick_message(g)]);
    bputs(b, t);
}

static void signal_def(gen *g, buf *b)
{
    char t[96];
    snprintf(t, sizeof t, "<signalEventDefinition signalRef=\"sig_%s\"/>",
             rg_signals[rg_below(&g->r, RG_N_SIGNALS)]);
    bputs(b, t);
}

/* A condition on the variables only the host sets (c0..c2), which are
 * set from the start. */
static void cond_def(gen *g, buf *b)
{
    static const char *const conds[] = {
        "c0 = true", "c0", "c1 = \"go\"", "c2 > 2", "c2 >= 4 or c0 = true",
        "c0 = true and c1 = \"go\"",
    };
    bputs(b, "<conditionalEventDefinition><condition>= ");
    bescape(b, conds[rg_below(&g->r, sizeof conds / sizeof *conds)]);
    bputs(b, "</condition></conditionalEventDefinition>");
}

/* An escalationRef attribute (or "" for a catch-all) for a catch, kept
 * distinct among the catches of one activity or scope by `used` (bits
 * 0..1 the codes X0 and X1, bit 2 a catch-all). Returns 0 when every
 * catch is taken. */
static int escalation_ref(gen *g, unsigned *used, char *out, size_t cap)
{
    for (int tries = 0; tries < 6; tries++) {
        unsigned roll = rg_below(&g->r, 100);
        unsigned k = roll < 45 ? 0 : roll < 70 ? 1 : 2;
        if (*used & (1u << k))
            continue;
        *used |= 1u << k;
        if (k < 2)
            snprintf(out, cap, " escalationRef=\"esc_%s\"",
                     rg_escalations[k]);
        else
            snprintf(out, cap, "%s", "");
        return 1;
    }
    return 0;
}

/* A code to throw: X2 is caught by catch-alls only. */
static const char *escalation_code(gen *g)
{
    unsigned roll = rg_below(&g->r, 100);
    return rg_escalations[roll < 40 ? 0 : roll < 70 ? 1 : 2];
}

/* The definition of a catch of kind `ev` into `b`; `ref` is the errorRef
 * or escalationRef attribute of an error or escalation catch. */
static void catch_def(gen *g, buf *b, int ev, int timer, const char *ref)
{
    switch (ev) {
    case EV_ERROR:
        bputs(b, "<errorEventDefinition");
        bputs(b, ref);
        bputs(b, "/>");
        break;
    case EV_TIMER: timer_def(g, b, timer); break;
    case EV_MESSAGE: message_def(g, b); break;
    case EV_SIGNAL: signal_def(g, b); break;
    case EV_COND: cond_def(g, b); break;
    case EV_CANCEL: bputs(b, "<cancelEventDefinition/>"); break;
    default:
        bputs(b, "<escalationEventDefinition");
        bputs(b, ref);
        bputs(b, "/>");
        break;
    }
}

/* ---- end events --------------------------------------------------- */

static void end_event(gen *g, scope *s, const edge *in, unsigned ends)
{
    rg_rng *r = &g->r;
    unsigned kind;
    /* Where nothing outside can catch, an error end event is an incident
     * unless an event subprocess catches it: rarer there. */
    unsigned error = s->top ? 6 : 17;
    do {
        unsigned roll = rg_below(r, 84 + error);
        kind = roll < 55   ? END_NONE
               : roll < 67 ? END_TERMINATE
               : roll < 84 ? END_COMPENSATE
                           : END_ERROR;
    } while (!(kind & ends));
    if (kind == END_NONE && s->cancel && rg_chance(r, 60)) {
        char cid[ID_LEN];
        node(g, "e", cid, RG_CANCEL_END);
        emit(s, "<endEvent id=\"%s\"><cancelEventDefinition/></endEvent>",
             cid);
        link(g, s, in, cid);
        return;
    }
    /* An end event that ends its path only: none, or one that sends a
     * message (a job), broadcasts a signal or throws an escalation. */
    int variant = 0;
    if (kind == END_NONE) {
        unsigned roll = rg_below(r, 100);
        variant = roll < 70                      ? RG_END_NONE
                  : roll < 80                    ? RG_MESSAGE_END
                  : roll < 90 || g->no_escalations ? RG_SIGNAL_END
                                                 : RG_ESCALATION_END;
    }
    char id[ID_LEN];
    node(g, "e", id, kind == END_NONE        ? variant
                     : kind == END_TERMINATE ? RG_END_TERMINATE
                     : kind == END_ERROR     ? RG_END_ERROR
                                             : -1);
    switch (kind) {
    case END_NONE:
        if (variant == RG_END_NONE)
            emit(s, "<endEvent id=\"%s\"/>", id);
        else if (variant == RG_MESSAGE_END)
            emit(s, "<endEvent id=\"%s\"><messageEventDefinition "
                    "messageRef=\"msg_%s\"/></endEvent>",
                 id, rg_messages[pick_message(g)]);
        else if (variant == RG_SIGNAL_END)
            emit(s, "<endEvent id=\"%s\"><signalEventDefinition "
                    "signalRef=\"sig_%s\"/></endEvent>",
                 id, rg_signals[rg_below(r, RG_N_SIGNALS)]);
        else
            emit(s, "<endEvent id=\"%s\"><escalationEventDefinition "
                    "escalationRef=\"esc_%s\"/></endEvent>",
                 id, escalation_code(g));
        break;
    case END_TERMINATE:
        emit(s, "<endEvent id=\"%s\"><terminateEventDefinition/></endEvent>",
             id);
        break;
    case END_ERROR:
        emit(s, "<endEvent id=\"%s\"><errorEventDefinition errorRef=\"err_%s\"/>"
                "</endEvent>", id, rg_code(r));
        break;
    default:
        g->m->n[RG_END_COMPENSATE]++;
        compensate_def(g, s, "endEvent", id);
        break;
    }
    link(g, s, in, id);
}

static int path(gen *g, scope *s, edge in, unsigned n, const char *to,
                int par, int must_reach);
static void scope_body(gen *g, scope *s, unsigned blocks);
static void comp_event_subprocess(gen *g, scope *s);

/* The errorRef of a catch: a code, or a catch-all (no errorRef, or an
 * error without a code). `used` keeps the catches of one activity or
 * scope distinct: bits 0..3 the codes, bit 4 a catch-all. Returns 0 when
 * every catch is taken. */
static int catch_ref(gen *g, unsigned *used, char *out, size_t cap)
{
    rg_rng *r = &g->r;
    for (int tries = 0; tries < 8; tries++) {
        unsigned roll = rg_below(r, 100);
        unsigned k = roll < 35   ? 0
                     : roll < 55 ? 1
                     : roll < 65 ? 2
                     : roll < 70 ? 3
                     : roll < 88 ? 4
                                 : 5;
        unsigned bit = k < 4 ? 1u << k : 1u << 4;
        if (*used & bit)
            continue;
        *used |= bit;
        if (k < 4)
            snprintf(out, cap, " errorRef=\"err_%s\"", rg_codes[k]);
        else if (k == 4)
            snprintf(out, cap, "%s", "");
        else
            snprintf(out, cap, "%s", " errorRef=\"err_any\"");
        return 1;
    }
    return 0;
}

/* ---- boundary events ---------------------------------------------- */

typedef struct bound {
    int ev;
    int nonint;
    char ref[64];
} bound;

#define MAX_BOUNDS 4

static int bound_kind(int ev, const char *ref)
{
    switch (ev) {
    case EV_ERROR:
        return ref[0] && strstr(ref, "err_E") ? RG_ERROR_BOUNDARY
                                              : RG_ERROR_BOUNDARY_ANY;
    case EV_TIMER: return RG_TIMER_BOUNDARY;
    case EV_MESSAGE: return RG_MESSAGE_BOUNDARY;
    case EV_SIGNAL: return RG_SIGNAL_BOUNDARY;
    case EV_COND: return RG_COND_BOUNDARY;
    case EV_CANCEL: return RG_CANCEL_BOUNDARY;
    default: return RG_ESCALATION_BOUNDARY;
    }
}

/* The boundary events `act` gets: error boundaries, and event ones
 * (timer, message, signal, conditional, and escalation on a
 * subprocess), interrupting or not. */
static unsigned pick_bounds(gen *g, int sub, bound *b)
{
    rg_rng *r = &g->r;
    unsigned n = 0, used = 0, esc_used = 0;
    /* A subprocess spent the budget on what it holds: it may overspend
     * a little for its own boundary events. */
    int room = g->budget > (sub ? -3 : 0);
    if (room && rg_chance(r, 30)) {
        unsigned k = rg_chance(r, 75) ? 1 : 2;
        for (unsigned i = 0; i < k; i++)
            if (catch_ref(g, &used, b[n].ref, sizeof b[n].ref)) {
                b[n].ev = EV_ERROR;
                b[n++].nonint = 0;
            }
    }
    if (room && rg_chance(r, sub ? 50 : 35)) {
        unsigned k = rg_chance(r, 70) ? 1 : 2;
        for (unsigned i = 0; i < k && n < MAX_BOUNDS; i++) {
            bound *x = &b[n];
            unsigned roll = rg_below(r, 100);
            /* Escalations reach a subprocess only. */
            x->ev = roll < 35   ? EV_TIMER
                    : roll < 55 ? EV_MESSAGE
                    : roll < 67 ? EV_SIGNAL
                    : roll < 80 ? EV_COND
                    : sub       ? EV_ESCALATION
                                : EV_TIMER;
            x->nonint = rg_chance(r, 40);
            x->ref[0] = '\0';
            if (x->ev == EV_ESCALATION &&
                !escalation_ref(g, &esc_used, x->ref, sizeof x->ref))
                continue;
            n++;
        }
    }
    return n;
}

/* Boundary events of the activity `act` (a subprocess when `sub`), whose
 * outgoing edge is `cur`: those that interrupt have paths that merge
 * back after it, the others paths that end on their own; and a
 * compensation boundary with its handler. */
static void decorate(gen *g, scope *s, const char *act, edge *cur, int par,
                     int sub)
{
    rg_rng *r = &g->r;
    g->mi = 0; /* the paths below make tasks of their own */
    int no_comp = g->no_comp_bound;
    g->no_comp_bound = 0;
    bound b[MAX_BOUNDS + 1];
    unsigned nb = pick_bounds(g, sub, b);
    if (sub == 2) { /* a transaction that can be cancelled */
        b[nb].ev = EV_CANCEL;
        b[nb].nonint = 0;
        b[nb++].ref[0] = '\0';
    }
    int merges = 0;
    for (unsigned i = 0; i < nb; i++)
        merges |= !b[i].nonint;
    char merge[ID_LEN];
    edge_from(cur, act);
    if (merges) {
        node(g, "x", merge, RG_EXCLUSIVE_GATEWAY);
        link(g, s, cur, merge);
    }
    for (unsigned i = 0; i < nb; i++) {
        char be[ID_LEN];
        buf def = { 0 };
        node(g, "be", be, bound_kind(b[i].ev, b[i].ref));
        catch_def(g, &def, b[i].ev, b[i].nonint ? TM_REPEAT : TM_ONCE,
                  b[i].ref);
        g->oom |= def.oom;
        emit(s, "<boundaryEvent id=\"%s\" attachedToRef=\"%s\"%s>%s"
                "</boundaryEvent>",
             be, act, b[i].nonint ? " cancelActivity=\"false\"" : "",
             def.p ? def.p : "");
        free(def.p);
        edge e;
        edge_from(&e, be);
        if (!b[i].nonint) {
            path(g, s, e, rg_below(r, 3), merge, par, 0);
            continue;
        }
        g->m->n[RG_NON_INTERRUPTING]++;
        /* Beside the activity: its end is not the branch's. */
        int quiet = b[i].ev == EV_COND;
        g->quiet += quiet;
        path(g, s, e, rg_below(r, 3), NULL, 0, 0);
        g->quiet -= quiet;
    }
    if (merges) {
        emit(s, "<exclusiveGateway id=\"%s\"/>", merge);
        edge_from(cur, merge);
    }
    if (g->budget > 0 && rg_chance(r, 25) && !no_comp) {
        char cb[ID_LEN], h[ID_LEN];
        node(g, "cb", cb, RG_COMP_BOUNDARY);
        emit(s, "<boundaryEvent id=\"%s\" attachedToRef=\"%s\">"
                "<compensateEventDefinition/></boundaryEvent>", cb, act);
        if (s->depth < 3 && rg_chance(r, 25)) {
            /* A subprocess as the handler (BPMN 2.0.2 §10.6.2). */
            scope in = { .depth = s->depth + 1 };
            node(g, "h", h, RG_SUB_HANDLER);
            scope_body(g, &in, 1 + rg_below(r, 2));
            emit(s, "<subProcess id=\"%s\" isForCompensation=\"true\">", h);
            take_body(&s->body, &in);
            emit(s, "</subProcess>");
        } else {
            task(g, s, h, 1);
        }
        emit(s, "<association id=\"a_%s\" sourceRef=\"%s\" targetRef=\"%s\"/>",
             cb, cb, h);
    }
    add_act(s, act);
}

/* ---- blocks ------------------------------------------------------- */

/* An intermediate throw event: a milestone, compensation, a signal's
 * broadcast, an escalation, a message (a job), or a link throw with its
 * catch, from which the path goes on. */
static void throw_event(gen *g, scope *s, edge *cur)
{
    rg_rng *r = &g->r;
    unsigned roll = rg_below(r, 100);
    char id[ID_LEN];
    if (roll >= 58 && roll < 70 && g->no_escalations)
        roll = 0;
    if (roll < 20) {
        node(g, "i", id, RG_THROW_NONE);
        emit(s, "<intermediateThrowEvent id=\"%s\"/>", id);
    } else if (roll < 45) {
        node(g, "i", id, -1);
        compensate_def(g, s, "intermediateThrowEvent", id);
    } else if (roll < 58) {
        node(g, "i", id, RG_SIGNAL_THROW);
        emit(s, "<intermediateThrowEvent id=\"%s\"><signalEventDefinition "
                "signalRef=\"sig_%s\"/></intermediateThrowEvent>",
             id, rg_signals[rg_below(r, RG_N_SIGNALS)]);
    } else if (roll < 70) {
        node(g, "i", id, RG_ESCALATION_THROW);
        emit(s, "<intermediateThrowEvent id=\"%s\"><escalationEventDefinition "
                "escalationRef=\"esc_%s\"/></intermediateThrowEvent>",
             id, escalation_code(g));
    } else if (roll < 84) {
        /* A job, of the element's id as its type or of "notify". */
        node(g, "i", id, RG_MESSAGE_THROW);
        const char *ext = rg_chance(r, 50)
                              ? "<extensionElements><zeebe:taskDefinition "
                                "type=\"notify\"/></extensionElements>"
                              : "";
        if (rg_chance(r, 80))
            emit(s, "<intermediateThrowEvent id=\"%s\">%s"
                    "<messageEventDefinition messageRef=\"msg_%s\"/>"
                    "</intermediateThrowEvent>",
                 id, ext, rg_messages[pick_message(g)]);
        else
            emit(s, "<intermediateThrowEvent id=\"%s\">%s"
                    "<messageEventDefinition/></intermediateThrowEvent>",
                 id, ext);
    } else {
        /* A link: one sequence flow in two halves, in this scope. */
        char c[ID_LEN];
        node(g, "lt", id, RG_LINK);
        node(g, "lc", c, -1);
        emit(s, "<intermediateThrowEvent id=\"%s\"><linkEventDefinition "
                "name=\"to_%s\"/></intermediateThrowEvent>",
             id, c);
        emit(s, "<intermediateCatchEvent id=\"%s\"><linkEventDefinition "
                "name=\"to_%s\"/></intermediateCatchEvent>",
             c, c);
        link(g, s, cur, id);
        edge_from(cur, c);
        return;
    }
    link(g, s, cur, id);
    edge_from(cur, id);
}

static int catch_kind(int ev)
{
    switch (ev) {
    case EV_TIMER: return RG_TIMER_CATCH;
    case EV_MESSAGE: return RG_MESSAGE_CATCH;
    case EV_SIGNAL: return RG_SIGNAL_CATCH;
    default: return RG_COND_CATCH;
    }
}

static int pick_catch(gen *g)
{
    unsigned roll = rg_below(&g->r, 100);
    int ev = roll < 35   ? EV_TIMER
             : roll < 65 ? EV_MESSAGE
             : roll < 80 ? EV_SIGNAL
                         : EV_COND;
    return ev;
}

/* An intermediate catch event of kind `ev` named `id`. */
static void catch_event(gen *g, scope *s, int ev, const char *id)
{
    buf def = { 0 };
    catch_def(g, &def, ev, TM_CATCH, "");
    g->oom |= def.oom;
    emit(s, "<intermediateCatchEvent id=\"%s\">%s</intermediateCatchEvent>",
         id, def.p ? def.p : "");
    free(def.p);
}

static void block(gen *g, scope *s, edge *cur, int par)
{
    rg_rng *r = &g->r;
    unsigned roll = rg_below(r, 100);
    char id[ID_LEN];
    if (roll < 11 && s->depth < 3 && g->budget >= 4 && rg_chance(r, 25)) {
        /* A call activity: the process it calls is a scope of its own,
         * whose errors and escalations may reach the call activity's
         * boundary events; now and then none of the child's variables
         * come back. */
        scope in = { .depth = s->depth + 1 };
        node(g, "c", id, RG_CALL_ACTIVITY);
        scope_body(g, &in, 1 + rg_below(r, 3));
        bprintf(&g->callees,
                   "  <process id=\"replay_%s\" isExecutable=\"true\">\n",
                   id);
        take_body(&g->callees, &in);
        bputs(&g->callees, "  </process>\n");
        emit(s,
             "<callActivity id=\"%s\"><extensionElements><zeebe:calledElement "
             "processId=\"replay_%s\"%s/></extensionElements></callActivity>",
             id, id,
             rg_chance(r, 20) ? " propagateAllChildVariables=\"false\"" : "");
        link(g, s, cur, id);
        decorate(g, s, id, cur, par, 1);
    } else if (roll < 11 && s->depth < 3 && g->budget >= 4) {
        /* A subprocess: a scope of its own; now and then a transaction,
         * which its cancel end events may cancel. */
        int tx = rg_chance(r, 20);
        const char *tag = tx ? "transaction" : "subProcess";
        scope in = { .depth = s->depth + 1, .cancel = tx && rg_chance(r, 60) };
        node(g, "s", id, tx ? RG_TRANSACTION : RG_SUB_PROCESS);
        scope_body(g, &in, 1 + rg_below(r, 3));
        /* Now and then a compensation event subprocess, which replaces
         * its default compensation. */
        int cesp = rg_chance(r, 15);
        if (cesp)
            comp_event_subprocess(g, &in);
        emit(s, "<%s id=\"%s\">", tag, id);
        take_body(&s->body, &in);
        emit(s, "</%s>", tag);
        link(g, s, cur, id);
        g->no_comp_bound = cesp;
        decorate(g, s, id, cur, par, in.cancel ? 2 : 1);
    } else if (roll < 22 && g->budget >= 3) {
        /* Parallel fork and join; a branch may leave the scope only. An
         * inclusive join waits only for the branches that can still
         * reach it: they may end as the block may. */
        int incl = roll >= 20;
        char fork[ID_LEN], join[ID_LEN];
        node(g, "p", fork, RG_PARALLEL_GATEWAY);
        node(g, incl ? "n" : "p", join,
             incl ? RG_INCLUSIVE_GATEWAY : RG_PARALLEL_GATEWAY);
        link(g, s, cur, fork);
        unsigned k = 2 + rg_below(r, 2);
        for (unsigned i = 0; i < k; i++) {
            edge e;
            edge_from(&e, fork);
            path(g, s, e, rg_below(r, 3), join, incl ? par : 1, 0);
        }
        emit(s, "<parallelGateway id=\"%s\"/>", fork);
        emit(s, "<%s id=\"%s\"/>",
             incl ? "inclusiveGateway" : "parallelGateway", join);
        edge_from(cur, join);
    } else if (roll < 34 && g->budget >= 3) {
        /* A conditional split and its merge: exclusive, or exclusive
         * into an inclusive join (which the one token passes), or
         * inclusive (every branch whose condition holds; now and then
         * one without condition, always taken). One branch is the
         * default, now and then none is (no condition true: an
         * incident). */
        const char *split_tag = roll < 32 ? "exclusiveGateway"
                                          : "inclusiveGateway";
        const char *merge_tag = roll < 30 ? "exclusiveGateway"
                                          : "inclusiveGateway";
        char split[ID_LEN], merge[ID_LEN], def_flow[ID_LEN] = "";
        node(g, roll < 32 ? "x" : "n", split,
             roll < 32 ? RG_EXCLUSIVE_GATEWAY : RG_INCLUSIVE_GATEWAY);
        node(g, roll < 30 ? "x" : "n", merge,
             roll < 30 ? RG_EXCLUSIVE_GATEWAY : RG_INCLUSIVE_GATEWAY);
        link(g, s, cur, split);
        unsigned k = 2 + rg_below(r, 2);
        unsigned def = rg_chance(r, 90) ? rg_below(r, k) : k;
        if (def == k)
            g->m->n[RG_NO_DEFAULT]++;
        int reached = 0;
        for (unsigned i = 0; i < k; i++) {
            char cond[256];
            edge e;
            edge_from(&e, split);
            if (i == def) {
                e.flow_id = def_flow;
            } else if (roll < 32 || !rg_chance(r, 15)) {
                condition(g, cond, sizeof cond);
                e.cond = cond;
            }
            /* The merge needs an incoming flow. */
            reached |= path(g, s, e, rg_below(r, 3), merge, par,
                            i + 1 == k && !reached);
        }
        if (def < k)
            emit(s, "<%s id=\"%s\" default=\"%s\"/>", split_tag, split,
                 def_flow);
        else
            emit(s, "<%s id=\"%s\"/>", split_tag, split);
        emit(s, "<%s id=\"%s\"/>", merge_tag, merge);
        edge_from(cur, merge);
    } else if (roll < 40 && g->budget >= 3) {
        /* An event-based gateway: the first of its events to occur
         * chooses the branch; branches merge as an exclusive block's. */
        char gw[ID_LEN], merge[ID_LEN];
        node(g, "g", gw, RG_EVENT_GATEWAY);
        node(g, "x", merge, RG_EXCLUSIVE_GATEWAY);
        link(g, s, cur, gw);
        unsigned k = 2 + rg_below(r, 2);
        int reached = 0;
        for (unsigned i = 0; i < k; i++) {
            char ev_id[ID_LEN];
            int ev = pick_catch(g);
            node(g, "ec", ev_id, catch_kind(ev));
            catch_event(g, s, ev, ev_id);
            edge e;
            edge_from(&e, gw);
            link(g, s, &e, ev_id);
            edge_from(&e, ev_id);
            reached |= path(g, s, e, rg_below(r, 3), merge, par,
                            i + 1 == k && !reached);
        }
        emit(s, "<eventBasedGateway id=\"%s\"/>", gw);
        emit(s, "<exclusiveGateway id=\"%s\"/>", merge);
        edge_from(cur, merge);
    } else if (roll < 48) {
        throw_event(g, s, cur);
    } else if (roll < 57) {
        int ev = pick_catch(g);
        node(g, "c", id, catch_kind(ev));
        catch_event(g, s, ev, id);
        link(g, s, cur, id);
        edge_from(cur, id);
    } else if (roll < 61) {
        /* A receive task waits for its message as a catch event does,
         * and is an activity: boundary events, compensation. */
        node(g, "rt", id, RG_RECEIVE_TASK);
        emit(s, "<receiveTask id=\"%s\" messageRef=\"msg_%s\"/>", id,
             rg_messages[pick_message(g)]);
        link(g, s, cur, id);
        decorate(g, s, id, cur, par, 0);
    } else {
        task(g, s, id, 0);
        link(g, s, cur, id);
        decorate(g, s, id, cur, par, 0);
    }
}

/* Up to `n` blocks from `in`, then a flow to `to` or an end event
 * (always when `to` is NULL, never when `must_reach`). Inside a parallel
 * branch (`par`) only end events that leave the scope may end it.
 * Returns 1 when the path reached `to`. */
static int path(gen *g, scope *s, edge in, unsigned n, const char *to,
                int par, int must_reach)
{
    edge cur = in;
    for (unsigned i = 0; i < n && g->budget > 0; i++)
        block(g, s, &cur, par);
    if (to && (must_reach || !rg_chance(&g->r, 15))) {
        link(g, s, &cur, to);
        return 1;
    }
    end_event(g, s, &cur, par ? END_LEAVING : END_ALL);
    return 0;
}

/* ---- scopes ------------------------------------------------------- */

static int evsub_kind(int ev)
{
    switch (ev) {
    case EV_ERROR: return RG_EVENT_SUB_PROCESS;
    case EV_TIMER: return RG_EVSUB_TIMER;
    case EV_MESSAGE: return RG_EVSUB_MESSAGE;
    case EV_SIGNAL: return RG_EVSUB_SIGNAL;
    case EV_COND: return RG_EVSUB_CONDITIONAL;
    default: return RG_EVSUB_ESCALATION;
    }
}

/* An event subprocess of `s`, started by an error (always interrupting)
 * or by a timer, message, signal, escalation or condition, interrupting
 * or not. `used` and `esc_used` keep the error and escalation catches of
 * the scope distinct. */
/* A compensation event subprocess of subprocess scope `s`: it runs when
 * the completed subprocess is compensated, and may itself throw
 * compensation of what completed in `s`. */
static void comp_event_subprocess(gen *g, scope *s)
{
    char id[ID_LEN], start[ID_LEN];
    scope in = { .depth = s->depth + 1, .outer = s, .top = s->top };
    node(g, "v", id, RG_COMP_EVSUB);
    node(g, "vs", start, RG_START_EVENT);
    emit(&in, "<startEvent id=\"%s\"><compensateEventDefinition/>"
              "</startEvent>", start);
    edge e;
    edge_from(&e, start);
    path(g, &in, e, rg_below(&g->r, 3), NULL, 0, 0);
    emit(s, "<subProcess id=\"%s\" triggeredByEvent=\"true\">", id);
    take_body(&s->body, &in);
    emit(s, "</subProcess>");
}

static void event_subprocess(gen *g, scope *s, unsigned *used,
                             unsigned *esc_used)
{
    rg_rng *r = &g->r;
    char ref[64] = "", id[ID_LEN], start[ID_LEN];
    unsigned roll = rg_below(r, 100);
    int ev = roll < 30   ? EV_ERROR
             : roll < 48 ? EV_TIMER
             : roll < 63 ? EV_MESSAGE
             : roll < 75 ? EV_SIGNAL
             : roll < 88 ? EV_ESCALATION
                         : EV_COND;
    if (ev == EV_ERROR && !catch_ref(g, used, ref, sizeof ref))
        return;
    if (ev == EV_ESCALATION && !escalation_ref(g, esc_used, ref, sizeof ref))
        return;
    int nonint = ev != EV_ERROR && rg_chance(r, 45);
    scope in = { .depth = s->depth + 1, .outer = s, .top = s->top };
    node(g, "v", id, evsub_kind(ev));
    node(g, "vs", start, RG_START_EVENT);
    buf def = { 0 };
    catch_def(g, &def, ev, nonint ? TM_REPEAT : TM_ONCE, ref);
    g->oom |= def.oom;
    emit(&in, "<startEvent id=\"%s\"%s>%s</startEvent>", start,
         nonint ? " isInterrupting=\"false\"" : "", def.p ? def.p : "");
    free(def.p);
    g->m->n[RG_NON_INTERRUPTING] += (unsigned)nonint;
    int quiet = nonint && ev == EV_COND, calm = ev == EV_ESCALATION;
    g->quiet += quiet;
    g->no_escalations += calm;
    edge e;
    edge_from(&e, start);
    path(g, &in, e, rg_below(r, 4), NULL, 0, 0);
    g->quiet -= quiet;
    g->no_escalations -= calm;
    emit(s, "<subProcess id=\"%s\" triggeredByEvent=\"true\">", id);
    take_body(&s->body, &in);
    emit(s, "</subProcess>");
}

/* A start event, a path of up to `blocks` blocks and, now and then,
 * event subprocesses. Now and then no start event: the path then begins
 * at a flow node without incoming flows, which starts with the scope
 * (BPMN 2.0.2 §10.5.2). */
static void scope_body(gen *g, scope *s, unsigned blocks)
{
    edge e;
    if (rg_chance(&g->r, 8)) {
        g->m->n[RG_NO_START]++;
        edge_from(&e, "");
    } else {
        char start[ID_LEN];
        node(g, "st", start, RG_START_EVENT);
        emit(s, "<startEvent id=\"%s\"/>", start);
        edge_from(&e, start);
    }
    path(g, s, e, blocks, NULL, 0, 0);
    unsigned used = 0, esc_used = 0;
    /* Event subprocesses may overspend the budget a little. */
    if (g->budget > -3 && rg_chance(&g->r, s->top ? 55 : 35)) {
        unsigned n = 1 + (unsigned)rg_chance(&g->r, 30) +
                     (unsigned)rg_chance(&g->r, 10);
        for (unsigned i = 0; i < n; i++)
            event_subprocess(g, s, &used, &esc_used);
    }
}

int rg_generate(uint64_t seed, rg_model *out)
{
    memset(out, 0, sizeof *out);
    gen g = { .r = { seed }, .m = out };
    /* Sizes: tiny, small, medium, a few dozen. */
    unsigned roll = rg_below(&g.r, 100);
    g.budget = roll < 25   ? 1 + (int)rg_below(&g.r, 4)
               : roll < 60 ? 5 + (int)rg_below(&g.r, 8)
               : roll < 85 ? 13 + (int)rg_below(&g.r, 13)
                           : 26 + (int)rg_below(&g.r, 20);
    scope top = { .depth = 0, .top = 1 };
    scope_body(&g, &top, 1 + rg_below(&g.r, (unsigned)g.budget + 2));
    buf b = { 0 };
    bputs(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/"
              "MODEL\" xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "
              "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" "
              "id=\"replay_defs\" targetNamespace=\"http://baton.test/"
              "replay\">\n");
    char line[192];
    for (unsigned i = 0; i < RG_N_CODES; i++) {
        snprintf(line, sizeof line, "  <error id=\"err_%s\" errorCode=\"%s\"/>\n",
                 rg_codes[i], rg_codes[i]);
        bputs(&b, line);
    }
    bputs(&b, "  <error id=\"err_any\"/>\n");
    for (unsigned i = 0; i < RG_N_MESSAGES; i++) {
        /* m0 and m1 are correlated by the variable ck, m2 by name. */
        if (i < 2)
            snprintf(line, sizeof line,
                     "  <message id=\"msg_%s\" name=\"%s\"><extensionElements>"
                     "<zeebe:subscription correlationKey=\"=ck\"/>"
                     "</extensionElements></message>\n",
                     rg_messages[i], rg_messages[i]);
        else
            snprintf(line, sizeof line,
                     "  <message id=\"msg_%s\" name=\"%s\"/>\n",
                     rg_messages[i], rg_messages[i]);
        bputs(&b, line);
    }
    for (unsigned i = 0; i < RG_N_SIGNALS; i++) {
        snprintf(line, sizeof line, "  <signal id=\"sig_%s\" name=\"%s\"/>\n",
                 rg_signals[i], rg_signals[i]);
        bputs(&b, line);
    }
    for (unsigned i = 0; i < RG_N_ESCALATIONS; i++) {
        snprintf(line, sizeof line,
                 "  <escalation id=\"esc_%s\" name=\"%s\" "
                 "escalationCode=\"%s\"/>\n",
                 rg_escalations[i], rg_escalations[i], rg_escalations[i]);
        bputs(&b, line);
    }
    bputs(&b, "  <process id=\"replay\" isExecutable=\"true\">\n");
    if (top.body.p)
        bputs(&b, top.body.p);
    bputs(&b, "  </process>\n");
    if (g.callees.p)
        bputs(&b, g.callees.p);
    bputs(&b, "</definitions>\n");
    int oom = b.oom || top.body.oom || g.oom || g.callees.oom;
    free(top.body.p);
    free(g.callees.p);
    if (oom) {
        free(b.p);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->xml = b.p;
    out->len = b.n;
    return 0;
}

void rg_model_free(rg_model *m)
{
    if (m) {
        free(m->xml);
        m->xml = NULL;
        m->len = 0;
    }
}

const char *rg_kind_name(int kind)
{
    static const char *const names[RG_KINDS] = {
        [RG_START_EVENT] = "start event",
        [RG_NO_START] = "scope without start event",
        [RG_TRANSACTION] = "transaction",
        [RG_CANCEL_END] = "cancel end event",
        [RG_CANCEL_BOUNDARY] = "cancel boundary event",
        [RG_SUB_HANDLER] = "subprocess as compensation handler",
        [RG_END_NONE] = "none end event",
        [RG_END_TERMINATE] = "terminate end event",
        [RG_END_ERROR] = "error end event",
        [RG_END_COMPENSATE] = "compensation end event",
        [RG_THROW_NONE] = "none intermediate throw",
        [RG_THROW_COMPENSATE] = "compensation throw (scope)",
        [RG_THROW_COMPENSATE_REF] = "compensation throw (activityRef)",
        [RG_SERVICE_TASK] = "service task",
        [RG_OTHER_JOB_TASK] = "send/user/script/rule task",
        [RG_PLAIN_TASK] = "task, manual task",
        [RG_COMP_HANDLER] = "compensation handler",
        [RG_EXCLUSIVE_GATEWAY] = "exclusive gateway",
        [RG_PARALLEL_GATEWAY] = "parallel gateway",
        [RG_SUB_PROCESS] = "subprocess",
        [RG_EVENT_SUB_PROCESS] = "error event subprocess",
        [RG_ERROR_BOUNDARY] = "error boundary (code)",
        [RG_ERROR_BOUNDARY_ANY] = "error boundary (catch-all)",
        [RG_COMP_BOUNDARY] = "compensation boundary",
        [RG_IO_MAPPING] = "io mapping",
        [RG_CONDITION] = "condition",
        [RG_NO_DEFAULT] = "split without default",
        [RG_INCLUSIVE_GATEWAY] = "inclusive gateway",
        [RG_TIMER_CATCH] = "timer catch event",
        [RG_MESSAGE_CATCH] = "message catch event",
        [RG_SIGNAL_CATCH] = "signal catch event",
        [RG_COND_CATCH] = "conditional catch event",
        [RG_RECEIVE_TASK] = "receive task",
        [RG_TIMER_BOUNDARY] = "timer boundary",
        [RG_MESSAGE_BOUNDARY] = "message boundary",
        [RG_SIGNAL_BOUNDARY] = "signal boundary",
        [RG_COND_BOUNDARY] = "conditional boundary",
        [RG_ESCALATION_BOUNDARY] = "escalation boundary",
        [RG_EVSUB_TIMER] = "timer event subprocess",
        [RG_EVSUB_MESSAGE] = "message event subprocess",
        [RG_EVSUB_SIGNAL] = "signal event subprocess",
        [RG_EVSUB_ESCALATION] = "escalation event subprocess",
        [RG_EVSUB_CONDITIONAL] = "conditional event subprocess",
        [RG_NON_INTERRUPTING] = "non-interrupting catch",
        [RG_TIMER_CYCLE] = "timer cycle",
        [RG_TIMER_EXPR] = "timer expression",
        [RG_ESCALATION_THROW] = "escalation throw",
        [RG_ESCALATION_END] = "escalation end event",
        [RG_SIGNAL_THROW] = "signal throw",
        [RG_SIGNAL_END] = "signal end event",
        [RG_MESSAGE_THROW] = "message throw (job)",
        [RG_MESSAGE_END] = "message end event (job)",
        [RG_LINK] = "link throw and catch",
        [RG_EVENT_GATEWAY] = "event-based gateway",
        [RG_RETRY_CYCLE] = "retry time cycle",
        [RG_MULTI_INSTANCE] = "multi-instance task",
        [RG_STANDARD_LOOP] = "standard loop task",
        [RG_CALL_ACTIVITY] = "call activity",
        [RG_COMP_EVSUB] = "compensation event subprocess",
        [RG_SCRIPT_TASK] = "script task (zeebe:script)",
    };
    return kind >= 0 && kind < RG_KINDS ? names[kind] : "?";
}
