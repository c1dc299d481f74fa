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
    v = np.asarray(values, np.float64)
    b = np.where(np.asarray(symbols) > 0, 1.0, -1.0)
    t = np.asarray(times, np.float64)
    n = len(v)
    if n < 32:
        return None
    vv, tt = v[2:-2], t[2:-2]
    t0 = float(tt.mean())
    a = np.empty((n - 4, 7))
    a[:, 0] = 1.0
    a[:, 1] = tt - t0
    for col, j in enumerate((0, -1, 1, -2, 2), start=2):
        a[:, col] = b[2 + j : n - 2 + j]
    # normal equations: 7 unknowns, well conditioned (time centred), and much cheaper
    # than an SVD for the per-frame budget
    coef, gram_inv = _solve(a, vv)
    resid = vv - a @ coef
    if robust:
        mad = float(np.median(np.abs(resid)))
        keep = np.abs(resid) <= 5 * 1.4826 * mad
        if mad > 0 and 32 <= keep.sum() < len(keep):
            a, vv = a[keep], vv[keep]
            coef, gram_inv = _solve(a, vv)
            resid = vv - a @ coef
    data = a[:, 2:] @ coef[2:]
    dof = max(1, len(vv) - a.shape[1])
    noise = float(resid @ resid / dof)
    drift_var = noise * float(gram_inv[1, 1]) if gram_inv is not None else float("inf")
    return LevelFit(
        dc=float(coef[0] - coef[1] * t0),
        drift=float(coef[1]),
        level=float(np.sum(coef[2:])),
        signal=float(np.mean(data * data)),
        noise=noise,
        drift_err=math.sqrt(drift_var),
    )


def _solve(a: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Least-squares coefficients and (A^T A)^-1 (None when singular, e.g. a data
    column that never changes; the coefficients then come from lstsq)."""
    gram = a.T @ a
    try:
        inv = np.linalg.inv(gram)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, v, rcond=None)[0], None
    # a near-singular system shows as an inverse that does not give back the identity
    if not np.all(np.isfinite(inv)) or not np.allclose(inv @ gram, np.eye(len(gram)), atol=1e-6):
        return np.linalg.lstsq(a, v, rcond=None)[0], None
    return inv @ (a.T @ v), inv


class SampleHistory:
    """Recent samples of a stream, addressed by absolute sample index.

    The owner appends every sample and says, with :meth:`forget_before`, how
    far back it may still ask; :meth:`get` returns the samples held with
    indices in ``[start, stop)``. What is held depends only on those calls,
    not on how the stream was cut into blocks.
    """

    def __init__(self, dtype: type = np.float32) -> None:
        self.buf: np.ndarray = np.zeros(0, dtype)
        self.base = 0  # absolute index of buf[0]

    @property
    def end(self) -> int:
        """Absolute index one past the newest sample."""
        return self.base + len(self.buf)

    def append(self, x: np.ndarray) -> None:
        self.buf = np.concatenate([self.buf, np.asarray(x, self.buf.dtype)])

    def forget_before(self, index: float) -> None:
        """Drop samples before absolute ``index`` (copies only when that frees half)."""
        cut = min(len(self.buf), int(math.floor(index)) - self.base)
        if cut > 0 and 2 * cut >= len(self.buf):
            self.buf = self.buf[cut:].copy()
            self.base += cut

    def get(self, start: float, stop: float) -> np.ndarray:
        a = max(0, int(math.floor(start)) - self.base)
        b = min(len(self.buf), int(math.ceil(stop)) - self.base)
        return self.buf[a:b] if b > a else self.buf[:0]
