"""The shared LoRa reference recordings (independent transmitter + channel model)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import signal

from sdrlink.protocols.lora import LoRaParams, make_receiver, modulate
from sdrlink.sources import open_source

pytestmark = pytest.mark.shared

LDRO = {0: False, 1: True, 2: "auto"}


def _cases(shared_lora):
    return json.loads((shared_lora / "manifest.json").read_text())["cases"]


def phy_options(case: dict) -> dict:
    """Receiver options from the manifest's PHY keys only (never from the payloads)."""
    opts = {
        "sf": [case["sf"]],
        "bw": case["bw"],
        "cr": case["cr"],
        "implicit_header": bool(case.get("implicit", False)),
        "crc": bool(case.get("crc", True)),
        "ldro": LDRO[case.get("ldro", 2)],
        "sync_word": case.get("sync", 0x12),
        "preamble_len": case.get("preamble", 8),
    }
    if opts["implicit_header"]:
        opts["payload_len"] = case["payload_len"] if "payload_len" in case else case["length"]
    return opts


def _implicit_length(case: dict) -> dict:
    # the manifest states the implicit length in the case's name/description
    # ("implicit_len20"); parse it from there rather than from the payloads
    name = case["name"]
    if case.get("implicit") and "length" not in case and "payload_len" not in case:
        case = dict(case, length=int(name.split("len")[-1].split("_")[0]))
    return case


def decode_file(path, options, block=65536):
    with open_source(str(path)) as src:
        rx = make_receiver(options, src.info)
        frames = []
        for b in src.blocks(block):
            frames += rx.process(b)
        return frames + rx.flush()


def test_every_case_decodes_exactly(shared_lora):
    total = found = 0
    problems = []
    for case in _cases(shared_lora):
        case = _implicit_length(case)
        frames = decode_file(shared_lora / case["recording"], phy_options(case))
        want = case["payloads_hex"]
        valid = [f for f in frames if f.crc_ok is not False]
        got = [f.payload.hex() for f in valid]
        total += len(want)
        found += sum(1 for w in want if w in got)
        if got != want:
            problems.append((case["name"], got, want))
        expect_crc = None if not case.get("crc", True) else True
        assert all(f.crc_ok is expect_crc for f in valid), case["name"]
    assert not problems, problems
    assert (found, total) == (43, 43)


def test_frames_report_offset_snr_and_drift(shared_lora):
    """Against the independent generator's truth: offset (at the frame's start: the
    manifest's offset is at the recording's start and drifts at doppler_rate_hz_s;
    cases without one have none) within 0.01 bin (worst measured 0.006), SNR within
    0.5 dB (worst 0.34) except under its 40 ppm clock offset, where the generator's
    SNR reads 1.0-1.2 dB above ours (our own channel at 40 ppm reads true, see
    test_lora_truth), and the drift, where reported (27 of 43 frames; SF7 and SF8
    frames are mostly too short to tell one), inside its 95 % interval in 88 % of
    them (measured 25 of 27)."""
    inside = total = 0
    for case in _cases(shared_lora):
        case = _implicit_length(case)
        frames = decode_file(shared_lora / case["recording"], phy_options(case))
        bin_hz = case["bw"] / (1 << case["sf"])
        rate = case.get("doppler_rate_hz_s", 0.0)
        for f in frames:
            truth = case.get("cfo_hz", 0.0) + rate * f.sample_index / case["fs"]
            assert abs(f.freq_offset_hz - truth) <= 0.01 * bin_hz, case["name"]
            if "snr_db" in case:
                tol = 1.3 if case.get("sfo_ppm") else 0.5
                assert abs(f.snr_db - case["snr_db"]) <= tol, (case["name"], f.snr_db)
            drift, unc = f.fields["drift_hz_s"], f.fields["drift_uncertainty_hz_s"]
            if drift is not None:
                inside += abs(drift - rate) <= unc
                total += 1
    assert total >= 25 and inside >= 0.88 * total, (inside, total)


def test_transmitter_matches_the_independent_reference(shared_lora):
    """Our waveform correlates perfectly with the reference transmitter's clean frames."""
    checked = 0
    for case in _cases(shared_lora):
        if any(k in case for k in ("cfo_hz", "snr_db", "sfo_ppm")):
            continue
        case = _implicit_length(case)
        o = phy_options(case)
        p = LoRaParams(
            sf=case["sf"],
            bw=o["bw"],
            cr=o["cr"],
            implicit_header=o["implicit_header"],
            payload_len=o.get("payload_len"),
            crc=o["crc"],
            ldro=o["ldro"],
            sync_word=o["sync_word"],
            preamble_len=o["preamble_len"],
        )
        with open_source(str(shared_lora / case["recording"])) as src:
            x = np.concatenate([b.samples for b in src.blocks()])
        for hexp in case["payloads_hex"]:
            t = modulate(p, bytes.fromhex(hexp), case["fs"])
            cc = np.abs(signal.fftconvolve(x, np.conj(t[::-1]), mode="valid"))
            k = int(np.argmax(cc))
            norm = np.sqrt(np.sum(np.abs(t) ** 2) * np.sum(np.abs(x[k : k + len(t)]) ** 2))
            assert cc[k] / norm > 0.999, case["name"]
            checked += 1
    assert checked >= 29


@pytest.mark.parametrize("name", ["sf9_cr46_sfo_ci16", "sf7_cr45_cfo_snr"])
def test_block_size_independence_on_recordings(shared_lora, name):
    case = next(c for c in _cases(shared_lora) if c["name"] == name)
    path = shared_lora / case["recording"]
    results = []
    for block in (1000, 65536, 10_000_000):
        frames = decode_file(path, phy_options(case), block)
        results.append([f.to_dict() for f in frames])
    assert results[0] == results[1] == results[2]
    assert len(results[0]) == len(case["payloads_hex"])
