"""``sdrlink live`` pieces: option errors, the status line, the recorder, the buffer."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import types

import numpy as np
import pytest

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.cli.live import Recorder, StatusLine
from sdrlink.cli.main import main
from sdrlink.pipeline import RunStats
from sdrlink.sources.live import ChunkBuffer

LORA = ["-p", "lora", "--sf", "7", "--bw", "125k"]


def test_live_help_lists_radio_options(capsys):
    with pytest.raises(SystemExit):
        main(["live", "--help"])
    out = capsys.readouterr().out
    for option in ("--device", "--freq", "--gain", "--ppm", "--record", "--duration", "--sat"):
        assert option in out


def test_live_without_soapysdr_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "SoapySDR", None)
    rc = main(["live", "--device", "driver=rtlsdr", "--freq", "436.7M", *LORA])
    assert rc == 2
    err = capsys.readouterr().err
    assert "apt install python3-soapysdr soapysdr-module-rtlsdr soapysdr-module-hackrf" in err
    assert "--system-site-packages" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "rtl_tcp=127.0.0.1:1"], "--freq"),
        (["--device", "rtl_tcp=", "--freq", "1G"], "rtl_tcp=HOST:PORT"),
        (["--device", "rtl_tcp=127.0.0.1:1", "--freq", "1G", "--antenna", "A"], "--antenna"),
        (["--device", "rtl_tcp=127.0.0.1:1", "--freq", "1G", "--duration", "0"], "--duration"),
        (["--device", "driver=rtlsdr", "--freq", "1G", "--gain", "loud"], "bad gain"),
    ],
)
def test_live_option_errors_exit_2(argv, message, capsys):
    assert main(["live", *argv, *LORA]) == 2
    err = capsys.readouterr().err
    assert "sdrlink: error:" in err and message in err
    assert "Traceback" not in err


def test_status_line_shows_level_losses_and_frames():
    stream = io.StringIO()
    status = StatusLine(stream=stream, force=True)
    info = StreamInfo(sample_rate=1000.0)
    source = types.SimpleNamespace(
        info=info, stats=types.SimpleNamespace(overflows=3), buffer_fill=0.25
    )
    stats = RunStats(frames=5, valid_frames=4, gaps=2, lost_samples=1234)
    block = SampleBlock(np.full(1000, 0.1, dtype=np.complex64), 9000)  # -20 dBFS
    status.update(block, stats, source)
    line = stream.getvalue()
    assert line.startswith("\r\x1b[K")
    assert "10.0 s" in line
    assert "level  -20.0 dBFS" in line
    assert "frames 5 (4 ok)" in line
    assert "overflows 3" in line
    assert "lost 1234 samples in 2 gap(s)" in line
    assert "buffer  25%" in line
    status.update(block, stats, source)  # within 0.5 s: not redrawn
    assert stream.getvalue() == line
    status.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    quiet = StatusLine(stream=io.StringIO())  # not a terminal: silent
    quiet.update(block, stats, source)
    assert quiet.stream.getvalue() == ""


def test_recorder_fills_gaps_and_annotates_them(tmp_path):
    start = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.timezone.utc)
    info = StreamInfo(sample_rate=1000.0, center_freq=436.7e6, extra={"hw": "test radio"})
    source = types.SimpleNamespace(info=info)
    rec = Recorder(str(tmp_path / "r.sigmf-meta"), source, "cf32_le", "driver=test")
    info.start_time = start  # known only once samples arrive
    a = np.arange(100, dtype=np.float32).astype(np.complex64)
    b = (np.arange(100, dtype=np.float32) + 500).astype(np.complex64)
    rec(SampleBlock(a, 0), RunStats())
    rec(SampleBlock(b, 150, lost=50), RunStats())
    rec.close()
    data = np.fromfile(tmp_path / "r.sigmf-data", dtype=np.complex64)
    assert np.array_equal(data, np.concatenate([a, np.zeros(50, np.complex64), b]))
    meta = json.loads((tmp_path / "r.sigmf-meta").read_text())
    assert meta["global"]["core:hw"] == "test radio"
    assert meta["captures"][0]["core:datetime"] == "2026-11-23T12:00:00Z"
    assert meta["captures"][0]["core:frequency"] == 436.7e6
    (gap,) = meta["annotations"]
    assert (gap["core:sample_start"], gap["core:sample_count"]) == (100, 50)
    assert gap["core:label"] == "gap"


def test_chunk_buffer_drops_newest_and_carries_the_count():
    buf = ChunkBuffer(capacity=10)
    x = np.ones(4, np.complex64)
    assert buf.put(x) == 0
    assert buf.put(x) == 0
    assert buf.put(x) == 4  # would exceed 10: dropped
    assert buf.put(x, lost=3) == 4  # dropped too, with its own gap
    first = buf.get(0.1)
    assert first.lost == 0
    assert buf.put(x) == 0  # fits again
    assert [buf.get(0.1).lost, buf.get(0.1).lost] == [0, 11]
    assert buf.get(0.01) is None


def test_live_with_sat_tunes_to_the_catalogue_frequency(monkeypatch):
    """Without --freq, --sat tunes the radio to the satellite's downlink."""
    import sdrlink.sources.live as live_mod
    from sdrlink.catalogue import find_satellite
    from sdrlink.errors import DeviceError

    seen = {}

    def fake_open_radio(device, **kwargs):
        seen.update(kwargs)
        raise DeviceError("stand-in: no radio")

    monkeypatch.setattr(live_mod, "open_radio", fake_open_radio)
    assert main(["live", "--device", "driver=none", "--rate", "250k", "--sat", "US01"]) == 2
    assert seen["frequency"] == find_satellite("US01").frequency_hz
