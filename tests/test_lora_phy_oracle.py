"""Frames from the independent ``lora-phy`` transmitter (PyPI; a Python port of
jkadbear's LoRaPHY, MIT) into sdrlink's receiver, told only the SF, bandwidth and
sync word.

Its symbols are compared with sdrlink's encoder block by block, and its
waveforms are decoded over every SF, coding rate, header mode and CRC flag at
1, 2 and 8 samples per chip, with a carrier offset and noise, on four channels
of a wideband capture (the filter-bank path), and at SF11-12 under LEO Doppler
(offset, drift and its uncertainty checked). lora-phy sizes
every frame as if the coding rate were 4/8 and fills the rest with 0xFF bytes,
so its frames run on past the end a receiver reads: that tail must not come
out as a frame either.
"""

from __future__ import annotations

import importlib.util
import sys
import types

import numpy as np
import pytest
from scipy import signal

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import add_noise, apply_offset
from sdrlink.protocols.lora import LoRaParams, make_receiver
from sdrlink.protocols.lora.modulator import encode_symbols

BW = 125e3
SYNC_WORD = 0x34  # lora-phy sends the LoRaWAN public network id (symbols 24, 32)


def _transmitter_class():
    """``lora_phy.tx.LoRaTransmitter``: the package's ``__init__`` imports a module
    written for Python >= 3.12, so only the transmitter module is loaded."""
    if "lora_phy" not in sys.modules:
        spec = importlib.util.find_spec("lora_phy")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("lora-phy is not installed (pip install lora-phy)")
        pkg = types.ModuleType("lora_phy")
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules["lora_phy"] = pkg
    from lora_phy.tx import LoRaTransmitter

    return LoRaTransmitter


LoRaTransmitter = _transmitter_class()


def _tx(sf: int, cr: int, crc: bool, header: bool, fs: float):
    return LoRaTransmitter(
        sf, BW, fs, has_header=header, coding_rate=cr, enable_crc=crc, preamble_len=8
    )


def _blocks(cr: int, n_symbols: int) -> list[tuple[int, int]]:
    """[start, stop) of each interleaver block of a frame's data symbols (SF >= 7: a
    header block of 8 symbols at rate 4/8, then blocks of 4 + CR symbols)."""
    out = [(0, 8)]
    for at in range(8, n_symbols, 4 + cr):
        out.append((at, at + 4 + cr))
    return out


@pytest.mark.parametrize("sf", range(7, 13))
def test_symbols_match_lora_phy_in_every_block_without_padding(sf: int) -> None:
    """Block by block, the symbols of both encoders agree wherever a block holds
    only header, payload and CRC nibbles (padding nibbles differ: lora-phy pads
    with 0xFF bytes, sdrlink with zero nibbles; receivers ignore them)."""
    rng = np.random.default_rng(100 + sf)
    compared = 0
    for cr in range(1, 5):
        for crc in (True, False):
            for header in (True, False):
                for n in (1, 2, 3, 9, 16, 51, 255):
                    pay = bytes(rng.integers(0, 256, n, dtype=np.uint8))
                    tx = _tx(sf, cr, crc, header, 2 * BW)
                    theirs = np.asarray(tx.encode(np.frombuffer(pay, np.uint8).copy()), np.int64)
                    p = LoRaParams(
                        sf=sf,
                        bw=BW,
                        cr=cr,
                        crc=crc,
                        implicit_header=not header,
                        payload_len=None if header else n,
                    )
                    ours = encode_symbols(p, pay)
                    assert len(theirs) >= len(ours)
                    n_nib = (0 if not header else 5) + 2 * n + (4 if crc else 0)
                    per_block = sf - 2 if p.ldro_on else sf
                    blocks = _blocks(cr, len(ours))
                    filled = sf - 2  # nibbles in the blocks so far
                    for b, (a, z) in enumerate(blocks):
                        if filled > n_nib:  # this block holds padding
                            break
                        assert np.array_equal(theirs[a:z], ours[a:z]), (sf, cr, crc, header, n, b)
                        compared += 1
                        filled += per_block
    assert compared > 100


