"""SMOG-P / SMOG-1 signalling frames: a 64-bit sync word and 64 bytes.

SMOG-P (and ATL-1, SMOG-1) announce each downlink packet with a short
signalling frame at the packet's baud rate: the 64-bit sync word
0x2DD4_97FD_D37B_0F1F, then 64 bytes (MSB first). SMOG-1's new protocol also
sends signalling frames with a second sync word, 0x2DD4_A39E_1A55_6BCB. The
frame carries no check of its own (crc_ok is None), so the sync word must
match closely (at most 8 of its 64 bits wrong, as gr-satellites allows):
noise matches that once in about 10^9 positions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.framing.base import Deframer, EncodedFrame, Framing, RawFrame
from sdrlink.framing.sync import bits_of, find_sync

SYNC_SMOGP = 0x2DD497FDD37B0F1F
SYNC_SMOG1_TX = 0x2DD4A39E1A556BCB
FRAME_BYTES = 64


class SignallingDeframer(Deframer):
    """Sync word(s) in hard bits (both polarities), then a fixed 64 bytes."""

    def __init__(self, syncs: tuple[int, ...], invert: bool | None, max_errors: int = 8) -> None:
        self.syncs = [bits_of(s, 64) for s in syncs]
        self.invert = invert
        self.max_errors = max_errors
        self.need = 64 + 8 * FRAME_BYTES
        self.window = self.need + 64
        self.next_sync = 0

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        hard = (np.asarray(soft) > 0).astype(np.uint8)
        lo = max(0, self.next_sync - base)
        stop = len(hard) - self.need + 1
        out: list[RawFrame] = []
        if stop <= lo:
            return out
        for which, sync in enumerate(self.syncs):
            idx, inverted = find_sync(hard[lo : stop + 63], sync, self.max_errors)
            for i, inv in zip((idx + lo).tolist(), inverted.tolist(), strict=True):
                if i >= stop or (self.invert is not None and inv != self.invert):
                    continue
                bits = hard[i + 64 : i + self.need]
                data = np.packbits(1 - bits if inv else bits).tobytes()
                errors = int(np.count_nonzero(hard[i : i + 64] != (1 - sync if inv else sync)))
                fields = {"inverted": bool(inv), "sync_errors": errors, "sync_word": which}
                out.append(RawFrame(i, i + self.need, data, None, fields))
        out.sort(key=lambda r: r.start)
        self.next_sync = base + stop
        return out


def _encoder(sync: int):  # noqa: ANN202
    def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
        if len(payload) > FRAME_BYTES:
            raise ValueError(f"a signalling frame carries {FRAME_BYTES} bytes")
        data = sync.to_bytes(8, "big") + bytes(payload).ljust(FRAME_BYTES, b"\x00")
        pre = np.arange(max(16, preamble_bits)) % 2
        body = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
        return EncodedFrame(
            np.concatenate([pre, body, np.arange(16) % 2]).astype(np.uint8), len(pre)
        )

    return encode


FRAMINGS = (
    Framing(
        name="smogp_signalling",
        description="SMOG-P signalling: 64-bit sync word, 64 bytes, no check",
        make_deframer=lambda options, invert: SignallingDeframer((SYNC_SMOGP,), invert),
        encode=_encoder(SYNC_SMOGP),
        aliases=("SMOG-P Signalling",),
        max_payload=FRAME_BYTES,
    ),
    Framing(
        name="smog1_signalling",
        description="SMOG-1 signalling: either of two 64-bit sync words, 64 bytes, no check",
        make_deframer=lambda options, invert: SignallingDeframer(
            (SYNC_SMOGP, SYNC_SMOG1_TX), invert
        ),
        encode=_encoder(SYNC_SMOG1_TX),
        aliases=("SMOG-1 Signalling",),
        max_payload=FRAME_BYTES,
    ),
)
