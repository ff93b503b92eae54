/* Inclusive joins, BPMN 2.0.2 §13.4.3: a token that arrives at one waits
 * (a join mark, as at a parallel join) until every incoming flow that a
 * token of the scope can still reach has one. A token that can reach a
 * flow of the scope only ever comes from one already there (a boundary
 * event's from its activity; event subprocesses have no flows), so a
 * join can only be released when one of them moves or ends: flows.c
 * releases the joins of a scope each time an element leaves it,
 * arriving at a join or not. (An activity that an interrupting boundary
 * event ends hands its token to the boundary event, which leaves in
 * turn.)
 *
 * Whether a token can still reach an incoming flow without one is one
 * pass over the flow graph of the scope, from its tokens one after the
 * other, each going only where none went before, so that the pass is
 * linear in the scope and stops at the first token that gets there. The
 * tokens are the element instances of the scope, the activations queued
 * in it and the joins where marks wait; from an element they go on by
 * its outgoing flows, to its boundary events, and from a link throw to
 * its catch. Paths through the join itself are not followed: a token at
 * the join, or past it, waits for its next activation.
 *
 * A token that can reach an incoming flow without a token holds the join
 * even when it could also reach one with a token (which the letter of
 * §13.4.3 lets pass), so two inclusive joins on one cycle, each upstream
 * of the other, can wait for each other. */
#include <string.h>

#include "behavior/behavior.h"

int bt_joins_reserve(baton_instance *in, bt_ei *scope, const bt_element *el,
                     bt_join_room *room)
{
    const bt_process *p = scope->proc;
    const bt_scope_joins *sj = bt_joins_of(p, scope->element);
    *room = (bt_join_room){ NULL, 0 };
    if (!sj->n_reachable)
        return 0;
    int due = bt_ei_marks(scope) > 0;
    for (uint32_t i = 0; i < el->n_outgoing && !due; i++) {
        const bt_element *t = &p->elements[p->flows[el->outgoing[i]].target];
        due = bt_el_joins(t) && bt_kind_has(t->kind, BT_KF_JOINS_REACHABLE);
    }
    if (!due)
        return 0;
    if (!in->join_seen || in->join_cap < p->n_elements) {
        /* Sized for the largest process of the instance (a called one may
         * be larger). */
        uint32_t *seen = bt_calloc(&in->engine->alloc,
                                   2 * (size_t)p->n_elements, sizeof *seen);
        if (!seen)
            return BATON_ENOMEM;
        bt_free(&in->engine->alloc, in->join_seen);
        in->join_seen = seen;
        in->join_work = seen + p->n_elements;
        in->join_cap = p->n_elements;
        in->join_pass = 0;
    }
    room->scope = scope;
    room->queue = sj->n_reachable;
    return 0;
}

/* One pass: where the tokens of a scope can go. */
typedef struct pass {
    const bt_process *p;
    const bt_joins *marks;
    uint32_t join; /* the join whose incoming flows are looked for */
    uint32_t id;   /* seen[e] == id: reached in this pass */
    uint32_t *seen, *work;
    uint32_t n_work;
} pass;

static void reach(pass *x, uint32_t element)
{
    if (element == x->join || x->seen[element] == x->id)
        return;
    x->seen[element] = x->id;
    x->work[x->n_work++] = element;
}

/* Whether a token at `element` reaches an incoming flow of the join that
 * has none, going where no token of this pass went before. */
static int blocks(pass *x, uint32_t element)
{
    const bt_process *p = x->p;
    reach(x, element);
    while (x->n_work) {
        const bt_element *e = &p->elements[x->work[--x->n_work]];
        for (uint32_t i = 0; i < e->n_outgoing; i++) {
            uint32_t fi = e->outgoing[i];
            if (p->flows[fi].target != x->join)
                reach(x, p->flows[fi].target);
            else if (!x->marks->flow_marks[fi])
                return 1;
        }
        for (uint32_t i = 0; i < e->n_boundaries; i++)
            reach(x, e->boundaries[i]);
        if (e->evdef == BT_EVDEF_LINK && e->event.link_target >= 0)
            reach(x, (uint32_t)e->event.link_target);
    }
    return 0;
}

/* Whether join `j` of `scope` (with a mark) waits for no token any
 * more. */
static int ready(baton_instance *in, const bt_ei *scope, pass *x,
                 uint32_t j)
{
    const bt_scope_joins *sj = bt_joins_of(x->p, scope->element);
    if (x->marks->join_ready[j] == x->p->elements[j].n_incoming)
        return 1;
    x->join = j;
    if (++in->join_pass == 0) { /* wrapped: every element looks seen */
        memset(x->seen, 0, x->p->n_elements * sizeof *x->seen);
        in->join_pass = 1;
    }
    x->id = in->join_pass;
    x->n_work = 0;
    for (const bt_ei *c = scope->first; c; c = c->next)
        if (blocks(x, (uint32_t)c->element))
            return 0;
    for (size_t i = in->q_head; scope->n_tokens && i < in->n_queue; i++) {
        const bt_cmd *c = &in->queue[i];
        if (c->kind == BT_CMD_ACTIVATE && c->element >= 0 &&
            c->scope_key == scope->key && blocks(x, (uint32_t)c->element))
            return 0;
    }
    for (uint32_t i = 0; i < sj->n_joins; i++)
        if (x->marks->join_ready[sj->joins[i]] && blocks(x, sj->joins[i]))
            return 0;
    return 1;
}

void bt_joins_release(baton_instance *in, bt_join_room *room)
{
    bt_ei *scope = room->scope;
    if (!scope || !bt_ei_marks(scope))
        return;
    const bt_process *p = scope->proc;
    const bt_scope_joins *sj = bt_joins_of(p, scope->element);
    pass x = { p, scope->joins, 0, 0, in->join_seen, in->join_work, 0 };
    /* In document order; an activation queued is a token that the joins
     * after it see. */
    for (uint32_t i = 0; i < sj->n_joins; i++) {
        uint32_t j = sj->joins[i];
        if (!bt_kind_has(p->elements[j].kind, BT_KF_JOINS_REACHABLE) ||
            !scope->joins->join_ready[j] || !ready(in, scope, &x, j))
            continue;
        bt_ei_take_marks(scope, j);
        bt_push_cmd(in, BT_CMD_ACTIVATE, (int32_t)j, 0, scope->key);
    }
}
