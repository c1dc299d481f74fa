"""ESEO framing (ESA's student satellite, 4800/9600 Bd FSK): RS outside HDLC-like coding.

ESEO's frames turn the usual order around. The frame and its CRC-16/XMODEM
(high byte first) are line-coded first: bits LSB first, NRZI (a 0 is a
change), the G3RUH scrambler, bit stuffing (a 0 after five 1s), zero-padded
to whole bytes; these bytes get 16 Reed-Solomon parity bytes (field
polynomial 0x11D, first root 1, primitive element 1: 8 byte errors
corrected), and the codeword is sent with its bytes LSB first between 0x7E7E
markers. Facts from gr-satellites 4.4.0 (``eseo_deframer.py``,
``eseo_packet_crop.py``, ``eseo_line_decoder.py``, ``check_eseo_crc.py``).

The deframer takes the 0x7E7E after the last one of the opening markers as
the frame's end; as a parity byte pair may also read 0x7E7E, it tries each
such pair until the RS decoding and the CRC agree. Fields: ``rs_corrected``,
``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_XMODEM
from sdrlink.coding.linecode import nrzi_decode, nrzi_encode
from sdrlink.coding.reedsolomon import ReedSolomon
from sdrlink.coding.scramblers import g3ruh_descramble, g3ruh_scramble
from sdrlink.errors import ConfigError
from sdrlink.framing.ax25 import bit_stuff, bit_unstuff
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.syncframe import (
    Decoded,
    SyncDeframer,
    bits_from_string,
    hard_bits,
    pack_lsb,
    unpack_msb,
)

SYNC = bits_from_string("0111111001111110")
MARKER = b"\x7e\x7e"
RS = ReedSolomon(nroots=16, fcr=1, prim=1, gfpoly=0x11D)
WINDOW = 257  # bytes after the opening marker, as gr-satellites
MAX_FRAME = 180  # frame bytes whose line-coded form surely fits one codeword


def line_decode(coded: bytes) -> bytes | None:
    """Undo the line coding of RS-decoded bytes: the frame with its CRC, or None."""
    bits = bit_unstuff(unpack_msb(coded))
    if bits is None:
        return None
    bits = nrzi_decode(g3ruh_descramble(bits))
    return pack_lsb(bits)


def line_encode(frame: bytes) -> bytes:
    """The line-coded bytes of a frame and its CRC (inverse of :func:`line_decode`)."""
    data = bytes(frame) + CRC16_XMODEM.to_bytes(frame, "big")
    bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
    bits = bit_stuff(g3ruh_scramble(nrzi_encode(bits)))
    bits = np.concatenate([bits, np.zeros((-len(bits)) % 8, np.uint8)])
    return np.packbits(bits).tobytes()


def decode_block(soft: np.ndarray) -> list[Decoded]:
    raw = pack_lsb(hard_bits(soft))  # bytes LSB first on air
    if raw[:1] == MARKER[:1]:
        return []  # still in the opening markers (bit stuffing keeps 0x7E out of the codeword's
        # first byte)
    at = raw.find(MARKER, RS.nroots + 1)  # a codeword has its parity bytes and some data
    while at >= 0:
        res = RS.decode(raw[:at])
        if res is not None:
            frame = line_decode(res[0])
            if frame is not None and CRC16_XMODEM.verify(frame, "big"):
                return [Decoded(frame[:-2], True, 8 * (at + 2), {"rs_corrected": res[1]})]
        at = raw.find(MARKER, at + 1)
    return []


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """0x7E7E markers, the RS codeword of the line-coded frame (bytes LSB first), markers."""
    if not 1 <= len(payload) <= MAX_FRAME:
        raise ConfigError(f"ESEO frames carry 1..{MAX_FRAME} bytes")
    coded = line_encode(payload)
    block = coded + RS.encode(coded)
    n_pre = max(2, -(-preamble_bits // 16))
    data = MARKER * n_pre + block + MARKER * 2
    bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
    return EncodedFrame(bits, 16 * (n_pre - 1))


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 0, 8 * WINDOW, decode_block, invert)


FRAMINGS = (
    Framing(
        name="eseo",
        description="ESEO: NRZI + G3RUH + bit stuffing, then RS(n,n-16), bytes between 0x7E7E",
        make_deframer=_make,
        encode=encode,
        aliases=("ESEO",),
        max_payload=MAX_FRAME,
    ),
)
