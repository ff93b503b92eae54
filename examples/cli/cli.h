/* The `baton` command-line tool: shared declarations. */
#ifndef BATON_CLI_H
#define BATON_CLI_H

#include <stdio.h>
#include <stddef.h>

#include "baton.h"

/* Exit statuses, documented in docs/cli.md. */
enum cli_exit {
    CLI_EXIT_COMPLETED = 0,
    CLI_EXIT_REFUSED = 1,   /* model or input refused, or an I/O error */
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_WAITING = 3,
    CLI_EXIT_INCIDENT = 4,
    CLI_EXIT_TERMINATED = 5
};

/* Subcommands; argv[0] is the subcommand's name. */
int cli_run(int argc, char **argv);
int cli_check(int argc, char **argv);

/* Usage text: the whole of it, or one subcommand's. */
void cli_usage(FILE *f);
void cli_usage_run(FILE *f);
void cli_usage_check(FILE *f);

/* Reads a whole file (standard input when `path` is NULL) into a
 * malloc'ed, NUL-terminated buffer. Returns 0 or an errno value. */
int cli_read_file(const char *path, char **out, size_t *len);

/* Prints "NAME: cannot read: REASON" for an error of cli_read_file(), the
 * one wording of both subcommands. */
void cli_print_read_error(FILE *f, const char *name, int err);

/* Prints "baton[ COMMAND]: MESSAGE" and a hint to the command's --help on
 * stderr; returns CLI_EXIT_USAGE. `command` may be NULL. */
int cli_usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A malloc'ed copy of `s`, or NULL. */
char *cli_strdup(const char *s);

/* Prints "SOURCE:LINE: TAG ID: message" to `f`, leaving out the parts that
 * are empty (line 0 counts as empty). */
void cli_print_problem(FILE *f, const char *source, int line,
                       const char *tag, const char *id, const char *message);

/* Prints the engine's last error to stderr in the same shape, after
 * `prefix` (may be NULL); `fallback` names the source when the engine knows
 * none (an option name, a file); `code` is the failed call's status. */
void cli_print_engine_error(const baton_engine *engine, const char *prefix,
                            const char *fallback, int code);

/* Writes `s` as a JSON string literal. */
void cli_json_string(FILE *f, const char *s);

/* Log hook writing to stderr; `ud` points to the highest level shown. */
void cli_log(void *ud, int level, const char *message);

/* Flushes stdout and reports a write error. Returns 0 or -1. */
int cli_finish_stdout(void);

#endif
