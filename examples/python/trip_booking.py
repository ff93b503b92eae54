#!/usr/bin/env python3
"""The trip-booking saga with Python handlers.

Reserve a car, book a hotel, book a flight: three calls that cannot be
rolled back. The model (examples/trip-booking/trip-booking-saga.bpmn) says
with BPMN compensation what happens when the flight fails: the engine runs
the cancel tasks of the bookings that completed, in reverse order, and
the saga ends at "Trip cancelled". The tasks have no job type, so their
job type is their element id and one handler is registered per id.

Runs both paths, prints what happened, checks it against what the saga
promises and exits with 1 on any surprise (2 when it cannot run at all).

    BATON_LIBRARY=build/lib/libbaton.so python3 examples/python/trip_booking.py
    python3 examples/python/trip_booking.py [MODEL] [--case happy|flight|all]

The second form needs the library installed (meson install) or
BATON_LIBRARY set; the `baton` package is taken from the Python path, or
from bindings/python in this source tree when it is not installed.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import baton
except ModuleNotFoundError as e:
    if e.name != "baton":
        raise
    sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
    import baton

DEFAULT_MODEL = os.path.join(HERE, "..", "trip-booking",
                             "trip-booking-saga.bpmn")

FLIGHT_ERROR = "FLIGHT_BOOKING_FAILED"

# booking task -> (what it books, the variable holding its reference,
# the reference, the variable that asks it to fail)
BOOKINGS = {
    "ReserveCar": ("car", "carReservation", "CAR-1", "bookCarFailure"),
    "BookHotel": ("hotel", "hotelBooking", "HOTEL-1", "bookHotelFailure"),
    "BookFlight": ("flight", "flightBooking", "FLIGHT-1",
                   "bookFlightFailure"),
}
# cancel task -> the booking task it undoes
CANCELS = {"CancelCar": "ReserveCar", "CancelHotel": "BookHotel",
           "CancelFlight": "BookFlight"}

END_NAMES = {"EndEvent_TripBooked": "Trip booked",
             "EndEvent_TripCancelled": "Trip cancelled"}

# What each case must do.
CASES = {
    "happy": {
        "title": "every booking succeeds",
        "variables": {},
        "calls": ["ReserveCar", "BookHotel", "BookFlight"],
        # Nothing is compensated: the log is deleted as the process ends.
        "compensation": ["DELETED ReserveCar", "DELETED BookHotel",
                         "DELETED BookFlight"],
        "end": "EndEvent_TripBooked",
    },
    "flight": {
        "title": "the flight booking fails (bookFlightFailure = true)",
        "variables": {"bookFlightFailure": True},
        "calls": ["ReserveCar", "BookHotel", "BookFlight", "CancelHotel",
                  "CancelCar"],
        # Only completed work is compensated, latest first, one at a time.
        "compensation": ["TRIGGERED BookHotel", "COMPLETED BookHotel",
                         "TRIGGERED ReserveCar", "COMPLETED ReserveCar"],
        "end": "EndEvent_TripCancelled",
    },
}
PATH_NAMES = {"happy": "happy path", "flight": "failing path"}


class Trace(object):
    """What one run of the saga did."""

    def __init__(self):
        self.calls = []
        self.compensation = []
        self.end = None
        self.surprises = []


def book(trace, job):
    """ReserveCar, BookHotel, BookFlight: the stand-ins for the Lambda
    functions. A booking fails when its failure flag is set; only the
    flight's failure is a BPMN error the model catches."""
    trace.calls.append(job.element_id)
    what, var, ref, flag = BOOKINGS[job.element_id]
    if job.variables.get(flag):
        print("  call   %-13s throws BPMN error %s" % (job.element_id,
                                                         FLIGHT_ERROR))
        raise baton.BpmnError(FLIGHT_ERROR, "no seats left on the %s" % what)
    print("  call   %-13s -> %s = %s" % (job.element_id, var, ref))
    return {var: ref}


