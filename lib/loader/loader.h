/* Shared by the parts of the BPMN loader: bpmn.c (the secure XML stage,
 * processes, scopes, flows and validation), events.c (where event
 * definitions may sit, errors, scopes and their start events, boundary
 * events, compensation), evdefs.c (the root elements that definitions
 * name and the details of timer, message, signal, escalation,
 * conditional and link definitions, receive tasks, event-based gateways),
 * identity.c (the model's identity for snapshots and deployments)
 * and extensions.c (what the core asks of the dialects: jobs, headers, input
 * and output mappings, conditions), which reads each dialect through
 * dialect.h (zeebe.c, camunda7.c). Nothing else includes these headers,
 * so libxml2 stays inside the loader. */
#ifndef BT_LOADER_LOADER_H
#define BT_LOADER_LOADER_H

#include <libxml/tree.h>
#include <string.h>

#include "loader/model_load.h"

#ifndef BT_PRINTF
#ifdef __GNUC__
#define BT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BT_PRINTF(f, a)
#endif
#endif

#define BT_NS_BPMN "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define BT_NS_ZEEBE "http://camunda.org/schema/zeebe/1.0"
#define BT_NS_CAMUNDA "http://camunda.org/schema/1.0/bpmn"

/* Where a refused construct sits; see the table in bpmn.c. */
enum bt_refusal_kind {
    BT_REFUSE_ELEMENT, /* a child of a process */
    BT_REFUSE_EVDEF,   /* an event definition on an event */
    BT_REFUSE_CHILD,   /* a child of an activity */
    BT_REFUSE_EXT,     /* an element inside extensionElements */
    BT_REFUSE_ATTR,    /* an attribute of an activity */
    BT_REFUSE_EVSUB_START /* the event definition of an event subprocess's
                             start event */
};

/* What an id names. */
enum bt_id_what {
    BT_ID_ELEMENT, /* an element of a process (index into its elements) */
    BT_ID_FLOW,    /* a sequence flow (index into its flows) */
    BT_ID_REFUSED, /* something refused, already reported */
    /* Root elements that event definitions name (index into
     * bt_loader.roots). */
    BT_ID_ERROR,
    BT_ID_MESSAGE,
    BT_ID_SIGNAL,
    BT_ID_ESCALATION,
    BT_ID_OTHER
};

typedef struct bt_stored_problem {
    bt_problem p;
    size_t seq;
} bt_stored_problem;

typedef struct bt_id_slot bt_id_slot;

typedef struct bt_id_map {
    bt_id_slot *slots;
    size_t cap;
    size_t count;
} bt_id_map;

typedef struct bt_loader {
    bt_alloc alloc;
    size_t max_bytes;
    int max_depth;
    long max_elements;
    bt_arena *ar;     /* the model's arena */
    bt_arena scratch; /* problems and temporary text */
    bt_stored_problem *probs;
    size_t n_probs, cap_probs;
    int oom; /* an allocation failed: the load ends with BATON_ENOMEM */
    /* XML stage */
    int depth;
    long elements;
    int xml_failed;
    /* model stage */
    bt_id_map ids;
    /* The definitions' <error>, <message>, <signal> and <escalation>
     * elements, in document order. */
    const xmlNode **roots;
    uint32_t n_roots;
    /* Per root message, what the dialects said of its subscription (the
     * correlation key, compiled once and shared by every element that
     * waits for it: reading it again for each would cost the message's
     * size each time). */
    struct bt_expr **root_keys;
    uint8_t *root_keyed;
} bt_loader;

/* Bits of bt_proc_build.flags. */
enum {
    BT_EL_REFUSED_EVDEF = 1 /* its event definition was refused */
};

/* A process while it is built. Elements of every nesting level share the
 * process's arrays, in document order (a subprocess before its content). */
typedef struct bt_proc_build {
    bt_process *p;
    int32_t index;
    const xmlNode **enodes;  /* tree node of each element */
    const xmlNode **evnodes; /* its accepted event definition, or NULL */
    uint8_t *flags;          /* BT_EL_* of each element */
    const xmlNode **fnodes;  /* tree node of each flow */
    int32_t *fparent;        /* the subprocess holding each flow, or -1 */
    int32_t *fsource;        /* each flow's ends, -1 when unresolved */
    int32_t *ftarget;
    const xmlNode **anodes;  /* associations, at every level */
    uint32_t n_assoc;
} bt_proc_build;

