/* The in-memory form of a loaded BPMN document. Immutable after load:
 * everything lives in the model's arena. Element and flow references are
 * indices into their process's arrays. */
#ifndef BT_MODEL_H
#define BT_MODEL_H

#include <stdatomic.h>
#include <stdint.h>

#include "arena.h"
#include "feel.h"

typedef enum bt_kind {
    BT_START_EVENT,
    BT_END_EVENT,
    BT_INTERMEDIATE_THROW_EVENT,
    BT_TASK,
    BT_SERVICE_TASK,
    BT_SEND_TASK,
    BT_BUSINESS_RULE_TASK,
    BT_SCRIPT_TASK,
    BT_USER_TASK,
    BT_MANUAL_TASK,
    BT_EXCLUSIVE_GATEWAY,
    BT_PARALLEL_GATEWAY,
    BT_SUB_PROCESS,     /* embedded, or an event subprocess */
    BT_BOUNDARY_EVENT,
    BT_KIND_COUNT
} bt_kind;

/* Event definition of an event element. */
typedef enum bt_evdef {
    BT_EVDEF_NONE = 0,
    BT_EVDEF_TERMINATE,
    BT_EVDEF_ERROR,
    BT_EVDEF_COMPENSATE
} bt_evdef;

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

typedef struct bt_element {
    const char *id;   /* never NULL */
    const char *name; /* may be NULL */
    const char *tag;  /* BPMN local name, e.g. "serviceTask" */
    uint32_t line;
    uint16_t kind;  /* bt_kind */
    uint16_t evdef; /* bt_evdef */
    int32_t parent; /* enclosing subprocess element, -1 at process level */

    uint32_t *incoming; /* flow indices */
    uint32_t *outgoing;
    uint32_t n_incoming;
    uint32_t n_outgoing;
    int32_t default_flow; /* flow index, -1 when none */

    /* Tasks: the job they create. */
    const char *job_type;     /* static type, NULL when job_type_expr */
    bt_expr *job_type_expr;   /* type given as "=expression" */
    int32_t retries;          /* static retries (default 3) */
    bt_header *headers;
    uint32_t n_headers;
    bt_mapping *inputs;
    bt_mapping *outputs;
    uint32_t n_inputs;
    uint32_t n_outputs;

    /* Scopes (subprocesses): their start event (the none start event of an
     * embedded subprocess, the error start event of an event subprocess),
     * and the event subprocesses directly inside them. */
    int32_t start;
    uint8_t triggered_by_event; /* an event subprocess */
    uint32_t *event_subprocesses;
    uint32_t n_event_subprocesses;

    /* Activities: the boundary events attached to them, and the handler
     * (an isForCompensation activity associated with their compensation
     * boundary event), -1 when none. */
    uint32_t *boundaries;
    uint32_t n_boundaries;
    int32_t compensation_handler;
    uint8_t is_for_compensation;

    /* Boundary events. */
    int32_t attached_to; /* -1 unless a boundary event */
    uint8_t cancel_activity;

    /* Error events: the errorCode of the referenced error; NULL on a catch
     * event means "every error". Camunda 7 variables that receive the
     * caught error's code and message (NULL when not asked for). */
    const char *error_code;
    const char *error_code_variable;
    const char *error_message_variable;

    /* Compensation throw events: the activity to compensate (-1: the whole
     * scope) and waitForCompletion. */
    int32_t activity_ref;
    uint8_t wait_for_completion;
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
    uint32_t *event_subprocesses; /* at process level */
    uint32_t n_event_subprocesses;
    /* The static job types its elements create, each once, in document
     * order. */
    const char **job_types;
    uint32_t n_job_types;
} bt_process;

struct baton_model {
    atomic_int refs;
    bt_arena arena;
    const char *source_name; /* "" when none */
    uint64_t checksum;       /* FNV-1a 64 of the document bytes */
    bt_process *processes;
    uint32_t n_processes;
};

/* A problem found while loading. */
typedef struct bt_problem {
    int code;            /* BATON_E* */
    int line;            /* 0 when unknown */
    int column;          /* 0 when unknown */
    const char *tag;     /* BPMN local name, or NULL */
    const char *id;      /* element id, or NULL */
    const char *message; /* without location */
} bt_problem;

typedef void (*bt_problem_fn)(void *ud, const bt_problem *p);

typedef struct bt_load_limits {
    size_t max_bytes;
    int max_depth;
    long max_elements;
} bt_load_limits;

/* Parses and checks a document. Calls `report` for every problem found (it
 * keeps going where it can, so `baton check` lists them all) and returns
 * the code of the first problem, or 0 with a model holding one reference
 * in `*out`. `source_name` may be NULL. */
int bt_parse_bpmn(const bt_alloc *a, const bt_load_limits *lim,
                  const char *xml, size_t len, const char *source_name,
                  bt_problem_fn report, void *report_ud, baton_model **out);

/* Index of the element with `id` in `p`, or -1. */
int32_t bt_process_find(const bt_process *p, const char *id);

void bt_model_ref(baton_model *m);
void bt_model_unref(baton_model *m);

uint64_t bt_fnv1a64(const void *data, size_t len, uint64_t seed);
#define BT_FNV_SEED 0xcbf29ce484222325ull

/* Fills p->job_types from its elements; `has_job` says which kinds
 * create jobs. Returns 0 or BATON_ENOMEM. */
int bt_process_list_job_types(bt_arena *ar, bt_process *p,
                              int (*has_job)(int kind));

/* Zeebe's bpmnElementType for an element ("SERVICE_TASK", ...). */
const char *bt_kind_zeebe_name(const bt_element *e);

#endif
