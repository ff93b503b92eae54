/* Compiling expressions: the entry points over the FEEL and JUEL parsers
 * (parse.c, juel.c). A compiled expression is immutable and lives in the
 * model's arena. */
#include "feel/feel.h"

#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"

int bt_expr_compile(bt_arena *ar, const char *text, size_t len, int dialect,
                    bt_expr **out, bt_expr_error *err)
{
    if (err) {
        err->column = 0;
        err->message[0] = '\0';
    }
    if (!ar || !out || (!text && len))
        return BATON_EINVAL;
    *out = NULL;
    parser p;
    memset(&p, 0, sizeof p);
    p.ar = ar;
    p.text = text ? text : "";
    p.len = len;
    p.juel = dialect == BT_EXPR_JUEL;
    p.err = err;
    if (len > MAX_TEXT)
        return bt_feel_fail(&p, 0, "expression too long (more than %u bytes)",
                            MAX_TEXT),
               p.status;
    bt_expr *e = bt_arena_alloc(ar, sizeof *e);
    char *copy = e ? bt_arena_strndup(ar, p.text, len) : NULL;
    if (!copy)
        return bt_feel_nomem(&p), p.status;
    e->text = copy;
    e->juel = p.juel;
    e->root = p.juel ? bt_juel_parse(&p) : bt_feel_parse(&p);
    if (!e->root)
        return p.status;
    e->uses_clock = p.uses_clock;
    e->fast = bt_feel_fast_shape((node *)e->root);
    const node *n = e->root;
    while (n->kind == N_MEMBER)
        n = n->kid;
    e->is_path = n->kind == N_NAME;
    *out = e;
    return 0;
}

int bt_expr_literal_string(bt_arena *ar, const char *text, size_t len,
                           bt_expr **out)
{
    if (!ar || !out || (!text && len))
        return BATON_EINVAL;
    *out = NULL;
    if (len && !bt_feel_utf8_valid(text, len))
        return BATON_EEXPR;
    bt_expr *e = bt_arena_alloc(ar, sizeof *e);
    node *n = e ? bt_arena_alloc(ar, sizeof *n) : NULL;
    fv *v = n ? bt_arena_alloc(ar, sizeof *v) : NULL;
    char *copy = v ? bt_arena_strndup(ar, text ? text : "", len) : NULL;
    if (!copy)
        return BATON_ENOMEM;
    v->kind = FV_STR;
    v->u.str.s = copy;
    v->u.str.n = len;
    n->kind = N_LIT;
    n->lit = v;
    e->text = copy;
    e->root = n;
    *out = e;
    return 0;
}

const char *bt_expr_text(const bt_expr *e)
{
    return e->text;
}

int bt_expr_is_path(const bt_expr *e)
{
    return e->is_path;
}

int bt_expr_uses_clock(const bt_expr *e)
{
    return e->uses_clock;
}
