#!/usr/bin/env python3
"""`baton ops` over real HTTP: a real `baton ops` process serving a real
SQLite store made with the `baton` tool. Every action is checked in the
store with `baton instance KEY --json`, and every refusal is checked to
have changed nothing.

usage: test_ops_http.py BATON   (exit status 77: skipped, when the build
has no `baton ops`, BATON_OPS_BUILT=0, or python3-pytest is missing)
"""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["BATON"] = sys.argv[1]
    if os.environ.get("BATON_OPS_BUILT") == "0":
        print("skipped: this build has no `baton ops`")
        sys.exit(77)
try:
    import pytest
except ImportError:
    # Debian's python3-pytest belongs to the system's interpreter, which
    # may not be the first python3 on PATH.
    SYSTEM = "/usr/bin/python3"
    if (__name__ == "__main__" and
            os.path.realpath(sys.executable) != os.path.realpath(SYSTEM)
            and os.access(SYSTEM, os.X_OK) and subprocess.run(
                [SYSTEM, "-c", "import pytest"],
                capture_output=True).returncode == 0):
        os.execv(SYSTEM, [SYSTEM] + sys.argv)
    print("skipped: python3-pytest is not installed")
    sys.exit(77)

BATON = os.environ.get("BATON", "baton")
TOKEN = "s3cr3t-T0ken-for-ops-tests.xyz"
# A job type that needs each escape of the text format's label values.
ODD_TYPE = 'pay"me\\x\ny'

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
             id="Ops" targetNamespace="urn:baton:tests">
  <process id="Order" isExecutable="true">
    <startEvent id="Placed" />
    <sequenceFlow id="f1" sourceRef="Placed" targetRef="Reserve" />
    <serviceTask id="Reserve"><extensionElements>
      <zeebe:taskDefinition type="reserve" /></extensionElements></serviceTask>
    <sequenceFlow id="f2" sourceRef="Reserve" targetRef="Done" />
    <endEvent id="Done" />
  </process>
  <process id="Fragile" isExecutable="true">
    <startEvent id="FStart" />
    <sequenceFlow id="g1" sourceRef="FStart" targetRef="Risky" />
    <serviceTask id="Risky"><extensionElements>
      <zeebe:taskDefinition type="fragile" /></extensionElements></serviceTask>
    <sequenceFlow id="g2" sourceRef="Risky" targetRef="FEnd" />
    <endEvent id="FEnd" />
  </process>
  <process id="Odd" isExecutable="true">
    <startEvent id="OStart" />
    <sequenceFlow id="h1" sourceRef="OStart" targetRef="Charge" />
    <serviceTask id="Charge"><extensionElements>
      <zeebe:taskDefinition type="pay&quot;me\\x&#10;y" /></extensionElements></serviceTask>
    <sequenceFlow id="h2" sourceRef="Charge" targetRef="OEnd" />
    <endEvent id="OEnd" />
  </process>
