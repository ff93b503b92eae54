#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>

struct bt_arena_chunk {
    bt_arena_chunk *next;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

#define BT_ARENA_CHUNK 8192u

void bt_arena_init(bt_arena *ar, const bt_alloc *a)
{
    ar->alloc = *a;
    ar->head = NULL;
    ar->used = 0;
    ar->total = 0;
}

void bt_arena_free(bt_arena *ar)
{
    bt_arena_chunk *c = ar->head;
    while (c) {
        bt_arena_chunk *next = c->next;
        bt_free(&ar->alloc, c);
        c = next;
    }
    ar->head = NULL;
    ar->used = 0;
    ar->total = 0;
}

void bt_arena_reset(bt_arena *ar)
{
    if (!ar->head)
        return;
    bt_arena_chunk *keep = ar->head, *c = keep->next;
    while (c) {
        bt_arena_chunk *next = c->next;
        bt_free(&ar->alloc, c);
        c = next;
    }
    keep->next = NULL;
    ar->used = 0;
    ar->total = keep->size;
}

void *bt_arena_alloc(bt_arena *ar, size_t size)
{
    const size_t al = alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + al - 1) & ~(al - 1);
    if (!ar->head || ar->head->size - ar->used < size) {
        size_t n = size > BT_ARENA_CHUNK ? size : BT_ARENA_CHUNK;
        bt_arena_chunk *c = bt_malloc(&ar->alloc, sizeof(*c) + n);
        if (!c)
            return NULL;
        c->size = n;
        c->next = ar->head;
        ar->head = c;
        ar->used = 0;
        ar->total += n;
    }
    void *p = ar->head->data + ar->used;
    ar->used += size;
    memset(p, 0, size);
    return p;
}

char *bt_arena_strndup(bt_arena *ar, const char *s, size_t n)
{
    char *d = bt_arena_alloc(ar, n + 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *bt_arena_strdup(bt_arena *ar, const char *s)
{
    return bt_arena_strndup(ar, s, strlen(s));
}

char *bt_arena_vprintf(bt_arena *ar, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    char *d = bt_arena_alloc(ar, (size_t)n + 1);
    if (d)
        vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

char *bt_arena_printf(bt_arena *ar, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = bt_arena_vprintf(ar, fmt, ap);
    va_end(ap);
    return d;
}
