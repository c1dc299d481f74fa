"""A spectrogram of any length in bounded memory, for waterfall displays.

FFT frames are computed block by block and averaged into at most ``max_rows``
rows, so an hour-long recording is read once in constant memory and still
gives an image of a few hundred kilobytes. Blocks of any size give the same
result: frames are indexed by absolute sample position and a carry buffer holds
the samples of the next unfinished frame.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from sdrlink.errors import ConfigError
from sdrlink.plot._common import positive

#: Samples per chunk handed to the FFT (bounds the temporary arrays).
_CHUNK = 1 << 18


@dataclass
class Spectrogram:
    """Averaged power spectra.

    ``power`` has shape ``(rows, bins)``: mean power spectral density (linear,
    per Hz) of the FFT frames in each row. ``freqs`` are the bin centres in Hz
    relative to the centre frequency (``0..fs/2`` for real input). Row ``r``
    covers ``t_edges[r] .. t_edges[r + 1]`` seconds from ``t_offset``.
    """

    power: np.ndarray
    freqs: np.ndarray
    t_edges: np.ndarray
    sample_rate: float
    nfft: int
    hop: int
    frames_per_row: int
    is_complex: bool
    center_freq: float | None = None
    start_time: _dt.datetime | None = None

    @property
    def db(self) -> np.ndarray:
        """``power`` in dB (floored well below the smallest nonzero value)."""
        p = self.power
        floor = p[p > 0].min() * 1e-3 if np.any(p > 0) else 1e-30
        return 10 * np.log10(np.maximum(p, floor))


def _frame_count(n: int, nfft: int, hop: int) -> int:
    return 0 if n < nfft else (n - nfft) // hop + 1


def spectrogram(
    blocks: Iterable[np.ndarray],
    num_samples: int,
    sample_rate: float,
    *,
    nfft: int = 1024,
    hop: int | None = None,
    max_rows: int = 600,
    is_complex: bool = True,
    window: str = "hann",
) -> Spectrogram:
    """Spectrogram of ``num_samples`` samples arriving as consecutive arrays.

    ``hop`` defaults to ``nfft // 2`` for short inputs and ``nfft`` once the
    frames must be averaged anyway. Rows average ``ceil(frames / max_rows)``
    consecutive FFT frames.
    """
    from scipy.signal import get_window

    fs = positive(sample_rate, "sample rate")
    nfft = int(nfft)
    if nfft < 8:
        raise ConfigError(f"nfft must be at least 8, not {nfft}")
    if max_rows < 1:
        raise ConfigError(f"max_rows must be >= 1, not {max_rows}")
    if num_samples < nfft:
        raise ConfigError(f"{num_samples} samples are too few for an FFT of {nfft}")
    if hop is None:
        hop = nfft if num_samples // nfft >= max_rows else max(nfft // 2, 1)
    hop = int(hop)
    if hop < 1:
        raise ConfigError(f"hop must be >= 1, not {hop}")
    n_frames = _frame_count(num_samples, nfft, hop)
    fpr = math.ceil(n_frames / max_rows)
    n_rows = math.ceil(n_frames / fpr)
    win = get_window(window, nfft).astype(np.float32)
    scale = 1.0 / (fs * float(np.sum(win.astype(np.float64) ** 2)))
    bins = nfft if is_complex else nfft // 2 + 1
    acc = np.zeros((n_rows, bins), np.float64)
    counts = np.zeros(n_rows, np.int64)

    k_next = 0  # index of the next FFT frame to compute
    carry = np.zeros(0, np.complex64 if is_complex else np.float32)
    carry_start = 0  # absolute index of carry[0]
    for chunk in _rechunk(blocks):
        buf = np.concatenate([carry, chunk]) if len(carry) else chunk
        end = carry_start + len(buf)
        k_stop = min(_frame_count(end, nfft, hop), n_frames)
        if k_stop > k_next:
            first = k_next * hop - carry_start
            frames = sliding_window_view(buf[first:], nfft)[::hop][: k_stop - k_next]
            spec = np.fft.fft(frames * win) if is_complex else np.fft.rfft(frames * win)
            power = (spec.real**2 + spec.imag**2).astype(np.float64)
            rows = np.arange(k_next, k_stop) // fpr
            cuts = np.flatnonzero(np.diff(rows)) + 1
            starts = np.concatenate([[0], cuts])
            acc[rows[starts]] += np.add.reduceat(power, starts, axis=0)
            counts[rows[starts]] += np.diff(np.concatenate([starts, [len(rows)]]))
            k_next = k_stop
        keep_from = min(k_next * hop, end) - carry_start
        carry = buf[keep_from:].copy()
        carry_start += keep_from
        if k_next >= n_frames:
            break

    power = acc * scale / np.maximum(counts, 1)[:, None]
    if is_complex:
        power = np.fft.fftshift(power, axes=1)
        freqs = np.fft.fftshift(np.fft.fftfreq(nfft, 1 / fs))
    else:
        freqs = np.fft.rfftfreq(nfft, 1 / fs)
    t_edges = np.arange(n_rows + 1) * (fpr * hop) / fs
    t_edges[-1] = min(t_edges[-1], num_samples / fs)
    return Spectrogram(power, freqs, t_edges, fs, nfft, hop, fpr, is_complex)


def _rechunk(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Split large arrays so each FFT batch stays near ``_CHUNK`` samples."""
    for block in blocks:
        for i in range(0, len(block), _CHUNK):
            yield block[i : i + _CHUNK]


