"""GMSK demodulation of single hops from a channel of the filter bank.

A hop is seen through one filter-bank channel: samples ``col`` at times
``t0 + n / rate`` (seconds of stream time), still offset by the hop's
frequency ``f`` from the channel centre. With modulation index 1/2 the GMSK
phase after bit ``b`` is a multiple of pi/2 (Laurent's first pulse ``C0``
carries almost all of the signal): the matched filter sampled at those
lattice points gives ``y_b``, and ``r_b = y_b * j**-b`` is ``+-g`` (one
complex gain per hop) with ``r_b = r_{b-1}`` for a 1 bit and ``-r_{b-1}`` for
a 0 bit. Bits are therefore differential in ``r`` and need no absolute
phase. Carrier phase, residual frequency and drift of each hop are estimated
from ``r_b**2`` (the data drop out of the square), then refined with
decisions. The soft values handed on are the LLRs of the signs of ``r_b``;
:mod:`.fec` turns them into bits (iteratively, together with the code).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft

from sdrlink.protocols.lrfhss import coding
from sdrlink.protocols.lrfhss.hopping import BIT_RATE
from sdrlink.protocols.lrfhss.modulator import DELAY_BITS, _phase_step, gmsk_phase

T_BIT = 1.0 / BIT_RATE
_C0_RES = 256  # table points per bit
C0_HALF = 2.0  # C0 spans +-2 bits around its lattice point


@lru_cache(maxsize=1)
def _c0_table() -> tuple[np.ndarray, float]:
    """Laurent's C0 pulse of this GMSK, centred on its lattice point, and its energy (bits)."""
    big_l = 3  # the phase pulse lasts about 3 bits (centred at 1.5)
    t = np.arange(-C0_HALF * _C0_RES, C0_HALF * _C0_RES + 1) / _C0_RES + 2.0  # 0..4
    prod = np.ones_like(t)
    for i in range(big_l):
        u = t + i
        psi = np.where(
            u < big_l,
            (np.pi / 2) * _phase_step(u - big_l / 2),
            np.pi / 2 - (np.pi / 2) * _phase_step(u - big_l - big_l / 2),
        )
        psi = np.where((u < 0) | (u > 2 * big_l), 0.0, psi)
        prod *= np.sin(psi)
    energy = float(np.sum(prod**2) / _C0_RES)
    return prod, energy


def c0(tau_bits: np.ndarray) -> np.ndarray:
    """C0 at offsets ``tau_bits`` (bits) from its lattice point (0 outside +-2 bits)."""
    table, _ = _c0_table()
    idx = np.rint((np.asarray(tau_bits) + C0_HALF) * _C0_RES).astype(np.int64)
    ok = (idx >= 0) & (idx < len(table))
    return np.where(ok, table[np.clip(idx, 0, len(table) - 1)], 0.0)


@dataclass
class Column:
    """Samples of one filter-bank channel: ``data[n]`` at ``t0 + n / rate``, centre ``freq``."""

    data: np.ndarray
    t0: float
    rate: float
    freq: float


def lattice(
    col: Column, times: np.ndarray, f: float, alpha: float = 0.0, t_ref: float = 0.0
) -> np.ndarray:
    """Matched-filter outputs at stream ``times`` for a hop at ``f`` Hz (absolute).

    The hop's carrier ``f + alpha * (t - t_ref)`` is removed first (its phase
    is referred to ``t_ref``). Normalised so that a unit-amplitude hop gives
    ``|y| ~ 1``.
    """
    times = np.asarray(times, dtype=np.float64)
    n_half = int(np.ceil(C0_HALF * T_BIT * col.rate)) + 1
    n0 = np.floor((times - col.t0) * col.rate).astype(np.int64) - n_half + 1
    idx = n0[:, None] + np.arange(2 * n_half)[None, :]
    ok = (idx >= 0) & (idx < len(col.data))
    x = col.data[np.clip(idx, 0, len(col.data) - 1)] * ok
    tn = col.t0 + idx / col.rate
    dt = tn - t_ref
    ph = 2 * np.pi * ((f - col.freq) * dt + 0.5 * alpha * dt * dt)
    w = c0((tn - times[:, None]) * BIT_RATE)
    _, energy = _c0_table()
    y = np.sum(x * np.exp(-1j * ph) * w, axis=1) / (col.rate * energy * T_BIT)
    return y.astype(np.complex128)


