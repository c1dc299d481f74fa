"""sdrlink.plot.lora: dechirped spectrogram, per-symbol FFT peaks, acquisition surface."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from plot_util import png  # noqa: E402

import sdrlink.protocols.lora.modulator as lora_mod  # noqa: E402
from sdrlink import channel  # noqa: E402
from sdrlink.errors import ConfigError  # noqa: E402
from sdrlink.plot import acquisition_surface, lora_dechirped, lora_symbols  # noqa: E402
from sdrlink.plot.lora import symbol_peaks  # noqa: E402
from sdrlink.protocols.lora.params import LoRaParams  # noqa: E402

SF, BW, FS = 7, 125e3, 500e3
OS = int(FS / BW)
N = 1 << SF
DATA_START = int((8 + 2 + 2.25) * N * OS)  # preamble, sync word, 2.25 down-chirps
SYMBOLS = np.array([5, 100, 3, 77, 0, 127, 64, 31])


def frame(rng, cfo_hz=0.0, snr_db=0.0, symbols=SYMBOLS) -> np.ndarray:
    x = lora_mod.modulate_symbols(LoRaParams(sf=SF, bw=BW), symbols, FS)
    return channel.channel(x, FS, snr_db=snr_db, signal_bw=BW, cfo_hz=cfo_hz, rng=rng)


def test_symbol_peaks_are_the_modulated_values(rng):
    y = frame(rng, snr_db=-5)
    np.testing.assert_array_equal(symbol_peaks(y, SF, BW, FS, start=DATA_START), SYMBOLS)
    # preamble up-chirps dechirp to bin 0, the sync word to 8 * nibble (0x12)
    np.testing.assert_array_equal(symbol_peaks(y, SF, BW, FS, n_symbols=10), [0] * 8 + [8, 16])


def test_lora_symbols_marks_each_peak(rng):
    y = frame(rng, snr_db=0)
    ax = lora_symbols(y, SF, BW, FS, start=DATA_START)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), SYMBOLS)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(len(SYMBOLS)))
    assert [t.get_text() for t in ax.texts] == [str(s) for s in SYMBOLS]
    assert ax.images[0].get_array().shape == (N, len(SYMBOLS))
    other = lora_symbols(frame(rng, symbols=SYMBOLS[::-1]), SF, BW, FS, start=DATA_START)
    assert np.abs(png(ax) - png(other)).mean() > 0.001


def test_lora_dechirped_preamble_line_sits_at_the_cfo_bin(rng):
    cfo = 10 * BW / N  # ten bins
    ax = lora_dechirped(frame(rng, cfo_hz=cfo, snr_db=5), SF, BW, FS)
    img = np.asarray(ax.images[0].get_array())
    assert img.shape[0] == N
    t0, t1 = ax.images[0].get_extent()[:2]
    cols = int(6 / (t1 - t0) * img.shape[1])  # first six symbols: preamble
    rows = np.argmax(img[:, 1:cols], axis=0)
    assert np.all(rows == 10)
    # removing the offset puts the line back at bin 0
    ax0 = lora_dechirped(frame(rng, cfo_hz=cfo, snr_db=5), SF, BW, FS, cfo_hz=cfo)
    img0 = np.asarray(ax0.images[0].get_array())
    assert np.all(np.argmax(img0[:, 1:cols], axis=0) == 0)


def test_acquisition_surface_ridge_at_carrier_offset(rng):
    cfo = -20e3
    y = frame(rng, cfo_hz=cfo, snr_db=5)[: 6 * N * OS]  # inside the preamble
    ax = acquisition_surface(y, FS, sf=SF, bw=BW, three_d=False)
    img = np.asarray(ax.images[0].get_array())
    f_lo, f_hi = ax.images[0].get_extent()[2:]
    freqs = np.linspace(f_lo, f_hi, img.shape[0])  # kHz
    # with symbol-aligned windows (every 4th) the ridge is exactly the offset
    peak = freqs[np.argmax(img[:, ::4], axis=0)]
    np.testing.assert_allclose(peak, cfo / 1e3, atol=BW / N / 1e3)
    # the 3-D version draws a surface on 3-D axes
    ax3 = acquisition_surface(y, FS, sf=SF, bw=BW)
    assert ax3.name == "3d" and len(ax3.collections) == 1
    assert png(ax3).std() > 0.01


def test_acquisition_surface_plain_spectrum_without_sf(rng):
    x = channel.add_noise(
        channel.apply_offset(np.ones(20_000, np.complex64), FS, 30e3), 20, 5e3, FS, rng
    )
    ax = acquisition_surface(x, FS, nfft=200, three_d=False)
    img = np.asarray(ax.images[0].get_array())
    f_lo, f_hi = ax.images[0].get_extent()[2:]
    freqs = np.linspace(f_lo, f_hi, img.shape[0])
    assert np.all(np.abs(freqs[np.argmax(img, axis=0)] - 30.0) <= FS / 200 / 1e3)


def test_lora_plots_reject_bad_parameters(rng):
    y = frame(rng)
    with pytest.raises(ConfigError, match="spreading factor"):
        lora_symbols(y, 13, BW, FS)
    with pytest.raises(ConfigError, match="exceeds"):
        lora_dechirped(y, SF, 2 * FS, FS)
    with pytest.raises(ConfigError, match="bw="):
        acquisition_surface(y, FS, sf=SF)
    with pytest.raises(ConfigError, match="fewer than one"):
        lora_symbols(y[:100], SF, BW, FS)
