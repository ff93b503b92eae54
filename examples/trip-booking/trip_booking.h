/*
 * trip_booking.h - what the forms of the trip-booking demo share.
 */
#ifndef TRIP_BOOKING_H
#define TRIP_BOOKING_H

#include "baton.h"

enum booking { HOTEL, CAR, FLIGHT, N_BOOKINGS };

extern const char *const booking_name[N_BOOKINGS];
/* The variable that asks a booking to fail, e.g. bookFlightFailure. */
extern const char *const failure_flag[N_BOOKINGS];

/* Announces a case and writes the instance's starting variables (the
 * failure flag of `fail`, or none) into `vars`. */
void begin_case(int fail, char *vars, size_t size);

/* Creates an instance with `vars` and runs it until it waits or ends. On
 * failure prints the engine's error, unhooks the record sink, frees what
 * it made and returns the negative status. */
int start_and_run(baton_engine *engine, const char *vars,
                  baton_instance **inst);

/* Prints the engine's last error on stderr, prefixed with `what`. */
void print_error(const baton_engine *engine, const char *what, int rc);

/* Does the booking fail? Reads the failure flag from the variables the
 * job sees, as the real function reads it from its request body. */
int booking_fails(baton_job *job, enum booking which, int *fails);

/* One case of a form against the deployed model: `fail` is the booking
 * that fails, or -1 for none. Returns 1 when the case ended as the saga
 * promises, 0 if not, -1 on an engine error. */
int zeebe_run_case(baton_engine *engine, int fail);
int compensation_run_case(baton_engine *engine, int fail);

#endif
