"""Engine, Model, Instance and Job over the C API.

Lifetimes. Every C object is held by a small handle that frees it once.
A child keeps its parent alive (an Instance, a Model and a Job hold their
Engine; a Job holds its Instance), so collecting them never frees an
engine before its instances. Closing an engine closes its open instances
first (the engine keeps their handles, not the Python objects, so no
reference cycle is made); that also covers a garbage cycle, where Python
finalises the objects in no particular order. A model is refcounted by the
library and may outlive its engine.

Callbacks. The C side calls a handful of module-level ctypes thunks that
live as long as the module; each receives the engine's id as its user
data and finds the engine in a weak registry. A thunk never lets an
exception cross into C: what it cannot turn into a job outcome is stored
on the engine and raised when the C call that ran the callback returns.

Time. The clock hook has no way to report a failure to the library, so
the binding reads the host's clock itself, once, before each call that
changes an instance, and the hook hands the library that instant: a clock
that raises (or returns something that is not a time) fails the call
before anything changed.
"""

import itertools
import json
import logging
import os
import weakref
from collections import namedtuple
from collections.abc import Mapping
from ctypes import byref, c_int, c_int64, c_void_p, string_at

from . import _errors
from ._errors import (BpmnError, ClosedError, Error, NotFoundError,
                      StateError)
from ._ffi import (CLOCK_FN, ENGINE, HANDLER_FN, INSTANCE, LOG_FN, MODEL,
                   PERSIST_FN, PROBLEM_FN, RECORD_FN, address, engine_error,
                   lib, take_buffer, text)
from ._time import duration_millis, from_millis, to_millis

#: Instance states, indexed by enum baton_instance_state.
STATES = ("active", "waiting", "incident", "completed", "terminated")
#: step() results, by enum baton_progress.
_PROGRESS = {1: "ready", 2: "waiting", 3: "ended"}

#: Start event kinds, indexed by enum baton_start_kind.
START_KINDS = ("none", "timer", "message", "signal")
#: Subscription kinds, indexed by enum baton_subscription_kind.
SUBSCRIPTION_KINDS = ("timer", "message", "signal", "condition")

StartEvent = namedtuple("StartEvent", "id kind name")
StartEvent.__doc__ = """A process-level start event: its element `id`,
`kind` (one of START_KINDS) and `name` (the message or signal name; None
for the other kinds)."""

Subscription = namedtuple(
    "Subscription", "kind key element_id element_instance_key name "
    "correlation_key due")
Subscription.__doc__ = """An open subscription of an instance: `kind` (one
of SUBSCRIPTION_KINDS), its `key`, the `element_id` and
`element_instance_key` of the element that catches, the message or signal
`name` (None for timers and conditions), the message's `correlation_key`
(None when it matches on the name alone) and a timer's `due` time (an
aware datetime in UTC; None for the other kinds)."""

#: enum baton_limit, by name.
LIMITS = {
    "document_bytes": 0,
    "xml_depth": 1,
    "xml_elements": 2,
    "json_bytes": 3,
    "json_depth": 4,
    "steps": 5,
}

LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG = 0, 1, 2, 3
_LOGGING_LEVELS = {LOG_ERROR: logging.ERROR, LOG_WARN: logging.WARNING,
                   LOG_INFO: logging.INFO, LOG_DEBUG: logging.DEBUG}


class _Defer(object):
    """Returned by a handler to leave its job waiting (baton_job_defer)."""

    __slots__ = ()

    def __repr__(self):
        return "baton.DEFER"

    def __reduce__(self):
        return "DEFER"


DEFER = _Defer()

_MISSING = object()

# id -> Engine, for the callbacks (weak: the registry keeps nothing alive).
_engines = weakref.WeakValueDictionary()
_ids = itertools.count(1)


# ------------------------------------------------------------------ helpers

