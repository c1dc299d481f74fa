"""Detection windows in bulk: dechirp, FFT and adjacent-bin pair power, in fixed-size chunks.

Every detector of one spreading factor (one per channel) hands its new
windows to the same :class:`ScanEngine`, which packs them into chunks of a
fixed number of rows for one planned transform each: one call for all
channels instead of one per channel, and every window goes through the
same plan whatever the block sizes, so its power row (and therefore every
trigger decision) is bit for bit the same however the input was cut.
"""

from __future__ import annotations

import numpy as np

from sdrlink._ext import lora_dsp
from sdrlink.dsp.fft import RowFFT
from sdrlink.protocols.lora.demod import ref_chirps

CHUNK_POINTS = 16384  # rows per transform: about this many points
HALF_ROWS = 8  # rows per transform of the half-bin engine (a near miss: 4 to 8 windows)


class ScanEngine:
    """Pair power rows of dechirped windows (``shift``: bins removed first, 0.5 = half-bin).

    ``rows`` caps the rows per transform: the half-bin engine sees a handful of
    windows per call (a near miss), for which a full chunk would be mostly padding.
    """

    def __init__(self, sf: int, shift: float = 0.0, rows: int = 256) -> None:
        self.sf = sf
        self.n = n = 1 << sf
        self.chunk = min(rows, 256, max(4, CHUNK_POINTS // n))
        self._fft: RowFFT | None = None  # planned on first use
        self._ref = ref_chirps(sf)[0]
        self._shift = np.array([shift], dtype=np.float64)

    def pair_rows(self, segments: list[np.ndarray], lead: int = 0) -> list[np.ndarray]:
        """For each (r, N) window array: a float32 (lead + r, N) array, rows ``lead:`` filled.

        Row k of a window is ``|X[k]|**2 + |X[k+1]|**2`` of its dechirped
        spectrum ``X`` (bins k and k+1: no power lost between bins); the
        ``lead`` rows in front are left for the caller (earlier rows).
        """
        n, chunk = self.n, self.chunk
        if self._fft is None:
            self._fft = RowFFT(chunk, n)
        fft = self._fft
        outs = [np.empty((lead + len(s), n), dtype=np.float32) for s in segments]
        pending: list[tuple[np.ndarray, int, int, int]] = []
        fill = 0
        for seg, out in zip(segments, outs, strict=True):
            seg = np.ascontiguousarray(seg, dtype=np.complex64)
            done = 0
            while done < len(seg):
                take = min(chunk - fill, len(seg) - done)
                lora_dsp.dechirp_shift(
                    seg[done : done + take], self._ref, self._shift, fft.inp[fill : fill + take]
                )
                pending.append((out, lead + done, fill, take))
                fill += take
                done += take
                if fill == chunk:
                    self._run(pending)
                    fill = 0
        if fill:
            self._run(pending)
        return outs

    def _run(self, pending: list[tuple[np.ndarray, int, int, int]]) -> None:
        assert self._fft is not None
        spec = self._fft()
        for out, dest, at, count in pending:
            lora_dsp.pair_power(spec[at : at + count], out[dest : dest + count])
        pending.clear()
