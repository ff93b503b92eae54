"""The durable host from Python: baton.Store and baton.Worker.

Every test that touches a store runs on SQLite (a file in tmp_path) and on
PostgreSQL when BATON_TEST_PG is set (tests/pg/with_pg.sh sets it; `meson
test python-host` runs this file under it), each PostgreSQL test in a
fresh schema of its own, made and dropped with the psql program.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta

import pytest

import baton
from conftest import (BINDING, ONE_TASK, SAGA_MODEL, SOURCE_ROOT, TWO_TASKS,
                      child_env)

SAGA = "TripBookingSaga"
MODELS = os.environ.get("BATON_MODELS") or os.path.join(SOURCE_ROOT,
                                                        "tests", "models")
DURABLE_EXAMPLE = os.path.join(SOURCE_ROOT, "examples", "python",
                               "durable_trip.py")
BOOKINGS = {"ReserveCar": "carReservation", "BookHotel": "hotelBooking",
            "BookFlight": "flightBooking"}
HAPPY = ["ReserveCar", "BookHotel", "BookFlight"]
FAILING = ["ReserveCar", "BookHotel", "BookFlight", "CancelHotel",
           "CancelCar"]


# ---------------------------------------------------------------- stores

def psql(base, sql):
    if shutil.which("psql") is None:
        pytest.skip("BATON_TEST_PG is set but there is no psql program")
    r = subprocess.run(["psql", base, "-v", "ON_ERROR_STOP=1", "-q", "-c",
                        sql], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout


@pytest.fixture(params=["sqlite", "postgresql"])
def uri(request, tmp_path):
    if request.param == "sqlite":
        yield "sqlite:" + str(tmp_path / "baton.db")
        return
    base = os.environ.get("BATON_TEST_PG")
    if not base:
        pytest.skip("BATON_TEST_PG is not set (tests/pg/with_pg.sh sets it)")
    schema = "s_" + uuid.uuid4().hex[:16]
    psql(base, "CREATE SCHEMA %s" % schema)
    try:
        yield (base + ("&" if "?" in base else "?")
               + "options=-csearch_path%3D" + schema)
    finally:
        psql(base, "DROP SCHEMA %s CASCADE" % schema)


@pytest.fixture
def store(uri):
    with baton.Store(uri) as s:
        yield s


@pytest.fixture
def saga(store):
    store.deploy(SAGA_MODEL)
    return store


def completed_tasks(store, key):
    """Element ids of the service tasks the instance completed, in order."""
    done = []
    for entry in store.instance(key)["history"]:
        record = entry["record"]
        value = record["value"]
        if (record["intent"] == "ELEMENT_COMPLETED"
                and value.get("bpmnElementType") == "SERVICE_TASK"):
            done.append(value["elementId"])
    return done


def state_of(store, key):
    return store.instance(key, history=False)["state"]


class Calls(object):
    """Task calls recorded from the handler threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_instance = {}
        self.running = 0
        self.max_running = 0

    def add(self, job):
        with self.lock:
            self.by_instance.setdefault(job.process_instance_key,
                                        []).append(job.type)

    def enter(self):
        with self.lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)

    def leave(self):
        with self.lock:
            self.running -= 1


def saga_worker(uri, calls, concurrency=4):
    """A worker with the six saga tasks, pyzeebe's way: the tasks name the
    variables they use; BookFlight throws when bookFlightFailure is set."""
    worker = baton.Worker(uri, concurrency=concurrency)

    def booking(var):
        def book(job, tripId, bookFlightFailure=False):
            calls.add(job)
            if job.type == "BookFlight" and bookFlightFailure:
                raise baton.BpmnError("FLIGHT_BOOKING_FAILED",
                                      "no seats for %s" % tripId)
            return {var: "%s-%s" % (job.type, tripId)}
        return book

    for task, var in BOOKINGS.items():
        worker.register_task(task, booking(var))

    @worker.task("CancelCar")
    def cancel_car(job, carReservation, **rest):
        calls.add(job)
        assert "tripId" in rest      # **kwargs takes every variable
        return {"carCancelled": carReservation}

    @worker.task("CancelHotel")
    def cancel_hotel(job, hotelBooking):
        calls.add(job)
        return {"hotelCancelled": hotelBooking}

    @worker.task("CancelFlight")
    def cancel_flight(job):
        calls.add(job)

    return worker


