"""Satellite catalogue and the ``sdrlink sats`` command."""

from __future__ import annotations

import pytest

from sdrlink.catalogue import find_satellite, load_catalogue
from sdrlink.cli.main import main
from sdrlink.errors import ConfigError
from sdrlink.protocols import get_protocol
from sdrlink.protocols.fsk import make_params


def test_catalogue_entries_are_complete_and_valid():
    sats = load_catalogue()
    names = {s.name for s in sats}
    for required in ("US01", "CAPE-3", "FACSAT-1", "Luojia-1", "TY-2", "1KUNS-PF", "Swiatowid"):
        assert required in names
    assert any(s.protocol == "lora" for s in sats)
    for s in sats:
        assert s.source, s.name
        assert 1e8 < s.frequency_hz < 1e10
        for opts in (s.options, *s.alt_options):
            get_protocol(s.protocol).make_params(opts)  # raises on a bad entry
        if s.protocol == "fsk":
            assert make_params(s.options).baud >= 1200


def test_find_by_name_alias_and_norad():
    assert find_satellite("luojia-1").norad == 43485
    assert find_satellite("LUOJIA 1").name == "Luojia-1"
    assert find_satellite("Challenger").name == "US01"
    assert find_satellite(43466).name == "1KUNS-PF"
    assert find_satellite("43721").name == "FACSAT-1"


def test_unknown_satellite_lists_close_matches():
    with pytest.raises(ConfigError, match="Luojia-1"):
        find_satellite("luojia")
    with pytest.raises(ConfigError, match="unknown satellite"):
        find_satellite("zzzzzz")


def test_sats_cli_table(capsys):
    assert main(["sats"]) == 0
    out = capsys.readouterr().out
    assert "FACSAT-1" in out and "437.350" in out and "43721" in out
    assert main(["sats", "--protocol", "lora"]) == 0
    out = capsys.readouterr().out
    assert "FACSAT-1" not in out and "lora" in out
    assert main(["sats", "--protocol", "nosuch"]) == 2
    assert main(["sats", "--sat", "ty2"]) == 0
    assert "gr-satellites" in capsys.readouterr().out
