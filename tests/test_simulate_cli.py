"""End to end on the command line: simulate a slice of a pass, decode it with --tle."""

from __future__ import annotations

import json
from pathlib import Path

from sdrlink.cli.main import main

DATA = Path(__file__).parent / "data" / "amateur.tle"
STATION = "52.2,0.12,30"


def test_simulate_then_decode_with_tle(tmp_path, capsys):
    out = tmp_path / "slice"
    rc = main(
        [
            "simulate",
            str(out),
            "-p",
            "lora",
            "--sf",
            "8",
            "--bw",
            "125k",
            "--rate",
            "250k",
            "--freq",
            "436.5M",
            "--tle",
            str(DATA),
            "--tle-sat",
            "ISS",
            "--station",
            STATION,
            "--start",
            "2025-11-20T18:03:00Z",
            "--duration",
            "12",
            "--interval",
            "4",
            "--snr",
            "0",
            "--payload",
            "CAFE0123",
            "--seed",
            "9",
            "--datatype",
            "ci16_le",
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0
    assert "3 frame(s)" in text
    truth = json.loads((tmp_path / "slice.sigmf-meta").read_text())["annotations"]
    assert all(7000 < a["sdrlink:doppler_hz"] < 9500 for a in truth)
    jsonl = tmp_path / "frames.jsonl"
    rc = main(
        [
            "decode",
            str(tmp_path / "slice.sigmf-meta"),
            "-p",
            "lora",
            "--sf",
            "8",
            "--bw",
            "125k",
            "--tle",
            str(DATA),
            "--tle-sat",
            "iss",
            "--station",
            STATION,
            "--jsonl",
            str(jsonl),
            "-q",
            "--no-progress",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    frames = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [f["payload"] for f in frames] == ["cafe0123"] * 3
    for f, a in zip(frames, truth, strict=True):
        assert abs(f["fields"]["residual_hz"]) < 50
        assert abs(f["freq_offset_hz"] - a["sdrlink:offset_hz"]) < 50
        assert abs(f["fields"]["doppler_predicted_hz"] - a["sdrlink:doppler_hz"]) < 1


def test_decode_with_tle_but_no_start_time_is_a_clear_error(tmp_path, capsys):
    out = tmp_path / "nostart"
    assert (
        main(
            [
                "simulate",
                str(out),
                "-p",
                "lora",
                "--sf",
                "7",
                "--bw",
                "125k",
                "--count",
                "1",
                "--seed",
                "1",
            ]
        )
        == 0
    )
    capsys.readouterr()
    rc = main(
        [
            "decode",
            str(tmp_path / "nostart.sigmf-meta"),
            "-p",
            "lora",
            "--sf",
            "7",
            "--bw",
            "125k",
            "--tle",
            str(DATA),
            "--tle-sat",
            "ISS",
            "--station",
            STATION,
            "-q",
            "--no-progress",
        ]
    )
    assert rc == 2
    assert "no start time (core:datetime); give --start" in capsys.readouterr().err
