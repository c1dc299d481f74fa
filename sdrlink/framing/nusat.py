"""NuSat framing (Satellogic NuSat-1/2, 40 kBd FSK): sync word, RS(64,60), CRC-8.

After the 32-bit sync word 0x01E5AACC come 64 bytes (MSB first), a shortened
Reed-Solomon codeword (field polynomial 0x11D, first root 1, primitive
element 1, 4 parity bytes at the end: 2 byte errors corrected). Its first
byte is the packet length, the second a CRC-8 (polynomial 0x07, init 0) of
the packet, which follows, XORed with a fixed 64-byte sequence. Facts from
gr-satellites 4.4.0 (``nusat_deframer.py``: sync word, exact; its
``nusat_decoder`` block: RS parameters, header, CRC and the XOR sequence,
which it applies to the 255-byte zero-extended block: the same code as the
shortened RS(64,60) with the parity last). Fields: ``rs_corrected``,
``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC8_SMBUS
from sdrlink.coding.reedsolomon import ReedSolomon
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.syncframe import (
    Decoded,
    SyncDeframer,
    bits_from_string,
    hard_bits,
    pack_msb,
    unpack_msb,
)

SYNC = bits_from_string("00000001111001011010101011001100")
RS = ReedSolomon(nroots=4, fcr=1, prim=1, gfpoly=0x11D)
BLOCK, HEADER = 64, 2
MAX_PACKET = BLOCK - RS.nroots - HEADER  # 58 bytes
# the XOR sequence of the packet bytes (NuSat's, as gr-satellites lists it)
SEQUENCE = bytes.fromhex(
    "1d8b060c54df21cb5c74e31568044191 7a3d7a8130571a0a09db33571f86ef58"
    "e016bd9ba642fb09d6cbe1278ee7951b 464ceec3757da61cf2450100feaffd03"
)


def _xor(packet: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(packet, SEQUENCE, strict=False))


def decode_block(soft: np.ndarray) -> list[Decoded]:
    if len(soft) < 8 * BLOCK:
        return []
    res = RS.decode(pack_msb(hard_bits(soft[: 8 * BLOCK])))
    if res is None:
        return []
    data, corrected = res
    length = data[0]
    if length > MAX_PACKET:
        return []
    packet = _xor(data[HEADER : HEADER + length])
    if CRC8_SMBUS(packet) != data[1]:
        return []
    return [Decoded(packet, True, 8 * BLOCK, {"rs_corrected": corrected})]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, sync word, the RS codeword of header and packet."""
    if not 1 <= len(payload) <= MAX_PACKET:
        raise ConfigError(f"NuSat packets carry 1..{MAX_PACKET} bytes")
    # the bytes after the packet are ours to choose: the XOR sequence continued keeps
    # the bits balanced (zeros would make a long run an FSK receiver's DC tracking follows)
    packet = _xor(bytes(payload).ljust(MAX_PACKET, b"\x00"))
    data = bytes([len(payload), CRC8_SMBUS(payload)]) + packet
    n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
    bits = np.concatenate(
        [
            (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1,
            SYNC,
            unpack_msb(data + RS.encode(data) + b"\xaa\xaa"),
        ]
    )
    return EncodedFrame(bits, n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 0, 8 * BLOCK, decode_block, invert)


FRAMINGS = (
    Framing(
        name="nusat",
        description="NuSat: sync 0x01E5AACC, RS(64,60) over 0x11D, length, CRC-8, XOR sequence",
        make_deframer=_make,
        encode=encode,
        aliases=("NuSat",),
        max_payload=MAX_PACKET,
    ),
)
