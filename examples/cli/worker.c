/* baton worker: the store's due work, jobs run by shell commands
 * (--exec TYPE=COMMAND) and AWS Lambda functions invoked through
 * libbaton-lambda (--lambda TYPE). See docs/cli.md.
 *
 * Handlers run on the host's handler threads, several at once with
 * --concurrency: each job forks /bin/sh -c COMMAND with pipes to its
 * standard input, output and error, and polls them, so that large
 * variables and outputs cannot deadlock. Our pipe ends are close-on-exec
 * and the child closes every descriptor above 2 before exec, so children
 * never hold each other's pipes (or the store's) open. Nothing here uses
 * static buffers or strerror(). */
#define _GNU_SOURCE /* pipe2 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baton_lambda.h"
#if defined(__linux__)
#include <sys/syscall.h>
#endif

extern char **environ;

/* What a command may print on standard output, and how much of its
 * standard error makes the failure's message. */
#define MAX_OUTPUT ((size_t)64 << 20)
#define MAX_MESSAGE 4000
#define KEEP_STDERR 8192

struct exec_rule {
    char *type;
    const char *command;
};

struct worker {
    struct exec_rule *rules;
    size_t n_rules, cap_rules;
    const char **lambda_types; /* --lambda TYPE, in argv */
    size_t n_lambda, cap_lambda;
    int log_level;
    int open_max; /* descriptors the child closes above 2 */
};

/* Each rule's handler gets its rule and the worker. */
struct handler_ud {
    const struct exec_rule *rule;
    const struct worker *w;
};

/* ---- Log --------------------------------------------------------- */

static void worker_log_text(const struct worker *w, int level,
                            const char *message)
{
    static const char *const names[] = {"error", "warning", "info",
                                        "debug"};

    if (level > w->log_level)
        return;
    /* One fprintf per line: stdio locks the stream, so lines of
     * concurrent handlers do not mix. */
    fprintf(stderr, "baton worker: %s: %s\n",
            level >= 0 && level <= BATON_LOG_DEBUG ? names[level] : "log",
            message);
}

static void host_log(void *ud, int level, const char *message)
{
    worker_log_text(ud, level, message);
}

