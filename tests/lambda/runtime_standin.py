#!/usr/bin/env python3
"""A stand-in for the AWS Lambda Runtime API (2018-06-01), for testing a
custom runtime such as examples/lambda/bootstrap.

It serves a scripted list of invocations on /runtime/invocation/next and
records what the runtime answers (response, error, init error).

Each entry of the script is an object:
  "event":         the event (any JSON value), or
  "raw":           the event as a text, sent as is (a malformed event);
  "id":            the request id (default "req-N");
  "deadline_in_ms": Lambda-Runtime-Deadline-Ms is now plus this (default
                   60000);
  "trace_id":      Lambda-Runtime-Trace-Id (default one is made);
  "delay_ms":      /next waits this long before it answers;
  "fail_next":     /next first answers HTTP 500 this many times.
Once the script is done, /next blocks until the stand-in stops.

Use it in-process (RuntimeStandin; run_bootstrap runs a runtime against
one, and Checks counts a test's outcomes) or as a program:
  runtime_standin.py SCRIPT.json [RECORD.json]
prints "PORT N" on its first line, then one JSON line per answer; writes
the whole record to RECORD.json after each answer.
"""
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class RuntimeStandin:
    def __init__(self, script, on_record=None):
        self.script = list(script)
        self.pos = 0
        self.records = []       # answers, in order
        self.next_times = []    # time.time() of each /next request
        self.served = {}        # request id -> time.time() it was handed out
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.stopping = threading.Event()
        self.on_record = on_record
        self.fails_done = {}
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this,
            # Nagle and delayed ACKs add 40 ms to each answer.
            disable_nagle_algorithm = True

            def log_message(self, fmt, *args):
                pass

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self._reply(404, b'{"errorMessage":"not found"}')
                standin._next(self)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                standin._post(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)

    # -- running -------------------------------------------------------
    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_records(self, n, timeout):
        """Waits until `n` answers are recorded; returns whether they
        were."""
        end = time.time() + timeout
        with self.cond:
            while len(self.records) < n:
                left = end - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    # -- handlers --------------------------------------------------------
    def _next(self, h):
        with self.lock:
            self.next_times.append(time.time())
            pos = self.pos
            entry = self.script[pos] if pos < len(self.script) else None
            if entry is not None:
                done = self.fails_done.get(pos, 0)
                if done < entry.get("fail_next", 0):
                    self.fails_done[pos] = done + 1
                    entry = "fail"
                else:
                    self.pos += 1
        if entry == "fail":
            return h._reply(500, b'{"errorMessage":"scripted failure",'
                            b'"errorType":"ServiceException"}')
        if entry is None:
            # No more events: hold the request, as Lambda would.
            self.stopping.wait()
            return h._reply(500, b"{}")
        if entry.get("delay_ms"):
            time.sleep(entry["delay_ms"] / 1000.0)
        rid = entry.get("id", "req-%d" % (pos + 1))
        if "raw" in entry:
            body = entry["raw"].encode()
        else:
            body = json.dumps(entry.get("event")).encode()
        deadline = int(time.time() * 1000) + entry.get("deadline_in_ms", 60000)
        trace = entry.get("trace_id",
                          "Root=1-00000000-%024d;Sampled=0" % (pos + 1))
        with self.lock:
            self.served[rid] = time.time()
        h._reply(200, body, {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": rid,
            "Lambda-Runtime-Deadline-Ms": str(deadline),
            "Lambda-Runtime-Trace-Id": trace,
            "Lambda-Runtime-Invoked-Function-Arn":
                "arn:aws:lambda:us-east-1:000000000000:function:baton",
        })

    def _post(self, h, body):
        path = h.path
        rec = {"time": time.time(),
               "headers": {k.lower(): v for k, v in h.headers.items()},
               "raw": body.decode("utf-8", "replace")}
        try:
            rec["body"] = json.loads(body) if body else None
        except ValueError:
            rec["body"] = None
        if path == PREFIX + "/init/error":
            rec["kind"] = "init_error"
            rec["id"] = None
        elif path.startswith(PREFIX + "/invocation/") and (
                path.endswith("/response") or path.endswith("/error")):
            parts = path[len(PREFIX + "/invocation/"):].rsplit("/", 1)
            rec["id"], rec["kind"] = parts[0], parts[1]
            with self.lock:
                if rec["id"] not in self.served:
                    return h._reply(400, b'{"errorMessage":"unknown request"}')
                rec["served"] = self.served[rec["id"]]
        else:
            return h._reply(404, b'{"errorMessage":"not found"}')
        with self.cond:
            self.records.append(rec)
            self.cond.notify_all()
        if self.on_record:
            self.on_record(rec, self.records)
        h._reply(202, b'{"status":"OK"}')


class Checks:
    """A test's named outcomes: check(name, cond, detail) prints "ok NAME"
    or "FAIL NAME DETAIL"; summary() prints "N passed, N failed" and
    returns the exit status."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s %s" % (name, detail))

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def run_bootstrap(bootstrap, script, env, answers=None, timeout=120):
    """Runs the runtime `bootstrap` with environment `env` (plus
    AWS_LAMBDA_RUNTIME_API) against a stand-in serving `script` until
    `answers` answers are recorded (default: one per entry), then stops
    the stand-in; the runtime exits after its /next retries. Returns
    (records by id, all records, exit code, stdout, stderr, stand-in)."""
    s = RuntimeStandin(script).start()
    env = dict(env, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % s.port)
    p = subprocess.Popen([bootstrap], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    n = len(script) if answers is None else answers
    if not s.wait_records(n, timeout):
        print("timed out waiting for %d answers (got %d)"
              % (n, len(s.records)))
    s.stop()
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    by_id = {r["id"]: r for r in s.records}
    return by_id, s.records, p.returncode, out, err, s


def base_env(drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                   "AWS_SESSION_TOKEN", "BATON_PROCESS",
                   "BATON_MODELS_DIR")):
    """This process's environment without the variables a runtime test
    sets itself."""
    return {k: v for k, v in os.environ.items() if k not in drop}


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1]) as f:
        script = json.load(f)
    out = argv[2] if len(argv) > 2 else None

    def on_record(rec, records):
        print(json.dumps(rec), flush=True)
        if out:
            with open(out, "w") as f:
                json.dump(records, f)

    s = RuntimeStandin(script, on_record).start()
    print("PORT %d" % s.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
