/* Allocation through the engine's allocator hook. Every block carries a
 * small header with its size, so callers free without remembering it. */
#ifndef BT_UTIL_MEM_H
#define BT_UTIL_MEM_H

#include <stddef.h>
#include <string.h>

#include "baton.h"

typedef struct bt_alloc {
    baton_alloc_fn fn;
    void *ud;
} bt_alloc;

/* The C library's allocator, in lua_Alloc shape. */
void *bt_default_alloc(void *ud, void *ptr, size_t old_size, size_t new_size);

void *bt_malloc(const bt_alloc *a, size_t size);
void *bt_calloc(const bt_alloc *a, size_t n, size_t size);
/* On failure returns NULL and leaves `ptr` valid. */
void *bt_realloc(const bt_alloc *a, void *ptr, size_t size);
void bt_free(const bt_alloc *a, void *ptr);
char *bt_strdup(const bt_alloc *a, const char *s);
char *bt_strndup(const bt_alloc *a, const char *s, size_t n);

/* Grows a vector `*items` of `*cap` elements of `size` bytes so it holds at
 * least `need`; returns 0 or BATON_ENOMEM (the vector untouched). */
int bt_grow_to(const bt_alloc *a, void **items, size_t *cap, size_t need,
               size_t size);
static inline int bt_grow(const bt_alloc *a, void **items, size_t *cap,
                          size_t need, size_t size)
{
    return need <= *cap ? 0 : bt_grow_to(a, items, cap, need, size);
}

/* A buffer handed to the host, released by baton_free(): it remembers its
 * allocator in front of the bytes. `size` excludes the NUL added after. */
char *bt_out_buffer(const bt_alloc *a, const void *data, size_t size);

#endif