static void job_log(const struct worker *w, int level,
                    const baton_host_job *job, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void job_log(const struct worker *w, int level,
                    const baton_host_job *job, const char *fmt, ...)
{
    char msg[MAX_MESSAGE + 256];
    int n;
    va_list ap;

    if (level > w->log_level)
        return;
    n = snprintf(msg, sizeof msg, "job %" PRIu64 " (%s): ",
                 baton_host_job_key(job), baton_host_job_type(job));
    if (n < 0 || (size_t)n >= sizeof msg)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    worker_log_text(w, level, msg);
}

static const char *errtext(int err, char *buf, size_t size)
{
#if defined(__GLIBC__)
    return strerror_r(err, buf, size);
#else
    if (strerror_r(err, buf, size) != 0)
        snprintf(buf, size, "error %d", err);
    return buf;
#endif
}

/* ---- Output buffers ------------------------------------------------ */

struct buf {
    char *data;
    size_t len, cap;
    int overflow; /* more than the limit was printed */
};

/* Appends, keeping at most `max` bytes: the first ones (keep_tail 0) or
 * the last ones. Returns 0 or -1 (out of memory). */
static int buf_add(struct buf *b, const char *p, size_t n, size_t max,
                   int keep_tail)
{
    if (keep_tail && n > max) {
        p += n - max;
        n = max;
        b->len = 0;
        b->overflow = 1;
    }
    if (b->len + n > max) {
        b->overflow = 1;
        if (!keep_tail) {
            n = max - b->len;
        } else {
            size_t drop = b->len + n - max;
            memmove(b->data, b->data + drop, b->len - drop);
            b->len -= drop;
        }
    }
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;
        char *nd;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        nd = realloc(b->data, ncap);
        if (!nd)
            return -1;
        b->data = nd;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
           ch == '\f' || ch == '\v';
}

/* The text of `b` without leading and trailing white space into `out`:
 * at most MAX_MESSAGE bytes, the last ones after "..." when there were
 * more. Returns `out`. */
static const char *buf_message(const struct buf *b, char *out, size_t size)
{
    const char *s = b->data ? b->data : "", *e = s + b->len;
    int cut = b->overflow;

    while (s < e && is_space(*s))
        s++;
    while (e > s && is_space(e[-1]))
        e--;
    if ((size_t)(e - s) > MAX_MESSAGE) {
        s = e - MAX_MESSAGE;
        cut = 1;
    }
    /* Not in the middle of a UTF-8 character. */
    while (cut && s < e && ((unsigned char)*s & 0xc0) == 0x80)
        s++;
    snprintf(out, size, "%s%.*s", cut && s < e ? "..." : "", (int)(e - s), s);
    return out;
}

/* ---- Running a command ------------------------------------------- */

/* NAME=VALUE, malloc'ed. */
static char *env_entry(const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    char *s = malloc(n + v + 2);

    if (s) {
        memcpy(s, name, n);
        s[n] = '=';
        memcpy(s + n + 1, value, v + 1);
    }
    return s;
}

static const char *const job_env_names[] = {
    "BATON_JOB_KEY", "BATON_JOB_TYPE", "BATON_ELEMENT_ID",
    "BATON_PROCESS_ID", "BATON_PROCESS_INSTANCE_KEY", "BATON_JOB_RETRIES",
    "BATON_JOB_HEADERS"};
#define N_JOB_ENV (sizeof job_env_names / sizeof job_env_names[0])

static int is_job_env(const char *entry)
{
    for (size_t i = 0; i < N_JOB_ENV; i++) {
        size_t n = strlen(job_env_names[i]);
        if (strncmp(entry, job_env_names[i], n) == 0 && entry[n] == '=')
            return 1;
    }
    return 0;
}

/* The child's environment: ours, without the job's variables, and then
 * the job's. `own` receives the entries to free. Returns NULL when memory
 * ran out. */
static char **job_environment(const baton_host_job *job, char *own[N_JOB_ENV])
{
    char num[3][24];
    const char *values[N_JOB_ENV];
    size_t n = 0, i, k = 0;
    char **env;

    snprintf(num[0], sizeof num[0], "%" PRIu64, baton_host_job_key(job));
    snprintf(num[1], sizeof num[1], "%" PRIu64,
             baton_host_job_instance_key(job));
    snprintf(num[2], sizeof num[2], "%d", baton_host_job_retries(job));
    values[0] = num[0];
    values[1] = baton_host_job_type(job);
    values[2] = baton_host_job_element_id(job);
    values[3] = baton_host_job_process_id(job);
    values[4] = num[1];
    values[5] = num[2];
    values[6] = baton_host_job_headers(job);
    for (i = 0; i < N_JOB_ENV; i++)
        own[i] = NULL;
    while (environ && environ[n])
        n++;
    env = malloc((n + N_JOB_ENV + 1) * sizeof *env);
    if (!env)
        return NULL;
    for (i = 0; i < n; i++)
        if (!is_job_env(environ[i]))
            env[k++] = environ[i];
    for (i = 0; i < N_JOB_ENV; i++) {
        own[i] = env_entry(job_env_names[i], values[i] ? values[i] : "");
        if (!own[i]) {
            for (size_t j = 0; j < i; j++)
                free(own[j]);
            free(env);
            return NULL;
        }
        env[k++] = own[i];
    }
    env[k] = NULL;
    return env;
}

/* A pipe whose ends are close-on-exec from the start (pipe2 where there
 * is one: no other thread's fork can inherit it). */
static int cloexec_pipe(int fd[2])
{
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
    defined(__OpenBSD__)
    return pipe2(fd, O_CLOEXEC);
#else
    if (pipe(fd) != 0)
        return -1;
    fcntl(fd[0], F_SETFD, FD_CLOEXEC);
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(const char *command, char **env, int in, int out,
                  int err, int open_max)
{
    struct sigaction dfl;
    sigset_t none;
    char *argv[4];
    int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    static const char msg[] = "baton worker: cannot run /bin/sh\n";

    /* Default dispositions first, then unblock: the handler thread that
     * forked blocks every signal, and the mask survives exec. */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &dfl, NULL);
    /* A process group of its own: the terminal's Ctrl-C stops the worker
     * taking jobs, and lets the running commands finish. */
    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
        for (int fd = 3; fd < open_max; fd++)
            close(fd);
    argv[0] = (char *)"sh";
    argv[1] = (char *)"-c";
    argv[2] = (char *)command;
    argv[3] = NULL;
    execve("/bin/sh", argv, env);
    {
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
    }
    _exit(127);
}

struct run_result {
    int spawned;  /* 0: could not start; `why` says why */
    int status;   /* waitpid's */
    struct buf out, err;
    int oom;
    char why[256];
};

/* Runs the command with `input` on its standard input; collects its
 * output and error and waits for it. */
static void run_command(const struct worker *w, const char *command,
                        const baton_host_job *job, const char *input,
                        struct run_result *r)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    char *own[N_JOB_ENV];
    char **env;
    char eb[128];
    size_t input_len = strlen(input), written = 0;
    pid_t pid;

    memset(r, 0, sizeof *r);
    env = job_environment(job, own);
    if (!env) {
        snprintf(r->why, sizeof r->why, "out of memory");
        return;
    }
    if (cloexec_pipe(in) != 0 || cloexec_pipe(out) != 0 ||
        cloexec_pipe(err) != 0) {
        snprintf(r->why, sizeof r->why, "cannot create a pipe: %s",
                 errtext(errno, eb, sizeof eb));
        goto done;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(r->why, sizeof r->why, "cannot start a process: %s",
                 errtext(errno, eb, sizeof eb));
        goto done;
    }
    if (pid == 0)
        child(command, env, in[0], out[1], err[1], w->open_max);
    r->spawned = 1;
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&err[1]);
    set_nonblock(in[1]);
    set_nonblock(out[0]);
    set_nonblock(err[0]);
    if (input_len == 0)
        close_fd(&in[1]);
    while (out[0] >= 0 || err[0] >= 0) {
        struct pollfd fds[3];
        nfds_t nf = 0;
        int n;

        if (in[1] >= 0)
            fds[nf++] = (struct pollfd){in[1], POLLOUT, 0};
        if (out[0] >= 0)
            fds[nf++] = (struct pollfd){out[0], POLLIN, 0};
        if (err[0] >= 0)
            fds[nf++] = (struct pollfd){err[0], POLLIN, 0};
        n = poll(fds, nf, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(r->why, sizeof r->why, "poll: %s",
                     errtext(errno, eb, sizeof eb));
            break;
        }
        for (nfds_t i = 0; i < nf; i++) {
            int fd = fds[i].fd;
            char chunk[65536];
            ssize_t got;

            if (!fds[i].revents)
                continue;
            if (fd == in[1]) {
                got = write(fd, input + written, input_len - written);
                if (got > 0)
                    written += (size_t)got;
                /* The command stopped reading (EPIPE) or read it all. */
                if ((got < 0 && errno != EAGAIN && errno != EINTR) ||
                    written == input_len)
                    close_fd(&in[1]);
                continue;
            }
            got = read(fd, chunk, sizeof chunk);
            if (got < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (got <= 0) {
                close_fd(fd == out[0] ? &out[0] : &err[0]);
                continue;
            }
            if (fd == out[0]) {
                if (buf_add(&r->out, chunk, (size_t)got, MAX_OUTPUT, 0))
                    r->oom = 1;
            } else if (buf_add(&r->err, chunk, (size_t)got, KEEP_STDERR,
                               1)) {
                r->oom = 1;
            }
        }
    }
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&err[0]);
    while (waitpid(pid, &r->status, 0) < 0) {
        if (errno != EINTR) {
            r->status = 0x7f00; /* exit status 127 */
            break;
        }
    }
done:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&err[0]);
    close_fd(&err[1]);
    for (size_t i = 0; i < N_JOB_ENV; i++)
        free(own[i]);
    free(env);
}

/* ---- The handler --------------------------------------------------- */

static void fail_job(const struct worker *w, baton_host_job *job,
                     const char *message)
{
    int retries = baton_host_job_retries(job) - 1;

    if (retries < 0)
        retries = 0;
    job_log(w, BATON_LOG_WARN, job, "failed (job retries left: %d): %s",
            retries, message);
    baton_host_job_fail(job, retries, 0, message);
}

/* Exit status 0: the output is nothing, a JSON object of variables, or a
 * {"bpmnError": {...}}. */
static void settle_output(const struct worker *w, baton_host_job *job,
                          struct run_result *r)
{
    const char *text = r->out.data ? r->out.data : "";
    const char *p = text;
    json_error_t jerr;
    json_t *doc, *e;
    char msg[512];
    int rc;

    while (*p && is_space(*p))
        p++;
    if (!*p) {
        rc = baton_host_job_complete(job, NULL, 0);
        if (rc == BATON_OK)
            job_log(w, BATON_LOG_INFO, job, "completed");
        return;
    }
    if (r->out.overflow) {
        fail_job(w, job, "the command printed more than 64 MiB");
        return;
    }
    doc = json_loadb(text, r->out.len, 0, &jerr);
    if (!doc) {
        snprintf(msg, sizeof msg, "the command's output is not a JSON "
                 "object: invalid JSON at line %d, column %d: %s",
                 jerr.line, jerr.column, jerr.text);
        fail_job(w, job, msg);
        return;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        fail_job(w, job, "the command's output is not a JSON object");
        return;
    }
    e = json_object_get(doc, "bpmnError");
    if (e) {
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *m = json_string_value(json_object_get(e, "message"));
        json_t *ev = json_object_get(e, "variables");
        if (!json_is_object(e) || !code || !*code ||
            (ev && !json_is_object(ev))) {
            json_decref(doc);
            fail_job(w, job, "the command's bpmnError has no \"code\" "
                     "string, or \"variables\" that are not an object");
            return;
        }
        char *etext = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        rc = ev && !etext ? BATON_ENOMEM
                          : baton_host_job_throw_error(job, code, m, etext,
                                                       BATON_NUL);
        free(etext);
        if (rc == BATON_OK)
            job_log(w, BATON_LOG_INFO, job, "threw BPMN error %s", code);
        else
            fail_job(w, job, "the BPMN error cannot be thrown");
        json_decref(doc);
        return;
    }
    json_decref(doc);
    rc = baton_host_job_complete(job, text, r->out.len);
    if (rc == BATON_OK)
        job_log(w, BATON_LOG_INFO, job, "completed");
    else
        fail_job(w, job, rc == BATON_ENOMEM ? "out of memory"
                 : "the command's output cannot complete the job");
}

