"""The BPSK receiver: carrier search -> demodulator -> deframer, streaming.

IQ input is searched for the carrier within +-``carrier_search`` Hz of the
tuned frequency; real input is SSB audio whose carrier is searched anywhere
in the audio band (or given as ``audio_carrier``). Either way the carrier is
mixed to 0 Hz (image-free: the matched filter keeps only the band around
0 Hz, and an audio signal's mirror lies at minus twice the carrier), then
matched-filtered, timed, phase-locked and handed to the framing's deframer as
soft bits.

Reported per frame: ``sample_index`` of the first symbol of the frame's sync
marker (or opening flag), ``freq_offset_hz`` the carrier there, relative to the
tuned frequency (IQ) or as its frequency in the audio (SSB audio; also in
``fields["audio_carrier_hz"]``), ``fields["drift_hz_s"]`` its drift over the
frame (both from a line through block means of the carrier the loops followed;
blocks far off the line, and the part after the mixer's glide changed abruptly
near the burst's end, left out), with ``fields["drift_uncertainty_hz_s"]``, the
half-width of its 95 % interval (at least 3 % of the drift: what the loops' settling
leaves; the drift is None when the half-width exceeds 100 Hz/s), and
``snr_db``: signal power over noise power in a bandwidth equal to the bit
rate, i.e. Eb/N0 per channel bit
(``fields["ebn0_db"]``, the same number), estimated from the frame's symbols
(:func:`es_n0_db`; for Manchester from the chip pairs, i.e. per bit).
Interference between symbols (a transmitter whose pulse is not the RRC the
matched filter assumes) counts as signal there.
"""

from __future__ import annotations

import math

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.dsp.linefit import block_means, slope_fit
from sdrlink.errors import InputError
from sdrlink.frame import Frame
from sdrlink.framing import get_framing
from sdrlink.framing.base import RawFrame
from sdrlink.framing.stream import FrameMerger, SymbolWindow
from sdrlink.protocols.base import Receiver
from sdrlink.protocols.bpsk.acquire import CarrierTracker
from sdrlink.protocols.bpsk.demodulator import Demodulator
from sdrlink.protocols.bpsk.params import BpskParams

SIDE = ("pos", "hz", "re", "im")


#: the drift's uncertainty from this many block means of the carrier track
DRIFT_BLOCKS = 12
#: reported drifts: 95 % half-width at most this (Hz/s), as for every modem
MAX_DRIFT_UNCERTAINTY = 100.0
MIN_DRIFT_UNCERTAINTY = 0.5
DRIFT_SETTLING = 0.03
GLIDE_JUMP, GLIDE_JUMP_MIN = 0.4, 50.0  # a change of the mixer's glide (relative, Hz/s)


