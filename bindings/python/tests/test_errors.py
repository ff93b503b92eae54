"""Errors carry the engine's message, line, column, element id and source;
each status code has its exception class."""

import math

import pytest

import baton
from conftest import ONE_TASK, ZEEBE

BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             id="d" targetNamespace="http://example.com/test">
  <process id="broken" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="odd"/>
    <complexGateway id="odd"/>
    <sequenceFlow id="f2" sourceRef="odd" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""

BAD_EXPRESSION = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             id="d" targetNamespace="http://example.com/test">
  <process id="expr" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
    <exclusiveGateway id="gw" default="f3"/>
    <sequenceFlow id="f2" sourceRef="gw" targetRef="end">
      <conditionExpression>= amount +* 2</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="f3" sourceRef="gw" targetRef="end"/>
    <complexGateway id="odd"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""

# A loop with no wait state: only the step budget stops it.
LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" %s
             id="d" targetNamespace="http://example.com/test">
  <process id="loop" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
    <exclusiveGateway id="gw"/>
    <sequenceFlow id="f2" sourceRef="gw" targetRef="gw">
      <conditionExpression>= true</conditionExpression>
    </sequenceFlow>
  </process>
</definitions>
""" % ZEEBE


def test_unsupported_element_has_line_and_id(engine):
    with pytest.raises(baton.UnsupportedError) as info:
        engine.load(BROKEN, "broken.bpmn")
    e = info.value
    assert e.code == -4 and e.status_name == "BATON_EUNSUPPORTED"
    assert e.line == 7
    assert e.element_id == "odd"
    assert e.source == "broken.bpmn"
    assert "complexGateway" in e.message
    assert str(e).startswith("broken.bpmn:7")
    assert isinstance(e, baton.Error)


def test_bad_expression_is_a_parse_error(engine):
    with pytest.raises(baton.ParseError) as info:
        engine.load(BAD_EXPRESSION, "expr.bpmn")
    e = info.value
    assert isinstance(e, baton.ExpressionError)
    assert e.code == -11 and e.line == 8 and e.element_id == "f2"


def test_check_reports_every_problem(engine):
    problems = engine.check(BAD_EXPRESSION, "expr.bpmn")
    assert [(p["line"], p["element_id"], p["status"]) for p in problems] == [
        (8, "f2", "BATON_EEXPR"), (12, "odd", "BATON_EUNSUPPORTED")]
    assert all(p["source"] == "expr.bpmn" and p["message"]
               for p in problems)
    assert problems[1]["tag"] == "complexGateway"
    assert engine.check(ONE_TASK) == []


def test_malformed_xml(engine):
    with pytest.raises(baton.ParseError) as info:
        engine.load(b"<definitions>\n<process></definitions>", "bad.xml")
    assert info.value.line == 2 and info.value.source == "bad.xml"
    assert not isinstance(info.value, baton.ExpressionError)


def test_doctype_is_refused(engine):
    doc = ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>\n'
           + ONE_TASK.split("\n", 1)[1])
    with pytest.raises(baton.Error) as info:
        engine.load(doc)
    assert "DOCTYPE" in str(info.value)


def test_missing_file(engine, tmp_path):
    path = tmp_path / "nowhere.bpmn"
    with pytest.raises(baton.InputOutputError) as info:
        engine.load_file(path)
    assert info.value.code == -9


def test_not_found(engine):
    model = engine.load(ONE_TASK)
    with pytest.raises(baton.NotFoundError) as info:
        engine.deploy(model, "no-such-process")
    assert isinstance(info.value, LookupError)
    with pytest.raises(baton.NotFoundError):
        engine.start("one")             # not deployed yet
    assert engine.deploy(model, "one") == 1
    assert engine.deploy(model) == 2    # the next version
    with pytest.raises(baton.NotFoundError):
        engine.start("other")


def test_variables_must_be_json_objects(one_task):
    with pytest.raises(TypeError):
        one_task.start(variables=[1, 2])
    with pytest.raises(ValueError):
        one_task.start(variables={"x": math.nan})
    with one_task.start(variables={"x": 1}) as instance:
        with pytest.raises(TypeError):
            instance.set_variables("x")
        instance.set_variables({"y": 2}, z=3)
        assert instance.variables == {"x": 1, "y": 2, "z": 3}
        with pytest.raises(ValueError):
            instance.get_variable("a\0b")


def test_limits(engine):
    assert engine.set_limit("steps", 50) == 100000
    assert engine.set_limit(baton.LIMITS["steps"], 100000) == 50
    with pytest.raises(ValueError):
        engine.set_limit("speed", 1)
    with pytest.raises(ValueError):
        engine.set_limit("steps", 0)
    engine.set_limit("json_depth", 3)
    engine.deploy(engine.load(ONE_TASK))
    with pytest.raises(baton.LimitError):
        engine.start(variables={"a": {"b": {"c": {"d": {}}}}})


def test_step_budget(engine):
    engine.deploy(engine.load(LOOP))
    with engine.start() as instance:
        with pytest.raises(baton.BudgetError) as info:
            instance.run(max_steps=20)
        assert "20" in info.value.message
        assert instance.state == "active"
        assert instance.step() == "ready"
        instance.cancel()
        assert instance.run() == "terminated"


def test_hierarchy():
    assert issubclass(baton.ExpressionError, baton.ParseError)
    for cls in (baton.ParseError, baton.UnsupportedError, baton.ModelError,
                baton.NotFoundError, baton.StateError, baton.LimitError,
                baton.SnapshotError, baton.BudgetError,
                baton.InputOutputError, baton.InvalidArgumentError,
                baton.OutOfMemoryError, baton.ClosedError):
        assert issubclass(cls, baton.Error)
    assert issubclass(baton.OutOfMemoryError, MemoryError)
    assert not issubclass(baton.BpmnError, baton.Error)
    assert baton.strerror(-1) == "out of memory"
    e = baton.OutOfMemoryError("out of memory", -1)
    assert isinstance(e, MemoryError) and e.code == -1


def test_errors_survive_pickling():
    import pickle
    e = baton.ParseError("bad", -3, line=4, column=2, element_id="x",
                         source="m.bpmn")
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is baton.ParseError
    assert (again.line, again.column, again.element_id, again.source) == \
        (4, 2, "x", "m.bpmn")
    assert str(again) == "m.bpmn:4:2: x: bad"
