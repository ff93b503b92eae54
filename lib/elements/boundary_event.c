/* Boundary events: started by the catch that triggered them (an error
 * boundary event); a compensation boundary event never runs, its handler
 * is reached by association. */
#include "elements/processor.h"

const bt_processor bt_proc_boundary_event = {
    .activated = bt_complete_next,
};
