/* Where the BPMN core of the loader meets the dialects: it calls
 * bt_load_extensions for each flow node, bt_load_caught_error for each
 * catching error event definition, bt_load_subscription for each message
 * a catch event waits for, bt_load_condition for each sequence flow and
 * bt_load_formal_expr for each conditional event's condition, and these
 * ask the dialect readers (zeebe.c, camunda7.c) through
 * dialect.h. What every dialect shares is here: the refusal of extension
 * elements, arrays sized once, the default job, how a condition's text
 * picks its language, and the helpers the readers borrow. */
#include "loader/dialect.h"

#include <stdint.h>

#include "baton.h"

#define DEFAULT_RETRIES 3

/* In the order their job definitions win: a zeebe:taskDefinition over
 * Camunda 7's attributes. */
static const bt_dialect *const dialects[] = { &bt_dialect_zeebe,
                                              &bt_dialect_camunda7 };

#define N_DIALECTS (sizeof dialects / sizeof dialects[0])

static const bt_dialect *dialect_of(const xmlNode *c)
{
    for (size_t i = 0; i < N_DIALECTS; i++)
        if (bt_is_elem(c, dialects[i]->ns))
            return dialects[i];
    return NULL;
}

const xmlNode *bt_ext_next(const xmlNode *n, const xmlNode *c)
{
    const xmlNode *x = c ? c->parent : NULL;
    for (c = c ? c->next : NULL; !c; c = x->children) {
        for (x = x ? x->next : n->children;
             x && !bt_is_elem_named(x, BT_NS_BPMN, "extensionElements");
             x = x->next)
            ;
        if (!x)
            return NULL;
    }
    return c;
}

const xmlNode *bt_ext_last(const xmlNode *n, const char *ns,
                           const char *name)
{
    const xmlNode *last = NULL;
    for (const xmlNode *c = bt_ext_next(n, NULL); c; c = bt_ext_next(n, c))
        if (bt_is_elem_named(c, ns, name))
            last = c;
    return last;
}

bt_expr_site bt_ext_site(const bt_element *e)
{
    bt_expr_site s = { e->tag, e->id, (int)e->line };
    return s;
}

bt_expr *bt_ext_literal(bt_loader *ld, const bt_element *e, const char *text)
{
    bt_expr *x = NULL;
    int rc = bt_expr_literal_string(ld->ar, text, strlen(text), &x);
    if (rc == BATON_ENOMEM)
        ld->oom = 1;
    else if (rc)
        bt_load_problem(ld, BATON_EEXPR, (int)e->line, 0, e->tag, e->id,
                        "constant '%s' is not valid text", text);
    return x;
}

bt_expr *bt_ext_null(bt_loader *ld, const bt_element *e)
{
    bt_expr_site at = bt_ext_site(e);
    return bt_load_compile(ld, &at, "null", 4, BT_EXPR_FEEL);
}

void bt_ext_header(bt_loader *ld, bt_element *e, const xmlNode *g,
                   const char *what, const char *name_attr)
{
    const char *name = bt_load_attr(ld, g, NULL, name_attr);
    const char *value = bt_load_attr(ld, g, NULL, "value");
    if (!name || !*name) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(g), 0, e->tag, e->id,
                        "%s has no %s", what, name_attr);
        return;
    }
    bt_header *h = &e->job.headers[e->job.n_headers++];
    h->name = bt_load_dup(ld, name);
    h->value = bt_load_dup(ld, value ? value : "");
}

const char *bt_ext_digits(const char *p, long *v)
{
    for (*v = 0; *p >= '0' && *p <= '9' && *v <= INT32_MAX; p++)
        *v = *v * 10 + (*p - '0');
    return p;
}

/* A condition as Zeebe and Camunda 7 write them: "=..." is FEEL (Zeebe),
 * "${...}"/"#{...}" is JUEL (Camunda 7), anything else is FEEL as a
 * whole. */
bt_expr *bt_load_expr(bt_loader *ld, const bt_expr_site *at,
                      const char *text, size_t len)
{
    if (len && text[0] == '=')
        return bt_load_compile(ld, at, text + 1, len - 1, BT_EXPR_FEEL);
    if (len >= 2 && (text[0] == '$' || text[0] == '#') && text[1] == '{')
        return bt_load_compile(ld, at, text, len, BT_EXPR_JUEL);
    return bt_load_compile(ld, at, text, len, BT_EXPR_FEEL);
}

/* The languages a condition may declare: none (the dialect decides),
 * FEEL under any of its URIs, or JUEL. A script language would run code
 * Baton does not have. */
static int condition_language_ok(const char *lang, int *juel)
{
    *juel = 0;
    if (!lang || !*lang)
        return 1;
    if (strstr(lang, "FEEL") || strstr(lang, "feel"))
        return 1;
    if (strcmp(lang, "juel") == 0 || strcmp(lang, "JUEL") == 0) {
        *juel = 1;
        return 1;
    }
    return 0;
}

