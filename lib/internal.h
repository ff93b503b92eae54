/* The engine's and instance's private structures, shared by the files of
 * lib/ that implement them. Nothing here is exported. */
#ifndef BT_INTERNAL_H
#define BT_INTERNAL_H

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>

#include "arena.h"
#include "mem.h"
#include "model.h"

/* ---- engine ------------------------------------------------------- */

typedef struct bt_handler {
    char *type;
    baton_handler_fn fn;
    void *ud;
} bt_handler;

typedef struct bt_deployment {
    baton_model *model;
    const bt_process *process;
    int version;
} bt_deployment;

struct baton_engine {
    bt_alloc alloc;
    baton_log_fn log;
    void *log_ud;
    baton_clock_fn clock;
    void *clock_ud;
    baton_record_fn record;
    void *record_ud;
    baton_persist_fn persist;
    void *persist_ud;

    int64_t limits[6];

    /* The step in progress (one at a time per engine: instances of an
     * engine are used by one thread, and a step of one instance cannot
     * start inside a step of another). Its records wait here for
     * delivery; the buffers are reused by every step. */
    const baton_instance *stepping;
    struct baton_record *recs;
    size_t n_recs, cap_recs;
    bt_arena scratch;

    bt_handler *handlers;
    size_t n_handlers, cap_handlers;
    bt_deployment *deps;
    size_t n_deps, cap_deps;
    uint64_t next_instance; /* instance keys are next_instance << 32 */

    /* Last error. */
    int err_code;
    int err_line;
    int err_column;
    char err_msg[512];
    char err_element[128];
    char err_source[256];
};

/* Clears the last error (every fallible API call does this on entry). */
void bt_clear_error(baton_engine *e);
/* Records the last error and returns `code`. `element` and `source` may be
 * NULL. */
