"""The pass schedule: every followed satellite's passes, overlaps resolved by priority.

Passes come from :func:`sdrlink.doppler.passes.find_passes` with each
satellite's own minimum elevation. One radio takes one pass at a time, so
where passes overlap (counting ``guard_s`` to retune), the higher priority
wins, then the higher culmination, then the earlier rise; the loser is kept
in the schedule as skipped, naming the pass it gave way to. Each pass also
carries its sky track (for the rotator and the web page's polar plot) and the
age of its TLE; one older than :data:`~sdrlink.station.tles.STALE_DAYS` at
the pass is flagged stale.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink.catalogue import Satellite, find_satellite
from sdrlink.doppler.orbit import Orbit, Station, to_posix
from sdrlink.doppler.passes import find_passes
from sdrlink.doppler.tle import Tle
from sdrlink.errors import SdrlinkError
from sdrlink.station.config import SatelliteConfig
from sdrlink.station.tles import STALE_DAYS, TleStore, age_days

#: seconds kept free between two passes to close one radio stream and open the next
GUARD_S = 5.0
#: seconds between points of a pass's sky track
TRACK_STEP_S = 10.0


def pass_id(sat_name: str, aos: _dt.datetime) -> str:
    """A file-name-safe identifier: ``20251120T171203Z_US01``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", sat_name).strip("-") or "sat"
    return f"{aos.astimezone(_dt.timezone.utc):%Y%m%dT%H%M%SZ}_{slug}"


@dataclass
class PlannedPass:
    """One pass of one satellite, as the schedule holds it."""

    satellite: str  # catalogue name
    priority: float
    aos: _dt.datetime
    tca: _dt.datetime
    los: _dt.datetime
    max_elevation: float
    tle: Tle
    tle_age_days: float
    max_doppler_hz: float
    status: str = "planned"  # planned, skipped, recording, done, failed
    note: str = ""
    track: list[tuple[float, float, float]] = field(default_factory=list)  # (t, az, el)

    @property
    def id(self) -> str:
        return pass_id(self.satellite, self.aos)

    @property
    def stale(self) -> bool:
        return abs(self.tle_age_days) > STALE_DAYS

    @property
    def duration_s(self) -> float:
        return (self.los - self.aos).total_seconds()

    def overlaps(self, other: PlannedPass, guard_s: float = GUARD_S) -> bool:
        g = _dt.timedelta(seconds=guard_s)
        return self.aos < other.los + g and other.aos < self.los + g

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "satellite": self.satellite,
            "priority": self.priority,
            "aos": _iso(self.aos),
            "tca": _iso(self.tca),
            "los": _iso(self.los),
            "max_elevation": round(self.max_elevation, 2),
            "max_doppler_hz": round(self.max_doppler_hz, 1),
            "tle_norad": self.tle.norad,
            "tle_age_days": round(self.tle_age_days, 2),
            "stale_tle": self.stale,
            "status": self.status,
            "note": self.note,
            "track": [[round(t, 1), round(a, 2), round(e, 2)] for t, a, e in self.track],
        }


def _iso(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def tle_keys(cfg: SatelliteConfig, sat: Satellite) -> list[str]:
    """How to find a satellite in the TLE sets: the configured key, NORAD id, names."""
    keys = [cfg.tle] if cfg.tle else []
    if sat.norad:
        keys.append(str(sat.norad))
    return keys + sat.names()


def sky_track(orbit: Orbit, aos: _dt.datetime, los: _dt.datetime, step_s: float = TRACK_STEP_S):
    """(seconds after AOS, azimuth, elevation) from AOS to LOS."""
    t0, t1 = float(to_posix(aos)), float(to_posix(los))
    ts = np.append(np.arange(t0, t1, step_s), t1)
    look = orbit.look(ts)
    return [
        (float(t - t0), float(a), float(e))
        for t, a, e in zip(ts, look.azimuth, look.elevation, strict=True)
    ]


def predict(
    satellites: list[SatelliteConfig],
    tles: TleStore,
    station: Station,
    start: _dt.datetime,
    hours: float,
    warn=print,
) -> list[PlannedPass]:
    """Every pass of every satellite in ``[start, start + hours]``, not yet resolved."""
    out: list[PlannedPass] = []
    for cfg in satellites:
        sat = find_satellite(cfg.name)
        tle = tles.find(tle_keys(cfg, sat))
        if tle is None:
            warn(
                f"no TLE for {sat.name} (looked for {', '.join(tle_keys(cfg, sat))}); not scheduled"
            )
            continue
        try:
            orbit = Orbit(tle, station)
            found = find_passes(
                orbit, start, hours, min_elevation=cfg.min_elevation, freq_hz=sat.frequency_hz
            )
        except SdrlinkError as exc:  # e.g. a decayed satellite: the others still count
            warn(f"{sat.name}: {exc}; not scheduled")
            continue
        for p in found:
            out.append(
                PlannedPass(
                    satellite=sat.name,
                    priority=cfg.priority,
                    aos=p.aos,
                    tca=p.tca,
                    los=p.los,
                    max_elevation=p.max_elevation,
                    tle=tle,
                    tle_age_days=age_days(tle, p.tca),
                    max_doppler_hz=p.max_doppler_hz,
                    track=sky_track(orbit, p.aos, p.los),
                )
            )
    return out


def rank_key(p: PlannedPass) -> tuple[float, float, float]:
    """Sort key: higher priority first, then higher elevation, then earlier AOS."""
    return (-p.priority, -p.max_elevation, float(to_posix(p.aos)))


def resolve(passes: list[PlannedPass], fixed: Sequence[PlannedPass] = ()) -> list[PlannedPass]:
    """Mark the passes that lose an overlap as skipped; returns all of them in time order.

    ``fixed`` passes (already under way or done) are taken whatever their rank.
    """
    taken: list[PlannedPass] = list(fixed)
    fixed_ids = {q.id for q in fixed}
    for p in sorted(passes, key=rank_key):
        if p.id in fixed_ids:
            continue
        winner = next((q for q in taken if q.overlaps(p)), None)
        if winner is None:
            if p.status == "skipped":
                p.status, p.note = "planned", ""
            taken.append(p)
        else:
            p.status = "skipped"
            p.note = (
                f"overlaps {winner.satellite} {winner.aos:%H:%M:%S}Z (priority {winner.priority:g})"
            )
    return sorted(passes, key=lambda q: q.aos)


def format_schedule(passes: list[PlannedPass], limit: int | None = None) -> str:
    """The schedule as a table, one pass per line."""
    rows = ["AOS (UTC)            LOS       MAX EL  SATELLITE        PRIO  STATUS"]
    for p in passes[:limit]:
        flags = []
        if p.stale:
            flags.append(f"stale TLE ({p.tle_age_days:.0f} d)")
        if p.note:
            flags.append(p.note)
        rows.append(
            f"{p.aos:%Y-%m-%d %H:%M:%S}  {p.los:%H:%M:%S}  {p.max_elevation:5.1f}°  "
            f"{p.satellite:<15.15}  {p.priority:4g}  {p.status}"
            + (f"  ({'; '.join(flags)})" if flags else "")
        )
    if len(rows) == 1:
        rows.append("(no passes in the window)")
    return "\n".join(rows)
