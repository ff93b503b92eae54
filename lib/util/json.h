/* JSON text to jansson values and back, with Baton's caps: duplicate keys
 * refused, depth capped, every allocation failure reported. */
#ifndef BT_UTIL_JSON_H
#define BT_UTIL_JSON_H

#include <jansson.h>

#include "util/mem.h"

/* The deepest JSON Baton reads anywhere (the parser recurses). */
#define BT_JSON_MAX_DEPTH 1024

typedef struct bt_json_error {
    int line, column;
    const char *message;
} bt_json_error;

/* Parses JSON text: duplicate keys refused, depth capped. Returns 0,
 * BATON_EPARSE, BATON_ELIMIT (depth) or BATON_ENOMEM. */
int bt_json_load(const bt_alloc *a, const char *text, size_t len,
                 int max_depth, json_t **out, bt_json_error *err);

/* Serialises `v` compactly into a baton_free() buffer. */
int bt_json_dump(const bt_alloc *a, const json_t *v, char **out,
                 size_t *len);

/* A shallow copy of the object `obj` (members shared), or NULL when out
 * of memory. */
json_t *bt_json_object_copy(const json_t *obj);

#endif
