"""sdrlink.plot.spectrum and sdrlink.plot.waterfall: streamed spectrogram, burst outlines."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from plot_util import png  # noqa: E402

from sdrlink import channel  # noqa: E402
from sdrlink.dsp.nco import tone  # noqa: E402
from sdrlink.errors import ConfigError  # noqa: E402
from sdrlink.frame import Frame  # noqa: E402
from sdrlink.plot import spectrogram, waterfall  # noqa: E402
from sdrlink.plot.spectrum import spectrogram_of  # noqa: E402
from sdrlink.recording import Recording, open_recording  # noqa: E402
from sdrlink.sources.writer import SigMFWriter  # noqa: E402

FS = 200e3


def burst_signal(rng, n=200_000, start=80_000, length=30_000, f=40e3, snr_db=15.0):
    """Noise with one tone burst at ``f`` Hz over ``[start, start + length)``."""
    x = np.zeros(n, np.complex64)
    x[start : start + length] = tone(length, f, FS)
    return channel.add_noise(x, snr_db, 5e3, FS, rng)


def rects(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "burst"]


def test_spectrogram_same_for_any_block_size(rng):
    x = burst_signal(rng)
    whole = spectrogram([x], len(x), FS, nfft=256, max_rows=50)
    for size in (1000, 4097, 65536):
        blocks = [x[i : i + size] for i in range(0, len(x), size)]
        parts = spectrogram(blocks, len(x), FS, nfft=256, max_rows=50)
        np.testing.assert_allclose(parts.power, whole.power, rtol=1e-5)
    assert 45 <= whole.power.shape[0] <= 50  # bounded rows however long the input
    assert whole.power.shape[1] == 256


def test_spectrogram_finds_tone_and_burst_rows(rng):
    x = burst_signal(rng)
    spec = spectrogram([x], len(x), FS, nfft=512, max_rows=100)
    row_power = spec.power.max(axis=1)
    loud = np.flatnonzero(row_power > 10 * np.median(row_power))
    centres = (spec.t_edges[loud] + spec.t_edges[loud + 1]) / 2
    assert centres.min() == pytest.approx(0.40, abs=0.02)  # burst 80k..110k samples
    assert centres.max() == pytest.approx(0.55, abs=0.02)
    peak = spec.freqs[np.argmax(spec.power[loud].sum(axis=0))]
    assert peak == pytest.approx(40e3, abs=FS / 512)


def test_spectrogram_real_input_is_one_sided(rng):
    audio = np.sin(2 * np.pi * 3e3 * np.arange(48_000) / 48e3).astype(np.float32)
    spec, _ = spectrogram_of(audio, 48e3, nfft=256)
    assert spec.freqs[0] == 0 and spec.freqs[-1] == 24e3
    assert spec.freqs[np.argmax(spec.power.mean(axis=0))] == pytest.approx(3e3, abs=200)


def test_waterfall_outlines_frame_where_the_burst_is(rng):
    x = burst_signal(rng)
    frame = Frame(
        "lora", 80_000, b"abc", True, 40e3, 12.0, fields={"num_samples": 30_000, "bw": 10e3}
    )
    bad = Frame("lora", 150_000, b"", False, -20e3, 1.0)
    ax = waterfall(x, [frame, bad], sample_rate=FS, nfft=256)
    good, dashed = rects(ax)
    # kHz on the x axis, seconds on the y axis
    assert good.get_xy() == pytest.approx((35.0, 0.4))
    assert (good.get_width(), good.get_height()) == pytest.approx((10.0, 0.15))
    assert dashed.get_linestyle() == "--" and dashed.get_edgecolor()[:3] == pytest.approx(
        matplotlib.colors.to_rgb("orange")
    )
    # unknown bandwidth: the box spans the whole display
    assert dashed.get_width() == pytest.approx(FS / 1e3, rel=0.01)
    assert [t.get_text() for t in ax.texts] == ["#0 lora 3 B", "#1 lora 0 B BAD"]
    # the brightest image column is the tone's frequency
    img = np.asarray(ax.images[0].get_array())
    x0, x1 = ax.images[0].get_extent()[:2]
    col = np.argmax(img.mean(axis=0))
    assert x0 + (col + 0.5) * (x1 - x0) / img.shape[1] == pytest.approx(40.0, abs=1.0)


def test_waterfall_image_depends_on_the_data(rng):
    a = png(waterfall(burst_signal(rng, f=40e3), sample_rate=FS, nfft=256))
    b = png(waterfall(burst_signal(rng, f=-60e3), sample_rate=FS, nfft=256))
    assert a.shape == b.shape
    assert np.abs(a - b).mean() > 0.01


def test_waterfall_of_recording_uses_annotations_and_streams(tmp_path, rng, monkeypatch):
    x = burst_signal(rng, n=400_000)
    with SigMFWriter(tmp_path / "r", sample_rate=FS, center_freq=437e6) as w:
        w.write(x)
        w.add_annotation(80_000, 30_000, label="beacon", freq_lower=437.035e6, freq_upper=437.045e6)
    rec = open_recording(tmp_path / "r.sigmf-meta")
    reads = []
    real_read = Recording._read

    def spy(self, start, count):
        reads.append(count)
        return real_read(self, start, count)

    monkeypatch.setattr(Recording, "_read", spy)
    ax = waterfall(rec, nfft=256, max_rows=40)
    assert max(reads) <= 1 << 20 and sum(reads) == len(x)
    (box,) = rects(ax)
    assert box.get_xy() == pytest.approx((35.0, 0.4))
    assert box.get_width() == pytest.approx(10.0)
    assert [t.get_text() for t in ax.texts] == ["beacon"]
    assert "437.0000 MHz" in ax.get_xlabel()
    assert ax.images[0].get_array().shape[0] <= 40
    # annotations=False: no outlines; a time window zooms the display
    ax2 = waterfall(rec, annotations=False, start_s=0.3, dur_s=0.4, nfft=256)
    assert rects(ax2) == [] and ax2.get_ylim() == pytest.approx((0.7, 0.3), abs=0.01)


def test_waterfall_draws_on_given_axes_and_checks_input(rng):
    fig, (a, b) = plt.subplots(1, 2)
    assert waterfall(burst_signal(rng), sample_rate=FS, ax=b, colorbar=False) is b
    assert len(b.images) == 1 and len(a.images) == 0
    with pytest.raises(ConfigError, match="sample_rate"):
        waterfall(np.zeros(10_000, np.complex64))
    with pytest.raises(ConfigError, match="too few"):
        waterfall(np.zeros(100, np.complex64), sample_rate=FS)


def test_lora_frame_box_length_from_symbol_count():
    from sdrlink.plot.waterfall import frame_boxes

    f = Frame("lora", 50_000, b"x", True, 1e3, fields={"sf": 8, "bw": 125e3, "n_symbols": 23})
    (box,) = frame_boxes([f], FS, default_dur_s=1.0)
    assert box.t0 == pytest.approx(0.25)
    assert box.t1 - box.t0 == pytest.approx((8 + 4.25 + 23) * 256 / 125e3)
    assert (box.f_lo, box.f_hi) == (1e3 - 62.5e3, 1e3 + 62.5e3)


def test_fsk_frame_box_length_from_payload_and_baud():
    from sdrlink.plot.waterfall import frame_boxes

    f = Frame("fsk", 4_800, bytes(61), True, fields={"baud": 9600.0, "framing": "ax100"})
    (box,) = frame_boxes([f], 48e3, default_dur_s=1.0, label=None)
    assert box.t1 - box.t0 == pytest.approx(8 * (61 + 39) / 9600)
    assert box.label == "" and box.f_lo is None  # band unknown: whole display


def test_default_labels_name_the_mode():
    from sdrlink.plot.waterfall import default_label

    assert default_label(2, Frame("lora", 0, b"abc", True, fields={"sf": 9})) == "#2 lora SF9 3 B"
    fsk = Frame("fsk", 0, b"ab", False, fields={"baud": 9600.0})
    assert default_label(0, fsk) == "#0 fsk 9600 Bd 2 B BAD"
