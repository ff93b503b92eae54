/* Records: the stream of everything an instance does, in the shape of
 * Zeebe's exported records. Collected during a step and delivered to the
 * host's sink when the step is done. */
#include <string.h>

#include "internal.h"

struct baton_record *bt_rec_push(baton_instance *in, int value_type,
                                 int intent, uint64_t key)
{
    if (bt_grow(&in->engine->alloc, (void **)&in->engine->recs, &in->engine->cap_recs,
                in->engine->n_recs + 1, sizeof *in->engine->recs))
        return NULL;
    struct baton_record *r = &in->engine->recs[in->engine->n_recs++];
    memset(r, 0, sizeof *r);
    r->value_type = (uint8_t)value_type;
    r->intent = (uint8_t)intent;
    r->key = key;
    r->inst = in;
    r->retries = -1;
    return r;
}

int bt_rec_element(baton_instance *in, int intent, const bt_ei *ei)
{
    struct baton_record *r = bt_rec_push(in, BATON_VT_PROCESS_INSTANCE,
                                         intent, ei->key);
    if (!r)
        return BATON_ENOMEM;
    r->element = ei->element >= 0 ? &in->proc->elements[ei->element] : NULL;
    r->flow_scope_key = ei->scope_key;
    return 0;
}

const char *bt_scratch_strdup(baton_instance *in, const char *s)
{
    return s ? bt_arena_strdup(&in->engine->scratch, s) : NULL;
}

const char *const bt_incident_type_names[BT_INC_COUNT] = {
    [BT_INC_JOB_NO_RETRIES] = "JOB_NO_RETRIES",
    [BT_INC_UNHANDLED_ERROR] = "UNHANDLED_ERROR_EVENT",
    [BT_INC_CONDITION] = "CONDITION_ERROR",
    [BT_INC_EXTRACT_VALUE] = "EXTRACT_VALUE_ERROR",
    [BT_INC_IO_MAPPING] = "IO_MAPPING_ERROR",
};

static const char *const vt_names[] = {
    "PROCESS_INSTANCE", "JOB", "INCIDENT", "VARIABLE",
    "PROCESS_INSTANCE_CREATION", "COMPENSATION_SUBSCRIPTION", "ERROR",
};

static const char *const intent_names[] = {
    "ELEMENT_ACTIVATING", "ELEMENT_ACTIVATED", "ELEMENT_COMPLETING",
    "ELEMENT_COMPLETED",  "ELEMENT_TERMINATING", "ELEMENT_TERMINATED",
    "SEQUENCE_FLOW_TAKEN", "CREATED",           "COMPLETED",
    "FAILED",             "ERROR_THROWN",       "RETRIES_UPDATED",
    "RESOLVED",           "UPDATED",            "CANCELED",
    "TRIGGERED",
};

const char *baton_value_type_name(int vt)
{
    return vt >= 0 && (size_t)vt < sizeof vt_names / sizeof *vt_names
               ? vt_names[vt]
               : "UNKNOWN";
}

const char *baton_intent_name(int intent)
{
    return intent >= 0 &&
                   (size_t)intent < sizeof intent_names / sizeof *intent_names
               ? intent_names[intent]
               : "UNKNOWN";
}

int baton_record_value_type(const baton_record *r)
{
    return r ? r->value_type : -1;
}
int baton_record_intent(const baton_record *r) { return r ? r->intent : -1; }
uint64_t baton_record_key(const baton_record *r) { return r ? r->key : 0; }
uint64_t baton_record_position(const baton_record *r)
{
    return r ? r->position : 0;
}

const char *baton_record_element_id(const baton_record *r)
{
    if (!r)
        return "";
    if (r->flow)
        return r->flow->id;
    if (r->element)
        return r->element->id;
    if (r->value_type == BATON_VT_PROCESS_INSTANCE)
        return r->inst->proc->id;
    return "";
}

const char *baton_record_element_type(const baton_record *r)
{
    if (!r)
        return "";
    if (r->flow)
        return "SEQUENCE_FLOW";
    if (r->element)
        return bt_kind_zeebe_name(r->element);
    if (r->value_type == BATON_VT_PROCESS_INSTANCE)
        return "PROCESS";
    return "";
}

/* Keys are 64-bit; JSON numbers in jansson are int64, which holds every
 * key Baton makes (instance sequence < 2^31 in the high half). */
static int set_key(json_t *o, const char *k, uint64_t v)
{
    return json_object_set_new(o, k, json_integer((json_int_t)v));
}

static int set_str(json_t *o, const char *k, const char *v)
{
    return json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static json_t *record_value(const baton_record *r)
{
    const baton_instance *in = r->inst;
    json_t *v = json_object();
    if (!v)
        return NULL;
    int bad = set_str(v, "bpmnProcessId", in->proc->id) |
              json_object_set_new(v, "version", json_integer(in->version)) |
              set_key(v, "processInstanceKey", in->key);
    switch (r->value_type) {
    case BATON_VT_PROCESS_INSTANCE:
        bad |= set_str(v, "elementId", baton_record_element_id(r)) |
               set_str(v, "bpmnElementType", baton_record_element_type(r)) |
               set_key(v, "flowScopeKey", r->flow_scope_key ? r->flow_scope_key
                                                            : (uint64_t)-1);
        break;
    case BATON_VT_JOB:
        bad |= set_str(v, "type", r->job_type) |
               json_object_set_new(v, "retries", json_integer(r->retries)) |
               set_str(v, "errorCode", r->error_code ? r->error_code : "") |
               set_str(v, "errorMessage",
                       r->error_message ? r->error_message : "") |
               set_str(v, "elementId", baton_record_element_id(r)) |
               set_key(v, "elementInstanceKey", r->element_instance_key);
        break;
    case BATON_VT_VARIABLE:
        bad |= set_str(v, "name", r->var_name) |
               json_object_set(v, "value",
                               r->var_value ? r->var_value : json_null()) |
               set_key(v, "scopeKey", r->flow_scope_key);
        break;
    case BATON_VT_COMPENSATION_SUBSCRIPTION:
        bad |= set_str(v, "elementId", baton_record_element_id(r)) |
               set_str(v, "compensationHandlerId",
                       r->handler ? r->handler->id : NULL) |
               set_key(v, "flowScopeKey", r->flow_scope_key);
        break;
    case BATON_VT_INCIDENT:
        bad |= set_str(v, "errorType", r->incident_type) |
               set_str(v, "errorMessage",
                       r->error_message ? r->error_message : "") |
               set_str(v, "elementId", baton_record_element_id(r)) |
               set_key(v, "elementInstanceKey", r->element_instance_key) |
               set_key(v, "jobKey", r->job_key);
        break;
    default:
        break;
    }
    if (bad) {
        json_decref(v);
        return NULL;
    }
    return v;
}

int baton_record_to_json(const baton_record *r, char **out, size_t *len)
{
    if (!r || !out)
        return BATON_EINVAL;
    const bt_alloc *a = &r->inst->engine->alloc;
    json_t *o = json_object();
    json_t *v = record_value(r);
    int rc = BATON_ENOMEM;
    if (o && v &&
        !(set_key(o, "position", r->position) |
          set_str(o, "valueType", baton_value_type_name(r->value_type)) |
          set_str(o, "intent", baton_intent_name(r->intent)) |
          set_key(o, "key", r->key) |
          json_object_set(o, "value", v)))
        rc = bt_json_dump(a, o, out, len);
    json_decref(v);
    json_decref(o);
    return rc;
}
