/* A process instance as the kernel keeps it: a tree of element instances
 * found by key in constant time, its jobs, incidents, queued commands,
 * join marks and compensation log. The kernel knows no element kind: it
 * creates, finds, terminates and removes element instances, keeps the
 * counts that tell when a scope is empty, and runs every change inside one
 * transaction (txn.c). */
#ifndef BT_KERNEL_INSTANCE_H
#define BT_KERNEL_INSTANCE_H

#include <jansson.h>
#include <stdint.h>

#include "kernel/engine.h"
#include "util/keymap.h"

enum bt_ei_state {
    BT_EI_ACTIVATING,
    BT_EI_ACTIVATED,
    BT_EI_COMPLETING,
    BT_EI_COMPLETED,
    BT_EI_TERMINATING,
    BT_EI_TERMINATED
};

typedef struct bt_ei bt_ei;

/* One element instance. A process instance has element -1: the instance's
 * own (the root, no scope), or one a call activity started (its scope is
 * the call activity's element instance). */
struct bt_ei {
    uint64_t key;
    bt_ei *scope;           /* flow scope; NULL for the process instance */
    const bt_process *proc; /* the process its element belongs to */
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

    /* The tree: children in creation order. */
    bt_ei *first, *last, *prev, *next;
    /* Every element instance, in creation order (newest last). */
    bt_ei *older, *newer;
    /* Counts that spare a scan of the instance: activations queued in
     * this scope, commands queued that name this element instance, and
     * join marks (a token that took a flow into a join of this scope and
     * waits there), counted in `joins` (NULL until a token first waits
     * at a join of this scope). */
    uint32_t n_tokens;
    uint32_t n_pending;
    struct bt_joins *joins;
    /* Subscriptions that belong to it, in any state (its boundary
     * events', its event subprocesses' starts', its own catch's, and
     * events that occurred for them), so that ending it scans the
     * subscriptions only when it has some. */
    uint32_t n_subs;
    struct bt_sub *subs; /* those not closed, linked by owned_next */
    /* Set while it activates because its event already occurred (an
     * event-based gateway's event): it completes without waiting. */
    uint8_t triggered;
    /* A process instance: the version of the deployment it runs. */
    int32_t version;
    /* Multi-instance (BPMN 2.0.2 §10.2.8): a body, an element instance of
     * an activity with loop characteristics, holds the inner instances
     * that run the activity. A body keeps how many inner instances it
     * runs in all, how many have been activated, completed and
     * terminated, and the collection they run over (a reference, NULL
     * with a cardinality); an inner instance its 1-based place. */
    uint32_t mi_n, mi_next, mi_done, mi_ended;
    uint32_t mi_index;
    json_t *mi_items;
};

/* The join marks of a scope, in one allocation: counted per flow of the
 * process, and per join the incoming flows that have one, so that a token
 * arriving at a join costs the same however many wait there. */
typedef struct bt_joins {
    uint32_t n_marks;     /* in all */
    uint32_t *flow_marks; /* per flow index of the process */
    uint32_t *join_ready; /* per element index: incoming flows marked */
} bt_joins;

/* The element of an element instance (NULL for the process instance). */
static inline const bt_element *bt_ei_el(const bt_ei *ei)
{
    return ei->element >= 0 ? &ei->proc->elements[ei->element] : NULL;
}

/* The process instance `ei` belongs to (itself for one): variables are
 * looked up no further, and records name its key. */
static inline bt_ei *bt_ei_process(const bt_ei *ei)
{
    while (ei->element >= 0)
        ei = ei->scope;
    return (bt_ei *)ei;
}

/* The next scope whose variables `ei` sees: none above a process
 * instance (a called one sees only what its call activity passed). */
static inline bt_ei *bt_ei_var_parent(const bt_ei *ei)
{
    return ei->element < 0 ? NULL : ei->scope;
}

/* A subprocess revived to run its compensation event subprocess: it
 * runs for a throw event (`comp_throw`) without being a handler. */
