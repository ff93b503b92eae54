/*
 * runtime_api.h - a client of the AWS Lambda Runtime API (2018-06-01) on
 * libcurl: the next invocation, its response or error, and init errors.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#ifndef BATON_RT_RUNTIME_API_H
#define BATON_RT_RUNTIME_API_H

#include <stddef.h>
#include <stdint.h>

typedef struct rt_client rt_client;

/** One invocation, as /next hands it over. */
typedef struct rt_invocation {
    char *request_id;   /**< Lambda-Runtime-Aws-Request-Id */
    char *trace_id;     /**< Lambda-Runtime-Trace-Id, or NULL */
    int64_t deadline_ms; /**< Lambda-Runtime-Deadline-Ms, 0 when absent */
    char *body;         /**< the event, NUL-terminated */
    size_t len;
} rt_invocation;

/** `api` is host:port ($AWS_LAMBDA_RUNTIME_API). NULL when out of memory
 *  or when libcurl cannot start. */
rt_client *rt_client_new(const char *api);
void rt_client_free(rt_client *rt);

/** GET /runtime/invocation/next with no read timeout. Returns the HTTP
 *  status (200 when `*out` was filled), or -1 when the request failed
 *  (connection refused or cut; `err` receives why). */
int rt_next(rt_client *rt, rt_invocation *out, char *err, size_t errlen);
void rt_invocation_clear(rt_invocation *inv);

/** POST /runtime/invocation/ID/response. Returns the HTTP status or -1. */
int rt_post_response(rt_client *rt, const char *request_id,
                     const char *body, size_t len, char *err, size_t errlen);

/** POST /runtime/invocation/ID/error, or /runtime/init/error when
 *  `request_id` is NULL, with {"errorMessage", "errorType"} and the
 *  header Lambda-Runtime-Function-Error-Type: `type`. Returns the HTTP
 *  status or -1. */
int rt_post_error(rt_client *rt, const char *request_id, const char *type,
                  const char *message, char *err, size_t errlen);

#endif
