"""The durable host (include/baton_host.h): Store and Worker.

libbaton-host is a second shared library; it is loaded on first use (a
Store or a Worker is made), not when `baton` is imported, so a package
without it still imports (see _loader.load_host()). Its functions are
declared like libbaton's: argtypes and restype on every one, and an
errcheck on every one that returns a status, which turns a negative
status into the matching baton.Error carrying the host's last message
(baton_host_errmsg()). Buffers the host hands over are copied and
released with baton_host_free().

Store. One connection to a store (sqlite:PATH or postgresql://...). The
C host is used by one thread at a time; the Store serialises its calls
with a lock, so threads may share one (each call waits for the one
before). While a Worker runs on a Store, the Store belongs to the worker
thread and its other calls raise StateError.

Worker. Tasks in pyzeebe's style: a function registered per job type
receives the job's variables as keyword arguments and settles the job
by returning (complete), raising baton.BpmnError (throw) or raising
anything else (fail with one retry less). baton_host_worker_run() calls
the handler thunk on its own handler threads; ctypes takes the GIL for
each call. The thunk is a module-level ctypes object that lives as long
as the module and finds its worker in a weak registry by the id it gets
as user data; nothing it raises reaches C.

Lambda. An invoker of libbaton-lambda (include/baton_lambda.h), a third
library loaded on first use. Worker.lambda_task() registers the C
handler baton_lambda_host_handler itself (its address, cast to the host
handler type) with the invoker as user data: those jobs never enter
Python, and run in parallel on the handler threads.
"""

import asyncio
import inspect
import itertools
import json
import logging
import math
import os
import threading
import weakref
from collections.abc import Mapping
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char_p, c_int,
                    c_int64, c_size_t, c_uint64, c_void_p, cast, string_at)
from datetime import timedelta

from . import _errors, _ffi
from ._engine import _LOGGING_LEVELS, _Handle, _cstr, _json_object
from ._errors import BpmnError, ClosedError, StateError
from ._ffi import LOG_FN, strerror, text
from ._ffi import library_path as _libbaton_path
from ._loader import load_host, load_lambda

_INT64_MAX = (1 << 63) - 1
_UINT64_MAX = (1 << 64) - 1
_INT_MAX = (1 << 31) - 1
#: Worker concurrency limit (MAX_CONCURRENCY in lib/host/worker.c).
MAX_CONCURRENCY = 1024


class _Host(Structure):
    pass


class _HostJob(Structure):
    pass


HOST = POINTER(_Host)
HOST_JOB = POINTER(_HostJob)
# typedef void (*baton_host_handler_fn)(void *ud, baton_host_job *job);
HOST_HANDLER_FN = CFUNCTYPE(None, c_void_p, HOST_JOB)


class _WorkerOptions(Structure):
    """struct baton_host_worker_options."""
    _fields_ = [("concurrency", c_int), ("until_idle", c_int),
                ("name", c_char_p)]


#: The settings of baton_host_set(), by name (enum baton_host_setting).
SETTINGS = {
    "history_retention_ms": 0,
    "lease_ms": 1,
    "poll_ms": 2,
    "batch": 3,
    "history": 4,
}

#: Instance states of the store (the `state` of Store.instances()).
HOST_STATES = ("ACTIVE", "WAITING", "INCIDENT", "COMPLETED", "TERMINATED",
               "FAILED")


# ------------------------------------------------------------- the library

def host_error(code, host_ptr):
    """The exception for status `code`, with the host's last message."""
    cls = _errors.error_class(code)
    message = text(_lib.baton_host_errmsg(host_ptr)) if host_ptr else ""
    return cls(message or _status_text(code), code)


def _status_text(code):
    if code == _errors.HOST_ESTORE:
        return "the store failed"
    if code == _errors.HOST_ECONFLICT:
        return "changed by another worker first"
    if code == _errors.HOST_ESCHEMA:
        return "not a Baton store, or a newer one"
    return strerror(code)


def _check_host(result, func, args):
    if result < 0:
        raise host_error(result, args[0])
    return result


def _check_plain(result, func, args):
    """For calls that record no message (the job settlers, register,
    set): the status alone."""
    if result < 0:
        raise _errors.error_class(result)(_status_text(result), result)
    return result


_P = POINTER
_OUT = _P(c_void_p)

