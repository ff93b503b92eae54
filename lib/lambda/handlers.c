/*
 * handlers.c - baton_lambda_invoke (a job's headers and variables to an
 * outcome) and the two job handlers that settle jobs with it: one for the
 * durable host's workers, one for the engine's own handlers.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "lambda_int.h"

static const char *header(json_t *headers, const char *name)
{
    const char *s = json_string_value(json_object_get(headers, name));
    return s && *s ? s : NULL;
}

int baton_lambda_invoke(baton_lambda *l, const char *headers_text,
                        const char *variables, baton_lambda_outcome *out)
{
    if (!out)
        return BATON_EINVAL;
    memset(out, 0, sizeof *out);
    if (!l || !l->sigv4)
        return lambda_outcome_fail(out, 0, "the Lambda invoker is not "
                                           "configured");
    json_t *headers = headers_text ? json_loads(headers_text, 0, NULL)
                                   : json_object();
    json_t *vars = variables ? json_loads(variables, 0, NULL) : json_object();
    int rc;
    const char *function = header(headers, "functionName");
    if (!json_is_object(headers) || !json_is_object(vars)) {
        rc = lambda_outcome_fail(out, 0, "the job's %s are not a JSON object",
                                 json_is_object(headers) ? "variables"
                                                         : "headers");
        goto done;
    }
    if (!function) {
        rc = lambda_outcome_fail(out, 0,
                                 "the task has no \"functionName\" header: "
                                 "it names the Lambda function to invoke");
        goto done;
    }
    const char *refused = lambda_function_refused(l, function);
    if (refused) {
        rc = lambda_outcome_fail(out, 0, "cannot invoke function %s: %s",
                                 function, refused);
        goto done;
    }
    const char *body = header(headers, "body");
    char *payload = body ? lambda_template_render(body, vars)
                         : json_dumps(vars, JSON_COMPACT);
    if (!payload) {
        rc = BATON_ENOMEM;
        goto done;
    }
    lambda_response resp;
    if (lambda_http_invoke(l, function, payload, strlen(payload), &resp)) {
        free(payload);
        rc = BATON_ENOMEM;
        goto done;
    }
    free(payload);
    rc = lambda_outcome(&resp, function, header(headers, "resultName"),
                        header(headers, "functionErrorCode"),
                        l->retry_backoff_ms, out);
    lambda_response_clear(&resp);
done:
    json_decref(headers);
    json_decref(vars);
    return rc;
}

void baton_lambda_host_handler(void *ud, baton_host_job *job)
{
    baton_lambda_outcome o;
    int rc = baton_lambda_invoke(ud, baton_host_job_headers(job),
                                 baton_host_job_variables(job), &o);
    int retries = baton_host_job_retries(job) - 1;
    if (retries < 0)
        retries = 0;
    if (rc != BATON_OK) {
        baton_host_job_fail(job, retries, 0,
                            "out of memory invoking the Lambda function");
        return;
    }
    switch (o.kind) {
    case BATON_LAMBDA_COMPLETE:
        baton_host_job_complete(job, o.variables, strlen(o.variables));
        break;
    case BATON_LAMBDA_ERROR:
        baton_host_job_throw_error(job, o.error_code, o.message, NULL, 0);
        break;
    default:
        baton_host_job_fail(job, retries, o.backoff_ms, o.message);
        break;
    }
    baton_lambda_outcome_clear(&o);
}

/* The job's custom headers as a JSON object text. */
static char *engine_headers(baton_job *job)
{
    json_t *h = json_object();
    if (!h)
        return NULL;
    size_t n = baton_job_header_count(job);
    for (size_t i = 0; i < n; i++) {
        const char *name = baton_job_header_name(job, i);
        const char *value = baton_job_header_value(job, i);
        if (name && value &&
            json_object_set_new(h, name, json_string(value))) {
            json_decref(h);
            return NULL;
        }
    }
    char *text = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    return text;
}

int baton_lambda_engine_handler(void *ud, baton_job *job)
{
    char *headers = engine_headers(job);
    char *vars = NULL;
    size_t len = 0;
    if (!headers || baton_job_variables(job, &vars, &len) != BATON_OK) {
        free(headers);
        return BATON_ENOMEM;
    }
    baton_lambda_outcome o;
    int rc = baton_lambda_invoke(ud, headers, vars, &o);
    free(headers);
    baton_free(vars);
    if (rc != BATON_OK)
        return rc;
    int retries = baton_job_retries(job) - 1;
    if (retries < 0)
        retries = 0;
    switch (o.kind) {
    case BATON_LAMBDA_COMPLETE:
        rc = baton_job_complete(job, o.variables, strlen(o.variables));
        break;
    case BATON_LAMBDA_ERROR:
        rc = baton_job_throw_error(job, o.error_code, o.message);
        break;
    default:
        rc = o.backoff_ms > 0
                 ? baton_job_fail_backoff(job, retries, o.backoff_ms,
                                          o.message)
                 : baton_job_fail(job, retries, o.message);
        if (rc != BATON_OK && rc != BATON_ENOMEM && o.backoff_ms > 0)
            rc = baton_job_fail(job, retries, o.message); /* no clock */
        break;
    }
    baton_lambda_outcome_clear(&o);
    return rc;
}
