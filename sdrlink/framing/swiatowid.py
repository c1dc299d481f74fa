"""Swiatowid image downlink framing (9600 Bd FSK): long packets of RS(58,48) blocks.

Swiatowid (SatRevolution) sends its camera images in packets of up to 8 kB:
after the 32-bit sync word 0x5B5BDDDD (MSB first on air), every byte goes LSB
first: a 16-bit little-endian length field (the packet's byte count plus 8),
then the data as consecutive Reed-Solomon codewords of 58 bytes (48 data
bytes, 10 parity; the last one may be shortened), then a CRC-16/XMODEM of
all the codewords as sent, low byte first. The RS code has field polynomial
0x11D, first root 0, primitive element 1 and 10 roots (it corrects 5 byte
errors per block). Facts from gr-satellites 4.4.0 (``swiatowid_deframer.py``,
``swiatowid_packet_crop.py``, ``swiatowid_packet_split.py``: sync word, bit
order, length field, 58-byte split, RS parameters); the CRC's algorithm from
``check_swiatowid_crc.py`` and its extent from the packets in
``swiatowid.wav``.

Each RS block is one frame (its 48 data bytes, as gr-satellites outputs
them), emitted as soon as it has arrived: a packet lasts about 7 s, and a
pass cut short still yields the blocks received. A frame starts at its own
block's first bit (so its time and its measured SNR are the block's, not the
whole packet's, which would cost work that grows with the packet's length).
Fields: ``block`` (index in the packet), ``packet_start`` (the symbol where
its packet's sync word starts, relative to the block),
``rs_corrected`` (bytes corrected), and on the last block ``packet_crc_ok``
(the packet CRC over the corrected codewords). The last block counts as valid
only with a valid packet CRC: its size comes from the unprotected length
field, and a codeword read a byte too long still decodes (with one
"correction"), so RS alone cannot tell a corrupted length. For the same
reason a block that looks read long counts as invalid
(:func:`sdrlink.coding.reedsolomon.read_long`: a length field too high made a
short block read long).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_XMODEM
from sdrlink.coding.reedsolomon import ReedSolomon, read_long
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, RawFrame
from sdrlink.framing.sync import find_sync, mostly_erased
from sdrlink.framing.syncframe import bits_from_string, hard_bits

SYNC = bits_from_string("01011011010110111101110111011101")
MAX_SYNC_ERRORS = 2
RS = ReedSolomon(nroots=10, fcr=0, prim=1, gfpoly=0x11D)
BLOCK, DATA = 58, 48
MAX_PACKET = 8198  # bytes after the length field, as gr-satellites' 8200-byte window allows
LENGTH_OFFSET = 8


@dataclass
class _Packet:
    """A packet whose sync word was found, and how far its decoding got."""

    start: int  # absolute index of the sync word
    inverted: bool
    sync_errors: int
    length: int | None = None  # bytes of codewords + CRC
    blocks: list[tuple[int, int]] = field(default_factory=list)  # (offset, size) per block
    done: int = 0  # blocks handled
    corrected: list[bytes] = field(default_factory=list)  # corrected codewords, for the CRC


def block_layout(length: int) -> list[tuple[int, int]] | None:
    """(offset, size) of each codeword in a packet of ``length`` bytes (None if impossible)."""
    coded = length - 2
    if not RS.nroots < coded or length > MAX_PACKET:
        return None
    out = [(j, min(BLOCK, coded - j)) for j in range(0, coded, BLOCK)]
    if out[-1][1] <= RS.nroots:
        return None
    return out


class SwiatowidDeframer(Deframer):
    """Sync word, length field, then RS blocks decoded one by one as they arrive."""

    def __init__(self, invert: bool | None) -> None:
        self.invert = invert
        self.window = 32 + 8 * (2 + MAX_PACKET) + 64
        self.next_sync = 0
        self.packets: list[_Packet] = []

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        hard = hard_bits(soft)
        lo = min(len(hard), max(0, self.next_sync - base))
        idx, inverted = find_sync(hard[lo:], SYNC, MAX_SYNC_ERRORS)
        for i, inv in zip((idx + lo).tolist(), inverted.tolist(), strict=True):
            if self.invert is not None and inv != self.invert:
                continue
            errors = int(np.count_nonzero(hard[i : i + 32] ^ SYNC ^ np.uint8(inv)))
            self.packets.append(_Packet(base + i, bool(inv), errors))
        if len(hard) >= 32:
            self.next_sync = max(self.next_sync, base + len(hard) - 31)
        out: list[RawFrame] = []
        keep = []
        for p in self.packets:
            rel = p.start - base
            if rel < 0:
                continue  # cannot happen with the window's length; never index before it
            after = hard[rel + 32 :]
            if p.inverted:
                after = 1 - after
            out += self._advance(p, after, rel, soft[rel + 32 :])
            finished = p.length is not None and p.done >= len(p.blocks)
            if not finished and not final:
                keep.append(p)
        self.packets = keep
        return out

    def _advance(self, p: _Packet, after: np.ndarray, rel: int, soft: np.ndarray) -> list[RawFrame]:
        """Decode the blocks of ``p`` that have arrived (``after``: bits after its sync,
        ``soft`` the symbols they came from)."""
        if p.length is None:
            if len(after) < 16:
                return []
            length = int.from_bytes(np.packbits(after[:16], bitorder="little").tobytes(), "little")
            layout = block_layout(length - LENGTH_OFFSET)
            if layout is None:
                p.length, p.blocks, p.done = 0, [], 0
                return []
            p.length, p.blocks = length - LENGTH_OFFSET, layout
        have = (len(after) - 16) // 8  # whole bytes after the length field
        out = []
        while p.done < len(p.blocks):
            off, size = p.blocks[p.done]
            last = p.done == len(p.blocks) - 1
            if have < off + size + (2 if last else 0):
                break
            raw = np.packbits(after[16 + 8 * off : 16 + 8 * (off + size)], bitorder="little")
            erased = mostly_erased(soft[16 + 8 * off : 16 + 8 * (off + size)])
            res = None if erased else RS.decode(raw.tobytes())
            fields: dict[str, Any] = {"block": p.done, "sync_errors": p.sync_errors}
            fields["inverted"] = p.inverted
            if res is None:
                p.corrected.clear()  # the packet CRC can no longer be checked
                p.done += 1
                continue
            data, ncorr = res
            p.corrected.append(data + RS.encode(data))
            fields["rs_corrected"] = ncorr
            if last and len(p.corrected) == len(p.blocks):
                crc = np.packbits(
                    after[16 + 8 * (off + size) : 16 + 8 * (off + size + 2)], bitorder="little"
                )
                fields["packet_crc_ok"] = CRC16_XMODEM(b"".join(p.corrected)) == (
                    int(crc[0]) | int(crc[1]) << 8
                )
            first = rel + 32 + 16 + 8 * off
            fields["packet_start"] = rel - first
            # the last block takes its size from the unprotected length field, and a
            # codeword read one byte long (x*c(x) + b) always decodes with 1 correction:
            # only the packet CRC can confirm the last block
            ok = not last or fields.get("packet_crc_ok") is True
            if ok and read_long(RS, raw.tobytes(), data, ncorr):
                ok = False  # a shorter codeword read long (a wrong length field)
            out.append(RawFrame(first, first + 8 * size, data, ok, fields))
            p.done += 1
        return out


def encode_packet(data: bytes, preamble_bits: int = 64) -> EncodedFrame:
    """One transmission of a packet carrying ``data`` in ceil(len/48) RS blocks."""
    if not 1 <= len(data) <= 141 * DATA:
        raise ConfigError(f"Swiatowid packets carry 1..{141 * DATA} bytes")
    coded = b"".join(
        bytes(data[j : j + DATA]) + RS.encode(data[j : j + DATA]) for j in range(0, len(data), DATA)
    )
    crc = CRC16_XMODEM(coded)
    body = (len(coded) + 2 + LENGTH_OFFSET).to_bytes(2, "little") + coded
    body += bytes([crc & 0xFF, crc >> 8]) + b"\xaa\xaa"
    n_pre = max(32, preamble_bits)
    # the satellite's preamble: alternating bits, 0x2DD4, 0x5555, then the sync word
    head = np.concatenate(
        [
            np.arange(n_pre, dtype=np.uint8) & 1,
            bits_from_string("0010110111010100"),
            np.tile(np.array([0, 1], np.uint8), 8),
        ]
    )
    tail = np.unpackbits(np.frombuffer(body, np.uint8), bitorder="little")
    return EncodedFrame(np.concatenate([head, SYNC, tail]), len(head))


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One packet holding one RS block with ``payload`` (1..48 bytes)."""
    if not 1 <= len(payload) <= DATA:
        raise ConfigError(f"a Swiatowid frame (one RS block) carries 1..{DATA} bytes")
    return encode_packet(payload, preamble_bits)


FRAMINGS = (
    Framing(
        name="swiatowid",
        description="Swiatowid image packets: sync 0x5B5BDDDD, RS(58,48) blocks, CRC-16/XMODEM",
        make_deframer=lambda options, invert: SwiatowidDeframer(invert),
        encode=encode,
        aliases=("Swiatowid",),
        max_payload=DATA,
    ),
)