static inline int bt_ei_revived(const bt_ei *ei)
{
    return ei->comp_throw && ei->element >= 0 &&
           !bt_ei_el(ei)->is_for_compensation;
}

/* An inner instance of a multi-instance body: the body is the only
 * scope that runs the same element. */
static inline int bt_ei_is_inner(const bt_ei *ei)
{
    return ei->element >= 0 && ei->scope &&
           ei->scope->element == ei->element;
}

/* A multi-instance body, or a standard loop's (which holds one
 * iteration at a time, as a sequential one does). */
static inline int bt_ei_is_body(const bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    return el && el->loop && !bt_ei_is_inner(ei);
}

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
    uint64_t pi_key;    /* the process instance whose activity it is */
    /* An inner instance of a loop (multi-instance or standard): its local
     * variables when it completed (its input element, loopCounter), which
     * its handler starts with; NULL for the others. A reference. */
    json_t *vars;
} bt_comp;

enum bt_job_state {
    BT_JOB_READY,    /* waits for a handler call or for the host */
    BT_JOB_DEFERRED, /* a handler deferred it */
    BT_JOB_INCIDENT, /* an incident holds it */
    BT_JOB_BACKOFF   /* failed, waits until `due` to be tried again */
};

/* The states in which a job is not handed out. */
static inline int bt_job_held(uint32_t state)
{
    return state == BT_JOB_INCIDENT || state == BT_JOB_BACKOFF;
}

struct baton_job {
    baton_instance *inst;
    uint64_t key;
    bt_ei *ei;
    int32_t retries;
    uint32_t state;
    int64_t due; /* BT_JOB_BACKOFF: when it is tried again */
    char *type;          /* owned copy */
    char *error_message; /* last failure, owned, may be NULL */
    baton_job *older, *newer; /* creation order */
};

enum bt_cmd_kind {
    BT_CMD_ACTIVATE,     /* element `element` in scope `scope_key` */
    BT_CMD_COMPLETE,     /* element instance `key` */
    BT_CMD_CALL_HANDLER, /* job `key` */
    BT_CMD_TERMINATE,    /* element instance `key` and all inside it */
    BT_CMD_THROW_ERROR,  /* the error of error end event instance `key` */
    BT_CMD_CONDITIONS,   /* evaluate the conditional subscriptions: every
                            one after key `key` and before `scope_key`
                            (element BT_COND_ALL; 0: no bound), or only
                            subscription `key` (BT_COND_ONE; BT_COND_RETRY
                            when its incident is resolved) */
    BT_CMD_SUBSCRIBE,    /* open the subscriptions of element instance
                            `key` again (an incident's retry) */
    BT_CMD_TRIGGER,      /* the event `scope_key` (a TRIGGERED entry)
                            occurred for element instance `key`: act on
                            it */
    BT_CMD_COUNT,
    BT_CMD_NONE = 0xff   /* no command (an incident with nothing to retry) */
};

enum { BT_COND_ALL = 0, BT_COND_ONE = 1, BT_COND_RETRY = 2 };

typedef struct bt_cmd {
    uint32_t kind;
    int32_t element;
    uint64_t key;
    uint64_t scope_key;
} bt_cmd;

enum bt_incident_type {
    BT_INC_JOB_NO_RETRIES,
    BT_INC_UNHANDLED_ERROR,
    BT_INC_CONDITION,
    BT_INC_EXTRACT_VALUE,
    BT_INC_CALLED_ELEMENT,
    BT_INC_COUNT
};

extern const char *const bt_incident_type_names[BT_INC_COUNT];

typedef struct bt_incident {
    uint64_t key;
    uint32_t type;
    int32_t element;
    uint64_t ei_key;
    uint64_t job_key;
    char *message; /* owned */
    bt_cmd retry;  /* queued again when resolved; BT_CMD_NONE for a job's */
} bt_incident;

/* A failure inside a transition, as a value: the dispatcher (or the host
 * command) that receives it raises the incident, in one place
 * (bt_incident_raise). `message` lives in the step's scratch arena. */
