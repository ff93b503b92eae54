/* The BPMN loader: turns an untrusted BPMN 2.0 document into a model.
 *
 * Two stages. The XML stage runs libxml2 on a private parser context with
 * explicit options and its own SAX callbacks: a DOCTYPE stops the parse
 * before its internal subset is read (so no entity is ever declared, let
 * alone expanded, and no DTD is fetched), depth and element counts are
 * checked as each element starts, and errors go to the context's own
 * callback, never to stderr. The model stage walks the tree, maps what
 * Baton runs to bt_element/bt_flow, refuses what it cannot run and
 * validates the rest, collecting every problem before reporting them in
 * document order. Subprocesses, boundary events and compensation have
 * their rules in events.c, the other event definitions theirs in
 * evdefs.c; what the Zeebe and Camunda 7 dialects add is read through
 * extensions.c.
 *
 * libxml2 is included by the files of lib/loader/ only, so it can be
 * replaced in one place. */
#include "loader/loader.h"

#include <libxml/SAX2.h>
#include <libxml/dict.h>
#include <libxml/encoding.h>
#include <libxml/parser.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "baton.h"

#define DEFAULT_MAX_BYTES ((size_t)16 << 20)
#define DEFAULT_MAX_DEPTH 256
#define DEFAULT_MAX_ELEMENTS 1000000L

/* NONET: no network even if something slipped through. BIG_LINES: line
 * numbers past 65535 (2.9 otherwise caps them). Deliberately absent:
 * NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE. */
#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES)

/* ------------------------------------------------------------------ */
/* What this version runs, ignores and refuses                         */
/* ------------------------------------------------------------------ */

/* The flow nodes that run are the rows of the kind table
 * (model/kinds.def). */

/* Children of a process or subprocess that do not change how it runs.
 * Associations are read for compensation handlers (events.c) and
 * ignored otherwise. */
static const char *const ignored_in_process[] = {
    "documentation", "extensionElements", "laneSet", "textAnnotation",
    "association", "group", "category", "dataObject", "dataObjectReference",
    "dataStoreReference", "property", "ioSpecification", "auditing",
    "monitoring", "performer", "humanPerformer", "potentialOwner",
    "resourceRole", "ioBinding",
};

/* Children of a flow node that do not change how it runs. incoming and
 * outgoing are rebuilt from the flows' sourceRef/targetRef, which BPMN
 * 2.0.2 §10.5.1 makes authoritative. Data associations and resource roles
 * are the host's business (it sees the job). A scriptTask's `script`
 * is read by scripts.c. */
static const char *const ignored_in_node[] = {
    "incoming", "outgoing", "documentation", "extensionElements",
    "ioSpecification", "dataInputAssociation", "dataOutputAssociation",
    "property", "dataInput", "dataOutput", "inputSet", "outputSet",
    "auditing", "monitoring", "performer", "humanPerformer",
    "potentialOwner", "resourceRole", "rendering", "script",
    "categoryValueRef",
    "multiInstanceLoopCharacteristics", /* read by check_node */
    "standardLoopCharacteristics",      /* read by check_node */
};

/* Everything this version refuses on purpose, with the message users see.
 * BPMN elements that appear in neither the kind table nor the ignore lists
 * are refused too, as "<tag> is not supported". A later version that runs
 * one of these removes its line here and handles it. */
static const struct refusal {
    int where;
    const char *ns; /* NULL for an unqualified attribute */
    const char *name;
    const char *message;
} refusals[] = {
#define ELEMENT(n) { BT_REFUSE_ELEMENT, BT_NS_BPMN, n, n " is not supported" }
    ELEMENT("adHocSubProcess"),
    ELEMENT("complexGateway"),
#undef ELEMENT
#define EVDEF(n)                                                              \
    { BT_REFUSE_EVDEF, BT_NS_BPMN, n "EventDefinition",                       \
      n " event definitions are not supported" }
    /* The other definitions are run where BPMN allows them; events.c
     * says where that is not. */
#undef EVDEF
    { BT_REFUSE_EVDEF, BT_NS_BPMN, "eventDefinitionRef",
      "event definition references are not supported" },
    /* The engine itself would evaluate these (a DMN decision in Zeebe
     * and in Camunda 7): turning them into a job would silently change
     * what the model does. */
    { BT_REFUSE_EXT, BT_NS_ZEEBE, "calledDecision",
      "zeebe:calledDecision is not supported" },
    { BT_REFUSE_ATTR, BT_NS_CAMUNDA, "decisionRef",
      "camunda:decisionRef is not supported" },
};

const char *bt_load_refusal(int where, const char *ns, const char *name)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const struct refusal *r = &refusals[i];
        if (r->where == where && strcmp(r->name, name) == 0 &&
            (r->ns ? ns && strcmp(r->ns, ns) == 0 : !ns))
            return r->message;
    }
    return NULL;
}

static int in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

#define IN_LIST(list, s) in_list(list, sizeof list / sizeof list[0], s)

/* ------------------------------------------------------------------ */
/* Problems                                                            */
/* ------------------------------------------------------------------ */

struct bt_id_slot {
    const char *key; /* borrowed from the tree; NULL when free */
    uint64_t hash;
    int32_t proc;
    int32_t index;
    int what;
};

static char *scratch_dup(bt_loader *ld, const char *s)
{
    if (!s)
        return NULL;
    char *d = bt_arena_strdup(&ld->scratch, s);
    if (!d)
        ld->oom = 1;
    return d;
}

/* Records a problem; strings are copied, so callers may pass pointers
 * into the tree. */
void bt_load_problem(bt_loader *ld, int code, int line, int column,
                     const char *tag, const char *id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (bt_grow(&ld->alloc, (void **)&ld->probs, &ld->cap_probs,
                ld->n_probs + 1, sizeof *ld->probs)) {
        ld->oom = 1;
        return;
    }
    bt_stored_problem *sp = &ld->probs[ld->n_probs];
    sp->p.code = code;
    sp->p.line = line;
    sp->p.column = column;
    sp->p.tag = scratch_dup(ld, tag);
    sp->p.id = id && *id ? scratch_dup(ld, id) : NULL;
    sp->p.message = scratch_dup(ld, msg);
    sp->seq = ld->n_probs;
    if (!sp->p.message)
        return;
    ld->n_probs++;
}