# --------------------------------------------------------- deploy, start

def test_deploy_start_and_read(store):
    assert store.kind in ("sqlite", "postgresql")
    assert store.schema_version == baton.host_schema_version() >= 1
    assert store.deploy(SAGA_MODEL) == [
        {"processId": SAGA, "version": 1, "new": True}]
    # The same model again is the same version; from text too.
    with open(SAGA_MODEL, "rb") as f:
        xml = f.read()
    assert store.deploy(xml)[0]["new"] is False
    assert store.deploy(xml.decode("utf-8"), name="saga.bpmn") == [
        {"processId": SAGA, "version": 1, "new": False}]
    (dep,) = store.deployments()
    assert dep["processId"] == SAGA and dep["version"] == 1
    assert dep["instances"] == {}

    keys = [store.start(SAGA, {"tripId": "T-%d" % i}, business_key="b-%d" % i)
            for i in range(5)]
    assert len(set(keys)) == 5 and all(k >> 32 for k in keys)
    listed = store.instances()
    assert [i["key"] for i in listed] == keys[::-1]       # newest first
    assert listed[0]["businessKey"] == "b-4"
    assert listed[0]["state"] == "WAITING"
    assert [i["key"] for i in store.instances(state="waiting", limit=2)] \
        == [keys[4], keys[3]]
    assert [i["key"] for i in store.instances(process_id=SAGA,
                                              before=keys[3])] \
        == [keys[2], keys[1], keys[0]]
    assert store.instances(state="COMPLETED") == []
    assert store.instances(process_id="nope") == []
    assert store.deployments()[0]["instances"] == {"WAITING": 5}

    doc = store.instance(keys[0])
    assert doc["key"] == keys[0] and doc["processId"] == SAGA
    assert doc["variables"] == {"tripId": "T-0"}
    assert [j["type"] for j in doc["jobs"]] == ["ReserveCar"]
    assert doc["incidents"] == [] and doc["history"]
    assert "history" not in store.instance(keys[0], history=False)


def test_cancel_set_variables_update_retries(saga):
    a = saga.start(SAGA)
    b = saga.start(SAGA)
    saga.cancel(a)
    assert state_of(saga, a) == "TERMINATED"
    with pytest.raises(baton.StateError) as e:
        saga.cancel(a)
    assert "already ended" in str(e.value)
    with pytest.raises(baton.NotFoundError):
        saga.cancel(a + (1 << 40))
    saga.set_variables(b, {"note": "window seat", "n": 2})
    assert saga.instance(b)["variables"] == {"note": "window seat", "n": 2}
    (job,) = saga.instance(b)["jobs"]
    saga.update_retries(job["key"], 7)
    assert saga.instance(b)["jobs"][0]["retries"] == 7
    assert saga.tick() == 0
    assert saga.signal("nobody-listens", {"x": 1}) == 0


def test_publish_with_time_to_live(store):
    store.deploy(os.path.join(MODELS, "events-flight-receive.bpmn"))
    out = store.publish("airline-callback", "B-1", {"seat": "12A"},
                        ttl=timedelta(minutes=1), message_id="cb-1")
    assert out["correlated"] == [] and out["started"] == []
    assert out["messageKey"]
    with pytest.raises(baton.ConflictError) as e:
        store.publish("airline-callback", "B-1", ttl=60, message_id="cb-1")
    assert e.value.code == -101
    a = store.start("FlightReceive", {"bookingId": "B-1"})
    b = store.start("FlightReceive", {"bookingId": "B-2"})
    for _ in range(2):
        (job,) = store.activate_jobs("book-flight", "py")
        store.complete_job(job["key"])
    # a took the kept message when its receive task opened.
    (job,) = store.activate_jobs("confirm-trip", "py")
    assert job["processInstanceKey"] == a
    assert job["variables"]["seat"] == "12A"
    out = store.publish("airline-callback", "B-2")
    assert out["correlated"] == [b]


