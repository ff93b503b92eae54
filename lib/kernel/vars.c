/* Variable scopes: lookup through the scope chain, Zeebe's propagation,
 * and an undo log so a failed step leaves every scope as it was. */
#include <string.h>

#include "kernel/instance.h"
#include "util/json.h"

/* The nearest scope from `scope` upward that defines `name`, with the
 * value there; NULL when no scope does. */
static const bt_ei *holder(const bt_ei *scope, const char *name, size_t len,
                           json_t **value)
{
    for (; scope; scope = bt_ei_var_parent(scope))
        if (scope->vars && (*value = json_object_getn(scope->vars, name, len)))
            return scope;
    *value = NULL;
    return NULL;
}

json_t *bt_var_lookup(const bt_ei *scope, const char *name, size_t len)
{
    json_t *v;
    holder(scope, name, len, &v);
    return v;
}

json_t *bt_eval_lookup(void *ctx, const char *name, size_t len)
{
    const bt_eval_ctx *c = ctx;
    if (c->overlay) {
        json_t *v = json_object_getn(c->overlay, name, len);
        if (v)
            return v;
    }
    return bt_var_lookup(c->scope, name, len);
}

/* JUEL calls go to the host's call hook as JSON text. */
static int host_call(void *ud, const char *target, const char *method,
                     json_t *args, json_t **out, char *why, size_t whylen)
{
    baton_engine *en = ud;
    char *text;
    size_t len;
    if (bt_json_dump(&en->alloc, args, &text, &len))
        return BATON_ENOMEM;
    baton_call c = { target, method, text, len, NULL, &en->alloc };
    int rc = en->call(en->call_ud, &c, why, whylen);
    baton_free(text);
    if (rc || !c.result) {
        json_decref(c.result);
        return rc ? rc : -1;
    }
    *out = c.result;
    return 0;
}

int bt_eval(baton_instance *in, bt_eval_ctx *ctx, const bt_expr *e,
            json_t **out)
{
    baton_engine *en = in->engine;
    bt_expr_env env = { &en->alloc, bt_eval_lookup, ctx, 0,
                        en->call ? host_call : NULL, en,
                        ctx->why, sizeof ctx->why };
    /* Without a clock hook now() is null, not an error of the call. */
    if (bt_expr_uses_clock(e) && en->clock && bt_now(en, &env.now_ms))
        return BATON_ESTATE;
    if (bt_expr_uses_clock(e) && !en->clock)
        env.now_ms = INT64_MIN;
    return bt_expr_eval(e, &env, out);
}

static bt_undo *log_items(bt_varlog *log)
{
    return log->items ? log->items : log->local;
}

static int log_push(baton_instance *in, bt_varlog *log, json_t *obj,
                    const char *name, bt_undo **out)
{
    const bt_alloc *a = &in->engine->alloc;
    const size_t nlocal = sizeof log->local / sizeof *log->local;
    if (log->n == nlocal && !log->items) {
        size_t cap = nlocal;
        if (bt_grow(a, (void **)&log->items, &cap, nlocal * 2,
                    sizeof *log->items))
            return BATON_ENOMEM;
        memcpy(log->items, log->local, sizeof log->local);
        log->cap = cap;
    } else if (log->items && bt_grow(a, (void **)&log->items, &log->cap,
                                     log->n + 1, sizeof *log->items)) {
        return BATON_ENOMEM;
    }
    const char *n = bt_scratch_strdup(in, name);
    if (!n)
        return BATON_ENOMEM;
    bt_undo *u = &log_items(log)[log->n++];
    u->obj = obj;
    u->name = n;
    u->old = NULL;
    u->index = 0;
    u->item = 0;
    *out = u;
    return 0;
}

static void log_pop(bt_varlog *log)
{
    bt_undo *u = &log_items(log)[--log->n];
    json_decref(u->old);
}