def _cstr(value, what="string"):
    """str -> UTF-8 bytes for a `const char *` (None stays NULL)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    elif not isinstance(value, bytes):
        raise TypeError("%s must be a str, not %s" % (what,
                                                     type(value).__name__))
    if b"\0" in value:
        raise ValueError("%s contains a NUL character" % what)
    return value


def _json_object(variables, what="variables"):
    """A mapping -> JSON object text (None stays NULL)."""
    if variables is None:
        return None
    if not isinstance(variables, Mapping):
        raise TypeError("%s must be a dict (a JSON object), not %s"
                        % (what, type(variables).__name__))
    if not isinstance(variables, dict):
        variables = dict(variables)
    return json.dumps(variables, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


def _document(xml):
    if isinstance(xml, str):
        return xml.encode("utf-8")
    if isinstance(xml, (bytes, bytearray, memoryview)):
        return bytes(xml)
    raise TypeError("a BPMN document must be str or bytes, not %s"
                    % type(xml).__name__)


def _backoff(backoff):
    """A job's backoff (None, a timedelta or int milliseconds) as
    milliseconds, 0 for none."""
    if backoff is None:
        return 0
    return duration_millis(backoff, "the backoff")


def _describe(exc):
    """The failure message of a job whose handler raised `exc`."""
    message = str(exc)
    name = type(exc).__name__
    return "%s: %s" % (name, message) if message else name


class _Handle(object):
    """A C pointer and the function that frees it, once."""

    __slots__ = ("ptr", "addr", "_free")

    def __init__(self, ptr, free):
        self.ptr = ptr
        self.addr = address(ptr)
        self._free = free

    def release(self):
        ptr = self.ptr
        if ptr is None:
            return
        self.ptr = None
        self._free(ptr)


# ---------------------------------------------------------------- callbacks
# Module-level thunks: they live as long as the module, so the C side can
# never call into a collected ctypes callback.

def _stash_for(ud, exc):
    engine = _engines.get(ud) if ud else None
    if engine is not None:
        engine._stash(exc)


@HANDLER_FN
def _handler_thunk(ud, job):
    try:
        engine = _engines.get(ud)
        if engine is None:
            return _errors.EINVAL
        return engine._dispatch_job(job)
    except BaseException as e:  # the last guard; _dispatch_job catches all
        _stash_for(ud, e)
        return _errors.EINVAL


@RECORD_FN
def _record_thunk(ud, instance, record):
    try:
        engine = _engines.get(ud)
        fn = engine._record_fn if engine is not None else None
        if fn is not None:
            fn(json.loads(take_buffer(lib.baton_record_to_json, record)))
    except BaseException as e:
        _stash_for(ud, e)


@LOG_FN
def _log_thunk(ud, level, message):
    try:
        engine = _engines.get(ud)
        fn = engine._log_fn if engine is not None else None
        if fn is not None:
            fn(level, text(message))
    except BaseException as e:
        _stash_for(ud, e)


@CLOCK_FN
def _clock_thunk(ud):
    try:
        engine = _engines.get(ud)
        if engine is None:
            return 0
        if engine._now is not None:
            return engine._now
        # A call the binding did not read the clock for: read it now. Should
        # it fail, the library gets 0 and the call raises the error after.
        if engine._clock_fn is not None:
            return engine._read_clock()
    except BaseException as e:
        _stash_for(ud, e)
    return 0


@PERSIST_FN
def _persist_thunk(ud, instance, data, size, revision):
    try:
        engine = _engines.get(ud)
        fn = engine._persist_fn if engine is not None else None
        if fn is None:
            return 0
        snapshot = string_at(data, size) if size else b""
        target = engine._instance_at(address(instance))
        return 0 if fn(target, snapshot, revision) is not False else 1
    except BaseException as e:
        _stash_for(ud, e)
        return 1


@PROBLEM_FN
def _problem_thunk(ud, code, source, line, column, tag, element_id, message):
    try:
        engine = _engines.get(ud)
        if engine is not None and engine._problems is not None:
            engine._problems.append({
                "code": code,
                "status": _errors.STATUS_NAMES.get(code, str(code)),
                "source": text(source),
                "line": line,
                "column": column,
                "tag": text(tag),
                "element_id": text(element_id),
                "message": text(message),
            })
    except BaseException as e:
        _stash_for(ud, e)


# ------------------------------------------------------------------- engine

class _Closable(object):
    """close() at the end of a `with` block, and a last release when the
    object is collected without having been closed."""

    @property
    def closed(self):
        handle = getattr(self, "_handle", None)
        return handle is None or handle.ptr is None

    def __del__(self):
        try:
            self._release()
        except Exception:
            pass

    def __enter__(self):
        self._live()
        return self

    def __exit__(self, *exc):
        self.close()


class Engine(_Closable):
    """A Baton engine: handlers, hooks, limits and deployed processes.

    Use it from one thread at a time; handlers and hooks run in the thread
    that calls run() or step(). ``close()`` (or leaving a ``with`` block)
    frees it and closes the instances still open on it.
    """

    def __init__(self):
        self._handle = None
        self._instances = {}    # address -> _Handle of each open instance
        self._handlers = {}     # job type -> function
        self._record_fn = None
        self._log_fn = None
        self._clock_fn = None
        self._now = None        # the clock's time for the current call
        self._persist_fn = None
        self._problems = None
        self._running = []      # instances whose C call is under way
        self._pending = None    # exception to raise when the C call returns
        ptr = ENGINE()
        lib.baton_engine_new(None, None, byref(ptr))
        self._handle = _Handle(ptr, lib.baton_engine_free)
        self._id = next(_ids)
        _engines[self._id] = self

    # -- lifetime

    def _live(self):
        handle = self._handle
        if handle is None or handle.ptr is None:
            raise ClosedError("the engine is closed")
        return handle.ptr

    def close(self):
        """Closes the engine and every instance still open on it. Harmless
        when already closed; not allowed while one of its instances runs."""
        if self.closed:
            return
        if self._running:
            raise StateError("cannot close the engine while one of its "
                             "instances runs (from a handler or hook?)")
        self._release()

    def _release(self):
        handle = self._handle
        if handle is None:
            return
        for child in list(self._instances.values()):
            child.release()
        self._instances.clear()
        handle.release()
        self._handlers.clear()
        self._record_fn = self._log_fn = None
        self._clock_fn = self._persist_fn = None
        self._now = None
        try:
            _engines.pop(self._id, None)
        except Exception:
            pass

    def __repr__(self):
        return "<baton.Engine%s>" % (" closed" if self.closed else "")

    # -- calls that may run callbacks

    def _stash(self, exc):
        """Keeps `exc` to raise when the current C call returns. An
        interrupt (KeyboardInterrupt, SystemExit...) wins over an error."""
        current = self._pending
        if current is None or (isinstance(current, Exception)
                               and not isinstance(exc, Exception)):
            self._pending = exc

    def _guarded(self, instance, fn, *args):
        """Calls `fn` with `instance` (or None) as the running one, then
        raises what a callback stored, else what the call raised."""
        self._running.append(instance)
        error = None
        try:
            result = fn(*args)
        except Error as e:
            error, result = e, None
        finally:
            self._running.pop()
        if self._pending is not None and not self._running:
            pending, self._pending = self._pending, None
            if error is not None and pending.__context__ is None:
                pending.__context__ = error
            raise pending
        if error is not None:
            raise error
        return result

    def _adopt(self, cls, ptr, fn, *args):
        """Calls a constructor that writes `ptr`, and wraps what it made in
        `cls` even when a hook's exception is raised, so that it is freed
        when dropped."""
        try:
            self._guarded(None, fn, *args)
        finally:
            made = cls(self, ptr) if ptr else None
        return made

    def _instance_at(self, addr):
        for inst in reversed(self._running):
            if inst is not None and inst._handle.addr == addr:
                return inst
        return None

    def _dispatch_job(self, job_ptr):
        instance = self._running[-1] if self._running else None
        job = Job._in_handler(self, instance, job_ptr)
        try:
            try:
                fn = self._handlers.get(job.type)
                if fn is None:
                    raise LookupError("no handler is registered for job "
                                      "type %r" % job.type)
                result = fn(job)
                if not job._settled:
                    if result is DEFER:
                        job._settle(lib.baton_job_defer)
                    elif result is None or isinstance(result, Mapping):
                        data = _json_object(result, "the handler's result")
                        job._settle(lib.baton_job_complete, data,
                                    len(data) if data else 0)
                    else:
                        raise TypeError(
                            "the handler of %r returned %s; return a dict, "
                            "None or baton.DEFER" % (job.type,
                                                     type(result).__name__))
            except BpmnError as e:
                if job._settled:
                    raise
                job._settle(lib.baton_job_throw_error, _cstr(e.code),
                            _cstr(e.message))
            except MemoryError:
                raise
            except Exception as e:
                if job._settled:
                    raise
                job._settle(lib.baton_job_fail, max(job.retries - 1, 0),
                            _describe(e).encode("utf-8", "replace")
                            .replace(b"\0", b" "))
            return 0
        except BaseException as e:
            self._stash(e)
            if job._settled:
                return 0
            # Out of memory and interrupts undo the step: the job stays as
            # it was and its handler is called again by the next run.
            if isinstance(e, MemoryError) or not isinstance(e, Exception):
                return _errors.ENOMEM
            return _errors.EINVAL
        finally:
            job._detach()

    # -- models

    def load(self, xml, source_name=None):
        """Parses a BPMN document (str or bytes) into a Model."""
        data = _document(xml)
        ptr = MODEL()
        return self._adopt(Model, ptr, lib.baton_model_load, self._live(),
                           data, len(data), _cstr(source_name, "source_name"),
                           byref(ptr))

    def load_file(self, path):
        """Parses the BPMN file at `path` into a Model."""
        ptr = MODEL()
        return self._adopt(Model, ptr, lib.baton_model_load_file,
                           self._live(), os.fsencode(path), byref(ptr))

    def check(self, xml, source_name=None):
        """Checks a document as load() would and returns every problem
        found, as dicts (code, status, source, line, column, tag,
        element_id, message); [] when the document can run."""
        data = _document(xml)
        problems = []
        self._problems = problems
        try:
            code = self._guarded(None, lib.baton_model_check, self._live(),
                                 data, len(data),
                                 _cstr(source_name, "source_name"),
                                 _problem_thunk, self._id)
        finally:
            self._problems = None
        if code < 0 and not problems:
            raise engine_error(code, self._live())
        return problems

    def deploy(self, model, process_id=None):
        """Deploys a process of `model` (the only executable one when
        `process_id` is None); returns its version."""
        if not isinstance(model, Model):
            raise TypeError("deploy() needs a baton.Model (from load() or "
                            "load_file())")
        version = c_int(0)
        self._guarded(None, lib.baton_engine_deploy, self._live(),
                      model._live(), _cstr(process_id, "process_id"),
                      byref(version))
        return version.value

    # -- handlers and hooks

    def handler(self, job_type):
        """Decorator: ``@engine.handler("book-hotel")`` registers the
        function as the handler of jobs of that type."""
        def register(fn):
            self.register_handler(job_type, fn)
            return fn
        return register

    def register_handler(self, job_type, fn):
        """Registers `fn(job)` for jobs of `job_type`; None unregisters.

        The handler returns a dict of variables (or None) to complete the
        job, or baton.DEFER to leave it waiting; it raises
        baton.BpmnError(code, message) to throw a BPMN error; any other
        exception fails the job with the exception's message and one retry
        less."""
        if fn is not None and not callable(fn):
            raise TypeError("a handler must be callable")
        ptr = self._live()
        type_bytes = _cstr(job_type, "job type")
        if fn is None:
            lib.baton_engine_register_handler(ptr, type_bytes, HANDLER_FN(),
                                              None)
            self._handlers.pop(job_type, None)
            return
        self._handlers[job_type] = fn
        try:
            lib.baton_engine_register_handler(ptr, type_bytes, _handler_thunk,
                                              self._id)
        except BaseException:
            self._handlers.pop(job_type, None)
            raise

    @property
    def handlers(self):
        """The registered handlers, by job type (a copy)."""
        return dict(self._handlers)

    def on_record(self, fn):
        """Calls `fn(record)` for every record, a dict in Zeebe's exported
        shape (position, valueType, intent, key, value). None removes it.
        Usable as a decorator."""
        if fn is not None and not callable(fn):
            raise TypeError("the record sink must be callable")
        ptr = self._live()
        self._record_fn = fn
        lib.baton_engine_set_record_sink(
            ptr, _record_thunk if fn is not None else RECORD_FN(),
            self._id if fn is not None else None)
        return fn

    def on_log(self, fn):
        """Sends the engine's diagnostics to `fn(level, message)`, or to a
        logging.Logger. None removes it. Usable as a decorator."""
        if isinstance(fn, logging.Logger):
            logger = fn

            def fn(level, message):
                logger.log(_LOGGING_LEVELS.get(level, logging.INFO), "%s",
                           message)
        elif fn is not None and not callable(fn):
            raise TypeError("the log hook must be callable or a Logger")
        ptr = self._live()
        self._log_fn = fn
        lib.baton_engine_set_log(ptr,
                                 _log_thunk if fn is not None else LOG_FN(),
                                 self._id if fn is not None else None)
        return fn

    def set_clock(self, fn):
        """Uses `fn()` as the engine's clock: it returns the time as a
        timezone-aware datetime or as int milliseconds since the Unix
        epoch (a baton.ManualClock, baton.system_clock, or any callable).
        Timers and backoffs need a clock; without one, a call that needs
        the time raises StateError and changes nothing. None removes it.
        Returns `fn`, so it works as a decorator.

        The binding reads the clock once at the start of each call that
        changes an instance (run, step, settling a job, correlating...),
        and everything that call does sees that instant."""
        if fn is not None and not callable(fn):
            raise TypeError("the clock must be callable")
        ptr = self._live()
        self._clock_fn = fn
        lib.baton_engine_set_clock(ptr,
                                   _clock_thunk if fn is not None else CLOCK_FN(),
                                   self._id if fn is not None else None)
        return fn

    @property
    def clock(self):
        """The clock set with set_clock(), or None."""
        return self._clock_fn

    def _read_clock(self):
        """The host clock's time, in milliseconds since the epoch."""
        return to_millis(self._clock_fn(), "the clock's time")

    def _timed(self, fn, *args):
        """Calls `fn` with the clock read once beforehand (when a clock is
        set and no outer call has read it already)."""
        if self._now is not None or self._clock_fn is None:
            return fn(*args)
        self._now = self._read_clock()
        try:
            return fn(*args)
        finally:
            self._now = None

    def on_persist(self, fn):
        """Calls `fn(instance, snapshot, revision)` at the end of every run
        that changed an instance. Returning False (or raising) reports the
        run as failed (BATON_EIO; the exception itself is raised by run())
        after the state is kept. None removes it. Usable as a decorator."""
        if fn is not None and not callable(fn):
            raise TypeError("the persist hook must be callable")
        ptr = self._live()
        self._persist_fn = fn
        lib.baton_engine_set_persist(
            ptr, _persist_thunk if fn is not None else PERSIST_FN(),
            self._id if fn is not None else None)
        return fn

    def set_limit(self, which, value):
        """Sets a limit (a name of baton.LIMITS or its number); returns the
        previous value."""
        number = LIMITS.get(which, which) if isinstance(which, str) else which
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValueError("unknown limit %r (one of %s)"
                             % (which, ", ".join(sorted(LIMITS))))
        previous = lib.baton_engine_set_limit(self._live(), number,
                                              int(value))
        if previous < 0:
            raise ValueError("cannot set limit %r to %r" % (which, value))
        return previous

    # -- instances

    def start(self, process_id=None, variables=None, start=None):
        """Creates an instance of the latest deployment of `process_id`
        (None: the only deployed process) with `variables`. It starts at
        its none start event, or at the start event whose id is `start`
        (a timer, message or signal start event, see Model.start_events:
        the host calls this when its trigger occurred, `variables` then
        being the message's or signal's). Its start event is queued: call
        run() to move it."""
        return Instance.create(self, process_id, variables, start)

    def restore(self, snapshot):
        """Rebuilds an instance from snapshot bytes; the same process,
        version and model must be deployed on this engine."""
        if not isinstance(snapshot, (bytes, bytearray, memoryview)):
            raise TypeError("a snapshot is bytes, not %s"
                            % type(snapshot).__name__)
        data = bytes(snapshot)
        ptr = INSTANCE()
        return self._adopt(Instance, ptr, lib.baton_instance_restore,
                           self._live(), data, len(data), byref(ptr))


