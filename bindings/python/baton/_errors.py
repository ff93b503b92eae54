"""Status codes and the exceptions they become."""

# enum baton_status
OK = 0
ENOMEM = -1
EINVAL = -2
EPARSE = -3
EUNSUPPORTED = -4
EMODEL = -5
ENOTFOUND = -6
ESTATE = -7
ELIMIT = -8
EIO = -9
ESNAPSHOT = -10
EEXPR = -11
EBUDGET = -12
EMIGRATE = -13
# enum baton_host_status (baton_host.h)
HOST_ESTORE = -100
HOST_ECONFLICT = -101
HOST_ESCHEMA = -102

STATUS_NAMES = {
    OK: "BATON_OK", ENOMEM: "BATON_ENOMEM", EINVAL: "BATON_EINVAL",
    EPARSE: "BATON_EPARSE", EUNSUPPORTED: "BATON_EUNSUPPORTED",
    EMODEL: "BATON_EMODEL", ENOTFOUND: "BATON_ENOTFOUND",
    ESTATE: "BATON_ESTATE", ELIMIT: "BATON_ELIMIT", EIO: "BATON_EIO",
    ESNAPSHOT: "BATON_ESNAPSHOT", EEXPR: "BATON_EEXPR",
    EBUDGET: "BATON_EBUDGET", EMIGRATE: "BATON_EMIGRATE",
    HOST_ESTORE: "BATON_HOST_ESTORE", HOST_ECONFLICT: "BATON_HOST_ECONFLICT",
    HOST_ESCHEMA: "BATON_HOST_ESCHEMA",
}


class Error(Exception):
    """An error reported by the engine.

    ``code`` is the BATON_E* status (negative), ``message`` the engine's
    message, and ``line``, ``column`` (1-based, 0 when unknown),
    ``element_id`` and ``source`` say where it happened ("" when unknown).
    Errors raised by the binding itself (a closed object) have code None.
    """

    def __init__(self, message, code=None, line=0, column=0, element_id="",
                 source=""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.line = line
        self.column = column
        self.element_id = element_id
        self.source = source

    @property
    def status_name(self):
        """"BATON_EPARSE" and the like, or None."""
        return STATUS_NAMES.get(self.code)

    def __str__(self):
        where = ""
        if self.source:
            where = self.source
            if self.line > 0:
                where += ":%d" % self.line
                if self.column > 0:
                    where += ":%d" % self.column
            where += ": "
        elif self.line > 0:
            where = "line %d: " % self.line
        # The message may already name the element; say it once.
        if self.element_id and self.element_id not in self.message:
            where += self.element_id + ": "
        return where + self.message

    def __reduce__(self):
        return (self.__class__, (self.message, self.code, self.line,
                                 self.column, self.element_id, self.source))


class InvalidArgumentError(Error, ValueError):
    """BATON_EINVAL: an argument is invalid."""


class ParseError(Error):
    """BATON_EPARSE: the BPMN or JSON text is not well formed."""


class ExpressionError(ParseError):
    """BATON_EEXPR: an expression is malformed."""


class UnsupportedError(Error):
    """BATON_EUNSUPPORTED: the model uses something Baton cannot run."""


class ModelError(Error):
    """BATON_EMODEL: the model is well formed but not valid."""


class NotFoundError(Error, LookupError):
    """BATON_ENOTFOUND: no such process, job, incident or variable."""


class StateError(Error):
    """BATON_ESTATE: the object is not in a state that allows the call."""


class LimitError(Error):
    """BATON_ELIMIT: a size, depth or count limit was reached."""


class InputOutputError(Error):
    """BATON_EIO: a file could not be read, or the persist hook failed."""


class SnapshotError(Error):
    """BATON_ESNAPSHOT: a snapshot is damaged, foreign or too new."""


class BudgetError(Error):
    """BATON_EBUDGET: run() used its step budget with work still ready."""


class MigrationError(Error):
    """BATON_EMIGRATE: a migration plan cannot move the instance.
    ``report`` is the migration report (a dict, None when the call failed
    before writing it) and ``reasons`` its refusals as (element id,
    reason) pairs; the instance is as it was."""

    report = None

    @property
    def reasons(self):
        return [(r["elementId"], r["reason"])
                for r in (self.report or {}).get("refused", [])]


class OutOfMemoryError(Error, MemoryError):
    """BATON_ENOMEM: an allocation failed (also a MemoryError)."""


class ClosedError(Error, ValueError):
    """The object was closed (or its engine was)."""


class StoreError(Error):
    """BATON_HOST_ESTORE: the durable host's store failed or went away;
    nothing was written, the call may be repeated."""


class ConflictError(Error):
    """BATON_HOST_ECONFLICT: another worker changed the same instance or
    job first (or a message with the same id is still kept)."""


class SchemaError(Error):
    """BATON_HOST_ESCHEMA: the store is not a Baton store, or was written
    by a newer version of Baton."""


_CLASSES = {
    ENOMEM: OutOfMemoryError, EINVAL: InvalidArgumentError,
    EPARSE: ParseError, EUNSUPPORTED: UnsupportedError, EMODEL: ModelError,
    ENOTFOUND: NotFoundError, ESTATE: StateError, ELIMIT: LimitError,
    EIO: InputOutputError, ESNAPSHOT: SnapshotError, EEXPR: ExpressionError,
    EBUDGET: BudgetError, EMIGRATE: MigrationError, HOST_ESTORE: StoreError,
    HOST_ECONFLICT: ConflictError, HOST_ESCHEMA: SchemaError,
}


def error_class(code):
    return _CLASSES.get(code, Error)


class BpmnError(Exception):
    """Raised by a job handler to throw a BPMN error with ``code`` from the
    job's task; a boundary event or event subprocess catching the code
    takes over, or the instance raises an UNHANDLED_ERROR_EVENT incident."""

    def __init__(self, code, message=None, variables=None):
        if not isinstance(code, str) or not code:
            raise TypeError("BpmnError needs a non-empty error code (str)")
        if variables is not None and not isinstance(variables, dict):
            raise TypeError("BpmnError variables must be a dict")
        super().__init__(code, message)
        self.code = code
        self.message = message
        # Merged into the instance's variables before the error is thrown
        # (the durable host's Worker; the engine's handlers ignore them).
        self.variables = variables

    def __str__(self):
        return self.code + (": " + self.message if self.message else "")
