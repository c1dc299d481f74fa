"""Satellite catalogue (schema 2) and the ``sdrlink sats`` command."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from sdrlink import protocols
from sdrlink.blocks import StreamInfo
from sdrlink.catalogue import _key, find_satellite, load_catalogue
from sdrlink.cli.main import main
from sdrlink.errors import ConfigError
from sdrlink.framing import get_framing
from sdrlink.protocols import get_protocol
from sdrlink.protocols.fsk.params import make_params, tones_from_carrier

# Every framing name gr-satellites uses in the catalogue, spelled as gr-satellites does
# (4.4.0's satyaml.py list plus those newer master files use). A typo in the data fails.
KNOWN_FRAMINGS = {
    "3CAT-1", "AALTO-1", "AAUSAT-4", "AISTECHSAT-2", "AO-40 FEC", "AO-40 FEC CRC-16-ARC",
    "AO-40 FEC CRC-16-ARC short", "AO-40 FEC short", "AO-40 uncoded", "AX.25", "AX.25 G3RUH",
    "AX100 ASM+Golay", "AX100 Reed Solomon", "AX5043", "Astrocast FX.25 NRZ",
    "Astrocast FX.25 NRZ-I", "BEESAT-1", "BEESAT-9", "BINAR-1", "BINAR-2", "CCSDS Concatenated",
    "CCSDS Reed-Solomon",
    "CCSDS Reed-Solomon no-scrambler", "DIY-1", "ESEO", "Endurosat", "FORESAIL-1", "FOSSASAT",
    "GEOSCAN", "Grizu-263A", "HADES-R", "HSU-SAT1", "IDEASSat", "Light-1", "LilacSat-1",
    "Lucky-7", "MRC-100 RA", "Mobitex", "Mobitex-NX", "NGHam no Reed Solomon", "NuSat",
    "OPS-SAT", "OpenLST", "QUBIK", "Reaktor Hello World", "S-NET", "SALSAT", "SMOG-1 RA",
    "SMOG-1 Signalling", "SMOG-P RA", "SMOG-P Signalling", "SPINO", "SanoSat", "Swiatowid",
    "TT-64", "U482C", "UA01", "USP", "YUSAT",
}  # fmt: skip
MODULATIONS = {"fsk", "afsk", "fsk_subaudio", "bpsk", "dbpsk", "dbpsk_manchester"}
# the recordings' json spells the extra parameters as SatYAML does
EXTRA_KEYS = {
    "frame size": "frame_size",
    "RS basis": "rs_basis",
    "RS interleaving": "rs_interleaving",
    "precoding": "precoding",
}


def _all_tx():
    return [(s, t) for s in load_catalogue() for t in s.transmitters]


def test_catalogue_loads_every_satellite_and_transmitter():
    sats = load_catalogue()
    assert len(sats) >= 380
    assert len(_all_tx()) >= 630
    assert [s.name.casefold() for s in sats] == sorted(s.name.casefold() for s in sats)
    for s in sats:
        assert s.name and s.source and s.transmitters, s.name
        for t in s.transmitters:
            assert t.name and t.source, (s.name, t.name)
            assert 30e6 < t.frequency_hz < 12e9, (s.name, t.name)
            assert t.protocol in ("fsk", "bpsk", "lora"), (s.name, t.name)
            if t.protocol == "lora":
                assert {"sf", "bw", "cr"} <= set(t.options), (s.name, t.name)
            else:
                assert t.modulation in MODULATIONS, (s.name, t.name)
                assert t.baud is not None and t.baud > 0, (s.name, t.name)


def test_every_framing_is_a_known_gr_satellites_framing():
    framings = {t.framing for _, t in _all_tx() if t.protocol != "lora"}
    assert framings - KNOWN_FRAMINGS == set()


def test_names_and_aliases_are_unique_across_satellites():
    owners: dict[str, set[str]] = {}
    for s in load_catalogue():
        for n in s.names():
            owners.setdefault(_key(n), set()).add(s.name)
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert shared == {}


def test_every_transmitter_is_supported_or_says_why():
    counts = Counter()
    for s, t in _all_tx():
        ok, reason = t.support()
        counts[ok] += 1
        if ok:
            assert reason == ""
            proto = get_protocol(t.protocol)
            proto.make_params(t.options)  # raises on a bad entry
            if t.protocol != "lora":  # options that only a deframer checks (CCSDS layouts)
                proto.make_receiver(dict(t.options), StreamInfo(250e3, is_complex=True))
        else:
            assert reason, (s.name, t.name)
    assert counts[True] == len(_all_tx())  # every transmitter of the catalogue (632)


def test_support_follows_the_protocol_registry(monkeypatch):
    fossa = find_satellite("FOSSASAT-2")
    lora = [t for t in fossa.transmitters if t.protocol == "lora"]
    assert lora and all(t.supported for t in lora)
    without_lora = {k: v for k, v in protocols.REGISTRY.items() if k != "lora"}
    monkeypatch.setattr(protocols, "REGISTRY", without_lora)  # the registry's order stays
    ok, reason = lora[0].support()
    assert not ok and "unknown protocol 'lora'" in reason


def test_bpsk_and_unknown_framings_are_kept_but_unsupported():
    by70 = find_satellite("BY70-1")
    (tx,) = by70.transmitters
    assert tx.options == {
        "modulation": "bpsk",
        "baud": 9600,
        "framing": "CCSDS Concatenated",
        "precoding": "differential",
        "rs_basis": "conventional",
        "frame_size": 114,
    }
    if "bpsk" not in protocols.REGISTRY:
        assert not tx.supported
        with pytest.raises(ConfigError, match="cannot decode BY70-1"):
            by70.require_supported()
    ca03 = find_satellite("CA03")  # AX100 Reed Solomon is not ASM+Golay
    assert {t.framing for t in ca03.transmitters} == {"AX100 Reed Solomon"}
    assert get_framing("AX100 Reed Solomon").name != get_framing("AX100 ASM+Golay").name


def test_find_by_name_alias_and_norad():
    assert find_satellite("luojia-1").norad == 43485
    assert find_satellite("LUOJIA 1").name == "Luojia-1"
    assert find_satellite("Challenger").name == "US01"
    assert find_satellite("FUNcube-1").name == "AO-73"
    assert find_satellite("Norby").name == "NORBI"
    assert find_satellite(43466).name == "1KUNS-PF"
    assert find_satellite("43721").name == "FACSAT-1"


def test_unknown_or_ambiguous_satellite():
    with pytest.raises(ConfigError, match="Luojia-1"):
        find_satellite("luojia")
    with pytest.raises(ConfigError, match="unknown satellite"):
        find_satellite("zzzzzz")
    with pytest.raises(ConfigError, match="BeliefSat-1.*ERMINAZ-1U"):
        find_satellite(99999)  # a placeholder id two SatYAML files use


def test_compatibility_properties_pick_supported_modes():
    cape3 = find_satellite("CAPE-3")
    assert cape3.options["framing"] == "AX5043" and cape3.frequency_hz == 437325000
    assert [a["modulation"] for a in cape3.alt_options] == ["afsk"]
    kuns = find_satellite("1KUNS-PF")
    assert {kuns.options["baud"], *(a["baud"] for a in kuns.alt_options)} == {1200, 9600}
    norbi = find_satellite("NORBI")  # its 9k6 FSK mode first; the LoRa mode is another protocol
    assert norbi.protocol == "fsk" and norbi.alt_options == ()
    assert [t.protocol for t in norbi.supported_transmitters()] == ["fsk", "lora"]


def test_afsk_tones_from_the_catalogue_options():
    assert tones_from_carrier(1700, 500) == (2200.0, 1200.0)
    assert tones_from_carrier(3600, -1200) == (2400.0, 4800.0)  # negative: swapped
    swiatowid = find_satellite("Swiatowid").options
    assert swiatowid["af_carrier"] == 1700 and swiatowid["af_deviation"] == 500
    assert make_params(swiatowid).afsk_tones == (2200.0, 1200.0)
    assert make_params({**swiatowid, "afsk_tones": "1200,2200"}).afsk_tones == (1200.0, 2200.0)
    with pytest.raises(ConfigError, match="both af_carrier and af_deviation"):
        make_params({"modulation": "afsk", "af_carrier": 1700})
    with pytest.raises(ConfigError, match="AFSK options"):
        make_params({"modulation": "fsk", "af_carrier": 1700, "af_deviation": 500})


def _recordings(shared_recordings):
    return [json.loads(p.read_text()) for p in sorted(shared_recordings.glob("*.json"))]


def _same_mode(tx, rec: dict) -> bool:
    o = tx.options
    if not (
        tx.frequency_hz == int(rec["frequency"])
        and tx.modulation == rec["modulation"].lower().replace(" ", "_")
        and tx.baud == float(rec["baudrate"])
        and tx.framing == rec["framing"]
    ):
        return False
    if "af_carrier" in rec and (o.get("af_carrier"), o.get("af_deviation")) != (
        rec["af_carrier"],
        rec["deviation"],
    ):
        return False
    return all(o.get(EXTRA_KEYS[k]) == v for k, v in rec.get("extra", {}).items())


def test_every_recording_satellite_and_transmitter_is_in_the_catalogue(shared_recordings):
    recs = _recordings(shared_recordings)
    assert len(recs) == 30
    for rec in recs:
        sat = find_satellite(rec["satellite"])
        for mode in rec.get("transmitters", []):
            assert any(_same_mode(t, mode) for t in sat.transmitters), (sat.name, mode["name"])
        # the mode that sent the recorded frames
        sent = [
            t
            for t in sat.transmitters
            if t.modulation == rec["modulation"].lower() and t.baud == float(rec["baudrate"])
        ]
        assert sent, rec["recording"]
        if rec["framing"] in KNOWN_FRAMINGS:
            assert rec["framing"] in {t.framing for t in sent}, rec["recording"]


def _rows(text: str) -> list[list[str]]:
    """The table's cells, cut at the header's column starts (names hold spaces)."""
    header, *lines = text.rstrip("\n").split("\n")
    cols = ["NAME", "NORAD", "TRANSMITTER", "MHz", "PROTO", "MODULATION", "BAUD", "FRAMING", "OK"]
    assert header.split() == cols
    starts = [header.index(c) for c in cols] + [None]
    return [[ln[a:b].strip() for a, b in zip(starts, starts[1:], strict=False)] for ln in lines]


def test_sats_lists_every_transmitter(capsys):
    assert main(["sats"]) == 0
    out, err = capsys.readouterr()
    rows = _rows(out)
    n_sats, n_tx = len(load_catalogue()), len(_all_tx())
    n_ok = sum(t.supported for _, t in _all_tx())
    assert len(rows) == n_tx
    assert f"{n_sats} satellites, {n_tx} transmitters, {n_ok} supported" in err
    assert sum(1 for r in rows if r[0] == "1KUNS-PF") == 2  # the second mode is shown too


def test_sats_supported_filter(capsys):
    assert main(["sats", "--supported"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert len(rows) == sum(t.supported for _, t in _all_tx())
    assert all(r[-1] == "yes" for r in rows)
    assert "BY70-1" not in out or "bpsk" in protocols.REGISTRY


def test_sats_protocol_filter(capsys):
    assert main(["sats", "--protocol", "lora"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == sum(t.protocol == "lora" for _, t in _all_tx()) >= 10
    assert {r[0] for r in rows} >= {"FOSSASAT-2", "NORBI", "FOSSASAT-1B"}
    assert main(["sats", "--protocol", "nosuch"]) == 2


def test_sats_framing_filter_ignores_case(capsys):
    assert main(["sats", "--framing", "ax.25 g3ruh"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert len(rows) == sum(t.framing == "AX.25 G3RUH" for _, t in _all_tx())
    assert all("AX.25 G3RUH" in line for line in out.splitlines()[1:])


def test_sats_search_word(capsys):
    assert main(["sats", "funcube"]) == 0  # aliases FUNcube-1 (AO-73), FUNcube-4 (ESEO) ...
    names = {r[0] for r in _rows(capsys.readouterr().out)}
    assert {"AO-73", "ESEO", "Nayif-1"} <= names and "US01" not in names
    assert main(["sats", "41909"]) == 0  # a NORAD id
    assert {r[0] for r in _rows(capsys.readouterr().out)} == {"BY70-1"}
    assert main(["sats", "FX.25 NRZ-I"]) == 0  # a transmitter name
    assert {r[0] for r in _rows(capsys.readouterr().out)} == {"Astrocast 0.1", "Astrocast 0.2"}


def test_sats_detail_view_says_why_not(capsys):
    assert main(["sats", "--sat", "ty2"]) == 0
    out = capsys.readouterr().out
    assert "gr-satellites" in out and "supported: yes" in out
    sat = _undecodable()
    assert main(["sats", "--sat", sat.name]) == 0
    out = capsys.readouterr().out
    assert out.count("supported: no, ") == len(sat.transmitters) and sat.name in out


def _undecodable():
    """A satellite none of whose transmitters sdrlink decodes (skip once none is left)."""
    for sat in load_catalogue():
        if sat.transmitters and not any(t.supported for t in sat.transmitters):
            return sat
    pytest.skip("every satellite of the catalogue has a decodable transmitter")


def test_sats_json(capsys):
    assert main(["sats", "--json", "--protocol", "lora"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["name"] for d in data} >= {"FOSSASAT-2", "NORBI"}
    for d in data:
        for t in d["transmitters"]:
            assert t["protocol"] == "lora" and t["supported"] is True and t["reason"] == ""
    fossa = next(d for d in data if d["name"] == "FOSSASAT-2")
    assert fossa["transmitters"][0]["options"] == {
        "sf": 11,
        "bw": 125000,
        "cr": 1,
        "crc": True,
        "sync_word": 18,
    }


def test_decode_with_an_undecodable_satellite_names_the_reason(tmp_path, capsys):
    sat = _undecodable()
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"")
    assert main(["decode", str(wav), "--sat", sat.name]) == 2
    assert f"cannot decode {sat.name} yet" in capsys.readouterr().err
