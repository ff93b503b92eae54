/* Incidents: a failure returned by a transition becomes an incident here,
 * and only here. */
#include <stdarg.h>
#include <string.h>

#include "kernel/instance.h"

int bt_fail(baton_instance *in, bt_failure *f, int type, const bt_ei *ei,
            uint64_t job_key, const bt_cmd *retry, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = bt_arena_vprintf(&in->engine->scratch, fmt, ap);
    va_end(ap);
    if (!msg)
        return BATON_ENOMEM;
    f->type = type;
    f->ei = ei;
    f->job_key = job_key;
    f->retry = retry ? *retry : (bt_cmd){ BT_CMD_NONE, 0, 0, 0 };
    f->message = msg;
    return 0;
}

int bt_incident_raise(baton_instance *in, const bt_failure *f)
{
    const bt_alloc *a = &in->engine->alloc;
    if (bt_reserve_incident(in))
        return BATON_ENOMEM;
    char *msg = bt_strdup(a, f->message);
    struct baton_record *r =
        msg ? bt_rec_push(in, BATON_VT_INCIDENT, BATON_INTENT_CREATED,
                          in->next_key)
            : NULL;
    if (!r) {
        bt_free(a, msg);
        return BATON_ENOMEM;
    }
    r->u.incident.type = bt_incident_type_names[f->type];
    r->u.incident.message = msg;
    r->u.incident.job_key = f->job_key;
    bt_rec_at(r, f->ei);
    r->element = bt_ei_el(f->ei);
    r->element_instance_key = f->ei->key;
    in->incidents[in->n_incidents++] = (bt_incident){
        in->next_key++, (uint32_t)f->type, f->ei->element, f->ei->key,
        f->job_key, msg, f->retry
    };
    bt_log(in->engine, BATON_LOG_WARN, "incident %s on %s: %s",
           bt_incident_type_names[f->type],
           f->ei->element >= 0 ? bt_ei_el(f->ei)->id : f->ei->proc->id,
           f->message);
    return 0;
}

int bt_incident_announce_resolved(baton_instance *in, const bt_incident *x)
{
    const bt_ei *ei = bt_ei_find(in, x->ei_key);
    struct baton_record *r = bt_rec_push(in, BATON_VT_INCIDENT,
                                         BATON_INTENT_RESOLVED, x->key);
    if (!r || (x->message &&
               !(r->u.incident.message = bt_scratch_strdup(in, x->message))))
        return BATON_ENOMEM;
    r->u.incident.type = bt_incident_type_names[x->type];
    r->u.incident.job_key = x->job_key;
    if (ei)
        bt_rec_at(r, ei);
    r->element = x->element >= 0 ? &r->proc->elements[x->element] : NULL;
    r->element_instance_key = x->ei_key;
    return 0;
}

int bt_incidents_resolve_announce(baton_instance *in, const bt_ei *ei)
{
    for (size_t i = 0; i < in->n_incidents; i++)
        if (in->incidents[i].ei_key == ei->key) {
            int rc = bt_incident_announce_resolved(in, &in->incidents[i]);
            if (rc)
                return rc;
        }
    return 0;
}

void bt_incidents_drop(baton_instance *in, uint64_t ei_key)
{
    for (size_t k = 0; k < in->n_incidents;) {
        if (in->incidents[k].ei_key == ei_key)
            bt_incident_remove_at(in, k);
        else
            k++;
    }
}

bt_incident *bt_incident_find(baton_instance *in, uint64_t key,
                              size_t *index)
{
    for (size_t i = 0; i < in->n_incidents; i++)
        if (in->incidents[i].key == key) {
            *index = i;
            return &in->incidents[i];
        }
    return NULL;
}

void bt_incident_remove_at(baton_instance *in, size_t i)
{
    bt_free(&in->engine->alloc, in->incidents[i].message);
    memmove(&in->incidents[i], &in->incidents[i + 1],
            (in->n_incidents - i - 1) * sizeof *in->incidents);
    in->n_incidents--;
}
