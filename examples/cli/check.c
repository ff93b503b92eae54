/* baton check MODEL...: every problem of every model, one per line. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct check_ctx {
    const char *path;
    size_t problems;
};

static void on_problem(void *ud, int code, const char *source, int line,
                       int column, const char *tag, const char *element_id,
                       const char *message)
{
    struct check_ctx *ctx = ud;
    const char *msg = message && *message ? message : baton_strerror(code);

    (void)column;
    ctx->problems++;
    cli_print_problem(stdout, source && *source ? source : ctx->path, line,
                      tag, element_id, msg);
}

static int check_one(baton_engine *engine, const char *path)
{
    struct check_ctx ctx = {path, 0};
    char *xml = NULL;
    size_t len = 0;
    int err, rc;

    err = cli_read_file(path, &xml, &len);
    if (err) {
        cli_print_read_error(stdout, path, err);
        return -1;
    }
    rc = baton_model_check(engine, xml, len, path, on_problem, &ctx);
    free(xml);
    if (rc != BATON_OK && ctx.problems == 0) {
        /* A failure the check could not attribute to the document, such
         * as running out of memory. */
        cli_print_problem(stdout, path, baton_engine_errline(engine), NULL,
                          baton_engine_errelement(engine),
                          *baton_engine_errmsg(engine)
                              ? baton_engine_errmsg(engine)
                              : baton_strerror(rc));
    }
    return rc == BATON_OK ? 0 : -1;
}

int cli_check(int argc, char **argv)
{
    baton_engine *engine = NULL;
    int i, first = 1, failed = 0, rc;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
                     strcmp(argv[1], "-h") == 0)) {
        cli_usage_check(stdout);
        return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
    }
    if (argc > 1 && strcmp(argv[1], "--") == 0)
        first = 2;
    else {
        for (i = 1; i < argc; i++) {
            if (argv[i][0] == '-' && argv[i][1] != '\0')
                return cli_usage_error("check", "unknown option '%s'",
                                       argv[i]);
        }
    }
    if (first >= argc)
        return cli_usage_error("check", "no MODEL given");

    rc = baton_engine_new(NULL, NULL, &engine);
    if (rc != BATON_OK) {
        fprintf(stderr, "baton: %s\n", baton_strerror(rc));
        return CLI_EXIT_REFUSED;
    }
    baton_engine_set_log(engine, cli_log, NULL);
    for (i = first; i < argc; i++)
        if (check_one(engine, argv[i]) != 0)
            failed = 1;
    baton_engine_free(engine);
    if (cli_finish_stdout() != 0)
        return CLI_EXIT_REFUSED;
    return failed ? CLI_EXIT_REFUSED : 0;
}
