"""Sync-marker search in hard bits, both polarities (the ASM-based framings)."""

from __future__ import annotations

import numpy as np

from sdrlink._ext import coding_dsp  # type: ignore[attr-defined]


def bits_of(word: int, n: int) -> np.ndarray:
    """The ``n`` bits of ``word``, MSB first, as a 0/1 array."""
    return np.array([(word >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def find_sync(
    bits: np.ndarray, pattern: np.ndarray, max_errors: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices where ``pattern`` (<= 64 bits) starts with <= ``max_errors`` bit errors,
    in either polarity.

    Returns (indices, inverted) where ``inverted`` says the bits there are the
    complement of the pattern (inverted channel polarity).
    """
    bits = np.ascontiguousarray(bits, dtype=np.uint8)
    n = len(pattern)
    if len(bits) < n:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    word = int("".join(str(int(b)) for b in pattern), 2)
    idx = np.empty(len(bits), np.int64)
    inv = np.empty(len(bits), np.uint8)
    k = coding_dsp.sync_search(bits, word, n, max_errors, idx, inv)
    return idx[:k].copy(), inv[:k].astype(bool)
