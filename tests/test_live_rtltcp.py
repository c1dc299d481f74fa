"""rtl_tcp source and ``sdrlink live`` end to end over a loopback socket.

``tests/rtltcp_server.py`` plays a simulated LoRa recording (cu8) like an
rtl_tcp server; ``sdrlink live`` must decode the same frames (payloads and
sample indices) as ``sdrlink decode`` on the file, and record it faithfully.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rtltcp_server import RtlTcpServer, lora_recording, to_cu8  # noqa: E402

from sdrlink.cli.main import main  # noqa: E402
from sdrlink.errors import ConfigError, DeviceError  # noqa: E402
from sdrlink.sources.rtltcp import RtlTcpSource, cu8_to_complex, parse_host_port  # noqa: E402

RATE = 250e3
PAYLOADS = [b"live frame one", b"live frame two", b"\x00\x01\x02 binary", b"last one"]


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """(cu8 bytes, path of the .cu8 file, frame start indices)."""
    x, starts = lora_recording(PAYLOADS, RATE, gap_s=0.06)
    data = to_cu8(x)
    path = tmp_path_factory.mktemp("live") / "lora.cu8"
    path.write_bytes(data)
    return data, path, starts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_cu8_conversion():
    raw = bytes([0, 255, 127, 128, 64, 200])
    want = (np.frombuffer(raw, np.uint8).astype(np.float64) - 127.5) / 127.5
    got = cu8_to_complex(raw)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got.real, want[0::2], rtol=0, atol=1e-7)
    np.testing.assert_allclose(got.imag, want[1::2], rtol=0, atol=1e-7)


def test_host_port_parsing():
    assert parse_host_port("127.0.0.1:1235") == ("127.0.0.1", 1235)
    assert parse_host_port("radio.local") == ("radio.local", 1234)
    assert parse_host_port("[::1]:7000") == ("::1", 7000)
    with pytest.raises(ConfigError, match="bad port"):
        parse_host_port("127.0.0.1:99999")


def test_refused_connection_names_the_address():
    port = _free_port()
    with pytest.raises(DeviceError, match=f"cannot connect to rtl_tcp at 127.0.0.1:{port}"):
        RtlTcpSource("127.0.0.1", port, frequency=436.7e6, sample_rate=RATE)


def test_a_server_that_is_not_rtl_tcp_is_rejected():
    import threading

    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        srv.settimeout(5)
        port = srv.getsockname()[1]

        def serve():
            conn, _ = srv.accept()
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n")
                time.sleep(0.3)

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        with pytest.raises(DeviceError, match=f"127.0.0.1:{port} is not an rtl_tcp server"):
            RtlTcpSource("127.0.0.1", port, sample_rate=RATE)
        t.join()


def test_commands_and_samples(recording):
    data, _, _ = recording
    part = data[: 2 * 50_000]
    with RtlTcpServer(part, RATE, pace=0, wait_for_commands=1.0) as server:
        src = RtlTcpSource(
            "127.0.0.1",
            server.port,
            frequency=436.7e6,
            sample_rate=RATE,
            gain="40.2",
            ppm=-3,
            duration=50_000 / RATE,
            buffer_seconds=10,
        )
        with src:
            blocks = list(src.blocks(8192))
        assert src.tuner == 5 and src.gain_steps == 29
        assert "R820T" in src.info.extra["hw"]
    assert server.commands == [
        (0x02, 250_000),
        (0x01, 436_700_000),
        (0x05, 0xFFFFFFFD),  # -3 ppm, two's complement
        (0x03, 1),  # manual gain
        (0x04, 402),  # tenths of a dB
        (0x08, 0),  # RTL2832 AGC off
    ]
    x = np.concatenate([b.samples for b in blocks])
    assert np.array_equal(x, cu8_to_complex(part))
    assert [b.start for b in blocks] == [0] + [b.stop for b in blocks[:-1]]  # no gaps
    assert max(len(b.samples) for b in blocks) <= 8192 and not any(b.lost for b in blocks)


def test_settings_are_checked_against_the_tuner(recording):
    data, _, _ = recording
    cases = [
        ({"frequency": 3e9}, "frequency 3 GHz is out of range; it supports 24 MHz to 1.766 GHz"),
        ({"sample_rate": 500e3}, "sample rate 500 kSps is out of range; it supports 225.001 kSps"),
        ({"gain": 60}, "gain 60 dB is out of range; it supports 0 to 49.6 dB"),
    ]
    for kw, message in cases:
        with RtlTcpServer(data[:1000], RATE, pace=0) as server:
            args = {"frequency": 436.7e6, "sample_rate": RATE, **kw}
            with pytest.raises(DeviceError) as err:
                RtlTcpSource("127.0.0.1", server.port, **args)
            assert f"rtl_tcp 127.0.0.1:{server.port} (R820T)" in str(err.value)
            assert message in str(err.value)
    with pytest.raises(ConfigError, match="one overall gain"):
        RtlTcpSource("127.0.0.1", 1, gain="LNA=3", sample_rate=RATE)


def test_dropped_connection_is_reconnected(recording):
    data, _, _ = recording
    part = data[: 2 * 60_000]
    events: list[str] = []
    with RtlTcpServer(part, RATE, pace=4, max_clients=2, drop_after=2 * 20_000) as server:
        src = RtlTcpSource(
            "127.0.0.1", server.port, sample_rate=RATE, notify=events.append, buffer_seconds=10
        )
        got = []
        with src:
            for b in src.blocks(8192):
                got.append(b)
                if sum(len(b.samples) for b in got) >= 60_000:
                    break
        assert server.clients == 2
    assert src.stats.restarts == 1  # (a second outage may follow: the server has finished)
    assert any("retrying in 0.1 s" in e for e in events)
    x = np.concatenate([b.samples for b in got])
    assert np.array_equal(x, cu8_to_complex(part))  # nothing was lost on the server side
    gap = [b for b in got if b.lost]
    assert len(gap) == 1 and gap[0].start == 20_000 + gap[0].lost  # estimated, but shown


def test_server_gone_for_good_gives_up(recording):
    data, _, _ = recording
    with RtlTcpServer(data[:20_000], RATE, pace=0, wait_for_commands=2.0) as server:
        src = RtlTcpSource("127.0.0.1", server.port, sample_rate=RATE, give_up_after=0.6)
        n = 0
        with src, pytest.raises(DeviceError) as err:
            for b in src.blocks():
                n += len(b.samples)
    assert n == 10_000
    assert "gave up after 0.6 s" in str(err.value)
    assert "127.0.0.1" in str(err.value)


def test_live_decodes_like_decode_and_records(recording, tmp_path, capsys):
    data, path, starts = recording
    n = len(data) // 2
    file_jsonl, live_jsonl = tmp_path / "file.jsonl", tmp_path / "live.jsonl"
    proto = ["-p", "lora", "--sf", "7", "--bw", "125k"]
    rc = main(["decode", str(path), "--rate", "250k", *proto, "--jsonl", str(file_jsonl), "-q"])
    assert rc == 0
    expected = [(f["payload"], f["sample_index"]) for f in _jsonl(file_jsonl)]
    assert expected == [(p.hex(), s) for p, s in zip(PAYLOADS, starts, strict=True)]

    record = tmp_path / "capture.sigmf-meta"
    db = tmp_path / "frames.db"
    with RtlTcpServer(data, RATE, pace=3, wait_for_commands=2.0) as server:
        t0 = time.time()
        rc = main(
            [
                "live",
                "--device",
                f"rtl_tcp=127.0.0.1:{server.port}",
                "--freq",
                "436.7M",
                "--rate",
                "250k",
                "--gain",
                "30",
                *proto,
                "--jsonl",
                str(live_jsonl),
                "--db",
                str(db),
                "--record",
                str(record),
                "--duration",
                str(n / RATE),
                "--buffer",
                "10",
            ]
        )
        t1 = time.time()
    assert rc == 0
    captured = capsys.readouterr()
    frames = _jsonl(live_jsonl)
    assert [(f["payload"], f["sample_index"]) for f in frames] == expected
    assert "live frame one" in captured.out  # terminal lines
    assert "4 frame(s), 4 with valid CRC" in captured.err
    assert "0 gap(s), 0 samples lost" in captured.err
    # frame times: start time of the stream + index / rate, within the run
    t_first = frames[0]["time"]
    assert t_first is not None and t_first.endswith("Z")
    import datetime as dt

    when = dt.datetime.fromisoformat(t_first.replace("Z", "+00:00")).timestamp()
    assert t0 - 1 < when - starts[0] / RATE < t1
    # the recording holds exactly the samples served, with the metadata
    from sdrlink.sources import open_source

    meta = json.loads(record.read_text())
    assert meta["global"]["core:datatype"] == "cu8"
    assert meta["global"]["core:sample_rate"] == RATE
    assert "rtl_tcp" in meta["global"]["core:hw"]
    assert meta["captures"][0]["core:frequency"] == 436.7e6
    assert meta["captures"][0]["core:datetime"].endswith("Z")
    assert (tmp_path / "capture.sigmf-data").read_bytes() == data
    with open_source(str(record)) as src:
        assert src.info.start_time is not None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    import sqlite3

    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from frames").fetchone()[0] == 4


def test_live_ctrl_c_leaves_valid_outputs(recording, tmp_path):
    data, _, _ = recording
    live_jsonl, record = tmp_path / "live.jsonl", tmp_path / "rec.sigmf-meta"
    root = Path(__file__).resolve().parents[1]
    with RtlTcpServer(data, RATE, pace=0.5, time_limit=60, wait_for_commands=5.0) as server:
        cmd = [
            sys.executable,
            "-m",
            "sdrlink",
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
            "--jsonl",
            str(live_jsonl),
            "--record",
            str(record),
            "-q",
        ]
        env = dict(os.environ, PYTHONPATH=str(root))
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and proc.poll() is None:
                if live_jsonl.exists() and live_jsonl.read_text().count("\n") >= 1:
                    break
                time.sleep(0.05)
            assert proc.poll() is None, proc.communicate()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err  # as decode: 128 + SIGINT
    assert "stopped; outputs are complete up to here" in err
    frames = _jsonl(live_jsonl)
    assert frames and bytes.fromhex(frames[0]["payload"]) == PAYLOADS[0]
    meta = json.loads(record.read_text())  # renamed into place, valid JSON
    size = (tmp_path / "rec.sigmf-data").stat().st_size
    assert size > 0 and size % 2 == 0
    assert data.startswith((tmp_path / "rec.sigmf-data").read_bytes())
    assert meta["captures"][0]["core:datetime"].endswith("Z")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
