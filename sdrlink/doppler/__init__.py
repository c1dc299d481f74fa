"""Orbit prediction from TLEs and Doppler compensation.

- :mod:`~sdrlink.doppler.tle`: read TLE files, pick a satellite.
- :mod:`~sdrlink.doppler.orbit`: station, look angles, range rate, Doppler (vectorised).
- :mod:`~sdrlink.doppler.passes`: AOS / culmination / LOS over a time window.
- :mod:`~sdrlink.doppler.curve`: block-size independent piecewise-linear NCO.
- :mod:`~sdrlink.doppler.stage`: the pipeline stage that removes the predicted Doppler.
"""

from __future__ import annotations

from sdrlink.doppler.orbit import C_LIGHT, Look, Orbit, Station, make_orbit, parse_station
from sdrlink.doppler.passes import Pass, find_passes
from sdrlink.doppler.tle import Tle, load_tle, parse_tles, read_tle_file, select_tle

__all__ = [
    "C_LIGHT",
    "Look",
    "Orbit",
    "Pass",
    "Station",
    "Tle",
    "find_passes",
    "load_tle",
    "make_orbit",
    "parse_station",
    "parse_tles",
    "read_tle_file",
    "select_tle",
]
