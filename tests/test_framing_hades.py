"""HADES-R framing (AMSAT-EA, 200 Bd wide FSK): typed packets, CRC-16, Genesis scrambler."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.crc import CRC16_CCITT_FALSE
from sdrlink.errors import ConfigError
from sdrlink.framing import hades
from sdrlink.protocols.fsk import make_params, modulate_audio

OPTS = {"modulation": "fsk", "baud": 200, "deviation": 562.5, "framing": "HADES-R"}


def _frame(rng, ptype: int = 4) -> bytes:
    n = hades.LENGTHS[ptype] - 3
    return bytes([ptype << 4 | 3]) + rng.integers(0, 256, n, dtype=np.uint8).tobytes()


def _reference_descramble(data: bytes) -> bytes:
    """The descrambler as gr-satellites describes it: a 17-bit register of received bits
    started at 0x10000, out = in ^ bit 16 ^ bit 11; only the 7 high bits of each byte."""
    state, out = 1 << 16, bytearray()
    for byte in data:
        value = 0
        for k in range(7):
            b = (byte >> (7 - k)) & 1
            value = (value << 1) | (b ^ ((state >> 16) ^ (state >> 11)) & 1)
            state = ((state << 1) | b) & 0x1FFFF
        out.append((value << 1) | (byte & 1))
    return bytes(out)


def test_scrambler_against_the_register_description(rng):
    for n in (1, 5, 60, 132):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert hades.descramble(data) == _reference_descramble(data)
        assert hades.descramble(hades.scramble(data)) == data
    assert hades.scramble(bytes(8)) != bytes(8)  # the register's start shows on zeros
    low = hades.scramble(bytes([1, 0, 1, 1]))
    assert [b & 1 for b in low] == [1, 0, 1, 1]  # the low bits go as they are


def test_layout(rng):
    frame = _frame(rng, 2)  # type 2: 13 bytes on air
    enc = encode_bits("HADES-R", frame)
    air = np.packbits(enc.bits[enc.start : enc.start + 16 + 8 * 13]).tobytes()
    assert air[:2] == b"\xbf\x35" and air[2] == frame[0]
    assert air[3:13] == hades.scramble(frame[1:])
    assert air[13:] == CRC16_CCITT_FALSE.to_bytes(air[2:13], "big")  # over the bytes as sent
    for bad in (b"", bytes([0xA0]) + bytes(20), _frame(rng, 2) + b"x"):  # type 10: none
        with pytest.raises(ConfigError):
            encode_bits("HADES-R", bad)


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_every_type_both_polarities(flip, rng):
    frames = [_frame(rng, t) for t in hades.LENGTHS]
    encs = [encode_bits("HADES-R", f) for f in frames]
    soft = np.concatenate([soft_of(e.bits, rng, sigma=0.25) for e in encs])
    got = deframe("hades_r", flip * soft, block=300)
    assert [g.payload for g in got] == frames
    assert [g.fields["packet_type"] for g in got] == list(hades.LENGTHS)
    assert all(g.crc_ok is True and g.fields["inverted"] is (flip < 0) for g in got)


def test_errors_are_rejected(rng):
    frame = _frame(rng)
    enc = encode_bits("HADES-R", frame)
    soft = soft_of(enc.bits, rng)
    for at in (enc.start + 3, enc.start + 16 + 8 * 20 + 7):  # sync word; a data LSB
        bad = soft.copy()
        bad[500 + at] *= -1
        assert deframe("hades_r", bad) == []


# benchmarks/framing_sensitivity.py, 8x3 frames of 54 bytes: 90 % at 5.8 dB
@pytest.mark.parametrize("snr", [6.5, 8.5])
def test_fsk_roundtrip(snr, rng):
    frames = [_frame(rng, t) for t in (4, 2, 6)]
    got = receive(OPTS, iq_bursts(OPTS, frames, snr, 1000, rng, gap=20_000), FS, block=50_000)
    assert [f.payload for f in got] == frames


@pytest.mark.parametrize("cfo", [-7000.0, -600.0, 350.0, 3000.0])
def test_wide_fsk_carrier_offsets(cfo, rng):
    # deviation 2.8 baud: the receiver's carrier loop alone locks onto a tone beyond
    # about a baud; the carrier search re-centres from there
    frames = [_frame(rng) for _ in range(2)]
    got = receive(OPTS, iq_bursts(OPTS, frames, 10, cfo, rng, gap=20_000), FS)
    assert [f.payload for f in got] == frames
    assert all(abs(f.freq_offset_hz - cfo) < 30 for f in got)


def test_audio_input(rng):
    p = make_params(OPTS)
    frames = [_frame(rng), _frame(rng, 9)]
    gap = np.zeros(4800, np.float32)
    a = np.concatenate([gap, modulate_audio(p, frames[0], 48_000), gap])
    a = np.concatenate([a, modulate_audio(p, frames[1], 48_000), gap])
    a = (0.3 * a + 0.05 * rng.standard_normal(len(a))).astype(np.float32)
    for sign in (1, -1):
        assert [f.payload for f in receive(OPTS, sign * a, 48_000.0)] == frames


def test_block_size_and_noise(rng):
    frames = [_frame(rng), _frame(rng, 8)]
    x = iq_bursts(OPTS, frames, 12, 200, rng, gap=20_000)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (9973, 65536)]
    assert [p for _, p in runs[0]] == frames and runs[0] == runs[1]
    assert receive(OPTS, noise_iq(rng, 3_000_000), FS) == []
    assert deframe("hades_r", rng.standard_normal(400_000).astype(np.float32)) == []
    junk = np.sign(rng.standard_normal(400_000)).astype(np.float32) * 1e3
    assert deframe("hades_r", junk, block=9999) == []
