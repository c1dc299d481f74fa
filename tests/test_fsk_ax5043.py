"""AX5043 FEC framing: CRC-16/USB, convolutional code + interleaver, HDLC."""

from __future__ import annotations

import numpy as np

from sdrlink.framing import ax5043
from sdrlink.framing.sync import find_sync


def test_crc16_usb_check_value():
    assert ax5043.crc16_usb(b"123456789") == 0xB4C8


def test_interleaver_is_an_involution(rng):
    bits = rng.integers(0, 2, 64).astype(np.uint8)
    np.testing.assert_array_equal(ax5043.interleave(ax5043.interleave(bits)), bits)
    np.testing.assert_array_equal(ax5043.interleave(np.arange(16))[:5], [0, 4, 8, 12, 1])


def test_flag_preamble_carries_the_sync_word():
    bits = ax5043.encode(b"x" * 20, {}, 8 * 16).bits
    idx, inv = find_sync(bits, ax5043.SYNC_BITS, 0)
    assert idx[:4].tolist() == [0, 16, 32, 48] and not inv.any()


def test_roundtrip_with_channel_errors(rng):
    frame = rng.integers(0, 256, 120, dtype=np.uint8).tobytes()
    bits = ax5043.encode(frame, {}, 8 * 16).bits
    start = 16 * 6
    coded = bits[start:].copy()
    flips = rng.choice(np.arange(100, len(coded) - 100), 12, replace=False)
    coded[np.sort(flips)[::3]] ^= 1  # a few isolated errors the code corrects
    info, errors = ax5043.decode_coded(coded)
    assert ax5043.frames_from_bits(info) == [frame]
    assert 0 < errors <= 12


def test_garbage_gives_no_frame(rng):
    info, _ = ax5043.decode_coded(rng.integers(0, 2, 4000).astype(np.uint8))
    assert ax5043.frames_from_bits(info) == []


def test_soft_symbols_carry_weak_errors_that_hard_decisions_cannot(rng):
    frame = rng.integers(0, 256, 120, dtype=np.uint8).tobytes()
    bits = ax5043.encode(frame, {}, 8 * 16).bits
    coded = bits[16 * 6 :]
    soft = (2.0 * coded - 1).astype(np.float32)
    burst = rng.choice(np.arange(300, 500), 50, replace=False)  # 25 % wrong in 200 symbols
    soft[burst] *= -0.05  # but the demodulator was unsure about them
    info, errors = ax5043.decode_coded(soft)
    assert ax5043.frames_from_bits(info) == [frame] and errors == 50
    hard, _ = ax5043.decode_coded((soft > 0).astype(np.uint8))
    assert ax5043.frames_from_bits(hard) == []
