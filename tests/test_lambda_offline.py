#!/usr/bin/env python3
"""The Baton runtime for AWS Lambda (examples/lambda/bootstrap) invoking
real Node functions (tests/lambda/offline) through serverless-offline's
Lambda Invoke API, end to end.

Usage: tests/lambda/with_offline.sh \\
           test_lambda_offline.py BOOTSTRAP STANDIN.py MODELS_DIR CORPUS_DIR

with_offline.sh sets BATON_LAMBDA_ENDPOINT and BATON_OFFLINE_LOG (one JSON
line per invocation: {"fn", "trip", "start", "end"}). The bootstrap runs
against the Runtime API stand-in (tests/lambda/runtime_standin.py):
  1. the seed trip-booking model (Zeebe, functionName headers of the
     serverless example) behind an API Gateway event, on its four paths;
  2. lambda-parallel-offline.bpmn: three one-second bookings in parallel;
  3. a function that throws, with and without functionErrorCode, and an
     unknown function (404);
  4. a timer (PT2S) between two bookings: WAITING, then a scheduled
     EventBridge event finishes the instance;
  5. a deadline that arrives mid-saga (slow functions): WAITING with the
     instance in the store, then a scheduled event finishes it, each
     function called once;
  6. the seed's Camunda 7 saga (camunda:properties name the functions,
     an error event subprocess throws compensation), with a
     functionErrorCode property beside each invocationError="true": on
     its four paths the functions that failed are not cancelled and the
     bookings made are cancelled in reverse order.
Ends with "N passed, N failed".
"""
import json
import os
import shutil
import sys
import sqlite3
import tempfile
import time

BOOTSTRAP, STANDIN, MODELS, CORPUS = sys.argv[1:5]
ENDPOINT = os.environ.get("BATON_LAMBDA_ENDPOINT")
LOG = os.environ.get("BATON_OFFLINE_LOG")
if not ENDPOINT or not LOG:
    print("run through tests/lambda/with_offline.sh")
    sys.exit(77)

SEED = os.path.join(
    CORPUS, "seed",
    "trip-booking-saga-serverless__zeebe__aws__trip-booking.bpmn")
SEED_C7 = os.path.join(
    CORPUS, "seed",
    "trip-booking-saga-serverless__camunda__workflow__"
    "trip-compensation.bpmn")
C7_ERROR = "io.berndruecker.serverless.aws.lambda.LambdaInvocationError"
FN = "trip-booking-functions-dev-"

sys.path.insert(0, os.path.dirname(os.path.abspath(STANDIN)))
import runtime_standin as standin_mod  # noqa: E402

check = standin_mod.Checks()


def run(script, models_dir, store, extra_env=None, timeout=60):
    """bootstrap against a stand-in serving `script` until each entry is
    answered, invoking functions on serverless-offline. Returns (records
    by id, exit code, stdout, stderr)."""
    env = standin_mod.base_env()
    env.update({"BATON_STORE": "sqlite:" + store,
                "BATON_MODELS_DIR": models_dir,
                "BATON_LAMBDA_JOB_TYPES": "lambda",
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "AKIDOFFLINETEST",
                "AWS_SECRET_ACCESS_KEY": "offline-test-secret"})
    env.update(extra_env or {})
    by_id, _, rc, out, err, _ = standin_mod.run_bootstrap(
        BOOTSTRAP, script, env, None, timeout)
    return by_id, rc, out, err


def log_lines():
    with open(LOG) as f:
        return [json.loads(line) for line in f if line.strip()]


def calls(trip):
    """The functions invoked for `trip`, in the order they started (the
    suffix after the service and stage)."""
    lines = sorted((x for x in log_lines() if x.get("trip") == trip),
                   key=lambda x: (x["start"], x["end"]))
    return [x["fn"][len(FN):] if x["fn"].startswith(FN) else x["fn"]
            for x in lines]


def body(rec):
    return rec["body"] if rec and rec.get("kind") == "response" else None


def apigw(variables):
    return {"resource": "/trip", "path": "/trip", "httpMethod": "POST",
            "headers": {"Content-Type": "application/json"},
            "requestContext": {"requestId": "r-%s" % variables["trip"],
                               "stage": "dev"},
            "body": json.dumps(variables), "isBase64Encoded": False}