# ---------------------------------------------------------------------------- sync search

_SYNC_A = coding.SYNC_START + 1.5  # window of the known sync phase, in bits from block start
_SYNC_B = coding.SYNC_START + coding.SYNC_BITS - 0.5
_REF_RES = 64


@lru_cache(maxsize=4)
def _sync_ref(sync_word: bytes) -> np.ndarray:
    """Phase of a header block's sync part on a fine grid (bits from the block start)."""
    bits = np.zeros(coding.HEADER_BITS, dtype=np.uint8)
    bits[coding.SYNC_START : coding.SYNC_START + coding.SYNC_BITS] = coding.bytes_to_bits(sync_word)
    t = _SYNC_A + np.arange(int((_SYNC_B - _SYNC_A) * _REF_RES) + 1) / _REF_RES
    return gmsk_phase(bits, t)


@dataclass
class SyncHit:
    """A sync word found in a channel: the header block's start time and its carrier."""

    block_start: float  # stream time (s) of the header block's first bit
    freq: float  # absolute carrier (Hz, relative to the capture centre)
    rho: float  # normalised correlation 0..1
    phase: float


def find_sync(
    col: Column,
    t_lo: float,
    t_hi: float,
    sync_word: bytes,
    max_hits: int = 2,
    f_lo: float = -np.inf,
    f_hi: float = np.inf,
) -> list[SyncHit]:
    """Header blocks starting in [t_lo, t_hi] with a carrier in [f_lo, f_hi] (absolute Hz).

    Coherent correlation with the sync word's GMSK phase over quarter-bit
    steps of the block start; the carrier comes from one FFT per step.
    Returns up to ``max_hits`` separate peaks, best first.
    """
    ref = _sync_ref(sync_word)
    k = int((_SYNC_B - _SYNC_A) * T_BIT * col.rate)
    taus = np.arange(t_lo, t_hi, T_BIT / 4)
    if len(taus) == 0:
        return []
    n0 = np.ceil((taus + _SYNC_A * T_BIT - col.t0) * col.rate).astype(np.int64)
    if n0[0] < 0 or n0[-1] + k > len(col.data):
        keep = (n0 >= 0) & (n0 + k <= len(col.data))
        taus, n0 = taus[keep], n0[keep]
        if len(taus) == 0:
            return []
    idx = n0[:, None] + np.arange(k)[None, :]
    x = col.data[idx]
    tb = (col.t0 + idx / col.rate - taus[:, None]) * BIT_RATE  # bits from block start
    ri = np.rint((tb - _SYNC_A) * _REF_RES).astype(np.int64)
    v = x * np.exp(-1j * ref[np.clip(ri, 0, len(ref) - 1)]).astype(np.complex64)
    n_fft = 512
    spec = scipy.fft.fft(v, n=n_fft, axis=1, workers=1)
    power = np.abs(spec) ** 2
    energy = np.sum(np.abs(x) ** 2, axis=1) * k
    rho = power / np.maximum(energy, 1e-30)[:, None]
    fb_all = col.freq + ((np.arange(n_fft) + n_fft / 2) % n_fft - n_fft / 2) * col.rate / n_fft
    rho[:, (fb_all < f_lo) | (fb_all > f_hi)] = 0
    hits: list[SyncHit] = []
    work = rho.copy()
    for _ in range(max_hits):
        i, j = np.unravel_index(int(np.argmax(work)), work.shape)
        best = float(work[i, j])
        if best <= 0:
            break
        # parabolic refinement in time (same bin) and frequency (same step)
        di = _parabola(rho[max(i - 1, 0), j], rho[i, j], rho[min(i + 1, len(taus) - 1), j])
        dj = _parabola(rho[i, (j - 1) % n_fft], rho[i, j], rho[i, (j + 1) % n_fft])
        fb = ((j + dj + n_fft / 2) % n_fft - n_fft / 2) * col.rate / n_fft
        hits.append(
            SyncHit(
                block_start=float(taus[i] + di * T_BIT / 4),
                freq=col.freq + fb,
                rho=best,
                phase=float(np.angle(spec[i, j])),
            )
        )
        # blank this peak: +-3 bits in time, +-120 Hz in frequency
        bins = int(np.ceil(120 / (col.rate / n_fft)))
        work[max(i - 12, 0) : i + 13, :][:, [(j + d) % n_fft for d in range(-bins, bins + 1)]] = 0
    return hits


