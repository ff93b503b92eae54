/* The engine: host hooks, limits, the handler registry, deployments and
 * the last error's getters. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "util/json.h"

static const int64_t default_limits[BT_LIMIT_COUNT] = {
    [BATON_LIMIT_DOCUMENT_BYTES] = 16 << 20,
    [BATON_LIMIT_XML_DEPTH] = 256,
    [BATON_LIMIT_XML_ELEMENTS] = 1000000,
    [BATON_LIMIT_JSON_BYTES] = 16 << 20,
    [BATON_LIMIT_JSON_DEPTH] = 64,
    [BATON_LIMIT_STEPS] = 100000,
    [BATON_LIMIT_CALL_DEPTH] = 100,
};

int baton_engine_new(baton_alloc_fn alloc, void *alloc_ud, baton_engine **out)
{
    if (!out)
        return BATON_EINVAL;
    *out = NULL;
    bt_alloc a = { alloc ? alloc : bt_default_alloc, alloc ? alloc_ud : NULL };
    baton_engine *e = bt_calloc(&a, 1, sizeof *e);
    if (!e)
        return BATON_ENOMEM;
    e->alloc = a;
    memcpy(e->limits, default_limits, sizeof e->limits);
    e->next_instance = 1;
    e->terminating = bt_element_terminating;
    bt_arena_init(&e->scratch, &a);
    *out = e;
    return 0;
}

void baton_engine_free(baton_engine *e)
{
    if (!e)
        return;
    bt_alloc a = e->alloc;
    for (size_t i = 0; i < e->n_handlers; i++)
        bt_free(&a, e->handlers[i].type);
    bt_free(&a, e->handlers);
    for (size_t i = 0; i < e->n_deps; i++)
        bt_model_unref(e->deps[i].model);
    bt_free(&a, e->deps);
    bt_records_drop(e);
    bt_outcome_clear(&a, &e->outcome);
    bt_free(&a, e->recs);
    bt_arena_free(&e->scratch);
    bt_free(&a, e);
}

void baton_engine_set_log(baton_engine *e, baton_log_fn fn, void *ud)
{
    if (e) {
        e->log = fn;
        e->log_ud = fn ? ud : NULL;
    }
}

void baton_engine_set_clock(baton_engine *e, baton_clock_fn fn, void *ud)
{
    if (e) {
        e->clock = fn;
        e->clock_ud = fn ? ud : NULL;
    }
}

void baton_engine_set_record_sink(baton_engine *e, baton_record_fn fn,
                                  void *ud)
{
    if (e) {
        e->record = fn;
        e->record_ud = fn ? ud : NULL;
    }
}

int baton_engine_set_next_instance(baton_engine *e, uint64_t ordinal)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (ordinal == 0 || ordinal >= (UINT64_C(1) << 31))
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "instance ordinal %llu is out of range 1..2^31-1",
                        (unsigned long long)ordinal);
    e->next_instance = ordinal;
    return BATON_OK;
}

void baton_engine_set_call_hook(baton_engine *e, baton_call_fn fn, void *ud)
{
    if (e) {
        e->call = fn;
        e->call_ud = fn ? ud : NULL;
    }
}

const char *baton_call_target(const baton_call *c)
{
    return c ? c->target : "";
}

const char *baton_call_method(const baton_call *c)
{
    return c ? c->method : NULL;
}

const char *baton_call_args(const baton_call *c, size_t *len)
{
    if (len)
        *len = c ? c->args_len : 0;
    return c ? c->args : "[]";
}

int baton_call_return(baton_call *c, const char *json, size_t len)
{
    if (!c || !json)
        return BATON_EINVAL;
    if (len == BATON_NUL)
        len = strlen(json);
    json_t *v;
    bt_json_error err;
    int rc = bt_json_load(c->alloc, json, len, BT_JSON_MAX_DEPTH, &v, &err);
    if (rc)
        return rc == BATON_ENOMEM ? rc : BATON_EPARSE;
    json_decref(c->result);
    c->result = v;
    return BATON_OK;
}

void baton_engine_set_resolver(baton_engine *e, baton_resolve_fn fn,
                               void *ud)
{
    if (e) {
        e->resolve = fn;
        e->resolve_ud = fn ? ud : NULL;
    }
}

void baton_engine_set_persist(baton_engine *e, baton_persist_fn fn, void *ud)
{
    if (e) {
        e->persist = fn;
        e->persist_ud = fn ? ud : NULL;
    }
}

int64_t baton_engine_set_limit(baton_engine *e, int which, int64_t value)
{
    if (!e)
        return -1;
    bt_clear_error(e);
    if (which < 0 || which >= BT_LIMIT_COUNT) {
        bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL, "no limit number %d",
                 which);
        return -1;
    }
    int64_t most = which == BATON_LIMIT_XML_DEPTH    ? 100000
                   : which == BATON_LIMIT_JSON_DEPTH ? BT_JSON_MAX_DEPTH
                                                     : INT64_MAX;
    if (value <= 0 || value > most) {
        bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                 "limit %d must be between 1 and %lld, not %lld", which,
                 (long long)most, (long long)value);
        return -1;
    }
    int64_t old = e->limits[which];
    e->limits[which] = value;
    return old;
}

/* ---- handlers ----------------------------------------------------- */

