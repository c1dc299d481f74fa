"""LoRa transmitter: payload -> symbol values -> baseband chirps."""

from __future__ import annotations

import math

import numpy as np

from sdrlink.errors import ConfigError
from sdrlink.protocols.lora import codec
from sdrlink.protocols.lora.params import LoRaParams


def payload_nibbles(params: LoRaParams, payload: bytes) -> list[int]:
    """All nibbles of a frame in transmission order (header, payload, CRC)."""
    n = len(payload)
    if not 0 <= n <= 255:
        raise ConfigError(f"LoRa payload must be 0..255 bytes, not {n}")
    if params.implicit_header and params.payload_len is not None and n != params.payload_len:
        raise ConfigError(
            f"implicit header: payload is {n} bytes, length says {params.payload_len}"
        )
    nib: list[int] = []
    if not params.implicit_header:
        nib += codec.header_nibbles(n, params.cr, params.crc)
    for byte in codec.whiten(payload):
        nib += [byte & 0xF, byte >> 4]
    if params.crc:
        nib += codec.crc_nibbles(codec.payload_crc(payload))
    return nib


def header_block_layout(params: LoRaParams) -> tuple[int, bool]:
    """(codewords in the first block, reduced rate?) -- SF5/6 use SF codewords at full rate."""
    if params.sf < 7:
        return params.sf, False
    return params.sf - 2, True


def encode_symbols(params: LoRaParams, payload: bytes) -> np.ndarray:
    """The data symbol values (after the preamble) of one frame."""
    sf = params.sf
    nib = payload_nibbles(params, payload)
    first, first_reduced = header_block_layout(params)
    sf_pay = sf - 2 if params.ldro_on else sf
    symbols: list[int] = []
    pos = 0
    block = 0
    while pos < len(nib) or block == 0:
        if block == 0:
            sf_app, cr, reduced = first, 4, first_reduced
        else:
            sf_app, cr, reduced = sf_pay, params.cr, params.ldro_on
        chunk = nib[pos : pos + sf_app]
        pos += sf_app
        cws = [codec.hamming_encode(v, cr) for v in chunk]
        inter = codec.interleave(cws, 4 + cr, sf_app, reduced, sf)
        for v in inter:
            symbols.append((codec.inverse_gray(v, sf) + 1) % (1 << sf))
        block += 1
    return np.array(symbols, dtype=np.int64)


def chirp(sf: int, value: int | float, os: int = 1, down: bool = False) -> np.ndarray:
    """One chirp of ``2**sf * os`` samples starting at bin ``value`` (folded at +bw/2)."""
    n_bins = 1 << sf
    n = np.arange(n_bins * os, dtype=np.float64) / os  # time in chips
    k = n + value
    k = np.where(k >= n_bins, k - n_bins, k)
    # instantaneous frequency (cycles/chip) = k/N - 1/2 ; phase integrates it piecewise
    phase = n * n / (2 * n_bins) + (value / n_bins - 0.5) * n
    fold = n_bins - value
    phase = np.where(n >= fold, phase - (n - fold), phase)
    x = np.exp(2j * np.pi * phase).astype(np.complex64)
    return np.conj(x) if down else x


def symbol_count(params: LoRaParams, payload_len: int) -> int:
    """Number of data symbols for a payload of ``payload_len`` bytes."""
    nib = 2 * payload_len + (4 if params.crc else 0) + (0 if params.implicit_header else 5)
    first, _ = header_block_layout(params)
    sf_pay = params.sf - 2 if params.ldro_on else params.sf
    rest = max(nib - first, 0)
    return 8 + math.ceil(rest / sf_pay) * (4 + params.cr)


def modulate_symbols(params: LoRaParams, symbols: np.ndarray, sample_rate: float) -> np.ndarray:
    """Preamble, sync word, 2.25 down-chirps and the given data symbols at ``sample_rate``."""
    sf = params.sf
    n_bins = 1 << sf
    bw = float(params.bw)
    ratio = sample_rate / bw
    os = int(round(ratio))
    if os >= 1 and abs(ratio - os) < 1e-9:
        return _modulate_at(params, symbols, os)
    # non-integer rate: synthesise at an integer oversampling, then resample
    from scipy import signal

    up_os = max(2, math.ceil(ratio))
    x = _modulate_at(params, symbols, up_os)
    frac = _fraction(sample_rate, bw * up_os)
    y = signal.resample_poly(x, frac[0], frac[1])
    del n_bins
    return y.astype(np.complex64)


def _fraction(a: float, b: float) -> tuple[int, int]:
    from fractions import Fraction

    f = Fraction(a / b).limit_denominator(100000)
    return f.numerator, f.denominator


def _modulate_at(params: LoRaParams, symbols: np.ndarray, os: int) -> np.ndarray:
    sf = params.sf
    n = (1 << sf) * os
    up = chirp(sf, 0, os)
    down = chirp(sf, 0, os, down=True)
    parts = [up] * params.preamble_len
    s1, s2 = params.sync_values
    parts += [chirp(sf, s1, os), chirp(sf, s2, os), down, down, down[: n // 4]]
    parts += [up] * params.extra_upchirps  # SF5/SF6 (SX126x): two more before the data
    cache: dict[int, np.ndarray] = {}
    for s in symbols:
        s = int(s)
        if s not in cache:
            cache[s] = chirp(sf, s, os)
        parts.append(cache[s])
    return np.concatenate(parts).astype(np.complex64)


def modulate(params: LoRaParams, payload: bytes, sample_rate: float) -> np.ndarray:
    """Baseband waveform (complex64, unit amplitude) of one LoRa frame."""
    if not sample_rate >= float(params.bw) * 0.999:
        raise ConfigError(
            f"sample rate {sample_rate:g} Hz is below the LoRa bandwidth {params.bw:g} Hz"
        )
    return modulate_symbols(params, encode_symbols(params, bytes(payload)), sample_rate)
