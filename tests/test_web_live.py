"""``sdrlink live --web``: the page's stream carries the live frames and spectra;
and the live source stamps its first sample with the clock it is given."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
import urllib.request

import numpy as np
import pytest
from rtltcp_server import RtlTcpServer, lora_recording, to_cu8

from sdrlink.cli.main import main
from sdrlink.sources.rtltcp import RtlTcpSource

pytest.importorskip("aiohttp")
RATE = 250e3
PAYLOADS = [b"web frame one", b"web frame two", b"web frame three"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_live_web_shows_frames_and_spectrum(capsys):
    x, _ = lora_recording(PAYLOADS, RATE, gap_s=0.3)
    port = free_port()
    seen: dict[str, set] = {"frame": set(), "spectrum": set()}
    stop = threading.Event()

    def watch():
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                stream = urllib.request.urlopen(f"http://127.0.0.1:{port}/events", timeout=5)
            except OSError:
                time.sleep(0.05)
                continue
            with stream:
                event = None
                for raw in stream:
                    line = raw.decode()
                    if line.startswith("event: "):
                        event = line[7:].strip()
                    elif line.startswith("data: ") and event == "snapshot":
                        # a page that connects late gets the frames so far here
                        data = json.loads(line[6:])
                        seen["frame"].update(f["payload"] for f in data["frames"])
                    elif line.startswith("data: ") and event in seen:
                        data = json.loads(line[6:])
                        seen[event].add(data.get("payload") or len(data["bins"]))
                    if stop.is_set():
                        return
            return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with RtlTcpServer(to_cu8(x), RATE, pace=1, wait_for_commands=2.0) as server:
        rc = main(
            [
                "live",
                "--device",
                f"rtl_tcp=127.0.0.1:{server.port}",
                "--freq",
                "436.7M",
                "--rate",
                "250k",
                "-p",
                "lora",
                "--sf",
                "7",
                "--bw",
                "125k",
                "-q",
                "--duration",
                f"{len(x) / RATE - 0.01:.3f}",
                "--web",
                f"127.0.0.1:{port}",
            ]
        )
    stop.set()
    watcher.join(timeout=10)
    assert rc == 0
    assert f"web page at http://127.0.0.1:{port}/" in capsys.readouterr().err
    assert seen["frame"] == {p.hex() for p in PAYLOADS}
    assert seen["spectrum"] == {512}


def test_live_source_stamps_with_the_given_clock():
    x, _ = lora_recording([b"t"], RATE)
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    with RtlTcpServer(to_cu8(x), RATE, pace=1, wait_for_commands=2.0) as server:
        src = RtlTcpSource("127.0.0.1", server.port, sample_rate=RATE, now=lambda: when)
        with src:
            src.wait_started(5)
            first = next(src.blocks(4096))
    assert first.start == 0
    lag = (when - src.info.start_time).total_seconds()
    assert 0 < lag < 1.0  # now() minus the first read's duration
    assert np.iscomplexobj(first.samples)
