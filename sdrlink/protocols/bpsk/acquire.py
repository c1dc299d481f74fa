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

The mixer (:class:`~sdrlink.dsp.nco.Nco`, phase continuous) jumps to the
estimate at the onset of a burst, and within a burst glides towards it (a
frequency ramp over the segment, never a step), so that the Costas loop
behind sees a carrier that moves slowly however the estimate jitters. Within
a burst an estimate farther off than a drift could take the carrier (2 kHz/s,
at most 10 % of the symbol rate per segment) is ignored unless its line is
far stronger, and one segment where the line was missed does not end the
burst. Without a signal the mixer holds.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from sdrlink.dsp.nco import Nco

FALSE_ALARM = 9.0  # -ln(probability) that noise alone passes for a line in one segment
MAX_DRIFT = 2000.0  # Hz/s: the fastest drift followed within a burst
STRONGER = 4.0  # within a burst, a far line this much stronger is another signal: go there
FLOOR_BINS = 48  # half-width of the window the local floor is taken over
TONE_BINS = 32  # neighbours on each side a tone is compared with
TONE_RATIO = 30.0  # a bin this far above its neighbours' mean is a tone (noise: P ~ e^-30)
SKIRT = 3.0  # a tone's skirt is cut out to where the power is this close to the floor
MAX_TONES = 16  # tones cut per estimate, at most (the strongest)
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
        # at the onset of a burst, jump (rather than glide) to an estimate this far
        self.far_onset = max(0.02 * rate, 10.0)
        # within a burst, glide by at most this per segment; an estimate farther off
        # is taken for a noise peak (or another signal) and not followed
        self.max_glide = 0.1 * rate  # (set per segment length below)
        self.strength = 0.0  # line power over floor of the burst being followed
        if fixed is not None:
            self.n = 4096
            return
        seg_s = min(max(256.0 / rate, 0.05), 0.25)
        if is_complex:
            reach = min(search_hz + bandwidth / 2, fs / 2)
            self.dec = max(1, int(fs // (2.5 * reach)))
            self.lo, self.hi = -search_hz, search_hz
        else:
            self.dec = 1
            self.lo, self.hi = band
        m = 1 << max(6, int(round(math.log2(seg_s * fs / self.dec))))  # (FFTs of 2^k points)
        self.m = m  # samples per segment after summing
        self.n = m * self.dec  # input samples per segment
        self.nfft = nfft = 2 * m  # two segments per estimate
        self.rate_d = rate_d = fs / self.dec
        self.window = np.hanning(nfft).astype(np.float32)
        # time from the window centre, squared: a drift r turns the square's phase by
        # 2 pi r t^2
        self.t2 = (((np.arange(nfft) - m) / rate_d) ** 2).astype(np.float32)
        self._chirps: dict[int, np.ndarray] = {}
        self.bw = float(bandwidth)
        # the bins of the window's spectrum where the carrier may be, in frequency order
        f = scipy.fft.fftfreq(nfft, 1.0 / rate_d)
        if not is_complex:
            f = np.where(f < 0, np.inf, f)  # the analytic signal has no negative frequencies
        self.f = f
        self.bin = rate_d / nfft  # Hz per bin
        self.width = max(1, int(round(bandwidth / self.bin)))  # the signal's width in bins
        # bins the signal may cover, in frequency order, and the windows (of the
        # signal's width) whose centre lies where the carrier may be
        sel = np.flatnonzero((f >= self.lo - self.bw / 2) & (f <= self.hi + self.bw / 2))
        self.sel = sel[np.argsort(f[sel], kind="stable")]
        centres = f[self.sel[self.width // 2 : len(self.sel) - self.width + 1 + self.width // 2]]
        self.centres = centres
        ok = np.flatnonzero((centres >= self.lo) & (centres <= self.hi))
        self.centre_lo = int(ok[0]) if len(ok) else 0
        self.centre_hi = int(ok[-1]) + 1 if len(ok) else 0
        self.keep_bins = int(math.ceil(2 * self.bw / self.bin)) + 2
        # line power over the floor's mean: exceeded by one of the exponentially
        # distributed noise bins (as many as the line is searched over) with
        # probability exp(-FALSE_ALARM) per segment
        self.detect = math.log(max(2 * self.width, 2)) + FALSE_ALARM
        self.max_glide = max(min(0.1 * rate, MAX_DRIFT * self.n / fs), 4 * self.bin)
        # bins around a line where the floor is measured (the line's own lobe left out)
        self.around = np.concatenate([np.arange(-FLOOR_BINS, -3), np.arange(4, FLOOR_BINS + 1)])
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
            self.seg_prev = seg.copy()  # (buf may be the caller's array)
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

    def freq_at(self, index: np.ndarray | float) -> np.ndarray:
        """The frequency (Hz) the mixer removed at fed-sample ``index`` (array or number)."""
        idx = np.atleast_1d(np.asarray(index, np.float64))
        starts = np.array([h[0] for h in self.history], np.float64)
        k = np.maximum(np.searchsorted(starts, idx, side="right") - 1, 0)
        f0 = np.array([h[1] for h in self.history])[k]
        rate = np.array([h[2] for h in self.history])[k]
        return f0 + rate * (idx - starts[k]) / self.fs

    # -- internals ---------------------------------------------------------------------

    def _mix(self, x: np.ndarray) -> np.ndarray:
        self.done += len(x)
        return self.nco.mix(np.asarray(x, np.complex64))

    def _retune(self, f: float, rate: float) -> None:
        self.nco.retune(f, rate)
        self.history.append((self.done, f, rate))
        del self.history[:-512]

    def _steer(self, found: tuple[float, float] | None) -> None:
        """Set the mixer for the next segment from the estimate (None: no carrier).

        ``found`` is (carrier, line power over floor); the carrier is the one
        at the end of the segment about to be mixed (the middle of the
        two-segment window it was measured over).
        """
        now = self.nco.current_freq
        if found is None:
            self.misses += 1
            if self.misses > HANGOVER and self.nco.rate:
                self._retune(now, 0.0)  # the burst is over: hold
            return
        est, strength = found
        if self.misses <= HANGOVER:  # within a burst: only a drift is plausible ...
            if abs(est - now) > self.max_glide:
                if strength < STRONGER * self.strength:  # ... or a far stronger signal
                    self._steer(None)  # a noise peak, or a weaker signal: not followed
                    return
                self.misses = HANGOVER + 1
        if self.misses > HANGOVER and abs(est - now) > self.far_onset:  # a new burst
            self.misses = 0
            self.strength = strength
            self._retune(est, 0.0)
            return
        self.misses = 0
        self.strength = strength
        step = float(np.clip(GLIDE * (est - now), -self.max_glide, self.max_glide))
        self._retune(now, step * self.fs / self.n)

    def _estimate(self, a: np.ndarray, b: np.ndarray) -> tuple[float, float] | None:
        """The carrier over segments ``a`` and ``b`` and the strength of its line (power
        over the floor), or None when there is no line.

        The window's spectrum first locates the signal's energy (the
        bandwidth-wide stretch holding the most power), then only that
        stretch (twice as wide) is squared: far less noise takes part in the
        squaring than over the whole band searched. The line is looked for
        within half a bandwidth of the energy's location. Narrow tones
        (interference, receiver birdies) do not count when locating the
        energy, and those beyond the signal's band are cut before squaring:
        a tone's square is a line too.
        """
        if self.is_complex:
            z = np.concatenate([a, b])
            if self.dec > 1:  # sums of `dec` consecutive samples: a cheap low-pass
                acc = z[0 :: self.dec].copy()
                for j in range(1, self.dec):
                    acc += z[j :: self.dec]
                z = acc
            spec = scipy.fft.fft(z * self.window)
        else:
            spec = np.zeros(self.nfft, np.complex64)
            x = np.concatenate([a, b]) * self.window
            spec[: self.nfft // 2 + 1] = scipy.fft.rfft(x)  # analytic: negative half empty
        if self.centre_lo >= self.centre_hi:
            return None
        s = spec[self.sel]
        power = (s.real**2 + s.imag**2).astype(np.float64)
        tones = self._tones(power)
        if tones is not None:
            power[tones[0]] = tones[1]
        csum = np.concatenate([[0.0], np.cumsum(power)])
        # sums over the signal's width, for the windows centred where the carrier may be
        j0, j1 = self.centre_lo, self.centre_hi
        sums = csum[j0 + self.width : j1 + self.width] - csum[j0:j1]
        coarse = float(self.centres[j0 + int(np.argmax(sums))])
        # keep the stretch around it (bins taken modulo the FFT length), square, look
        k0 = int(math.floor((coarse - self.bw) / self.bin))
        ks = np.arange(k0, k0 + self.keep_bins) % self.nfft
        band = np.zeros(self.nfft, np.complex64)
        band[ks] = spec[ks]
        if tones is not None:  # cut the tones beyond the signal's own band (within it,
            # the flags of an HDLC preamble make spectral lines of the signal itself)
            cut = self.sel[tones[0]]
            band[cut[np.abs(self.f[cut] - coarse) > 0.6 * self.bw]] = 0
        zf = scipy.fft.ifft(band)
        q = zf * zf  # (tapered twice over by the window of the first transform)
        if self.nco.rate:  # the drift being followed would smear the line: take it out
            q *= self._dechirp(self.nco.rate)
        found = self._line(scipy.fft.fft(q), coarse)
        if found is not None and tones is not None:
            # a tone squared is a line too: a carrier that is a line itself is a tone
            # (BPSK's carrier is suppressed)
            at = self.f[self.sel[tones[0]]]
            if np.any(np.abs(at - found[0]) <= 2 * self.bin):
                return None
        return found

    def _dechirp(self, rate: float) -> np.ndarray:
        """exp(-2j pi rate t^2) over the window, for ``rate`` rounded to a step whose
        leftover smears the line by under a quarter of a bin (cached: the drift
        followed changes slowly)."""
        step = 0.125 / (self.nfft / self.rate_d) ** 2
        key = int(round(rate / step))
        table = self._chirps.get(key)
        if table is None:
            ph = np.float32(-2.0 * math.pi * key * step) * self.t2
            table = (np.cos(ph) + 1j * np.sin(ph)).astype(np.complex64)
            if len(self._chirps) >= 64:
                self._chirps.clear()
            self._chirps[key] = table
        return table

    @staticmethod
    def _tones(power: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Bins of narrow tones in ``power`` (frequency order) and the level around them.

        A tone is a bin TONE_RATIO times above the mean of its neighbours (the
        window's main lobe left out); its skirt (the window's sidelobes) is
        cut too, out to where the power is back near the floor beyond it.
        """
        n, w, lobe = len(power), TONE_BINS, 2
        if n < 4 * w:
            return None
        # mean of the 2w + 1 bins around each, less its 2 lobe + 1 (edges repeated)
        padded = np.concatenate([np.full(w + 1, power[0]), power, np.full(w, power[-1])])
        padded[0] = 0.0
        cs = np.cumsum(padded)
        wide = cs[2 * w + 1 :] - cs[: -(2 * w + 1)]
        inner = cs[w + lobe + 1 : len(cs) - w + lobe] - cs[w - lobe : len(cs) - w - lobe - 1]
        local = (wide - inner) / (2 * (w - lobe))
        peaks = np.flatnonzero(power > TONE_RATIO * local)
        if not len(peaks):
            return None
        mask = np.zeros(n, bool)
        level = np.zeros(n)
        for k in peaks[np.argsort(-power[peaks])][:MAX_TONES]:
            if mask[k]:
                continue
            outer = np.concatenate([power[max(0, k - 4 * w) : max(0, k - 2 * w)],
                                    power[k + 2 * w : k + 4 * w]])  # fmt: skip
            floor = float(np.median(outer)) if len(outer) else float(local[k])
            left = k
            while left > 0 and k - left < 2 * w and power[left - 1] > SKIRT * floor:
                left -= 1
            right = k
            while right < n - 1 and right - k < 2 * w and power[right + 1] > SKIRT * floor:
                right += 1
            mask[left : right + 1] = True
            level[left : right + 1] = floor
        return mask, level[mask]

    def _line(self, spec: np.ndarray, coarse: float) -> tuple[float, float] | None:
        """The carrier whose square's line (in ``spec``, the spectrum of the squared
        window) stands out near ``2 * coarse``."""
        half = self.bw / 2
        lo = max(coarse - half, self.lo)
        hi = min(coarse + half, self.hi)
        # bins k hold 2f = k * bin (mod rate_d): unwrap into [2 lo, 2 hi]
        k0 = int(math.floor(2 * lo / self.bin))
        k1 = int(math.ceil(2 * hi / self.bin))
        span = np.arange(k0 - FLOOR_BINS, k1 + FLOOR_BINS + 1)
        v = spec[span % self.nfft]
        p = (v.real * v.real + v.imag * v.imag).astype(np.float64)
        j = FLOOR_BINS + int(np.argmax(p[FLOOR_BINS : len(p) - FLOOR_BINS]))
        around = p[j + self.around]
        mid = len(around) // 2
        floor = float(np.partition(around, mid)[mid]) / math.log(2.0)  # exponential: mean
        if not floor > 0 or p[j] < self.detect * floor:
            return None
        # parabolic interpolation of the log power around the peak
        lm, l0, lp = (math.log(max(float(p[j + d]), 1e-300)) for d in (-1, 0, 1))
        den = lm - 2 * l0 + lp
        d = float(np.clip(0.5 * (lm - lp) / den, -0.5, 0.5)) if den < 0 else 0.0
        return float((span[j] + d) * self.bin / 2), float(p[j] / floor)
