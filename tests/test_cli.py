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