ERRORS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    id="Definitions_%s" targetNamespace="http://baton.example/lambda">
  <bpmn:error id="Boom" name="Boom" errorCode="BOOM" />
%s
</bpmn:definitions>
"""

ERROR_PROCESS = """  <bpmn:process id="%(id)s" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="f0" sourceRef="Start" targetRef="Call" />
    <bpmn:serviceTask id="Call" name="Call">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="lambda" retries="1" />
        <zeebe:taskHeaders>
          <zeebe:header key="functionName" value="%(fn)s" />
          <zeebe:header key="resultName" value="callResult" />%(extra)s
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="Call" targetRef="Done" />
    <bpmn:endEvent id="Done" />
    <bpmn:boundaryEvent id="Caught" attachedToRef="Call">
      <bpmn:errorEventDefinition id="CaughtDef" errorRef="Boom" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="Caught" targetRef="Handled" />
    <bpmn:endEvent id="Handled" />
  </bpmn:process>"""


def error_process(pid, fn, code=None):
    extra = ('\n          <zeebe:header key="functionErrorCode" value="%s" />'
             % code) if code else ""
    return ERROR_PROCESS % {"id": pid, "fn": fn, "extra": extra}


TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    id="Definitions_timer" targetNamespace="http://baton.example/lambda">
  <bpmn:process id="trip-booking-timer" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="f0" sourceRef="Start" targetRef="BookHotel" />
    <bpmn:serviceTask id="BookHotel" name="Book hotel">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="lambda" />
        <zeebe:taskHeaders>
          <zeebe:header key="functionName" value="%(fn)sbook-hotel" />
          <zeebe:header key="resultName" value="bookHotelResult" />
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="BookHotel" targetRef="Pause" />
    <bpmn:intermediateCatchEvent id="Pause" name="Two seconds">
      <bpmn:timerEventDefinition id="PauseDef">
        <bpmn:timeDuration>PT2S</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="Pause" targetRef="BookCar" />
    <bpmn:serviceTask id="BookCar" name="Book car">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="lambda" />
        <zeebe:taskHeaders>
          <zeebe:header key="functionName" value="%(fn)sbook-car" />
          <zeebe:header key="resultName" value="bookCarResult" />
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="BookCar" targetRef="Done" />
    <bpmn:endEvent id="Done" />
  </bpmn:process>
</bpmn:definitions>
""" % {"fn": FN}


def scheduled_event():
    return {"version": "0", "id": "sched-%d" % int(time.time() * 1000),
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "000000000000",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:000000000000:rule/baton"],
            "detail": {}}


