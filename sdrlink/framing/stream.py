"""Plumbing between a demodulator and its deframers, shared by the modems.

:class:`SymbolWindow` keeps the soft symbols (and per-symbol side data such as
their positions in the input, or the carrier level there) that a deframer
still needs; :class:`FrameMerger` drops the copies of one frame that several
chains (synchronisers with other settings, both polarities) found, so that
each frame is reported once, in a block-size independent order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sdrlink.framing.base import Deframer, RawFrame


class SymbolWindow:
    """Soft symbols with side data, trimmed to the deframer's window.

    ``side`` names the per-symbol arrays that travel with the symbols (e.g.
    ``("pos", "dc")``); :meth:`segment` returns them for a found frame.
    """

    def __init__(self, deframer: Deframer, side: Sequence[str] = ("pos",)) -> None:
        self.deframer = deframer
        self.soft = np.zeros(0, np.float32)
        self.side = {name: np.zeros(0, np.float64) for name in side}
        self.base = 0  # absolute symbol index of soft[0]

    def feed(self, soft: np.ndarray, final: bool, **side: np.ndarray) -> list[RawFrame]:
        """Append symbols (and their side data) and let the deframer scan the window."""
        self.soft = np.concatenate([self.soft, np.asarray(soft, np.float32)])
        for name in self.side:
            self.side[name] = np.concatenate([self.side[name], side[name]])
        return self.deframer.scan(self.soft, self.base, final)

    def segment(self, name: str, frame: RawFrame) -> np.ndarray:
        """Side data ``name`` over the frame's symbols (a view that survives :meth:`trim`)."""
        return self.side[name][frame.start : frame.stop]

    def symbols(self, frame: RawFrame) -> np.ndarray:
        """The frame's soft symbols (a view that survives :meth:`trim`)."""
        return self.soft[frame.start : frame.stop]

    def trim(self) -> None:
        """Forget symbols the deframer no longer needs (call after handling the frames)."""
        cut = len(self.soft) - self.deframer.window
        if cut > 0:
            # slicing rebinds: views handed out before stay valid
            self.soft = self.soft[cut:]
            for name in self.side:
                self.side[name] = self.side[name][cut:]
            self.base += cut


class FrameMerger:
    """Accepts a frame unless the same payload, overlapping in time, was accepted."""

    def __init__(self, horizon: float) -> None:
        self.horizon = horizon  # how far back (input samples) a copy can end
        self.emitted: list[tuple[int, int, bytes]] = []  # (start, stop, payload)

    def accept(self, start: int, stop: int, payload: bytes) -> bool:
        """True for a new frame (and remember it); False for a copy of an accepted one."""
        if any(p == payload and s <= stop and start <= e for s, e, p in self.emitted):
            return False
        self.emitted.append((start, stop, payload))
        return True

    def forget_old(self) -> None:
        """Drop frames that can no longer overlap a new one."""
        if self.emitted:
            edge = self.emitted[-1][1] - self.horizon
            self.emitted = [e for e in self.emitted if e[1] >= edge]
