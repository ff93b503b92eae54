/* Loop characteristics (BPMN 2.0.2 §10.2.8). Multi-instance: what runs an
 * activity once per item of a collection or a number of times, in
 * parallel or one after the other. Zeebe writes them as a
 * zeebe:loopCharacteristics extension (inputCollection, inputElement,
 * outputCollection, outputElement, FEEL); Camunda 7 as the attributes
 * camunda:collection and camunda:elementVariable and a loopCardinality
 * (JUEL); plain BPMN as a loopCardinality. A completionCondition may end
 * the loop early in every dialect. Standard loops
 * (standardLoopCharacteristics): testBefore, loopMaximum and a
 * loopCondition, FEEL or JUEL; Zeebe and Camunda 7 have no dialect of
 * their own for them. */
#include "loader/dialect.h"

#include "baton.h"

static bt_expr *expr_of(bt_loader *ld, const bt_element *e, const xmlNode *c,
                        const char *text)
{
    bt_expr_site at = { e->tag, e->id, bt_load_line(c) };
    if (!text || !*text) {
        bt_load_problem(ld, BATON_EMODEL, at.line, 0, e->tag, e->id,
                        "%s is empty", bt_tag_of(c));
        return NULL;
    }
    return bt_load_expr(ld, &at, text, strlen(text));
}

static int is_juel(const char *text)
{
    return text && (text[0] == '$' || text[0] == '#') && text[1] == '{';
}

/* A variable name that a dialect gives as an attribute. */
static const char *name_of(bt_loader *ld, const bt_element *e,
                           const xmlNode *c, const char *ns, const char *attr)
{
    const char *v = bt_load_attr(ld, c, ns, attr);
    if (v && !*v) {
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "%s is empty", attr);
        return NULL;
    }
    return bt_load_dup(ld, v);
}

static void read_zeebe(bt_loader *ld, bt_element *e, bt_loop_def *d,
                       const xmlNode *z)
{
    const char *in = bt_load_attr(ld, z, NULL, "inputCollection");
    const char *out = bt_load_attr(ld, z, NULL, "outputElement");
    if (in)
        d->input_collection = expr_of(ld, e, z, in);
    d->input_element = name_of(ld, e, z, NULL, "inputElement");
    d->output_collection = name_of(ld, e, z, NULL, "outputCollection");
    if (out)
        d->output_element = expr_of(ld, e, z, out);
    if (d->output_element && bt_expr_is_path(d->output_element)) {
        const char *t = bt_expr_text(d->output_element);
        size_t n = strcspn(t, ". \t");
        char *first = bt_arena_alloc(ld->ar, n + 1);
        if (!first) {
            ld->oom = 1;
            return;
        }
        memcpy(first, t, n);
        first[n] = 0;
        d->output_local = first;
    }
    if (d->output_element && !d->output_collection)
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(z), 0, e->tag, e->id,
                        "outputElement without outputCollection");
}

void bt_load_loop(bt_loader *ld, bt_element *e, const xmlNode *c)
{
    bt_loop_def *d = bt_arena_alloc(ld->ar, sizeof *d);
    if (!d) {
        ld->oom = 1;
        return;
    }
    memset(d, 0, sizeof *d);
    d->loop_maximum = -1;
    d->sequential = bt_is_true(bt_load_attr(ld, c, NULL, "isSequential"));
    const char *coll = bt_load_attr(ld, c, BT_NS_CAMUNDA, "collection");
    const char *elvar = bt_load_attr(ld, c, BT_NS_CAMUNDA, "elementVariable");
    int juel = coll || elvar;
    const xmlNode *z = bt_ext_last(c, BT_NS_ZEEBE, "loopCharacteristics");
    if (z)
        read_zeebe(ld, e, d, z);
    if (coll && !d->input_collection)
        d->input_collection = expr_of(ld, e, c, coll);
    if (elvar && !d->input_element)
        d->input_element = name_of(ld, e, c, BT_NS_CAMUNDA,
                                   "elementVariable");
    int has_card = 0;
    for (const xmlNode *k = c->children; k; k = k->next) {
        if (!bt_is_elem(k, BT_NS_BPMN))
            continue;
        const char *t = bt_tag_of(k);
        size_t len;
        if (strcmp(t, "loopCardinality") == 0 ||
            strcmp(t, "completionCondition") == 0) {
            const char *text = bt_load_text(ld, k, &len);
            juel |= !z && is_juel(text);
            bt_expr **slot = t[0] == 'l' ? &d->cardinality : &d->completion;
            has_card |= t[0] == 'l';
            *slot = expr_of(ld, e, k, text);
        } else if (strcmp(t, "extensionElements") != 0 &&
                   strcmp(t, "documentation") != 0) {
            /* Data inputs and outputs, behaviour events: nothing Zeebe or
             * Camunda 7 run. */
            bt_load_refuse(ld, k, e->tag, e->id, NULL);
        }
    }
    int has_coll = coll || (z && bt_load_attr(ld, z, NULL, "inputCollection"));
    if (has_coll)
        d->cardinality = NULL;
    else if (!has_card)
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "multi-instance activity has neither an input "
                        "collection nor a loopCardinality");
    d->zero_based = (uint8_t)juel;
    e->loop = d;
}

