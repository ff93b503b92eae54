#define _POSIX_C_SOURCE 200809L
/* fuzz_snapshot_seeds: writes seeds for fuzz_snapshot, a snapshot before
 * every step of every scenario of tests/scenarios, in the format of the
 * library it is linked with.
 *
 *   fuzz_snapshot_seeds SEEDS_DIR MODELS_DIR GOLDEN_DIR [SCENARIO...]
 *
 * Each scenario is played twice, with in-process handlers and as a host
 * that fetches its jobs (scenario_lib.c, as test_scenarios plays it),
 * every run replaced by steps with a snapshot before each and one at the
 * stop. Snapshots are written once each (by content) to
 * SEEDS_DIR/SCENARIO.MODE.vN.K.snap, SCENARIO with '-' for '/' and N the
 * snapshot format, so that seeds of older formats stay beside them
 * (those of format 2 are named SCENARIO.MODE.K.snap). A snapshot
 * restores only against its exact model, so every model used is copied
 * to MODELS_DIR/CHECKSUM.bpmn, unless GOLDEN_DIR/vN/NAME/model.bpmn holds
 * the same document (fuzz_snapshot loads both). Scenarios come from
 * $BATON_SCENARIOS, models from $BATON_MODELS and $BATON_CORPUS, as for
 * test_scenarios. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "baton.h"
#include "scenario_lib.h"

static const char *seeds_dir, *models_dir;
static uint64_t *golden, *seen;
static size_t n_golden, n_seen, cap_seen;
static size_t written;

typedef struct gen {
    const char *name, *mode;
    unsigned k;
} gen;

static uint64_t fnv(const void *d, size_t n)
{
    const unsigned char *p = d;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void write_file(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void snap(sc_run *r)
{
    gen *g = r->ud;
    void *s;
    size_t n;
    if (baton_instance_snapshot(r->in, &s, &n)) {
        fprintf(stderr, "%s: snapshot failed\n", g->name);
        exit(1);
    }
    uint64_t h = fnv(s, n);
    for (size_t i = 0; i < n_seen; i++)
        if (seen[i] == h) {
            baton_free(s);
            return;
        }
    if (n_seen == cap_seen) {
        cap_seen = cap_seen ? 2 * cap_seen : 256;
        seen = realloc(seen, cap_seen * sizeof *seen);
    }
    seen[n_seen++] = h;
    const unsigned char *p = s;
    unsigned version = n >= 8 ? (unsigned)p[4] | (unsigned)p[5] << 8 |
                                    (unsigned)p[6] << 16 |
                                    (unsigned)p[7] << 24
                              : 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s.v%u.%03u.snap", seeds_dir, g->name,
             g->mode, version, g->k++);
    write_file(path, s, n);
    written++;
    baton_free(s);
}

static void copy_model(const sc_run *r, baton_model *m)
{
    uint64_t sum = baton_model_checksum(m);
    for (size_t i = 0; i < n_golden; i++)
        if (golden[i] == sum)
            return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%016llx.bpmn", models_dir,
             (unsigned long long)sum);
    size_t len;
    char *xml = sc_read_file(r->sc->model_path, &len);
    write_file(path, xml, len);
    free(xml);
}

/* Every call as scenario_lib makes it, except that a run is steps. */
static int call(sc_run *r, sc_call *c)
{
    if (c->op != SC_RUN) {
        int rc = sc_exec(r, c);
        if (c->op == SC_LOAD && !rc)
            copy_model(r, c->model);
        return rc;
    }
    for (;;) {
        snap(r);
        int rc = baton_instance_step(r->in);
        if (rc != BATON_STEP_READY) {
            snap(r);
            return rc;
        }
    }
}

static void read_golden(const char *dir)
{
    baton_engine *e;
    if (baton_engine_new(NULL, NULL, &e))
        exit(1);
    DIR *top = opendir(dir);
    struct dirent *v, *c;
    while (top && (v = readdir(top))) {
        if (v->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, v->d_name);
        DIR *d = opendir(sub);
        while (d && (c = readdir(d))) {
            char path[8192];
            baton_model *m;
            snprintf(path, sizeof path, "%s/%s/model.bpmn", sub, c->d_name);
            if (c->d_name[0] == '.' ||
                baton_model_load_file(e, path, &m))
                continue;
            golden = realloc(golden, (n_golden + 1) * sizeof *golden);
            golden[n_golden++] = baton_model_checksum(m);
            baton_model_free(m);
        }
        if (d)
            closedir(d);
    }
    if (top)
        closedir(top);
    baton_engine_free(e);
}

static void play(const char *name, const char *dir)
{
    static const struct {
        sc_mode mode;
        const char *name;
    } modes[] = { { SC_HANDLER, "handler" }, { SC_FETCH, "fetch" } };
    char flat[1024];
    snprintf(flat, sizeof flat, "%s", name);
    for (char *p = flat; *p; p++)
        if (*p == '/')
            *p = '-';
    scenario *sc = sc_load(dir, name);
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        gen g = { flat, modes[i].name, 0 };
        sc_run r;
        sc_run_init(&r, sc, modes[i].mode);
        r.call = call;
        r.ud = &g;
        sc_play(&r);
        sc_run_clear(&r);
    }
    sc_free(sc);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fuzz_snapshot_seeds SEEDS_DIR MODELS_DIR "
                        "GOLDEN_DIR [SCENARIO...]\n");
        return 2;
    }
    seeds_dir = argv[1];
    models_dir = argv[2];
    read_golden(argv[3]);
    const char *root = getenv("BATON_SCENARIOS");
    if (!root)
        root = "tests/scenarios";
    sc_cases cases;
    if (sc_walk(root, "scenario.json", &cases))
        return 1;
    for (size_t i = 0; i < cases.n; i++) {
        int wanted = argc == 4;
        for (int a = 4; a < argc; a++)
            wanted |= !strcmp(argv[a], cases.names[i]);
        if (wanted)
            play(cases.names[i], cases.dirs[i]);
    }
    sc_cases_free(&cases);
    printf("%zu snapshots written, %zu golden models known\n", written,
           n_golden);
    return 0;
}
