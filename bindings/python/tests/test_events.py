"""Events and time: timers, messages, signals, start events, backoffs and
the clock, through the real library."""

import os
from datetime import datetime, timedelta, timezone

import pytest

import baton
from conftest import ONE_TASK, SOURCE_ROOT, ZEEBE

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T0_MS = 1714564800000

MODELS = os.environ.get("BATON_MODELS") or os.path.join(SOURCE_ROOT, "tests",
                                                        "models")

# An event-based gateway races a message (correlated on flightId) against
# a 15-minute timer; each branch ends at its own end event.
RACE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" %s
             id="raceDefs" targetNamespace="http://example.com/test">
  <message id="msgConfirmed" name="flight-confirmed">
    <extensionElements>
      <zeebe:subscription correlationKey="=flightId"/>
    </extensionElements>
  </message>
  <process id="race" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
    <eventBasedGateway id="gw"/>
    <sequenceFlow id="f2" sourceRef="gw" targetRef="confirmed"/>
    <sequenceFlow id="f3" sourceRef="gw" targetRef="timeout"/>
    <intermediateCatchEvent id="confirmed">
      <messageEventDefinition messageRef="msgConfirmed"/>
    </intermediateCatchEvent>
    <intermediateCatchEvent id="timeout">
      <timerEventDefinition><timeDuration>PT15M</timeDuration></timerEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow id="f4" sourceRef="confirmed" targetRef="endConfirmed"/>
    <sequenceFlow id="f5" sourceRef="timeout" targetRef="endTimeout"/>
    <endEvent id="endConfirmed"/>
    <endEvent id="endTimeout"/>
  </process>
</definitions>
""" % ZEEBE

# One start event of each kind (two timers), all leading to a signal
# catch, then the end.
STARTS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" %s
             id="startsDefs" targetNamespace="http://example.com/test">
  <message id="msgOrder" name="order-placed"/>
  <signal id="sigAlarm" name="alarm"/>
  <process id="starts" isExecutable="true">
    <startEvent id="hourly">
      <timerEventDefinition><timeCycle>R3/PT1H</timeCycle></timerEventDefinition>
    </startEvent>
    <startEvent id="byOrder">
      <messageEventDefinition messageRef="msgOrder"/>
    </startEvent>
    <startEvent id="byAlarm">
      <signalEventDefinition signalRef="sigAlarm"/>
    </startEvent>
    <startEvent id="once">
      <timerEventDefinition><timeDate>2024-06-01T08:00:00Z</timeDate></timerEventDefinition>
    </startEvent>
    <startEvent id="plain"/>
    <sequenceFlow id="f1" sourceRef="hourly" targetRef="wait"/>
    <sequenceFlow id="f2" sourceRef="byOrder" targetRef="wait"/>
    <sequenceFlow id="f3" sourceRef="byAlarm" targetRef="wait"/>
    <sequenceFlow id="f4" sourceRef="once" targetRef="wait"/>
    <sequenceFlow id="f5" sourceRef="plain" targetRef="wait"/>
    <intermediateCatchEvent id="wait">
      <signalEventDefinition signalRef="sigAlarm"/>
    </intermediateCatchEvent>
    <sequenceFlow id="f6" sourceRef="wait" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
""" % ZEEBE

# A timer start event whose duration is an expression of a variable: a
# start event has no variables yet, so it gives no valid timer.
EXPR_START = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" %s
             id="exprDefs" targetNamespace="http://example.com/test">
  <process id="expr" isExecutable="true">
    <startEvent id="later">
      <timerEventDefinition><timeDuration>=delay</timeDuration></timerEventDefinition>
    </startEvent>
    <sequenceFlow id="f1" sourceRef="later" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
