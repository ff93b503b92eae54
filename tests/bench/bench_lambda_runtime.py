#!/usr/bin/env python3
"""Figures of the Baton runtime for AWS Lambda (examples/lambda/bootstrap)
against the Runtime API stand-in (tests/lambda/runtime_standin.py):

 - init: from the process start to its first /next (store opened, models
   deployed), median over a few cold starts on fresh stores;
 - per invocation: from the event handed out to the answer received, for
   a direct invocation of a model that completes at once (AllClear),
   median and 90th percentile over N.

Usage: bench_lambda_runtime.py BOOTSTRAP STANDIN.py MODELS_DIR [N]
Prints figures only; never fails on timing.
"""
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BOOTSTRAP, STANDIN, MODELS = sys.argv[1], sys.argv[2], sys.argv[3]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 200
COLD = 5

spec = importlib.util.spec_from_file_location("runtime_standin", STANDIN)
standin_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(standin_mod)


def one_run(tmp, tag, n):
    models = os.path.join(tmp, "models")
    s = standin_mod.RuntimeStandin(
        [{"event": {"process": "AllClear", "variables": {"i": i}}}
         for i in range(n)]).start()
    env = dict(os.environ)
    env.update({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % s.port,
                "BATON_STORE": "sqlite:" + os.path.join(tmp, tag + ".db"),
                "BATON_MODELS_DIR": models})
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "BATON_PROCESS"):
        env.pop(k, None)
    t0 = time.time()
    p = subprocess.Popen([BOOTSTRAP], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    ok = s.wait_records(n, 600)
    s.stop()
    p.wait(timeout=60)
    init = (s.next_times[0] - t0) * 1000 if s.next_times else float("nan")
    per = [(r["time"] - r["served"]) * 1000 for r in s.records
           if r["kind"] == "response"]
    return ok, init, per


def main():
    tmp = tempfile.mkdtemp(prefix="baton-lambda-bench-")
    try:
        os.mkdir(os.path.join(tmp, "models"))
        for f in ("host-starts.bpmn", "events-flight-receive.bpmn",
                  "trip-booking-saga.bpmn"):
            shutil.copy(os.path.join(MODELS, f), os.path.join(tmp, "models"))
        inits = []
        for i in range(COLD):
            ok, init, _ = one_run(tmp, "cold%d" % i, 1)
            inits.append(init)
        ok, _, per = one_run(tmp, "warm", N)
        print("lambda runtime: init (start to first /next, fresh SQLite "
              "store, 3 models): median %.1f ms over %d starts"
              % (statistics.median(inits), COLD))
        if per:
            per.sort()
            print("lambda runtime: direct invocation of a model that "
                  "completes at once: median %.2f ms, p90 %.2f ms over %d"
                  % (statistics.median(per), per[int(len(per) * 0.9) - 1],
                     len(per)))
        if not ok:
            print("lambda runtime: not every invocation was answered")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
