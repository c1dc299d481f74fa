"""IDEASSat framing: a 200-byte frame in nine UART-coded sub-packets, NRZI.

IDEASSat (NCU, Taiwan) sends each frame as 9 sub-packets of 40 bytes: a 0x7E
flag, a 15-byte header (callsigns in plain ASCII, ``BN0CU 0`` ``BN0IDA0``, and
0xF0), the sub-packet index (0..8), 22 data bytes and a closing 0x7E. Every
byte goes out as a UART character (a 0 start bit, 8 data bits MSB first, a 1
stop bit), the whole bit stream NRZI-coded (1 = no change). The 198 data
bytes hold 4 unprotected bytes, 181 bytes, a CRC-16/CCITT-FALSE of those 181
(low byte first) and 11 bytes of padding. Besides the CRC, five of the eight
later sub-packets must carry their own index (the fuzz run found a window
a little off a frame, whose CRC passed by chance). The decoded frame is the header
followed by the 185 data bytes (200 bytes, as gr-satellites outputs it).

The sync word is the last four UART characters before sub-packet 0's data
(``A``, ``0``, 0xF0, index 0), as gr-satellites 4.4.0 searches it
(``ideassat_deframer.py``, which gives the layout above; the index byte and the
padding come from the frames in ``ideassat.wav``); we accept up to 3 bit errors
in it (gr-satellites none), the CRC decides. The header is not covered
by the CRC, so the deframer takes each header byte by majority over the eight
copies of sub-packets 1..8. Fields: ``uart_errors`` (start/stop bits that
were wrong), ``header_votes`` (sub-packet headers that agree with the
majority).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import crc16_ccitt_false
from sdrlink.coding.linecode import nrzi_encode
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.syncframe import Decoded, SyncDeframer, bits_from_string, hard_bits

SYNC = bits_from_string("0010000011000110000101111000010000000001")
SUBPACKETS, SUB_BYTES, HEADER, DATA = 9, 40, 15, 22
SYNC_AT = 13  # sub-packet 0 byte where the sync word starts
FRAME_BYTES = HEADER + 185
BLOCK_BITS = 10 * (SUBPACKETS * SUB_BYTES - SYNC_AT - 4)  # UART bits after the sync
SYNC_HEADER_END = b"A0\xf0"  # the header's last bytes, in the sync word
MAX_SYNC_ERRORS = 3  # of 40 bits: random data matches once in ~1e8 positions
MIN_INDICES = 5  # of the 8 sub-packet index bytes after the first, right


def uart_bits(data: bytes) -> np.ndarray:
    """UART characters of ``data``: start bit 0, 8 bits MSB first, stop bit 1."""
    b = np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8)).reshape(-1, 8)
    n = len(b)
    return np.hstack([np.zeros((n, 1), np.uint8), b, np.ones((n, 1), np.uint8)]).ravel()


def decode_block(soft: np.ndarray) -> list[Decoded]:
    """The frame in the UART characters after the sync word (none if the CRC fails)."""
    if len(soft) < BLOCK_BITS:
        return []
    chars = hard_bits(soft[:BLOCK_BITS]).reshape(-1, 10)
    uart_errors = int(np.count_nonzero(chars[:, 0]) + np.count_nonzero(chars[:, 9] == 0))
    data = np.packbits(chars[:, 1:9], axis=1).ravel()
    subs = np.concatenate([np.zeros(SYNC_AT + 4, np.uint8), data]).reshape(SUBPACKETS, SUB_BYTES)
    # sub-packets 1..8 must carry their index: a CRC-16 alone passes one window in
    # 65536, and the sync word recurs, a bit or two off, in the later sub-packets (their
    # index byte follows the same header), so a frame offers several windows
    if np.count_nonzero(subs[1:, HEADER + 1] == np.arange(1, SUBPACKETS)) < MIN_INDICES:
        return []
    body = subs[:, HEADER + 2 : HEADER + 2 + DATA].ravel()[:-11].tobytes()
    if crc16_ccitt_false(body[4:-2]) != body[-2] | (body[-1] << 8):
        return []
    heads = subs[1:, 1 : 1 + HEADER]
    header = bytearray()
    for col in heads.T:
        values, counts = np.unique(col, return_counts=True)
        header.append(int(values[np.argmax(counts)]))
    votes = int(np.count_nonzero((heads == np.frombuffer(bytes(header), np.uint8)).all(axis=1)))
    fields = {"uart_errors": uart_errors, "header_votes": votes}
    return [Decoded(bytes(header) + body[:-2], True, BLOCK_BITS, fields)]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One transmission of a 200-byte frame (15-byte header + 185 data bytes)."""
    if len(payload) != FRAME_BYTES:
        raise ConfigError(f"IDEASSat frames are {FRAME_BYTES} bytes (15 header + 185 data)")
    header, body = bytes(payload[:HEADER]), bytes(payload[HEADER:])
    if header[SYNC_AT - 1 :] != SYNC_HEADER_END:
        raise ConfigError("IDEASSat headers end with b'A0\\xf0' (part of the sync word)")
    crc = crc16_ccitt_false(body[4:])
    data = body + bytes([crc & 0xFF, crc >> 8]) + bytes(11)
    raw = b"".join(
        b"\x7e" + header + bytes([k]) + data[DATA * k : DATA * (k + 1)] + b"\x7e"
        for k in range(SUBPACKETS)
    )
    n_pre = max(64, preamble_bits)
    bits = np.concatenate([np.zeros(n_pre, np.uint8), uart_bits(raw), np.ones(16, np.uint8)])
    return EncodedFrame(nrzi_encode(bits), n_pre + 10 * SYNC_AT)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, MAX_SYNC_ERRORS, BLOCK_BITS, decode_block, nrzi=True)


FRAMINGS = (
    Framing(
        name="ideassat",
        description="IDEASSat: nine UART-coded sub-packets, NRZI, CRC-16/CCITT-FALSE",
        make_deframer=_make,
        encode=encode,
        aliases=("IDEASSat",),
        max_payload=FRAME_BYTES,
        polarity_free=True,
    ),
)
