/*
 * lambda_int.h - internals of libbaton-lambda: the invoker's
 * configuration, the HTTP call (invoke.c), the payload template
 * (template.c) and the outcome rules (result.c).
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#ifndef BATON_LAMBDA_INT_H
#define BATON_LAMBDA_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "baton_lambda.h"

struct baton_lambda {
    char *region;
    char *endpoint; /* without a trailing '/' */
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    char *sigv4;         /* "aws:amz:REGION:lambda" */
    int64_t timeout_ms;
    int64_t retry_backoff_ms;
    /* libcurl encodes the path once more when it signs (8.15 on), as
     * SigV4 asks of every service but S3; older ones sign it as sent. */
    int signs_encoded_path;
    char *errmsg;
};

/* What one Invoke call returned. */
typedef struct lambda_response {
    long status;          /* 0: no HTTP answer (see `transport_error`) */
    char *body;           /* NUL-terminated; may be NULL when empty */
    size_t len;
    char *function_error; /* X-Amz-Function-Error, or NULL */
    char *transport_error;/* curl's message when status is 0 */
    int timed_out;
} lambda_response;

/* template.c: a growing NUL-terminated text. lambda_buf_put() appends
 * s[0..n); once memory runs out it sets `oom` and appends nothing more. */
typedef struct lambda_buf {
    char *p;
    size_t len, cap;
    int oom;
} lambda_buf;
void lambda_buf_put(lambda_buf *b, const char *s, size_t n);

/* invoke.c: NULL when `function` can be invoked, else why not: an ARN
 * or partial ARN goes percent-encoded in the path, which a libcurl that
 * signs the path as sent signs differently from AWS. */
const char *lambda_function_refused(const baton_lambda *lambda,
                                    const char *function);

/* invoke.c: POSTs `payload` to the function's Invoke route. Returns 0, or
 * -1 when memory ran out (the response is then cleared). */
int lambda_http_invoke(const baton_lambda *lambda, const char *function,
                       const char *payload, size_t len,
                       lambda_response *resp);
void lambda_response_clear(lambda_response *resp);

/* template.c: renders `tmpl` over `vars` (a JSON object; the names
 * variablesJson and variablesJsonEscaped are added). Returns a malloc'd
 * text, or NULL when memory ran out. */
char *lambda_template_render(const char *tmpl, json_t *vars);
/* The text escaped for the inside of a JSON string (no quotes added). */
char *lambda_json_escape(const char *text);
/* HTML escaping as mustache.java's HtmlEscaper. */
char *lambda_html_escape(const char *text);

/* result.c: the outcome of a response, by the rules of baton_lambda.h.
 * `function` names the function in messages; `result_name` (may be NULL:
 * the function name) and `error_code` (may be NULL) are the task headers.
 * Returns BATON_OK or BATON_ENOMEM. */
int lambda_outcome(const lambda_response *resp, const char *function,
                   const char *result_name, const char *error_code,
                   int64_t retry_backoff_ms, baton_lambda_outcome *out);
/* A FAIL outcome with a formatted message. */
int lambda_outcome_fail(baton_lambda_outcome *out, int64_t backoff_ms,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
