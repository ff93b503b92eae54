/*
 * trip-booking - the seed's trip-booking saga, in both of its forms, with
 * in-process handlers standing in for the booking functions.
 *
 *   --form zeebe (default)   trip-booking.bpmn, Zeebe dialect: exclusive
 *                            gateways and a chain of cancel tasks
 *                            (zeebe_form.c)
 *   --form compensation      trip-booking-saga.bpmn, plain BPMN 2.0: an
 *                            error boundary event and compensation, the
 *                            cancels run by the engine in reverse order
 *                            (compensation_form.c)
 *
 *   trip-booking [--form F] MODEL                  every booking succeeds
 *   trip-booking [--form F] MODEL --fail flight    the flight booking fails
 *   trip-booking [--form F] MODEL --all            every case of the form
 *
 * A booking is asked to fail through the instance variable
 * book<X>Failure = true, as the seed's functions are. The zeebe form has
 * four cases (none, hotel, car or flight fails); the compensation model
 * catches only a failing flight, so its cases are none and flight, and
 * --fail hotel or --fail car with it is a usage error.
 *
 * Exit status: 0 when every case ended as the saga promises, 1 otherwise
 * (or when the model cannot be loaded), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "trip_booking.h"

const char *const booking_name[N_BOOKINGS] = {"hotel", "car", "flight"};
const char *const failure_flag[N_BOOKINGS] = {
    "bookHotelFailure", "bookCarFailure", "bookFlightFailure"};

void begin_case(int fail, char *vars, size_t size)
{
    if (fail < 0) {
        printf("Case: every booking succeeds\n");
        snprintf(vars, size, "{}");
    } else {
        printf("Case: the %s booking fails (%s = true)\n",
               booking_name[fail], failure_flag[fail]);
        snprintf(vars, size, "{\"%s\": true}", failure_flag[fail]);
    }
}

int start_and_run(baton_engine *engine, const char *vars,
                  baton_instance **inst)
{
    int rc = baton_instance_create(engine, NULL, vars, BATON_NUL, inst);
    if (rc == BATON_OK)
        rc = baton_instance_run(*inst, 0);
    if (rc < 0) {
        print_error(engine, "run", rc);
        baton_instance_free(*inst);
        *inst = NULL;
        baton_engine_set_record_sink(engine, NULL, NULL);
    }
    return rc;
}

void print_error(const baton_engine *engine, const char *what, int rc)
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

int booking_fails(baton_job *job, enum booking which, int *fails)
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

/* A form of the saga: how to run one case, and which cases it has. */
struct form {
    const char *name;
    int (*run_case)(baton_engine *engine, int fail);
    int cases[N_BOOKINGS + 1]; /* -1 (none fails), then bookings; end -2 */
};

static const struct form forms[] = {
    {"zeebe", zeebe_run_case, {-1, HOTEL, CAR, FLIGHT}},
    {"compensation", compensation_run_case, {-1, FLIGHT, -2}},
};

static int usage(void)
{
    fputs("usage: trip-booking [--form zeebe|compensation] MODEL "
          "[--fail hotel|car|flight | --all]\n",
          stderr);
    return 2;
}

static int has_case(const struct form *f, int fail)
{
    size_t i;

    for (i = 0; i < sizeof f->cases / sizeof f->cases[0]; i++) {
        if (f->cases[i] == -2)
            break;
        if (f->cases[i] == fail)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    const struct form *form = &forms[0];
    int fail = -1, all = 0, i, rc, failures = 0;
    size_t c;
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
        } else if (strcmp(argv[i], "--form") == 0 && i + 1 < argc) {
            i++;
            form = NULL;
            for (c = 0; c < sizeof forms / sizeof forms[0]; c++)
                if (strcmp(argv[i], forms[c].name) == 0)
                    form = &forms[c];
            if (!form)
                return usage();
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            return usage();
        }
    }
    if (!path || (all && fail >= 0))
        return usage();
    if (fail >= 0 && !has_case(form, fail)) {
        fprintf(stderr,
                "trip-booking: --fail %s: the %s model only models a "
                "failing flight (error FLIGHT_BOOKING_FAILED, caught on "
                "BookFlight); use --fail flight, or --form zeebe to see "
                "the %s booking fail\n",
                booking_name[fail], form->name, booking_name[fail]);
        return 2;
    }

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
        for (c = 0; c < sizeof form->cases / sizeof form->cases[0]; c++) {
            if (form->cases[c] == -2)
                break;
            if (form->run_case(engine, form->cases[c]) != 1)
                failures++;
        }
    } else if (form->run_case(engine, fail) != 1) {
        failures++;
    }

    baton_model_free(model);
    baton_engine_free(engine);
    if (fflush(stdout) != 0)
        return 1;
    return failures ? 1 : 0;
}
