"""The FFT filter bank (sdrlink.dsp.channelizer): sizes, response, block independence."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlink.dsp.channelizer import FftChannelizer, plan_sizes

FS = 2.4e6
OFFSETS = [-700e3, 100e3, 300e3]


def _tones(n: int) -> np.ndarray:
    t = np.arange(n) / FS
    x = (
        np.exp(2j * np.pi * 137e3 * t)  # channel +100k, 37 kHz in: passband
        + 0.5 * np.exp(2j * np.pi * -790e3 * t)  # channel -700k, -90 kHz: passband edge
        + np.exp(2j * np.pi * 430e3 * t)  # 130 kHz from +300k: beyond its Nyquist
    )
    return x.astype(np.complex64)


def _run(ch: FftChannelizer, x: np.ndarray, block: int) -> list[np.ndarray]:
    outs: list[list[np.ndarray]] = [[] for _ in ch.centers]
    seen = [0] * ch.channels
    for s in range(0, len(x), block):
        for i, (y, j0) in enumerate(ch.process(x[s : s + block], s)):
            assert j0 == seen[i]
            outs[i].append(y)
            seen[i] += len(y)
    for i, (y, j0) in enumerate(ch.flush()):
        assert j0 == seen[i]
        outs[i].append(y)
    return [np.concatenate(o) for o in outs]


@pytest.mark.parametrize(
    ("fs", "rate", "exact"),
    [(2.4e6, 250e3, True), (10e6, 250e3, True), (1.024e6, 250e3, True), (2.4e6 + 7, 250e3, False)],
)
def test_sizes_give_the_rate(fs, rate, exact):
    n, k = plan_sizes(fs, rate)
    got = fs * k / n
    if exact:
        assert got == pytest.approx(rate, rel=1e-12)
    else:
        assert rate <= got < rate * 1.02


def test_outputs_are_mixed_filtered_and_resampled():
    x = _tones(300_000)
    ch = FftChannelizer(FS, 250e3, OFFSETS)
    assert ch.rate == 250e3 and ch.centers == OFFSETS
    ys = _run(ch, x, 65536)
    assert all(len(y) == int(np.ceil(len(x) / ch.ratio)) for y in ys)
    j = np.arange(len(ys[0]))
    t = j * ch.ratio / FS  # output j sits at input position j * N / K
    inner = slice(200, -200)
    ref1 = np.exp(2j * np.pi * 37e3 * t)
    ref0 = 0.5 * np.exp(2j * np.pi * -90e3 * t)
    assert np.max(np.abs(ys[1] - ref1)[inner]) < 1e-4
    assert np.max(np.abs(ys[0] - ref0)[inner]) < 1e-4
    assert np.max(np.abs(ys[2][inner])) < 1e-3  # outside the channel: gone


def test_outputs_do_not_depend_on_the_blocks():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(200_000) + 1j * rng.standard_normal(200_000)).astype(np.complex64)
    a = _run(FftChannelizer(FS, 250e3, OFFSETS), x, 100_000)
    b = _run(FftChannelizer(FS, 250e3, OFFSETS), x, 7777)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_a_gap_is_zeros():
    x = _tones(120_000)
    ch = FftChannelizer(FS, 250e3, OFFSETS)
    whole = x.copy()
    whole[50_000:60_000] = 0
    ref = _run(FftChannelizer(FS, 250e3, OFFSETS), whole, 50_000)
    parts: list[list[np.ndarray]] = [[], [], []]
    for piece, start in ((x[:50_000], 0), (x[60_000:], 60_000)):
        for i, (y, _) in enumerate(ch.process(piece, start)):
            parts[i].append(y)
    for i, (y, _) in enumerate(ch.flush()):
        parts[i].append(y)
    for i in range(3):
        np.testing.assert_allclose(np.concatenate(parts[i]), ref[i], atol=1e-6)
