/* Finding builtins by name, over the tables of builtins_*.c. Names are
 * looked up while compiling only, so a scan of the few hundred entries
 * is enough. */
#include <string.h>

#include "feel/builtins.h"

/* Names the parser turns into a form of their own: `is defined(x)` must
 * tell a missing variable from a null one, which no function of values
 * can (parse.c makes it N_ISDEF; its entry is never called). */
static const bt_feel_builtin lib_forms[] = {
    {"is defined", {"value"}, 1, 0, NULL},
    {NULL, {NULL}, 0, 0, NULL}};

static const bt_feel_builtin *const tables[] = {
    lib_forms, bt_feel_lib_num, bt_feel_lib_time, bt_feel_lib_string,
    bt_feel_lib_list, bt_feel_lib_misc};

const bt_feel_builtin *bt_feel_builtin_find(const char *name, size_t n)
{
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const bt_feel_builtin *b = tables[t]; b->name; b++)
            if (strlen(b->name) == n && !memcmp(b->name, name, n))
                return b;
    return NULL;
}

int bt_feel_builtin_prefix(const char *name, size_t n)
{
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const bt_feel_builtin *b = tables[t]; b->name; b++)
            if (strlen(b->name) > n && !memcmp(b->name, name, n) &&
                b->name[n] == ' ')
                return 1;
    return 0;
}
