"""Loading the library: BATON_LIBRARY, the package folder, the system, and
one ImportError that lists every place tried. Each case imports `baton` in
a fresh interpreter."""

import os
import shutil
import subprocess
import sys

import pytest

import baton
from baton import _loader
from conftest import BINDING, child_env

PROBE = ("import baton; print(baton.library_path); "
         "print(baton.library_version())")


def run_python(code, env, cwd):
    """Runs `code` in a fresh interpreter. `python -c` puts its working
    folder first on sys.path, so `cwd` must be a folder without a `baton`
    package in it (a test's tmp_path), or the child would import whatever
    copy the folder pytest was started from holds."""
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)


def copy_package(tmp_path):
    """A copy of the package alone, so that the source tree's own layout
    plays no part; returns the folder to put on PYTHONPATH."""
    dest = tmp_path / "site"
    shutil.copytree(os.path.join(BINDING, "baton"), str(dest / "baton"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    return dest


def built_library():
    path = os.environ.get("BATON_LIBRARY")
    if not path or not os.path.isfile(path):
        pytest.skip("BATON_LIBRARY does not name the built library")
    return path


def test_bad_baton_library_lists_what_was_tried(tmp_path):
    missing = str(tmp_path / "nowhere" / "libbaton.so")
    r = run_python("import baton", child_env(BATON_LIBRARY=missing,
                                             PYTHONPATH=BINDING),
                   cwd=str(tmp_path))
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "cannot load the libbaton shared library" in r.stderr
    assert "BATON_LIBRARY: " + missing in r.stderr
    assert "Set BATON_LIBRARY" in r.stderr


def test_baton_library_is_the_only_place_tried(tmp_path):
    # Set but wrong: never silently falls back to another copy.
    not_a_library = tmp_path / "libbaton.so"
    not_a_library.write_text("this is not a shared object\n")
    r = run_python("import baton",
                   child_env(BATON_LIBRARY=str(not_a_library),
                             PYTHONPATH=BINDING), cwd=str(tmp_path))
    assert r.returncode != 0
    assert "BATON_LIBRARY: %s:" % not_a_library in r.stderr
    assert "package folder" not in r.stderr
    assert "find_library" not in r.stderr


def test_nothing_found_lists_every_place(tmp_path):
    site = copy_package(tmp_path)
    r = run_python(PROBE, child_env(BATON_LIBRARY=None,
                                    PYTHONPATH=str(site),
                                    LD_LIBRARY_PATH=None), cwd=str(tmp_path))
    if r.returncode == 0:
        pytest.skip("a libbaton is installed on this system: %s"
                    % r.stdout.splitlines()[0])
    assert "ImportError" in r.stderr
    package_dir = str(site / "baton")
    for name in _loader._file_names():
        assert "package folder: %s: no such file" % os.path.join(
            package_dir, name) in r.stderr
    assert "ctypes.util.find_library('baton'): " in r.stderr
    assert "soname: libbaton.so.0: " in r.stderr


def test_library_in_the_package_folder(tmp_path):
    lib = built_library()
    site = copy_package(tmp_path)
    shutil.copy(lib, str(site / "baton" / "libbaton.so.0"))
    r = run_python(PROBE, child_env(BATON_LIBRARY=None,
                                    PYTHONPATH=str(site)), cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    path, version = r.stdout.split()
    assert path == str(site / "baton" / "libbaton.so.0")
    assert version == baton.library_version()


def test_library_found_by_the_system_loader(tmp_path):
    lib = built_library()
    site = copy_package(tmp_path)
    r = run_python(PROBE, child_env(BATON_LIBRARY=None,
                                    PYTHONPATH=str(site),
                                    LD_LIBRARY_PATH=os.path.dirname(lib)),
                   cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    path, version = r.stdout.split()
    assert "libbaton" in path
    assert version == baton.library_version()


class FakeFunction(object):
    def __init__(self, value):
        self.value = value

    def __call__(self):
        return self.value


class FakeLibrary(object):
    def __init__(self, number, text):
        self.baton_version_number = FakeFunction(number)
        self.baton_version = FakeFunction(text)


def test_major_version_is_checked():
    assert _loader._check(FakeLibrary(_loader.MAJOR * 10000 + 907,
                                      b"0.9.7")) is None
    problem = _loader._check(FakeLibrary(10203, b"1.2.3"))
    assert "libbaton 1.2.3 has major version 1" in problem
    assert "written for major version 0" in problem


def test_not_libbaton_is_refused():
    assert "not libbaton" in _loader._check(object())


def test_loaded_library_matches():
    assert baton.library_version_number() // 10000 == _loader.MAJOR
    assert baton.library_version().count(".") == 2
    assert os.environ.get("BATON_LIBRARY") in (None, baton.library_path) \
        or baton.library_path == os.path.abspath(
            os.environ["BATON_LIBRARY"])
