"""``sdrlink info``: what it prints and its exit codes, through the real entry point."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from sdrlink.cli import main as cli_main
from sdrlink.sources.writer import SigMFWriter


@pytest.fixture(autouse=True)
def only_info(monkeypatch):
    """Build the parser with just ``info`` so other commands cannot affect these tests."""
    monkeypatch.setattr(cli_main, "COMMANDS", ["info"])


def _tone(n, amplitude):
    return (amplitude * np.exp(2j * np.pi * 0.01 * np.arange(n))).astype(np.complex64)


@pytest.fixture
def recording(tmp_path):
    with SigMFWriter(
        tmp_path / "pass",
        sample_rate=250e3,
        center_freq=436.7e6,
        datatype="ci16_le",
        description="test pass",
        start_time=dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc),
    ) as w:
        w.write(_tone(500_000, 0.5))  # 2 s, complex tone at -6.02 dBFS
        w.add_annotation(10, 100, label="x")
    return tmp_path / "pass.sigmf-meta"


def test_info_sigmf(recording, capsys):
    assert cli_main.main(["info", str(recording)]) == 0
    out = capsys.readouterr().out
    assert "sigmf (ci16_le)" in out
    assert "complex IQ" in out
    assert "250 kHz" in out and "436.7 MHz" in out
    assert "2.000 s (500000 samples)" in out
    assert "2026-11-01T12:00:00Z" in out
    assert "test pass" in out and "annotations:  1" in out
    assert "RMS -6.0 dBFS, peak -6.0 dBFS" in out


def test_info_json_and_overrides(recording, capsys):
    assert (
        cli_main.main(["info", str(recording), "--json", "--rate", "1M", "--freq", "145.8M"]) == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["sample_rate"] == 1e6 and d["center_freq"] == 145.8e6
    assert d["duration_s"] == pytest.approx(0.5)
    assert d["rms_dbfs"] == pytest.approx(-6.02, abs=0.01)
    assert d["complex"] is True and d["num_samples"] == 500_000


def test_info_raw_file_needs_rate(tmp_path, capsys):
    path = tmp_path / "dump.cu8"
    np.full(2000, 255, np.uint8).tofile(path)  # clipped at full scale
    assert cli_main.main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sdrlink: error:") and "--rate" in err
    assert cli_main.main(["info", str(path), "--rate", "1.024M", "--freq", "100M"]) == 0
    out = capsys.readouterr().out
    assert "cu8" in out and "1.024 MHz" in out and "1000 samples" in out
    assert "peak 0.0 dBFS" in out and "RMS 3.0 dBFS" in out


def test_info_real_wav(tmp_path, capsys):
    import wave

    with wave.open(str(tmp_path / "fm.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(np.full(4800, 16384, "<i2").tobytes())
    assert cli_main.main(["info", str(tmp_path / "fm.wav")]) == 0
    out = capsys.readouterr().out
    assert "real (audio)" in out and "0.100 s" in out and "centre freq:  unknown" in out
    assert "RMS -6.0 dBFS" in out


def test_silence_prints_minus_inf(tmp_path, capsys):
    np.zeros(100, np.complex64).tofile(tmp_path / "z.cf32")
    assert cli_main.main(["info", str(tmp_path / "z.cf32"), "--rate", "1k"]) == 0
    assert "RMS -inf dBFS, peak -inf dBFS" in capsys.readouterr().out
    assert cli_main.main(["info", str(tmp_path / "z.cf32"), "--rate", "1k", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rms_dbfs"] is None


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("bad.sigmf-meta", b"{oops", [], "invalid JSON"),
        ("odd.cs16", b"\0" * 7, ["--rate", "1M"], "not a multiple"),
        ("empty.cf32", b"", ["--rate", "1M"], "empty"),
        ("x.wav", b"RIFF\x04\0\0\0WAV", [], "truncated WAV header"),
        ("x.dat", b"\0" * 8, [], "unknown file type"),
        ("ok.cf32", b"\0" * 8, ["--rate", "fast"], "cannot read 'fast'"),
        ("nan.cf32", np.array([0, np.nan], np.float32).tobytes(), ["--rate", "1M"], "sample 0"),
    ],
)
def test_bad_files_exit_2(tmp_path, capsys, name, content, args, message):
    (tmp_path / name).write_bytes(content)
    assert cli_main.main(["info", str(tmp_path / name), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_missing_file_exit_2(tmp_path, capsys):
    assert cli_main.main(["info", str(tmp_path / "gone.sigmf-meta")]) == 2
    assert "gone.sigmf-meta" in capsys.readouterr().err
