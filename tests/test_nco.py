"""The Cython NCO against its NumPy reference, and phase continuity across blocks."""

import numpy as np
import pytest

from sdrlink.dsp.nco import Nco, mix_reference, tone


def _noise(rng, n):
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)


def test_nco_matches_numpy_reference(rng):
    x = _noise(rng, 5000)
    fs, f, r = 250e3, 12_345.6, -300.0
    y = Nco(fs, f, r).mix(x)
    ref = mix_reference(x, 0.0, f / fs, r / fs**2, 0)
    assert np.max(np.abs(y - ref)) < 1e-5


@pytest.mark.parametrize("rate", [150.0, 0.0])  # 0: the constant-frequency kernel
@pytest.mark.parametrize("cuts", [[1], [7, 999], [4096, 4097, 10000], list(range(1, 20000, 333))])
def test_nco_output_does_not_depend_on_block_cuts(rng, cuts, rate):
    x = _noise(rng, 20000)
    whole = Nco(1e6, 20e3, rate, phase=0.3).mix(x)
    nco = Nco(1e6, 20e3, rate, phase=0.3)
    edges = [0, *[c for c in cuts if c < len(x)], len(x)]
    parts = [nco.mix(x[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    assert np.array_equal(np.concatenate(parts), whole)


def test_nco_retune_keeps_phase_continuous():
    fs = 48_000.0
    nco = Nco(fs, 1000.0, sign=+1)
    a = nco.mix(np.ones(1000, np.complex64))
    phase_before = np.angle(a[-1])
    nco.retune(-2500.0, 40.0)
    b = nco.mix(np.ones(1000, np.complex64))
    # the first new sample continues from the last old one, advanced by one step of the
    # old frequency (the retune applies from the next sample on)
    expected = phase_before + 2 * np.pi * 1000.0 / fs
    assert abs(np.angle(b[0] * np.exp(-1j * expected))) < 1e-5
    # and the new segment has the new frequency
    inst = np.angle(b[2:] * np.conj(b[1:-1])) * fs / (2 * np.pi)
    assert abs(inst[0] - (-2500.0)) < 1.0


def test_tone_frequency_and_drift():
    fs = 100e3
    t = tone(100_000, 5_000.0, fs, rate=200.0)
    inst = np.angle(t[1:] * np.conj(t[:-1])) * fs / (2 * np.pi)
    assert abs(inst[0] - 5000.0) < 0.5
    assert abs(inst[-1] - 5200.0) < 0.5  # 1 s later, +200 Hz


def test_nco_long_run_keeps_precision():
    # one hour at 250 ksps in blocks: the phase at the end matches the closed form
    fs, f = 250e3, 9_876.5
    nco = Nco(fs, f)
    nco.skip(int(3600 * fs))
    expected = (f * 3600.0) % 1.0
    assert abs(((nco.phase - expected + 0.5) % 1.0) - 0.5) < 1e-6


@pytest.mark.parametrize("drift", [-900.0, 0.0])  # 0: the constant-frequency kernel
@pytest.mark.parametrize("k0", [0, 37, 10**9 + 5])
def test_kernel_is_exact_far_into_a_stream(rng, k0, drift):
    """Hours into a 2.4 Msps stream, with a fast drift or none, the phasor stays exact."""
    from sdrlink._ext import nco as kernel

    x = _noise(rng, 3001)
    fs = 2.4e6
    f, r = 21_345.7 / fs, drift / fs**2
    out = np.empty_like(x)
    kernel.mix_linear(x, out, 0.25, f, r, k0, -1)
    ref = mix_reference(x, 0.25, f, r, k0)
    assert np.max(np.abs(out - ref)) < 2e-5
