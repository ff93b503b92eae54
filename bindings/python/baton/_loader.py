"""Finds and loads libbaton: one loader, every failure reported.

The places, in order:

1. ``BATON_LIBRARY``: the exact path of the shared library. When it is set
   it is the only place tried, so that a wrong path is an error instead of
   silently loading some other copy of the library.
2. The package folder: a library shipped inside the ``baton`` package.
3. The system: ``ctypes.util.find_library('baton')``, then the soname
   (``libbaton.so.0``), which the dynamic loader looks up in its own paths
   (``LD_LIBRARY_PATH``, the ld.so cache).

A library that loads but is not libbaton, or has another major version
than the one this package was written for, is refused like one that does
not load. When nothing is left, one ImportError lists every place tried
and why each failed.

libbaton-host, the durable host (baton.Store, baton.Worker), is loaded
the same way, on first use rather than at import (load_host()):
``BATON_HOST_LIBRARY`` (the only place tried when set), the package
folder, the folder of the loaded libbaton and its ``host`` subfolder (the
layout of a build tree: build/lib/libbaton.so, build/lib/host/), then
``ctypes.util.find_library('baton-host')`` and the soname
(``libbaton-host.so.0``).

libbaton-lambda (baton.Lambda, Worker.lambda_task()) likewise, on first
use (load_lambda()): ``BATON_LAMBDA_LIBRARY`` (the only place tried when
set), the package folder, the folders of the loaded libbaton and
libbaton-host and their ``lambda`` folders (build/lib/lambda/ in a build
tree), ``ctypes.util.find_library('baton-lambda')`` and the soname
(``libbaton-lambda.so.0``).
"""

import ctypes
import ctypes.util
import os
import sys

#: The major version of libbaton this package is written for.
MAJOR = 0


def _file_names():
    """The library's file names on this platform, the versioned one first."""
    if sys.platform == "darwin":
        return ["libbaton.%d.dylib" % MAJOR, "libbaton.dylib"]
    if sys.platform in ("win32", "cygwin"):
        return ["baton-%d.dll" % MAJOR, "baton.dll", "libbaton.dll"]
    return ["libbaton.so.%d" % MAJOR, "libbaton.so"]


def _candidates():
    """(where, path or None, must exist as a file)."""
    env = os.environ.get("BATON_LIBRARY")
    if env:
        yield "BATON_LIBRARY", os.path.abspath(env), False
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _file_names():
        yield "package folder", os.path.join(here, name), True
    yield "ctypes.util.find_library('baton')", \
        ctypes.util.find_library("baton"), False
    yield "soname", _file_names()[0], False


def _check(lib):
    """None when `lib` is a libbaton this package can use, else why not."""
    try:
        number = lib.baton_version_number
        text = lib.baton_version
    except AttributeError:
        return "not libbaton (it has no baton_version_number)"
    number.argtypes = []
    number.restype = ctypes.c_int
    text.argtypes = []
    text.restype = ctypes.c_char_p
    major = number() // 10000
    if major != MAJOR:
        return ("libbaton %s has major version %d; this package is written "
                "for major version %d" % (text().decode("ascii", "replace"),
                                          major, MAJOR))
    return None


def _load_first(candidates, check, intro, hint):
    """Loads the first candidate that `check` accepts; else one
    ImportError that lists every place tried and why each failed."""
    tried = []
    for where, path, must_exist in candidates:
        if path is None:
            tried.append("%s: not found" % where)
            continue
        if must_exist and not os.path.isfile(path):
            tried.append("%s: %s: no such file" % (where, path))
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            # dlerror() usually names the file already.
            reason = str(e) if path in str(e) else "%s: %s" % (path, e)
            tried.append("%s: %s" % (where, reason))
            continue
        problem = check(lib)
        if problem:
            tried.append("%s: %s: %s" % (where, path, problem))
            continue
        return lib, path
    raise ImportError(intro + " Tried:\n  " + "\n  ".join(tried) + "\n"
                      + hint)


def load():
    """Returns (the CDLL, the path or name it was loaded from)."""
    return _load_first(
        _candidates(), _check,
        "baton: cannot load the libbaton shared library.",
        "Set BATON_LIBRARY to the full path of libbaton (for example "
        "build/lib/libbaton.so), or install the library (meson install).")


# ------------------------------------------------------------ libbaton-host

def _host_file_names():
    """libbaton-host's file names on this platform, the versioned one
    first."""
    if sys.platform == "darwin":
        return ["libbaton-host.%d.dylib" % MAJOR, "libbaton-host.dylib"]
    if sys.platform in ("win32", "cygwin"):
        return ["baton-host-%d.dll" % MAJOR, "baton-host.dll",
                "libbaton-host.dll"]
    return ["libbaton-host.so.%d" % MAJOR, "libbaton-host.so"]