/* Where an expression sits, for its problems. */
typedef struct bt_expr_site {
    const char *tag;
    const char *id;
    int line;
} bt_expr_site;

static inline int bt_is_elem(const xmlNode *n, const char *ns)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, ns) == 0;
}

static inline int bt_is_elem_named(const xmlNode *n, const char *ns,
                                   const char *name)
{
    return bt_is_elem(n, ns) && strcmp((const char *)n->name, name) == 0;
}

static inline const char *bt_tag_of(const xmlNode *n)
{
    return (const char *)n->name;
}

static inline int bt_is_false(const char *v)
{
    return v && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0);
}

static inline int bt_is_true(const char *v)
{
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* Tasks and subprocesses: what boundary events attach to and what
 * compensation handlers and activityRef name. */
static inline int bt_is_activity(int kind)
{
    return bt_kind_has(kind, BT_KF_ACTIVITY);
}

/* Records a problem; strings are copied, so callers may pass pointers
 * into the tree. */
BT_PRINTF(7, 8)
void bt_load_problem(bt_loader *ld, int code, int line, int column,
                     const char *tag, const char *id, const char *fmt, ...);

/* The message for something the table refuses, or NULL. */
const char *bt_load_refusal(int where, const char *ns, const char *name);

/* Reports an EUNSUPPORTED at `n`'s line; `msg` NULL says "<tag of n> is
 * not supported". */
void bt_load_refuse(bt_loader *ld, const xmlNode *n, const char *tag,
                    const char *id, const char *msg);

/* Registers the id of `n` as a bt_id_what in pb's process (none when pb
 * is NULL); reports a missing (if asked) or duplicate one. Returns the id,
 * borrowed from the tree, or NULL. */
const char *bt_load_claim_id(bt_loader *ld, const bt_proc_build *pb,
                             const xmlNode *n, int what, int32_t index,
                             int report_missing);

/* What `ref` names (a bt_id_what), with its process (-1 outside any) and
 * index; -1 when nothing has that id. */
int bt_load_ref(const bt_loader *ld, const char *ref, int32_t *proc,
                int32_t *index);

/* 1-based line of the element's start tag, 0 when unknown. */
int bt_load_line(const xmlNode *n);

/* An attribute's value, borrowed from the tree, or NULL when absent. `ns`
 * NULL means an unqualified attribute, as BPMN's own are. */
const char *bt_load_attr(bt_loader *ld, const xmlNode *n, const char *ns,
                         const char *name);

/* The element's direct text and CDATA, trimmed, in scratch memory. */
const char *bt_load_text(bt_loader *ld, const xmlNode *n, size_t *len);

/* A copy in the model's arena; NULL for NULL. */
const char *bt_load_dup(bt_loader *ld, const char *s);

/* Compiles in the model's arena; reports BATON_EEXPR at `at` on error. */
bt_expr *bt_load_compile(bt_loader *ld, const bt_expr_site *at,
                         const char *text, size_t len, int dialect);

/* An expression as Zeebe and Camunda 7 write them: "=..." is FEEL,
 * "${...}"/"#{...}" is JUEL, anything else is FEEL as a whole. */
bt_expr *bt_load_expr(bt_loader *ld, const bt_expr_site *at,
                      const char *text, size_t len);

/* A formal expression element (a conditionExpression, a conditional event
 * definition's condition) as the dialects read conditions; NULL, after
 * reporting at `at`, when its language is not supported or it does not
 * compile. */
bt_expr *bt_load_formal_expr(bt_loader *ld, const bt_expr_site *at,
                             const xmlNode *c);

/* The conditionExpression of a sequence flow, as the dialects read it. */
void bt_load_condition(bt_loader *ld, bt_flow *f, const xmlNode *fn);

/* Job type, retries, headers and mappings of a supported flow node. */
void bt_load_extensions(bt_loader *ld, bt_element *e, const xmlNode *n);

/* What the dialects say of the error that error event definition `d` of
 * catch event `e` catches (the variables it goes to). */
void bt_load_caught_error(bt_loader *ld, bt_element *e, const xmlNode *d);

/* What the dialects say of the subscription of catch event or receive
 * task `e` to message `m` (its correlation key). */
void bt_load_subscription(bt_loader *ld, bt_element *e, const xmlNode *m);

/* Whether event definition `c` may sit on event `e` where it is: returns
 * its bt_evdef, or -1 after reporting why not. */
int bt_load_evdef(bt_loader *ld, const bt_process *p, const bt_element *e,
                  const xmlNode *c);

/* The rules of sequence flow `index` that depend on scopes, boundary
 * events and compensation; `src` and `dst` are its ends' element indices,
 * -1 when unresolved. */
void bt_load_check_flow(bt_loader *ld, const bt_proc_build *pb,
                        uint32_t index, int32_t src, int32_t dst);

/* Registers the definitions' <error>, <message>, <signal> and
 * <escalation> elements for errorRef, messageRef, signalRef and
 * escalationRef. */
void bt_load_roots(bt_loader *ld, const xmlNode *root);

/* The details of the timer, message, signal, escalation, conditional or
 * link definition of event `i`, and a receive task's message. */
void bt_load_evdef_detail(bt_loader *ld, bt_proc_build *pb, uint32_t i);

/* After every element's details: link throw events find their catch
 * events, and event-based gateways are checked against their targets. */
void bt_load_links(bt_loader *ld, bt_proc_build *pb);
void bt_load_event_gateways(bt_loader *ld, const bt_proc_build *pb);

/* starts.c: checks that each scope can start, at its start events (the
 * counts per slot in `starts`, slot 0 the process and i + 1 element i;
 * `refused` flags slots whose start events were refused) or else at its
 * flow nodes without incoming flows, which it lists. */
void bt_load_scope_starts(bt_loader *ld, bt_proc_build *pb,
                          const uint32_t *starts, const uint8_t *refused);

/* loops.c: reads the multiInstanceLoopCharacteristics `c` of activity
 * `e` (BPMN 2.0.2 §10.2.8, with zeebe:loopCharacteristics or Camunda 7's
 * camunda:collection and camunda:elementVariable). */
void bt_load_loop(bt_loader *ld, bt_element *e, const xmlNode *c);
/* scripts.c: what script task `e`, node `n`, runs: a script the engine
 * evaluates (its kind becomes BT_EVAL_SCRIPT_TASK), or a job; for a job
 * that runs a script, the headers that carry it go to `headers` (room
 * for BT_SCRIPT_HEADERS), and their count is returned. Called before its
 * extensions are read, which depend on whether it has a job. */
#define BT_SCRIPT_HEADERS 3
uint32_t bt_load_script(bt_loader *ld, bt_element *e, const xmlNode *n,
                        bt_header *headers);
/* calls.c: the call of call activity `e`, node `n`. */
void bt_load_call(bt_loader *ld, bt_element *e, const xmlNode *n);
/* Reads the standardLoopCharacteristics `c` of activity `e`. */
void bt_load_standard_loop(bt_loader *ld, bt_element *e, const xmlNode *c);
/* After the events: refuses compensation handlers with loop
 * characteristics. */
void bt_load_check_loops(bt_loader *ld, const bt_proc_build *pb);

/* transactions.c: cancel end and boundary events where they belong,
 * and each transaction's cancel boundary event, once boundary events
 * know what they are attached to. */
void bt_load_transactions(bt_loader *ld, bt_proc_build *pb);

/* After the flows are linked: event definitions' details (error codes,
 * activityRef, the others through bt_load_evdef_detail), start events of
 * every scope, boundary events, event subprocess lists, compensation
 * handlers, links and event-based gateways. */
void bt_load_events(bt_loader *ld, bt_proc_build *pb);

/* identity.c: the model's identity, a hash of the executable content of
 * the document under `root` (`doc_len` bytes long), which reformatting
 * does not change; the file's comment says what counts. Returns 0, or -1
 * when the tree lost a value libxml2 could not allocate (out of memory,
 * which libxml2 told only its global handler). */
int bt_load_identity(const xmlNode *root, size_t doc_len, uint64_t *out);

#endif
