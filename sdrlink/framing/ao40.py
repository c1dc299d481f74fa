"""AO-40 FEC (Phil Karn's telemetry FEC, used by AO-40, FUNcube, SMOG-P/-1, ...)
and the uncoded AO-40 telemetry framing.

The coded block (Karn, "AO-40 FEC", 2002): 256 data bytes become two
interleaved RS(160,128) codewords (the CCSDS code, shortened, conventional
basis: byte j in codeword j mod 2), 320 bytes XORed with the CCSDS
randomiser, then K=7 r=1/2 convolutional coding (the CCSDS code, G2 inverted)
from state 0 with 6 zero tail bits: 5132 channel symbols. These fill, column
after column from the second one, a matrix of 65 rows x 80 columns whose
first column holds the 65-bit sync vector; the matrix goes out row after row
(5200 symbols; the last 3 cells are padding), so the sync bits are 80
symbols apart. SMOG-P's short block: 128 data bytes, one RS(160,128)
codeword, 2572 symbols in 52 rows x 51 columns with a 52-bit sync vector
(the long one's start) in the first column and 28 filler cells before the
coded symbols. The SMOG-1 variants end the data block with a CRC-16/ARC (low
byte first) over the rest.

The uncoded framing: the 32-bit sync word 0x3915ED30, then 512 data bytes and
a CRC-16/CCITT-FALSE (big endian) over them; frames are reported with the CRC
as gr-satellites does (514 bytes).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdrlink.coding.convolutional import CCSDS, channel_errors, conv_encode, viterbi_block
from sdrlink.coding.crc import CRC16_ARC, CRC16_CCITT_FALSE
from sdrlink.coding.reedsolomon import decode_frame, encode_frame
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, RawFrame
from sdrlink.framing.sync import bits_of, find_sync

SYNC = "11111110000111011110010110010010000001000100110001011101011011000"


@dataclass(frozen=True)
class Ao40Format:
    """Geometry of one AO-40 FEC block."""

    data_bytes: int  # payload bytes (RS data)
    codewords: int  # interleaved RS(160,128) codewords
    rows: int  # = sync bits
    cols: int  # symbols per transmitted row (the sync bit first)
    skip: int  # cells before the coded symbols in column order (sync + filler)

    @property
    def coded_symbols(self) -> int:
        return 2 * (8 * (self.data_bytes + 32 * self.codewords) + CCSDS.k - 1)

    @property
    def span(self) -> int:
        return self.rows * self.cols

    @property
    def sync(self) -> np.ndarray:
        return np.array([int(c) for c in SYNC[: self.rows]], dtype=np.uint8)

    @functools.cached_property
    def order(self) -> np.ndarray:
        """Transmitted position of each cell in column order (sync column first)."""
        cell = np.arange(self.span)
        return (cell % self.rows) * self.cols + cell // self.rows


LONG = Ao40Format(256, 2, 65, 80, 65)
SHORT = Ao40Format(128, 1, 52, 51, 80)


def encode_block(data: bytes, fmt: Ao40Format = LONG) -> np.ndarray:
    """The block's channel bits (span symbols, transmission order)."""
    if len(data) != fmt.data_bytes:
        raise ValueError(f"an AO-40 FEC block carries exactly {fmt.data_bytes} bytes")
    rs = encode_frame(bytes(data), fmt.codewords, "conventional")
    bits = np.unpackbits(np.frombuffer(ccsds_xor(rs), dtype=np.uint8))
    coded = conv_encode(np.concatenate([bits, np.zeros(CCSDS.k - 1, np.uint8)]), CCSDS)
    cells = np.zeros(fmt.span, dtype=np.uint8)
    cells[: fmt.rows] = fmt.sync
    cells[fmt.skip : fmt.skip + len(coded)] = coded
    out = np.empty(fmt.span, dtype=np.uint8)
    out[fmt.order] = cells
    return out


def decode_block(soft: np.ndarray, fmt: Ao40Format = LONG) -> tuple[bytes, dict[str, Any]] | None:
    """Decode one block of ``span`` soft symbols (polarity corrected, sync first).

    Returns (data bytes, fields) or None when the Reed-Solomon decoding fails.
    """
    if len(soft) < fmt.span:
        return None
    cells = np.asarray(soft[: fmt.span], dtype=np.float32)[fmt.order]
    coded = cells[fmt.skip : fmt.skip + fmt.coded_symbols]
    bits = viterbi_block(coded, CCSDS, start_state=0, terminated=True)
    body = np.packbits(bits[: 8 * (fmt.data_bytes + 32 * fmt.codewords)]).tobytes()
    res = decode_frame(ccsds_xor(body), fmt.codewords, "conventional")
    if res is None:
        return None
    data, corrected = res
    fields = {"rs_corrected": corrected, "viterbi_errors": channel_errors(coded, bits, CCSDS)}
    return data, fields


def _sync_errors(hard: np.ndarray, fmt: Ao40Format, count: int) -> np.ndarray:
    """Sync bit errors at each of the first ``count`` start positions (vectorised)."""
    err = np.zeros(count, dtype=np.int16)
    for j, bit in enumerate(fmt.sync.tolist()):
        seg = hard[j * fmt.cols : j * fmt.cols + count]
        err += seg if bit == 0 else 1 - seg
    return err


