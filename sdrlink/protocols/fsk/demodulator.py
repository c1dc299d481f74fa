"""FSK demodulation: front ends that turn IQ or audio into a frequency signal,
and the symbol-clock recovery that turns it into soft symbols.

Every stage keeps its own history, so a stream cut into blocks gives exactly
the samples (and symbols) the uncut stream gives. Positions are tracked in
the coordinates of the receiver's input through ``(decimation, delay)`` stages.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from sdrlink._ext import fsk_dsp  # type: ignore[attr-defined]
from sdrlink.dsp.estimate import SampleHistory, envelope_kurtosis
from sdrlink.protocols.fsk.params import VOICE_BW, FskParams

# below this many samples per symbol the front end interpolates its output to at least
# UPSAMPLE_TO samples per symbol (audio at 48 kHz of 19200 Bd has 2.5)
UPSAMPLE_BELOW = 4.0
UPSAMPLE_TO = 6.0


def _reversed_padded(taps: np.ndarray, multiple: int) -> np.ndarray:
    """Taps in reverse time order, zero-padded at the old end to a multiple of ``multiple``."""
    t = np.asarray(taps, dtype=np.float32)
    m = -(-len(t) // multiple) * multiple
    return np.ascontiguousarray(np.concatenate([t, np.zeros(m - len(t), np.float32)])[::-1])


class FirDecimator:
    """Stateful FIR filter keeping every ``decim``-th output (real or complex)."""

    def __init__(self, taps: np.ndarray, decim: int, is_complex: bool) -> None:
        self.taps = np.ascontiguousarray(taps, dtype=np.float32)
        self.decim = int(decim)
        self.is_complex = is_complex
        self.dtype = np.complex64 if is_complex else np.float32
        # the kernels want reversed, padded taps (complex: each tap twice)
        if is_complex:
            rt = _reversed_padded(self.taps, 4)
            self.kern_taps = np.ascontiguousarray(np.repeat(rt, 2))
        else:
            rt = _reversed_padded(self.taps, 8)
            self.kern_taps = rt
        self.hist = np.zeros(len(rt) - 1, dtype=self.dtype)
        self.skip = 0  # index, in the next block, of the next output's input sample
        self.delay = (len(self.taps) - 1) / 2  # group delay in input samples

    def process(self, x: np.ndarray) -> np.ndarray:
        # the block itself is not copied: the outputs that reach back into the history
        # come from a short buffer (the history and the block's first nh samples), the
        # rest straight from the block (positions count in history + block)
        nh = len(self.hist)
        x = np.ascontiguousarray(x, dtype=self.dtype)
        kern = fsk_dsp.fir_decim_c if self.is_complex else fsk_dsp.fir_decim_f
        total = nh + len(x)
        start = nh + self.skip
        out = np.empty(max(0, -(-(total - start) // self.decim)), dtype=self.dtype)
        head = np.concatenate([self.hist, x[:nh]])
        k = kern(head, self.kern_taps, start, self.decim, out) if start < len(head) else 0
        if k < len(out):  # then the block holds nh samples before the next output's
            k += kern(x, self.kern_taps, start + k * self.decim - nh, self.decim, out[k:])
        self.skip = start + k * self.decim - total
        if nh:
            self.hist = x[len(x) - nh :].copy() if len(x) >= nh else head[len(head) - nh :]
        return out[:k]


class Upsampler:
    """Stateful polyphase interpolation of a real signal by an integer factor.

    Each of the ``factor`` phases is a short FIR (a :class:`FirDecimator`
    without decimation) of the same input; their outputs interleave. The
    prototype low-pass (Kaiser window, 32 taps per phase, -6 dB at 0.45 of
    the input rate) reproduces the input band up to about 0.37 of the input
    rate within 0.03 % of the amplitude, so the output is the band-limited
    reconstruction of the input at ``factor`` times the rate and the stages
    behind it (boxcar matched filter, clock recovery with linear
    interpolation) work as at a high sample rate.
    """

    def __init__(self, factor: int, taps_per_phase: int = 32) -> None:
        self.factor = L = int(factor)
        n = L * taps_per_phase
        proto = signal.firwin(n, 0.45, fs=L, window=("kaiser", 6.0)) * L
        self.phases = [FirDecimator(proto[p::L].astype(np.float32), 1, False) for p in range(L)]
        # output j = n*L + p is sum_m proto[m*L + p] * x[n - m]: the prototype's centre,
        # (n_taps - 1) / 2 output samples back, lies at input time j / L - delay
        self.delay = (n - 1) / (2 * L)

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        return np.stack([ph.process(x) for ph in self.phases], axis=1).ravel()


class Discriminator:
    """Stateful FM discriminator; output in Hz."""

    def __init__(self, sample_rate: float) -> None:
        self.scale = sample_rate / (2 * math.pi)
        self.prev = np.complex64(1.0)

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.complex64)
        out = np.empty(len(x), dtype=np.float32)
        if len(x):
            fsk_dsp.discriminate(x, self.prev, self.scale, out)
            self.prev = x[-1]
        return out


def _lowpass(cutoff: float, fs: float, ntaps: int) -> np.ndarray:
    ntaps = max(3, ntaps | 1)
    return signal.firwin(ntaps, min(cutoff, 0.49 * fs), fs=fs, window="hamming").astype(np.float32)


class FrontEnd:
    """IQ or FM-discriminator audio -> real frequency signal at ~4..10 samples/symbol.

    Input down to 2 samples per symbol is accepted.

    * complex FSK/GFSK/GMSK: wide channel filter + decimation (passes carrier
      offsets up to ``max_offset``), then a narrow filter that follows the
      carrier (:class:`AfcDiscriminator`) and the FM discriminator; those two,
      the costliest per-sample work, produce only every 2nd (4th, ...) sample
      while at least 4 samples per symbol remain.
    * real FSK (discriminator audio): low-pass (+ decimation for slow rates).
    * AFSK: audio mixed down by the mid tone, filtered, FM-discriminated, so
      mark/space become -/+ half the tone spacing (insensitive to the tone
      amplitude imbalance that pre-/de-emphasis causes). AFSK from IQ is first
      FM-discriminated to audio.
    Below 4 samples per symbol (19200 Bd in 48 kHz audio has 2.5) the
    frequency signal is then interpolated (:class:`Upsampler`) to at least 6.
    A post filter (one symbol long, two after a decimating discriminator)
    acts as matched filter.
    """

    def __init__(self, params: FskParams, sample_rate: float, is_complex: bool) -> None:
        # (decimation, delay in stage-input samples); an interpolator decimates by 1/factor
        self.stages: list[tuple[float, float]] = []
        self.steps: list[object] = []
        fs = float(sample_rate)
        self.params = params
        self.in_rate = fs
        # IQ: the samples behind the first (channel) filter, for the SNR of frames;
        # AFSK from IQ also keeps the first discriminator's output, for the RF carrier
        self.probe: SampleHistory | None = SampleHistory(np.complex64) if is_complex else None
        self.rf_audio: SampleHistory | None = None
        self.narrow_taps: np.ndarray | None = None
        baud = params.baud
        span = 1.0  # matched-filter length in symbols (Gaussian shapes)
        if params.modulation == "afsk":
            if is_complex:
                d = max(1, int(fs // 48_000))
                bw = params.deviation + max(params.afsk_tones) + params.max_offset
                fs = self._add_chan(fs, d, bw, complex_in=True, sharp=True)
                self.steps.append(Discriminator(fs))
                self.rf_audio = SampleHistory(np.float32)
            mark, space = params.afsk_tones
            mid = (mark + space) / 2
            half = abs(space - mark) / 2
            self.steps.append(DcBlockMixer(fs, 0.1 * min(mark, space), mid))
            d = max(1, int(fs // (baud * 8)))
            # tone offset + 0.4 baud keeps the main lobe: at 4800 Bd (tones 2400/4800 Hz)
            # 1.5-2 dB better than + 0.7 baud, unchanged for Bell 202
            fs = self._add_chan(fs, d, half + 0.4 * baud, complex_in=True)
            self.steps.append(Discriminator(fs))
        elif is_complex and params.modulation == "fsk_subaudio":
            # the whole FM voice channel goes through the discriminator (its loop follows
            # the carrier); the data are then the low end of the discriminator's audio
            narrow = params.deviation + VOICE_BW
            d = max(1, int(fs // (2.5 * (narrow + params.max_offset))))
            fs = self._add_chan(fs, d, narrow + params.max_offset, complex_in=True, sharp=True)
            afc = AfcDiscriminator(fs, narrow, baud, params.max_offset, 1)
            self.narrow_taps = afc.taps
            self.steps.append(afc)
            self.stages.append((1, afc.delay))
            fs = self._add_subaudio(fs, baud)
        elif is_complex:
            # signal bandwidth plus a little FLL slack; wide FSK (deviation above the baud
            # rate) gets more: the FLL follows the data's imbalance, by a share of the
            # deviation, and a tone at the filter's edge loses its symbols
            narrow = params.deviation + baud + 0.5 * max(0.0, params.deviation - baud)
            # ~8 samples per symbol, but keep the offsets the wide filter passes unaliased
            d = max(1, min(int(fs // (baud * 8)), int(fs // (2.5 * (narrow + params.max_offset)))))
            fs = self._add_chan(fs, d, narrow + params.max_offset, complex_in=True, sharp=True)
            # the costly narrow filter + discriminator then run at >= 4 samples/symbol, and
            # fast enough that the discriminator's phase steps do not wrap around at the
            # tones (wide FSK: HADES-R's 562.5 Hz deviation at 200 Bd)
            r = max(
                k
                for k in (1, 2, 4, 8)
                if k == 1 or (fs / (k * baud) >= 4.0 and fs / k >= 2.0 * narrow)
            )
            afc = AfcDiscriminator(fs, narrow, baud, params.max_offset, r)
            self.narrow_taps = afc.taps  # at the probe rate
            fs /= r
            self.steps.append(afc)
            self.stages.append((r, afc.delay))
            if r > 1:
                # a 2-symbol low-pass also removes the discriminator noise that
                # the decimation folded towards the signal band
                span = 2.0
        elif params.modulation == "fsk_subaudio":
            fs = self._add_subaudio(fs, baud)
        else:
            d = max(1, int(fs // (baud * 8)))
            if d > 1:
                fs = self._add_chan(fs, d, 1.0 * baud, complex_in=False)
        if fs < UPSAMPLE_BELOW * baud:
            # too few samples per symbol for the boxcar matched filter and the
            # clock recovery's linear interpolation: reconstruct the band-limited
            # signal at a multiple of the rate first
            up = Upsampler(math.ceil(UPSAMPLE_TO * baud / fs))
            self.steps.append(up)
            self.stages.append((1.0 / up.factor, up.delay))
            fs *= up.factor
        # post (matched) filter
        sps = fs / baud
        ntaps = int(round(sps * span)) | 1
        if params.modulation in ("fsk", "afsk", "fsk_subaudio"):
            # boxcar over most of the symbol (rectangular FSK) or all of it (AFSK: the
            # discriminated tones are rectangular too; against a 0.6-baud low-pass this
            # gains 1-2 dB at 4800 Bd and loses nothing on Bell 202)
            box = 1.0 if params.modulation == "afsk" else 0.8
            taps = np.ones(max(1, int(round(sps * box))), np.float32)
            taps /= taps.sum()
        else:
            taps = _lowpass(0.6 * baud, fs, ntaps)
        post = FirDecimator(taps, 1, False)
        self.steps.append(post)
        self.stages.append((1, post.delay))
        self.out_rate = fs

    def _add_subaudio(self, fs: float, baud: float) -> float:
        """Sub-audio FSK: a sharp low-pass of the discriminator audio at 2/3 of the baud
        rate, a quarter of that wide (gr-satellites' ``subaudio`` filter), which keeps the
        voice above it out, decimating to about 8 samples per symbol."""
        cutoff = 2.0 / 3.0 * baud
        d = max(1, int(fs // (baud * 8)))
        taps = _lowpass(cutoff, fs, int(4 * fs / (cutoff / 4)))
        fir = FirDecimator(taps, d, False)
        self.steps.append(fir)
        self.stages.append((d, fir.delay))
        return fs / d

    def _add_chan(
        self, fs: float, d: int, cutoff: float, complex_in: bool, sharp: bool = False
    ) -> float:
        # IQ channel filters must be sharp: their stop band aliases noise into the signal
        ntaps = int(6 * d + 1) if d > 1 else min(63, max(9, int(3 * fs / cutoff) | 1))
        if sharp:
            ntaps = max(ntaps, min(1023, int(3 * fs / cutoff) | 1))
        taps = _lowpass(cutoff, fs, ntaps)
        fir = FirDecimator(taps, d, complex_in)
        self.steps.append(fir)
        self.stages.append((d, fir.delay))
        return fs / d

    @property
    def channel_taps(self) -> np.ndarray:
        """Taps of the first filter (IQ: the channel filter the SNR is measured behind)."""
        first = self.steps[0]
        assert isinstance(first, FirDecimator)
        return first.taps

    @property
    def probe_rate(self) -> float:
        """Sample rate (Hz) behind the first filter, where :attr:`probe` is taken."""
        return self.in_rate / self.stages[0][0]

    def process(self, x: np.ndarray) -> np.ndarray:
        y = x
        for i, step in enumerate(self.steps):
            y = step.process(y)  # type: ignore[attr-defined]
            if i == 0 and self.probe is not None:
                self.probe.append(y)
            elif i == 1 and self.rf_audio is not None:
                self.rf_audio.append(y)
        return np.asarray(y, dtype=np.float32)

    def to_probe_index(self, pos: np.ndarray | float) -> np.ndarray | float:
        """Map a position at the front-end output to an index behind the first filter."""
        p = pos
        for d, delay in reversed(self.stages[1:]):
            p = p * d - delay
        return p

    def forget_before(self, pos: float) -> None:
        """Front-end output positions before ``pos`` will not be asked about again."""
        # the measurements filter the probe again: keep that filter's reach too
        at = (
            float(self.to_probe_index(pos))
            - len(self.narrow_taps if self.narrow_taps is not None else ())
            - 16
        )
        for h in (self.probe, self.rf_audio):
            if h is not None:
                h.forget_before(at)

    def channel_kurtosis(self, offset: float = 0.0, seed: int = 1) -> float:
        """Envelope kurtosis behind the channel filter of this modulation without noise.

        Simulated with the project's modulator (256 random symbols at the input
        rate, ``offset`` Hz off the filter's centre, through the same filter):
        the M2M4 SNR estimate then knows how far the filter's cut of the
        spectrum moves the envelope off constant.
        """
        from sdrlink.protocols.fsk.modulator import frequency

        bits = np.random.default_rng(seed).integers(0, 2, 256, dtype=np.uint8)
        f = frequency(self.params, bits, self.in_rate) + offset
        z = np.exp(2j * np.pi * np.cumsum(f) / self.in_rate)
        first = self.steps[0]
        assert isinstance(first, FirDecimator)
        y = FirDecimator(first.taps, first.decim, True).process(z.astype(np.complex64))
        return envelope_kurtosis(y[len(first.taps) // first.decim + 1 :])  # past the start-up

    def to_input_index(self, pos: np.ndarray | float) -> np.ndarray | float:
        """Map a position at the front-end output back to an input sample index."""
        p = pos
        for d, delay in reversed(self.stages):
            p = p * d - delay
        return p


class AfcDiscriminator:
    """Narrow channel filter that follows the carrier (FLL), then FM discriminator.

    The wide channel filter before it lets through carrier offsets up to
    ``max_offset``; this stage re-centres the signal and keeps only its own
    bandwidth, so the discriminator sees far less noise (2-3 dB better
    sensitivity) while large offsets are still accepted. The narrow filter and
    the discriminator run only every ``decim``-th sample (output rate
    ``fs / decim``). Output in Hz, including the tracked offset.
    """

    def __init__(
        self, fs: float, cutoff: float, baud: float, max_offset: float, decim: int = 1
    ) -> None:
        ntaps = min(255, max(9, int(3 * fs / cutoff) | 1))
        self.taps = _lowpass(cutoff, fs, ntaps)
        rt = _reversed_padded(self.taps, 4)
        self.kern_taps = np.ascontiguousarray(np.repeat(rt, 2))
        self.decim = int(decim)
        # filter delay, plus half an output step: a discriminator output measures
        # the phase advance since the previous one
        self.delay = (len(self.taps) - 1) / 2 + (self.decim - 1) / 2
        self.hist = np.zeros(len(rt), np.complex64)  # the last mixed samples
        self.state = np.zeros(16, np.float64)  # see fsk_dsp.afc_discriminate
        self.state[0] = 1.0  # mixer phasor starts at 1
        self.state[8] = 1.0
        self.fs = fs
        sps = fs / baud
        self.gain = 1.0 / (100.0 * sps)  # slow: HDLC flag preambles are unbalanced
        self.leak = 1.0 / (2000.0 * sps)
        self.p_k = 1.0 / (4.0 * sps)
        self.fmax = max_offset + 0.25 * baud
        self.wide_k = 1.0

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.complex64)
        out = np.empty(len(x) // self.decim + 1, np.float32)
        k = 0
        if len(x):
            k = fsk_dsp.afc_discriminate(
                x,
                self.kern_taps,
                self.hist,
                self.state,
                self.fs,
                self.gain,
                self.leak,
                self.p_k,
                self.fmax,
                self.wide_k,
                self.decim,
                out,
            )
        return out[:k]


class DcBlockMixer:
    """One-pole high-pass (removes the carrier offset from FM audio), then a
    phase-continuous mix down by ``freq`` Hz; real in, complex64 out."""

    def __init__(self, fs: float, corner_hz: float, freq: float) -> None:
        self.a = math.exp(-2 * math.pi * corner_hz / fs)
        self.cyc = freq / fs
        self.state = np.zeros(3, np.float64)  # previous input, previous output, count

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty(len(x), np.complex64)
        if len(x):
            fsk_dsp.dc_block_mix(x, self.state, self.a, self.cyc, out)
        return out


class DcFollower:
    """The DC tracking of :class:`ClockRecovery` on its own (``ext/fsk_dsp.pyx``:
    ``dc_follow``): synchronisers with the same DC settings share one pass of it
    (:meth:`ClockRecovery.process_followed`)."""

    def __init__(self, sps: float, dc_symbols: float = 40.0, attack_symbols: float = 2.0) -> None:
        self.dc_k = 1.0 / (dc_symbols * sps)
        self.att_k = 1.0 / (attack_symbols * sps)
        self.state = np.zeros(2, dtype=np.float64)  # upper and lower envelope

    def process(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The signal less its DC (float64) and the DC (float32), per sample."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.empty(len(x), np.float64)
        dc = np.empty(len(x), np.float32)
        fsk_dsp.dc_follow(x, self.state, self.dc_k, self.att_k, y, dc)
        return y, dc


class ClockRecovery:
    """Stateful zero-crossing DPLL (see ``ext/fsk_dsp.pyx``): frequency signal -> symbols."""

    def __init__(
        self,
        sps: float,
        alpha: float = 0.3,
        beta: float = 0.005,
        dc_symbols: float = 40.0,
        max_clock_error: float = 0.02,
        attack_symbols: float = 2.0,
    ) -> None:
        self.sps = sps
        self.alpha = alpha
        self.beta = beta
        self.dc_k = 1.0 / (dc_symbols * sps)
        self.fmax = max_clock_error
        self.att_k = 1.0 / (attack_symbols * sps)
        self.state = np.zeros(7, dtype=np.float64)

    def process(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Soft symbols, their positions (front-end output samples) and the DC there."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        # phase corrections can add symbols: allow twice the nominal count
        cap = int(2 * len(x) / self.sps) + 8
        sym = np.empty(cap, np.float32)
        pos = np.empty(cap, np.float64)
        dcs = np.empty(cap, np.float32)
        k = fsk_dsp.clock_recover(
            x,
            self.state,
            1.0 / self.sps,
            self.alpha,
            self.beta,
            self.dc_k,
            self.att_k,
            self.fmax,
            sym,
            pos,
            dcs,
        )
        return sym[:k], pos[:k], dcs[:k]

    def process_followed(
        self, y: np.ndarray, dc: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`process` from a :class:`DcFollower`'s output (of the same DC settings:
        the results are the same bits); this object's own followers stay unused."""
        cap = int(2 * len(y) / self.sps) + 8
        sym = np.empty(cap, np.float32)
        pos = np.empty(cap, np.float64)
        dcs = np.empty(cap, np.float32)
        k = fsk_dsp.symbol_clock(
            y, dc, self.state, 1.0 / self.sps, self.alpha, self.beta, self.fmax, sym, pos, dcs
        )
        return sym[:k], pos[:k], dcs[:k]
