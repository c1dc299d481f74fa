"""A dependency-free progress bar for long files (stderr, only on a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Shows ``done/total`` samples as a bar with rate and ETA.

    Silent unless ``stream`` is a terminal (or ``force``), so logs and pipes
    stay clean. Redraws at most ``hz`` times a second.
    """

    def __init__(
        self,
        total: int | None,
        sample_rate: float,
        label: str = "",
        stream: TextIO | None = None,
        force: bool = False,
        hz: float = 4.0,
    ) -> None:
        self.total = total
        self.sample_rate = sample_rate
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = force or bool(getattr(self.stream, "isatty", lambda: False)())
        self._min_dt = 1.0 / hz
        self._last = 0.0
        self._t0 = time.perf_counter()
        self._drawn = False

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < self._min_dt and (self.total is None or done < self.total):
            return
        self._last = now
        elapsed = max(now - self._t0, 1e-9)
        speed = done / elapsed / self.sample_rate  # seconds of signal per second
        if self.total:
            frac = min(done / self.total, 1.0)
            width = 30
            bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
            eta = (self.total - done) / max(done / elapsed, 1e-9)
            text = (
                f"\r{self.label} [{bar}] {frac * 100:5.1f}% {speed:6.1f}x real time ETA {eta:5.0f}s"
            )
        else:
            text = f"\r{self.label} {done / self.sample_rate:8.1f} s {speed:6.1f}x real time"
        self.stream.write(text)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
