/* Signal, escalation and message throw events, for the intermediate throw
 * and end events that carry them. A signal is announced for the host to
 * deliver (SIGNAL BROADCASTED, with the event's local variables, its
 * input mappings' results); an escalation goes to its catch
 * (escalations.c), its code worked out first when it is an expression;
 * a message is sent by a job, as Zeebe does. */
#include "elements/throws.h"

static int broadcast(bt_ctx *cx, bt_ei *ei)
{
    baton_instance *in = cx->in;
    const char *name;
    int rc = bt_event_name(cx, ei, bt_ei_el(ei), &name);
    if (rc || !name)
        return rc;
    struct baton_record *r =
        bt_rec_push(in, BATON_VT_SIGNAL, BATON_INTENT_BROADCASTED,
                    in->next_key);
    if (!r || !(r->u.sub.name = bt_scratch_strdup(in, name)))
        return BATON_ENOMEM;
    in->next_key++;
    bt_rec_at(r, ei);
    r->element = bt_ei_el(ei);
    r->element_instance_key = ei->key;
    r->u.sub.vars = json_incref(ei->vars);
    return bt_complete_next(cx, ei);
}

int bt_throw_event(bt_ctx *cx, bt_ei *ei, int *handled)
{
    const bt_element *el = bt_ei_el(ei);
    *handled = 1;
    switch (el->evdef) {
    case BT_EVDEF_SIGNAL:
        return broadcast(cx, ei);
    case BT_EVDEF_MESSAGE:
        return bt_job_create(cx, ei);
    case BT_EVDEF_ESCALATION: {
        const char *code = el->event.escalation_code;
        int ended, rc = 0;
        if (el->event.code_expr) {
            /* Resolved, the event throws again, evaluating it again. */
            bt_value_site at = { ei, el, "escalation code",
                                 { BT_CMD_SUBSCRIBE, ei->element, ei->key,
                                   0 } };
            rc = bt_value_text(cx, &at, el->event.code_expr, 0, &code);
            if (rc || !code)
                return rc;
        }
        rc = bt_throw_escalation(cx, ei, code, &ended);
        return rc || ended ? rc : bt_complete_next(cx, ei);
    }
    default:
        *handled = 0;
        return 0;
    }
}
