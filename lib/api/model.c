/* Models: loading and checking documents, and reading what a model
 * holds. */
#include <string.h>

#include "api/api.h"

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

int bt_api_load(baton_engine *e, const char *xml, size_t len,
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
    return bt_api_load(e, xml, len, source_name, NULL, NULL, out);
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
    int rc = bt_api_load(e, xml, len, source_name, fn, ud, &m);
    bt_model_unref(m);
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
    return m ? m->identity : 0;
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

size_t baton_model_element_count(const baton_model *m, size_t process)
{
    return m && process < m->n_processes
               ? m->processes[process].n_elements
               : 0;
}

const char *baton_model_element_id(const baton_model *m, size_t process,
                                   size_t index)
{
    return index < baton_model_element_count(m, process)
               ? m->processes[process].elements[index].id
               : NULL;
}

size_t baton_model_flow_count(const baton_model *m, size_t process)
{
    return m && process < m->n_processes ? m->processes[process].n_flows
                                         : 0;
}

const char *baton_model_flow_id(const baton_model *m, size_t process,
                                size_t index)
{
    return index < baton_model_flow_count(m, process)
               ? m->processes[process].flows[index].id
               : NULL;
}


/* ---- start events ------------------------------------------------- */

static const bt_element *start_at(const baton_model *m, size_t process,
                                  size_t index)
{
    if (!m || process >= m->n_processes ||
        index >= m->processes[process].n_starts)
        return NULL;
    const bt_process *p = &m->processes[process];
    return &p->elements[p->starts[index]];
}

size_t baton_model_start_count(const baton_model *m, size_t process)
{
    return m && process < m->n_processes ? m->processes[process].n_starts
                                         : 0;
}

const char *baton_model_start_id(const baton_model *m, size_t process,
                                 size_t index)
{
    const bt_element *e = start_at(m, process, index);
    return e ? e->id : NULL;
}

int baton_model_start_kind(const baton_model *m, size_t process,
                           size_t index)
{
    const bt_element *e = start_at(m, process, index);
    if (!e)
        return -1;
    if (e->kind == BT_RECEIVE_TASK)
        return BATON_START_MESSAGE;
    switch (e->evdef) {
    case BT_EVDEF_TIMER: return BATON_START_TIMER;
    case BT_EVDEF_MESSAGE: return BATON_START_MESSAGE;
    case BT_EVDEF_SIGNAL: return BATON_START_SIGNAL;
    default: return BATON_START_NONE;
    }
}

const char *baton_model_start_name(const baton_model *m, size_t process,
                                   size_t index)
{
    const bt_element *e = start_at(m, process, index);
    int kind = baton_model_start_kind(m, process, index);
    return e && (kind == BATON_START_MESSAGE || kind == BATON_START_SIGNAL)
               ? e->event.name
               : NULL;
}

int baton_model_start_next_due(const baton_model *m, size_t process,
                               size_t index, int64_t since, uint32_t fired,
                               int64_t *due)
{
    const bt_element *e = start_at(m, process, index);
    if (!e || e->evdef != BT_EVDEF_TIMER || !due)
        return BATON_EINVAL;
    /* An expression was worked out at load (a start event has no
     * variables): every timer start event has its definition. */
    const bt_timer_spec *spec = e->event.timer;
    if (!spec)
        return BATON_EINVAL;
    if (fired == 0) {
        if (bt_timer_first(spec, since, due))
            return 0;
        /* A cycle whose start is past: at once (as open timers do). */
        if (spec->type == BT_TIMER_CYCLE && *due < since)
            *due = since;
        return 1;
    }
    int rc = bt_timer_next(spec, since, fired, due);
    return rc == 1 ? 1 : 0;
}
