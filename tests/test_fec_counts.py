"""FEC counts mean what their names say: flip known bytes (bits) of a frame our own
encoder made and the deframer reports exactly that many corrections."""

from __future__ import annotations

import numpy as np
import pytest
from fuzz_util import deframe

from sdrlink.framing import get_framing


def _frame_soft(name: str, payload: bytes, flips: list[int]) -> list:
    fr = get_framing(name)
    enc = fr.encode(payload, fr.parse_options({}), 64)
    soft = (enc.bits.astype(np.float32) * 2 - 1) * 4
    for bit in flips:
        soft[enc.start + bit] *= -1
    pad = np.full(200, 0.1, np.float32)
    return deframe(fr, np.concatenate([pad, soft, pad]), [], None)


def _bytes(first_bit: int, offsets: list[int]) -> list[int]:
    """Every bit of the bytes at ``offsets`` (from the bit ``first_bit`` on)."""
    return [first_bit + 8 * o + k for o in offsets for k in range(8)]


@pytest.mark.parametrize("k", [0, 1, 5, 16])
def test_ax100_counts_rs_bytes_and_golay_bits(k):
    payload = bytes(range(100))
    block = 32 + 24  # the RS block follows the sync word and the Golay length field
    golay = [32 + 3, 32 + 17][: min(k, 2)]
    frames = _frame_soft("ax100", payload, _bytes(block, list(range(7, 7 + 7 * k, 7))) + golay)
    assert [f.payload for f in frames if f.crc_ok] == [payload]
    assert frames[0].fields["rs_corrected"] == k
    assert frames[0].fields["golay_corrected"] == len(golay)


def test_ax100_beyond_16_byte_errors_gives_no_valid_frame():
    frames = _frame_soft("ax100", bytes(range(100)), _bytes(56, list(range(3, 3 + 17 * 6, 6))))
    assert not [f for f in frames if f.crc_ok]


@pytest.mark.parametrize("k", [0, 3, 16])
def test_ccsds_counts_rs_bytes_per_codeword(k):
    payload = bytes(np.random.default_rng(1).integers(0, 256, 223, dtype=np.uint8))
    frames = _frame_soft("ccsds_rs", payload, _bytes(32, list(range(1, 1 + 11 * k, 11))))
    assert [f.payload for f in frames if f.crc_ok] == [payload]
    assert frames[0].fields["rs_corrected"] == [k]
