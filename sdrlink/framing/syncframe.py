"""The shared deframer of the sync-word framings: sync search, then a block decoder.

Most custom satellite framings (those of transceiver chips such as the TI
CC11xx, SiLabs Si4463 or Semtech SX126x, and many ad-hoc ones) send a
preamble, a fixed sync word and a block of bounded length whose own code
(CRC, Reed-Solomon, BCH) says whether it is a frame. :class:`SyncDeframer`
does the streaming part once for all of them: it finds the sync word with up
to ``max_errors`` bit errors in either channel polarity (the Cython search of
:mod:`sdrlink.framing.sync`), waits until the block after it is complete,
and hands the block's soft symbols, polarity-corrected, to the framing's
``decode`` function, which returns the frames it carries (usually one, or
none on noise). A framing whose line code is NRZI gets the NRZI-decoded soft
symbols instead, and its sync word is then searched in one polarity only.

Every frame's fields get ``sync_errors`` (bit errors in the sync word) and
``inverted`` (the polarity it was found in; absent for NRZI framings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink.framing.base import Deframer, RawFrame
from sdrlink.framing.sync import find_sync, mostly_erased


@dataclass
class Decoded:
    """A frame a block decoder found: its payload, check, extent and fields.

    ``bits`` is how many symbols after the sync word the frame occupies (for
    :attr:`RawFrame.stop`); ``crc_ok`` as in :class:`RawFrame`.
    """

    payload: bytes
    crc_ok: bool | None
    bits: int
    fields: dict[str, Any] = field(default_factory=dict)


#: soft symbols after the sync word (>0 = bit 1, polarity-corrected) -> frames
BlockDecoder = Callable[[np.ndarray], list[Decoded]]
#: hard bits after the sync word (as many as have arrived, maybe none) -> symbols
#: the block needs, or None when what arrived already rules out a frame
NeededFn = Callable[[np.ndarray], "int | None"]


def bits_from_string(text: str) -> np.ndarray:
    """A sync word written as a string of 0s and 1s (as gr-satellites writes them)."""
    if not text or set(text) - {"0", "1"}:
        raise ValueError(f"not a bit string: {text!r}")
    return np.array([int(c) for c in text], dtype=np.uint8)


def nrzi_soft(soft: np.ndarray) -> np.ndarray:
    """Soft NRZI decoding (1 = no level change): the sign of the product of
    neighbouring symbols, the smaller magnitude as confidence. The first symbol
    has no neighbour and gets 0 (no information)."""
    s = np.asarray(soft, dtype=np.float32)
    out = np.zeros(len(s), np.float32)
    if len(s) > 1:
        out[1:] = np.sign(s[1:] * s[:-1]) * np.minimum(np.abs(s[1:]), np.abs(s[:-1]))
    return out


def hard_bits(soft: np.ndarray) -> np.ndarray:
    """0/1 decisions of soft symbols."""
    return (np.asarray(soft) > 0).astype(np.uint8)


def pack_msb(bits: np.ndarray) -> bytes:
    """Bytes of 0/1 bits, MSB first (a partial last byte is dropped)."""
    bits = np.asarray(bits, dtype=np.uint8)
    n = len(bits) - len(bits) % 8
    return np.packbits(bits[:n]).tobytes()


def pack_lsb(bits: np.ndarray) -> bytes:
    """Bytes of 0/1 bits, LSB first (a partial last byte is dropped)."""
    bits = np.asarray(bits, dtype=np.uint8)
    n = len(bits) - len(bits) % 8
    return np.packbits(bits[:n], bitorder="little").tobytes()


def unpack_msb(data: bytes) -> np.ndarray:
    """0/1 bits of ``data``, MSB first."""
    return np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8))


class SyncDeframer(Deframer):
    """Sync word (both polarities, or NRZI-decoded) followed by a block of at most
    ``span`` symbols that ``decode`` turns into frames.

    ``needed`` (optional) tells from the first bits after the sync word how long
    the block really is (a length field), so that short frames are decoded
    without waiting for ``span`` symbols, and rejects a candidate early when its
    header is impossible. ``invert`` None searches both polarities.
    """

    def __init__(
        self,
        sync: np.ndarray,
        max_errors: int,
        span: int,
        decode: BlockDecoder,
        invert: bool | None = None,
        nrzi: bool = False,
        needed: NeededFn | None = None,
    ) -> None:
        self.sync = np.asarray(sync, dtype=np.uint8)
        if not 1 <= len(self.sync) <= 64:
            raise ValueError("sync word must have 1..64 bits")
        self.max_errors = int(max_errors)
        self.span = int(span)
        self.decode = decode
        self.invert = None if nrzi else invert
        self.nrzi = nrzi
        self.needed = needed
        self.window = len(self.sync) + self.span + 64
        self.next_sync = 0  # absolute index of the first sync candidate not yet examined

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        soft = np.asarray(soft, dtype=np.float32)
        if self.nrzi:
            soft = nrzi_soft(soft)
        hard = hard_bits(soft)
        n = len(self.sync)
        lo = min(len(hard), max(0, self.next_sync - base))
        idx, inverted = find_sync(hard[lo:], self.sync, self.max_errors)
        idx = idx + lo
        out: list[RawFrame] = []
        pending = None
        for i, inv in zip(idx.tolist(), inverted.tolist(), strict=True):
            if base + i < self.next_sync:
                continue
            if (self.nrzi and inv) or (self.invert is not None and inv != self.invert):
                continue
            after = hard[i + n : i + n + self.span]
            if inv:
                after = 1 - after
            need = self.span if self.needed is None else self.needed(after)
            if need is None:
                continue
            need = min(need, self.span)
            if len(after) < need and not final:
                pending = i
                break
            seg = soft[i + n : i + n + need]
            if inv:
                seg = -seg
            errors = int(np.count_nonzero(hard[i : i + n] ^ self.sync ^ np.uint8(inv)))
            for d in self.decode(seg):
                if mostly_erased(seg[: d.bits]):
                    continue
                fields: dict[str, Any] = {"sync_errors": errors}
                if not self.nrzi:
                    fields["inverted"] = bool(inv)
                fields.update(d.fields)
                out.append(RawFrame(i, i + n + d.bits, d.payload, d.crc_ok, fields))
        if pending is not None:
            self.next_sync = base + pending
        elif len(hard) >= n:
            self.next_sync = max(self.next_sync, base + len(hard) - n + 1)
        return out
