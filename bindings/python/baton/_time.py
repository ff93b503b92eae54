"""Time for the engine: instants and durations in Python terms.

The library counts time in milliseconds since the Unix epoch (UTC) and
durations in milliseconds. The binding takes, wherever it expects an
instant, a timezone-aware ``datetime`` or an ``int`` of milliseconds since
the epoch, and wherever it expects a duration, a ``timedelta`` or an
``int`` of milliseconds. A naive ``datetime`` (no tzinfo) is refused with
TypeError: which zone it means cannot be known. What the binding returns
is always an aware ``datetime`` in UTC.
"""

import threading
import time
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
# The instants a datetime can hold, in milliseconds since the epoch.
_MIN_MS = (datetime.min.replace(tzinfo=UTC) - EPOCH) // _MS
_MAX_MS = (datetime.max.replace(tzinfo=UTC) - EPOCH) // _MS


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def to_millis(when, what="a time"):
    """An aware datetime (or int milliseconds) -> milliseconds since the
    Unix epoch, as the library counts time."""
    if isinstance(when, datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise TypeError("%s must be a timezone-aware datetime (for "
                            "example datetime.now(timezone.utc)), not a "
                            "naive one" % what)
        ms = (when - EPOCH) // _MS
    elif _is_int(when):
        ms = when
    else:
        raise TypeError("%s must be a timezone-aware datetime or int "
                        "milliseconds since the epoch, not %s"
                        % (what, type(when).__name__))
    if not _INT64_MIN <= ms <= _INT64_MAX:
        raise OverflowError("%s is out of the library's range" % what)
    return ms


def from_millis(ms):
    """Milliseconds since the Unix epoch -> an aware datetime in UTC. An
    instant beyond what a datetime holds (the library uses the largest
    64-bit value for "never", e.g. a backoff that overflows) is clamped to
    datetime.max or datetime.min, in UTC."""
    if ms > _MAX_MS:
        return datetime.max.replace(tzinfo=UTC)
    if ms < _MIN_MS:
        return datetime.min.replace(tzinfo=UTC)
    return EPOCH + timedelta(milliseconds=ms)


def duration_millis(duration, what="a duration"):
    """A timedelta (or int milliseconds) -> whole milliseconds (a
    fraction of a millisecond is dropped); negative is a ValueError."""
    if isinstance(duration, timedelta):
        ms = duration // _MS
    elif _is_int(duration):
        ms = duration
    else:
        raise TypeError("%s must be a datetime.timedelta or int "
                        "milliseconds, not %s" % (what,
                                                  type(duration).__name__))
    if ms < 0:
        raise ValueError("%s cannot be negative" % what)
    if ms > _INT64_MAX:
        raise OverflowError("%s is out of the library's range" % what)
    return ms


def system_clock():
    """The system's time, in milliseconds since the Unix epoch: a clock
    for Engine.set_clock() that follows the wall clock."""
    return time.time_ns() // 1000000


class ManualClock(object):
    """A clock that moves only when told to, for tests and for hosts that
    drive time themselves (a replay, a simulation)::

        clock = baton.ManualClock(datetime(2024, 5, 1, tzinfo=timezone.utc))
        engine.set_clock(clock)
        ...
        clock.advance(timedelta(minutes=15))
        instance.run()              # fires what is due at the new time

    Calling it returns ``now``; ``start`` (an aware datetime or int
    milliseconds) defaults to the system's time, whole milliseconds.
    """

    def __init__(self, start=None):
        self._lock = threading.Lock()
        self._ms = system_clock() if start is None else \
            to_millis(start, "the clock's start")

    @property
    def now(self):
        """The clock's time, an aware datetime in UTC."""
        return from_millis(self._ms)

    @property
    def millis(self):
        """The clock's time in milliseconds since the Unix epoch."""
        return self._ms

    def __call__(self):
        return self.now

    def advance(self, delta):
        """Moves the clock forward by `delta` (a timedelta or int
        milliseconds, not negative); returns the new time."""
        ms = duration_millis(delta, "the clock's step")
        with self._lock:
            self._ms = to_millis(self._ms + ms, "the clock's time")
            return from_millis(self._ms)

    def set(self, when):
        """Sets the clock to `when` (an aware datetime or int
        milliseconds), backwards too; returns the new time."""
        ms = to_millis(when, "the clock's time")
        with self._lock:
            self._ms = ms
        return from_millis(ms)

    def __repr__(self):
        return "<baton.ManualClock %s>" % self.now.isoformat()
