/* Loading a model from a file: the one place the library reads a file,
 * and only when asked to. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"

/* Reads a whole file through the engine's allocator, refusing more than
 * the document limit before reading it all. */
static int read_file(baton_engine *e, const char *path, char **data,
                     size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bt_error(e, BATON_EIO, path, 0, 0, NULL, "cannot open: %s",
                        strerror(errno));
    size_t cap = 0, n = 0;
    char *buf = NULL;
    size_t limit = (size_t)e->limits[BATON_LIMIT_DOCUMENT_BYTES];
    int rc = 0;
    for (;;) {
        if (bt_grow(&e->alloc, (void **)&buf, &cap, n + 65536, 1)) {
            rc = bt_error(e, BATON_ENOMEM, path, 0, 0, NULL,
                          "out of memory reading the file");
            break;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > limit) {
            rc = bt_error(e, BATON_ELIMIT, path, 0, 0, NULL,
                          "document exceeds the limit of %zu bytes", limit);
            break;
        }
        if (got == 0) {
            if (ferror(f))
                rc = bt_error(e, BATON_EIO, path, 0, 0, NULL,
                              "read error: %s", strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc) {
        bt_free(&e->alloc, buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return 0;
}

int baton_model_load_file(baton_engine *e, const char *path,
                          baton_model **out)
{
    if (!e)
        return BATON_EINVAL;
    bt_clear_error(e);
    if (!out || !path)
        return bt_error(e, BATON_EINVAL, NULL, 0, 0, NULL,
                        "baton_model_load_file needs a path and an output");
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(e, path, &data, &len);
    if (rc)
        return rc;
    rc = bt_api_load(e, data ? data : "", len, path, NULL, NULL, out);
    bt_free(&e->alloc, data);
    return rc;
}
