"""Bit scramblers used by FSK satellite links.

* G3RUH (x^17 + x^12 + 1), the multiplicative (self-synchronising) scrambler of
  9600 Bd amateur packet radio: ``out[n] = in[n] ^ s[n-12] ^ s[n-17]`` on the
  transmit side (``s`` = scrambled bits), undone by
  ``in[n] = s[n] ^ s[n-12] ^ s[n-17]``. Inverting the channel polarity inverts
  the descrambled bits (three terms), which NRZI decoding then ignores.
* CCSDS pseudo-randomiser (CCSDS 131.0-B): the additive sequence of
  h(x) = x^8 + x^7 + x^5 + x^3 + 1 from the all-ones state, XORed byte-wise
  from the first byte of the (RS-coded) frame.
"""

from __future__ import annotations

import numpy as np

G3RUH_TAPS = (12, 17)


def g3ruh_descramble(bits: np.ndarray, history: np.ndarray | None = None) -> np.ndarray:
    """Descramble a 0/1 array; ``history`` is the 17 previous scrambled bits (zeros if None)."""
    bits = np.asarray(bits, dtype=np.uint8)
    hist = np.zeros(17, np.uint8) if history is None else np.asarray(history, np.uint8)[-17:]
    ext = np.concatenate([hist, bits])
    n = len(bits)
    return bits ^ ext[17 - 12 : 17 - 12 + n] ^ ext[:n]


def g3ruh_scramble(bits: np.ndarray, state: np.ndarray | None = None) -> np.ndarray:
    """Scramble a 0/1 array (recursive, so a loop over bits; only used to transmit)."""
    bits = np.asarray(bits, dtype=np.uint8)
    out = np.zeros(17 + len(bits), np.uint8)
    if state is not None:
        out[:17] = np.asarray(state, np.uint8)[-17:]
    for i, b in enumerate(bits.tolist()):
        out[17 + i] = b ^ out[17 + i - 12] ^ out[i]
    return out[17:]


def _ccsds_sequence(n: int = 255) -> bytes:
    """The randomiser bytes (first ones: ff 48 0e c0 9a 0d 70 bc)."""
    state = 0xFF  # LFSR, output from bit 0, new bit enters at bit 7
    out = bytearray()
    for _ in range(n):
        byte = 0
        for _ in range(8):
            byte = (byte << 1) | (state & 1)
            fb = (state ^ (state >> 3) ^ (state >> 5) ^ (state >> 7)) & 1
            state = (state >> 1) | (fb << 7)
        out.append(byte)
    return bytes(out)


CCSDS_SEQUENCE = np.frombuffer(_ccsds_sequence(255), dtype=np.uint8)


def ccsds_xor(data: bytes) -> bytes:
    """Apply (or remove: it is an involution) the CCSDS randomiser to ``data`` (<= 255 B)."""
    arr = np.frombuffer(bytes(data), dtype=np.uint8)
    if len(arr) > len(CCSDS_SEQUENCE):
        raise ValueError("CCSDS randomiser covers at most 255 bytes")
    return (arr ^ CCSDS_SEQUENCE[: len(arr)]).tobytes()
