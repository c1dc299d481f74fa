"""sdrlink.plot: Doppler pass, FSK eye diagram and soft bits, PER curves."""

from __future__ import annotations

import datetime as dt
import json

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from plot_util import png  # noqa: E402

from sdrlink.errors import ConfigError, InputError  # noqa: E402
from sdrlink.frame import Frame  # noqa: E402
from sdrlink.plot import doppler_pass, eye_diagram, per_curve, soft_bit_histogram  # noqa: E402
from sdrlink.plot.fsk import eye_traces  # noqa: E402

T0 = dt.datetime(2025, 6, 1, 10, 0, 0, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- Doppler pass
def pass_curve():
    t = np.arange(0, 600, 10.0)
    hz = -9e3 * np.tanh((t - 300) / 80)
    return [T0 + dt.timedelta(seconds=float(s)) for s in t], hz


def test_doppler_pass_points_and_curve_match_inputs():
    times, hz = pass_curve()
    frames = [
        Frame(
            "lora",
            0,
            b"a",
            True,
            8.1e3,
            time=T0 + dt.timedelta(seconds=100),
            fields={"doppler_predicted_hz": 8.0e3},
        ),
        Frame("lora", 0, b"b", True, -1.2e3, time=T0 + dt.timedelta(seconds=320)),
    ]
    ax = doppler_pass(frames, predicted=(times, hz))
    meas, pred, applied = ax.lines
    np.testing.assert_allclose(meas.get_xdata(), [100, 320])
    np.testing.assert_allclose(meas.get_ydata(), [8.1, -1.2])  # kHz
    np.testing.assert_allclose(pred.get_xdata(), np.arange(0, 600, 10.0))
    np.testing.assert_allclose(pred.get_ydata(), hz / 1e3)
    np.testing.assert_allclose(applied.get_ydata(), [8.0])
    assert pred.get_label() == "predicted (TLE)" and "kHz" in ax.get_ylabel()
    assert "2025-06-01T10:00:00Z" in ax.get_xlabel()


def test_doppler_pass_numpy_times_and_seconds_with_start_time():
    times, hz = pass_curve()
    t64 = np.array([t.replace(tzinfo=None) for t in times], dtype="datetime64[us]")
    frame = Frame("lora", 0, b"a", True, 5e3, time=T0 + dt.timedelta(seconds=60))
    ax = doppler_pass([frame], predicted=(t64, hz))
    np.testing.assert_allclose(ax.lines[1].get_xdata(), np.arange(0, 600, 10.0))
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [60.0])
    secs = np.arange(0, 600, 10.0)
    start = T0 - dt.timedelta(seconds=30)
    ax = doppler_pass([frame], predicted=(secs, hz), start_time=start)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [90.0])
    with pytest.raises(ConfigError, match="start_time"):
        doppler_pass([frame], predicted=(secs, hz))


def test_doppler_pass_in_seconds_from_sample_index():
    frames = [
        Frame("fsk", 48_000 * 5, b"x", True, 500.0),
        Frame("fsk", 48_000 * 9, b"y", True, -50.0),
    ]
    ax = doppler_pass(frames, predicted=([0.0, 10.0], [600.0, -600.0]), sample_rate=48e3)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [5, 9])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [500, -50])
    with pytest.raises(ConfigError, match="sample_rate"):
        doppler_pass(frames)
    with pytest.raises(ConfigError, match="length"):
        doppler_pass(frames, predicted=([0.0], [1.0, 2.0]), sample_rate=48e3)


