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

/* The bpmnElementType of an element (NULL: a process instance), as records
 * name it; `mi_body` is 1 for a multi-instance body, 2 for a standard
 * loop's, 0 otherwise. */
const char *bt_api_element_type(const bt_element *el, int mi_body);

#endif