bt_expr *bt_load_formal_expr(bt_loader *ld, const bt_expr_site *at,
                             const xmlNode *c)
{
    int juel;
    const char *lang = bt_load_attr(ld, c, NULL, "language");
    if (!condition_language_ok(lang, &juel)) {
        bt_load_problem(ld, BATON_EUNSUPPORTED, at->line, 0, at->tag, at->id,
                        "conditions in language '%s' are not supported",
                        lang);
        return NULL;
    }
    size_t len;
    const char *text = bt_load_text(ld, c, &len);
    return juel ? bt_load_compile(ld, at, text, len, BT_EXPR_JUEL)
                : bt_load_expr(ld, at, text, len);
}

void bt_load_condition(bt_loader *ld, bt_flow *f, const xmlNode *fn)
{
    for (const xmlNode *c = fn->children; c; c = c->next) {
        if (!bt_is_elem_named(c, BT_NS_BPMN, "conditionExpression"))
            continue;
        bt_expr_site at = { "sequenceFlow", f->id, (int)f->line };
        f->condition = bt_load_formal_expr(ld, &at, c);
        return;
    }
}

void bt_load_caught_error(bt_loader *ld, bt_element *e, const xmlNode *d)
{
    for (size_t i = 0; i < N_DIALECTS; i++)
        if (dialects[i]->caught_error)
            dialects[i]->caught_error(ld, e, d);
}

void bt_load_subscription(bt_loader *ld, bt_element *e, const xmlNode *m)
{
    for (size_t i = 0; i < N_DIALECTS; i++)
        if (dialects[i]->subscription)
            dialects[i]->subscription(ld, e, m);
}

/* Refuses the extension elements the refusal table lists and counts what
 * the others declare. */
static void scan_extensions(bt_loader *ld, const bt_element *e,
                            const xmlNode *n, bt_ext_counts *k)
{
    for (const xmlNode *c = bt_ext_next(n, NULL); c; c = bt_ext_next(n, c)) {
        const bt_dialect *d = dialect_of(c);
        if (!d)
            continue;
        d->count(c, k);
        const char *msg = bt_load_refusal(BT_REFUSE_EXT, d->ns, bt_tag_of(c));
        if (msg)
            bt_load_problem(ld, BATON_EUNSUPPORTED, bt_load_line(c), 0,
                            e->tag, e->id, "%s", msg);
    }
}

/* Only jobs take headers. */
static int alloc_arrays(bt_loader *ld, bt_element *e, const bt_ext_counts *k)
{
    uint32_t headers = bt_el_has_job(e) ? k->headers : 0;
    if (headers)
        e->job.headers =
            bt_arena_alloc(ld->ar, headers * sizeof *e->job.headers);
    if (k->inputs)
        e->inputs = bt_arena_alloc(ld->ar, k->inputs * sizeof *e->inputs);
    if (k->outputs)
        e->outputs = bt_arena_alloc(ld->ar, k->outputs * sizeof *e->outputs);
    if ((headers && !e->job.headers) || (k->inputs && !e->inputs) ||
        (k->outputs && !e->outputs)) {
        ld->oom = 1;
        return -1;
    }
    return 0;
}

/* A job that no dialect names takes the element's id as its type. */
static void read_job(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    e->job.retries = DEFAULT_RETRIES;
    for (size_t i = 0; i < N_DIALECTS; i++)
        if (dialects[i]->job_defaults)
            dialects[i]->job_defaults(ld, e, n);
    for (size_t i = 0; i < N_DIALECTS; i++)
        if (dialects[i]->job(ld, e, n))
            break;
    if (!e->job.type && !e->job.type_expr)
        e->job.type = e->id;
}

void bt_load_extensions(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    bt_ext_counts k = { 0, 0, 0 };
    /* A script task's script decides whether it has a job at all; a
     * script the host runs comes first among the job's headers. */
    bt_header script[BT_SCRIPT_HEADERS];
    uint32_t n_script =
        e->kind == BT_SCRIPT_TASK ? bt_load_script(ld, e, n, script) : 0;
    scan_extensions(ld, e, n, &k);
    k.headers += n_script;
    if (alloc_arrays(ld, e, &k))
        return;
    if (n_script) {
        memcpy(e->job.headers, script, n_script * sizeof *script);
        e->job.n_headers = n_script;
    }
    if (bt_el_has_job(e))
        read_job(ld, e, n);
    for (const xmlNode *c = bt_ext_next(n, NULL); c; c = bt_ext_next(n, c)) {
        const bt_dialect *d = dialect_of(c);
        if (d)
            d->read(ld, e, c);
    }
}
