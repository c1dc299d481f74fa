"""Clocks the station runs on: the real one, a faster one, and a simulated one.

The station never calls ``time.time()`` or ``datetime.now()`` itself; it asks
its clock. :class:`RealClock` is the wall clock. :class:`ScaledClock` runs
``speed`` times faster from a chosen start (a rehearsal against a replayed
pass). :class:`SimClock` jumps: ``sleep_until`` returns at once with the time
moved on, and sources move it as they hand out samples, so a week of passes
runs in seconds. Every ``sleep_until`` wakes early when ``stop`` is set.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time

UTC = _dt.timezone.utc


def _aware(t: _dt.datetime) -> _dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class Clock:
    """Interface: ``now()`` (aware UTC) and an interruptible ``sleep_until``."""

    #: True when time passes by itself (a tracker thread can poll it)
    realtime = True
    #: how many clock seconds pass per wall-clock second
    speed = 1.0

    def now(self) -> _dt.datetime:
        raise NotImplementedError

    def sleep_until(self, t: _dt.datetime, stop: threading.Event | None = None) -> bool:
        """Wait until ``t``; False when ``stop`` was set first."""
        raise NotImplementedError

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        return self.sleep_until(self.now() + _dt.timedelta(seconds=seconds), stop)


class RealClock(Clock):
    """The system clock. Long sleeps wake every minute to notice clock steps."""

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(UTC)

    def sleep_until(self, t: _dt.datetime, stop: threading.Event | None = None) -> bool:
        stop = stop or threading.Event()
        t = _aware(t)
        while True:
            left = (t - self.now()).total_seconds() / self.speed
            if left <= 0:
                return not stop.is_set()
            if stop.wait(min(left, 60.0)):
                return False


class ScaledClock(RealClock):
    """Starts at ``start`` and runs ``speed`` times faster than the wall clock."""

    def __init__(self, start: _dt.datetime, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError("clock speed must be positive")
        self.start = _aware(start)
        self.speed = float(speed)
        self._m0 = time.monotonic()

    def now(self) -> _dt.datetime:
        return self.start + _dt.timedelta(seconds=(time.monotonic() - self._m0) * self.speed)


class SimClock(Clock):
    """Simulated time: ``sleep_until`` jumps there; ``advance_to`` moves time forward."""

    realtime = False
    speed = float("inf")

    def __init__(self, start: _dt.datetime) -> None:
        self._now = _aware(start)
        self._lock = threading.Lock()

    def now(self) -> _dt.datetime:
        with self._lock:
            return self._now

    def advance_to(self, t: _dt.datetime) -> None:
        """Move time forward to ``t`` (never backwards)."""
        t = _aware(t)
        with self._lock:
            if t > self._now:
                self._now = t

    def sleep_until(self, t: _dt.datetime, stop: threading.Event | None = None) -> bool:
        if stop is not None and stop.is_set():
            return False
        self.advance_to(t)
        return True
