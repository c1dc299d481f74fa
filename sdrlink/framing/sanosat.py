"""SanoSat-1 (NEPAL-PQ1) GFSK framing: sync word, length, two CRC-16s.

After the 16-bit sync word come, MSB first: a length byte ``L``, a CRC-16
"CRC1" (2 bytes), the delimiter 0xFF 0xFF 0x00 0x00, ``L - 4`` data bytes and
"CRC2", a CRC-16/CCITT-FALSE (CRC-CCITT from 0xFFFF) of the length byte,
the delimiter and the data, low byte first. The frame is the data.

Sources: AMSAT-NP's "SANOSAT-1 Communication Protocols" page (the layout,
``L`` counting CRC1, data and CRC2, what CRC2 covers, CRC-CCITT from
0xFFFF; CRC1 is "CRC of Length"); gr-satellites master
(``sanosat_deframer.py``: the sync word 0xB42B with no error allowed, at
most 135 bytes after it, CRC2's byte order, CRC1 not checked). AMSAT-NP
gives the sync word as 0x2D 0xD4 "sent MSB first" for its digital repeater;
gr-satellites' 0xB42B is those bytes bit-reversed (its comment's "0xB22B" is
a slip), and is used here. CRC1 is not required (its byte order and exact
definition are not confirmed): the encoder writes CRC-16/CCITT-FALSE of the
length byte, low byte first, and each frame reports in ``header_crc_ok``
whether its CRC1 is that. No recording was at hand. Fields:
``header_crc_ok``, ``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_CCITT_FALSE
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

SYNC = bits_from_string("1011010000101011")
DELIMITER = b"\xff\xff\x00\x00"
MAX_PACKET = 135  # bytes after the sync word gr-satellites looks at
MAX_DATA = MAX_PACKET - 9


def _packet_bytes(length: int) -> int | None:
    """Bytes after the sync word of a packet whose length byte is ``length``."""
    return length + 5 if 4 <= length <= MAX_DATA + 4 else None


def needed(after: np.ndarray) -> int | None:
    if len(after) < 8:
        return 8
    n = _packet_bytes(int(np.packbits(after[:8])[0]))
    return None if n is None else 8 * n


def decode(soft: np.ndarray) -> list[Decoded]:
    bits = hard_bits(soft)
    if len(bits) < 8:
        return []
    n = _packet_bytes(int(np.packbits(bits[:8])[0]))
    if n is None or len(bits) < 8 * n:
        return []
    packet = pack_msb(bits[: 8 * n])
    checked = packet[:1] + packet[3:]  # without CRC1
    if not CRC16_CCITT_FALSE.verify(checked, "little"):
        return []
    header_ok = CRC16_CCITT_FALSE.to_bytes(packet[:1], "little") == packet[1:3]
    return [Decoded(packet[7:-2], True, 8 * n, {"header_crc_ok": header_ok})]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, sync word, the packet of ``payload`` (<= 126 bytes)."""
    data = bytes(payload)
    if len(data) > MAX_DATA:
        raise ConfigError(f"SanoSat-1 frames carry at most {MAX_DATA} bytes")
    length = bytes([len(data) + 4])
    body = length + DELIMITER + data
    packet = (
        length
        + CRC16_CCITT_FALSE.to_bytes(length, "little")
        + DELIMITER
        + data
        + CRC16_CCITT_FALSE.to_bytes(body, "little")
    )
    n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
    pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
    return EncodedFrame(np.concatenate([pre, SYNC, unpack_msb(packet), pre[:16]]), n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 0, 8 * MAX_PACKET, decode, invert, needed=needed)


FRAMINGS = (
    Framing(
        name="sanosat",
        description="SanoSat-1: sync 0xB42B, length byte, delimiter, CRC-16/CCITT-FALSE",
        make_deframer=_make,
        encode=encode,
        aliases=("SanoSat",),
        max_payload=MAX_DATA,
    ),
)
