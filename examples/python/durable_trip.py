#!/usr/bin/env python3
"""The trip-booking saga, run durably by a worker.

The sagas live in a store (SQLite here, or PostgreSQL): every step is
committed before the next, so a worker that dies leaves them to the next
one. A baton.Worker runs the six service tasks of
examples/trip-booking/trip-booking-saga.bpmn in pyzeebe's style: each
task is a function of the variables it names, returns the variables to
merge, or raises baton.BpmnError for the error the model catches. When a
flight fails the engine compensates the bookings that completed, latest
first (CancelHotel, then CancelCar).

Deploys the model, starts a few sagas (every second one's flight fails),
runs the worker with 4 handler threads until nothing is left to do, then
prints each saga's bookings and cancellations in order, as the store
recorded them, and checks them against what the saga promises (exit
status 1 on a surprise, 2 when it cannot run).

    BATON_LIBRARY=build/lib/libbaton.so \\
        python3 examples/python/durable_trip.py sqlite:trip.db [--sagas N]

libbaton-host is found next to libbaton (build/lib/host/ in a build tree),
or through BATON_HOST_LIBRARY; the `baton` package is taken from the
Python path, or from bindings/python in this source tree.
"""

import argparse
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import baton
except ModuleNotFoundError as e:
    if e.name != "baton":
        raise
    sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
    import baton

MODEL = os.path.join(HERE, "..", "trip-booking", "trip-booking-saga.bpmn")
PROCESS = "TripBookingSaga"
FLIGHT_ERROR = "FLIGHT_BOOKING_FAILED"

END_NAMES = {"EndEvent_TripBooked": "Trip booked",
             "EndEvent_TripCancelled": "Trip cancelled"}
EXPECTED = {
    False: (["ReserveCar", "BookHotel", "BookFlight"], "Trip booked"),
    True: (["ReserveCar", "BookHotel", "CancelHotel", "CancelCar"],
           "Trip cancelled"),
}

calls_lock = threading.Lock()
calls = []          # (trip id, task) in the order the tasks ran


def called(trip_id, task):
    with calls_lock:
        calls.append((trip_id, task))


def make_worker(uri):
    worker = baton.Worker(uri, concurrency=4, name="durable-trip")

    @worker.task("ReserveCar")
    def reserve_car(tripId):
        called(tripId, "ReserveCar")
        return {"carReservation": "CAR-" + tripId}

    @worker.task("BookHotel")
    def book_hotel(tripId):
        called(tripId, "BookHotel")
        return {"hotelBooking": "HOTEL-" + tripId}

    @worker.task("BookFlight")
    def book_flight(tripId, bookFlightFailure=False):
        called(tripId, "BookFlight")
        if bookFlightFailure:
            raise baton.BpmnError(FLIGHT_ERROR, "no seats left for " + tripId)
        return {"flightBooking": "FLIGHT-" + tripId}

    @worker.task("CancelCar")
    def cancel_car(tripId, carReservation):
        called(tripId, "CancelCar")
        return {"carCancelled": carReservation}

    @worker.task("CancelHotel")
    def cancel_hotel(tripId, hotelBooking):
        called(tripId, "CancelHotel")
        return {"hotelCancelled": hotelBooking}

    @worker.task("CancelFlight")
    def cancel_flight(tripId, flightBooking=None):
        called(tripId, "CancelFlight")
        return {"flightCancelled": flightBooking}

    return worker


def steps(instance):
    """What the store recorded: completed service tasks (with what they
    booked or cancelled), BPMN errors thrown, and the end event."""
    variables = instance["variables"] or {}
    done, lines, end = [], [], None
    notes = {
        "ReserveCar": "books " + str(variables.get("carReservation")),
        "BookHotel": "books " + str(variables.get("hotelBooking")),
        "BookFlight": "books " + str(variables.get("flightBooking")),
        "CancelCar": "cancels " + str(variables.get("carCancelled")),
        "CancelHotel": "cancels " + str(variables.get("hotelCancelled")),
        "CancelFlight": "cancels " + str(variables.get("flightCancelled")),
    }
    for entry in instance["history"]:
        record = entry["record"]
        value = record["value"]
        kind = (record["valueType"], record["intent"])
        if kind == ("JOB", "ERROR_THROWN"):
            lines.append("%-12s throws %s (%s)" % (
                value["elementId"], value["errorCode"],
                value.get("errorMessage")))
        elif kind == ("PROCESS_INSTANCE", "ELEMENT_COMPLETED"):
            element_type = value.get("bpmnElementType")
            if element_type == "SERVICE_TASK":
                done.append(value["elementId"])
                lines.append("%-12s %s" % (value["elementId"],
                                           notes[value["elementId"]]))
            elif element_type == "END_EVENT":
                end = END_NAMES.get(value["elementId"], value["elementId"])
    return done, lines, end


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The trip-booking saga run durably by a worker.")
    parser.add_argument("uri", nargs="?", default="sqlite:trip.db",
                        help="the store (default: %(default)s)")
    parser.add_argument("--sagas", type=int, default=4,
                        help="how many sagas to start (default: 4)")
    args = parser.parse_args(argv)

    try:
        with baton.Store(args.uri) as store:
            for d in store.deploy(MODEL):
                print("deployed %s version %d%s" % (
                    d["processId"], d["version"],
                    "" if d["new"] else " (unchanged)"))
            sagas = []
            for i in range(1, args.sagas + 1):
                trip_id = "T-%d" % i
                fails = i % 2 == 0
                key = store.start(PROCESS, {"tripId": trip_id,
                                            "bookFlightFailure": fails},
                                  business_key=trip_id)
                sagas.append((trip_id, key, fails))
                print("started saga %s (instance %d)%s" % (
                    trip_id, key, ", its flight will fail" if fails else ""))

            with make_worker(args.uri) as worker:
                handled = worker.work(until_idle=True)
            print("the worker ran %d jobs, up to 4 at once\n" % handled)

            surprises = 0
            for trip_id, key, fails in sagas:
                instance = store.instance(key, history=True)
                done, lines, end = steps(instance)
                print("saga %s: %s" % (trip_id, instance["state"]))
                for line in lines:
                    print("  " + line)
                want_done, want_end = EXPECTED[fails]
                ok = (instance["state"] == "COMPLETED" and done == want_done
                      and end == want_end)
                ran = [task for t, task in calls if t == trip_id]
                want_ran = want_done if not fails else \
                    ["ReserveCar", "BookHotel", "BookFlight", "CancelHotel",
                     "CancelCar"]
                ok = ok and ran == want_ran
                print("%s: %s -> %s%s" % (trip_id, ", ".join(done),
                                          end or "no end",
                                          "" if ok else "  <-- UNEXPECTED"))
                if not ok:
                    surprises += 1
    except baton.Error as e:
        print("durable_trip: %s" % e, file=sys.stderr)
        return 2
    if surprises:
        print("%d saga(s) did not end as the saga promises" % surprises)
    return 1 if surprises else 0


if __name__ == "__main__":
    sys.exit(main())
