"""What a LoRa frame reports about the signal: SNR, carrier drift with its uncertainty,
and what the Hamming decoder corrected.

SNR: signal power over the noise power in the LoRa bandwidth, from the dechirped
preamble up-chirps: each peak holds the signal (and one bin's noise), the bins a
quarter of the band or more away from it hold noise alone, except for what the
receiver's own channel filter puts there. That filter (half amplitude at the band
edges, where every chirp passes) spreads a fixed share of the chirp's power over
all bins, 20-35 dB below the peak depending on SF and timing; at high SNR it
would pass for noise. The share is measured on a clean chirp sent through the same
filter at the frame's own timing, and removed (at one sample per chip there is
no filter and nothing to remove).

Drift: every up-chirp of the preamble and every data symbol the tracker reads
reliably gives the carrier's position (in bins) at that symbol's centre; a
straight line through them (outliers from misread symbols rejected) gives the
drift, and the spread of the points around it its standard error. The drift
is reported with the half-width of its 95 % confidence interval (Student's t
on the fit's degrees of freedom), and not at all when there are too few points
for the spread to say anything (:data:`MIN_POINTS`).

Corrections: for each Hamming codeword, the bits where the hard decisions of
the soft bits disagree with the codeword the soft decoder chose. At CR 4/7 and
4/8 these are corrected errors; at CR 4/5 and 4/6 (detection codes) the soft
decoder still flips the least reliable bits of a codeword whose check fails.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from sdrlink.protocols.lora import codec

#: fewer points than this (preamble and data symbols together): no drift reported;
#: with 8 degrees of freedom left the t-quantile for 95 % is 2.3 and the spread's
#: own estimate is good to a quarter (every LoRa frame has 15 candidates at least)
MIN_POINTS = 10
CLIP = 4.0  # residuals beyond this many robust standard deviations are misread symbols
CONFIDENCE = 0.95


def drift_fit(
    t: np.ndarray, y: np.ndarray, group: np.ndarray | None = None
) -> tuple[float, float] | None:
    """(slope, 95 % half-width) of parallel straight lines through the points ``(t, y)``.

    ``group`` (ints) gives each point's measurement: every group has its own
    intercept, so a constant offset between, say, the preamble's chirps and the
    data symbols (which the channel filter distorts differently) tilts nothing.
    Points whose residual exceeds :data:`CLIP` robust standard deviations (from
    the median absolute deviation) are left out. None when fewer than
    :data:`MIN_POINTS` remain or the times do not spread within the groups.
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    g = np.zeros(len(t), np.int64) if group is None else np.asarray(group, dtype=np.int64)
    keep = np.isfinite(t) & np.isfinite(y)
    for _ in range(4):
        res = _parallel_lines(t[keep], y[keep], g[keep])
        if res is None:
            return None
        slope, resid, dof, sxx = res
        full = np.full(len(t), np.inf)
        full[keep] = resid
        mad = float(np.median(np.abs(resid - np.median(resid))))
        new = keep & (np.abs(full) <= CLIP * max(1.4826 * mad, 1e-9))
        if np.array_equal(new, keep):
            break
        keep = new
    res = _parallel_lines(t[keep], y[keep], g[keep])
    if res is None:
        return None
    slope, resid, dof, sxx = res
    se = math.sqrt(float(resid @ resid) / dof / sxx)
    return slope, float(stats.t.ppf(0.5 + CONFIDENCE / 2, dof)) * se


def _parallel_lines(
    t: np.ndarray, y: np.ndarray, g: np.ndarray
) -> tuple[float, np.ndarray, int, float] | None:
    """Least squares of y = a_group + slope * t: (slope, residuals, dof, Sxx)."""
    if len(t) < MIN_POINTS:
        return None
    dt = t.copy()
    dy = y.copy()
    groups = np.unique(g)
    for k in groups:
        sel = g == k
        dt[sel] -= t[sel].mean()
        dy[sel] -= y[sel].mean()
    sxx = float(dt @ dt)
    dof = len(t) - 1 - len(groups)
    if sxx <= 0 or dof < 1:
        return None
    slope = float(dt @ dy) / sxx
    return slope, dy - slope * dt, dof, sxx


def preamble_snr(
    up: np.ndarray, pad: int, leak: float = 0.0, gain: float = 1.0, noise_gain: float = 1.0
) -> float:
    """Linear SNR from dechirped preamble up-chirps ``up`` (rows zero-padded ``pad``
    times). ``leak``: power per far bin over peak power of a clean chirp through the
    same filter; ``gain``: that clean chirp's peak power over N**2 (1 unfiltered);
    ``noise_gain``: the filter's noise power out over the noise power in the band."""
    n = up.shape[1] // pad
    pk = (np.abs(up) ** 2).max(axis=1)
    noise = far_noise(up, pad)
    sig = np.maximum(pk - noise, 0.0) / (1.0 - leak)
    noise = np.maximum(noise - leak * sig, 1e-3 * noise)
    in_band = n * float(np.mean(noise)) / noise_gain
    return float(np.mean(sig) / gain / max(in_band, 1e-30))


