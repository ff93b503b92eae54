/* Migration of a live instance to another deployed version: the kernel's
 * part, which checks a plan (element index to element index) against
 * every piece of state the instance holds and moves it. It compares
 * elements through their generic fields and the kind table only (same
 * kind, same event definitions, same loop, same flow scope); the rules
 * are in docs/versions.md, "Migration rules". */
#ifndef BT_KERNEL_MIGRATE_H
#define BT_KERNEL_MIGRATE_H

#include "kernel/instance.h"

/* One mapping of a plan: element ids of the source and the target. */
typedef struct bt_mig_pair {
    const char *source;
    const char *target;
} bt_mig_pair;

/* Checks moving `in` to deployment `to` with the mappings `pairs` (an id
 * they do not map goes to the same id in the target), appending to the
 * arrays "moved" of `report` an object {key, sourceElementId,
 * targetElementId} per element instance that moves (creation order, the
 * process instance first) and "refused" {elementId, reason} per reason it
 * cannot; writes the report's text to `*out` (NULL: not wanted;
 * baton_free()), refused or not, before anything moves. Unless
 * `dry_run`, then moves it in one transaction, announcing each moved
 * element instance (PROCESS_INSTANCE, MIGRATED). Returns 0,
 * BATON_EMIGRATE (the engine's message lists the reasons), BATON_ESTATE
 * (ended, queued work, or inside a step) or BATON_ENOMEM; on failure the
 * instance is as it was. */
int bt_instance_migrate(baton_instance *in, const bt_deployment *to,
                        const bt_mig_pair *pairs, size_t n_pairs,
                        int dry_run, json_t *report, char **out);

#endif
