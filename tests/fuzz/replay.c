/* fuzz_replay: feeds inputs through the fuzz targets without libFuzzer,
 * so that every committed seed and regression input runs in every
 * `meson test` (the test `fuzz_regressions`), with any compiler.
 *
 *   fuzz_replay FUZZDIR             every file of FUZZDIR/TARGET/seeds and
 *                                   FUZZDIR/TARGET/regressions, for every
 *                                   target
 *   fuzz_replay TARGET PATH...      files, or folders of them, through one
 *                                   target (model, json, feel, snapshot,
 *                                   timer)
 *
 * A target that finds a problem aborts, naming it; the last "input:"
 * line on stderr names the file. Files whose names start with '.' are
 * skipped. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static const struct target {
    const char *name;
    int (*one)(const uint8_t *data, size_t size);
} targets[] = {
    { "model", fuzz_model_one },
    { "json", fuzz_json_one },
    { "feel", fuzz_feel_one },
    { "snapshot", fuzz_snapshot_one },
    { "timer", fuzz_timer_one },
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t run_file(const struct target *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (!p || n < 0 || fread(p, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    fprintf(stderr, "input: %s\n", path);
    /* Exactly the input's size, as libFuzzer hands it over. */
    uint8_t *exact = malloc(n > 0 ? (size_t)n : 1);
    memcpy(exact, p, (size_t)n);
    free(p);
    t->one(exact, (size_t)n);
    free(exact);
    return 1;
}

static size_t run_path(const struct target *t, const char *path, int must)
{
    struct stat st;
    if (stat(path, &st)) {
        if (must) {
            fprintf(stderr, "no such file: %s\n", path);
            exit(1);
        }
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(t, path);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    char **names = NULL;
    size_t n = 0, done = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *full = malloc(len);
        snprintf(full, len, "%s/%s", path, names[i]);
        done += run_path(t, full, 1);
        free(full);
        free(names[i]);
    }
    free(names);
    return done;
}

static const struct target *find(const char *name)
{
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++)
        if (!strcmp(targets[i].name, name))
            return &targets[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 2) {
        size_t total = 0;
        for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
            const struct target *t = &targets[i];
            size_t len = strlen(argv[1]) + strlen(t->name) + 16;
            char *dir = malloc(len);
            snprintf(dir, len, "%s/%s/seeds", argv[1], t->name);
            size_t seeds = run_path(t, dir, 0);
            snprintf(dir, len, "%s/%s/regressions", argv[1], t->name);
            size_t regs = run_path(t, dir, 0);
            free(dir);
            if (!seeds) {
                fprintf(stderr, "%s: no seeds in %s/%s/seeds\n", t->name,
                        argv[1], t->name);
                return 1;
            }
            printf("%s: %zu seeds, %zu regression inputs\n", t->name, seeds,
                   regs);
            total += seeds + regs;
        }
        printf("%zu passed, 0 failed\n", total);
        return 0;
    }
    const struct target *t = argc > 2 ? find(argv[1]) : NULL;
    if (!t) {
        fprintf(stderr, "usage: fuzz_replay FUZZDIR\n"
                        "       fuzz_replay model|json|feel|snapshot|timer "
                        "PATH...\n");
        return 2;
    }
    size_t total = 0;
    for (int i = 2; i < argc; i++)
        total += run_path(t, argv[i], 1);
    printf("%zu passed, 0 failed\n", total);
    return 0;
}
