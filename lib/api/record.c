/* Records as the host reads them: getters and Zeebe's JSON shape. */
#include <string.h>

#include "api/api.h"
#include "util/json.h"

static const char *const vt_names[] = {
    "PROCESS_INSTANCE", "JOB", "INCIDENT", "VARIABLE",
    "PROCESS_INSTANCE_CREATION", "COMPENSATION_SUBSCRIPTION", "UNKNOWN",
    "TIMER", "MESSAGE_SUBSCRIPTION", "PROCESS_MESSAGE_SUBSCRIPTION",
    "SIGNAL_SUBSCRIPTION", "SIGNAL", "ESCALATION",
    "CONDITIONAL_SUBSCRIPTION",
};

static const char *const intent_names[] = {
    "ELEMENT_ACTIVATING", "ELEMENT_ACTIVATED", "ELEMENT_COMPLETING",
    "ELEMENT_COMPLETED",  "ELEMENT_TERMINATING", "ELEMENT_TERMINATED",
    "SEQUENCE_FLOW_TAKEN", "CREATED",           "COMPLETED",
    "FAILED",             "ERROR_THROWN",       "RETRIES_UPDATED",
    "RESOLVED",           "UPDATED",            "CANCELED",
    "TRIGGERED",          "CORRELATED",         "DELETED",
    "BROADCASTED",        "ESCALATED",          "NOT_ESCALATED",
    "RECURRED_AFTER_BACKOFF", "MIGRATED",
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

static int is_flow(const baton_record *r)
{
    return r->value_type == BATON_VT_PROCESS_INSTANCE &&
           r->intent == BATON_INTENT_SEQUENCE_FLOW_TAKEN;
}

const char *baton_record_element_id(const baton_record *r)
{
    if (!r)
        return "";
    if (is_flow(r))
        return r->u.flow->id;
    if (r->element)
        return r->element->id;
    if (r->value_type == BATON_VT_PROCESS_INSTANCE)
        return r->proc->id;
    return "";
}

const char *bt_api_element_type(const bt_element *el, int mi_body)
{
    /* Zeebe has no standard loop, so no name for its body: this one
     * says what it is rather than pass it off as multi-instance. */
    if (mi_body)
        return mi_body == 2 ? "STANDARD_LOOP_BODY" : "MULTI_INSTANCE_BODY";
    return el ? bt_kind_zeebe_name(el) : "PROCESS";
}

const char *baton_record_element_type(const baton_record *r)
{
    if (!r)
        return "";
    if (is_flow(r))
        return "SEQUENCE_FLOW";
    if (r->mi_body || r->element ||
        r->value_type == BATON_VT_PROCESS_INSTANCE)
        return bt_api_element_type(r->element, r->mi_body);
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

/* The variables an event carries, as an object ({} for none). */
static int set_vars(json_t *o, json_t *vars)
{
    return json_object_set_new(o, "variables",
                               vars ? json_incref(vars) : json_object());
}

/* The value of the event records (timers, subscriptions, signals,
 * escalations), in the shape of Zeebe's. */
static int event_value(json_t *v, const baton_record *r)
{
    const char *id = baton_record_element_id(r);
    int bad = set_key(v, "elementInstanceKey", r->element_instance_key);
    switch (r->value_type) {
    case BATON_VT_TIMER: {
        bad |= set_str(v, "targetElementId", id) |
               json_object_set_new(v, "dueDate",
                                   json_integer(r->u.sub.due)) |
               json_object_set_new(v, "repetitions",
                                   json_integer(r->u.sub.repetitions));
        char when[32];
        bad |= set_str(v, "dueDateIso", bt_time_format(r->u.sub.due, when));
        break;
    }
    case BATON_VT_PROCESS_MESSAGE_SUBSCRIPTION:
        bad |= set_str(v, "elementId", id);
        /* fall through */
    case BATON_VT_MESSAGE_SUBSCRIPTION:
        bad |= set_str(v, "messageName", r->u.sub.name) |
               set_str(v, "correlationKey",
                       r->u.sub.corr ? r->u.sub.corr : "") |
               set_vars(v, r->u.sub.vars);
        break;
    case BATON_VT_SIGNAL_SUBSCRIPTION:
        bad |= set_str(v, "signalName", r->u.sub.name) |
               set_str(v, "catchEventId", id) |
               set_key(v, "catchEventInstanceKey", r->element_instance_key);
        break;
    case BATON_VT_SIGNAL:
        bad |= set_str(v, "signalName", r->u.sub.name) |
               set_str(v, "elementId", id) | set_vars(v, r->u.sub.vars);
        break;
    case BATON_VT_ESCALATION:
        bad |= set_str(v, "escalationCode", r->u.sub.name) |
               set_str(v, "throwElementId", id) |
               set_str(v, "catchElementId",
                       r->u.sub.other ? r->u.sub.other->id : "");
        break;
    default: /* BATON_VT_CONDITIONAL_SUBSCRIPTION */
        bad |= set_str(v, "elementId", id) |
               set_str(v, "condition",
                       r->element && r->element->event.condition
                           ? bt_expr_text(r->element->event.condition)
                           : "");
        break;
    }
    return bad;
}

static json_t *record_value(const baton_record *r)
{
    json_t *v = json_object();
    if (!v)
        return NULL;
    int bad = set_str(v, "bpmnProcessId", r->proc->id) |
              json_object_set_new(v, "version", json_integer(r->version)) |
              set_key(v, "processInstanceKey", r->pi_key);
    switch (r->value_type) {
    case BATON_VT_PROCESS_INSTANCE:
        /* The elements of a called process instance name its call
         * activity's and its parent (Zeebe's parentElementInstanceKey,
         * -1 for the others, whose records leave both out). */
        if (r->parent_ei_key)
            bad |= set_key(v, "parentProcessInstanceKey", r->parent_pi_key) |
                   set_key(v, "parentElementInstanceKey", r->parent_ei_key);
        bad |= set_str(v, "elementId", baton_record_element_id(r)) |
               set_str(v, "bpmnElementType", baton_record_element_type(r)) |
               set_key(v, "flowScopeKey", r->flow_scope_key ? r->flow_scope_key
                                                            : (uint64_t)-1);
        break;
    case BATON_VT_JOB:
        bad |= set_str(v, "type", r->u.job.type) |
               json_object_set_new(v, "retries",
                                   json_integer(r->u.job.retries)) |
               set_str(v, "errorCode",
                       r->u.job.error_code ? r->u.job.error_code : "") |
               set_str(v, "errorMessage", r->u.job.error_message
                                              ? r->u.job.error_message
                                              : "") |
               set_str(v, "elementId", baton_record_element_id(r)) |
               set_key(v, "elementInstanceKey", r->element_instance_key) |
               json_object_set_new(v, "retryBackoff",
                                   json_integer(r->u.job.retry_backoff));
        break;
    case BATON_VT_VARIABLE:
        bad |= set_str(v, "name", r->u.var.name) |
               json_object_set(v, "value", r->u.var.value ? r->u.var.value
                                                          : json_null()) |
               set_key(v, "scopeKey", r->flow_scope_key);
        break;
    case BATON_VT_COMPENSATION_SUBSCRIPTION:
        bad |= set_str(v, "elementId", baton_record_element_id(r)) |
               set_str(v, "compensationHandlerId",
                       r->u.handler ? r->u.handler->id : NULL) |
               set_key(v, "flowScopeKey", r->flow_scope_key);
        break;
    case BATON_VT_INCIDENT:
        bad |= set_str(v, "errorType", r->u.incident.type) |
               set_str(v, "errorMessage", r->u.incident.message
                                              ? r->u.incident.message
                                              : "") |
               set_str(v, "elementId", baton_record_element_id(r)) |
               set_key(v, "elementInstanceKey", r->element_instance_key) |
               set_key(v, "jobKey", r->u.incident.job_key);
        break;
    default:
        if (r->value_type >= BATON_VT_TIMER)
            bad |= event_value(v, r);
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
    if (!r)
        return BATON_EINVAL;
    baton_engine *e = r->inst->engine;
    bt_clear_error(e);
    if (!out)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_record_to_json needs an output");
    const bt_alloc *a = &e->alloc;
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
    return rc ? bt_error(e, rc, NULL, 0, 0, NULL, "out of memory") : 0;
}