def stored_state(store, key):
    """The instance's state in the SQLite store, or None."""
    try:
        con = sqlite3.connect(store)
        try:
            row = con.execute("SELECT state FROM baton_instances "
                              "WHERE key = ?", (key,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error as e:
        return "error: %s" % e
    return row[0] if row else None


def incident_text(b):
    return json.dumps(b.get("incidents")) if b else ""


def camunda7_model():
    """The seed's Camunda 7 saga, where each task that the original
    delegate lets throw LambdaInvocationError (invocationError="true")
    also says so in the form the Lambda handler reads."""
    with open(SEED_C7) as f:
        text = f.read()
    mark = '<camunda:property name="invocationError" value="true" />'
    check("camunda 7: three bookings let a function error throw",
          text.count(mark) == 3, text.count(mark))
    return text.replace(mark, mark + '<camunda:property name="'
                        'functionErrorCode" value="%s" />' % C7_ERROR)


def camunda7_saga(tmp):
    models = os.path.join(tmp, "models-c7")
    os.mkdir(models)
    with open(os.path.join(models, "trip-compensation.bpmn"), "w") as f:
        f.write(camunda7_model())
    paths = {
        "c7-all-booked": ({}, ["book-hotel", "book-car", "book-flight"]),
        "c7-hotel-fails": ({"failHotel": True}, ["book-hotel"]),
        "c7-car-fails": ({"failCar": True},
                         ["book-hotel", "book-car", "cancel-hotel"]),
        "c7-flight-fails": ({"failFlight": True},
                            ["book-hotel", "book-car", "book-flight",
                             "cancel-car", "cancel-hotel"]),
    }
    script = [{"id": trip, "event": {
        "process": "trip",
        "variables": dict(flags, trip=trip, throwOnFail=True)}}
        for trip, (flags, _) in paths.items()]
    by_id, rc, out, err = run(
        script, models, os.path.join(tmp, "c7.db"),
        {"BATON_LAMBDA_JOB_TYPES": "#{lambdaInvocationDelegate}",
         "BATON_COMPLETE_JOB_TYPES": "#{true}"})
    check("camunda 7: every invocation answered", len(by_id) == len(script),
          "%d of %d" % (len(by_id), len(script)))
    for trip, (flags, order) in paths.items():
        b = body(by_id.get(trip))
        v = (b or {}).get("variables") or {}
        check("camunda 7 %s: COMPLETED, no incident" % trip,
              b and b.get("state") == "COMPLETED"
              and b.get("processId") == "trip"
              and b.get("incidents") == [], b)
        got = calls(trip)
        check("camunda 7 %s: functions in order" % trip, got == order,
              "%s != %s" % (got, order))
        booked = [f for f in order if f.startswith("book-")]
        failed_fn = booked[-1] if flags else None
        check("camunda 7 %s: each booking's result under its function's "
              "name" % trip,
              all(v.get(FN + f) == {"success": True}
                  and v.get(FN + f + "StatusCode") == 200
                  for f in booked if f != failed_fn)
              and (failed_fn is None or FN + failed_fn not in v), v)
        if flags:
            check("camunda 7 %s: the error event subprocess has the error"
                  % trip,
                  v.get("errorCode") == C7_ERROR
                  and "no booking for %s" % trip
                  in (v.get("errorMessage") or ""), v)
        else:
            check("camunda 7 %s: no error" % trip,
                  "errorCode" not in v and "errorMessage" not in v, v)
    if check.failed:
        sys.stderr.write(err)


def main():
    tmp = tempfile.mkdtemp(prefix="baton-lambda-offline-")
    try:
        models = os.path.join(tmp, "models")
        os.mkdir(models)
        shutil.copy(SEED, models)
        shutil.copy(os.path.join(MODELS, "lambda-parallel-offline.bpmn"),
                    models)
        for pid, fn, code in (
                ("explode-caught", FN + "explode", "BOOM"),
                ("explode-uncaught", FN + "explode", None),
                ("unknown-function", FN + "no-such-function", None)):
            with open(os.path.join(models, pid + ".bpmn"), "w") as f:
                f.write(ERRORS_BPMN % (pid, error_process(pid, fn, code)))

        # 1. The seed model behind API Gateway, bound to its process.
        paths = {
            "all-booked": ({}, True,
                           ["book-hotel", "book-car", "book-flight"]),
            "hotel-fails": ({"failHotel": True}, False,
                            ["book-hotel", "cancel-hotel"]),
            "car-fails": ({"failCar": True}, False,
                          ["book-hotel", "book-car", "cancel-car",
                           "cancel-hotel"]),
            "flight-fails": ({"failFlight": True}, False,
                             ["book-hotel", "book-car", "book-flight",
                              "cancel-flight", "cancel-car",
                              "cancel-hotel"]),
        }
        script = []
        for trip, (flags, _, _) in paths.items():
            v = dict(flags, trip=trip)
            script.append({"id": trip, "event": apigw(v)})
        by_id, rc, out, err = run(script, models,
                                  os.path.join(tmp, "seed.db"),
                                  {"BATON_PROCESS": "trip-booking"})
        if len(by_id) != len(script):
            sys.stderr.write(err)
        check("seed: every invocation answered", len(by_id) == len(script),
              "%d of %d" % (len(by_id), len(script)))
        for trip, (flags, ok, order) in paths.items():
            b = body(by_id.get(trip))
            check("seed %s: proxy 200 JSON" % trip,
                  b and b.get("statusCode") == 200
                  and isinstance(b.get("body"), str), b)
            try:
                inner = json.loads(b["body"])
            except Exception:
                inner = {}
            v = inner.get("variables") or {}
            check("seed %s: COMPLETED, no incident" % trip,
                  inner.get("state") == "COMPLETED"
                  and inner.get("processId") == "trip-booking"
                  and inner.get("incidents") == [], inner)
            check("seed %s: request variables kept" % trip,
                  v.get("trip") == trip
                  and all(v.get(k) == x for k, x in flags.items()), v)
            want = {"bookHotelResult": {"success": "hotel" not in trip}}
            if "hotel" not in trip:
                want["bookCarResult"] = {"success": "car" not in trip}
            if trip in ("all-booked", "flight-fails"):
                want["bookFlightResult"] = {"success": ok}
            check("seed %s: results" % trip,
                  all(v.get(k) == x for k, x in want.items())
                  and all(v.get(k + "StatusCode") == 200 for k in want)
                  and all(json.loads(v.get(k + "JsonString", "null")) == x
                          for k, x in want.items())
                  and not any(k in v for k in
                              {"bookHotelResult", "bookCarResult",
                               "bookFlightResult"} - set(want)), v)
            got = calls(trip)
            check("seed %s: functions in order" % trip, got == order,
                  "%s != %s" % (got, order))

        # 2. Parallel bookings, each one second; 3. function errors.
        script = [
            {"id": "parallel", "event": {
                "process": "lambda-parallel-offline",
                "variables": {"trip": "parallel", "slow": True}}},
            {"id": "caught", "event": {
                "process": "explode-caught",
                "variables": {"trip": "caught", "reason": "boom caught"}}},
            {"id": "uncaught", "event": {
                "process": "explode-uncaught",
                "variables": {"trip": "uncaught",
                              "reason": "boom uncaught"}}},
            {"id": "unknown", "event": {
                "process": "unknown-function",
                "variables": {"trip": "unknown"}}},
        ]
        by_id, rc, out, err = run(script, models,
                                  os.path.join(tmp, "more.db"))
        if len(by_id) != len(script):
            sys.stderr.write(err)
        check("more: every invocation answered", len(by_id) == len(script),
              "%d of %d" % (len(by_id), len(script)))

        b = body(by_id.get("parallel"))
        v = (b or {}).get("variables") or {}
        check("parallel: COMPLETED",
              b and b.get("state") == "COMPLETED"
              and b.get("incidents") == [], b)
        check("parallel: three results",
              all(v.get(k) == {"success": True}
                  and v.get(k + "StatusCode") == 200
                  for k in ("hotel", "car", "flight")), v)
        lines = [x for x in log_lines() if x.get("trip") == "parallel"]
        check("parallel: three bookings",
              sorted(x["fn"] for x in lines)
              == sorted(FN + f for f in ("book-car", "book-flight",
                                         "book-hotel")), lines)
        check("parallel: each took a second",
              lines and all(x["end"] - x["start"] >= 900 for x in lines),
              lines)
        check("parallel: all three started before any ended",
              lines and max(x["start"] for x in lines)
              < min(x["end"] for x in lines), lines)

        b = body(by_id.get("caught"))
        check("functionErrorCode: the BPMN error is caught, COMPLETED",
              b and b.get("state") == "COMPLETED"
              and b.get("incidents") == []
              and "callResult" not in (b.get("variables") or {}), b)
        check("functionErrorCode: the function ran once",
              calls("caught") == ["explode"], calls("caught"))

        b = body(by_id.get("uncaught"))
        text = incident_text(b)
        check("function error without code: INCIDENT",
              b and b.get("state") == "INCIDENT" and b.get("incidents"), b)
        check("function error without code: the function's message",
              "boom uncaught" in text and "Error" in text
              and FN + "explode" in text, text)
        check("function error without code: no result",
              "callResult" not in ((b or {}).get("variables") or {}), b)

        b = body(by_id.get("unknown"))
        text = incident_text(b)
        check("unknown function: INCIDENT",
              b and b.get("state") == "INCIDENT" and b.get("incidents"), b)
        check("unknown function: HTTP 404 and the API's message",
              "404" in text and "Function not found" in text
              and FN + "no-such-function" in text, text)
        check("unknown function: nothing ran", calls("unknown") == [],
              calls("unknown"))
        if check.failed:
            sys.stderr.write(err)

        # 4. A timer between two bookings: the start answers WAITING after
        # the hotel; a scheduled event after the timer books the car.
        with open(os.path.join(models, "trip-booking-timer.bpmn"), "w") as f:
            f.write(TIMER_BPMN)
        store = os.path.join(tmp, "timer.db")
        by_id, rc, out, err = run(
            [{"id": "timer-start", "event": {
                "process": "trip-booking-timer",
                "variables": {"trip": "timer"}}}], models, store)
        started = time.time()
        b = body(by_id.get("timer-start"))
        key = (b or {}).get("key")
        check("timer: the start answers WAITING with the key",
              b and b.get("state") == "WAITING" and b.get("incidents") == []
              and isinstance(key, int) and key > 0, b)
        check("timer: the hotel is booked",
              ((b or {}).get("variables") or {}).get("bookHotelResult")
              == {"success": True}, b)
        check("timer: only book-hotel ran", calls("timer") == ["book-hotel"],
              calls("timer"))
        check("timer: the instance waits in the store",
              stored_state(store, key) == "WAITING",
              stored_state(store, key))
        if b is None:
            sys.stderr.write(err)
        left = started + 2.5 - time.time()
        if left > 0:
            time.sleep(left)
        by_id, rc, out, err = run(
            [{"id": "timer-tick", "event": scheduled_event()}], models,
            store)
        b = body(by_id.get("timer-tick"))
        check("timer: the scheduled event answers {due: N}",
              isinstance(b, dict) and isinstance(b.get("due"), int)
              and b["due"] >= 1, b)
        check("timer: the instance is COMPLETED",
              stored_state(store, key) == "COMPLETED",
              stored_state(store, key))
        check("timer: book-car after book-hotel",
              calls("timer") == ["book-hotel", "book-car"], calls("timer"))
        lines = sorted((x for x in log_lines() if x.get("trip") == "timer"),
                       key=lambda x: x["start"])
        check("timer: the car waited for the timer",
              len(lines) == 2 and lines[1]["start"] - lines[0]["end"] >= 1900,
              lines)
        if b is None or check.failed:
            sys.stderr.write(err)

        # 5. The deadline arrives mid-saga: one-second functions, 1.5 s
        # beyond the margin. The answer is WAITING before the saga could
        # have finished; a scheduled event finishes it.
        store = os.path.join(tmp, "deadline.db")
        margin = 200
        by_id, rc, out, err = run(
            [{"id": "deadline-start", "deadline_in_ms": margin + 1500,
              "event": {"process": "trip-booking",
                        "variables": {"trip": "deadline", "slow": True}}}],
            models, store, {"BATON_DEADLINE_MARGIN_MS": str(margin)})
        b = body(by_id.get("deadline-start"))
        key = (b or {}).get("key")
        done = calls("deadline")
        check("deadline: the start answers WAITING with the key",
              b and b.get("state") == "WAITING" and b.get("incidents") == []
              and isinstance(key, int) and key > 0, b)
        check("deadline: fewer than all bookings done",
              1 <= len(done) < 3
              and done == ["book-hotel", "book-car", "book-flight"][
                  :len(done)], done)
        check("deadline: the instance is in the store",
              stored_state(store, key) in ("WAITING", "ACTIVE"),
              stored_state(store, key))
        if b is None:
            sys.stderr.write(err)
        by_id, rc, out, err = run(
            [{"id": "deadline-tick", "event": scheduled_event()}], models,
            store, {"BATON_DEADLINE_MARGIN_MS": str(margin)})
        b = body(by_id.get("deadline-tick"))
        check("deadline: the scheduled event answers {due: N}",
              isinstance(b, dict) and isinstance(b.get("due"), int), b)
        check("deadline: the instance is COMPLETED",
              stored_state(store, key) == "COMPLETED",
              stored_state(store, key))
        check("deadline: each booking once, in order",
              calls("deadline") == ["book-hotel", "book-car",
                                    "book-flight"], calls("deadline"))
        if b is None or check.failed:
            sys.stderr.write(err)

        camunda7_saga(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
