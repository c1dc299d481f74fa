"""Preamble detection, synchronisation and frame demodulation for one SF on one channel.

Detection: the channel stream (one sample per chip) is cut into fixed windows
of 2**sf chips at absolute positions; each is dechirped and FFT'd in one
batch. A preamble gives the same peak bin in consecutive windows: we trigger
when the power (of adjacent bin pairs, so that no offset falls between
bins) summed over 4 windows has a strong peak that at least 3 of them agree
on. On oversampled input a frame may start about half a chip off this grid,
and the phase jump at a symbol boundary then splits the peak into lobes half
a bin either side; runs that came close to triggering are checked again with
half-bin pairs as well (cheaper than zero-padding every window).

Synchronisation: up-chirps peak at ``cfo + t`` and down-chirps at ``cfo - t``
(``t``: how far a window starts after a symbol boundary), so the pair of
consecutive windows with the strongest down-chirp peak resolves the carrier
offset and timing up to a common half-symbol ambiguity. Both hypotheses and
every candidate boundary are scored on the sync word and down-chirps; the
best are re-channelized from the source stream (the input, or the
channel's stream from the filter bank) and ranked by the share of the
energy at the expected bins (aligned windows hold it all); the sync word
must match, and the next hypothesis is tried when a later check fails.

Demodulation: the frame is re-channelized from the source stream centred on its
own offset and at its exact (fractional) timing, fine offsets are refined
on the preamble (a drift too fast for the phase-based linear fit, as
satellite Doppler gives SF11/SF12, is first measured from the peak
positions and removed), and every
data symbol is dechirped with the predicted offset, which a second-order
loop updates symbol by symbol. Soft bits (max-log over FFT magnitudes) feed
maximum-likelihood Hamming decoding.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink._ext import estimate_dsp, lora_dsp
from sdrlink.dsp.linefit import slope_fit
from sdrlink.frame import Frame
from sdrlink.protocols.lora import codec, measure
from sdrlink.protocols.lora.channel import FrameResampler, SampleBuffer
from sdrlink.protocols.lora.demod import (
    codeword_llrs,
    dechirp_fft,
    ref_chirps,
    wrap,
)
from sdrlink.protocols.lora.modulator import header_block_layout, symbol_count
from sdrlink.protocols.lora.params import LoRaParams
from sdrlink.protocols.lora.scan import HALF_ROWS, ScanEngine
from sdrlink.protocols.lora.tracker import Tracker

TRIGGER_RATIO = 3.5  # peak / mean of the 4-window sum of adjacent-bin power pairs
PAD = 4  # zero-padding of the preamble spectra for fine offset and timing
DOWN_PEAKS = 5  # down-chirp candidates followed up per preamble
CLEAR_SHARE = 0.7  # energy share at the expected bins that ends the search
MAX_HYPOTHESES = 5  # timing/offset hypotheses checked per preamble
SYNC_RATIO = 0.1  # product over the two sync symbols of (power at value / peak)
SCAN_WINDOWS = 512  # detection windows dechirped per batch
RESCUE_RATIO = 3.0  # oversampled input: near-miss runs re-examined at half-bin resolution
DRIFT_SPAN = 3  # bins either side of the preamble peak searched per window for the drift
DRIFT_MIN = 0.1  # bins per symbol: a coarse drift above this is removed before the fine fit
DRIFT_SIGMAS = 4.0  # ... when it is also this many standard errors from zero


#: a symbol whose FFT peak is below the header block's median peak by this factor
#: (12 dB) carried no signal: the frame was cut short or has a gap. At the decoding
#: threshold the weakest symbol of a frame still peaks at about half the header's
#: median (measured: 0.52 at SF7 -8 dB, 0.52 at SF9 -13 dB, 0.78 at SF12 -20 dB),
#: as noise alone peaks that high, so weak frames are not taken for gaps.
DEAD_SYMBOL = 1 / 4


def _beyond_erasures(mags: np.ndarray, cr: int) -> bool:
    """Whether an interleaver block of a frame's symbol magnitude rows (8 header
    rows, then blocks of ``4 + cr``) lost more symbols to silence than its Hamming
    code corrects (one with CR 4/7 and 4/8, none below): its bits are guesses, and
    a CRC that holds over guessed bits is luck (LoRa's CRC is weak, see
    :func:`sdrlink.protocols.lora.codec.payload_crc`)."""
    peaks = mags.max(axis=1).tolist()  # plain floats: a frame has a few dozen rows
    if len(peaks) < 8:
        return True
    floor = _median(peaks[:8]) * DEAD_SYMBOL
    dead = [p < floor for p in peaks]
    if not any(dead):
        return False
    if sum(dead[:8]) > 1:
        return True
    size, fixes = 4 + cr, 1 if cr >= 3 else 0
    return any(sum(dead[b : b + size]) > fixes for b in range(8, len(dead), size))


@dataclass
class _Candidate:
    window: int  # window index of the trigger
    k_up: float  # up-chirp peak bin
    hist: list[np.ndarray]  # the 3 power rows before and at the trigger (to resume)
    synced: bool = False
    down_start: float = 0.0  # chip position of the first down-chirp (stream coordinates)
    cfo_bins: float = 0.0
    n_symbols: int | None = None
    tracker: Any = None
    info: dict[str, Any] = field(default_factory=dict)


def _median(values: list[float]) -> float:
    """Median of a short list (as numpy.median: the middle pair averaged)."""
    v = sorted(values)
    h = len(v) // 2
    return v[h] if len(v) % 2 else (v[h - 1] + v[h]) / 2


def preamble_offsets(up: np.ndarray, down: np.ndarray, pad: int = 1) -> tuple[float, float, float]:
    """Carrier offset, its drift and the timing from dechirped preamble windows.

    ``up`` holds consecutive up-chirp windows (window 0 starts at time 0, in
    symbols), ``down`` the two down-chirp windows starting 3 symbols after the
    last up-chirp window. Timing moves the up-chirp peak one way and the
    down-chirp peak the other; the carrier offset moves both and also turns
    the phase of the peak from one window to the next by ``2*pi*cfo``, which
    gives its fraction precisely (and, window pair by window pair, its drift).
    The spectra may be zero-padded ``pad`` times (finer peak positions).
    One kernel call (``estimate_dsp.preamble_fit``): a few dozen Python steps each
    on a handful of values cost more than the spectra they read.
    Returns (cfo at time 0 in bins, drift in bins per symbol, timing in chips).
    """
    return estimate_dsp.preamble_fit(_c64(up), _c64(down), pad)


def peak_drift(up: np.ndarray, pad: int = 1) -> tuple[float, float]:
    """Carrier drift (bins per symbol) from where each dechirped up-chirp window peaks.

    ``up`` holds consecutive up-chirp spectra, zero-padded ``pad`` times
    (one kernel call, ``estimate_dsp.peak_drift``).
    Coarse next to the phase-based estimate of :func:`preamble_offsets`, but
    unlike it not limited to drifts that keep every window's peak within
    half a bin of the common one: satellite Doppler near closest approach
    moves a SF12 peak by a third of a bin per symbol. The slope is the
    median of the pairwise slopes (Theil-Sen), so one window hit by noise
    does not tilt it. Returns (slope, its standard error from the spread
    of the positions around the line, the worst window left out).
    """
    return estimate_dsp.peak_drift(_c64(up), pad, DRIFT_SPAN * pad)


def _c64(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.complex64)


class Detector:
    """Finds and decodes frames of one spreading factor in one channel stream."""

    def __init__(
        self,
        params: LoRaParams,
        offset: float,
        fs: float,
        stream: SampleBuffer,
        resampler: FrameResampler,
        center: float | None = None,
        source_center: float = 0.0,
        engine: ScanEngine | None = None,
        half_engine: ScanEngine | None = None,
    ) -> None:
        self.p = params
        self.sf = params.sf
        self.n = 1 << params.sf
        self.pt = params.preamble_len
        self.extra = params.extra_upchirps  # SF5/SF6: up-chirps between down-chirps and data
        self.offset = offset  # the channel asked for (reported as channel_hz)
        self.center = offset if center is None else center  # where the detection stream is
        self.source_center = source_center  # where the frames' source stream (raw) is
        self.fs = fs
        self.bw = float(params.bw)
        self.step = fs / self.bw  # input samples per chip (frame positions)
        self.src_step = resampler.ratio  # source (raw) samples per chip
        self.stream = stream
        self.raw: SampleBuffer = SampleBuffer()  # replaced by the receiver
        self.rs = resampler
        self.engine = ScanEngine(self.sf) if engine is None else engine
        self.half_engine = (
            ScanEngine(self.sf, 0.5, HALF_ROWS) if half_engine is None else half_engine
        )
        self._chip_index = np.arange(self.n)
        self.next_window = 0
        self.hist: list[np.ndarray] = []
        self.cand: _Candidate | None = None
        self._seen: dict[Any, Any] = {}  # sync work of the current run of candidates
        self._seen_upto = 0
        self._header_params: dict[tuple[int, bool], LoRaParams] = {}

    def _as_header_says(self, cr: int, crc: bool) -> LoRaParams:
        """The parameters with a frame header's coding rate and CRC flag (made once
        per pair: ``dataclasses.replace`` validates the whole set every time)."""
        key = (cr, crc)
        if key not in self._header_params:
            self._header_params[key] = dataclasses.replace(self.p, cr=cr, crc=crc)
        return self._header_params[key]

    # ------------------------------------------------------------------ buffers

    def keep_from(self) -> tuple[int, int]:
        """(stream chip, raw sample) before which this detector needs nothing."""
        n = self.n
        if self.cand is None:
            w = self.next_window
        else:
            w = self.cand.window
        stream_keep = (w - 8) * n
        origin = (w - self.pt - 8) * n
        if self.cand is not None and self.cand.synced:
            origin = min(origin, int(self.cand.down_start) - (self.pt + 3) * n)
        raw_keep = int(math.floor(origin * self.src_step)) - self.rs.half - 8
        return stream_keep, raw_keep

    # ------------------------------------------------------------------ main loop

    def run(self, final: bool) -> list[Frame]:
        frames: list[Frame] = []
        while True:
            if self.cand is not None:
                status, got = self._advance(self.cand, final)
                frames += got
                if status == "wait":
                    if not final:
                        break
                    self._drop_candidate()
                continue
            if not self._scan():
                break
        return frames

    def _drop_candidate(self) -> None:
        assert self.cand is not None
        c = self.cand
        self.cand = None
        self.next_window = c.window + 1
        self.hist = c.hist

    def _resume_after(self, chip: float) -> None:
        self.cand = None
        self.next_window = max(int(math.ceil(chip / self.n)), self.next_window)
        self.hist = []
        self._seen = {}  # a new run of candidates starts after this frame

    # ------------------------------------------------------------------ detection

    def _scan(self) -> bool:
        """Examine all complete windows, a batch at a time; True when a candidate was found.

        Batches bound the work: a huge input block holding many frames would
        otherwise be dechirped again from each frame's end to the block's end.
        """
        end = self.stream.stop // self.n
        while self.next_window < end:
            if self._scan_batch(min(end, self.next_window + SCAN_WINDOWS)):
                return True
        return False

    def scan_segment(self, end: int) -> tuple[int, np.ndarray] | None:
        """(first window, its windows) of the next batch to scan, for a shared engine; or None."""
        n = self.n
        if self.cand is not None or self.next_window >= end:
            return None
        last = min(end, self.next_window + SCAN_WINDOWS)
        return last, self.stream.view(self.next_window * n, last * n).reshape(-1, n)

    def _scan_batch(self, last: int) -> bool:
        """Examine windows ``next_window .. last - 1``; True when a candidate was found."""
        n = self.n
        if last <= self.next_window:
            return False
        x = self.stream.view(self.next_window * n, last * n).reshape(-1, n)
        return self.scan_rows(last, self.engine.pair_rows([x], lead=3)[0])

    def scan_rows(self, last: int, rows: np.ndarray) -> bool:
        """Examine windows ``next_window .. last - 1`` from their pair power rows.

        ``rows`` holds 3 free rows, then the windows' rows (see
        :meth:`ScanEngine.pair_rows`); True when a candidate was found.
        """
        first = self.next_window
        nh = len(self.hist)
        rows = rows[3 - nh :]
        for r, h in enumerate(self.hist):
            rows[r] = h
        got: tuple[int, float] | None = None
        m = len(rows) - 3
        first_trig = -1
        if m > 0:
            ks = np.empty(m, dtype=np.int64)
            ratio = np.empty(m)
            agree = np.empty(m, dtype=np.int64)
            first_trig, first_near = lora_dsp.scan_runs(  # over rows i..i+3
                rows, ks, ratio, agree, TRIGGER_RATIO, 3, RESCUE_RATIO
            )
            # only oversampled input can start between chips; near misses before the
            # first trigger are looked at again at half-bin offsets
            if first_near >= 0 and not self.rs.identity:
                got = self._rescue(first - nh, rows, ratio, first_trig if first_trig >= 0 else m)
        if first_trig >= 0 or got is not None:
            i, k_up = got if got is not None else (first_trig, float(ks[first_trig]) + 0.5)
            end_row = i + 3  # row index in `rows` of the trigger window
            window = first + end_row - nh
            hist = [rows[r] for r in range(max(0, end_row - 2), end_row + 1)]
            self.cand = _Candidate(window=window, k_up=k_up, hist=hist)
            self.next_window = window + 1
            self.hist = hist
            return True
        self.hist = [rows[r] for r in range(max(0, len(rows) - 3), len(rows))]
        self.next_window = last
        if self._seen and last > self._seen_upto + self.pt + 8:
            self._seen = {}  # no later candidate can reuse it: free the memory
        return False

    def _rescue(
        self, w0: int, rows: np.ndarray, ratio: np.ndarray, stop: int
    ) -> tuple[int, float] | None:
        """Re-examine the near-miss runs before run ``stop`` at half-bin offsets.

        On oversampled input a frame may start about half a chip off the
        detection grid; a window across a symbol boundary then holds a phase
        jump near pi that splits the peak into two lobes half a bin either
        side. The windows of runs (run i: rows i..i+3, window ``w0 + i``
        first) whose ratio came close to the trigger are dechirped again
        shifted by half a bin, and each bin takes the stronger of the
        whole-bin (``rows``) and the half-bin pair power. Only the windows'
        own samples decide, so the result does not depend on block size.
        Returns the first run that triggers this way and its up-chirp bin.
        """
        n = self.n
        near = np.flatnonzero(ratio[:stop] > RESCUE_RATIO)  # none of them triggered
        if len(near) == 0:
            return None
        idx = (near[:, None] + np.arange(4)[None, :]).ravel()  # rows of each run
        uniq, where = np.unique(idx, return_inverse=True)  # runs in a row share windows
        half = self.half_engine.pair_rows([self._windows((w0 + uniq) * n)])[0][where]
        whole = rows[idx]  # half: bins k+1/2, k+3/2
        both = np.maximum(whole, half)  # each bin: whole- or half-bin pair, whichever is larger
        m = len(idx) - 3
        ks, ratio2, agree = np.empty(m, np.int64), np.empty(m), np.empty(m, np.int64)
        lora_dsp.trigger_stats(both, ks, ratio2, agree, 4)  # the runs 4j..4j+3 only
        ks, ratio2, agree = ks[::4], ratio2[::4], agree[::4]
        ok = np.flatnonzero((ratio2 > TRIGGER_RATIO) & (agree >= 3))
        if len(ok) == 0:
            return None
        j = int(ok[0])
        k = int(ks[j])
        h_wins = float(half[4 * j : 4 * j + 4, k].sum()) > float(whole[4 * j : 4 * j + 4, k].sum())
        return int(near[j]), k + (1.0 if h_wins else 0.5)  # half-bin pair: one bin up

    # ------------------------------------------------------------------ candidates

    def _advance(self, c: _Candidate, final: bool) -> tuple[str, list[Frame]]:
        if not c.synced:
            need = (c.window + self.pt + self.extra + 7) * self.n
            if self.stream.stop < need:
                return "wait", []
            if not self._sync(c):
                self._drop_candidate()
                return "done", []
            c.synced = True
        return self._demodulate(c, final)

    def _windows(self, starts: np.ndarray) -> np.ndarray:
        """Windows of N chips of the detection stream from each of ``starts`` (a copy)."""
        n = self.n
        starts = np.asarray(starts, dtype=np.int64)
        lo, hi = int(starts.min()), int(starts.max()) + n
        seg = self.stream.view(lo, hi)
        return seg[(starts - lo)[:, None] + self._chip_index]  # (a gather: cheaper to set up)

    def _sync(self, c: _Candidate) -> bool:
        n, pt = self.n, self.pt
        # what an attempt computes is remembered for the next candidate of the same
        # run of windows (after a failed attempt the next window triggers again)
        if not self._seen or c.window > self._seen_upto + pt + 8:
            self._seen = {}
        self._seen_upto = c.window
        w_list = np.arange(c.window - 1, c.window + pt + 5)  # where the down-chirps can start
        mags = self._power_rows(w_list * n, np.zeros(len(w_list)), down=True, pad=2)
        pair = (mags[:-1] + mags[1:]).ravel()
        # the strongest few down-chirp pairs (noise may win the first place)
        peaks: list[tuple[int, float]] = []
        top = np.argpartition(pair, -16)[-16:] if len(pair) > 16 else np.arange(len(pair))
        order = top[np.argsort(pair[top])[::-1]]
        for flat in order:
            if pair[flat] < 0.5 * pair[order[0]]:  # clearly weaker than the best: noise
                break
            w_dn, k_dn = int(w_list[flat // (2 * n)]), (flat % (2 * n)) / 2
            if all(w != w_dn or abs(wrap(k - k_dn, n)) > 1 for w, k in peaks):
                peaks.append((w_dn, k_dn))
            if len(peaks) == DOWN_PEAKS:
                break
        s1, s2 = self.p.sync_values
        cand_d, cand_cfo = [], []
        for w_dn, k_dn in peaks:
            for h in (0, 1):
                cfo = wrap((c.k_up + k_dn) / 2 + h * n / 2, n)
                t = ((c.k_up - k_dn) / 2 + h * n / 2) % n
                t0 = w_dn * n - t
                for i in range(-3, 3):
                    d = t0 + i * n
                    if (w_dn - 2) * n <= d <= (w_dn + 1) * n:
                        cand_d.append(d)
                        cand_cfo.append(cfo)
        scores = self._scores(np.array(cand_d), np.array(cand_cfo), s1, s2)
        hyps = list(zip(scores.tolist(), cand_d, cand_cfo, strict=True))
        hyps.sort(reverse=True)
        keep: list[tuple[float, float, float]] = []
        for _, d, cfo in hyps[: MAX_HYPOTHESES + 1]:
            key = ("share", d, cfo)
            if key not in self._seen:
                self._seen[key] = self._share(d, cfo, s1, s2)
            share = self._seen[key]
            if share is None:
                continue
            keep.append((share, float(d), float(cfo)))
            if share > CLEAR_SHARE:  # unambiguous: no need to look further
                break
        if not keep:
            return False
        keep.sort(reverse=True)
        c.info["hyps"] = [(d, cfo) for _, d, cfo in keep[1:MAX_HYPOTHESES]]
        _, d, cfo = keep[0]
        c.down_start, c.cfo_bins = float(d), float(cfo)
        return True

    def _share(self, d: float, cfo: float, s1: int, s2: int) -> float | None:
        """Share of the energy at the expected bins for one hypothesis, or None.

        On the frame's own re-channelized samples: one sync symbol at least
        must be where it belongs (checked finely later), and the share of the
        energy at the expected bins ranks the hypotheses (aligned windows hold
        it all).
        """
        n = self.n
        freq = self.center + cfo * self.bw / n
        z = self._chips(d - 3 * n, freq, 0, 5 * n).reshape(5, n)
        up = np.abs(dechirp_fft(z[:3], self.sf)) ** 2
        dn = np.abs(dechirp_fft(z[3:], self.sf, down=True)) ** 2
        m1, m2 = (int(v) for v in np.argmax(up[1:], axis=1))
        # each near its value, or both shifted alike (a drifting carrier)
        if not (
            self._near(m1, s1, 2)
            or self._near(m2, s2, 2)
            or (self._near(m2 - m1, s2 - s1, 1) and self._near(m1, s1, 6))
        ):
            return None
        # each row's power in the three bins around its value (one gather for all five)
        rows = np.concatenate([up, dn])
        near = (np.array([0, s1, s2, 0, 0])[:, None] + np.arange(-1, 2)[None, :]) % n
        at = sum(rows[np.arange(5)[:, None], near].sum(axis=1).tolist())
        return at / float(up.sum() + dn.sum())

    def _power_rows(
        self, starts: np.ndarray, shifts: np.ndarray, down: bool, pad: int = 1
    ) -> np.ndarray:
        """``abs(dechirp_fft(...))**2`` of stream windows, each distinct one computed once.

        Windows at ``starts`` (chips) with per-window ``shifts`` (bins); a
        window met before during this run of candidates is not computed again.
        """
        keys = [(down, pad, a, b) for a, b in zip(starts.tolist(), shifts.tolist(), strict=True)]
        missing = list(dict.fromkeys(k for k in keys if k not in self._seen))
        if missing:
            st = np.array([k[2] for k in missing], dtype=np.int64)
            sh = np.array([k[3] for k in missing], dtype=np.float64)
            rows = np.abs(dechirp_fft(self._windows(st), self.sf, shift=sh, down=down, pad=pad))
            rows **= 2
            for k, row in zip(missing, rows, strict=True):
                self._seen[k] = row
        return np.stack([self._seen[k] for k in keys])

    def _near(self, k: int, v: int, tol: int) -> bool:
        dd = (k - v) % self.n
        return dd <= tol or dd >= self.n - tol

    def _scores(self, d: np.ndarray, cfo: np.ndarray, s1: int, s2: int) -> np.ndarray:
        """How well each (down-chirp start, offset) hypothesis explains the last preamble
        symbol, the sync word and the down-chirps (power at the expected bins).

        Only the three bins around each expected value are computed (one kernel call
        per chirp direction), not the windows' whole spectra."""
        n = self.n
        h = len(d)
        if h == 0:
            return np.zeros(0)
        starts = np.round(d[:, None] + np.array([-3, -2, -1, 0, 1])[None, :] * n).astype(np.int64)
        lo = int(starts.min())
        seg = np.ascontiguousarray(self.stream.view(lo, int(starts.max()) + n))
        dn_ref, up_ref = ref_chirps(self.sf)
        # bins value - 1 .. value + 1 of every window
        up = np.empty((3 * h, 3), dtype=np.float32)
        first = np.tile(np.array([-1, s1 - 1, s2 - 1], dtype=np.int64), h)
        lora_dsp.dechirp_bins(seg, starts[:, :3].ravel() - lo, np.repeat(cfo, 3), dn_ref, first, up)
        dn = np.empty((2 * h, 3), dtype=np.float32)
        first = np.full(2 * h, -1, dtype=np.int64)
        lora_dsp.dechirp_bins(seg, starts[:, 3:].ravel() - lo, np.repeat(cfo, 2), up_ref, first, dn)
        # each window: the strongest of the three bins around its value
        return up.max(axis=1).reshape(h, 3).sum(axis=1) + dn.max(axis=1).reshape(h, 2).sum(axis=1)

    # ------------------------------------------------------------------ demodulation

    def _chips(
        self, origin: float, freq: float, k0: int, k1: int, stretch: float = 0.0
    ) -> np.ndarray:
        return self.rs.chips(
            self.raw, origin * self.src_step, k0, k1, freq - self.source_center, stretch
        )

    def _raw_ready(self, origin: float, k1: int, final: bool = False) -> bool:
        """Whether the source covers chips up to ``k1`` (at the end: without filter tail)."""
        if final:
            return (origin + k1) * self.src_step <= self.raw.stop + 1
        return self.rs.span(origin * self.src_step, 0, k1)[1] <= self.raw.stop

    def _demodulate(self, c: _Candidate, final: bool) -> tuple[str, list[Frame]]:
        n, pt = self.n, self.pt
        origin = c.down_start - (pt + 1) * n  # second preamble symbol
        n_pre = (pt + 3) * n
        data0 = (pt + 3 + self.extra) * n + n // 4
        hdr_end = data0 + 8 * n
        if not self._raw_ready(origin, hdr_end, final):
            return "wait", []
        if c.n_symbols is not None and not self._raw_ready(origin, data0 + c.n_symbols * n, final):
            return "wait", []
        if c.tracker is not None:
            return self._finish_frame(c, final)
        freq = self.center + c.cfo_bins * self.bw / n
        # pass 1: residual offset and timing from the re-channelized preamble
        zz = self._chips(origin, freq, 0, n_pre).reshape(-1, n)
        c0, rho, t_r, _ = self._fit_preamble(zz)
        c_mid = c0 + rho * (pt - 1) / 2
        if abs(c_mid) > 4 or abs(t_r) > 4:  # inconsistent: not a frame after all
            return self._next_hypothesis(c, final)
        new_origin = float(round(origin - t_r)) if self.rs.identity else origin - t_r
        freq += c_mid * self.bw / n
        # pass 2: offsets again on the aligned, centred preamble (re-channelized only
        # when the timing moved noticeably; a frequency shift is just a phase ramp)
        if abs(new_origin - origin) > 0.1:
            zz = self._chips(new_origin, freq, 0, n_pre).reshape(-1, n)
        else:
            ramp = np.exp(-2j * np.pi * c_mid * np.arange(n_pre) / n).astype(np.complex64)
            zz = (zz.reshape(-1) * ramp).reshape(-1, n)
        origin = new_origin
        c0, rho, t2, spec = self._fit_preamble(zz)
        a0 = c0 + t2  # up-chirp peak offset at time 0 (symbols from window 0)
        if not self._sync_word_ok(zz[pt - 1 : pt + 1], a0 + rho * (pt - 0.5)):
            return self._next_hypothesis(c, final)
        # the carrier at each preamble up-chirp's centre (drift removed by the coarse fit
        # is in these rows again): the first points of the frame's drift fit
        pre = measure.peak_positions(dechirp_fft(zz[: pt - 1], self.sf))
        # peaks from the zero-padded spectra (a drifting peak between bins is not
        # under-read), noise from the differences of the rows (signal and filter cancel)
        gain, noise_gain = (
            (1.0, 1.0) if self.rs.identity else measure.filter_gains(self.rs, self.sf)
        )
        noise = measure.row_noise(zz[: pt - 1], self.sf, pre)
        snr_lin = measure.preamble_snr(spec, PAD, noise, gain, noise_gain)
        first, first_reduced = header_block_layout(self.p)
        c.tracker = self._tracker(origin, freq, data0, a0, rho, first_reduced)
        c.info.update(
            origin=origin,
            freq=freq,
            a0=a0,
            snr=snr_lin,
            c_mid=c0 + rho * (pt - 1) / 2,
            rho=rho,
            pre=pre,
        )
        return self._finish_frame(c, final)

    def _fit_preamble(self, zz: np.ndarray) -> tuple[float, float, float, np.ndarray]:
        """Offset, drift and timing (as :func:`preamble_offsets`) of preamble rows ``zz``.

        A drift too fast for the phase-based fit is first measured coarsely
        from the peaks (:func:`peak_drift`) and removed from the samples with
        a quadratic phase (zero at the first row), so that the fine fit only
        sees the remainder. Also returns the padded up-chirp spectra it used.
        """
        pt, sf, n = self.pt, self.sf, self.n
        up = dechirp_fft(zz[: pt - 1], sf, pad=PAD)
        coarse, err = peak_drift(up, PAD)
        if abs(coarse) > max(DRIFT_MIN, DRIFT_SIGMAS * err):
            s = np.arange(zz.size, dtype=np.float64) / n
            zz = (zz.reshape(-1) * np.exp(-1j * np.pi * coarse * s * s)).astype(np.complex64)
            zz = zz.reshape(-1, n)
            up = dechirp_fft(zz[: pt - 1], sf, pad=PAD)
        else:
            coarse = 0.0
        down = dechirp_fft(zz[pt + 1 : pt + 3], sf, down=True, pad=PAD)
        c0, rho, timing = preamble_offsets(up, down, PAD)
        return c0, rho + coarse, timing, up

    def _next_hypothesis(self, c: _Candidate, final: bool) -> tuple[str, list[Frame]]:
        """Try the next timing/offset hypothesis of the sync stage, or give up."""
        hyps = c.info.get("hyps", [])
        if not hyps:
            self._drop_candidate()
            return "done", []
        c.down_start, c.cfo_bins = hyps.pop(0)
        return self._demodulate(c, final)

    def _finish_frame(self, c: _Candidate, final: bool) -> tuple[str, list[Frame]]:
        """Header, then (once the input covers it) the payload of a synchronised frame."""
        n, sf = self.n, self.sf
        origin, freq = c.info["origin"], c.info["freq"]
        snr_lin = c.info["snr"]
        data0 = (self.pt + 3 + self.extra) * n + n // 4
        first, first_reduced = header_block_layout(self.p)
        trk = c.tracker
        trk.run(8)
        p = self.p
        llr = codeword_llrs(trk.mags[:8], sf, 4, first_reduced, first)
        nib_arr = codec.hamming_decode_soft(llr, 4)
        fixed = measure.corrected_bits(llr, nib_arr, 4)  # bits changed, per block
        nib = nib_arr.tolist()
        hdr_ok: bool | None
        if p.implicit_header:
            length = int(p.payload_len or 0)
            hdr_ok = None  # no header on air
        else:
            hdr = codec.parse_header(nib[:5])
            if hdr is None:
                if c.info.get("hyps"):  # another timing/offset hypothesis may do better
                    c.tracker, c.n_symbols = None, None
                    return self._next_hypothesis(c, final)
                self._resume_after(c.down_start + 2 * n)
                return "done", []
            length, cr, has_crc = hdr
            p = self._as_header_says(cr, has_crc)
            nib = nib[5:]
            hdr_ok = True  # its checksum held (a frame whose header fails is not reported)
        total = symbol_count(p, length)
        c.n_symbols = total
        if not self._raw_ready(origin, data0 + total * n, final):
            if final:
                self._resume_after(c.down_start + 2 * n)
                return "done", []
            return "wait", []
        trk.run(total)
        mags = trk.mags
        sf_pay = sf - 2 if p.ldro_on else sf
        llr = codeword_llrs(mags[8:total], sf, p.cr, p.ldro_on, sf_pay)
        nib_arr = codec.hamming_decode_soft(llr, p.cr)
        fixed += measure.corrected_bits(llr, nib_arr, p.cr, sf_pay)
        nib += nib_arr.tolist()
        n_pay = 2 * length
        pay_nib = nib[:n_pay]
        data = bytes((pay_nib[2 * i] | (pay_nib[2 * i + 1] << 4)) for i in range(length))
        payload = codec.whiten(data)
        crc_ok: bool | None = None
        if p.crc:
            cn = nib[n_pay : n_pay + 4]
            if len(cn) < 4 or _beyond_erasures(mags[:total], p.cr):
                crc_ok = False
            else:
                got = cn[0] | (cn[1] << 4) | (cn[2] << 8) | (cn[3] << 12)
                crc_ok = got == codec.payload_crc(payload)
        start_chip = origin - n
        pos = start_chip * self.step
        index = int(math.floor(pos + 0.5))
        end = (origin + data0 + total * n) * self.step
        # drift: a line through the carrier at the preamble chirps and the data symbols
        pt, extra = self.pt, self.extra
        pre = c.info["pre"]
        j_data, y_data, tau = trk.points.T
        t_data = (pt + extra + 3.75) + j_data
        t_pts = np.concatenate([np.arange(len(pre)) + 0.5, t_data])
        y_pts = np.concatenate([pre, y_data])
        # own intercepts: preamble chirps, the reduced-rate header block, the payload
        groups = np.concatenate([np.zeros(len(pre), np.int64), np.where(j_data < 8, 1, 2)])
        fit = slope_fit(t_pts, y_pts, groups)
        if fit is not None and trk.track_timing:
            # the timing loop moved the chips while reading: a peak moves with the timing,
            # and whether the loop followed the sample clock or its own noise is unknown
            fit = (fit[0], math.hypot(fit[1], measure.timing_slope(t_data, tau)), fit[2])
        hz_s = self.bw**2 / n**2  # bins per symbol -> Hz/s
        drift, drift_unc = (None, None) if fit is None else (fit[0] * hz_s, fit[1] * hz_s)
        if drift_unc is not None:
            drift_unc = max(drift_unc, measure.MIN_DRIFT_UNCERTAINTY)
        if drift_unc is not None and drift_unc > measure.MAX_DRIFT_UNCERTAINTY:
            drift = None  # too short or too noisy a frame to tell a drift
        # the carrier at the frame's start (one symbol before preamble row 0), from the
        # preamble's offset and the drift: the frame's where it is significant (95 %),
        # else the preamble's own (zero unless its fit found one)
        rho0 = c.info["rho"]
        if fit is not None and abs(fit[0]) > fit[1]:
            rho0 = fit[0]
        start_bins = c.info["c_mid"] - rho0 * (pt + 1) / 2
        frame = Frame(
            protocol="lora",
            sample_index=index,
            sample_count=int(math.ceil(end - index)),
            payload=payload,
            crc_ok=crc_ok,
            freq_offset_hz=float(freq + start_bins * self.bw / n),
            snr_db=10 * math.log10(max(snr_lin, 1e-12)),
            fields={
                "sf": sf,
                "bw": self.bw,
                "cr": p.cr,
                "channel_hz": self.offset,
                "implicit": p.implicit_header,
                "crc": p.crc,
                "ldro": p.ldro_on,
                "sync_word": p.sync_word,
                "timing_offset": float(pos - index),
                "header_ok": hdr_ok,
                "hamming_corrected": fixed,
                "n_symbols": total,
                "drift_hz_s": drift,
                "drift_uncertainty_hz_s": drift_unc,
            },
        )
        self._resume_after(origin + data0 + total * n)
        return "done", [frame]

    def _sync_word_ok(self, z: np.ndarray, shift: float) -> bool:
        """Fine check of the two sync-word symbols (rows of ``z``, aligned and centred)."""
        n = self.n
        power = np.abs(dechirp_fft(z, self.sf, shift=shift)) ** 2
        ratio = 1.0
        for row, v in zip(power, self.p.sync_values, strict=True):
            at = max(row[(v - 1) % n], row[v], row[(v + 1) % n])
            top = row.max()
            if not top > 0:  # nothing there (a gap filled with zeros)
                return False
            ratio *= at / top
        return ratio > SYNC_RATIO

    def _tracker(
        self, origin: float, freq: float, data0: int, a0: float, rho: float, first_reduced: bool
    ) -> Tracker:
        return Tracker(self, origin, freq, data0, a0, rho, first_reduced)