def _host_candidates(libbaton_path=None):
    """(where, path or None, must exist as a file) for libbaton-host;
    `libbaton_path` is where libbaton was loaded from."""
    env = os.environ.get("BATON_HOST_LIBRARY")
    if env:
        yield "BATON_HOST_LIBRARY", os.path.abspath(env), False
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _host_file_names():
        yield "package folder", os.path.join(here, name), True
    if libbaton_path and os.path.dirname(libbaton_path):
        beside = os.path.dirname(os.path.abspath(libbaton_path))
        for folder in (beside, os.path.join(beside, "host")):
            for name in _host_file_names():
                yield "beside libbaton", os.path.join(folder, name), True
    yield "ctypes.util.find_library('baton-host')", \
        ctypes.util.find_library("baton-host"), False
    yield "soname", _host_file_names()[0], False


def _check_host(lib):
    """None when `lib` is a libbaton-host, else why not."""
    try:
        lib.baton_host_open
        version = lib.baton_host_schema_version
    except AttributeError:
        return "not libbaton-host (it has no baton_host_open)"
    version.argtypes = []
    version.restype = ctypes.c_int
    if version() < 1:
        return "not libbaton-host (it writes schema version %d)" % version()
    return None


def load_host(libbaton_path=None):
    """Returns (the CDLL of libbaton-host, the path or name it was loaded
    from); `libbaton_path` is where libbaton was loaded from."""
    return _load_first(
        _host_candidates(libbaton_path), _check_host,
        "baton: cannot load the libbaton-host shared library (the durable "
        "host, for baton.Store and baton.Worker).",
        "Set BATON_HOST_LIBRARY to the full path of libbaton-host (for "
        "example build/lib/host/libbaton-host.so), or install the library "
        "(meson install).")


# ---------------------------------------------------------- libbaton-lambda

def _lambda_file_names():
    """libbaton-lambda's file names on this platform, the versioned one
    first."""
    if sys.platform == "darwin":
        return ["libbaton-lambda.%d.dylib" % MAJOR, "libbaton-lambda.dylib"]
    if sys.platform in ("win32", "cygwin"):
        return ["baton-lambda-%d.dll" % MAJOR, "baton-lambda.dll",
                "libbaton-lambda.dll"]
    return ["libbaton-lambda.so.%d" % MAJOR, "libbaton-lambda.so"]


def _lambda_candidates(beside=()):
    """(where, path or None, must exist as a file) for libbaton-lambda;
    `beside` are the paths libbaton and libbaton-host were loaded from."""
    env = os.environ.get("BATON_LAMBDA_LIBRARY")
    if env:
        yield "BATON_LAMBDA_LIBRARY", os.path.abspath(env), False
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _lambda_file_names():
        yield "package folder", os.path.join(here, name), True
    folders = []
    for path in beside:
        if path and os.path.dirname(path):
            folder = os.path.dirname(os.path.abspath(path))
            # The layout of a build tree: build/lib/libbaton.so,
            # build/lib/host/, build/lib/lambda/.
            for f in (folder, os.path.join(folder, "lambda"),
                      os.path.join(os.path.dirname(folder), "lambda")):
                if f not in folders:
                    folders.append(f)
    for folder in folders:
        for name in _lambda_file_names():
            yield "beside libbaton", os.path.join(folder, name), True
    yield "ctypes.util.find_library('baton-lambda')", \
        ctypes.util.find_library("baton-lambda"), False
    yield "soname", _lambda_file_names()[0], False


def _check_lambda(lib):
    """None when `lib` is a libbaton-lambda, else why not."""
    try:
        lib.baton_lambda_new
        lib.baton_lambda_host_handler
    except AttributeError:
        return "not libbaton-lambda (it has no baton_lambda_new)"
    return None


def load_lambda(beside=()):
    """Returns (the CDLL of libbaton-lambda, the path or name it was
    loaded from); `beside` are the paths of the libraries loaded before
    (libbaton, libbaton-host), whose folders are searched."""
    return _load_first(
        _lambda_candidates(beside), _check_lambda,
        "baton: cannot load the libbaton-lambda shared library (AWS Lambda "
        "functions as tasks, for baton.Lambda).",
        "Set BATON_LAMBDA_LIBRARY to the full path of libbaton-lambda (for "
        "example build/lib/lambda/libbaton-lambda.so), or install the "
        "library (meson install).")
