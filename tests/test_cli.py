"""Command-line behaviour: help, exit codes, one-line errors."""

import pytest

from sdrlink.cli.main import main


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "decode" in capsys.readouterr().out


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("decode", "info", "protocols"):
        assert cmd in out


def test_decode_without_protocol_is_a_usage_error(tmp_path, capsys):
    f = tmp_path / "x.cf32"
    f.write_bytes(b"\0" * 800)
    assert main(["decode", str(f), "--rate", "250k"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sdrlink: error:") and "--protocol" in err
    assert "Traceback" not in err


def test_decode_missing_file_is_one_line_error(tmp_path, capsys):
    assert main(["decode", str(tmp_path / "nope.sigmf-meta"), "-p", "lora"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.sigmf" in err[0]


def test_protocols_lists_registry(capsys):
    assert main(["protocols"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lora") and "fsk" in out


def test_doppler_stage_uses_the_catalogue_downlink_with_sat():
    """--sat without --downlink: Doppler is computed at the satellite's frequency."""
    import argparse
    import datetime as dt
    from pathlib import Path

    from sdrlink.blocks import StreamInfo
    from sdrlink.catalogue import find_satellite
    from sdrlink.cli.common import build_stages

    sat = find_satellite("US01")
    args = argparse.Namespace(
        tle=str(Path(__file__).parent / "data" / "amateur.tle"),
        tle_sat="ISS",
        station="52.0,4.4,10",
        downlink=None,
        sat="US01",
    )
    info = StreamInfo(250e3, 430e6, dt.datetime(2025, 11, 21, tzinfo=dt.timezone.utc))
    (stage,) = build_stages(args, info, sat)
    assert stage.carrier_hz == sat.frequency_hz != info.center_freq


def test_signed_option_values_are_accepted_without_equals():
    from sdrlink.cli.main import glue_signed_values

    argv = ["decode", "x.cu8", "--channel", "-200k,+100k", "--sf", "7", "--cfo", "-2.5k"]
    assert glue_signed_values(argv) == [
        "decode",
        "x.cu8",
        "--channel=-200k,+100k",
        "--sf",
        "7",
        "--cfo=-2.5k",
    ]
    # an option name after --channel is left alone (argparse reports the missing value)
    assert glue_signed_values(["--channel", "--sf", "7"]) == ["--channel", "--sf", "7"]


def test_decode_two_channels_given_with_a_negative_offset(tmp_path, capsys):
    """Two LoRa channels of one 1 Msps capture, the first at -200 kHz."""
    import numpy as np

    from sdrlink.channel import add_noise, apply_offset
    from sdrlink.protocols import get_protocol

    lora = get_protocol("lora")
    fs = 1e6
    x = np.zeros(int(0.4 * fs), np.complex64)
    for offset, payload, at in ((-200e3, b"left channel", 0.02), (100e3, b"right channel", 0.1)):
        wave = lora.modulate(lora.make_params({"sf": 7, "bw": 125e3}), payload, fs)
        i = int(at * fs)
        x[i : i + len(wave)] += apply_offset(wave, fs, offset)
    x = add_noise(x, 10.0, 125e3, fs, np.random.default_rng(3), signal_power=1.0)
    path = tmp_path / "two.cf32"
    x.astype(np.complex64).tofile(path)
    argv = ["decode", str(path), "--rate", "1M", "-p", "lora", "--sf", "7", "--bw", "125k"]
    assert main([*argv, "--channel", "-200k,+100k"]) == 0
    out = capsys.readouterr().out
    assert "|left channel|" in out and "|right channel|" in out


@pytest.mark.parametrize("value", ["0", "-5", "abc"])
def test_block_size_must_be_a_positive_integer(value, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["decode", "x.cf32", "-p", "lora", "--block-size", value])
    assert exc.value.code == 2
    assert "--block-size" in capsys.readouterr().err


def test_input_path_errors_say_what_is_wrong(tmp_path, capsys):
    import os

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    cases = [
        (tmp_path, "is a folder, not a recording"),
        (blocker / "x.cu8", f"{blocker} is a file, not a folder"),
        (tmp_path / "missing.cu8", "file not found"),
    ]
    if os.geteuid() != 0:
        locked = tmp_path / "locked.cu8"
        locked.write_bytes(b"\0" * 64)
        locked.chmod(0)
        cases.append((locked, "permission denied"))
    for path, message in cases:
        assert main(["info", str(path), "--rate", "1M"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err


def test_info_rate_stands_in_for_a_sigmf_without_one(tmp_path, capsys):
    import json
    import shutil
    from pathlib import Path

    example = Path(__file__).parents[1] / "examples" / "lora_demo"
    for ext in (".sigmf-meta", ".sigmf-data"):
        shutil.copy(f"{example}{ext}", tmp_path / f"r{ext}")
    meta = tmp_path / "r.sigmf-meta"
    doc = json.loads(meta.read_text())
    del doc["global"]["core:sample_rate"]
    meta.write_text(json.dumps(doc))
    assert main(["info", str(meta)]) == 2
    assert "give --rate" in capsys.readouterr().err
    assert main(["info", str(meta), "--rate", "250k"]) == 0
    assert "250" in capsys.readouterr().out