""" % ZEEBE


def completed(records):
    """The ids of the elements that completed, in order."""
    return [r["value"]["elementId"] for r in records
            if r["valueType"] == "PROCESS_INSTANCE"
            and r["intent"] == "ELEMENT_COMPLETED"]


def events(records, *value_types):
    return [(r["valueType"], r["intent"]) for r in records
            if r["valueType"] in value_types]


@pytest.fixture
def clock():
    return baton.ManualClock(T0)


@pytest.fixture
def race(engine, clock):
    engine.set_clock(clock)
    engine.deploy(engine.load(RACE, "race.bpmn"))
    records = []
    engine.on_record(records.append)
    return engine, records


# ------------------------------------------------------------------ time

def test_manual_clock():
    clock = baton.ManualClock(T0)
    assert clock.now == T0 and clock() == T0
    assert clock.millis == T0_MS
    assert clock.now.tzinfo is not None
    assert clock.advance(timedelta(minutes=15)) == T0 + timedelta(minutes=15)
    assert clock.advance(1) == T0 + timedelta(minutes=15, milliseconds=1)
    assert clock.set(T0) == T0
    assert baton.ManualClock(T0_MS).now == T0
    # the same instant in another zone is the same time
    cest = timezone(timedelta(hours=2))
    assert baton.ManualClock(datetime(2024, 5, 1, 14, 0, tzinfo=cest)).now \
        == T0
    with pytest.raises(TypeError, match="naive"):
        baton.ManualClock(datetime(2024, 5, 1, 12, 0))
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(TypeError):
        clock.advance(1.5)


def test_clock_as_int_still_works(race):
    engine, records = race
    engine.set_clock(lambda: T0_MS)
    with engine.start(variables={"flightId": "LH-1"}) as inst:
        assert inst.run() == "waiting"
        assert inst.next_due == T0 + timedelta(minutes=15)


def test_clock_with_naive_datetime_fails_the_call(race):
    engine, records = race
    with engine.start(variables={"flightId": "LH-1"}) as inst:
        engine.set_clock(lambda: datetime(2024, 5, 1, 12, 0))
        before = inst.revision
        with pytest.raises(TypeError, match="timezone-aware"):
            inst.run()
        assert inst.revision == before and records == []


def test_clock_that_raises_changes_nothing(race):
    engine, records = race

    def broken():
        raise RuntimeError("no time source")

    with engine.start(variables={"flightId": "LH-1"}) as inst:
        engine.set_clock(broken)
        with pytest.raises(RuntimeError, match="no time source"):
            inst.run()
        assert inst.revision == 0 and records == []
        engine.set_clock(baton.ManualClock(T0))
        assert inst.run() == "waiting"
        assert inst.next_due == T0 + timedelta(minutes=15)


def test_clock_is_read_once_per_call(race):
    engine, records = race
    reads = []

    @engine.set_clock
    def counting():
        reads.append(1)
        return T0 + timedelta(hours=len(reads))

    with engine.start(variables={"flightId": "LH-1"}) as inst:
        inst.run()                  # starts the timer: one read
        assert len(reads) == 1
        assert inst.next_due == T0 + timedelta(hours=1, minutes=15)
        inst.run()                  # 2 hours: fires it, in one read
        assert len(reads) == 2 and inst.state == "completed"
    assert events(records, "TIMER") == [("TIMER", "CREATED"),
                                        ("TIMER", "TRIGGERED")]


def test_clockless_engine_refuses_a_timer(engine):
    engine.deploy(engine.load(RACE, "race.bpmn"))
    records = []
    engine.on_record(records.append)
    assert engine.clock is None
    with engine.start(variables={"flightId": "LH-1"}) as inst:
        with pytest.raises(baton.StateError, match="clock") as info:
            inst.run()
        assert info.value.code == -7 and \
            info.value.status_name == "BATON_ESTATE"
        # The step that would start the timer changed nothing: no timer,
        # no subscription, nothing past the gateway's activation.
        assert not events(records, "TIMER", "MESSAGE_SUBSCRIPTION",
                          "PROCESS_MESSAGE_SUBSCRIPTION")
        assert inst.subscriptions == [] and inst.next_due is None
        assert inst.state == "active"
        # With a clock the same instance goes on.
        engine.set_clock(baton.ManualClock(T0))
        assert inst.run() == "waiting"
        assert [s.kind for s in inst.subscriptions] == ["message", "timer"]


# ---------------------------------------------------- event-based gateway

def test_race_message_first(race, clock):
    engine, records = race
    with engine.start(variables={"flightId": "LH-123"}) as inst:
        assert inst.run() == "waiting"
        assert inst.next_due == clock.now + timedelta(minutes=15)

        subs = inst.subscriptions
        assert len(subs) == 2
        message, timer = subs
        assert isinstance(message, baton.Subscription)
        assert message.kind == "message"
        assert message.element_id == "confirmed"
        assert message.name == "flight-confirmed"
        assert message.correlation_key == "LH-123"
        assert message.due is None
        assert timer.kind == "timer" and timer.element_id == "timeout"
        assert timer.name is None and timer.correlation_key is None
        assert timer.due == T0 + timedelta(minutes=15)
        assert timer.due.tzinfo is not None
        assert message.key != timer.key
        # both belong to the gateway's element instance
        assert message.element_instance_key == timer.element_instance_key

        timer_created = [r for r in records if r["valueType"] == "TIMER"]
        assert [r["intent"] for r in timer_created] == ["CREATED"]
        assert timer_created[0]["value"]["dueDate"] == \
            T0_MS + 15 * 60 * 1000

        # A wrong key or name matches nothing.
        assert inst.correlate_message("flight-confirmed", "LH-999") is False
        assert inst.correlate_message("other", "LH-123") is False
        assert len(inst.subscriptions) == 2

        assert inst.correlate_message("flight-confirmed", "LH-123",
                                      {"seat": "12A"}) is True
        assert inst.run() == "completed"
        assert inst.variables == {"flightId": "LH-123", "seat": "12A"}
        assert inst.subscriptions == [] and inst.next_due is None

    done = completed(records)
    assert "confirmed" in done and "endConfirmed" in done
    assert "timeout" not in done and "endTimeout" not in done
    assert ("MESSAGE_SUBSCRIPTION", "CORRELATED") in events(
        records, "MESSAGE_SUBSCRIPTION")
    assert events(records, "TIMER") == [("TIMER", "CREATED"),
                                        ("TIMER", "CANCELED")]


def test_race_timer_first(race, clock):
    engine, records = race
    with engine.start(variables={"flightId": "LH-123"}) as inst:
        assert inst.run() == "waiting"
        due = inst.next_due
        assert due == T0 + timedelta(minutes=15)

        # One millisecond early: nothing fires.
        clock.set(due - timedelta(milliseconds=1))
        count = len(records)
        assert inst.run() == "waiting"
        assert len(records) == count and inst.next_due == due

        clock.set(due + timedelta(seconds=30))
        assert inst.run() == "completed"
        assert inst.subscriptions == [] and inst.next_due is None
        with pytest.raises(baton.StateError, match="ended"):
            inst.correlate_message("flight-confirmed", "LH-123")

    done = completed(records)
    assert "timeout" in done and "endTimeout" in done
    assert "confirmed" not in done and "endConfirmed" not in done
    assert events(records, "TIMER") == [("TIMER", "CREATED"),
                                        ("TIMER", "TRIGGERED")]
    assert ("PROCESS_MESSAGE_SUBSCRIPTION", "DELETED") in events(
        records, "PROCESS_MESSAGE_SUBSCRIPTION")


def test_unmatched_events_change_nothing(race):
    engine, records = race
    with engine.start(variables={"flightId": "LH-123"}) as inst:
        inst.run()
        revision, count = inst.revision, len(records)
        assert inst.correlate_message("flight-confirmed", "LH-999") is False
        assert inst.signal("alarm") == 0
        assert inst.run() == "waiting"
        assert len(records) == count
        assert inst.revision == revision


def test_correlation_key_as_int(engine, clock):
    engine.set_clock(clock)
    engine.deploy(engine.load(RACE, "race.bpmn"))
    with engine.start(variables={"flightId": 42}) as inst:
        inst.run()
        assert inst.subscriptions[0].correlation_key == "42"
        assert inst.correlate_message("flight-confirmed", 42) is True
        assert inst.run() == "completed"


def test_timer_survives_a_snapshot(race, clock):
    engine, records = race
    with engine.start(variables={"flightId": "LH-7"}) as inst:
        inst.run()
        data = inst.snapshot()
        subs = inst.subscriptions
    with baton.Engine() as other:
        later = baton.ManualClock(T0)
        other.set_clock(later)
        other.deploy(other.load(RACE, "race.bpmn"))
        restored = other.restore(data)
        assert restored.subscriptions == subs
        assert restored.next_due == T0 + timedelta(minutes=15)
        later.advance(timedelta(minutes=15))
        assert restored.run() == "completed"


# -------------------------------------------------------------- backoff

def test_job_backoff_in_handler(one_task, clock):
    engine = one_task
    engine.set_clock(clock)
    records = []
    engine.on_record(records.append)
    calls = []

    @engine.handler("work")
    def work(job):
        calls.append((clock.now, job.retries))
        if len(calls) == 1:
            job.fail("busy", backoff=timedelta(minutes=5))
            return None
        return {"done": True}

    with engine.start() as inst:
        assert inst.run() == "waiting"
        assert calls == [(T0, 2)]
        assert inst.next_due == T0 + timedelta(minutes=5)
        assert inst.jobs == []      # not handed out during the backoff

        clock.advance(timedelta(minutes=4, seconds=59))
        assert inst.run() == "waiting"
        assert len(calls) == 1
        assert inst.next_due == T0 + timedelta(minutes=5)

        clock.advance(timedelta(seconds=1))
        assert inst.run() == "completed"
        assert calls == [(T0, 2), (T0 + timedelta(minutes=5), 1)]
        assert inst.variables == {"done": True}
        assert inst.next_due is None

    jobs = [(r["intent"], r["value"]["retries"]) for r in records
            if r["valueType"] == "JOB"]
    assert jobs == [("CREATED", 2), ("FAILED", 1),
                    ("RECURRED_AFTER_BACKOFF", 1), ("COMPLETED", 1)]
    failed = [r for r in records if r["intent"] == "FAILED"][0]
    assert failed["value"]["errorMessage"] == "busy"


def test_job_backoff_by_key(one_task, clock):
    engine = one_task
    engine.set_clock(clock)
    with engine.start() as inst:
        inst.run()                  # no handler: the job waits
        (job,) = inst.jobs
        inst.fail_job(job.key, "later", backoff=90000)    # int milliseconds
        inst.run()
        assert inst.jobs == []
        assert inst.next_due == T0 + timedelta(seconds=90)
        clock.advance(timedelta(seconds=90))
        inst.run()
        (again,) = inst.jobs
        assert again.key == job.key and again.retries == 1

        # Job.fail outside its handler goes through the instance.
        again.fail("once more", retries=1, backoff=timedelta(hours=1))
        inst.run()
        assert inst.jobs == []
        assert inst.next_due == clock.now + timedelta(hours=1)


def test_job_backoff_survives_a_snapshot(one_task, clock):
    one_task.set_clock(clock)
    with one_task.start() as inst:
        inst.run()
        (job,) = inst.jobs
        inst.fail_job(job.key, "later", retries=1,
                      backoff=timedelta(minutes=5))
        data = inst.snapshot()
    with one_task.restore(data) as restored:
        assert restored.jobs == []
        assert restored.next_due == T0 + timedelta(minutes=5)
        clock.advance(timedelta(minutes=5))
        restored.run()
        assert [j.key for j in restored.jobs] == [job.key]


def test_job_backoff_needs_a_clock(one_task):
    with one_task.start() as inst:
        inst.run()
        (job,) = inst.jobs
        with pytest.raises(baton.StateError, match="clock"):
            inst.fail_job(job.key, "later", backoff=timedelta(minutes=5))
        assert [j.key for j in inst.jobs] == [job.key]
        assert inst.jobs[0].retries == 2
        # No backoff (None or 0) needs no clock.
        inst.fail_job(job.key, "now", backoff=timedelta(0))
        assert inst.jobs[0].retries == 1


def test_handler_backoff_without_a_clock(one_task, clock):
    records = []
    one_task.on_record(records.append)
    seen = []

    @one_task.handler("work")
    def work(job):
        seen.append(job.retries)
        if len(seen) == 3:
            return {"done": True}
        job.fail("busy", backoff=timedelta(minutes=5))

    with one_task.start() as inst:
        # The step whose job fails with a backoff needs the time: run()
        # raises StateError and that step is undone (the job is ready
        # again, its handler is called again by the next run).
        for _ in range(2):
            with pytest.raises(baton.StateError, match="clock"):
                inst.run()
            assert inst.state == "active"
            assert [j.retries for j in inst.jobs] == [2]
            assert not [r for r in records if r["intent"] == "FAILED"]
        assert seen == [2, 2]
        one_task.set_clock(clock)
        assert inst.run() == "completed"
        assert seen == [2, 2, 2]


def test_backoff_arguments(one_task, clock):
    one_task.set_clock(clock)
    with one_task.start() as inst:
        inst.run()
        (job,) = inst.jobs
        with pytest.raises(ValueError, match="negative"):
            inst.fail_job(job.key, backoff=timedelta(seconds=-1))
        with pytest.raises(TypeError, match="timedelta"):
            inst.fail_job(job.key, backoff=1.5)
        with pytest.raises(TypeError):
            inst.fail_job(job.key, backoff=True)
        assert inst.jobs[0].retries == 2


# ---------------------------------------------------------- start events

def test_start_events(engine):
    model = engine.load(STARTS, "starts.bpmn")
    assert model.start_events() == model.start_events("starts") == [
        ("hourly", "timer", None),
        ("byOrder", "message", "order-placed"),
        ("byAlarm", "signal", "alarm"),
        ("once", "timer", None),
        ("plain", "none", None),
    ]
    first = model.start_events()[0]
    assert isinstance(first, baton.StartEvent)
    assert first.id == "hourly" and first.kind == "timer"
    assert set(baton.START_KINDS) == {"none", "timer", "message", "signal"}
    with pytest.raises(baton.NotFoundError):
        model.start_events("nope")


def test_start_next_due(engine):
    model = engine.load(STARTS, "starts.bpmn")
    hour = timedelta(hours=1)
    # R3/PT1H: three firings, an hour after the previous one.
    assert model.next_due(None, "hourly", T0, 0) == T0 + hour
    assert model.next_due(None, "hourly", T0 + hour, 1) == T0 + 2 * hour
    assert model.next_due(None, 0, T0 + 2 * hour, 2) == T0 + 3 * hour
    assert model.next_due(None, "hourly", T0 + 3 * hour, 3) is None
    # a date fires once
    once = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    assert model.next_due("starts", "once", T0) == once
    assert model.next_due("starts", 3, once, 1) is None
    # int milliseconds for `since`
    assert model.next_due(None, "hourly", T0_MS, 0) == T0 + hour

    with pytest.raises(baton.InvalidArgumentError, match="message"):
        model.next_due(None, "byOrder", T0)
    with pytest.raises(baton.NotFoundError):
        model.next_due(None, "missing", T0)
    with pytest.raises(IndexError):
        model.next_due(None, 9, T0)
    with pytest.raises(TypeError, match="naive"):
        model.next_due(None, "hourly", datetime(2024, 5, 1, 12, 0))
    with pytest.raises(ValueError):
        model.next_due(None, "hourly", T0, -1)


def test_start_next_due_expression(engine):
    # A start event's timer expression that needs variables is refused at
    # load: the host schedules it before any instance exists.
    with pytest.raises(baton.ExpressionError) as info:
        engine.load(EXPR_START, "expr.bpmn")
    assert info.value.element_id == "later"


def test_start_at_message_start_then_signal(engine, clock):
    engine.set_clock(clock)
    engine.deploy(engine.load(STARTS, "starts.bpmn"))
    records = []
    engine.on_record(records.append)
    with engine.start(start="byOrder", variables={"order": 7}) as inst:
        assert inst.run() == "waiting"
        assert completed(records)[:1] == ["byOrder"]
        (sub,) = inst.subscriptions
        assert (sub.kind, sub.name, sub.element_id) == ("signal", "alarm",
                                                        "wait")
        assert inst.next_due is None

        assert inst.signal("nothing-waits-for-this") == 0
        assert inst.signal("alarm", {"level": 3}) == 1
        assert inst.run() == "completed"
        assert inst.variables == {"order": 7, "level": 3}
    assert completed(records)[-2:] == ["end", "starts"]
    assert events(records, "SIGNAL_SUBSCRIPTION") == [
        ("SIGNAL_SUBSCRIPTION", "CREATED"),
        ("SIGNAL_SUBSCRIPTION", "DELETED")]


def test_start_at_unknown_event(engine):
    engine.deploy(engine.load(STARTS, "starts.bpmn"))
    with pytest.raises(baton.NotFoundError, match="wait"):
        engine.start(start="wait")
    with engine.start(start="hourly") as inst:
        assert inst.run() == "waiting"
    with baton.Instance.create(engine, "starts", start="plain") as inst:
        assert inst.run() == "waiting"


# ----------------------------------------- the shared model, with handlers

@pytest.mark.parametrize("answer", ["callback", "timeout"])
def test_flight_timeout_model(engine, clock, answer):
    path = os.path.join(MODELS, "events-flight-timeout.bpmn")
    if not os.path.exists(path):
        pytest.skip("tests/models/events-flight-timeout.bpmn is absent")
    engine.set_clock(clock)
    model = engine.load_file(path)
    engine.deploy(model)
    records = []
    engine.on_record(records.append)
    calls = []

    @engine.handler("book-flight")
    def book(job):
        calls.append(job.type)
        return {"bookingId": "BK-1"}

    @engine.handler("confirm-trip")
    def confirm(job):
        calls.append(job.type)
        return {"confirmed": job.variables.get("flightNumber")}

    @engine.handler("cancel-flight")
    def cancel(job):
        calls.append(job.type)
        return {"cancelled": True}

    with engine.start() as inst:
        assert inst.run() == "waiting"
        kinds = {s.kind: s for s in inst.subscriptions}
        assert kinds["message"].correlation_key == "BK-1"
        assert kinds["timer"].due == T0 + timedelta(hours=2)
        assert inst.next_due == T0 + timedelta(hours=2)
        if answer == "callback":
            assert inst.correlate_message(kinds["message"].name, "BK-1",
                                          {"flightNumber": "LH-400"})
        else:
            clock.advance(timedelta(hours=2))
        assert inst.run() == "completed"
        variables = inst.variables

    if answer == "callback":
        assert calls == ["book-flight", "confirm-trip"]
        assert variables["confirmed"] == "LH-400"
        assert "TripConfirmed" in completed(records)
    else:
        assert calls == ["book-flight", "cancel-flight"]
        assert variables["cancelled"] is True
        assert "TripCancelled" in completed(records)
