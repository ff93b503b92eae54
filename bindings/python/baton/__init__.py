"""Baton: an embeddable BPMN 2.0 engine, from Python.

A pure-Python binding over ctypes: it loads the installed libbaton shared
library (see docs/python.md, "Loading") and needs nothing else.

    import baton

    with baton.Engine() as engine:
        engine.deploy(engine.load_file("trip-booking-saga.bpmn"))

        @engine.handler("BookFlight")
        def book_flight(job):
            if job.variables.get("bookFlightFailure"):
                raise baton.BpmnError("FLIGHT_BOOKING_FAILED", "no seats")
            return {"flightBooking": "FLIGHT-1"}

        with engine.start(variables={"bookFlightFailure": True}) as inst:
            inst.run()

The durable host (libbaton-host, loaded on first use) keeps instances in
SQLite or PostgreSQL and runs tasks in pyzeebe's style:

    store = baton.Store("sqlite:trip.db")
    store.deploy("trip-booking-saga.bpmn")
    store.start("TripBookingSaga", {"tripId": 7})

    worker = baton.Worker("sqlite:trip.db", concurrency=4)

    @worker.task("BookHotel")
    def book_hotel(tripId):
        return {"hotelBooking": "HOTEL-%d" % tripId}

    worker.work(until_idle=True)
"""

__version__ = "0.1.0"

from ._errors import (  # noqa: E402
    BpmnError, BudgetError, ClosedError, Error, ExpressionError,
    InputOutputError, InvalidArgumentError, LimitError, MigrationError,
    ModelError,
    NotFoundError, OutOfMemoryError, ParseError, SnapshotError, StateError,
    UnsupportedError, StoreError, ConflictError, SchemaError, STATUS_NAMES)
from ._ffi import library_path  # noqa: E402
from ._engine import (  # noqa: E402
    DEFER, LIMITS, LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARN, START_KINDS,
    STATES, SUBSCRIPTION_KINDS, Engine, Instance, Job, Model, StartEvent,
    Subscription, library_version, library_version_number, strerror)
from ._time import ManualClock, system_clock  # noqa: E402
from ._host import (  # noqa: E402
    HOST_STATES, SETTINGS, Lambda, Store, Worker, WorkerJob,
    host_library_path, host_schema_version, lambda_library_path)

__all__ = [
    "Engine", "Model", "Instance", "Job", "DEFER", "BpmnError",
    "Error", "InvalidArgumentError", "ParseError", "ExpressionError",
    "UnsupportedError", "ModelError", "NotFoundError", "StateError",
    "LimitError", "InputOutputError", "SnapshotError", "BudgetError",
    "OutOfMemoryError", "ClosedError", "MigrationError", "STATUS_NAMES", "STATES", "LIMITS",
    "LOG_ERROR", "LOG_WARN", "LOG_INFO", "LOG_DEBUG", "library_path",
    "library_version", "library_version_number", "strerror",
    "START_KINDS", "SUBSCRIPTION_KINDS", "StartEvent", "Subscription",
    "ManualClock", "system_clock",
    "Store", "Worker", "WorkerJob", "StoreError", "ConflictError",
    "SchemaError", "HOST_STATES", "SETTINGS", "host_library_path",
    "host_schema_version", "Lambda", "lambda_library_path",
]
