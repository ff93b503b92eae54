/* The dialect half of the BPMN loader: what Zeebe (Camunda 8) and
 * Camunda 7 put in extensionElements and in their own attributes that
 * Baton runs: job types and retries (camunda:failedJobRetryTimeCycle
 * too), task headers, input and output mappings, and how each reads the
 * conditions of sequence flows. */
#include "loader/loader.h"

#include <limits.h>
#include <stdint.h>

#include "baton.h"

#define DEFAULT_RETRIES 3

static bt_expr_site site_of(const bt_element *e)
{
    bt_expr_site s = { e->tag, e->id, (int)e->line };
    return s;
}

static bt_expr *literal(bt_loader *ld, const bt_element *at, const char *text)
{
    bt_expr *e = NULL;
    int rc = bt_expr_literal_string(ld->ar, text, strlen(text), &e);
    if (rc == BATON_ENOMEM)
        ld->oom = 1;
    else if (rc)
        bt_load_problem(ld, BATON_EEXPR, (int)at->line, 0, at->tag, at->id,
                        "constant '%s' is not valid text", text);
    return e;
}

/* A condition or Zeebe mapping source as Zeebe and Camunda 7 read them:
 * "=..." is FEEL (Zeebe), "${...}"/"#{...}" is JUEL (Camunda 7), anything
 * else is FEEL as a whole. */
static bt_expr *compile_expr(bt_loader *ld, const bt_expr_site *at,
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

void bt_load_condition(bt_loader *ld, bt_flow *f, const xmlNode *fn)
{
    for (const xmlNode *c = fn->children; c; c = c->next) {
        if (!bt_is_elem_named(c, BT_NS_BPMN, "conditionExpression"))
            continue;
        int juel;
        const char *lang = bt_load_attr(ld, c, NULL, "language");
        if (!condition_language_ok(lang, &juel)) {
            bt_load_problem(
                ld, BATON_EUNSUPPORTED, (int)f->line, 0, "sequenceFlow", f->id,
                "conditions in language '%s' are not supported", lang);
            return;
        }
        size_t len;
        const char *text = bt_load_text(ld, c, &len);
        bt_expr_site at = { "sequenceFlow", f->id, (int)f->line };
        f->condition = juel ? bt_load_compile(ld, &at, text, len, BT_EXPR_JUEL)
                            : compile_expr(ld, &at, text, len);
        return;
    }
}

/* Counts the mappings and headers an element declares, over every
 * extensionElements it has, so their arrays are allocated once. */
typedef struct ext_counts {
    uint32_t headers, inputs, outputs;
} ext_counts;

static void count_ext(const xmlNode *ext, ext_counts *k)
{
    for (const xmlNode *c = ext->children; c; c = c->next) {
        int zeebe = bt_is_elem(c, BT_NS_ZEEBE),
            camunda = bt_is_elem(c, BT_NS_CAMUNDA);
        if (!zeebe && !camunda)
            continue;
        for (const xmlNode *g = c->children; g; g = g->next) {
            if (zeebe && bt_is_elem_named(c, BT_NS_ZEEBE, "taskHeaders") &&
                bt_is_elem_named(g, BT_NS_ZEEBE, "header"))
                k->headers++;
            else if (zeebe && bt_is_elem_named(c, BT_NS_ZEEBE, "ioMapping")) {
                if (bt_is_elem_named(g, BT_NS_ZEEBE, "input"))
                    k->inputs++;
                else if (bt_is_elem_named(g, BT_NS_ZEEBE, "output"))
                    k->outputs++;
            } else if (camunda &&
                       bt_is_elem_named(c, BT_NS_CAMUNDA, "inputOutput")) {
                if (bt_is_elem_named(g, BT_NS_CAMUNDA, "inputParameter"))
                    k->inputs++;
                else if (bt_is_elem_named(g, BT_NS_CAMUNDA, "outputParameter"))
                    k->outputs++;
            }
        }
    }
}

static void read_zeebe_mapping(bt_loader *ld, bt_element *e, const xmlNode *g,
                               bt_mapping *m)
{
    const char *source = bt_load_attr(ld, g, NULL, "source");
    const char *target = bt_load_attr(ld, g, NULL, "target");
    if (!target || !*target) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(g), 0, e->tag, e->id,
                        "zeebe:%s has no target", bt_tag_of(g));
        return;
    }
    bt_expr_site at = site_of(e);
    m->target = bt_load_dup(ld, target);
    if (!source) /* Zeebe maps a missing source to null */
        m->source = bt_load_compile(ld, &at, "null", 4, BT_EXPR_FEEL);
    else if (source[0] == '=')
        m->source = bt_load_compile(ld, &at, source + 1, strlen(source) - 1,
                                    BT_EXPR_FEEL);
    else
        m->source = literal(ld, e, source);
}