# ------------------------------------------------------- external jobs

def test_saga_by_external_jobs(saga):
    key = saga.start(SAGA, {"tripId": "T-1"})
    (job,) = saga.activate_jobs("ReserveCar", "py-worker", max=5, lock=30)
    assert job["type"] == "ReserveCar" and job["elementId"] == "ReserveCar"
    assert job["processInstanceKey"] == key and job["processId"] == SAGA
    assert job["variables"] == {"tripId": "T-1"}
    assert job["key"] >> 32 == key >> 32
    # Locked: nobody else gets it.
    assert saga.activate_jobs("ReserveCar", "other") == []
    saga.complete_job(job["key"], {"carReservation": "CAR-7"})
    with pytest.raises(baton.NotFoundError) as e:
        saga.complete_job(job["key"])
    assert "is not waiting" in str(e.value)
    (job,) = saga.activate_jobs("BookHotel", "py-worker")
    saga.complete_job(job["key"], {"hotelBooking": "HOTEL-7"})
    (job,) = saga.activate_jobs("BookFlight", "py-worker")
    saga.throw_error(job["key"], "FLIGHT_BOOKING_FAILED", "no seats",
                     {"reason": "full"})
    (c1,) = saga.activate_jobs("CancelHotel", "py-worker")
    assert c1["variables"]["hotelBooking"] == "HOTEL-7"
    assert saga.activate_jobs("CancelCar", "py-worker") == []
    saga.complete_job(c1["key"])
    (c2,) = saga.activate_jobs("CancelCar", "py-worker")
    saga.complete_job(c2["key"])
    assert state_of(saga, key) == "COMPLETED"
    assert completed_tasks(saga, key) == ["ReserveCar", "BookHotel",
                                          "CancelHotel", "CancelCar"]
    variables = saga.instance(key)["variables"]
    assert variables["carReservation"] == "CAR-7"
    assert variables["reason"] == "full"


# ------------------------------------------------------------- migration

SAGA_V2 = os.path.join(MODELS, "trip-booking-saga-v2.bpmn")
RENAME_HOTEL = {"mappings": [{"sourceElementId": "BookHotel",
                              "targetElementId": "ReserveHotel"}]}


def job_at(store, key):
    (job,) = store.instance(key, history=False)["jobs"]
    return job


def test_migrate_waiting_sagas_to_version_2(saga):
    a = saga.start(SAGA, {"tripId": "T-1"})
    b = saga.start(SAGA, {"tripId": "T-2"})
    saga.complete_job(job_at(saga, a)["key"])
    assert job_at(saga, a)["elementId"] == "BookHotel"
    assert saga.deploy(SAGA_V2)[0]["version"] == 2

    # Version 2 has no BookHotel: refused without the plan, with reasons.
    with pytest.raises(baton.MigrationError) as e:
        saga.migrate(a, SAGA, 2)
    assert "BookHotel" in str(e.value)
    assert e.value.reasons == [("BookHotel",
                                "active element 'BookHotel' has no target")]
    assert saga.instance(a)["version"] == 1
    report = saga.migrate(a, SAGA, 2, RENAME_HOTEL, dry_run=True)
    assert report["to"] == {"processId": SAGA, "version": 2}
    assert [(m["sourceElementId"], m["targetElementId"])
            for m in report["moved"]
            if m["sourceElementId"] == "BookHotel"] == \
        [("BookHotel", "ReserveHotel")]
    assert saga.instance(a)["version"] == 1

    # The batch: a (at BookHotel) and b (at ReserveCar) both move, the
    # plan given as JSON text.
    done = saga.migrate_all(SAGA, 1, 2, json.dumps(RENAME_HOTEL))
    assert sorted(done["migrated"]) == sorted([a, b])
    assert done["refused"] == []
    assert saga.instance(a)["version"] == 2
    assert saga.instance(a)["variables"] == {"tripId": "T-1"}
    for element in ["ReserveHotel", "BookFlight", "ConfirmTrip"]:
        job = job_at(saga, a)
        assert job["elementId"] == element
        saga.complete_job(job["key"])
    assert state_of(saga, a) == "COMPLETED"
    assert any(entry["record"]["intent"] == "MIGRATED"
               for entry in saga.instance(a)["history"])


