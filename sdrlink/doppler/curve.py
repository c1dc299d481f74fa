"""Mix a stream with a smoothly varying frequency, independently of block size.

The frequency curve ``f(n)`` (Hz at absolute sample index ``n``) is sampled at
fixed absolute knots ``n_k = k * SEGMENT`` counted from sample 0 and applied as
a piecewise-linear ramp between knots (frequency plus rate per segment) by the
phase-continuous :class:`~sdrlink.dsp.nco.Nco`. Incoming blocks are split at
the knots, the NCO is retuned exactly at each knot, and the knot values are
computed in fixed aligned chunks. Hence every output sample depends only on
its absolute index, never on how the stream was cut into blocks, and device
gaps (a block starting later than the previous one ended) keep the NCO on the
true timeline.

With 2**14-sample segments the linear interpolation error of a LEO Doppler
curve is far below 1 Hz at any practical sample rate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sdrlink.dsp.nco import Nco
from sdrlink.errors import ConfigError

SEGMENT = 1 << 14  # samples per linear segment
CHUNK = 1 << 10  # knots computed per call of the curve function

FreqFn = Callable[[np.ndarray], np.ndarray]


class KnotTable:
    """Values of ``freq_fn`` at knots ``k * segment``, computed in aligned chunks and cached."""

    def __init__(self, freq_fn: FreqFn, segment: int = SEGMENT, chunk: int = CHUNK) -> None:
        self.freq_fn = freq_fn
        self.segment = int(segment)
        self.chunk = int(chunk)
        self._cache: dict[int, np.ndarray] = {}

    def knot(self, k: int) -> float:
        """Frequency (Hz) at knot ``k`` (absolute sample ``k * segment``)."""
        c, i = divmod(int(k), self.chunk)
        table = self._cache.get(c)
        if table is None:
            if len(self._cache) > 4:
                self._cache.pop(min(self._cache))
            idx = (c * self.chunk + np.arange(self.chunk, dtype=np.int64)) * self.segment
            table = np.asarray(self.freq_fn(idx), dtype=np.float64)
            self._cache[c] = table
        return float(table[i])

    def value_at(self, n: int) -> float:
        """The piecewise-linear frequency (Hz) applied at absolute sample ``n``."""
        k, rem = divmod(int(n), self.segment)
        f0, f1 = self.knot(k), self.knot(k + 1)
        return f0 + (f1 - f0) * rem / self.segment


class PiecewiseNco:
    """Applies (``sign=+1``) or removes (``sign=-1``) the curve ``freq_fn`` to a stream."""

    def __init__(
        self,
        sample_rate: float,
        freq_fn: FreqFn,
        *,
        sign: int = -1,
        phase: float = 0.0,
        segment: int = SEGMENT,
    ) -> None:
        self.sample_rate = float(sample_rate)
        self.table = KnotTable(freq_fn, segment)
        self.segment = int(segment)
        self._seg = 0
        f, r = self._segment_params(0)
        self.nco = Nco(self.sample_rate, f, r, phase=phase, sign=sign)

    @property
    def position(self) -> int:
        """Absolute index of the next sample the NCO expects."""
        return self.nco.position

    def _segment_params(self, k: int) -> tuple[float, float]:
        f0, f1 = self.table.knot(k), self.table.knot(k + 1)
        return f0, (f1 - f0) * self.sample_rate / self.segment

    def _next_segment(self) -> None:
        self._seg += 1
        self.nco.retune(*self._segment_params(self._seg))

    def _advance_to(self, index: int) -> None:
        """Skip silently (a gap) up to ``index``, retuning at every knot on the way."""
        while self.nco.position < index:
            boundary = (self._seg + 1) * self.segment
            self.nco.skip(min(boundary, index) - self.nco.position)
            if self.nco.position == boundary:
                self._next_segment()

    def process(self, x: np.ndarray, start: int) -> np.ndarray:
        """Mix ``x`` whose first sample has absolute index ``start``; returns complex64."""
        if not np.iscomplexobj(x):
            raise ConfigError("Doppler compensation needs IQ (complex) samples, not real audio")
        if start < self.nco.position:
            raise ValueError(
                f"block starts at sample {start}, before sample {self.nco.position} "
                "already processed"
            )
        self._advance_to(start)
        x = np.ascontiguousarray(x, dtype=np.complex64)
        out = np.empty_like(x)
        pos, end = start, start + len(x)
        while pos < end:
            boundary = (self._seg + 1) * self.segment
            stop = min(boundary, end)
            self.nco.mix(x[pos - start : stop - start], out=out[pos - start : stop - start])
            pos = stop
            if pos == boundary:
                self._next_segment()
        return out

    def freq_at(self, n: int) -> float:
        """The frequency (Hz) applied at absolute sample ``n``."""
        return self.table.value_at(n)

    def rate_at(self, n: int) -> float:
        """The frequency rate (Hz/s) applied at absolute sample ``n``."""
        return self._segment_params(int(n) // self.segment)[1]
