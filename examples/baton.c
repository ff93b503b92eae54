/*
 * baton - run and check BPMN models from the command line, and run them
 * durably over a store (SQLite or PostgreSQL).
 *
 * The reference host of the library: everything it does goes through the
 * public API in baton.h, and baton_host.h for the store commands. See
 * docs/cli.md.
 */
#include <stdio.h>
#include <string.h>

#include "baton.h"
#include "cli/cli.h"

void cli_usage_run(FILE *f)
{
    fputs(
"usage: baton run MODEL [--process ID] [--vars JSON|@FILE|@-]\n"
"                 [--job MATCH=ACTION]... [--now ISO8601] [--then ACTION]...\n"
"                 [--records] [--max-jobs N] [--verbose]\n"
"\n"
"Runs one instance of a process until it ends or nothing more can move.\n"
"Jobs are settled as --job says; a job no --job matches is completed with\n"
"no variables. When the instance waits with no job left to settle, the\n"
"next --then action is applied and it runs again.\n"
"\n"
"  --process ID        the process to run (default: the only executable one;\n"
"                      the model's other processes are deployed for call\n"
"                      activities)\n"
"  --vars JSON         the instance's variables, a JSON object\n"
"  --vars @FILE        the same, read from FILE (@- reads standard input)\n"
"  --job MATCH=ACTION  how to settle jobs of MATCH, a job type or an element\n"
"                      id (an element id wins over a type). ACTION is one of\n"
"                        complete[:JSON]       complete, merging the object\n"
"                        fail[:MESSAGE]        fail with retries - 1\n"
"                        error:CODE[:MESSAGE]  throw a BPMN error\n"
"                        wait                  leave the job waiting\n"
"                      Repeated for one MATCH, the actions apply in order to\n"
"                      successive jobs of that match, the last one repeating.\n"
"  --now ISO8601       the clock at the start, YYYY-MM-DDThh:mm:ss[.fff]\n"
"                      followed by Z, +hh:mm or -hh:mm (default: the system's\n"
"                      time, read once); only advance: moves it\n"
"  --then ACTION       an event for each time the instance waits, in order:\n"
"                        advance:DURATION      move the clock (PT2H, P1DT30M)\n"
"                        message:NAME[:KEY[:JSON]]  correlate a message\n"
"                        signal:NAME[:JSON]    deliver a signal\n"
"                        complete:ELEMENT_ID[:JSON]       settle the waiting\n"
"                        fail:ELEMENT_ID[:MESSAGE]        job of the element\n"
"                        error:ELEMENT_ID:CODE[:MESSAGE]  (--job ID=wait)\n"
"                        cancel                cancel the instance\n"
"  --records           print every record as one JSON object per line\n"
"  --max-jobs N        stop after settling N jobs (default 10000)\n"
"  --verbose           show the library's info and debug log on stderr\n"
"\n"
"The last line on stdout is {\"state\": ..., \"variables\": {...}}, with\n"
"\"nextDue\" and \"subscriptions\" when the instance waits on events.\n"
"Exit status: 0 completed, 3 waiting, 4 incident, 5 terminated,\n"
"1 model or input refused (or unreadable) or a --then that cannot apply,\n"
"2 usage.\n", f);
}

void cli_usage_check(FILE *f)
{
    fputs(
"usage: baton check MODEL...\n"
"\n"
"Prints every problem found in each model as FILE:LINE: TAG ID: message.\n"
"Exit status: 0 when every model can run, 1 otherwise, 2 usage.\n", f);
}

void cli_usage(FILE *f)
{
    fputs(
"usage: baton run MODEL [OPTION]...   run a process instance\n"
"       baton check MODEL...          report every problem in models\n"
"       baton test [PATH...]          run scenario files (*.test.json)\n"
"\n"
"Over a store (--store URI, $BATON_STORE, default sqlite:baton.db):\n"
"       baton deploy MODEL...         deploy models\n"
"       baton start PROCESS_ID        start an instance, print its key\n"
"       baton publish NAME            publish a message\n"
"       baton signal NAME             broadcast a signal\n"
"       baton worker                  run due work and --exec jobs\n"
"       baton jobs activate|complete|fail|error   external job workers\n"
"       baton instances               list instances\n"
"       baton instance KEY            show one instance\n"
"       baton incidents               list open incidents\n"
"       baton resolve INCIDENT_KEY    resolve an incident\n"
"       baton cancel KEY              cancel an instance\n"
"       baton migrate KEY PROCESS_ID VERSION\n"
"                                     move an instance to another version\n"
"       baton ops                     serve the operations view (web, API,\n"
"                                     /metrics)\n"
"\n"
"       baton --version               print the version\n"
"       baton --help                  print this help\n"
"       baton COMMAND --help          print the help of a command\n"
"\n", f);
    cli_usage_run(f);
    fputc('\n', f);
    cli_usage_check(f);
    fputc('\n', f);
    cli_usage_test(f);
    fputc('\n', f);
    cli_usage_store(f);
    fputc('\n', f);
    cli_usage_ops(f);
}

int main(int argc, char **argv)
{
    int rc;

    if (argc < 2)
        return cli_usage_error(NULL, "no command given (run or check)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cli_usage(stdout);
        return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("baton %s\n", baton_version());
        return cli_finish_stdout() == 0 ? 0 : CLI_EXIT_REFUSED;
    }
    if (strcmp(argv[1], "run") == 0)
        rc = cli_run(argc - 1, argv + 1);
    else if (strcmp(argv[1], "check") == 0)
        rc = cli_check(argc - 1, argv + 1);
    else if (strcmp(argv[1], "test") == 0)
        rc = cli_test(argc - 1, argv + 1);
    else if (strcmp(argv[1], "ops") == 0)
        rc = cli_ops(argc - 1, argv + 1);
    else if (cli_is_store_command(argv[1]))
        rc = cli_store_main(argc - 1, argv + 1);
    else
        return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
    return rc;
}
