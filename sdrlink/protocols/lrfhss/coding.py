"""LR-FHSS line coding: CRCs, whitening, convolutional codes, puncturing, interleavers.

Facts from Semtech's open LR-FHSS driver (``lr_fhss_mac.c`` in
``Lora-net/sx126x_driver``), re-derived and written here from scratch:

* bit vectors are sent most significant bit of each byte first;
* header: 4 bytes (length; modulation << 5 | CR << 3 | grid << 2 | hopping << 1 |
  bandwidth >> 3; (bandwidth & 7) << 5 | hop id >> 4; (hop id & 15) << 4 |
  copy index << 2) and a CRC-8 (polynomial 0x2F, initial value 0xFF), coded by
  the rate-1/2 K=5 code (generators 23, 35 octal) *tail-biting* (the encoder
  starts in the state it ends in), interleaved over 80 positions; the copy
  index counts down to 0 on the last header copy;
* payload: whitened (8-bit LFSR from 0xFF, x^8+x^6+x^5+x^4+1, nibbles
  swapped), CRC-16 over the whitened bytes (polynomial 0x755B, initial
  0xFFFF, sent high byte first), 6 zero tail bits, the rate-1/3 K=7 code
  (generators 133, 171, 165 octal) from state 0, punctured to 5/6, 2/3 or
  1/2 by one fixed pattern, and a row/column-style interleaver whose steps
  follow the square root of the length.

A hop "block" is 2 guard bits (0) followed by the bits of that hop: a header
block is 114 bits (guard, 40 coded bits, the 32-bit sync word, 40 coded bits),
a payload block at most 50 (guard and a 48-bit fragment; the last one shorter).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

HEADER_BITS = 114
FRAG_BITS = 48
GUARD_BITS = 2
HALF_HEADER_BITS = 40
SYNC_BITS = 32
SYNC_START = GUARD_BITS + HALF_HEADER_BITS  # bit of a header block where the sync word starts

# punctured rate -> (kept pattern over the rate-1/3 mother code's output)
CR_NAMES = {0: "5/6", 1: "2/3", 2: "1/2", 3: "1/3"}
_PUNCTURE_BASE = (1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0)
_PUNCTURE_LEN = {0: 15, 1: 6, 2: 3}


def bytes_to_bits(data: bytes | np.ndarray) -> np.ndarray:
    """Bits of ``data``, most significant bit of each byte first (uint8 0/1)."""
    return np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8))


def bits_to_bytes(bits: np.ndarray) -> bytes:
    """Inverse of :func:`bytes_to_bits` (the last byte zero-padded)."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes()


def _crc_table(poly: int, width: int) -> np.ndarray:
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i << (width - 8)
        for _ in range(8):
            c = ((c << 1) ^ poly) if c & top else (c << 1)
        table[i] = c & mask
    return table


_CRC8 = _crc_table(0x2F, 8)
_CRC16 = _crc_table(0x755B, 16)


def crc8(data: bytes) -> int:
    """Header CRC-8: polynomial 0x2F, initial value 0xFF, no final XOR."""
    c = 0xFF
    for b in data:
        c = int(_CRC8[c ^ b])
    return c


def crc16(data: bytes) -> int:
    """Payload CRC-16: polynomial 0x755B, initial value 0xFFFF, no final XOR."""
    c = 0xFFFF
    for b in data:
        c = ((c << 8) & 0xFFFF) ^ int(_CRC16[(c >> 8) ^ b])
    return c


@lru_cache(maxsize=4)
def _whitening_sequence(n: int) -> np.ndarray:
    out = np.empty(n, dtype=np.uint8)
    lfsr = 0xFF
    for i in range(n):
        out[i] = lfsr
        fb = ((lfsr >> 7) ^ (lfsr >> 5) ^ (lfsr >> 4) ^ (lfsr >> 3)) & 1
        lfsr = ((lfsr << 1) | fb) & 0xFF
    return out


def whiten(data: bytes) -> bytes:
    """Payload whitening: XOR with the LFSR sequence, then swap the nibbles."""
    u = np.frombuffer(bytes(data), dtype=np.uint8) ^ _whitening_sequence(255)[: len(data)]
    return (((u & 0x0F) << 4) | (u >> 4)).astype(np.uint8).tobytes()