def test_migrate_bad_arguments(saga):
    key = saga.start(SAGA)
    saga.deploy(SAGA_V2)
    with pytest.raises(baton.NotFoundError):
        saga.migrate(key, SAGA, 5)
    with pytest.raises(baton.ParseError):
        saga.migrate(key, SAGA, 2, "[1]")
    with pytest.raises(TypeError):
        saga.migrate(key, SAGA, 2, plan=["BookHotel"])
    with pytest.raises(ValueError):
        saga.migrate_all(SAGA, 0, 2)
    assert saga.instance(key)["version"] == 1


def test_fail_job_incident_resolve_by_key(saga):
    key = saga.start(SAGA)
    (job,) = saga.activate_jobs("ReserveCar", "py")
    # A retry after a backoff is not activated before it is due.
    saga.fail_job(job["key"], 2, "busy", backoff=timedelta(hours=1))
    assert saga.activate_jobs("ReserveCar", "py") == []
    saga.update_retries(job["key"], 1)
    key2 = saga.start(SAGA)
    (job2,) = saga.activate_jobs("ReserveCar", "py")
    assert job2["processInstanceKey"] == key2
    saga.fail_job(job2["key"], 0, "car service down")
    assert state_of(saga, key2) == "INCIDENT"
    (incident,) = saga.incidents()
    assert incident["type"] == "JOB_NO_RETRIES"
    assert incident["instanceKey"] == key2
    assert "car service down" in incident["message"]
    assert saga.instances(state="INCIDENT")[0]["incidents"] == 1
    saga.resolve(incident["key"])
    with pytest.raises(baton.NotFoundError):
        saga.resolve(incident["key"])
    (job2,) = saga.activate_jobs("ReserveCar", "py")
    saga.complete_job(job2["key"])
    assert saga.incidents() == []
    assert state_of(saga, key) == "WAITING"


def test_worker_completes_a_saga_of_the_store_api(uri, saga):
    """Instances started through the Store (as the CLI would), one job
    completed from Python by hand, the rest by a Worker."""
    key = saga.start(SAGA, {"tripId": "T-9"})
    (job,) = saga.activate_jobs("ReserveCar", "py")
    saga.complete_job(job["key"], {"carReservation": "CAR-BY-HAND"})
    calls = Calls()
    with saga_worker(uri, calls) as worker:
        assert worker.work(until_idle=True) == 2
    assert calls.by_instance == {key: ["BookHotel", "BookFlight"]}
    assert state_of(saga, key) == "COMPLETED"
    assert saga.instance(key)["variables"]["carReservation"] == "CAR-BY-HAND"


# ---------------------------------------------------------------- worker

