"""YUSAT framing (9600 Bd FSK): AX.25 frames between byte-aligned 0x7E flags, NRZ.

YUSAT-1 sends AX.25 frames with their FCS (CRC-16/X.25, low byte first)
between 0x7E flags, but not as HDLC: bytes go MSB first, without bit stuffing
or NRZI, and the flags stay aligned with the bytes. The deframer therefore
looks for a 0x7E byte not followed by another (the last flag of the
preamble), then for the first later 0x7E byte before which the bytes end
with a valid FCS and begin with AX.25 addresses (a data byte may equal
0x7E). Facts from gr-satellites 4.4.0 (``yusat_deframer.py``: flag as sync
word, up to 256 bytes, FCS check; ``YUSAT-1.yml``: the frames are AX.25
telemetry). Both limits matter: an 8-bit sync word and a 16-bit FCS tried at
every 0x7E byte would pass on noise about every quarter of an hour at 9600
Bd; and the addresses must be AX.25's, each callsign byte a character shifted
left (its low bit clear): the fuzz run found a frame of random bits whose
addresses passed as printable text (one in about 1.5e9 symbols). Fields: the
AX.25 addresses (``dst``, ``src``, ``via``, ``addresses``), ``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_X25
from sdrlink.errors import ConfigError
from sdrlink.framing.ax25 import parse_addresses
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.syncframe import (
    Decoded,
    SyncDeframer,
    bits_from_string,
    hard_bits,
    pack_msb,
    unpack_msb,
)

FLAG = 0x7E
SYNC = bits_from_string("01111110")
WINDOW = 256  # bytes after the opening flag, as gr-satellites
MIN_FRAME = 3  # one byte and the FCS


def _shifted_calls(header: bytes) -> bool:
    """Whether every callsign byte of the address fields has its low bit clear, as
    AX.25 shifts the characters left (only each field's SSID byte holds a flag
    there): one more bit per character that noise must get right."""
    fields = np.frombuffer(header, np.uint8).reshape(-1, 7)
    return not np.any(fields[:, :6] & 1)


def decode_block(soft: np.ndarray) -> list[Decoded]:
    data = pack_msb(hard_bits(soft))
    if not data or data[0] == FLAG:
        return []  # a flag of the preamble: the frame starts after a later one
    for k in np.flatnonzero(np.frombuffer(data, np.uint8) == FLAG).tolist():
        if k >= MIN_FRAME and CRC16_X25.verify(data[:k], "little"):
            frame = data[: k - 2]
            addr = parse_addresses(frame)
            if addr is None:
                continue
            header = addr["header_len"]
            assert isinstance(header, int)
            if not _shifted_calls(frame[:header]):
                continue
            fields = {key: v for key, v in addr.items() if key != "header_len"}
            return [Decoded(frame, True, 8 * (k + 1), fields)]
    return []


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Flags, the frame and its FCS, two closing flags (bytes MSB first)."""
    if not 1 <= len(payload) <= WINDOW - 3:
        raise ConfigError(f"YUSAT frames carry 1..{WINDOW - 3} bytes")
    n_pre = max(4, -(-preamble_bits // 8))
    body = bytes(payload) + CRC16_X25.to_bytes(payload, "little")
    data = bytes([FLAG]) * n_pre + body + bytes([FLAG, FLAG])
    return EncodedFrame(unpack_msb(data), 8 * (n_pre - 1))


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 0, 8 * WINDOW, decode_block, invert)


FRAMINGS = (
    Framing(
        name="yusat",
        description="YUSAT: AX.25 frames between byte-aligned 0x7E flags, no stuffing, NRZ",
        make_deframer=_make,
        encode=encode,
        aliases=("YUSAT",),
        max_payload=WINDOW - 3,
        ax25=True,
    ),
)
