/* The in-memory form of a loaded BPMN document. Immutable after load:
 * everything lives in the model's arena. Element and flow references are
 * indices into their process's arrays. */
#ifndef BT_MODEL_MODEL_H
#define BT_MODEL_MODEL_H

#include <stdatomic.h>
#include <stdint.h>

#include "util/arena.h"
#include "feel/feel.h"
#include "util/timer.h"

/* Element kinds, from the kind table (kinds.def). */
typedef enum bt_kind {
#define BT_KIND(name, tag, zeebe, flags, evdefs, proc) BT_##name,
#include "model/kinds.def"
#undef BT_KIND
    BT_KIND_COUNT
} bt_kind;

/* Event definition of an event element. */
typedef enum bt_evdef {
    BT_EVDEF_NONE = 0,
    BT_EVDEF_TERMINATE,
    BT_EVDEF_ERROR,
    BT_EVDEF_COMPENSATE,
    BT_EVDEF_TIMER,
    BT_EVDEF_MESSAGE,
    BT_EVDEF_SIGNAL,
    BT_EVDEF_ESCALATION,
    BT_EVDEF_LINK,
    BT_EVDEF_CONDITIONAL,
    BT_EVDEF_CANCEL
} bt_evdef;

#define BT_EVS(d) (1u << BT_EVDEF_##d)

/* What a kind is (flags of the kind table). */
enum bt_kind_flag {
    BT_KF_EVENT = 1u << 0,
    BT_KF_ACTIVITY = 1u << 1, /* boundary events, compensation, mappings */
    BT_KF_JOB = 1u << 2,      /* creates a job for a handler or the host */
    BT_KF_SCOPE = 1u << 3,    /* holds elements and variables */
    BT_KF_GATEWAY = 1u << 4,
    BT_KF_JOINS_ALL = 1u << 5, /* waits for a token on every incoming flow */
    /* Waits for a token on every incoming flow that a token of its scope
     * can still reach (an inclusive join, BPMN 2.0.2 §13.4.3). */
    BT_KF_JOINS_REACHABLE = 1u << 6
};

typedef struct bt_kind_info {
    const char *tag;   /* BPMN local name */
    const char *zeebe; /* Zeebe's bpmnElementType */
    uint32_t flags;    /* BT_KF_* */
    uint32_t evdefs;   /* BT_EVS() mask of the definitions it may carry */
} bt_kind_info;

extern const bt_kind_info bt_kinds[BT_KIND_COUNT];

/* The kind with BPMN local name `tag`, or -1. */
int bt_kind_of_tag(const char *tag);

static inline int bt_kind_has(int kind, uint32_t flag)
{
    return kind >= 0 && kind < BT_KIND_COUNT && (bt_kinds[kind].flags & flag);
}

typedef struct bt_header {
    const char *name;
    const char *value;
} bt_header;

/* One input or output mapping: evaluate `source`, write it to `target`
 * (a name or dotted path). */
typedef struct bt_mapping {
    bt_expr *source;
    const char *target;
} bt_mapping;

/* The detail of the kinds that create a job (BT_KF_JOB). */
typedef struct bt_job_def {
    const char *type;   /* static type, NULL when type_expr */
    bt_expr *type_expr; /* type given as "=expression" */
    /* Retries given as "=expression", worked out when the job is
     * created (NULL: `retries`). */
    bt_expr *retries_expr;
    int32_t retries;    /* static retries (default 3) */
    /* Camunda 7's failedJobRetryTimeCycle "R3/PT5M": the wait before each
     * retry of a failed job (has_backoff 0: none; retries then hold the
     * cycle's count). */
    uint8_t has_backoff;
    bt_duration backoff;
    bt_header *headers;
    uint32_t n_headers;
} bt_job_def;

/* The joins of one scope, the process level or a subprocess, in
 * document order: the elements with more than one incoming flow whose
 * kind waits there (bt_el_joins()), where join marks sit; `n_reachable`
 * of them are BT_KF_JOINS_REACHABLE. */
typedef struct bt_scope_joins {
    uint32_t *joins;
    uint32_t n_joins;
    uint32_t n_reachable;
} bt_scope_joins;

/* The detail of scopes (BT_KF_SCOPE): their start event (the none start
 * event of an embedded subprocess, the error start event of an event
 * subprocess), and the event subprocesses directly inside them. */
