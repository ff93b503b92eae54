"""Snapshot and restore from Python: into a fresh engine with the model
deployed, continued to the same outcome as a run that never stopped."""

import pytest

import baton
from conftest import SAGA_MODEL, saga_calls


def fresh_saga_engine(calls, defer=()):
    engine = baton.Engine()
    engine.deploy(engine.load_file(SAGA_MODEL))
    saga_calls(engine, calls, defer=defer)
    return engine


def uninterrupted(variables):
    calls = []
    with fresh_saga_engine(calls) as engine:
        with engine.start(variables=variables) as instance:
            state = instance.run()
            return state, calls, instance.variables


@pytest.mark.parametrize("variables,stop_at", [
    ({}, "BookHotel"),
    ({"bookFlightFailure": True}, "BookFlight"),
    # in the middle of compensation
    ({"bookFlightFailure": True}, "CancelHotel"),
])
def test_restore_continues_to_the_same_outcome(variables, stop_at):
    expected_state, expected_calls, expected_vars = uninterrupted(variables)

    first_calls = []
    with fresh_saga_engine(first_calls, defer=(stop_at,)) as engine:
        instance = engine.start(variables=variables)
        assert instance.run() == "waiting"
        [job] = instance.jobs
        assert job.element_id == stop_at
        data = instance.snapshot()
        revision = instance.revision
    assert isinstance(data, bytes) and len(data) > 0
    assert instance.closed      # closed with its engine

    later_calls = []
    with fresh_saga_engine(later_calls) as engine:
        restored = engine.restore(data)
        assert restored.state == "waiting"
        assert restored.revision == revision
        assert [j.key for j in restored.jobs] == [job.key]
        # The deferred job's own work happened elsewhere; report it.
        result = {"BookHotel": {"hotelBooking": "HOTEL-1"}}.get(stop_at)
        if stop_at == "BookFlight":
            restored.throw_error(job.key, "FLIGHT_BOOKING_FAILED",
                                 "no seats left")
        else:
            restored.complete_job(job.key, result)
        assert restored.run() == expected_state
        assert restored.variables == expected_vars
    assert first_calls + later_calls == expected_calls


def test_snapshot_round_trip_is_stable(one_task):
    one_task.register_handler("work", lambda job: baton.DEFER)
    with one_task.start(variables={"x": [1, 2, 3]}) as instance:
        instance.run()
        data = instance.snapshot()
        with one_task.restore(bytearray(data)) as again:
            assert again.snapshot() == data
        with one_task.restore(memoryview(data)) as again:
            assert again.variables == {"x": [1, 2, 3]}


def test_damaged_snapshot_is_refused(one_task):
    one_task.register_handler("work", lambda job: baton.DEFER)
    with one_task.start() as instance:
        instance.run()
        data = bytearray(instance.snapshot())
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(baton.SnapshotError) as info:
        one_task.restore(bytes(data))
    assert info.value.code == -10 and info.value.message
    with pytest.raises(baton.SnapshotError):
        one_task.restore(b"not a snapshot")
    with pytest.raises(TypeError):
        one_task.restore("text")


def test_restore_needs_the_deployment(one_task):
    one_task.register_handler("work", lambda job: baton.DEFER)
    with one_task.start() as instance:
        instance.run()
        data = instance.snapshot()
    with baton.Engine() as empty:
        with pytest.raises(baton.NotFoundError):
            empty.restore(data)


def test_persist_hook(one_task):
    stored = []

    @one_task.on_persist
    def persist(instance, snapshot, revision):
        stored.append((instance, snapshot, revision))

    one_task.register_handler("work", lambda job: baton.DEFER)
    with one_task.start() as instance:
        instance.run()
        [(who, snapshot, revision)] = stored
        assert who is instance
        assert snapshot == instance.snapshot()
        assert revision == instance.revision

        # False reports the run as failed after the state is kept.
        one_task.on_persist(lambda *args: False)
        instance.complete_job(instance.jobs[0].key)
        with pytest.raises(baton.InputOutputError):
            instance.run()
        assert instance.state == "completed"

    def broken(instance, snapshot, revision):
        raise ConnectionError("database gone")

    one_task.on_persist(broken)
    one_task.register_handler("work", lambda job: None)
    with one_task.start() as instance:
        with pytest.raises(ConnectionError, match="database gone") as info:
            instance.run()
        assert isinstance(info.value.__context__, baton.InputOutputError)
    one_task.on_persist(None)
    with one_task.start() as instance:
        assert instance.run() == "completed"
