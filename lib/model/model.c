#include "model/model.h"

#include <string.h>

#include "baton.h"

uint64_t bt_fnv1a64(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int32_t bt_process_find(const bt_process *p, const char *id)
{
    for (uint32_t i = 0; i < p->n_elements; i++)
        if (strcmp(p->elements[i].id, id) == 0)
            return (int32_t)i;
    return -1;
}

void bt_model_ref(baton_model *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void bt_model_unref(baton_model *m)
{
    if (!m)
        return;
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* The model struct itself lives in its own arena. */
    bt_arena ar = m->arena;
    bt_arena_free(&ar);
}

const char *bt_kind_zeebe_name(const bt_element *e)
{
    if (e->kind == BT_SUB_PROCESS && e->scope.triggered_by_event)
        return "EVENT_SUB_PROCESS";
    if (e->kind == BT_SUB_PROCESS && e->scope.transaction)
        return "TRANSACTION";
    return e->kind < BT_KIND_COUNT ? bt_kinds[e->kind].zeebe : "UNSPECIFIED";
}

int bt_process_list_job_types(bt_arena *ar, bt_process *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->n_elements; i++)
        n += bt_el_has_job(&p->elements[i]) && !p->elements[i].job.type_expr;
    p->n_job_types = 0;
    p->job_types = NULL;
    if (!n)
        return 0;
    p->job_types = bt_arena_alloc(ar, n * sizeof *p->job_types);
    if (!p->job_types)
        return BATON_ENOMEM;
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (!bt_el_has_job(e) || e->job.type_expr)
            continue;
        const char *t = e->job.type ? e->job.type : e->id;
        uint32_t k = 0;
        while (k < p->n_job_types && strcmp(p->job_types[k], t) != 0)
            k++;
        if (k == p->n_job_types)
            p->job_types[p->n_job_types++] = t;
    }
    return 0;
}

static bt_scope_joins *joins_at(bt_process *p, int32_t scope)
{
    return scope < 0 ? &p->joins : &p->elements[scope].scope.joins;
}

int bt_process_list_joins(bt_arena *ar, bt_process *p)
{
    for (uint32_t i = 0; i < p->n_elements; i++)
        joins_at(p, p->elements[i].parent)->n_joins +=
            (uint32_t)bt_el_joins(&p->elements[i]);
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (!bt_el_joins(e))
            continue;
        bt_scope_joins *j = joins_at(p, e->parent);
        if (!j->joins) {
            j->joins = bt_arena_alloc(ar, j->n_joins * sizeof *j->joins);
            if (!j->joins)
                return BATON_ENOMEM;
            j->n_joins = 0;
        }
        j->joins[j->n_joins++] = i;
        j->n_reachable +=
            (uint32_t)bt_kind_has(e->kind, BT_KF_JOINS_REACHABLE);
    }
    return 0;
}

const bt_kind_info bt_kinds[BT_KIND_COUNT] = {
#define BT_KIND(name, tag, zeebe, flags, evdefs, proc)                       \
    [BT_##name] = { tag, zeebe, flags, evdefs },
#include "model/kinds.def"
#undef BT_KIND
};

int bt_kind_of_tag(const char *tag)
{
    for (int k = 0; k < BT_KIND_COUNT; k++)
        if (strcmp(bt_kinds[k].tag, tag) == 0)
            return k;
    return -1;
}