</definitions>
"""

CSP = ("default-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; script-src 'self'; frame-ancestors 'none'")


def baton(*args, check=True):
    p = subprocess.run([BATON] + list(args), capture_output=True, text=True,
                       timeout=60)
    if check and p.returncode != 0:
        raise AssertionError("baton %s: %d %s" % (args, p.returncode,
                                                   p.stderr))
    return p


class Store:
    """A store with instances of every kind the tests act on."""

    def __init__(self, folder):
        self.uri = "sqlite:" + os.path.join(folder, "ops.db")
        model = os.path.join(folder, "ops.bpmn")
        with open(model, "w") as f:
            f.write(MODEL)
        baton("deploy", "--store", self.uri, model)
        self.keys = {}
        for name in ("retries", "variables", "cancel", "readonly",
                     "csrf", "unchanged"):
            self.keys[name] = self.start(
                "Order", {"markup": "<script>alert(1)</script>"}, name)
        self.keys["incident"] = self.start("Fragile", {}, "fragile-1")
        job = json.loads(baton("jobs", "activate", "--store", self.uri,
                               "fragile", "--worker", "t").stdout)
        baton("jobs", "fail", "--store", self.uri, str(job["key"]),
              "--retries", "0", "--message", "card declined")
        self.keys["odd"] = self.start("Odd", {}, "odd-1")
        baton("jobs", "activate", "--store", self.uri, ODD_TYPE,
              "--worker", "t")

    def start(self, process, variables, business_key):
        out = baton("start", "--store", self.uri, process, "--vars",
                    json.dumps(variables), "--business-key", business_key)
        return int(out.stdout.strip())

    def instance(self, key):
        return json.loads(baton("instance", "--store", self.uri, str(key),
                                "--json").stdout)


class Server:
    """A running `baton ops`, stopped with SIGTERM."""

    def __init__(self, store, *args, env=None):
        self.proc = subprocess.Popen(
            [BATON, "ops", "--store", store.uri, "--listen", "127.0.0.1:0"]
            + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env)
        line = self.proc.stdout.readline()
        m = re.fullmatch(r"baton ops: listening on http://([^/]+):(\d+)/\n",
                         line)
        if not m:
            self.proc.kill()
            raise AssertionError("no listening line: %r %s" %
                                 (line, self.proc.stderr.read()))
        self.host, self.port = m.group(1), int(m.group(2))
        self.responses = []  # every body and header seen, for secrets

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Host": "127.0.0.1:%d" % self.port}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        self.responses.append((r.status, r.getheaders(), data))
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def json(self, method, path, body=None, headers=None):
        status, h, data = self.request(method, path, body, headers)
        assert h["content-type"] == "application/json; charset=utf-8", h
        return status, json.loads(data)

    def post(self, path, body, csrf, headers=None):
        h = {"Content-Type": "application/json", "X-CSRF-Token": csrf,
             "Origin": "http://127.0.0.1:%d" % self.port}
        h.update(headers or {})
        return self.json("POST", path, body, h)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err
        # under -Db_sanitize=address,undefined
        assert "Sanitizer" not in err and "runtime error" not in err, err
        return err


@pytest.fixture(scope="module")
def store():
    with tempfile.TemporaryDirectory() as d:
        yield Store(d)


@pytest.fixture(scope="module")
def server(store):
    s = Server(store)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def csrf(server):
    return server.json("GET", "/api/session")[1]["csrf"]


# ---- Reading ---------------------------------------------------------

def test_session_and_headers(server):
    status, h, data = server.request("GET", "/api/session")
    assert status == 200
    s = json.loads(data)
    assert re.fullmatch(r"[0-9a-f]{64}", s["csrf"])
    assert s["readOnly"] is False and s["store"] == "sqlite"
    assert "baton " + s["version"] == baton("--version").stdout.strip()
    assert h["content-security-policy"] == CSP
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["cache-control"] == "no-store"


def test_processes_and_model(server):
    status, procs = server.json("GET", "/api/processes")
    assert status == 200
    assert {(p["processId"], p["version"]) for p in procs} == {
        ("Order", 1), ("Fragile", 1), ("Odd", 1)}
    status, h, data = server.request("GET", "/api/processes/Order/1/xml")
    assert status == 200 and h["content-type"].startswith("application/xml")
    assert b'<process id="Order"' in data
    assert server.json("GET", "/api/processes/Nope/1/xml")[0] == 404
    assert server.json("GET", "/api/processes/Order/2/xml")[0] == 404
    status, body = server.json("GET", "/api/processes/Order/x/xml")
    assert status == 400 and "version" in body["error"]
    assert server.json("GET", "/api/processes/Order/0/xml")[0] == 400


def test_instances_filters_and_paging(server, store):
    status, page = server.json("GET", "/api/instances?process=Order")
    assert status == 200 and page["next"] is None
    assert {i["processId"] for i in page["instances"]} == {"Order"}
    assert len(page["instances"]) == 6
    # incidents first
    status, page = server.json("GET", "/api/instances")
    assert page["instances"][0]["key"] == store.keys["incident"]
    assert page["instances"][0]["state"] == "INCIDENT"
    status, page = server.json("GET", "/api/instances?businessKey=odd-1")
    assert [i["key"] for i in page["instances"]] == [store.keys["odd"]]
    status, page = server.json("GET", "/api/instances?state=INCIDENT")
    assert [i["key"] for i in page["instances"]] == [store.keys["incident"]]
    status, page = server.json(
        "GET", "/api/instances?process=Order&version=1&limit=4")
    assert len(page["instances"]) == 4 and page["next"]
    status, rest = server.json(
        "GET", "/api/instances?process=Order&version=1&limit=4&cursor=" +
        page["next"].replace("+", "%2B"))
    assert status == 200 and rest["next"] is None
    seen = [i["key"] for i in page["instances"] + rest["instances"]]
    assert len(set(seen)) == 6
    for bad in ("state=DONE", "limit=0", "limit=1001", "limit=x",
                "version=1", "process=Order&version=-1", "cursor=%21%21"):
        status, body = server.json("GET", "/api/instances?" + bad)
        assert status == 400 and body["error"], bad


def test_instance(server, store):
    key = store.keys["unchanged"]
    status, inst = server.json("GET", "/api/instances/%d" % key)
    assert status == 200 and inst["key"] == key
    assert inst["variables"]["markup"] == "<script>alert(1)</script>"
    assert inst["history"] and inst["elements"]
    assert inst["jobs"][0]["elementId"] == "Reserve"


def test_static_files(server):
    status, h, data = server.request("GET", "/")
    assert status == 200 and h["content-type"] == "text/html; charset=utf-8"
    assert h["content-security-policy"] == CSP
    for path, kind in (("/app.js", "text/javascript"),
                       ("/app.css", "text/css"),
                       ("/vendor/bpmn-navigated-viewer.js", "text/javascript"),
                       ("/vendor/diagram-js.css", "text/css"),
                       ("/vendor/bpmn-js.css", "text/css")):
        status, h, data = server.request("GET", path)
        assert status == 200 and h["content-type"].startswith(kind), path
        assert len(data) > 0
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                           "ops", "web", "app.js"), "rb") as f:
        assert server.request("GET", "/app.js")[2] == f.read()
    # bpmn-js's license travels with it, linked from every page.
    status, h, data = server.request("GET", "/vendor/bpmn-js-LICENSE.txt")
    assert status == 200 and h["content-type"].startswith("text/plain")
    assert b"bpmn.io project watermark" in data
    assert b'href="/vendor/bpmn-js-LICENSE.txt"' in server.request("GET",
                                                                   "/")[2]


@pytest.mark.parametrize("path,status", [
    ("/nope", 404), ("/api/nope", 404), ("/api", 404), ("/app.js/", 404),
    ("/index.html/..", 400), ("/api/../app.js", 400),
    ("/api/instances/%2e%2e", 400), ("/api/instances/1%2F2", 400),
    ("/api/instances/1%5c2", 400), ("/api/instances/1%002", 400),
    ("/api/instances/abc", 400), ("/api/instances/-1", 400),
    ("/api/instances/0", 400), ("/api/instances/" + "9" * 40, 400),
    ("/api/instances/99999999", 404), ("/a/b/c/d/e/f/g/h/i/j", 404),
    ("//api/session", 404),
])
def test_bad_paths(server, path, status):
    got, body = server.json("GET", path)
    assert got == status and body["error"], (path, body)


def test_wrong_methods(server, csrf, store):
    key = store.keys["unchanged"]
    status, h, data = server.request("GET", "/api/instances/%d/cancel" % key)
    assert status == 405 and h["allow"] == "POST"
    assert json.loads(data)["error"]
    status, body = server.post("/api/session", {}, csrf)
    assert status == 405
    assert server.request("DELETE", "/api/instances/%d" % key)[0] == 405
    assert server.request("POST", "/")[0] == 405
    assert server.request("PUT", "/metrics")[0] == 405
    assert store.instance(key)["state"] == "WAITING"


def test_dns_rebinding_host_refused(server):
    status, body = server.json("GET", "/api/session",
                               headers={"Host": "evil.example:%d" %
                                        server.port})
    assert status == 403 and "Host" in body["error"]
    for host in ("localhost", "127.0.0.2:1", "[::1]:80"):
        assert server.request("GET", "/api/session",
                              headers={"Host": host})[0] == 200, host


# ---- Acting -----------------------------------------------------------

def test_post_refusals_change_nothing(server, csrf, store):
    key = store.keys["csrf"]
    before = store.instance(key)
    path = "/api/instances/%d/cancel" % key
    cases = [
        ({"X-CSRF-Token": ""}, 403),
        ({"X-CSRF-Token": "0" * 64}, 403),
        ({"X-CSRF-Token": csrf[:-1]}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Content-Type": "text/plain"}, 400),
    ]
    for headers, status in cases:
        got, body = server.post(path, {}, csrf, headers)
        assert got == status and body["error"], (headers, body)
    # no CSRF header at all
    got, body = server.json("POST", path, b"{}",
                            {"Content-Type": "application/json"})
    assert got == 403 and "CSRF" in body["error"]
    after = store.instance(key)
    assert after["state"] == "WAITING"
    assert after["revision"] == before["revision"]
    assert len(after["history"]) == len(before["history"])


def test_huge_body_413(server, csrf, store):
    key = store.keys["variables"]
    big = b'{"variables": {"v": "' + b"x" * (1024 * 1024 + 10) + b'"}}'
    path = "/api/instances/%d/variables" % key
    # The answer comes as soon as the headers give the length: the body
    # is never sent (a client that sends it anyway meets a closed socket).
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.putrequest("POST", path, skip_host=True)
    for k, v in (("Host", "127.0.0.1:%d" % server.port),
                 ("Content-Type", "application/json"),
                 ("X-CSRF-Token", csrf), ("Content-Length", str(len(big)))):
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    assert r.status == 413 and json.loads(r.read())["error"]
    c.close()
    # the same without a Content-Length: chunked
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.putrequest("POST", path, skip_host=True)
    for k, v in (("Host", "127.0.0.1:%d" % server.port),
                 ("Content-Type", "application/json"),
                 ("X-CSRF-Token", csrf), ("Transfer-Encoding", "chunked")):
        c.putheader(k, v)
    c.endheaders()
    for off in range(0, len(big), 65536):
        piece = big[off:off + 65536]
        c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    c.send(b"0\r\n\r\n")
    r = c.getresponse()
    assert r.status == 413 and json.loads(r.read())["error"]
    c.close()
    assert "v" not in store.instance(key)["variables"]


def test_set_retries(server, csrf, store):
    key = store.keys["retries"]
    job = store.instance(key)["jobs"][0]["key"]
    path = "/api/jobs/%d/retries" % job
    for bad in ({"retries": 0}, {"retries": 1001}, {"retries": "5"},
                {"retries": 2.5}, {}, {"retries": 5, "extra": 1}, [5]):
        got, body = server.post(path, bad, csrf)
        assert got == 400 and body["error"], bad
    got, body = server.post(path, b'{"retries": 5', csrf)
    assert got == 400 and "not JSON" in body["error"]
    assert store.instance(key)["jobs"][0]["retries"] == 3
    assert server.post(path, {"retries": 7}, csrf) == (200, {"ok": True})
    inst = store.instance(key)
    assert inst["jobs"][0]["retries"] == 7
    assert any(h["record"]["intent"] == "RETRIES_UPDATED"
               for h in inst["history"])
    got, body = server.post("/api/jobs/%d/retries" % (job + 1000),
                            {"retries": 2}, csrf)
    assert got == 404 and body["error"]


def test_set_variables(server, csrf, store):
    key = store.keys["variables"]
    path = "/api/instances/%d/variables" % key
    for bad in ({"variables": []}, {"variables": {}}, {"vars": {"a": 1}},
                {"variables": "a"}):
        got, body = server.post(path, bad, csrf)
        assert got == 400 and body["error"], bad
    value = {"amount": 12.5, "tags": ["a", "<b>"], "markup": "<img src=x>"}
    assert server.post(path, {"variables": value}, csrf) == \
        (200, {"ok": True})
    inst = store.instance(key)
    for k, v in value.items():
        assert inst["variables"][k] == v
    assert server.post("/api/instances/99999999/variables",
                       {"variables": {"a": 1}}, csrf)[0] == 404


def test_resolve_incident(server, csrf, store):
    key = store.keys["incident"]
    inst = store.instance(key)
    assert inst["state"] == "INCIDENT"
    incident = inst["incidents"][0]["key"]
    status, body = server.json("GET", "/api/incidents")
    assert status == 200
    group = [g for g in body["groups"] if key in g["instances"]]
    assert len(group) == 1, body
    g = group[0]
    assert (g["processId"], g["elementId"], g["type"]) == \
        (inst["processId"], inst["incidents"][0]["elementId"],
         inst["incidents"][0]["type"])
    assert g["count"] == len(g["instances"]) and g["message"]
    path = "/api/incidents/%d/resolve" % incident
    assert server.post(path, {"x": 1}, csrf)[0] == 400
    assert server.post(path, {}, csrf) == (200, {"ok": True})
    inst = store.instance(key)
    assert inst["state"] == "WAITING" and inst["incidents"] == []
    assert inst["jobs"][0]["retries"] == 1
    assert any(h["record"]["intent"] == "RESOLVED" for h in inst["history"])
    got, body = server.post(path, {}, csrf)
    assert got in (404, 409) and body["error"]


def test_cancel(server, csrf, store):
    key = store.keys["cancel"]
    path = "/api/instances/%d/cancel" % key
    assert server.post(path, b"", csrf) == (200, {"ok": True})
    assert store.instance(key)["state"] == "TERMINATED"
    got, body = server.post(path, {}, csrf)
    assert got == 409 and body["error"]
    assert server.post("/api/instances/99999999/cancel", {}, csrf)[0] == 404


# ---- Metrics ----------------------------------------------------------

SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        assert m, "bad labels at %r" % text[pos:]
        value = re.sub(r'\\(.)', lambda e: {"n": "\n"}.get(e.group(1),
                                                          e.group(1)),
                       m.group(2))
        labels[m.group(1)] = value
        pos = m.end()
        if pos < len(text):
            assert text[pos] == ",", text
            pos += 1
    return labels


def test_metrics(server, store):
    status, h, data = server.request("GET", "/metrics")
    assert status == 200
    assert h["content-type"].startswith("text/plain; version=0.0.4")
    samples, types = [], {}
    for line in data.decode().split("\n")[:-1]:
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        m = SAMPLE.fullmatch(line)
        assert m, "not a sample line: %r" % line
        float(m.group(4))
        samples.append((m.group(1), parse_labels(m.group(3) or ""),
                        float(m.group(4))))
    assert types == {
        "baton_process_instances": "gauge", "baton_incidents_open": "gauge",
        "baton_element_completions_total": "counter",
        "baton_job_activations_total": "counter",
        "baton_job_failures_total": "counter", "baton_timers_due": "gauge",
        "baton_timer_lag_seconds": "gauge",
        "baton_worker_commit_seconds": "histogram"}
    names = {s[0] for s in samples}
    for n in ("baton_process_instances", "baton_element_completions_total",
              "baton_job_activations_total", "baton_job_failures_total",
              "baton_timers_due", "baton_timer_lag_seconds",
              "baton_worker_commit_seconds_bucket",
              "baton_worker_commit_seconds_sum",
              "baton_worker_commit_seconds_count"):
        assert n in names, n
    odd = [s for s in samples if s[0] == "baton_job_activations_total"
           and s[1] == {"type": ODD_TYPE}]
    assert odd and odd[0][2] == 1
    assert 'type="pay\\"me\\\\x\\ny"' in data.decode()
    failures = [s for s in samples if s[0] == "baton_job_failures_total"
                and s[1] == {"type": "fragile"}]
    assert failures and failures[0][2] == 1
    waiting = [s for s in samples if s[0] == "baton_process_instances" and
               s[1] == {"process_id": "Odd", "version": "1",
                        "state": "WAITING"}]
    assert waiting and waiting[0][2] == 1
    buckets = [s for s in samples
               if s[0] == "baton_worker_commit_seconds_bucket"]
    assert buckets[-1][1] == {"le": "+Inf"}


# ---- Modes: read-only, token, non-loopback ----------------------------

def test_read_only(store):
    s = Server(store, "--read-only")
    try:
        status, session = s.json("GET", "/api/session")
        assert session["readOnly"] is True
        key = store.keys["readonly"]
        before = store.instance(key)
        for path, body in (("/api/instances/%d/cancel" % key, {}),
                           ("/api/instances/%d/variables" % key,
                            {"variables": {"a": 1}}),
                           ("/api/jobs/%d/retries" % before["jobs"][0]["key"],
                            {"retries": 9}),
                           ("/api/nope", {})):
            assert s.post(path, body, session["csrf"]) == \
                (403, {"error": "read-only"})
        after = store.instance(key)
        assert after["revision"] == before["revision"]
        assert after["jobs"][0]["retries"] == 3
        assert s.json("GET", "/api/instances/%d" % key)[0] == 200
    finally:
        s.stop()


def test_token(store):
    with tempfile.NamedTemporaryFile("w", suffix=".token") as f:
        f.write(TOKEN + "\n")
        f.flush()
        s = Server(store, "--token-file", f.name)
        try:
            check_token_server(s, store)
        finally:
            err = s.stop()
    assert TOKEN not in err
    for status, headers, body in s.responses:
        assert TOKEN.encode() not in body
        assert all(TOKEN not in v for k, v in headers), headers


def check_token_server(s, store):
    bearer = {"Authorization": "Bearer " + TOKEN}
    for path in ("/api/session", "/api/processes", "/metrics"):
        status, h, data = s.request("GET", path)
        assert status == 401 and json.loads(data)["error"], path
        assert h["www-authenticate"] == "Bearer"
        assert s.request("GET", path, headers={
            "Authorization": "Bearer " + TOKEN[:-1]})[0] == 401
        assert s.request("GET", path, headers={
            "Authorization": "Bearer " + TOKEN + "x"})[0] == 401
        assert s.request("GET", path, headers=bearer)[0] == 200, path
    status, h, data = s.request("GET", "/")
    assert status == 401 and b'action="/login"' in data
    status, h, data = s.request("GET", "/login")
    assert status == 200 and b'name="token"' in data
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, h, data = s.request("POST", "/login", b"token=wrong", form)
    assert status == 401 and "set-cookie" not in h
    status, h, data = s.request(
        "POST", "/login", b"token=" + TOKEN.encode(),
        dict(form, Origin="http://evil.example"))
    assert status == 403 and "set-cookie" not in h
    status, h, data = s.request("POST", "/login", b"token=" + TOKEN.encode(),
                                form)
    assert status == 303 and h["location"] == "/"
    # The cookie holds a secret of the server's run, not the token.
    cookie = h["set-cookie"]
    m = re.fullmatch(r"baton_ops_session=([0-9a-f]{64}); HttpOnly; "
                     r"SameSite=Strict; Path=/", cookie)
    assert m, cookie
    for wrong in ("baton_ops_session=" + TOKEN,
                  "baton_ops_session=" + m.group(1)[:-1],
                  "baton_ops_token=" + TOKEN):
        assert s.request("GET", "/api/session",
                         headers={"Cookie": wrong})[0] == 401, wrong
    jar = {"Cookie": "baton_ops_session=" + m.group(1)}
    status, session = s.json("GET", "/api/session", headers=jar)
    assert status == 200
    assert s.request("GET", "/", headers=jar)[0] == 200
    # an action with the cookie still needs the CSRF token
    key = store.keys["readonly"]
    status, body = s.post("/api/jobs/%d/retries" % (key + 1),
                          {"retries": 2}, "", jar)
    assert status == 403
    status, body = s.post("/api/instances/%d" % key, {}, session["csrf"],
                          jar)
    assert status == 405


def test_token_from_environment(store):
    env = dict(os.environ, BATON_OPS_TOKEN=TOKEN)
    s = Server(store, env=env)
    try:
        assert s.request("GET", "/api/session")[0] == 401
        assert s.request("GET", "/api/session", headers={
            "Authorization": "Bearer " + TOKEN})[0] == 200
    finally:
        assert TOKEN not in s.stop()


def test_non_loopback_needs_a_token(store):
    env = {k: v for k, v in os.environ.items() if k != "BATON_OPS_TOKEN"}
    p = subprocess.run([BATON, "ops", "--store", store.uri, "--listen",
                        "0.0.0.0:0"], capture_output=True, text=True,
                       timeout=30, env=env)
    assert p.returncode == 1 and p.stdout == ""
    assert "0.0.0.0" in p.stderr and "--token-file" in p.stderr
    assert "BATON_OPS_TOKEN" in p.stderr


def test_non_loopback_with_token_starts(store):
    with tempfile.NamedTemporaryFile("w") as f:
        f.write(TOKEN)
        f.flush()
        p = subprocess.Popen([BATON, "ops", "--store", store.uri, "--listen",
                              "0.0.0.0:0", "--token-file", f.name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        line = p.stdout.readline()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
    assert line.startswith("baton ops: listening on http://0.0.0.0:")
    assert p.returncode == 0 and TOKEN not in err


@pytest.mark.parametrize("args,message", [
    (["--listen", "127.0.0.1"], "ADDR:PORT"),
    (["--listen", "127.0.0.1:99999"], "port"),
    (["--bogus"], "unknown option"),
    (["extra"], "unexpected operand"),
])
def test_usage_errors(store, args, message):
    p = subprocess.run([BATON, "ops", "--store", store.uri] + args,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and message in p.stderr


def test_short_token(store):
    env = dict(os.environ, BATON_OPS_TOKEN="abc123")
    p = subprocess.run([BATON, "ops", "--store", store.uri],
                       capture_output=True, text=True, timeout=30, env=env)
    assert p.returncode == 1 and "abc123" not in p.stderr
    assert "shorter than 16" in p.stderr


def test_bad_token_file(store):
    with tempfile.NamedTemporaryFile("w") as f:
        f.write("two words\n")
        f.flush()
        p = subprocess.run([BATON, "ops", "--store", store.uri,
                            "--token-file", f.name], capture_output=True,
                           text=True, timeout=30)
    assert p.returncode == 1 and "two" not in p.stderr
    assert "token" in p.stderr


if __name__ == "__main__":
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", __file__]))
