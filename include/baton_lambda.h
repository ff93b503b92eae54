/*
 * baton_lambda.h - AWS Lambda functions as service tasks: a job handler
 * that invokes a function through the Lambda Invoke API, with the contract
 * of zeebe-lambda-worker, for the durable host's workers and for the
 * engine's own handlers.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * Part of libbaton-lambda (pkg-config baton-lambda), on libcurl, which
 * signs requests with AWS Signature Version 4. docs/lambda.md describes
 * the contract; in short, per job:
 *
 *  - task header "functionName" (required): the function to invoke, a
 *    name or "name:qualifier" (a version or alias), or a partial or full
 *    ARN with libcurl 8.15 or later (older ones sign the encoded path
 *    differently from AWS: such a job fails, naming the cause);
 *  - task header "body" (optional): the payload, a template over the
 *    job's variables plus "variablesJson" (the variables as JSON) and
 *    "variablesJsonEscaped" (that text escaped for a JSON string): {{name}}
 *    is replaced HTML-escaped, {{{name}}} raw, a dotted name reads into
 *    objects, a missing name is empty; without "body" the payload is the
 *    variables as JSON;
 *  - task header "resultName" (optional, default: the function name): a
 *    result {"statusCode": N, "body": TEXT} sets <resultName> to the body
 *    parsed as JSON (the text itself when it is not JSON),
 *    <resultName>StatusCode to N and <resultName>JsonString to the body
 *    text; any other JSON result sets <resultName> to it;
 *  - task header "functionErrorCode" (optional): a function error (the
 *    response header X-Amz-Function-Error) throws this BPMN error; without
 *    it the job fails with the function's error message;
 *  - throttling (429) and server errors (5xx) fail the job with a backoff,
 *    other refusals (an unknown function, denied access) fail it at once.
 *
 * Each job is settled exactly once. Credentials and the region come from
 * the environment Lambda gives a runtime (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION) unless set in the
 * configuration; they never appear in messages, variables or logs.
 */
#ifndef BATON_LAMBDA_H
#define BATON_LAMBDA_H

#include "baton_host.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An invoker: configuration and credentials, shared read-only by every
 *  thread that runs its handler. */
typedef struct baton_lambda baton_lambda;

/** Configuration; zero-initialise and set what you need. NULL strings and
 *  zero numbers take the defaults. */
typedef struct baton_lambda_config {
    const char *region;            /**< default: $AWS_REGION */
    /** Base URL of the Invoke API, e.g. "http://127.0.0.1:3002" for a
     *  local stand-in; default: $BATON_LAMBDA_ENDPOINT, else
     *  "https://lambda.REGION.amazonaws.com". */
    const char *endpoint;
    const char *access_key_id;     /**< default: $AWS_ACCESS_KEY_ID */
    const char *secret_access_key; /**< default: $AWS_SECRET_ACCESS_KEY */
    const char *session_token;     /**< default: $AWS_SESSION_TOKEN */
    int64_t timeout_ms;        /**< per invocation; default 900000 */
    int64_t retry_backoff_ms;  /**< after throttling or a 5xx; default 1000 */
} baton_lambda_config;

/** Creates an invoker. Returns BATON_OK, BATON_EINVAL (no region, no
 *  credentials, a bad endpoint: `*out` then still carries the message,
 *  read it with baton_lambda_errmsg() and free it) or BATON_ENOMEM. */
BATON_API int baton_lambda_new(const baton_lambda_config *config,
                               baton_lambda **out);
BATON_API void baton_lambda_free(baton_lambda *lambda);
BATON_API const char *baton_lambda_errmsg(const baton_lambda *lambda);

/** How a job's invocation ended. */
enum baton_lambda_outcome_kind {
    BATON_LAMBDA_COMPLETE = 0, /**< complete the job with `variables` */
    BATON_LAMBDA_FAIL = 1,     /**< fail it: `message`, after `backoff_ms` */
    BATON_LAMBDA_ERROR = 2     /**< throw the BPMN error `error_code` */
};

typedef struct baton_lambda_outcome {
    int kind;
    char *variables;  /**< JSON object text (COMPLETE) */
    char *error_code; /**< ERROR */
    char *message;    /**< FAIL and ERROR; may be NULL */
    int64_t backoff_ms;
} baton_lambda_outcome;

/** Invokes the function a job names: `headers` and `variables` are the
 *  job's custom headers and variables as JSON object texts. Always fills
 *  `*out` (a failure to invoke is a FAIL outcome with its message);
 *  returns BATON_OK, or BATON_EINVAL / BATON_ENOMEM when `*out` could not
 *  be filled. Thread-safe. */
BATON_API int baton_lambda_invoke(baton_lambda *lambda, const char *headers,
                                  const char *variables,
                                  baton_lambda_outcome *out);
BATON_API void baton_lambda_outcome_clear(baton_lambda_outcome *outcome);

/** A handler for baton_host_register (`ud` is the baton_lambda): runs
 *  baton_lambda_invoke() and settles the job with its outcome (a FAIL
 *  with the job's retries less one). */
BATON_API void baton_lambda_host_handler(void *ud, baton_host_job *job);

/** A handler for baton_engine_register_handler (`ud` is the
 *  baton_lambda), for hosts of the engine alone; it invokes synchronously. */
BATON_API int baton_lambda_engine_handler(void *ud, baton_job *job);

#ifdef __cplusplus
}
#endif

#endif /* BATON_LAMBDA_H */