def es_n0_db(re: np.ndarray, im: np.ndarray, chunk: int = 16) -> float:
    """Es/N0 (dB) of BPSK symbols: in-phase power minus quadrature power, over twice the
    quadrature power (the noise falls equally on both, the signal on the in-phase part).

    The symbols are first turned by the phase of their squares, measured ``chunk``
    at a time and interpolated between the chunks' centres, so that a residual
    phase error of the carrier loop does not count as noise: neither a slow one
    nor the phase the loop lets slip behind a fast drift where it settles, at a
    burst's start and where the mixer's glide changes near its end (with 64-symbol
    chunks a 30 dB frame at 1200 Bd and 300 Hz/s read 3.6 dB low on average, with
    one phase per frame 13 dB). Fitting those phases takes some of the quadrature
    noise with it, about one value per chunk: the quadrature power is the residual
    over the degrees of freedom left (:func:`_phase_fit_dof`), so that the estimate
    does not read high by ``1 / chunk``.
    """
    z = np.asarray(re, np.float64) + 1j * np.asarray(im, np.float64)
    n = max(1, len(z) // chunk)
    if n == 1:
        z = z * np.exp(-0.5j * np.angle(np.sum(z * z)))
        used = 1.0
    else:
        # chunks as np.array_split makes them: the first len % n one longer
        sizes = np.full(n, len(z) // n)
        sizes[: len(z) % n] += 1
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        centres = starts + (sizes - 1) / 2
        twice = np.unwrap(np.angle(np.add.reduceat(z * z, starts)))
        z = z * np.exp(-0.5j * np.interp(np.arange(len(z)), centres, twice))
        used = _phase_fit_dof(sizes, centres)
    i = float(np.mean(z.real**2))
    q = float(np.sum(z.imag**2)) / max(len(z) - used, 1.0)
    if i <= q:
        return -math.inf
    return 10 * math.log10((i - q) / (2 * q)) if q > 0 else math.inf


def _phase_fit_dof(sizes: np.ndarray, centres: np.ndarray) -> float:
    """How many of the quadrature noise values the chunk phases of :func:`es_n0_db`
    absorb: ``2 tr(H) - tr(H'H)`` of the linear map H from the quadrature noise to
    its fitted part (each chunk's phase is the mean of its symbols' quadrature over
    their amplitude, spread by linear interpolation between chunk centres; the
    ends hold their chunk's value). 1 per chunk without the interpolation."""
    k = np.arange(int(sizes.sum()), dtype=np.float64)
    own = np.repeat(np.arange(len(sizes)), sizes)
    lo = np.clip(np.searchsorted(centres, k, side="right") - 1, 0, len(centres) - 2)
    w = np.clip((k - centres[lo]) / (centres[lo + 1] - centres[lo]), 0.0, 1.0)
    w_lo, w_hi = 1.0 - w, w  # weights on chunks lo and lo + 1
    m_lo, m_hi = sizes[lo].astype(np.float64), sizes[lo + 1].astype(np.float64)
    w_own = np.where(own == lo, w_lo, 0.0) + np.where(own == lo + 1, w_hi, 0.0)
    trace = float(np.sum(w_own / sizes[own]))
    square = float(np.sum(w_lo**2 / m_lo + w_hi**2 / m_hi))
    return 2.0 * trace - square


def line_fit(t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares line ``y = slope * t + value``: (slope, value). Exact sums
    (math.fsum), so that the result does not depend on how the arrays lie in memory."""
    tl, yl = [float(v) for v in t], [float(v) for v in y]
    n = len(tl)
    if n < 2:
        return 0.0, (yl[0] if yl else 0.0)
    tm, ym = math.fsum(tl) / n, math.fsum(yl) / n
    stt = math.fsum((a - tm) ** 2 for a in tl)
    sty = math.fsum((a - tm) * (b - ym) for a, b in zip(tl, yl, strict=True))
    slope = sty / stt if stt > 0 else 0.0
    return slope, ym - slope * tm


def default_audio_carrier(params: BpskParams) -> float:
    """Where an SSB receiver usually puts the carrier (gr-satellites' defaults)."""
    return 1500.0 if params.baud <= 2400 else 12000.0


class BpskReceiver(Receiver):
    """Decodes frames of any registered framing from BPSK/DBPSK IQ or SSB audio."""

    def __init__(self, params: BpskParams, info: StreamInfo) -> None:
        fs = float(info.sample_rate)
        if not fs > 0 or not math.isfinite(fs):
            raise InputError("BPSK receiver needs a positive sample rate")
        rate = params.symbol_rate
        bw = params.occupied_bw
        self.params = params
        self.info = info
        self.audio = not info.is_complex
        if self.audio:
            if fs < 2.0 * bw + 0.5 * rate:
                raise InputError(
                    f"sample rate {fs:g} Hz too low for {params.baud:g} Bd BPSK in audio "
                    f"(the signal is {bw:g} Hz wide: need >= {2.0 * bw + 0.5 * rate:g} Hz)"
                )
            band = (0.5 * bw, fs / 2 - 0.5 * bw)
            carrier = params.audio_carrier
            if carrier is not None and not band[0] <= carrier <= band[1]:
                raise InputError(
                    f"audio carrier {carrier:g} Hz: the {bw:g} Hz wide signal does not fit in "
                    f"the audio band (carrier within {band[0]:g}..{band[1]:g} Hz)"
                )
            initial = min(max(default_audio_carrier(params), band[0]), band[1])
            self.tracker = CarrierTracker(
                fs, rate, bw, False, band=band, fixed=carrier, initial=initial
            )
        else:
            if fs < 2.0 * rate:
                raise InputError(
                    f"sample rate {fs:g} Hz too low for {params.baud:g} Bd "
                    f"{params.modulation} (need >= {2.0 * rate:g} Hz)"
                )
            search = min(params.carrier_search, max(0.0, fs / 2 - bw / 2))
            self.tracker = CarrierTracker(
                fs, rate, bw, True, search_hz=search, fixed=None if search > 0 else 0.0
            )
        self.demod = Demodulator(params, fs, offset_margin=max(0.1 * rate, 100.0))
        framing = get_framing(params.framing)
        deframer = framing.make_deframer(dict(params.framing_options), params.invert)
        self.win = SymbolWindow(deframer, side=SIDE)
        self.in_per_bit = fs / params.baud
        self.merger = FrameMerger(4 * max(deframer.window, 1) * self.in_per_bit)
        # (samples consumed, absolute index of that sample) at every discontinuity
        self.consumed = 0
        self.breaks: list[tuple[int, int]] = []

    def process(self, block: SampleBlock) -> list[Frame]:
        x = np.asarray(block.samples)
        if x.ndim != 1:
            raise InputError("BPSK receiver expects one-dimensional sample blocks")
        if np.iscomplexobj(x) != self.info.is_complex:
            kind = "complex IQ" if self.info.is_complex else "real audio"
            raise InputError(f"BPSK receiver was set up for {kind} but got {x.dtype} samples")
        if not np.issubdtype(x.dtype, np.number):
            raise InputError(f"BPSK receiver expects numeric samples, got {x.dtype}")
        x = x.astype(np.complex64 if self.info.is_complex else np.float32, copy=False)
        flat = x.view(np.float32)
        if not math.isfinite(float(np.dot(flat, flat))):  # (quick: any NaN/inf shows here)
            # one bad sample must not poison the loops; huge values are clipped too
            x = np.where(np.isfinite(x), x, 0).astype(x.dtype)
            x = np.clip(x.view(np.float32), -1e15, 1e15).view(x.dtype)
        if not self.breaks or block.start != self._absolute(self.consumed):
            self.breaks.append((self.consumed, int(block.start)))
        self.consumed += len(x)
        return self._run(self.tracker.process(x), final=False)

    def flush(self) -> list[Frame]:
        out = self._run(self.tracker.flush(), final=False)
        return out + self._run(None, final=True)

    def _run(self, y: np.ndarray | None, final: bool) -> list[Frame]:
        soft, pos, hz, re, im = self.demod.process(y) if y is not None else self.demod.flush()
        raws = self.win.feed(soft, final, pos=pos, hz=hz, re=re, im=im)
        out: list[Frame] = []
        for r in raws:
            first = float(self.win.segment("pos", r)[0])
            start = max(0, self._absolute(first))
            stop = self._absolute(float(self.win.segment("pos", r)[-1]))
            if self.merger.accept(start, stop, r.payload):
                out.append(self._frame(r, start, first))
        self.win.trim()
        if len(self.breaks) > 64:
            self.breaks = self.breaks[-64:]
        self.merger.forget_old()
        return out

    def _absolute(self, consumed_index: float) -> int:
        """Absolute sample index of the ``consumed_index``-th sample fed to the receiver."""
        idx = int(round(consumed_index))
        for at, start in reversed(self.breaks):
            if idx >= at:
                return start + idx - at
        return self.breaks[0][1] + idx - self.breaks[0][0] if self.breaks else idx

    def _held_from(self, a: float, b: float) -> float:
        """Where, within fed samples ``a..b``, the mixer's glide changed abruptly: its
        estimate looks a segment ahead, so near a burst's end it sees less of the
        carrier and slows or stops the glide before the burst is over, and the Costas
        loop then lags behind the drift for the rest of the frame. inf if nowhere."""
        hist = self.tracker.history
        for (_, _, prev), (at, _, rate) in zip(hist[:-1], hist[1:], strict=True):
            jump = abs(rate - prev)
            if a < at <= b and jump > GLIDE_JUMP * abs(prev) and jump > GLIDE_JUMP_MIN:
                return float(at)
        return math.inf

    def _frame(self, r: RawFrame, start: int, first: float) -> Frame:
        snr = es_n0_db(self.win.segment("re", r), self.win.segment("im", r))
        # the carrier at every symbol (mixer + Costas loop), a line through them: its value
        # at the frame's start and its drift
        pos = self.win.segment("pos", r)
        track = self.tracker.freq_at(pos) + self.win.segment("hz", r)
        t = (pos - first) / self.info.sample_rate
        drift, carrier = line_fit(t, track)
        # the loops' carrier is correlated from symbol to symbol: the line goes through
        # block means (each longer than the loops' memory), which also gives the scatter
        # for its uncertainty; blocks far off the line are left out (the mixer retunes
        # when it no longer sees the carrier, up to two segments before the burst's
        # end, and the Costas loop takes a while to follow)
        held = self._held_from(float(pos[0]), float(pos[-1]))
        use = pos < held if np.count_nonzero(pos < held) >= len(pos) // 2 else slice(None)
        blocks = block_means(t[use], track[use], DRIFT_BLOCKS)
        fit = slope_fit(*blocks, min_points=6) if len(t) >= DRIFT_BLOCKS else None
        unc = None
        if fit is not None:
            # the loops still settle on the first burst after a while without signal,
            # which leaves up to about 2 % of the drift (measured): 3 %, a floor for the width
            floor = max(MIN_DRIFT_UNCERTAINTY, DRIFT_SETTLING * abs(fit[0]))
            drift, unc, carrier = fit[0], max(fit[1], floor), fit[2]
        fields: dict = {
            "framing": self.params.framing,
            "baud": self.params.baud,
            "modulation": self.params.modulation,
            "ebn0_db": snr,
            "drift_hz_s": float(drift)
            if unc is not None and unc <= MAX_DRIFT_UNCERTAINTY
            else None,
            "drift_uncertainty_hz_s": unc,
        }
        if self.audio:
            fields["audio_carrier_hz"] = float(carrier)
        fields.update(r.fields)
        return Frame(
            protocol="bpsk",
            sample_index=start,
            payload=r.payload,
            crc_ok=r.crc_ok,
            freq_offset_hz=float(carrier),
            snr_db=snr,
            time=self.info.time_of(start),
            center_freq_hz=self.info.center_freq,
            fields=fields,
        )