static int problem_order(const void *a, const void *b)
{
    const bt_stored_problem *x = a, *y = b;
    if (x->p.line != y->p.line)
        return x->p.line < y->p.line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reports everything in document order; returns the first code or 0. */
static int report_problems(bt_loader *ld, bt_problem_fn report, void *ud)
{
    if (ld->oom) {
        bt_problem p = { BATON_ENOMEM, 0, 0, NULL, NULL, "out of memory" };
        if (report)
            report(ud, &p);
        return BATON_ENOMEM;
    }
    if (ld->n_probs == 0)
        return 0;
    qsort(ld->probs, ld->n_probs, sizeof *ld->probs, problem_order);
    if (report)
        for (size_t i = 0; i < ld->n_probs; i++)
            report(ud, &ld->probs[i].p);
    return ld->probs[0].p.code;
}

/* ------------------------------------------------------------------ */
/* Ids: one table for the document, so lookups stay linear overall     */
/* ------------------------------------------------------------------ */

static uint64_t id_hash(const char *s)
{
    return bt_fnv1a64(s, strlen(s), BT_FNV_SEED);
}

static bt_id_slot *id_find(const bt_id_map *m, const char *key)
{
    if (!m->cap)
        return NULL;
    uint64_t h = id_hash(key);
    for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        bt_id_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

static int id_grow(bt_loader *ld)
{
    bt_id_map *m = &ld->ids;
    size_t cap = m->cap ? m->cap * 2 : 256;
    bt_id_slot *slots = bt_calloc(&ld->alloc, cap, sizeof *slots);
    if (!slots)
        return BATON_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        bt_id_slot *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t j = (size_t)s->hash & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    bt_free(&ld->alloc, m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int bt_load_ref(const bt_loader *ld, const char *ref, int32_t *proc,
                int32_t *index)
{
    const bt_id_slot *s = ref && *ref ? id_find(&ld->ids, ref) : NULL;
    if (!s)
        return -1;
    *proc = s->proc;
    *index = s->index;
    return s->what;
}

/* Adds `key`; returns the existing slot when the id is taken, else NULL
 * (also on out of memory, which sets ld->oom). */
static bt_id_slot *id_add(bt_loader *ld, const char *key, int32_t proc,
                          int what, int32_t index)
{
    bt_id_slot *old = id_find(&ld->ids, key);
    if (old)
        return old;
    bt_id_map *m = &ld->ids;
    if ((m->count + 1) * 2 > m->cap && id_grow(ld)) {
        ld->oom = 1;
        return NULL;
    }
    uint64_t h = id_hash(key);
    size_t i = (size_t)h & (m->cap - 1);
    while (m->slots[i].key)
        i = (i + 1) & (m->cap - 1);
    m->slots[i] = (bt_id_slot){ key, h, proc, index, what };
    m->count++;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* XML stage                                                           */
/* ------------------------------------------------------------------ */

/* Finds the nearest `needle` before the parser's position and gives its
 * line and column. Used at a start tag (whose attribute values cannot
 * hold a literal '<') and at a DOCTYPE, so the location is where the
 * construct begins rather than where libxml2 has got to. The scan covers
 * the construct itself; the column comes from libxml2's own when the
 * construct sits on one line, and otherwise from a scan back to the start
 * of its first line, which only the last construct of a line can need:
 * linear overall, even for a million elements on one line. */
static void locate_back(xmlParserCtxtPtr ctxt, const char *needle, int *line,
                        int *col)
{
    xmlParserInputPtr in = ctxt->input;
    size_t nlen = strlen(needle);
    int l = in->line;
    *line = in->line;
    *col = in->col;
    for (const xmlChar *q = in->cur; q > in->base;) {
        q--;
        if (*q == '\n') {
            l--;
            continue;
        }
        if (*q != (xmlChar)needle[0] || (size_t)(in->end - q) < nlen ||
            memcmp(q, needle, nlen) != 0)
            continue;
        *line = l;
        if (l == in->line && in->col > (int)(in->cur - q)) {
            *col = in->col - (int)(in->cur - q);
        } else {
            const xmlChar *s = q;
            while (s > in->base && s[-1] != '\n')
                s--;
            *col = (int)(q - s) + 1;
        }
        return;
    }
}

static bt_loader *ctxt_loader(void *ctx)
{
    return ((xmlParserCtxtPtr)ctx)->_private;
}

BT_PRINTF(5, 6)
static void xml_fail(xmlParserCtxtPtr ctxt, int code, int line, int col,
                     const char *fmt, ...)
{
    bt_loader *ld = ctxt_loader(ctxt);
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!ld->xml_failed)
        bt_load_problem(ld, code, line, col, NULL, NULL, "%s", msg);
    ld->xml_failed = 1;
    xmlStopParser(ctxt);
}

/* Whether every namespace a start tag declares made it into the tree:
 * xmlSAX2StartElementNs() leaves out one whose xmlNewNs() failed, and
 * xmlNewNs() does not check its copies of the name and prefix. libxml2
 * 2.9 tells only its global handler, and the names in the declaration's
 * scope would read as unqualified. */
static int ns_declared(const xmlNode *node, int nb_ns, const xmlChar **ns)
{
    for (int i = 0; i < nb_ns; i++) {
        const xmlChar *prefix = ns[2 * i], *href = ns[2 * i + 1];
        const xmlNs *d = node->nsDef;
        while (d && !(d->href && xmlStrEqual(d->href, href) &&
                      (prefix ? d->prefix && xmlStrEqual(d->prefix, prefix)
                              : !d->prefix)))
            d = d->next;
        if (!d)
            return 0;
    }
    return 1;
}

static void sax_start(void *ctx, const xmlChar *localname,
                      const xmlChar *prefix, const xmlChar *uri, int nb_ns,
                      const xmlChar **ns, int nb_attrs, int nb_defaulted,
                      const xmlChar **attrs)
{
    xmlParserCtxtPtr ctxt = ctx;
    bt_loader *ld = ctxt_loader(ctx);
    int line, col;
    locate_back(ctxt, "<", &line, &col);
    if (++ld->depth > ld->max_depth) {
        xml_fail(ctxt, BATON_ELIMIT, line, col,
                 "elements nest deeper than the limit of %d", ld->max_depth);
        return;
    }
    if (++ld->elements > ld->max_elements) {
        xml_fail(ctxt, BATON_ELIMIT, line, col,
                 "document has more elements than the limit of %ld",
                 ld->max_elements);
        return;
    }
    xmlNodePtr parent = ctxt->node;
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_ns, ns, nb_attrs,
                          nb_defaulted, attrs);
    if (!ctxt->node || ctxt->node == parent)
        return; /* not built: xmlSAX2StartElementNs() said why */
    if (!ns_declared(ctxt->node, nb_ns, ns)) {
        ld->oom = 1;
        ld->xml_failed = 1;
        xmlStopParser(ctxt);
        return;
    }
    /* The exact line of the start tag, kept where the tree has room for
     * the application's own data. */
    if (line > 0)
        ctxt->node->_private = (void *)(uintptr_t)line;
}

static void sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                    const xmlChar *uri)
{
    ctxt_loader(ctx)->depth--;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

/* Called once the DOCTYPE's name and external id are read and before its
 * internal subset: stopping here means no declaration is ever seen. */
static void sax_doctype(void *ctx, const xmlChar *name,
                        const xmlChar *external_id, const xmlChar *system_id)
{
    int line, col;
    locate_back(ctx, "<!DOCTYPE", &line, &col);
    xml_fail(ctx, BATON_EPARSE, line, col, "DOCTYPE is not allowed");
}

/* Belt and braces behind sax_doctype: nothing declared, nothing found,
 * nothing resolved. Predefined entities (&amp; ...) never reach these. */
static xmlEntityPtr sax_no_entity(void *ctx, const xmlChar *name)
{
    return NULL;
}

static xmlParserInputPtr sax_no_resolve(void *ctx, const xmlChar *public_id,
                                        const xmlChar *system_id)
{
    return NULL;
}

static void sax_no_entity_decl(void *ctx, const xmlChar *name, int type,
                               const xmlChar *public_id,
                               const xmlChar *system_id, xmlChar *content)
{
}

static void sax_no_subset(void *ctx, const xmlChar *name,
                          const xmlChar *external_id, const xmlChar *system_id)
{
}

static void sax_no_reference(void *ctx, const xmlChar *name)
{
}

static void sax_silent(void *ctx, const char *msg, ...)
{
}

/* The input lost its buffer: growing it, or transcoding into it from the
 * document's encoding, ran out of memory. libxml2 2.9 tells only its
 * global handler, and the parse then fails with another error
 * ("switching encoding: encoder error", a premature end, ...). */
static int input_out_of_memory(xmlParserCtxtPtr ctxt)
{
    xmlParserInputBufferPtr b = ctxt->input ? ctxt->input->buf : NULL;
    return b && (b->error == XML_ERR_NO_MEMORY || !b->buffer ||
                 !xmlBufContent(b->buffer) ||
                 (b->raw && !xmlBufContent(b->raw)));
}

/* libxml2 2.9 reads a failed xmlDictLookup() of a prefixed namespace
 * declaration's value as an empty value: it is one only when the value
 * just read, which ends at the parser's position, is "" or ''. */
static int empty_ns_misread(xmlParserCtxtPtr ctxt, const xmlError *e)
{
    if (e->code != XML_NS_ERR_XML_NAMESPACE ||
        !strstr(e->message, "Empty XML namespace"))
        return 0;
    const xmlParserInput *in = ctxt->input;
    if (!in || !in->cur || in->cur - in->base < 2)
        return 1;
    xmlChar q = in->cur[-1];
    return !((q == '"' || q == '\'') && in->cur[-2] == q);
}

/* libxml2 2.9 drops names from its dictionary when growing it runs out of
 * memory (xmlDictGrow(): "losing an entry and unicity guarantee"). A name
 * looked up again then comes back as another pointer, and the parser,
 * which compares names by pointer, no longer knows "xmlns" for a
 * namespace declaration nor a prefix bound before (it reports it
 * unbound). */
static int dict_lost_names(xmlParserCtxtPtr ctxt)
{
    return xmlDictExists(ctxt->dict, BAD_CAST "xml", 3) != ctxt->str_xml ||
           xmlDictExists(ctxt->dict, BAD_CAST "xmlns", 5) != ctxt->str_xmlns ||
           xmlDictExists(ctxt->dict, XML_XML_NAMESPACE, -1) !=
               ctxt->str_xml_ns;
}

static int bound_prefix_misread(xmlParserCtxtPtr ctxt, const xmlError *e)
{
    if (e->code != XML_NS_ERR_UNDEFINED_NAMESPACE || !e->str1)
        return 0;
    for (int i = 0; i + 1 < ctxt->nsNr; i += 2)
        if (ctxt->nsTab[i] &&
            xmlStrEqual(ctxt->nsTab[i], (const xmlChar *)e->str1))
            return 1;
    return dict_lost_names(ctxt);
}

/* libxml2 2.9 says "Unsupported encoding" when xmlFindCharEncodingHandler()
 * cannot allocate the handler: it was unsupported only if it still is. */
static int encoding_misread(const xmlError *e)
{
    if (e->code != XML_ERR_UNSUPPORTED_ENCODING || !e->str1)
        return 0;
    xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(e->str1);
    if (!h)
        return 0;
    xmlCharEncCloseFunc(h);
    return 1;
}

static void sax_error(void *ud, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ud;
    bt_loader *ld = ctxt_loader(ctxt);
    if (!e || e->level < XML_ERR_ERROR || ld->xml_failed)
        return;
    /* A namespace name that is not a URI is a warning in all but level
     * (libxml2 keeps the document well formed): names are compared as
     * strings here. It is also what libxml2 2.9 says when xmlParseURI()
     * runs out of memory. */
    if (e->code == XML_WAR_NS_URI)
        return;
    ld->xml_failed = 1;
    /* No message: formatting it ran out of memory. */
    if (e->code == XML_ERR_NO_MEMORY || !e->message ||
        input_out_of_memory(ctxt) || empty_ns_misread(ctxt, e) ||
        bound_prefix_misread(ctxt, e) || encoding_misread(e)) {
        ld->oom = 1;
        return;
    }
    char msg[256];
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "malformed XML");
    /* One line, no trailing newline, lowercase first as our messages are
     * (but keep "XML ..." and "UTF-8 ..." as they are). */
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (msg[i] == '\n')
            msg[i] = ' ';
    if (msg[0] >= 'A' && msg[0] <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z')
        msg[0] = (char)(msg[0] - 'A' + 'a');
    int code = BATON_EPARSE;
    /* libxml2's own nesting limit (256 without XML_PARSE_HUGE). */
    if (e->code == XML_ERR_INTERNAL_ERROR && strstr(msg, "depth"))
        code = BATON_ELIMIT;
    bt_load_problem(ld, code, e->line, e->int2, NULL, NULL, "%s", msg);
}

/* Encodings whose text holds NUL bytes (UTF-16/32, with or without BOM). */
static int wide_encoding(const unsigned char *p, size_t len)
{
    return len >= 2 &&
           (p[0] == 0 || p[1] == 0 || (p[0] == 0xFE && p[1] == 0xFF) ||
            (p[0] == 0xFF && p[1] == 0xFE));
}

/* libxml2 2.9 treats a NUL byte as the end of its input, so anything
 * after one would go unseen; refuse it outright. */
static int check_nul(bt_loader *ld, const char *xml, size_t len)
{
    if (wide_encoding((const unsigned char *)xml, len))
        return 0;
    const char *nul = memchr(xml, 0, len);
    if (!nul)
        return 0;
    int line = 1;
    const char *ls = xml;
    for (const char *p = xml; p < nul; p++)
        if (*p == '\n') {
            line++;
            ls = p + 1;
        }
    bt_load_problem(ld, BATON_EPARSE, line, (int)(nul - ls) + 1, NULL, NULL,
                    "NUL character in document");
    return BATON_EPARSE;
}

static xmlDocPtr read_xml(bt_loader *ld, const char *xml, size_t len)
{
    if (len == 0) {
        bt_load_problem(ld, BATON_EPARSE, 0, 0, NULL, NULL,
                        "document is empty");
        return NULL;
    }
    if (len > ld->max_bytes || len > INT_MAX) {
        bt_load_problem(ld, BATON_ELIMIT, 0, 0, NULL, NULL,
                        "document exceeds the limit of %zu bytes",
                        ld->max_bytes < INT_MAX ? ld->max_bytes
                                                : (size_t)INT_MAX);
        return NULL;
    }
    if (check_nul(ld, xml, len))
        return NULL;

    xmlInitParser();
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        ld->oom = 1;
        return NULL;
    }
    /* xmlNewParserCtxt copies the process-wide defaults into the context
     * (xmlSubstituteEntitiesDefault, xmlLoadExtDtdDefaultValue,
     * xmlKeepBlanksDefault, xmlDoValidityCheckingDefaultValue, ...).
     * xmlCtxtUseOptions in 2.9.14 resets the matching fields but only
     * ORs into ctxt->options, and xmlParseReference decides to load
     * external entities from ctxt->options (NOENT, DTDVALID): clear it
     * and the fields, and rebuild the SAX handler from scratch. */
    ctxt->options = 0;
    ctxt->replaceEntities = 0;
    ctxt->loadsubset = 0;
    ctxt->validate = 0;
    ctxt->pedantic = 0;
    ctxt->keepBlanks = 1;
    ctxt->linenumbers = 1;
    ctxt->vctxt.error = sax_silent;
    ctxt->vctxt.warning = sax_silent;
    xmlSAXHandlerPtr sax = ctxt->sax;
    xmlSAXVersion(sax, 2);
    sax->startElementNs = sax_start;
    sax->endElementNs = sax_end;
    sax->internalSubset = sax_doctype;
    sax->externalSubset = sax_no_subset;
    sax->getEntity = sax_no_entity;
    sax->getParameterEntity = sax_no_entity;
    sax->resolveEntity = sax_no_resolve;
    sax->entityDecl = sax_no_entity_decl;
    sax->reference = sax_no_reference;
    sax->serror = sax_error;
    sax->error = sax_silent;
    sax->warning = sax_silent;
    sax->fatalError = sax_silent;
    ctxt->_private = ld;

    xmlDocPtr doc =
        xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, XML_OPTIONS);
    /* Where the input could not grow, libxml2 may stop the parse (freeing
     * the input, and disabling SAX) without a word, and so the document
     * may be cut short. A lost "xmlns" leaves declarations as plain
     * attributes, and their names unqualified, without a word either. */
    if (input_out_of_memory(ctxt) || (ctxt->disableSAX && !ld->xml_failed) ||
        dict_lost_names(ctxt))
        ld->oom = 1;
    xmlFreeParserCtxt(ctxt);
    if (ld->xml_failed || ld->oom) {
        xmlFreeDoc(doc);
        return NULL;
    }
    if (!doc) {
        /* Every parse error reaches sax_error(); xmlCtxtReadMemory() gives
         * no document without one only when it cannot allocate its input
         * (xmlParserInputBufferCreateMem(), which tells libxml2's global
         * handler only). */
        ld->oom = 1;
        return NULL;
    }
    if (!xmlDocGetRootElement(doc)) {
        bt_load_problem(ld, BATON_EPARSE, 0, 0, NULL, NULL,
                        "document is not well-formed XML");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* ------------------------------------------------------------------ */
/* Reading the tree                                                    */
/* ------------------------------------------------------------------ */

int bt_load_line(const xmlNode *n)
{
    uintptr_t v = (uintptr_t)n->_private;
    if (v)
        return (int)v;
    long l = xmlGetLineNo(n);
    return l > 0 && l <= INT_MAX ? (int)l : 0;
}

/* An attribute's value, borrowed from the tree, or NULL when absent.
 * `ns` NULL means an unqualified attribute, as BPMN's own are. */
const char *bt_load_attr(bt_loader *ld, const xmlNode *n, const char *ns,
                         const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (strcmp((const char *)a->name, name) != 0)
            continue;
        if (ns ? !a->ns || strcmp((const char *)a->ns->href, ns) != 0
               : a->ns != NULL)
            continue;
        /* The parser gives every attribute a text child, "" included;
         * none, or no text, means xmlStringLenGetNodeList() or
         * xmlNodeListGetString() ran out of memory (libxml2 tells only its
         * global handler). */
        if (!a->children) {
            ld->oom = 1;
            return "";
        }
        if (a->children->type == XML_TEXT_NODE && !a->children->next) {
            if (!a->children->content)
                ld->oom = 1;
            return a->children->content ? (const char *)a->children->content
                                        : "";
        }
        xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
        if (!v) {
            ld->oom = 1;
            return "";
        }
        const char *s = scratch_dup(ld, (const char *)v);
        xmlFree(v);
        return s ? s : "";
    }
    return NULL;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The element's direct text and CDATA, trimmed, in scratch memory. */
const char *bt_load_text(bt_loader *ld, const xmlNode *n, size_t *len)
{
    size_t total = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            /* Text without content: xmlNewCDataBlock() does not check its
             * copy of the text (libxml2 2.9). */
            if (!c->content) {
                ld->oom = 1;
                *len = 0;
                return "";
            }
            total += strlen((const char *)c->content);
        }
    char *buf = bt_arena_alloc(&ld->scratch, total + 1);
    if (!buf) {
        ld->oom = 1;
        *len = 0;
        return "";
    }
    size_t off = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            c->content) {
            size_t k = strlen((const char *)c->content);
            memcpy(buf + off, c->content, k);
            off += k;
        }
    char *s = buf;
    while (off && is_space(s[off - 1]))
        off--;
    while (off && is_space(*s)) {
        s++;
        off--;
    }
    s[off] = '\0';
    *len = off;
    return s;
}

const char *bt_load_dup(bt_loader *ld, const char *s)
{
    if (!s)
        return NULL;
    char *d = bt_arena_strdup(ld->ar, s);
    if (!d)
        ld->oom = 1;
    return d ? d : "";
}

/* ------------------------------------------------------------------ */
/* Expressions                                                         */
/* ------------------------------------------------------------------ */

bt_expr *bt_load_compile(bt_loader *ld, const bt_expr_site *at,
                         const char *text, size_t len, int dialect)
{
    bt_expr *e = NULL;
    bt_expr_error err = { 0, "" };
    int rc = bt_expr_compile(ld->ar, text, len, dialect, &e, &err);
    if (rc == BATON_ENOMEM) {
        ld->oom = 1;
        return NULL;
    }
    if (rc) {
        bt_load_problem(ld, BATON_EEXPR, at->line, err.column, at->tag, at->id,
                        "%s",
                        err.message[0] ? err.message : "malformed expression");
        return NULL;
    }
    return e;
}

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

const char *bt_load_claim_id(bt_loader *ld, const bt_proc_build *pb,
                             const xmlNode *n, int what, int32_t index,
                             int report_missing)
{
    const char *id = bt_load_attr(ld, n, NULL, "id");
    if (!id || !*id) {
        if (report_missing)
            bt_load_problem(ld, BATON_EMODEL, bt_load_line(n), 0, bt_tag_of(n),
                            NULL, "missing id");
        return NULL;
    }
    if (id_add(ld, id, pb ? pb->index : -1, what, index))
        bt_load_problem(ld, BATON_EMODEL, bt_load_line(n), 0, bt_tag_of(n), id,
                        "duplicate id '%s'", id);
    return id;
}

void bt_load_refuse(bt_loader *ld, const xmlNode *n, const char *tag,
                    const char *id, const char *msg)
{
    if (msg)
        bt_load_problem(ld, BATON_EUNSUPPORTED, bt_load_line(n), 0, tag, id,
                        "%s", msg);
    else
        bt_load_problem(ld, BATON_EUNSUPPORTED, bt_load_line(n), 0, tag, id,
                        "%s is not supported", bt_tag_of(n));
}

static int is_event(int kind) { return bt_kind_has(kind, BT_KF_EVENT); }

/* Qualified attributes the refusal table lists (camunda:decisionRef):
 * as with extension elements, what a dialect refuses is a line there. */
static void refuse_dialect_attrs(bt_loader *ld, const bt_element *e,
                                 const xmlNode *n)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (!a->ns || !a->ns->href)
            continue;
        const char *msg = bt_load_refusal(
            BT_REFUSE_ATTR, (const char *)a->ns->href, (const char *)a->name);
        if (msg)
            bt_load_refuse(ld, n, e->tag, e->id, msg);
    }
}

