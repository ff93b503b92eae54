/* What the BPMN core of the loader asks of a dialect reader (zeebe.c,
 * camunda7.c), and what extensions.c lends them. A dialect is the
 * namespace of its extension elements and attributes plus the hooks
 * below. extensions.c calls every dialect in the order of its table and
 * each child of extensionElements in document order, so that problems
 * and mappings keep that order when a model mixes dialects. A further
 * dialect is one more file, declared below and listed in that table. */
#ifndef BT_LOADER_DIALECT_H
#define BT_LOADER_DIALECT_H

#include "loader/loader.h"

/* What an element's extensions declare, so that its arrays are
 * allocated once. */
typedef struct bt_ext_counts {
    uint32_t headers, inputs, outputs;
} bt_ext_counts;

typedef struct bt_dialect {
    const char *ns;
    /* Adds to `k` what `c`, a child of extensionElements in ns,
     * declares. */
    void (*count)(const xmlNode *c, bt_ext_counts *k);
    /* Job settings that hold unless a job definition read after them
     * replaces them; NULL when the dialect has none. */
    void (*job_defaults)(bt_loader *ld, bt_element *e, const xmlNode *n);
    /* Reads the job of flow node `n`; returns 0 when `n` defines none in
     * this dialect, and the next dialect is asked. */
    int (*job)(bt_loader *ld, bt_element *e, const xmlNode *n);
    /* Reads the headers and mappings of `c`, a child of extensionElements
     * in ns, into the arrays `count` sized (e->headers is NULL where the
     * element takes none). */
    void (*read)(bt_loader *ld, bt_element *e, const xmlNode *c);
    /* Reads what error event definition `d` of catch event `e` says about
     * the error it catches; NULL when the dialect says nothing. */
    void (*caught_error)(bt_loader *ld, bt_element *e, const xmlNode *d);
    /* Reads what message `m`, which catch event or receive task `e`
     * waits for, says of its subscription (a correlation key); NULL when
     * the dialect says nothing. */
    void (*subscription)(bt_loader *ld, bt_element *e, const xmlNode *m);
} bt_dialect;

extern const bt_dialect bt_dialect_zeebe;
extern const bt_dialect bt_dialect_camunda7;

/* The children of `n`'s extensionElements, in document order: `c` NULL
 * gives the first, then each gives the next; NULL after the last. */
const xmlNode *bt_ext_next(const xmlNode *n, const xmlNode *c);

/* The last child of `n`'s extensionElements named `ns`:`name`, or NULL. */
const xmlNode *bt_ext_last(const xmlNode *n, const char *ns,
                           const char *name);

/* Where `e`'s expressions sit, for their problems. */
bt_expr_site bt_ext_site(const bt_element *e);

/* `text` as a constant string; reports it at `e` when it is not valid. */
bt_expr *bt_ext_literal(bt_loader *ld, const bt_element *e, const char *text);

/* The expression `null`, where a dialect maps nothing to null. */
bt_expr *bt_ext_null(bt_loader *ld, const bt_element *e);

/* Adds header `g` (`what`, a zeebe:header or camunda:property: its name
 * in attribute `name_attr`, its value in "value") to `e`'s job; reports
 * it when it has no name. */
void bt_ext_header(bt_loader *ld, bt_element *e, const xmlNode *g,
                   const char *what, const char *name_attr);

/* Reads the decimal digits at `p` into `*v`, stopping once `*v` is past
 * INT32_MAX; returns where they end. */
const char *bt_ext_digits(const char *p, long *v);

#endif
