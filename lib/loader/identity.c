/* A model's identity: a 64-bit hash of a canonical form of the parsed
 * document, so that what a modeler or a formatter changes on every save
 * leaves it alone and anything the engine could read changes it.
 *
 * What does not count:
 *   - namespace prefixes and xmlns declarations (names are compared by
 *     namespace URI and local name; xsi:type values, which are QNames,
 *     by the URI their prefix is bound to);
 *   - the order of attributes (each attribute is hashed on its own and
 *     the element keeps their sum, which no order changes);
 *   - comments, processing instructions, and text that is whitespace
 *     only (after the comments between its pieces are dropped);
 *   - the bpmndi:BPMNDiagram subtree (the BPMN DI namespace) and
 *     bpmn:documentation elements;
 *   - the modeler's stamps: the definitions' `exporter` and
 *     `exporterVersion`, and every attribute in the Camunda modeler
 *     namespace (modeler:executionPlatform, ...).
 * Everything else counts, exactly: element and attribute names and
 * values, ids, names, text (expressions, scripts, conditions) and every
 * extension element, known to the loader or not. A semantic change can
 * then never keep the identity; a harmless one beyond the list above
 * (a changed name, a moved text annotation) makes a new version, which
 * costs a deployment and nothing else.
 *
 * Linear in the document and bounded in depth: the tree is walked
 * without recursion, each node once (a run of text twice), and the
 * lookups of xsi:type prefixes share one budget of steps proportional
 * to the document's size (past it, a value counts verbatim: a different
 * identity, never a shared one). No allocation. */
#include "loader/loader.h"

#define NS_BPMNDI "http://www.omg.org/spec/BPMN/20100524/DI"
#define NS_MODELER "http://camunda.org/schema/modeler/1.0"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* Changes when the canonical form does, so that two forms never share a
 * hash by accident. */
#define IDENTITY_FORM "baton-model-identity-1"

typedef struct ident {
    uint64_t h;
    const xmlNode *root;
    size_t budget; /* steps left for xsi:type prefix lookups */
    int lost;      /* libxml2 dropped a value it could not allocate */
} ident;

static uint64_t add(uint64_t h, const void *p, size_t n)
{
    return bt_fnv1a64(p, n, h);
}

static uint64_t add_str(uint64_t h, const xmlChar *s)
{
    /* A NUL ends each string: names and text never hold one. */
    const char *c = s ? (const char *)s : "";
    return add(h, c, strlen(c) + 1);
}

static uint64_t add_u64(uint64_t h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return add(h, b, 8);
}

/* Spreads an attribute's FNV hash over all 64 bits before it is summed
 * with its siblings' (splitmix64's finaliser). */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static int ns_is(const xmlNs *ns, const char *href)
{
    return ns && ns->href && strcmp((const char *)ns->href, href) == 0;
}

static int named(const xmlNode *n, const char *href, const char *local)
{
    return ns_is(n->ns, href) && strcmp((const char *)n->name, local) == 0;
}

static int dropped_element(const xmlNode *n)
{
    return named(n, NS_BPMNDI, "BPMNDiagram") ||
           named(n, BT_NS_BPMN, "documentation");
}

static int dropped_attr(const ident *st, const xmlNode *owner,
                        const xmlAttr *a)
{
    if (ns_is(a->ns, NS_MODELER))
        return 1;
    return owner == st->root && !a->ns &&
           (strcmp((const char *)a->name, "exporter") == 0 ||
            strcmp((const char *)a->name, "exporterVersion") == 0);
}

/* The namespace `prefix` (n bytes; NULL for the default namespace) is
 * bound to at `n`, or NULL when unbound or the budget ran out. */
static const xmlChar *lookup_ns(ident *st, const xmlNode *at,
                                const xmlChar *prefix, size_t n)
{
    for (const xmlNode *e = at; e && e->type == XML_ELEMENT_NODE;
         e = e->parent) {
        for (const xmlNs *d = e->nsDef;; d = d->next) {
            if (!st->budget)
                return NULL;
            st->budget--;
            if (!d)
                break;
            if (prefix ? d->prefix &&
                             strncmp((const char *)d->prefix,
                                     (const char *)prefix, n) == 0 &&
                             d->prefix[n] == 0
                       : !d->prefix)
                return d->href;
        }
    }
    return NULL;
}