/* Event definitions, loop characteristics and anything else inside a
 * flow node that would change how it runs. A subprocess's content is read
 * as a scope of its own (read_scope); only its loop characteristics are
 * looked at here. */
static void check_node(bt_loader *ld, bt_proc_build *pb, uint32_t index)
{
    bt_element *e = &pb->p->elements[index];
    const xmlNode *n = pb->enodes[index];
    int evdefs = 0, refused_evdef = 0, accepted = BT_EVDEF_NONE;
    const xmlNode *evnode = NULL;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (!bt_is_elem(c, BT_NS_BPMN))
            continue;
        const char *t = bt_tag_of(c);
        int mi = strcmp(t, "multiInstanceLoopCharacteristics") == 0;
        if (mi || strcmp(t, "standardLoopCharacteristics") == 0) {
            if (bt_is_activity(e->kind) && !e->loop)
                (mi ? bt_load_loop : bt_load_standard_loop)(ld, e, c);
            else
                bt_load_problem(ld, BATON_EMODEL, bt_load_line(c), 0, e->tag,
                                e->id,
                                "only an activity has loop characteristics, "
                                "and one at most");
            continue;
        }
        if (e->kind == BT_SUB_PROCESS) {
            const char *msg = bt_load_refusal(BT_REFUSE_CHILD, BT_NS_BPMN, t);
            if (msg)
                bt_load_refuse(ld, c, e->tag, e->id, msg);
            continue;
        }
        size_t tl = strlen(t);
        int is_evdef =
            (tl > 15 && strcmp(t + tl - 15, "EventDefinition") == 0) ||
            strcmp(t, "eventDefinitionRef") == 0;
        if (is_evdef && is_event(e->kind)) {
            evdefs++;
            int v = bt_load_evdef(ld, pb->p, e, c);
            if (v < 0) {
                refused_evdef = 1;
            } else {
                accepted = v;
                evnode = c;
            }
        } else if (IN_LIST(ignored_in_node, t)) {
            continue;
        } else {
            bt_load_refuse(ld, c, e->tag, e->id,
                           bt_load_refusal(BT_REFUSE_CHILD, BT_NS_BPMN, t));
        }
    }
    /* More than one definition makes a "multiple" event (§10.5.1). */
    if (evdefs > 1 && !refused_evdef) {
        bt_load_refuse(ld, n, e->tag, e->id,
                       "multiple event definitions are not supported");
        refused_evdef = 1;
    }
    if (refused_evdef) {
        pb->flags[index] |= BT_EL_REFUSED_EVDEF;
    } else if (evnode) {
        e->evdef = (uint16_t)accepted;
        pb->evnodes[index] = evnode;
    }
    /* A task or an embedded subprocess (BPMN 2.0.2 §10.6.2) may be a
     * compensation handler. */
    if (bt_is_activity(e->kind) &&
        bt_is_true(bt_load_attr(ld, n, NULL, "isForCompensation")))
        e->is_for_compensation = 1;
    refuse_dialect_attrs(ld, e, n);
}

