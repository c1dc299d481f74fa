"""Unit tests of the FSK family's coding layers: CRC, Golay, Reed-Solomon, scramblers."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlink.coding.crc import crc16_x25
from sdrlink.coding.golay import golay24_decode, golay24_encode
from sdrlink.coding.reedsolomon import rs_decode, rs_encode
from sdrlink.coding.scramblers import (
    CCSDS_SEQUENCE,
    ccsds_xor,
    g3ruh_descramble,
    g3ruh_scramble,
)


def test_crc16_x25_check_value():
    assert crc16_x25(b"123456789") == 0x906E
    assert crc16_x25(b"") == 0x0000


def test_crc16_x25_matches_bitwise_definition(rng):
    data = rng.integers(0, 256, 50, dtype=np.uint8).tobytes()
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    assert crc16_x25(data) == crc ^ 0xFFFF


def test_golay_known_codeword_and_roundtrip():
    # parity of data 0x000 is 0; the code is linear
    assert golay24_encode(0) == 0
    for data in (0x001, 0x5A3, 0xFFF, 0x123):
        word = golay24_encode(data)
        assert word & 0xFFF == data
        assert golay24_decode(word) == (data, 0)


@pytest.mark.parametrize("nerr", [1, 2, 3])
def test_golay_corrects_up_to_three_errors(rng, nerr):
    for _ in range(50):
        data = int(rng.integers(0, 4096))
        word = golay24_encode(data)
        for bit in rng.choice(24, nerr, replace=False):
            word ^= 1 << int(bit)
        assert golay24_decode(word) == (data, nerr)


def test_golay_detects_four_errors():
    word = golay24_encode(0x2B7) ^ 0b1111
    assert golay24_decode(word) is None


def test_golay_minimum_distance_is_eight():
    words = np.array([golay24_encode(d) for d in range(1, 4096)])
    weights = np.array([bin(int(w)).count("1") for w in words])
    assert weights.min() == 8


@pytest.mark.parametrize("ndata", [223, 120, 10])
@pytest.mark.parametrize("nerr", [0, 1, 8, 16])
def test_rs_corrects_up_to_16_byte_errors(rng, ndata, nerr):
    data = rng.integers(0, 256, ndata, dtype=np.uint8).tobytes()
    block = bytearray(data + rs_encode(data))
    for pos in rng.choice(len(block), nerr, replace=False):
        block[pos] ^= int(rng.integers(1, 256))
    assert rs_decode(bytes(block)) == (data, nerr)


def test_rs_reports_too_many_errors(rng):
    data = rng.integers(0, 256, 100, dtype=np.uint8).tobytes()
    block = bytearray(data + rs_encode(data))
    for pos in rng.choice(len(block), 17, replace=False):
        block[pos] ^= int(rng.integers(1, 256))
    res = rs_decode(bytes(block))
    assert res is None or res[0] != data  # never claims the original with 17 errors
    assert rs_decode(b"\x00" * 20) is None  # shorter than the parity


def test_rs_parity_of_zero_block_is_zero():
    assert rs_encode(bytes(223)) == bytes(32)


def test_ccsds_sequence_start_and_involution(rng):
    assert bytes(CCSDS_SEQUENCE[:8]).hex() == "ff480ec09a0d70bc"
    data = rng.integers(0, 256, 200, dtype=np.uint8).tobytes()
    assert ccsds_xor(ccsds_xor(data)) == data
    assert ccsds_xor(data) != data


def test_g3ruh_scrambler_roundtrip_and_polarity(rng):
    bits = rng.integers(0, 2, 2000).astype(np.uint8)
    scr = g3ruh_scramble(bits)
    assert not np.array_equal(scr, bits)
    np.testing.assert_array_equal(g3ruh_descramble(scr), bits)
    # inverted channel: descrambled bits come out inverted (NRZI removes that)
    np.testing.assert_array_equal(g3ruh_descramble(1 - scr)[17:], 1 - bits[17:])


def test_g3ruh_descrambler_streaming(rng):
    bits = rng.integers(0, 2, 500).astype(np.uint8)
    scr = g3ruh_scramble(bits)
    a = g3ruh_descramble(scr[:123])
    b = g3ruh_descramble(scr[123:], history=scr[:123])
    np.testing.assert_array_equal(np.concatenate([a, b]), bits)


def test_golay_table_decoder_agrees_with_nearest_codeword_search(rng):
    """Arbitrary 24-bit words: corrected to the nearest codeword when it is <= 3 bits away."""
    codewords = np.array([golay24_encode(d) for d in range(4096)], dtype=np.int64)
    for word in rng.integers(0, 1 << 24, size=300):
        dist = np.array([bin(int(c) ^ int(word)).count("1") for c in codewords])
        best = int(np.argmin(dist))
        expected = (best, int(dist[best])) if dist[best] <= 3 else None
        assert golay24_decode(int(word)) == expected
