#!/usr/bin/env python3
"""The Baton runtime for AWS Lambda (examples/lambda/bootstrap) against a
stand-in of the Runtime API (tests/lambda/runtime_standin.py).

Usage: test_lambda_runtime.py BOOTSTRAP STANDIN.py MODELS_DIR

Runs the real bootstrap with AWS_LAMBDA_RUNTIME_API pointing at the
stand-in, an SQLite store and a copy of some models in a temporary
folder, and checks its answers. Ends with "N passed, N failed".
"""
import json
import os
import shutil
import sys
import tempfile

BOOTSTRAP, STANDIN, MODELS = sys.argv[1], sys.argv[2], sys.argv[3]

sys.path.insert(0, os.path.dirname(os.path.abspath(STANDIN)))
import runtime_standin as standin_mod  # noqa: E402

check = standin_mod.Checks()


def run(script, models_dir, store, extra_env=None, answers=None,
        timeout=120):
    """bootstrap against a stand-in serving `script` (see
    runtime_standin.run_bootstrap), with an SQLite store and no
    credentials."""
    env = standin_mod.base_env()
    env.update({"BATON_STORE": "sqlite:" + store,
                "BATON_MODELS_DIR": models_dir,
                "AWS_REGION": "us-east-1"})
    env.update(extra_env or {})
    return standin_mod.run_bootstrap(BOOTSTRAP, script, env, answers,
                                     timeout)


def body(rec):
    return rec["body"] if rec else None