/* Resolves a flow's end; returns the element index, or -1 (reported
 * unless the id names something already refused). */
static int32_t flow_end(bt_loader *ld, bt_proc_build *pb, const bt_flow *f,
                        const xmlNode *fn, const char *which)
{
    const char *ref = bt_load_attr(ld, fn, NULL, which);
    if (!ref || !*ref) {
        bt_load_problem(ld, BATON_EMODEL, (int)f->line, 0, "sequenceFlow",
                        f->id, "sequence flow has no %s", which);
        return -1;
    }
    const bt_id_slot *s = id_find(&ld->ids, ref);
    if (s && s->proc == pb->index && s->what == BT_ID_REFUSED)
        return -1;
    if (!s || s->proc != pb->index || s->what != BT_ID_ELEMENT) {
        bt_load_problem(ld, BATON_EMODEL, (int)f->line, 0, "sequenceFlow",
                        f->id, "%s '%s' is not a flow node of this process",
                        which, ref);
        return -1;
    }
    return s->index;
}

/* The gateways that choose their outgoing flows by conditions, with a
 * default flow (BPMN 2.0.2 §13.3.2, §13.3.3). */
static int chooses(const bt_element *e)
{
    return e->kind == BT_EXCLUSIVE_GATEWAY || e->kind == BT_INCLUSIVE_GATEWAY;
}

