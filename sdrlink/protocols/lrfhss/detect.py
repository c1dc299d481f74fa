"""Per-hop energy search: where in time and frequency a header hop may be.

A header hop keeps one frequency for 233 ms, so its energy stands out of
the noise long before its bits can be read. Each filter-bank channel is cut
into 125 Hz sub-bands by a 16-point DFT over 8 ms of its samples (the middle
eight of the sixteen: the sub-bands of neighbouring channels tile the
capture on one 125 Hz grid); five neighbouring sub-bands (625 Hz, about the
width of a hop) are summed. A candidate is a place where the 232 ms around
it, and each 116 ms half, exceed the sub-band's noise floor (a low
percentile of the last seconds, robust to a channel busy part of the time)
by a margin, where each 58 ms quarter holds a fair share of the excess (a
102 ms payload hop fills two quarters at most), and which is the largest
such value nearby. Every candidate is then checked by the sync-word search
(:func:`.demod.find_sync`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

BIN_FRAMES = 16  # filter-bank frames per power bin (and DFT length)
SUB_PER_CHAN = 8  # sub-bands kept per channel
SUM_BANDS = 5  # sub-bands summed
HALF_S = 0.116  # half of the detection window, seconds
FLOOR_S = 3.0  # history of the noise floor, seconds
FLOOR_Q = 25.0  # percentile of the noise floor
FLOOR_STRIDE = 2  # every 2nd bin of a long history is enough for the floor
BALANCE = 0.3  # the weakest quarter of a header window holds at least this share of the excess


@dataclass
class Candidate:
    bin: int  # absolute power-bin index of the window centre
    sub: int  # sub-band index (centre of the summed five)
    score: float  # window power over the noise floor


def _dft_matrix() -> np.ndarray:
    n = np.arange(BIN_FRAMES)
    k = np.arange(BIN_FRAMES // 2 - SUB_PER_CHAN // 2, BIN_FRAMES // 2 + SUB_PER_CHAN // 2)
    # bin k of the shifted DFT sits at (k - BIN_FRAMES/2) * rate / BIN_FRAMES
    return np.exp(-2j * np.pi * np.outer(n, k - BIN_FRAMES // 2) / BIN_FRAMES).astype(np.complex64)


class EnergyDetector:
    """Streaming energy search over the filter bank's output (see the module docstring)."""

    def __init__(
        self, n_chan: int, frame_rate: float, sigmas: float = 4.5, warmup: int = 0
    ) -> None:
        self.n_chan = n_chan
        self.n_sub = n_chan * SUB_PER_CHAN
        self.bin_rate = frame_rate / BIN_FRAMES
        self.sub_width = frame_rate / BIN_FRAMES  # Hz per sub-band
        self.half = max(2, int(round(HALF_S * self.bin_rate)))
        self.floor_bins = int(round(FLOOR_S * self.bin_rate))
        self._w = _dft_matrix()
        # a summed sub-band is a Gamma(SUM_BANDS) variable of mean SUM_BANDS (in noise units)
        self._q = float(stats.gamma.ppf(FLOOR_Q / 100, SUM_BANDS) / SUM_BANDS)
        n_win = 2 * self.half * SUM_BANDS
        self.thr_total = 1.0 + sigmas / np.sqrt(n_win)
        self.thr_half = 1.0 + (sigmas - 2.0) / np.sqrt(n_win / 2)
        self.sd_quarter = 1.0 / np.sqrt(n_win / 4)
        self._pending = np.zeros((0, n_chan), dtype=np.complex64)
        self.bins = np.zeros((0, self.n_sub), dtype=np.float32)
        self.bins_start = 0  # absolute index of bins[0]
        self.next_bin = 0  # first bin not yet searched
        self._started = False
        self._warmup = warmup  # frames the filter bank needs to fill its filters
        self._first = 0

    def sub_freq(self, sub: int, channel_freqs: np.ndarray) -> float:
        """Centre frequency (Hz) of sub-band ``sub`` given the bank's channel centres."""
        c, k = divmod(sub, SUB_PER_CHAN)
        return float(channel_freqs[c] + (k - SUB_PER_CHAN // 2) * self.sub_width)

    def push(self, frames: np.ndarray, first_frame: int) -> None:
        """Add filter-bank frames (consecutive, absolute index ``first_frame``)."""
        if not self._started:
            self._started = True
            f0 = first_frame + self._warmup
            self._first = f0 + (-f0) % BIN_FRAMES  # first frame binned: warm-up skipped
            self.bins_start = self.next_bin = self._first // BIN_FRAMES
        if first_frame < self._first:
            frames = frames[self._first - first_frame :]
        if len(frames) == 0:
            return
        if len(self._pending):
            frames = np.concatenate([self._pending, frames])
        n = (len(frames) // BIN_FRAMES) * BIN_FRAMES
        if n:
            blocks = frames[:n].reshape(-1, BIN_FRAMES, self.n_chan)
            spec = np.tensordot(blocks, self._w, axes=([1], [0]))  # (bins, chan, sub)
            p = (spec.real**2 + spec.imag**2).reshape(len(blocks), self.n_sub)
            # sum of SUM_BANDS neighbouring sub-bands, centred (edges: fewer, rescaled)
            cs = np.cumsum(np.pad(p, ((0, 0), (SUM_BANDS // 2 + 1, SUM_BANDS // 2))), axis=1)
            s = (cs[:, SUM_BANDS:] - cs[:, :-SUM_BANDS]).astype(np.float32)
            self.bins = np.concatenate([self.bins, s]) if len(self.bins) else s
        self._pending = frames[n:].copy()

    @property
    def bins_stop(self) -> int:
        return self.bins_start + len(self.bins)

    def search(self, final: bool = False, step: int = 32) -> list[Candidate]:
        """Candidates in the bins whose whole window has arrived (all of them when final)."""
        out: list[Candidate] = []
        h = self.half
        while True:
            a = self.next_bin
            b = a + step
            if b + 2 * h > self.bins_stop:
                if not final or a >= self.bins_stop:
                    break
                b = self.bins_stop
            out += self._search(a, b)
            self.next_bin = b
        keep = self.next_bin - 2 * h - self.floor_bins
        if keep > self.bins_start:
            self.bins = self.bins[keep - self.bins_start :]
            self.bins_start = keep
        return out

    def _floor(self, b: int) -> np.ndarray:
        h = self.half
        f_hi = min(b + 2 * h, self.bins_stop)
        f_lo = max(f_hi - self.floor_bins, self.bins_start)
        hist = self.bins[f_lo - self.bins_start : f_hi - self.bins_start]
        stride = max(1, min(FLOOR_STRIDE, len(hist) // 200))
        hist = hist[(-f_lo) % stride :: stride]
        kth = int(FLOOR_Q / 100 * (len(hist) - 1))
        floor = np.partition(hist, kth, axis=0)[kth] / self._q
        return np.maximum(floor, 1e-20)

    def has_window(self, centre: int, slack: int = 0) -> bool:
        """Whether the bins around ``centre`` (+- slack) are all held."""
        h = self.half
        return centre - slack - h >= self.bins_start and centre + slack + h <= self.bins_stop

    def peaks_near(self, centre: int, slack: int, sigmas: float, limit: int) -> list[Candidate]:
        """The strongest places within ``slack`` bins of ``centre``, over every sub-band.

        For a guided look where a header copy must be (a whole number of
        header blocks from a copy already found): the best of each sub-band
        over the slack, kept if above ``sigmas`` and the largest within
        +-SUM_BANDS sub-bands, at most ``limit`` of them, strongest first.
        """
        if not self.has_window(centre, slack):
            return []
        h = self.half
        lo = centre - slack - h - self.bins_start
        seg = self.bins[lo : lo + 2 * (slack + h)]
        cs = np.concatenate([np.zeros((1, self.n_sub)), np.cumsum(seg, axis=0, dtype=np.float64)])
        k = np.arange(h, h + 2 * slack + 1)
        floor = self._floor(centre)
        tot = (cs[k + h] - cs[k - h]) / (2 * h * floor)
        best_t = np.argmax(tot, axis=0)
        score = tot[best_t, np.arange(self.n_sub)]
        thr = 1.0 + sigmas / np.sqrt(2 * h * SUM_BANDS)
        out = []
        for c in np.argsort(-score):
            if score[c] <= thr or len(out) >= limit:
                break
            if any(abs(int(c) - o.sub) <= SUM_BANDS for o in out):
                continue
            b = int(centre - slack + best_t[c])
            out.append(Candidate(bin=b, sub=int(c), score=float(score[c])))
        return out

    def _search(self, a: int, b: int) -> list[Candidate]:
        h = self.half
        lo = max(a - 2 * h, self.bins_start)
        hi = min(b + 2 * h, self.bins_stop)
        seg = self.bins[lo - self.bins_start : hi - self.bins_start]
        floor = self._floor(b)
        cs = np.concatenate([np.zeros((1, self.n_sub)), np.cumsum(seg, axis=0, dtype=np.float64)])
        j = np.arange(max(a, lo + h), min(b, hi - h))
        if len(j) == 0:
            return []
        k = j - lo
        first = (cs[k] - cs[k - h]) / (h * floor)
        second = (cs[k + h] - cs[k]) / (h * floor)
        total = 0.5 * (first + second)
        ok = (total > self.thr_total) & (first > self.thr_half) & (second > self.thr_half)
        if not ok.any():
            return []
        # the weakest quarter must hold a share of the excess, unless noise explains the shortfall
        q = h // 2
        quarters = [(cs[k + e] - cs[k + e - q]) / (q * floor) for e in (-h + q, 0, q, h)]
        lo_x = np.minimum.reduce(quarters) - 1.0
        hi_x = np.maximum.reduce(quarters) - 1.0
        ok &= lo_x > BALANCE * hi_x - 2.0 * self.sd_quarter
        if not ok.any():
            return []
        # local maxima of the total over +-h bins and +-SUM_BANDS sub-bands (ties: earliest)
        jj = np.arange(lo + h, hi - h)
        kk = jj - lo
        full = 0.5 * ((cs[kk + h] - cs[kk - h]) / (h * floor))
        out = []
        for ji, c in zip(*np.nonzero(ok), strict=True):
            v = total[ji, c]
            p = j[ji] - (lo + h)
            c0, c1 = max(c - SUM_BANDS, 0), min(c + SUM_BANDS + 1, self.n_sub)
            win = full[max(p - h, 0) : p + h + 1, c0:c1]
            if v >= win.max() and v > full[max(p - h, 0) : p, c0:c1].max(initial=-1.0):
                out.append(Candidate(bin=int(j[ji]), sub=int(c), score=float(v)))
        return out
