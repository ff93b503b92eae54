/* The BPMN loader as the layers above see it: a document in, a model or
 * its problems out. libxml2 stays behind this header. */
#ifndef BT_LOADER_MODEL_LOAD_H
#define BT_LOADER_MODEL_LOAD_H

#include "model/model.h"

/* A problem found while loading. */
typedef struct bt_problem {
    int code;            /* BATON_E* */
    int line;            /* 0 when unknown */
    int column;          /* 0 when unknown */
    const char *tag;     /* BPMN local name, or NULL */
    const char *id;      /* element id, or NULL */
    const char *message; /* without location */
} bt_problem;

typedef void (*bt_problem_fn)(void *ud, const bt_problem *p);

typedef struct bt_load_limits {
    size_t max_bytes;
    int max_depth;
    long max_elements;
} bt_load_limits;

/* Parses and checks a document. Calls `report` for every problem found (it
 * keeps going where it can, so `baton check` lists them all) and returns
 * the code of the first problem, or 0 with a model holding one reference
 * in `*out`. `source_name` may be NULL. */
int bt_parse_bpmn(const bt_alloc *a, const bt_load_limits *lim,
                  const char *xml, size_t len, const char *source_name,
                  bt_problem_fn report, void *report_ud, baton_model **out);

#endif
