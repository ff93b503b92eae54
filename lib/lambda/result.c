/*
 * result.c - how an Invoke response settles the job (baton_lambda.h):
 *
 *  - 200 without X-Amz-Function-Error: COMPLETE. A result
 *    {"statusCode": N, "body": TEXT} sets <resultName> to TEXT parsed as
 *    JSON (TEXT itself when it is not JSON), <resultName>StatusCode to N
 *    and <resultName>JsonString to TEXT (a body that is not a string is
 *    taken as is, its JSON text for JsonString); any other JSON result
 *    sets <resultName> to it; a result that is not JSON sets <resultName>
 *    to its text as a JSON string, an empty one to null.
 *  - 200 with X-Amz-Function-Error (Handled or Unhandled): ERROR with the
 *    task's functionErrorCode when it has one, else FAIL at once; the
 *    message is the function's errorType and errorMessage.
 *  - 429 and 5xx: FAIL after retry_backoff_ms, naming the status.
 *  - any other status (404 unknown function, 403 denied...): FAIL at
 *    once, with the API's "Message"/"message" when the body has one.
 *  - no answer (connection refused, timeout): FAIL after retry_backoff_ms
 *    with curl's message.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda_int.h"

int lambda_outcome_fail(baton_lambda_outcome *out, int64_t backoff_ms,
                        const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memset(out, 0, sizeof *out);
    out->kind = BATON_LAMBDA_FAIL;
    out->backoff_ms = backoff_ms;
    out->message = strdup(msg);
    return out->message ? BATON_OK : BATON_ENOMEM;
}

static json_t *parse(const lambda_response *r)
{
    if (!r->body || !r->len)
        return NULL;
    return json_loadb(r->body, r->len, JSON_DECODE_ANY, NULL);
}

/* A field of an error body, or NULL. */
static const char *field(json_t *body, const char *a, const char *b)
{
    const char *s = json_string_value(json_object_get(body, a));
    return s ? s : json_string_value(json_object_get(body, b));
}

static int complete(const lambda_response *r, const char *name,
                    baton_lambda_outcome *out)
{
    json_t *result = parse(r);
    json_t *vars = json_object();
    if (!vars) {
        json_decref(result);
        return BATON_ENOMEM;
    }
    if (!result) {
        result = r->len ? json_stringn(r->body, r->len) : json_null();
        if (!result)
            goto nomem;
    }
    json_t *code = json_object_get(result, "statusCode");
    json_t *body = json_object_get(result, "body");
    size_t nlen = strlen(name);
    char *key = malloc(nlen + 16);
    if (!key)
        goto nomem;
    int bad = 0;
    if (json_is_integer(code) && body) {
        json_t *value = NULL, *text = NULL;
        if (json_is_string(body)) {
            text = json_incref(body);
            value = json_loads(json_string_value(body), JSON_DECODE_ANY,
                               NULL);
            if (!value)
                value = json_incref(body);
        } else {
            value = json_incref(body);
            char *t = json_dumps(body, JSON_ENCODE_ANY | JSON_COMPACT);
            text = t ? json_string(t) : NULL;
            free(t);
        }
        bad |= json_object_set_new(vars, name, value);
        sprintf(key, "%sStatusCode", name);
        bad |= json_object_set(vars, key, code);
        sprintf(key, "%sJsonString", name);
        bad |= json_object_set_new(vars, key, text);
    } else {
        bad |= json_object_set(vars, name, result);
    }
    free(key);
    json_decref(result);
    result = NULL;
    if (bad)
        goto nomem;
    memset(out, 0, sizeof *out);
    out->kind = BATON_LAMBDA_COMPLETE;
    out->variables = json_dumps(vars, JSON_COMPACT);
    json_decref(vars);
    return out->variables ? BATON_OK : BATON_ENOMEM;
nomem:
    json_decref(result);
    json_decref(vars);
    return BATON_ENOMEM;
}

static int function_error(const lambda_response *r, const char *function,
                          const char *error_code, baton_lambda_outcome *out)
{
    json_t *body = parse(r);
    const char *type = field(body, "errorType", "errorType");
    const char *msg = field(body, "errorMessage", "errorMessage");
    char text[1024];
    if (msg && type)
        snprintf(text, sizeof text, "%s: %s", type, msg);
    else if (msg || type)
        snprintf(text, sizeof text, "%s", msg ? msg : type);
    else
        snprintf(text, sizeof text, "%s function error",
                 r->function_error);
    json_decref(body);
    if (!error_code || !*error_code)
        return lambda_outcome_fail(out, 0, "function %s failed: %s",
                                   function, text);
    memset(out, 0, sizeof *out);
    out->kind = BATON_LAMBDA_ERROR;
    out->error_code = strdup(error_code);
    out->message = strdup(text);
    if (!out->error_code || !out->message) {
        baton_lambda_outcome_clear(out);
        return BATON_ENOMEM;
    }
    return BATON_OK;
}

static int refused(const lambda_response *r, const char *function,
                   int64_t backoff, baton_lambda_outcome *out)
{
    int retry = r->status == 429 || r->status >= 500;
    json_t *body = parse(r);
    const char *msg = field(body, "Message", "message");
    char text[512] = "";
    if (msg)
        snprintf(text, sizeof text, ": %s", msg);
    else if (r->len && !body)
        snprintf(text, sizeof text, ": %.200s", r->body);
    json_decref(body);
    return lambda_outcome_fail(
        out, retry ? backoff : 0, "invoking function %s: HTTP %ld%s%s",
        function, r->status,
        r->status == 429 ? " (throttled)" : "", text);
}

int lambda_outcome(const lambda_response *r, const char *function,
                   const char *result_name, const char *error_code,
                   int64_t backoff, baton_lambda_outcome *out)
{
    if (r->status == 0)
        return lambda_outcome_fail(out, backoff,
                                   "invoking function %s: %s", function,
                                   r->transport_error ? r->transport_error
                                                      : "no answer");
    if (r->status < 200 || r->status > 299)
        return refused(r, function, backoff, out);
    if (r->function_error)
        return function_error(r, function, error_code, out);
    return complete(r, result_name && *result_name ? result_name : function,
                    out);
}

void baton_lambda_outcome_clear(baton_lambda_outcome *o)
{
    if (!o)
        return;
    free(o->variables);
    free(o->error_code);
    free(o->message);
    memset(o, 0, sizeof *o);
}