typedef struct bt_failure {
    int type; /* bt_incident_type; -1: no failure */
    const bt_ei *ei;
    uint64_t job_key;
    bt_cmd retry;
    const char *message;
} bt_failure;

#define BT_NO_FAILURE { -1, NULL, 0, { BT_CMD_NONE, 0, 0, 0 }, NULL }


/* A subscription: what an element instance waits for (BPMN's event
 * subscriptions, Zeebe's timers and message and signal subscriptions).
 * OPEN ones are listed to the host. A TRIGGERED one is an event that
 * occurred, carrying the event's variables, until the step that acts on
 * it (a TRIGGER command names it) or the element it starts activates (an
 * ACTIVATE command names it). A PENDING one was matched by a message or
 * signal and fires only once: its TRIGGER command is queued. */
enum bt_sub_kind { BT_SUB_TIMER, BT_SUB_MESSAGE, BT_SUB_SIGNAL,
                   BT_SUB_CONDITION, BT_SUB_KIND_COUNT };
enum bt_sub_state { BT_SUB_OPEN, BT_SUB_TRIGGERED, BT_SUB_PENDING };

typedef struct bt_sub {
    uint64_t key;
    uint8_t kind;   /* enum bt_sub_kind */
    uint8_t state;  /* enum bt_sub_state */
    uint8_t gone;   /* closed in the transaction in progress */
    int32_t element; /* the catching element */
    uint64_t ei_key; /* the element instance it belongs to */
    int64_t due;     /* timers */
    uint32_t fired;  /* timers: firings so far */
    int32_t repeat;  /* timers: firings in all, -1 unbounded */
    char *name;      /* messages, signals: the name; timers: the
                        definition's text when an expression gave it */
    char *corr;      /* messages: the correlation key, NULL for none */
    json_t *payload; /* TRIGGERED: the event's variables, or NULL */
    uint64_t source; /* TRIGGERED: the subscription that fired, or 0 */
    /* Every subscription in creation order; those of one owner (while
     * not closed); those closed in the transaction in progress; and an
     * open timer's place in the instance's heap of due times (+ 1, 0:
     * none). Lookups and changes cost what they touch. */
    struct bt_sub *older, *newer;
    struct bt_sub *owned_prev, *owned_next;
    struct bt_sub *gone_prev, *gone_next;
    size_t heap_at;
} bt_sub;

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

    bt_ei *root;
    bt_ei *oldest, *newest; /* every element instance, creation order */
    bt_ei *free_eis;        /* recycled, linked through `next` */
    size_t n_eis;
    bt_keymap ei_map;
    baton_job *oldest_job, *newest_job;
    baton_job *free_jobs; /* recycled, linked through `newer` */
    size_t n_jobs;
    size_t n_held_jobs; /* jobs an incident holds (not listed as waiting) */
    /* Where baton_instance_job() last stopped, so that listing the jobs
     * in order costs one step each; valid while job_epoch is unchanged. */
    baton_job *job_cursor;
    size_t job_cursor_index;
    uint64_t job_cursor_epoch, job_epoch;
    bt_keymap job_map;
    bt_incident *incidents;
    size_t n_incidents, cap_incidents;
    bt_cmd *queue; /* FIFO: queue[q_head .. n_queue) */
    size_t q_head, n_queue, cap_queue;
    bt_comp *comps;
    size_t n_comps, cap_comps;
    /* Subscriptions, oldest first; how many are open, of conditions, and
     * jobs in backoff (the time waits are looked for only when some). */
    bt_sub *oldest_sub, *newest_sub;
    size_t n_subs;    /* closed ones included until the commit */
    bt_keymap sub_map; /* by key, closed ones included */
    bt_sub *gone_subs; /* closed in the transaction in progress */
    bt_sub **timers;   /* open timers, a heap by due time then key */
    size_t n_timers, cap_timers;
    /* Where baton_instance_subscription_*() last found one. */
    const bt_sub *sub_cursor;
    size_t sub_cursor_index;
    uint64_t sub_cursor_epoch, sub_epoch;
    uint32_t n_open_subs, n_timer_subs, n_cond_subs;
    uint32_t n_cond_cmds; /* queued evaluations of every condition */
    uint32_t n_backoff_jobs;
    /* Scratch of the reachability pass of inclusive joins
     * (behavior/joins.c), per element of the process: the last pass that
     * reached it (pass numbers grow, so nothing is cleared between
     * passes), and a stack. Allocated at first need, freed between
     * runs. */
    uint32_t *join_seen, *join_work;
    uint32_t join_pass;
    uint32_t join_cap; /* elements join_seen has room for */
};

