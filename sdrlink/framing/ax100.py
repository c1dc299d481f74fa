"""GomSpace AX100 "ASM+Golay" framing (as in the U482C/AX100 radios).

On air (NRZ, MSB first): preamble, the 32-bit sync word 0x930B51DE, a 24-bit
Golay(24,12)-coded field whose low 8 data bits are the length of the coded
block and bits 0x100/0x200/0x400 flag convolutional coding, scrambling and
Reed-Solomon, then the block. The AX100 receiver always applies the CCSDS
randomiser and RS(255,223) (shortened; 32 parity bytes at the end), so the
decoded frame is ``length - 32`` bytes: the CSP header and payload.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.golay import golay24_decode, golay24_encode
from sdrlink.coding.reedsolomon import rs_decode, rs_encode
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, RawFrame
from sdrlink.framing.sync import bits_of, find_sync

SYNC_WORD = 0x930B51DE
SYNC_BITS = bits_of(SYNC_WORD, 32)
HEADER_BITS = 32 + 24
MAX_BLOCK = 255
FLAG_VITERBI, FLAG_SCRAMBLER, FLAG_RS = 0x100, 0x200, 0x400


def decode_block(bits: np.ndarray) -> tuple[bytes, int, int] | None:
    """Decode Golay header + block from the bits after the sync word.

    ``bits`` must start right after the sync word (already polarity-corrected)
    and hold at least 24 + 8*length bits. Returns (frame, RS-corrected bytes,
    Golay-corrected bits), or None when the header or the RS decoding fails.
    Raises IndexError-free: too few bits also gives None.
    """
    if len(bits) < 24:
        return None
    head = int(np.packbits(bits[:24]).view(">u1").astype(np.int64) @ [1 << 16, 1 << 8, 1])
    dec = golay24_decode(head)
    if dec is None:
        return None
    field, gbits = dec
    length = field & 0xFF
    if length <= 32 or len(bits) < 24 + 8 * length:
        return None
    res = _descramble_and_correct(np.packbits(bits[24 : 24 + 8 * length]).tobytes())
    if res is None:
        return None
    frame, ncorr = res
    return frame, ncorr, gbits


@functools.lru_cache(maxsize=32)
def _descramble_and_correct(block: bytes) -> tuple[bytes, int] | None:
    """CCSDS descrambling + RS decoding of one received block.

    Cached: the receiver's parallel synchronisers usually hand over the same
    bits for a frame, and RS decoding is the costly part of the deframer.
    """
    return rs_decode(ccsds_xor(block))


def needed_bits(bits_after_sync: np.ndarray) -> int | None:
    """How many bits after the sync word the frame needs (None if the header is bad)."""
    if len(bits_after_sync) < 24:
        return HEADER_BITS - 32 + 8 * MAX_BLOCK
    head = int.from_bytes(np.packbits(bits_after_sync[:24]).tobytes(), "big")
    dec = golay24_decode(head)
    if dec is None:
        return None
    return 24 + 8 * (dec[0] & 0xFF)


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One AX100 ASM+Golay transmission of ``payload`` (<= 223 bytes): 0xAA preamble,
    sync word, Golay length field, scrambled RS block, two 0xAA bytes."""
    if len(payload) > 223:
        raise ValueError("AX100 frames carry at most 223 bytes")
    n_pre = max(4, -(-preamble_bits // 8))
    block = ccsds_xor(bytes(payload) + rs_encode(payload))
    head = golay24_encode(FLAG_SCRAMBLER | FLAG_RS | len(block))
    data = (
        b"\xaa" * n_pre
        + SYNC_WORD.to_bytes(4, "big")
        + head.to_bytes(3, "big")
        + block
        + b"\xaa" * 2
    )
    return EncodedFrame(np.unpackbits(np.frombuffer(data, dtype=np.uint8)), 8 * n_pre)


class Ax100Deframer(Deframer):
    """Sync word search (both polarities), Golay length field, descrambling, RS."""

    def __init__(self, invert: bool | None, max_sync_errors: int = 4) -> None:
        self.invert = invert
        self.max_errors = max_sync_errors
        self.window = 32 + 24 + 8 * MAX_BLOCK + 64
        self.next_sync = 0  # absolute index of the first sync candidate not yet examined

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        hard = (soft > 0).astype(np.uint8)
        lo = min(len(hard), max(0, self.next_sync - base))
        idx, inverted = find_sync(hard[lo:], SYNC_BITS, self.max_errors)
        idx = idx + lo
        out: list[RawFrame] = []
        pending = None
        for i, inv in zip(idx.tolist(), inverted.tolist(), strict=False):
            if base + i < self.next_sync:
                continue
            if self.invert is not None and inv != self.invert:
                continue
            after = hard[i + 32 :]
            if inv:
                after = 1 - after
            need = needed_bits(after)
            if need is None:
                continue
            if len(after) < need:
                if not final:
                    pending = i
                    break
                continue
            res = decode_block(after[:need])
            if res is None:
                continue
            frame, rs_corr, golay_corr = res
            fields = {
                "rs_corrected": rs_corr,
                "golay_corrected": golay_corr,
                "inverted": bool(inv),
            }
            out.append(RawFrame(i, i + 32 + need, frame, True, fields))
        if pending is not None:
            self.next_sync = base + pending
        elif len(hard) >= 32:
            self.next_sync = max(self.next_sync, base + len(hard) - 31)
        return out


FRAMINGS = (
    Framing(
        name="ax100",
        description="GomSpace AX100 ASM+Golay: sync 0x930B51DE, Golay length, CCSDS scrambler, RS",
        make_deframer=lambda options, invert: Ax100Deframer(invert),
        encode=encode,
        aliases=("AX100 ASM+Golay",),
        max_payload=223,
    ),
)
