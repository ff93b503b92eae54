/* Event-based gateways (BPMN 2.0.2 §10.6.6): wait for the events after
 * them, one subscription each; the first to occur wins (triggers.c), and
 * the gateway leaves by its flow, dropping the others. */
#include "elements/processor.h"

/* Whether one of the first `n` outgoing flows of `g` leads to `target`
 * (a gateway has a few flows). */
static int flows_to(const bt_process *p, const bt_element *g, uint32_t n,
                    int32_t target)
{
    for (uint32_t i = 0; i < n; i++)
        if ((int32_t)p->flows[g->outgoing[i]].target == target)
            return 1;
    return 0;
}

static int activated(bt_ctx *cx, bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    const bt_process *p = ei->proc;
    baton_instance *in = cx->in;
    size_t n_subs = in->n_subs, n_recs = in->engine->n_recs;
    size_t n_queue = in->n_queue;
    int rc = bt_reserve_keys(in, (size_t)el->n_outgoing + BT_KEYS_PER_STEP);
    for (uint32_t i = 0; !rc && i < el->n_outgoing && cx->fail.type < 0;
         i++) {
        int32_t target = (int32_t)p->flows[el->outgoing[i]].target;
        if (flows_to(p, el, i, target))
            continue; /* two flows to one event: one subscription */
        rc = bt_event_subscribe(cx, ei, target);
    }
    if (!rc && cx->fail.type >= 0) {
        /* None opens: the incident's retry opens them all again. */
        bt_subs_truncate(in, n_subs);
        in->engine->n_recs = n_recs;
        in->n_queue = n_queue;
    }
    return rc;
}

const bt_processor bt_proc_event_based_gateway = {
    .activated = activated,
};
