"""QUBIK framing (ERMINAZ-1U's first downlink): randomiser, then RS, CRC-32C and CRC-16."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.crc import CRC16_CCITT_FALSE, CRC32C
from sdrlink.coding.reedsolomon import rs_encode
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.errors import ConfigError

OPTS = {"modulation": "fsk", "baud": 9600, "deviation": 3000, "framing": "QUBIK"}


def _frame(rng) -> bytes:
    return rng.integers(0, 256, 126, dtype=np.uint8).tobytes()


def test_layout(rng):
    frame = _frame(rng)
    enc = encode_bits("QUBIK", frame)
    air = np.packbits(enc.bits[enc.start : enc.start + 32 + 8 * 164]).tobytes()
    assert air[:4] == bytes.fromhex("3C674952")
    data = ccsds_xor(air[4:136])  # randomised before RS: the codeword's data are randomised
    assert air[136:] == rs_encode(air[4:136])
    assert data[:126] == frame
    assert data[126:128] == CRC16_CCITT_FALSE.to_bytes(frame, "big")
    assert data[128:] == CRC32C.to_bytes(data[:128], "big")
    with pytest.raises(ConfigError):
        encode_bits("QUBIK", frame[:-1])


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_corrects_and_checks(flip, rng):
    frames = [_frame(rng), _frame(rng)]
    encs = [encode_bits("QUBIK", f) for f in frames]
    parts = []
    for e in encs:
        s = soft_of(e.bits, rng)
        at = 500 + e.start
        s[at + np.array([1, 13, 22, 30])] *= -1  # 4 sync word errors, as gr-satellites
        s[at + 32 + 8 * np.arange(3, 163, 10) + 2] *= -1  # 16 byte errors: RS's limit
        parts.append(s)
    got = deframe("qubik", flip * np.concatenate(parts), block=555)
    assert [g.payload for g in got] == frames
    assert all(g.fields["rs_corrected"] == 16 and g.fields["sync_errors"] == 4 for g in got)
    assert all(g.fields["inverted"] is (flip < 0) for g in got)
    parts[0][500 + encs[0].start + 32 + 8 * 160 + 5] *= -1  # a 17th byte error
    parts[1][500 + encs[1].start + 9] *= -1  # a 5th sync word error
    assert deframe("qubik", np.concatenate(parts)) == []


def test_crcs_are_checked(rng):
    frame = bytearray(_frame(rng))
    good = bytes(frame) + CRC16_CCITT_FALSE.to_bytes(bytes(frame), "big")
    frame[3] ^= 1  # a wrong frame behind a valid CRC-32C but a wrong CRC-16
    data = bytes(frame) + good[126:]
    data = ccsds_xor(data + CRC32C.to_bytes(data, "big"))
    enc = encode_bits("QUBIK", bytes(126))
    bits = enc.bits.copy()
    bits[enc.start + 32 : enc.start + 32 + 8 * 164] = np.unpackbits(
        np.frombuffer(data + rs_encode(data), np.uint8)
    )
    assert deframe("qubik", soft_of(bits, rng)) == []


# benchmarks/framing_sensitivity.py, 10x3 frames: 90 % at 5.8 dB
@pytest.mark.parametrize("snr", [6.5, 8.5])
def test_fsk_roundtrip(snr, rng):
    frames = [_frame(rng) for _ in range(3)]
    got = receive(OPTS, iq_bursts(OPTS, frames, snr, -2500, rng), FS, block=7000)
    assert [f.payload for f in got] == frames


def test_block_size_and_noise(rng):
    x = iq_bursts(OPTS, [_frame(rng), _frame(rng)], 10, 900, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (1001, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("qubik", rng.standard_normal(400_000).astype(np.float32)) == []
    junk = np.sign(rng.standard_normal(400_000)).astype(np.float32) * 1e3
    assert deframe("qubik", junk, block=9999) == []