static void exec_handler(void *ud, baton_host_job *job)
{
    const struct handler_ud *h = ud;
    const char *vars = baton_host_job_variables(job);
    struct run_result r;
    char *input;
    size_t len;
    char msg[128];

    /* The variables on one line. */
    vars = vars ? vars : "{}";
    len = strlen(vars);
    input = malloc(len + 2);
    if (!input) {
        fail_job(h->w, job, "out of memory");
        return;
    }
    memcpy(input, vars, len);
    input[len] = '\n';
    input[len + 1] = '\0';
    job_log(h->w, BATON_LOG_DEBUG, job, "running %s", h->rule->command);
    run_command(h->w, h->rule->command, job, input, &r);
    free(input);
    if (!r.spawned) {
        fail_job(h->w, job, r.why);
    } else if (r.oom) {
        fail_job(h->w, job, "out of memory reading the command's output");
    } else if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) {
        settle_output(h->w, job, &r);
    } else {
        char text[MAX_MESSAGE + 8];
        const char *m = buf_message(&r.err, text, sizeof text);
        if (!*m) {
            if (WIFEXITED(r.status))
                snprintf(msg, sizeof msg, "the command exited with status "
                         "%d", WEXITSTATUS(r.status));
            else if (WIFSIGNALED(r.status))
                snprintf(msg, sizeof msg, "the command was killed by "
                         "signal %d", WTERMSIG(r.status));
            else
                snprintf(msg, sizeof msg, "the command failed");
            m = msg;
        }
        fail_job(h->w, job, m);
    }
    free(r.out.data);
    free(r.err.data);
}

/* ---- The command --------------------------------------------------- */