static void link_flows(bt_loader *ld, bt_proc_build *pb)
{
    bt_process *p = pb->p;
    uint32_t *n_in = bt_calloc(&ld->alloc, p->n_elements + 1, sizeof *n_in);
    uint32_t *n_out = bt_calloc(&ld->alloc, p->n_elements + 1, sizeof *n_out);
    int32_t *src = pb->fsource, *dst = pb->ftarget;
    if (!n_in || !n_out) {
        ld->oom = 1;
        goto out;
    }
    for (uint32_t i = 0; i < p->n_flows; i++) {
        bt_flow *f = &p->flows[i];
        const xmlNode *fn = pb->fnodes[i];
        src[i] = flow_end(ld, pb, f, fn, "sourceRef");
        dst[i] = flow_end(ld, pb, f, fn, "targetRef");
        bt_load_condition(ld, f, fn);
        if (src[i] >= 0) {
            f->source = (uint32_t)src[i];
            const bt_element *s = &p->elements[src[i]];
            n_out[src[i]]++;
            if (s->kind == BT_END_EVENT)
                bt_load_problem(ld, BATON_EMODEL, (int)f->line, 0,
                                "sequenceFlow", f->id,
                                "sequence flow leaves end event '%s'", s->id);
            /* §10.6.6: the events after an event-based gateway decide,
             * not conditions. */
            if (f->condition && s->kind == BT_EVENT_BASED_GATEWAY)
                bt_load_problem(ld, BATON_EMODEL, (int)f->line, 0,
                                "sequenceFlow", f->id,
                                "sequence flows after an event-based "
                                "gateway cannot have a condition");
            /* Conditions after activities and events (§10.5.1) would
             * need token semantics this version does not have. */
            else if (f->condition && !chooses(s))
                bt_load_problem(
                    ld, BATON_EMODEL, (int)f->line, 0, "sequenceFlow", f->id,
                    "conditional sequence flows are only supported "
                    "after an exclusive or inclusive gateway");
        }
        if (dst[i] >= 0) {
            f->target = (uint32_t)dst[i];
            n_in[dst[i]]++;
            if (p->elements[dst[i]].kind == BT_START_EVENT)
                bt_load_problem(ld, BATON_EMODEL, (int)f->line, 0,
                                "sequenceFlow", f->id,
                                "sequence flow enters start event '%s'",
                                p->elements[dst[i]].id);
        }
        bt_load_check_flow(ld, pb, i, src[i], dst[i]);
    }
    for (uint32_t i = 0; i < p->n_elements; i++) {
        bt_element *e = &p->elements[i];
        if (n_in[i] && !(e->incoming = bt_arena_alloc(
                             ld->ar, n_in[i] * sizeof *e->incoming)))
            ld->oom = 1;
        if (n_out[i] && !(e->outgoing = bt_arena_alloc(
                              ld->ar, n_out[i] * sizeof *e->outgoing)))
            ld->oom = 1;
    }
    if (ld->oom)
        goto out;
    for (uint32_t i = 0; i < p->n_flows; i++) {
        if (src[i] >= 0) {
            bt_element *s = &p->elements[src[i]];
            s->outgoing[s->n_outgoing++] = i;
        }
        if (dst[i] >= 0) {
            bt_element *t = &p->elements[dst[i]];
            t->incoming[t->n_incoming++] = i;
        }
    }
out:
    bt_free(&ld->alloc, n_in);
    bt_free(&ld->alloc, n_out);
}