/* loopMaximum: a whole number from 0 to BT_MI_MAX, digits only, as
 * xsd:integer writes it (a sign and surrounding blanks allowed). */
static int64_t maximum_of(const char *v)
{
    v += strspn(v, " \t\r\n");
    v += *v == '+';
    size_t n = strspn(v, "0123456789");
    if (!n || v[n + strspn(v + n, " \t\r\n")])
        return -1;
    int64_t m = 0;
    for (size_t i = 0; i < n && m <= BT_MI_MAX; i++)
        m = m * 10 + (v[i] - '0');
    return m <= BT_MI_MAX ? m : -1;
}

void bt_load_standard_loop(bt_loader *ld, bt_element *e, const xmlNode *c)
{
    bt_loop_def *d = bt_arena_alloc(ld->ar, sizeof *d);
    if (!d) {
        ld->oom = 1;
        return;
    }
    memset(d, 0, sizeof *d);
    d->standard = d->sequential = 1;
    d->test_before = bt_is_true(bt_load_attr(ld, c, NULL, "testBefore"));
    d->loop_maximum = -1;
    const char *max = bt_load_attr(ld, c, NULL, "loopMaximum");
    if (max && (d->loop_maximum = maximum_of(max)) < 0)
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "loopMaximum '%s' is not a whole number from 0 to "
                        "%u",
                        max, BT_MI_MAX);
    int juel = 0, has_cond = 0;
    for (const xmlNode *k = c->children; k; k = k->next) {
        if (!bt_is_elem(k, BT_NS_BPMN))
            continue;
        const char *t = bt_tag_of(k);
        size_t len;
        if (strcmp(t, "loopCondition") == 0 && !has_cond) {
            const char *text = bt_load_text(ld, k, &len);
            juel = is_juel(text);
            has_cond = 1;
            d->loop_condition = expr_of(ld, e, k, text);
        } else if (strcmp(t, "extensionElements") != 0 &&
                   strcmp(t, "documentation") != 0) {
            bt_load_refuse(ld, k, e->tag, e->id, NULL);
        }
    }
    /* Without either, nothing would ever end the loop: a modelling
     * error, not an instance that runs until its host gives up. */
    if (!has_cond && !max)
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag, e->id,
                        "standard loop has neither a loopCondition nor a "
                        "loopMaximum: it would repeat without end");
    /* loopCounter counts as in multi-instance: from 0 in models that
     * write the condition in JUEL (Camunda 7's), else from 1. */
    d->zero_based = (uint8_t)juel;
    e->loop = d;
}

/* Loop activities are compensated one inner instance at a time (each
 * logged with its own variables, dispatch.c and compensation.c); a
 * compensation handler that loops itself would have to be one body per
 * compensated instance, which Baton does not run. */
void bt_load_check_loops(bt_loader *ld, const bt_proc_build *pb)
{
    const bt_process *p = pb->p;
    for (uint32_t i = 0; i < p->n_elements; i++) {
        const bt_element *e = &p->elements[i];
        if (e->loop && e->is_for_compensation)
            bt_load_problem(ld, BATON_EUNSUPPORTED, (int)e->line, 0, e->tag,
                            e->id,
                            "a compensation handler with loop "
                            "characteristics is not supported");
    }
}