def test_saga_worker_both_paths(uri, saga):
    keys = {}
    for i in range(8):
        fails = i % 2 == 1
        keys[saga.start(SAGA, {"tripId": "T-%d" % i,
                               "bookFlightFailure": fails})] = fails
    calls = Calls()
    with saga_worker(uri, calls, concurrency=4) as worker:
        assert worker.concurrency == 4
        assert sorted(worker.tasks) == sorted(list(BOOKINGS) + [
            "CancelCar", "CancelHotel", "CancelFlight"])
        handled = worker.work(until_idle=True)
    assert handled == sum(5 if f else 3 for f in keys.values())
    for key, fails in keys.items():
        assert calls.by_instance[key] == (FAILING if fails else HAPPY)
        assert state_of(saga, key) == "COMPLETED"
        trip = saga.instance(key)["variables"]
        tid = trip["tripId"]
        # The returned dicts were merged.
        assert trip["carReservation"] == "ReserveCar-" + tid
        assert trip["hotelBooking"] == "BookHotel-" + tid
        if fails:
            assert completed_tasks(saga, key) == [
                "ReserveCar", "BookHotel", "CancelHotel", "CancelCar"]
            assert trip["hotelCancelled"] == "BookHotel-" + tid
            assert trip["carCancelled"] == "ReserveCar-" + tid
            assert "flightBooking" not in trip
        else:
            assert completed_tasks(saga, key) == HAPPY
            assert trip["flightBooking"] == "BookFlight-" + tid
    assert saga.instances(state="COMPLETED", limit=100).__len__() == 8


def test_worker_job_and_kwargs(uri, store):
    store.deploy(ONE_TASK)
    key = store.start("one", {"a": 1, "b": [1, 2], "job": "shadowed"})
    seen = {}
    with baton.Worker(uri) as worker:
        @worker.task("work")
        def work(a, job, c="default"):
            seen.update(a=a, c=c, job=job)
            return {"sum": a + 1}
        assert worker.work(until_idle=True) == 1
    job = seen["job"]
    assert isinstance(job, baton.WorkerJob)
    assert seen["a"] == 1 and seen["c"] == "default"
    assert job.type == "work" and job.element_id == "task"
    assert job.process_instance_key == key and job.key >> 32 == key >> 32
    assert job.process_id == "one" and job.retries == 2
    assert job.headers == {"region": "eu-west-1"}
    assert job.variables == {"a": 1, "b": [1, 2], "job": "shadowed"}
    assert store.instance(key)["variables"]["sum"] == 2
    assert state_of(store, key) == "COMPLETED"


def test_failing_task_raises_an_incident_then_resolve(uri, store):
    store.deploy(ONE_TASK)      # retries="2"
    key = store.start("one", {"n": 0})
    attempts = []
    with baton.Worker(uri, concurrency=2) as worker:
        @worker.task("work")
        def work(job):
            attempts.append(job.retries)
            raise RuntimeError("the car service is down")
        worker.work(until_idle=True)
        assert attempts == [2, 1]
        assert state_of(store, key) == "INCIDENT"
        (incident,) = store.incidents()
        assert incident["type"] == "JOB_NO_RETRIES"
        assert incident["message"].endswith("the car service is down")
        assert incident["elementId"] == "task"

        @worker.task("work")
        def works_now(n):
            attempts.append("ok")
            return {"n": n + 1}
        store.resolve(incident["key"])
        assert worker.work(until_idle=True) == 1
    assert attempts == [2, 1, "ok"]
    assert state_of(store, key) == "COMPLETED"
    assert store.instance(key)["variables"] == {"n": 1}
    assert store.incidents() == []