def cancel(trace, job):
    """CancelCar, CancelHotel, CancelFlight: cancels the booking whose
    reference its booking task left in the variables."""
    trace.calls.append(job.element_id)
    what, var, _, _ = BOOKINGS[CANCELS[job.element_id]]
    ref = job.variables.get(var)
    if ref is None:
        trace.surprises.append("%s found no %s to cancel"
                               % (job.element_id, var))
        print("  call   %-13s finds no %s to cancel" % (job.element_id, var))
    else:
        print("  call   %-13s cancels %s" % (job.element_id, ref))
    return {var: None}


def on_record(trace, record):
    value = record["value"]
    if record["valueType"] == "COMPENSATION_SUBSCRIPTION":
        if record["intent"] != "CREATED":
            trace.compensation.append("%s %s" % (record["intent"],
                                                 value["elementId"]))
            print("  comp   %-13s %-9s (handler %s)"
                  % (value["elementId"], record["intent"],
                     value.get("compensationHandlerId")))
    elif (record["valueType"] == "JOB"
          and record["intent"] == "ERROR_THROWN"):
        print("  error  %-13s %s thrown" % (value["elementId"],
                                            value["errorCode"]))
    elif (record["valueType"] == "PROCESS_INSTANCE"
          and record["intent"] == "ELEMENT_COMPLETED"
          and value.get("bpmnElementType") == "END_EVENT"):
        trace.end = value["elementId"]
        print("  end    %s (%s)" % (trace.end,
                                    END_NAMES.get(trace.end, "?")))


def run_case(engine, name):
    case = CASES[name]
    trace = Trace()
    print("Case: %s" % case["title"])
    for task in BOOKINGS:
        engine.register_handler(task, lambda job: book(trace, job))
    for task in CANCELS:
        engine.register_handler(task, lambda job: cancel(trace, job))
    engine.on_record(lambda record: on_record(trace, record))
    try:
        with engine.start(variables=case["variables"]) as instance:
            state = instance.run()
            incidents = instance.incidents
    finally:
        engine.on_record(None)

    ok = True

    def surprise(message):
        print("  !! " + message)
        return False

    if state != "completed":
        ok = surprise("the instance is %s, not completed%s" % (
            state, "".join("; incident %s at %s: %s" % (
                i["type"], i["element_id"], i["message"])
                for i in incidents)))
    if trace.end != case["end"]:
        ok = surprise("ended at %s, expected %s" % (trace.end, case["end"]))
    if trace.calls != case["calls"]:
        ok = surprise("handler calls %s, expected %s"
                      % (", ".join(trace.calls), ", ".join(case["calls"])))
    if trace.compensation != case["compensation"]:
        ok = surprise("compensation %s, expected %s"
                      % (trace.compensation, case["compensation"]))
    for message in trace.surprises:
        ok = surprise(message)
    cancelled = [BOOKINGS[CANCELS[c]][0] for c in trace.calls
                 if c in CANCELS]
    print("  => %s; %s%s" % (
        END_NAMES.get(trace.end, "no end"),
        "cancelled " + ", ".join(cancelled) if cancelled
        else "nothing cancelled",
        "" if ok else "  <-- UNEXPECTED"))
    print("%s: %s -> %s\n" % (PATH_NAMES[name], ", ".join(trace.calls),
                              END_NAMES.get(trace.end, "no end")))
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The trip-booking saga with Python handlers.")
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL,
                        help="the saga model (default: %(default)s)")
    parser.add_argument("--case", choices=["happy", "flight", "all"],
                        default="all")
    args = parser.parse_args(argv)

    print("baton %s, libbaton %s (%s)\n" % (
        baton.__version__, baton.library_version(), baton.library_path))
    failures = 0
    try:
        with baton.Engine() as engine:
            engine.deploy(engine.load_file(args.model))
            for name in (["happy", "flight"] if args.case == "all"
                         else [args.case]):
                if not run_case(engine, name):
                    failures += 1
    except baton.Error as e:
        print("trip_booking: %s" % e, file=sys.stderr)
        return 2
    if failures:
        print("%d case(s) did not end as the saga promises" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
