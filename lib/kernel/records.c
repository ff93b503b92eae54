/* Records: the stream of everything an instance does, in the shape of
 * Zeebe's exported records. Collected during a step in the engine's
 * buffer and delivered to the host's sink when the step commits. */
#include <string.h>

#include "kernel/instance.h"

const char *const bt_incident_type_names[BT_INC_COUNT] = {
    [BT_INC_JOB_NO_RETRIES] = "JOB_NO_RETRIES",
    [BT_INC_UNHANDLED_ERROR] = "UNHANDLED_ERROR_EVENT",
    [BT_INC_CONDITION] = "CONDITION_ERROR",
    [BT_INC_EXTRACT_VALUE] = "EXTRACT_VALUE_ERROR",
    [BT_INC_CALLED_ELEMENT] = "CALLED_ELEMENT_ERROR",
};

struct baton_record *bt_rec_push(baton_instance *in, int value_type,
                                 int intent, uint64_t key)
{
    baton_engine *e = in->engine;
    if (bt_grow(&e->alloc, (void **)&e->recs, &e->cap_recs, e->n_recs + 1,
                sizeof *e->recs))
        return NULL;
    struct baton_record *r = &e->recs[e->n_recs++];
    memset(r, 0, sizeof *r);
    r->value_type = (uint8_t)value_type;
    r->intent = (uint8_t)intent;
    r->key = key;
    r->inst = in;
    r->proc = in->proc;
    r->pi_key = in->key;
    r->version = in->version;
    return r;
}

void bt_rec_at_called(struct baton_record *r, const bt_ei *pi)
{
    r->pi_key = pi->key;
    r->version = pi->version;
    r->parent_ei_key = pi->scope->key;
    r->parent_pi_key = bt_ei_process(pi->scope)->key;
}

int bt_rec_element(baton_instance *in, int intent, const bt_ei *ei)
{
    struct baton_record *r = bt_rec_push(in, BATON_VT_PROCESS_INSTANCE,
                                         intent, ei->key);
    if (!r)
        return BATON_ENOMEM;
    bt_rec_at(r, ei);
    r->element = bt_ei_el(ei);
    r->mi_body = (uint8_t)(bt_ei_is_body(ei)
                               ? 1 + bt_ei_el(ei)->loop->standard
                               : 0);
    /* A process instance has no flow scope, a called one neither. */
    r->flow_scope_key = ei->element >= 0 ? ei->scope->key : 0;
    return 0;
}

struct baton_record *bt_rec_job(baton_instance *in, int intent,
                                const baton_job *job)
{
    struct baton_record *r = bt_rec_push(in, BATON_VT_JOB, intent, job->key);
    if (!r || !(r->u.job.type = bt_scratch_strdup(in, job->type)))
        return NULL;
    r->u.job.retries = job->retries;
    bt_rec_at(r, job->ei);
    r->element = bt_ei_el(job->ei);
    r->element_instance_key = job->ei->key;
    return r;
}

const char *bt_scratch_strdup(baton_instance *in, const char *s)
{
    return s ? bt_arena_strdup(&in->engine->scratch, s) : NULL;
}

void bt_records_drop(baton_engine *e)
{
    for (size_t i = 0; i < e->n_recs; i++) {
        if (e->recs[i].value_type == BATON_VT_VARIABLE)
            json_decref(e->recs[i].u.var.value);
        else if (e->recs[i].value_type >= BATON_VT_TIMER)
            json_decref(e->recs[i].u.sub.vars);
    }
    e->n_recs = 0;
    /* The scratch arena keeps one chunk for the next step. */
    bt_arena_reset(&e->scratch);
}

void bt_records_deliver(baton_instance *in)
{
    baton_engine *e = in->engine;
    for (size_t i = 0; i < e->n_recs; i++) {
        e->recs[i].position = ++in->position;
        if (e->record)
            e->record(e->record_ud, in, &e->recs[i]);
    }
    bt_records_drop(e);
}
