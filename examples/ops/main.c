/* `baton ops`: its options, the token, the address and the refusal to
 * listen beyond loopback without a token; then it serves (server.c)
 * until SIGINT or SIGTERM. */
#define _POSIX_C_SOURCE 200809L
#include "ops.h"

#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void free_token(char *t)
{
    if (t) {
        memset(t, 0, strlen(t));
        free(t);
    }
}

/* Reads the token of --token-file (its first line) or $BATON_OPS_TOKEN
 * into `*out` (NULL: none given). Returns 0 or an exit status, with a
 * message that never holds the token. */
static int read_token(const char *file, char **out)
{
    const char *env = getenv("BATON_OPS_TOKEN");
    char *t = NULL;
    size_t len;
    int err;

    *out = NULL;
    if (file) {
        err = cli_read_file(file, &t, &len);
        if (err) {
            cli_print_read_error(stderr, file, err);
            return CLI_EXIT_REFUSED;
        }
        t[strcspn(t, "\r\n")] = '\0';
    } else if (env && *env) {
        if (!(t = cli_strdup(env))) {
            fputs("baton ops: out of memory\n", stderr);
            return CLI_EXIT_REFUSED;
        }
    } else {
        return 0;
    }
    len = strlen(t);
    while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
        t[--len] = '\0';
    /* It travels in a header and a cookie: visible ASCII without the
     * characters a cookie value cannot hold. */
    for (size_t i = 0; i < len; i++)
        if (t[i] < 0x21 || t[i] > 0x7e || strchr("\";,\\", t[i]))
            len = 0;
    if (len == 0) {
        fprintf(stderr, "baton ops: the token of %s is empty or holds a "
                "space, a control character or one of \" ; , \\\n",
                file ? file : "BATON_OPS_TOKEN");
        free(t);
        return CLI_EXIT_REFUSED;
    }
    /* A short token is guessed by trying: the server answers as fast
     * as it can. */
    if (len < 16) {
        fprintf(stderr, "baton ops: the token of %s is shorter than 16 "
                "characters; use a random one (head -c 24 /dev/urandom | "
                "base64)\n", file ? file : "BATON_OPS_TOKEN");
        free_token(t);
        return CLI_EXIT_REFUSED;
    }
    *out = t;
    return 0;
}

/* Parses ADDR:PORT ([ADDR]:PORT for IPv6) into `*res`; `host` receives
 * ADDR as it is printed in a URL. Returns 0 or CLI_EXIT_USAGE. */
static int parse_listen(const char *text, char *host, size_t size,
                        struct addrinfo **res)
{
    const char *colon = strrchr(text, ':');
    struct addrinfo hints;
    char name[256];
    size_t n;
    long port;
    char *end;
    int rc;

    if (!colon || colon == text)
        return cli_usage_error("ops", "--listen: expected ADDR:PORT");
    port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return cli_usage_error("ops", "--listen: the port is not a number "
                               "from 0 to 65535");
    n = (size_t)(colon - text);
    if (n >= size || n >= sizeof name)
        return cli_usage_error("ops", "--listen: the address is too long");
    memcpy(host, text, n);
    host[n] = '\0';
    if (text[0] == '[') {
        if (n < 3 || text[n - 1] != ']')
            return cli_usage_error("ops", "--listen: expected [ADDR]:PORT");
        memcpy(name, text + 1, n - 2);
        name[n - 2] = '\0';
    } else {
        memcpy(name, host, n + 1);
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = text[0] == '[' ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(name, colon + 1, &hints, res);
    if (rc != 0)
        return cli_usage_error("ops", "--listen: %s: %s", name,
                               gai_strerror(rc));
    return 0;
}

static int is_loopback(const struct sockaddr *a)
{
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (a->sa_family == AF_INET6) {
        const struct in6_addr *v6 =
            &((const struct sockaddr_in6 *)a)->sin6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
                                                 0, 0, 0, 0, 0xff, 0xff};
        return IN6_IS_ADDR_LOOPBACK(v6) ||
               (memcmp(v6->s6_addr, mapped, 12) == 0 &&
                v6->s6_addr[12] == 127);
    }
    return 0;
}

static int serve(const char *uri, const char *listen, const char *token,
                 int read_only)
{
    struct ops_server_config cfg;
    struct ops_server *s = NULL;
    struct addrinfo *ai = NULL;
    baton_host *host = NULL;
    char addr[300];
    sigset_t set;
    unsigned port = 0;
    int rc, sig;

    rc = parse_listen(listen, addr, sizeof addr, &ai);
    if (rc)
        return rc;
    memset(&cfg, 0, sizeof cfg);
    cfg.uri = uri;
    cfg.token = token;
    cfg.read_only = read_only;
    cfg.addr = ai->ai_addr;
    cfg.addr_len = ai->ai_addrlen;
    cfg.loopback = is_loopback(ai->ai_addr);
    if (!cfg.loopback && !token) {
        fprintf(stderr, "baton ops: refusing to listen on %s without a "
                "token: anyone who reaches it could read and change the "
                "store. Give one with --token-file FILE or the "
                "BATON_OPS_TOKEN environment variable, or listen on "
                "127.0.0.1.\n", addr);
        freeaddrinfo(ai);
        return CLI_EXIT_REFUSED;
    }
    rc = cli_store_open("ops", uri, &host);
    if (rc) {
        freeaddrinfo(ai);
        return rc;
    }
    /* The server's threads inherit this mask: the signals wait for
     * sigwait() below. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = ops_server_start(&cfg, host, &s, &port);
    freeaddrinfo(ai);
    if (rc)
        return rc;
    printf("baton ops: listening on http://%s:%u/\n", addr, port);
    if (cli_finish_stdout() != 0) {
        ops_server_stop(s);
        return CLI_EXIT_REFUSED;
    }
    while (sigwait(&set, &sig) != 0)
        ;
    ops_server_stop(s);
    return 0;
}

int cli_ops(int argc, char **argv)
{
    const char *store = NULL, *listen = "127.0.0.1:8080", *token_file = NULL;
    int read_only = 0, rc;
    const struct cli_opt opts[] = {
        CLI_OPT("--store", &store),
        CLI_OPT("--listen", &listen),
        CLI_OPT("--token-file", &token_file),
        CLI_FLAG("--read-only", &read_only),
        CLI_OPT_END};
    const char *uri;
    char *token;
    size_t n;

    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_usage_ops(stdout);
            return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
        }
    rc = cli_parse_opts("ops", argc, argv, opts, &n);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (n > 0)
        return cli_usage_error("ops", "unexpected operand '%s'", argv[1]);
    uri = store;
    if (!uri) {
        uri = getenv("BATON_STORE");
        if (!uri || !*uri)
            uri = "sqlite:baton.db";
    }
    rc = read_token(token_file, &token);
    if (rc)
        return rc;
    rc = serve(uri, listen, token, read_only);
    free_token(token);
    return rc;
}
