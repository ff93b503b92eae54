/*
 * trip-booking - the seed's trip-booking saga, Zeebe dialect.
 *
 * The model books a hotel, a car and a flight through Lambda functions
 * (job type "lambda", the function named by the `functionName` header) and,
 * when a booking fails, cancels what was booked in reverse order through
 * exclusive gateways and a chain of cancel tasks. Here an in-process
 * handler stands in for the six functions: a book function answers
 * {<resultName>: {"success": false}} when the instance's variable
 * book<X>Failure is true, as the seed's functions do, and success
 * otherwise; a cancel function just completes.
 *
 *   trip-booking MODEL                  every booking succeeds
 *   trip-booking MODEL --fail flight    the flight booking fails
 *   trip-booking MODEL --all            the four cases in turn
 *
 * Exit status: 0 when every case ended as the saga promises, 1 otherwise,
 * 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "baton.h"

enum booking { HOTEL, CAR, FLIGHT, N_BOOKINGS };

static const char *const booking_name[N_BOOKINGS] = {"hotel", "car",
                                                     "flight"};
static const char *const failure_flag[N_BOOKINGS] = {
    "bookHotelFailure", "bookCarFailure", "bookFlightFailure"};

/* One run of the saga and what it did. */
struct trip_case {
    int fail; /* booking that fails, or -1 */
    enum booking cancelled[2 * N_BOOKINGS];
    size_t n_cancelled;
    char end_event[128];
    int handler_errors;
};

/* Which function a functionName header names: its booking and whether it
 * books or cancels. Returns 0, or -1 for a name it does not know. */
static int parse_function(const char *name, enum booking *which,
                          int *is_cancel)
{
    static const char *const suffix[2][N_BOOKINGS] = {
        {"-book-hotel", "-book-car", "-book-flight"},
        {"-cancel-hotel", "-cancel-car", "-cancel-flight"}};
    size_t len = strlen(name);
    int c, b;

    for (c = 0; c < 2; c++) {
        for (b = 0; b < N_BOOKINGS; b++) {
            size_t slen = strlen(suffix[c][b]);
            if (len >= slen && strcmp(name + len - slen, suffix[c][b]) == 0) {
                *which = (enum booking)b;
                *is_cancel = c;
                return 0;
            }
        }
    }
    return -1;
}

static int fail_job(struct trip_case *tc, baton_job *job, const char *msg)
{
    int rc;

    tc->handler_errors++;
    printf("  job    %-24s FAILED: %s\n", baton_job_element_id(job), msg);
    rc = baton_job_fail(job, 0, msg);
    return rc == BATON_OK ? 0 : rc;
}

/* Does the booking fail? The flag is read from the variables the job sees,
 * as the real function reads it from its request body. */
static int booking_fails(baton_job *job, enum booking which, int *fails)
{
    char *vars = NULL;
    size_t len = 0;
    json_t *root;
    json_error_t jerr;
    int rc = baton_job_variables(job, &vars, &len);

    if (rc != BATON_OK)
        return rc;
    root = json_loadb(vars, len, 0, &jerr);
    baton_free(vars);
    if (!root)
        return BATON_EPARSE;
    *fails = json_is_true(json_object_get(root, failure_flag[which]));
    json_decref(root);
    return BATON_OK;
}

static int lambda_handler(void *ud, baton_job *job)
{
    struct trip_case *tc = ud;
    const char *function = baton_job_header(job, "functionName");
    const char *result_name;
    enum booking which;
    int is_cancel, fails = 0, rc;
    json_t *result;
    char *text;

    if (!function || parse_function(function, &which, &is_cancel) != 0)
        return fail_job(tc, job, "unknown or missing functionName header");

    if (is_cancel) {
        printf("  job    %-24s %s\n", baton_job_element_id(job), function);
        if (tc->n_cancelled < sizeof tc->cancelled / sizeof tc->cancelled[0])
            tc->cancelled[tc->n_cancelled++] = which;
        rc = baton_job_complete(job, NULL, 0);
        return rc == BATON_OK ? 0 : rc;
    }

    result_name = baton_job_header(job, "resultName");
    if (!result_name || !*result_name)
        return fail_job(tc, job, "missing resultName header");
    rc = booking_fails(job, which, &fails);
    if (rc != BATON_OK)
        return fail_job(tc, job, baton_strerror(rc));

    result = json_pack("{s:{s:b}}", result_name, "success", !fails);
    text = result ? json_dumps(result, JSON_COMPACT) : NULL;
    json_decref(result);
    if (!text)
        return fail_job(tc, job, "out of memory");
    printf("  job    %-24s %s -> %s\n", baton_job_element_id(job), function,
           text);
    rc = baton_job_complete(job, text, BATON_NUL);
    free(text);
    return rc == BATON_OK ? 0 : rc;
}

