/* The usage of `baton ops`, shown whether or not the view is built. */
#include "../cli/cli.h"

void cli_usage_ops(FILE *f)
{
    fputs(
"usage: baton ops [--store URI] [--listen ADDR:PORT] [--token-file FILE]\n"
"                 [--read-only]\n"
"\n"
"Serves the operations view of a store: a web page with its processes,\n"
"instances (each with its diagram, variables, jobs, incidents and\n"
"history) and incidents, where a job's retries can be set, an incident\n"
"resolved, a variable set and an instance cancelled; the JSON API the\n"
"page reads (/api/...); and the store's figures for Prometheus\n"
"(/metrics). Prints 'baton ops: listening on http://ADDR:PORT/' once it\n"
"listens, and serves until SIGINT or SIGTERM.\n"
"\n"
"  --listen ADDR:PORT  where to listen (default 127.0.0.1:8080; port 0\n"
"                      picks a free one; [::1]:PORT for IPv6)\n"
"  --token-file FILE   the token every request must carry, in the file's\n"
"                      first line (default: $BATON_OPS_TOKEN): the header\n"
"                      Authorization: Bearer TOKEN, or the cookie set by\n"
"                      logging in at /login. Needed to listen on an\n"
"                      address other than loopback.\n"
"  --read-only         refuse every action\n"
"\n"
"--store URI is sqlite:PATH or postgresql://... (a libpq URI); without it,\n"
"the BATON_STORE environment variable, then sqlite:baton.db.\n"
"Exit status: 0 after a signal, 1 refused (no token for a non-loopback\n"
"address, a store that does not open, an address in use, or the view not\n"
"built), 2 usage.\n", f);
}
