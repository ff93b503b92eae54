/* The dispatcher: one transition per step, from the head of the queue.
 * It runs the lifecycle all kinds share and calls the element's
 * processor at each point; a failure a processor returns becomes an
 * incident here. */
#include "elements/processor.h"

static const bt_processor *const processors[BT_KIND_COUNT] = {
#define BT_KIND(name, tag, zeebe, flags, evdefs, proc)                       \
    [BT_##name] = &bt_proc_##proc,
#include "model/kinds.def"
#undef BT_KIND
};

static const bt_processor *processor_of(const bt_ei *ei)
{
    return ei->element < 0 ? &bt_proc_process
                           : processors[bt_ei_el(ei)->kind];
}

int bt_element_terminating(baton_instance *in, bt_ei *ei, uint64_t thrower)
{
    const bt_processor *p = processor_of(ei);
    return p->terminating ? p->terminating(in, ei, thrower) : 0;
}

static int activate(bt_ctx *cx, const bt_cmd *c)
{
    baton_instance *in = cx->in;
    if (c->element < 0)
        return bt_process_activate(cx, in->root);
    bt_ei *scope = bt_ei_find(in, c->scope_key);
    if (!scope || scope->state != BT_EI_ACTIVATED)
        return 0; /* the scope ended while this token was queued */
    bt_ei *ei = bt_ei_new(in, scope, c->element, in->next_key);
    if (!ei)
        return BATON_ENOMEM;
    in->next_key++;
    int rc = bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATING, ei);
    if (!rc)
        rc = bt_apply_inputs(cx, ei);
    if (!rc)
        rc = bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATED, ei);
    if (rc)
        return rc;
    ei->state = BT_EI_ACTIVATED;
    if (bt_ei_el(ei)->is_for_compensation)
        ei->comp_throw = c->key;
    return processor_of(ei)->activated(cx, ei);
}

static int complete(bt_ctx *cx, const bt_cmd *c)
{
    baton_instance *in = cx->in;
    bt_ei *ei = bt_ei_find(in, c->key);
    if (!ei || ei->state != BT_EI_ACTIVATED)
        return 0;
    /* A scope completes when nothing is left to run in it; a completion
     * queued while work is left (which only a damaged snapshot can hold)
     * waits for the one its last child queues. */
    if ((ei->element < 0 || bt_kind_has(bt_ei_el(ei)->kind, BT_KF_SCOPE)) &&
        bt_scope_busy(ei))
        return 0;
    if (ei->element < 0)
        return bt_process_complete(cx, ei);
    const bt_processor *p = processor_of(ei);
    if (bt_reserve(in, 0, 0, bt_ei_el(ei)->n_outgoing + 2, 0))
        return BATON_ENOMEM;
    int64_t chosen = -1;
    int rc = p->completing ? p->completing(cx, ei, &chosen) : 0;
    if (rc || cx->fail.type >= 0)
        return rc;
    rc = bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETING, ei);
    if (!rc)
        rc = bt_apply_outputs(cx, ei);
    if (!rc)
        rc = bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETED, ei);
    if (rc)
        return rc;
    if (ei->comp_throw) {
        /* A compensation handler: it has no flows; its throw moves on. */
        rc = bt_comp_handler_done(in, ei);
        if (!rc)
            bt_ei_remove(in, ei);
        return rc;
    }
    if ((rc = bt_comp_completed(in, ei)))
        return rc;
    bt_ei *scope = ei->scope;
    int scope_done = 0;
    rc = p->completed ? p->completed(cx, ei, chosen, &scope_done)
                      : bt_leave(cx, ei, chosen, &scope_done);
    if (!rc && scope_done)
        processor_of(scope)->child_completed(cx, scope);
    return rc;
}

static int resume(bt_ctx *cx, const bt_cmd *c)
{
    bt_ei *ei = bt_ei_find(cx->in, c->key);
    if (!ei || ei->state != BT_EI_ACTIVATED)
        return 0;
    const bt_processor *p = processor_of(ei);
    return p->resume ? p->resume(cx, ei) : 0;
}

static int transition(bt_ctx *cx, void *arg)
{
    (void)arg;
    bt_cmd c = bt_pop_cmd(cx->in);
    switch (c.kind) {
    case BT_CMD_ACTIVATE: return activate(cx, &c);
    case BT_CMD_COMPLETE: return complete(cx, &c);
    case BT_CMD_CALL_HANDLER: return bt_job_call_handler(cx, c.key);
    case BT_CMD_THROW_ERROR: return resume(cx, &c);
    default: return 0;
    }
}

int bt_step(baton_instance *in)
{
    /* A transition queues at most two commands; those that queue more
     * reserve for it themselves. */
    return bt_transact(in, 2, transition, NULL);
}