/* Whether `type` is already taken by an --exec or a --lambda. */
static int type_taken(const struct worker *w, const char *type, size_t tlen)
{
    for (size_t i = 0; i < w->n_rules; i++)
        if (strlen(w->rules[i].type) == tlen &&
            strncmp(w->rules[i].type, type, tlen) == 0)
            return 1;
    for (size_t i = 0; i < w->n_lambda; i++)
        if (strlen(w->lambda_types[i]) == tlen &&
            strncmp(w->lambda_types[i], type, tlen) == 0)
            return 1;
    return 0;
}

static int add_exec(void *ud, const char *spec)
{
    struct worker *w = ud;
    const char *eq = strchr(spec, '=');
    size_t tlen;

    if (!eq || eq == spec || !eq[1])
        return cli_usage_error("worker", "--exec '%s': expected TYPE=COMMAND",
                               spec);
    tlen = (size_t)(eq - spec);
    if (type_taken(w, spec, tlen))
        return cli_usage_error("worker", "--exec: job type '%.*s' is "
                               "given twice", (int)tlen, spec);
    if (w->n_rules == w->cap_rules) {
        size_t ncap = w->cap_rules ? w->cap_rules * 2 : 8;
        struct exec_rule *nr = realloc(w->rules, ncap * sizeof *nr);
        if (!nr)
            goto oom;
        w->rules = nr;
        w->cap_rules = ncap;
    }
    w->rules[w->n_rules].type = malloc(tlen + 1);
    if (!w->rules[w->n_rules].type)
        goto oom;
    memcpy(w->rules[w->n_rules].type, spec, tlen);
    w->rules[w->n_rules].type[tlen] = '\0';
    w->rules[w->n_rules].command = eq + 1;
    w->n_rules++;
    return 0;
oom:
    fputs("baton: out of memory\n", stderr);
    return CLI_EXIT_REFUSED;
}

static int add_lambda(void *ud, const char *type)
{
    struct worker *w = ud;

    if (!*type)
        return cli_usage_error("worker", "--lambda: expected a job type");
    if (type_taken(w, type, strlen(type)))
        return cli_usage_error("worker", "--lambda: job type '%s' is given "
                               "twice", type);
    if (w->n_lambda == w->cap_lambda) {
        size_t ncap = w->cap_lambda ? w->cap_lambda * 2 : 4;
        const char **nt = realloc(w->lambda_types, ncap * sizeof *nt);
        if (!nt) {
            fputs("baton: out of memory\n", stderr);
            return CLI_EXIT_REFUSED;
        }
        w->lambda_types = nt;
        w->cap_lambda = ncap;
    }
    w->lambda_types[w->n_lambda++] = type;
    return 0;
}

static baton_host *volatile signal_host;

static void on_signal(int sig)
{
    (void)sig;
    if (signal_host)
        baton_host_worker_stop(signal_host);
}

/* Standard input, output and error stay open (on /dev/null if need be),
 * so that no pipe of a job lands on them. */
static void keep_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
            if (n >= 0 && n != fd) {
                dup2(n, fd);
                close(n);
            }
        }
}