# name: (restype, argtypes, errcheck)
_PROTOTYPES = {
    # the status of open is read by the caller: on failure the host made
    # carries the message and is closed after it was read
    "baton_host_open": (c_int, [c_char_p, _P(HOST)], None),
    "baton_host_free": (None, [c_void_p], None),
    "baton_host_close": (None, [HOST], None),
    "baton_host_errmsg": (c_char_p, [HOST], None),
    "baton_host_store_kind": (c_char_p, [HOST], None),
    "baton_host_schema_version": (c_int, [], None),
    "baton_host_store_schema_version": (c_int, [HOST], None),
    "baton_host_set_log": (None, [HOST, LOG_FN, c_void_p], None),
    "baton_host_set": (c_int64, [HOST, c_int, c_int64], _check_plain),
    # deployments and instances
    "baton_host_deploy": (c_int, [HOST, c_char_p, c_size_t, c_char_p, _OUT],
                          _check_host),
    "baton_host_start": (c_int, [HOST, c_char_p, c_char_p, c_size_t,
                                 c_char_p, _P(c_uint64)], _check_host),
    "baton_host_publish": (c_int, [HOST, c_char_p, c_char_p, c_char_p,
                                   c_size_t, c_int64, c_char_p, _OUT],
                           _check_host),
    "baton_host_signal": (c_int, [HOST, c_char_p, c_char_p, c_size_t,
                                  _P(c_size_t)], _check_host),
    "baton_host_cancel": (c_int, [HOST, c_uint64], _check_host),
    "baton_host_resolve": (c_int, [HOST, c_uint64], _check_host),
    "baton_host_set_variables": (c_int, [HOST, c_uint64, c_char_p,
                                         c_size_t], _check_host),
    "baton_host_update_retries": (c_int, [HOST, c_uint64, c_int],
                                  _check_host),
    # the status is read by Store._migrate: a refused plan still hands
    # over its report, which the exception carries
    "baton_host_migrate": (c_int, [HOST, c_uint64, c_char_p, c_int,
                                   c_char_p, c_size_t, c_int, _OUT], None),
    "baton_host_migrate_all": (c_int, [HOST, c_char_p, c_int, c_int,
                                       c_char_p, c_size_t, c_int, _OUT],
                               None),
    # reading the store
    "baton_host_instances": (c_int, [HOST, c_char_p, c_char_p, c_uint64,
                                     c_size_t, _OUT], _check_host),
    "baton_host_instance": (c_int, [HOST, c_uint64, c_int, _OUT],
                            _check_host),
    "baton_host_incidents": (c_int, [HOST, _OUT], _check_host),
    "baton_host_deployments": (c_int, [HOST, _OUT], _check_host),
    # external job workers
    "baton_host_activate_jobs": (c_int, [HOST, c_char_p, c_char_p, c_size_t,
                                         c_int64, _OUT, _P(c_size_t)],
                                 _check_host),
    "baton_host_complete_job": (c_int, [HOST, c_uint64, c_char_p, c_size_t],
                                _check_host),
    "baton_host_fail_job": (c_int, [HOST, c_uint64, c_int, c_int64,
                                    c_char_p], _check_host),
    "baton_host_throw_error": (c_int, [HOST, c_uint64, c_char_p, c_char_p,
                                       c_char_p, c_size_t], _check_host),
    # workers
    "baton_host_register": (c_int, [HOST, c_char_p, HOST_HANDLER_FN,
                                    c_void_p], _check_plain),
    "baton_host_job_key": (c_uint64, [HOST_JOB], None),
    "baton_host_job_instance_key": (c_uint64, [HOST_JOB], None),
    "baton_host_job_type": (c_char_p, [HOST_JOB], None),
    "baton_host_job_process_id": (c_char_p, [HOST_JOB], None),
    "baton_host_job_element_id": (c_char_p, [HOST_JOB], None),
    "baton_host_job_retries": (c_int, [HOST_JOB], None),
    "baton_host_job_variables": (c_char_p, [HOST_JOB], None),
    "baton_host_job_headers": (c_char_p, [HOST_JOB], None),
    "baton_host_job_complete": (c_int, [HOST_JOB, c_char_p, c_size_t],
                                _check_plain),
    "baton_host_job_fail": (c_int, [HOST_JOB, c_int, c_int64, c_char_p],
                            _check_plain),
    "baton_host_job_throw_error": (c_int, [HOST_JOB, c_char_p, c_char_p,
                                           c_char_p, c_size_t],
                                   _check_plain),
    "baton_host_worker_run": (c_int, [HOST, _P(_WorkerOptions)],
                              _check_host),
    "baton_host_worker_stop": (None, [HOST], None),
    "baton_host_tick": (c_int, [HOST, _P(c_size_t)], _check_host),
}


class _LazyLibrary(object):
    """A library loaded and declared once, on first use, by `_open()`
    (which returns the CDLL and its path), whichever thread asks first."""

    def __init__(self):
        self._cdll = None
        self.path = None
        self._lock = threading.Lock()

    def load(self):
        if self._cdll is None:
            with self._lock:
                if self._cdll is None:
                    cdll, self.path = self._open()
                    self._cdll = cdll
        return self._cdll


class _Library(_LazyLibrary):
    """libbaton-host, loaded and declared on first attribute access."""

    def _open(self):
        cdll, path = load_host(_libbaton_path)
        _ffi.declare(cdll, path, _PROTOTYPES)
        return cdll, path

    def __getattr__(self, name):
        return getattr(self.load(), name)


_lib = _Library()


def host_library_path():
    """Where libbaton-host was loaded from (loading it if need be)."""
    _lib.load()
    return _lib.path


def host_schema_version():
    """The store schema version the loaded libbaton-host writes."""
    return _lib.baton_host_schema_version()


# ---------------------------------------------------------------- helpers

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _key(value, what="key"):
    """A 64-bit key, refused before ctypes could wrap a negative one."""
    if not _is_int(value):
        raise TypeError("%s must be an int, not %s"
                        % (what, type(value).__name__))
    if not 0 <= value <= _UINT64_MAX:
        raise ValueError("%s %d is out of range" % (what, value))
    return value


def _count(value, what, low=0, high=_INT_MAX):
    if not _is_int(value):
        raise TypeError("%s must be an int, not %s"
                        % (what, type(value).__name__))
    if not low <= value <= high:
        raise ValueError("%s must be between %d and %d, not %d"
                         % (what, low, high, value))
    return value


