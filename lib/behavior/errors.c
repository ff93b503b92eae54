/* BPMN errors: where a thrown error is caught (BPMN 2.0.2 §10.5.4: the
 * innermost enclosing catch; as Zeebe, a catch event naming the error
 * code wins over a catch-all one at the same level) and what catching
 * does: an error boundary event interrupts its activity; an error event
 * subprocess interrupts everything else in its scope. */
#include <string.h>

#include "behavior/behavior.h"

int32_t bt_catch_match(const bt_process *p, const uint32_t *list,
                       uint32_t n, int evdef, const char *code,
                       int subprocesses)
{
    int32_t any = -1;
    for (uint32_t i = 0; i < n; i++) {
        const bt_element *e = &p->elements[list[i]];
        if (subprocesses) {
            if (e->scope.start < 0)
                continue;
            e = &p->elements[e->scope.start];
        }
        if (e->evdef != evdef)
            continue;
        const char *c = evdef == BT_EVDEF_ERROR ? e->event.error_code
                                                : e->event.escalation_code;
        if (!c) {
            if (any < 0)
                any = (int32_t)list[i];
        } else if (strcmp(c, code) == 0) {
            return (int32_t)list[i];
        }
    }
    return any;
}

/* Camunda 7's errorCodeVariable / errorMessageVariable. */
static int error_vars(bt_ctx *cx, bt_ei *scope, const bt_element *catcher,
                      const char *code, const char *message)
{
    int rc = 0;
    if (catcher->event.error_code_variable) {
        json_t *v = json_string(code);
        rc = v ? bt_var_set_local(cx->in, cx->log, scope,
                                  catcher->event.error_code_variable, v)
               : BATON_ENOMEM;
        json_decref(v);
    }
    if (!rc && catcher->event.error_message_variable) {
        json_t *v = message ? json_string(message) : json_null();
        rc = v ? bt_var_set_local(cx->in, cx->log, scope,
                                  catcher->event.error_message_variable, v)
               : BATON_ENOMEM;
        json_decref(v);
    }
    return rc;
}

/* An error boundary event `b` of `act` catches: the activity ends and the
 * boundary event starts beside it. */
static int catch_on_boundary(bt_ctx *cx, bt_ei *act, int32_t b,
                             uint64_t thrower, const char *code,
                             const char *message)
{
    baton_instance *in = cx->in;
    bt_ei *scope = act->scope;
    int rc = bt_terminate_ei(in, act, thrower);
    if (!rc && bt_reserve(in, 0, 0, 1, 0))
        rc = BATON_ENOMEM;
    if (!rc)
        rc = error_vars(cx, scope, &act->proc->elements[b], code, message);
    if (rc)
        return rc;
    bt_sweep_ei(in, act);
    bt_push_cmd(in, BT_CMD_ACTIVATE, b, 0, scope->key);
    return 0;
}

/* Error event subprocess `e` of `scope` catches: everything else in the
 * scope ends and the event subprocess starts. */
static int catch_in_subprocess(bt_ctx *cx, bt_ei *scope, int32_t e,
                               const char *code, const char *message)
{
    baton_instance *in = cx->in;
    const bt_process *p = scope->proc;
    bt_sub_close_tokens(in, scope);
    int rc = bt_terminate_inside(in, scope, NULL);
    if (!rc)
        rc = bt_sub_close_owned(in, scope, 1);
    if (!rc && bt_reserve(in, 0, 0, 1, 0))
        rc = BATON_ENOMEM;
    if (!rc)
        rc = error_vars(cx, scope, &p->elements[p->elements[e].scope.start],
                        code, message);
    if (rc)
        return rc;
    bt_sweep_inside(in, scope, NULL);
    bt_push_cmd(in, BT_CMD_ACTIVATE, e, 0, scope->key);
    return 0;
}

int bt_scope_interrupted(const bt_ei *scope)
{
    for (const bt_ei *c = scope->first; c; c = c->next) {
        const bt_element *el = bt_ei_el(c);
        if (el && bt_kind_has(el->kind, BT_KF_SCOPE) &&
            el->scope.triggered_by_event && el->scope.start >= 0 &&
            c->proc->elements[el->scope.start].event.interrupting)
            return 1;
    }
    return 0;
}

int bt_throw_error(bt_ctx *cx, bt_ei *from, uint64_t thrower,
                   const char *code, const char *message, int *caught)
{
    *caught = 1;
    for (bt_ei *cur = from; cur; cur = cur->scope) {
        const bt_element *el = bt_ei_el(cur);
        const bt_process *p = cur->proc;
        /* An inner instance of a multi-instance activity: its body has
         * the boundary events. */
        if (el && !bt_ei_is_inner(cur)) {
            int32_t b = bt_catch_match(p, el->boundaries, el->n_boundaries,
                                       BT_EVDEF_ERROR, code, 0);
            if (b >= 0)
                return catch_on_boundary(cx, cur, b, thrower, code, message);
        }
        bt_ei *scope = cur->scope;
        if (!scope)
            break;
        int32_t e = bt_catch_in_scope(scope, BT_EVDEF_ERROR, code);
        if (e >= 0 && !bt_scope_interrupted(scope))
            return catch_in_subprocess(cx, scope, e, code, message);
    }
    *caught = 0;
    return 0;
}
