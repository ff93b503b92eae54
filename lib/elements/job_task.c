/* Tasks whose work is a job (service, send, business-rule, script and
 * user tasks): they wait until the job completes. */
#include "elements/processor.h"

const bt_processor bt_proc_job_task = {
    .activated = bt_job_create,
    .terminating = bt_job_cancel,
};
