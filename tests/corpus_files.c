#define _XOPEN_SOURCE 700 /* nftw */
#include "corpus_files.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* nftw takes no user data. */
static char **found;
static size_t n_found, cap_found;

static int collect(const char *path, const struct stat *st, int type,
                   struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".bpmn") != 0)
        return 0;
    if (n_found == cap_found) {
        cap_found = cap_found ? cap_found * 2 : 256;
        char **more = realloc(found, cap_found * sizeof *found);
        if (!more)
            return 1;
        found = more;
    }
    found[n_found] = strdup(path);
    return found[n_found++] ? 0 : 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int corpus_files(const char **root, char ***files, size_t *n)
{
    *root = getenv("BATON_CORPUS");
    if (!*root) {
        fprintf(stderr, "BATON_CORPUS is not set\n");
        return -1;
    }
    found = NULL;
    n_found = cap_found = 0;
    if (nftw(*root, collect, 16, FTW_PHYS) != 0) {
        fprintf(stderr, "cannot walk %s\n", *root);
        corpus_files_free(found, n_found);
        return -1;
    }
    qsort(found, n_found, sizeof *found, by_name);
    *files = found;
    *n = n_found;
    return 0;
}

void corpus_files_free(char **files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}
