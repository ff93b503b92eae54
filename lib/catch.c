/* BPMN errors: where a thrown error is caught (BPMN 2.0.2 §10.5.4: the
 * innermost enclosing catch; as Zeebe, a catch event naming the error
 * code wins over a catch-all one at the same level) and what catching
 * does: an error boundary event interrupts its activity; an error event
 * subprocess interrupts everything else in its scope. */
#include <string.h>

#include "internal.h"

/* The catch among `list` for `code`: exact code first, then catch-all.
 * For event subprocesses the error definition is on their start event. */
static int32_t match(const baton_instance *in, const uint32_t *list,
                     uint32_t n, const char *code, int subprocesses)
{
    int32_t any = -1;
    for (uint32_t i = 0; i < n; i++) {
        const bt_element *e = &in->proc->elements[list[i]];
        if (subprocesses) {
            if (e->start < 0)
                continue;
            e = &in->proc->elements[e->start];
        }
        if (e->evdef != BT_EVDEF_ERROR)
            continue;
        if (!e->error_code) {
            if (any < 0)
                any = (int32_t)list[i];
        } else if (strcmp(e->error_code, code) == 0) {
            return (int32_t)list[i];
        }
    }
    return any;
}

/* Camunda 7's errorCodeVariable / errorMessageVariable. The last fallible
 * part of catching: on failure it undoes its own writes. */
static int error_vars(baton_instance *in, uint64_t scope,
                      const bt_element *catcher, const char *code,
                      const char *message)
{
    bt_varlog logv = { 0 }, *log = &logv;
    const bt_alloc *a = &in->engine->alloc;
    int rc = 0;
    if (catcher->error_code_variable) {
        json_t *v = json_string(code);
        rc = v ? bt_var_set_local(in, log, scope,
                                  catcher->error_code_variable, v)
               : BATON_ENOMEM;
        json_decref(v);
    }
    if (!rc && catcher->error_message_variable) {
        json_t *v = message ? json_string(message) : json_null();
        rc = v ? bt_var_set_local(in, log, scope,
                                  catcher->error_message_variable, v)
               : BATON_ENOMEM;
        json_decref(v);
    }
    if (rc)
        bt_varlog_undo(log);
    bt_varlog_clear(log, a);
    return rc;
}

int bt_throw_error(baton_instance *in, uint64_t from, uint64_t thrower,
                   const char *code, const char *message)
{
    const bt_process *p = in->proc;
    bt_ei *cur = bt_ei_find(in, from);
    int rc;
    while (cur) {
        if (cur->element >= 0) {
            const bt_element *el = &p->elements[cur->element];
            int32_t b = match(in, el->boundaries, el->n_boundaries, code, 0);
            if (b >= 0) {
                uint64_t key = cur->key, scope = cur->scope_key;
                rc = bt_terminate_ei(in, key, thrower);
                if (!rc && bt_reserve(in, 0, 0, 1, 0))
                    rc = BATON_ENOMEM;
                if (!rc)
                    rc = error_vars(in, scope, &p->elements[b], code, message);
                if (rc)
                    return rc;
                bt_sweep_ei(in, key);
                bt_push_cmd(in, BT_CMD_ACTIVATE, b, 0, scope);
                return 0;
            }
        }
        bt_ei *scope = bt_ei_find(in, cur->scope_key);
        if (!scope)
            break;
        const uint32_t *subs = scope->element >= 0
                                   ? p->elements[scope->element].event_subprocesses
                                   : p->event_subprocesses;
        uint32_t n = scope->element >= 0
                         ? p->elements[scope->element].n_event_subprocesses
                         : p->n_event_subprocesses;
        int32_t e = match(in, subs, n, code, 1);
        if (e >= 0 && e != cur->element) {
            uint64_t skey = scope->key;
            rc = bt_terminate_inside(in, skey, 0);
            if (!rc && bt_reserve(in, 0, 0, 1, 0))
                rc = BATON_ENOMEM;
            if (!rc)
                rc = error_vars(in, skey, &p->elements[p->elements[e].start],
                                code, message);
            if (rc)
                return rc;
            bt_sweep_inside(in, skey, 0);
            bt_push_cmd(in, BT_CMD_ACTIVATE, e, 0, skey);
            return 0;
        }
        cur = scope;
    }
    return 1;
}
