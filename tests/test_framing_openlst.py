"""OpenLST framing (DORA): CC1110 FEC (K=4 code, 4x4 interleaver), PN9, CRC-16."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.convolutional import conv_encode
from sdrlink.coding.crc import CRC16_CMS
from sdrlink.coding.scramblers import pn9_xor
from sdrlink.errors import ConfigError
from sdrlink.framing import openlst

OPTS = {"modulation": "fsk", "baud": 7415.77, "framing": "OpenLST"}


def _data(rng, n: int = 60) -> bytes:
    return rng.integers(0, 256, n, dtype=np.uint8).tobytes()


def test_code_and_interleaver_facts():
    # the generators, register by register (newest bit first): 1 + D^2 + D^3, 1 + D + D^2 + D^3
    for delay, pair in ((0, (1, 1)), (1, (0, 1)), (2, (1, 1)), (3, (1, 1))):
        bits = np.zeros(8, np.uint8)
        bits[0] = 1
        assert tuple(conv_encode(bits, openlst.CODE)[2 * delay : 2 * delay + 2]) == pair
    x = np.arange(64)
    assert (openlst.deinterleave(openlst.deinterleave(x)) == x).all()  # its own inverse
    # symbol j of on-air byte i comes from symbol 3 - i of coded byte 3 - j
    y = openlst.deinterleave(x[:32])
    assert list(y[0:2]) == [8 * 3 + 2 * 3, 8 * 3 + 2 * 3 + 1]  # coded byte 0, symbol 0
    assert list(y[8 * 1 + 2 * 2 : 8 * 1 + 2 * 2 + 2]) == [8 * 1 + 2 * 2, 8 * 1 + 2 * 2 + 1]
    assert list(y[8 * 0 + 2 * 3 : 8 * 0 + 2 * 3 + 2]) == [8 * 0 + 2 * 3, 8 * 0 + 2 * 3 + 1]
    assert list(y[8 * 2 + 2 * 1 : 8 * 2 + 2 * 1 + 2]) == [8 * 2 + 2 * 1, 8 * 2 + 2 * 1 + 1]
    assert list(y[8 * 0 + 2 * 1 : 8 * 0 + 2 * 1 + 2]) == [8 * 2 + 2 * 3, 8 * 2 + 2 * 3 + 1]


def test_layout(rng):
    data = _data(rng, 10)
    enc = encode_bits("OpenLST", data)
    assert np.packbits(enc.bits[enc.start : enc.start + 32]).tobytes() == bytes.fromhex("D391D391")
    body = bytes([12]) + data
    packet = pn9_xor(body + CRC16_CMS.to_bytes(body, "little"))
    n_blocks = -(-(8 * len(packet) + 3) // 16)
    air = enc.bits[enc.start + 32 : enc.start + 32 + 32 * n_blocks]
    info = np.unpackbits(np.frombuffer(packet, np.uint8))
    info = np.concatenate([info, np.zeros(16 * n_blocks - len(info), np.uint8)])
    assert (openlst.deinterleave(air) == conv_encode(info, openlst.CODE)).all()
    for bad in (bytes(openlst.MAX_DATA + 1),):
        with pytest.raises(ConfigError):
            encode_bits("OpenLST", bad)


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_corrects_noise(flip, rng):
    frames = [_data(rng, 1), _data(rng, 60), _data(rng, openlst.MAX_DATA)]
    parts = []
    for f in frames:
        enc = encode_bits("OpenLST", f)
        s = soft_of(enc.bits, rng, sigma=0.6)  # about 5 % of the coded bits wrong
        at = 500 + enc.start
        s[at : at + 32] = 2.0 * enc.bits[enc.start : enc.start + 32] - 1
        s[at + np.array([0, 11, 20, 31])] *= -1  # 4 sync word errors, the most
        parts.append(s)
    got = deframe("openlst", flip * np.concatenate(parts), block=640)
    assert [g.payload for g in got] == frames
    assert all(g.crc_ok and g.fields["inverted"] is (flip < 0) for g in got)
    assert got[2].fields["viterbi_errors"] > 100


def test_crc_is_checked(rng):
    data = _data(rng)
    body = bytearray([62]) + data
    crc = CRC16_CMS.to_bytes(bytes(body), "little")
    body[10] ^= 4  # well coded, but not the data the CRC was made for
    packet = pn9_xor(bytes(body) + crc)
    info = np.unpackbits(np.frombuffer(packet, np.uint8))
    info = np.concatenate([info, np.zeros(16 * -(-(len(info) + 3) // 16) - len(info), np.uint8)])
    enc = encode_bits("OpenLST", data)
    bits = enc.bits.copy()
    air = openlst.deinterleave(conv_encode(info, openlst.CODE))
    bits[enc.start + 32 : enc.start + 32 + len(air)] = air
    assert deframe("openlst", soft_of(bits, rng)) == []
    assert [g.payload for g in deframe("openlst", soft_of(enc.bits, rng))] == [data]


# benchmarks/framing_sensitivity.py, 10x3 frames of 60 bytes: 90 % at 3.9 dB
@pytest.mark.parametrize("snr", [4.5, 6.5])
def test_fsk_roundtrip(snr, rng):
    frames = [_data(rng) for _ in range(3)]
    got = receive(OPTS, iq_bursts(OPTS, frames, snr, 1500, rng), FS, block=9000)
    assert [f.payload for f in got] == frames


def test_block_size_and_noise(rng):
    x = iq_bursts(OPTS, [_data(rng, 20), _data(rng, 200)], 9, -800, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (1237, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("openlst", rng.standard_normal(400_000).astype(np.float32)) == []
    junk = np.sign(rng.standard_normal(400_000)).astype(np.float32) * 1e3
    assert deframe("openlst", junk, block=9999) == []
