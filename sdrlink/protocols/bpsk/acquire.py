"""Blind carrier search for BPSK: find the suppressed carrier, follow its drift, mix it to 0 Hz.

BPSK has no carrier line, but its square has one: squaring removes the
+-1 data, so ``z**2`` holds a tone at twice the carrier frequency. The search
cuts the input into fixed segments (counted from the first sample fed, so the
result does not depend on block sizes) and looks at the spectrum of ``z**2``
over two segments (the one about to be mixed and the next: the estimate
looks ahead, so a burst is already centred when it begins). A line well above
the local floor of that spectrum is a carrier.

* IQ input: ``z`` is the input (summed in groups of samples when the
  sample rate is far above the band searched); the carrier is looked for
  within +-``search_hz`` of 0 Hz.
* SSB audio: ``z`` is the analytic signal of the audio (its negative
  frequencies removed with an FFT); the carrier may lie anywhere in the band
  where the whole signal fits. ``2 f`` covers 0..fs once, so a carrier above
  fs/4 is not confused with its mirror.

The mixer (:class:`~sdrlink.dsp.nco.Nco`, phase continuous) jumps to a new
estimate when it is farther than the Costas loop behind reaches (5 % of the
symbol rate), and otherwise glides towards it (a frequency ramp over the
segment, never a step), so that the Costas loop sees a carrier that moves
slowly however the estimate jitters, and a segment where the line was
missed does not make it jump mid-frame. Without a signal it holds.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from sdrlink.dsp.nco import Nco

DETECT = 12.0  # line power / local floor (mean) that counts as a carrier
FLOOR_BINS = 48  # half-width of the window the local floor is taken over
GLIDE = 0.8  # fraction of the distance to the estimate closed per segment
HANGOVER = 1  # segments without the line that still count as the same burst


class CarrierTracker:
    """Segment-wise squared-signal carrier estimate and phase-continuous mixing to 0 Hz.

    ``rate`` is the symbol rate and ``bandwidth`` the signal's occupied
    bandwidth. For IQ input (``is_complex``) the carrier is searched within
    +-``search_hz``; for real input within ``band`` (lo, hi) Hz of the audio.
    ``fixed`` turns the search off: the mixer stays at that frequency.
    ``initial`` is where the mixer starts before any carrier is seen.
    :meth:`process` returns complex64 samples, delayed by up to two segments.
    """

    def __init__(
        self,
        fs: float,
        rate: float,
        bandwidth: float,
        is_complex: bool,
        search_hz: float = 0.0,
        band: tuple[float, float] = (0.0, 0.0),
        fixed: float | None = None,
        initial: float = 0.0,
    ) -> None:
        self.fs = float(fs)
        self.is_complex = is_complex
        self.fixed = fixed
        self.freq = float(initial if fixed is None else fixed)
        self.nco = Nco(self.fs, self.freq)
        self.history: list[tuple[int, float, float]] = [(0, self.freq, 0.0)]
        self.done = 0  # samples output so far
        self.pending = np.zeros(0, np.complex64 if is_complex else np.float32)
        self.misses = HANGOVER + 1  # segments since the carrier was last seen
        # jump (rather than glide) when the estimate is this far: at the onset of a burst
        # beyond what the Costas loop pulls in, within a burst only for a different signal
        self.far_onset = max(0.02 * rate, 10.0)
        self.far_burst = max(0.15 * rate, 60.0)
        self.max_glide = max(0.1 * rate, 50.0)  # Hz per segment at most while gliding
        if fixed is not None:
            self.n = 4096
            return
        seg_s = min(max(256.0 / rate, 0.02), 0.25)
        if is_complex:
            reach = min(search_hz + bandwidth / 2, fs / 2)
            self.dec = max(1, int(fs // (2.5 * reach)))
            self.lo, self.hi = -search_hz, search_hz
        else:
            self.dec = 1
            self.lo, self.hi = band
        m = scipy.fft.next_fast_len(int(seg_s * fs / self.dec))
        self.m = m  # samples per segment after summing
        self.n = m * self.dec  # input samples per segment
        self.window = np.hanning(2 * m).astype(np.float32)
        rate_d = fs / self.dec
        self.t2 = ((np.arange(2 * m) - m) / rate_d) ** 2  # time from the window centre, squared
        nfft = 2 * m
        k = np.arange(nfft)
        # frequency of the carrier whose square lands in bin k
        if is_complex:
            f2 = np.where(k < nfft // 2, k, k - nfft) * rate_d / nfft
        else:
            f2 = k * rate_d / nfft  # 2f in 0..fs: f in 0..fs/2, no fold
        self.bin_hz = rate_d / nfft / 2  # carrier frequency per bin
        self.fc = f2 / 2
        sel = np.flatnonzero((self.fc >= self.lo) & (self.fc <= self.hi))
        self.sel = sel[np.argsort(self.fc[sel], kind="stable")]  # in frequency order
        self.nfft = nfft
        self.seg_prev: np.ndarray | None = None  # the segment waiting for its estimate

    def process(self, x: np.ndarray) -> np.ndarray:
        """Feed samples; return the mixed samples of the segments completed."""
        x = np.asarray(x, np.complex64 if self.is_complex else np.float32)
        if self.fixed is not None:
            return self._mix(x)
        buf = np.concatenate([self.pending, x]) if len(self.pending) else x
        k = len(buf) // self.n
        outs = []
        for i in range(k):  # one estimate per segment
            seg = buf[i * self.n : (i + 1) * self.n]
            if self.seg_prev is not None:
                self._steer(self._estimate(self.seg_prev, seg))
                outs.append(self._mix(self.seg_prev))
            self.seg_prev = seg
        self.pending = buf[k * self.n :].copy()
        return np.concatenate(outs) if outs else np.zeros(0, np.complex64)

    def flush(self) -> np.ndarray:
        """The samples still held back, mixed with the last setting."""
        rest = [self.seg_prev] if self.fixed is None and self.seg_prev is not None else []
        rest.append(self.pending)
        self.seg_prev = None
        self.pending = self.pending[:0]
        tail = np.concatenate(rest)
        if self.nco.rate:
            self._retune(self.nco.current_freq, 0.0)
        return self._mix(tail) if len(tail) else np.zeros(0, np.complex64)

    def freq_at(self, index: float) -> float:
        """The frequency (Hz) the mixer removed at fed-sample ``index``."""
        f0, r, s0 = self.history[0][1], 0.0, self.history[0][0]
        for start, f, rate in self.history:
            if start > index:
                break
            s0, f0, r = start, f, rate
        return f0 + r * (index - s0) / self.fs

    # -- internals ---------------------------------------------------------------------

    def _mix(self, x: np.ndarray) -> np.ndarray:
        self.done += len(x)
        return self.nco.mix(np.asarray(x, np.complex64))

    def _retune(self, f: float, rate: float) -> None:
        self.nco.retune(f, rate)
        self.history.append((self.done, f, rate))
        del self.history[:-512]

    def _steer(self, est: float | None) -> None:
        """Set the mixer for the next segment from the estimate (None: no carrier).

        The estimate is the carrier at the end of the segment about to be
        mixed (the middle of the two-segment window it was measured over).
        """
        now = self.nco.current_freq
        if est is None:
            self.misses += 1
            if self.misses > HANGOVER and self.nco.rate:
                self._retune(now, 0.0)  # the burst is over: hold
            return
        far = self.far_onset if self.misses > HANGOVER else self.far_burst
        self.misses = 0
        if abs(est - now) > far:
            self._retune(est, 0.0)
        else:
            step = float(np.clip(GLIDE * (est - now), -self.max_glide, self.max_glide))
            self._retune(now, step * self.fs / self.n)

    def _squared_spectrum(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.is_complex:
            z = np.concatenate([a, b])
            if self.dec > 1:  # sums of `dec` consecutive samples: a cheap low-pass
                z = z.reshape(-1, self.dec).sum(axis=1)
        else:
            x = np.concatenate([a, b]).astype(np.float32)
            spec = scipy.fft.rfft(x)
            full = np.zeros(len(x), np.complex64)
            full[: len(spec)] = spec
            full[1 : (len(x) + 1) // 2] *= 2  # analytic: positive frequencies doubled
            full[len(x) // 2 + 1 :] = 0
            z = scipy.fft.ifft(full)
        z = z.astype(np.complex64)
        q = z * z * self.window
        if self.nco.rate:  # the drift being followed would smear the line: take it out
            q *= np.exp(-1j * math.pi * 2.0 * self.nco.rate * self.t2).astype(np.complex64)
        q = scipy.fft.fft(q)
        return (q.real**2 + q.imag**2).astype(np.float64)

    def _estimate(self, a: np.ndarray, b: np.ndarray) -> float | None:
        p = self._squared_spectrum(a, b)
        ps = p[self.sel]
        if not len(ps):
            return None
        k = int(np.argmax(ps))
        lo, hi = max(0, k - FLOOR_BINS), min(len(ps), k + FLOOR_BINS + 1)
        around = np.concatenate([ps[lo : max(lo, k - 3)], ps[min(hi, k + 4) : hi]])
        if len(around) < 8:
            return None
        floor = float(np.median(around)) / math.log(2.0)  # exponential: mean = median / ln 2
        if not floor > 0 or ps[k] < DETECT * floor:
            return None
        # parabolic interpolation of the log power around the peak
        j = int(self.sel[k])
        d = 0.0
        if 0 < j < self.nfft - 1:
            lm, l0, lp = (math.log(max(v, 1e-300)) for v in (p[j - 1], p[j], p[j + 1]))
            den = lm - 2 * l0 + lp
            if den < 0:
                d = float(np.clip(0.5 * (lm - lp) / den, -0.5, 0.5))
        return float(self.fc[j] + d * self.bin_hz)
