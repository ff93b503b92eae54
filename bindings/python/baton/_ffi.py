"""The C API of libbaton as ctypes prototypes (include/baton.h).

Every function is declared with argtypes and restype; every function that
returns a status has an errcheck that turns a negative status into the
matching baton.Error carrying the engine's last error (message, line,
column, element id, source). The engine of an instance or a job is asked
of the library (baton_instance_engine, baton_job_instance), so the binding
keeps no table of its own.
"""

import ctypes
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_int,
                    c_int64, c_size_t, c_uint32, c_uint64, c_void_p)

from . import _errors
from ._loader import load

lib, library_path = load()


class _Engine(Structure):
    pass


class _Model(Structure):
    pass


class _Instance(Structure):
    pass


class _Job(Structure):
    pass


class _Record(Structure):
    pass


ENGINE = POINTER(_Engine)
MODEL = POINTER(_Model)
INSTANCE = POINTER(_Instance)
JOB = POINTER(_Job)
RECORD = POINTER(_Record)

# Callback types; `void *ud` arrives as an int (or None).
LOG_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p)
CLOCK_FN = CFUNCTYPE(c_int64, c_void_p)
RECORD_FN = CFUNCTYPE(None, c_void_p, INSTANCE, RECORD)
PERSIST_FN = CFUNCTYPE(c_int, c_void_p, INSTANCE, c_void_p, c_size_t,
                       c_uint64)
HANDLER_FN = CFUNCTYPE(c_int, c_void_p, JOB)
PROBLEM_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_int, c_int,
                       c_char_p, c_char_p, c_char_p)

def address(ptr):
    return ctypes.cast(ptr, c_void_p).value


def text(raw):
    """A borrowed C string as str ("" for NULL)."""
    return raw.decode("utf-8", "replace") if raw else ""


def engine_error(code, engine_ptr):
    """The exception for status `code`, with the engine's last error."""
    cls = _errors.error_class(code)
    if not engine_ptr:
        return cls(strerror(code), code)
    message = text(lib.baton_engine_errmsg(engine_ptr)) or strerror(code)
    return cls(message, code,
               line=lib.baton_engine_errline(engine_ptr),
               column=lib.baton_engine_errcolumn(engine_ptr),
               element_id=text(lib.baton_engine_errelement(engine_ptr)),
               source=text(lib.baton_engine_errsource(engine_ptr)))


def _check_engine(result, func, args):
    if result < 0:
        raise engine_error(result, args[0])
    return result


def _check_instance(result, func, args):
    if result < 0:
        raise engine_error(result, lib.baton_instance_engine(args[0]))
    return result


def _check_job(result, func, args):
    if result < 0:
        raise engine_error(result, lib.baton_instance_engine(
            lib.baton_job_instance(args[0])))
    return result


def _check_plain(result, func, args):
    if result < 0:
        raise engine_error(result, None)
    return result


def strerror(code):
    return text(lib.baton_strerror(code))


_P = POINTER
_OUT_BUF = _P(c_void_p)
_OUT_LEN = _P(c_size_t)

