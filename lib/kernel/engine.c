/* The kernel's side of the engine: the last error, the log hook, handler
 * and deployment lookup, and JSON input under the engine's limits. */
#include <stdio.h>
#include <string.h>

#include "kernel/engine.h"
#include "util/json.h"

void bt_clear_error(baton_engine *e)
{
    e->err_code = 0;
    e->err_line = 0;
    e->err_column = 0;
    e->err_msg[0] = '\0';
    e->err_element[0] = '\0';
    e->err_source[0] = '\0';
}

void bt_call_begin(baton_engine *e)
{
    bt_clear_error(e);
    e->now_valid = 0;
}

int bt_now(baton_engine *e, int64_t *now)
{
    if (!e->now_valid) {
        if (!e->clock)
            return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                            "timers and backoffs need the time: set a "
                            "clock with baton_engine_set_clock()");
        e->now = e->clock(e->clock_ud);
        e->now_valid = 1;
    }
    *now = e->now;
    return 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int bt_error(baton_engine *e, int code, const char *source, int line,
             int column, const char *element, const char *fmt, ...)
{
    e->err_code = code;
    e->err_line = line;
    e->err_column = column;
    copy_str(e->err_source, sizeof e->err_source, source);
    copy_str(e->err_element, sizeof e->err_element, element);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err_msg, sizeof e->err_msg, fmt, ap);
    va_end(ap);
    return code;
}

void bt_log(baton_engine *e, int level, const char *fmt, ...)
{
    if (!e->log)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    e->log(e->log_ud, level, buf);
}

int bt_error_default(baton_engine *e, int code)
{
    if (!e->err_code)
        bt_error(e, code, NULL, 0, 0, NULL, "%s", baton_strerror(code));
    return code;
}

const bt_handler *bt_engine_handler(const baton_engine *e, const char *type)
{
    for (size_t i = 0; i < e->n_handlers; i++)
        if (strcmp(e->handlers[i].type, type) == 0)
            return &e->handlers[i];
    return NULL;
}

const bt_deployment *bt_engine_find_deployment(const baton_engine *e,
                                               const char *process_id,
                                               int version)
{
    const bt_deployment *best = NULL;
    for (size_t i = 0; i < e->n_deps; i++) {
        const bt_deployment *d = &e->deps[i];
        if (process_id && strcmp(d->process->id, process_id) != 0)
            continue;
        if (version > 0 ? d->version == version
                        : (!best || d->version > best->version))
            best = d;
    }
    return best;
}

int bt_json_parse(baton_engine *e, const char *text, size_t len,
                  int want_object, const char *what, json_t **out)
{
    *out = NULL;
    if (len == BATON_NUL)
        len = strlen(text);
    if ((int64_t)len > e->limits[BATON_LIMIT_JSON_BYTES])
        return bt_error(e, BATON_ELIMIT, NULL, 0, 0, NULL,
                        "%s: JSON text of %zu bytes exceeds the limit of %lld",
                        what, len,
                        (long long)e->limits[BATON_LIMIT_JSON_BYTES]);
    bt_json_error err;
    json_t *v;
    int rc = bt_json_load(&e->alloc, text, len,
                          (int)e->limits[BATON_LIMIT_JSON_DEPTH], &v, &err);
    if (rc == BATON_ENOMEM)
        return bt_error(e, rc, NULL, 0, 0, NULL, "%s: out of memory", what);
    if (rc == BATON_ELIMIT)
        return bt_error(e, rc, NULL, err.line, err.column, NULL,
                        "%s: JSON nesting exceeds the limit of %lld", what,
                        (long long)e->limits[BATON_LIMIT_JSON_DEPTH]);
    if (rc)
        return bt_error(e, rc, NULL, err.line, err.column, NULL,
                        "%s: invalid JSON at line %d, column %d: %s", what,
                        err.line, err.column, err.message);
    if (want_object && !json_is_object(v)) {
        json_decref(v);
        return bt_error(e, BATON_EPARSE, NULL, 1, 1, NULL,
                        "%s: expected a JSON object", what);
    }
    *out = v;
    return 0;
}

