/* Random valid BPMN models for the replay property test; see
 * replay_gen.h.
 *
 * A model is block-structured, so that it always loads and never
 * deadlocks by construction: a scope (the process, a subprocess, an
 * error event subprocess) is a start event and a path; a path is a
 * sequence of blocks ending in an end event or flowing into the gateway
 * that closes the block around it. The blocks are a task (with, now and
 * then, error boundary events whose paths merge back through an
 * exclusive gateway, and a compensation boundary event with its
 * handler), a parallel fork whose branches all reach its join, an
 * exclusive split whose branches reach its merge or end, an embedded
 * subprocess (decorated as a task is) and an intermediate throw event
 * (none, or compensation of the scope or of one activity).
 *
 * A branch of a parallel block may end only by an error or terminate end
 * event, which leave the scope anyway; a none or compensation end event
 * there would leave the join waiting for ever. */
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
} scope;

typedef struct gen {
    rg_rng r;
    int budget; /* flow nodes still to spend */
    unsigned ids, flows;
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
    node(g, handler ? "h" : "t", id, kind);
    int def = job && !rg_chance(r, 20);
    int maps = rg_chance(r, job ? 30 : 10);
    const char *comp = handler ? " isForCompensation=\"true\"" : "";
    if (!def && !maps) {
        emit(s, "<%s id=\"%s\"%s/>", tag, id, comp);
        return;
    }
    emit(s, "<%s id=\"%s\"%s>", tag, id, comp);
    emit(s, " <extensionElements>");
    if (def) {
        if (rg_chance(r, 30))
            emit(s, "  <zeebe:taskDefinition type=\"%s\" retries=\"%u\"/>",
                 types[rg_below(r, 4)], 1 + rg_below(r, 4));
        else
            emit(s, "  <zeebe:taskDefinition type=\"%s\"/>",
                 types[rg_below(r, 4)]);
    }
    if (maps)
        mappings(g, s);
    emit(s, " </extensionElements>");
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
    char id[ID_LEN];
    node(g, "e", id, kind == END_NONE        ? RG_END_NONE
                     : kind == END_TERMINATE ? RG_END_TERMINATE
                     : kind == END_ERROR     ? RG_END_ERROR
                                             : -1);
    switch (kind) {
    case END_NONE:
        emit(s, "<endEvent id=\"%s\"/>", id);
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

/* Boundary events of the activity `act`, whose outgoing edge is `cur`:
 * error boundaries whose paths merge back after it, and a compensation
 * boundary with its handler. */
static void decorate(gen *g, scope *s, const char *act, edge *cur, int par)
{
    rg_rng *r = &g->r;
    edge_from(cur, act);
    if (g->budget > 0 && rg_chance(r, 30)) {
        unsigned nb = rg_chance(r, 75) ? 1 : 2;
        char merge[ID_LEN];
        node(g, "x", merge, RG_EXCLUSIVE_GATEWAY);
        link(g, s, cur, merge);
        unsigned used = 0;
        for (unsigned i = 0; i < nb; i++) {
            char ref[64], be[ID_LEN];
            if (!catch_ref(g, &used, ref, sizeof ref))
                break;
            node(g, "be", be, ref[0] && strstr(ref, "err_E")
                                  ? RG_ERROR_BOUNDARY
                                  : RG_ERROR_BOUNDARY_ANY);
            emit(s, "<boundaryEvent id=\"%s\" attachedToRef=\"%s\">"
                    "<errorEventDefinition%s/></boundaryEvent>", be, act,
                 ref);
            edge e;
            edge_from(&e, be);
            path(g, s, e, rg_below(r, 3), merge, par, 0);
        }
        emit(s, "<exclusiveGateway id=\"%s\"/>", merge);
        edge_from(cur, merge);
    }
    if (g->budget > 0 && rg_chance(r, 25)) {
        char cb[ID_LEN], h[ID_LEN];
        node(g, "cb", cb, RG_COMP_BOUNDARY);
        emit(s, "<boundaryEvent id=\"%s\" attachedToRef=\"%s\">"
                "<compensateEventDefinition/></boundaryEvent>", cb, act);
        task(g, s, h, 1);
        emit(s, "<association id=\"a_%s\" sourceRef=\"%s\" targetRef=\"%s\"/>",
             cb, cb, h);
    }
    add_act(s, act);
}

static void block(gen *g, scope *s, edge *cur, int par)
{
    rg_rng *r = &g->r;
    unsigned roll = rg_below(r, 100);
    char id[ID_LEN];
    if (roll < 12 && s->depth < 3 && g->budget >= 4) {
        /* A subprocess: a scope of its own. */
        scope in = { .depth = s->depth + 1 };
        node(g, "s", id, RG_SUB_PROCESS);
        scope_body(g, &in, 1 + rg_below(r, 3));
        emit(s, "<subProcess id=\"%s\">", id);
        if (in.body.p)
            bputs(&s->body, in.body.p);
        s->body.oom |= in.body.oom;
        free(in.body.p);
        emit(s, "</subProcess>");
        link(g, s, cur, id);
        decorate(g, s, id, cur, par);
    } else if (roll < 26 && g->budget >= 3) {
        /* Parallel fork and join; a branch may leave the scope only. */
        char fork[ID_LEN], join[ID_LEN];
        node(g, "p", fork, RG_PARALLEL_GATEWAY);
        node(g, "p", join, RG_PARALLEL_GATEWAY);
        link(g, s, cur, fork);
        unsigned k = 2 + rg_below(r, 2);
        for (unsigned i = 0; i < k; i++) {
            edge e;
            edge_from(&e, fork);
            path(g, s, e, rg_below(r, 3), join, 1, 0);
        }
        emit(s, "<parallelGateway id=\"%s\"/>", fork);
        emit(s, "<parallelGateway id=\"%s\"/>", join);
        edge_from(cur, join);
    } else if (roll < 42 && g->budget >= 3) {
        /* Exclusive split and merge; one branch is the default, now and
         * then none is (no condition true: an incident). */
        char split[ID_LEN], merge[ID_LEN], def_flow[ID_LEN] = "";
        node(g, "x", split, RG_EXCLUSIVE_GATEWAY);
        node(g, "x", merge, RG_EXCLUSIVE_GATEWAY);
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
            } else {
                condition(g, cond, sizeof cond);
                e.cond = cond;
            }
            /* The merge needs an incoming flow. */
            reached |= path(g, s, e, rg_below(r, 3), merge, par,
                            i + 1 == k && !reached);
        }
        if (def < k)
            emit(s, "<exclusiveGateway id=\"%s\" default=\"%s\"/>", split,
                 def_flow);
        else
            emit(s, "<exclusiveGateway id=\"%s\"/>", split);
        emit(s, "<exclusiveGateway id=\"%s\"/>", merge);
        edge_from(cur, merge);
    } else if (roll < 52) {
        /* An intermediate throw event: a milestone or compensation. */
        if (rg_chance(r, 35)) {
            node(g, "i", id, RG_THROW_NONE);
            emit(s, "<intermediateThrowEvent id=\"%s\"/>", id);
        } else {
            node(g, "i", id, -1);
            compensate_def(g, s, "intermediateThrowEvent", id);
        }
        link(g, s, cur, id);
        edge_from(cur, id);
    } else {
        task(g, s, id, 0);
        link(g, s, cur, id);
        decorate(g, s, id, cur, par);
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

static void event_subprocess(gen *g, scope *s, unsigned *used)
{
    char ref[64], id[ID_LEN], start[ID_LEN];
    if (!catch_ref(g, used, ref, sizeof ref))
        return;
    scope in = { .depth = s->depth + 1, .outer = s, .top = s->top };
    node(g, "v", id, RG_EVENT_SUB_PROCESS);
    node(g, "vs", start, RG_START_EVENT);
    emit(&in, "<startEvent id=\"%s\"><errorEventDefinition%s/></startEvent>",
         start, ref);
    edge e;
    edge_from(&e, start);
    path(g, &in, e, rg_below(&g->r, 4), NULL, 0, 0);
    emit(s, "<subProcess id=\"%s\" triggeredByEvent=\"true\">", id);
    if (in.body.p)
        bputs(&s->body, in.body.p);
    s->body.oom |= in.body.oom;
    free(in.body.p);
    emit(s, "</subProcess>");
}

/* A start event, a path of up to `blocks` blocks and, now and then,
 * error event subprocesses. */
static void scope_body(gen *g, scope *s, unsigned blocks)
{
    char start[ID_LEN];
    node(g, "st", start, RG_START_EVENT);
    emit(s, "<startEvent id=\"%s\"/>", start);
    edge e;
    edge_from(&e, start);
    path(g, s, e, blocks, NULL, 0, 0);
    unsigned used = 0;
    if (g->budget > 1 && rg_chance(&g->r, s->top ? 45 : 30)) {
        event_subprocess(g, s, &used);
        if (rg_chance(&g->r, 25))
            event_subprocess(g, s, &used);
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
              "id=\"replay_defs\" targetNamespace=\"http://baton.test/"
              "replay\">\n");
    for (unsigned i = 0; i < RG_N_CODES; i++) {
        char line[96];
        snprintf(line, sizeof line, "  <error id=\"err_%s\" errorCode=\"%s\"/>\n",
                 rg_codes[i], rg_codes[i]);
        bputs(&b, line);
    }
    bputs(&b, "  <error id=\"err_any\"/>\n"
              "  <process id=\"replay\" isExecutable=\"true\">\n");
    if (top.body.p)
        bputs(&b, top.body.p);
    bputs(&b, "  </process>\n</definitions>\n");
    int oom = b.oom || top.body.oom;
    free(top.body.p);
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
    };
    return kind >= 0 && kind < RG_KINDS ? names[kind] : "?";
}
