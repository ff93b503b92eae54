/*
 * events.c - event shapes and answers of the Baton runtime for Lambda.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ev_kind_name(int kind)
{
    switch (kind) {
    case EV_DIRECT: return "direct";
    case EV_APIGW: return "apigw";
    case EV_MESSAGE: return "message";
    case EV_SCHEDULED: return "scheduled";
    default: return "bad";
    }
}

static const char *str_member(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

static int fail(ev_event *ev, int status, const char *fmt, const char *arg)
{
    ev->http_status = status;
    snprintf(ev->error, sizeof ev->error, fmt, arg ? arg : "");
    return -1;
}

/* The variables member: an object, or absent/null for none. */
static int take_vars(ev_event *ev, json_t *v, const char *what)
{
    if (!v || json_is_null(v)) {
        ev->vars = json_object();
        return ev->vars ? 0 : fail(ev, 500, "%sout of memory", "");
    }
    if (!json_is_object(v))
        return fail(ev, 400, "%s is not a JSON object", what);
    ev->vars = json_incref(v);
    return 0;
}

static int parse_apigw(ev_event *ev, const char *fixed_process)
{
    json_t *root = ev->root;
    ev->kind = EV_APIGW;
    /* $BATON_PROCESS first (a function bound to one process does not let
     * its callers start others), then ?process=, then {process} in the
     * path. */
    ev->process = fixed_process;
    if (!ev->process)
        ev->process = str_member(json_object_get(root, "queryStringParameters"),
                                 "process");
    if (!ev->process)
        ev->process = str_member(json_object_get(root, "pathParameters"),
                                 "process");
    if (!ev->process || !*ev->process)
        return fail(ev, 400, "%sno process: set BATON_PROCESS, or pass "
                    "?process=ID or a {process} path parameter", "");
    json_t *body = json_object_get(root, "body");
    if (json_is_true(json_object_get(root, "isBase64Encoded")))
        return fail(ev, 415, "%sa base64-encoded body is not supported; "
                    "send application/json", "");
    if (!body || json_is_null(body))
        return take_vars(ev, NULL, "the body");
    if (!json_is_string(body))
        return fail(ev, 400, "%sthe body is not a string", "");
    if (json_string_length(body) == 0)
        return take_vars(ev, NULL, "the body");
    json_error_t jerr;
    json_t *vars = json_loadb(json_string_value(body), json_string_length(body),
                              JSON_REJECT_DUPLICATES, &jerr);
    if (!vars)
        return fail(ev, 400, "the body is not JSON: %s", jerr.text);
    int rc = take_vars(ev, vars, "the body");
    json_decref(vars);
    return rc;
}

static int parse_message(ev_event *ev, json_t *m)
{
    ev->kind = EV_MESSAGE;
    if (!json_is_object(m))
        return fail(ev, 400, "%s\"message\" is not an object", "");
    ev->msg_name = str_member(m, "name");
    if (!ev->msg_name || !*ev->msg_name)
        return fail(ev, 400, "%sthe message has no \"name\"", "");
    json_t *ck = json_object_get(m, "correlationKey");
    if (ck && !json_is_null(ck) && !json_is_string(ck))
        return fail(ev, 400, "%s\"correlationKey\" is not a string", "");
    ev->msg_key = json_string_value(ck);
    json_t *id = json_object_get(m, "messageId");
    if (id && !json_is_null(id) && !json_is_string(id))
        return fail(ev, 400, "%s\"messageId\" is not a string", "");
    ev->msg_id = json_string_value(id);
    json_t *ttl = json_object_get(m, "ttl");
    if (ttl && !json_is_null(ttl)) {
        if (!json_is_integer(ttl) || json_integer_value(ttl) < 0)
            return fail(ev, 400, "%s\"ttl\" is not a count of milliseconds",
                        "");
        ev->msg_ttl_ms = json_integer_value(ttl);
    }
    return take_vars(ev, json_object_get(m, "variables"),
                     "the message's \"variables\"");
}

int ev_parse(const char *body, size_t len, const char *fixed_process,
             ev_event *ev)
{
    memset(ev, 0, sizeof *ev);
    json_error_t jerr;
    ev->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!ev->root)
        return fail(ev, 400, "the event is not JSON: %s", jerr.text);
    json_t *root = ev->root;
    if (!json_is_object(root))
        return fail(ev, 400, "%sthe event is not a JSON object", "");

    if (json_is_object(json_object_get(root, "requestContext")) &&
        (json_object_get(root, "httpMethod") ||
         json_object_get(root, "routeKey") || json_object_get(root, "body")))
        return parse_apigw(ev, fixed_process);

    json_t *m = json_object_get(root, "message");
    if (m)
        return parse_message(ev, m);

    const char *source = str_member(root, "source");
    const char *dtype = str_member(root, "detail-type");
    if ((source && strcmp(source, "aws.events") == 0) ||
        (dtype && strcmp(dtype, "Scheduled Event") == 0)) {
        ev->kind = EV_SCHEDULED;
        return 0;
    }

    json_t *p = json_object_get(root, "process");
    if (p) {
        ev->kind = EV_DIRECT;
        ev->process = json_string_value(p);
        if (!ev->process || !*ev->process)
            return fail(ev, 400, "%s\"process\" is not a process id", "");
        json_t *bk = json_object_get(root, "businessKey");
        if (bk && !json_is_null(bk) && !json_is_string(bk))
            return fail(ev, 400, "%s\"businessKey\" is not a string", "");
        ev->business_key = json_string_value(bk);
        return take_vars(ev, json_object_get(root, "variables"),
                         "\"variables\"");
    }
    return fail(ev, 400, "%sunknown event: expected {\"process\"}, "
                "{\"message\"}, an API Gateway proxy event or a scheduled "
                "event", "");
}

void ev_clear(ev_event *ev)
{
    json_decref(ev->vars);
    json_decref(ev->root);
    memset(ev, 0, sizeof *ev);
}

json_t *ev_instance_answer(const char *instance_json)
{
    json_t *inst = json_loads(instance_json, 0, NULL);
    if (!inst)
        return NULL;
    json_t *a = json_object();
    static const char *const keep[] = {"state", "key", "processId",
                                       "businessKey", "variables",
                                       "incidents", NULL};
    for (size_t i = 0; a && keep[i]; i++) {
        json_t *v = json_object_get(inst, keep[i]);
        if (v && json_object_set(a, keep[i], v) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    if (a && !json_object_get(a, "incidents"))
        json_object_set_new(a, "incidents", json_array());
    json_decref(inst);
    return a;
}

int ev_http_status(const char *state)
{
    if (!state)
        return 500;
    if (strcmp(state, "COMPLETED") == 0 || strcmp(state, "TERMINATED") == 0)
        return 200;
    if (strcmp(state, "WAITING") == 0 || strcmp(state, "ACTIVE") == 0)
        return 202;
    return 500; /* INCIDENT, FAILED */
}

json_t *ev_proxy_response(int status, const json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return NULL;
    json_t *r = json_pack("{s:i, s:{s:s}, s:s, s:b}", "statusCode", status,
                          "headers", "Content-Type", "application/json",
                          "body", text, "isBase64Encoded", 0);
    free(text);
    return r;
}

json_t *ev_proxy_error(int status, const char *message)
{
    json_t *b = json_pack("{s:s}", "error", message);
    if (!b)
        return NULL;
    json_t *r = ev_proxy_response(status, b);
    json_decref(b);
    return r;
}