def test_retry_backoff_and_bad_results(uri, store):
    store.deploy(ONE_TASK)
    store.deploy(TWO_TASKS)
    a = store.start("one")
    b = store.start("two", {"x": 1})
    with baton.Worker(uri) as worker:
        @worker.task("work", retry_backoff=timedelta(hours=1))
        def work():
            raise ValueError()

        @worker.task("first")
        def first(missing_variable):
            return {"never": True}

        worker.work(until_idle=True)
    # Failed once (an empty message: the exception's type); its retry
    # waits for the backoff: the instance wakes up in an hour.
    doc = store.instance(a)
    assert doc["state"] == "WAITING" and doc["jobs"] == []
    assert doc["wakeAt"] >= doc["updated"] + 3600 * 1000 - 1000
    failed = [e["record"]["value"] for e in doc["history"]
              if e["record"]["valueType"] == "JOB"
              and e["record"]["intent"] == "FAILED"]
    assert [(v["retries"], v["errorMessage"]) for v in failed] == [
        (1, "ValueError")]
    assert store.activate_jobs("work", "py") == []
    # A required parameter with no variable: a TypeError fails the job
    # with its message, down to an incident.
    (incident,) = store.instance(b)["incidents"]
    assert "missing_variable" in incident["message"]

    # A result that is not a dict, or not JSON: the job fails with the
    # TypeError or ValueError, each time, down to an incident.
    c = store.start("one")
    with baton.Worker(uri) as worker:
        worker.register_task("work", lambda: ["not", "a", "dict"])
        assert worker.work(until_idle=True) == 2
    (incident,) = store.instance(c)["incidents"]
    assert "returned list; return a dict or None" in incident["message"]
    d = store.start("one")
    with baton.Worker(uri) as worker:
        worker.register_task("work", lambda: {"bad": float("nan")})
        assert worker.work(until_idle=True) == 2
    (incident,) = store.instance(d)["incidents"]
    assert "not JSON compliant" in incident["message"]


def test_io_bound_tasks_overlap(uri, store):
    store.deploy(ONE_TASK)
    keys = [store.start("one", {"i": i}) for i in range(8)]
    calls = Calls()
    with baton.Worker(uri, concurrency=8) as worker:
        @worker.task("work")
        def work(i):
            calls.enter()
            try:
                time.sleep(0.2)
            finally:
                calls.leave()
            return {"done": i}
        assert worker.work(until_idle=True) == 8
    # Not a timing assertion: at least two ran at the same time.
    assert calls.max_running >= 2
    for i, key in enumerate(keys):
        assert state_of(store, key) == "COMPLETED"
        assert store.instance(key)["variables"]["done"] == i


def test_async_tasks(uri, store):
    store.deploy(ONE_TASK)
    keys = [store.start("one", {"i": i}) for i in range(4)]
    calls = Calls()
    with baton.Worker(uri, concurrency=4) as worker:
        @worker.task("work")
        async def work(i):
            calls.enter()
            try:
                await asyncio.sleep(0.1)
            finally:
                calls.leave()
            if i == 3:
                raise baton.BpmnError("NOPE", "no")
            return {"double": 2 * i}
        worker.work(until_idle=True)
    assert calls.max_running >= 2
    for i, key in enumerate(keys[:3]):
        assert store.instance(key)["variables"]["double"] == 2 * i
        assert state_of(store, key) == "COMPLETED"
    # An uncaught BPMN error: an incident.
    (incident,) = store.instance(keys[3])["incidents"]
    assert incident["type"] == "UNHANDLED_ERROR_EVENT"


def test_stop_from_a_task_and_from_another_thread(uri, store):
    store.deploy(ONE_TASK)
    first = store.start("one")
    with baton.Worker(uri) as worker:
        seen = []

        @worker.task("work")
        def work(job):
            try:
                # The worker's own store belongs to the running worker.
                worker.store.start("one")
            except Exception as e:
                seen.append(type(e))
            finally:
                worker.stop()
        assert worker.work() == 1
        assert not worker.running
        assert seen == [baton.StateError]
    assert state_of(store, first) == "COMPLETED"

    # A worker without until_idle waits for work until stopped.
    with baton.Worker(uri, concurrency=2) as worker:
        ran = threading.Event()

        @worker.task("work")
        def work2():
            ran.set()
        result = {}
        t = threading.Thread(target=lambda: result.update(
            n=worker.work()))
        t.start()
        try:
            deadline = time.time() + 5
            while not worker.running and time.time() < deadline:
                time.sleep(0.01)
            with pytest.raises(baton.StateError):
                worker.work()
            with pytest.raises(baton.StateError):
                worker.close()
            key = store.start("one")    # another connection: allowed
            assert ran.wait(30)
        finally:
            worker.stop()
            t.join(30)
        assert not t.is_alive()
        assert result["n"] == 1
    assert state_of(store, key) == "COMPLETED"

    # stop() before work() began does not stop a later work().
    with baton.Worker(uri) as worker:
        worker.stop()
        assert worker.work(until_idle=True) == 0


