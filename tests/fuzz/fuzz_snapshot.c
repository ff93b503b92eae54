/* fuzz_snapshot: snapshots, as a host reads them back from storage.
 *
 * Every model the seeds were taken with (tests/golden/vN/NAME/model.bpmn
 * and tests/fuzz/snapshot/models/SUM.bpmn) is loaded once, at the first
 * input, into an engine of its own with each of its executable processes
 * deployed (version 1, as when the seeds were written). An input is
 * restored by the engine whose model checksum its header names (or the
 * first engine, when it names none of them). A snapshot that restores
 * must behave as an instance: it must snapshot again and restore from
 * that, byte for byte the same; it is then run with a step budget, its
 * waiting jobs settled and its incidents resolved (how, chosen by a hash
 * of the input), with a snapshot round trip after every run (fz_drive).
 *
 * Mutants would almost never get past the total-size field and the
 * checksum, so the custom mutator (libFuzzer builds only) mutates, then
 * writes both anew; half the time it mutates one section's body of a
 * snapshot of format 2 or later (tagged sections) and fixes that
 * section's length too. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_ENGINES 256

/* A snapshot names its model by its identity (format 6) or by the
 * checksum of its bytes (formats 1 to 5): an engine is found by either. */
typedef struct deployed {
    uint64_t checksum;
    uint64_t byte_sum;
    baton_engine *e;
} deployed;

static uint64_t fnv1a64(const uint8_t *d, size_t n);

static deployed engines[MAX_ENGINES];
static size_t n_engines;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *p = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 4096 > cap) {
            cap = (n + 4096) * 2;
            char *q = realloc(p, cap);
            if (!q)
                fz_fail("out of memory");
            p = q;
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
    } while (got);
    fclose(f);
    *len = n;
    return p;
}

