/* Call activities (BPMN 2.0.2 §10.2.5): which process one starts and
 * what passes between the two. Zeebe writes the call as
 * zeebe:calledElement (processId, static or "=<FEEL>"; bindingType;
 * propagateAllParentVariables and propagateAllChildVariables, both true
 * by default), with zeebe:ioMapping as the call activity's mappings.
 * Camunda 7 writes the calledElement attribute (static or "${<JUEL>}"),
 * camunda:calledElementBinding and camunda:calledElementVersion, and
 * camunda:in / camunda:out for the variables, which pass only as they
 * say. */
#include "loader/dialect.h"

#include <stdint.h>

#include "baton.h"

static void problem(bt_loader *ld, const bt_element *e, const xmlNode *n,
                    int code, const char *msg, const char *what)
{
    bt_load_problem(ld, code, bt_load_line(n), 0, e->tag, e->id, msg, what);
}

/* The called process: a name, or an expression (Zeebe's "=...", Camunda
 * 7's "${...}"). */
static void read_process_id(bt_loader *ld, const bt_element *e,
                            bt_call_def *d, const xmlNode *n,
                            const char *text)
{
    if (!text || !*text) {
        problem(ld, e, n, BATON_EMODEL, "%s", "call activity names no "
                                              "called process");
        return;
    }
    size_t len = strlen(text);
    if (text[0] == '=' || strstr(text, "${") || strstr(text, "#{")) {
        bt_expr_site at = bt_ext_site(e);
        d->process_expr = bt_load_expr(ld, &at, text, len);
    } else {
        d->process_id = bt_load_dup(ld, text);
    }
}

static void read_binding(bt_loader *ld, const bt_element *e, bt_call_def *d,
                         const xmlNode *n, const char *binding,
                         const char *version)
{
    if (!binding || !*binding || strcmp(binding, "latest") == 0)
        d->binding = BT_BIND_LATEST;
    else if (strcmp(binding, "deployment") == 0)
        d->binding = BT_BIND_DEPLOYMENT;
    else if (strcmp(binding, "version") == 0)
        d->binding = BT_BIND_VERSION;
    else if (strcmp(binding, "versionTag") == 0)
        problem(ld, e, n, BATON_EUNSUPPORTED,
                "the %s binding of a called process is not supported "
                "(Baton deployments have no version tags)",
                binding);
    else
        problem(ld, e, n, BATON_EMODEL,
                "unknown binding '%s' of a called process", binding);
    if (d->binding != BT_BIND_VERSION)
        return;
    long v = 0;
    const char *end = version ? bt_ext_digits(version, &v) : NULL;
    if (!version || end == version || *end || v < 1 || v > INT32_MAX)
        problem(ld, e, n, BATON_EMODEL,
                "the version binding needs a camunda:calledElementVersion "
                "that is a positive whole number, not '%s'",
                version ? version : "");
    else
        d->version = (int32_t)v;
}

static void read_zeebe(bt_loader *ld, const bt_element *e, bt_call_def *d,
                       const xmlNode *z)
{
    read_process_id(ld, e, d, z, bt_load_attr(ld, z, NULL, "processId"));
    read_binding(ld, e, d, z, bt_load_attr(ld, z, NULL, "bindingType"),
                 NULL);
    d->all_parent = !bt_is_false(
        bt_load_attr(ld, z, NULL, "propagateAllParentVariables"));
    d->all_child = !bt_is_false(
        bt_load_attr(ld, z, NULL, "propagateAllChildVariables"));
}

