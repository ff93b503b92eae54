#include "util/mem.h"

#include <stdint.h>
#include <stdlib.h>

/* Header in front of every block; 16 bytes keeps max_align_t alignment on
 * the usual 64-bit ABIs. */
typedef union bt_block {
    size_t size;
    max_align_t align_;
} bt_block;

void *bt_default_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

void *bt_malloc(const bt_alloc *a, size_t size)
{
    if (size > SIZE_MAX - sizeof(bt_block))
        return NULL;
    bt_block *b = a->fn(a->ud, NULL, 0, sizeof(bt_block) + size);
    if (!b)
        return NULL;
    b->size = size;
    return b + 1;
}

void *bt_calloc(const bt_alloc *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = bt_malloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *bt_realloc(const bt_alloc *a, void *ptr, size_t size)
{
    if (!ptr)
        return bt_malloc(a, size);
    if (size > SIZE_MAX - sizeof(bt_block))
        return NULL;
    bt_block *old = (bt_block *)ptr - 1;
    bt_block *b = a->fn(a->ud, old, sizeof(bt_block) + old->size,
                        sizeof(bt_block) + size);
    if (!b)
        return NULL;
    b->size = size;
    return b + 1;
}

void bt_free(const bt_alloc *a, void *ptr)
{
    if (!ptr)
        return;
    bt_block *b = (bt_block *)ptr - 1;
    a->fn(a->ud, b, sizeof(bt_block) + b->size, 0);
}

char *bt_strndup(const bt_alloc *a, const char *s, size_t n)
{
    char *d = bt_malloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *bt_strdup(const bt_alloc *a, const char *s)
{
    return bt_strndup(a, s, strlen(s));
}

int bt_grow_to(const bt_alloc *a, void **items, size_t *cap, size_t need,
               size_t size)
{
    size_t n = *cap ? *cap : 2; /* small: a waiting instance holds few */
    while (n < need) {
        if (n > SIZE_MAX / 2 / size)
            return BATON_ENOMEM;
        n *= 2;
    }
    void *p = bt_realloc(a, *items, n * size);
    if (!p)
        return BATON_ENOMEM;
    *items = p;
    *cap = n;
    return 0;
}

/* Host buffers: [bt_alloc][bt_block][bytes][NUL]. */
typedef union bt_outhdr {
    bt_alloc alloc;
    max_align_t align_;
} bt_outhdr;

char *bt_out_buffer(const bt_alloc *a, const void *data, size_t size)
{
    if (size > SIZE_MAX - sizeof(bt_outhdr) - 1)
        return NULL;
    bt_outhdr *h = bt_malloc(a, sizeof(bt_outhdr) + size + 1);
    if (!h)
        return NULL;
    h->alloc = *a;
    char *p = (char *)(h + 1);
    if (size)
        memcpy(p, data, size);
    p[size] = '\0';
    return p;
}

void baton_free(void *buffer)
{
    if (!buffer)
        return;
    bt_outhdr *h = (bt_outhdr *)buffer - 1;
    bt_alloc a = h->alloc;
    bt_free(&a, h);
}
