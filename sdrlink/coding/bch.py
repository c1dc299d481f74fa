"""Binary BCH codes of length 15 (S-NET's LTU and PDU coding), by table look-up.

The three narrow-sense BCH codes of length 15 over GF(16) (primitive
polynomial x^4 + x + 1): (15,11) corrects 1 error, (15,7) 2 and (15,5) 3.
Their generator polynomials (the standard ones, e.g. Lin & Costello, "Error
Control Coding", chapter 6):
x^4+x+1, x^8+x^7+x^6+x^4+1 and x^10+x^8+x^5+x^4+x^2+x+1. Encoding is
systematic: the k data bits are the coefficients of x^(15-k)..x^14, the
parity the remainder of data * x^(15-k) modulo g(x).

A word is an int whose bit i is the coefficient of x^i. With only 2^15
possible received words, decoding is one look-up in a table that maps every
word within the code's correcting radius of a codeword to that codeword
(bounded-distance decoding, exactly as an algebraic decoder does); the other
words are reported as uncorrectable. Tables are built on first use.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

N = 15
GENERATORS = {11: 0b10011, 7: 0b111010001, 5: 0b10100110111}
CORRECTS = {11: 1, 7: 2, 5: 3}


def _check_k(k: int) -> None:
    if k not in GENERATORS:
        raise ValueError(f"no BCH(15,{k}) code; k is one of 11, 7, 5")


def _mod(value: np.ndarray, g: int) -> np.ndarray:
    """``value`` modulo g(x), elementwise over an int array."""
    dg = g.bit_length() - 1
    v = value.copy()
    for i in range(N - 1, dg - 1, -1):
        hit = (v >> i) & 1
        v ^= hit * (g << (i - dg))
    return v


def encode_words(data: np.ndarray, k: int) -> np.ndarray:
    """Codewords (ints, bit i = x^i) of k-bit data values."""
    _check_k(k)
    shifted = np.asarray(data, dtype=np.int64) << (N - k)
    return shifted | _mod(shifted, GENERATORS[k])


@functools.cache
def _table(k: int) -> np.ndarray:
    """Received word -> nearest codeword within the radius, or -1."""
    _check_k(k)
    codewords = encode_words(np.arange(1 << k, dtype=np.int64), k)
    table = np.full(1 << N, -1, dtype=np.int64)
    for w in range(CORRECTS[k] + 1):
        for pos in itertools.combinations(range(N), w):
            e = sum(1 << p for p in pos)
            table[codewords ^ e] = codewords
    return table


def decode_words(words: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Correct received words: (codewords, bit errors corrected); -1 and -1 where
    a word is farther than the code's radius from every codeword."""
    w = np.asarray(words, dtype=np.int64) & ((1 << N) - 1)
    cw = _table(k)[w]
    bad = cw < 0
    diff = np.where(bad, 0, w ^ cw)
    errors = np.zeros(len(w), np.int64)
    for i in range(N):
        errors += (diff >> i) & 1
    errors[bad] = -1
    return cw, errors


def words_from_bits(bits: np.ndarray) -> np.ndarray:
    """Ints of rows of 15 bits (bit i of a row = coefficient of x^i)."""
    b = np.asarray(bits, dtype=np.int64).reshape(-1, N)
    return b @ (1 << np.arange(N, dtype=np.int64))


def bits_from_words(words: np.ndarray) -> np.ndarray:
    """Rows of 15 bits of ints (inverse of :func:`words_from_bits`)."""
    w = np.asarray(words, dtype=np.int64)
    return ((w[:, None] >> np.arange(N)) & 1).astype(np.uint8)