def _capture(sf, cr, crc, header, payloads, fs, rng, snr_db):
    """lora-phy frames one after another with gaps, random carrier offsets and starts."""
    tx = _tx(sf, cr, crc, header, fs)
    parts, truth = [], []
    at = int(rng.integers(0, 3000))
    parts.append(np.zeros(at, dtype=np.complex64))
    for pay in payloads:
        x = np.asarray(tx.modulate(tx.encode(np.frombuffer(pay, np.uint8).copy())), np.complex64)
        cfo = float(rng.uniform(-BW / 8, BW / 8))
        x = apply_offset(x, fs, cfo, phase=float(rng.uniform(0, 2 * np.pi)))
        parts.append(x)
        truth.append((at, cfo, pay))
        gap = int((1 << sf) * fs / BW * rng.uniform(4, 9))
        parts.append(np.zeros(gap, dtype=np.complex64))
        at += len(x) + gap
    clean = np.concatenate(parts)
    return add_noise(clean, snr_db, BW, fs, rng, signal_power=1.0).astype(np.complex64), truth


def _decode(x, fs, sf, block=40_000, **opts):
    rx = make_receiver({"sf": [sf], "bw": BW, "sync_word": SYNC_WORD, **opts}, StreamInfo(fs))
    frames = []
    for s in range(0, len(x), block):
        frames += rx.process(SampleBlock(x[s : s + block], s))
    return frames + rx.flush()


CASES = [
    (sf, cr, crc, header, os)
    for sf in range(7, 13)
    for cr, crc, header, os in [
        (1, True, True, 2),
        (2, False, True, 1 if sf >= 9 else 2),
        (3, True, True, 8 if sf <= 8 else 2),
        (4, True, False, 2),
        (1, False, False, 1 if sf >= 9 else 2),
    ]
]


@pytest.mark.parametrize(("sf", "cr", "crc", "header", "os"), CASES)
def test_lora_phy_frames_decode_with_their_offsets(sf, cr, crc, header, os) -> None:
    rng = np.random.default_rng(sf * 100 + cr * 10 + 2 * crc + header)
    fs = os * BW
    n_frames = 3 if sf <= 10 else 2
    lengths = [1, 2, 16, 40, 255] if sf <= 8 else [1, 12, 33]
    payloads = [
        bytes(rng.integers(0, 256, lengths[(i + cr) % len(lengths)], dtype=np.uint8))
        for i in range(n_frames)
    ]
    if not header:  # the receiver is told the one length of implicit-header frames
        payloads = [payloads[0]] * n_frames
    x, truth = _capture(sf, cr, crc, header, payloads, fs, rng, snr_db=5.0)
    opts = {} if header else {"implicit_header": True, "payload_len": len(payloads[0])}
    if not header:
        opts.update(cr=cr, crc=crc)
    frames = _decode(x, fs, sf, **opts)
    assert len(frames) == len(truth), [(f.sample_index, f.crc_ok) for f in frames]
    for f, (at, cfo, pay) in zip(frames, truth, strict=True):
        assert f.payload == pay
        assert f.crc_ok is (True if crc else None)
        assert f.fields["cr"] == cr and f.fields["crc"] is crc
        assert f.fields["header_ok"] is (True if header else None)
        assert abs(f.sample_index - at) <= 1  # the sample it starts on (0 in every case now)
        # within 0.02 bin (5 dB: the error seen is up to 0.015 bin at SF8, 0.001 at SF12)
        assert abs(f.freq_offset_hz - cfo) < 0.02 * BW / (1 << sf)


