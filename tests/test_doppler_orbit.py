"""Orbit prediction: look angles and range rate against Skyfield, Doppler sign, passes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sdrlink.doppler import find_passes, make_orbit, parse_station
from sdrlink.doppler.orbit import C_LIGHT, Station, to_posix
from sdrlink.errors import ConfigError

DATA = Path(__file__).parent / "data" / "amateur.tle"
STATION = "52.2,0.12,30"
T0 = dt.datetime(2025, 11, 20, 12, 0, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def orbit():
    return make_orbit(DATA, "ISS", STATION)


@pytest.fixture(scope="module")
def skyfield_view():
    """Independent reference: Skyfield's SGP4 + TEME->ITRS chain (no downloads)."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    tle = make_orbit(DATA, "ISS", STATION).tle
    sat = EarthSatellite(tle.line1, tle.line2, tle.name, ts)
    return ts, sat, wgs84.latlon(52.2, 0.12, 30)


def test_parse_station_good_and_bad():
    assert parse_station("52.2,0.12,30") == Station(52.2, 0.12, 30.0)
    assert parse_station(" -33.9 , 18.4 ") == Station(-33.9, 18.4, 0.0)
    for bad in ("52.2", "north,0,0", "95,0,0", "10,0,1e9", ""):
        with pytest.raises(ConfigError, match="bad station"):
            parse_station(bad)


def test_look_angles_and_range_rate_match_skyfield(orbit, skyfield_view):
    ts, sat, site = skyfield_view
    t = to_posix(T0) + np.arange(0, 6 * 3600, 30.0)
    look = orbit.look(t)
    times = ts.from_datetimes([dt.datetime.fromtimestamp(x, UTC) for x in t])
    alt, az, dist, _, _, rate = (sat - site).at(times).frame_latlon_and_rates(site)
    assert np.max(np.abs(look.elevation - alt.degrees)) < 0.02
    up = look.elevation > 0
    assert up.sum() > 20
    daz = (look.azimuth - az.degrees + 180) % 360 - 180
    assert np.max(np.abs(daz[up])) < 0.1
    assert np.max(np.abs(look.range_m - dist.m)) < 100
    # 1 m/s of range rate is 1.5 Hz at 436 MHz
    assert np.max(np.abs(look.range_rate - rate.m_per_s)) < 1.0


def test_doppler_positive_while_approaching_and_rate_is_derivative(orbit):
    p = find_passes(orbit, T0, 12, min_elevation=30)[0]
    f = 436e6
    t_before = to_posix(p.tca) - 120
    t_after = to_posix(p.tca) + 120
    assert orbit.range_rate(np.array([t_before]))[0] < 0
    assert orbit.doppler(np.array([t_before]), f)[0] > 5e3
    assert orbit.doppler(np.array([t_after]), f)[0] < -5e3
    t = to_posix(p.tca) + np.linspace(-200, 200, 41)
    dop = orbit.doppler(t, f)
    assert np.allclose(dop, -f * orbit.range_rate(t) / C_LIGHT)
    rate = orbit.doppler_rate(t, f)
    numeric = np.gradient(orbit.doppler(t, f), t)
    assert np.max(np.abs(rate - numeric)) < 2.0  # grid of 10 s vs 1 s central difference
    assert rate.min() < -100  # near culmination of a high pass, >100 Hz/s at 436 MHz


def test_scalar_datetime_and_datetime64_times(orbit):
    a = orbit.doppler(T0, 436e6)
    b = orbit.doppler(np.array(["2025-11-20T12:00:00"], dtype="datetime64[s]"), 436e6)
    assert np.shape(a) == () and np.isclose(float(a), b[0])


def test_passes_cross_horizon_and_culminate_like_skyfield(orbit, skyfield_view):
    ts, sat, site = skyfield_view
    passes = find_passes(orbit, T0, 24, freq_hz=436e6)
    assert len(passes) >= 4
    t0, t1 = ts.from_datetime(T0), ts.from_datetime(T0 + dt.timedelta(hours=24))
    when, kind = sat.find_events(site, t0, t1, altitude_degrees=0.0)
    events = [(w.utc_datetime(), int(k)) for w, k in zip(when, kind, strict=True)]
    rises = [w for w, k in events if k == 0]
    culms = [w for w, k in events if k == 1]
    sets = [w for w, k in events if k == 2]
    assert len(rises) == len(passes) == len(sets)
    for p, r, c, s in zip(passes, rises, culms, sets, strict=True):
        assert abs((p.aos - r).total_seconds()) < 2.0
        assert abs((p.los - s).total_seconds()) < 2.0
        assert abs((p.tca - c).total_seconds()) < 2.0
        alt = (sat - site).at(ts.from_datetime(c)).altaz()[0].degrees
        assert abs(p.max_elevation - alt) < 0.05
        # our own elevation really crosses 0 at AOS and LOS
        e = orbit.elevation(to_posix([p.aos, p.los]) + np.array([[-1.0], [1.0]]))
        assert e[0, 0] < 0 < e[1, 0] and e[0, 1] > 0 > e[1, 1]
        assert 0 < p.max_doppler_hz < 10.5e3 and p.max_doppler_rate_hz_s > 10


def test_min_elevation_filters_and_reports_clipped_pass(orbit):
    all_p = find_passes(orbit, T0, 24)
    high = find_passes(orbit, T0, 24, min_elevation=30)
    assert 0 < len(high) < len(all_p)
    assert all(p.max_elevation > 30 for p in high)
    inside = all_p[1].tca
    clipped = find_passes(orbit, inside, 1)
    assert clipped[0].clipped and clipped[0].aos == inside
    with pytest.raises(ConfigError):
        find_passes(orbit, T0, 0)


def test_propagation_failure_is_an_input_error(orbit):
    from sdrlink.errors import InputError

    with pytest.raises(InputError, match=r"cannot propagate ISS \(ZARYA\) to 2030-01-01.*too old"):
        orbit.doppler(dt.datetime(2030, 1, 1, tzinfo=UTC), 436e6)
