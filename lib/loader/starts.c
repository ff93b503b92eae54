/* How each scope of a process starts: at its start events, or, when it
 * has none, at every flow node in it without an incoming sequence flow
 * (BPMN 2.0.2 §10.5.2: "all Flow Nodes that do not have any incoming
 * Sequence Flows SHALL be instantiated"), as bpmn-engine runs such
 * models; Zeebe refuses them. A scope with no flow node at all (a
 * collapsed subprocess drawn as a placeholder, an empty process) has
 * nothing to do and completes at once; one whose flow nodes all have
 * incoming flows could never start and is refused. */
#include "loader/loader.h"

#include <stdint.h>

#include "baton.h"

/* Whether `e`, which has no incoming flow, starts with its scope. Not
 * what the scope reaches by other means: boundary events, compensation
 * handlers, event subprocesses and the catch events of links. */
static int starts_implicitly(const bt_element *e)
{
    if (e->n_incoming || e->is_for_compensation)
        return 0;
    switch (e->kind) {
    case BT_START_EVENT:
    case BT_BOUNDARY_EVENT:
        return 0;
    case BT_SUB_PROCESS:
        return !e->scope.triggered_by_event;
    case BT_INTERMEDIATE_CATCH_EVENT:
        return e->evdef != BT_EVDEF_LINK;
    default:
        return 1;
    }
}

/* The implicit starts' lists of the scopes flagged in `want` (slot 0:
 * the process, slot i + 1: element i), in one pass over the elements;
 * `kids` gets each scope's number of elements. */
static void fill(bt_loader *ld, bt_process *p, const uint8_t *want,
                 uint32_t *count, uint32_t *kids)
{
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        kids[e->parent + 1]++;
        if (want[e->parent + 1] && starts_implicitly(e))
            count[e->parent + 1]++;
    }
    for (uint32_t s = 0; s <= p->n_elements; s++) {
        if (!count[s])
            continue;
        uint32_t **list = s ? &p->elements[s - 1].scope.implicit_starts
                            : &p->implicit_starts;
        if (!(*list = bt_arena_alloc(ld->ar, count[s] * sizeof **list))) {
            ld->oom = 1;
            return;
        }
    }
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (!want[e->parent + 1] || !starts_implicitly(e))
            continue;
        if (e->parent < 0)
            p->implicit_starts[p->n_implicit_starts++] = i;
        else {
            bt_scope_def *d = &p->elements[e->parent].scope;
            d->implicit_starts[d->n_implicit_starts++] = i;
        }
    }
}

void bt_load_scope_starts(bt_loader *ld, bt_proc_build *pb,
                          const uint32_t *starts, const uint8_t *refused)
{
    bt_process *p = pb->p;
    const bt_alloc *a = &ld->alloc;
    size_t n = (size_t)p->n_elements + 1;
    uint8_t *want = bt_calloc(a, n, 1);
    uint32_t *count = bt_calloc(a, n, sizeof *count);
    uint32_t *kids = bt_calloc(a, n, sizeof *kids);
    if (!want || !count || !kids) {
        ld->oom = 1;
        goto out;
    }
    /* A scope whose start events were refused already has its problem;
     * starting it elsewhere would hide that. */
    want[0] = !p->n_starts && !refused[0];
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (e->kind != BT_SUB_PROCESS || starts[i + 1] || refused[i + 1])
            continue;
        if (e->scope.triggered_by_event)
            bt_load_problem(ld, BATON_EMODEL, (int)e->line, 0, e->tag, e->id,
                            "event subprocess has no start event");
        else
            want[i + 1] = 1;
    }
    fill(ld, p, want, count, kids);
    if (ld->oom)
        goto out;
    if (want[0] && !p->n_implicit_starts && kids[0])
        bt_load_problem(ld, BATON_EMODEL, (int)p->line, 0, "process", p->id,
                        "process has no start event and no flow node "
                        "without incoming sequence flows");
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (want[i + 1] && !e->scope.n_implicit_starts && kids[i + 1])
            bt_load_problem(ld, BATON_EMODEL, (int)e->line, 0, e->tag, e->id,
                            "subprocess has no start event and no flow node "
                            "without incoming sequence flows");
    }
out:
    bt_free(a, want);
    bt_free(a, count);
    bt_free(a, kids);
}
