"""Extended Golay (24,12) code for the AX100 "ASM+Golay" length field.

Codeword layout (as GomSpace and gr-satellites use it): the 12 data bits are the
low 12 bits, the 12 parity bits the high 12; parity bit i (from the MSB) is the
parity of ``data & B[i]``. The code has minimum distance 8, so it corrects any 3
bit errors. Decoding is by syndrome: a table maps each of the 4096 syndromes
to the unique error pattern of weight <= 3 that produces it (2325 of them),
which is exactly nearest-codeword decoding for up to 3 errors; the other
syndromes (4 or more errors) report the word as uncorrectable.
"""

from __future__ import annotations

import numpy as np

# Rows of the parity part (Morelos-Zaragoza, "The Art of Error Correcting Coding", 2.2.3).
_B = (0x8ED, 0x1DB, 0x3B5, 0x769, 0xED1, 0xDA3, 0xB47, 0x68F, 0xD1D, 0xA3B, 0x477, 0xFFE)


def _parity(v: np.ndarray) -> np.ndarray:
    v = v ^ (v >> 8)
    v = v ^ (v >> 4)
    v = v ^ (v >> 2)
    v = v ^ (v >> 1)
    return v & 1


def _encode_all(data: np.ndarray) -> np.ndarray:
    s = np.zeros_like(data)
    for b in _B:
        s = (s << 1) | _parity(data & b)
    return (s << 12) | data


_CODEWORDS = _encode_all(np.arange(4096, dtype=np.int64))
_PARITY = (_CODEWORDS >> 12).tolist()  # parity part of each data word


def _error_table() -> list[int]:
    """Syndrome -> error pattern of weight <= 3 (-1 where none exists)."""
    table = [-1] * 4096
    pos = [1 << i for i in range(24)]
    pats = [0] + pos
    pats += [a | b for i, a in enumerate(pos) for b in pos[i + 1 :]]
    pats += [
        a | b | c
        for i, a in enumerate(pos)
        for j, b in enumerate(pos[i + 1 :], i + 1)
        for c in pos[j + 1 :]
    ]
    for e in pats:
        table[_PARITY[e & 0xFFF] ^ (e >> 12)] = e
    return table


_ERRORS = _error_table()


def golay24_encode(data: int) -> int:
    """The 24-bit codeword of the 12-bit ``data``."""
    if not 0 <= data < 4096:
        raise ValueError("Golay(24,12) data must be 12 bits")
    return int(_CODEWORDS[data])


def golay24_decode(word: int) -> tuple[int, int] | None:
    """Decode a 24-bit word: (12-bit data, corrected bit count), or None if > 3 errors."""
    w = int(word) & 0xFFFFFF
    e = _ERRORS[_PARITY[w & 0xFFF] ^ (w >> 12)]
    if e < 0:
        return None
    return (w ^ e) & 0xFFF, bin(e).count("1")
