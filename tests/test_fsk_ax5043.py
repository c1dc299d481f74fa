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


def test_two_frames_in_one_viterbi_span_keep_their_own_start(rng):
    """The span decoded after frame A's sync runs on into frame B: B is dated at B."""
    a, b = b"first frame " * 2, b"second frame" * 2
    gap = rng.integers(0, 2, 304).astype(np.uint8)  # noise, keeping the interleaver aligned
    bits_a, bits_b = ax5043.encode(a, {}, 24 * 16).bits, ax5043.encode(b, {}, 24 * 16).bits
    stream = np.concatenate([gap, bits_a, gap, bits_b, gap])
    start_b = 2 * len(gap) + len(bits_a)
    soft = stream.astype(np.float32) * 2 - 1
    frames = ax5043.Ax5043Deframer(invert=False).scan(soft, 0, final=True)
    assert {f.payload for f in frames} == {a, b}
    for f in frames:  # every copy (the receiver keeps the first one)
        if f.payload == a:  # within A's preamble
            assert len(gap) <= f.start <= len(gap) + len(bits_a) // 2
        else:  # within B's, not at A's
            assert start_b <= f.start <= start_b + len(bits_b) // 2