typedef struct bt_scope_def {
    int32_t start;
    /* Without a start event, the flow nodes of the scope that have no
     * incoming sequence flow, in document order: each starts with the
     * scope (BPMN 2.0.2 §10.5.2). */
    uint32_t *implicit_starts;
    uint32_t n_implicit_starts;
    uint8_t triggered_by_event; /* an event subprocess */
    /* A transaction subprocess (BPMN 2.0.2 §10.2.2), and its cancel
     * boundary event (-1: none). */
    uint8_t transaction;
    int32_t cancel_boundary;
    /* Its compensation event subprocess (-1: none): compensating the
     * completed subprocess runs it, in a revived instance of the
     * subprocess, instead of compensating what completed inside. */
    int32_t comp_esp;
    uint32_t *event_subprocesses;
    uint32_t n_event_subprocesses;
    bt_scope_joins joins;
} bt_scope_def;

/* The detail of events (BT_KF_EVENT) beyond their definition. */
/* The small fields of these structs come first, packed: bt_element's
 * size decides how cheaply an element index becomes its address, and the
 * engine does that on every step (tests/bench/bench_saga.c). */
typedef struct bt_event_def {
    /* Boundary events. */
    int32_t attached_to; /* -1 unless a boundary event */
    /* Link events: on a throw, the catch event it goes to. */
    int32_t link_target;
    /* Compensation throw events: the activity to compensate (-1: the whole
     * scope) and waitForCompletion. */
    int32_t activity_ref;
    uint8_t cancel_activity;
    uint8_t wait_for_completion;
    /* Start events of event subprocesses: isInterrupting (default 1). */
    uint8_t interrupting;
    /* Timers: timeDuration, timeDate or timeCycle (enum bt_timer_type),
     * parsed at load, or an expression evaluated when the timer starts
     * (it must give the definition's text). */
    uint8_t timer_type;
    /* Error events: the errorCode of the referenced error; NULL on a catch
     * event means "every error". Camunda 7 variables that receive the
     * caught error's code and message (NULL when not asked for). */
    const char *error_code;
    const char *error_code_variable;
    const char *error_message_variable;
    const bt_timer_spec *timer; /* NULL when timer_expr */
    bt_expr *timer_expr;
    /* Messages and signals: the name, fixed or an expression evaluated
     * when the subscription opens; a message's correlation key
     * expression (zeebe:subscription correlationKey; NULL: none). */
    const char *name;
    bt_expr *name_expr;
    bt_expr *correlation_key;
    /* Escalations: the escalationCode thrown, or caught (NULL on a catch:
     * every escalation). */
    const char *escalation_code;
    /* Error end events and escalation throw events: the code they throw
     * given as an expression, worked out when they throw (NULL: the
     * static code above). As Zeebe, only a throw's code may be one. */
    bt_expr *code_expr;
    /* Conditional events: the condition. */
    bt_expr *condition;
    /* Link events: the name. */
    const char *link_name;
} bt_event_def;

/* Multi-instance loop characteristics (BPMN 2.0.2 §10.2.8), as Zeebe's
 * zeebe:loopCharacteristics and Camunda 7's camunda:collection say them.
 * The activity runs once per item of `input_collection` (a list), or
 * `cardinality` times when there is no collection. */
typedef struct bt_loop_def {
    uint8_t sequential; /* isSequential */
    /* loopCounter counts from 0 (Camunda 7 models) instead of 1 (Zeebe
     * and plain BPMN models). */
    uint8_t zero_based;
    bt_expr *input_collection;    /* NULL: cardinality */
    bt_expr *cardinality;         /* NULL: input_collection */
    const char *input_element;    /* NULL: none */
    const char *output_collection; /* NULL: none */
    bt_expr *output_element;      /* NULL: each item is null */
    /* When the output element is a plain name or path: its first name,
     * kept local to each inner instance so a job result of that name
     * stays there (as Zeebe). */
    const char *output_local;
    bt_expr *completion; /* completionCondition, NULL when none */
    /* A standard loop (standardLoopCharacteristics): the activity runs
     * again, one iteration at a time, while the loop condition holds
     * (tested before each iteration with testBefore, else after each),
     * at most loop_maximum times. A multi-instance loop leaves these 0,
     * NULL and -1. */
    uint8_t standard;
    uint8_t test_before;
    bt_expr *loop_condition; /* NULL: none */
    int64_t loop_maximum;    /* -1: none */
} bt_loop_def;

