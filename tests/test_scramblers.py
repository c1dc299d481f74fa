"""Additive scramblers: CCSDS randomiser beyond one frame, PN9 whitening."""

from __future__ import annotations

import numpy as np

from sdrlink.coding.scramblers import (
    ccsds_sequence,
    ccsds_xor,
    pn9_sequence,
    pn9_xor,
)


def test_ccsds_sequence_has_period_255_bits_and_goes_on_past_255_bytes(rng):
    seq = np.unpackbits(ccsds_sequence(320))
    assert bytes(ccsds_sequence(8)).hex() == "ff480ec09a0d70bc"  # CCSDS 131.0-B
    np.testing.assert_array_equal(seq[255:], seq[:-255])
    assert seq[:255].sum() == 128  # an m-sequence: 128 ones, 127 zeros per period
    data = rng.integers(0, 256, 320, dtype=np.uint8).tobytes()
    assert ccsds_xor(ccsds_xor(data)) == data
    assert ccsds_xor(bytes(320)) == ccsds_sequence(320).tobytes()


def test_pn9_known_start_and_period():
    # TI design note DN509: the CC1101 whitening sequence from the all-ones seed
    assert bytes(pn9_sequence(16)).hex() == "ffe11d9aed853324ea7ad2397097570a"
    # byte i holds register bits 0..7 at step 8i, so read LSB first it is the register's
    # output stream: an m-sequence of x^9 + x^5 + 1, period 511 (= 7 * 73), 256 ones
    stream = np.unpackbits(pn9_sequence(200), bitorder="little")
    np.testing.assert_array_equal(stream[511:], stream[:-511])
    assert all(np.any(stream[p:] != stream[:-p]) for p in (7, 73))
    assert stream[:511].sum() == 256
    data = bytes(range(256)) * 3
    assert pn9_xor(pn9_xor(data)) == data
    assert pn9_xor(bytes(600)) == pn9_sequence(600).tobytes()
