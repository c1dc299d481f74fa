"""``sdrlink passes`` and ``sdrlink simulate`` on the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sdrlink.cli.main import main
from sdrlink.cli.simulate import parse_payload

DATA = Path(__file__).parent / "data" / "amateur.tle"
BASE = ["passes", "--tle", str(DATA), "--station", "52.2,0.12,30"]


def test_passes_table(capsys):
    rc = main(BASE + ["--sat", "iss", "--start", "2025-11-20T12:00:00Z", "--freq", "436.7M"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "ISS (ZARYA) (NORAD 25544)" in out
    rows = [ln for ln in out.splitlines() if re.match(r"\d{4}-\d\d-\d\d \d\d:", ln)]
    assert len(rows) == 6
    assert rows[2].startswith("2025-11-20 17:59:")
    assert " 76.9°" in rows[2] and "kHz" in rows[2] and "Hz/s" in rows[2]


def test_passes_min_elevation_and_hours(capsys):
    rc = main(
        BASE
        + [
            "--sat",
            "25544",
            "--start",
            "2025-11-20T12:00:00",
            "--hours",
            "48",
            "--min-elevation",
            "60",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    rows = [ln for ln in out.splitlines() if re.match(r"\d{4}-", ln)]
    assert 1 <= len(rows) <= 6
    assert all(float(re.search(r"(\d+\.\d)°", r).group(1)) >= 60 for r in rows)
    assert "kHz" not in out  # no --freq, no Doppler columns


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--sat", "nosuch"], "not in"),
        (["--sat", "iss", "--station", "north"], "bad station"),
        (["--sat", "iss", "--hours", "-1"], "positive"),
    ],
)
def test_passes_errors_exit_2(capsys, extra, message):
    assert main(BASE + extra) == 2
    assert message in capsys.readouterr().err


def test_passes_needs_a_name_when_many(capsys):
    assert main(BASE) == 2
    assert "holds 3 satellites" in capsys.readouterr().err


def test_parse_payload():
    assert parse_payload("0xCAFE") == b"\xca\xfe"
    assert parse_payload("cafe01") == b"\xca\xfe\x01"
    assert parse_payload("hello") == b"hello"
    assert parse_payload("text:cafe") == b"cafe"
    assert parse_payload("abc") == b"abc"  # odd number of digits is text


def test_simulate_cli_writes_truth(tmp_path, capsys):
    out = tmp_path / "sim"
    rc = main(
        [
            "simulate",
            str(out),
            "--protocol",
            "lora",
            "--sf",
            "7",
            "--bw",
            "125k",
            "--count",
            "2",
            "--interval",
            "0.5",
            "--snr",
            "5",
            "--payload",
            "text:hi there",
            "--seed",
            "4",
            "--cfo",
            "2k",
            "--datatype",
            "ci16_le",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    assert "2 frame(s)" in capsys.readouterr().out
    meta = json.loads((tmp_path / "sim.sigmf-meta").read_text())
    anns = meta["annotations"]
    assert [a["sdrlink:payload"] for a in anns] == [b"hi there".hex()] * 2
    assert all(abs(a["sdrlink:offset_hz"] - 2000) < 1e-6 for a in anns)
    assert meta["global"]["core:datatype"] == "ci16_le"
    assert meta["global"]["sdrlink:simulation"]["options"]["sf"] == [7]


def test_simulate_cli_errors(tmp_path, capsys):
    base = ["simulate", str(tmp_path / "x"), "--protocol", "lora", "--sf", "7", "--bw", "125k"]
    assert main(base) == 2
    assert "--count" in capsys.readouterr().err
    assert main(base + ["--count", "1", "--pass"]) == 2
    assert "--pass needs" in capsys.readouterr().err
    assert main(base + ["--count", "1", "--snr", "1", "--snr-ref", "2"]) == 2
    assert main(base + ["--count", "1", "--tle", str(DATA), "--tle-sat", "iss"]) == 2
    assert "--station" in capsys.readouterr().err


def test_passes_with_old_tle_is_exit_2(capsys):
    rc = main(BASE + ["--sat", "iss", "--start", "2031-01-01T00:00:00Z"])
    assert rc == 2
    assert "too old" in capsys.readouterr().err


def test_passes_warn_about_a_stale_tle(capsys):
    argv = [
        "passes",
        "--tle",
        str(DATA),
        "--sat",
        "ISS",
        "--station",
        "52.2,0.12,30",
        "--hours",
        "3",
    ]
    assert main([*argv, "--start", "2025-11-21T00:00:00Z"]) == 0
    assert "warning" not in capsys.readouterr().err  # a day after the epoch
    assert main([*argv, "--start", "2026-12-01T00:00:00Z"]) == 0
    err = capsys.readouterr().err
    assert "warning: the TLE of ISS (ZARYA)" in err and "375 days" in err