/* The trace: every element that completes, and the end event reached. */
static void trace_record(void *ud, baton_instance *instance,
                         const baton_record *rec)
{
    struct trip_case *tc = ud;
    const char *type = baton_record_element_type(rec);
    const char *id = baton_record_element_id(rec);

    (void)instance;
    if (baton_record_value_type(rec) != BATON_VT_PROCESS_INSTANCE ||
        baton_record_intent(rec) != BATON_INTENT_ELEMENT_COMPLETED)
        return;
    if (strcmp(type, "END_EVENT") == 0) {
        printf("  end    %s\n", id);
        snprintf(tc->end_event, sizeof tc->end_event, "%s", id);
    } else if (strcmp(type, "PROCESS") == 0) {
        printf("  done   process %s\n", id);
    } else {
        printf("  done   %-24s %s\n", id, type);
    }
}

static void print_error(const baton_engine *engine, const char *what, int rc)
{
    const char *src = baton_engine_errsource(engine);
    const char *el = baton_engine_errelement(engine);
    const char *msg = baton_engine_errmsg(engine);
    int line = baton_engine_errline(engine);

    fprintf(stderr, "trip-booking: %s: ", what);
    if (*src)
        fprintf(stderr, line > 0 ? "%s:%d: " : "%s: ", src, line);
    if (*el)
        fprintf(stderr, "%s: ", el);
    fprintf(stderr, "%s\n", *msg ? msg : baton_strerror(rc));
}

/* Runs one case; returns 1 when it ended as expected, 0 if not, -1 on an
 * engine error. */
static int run_case(baton_engine *engine, int fail)
{
    struct trip_case tc;
    baton_instance *inst = NULL;
    char vars[64];
    int rc, ok = 1;
    size_t i, expected;

    memset(&tc, 0, sizeof tc);
    tc.fail = fail;
    if (fail < 0) {
        printf("Case: every booking succeeds\n");
        snprintf(vars, sizeof vars, "{}");
    } else {
        printf("Case: the %s booking fails (%s = true)\n",
               booking_name[fail], failure_flag[fail]);
        snprintf(vars, sizeof vars, "{\"%s\": true}", failure_flag[fail]);
    }

    baton_engine_set_record_sink(engine, trace_record, &tc);
    rc = baton_engine_register_handler(engine, "lambda", lambda_handler, &tc);
    if (rc == BATON_OK)
        rc = baton_instance_create(engine, NULL, vars, BATON_NUL, &inst);
    if (rc == BATON_OK)
        rc = baton_instance_run(inst, 0);
    if (rc < 0) {
        print_error(engine, "run", rc);
        baton_instance_free(inst);
        baton_engine_set_record_sink(engine, NULL, NULL);
        return -1;
    }

    /* The saga's promise: what was booked before the failure is cancelled,
     * the failed booking first (its function may have half-done it), then
     * the earlier ones in reverse order. */
    expected = fail < 0 ? 0 : (size_t)fail + 1;
    if (baton_instance_state(inst) != BATON_INSTANCE_COMPLETED)
        ok = 0;
    if (tc.n_cancelled != expected || tc.handler_errors)
        ok = 0;
    for (i = 0; ok && i < expected; i++)
        if (tc.cancelled[i] != (enum booking)(fail - (int)i))
            ok = 0;

    printf("  => %s at %s",
           baton_instance_state(inst) == BATON_INSTANCE_COMPLETED
               ? "completed"
               : "NOT completed",
           tc.end_event[0] ? tc.end_event : "no end event");
    if (tc.n_cancelled) {
        printf("; cancelled");
        for (i = 0; i < tc.n_cancelled; i++)
            printf("%s %s", i ? "," : "", booking_name[tc.cancelled[i]]);
    } else {
        printf("; nothing cancelled");
    }
    printf("%s\n\n", ok ? "" : "  <-- UNEXPECTED");

    baton_instance_free(inst);
    baton_engine_set_record_sink(engine, NULL, NULL);
    return ok;
}

static int usage(void)
{
    fputs("usage: trip-booking MODEL [--fail hotel|car|flight | --all]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int fail = -1, all = 0, i, rc, failures = 0;
    baton_engine *engine = NULL;
    baton_model *model = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0) {
            all = 1;
        } else if (strcmp(argv[i], "--fail") == 0 && i + 1 < argc) {
            int b;
            i++;
            for (b = 0; b < N_BOOKINGS; b++)
                if (strcmp(argv[i], booking_name[b]) == 0)
                    fail = b;
            if (fail < 0)
                return usage();
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            return usage();
        }
    }
    if (!path || (all && fail >= 0))
        return usage();

    rc = baton_engine_new(NULL, NULL, &engine);
    if (rc != BATON_OK) {
        fprintf(stderr, "trip-booking: %s\n", baton_strerror(rc));
        return 1;
    }
    rc = baton_model_load_file(engine, path, &model);
    if (rc == BATON_OK)
        rc = baton_engine_deploy(engine, model, NULL, NULL);
    if (rc != BATON_OK) {
        print_error(engine, "load", rc);
        baton_model_free(model);
        baton_engine_free(engine);
        return 1;
    }

    if (all) {
        int c;
        for (c = -1; c < N_BOOKINGS; c++)
            if (run_case(engine, c) != 1)
                failures++;
    } else if (run_case(engine, fail) != 1) {
        failures++;
    }

    baton_model_free(model);
    baton_engine_free(engine);
    if (fflush(stdout) != 0)
        return 1;
    return failures ? 1 : 0;
}
