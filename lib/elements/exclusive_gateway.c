/* Exclusive gateways: BPMN 2.0.2 §13.3.2, the first outgoing flow in
 * order whose condition is true, else the default flow; neither is a
 * CONDITION_ERROR incident, as in Zeebe. */
#include "elements/processor.h"

static int choose(bt_ctx *cx, bt_ei *ei, int64_t *chosen)
{
    const bt_element *el = bt_ei_el(ei);
    const bt_process *p = ei->proc;
    bt_cmd retry = { BT_CMD_COMPLETE, ei->element, ei->key, 0 };
    if (!el->n_outgoing)
        return 0;
    bt_eval_ctx ctx = { ei, NULL };
    for (uint32_t i = 0; i < el->n_outgoing; i++) {
        const bt_flow *f = &p->flows[el->outgoing[i]];
        if ((int32_t)el->outgoing[i] == el->default_flow)
            continue;
        *chosen = el->outgoing[i];
        if (!f->condition)
            return 0;
        json_t *v;
        if (bt_expr_eval(f->condition, bt_eval_lookup, &ctx, &v))
            return BATON_ENOMEM;
        int kind = json_typeof(v);
        json_decref(v);
        if (kind == JSON_TRUE)
            return 0;
        if (kind != JSON_FALSE)
            return bt_fail(cx->in, &cx->fail, BT_INC_CONDITION, ei, 0, &retry,
                           "expected the condition of sequence flow '%s' "
                           "(%s) to be a boolean, but it was %s",
                           f->id, bt_expr_text(f->condition),
                           kind == JSON_NULL ? "null" : "not a boolean");
    }
    *chosen = el->default_flow;
    if (el->default_flow >= 0)
        return 0;
    return bt_fail(cx->in, &cx->fail, BT_INC_CONDITION, ei, 0, &retry,
                   "no condition of an outgoing sequence flow was true and "
                   "there is no default flow");
}

const bt_processor bt_proc_exclusive_gateway = {
    .activated = bt_complete_next,
    .completing = choose,
};