/* BPMN 2.0.2 §10.6.2 says a condition on the default flow is ignored;
 * refusing it keeps a model from reading differently from how it runs. */
static void check_default(bt_loader *ld, bt_proc_build *pb, bt_element *e,
                          const xmlNode *n)
{
    const char *def = bt_load_attr(ld, n, NULL, "default");
    if (!def || !*def)
        return;
    const bt_id_slot *s = id_find(&ld->ids, def);
    int32_t fi =
        s && s->proc == pb->index && s->what == BT_ID_FLOW ? s->index : -1;
    int32_t self = (int32_t)(e - pb->p->elements);
    const bt_flow *f = fi >= 0 ? &pb->p->flows[fi] : NULL;
    int outgoing = 0;
    for (uint32_t i = 0; f && i < e->n_outgoing; i++)
        if (e->outgoing[i] == (uint32_t)fi && (int32_t)f->source == self)
            outgoing = 1;
    if (!outgoing) {
        bt_load_problem(
            ld, BATON_EMODEL, (int)e->line, 0, e->tag, e->id,
            "default flow '%s' is not an outgoing flow of this gateway", def);
        return;
    }
    if (f->condition) {
        bt_load_problem(ld, BATON_EMODEL, (int)e->line, 0, e->tag, e->id,
                        "default flow '%s' has a condition", def);
        return;
    }
    e->default_flow = fi;
}