/* ---- instance.c: element instances and jobs ---------------------- */

int bt_instance_alloc(baton_engine *e, const bt_deployment *d,
                      baton_instance **out);
void bt_instance_free(baton_instance *in);

static inline bt_ei *bt_ei_find(const baton_instance *in, uint64_t key)
{
    return bt_keymap_get(&in->ei_map, key);
}
static inline baton_job *bt_job_find(const baton_instance *in, uint64_t key)
{
    return bt_keymap_get(&in->job_map, key);
}

/* A new element instance of `element` in `scope` (NULL: the process
 * instance), with the next key, in state ACTIVATING. Returns NULL when out
 * of memory. A failed transaction takes it back. */
bt_ei *bt_ei_new(baton_instance *in, bt_ei *scope, int32_t element,
                 uint64_t key);
/* Forgets an element instance and everything it owns but its children
 * (which must be gone). Cannot fail. */
void bt_ei_remove(baton_instance *in, bt_ei *ei);
/* A new job for `ei` with `key`, READY; `type` becomes the job's.
 * Returns NULL when out of memory (and frees `type`). A failed
 * transaction takes it back. */
baton_job *bt_job_new(baton_instance *in, bt_ei *ei, uint64_t key,
                      char *type, int32_t retries);
void bt_job_remove(baton_instance *in, baton_job *job);
/* Changes a job's state (enum bt_job_state), keeping the counts. */
void bt_job_set_state(baton_instance *in, baton_job *job, uint32_t state);

/* Room for join marks in `scope`. */
int bt_ei_reserve_marks(baton_instance *in, bt_ei *scope);
/* Adds a mark on flow `flow` of `scope` (room reserved) and returns how
 * many incoming flows of the flow's target now have one. */
uint32_t bt_ei_add_mark(bt_ei *scope, uint32_t flow);
/* Consumes one mark of every incoming flow of the join `target` that has
 * one. */
void bt_ei_take_marks(bt_ei *scope, uint32_t target);
/* Drops every mark of `scope`. */
void bt_ei_drop_marks(baton_instance *in, bt_ei *scope);
static inline uint32_t bt_ei_marks(const bt_ei *scope)
{
    return scope->joins ? scope->joins->n_marks : 0;
}

/* ---- txn.c: one transaction for steps and host commands ---------- */

typedef struct bt_undo bt_undo;

/* Undo log for variable writes, so a step that fails half-way can put
 * every scope back as it was. Start it as `bt_varlog log = { 0 };`. */
typedef struct bt_varlog {
    bt_undo *items; /* NULL: `local` */
    size_t n, cap;
    struct bt_undo {
        json_t *obj;      /* a scope's variables, or a list (`item`) */
        const char *name; /* in the engine's scratch arena */
        json_t *old;      /* reference held; NULL when the name was new */
        size_t index;     /* `item`: the list's item `old` was */
        int item;
    } local[6];
} bt_varlog;

/* A transaction: what a failed transition must put back. Transitions do
 * their fallible work first and change what existed before only after the
 * last thing that can fail; what they add (element instances, jobs,
 * incidents, queued commands, log entries, keys) and the variables they
 * write (through `vars`) are taken back on abort. */
typedef struct bt_txn {
    baton_instance *in;
    uint64_t next_key;
    size_t q_head, n_queue, n_incidents, n_comps, n_subs;
    bt_varlog vars;
} bt_txn;

