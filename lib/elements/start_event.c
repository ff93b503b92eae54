/* Start events: none start events, and the error start events of event
 * subprocesses, which the catch has already triggered. */
#include "elements/processor.h"

const bt_processor bt_proc_start_event = {
    .activated = bt_complete_next,
};
