"""Channel model for simulation and tests: carrier offset and drift, sample-clock
offset, and complex white Gaussian noise at a given in-band SNR.

The carrier phase follows ``2*pi*(cfo*t + rate*t**2/2)``; a sample-clock offset
of ``sfo_ppm`` makes the receiver sample at ``t_n = n / (fs * (1 + sfo_ppm*1e-6))``
(resampled by band-limited interpolation).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from sdrlink.dsp.nco import Nco


def add_noise(
    x: np.ndarray,
    snr_db: float,
    signal_bw: float,
    sample_rate: float,
    rng: np.random.Generator,
    signal_power: float | None = None,
) -> np.ndarray:
    """Add complex white Gaussian noise so that the SNR inside ``signal_bw`` is ``snr_db``.

    The noise is white over the full ``sample_rate``; only the fraction
    ``signal_bw / sample_rate`` of it falls in the signal band. ``signal_power``
    defaults to the mean power of the nonzero part of ``x`` (the burst).
    """
    if signal_power is None:
        p = np.abs(x) ** 2
        active = p > 1e-12 * max(float(p.max()), 1e-30)
        signal_power = float(p[active].mean()) if active.any() else 1.0
    noise_in_band = signal_power / 10 ** (snr_db / 10)
    total = noise_in_band * sample_rate / signal_bw
    noise = rng.standard_normal((2, len(x))).astype(np.float32) * np.float32(np.sqrt(total / 2))
    return (x + noise[0] + 1j * noise[1]).astype(np.complex64)


def apply_offset(
    x: np.ndarray,
    sample_rate: float,
    cfo_hz: float = 0.0,
    rate_hz_s: float = 0.0,
    phase: float = 0.0,
) -> np.ndarray:
    """Shift ``x`` by ``cfo_hz`` drifting at ``rate_hz_s`` (phase continuous)."""
    return Nco(sample_rate, cfo_hz, rate_hz_s, phase=phase, sign=+1).mix(x)


def apply_sfo(x: np.ndarray, sfo_ppm: float) -> np.ndarray:
    """Resample ``x`` as a receiver whose clock runs ``sfo_ppm`` fast would see it."""
    if sfo_ppm == 0:
        return np.asarray(x, dtype=np.complex64)
    ratio = 1.0 + sfo_ppm * 1e-6  # receiver samples per transmitter sample
    n_out = int(np.floor(len(x) * ratio))
    t = np.arange(n_out) / ratio  # positions in transmitter samples
    # windowed-sinc interpolation, 16 taps each side, vectorised in chunks
    half = 16
    out = np.empty(n_out, dtype=np.complex64)
    xp = np.concatenate([np.zeros(half, x.dtype), x, np.zeros(half + 1, x.dtype)])
    taps = np.arange(-half + 1, half + 1)
    step = 1 << 15
    for s in range(0, n_out, step):
        tt = t[s : s + step]
        base = np.floor(tt).astype(np.int64)
        frac = tt - base
        d = frac[:, None] - taps[None, :]
        w = np.sinc(d) * (0.5 + 0.5 * np.cos(np.pi * d / half))
        idx = base[:, None] + taps[None, :] + half
        out[s : s + step] = np.sum(xp[idx] * w, axis=1)
    return out


def channel(
    x: np.ndarray,
    sample_rate: float,
    *,
    snr_db: float | None = None,
    signal_bw: float | None = None,
    cfo_hz: float = 0.0,
    rate_hz_s: float = 0.0,
    sfo_ppm: float = 0.0,
    rng: np.random.Generator | None = None,
    signal_power: float | None = None,
) -> np.ndarray:
    """Apply sample-clock offset, carrier offset/drift and noise, in that order."""
    rng = rng if rng is not None else np.random.default_rng()
    y = apply_sfo(np.asarray(x, dtype=np.complex64), sfo_ppm)
    if cfo_hz or rate_hz_s:
        y = apply_offset(y, sample_rate, cfo_hz, rate_hz_s, phase=float(rng.random()))
    if snr_db is not None:
        y = add_noise(y, snr_db, signal_bw or sample_rate, sample_rate, rng, signal_power)
    return y


def resample_poly_complex(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Polyphase resampling of complex samples (thin wrapper, float32 out)."""
    return signal.resample_poly(x, up, down).astype(np.complex64)