/* xsi:type="bpmn:tFormalExpression": the QName by its namespace URI. */
static uint64_t add_qname(ident *st, uint64_t h, const xmlNode *owner,
                          const xmlChar *v)
{
    const xmlChar *colon = (const xmlChar *)strchr((const char *)v, ':');
    const xmlChar *local = colon ? colon + 1 : v;
    const xmlChar *uri =
        lookup_ns(st, owner, colon ? v : NULL, colon ? (size_t)(colon - v) : 0);
    if (!uri && colon)
        return add_str(add(h, "v", 1), v);
    h = add(h, "q", 1);
    return add_str(add_str(h, uri), local);
}

static uint64_t attr_digest(ident *st, const xmlNode *owner,
                            const xmlAttr *a)
{
    uint64_t h = add_str(BT_FNV_SEED, a->ns ? a->ns->href : NULL);
    h = add_str(h, a->name);
    const xmlNode *v = a->children;
    /* The parser gives every attribute a text child, "" included: none
     * means libxml2 ran out of memory and told only its global handler
     * (as bt_load_attr() knows). */
    if (!v)
        st->lost = 1;
    if (ns_is(a->ns, NS_XSI) && strcmp((const char *)a->name, "type") == 0 &&
        v && !v->next && v->type == XML_TEXT_NODE && v->content)
        return mix(add_qname(st, h, owner, v->content));
    h = add(h, "v", 1);
    for (; v; v = v->next)
        h = v->type == XML_TEXT_NODE ? add(h, v->content,
                                           v->content ? strlen((const char *)
                                                                   v->content)
                                                      : 0)
                                     : add_str(add(h, "&", 1), v->name);
    return mix(add(h, "", 1));
}

static void open_element(ident *st, const xmlNode *n)
{
    uint64_t sum = 0;
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (!dropped_attr(st, n, a))
            sum += attr_digest(st, n, a);
    uint64_t h = add(st->h, "<", 1);
    h = add_str(h, n->ns ? n->ns->href : NULL);
    h = add_str(h, n->name);
    st->h = add_u64(h, sum);
}

static int texty(const xmlNode *n)
{
    return n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE ||
           n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE;
}

static int has_text(const xmlNode *n)
{
    return n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE;
}

static int blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

/* A run of text, CDATA, comments and processing instructions from `n`:
 * its text, joined, counts unless it is all whitespace. Returns the
 * run's last node. */
static const xmlNode *text_run(ident *st, const xmlNode *n)
{
    const xmlNode *last = n;
    int all_blank = 1;
    for (const xmlNode *t = n; t && texty(t); t = t->next) {
        if (has_text(t) && !t->content)
            st->lost = 1; /* a text node whose copy failed */
        if (has_text(t) && !blank(t->content))
            all_blank = 0;
        last = t;
    }
    if (all_blank)
        return last;
    uint64_t h = add(st->h, "t", 1);
    for (const xmlNode *t = n;; t = t->next) {
        if (has_text(t) && t->content)
            h = add(h, t->content, strlen((const char *)t->content));
        if (t == last)
            break;
    }
    st->h = add(h, "", 1);
    return last;
}

int bt_load_identity(const xmlNode *root, size_t doc_len, uint64_t *out)
{
    ident st = { add_str(BT_FNV_SEED, BAD_CAST IDENTITY_FORM), root,
                 doc_len + 64, 0 };
    const xmlNode *n = root;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && !dropped_element(n)) {
            open_element(&st, n);
            if (n->children) {
                n = n->children;
                continue;
            }
            st.h = add(st.h, ">", 1);
        } else if (texty(n)) {
            n = text_run(&st, n);
        }
        /* Entity references cannot occur: the loader declares none and
         * libxml2 expands the predefined ones into text. */
        while (n != root && !n->next) {
            n = n->parent;
            st.h = add(st.h, ">", 1);
        }
        n = n == root ? NULL : n->next;
    }
    *out = st.h;
    return st.lost ? -1 : 0;
}
