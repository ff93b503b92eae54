/* Finding builtins by name, over the tables of builtins_*.c. Names are
 * looked up while compiling only, so a scan of the few hundred entries
 * is enough. */
#include <string.h>

#include "feel/builtins.h"

static const bt_feel_builtin *const tables[] = {
    bt_feel_lib_num, bt_feel_lib_time, bt_feel_lib_string, bt_feel_lib_list,
    bt_feel_lib_misc};

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
