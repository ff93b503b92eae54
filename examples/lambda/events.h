/*
 * events.h - the event shapes the Baton runtime for AWS Lambda accepts,
 * and the answers it gives.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#ifndef BATON_RT_EVENTS_H
#define BATON_RT_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum ev_kind {
    EV_BAD = 0,    /**< not an event this runtime knows */
    EV_DIRECT,     /**< {"process", "variables"?, "businessKey"?} */
    EV_APIGW,      /**< an API Gateway proxy event (REST or HTTP API) */
    EV_MESSAGE,    /**< {"message": {"name", "correlationKey", ...}} */
    EV_SCHEDULED   /**< an EventBridge scheduled event: run due work */
};

typedef struct ev_event {
    int kind;
    json_t *root;               /**< the parsed event (owned) */
    json_t *vars;               /**< variables object (owned), or NULL */
    const char *process;        /**< DIRECT, APIGW */
    const char *business_key;   /**< DIRECT (may be NULL) */
    const char *msg_name, *msg_key, *msg_id; /**< MESSAGE */
    int64_t msg_ttl_ms;
    int http_status;            /**< APIGW: the status of a refusal */
    char error[512];            /**< why EV_BAD, or why the event is refused */
} ev_event;

/** The name of a kind, for logs. */
const char *ev_kind_name(int kind);

/** Parses an event. `fixed_process` ($BATON_PROCESS, may be NULL) is the
 *  process of API Gateway events when set. Returns 0, or -1 with `error`
 *  set (and `kind` EV_APIGW when the refusal goes back as a proxy
 *  response with `http_status`). */
int ev_parse(const char *body, size_t len, const char *fixed_process,
             ev_event *out);
void ev_clear(ev_event *ev);

/** {"state", "key", "processId", "variables", "incidents"} from the
 *  instance JSON of baton_host_instance(); NULL when it does not parse. */
json_t *ev_instance_answer(const char *instance_json);

/** The HTTP status for an instance state in an API Gateway answer. */
int ev_http_status(const char *state);

/** An API Gateway proxy response around `body` (a JSON value). */
json_t *ev_proxy_response(int status, const json_t *body);

/** {"error": message} for refusals in a proxy response. */
json_t *ev_proxy_error(int status, const char *message);

#endif
