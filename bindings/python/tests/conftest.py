"""Shared fixtures of the binding's tests.

The tests import `baton` from the source tree (PYTHONPATH) and load the
library named by BATON_LIBRARY, as `meson test` sets them up.
"""

import os
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
BINDING = os.path.dirname(TESTS)
SOURCE_ROOT = os.environ.get("BATON_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(BINDING))
SAGA_MODEL = os.path.join(SOURCE_ROOT, "examples", "trip-booking",
                          "trip-booking-saga.bpmn")
EXAMPLE = os.path.join(SOURCE_ROOT, "examples", "python", "trip_booking.py")

if BINDING not in sys.path:
    sys.path.insert(0, BINDING)

import baton  # noqa: E402

ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'

# One service task of type "work" (retries 2, one header), then the end.
ONE_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" %s
             id="d" targetNamespace="http://example.com/test">
  <process id="one" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <serviceTask id="task">
      <extensionElements>
        <zeebe:taskDefinition type="work" retries="2"/>
        <zeebe:taskHeaders>
          <zeebe:header key="region" value="eu-west-1"/>
        </zeebe:taskHeaders>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
""" % ZEEBE

# Two tasks in a row, "first" then "second" (default retries).
TWO_TASKS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" %s
             id="d2" targetNamespace="http://example.com/test">
  <process id="two" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="a"/>
    <serviceTask id="a">
      <extensionElements><zeebe:taskDefinition type="first"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
    <serviceTask id="b">
      <extensionElements><zeebe:taskDefinition type="second"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="f3" sourceRef="b" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
""" % ZEEBE


def saga_calls(engine, calls, fail_flight=None, defer=()):
    """Registers the six saga handlers on `engine`; each appends its
    element id to `calls`. BookFlight throws FLIGHT_BOOKING_FAILED when
    the variable bookFlightFailure is true; tasks in `defer` are
    deferred."""
    refs = {"ReserveCar": ("carReservation", "CAR-1"),
            "BookHotel": ("hotelBooking", "HOTEL-1"),
            "BookFlight": ("flightBooking", "FLIGHT-1")}

    def book(job):
        calls.append(job.element_id)
        if job.element_id in defer:
            return baton.DEFER
        if job.element_id == "BookFlight" and \
                job.variables.get("bookFlightFailure"):
            raise baton.BpmnError("FLIGHT_BOOKING_FAILED", "no seats left")
        var, ref = refs[job.element_id]
        return {var: ref}

    def cancel(job):
        calls.append(job.element_id)
        if job.element_id in defer:
            return baton.DEFER
        return None

    for task in refs:
        engine.register_handler(task, book)
    for task in ("CancelCar", "CancelHotel", "CancelFlight"):
        engine.register_handler(task, cancel)


@pytest.fixture
def engine():
    with baton.Engine() as e:
        yield e


@pytest.fixture
def one_task(engine):
    engine.deploy(engine.load(ONE_TASK, "one-task.bpmn"))
    return engine


@pytest.fixture
def saga(engine):
    engine.deploy(engine.load_file(SAGA_MODEL))
    return engine


def child_env(**changes):
    """os.environ with `changes` (None removes a variable)."""
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env
