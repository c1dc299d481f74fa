"""Many narrow channels out of one wideband stream at once: an FFT filter bank.

Overlap-save fast convolution. The input is cut into blocks of ``N``
samples that overlap by ``V``; each block is transformed once (shared by
every channel). A channel keeps the ``K`` bins around its centre, weighs
them by its filter's response and transforms them back with a ``K``-point
inverse FFT: that is the block mixed down by the centre frequency,
low-passed and resampled by ``K/N`` in one step, and the samples near the
block ends (where the circular convolution wraps) are dropped. Per input
sample this costs one share of the big FFT plus ``K/N`` of each channel's
small one, instead of a full-rate mixer and filter per channel.

Output sample ``j`` of every channel is the filtered input at absolute input
position ``j * N / K`` (a zero-phase filter, so no delay), mixed by
``exp(-2j*pi*center*t)`` with ``t`` counted from input sample 0, whatever
the blocks: outputs do not depend on how the input was cut. A channel's
centre is its requested offset rounded to the bin grid (``fs/N``, a few
hundred Hz); :attr:`FftChannelizer.centers` says where each one is.

The response is flat (1) up to ``passband`` times the output Nyquist
frequency and falls as a raised cosine to 0 at the output Nyquist
frequency; nothing beyond it is kept, so nothing aliases.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from sdrlink._ext.bank import gather_bins
from sdrlink.dsp.fft import RowFFT

MARGIN_OUT = 80  # output samples dropped at each block end (the filter's reach)
MAX_N = 1 << 18


def _smooth(n: int) -> bool:
    """Whether ``n`` has no prime factor above 7 (fast FFT sizes)."""
    for p in (2, 3, 5, 7):
        while n % p == 0:
            n //= p
    return n == 1


def _next_smooth(n: int) -> int:
    while not _smooth(n):
        n += 1
    return n


def plan_sizes(fs: float, out_rate: float) -> tuple[int, int]:
    """(N, K): block and channel FFT sizes with ``fs * K / N`` at or just above ``out_rate``.

    Exactly ``out_rate`` when the ratio is a fraction with a small enough
    denominator (2.4 Msps to 250 ksps: 5/48); else the next rate above it
    that smooth FFT sizes give.
    """
    target = out_rate / fs
    if not 0 < target <= 1:
        raise ValueError(f"output rate {out_rate:g} must be in (0, {fs:g}]")
    margin = math.ceil(MARGIN_OUT / target)
    n_min = max(8 * margin, 256)  # overlap at most a quarter of the block
    frac = Fraction(target).limit_denominator(1 << 20)
    if abs(float(frac) - target) <= 1e-12 * target:
        p, q = frac.numerator, frac.denominator
        a = max(1, -(-n_min // q))
        while a * q <= MAX_N:
            n, k = a * q, a * p
            if _smooth(n) and _smooth(k):
                return n, k
            a += 1
    n = _next_smooth(n_min)
    k = _next_smooth(math.ceil(n * target))
    return n, k


class FftChannelizer:
    """Channels at ``offsets`` (Hz) of a stream at ``fs``, each resampled to ``out_rate``.

    ``process(x, start)`` takes consecutive input blocks (absolute index of
    the first sample; a gap is filled with zeros) and returns, per channel,
    the new output samples and the index of the first. ``flush()`` ends the
    stream: the outputs up to the last input sample.
    """

    def __init__(
        self,
        fs: float,
        out_rate: float,
        offsets: list[float],
        passband: float = 0.8,
        batch: int = 32,
    ) -> None:
        if not 0 < passband < 1:
            raise ValueError("passband must be a fraction of the output Nyquist frequency")
        self.fs = float(fs)
        n, k = plan_sizes(self.fs, float(out_rate))
        self.n, self.k = n, k
        g = math.gcd(n, k)
        self.p, self.q = k // g, n // g  # K/N reduced: positions repeat every q inputs
        self.rate = self.fs * k / n  # the actual output rate
        self.ratio = n / k  # input samples per output sample
        margin = -(-math.ceil(MARGIN_OUT * self.ratio) // self.q) * self.q
        self.margin = margin  # input samples dropped at each end of a block
        self.hop = n - 2 * margin
        if self.hop <= 0:
            raise ValueError("channelizer block too short for its filter")
        self.hop_out = self.hop * self.p // self.q
        self.m0 = margin * self.p // self.q
        self.bins: list[np.ndarray] = []
        self.weights: list[np.ndarray] = []
        self.centers: list[float] = []
        kk = np.arange(k) - k // 2  # bin offsets from the centre, -K/2 .. K/2-1
        u = np.abs(kk) * (self.fs / n) / (self.rate / 2)  # 1 = output Nyquist
        taper = 0.5 * (1 + np.cos(np.pi * np.clip((u - passband) / (1 - passband), 0, 1)))
        h = np.where(u <= passband, 1.0, taper) / n  # / n: FFTW's inverse is not scaled
        order = np.argsort(kk % k)  # inverse-FFT order: bin offset d goes to d mod K
        for off in offsets:
            c = int(round(off * n / self.fs))
            self.centers.append(c * self.fs / n)
            self.bins.append(((c + kk[order]) % n).astype(np.intp))
            self.weights.append(h[order].astype(np.complex64))
        self._c = [int(round(off * n / self.fs)) for off in offsets]
        self.batch = batch
        self._fwd: RowFFT | None = None
        self._inv: RowFFT | None = None
        self._buf = np.zeros(0, dtype=np.complex64)
        self._buf_start = -margin  # absolute index of _buf[0]: block 0 starts before 0
        self._buf = np.zeros(margin, dtype=np.complex64)
        self._stop = 0  # absolute index after the last input sample
        self.next_block = 0

    @property
    def channels(self) -> int:
        return len(self.centers)

    def _append(self, x: np.ndarray, start: int) -> None:
        if start > self._stop:
            x = np.concatenate([np.zeros(start - self._stop, dtype=np.complex64), x])
        elif start < self._stop:
            x = x[self._stop - start :]
        self._buf = np.concatenate([self._buf, x]) if len(self._buf) else x.copy()
        self._stop += len(x)

    def process(self, x: np.ndarray, start: int) -> list[tuple[np.ndarray, int]]:
        """Feed ``x`` (input samples from absolute ``start``); new outputs per channel."""
        self._append(np.ascontiguousarray(x, dtype=np.complex64), start)
        return self._run(self._stop)

    def flush(self) -> list[tuple[np.ndarray, int]]:
        """Outputs up to the last input sample (the last blocks padded with zeros)."""
        end = self._stop
        last = -(-end * self.p // self.q)  # outputs at positions < end
        need = (last + self.hop_out - 1) // self.hop_out  # blocks to cover them
        pad_to = need * self.hop + self.margin
        if pad_to > self._stop:
            self._buf = np.concatenate(
                [self._buf, np.zeros(pad_to - self._stop, dtype=np.complex64)]
            )
        out = self._run(self._buf_start + len(self._buf))
        self._stop = end
        return [(y[: max(0, last - j0)], j0) for y, j0 in out]

    def _run(self, stop: int) -> list[tuple[np.ndarray, int]]:
        """All blocks that ``stop`` completes, in batches of ``self.batch``."""
        n, hop = self.n, self.hop
        first = self.next_block
        # block b spans [b*hop - margin, b*hop - margin + n)
        last = (stop + self.margin - n) // hop + 1 if stop + self.margin >= n else 0
        outs: list[list[np.ndarray]] = [[] for _ in self.centers]
        j0 = first * self.hop_out
        b = first
        while b < last:
            m = min(self.batch, last - b)
            self._blocks(b, m, outs)
            b += m
        self.next_block = last
        drop = last * hop - self.margin - self._buf_start  # the next block's first sample
        if drop > 0:
            self._buf = self._buf[drop:].copy()
            self._buf_start += drop
        return [(np.concatenate(o) if o else np.zeros(0, dtype=np.complex64), j0) for o in outs]

    def _blocks(self, b0: int, m: int, outs: list[list[np.ndarray]]) -> None:
        n, k, hop = self.n, self.k, self.hop
        if self._fwd is None:
            self._fwd = RowFFT(self.batch, n)
            self._inv = RowFFT(self.batch, k, inverse=True)
        fwd, inv = self._fwd, self._inv
        assert inv is not None
        a = b0 * hop - self.margin - self._buf_start
        blocks = np.lib.stride_tricks.sliding_window_view(self._buf, n)
        fwd.inp[:m] = blocks[a : a + (m - 1) * hop + 1 : hop]
        spec = fwd()
        starts = (b0 + np.arange(m)) * hop - self.margin  # absolute first sample per block
        for ci, c in enumerate(self._c):
            # the block's bins mix by exp(-2j*pi*c*n/N) from the block start: refer the
            # phase to sample 0 instead (in cycles, reduced exactly in integers)
            phase = ((c * starts) % n) / n
            gather_bins(spec, self.bins[ci], self.weights[ci], phase, inv.inp)
            y = inv()[:m]
            outs[ci].append(y[:, self.m0 : self.m0 + self.hop_out].reshape(-1).copy())
