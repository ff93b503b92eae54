/* What the public API's files share. The API is the top layer: it checks
 * arguments, resets and sets the engine's last error, and runs every
 * change of an instance as one transaction of the kernel. */
#ifndef BT_API_API_H
#define BT_API_API_H

#include "elements/processor.h"
#include "loader/model_load.h"

/* Loads or checks a document with the engine's limits, reporting problems
 * to `fn` (may be NULL) and the first one as the engine's last error. */
int bt_api_load(baton_engine *e, const char *xml, size_t len,
                const char *source_name, baton_problem_fn fn, void *ud,
                baton_model **out);

#endif
