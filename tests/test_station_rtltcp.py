"""``sdrlink station`` end to end: an rtl_tcp server replays a simulated pass.

The station runs as the real command (a subprocess) on a clock four times
faster than the wall clock, with its web page and a rotator: Hamlib's rotctld
(dummy rotator) behind a small proxy that logs every command. The server
drops the connection mid-pass once; the station reconnects and annotates
the gap. Every frame sent outside the gap must be recorded, decoded, logged
and shown, and the rotator must follow the pass.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from rtltcp_server import RtlTcpServer
from station_util import START, STATION, write_tles

from sdrlink.catalogue import find_satellite
from sdrlink.doppler.orbit import Orbit, to_posix
from sdrlink.doppler.passes import find_passes
from sdrlink.doppler.tle import read_tle_file
from sdrlink.simulate import simulate_recording

pytest.importorskip("aiohttp")
ROOT = Path(__file__).resolve().parents[1]
SPEED = 4.0
RATE = 250e3


class LoggingProxy:
    """Forwards one TCP client at a time to ``target``; logs its lines and the replies."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.lines: list[tuple[float, str]] = []
        self.replies: list[str] = []
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _pipe(self, src, dst, log) -> None:
        buf = b""
        while not self._stop.is_set():
            try:
                data = src.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            dst.sendall(data)
            buf += data
            while b"\n" in buf:
                line, _, buf = buf.partition(b"\n")
                log(line.decode())
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            upstream = socket.create_connection(self.target)
            for s in (client, upstream):
                s.settimeout(0.2)
            threading.Thread(
                target=self._pipe,
                args=(client, upstream, lambda m: self.lines.append((time.time(), m))),
                daemon=True,
            ).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, self.replies.append), daemon=True
            ).start()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_station_command_on_rtltcp_replay(tmp_path, rotctld):
    tle_path = write_tles(tmp_path / "sats.tle")
    tle = next(t for t in read_tle_file(tle_path) if t.norad == 42721)  # US01
    orbit = Orbit(tle, STATION)
    high = next(p for p in find_passes(orbit, START, 48, min_elevation=10) if p.max_elevation > 45)
    min_el = round(high.max_elevation - 12)  # only the top of the pass: about a minute
    (p,) = [q for q in find_passes(orbit, high.aos, 1, min_elevation=min_el) if not q.clipped]
    sat = find_satellite("US01")
    duration = p.duration_s + 6
    sim = simulate_recording(
        tmp_path / "replay",
        sat.protocol,
        sat.options,
        sample_rate=RATE,
        center_freq=sat.frequency_hz,
        duration=duration,
        first_s=1.0,
        interval_s=5.0,
        snr_db=15,
        tle=tle_path,
        sat=42721,
        station=STATION,
        start_time=p.aos,
        seed=5,
        datatype="cu8",
    )
    data = Path(sim.meta_path).with_suffix(".sigmf-data").read_bytes()
    drop_at = 2 * round(0.45 * duration * RATE)  # the server drops out near the middle
    proxy = LoggingProxy(rotctld)
    web_port = free_port()
    out = tmp_path / "out"
    (tmp_path / "station.toml").write_text(f"""
[station]
name = "replay"
position = "{STATION}"
[sdr]
device = "rtl_tcp=127.0.0.1:{{port}}"
rate = {RATE}
gain = 30
give_up = 20
[[satellite]]
name = "US01"
min_elevation = {min_el}
[tle]
sources = ["sats.tle"]
[output]
folder = "out"
[rotator]
address = "127.0.0.1:{proxy.port}"
park = [0, 90]
lead_s = 6
""")
    with RtlTcpServer(
        data,
        RATE,
        pace=SPEED,
        max_clients=2,
        drop_after=drop_at,
        wait_for_commands=5.0,
        time_limit=240,
    ) as server:
        cfg = tmp_path / "station.toml"
        cfg.write_text(cfg.read_text().replace("{port}", str(server.port)))
        start = p.aos - dt.timedelta(seconds=24)
        cmd = [
            sys.executable,
            "-m",
            "sdrlink",
            "station",
            "--config",
            str(cfg),
            "--clock-start",
            start.isoformat(),
            "--clock-speed",
            str(SPEED),
            "--passes",
            "1",
            "--web",
            f"127.0.0.1:{web_port}",
        ]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        shown: dict[str, dict] = {}
        try:
            deadline = time.monotonic() + 180
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{web_port}/api/state", timeout=2
                    ) as r:
                        for f in json.loads(r.read())["frames"]:
                            shown[f["payload"]] = f
                except OSError:
                    pass
                time.sleep(0.25)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            proxy.close()
    assert proc.returncode == 0, stderr
    assert server.clients == 2  # it reconnected after the drop

    # every frame outside the outage decoded, in the log, on the terminal and on the page
    meta = json.loads(next((out / "passes").glob("*.sigmf-meta")).read_text())
    gaps = [a for a in meta["annotations"] if a.get("core:label") == "gap"]
    assert "streaming again" in stdout  # the drop was retried...
    drop_s = drop_at / 2 / RATE
    holes = [(a["core:sample_start"] / RATE, a["core:sample_count"] / RATE) for a in gaps]
    assert any(abs(t - drop_s) < 2.0 for t, _ in holes), holes  # ...and annotated
    # (a loaded machine may also drop samples elsewhere: each loss is a gap annotation too)

    def clear(f):
        a, b = f.sample_start / RATE, (f.sample_start + f.sample_count) / RATE
        return all(b < t - 0.5 or a > t + n + 1.0 for t, n in holes)

    in_pass = [f for f in sim.frames if (f.sample_start + f.sample_count) / RATE < p.duration_s]
    want = {f.payload.hex() for f in in_pass if clear(f)}  # the station stops at LOS
    assert len(want) >= len(in_pass) - 2 and len(in_pass) >= 15
    state = json.loads((out / "state.json").read_text())["passes"]
    (outcome,) = state.values()
    assert outcome["status"] == "done" and outcome["gaps"] == len(gaps)
    decoded = {a["core:comment"] for a in meta["annotations"] if a["core:label"] == "fsk crc ok"}
    assert want <= decoded
    assert want <= set(shown)
    for payload in want:
        assert bytes.fromhex(payload).decode() in stdout
    g = meta["global"]
    assert g["sdrlink:tle"][1:] == [tle.line1, tle.line2] and g["core:datatype"] == "cu8"
    assert meta["captures"][0]["core:frequency"] == sat.frequency_hz

    # the rotator: pre-pointed, then following the satellite every second, then parked
    cmds = [(t, m) for t, m in proxy.lines if m.startswith("P ")]
    assert all(r == "RPRT 0" for r in proxy.replies if r.startswith("RPRT"))
    pts = np.array([[float(v) for v in m.split()[1:]] for _, m in cmds])
    assert pts[-1].tolist() == [0.0, 90.0]
    track = pts[1:-1]
    assert abs(len(track) - p.duration_s) <= 0.15 * p.duration_s
    fine = float(to_posix(p.aos)) + np.arange(-5, p.duration_s + 5, 0.05)
    look = orbit.look(fine)
    for az, el in track:
        daz = (az - look.azimuth + 180) % 360 - 180
        assert np.min(np.hypot(daz * np.cos(np.radians(el)), el - look.elevation)) < 0.1
    assert track[:, 1].max() == pytest.approx(p.max_elevation, abs=1.0)
