/* What the snapshot writer and reader share: the format's constants. */
#ifndef BT_KERNEL_SNAPSHOT_H
#define BT_KERNEL_SNAPSHOT_H

#include "kernel/instance.h"

#define BT_SNAP_MAGIC "BATN"
#define BT_SNAP_VERSION 6u /* written; 1 to 6 are read */
/* From format 6 the header and CALL carry the model's identity, before
 * it the checksum of its bytes. */
#define BT_SNAP_IDENTITY_SINCE 6u
#define BT_SNAP_NO_STR 0xffffffffu

#define BT_SNAP_TAG(a, b, c, d)                                               \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |              \
     (uint32_t)(d) << 24)
#define BT_SNAP_HEAD BT_SNAP_TAG('H', 'E', 'A', 'D')
#define BT_SNAP_ELEM BT_SNAP_TAG('E', 'L', 'E', 'M')
#define BT_SNAP_JOBS BT_SNAP_TAG('J', 'O', 'B', 'S')
#define BT_SNAP_INCI BT_SNAP_TAG('I', 'N', 'C', 'I')
#define BT_SNAP_QUEU BT_SNAP_TAG('Q', 'U', 'E', 'U')
#define BT_SNAP_JOIN BT_SNAP_TAG('J', 'O', 'I', 'N')
#define BT_SNAP_COMP BT_SNAP_TAG('C', 'O', 'M', 'P')
#define BT_SNAP_SUBS BT_SNAP_TAG('S', 'U', 'B', 'S') /* from format 3 */
#define BT_SNAP_BACK BT_SNAP_TAG('B', 'A', 'C', 'K') /* from format 3 */
#define BT_SNAP_LOOP BT_SNAP_TAG('L', 'O', 'O', 'P') /* from format 4 */
#define BT_SNAP_CALL BT_SNAP_TAG('C', 'A', 'L', 'L') /* from format 5 */

/* Checks how a restored instance's tables fit together. Returns NULL
 * when they do, else what is wrong; `*oom` says the check itself ran out
 * of memory. */
const char *bt_snapshot_check(baton_instance *in, int *oom);

#endif
