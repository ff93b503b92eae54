#!/usr/bin/env python3
"""The Lambda deployment package (examples/lambda/package.sh): builds it
into a temporary folder, checks its contents, extracts it and runs the
bootstrap from it, with LD_LIBRARY_PATH=<extract>/lib as Lambda does,
against the Runtime API stand-in (tests/lambda/runtime_standin.py) for
one direct invocation.

Usage: test_lambda_zip.py PACKAGE.sh BOOTSTRAP STANDIN.py MODEL.bpmn...
Ends with "N passed, N failed".
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

PACKAGE, BOOTSTRAP, STANDIN = sys.argv[1], sys.argv[2], sys.argv[3]
MODELS = sys.argv[4:]

sys.path.insert(0, os.path.dirname(os.path.abspath(STANDIN)))
import runtime_standin as standin_mod  # noqa: E402

check = standin_mod.Checks()


def vkey(v):
    return tuple(int(p) for p in v.split("."))


def needed_glibc(path):
    """The newest GLIBC_x.y that `path` asks for, from its version needs
    (readelf -V), or None."""
    p = subprocess.run(["readelf", "-V", "-W", path], capture_output=True,
                       text=True)
    need = p.stdout.split(".gnu.version_r")[-1] \
        if ".gnu.version_r" in p.stdout else ""
    vs = re.findall(r"Name: GLIBC_([0-9][0-9.]*)", need)
    return max(vs, key=vkey) if vs else None


def check_glibc(x, built):
    """package.sh's glibc line and warning against readelf's reading of
    the extracted files."""
    if not shutil.which("readelf") or not shutil.which("objdump"):
        print("skip glibc check: no binutils")
        return
    files = ["bootstrap"] + ["lib/" + n for n in sorted(os.listdir(
        os.path.join(x, "lib")))]
    need = {f: needed_glibc(os.path.join(x, f)) for f in files}
    need = {f: v for f, v in need.items() if v}
    newest = max(need.values(), key=vkey)
    check("package.sh prints the newest glibc the package needs",
          "glibc: the package needs %s (target 2.34)" % newest
          in built.stdout, built.stdout)
    too_new = sorted(f for f, v in need.items() if vkey(v) > vkey("2.34"))
    m = re.search(r"glibc 2\.34 \(docs/lambda\.md\):(.*)", built.stderr)
    listed = sorted(w.split("(")[0] for w in m.group(1).split()) if m else []
    check("package.sh warns of exactly the files glibc 2.34 cannot load",
          listed == too_new and (m is not None) == bool(too_new),
          "%s != %s\n%s" % (listed, too_new, built.stderr))
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run(["sh", PACKAGE, BOOTSTRAP,
                            os.path.join(d, "p.zip")],
                           env=dict(os.environ, BATON_LAMBDA_GLIBC=newest),
                           capture_output=True, text=True)
    check("no warning for a target with the newest glibc needed",
          p.returncode == 0 and "warning" not in p.stderr
          and "(target %s)" % newest in p.stdout, p.stdout + p.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="baton-lambda-zip-")
    try:
        out = os.path.join(tmp, "baton-lambda.zip")
        p = subprocess.run(["sh", PACKAGE, BOOTSTRAP, out] + MODELS,
                           capture_output=True, text=True)
        check("package.sh succeeds", p.returncode == 0, p.stderr)
        if p.returncode != 0:
            return
        built = p

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

        check_glibc(x, built)

        libdir = os.path.join(x, "lib")
        env = standin_mod.base_env()
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
        env.update({"LAMBDA_TASK_ROOT": x,
                    "BATON_STORE": "sqlite:" + os.path.join(tmp, "baton.db"),
                    "AWS_REGION": "us-east-1"})
        _, records, _, _, se, _ = standin_mod.run_bootstrap(
            os.path.join(x, "bootstrap"), script, env, None, 60)
        got = len(records) == 1
        r = records[0] if records else None
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
sys.exit(check.summary())
