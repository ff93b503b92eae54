/* The `baton` command-line tool: shared declarations. */
#ifndef BATON_CLI_H
#define BATON_CLI_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "baton.h"
#include "baton_host.h"

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
int cli_test(int argc, char **argv);

/* Usage text: the whole of it, or one subcommand's. */
void cli_usage(FILE *f);
void cli_usage_run(FILE *f);
void cli_usage_check(FILE *f);
void cli_usage_test(FILE *f);
void cli_usage_ops(FILE *f);

/* `baton ops` (examples/ops/): the operations view, or, in a build
 * without it, how to get it. */
int cli_ops(int argc, char **argv);

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

/* An instance state's lower-case name, as `baton run` and `baton test`
 * print it ("waiting", "completed", ...; "unknown" for others). */
const char *cli_state_name(int state);

/* Prints "SOURCE:LINE: TAG ID: message" to `f`, leaving out the parts that
 * are empty (line 0 counts as empty). */
void cli_print_problem(FILE *f, const char *source, int line,
                       const char *tag, const char *id, const char *message);

/* Prints the engine's last error to stderr in the same shape, after
 * `prefix` (may be NULL); `fallback` names the source when the engine knows
 * none (an option name, a file); `code` is the failed call's status. */
void cli_print_engine_error(const baton_engine *engine, const char *prefix,
                            const char *fallback, int code);

/* Checks that `text` is one JSON object. Returns 0; 1 when it is valid
 * JSON but not an object; -1 when it is not valid JSON, with where and why
 * in `buf`. */
int cli_json_object_check(const char *text, char *buf, size_t size);

/* Writes `s` as a JSON string literal. */
void cli_json_string(FILE *f, const char *s);

/* Log hook writing to stderr; `ud` points to the highest level shown. */
void cli_log(void *ud, int level, const char *message);

/* Flushes stdout and reports a write error. Returns 0 or -1. */
int cli_finish_stdout(void);

/* ---- Time and the events of --then (then.c) ---------------------- */

/* The tool's clock, which the engine's clock hook reads: milliseconds
 * since the epoch (UTC). Only --now and advance: change it. */
struct cli_clock {
    int64_t now;
};

/* The clock hook (baton_clock_fn); `ud` is a struct cli_clock. */
int64_t cli_clock_read(void *ud);

/* The system's current time (CLOCK_REALTIME). Returns 0 or -1. */
int cli_clock_system(int64_t *out);

/* Parses YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm|-hh:mm). Returns 0, -1 when
 * the text has another shape, -2 when the date or time does not exist or
 * is outside the years 0001-9999. */
int cli_time_parse(const char *text, int64_t *out);

/* Writes `t` as YYYY-MM-DDThh:mm:ss.fffZ (the shape of the records'
 * dueDateIso) into `buf` and returns it. */
char *cli_time_format(int64_t t, char buf[32]);

/* An ISO 8601 duration: calendar months (years count 12), days (weeks
 * count 7) and milliseconds. */
struct cli_duration {
    int64_t months;
    int64_t days;
    int64_t ms;
};

enum then_kind {
    THEN_ADVANCE,
    THEN_MESSAGE,
    THEN_SIGNAL,
    THEN_COMPLETE,
    THEN_FAIL,
    THEN_ERROR,
    THEN_CANCEL
};

/* One --then ACTION, split in place inside `buf`. */
struct then_action {
    char *buf;
    const char *spec; /* the option's text, for messages */
    enum then_kind kind;
    const char *name; /* message or signal name, or the job's element id */
    const char *key;  /* message: correlation key; error: the code; or NULL */
    const char *text; /* JSON (message, signal, complete) or error message
                         (fail, error); NULL for none */
    struct cli_duration by; /* advance */
    const char *what; /* names the action in messages instead of
                         "--then SPEC" (baton test), or NULL */
};

/* Parses one --then ACTION into `a`. Returns 0, -1 (out of memory) or
 * CLI_EXIT_REFUSED (malformed, message printed). */
int cli_then_parse(const char *spec, struct then_action *a);
void cli_then_free(struct then_action *a);

/* Applies `a` to the instance, or to the clock. `*job_key` receives the
 * key of the job it settled, or 0. Returns 0, or CLI_EXIT_REFUSED when
 * the action could not apply (message printed). */
int cli_then_apply(const struct then_action *a, baton_engine *engine,
                   baton_instance *inst, struct cli_clock *clock,
                   uint64_t *job_key);

/* Writes the fields of the state line about what the instance waits for:
 * `, "nextDue": ...` when it waits on time, `, "subscriptions": [...]`
 * when it has open subscriptions; nothing otherwise. */
void cli_print_waits(FILE *f, const baton_instance *inst);

/* ---- Commands over a store (store.c, query.c, worker.c, duration.c) */

/* Whether `name` is a command over a store (deploy, start, worker, ...),
 * and runs it; argv[0] is the command's name. */