# -------------------------------------------------------------------- model

class Model(_Closable):
    """A parsed BPMN document. Immutable; deploy it with Engine.deploy().
    The engine keeps its own reference to what it deployed, so a model
    may be closed right after deploying it."""

    def __init__(self, engine, ptr):
        self._engine = engine
        self._handle = _Handle(ptr, lib.baton_model_free)

    @property
    def engine(self):
        return self._engine

    def _live(self):
        ptr = self._handle.ptr
        if ptr is None:
            raise ClosedError("the model is closed")
        return ptr

    def close(self):
        self._handle.release()

    def _release(self):
        self._handle.release()

    @property
    def processes(self):
        """[(process id, executable)] of every process in the document."""
        ptr = self._live()
        return [(text(lib.baton_model_process_id(ptr, i)),
                 bool(lib.baton_model_process_executable(ptr, i)))
                for i in range(lib.baton_model_process_count(ptr))]

    @property
    def process_ids(self):
        return [pid for pid, _ in self.processes]

    @property
    def checksum(self):
        return lib.baton_model_checksum(self._live())

    def _process_index(self, process):
        """The index of process `process` (an id; None: the only
        executable process)."""
        processes = self.processes
        if process is None:
            runnable = [i for i, (_, executable) in enumerate(processes)
                        if executable]
            if len(runnable) != 1:
                raise _errors.InvalidArgumentError(
                    "the model has %d executable processes: name one"
                    % len(runnable), _errors.EINVAL)
            return runnable[0]
        name = process if isinstance(process, str) else None
        for i, (pid, _) in enumerate(processes):
            if pid == name:
                return i
        if name is None:
            raise TypeError("a process is named by its id (str), not %s"
                            % type(process).__name__)
        raise NotFoundError("the model has no process '%s'" % process,
                            _errors.ENOTFOUND, element_id=process)

    def start_events(self, process=None):
        """The start events of process `process` (an id; None: the only
        executable process), in document order, as StartEvent(id, kind,
        name) tuples: `kind` is "none", "timer", "message" or "signal",
        `name` the message or signal name (None for the others). A host
        starts an instance at one with Engine.start(..., start=id) when
        its trigger occurs."""
        ptr = self._live()
        p = self._process_index(process)
        events = []
        for i in range(lib.baton_model_start_count(ptr, p)):
            kind = lib.baton_model_start_kind(ptr, p, i)
            name = lib.baton_model_start_name(ptr, p, i)
            events.append(StartEvent(
                text(lib.baton_model_start_id(ptr, p, i)),
                START_KINDS[kind] if 0 <= kind < len(START_KINDS)
                else str(kind),
                text(name) if name is not None else None))
        return events

    def next_due(self, process, start, since, fired=0):
        """When the timer of a timer start event is next due, for a host
        that keeps the schedule: `process` is a process id (None: the only
        executable process), `start` the start event's id or its index in
        start_events(), `since` the time of its last firing (or of the
        deployment when it has not fired yet; an aware datetime or int
        milliseconds since the epoch), `fired` how many times it fired.
        Returns an aware datetime in UTC, or None when it fires no more.

        InvalidArgumentError when `start` is not a timer start event;
        ExpressionError when its timer is an expression that does not give
        a valid timer (it is evaluated with no variables)."""
        ptr = self._live()
        p = self._process_index(process)
        events = self.start_events(self.processes[p][0])
        if isinstance(start, str):
            index = next((i for i, ev in enumerate(events) if ev.id == start),
                         None)
            if index is None:
                raise NotFoundError("'%s' is not a start event of process "
                                    "'%s'" % (start, self.processes[p][0]),
                                    _errors.ENOTFOUND, element_id=start)
        elif isinstance(start, int) and not isinstance(start, bool):
            if not 0 <= start < len(events):
                raise IndexError("process '%s' has %d start events, no "
                                 "index %d" % (self.processes[p][0],
                                               len(events), start))
            index = start
        else:
            raise TypeError("a start event is named by its id (str) or "
                            "index (int), not %s" % type(start).__name__)
        event = events[index]
        if event.kind != "timer":
            raise _errors.InvalidArgumentError(
                "'%s' is a %s start event, not a timer start event"
                % (event.id, event.kind), _errors.EINVAL,
                element_id=event.id)
        if not isinstance(fired, int) or isinstance(fired, bool):
            raise TypeError("fired must be an int, not %s"
                            % type(fired).__name__)
        if not 0 <= fired < 1 << 32:
            raise ValueError("fired must be from 0 to 2**32 - 1")
        due = c_int64(0)
        code = lib.baton_model_start_next_due(ptr, p, index,
                                              to_millis(since, "since"),
                                              fired, byref(due))
        if code < 0:
            cls = _errors.error_class(code)
            if code == _errors.EEXPR:
                message = ("the timer of start event '%s' does not give a "
                           "valid timer" % event.id)
            else:
                message = "%s (start event '%s')" % (strerror(code),
                                                     event.id)
            raise cls(message, code, element_id=event.id)
        return from_millis(due.value) if code == 1 else None

    def __repr__(self):
        if self.closed:
            return "<baton.Model closed>"
        return "<baton.Model %s>" % ", ".join(self.process_ids)