int bt_error(baton_engine *e, int code, const char *source, int line,
             int column, const char *element, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;
void bt_log(baton_engine *e, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

const bt_handler *bt_engine_handler(const baton_engine *e, const char *type);
const bt_deployment *bt_engine_find_deployment(const baton_engine *e,
                                               const char *process_id,
                                               int version);

/* ---- JSON across the API ------------------------------------------ */

/* Parses JSON text with the engine's limits (duplicates refused, size and
 * depth capped). `want_object` refuses anything but an object. On failure
 * sets the engine's error and returns BATON_EPARSE, BATON_ELIMIT or
 * BATON_ENOMEM. `what` names the input in messages ("variables"). */
int bt_json_parse(baton_engine *e, const char *text, size_t len,
                  int want_object, const char *what, json_t **out);
/* The deepest JSON Baton reads anywhere (the parser recurses). */
#define BT_JSON_MAX_DEPTH 1024

typedef struct bt_json_error {
    int line, column;
    const char *message;
} bt_json_error;
/* Parses JSON text: duplicate keys refused, depth capped. Returns 0,
 * BATON_EPARSE, BATON_ELIMIT (depth) or BATON_ENOMEM. */
int bt_json_load(const bt_alloc *a, const char *text, size_t len,
                 int max_depth, json_t **out, bt_json_error *err);
/* Serialises `v` compactly into a baton_free() buffer. */
int bt_json_dump(const bt_alloc *a, const json_t *v, char **out,
                 size_t *len);

/* ---- instance ----------------------------------------------------- */

enum bt_ei_state {
    BT_EI_ACTIVATING,
    BT_EI_ACTIVATED,
    BT_EI_COMPLETING,
    BT_EI_COMPLETED,
    BT_EI_TERMINATING,
    BT_EI_TERMINATED
};

/* One element instance. The process instance itself has element -1. */
typedef struct bt_ei {
    uint64_t key;
    uint64_t scope_key; /* flow scope; 0 for the process instance */
    int32_t element;
    uint32_t state;
    json_t *vars; /* local variables, NULL until one is set */
    uint64_t job_key;
    /* A compensation throw event: the scope whose log it compensates, and
     * the log entry whose handler runs now (0: none). A compensation
     * handler: the throw event it runs for. */
    uint64_t comp_scope;
    uint64_t comp_entry;
    uint64_t comp_throw;
} bt_ei;

/* The compensation log: one entry per completed activity that can be
 * compensated, in its flow scope's log. A completed embedded subprocess
 * leaves one entry whose `sub_key` names the log of its own activities
 * (BPMN 2.0.2 §10.6.5: compensating a subprocess compensates what
 * completed inside it). */
typedef struct bt_comp {
    uint64_t key;       /* also the completion order */
    uint64_t scope_key; /* whose log: a live or a completed scope */
    int32_t element;    /* the completed activity */
    uint64_t sub_key;   /* a subprocess's own log, or 0 */
} bt_comp;

enum bt_job_state {
    BT_JOB_READY,    /* waits for a handler call or for the host */
    BT_JOB_DEFERRED, /* a handler deferred it */
    BT_JOB_INCIDENT  /* an incident holds it */
};

struct baton_job {
    baton_instance *inst;
    uint64_t key;
    uint64_t ei_key;
    int32_t element;
    int32_t retries;
    uint32_t state;
    char *type;          /* owned copy */
    char *error_message; /* last failure, owned, may be NULL */
};

enum bt_cmd_kind {
    BT_CMD_ACTIVATE,     /* element `element` in scope `scope_key` */
    BT_CMD_COMPLETE,     /* element instance `key` */
    BT_CMD_CALL_HANDLER, /* job `key` */
    BT_CMD_TERMINATE,    /* element instance `key` and all inside it */
    BT_CMD_THROW_ERROR   /* the error of error end event instance `key` */
};

typedef struct bt_cmd {
    uint32_t kind;
    int32_t element;
    uint64_t key;
    uint64_t scope_key;
} bt_cmd;

/* A token waiting at a parallel join: one per flow taken into it. */
typedef struct bt_joinmark {
    uint64_t scope_key;
    uint32_t flow;
} bt_joinmark;

enum bt_incident_type {
    BT_INC_JOB_NO_RETRIES,
    BT_INC_UNHANDLED_ERROR,
    BT_INC_CONDITION,
    BT_INC_EXTRACT_VALUE,
    BT_INC_IO_MAPPING,
    BT_INC_COUNT
};

typedef struct bt_incident {
    uint64_t key;
    uint32_t type;
    int32_t element;
    uint64_t ei_key;
    uint64_t job_key;
    char *message; /* owned */
    bt_cmd retry;  /* queued again when resolved (unless a job incident) */
} bt_incident;

/* A record waiting for delivery at the end of a step. Strings point into
 * the model, the instance, or the step's scratch arena. */
struct baton_record {
    uint8_t value_type;
    uint8_t intent;
    uint64_t key;
    uint64_t position;
    const baton_instance *inst;
    const bt_element *element; /* NULL for the process */
    const bt_flow *flow;       /* sequence flows */
    uint64_t flow_scope_key;
    /* job */
    const char *job_type;
    int32_t retries;
    const char *error_code;
    const char *error_message;
    uint64_t element_instance_key;
    /* variable */
    const char *var_name;
    json_t *var_value; /* a reference held until delivery */
    /* incident */
    const char *incident_type;
    uint64_t job_key;
    /* compensation: the handler */
    const bt_element *handler;
};

/* The outcome a handler chose, applied after it returns. */
enum bt_outcome_kind {
    BT_OUT_NONE,
    BT_OUT_COMPLETE,
    BT_OUT_FAIL,
    BT_OUT_ERROR,
    BT_OUT_DEFER
};

typedef struct bt_outcome {
    uint32_t kind;
    int32_t retries;
    json_t *vars;
    char *code;
    char *message;
} bt_outcome;

struct baton_instance {
    baton_engine *engine;
    baton_model *model; /* holds a reference */
    const bt_process *proc;
    int version;
    uint64_t key;
    uint64_t next_key;
    uint64_t position;
    uint64_t revision;
    int ended; /* 0, BATON_INSTANCE_COMPLETED or BATON_INSTANCE_TERMINATED */

    bt_ei *eis;
    size_t n_eis, cap_eis;
    baton_job *jobs;
    size_t n_jobs, cap_jobs;
    bt_incident *incidents;
    size_t n_incidents, cap_incidents;
    bt_cmd *queue; /* FIFO: queue[q_head .. n_queue) */
    size_t q_head, n_queue, cap_queue;
    bt_joinmark *marks;
    size_t n_marks, cap_marks;
    bt_comp *comps;
    size_t n_comps, cap_comps;

    /* The handler in progress. */
    baton_job *handler_job; /* the job whose handler is running */
    bt_outcome outcome;
};

/* instance.c */
bt_ei *bt_ei_find(const baton_instance *in, uint64_t key);
baton_job *bt_job_find(const baton_instance *in, uint64_t key);
int bt_instance_alloc(baton_engine *e, const bt_deployment *d,
                      baton_instance **out);
void bt_queue_compact(baton_instance *in);
/* Marks the engine busy with a step of `in` (refused inside a handler or
 * while another instance steps); commit and abort end it. */
int bt_step_begin(baton_instance *in);
void bt_drop_records(baton_engine *e);
int bt_reserve_marks(baton_instance *in, size_t marks);
int bt_reserve_incident(baton_instance *in);
int bt_reserve(baton_instance *in, size_t eis, size_t jobs, size_t queue,
               size_t recs);
/* Delivers the step's records to the sink and clears the step. */
void bt_step_commit(baton_instance *in);
/* Drops the step's records without delivering them. */
void bt_step_abort(baton_instance *in);

/* step.c: the token engine. Performs the transition at the head of the
 * queue. Atomic: on failure the instance is as before. */
int bt_step(baton_instance *in);
/* Applies a job outcome (from a handler or from the host). Atomic. */
int bt_apply_outcome(baton_instance *in, baton_job *job,
                     const bt_outcome *o);
void bt_outcome_clear(const bt_alloc *a, bt_outcome *o);

/* Shared by the transitions (step.c, catch.c, compensation.c). Capacity
 * for commands is reserved at the start of a step. */
void bt_push_cmd(baton_instance *in, uint32_t kind, int32_t element,
                 uint64_t key, uint64_t scope_key);
int bt_raise_incident(baton_instance *in, uint32_t type, const bt_ei *ei,
                      uint64_t job_key, bt_cmd retry, const char *message);
void bt_remove_ei(baton_instance *in, uint64_t key);
void bt_remove_job(baton_instance *in, uint64_t key);
/* Announces the termination of element instance `key` (everything inside
 * it first, then its job, unless that job is `thrower`, the one that threw
 * the error causing it) and of everything inside `scope_key` but `except`.
 * They change nothing, so they may fail; bt_sweep_inside() and
 * bt_remove_ei() do the removal after the last fallible operation. */
int bt_terminate_ei(baton_instance *in, uint64_t key, uint64_t thrower);
int bt_terminate_inside(baton_instance *in, uint64_t scope_key,
                        uint64_t except);
/* Then drop what they announced: everything inside `scope_key` but
 * `except`, or element instance `key` with its job, incidents, compensation
 * log and everything inside it. They cannot fail. */
void bt_sweep_inside(baton_instance *in, uint64_t scope_key, uint64_t except);
void bt_sweep_ei(baton_instance *in, uint64_t key);

/* catch.c: BPMN errors. Throws `code` from element instance `from`: the
 * nearest matching error boundary event or error event subprocess,
 * scope by scope outward, catches it. `thrower` is the job that threw it,
 * or 0. Returns 0 when caught, 1 when
 * nothing catches it, or BATON_ENOMEM. */
int bt_throw_error(baton_instance *in, uint64_t from, uint64_t thrower,
                   const char *code, const char *message);

/* compensation.c */
/* Logs a completed activity that can be compensated (or a subprocess
 * with compensable activities inside), announcing it. */
int bt_comp_completed(baton_instance *in, const bt_ei *ei);
/* Starts the next compensation handler of throw event `t`, or queues its
 * completion when none is left. */
int bt_comp_next(baton_instance *in, bt_ei *t);
/* A handler finished: announce it and move its throw event on. */
int bt_comp_handler_done(baton_instance *in, const bt_ei *handler);
/* Drops the log of scope `scope_key` and every log nested in it. */
void bt_comp_drop(baton_instance *in, uint64_t scope_key);

/* vars.c: variable scopes. */
json_t *bt_var_lookup(const baton_instance *in, uint64_t scope_key,
                      const char *name, size_t len);
/* Lookup context for expression evaluation. */
typedef struct bt_eval_ctx {
    const baton_instance *in;
    uint64_t scope_key;
    json_t *overlay; /* looked up first when not NULL */
} bt_eval_ctx;
json_t *bt_eval_lookup(void *ctx, const char *name, size_t len);

/* Undo log for variable writes, so a step that fails half-way can put
 * every scope back as it was. */
typedef struct bt_undo {
    json_t *obj;
    const char *name; /* in the engine's scratch arena (lives for the step) */
    json_t *old;      /* reference held; NULL when the name was new */
} bt_undo;

/* Start it as `bt_varlog log = { 0 };`: the first entries live inside. */
typedef struct bt_varlog {
    bt_undo *items; /* NULL: `local` */
    size_t n, cap;
    bt_undo local[6];
} bt_varlog;

/* Sets `name` to `value` (a new reference is taken) in scope `scope_key`,
 * logging the old value and announcing a VARIABLE record. */
int bt_var_set_local(baton_instance *in, bt_varlog *log, uint64_t scope_key,
                     const char *name, json_t *value);
/* Merges every member of `doc` as Zeebe propagates: each into the nearest
 * scope from `scope_key` upward that has it, else into the process scope. */
int bt_var_propagate(baton_instance *in, bt_varlog *log, uint64_t scope_key,
                     json_t *doc);
/* Sets a dotted `path` (a.b.c) inside the object `obj`, copying the
 * objects on the way so shared values are never changed in place. */
int bt_path_set(json_t *obj, const char *path, json_t *value);
void bt_varlog_undo(bt_varlog *log);
void bt_varlog_clear(bt_varlog *log, const bt_alloc *a);
/* The variables visible from `scope_key`, nearest first, as one object
 * holding references to the values (no deep copy). */
json_t *bt_var_collect(const baton_instance *in, uint64_t scope_key);

/* records.c */
struct baton_record *bt_rec_push(baton_instance *in, int value_type,
                                 int intent, uint64_t key);
int bt_rec_element(baton_instance *in, int intent, const bt_ei *ei);
const char *bt_scratch_strdup(baton_instance *in, const char *s);

/* snapshot.c has only public functions. */

extern const char *const bt_incident_type_names[BT_INC_COUNT];

#endif
