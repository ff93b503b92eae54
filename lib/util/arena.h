/* A bump allocator for a model's immutable data: everything a parsed model
 * holds lives in one arena and goes away with it. */
#ifndef BT_UTIL_ARENA_H
#define BT_UTIL_ARENA_H

#include <stdarg.h>

#include "util/mem.h"

typedef struct bt_arena_chunk bt_arena_chunk;

typedef struct bt_arena {
    bt_alloc alloc;
    bt_arena_chunk *head;
    size_t used;  /* bytes used in head */
    size_t total; /* bytes allocated in all chunks */
} bt_arena;

void bt_arena_init(bt_arena *ar, const bt_alloc *a);
void bt_arena_free(bt_arena *ar);
/* Forgets every allocation but keeps the newest chunk for reuse. */
void bt_arena_reset(bt_arena *ar);
/* Zeroed, aligned to max_align_t; NULL when out of memory. */
void *bt_arena_alloc(bt_arena *ar, size_t size);
char *bt_arena_strndup(bt_arena *ar, const char *s, size_t n);
char *bt_arena_strdup(bt_arena *ar, const char *s);
/* printf into the arena; NULL when out of memory. */
char *bt_arena_printf(bt_arena *ar, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
char *bt_arena_vprintf(bt_arena *ar, const char *fmt, va_list ap);

#endif
