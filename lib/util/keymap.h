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

/* Makes room for `extra` more entries. Returns 0 or BATON_ENOMEM (the map
 * unchanged). */
int bt_keymap_reserve(const bt_alloc *a, bt_keymap *m, size_t extra);
/* Inserts or replaces; room must have been reserved. */
void bt_keymap_put(bt_keymap *m, uint64_t key, void *value);
void *bt_keymap_get(const bt_keymap *m, uint64_t key);
void bt_keymap_del(bt_keymap *m, uint64_t key);
void bt_keymap_free(const bt_alloc *a, bt_keymap *m);

#endif
