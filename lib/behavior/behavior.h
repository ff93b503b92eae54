/* Behaviours that element processors share: jobs, input and output
 * mappings, sequence flows and joins, BPMN error propagation and
 * compensation. They know element kinds only through the kind table and
 * the element's own fields; which element uses which is the processors'
 * business (lib/elements/). */
#ifndef BT_BEHAVIOR_BEHAVIOR_H
#define BT_BEHAVIOR_BEHAVIOR_H

#include "kernel/instance.h"

/* What a transition works with: the instance, the transaction's variable
 * log, and the failure it may return instead of raising an incident
 * itself. */
typedef struct bt_ctx {
    baton_instance *in;
    bt_varlog *log;
    bt_failure fail;
    /* The outgoing flows an element chose when completing, where it
     * chose several (an inclusive gateway): one flag per outgoing flow,
     * in the step's scratch arena; NULL otherwise. */
    const uint8_t *take;
} bt_ctx;

/* ---- transact.c ------------------------------------------------- */

typedef int (*bt_transition_fn)(bt_ctx *cx, void *arg);
/* Runs `fn` as one transaction with room for `queue` more commands: a
 * failure it returns in cx->fail is raised as an incident; on any error
 * everything is put back and the error returned. */
int bt_transact(baton_instance *in, size_t queue, bt_transition_fn fn,
                void *arg);

/* ---- mappings.c --------------------------------------------------- */

/* Evaluates an element's input mappings into its own scope, or its
 * output mappings into the scope above it (Zeebe's propagation). */
int bt_apply_inputs(bt_ctx *cx, bt_ei *ei);
int bt_apply_outputs(bt_ctx *cx, bt_ei *ei);

/* ---- values.c ----------------------------------------------------- */

/* Where a value an element needs comes from, for the failure raised when
 * its expression gives a value of the wrong kind. */
typedef struct bt_value_site {
    const bt_ei *ei;      /* evaluated in its scope; the incident's */
    const bt_element *el; /* whose expression it is (named) */
    const char *what;     /* "timer", "job retries", ... */
    bt_cmd retry;         /* what resolving the incident does */
} bt_value_site;

/* Evaluates `e` into text in the step's scratch arena: a string, or,
 * when `numbers`, a whole number written out (correlation keys, as
 * Zeebe). Anything else is an EXTRACT_VALUE_ERROR failure, as Zeebe
 * raises, and `*out` is NULL. */
int bt_value_text(bt_ctx *cx, const bt_value_site *at, const bt_expr *e,
                  int numbers, const char **out);
/* Evaluates `e` into a whole number from `min` to `max` in `*out`, or
 * returns an EXTRACT_VALUE_ERROR failure. */
int bt_value_whole(bt_ctx *cx, const bt_value_site *at, const bt_expr *e,
                   int64_t min, int64_t max, int64_t *out);

/* ---- jobs.c ------------------------------------------------------- */

/* Creates the job of a task; a type expression that gives no string is
 * returned as a failure. Queues the handler call when one is
 * registered. */
int bt_job_create(bt_ctx *cx, bt_ei *ei);
/* Applies a job outcome (from a handler or from the host). Failures
 * (no retries left, an error nothing catches) are returned in cx->fail. */
int bt_job_apply(bt_ctx *cx, baton_job *job, const bt_outcome *o);
/* Announces that the job of a terminated task is canceled, unless it is
 * `thrower`, the job whose error ended the task. */
int bt_job_cancel(baton_instance *in, bt_ei *ei, uint64_t thrower);
/* Calls the handler of job `key` and applies what it chose. */
int bt_job_call_handler(bt_ctx *cx, uint64_t key);
void bt_outcome_clear(const bt_alloc *a, bt_outcome *o);

/* ---- flows.c ------------------------------------------------------ */

/* Starts `scope`: at element `start`, or, when it is -1, at each of
 * `implicit` in order (the flow nodes of a scope without a start event);
 * a scope with neither has nothing to do and completes at the next step.
 * Returns 0 or BATON_ENOMEM. */
int bt_start_scope(baton_instance *in, const bt_ei *scope, int32_t start,
                   const uint32_t *implicit, uint32_t n_implicit);

/* Leaves a completed element by its outgoing flows (all of them, or only
 * `chosen` when >= 0), removes it, and says in `*scope_done` whether its
 * scope has nothing left to run. `token` (0: none) goes with the
 * activations it queues: the event that already occurred for the element
 * it starts (a triggered subscription's key). */
int bt_leave(bt_ctx *cx, bt_ei *ei, int64_t chosen, uint64_t token,
             int *scope_done);
/* The same, by the outgoing flows whose flag in `take` is set. */
int bt_leave_by(bt_ctx *cx, bt_ei *ei, const uint8_t *take,
                int *scope_done);
/* Chooses the outgoing flows of gateway instance `ei` by their
 * conditions, in document order, the default flow left out (a flow
 * without condition holds): with `take`, every flow that holds, flagged
 * in it; without, the first, in `*chosen`. When none holds, the default
 * flow goes in `*chosen`. No flow to take, or a condition that gives no
 * boolean, is returned as a CONDITION_ERROR failure, whose retry
 * completes `ei` again. */
int bt_flow_choose(bt_ctx *cx, const bt_ei *ei, uint8_t *take,
                   int64_t *chosen);

/* ---- joins.c ------------------------------------------------------ */

/* What releasing the inclusive joins of a scope needs, reserved before a
 * transition changes anything. */
typedef struct bt_join_room {
    bt_ei *scope;   /* NULL: nothing to release */
    uint32_t queue; /* activations it may queue, one per inclusive join */
} bt_join_room;