/* BATON_ESTATE, with the engine's error set, inside a handler of `in` or
 * while an instance of its engine steps; else 0. */
int bt_instance_busy(baton_instance *in);
/* Marks the engine busy with `in` (refused inside a handler or while
 * another instance steps) and opens a transaction, reserving room for
 * `queue` more commands. On failure sets the engine's error. */
int bt_txn_begin(baton_instance *in, bt_txn *tx, size_t queue);
/* Delivers the records and closes the transaction. */
void bt_txn_commit(bt_txn *tx);
/* Puts everything back, drops the records, and returns `rc` (recording a
 * default message for it when none is set). */
int bt_txn_abort(bt_txn *tx, int rc);

/* Room for `n` more keys in the instance's range (its keys follow its own
 * and the next instance's start 2^32 above): BATON_ELIMIT with the
 * engine's error set when there is none. Every transition has room for
 * BT_KEYS_PER_STEP (bt_txn_begin); one that hands out more asks. */
#define BT_KEYS_PER_STEP 64
int bt_reserve_keys(baton_instance *in, size_t n);

/* Room for `eis` more element instances, `jobs` jobs, `queue` commands
 * and `recs` records. */
int bt_reserve(baton_instance *in, size_t eis, size_t jobs, size_t queue,
               size_t recs);
int bt_reserve_incident(baton_instance *in);
/* Queues a command (room was reserved), counting it on the element
 * instances it names. */
void bt_push_cmd(baton_instance *in, uint32_t kind, int32_t element,
                 uint64_t key, uint64_t scope_key);
/* Takes the command at the head of the queue. */
bt_cmd bt_pop_cmd(baton_instance *in);
/* Between runs: frees the queue's space when it is empty, the recycled
 * element instance and job nodes, and the scratch of inclusive joins. */
void bt_instance_trim(baton_instance *in);
/* Element instances a queued command counts on. */
void bt_cmd_count(baton_instance *in, const bt_cmd *c, int delta);

/* ---- records.c ---------------------------------------------------- */

/* A record waiting for delivery at the end of a step. Strings point into
 * the model, the instance, or the step's scratch arena. */
struct baton_record {
    uint8_t value_type;
    uint8_t intent;
    uint8_t mi_body;           /* about a loop's body: 1 multi-instance,
                                  2 standard loop */
    /* The process instance it is about (a called one's, or the
     * instance's), its deployment's version, and for a called one the
     * call activity's element instance and its process instance. */
    int32_t version;
    uint64_t pi_key;
    uint64_t parent_ei_key, parent_pi_key;
    uint64_t key;
    uint64_t position;
    const baton_instance *inst;
    const bt_process *proc;
    const bt_element *element; /* NULL for the process */
    uint64_t flow_scope_key;
    uint64_t element_instance_key;
    union {
        const bt_flow *flow; /* a sequence flow taken */
        struct {
            const char *type;
            int32_t retries;
            const char *error_code;
            const char *error_message;
            int64_t retry_backoff; /* FAILED: ms before the retry */
        } job;
        struct {
            const char *name;
            json_t *value; /* a reference held until delivery */
        } var;
        struct {
            const char *type;
            const char *message;
            uint64_t job_key;
        } incident;
        const bt_element *handler; /* compensation: the handler */
        struct {
            const char *name;  /* message or signal name, escalation
                                  code */
            const char *corr;  /* correlation key */
            int64_t due;       /* timers */
            int32_t repetitions;
            json_t *vars;      /* a reference held until delivery */
            uint8_t interrupting;
            const bt_element *other; /* escalations: the catch event */
        } sub;
    } u;
};

struct baton_record *bt_rec_push(baton_instance *in, int value_type,
                                 int intent, uint64_t key);
int bt_rec_element(baton_instance *in, int intent, const bt_ei *ei);
/* Makes record `r` about the process instance of `ei` (its process,
 * key and version). */
