"""AX.25/HDLC layer: bit stuffing, NRZI, flag search, frame check, addresses."""

from __future__ import annotations

import numpy as np

from sdrlink.coding.linecode import nrzi_decode, nrzi_encode
from sdrlink.framing import ax25


def test_bit_stuffing_edge_cases():
    five = np.ones(5, np.uint8)
    np.testing.assert_array_equal(ax25.bit_stuff(five), [1, 1, 1, 1, 1, 0])
    four = np.ones(4, np.uint8)
    np.testing.assert_array_equal(ax25.bit_stuff(four), four)
    ten = np.ones(10, np.uint8)
    np.testing.assert_array_equal(ax25.bit_stuff(ten), [1] * 5 + [0] + [1] * 5 + [0])
    # a stuffed stream never contains six ones
    stuffed = ax25.bit_stuff(ax25.bytes_to_bits(b"\xff\xff\x7e\x7e\xff"))
    assert ax25.find_flags(stuffed).size == 0
    assert ax25.bit_unstuff(np.ones(6, np.uint8)) is None
    np.testing.assert_array_equal(
        ax25.bit_unstuff(np.array([1, 1, 1, 1, 1, 0], np.uint8)), [1, 1, 1, 1, 1]
    )


def test_bit_stuff_roundtrip(rng):
    for _ in range(20):
        bits = (rng.random(300) < 0.8).astype(np.uint8)  # many long runs of ones
        np.testing.assert_array_equal(ax25.bit_unstuff(ax25.bit_stuff(bits)), bits)


def test_nrzi_roundtrip_and_polarity(rng):
    bits = rng.integers(0, 2, 100).astype(np.uint8)
    line = nrzi_encode(bits)
    np.testing.assert_array_equal(nrzi_decode(line), bits)
    np.testing.assert_array_equal(nrzi_decode(1 - line, prev=1), bits)


def test_hdlc_frame_check():
    frame = ax25.ui_frame("CQ", "N0CALL-7", b"\x7e\x7e\xff\xff hello")
    bits = ax25.hdlc_frame_bits(frame)
    assert ax25.check_hdlc(bits) == frame
    bad = bits.copy()
    bad[40] ^= 1
    assert ax25.check_hdlc(bad) is None
    assert ax25.check_hdlc(bits[:-3]) is None


def test_find_flags_positions():
    bits = np.concatenate([ax25.FLAG_BITS, [1, 0, 1], ax25.FLAG_BITS]).astype(np.uint8)
    np.testing.assert_array_equal(ax25.find_flags(bits), [0, 11])


def test_parse_addresses_with_digipeaters():
    frame = ax25.ui_frame("APRS", "SR6SAT-6", b">hi", via=("WIDE1-1", "WIDE2-1"))
    addr = ax25.parse_addresses(frame)
    assert addr is not None
    assert addr["dst"] == "APRS"
    assert addr["src"] == "SR6SAT-6"
    assert addr["via"] == ["WIDE1-1", "WIDE2-1"]
    assert addr["addresses"] == "APRS<-SR6SAT-6 via WIDE1-1,WIDE2-1"
    assert ax25.parse_addresses(b"\x00\x01") is None


def test_short_non_ax25_hdlc_payload():
    bits = ax25.hdlc_frame_bits(b"x")
    assert ax25.check_hdlc(bits) == b"x"
    assert ax25.parse_addresses(b"x") is None
