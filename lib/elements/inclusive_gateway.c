/* Inclusive gateways. As a fork (BPMN 2.0.2 §13.3.3, as Zeebe's
 * InclusiveGatewayProcessor): every outgoing flow whose condition is
 * true, in document order, a flow without condition counting as true;
 * else the default flow; neither is a CONDITION_ERROR incident, as at an
 * exclusive gateway. As a join (the kind table's BT_KF_JOINS_REACHABLE)
 * it is activated only when every incoming flow that a token of its
 * scope can still reach has brought one (§13.4.3, joins.c); a gateway
 * with several incoming and outgoing flows joins, then forks. */
#include "elements/processor.h"

static int choose(bt_ctx *cx, bt_ei *ei, int64_t *chosen)
{
    const bt_element *el = bt_ei_el(ei);
    cx->take = NULL;
    if (!el->n_outgoing)
        return 0;
    uint8_t *take = bt_arena_alloc(&cx->in->engine->scratch, el->n_outgoing);
    if (!take)
        return BATON_ENOMEM;
    int rc = bt_flow_choose(cx, ei, take, chosen);
    if (!rc && cx->fail.type < 0 && *chosen < 0)
        cx->take = take; /* a condition held: not the default flow */
    return rc;
}

static int completed(bt_ctx *cx, bt_ei *ei, int64_t chosen, int *scope_done)
{
    const uint8_t *take = cx->take;
    cx->take = NULL;
    return take ? bt_leave_by(cx, ei, take, scope_done)
                : bt_leave(cx, ei, chosen, 0, scope_done);
}

const bt_processor bt_proc_inclusive_gateway = {
    .activated = bt_complete_next,
    .completing = choose,
    .completed = completed,
};
