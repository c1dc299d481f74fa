"""Scheduling: the priority rule, stale TLEs, TLE refresh from URLs, capture fit."""

from __future__ import annotations

import datetime as dt
import http.server
import threading

import pytest
from station_util import START, STATION, make_tle, write_tles

from sdrlink.catalogue import find_satellite
from sdrlink.doppler.orbit import parse_station
from sdrlink.doppler.tle import parse_tles
from sdrlink.errors import ConfigError
from sdrlink.station.config import SatelliteConfig
from sdrlink.station.runner import plan_tuning, signal_bandwidth
from sdrlink.station.schedule import PlannedPass, format_schedule, predict, resolve
from sdrlink.station.tles import TleStore, tle_epoch

T = START
TLE = parse_tles(make_tle("X", 42721, START))[0]


def pp(sat, prio, a, b, el):
    s = dt.timedelta(seconds=1)
    return PlannedPass(sat, prio, T + a * s, T + (a + b) / 2 * s, T + b * s, el, TLE, 1.0, 0.0)


def test_priority_then_elevation_then_chain():
    a = pp("A", 1, 0, 600, 30)
    b = pp("B", 2, 500, 1100, 20)  # beats A (priority)
    c = pp("C", 1, 1050, 1600, 80)  # loses to B, though higher
    d = pp("D", 1, 1700, 2000, 10)  # overlaps nothing
    e = pp("E", 1, 1500, 1800, 11)  # ties with D on priority, wins on elevation; C is gone
    out = resolve([a, b, c, d, e])
    assert [p.satellite for p in out] == ["A", "B", "C", "E", "D"]
    assert {p.satellite: p.status for p in out} == {
        "A": "skipped",
        "B": "planned",
        "C": "skipped",
        "D": "skipped",
        "E": "planned",
    }
    assert "overlaps B" in a.note and "priority 2" in a.note
    # a pass already taken stays taken, whatever its rank
    a2, b2 = pp("A", 1, 0, 600, 30), pp("B", 2, 500, 1100, 20)
    resolve([a2, b2], fixed=[a2])
    assert b2.status == "skipped" and "overlaps A" in b2.note


def test_stale_tles_are_flagged(tmp_path):
    old = tmp_path / "old.tle"
    old.write_text(make_tle("OLD", 42721, START - dt.timedelta(days=20)))
    store = TleStore([str(old)], warn=print)
    store.refresh(START)
    passes = predict([SatelliteConfig("US01", 1, 10)], store, parse_station(STATION), START, 24)
    assert passes and all(p.stale and 20 < p.tle_age_days < 21.5 for p in passes)
    assert "stale TLE (20 d)" in format_schedule(passes)


def test_missing_tle_is_reported_not_fatal(tmp_path):
    store = TleStore([str(write_tles(tmp_path / "t.tle"))])
    store.refresh(START)
    warned = []
    cfgs = [SatelliteConfig("Norby", 1, 10), SatelliteConfig("US01", 1, 10)]
    passes = predict(cfgs, store, parse_station(STATION), START, 24, warned.append)
    assert {p.satellite for p in passes} == {"US01"}
    assert f"no TLE for {find_satellite('Norby').name} (looked for 46494" in warned[0]


class _Tles(http.server.BaseHTTPRequestHandler):
    body = b""
    status = 200
    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *a):
        pass


def test_url_refresh_keeps_the_last_good_set(tmp_path):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tles)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/gp.php?GROUP=x&FORMAT=tle"
    try:
        _Tles.body = make_tle("US01", 42721, START).encode()
        warned = []
        store = TleStore([url], cache_dir=tmp_path, warn=warned.append)
        assert store.refresh(START) == 0 and len(store.all()) == 1 and not warned
        newer = make_tle("US01", 42721, START + dt.timedelta(days=1))
        _Tles.body = newer.encode()
        store.refresh(START)
        assert tle_epoch(store.find(["42721"])) == START + dt.timedelta(days=1)
        _Tles.status, _Tles.body = 503, b"busy"
        assert store.refresh(START) == 1
        assert "HTTP 503" in warned[-1] and "keeping 1 element set" in warned[-1]
        assert tle_epoch(store.find(["US01"])) == START + dt.timedelta(days=1)
        _Tles.status, _Tles.body = 200, b"<html>not tle</html>"
        assert store.refresh(START) == 1
        # a restarted station without network starts from the disk cache
        srv.shutdown()
        srv.server_close()
        fresh = TleStore([url], cache_dir=tmp_path, warn=warned.append)
        assert fresh.refresh(START) == 1
        assert tle_epoch(fresh.find(["42721"])) == START + dt.timedelta(days=1)
        assert "cannot fetch" in warned[-1] or "Connection refused" in warned[-1]
    finally:
        srv.server_close()


def test_tuning_must_hold_the_doppler_swing():
    us01 = find_satellite("US01")
    assert signal_bandwidth("fsk", us01.options) == pytest.approx(2 * 4800 + 9600)  # Carson
    t = plan_tuning(us01, 64e3, 10e3)  # +-25.6 kHz usable >= 10 + 9.6 kHz
    assert t.center_hz == us01.frequency_hz and t.signal_bw_hz == pytest.approx(19200)
    with pytest.raises(ConfigError, match="raise \\[sdr\\] rate"):
        plan_tuning(us01, 48e3, 10e3)  # +-19.2 kHz usable < 10 + 9.6 kHz
    cape = find_satellite("CAPE-3")  # its AFSK mode is the wider one
    assert plan_tuning(cape, 64e3, 10e3).signal_bw_hz > signal_bandwidth("fsk", cape.options)


def test_a_satellite_that_cannot_be_propagated_is_left_out(tmp_path):
    bad = make_tle(
        "DECAYED",
        43721,
        START - dt.timedelta(days=300),
        mean_motion=16.2,
        ndot=".09000000",
        bstar="99999-1",
    )
    path = tmp_path / "t.tle"
    path.write_text(make_tle("US01", 42721, START) + bad)
    store = TleStore([str(path)])
    store.refresh(START)
    warned = []
    cfgs = [SatelliteConfig("FACSAT-1", 1, 10), SatelliteConfig("US01", 1, 10)]
    passes = predict(cfgs, store, parse_station(STATION), START, 24, warned.append)
    assert {p.satellite for p in passes} == {"US01"}
    assert warned[0].startswith("FACSAT-1: SGP4 cannot propagate") and "not scheduled" in warned[0]
