"""Pass prediction: when a satellite rises, culminates and sets over a station.

Elevation is sampled on a coarse grid (short enough that no pass above the
threshold can hide between two samples), each threshold crossing is refined
by bisection to a few milliseconds, and the culmination by a bounded scalar
maximisation. Per pass the largest Doppler and Doppler rate at a given carrier
are taken from a one-second grid over the pass.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from sdrlink.doppler.orbit import Orbit, from_posix, to_posix
from sdrlink.errors import ConfigError

COARSE_STEP_S = 20.0


@dataclass
class Pass:
    """One pass above ``min_elevation``.

    ``aos``/``los`` are clipped to the search window when the pass is already
    under way at its start or still going at its end (``clipped`` says so).
    Doppler figures are for the carrier the pass list was computed for.
    """

    aos: _dt.datetime
    tca: _dt.datetime
    los: _dt.datetime
    max_elevation: float
    aos_azimuth: float
    los_azimuth: float
    max_doppler_hz: float
    max_doppler_rate_hz_s: float
    clipped: bool = False

    @property
    def duration_s(self) -> float:
        return (self.los - self.aos).total_seconds()


def _crossing(f: Callable[[float], float], a: float, b: float) -> float:
    """Time in [a, b] where ``f`` changes sign (bisection to 1 ms)."""
    return float(brentq(f, a, b, xtol=1e-3))


def find_passes(
    orbit: Orbit,
    start: _dt.datetime | float,
    hours: float = 24.0,
    *,
    min_elevation: float = 0.0,
    freq_hz: float | None = None,
    step_s: float = COARSE_STEP_S,
) -> list[Pass]:
    """Passes above ``min_elevation`` degrees from ``start`` for ``hours`` hours."""
    if not hours > 0:
        raise ConfigError(f"the search window must be positive, not {hours} h")
    if not -5 <= min_elevation < 90:
        raise ConfigError(f"minimum elevation {min_elevation} outside -5..90 degrees")
    t0 = float(to_posix(start))
    t1 = t0 + hours * 3600.0
    n = int(np.ceil((t1 - t0) / step_s))
    grid = np.minimum(t0 + step_s * np.arange(n + 1), t1)
    el = orbit.elevation(grid) - min_elevation

    def g(t: float) -> float:
        return float(orbit.elevation(np.array([t]))[0]) - min_elevation

    up = el > 0
    edges = np.flatnonzero(np.diff(up.astype(np.int8)))
    rises = [i for i in edges if not up[i]]
    sets = [i for i in edges if up[i]]
    starts = [t0] if up[0] else []
    starts += [_crossing(g, grid[i], grid[i + 1]) for i in rises]
    ends = [_crossing(g, grid[i], grid[i + 1]) for i in sets]
    if up[-1]:
        ends.append(t1)
    passes = []
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        clipped = (k == 0 and up[0]) or (k == len(ends) - 1 and up[-1])
        passes.append(_describe(orbit, a, b, freq_hz, bool(clipped)))
    return passes


def _describe(orbit: Orbit, a: float, b: float, freq_hz: float | None, clipped: bool) -> Pass:
    fine = np.linspace(a, b, max(3, int(np.ceil(b - a)) + 1))
    look = orbit.look(fine)
    i = int(np.argmax(look.elevation))
    lo, hi = fine[max(i - 1, 0)], fine[min(i + 1, len(fine) - 1)]
    if hi > lo:
        res = minimize_scalar(
            lambda t: -float(orbit.elevation(np.array([t]))[0]),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-3},
        )
        tca, max_el = float(res.x), -float(res.fun)
    else:
        tca, max_el = float(fine[i]), float(look.elevation[i])
    max_dop = max_rate = float("nan")
    if freq_hz:
        max_dop = float(np.max(np.abs(orbit.doppler(fine, freq_hz))))
        max_rate = float(np.max(np.abs(orbit.doppler_rate(fine, freq_hz))))
    return Pass(
        aos=from_posix(a),
        tca=from_posix(tca),
        los=from_posix(b),
        max_elevation=max_el,
        aos_azimuth=float(look.azimuth[0]),
        los_azimuth=float(look.azimuth[-1]),
        max_doppler_hz=max_dop,
        max_doppler_rate_hz_s=max_rate,
        clipped=clipped,
    )