/* Which deployment of the called process a call activity starts. */
enum bt_call_binding {
    BT_BIND_LATEST,     /* the latest when the call activity activates */
    BT_BIND_DEPLOYMENT, /* the one deployed from the caller's model */
    BT_BIND_VERSION     /* Camunda 7's calledElementVersion */
};

/* A Camunda 7 camunda:in or camunda:out: `source` (a variable of the
 * other side, or an expression) to `target`; `all` passes every
 * variable; `local` takes the caller's local variables (in) or sets
 * them local to the call activity (out). */
typedef struct bt_call_var {
    bt_expr *source; /* NULL with `all` */
    const char *target;
    uint8_t all;
    uint8_t local;
} bt_call_var;

/* A call activity: the process it starts, and what passes between the
 * two. Zeebe passes every variable the call activity sees in and every
 * variable of the child out unless told otherwise
 * (propagateAllParentVariables, propagateAllChildVariables); Camunda 7
 * passes only what camunda:in and camunda:out name. */
typedef struct bt_call_def {
    const char *process_id;   /* NULL when process_expr */
    bt_expr *process_expr;    /* worked out when it activates */
    uint8_t binding;          /* enum bt_call_binding */
    int32_t version;          /* BT_BIND_VERSION */
    uint8_t camunda7;         /* variables pass by ins and outs only */
    uint8_t all_parent;       /* Zeebe: every variable in */
    uint8_t all_child;        /* Zeebe: every child variable out */
    bt_call_var *ins, *outs;
    uint32_t n_ins, n_outs;
} bt_call_def;

/* A script task the engine evaluates (BT_EVAL_SCRIPT_TASK): Zeebe's
 * zeebe:script (FEEL) or a Camunda 7 script in JUEL. Its result goes to
 * `result_variable` as a job's result would (NULL: nowhere, a Camunda 7
 * script without camunda:resultVariable, run for its JUEL calls). */
typedef struct bt_script_def {
    bt_expr *expr;
    const char *result_variable;
} bt_script_def;

/* More iterations than a loop runs, multi-instance or standard: more is
 * a modelling error, not a workload. */
#define BT_MI_MAX 1000000u

/* An element: what every kind has, then the detail of its kind, which
 * only that kind's code reads (the kind table says which apply). */
typedef struct bt_element {
    const char *id;   /* never NULL */
    const char *name; /* may be NULL */
    const char *tag;  /* BPMN local name, e.g. "serviceTask" */
    uint32_t line;
    uint16_t kind;  /* bt_kind */
    uint16_t evdef; /* bt_evdef; BT_EVDEF_NONE unless an event */
    int32_t parent; /* enclosing subprocess element, -1 at process level */
    int32_t default_flow; /* flow index, -1 when none */

    uint32_t *incoming; /* flow indices */
    uint32_t *outgoing;
    uint32_t n_incoming;
    uint32_t n_outgoing;

    /* Input and output mappings. */
    bt_mapping *inputs;
    bt_mapping *outputs;
    uint32_t n_inputs;
    uint32_t n_outputs;

    /* Activities: the boundary events attached to them, and the handler
     * (an isForCompensation activity associated with their compensation
     * boundary event), -1 when none. */
    uint32_t *boundaries;
    uint32_t n_boundaries;
    int32_t compensation_handler;
    /* A compensation handler: the activity it compensates, else -1. */
    int32_t compensates;
    uint8_t is_for_compensation;
    /* A receive task: its message (name, correlation key) is in `event`,
     * as a message catch event's; instantiate="true" makes it a start. */
    uint8_t instantiate;
    /* Activities: multi-instance loop characteristics, NULL when none. */
    const bt_loop_def *loop;
    /* A call activity's call (NULL for every other kind). */
    const bt_call_def *call;
    /* An evaluated script task's script (NULL for every other kind). */
    const bt_script_def *script;

    bt_job_def job;     /* BT_KF_JOB */
    bt_scope_def scope; /* BT_KF_SCOPE */
    bt_event_def event; /* BT_KF_EVENT */
} bt_element;

typedef struct bt_flow {
    const char *id;
    uint32_t line;
    uint32_t source; /* element index */
    uint32_t target; /* element index */
    bt_expr *condition; /* NULL when unconditional */
} bt_flow;