def main():
    tmp = tempfile.mkdtemp(prefix="baton-lambda-rt-")
    try:
        models = os.path.join(tmp, "models")
        os.mkdir(models)
        for f in ("host-starts.bpmn", "events-flight-receive.bpmn"):
            shutil.copy(os.path.join(MODELS, f), models)
        store = os.path.join(tmp, "baton.db")
        big = "x" * (1024 * 1024)

        script = [
            {"id": "direct", "event": {"process": "AllClear",
                                       "variables": {"a": 1},
                                       "businessKey": "bk-1"}},
            {"id": "wait", "event": {"process": "FlightReceive",
                                     "variables": {"bookingId": "B1"}}},
            {"id": "msg", "event": {"message": {
                "name": "airline-callback", "correlationKey": "B1",
                "variables": {"flight": "LH1"}, "messageId": "m-1",
                "ttl": 60000}}},
            {"id": "msg-dup", "event": {"message": {
                "name": "airline-callback", "correlationKey": "B1",
                "messageId": "m-1", "ttl": 60000}}},
            {"id": "gw", "event": {
                "resource": "/start", "path": "/start", "httpMethod": "POST",
                "headers": {"Content-Type": "application/json"},
                "queryStringParameters": {"process": "AllClear"},
                "requestContext": {"requestId": "abc", "stage": "prod"},
                "body": json.dumps({"order": 7}), "isBase64Encoded": False}},
            {"id": "gw-wait", "event": {
                "httpMethod": "POST", "path": "/start/FlightReceive",
                "pathParameters": {"process": "FlightReceive"},
                "requestContext": {"requestId": "abd"},
                "body": json.dumps({"bookingId": "B2"})}},
            {"id": "gw-bad", "event": {
                "httpMethod": "POST", "requestContext": {},
                "queryStringParameters": {"process": "AllClear"},
                "body": "{not json"}},
            {"id": "gw-unknown", "event": {
                "httpMethod": "POST", "requestContext": {},
                "queryStringParameters": {"process": "NoSuchProcess"},
                "body": "{}"}},
            {"id": "unknown", "event": {"process": "NoSuchProcess"}},
            {"id": "bad", "raw": "this is not json"},
            {"id": "strange", "event": {"hello": "world"}},
            {"id": "deadline", "deadline_in_ms": 300,
             "event": {"process": "FlightReceive",
                       "variables": {"bookingId": "B3"}}},
            {"id": "large", "event": {"process": "AllClear",
                                      "variables": {"blob": big}}},
            {"id": "delayed", "delay_ms": 3000,
             "event": {"process": "AllClear"}},
            {"id": "after-500", "fail_next": 1,
             "event": {"process": "AllClear"}},
            {"id": "tick", "event": {
                "version": "0", "id": "e1", "detail-type": "Scheduled Event",
                "source": "aws.events", "time": "2024-01-01T00:00:00Z",
                "resources": [], "detail": {}}},
        ]
        by_id, recs, rc, out, err, s = run(script, models, store)
        if check.failed or rc != 1:
            sys.stderr.write(err)
        check("every invocation answered", len(recs) == len(script),
              "%d of %d" % (len(recs), len(script)))

        r = by_id.get("direct")
        b = body(r)
        check("direct: response", r and r["kind"] == "response", r)
        check("direct: COMPLETED", b and b.get("state") == "COMPLETED", b)
        check("direct: key, variables, incidents",
              b and isinstance(b.get("key"), int)
              and b.get("variables") == {"a": 1}
              and b.get("incidents") == [], b)
        check("direct: business key", b and b.get("businessKey") == "bk-1", b)

        b = body(by_id.get("wait"))
        check("waiting: WAITING with a key",
              b and b.get("state") == "WAITING"
              and isinstance(b.get("key"), int), b)

        r = by_id.get("msg")
        b = body(r)
        check("message: published",
              r and r["kind"] == "response" and "messageKey" in b
              and isinstance(b.get("correlated"), list)
              and isinstance(b.get("started"), list), r)
        r = by_id.get("msg-dup")
        check("message: a duplicate id is a function error",
              r and r["kind"] == "error"
              and body(r).get("errorType") == "Baton.Conflict", r)

        r = by_id.get("gw")
        b = body(r)
        check("apigw: proxy response shape",
              r and r["kind"] == "response" and b.get("statusCode") == 200
              and b.get("headers") == {"Content-Type": "application/json"}
              and isinstance(b.get("body"), str), b)
        inner = json.loads(b["body"]) if b and isinstance(
            b.get("body"), str) else {}
        check("apigw: body is the instance",
              inner.get("state") == "COMPLETED"
              and inner.get("variables") == {"order": 7}, inner)
        b = body(by_id.get("gw-wait"))
        check("apigw: waiting is 202", b and b.get("statusCode") == 202, b)
        b = body(by_id.get("gw-bad"))
        check("apigw: bad body is 400", b and b.get("statusCode") == 400
              and "error" in json.loads(b.get("body", "{}")), b)
        b = body(by_id.get("gw-unknown"))
        check("apigw: unknown process is 404",
              b and b.get("statusCode") == 404, b)

        r = by_id.get("unknown")
        check("unknown process: /error with errorType",
              r and r["kind"] == "error"
              and body(r).get("errorType") == "Baton.NotFound"
              and body(r).get("errorMessage")
              and r["headers"].get("lambda-runtime-function-error-type")
              == "Baton.NotFound", r)
        r = by_id.get("bad")
        check("malformed event: /error Baton.BadEvent",
              r and r["kind"] == "error"
              and body(r).get("errorType") == "Baton.BadEvent", r)
        r = by_id.get("strange")
        check("unknown event shape: /error Baton.BadEvent",
              r and r["kind"] == "error"
              and body(r).get("errorType") == "Baton.BadEvent", r)

        r = by_id.get("deadline")
        b = body(r)
        check("deadline near: answered WAITING",
              b and b.get("state") == "WAITING"
              and isinstance(b.get("key"), int), b)
        check("deadline near: answered in time",
              r and r["time"] - r["served"] < 5.0, r and
              r["time"] - r["served"])

        b = body(by_id.get("large"))
        check("1 MB of variables: COMPLETED with them back",
              b and b.get("state") == "COMPLETED"
              and b.get("variables", {}).get("blob") == big,
              b and b.get("state"))

        r = by_id.get("delayed")
        check("a /next delayed by 3 s: answered",
              r and body(r).get("state") == "COMPLETED", r)
        r = by_id.get("after-500")
        check("a /next answering 500 once: retried, answered",
              r and body(r).get("state") == "COMPLETED", r)
        r = by_id.get("tick")
        check("scheduled event: due work run",
              r and r["kind"] == "response"
              and isinstance(body(r).get("due"), int), r)

        lines = [line for line in out.splitlines()
                 if line.startswith("request=")]
        check("one log line per invocation", len(lines) == len(script),
              out)
        check("log line names kind and outcome",
              any("request=direct kind=direct outcome=\"COMPLETED\"" in line
                  for line in lines), out)
        check("the failed /next is logged", "HTTP 500" in err, err)
        check("exits 1 once the Runtime API is gone", rc == 1, rc)

        # With credentials the Lambda invoker handles the listed job types
        # (when the runtime is built with libbaton-lambda).
        by_id, recs, rc, out, err, s = run(
            [{"id": "c", "event": {"process": "AllClear"}}], models,
            os.path.join(tmp, "creds.db"),
            extra_env={"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                       "AWS_SECRET_ACCESS_KEY": "not-a-secret",
                       "BATON_LAMBDA_ENDPOINT": "http://127.0.0.1:9",
                       "BATON_LAMBDA_JOB_TYPES": "lambda, invoke-fn"})
        check("with credentials: invoker registered",
              ("job type lambda runs Lambda functions" in err
               and "job type invoke-fn runs Lambda functions" in err)
              or "built without libbaton-lambda" in err, err)
        check("with credentials: still answers",
              body(by_id.get("c")) and
              body(by_id.get("c")).get("state") == "COMPLETED", recs)
        check("credentials never logged", "not-a-secret" not in err + out)

        # A malformed model: init error, exit 1, nothing else asked.
        bad_models = os.path.join(tmp, "bad-models")
        os.mkdir(bad_models)
        shutil.copy(os.path.join(MODELS, "host-starts.bpmn"), bad_models)
        with open(os.path.join(bad_models, "broken.bpmn"), "w") as f:
            f.write("<definitions><process id='P' isExecutable='true'>")
        by_id, recs, rc, out, err, s = run(
            [{"event": {"process": "AllClear"}}], bad_models,
            os.path.join(tmp, "bad.db"), answers=1, timeout=30)
        r = recs[0] if recs else None
        check("init error: posted",
              r and r["kind"] == "init_error"
              and body(r).get("errorType") == "Runtime.InitError"
              and "broken.bpmn" in body(r).get("errorMessage", "")
              and r["headers"].get("lambda-runtime-function-error-type")
              == "Runtime.InitError", r)
        check("init error: exit 1, no /next", rc == 1 and not s.next_times,
              (rc, s.next_times))

        # A store that cannot be opened is an init error too.
        by_id, recs, rc, out, err, s = run(
            [{"event": {"process": "AllClear"}}], models,
            os.path.join(tmp, "no-such-dir", "x.db"), answers=1, timeout=30)
        r = recs[0] if recs else None
        check("store error at init: posted, exit 1",
              r and r["kind"] == "init_error" and rc == 1, (r, rc))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