def dewhiten(data: bytes) -> bytes:
    """Inverse of :func:`whiten`."""
    u = np.frombuffer(bytes(data), dtype=np.uint8)
    u = (((u & 0x0F) << 4) | (u >> 4)).astype(np.uint8)
    return (u ^ _whitening_sequence(255)[: len(data)]).tobytes()


@dataclass(frozen=True)
class ConvCode:
    """A feed-forward convolutional code, rate 1/len(masks), constraint length ``k``.

    The shift register holds the input bit in bit 0 and older bits above it;
    output ``o`` is the parity of ``register & masks[o]``, sent in mask order.
    """

    masks: tuple[int, ...]
    k: int

    @property
    def n_out(self) -> int:
        return len(self.masks)

    @property
    def n_states(self) -> int:
        return 1 << (self.k - 1)

    def output_table(self) -> np.ndarray:
        """(2**k, n_out) table of the coded bits for every register value."""
        reg = np.arange(1 << self.k)
        out = np.zeros((1 << self.k, self.n_out), dtype=np.uint8)
        for o, m in enumerate(self.masks):
            v = reg & m
            par = np.zeros_like(v)
            for b in range(self.k):
                par ^= (v >> b) & 1
            out[:, o] = par
        return out

    def encode(self, bits: np.ndarray, state: int = 0) -> tuple[np.ndarray, int]:
        """Coded bits (n_out per input bit) and the final state."""
        bits = np.asarray(bits, dtype=np.int64)
        table = self.output_table()
        s = state
        regs = np.empty(len(bits), dtype=np.int64)
        for i, b in enumerate(bits):  # per-frame work: at most ~2100 bits
            r = (s << 1) | int(b)
            regs[i] = r
            s = r & (self.n_states - 1)
        return table[regs].reshape(-1), s


HEADER_CODE = ConvCode(masks=(0b11101, 0b10011), k=5)  # (23, 35) octal, newest bit first
PAYLOAD_CODE = ConvCode(masks=(0b1101101, 0b1001111, 0b1010111), k=7)  # (133, 171, 165)


def encode_header_bits(bits40: np.ndarray) -> np.ndarray:
    """Tail-biting rate-1/2 coding of the 40 header bits (80 coded bits)."""
    _, state = HEADER_CODE.encode(bits40, 0)
    coded, _ = HEADER_CODE.encode(bits40, state)
    return coded


@lru_cache(maxsize=1)
def header_interleaver() -> np.ndarray:
    """Position ``j`` of the sent header bits carries coded bit ``perm[j]``.

    Strides of 18 through the 80 coded bits, the start positions 0..17 taken
    in the order of their remainder modulo 4.
    """
    starts = sorted(range(18), key=lambda s: (s % 4, s))
    perm = [s + 18 * m for s in starts for m in range(5) if s + 18 * m < 80]
    return np.array(perm, dtype=np.int64)


def puncture_mask(cr: int, n: int) -> np.ndarray:
    """Which of ``n`` mother-code bits are sent at coding rate ``cr`` (bool)."""
    if cr == 3:
        return np.ones(n, dtype=bool)
    pattern = np.array(_PUNCTURE_BASE[: _PUNCTURE_LEN[cr]], dtype=bool)
    return np.resize(pattern, n)


def payload_mother_bits(length: int) -> int:
    """Input bits of the payload code: payload, CRC-16 and 6 tail bits."""
    return 8 * (length + 2) + 6


def payload_coded_bits(length: int, cr: int) -> int:
    """Sent (punctured) payload bits for a payload of ``length`` bytes."""
    return int(puncture_mask(cr, 3 * payload_mother_bits(length)).sum())


