"""AX5043 FEC framing (as CAPE-3's 1k2 FSK transmitter uses it).

The on-board AX5043 transceiver sends HDLC frames (bit-stuffed, LSB first, no
NRZI) with a CRC-16/USB (reflected 0x8005, init 0xFFFF, final XOR 0xFFFF,
low byte first), through a rate-1/2 convolutional code of constraint length 5
(polynomials 25 and 23, newest bit in the LSB; the first output is inverted)
and a 4x4 block interleaver (each 16 coded bits transposed as a 4x4 matrix).
The flag preamble therefore appears on air as a repeating 16-bit pattern, and
two encoded flags make the 32-bit sync word the receiver searches for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink._ext import coding_dsp  # type: ignore[attr-defined]
from sdrlink.coding.crc import crc16_usb
from sdrlink.framing import ax25
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, RawFrame
from sdrlink.framing.sync import find_sync

K = 5
POLYS = (25, 23)
SYNC_BITS = np.array([int(c) for c in "10001010111001101000101011100110"], dtype=np.uint8)
MAX_CODED_BITS = 4000  # as gr-satellites: room for 200-byte frames


def interleave(bits: np.ndarray) -> np.ndarray:
    """Transpose every 16-bit block as a 4x4 matrix (its own inverse)."""
    bits = np.asarray(bits, dtype=np.uint8)
    n = len(bits) - len(bits) % 16
    return np.einsum("ijk->ikj", bits[:n].reshape(-1, 4, 4)).ravel()


def conv_encode(bits: np.ndarray, state: int = 0) -> np.ndarray:
    """Rate-1/2 encoding (loop per bit: only used to transmit), first output inverted."""
    out = np.empty(2 * len(bits), dtype=np.uint8)
    reg = state
    for i, b in enumerate(np.asarray(bits, dtype=np.uint8).tolist()):
        reg = ((reg << 1) | b) & ((1 << K) - 1)
        out[2 * i] = 1 ^ (bin(reg & POLYS[0]).count("1") & 1)
        out[2 * i + 1] = bin(reg & POLYS[1]).count("1") & 1
    return out


def decode_coded(coded: np.ndarray) -> tuple[np.ndarray, int]:
    """Deinterleave, undo the inversion and Viterbi-decode: (info bits, bit errors)."""
    d = interleave(coded).copy()
    d[::2] ^= 1
    out = np.zeros(len(d) // 2, dtype=np.uint8)
    errors = coding_dsp.viterbi_r2(np.ascontiguousarray(d), K, POLYS[0], POLYS[1], out)
    return out, int(errors)


def frames_from_bits(info: np.ndarray) -> list[bytes]:
    """HDLC frames with a valid CRC-16/USB in decoded bits (payloads without CRC)."""
    out = []
    flags = ax25.find_flags(info)
    for a, c in zip(flags[:-1].tolist(), flags[1:].tolist(), strict=False):
        raw = ax25.bit_unstuff(info[a + 8 : c])
        if raw is None or len(raw) < 24:
            continue
        pad = (-len(raw)) % 8
        packed = np.packbits(np.concatenate([np.zeros(pad, np.uint8), raw]), bitorder="little")
        data = packed.tobytes()
        if crc16_usb(data[:-2]) == data[-2] | (data[-1] << 8):
            out.append(data[:-2])
    return out


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Channel bits of one transmission: encoded flag preamble, frame, closing flags."""
    preamble_flags = max(4, -(-preamble_bits // 16))
    crc = crc16_usb(payload)
    body = ax25.bit_stuff(ax25.bytes_to_bits(bytes(payload) + bytes([crc & 0xFF, crc >> 8])))
    flags = np.tile(ax25.FLAG_BITS, preamble_flags)
    info = np.concatenate([[0], flags, body, np.tile(ax25.FLAG_BITS, 3)]).astype(np.uint8)
    info = np.concatenate([info, np.ones((-len(info)) % 8, np.uint8)])
    state = 0
    for b in ax25.FLAG_BITS[:7].tolist():  # encoder primed with flag bits
        state = ((state << 1) | b) & ((1 << K) - 1)
    # the receiver reports the frame at the last repetition of the sync pattern
    return EncodedFrame(interleave(conv_encode(info, state)), 16 * (preamble_flags - 2))


class Ax5043Deframer(Deframer):
    """Sync on two encoded flags, Viterbi, HDLC with CRC-16/USB."""

    def __init__(self, invert: bool | None, max_sync_errors: int = 4) -> None:
        self.invert = invert
        self.max_errors = max_sync_errors
        self.span = 32 + MAX_CODED_BITS
        self.window = self.span + 128
        self.next_sync = 0

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        hard = (soft > 0).astype(np.uint8)
        lo = min(len(hard), max(0, self.next_sync - base))
        idx, inverted = find_sync(hard[lo:], SYNC_BITS, self.max_errors)
        idx = idx + lo
        found = set(zip(idx.tolist(), inverted.tolist(), strict=True))
        out: list[RawFrame] = []
        pending = None
        for i, inv in sorted(found):
            if base + i < self.next_sync:
                continue
            if self.invert is not None and inv != self.invert:
                continue
            if len(hard) < i + 48 + 16 and not final:
                pending = i  # cannot tell yet whether the preamble goes on
                break
            if (i + 16, inv) in found:
                continue  # not the last repetition of the preamble pattern
            if len(hard) < i + self.span and not final:
                pending = i
                break
            coded = hard[i : i + self.span]
            if inv:
                coded = 1 - coded
            info, errors = decode_coded(coded)
            flags = ax25.find_flags(info)
            for a, c in zip(flags[:-1].tolist(), flags[1:].tolist(), strict=False):
                for frame in frames_from_bits(info[a : c + 8]):
                    fields = {"viterbi_metric": errors, "inverted": bool(inv)}
                    # A frame starts at its sync, unless it lies further into the
                    # Viterbi span than a preamble would put it: the span after a sync
                    # (or a false sync in noise) can run on into a later frame. That one
                    # is dated from its closing flag and its length (two coded bits per
                    # info bit; bit stuffing makes it a little late, never early).
                    bits = 8 * (len(frame) + 2)
                    est = max(a, c - bits)
                    start = i if est <= 48 + bits // 10 else i + 2 * est
                    stop = min(len(hard), i + 2 * (c + 8))
                    out.append(RawFrame(start, stop, frame, True, fields))
        if pending is not None:
            self.next_sync = base + pending
        elif len(hard) >= 32:
            self.next_sync = max(self.next_sync, base + len(hard) - 31)
        return out


FRAMINGS = (
    Framing(
        name="ax5043",
        description="AX5043 FEC: K=5 r=1/2 convolutional code, 4x4 interleaver, HDLC, CRC-16/USB",
        make_deframer=lambda options, invert: Ax5043Deframer(invert),
        encode=encode,
        aliases=("AX5043",),
        max_payload=200,
    ),
)
