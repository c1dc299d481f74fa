"""Framings built on TI CC11xx transceivers: "3CAT-1", "Reaktor Hello World", "Light-1".

Both send NRZ bits MSB first: a 0xAA preamble, a 32-bit sync word, then a
packet whitened with PN9 (x^9 + x^5 + 1 from the all-ones state, restarted
at every packet: :func:`sdrlink.coding.scramblers.pn9_xor`; TI design note
DN509). Facts from gr-satellites 4.4 (``sat_3cat_1_deframer.py``,
``reaktor_hello_world_deframer.py``, ``cc11xx_packet_crop.py``,
``check_cc11xx_crc.py``, ``lib/pdu_head_tail_impl.cc``):

* **3CAT-1**: sync word 0xD391D391 (the CC1101's default 0xD391, twice); the
  packet is one 255-byte Reed-Solomon codeword, 223 data bytes and 32 parity
  bytes of the code over GF(2^8) with field polynomial 0x11D, first root 1,
  primitive element 1 (the common "RS(255,223)" of Phil Karn's library, not the
  CCSDS one). The 223 data bytes are the frame.
* **Reaktor Hello World**: sync word 0x352E352E; the CC11xx variable-length
  packet: a length byte ``L``, ``L`` bytes, and the radio's CRC-16 (polynomial
  0x8005, initial value 0xFFFF, no reflection, high byte first: CRC-16/CMS)
  over the length byte and the data. The frame is the ``L`` data bytes.
* **Light-1** (also Bluebird 1-5 and BlueWalker 3): Reaktor Hello World's
  packet behind sync word 0x930B51DE (gr-satellites master,
  ``reaktor_hello_world_deframer.py`` with ``syncword='light-1'``; 4 errors
  allowed as for Reaktor). The sync word is the AX100's, so AX100 deframers
  see these packets too (and reject them: no Golay field and RS block).

Fields: ``sync_errors``, ``inverted``, and ``rs_corrected`` (3CAT-1).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_CMS
from sdrlink.coding.reedsolomon import ReedSolomon
from sdrlink.coding.scramblers import pn9_xor
from sdrlink.framing.base import EncodedFrame, Framing
from sdrlink.framing.sync import Decoded, SyncDeframer, bits_of

SYNC_3CAT1 = 0xD391D391
SYNC_REAKTOR = 0x352E352E
SYNC_LIGHT1 = 0x930B51DE
PACKET = 255
MAX_SYNC_ERRORS = 4  # as gr-satellites
#: the RS code of 3CAT-1 (see the module docstring)
RS_3CAT1 = ReedSolomon(nroots=32, fcr=1, prim=1, gfpoly=0x11D)
MAX_REAKTOR = PACKET - 3


@functools.lru_cache(maxsize=16)
def _correct_3cat1(packet: bytes) -> tuple[bytes, int] | None:
    return RS_3CAT1.decode(pn9_xor(packet))


class Cat1Deframer(SyncDeframer):
    """Sync word, PN9 de-whitening, RS(255,223) over the whole packet.

    The RS code has the all-0xFF word among its codewords (its roots are not 1),
    so the complement of a packet is a packet too and only the sync word and
    the 0xAA preamble before it tell the polarity: both are checked.
    """

    preamble = bits_of(0xAAAA, 16)

    def __init__(self, invert: bool | None) -> None:
        super().__init__(bits_of(SYNC_3CAT1, 32), MAX_SYNC_ERRORS, 8 * PACKET, invert)

    def decode(self, bits: np.ndarray, soft: np.ndarray, sync_errors: int) -> Decoded | None:
        if len(bits) < 8 * PACKET:
            return None
        res = _correct_3cat1(np.packbits(bits[: 8 * PACKET]).tobytes())
        if res is None:
            return None
        return Decoded(res[0], True, {"rs_corrected": res[1]})


_PN9_FIRST = pn9_xor(b"\x00")[0]  # whitening of the length byte


class ReaktorDeframer(SyncDeframer):
    """Sync word, PN9 de-whitening, length byte, CRC-16/CMS."""

    header_bits = 8

    def __init__(self, invert: bool | None, sync: int = SYNC_REAKTOR) -> None:
        super().__init__(bits_of(sync, 32), MAX_SYNC_ERRORS, 8 * PACKET, invert)

    def needed(self, head: np.ndarray) -> int | None:
        length = int(np.packbits(head[:8])[0]) ^ _PN9_FIRST
        return 8 * (length + 3) if 0 < length <= MAX_REAKTOR else None

    def decode(self, bits: np.ndarray, soft: np.ndarray, sync_errors: int) -> Decoded | None:
        raw = np.packbits(bits[: 8 * (len(bits) // 8)]).tobytes()
        packet = pn9_xor(raw)
        length = packet[0]
        if not 0 < length <= MAX_REAKTOR or len(packet) < length + 3:
            return None
        packet = packet[: length + 3]
        if not CRC16_CMS.verify(packet, "big"):
            return None
        return Decoded(packet[1 : 1 + length], True, {})


def _bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8))


def encode_3cat1(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One 3CAT-1 transmission: ``payload`` zero-padded to 223 bytes (the receiver
    returns the padded block), RS parity, PN9 whitening."""
    if len(payload) > RS_3CAT1.max_data:
        raise ValueError(f"3CAT-1 frames carry {RS_3CAT1.max_data} bytes")
    data = bytes(payload).ljust(RS_3CAT1.max_data, b"\x00")
    n_pre = max(4, -(-preamble_bits // 8))
    packet = pn9_xor(data + RS_3CAT1.encode(data))
    raw = b"\xaa" * n_pre + SYNC_3CAT1.to_bytes(4, "big") + packet + b"\xaa" * 2
    return EncodedFrame(_bits(raw), 8 * n_pre)


def encode_reaktor(
    payload: bytes, options: Mapping[str, Any], preamble_bits: int, sync: int = SYNC_REAKTOR
) -> EncodedFrame:
    """One Reaktor Hello World (or, with its ``sync``, Light-1) transmission (1..252
    bytes): length, data, CRC, PN9."""
    if not 0 < len(payload) <= MAX_REAKTOR:
        raise ValueError(f"Reaktor Hello World frames carry 1..{MAX_REAKTOR} bytes")
    body = bytes([len(payload)]) + bytes(payload)
    n_pre = max(4, -(-preamble_bits // 8))
    packet = pn9_xor(body + CRC16_CMS.to_bytes(body, "big"))
    raw = b"\xaa" * n_pre + sync.to_bytes(4, "big") + packet + b"\xaa" * 2
    return EncodedFrame(_bits(raw), 8 * n_pre)


FRAMINGS = (
    Framing(
        name="3cat1",
        description="3CAT-1: sync 0xD391D391, PN9 whitening, RS(255,223) (field 0x11D)",
        make_deframer=lambda options, invert: Cat1Deframer(invert),
        encode=encode_3cat1,
        aliases=("3CAT-1",),
        max_payload=RS_3CAT1.max_data,
    ),
    Framing(
        name="reaktor_hello_world",
        description="Reaktor Hello World: sync 0x352E352E, PN9, CC11xx length byte, CRC-16",
        make_deframer=lambda options, invert: ReaktorDeframer(invert),
        encode=encode_reaktor,
        aliases=("Reaktor Hello World",),
        max_payload=MAX_REAKTOR,
    ),
    Framing(
        name="light1",
        description="Light-1, Bluebird, BlueWalker 3: Reaktor's packet behind sync 0x930B51DE",
        make_deframer=lambda options, invert: ReaktorDeframer(invert, SYNC_LIGHT1),
        encode=lambda payload, options, pre: encode_reaktor(payload, options, pre, SYNC_LIGHT1),
        aliases=("Light-1",),
        max_payload=MAX_REAKTOR,
    ),
)
