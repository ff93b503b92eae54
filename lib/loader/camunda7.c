/* The Camunda 7 dialect: the job that camunda:type/topic, camunda:class,
 * camunda:delegateExpression or camunda:expression names, its retries and
 * their backoff from camunda:failedJobRetryTimeCycle, camunda:properties
 * as its headers (what Camunda 7 hands an external task client as
 * extension properties), camunda:inputOutput parameters and the variables
 * a caught error goes to, read for the core through dialect.h. Camunda 7
 * writes expressions as "${<JUEL>}". */
#include "loader/dialect.h"

#include <stdint.h>

#include "baton.h"

static int has_expression(const char *text)
{
    return strstr(text, "${") || strstr(text, "#{");
}

static void count_ext(const xmlNode *c, bt_ext_counts *k)
{
    int props = bt_is_elem_named(c, BT_NS_CAMUNDA, "properties");
    if (!props && !bt_is_elem_named(c, BT_NS_CAMUNDA, "inputOutput"))
        return;
    for (const xmlNode *g = c->children; g; g = g->next) {
        if (props) {
            if (bt_is_elem_named(g, BT_NS_CAMUNDA, "property"))
                k->headers++;
        } else if (bt_is_elem_named(g, BT_NS_CAMUNDA, "inputParameter"))
            k->inputs++;
        else if (bt_is_elem_named(g, BT_NS_CAMUNDA, "outputParameter"))
            k->outputs++;
    }
}

/* failedJobRetryTimeCycle, "R<count>/<interval>": the count is the job's
 * retries, the interval (an ISO 8601 duration) the wait before each
 * retry of a failed job. */
static void read_retry_cycle(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    const xmlNode *c =
        bt_ext_last(n, BT_NS_CAMUNDA, "failedJobRetryTimeCycle");
    if (!c)
        return;
    size_t len;
    const char *text = bt_load_text(ld, c, &len);
    if (has_expression(text)) {
        bt_load_problem(ld, BATON_EUNSUPPORTED, bt_load_line(c), 0, e->tag,
                        e->id,
                        "expressions in camunda:failedJobRetryTimeCycle are "
                        "not supported");
        return;
    }
    if (text[0] != 'R' && strchr(text, ',')) {
        bt_load_problem(ld, BATON_EUNSUPPORTED, bt_load_line(c), 0, e->tag,
                        e->id,
                        "lists of intervals in "
                        "camunda:failedJobRetryTimeCycle are not supported");
        return;
    }
    long v;
    const char *digits = text[0] == 'R' ? text + 1 : text;
    const char *p = bt_ext_digits(digits, &v);
    if (text[0] != 'R' || p == digits || v > INT32_MAX || p[0] != '/' ||
        !p[1]) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "camunda:failedJobRetryTimeCycle '%s' is not "
                        "R<count>/<interval>",
                        text);
        return;
    }
    char err[160];
    bt_duration backoff;
    if (bt_duration_parse(p + 1, strlen(p + 1), &backoff, err, sizeof err)) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "camunda:failedJobRetryTimeCycle '%s' has no valid "
                        "interval: %s",
                        text, err);
        return;
    }
    e->job.retries = (int32_t)v;
    e->job.has_backoff = 1;
    e->job.backoff = backoff;
}

/* An external task's topic, else the delegate it names. The host
 * registers its handler under that string. */
static int read_job(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    const char *type = bt_load_attr(ld, n, BT_NS_CAMUNDA, "type");
    if (type && strcmp(type, "external") == 0) {
        const char *topic = bt_load_attr(ld, n, BT_NS_CAMUNDA, "topic");
        if (!topic || !*topic)
            bt_load_problem(ld, BATON_EMODEL, (int)e->line, 0, e->tag, e->id,
                            "external task has no camunda:topic");
        else
            e->job.type = bt_load_dup(ld, topic);
        return 1;
    }
    static const char *const delegates[] = { "class", "delegateExpression",
                                             "expression" };
    for (size_t i = 0; i < 3; i++) {
        const char *v = bt_load_attr(ld, n, BT_NS_CAMUNDA, delegates[i]);
        if (v && *v) {
            e->job.type = bt_load_dup(ld, v);
            return 1;
        }
    }
    return 0;
}

/* Parameters: text content, "${...}" an expression, anything else a
 * constant string, empty a null (as Camunda 7 maps it). */
static void read_param(bt_loader *ld, bt_element *e, const xmlNode *g,
                       bt_mapping *m)
{
    const char *name = bt_load_attr(ld, g, NULL, "name");
    if (!name || !*name) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(g), 0, e->tag, e->id,
                        "camunda:%s has no name", bt_tag_of(g));
        return;
    }
    for (const xmlNode *c = g->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            bt_load_problem(ld, BATON_EUNSUPPORTED, bt_load_line(c), 0, e->tag,
                            e->id,
                            "camunda:%s in a camunda:%s is not supported",
                            bt_tag_of(c), bt_tag_of(g));
            return;
        }
    bt_expr_site at = bt_ext_site(e);
    m->target = bt_load_dup(ld, name);
    size_t len;
    const char *text = bt_load_text(ld, g, &len);
    if (len == 0)
        m->source = bt_ext_null(ld, e);
    else if (has_expression(text))
        /* Mixed text such as "Hi ${name}" goes to the compiler too, which
         * says whether it can take it, rather than becoming a literal. */
        m->source = bt_load_compile(ld, &at, text, len, BT_EXPR_JUEL);
    else
        m->source = bt_ext_literal(ld, e, text);
}

static void read_ext(bt_loader *ld, bt_element *e, const xmlNode *c)
{
    if (bt_is_elem_named(c, BT_NS_CAMUNDA, "properties")) {
        for (const xmlNode *g = c->children; g; g = g->next)
            if (e->job.headers &&
                bt_is_elem_named(g, BT_NS_CAMUNDA, "property"))
                bt_ext_header(ld, e, g, "camunda:property", "name");
        return;
    }
    if (!bt_is_elem_named(c, BT_NS_CAMUNDA, "inputOutput"))
        return;
    for (const xmlNode *g = c->children; g; g = g->next) {
        if (bt_is_elem_named(g, BT_NS_CAMUNDA, "inputParameter"))
            read_param(ld, e, g, &e->inputs[e->n_inputs++]);
        else if (bt_is_elem_named(g, BT_NS_CAMUNDA, "outputParameter"))
            read_param(ld, e, g, &e->outputs[e->n_outputs++]);
    }
}

static const char *nonempty_attr(bt_loader *ld, const xmlNode *d,
                                 const char *name)
{
    const char *v = bt_load_attr(ld, d, BT_NS_CAMUNDA, name);
    return v && *v ? v : NULL;
}

/* Camunda 7 hands the caught error to these variables. */
static void read_caught_error(bt_loader *ld, bt_element *e, const xmlNode *d)
{
    e->event.error_code_variable =
        bt_load_dup(ld, nonempty_attr(ld, d, "errorCodeVariable"));
    e->event.error_message_variable =
        bt_load_dup(ld, nonempty_attr(ld, d, "errorMessageVariable"));
}

const bt_dialect bt_dialect_camunda7 = {
    .ns = BT_NS_CAMUNDA,
    .count = count_ext,
    .job_defaults = read_retry_cycle,
    .job = read_job,
    .read = read_ext,
    .caught_error = read_caught_error,
};