# ----------------------------------------------------------------- instance

class Instance(_Closable):
    """A process instance: created by Engine.start() (or Instance.create),
    or rebuilt by Engine.restore(). Closing it frees it in memory (it is
    not cancelled); closing its engine closes it too."""

    def __init__(self, engine, ptr):
        self._engine = engine
        self._handle = _Handle(ptr, lib.baton_instance_free)
        engine._instances[self._handle.addr] = self._handle

    @classmethod
    def create(cls, engine, process_id=None, variables=None, start=None):
        """As Engine.start()."""
        data = _json_object(variables)
        ptr = INSTANCE()
        if start is None:
            return engine._adopt(cls, ptr, lib.baton_instance_create,
                                 engine._live(),
                                 _cstr(process_id, "process_id"), data,
                                 len(data) if data else 0, byref(ptr))
        return engine._adopt(cls, ptr, lib.baton_instance_create_at,
                             engine._live(), _cstr(process_id, "process_id"),
                             _cstr(start, "start"), data,
                             len(data) if data else 0, byref(ptr))

    # -- lifetime

    @property
    def engine(self):
        return self._engine

    def _live(self):
        ptr = self._handle.ptr
        if ptr is None:
            if self._engine.closed:
                raise ClosedError("the instance is closed (its engine was "
                                  "closed)")
            raise ClosedError("the instance is closed")
        return ptr

    def close(self):
        """Frees the instance. Harmless when already closed; not allowed
        from one of its own handlers or hooks."""
        if self.closed:
            return
        if any(inst is self for inst in self._engine._running):
            raise StateError("cannot close an instance while it runs")
        self._release()

    def _release(self):
        self._engine._instances.pop(self._handle.addr, None)
        self._handle.release()

    def __repr__(self):
        if self.closed:
            return "<baton.Instance closed>"
        return "<baton.Instance %d of %s: %s>" % (self.key, self.process_id,
                                                 self.state)

    def _call(self, fn, *args):
        ptr = self._live()
        self._not_running()
        engine = self._engine
        return engine._timed(engine._guarded, self, fn, ptr, *args)

    def _not_running(self):
        # From one of its own handlers or hooks the instance is in the
        # middle of a step: it may be read, not changed.
        if any(inst is self for inst in self._engine._running):
            raise StateError("the instance is running: a handler or hook "
                             "may read it but not change it")

    # -- moving

    def run(self, max_steps=0):
        """Steps until the instance waits or ends, at most `max_steps`
        steps (0: the engine's "steps" limit); returns the state.
        Raises BudgetError when the budget ran out with work ready."""
        self._call(lib.baton_instance_run, max_steps)
        return self.state

    def step(self):
        """Performs one transition; returns "ready" (more are ready),
        "waiting" or "ended"."""
        return _PROGRESS[self._call(lib.baton_instance_step)]

    def cancel(self):
        """Cancels the instance: its elements terminate at the next run."""
        self._call(lib.baton_instance_cancel)

    # -- reading

    @property
    def state(self):
        """"active", "waiting", "incident", "completed" or "terminated"."""
        return STATES[lib.baton_instance_state(self._live())]

    @property
    def key(self):
        return lib.baton_instance_key(self._live())

    @property
    def process_id(self):
        return text(lib.baton_instance_process_id(self._live()))

    @property
    def process_version(self):
        return lib.baton_instance_process_version(self._live())

    @property
    def revision(self):
        return lib.baton_instance_revision(self._live())

    @property
    def variables(self):
        """The variables of the process scope, as a new dict."""
        return json.loads(take_buffer(lib.baton_instance_variables,
                                      self._live()))

    @property
    def elements(self):
        """The live element instances, the process instance first, as a
        new list of dicts with the keys of baton_instance_elements():
        key, elementId, elementType, state, flowScopeKey and variables
        (the scope's local variables)."""
        return json.loads(take_buffer(lib.baton_instance_elements,
                                      self._live()))

    def get_variable(self, name, default=_MISSING):
        """One variable of the process scope; `default` when it does not
        exist, or NotFoundError without a default."""
        try:
            data = take_buffer(lib.baton_instance_get_variable, self._live(),
                               _cstr(name, "name"))
        except NotFoundError:
            if default is _MISSING:
                raise
            return default
        return json.loads(data)

    def set_variables(self, variables=None, **more):
        """Merges variables into the process scope."""
        if variables is not None and not isinstance(variables, Mapping):
            raise TypeError("variables must be a dict (a JSON object), not %s"
                            % type(variables).__name__)
        merged = dict(variables or {})
        merged.update(more)
        data = _json_object(merged)
        self._call(lib.baton_instance_set_variables, data, len(data))

    @property
    def jobs(self):
        """The waiting jobs (copied: their data stays valid)."""
        ptr = self._live()
        return [Job._listed(self._engine, self, lib.baton_instance_job(ptr, i))
                for i in range(lib.baton_instance_job_count(ptr))]

    @property
    def incidents(self):
        """Open incidents as dicts: key, type, message, element_id,
        job_key (0 when none)."""
        ptr = self._live()
        return [{
            "key": lib.baton_instance_incident_key(ptr, i),
            "type": text(lib.baton_instance_incident_type(ptr, i)),
            "message": text(lib.baton_instance_incident_message(ptr, i)),
            "element_id": text(lib.baton_instance_incident_element_id(ptr,
                                                                      i)),
            "job_key": lib.baton_instance_incident_job_key(ptr, i),
        } for i in range(lib.baton_instance_incident_count(ptr))]

    # -- settling jobs by key, incidents

    def complete_job(self, job_key, variables=None):
        """Completes a waiting job (deferred, or with no handler)."""
        data = _json_object(variables)
        self._call(lib.baton_instance_complete_job, job_key, data,
                   len(data) if data else 0)

    def fail_job(self, job_key, message=None, retries=None, backoff=None):
        """Fails a waiting job; `retries` defaults to the job's retries
        minus one (0 raises an incident). With `backoff` (a timedelta or
        int milliseconds; needs a clock) the retry waits that long: the
        job is not handed out again, to a handler or in `jobs`, until the
        clock passes it, and `next_due` includes it."""
        wait = _backoff(backoff)
        if retries is None:
            retries = 0
            for job in self.jobs:
                if job.key == job_key:
                    retries = max(job.retries - 1, 0)
        if wait:
            self._call(lib.baton_instance_fail_job_backoff, job_key, retries,
                       wait, _cstr(message, "message"))
        else:
            self._call(lib.baton_instance_fail_job, job_key, retries,
                       _cstr(message, "message"))

    def throw_error(self, job_key, code, message=None):
        """Throws the BPMN error `code` from a waiting job's task."""
        self._call(lib.baton_instance_throw_job_error, job_key,
                   _cstr(code, "code"), _cstr(message, "message"))

    def update_job_retries(self, job_key, retries):
        self._call(lib.baton_instance_update_job_retries, job_key, retries)

    # -- events: timers, messages, signals

    @property
    def next_due(self):
        """When the instance next needs to run: the earliest due time of
        its timers and of its jobs' backoffs, as an aware datetime in UTC,
        or None when nothing waits on time. Calling run() at that time (or
        later) fires what is due at the clock's time."""
        due = c_int64(0)
        if lib.baton_instance_next_due(self._live(), byref(due)) == 1:
            return from_millis(due.value)
        return None

    @property
    def subscriptions(self):
        """The open subscriptions, oldest first, as Subscription tuples
        (kind, key, element_id, element_instance_key, name,
        correlation_key, due): what the instance waits for, for a host
        that keeps its own index of them."""
        ptr = self._live()
        subs = []
        for i in range(lib.baton_instance_subscription_count(ptr)):
            kind = lib.baton_instance_subscription_kind(ptr, i)
            name = lib.baton_instance_subscription_name(ptr, i)
            corr = lib.baton_instance_subscription_correlation_key(ptr, i)
            kind_name = (SUBSCRIPTION_KINDS[kind]
                         if 0 <= kind < len(SUBSCRIPTION_KINDS)
                         else str(kind))
            subs.append(Subscription(
                kind_name,
                lib.baton_instance_subscription_key(ptr, i),
                text(lib.baton_instance_subscription_element_id(ptr, i)),
                lib.baton_instance_subscription_element_instance_key(ptr, i),
                text(name) if name is not None else None,
                text(corr) if corr is not None else None,
                from_millis(lib.baton_instance_subscription_due(ptr, i))
                if kind_name == "timer" else None))
        return subs

    def correlate_message(self, name, correlation_key=None, variables=None):
        """Correlates the message `name`: the oldest open message
        subscription of that name whose correlation key equals
        `correlation_key` (a str; an int is written in decimal), or that
        has none, is triggered, and `variables` go to the element that
        catches it. Returns True when a subscription matched, False when
        none did (nothing changed: buffering the message is the host's).
        The instance moves on at the next run()."""
        if isinstance(correlation_key, int) and \
                not isinstance(correlation_key, bool):
            correlation_key = str(correlation_key)
        data = _json_object(variables)
        return self._call(lib.baton_instance_correlate_message,
                          _cstr(name, "message name"),
                          _cstr(correlation_key, "correlation key"), data,
                          len(data) if data else 0) == 1

    def signal(self, name, variables=None):
        """Delivers the signal `name` to this instance: every open signal
        subscription of that name is triggered, with `variables`. Returns
        how many were (0: nothing changed). The instance moves on at the
        next run(). (A signal throw event only announces a broadcast with
        a SIGNAL BROADCASTED record; which instances receive it is the
        host's choice.)"""
        data = _json_object(variables)
        return self._call(lib.baton_instance_signal, _cstr(name,
                                                           "signal name"),
                          data, len(data) if data else 0)

    def resolve_incident(self, incident_key):
        """Resolves an incident: what raised it is tried again at the next
        run (a job with 0 retries gets 1)."""
        self._call(lib.baton_instance_resolve_incident, incident_key)

    # -- migration

    def migrate(self, process_id, version, plan=None, dry_run=False):
        """Moves the instance to version `version` of `process_id`
        deployed in this engine, with `plan` ({"mappings":
        [{"sourceElementId": ..., "targetElementId": ...}]}, a dict or
        JSON text; None: every element to the same id). Returns the
        report (a dict: "from", "to", "moved", "refused"); with `dry_run`
        nothing changes. A plan that cannot move the instance raises
        MigrationError, whose ``report`` and ``reasons`` say why."""
        if isinstance(plan, Mapping):
            data = json.dumps(plan).encode("utf-8")
        elif plan is None or isinstance(plan, bytes):
            data = plan
        elif isinstance(plan, str):
            data = plan.encode("utf-8")
        else:
            raise TypeError("plan must be a dict or JSON text, not %s"
                            % type(plan).__name__)
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError("version must be an int")
        pid = _cstr(process_id, "process_id")
        return self._call(_migrate, pid, version, data, bool(dry_run))

    # -- snapshots

    def snapshot(self):
        """The instance as bytes, for Engine.restore()."""
        ptr = self._live()
        self._not_running()
        return take_buffer(lib.baton_instance_snapshot, ptr)


