"""--sat decodes every transmitter mode the catalogue lists for a satellite."""

import json

from sdrlink.api import decode
from sdrlink.catalogue import find_satellite
from sdrlink.cli.main import main


def _expected(shared_recordings, name):
    meta = json.loads((shared_recordings / f"{name}.json").read_text())
    return {bytes.fromhex(h) for h in meta["frames_hex"]}


def test_sat_with_two_transmitters_lists_an_alternative_mode():
    sat = find_satellite("1KUNS-PF")
    assert sat.alt_options, "1KUNS-PF has a 1k2 and a 9k6 downlink"
    assert {sat.options["baud"], *(a["baud"] for a in sat.alt_options)} == {1200, 9600}


def test_decode_by_satellite_name_recovers_the_reference_frames(shared_recordings):
    frames = decode(shared_recordings / "1kuns_pf.wav", sat="1KUNS-PF")
    got = {f.payload for f in frames if f.crc_ok}
    assert _expected(shared_recordings, "1kuns_pf") <= got


def test_explicit_options_replace_the_catalogue_modes(shared_recordings):
    # the pass is at 1200 Bd: forcing 9600 Bd must not silently try the 1200 Bd mode
    frames = decode(shared_recordings / "1kuns_pf.wav", sat="1KUNS-PF", baud=9600)
    assert not any(f.crc_ok for f in frames)


def test_cli_decode_with_sat_prints_each_reference_frame(shared_recordings, capsys):
    assert main(["decode", str(shared_recordings / "cape3.wav"), "--sat", "CAPE-3"]) == 0
    out = capsys.readouterr().out
    for payload in _expected(shared_recordings, "cape3"):
        assert payload.hex()[:64] in out