def _parabola(a: float, b: float, c: float) -> float:
    den = a - 2 * b + c
    if den >= 0:
        return 0.0
    return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


# ------------------------------------------------------------------ per-block estimation


@dataclass
class BlockFit:
    """Carrier of one hop, relative to the frequency its lattice was taken at."""

    phase: float  # at t_mid
    freq: float  # Hz
    alpha: float  # Hz/s
    t_mid: float
    amp: float
    noise: float  # variance of one real component of r
    metric: float

    def phasor(self, t: np.ndarray) -> np.ndarray:
        dt = np.asarray(t) - self.t_mid
        return np.exp(1j * (self.phase + 2 * np.pi * (self.freq * dt + 0.5 * self.alpha * dt * dt)))


def rotate(y: np.ndarray, first: int) -> np.ndarray:
    """``r_b = y_b * j**-b`` for lattice points ``first, first + 1, ...``."""
    b = first + np.arange(len(y))
    return y * (1j ** (-(b % 4)))


def drift_grid(t: np.ndarray, alpha_span: float, alpha0: float = 0.0) -> np.ndarray:
    """Drift hypotheses for a block spanning times ``t``: the square's phase error between
    neighbours stays under ~0.7 rad at the block's ends."""
    span_t = max(float(np.max(t) - np.min(t)), T_BIT)
    step = 0.7 / (np.pi * (span_t / 2) ** 2)
    n = int(np.ceil(alpha_span / step)) if alpha_span > 0 else 0
    return alpha0 + step * np.arange(-n, n + 1)


def squared_power(
    r: np.ndarray, t: np.ndarray, w: np.ndarray, alphas: np.ndarray, freq_span: float, t_mid: float
) -> tuple[np.ndarray, np.ndarray]:
    """Power of the squared lattice ``r**2`` over drifts ``alphas`` and frequencies.

    Returns ``(power, freqs)``: one row per drift, one column per frequency
    (of ``r``, not of its square) within ``+-freq_span`` (only 0 when the span
    is 0). The data drop out of the square; the carrier's phase doubles.
    """
    dt = np.asarray(t, dtype=np.float64) - t_mid
    z = (r * r) * w
    kb = np.rint(dt * BIT_RATE).astype(np.int64)
    kb -= kb.min()
    n_fft = max(256, 1 << int(np.ceil(np.log2(4 * (int(kb.max()) + 1)))))
    zz = np.zeros((len(alphas), n_fft), dtype=np.complex128)
    zz[:, kb] = z[None, :] * np.exp(-2j * np.pi * np.asarray(alphas)[:, None] * (dt * dt)[None, :])
    f = np.fft.fftfreq(n_fft, T_BIT) / 2
    sel = np.abs(f) <= freq_span if freq_span > 0 else (np.arange(n_fft) == 0)
    p = np.abs(np.fft.fft(zz, axis=1)[:, sel]) ** 2
    order = np.argsort(f[sel])
    return p[:, order], f[sel][order]


