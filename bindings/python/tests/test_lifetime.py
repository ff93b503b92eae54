"""Lifetimes: close() in any order, del and gc.collect() in any order,
closed objects refused cleanly, children keeping their parents alive."""

import gc
import itertools
import weakref

import pytest

import baton
from conftest import ONE_TASK, SAGA_MODEL


def make_world():
    """An engine, a model, an instance waiting on a deferred job, and the
    job kept after its handler returned."""
    engine = baton.Engine()
    model = engine.load(ONE_TASK, "one-task.bpmn")
    engine.deploy(model)
    kept = []

    def work(job):
        kept.append(job)
        return baton.DEFER

    engine.register_handler("work", work)
    instance = engine.start(variables={"n": 1})
    assert instance.run() == "waiting"
    return {"engine": engine, "model": model, "instance": instance,
            "job": kept[0]}


def test_close_twice_is_harmless():
    w = make_world()
    for name in ("job", "instance", "model", "engine"):
        w[name].close()
        w[name].close()
        assert w[name].closed


@pytest.mark.parametrize("order", list(itertools.permutations(
    ["engine", "model", "instance", "job"])))
def test_close_in_any_order(order):
    w = make_world()
    for name in order:
        w[name].close()
    for name in order:
        assert w[name].closed


@pytest.mark.parametrize("order", list(itertools.permutations(
    ["engine", "model", "instance", "job"])))
def test_del_and_collect_in_any_order(order):
    w = make_world()
    engine_ref = weakref.ref(w["engine"])
    for name in order:
        del w[name]
        gc.collect()
    assert engine_ref() is None


def make_cycle():
    # A handler and a record sink that close over the engine and the
    # instance: engine -> handler -> instance -> engine.
    engine = baton.Engine()
    engine.deploy(engine.load(ONE_TASK))
    instance = engine.start()

    def work(job):
        assert job.instance is instance
        assert engine.handlers["work"] is work
        return {"done": True}

    engine.register_handler("work", work)
    engine.on_record(lambda record: (engine, instance))
    assert instance.run() == "completed"
    return weakref.ref(engine), weakref.ref(instance)


def test_reference_cycles_are_collected():
    # The collector finalises the members of a cycle in no defined order.
    gc.disable()
    try:
        refs = [make_cycle() for _ in range(20)]
        assert all(e() is not None and i() is not None for e, i in refs)
    finally:
        gc.enable()
    gc.collect()
    assert all(e() is None and i() is None for e, i in refs)


def test_instance_keeps_its_engine_alive():
    def start():
        engine = baton.Engine()
        engine.deploy(engine.load(ONE_TASK))
        engine.register_handler("work", lambda job: {"ok": 1})
        return engine.start(), weakref.ref(engine)

    instance, engine_ref = start()
    gc.collect()
    assert engine_ref() is not None
    assert instance.run() == "completed"
    assert instance.variables == {"ok": 1}
    del instance
    gc.collect()
    assert engine_ref() is None


def test_restored_instance_keeps_its_engine_alive():
    w = make_world()
    data = w["instance"].snapshot()
    engine = baton.Engine()
    engine.deploy(engine.load(ONE_TASK))
    restored = engine.restore(data)
    engine_ref = weakref.ref(engine)
    del engine
    gc.collect()
    assert engine_ref() is not None
    assert restored.state == "waiting"


def test_closing_the_engine_closes_its_instances():
    w = make_world()
    other = w["engine"].start()
    w["engine"].close()
    for inst in (w["instance"], other):
        assert inst.closed
        with pytest.raises(baton.ClosedError, match="its engine was closed"):
            inst.run()
    # The model is the library's to refcount: it outlives the engine.
    assert w["model"].process_ids == ["one"]


