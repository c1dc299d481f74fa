"""AX100 ASM+Golay framing: encode, corrupt, decode (both polarities)."""

from __future__ import annotations

import numpy as np

from sdrlink.framing import ax100
from sdrlink.framing.sync import find_sync


def _bits(frame: bytes) -> np.ndarray:
    enc = ax100.encode(frame, {}, 32)
    assert enc.start == 32
    return enc.bits


def test_ax100_roundtrip_with_errors(rng):
    frame = rng.integers(0, 256, 60, dtype=np.uint8).tobytes()
    bits = _bits(frame)
    idx, inv = find_sync(bits, ax100.SYNC_BITS, 4)
    assert idx.tolist() == [32] and inv.tolist() == [False]
    after = bits[32 + 32 :].copy()
    after[[1, 7, 20]] ^= 1  # three Golay errors
    for byte in (5, 30, 80):  # RS byte errors
        after[24 + 8 * byte] ^= 1
    res = ax100.decode_block(after)
    assert res is not None
    assert res[0] == frame and res[1] == 3 and res[2] == 3


def test_ax100_inverted_sync_found():
    bits = 1 - _bits(b"hello csp")
    idx, inv = find_sync(bits, ax100.SYNC_BITS, 4)
    assert idx.tolist() == [32] and inv.tolist() == [True]
    res = ax100.decode_block(1 - bits[64:])
    assert res is not None and res[0] == b"hello csp"


def test_ax100_garbage_does_not_raise(rng):
    for _ in range(20):
        bits = rng.integers(0, 2, 400).astype(np.uint8)
        assert ax100.decode_block(bits) is None
    assert ax100.decode_block(np.zeros(5, np.uint8)) is None
