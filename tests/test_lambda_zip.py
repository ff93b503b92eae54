#!/usr/bin/env python3
"""The Lambda deployment package (examples/lambda/package.sh): builds it
into a temporary folder, checks its contents, extracts it and runs the
bootstrap from it, with LD_LIBRARY_PATH=<extract>/lib as Lambda does,
against the Runtime API stand-in (tests/lambda/runtime_standin.py) for
one direct invocation.

Usage: test_lambda_zip.py PACKAGE.sh BOOTSTRAP STANDIN.py MODEL.bpmn...
Ends with "N passed, N failed".
"""
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile

PACKAGE, BOOTSTRAP, STANDIN = sys.argv[1], sys.argv[2], sys.argv[3]
MODELS = sys.argv[4:]

spec = importlib.util.spec_from_file_location("runtime_standin", STANDIN)
standin_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(standin_mod)

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


def main():
    tmp = tempfile.mkdtemp(prefix="baton-lambda-zip-")
    try:
        out = os.path.join(tmp, "baton-lambda.zip")
        p = subprocess.run(["sh", PACKAGE, BOOTSTRAP, out] + MODELS,
                           capture_output=True, text=True)
        check("package.sh succeeds", p.returncode == 0, p.stderr)
        if p.returncode != 0:
            return

        # The listing, as `python3 -m zipfile -l` shows it.
        p = subprocess.run([sys.executable, "-m", "zipfile", "-l", out],
                           capture_output=True, text=True)
        listing = p.stdout
        check("python3 -m zipfile -l reads it", p.returncode == 0, p.stderr)
        with zipfile.ZipFile(out) as z:
            names = set(z.namelist())
            for n in ("bootstrap", "lib/libbaton.so.0",
                      "lib/libbaton-host.so.0", "lib/libbaton-lambda.so.0"):
                check("contains " + n, n in names and n in listing)
            for m in MODELS:
                n = "models/" + os.path.basename(m)
                check("contains " + n, n in names and n in listing)
            glibc = [n for n in names if n.startswith("lib/libc.so")
                     or n.startswith("lib/ld-linux")]
            check("no glibc in lib/", not glibc, glibc)
            mode = z.getinfo("bootstrap").external_attr >> 16
            check("bootstrap is executable in the zip",
                  mode & 0o111 == 0o111, oct(mode))

            x = os.path.join(tmp, "task")
            z.extractall(x)
            # zipfile does not restore modes; unzip and Lambda do.
            for info in z.infolist():
                m = (info.external_attr >> 16) & 0o777
                if m:
                    os.chmod(os.path.join(x, info.filename), m)

        libdir = os.path.join(x, "lib")
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = libdir
        p = subprocess.run(["ldd", os.path.join(x, "bootstrap")], env=env,
                           capture_output=True, text=True)
        lines = [l for l in p.stdout.splitlines() if "libbaton" in l]
        check("the Baton libraries load from lib/",
              len(lines) == 3 and all(libdir in l for l in lines),
              p.stdout)

        # One direct invocation of the seed's Zeebe model: without
        # credentials its Lambda tasks have no worker, so it waits.
        script = [{"id": "direct", "event": {
            "process": "trip-booking", "variables": {"trip": "T1"}}}]
        s = standin_mod.RuntimeStandin(script).start()
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                  "AWS_SESSION_TOKEN", "BATON_PROCESS", "BATON_MODELS_DIR"):
            env.pop(k, None)
        env.update({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % s.port,
                    "LAMBDA_TASK_ROOT": x,
                    "BATON_STORE": "sqlite:" + os.path.join(tmp, "baton.db"),
                    "AWS_REGION": "us-east-1"})
        proc = subprocess.Popen([os.path.join(x, "bootstrap")], env=env,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        got = s.wait_records(1, 60)
        s.stop()
        try:
            so, se = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            so, se = proc.communicate()
        r = s.records[0] if s.records else None
        b = r.get("body") if r else None
        ok = (got and r["kind"] == "response" and isinstance(b, dict)
              and b.get("processId") == "trip-booking"
              and b.get("state") == "WAITING")
        check("bootstrap from the zip answers a direct invocation", ok,
              "%r\n%s" % (r, se))
        check("models deployed from $LAMBDA_TASK_ROOT/models",
              all("deployed " + os.path.basename(m) in se for m in MODELS),
              se)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
