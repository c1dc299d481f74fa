"""Line codes: NRZI (HDLC links) and differential coding (DBPSK, CCSDS precoding).

NRZI as AX.25 uses it: a 0 is sent as a change of level, a 1 as no change.
Differential coding is its complement: a 1 is a change. Decoding either
looks only at pairs of consecutive levels, so it ignores the polarity.
"""

from __future__ import annotations

import numpy as np


def nrzi_decode(bits: np.ndarray, prev: int = 0) -> np.ndarray:
    """NRZI: 1 where the level did not change, 0 where it did. ``prev`` = level before."""
    bits = np.asarray(bits, dtype=np.uint8)
    shifted = np.concatenate([[np.uint8(prev)], bits[:-1]])
    return (1 ^ bits ^ shifted).astype(np.uint8)


def nrzi_encode(bits: np.ndarray, prev: int = 0) -> np.ndarray:
    """Inverse of :func:`nrzi_decode`: toggle the level for every 0."""
    toggles = 1 ^ np.asarray(bits, dtype=np.uint8)
    return ((np.cumsum(toggles) + prev) & 1).astype(np.uint8)


def diff_decode(bits: np.ndarray, prev: int = 0) -> np.ndarray:
    """Differential decoding: 1 where the level changed."""
    return (1 ^ nrzi_decode(bits, prev)).astype(np.uint8)


def diff_encode(bits: np.ndarray, prev: int = 0) -> np.ndarray:
    """Inverse of :func:`diff_decode`: toggle the level for every 1."""
    return nrzi_encode(1 ^ np.asarray(bits, dtype=np.uint8), prev)


def nrzi_decode_soft(soft: np.ndarray, prev: float = 0.0) -> np.ndarray:
    """NRZI decoding of soft symbols (> 0 = level 1): positive where the level
    did not change; the confidence is the smaller of the two levels' (a
    decision is only as sure as its less sure symbol). ``prev`` is the soft
    level before ``soft[0]`` (0: unknown, which gives confidence 0)."""
    s = np.asarray(soft, dtype=np.float32)
    before = np.concatenate([np.array([prev], np.float32), s[:-1]])
    mag = np.minimum(np.abs(s), np.abs(before))
    return (np.sign(s) * np.sign(before) * mag).astype(np.float32)