/* What a process holds at every level, so its arrays are allocated once. */
typedef struct scope_counts {
    uint32_t elements, flows, assocs;
} scope_counts;

/* The kind of a BPMN element by its tag: a transaction is a subprocess
 * that init_element() marks. */
static int kind_of_tag(const char *tag)
{
    return strcmp(tag, "transaction") == 0 ? BT_SUB_PROCESS
                                           : bt_kind_of_tag(tag);
}

static void count_scope(const xmlNode *sn, scope_counts *k)
{
    for (const xmlNode *c = sn->children; c; c = c->next) {
        if (!bt_is_elem(c, BT_NS_BPMN))
            continue;
        const char *tag = bt_tag_of(c);
        int kind = kind_of_tag(tag);
        if (kind >= 0) {
            k->elements++;
            if (kind == BT_SUB_PROCESS)
                count_scope(c, k);
        } else if (strcmp(tag, "sequenceFlow") == 0) {
            k->flows++;
        } else if (strcmp(tag, "association") == 0) {
            k->assocs++;
        }
    }
}

static void init_element(bt_loader *ld, bt_proc_build *pb, uint32_t i,
                         const xmlNode *c, int kind, int32_t parent)
{
    bt_element *e = &pb->p->elements[i];
    pb->enodes[i] = c;
    const char *id =
        bt_load_claim_id(ld, pb, c, BT_ID_ELEMENT, (int32_t)i, 1);
    e->id = bt_load_dup(ld, id ? id : "");
    e->name = bt_load_dup(ld, bt_load_attr(ld, c, NULL, "name"));
    e->tag = bt_load_dup(ld, bt_tag_of(c));
    e->line = (uint32_t)bt_load_line(c);
    e->kind = (uint16_t)kind;
    e->evdef = BT_EVDEF_NONE;
    e->parent = parent;
    /* The arena zero-fills, and 0 would name element 0. */
    e->default_flow = -1;
    e->scope.start = -1;
    e->scope.cancel_boundary = -1;
    e->scope.comp_esp = -1;
    e->compensation_handler = -1;
    e->compensates = -1;
    e->event.attached_to = -1;
    e->event.activity_ref = -1;
    e->event.wait_for_completion = 1;
    e->event.interrupting = 1;
    e->event.link_target = -1;
    if (kind == BT_SUB_PROCESS) {
        e->scope.triggered_by_event =
            bt_is_true(bt_load_attr(ld, c, NULL, "triggeredByEvent"));
        e->scope.transaction = strcmp(bt_tag_of(c), "transaction") == 0;
    }
}

/* Reads the flow nodes, flows and associations of a process (`parent`
 * -1) or of subprocess `parent`, descending into nested subprocesses:
 * every level shares the process's arrays. */
static void read_scope(bt_loader *ld, bt_proc_build *pb, const xmlNode *sn,
                       int32_t parent)
{
    bt_process *p = pb->p;
    for (const xmlNode *c = sn->children; c && !ld->oom; c = c->next) {
        if (!bt_is_elem(c, BT_NS_BPMN))
            continue; /* other vendors' elements outside extensionElements */
        const char *tag = bt_tag_of(c);
        int kind = kind_of_tag(tag);
        if (kind >= 0) {
            uint32_t i = p->n_elements++;
            init_element(ld, pb, i, c, kind, parent);
            if (kind == BT_SUB_PROCESS)
                read_scope(ld, pb, c, (int32_t)i);
        } else if (strcmp(tag, "sequenceFlow") == 0) {
            uint32_t i = p->n_flows++;
            bt_flow *f = &p->flows[i];
            pb->fnodes[i] = c;
            pb->fparent[i] = parent;
            const char *id =
                bt_load_claim_id(ld, pb, c, BT_ID_FLOW, (int32_t)i, 1);
            f->id = bt_load_dup(ld, id ? id : "");
            f->line = (uint32_t)bt_load_line(c);
        } else if (strcmp(tag, "association") == 0) {
            pb->anodes[pb->n_assoc++] = c;
        } else if (IN_LIST(ignored_in_process, tag) ||
                   (parent >= 0 &&
                    (IN_LIST(ignored_in_node, tag) ||
                     bt_load_refusal(BT_REFUSE_CHILD, BT_NS_BPMN, tag)))) {
            /* A subprocess's children as an activity: check_node's. */
            continue;
        } else {
            const char *id = bt_load_claim_id(ld, pb, c, BT_ID_REFUSED, -1, 0);
            bt_load_refuse(ld, c, tag, id,
                           bt_load_refusal(BT_REFUSE_ELEMENT, BT_NS_BPMN,
                                           tag));
        }
    }
}

static void read_executable(bt_loader *ld, bt_proc_build *pb,
                            const xmlNode *pn)
{
    bt_process *p = pb->p;
    scope_counts k = { 0, 0, 0 };
    count_scope(pn, &k);
    const bt_alloc *a = &ld->alloc;
    p->elements =
        bt_arena_alloc(ld->ar, (k.elements + 1) * sizeof *p->elements);
    p->flows = bt_arena_alloc(ld->ar, (k.flows + 1) * sizeof *p->flows);
    pb->enodes = bt_calloc(a, k.elements + 1, sizeof *pb->enodes);
    pb->evnodes = bt_calloc(a, k.elements + 1, sizeof *pb->evnodes);
    pb->flags = bt_calloc(a, k.elements + 1, sizeof *pb->flags);
    pb->fnodes = bt_calloc(a, k.flows + 1, sizeof *pb->fnodes);
    pb->fparent = bt_calloc(a, k.flows + 1, sizeof *pb->fparent);
    pb->fsource = bt_calloc(a, k.flows + 1, sizeof *pb->fsource);
    pb->ftarget = bt_calloc(a, k.flows + 1, sizeof *pb->ftarget);
    pb->anodes = bt_calloc(a, k.assocs + 1, sizeof *pb->anodes);
    if (!p->elements || !p->flows || !pb->enodes || !pb->evnodes ||
        !pb->flags || !pb->fnodes || !pb->fparent || !pb->fsource ||
        !pb->ftarget || !pb->anodes) {
        ld->oom = 1;
        return;
    }
    read_scope(ld, pb, pn, -1);
    if (ld->oom)
        return;

    for (uint32_t i = 0; i < p->n_elements; i++)
        check_node(ld, pb, i);
    link_flows(ld, pb);
    if (ld->oom)
        return;
    for (uint32_t i = 0; i < p->n_elements; i++) {
        bt_element *e = &p->elements[i];
        if (chooses(e))
            check_default(ld, pb, e, pb->enodes[i]);
        bt_load_extensions(ld, e, pb->enodes[i]);
        if (e->kind == BT_CALL_ACTIVITY)
            bt_load_call(ld, e, pb->enodes[i]);
    }
    if (!ld->oom)
        bt_load_events(ld, pb);
    if (!ld->oom)
        bt_load_check_loops(ld, pb);
}