int baton_engine_register_handler(baton_engine *e, const char *type,
                                  baton_handler_fn fn, void *ud)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!type || !*type)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "a handler needs a non-empty job type");
    bt_handler *h = (bt_handler *)bt_engine_handler(e, type);
    if (h) {
        if (fn) {
            h->fn = fn;
            h->ud = ud;
        } else {
            size_t i = (size_t)(h - e->handlers);
            bt_free(&e->alloc, h->type);
            memmove(h, h + 1, (e->n_handlers - i - 1) * sizeof *h);
            e->n_handlers--;
        }
        return 0;
    }
    if (!fn)
        return 0;
    char *t = bt_strdup(&e->alloc, type);
    if (!t || bt_grow(&e->alloc, (void **)&e->handlers, &e->cap_handlers,
                      e->n_handlers + 1, sizeof *e->handlers)) {
        bt_free(&e->alloc, t);
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory registering handler '%s'", type);
    }
    e->handlers[e->n_handlers++] = (bt_handler){ t, fn, ud };
    return 0;
}

/* ---- deployments -------------------------------------------------- */

/* "the model has N executable processes (a, b): name one", the ids cut
 * short to fit the message. */
static int several_executable(baton_engine *e, const baton_model *m,
                              int count)
{
    char ids[300];
    size_t n = 0;
    ids[0] = '\0';
    for (uint32_t i = 0; i < m->n_processes && n < sizeof ids - 5; i++) {
        if (!m->processes[i].executable)
            continue;
        int w = snprintf(ids + n, sizeof ids - n, "%s%s", n ? ", " : "",
                         m->processes[i].id);
        n = w < 0 || (size_t)w >= sizeof ids - n ? sizeof ids : n + (size_t)w;
    }
    if (n >= sizeof ids)
        memcpy(ids + sizeof ids - 4, "...", 4);
    return bt_error(e, BATON_ESTATE, m->source_name, 0, 0, NULL,
                    "the model has %d executable processes (%s): name one",
                    count, ids);
}

int baton_engine_deploy(baton_engine *e, baton_model *m,
                        const char *process_id, int *version_out)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!m)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_engine_deploy needs a model");
    const bt_process *p = NULL;
    if (process_id) {
        for (uint32_t i = 0; i < m->n_processes; i++)
            if (strcmp(m->processes[i].id, process_id) == 0)
                p = &m->processes[i];
        if (!p)
            return bt_error(e, BATON_ENOTFOUND, m->source_name, 0, 0,
                            process_id, "no process '%s' in the model",
                            process_id);
        if (!p->executable)
            return bt_error(e, BATON_ESTATE, m->source_name, (int)p->line, 0,
                            process_id, "process '%s' is not executable",
                            process_id);
    } else {
        int count = 0;
        for (uint32_t i = 0; i < m->n_processes; i++)
            if (m->processes[i].executable) {
                p = &m->processes[i];
                count++;
            }
        if (count != 1)
            return count ? several_executable(e, m, count)
                         : bt_error(e, BATON_ESTATE, m->source_name, 0, 0,
                                    NULL,
                                    "the model has no executable process");
    }
    if (bt_grow(&e->alloc, (void **)&e->deps, &e->cap_deps, e->n_deps + 1,
                sizeof *e->deps))
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory deploying '%s'", p->id);
    const bt_deployment *prev = bt_engine_find_deployment(e, p->id, 0);
    int version = prev ? prev->version + 1 : 1;
    bt_model_ref(m);
    e->deps[e->n_deps++] = (bt_deployment){ m, p, version };
    if (version_out)
        *version_out = version;
    return 0;
}

/* ---- the last error ------------------------------------------------ */

const char *baton_engine_errmsg(const baton_engine *e)
{
    return e ? e->err_msg : "no engine";
}
int baton_engine_errcode(const baton_engine *e) { return e ? e->err_code : BATON_EINVAL; }
int baton_engine_errline(const baton_engine *e) { return e ? e->err_line : 0; }
int baton_engine_errcolumn(const baton_engine *e) { return e ? e->err_column : 0; }
const char *baton_engine_errelement(const baton_engine *e)
{
    return e ? e->err_element : "";
}
const char *baton_engine_errsource(const baton_engine *e)
{
    return e ? e->err_source : "";
}
