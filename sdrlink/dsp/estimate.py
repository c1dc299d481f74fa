"""Per-frame estimators shared by the modems: SNR, carrier offset and drift.

The quantities a :class:`~sdrlink.frame.Frame` reports are defined once (see
its docstring); these are the measurements behind them, usable by any
demodulator:

* :func:`moments_snr`: the blind second/fourth-moment (M2M4) estimate of
  signal and noise power in complex samples, for signals of known envelope
  kurtosis (1 for constant-envelope FSK/GMSK/AFSK on their carrier) in
  circular white Gaussian noise. It needs no timing, carrier or data, so it
  measures the RF channel as the noise model defines it.
* :func:`noise_bandwidth`: the equivalent noise bandwidth of a filter, to
  turn a noise power measured behind it into the noise in another bandwidth.
* :func:`fit_levels`: a least-squares fit of per-symbol values (e.g. an FM
  discriminator's output at the symbol instants) to the decided symbols with
  a DC term, a linear drift and the intersymbol interference of two
  neighbours either side: the DC and drift are then free of the data
  pattern (an unbalanced preamble does not pull them), and the residual is
  the noise.
* :class:`SampleHistory`: recent samples of a stream by absolute index, for
  measurements over a frame's span once the frame has been found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sdrlink._ext import estimate_dsp


def db(ratio: float) -> float:
    """10*log10(ratio); -inf for 0, NaN for negative or NaN ratios."""
    if not ratio >= 0:
        return float("nan")
    return 10 * math.log10(ratio) if ratio > 0 else float("-inf")


def moments_snr(m2: float, m4: float, kurtosis: float = 1.0) -> float:
    """Linear S/N from the moments ``m2 = E|r|^2`` and ``m4 = E|r|^4`` of complex samples.

    For r = s + n with n circular white Gaussian noise independent of s,
    ``m2 = S + N`` and ``m4 = k S^2 + 4 S N + 2 N^2`` where ``k = E|s|^4 / S^2``
    is the signal's envelope kurtosis (1 for a constant envelope; a filter
    that cuts part of the spectrum raises it slightly). Returns S/N in the
    bandwidth the samples were filtered to; 0 when no signal shows, NaN when
    the moments are unusable.
    """
    if not (m2 > 0 and m4 > 0) or not kurtosis < 2:
        return float("nan")
    s2 = (2 * m2 * m2 - m4) / (2 - kurtosis)
    if s2 <= 0:
        return 0.0
    s = math.sqrt(s2)
    n = m2 - s
    return s / n if n > 0 else float("inf")


def envelope_kurtosis(z: np.ndarray) -> float:
    """E|z|^4 / (E|z|^2)^2 of complex samples (1 for a constant envelope)."""
    p = np.abs(np.asarray(z, np.complex128)) ** 2
    m2 = float(p.mean())
    return float((p * p).mean()) / (m2 * m2) if m2 > 0 else float("nan")


def noise_bandwidth(taps: np.ndarray, sample_rate: float) -> float:
    """Equivalent noise bandwidth (Hz) of an FIR filter, normalised to its DC gain.

    White noise of density N0 over the sample rate leaves the filter with
    power N0 * this bandwidth (times the DC gain squared), whatever the
    decimation that follows it.
    """
    h = np.asarray(taps, np.float64)
    return float(sample_rate * np.sum(h * h) / np.sum(h) ** 2)


def ebn0_db(snr_db: float, bandwidth: float, bit_rate: float) -> float:
    """Eb/N0 (dB) of a signal with ``snr_db`` in ``bandwidth`` Hz carrying ``bit_rate`` bit/s."""
    return snr_db + 10 * math.log10(bandwidth / bit_rate)


@dataclass(frozen=True)
class LevelFit:
    """Result of :func:`fit_levels` (units of the fitted values, times in seconds).

    ``dc`` is the level at time 0 without data, ``drift`` its change per
    second, ``level`` the value a long run of 1-symbols reaches above the DC
    (the sum of the symbol's and its neighbours' coefficients), ``signal``
    the mean square of the fitted data part, ``noise`` the residual variance
    and ``drift_err`` the standard error of ``drift`` that the residual implies.
    """

    dc: float
    drift: float
    level: float
    signal: float
    noise: float
    drift_err: float = float("nan")

    @property
    def snr(self) -> float:
        """Fitted data power over residual noise power (linear)."""
        return self.signal / self.noise if self.noise > 0 else float("inf")


def fit_levels(
    values: np.ndarray, symbols: np.ndarray, times: np.ndarray, robust: bool = False
) -> LevelFit | None:
    """Least-squares fit ``v[k] = dc + drift*t[k] + sum_j c[j]*b[k+j]`` for j = -2..2.

    ``symbols`` b are the decided symbols (+-1, or anything whose sign is the
    decision), ``times`` the symbol instants. Each neighbour has its own
    coefficient, so intersymbol interference from Gaussian pulse shaping or
    from symbol instants a little off the symbols' centres is modelled (left
    unmodelled, it would leak into the DC and drift where the data is
    unbalanced, as in an HDLC frame's flags and headers). The two symbols at
    either end serve only as neighbours. ``robust`` fits again without the
    values more than five robust standard deviations (from the median
    absolute residual) off the first fit: impulsive noise such as FM clicks
    then does not pull the result. Returns None with fewer than 32 symbols.
    """
    v = np.ascontiguousarray(values, np.float64)
    b = np.where(np.asarray(symbols) > 0, 1.0, -1.0)
    t = np.ascontiguousarray(times, np.float64)
    n = len(v)
    if n < 32:
        return None
    rows = n - 4
    tt = t[2:-2]
    t0 = float(tt.sum()) / rows
    ts = float(np.sqrt(((tt - t0) ** 2).sum() / rows)) or 1.0  # time in its own spread
    gram, atv = np.empty((7, 7)), np.empty(7)
    resid, data = np.empty(rows), np.empty(rows)
    no_mask = np.zeros(0, np.uint8)
    estimate_dsp.level_normal(v, b, t, t0, ts, no_mask, gram, atv)
    coef, gram_inv = _solve(gram, atv)
    estimate_dsp.level_residuals(v, b, t, t0, ts, coef, resid, data)
    kept = rows
    keep = None
    if robust:
        mad = float(np.median(np.abs(resid)))
        keep = np.abs(resid) <= 5 * 1.4826 * mad
        kept = int(keep.sum())
        if mad > 0 and 32 <= kept < rows:
            estimate_dsp.level_normal(v, b, t, t0, ts, keep.view(np.uint8), gram, atv)
            coef, gram_inv = _solve(gram, atv)
            estimate_dsp.level_residuals(v, b, t, t0, ts, coef, resid, data)
            resid, data = resid[keep], data[keep]
        else:
            kept = rows
    noise = float(resid @ resid) / max(1, kept - 7)
    drift_var = noise * float(gram_inv[1, 1]) if gram_inv is not None else float("inf")
    drift = float(coef[1]) / ts
    return LevelFit(
        dc=float(coef[0]) - drift * t0,
        drift=drift,
        level=float(coef[2:].sum()),
        signal=float(data @ data) / len(data),
        noise=noise,
        drift_err=math.sqrt(drift_var) / ts,
    )


def _solve(gram: np.ndarray, atv: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The normal equations' solution and the inverse Gram matrix (Cholesky, in
    Cython); when the system is singular to working precision (e.g. a data column
    that never changes), the minimum-norm solution and None."""
    coef, inv = np.empty(len(atv)), np.empty_like(gram)
    if estimate_dsp.spd_solve(gram, atv, coef, inv):
        return coef, inv
    return np.linalg.lstsq(gram, atv, rcond=None)[0], None


