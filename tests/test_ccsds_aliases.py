"""CCSDS Reed-Solomon framings: windows that the code's symmetries put within its reach
of a codeword that was not sent are not reported as frames.

The full-length RS(255,223) code is cyclic, the CCSDS randomiser sequence is a codeword
at every bit phase, and in the dual basis a one-bit shift of a symbol is its product by a
constant. So a marker a few bytes off a real frame, a zero-filled gap over the parity, or
a bit slip in a sparse unrandomised frame each gave a "corrected" frame of wrong bytes
(found by ``benchmarks/fuzz.py``). Every frame here comes from the project's encoder.
"""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import deframe, encode_bits, soft_of

from sdrlink.coding.reedsolomon import decode_frame
from sdrlink.coding.scramblers import ccsds_sequence
from sdrlink.framing.ccsds import ASM_BITS


def symbols(name: str, payload: bytes) -> np.ndarray:
    """The framing's own frame (32 preamble bits, marker, codeblock) as soft symbols."""
    bits = encode_bits(name, payload, pre=32).bits
    return 4 * soft_of(bits, np.random.default_rng(0), pad=0)


def frames(name: str, soft: np.ndarray, invert=None) -> list:
    """Frames with a passing check, the symbols fed in blocks between silences."""
    pad = np.zeros(64, np.float32)
    return [
        f for f in deframe(name, np.concatenate([pad, soft, pad, pad]), invert=invert) if f.crc_ok
    ]


def test_every_phase_of_the_randomiser_is_a_codeword():
    # the property behind the aliases: RS alone cannot tell a shifted window
    bits = np.unpackbits(ccsds_sequence(300))
    for shift in (0, 1, 5, 8, 77):
        word = np.packbits(bits[shift : shift + 2040]).tobytes()
        for basis in ("dual", "conventional"):
            assert decode_frame(word, 1, basis) == (word[:223], [0])


@pytest.mark.parametrize("invert", [None, False])
@pytest.mark.parametrize("m", [8, 11, 16])
def test_a_marker_bytes_before_a_frame_gives_only_the_frame(m, invert, rng):
    payload = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
    clean = symbols("ccsds_rs", payload)
    # a marker with 3 bit errors whose window starts m bytes before the real frame's
    # codeblock (its junk, the preamble and the real marker fill those m bytes)
    fake = (ASM_BITS.astype(np.float32) * 2 - 1) * 4
    fake[[3, 17, 30]] *= -1
    junk = np.sign(rng.standard_normal(8 * m - 64)).astype(np.float32) * 4
    got = frames("ccsds_rs", np.concatenate([fake, junk, clean]), invert)
    assert [f.payload for f in got] == [payload.ljust(223, b"\0")]


@pytest.mark.parametrize("name", ["ccsds_rs", "ccsds_rs_no_scrambler"])
def test_a_gap_over_the_parity_gives_no_frame(name, rng):
    payload = rng.integers(0, 256, 3, dtype=np.uint8).tobytes()  # sparse: zeros after
    soft = symbols(name, payload)
    parity = 32 + 32 + 8 * 223  # preamble, marker, data: the parity follows
    soft[parity - 16 : parity + 8 * 32] = 0.0  # zero-filled: no decision at all
    soft[64 : 64 + 8] *= -1  # and the first data byte wrong
    assert frames(name, soft) == []


def test_a_bit_slip_in_a_sparse_unrandomised_frame_gives_no_wrong_frame():
    wrong = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        payload = rng.integers(0, 256, 1 + seed % 7, dtype=np.uint8).tobytes()
        soft = symbols("ccsds_rs_no_scrambler", payload)
        at = int(rng.integers(64 + 8 * 16, 64 + 8 * 200))  # past the first bytes
        slipped = np.delete(soft, at) if seed % 2 else np.insert(soft, at, 4.0)
        wrong += sum(
            f.payload != payload.ljust(223, b"\0") for f in frames("ccsds_rs_no_scrambler", slipped)
        )
    # before the slip check 6 of these 60 slips gave a frame of wrong bytes
    assert wrong == 0, wrong