static void read_process(bt_loader *ld, const xmlNode *pn, bt_process *p,
                         int32_t index)
{
    bt_proc_build pb;
    memset(&pb, 0, sizeof pb);
    pb.p = p;
    pb.index = index;
    int executable =
        !bt_is_false(bt_load_attr(ld, pn, NULL, "isExecutable"));
    const char *id =
        bt_load_claim_id(ld, &pb, pn, BT_ID_OTHER, -1, executable);
    p->id = bt_load_dup(ld, id ? id : "");
    p->name = bt_load_dup(ld, bt_load_attr(ld, pn, NULL, "name"));
    p->line = (uint32_t)bt_load_line(pn);
    p->start = -1;
    /* Kept for inspection only: a descriptive model is not checked. */
    if (!executable)
        return;
    read_executable(ld, &pb, pn);
    bt_free(&ld->alloc, pb.enodes);
    bt_free(&ld->alloc, pb.evnodes);
    bt_free(&ld->alloc, pb.flags);
    bt_free(&ld->alloc, pb.fnodes);
    bt_free(&ld->alloc, pb.fparent);
    bt_free(&ld->alloc, pb.fsource);
    bt_free(&ld->alloc, pb.ftarget);
    bt_free(&ld->alloc, pb.anodes);
    p->executable = 1;
}

static void read_definitions(bt_loader *ld, baton_model *m,
                             const xmlNode *root)
{
    if (!bt_is_elem_named(root, BT_NS_BPMN, "definitions")) {
        const char *ns =
            root->ns && root->ns->href ? (const char *)root->ns->href : "";
        bt_load_problem(
            ld, BATON_EMODEL, bt_load_line(root), 0, bt_tag_of(root), NULL,
            "root element is not BPMN 2.0 definitions (namespace '%s')", ns);
        return;
    }
    bt_load_claim_id(ld, NULL, root, BT_ID_OTHER, -1, 0);
    bt_load_roots(ld, root);
    uint32_t n = 0;
    for (const xmlNode *c = root->children; c; c = c->next)
        if (bt_is_elem_named(c, BT_NS_BPMN, "process"))
            n++;
    if (!n)
        return;
    m->processes = bt_arena_alloc(ld->ar, n * sizeof *m->processes);
    if (!m->processes) {
        ld->oom = 1;
        return;
    }
    /* Collaborations and diagrams do not run: processes are deployed by
     * id. */
    for (const xmlNode *c = root->children; c && !ld->oom; c = c->next)
        if (bt_is_elem_named(c, BT_NS_BPMN, "process")) {
            read_process(ld, c, &m->processes[m->n_processes],
                         (int32_t)m->n_processes);
            if (!ld->oom &&
                (bt_process_list_job_types(ld->ar,
                                           &m->processes[m->n_processes]) ||
                 bt_process_list_joins(ld->ar,
                                       &m->processes[m->n_processes])))
                ld->oom = 1;
            m->n_processes++;
        }
}

int bt_parse_bpmn(const bt_alloc *a, const bt_load_limits *lim,
                  const char *xml, size_t len, const char *source_name,
                  bt_problem_fn report, void *report_ud, baton_model **out)
{
    if (!out)
        return BATON_EINVAL;
    *out = NULL;
    if (!xml)
        return BATON_EINVAL;
    if (len == SIZE_MAX)
        len = strlen(xml);
    bt_alloc def = { bt_default_alloc, NULL };
    if (!a)
        a = &def;

    bt_loader ld;
    memset(&ld, 0, sizeof ld);
    ld.alloc = *a;
    ld.max_bytes = lim && lim->max_bytes ? lim->max_bytes : DEFAULT_MAX_BYTES;
    ld.max_depth =
        lim && lim->max_depth > 0 ? lim->max_depth : DEFAULT_MAX_DEPTH;
    ld.max_elements = lim && lim->max_elements > 0 ? lim->max_elements
                                                   : DEFAULT_MAX_ELEMENTS;
    bt_arena_init(&ld.scratch, a);

    bt_arena ar;
    bt_arena_init(&ar, a);
    baton_model *m = bt_arena_alloc(&ar, sizeof *m);
    if (!m) {
        ld.oom = 1;
    } else {
        m->arena = ar;
        ld.ar = &m->arena;
        atomic_init(&m->refs, 1);
        m->byte_sum = bt_fnv1a64(xml, len, BT_FNV_SEED);
        m->source_name = bt_load_dup(&ld, source_name ? source_name : "");
        xmlDocPtr doc = read_xml(&ld, xml, len);
        if (doc) {
            if (bt_load_identity(xmlDocGetRootElement(doc), len,
                                 &m->identity))
                ld.oom = 1;
            read_definitions(&ld, m, xmlDocGetRootElement(doc));
            /* The id table and the root elements borrow the tree. */
            bt_free(&ld.alloc, ld.ids.slots);
            ld.ids.slots = NULL;
            bt_free(&ld.alloc, ld.roots);
            ld.roots = NULL;
            bt_free(&ld.alloc, ld.root_keys);
            bt_free(&ld.alloc, ld.root_keyed);
            ld.root_keys = NULL;
            ld.root_keyed = NULL;
            xmlFreeDoc(doc);
        }
    }

    int rc = report_problems(&ld, report, report_ud);
    bt_free(&ld.alloc, ld.ids.slots);
    bt_free(&ld.alloc, ld.roots);
    bt_free(&ld.alloc, ld.root_keys);
    bt_free(&ld.alloc, ld.root_keyed);
    bt_free(&ld.alloc, ld.probs);
    bt_arena_free(&ld.scratch);
    if (rc) {
        if (m) {
            bt_arena dead = m->arena;
            bt_arena_free(&dead);
        }
        return rc;
    }
    *out = m;
    return 0;
}
