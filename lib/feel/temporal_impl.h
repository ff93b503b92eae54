/* What temporal.c shares with temporal_parse.c and builtins_time.c, and
 * nothing else uses. */
#ifndef BT_FEEL_TEMPORAL_IMPL_H
#define BT_FEEL_TEMPORAL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "feel/temporal.h"

/* The longest zone id (IANA's are under 40 bytes). */
#define BT_T_ZONE_MAX 63
/* java.time's range of offsets: +-18:00. */
#define BT_T_OFFSET_MAX (18 * 3600)

/* a + b into `r`: 0, or BT_T_INVALID on overflow. */
int bt_t_add64(int64_t a, int64_t b, int64_t *r);
/* 1 when ICU knows zone id `id` (`n` bytes, ASCII); 0 without ICU. */
int bt_t_zone_known(const char *id, size_t n);
/* The standard offset a time with zone `z` takes (see temporal.c). */
int bt_t_zone_std_offset(const bt_fzone *z, int32_t *out);
/* Writes "Z", "+01:00" or "-00:17:30" at `p`, NUL-terminated; returns
 * the end (at the NUL). */
char *bt_t_put_offset(char *p, int32_t off);

#endif
