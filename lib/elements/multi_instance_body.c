/* The multi-instance body (BPMN 2.0.2 §10.2.8), as Zeebe runs it: an
 * element instance of the activity that holds the inner instances, each
 * of which runs the activity once. The body evaluates the input
 * collection (or the cardinality) once when it activates, and starts
 * every inner instance at once (parallel) or one after the other
 * (isSequential), each as the previous completes. An inner instance's
 * output element goes to its place in the output collection, a local
 * variable of the body that reaches the enclosing scope when the body
 * completes. The completion condition, evaluated as each inner instance
 * completes, ends the remaining ones and completes the body. The body
 * opens the activity's boundary events and leaves by its flows; the
 * inner instances apply its mappings. */
#include <math.h>
#include <string.h>

#include "elements/processor.h"

static const bt_loop_def *loop_of(const bt_ei *ei)
{
    return bt_ei_el(ei)->loop;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "a context";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* How many inner instances: the size of the input collection (a list,
 * returned in `*items`) or the cardinality (a whole number). Anything
 * else is an EXTRACT_VALUE_ERROR incident, as Zeebe raises for an input
 * collection that is not a list, whose retry evaluates it again. */
static int count_of(bt_ctx *cx, bt_ei *body, size_t *n, json_t **items)
{
    const bt_loop_def *d = loop_of(body);
    const bt_expr *x = d->input_collection ? d->input_collection
                                           : d->cardinality;
    bt_eval_ctx ctx = { body, NULL, "" };
    json_t *v;
    if (bt_eval(cx->in, &ctx, x, &v))
        return BATON_ENOMEM;
    double c = json_is_number(v) ? json_number_value(v) : -1;
    int ok = d->input_collection
                 ? json_is_array(v) && json_array_size(v) <= BT_MI_MAX
                 : c >= 0 && c <= BT_MI_MAX && floor(c) == c;
    if (ok) {
        *n = d->input_collection ? json_array_size(v) : (size_t)c;
        if (d->input_collection)
            *items = v;
        else
            json_decref(v);
        return 0;
    }
    const char *got = json_is_array(v) ? "a list too long" : type_name(v);
    json_decref(v);
    bt_cmd retry = { BT_CMD_SUBSCRIBE, body->element, body->key,
                     body->triggered };
    return bt_fail(cx->in, &cx->fail, BT_INC_EXTRACT_VALUE, body, 0, &retry,
                   d->input_collection
                       ? "expected the input collection '%s' to be a list "
                         "of at most %u items, but it was %s" BT_WHY_FMT
                       : "expected the loop cardinality '%s' to be a whole "
                         "number from 0 to %u, but it was %s" BT_WHY_FMT,
                   bt_expr_text(x), BT_MI_MAX, got, BT_WHY(&ctx));
}

/* The loop condition of a standard loop, seen from `scope` with
 * loopCounter the number of iterations run so far (BPMN 2.0.2 §10.2.8:
 * "counts the number of loops"): 1 when it holds, 0 when not, -1 after
 * `*fail` (with `retry`) when it gives no boolean. */
static int loop_holds(bt_ctx *cx, const bt_ei *scope, uint32_t runs,
                      const bt_cmd *retry, int *rc)
{
    const bt_loop_def *d = bt_ei_el(scope)->loop;
    bt_eval_ctx ctx = { scope, json_object(), "" };
    json_t *v = NULL;
    *rc = !ctx.overlay ||
                  json_object_set_new(ctx.overlay, "loopCounter",
                                      json_integer(runs)) ||
                  bt_eval(cx->in, &ctx, d->loop_condition, &v)
              ? BATON_ENOMEM
              : 0;
    json_decref(ctx.overlay);
    if (*rc)
        return -1;
    int kind = json_typeof(v);
    json_decref(v);
    if (kind == JSON_TRUE || kind == JSON_FALSE)
        return kind == JSON_TRUE;
    *rc = bt_fail(cx->in, &cx->fail, BT_INC_CONDITION, scope, 0, retry,
                  "expected the loop condition '%s' to be a boolean, but "
                  "it was %s" BT_WHY_FMT,
                  bt_expr_text(d->loop_condition),
                  kind == JSON_NULL ? "null" : "not a boolean", BT_WHY(&ctx));
    return -1;
}

/* A standard loop's body: it runs its first iteration unless its
 * loopMaximum is 0 or, tested before, its condition does not hold. Its
 * total is the loopMaximum, else the most iterations a loop runs. */
static int loop_activated(bt_ctx *cx, bt_ei *body)
{
    const bt_loop_def *d = loop_of(body);
    /* Set before the condition can fail: a body waiting on an incident
     * has its total, and setting it again on the retry changes nothing. */
    body->mi_n = d->loop_maximum >= 0 ? (uint32_t)d->loop_maximum
                                      : BT_MI_MAX;
    body->mi_next = body->mi_done = body->mi_ended = 0;
    int run = d->loop_maximum != 0;
    if (run && d->test_before && d->loop_condition) {
        bt_cmd retry = { BT_CMD_SUBSCRIBE, body->element, body->key,
                         body->triggered };
        int rc;
        run = loop_holds(cx, body, 0, &retry, &rc);
        if (rc || run < 0)
            return rc;
    }
    if (bt_reserve(cx->in, 0, 0, 1, 0))
        return BATON_ENOMEM;
    if (run)
        bt_push_cmd(cx->in, BT_CMD_ACTIVATE, body->element, 0, body->key);
    else
        bt_push_cmd(cx->in, BT_CMD_COMPLETE, body->element, body->key, 0);
    return 0;
}

static int activated(bt_ctx *cx, bt_ei *body)
{
    baton_instance *in = cx->in;
    const bt_loop_def *d = loop_of(body);
    if (d->standard)
        return loop_activated(cx, body);
    size_t n = 0;
    json_t *items = NULL;
    int rc = count_of(cx, body, &n, &items);
    if (rc || cx->fail.type >= 0)
        return rc;
    if (d->output_collection) {
        json_t *list = json_array();
        for (size_t i = 0; list && i < n; i++)
            if (json_array_append_new(list, json_null()))
                json_decref(list), list = NULL;
        rc = list ? bt_var_set_local(in, cx->log, body, d->output_collection,
                                     list)
                  : BATON_ENOMEM;
        json_decref(list);
    }
    size_t start = n && !d->sequential ? n : 1;
    if (!rc && bt_reserve(in, 0, 0, start, 0))
        rc = BATON_ENOMEM;
    if (rc) {
        json_decref(items);
        return rc;
    }
    if (!n)
        bt_push_cmd(in, BT_CMD_COMPLETE, body->element, body->key, 0);
    for (size_t i = 0; n && i < start; i++)
        bt_push_cmd(in, BT_CMD_ACTIVATE, body->element, 0, body->key);
    body->mi_n = (uint32_t)n;
    body->mi_next = body->mi_done = body->mi_ended = 0;
    json_decref(body->mi_items);
    body->mi_items = items;
    return 0;
}

const bt_processor bt_proc_mi_body = {
    .activated = activated,
    .child_completed = bt_scope_complete_next,
};

int bt_mi_inner_vars(bt_ctx *cx, bt_ei *inner)
{
    baton_instance *in = cx->in;
    const bt_ei *body = inner->scope;
    const bt_loop_def *d = loop_of(body);
    uint32_t index = body->mi_next + 1;
    int rc = 0;
    if (d->input_element) {
        json_t *item = json_array_get(body->mi_items, index - 1);
        rc = bt_var_set_local(in, cx->log, inner, d->input_element,
                              item ? item : json_null());
    }
    /* loopCounter counts from 1 as in Zeebe, from 0 in Camunda 7
     * models as in Camunda 7. */
    json_t *counter = json_integer(index - (d->zero_based ? 1 : 0));
    if (!rc)
        rc = counter ? bt_var_set_local(in, cx->log, inner, "loopCounter",
                                        counter)
                     : BATON_ENOMEM;
    json_decref(counter);
    if (!rc && d->output_local && strcmp(d->output_local, "loopCounter") &&
        (!d->input_element || strcmp(d->output_local, d->input_element)))
        rc = bt_var_set_local(in, cx->log, inner, d->output_local,
                              json_null());
    if (!rc)
        inner->mi_index = index;
    return rc;
}

void bt_mi_inner_started(bt_ei *inner)
{
    inner->scope->mi_next = inner->mi_index;
}

/* The counts the completion condition sees, Zeebe's names and Camunda
 * 7's, with `inner` counted as completed. */
static json_t *counts(const bt_ei *body, const bt_ei *inner)
{
    uint32_t active = 0;
    for (const bt_ei *c = body->first; c; c = c->next)
        active += c != inner && c->state != BT_EI_TERMINATED;
    json_t *o = json_object();
    const struct {
        const char *name;
        uint32_t v;
    } k[] = {
        { "numberOfInstances", body->mi_n },
        { "numberOfActiveInstances", active },
        { "numberOfCompletedInstances", body->mi_done + 1 },
        { "numberOfTerminatedInstances", body->mi_ended },
        { "nrOfInstances", body->mi_n },
        { "nrOfActiveInstances", active },
        { "nrOfCompletedInstances", body->mi_done + 1 },
    };
    for (size_t i = 0; o && i < sizeof k / sizeof *k; i++)
        if (json_object_set_new(o, k[i].name, json_integer(k[i].v)))
            json_decref(o), o = NULL;
    return o;
}

void bt_mi_out_clear(bt_mi_out *o)
{
    json_decref(o->item);
    o->item = NULL;
}

/* After iteration `inner` of a standard loop: whether the loop ends
 * (`o->met`), at its loopMaximum, or when its condition does not hold.
 * Without a loopMaximum, a condition that still holds after BT_MI_MAX
 * iterations is an incident, as a collection too long is. */
static int loop_completing(bt_ctx *cx, bt_ei *inner, bt_mi_out *o)
{
    const bt_ei *body = inner->scope;
    const bt_loop_def *d = loop_of(body);
    uint32_t runs = inner->mi_index;
    o->met = 1;
    if (runs >= body->mi_n && d->loop_maximum >= 0)
        return 0;
    o->met = 0;
    if (!d->loop_condition)
        return 0;
    bt_cmd retry = { BT_CMD_COMPLETE, inner->element, inner->key, 0 };
    int rc, holds = loop_holds(cx, inner, runs, &retry, &rc);
    if (rc || holds < 0)
        return rc;
    o->met = !holds;
    if (holds && runs >= body->mi_n)
        return bt_fail(cx->in, &cx->fail, BT_INC_CONDITION, inner, 0,
                       &retry,
                       "the loop condition '%s' still held after %u "
                       "iterations, the most a loop runs",
                       bt_expr_text(d->loop_condition), BT_MI_MAX);
    return 0;
}

int bt_mi_inner_completing(bt_ctx *cx, bt_ei *inner, bt_mi_out *o)
{
    const bt_ei *body = inner->scope;
    const bt_loop_def *d = loop_of(body);
    if (d->standard)
        return loop_completing(cx, inner, o);
    bt_eval_ctx ctx = { inner, NULL, "" };
    if (d->output_collection &&
        (d->output_element
             ? bt_eval(cx->in, &ctx, d->output_element, &o->item)
             : !(o->item = json_null())))
        return BATON_ENOMEM;
    o->met = 0;
    if (!d->completion)
        return 0;
    if (!(ctx.overlay = counts(body, inner)))
        return BATON_ENOMEM;
    json_t *v;
    int rc = bt_eval(cx->in, &ctx, d->completion, &v);
    json_decref(ctx.overlay);
    if (rc)
        return rc;
    int kind = json_typeof(v);
    json_decref(v);
    o->met = kind == JSON_TRUE;
    if (kind == JSON_TRUE || kind == JSON_FALSE)
        return 0;
    bt_cmd retry = { BT_CMD_COMPLETE, inner->element, inner->key, 0 };
    return bt_fail(cx->in, &cx->fail, BT_INC_CONDITION, inner, 0, &retry,
                   "expected the completion condition '%s' to be a "
                   "boolean, but it was %s" BT_WHY_FMT,
                   bt_expr_text(d->completion),
                   kind == JSON_NULL ? "null" : "not a boolean", BT_WHY(&ctx));
}

int bt_mi_inner_collect(bt_ctx *cx, bt_ei *inner, const bt_mi_out *o)
{
    bt_ei *body = inner->scope;
    const bt_loop_def *d = loop_of(body);
    if (!d->output_collection)
        return 0;
    json_t *old = body->vars ? json_object_get(body->vars,
                                               d->output_collection)
                             : NULL;
    /* The list as the body started it, held by nothing else (records of
     * earlier steps were delivered): its item changes in place, so that
     * filling it costs what it holds, not that squared. */
    if (json_is_array(old) && old->refcount == 1 && inner->mi_index >= 1 &&
        inner->mi_index <= json_array_size(old))
        return bt_var_set_item(cx->in, cx->log, body, d->output_collection,
                               old, inner->mi_index - 1, o->item);
    /* Else a copy: the list may be shared with values handed out before. */
    json_t *list = json_is_array(old) ? json_copy(old) : json_array();
    if (!list)
        return BATON_ENOMEM;
    int rc = 0;
    while (!rc && json_array_size(list) < inner->mi_index)
        rc = json_array_append_new(list, json_null());
    if (!rc)
        rc = json_array_set(list, inner->mi_index - 1, o->item);
    rc = rc ? BATON_ENOMEM
            : bt_var_set_local(cx->in, cx->log, body, d->output_collection,
                               list);
    json_decref(list);
    return rc;
}

int bt_mi_inner_done(bt_ctx *cx, bt_ei *inner, const bt_mi_out *o)
{
    baton_instance *in = cx->in;
    bt_ei *body = inner->scope;
    uint32_t ended = 0;
    if (o->met) {
        /* The completion condition holds: the other inner instances
         * end, terminated, and the body completes (as Zeebe). */
        for (const bt_ei *c = body->first; c; c = c->next)
            ended += c != inner && c->state != BT_EI_TERMINATED;
        int rc = bt_terminate_inside(in, body, inner);
        if (rc)
            return rc;
        bt_sweep_inside(in, body, inner);
    }
    bt_ei_remove(in, inner);
    body->mi_done++;
    body->mi_ended += ended;
    if (o->met || !bt_scope_busy(body)) {
        if (o->met || body->mi_next >= body->mi_n)
            bt_scope_complete_next(cx, body);
        else
            bt_push_cmd(in, BT_CMD_ACTIVATE, body->element, 0, body->key);
    }
    return 0;
}

int bt_mi_body_outputs(bt_ctx *cx, bt_ei *body)
{
    const char *name = loop_of(body)->output_collection;
    json_t *v = name && body->vars ? json_object_get(body->vars, name) : NULL;
    if (!v)
        return 0;
    json_t *doc = json_object();
    int rc = !doc || json_object_set(doc, name, v)
                 ? BATON_ENOMEM
                 : bt_var_propagate(cx->in, cx->log, body->scope, doc);
    json_decref(doc);
    return rc;
}
