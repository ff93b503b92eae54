/* Tasks that do no work of their own (a plain task, a manual task): they
 * pass through, as in Zeebe. */
#include "elements/processor.h"

const bt_processor bt_proc_task = {
    .activated = bt_complete_next,
};