void bt_rec_at_called(struct baton_record *r, const bt_ei *pi);
static inline void bt_rec_at(struct baton_record *r, const bt_ei *ei)
{
    /* bt_rec_push() made it about the instance's own process instance. */
    r->proc = ei->proc;
    const bt_ei *pi = ei;
    while (pi->element >= 0)
        pi = pi->scope;
    if (pi->scope)
        bt_rec_at_called(r, pi);
}
/* A JOB record about `job`, its strings copied (the job may be gone by
 * delivery). */
struct baton_record *bt_rec_job(baton_instance *in, int intent,
                                const baton_job *job);
const char *bt_scratch_strdup(baton_instance *in, const char *s);
/* Delivers the step's records to the sink, or drops them. */
void bt_records_deliver(baton_instance *in);
void bt_records_drop(baton_engine *e);

/* ---- subs.c: subscriptions ---------------------------------------- */

/* A new OPEN subscription of `kind` for the catching `element`, belonging
 * to `owner`, with the next key; `name` and `corr` are copied; `due` is a
 * timer's due time (0 for the other kinds). Announces
 * nothing. Returns NULL when out of memory. A failed transaction takes it
 * back. */
bt_sub *bt_sub_add(baton_instance *in, bt_ei *owner, int kind,
                   int32_t element, const char *name, const char *corr,
                   int64_t due);
/* A TRIGGERED entry for the element `element` about to start in `scope`,
 * holding `payload` (a reference is taken; may be NULL). */
bt_sub *bt_sub_add_triggered(baton_instance *in, bt_ei *scope,
                             int32_t element, json_t *payload);
/* A copy of `src` (a restored snapshot's) appended as it is, counted as
 * a live one is; it takes over `src`'s strings and payload, freed when
 * out of memory (NULL). */
bt_sub *bt_sub_restore(baton_instance *in, const bt_sub *src);
/* Moves a subscription to another state (enum bt_sub_state), keeping the
 * counts. Not undone by a failed transaction: the last change of one. */
void bt_sub_set_state(baton_instance *in, bt_sub *s, int state);
/* Drops the subscriptions added since there were `n` (a failure while an
 * element instance opens its subscriptions). */
void bt_subs_truncate(baton_instance *in, size_t n);
/* The open timer due first, or NULL. */
static inline bt_sub *bt_sub_next_timer(const baton_instance *in)
{
    return in->n_timers ? in->timers[0] : NULL;
}
/* Frees every subscription (the instance goes). */
void bt_subs_free(baton_instance *in);
/* The subscription with `key` (open or triggered, not closed), or NULL. */
bt_sub *bt_sub_find(const baton_instance *in, uint64_t key);
/* Closes a subscription in the transaction in progress (undone if it
 * fails; forgotten when it commits). Announces nothing. */
void bt_sub_close(baton_instance *in, bt_sub *s);
/* Announces a subscription that opened (TIMER CREATED, the message
 * subscriptions CREATED, ...). */
int bt_sub_announce_open(baton_instance *in, const bt_sub *s);
/* Announces the end of a subscription that did not fire (TIMER
 * CANCELED, the message subscriptions DELETED, ...). */
int bt_sub_announce_end(baton_instance *in, const bt_sub *s);
/* Closes every subscription of `owner`, announcing each that waited
 * (open or pending); with `starts_only`, only those of event subprocess
 * start events. */
int bt_sub_close_owned(baton_instance *in, bt_ei *owner, int starts_only);
/* Closes, silently, the events that wait in `scope` for an element of
 * the scope to start (their activations go when the scope is
 * interrupted). */
void bt_sub_close_tokens(baton_instance *in, bt_ei *scope);
/* Closes the subscriptions of a swept element instance, silently. */
void bt_sub_drop_owned(baton_instance *in, const bt_ei *owner);
/* A record about a subscription (TIMER, MESSAGE_SUBSCRIPTION, ...). */
struct baton_record *bt_rec_sub(baton_instance *in, int value_type,
                                int intent, const bt_sub *s);
