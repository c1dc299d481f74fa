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