def test_system_exit_in_a_task_stops_the_worker(uri, store):
    store.deploy(ONE_TASK)
    key = store.start("one")
    with baton.Worker(uri) as worker:
        @worker.task("work")
        def work():
            sys.exit(3)
        with pytest.raises(SystemExit):
            worker.work()
    # The job kept its retries, to run again.
    (job,) = store.instance(key)["jobs"]
    assert job["retries"] == 2


# ---------------------------------------------------------------- errors

def test_bad_uri(tmp_path):
    with pytest.raises(baton.InvalidArgumentError) as e:
        baton.Store("mysql://u:secret@x/db")
    assert isinstance(e.value, ValueError)
    assert "unknown store 'mysql'" in str(e.value)
    assert "secret" not in str(e.value)
    assert e.value.status_name == "BATON_EINVAL"
    with pytest.raises(baton.StoreError) as e:
        baton.Store("sqlite:" + str(tmp_path / "no" / "such" / "x.db"))
    assert "cannot open the store" in str(e.value)
    assert e.value.code == -100 and e.value.status_name == "BATON_HOST_ESTORE"
    with pytest.raises(baton.Error):
        baton.Worker("nope:whatever")
    with pytest.raises(TypeError):
        baton.Store(42)


def test_not_a_baton_store(tmp_path):
    import sqlite3
    path = tmp_path / "other.db"
    db = sqlite3.connect(str(path))
    db.execute("CREATE TABLE baton_meta (name TEXT PRIMARY KEY, value)")
    db.execute("INSERT INTO baton_meta VALUES ('schema', 99)")
    db.commit()
    db.close()
    with pytest.raises(baton.SchemaError) as e:
        baton.Store("sqlite:" + str(path))
    assert "99" in str(e.value)


def test_bad_arguments(saga, tmp_path):
    with pytest.raises(TypeError):
        saga.start(SAGA, [1, 2])
    with pytest.raises(ValueError):
        saga.start(SAGA, {"x": float("nan")})
    with pytest.raises(TypeError):
        saga.start(SAGA, {"x": object()})
    with pytest.raises(baton.NotFoundError) as e:
        saga.start("nope")
    assert "'nope' is not deployed" in str(e.value)
    assert saga.instances() == []           # nothing half-written
    with pytest.raises(baton.InvalidArgumentError) as e:
        saga.instances(state="RUNNING")
    assert "unknown state" in str(e.value)
    with pytest.raises(baton.NotFoundError):
        saga.complete_job(77 << 32, {})
    with pytest.raises(baton.NotFoundError):
        saga.instance(77 << 32)
    with pytest.raises(ValueError):
        saga.complete_job(-1)
    with pytest.raises(TypeError):
        saga.complete_job("1")
    with pytest.raises(ValueError):
        saga.fail_job(1, -1)
    with pytest.raises(baton.InvalidArgumentError):
        saga.throw_error(1, "")
    with pytest.raises(baton.InvalidArgumentError):
        saga.activate_jobs("ReserveCar", "py", lock=0)
    with pytest.raises(TypeError):
        saga.publish("m", ttl="soon")
    with pytest.raises(ValueError):
        saga.publish("m", ttl=-1)
    with pytest.raises(TypeError):
        saga.deploy(12)
    with pytest.raises(baton.InputOutputError):
        saga.deploy(str(tmp_path / "missing.bpmn"))
    bad = tmp_path / "bad.bpmn"
    bad.write_text('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/'
                   'BPMN/20100524/MODEL">\n  <bpmn:process id="p" '
                   'isExecutable="true">\n    <bpmn:startEvent id="s">\n'
                   '  </bpmn:process>\n</bpmn:definitions>')
    with pytest.raises(baton.ParseError) as e:
        saga.deploy(bad)
    assert "bad.bpmn:" in str(e.value)
    with pytest.raises(ValueError):
        saga.set("lease_ms", -5)
    with pytest.raises(ValueError):
        saga.set("speed", 1)
    assert saga.set("lease_ms", 30000) == 60000
    with pytest.raises(ValueError):
        baton.Worker(saga, concurrency=0)
    with pytest.raises(ValueError):
        baton.Worker(saga, concurrency=2000)