def test_lora_phy_frames_on_four_channels_of_a_wideband_capture() -> None:
    """The filter-bank path: lora-phy frames of SF7..10 on four channels 200 kHz apart
    of a 1 Msps capture, overlapping in time, each found on its own channel and SF."""
    rng = np.random.default_rng(8)
    fs = 1e6
    channels = [-300e3, -100e3, 100e3, 300e3]
    x = np.zeros(int(0.5 * fs), np.complex64)
    truth = []
    for i, ch in enumerate(channels):
        sf = 7 + i
        tx = _tx(sf, 1 + i % 4, True, True, 2 * BW)
        pay = bytes(rng.integers(0, 256, 10 + i, dtype=np.uint8))
        base = np.asarray(tx.modulate(tx.encode(np.frombuffer(pay, np.uint8).copy())))
        y = signal.resample_poly(base, 4, 1).astype(np.complex64)  # 2 -> 8 samples per chip
        cfo = float(rng.uniform(-2e3, 2e3))
        y = apply_offset(y, fs, ch + cfo, phase=float(rng.uniform(0, 2 * np.pi)))
        at = int(rng.integers(0, len(x) - len(y)))
        x[at : at + len(y)] += y
        truth.append((at, ch, sf, cfo, pay))
    x = add_noise(x, 5.0, BW, fs, rng, signal_power=1.0).astype(np.complex64)
    rx = make_receiver(
        {"sf": [7, 8, 9, 10], "bw": BW, "sync_word": SYNC_WORD, "channels": channels},
        StreamInfo(fs),
    )
    frames = []
    for s in range(0, len(x), 65536):
        frames += rx.process(SampleBlock(x[s : s + 65536], s))
    frames += rx.flush()
    got = {(f.fields["channel_hz"], f.fields["sf"], f.payload) for f in frames if f.crc_ok}
    assert got == {(ch, sf, pay) for _, ch, sf, _, pay in truth}
    assert len(frames) == len(truth)
    for f in frames:
        at, ch, sf, cfo, _ = next(t for t in truth if t[1] == f.fields["channel_hz"])
        assert abs(f.sample_index - at) <= 1  # (0 seen)
        assert abs(f.freq_offset_hz - (ch + cfo)) < 0.01 * BW / (1 << sf)  # (up to 0.003 seen)


@pytest.mark.parametrize("sf", [11, 12])
def test_lora_phy_frames_under_leo_doppler_report_offset_and_drift(sf: int) -> None:
    """Its low-data-rate frames (LDRO on at SF11-12, 125 kHz) with offsets to 12 kHz and
    drifts to 300 Hz/s, blind: every frame decodes, its offset at the frame's start is
    right, and the drift lies within its reported 95 % interval in at least 90 % of them."""
    rng = np.random.default_rng(40 + sf)
    fs = 2 * BW
    tx = _tx(sf, 1, True, True, fs)
    parts, truth = [np.zeros(5000, np.complex64)], []
    at = 5000
    for i in range(20):
        pay = bytes(rng.integers(0, 256, 8 + 3 * i, dtype=np.uint8))
        x = np.asarray(tx.modulate(tx.encode(np.frombuffer(pay, np.uint8).copy())), np.complex64)
        cfo = float(rng.uniform(-12e3, 12e3))
        rate = float(rng.choice([-1, 1]) * rng.uniform(100, 300))
        parts.append(apply_offset(x, fs, cfo, rate, phase=float(rng.uniform(0, 2 * np.pi))))
        truth.append((at, cfo, rate, pay))
        gap = int(rng.integers(20_000, 60_000))
        parts.append(np.zeros(gap, np.complex64))
        at += len(x) + gap
    x = add_noise(np.concatenate(parts), 0.0, BW, fs, rng, signal_power=1.0).astype(np.complex64)
    frames = _decode(x, fs, sf, block=65536)
    assert [f.payload for f in frames] == [t[3] for t in truth]
    hits = 0
    for f, (start, cfo, rate, _) in zip(frames, truth, strict=True):
        assert f.crc_ok and f.fields["ldro"] is True
        assert abs(f.sample_index - start) <= 1
        assert abs(f.freq_offset_hz - cfo) < 0.01 * BW / (1 << sf)  # (up to 0.0043 bin seen)
        drift, unc = f.fields["drift_hz_s"], f.fields["drift_uncertainty_hz_s"]
        assert drift is not None and unc is not None
        hits += abs(drift - rate) <= unc
    assert hits >= 0.9 * len(truth)
