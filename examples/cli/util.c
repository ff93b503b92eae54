/* Helpers shared by the subcommands of the `baton` tool. */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

char *cli_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

int cli_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = path ? fopen(path, "rb") : stdin;
    char *buf = NULL;
    size_t size = 0, cap = 0;
    int err = 0;

    *out = NULL;
    *len = 0;
    if (!f)
        return errno ? errno : EIO;
    for (;;) {
        size_t got;
        if (cap - size < 2) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf;
            if (ncap < cap) { /* size_t overflow */
                err = EFBIG;
                break;
            }
            nbuf = realloc(buf, ncap);
            if (!nbuf) {
                err = ENOMEM;
                break;
            }
            buf = nbuf;
            cap = ncap;
        }
        got = fread(buf + size, 1, cap - size - 1, f);
        size += got;
        if (got == 0) {
            if (ferror(f))
                err = errno ? errno : EIO;
            break;
        }
    }
    if (f != stdin && fclose(f) != 0 && !err)
        err = errno ? errno : EIO;
    if (err) {
        free(buf);
        return err;
    }
    if (!buf) { /* cannot happen: the loop allocates first */
        return EIO;
    }
    buf[size] = '\0';
    *out = buf;
    *len = size;
    return 0;
}

void cli_print_read_error(FILE *f, const char *name, int err)
{
    fprintf(f, "%s: cannot read: %s\n", name, strerror(err));
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "baton%s%s: ", command ? " " : "", command ? command : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntry 'baton%s%s --help'\n", command ? " " : "",
            command ? command : "");
    return CLI_EXIT_USAGE;
}

void cli_print_problem(FILE *f, const char *source, int line,
                       const char *tag, const char *id, const char *message)
{
    int have_tag = tag && *tag, have_id = id && *id;

    if (source && *source) {
        fputs(source, f);
        if (line > 0)
            fprintf(f, ":%d", line);
        fputs(": ", f);
    }
    if (have_tag || have_id) {
        if (have_tag)
            fputs(tag, f);
        if (have_tag && have_id)
            fputc(' ', f);
        if (have_id)
            fputs(id, f);
        fputs(": ", f);
    }
    fputs(message && *message ? message : "unknown error", f);
    fputc('\n', f);
}

void cli_print_engine_error(const baton_engine *engine, const char *prefix,
                            const char *fallback, int code)
{
    const char *source = baton_engine_errsource(engine);
    const char *element = baton_engine_errelement(engine);
    const char *msg = baton_engine_errmsg(engine);

    if (!*msg)
        msg = baton_strerror(code);
    /* The message may already name the element ("serviceTask 'X': ..."):
     * say it once. */
    if (*element && strstr(msg, element))
        element = NULL;
    if (prefix)
        fputs(prefix, stderr);
    cli_print_problem(stderr, *source ? source : fallback,
                      baton_engine_errline(engine), NULL, element, msg);
}

int cli_json_object_check(const char *text, char *buf, size_t size)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    int is_object;

    if (!v) {
        snprintf(buf, size, "invalid JSON at line %d, column %d: %s",
                 err.line, err.column, err.text);
        return -1;
    }
    is_object = json_is_object(v);
    json_decref(v);
    return is_object ? 0 : 1;
}

void cli_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    fputc('"', f);
    for (; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void cli_log(void *ud, int level, const char *message)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    int max = ud ? *(const int *)ud : BATON_LOG_WARN;

    if (level > max)
        return;
    fprintf(stderr, "baton: %s: %s\n",
            level >= 0 && level <= BATON_LOG_DEBUG ? names[level] : "log",
            message);
}

int cli_finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "baton: cannot write to standard output: %s\n",
                strerror(errno));
        return -1;
    }
    return 0;
}

const char *cli_state_name(int state)
{
    switch (state) {
    case BATON_INSTANCE_ACTIVE: return "active";
    case BATON_INSTANCE_WAITING: return "waiting";
    case BATON_INSTANCE_INCIDENT: return "incident";
    case BATON_INSTANCE_COMPLETED: return "completed";
    case BATON_INSTANCE_TERMINATED: return "terminated";
    default: return "unknown";
    }
}