class SampleHistory:
    """Recent samples of a stream, addressed by absolute sample index.

    The owner appends every sample and says, with :meth:`forget_before`, how
    far back it may still ask; :meth:`get` returns the samples held with
    indices in ``[start, stop)``. What is held depends only on those calls,
    not on how the stream was cut into blocks. Blocks are kept as appended
    (no copy) and dropped whole once they lie entirely before the limit.
    """

    def __init__(self, dtype: type = np.float32) -> None:
        self.dtype = np.dtype(dtype)
        self.chunks: list[np.ndarray] = []
        self.starts: list[int] = []  # absolute index of each chunk's first sample
        self.base = 0  # absolute index of the oldest sample held
        self.end = 0  # absolute index one past the newest sample

    def append(self, x: np.ndarray) -> None:
        x = np.asarray(x, self.dtype)
        if len(x):
            self.chunks.append(x)
            self.starts.append(self.end)
            self.end += len(x)

    def forget_before(self, index: float) -> None:
        """Drop the blocks that end before absolute ``index``."""
        limit = int(math.floor(index))
        while len(self.chunks) > 1 and self.starts[1] <= limit:
            self.chunks.pop(0)
            self.starts.pop(0)
        self.base = self.starts[0] if self.chunks else self.end

    def get(self, start: float, stop: float) -> np.ndarray:
        a = max(self.base, int(math.floor(start)))
        b = min(self.end, int(math.ceil(stop)))
        if b <= a:
            return np.zeros(0, self.dtype)
        parts = []
        for s0, c in zip(self.starts, self.chunks, strict=True):
            lo, hi = max(a, s0), min(b, s0 + len(c))
            if lo < hi:
                parts.append(c[lo - s0 : hi - s0])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
