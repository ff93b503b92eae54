/* The live element instances of an instance with their local variables:
 * where its tokens are and what each scope holds, for a host that shows
 * an instance to an operator. */
#include "api/api.h"
#include "util/json.h"

static const char *const state_names[] = {
    [BT_EI_ACTIVATING] = "ACTIVATING",   [BT_EI_ACTIVATED] = "ACTIVATED",
    [BT_EI_COMPLETING] = "COMPLETING",   [BT_EI_COMPLETED] = "COMPLETED",
    [BT_EI_TERMINATING] = "TERMINATING", [BT_EI_TERMINATED] = "TERMINATED",
};

/* One element instance as a JSON object, or NULL when out of memory. Its
 * variables are shared with the instance (a reference, not a copy): the
 * caller only serialises it. json_object_set_new() takes its value even
 * when it fails (a NULL value fails it). */
static json_t *element_json(const bt_ei *ei)
{
    const bt_element *el = bt_ei_el(ei);
    int mi_body = bt_ei_is_body(ei) ? 1 + el->loop->standard : 0;
    json_int_t scope = ei->scope ? (json_int_t)ei->scope->key : -1;
    json_t *o = json_object();
    if (!o ||
        json_object_set_new(o, "key", json_integer((json_int_t)ei->key)) ||
        json_object_set_new(o, "elementId",
                            json_string(el ? el->id : ei->proc->id)) ||
        json_object_set_new(o, "elementType",
                            json_string(bt_api_element_type(el, mi_body))) ||
        json_object_set_new(o, "state",
                            json_string(state_names[ei->state])) ||
        json_object_set_new(o, "flowScopeKey", json_integer(scope)) ||
        json_object_set_new(o, "variables",
                            ei->vars ? json_incref(ei->vars)
                                     : json_object())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int baton_instance_elements(const baton_instance *in, char **out,
                            size_t *len)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_clear_error(e);
    if (!out)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_elements needs an output");
    *out = NULL;
    json_t *list = json_array();
    if (!list)
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    /* Creation order puts the process instance first. */
    for (const bt_ei *ei = in->oldest; ei; ei = ei->newer) {
        if (ei->state == BT_EI_COMPLETED || ei->state == BT_EI_TERMINATED)
            continue;
        if (json_array_append_new(list, element_json(ei))) {
            json_decref(list);
            return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                            "out of memory");
        }
    }
    int rc = bt_json_dump(&e->alloc, list, out, len);
    json_decref(list);
    return rc ? bt_error(e, rc, NULL, 0, 0, NULL, "out of memory") : 0;
}