class Ao40Deframer(Deframer):
    """Distributed sync search (both polarities), deinterleaving, soft Viterbi, RS."""

    def __init__(
        self, fmt: Ao40Format, crc: bool, invert: bool | None, max_sync_errors: int = 8
    ) -> None:
        self.fmt = fmt
        self.crc = crc
        self.invert = invert
        self.max_errors = max_sync_errors
        self.window = fmt.span + 64
        self.next_start = 0  # absolute index of the first start not yet examined

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        span = self.fmt.span
        lo = max(0, self.next_start - base)
        count = len(soft) - span + 1 - lo
        if count <= 0:
            return []
        hard = (np.asarray(soft[lo:]) > 0).astype(np.int16)
        err = _sync_errors(hard, self.fmt, count)
        rows = self.fmt.rows
        normal = err <= self.max_errors
        inverted = err >= rows - self.max_errors
        if self.invert is True:
            normal[:] = False
        elif self.invert is False:
            inverted[:] = False
        out: list[RawFrame] = []
        skip_until = -1
        for k in np.flatnonzero(normal | inverted).tolist():
            i = lo + k
            if i < skip_until:
                continue
            inv = bool(inverted[k])
            seg = np.asarray(soft[i : i + span], dtype=np.float32)
            res = decode_block(-seg if inv else seg, self.fmt)
            if res is None:
                continue
            data, fields = res
            if self.crc and CRC16_ARC(data) != 0:
                continue
            fields["inverted"] = inv
            fields["sync_errors"] = int(err[k] if not inv else rows - err[k])
            out.append(RawFrame(i, i + span, data, True, fields))
            skip_until = i + span
        self.next_start = base + lo + count
        return out


def _encode(payload: bytes, fmt: Ao40Format, crc: bool, preamble_bits: int) -> EncodedFrame:
    """One block with an alternating preamble and a short postamble."""
    data = bytes(payload)
    if crc:
        if len(data) > fmt.data_bytes - 2:
            raise ValueError(f"this AO-40 FEC block carries at most {fmt.data_bytes - 2} bytes")
        data = data.ljust(fmt.data_bytes - 2, b"\x00")
        data += CRC16_ARC.to_bytes(data, "little")
    else:
        if len(data) > fmt.data_bytes:
            raise ValueError(f"an AO-40 FEC block carries at most {fmt.data_bytes} bytes")
        data = data.ljust(fmt.data_bytes, b"\x00")
    pre = np.arange(max(16, preamble_bits)) % 2
    post = np.arange(32) % 2
    bits = np.concatenate([pre, encode_block(data, fmt), post]).astype(np.uint8)
    return EncodedFrame(bits, len(pre))


# --- uncoded ---------------------------------------------------------------------------

UNCODED_SYNC = 0x3915ED30
UNCODED_SYNC_BITS = bits_of(UNCODED_SYNC, 32)
UNCODED_BYTES = 512 + 2


class Ao40UncodedDeframer(Deframer):
    """Sync word (both polarities), 514 bytes, CRC-16/CCITT-FALSE over them."""

    def __init__(self, invert: bool | None, max_sync_errors: int = 3) -> None:
        self.invert = invert
        self.max_errors = max_sync_errors
        self.need = 32 + 8 * UNCODED_BYTES
        self.window = self.need + 64
        self.next_sync = 0

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        hard = (np.asarray(soft) > 0).astype(np.uint8)
        lo = max(0, self.next_sync - base)
        stop = len(hard) - self.need + 1  # starts whose frame is complete
        out: list[RawFrame] = []
        if stop <= lo:
            return out
        idx, inverted = find_sync(hard[lo : stop + 31], UNCODED_SYNC_BITS, self.max_errors)
        for i, inv in zip((idx + lo).tolist(), inverted.tolist(), strict=True):
            if i >= stop or (self.invert is not None and inv != self.invert):
                continue
            bits = hard[i + 32 : i + self.need]
            data = np.packbits(1 - bits if inv else bits).tobytes()
            if CRC16_CCITT_FALSE(data) == 0:
                out.append(RawFrame(i, i + self.need, data, True, {"inverted": bool(inv)}))
        self.next_sync = base + stop
        return out


def _encode_uncoded(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    if len(payload) > 512:
        raise ValueError("an AO-40 uncoded frame carries at most 512 bytes")
    data = bytes(payload).ljust(512, b"\x00")
    data += CRC16_CCITT_FALSE.to_bytes(data, "big")
    pre = np.arange(max(16, preamble_bits)) % 2
    body = np.unpackbits(np.frombuffer(UNCODED_SYNC.to_bytes(4, "big") + data, dtype=np.uint8))
    bits = np.concatenate([pre, body, np.arange(16) % 2]).astype(np.uint8)
    return EncodedFrame(bits, len(pre))


def _fec(name: str, alias: str, fmt: Ao40Format, crc: bool) -> Framing:
    what = "short block, " if fmt is SHORT else ""
    what += "CRC-16/ARC, " if crc else ""
    return Framing(
        name=name,
        description=(
            f"AO-40 FEC ({what}distributed sync, interleaver, K=7 Viterbi, CCSDS scrambler, RS)"
        ),
        make_deframer=lambda options, invert: Ao40Deframer(fmt, crc, invert),
        encode=lambda payload, options, pre: _encode(payload, fmt, crc, pre),
        aliases=(alias,),
        max_payload=fmt.data_bytes - (2 if crc else 0),
    )


FRAMINGS = (
    _fec("ao40_fec", "AO-40 FEC", LONG, False),
    _fec("ao40_fec_short", "AO-40 FEC short", SHORT, False),
    _fec("ao40_fec_crc16_arc", "AO-40 FEC CRC-16-ARC", LONG, True),
    _fec("ao40_fec_crc16_arc_short", "AO-40 FEC CRC-16-ARC short", SHORT, True),
    Framing(
        name="ao40_uncoded",
        description="AO-40 uncoded: sync 0x3915ED30, 512 bytes, CRC-16/CCITT-FALSE",
        make_deframer=lambda options, invert: Ao40UncodedDeframer(invert),
        encode=_encode_uncoded,
        aliases=("AO-40 uncoded",),
        max_payload=512,
    ),
)
