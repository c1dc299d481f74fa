"""Satellite position seen from a ground station, and the Doppler it causes.

SGP4 (the ``sgp4`` package, vectorised over time) gives the satellite in the
TEME frame; it is rotated into the Earth-fixed frame with the IAU-82 sidereal
time (UT1 taken as UTC, polar motion neglected: well under 0.01 degree and
0.1 Hz at UHF) and compared with the station's WGS-84 position. Everything
works on NumPy arrays of times given as POSIX seconds (UTC), so a whole pass or
a whole recording's Doppler curve is one call.

Doppler at carrier ``f_c``: ``f_d = -f_c * range_rate / c`` (positive while
the satellite approaches).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from sgp4.api import Satrec

from sdrlink.doppler.tle import Tle
from sdrlink.errors import ConfigError, InputError

C_LIGHT = 299_792_458.0  # m/s
OMEGA_EARTH = 7.292115146706979e-5  # rad/s, Earth rotation rate
WGS84_A = 6_378_137.0  # m
WGS84_F = 1.0 / 298.257223563
_JD_UNIX = 2440587.5  # Julian date of 1970-01-01T00:00:00 UTC

_SGP4_ERRORS = {
    1: "mean eccentricity out of range",
    2: "mean motion below zero",
    3: "perturbed eccentricity out of range",
    4: "semi-latus rectum below zero",
    6: "satellite has decayed",
}


@dataclass(frozen=True)
class Station:
    """Ground station: geodetic latitude and longitude (degrees), altitude (m, WGS-84)."""

    lat: float
    lon: float
    alt: float = 0.0

    def ecef(self) -> np.ndarray:
        """Earth-fixed position (m) as a 3-vector."""
        lat, lon = math.radians(self.lat), math.radians(self.lon)
        e2 = WGS84_F * (2 - WGS84_F)
        n = WGS84_A / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        return np.array(
            [
                (n + self.alt) * math.cos(lat) * math.cos(lon),
                (n + self.alt) * math.cos(lat) * math.sin(lon),
                (n * (1 - e2) + self.alt) * math.sin(lat),
            ]
        )

    def enu_axes(self) -> np.ndarray:
        """Rows: local east, north and up unit vectors in the Earth-fixed frame."""
        lat, lon = math.radians(self.lat), math.radians(self.lon)
        sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
        return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])

    def __str__(self) -> str:
        return f"{self.lat:.4f},{self.lon:.4f},{self.alt:.0f}"


_NUM = r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*"
_STATION_RE = re.compile(rf"^{_NUM},{_NUM}(?:,{_NUM}(?:m)?\s*)?$")


def parse_station(text: str | Station) -> Station:
    """Parse "LAT,LON,ALT" (degrees, degrees, metres; ALT optional); ConfigError on bad text."""
    if isinstance(text, Station):
        return text
    m = _STATION_RE.match(str(text))
    if not m:
        raise ConfigError(
            f"bad station {text!r}: give LAT,LON,ALT in degrees, degrees, metres "
            "(e.g. 52.21,0.09,30)"
        )
    lat, lon = float(m.group(1)), float(m.group(2))
    alt = float(m.group(3)) if m.group(3) is not None else 0.0
    if not -90 <= lat <= 90:
        raise ConfigError(f"bad station {text!r}: latitude {lat} outside -90..90")
    if not -180 <= lon <= 360:
        raise ConfigError(f"bad station {text!r}: longitude {lon} outside -180..360")
    if not -500 <= alt <= 100_000:
        raise ConfigError(f"bad station {text!r}: altitude {alt} m is implausible")
    return Station(lat, lon, alt)


def to_posix(times: Any) -> np.ndarray:
    """UTC times as float64 POSIX seconds.

    Accepts a datetime (naive = UTC), an iterable of datetimes, a NumPy
    ``datetime64`` array, or numbers already in POSIX seconds.
    """
    if isinstance(times, _dt.datetime):
        return np.array(_posix(times))
    arr = np.asarray(times)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[ns]").astype(np.int64) / 1e9
    if arr.dtype == object:
        return np.array([_posix(t) for t in arr.ravel()]).reshape(arr.shape)
    return arr.astype(np.float64)


def _posix(t: _dt.datetime) -> float:
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.timestamp()


def from_posix(t: float) -> _dt.datetime:
    """POSIX seconds -> aware UTC datetime."""
    return _dt.datetime.fromtimestamp(float(t), tz=_dt.timezone.utc)


def gmst(jd: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """Greenwich mean sidereal time (rad), IAU-82, for Julian dates ``jd + fr``."""
    tut1 = ((jd - 2451545.0) + fr) / 36525.0
    sec = (
        67310.54841
        + (876600.0 * 3600.0 + 8640184.812866) * tut1
        + (0.093104 - 6.2e-6 * tut1) * tut1 * tut1
    )
    return np.mod(sec * (2 * np.pi / 86400.0), 2 * np.pi)


@dataclass
class Look:
    """Topocentric view at each time: azimuth and elevation (deg), range (m), range rate (m/s)."""

    azimuth: np.ndarray
    elevation: np.ndarray
    range_m: np.ndarray
    range_rate: np.ndarray


class Orbit:
    """One satellite (a TLE) seen from one station; all methods are vectorised."""

    def __init__(self, tle: Tle, station: Station | str) -> None:
        self.tle = tle
        self.station = parse_station(station)
        try:
            self._sat = Satrec.twoline2rv(tle.line1, tle.line2)
        except Exception as exc:  # sgp4 raises ValueError on bad field text
            raise InputError(f"TLE for {tle.label} cannot be read: {exc}") from None
        self._sta = self.station.ecef()
        self._enu = self.station.enu_axes()

    @property
    def epoch(self) -> _dt.datetime:
        """The TLE's epoch (UTC)."""
        jd = self._sat.jdsatepoch + self._sat.jdsatepochF
        return from_posix((jd - _JD_UNIX) * 86400.0)

    def state_ecef(self, t: Any) -> tuple[np.ndarray, np.ndarray]:
        """Earth-fixed position (m) and velocity (m/s), shape (n, 3), at POSIX times ``t``."""
        ts = np.atleast_1d(to_posix(t)).astype(np.float64).ravel()
        day = np.floor(ts / 86400.0)
        jd = _JD_UNIX + day
        fr = (ts - day * 86400.0) / 86400.0
        err, r, v = self._sat.sgp4_array(jd, fr)
        if np.any(err):
            i = int(np.flatnonzero(err)[0])
            code = int(err[i])
            raise InputError(
                f"SGP4 cannot propagate {self.tle.label} to {from_posix(ts[i]):%Y-%m-%d %H:%M:%S}"
                f" UTC ({_SGP4_ERRORS.get(code, f'error {code}')}); is the TLE too old?"
            )
        theta = gmst(jd, fr)
        c, s = np.cos(theta), np.sin(theta)
        r = np.asarray(r) * 1e3
        v = np.asarray(v) * 1e3
        rx = c * r[:, 0] + s * r[:, 1]
        ry = -s * r[:, 0] + c * r[:, 1]
        vx = c * v[:, 0] + s * v[:, 1] + OMEGA_EARTH * ry
        vy = -s * v[:, 0] + c * v[:, 1] - OMEGA_EARTH * rx
        return np.stack([rx, ry, r[:, 2]], axis=1), np.stack([vx, vy, v[:, 2]], axis=1)

    def look(self, t: Any) -> Look:
        """Azimuth, elevation, range and range rate at POSIX times ``t`` (array or scalar)."""
        shape = np.shape(to_posix(t))
        pos, vel = self.state_ecef(t)
        rho = pos - self._sta
        rng = np.sqrt(np.einsum("ij,ij->i", rho, rho))
        rate = np.einsum("ij,ij->i", rho, vel) / rng
        e, n, u = (rho @ self._enu.T).T
        el = np.degrees(np.arcsin(np.clip(u / rng, -1.0, 1.0)))
        az = np.mod(np.degrees(np.arctan2(e, n)), 360.0)
        return Look(*(a.reshape(shape) for a in (az, el, rng, rate)))

    def range_rate(self, t: Any) -> np.ndarray:
        """Range rate (m/s, positive while receding) at POSIX times ``t``."""
        return self.look(t).range_rate

    def doppler(self, t: Any, freq_hz: float) -> np.ndarray:
        """Doppler shift (Hz) of a carrier at ``freq_hz`` at POSIX times ``t``."""
        return -freq_hz * self.range_rate(t) / C_LIGHT

    def doppler_rate(self, t: Any, freq_hz: float, h: float = 0.5) -> np.ndarray:
        """Rate of change of the Doppler shift (Hz/s), by a central difference of ``2h`` s."""
        ts = to_posix(t)
        return (self.doppler(ts + h, freq_hz) - self.doppler(ts - h, freq_hz)) / (2 * h)

    def elevation(self, t: Any) -> np.ndarray:
        return self.look(t).elevation


def make_orbit(tle_path: str, sat: str | int | None, station: str | Station) -> Orbit:
    """Read a TLE file, pick ``sat`` and set up the station in one step."""
    from sdrlink.doppler.tle import load_tle

    return Orbit(load_tle(tle_path, sat), station)
