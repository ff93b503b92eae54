"""Handler outcomes: complete, BPMN error, failure and retries into an
incident, DEFER and settling by key; exceptions never cross into C."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import baton
from conftest import BINDING, TWO_TASKS, child_env


def test_job_fields_and_completion(one_task):
    seen = {}

    @one_task.handler("work")
    def work(job):
        seen.update(type=job.type, element_id=job.element_id, key=job.key,
                    pik=job.process_instance_key, retries=job.retries,
                    headers=job.headers, variables=dict(job.variables),
                    process_id=job.process_id, in_handler=job.in_handler,
                    region=job.header("region"),
                    eik=job.element_instance_key)
        return {"answer": 42, "nested": {"list": [1, "two", None]}}

    instance = one_task.start(variables={"order": "A-1", "amount": 12.5})
    assert instance.run() == "completed"
    assert seen["type"] == "work" and seen["element_id"] == "task"
    assert seen["pik"] == instance.key and seen["key"] > 0
    assert seen["eik"] > 0
    assert seen["retries"] == 2 and seen["process_id"] == "one"
    assert seen["headers"] == {"region": "eu-west-1"}
    assert seen["region"] == "eu-west-1" and seen["in_handler"]
    assert seen["variables"] == {"order": "A-1", "amount": 12.5}
    assert instance.variables == {"order": "A-1", "amount": 12.5,
                                  "answer": 42,
                                  "nested": {"list": [1, "two", None]}}
    assert instance.get_variable("answer") == 42
    assert instance.get_variable("missing", None) is None
    with pytest.raises(baton.NotFoundError):
        instance.get_variable("missing")


def test_elements_while_waiting(one_task):
    with one_task.start(variables={"order": "A-1"}) as instance:
        assert instance.run() == "waiting"     # no handler: the job waits
        process, task = instance.elements
        assert process == {"key": instance.key, "elementId": "one",
                           "elementType": "PROCESS", "state": "ACTIVATED",
                           "flowScopeKey": -1,
                           "variables": {"order": "A-1"}}
        assert task["elementId"] == "task"
        assert task["elementType"] == "SERVICE_TASK"
        assert task["state"] == "ACTIVATED"
        assert task["flowScopeKey"] == instance.key
        assert task["key"] == instance.jobs[0].element_instance_key
        instance.cancel()
        instance.run()
        assert instance.elements == []


def test_returning_none_completes(one_task):
    one_task.register_handler("work", lambda job: None)
    with one_task.start(variables={"a": 1}) as instance:
        assert instance.run() == "completed"
        assert instance.variables == {"a": 1}


def test_settling_inside_the_handler(one_task):
    @one_task.handler("work")
    def work(job):
        job.complete({"explicit": True})
        with pytest.raises(baton.StateError):
            job.complete()          # settled once only
        return {"ignored": True}    # the job is already settled

    with one_task.start() as instance:
        assert instance.run() == "completed"
        assert instance.variables == {"explicit": True}


def test_bpmn_error_uncaught_is_an_incident(one_task):
    @one_task.handler("work")
    def work(job):
        raise baton.BpmnError("NO_STOCK", "nothing left")

    with one_task.start() as instance:
        assert instance.run() == "incident"
        [incident] = instance.incidents
        assert incident["type"] == "UNHANDLED_ERROR_EVENT"
        assert "NO_STOCK" in incident["message"]
        assert incident["element_id"] == "task"


def test_bpmn_error_caught_by_the_saga_boundary(saga):
    calls = []
    from conftest import saga_calls
    saga_calls(saga, calls)
    with saga.start(variables={"bookFlightFailure": True}) as instance:
        assert instance.run() == "completed"
    assert calls == ["ReserveCar", "BookHotel", "BookFlight", "CancelHotel",
                     "CancelCar"]


def test_exception_fails_with_retries_then_incident(one_task):
    attempts = []

    @one_task.handler("work")
    def work(job):
        attempts.append(job.retries)
        raise RuntimeError("hotel service down")

    with one_task.start() as instance:
        assert instance.run() == "incident"
        # retries 2: called with 2, then 1; failing with 0 left raises
        # the incident.
        assert attempts == [2, 1]
        [incident] = instance.incidents
        assert incident["type"] == "JOB_NO_RETRIES"
        assert "hotel service down" in incident["message"]
        assert "RuntimeError" in incident["message"]
        assert incident["element_id"] == "task"
        assert incident["job_key"] > 0

        # Fix the cause, give retries back, resolve: the job runs again.
        one_task.register_handler("work", lambda job: {"fixed": True})
        instance.update_job_retries(incident["job_key"], 1)
        instance.resolve_incident(incident["key"])
        assert instance.run() == "completed"
        assert instance.incidents == []
        assert instance.variables == {"fixed": True}


def test_wrong_return_type_fails_the_job(one_task):
    one_task.register_handler("work", lambda job: ["not", "a", "dict"])
    with one_task.start() as instance:
        assert instance.run() == "incident"
        message = instance.incidents[0]["message"]
        assert "TypeError" in message and "returned list" in message


def test_unserialisable_result_fails_the_job(one_task):
    one_task.register_handler("work", lambda job: {"when": object()})
    with one_task.start() as instance:
        assert instance.run() == "incident"
        assert "TypeError" in instance.incidents[0]["message"]


def test_defer_then_complete_by_key(one_task):
    keys = []

    @one_task.handler("work")
    def work(job):
        keys.append(job.key)
        return baton.DEFER

    with one_task.start() as instance:
        assert instance.run() == "waiting"
        [job] = instance.jobs
        assert job.key == keys[0] and job.type == "work"
        assert job.variables == {} and job.retries == 2
        instance.complete_job(keys[0], {"paid": True})
        assert instance.run() == "completed"
        assert instance.variables == {"paid": True}
        assert keys == [keys[0]]    # the handler ran once


def test_deferred_job_fail_and_throw_by_key(engine):
    engine.deploy(engine.load(TWO_TASKS))
    engine.register_handler("first", lambda job: baton.DEFER)
    with engine.start() as instance:
        instance.run()
        [job] = instance.jobs
        instance.fail_job(job.key, "try later")     # retries 3 -> 2
        assert instance.run() == "waiting"
        [job] = instance.jobs
        assert job.retries == 2
        instance.throw_error(job.key, "GIVE_UP", "no way")
        assert instance.run() == "incident"
        assert instance.incidents[0]["type"] == "UNHANDLED_ERROR_EVENT"

    with engine.start() as instance:
        instance.run()
        with pytest.raises(baton.NotFoundError):
            instance.complete_job(999999, {})


def test_job_without_handler_waits(engine):
    engine.deploy(engine.load(TWO_TASKS))
    engine.register_handler("first", lambda job: {"a": 1})
    with engine.start() as instance:
        assert instance.run() == "waiting"
        [job] = instance.jobs
        assert job.type == "second" and job.variables == {"a": 1}
        job.complete({"b": 2})
        assert instance.run() == "completed"
    engine.register_handler("first", None)
    assert "first" not in engine.handlers


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit,
                                 MemoryError, GeneratorExit])
def test_interrupt_in_handler_undoes_the_step(engine, exc):
    engine.deploy(engine.load(TWO_TASKS))
    calls = []

    @engine.handler("first")
    def first(job):
        calls.append("first")
        return {"a": 1}

    @engine.handler("second")
    def second(job):
        calls.append("second")
        raise exc()

    with engine.start() as instance:
        with pytest.raises(exc):
            instance.run()
        assert calls == ["first", "second"]
        # The step that called the handler is undone: the job is still
        # ready, with its retries, and the handler runs again next time.
        revision = instance.revision
        assert instance.variables == {"a": 1}
        assert instance.incidents == []
        engine.register_handler("second", lambda job: {"b": 2})
        assert instance.run() == "completed"
        assert instance.revision > revision
        assert instance.variables == {"a": 1, "b": 2}


def test_record_sink_exception_is_raised_after_the_run(one_task):
    one_task.register_handler("work", lambda job: None)
    count = []

    @one_task.on_record
    def sink(record):
        count.append(record["position"])
        if len(count) == 3:
            raise ValueError("sink broke")

    with one_task.start() as instance:
        with pytest.raises(ValueError, match="sink broke"):
            instance.run()
        # The run itself went on: records are observations.
        assert instance.state == "completed"
        assert count == sorted(count) and len(count) > 3


def test_log_hook(one_task):
    messages = []
    one_task.on_log(lambda level, message: messages.append((level,
                                                            message)))

    @one_task.handler("work")
    def work(job):
        raise RuntimeError("boom")

    with one_task.start() as instance:
        instance.run()
    assert any(level == baton.LOG_WARN for level, _ in messages)
    one_task.on_log(None)


SUBPROCESS_STRESS = textwrap.dedent("""
    import os, signal, sys
    import baton
    from conftest import ONE_TASK

    engine = baton.Engine()
    engine.deploy(engine.load(ONE_TASK))
    raised = [ValueError("v"), KeyError("k"), RecursionError("r"),
              ZeroDivisionError("z"), baton.BpmnError("E", "m"),
              UnicodeDecodeError("utf-8", b"\\xff", 0, 1, "bad"),
              StopIteration(), Exception()]

    def work(job):
        exc = raised[job.variables["i"] % len(raised)]
        raise exc

    engine.register_handler("work", work)
    for i in range(200):
        with engine.start(variables={"i": i}) as inst:
            inst.run()
            assert inst.state == "incident", inst.state

    # A real SIGINT arriving while a handler runs.
    def slow(job):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10 ** 6):
            pass
        return {"never": True}

    engine.register_handler("work", slow)
    inst = engine.start()
    try:
        inst.run()
    except KeyboardInterrupt:
        print("interrupted", inst.state)
    engine.register_handler("work", lambda job: None)
    print("then", inst.run())
""")


def test_exceptions_never_crash_the_interpreter(tmp_path):
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_STRESS],
        env=child_env(PYTHONPATH=os.pathsep.join([BINDING, tests_dir])),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "interrupted active" in r.stdout
    assert "then completed" in r.stdout
    assert "Exception ignored" not in r.stderr
    assert r.returncode != -signal.SIGSEGV


def test_bpmn_error_needs_a_code():
    with pytest.raises(TypeError):
        baton.BpmnError("")
    e = baton.BpmnError("CODE", "message")
    assert e.code == "CODE" and e.message == "message"
    assert str(e) == "CODE: message"
