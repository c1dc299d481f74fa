"""HADES-R (AMSAT-EA) 200 Bd FSK framing: sync word, typed packets, CRC-16, scrambler.

After the 16-bit sync word 0xBF35 comes a packet, MSB first, whose first
byte's high nibble is its type; the type fixes the packet's length (bytes,
type byte and CRC included): 1: 26, 2: 13, 3: 26, 4: 54, 5: 33, 6: 135, 7: 67,
8: 28, 9: 123, 12: 64 (others are not packets). The last two bytes are a
CRC-16/CCITT-FALSE, high byte first, of the bytes before it as sent. The
bytes between the type byte and the CRC are scrambled with AMSAT-EA's
"Genesis" scrambler, which gr-satellites describes as a self-synchronising
x^17 + x^12 + 1 scrambler (as G3RUH's) that, by a quirk of its
implementation, takes only the 7 high bits of every byte (the low bit goes
as it is and does not enter the register), with a register starting as
0x10000 (the bit 17 steps back set). Descrambled bit i of that 7-bit stream
is ``x[i] ^ x[i-12] ^ x[i-17]``, ``x`` the received bits after that start.
The frame is the type byte and the descrambled bytes, without the CRC.

Facts from gr-satellites master (``hades_deframer.py``: sync word with no
error allowed, 135 bytes after it, the length table, the CRC, the
descrambler and its quirk, which its comments take from AMSAT-EA's own
decoder, ``URESAT-1-decoder/genesis_scrambler.c``, not read here). AMSAT-EA's
"HADES-D Transmissions description" is the primary source gr-satellites
cites; not read here, and no recording was at hand. Fields: ``packet_type``,
``sync_errors``, ``inverted``.
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

SYNC = bits_from_string("1011111100110101")
LENGTHS = {1: 26, 2: 13, 3: 26, 4: 54, 5: 33, 6: 135, 7: 67, 8: 28, 9: 123, 12: 64}
MAX_PACKET = max(LENGTHS.values())
TAPS = (12, 17)
_HISTORY = np.zeros(17, np.uint8)
_HISTORY[0] = 1  # x[-17] = 1: the register's start 0x10000


def _high_bits(data: bytes) -> np.ndarray:
    """The 7 high bits of every byte, in order (MSB first): shape (len * 7,)."""
    return np.unpackbits(np.frombuffer(data, np.uint8)).reshape(-1, 8)[:, :7].ravel()


def _with_high_bits(data: bytes, high: np.ndarray) -> bytes:
    bits = np.unpackbits(np.frombuffer(data, np.uint8)).reshape(-1, 8)
    bits[:, :7] = high.reshape(-1, 7)
    return np.packbits(bits.ravel()).tobytes()


def descramble(data: bytes) -> bytes:
    """Undo the Genesis scrambler on ``data`` (the bytes between type byte and CRC)."""
    if not data:
        return b""
    x = np.concatenate([_HISTORY, _high_bits(data)])
    n = len(x) - 17
    out = x[17:] ^ x[17 - TAPS[0] : 17 - TAPS[0] + n] ^ x[:n]
    return _with_high_bits(data, out)


def scramble(data: bytes) -> bytes:
    """The Genesis scrambler (for the encoder): recursive, one bit at a time."""
    if not data:
        return b""
    d = _high_bits(data)
    x = np.concatenate([_HISTORY, np.zeros(len(d), np.uint8)])
    for i in range(len(d)):  # per frame, at most 924 bits
        x[17 + i] = d[i] ^ x[17 + i - TAPS[0]] ^ x[i]
    return _with_high_bits(data, x[17:])


def _length(first: int) -> int | None:
    return LENGTHS.get(first >> 4)


def needed(after: np.ndarray) -> int | None:
    if len(after) < 8:
        return 8
    n = _length(int(np.packbits(after[:8])[0]))
    return None if n is None else 8 * n


def decode(soft: np.ndarray) -> list[Decoded]:
    bits = hard_bits(soft)
    if len(bits) < 8:
        return []
    n = _length(int(np.packbits(bits[:8])[0]))
    if n is None or len(bits) < 8 * n:
        return []
    packet = pack_msb(bits[: 8 * n])
    if not CRC16_CCITT_FALSE.verify(packet, "big"):
        return []
    frame = packet[:1] + descramble(packet[1:-2])
    return [Decoded(frame, True, 8 * n, {"packet_type": packet[0] >> 4})]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, sync word, the packet of ``payload`` (type byte and
    data: as long as its type says, less the CRC)."""
    frame = bytes(payload)
    n = _length(frame[0]) if frame else None
    if n is None or len(frame) != n - 2:
        raise ConfigError(
            "a HADES-R frame is a type byte (high nibble "
            + ", ".join(map(str, LENGTHS))
            + ") and the data its type's length leaves for it"
        )
    body = frame[:1] + scramble(frame[1:])
    packet = body + CRC16_CCITT_FALSE.to_bytes(body, "big")
    n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
    pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
    return EncodedFrame(np.concatenate([pre, SYNC, unpack_msb(packet), pre[:16]]), n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 0, 8 * MAX_PACKET, decode, invert, needed=needed)


FRAMINGS = (
    Framing(
        name="hades_r",
        description="HADES-R (AMSAT-EA): sync 0xBF35, typed packets, CRC-16, Genesis scrambler",
        make_deframer=_make,
        encode=encode,
        aliases=("HADES-R",),
        max_payload=MAX_PACKET - 2,
    ),
)
