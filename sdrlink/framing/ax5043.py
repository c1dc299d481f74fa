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

from sdrlink.coding.convolutional import ConvCode, conv_encode, viterbi_block
from sdrlink.coding.crc import crc16_usb
from sdrlink.framing import ax25
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, RawFrame
from sdrlink.framing.sync import find_sync

K = 5
POLYS = (25, 23)  # newest bit in the LSB
# the same in CCSDS notation (newest bit in the MSB: 23 and 35 octal), first output inverted
CODE = ConvCode(K, (0o23, 0o35), (True, False))
SYNC_BITS = np.array([int(c) for c in "10001010111001101000101011100110"], dtype=np.uint8)
MAX_CODED_BITS = 4000  # as gr-satellites: room for 200-byte frames
MAX_PAYLOAD = 200


def interleave(bits: np.ndarray) -> np.ndarray:
    """Transpose every 16-bit block as a 4x4 matrix (its own inverse; bits or soft symbols)."""
    bits = np.asarray(bits)
    n = len(bits) - len(bits) % 16
    return np.einsum("ijk->ikj", bits[:n].reshape(-1, 4, 4)).ravel()


# Soft symbols are limited to this fraction of their median magnitude before decoding. The
# FSK discriminator's wrong symbols are often its largest (FM clicks): on 1200 Bd FSK near
# threshold the top tenth of magnitudes holds 8 % errors against 1 % in the middle, while
# the smallest tenth (5 %) is rightly less sure. Plain soft decoding lost 2 dB there; this
# limit decodes as well as hard decisions or slightly better (20 vs 18 of 30 frames at 3 dB).
SOFT_LIMIT = 0.5


def decode_coded(coded: np.ndarray) -> tuple[np.ndarray, int]:
    """Deinterleave and soft-Viterbi-decode coded symbols: (info bits, channel errors).

    ``coded`` are soft symbols (> 0 = 1), or 0/1 hard bits; the decoder may
    start in any state. The error count compares the hard decisions with the
    decoded bits re-encoded (after the first K-1 steps, whose state is unknown).
    """
    c = np.asarray(coded)
    if c.dtype == np.uint8:
        soft = 2.0 * c.astype(np.float32) - 1.0
    else:
        soft = np.nan_to_num(np.asarray(c, dtype=np.float32))
        scale = float(np.median(np.abs(soft))) if len(soft) else 0.0
        if scale > 0:
            soft = np.clip(soft / scale, -SOFT_LIMIT, SOFT_LIMIT)
    d = interleave(soft)
    info = viterbi_block(d, CODE, start_state=None, terminated=False)
    m = K - 1
    if len(info) <= m:
        return info, 0
    state = int("".join(str(int(b)) for b in info[:m].tolist()), 2)
    again = conv_encode(info[m:], CODE, state)
    errors = int(np.count_nonzero((d[2 * m : 2 * len(info)] > 0) != again))
    return info, errors


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
    if not 1 <= len(payload) <= MAX_PAYLOAD:  # what the deframer accepts
        raise ValueError(f"AX5043 frames carry 1..{MAX_PAYLOAD} bytes")
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
    return EncodedFrame(interleave(conv_encode(info, CODE, state)), 16 * (preamble_flags - 2))


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
            coded = np.asarray(soft[i : i + self.span], dtype=np.float32)
            info, errors = decode_coded(-coded if inv else coded)
            flags = ax25.find_flags(info)
            for a, c in zip(flags[:-1].tolist(), flags[1:].tolist(), strict=False):
                for frame in frames_from_bits(info[a : c + 8]):
                    fields = {"viterbi_errors": errors, "inverted": bool(inv)}
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
        max_payload=MAX_PAYLOAD,
    ),
)
