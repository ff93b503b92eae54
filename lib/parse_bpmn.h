/* Shared by the two halves of the BPMN loader: parse_bpmn.c (the secure
 * XML stage, processes, flows and validation) and parse_ext.c (the Zeebe
 * and Camunda 7 extensions: jobs, headers, input and output mappings).
 * Nothing else includes this header, so libxml2 stays inside the loader. */
#ifndef BT_PARSE_BPMN_H
#define BT_PARSE_BPMN_H

#include <libxml/tree.h>
#include <string.h>

#include "model.h"

#ifndef BT_PRINTF
#ifdef __GNUC__
#define BT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BT_PRINTF(f, a)
#endif
#endif

#define BT_NS_BPMN "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define BT_NS_ZEEBE "http://camunda.org/schema/zeebe/1.0"
#define BT_NS_CAMUNDA "http://camunda.org/schema/1.0/bpmn"

/* Where a refused construct sits; see the table in parse_bpmn.c. */
enum bt_refusal_kind {
    BT_REFUSE_ELEMENT, /* a child of a process */
    BT_REFUSE_EVDEF,   /* an event definition on an event */
    BT_REFUSE_CHILD,   /* a child of an activity */
    BT_REFUSE_EXT,     /* an element inside extensionElements */
    BT_REFUSE_ATTR     /* an attribute of a task */
};

typedef struct bt_stored_problem {
    bt_problem p;
    size_t seq;
} bt_stored_problem;

typedef struct bt_id_slot bt_id_slot;

typedef struct bt_id_map {
    bt_id_slot *slots;
    size_t cap;
    size_t count;
} bt_id_map;

typedef struct bt_loader {
    bt_alloc alloc;
    size_t max_bytes;
    int max_depth;
    long max_elements;
    bt_arena *ar;     /* the model's arena */
    bt_arena scratch; /* problems and temporary text */
    bt_stored_problem *probs;
    size_t n_probs, cap_probs;
    int oom; /* an allocation failed: the load ends with BATON_ENOMEM */
    /* XML stage */
    int depth;
    long elements;
    int xml_failed;
    /* model stage */
    bt_id_map ids;
} bt_loader;

/* Where an expression sits, for its problems. */
typedef struct bt_expr_site {
    const char *tag;
    const char *id;
    int line;
} bt_expr_site;

static inline int bt_is_elem(const xmlNode *n, const char *ns)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, ns) == 0;
}

static inline int bt_is_elem_named(const xmlNode *n, const char *ns,
                                   const char *name)
{
    return bt_is_elem(n, ns) && strcmp((const char *)n->name, name) == 0;
}

static inline const char *bt_tag_of(const xmlNode *n)
{
    return (const char *)n->name;
}

/* Records a problem; strings are copied, so callers may pass pointers
 * into the tree. */
BT_PRINTF(7, 8)
void bt_load_problem(bt_loader *ld, int code, int line, int column,
                     const char *tag, const char *id, const char *fmt, ...);

/* The message for something the table refuses, or NULL. */
const char *bt_load_refusal(int where, const char *ns, const char *name);

/* 1-based line of the element's start tag, 0 when unknown. */
int bt_load_line(const xmlNode *n);

/* An attribute's value, borrowed from the tree, or NULL when absent. `ns`
 * NULL means an unqualified attribute, as BPMN's own are. */
const char *bt_load_attr(bt_loader *ld, const xmlNode *n, const char *ns,
                         const char *name);

/* The element's direct text and CDATA, trimmed, in scratch memory. */
const char *bt_load_text(bt_loader *ld, const xmlNode *n, size_t *len);

/* A copy in the model's arena; NULL for NULL. */
const char *bt_load_dup(bt_loader *ld, const char *s);

/* Compiles in the model's arena; reports BATON_EEXPR at `at` on error. */
bt_expr *bt_load_compile(bt_loader *ld, const bt_expr_site *at,
                         const char *text, size_t len, int dialect);

int bt_load_has_job(int kind);

/* Job type, retries, headers and mappings of a supported flow node. */
void bt_load_extensions(bt_loader *ld, bt_element *e, const xmlNode *n);

#endif