/* A camunda:in or camunda:out. */
static void read_var(bt_loader *ld, const bt_element *e, const xmlNode *g,
                     bt_call_var *v)
{
    const char *vars = bt_load_attr(ld, g, NULL, "variables");
    const char *source = bt_load_attr(ld, g, NULL, "source");
    const char *expr = bt_load_attr(ld, g, NULL, "sourceExpression");
    const char *target = bt_load_attr(ld, g, NULL, "target");
    v->local = bt_is_true(bt_load_attr(ld, g, NULL, "local"));
    if (bt_load_attr(ld, g, NULL, "businessKey")) {
        problem(ld, e, g, BATON_EUNSUPPORTED,
                "camunda:%s businessKey is not supported (Baton instances "
                "have no business key)",
                bt_tag_of(g));
        return;
    }
    if (vars) {
        if (strcmp(vars, "all") != 0)
            problem(ld, e, g, BATON_EMODEL,
                    "camunda:%s variables must be \"all\"", bt_tag_of(g));
        v->all = 1;
        return;
    }
    if (!target || !*target || (!source == !expr)) {
        problem(ld, e, g, BATON_EMODEL,
                "camunda:%s needs a target and one of source or "
                "sourceExpression",
                bt_tag_of(g));
        return;
    }
    v->target = bt_load_dup(ld, target);
    bt_expr_site at = bt_ext_site(e);
    if (expr) {
        v->source = bt_load_expr(ld, &at, expr, strlen(expr));
    } else if (!*source) {
        problem(ld, e, g, BATON_EMODEL, "camunda:%s source is empty",
                bt_tag_of(g));
    } else {
        /* A variable name: read as a FEEL name, which it is. */
        v->source = bt_load_compile(ld, &at, source, strlen(source),
                                    BT_EXPR_FEEL);
    }
}

static void read_camunda7(bt_loader *ld, const bt_element *e, bt_call_def *d,
                          const xmlNode *n)
{
    const char *cls = bt_load_attr(ld, n, BT_NS_CAMUNDA,
                                   "variableMappingClass");
    const char *dex = bt_load_attr(ld, n, BT_NS_CAMUNDA,
                                   "variableMappingDelegateExpression");
    if (cls || dex)
        problem(ld, e, n, BATON_EUNSUPPORTED, "%s is not supported (Java "
                                              "code Baton cannot run)",
                cls ? "camunda:variableMappingClass"
                    : "camunda:variableMappingDelegateExpression");
    if (bt_load_attr(ld, n, BT_NS_CAMUNDA, "caseRef"))
        problem(ld, e, n, BATON_EUNSUPPORTED, "%s",
                "camunda:caseRef is not supported (CMMN)");
    read_binding(ld, e, d, n,
                 bt_load_attr(ld, n, BT_NS_CAMUNDA, "calledElementBinding"),
                 bt_load_attr(ld, n, BT_NS_CAMUNDA, "calledElementVersion"));
    uint32_t n_in = 0, n_out = 0;
    for (const xmlNode *c = bt_ext_next(n, NULL); c; c = bt_ext_next(n, c)) {
        n_in += bt_is_elem_named(c, BT_NS_CAMUNDA, "in");
        n_out += bt_is_elem_named(c, BT_NS_CAMUNDA, "out");
    }
    d->ins = n_in ? bt_arena_alloc(ld->ar, n_in * sizeof *d->ins) : NULL;
    d->outs = n_out ? bt_arena_alloc(ld->ar, n_out * sizeof *d->outs) : NULL;
    if ((n_in && !d->ins) || (n_out && !d->outs)) {
        ld->oom = 1;
        return;
    }
    for (const xmlNode *c = bt_ext_next(n, NULL); c; c = bt_ext_next(n, c)) {
        bt_call_var *v = NULL;
        if (bt_is_elem_named(c, BT_NS_CAMUNDA, "in"))
            v = &d->ins[d->n_ins++];
        else if (bt_is_elem_named(c, BT_NS_CAMUNDA, "out"))
            v = &d->outs[d->n_outs++];
        if (v) {
            memset(v, 0, sizeof *v);
            read_var(ld, e, c, v);
        }
    }
}

void bt_load_call(bt_loader *ld, bt_element *e, const xmlNode *n)
{
    bt_call_def *d = bt_arena_alloc(ld->ar, sizeof *d);
    if (!d) {
        ld->oom = 1;
        return;
    }
    memset(d, 0, sizeof *d);
    const xmlNode *z = bt_ext_last(n, BT_NS_ZEEBE, "calledElement");
    if (z) {
        read_zeebe(ld, e, d, z);
    } else {
        /* Camunda 7 and plain BPMN: the calledElement attribute. */
        d->camunda7 = 1;
        read_process_id(ld, e, d, n,
                        bt_load_attr(ld, n, NULL, "calledElement"));
        read_camunda7(ld, e, d, n);
    }
    e->call = d;
}
