"""``sdrlink batch`` with a TLE: the predicted Doppler is removed in every worker."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from pass_util import STATION, TLE, iss_pass, iss_recording

from sdrlink import batch
from sdrlink.cli.main import main
from sdrlink.doppler.stage import DopplerSpec
from sdrlink.sources.writer import SigMFWriter

pytest.importorskip("distributed")

OPTIONS = {"sf": [7], "bw": 125e3}


@pytest.fixture(scope="module")
def passes(tmp_path_factory):
    """Two 8-second ISS recordings at 436 MHz: near the horizon and near culmination."""
    folder = tmp_path_factory.mktemp("batch_doppler")
    _, duration = iss_pass()
    truth = {}
    for name, offset_s in (("rise", 60.0), ("top", duration / 2 - 4)):
        res = iss_recording(folder / name, "lora", OPTIONS, offset_s, snr_db=5.0, seed=3)
        truth[res.meta_path] = res.frames
    return folder, truth


def test_batch_removes_the_predicted_doppler_per_recording(passes):
    _, truth = passes
    spec = DopplerSpec.load(str(TLE), "ISS", STATION, 436e6)
    result = batch.decode_many(list(truth), "lora", options=OPTIONS, workers=1, doppler=spec)
    assert not result.failures
    for path, sent in truth.items():
        frames = result.frames[path]
        assert [f.payload for f in frames] == [s.payload for s in sent]
        for f, s in zip(frames, sent, strict=True):
            # the stage ran: its prediction is on the frame and matches the simulator's truth
            assert f.fields["doppler_predicted_hz"] == pytest.approx(s.doppler_hz, abs=50.0)
            assert abs(f.fields["residual_hz"]) < 50.0
    doppler = [s.doppler_hz for sent in truth.values() for s in sent]
    assert max(abs(d) for d in doppler) > 5e3  # a real shift was there to remove


def test_cli_batch_with_tle_and_the_settings_key(passes, tmp_path, capsys):
    folder, truth = passes
    db = tmp_path / "frames.sqlite"
    argv = [
        "batch", str(folder), "-p", "lora", "--sf", "7", "--bw", "125k", "--db", str(db),
        "--tle", str(TLE), "--tle-sat", "ISS", "--station", STATION, "--downlink", "436M",
        "-j", "1", "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM frames").fetchone()[0]
    settings = {r[0] for r in con.execute("SELECT settings_json FROM recordings")}
    con.close()
    assert n == sum(len(v) for v in truth.values())
    assert len(settings) == 1 and '"doppler"' in next(iter(settings))
    # without the TLE the settings differ: decoded again, not skipped
    plain = argv[: argv.index("--tle")] + ["-j", "1", "--no-progress", "-v"]
    assert main(plain) == 0
    assert "skipped" not in capsys.readouterr().out


def test_cli_batch_doppler_needs_a_station_and_a_start_time(passes, tmp_path, capsys):
    folder, _ = passes
    db = tmp_path / "f.sqlite"
    base = ["batch", str(folder), "-p", "lora", "--sf", "7", "--db", str(db), "--no-progress"]
    assert main(base + ["--tle", str(TLE), "--tle-sat", "ISS"]) == 2
    assert "--tle needs --station" in capsys.readouterr().err
    # a recording without core:datetime fails alone, with the reason
    bare = tmp_path / "bare"
    with SigMFWriter(bare, sample_rate=250e3, center_freq=436e6) as w:
        w.write(np.zeros(25_000, np.complex64))
    args = ["batch", str(bare) + ".sigmf-meta", "-p", "lora", "--sf", "7", "--db", str(db)]
    args += ["--tle", str(TLE), "--tle-sat", "ISS", "--station", STATION, "-j", "1"]
    assert main(args + ["--no-progress", "-v"]) == 2
    assert "no start time" in capsys.readouterr().out
