"""LR-FHSS on the command line: sdrlink simulate -p lrfhss, then decode."""

from __future__ import annotations

import json

import pytest

from sdrlink.cli.main import main

T_BIT = 1 / 488.28125


def _simulate(out, *extra):
    return main(
        ["simulate", str(out), "-p", "lrfhss", "--count", "3", "--interval", "3", "--snr", "6"]
        + ["--freq", "868.1M", "--cfo", "-7k", "--drift", "60", "--seed", "2", *extra]
    )


@pytest.mark.parametrize(
    ("rate", "options", "expect"),
    [
        ("250k", ["--dr", "8"], "DR8 EU868 CR1/3 137k"),
        ("1.2M", ["--ocw", "336k", "--cr", "2/3", "--header-copies", "2"], "DR11 EU868"),
        ("2.4M", ["--dr", "6", "--region", "US915", "--hop-seq", "300"], "DR6 US915/AU915"),
    ],
)
def test_simulate_places_packets_and_decode_finds_them(tmp_path, capsys, rate, options, expect):
    out = tmp_path / "sim"
    assert _simulate(out, "--rate", rate, "--datatype", "ci16_le", *options) == 0
    capsys.readouterr()
    meta = json.loads((tmp_path / "sim.sigmf-meta").read_text())
    fs = meta["global"]["core:sample_rate"]
    truth = meta["annotations"]
    jsonl = tmp_path / "frames.jsonl"
    assert (
        main(["decode", str(tmp_path / "sim.sigmf-meta"), "-p", "lrfhss", "--jsonl", str(jsonl)])
        == 0
    )
    text = capsys.readouterr().out
    assert text.count(expect) == 3
    frames = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [f["payload"] for f in frames] == [a["sdrlink:payload"] for a in truth]
    for f, a in zip(frames, truth, strict=True):
        assert f["sample_index"] == pytest.approx(a["core:sample_start"], abs=0.2 * T_BIT * fs)
        assert f["freq_offset_hz"] == pytest.approx(a["sdrlink:offset_hz"], abs=3.0)
        assert f["snr_db"] == pytest.approx(6.0, abs=1.0)
    if "--hop-seq" in options:
        assert {f["fields"]["hop_seq_id"] for f in frames} == {300}


def test_lrfhss_options_do_not_clash_with_lora(tmp_path, capsys):
    # --cr means a LoRa coding rate with -p lora and an LR-FHSS one with -p lrfhss
    assert (
        main(["simulate", str(tmp_path / "a"), "-p", "lrfhss", "--cr", "1/2", "--count", "1"]) == 0
    )
    assert main(["simulate", str(tmp_path / "b"), "-p", "lora", "--cr", "4/6", "--count", "1"]) == 0
    capsys.readouterr()
    assert main(["decode", str(tmp_path / "a.sigmf-meta"), "-p", "lrfhss", "--cr", "1/2"]) == 0
    assert "CR1/2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["--rate", "100k"],  # below the 137 kHz channel
        ["--ocw", "100k"],
        ["--cr", "4/5"],
        ["--dr", "3"],
        ["--ocw", "137k", "--grid", "25.4k"],
        ["--hop-seq", "400"],
    ],
)
def test_bad_lrfhss_settings_are_one_line_errors(tmp_path, capsys, args):
    assert main(["simulate", str(tmp_path / "x"), "-p", "lrfhss", "--count", "1", *args]) == 2
    err = capsys.readouterr().err
    assert "LR-FHSS" in err or "lrfhss" in err.lower() or "sample rate" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