typedef struct bt_process {
    const char *id;
    const char *name; /* may be NULL */
    uint32_t line;
    int executable; /* 1 when isExecutable="true" and it checked clean */
    bt_element *elements;
    uint32_t n_elements;
    bt_flow *flows;
    uint32_t n_flows;
    int32_t start; /* the process-level none start event, -1 if none */
    /* Without any start event, the process-level flow nodes that have no
     * incoming sequence flow (as bt_scope_def's). */
    uint32_t *implicit_starts;
    uint32_t n_implicit_starts;
    /* Every process-level start event (none, timer, message, signal) and
     * instantiating receive task, in document order. */
    uint32_t *starts;
    uint32_t n_starts;
    uint32_t *event_subprocesses; /* at process level */
    uint32_t n_event_subprocesses;
    bt_scope_joins joins; /* of the process level */
    /* The static job types its elements create, each once, in document
     * order. */
    const char **job_types;
    uint32_t n_job_types;
} bt_process;

struct baton_model {
    atomic_int refs;
    bt_arena arena;
    const char *source_name; /* "" when none */
    /* What snapshots carry from format 6, and deployments compare: a hash
     * of the document's executable content (lib/loader/identity.c). */
    uint64_t identity;
    /* FNV-1a 64 of the document bytes, what snapshots of formats 1 to 5
     * carry: they restore against a model with those bytes. */
    uint64_t byte_sum;
    bt_process *processes;
    uint32_t n_processes;
};

/* Index of the element with `id` in `p`, or -1. */
int32_t bt_process_find(const bt_process *p, const char *id);

void bt_model_ref(baton_model *m);
void bt_model_unref(baton_model *m);

uint64_t bt_fnv1a64(const void *data, size_t len, uint64_t seed);
#define BT_FNV_SEED 0xcbf29ce484222325ull

/* Fills p->job_types from its elements. Returns 0 or BATON_ENOMEM. */
int bt_process_list_job_types(bt_arena *ar, bt_process *p);

/* Whether tokens wait at `e` for others: a gateway with more than one
 * incoming flow whose kind joins them. */
static inline int bt_el_joins(const bt_element *e)
{
    return bt_kind_has(e->kind, BT_KF_JOINS_ALL | BT_KF_JOINS_REACHABLE) &&
           e->n_incoming >= 2;
}

/* The joins of the scope that element `scope` (-1: the process level)
 * holds. */
static inline const bt_scope_joins *bt_joins_of(const bt_process *p,
                                                int32_t scope)
{
    return scope < 0 ? &p->joins : &p->elements[scope].scope.joins;
}

/* Lists the joins of every scope of `p`, once its elements and flows are
 * linked. Returns 0 or BATON_ENOMEM. */
int bt_process_list_joins(bt_arena *ar, bt_process *p);

/* Whether an element creates a job: the kinds that do (BT_KF_JOB), and
 * message throw and end events, which are jobs as in Zeebe. */
static inline int bt_el_has_job(const bt_element *e)
{
    return bt_kind_has(e->kind, BT_KF_JOB) ||
           (e->evdef == BT_EVDEF_MESSAGE &&
            (e->kind == BT_END_EVENT || e->kind == BT_INTERMEDIATE_THROW_EVENT));
}

/* Whether `e` compensates when it is reached: a compensation throw or
 * end event, or a cancel end event, which compensates its transaction
 * before the transaction is left by its cancel boundary event. */
static inline int bt_el_throws_compensation(const bt_element *e)
{
    return (e->evdef == BT_EVDEF_COMPENSATE &&
            e->kind != BT_BOUNDARY_EVENT) ||
           (e->evdef == BT_EVDEF_CANCEL && e->kind == BT_END_EVENT);
}

/* Whether `e` may run for a compensation throw event, beside it: a
 * handler (isForCompensation), or a subprocess with a compensation event
 * subprocess, revived to run it. */
static inline int bt_el_compensates(const bt_element *e)
{
    return e->is_for_compensation ||
           (e->kind == BT_SUB_PROCESS && e->scope.comp_esp >= 0);
}

/* Whether a process starts without naming a start event: at its none
 * start event, or, having no start event at all, at its flow nodes
 * without incoming flows (none when it is empty). */
static inline int bt_process_starts_plainly(const bt_process *p)
{
    return p->start >= 0 || !p->n_starts;
}

/* Zeebe's bpmnElementType for an element ("SERVICE_TASK", ...). */
const char *bt_kind_zeebe_name(const bt_element *e);

#endif