def test_closed_store(uri):
    s = baton.Store(uri)
    worker = baton.Worker(s)
    assert repr(s).startswith("<baton.Store ")
    s.close()
    s.close()
    assert s.closed and repr(s) == "<baton.Store closed>"
    with pytest.raises(baton.ClosedError):
        s.instances()
    with pytest.raises(baton.ClosedError):
        worker.work()


def test_log_hook(uri, store):
    messages = []
    store.on_log(lambda level, message: messages.append((level, message)))
    store.on_log(None)
    with pytest.raises(TypeError):
        store.on_log(42)


def test_host_library_is_loaded_on_first_use(tmp_path):
    """`import baton` works without libbaton-host; a Store says where it
    looked."""
    code = ("import baton\n"
            "try:\n"
            "    baton.Store('sqlite:x.db')\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    r = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env(PYTHONPATH=BINDING,
                      BATON_HOST_LIBRARY=str(tmp_path / "no-host.so")),
        cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=60)
    assert r.returncode == 0, r.stdout
    assert "cannot load the libbaton-host shared library" in r.stdout
    assert "BATON_HOST_LIBRARY: " + str(tmp_path / "no-host.so") in r.stdout
    assert "Set BATON_HOST_LIBRARY" in r.stdout
    assert not (tmp_path / "x.db").exists()


# --------------------------------------------------------------- example

def test_durable_example(uri, tmp_path):
    env = child_env(PYTHONPATH=BINDING)
    r = subprocess.run([sys.executable, DURABLE_EXAMPLE, uri, "--sagas", "4"],
                       env=env, cwd=str(tmp_path), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout
    out = r.stdout
    assert "UNEXPECTED" not in out
    assert "the worker ran 16 jobs" in out
    for trip in ("T-1", "T-3"):
        assert "%s: ReserveCar, BookHotel, BookFlight -> Trip booked" \
            % trip in out
    for trip in ("T-2", "T-4"):
        assert ("%s: ReserveCar, BookHotel, CancelHotel, CancelCar -> "
                "Trip cancelled" % trip) in out
    # Compensation in reverse order of the bookings.
    part = out[out.index("saga T-2:"):out.index("T-2: ReserveCar")]
    assert part.index("throws FLIGHT_BOOKING_FAILED") \
        < part.index("cancels HOTEL-T-2") < part.index("cancels CAR-T-2")


def test_host_library_found_beside_libbaton(tmp_path):
    """Without BATON_HOST_LIBRARY, libbaton-host is found beside the
    libbaton that was loaded (build/lib/host/ in a build tree)."""
    lib = os.environ.get("BATON_LIBRARY")
    if not lib or not os.path.isfile(lib):
        pytest.skip("BATON_LIBRARY does not name the built library")
    host_dir = os.path.join(os.path.dirname(os.path.abspath(lib)), "host")
    if not os.path.isdir(host_dir):
        pytest.skip("BATON_LIBRARY is not in a build tree")
    r = subprocess.run(
        [sys.executable, "-c",
         "import baton; print(baton.host_library_path())"],
        env=child_env(PYTHONPATH=BINDING, BATON_HOST_LIBRARY=None,
                      LD_LIBRARY_PATH=None),
        cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=60)
    assert r.returncode == 0, r.stdout
    assert r.stdout.strip().startswith(host_dir + os.sep), r.stdout
