/* Parallel gateways fork on every outgoing flow; as a join (the kind
 * table's BT_KF_JOINS_ALL) they are activated only when every incoming
 * flow has brought a token (flows.c). */
#include "elements/processor.h"

const bt_processor bt_proc_parallel_gateway = {
    .activated = bt_complete_next,
};
