"""Chirp demodulation helpers: dechirping, fractional peaks, soft bits, block decoding."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sdrlink._ext import lora_dsp
from sdrlink.dsp.fft import fft_rows
from sdrlink.protocols.lora import codec
from sdrlink.protocols.lora.modulator import chirp


@lru_cache(maxsize=32)
def ref_chirps(sf: int) -> tuple[np.ndarray, np.ndarray]:
    """(down-chirp, up-chirp) of value 0 at one sample per chip, for dechirping."""
    up = chirp(sf, 0)
    return np.conj(up), up


def dechirp_fft(
    windows: np.ndarray, sf: int, shift: float | np.ndarray = 0.0, down: bool = False, pad: int = 1
) -> np.ndarray:
    """FFT of windows (k, N) dechirped (up-chirps, or down-chirps with ``down``).

    ``shift`` (bins, scalar or per window) is removed first, so a tone at bin
    ``shift`` lands on bin 0. ``pad`` > 1 zero-pads to ``pad`` points per bin.
    """
    n = 1 << sf
    dn, up = ref_chirps(sf)
    x = np.ascontiguousarray(windows, dtype=np.complex64).reshape(-1, n)
    sh = np.ascontiguousarray(np.atleast_1d(shift), dtype=np.float64)
    y = np.empty_like(x)
    lora_dsp.dechirp_shift(x, up if down else dn, sh, y)
    return fft_rows(y, n * pad)


def frac_peak(mag: np.ndarray, k: int) -> float:
    """Peak position near integer bin ``k`` by parabolic interpolation of magnitudes."""
    n = len(mag)
    a, b, c = mag[(k - 1) % n], mag[k % n], mag[(k + 1) % n]
    den = a - 2 * b + c
    if den >= 0:
        return float(k)
    return k + min(max(float(0.5 * (a - c) / den), -0.5), 0.5)


def frac_offsets(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Vectorised :func:`frac_peak`: parabolic offsets (-0.5..0.5) of peaks ``b``.

    ``a`` and ``c`` are the magnitudes one bin below and above; the offset
    is 0 where the three do not bend down (no peak to interpolate).
    """
    den = a - 2 * b + c
    return np.clip(np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0), -0.5, 0.5)


def wrap(x: float, n: float) -> float:
    """``x`` wrapped into [-n/2, n/2)."""
    return (x + n / 2) % n - n / 2


@lru_cache(maxsize=32)
def value_bins(sf: int, reduced: bool) -> np.ndarray:
    """For each value of the information bits, the FFT bin (centre) that carries it."""
    n = 1 << sf
    bits = sf - 2 if reduced else sf
    vals = np.arange(1 << bits)
    g = np.array([codec.inverse_gray(int(v), bits) for v in vals])
    return ((g * (4 if reduced else 1)) + 1) % n


def symbol_llrs(mag: np.ndarray, sf: int, reduced: bool) -> np.ndarray:
    """Max-log soft bits (MSB first, >0 favours 0) of one or more symbols' magnitudes.

    ``mag`` is (k, N) with the symbol's offset already removed. Returns (k, bits).
    """
    mag = np.atleast_2d(mag)
    n = 1 << sf
    bins = value_bins(sf, reduced)
    if reduced:
        m = np.maximum(np.maximum(mag[:, bins], mag[:, (bins - 1) % n]), mag[:, (bins + 1) % n])
    else:
        m = mag[:, bins]
    bits = sf - 2 if reduced else sf
    out = np.empty((m.shape[0], bits))
    lora_dsp.maxlog_bits(np.ascontiguousarray(m, dtype=np.float64), out)
    return out


def decode_block(mags: np.ndarray, sf: int, cr: int, reduced: bool, sf_app: int) -> np.ndarray:
    """Nibbles of one interleaver block from its ``4 + cr`` symbol magnitude rows."""
    return decode_blocks(mags, sf, cr, reduced, sf_app)


def decode_blocks(mags: np.ndarray, sf: int, cr: int, reduced: bool, sf_app: int) -> np.ndarray:
    """Nibbles of consecutive interleaver blocks of ``4 + cr`` symbol rows each."""
    return codec.hamming_decode_soft(codeword_llrs(mags, sf, cr, reduced, sf_app), cr)


def codeword_llrs(mags: np.ndarray, sf: int, cr: int, reduced: bool, sf_app: int) -> np.ndarray:
    """Soft bits (> 0 favours 0) of the Hamming codewords of consecutive interleaver
    blocks, deinterleaved: shape (blocks * sf_app, 4 + cr)."""
    ppm = 4 + cr
    n_blocks = len(mags) // ppm
    out = np.empty((n_blocks * sf_app, ppm))
    if n_blocks == 0:
        return out
    bits = sf - 2 if reduced else sf
    mags = np.ascontiguousarray(mags[: n_blocks * ppm], dtype=np.float32)
    lora_dsp.block_llrs(mags, value_bins(sf, reduced), reduced, bits, sf_app, out)
    return out
