/*
 * zeebe_form.c - the seed's saga in the Zeebe dialect (trip-booking.bpmn).
 *
 * The model books a hotel, a car and a flight through Lambda functions
 * (job type "lambda", the function named by the `functionName` header) and,
 * when a booking fails, cancels what was booked in reverse order through
 * exclusive gateways and a chain of cancel tasks. One in-process handler
 * stands in for the six functions: a book function answers
 * {<resultName>: {"success": false}} when the instance's variable
 * book<X>Failure is true, as the seed's functions do, and success
 * otherwise; a cancel function just completes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "trip_booking.h"

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

int zeebe_run_case(baton_engine *engine, int fail)
{
    struct trip_case tc;
    baton_instance *inst = NULL;
    char vars[64];
    int rc, ok = 1;
    size_t i, expected;

    memset(&tc, 0, sizeof tc);
    tc.fail = fail;
    begin_case(fail, vars, sizeof vars);

    baton_engine_set_record_sink(engine, trace_record, &tc);
    rc = baton_engine_register_handler(engine, "lambda", lambda_handler, &tc);
    if (rc != BATON_OK) {
        print_error(engine, "register", rc);
        baton_engine_set_record_sink(engine, NULL, NULL);
        return -1;
    }
    if (start_and_run(engine, vars, &inst) < 0)
        return -1;

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
