"""Blind carrier acquisition for FSK from IQ: find the burst in frequency, re-centre it.

A LEO satellite at 436 MHz arrives up to about 10 kHz off the tuned
frequency, far outside the narrow filters of slow FSK (1200 Bd: a few kHz
wide) and enough to push AFSK's FM discriminator into noise. This stage
looks at the input in fixed segments (about 50 ms, counted from the first
sample fed, so the result does not depend on block sizes): the power
spectrum of each, summed over a window as wide as the signal, shows where
the signal's energy is. For AFSK (an FM carrier, whose spectrum is
symmetric whatever the data) the energy centroid estimates the carrier; for
direct FSK the carrier is where the two tones, ``tone_hz`` either side,
hold the most energy together, which a flag preamble (seven symbols of one
tone to one of the other) does not pull towards one tone as it does the
centroid.
The receiver's own carrier loop follows offsets up to ``far_hz``, and does
so better than this coarse estimate (the centroid of a flag preamble leans
towards one tone; a two-tone fit less so), so the estimate is taken over only when it lies beyond
that range from the value held, at the onset of a burst (a segment with a
signal clearly above the noise floor after one without), or mid-burst when
it lies beyond one and a half times the range; otherwise the value is held.
A signal near the tuned frequency is thus left exactly as it was, and the
carrier does not step within a frame. Each segment is mixed down by the value held
with a phase-continuous NCO, so the receiver behind sees the signal near
0 Hz. Output lags input by up to one segment.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from sdrlink.dsp.nco import Nco

SEGMENT_S = 0.05  # seconds of input per spectrum
DETECT = 2.5  # signal-window energy / expected noise energy that counts as a signal
NOISE_Q = 0.3  # noise floor from this quantile of the bins (exponential: mean = q / -ln(1-q))


class CarrierSearch:
    """Segment-wise FFT carrier estimate and phase-continuous re-centring of complex input.

    ``bandwidth`` is the signal's occupied bandwidth (Hz), ``search_hz`` how
    far from 0 its centre may lie and ``far_hz`` how far off the receiver's
    own carrier tracking still copes (re-acquired beyond that mid-burst).
    ``tone_hz`` (direct FSK: the deviation) and ``lobe_hz`` (the width of
    each tone's spectral lobe, about the symbol rate) select the two-tone
    fit; without them the energy centroid is used.
    """

    def __init__(
        self,
        fs: float,
        bandwidth: float,
        search_hz: float,
        far_hz: float,
        tone_hz: float | None = None,
        lobe_hz: float = 0.0,
    ) -> None:
        self.fs = float(fs)
        reach = min(search_hz + bandwidth / 2, fs / 2)
        # the spectrum is taken after summing groups of `dec` samples: white noise stays
        # white, and the band searched still fits (its edge at 0.4 of the new rate, where
        # the sum's droop costs a signal there less than 2 dB)
        self.dec = dec = max(1, int(fs // (2.5 * reach)))
        m = 256
        while m * dec < SEGMENT_S * fs:
            m *= 2
        self.n = m * dec
        rate = fs / dec
        freqs = scipy.fft.fftshift(scipy.fft.fftfreq(m, 1.0 / rate))
        self.sel = np.flatnonzero(np.abs(freqs) <= reach)
        self.freqs = freqs[self.sel]
        self.m = m
        binw = rate / m
        self.width = int(max(1, min(len(self.sel), round(bandwidth / binw))))
        self.far = float(far_hz)
        self.tone = None if tone_hz is None else max(1, int(round(tone_hz / binw)))
        self.lobe = max(1, int(round(lobe_hz / binw)))
        self.in_burst = False
        self.moved = False  # the NCO has left 0 Hz
        self.window = np.hanning(m).astype(np.float32)
        self.freq = 0.0
        self.nco = Nco(fs)
        self.pending = np.zeros(0, np.complex64)
        self.done = 0  # samples output so far
        self.history: list[tuple[int, float]] = []  # (first sample of a segment, its estimate)

    def process(self, x: np.ndarray) -> np.ndarray:
        """Feed samples; return the mixed samples of the segments completed."""
        x = np.asarray(x, np.complex64)
        buf = np.concatenate([self.pending, x]) if len(self.pending) else x
        k = len(buf) // self.n
        out = np.empty(k * self.n, np.complex64)
        for i in range(k):  # one FFT per 50 ms segment
            seg = buf[i * self.n : (i + 1) * self.n]
            self._retune(self._estimate(seg))
            if self.moved:
                out[i * self.n : (i + 1) * self.n] = self.nco.mix(seg)
            else:  # still at 0 Hz: nothing to mix
                out[i * self.n : (i + 1) * self.n] = seg
                self.nco.skip(len(seg))
        self.pending = buf[k * self.n :].copy()
        return out

    def flush(self) -> np.ndarray:
        """The samples still held back, mixed with the last estimate."""
        out = self.nco.mix(self.pending) if len(self.pending) else np.zeros(0, np.complex64)
        self.done += len(self.pending)
        self.pending = np.zeros(0, np.complex64)
        return out

    def offset_at(self, index: float) -> float:
        """The frequency (Hz) removed at fed-sample ``index`` (0 before any estimate)."""
        f = 0.0
        for start, est in self.history:
            if start > index:
                break
            f = est
        return f

    def _retune(self, f: float) -> None:
        if f != self.nco.freq:
            self.nco.retune(f)
            self.moved = True
        if not self.history or self.history[-1][1] != f:
            self.history.append((self.done, f))
            del self.history[:-256]
        self.done += self.n

    def _two_tones(self, csum: np.ndarray) -> float:
        """Frequency whose two tones (+-tone bins) hold the most energy, lobe-wide each."""
        assert self.tone is not None
        h, d = self.lobe // 2, self.tone
        lobes = csum[2 * h + 1 :] - csum[: -(2 * h + 1)]  # lobes[j]: bins j .. j + 2h
        if len(lobes) <= 2 * d:
            return self.freq
        score = lobes[: -2 * d] + lobes[2 * d :]  # tones at j + h and j + h + 2d
        return float(self.freqs[int(np.argmax(score)) + h + d])

    def _estimate(self, seg: np.ndarray) -> float:
        if self.dec > 1:  # sums of `dec` consecutive samples (their scale does not matter)
            acc = seg[0 :: self.dec].copy()
            for j in range(1, self.dec):
                acc += seg[j :: self.dec]
            seg = acc
        spec = scipy.fft.fftshift(np.abs(scipy.fft.fft(seg * self.window)) ** 2)[self.sel]
        q = int(NOISE_Q * (len(spec) - 1))
        noise = float(np.partition(spec, q)[q]) / -math.log(1.0 - NOISE_Q)
        csum = np.concatenate([[0.0], np.cumsum(spec, dtype=np.float64)])
        sums = csum[self.width :] - csum[: -self.width]
        k = int(np.argmax(sums))
        if noise <= 0 or sums[k] < DETECT * noise * self.width:
            self.in_burst = False
            return self.freq  # no signal: hold
        if self.tone is None:
            excess = np.maximum(spec[k : k + self.width] - noise, 0.0)
            est = float(excess @ self.freqs[k : k + self.width] / max(float(excess.sum()), 1e-30))
        else:
            est = self._two_tones(csum)
        if abs(est - self.freq) > (1.5 * self.far if self.in_burst else self.far):
            self.freq = est
        self.in_burst = True
        return self.freq