int cli_is_store_command(const char *name);
int cli_store_main(int argc, char **argv);

/* Usage of every store command, and of one (NULL: none printed). */
void cli_usage_store(FILE *f);
int cli_usage_store_command(FILE *f, const char *name);

/* The worker (worker.c). */
int cli_worker(int argc, char **argv);

/* `baton migrate` (migrate.c). */
int cli_migrate(int argc, char **argv);

/* The commands that read a store (query.c). */
int cli_instances(int argc, char **argv);
int cli_instance(int argc, char **argv);
int cli_incidents(int argc, char **argv);
/* `baton deployments`: each version, its instances, whether it can be
 * dropped. */
int cli_deployments(int argc, char **argv);

/* One option of a store command. A flag sets `*flag` to 1; an option
 * with a value sets `*value` (the last one given wins) or, with `add`,
 * hands each value to it (repeatable options); `add` returns 0 or an
 * exit status (message printed). */
struct cli_opt {
    const char *name; /* "--store" */
    int takes_value;
    const char **value;
    int *flag;
    int (*add)(void *ud, const char *value);
    void *ud;
};

/* Entries of an option list: an option with a value, a flag, the end. */
#define CLI_OPT(name, value) {name, 1, value, NULL, NULL, NULL}
#define CLI_FLAG(name, flag) {name, 0, NULL, flag, NULL, NULL}
#define CLI_OPT_END {NULL, 0, NULL, NULL, NULL, NULL}

/* Parses argv[1..argc-1] against `opts` (ended by a NULL name): options
 * may come before or after operands, as "--opt VALUE" or "--opt=VALUE";
 * "--" ends the options. The operands are moved to argv[1..*n_operands].
 * --help and -h print the command's usage. Returns 0, -1 when help was
 * printed (exit with 0), or an exit status (message printed). */
int cli_parse_opts(const char *command, int argc, char **argv,
                   const struct cli_opt *opts, size_t *n_operands);

/* Opens the store of --store `uri` (NULL: $BATON_STORE, then
 * sqlite:baton.db). Returns 0, or an exit status (message printed, never
 * the URI). */
int cli_store_open(const char *command, const char *uri, baton_host **out);

/* Prints "baton: MESSAGE" of the host's last error; returns
 * CLI_EXIT_REFUSED. */
int cli_host_error(const baton_host *host, int code);

/* Parses a duration: an ISO 8601 duration of fixed length
 * (P[nW][nD][T[nH][nM][n[.f]S]], letters in either case, a fraction only
 * on seconds) or plain milliseconds. Returns 0, or -1 with what is wrong
 * in `why`. */
int cli_duration_ms(const char *text, int64_t *out, char *why, size_t size);

/* Parses a positive decimal key (an instance, job or incident key).
 * Returns 0 or -1. */
int cli_parse_key(const char *text, uint64_t *out);

/* Parses a decimal count from 0 to `max`. Returns 0 or -1. */
int cli_parse_count(const char *text, long max, long *out);

/* ---- What the store commands share (store.c) ---------------------- */

/* What cli_parse_args() returns when the command goes on. */
#define CLI_GO_ON (-1)

/* Parses the options of `command` (cli_parse_opts()) and checks the
 * number of its operands, left in argv[1..*n] (`n` may be NULL): exactly
 * one when `none` and `many` are given (the messages when there is none
 * and when there are more), one or more when only `none` is, none when
 * neither is. Returns CLI_GO_ON, or the command's exit status (0 after
 * --help; otherwise a message was printed). */
int cli_parse_args(const char *command, int argc, char **argv,
                   const struct cli_opt *opts, const char *none,
                   const char *many, size_t *n);

/* Parses the key operand `text` of `command`; `what` names the key with
 * its article ("an instance"). Returns 0 or CLI_EXIT_USAGE (message
 * printed). */
int cli_key_operand(const char *command, const char *text, const char *what,
                    uint64_t *out);

/* One command's call of the host: the store and the variables of --vars. */
struct cli_call {
    baton_host *host;
    const char *vars; /* the JSON text, or NULL */
    size_t len;
    char *buf;        /* what holds the variables read from a file */
};

/* Reads the variables of --vars `vars` (JSON, @FILE or @-; NULL: none),
 * then opens the store of --store `store` (cli_store_open()). Returns 0,
 * or an exit status (message printed). */
int cli_call_open(struct cli_call *c, const char *command, const char *store,
                  const char *vars);

/* Ends the call whose host function returned `rc`: prints the host's
 * message when it failed, frees the variables, closes the store. Returns
 * 0 or CLI_EXIT_REFUSED. */
int cli_call_end(struct cli_call *c, int rc);

/* Prints the host's JSON text `out` and frees it: as it is with `json`,
 * otherwise read and handed to `print`, which prints it and returns 0 or
 * an exit status. Returns 0 or an exit status (message printed). */
struct json_t;
int cli_print_host_json(char *out, int json, int (*print)(struct json_t *));

#endif
