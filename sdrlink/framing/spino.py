"""SPINO framing (Electrolab's SPINO payload, flown on INSPIRE-SAT 7): fixed-size frames.

After the 32-bit sync word 0x2EFC9827 come 240 bytes (MSB first, no
whitening, no FEC): the frame, whose bytes 16 and 17 are a little-endian
length ``L`` counting the frame's bytes after its 14-byte address header
(the frame is ``L + 14`` bytes), then its CRC-16/XMODEM (polynomial 0x1021,
initial value 0, low byte first), then padding up to the 240 bytes.

Facts from gr-satellites master (``spino_deframer.py``: sync word, exact
match, the 240 bytes, the length field and how it counts, the CRC and its
byte order; ``crcs.py``: ``crc16_ccitt_zero``). gr-satellites points to the
SPINO team's specification (Electrolab, "Présentation Spino", 2023), not
read here, and no recording was at hand: the padding's content (zeros in
the encoder) and the preamble are guesses that the deframer does not rely
on. The frame with its address header is reported, without the CRC.
Fields: ``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_XMODEM
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

SYNC = bits_from_string("00101110111111001001100000100111")
PACKET = 240
HEADER = 14  # address header ahead of what the length counts
MIN_FRAME = 18  # up to the end of the length field (bytes 16-17)
MAX_FRAME = PACKET - 2


def _length(head: bytes) -> int | None:
    """Frame length (bytes, CRC excluded) from the first 18 bytes, or None if impossible."""
    n = int.from_bytes(head[16:18], "little") + HEADER
    return n if MIN_FRAME <= n <= MAX_FRAME else None


def needed(after: np.ndarray) -> int | None:
    if len(after) < 8 * MIN_FRAME:
        return 8 * MIN_FRAME
    n = _length(pack_msb(after[: 8 * MIN_FRAME]))
    return None if n is None else 8 * (n + 2)


def decode(soft: np.ndarray) -> list[Decoded]:
    bits = hard_bits(soft)
    if len(bits) < 8 * MIN_FRAME:
        return []
    n = _length(pack_msb(bits[: 8 * MIN_FRAME]))
    if n is None or len(bits) < 8 * (n + 2):
        return []
    packet = pack_msb(bits[: 8 * (n + 2)])
    if not CRC16_XMODEM.verify(packet, "little"):
        return []
    return [Decoded(packet[:n], True, 8 * (n + 2))]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, sync word, the frame, its CRC, zeros to 240 bytes."""
    frame = bytes(payload)
    if not MIN_FRAME <= len(frame) <= MAX_FRAME:
        raise ConfigError(f"SPINO frames are {MIN_FRAME}..{MAX_FRAME} bytes")
    if int.from_bytes(frame[16:18], "little") != len(frame) - HEADER:
        raise ConfigError("a SPINO frame's bytes 16-17 (little-endian) count its bytes after 14")
    packet = (frame + CRC16_XMODEM.to_bytes(frame, "little")).ljust(PACKET, b"\x00")
    n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
    pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
    return EncodedFrame(np.concatenate([pre, SYNC, unpack_msb(packet), pre[:16]]), n_pre)


def spino_frame(head: bytes, body: bytes) -> bytes:
    """A SPINO frame: the 16 bytes ahead of its length field (the 14-byte address
    header and two more), the length field, then ``body``."""
    if len(head) != MIN_FRAME - 2:
        raise ConfigError(f"a SPINO frame has {MIN_FRAME - 2} bytes ahead of its length field")
    return head + (len(body) + MIN_FRAME - HEADER).to_bytes(2, "little") + body


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 0, 8 * PACKET, decode, invert, needed=needed)


FRAMINGS = (
    Framing(
        name="spino",
        description="SPINO: sync 0x2EFC9827, 240-byte frames, length field, CRC-16/XMODEM",
        make_deframer=_make,
        encode=encode,
        aliases=("SPINO",),
        max_payload=MAX_FRAME,
    ),
)