def test_closed_objects_raise_clearly():
    w = make_world()
    engine, model, instance, job = (w["engine"], w["model"], w["instance"],
                                    w["job"])
    job.close()
    with pytest.raises(baton.ClosedError, match="job is closed"):
        job.complete()
    instance.close()
    for use in (lambda: instance.state, lambda: instance.run(),
                lambda: instance.variables, instance.snapshot,
                lambda: instance.complete_job(1), lambda: instance.jobs):
        with pytest.raises(baton.ClosedError, match="instance is closed"):
            use()
    model.close()
    with pytest.raises(baton.ClosedError, match="model is closed"):
        engine.deploy(model)
    with pytest.raises(baton.ClosedError):
        model.processes
    engine.close()
    for use in (lambda: engine.start(), lambda: engine.load(ONE_TASK),
                lambda: engine.restore(b"x"),
                lambda: engine.register_handler("x", print),
                lambda: engine.on_record(print)):
        with pytest.raises(baton.ClosedError, match="engine is closed"):
            use()
    # A ClosedError is a baton.Error and a ValueError.
    assert issubclass(baton.ClosedError, baton.Error)
    assert issubclass(baton.ClosedError, ValueError)
    assert "closed" in repr(engine) and "closed" in repr(instance)
    assert "closed" in repr(model) and "closed" in repr(job)


def test_with_blocks():
    with baton.Engine() as engine:
        with engine.load_file(SAGA_MODEL) as model:
            engine.deploy(model)
        assert model.closed
        with engine.start() as instance:
            assert instance.state == "active"
        assert instance.closed
        engine.register_handler("ReserveCar", lambda job: baton.DEFER)
        with engine.start() as instance:
            instance.run()
            with instance.jobs[0] as job:
                assert job.element_id == "ReserveCar"
            assert job.closed
    assert engine.closed


def test_model_may_outlive_and_be_shared_between_engines():
    first = baton.Engine()
    model = first.load(ONE_TASK)
    first.close()
    with baton.Engine() as second:
        second.deploy(model)
        model.close()
        second.register_handler("work", lambda job: None)
        with second.start() as instance:
            assert instance.run() == "completed"


def test_cannot_close_from_inside_a_handler(engine):
    engine.deploy(engine.load(ONE_TASK))
    instance = engine.start()
    seen = []

    def work(job):
        with pytest.raises(baton.StateError):
            instance.close()
        with pytest.raises(baton.StateError):
            engine.close()
        seen.append(job.key)
        return {"fine": True}

    engine.register_handler("work", work)
    assert instance.run() == "completed"
    assert seen and not instance.closed and not engine.closed


def test_job_kept_after_its_handler():
    w = make_world()
    job, instance = w["job"], w["instance"]
    assert not job.in_handler
    assert job.type == "work" and job.element_id == "task"
    assert job.retries == 2 and job.headers == {"region": "eu-west-1"}
    with pytest.raises(baton.StateError, match="during its handler"):
        job.variables
    with pytest.raises(baton.StateError, match="already waits"):
        job.defer()
    job.complete({"late": True})        # settles by key
    assert instance.run() == "completed"
    assert instance.variables == {"n": 1, "late": True}


def test_jobs_are_not_constructed_directly():
    with pytest.raises(TypeError):
        baton.Job()


def test_a_handler_may_read_but_not_change_its_instance(engine):
    engine.deploy(engine.load(ONE_TASK))
    instance = engine.start(variables={"v": 1})
    refused = []

    def work(job):
        assert instance.variables == {"v": 1}
        assert instance.get_variable("v") == 1
        assert instance.state in baton.STATES
        for change in (instance.run, instance.step, instance.cancel,
                       instance.snapshot, lambda: instance.set_variables(w=2),
                       lambda: instance.complete_job(job.key)):
            with pytest.raises(baton.StateError):
                change()
            refused.append(change)
        return {"ok": True}

    engine.register_handler("work", work)
    assert instance.run() == "completed"
    assert len(refused) == 6
    assert instance.variables == {"v": 1, "ok": True}
