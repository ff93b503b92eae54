/* Transactions (BPMN 2.0.2 §10.2.2, §10.5.5): a cancel end event sits
 * directly in a transaction subprocess; a cancel boundary event is
 * attached to one, interrupting, at most one per transaction. A
 * transaction that a cancel end event can cancel needs its cancel
 * boundary event: that is what the cancelled transaction leaves by. */
#include "loader/loader.h"

#include "baton.h"

#define AT(e) (int)(e)->line, 0, (e)->tag, (e)->id

static int is_transaction(const bt_element *e)
{
    return e->kind == BT_SUB_PROCESS && e->scope.transaction;
}

static void cancel_boundary(bt_loader *ld, bt_process *p, uint32_t i)
{
    bt_element *e = &p->elements[i];
    if (e->event.attached_to < 0)
        return; /* reported with attachedToRef */
    bt_element *t = &p->elements[e->event.attached_to];
    if (!is_transaction(t))
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "a cancel boundary event must be attached to a "
                        "transaction, and '%s' is not one",
                        t->id);
    else if (!e->event.cancel_activity)
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "cancel boundary events always interrupt "
                        "(cancelActivity must be true)");
    else if (t->scope.cancel_boundary >= 0)
        bt_load_problem(ld, BATON_EMODEL, AT(e),
                        "transaction '%s' has more than one cancel boundary "
                        "event",
                        t->id);
    else
        t->scope.cancel_boundary = (int32_t)i;
}

void bt_load_transactions(bt_loader *ld, bt_proc_build *pb)
{
    bt_process *p = pb->p;
    for (uint32_t i = 0; i < p->n_elements; i++)
        if (p->elements[i].evdef == BT_EVDEF_CANCEL &&
            p->elements[i].kind == BT_BOUNDARY_EVENT)
            cancel_boundary(ld, p, i);
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (e->evdef != BT_EVDEF_CANCEL || e->kind != BT_END_EVENT)
            continue;
        const bt_element *t = e->parent >= 0 ? &p->elements[e->parent] : NULL;
        if (!t || !is_transaction(t))
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "a cancel end event must sit directly in a "
                            "transaction");
        else if (t->scope.cancel_boundary < 0)
            bt_load_problem(ld, BATON_EMODEL, AT(e),
                            "transaction '%s' can be cancelled but has no "
                            "cancel boundary event to leave by",
                            t->id);
    }
}