/* The earliest due time among timers and backoffs: 1 with `*due`, or 0. */
int bt_next_due(const baton_instance *in, int64_t *due);
/* After commit: forgets closed subscriptions. After abort: drops those
 * the transaction added and reopens those it closed. */
void bt_subs_commit(baton_instance *in);
void bt_subs_abort(baton_instance *in, size_t n_subs);
void bt_sub_free_strings(const bt_alloc *a, bt_sub *s);

/* ---- lifecycle.c: termination and removal ------------------------ */

/* Announces the termination of `ei` (everything inside it first, then
 * its job, unless that job is `thrower`, the one that threw the error
 * causing it) and of everything inside `scope` but `except`. They change
 * nothing, so they may fail; bt_sweep_*() do the removal after the last
 * fallible operation. */
int bt_terminate_ei(baton_instance *in, bt_ei *ei, uint64_t thrower);
int bt_terminate_inside(baton_instance *in, bt_ei *scope,
                        const bt_ei *except);
/* Then drop what they announced: everything inside `scope` but `except`,
 * or `ei` with its job, incidents, compensation log and everything inside
 * it. They cannot fail. */
void bt_sweep_inside(baton_instance *in, bt_ei *scope, const bt_ei *except);
void bt_sweep_ei(baton_instance *in, bt_ei *ei);
/* Whether anything is left to run in `scope`: a child, a queued
 * activation or a join mark. */
static inline int bt_scope_busy(const bt_ei *scope)
{
    return scope->first || scope->n_tokens || bt_ei_marks(scope);
}
/* The compensation log. Its entries are Zeebe's compensation
 * subscriptions, and each of them ends announced: COMPLETED when its
 * handler has run (or, for a subprocess's entry, the handlers inside
 * it), DELETED when it is dropped untriggered or its throw event ends
 * first. An entry stays in the log while its handler runs: the throw
 * event's `comp_entry` names it. */

/* The process instance whose log entry `c` is, which lives while the
 * entry does. */
static inline const bt_ei *bt_comp_pi(const baton_instance *in,
                                      const bt_comp *c)
{
    return c->pi_key == in->key ? in->root : bt_ei_find(in, c->pi_key);
}

/* A COMPENSATION_SUBSCRIPTION record of `intent` about entry `c`. */
int bt_comp_rec(baton_instance *in, int intent, const bt_comp *c,
                uint64_t flow_scope_key);
/* The index of the entry with `key`, or of the subprocess entry that
 * holds the log of `scope_key`; -1 when none. */
long bt_comp_find(const baton_instance *in, uint64_t key);
long bt_comp_owner(const baton_instance *in, uint64_t scope_key);
/* Whether the handler of entry `key` runs for a throw event that
 * compensates the log of `top` (NULL: none). */
int bt_comp_busy(const bt_ei *top, uint64_t key);
/* Announce, changing nothing: DELETED for the entries of the log of
 * `scope_key` and the logs nested in it, but `skip` and what it holds
 * and entries whose handler runs for a throw event of `top`; for what
 * ending `ei` drops (its log, and the entry its handler runs for when it
 * is a throw event); for the whole log (the process completes). */
int bt_comp_announce_log(baton_instance *in, const bt_ei *top,
                         uint64_t scope_key, uint64_t skip);
int bt_comp_announce_ei(baton_instance *in, const bt_ei *ei);
int bt_comp_announce_all(baton_instance *in);
/* Drops the compensation log of scope `scope_key` and every log nested
 * in it; removes entry `i`. They announce nothing and cannot fail. */
void bt_comp_drop(baton_instance *in, uint64_t scope_key);
void bt_comp_remove_at(baton_instance *in, size_t i);
/* Drops every entry from index `n` on (the transaction's abort, the end
 * of the process). Cannot fail. */
void bt_comp_truncate(baton_instance *in, size_t n);

/* ---- incidents.c -------------------------------------------------- */

/* Fills `f` (message formatted into the step's scratch arena). Returns 0
 * or BATON_ENOMEM. */
