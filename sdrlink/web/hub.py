"""What the web page shows, kept up to date by the station (or ``live``) thread.

The hub holds the latest state (schedule, current pass and its sky position,
spectrum, recent frames, recordings) and hands every change to subscribers as
an ``(event, data)`` pair of plain JSON-able values. It knows nothing of HTTP:
the web server subscribes and forwards events to browsers as server-sent
events; a new browser first gets :meth:`Hub.snapshot`. Publishing never
blocks the radio thread, and spectra are rate-limited on the wall clock.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Event = tuple[str, Any]
Subscriber = Callable[[str, Any], None]

FFT_SIZE = 1024
SPECTRUM_BINS = 512
SPECTRUM_HZ = 8.0  # most spectra per wall-clock second
RECENT_FRAMES = 300


def spectrum_db(samples: np.ndarray, fft_size: int = FFT_SIZE, bins: int = SPECTRUM_BINS):
    """Averaged power spectrum (dBFS per bin, DC in the middle), ``bins`` values.

    Up to 64 Hann-windowed FFTs of ``fft_size`` samples are averaged; real input
    gives a one-sided spectrum. Neighbouring FFT bins merge by their maximum, so that a
    narrow burst keeps its level on the waterfall.
    """
    x = np.asarray(samples)
    n = min(fft_size, len(x))
    if n < 16:
        return None
    segs = min(64, len(x) // n)
    win = np.hanning(n).astype(np.float32)
    frames = x[: segs * n].reshape(segs, n) * win
    p = np.mean(np.abs(np.fft.fft(frames, axis=1)) ** 2, axis=0) / (np.sum(win) ** 2)
    if np.iscomplexobj(x):
        p = np.fft.fftshift(p)
    else:
        p = p[: n // 2]
    if len(p) > bins:
        p = p[: len(p) // bins * bins].reshape(bins, -1).max(axis=1)  # narrow peaks stay
    return np.round(10 * np.log10(np.maximum(p, 1e-15)), 1)


class Hub:
    """Thread-safe state and fan-out of events (see the module docstring)."""

    def __init__(self, mode: str = "station", info: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._subs: list[Subscriber] = []
        self.state: dict[str, Any] = {
            "status": {"mode": mode, **(info or {})},
            "schedule": [],
            "pass": None,
            "sky": None,
            "spectrum": None,
            "recordings": [],
        }
        self.frames: collections.deque[dict[str, Any]] = collections.deque(maxlen=RECENT_FRAMES)
        self._last_spectrum = 0.0
        #: (wall time, event, data) of the latest frames published (tests measure latency)
        self.published: collections.deque[tuple[float, str, Any]] = collections.deque(maxlen=1000)
        self.logs: collections.deque[dict[str, Any]] = collections.deque(maxlen=50)
        self.counts: collections.Counter[str] = collections.Counter()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Call ``fn(event, data)`` for every change; returns the unsubscribe function."""
        with self._lock:
            self._subs.append(fn)

        def cancel() -> None:
            with self._lock:
                if fn in self._subs:
                    self._subs.remove(fn)

        return cancel

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            snap = dict(self.state)
            snap["frames"] = list(self.frames)
            snap["log"] = list(self.logs)
            return snap

    def _emit(self, event: str, data: Any) -> None:
        self.counts[event] += 1
        with self._lock:
            subs = list(self._subs)
        for fn in subs:
            try:
                fn(event, data)
            except Exception:  # noqa: S112 - one broken browser never stops the radio
                continue

    def _set(self, key: str, data: Any) -> None:
        with self._lock:
            self.state[key] = data
        self._emit(key, data)

    # -- what producers call ------------------------------------------------------------

    def status(self, **fields: Any) -> None:
        """Merge ``fields`` into the status (mode, station, device, level, counts...)."""
        with self._lock:
            status = {**self.state["status"], **fields}
            self.state["status"] = status
        self._emit("status", status)

    def schedule(self, passes: list[dict[str, Any]]) -> None:
        self._set("schedule", passes)

    def current_pass(self, info: dict[str, Any] | None) -> None:
        self._set("pass", info)
        if info is None:
            self._set("sky", None)

    def sky(self, az: float, el: float, t: float) -> None:
        """The satellite's position now (``t``: seconds after the current pass's AOS)."""
        self._set("sky", {"az": round(az, 2), "el": round(el, 2), "t": round(t, 1)})

    def spectrum(self, samples: np.ndarray, center_hz: float | None, rate: float) -> bool:
        """Publish the spectrum of ``samples`` unless one went out too recently."""
        now = time.monotonic()
        if now - self._last_spectrum < 1.0 / SPECTRUM_HZ:
            return False
        db = spectrum_db(samples)
        if db is None:
            return False
        self._last_spectrum = now
        level = float(np.mean(np.abs(samples) ** 2))
        data = {
            "center_hz": center_hz,
            "rate": rate,
            "bins": db.tolist(),
            "level_db": round(10 * np.log10(level), 1) if level > 0 else None,
        }
        self._set("spectrum", data)
        return True

    def frame(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.frames.append(record)
        self.published.append((time.time(), "frame", record))
        self._emit("frame", record)

    def recording(self, entry: dict[str, Any]) -> None:
        with self._lock:
            recs = [r for r in self.state["recordings"] if r["id"] != entry["id"]]
            recs.insert(0, entry)
            self.state["recordings"] = recs[:200]
        self._emit("recordings", self.state["recordings"])

    def log(self, message: str, when: float | None = None) -> None:
        """A log line; ``when`` (POSIX seconds) is the station clock's time, else now."""
        entry = {"time": time.time() if when is None else when, "message": message}
        with self._lock:
            self.logs.append(entry)
        self._emit("log", entry)