def clean_preamble(rs: Any, p0: float, rows: int, sf: int) -> np.ndarray:
    """``rows`` up-chirps of value 0 as the channel filter ``rs`` gives them when the
    first starts at raw input position ``p0`` (the frame's own timing), unit power."""
    from sdrlink.protocols.lora.channel import SampleBuffer

    n = 1 << sf
    a, b = rs.span(p0, 0, rows * n)
    a, b = a - 4, b + 4
    t = (np.arange(a, b, dtype=np.float64) - p0) / rs.ratio  # chips
    tau = t % n
    buf = SampleBuffer()
    buf.start = a
    buf.append(np.exp(2j * np.pi * (tau * tau / (2 * n) - tau / 2)).astype(np.complex64))
    return rs.chips(buf, p0, 0, rows * n, 0.0).reshape(rows, n)


def noise_gain(rs: Any) -> float:
    """White noise power a channel filter passes, over the power in its band."""
    return float((rs.bank.astype(np.float64) ** 2).sum(axis=1).mean() * rs.ratio)


def filter_leak(clean_up: np.ndarray, pad: int) -> tuple[float, float]:
    """(leak, gain) for :func:`preamble_snr` from a clean preamble's padded spectra."""
    pk = (np.abs(clean_up) ** 2).max(axis=1)
    n = clean_up.shape[1] // pad
    return float(np.mean(far_noise(clean_up, pad) / pk)), float(np.mean(pk)) / n**2


def far_noise(up: np.ndarray, pad: int) -> np.ndarray:
    """Per row of padded spectra ``up``: the mean power of the whole bins a quarter band
    or more from the peak, less what the peak's own sidelobes put there (a tone between
    bins leaks pk * D(d)**2 into a bin d away, D the Dirichlet kernel; at SF12 and
    30 dB that is as much as the noise)."""
    from sdrlink.protocols.lora.demod import frac_peak

    m = up.shape[1]
    n = m // pad
    power = np.abs(up) ** 2
    whole = power[:, ::pad]
    k = np.arange(n)
    out = np.empty(len(up))
    for i, row in enumerate(power):
        kp = int(np.argmax(row))
        pos = frac_peak(np.sqrt(row), kp) / pad
        d = (k - pos + n / 2) % n - n / 2
        far = np.abs(d) >= n / 4
        x = np.pi * d[far]
        dirichlet = np.sin(x) / (n * np.sin(x / n))
        out[i] = float(whole[i, far].mean() - row[kp] * np.mean(dirichlet**2))
    return np.maximum(out, 1e-30)


def jacobsen(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Fractional position (-0.5..0.5) of tones peaking at complex FFT bins ``b``, with
    ``a`` and ``c`` the bins below and above (Jacobsen's estimator: nearly unbiased
    for an unwindowed tone, where a parabola through the magnitudes is not)."""
    den = 2 * b - a - c
    ok = np.abs(den) > 0
    ratio = np.where(ok, (a - c) / np.where(ok, den, 1.0), 0.0)
    return np.clip(np.real(ratio), -0.5, 0.5)


def peak_positions(up: np.ndarray) -> np.ndarray:
    """Where each dechirped up-chirp spectrum (complex rows of ``up``, not padded)
    peaks, in bins within [-N/2, N/2), near the rows' common peak."""
    n = up.shape[1]
    power = np.abs(up) ** 2
    ku = int(np.argmax(power.sum(axis=0)))
    span = 2
    idx = (ku + np.arange(-span, span + 1)) % n
    j = np.clip(np.argmax(power[:, idx], axis=1), 1, 2 * span - 1)
    k = idx[j]
    rows = np.arange(len(up))
    pos = k + jacobsen(up[rows, (k - 1) % n], up[rows, k], up[rows, (k + 1) % n])
    return (pos + n / 2) % n - n / 2


def timing_slope(t: np.ndarray, tau: np.ndarray) -> float:
    """|slope| (chips per symbol) of the timing the tracker used, 0 without two points."""
    if len(t) < 2 or np.ptp(t) == 0:
        return 0.0
    dt = t - t.mean()
    return abs(float(dt @ (tau - tau.mean())) / float(dt @ dt))


def corrected_bits(llr: np.ndarray, nibbles: np.ndarray, cr: int) -> int:
    """Codeword bits the soft decoder changed: hard decisions of ``llr`` (shape
    (codewords, 4 + cr), > 0 favours 0) against the codewords of ``nibbles``."""
    if len(nibbles) == 0:
        return 0
    book = codec.codebook(cr)[np.asarray(nibbles, dtype=np.int64)]
    hard = (np.asarray(llr) < 0).astype(np.int8)
    return int(np.count_nonzero(hard != book))
