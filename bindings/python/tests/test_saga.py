"""The trip-booking saga's two paths, the compensation order asserted from
the records."""

import baton
from conftest import saga_calls


def run_saga(engine, variables):
    calls, records = [], []
    saga_calls(engine, calls)
    engine.on_record(records.append)
    with engine.start(variables=variables) as instance:
        state = instance.run()
        final = instance.variables
    return state, calls, records, final


def compensation(records):
    return ["%s %s>%s" % (r["intent"], r["value"]["elementId"],
                          r["value"]["compensationHandlerId"])
            for r in records
            if r["valueType"] == "COMPENSATION_SUBSCRIPTION"]


def completed(records, element_type):
    return [r["value"]["elementId"] for r in records
            if r["valueType"] == "PROCESS_INSTANCE"
            and r["intent"] == "ELEMENT_COMPLETED"
            and r["value"]["bpmnElementType"] == element_type]


def test_happy_path(saga):
    state, calls, records, final = run_saga(saga, {})
    assert state == "completed"
    assert calls == ["ReserveCar", "BookHotel", "BookFlight"]
    assert completed(records, "SERVICE_TASK") == calls
    assert completed(records, "END_EVENT") == ["EndEvent_TripBooked"]
    # Every booking is logged for compensation; nothing is compensated,
    # and the log is deleted as the process completes (as Zeebe does).
    assert compensation(records) == [
        "CREATED ReserveCar>CancelCar", "CREATED BookHotel>CancelHotel",
        "CREATED BookFlight>CancelFlight", "DELETED ReserveCar>CancelCar",
        "DELETED BookHotel>CancelHotel", "DELETED BookFlight>CancelFlight"]
    assert final == {"carReservation": "CAR-1", "hotelBooking": "HOTEL-1",
                     "flightBooking": "FLIGHT-1"}


def test_failing_path_compensates_in_reverse(saga):
    state, calls, records, final = run_saga(saga,
                                            {"bookFlightFailure": True})
    assert state == "completed"
    assert calls == ["ReserveCar", "BookHotel", "BookFlight", "CancelHotel",
                     "CancelCar"]
    # Only completed work, latest first, one handler at a time; the
    # flight never completed, so it is never cancelled.
    assert compensation(records) == [
        "CREATED ReserveCar>CancelCar", "CREATED BookHotel>CancelHotel",
        "TRIGGERED BookHotel>CancelHotel", "COMPLETED BookHotel>CancelHotel",
        "TRIGGERED ReserveCar>CancelCar", "COMPLETED ReserveCar>CancelCar"]
    assert completed(records, "SERVICE_TASK") == [
        "ReserveCar", "BookHotel", "CancelHotel", "CancelCar"]
    assert completed(records, "END_EVENT") == ["EndEvent_TripCancelled"]
    errors = [r for r in records if r["valueType"] == "JOB"
              and r["intent"] == "ERROR_THROWN"]
    assert [e["value"]["errorCode"] for e in errors] == [
        "FLIGHT_BOOKING_FAILED"]
    assert errors[0]["value"]["errorMessage"] == "no seats left"
    assert "flightBooking" not in final


def test_records_have_the_zeebe_shape(saga):
    _, _, records, _ = run_saga(saga, {})
    assert [r["position"] for r in records] == list(
        range(1, len(records) + 1))
    for r in records:
        assert set(r) >= {"position", "valueType", "intent", "key", "value"}
        assert r["value"]["bpmnProcessId"] == "TripBookingSaga"
        assert r["value"]["processInstanceKey"] > 0
    first = records[0]
    assert (first["valueType"], first["intent"]) == ("PROCESS_INSTANCE",
                                                     "ELEMENT_ACTIVATING")
    assert first["value"]["bpmnElementType"] == "PROCESS"
    jobs = [r for r in records if r["valueType"] == "JOB"]
    assert {r["intent"] for r in jobs} == {"CREATED", "COMPLETED"}
    assert all(r["value"]["type"] == r["value"]["elementId"] for r in jobs)


def test_step_by_step_reaches_the_same_end(saga):
    calls = []
    saga_calls(saga, calls)
    with saga.start(variables={"bookFlightFailure": True}) as instance:
        progress = []
        while True:
            p = instance.step()
            progress.append(p)
            if p != "ready":
                break
        assert progress[-1] == "ended" and set(progress[:-1]) == {"ready"}
        assert instance.state == "completed"
    assert calls[-2:] == ["CancelHotel", "CancelCar"]


def test_cancel_terminates(saga):
    saga.register_handler("ReserveCar", lambda job: baton.DEFER)
    with saga.start() as instance:
        assert instance.run() == "waiting"
        instance.cancel()
        assert instance.run() == "terminated"
        assert instance.jobs == []
