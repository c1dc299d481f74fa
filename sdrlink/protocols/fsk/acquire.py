"""Blind carrier acquisition for FSK from IQ: find the burst in frequency, re-centre it.

A LEO satellite at 436 MHz arrives up to about 10 kHz off the tuned
frequency, far outside the narrow filters of slow FSK (1200 Bd: a few kHz
wide) and enough to push AFSK's FM discriminator into noise. This stage
looks at the input in fixed segments (about 50 ms, counted from the first
sample fed, so the result does not depend on block sizes): the power
spectrum of each (the mean of those of short sub-blocks, just fine enough
for the fits below), summed over a window as wide as the signal, shows
where the signal's energy is (searched, like the noise floor, over a band
half a signal bandwidth wider than the signal can reach, so that noise-only
bins remain beside even a wide signal). The energy centroid of that window
estimates the carrier: the spectrum of an FM carrier is symmetric about it
for balanced data, whatever the pulse shape (AFSK, GMSK, the shaped FSK of
real transmitters) and for alternating preambles, whose lines a tone fit
would mistake. Unbalanced data (an HDLC flag preamble: seven symbols of
one tone to one of the other) pull the centroid towards one tone (by up to
three quarters of the deviation); the carrier is then taken where two tones
``tone_hz`` either side hold the most energy together, when that lies
within ``tone_hz`` of the centroid and its two tones hold energies more
than ``ASYMMETRY`` times apart.
The receiver's own carrier loop follows offsets up to ``far_hz``, and does
so better than this coarse estimate, so the value held changes only at the
onset of a burst (a segment with a signal clearly above the noise floor
after one without), when the estimate lies more than ``near_hz`` from it (a
fraction of the symbol rate: the carrier loop then starts close to the
carrier and has little to pull, which short preambles and long frames on a
drifting carrier need), or mid-burst when it lies beyond one and a half
times ``far_hz`` (for wide FSK at least the two tones' spacing and a
baud, which a fit on a segment of mostly one tone can be off by); otherwise
the value is held.
Within a burst only every second segment is looked at (the value is held
there anyway), so the search costs half as much while a signal is present.
A signal near the tuned frequency is thus left exactly as it was, and the
carrier does not step within a frame. Each segment is mixed down by the value held
with a phase-continuous NCO, so the receiver behind sees the signal near
0 Hz (while that value is 0 the samples pass uncopied). Output lags input by
up to one segment. The per-sample work (decimating sums, window, spectrum
averaging, noise quantile, window and two-tone searches) is in Cython
(``ext/fsk_dsp.pyx``); one batch of short FFTs per segment remains (planned
FFTW transforms where pyFFTW is installed, :mod:`sdrlink.dsp.fft`).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from sdrlink._ext import fsk_dsp  # type: ignore[attr-defined]
from sdrlink.dsp.fft import RowFFT
from sdrlink.dsp.nco import Nco

SEGMENT_S = 0.05  # seconds of input per spectrum
DETECT = 2.5  # signal-window energy / expected noise energy that counts as a signal
NOISE_Q = 0.3  # noise floor from this quantile of the bins (their distribution known)
IN_BURST_EVERY = 2  # within a burst, look at every 2nd segment only
ASYMMETRY = 10.0  # tone energies this far apart (flags: 30-140, balanced data 1-2)


class CarrierSearch:
    """Segment-wise FFT carrier estimate and phase-continuous re-centring of complex input.

    ``bandwidth`` is the signal's occupied bandwidth (Hz), ``search_hz`` how
    far from 0 its centre may lie, ``far_hz`` how far off the receiver's
    own carrier tracking still copes (re-acquired beyond 1.5 times that
    mid-burst) and ``near_hz`` (default ``far_hz``) how far off a burst may
    start before it is re-centred.
    ``tone_hz`` (direct FSK: the deviation) and ``lobe_hz`` (the width
    over which each tone's energy is summed) enable the two-tone fit for
    unbalanced spectra; without them the energy centroid is always used.
    ``mid_far_hz`` (default 1.5 * ``far_hz``) is how far off an estimate must
    lie mid-burst to be taken over.
    """

    def __init__(
        self,
        fs: float,
        bandwidth: float,
        search_hz: float,
        far_hz: float,
        tone_hz: float | None = None,
        lobe_hz: float = 0.0,
        mid_far_hz: float | None = None,
        near_hz: float | None = None,
    ) -> None:
        self.fs = float(fs)
        # the signal's edge can lie search_hz + bandwidth / 2 out; half a bandwidth more
        # keeps noise-only bins beside it wherever it is, for the noise floor (a 20 kBd
        # signal, 40 kHz wide, would otherwise fill most of the bins, the floor come out
        # too high, and the first segment of a burst pass for noise)
        reach = min(search_hz + bandwidth, fs / 2)
        # the spectrum is taken after summing groups of `dec` samples: white noise stays
        # white, and the band searched still fits (its edge at 0.4 of the new rate, where
        # the sum's droop costs a signal there less than 2 dB)
        self.dec = dec = max(1, int(fs // (2.5 * reach)))
        m = 256
        while m * dec < SEGMENT_S * fs:
            m *= 2
        self.n = m * dec
        rate = fs / dec
        # the segment's power spectrum is the mean of those of `looks` consecutive
        # sub-blocks, each just long enough for the resolution the fits need (a few
        # bins per tone lobe and per signal bandwidth): the same energy in far fewer
        # bins, each less noisy, for a fraction of the work of one long transform
        need = bandwidth / 32 if tone_hz is None else min(bandwidth / 32, lobe_hz / 8)
        sub = 32
        while sub < m and rate / sub > need:
            sub *= 2
        self.sub, self.looks = sub, m // sub
        freqs = np.fft.fftshift(np.fft.fftfreq(sub, 1.0 / rate))
        self.sel = np.flatnonzero(np.abs(freqs) <= reach)
        self.freqs = freqs[self.sel]
        # where the signal itself may lie: the estimates come from these bins only
        inner = np.flatnonzero(np.abs(self.freqs) <= search_hz + bandwidth / 2)
        self.i0, self.i1 = int(inner[0]), int(inner[-1]) + 1
        self.m = m
        binw = rate / sub
        self.width = int(max(1, min(self.i1 - self.i0, round(bandwidth / binw))))
        self.far = float(far_hz)
        self.mid_far = 1.5 * self.far if mid_far_hz is None else float(mid_far_hz)
        self.near = self.far if near_hz is None else min(float(near_hz), self.far)
        self.tone = None if tone_hz is None else max(1, int(round(tone_hz / binw)))
        self.tone_hz = 0.0 if tone_hz is None else float(tone_hz)
        self.lobe = max(1, int(round(lobe_hz / binw)))
        # a bin averaged over `looks` sub-blocks of noise is Gamma(looks)-distributed
        self.noise_q = float(special.gammaincinv(self.looks, NOISE_Q)) / self.looks
        self.in_burst = False
        self.moved = False  # the NCO has left 0 Hz
        self.count = 0  # segments seen
        self.window = np.tile(np.hanning(sub), self.looks).astype(np.float32)
        # the searched bins in frequency order, as indices of the unshifted transform
        self.order = np.ascontiguousarray(np.fft.fftshift(np.arange(sub))[self.sel], dtype=np.int64)
        # the sub-blocks are summed and windowed straight into the transform's input
        self._fft = RowFFT(self.looks, sub)
        self._acc = self._fft.inp.reshape(m)
        self._spec = np.empty(len(self.sel), np.float32)
        self._csum = np.empty(len(self.sel) + 1, np.float64)
        self._scratch = np.empty(len(self.sel), np.float32)
        self.freq = 0.0
        self.nco = Nco(fs)
        self.pending = np.zeros(0, np.complex64)
        self.done = 0  # samples output so far
        self.history: list[tuple[int, float]] = []  # (first sample of a segment, its estimate)

    def process(self, x: np.ndarray) -> np.ndarray:
        """Feed samples; return the mixed samples of the segments completed."""
        pieces = self.process_pieces(x)
        if len(pieces) == 1:
            return pieces[0]
        return np.concatenate(pieces) if pieces else np.zeros(0, np.complex64)

    def process_pieces(self, x: np.ndarray) -> list[np.ndarray]:
        """:meth:`process`, the output in consecutive pieces (no copy where the carrier
        is still at 0 Hz: the pieces are then views of the input)."""
        x = np.asarray(x, np.complex64)
        pieces = []
        if len(self.pending):  # complete the segment begun in an earlier block
            need = self.n - len(self.pending)
            if len(x) < need:
                self.pending = np.concatenate([self.pending, x])
                return []
            pieces.append(self._segments(np.concatenate([self.pending, x[:need]])))
            x = x[need:]
        k = len(x) // self.n
        if k:
            pieces.append(self._segments(x[: k * self.n]))
        self.pending = x[k * self.n :].copy()
        return pieces

    def _segments(self, buf: np.ndarray) -> np.ndarray:
        """Estimate and mix whole segments (``len(buf)`` a multiple of the segment)."""
        out: np.ndarray | None = None
        for i in range(len(buf) // self.n):  # one FFT per 50 ms segment
            seg = buf[i * self.n : (i + 1) * self.n]
            self._retune(self._estimate(seg))
            if self.moved:
                if out is None:  # the samples before were not mixed: copy them as they are
                    out = np.empty(len(buf), np.complex64)
                    out[: i * self.n] = buf[: i * self.n]
                self.nco.mix(seg, out=out[i * self.n : (i + 1) * self.n])
            else:  # still at 0 Hz: nothing to mix
                self.nco.skip(len(seg))
        return buf if out is None else out

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

    def _lopsided(self, csum: np.ndarray, centre: float, noise: float) -> bool:
        """The tones either side of ``centre`` (a two-tone fit) hold energies (above
        the noise) more than ASYMMETRY times apart: unbalanced data, such as HDLC
        flags."""
        assert self.tone is not None
        h, d = self.lobe // 2, self.tone
        c = int(np.searchsorted(self.freqs, centre))
        lo, hi = c - d - h, c + d + h + 1
        if lo < 0 or hi >= len(csum):
            return False
        w = 2 * h + 1
        left = float(csum[lo + w] - csum[lo]) - noise * w
        right = float(csum[hi] - csum[hi - w]) - noise * w
        return max(left, right) > ASYMMETRY * max(min(left, right), 0.0)

    def _two_tones(self, csum: np.ndarray) -> float:
        """Frequency whose two tones (+-tone bins) hold the most energy, lobe-wide each."""
        assert self.tone is not None
        h, d = self.lobe // 2, self.tone
        j = fsk_dsp.two_tone_peak(csum[self.i0 : self.i1 + 1], h, d)  # tones at j+h, j+h+2d
        return self.freq if j < 0 else float(self.freqs[self.i0 + j + h + d])

    def _estimate(self, seg: np.ndarray) -> float:
        self.count += 1
        if self.in_burst and self.count % IN_BURST_EVERY:
            return self.freq  # mid-burst the value is held anyway, barring a far jump
        # sums of `dec` consecutive samples (their scale does not matter), windowed, then
        # the mean power of the searched bins over the sub-blocks and its running sum
        fsk_dsp.group_sum_window(seg, self.dec, self.window, self._acc)
        spectra = self._fft()
        fsk_dsp.welch_power(spectra, self.order, self._spec, self._csum)
        spec, csum = self._spec, self._csum
        q = int(NOISE_Q * (len(spec) - 1))
        # noise floor (a quantile of all the bins), and the window of the most energy
        # among those where the signal may lie
        qv, _, _ = fsk_dsp.search_stats(spec, csum, self.width, q, self._scratch)
        i0, i1 = self.i0, self.i1
        _, k, top = fsk_dsp.search_stats(
            spec[i0:i1], csum[i0 : i1 + 1], self.width, 0, self._scratch
        )
        k += i0
        noise = qv / self.noise_q
        if noise <= 0 or top < DETECT * noise * self.width:
            self.in_burst = False
            return self.freq  # no signal: hold
        excess = np.maximum(spec[k : k + self.width] - noise, 0.0)
        est = float(excess @ self.freqs[k : k + self.width] / max(float(excess.sum()), 1e-30))
        if self.tone is not None:
            fit = self._two_tones(csum)
            if abs(fit - est) < self.tone_hz and self._lopsided(csum, fit, noise):
                est = fit
        if abs(est - self.freq) > (self.mid_far if self.in_burst else self.near):
            self.freq = est
        self.in_burst = True
        return self.freq