static void add_model(const char *path)
{
    size_t len;
    char *xml = read_file(path, &len);
    if (!xml)
        return;
    baton_engine *e = NULL;
    baton_model *m = NULL;
    if (baton_engine_new(NULL, NULL, &e))
        fz_fail("engine_new");
    if (baton_model_load(e, xml, len, path, &m))
        fz_fail("cannot load %s: %s", path, baton_engine_errmsg(e));
    uint64_t bytes = fnv1a64((const uint8_t *)xml, len);
    free(xml);
    uint64_t sum = baton_model_checksum(m);
    for (size_t i = 0; i < n_engines; i++)
        if (engines[i].checksum == sum && engines[i].byte_sum == bytes) {
            baton_model_free(m);
            baton_engine_free(e);
            return;
        }
    if (n_engines == MAX_ENGINES)
        fz_fail("more than %d models", MAX_ENGINES);
    for (size_t p = 0; p < baton_model_process_count(m); p++)
        if (baton_model_process_executable(m, p) &&
            baton_engine_deploy(e, m, baton_model_process_id(m, p), NULL))
            fz_fail("cannot deploy %s: %s", path, baton_engine_errmsg(e));
    baton_model_free(m);
    engines[n_engines].checksum = sum;
    engines[n_engines].byte_sum = bytes;
    engines[n_engines++].e = e;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of `dir`, sorted, so that the engines come in the same
 * order on every machine. */
static size_t list_dir(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (!grown || !(grown[n] = strdup(de->d_name)))
            fz_fail("out of memory");
        names = grown;
        n++;
    }
    if (d)
        closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    *out = names;
    return n;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void load_models(void)
{
    char path[4096], **vs, **cases, **files;
    const char *src = fz_srcdir();
    snprintf(path, sizeof path, "%s/../golden", src);
    size_t nv = list_dir(path, &vs);
    for (size_t v = 0; v < nv; v++) {
        snprintf(path, sizeof path, "%s/../golden/%s", src, vs[v]);
        size_t nc = list_dir(path, &cases);
        for (size_t c = 0; c < nc; c++) {
            snprintf(path, sizeof path, "%s/../golden/%s/%s/model.bpmn", src,
                     vs[v], cases[c]);
            add_model(path);
        }
        free_list(cases, nc);
    }
    free_list(vs, nv);
    snprintf(path, sizeof path, "%s/snapshot/models", src);
    size_t nf = list_dir(path, &files);
    for (size_t f = 0; f < nf; f++) {
        snprintf(path, sizeof path, "%s/snapshot/models/%s", src, files[f]);
        add_model(path);
    }
    free_list(files, nf);
    if (!n_engines)
        fz_fail("no models found under %s (set BATON_FUZZ_SRCDIR to the "
                "tests/fuzz folder)", src);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The engine whose model the snapshot's header names. */
static baton_engine *engine_for(const uint8_t *d, size_t n)
{
    size_t at = n >= 8 && le32(d + 4) == 1 ? 16 : 24;
    if (n >= at + 4) {
        uint32_t len = le32(d + at);
        if (len <= n - at - 4 && n - at - 4 - len >= 12) {
            uint64_t sum = le64(d + at + 4 + len + 4);
            int by_bytes = le32(d + 4) < 6;
            for (size_t i = 0; i < n_engines; i++)
                if ((by_bytes ? engines[i].byte_sum : engines[i].checksum) ==
                    sum)
                    return engines[i].e;
        }
    }
    return engines[0].e;
}

static uint64_t fnv1a64(const uint8_t *d, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= d[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int fuzz_snapshot_one(const uint8_t *data, size_t size)
{
    if (!n_engines)
        load_models();
    baton_engine *e = engine_for(data, size);
    baton_instance *in = NULL;
    static const int ok_restore[] = { BATON_ESNAPSHOT, BATON_ENOTFOUND, 0 };
    int rc = baton_instance_restore(e, data, size, &in);
    fz_expect(e, "restore", rc, ok_restore);
    if (rc)
        return 0;
    fz_round_trip(e, &in);
    fz_read_back(e, in);
    /* How to settle jobs and incidents: the input's hash. */
    uint8_t choice[8];
    put_le64(choice, fnv1a64(data, size));
    fz_bytes b = { choice, sizeof choice, 0 };
    fz_drive(e, &in, &b, 8, 200);
    baton_instance_free(in);
    return 0;
}

FUZZ_ENTRY(fuzz_snapshot_one)

#ifdef BATON_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Mutates the body of one section of a snapshot of format 2 or later
 * and writes its new length; returns the new size, or 0 when `data` has
 * no sections. */
static size_t mutate_section(uint8_t *data, size_t size, size_t max_size,
                             uint32_t *rnd)
{
    size_t at[16], n = 0;
    if (size < 36 || le32(data + 4) < 2)
        return 0;
    for (size_t off = 16; off + 8 <= size - 8 && n < 16;) {
        uint32_t len = le32(data + off + 4);
        if (len > size - 8 - off - 8)
            break;
        at[n++] = off;
        off += 8 + (size_t)len;
    }
    if (!n)
        return 0;
    size_t off = at[next_rand(rnd) % n];
    size_t len = le32(data + off + 4), body = off + 8;
    size_t tail = size - body - len;
    size_t room = max_size - size + len;
    uint8_t *tmp = malloc(room ? room : 1);
    if (!tmp)
        return 0;
    memcpy(tmp, data + body, len);
    size_t nlen = len ? LLVMFuzzerMutate(tmp, len, room) : 0;
    if (!len && room >= 4) {
        memset(tmp, 0, 4);
        nlen = LLVMFuzzerMutate(tmp, 4, room);
    }
    memmove(data + body + nlen, data + body + len, tail);
    memcpy(data + body, tmp, nlen);
    free(tmp);
    for (int i = 0; i < 4; i++)
        data[off + 4 + i] = (uint8_t)(nlen >> (8 * i));
    return size - len + nlen;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed)
{
    uint32_t rnd = seed | 1;
    size_t n = 0;
    if (next_rand(&rnd) & 1)
        n = mutate_section(data, size, max_size, &rnd);
    if (!n)
        n = LLVMFuzzerMutate(data, size, max_size);
    /* Now and then leave the frame as it is, so that its checks stay
     * covered too. */
    if (n >= 24 && !memcmp(data, "BATN", 4) && next_rand(&rnd) % 32) {
        put_le64(data + 8, (uint64_t)n);
        put_le64(data + n - 8, fnv1a64(data, n - 8));
    }
    return n;
}
#endif
