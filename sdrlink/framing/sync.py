"""Sync-marker search in hard bits, both polarities, and the streaming skeleton
of the framings that start with a sync word (:class:`SyncDeframer`)."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink._ext import coding_dsp  # type: ignore[attr-defined]
from sdrlink.framing.base import Deframer, RawFrame


def bits_of(word: int, n: int) -> np.ndarray:
    """The ``n`` bits of ``word``, MSB first, as a 0/1 array."""
    return np.array([(word >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def _word(pattern: np.ndarray) -> int:
    """The bits of ``pattern`` (MSB first) as an integer."""
    p = np.asarray(pattern, dtype=np.uint8) & 1
    return int.from_bytes(np.packbits(p).tobytes(), "big") >> (-len(p) % 8)


def find_sync(
    bits: np.ndarray, pattern: np.ndarray, max_errors: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices where ``pattern`` (<= 64 bits) starts with <= ``max_errors`` bit errors,
    in either polarity.

    Returns (indices, inverted) where ``inverted`` says the bits there are the
    complement of the pattern (inverted channel polarity).
    """
    bits = np.ascontiguousarray(bits, dtype=np.uint8)
    n = len(pattern)
    if len(bits) < n:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    word = _word(pattern)
    idx = np.empty(len(bits), np.int64)
    inv = np.empty(len(bits), np.uint8)
    k = coding_dsp.sync_search(bits, word, n, max_errors, idx, inv)
    return idx[:k].copy(), inv[:k].astype(bool)


ERASED_SHARE = 0.25


def mostly_erased(soft: np.ndarray) -> bool:
    """Whether over a quarter of ``soft`` is exactly 0 or not finite: a zero-filled gap.

    Such symbols carry no decision, yet read as 0 bits: a sync word followed by a
    gap would give the all-zero codeword, which RS and CRCs with a zero start
    accept. No frame survives that many erasures anyway.
    """
    s = np.asarray(soft)
    if len(s) == 0:
        return False
    bad = np.count_nonzero(~np.isfinite(s)) + np.count_nonzero(s == 0)
    return bool(bad > ERASED_SHARE * len(s))


def sync_errors(bits: np.ndarray, pattern: np.ndarray, inverted: bool) -> int:
    """Bit errors of the sync word at the start of ``bits`` (in the given polarity)."""
    n = len(pattern)
    return int(np.count_nonzero((bits[:n] ^ np.uint8(inverted)) != pattern))


@dataclass
class Decoded:
    """What :meth:`SyncDeframer.decode` found: a frame and its code's measurements."""

    payload: bytes
    crc_ok: bool | None
    fields: dict[str, Any] = field(default_factory=dict)
    used: int | None = None  # bits after the sync word the frame took (None: all given)


class SyncDeframer(Deframer):
    """Streaming skeleton of the framings that start with a sync word.

    The sync word is searched in the hard decisions of (optionally line-
    decoded) soft symbols, with up to ``max_sync_errors`` bit errors, in both
    polarities unless ``invert`` says which; for every hit the subclass says
    how many bits after the sync word the frame needs (:meth:`needed`, from
    its header: cheap, so noise is rejected early) and decodes them
    (:meth:`decode`, given the bits and the soft symbols in the sync word's
    polarity). A frame whose end has not arrived waits for the next window.

    Line codes with memory (:meth:`line_decode`: NRZI, G3RUH) are applied to
    the whole window; ``history`` says how many symbols the code looks back,
    and sync hits closer than that to a trimmed window's start are left to
    the earlier window that saw them whole, so the result does not depend on
    block sizes.
    """

    #: bits after the sync word :meth:`needed` looks at (header)
    header_bits: int = 0
    #: the preamble's last bits before the sync word, for framings whose code cannot
    #: tell the polarity (the complement of a codeword is one): when both polarities
    #: are searched, a hit counts only if these bits agree with its polarity too
    #: (up to :attr:`preamble_errors` errors), so a sync word inverted on its own
    #: does not invert the frame
    preamble: np.ndarray | None = None
    preamble_errors: int = 3

    def __init__(
        self,
        sync: np.ndarray,
        max_sync_errors: int,
        max_after: int,
        invert: bool | None,
        history: int = 0,
    ) -> None:
        self.sync = np.asarray(sync, dtype=np.uint8)
        self.max_errors = int(max_sync_errors)
        self.invert = invert
        self.history = int(history)
        if self.preamble is not None:  # keep the preamble in every window a hit is seen in
            self.history = max(self.history, len(self.preamble))
        self.max_after = int(max_after)
        self.window = len(self.sync) + self.max_after + 64 + self.history
        self.next_sync = 0  # absolute index of the first sync candidate not yet examined

    def line_decode(self, soft: np.ndarray) -> np.ndarray:
        """Soft symbols -> soft bits of the framing (identity for NRZ)."""
        return soft

    def needed(self, head: np.ndarray) -> int | None:
        """Bits after the sync word the frame needs, from the first
        :attr:`header_bits` of them; None rejects the candidate."""
        return self.max_after

    @abstractmethod
    def decode(self, bits: np.ndarray, soft: np.ndarray, sync_errors: int) -> Decoded | None:
        """Decode the bits after the sync word (as many as :meth:`needed` said, or
        fewer when the stream ended); None when the frame's code rejects them.
        ``sync_errors``: bit errors in this candidate's sync word."""

    def _preamble_agrees(self, hard: np.ndarray, i: int, inverted: bool) -> bool:
        """Whether the bits before the sync hit at ``i`` (as many of :attr:`preamble`
        as the stream has) read as the preamble in the hit's polarity."""
        if self.preamble is None:
            return True
        n = min(len(self.preamble), i)
        before = hard[i - n : i] ^ np.uint8(inverted)
        return int(np.count_nonzero(before != self.preamble[len(self.preamble) - n :])) <= (
            self.preamble_errors
        )

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        soft = self.line_decode(np.asarray(soft, dtype=np.float32))
        hard = (soft > 0).astype(np.uint8)
        n = len(self.sync)
        lo = max(0, self.next_sync - base, 0 if base == 0 else self.history)
        lo = min(lo, len(hard))
        idx, inverted = find_sync(hard[lo:], self.sync, self.max_errors)
        out: list[RawFrame] = []
        pending = None
        for i, inv in zip((idx + lo).tolist(), inverted.tolist(), strict=True):
            if self.invert is not None and inv != self.invert:
                continue
            if self.invert is None and not self._preamble_agrees(hard, i, inv):
                continue
            avail = len(hard) - i - n
            if avail < self.header_bits:
                if not final:
                    pending = i
                    break
                continue
            after = hard[i + n :] ^ np.uint8(inv)
            need = self.needed(after[: self.header_bits])
            if need is None:
                continue
            if avail < need and not final:
                pending = i
                break
            need = min(need, avail)
            sign = np.float32(-1.0 if inv else 1.0)
            errors = sync_errors(hard[i:], self.sync, inv)
            res = self.decode(after[:need], sign * soft[i + n : i + n + need], errors)
            if res is None:
                continue
            used = need if res.used is None else res.used
            if mostly_erased(soft[i + n : i + n + used]):
                continue
            fields = {"sync_errors": errors, "inverted": bool(inv)}
            fields.update(res.fields)
            out.append(RawFrame(i, i + n + used, res.payload, res.crc_ok, fields))
        if pending is not None:
            self.next_sync = base + pending
        elif len(hard) >= n:
            self.next_sync = max(self.next_sync, base + len(hard) - n + 1)
        return out
