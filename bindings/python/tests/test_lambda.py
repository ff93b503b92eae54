"""AWS Lambda functions as tasks of a baton.Worker (baton.Lambda,
Worker.lambda_task()), through libbaton-lambda's own handler, against the
stand-in of the Invoke API (tests/lambda/invoke_standin.py), which checks
every request's SigV4 signature with botocore.

`meson test python-lambda` runs it with BATON_LAMBDA_LIBRARY set.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

import baton
from conftest import SOURCE_ROOT

ACCESS = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "session-token-for-the-tests"
REGION = "eu-west-1"

STANDIN = os.environ.get("BATON_LAMBDA_STANDIN") or os.path.join(
    SOURCE_ROOT, "tests", "lambda", "invoke_standin.py")
MODELS = os.environ.get("BATON_MODELS") or os.path.join(SOURCE_ROOT,
                                                        "tests", "models")
CORPUS = os.environ.get("BATON_CORPUS") or os.path.join(SOURCE_ROOT,
                                                        "tests", "corpus")
SERVERLESS = os.path.join(
    CORPUS, "seed", "trip-booking-saga-serverless__zeebe__aws__"
    "trip-booking.bpmn")
PRE = "trip-booking-functions-dev-"

ENV_NAMES = ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_SESSION_TOKEN", "BATON_LAMBDA_ENDPOINT")


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    # The stand-in needs botocore: python3 from PATH runs it, as in
    # tests/test_lambda.c, whichever Python runs pytest.
    python = shutil.which("python3") or sys.executable
    log = tmp_path_factory.mktemp("lambda") / "calls.log"
    log.write_text("")
    proc = subprocess.Popen([python, STANDIN, str(log), ACCESS, SECRET,
                             TOKEN, REGION], stdout=subprocess.PIPE,
                            universal_newlines=True)
    try:
        line = proc.stdout.readline()
        assert line.strip().isdigit(), \
            "the stand-in (%s %s) did not start" % (python, STANDIN)
        port = int(line)
        yield {"endpoint": "http://127.0.0.1:%d" % port, "log": log}
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def calls(log, since=0):
    return [json.loads(line) for line in log.read_text().splitlines()][since:]


def config(standin):
    return dict(region=REGION, endpoint=standin["endpoint"],
                access_key_id=ACCESS, secret_access_key=SECRET,
                session_token=TOKEN, retry_backoff=0.25)


def test_library_loads():
    path = baton.lambda_library_path()
    assert "baton-lambda" in os.path.basename(path)


def test_parallel_functions_complete(standin, clean_env, tmp_path):
    with baton.Worker("sqlite:" + str(tmp_path / "baton.db"),
                      concurrency=3) as worker:
        worker.store.deploy(os.path.join(MODELS, "lambda-parallel.bpmn"))
        key = worker.store.start("lambda-parallel", {"trip": "T-1"})
        invoker = worker.lambda_task("lambda", **config(standin))
        assert isinstance(invoker, baton.Lambda)
        assert "lambda" in worker.tasks
        worker.work(until_idle=True)
        inst = worker.store.instance(key)
    assert inst["state"] == "COMPLETED"
    for what in ("hotel", "car", "flight"):
        assert inst["variables"][what] == {"success": True}
        assert inst["variables"][what + "StatusCode"] == 200
        assert inst["variables"][what + "JsonString"] == '{"success": true}'
    # The worker made the invoker and freed it when it closed.
    assert invoker.closed


@pytest.mark.parametrize("variables, expected", [
    ({"trip": "all booked"}, ["book-hotel", "book-car", "book-flight"]),
    ({"failCar": True},
     ["book-hotel", "book-car", "cancel-car", "cancel-hotel"]),
])
def test_serverless_saga(standin, clean_env, tmp_path, variables, expected):
    # The invoker from the environment, shared by the worker.
    clean_env.setenv("AWS_REGION", REGION)
    clean_env.setenv("AWS_ACCESS_KEY_ID", ACCESS)
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    clean_env.setenv("AWS_SESSION_TOKEN", TOKEN)
    clean_env.setenv("BATON_LAMBDA_ENDPOINT", standin["endpoint"])
    since = len(calls(standin["log"]))
    with baton.Lambda() as invoker:
        with baton.Worker("sqlite:" + str(tmp_path / "baton.db")) as worker:
            worker.store.deploy(SERVERLESS)
            key = worker.store.start("trip-booking", variables)
            worker.lambda_task("lambda", invoker)
            # Registered: it cannot be freed under the worker.
            with pytest.raises(baton.StateError):
                invoker.close()
            worker.work(until_idle=True)
            inst = worker.store.instance(key)
        assert not invoker.closed
    assert invoker.closed
    assert inst["state"] == "COMPLETED"
    seen = [c["function"][len(PRE):] for c in calls(standin["log"], since)]
    assert seen == expected
    assert all(c["status"] == 200 for c in calls(standin["log"], since))
    result = inst["variables"]["bookHotelResult"]
    assert result == {"success": True}
    assert inst["variables"]["bookHotelResultStatusCode"] == 200


def test_function_error_throws(standin, clean_env, tmp_path):
    model = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    id="d" targetNamespace="http://baton.example/lambda">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t" />
    <bpmn:serviceTask id="t">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="fn" />
        <zeebe:taskHeaders>
          <zeebe:header key="functionName" value="fail-handled" />
          <zeebe:header key="functionErrorCode" value="NO_ROOMS" />
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="b" attachedToRef="t">
      <bpmn:errorEventDefinition errorRef="e" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="ok" />
    <bpmn:endEvent id="ok" />
    <bpmn:sequenceFlow id="f2" sourceRef="b" targetRef="caught" />
    <bpmn:endEvent id="caught" />
  </bpmn:process>
  <bpmn:error id="e" errorCode="NO_ROOMS" />
</bpmn:definitions>
"""
    with baton.Worker("sqlite:" + str(tmp_path / "baton.db")) as worker:
        worker.store.deploy(model, "error.bpmn")
        key = worker.store.start("p")
        worker.lambda_task("fn", **config(standin))
        worker.work(until_idle=True)
        inst = worker.store.instance(key)
    assert inst["state"] == "COMPLETED"
    ended = [h["record"]["value"].get("elementId") for h in inst["history"]
             if h["record"]["intent"] == "ELEMENT_COMPLETED"]
    assert "caught" in ended and "ok" not in ended