def _clip(blocks: Iterable[Any], a: int, b: int) -> Iterator[np.ndarray]:
    """The parts of SampleBlocks that fall in ``[a, b)`` (absolute indices)."""
    for blk in blocks:
        if blk.stop <= a:
            continue
        if blk.start >= b:
            break
        yield blk.samples[max(a - blk.start, 0) : b - blk.start]


def spectrogram_of(
    data: Any,
    sample_rate: float | None = None,
    *,
    start_s: float = 0.0,
    dur_s: float | None = None,
    **kwargs: Any,
) -> tuple[Spectrogram, float]:
    """Spectrogram of a Recording, a finite Source or an array (give ``sample_rate``).

    ``start_s``/``dur_s`` select a time range (Recordings and arrays). Returns
    the spectrogram and the time offset in seconds of its first row.
    """
    from sdrlink.recording import Recording
    from sdrlink.sources.base import Source

    if isinstance(data, (Recording, Source)):
        info = data.info
        fs = float(info.sample_rate)
        total = info.num_samples
        if total is None:
            raise ConfigError("a waterfall needs a finite recording, not a live stream")
        a = max(int(round(start_s * fs)), 0)
        b = total if dur_s is None else min(a + int(round(dur_s * fs)), total)
        if b <= a:
            raise ConfigError(f"empty time range: {start_s} s + {dur_s} s")
        blocks: Iterable[np.ndarray]
        if isinstance(data, Recording):
            blocks = (blk.samples for blk in data.blocks(1 << 20, a, b))
        else:
            blocks = _clip(data.blocks(1 << 20), a, b)
        spec = spectrogram(blocks, b - a, fs, is_complex=info.is_complex, **kwargs)
        spec.center_freq, spec.start_time = info.center_freq, info.start_time
        return spec, a / fs
    if sample_rate is None:
        raise ConfigError("plotting an array needs sample_rate=")
    fs = positive(sample_rate, "sample rate")
    x = np.asarray(data)
    if x.ndim != 1:
        raise ConfigError(f"samples must be one-dimensional, got shape {x.shape}")
    a = max(int(round(start_s * fs)), 0)
    b = len(x) if dur_s is None else min(a + int(round(dur_s * fs)), len(x))
    is_complex = bool(np.iscomplexobj(x))
    x = x[a:b].astype(np.complex64 if is_complex else np.float32, copy=False)
    return spectrogram([x], len(x), fs, is_complex=is_complex, **kwargs), a / fs


__all__ = ["Spectrogram", "spectrogram", "spectrogram_of"]