def fit_carrier(
    r: np.ndarray,
    t: np.ndarray,
    freq_span: float = 12.0,
    alpha_span: float = 0.0,
    alpha0: float = 0.0,
    known: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> BlockFit:
    """Phase, frequency and drift of the lattice points ``r`` (times ``t``).

    First the squares ``r**2`` (no data) are searched over drift
    (``alpha0 +- alpha_span``) and frequency (``+-freq_span``); then two
    rounds of decisions (``known`` signs where given, 0 = unknown) refine
    phase, frequency (when searched) and drift (when searched) by a fit to
    ``r * decision``.
    """
    t = np.asarray(t, dtype=np.float64)
    w = np.ones(len(r)) if weights is None else np.asarray(weights, dtype=np.float64)
    t_mid = float(np.sum(w * t) / max(np.sum(w), 1e-12))
    dt = t - t_mid
    alphas = drift_grid(t, alpha_span, alpha0)
    p, fs = squared_power(r, t, w, alphas, freq_span, t_mid)
    i, j = np.unravel_index(int(np.argmax(p)), p.shape)
    f = float(fs[j])
    if 0 < j < p.shape[1] - 1:
        f += _parabola(p[i, j - 1], p[i, j], p[i, j + 1]) * float(fs[1] - fs[0])
    a = float(alphas[i])
    z = (r * r) * w
    ph2 = np.angle(np.sum(z * np.exp(-1j * 2 * np.pi * (2 * f * dt + a * dt * dt))))
    fit = BlockFit(ph2 / 2, f, a, t_mid, 1.0, 1.0, float(p[i, j]))
    for _ in range(2):
        fit = _refine(r, t, fit, known, w, fit_freq=freq_span > 0, alpha_free=alpha_span > 0)
    return fit


def drift_candidates(
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    alpha_span: float,
    freq_span: float,
    count: int,
) -> list[float]:
    """The most likely drifts shared by several blocks ``(r, t, w)`` of one packet.

    Each block's squared power is maximised over its own frequency; the sums
    over blocks are ranked, and the best ``count`` separate peaks returned.
    """
    alphas = drift_grid(blocks[0][1], alpha_span)
    total = np.zeros(len(alphas))
    for r, t, w in blocks:
        t_mid = float(np.sum(w * t) / max(np.sum(w), 1e-12))
        p, _ = squared_power(r, t, w, alphas, freq_span, t_mid)
        total += p.max(axis=1) / max(float(np.sum(w * np.abs(r) ** 2)) ** 2, 1e-30)
    out: list[float] = []
    for i in np.argsort(-total):
        if len(out) >= count:
            break
        if all(abs(int(i) - int(np.argmin(np.abs(alphas - a)))) > 1 for a in out):
            out.append(float(alphas[i]))
    return out


def _refine(
    r: np.ndarray,
    t: np.ndarray,
    fit: BlockFit,
    known: np.ndarray | None,
    w: np.ndarray,
    fit_freq: bool,
    alpha_free: bool,
) -> BlockFit:
    u = r * np.conj(fit.phasor(t))
    dec = np.sign(u.real)
    dec[dec == 0] = 1
    if known is not None:
        kmask = known != 0
        # align the known pattern's sign with the data (the square hides it)
        s = np.sign(np.sum(u.real[kmask] * known[kmask])) or 1.0
        dec[kmask] = s * known[kmask]
    d = r * dec * w  # data removed: g * phasor
    dt = t - fit.t_mid
    # linear (and quadratic) fit of the residual phase, weighted by amplitude
    res = d * np.conj(fit.phasor(t))
    ang = np.angle(res)
    amp = np.abs(res)
    cols = [np.ones_like(dt)] + ([dt] if fit_freq else []) + ([dt * dt] if alpha_free else [])
    a_mat = np.stack(cols, axis=1) * amp[:, None]
    coef, *_ = np.linalg.lstsq(a_mat, ang * amp, rcond=None)
    phase = fit.phase + coef[0]
    freq = fit.freq + (coef[1] / (2 * np.pi) if fit_freq else 0.0)
    alpha = fit.alpha + (coef[-1] / np.pi if alpha_free else 0.0)
    new = BlockFit(phase, freq, alpha, fit.t_mid, 1.0, 1.0, fit.metric)
    u = (r * np.conj(new.phasor(t))).real
    new.amp, new.noise = amplitude_noise(u, w)
    return new


def amplitude_noise(u: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """Maximum-likelihood amplitude and noise variance of antipodal values ``u`` (EM).

    The quadrature part of ``r`` holds the neighbours' overlap (GMSK behaves
    like offset QPSK), so the noise is measured on the in-phase values alone.
    """
    w = np.ones(len(u)) if w is None else w
    sw = max(float(np.sum(w)), 1e-12)
    m2 = float(np.sum(w * u * u)) / sw
    a = float(np.sum(w * np.abs(u))) / sw
    var = max(m2 - a * a, 1e-3 * m2, 1e-12)
    for _ in range(6):
        a = float(np.sum(w * u * np.tanh(a * u / var))) / sw
        var = max(m2 - a * a, 1e-3 * m2, 1e-12)
    return abs(a), var


def block_lattice_times(block_start: float, first_bit: int, n: int) -> np.ndarray:
    """Stream times of the lattice points after bits ``first_bit .. first_bit + n - 1``."""
    return block_start + (first_bit + np.arange(n) + 0.5 + DELAY_BITS + 0.5) * T_BIT
