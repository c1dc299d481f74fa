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
import scipy.fft
from scipy import stats

from sdrlink.protocols.lrfhss.channelizer import FrameBuffer

BIN_FRAMES = 16  # filter-bank frames per power bin (and DFT length)
SUB_PER_CHAN = 8  # sub-bands kept per channel
SUM_BANDS = 5  # sub-bands summed
HALF_S = 0.116  # half of the detection window, seconds
FLOOR_S = 3.0  # history of the noise floor, seconds
FLOOR_Q = 25.0  # percentile of the noise floor
FLOOR_STRIDE = 3  # every 3rd bin of a long history is enough for the floor
FLOOR_EVERY = 64  # bins between refreshes of the floor (0.5 s)
BALANCE = 0.3  # the weakest quarter of a header window holds at least this share of the excess


@dataclass
class Candidate:
    bin: int  # absolute power-bin index of the window centre
    sub: int  # sub-band index (centre of the summed five)
    score: float  # window power over the noise floor
    long: bool = False  # inside a burst longer than a header


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
        # the middle SUB_PER_CHAN bins of a BIN_FRAMES-point DFT, lowest frequency first
        half = SUB_PER_CHAN // 2
        self._bins_sel = np.r_[BIN_FRAMES - half : BIN_FRAMES, 0:half]
        # a summed sub-band is a Gamma(SUM_BANDS) variable of mean SUM_BANDS (in noise units)
        self._q = float(stats.gamma.ppf(FLOOR_Q / 100, SUM_BANDS) / SUM_BANDS)
        n_win = 2 * self.half * SUM_BANDS
        self.thr_total = 1.0 + sigmas / np.sqrt(n_win)
        self.thr_half = 1.0 + (sigmas - 2.0) / np.sqrt(n_win / 2)
        self.sd_quarter = 1.0 / np.sqrt(n_win / 4)
        self._pending = np.zeros((0, n_chan), dtype=np.complex64)
        self._bins = FrameBuffer(self.n_sub, np.float32)
        self.next_bin = 0  # first bin not yet searched
        self._started = False
        self._warmup = warmup  # frames the filter bank needs to fill its filters
        self._first = 0
        self._floors: dict[int, np.ndarray] = {}
        self._final = False

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
            self.next_bin = self._first // BIN_FRAMES
            self._bins.start = self.next_bin
        if first_frame < self._first:
            frames = frames[self._first - first_frame :]
        if len(frames) == 0:
            return
        if len(self._pending):
            frames = np.concatenate([self._pending, frames])
        n = (len(frames) // BIN_FRAMES) * BIN_FRAMES
        if n:
            nb = n // BIN_FRAMES
            # 16-point DFTs (pocketfft, one thread: no BLAS thread pool on a busy machine)
            spec = scipy.fft.fft(frames[:n].reshape(nb, BIN_FRAMES, self.n_chan), axis=1, workers=1)
            spec = spec[:, self._bins_sel, :]  # (bins, sub, chan), sub-bands low to high
            p = (spec.real**2 + spec.imag**2).transpose(0, 2, 1).reshape(nb, self.n_sub)
            # sum of SUM_BANDS neighbouring sub-bands, centred (edges: fewer, rescaled)
            cs = np.cumsum(np.pad(p, ((0, 0), (SUM_BANDS // 2 + 1, SUM_BANDS // 2))), axis=1)
            s = (cs[:, SUM_BANDS:] - cs[:, :-SUM_BANDS]).astype(np.float32)
            self._bins.append(s, self._bins.stop)
        self._pending = frames[n:].copy()

    @property
    def bins_start(self) -> int:
        return self._bins.start

    @property
    def bins_stop(self) -> int:
        return self._bins.stop

    def _rows(self, a: int, b: int) -> np.ndarray:
        return self._bins.view(a, b)

    def search(self, final: bool = False, step: int = 128) -> list[Candidate]:
        """Candidates in the bins whose whole window has arrived (all of them when final)."""
        out: list[Candidate] = []
        h = self.half
        self._final = final
        while True:
            a = self.next_bin
            b = a + step
            if b + 3 * h > self.bins_stop:
                if not final or a >= self.bins_stop:
                    break
                b = self.bins_stop
            out += self._search(a, b)
            self.next_bin = b
        # keep what the floors of the last few refreshes and a guided look back need
        keep = self.next_bin - 2 * h - self.floor_bins - 3 * FLOOR_EVERY
        if keep > self.bins_start:
            self._bins.trim(keep)
        return out

    def _floor_ready(self, b: int) -> bool:
        return (b // FLOOR_EVERY) * FLOOR_EVERY + 2 * self.half <= self.bins_stop

    def _floor(self, b: int) -> np.ndarray:
        """Noise floor per sub-band near bin ``b``.

        Taken at bins fixed by their absolute index (every FLOOR_EVERY), from
        the FLOOR_S before them, so that it never depends on block sizes.
        """
        key = b // FLOOR_EVERY
        if key in self._floors:
            return self._floors[key]
        h = self.half
        f_hi = key * FLOOR_EVERY + 2 * h
        f_lo = max(f_hi - self.floor_bins, self._first // BIN_FRAMES)
        if self._final:
            f_hi = min(f_hi, self.bins_stop)
        if f_hi > self.bins_stop or f_lo < self.bins_start:
            raise RuntimeError("noise floor asked for bins not held")  # a bug, not input
        hist = self._rows(f_lo, f_hi)
        stride = max(1, min(FLOOR_STRIDE, len(hist) // 200))
        hist = hist[(-f_lo) % stride :: stride]
        kth = int(FLOOR_Q / 100 * (len(hist) - 1))
        floor = np.maximum(np.partition(hist, kth, axis=0)[kth] / self._q, 1e-20)
        self._floors[key] = floor
        for old in [k for k in self._floors if k < key - 8]:
            del self._floors[old]
        return floor

    def has_window(self, centre: int, slack: int = 0) -> bool:
        """Whether the bins around ``centre`` (+- slack) are all held."""
        h = self.half
        return (
            centre - slack - h >= self.bins_start
            and centre + slack + h <= self.bins_stop
            and (self._final or self._floor_ready(centre))
        )

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
        lo = centre - slack - h
        seg = self._rows(lo, lo + 2 * (slack + h))
        cs = np.concatenate([np.zeros((1, self.n_sub)), np.cumsum(seg, axis=0, dtype=np.float64)])
        k = np.arange(h, h + 2 * slack + 1)
        floor = self._floor(centre)
        tot = (cs[k + h] - cs[k - h]) / (2 * h * floor)
        best_t = np.argmax(tot, axis=0)
        score = tot[best_t, np.arange(self.n_sub)]
        thr = 1.0 + sigmas / np.sqrt(2 * h * SUM_BANDS)
        out: list[Candidate] = []
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
        lo = max(a - 3 * h, self.bins_start)
        hi = min(b + 3 * h, self.bins_stop)
        seg = self._rows(lo, hi)
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
        ji, ci = np.nonzero(ok)
        kk, q = k[ji], h // 2
        quarters = np.stack(
            [(cs[kk + e, ci] - cs[kk + e - q, ci]) / (q * floor[ci]) for e in (-h + q, 0, q, h)]
        )
        lo_x, hi_x = quarters.min(axis=0) - 1.0, quarters.max(axis=0) - 1.0
        keep = lo_x > BALANCE * hi_x - 2.0 * self.sd_quarter
        ok[ji[~keep], ci[~keep]] = False
        if not ok.any():
            return []
        # local maxima of the total over +-h bins and +-SUM_BANDS sub-bands (ties: earliest)
        jj = np.arange(lo + h, hi - h)
        kk = jj - lo
        full = 0.5 * ((cs[kk + h] - cs[kk - h]) / (h * floor))
        out = []
        for ji, c in zip(*np.nonzero(ok), strict=True):
            p = j[ji] - (lo + h)
            v = full[p, c]  # the same sums as the neighbours it is compared with
            c0, c1 = max(c - SUM_BANDS, 0), min(c + SUM_BANDS + 1, self.n_sub)
            win = full[max(p - h, 0) : p + h + 1, c0:c1]
            if v >= win.max() and v > full[max(p - h, 0) : p, c0:c1].max(initial=-1.0):
                # energy on the same band a window before or after: a burst longer than
                # a header (a packet without hopping, another protocol); where its headers
                # are, the energy does not say
                k0 = j[ji] - lo
                around = [
                    (cs[min(max(k0 + e + h, 0), len(cs) - 1), c] - cs[max(k0 + e - h, 0), c])
                    / (2 * h * floor[c])
                    for e in (-2 * h, 2 * h)
                ]
                long = max(around) - 1.0 > 0.5 * (v - 1.0)
                out.append(Candidate(bin=int(j[ji]), sub=int(c), score=float(v), long=long))
        return out
