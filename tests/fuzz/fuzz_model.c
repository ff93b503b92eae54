/* fuzz_model: a BPMN document, and bytes that choose what the handlers
 * do.
 *
 * Input: the document, optionally followed by FUZZ_MODEL_SEP and outcome
 * bytes. The document is checked (baton_model_check) and loaded
 * (baton_model_load), which must agree; if it loads, every executable
 * process is deployed and an instance of it created and played: handlers
 * for every job type the model lists settle jobs as the bytes say
 * (complete with small variables, fail with retries, throw a BPMN error,
 * defer), then the host settles waiting jobs by key, resolves incidents
 * or cancels, with a small step budget and a snapshot round trip after
 * every run (fz_drive). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define FUZZ_MODEL_SEP "\0baton-outcomes\0"
#define FUZZ_MODEL_SEP_LEN (sizeof FUZZ_MODEL_SEP - 1)

static const char *const start_vars[] = {
    NULL,
    "{\"x\":1,\"ok\":true,\"s\":\"a\",\"o\":{\"a\":{\"b\":2}},\"l\":[1]}",
    "{\"order\":{\"id\":\"A-1\",\"amount\":250},\"approved\":false,"
    "\"score\":600}",
    "{\"x\":null,\"ok\":\"yes\",\"o\":[]}",
};

static size_t find_sep(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + FUZZ_MODEL_SEP_LEN <= n; i++)
        if (d[i] == 0 && !memcmp(d + i, FUZZ_MODEL_SEP, FUZZ_MODEL_SEP_LEN))
            return i;
    return n;
}

static void problem(void *ud, int code, const char *source, int line,
                    int column, const char *tag, const char *element_id,
                    const char *message)
{
    int *first = ud;
    if (!*first)
        *first = code;
    if (code >= 0 || !source || !tag || !element_id || !message ||
        line < 0 || column < 0)
        fz_fail("a problem with code %d or a NULL string", code);
}

/* Every executable process is deployed before any runs, so that call
 * activities find the processes of the model they call. */
static int deploy(baton_engine *e, baton_model *m, size_t p)
{
    static const int ok_deploy[] = { BATON_ESTATE, 0 };
    int rc = baton_engine_deploy(e, m, baton_model_process_id(m, p), NULL);
    fz_expect(e, "deploy", rc, ok_deploy);
    return rc;
}

static void play(baton_engine *e, baton_model *m, size_t p, fz_bytes *b)
{
    static const int ok_create[] = { BATON_ENOTFOUND, 0 };
    const char *id = baton_model_process_id(m, p);
    int rc;
    for (size_t i = 0; i < baton_model_job_type_count(m, p); i++) {
        rc = baton_engine_register_handler(e, baton_model_job_type(m, p, i),
                                           fz_handler, b);
        fz_expect(e, "register_handler", rc, NULL);
    }
    baton_instance *in = NULL;
    unsigned c = fz_byte(b);
    rc = baton_instance_create(e, id,
                               start_vars[c % (sizeof start_vars /
                                               sizeof *start_vars)],
                               BATON_NUL, &in);
    fz_expect(e, "create", rc, ok_create);
    if (rc)
        return;
    fz_drive(e, &in, b, 6, 64 + (c >> 2));
    baton_instance_free(in);
}

int fuzz_model_one(const uint8_t *data, size_t size)
{
    static const int ok_load[] = { BATON_EPARSE, BATON_EUNSUPPORTED,
                                   BATON_EMODEL, BATON_ELIMIT, BATON_EEXPR,
                                   0 };
    size_t doc = find_sep(data, size);
    size_t skip = doc < size ? doc + FUZZ_MODEL_SEP_LEN : size;
    fz_bytes b = { data + skip, size - skip, 0 };
    /* The document alone in its own block, so that ASan sees a read past
     * its end. */
    char *xml = malloc(doc ? doc : 1);
    if (!xml)
        return 0;
    memcpy(xml, data, doc);

    baton_engine *e = NULL;
    if (baton_engine_new(NULL, NULL, &e))
        fz_fail("engine_new");
    int first = 0;
    int checked = baton_model_check(e, xml, doc, "fuzz.bpmn", problem,
                                    &first);
    fz_expect(e, "model_check", checked, ok_load);
    /* Its result is its first problem's code (when it reported one). */
    if (first && checked != first)
        fz_fail("model_check returned %d, its first problem has %d",
                checked, first);
    baton_model *m = NULL;
    int rc = baton_model_load(e, xml, doc, "fuzz.bpmn", &m);
    fz_expect(e, "model_load", rc, ok_load);
    if (rc != checked)
        fz_fail("model_load returned %d (%s), model_check %d",
                rc, baton_engine_errmsg(e), checked);
    if (!rc) {
        size_t n = baton_model_process_count(m);
        unsigned char *deployed = calloc(n + 1, 1);
        if (!deployed)
            fz_fail("out of memory");
        for (size_t p = 0; p < n; p++) {
            if (!baton_model_process_id(m, p))
                fz_fail("process %zu has no id", p);
            deployed[p] = baton_model_process_executable(m, p) &&
                          !deploy(e, m, p);
        }
        for (size_t p = 0; p < n; p++)
            if (deployed[p])
                play(e, m, p, &b);
        free(deployed);
        if (baton_model_process_id(m, n) || baton_model_job_type(m, n, 0))
            fz_fail("process index out of range answered");
    }
    baton_model_free(m);
    baton_engine_free(e);
    free(xml);
    return 0;
}

FUZZ_ENTRY(fuzz_model_one)
