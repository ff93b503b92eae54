/* The process instance: it exists from creation, announces its initial
 * variables when it activates, starts its none start event (or, without
 * any start event, its flow nodes without incoming flows), and ends the
 * instance when nothing is left to run in it. */
#include "elements/processor.h"

int bt_process_activate(bt_ctx *cx, bt_ei *root, int32_t start)
{
    baton_instance *in = cx->in;
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATING, root))
        return BATON_ENOMEM;
    if (root->vars) {
        const char *k;
        json_t *v;
        json_object_foreach(root->vars, k, v) {
            struct baton_record *r = bt_rec_push(in, BATON_VT_VARIABLE,
                                                 BATON_INTENT_CREATED,
                                                 root->key);
            if (!r)
                return BATON_ENOMEM;
            bt_rec_at(r, root);
            r->u.var.name = k;
            r->u.var.value = json_incref(v);
            r->flow_scope_key = root->key;
        }
    }
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_ACTIVATED, root))
        return BATON_ENOMEM;
    /* The root existed before the step: it changes after the last thing
     * that can fail. */
    int rc = bt_process_start(cx, root, start);
    if (!rc)
        root->state = BT_EI_ACTIVATED;
    return rc;
}

int bt_process_start(bt_ctx *cx, bt_ei *root, int32_t start)
{
    baton_instance *in = cx->in;
    int rc = bt_open_subscriptions(cx, root);
    if (rc)
        return rc;
    if (cx->fail.type >= 0) {
        /* Its event subprocesses cannot listen: nothing starts until the
         * incident's retry opens them, then starts here. */
        cx->fail.retry.scope_key = (uint64_t)start + 1;
        return 0;
    }
    const bt_process *p = root->proc;
    if (start < 0)
        return bt_start_scope(in, root, -1, p->implicit_starts,
                              p->n_implicit_starts);
    /* An instantiating receive task received its message already. */
    uint64_t token = 0;
    if (p->elements[start].kind == BT_RECEIVE_TASK) {
        bt_sub *t = bt_sub_add_triggered(in, root, start, NULL);
        if (!t)
            return BATON_ENOMEM;
        token = t->key;
    }
    bt_push_cmd(in, BT_CMD_ACTIVATE, start, token, root->key);
    return 0;
}

int bt_process_complete(bt_ctx *cx, bt_ei *root)
{
    baton_instance *in = cx->in;
    /* Nothing can be compensated any more: as Zeebe, every entry left in
     * the log is announced DELETED while the process completes, and the
     * log is dropped once nothing can fail. */
    if (bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETING, root) ||
        (root->n_subs && bt_sub_close_owned(in, root, 0)) ||
        (in->n_incidents && bt_incidents_resolve_announce(in, root)) ||
        bt_comp_announce_all(in) ||
        bt_rec_element(in, BATON_INTENT_ELEMENT_COMPLETED, root))
        return BATON_ENOMEM;
    root->state = BT_EI_COMPLETED;
    in->ended = BATON_INSTANCE_COMPLETED;
    bt_incidents_drop(in, root->key);
    bt_comp_truncate(in, 0);
    return 0;
}

static int process_activated(bt_ctx *cx, bt_ei *root)
{
    (void)cx;
    (void)root;
    return 0; /* bt_process_activate() did it all */
}

const bt_processor bt_proc_process = {
    .activated = process_activated,
    .child_completed = bt_scope_complete_next,
};