# name: (restype, argtypes, errcheck)
_PROTOTYPES = {
    # errors and version
    "baton_strerror": (c_char_p, [c_int], None),
    "baton_version": (c_char_p, [], None),
    "baton_version_number": (c_int, [], None),
    "baton_free": (None, [c_void_p], None),
    # engine
    "baton_engine_new": (c_int, [c_void_p, c_void_p, _P(ENGINE)],
                         _check_plain),
    "baton_engine_free": (None, [ENGINE], None),
    "baton_engine_set_log": (None, [ENGINE, LOG_FN, c_void_p], None),
    "baton_engine_set_clock": (None, [ENGINE, CLOCK_FN, c_void_p], None),
    "baton_engine_set_record_sink": (None, [ENGINE, RECORD_FN, c_void_p],
                                     None),
    "baton_engine_set_persist": (None, [ENGINE, PERSIST_FN, c_void_p], None),
    "baton_engine_set_limit": (c_int64, [ENGINE, c_int, c_int64], None),
    "baton_engine_errmsg": (c_char_p, [ENGINE], None),
    "baton_engine_errcode": (c_int, [ENGINE], None),
    "baton_engine_errline": (c_int, [ENGINE], None),
    "baton_engine_errcolumn": (c_int, [ENGINE], None),
    "baton_engine_errelement": (c_char_p, [ENGINE], None),
    "baton_engine_errsource": (c_char_p, [ENGINE], None),
    # models
    "baton_model_load": (c_int, [ENGINE, c_char_p, c_size_t, c_char_p,
                                 _P(MODEL)], _check_engine),
    "baton_model_load_file": (c_int, [ENGINE, c_char_p, _P(MODEL)],
                              _check_engine),
    # the status of a check is the first problem's code, not a failure
    "baton_model_check": (c_int, [ENGINE, c_char_p, c_size_t, c_char_p,
                                  PROBLEM_FN, c_void_p], None),
    "baton_model_free": (None, [MODEL], None),
    "baton_model_process_count": (c_size_t, [MODEL], None),
    "baton_model_process_id": (c_char_p, [MODEL, c_size_t], None),
    "baton_model_process_executable": (c_int, [MODEL, c_size_t], None),
    "baton_model_checksum": (c_uint64, [MODEL], None),
    "baton_model_job_type_count": (c_size_t, [MODEL, c_size_t], None),
    "baton_model_job_type": (c_char_p, [MODEL, c_size_t, c_size_t], None),
    "baton_model_start_count": (c_size_t, [MODEL, c_size_t], None),
    "baton_model_start_id": (c_char_p, [MODEL, c_size_t, c_size_t], None),
    "baton_model_start_kind": (c_int, [MODEL, c_size_t, c_size_t], None),
    "baton_model_start_name": (c_char_p, [MODEL, c_size_t, c_size_t], None),
    # a model belongs to no engine: its status is read by the caller
    "baton_model_start_next_due": (c_int, [MODEL, c_size_t, c_size_t,
                                           c_int64, c_uint32, _P(c_int64)],
                                   None),
    "baton_engine_deploy": (c_int, [ENGINE, MODEL, c_char_p, _P(c_int)],
                            _check_engine),
    # jobs and handlers
    "baton_engine_register_handler": (c_int, [ENGINE, c_char_p, HANDLER_FN,
                                              c_void_p], _check_engine),
    "baton_job_key": (c_uint64, [JOB], None),
    "baton_job_instance": (INSTANCE, [JOB], None),
    "baton_job_type": (c_char_p, [JOB], None),
    "baton_job_element_id": (c_char_p, [JOB], None),
    "baton_job_element_instance_key": (c_uint64, [JOB], None),
    "baton_job_process_instance_key": (c_uint64, [JOB], None),
    "baton_job_process_id": (c_char_p, [JOB], None),
    "baton_job_retries": (c_int, [JOB], None),
    "baton_job_header_count": (c_size_t, [JOB], None),
    "baton_job_header_name": (c_char_p, [JOB, c_size_t], None),
    "baton_job_header_value": (c_char_p, [JOB, c_size_t], None),
    "baton_job_header": (c_char_p, [JOB, c_char_p], None),
    "baton_job_variables": (c_int, [JOB, _OUT_BUF, _OUT_LEN], _check_job),
    "baton_job_complete": (c_int, [JOB, c_char_p, c_size_t], _check_job),
    "baton_job_fail": (c_int, [JOB, c_int, c_char_p], _check_job),
    "baton_job_throw_error": (c_int, [JOB, c_char_p, c_char_p],
                              _check_job),
    "baton_job_fail_backoff": (c_int, [JOB, c_int, c_int64, c_char_p],
                               _check_job),
    "baton_job_defer": (c_int, [JOB], _check_job),
    # instances
    "baton_instance_create": (c_int, [ENGINE, c_char_p, c_char_p, c_size_t,
                                      _P(INSTANCE)], _check_engine),
    "baton_instance_create_at": (c_int, [ENGINE, c_char_p, c_char_p,
                                         c_char_p, c_size_t, _P(INSTANCE)],
                                 _check_engine),
    "baton_instance_free": (None, [INSTANCE], None),
    "baton_instance_step": (c_int, [INSTANCE], _check_instance),
    "baton_instance_run": (c_int, [INSTANCE, c_size_t], _check_instance),
    "baton_instance_state": (c_int, [INSTANCE], _check_instance),
    "baton_instance_key": (c_uint64, [INSTANCE], None),
    "baton_instance_engine": (ENGINE, [INSTANCE], None),
    "baton_instance_process_id": (c_char_p, [INSTANCE], None),
    "baton_instance_process_version": (c_int, [INSTANCE], None),
    "baton_instance_revision": (c_uint64, [INSTANCE], None),
    "baton_instance_variables": (c_int, [INSTANCE, _OUT_BUF, _OUT_LEN],
                                 _check_instance),
    "baton_instance_elements": (c_int, [INSTANCE, _OUT_BUF, _OUT_LEN],
                                _check_instance),
    "baton_instance_get_variable": (c_int, [INSTANCE, c_char_p, _OUT_BUF,
                                            _OUT_LEN], _check_instance),
    "baton_instance_set_variables": (c_int, [INSTANCE, c_char_p, c_size_t],
                                     _check_instance),
    "baton_instance_job_count": (c_size_t, [INSTANCE], None),
    "baton_instance_job": (JOB, [INSTANCE, c_size_t], None),
    "baton_instance_complete_job": (c_int, [INSTANCE, c_uint64, c_char_p,
                                            c_size_t], _check_instance),
    "baton_instance_fail_job": (c_int, [INSTANCE, c_uint64, c_int, c_char_p],
                                _check_instance),
    "baton_instance_throw_job_error": (c_int, [INSTANCE, c_uint64, c_char_p,
                                               c_char_p], _check_instance),
    "baton_instance_update_job_retries": (c_int, [INSTANCE, c_uint64, c_int],
                                          _check_instance),
    "baton_instance_fail_job_backoff": (c_int, [INSTANCE, c_uint64, c_int,
                                                c_int64, c_char_p],
                                        _check_instance),
    # events
    "baton_instance_next_due": (c_int, [INSTANCE, _P(c_int64)],
                                _check_instance),
    "baton_instance_subscription_count": (c_size_t, [INSTANCE], None),
    "baton_instance_subscription_kind": (c_int, [INSTANCE, c_size_t], None),
    "baton_instance_subscription_key": (c_uint64, [INSTANCE, c_size_t],
                                        None),
    "baton_instance_subscription_element_id": (c_char_p,
                                               [INSTANCE, c_size_t], None),
    "baton_instance_subscription_element_instance_key": (
        c_uint64, [INSTANCE, c_size_t], None),
    "baton_instance_subscription_name": (c_char_p, [INSTANCE, c_size_t],
                                         None),
    "baton_instance_subscription_correlation_key": (
        c_char_p, [INSTANCE, c_size_t], None),
    "baton_instance_subscription_due": (c_int64, [INSTANCE, c_size_t],
                                        None),
    "baton_instance_correlate_message": (c_int, [INSTANCE, c_char_p,
                                                 c_char_p, c_char_p,
                                                 c_size_t], _check_instance),
    "baton_instance_signal": (c_int, [INSTANCE, c_char_p, c_char_p,
                                      c_size_t], _check_instance),
    "baton_instance_incident_count": (c_size_t, [INSTANCE], None),
    "baton_instance_incident_key": (c_uint64, [INSTANCE, c_size_t], None),
    "baton_instance_incident_type": (c_char_p, [INSTANCE, c_size_t], None),
    "baton_instance_incident_message": (c_char_p, [INSTANCE, c_size_t],
                                        None),
    "baton_instance_incident_element_id": (c_char_p, [INSTANCE, c_size_t],
                                           None),
    "baton_instance_incident_job_key": (c_uint64, [INSTANCE, c_size_t], None),
    "baton_instance_resolve_incident": (c_int, [INSTANCE, c_uint64],
                                        _check_instance),
    "baton_instance_cancel": (c_int, [INSTANCE], _check_instance),
    # snapshots
    "baton_instance_snapshot": (c_int, [INSTANCE, _OUT_BUF, _OUT_LEN],
                                _check_instance),
    "baton_instance_restore": (c_int, [ENGINE, c_char_p, c_size_t,
                                       _P(INSTANCE)], _check_engine),
    # migration: checked by Instance.migrate, which keeps the report of a
    # refused plan
    "baton_instance_migrate": (c_int, [INSTANCE, c_char_p, c_int, c_char_p,
                                       c_size_t, c_int, _P(c_void_p)], None),
    # records
    "baton_record_value_type": (c_int, [RECORD], None),
    "baton_record_intent": (c_int, [RECORD], None),
    "baton_record_key": (c_uint64, [RECORD], None),
    "baton_record_position": (c_uint64, [RECORD], None),
    "baton_record_element_id": (c_char_p, [RECORD], None),
    "baton_record_element_type": (c_char_p, [RECORD], None),
    "baton_value_type_name": (c_char_p, [c_int], None),
    "baton_intent_name": (c_char_p, [c_int], None),
    "baton_record_to_json": (c_int, [RECORD, _OUT_BUF, _OUT_LEN],
                             _check_plain),
}


def declare(cdll, path, prototypes):
    """Sets restype, argtypes and errcheck of every function of
    `prototypes` ({name: (restype, argtypes, errcheck)}) on `cdll`; a
    library that lacks any of them is refused with ImportError."""
    missing = []
    for name, (restype, argtypes, errcheck) in prototypes.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
        if errcheck is not None:
            fn.errcheck = errcheck
    if missing:
        raise ImportError("baton: the library at %s lacks %s (too old?)"
                          % (path, ", ".join(missing)))


declare(lib, library_path, _PROTOTYPES)


def take_buffer(call, *args):
    """Calls a function that hands over a buffer through (void **out,
    size_t *len) as its last two arguments; returns the bytes, the buffer
    released with baton_free()."""
    buf = c_void_p()
    size = c_size_t()
    try:
        call(*args, ctypes.byref(buf), ctypes.byref(size))
        return ctypes.string_at(buf.value, size.value) if buf.value else b""
    finally:
        lib.baton_free(buf)