# ---------------------------------------------------------------- FSK
def nrz(rng, sps=8, n=300):
    bits = rng.integers(0, 2, n)
    x = np.repeat(2.0 * bits - 1, sps)
    kernel = np.ones(sps // 2) / (sps // 2)
    return np.convolve(x, kernel, mode="same"), bits


def test_eye_diagram_traces_are_slices_of_the_signal(rng):
    x, _ = nrz(rng)
    ax = eye_diagram(x, 8, offset=4)
    lines = ax.lines
    assert len(lines) == (len(x) - 17 - 4) // 8 + 1
    np.testing.assert_allclose(lines[0].get_ydata(), x[4:21])
    np.testing.assert_allclose(lines[5].get_ydata(), x[44:61])
    np.testing.assert_allclose(lines[0].get_xdata(), np.arange(17) / 8 - 1)
    # fractional samples per symbol: traces start at rounded positions
    t, tr = eye_traces(x, 8.5, offset=0, max_traces=10_000)
    np.testing.assert_allclose(tr[3], x[26 : 26 + len(t)])  # round(3 * 8.5) = 26 (banker's)
    # trace count is capped, evenly thinned
    assert len(eye_traces(x, 8, max_traces=50)[1]) <= 50


def test_eye_diagram_open_vs_closed_eye_renders_differently(rng):
    x, _ = nrz(rng)
    clean = png(eye_diagram(x, 8))
    noisy = png(eye_diagram(x + rng.normal(0, 0.8, len(x)), 8))
    assert np.abs(clean - noisy).mean() > 0.005
    with pytest.raises(ConfigError, match="samples per symbol"):
        eye_diagram(x, 1)


def test_soft_bit_histogram_bars_count_the_values(rng):
    soft = np.concatenate([rng.normal(-1, 0.2, 500), rng.normal(1, 0.2, 700), [np.nan]])
    ax = soft_bit_histogram(soft, bins=40)
    heights = [p.get_height() for p in ax.patches]
    expect, _ = np.histogram(soft[:-1], bins=40)
    np.testing.assert_array_equal(heights, expect)
    assert "1200 values" in ax.get_title()
    with pytest.raises(ConfigError, match="no finite"):
        soft_bit_histogram([np.nan])


# ---------------------------------------------------------------- PER curves
RESULTS = [
    {"sf": 7, "rate": 250e3, "snr_db": -6.0, "per": 0.5, "trials": 20},
    {"sf": 7, "rate": 250e3, "snr_db": -10.0, "per": 1.0, "trials": 20},
    {"sf": 7, "rate": 250e3, "snr_db": -2.0, "per": 0.0, "trials": 20},
    {"sf": 9, "rate": 250e3, "snr_db": -12.0, "per": 0.3, "trials": 20},
    {"sf": 9, "rate": 250e3, "snr_db": -15.0, "per": 0.9, "trials": 20},
]


def test_per_curve_one_line_per_configuration(tmp_path):
    path = tmp_path / "per.json"
    path.write_text(json.dumps({"results": RESULTS}))
    ax = per_curve(path, log=False)
    sf7, sf9 = ax.lines
    assert sf7.get_label() == "rate 250k, SF7" and sf9.get_label() == "rate 250k, SF9"
    np.testing.assert_allclose(sf7.get_xdata(), [-10, -6, -2])
    np.testing.assert_allclose(sf7.get_ydata(), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(sf9.get_xdata(), [-15, -12])
    np.testing.assert_allclose(sf9.get_ydata(), [0.9, 0.3])


def test_per_curve_log_scale_marks_zero_per(tmp_path):
    ax = per_curve(RESULTS)
    assert ax.get_yscale() == "log"
    zero = [ln for ln in ax.lines if ln.get_label().startswith("_")]
    assert len(zero) == 1 and list(zero[0].get_xdata()) == [-2.0]
    assert 0 < zero[0].get_ydata()[0] < 0.3
    other = per_curve([dict(r, per=1 - r["per"]) for r in RESULTS])
    assert np.abs(png(ax) - png(other)).mean() > 0.005


def test_per_curve_bad_inputs(tmp_path):
    with pytest.raises(ConfigError, match="snr_db"):
        per_curve([{"sf": 7, "per": 0.1}])
    with pytest.raises(ConfigError, match="no benchmark"):
        per_curve([])
    bad = tmp_path / "x.json"
    bad.write_text("{nope")
    with pytest.raises(InputError, match="not JSON"):
        per_curve(bad)
    with pytest.raises(InputError, match="cannot read"):
        per_curve(tmp_path / "missing.json")


def test_eye_diagram_centres_the_eye_by_default(rng):
    x, _ = nrz(rng, sps=10)
    for shift in (0, 3, 7):
        t, tr = eye_traces(np.roll(x, shift), 10)
        level = np.abs(tr).mean(axis=0)
        assert level[np.argmin(np.abs(t))] > 0.95  # open in the middle
        assert level[np.argmin(np.abs(t + 0.5))] < 0.8  # crossings half a symbol away
        assert level[np.argmin(np.abs(t - 0.5))] < 0.8
