"""'sdrlink simulate' refuses what cannot work and never loses what it wrote."""

from __future__ import annotations

import json

import pytest

from sdrlink.cli.main import main

LORA = ["-p", "lora", "--sf", "7", "--bw", "125k"]


def _err(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_existing_recording_is_kept_without_force(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", str(out), *LORA, "--count", "1", "--seed", "1"]) == 0
    before = (tmp_path / "sim.sigmf-data").read_bytes()
    assert main(["simulate", str(out), *LORA, "--count", "2", "--seed", "2"]) == 2
    assert "exists; give --force" in _err(capsys)
    assert (tmp_path / "sim.sigmf-data").read_bytes() == before
    assert main(["simulate", str(out), *LORA, "--count", "2", "--seed", "2", "--force"]) == 0
    assert (tmp_path / "sim.sigmf-data").read_bytes() != before


@pytest.mark.parametrize("name", ["x.wav", "x.cu8", "x.sigmf"])
def test_output_name_of_another_format_is_refused(tmp_path, capsys, name):
    assert main(["simulate", str(tmp_path / name), *LORA, "--count", "1"]) == 2
    assert "simulate writes SigMF recordings" in _err(capsys)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--snr", "nan"], "snr_db must be a finite number"),
        (["--drift", "nan"], "drift_hz_s must be a finite"),
        (["--count", "0"], "at least 1"),
        (["--duration", "-3"], "positive"),
    ],
)
def test_bad_numbers_are_refused(tmp_path, capsys, extra, message):
    argv = ["simulate", str(tmp_path / "s"), *LORA, *extra]
    if "--count" not in extra and "--duration" not in extra:
        argv += ["--count", "1"]
    assert main(argv) == 2
    assert message in _err(capsys)


def test_overlapping_frames_are_refused(tmp_path, capsys):
    argv = ["simulate", str(tmp_path / "s"), "-p", "lora", "--sf", "12", "--bw", "125k"]
    assert main([*argv, "--count", "3", "--interval", "0.1"]) == 2
    assert "frames would overlap" in _err(capsys)


def test_a_recording_larger_than_the_disk_is_refused_up_front(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "s"), *LORA, "--duration", "1e9"]) == 2
    assert "GB free" in _err(capsys)
    assert not list(tmp_path.iterdir())


def test_sat_takes_the_catalogue_frequency(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "s"), "--sat", "US01", "--count", "1"]) == 0
    meta = json.loads((tmp_path / "s.sigmf-meta").read_text())
    assert meta["captures"][0]["core:frequency"] == 437.505e6


def test_receiver_only_options_are_not_offered(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["simulate", str(tmp_path / "s"), *LORA, "--channel=100k", "--count", "1"])
    assert "unrecognized arguments: --channel" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    out = capsys.readouterr().out
    assert "--carrier-search" not in out and "--channel" not in out and "--sf SF" in out


def test_interrupted_simulation_keeps_the_truth_of_whole_frames(tmp_path, monkeypatch):
    """Ctrl-C (or SIGTERM) mid-way: the frames written whole keep their annotations."""
    import sdrlink.simulate as sim

    real = sim.SigMFWriter.write
    calls = {"n": 0}

    def write_then_stop(self, samples):
        real(self, samples)
        calls["n"] += 1
        if calls["n"] == 40:  # 40 blocks of 65536 samples: about 10.5 s at 250 kHz
            raise KeyboardInterrupt

    monkeypatch.setattr(sim.SigMFWriter, "write", write_then_stop)
    with pytest.raises(KeyboardInterrupt):
        sim.simulate_recording(
            tmp_path / "cut",
            "lora",
            {"sf": 7, "bw": 125e3},
            sample_rate=250e3,
            center_freq=436e6,
            count=10,
            interval_s=2.0,
            seed=3,
        )
    meta = json.loads((tmp_path / "cut.sigmf-meta").read_text())
    size = (tmp_path / "cut.sigmf-data").stat().st_size // 8
    anns = meta["annotations"]
    assert size == 40 * 65536
    assert [a["sdrlink:frame"] for a in anns] == [0, 1, 2, 3, 4]  # starts at 1, 3, 5, 7, 9 s
    assert all(a["core:sample_start"] + a["core:sample_count"] <= size for a in anns)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
