/* The Zeebe (Camunda 8) dialect: what zeebe:taskDefinition,
 * zeebe:taskHeaders and zeebe:ioMapping say of a flow node, and
 * zeebe:subscription of a message, read for the core through dialect.h.
 * Zeebe writes expressions as "=<FEEL>" and anything else as a
 * constant. */
#include "loader/dialect.h"

#include <stdint.h>

#include "baton.h"

static void count_ext(const xmlNode *c, bt_ext_counts *k)
{
    int headers = bt_is_elem_named(c, BT_NS_ZEEBE, "taskHeaders");
    int io = bt_is_elem_named(c, BT_NS_ZEEBE, "ioMapping");
    for (const xmlNode *g = c->children; g; g = g->next) {
        if (headers && bt_is_elem_named(g, BT_NS_ZEEBE, "header"))
            k->headers++;
        else if (io && bt_is_elem_named(g, BT_NS_ZEEBE, "input"))
            k->inputs++;
        else if (io && bt_is_elem_named(g, BT_NS_ZEEBE, "output"))
            k->outputs++;
    }
}

static void read_retries(bt_loader *ld, bt_element *e, const xmlNode *c,
                         const char *retries)
{
    /* Zeebe Modeler writes retries="" for a field left empty. */
    if (!retries || !*retries)
        return;
    if (retries[0] == '=') {
        bt_expr_site at = { e->tag, e->id, bt_load_line(c) };
        e->job.retries_expr = bt_load_compile(ld, &at, retries + 1,
                                              strlen(retries) - 1,
                                              BT_EXPR_FEEL);
        return;
    }
    long v;
    const char *p = bt_ext_digits(retries, &v);
    if (p == retries || *p || v > INT32_MAX) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "retries '%s' is not a non-negative integer", retries);
        return;
    }
    e->job.retries = (int32_t)v;
}

/* zeebe:taskDefinition: a type, "=<FEEL>" when the job's type is worked
 * out per instance, and retries (also "=<FEEL>", worked out when the job
 * is created) that win over other dialects' ones. */
static int read_job(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    const xmlNode *c = bt_ext_last(n, BT_NS_ZEEBE, "taskDefinition");
    if (!c)
        return 0;
    const char *type = bt_load_attr(ld, c, NULL, "type");
    const char *retries = bt_load_attr(ld, c, NULL, "retries");
    if (!type || !*type) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "zeebe:taskDefinition has no type");
    } else if (type[0] == '=') {
        bt_expr_site at = bt_ext_site(e);
        e->job.type_expr =
            bt_load_compile(ld, &at, type + 1, strlen(type) - 1, BT_EXPR_FEEL);
        e->job.type = NULL;
    } else {
        e->job.type = bt_load_dup(ld, type);
    }
    read_retries(ld, e, c, retries);
    return 1;
}

static void read_mapping(bt_loader *ld, bt_element *e, const xmlNode *g,
                         bt_mapping *m)
{
    const char *source = bt_load_attr(ld, g, NULL, "source");
    const char *target = bt_load_attr(ld, g, NULL, "target");
    if (!target || !*target) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(g), 0, e->tag, e->id,
                        "zeebe:%s has no target", bt_tag_of(g));
        return;
    }
    bt_expr_site at = bt_ext_site(e);
    m->target = bt_load_dup(ld, target);
    if (!source) /* Zeebe maps a missing source to null */
        m->source = bt_ext_null(ld, e);
    else if (source[0] == '=')
        m->source = bt_load_compile(ld, &at, source + 1, strlen(source) - 1,
                                    BT_EXPR_FEEL);
    else
        m->source = bt_ext_literal(ld, e, source);
}

static void read_ext(bt_loader *ld, bt_element *e, const xmlNode *c)
{
    /* scripts.c reads a script task's; elsewhere it would be ignored. */
    if (bt_is_elem_named(c, BT_NS_ZEEBE, "script") &&
        e->kind != BT_SCRIPT_TASK && e->kind != BT_EVAL_SCRIPT_TASK) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "zeebe:script belongs on a script task");
        return;
    }
    int headers = bt_is_elem_named(c, BT_NS_ZEEBE, "taskHeaders");
    int io = bt_is_elem_named(c, BT_NS_ZEEBE, "ioMapping");
    for (const xmlNode *g = c->children; g; g = g->next) {
        if (headers && e->job.headers &&
            bt_is_elem_named(g, BT_NS_ZEEBE, "header"))
            bt_ext_header(ld, e, g, "zeebe:header", "key");
        else if (io && bt_is_elem_named(g, BT_NS_ZEEBE, "input"))
            read_mapping(ld, e, g, &e->inputs[e->n_inputs++]);
        else if (io && bt_is_elem_named(g, BT_NS_ZEEBE, "output"))
            read_mapping(ld, e, g, &e->outputs[e->n_outputs++]);
    }
}

/* zeebe:subscription correlationKey: the key a message must carry to
 * reach the subscription, worked out when it opens. */
static void read_subscription(bt_loader *ld, bt_element *e, const xmlNode *m)
{
    const xmlNode *c = bt_ext_last(m, BT_NS_ZEEBE, "subscription");
    const char *key = c ? bt_load_attr(ld, c, NULL, "correlationKey") : NULL;
    if (!key || !*key)
        return;
    bt_expr_site at = bt_ext_site(e);
    if (key[0] == '=')
        e->event.correlation_key =
            bt_load_compile(ld, &at, key + 1, strlen(key) - 1, BT_EXPR_FEEL);
    else
        e->event.correlation_key = bt_ext_literal(ld, e, key);
}

const bt_dialect bt_dialect_zeebe = {
    .ns = BT_NS_ZEEBE,
    .count = count_ext,
    .job = read_job,
    .read = read_ext,
    .subscription = read_subscription,
};
