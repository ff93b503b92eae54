/* `baton ops` in a build without the operations view: says how to get
 * it. */
#include <string.h>

#include "../cli/cli.h"

int cli_ops(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_usage_ops(stdout);
            return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
        }
    fputs(
"baton ops: this baton was built without the operations view. To build\n"
"it, install libmicrohttpd (Debian: apt install libmicrohttpd-dev) and the\n"
"page's packages (npm ci --prefix examples/ops/web), then reconfigure:\n"
"meson setup --reconfigure BUILD_DIR -Dops=enabled && ninja -C BUILD_DIR\n",
          stderr);
    return CLI_EXIT_REFUSED;
}
