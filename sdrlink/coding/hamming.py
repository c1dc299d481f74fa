"""The (12,8) shortened Hamming code of Mobitex (a byte and 4 parity bits).

A codeword is the data byte followed by 4 parity bits, parity bit 3-i being
the parity of ``byte & ROWS[i]`` (facts from gr-satellites' ``mobitex_fec.py``
and the Mobitex notes it cites). Minimum distance 3: every single bit error
has its own syndrome and is corrected; the other three non-zero syndromes
are detected as uncorrectable. Decoding is one look-up in a 4096-entry table.
"""

from __future__ import annotations

import numpy as np

ROWS = (0b11101100, 0b11010011, 0b10111010, 0b01110101)
ROWS_12 = tuple((r << 4) | (1 << (3 - i)) for i, r in enumerate(ROWS))


def _parity(v: np.ndarray) -> np.ndarray:
    v = v ^ (v >> 8)
    v = v ^ (v >> 4)
    v = v ^ (v >> 2)
    v = v ^ (v >> 1)
    return v & 1


def encode12(data: np.ndarray) -> np.ndarray:
    """12-bit codewords of bytes."""
    d = np.asarray(data, dtype=np.int64)
    fec = np.zeros_like(d)
    for i, row in enumerate(ROWS):
        fec |= _parity(d & row) << (3 - i)
    return (d << 4) | fec


def _syndrome(words: np.ndarray) -> np.ndarray:
    s = np.zeros_like(words)
    for i, row in enumerate(ROWS_12):
        s |= _parity(words & row) << (3 - i)
    return s


def _tables() -> tuple[np.ndarray, np.ndarray]:
    words = np.arange(4096, dtype=np.int64)
    flip = np.zeros(16, np.int64)  # syndrome -> error pattern (0: none or uncorrectable)
    ok = np.zeros(16, np.int8)  # 0 clean, 1 corrected, 2 uncorrectable
    ok[:] = 2
    ok[0] = 0
    for pos in range(12):
        s = int(_syndrome(np.array([1 << pos]))[0])
        flip[s] = 1 << pos
        ok[s] = 1
    syn = _syndrome(words)
    return ((words ^ flip[syn]) >> 4).astype(np.uint8), ok[syn]


_DATA, _STATUS = _tables()


def decode12(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, status) of 12-bit words: status 0 clean, 1 one bit corrected,
    2 uncorrectable (the byte is then the received data bits)."""
    w = np.asarray(words, dtype=np.int64) & 0xFFF
    return _DATA[w], _STATUS[w]