def n_fragments(length: int, cr: int) -> int:
    """Payload hops for ``length`` bytes at coding rate ``cr``."""
    return -(-payload_coded_bits(length, cr) // FRAG_BITS)


@lru_cache(maxsize=64)
def payload_interleaver(n: int) -> np.ndarray:
    """Position ``j`` of the sent payload bits carries punctured bit ``perm[j]``.

    The read position advances by twice the rounded-up square root of ``n``;
    when it runs past the end it restarts half a root further on, and after a
    full cycle of restarts one position later than the previous cycle began.
    """
    root = 0
    while root * root < n:
        root += 1
    half, step = root >> 1, root << 1
    perm = np.empty(n, dtype=np.int64)
    pos = start = cycle = 0
    for j in range(n):  # per-frame work, cached per length
        perm[j] = pos
        pos += step
        if pos >= n:
            start += half
            if start >= step:
                cycle += 1
                start = cycle
            pos = start
    return perm


def encode_payload(payload: bytes, cr: int) -> np.ndarray:
    """Sent payload bits in air order (before splitting into fragments)."""
    wh = whiten(payload)
    c = crc16(wh)
    bits = np.concatenate(
        [bytes_to_bits(wh + bytes([c >> 8, c & 0xFF])), np.zeros(6, dtype=np.uint8)]
    )
    coded, _ = PAYLOAD_CODE.encode(bits, 0)
    kept = coded[puncture_mask(cr, len(coded))]
    return kept[payload_interleaver(len(kept))]


@dataclass(frozen=True)
class HeaderFields:
    """What an LR-FHSS header says."""

    length: int
    cr: int
    grid: int
    hopping: bool
    bw: int
    hop_seq_id: int
    index: int  # copies still to come after this one (0 on the last)
    modulation: int = 0
    reserved: int = 0

    def to_bytes(self) -> bytes:
        """The 5 header bytes (4 fields and CRC-8)."""
        b = bytes(
            [
                self.length & 0xFF,
                ((self.modulation & 7) << 5)
                | ((self.cr & 3) << 3)
                | ((self.grid & 1) << 2)
                | (2 if self.hopping else 0)
                | ((self.bw >> 3) & 1),
                ((self.bw & 7) << 5) | ((self.hop_seq_id >> 4) & 0x1F),
                ((self.hop_seq_id & 0xF) << 4) | ((self.index & 3) << 2) | (self.reserved & 3),
            ]
        )
        return b + bytes([crc8(b)])

    @classmethod
    def from_bytes(cls, data: bytes) -> HeaderFields | None:
        """Fields of 5 header bytes, or None when the CRC-8 does not match."""
        if len(data) != 5 or crc8(data[:4]) != data[4]:
            return None
        b0, b1, b2, b3 = data[:4]
        return cls(
            length=b0,
            cr=(b1 >> 3) & 3,
            grid=(b1 >> 2) & 1,
            hopping=bool(b1 & 2),
            bw=((b1 & 1) << 3) | (b2 >> 5),
            hop_seq_id=((b2 & 0x1F) << 4) | (b3 >> 4),
            index=(b3 >> 2) & 3,
            modulation=b1 >> 5,
            reserved=b3 & 3,
        )


def header_block(fields: HeaderFields, sync_word: bytes) -> np.ndarray:
    """The 114 bits of one header hop: guard, 40 coded bits, sync word, 40 coded bits."""
    coded = encode_header_bits(bytes_to_bits(fields.to_bytes()))
    sent = coded[header_interleaver()]
    return np.concatenate(
        [
            np.zeros(GUARD_BITS, dtype=np.uint8),
            sent[:HALF_HEADER_BITS],
            bytes_to_bits(sync_word),
            sent[HALF_HEADER_BITS:],
        ]
    )


def payload_blocks(coded: np.ndarray) -> list[np.ndarray]:
    """Split the sent payload bits into hop blocks (2 guard bits + up to 48 bits)."""
    guard = np.zeros(GUARD_BITS, dtype=np.uint8)
    return [
        np.concatenate([guard, coded[i : i + FRAG_BITS]]) for i in range(0, len(coded), FRAG_BITS)
    ]


def depuncture(soft: np.ndarray, cr: int, n_mother: int) -> np.ndarray:
    """Soft values of the rate-1/3 mother code, zero where a bit was not sent."""
    mask = puncture_mask(cr, n_mother)
    out = np.zeros(n_mother, dtype=np.float32)
    out[mask] = soft
    return out
