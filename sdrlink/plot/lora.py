"""LoRa views: dechirped spectrogram, symbol-by-symbol FFT peaks, acquisition surface.

The dechirp is done here with plain NumPy so that the plots show the signal
itself, independently of the receiver's internals: the frame is resampled to
the chip rate (``bw``), multiplied by a down-chirp that restarts every symbol,
and each symbol becomes a tone whose FFT bin is the symbol value (plus the
carrier and timing offsets, which is what makes these views useful).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from sdrlink.errors import ConfigError
from sdrlink.plot._common import as_1d, hz_scale, new_axes, positive


def _check_sf(sf: int) -> int:
    if not 5 <= int(sf) <= 12 or int(sf) != sf:
        raise ConfigError(f"spreading factor must be an integer 5..12, not {sf!r}")
    return int(sf)


def base_upchirp(sf: int) -> np.ndarray:
    """The unmodulated up-chirp at the chip rate: ``2**sf`` samples from -bw/2 to +bw/2."""
    n = 1 << _check_sf(sf)
    k = np.arange(n, dtype=np.float64)
    return np.exp(2j * np.pi * (k * k / (2 * n) - k / 2)).astype(np.complex64)


def to_chip_rate(
    samples: Any, sample_rate: float, bw: float, *, start: int = 0, cfo_hz: float = 0.0
) -> np.ndarray:
    """Samples from ``start`` with ``cfo_hz`` removed, filtered and resampled to ``bw``."""
    from scipy.signal import resample_poly

    fs = positive(sample_rate, "sample rate")
    bw = positive(bw, "bandwidth")
    if bw > fs * 1.0001:
        raise ConfigError(f"bandwidth {bw:g} Hz exceeds the sample rate {fs:g} Hz")
    x = as_1d(samples)[int(start) :].astype(np.complex64)
    if cfo_hz:
        t = np.arange(len(x)) / fs
        x = x * np.exp(-2j * np.pi * cfo_hz * t).astype(np.complex64)
    ratio = Fraction(bw / fs).limit_denominator(1000)
    if ratio == 1:
        return x
    return resample_poly(x, ratio.numerator, ratio.denominator).astype(np.complex64)


def dechirp(chips: np.ndarray, sf: int) -> np.ndarray:
    """Multiply chip-rate samples by a down-chirp that restarts every ``2**sf`` samples."""
    ref = np.conj(base_upchirp(sf))
    n = len(ref)
    reps = -(-len(chips) // n)
    return (chips * np.tile(ref, reps)[: len(chips)]).astype(np.complex64)


def symbol_spectra(
    samples: Any,
    sf: int,
    bw: float,
    sample_rate: float,
    *,
    start: int = 0,
    n_symbols: int | None = None,
    cfo_hz: float = 0.0,
) -> np.ndarray:
    """|FFT| of each dechirped symbol from ``start``: shape ``(symbols, 2**sf)``.

    Row ``k`` is symbol ``k`` counted from ``start`` (a sample index at
    ``sample_rate``); its peak bin is the symbol value when ``start`` is the
    beginning of a symbol and the carrier offset is removed.
    """
    sf = _check_sf(sf)
    n = 1 << sf
    d = dechirp(to_chip_rate(samples, sample_rate, bw, start=start, cfo_hz=cfo_hz), sf)
    avail = len(d) // n
    count = avail if n_symbols is None else min(int(n_symbols), avail)
    if count < 1:
        raise ConfigError(f"fewer than one SF{sf} symbol ({n} chips) after sample {start}")
    return np.abs(np.fft.fft(d[: count * n].reshape(count, n), axis=1)).astype(np.float32)


def symbol_peaks(samples: Any, sf: int, bw: float, sample_rate: float, **kwargs: Any) -> np.ndarray:
    """The peak FFT bin of each symbol (see :func:`symbol_spectra`)."""
    return np.argmax(symbol_spectra(samples, sf, bw, sample_rate, **kwargs), axis=1)


def lora_dechirped(
    samples: Any,
    sf: int,
    bw: float,
    fs: float,
    *,
    start: int = 0,
    cfo_hz: float = 0.0,
    hop: int | None = None,
    dynamic_range_db: float = 40.0,
    cmap: str = "magma",
    ax: Any = None,
) -> Any:
    """Spectrogram of one dechirped frame; returns the Axes.

    Time is in symbols from ``start``, frequency in FFT bins of one symbol, so a
    preamble is a flat line, data symbols are steps at their values and the
    down-chirps of the start-of-frame delimiter are steep slopes. The window is
    one symbol long and slides by ``hop`` chips (default a sixteenth).
    """
    from scipy.signal import stft

    sf = _check_sf(sf)
    n = 1 << sf
    d = dechirp(to_chip_rate(samples, fs, bw, start=start, cfo_hz=cfo_hz), sf)
    if len(d) < n:
        raise ConfigError(f"fewer than one SF{sf} symbol after sample {start}")
    hop = max(1, n // 16) if hop is None else int(hop)
    _, t, z = stft(
        d,
        fs=1.0,
        window="hann",
        nperseg=n,
        noverlap=n - hop,
        return_onesided=False,
        boundary=None,
        padded=False,
    )
    db = 20 * np.log10(np.abs(z) + 1e-12)
    vmax = float(db.max())
    ax = new_axes(ax)
    t_sym = (t - n / 2) / n  # window start, in symbols
    ax.imshow(
        db,
        aspect="auto",
        origin="lower",
        extent=(t_sym[0], t_sym[-1] + hop / n, -0.5, n - 0.5),
        cmap=cmap,
        vmin=vmax - dynamic_range_db,
        vmax=vmax,
        interpolation="nearest",
    )
    ax.set_xlabel("time (symbols from start, window start)")
    ax.set_ylabel("dechirped FFT bin")
    ax.set_title(f"LoRa SF{sf}, {bw / 1e3:g} kHz: dechirped spectrogram")
    return ax


def lora_symbols(
    samples: Any,
    sf: int,
    bw: float,
    fs: float,
    *,
    start: int = 0,
    n_symbols: int | None = None,
    cfo_hz: float = 0.0,
    annotate: bool | None = None,
    cmap: str = "Greys",
    ax: Any = None,
) -> Any:
    """Symbol-by-symbol dechirped FFT magnitudes with the peak bin marked; returns the Axes.

    The marker line's data are the peak bins (``ax.lines[0].get_ydata()``);
    with ``annotate`` (default: up to 48 symbols) each peak is written above it.
    """
    spectra = symbol_spectra(samples, sf, bw, fs, start=start, n_symbols=n_symbols, cfo_hz=cfo_hz)
    count, n = spectra.shape
    peaks = np.argmax(spectra, axis=1)
    ax = new_axes(ax)
    ax.imshow(
        (spectra / spectra.max(axis=1, keepdims=True)).T,
        aspect="auto",
        origin="lower",
        extent=(-0.5, count - 0.5, -0.5, n - 0.5),
        cmap=cmap,
        interpolation="nearest",
    )
    ax.plot(np.arange(count), peaks, "o", color="tab:red", markersize=4, label="peak bin")
    if annotate if annotate is not None else count <= 48:
        for k, p in enumerate(peaks):
            ax.annotate(
                str(int(p)),
                (k, p),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontsize=7,
                color="tab:red",
            )
    ax.set_xlabel("symbol")
    ax.set_ylabel("FFT bin")
    ax.set_title(f"LoRa SF{sf}: peak bin per symbol")
    ax.set_xlim(-0.5, count - 0.5)
    return ax


def acquisition_surface(
    samples: Any,
    fs: float,
    *,
    sf: int | None = None,
    bw: float | None = None,
    nfft: int = 256,
    hop: int | None = None,
    start: int = 0,
    stop: int | None = None,
    db: bool = False,
    three_d: bool = True,
    cmap: str = "viridis",
    ax: Any = None,
) -> Any:
    """Time x frequency-offset surface of the signal around a burst; returns the Axes.

    With ``sf`` and ``bw`` (LoRa) every window of one symbol is dechirped with
    the base down-chirp, as an acquisition search does: preamble up-chirps give
    a ridge whose frequency is the carrier offset plus the timing offset.
    Otherwise windows of ``nfft`` samples give a plain short-time spectrum.
    ``three_d`` draws a 3-D surface (on a new or 3-D Axes), else an image.
    """
    x = as_1d(samples)[int(start) : None if stop is None else int(stop)]
    fs = positive(fs, "sample rate")
    if sf is not None:
        if bw is None:
            raise ConfigError("a LoRa acquisition surface needs bw= with sf=")
        sf = _check_sf(sf)
        n = 1 << sf
        chips = to_chip_rate(x, fs, bw)
        ref = np.conj(base_upchirp(sf))
        rate = float(bw)
    else:
        n = int(nfft)
        chips = x.astype(np.complex64)
        ref = np.hanning(n).astype(np.complex64)
        rate = fs
    hop = max(1, n // 4) if hop is None else int(hop)
    if len(chips) < n:
        raise ConfigError(f"too few samples ({len(chips)}) for windows of {n}")
    from numpy.lib.stride_tricks import sliding_window_view

    windows = sliding_window_view(chips, n)[::hop]
    z = np.abs(np.fft.fftshift(np.fft.fft(windows * ref, axis=1), axes=1)).T
    if db:
        z = 20 * np.log10(z + 1e-12)
    freqs = np.fft.fftshift(np.fft.fftfreq(n, 1 / rate))
    times = (int(start) + np.arange(windows.shape[0]) * hop * fs / rate) / fs
    div, unit = hz_scale(rate)
    zlabel = "|FFT| (dB)" if db else "|FFT|"
    if three_d:
        ax = new_axes(ax, projection="3d")
    else:
        ax = new_axes(ax)
    if three_d and hasattr(ax, "plot_surface"):
        tt, ff = np.meshgrid(times, freqs / div)
        ax.plot_surface(
            tt,
            ff,
            z,
            cmap=cmap,
            rcount=min(z.shape[0], 120),
            ccount=min(z.shape[1], 120),
            linewidth=0,
        )
        ax.set_zlabel(zlabel)
    else:
        img = ax.imshow(
            z,
            aspect="auto",
            origin="lower",
            extent=(times[0], times[-1] + hop / rate, (freqs[0]) / div, (freqs[-1]) / div),
            cmap=cmap,
            interpolation="nearest",
        )
        ax.figure.colorbar(img, ax=ax, label=zlabel, pad=0.01)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"frequency offset ({unit})")
    return ax


__all__ = [
    "acquisition_surface",
    "base_upchirp",
    "dechirp",
    "lora_dechirped",
    "lora_symbols",
    "symbol_peaks",
    "symbol_spectra",
    "to_chip_rate",
]
