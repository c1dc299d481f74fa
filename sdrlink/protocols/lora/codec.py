"""LoRa line coding: whitening, header, CRC, Hamming codes, interleaver, Gray map.

Everything here works on nibbles (ints 0..15) and symbol values (ints 0..2**sf-1)
and follows the on-air format of Semtech's SX127x/SX126x chips as documented by
the reverse-engineering literature (Robyns et al. 2018; Tapparel et al. 2020,
gr-lora_sdr):

* payload bytes are XORed with an 8-bit LFSR sequence (x^8+x^6+x^5+x^4+1, seed
  0xFF) and sent low nibble first; the header and the CRC are not whitened;
* explicit header: length (high nibble first), ``cr << 1 | crc``, then a 5-bit
  checksum split as ``c4`` and ``c3..c0``;
* payload CRC: CRC-16/CCITT (poly 0x1021, init 0) over all bytes but the last
  two, XORed with those two bytes (last byte in the low half), sent low nibble
  first;
* each nibble becomes a Hamming codeword (8,4)/(7,4)/(6,4) or a (5,4) parity
  code, written MSB first as ``d0 d1 d2 d3 p...`` with ``d0`` the nibble's LSB;
* blocks of ``sf_app`` codewords are interleaved diagonally into ``4 + cr``
  symbols; reduced-rate blocks (the header block, and all blocks with LDRO)
  carry ``sf - 2`` bits plus a parity bit and a zero so that the symbol is a
  multiple of 4 after inverse Gray mapping;
* the symbol value on air is ``inverse_gray(bits) + 1`` (mod 2**sf).
"""

from __future__ import annotations

import binascii

import numpy as np

# --------------------------------------------------------------------- whitening


def whitening_sequence(n: int) -> np.ndarray:
    """The first ``n`` bytes of the LoRa whitening sequence (0xFF, 0xFE, 0xFC, ...)."""
    out = np.empty(n, dtype=np.uint8)
    state = 0xFF
    for i in range(n):
        out[i] = state
        fb = ((state >> 7) ^ (state >> 5) ^ (state >> 4) ^ (state >> 3)) & 1
        state = ((state << 1) | fb) & 0xFF
    return out


_WHITEN = whitening_sequence(256)


def whiten(data: bytes) -> bytes:
    """XOR ``data`` with the whitening sequence (its own inverse)."""
    arr = np.frombuffer(bytes(data), dtype=np.uint8)
    return (arr ^ _WHITEN[: len(arr)]).tobytes()


# --------------------------------------------------------------------- CRC


def crc16_ccitt(data: bytes, crc: int = 0) -> int:
    """CRC-16/CCITT, polynomial 0x1021, MSB first, no reflection, given start value.

    That is the standard library's ``binascii.crc_hqx`` (table-driven, in C); the
    test checks it bit by bit against the polynomial."""
    return binascii.crc_hqx(bytes(data), crc)


def payload_crc(payload: bytes) -> int:
    """The LoRa payload CRC: CRC-16 of all but the last two bytes, XOR those bytes.

    For payloads shorter than two bytes the missing bytes count as zero.
    """
    p = bytes(payload)
    crc = crc16_ccitt(p[:-2]) if len(p) > 2 else 0
    last = p[-1] if len(p) >= 1 else 0
    prev = p[-2] if len(p) >= 2 else 0
    return crc ^ last ^ (prev << 8)


def crc_nibbles(crc: int) -> list[int]:
    """The CRC as sent: low byte first, low nibble first."""
    return [crc & 0xF, (crc >> 4) & 0xF, (crc >> 8) & 0xF, (crc >> 12) & 0xF]


# --------------------------------------------------------------------- header


def header_checksum(n0: int, n1: int, n2: int) -> int:
    """The 5-bit explicit-header checksum of the three header nibbles."""

    def b(n: int, i: int) -> int:
        return (n >> i) & 1

    c4 = b(n0, 3) ^ b(n0, 2) ^ b(n0, 1) ^ b(n0, 0)
    c3 = b(n0, 3) ^ b(n1, 3) ^ b(n1, 2) ^ b(n1, 1) ^ b(n2, 0)
    c2 = b(n0, 2) ^ b(n1, 3) ^ b(n1, 0) ^ b(n2, 3) ^ b(n2, 1)
    c1 = b(n0, 1) ^ b(n1, 2) ^ b(n1, 0) ^ b(n2, 2) ^ b(n2, 1) ^ b(n2, 0)
    c0 = b(n0, 0) ^ b(n1, 1) ^ b(n2, 3) ^ b(n2, 2) ^ b(n2, 1) ^ b(n2, 0)
    return (c4 << 4) | (c3 << 3) | (c2 << 2) | (c1 << 1) | c0


def header_nibbles(length: int, cr: int, crc: bool) -> list[int]:
    """The five explicit-header nibbles for a payload of ``length`` bytes."""
    n0, n1, n2 = length >> 4, length & 0xF, (cr << 1) | int(crc)
    chk = header_checksum(n0, n1, n2)
    return [n0, n1, n2, chk >> 4, chk & 0xF]


