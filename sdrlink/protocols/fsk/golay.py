"""Extended Golay (24,12) code for the AX100 "ASM+Golay" length field.

Codeword layout (as GomSpace and gr-satellites use it): the 12 data bits are the
low 12 bits, the 12 parity bits the high 12; parity bit i (from the MSB) is the
parity of ``data & B[i]``. The code has minimum distance 8, so it corrects any 3
bit errors. Decoding is a nearest-codeword search over all 4096 codewords
(vectorised), which is exact for up to 3 errors and reports 4 as uncorrectable
when no codeword is within distance 3.
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
_POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


def golay24_encode(data: int) -> int:
    """The 24-bit codeword of the 12-bit ``data``."""
    if not 0 <= data < 4096:
        raise ValueError("Golay(24,12) data must be 12 bits")
    return int(_CODEWORDS[data])


def golay24_decode(word: int) -> tuple[int, int] | None:
    """Decode a 24-bit word: (12-bit data, corrected bit count), or None if > 3 errors."""
    x = _CODEWORDS ^ (int(word) & 0xFFFFFF)
    dist = _POP8[x & 0xFF] + _POP8[(x >> 8) & 0xFF] + _POP8[x >> 16]
    best = int(np.argmin(dist))
    if dist[best] > 3:
        return None
    return best, int(dist[best])