int bt_var_set_local(baton_instance *in, bt_varlog *log, bt_ei *ei,
                     const char *name, json_t *value)
{
    if (!ei->vars) {
        /* An empty object and no object mean the same to every reader and
         * to the snapshot, so creating one needs no undo entry. */
        ei->vars = json_object();
        if (!ei->vars)
            return BATON_ENOMEM;
    }
    bt_undo *u;
    if (log_push(in, log, ei->vars, name, &u))
        return BATON_ENOMEM;
    /* The name lives in the scratch arena until the step is delivered. */
    struct baton_record *r = bt_rec_push(in, BATON_VT_VARIABLE,
                                         BATON_INTENT_CREATED, 0);
    if (!r) {
        log_pop(log);
        return BATON_ENOMEM;
    }
    void *it = json_object_iter_at(ei->vars, name);
    if (it) {
        /* Replacing through the iterator never allocates. */
        u->old = json_incref(json_object_iter_value(it));
        json_object_iter_set(ei->vars, it, value);
        r->intent = BATON_INTENT_UPDATED;
    } else if (json_object_set(ei->vars, name, value)) {
        in->engine->n_recs--;
        log_pop(log);
        return BATON_ENOMEM;
    }
    r->key = ei->key;
    bt_rec_at(r, ei);
    r->flow_scope_key = ei->key;
    r->u.var.name = u->name;
    r->u.var.value = json_incref(value);
    return 0;
}

int bt_var_set_item(baton_instance *in, bt_varlog *log, bt_ei *ei,
                    const char *name, json_t *list, size_t index,
                    json_t *value)
{
    bt_undo *u;
    if (log_push(in, log, list, name, &u))
        return BATON_ENOMEM;
    struct baton_record *r = bt_rec_push(in, BATON_VT_VARIABLE,
                                         BATON_INTENT_UPDATED, ei->key);
    if (!r) {
        log_pop(log);
        return BATON_ENOMEM;
    }
    u->item = 1;
    u->index = index;
    u->old = json_incref(json_array_get(list, index));
    /* Replacing an item in range never allocates. */
    json_array_set(list, index, value);
    bt_rec_at(r, ei);
    r->flow_scope_key = ei->key;
    r->u.var.name = u->name;
    r->u.var.value = json_incref(list);
    return 0;
}

int bt_var_set_all_local(baton_instance *in, bt_varlog *log, bt_ei *scope,
                         json_t *doc)
{
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        int rc = bt_var_set_local(in, log, scope, k, v);
        if (rc)
            return rc;
    }
    return 0;
}

int bt_var_propagate(baton_instance *in, bt_varlog *log, bt_ei *scope,
                     json_t *doc)
{
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        json_t *old;
        bt_ei *at = (bt_ei *)holder(scope, k, strlen(k), &old);
        int rc = bt_var_set_local(in, log, at ? at : bt_ei_process(scope), k,
                                  v);
        if (rc)
            return rc;
    }
    return 0;
}

void bt_varlog_undo(bt_varlog *log)
{
    while (log->n) {
        bt_undo *u = &log_items(log)[log->n - 1];
        if (u->item) {
            json_array_set_new(u->obj, u->index, u->old);
            u->old = NULL;
        } else if (u->old) {
            void *it = json_object_iter_at(u->obj, u->name);
            json_object_iter_set_new(u->obj, it, u->old);
            u->old = NULL;
        } else {
            json_object_del(u->obj, u->name);
        }
        log_pop(log);
    }
}

void bt_varlog_clear(bt_varlog *log, const bt_alloc *a)
{
    while (log->n)
        log_pop(log);
    bt_free(a, log->items);
    log->items = NULL;
    log->cap = 0;
}

int bt_path_set(json_t *obj, const char *path, json_t *value)
{
    const char *dot = strchr(path, '.');
    if (!dot)
        return json_object_set(obj, path, value) ? BATON_ENOMEM : 0;
    size_t n = (size_t)(dot - path);
    json_t *cur = json_object_getn(obj, path, n);
    /* Copy the member we descend into: it may be shared with a scope. */
    json_t *child =
        json_is_object(cur) ? bt_json_object_copy(cur) : json_object();
    if (!child)
        return BATON_ENOMEM;
    int rc = bt_path_set(child, dot + 1, value);
    if (!rc && json_object_setn_new(obj, path, n, child))
        return BATON_ENOMEM;
    if (rc)
        json_decref(child);
    return rc;
}

json_t *bt_var_collect(const bt_ei *scope)
{
    json_t *all = json_object();
    if (!all)
        return NULL;
    for (; scope; scope = bt_ei_var_parent(scope)) {
        if (!scope->vars)
            continue;
        const char *k;
        json_t *v;
        json_object_foreach(scope->vars, k, v) {
            if (json_object_get(all, k))
                continue;
            if (json_object_set(all, k, v)) {
                json_decref(all);
                return NULL;
            }
        }
    }
    return all;
}