def seconds_millis(value, what="a duration"):
    """A duration for the host: a timedelta, or seconds as an int or a
    float, -> whole milliseconds (a fraction is dropped). None is 0.
    Negative is a ValueError."""
    if value is None:
        return 0
    if isinstance(value, timedelta):
        ms = value // timedelta(milliseconds=1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("%s must be finite" % what)
        ms = int(value * 1000)
    else:
        raise TypeError("%s must be a datetime.timedelta or a number of "
                        "seconds, not %s" % (what, type(value).__name__))
    if ms < 0:
        raise ValueError("%s cannot be negative" % what)
    if ms > _INT64_MAX:
        raise OverflowError("%s is out of the library's range" % what)
    return ms


def _c_text(value):
    """Any str as a C string for a message: never fails (NUL and bad
    characters are replaced)."""
    if value is None:
        return None
    return str(value).encode("utf-8", "replace").replace(b"\0", b"?")


def _vars(variables, what="variables"):
    """(JSON bytes or None, length) of a variables dict."""
    data = _json_object(variables, what)
    return data, len(data) if data else 0


def _plan(plan):
    """A migration plan: None, a dict (its JSON object) or JSON text."""
    if plan is None:
        return None
    if isinstance(plan, str):
        return plan.encode("utf-8")
    if isinstance(plan, (bytes, bytearray)):
        return bytes(plan)
    return _json_object(plan, "plan")


