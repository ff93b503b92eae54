"""examples/python/trip_booking.py, run from the source tree and from a
fresh virtual environment with the package installed by pip, offline."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import BINDING, EXAMPLE, SOURCE_ROOT, child_env

HAPPY = "happy path: ReserveCar, BookHotel, BookFlight -> Trip booked"
FAILING = ("failing path: ReserveCar, BookHotel, BookFlight, CancelHotel, "
           "CancelCar -> Trip cancelled")
# The distribution's Python, which a fresh machine has; venvs of pyenv or
# other builds may lack ensurepip.
SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
    else sys.executable


def library():
    path = os.environ.get("BATON_LIBRARY")
    if not path or not os.path.isfile(path):
        pytest.skip("BATON_LIBRARY does not name the built library")
    return path


def run(argv, env, cwd=None, timeout=120):
    return subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=timeout)


def assert_both_paths(output):
    assert HAPPY in output, output
    assert FAILING in output, output
    assert "UNEXPECTED" not in output
    # Compensation in reverse order of completion.
    assert output.index("cancels HOTEL-1") < output.index("cancels CAR-1")


def test_example_from_the_source_tree(tmp_path):
    r = run([sys.executable, EXAMPLE],
            child_env(BATON_LIBRARY=library(), PYTHONPATH=BINDING),
            cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout
    assert_both_paths(r.stdout)


def test_example_finds_the_package_in_the_tree(tmp_path):
    # Without PYTHONPATH the example falls back to bindings/python.
    r = run([sys.executable, EXAMPLE, "--case", "flight"],
            child_env(BATON_LIBRARY=library(), PYTHONPATH=None),
            cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout
    assert FAILING in r.stdout and HAPPY not in r.stdout


def test_example_reports_a_surprise(tmp_path):
    # The Zeebe form of the saga types its jobs "lambda": none of the
    # example's handlers run and the instance waits, which the example
    # must report as a failure.
    other = os.path.join(SOURCE_ROOT, "examples", "trip-booking",
                         "trip-booking.bpmn")
    r = run([sys.executable, EXAMPLE, other, "--case", "happy"],
            child_env(BATON_LIBRARY=library(), PYTHONPATH=BINDING),
            cwd=str(tmp_path))
    assert r.returncode == 1, r.stdout
    assert "UNEXPECTED" in r.stdout


def test_example_reports_a_bad_model(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text("<definitions>\n<oops></definitions>\n")
    r = run([sys.executable, EXAMPLE, str(bad)],
            child_env(BATON_LIBRARY=library(), PYTHONPATH=BINDING),
            cwd=str(tmp_path))
    assert r.returncode == 2
    assert "bad.bpmn:2" in r.stdout


def test_pip_install_into_a_fresh_venv(tmp_path):
    """`pip install --no-index --no-build-isolation bindings/python` in a
    new venv of the system Python, then the example with that venv's
    Python. The package is installed from a copy of bindings/python so
    that no build output lands in the source tree."""
    lib = library()
    venv = tmp_path / "venv"
    env = child_env(PYTHONPATH=None, PYTHONHOME=None, PYTHONNOUSERSITE="1",
                    PIP_NO_CACHE_DIR="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
                    PIP_NO_INPUT="1", BATON_LIBRARY=None, VIRTUAL_ENV=None)
    r = run([SYSTEM_PYTHON, "-m", "venv", str(venv)], env)
    if r.returncode != 0:
        pytest.skip("cannot create a venv with %s (on Debian: apt-get "
                    "install python3-venv): %s"
                    % (SYSTEM_PYTHON, r.stdout.strip().splitlines()[-1:]))
    python = str(venv / "bin" / "python")
    if run([python, "-m", "pip", "--version"], env).returncode != 0:
        pytest.skip("the new venv has no pip (ensurepip unavailable)")

    source = tmp_path / "bindings-python"
    shutil.copytree(BINDING, str(source), ignore=shutil.ignore_patterns(
        "__pycache__", "build", "*.egg-info", ".pytest_cache"))
    r = run([python, "-m", "pip", "install", "--no-index",
             "--no-build-isolation", str(source)], env, cwd=str(tmp_path),
            timeout=300)
    assert r.returncode == 0, r.stdout

    where = run([python, "-c", "import baton; print(baton.__file__)"],
                child_env(PYTHONPATH=None, BATON_LIBRARY=lib),
                cwd=str(tmp_path))
    assert where.returncode == 0, where.stdout
    assert where.stdout.strip().startswith(str(venv)), where.stdout

    r = run([python, EXAMPLE],
            child_env(PYTHONPATH=None, BATON_LIBRARY=lib),
            cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout
    assert_both_paths(r.stdout)

    # Without the library the installed package says where it looked.
    r = run([python, "-c", "import baton"],
            child_env(PYTHONPATH=None, BATON_LIBRARY=str(tmp_path / "no.so")),
            cwd=str(tmp_path))
    assert r.returncode != 0
    assert "BATON_LIBRARY: " in r.stdout