def parse_header(nibbles: list[int] | np.ndarray) -> tuple[int, int, bool] | None:
    """(length, cr, crc) from five header nibbles, or None when the checksum or CR is bad."""
    n = [int(v) for v in nibbles[:5]]
    chk = header_checksum(n[0], n[1], n[2])
    if (n[3] & 1) != (chk >> 4) or n[4] != (chk & 0xF) or (n[3] >> 1) != 0:
        return None
    cr = n[2] >> 1
    if not 1 <= cr <= 4:
        return None
    return (n[0] << 4) | n[1], cr, bool(n[2] & 1)


# --------------------------------------------------------------------- Hamming


def hamming_encode(nibble: int, cr: int) -> int:
    """Codeword of ``4 + cr`` bits, MSB first ``d0 d1 d2 d3 p..`` (d0 = nibble LSB)."""
    d0, d1, d2, d3 = (nibble >> 0) & 1, (nibble >> 1) & 1, (nibble >> 2) & 1, (nibble >> 3) & 1
    data = (d0 << 3) | (d1 << 2) | (d2 << 1) | d3
    if cr == 1:
        return (data << 1) | (d0 ^ d1 ^ d2 ^ d3)
    p0 = d0 ^ d1 ^ d2
    p1 = d1 ^ d2 ^ d3
    p2 = d0 ^ d1 ^ d3
    p3 = d0 ^ d2 ^ d3
    full = (data << 4) | (p0 << 3) | (p1 << 2) | (p2 << 1) | p3
    return full >> (4 - cr)


def codebook(cr: int) -> np.ndarray:
    """(16, 4+cr) array of codeword bits (MSB first) for every nibble."""
    n = 4 + cr
    words = [hamming_encode(v, cr) for v in range(16)]
    return np.array([[(w >> (n - 1 - i)) & 1 for i in range(n)] for w in words], dtype=np.int8)


#: :func:`codebook` of each coding rate (read only)
CODEBOOKS = {cr: codebook(cr) for cr in range(1, 5)}
for _book in CODEBOOKS.values():
    _book.flags.writeable = False
_SIGNS = {cr: (1 - 2 * CODEBOOKS[cr]).astype(np.float64) for cr in range(1, 5)}


def hamming_decode_soft(llr: np.ndarray, cr: int) -> np.ndarray:
    """Maximum-likelihood nibbles from codeword-bit LLRs, shape (n, 4+cr).

    ``llr > 0`` favours bit 0. Each codeword picks the nibble whose codeword
    correlates best with the LLRs (exhaustive over the 16 codewords), which
    corrects single errors at CR 4/7 and 4/8 and uses reliabilities at every CR.
    """
    scores = np.asarray(llr, dtype=np.float64) @ _SIGNS[cr].T
    return np.argmax(scores, axis=1).astype(np.uint8)


def hamming_decode_hard(codewords: np.ndarray, cr: int) -> np.ndarray:
    """Nearest-codeword nibbles from hard codewords (ints of 4+cr bits)."""
    n = 4 + cr
    cw = np.asarray(codewords, dtype=np.int64)
    bits = (cw[:, None] >> np.arange(n - 1, -1, -1)[None, :]) & 1
    return hamming_decode_soft(1.0 - 2.0 * bits, cr)


# --------------------------------------------------------------------- interleaver


def interleave(codewords: list[int], ppm: int, sf_app: int, reduced: bool, sf: int) -> list[int]:
    """One block: ``sf_app`` codewords of ``ppm`` bits -> ``ppm`` values of ``sf`` bits.

    Bit j (MSB first) of symbol i takes bit i of codeword ``(i - j - 1) mod sf_app``.
    A reduced-rate block fills the top ``sf - 2`` bits, then a parity bit, then 0.
    """
    cw = list(codewords) + [0] * (sf_app - len(codewords))
    out = []
    for i in range(ppm):
        bits = [(cw[(i - j - 1) % sf_app] >> (ppm - 1 - i)) & 1 for j in range(sf_app)]
        if reduced:
            bits += [sum(bits) & 1, 0]
        value = 0
        for bit in bits:
            value = (value << 1) | bit
        value <<= sf - len(bits)
        out.append(value)
    return out


def deinterleave_llr(sym_llr: np.ndarray, sf_app: int) -> np.ndarray:
    """Inverse of :func:`interleave` on LLRs.

    ``sym_llr`` has shape (ppm, sf_app): LLR of bit j (MSB first among the
    ``sf_app`` information bits) of each symbol of the block. Returns the
    codeword-bit LLRs, shape (sf_app, ppm).
    """
    ppm = sym_llr.shape[0]
    out = np.empty((sf_app, ppm), dtype=np.float64)
    for i in range(ppm):
        for j in range(sf_app):
            out[(i - j - 1) % sf_app, i] = sym_llr[i, j]
    return out


# --------------------------------------------------------------------- Gray map


def gray(x: np.ndarray | int) -> np.ndarray | int:
    """Binary-reflected Gray code."""
    return x ^ (x >> 1)


def inverse_gray(x: int, bits: int) -> int:
    """Inverse of :func:`gray` for ``bits``-bit values."""
    out = x
    for j in range(1, bits):
        out ^= x >> j
    return out
