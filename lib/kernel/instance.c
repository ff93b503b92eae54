/* Element instances and jobs: created from recycled nodes, found by key
 * through a map, linked into their scope's children and into creation
 * order, so that nothing the engine does scans the whole instance. */
#include <string.h>

#include "kernel/instance.h"

int bt_instance_alloc(baton_engine *e, const bt_deployment *d,
                      baton_instance **out)
{
    baton_instance *in = bt_calloc(&e->alloc, 1, sizeof *in);
    if (!in)
        return BATON_ENOMEM;
    in->engine = e;
    in->model = d->model;
    in->proc = d->process;
    in->version = d->version;
    bt_model_ref(d->model);
    *out = in;
    return 0;
}

static void free_ei_node(const bt_alloc *a, bt_ei *ei)
{
    bt_free(a, ei->joins);
    bt_free(a, ei);
}

void bt_instance_free(baton_instance *in)
{
    const bt_alloc *a = &in->engine->alloc;
    for (bt_ei *ei = in->oldest, *next; ei; ei = next) {
        next = ei->newer;
        json_decref(ei->vars);
        json_decref(ei->mi_items);
        free_ei_node(a, ei);
    }
    for (bt_ei *ei = in->free_eis, *next; ei; ei = next) {
        next = ei->next;
        free_ei_node(a, ei);
    }
    for (baton_job *j = in->oldest_job, *next; j; j = next) {
        next = j->newer;
        bt_free(a, j->type);
        bt_free(a, j->error_message);
        bt_free(a, j);
    }
    for (baton_job *j = in->free_jobs, *next; j; j = next) {
        next = j->newer;
        bt_free(a, j);
    }
    for (size_t i = 0; i < in->n_incidents; i++)
        bt_free(a, in->incidents[i].message);
    bt_subs_free(in);
    bt_keymap_free(a, &in->ei_map);
    bt_keymap_free(a, &in->job_map);
    bt_free(a, in->incidents);
    bt_free(a, in->queue);
    bt_comp_truncate(in, 0);
    bt_free(a, in->comps);
    bt_free(a, in->join_seen);
    bt_model_unref(in->model);
    bt_free(a, in);
}

bt_ei *bt_ei_new(baton_instance *in, bt_ei *scope, int32_t element,
                 uint64_t key)
{
    const bt_alloc *a = &in->engine->alloc;
    if (bt_keymap_reserve(a, &in->ei_map, 1))
        return NULL;
    bt_ei *ei = in->free_eis;
    if (ei)
        in->free_eis = ei->next;
    else if (!(ei = bt_malloc(a, sizeof *ei)))
        return NULL;
    memset(ei, 0, sizeof *ei);
    ei->key = key;
    ei->scope = scope;
    ei->proc = scope ? scope->proc : in->proc;
    ei->element = element;
    ei->state = BT_EI_ACTIVATING;
    if (scope) {
        ei->prev = scope->last;
        if (scope->last)
            scope->last->next = ei;
        else
            scope->first = ei;
        scope->last = ei;
    } else {
        in->root = ei;
        ei->version = in->version;
    }
    ei->older = in->newest;
    if (in->newest)
        in->newest->newer = ei;
    else
        in->oldest = ei;
    in->newest = ei;
    in->n_eis++;
    bt_keymap_put(&in->ei_map, key, ei);
    return ei;
}

void bt_ei_remove(baton_instance *in, bt_ei *ei)
{
    bt_ei *scope = ei->scope;
    if (ei->n_subs)
        bt_sub_drop_owned(in, ei);
    if (scope) {
        if (ei->prev)
            ei->prev->next = ei->next;
        else
            scope->first = ei->next;
        if (ei->next)
            ei->next->prev = ei->prev;
        else
            scope->last = ei->prev;
    } else {
        in->root = NULL;
    }
    if (ei->older)
        ei->older->newer = ei->newer;
    else
        in->oldest = ei->newer;
    if (ei->newer)
        ei->newer->older = ei->older;
    else
        in->newest = ei->older;
    in->n_eis--;
    bt_keymap_del(&in->ei_map, ei->key);
    json_decref(ei->vars);
    ei->vars = NULL;
    json_decref(ei->mi_items);
    ei->mi_items = NULL;
    bt_ei_drop_marks(in, ei);
    ei->next = in->free_eis;
    in->free_eis = ei;
}

