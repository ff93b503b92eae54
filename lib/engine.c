/* The engine: host hooks, limits, handler registry, model loading and
 * deployments. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const int64_t default_limits[6] = {
    [BATON_LIMIT_DOCUMENT_BYTES] = 16 << 20,
    [BATON_LIMIT_XML_DEPTH] = 256,
    [BATON_LIMIT_XML_ELEMENTS] = 1000000,
    [BATON_LIMIT_JSON_BYTES] = 16 << 20,
    [BATON_LIMIT_JSON_DEPTH] = 64,
    [BATON_LIMIT_STEPS] = 100000,
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
    bt_drop_records(e);
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

void baton_engine_set_persist(baton_engine *e, baton_persist_fn fn, void *ud)
{
    if (e) {
        e->persist = fn;
        e->persist_ud = fn ? ud : NULL;
    }
}

int64_t baton_engine_set_limit(baton_engine *e, int which, int64_t value)
{
    if (!e || which < 0 || which > BATON_LIMIT_STEPS || value <= 0)
        return -1;
    if ((which == BATON_LIMIT_XML_DEPTH && value > 100000) ||
        (which == BATON_LIMIT_JSON_DEPTH && value > BT_JSON_MAX_DEPTH))
        return -1;
    int64_t old = e->limits[which];
    e->limits[which] = value;
    return old;
}

/* ---- handlers ----------------------------------------------------- */

const bt_handler *bt_engine_handler(const baton_engine *e, const char *type)
{
    for (size_t i = 0; i < e->n_handlers; i++)
        if (strcmp(e->handlers[i].type, type) == 0)
            return &e->handlers[i];
    return NULL;
}

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

/* ---- models ------------------------------------------------------- */

typedef struct first_problem {
    baton_engine *e;
    const char *source;
    int seen;
    baton_problem_fn fn;
    void *ud;
} first_problem;

static void on_problem(void *ud, const bt_problem *p)
{
    first_problem *fp = ud;
    if (fp->fn)
        fp->fn(fp->ud, p->code, fp->source, p->line, p->column,
               p->tag ? p->tag : "", p->id ? p->id : "", p->message);
    if (fp->seen++)
        return;
    if (p->tag && p->id)
        bt_error(fp->e, p->code, fp->source, p->line, p->column, p->id,
                 "%s '%s': %s", p->tag, p->id, p->message);
    else if (p->tag)
        bt_error(fp->e, p->code, fp->source, p->line, p->column, NULL,
                 "%s: %s", p->tag, p->message);
    else
        bt_error(fp->e, p->code, fp->source, p->line, p->column, p->id,
                 "%s", p->message);
}

static int load(baton_engine *e, const char *xml, size_t len,
                const char *source_name, baton_problem_fn fn, void *ud,
                baton_model **out)
{
    bt_load_limits lim = {
        (size_t)e->limits[BATON_LIMIT_DOCUMENT_BYTES],
        (int)e->limits[BATON_LIMIT_XML_DEPTH],
        (long)e->limits[BATON_LIMIT_XML_ELEMENTS],
    };
    first_problem fp = { e, source_name ? source_name : "", 0, fn, ud };
    if (len == BATON_NUL)
        len = strlen(xml);
    int rc = bt_parse_bpmn(&e->alloc, &lim, xml, len, source_name,
                           on_problem, &fp, out);
    if (rc && !fp.seen)
        bt_error(e, rc, fp.source, 0, 0, NULL, "%s", baton_strerror(rc));
    return rc;
}

int baton_model_load(baton_engine *e, const char *xml, size_t len,
                     const char *source_name, baton_model **out)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!out || !xml)
        return bt_error(e, BATON_EINVAL, source_name, 0, 0, NULL,
                        "baton_model_load needs a document and an output");
    *out = NULL;
    return load(e, xml, len, source_name, NULL, NULL, out);
}

int baton_model_check(baton_engine *e, const char *xml, size_t len,
                      const char *source_name, baton_problem_fn fn, void *ud)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!xml)
        return bt_error(e, BATON_EINVAL, source_name, 0, 0, NULL,
                        "baton_model_check needs a document");
    baton_model *m = NULL;
    int rc = load(e, xml, len, source_name, fn, ud, &m);
    bt_model_unref(m);
    return rc;
}

/* Reads a whole file through the engine's allocator, refusing more than
 * the document limit before reading it all. */
static int read_file(baton_engine *e, const char *path, char **data,
                     size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bt_error(e, BATON_EIO, path, 0, 0, NULL, "cannot open: %s",
                        strerror(errno));
    size_t cap = 0, n = 0;
    char *buf = NULL;
    size_t limit = (size_t)e->limits[BATON_LIMIT_DOCUMENT_BYTES];
    int rc = 0;
    for (;;) {
        if (bt_grow(&e->alloc, (void **)&buf, &cap, n + 65536, 1)) {
            rc = bt_error(e, BATON_ENOMEM, path, 0, 0, NULL,
                          "out of memory reading the file");
            break;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > limit) {
            rc = bt_error(e, BATON_ELIMIT, path, 0, 0, NULL,
                          "document exceeds the limit of %zu bytes", limit);
            break;
        }
        if (got == 0) {
            if (ferror(f))
                rc = bt_error(e, BATON_EIO, path, 0, 0, NULL,
                              "read error: %s", strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc) {
        bt_free(&e->alloc, buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return 0;
}

int baton_model_load_file(baton_engine *e, const char *path,
                          baton_model **out)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!out || !path)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_model_load_file needs a path and an output");
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(e, path, &data, &len);
    if (rc)
        return rc;
    rc = load(e, data ? data : "", len, path, NULL, NULL, out);
    bt_free(&e->alloc, data);
    return rc;
}

void baton_model_free(baton_model *m) { bt_model_unref(m); }

size_t baton_model_process_count(const baton_model *m)
{
    return m ? m->n_processes : 0;
}

const char *baton_model_process_id(const baton_model *m, size_t i)
{
    return m && i < m->n_processes ? m->processes[i].id : NULL;
}

int baton_model_process_executable(const baton_model *m, size_t i)
{
    return m && i < m->n_processes && m->processes[i].executable;
}

uint64_t baton_model_checksum(const baton_model *m)
{
    return m ? m->checksum : 0;
}

size_t baton_model_job_type_count(const baton_model *m, size_t process)
{
    return m && process < m->n_processes
               ? m->processes[process].n_job_types
               : 0;
}

const char *baton_model_job_type(const baton_model *m, size_t process,
                                 size_t index)
{
    return index < baton_model_job_type_count(m, process)
               ? m->processes[process].job_types[index]
               : NULL;
}

/* ---- deployments -------------------------------------------------- */

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
            return bt_error(e, BATON_ESTATE, m->source_name, 0, 0, NULL,
                            count ? "the model has %d executable processes: "
                                    "name one"
                                  : "the model has no executable process%.0d",
                            count);
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
