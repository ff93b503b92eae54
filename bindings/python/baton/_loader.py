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


def load():
    """Returns (the CDLL, the path or name it was loaded from)."""
    tried = []
    for where, path, must_exist in _candidates():
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
        problem = _check(lib)
        if problem:
            tried.append("%s: %s: %s" % (where, path, problem))
            continue
        return lib, path
    raise ImportError(
        "baton: cannot load the libbaton shared library. Tried:\n  "
        + "\n  ".join(tried)
        + "\nSet BATON_LIBRARY to the full path of libbaton (for example "
        "build/lib/libbaton.so), or install the library (meson install).")
