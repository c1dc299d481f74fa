"""Chirp demodulation helpers: dechirping, fractional peaks, soft bits, block decoding."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft

from sdrlink.protocols.lora import codec
from sdrlink.protocols.lora.modulator import chirp


@lru_cache(maxsize=32)
def ref_chirps(sf: int) -> tuple[np.ndarray, np.ndarray]:
    """(down-chirp, up-chirp) of value 0 at one sample per chip, for dechirping."""
    up = chirp(sf, 0)
    return np.conj(up), up


@lru_cache(maxsize=64)
def _ramp(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) / n


def dechirp_fft(
    windows: np.ndarray, sf: int, shift: float | np.ndarray = 0.0, down: bool = False, pad: int = 1
) -> np.ndarray:
    """FFT of windows (k, N) dechirped (up-chirps, or down-chirps with ``down``).

    ``shift`` (bins, scalar or per window) is removed first, so a tone at bin
    ``shift`` lands on bin 0. ``pad`` > 1 zero-pads to ``pad`` points per bin.
    """
    n = 1 << sf
    dn, up = ref_chirps(sf)
    ref = up if down else dn
    x = np.asarray(windows, dtype=np.complex64) * ref[None, :]
    sh = np.atleast_1d(np.asarray(shift, dtype=np.float64))
    if np.any(sh != 0):
        x *= np.exp(-2j * np.pi * sh[:, None] * _ramp(n)[None, :]).astype(np.complex64)
    return scipy.fft.fft(x, n=n * pad, axis=1, overwrite_x=True)


def frac_peak(mag: np.ndarray, k: int) -> float:
    """Peak position near integer bin ``k`` by parabolic interpolation of magnitudes."""
    n = len(mag)
    a, b, c = mag[(k - 1) % n], mag[k % n], mag[(k + 1) % n]
    den = a - 2 * b + c
    if den >= 0:
        return float(k)
    return k + float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


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


@lru_cache(maxsize=32)
def _bit_masks(bits: int) -> np.ndarray:
    vals = np.arange(1 << bits)
    return np.array([(vals >> (bits - 1 - j)) & 1 for j in range(bits)], dtype=bool)


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
    masks = _bit_masks(bits)
    out = np.empty((mag.shape[0], bits))
    for j in range(bits):
        out[:, j] = m[:, ~masks[j]].max(axis=1) - m[:, masks[j]].max(axis=1)
    return out


def decode_block(mags: np.ndarray, sf: int, cr: int, reduced: bool, sf_app: int) -> np.ndarray:
    """Nibbles of one interleaver block from its ``4 + cr`` symbol magnitude rows."""
    return decode_blocks(mags, sf, cr, reduced, sf_app)


def decode_blocks(mags: np.ndarray, sf: int, cr: int, reduced: bool, sf_app: int) -> np.ndarray:
    """Nibbles of consecutive interleaver blocks of ``4 + cr`` symbol rows each."""
    ppm = 4 + cr
    n_blocks = len(mags) // ppm
    if n_blocks == 0:
        return np.zeros(0, dtype=np.uint8)
    llr = symbol_llrs(mags[: n_blocks * ppm], sf, reduced)[:, :sf_app]
    llr = llr / (np.max(np.abs(llr)) or 1.0)
    # bit j of symbol i of a block belongs to codeword (i - j - 1) mod sf_app, bit i
    i = np.arange(ppm)[:, None]
    j = np.arange(sf_app)[None, :]
    cw_index = (i - j - 1) % sf_app
    cw = np.empty((n_blocks, sf_app, ppm))
    blocks = llr.reshape(n_blocks, ppm, sf_app)
    cw[:, cw_index, np.broadcast_to(i, cw_index.shape)] = blocks
    return codec.hamming_decode_soft(cw.reshape(-1, ppm), cr)
