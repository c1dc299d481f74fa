"""Dependency-free progress bars (stderr, only on a terminal).

:class:`TerminalLine` holds what every bar shares: it draws only on a terminal
(or with ``force``), redraws at most ``hz`` times a second, and ends its line
on ``close``. :class:`Progress` counts samples of a recording; the batch
command's bar over files builds on the same class.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def bar(fraction: float, width: int = 30) -> str:
    """``[#####-----]`` for a fraction in [0, 1]."""
    fill = int(min(max(fraction, 0.0), 1.0) * width)
    return "[" + "#" * fill + "-" * (width - fill) + "]"


class TerminalLine:
    """A status line redrawn in place with ``\\r``; silent unless on a terminal."""

    def __init__(self, stream: TextIO | None = None, force: bool = False, hz: float = 4.0):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = force or bool(getattr(self.stream, "isatty", lambda: False)())
        self._min_dt = 1.0 / hz
        self._last = 0.0
        self._t0 = time.perf_counter()
        self._drawn = False

    @property
    def elapsed(self) -> float:
        return max(time.perf_counter() - self._t0, 1e-9)

    def due(self, final: bool = False) -> bool:
        """True when a redraw is allowed now (always for the final state)."""
        if not self.enabled:
            return False
        now = time.perf_counter()
        if now - self._last < self._min_dt and not final:
            return False
        self._last = now
        return True

    def draw(self, text: str) -> None:
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Wipe the line (before other output goes to the terminal); redrawn on the next update."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class ClearsLine:
    """A text stream that wipes a :class:`TerminalLine` before each write.

    Frame lines go through it, so that a progress or status line never runs
    into them (both usually end up on the same terminal).
    """

    def __init__(self, stream: TextIO, line: TerminalLine) -> None:
        self._stream = stream
        self._line = line

    def write(self, text: str) -> int:
        self._line.clear()
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()


class Progress(TerminalLine):
    """Shows ``done/total`` samples as a bar with speed (x real time) and ETA."""

    def __init__(
        self,
        total: int | None,
        sample_rate: float,
        label: str = "",
        stream: TextIO | None = None,
        force: bool = False,
        hz: float = 4.0,
    ) -> None:
        super().__init__(stream, force, hz)
        self.total = total
        self.sample_rate = sample_rate
        self.label = label

    def __call__(self, done: int) -> None:
        if not self.due(final=self.total is not None and done >= self.total):
            return
        elapsed = self.elapsed
        speed = done / elapsed / self.sample_rate  # seconds of signal per second
        if self.total:
            frac = min(done / self.total, 1.0)
            eta = (self.total - done) / max(done / elapsed, 1e-9)
            self.draw(
                f"{self.label} {bar(frac)} {frac * 100:5.1f}% {speed:6.1f}x real time "
                f"ETA {eta:5.0f}s"
            )
        else:
            self.draw(f"{self.label} {done / self.sample_rate:8.1f} s {speed:6.1f}x real time")
