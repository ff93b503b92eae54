/* The properties of temporal values that paths read: `d.year`,
 * `t.time offset`, `dur.days` (DMN 1.4 §10.3.2.3, Table 58). */
#ifndef BT_FEEL_TEMPORAL_PROPS_H
#define BT_FEEL_TEMPORAL_PROPS_H

#include <stddef.h>

#include "feel/value.h"

/* Returns 0 with `*out` set (NULL when `name` is not a property of the
 * value's type), or BATON_ENOMEM. */
int bt_feel_temporal_prop(fv_cx *cx, const fv *v, const char *name, size_t n,
                          const fv **out);

#endif
