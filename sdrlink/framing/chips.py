"""Packet formats of FSK transceiver chips: sync word, length byte, whitening, CRC-16.

Many small satellites send what their radio chip's packet engine makes: a
preamble, a sync word, an optional length byte, the data, a CRC-16, the whole
packet after the sync word optionally whitened with a PN9 sequence (TI
CC11xx, SiLabs Si4463, Semtech SX126x, HopeRF RFM22 all work this way, each
with its own conventions). :class:`ChipFormat` describes one satellite's
conventions; one decoder and one encoder serve them all. Whitening is given
as the byte sequence XORed onto the packet as its bits go on air (MSB
first), so chips that whiten bit-reversed bytes (SX126x) or bit by bit
(Si4463) are just other sequences.

The formats (facts from gr-satellites 4.4.0, ``components/deframers/*`` and
the blocks they use, each name below its file):

* ``aalto1`` ("AALTO-1", TI CC1125; ``aalto1_deframer.py``): sync 0x352E352E
  (4 bit errors allowed), PN9 whitening, length byte, CRC-16/X.25 of length
  and data (low byte first); the frame is the data.
* ``lucky7`` ("Lucky-7", Si4463; ``lucky7_deframer.py``,
  ``si4463_scrambler.py``): sync 0x2DD4 (1 error), 37 bytes whitened bit by
  bit with PN9 from state 0x1E1, CRC-16 (0x8005, init 0xFFFF, high byte
  first) over the first 35; the frame is those 35 bytes.
* ``fossasat`` ("FOSSASAT", SX126x; ``fossasat_deframer.py``): sync
  0x55551212 (exact), PN9 whitening of bit-reversed bytes, length byte,
  CRC-16 (0x1021, init 0x1D0F, final XOR 0xFFFF, high byte first) of length
  and data; the frame is the data.
* ``grizu263a`` ("Grizu-263A", SX1268; ``grizu263a_deframer.py``): sync
  0x0123456789ABCDEF (8 errors), PN9 from state 0x100 on bit-reversed bytes,
  length byte, CRC-16 (0x8005, init 0xFFFF, high byte first); the frame is
  the data.
* ``binar1`` ("BINAR-1"; ``binar1_deframer.py``): sync 0xAA7E (exact), no
  whitening, length byte, CRC-16/CCITT-FALSE (high byte first) of length and
  data; the frame is length byte and data.
* ``diy1`` ("DIY-1", RFM22; ``diy1_deframer.py``, ``check_eseo_crc.py``):
  sync 0x2DD4 (exact), a 4-byte header, a length byte, the data,
  CRC-16/XMODEM (high byte first) of all before it; the frame is header,
  length and data.

Every format is searched in both polarities (these are NRZ). Fields:
``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_CCITT_FALSE, CRC16_CMS, CRC16_X25, CRC16_XMODEM, Crc
from sdrlink.coding.scramblers import pn9_sequence
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

_REVERSE = np.array([int(f"{i:08b}"[::-1], 2) for i in range(256)], dtype=np.uint8)

#: SX126x CRC-16 as FOSSASAT configures it (check value 0x1A33)
CRC16_SX126X = Crc("CRC-16/SX126X-FOSSASAT", 16, 0x1021, 0x1D0F, False, False, 0xFFFF, 0x1A33)


def pn9(seed: int = 0x1FF) -> Callable[[int], np.ndarray]:
    """TI-style PN9 whitening bytes (each byte's first bit on air is its MSB)."""
    return lambda n: pn9_sequence(n, seed)


def pn9_reversed(seed: int = 0x1FF) -> Callable[[int], np.ndarray]:
    """PN9 bytes bit-reversed: the sequence of chips that whiten LSB first (SX126x) or
    bit by bit in transmission order (Si4463)."""
    return lambda n: _REVERSE[pn9_sequence(n, seed)]


@dataclass(frozen=True)
class ChipFormat:
    """One satellite's packet conventions.

    ``length_at``: index of the length byte (None: fixed ``size`` bytes incl. CRC);
    the length byte counts the data after it, without the CRC. ``crc_big``: the
    CRC is sent high byte first. ``keep_from``: first byte of the packet that
    is part of the frame: 0 (all of it) or, with ``length_at`` 0, 1 (the data).
    """

    sync: str
    max_errors: int
    crc: Crc
    crc_big: bool
    whitening: Callable[[int], np.ndarray] | None = None
    length_at: int | None = 0
    size: int = 0
    keep_from: int = 1
    max_data: int = 255

    @property
    def max_bytes(self) -> int:
        if self.length_at is None:
            return self.size
        return self.length_at + 1 + self.max_data + 2

    def unwhiten(self, data: bytes) -> bytes:
        if self.whitening is None:
            return data
        arr = np.frombuffer(data, np.uint8)
        return (arr ^ self.whitening(len(arr))).tobytes()

    def needed(self, after: np.ndarray) -> int | None:
        """Bits after the sync word the packet occupies (from its length byte)."""
        if self.length_at is None:
            return 8 * self.size
        head = 8 * (self.length_at + 1)
        if len(after) < head:
            return head
        length = self.unwhiten(pack_msb(after[:head]))[-1]
        return head + 8 * (length + 2)

    def decode(self, soft: np.ndarray) -> list[Decoded]:
        bits = hard_bits(soft)
        need = self.needed(bits)
        if need is None or len(bits) < need:
            return []
        packet = self.unwhiten(pack_msb(bits[:need]))
        body, crc = packet[:-2], packet[-2:]
        if self.crc.to_bytes(body, "big" if self.crc_big else "little") != crc:
            return []
        return [Decoded(body[self.keep_from :], True, need)]

    def encode(self, frame: bytes, preamble_bits: int) -> EncodedFrame:
        """Preamble (alternating bits), sync word, packet, two bytes of tail."""
        frame = bytes(frame)
        if self.length_at is None:
            if len(frame) != self.size - 2:
                raise ConfigError(f"frames of this format are {self.size - 2} bytes")
            body = frame
        elif self.keep_from == 0:  # the frame holds the header and the length byte
            n = self.length_at
            if len(frame) <= n or frame[n] != len(frame) - n - 1:
                raise ConfigError(
                    f"frames of this format are {n} header bytes, a length byte and the "
                    "data bytes it counts"
                )
            body = frame
        else:
            if len(frame) > self.max_data:
                raise ConfigError(f"frames of this format carry at most {self.max_data} bytes")
            body = bytes([len(frame)]) + frame
        packet = body + self.crc.to_bytes(body, "big" if self.crc_big else "little")
        n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
        pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1  # 1010... (0xAA)
        bits = np.concatenate(
            [
                pre,
                bits_from_string(self.sync),
                unpack_msb(self.unwhiten(packet)),
                unpack_msb(b"\xaa\xaa"),
            ]
        )
        return EncodedFrame(bits, n_pre)


FORMATS: dict[str, ChipFormat] = {
    "aalto1": ChipFormat("00110101001011100011010100101110", 4, CRC16_X25, False, pn9()),
    "lucky7": ChipFormat("0010110111010100", 1, CRC16_CMS, True, pn9_reversed(0x1E1), None, 37, 0),
    "fossasat": ChipFormat(
        "01010101010101010001001000010010", 0, CRC16_SX126X, True, pn9_reversed()
    ),
    "grizu263a": ChipFormat(
        "0000000100100011010001010110011110001001101010111100110111101111",
        8,
        CRC16_CMS,
        True,
        pn9_reversed(0x100),
    ),
    "binar1": ChipFormat("1010101001111110", 0, CRC16_CCITT_FALSE, True, None, 0, 0, 0),
    "diy1": ChipFormat("0010110111010100", 0, CRC16_XMODEM, True, None, 4, 0, 0),
}

_DESCRIPTIONS = {
    "aalto1": ("AALTO-1", "AALTO-1 (CC1125): sync 0x352E352E, PN9, length byte, CRC-16/X.25"),
    "lucky7": ("Lucky-7", "Lucky-7 (Si4463): sync 0x2DD4, PN9 bit-wise, 35 bytes, CRC-16"),
    "fossasat": ("FOSSASAT", "FOSSASAT (SX126x): sync 0x55551212, PN9, length byte, CRC-16"),
    "grizu263a": ("Grizu-263A", "Grizu-263A (SX1268): 64-bit sync, PN9, length byte, CRC-16"),
    "binar1": ("BINAR-1", "BINAR-1: sync 0xAA7E, length byte, CRC-16/CCITT-FALSE"),
    "diy1": ("DIY-1", "DIY-1 (RFM22): sync 0x2DD4, header, length byte, CRC-16/XMODEM"),
}


def _maker(fmt: ChipFormat) -> Callable[[Mapping[str, Any], bool | None], Deframer]:
    def make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
        sync = bits_from_string(fmt.sync)
        return SyncDeframer(
            sync, fmt.max_errors, 8 * fmt.max_bytes, fmt.decode, invert, needed=fmt.needed
        )

    return make


def _encoder(fmt: ChipFormat) -> Callable[[bytes, Mapping[str, Any], int], EncodedFrame]:
    return lambda payload, options, pre: fmt.encode(payload, pre)


FRAMINGS = tuple(
    Framing(
        name=name,
        description=_DESCRIPTIONS[name][1],
        make_deframer=_maker(fmt),
        encode=_encoder(fmt),
        aliases=(_DESCRIPTIONS[name][0],),
        max_payload=fmt.max_bytes - 2 - fmt.keep_from,
    )
    for name, fmt in FORMATS.items()
)
