/* Intermediate throw events: none (passes through) and compensation
 * (waits until the handlers it runs have completed). */
#include "elements/processor.h"

static int activated(bt_ctx *cx, bt_ei *ei)
{
    if (bt_ei_el(ei)->evdef == BT_EVDEF_COMPENSATE)
        return bt_comp_throw(cx->in, ei);
    return bt_complete_next(cx, ei);
}

const bt_processor bt_proc_intermediate_throw_event = {
    .activated = activated,
};
