"""Instance.migrate: moving a waiting instance to another deployed
version, over the models of tests/migration (the C driver's cases)."""

import json
import os

import pytest

import baton
from conftest import SOURCE_ROOT

CASES = os.path.join(SOURCE_ROOT, "tests", "migration")


def case_file(case, name):
    return os.path.join(CASES, case, name)


def waiting(case):
    """An engine with from.bpmn's instance waiting, then to.bpmn deployed
    as version 2; and the records from there on."""
    engine = baton.Engine()
    engine.deploy(engine.load_file(case_file(case, "from.bpmn")))
    instance = engine.start(variables={"orderId": "42"})
    instance.run()
    assert engine.deploy(engine.load_file(case_file(case, "to.bpmn"))) == 2
    records = []
    engine.on_record(records.append)
    return engine, instance, records


def test_renamed_task_moves_and_runs_on():
    engine, instance, records = waiting("renamed-task")
    with open(case_file("renamed-task", "plan.json")) as f:
        plan = json.load(f)
    report = instance.migrate("Order", 2, plan)
    assert report["from"] == {"processId": "Order", "version": 1}
    assert report["to"] == {"processId": "Order", "version": 2}
    assert [(m["sourceElementId"], m["targetElementId"])
            for m in report["moved"]] == [("Order", "Order"), ("A", "A2")]
    assert report["refused"] == []
    assert [(r["intent"], r["value"]["elementId"]) for r in records] == [
        ("MIGRATED", "Order"), ("MIGRATED", "A2")]
    assert instance.process_version == 2
    [job] = instance.jobs
    assert job.element_id == "A2"
    instance.complete_job(job.key)
    instance.run()
    [job] = instance.jobs
    instance.complete_job(job.key)
    assert instance.run() == "completed"
    engine.close()


def test_plan_as_text_and_dry_run_change_nothing():
    engine, instance, records = waiting("renamed-task")
    before = instance.snapshot()
    plan = ('{"mappings": [{"sourceElementId": "A", '
            '"targetElementId": "A2"}]}')
    report = instance.migrate("Order", 2, plan, dry_run=True)
    assert [m["targetElementId"] for m in report["moved"]] == ["Order", "A2"]
    assert instance.snapshot() == before
    assert records == []
    engine.close()


def test_refused_plan_raises_with_the_reasons():
    engine, instance, records = waiting("refused-no-target")
    before = instance.snapshot()
    with pytest.raises(baton.MigrationError) as e:
        instance.migrate("Order", 2)
    assert e.value.code == -13
    assert e.value.status_name == "BATON_EMIGRATE"
    assert e.value.reasons == [("A", "active element 'A' has no target")]
    assert e.value.report["moved"] == []
    assert e.value.message == ("the migration plan is refused: active "
                               "element 'A' has no target")
    assert e.value.element_id == "A"
    assert instance.snapshot() == before
    engine.close()


def test_bad_arguments():
    engine, instance, _ = waiting("renamed-task")
    with pytest.raises(baton.NotFoundError):
        instance.migrate("Order", 9)
    with pytest.raises(baton.ParseError):
        instance.migrate("Order", 2, '{"mapping": []}')
    with pytest.raises(TypeError):
        instance.migrate("Order", 2, plan=[1])
    engine.close()
