"""BPSK demodulation after the carrier has been brought near 0 Hz: channel filter and
decimation, symbol synchroniser (matched filter, Gardner timing, Costas carrier),
Manchester chip pairing and the soft decisions of each modulation.

Every stage keeps its own history, so a stream cut into blocks gives exactly
the symbols the uncut stream gives. Positions are tracked in the samples of
the stage's input (:meth:`Demodulator.to_input_index` maps them back).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from sdrlink._ext import psk_dsp
from sdrlink.protocols.bpsk.params import BpskParams
from sdrlink.protocols.bpsk.pulse import raised_cosine, rrc

MF_SPAN = 12  # matched-filter length in symbols
PHASES = 64  # fractional delays of the polyphase matched filter
TIMING_BW = 0.008  # timing loop noise bandwidth, relative to the symbol rate
TIMING_DAMPING = 2.0  # its damping (overdamped: little overshoot after acquisition)
COSTAS_BW = 0.012  # default Costas loop noise bandwidth, relative to the symbol rate
COSTAS_MIN_HZ = 25.0  # ... but at least this (oscillator phase noise, residual drift)
FREQ_LIMIT = 0.05  # Costas frequency range, relative to the symbol rate
AGC_SYMBOLS = 32.0  # AGC time constant
MANCHESTER_HISTORY = 32  # bits over which the chip pairing is judged
LOCK_SYMBOLS = 64.0  # lock detector time constant
LOCK_MIN = 0.3  # lock metric (about Es/(Es + N0)) below which the loops count as unlocked
LEAK_SYMBOLS = 256.0  # time constant of the clock's return to nominal while unlocked
FREQ_LEAK_SYMBOLS = 4096.0  # the same for the Costas frequency (slower: it must pull in)
FLL_GAIN = 1.0 / 128  # frequency-locked loop gain while unlocked (pull-in in ~200 symbols)
FLOOR_RISE = 1e-4  # noise floor estimate: relative rise per symbol (~10^4 symbols to forget)
FLOOR_MEAN = 1.6  # noise power over that floor (the floor follows the AGC power's dips)
TIMING_EVENTS = 24.0  # timing metric time constant, in sign changes of the data
TIMING_KICK = -0.3  # jump half a symbol when the timing metric is below this ...
KICK_LOCK = 0.75  # ... and the lock metric above this (Es/N0 above about 5 dB: below, noise
# can fake a hang-up, and a needless jump slips a symbol)
FAST_GAIN = 4.0  # timing loop proportional gain factor while unlocked
DENSITY_SYMBOLS = 32.0  # transition density time constant
MAX_BOOST = 4.0  # timing gain factor for sparse transitions, at most


def loop_gains(bn: float, zeta: float) -> tuple[float, float]:
    """Proportional and integral gains of a second-order loop with noise bandwidth
    ``bn`` (per update) and damping ``zeta`` (unit detector and oscillator gains)."""
    th = bn / (zeta + 0.25 / zeta)
    d = 1.0 + 2.0 * zeta * th + th * th
    return 4.0 * zeta * th / d, 4.0 * th * th / d


def gardner_slope(alpha: float) -> float:
    """Mean Gardner detector output at a sign change of the data (+-1 symbols through
    a raised-cosine pulse) per symbol of timing error, at zero error: the detector's
    gain as the synchroniser uses it (only where the data changes sign)."""
    rng = np.random.default_rng(12345)  # a fixed sequence: the same gain every time
    a = rng.choice([-1.0, 1.0], 4000)
    n = np.arange(-30, 31)

    def mean_error(tau: float) -> float:
        def at(t: float) -> np.ndarray:  # y(k + t) for k = 40 .. 3960
            k = np.arange(40, 3960)
            return np.sum(a[k[:, None] - n[None, :]] * raised_cosine(t + n, alpha), axis=1)

        now, before, mid = at(tau), at(tau - 1), at(tau - 0.5)
        k = np.arange(40, 3960)
        change = a[k] != a[k - 1]
        return float(np.mean(((now - before) * mid)[change]))

    h = 1e-3
    return (mean_error(h) - mean_error(-h)) / (2 * h)


def _doubled_reversed(taps: np.ndarray, multiple: int = 2) -> np.ndarray:
    t = np.asarray(taps, dtype=np.float32)[::-1]
    m = -(-len(t) // multiple) * multiple
    t = np.concatenate([np.zeros(m - len(t), np.float32), t])  # pad at the old end
    return np.ascontiguousarray(np.repeat(t, 2))


class Decimator:
    """Stateful complex FIR low-pass keeping every ``decim``-th output."""

    def __init__(self, taps: np.ndarray, decim: int) -> None:
        self.kern_taps = _doubled_reversed(taps)
        self.m = len(self.kern_taps) // 2
        self.decim = int(decim)
        self.hist = np.zeros(self.m - 1, np.complex64)
        self.skip = 0  # index, in the next block, of the next output's newest input
        self.delay = (len(taps) - 1) / 2  # group delay in input samples

    def process(self, x: np.ndarray) -> np.ndarray:
        nh = len(self.hist)
        buf = np.concatenate([self.hist, np.asarray(x, np.complex64)])
        start = nh + self.skip
        n_out = max(0, -(-(len(buf) - start) // self.decim))
        out = np.empty(n_out, np.complex64)
        if n_out:
            out = out[: psk_dsp.fir_decim(buf, self.kern_taps, start, self.decim, out)]
        self.skip = start + len(out) * self.decim - len(buf)
        self.hist = buf[len(buf) - nh :].copy() if nh else self.hist
        return out


def channel_filter(fs: float, decim: int, passband: float) -> np.ndarray:
    """Low-pass taps for decimating by ``decim``: flat to ``passband`` Hz, 60 dB down
    where the output rate would fold anything back into the passband."""
    stop = fs / decim - passband
    width = max(stop - passband, 0.05 * fs / decim)
    ntaps = int(math.ceil((60 - 8) / (2.285 * 2 * math.pi * width / fs))) | 1
    beta = signal.kaiser_beta(60)
    cutoff = min(0.5 * (passband + stop), 0.49 * fs)
    return signal.firwin(max(ntaps, 3), cutoff, fs=fs, window=("kaiser", beta)).astype(np.float32)


class SymbolSync:
    """Matched filter + Gardner timing loop + Costas loop (``psk_sync`` in ext/psk_dsp.pyx).

    Input: complex samples at ``sps`` samples per symbol (>= 2), the carrier
    within a few percent of the symbol rate of 0 Hz. Output per symbol: the
    derotated symbol normalised to unit power (re, im), its position in the
    input (samples since the first one fed) and the carrier frequency the
    Costas loop held there (Hz).
    """

    def __init__(
        self,
        sps: float,
        rate: float,
        alpha: float,
        costas_bw_hz: float = 0.0,
        clock_limit: float = 0.02,
    ) -> None:
        self.sps = float(sps)
        self.rate = float(rate)
        half = int(math.ceil(MF_SPAN / 2 * sps)) + 1
        self.half = half
        q = np.arange(2 * half + 1)
        rows = []
        for p in range(PHASES):
            d = (half + p / PHASES - q) / sps  # tap delay in symbols
            taper = np.clip(MF_SPAN / 2 - np.abs(d), 0.0, 1.0)
            taper = 0.5 - 0.5 * np.cos(math.pi * taper)
            rows.append(np.repeat(np.append(rrc(d, alpha) * taper, 0.0), 2))
        self.bank = np.ascontiguousarray(np.array(rows, np.float32))
        kp_t, ki_t = loop_gains(TIMING_BW, TIMING_DAMPING)
        bn_c = (costas_bw_hz if costas_bw_hz > 0 else max(COSTAS_BW * rate, COSTAS_MIN_HZ)) / rate
        kp_c, ki_c = loop_gains(min(bn_c, 0.1), 1 / math.sqrt(2))
        self.par = np.array(
            [
                sps,
                kp_t,
                ki_t,
                clock_limit,
                kp_c,
                ki_c,
                2 * math.pi * FREQ_LIMIT,
                1.0 / AGC_SYMBOLS,
                1.0 / gardner_slope(alpha),
                1.0 / LOCK_SYMBOLS,
                LOCK_MIN,
                1.0 / LEAK_SYMBOLS,
                1.0 / TIMING_EVENTS,
                TIMING_KICK,
                8.0 * TIMING_EVENTS,
                KICK_LOCK,
                FAST_GAIN,
                1.0 / DENSITY_SYMBOLS,
                MAX_BOOST,
                1.0 / FREQ_LEAK_SYMBOLS,
                FLL_GAIN,
                FLOOR_RISE,
                FLOOR_MEAN,
            ],
            np.float64,
        )
        self.state = np.zeros(12, np.float64)
        self.state[10] = 0.5  # transition density of random data
        # the first symbol: one span in, so its half-symbol point has history
        self.state[0] = half + sps
        self.buf = np.zeros(0, np.complex64)
        self.base = 0  # input index of buf[0]

    def process(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        buf = np.concatenate([self.buf, np.asarray(x, np.complex64)])
        cap = int(len(buf) / (self.sps * (1 - self.par[3]))) + 4
        re = np.empty(cap, np.float32)
        im = np.empty(cap, np.float32)
        pos = np.empty(cap, np.float64)
        freq = np.empty(cap, np.float32)
        k = psk_dsp.psk_sync(buf, self.bank, self.half, self.state, self.par, re, im, pos, freq)
        # keep what the next symbol's half-symbol point needs
        cut = max(0, int(math.floor(self.state[0] - self.sps * (1 + self.par[3]))) - self.half - 2)
        cut = min(cut, len(buf))
        self.buf = buf[cut:].copy()
        self.state[0] -= cut
        pos = pos[:k] + self.base
        self.base += cut
        hz = freq[:k].astype(np.float64) * (self.rate / (2 * math.pi))
        return re[:k], im[:k], pos, hz


class ManchesterSync:
    """Pairs Manchester chips into bits, choosing the pairing that looks most like
    Manchester (consecutive chips of opposite sign) over the last bits.

    Chips are numbered from the first one fed; bit i is decided once chip
    2i + 1 is there, from either pair (2i, 2i + 1) or (2i - 1, 2i), whichever
    pairing scores higher over the last :data:`MANCHESTER_HISTORY` bits (the
    score of a pair is -Re(first conj second)). Output: the bit as a complex
    value, (first chip - second chip) / 2, and the side data (position,
    frequency) of its first chip.
    """

    def __init__(self, history: int = MANCHESTER_HISTORY) -> None:
        self.h = int(history)
        self.chips = np.zeros(0, np.complex64)
        self.pos = np.zeros(0, np.float64)
        self.hz = np.zeros(0, np.float64)
        self.first = 0  # chip index of chips[0]
        self.done = 0  # bits output so far

    def process(
        self, chips: np.ndarray, pos: np.ndarray, hz: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = np.concatenate([self.chips, np.asarray(chips, np.complex64)])
        ps = np.concatenate([self.pos, pos])
        fs = np.concatenate([self.hz, hz])
        last = (self.first + len(c) - 2) // 2  # last bit whose chip 2i + 1 is here
        if last < self.done:
            self._keep(c, ps, fs)
            return np.zeros(0, np.complex64), np.zeros(0), np.zeros(0)
        score = -np.real(c[:-1] * np.conj(c[1:])).astype(np.float64)
        j0 = 2 * np.arange(self.done, last + 1) - self.first  # local index of chip 2i
        even = self._alt_sum(score, j0, self.h)
        odd = self._alt_sum(score, j0 - 1, self.h)
        a = np.maximum(np.where(even >= odd, j0, j0 - 1), 0)  # (no chip before the first)
        out = (0.5 * (c[a] - c[a + 1])).astype(np.complex64)
        bit_pos, bit_hz = ps[a], fs[a]
        self.done = int(last) + 1
        self._keep(c, ps, fs)
        return out, bit_pos, bit_hz

    @staticmethod
    def _alt_sum(score: np.ndarray, j: np.ndarray, h: int) -> np.ndarray:
        """sum over m < h of score[j - 2m] (terms before index 0 count as 0)."""
        out = np.zeros(len(j), np.float64)
        for parity in (0, 1):
            cs = np.concatenate([[0.0], np.cumsum(score[parity::2])])
            sel = (j % 2) == parity
            k = j[sel] // 2  # index of score[j] among the scores of this parity
            ok = k >= 0
            val = np.zeros(len(k))
            val[ok] = cs[k[ok] + 1] - cs[np.maximum(k[ok] - h + 1, 0)]
            out[sel] = val
        return out

    def _keep(self, c: np.ndarray, ps: np.ndarray, fs: np.ndarray) -> None:
        # the next bit's scores reach back to chip 2 * (done - h) - 1
        need = min(max(0, 2 * (self.done - self.h) - 2 - self.first), len(c))
        self.chips, self.pos, self.hz = c[need:], ps[need:], fs[need:]
        self.first += need


class SoftDecisions:
    """Soft bits of each modulation from the synchroniser's symbols (or Manchester bits).

    bpsk: the in-phase part. dbpsk: a 1 is no phase change (NRZI); the
    coherent detector takes sign(s_n s_n-1) min(|s_n|, |s_n-1|) of the
    in-phase parts (the soft XOR), the differential one Re(u_n conj u_n-1).
    dbpsk_manchester: the same with a 1 being a phase change.
    """

    def __init__(self, params: BpskParams) -> None:
        self.differential = params.differential
        self.sign = -1.0 if params.modulation == "dbpsk_manchester" else 1.0
        self.coherent = params.detector == "coherent"
        self.prev = np.complex64(0)

    def process(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, np.complex64)
        if not self.differential:
            return u.real.astype(np.float32)
        if not len(u):
            return np.zeros(0, np.float32)
        prev = np.concatenate([[self.prev], u[:-1]])
        self.prev = u[-1]
        if self.coherent:
            a, b = u.real, prev.real
            soft = np.sign(a * b) * np.minimum(np.abs(a), np.abs(b))
        else:
            soft = np.real(u * np.conj(prev))
        return (self.sign * soft).astype(np.float32)


class Demodulator:
    """Carrier-centred complex samples -> soft bits with their side data.

    Decimates to 4..8 samples per channel symbol (when the input has more),
    synchronises, pairs Manchester chips and takes the soft decisions.
    :meth:`process` returns (soft, position in input samples, Costas
    frequency in Hz, bit value re, im) per bit.
    """

    def __init__(self, params: BpskParams, fs: float, offset_margin: float) -> None:
        rate = params.symbol_rate
        sps_in = fs / rate
        self.decim = max(1, int(sps_in // 4))
        self.fir: Decimator | None = None
        self.delay = 0.0
        if self.decim > 1:
            passband = 0.5 * params.occupied_bw + offset_margin
            taps = channel_filter(fs, self.decim, passband)
            self.fir = Decimator(taps, self.decim)
            self.delay = self.fir.delay
        self.sync = SymbolSync(
            sps_in / self.decim, rate, params.rrc_alpha, params.costas_bw, params.clock_limit
        )
        self.manchester = ManchesterSync() if params.manchester else None
        self.soft = SoftDecisions(params)

    def flush(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """End of stream: zeros through the filters, so the last symbols come out."""
        n = int((self.sync.half + 2 * self.sync.sps + 4) * self.decim + 2 * self.delay)
        return self.process(np.zeros(n, np.complex64))

    def to_input_index(self, pos: np.ndarray) -> np.ndarray:
        """Positions at the synchroniser's input -> indices of the samples fed here."""
        return np.asarray(pos, np.float64) * self.decim - self.delay

    def process(
        self, x: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        y = self.fir.process(x) if self.fir is not None else np.asarray(x, np.complex64)
        re, im, pos, hz = self.sync.process(y)
        u = (re + 1j * im).astype(np.complex64)
        if self.manchester is not None:
            u, pos, hz = self.manchester.process(u, pos, hz)
        soft = self.soft.process(u)
        return soft, self.to_input_index(pos), hz, u.real.copy(), u.imag.copy()
