/* Sequence flows and joins: how a completed element hands its token on,
 * and the conditions of the gateways that choose their flows. */
#include "behavior/behavior.h"

/* Whether a token taking flow `fi` waits at a join for the others. */
static int into_join(const bt_process *p, uint32_t fi)
{
    return bt_el_joins(&p->elements[p->flows[fi].target]);
}

/* Takes a sequence flow: announces it and queues its target, or leaves a
 * mark at a join. A join that waits for every incoming flow is queued
 * when each has a token (BPMN 2.0.2 §13.3.4); an inclusive join, once
 * the element has left (bt_joins_release()). The caller reserved the
 * record, the command and the mark, so this cannot fail. */
static void take_flow(baton_instance *in, bt_ei *scope, uint32_t fi,
                      uint64_t token)
{
    const bt_process *p = scope->proc;
    const bt_flow *f = &p->flows[fi];
    struct baton_record *r = bt_rec_push(in, BATON_VT_PROCESS_INSTANCE,
                                         BATON_INTENT_SEQUENCE_FLOW_TAKEN,
                                         in->next_key);
    in->next_key++;
    bt_rec_at(r, scope);
    r->u.flow = f;
    r->flow_scope_key = scope->key;
    if (!into_join(p, fi)) {
        bt_push_cmd(in, BT_CMD_ACTIVATE, (int32_t)f->target, token,
                    scope->key);
        return;
    }
    const bt_element *t = &p->elements[f->target];
    /* Every incoming flow needs a token; one each is consumed. */
    if (bt_ei_add_mark(scope, fi) < t->n_incoming ||
        !bt_kind_has(t->kind, BT_KF_JOINS_ALL))
        return;
    bt_ei_take_marks(scope, f->target);
    bt_push_cmd(in, BT_CMD_ACTIVATE, (int32_t)f->target, 0, scope->key);
}

int bt_start_scope(baton_instance *in, const bt_ei *scope, int32_t start,
                   const uint32_t *implicit, uint32_t n_implicit)
{
    if (start >= 0) {
        bt_push_cmd(in, BT_CMD_ACTIVATE, start, 0, scope->key);
        return 0;
    }
    if (!n_implicit) {
        bt_push_cmd(in, BT_CMD_COMPLETE, scope->element, scope->key, 0);
        return 0;
    }
    if (bt_reserve(in, 0, 0, n_implicit, 0))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < n_implicit; i++)
        bt_push_cmd(in, BT_CMD_ACTIVATE, (int32_t)implicit[i], 0, scope->key);
    return 0;
}

/* Leaves by every outgoing flow, or only `chosen` when >= 0, or those
 * `take` flags when not NULL. */
static int leave(bt_ctx *cx, bt_ei *ei, int64_t chosen, const uint8_t *take,
                 uint64_t token, int *scope_done)
{
    baton_instance *in = cx->in;
    const bt_element *el = bt_ei_el(ei);
    bt_ei *scope = ei->scope;
    /* Taking a flow into a join consumes marks, which a failure could not
     * put back: reserve everything first. */
    int rc = bt_reserve_keys(in, (size_t)el->n_outgoing + BT_KEYS_PER_STEP);
    if (rc)
        return rc;
    bt_join_room room;
    if (bt_joins_reserve(in, scope, el, &room) ||
        bt_reserve(in, 0, 0, (size_t)el->n_outgoing + room.queue,
                   el->n_outgoing))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < el->n_outgoing; i++)
        if (into_join(scope->proc, el->outgoing[i]) &&
            bt_ei_reserve_marks(in, scope))
            return BATON_ENOMEM;
    for (uint32_t i = 0; i < el->n_outgoing; i++)
        if (take ? take[i]
                 : chosen < 0 || (int64_t)el->outgoing[i] == chosen)
            take_flow(in, scope, el->outgoing[i], token);
    bt_ei_remove(in, ei);
    /* A token that moved or ended may have been the last one an
     * inclusive join of the scope waited for. */
    bt_joins_release(in, &room);
    *scope_done = !el->n_outgoing && !bt_scope_busy(scope);
    return 0;
}

int bt_leave(bt_ctx *cx, bt_ei *ei, int64_t chosen, uint64_t token,
             int *scope_done)
{
    return leave(cx, ei, chosen, NULL, token, scope_done);
}

int bt_leave_by(bt_ctx *cx, bt_ei *ei, const uint8_t *take,
                int *scope_done)
{
    return leave(cx, ei, -1, take, 0, scope_done);
}

/* The incidents of the gateways that choose name the gateway: their
 * retry completes it, choosing again with the variables as they are. */
static int holds(bt_ctx *cx, const bt_ei *ei, const bt_flow *f, int *out)
{
    *out = 1;
    if (!f->condition)
        return 0;
    bt_eval_ctx ctx = { ei, NULL, "" };
    json_t *v;
    if (bt_eval(cx->in, &ctx, f->condition, &v))
        return BATON_ENOMEM;
    int kind = json_typeof(v);
    json_decref(v);
    *out = kind == JSON_TRUE;
    if (kind == JSON_TRUE || kind == JSON_FALSE)
        return 0;
    bt_cmd retry = { BT_CMD_COMPLETE, ei->element, ei->key, 0 };
    return bt_fail(cx->in, &cx->fail, BT_INC_CONDITION, ei, 0, &retry,
                   "expected the condition of sequence flow '%s' (%s) to "
                   "be a boolean, but it was %s" BT_WHY_FMT,
                   f->id, bt_expr_text(f->condition),
                   kind == JSON_NULL ? "null" : "not a boolean", BT_WHY(&ctx));
}

int bt_flow_choose(bt_ctx *cx, const bt_ei *ei, uint8_t *take,
                   int64_t *chosen)
{
    const bt_element *el = bt_ei_el(ei);
    int any = 0;
    for (uint32_t i = 0; i < el->n_outgoing; i++) {
        if ((int32_t)el->outgoing[i] == el->default_flow)
            continue;
        int ok;
        int rc = holds(cx, ei, &ei->proc->flows[el->outgoing[i]], &ok);
        if (rc || cx->fail.type >= 0)
            return rc;
        if (!ok)
            continue;
        any = 1;
        if (!take) {
            *chosen = el->outgoing[i];
            return 0;
        }
        take[i] = 1;
    }
    if (any || !el->n_outgoing)
        return 0;
    *chosen = el->default_flow;
    if (*chosen >= 0)
        return 0;
    bt_cmd retry = { BT_CMD_COMPLETE, ei->element, ei->key, 0 };
    return bt_fail(cx->in, &cx->fail, BT_INC_CONDITION, ei, 0, &retry,
                   "no condition of an outgoing sequence flow was true and "
                   "there is no default flow");
}
