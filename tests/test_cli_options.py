"""Protocol options on the command line: one namespace per protocol, one-line errors."""

from __future__ import annotations

import sys
import types

import pytest

from sdrlink.cli.common import cli_protocol_options
from sdrlink.cli.main import build_parser, main
from sdrlink.protocols import REGISTRY, Option, Protocol


def _usage_error(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_option_of_another_protocol_is_refused_naming_its_owner(capsys):
    err = _usage_error(["decode", "x.cf32", "-p", "lora", "--baud", "9600"], capsys)
    assert err.count("\n") == 1, err  # one line
    assert "unrecognized arguments: --baud 9600" in err
    assert "--baud is an option of -p fsk" in err and "sdrlink decode --help" in err


def test_protocol_option_without_protocol_says_what_is_missing(capsys):
    err = _usage_error(["decode", "x.cf32", "--sf", "7"], capsys)
    assert "--sf is an option of -p lora" in err


def test_usage_error_is_one_line_with_a_pointer_to_help(capsys):
    err = _usage_error(["decode"], capsys)
    assert err.strip().splitlines() == [
        "sdrlink decode: error: the following arguments are required: FILE "
        "(see 'sdrlink decode --help')"
    ]


def test_help_shows_every_protocols_options_with_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["decode", "--help"])
    out = capsys.readouterr().out
    assert "lora options (-p lora)" in out and "fsk options (-p fsk)" in out
    assert "--sf SF" in out and "default: all" in out
    assert "--baud BD" in out and "default 9600" in out


def test_options_are_handed_over_as_typed_and_parsed_once():
    argv = ["decode", "x.cf32", "-p", "fsk", "--baud", "9.6k", "--framing", "AX.25 G3RUH"]
    args = build_parser(argv).parse_args(argv)
    assert cli_protocol_options(args, "fsk") == {"baud": "9.6k", "framing": "AX.25 G3RUH"}
    from sdrlink.api import resolve_protocol

    _, opts, _ = resolve_protocol("fsk", None, cli_protocol_options(args, "fsk"))
    assert opts["baud"] == 9600.0 and opts["framing"] == "ax25_g3ruh"


def test_two_protocols_may_use_one_flag_with_their_own_meaning(monkeypatch, capsys):
    """A protocol with its own --cr does not clash with LoRa's --cr."""
    fake = types.ModuleType("sdrlink_test_fake_protocol")
    fake.PROTOCOL = Protocol(
        name="fake",
        description="test double with its own --cr",
        cli_options=lambda: (Option("rate_code", "--cr", "code rate 1/3..5/6 (default 1/3)"),),
        make_params=lambda options: options,
        make_receiver=lambda options, info: None,  # type: ignore[arg-type,return-value]
        modulate=lambda params, payload, fs: None,  # type: ignore[arg-type,return-value]
    )
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setitem(REGISTRY, "fake", fake.__name__)
    argv = ["decode", "x.cf32", "-p", "fake", "--cr", "2/3"]
    args = build_parser(argv).parse_args(argv)
    assert cli_protocol_options(args, "fake") == {"rate_code": "2/3"}
    assert cli_protocol_options(args, "lora") == {}
    argv = ["decode", "x.cf32", "-p", "lora", "--cr", "4/7"]
    args = build_parser(argv).parse_args(argv)
    assert cli_protocol_options(args, "lora") == {"cr": "4/7"}
    with pytest.raises(SystemExit):
        main(["decode", "--help"])
    out = capsys.readouterr().out
    assert "fake options (-p fake)" in out and "code rate 1/3..5/6" in out


def test_api_refuses_unknown_or_misspelled_keywords():
    import numpy as np

    import sdrlink
    from sdrlink.errors import ConfigError

    x = np.zeros(4096, np.complex64)
    with pytest.raises(ConfigError, match="unknown LoRa option 'spreading_factor'.*sf, bw"):
        sdrlink.decode(x, sample_rate=250e3, protocol="lora", spreading_factor=9)
    with pytest.raises(ConfigError, match="unknown FSK option.*bauds"):
        sdrlink.decode(x, sample_rate=250e3, protocol="fsk", bauds=9600)


def test_framings_command_lists_names_and_catalogue_spellings(capsys):
    assert main(["framings"]) == 0
    out = capsys.readouterr().out
    from sdrlink.framing import framing_names

    for name in framing_names():
        assert f"\n{name} " in "\n" + out
    assert "'AX.25 G3RUH'" in out and "'AX100 ASM+Golay'" in out