baton_job *bt_job_new(baton_instance *in, bt_ei *ei, uint64_t key,
                      char *type, int32_t retries)
{
    const bt_alloc *a = &in->engine->alloc;
    baton_job *j = NULL;
    if (!bt_keymap_reserve(a, &in->job_map, 1)) {
        j = in->free_jobs;
        if (j)
            in->free_jobs = j->newer;
        else
            j = bt_malloc(a, sizeof *j);
    }
    if (!j) {
        bt_free(a, type);
        return NULL;
    }
    *j = (baton_job){ .inst = in, .key = key, .ei = ei,
                      .retries = retries, .state = BT_JOB_READY,
                      .type = type, .older = in->newest_job };
    if (in->newest_job)
        in->newest_job->newer = j;
    else
        in->oldest_job = j;
    in->newest_job = j;
    in->n_jobs++;
    in->job_epoch++;
    bt_keymap_put(&in->job_map, j->key, j);
    ei->job_key = j->key;
    return j;
}

void bt_job_remove(baton_instance *in, baton_job *j)
{
    const bt_alloc *a = &in->engine->alloc;
    if (j->older)
        j->older->newer = j->newer;
    else
        in->oldest_job = j->newer;
    if (j->newer)
        j->newer->older = j->older;
    else
        in->newest_job = j->older;
    in->n_jobs--;
    in->n_held_jobs -= (size_t)bt_job_held(j->state);
    in->n_backoff_jobs -= (uint32_t)(j->state == BT_JOB_BACKOFF);
    in->job_epoch++;
    bt_keymap_del(&in->job_map, j->key);
    if (j->ei && j->ei->job_key == j->key)
        j->ei->job_key = 0;
    bt_free(a, j->type);
    bt_free(a, j->error_message);
    j->type = j->error_message = NULL;
    j->newer = in->free_jobs;
    in->free_jobs = j;
}

void bt_job_set_state(baton_instance *in, baton_job *job, uint32_t state)
{
    in->n_held_jobs += (size_t)bt_job_held(state);
    in->n_held_jobs -= (size_t)bt_job_held(job->state);
    in->n_backoff_jobs += (uint32_t)(state == BT_JOB_BACKOFF);
    in->n_backoff_jobs -= (uint32_t)(job->state == BT_JOB_BACKOFF);
    in->job_epoch++;
    job->state = state;
}

int bt_ei_reserve_marks(baton_instance *in, bt_ei *scope)
{
    if (scope->joins)
        return 0;
    const bt_process *p = scope->proc;
    size_t n = (size_t)p->n_flows + p->n_elements;
    bt_joins *j = bt_calloc(&in->engine->alloc, 1,
                            sizeof *j + n * sizeof *j->flow_marks);
    if (!j)
        return BATON_ENOMEM;
    j->flow_marks = (uint32_t *)(j + 1);
    j->join_ready = j->flow_marks + p->n_flows;
    scope->joins = j;
    return 0;
}

uint32_t bt_ei_add_mark(bt_ei *scope, uint32_t flow)
{
    bt_joins *j = scope->joins;
    uint32_t target = scope->proc->flows[flow].target;
    if (j->flow_marks[flow]++ == 0)
        j->join_ready[target]++;
    j->n_marks++;
    return j->join_ready[target];
}

void bt_ei_take_marks(bt_ei *scope, uint32_t target)
{
    bt_joins *j = scope->joins;
    const bt_element *t = &scope->proc->elements[target];
    uint32_t ready = 0;
    for (uint32_t i = 0; i < t->n_incoming; i++) {
        uint32_t *m = &j->flow_marks[t->incoming[i]];
        if (!*m)
            continue;
        if (--*m)
            ready++;
        j->n_marks--;
    }
    j->join_ready[target] = ready;
}

void bt_ei_drop_marks(baton_instance *in, bt_ei *scope)
{
    bt_free(&in->engine->alloc, scope->joins);
    scope->joins = NULL;
}
