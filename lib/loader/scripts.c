/* Script tasks: what a scriptTask runs. Zeebe's zeebe:script (a FEEL
 * expression and the resultVariable its value goes to, Zeebe 8.2) and a
 * Camunda 7 script in JUEL (scriptFormat="juel", the script's text a
 * ${...} expression, camunda:resultVariable optional, as Camunda 7 runs
 * it through its JUEL script engine) are evaluated by the engine: the
 * task becomes an EVAL_SCRIPT_TASK, which has no job. A
 * zeebe:taskDefinition, or no script at all, leaves it a job for a
 * handler or the host, as Zeebe runs a script task with a job worker.
 * A script in any other language (JavaScript, Groovy), inline or from
 * camunda:resource, is code Baton does not run: it is a job too, whose
 * headers carry the script, its language and its result variable, so
 * that the handler that runs it has all the model says of it (as
 * zeebe-script-worker reads a script from its job's headers). */
#include "loader/dialect.h"

#include <ctype.h>

#include "baton.h"

static bt_script_def *new_script(bt_loader *ld, bt_element *e)
{
    bt_script_def *s = bt_arena_alloc(ld->ar, sizeof *s);
    if (!s) {
        ld->oom = 1;
        return NULL;
    }
    e->kind = BT_EVAL_SCRIPT_TASK;
    e->script = s;
    return s;
}

static void read_zeebe(bt_loader *ld, bt_element *e, const xmlNode *n,
                       const xmlNode *z)
{
    int line = bt_load_line(z);
    if (bt_ext_last(n, BT_NS_ZEEBE, "taskDefinition")) {
        bt_load_problem(ld, BATON_EMODEL, line, 0, e->tag, e->id,
                        "a script task has a zeebe:script or a "
                        "zeebe:taskDefinition, not both");
        return;
    }
    const char *expr = bt_load_attr(ld, z, NULL, "expression");
    const char *result = bt_load_attr(ld, z, NULL, "resultVariable");
    if (!expr || !*expr) {
        bt_load_problem(ld, BATON_EMODEL, line, 0, e->tag, e->id,
                        "zeebe:script has no expression");
        return;
    }
    /* As Zeebe: the script is an expression, never a static value. */
    if (expr[0] != '=') {
        bt_load_problem(ld, BATON_EMODEL, line, 0, e->tag, e->id,
                        "zeebe:script expression '%s' is not an expression "
                        "(an expression starts with '=')",
                        expr);
        return;
    }
    if (!result || !*result) {
        bt_load_problem(ld, BATON_EMODEL, line, 0, e->tag, e->id,
                        "zeebe:script has no resultVariable");
        return;
    }
    bt_script_def *s = new_script(ld, e);
    if (!s)
        return;
    bt_expr_site at = { e->tag, e->id, line };
    s->expr = bt_load_compile(ld, &at, expr + 1, strlen(expr) - 1,
                              BT_EXPR_FEEL);
    s->result_variable = bt_load_dup(ld, result);
}

static int is_juel(const char *format)
{
    static const char juel[] = "juel";
    for (size_t i = 0; i < sizeof juel; i++)
        if (tolower((unsigned char)format[i]) != juel[i])
            return 0;
    return 1;
}

/* The job's headers for a script the host runs: its language, its text
 * or resource, and where its result goes, as the host needs them. */
static uint32_t job_headers(bt_loader *ld, const char *format,
                            const char *text, const char *resource,
                            const char *result, bt_header *h)
{
    uint32_t n = 0;
    if (format && *format)
        h[n++] = (bt_header){ "scriptFormat", bt_load_dup(ld, format) };
    if (text)
        h[n++] = (bt_header){ "script", bt_load_dup(ld, text) };
    else
        h[n++] = (bt_header){ "resource", bt_load_dup(ld, resource) };
    if (result && *result)
        h[n++] = (bt_header){ "resultVariable", bt_load_dup(ld, result) };
    return n;
}

/* BPMN's own script (§10.3.3, "script" and "scriptFormat"), with
 * Camunda 7's resource and resultVariable. */
static uint32_t read_bpmn(bt_loader *ld, bt_element *e, const xmlNode *n,
                          bt_header *h)
{
    const xmlNode *c = n->children;
    while (c && !bt_is_elem_named(c, BT_NS_BPMN, "script"))
        c = c->next;
    size_t len = 0;
    const char *text = c ? bt_load_text(ld, c, &len) : NULL;
    const char *resource = bt_load_attr(ld, n, BT_NS_CAMUNDA, "resource");
    const char *format = bt_load_attr(ld, n, NULL, "scriptFormat");
    const char *result = bt_load_attr(ld, n, BT_NS_CAMUNDA, "resultVariable");
    if (!len && (!resource || !*resource))
        return 0; /* no script: a job, as any task with work of its own */
    if (!len || !format || !is_juel(format))
        return job_headers(ld, format, len ? text : NULL, resource, result,
                           h);
    bt_script_def *s = new_script(ld, e);
    if (!s)
        return 0;
    bt_expr_site at = { e->tag, e->id, bt_load_line(c) };
    s->expr = bt_load_compile(ld, &at, text, len, BT_EXPR_JUEL);
    s->result_variable = result && *result ? bt_load_dup(ld, result) : NULL;
    return 0;
}

uint32_t bt_load_script(bt_loader *ld, bt_element *e, const xmlNode *n,
                        bt_header *headers)
{
    const xmlNode *z = bt_ext_last(n, BT_NS_ZEEBE, "script");
    if (z) {
        read_zeebe(ld, e, n, z);
        return 0;
    }
    if (bt_ext_last(n, BT_NS_ZEEBE, "taskDefinition"))
        return 0;
    return read_bpmn(ld, e, n, headers);
}