def _document(xml_or_path, name):
    """(XML bytes, name) of a deploy() argument: bytes and str that start
    with '<' are the document; any other str or a path names a file."""
    if isinstance(xml_or_path, (bytes, bytearray, memoryview)):
        return bytes(xml_or_path), name
    if isinstance(xml_or_path, str) and xml_or_path.lstrip().startswith("<"):
        return xml_or_path.encode("utf-8"), name
    if isinstance(xml_or_path, (str, os.PathLike)):
        path = os.fspath(xml_or_path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise _errors.InputOutputError(
                "cannot read %s: %s" % (path, e.strerror or e),
                _errors.EIO, source=path) from e
        return data, name if name is not None else path
    raise TypeError("deploy() takes a BPMN document (str or bytes) or a "
                    "path, not %s" % type(xml_or_path).__name__)


# -------------------------------------------------------------- callbacks

_ids = itertools.count(1)
_stores = weakref.WeakValueDictionary()   # id -> Store, for the log hook
_workers = weakref.WeakValueDictionary()  # id -> Worker, for handlers


@LOG_FN
def _log_thunk(ud, level, message):
    try:
        store = _stores.get(ud) if ud else None
        fn = store._log_fn if store is not None else None
        if fn is not None:
            fn(level, text(message))
    except BaseException:
        pass  # a log hook cannot fail the host's work


@HOST_HANDLER_FN
def _handler_thunk(ud, job):
    try:
        worker = _workers.get(ud) if ud else None
        if worker is not None:
            worker._dispatch(job)
        # else: the job is left unsettled; the host fails it ("the handler
        # settled nothing") with one retry less.
    except BaseException:
        pass  # _dispatch settles the job and catches everything


# ----------------------------------------------------------------- lambda

class _LambdaConfig(Structure):
    """struct baton_lambda_config."""
    _fields_ = [("region", c_char_p), ("endpoint", c_char_p),
                ("access_key_id", c_char_p),
                ("secret_access_key", c_char_p),
                ("session_token", c_char_p), ("timeout_ms", c_int64),
                ("retry_backoff_ms", c_int64)]


class _LambdaLibrary(_LazyLibrary):
    """libbaton-lambda, loaded and declared on first use."""

    def _open(self):
        # libbaton-lambda needs libbaton-host loaded first.
        _lib.load()
        cdll, path = load_lambda((_libbaton_path, _lib.path))
        cdll.baton_lambda_new.restype = c_int
        cdll.baton_lambda_new.argtypes = [POINTER(_LambdaConfig),
                                          POINTER(c_void_p)]
        cdll.baton_lambda_free.restype = None
        cdll.baton_lambda_free.argtypes = [c_void_p]
        cdll.baton_lambda_errmsg.restype = c_char_p
        cdll.baton_lambda_errmsg.argtypes = [c_void_p]
        # The handler, as the function pointer the host calls.
        self.host_handler = HOST_HANDLER_FN(
            cast(cdll.baton_lambda_host_handler, c_void_p).value)
        return cdll, path


_lambda_lib = _LambdaLibrary()


def lambda_library_path():
    """Where libbaton-lambda was loaded from (loading it if need be)."""
    _lambda_lib.load()
    return _lambda_lib.path


class Lambda(object):
    """An AWS Lambda invoker (libbaton-lambda) for Worker.lambda_task()::

        invoker = baton.Lambda(region="eu-west-1")
        worker.lambda_task("lambda", invoker)

    Jobs run with zeebe-lambda-worker's contract: the task header
    ``functionName`` names the function, ``body`` is an optional payload
    template, ``resultName`` the variable of the result,
    ``functionErrorCode`` the BPMN error of a function error.

    Each argument left None comes from the environment: `region` from
    AWS_REGION, `endpoint` from BATON_LAMBDA_ENDPOINT (default
    https://lambda.REGION.amazonaws.com), the credentials from
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
    `timeout` (per invocation, default 15 minutes) and `retry_backoff`
    (after throttling or a server error, default 1 s) are timedeltas or
    seconds. A missing region or credentials, or a bad endpoint, raise
    baton.InvalidArgumentError (a ValueError) whose message names no
    secret.
    """

    def __init__(self, region=None, endpoint=None, access_key_id=None,
                 secret_access_key=None, session_token=None, timeout=None,
                 retry_backoff=None):
        self._ptr = None
        self._users = 0
        lib = _lambda_lib.load()
        config = _LambdaConfig(
            _cstr(region, "region"), _cstr(endpoint, "endpoint"),
            _cstr(access_key_id, "access_key_id"),
            _cstr(secret_access_key, "secret_access_key"),
            _cstr(session_token, "session_token"),
            seconds_millis(timeout, "timeout") if timeout is not None else 0,
            seconds_millis(retry_backoff, "retry_backoff")
            if retry_backoff is not None else 0)
        out = c_void_p()
        rc = lib.baton_lambda_new(byref(config), byref(out))
        if rc != 0:
            message = None
            if out.value:
                message = text(lib.baton_lambda_errmsg(out))
                lib.baton_lambda_free(out)
            raise _errors.error_class(rc)(message or strerror(rc), rc)
        self._ptr = out.value

    @property
    def closed(self):
        return self._ptr is None

    def close(self):
        """Frees the invoker. Not allowed while a worker has it
        registered (Worker.remove_task() or Worker.close() first)."""
        if self._users:
            raise StateError("the invoker is registered with a worker")
        ptr, self._ptr = self._ptr, None
        if ptr:
            _lambda_lib.load().baton_lambda_free(ptr)

    def __del__(self):
        try:
            if not self._users:
                self.close()
        except BaseException:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<baton.Lambda%s>" % (" closed" if self._ptr is None else "")


class _LambdaTask(object):
    """A job type run by libbaton-lambda's handler."""

    def __init__(self, invoker, owned):
        self.fn = invoker
        self.owned = owned


# ------------------------------------------------------------------ store

class Store(object):
    """A connection to a durable store: ``Store("sqlite:baton.db")`` or
    ``Store("postgresql://user@host/db")``.

    Tables are created (or upgraded) when it opens. Every call that
    changes the store is one transaction. Calls are serialised by a lock,
    so threads may share a Store; while a Worker runs on it, its other
    calls raise StateError. ``close()`` (or leaving a ``with`` block)
    closes the connection.
    """

    def __init__(self, uri="sqlite:baton.db"):
        self._handle = None
        self._lock = threading.Lock()
        self._worker = None     # the Worker running on this store
        self._log_fn = None
        self._id = next(_ids)
        raw = _cstr(uri, "the store URI")
        lib = _lib.load()
        ptr = HOST()
        rc = lib.baton_host_open(raw, byref(ptr))
        if rc < 0:
            error = host_error(rc, ptr)
            lib.baton_host_close(ptr)
            raise error
        self._handle = _Handle(ptr, lib.baton_host_close)
        _stores[self._id] = self

    # -- lifetime

    @property
    def closed(self):
        handle = self._handle
        return handle is None or handle.ptr is None

    def _live(self):
        handle = self._handle
        if handle is None or handle.ptr is None:
            raise ClosedError("the store is closed")
        return handle.ptr

    def _check_free(self):
        if self._worker is not None:
            raise StateError("the store is in use by a running worker; "
                             "open another Store for other calls")

    def close(self):
        """Closes the connection. Harmless when already closed; not
        allowed while a worker runs on it."""
        if self.closed:
            return
        self._check_free()
        with self._lock:
            self._check_free()
            self._release()

    def _release(self):
        handle = self._handle
        if handle is not None:
            handle.release()
        self._log_fn = None
        try:
            _stores.pop(self._id, None)
        except Exception:
            pass

    def __del__(self):
        try:
            if self._worker is None:
                self._release()
        except Exception:
            pass

    def __enter__(self):
        self._live()
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self.closed:
            return "<baton.Store closed>"
        return "<baton.Store %s>" % self.kind

    def _call(self, fn, *args):
        """Calls `fn(host, *args)` under the lock."""
        self._check_free()
        with self._lock:
            ptr = self._live()
            self._check_free()
            return fn(ptr, *args)

    def _json(self, fn, *args):
        """Calls a function that hands over a JSON text through its last
        argument (char **out); returns the text parsed."""
        out = c_void_p()
        self._check_free()
        with self._lock:
            ptr = self._live()
            self._check_free()
            try:
                fn(ptr, *(args + (byref(out),)))
                data = string_at(out.value) if out.value else b""
            finally:
                _lib.baton_host_free(out)
        return json.loads(data.decode("utf-8")) if data else None

    # -- about the store

    @property
    def kind(self):
        """"sqlite" or "postgresql"."""
        return text(self._call(_lib.baton_host_store_kind))

    @property
    def schema_version(self):
        """The schema version of the store."""
        return self._call(_lib.baton_host_store_schema_version)

    def set(self, name, value):
        """Sets a setting of baton_host_set() by name (one of SETTINGS:
        "history_retention_ms", "lease_ms", "poll_ms", "batch",
        "history"); returns its previous value."""
        if name not in SETTINGS:
            raise ValueError("unknown setting %r: one of %s"
                             % (name, ", ".join(sorted(SETTINGS))))
        if isinstance(value, bool):
            value = int(value)
        _count(value, name, 0, _INT64_MAX)
        return self._call(_lib.baton_host_set, SETTINGS[name], value)

    def on_log(self, fn):
        """Sets the log hook: `fn(level, message)` (baton.LOG_ERROR ...
        LOG_DEBUG), or a logging.Logger, for what a worker cannot report
        through a return value. None removes it. Usable as a decorator.
        It is called on the thread that runs the worker; what it raises
        is dropped."""
        if isinstance(fn, logging.Logger):
            logger = fn

            def fn(level, message):
                logger.log(_LOGGING_LEVELS.get(level, logging.INFO),
                           "%s", message)
        elif fn is not None and not callable(fn):
            raise TypeError("on_log() takes a function, a logging.Logger "
                            "or None")
        self._check_free()
        with self._lock:
            ptr = self._live()
            self._log_fn = fn
            if fn is None:
                _lib.baton_host_set_log(ptr, cast(None, LOG_FN), None)
            else:
                _lib.baton_host_set_log(ptr, _log_thunk, self._id)
        return fn

    # -- deployments and instances

    def deploy(self, xml_or_path, name=None):
        """Deploys a BPMN document (str or bytes) or file (a path): each
        executable process in it becomes the next version of its id,
        unless the latest version is the same model. Returns
        [{"processId", "version", "new"}]. A model that does not load
        raises its error (ParseError, ModelError, ...)."""
        data, name = _document(xml_or_path, name)
        return self._json(_lib.baton_host_deploy, data, len(data),
                          _cstr(name, "name"))

    def start(self, process_id, variables=None, business_key=None):
        """Starts an instance of the latest version of `process_id` with
        `variables` (a dict) and runs it until it waits; returns its key."""
        data, size = _vars(variables)
        key = c_uint64(0)
        self._call(_lib.baton_host_start, _cstr(process_id, "process id"),
                   data, size, _cstr(business_key, "business key"),
                   byref(key))
        return key.value

    def publish(self, name, correlation_key=None, variables=None, ttl=None,
                message_id=None):
        """Publishes a message (Zeebe's semantics): it correlates to every
        open subscription of (name, correlation_key) and starts the
        processes with a message start event of that name; with `ttl` (a
        timedelta or seconds) it is kept that long for subscriptions that
        open later. `message_id` makes it unique while kept (a second one
        raises ConflictError). Returns {"messageKey", "correlated",
        "started"}."""
        if _is_int(correlation_key):
            correlation_key = str(correlation_key)
        data, size = _vars(variables)
        return self._json(_lib.baton_host_publish,
                          _cstr(name, "message name"),
                          _cstr(correlation_key, "correlation key"),
                          data, size, seconds_millis(ttl, "ttl"),
                          _cstr(message_id, "message id"))

    def signal(self, name, variables=None):
        """Broadcasts a signal; returns how many instances it reached
        (started ones included)."""
        data, size = _vars(variables)
        count = c_size_t(0)
        self._call(_lib.baton_host_signal, _cstr(name, "signal name"), data,
                   size, byref(count))
        return count.value

    def cancel(self, key):
        """Cancels an instance (NotFoundError: no such instance;
        StateError: it has ended)."""
        self._call(_lib.baton_host_cancel, _key(key, "instance key"))

    def resolve(self, incident_key):
        """Resolves an incident (a job incident gets one retry) and runs
        the instance."""
        self._call(_lib.baton_host_resolve, _key(incident_key,
                                                 "incident key"))

    def set_variables(self, key, variables):
        """Merges `variables` (a dict) into an instance and runs it."""
        if variables is None:
            raise TypeError("set_variables() needs a dict of variables")
        data, size = _vars(variables)
        self._call(_lib.baton_host_set_variables, _key(key, "instance key"),
                   data, size)

    def update_retries(self, job_key, retries):
        """Sets the retries of a waiting job."""
        self._call(_lib.baton_host_update_retries, _key(job_key, "job key"),
                   _count(retries, "retries"))

    # -- migration

    def migrate(self, key, process_id, version, plan=None, dry_run=False):
        """Moves the live instance `key` to `version` of `process_id` and
        runs it (baton_host_migrate()). `plan` is a dict {"mappings":
        [{"sourceElementId": ..., "targetElementId": ...}]} (or its JSON
        text); an element it does not map keeps its id. With `dry_run`
        nothing changes. Returns the report {"from", "to", "moved",
        "refused"}. A plan that cannot move the instance raises
        baton.MigrationError, whose `report` and `reasons` say why;
        NotFoundError: no such instance or version; StateError: it has
        ended."""
        data = _plan(plan)
        return self._migrate(_lib.baton_host_migrate,
                             _key(key, "instance key"),
                             _cstr(process_id, "process id"),
                             _count(version, "version", 1, _INT_MAX),
                             data, len(data) if data else 0,
                             1 if dry_run else 0)

    def migrate_all(self, process_id, from_version, to_version, plan=None,
                    dry_run=False):
        """Moves every live instance of `from_version` of `process_id` to
        `to_version` (baton_host_migrate_all()), each in its own
        transaction: one the plan cannot move stays as it was. Returns
        {"migrated": [keys], "refused": [{"key", "refused": [{"elementId",
        "reason"}]}]}; with `dry_run` what would move, changing
        nothing."""
        data = _plan(plan)
        return self._migrate(_lib.baton_host_migrate_all,
                             _cstr(process_id, "process id"),
                             _count(from_version, "from_version", 1,
                                    _INT_MAX),
                             _count(to_version, "to_version", 1, _INT_MAX),
                             data, len(data) if data else 0,
                             1 if dry_run else 0)

    def _migrate(self, fn, *args):
        out = c_void_p()
        self._check_free()
        with self._lock:
            ptr = self._live()
            self._check_free()
            try:
                rc = fn(ptr, *(args + (byref(out),)))
                data = string_at(out.value) if out.value else b""
                error = host_error(rc, ptr) if rc < 0 else None
            finally:
                _lib.baton_host_free(out)
        report = json.loads(data.decode("utf-8")) if data else None
        if error is not None:
            error.report = report
            raise error
        return report

    # -- reading the store

    def instances(self, state=None, process_id=None, before=None,
                  limit=100):
        """Instances, newest first, as dicts {"key", "processId",
        "version", "state", "businessKey", "error", "created", "updated",
        "incidents"}. `state` filters by state ("ACTIVE", "WAITING",
        "INCIDENT", "COMPLETED", "TERMINATED", "FAILED"; any case),
        `process_id` by process; `before` (a key) lists only older ones,
        for paging; at most `limit`."""
        if isinstance(state, str):
            state = state.upper()
        _count(limit, "limit", 1)
        return self._json(_lib.baton_host_instances, _cstr(state, "state"),
                          _cstr(process_id, "process id"),
                          0 if before is None else _key(before, "before"),
                          limit)

    def instance(self, key, history=True):
        """One instance as a dict: its row, "variables", "jobs",
        "timers", "messageSubscriptions", "signalSubscriptions",
        "incidents" and, with `history`, "history" (its records in order,
        each {"position", "record"}). NotFoundError: no such instance."""
        return self._json(_lib.baton_host_instance,
                          _key(key, "instance key"), 1 if history else 0)

    def incidents(self):
        """Open incidents of every instance, as dicts {"key",
        "instanceKey", "type", "message", "elementId", "jobKey",
        "created"}."""
        return self._json(_lib.baton_host_incidents)

    def deployments(self):
        """Deployments as dicts {"processId", "version", "checksum",
        "name", "deployed", "instances": {STATE: count}, "droppable"}."""
        return self._json(_lib.baton_host_deployments)

    # -- external job workers

    def activate_jobs(self, type, worker, max=1, lock=timedelta(minutes=1)):
        """Activates up to `max` jobs of `type` for `worker` (a name),
        locked for `lock` (a timedelta or seconds); returns them as dicts
        {"key", "type", "processInstanceKey", "processId", "elementId",
        "retries", "deadline", "customHeaders", "variables"}."""
        _count(max, "max", 1, _INT_MAX)
        lock_ms = seconds_millis(lock, "lock")
        out = c_void_p()
        count = c_size_t(0)
        self._check_free()
        with self._lock:
            ptr = self._live()
            self._check_free()
            try:
                _lib.baton_host_activate_jobs(
                    ptr, _cstr(type, "job type"), _cstr(worker, "worker"),
                    max, lock_ms, byref(out), byref(count))
                data = string_at(out.value) if out.value else b""
            finally:
                _lib.baton_host_free(out)
        return [json.loads(line) for line in
                data.decode("utf-8").splitlines() if line.strip()]

    def complete_job(self, key, variables=None):
        """Completes a job and runs its instance. NotFoundError: the job
        is not waiting (settled already, or no such job)."""
        data, size = _vars(variables)
        self._call(_lib.baton_host_complete_job, _key(key, "job key"), data,
                   size)

    def fail_job(self, key, retries, message=None, backoff=None):
        """Fails a job: with `retries` > 0 it can be activated again after
        `backoff` (a timedelta or seconds; None: at once), with 0 an
        incident is raised."""
        self._call(_lib.baton_host_fail_job, _key(key, "job key"),
                   _count(retries, "retries"),
                   seconds_millis(backoff, "backoff"),
                   _cstr(message, "message"))

    def throw_error(self, key, code, message=None, variables=None):
        """Throws the BPMN error `code` from a job, with optional
        variables."""
        data, size = _vars(variables)
        self._call(_lib.baton_host_throw_error, _key(key, "job key"),
                   _cstr(code, "error code"), _cstr(message, "message"),
                   data, size)

    def tick(self):
        """Does the due instance work once (ready instances, due timers
        and backoffs, timer starts, expiry) without running handlers;
        returns the units of work done."""
        did = c_size_t(0)
        self._call(_lib.baton_host_tick, byref(did))
        return did.value


# ------------------------------------------------------------------ worker

class WorkerJob(object):
    """The job a task function gets through a parameter named ``job``:
    key, type, element_id, process_instance_key, process_id, retries,
    headers (a dict) and variables (a dict). Read-only: the function
    settles the job by returning or raising."""

    __slots__ = ("key", "type", "element_id", "process_instance_key",
                 "process_id", "retries", "headers", "variables")

    def __init__(self, key, type, element_id, process_instance_key,
                 process_id, retries, headers, variables):
        self.key = key
        self.type = type
        self.element_id = element_id
        self.process_instance_key = process_instance_key
        self.process_id = process_id
        self.retries = retries
        self.headers = headers
        self.variables = variables

    @classmethod
    def _read(cls, ptr):
        lib = _lib.load()

        def parsed(raw):
            value = json.loads(text(raw)) if raw else {}
            return value if isinstance(value, dict) else {}

        return cls(lib.baton_host_job_key(ptr),
                   text(lib.baton_host_job_type(ptr)),
                   text(lib.baton_host_job_element_id(ptr)),
                   lib.baton_host_job_instance_key(ptr),
                   text(lib.baton_host_job_process_id(ptr)),
                   lib.baton_host_job_retries(ptr),
                   parsed(lib.baton_host_job_headers(ptr)),
                   parsed(lib.baton_host_job_variables(ptr)))

    def __repr__(self):
        return "<baton.WorkerJob %d %s at %s>" % (self.key, self.type,
                                                  self.element_id)


class _Task(object):
    """A task function and how to call it."""

    def __init__(self, task_type, fn, retry_backoff):
        if not callable(fn):
            raise TypeError("a task must be callable, not %s"
                            % type(fn).__name__)
        self.type = task_type
        self.fn = fn
        self.backoff_ms = seconds_millis(retry_backoff, "retry_backoff")
        self.takes_job = False
        self.takes_all = False
        self.names = set()
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            self.takes_all = True
            return
        for p in params:
            if p.kind == p.VAR_KEYWORD:
                self.takes_all = True
            elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                if p.name == "job":
                    self.takes_job = True
                else:
                    self.names.add(p.name)

    def __call__(self, job):
        variables = job.variables
        if self.takes_all:
            kwargs = dict(variables)
        else:
            kwargs = {name: variables[name] for name in self.names
                      if name in variables}
        if self.takes_job:
            kwargs["job"] = job
        result = self.fn(**kwargs)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return result


def _failure_message(exc):
    """The failure message of a job whose task raised `exc`."""
    return str(exc) or type(exc).__name__


class Worker(object):
    """Runs tasks of registered job types against a store, pyzeebe's
    way::

        worker = baton.Worker("sqlite:trip.db", concurrency=4)

        @worker.task("BookHotel")
        def book_hotel(trip_id, nights=1):
            return {"hotelBooking": "HOTEL-%s" % trip_id}

        worker.work(until_idle=True)

    A task receives the job's variables as keyword arguments: only those
    it names, or all of them when it takes ``**kwargs``; a parameter
    named ``job`` gets the WorkerJob. It returns a dict (the job
    completes with it) or None (completes with no variables), raises
    baton.BpmnError(code, message) to throw that BPMN error, or raises
    anything else to fail the job with str(exception) and one retry less
    (after `retry_backoff`, if the task has one). ``async def`` tasks run
    with asyncio.run() on the handler thread.

    Tasks run on the host's handler threads, up to `concurrency` at
    once. `store` is a URI (the worker opens and closes its own Store) or
    a Store (left open).
    """

    def __init__(self, store="sqlite:baton.db", concurrency=1, name=None):
        self._store = None
        self._owns_store = False
        self.concurrency = _count(concurrency, "concurrency", 1,
                                  MAX_CONCURRENCY)
        self.name = name
        if name is not None:
            _cstr(name, "worker name")
        self._tasks = {}
        self._running = False
        self._stop_requested = False
        self._pending = None        # BaseException to raise from work()
        self._handled = 0
        self._count_lock = threading.Lock()
        self._id = next(_ids)
        if isinstance(store, Store):
            store._live()
            self._store = store
        else:
            self._store = Store(store)
            self._owns_store = True
            self._store.on_log(logging.getLogger("baton.worker"))
        _workers[self._id] = self

    # -- lifetime

    @property
    def store(self):
        """The worker's Store (for deploy(), start() and the like while
        the worker does not run)."""
        return self._store

    @property
    def running(self):
        return self._running

    def close(self):
        """Unregisters the tasks and closes the store the worker opened.
        Not allowed while it runs."""
        if self._running:
            raise StateError("the worker is running; stop() it first")
        store = self._store
        if store is None:
            return
        if not store.closed:
            for task_type in list(self._tasks):
                self.remove_task(task_type)
        for task_type in list(self._tasks):
            self._forget(task_type)
        self._store = None
        if self._owns_store:
            store.close()

    def __enter__(self):
        self._live_store()
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<baton.Worker %s%s>" % (
            ", ".join(sorted(self._tasks)) or "no tasks",
            " running" if self._running else "")

    def _live_store(self):
        if self._store is None:
            raise ClosedError("the worker is closed")
        self._store._live()
        return self._store

    # -- tasks

    def task(self, task_type, retry_backoff=None):
        """Decorator: registers the function as the task of jobs of
        `task_type`. `retry_backoff` (a timedelta or seconds) delays the
        retry of a job the task failed."""
        def register(fn):
            self.register_task(task_type, fn, retry_backoff)
            return fn
        return register

    def register_task(self, task_type, fn, retry_backoff=None):
        """Registers `fn` as the task of jobs of `task_type` (replacing
        one registered before)."""
        if self._running:
            raise StateError("tasks cannot change while the worker runs")
        raw = _cstr(task_type, "task type")
        if not raw:
            raise ValueError("a task type cannot be empty")
        task = _Task(task_type, fn, retry_backoff)
        self._live_store()._call(_lib.baton_host_register, raw,
                                 _handler_thunk, self._id)
        self._forget(task_type)
        self._tasks[task_type] = task

    def lambda_task(self, task_type, invoker=None, **config):
        """Runs jobs of `task_type` as AWS Lambda invocations with
        libbaton-lambda's handler (baton_lambda_host_handler), in C on the
        handler threads (replacing a task registered before). `invoker`
        is a baton.Lambda (left open when the task is removed); without
        one, the worker makes its own from `config` (Lambda's arguments:
        region, endpoint, access_key_id, ..., each from the environment
        when left out) and frees it with the task. Returns the
        invoker."""
        if self._running:
            raise StateError("tasks cannot change while the worker runs")
        raw = _cstr(task_type, "task type")
        if not raw:
            raise ValueError("a task type cannot be empty")
        store = self._live_store()
        owned = invoker is None
        if owned:
            invoker = Lambda(**config)
        elif config:
            raise TypeError("give either an invoker or its configuration")
        elif not isinstance(invoker, Lambda):
            raise TypeError("invoker must be a baton.Lambda, not %s"
                            % type(invoker).__name__)
        if invoker.closed:
            raise ClosedError("the invoker is closed")
        try:
            store._call(_lib.baton_host_register, raw,
                        _lambda_lib.host_handler, invoker._ptr)
        except BaseException:
            if owned:
                invoker.close()
            raise
        self._forget(task_type)
        invoker._users += 1
        self._tasks[task_type] = _LambdaTask(invoker, owned)
        return invoker

    def _forget(self, task_type):
        """Drops the task of `task_type` from the table; a Lambda task
        releases its invoker."""
        task = self._tasks.pop(task_type, None)
        if isinstance(task, _LambdaTask):
            task.fn._users -= 1
            if task.owned:
                task.fn.close()

    def remove_task(self, task_type):
        """Unregisters the task of `task_type`."""
        if self._running:
            raise StateError("tasks cannot change while the worker runs")
        if task_type in self._tasks:
            self._live_store()._call(_lib.baton_host_register,
                                     _cstr(task_type, "task type"),
                                     cast(None, HOST_HANDLER_FN), None)
            self._forget(task_type)

    @property
    def tasks(self):
        """{job type: function} (a copy)."""
        return {t: task.fn for t, task in self._tasks.items()}

    # -- running

    def work(self, until_idle=False):
        """Runs the worker (baton_host_worker_run) until stop() or, with
        `until_idle`, until nothing is due and no job is in flight.
        Returns the number of jobs its tasks handled. The host runs in a
        helper thread while this thread waits, so a KeyboardInterrupt
        here stops the worker (after the jobs in flight are committed)
        and is then raised."""
        store = self._live_store()
        if self._running:
            raise StateError("the worker is already running")
        store._check_free()
        opts = _WorkerOptions(self.concurrency, 1 if until_idle else 0,
                              _cstr(self.name, "worker name"))
        store._lock.acquire()
        try:
            store._check_free()
            ptr = store._live()
        except BaseException:
            store._lock.release()
            raise
        self._running = True
        self._stop_requested = False
        self._pending = None
        self._handled = 0
        store._worker = self
        outcome = {}

        def run():
            try:
                _lib.baton_host_worker_run(ptr, byref(opts))
            except BaseException as e:
                outcome["error"] = e
            finally:
                store._worker = None
                self._running = False
                store._lock.release()

        thread = threading.Thread(target=run, name="baton-worker")
        try:
            thread.start()
        except BaseException:
            store._worker = None
            self._running = False
            store._lock.release()
            raise
        try:
            # Joined in slices, so that Ctrl-C reaches this thread. A
            # stop() that comes before the host's loop begins is kept
            # for it by the host.
            while thread.is_alive():
                thread.join(0.1)
        except BaseException:
            self.stop()
            thread.join()
            raise
        error = outcome.get("error")
        pending, self._pending = self._pending, None
        if pending is not None:
            raise pending
        if error is not None:
            raise error
        return self._handled

    def stop(self):
        """Asks a running worker to stop after the jobs in flight are
        committed. Safe from any thread, a task included; harmless when
        the worker does not run."""
        self._stop_requested = True
        store = self._store
        if self._running and store is not None:
            handle = store._handle
            if handle is not None and handle.ptr is not None:
                _lib.baton_host_worker_stop(handle.ptr)

    # -- on a handler thread

    def _dispatch(self, ptr):
        """Runs the task of one job and settles it. Catches everything."""
        lib = _lib.load()
        with self._count_lock:
            self._handled += 1
        retries = 0
        try:
            job = WorkerJob._read(ptr)
            retries = job.retries
            outcome = self._outcome(self._tasks.get(job.type), job)
        except Exception as e:
            outcome = ("fail", max(retries - 1, 0), 0, _failure_message(e))
        except BaseException as e:
            # SystemExit and the like from a task: the job keeps its
            # retries (it runs again), the worker stops and work() raises.
            with self._count_lock:
                if self._pending is None:
                    self._pending = e
            self.stop()
            outcome = ("fail", retries, 0, "the task was interrupted: %s"
                       % _failure_message(e))
        try:
            if outcome[0] == "complete":
                data = outcome[1]
                lib.baton_host_job_complete(ptr, data,
                                            len(data) if data else 0)
            elif outcome[0] == "error":
                lib.baton_host_job_throw_error(ptr, outcome[1], outcome[2],
                                               outcome[3],
                                               len(outcome[3])
                                               if outcome[3] else 0)
            else:
                lib.baton_host_job_fail(ptr, outcome[1], outcome[2],
                                        _c_text(outcome[3]))
        except BaseException as e:
            try:
                lib.baton_host_job_fail(
                    ptr, max(retries - 1, 0), 0,
                    _c_text("the job's result could not be set: %s"
                            % _failure_message(e)))
            except BaseException:
                pass  # unsettled: the host fails it with one retry less

    def _outcome(self, task, job):
        """What the task made of the job: ("complete", JSON), ("error",
        code, message) or ("fail", retries, backoff_ms, message)."""
        backoff = task.backoff_ms if task is not None else 0
        try:
            if task is None:
                raise LookupError("no task is registered for job type %r"
                                  % job.type)
            result = task(job)
            if result is not None and not isinstance(result, Mapping):
                raise TypeError("the task of %r returned %s; return a dict "
                                "or None" % (job.type, type(result).__name__))
            return ("complete", _json_object(result, "the task's result"))
        except BpmnError as e:
            variables = getattr(e, "variables", None)
            return ("error", _c_text(e.code), _c_text(e.message),
                    json.dumps(variables).encode() if variables else None)
        except Exception as e:
            return ("fail", max(job.retries - 1, 0), backoff,
                    _failure_message(e))


__all__ = ["Store", "Worker", "WorkerJob", "Lambda", "SETTINGS",
           "HOST_STATES", "MAX_CONCURRENCY", "host_library_path",
           "host_schema_version", "lambda_library_path"]
