"""The rotator, against the real Hamlib rotctld (dummy rotator) the fixture starts."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest
from station_util import START, make_station

from sdrlink.doppler.orbit import Orbit, to_posix
from sdrlink.errors import DeviceError
from sdrlink.station.rotator import RotctldClient


def wait_position(client, az, el, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = client.get_position()
        if abs(got[0] - az) < 0.6 and abs(got[1] - el) < 0.6:
            return got
        time.sleep(0.1)
    raise AssertionError(f"rotator at {got}, not {az}, {el}")


def test_client_sets_reads_and_stops(rotctld):
    c = RotctldClient(*rotctld)
    start = c.get_position()
    c.set_position(start[0] + 4.0, start[1] + 3.0)
    assert wait_position(c, start[0] + 4.0, start[1] + 3.0)
    c.set_position(start[0] + 60, 80.0)
    time.sleep(0.3)
    c.stop()
    moving = c.get_position()
    time.sleep(0.5)
    assert c.get_position() == pytest.approx(moving, abs=0.02)  # S stopped it
    assert moving[1] < 80.0
    with pytest.raises(DeviceError, match="refused"):
        c._check(c._command("P 10 100", 1), "P 10 100")  # the dummy refuses el 100
    c.close()


def test_client_reconnects_and_reports_an_absent_rotator(rotctld):
    msgs = []
    c = RotctldClient("127.0.0.1", 1, timeout=0.5, notify=msgs.append)
    assert not c.try_point(10, 10) and not c.try_point(11, 10)
    assert len(msgs) == 1 and "cannot connect" in msgs[0]  # once per outage
    c = RotctldClient(*rotctld)
    c.set_position(1.0, 1.0)
    c._sock.close()  # the connection dies under the client
    c.set_position(2.0, 1.0)  # reconnects
    assert wait_position(c, 2.0, 1.0)


def test_station_points_the_rotator_along_the_pass(tmp_path, rotctld):
    """A whole pass at a low rate on the simulated clock: a P command every second."""
    host, port = rotctld
    extra = f'[rotator]\naddress = "{host}:{port}"\npark = [10, 5]\nlead_s = 30\n'
    station, radio, clock = make_station(
        tmp_path,
        radio_kwargs={"capture_s": None, "frames": 2, "interval_s": 60.0},
        extra=extra,
        sats=[("US01", 1, 40)],  # only the high part of the pass: a short capture
    )
    summary = station.run(max_passes=1, until=START + dt.timedelta(days=2))
    (r,) = summary.results
    assert r.status == "done" and r.valid_frames == len(radio.truth[r.id]) == 2
    plan = next(p for p in station.schedule if p.id == r.id)
    sent = station.rotator.sent
    # first the rise azimuth ahead of AOS, then one command per second, then the park position
    track = sent[1:-1]
    assert sent[0][1:] == pytest.approx((plan.track[0][1], 0.0), abs=0.01)
    assert sent[-1][1:] == (10.0, 5.0)
    assert abs(len(track) - plan.duration_s) <= 2
    # every command matches the satellite's position at a time a second after the last
    orbit = Orbit(plan.tle, station.config.station)
    fine = float(to_posix(plan.aos)) + np.arange(0, plan.duration_s + 2, 0.05)
    look = orbit.look(fine)
    when = []
    for _, az, el in track:
        daz = (az - look.azimuth + 180) % 360 - 180
        dist = np.hypot(daz * np.cos(np.radians(el)), el - np.maximum(look.elevation, 0))
        k = int(np.argmin(dist))
        assert dist[k] < 0.05, (az, el)
        when.append(fine[k])
    steps = np.diff(when)
    assert np.all(steps > 0.5) and np.all(steps < 2.2), steps  # on a 1 s grid, blocks 1 s
    assert np.mean(steps) == pytest.approx(1.0, abs=0.03)
    assert max(s[2] for s in track) == pytest.approx(plan.max_elevation, abs=0.5)
    wait_position(station.rotator, 10.0, 5.0, timeout=60)  # rotctld parked it
