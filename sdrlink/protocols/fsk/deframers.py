"""Streaming deframers: hard bits (with absolute symbol indices) -> frames.

Each deframer sees a sliding window of symbols that always reaches back at
least :attr:`window` symbols, remembers which candidates it has already
examined (by absolute index) and so finds every frame exactly once, whatever
the block sizes were.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink.protocols.fsk import ax25, ax100, ax5043
from sdrlink.protocols.fsk.scramblers import g3ruh_descramble


@dataclass
class RawFrame:
    """A frame found in the symbol window (indices relative to the window)."""

    start: int
    stop: int
    payload: bytes
    crc_ok: bool
    fields: dict[str, Any] = field(default_factory=dict)


class HdlcDeframer:
    """AX.25 over HDLC with NRZI, optionally G3RUH-scrambled (polarity-free).

    Line decoding (descrambling, NRZI) and the flag search run once per new
    bit: decoded bits and flag positions are cached by absolute index.
    """

    def __init__(self, g3ruh: bool) -> None:
        self.g3ruh = g3ruh
        max_bits = ax25.MAX_FRAME_BYTES * 8 * 6 // 5 + 16
        self.window = max_bits + 64
        self.max_bits = max_bits
        self.next_close = 0  # absolute index of the first closing flag not yet examined
        self.end = 0  # absolute index after the last bit decoded so far
        self.dec = np.zeros(0, np.uint8)  # decoded bits [dec_base, end)
        self.dec_base = 0
        self.raw_tail = np.zeros(17, np.uint8)  # last line bits (descrambler history)
        self.last_level = 0  # last descrambled bit (NRZI reference)
        self.flags: list[int] = []  # absolute flag positions not yet used as an opening
        # absolute starts of six-1 windows: a flag pair with one between them
        # cannot hold a frame, which spares the costly check on noise
        self.sixes: list[int] = []

    def _decode_new(self, hard: np.ndarray, base: int) -> None:
        new = hard[self.end - base :]
        if not len(new):
            return
        line = new
        if self.g3ruh:
            line = g3ruh_descramble(new, history=self.raw_tail)
        self.raw_tail = np.concatenate([self.raw_tail, new])[-17:]
        dec = ax25.nrzi_decode(line, prev=self.last_level)
        self.last_level = int(line[-1])
        keep_from = max(0, base - self.dec_base)
        self.dec = np.concatenate([self.dec[keep_from:], dec])
        self.dec_base += keep_from
        start = max(0, self.end - 7 - self.dec_base)  # flags may straddle the old end
        found = ax25.find_flags(self.dec[start:]) + start + self.dec_base
        self.flags.extend(found[found + 7 >= self.end].tolist())
        start = max(0, self.end - 5 - self.dec_base)
        six = ax25.find_six_ones(self.dec[start:]) + start + self.dec_base
        self.sixes.extend(six[six + 5 >= self.end].tolist())
        self.end += len(new)

    def scan(self, hard: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        self._decode_new(hard, base)
        self.flags = [f for f in self.flags if f >= base and f >= self.dec_base]
        self.sixes = self.sixes[bisect.bisect_left(self.sixes, base) :]
        out: list[RawFrame] = []
        for a, c in zip(self.flags[:-1], self.flags[1:], strict=False):
            if c < self.next_close:
                continue
            n = c - a - 8
            if not ax25.MIN_FRAME_BYTES * 8 <= n <= self.max_bits:
                continue
            k = bisect.bisect_left(self.sixes, a + 8)
            if k < len(self.sixes) and self.sixes[k] <= c - 6:
                continue  # six 1s in a row between the flags: abort, not a frame
            frame = ax25.check_hdlc(self.dec[a + 8 - self.dec_base : c - self.dec_base])
            if frame is None:
                continue
            fields: dict[str, Any] = {}
            addr = ax25.parse_addresses(frame)
            if addr is not None:
                fields.update({k: v for k, v in addr.items() if k != "header_len"})
            out.append(RawFrame(a - base, c + 8 - base, frame, True, fields))
        if self.flags:
            self.next_close = max(self.next_close, self.flags[-1] + 1)
            self.flags = self.flags[-1:]  # the last flag may open the next frame
        return out


class Ax100Deframer:
    """GomSpace AX100 ASM+Golay: sync word search (both polarities), Golay, RS."""

    def __init__(self, invert: bool | None, max_sync_errors: int = 4) -> None:
        self.invert = invert
        self.max_errors = max_sync_errors
        self.window = 32 + 24 + 8 * ax100.MAX_BLOCK + 64
        self.next_sync = 0  # absolute index of the first sync candidate not yet examined

    def scan(self, hard: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        lo = min(len(hard), max(0, self.next_sync - base))
        idx, inverted = ax100.find_sync(hard[lo:], self.max_errors)
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
            need = ax100.needed_bits(after)
            if need is None:
                continue
            if len(after) < need:
                if not final:
                    pending = i
                    break
                continue
            res = ax100.decode_block(after[:need])
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


class Ax5043Deframer:
    """AX5043 FEC: sync on two encoded flags, Viterbi, HDLC with CRC-16/USB."""

    def __init__(self, invert: bool | None, max_sync_errors: int = 4) -> None:
        self.invert = invert
        self.max_errors = max_sync_errors
        self.span = 32 + ax5043.MAX_CODED_BITS
        self.window = self.span + 128
        self.next_sync = 0

    def scan(self, hard: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        lo = min(len(hard), max(0, self.next_sync - base))
        idx, inverted = ax100.find_sync(hard[lo:], self.max_errors, ax5043.SYNC_BITS)
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
            info, errors = ax5043.decode_coded(coded)
            flags = ax25.find_flags(info)
            for a, c in zip(flags[:-1].tolist(), flags[1:].tolist(), strict=False):
                for frame in ax5043.frames_from_bits(info[a : c + 8]):
                    fields = {"viterbi_metric": errors, "inverted": bool(inv)}
                    # A frame starts at its sync, unless it lies further into the
                    # Viterbi span than a preamble would put it: the span after a sync
                    # (or a false sync in noise) can run on into a later frame. That one
                    # is dated from its closing flag and its length (two coded bits per
                    # info bit; bit stuffing makes it a little late, never early).
                    bits = 8 * (len(frame) + 2)
                    est = max(a, c - bits)
                    start = i if est <= 48 + bits // 10 else i + 2 * est
                    out.append(
                        RawFrame(start, min(len(hard), i + 2 * (c + 8)), frame, True, fields)
                    )
        if pending is not None:
            self.next_sync = base + pending
        elif len(hard) >= 32:
            self.next_sync = max(self.next_sync, base + len(hard) - 31)
        return out