int cli_worker(int argc, char **argv)
{
    struct worker w;
    const char *store = NULL, *concurrency = NULL, *lease = NULL,
               *name = NULL;
    int until_idle = 0, verbose = 0, rc;
    struct cli_opt opts[] = {
        {"--store", 1, &store, NULL, NULL, NULL},
        {"--exec", 1, NULL, NULL, add_exec, NULL},
        {"--lambda", 1, NULL, NULL, add_lambda, NULL},
        {"--concurrency", 1, &concurrency, NULL, NULL, NULL},
        {"--lease", 1, &lease, NULL, NULL, NULL},
        {"--name", 1, &name, NULL, NULL, NULL},
        {"--until-idle", 0, NULL, &until_idle, NULL, NULL},
        {"--verbose", 0, NULL, &verbose, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL, NULL}};
    struct handler_ud *uds = NULL;
    baton_host_worker_options wo;
    struct sigaction sa, old_int, old_term, old_pipe;
    int64_t lease_ms = 0;
    long n_conc = 1;
    size_t n, i;
    baton_host *host = NULL;
    baton_lambda *lambda = NULL;

    memset(&w, 0, sizeof w);
    w.log_level = BATON_LOG_WARN;
    opts[1].ud = &w;
    opts[2].ud = &w;
    rc = cli_parse_opts("worker", argc, argv, opts, &n);
    if (rc)
        goto out;
    if (n) {
        rc = cli_usage_error("worker", "unexpected operand '%s'", argv[1]);
        goto out;
    }
    if (concurrency) {
        char *end;
        errno = 0;
        n_conc = strtol(concurrency, &end, 10);
        if (*concurrency < '0' || *concurrency > '9' || *end || errno ||
            n_conc < 1 || n_conc > 1024) {
            rc = cli_usage_error("worker", "--concurrency '%s': expected a "
                                 "number from 1 to 1024", concurrency);
            goto out;
        }
    }
    if (lease) {
        char why[160];
        if (cli_duration_ms(lease, &lease_ms, why, sizeof why) != 0) {
            rc = cli_usage_error("worker", "--lease '%s': %s", lease, why);
            goto out;
        }
        if (lease_ms <= 0) {
            rc = cli_usage_error("worker", "--lease '%s': the lease must "
                                 "last longer than 0", lease);
            goto out;
        }
    }
    if (verbose)
        w.log_level = BATON_LOG_DEBUG;
    if (w.n_lambda) {
        /* Region, credentials and endpoint from the environment; the
         * message never carries a secret. */
        baton_lambda_config lc;
        memset(&lc, 0, sizeof lc);
        rc = baton_lambda_new(&lc, &lambda);
        if (rc != BATON_OK) {
            const char *m = lambda ? baton_lambda_errmsg(lambda) : NULL;
            fprintf(stderr, "baton: %s\n", m && *m ? m
                    : rc == BATON_ENOMEM ? "out of memory"
                    : "cannot create the Lambda invoker");
            rc = CLI_EXIT_REFUSED;
            goto out;
        }
    }
    {
        long m = sysconf(_SC_OPEN_MAX);
        w.open_max = m < 0 || m > 65536 ? 65536 : (int)m;
    }
    keep_std_fds();
    rc = cli_store_open("worker", store, &host);
    if (rc)
        goto out;
    baton_host_set_log(host, host_log, &w);
    if (lease_ms && baton_host_set(host, BATON_HOST_LEASE_MS, lease_ms) < 0) {
        rc = cli_usage_error("worker", "--lease '%s' is refused", lease);
        goto out;
    }
    uds = calloc(w.n_rules ? w.n_rules : 1, sizeof *uds);
    if (!uds) {
        fputs("baton: out of memory\n", stderr);
        rc = CLI_EXIT_REFUSED;
        goto out;
    }
    for (i = 0; i < w.n_rules; i++) {
        uds[i].rule = &w.rules[i];
        uds[i].w = &w;
        rc = baton_host_register(host, w.rules[i].type, exec_handler,
                                 &uds[i]);
        if (rc != BATON_OK) {
            rc = cli_host_error(host, rc);
            goto out;
        }
    }
    for (i = 0; i < w.n_lambda; i++) {
        rc = baton_host_register(host, w.lambda_types[i],
                                 baton_lambda_host_handler, lambda);
        if (rc != BATON_OK) {
            rc = cli_host_error(host, rc);
            goto out;
        }
    }

    /* A write to a command that stopped reading is an error, not a
     * signal; SIGINT and SIGTERM stop the worker gracefully, once. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &old_pipe);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    signal_host = host;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    memset(&wo, 0, sizeof wo);
    wo.concurrency = (int)n_conc;
    wo.until_idle = until_idle;
    wo.name = name;
    rc = baton_host_worker_run(host, &wo);

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    signal_host = NULL;
    rc = rc == BATON_OK ? 0 : cli_host_error(host, rc);
out:
    baton_host_close(host);
    baton_lambda_free(lambda);
    free(uds);
    free(w.lambda_types);
    for (i = 0; i < w.n_rules; i++)
        free(w.rules[i].type);
    free(w.rules);
    return rc < 0 ? 0 : rc;
}
