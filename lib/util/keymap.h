/* A map from 64-bit keys (never 0) to pointers, in constant time:
 * open addressing with linear probing and backward-shift deletion. Only
 * bt_keymap_reserve() allocates, so a transition reserves first and then
 * inserts and deletes without a failure path. */
#ifndef BT_UTIL_KEYMAP_H
#define BT_UTIL_KEYMAP_H

#include <stdint.h>

#include "util/mem.h"

typedef struct bt_keymap_slot {
    uint64_t key; /* 0: free */
    void *value;
} bt_keymap_slot;

typedef struct bt_keymap {
    bt_keymap_slot *slots;
    size_t cap; /* 0 or a power of two */
    size_t count;
} bt_keymap;

/* Grows the map to hold `need` entries. */
int bt_keymap_grow(const bt_alloc *a, bt_keymap *m, size_t need);

/* Makes room for `extra` more entries. Returns 0 or BATON_ENOMEM (the map
 * unchanged). */
static inline int bt_keymap_reserve(const bt_alloc *a, bt_keymap *m,
                                    size_t extra)
{
    size_t need = m->count + extra;
    return need * 2 <= m->cap ? 0 : bt_keymap_grow(a, m, need);
}

static inline size_t bt_keymap_home(const bt_keymap *m, uint64_t key)
{
    /* Keys are sequential: a multiplicative hash spreads them. */
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (m->cap - 1);
}

/* Inserts or replaces; room must have been reserved. */
void bt_keymap_put(bt_keymap *m, uint64_t key, void *value);

static inline void *bt_keymap_get(const bt_keymap *m, uint64_t key)
{
    if (!m->cap || !key)
        return NULL;
    for (size_t i = bt_keymap_home(m, key); m->slots[i].key;
         i = (i + 1) & (m->cap - 1))
        if (m->slots[i].key == key)
            return m->slots[i].value;
    return NULL;
}
void bt_keymap_del(bt_keymap *m, uint64_t key);
void bt_keymap_free(const bt_alloc *a, bt_keymap *m);

#endif
