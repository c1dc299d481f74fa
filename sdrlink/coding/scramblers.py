"""Bit scramblers used by FSK satellite links.

* G3RUH (x^17 + x^12 + 1), the multiplicative (self-synchronising) scrambler of
  9600 Bd amateur packet radio: ``out[n] = in[n] ^ s[n-12] ^ s[n-17]`` on the
  transmit side (``s`` = scrambled bits), undone by
  ``in[n] = s[n] ^ s[n-12] ^ s[n-17]``. Inverting the channel polarity inverts
  the descrambled bits (three terms), which NRZI decoding then ignores.
* CCSDS pseudo-randomiser (CCSDS 131.0-B): the additive sequence of
  h(x) = x^8 + x^7 + x^5 + x^3 + 1 from the all-ones state (period 255
  bits), XORed from the first bit of the (RS-coded) frame; AO-40's FEC uses
  it over 320 bytes.
* PN9 whitening (x^9 + x^5 + 1 from the all-ones state), as the TI CC11xx,
  Semtech and AX5043 radios whiten their packets (TI design note DN509): the
  low 8 bits of the register are XORed with each byte, then it steps 8 times.
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


def g3ruh_descramble_soft(soft: np.ndarray, history: np.ndarray | None = None) -> np.ndarray:
    """:func:`g3ruh_descramble` on soft symbols (> 0 = bit 1).

    A descrambled bit is the XOR of three line bits, i.e. the sign of the
    product of their soft values; its confidence is the smallest of the three.
    ``history``: the 17 previous soft symbols (zeros if None: confidence 0).
    """
    s = np.asarray(soft, dtype=np.float32)
    hist = np.zeros(17, np.float32) if history is None else np.asarray(history, np.float32)[-17:]
    ext = np.concatenate([hist, s])
    n = len(s)
    a, b = ext[17 - 12 : 17 - 12 + n], ext[:n]
    mag = np.minimum(np.abs(s), np.minimum(np.abs(a), np.abs(b)))
    return (np.sign(s) * np.sign(a) * np.sign(b) * mag).astype(np.float32)


def g3ruh_scramble(bits: np.ndarray, state: np.ndarray | None = None) -> np.ndarray:
    """Scramble a 0/1 array (recursive, so a loop over bits; only used to transmit)."""
    bits = np.asarray(bits, dtype=np.uint8)
    out = np.zeros(17 + len(bits), np.uint8)
    if state is not None:
        out[:17] = np.asarray(state, np.uint8)[-17:]
    for i, b in enumerate(bits.tolist()):
        out[17 + i] = b ^ out[17 + i - 12] ^ out[i]
    return out[17:]


def _ccsds_period() -> np.ndarray:
    """One period (255 bits) of the randomiser, first bit first."""
    state = 0xFF  # LFSR, output from bit 0, new bit enters at bit 7
    bits = np.empty(255, np.uint8)
    for i in range(255):
        bits[i] = state & 1
        fb = (state ^ (state >> 3) ^ (state >> 5) ^ (state >> 7)) & 1
        state = (state >> 1) | (fb << 7)
    return bits


_CCSDS_PERIOD = _ccsds_period()


def ccsds_sequence(nbytes: int) -> np.ndarray:
    """The first ``nbytes`` randomiser bytes (ff 48 0e c0 9a 0d 70 bc ...), uint8."""
    reps = -(-8 * nbytes // 255)
    return np.packbits(np.tile(_CCSDS_PERIOD, max(reps, 1))[: 8 * nbytes])


CCSDS_SEQUENCE = ccsds_sequence(255)


def ccsds_xor(data: bytes) -> bytes:
    """Apply (or remove: it is an involution) the CCSDS randomiser to ``data``."""
    arr = np.frombuffer(bytes(data), dtype=np.uint8)
    seq = CCSDS_SEQUENCE if len(arr) <= len(CCSDS_SEQUENCE) else ccsds_sequence(len(arr))
    return (arr ^ seq[: len(arr)]).tobytes()


def pn9_sequence(nbytes: int, seed: int = 0x1FF) -> np.ndarray:
    """The first ``nbytes`` PN9 whitening bytes (ff e1 1d 9a ed 85 ... from 0x1FF)."""
    reg = seed & 0x1FF
    out = np.empty(nbytes, np.uint8)
    for i in range(nbytes):
        out[i] = reg & 0xFF
        for _ in range(8):
            reg = (reg >> 1) | (((reg ^ (reg >> 5)) & 1) << 8)
    return out


_PN9 = pn9_sequence(512)


def pn9_xor(data: bytes) -> bytes:
    """Apply (or remove) PN9 whitening from the first byte of ``data``."""
    arr = np.frombuffer(bytes(data), dtype=np.uint8)
    seq = _PN9 if len(arr) <= len(_PN9) else pn9_sequence(len(arr))
    return (arr ^ seq[: len(arr)]).tobytes()
