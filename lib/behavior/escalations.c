/* Escalations (BPMN 2.0.2 §10.5.4, as Zeebe): thrown by an intermediate
 * throw or end event, caught by the nearest escalation boundary event or
 * escalation event subprocess, scope by scope outward, a catch naming the
 * code winning over a catch-all at the same level. Unlike an error, an
 * escalation nothing catches does not stop the instance, and a catch may
 * leave the thrower running (non-interrupting). */
#include <string.h>

#include "behavior/behavior.h"

static int announce(baton_instance *in, const bt_ei *from, int intent,
                    const char *code, const bt_element *catcher)
{
    struct baton_record *r =
        bt_rec_push(in, BATON_VT_ESCALATION, intent, in->next_key);
    if (!r || !(r->u.sub.name = bt_scratch_strdup(in, code)))
        return BATON_ENOMEM;
    in->next_key++;
    bt_rec_at(r, from);
    r->element = bt_ei_el(from);
    r->element_instance_key = from->key;
    r->u.sub.other = catcher;
    return 0;
}

int bt_throw_escalation(bt_ctx *cx, bt_ei *from, const char *code,
                        int *ended)
{
    baton_instance *in = cx->in;
    *ended = 0;
    for (bt_ei *cur = from; cur; cur = cur->scope) {
        const bt_element *el = bt_ei_el(cur);
        const bt_process *p = cur->proc;
        bt_ei *scope = cur->scope;
        if (el && cur != from && !bt_ei_is_inner(cur)) {
            int32_t b = bt_catch_match(p, el->boundaries, el->n_boundaries,
                                   BT_EVDEF_ESCALATION, code, 0);
            if (b >= 0) {
                const bt_element *be = &p->elements[b];
                int rc = announce(in, from, BATON_INTENT_ESCALATED, code, be);
                if (!rc && be->event.cancel_activity)
                    rc = bt_terminate_ei(in, cur, 0);
                if (!rc && bt_reserve(in, 0, 0, 1, 0))
                    rc = BATON_ENOMEM;
                if (rc)
                    return rc;
                if (be->event.cancel_activity) {
                    *ended = 1;
                    bt_sweep_ei(in, cur);
                }
                bt_push_cmd(in, BT_CMD_ACTIVATE, b, 0, scope->key);
                return 0;
            }
        }
        if (!scope)
            break;
        int32_t e = bt_catch_in_scope(scope, BT_EVDEF_ESCALATION, code);
        if (e < 0)
            continue;
        const bt_element *start = &p->elements[p->elements[e].scope.start];
        int interrupting = start->event.interrupting;
        /* An interrupted scope starts no other event subprocess (errors.c
         * skips it alike); its boundary events still catch. */
        if (bt_scope_interrupted(scope))
            continue;
        int rc = announce(in, from, BATON_INTENT_ESCALATED, code, start);
        if (!rc && interrupting) {
            bt_sub_close_tokens(in, scope);
            rc = bt_terminate_inside(in, scope, NULL);
        }
        if (!rc && interrupting)
            rc = bt_sub_close_owned(in, scope, 1);
        if (!rc && bt_reserve(in, 0, 0, 1, 0))
            rc = BATON_ENOMEM;
        if (rc)
            return rc;
        if (interrupting) {
            *ended = 1; /* `from` is inside `scope` */
            bt_sweep_inside(in, scope, NULL);
        }
        bt_push_cmd(in, BT_CMD_ACTIVATE, e, 0, scope->key);
        return 0;
    }
    return announce(in, from, BATON_INTENT_NOT_ESCALATED, code, NULL);
}
