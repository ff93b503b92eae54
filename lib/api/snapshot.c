/* Snapshots through the public API; the format is the kernel's. */
#include "api/api.h"

int baton_instance_snapshot(const baton_instance *in, void **out,
                            size_t *size)
{
    if (!in)
        return BATON_EINVAL;
    baton_engine *e = in->engine;
    bt_clear_error(e);
    if (!out || !size)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_snapshot needs outputs");
    if (e->handler_job && e->handler_job->inst == in)
        return bt_error(e, BATON_ESTATE, NULL, 0, 0, NULL,
                        "an instance cannot be snapshotted from a handler");
    if (bt_snapshot_write(in, out, size))
        return bt_error(e, BATON_ENOMEM, NULL, 0, 0, NULL,
                        "out of memory writing a snapshot");
    return 0;
}

int baton_instance_restore(baton_engine *e, const void *data, size_t size,
                           baton_instance **out)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!data || !out)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_instance_restore needs data and an output");
    *out = NULL;
    return bt_snapshot_read(e, data, size, out);
}