/* Camunda 7 parameters: text content, "${...}" an expression, anything
 * else a constant string, empty a null (as Camunda 7 maps it). */
static void read_camunda_param(bt_loader *ld, bt_element *e, const xmlNode *g,
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
    bt_expr_site at = site_of(e);
    m->target = bt_load_dup(ld, name);
    size_t len;
    const char *text = bt_load_text(ld, g, &len);
    if (len == 0)
        m->source = bt_load_compile(ld, &at, "null", 4, BT_EXPR_FEEL);
    else if (strstr(text, "${") || strstr(text, "#{"))
        /* Mixed text such as "Hi ${name}" goes to the compiler too, which
         * says whether it can take it, rather than becoming a literal. */
        m->source = bt_load_compile(ld, &at, text, len, BT_EXPR_JUEL);
    else
        m->source = literal(ld, e, text);
}

static void read_zeebe_task_definition(bt_loader *ld, bt_element *e,
                                       const xmlNode *c)
{
    const char *type = bt_load_attr(ld, c, NULL, "type");
    const char *retries = bt_load_attr(ld, c, NULL, "retries");
    if (!type || !*type) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "zeebe:taskDefinition has no type");
    } else if (type[0] == '=') {
        bt_expr_site at = site_of(e);
        e->job_type_expr =
            bt_load_compile(ld, &at, type + 1, strlen(type) - 1, BT_EXPR_FEEL);
        e->job_type = NULL;
    } else {
        e->job_type = bt_load_dup(ld, type);
    }
    /* Zeebe Modeler writes retries="" for a field left empty. */
    if (!retries || !*retries)
        return;
    if (retries[0] == '=') {
        bt_load_problem(ld, BATON_EUNSUPPORTED, bt_load_line(c), 0, e->tag,
                        e->id, "retries expressions are not supported");
        return;
    }
    long v = 0;
    const char *p = retries;
    for (; *p >= '0' && *p <= '9' && v <= INT32_MAX; p++)
        v = v * 10 + (*p - '0');
    if (p == retries || *p || v > INT32_MAX) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "retries '%s' is not a non-negative integer", retries);
        return;
    }
    e->retries = (int32_t)v;
}

/* Camunda 7's failedJobRetryTimeCycle, "R<count>/<interval>": the count
 * is the job's retries. The interval waits for timers; until then a
 * failed job is offered again at once. */
static void read_retry_cycle(bt_loader *ld, bt_element *e, const xmlNode *c)
{
    size_t len;
    const char *text = bt_load_text(ld, c, &len);
    if (strstr(text, "${") || strstr(text, "#{")) {
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
    long v = 0;
    const char *p = text[0] == 'R' ? text + 1 : text;
    const char *digits = p;
    for (; *p >= '0' && *p <= '9' && v <= INT32_MAX; p++)
        v = v * 10 + (*p - '0');
    if (text[0] != 'R' || p == digits || v > INT32_MAX || p[0] != '/' ||
        !p[1]) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "camunda:failedJobRetryTimeCycle '%s' is not "
                        "R<count>/<interval>",
                        text);
        return;
    }
    e->retries = (int32_t)v;
}

/* Camunda 7: an external task's topic, else the delegate it names. The
 * host registers its handler under that string. */
static void read_camunda_job(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    const char *type = bt_load_attr(ld, n, BT_NS_CAMUNDA, "type");
    if (type && strcmp(type, "external") == 0) {
        const char *topic = bt_load_attr(ld, n, BT_NS_CAMUNDA, "topic");
        if (!topic || !*topic) {
            bt_load_problem(ld, BATON_EMODEL, (int)e->line, 0, e->tag, e->id,
                            "external task has no camunda:topic");
            return;
        }
        e->job_type = bt_load_dup(ld, topic);
        return;
    }
    static const char *const delegates[] = { "class", "delegateExpression",
                                             "expression" };
    for (size_t i = 0; i < 3; i++) {
        const char *v = bt_load_attr(ld, n, BT_NS_CAMUNDA, delegates[i]);
        if (v && *v) {
            e->job_type = bt_load_dup(ld, v);
            return;
        }
    }
}

