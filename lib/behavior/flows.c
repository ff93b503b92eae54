/* Sequence flows and joins: how a completed element hands its token on. */
#include <string.h>

#include "behavior/behavior.h"

/* Takes a sequence flow: announces it and queues its target, or leaves a
 * mark at a join that waits for every incoming flow and queues the join
 * when each has a token (BPMN 2.0.2 §13.3.4). The caller reserved the
 * record, the command and the mark, so this cannot fail. */
static void take_flow(baton_instance *in, bt_ei *scope, uint32_t fi)
{
    const bt_process *p = scope->proc;
    const bt_flow *f = &p->flows[fi];
    struct baton_record *r = bt_rec_push(in, BATON_VT_PROCESS_INSTANCE,
                                         BATON_INTENT_SEQUENCE_FLOW_TAKEN,
                                         in->next_key);
    in->next_key++;
    r->proc = p;
    r->u.flow = f;
    r->flow_scope_key = scope->key;
    const bt_element *t = &p->elements[f->target];
    if (!bt_kind_has(t->kind, BT_KF_JOINS_ALL) || t->n_incoming < 2) {
        bt_push_cmd(in, BT_CMD_ACTIVATE, (int32_t)f->target, 0, scope->key);
        return;
    }
    scope->marks[scope->n_marks++] = fi;
    /* Every incoming flow needs a mark (one per flow is consumed). */
    for (uint32_t i = 0; i < t->n_incoming; i++) {
        uint32_t j = 0;
        while (j < scope->n_marks && scope->marks[j] != t->incoming[i])
            j++;
        if (j == scope->n_marks)
            return;
    }
    for (uint32_t i = 0; i < t->n_incoming; i++) {
        uint32_t j = 0;
        while (scope->marks[j] != t->incoming[i])
            j++;
        memmove(&scope->marks[j], &scope->marks[j + 1],
                (scope->n_marks - j - 1) * sizeof *scope->marks);
        scope->n_marks--;
    }
    bt_push_cmd(in, BT_CMD_ACTIVATE, (int32_t)f->target, 0, scope->key);
}

int bt_leave(bt_ctx *cx, bt_ei *ei, int64_t chosen, int *scope_done)
{
    baton_instance *in = cx->in;
    const bt_element *el = bt_ei_el(ei);
    bt_ei *scope = ei->scope;
    /* Taking a flow into a join consumes marks, which a failure could not
     * put back: reserve everything first. */
    if (bt_reserve(in, 0, 0, el->n_outgoing, el->n_outgoing) ||
        bt_ei_reserve_marks(in, scope, el->n_outgoing))
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < el->n_outgoing; i++)
        if (chosen < 0 || (int64_t)el->outgoing[i] == chosen)
            take_flow(in, scope, el->outgoing[i]);
    bt_ei_remove(in, ei);
    *scope_done = !el->n_outgoing && !bt_scope_busy(scope);
    return 0;
}