int bt_fail(baton_instance *in, bt_failure *f, int type, const bt_ei *ei,
            uint64_t job_key, const bt_cmd *retry, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;
/* Raises the incident a failure calls for, announcing it. */
int bt_incident_raise(baton_instance *in, const bt_failure *f);
/* The open incident with `key`, or NULL; `index` receives its place. */
bt_incident *bt_incident_find(baton_instance *in, uint64_t key,
                              size_t *index);
/* Removes incident `i` (cannot fail). */
void bt_incident_remove_at(baton_instance *in, size_t i);
/* Announces incident `x` RESOLVED. */
int bt_incident_announce_resolved(baton_instance *in, const bt_incident *x);
/* An element instance that moves on while an incident about it is open
 * (a conditional event whose condition failed, and whose other events
 * fired) resolves it: announce, changing nothing, then drop after the
 * last fallible operation. */
int bt_incidents_resolve_announce(baton_instance *in, const bt_ei *ei);
void bt_incidents_drop(baton_instance *in, uint64_t ei_key);

/* ---- vars.c: variable scopes ------------------------------------- */

json_t *bt_var_lookup(const bt_ei *scope, const char *name, size_t len);
/* Lookup context for expression evaluation. */
typedef struct bt_eval_ctx {
    const bt_ei *scope;
    json_t *overlay; /* looked up first when not NULL */
    char why[160];   /* after bt_eval: why the result is null, or "" */
} bt_eval_ctx;
json_t *bt_eval_lookup(void *ctx, const char *name, size_t len);
/* The printf arguments of BT_WHY_FMT, which ends an incident's message
 * with why the evaluation in `c` gave null, " (...)", or nothing. */
#define BT_WHY_FMT "%s%s%s"
#define BT_WHY(c)                                                            \
    (c)->why[0] ? " (" : "", (c)->why, (c)->why[0] ? ")" : ""
/* Evaluates `e` over the variables of `ctx` with the engine's memory,
 * clock and JUEL hook: 0 with a new reference in `*out`, or
 * BATON_ENOMEM. */
int bt_eval(baton_instance *in, bt_eval_ctx *ctx, const bt_expr *e,
            json_t **out);
/* Sets `name` to `value` (a new reference is taken) in `scope`, logging
 * the old value and announcing a VARIABLE record. */
int bt_var_set_local(baton_instance *in, bt_varlog *log, bt_ei *scope,
                     const char *name, json_t *value);
/* Sets item `index` (in range) of `list`, the value of variable `name`
 * of `scope`, to `value` in place, logging only that item and announcing
 * the variable UPDATED: for a list that nothing else holds (its refcount
 * is 1), which a copy per change would make quadratic to fill. */
int bt_var_set_item(baton_instance *in, bt_varlog *log, bt_ei *scope,
                    const char *name, json_t *list, size_t index,
                    json_t *value);
/* Sets every member of `doc` locally in `scope`. */
int bt_var_set_all_local(baton_instance *in, bt_varlog *log, bt_ei *scope,
                         json_t *doc);
/* Merges every member of `doc` as Zeebe propagates: each into the nearest
 * scope from `scope` upward that has it, else into the process scope. */
int bt_var_propagate(baton_instance *in, bt_varlog *log, bt_ei *scope,
                     json_t *doc);
/* Sets a dotted `path` (a.b.c) inside the object `obj`, copying the
 * objects on the way so shared values are never changed in place (a
 * member on the way that is not an object is replaced by one). Returns 0
 * or BATON_ENOMEM. */
int bt_path_set(json_t *obj, const char *path, json_t *value);
void bt_varlog_undo(bt_varlog *log);
void bt_varlog_clear(bt_varlog *log, const bt_alloc *a);
/* The variables visible from `scope`, nearest first, as one object
 * holding references to the values (no deep copy). */
json_t *bt_var_collect(const bt_ei *scope);

/* ---- snapshot.c ---------------------------------------------------- */

int bt_snapshot_write(const baton_instance *in, void **out, size_t *size);
int bt_snapshot_read(baton_engine *e, const void *data, size_t size,
                     baton_instance **out);

#endif