void bt_load_extensions(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    ext_counts k = { 0, 0, 0 };
    const xmlNode *task_def = NULL, *cycle = NULL;
    for (const xmlNode *x = n->children; x; x = x->next) {
        if (!bt_is_elem_named(x, BT_NS_BPMN, "extensionElements"))
            continue;
        count_ext(x, &k);
        for (const xmlNode *c = x->children; c; c = c->next) {
            const char *msg = NULL;
            if (bt_is_elem(c, BT_NS_ZEEBE))
                msg =
                    bt_load_refusal(BT_REFUSE_EXT, BT_NS_ZEEBE, bt_tag_of(c));
            else if (bt_is_elem(c, BT_NS_CAMUNDA))
                msg = bt_load_refusal(BT_REFUSE_EXT, BT_NS_CAMUNDA,
                                      bt_tag_of(c));
            if (msg)
                bt_load_problem(ld, BATON_EUNSUPPORTED, bt_load_line(c), 0,
                                e->tag, e->id, "%s", msg);
            if (bt_is_elem_named(c, BT_NS_ZEEBE, "taskDefinition"))
                task_def = c;
            else if (bt_is_elem_named(c, BT_NS_CAMUNDA,
                                      "failedJobRetryTimeCycle"))
                cycle = c;
        }
    }
    if (k.headers && bt_kind_has(e->kind, BT_KF_JOB))
        e->headers = bt_arena_alloc(ld->ar, k.headers * sizeof *e->headers);
    if (k.inputs)
        e->inputs = bt_arena_alloc(ld->ar, k.inputs * sizeof *e->inputs);
    if (k.outputs)
        e->outputs = bt_arena_alloc(ld->ar, k.outputs * sizeof *e->outputs);
    if ((k.headers && bt_kind_has(e->kind, BT_KF_JOB) && !e->headers) ||
        (k.inputs && !e->inputs) || (k.outputs && !e->outputs)) {
        ld->oom = 1;
        return;
    }

    if (bt_kind_has(e->kind, BT_KF_JOB)) {
        e->retries = DEFAULT_RETRIES;
        /* Zeebe's retries, when given, win. */
        if (cycle)
            read_retry_cycle(ld, e, cycle);
        if (task_def)
            read_zeebe_task_definition(ld, e, task_def);
        else
            read_camunda_job(ld, e, n);
        if (!e->job_type && !e->job_type_expr)
            e->job_type = e->id;
    }

    for (const xmlNode *x = n->children; x; x = x->next) {
        if (!bt_is_elem_named(x, BT_NS_BPMN, "extensionElements"))
            continue;
        for (const xmlNode *c = x->children; c; c = c->next) {
            int headers = bt_is_elem_named(c, BT_NS_ZEEBE, "taskHeaders");
            int zio = bt_is_elem_named(c, BT_NS_ZEEBE, "ioMapping");
            int cio = bt_is_elem_named(c, BT_NS_CAMUNDA, "inputOutput");
            if (!headers && !zio && !cio)
                continue;
            for (const xmlNode *g = c->children; g; g = g->next) {
                if (headers && e->headers &&
                    bt_is_elem_named(g, BT_NS_ZEEBE, "header")) {
                    const char *key = bt_load_attr(ld, g, NULL, "key");
                    const char *value = bt_load_attr(ld, g, NULL, "value");
                    if (!key || !*key) {
                        bt_load_problem(ld, BATON_EMODEL, bt_load_line(g), 0,
                                        e->tag, e->id,
                                        "zeebe:header has no key");
                        continue;
                    }
                    bt_header *h = &e->headers[e->n_headers++];
                    h->name = bt_load_dup(ld, key);
                    h->value = bt_load_dup(ld, value ? value : "");
                } else if (zio && bt_is_elem_named(g, BT_NS_ZEEBE, "input")) {
                    read_zeebe_mapping(ld, e, g, &e->inputs[e->n_inputs++]);
                } else if (zio && bt_is_elem_named(g, BT_NS_ZEEBE, "output")) {
                    read_zeebe_mapping(ld, e, g, &e->outputs[e->n_outputs++]);
                } else if (cio && bt_is_elem_named(g, BT_NS_CAMUNDA,
                                                   "inputParameter")) {
                    read_camunda_param(ld, e, g, &e->inputs[e->n_inputs++]);
                } else if (cio && bt_is_elem_named(g, BT_NS_CAMUNDA,
                                                   "outputParameter")) {
                    read_camunda_param(ld, e, g, &e->outputs[e->n_outputs++]);
                }
            }
        }
    }
}
