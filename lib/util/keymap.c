#include "util/keymap.h"

#include "baton.h"

static void insert(bt_keymap *m, uint64_t key, void *value)
{
    size_t i = bt_keymap_home(m, key);
    while (m->slots[i].key && m->slots[i].key != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].key)
        m->count++;
    m->slots[i].key = key;
    m->slots[i].value = value;
}

int bt_keymap_grow(const bt_alloc *a, bt_keymap *m, size_t need)
{
    size_t cap = m->cap ? m->cap : 4;
    while (need * 2 > cap) {
        if (cap > SIZE_MAX / 4 / sizeof *m->slots)
            return BATON_ENOMEM;
        cap *= 2;
    }
    bt_keymap_slot *slots = bt_calloc(a, cap, sizeof *slots);
    if (!slots)
        return BATON_ENOMEM;
    bt_keymap old = *m;
    m->slots = slots;
    m->cap = cap;
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key)
            insert(m, old.slots[i].key, old.slots[i].value);
    bt_free(a, old.slots);
    return 0;
}

void bt_keymap_put(bt_keymap *m, uint64_t key, void *value)
{
    insert(m, key, value);
}

void bt_keymap_del(bt_keymap *m, uint64_t key)
{
    if (!m->cap || !key)
        return;
    size_t mask = m->cap - 1, i = bt_keymap_home(m, key);
    while (m->slots[i].key != key) {
        if (!m->slots[i].key)
            return;
        i = (i + 1) & mask;
    }
    /* Backward shift: move later entries of the run into the hole when
     * their home slot does not lie between the hole and them. */
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = bt_keymap_home(m, m->slots[j].key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = 0;
    m->slots[i].value = NULL;
    m->count--;
}

void bt_keymap_free(const bt_alloc *a, bt_keymap *m)
{
    bt_free(a, m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}
