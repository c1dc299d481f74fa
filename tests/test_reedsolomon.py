"""Reed-Solomon over GF(2^8): CCSDS known answers, dual basis, interleaving, capacity."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlink.coding.reedsolomon import (
    CCSDS_RS,
    FROM_DUAL,
    TO_DUAL,
    ReedSolomon,
    decode_frame,
    encode_frame,
    from_dual,
    rs_decode,
    rs_encode,
    to_dual,
)
from sdrlink.errors import ConfigError


def test_ccsds_generator_known_answer():
    # the CCSDS (255,223) generator in index form, as published in Phil Karn's libfec
    # (CCSDS_poly); palindromic because the roots come in reciprocal pairs
    want = [0, 249, 59, 66, 4, 43, 126, 251, 97, 30, 3, 213, 50, 66, 170, 5, 24]
    want = want + want[-2::-1]
    gf = CCSDS_RS.gf
    assert [gf.log[c] for c in CCSDS_RS.generator] == want
    # and it vanishes at alpha^(11 j), j = 112..143 (CCSDS 131.0-B 4.2.3)
    for j in range(112, 144):
        x = gf.exp[(11 * j) % 255]
        acc = 0
        for c in CCSDS_RS.generator:
            acc = gf.mul(acc, x) ^ c
        assert acc == 0


def test_dual_basis_matrix_is_the_blue_books():
    # CCSDS 131.0-B annex F: conventional bit u_i (u0 = MSB) maps to row i of T
    rows = [0x8D, 0xEF, 0xEC, 0x86, 0xFA, 0x99, 0xAF, 0x7B]
    assert [int(TO_DUAL[0x80 >> i]) for i in range(8)] == rows
    # the inverse, as an independent hardware encoder writes it bit by bit (z7 = MSB)
    eqs = {
        7: (7, 4, 3, 1, 0),
        6: (7, 6, 4, 3, 2, 0),
        5: (5, 4, 3, 2, 1),
        4: (4, 3, 2),
        3: (5, 4, 2, 1, 0),
        2: (7, 5, 4, 1, 0),
        1: (6, 5),
        0: (7, 4, 2),
    }
    for z in range(256):
        u = sum((sum((z >> s) & 1 for s in src) & 1) << k for k, src in eqs.items())
        assert FROM_DUAL[z] == u
    data = bytes(range(256))
    assert from_dual(to_dual(data)) == data


def test_generic_code_known_answer_and_round_trip(rng):
    # GF(2^8) with x^8+x^4+x^3+x^2+1, roots 1 and alpha: g = x^2 + 3x + 2
    small = ReedSolomon(nroots=2, fcr=0, prim=1, gfpoly=0x11D)
    assert small.generator == [1, 3, 2]
    code = ReedSolomon(nroots=16, fcr=0, prim=1, gfpoly=0x11D)
    data = rng.integers(0, 256, 239, dtype=np.uint8).tobytes()
    block = bytearray(data + code.encode(data))
    for pos in rng.choice(len(block), 8, replace=False):
        block[pos] ^= int(rng.integers(1, 256))
    assert code.decode(bytes(block)) == (data, 8)


@pytest.mark.parametrize("basis", ["conventional", "dual"])
@pytest.mark.parametrize("depth,size", [(1, 223), (1, 114), (2, 256), (5, 1115), (8, 8 * 30)])
def test_interleaved_frames_correct_t_errors_per_codeword(rng, basis, depth, size):
    data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    clean = encode_frame(data, depth, basis)
    frame = bytearray(clean)
    assert len(frame) == size + 32 * depth and frame[:size] == data
    for i in range(depth):  # 16 byte errors in every codeword
        positions = np.arange(i, len(frame), depth)
        for pos in rng.choice(positions, 16, replace=False):
            frame[pos] ^= int(rng.integers(1, 256))
    assert decode_frame(bytes(frame), depth, basis) == (data, [16] * depth)
    # one more error in the last codeword: refused
    extra = [p for p in range(depth - 1, len(frame), depth) if frame[p] == clean[p]]
    frame[extra[0]] ^= 0x5A
    assert decode_frame(bytes(frame), depth, basis) is None


def test_dual_and_conventional_frames_differ(rng):
    data = rng.integers(0, 256, 100, dtype=np.uint8).tobytes()
    dual = encode_frame(data, 1, "dual")
    assert dual[100:] != encode_frame(data, 1, "conventional")[100:]
    assert decode_frame(dual, 1, "conventional") is None
    assert decode_frame(dual, 1, "dual") == (data, [0])


def test_beyond_capacity_is_refused_not_miscorrected(rng):
    refused = 0
    for _ in range(200):
        data = rng.integers(0, 256, 223, dtype=np.uint8).tobytes()
        block = bytearray(data + rs_encode(data))
        for pos in rng.choice(255, 17, replace=False):
            block[pos] ^= int(rng.integers(1, 256))
        refused += rs_decode(bytes(block)) is None
    # a wrong codeword within 16 symbols turns up with probability ~1e-13
    assert refused == 200
    garbage = [rs_decode(rng.integers(0, 256, 160, dtype=np.uint8).tobytes()) for _ in range(200)]
    assert garbage == [None] * 200


def test_shortened_miscorrection_rate_matches_the_sphere_fraction(rng):
    # RS(50,46), t = 2: a word 3 errors from its codeword lies within 2 symbols of
    # another codeword with probability ~ V(50, 2) / 256^4 = 1.9 %. Accepting
    # "corrections" in the virtual fill would raise that to ~49 %.
    code = ReedSolomon(nroots=4)
    wrong = refused = 0
    trials = 3000
    for _ in range(trials):
        data = rng.integers(0, 256, 46, dtype=np.uint8).tobytes()
        block = bytearray(data + code.encode(data))
        for pos in rng.choice(50, 3, replace=False):
            block[pos] ^= int(rng.integers(1, 256))
        res = code.decode(bytes(block))
        if res is None:
            refused += 1
        else:
            assert res[0] != data and res[1] <= 2
            wrong += 1
    assert wrong + refused == trials
    assert 0.010 < wrong / trials < 0.030


def test_bad_parameters_are_refused():
    with pytest.raises(ConfigError, match="interleaving"):
        encode_frame(b"x" * 10, 9)
    with pytest.raises(ConfigError, match="split"):
        encode_frame(b"x" * 11, 2)
    with pytest.raises(ConfigError, match="basis"):
        decode_frame(b"x" * 100, 1, "berlekamp")
    with pytest.raises(ConfigError, match="more than"):
        encode_frame(b"x" * 224, 1)
    with pytest.raises(ConfigError, match="primitive"):
        ReedSolomon(gfpoly=0x100)  # x^8: not primitive
    with pytest.raises(ConfigError, match="coprime"):
        ReedSolomon(prim=5)
    assert decode_frame(b"x" * 20, 1) is None  # shorter than the parity
