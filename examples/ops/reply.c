/* The replies the routes share: JSON bodies and errors. */
#include "ops.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TYPE "application/json; charset=utf-8"

/* Said when even the error's body cannot be made. */
static char no_memory[] = "{\"error\": \"out of memory\"}";

void ops_reply_error(struct ops_reply *r, unsigned status,
                     const char *message)
{
    json_t *o = json_pack("{s:s}", "error", message);
    char *text = o ? json_dumps(o, 0) : NULL;

    json_decref(o);
    r->type = JSON_TYPE;
    if (!text) {
        r->status = 500;
        r->body = no_memory;
        r->len = strlen(no_memory);
        r->release = NULL;
        return;
    }
    r->status = status;
    r->body = text;
    r->len = strlen(text);
    r->release = free;
}

void ops_reply_host_error(struct ops_reply *r, const baton_host *host,
                          int rc)
{
    const char *msg = host ? baton_host_errmsg(host) : "";
    unsigned status;

    switch (rc) {
    case BATON_EINVAL:
    case BATON_EPARSE:
    case BATON_EEXPR:
        status = 400;
        break;
    case BATON_ENOTFOUND:
        status = 404;
        break;
    case BATON_ESTATE:
    case BATON_HOST_ECONFLICT:
        status = 409;
        break;
    default:
        status = 500;
        break;
    }
    ops_reply_error(r, status, *msg ? msg : baton_host_strerror(rc));
}

static void host_free(void *p)
{
    baton_host_free(p);
}

void ops_reply_host_json(struct ops_reply *r, char *text)
{
    r->status = 200;
    r->type = JSON_TYPE;
    r->body = text;
    r->len = strlen(text);
    r->release = host_free;
}

void ops_reply_json(struct ops_reply *r, char *text)
{
    r->status = 200;
    r->type = JSON_TYPE;
    r->body = text;
    r->len = strlen(text);
    r->release = free;
}