def _migrate(ptr, process_id, version, data, dry_run):
    out = c_void_p()
    try:
        code = lib.baton_instance_migrate(ptr, process_id, version, data,
                                          len(data) if data else 0,
                                          1 if dry_run else 0, byref(out))
        report = json.loads(string_at(out.value)) if out.value else None
    finally:
        lib.baton_free(out)
    if code < 0:
        error = engine_error(code, lib.baton_instance_engine(ptr))
        error.report = report
        raise error
    return report


# ---------------------------------------------------------------------- job

class Job(object):
    """One unit of work for a handler.

    Inside its handler a job settles in place (complete, fail,
    throw_error, defer); anywhere else it settles by key through its
    instance. Its fields are copied when it is made, so a job kept after
    its handler returned still says what it was; its variables can be read
    only during the handler (they are read once, then kept) or when the
    job came from Instance.jobs.
    """

    def __init__(self):
        raise TypeError("jobs come from handlers and Instance.jobs")

    @classmethod
    def _read(cls, engine, instance, ptr):
        job = object.__new__(cls)
        job._engine = engine
        job._instance = instance
        job._ptr = None
        job._settled = False
        job._closed = False
        job._vars = None
        job.key = lib.baton_job_key(ptr)
        job.type = text(lib.baton_job_type(ptr))
        job.element_id = text(lib.baton_job_element_id(ptr))
        job.element_instance_key = lib.baton_job_element_instance_key(ptr)
        job.process_instance_key = lib.baton_job_process_instance_key(ptr)
        job.process_id = text(lib.baton_job_process_id(ptr))
        job.retries = lib.baton_job_retries(ptr)
        job.headers = {
            text(lib.baton_job_header_name(ptr, i)):
                text(lib.baton_job_header_value(ptr, i))
            for i in range(lib.baton_job_header_count(ptr))}
        return job

    @classmethod
    def _in_handler(cls, engine, instance, ptr):
        job = cls._read(engine, instance, ptr)
        job._ptr = ptr
        return job

    @classmethod
    def _listed(cls, engine, instance, ptr):
        job = cls._read(engine, instance, ptr)
        job._vars = json.loads(take_buffer(lib.baton_job_variables, ptr))
        return job

    def _detach(self):
        """The handler returned: the C job is no longer ours to touch."""
        self._ptr = None

    def _settle(self, fn, *args):
        fn(self._ptr, *args)
        self._settled = True

    def _check_open(self):
        if self._closed:
            raise ClosedError("the job is closed")

    def _through_instance(self):
        if self._instance is None:
            raise StateError("job %d has no instance to settle it through"
                             % self.key)
        return self._instance

    # -- lifetime

    @property
    def instance(self):
        """The instance the job belongs to (None once the job is closed)."""
        return self._instance

    @property
    def in_handler(self):
        """True while the job's handler runs."""
        return self._ptr is not None

    @property
    def closed(self):
        return self._closed

    def close(self):
        """Drops the job's link to its instance. Harmless when repeated."""
        self._closed = True
        self._instance = None

    def __enter__(self):
        self._check_open()
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<baton.Job %d %s at %s%s>" % (
            self.key, self.type, self.element_id,
            " closed" if self._closed else "")

    # -- reading

    @property
    def variables(self):
        """The variables the job sees (its scope and every scope above)."""
        self._check_open()
        if self._vars is None:
            if self._ptr is None:
                raise StateError("the variables of job %d can only be read "
                                 "during its handler; use "
                                 "Instance.variables or Instance.jobs"
                                 % self.key)
            self._vars = json.loads(take_buffer(lib.baton_job_variables,
                                                self._ptr))
        return self._vars

    def header(self, name, default=None):
        return self.headers.get(name, default)

    # -- settling

    def complete(self, variables=None):
        """Completes the job, merging `variables` as Zeebe merges a job
        result."""
        self._check_open()
        data = _json_object(variables)
        if self._ptr is not None:
            self._settle(lib.baton_job_complete, data,
                         len(data) if data else 0)
        else:
            self._through_instance().complete_job(self.key, variables)

    def fail(self, message=None, retries=None, backoff=None):
        """Fails the job; `retries` defaults to one less than it has (with
        0 left an incident is raised). With `backoff` (a timedelta or int
        milliseconds; needs a clock) the retry waits that long (Zeebe's
        retryBackOff)."""
        self._check_open()
        wait = _backoff(backoff)
        if retries is None:
            retries = max(self.retries - 1, 0)
        if self._ptr is None:
            self._through_instance().fail_job(self.key, message, retries,
                                              backoff)
        elif wait:
            self._settle(lib.baton_job_fail_backoff, retries, wait,
                         _cstr(message, "message"))
        else:
            self._settle(lib.baton_job_fail, retries,
                         _cstr(message, "message"))

    def throw_error(self, code, message=None):
        """Throws the BPMN error `code` from the job's task."""
        self._check_open()
        if self._ptr is not None:
            self._settle(lib.baton_job_throw_error, _cstr(code, "code"),
                         _cstr(message, "message"))
        else:
            self._through_instance().throw_error(self.key, code, message)

    def defer(self):
        """Leaves the job waiting, to be settled later by key. Only inside
        its handler (returning baton.DEFER does the same)."""
        self._check_open()
        if self._ptr is None:
            raise StateError("only a job inside its handler can be "
                             "deferred; job %d already waits" % self.key)
        self._settle(lib.baton_job_defer)


def library_version():
    """The version of the loaded libbaton, "MAJOR.MINOR.PATCH"."""
    return text(lib.baton_version())


def library_version_number():
    return lib.baton_version_number()


def strerror(code):
    return text(lib.baton_strerror(code))


__all__ = ["Engine", "Model", "Instance", "Job", "DEFER", "STATES", "LIMITS",
           "START_KINDS", "SUBSCRIPTION_KINDS", "StartEvent", "Subscription",
           "LOG_ERROR", "LOG_WARN", "LOG_INFO", "LOG_DEBUG",
           "library_version", "library_version_number", "strerror"]