def test_refusals_name_no_secret(clean_env):
    with pytest.raises(baton.InvalidArgumentError) as e:
        baton.Lambda(access_key_id=ACCESS, secret_access_key=SECRET,
                     session_token=TOKEN)
    assert "no AWS region" in str(e.value)
    with pytest.raises(ValueError) as e:
        baton.Lambda(region=REGION, access_key_id=ACCESS,
                     session_token=TOKEN)
    assert "no AWS credentials" in str(e.value)
    with pytest.raises(ValueError) as e:
        baton.Lambda(region=REGION, endpoint="ftp://x", access_key_id=ACCESS,
                     secret_access_key=SECRET, session_token=TOKEN)
    assert "bad Lambda endpoint" in str(e.value)
    for exc in (e.value,):
        assert SECRET not in str(exc) and TOKEN not in str(exc)


def test_lambda_task_arguments(standin, clean_env, tmp_path):
    with baton.Worker("sqlite:" + str(tmp_path / "baton.db")) as worker:
        invoker = baton.Lambda(**config(standin))
        with pytest.raises(TypeError):
            worker.lambda_task("fn", invoker, region=REGION)
        with pytest.raises(TypeError):
            worker.lambda_task("fn", object())
        with pytest.raises(ValueError):
            worker.lambda_task("", invoker)
        worker.lambda_task("fn", invoker)
        # A Python task replaces it and releases the invoker.
        worker.register_task("fn", lambda: None)
        invoker.close()
        assert invoker.closed
        with pytest.raises(baton.ClosedError):
            worker.lambda_task("fn", invoker)
        # A refused configuration registers nothing.
        with pytest.raises(ValueError):
            worker.lambda_task("other")
        assert "other" not in worker.tasks
