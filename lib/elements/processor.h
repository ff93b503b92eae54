/* Element processors: what each element kind does at each point of its
 * lifecycle, over the shared behaviours. The dispatcher (dispatch.c)
 * runs the lifecycle every kind shares (records, mappings, compensation
 * log, removal) and calls the hooks of the element's processor, chosen
 * through the kind table (model/kinds.def). A hook returns 0 or
 * BATON_ENOMEM; a failure that calls for an incident is returned in
 * cx->fail, and the dispatcher raises it. Processors reach each other
 * only through commands on the queue. */
#ifndef BT_ELEMENTS_PROCESSOR_H
#define BT_ELEMENTS_PROCESSOR_H

#include "behavior/behavior.h"

typedef struct bt_processor {
    /* The element instance has just been ACTIVATED: start its work, or
     * queue its completion. Required. */
    int (*activated)(bt_ctx *cx, bt_ei *ei);
    /* Before COMPLETING: pick the one flow to leave by in `*chosen`
     * (-1: every outgoing flow), or return a failure. Optional. */
    int (*completing)(bt_ctx *cx, bt_ei *ei, int64_t *chosen);
    /* After COMPLETED: leave the element (default: by its flows,
     * bt_leave()), saying whether its scope has nothing left to run. */
    int (*completed)(bt_ctx *cx, bt_ei *ei, int64_t chosen,
                     int *scope_done);
    /* Work the element queued for itself (BT_CMD_THROW_ERROR). */
    int (*resume)(bt_ctx *cx, bt_ei *ei);
    /* Scopes: nothing is left to run inside. Cannot fail (room for one
     * command is reserved). */
    void (*child_completed)(bt_ctx *cx, bt_ei *scope);
    /* The element instance is being terminated: what is inside it is,
     * ELEMENT_TERMINATED comes next. Announces what ends with it (a job);
     * changes nothing. Optional. */
    int (*terminating)(baton_instance *in, bt_ei *ei, uint64_t thrower);
} bt_processor;

#define BT_KIND(name, tag, zeebe, flags, evdefs, proc)                       \
    extern const bt_processor bt_proc_##proc;
#include "model/kinds.def"
#undef BT_KIND
/* The process instance itself, which has no element. */
extern const bt_processor bt_proc_process;
/* A multi-instance body, whatever its activity's kind
 * (multi_instance_body.c). */
extern const bt_processor bt_proc_mi_body;

/* ---- multi_instance_body.c: inner instances ------------------------ */

/* What an inner instance gives its body as it completes: its item of
 * the output collection, and whether the completion condition holds. */
typedef struct bt_mi_out {
    json_t *item;
    int met;
} bt_mi_out;
void bt_mi_out_clear(bt_mi_out *o);
/* While an inner instance activates, before its input mappings: its
 * place, its input element and loopCounter as local variables. Then,
 * once it is active, the body counts it. */
int bt_mi_inner_vars(bt_ctx *cx, bt_ei *inner);
void bt_mi_inner_started(bt_ei *inner);
/* Before an inner instance's COMPLETING: evaluates its output element
 * and the completion condition (one that gives no boolean is a
 * CONDITION_ERROR failure whose retry completes it again). */
int bt_mi_inner_completing(bt_ctx *cx, bt_ei *inner, bt_mi_out *o);
/* After its output mappings: its item goes to the output collection. */
int bt_mi_inner_collect(bt_ctx *cx, bt_ei *inner, const bt_mi_out *o);
/* After its COMPLETED: removes it; the body starts the next inner
 * instance (sequential) or completes when none is left or the
 * completion condition held (terminating the others). */
int bt_mi_inner_done(bt_ctx *cx, bt_ei *inner, const bt_mi_out *o);
/* A completing body: its output collection reaches the enclosing
 * scope. */
int bt_mi_body_outputs(bt_ctx *cx, bt_ei *body);

/* Activation of the process instance at its start event `start`, and its
 * completion: it exists before its first step and has no flows
 * (process.c). */
int bt_process_activate(bt_ctx *cx, bt_ei *root, int32_t start);
/* Opens the process's subscriptions and starts its start event `start`;
 * when they cannot open, the failure's retry names the start event. */
int bt_process_start(bt_ctx *cx, bt_ei *root, int32_t start);
int bt_process_complete(bt_ctx *cx, bt_ei *root);
/* A process instance a call activity started has nothing left to run:
 * it completes, passes its variables out, and its call activity
 * completes at the next step (call_activity.c). */
int bt_call_returned(bt_ctx *cx, bt_ei *child);

/* What most elements do once active: complete at the next step. */
static inline int bt_complete_next(bt_ctx *cx, bt_ei *ei)
{
    bt_push_cmd(cx->in, BT_CMD_COMPLETE, ei->element, ei->key, 0);
    return 0;
}

/* A scope with nothing left inside completes at the next step. */
static inline void bt_scope_complete_next(bt_ctx *cx, bt_ei *scope)
{
    bt_push_cmd(cx->in, BT_CMD_COMPLETE, scope->element, scope->key, 0);
}

/* The engine's termination hook: the element's processor's
 * `terminating`, for the kernel, which knows no kind. */
int bt_element_terminating(baton_instance *in, bt_ei *ei, uint64_t thrower);

/* ---- triggers.c: events that occur --------------------------------- */

/* The subscription with `key` fired, with the event's variables
 * `payload` (may be NULL): the element waiting for it moves on. */
int bt_trigger(bt_ctx *cx, uint64_t key, json_t *payload);
/* A TRIGGER command: the triggered entry `entry_key` acts on the
 * subscription it names. */
int bt_trigger_entry(bt_ctx *cx, uint64_t entry_key);
/* Fires the earliest timer or backoff due at `now`, as one transaction. */
int bt_fire_due(baton_instance *in, int64_t now);
/* A CONDITIONS command: evaluates the conditional subscriptions it
 * names. */
int bt_check_conditions(bt_ctx *cx, const bt_cmd *c);
/* Opens the subscriptions an element instance has once activated: its
 * boundary events', its event subprocesses' starts; a failure is
 * returned in cx->fail with nothing opened. */
int bt_open_subscriptions(bt_ctx *cx, bt_ei *ei);

/* Performs the transition at the head of the queue. Atomic: on failure
 * the instance is as before. */
int bt_step(baton_instance *in);

#endif