/* Prepares releasing the inclusive joins of `scope` once `el` has left
 * it (its flows may bring them tokens): the scratch of the reachability
 * pass, and in room->queue the activations to reserve room for; nothing
 * when no inclusive join of the scope has a token or can get one from
 * `el`. */
int bt_joins_reserve(baton_instance *in, bt_ei *scope, const bt_element *el,
                     bt_join_room *room);
/* Activates each inclusive join of the scope (room reserved) that waits
 * for no token any more: one incoming flow at least has one, and no
 * token of the scope can reach an incoming flow without one (BPMN 2.0.2
 * §13.4.3). Cannot fail. */
void bt_joins_release(baton_instance *in, bt_join_room *room);

/* ---- errors.c ----------------------------------------------------- */

/* Throws BPMN error `code` from `from`: the nearest matching error
 * boundary event or error event subprocess, scope by scope outward,
 * catches it (BPMN 2.0.2 §10.5.4). `thrower` is the job that threw it,
 * or 0. `*caught` says whether something did. */
int bt_throw_error(bt_ctx *cx, bt_ei *from, uint64_t thrower,
                   const char *code, const char *message, int *caught);

/* ---- events.c ----------------------------------------------------- */

/* Opens the subscription of catch event `element` (a timer, message,
 * signal or condition) for `owner`, evaluating its expressions in
 * `owner`'s scope and announcing it. A value an expression gives that
 * does not fit is returned as a failure (an incident on `owner`, whose
 * retry opens its subscriptions again). */
int bt_event_subscribe(bt_ctx *cx, bt_ei *owner, int32_t element);
/* The message or signal name of event `c`, evaluated in `owner`'s scope
 * when an expression; NULL with a failure set when it gives no string. */
int bt_event_name(bt_ctx *cx, bt_ei *owner, const bt_element *c,
                  const char **out);
/* Whether an element's event definition waits for something (a timer,
 * message, signal or condition). */
int bt_event_waits(const bt_element *e);
/* The event's variables reach the element that caught it as a job's
 * result does: kept local when it has output mappings, else merged into
 * the scopes above. */
int bt_event_payload(bt_ctx *cx, bt_ei *ei, json_t *payload);
/* Evaluates the condition of conditional event `catcher` (subscription
 * `key`) in `owner`'s scope into `*met`; a value that is no boolean is
 * returned as a failure, whose retry evaluates it again. */
int bt_event_condition(bt_ctx *cx, bt_ei *owner, const bt_element *catcher,
                       uint64_t key, int *met);

/* ---- escalations.c ------------------------------------------------ */

/* Throws escalation `code` from event instance `from` (BPMN 2.0.2
 * §10.5.4): the nearest escalation boundary event or escalation event
 * subprocess, scope by scope outward, catches it; one that interrupts
 * ends `from` with what it interrupts (`*ended`). Uncaught, it is
 * announced and the instance goes on. */
int bt_throw_escalation(bt_ctx *cx, bt_ei *from, const char *code,
                        int *ended);

/* The catch among `list` (boundary events, or event subprocesses when
 * `subprocesses`: their start events) for an error or escalation
 * (`evdef`) with `code`: one naming the code first, else a catch-all. */
int32_t bt_catch_match(const bt_process *p, const uint32_t *list,
                       uint32_t n, int evdef, const char *code,
                       int subprocesses);
/* The event subprocess of scope instance `scope` that catches that error
 * or escalation, or -1 (a multi-instance body has none: they belong to
 * its inner instances). */
static inline int32_t bt_catch_in_scope(const bt_ei *scope, int evdef,
                                        const char *code)
{
    const bt_element *sel = bt_ei_el(scope);
    const bt_process *p = scope->proc;
    if (bt_ei_is_body(scope))
        return -1;
    return sel ? bt_catch_match(p, sel->scope.event_subprocesses,
                                sel->scope.n_event_subprocesses, evdef, code,
                                1)
               : bt_catch_match(p, p->event_subprocesses,
                                p->n_event_subprocesses, evdef, code, 1);
}
/* Whether an interrupting event subprocess already runs in `scope`: only
 * one does (BPMN 2.0.2 §10.3.5, as Zeebe), and what it would catch goes
 * on to the scopes outside. */
int bt_scope_interrupted(const bt_ei *scope);

/* ---- compensation.c ----------------------------------------------- */

/* Logs a completed activity that can be compensated (or a subprocess
 * with compensable activities inside), announcing it. */
int bt_comp_completed(baton_instance *in, const bt_ei *ei);
/* Starts a compensation throw event `t`: the scope it compensates, then
 * its first handler. */
int bt_comp_throw(baton_instance *in, bt_ei *t);
/* A subprocess revived to run its compensation event subprocess (its
 * `comp_throw` names the throw event): the log of what completed inside
 * the subprocess becomes its own. Cannot fail. */
int bt_comp_revived(baton_instance *in, bt_ei *ei);
/* Starts the next compensation handler of throw event `t`, or queues its
 * completion when none is left. */
int bt_comp_next(baton_instance *in, bt_ei *t);
/* A handler finished: announce it and move its throw event on. */
int bt_comp_handler_done(baton_instance *in, const bt_ei *handler);
/* Whether a completed subprocess `ei` left an entry for its own log. */
int bt_comp_logged_sub(const baton_instance *in, const bt_ei *ei);

/* ---- cancel.c: cancelling a transaction ------------------------- */

/* Cancel end event `ev` is active: everything else in its transaction
 * ends, and its resume is queued. */
int bt_cancel_begin(bt_ctx *cx, bt_ei *ev);
/* Its resume: the first compensates the transaction, the second (queued
 * by bt_comp_next() when that is done) ends the transaction and starts
 * its cancel boundary event. */
int bt_cancel_resume(bt_ctx *cx, bt_ei *ev);

#endif
