"""A simulated week of unattended passes, on a simulated clock, in seconds.

Three catalogue satellites on neighbouring orbits (synthetic TLEs) over one
station; every pass's downlink is simulated from its TLE (Doppler included) by
the station's simulated radio, with frames naming their pass. The checks: the
schedule follows the priority rule, every pass it keeps is taken and every
frame of it decoded byte for byte, and the files a pass leaves (SigMF
recording, frame log, JSONL, CSV) say what happened.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3

import pytest
from station_util import SATS, START, STATION, make_station

from sdrlink.doppler.orbit import Orbit
from sdrlink.doppler.passes import find_passes
from sdrlink.doppler.tle import read_tle_file
from sdrlink.station.schedule import GUARD_S
from sdrlink.station.simradio import pass_payload

PRIORITY = {"US01": 3, "FACSAT-1": 2, "CAPE-3": 1}
MIN_EL = {"US01": 10, "FACSAT-1": 10, "CAPE-3": 20}


def candidates(tle_path, start, end):
    """Every pass of every satellite in [start, end] above its minimum elevation."""
    out = []
    for tle in read_tle_file(tle_path):
        name = next(n for n, norad, *_ in SATS if norad == tle.norad)
        orbit = Orbit(tle, STATION)
        hours = (end - start).total_seconds() / 3600
        for p in find_passes(orbit, start, hours, min_elevation=MIN_EL[name]):
            if not p.clipped:
                out.append((name, p))
    return out


def overlap(a, b):
    g = dt.timedelta(seconds=GUARD_S)
    return a.aos < b.los + g and b.aos < a.los + g


def outranks(a, b):
    """(name, pass) a beats b: higher priority, then higher culmination."""
    return (PRIORITY[a[0]], a[1].max_elevation) > (PRIORITY[b[0]], b[1].max_elevation)


def check_priority_rule(cands, taken_ids):
    def pid(c):
        return f"{c[1].aos:%Y%m%dT%H%M%SZ}_{c[0]}"

    taken = [c for c in cands if pid(c) in taken_ids]
    for c in cands:
        rivals = [t for t in taken if t is not c and overlap(t[1], c[1])]
        if pid(c) in taken_ids:
            assert not rivals, f"{pid(c)} taken although it overlaps {[pid(t) for t in rivals]}"
        else:
            assert any(outranks(t, c) for t in rivals), f"{pid(c)} dropped without a better rival"
    return taken


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("week")
    station, radio, clock = make_station(tmp, radio_kwargs={"capture_s": 2.4, "frames": 2})
    summary = station.run(until=START + dt.timedelta(days=7))
    return tmp, station, radio, summary


def test_week_takes_every_pass_the_priority_rule_keeps(week):
    tmp, station, radio, summary = week
    cands = candidates(tmp / "sats.tle", START, START + dt.timedelta(days=7))
    taken_ids = {r.id for r in summary.results}
    assert len(taken_ids) == len(summary.results)  # no pass twice
    taken = check_priority_rule(cands, taken_ids)
    assert {r.id for r in summary.results} == {f"{p.aos:%Y%m%dT%H%M%SZ}_{n}" for n, p in taken}
    per_sat = {n: sum(1 for t in taken if t[0] == n) for n in PRIORITY}
    assert all(v >= 5 for v in per_sat.values()), per_sat  # every satellite gets passes
    assert len(cands) - len(taken) >= 10  # and overlaps really happened
    assert radio.opened == sorted(radio.opened)  # in time order, each once


def test_week_decodes_every_frame(week):
    _, _, radio, summary = week
    for r in summary.results:
        assert r.status == "done", (r.id, r.error)
        want = [f.payload for f in radio.truth[r.id]]
        assert len(want) == 2
        got = [f.payload for f in r.frames if f.crc_ok]
        assert got == want, r.id
        assert all(f.crc_ok for f in r.frames)
        # frame times on the station clock fall within the simulated frame
        for f, t in zip(r.frames, radio.truth[r.id], strict=True):
            t0 = dt.datetime.fromisoformat(t.time.replace("Z", "+00:00"))
            into = (f.time - t0).total_seconds()
            assert -0.01 < into < t.sample_count / 64e3 + 0.01, (r.id, into)


def test_week_files(week):
    tmp, station, radio, summary = week
    out = tmp / "out"
    db = sqlite3.connect(out / "frames.sqlite")
    rows = db.execute("SELECT source, payload FROM frames").fetchall()
    assert sorted(rows) == sorted(
        (r.id, bytes(f.payload)) for r in summary.results for f in r.frames
    )
    state = json.loads((out / "state.json").read_text())["passes"]
    assert set(state) == {r.id for r in summary.results}
    schedule = json.loads((out / "schedule.json").read_text())
    assert schedule["passes"], "schedule.json lists the passes"
    r = summary.results[len(summary.results) // 2]
    meta = json.loads(r.recording.read_text())
    g = meta["global"]
    tle = next(
        t for t in read_tle_file(tmp / "sats.tle") if str(t.norad) == str(g["sdrlink:norad"])
    )
    assert g["sdrlink:tle"][1:] == [tle.line1, tle.line2]
    assert g["sdrlink:station"]["lat"] == pytest.approx(52.2)
    assert meta["captures"][0]["core:datetime"].startswith(r.id[:4] + "-")
    frames = [a for a in meta["annotations"] if "crc" in a.get("core:label", "")]
    assert [a["core:comment"] for a in frames] == [f.payload.hex() for f in r.frames]
    assert all(a["core:label"].endswith("crc ok") for a in frames)
    data = r.recording.with_suffix(".sigmf-data")
    assert data.stat().st_size == 8 * r.samples  # cf32: every sample, complete
    lines = [json.loads(x) for x in r.jsonl.read_text().splitlines()]
    assert [bytes.fromhex(x["payload"]) for x in lines] == [f.payload for f in r.frames]
    rows = list(csv.DictReader(r.csv.open()))
    assert [x["payload_text"] for x in rows] == [f.text() for f in r.frames]
    assert not list(out.rglob(".*.tmp"))  # nothing half-written left behind


def test_restart_resumes_and_a_crash_costs_one_pass(tmp_path, monkeypatch):
    """Day 1: a decoder crash in one pass, then a kill mid-pass. Day 2: restarted."""
    import sdrlink.api
    from sdrlink.station.simradio import SimulatedRadio

    real_build = sdrlink.api.build_receivers
    crash_at: list[str] = []

    class Crashing:
        def process(self, block):
            raise ZeroDivisionError("decoder bug")

        def flush(self):
            return []

    def build(modes, info, notify=None):
        if not crash_at:
            crash_at.append(info.start_time.isoformat())
            return [Crashing()]
        return real_build(modes, info, notify)

    monkeypatch.setattr(sdrlink.api, "build_receivers", build)

    class Killed(SimulatedRadio):
        """The station is killed (Ctrl-C) during its third pass."""

        def open(self, tuning, duration_s, plan, notify):
            src = super().open(tuning, duration_s, plan, notify)
            if len(self.opened) == 3:
                inner = src.blocks

                def blocks(block_size=1 << 16):
                    for k, b in enumerate(inner(block_size)):
                        if k == 1:
                            raise KeyboardInterrupt
                        yield b

                src.blocks = blocks
            return src

    kw = {"capture_s": 2.4, "frames": 2}
    station, radio, clock = make_station(tmp_path, radio_kwargs=kw, radio_cls=Killed)
    first = station.run(until=START + dt.timedelta(days=2))
    assert first.stopped_by == "stop"
    assert [r.status for r in first.results] == ["failed", "done", "interrupted"]
    assert (
        "internal error" in first.results[0].error
        and "ZeroDivisionError" in (tmp_path / "out" / "station.log").read_text()
    )
    assert first.results[0].recording.exists()  # what was recorded is kept
    killed = radio.opened[2]
    (tmp_path / "out" / "passes" / f".{killed}.sigmf-data.x.tmp").write_bytes(b"junk")

    station2, radio2, _ = make_station(tmp_path, start=clock.now(), radio_kwargs=kw)
    second = station2.run(until=START + dt.timedelta(days=2))
    assert radio2.opened[0] == killed  # the pass still in the sky is rejoined
    assert second.results[0].recording.name == f"{killed}-2.sigmf-meta"
    assert not set(radio.opened[:2]) & set(radio2.opened)  # finished passes not redone
    assert all(r.status == "done" for r in second.results)
    assert not list((tmp_path / "out").rglob(".*.tmp"))
    state = json.loads((tmp_path / "out" / "state.json").read_text())["passes"]
    assert state[radio.opened[0]]["status"] == "failed"
    assert len(state) == 2 + len(second.results)
    for r in second.results:
        assert [f.payload for f in r.frames] == [pass_payload_of(radio2, r.id, k) for k in (0, 1)]


def pass_payload_of(radio, pid, k):
    return radio.truth[pid][k].payload


def test_pass_payload_names_the_pass():
    class P:
        id = "20260302T000000Z_US01"

    assert pass_payload(P, 3) == b"20260302T000000Z_US01 #3"


def test_a_radio_that_never_answers_misses_the_pass_not_the_station(tmp_path):
    """The real radio path (rtl_tcp) to a port nobody listens on: retried until LOS."""
    from sdrlink.station import GroundStation
    from sdrlink.station.runner import LiveRadio

    station, _, clock = make_station(tmp_path)
    cfg = station.config
    cfg.sdr = type(cfg.sdr)(device="rtl_tcp=127.0.0.1:1", rate=250e3)
    station = GroundStation(cfg, clock=clock, radio=LiveRadio(cfg.sdr, clock), out=lambda m: None)
    summary = station.run(max_passes=2)
    assert [r.status for r in summary.results] == ["missed", "missed"]
    assert all("cannot connect to rtl_tcp at 127.0.0.1:1" in r.error for r in summary.results)
    log = (tmp_path / "out" / "station.log").read_text()
    assert log.count("radio: cannot connect") >= 10  # retried, with back-off, until LOS
    state = json.loads((tmp_path / "out" / "state.json").read_text())["passes"]
    assert [v["status"] for v in state.values()] == ["missed", "missed"]
