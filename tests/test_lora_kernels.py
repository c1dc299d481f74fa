"""Cython LoRa kernels (sdrlink._ext.lora_dsp) against the NumPy code they replace."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest

from sdrlink._ext import lora_dsp
from sdrlink.protocols.lora.channel import Channelizer, FrameResampler, SampleBuffer, design_bank
from sdrlink.protocols.lora.demod import ref_chirps, symbol_llrs, value_bins


def _noise(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def _fir_ref(x: np.ndarray, base: np.ndarray, phase: np.ndarray, bank: np.ndarray) -> np.ndarray:
    ntaps = bank.shape[1]
    idx = base[:, None] + np.arange(ntaps)[None, :]
    return (x[idx].astype(np.complex128) * bank[phase]).sum(axis=1)


@pytest.mark.parametrize("ratio", [2.0, 8.0 / 3.0, 8.0])
def test_fir_rational_matches_direct_sum(ratio: float) -> None:
    rng = np.random.default_rng(1)
    ch = Channelizer(ratio * 125e3, 125e3, 0.0)
    x = _noise(rng, 5000)
    x0, k0 = -40, 30
    k1 = ((len(x) + x0 - ch.half - 2) * ch.den) // ch.num
    out = np.empty(k1 - k0, dtype=np.complex64)
    lora_dsp.fir_rational(x, x0, k0, k1, ch.num, ch.den, ch.half, ch.bank2, out)
    k = np.arange(k0, k1)
    base = (k * ch.num) // ch.den - ch.half + 1 - x0
    ref = _fir_ref(x, base, (k * ch.num) % ch.den, ch.bank)
    np.testing.assert_allclose(out, ref, rtol=0, atol=2e-5 * np.abs(ref).max())


def test_fir_halfband_matches_full_bank() -> None:
    rng = np.random.default_rng(2)
    ch = Channelizer(250e3, 125e3, 0.0)
    assert ch.halfband  # fs = 2 bw: every other tap of the low-pass is zero
    x = _noise(rng, 4000)
    x0, k0 = 7, 40
    k1 = (len(x) + x0 - ch.half - 2) // 2
    out = np.empty(k1 - k0, dtype=np.complex64)
    center = float(ch.bank[0, ch.half - 1])
    lora_dsp.fir_halfband(x, x0, k0, k1, ch.half, ch.even, center, out)
    k = np.arange(k0, k1)
    ref = _fir_ref(x, 2 * k - ch.half + 1 - x0, np.zeros(len(k), dtype=np.int64), ch.bank)
    np.testing.assert_allclose(out, ref, rtol=0, atol=2e-5 * np.abs(ref).max())
    with pytest.raises(IndexError):
        lora_dsp.fir_halfband(
            x, x0, k0, k1 + 5, ch.half, ch.even, center, np.empty(k1 + 5 - k0, np.complex64)
        )


def test_channelizer_halfband_path_equals_general_path() -> None:
    rng = np.random.default_rng(3)
    x = _noise(rng, 30000)
    fast, slow = Channelizer(250e3, 125e3, 0.0), Channelizer(250e3, 125e3, 0.0)
    slow.halfband = False
    a = np.concatenate([fast.process(x[s : s + 7000], s)[0] for s in range(0, len(x), 7000)])
    b = slow.process(x, 0)[0]
    assert len(a) == len(b) > 14000
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


@pytest.mark.parametrize("stretch", [0.0, 3e-5])
def test_frame_resampler_matches_numpy_positions(stretch: float) -> None:
    """fir_track + mix_tone against the former NumPy positions, phases and FIR."""
    rng = np.random.default_rng(4)
    fs, freq = 250e3, 3210.5
    rs = FrameResampler(fs, 125e3)
    raw = SampleBuffer()
    raw.append(_noise(rng, 20000))
    p0, k0, k1 = 1234.37, 3, 4000
    got = rs.chips(raw, p0, k0, k1, freq, stretch)
    a, b = rs.span(p0, k0, k1)
    a -= int(abs(stretch) * (k1 - k0) * rs.ratio) + 1
    b += int(abs(stretch) * (k1 - k0) * rs.ratio) + 1
    idx = np.arange(a, b)
    seg = raw.view(a, b) * np.exp(-2j * np.pi * freq / fs * idx)
    k = np.arange(k0, k1, dtype=np.float64)
    pos = p0 + k0 * rs.ratio + (k - k0) * (rs.ratio * (1.0 + stretch))
    fl = np.floor(pos)
    q = np.round((pos - fl) * rs.PHASES).astype(np.int64)
    fl = fl.astype(np.int64) + q // rs.PHASES
    q %= rs.PHASES
    ref = _fir_ref(seg, fl - rs.half + 1 - a, q, rs.bank)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-4)


def test_mix_tone_matches_exp() -> None:
    rng = np.random.default_rng(5)
    x = _noise(rng, 3000)
    out = np.empty_like(x)
    f, k0 = 0.123456789, 10_000_003
    lora_dsp.mix_tone(x, f, k0, out)
    ref = x * np.exp(-2j * np.pi * f * np.arange(k0, k0 + len(x), dtype=np.float64))
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5)


def test_dechirp_shift_matches_numpy() -> None:
    rng = np.random.default_rng(6)
    n = 256
    x = _noise(rng, (5, n))
    ref_chirp = ref_chirps(8)[0]
    shift = np.array([0.0, 0.3, -7.25, 100.5, 1e-3])
    out = np.empty_like(x)
    lora_dsp.dechirp_shift(x, ref_chirp, shift, out)
    ramp = np.arange(n) / n
    ref = x * ref_chirp[None, :] * np.exp(-2j * np.pi * shift[:, None] * ramp[None, :])
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5)
    one = np.empty_like(x)
    lora_dsp.dechirp_shift(x, ref_chirp, np.array([0.3]), one)  # one shift for all rows
    np.testing.assert_allclose(one[1], out[1], rtol=0, atol=1e-6)
    with pytest.raises(ValueError):
        lora_dsp.dechirp_shift(x, ref_chirp, np.zeros(3), out)


def test_fold_phase_jump_matches_cumsum() -> None:
    rng = np.random.default_rng(7)
    n = 128
    r = _noise(rng, (6, n))
    freq = np.array([3.2, 100.0, 64.5, -1.25, 17.0, 0.0])
    fold = np.array([20, 100, 64, 0, 127, 50], dtype=np.int64)
    out = np.empty(len(r))
    lora_dsp.fold_phase_jump(r, freq, fold, out)
    rr = r * np.exp(-2j * np.pi * freq[:, None] * (np.arange(n) / n)[None, :])
    cs = np.cumsum(rr, axis=1)
    head = cs[np.arange(len(r)), np.maximum(fold - 1, 0)]
    tail = cs[:, -1] - head
    ref = np.angle(tail * np.conj(head)) / (2 * np.pi)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-6)


def test_scan_kernels_match_numpy() -> None:
    """pair_power + trigger_stats against the detector's former NumPy statistics."""
    rng = np.random.default_rng(8)
    n = 128
    spec = _noise(rng, (40, n))
    spec[10:16, 37] += 60.0  # a preamble-like run at bin 37
    spec[12, 38] += 200.0
    power = np.empty((len(spec), n), dtype=np.float32)
    lora_dsp.pair_power(spec, power)
    ref_pow = spec.real**2 + spec.imag**2
    ref_pow += np.roll(ref_pow, -1, axis=1)
    np.testing.assert_allclose(power, ref_pow, rtol=1e-6)
    m = len(power) - 3
    ks, ratio, agree = np.empty(m, np.int64), np.empty(m), np.empty(m, np.int64)
    lora_dsp.trigger_stats(power, ks, ratio, agree)
    s = power[:m] + power[1 : m + 1] + power[2 : m + 2] + power[3 : m + 3]
    ref_ks = np.argmax(s, axis=1)
    ref_ratio = s[np.arange(m), ref_ks] / s.mean(axis=1)
    a = np.argmax(power, axis=1)
    ref_agree = np.zeros(m, dtype=np.int64)
    for r in range(4):
        d = (a[r : r + m] - ref_ks) % n
        ref_agree += (d <= 1) | (d >= n - 1)
    np.testing.assert_array_equal(ks, ref_ks)
    np.testing.assert_allclose(ratio, ref_ratio, rtol=1e-5)
    np.testing.assert_array_equal(agree, ref_agree)
    assert set(np.flatnonzero(agree >= 3)) >= {10, 11, 12}
    assert ks[11] in (36, 37, 38)


@pytest.mark.parametrize(("sf", "reduced"), [(7, False), (8, True), (9, False)])
def test_symbol_llrs_match_mask_reference(sf: int, reduced: bool) -> None:
    rng = np.random.default_rng(9)
    n = 1 << sf
    mag = np.abs(_noise(rng, (6, n))).astype(np.float64)
    got = symbol_llrs(mag, sf, reduced)
    bins = value_bins(sf, reduced)
    m = mag[:, bins]
    if reduced:
        m = np.maximum(np.maximum(m, mag[:, (bins - 1) % n]), mag[:, (bins + 1) % n])
    bits = sf - 2 if reduced else sf
    vals = np.arange(1 << bits)
    ref = np.empty((len(mag), bits))
    for j in range(bits):
        one = ((vals >> (bits - 1 - j)) & 1).astype(bool)
        ref[:, j] = m[:, ~one].max(axis=1) - m[:, one].max(axis=1)
    np.testing.assert_array_equal(got, ref)


def test_design_bank_halfband_zeros() -> None:
    bank, half = design_bank(2.0, 12, 1)
    odd = np.delete(bank[0, 1::2], half // 2 - 1)
    assert np.abs(odd).max() < 1e-6
    assert abs(bank[0, half - 1] - 0.5) < 1e-3


def test_peak_stats_match_numpy() -> None:
    """The tracker's per-symbol peak statistics against the NumPy steps they replace."""
    from sdrlink.protocols.lora.demod import frac_offsets
    from sdrlink.protocols.lora.measure import jacobsen

    rng = np.random.default_rng(7)
    n, rows = 128, 40
    t = np.arange(n)
    tone = np.exp(2j * np.pi * rng.uniform(0, n, rows)[:, None] * t / n)
    amp = rng.choice([0.0, 0.3, 3.0], rows)[:, None]  # noise only, weak, clear peaks
    full = np.fft.fft(amp * tone + _noise(rng, (rows, n)), axis=1).astype(np.complex64)
    spec = np.empty((rows, n), np.float32)
    k = np.empty(rows, np.int64)
    frac, exact = np.empty(rows), np.empty(rows)
    reliable = np.empty(rows, np.uint8)
    lora_dsp.peak_stats(full, spec, k, frac, exact, reliable, 6.0)
    mag = np.abs(full)
    r = np.arange(rows)
    kr = np.argmax(mag, axis=1)
    np.testing.assert_allclose(spec, mag, rtol=1e-6)
    np.testing.assert_array_equal(k, kr)
    lo, hi = (kr - 1) % n, (kr + 1) % n
    np.testing.assert_allclose(frac, frac_offsets(mag[r, lo], mag[r, kr], mag[r, hi]), atol=1e-5)
    np.testing.assert_allclose(exact, jacobsen(full[r, lo], full[r, kr], full[r, hi]), atol=1e-5)
    want = mag[r, kr] ** 2 > 6.0 * np.mean(mag**2, axis=1)
    np.testing.assert_array_equal(reliable.astype(bool), want)
    assert 0 < want.sum() < rows  # both kinds of row were met


def test_sample_buffer_holds_the_kept_span_and_stays_bounded() -> None:
    """Random appends and trims against a plain array: every view reads what was
    appended (zeros outside), a steady stream of large blocks does not reallocate
    every block, and after a burst of huge blocks the memory shrinks back."""
    rng = np.random.default_rng(3)
    buf, ref, keep = SampleBuffer(), np.zeros(0, np.complex64), 0
    sizes = [150_000] * 30 + [1_000_000] * 2 + [int(v) for v in rng.integers(1, 3000, 200)]
    allocs, last = [], None
    for n in sizes:
        x = _noise(rng, n)
        buf.append(x)
        ref = np.concatenate([ref, x])
        keep = max(keep, buf.stop - int(rng.integers(0, 4000)))
        buf.trim(keep)
        a = keep - int(rng.integers(0, 50))
        b = min(buf.stop + int(rng.integers(0, 50)), len(ref) + 50)
        want = np.zeros(b - a, np.complex64)
        lo, hi = max(a, keep), min(b, len(ref))
        want[lo - a : hi - a] = ref[lo:hi]
        np.testing.assert_array_equal(buf.view(a, b), want)
        allocs.append(buf._data is not last)
        last = buf._data
    assert sum(allocs[:30]) <= 3  # the steady stream: room kept for the next block
    assert len(buf._data) < 4 * 150_000  # the huge blocks' room was given back


@pytest.mark.parametrize("sizes", [[(8, 3)], [(7, 2), (8, 3), (7, 2), (9, 4)]])
def test_dechirp_bins_match_the_fft(sizes) -> None:
    """A few bins of dechirped, shifted windows equal those bins of the full FFT (also
    when calls of several sizes follow one another: the bin steps are kept per size)."""
    from sdrlink.protocols.lora.demod import dechirp_fft

    rng = np.random.default_rng(11)
    for sf, nb in sizes:
        n = 1 << sf
        x = _noise(rng, 5000)
        starts = rng.integers(0, len(x) - n, 30).astype(np.int64)
        shift = rng.uniform(-n / 2, n / 2, 30)
        shift[:5] = np.round(shift[:5])  # whole bins too
        first = rng.integers(-2, n, 30).astype(np.int64)  # beyond 0..N-1: wrapped
        bins = first[:, None] + np.arange(nb)
        windows = np.stack([x[s : s + n] for s in starts])
        for down in (False, True):
            dn, up = ref_chirps(sf)
            out = np.empty((30, nb), np.float32)
            lora_dsp.dechirp_bins(x, starts, shift, up if down else dn, first, out)
            full = np.abs(dechirp_fft(windows, sf, shift=shift, down=down)) ** 2
            want = full[np.arange(30)[:, None], bins % n]
            np.testing.assert_allclose(out, want, rtol=2e-4, atol=1e-4 * full.max())


# ------------------------------------- preamble estimators against their Python form

DRIFT_SPAN_REF = 3


def _median_ref(values):
    v = sorted(values)
    h = len(v) // 2
    return v[h] if len(v) % 2 else (v[h - 1] + v[h]) / 2


def _peak_pos_ref(mag, k):
    m = len(mag)
    a, b, c = float(mag[(k - 1) % m]), float(mag[k]), float(mag[(k + 1) % m])
    den = a - 2 * b + c
    if den >= 0:
        return float(k)
    return k + min(max(0.5 * (a - c) / den, -0.5), 0.5)


def wrap(x, n):
    return (x + n / 2) % n - n / 2


def _preamble_offsets_ref(
    up: np.ndarray, down: np.ndarray, pad: int = 1, up_power: np.ndarray | None = None
) -> tuple[float, float, float]:
    m = up.shape[1]
    n_up = up.shape[0]
    pu_pow = (np.abs(up) ** 2 if up_power is None else up_power).sum(axis=0)
    pd_pow = (np.abs(down) ** 2).sum(axis=0)
    ku, kd = int(np.argmax(pu_pow)), int(np.argmax(pd_pow))
    pu = wrap(_peak_pos_ref(np.sqrt(pu_pow), ku), m) / pad
    pd = wrap(_peak_pos_ref(np.sqrt(pd_pow), kd), m) / pad
    col = up[:, ku].tolist()  # the peak bin of every window, as Python complex
    prods = [col[i + 1] * col[i].conjugate() for i in range(n_up - 1)]
    t_u, t_d = n_up / 2, n_up + 3.0  # mean window centres
    rho = 0.0
    n_p = len(prods)
    if n_p >= 4:
        cyc = [cmath.phase(v) / (2 * math.pi) for v in prods]
        for i in range(1, n_p):  # unwrapped
            cyc[i] -= round(cyc[i] - cyc[i - 1])
        x_mean = (n_p + 1) / 2  # pair i measures time i + 1
        dx = [i + 1 - x_mean for i in range(n_p)]
        sxx = sum(d * d for d in dx)
        c_mean = sum(cyc) / n_p
        slope = sum(d * (c - c_mean) for d, c in zip(dx, cyc, strict=True)) / sxx
        resid = [c - c_mean - slope * d for d, c in zip(dx, cyc, strict=True)]
        sigma = math.sqrt(sum(r * r for r in resid) / max(n_p - 2, 1) / sxx)
        if abs(slope) > 3 * sigma:  # a real drift (Doppler), not noise
            rho = min(max(slope, -0.5), 0.5)
    # fractional offset at t_u from the phase advance, drift removed
    total = sum(v * cmath.exp(-2j * math.pi * rho * (i + 1 - t_u)) for i, v in enumerate(prods))
    if down.shape[0] >= 2:
        d0, d1 = complex(down[0, kd]), complex(down[1, kd])
        total += d1 * d0.conjugate() * cmath.exp(-2j * math.pi * rho * (t_d - t_u))
    cf = cmath.phase(total) / (2 * math.pi)
    timing = (pu - pd + rho * (t_d - t_u)) / 2
    c_mag = pu - timing  # offset at t_u from the magnitudes
    c_u = cf + round(c_mag - cf)
    return c_u - rho * t_u, rho, timing


def _peak_drift_ref(
    up: np.ndarray, pad: int = 1, power: np.ndarray | None = None
) -> tuple[float, float]:
    m = up.shape[1]
    if power is None:
        power = np.abs(up) ** 2
    ku = int(np.argmax(power.sum(axis=0)))
    span = DRIFT_SPAN_REF * pad
    local = np.sqrt(power[:, (ku + np.arange(-span, span + 1)) % m])
    j = np.clip(np.argmax(local, axis=1), 1, 2 * span - 1)
    rows = np.arange(len(local))
    lo, mid, hi = (local[rows, j + d].tolist() for d in (-1, 0, 1))
    pos = []
    for jj, a, b, c in zip(j.tolist(), lo, mid, hi, strict=True):
        den = a - 2 * b + c  # as frac_offsets: 0 where the three do not bend down
        off = min(max(0.5 * (a - c) / den, -0.5), 0.5) if den < 0 else 0.0
        pos.append((jj + off) / pad)
    n_w = len(pos)
    if n_w * (n_w - 1) // 2 < 3:
        return 0.0, math.inf
    slope = _median_ref(
        [(pos[k] - pos[i]) / (k - i) for i in range(n_w) for k in range(i + 1, n_w)]
    )
    x_mean = (n_w - 1) / 2
    resid = [p - slope * (r - x_mean) for r, p in enumerate(pos)]
    med = _median_ref(resid)
    worst_out = sorted(abs(r - med) for r in resid)[:-1]  # the worst window left out
    spread = math.sqrt(sum(r * r for r in worst_out) / max(len(worst_out) - 2, 1))
    return slope, spread / math.sqrt(sum((r - x_mean) ** 2 for r in range(n_w)))


def _preamble_rows(rng, sf, pad, cfo, drift, timing, snr_db):
    """Dechirped, padded spectra of 7 up-chirps and 2 down-chirps with the given
    carrier (bins), drift (bins per symbol) and timing (chips), in noise."""
    from sdrlink.protocols.lora.demod import dechirp_fft

    n = 1 << sf
    m = np.arange(n)
    up_rows, dn_rows = [], []
    amp = 10 ** (snr_db / 20)
    for w in list(range(7)) + [10, 11]:
        f = cfo + drift * (w + 0.5)
        sign = -1 if w >= 10 else 1
        tone = np.exp(2j * np.pi * (f + sign * timing) * m / n + 2j * np.pi * cfo * w)
        chirp = ref_chirps(sf)[1] if sign > 0 else ref_chirps(sf)[0]
        row = amp * tone * chirp + _noise(rng, n) / np.sqrt(2)
        (up_rows if sign > 0 else dn_rows).append(row)
    up = dechirp_fft(np.array(up_rows), sf, pad=pad)
    down = dechirp_fft(np.array(dn_rows), sf, down=True, pad=pad)
    return up, down


@pytest.mark.parametrize("seed", range(12))
def test_preamble_kernels_match_their_python_form(seed: int) -> None:
    from sdrlink.protocols.lora.sync import peak_drift, preamble_offsets

    rng = np.random.default_rng(seed)
    sf = [7, 9, 12][seed % 3]
    up, down = _preamble_rows(
        rng,
        sf,
        4,
        rng.uniform(-20, 20),
        [0.0, 0.02, -0.3][seed % 3],
        rng.uniform(-2, 2),
        [-5.0, 5.0, 20.0][seed % 3] if seed < 9 else -25.0,  # the last ones: noise only
    )
    got = preamble_offsets(up, down, 4)
    want = _preamble_offsets_ref(up, down, 4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    got_d = peak_drift(up, 4)
    want_d = _peak_drift_ref(up, 4)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-5, atol=1e-6)


def _track_ref(pred, reliable, err, jump, state, timing, gains, max_diff, max_lag):
    delta, rho, tau, tau_rate = state
    alpha, beta, gamma, gamma2 = gains
    tau_used = tau
    for i in range(len(pred)):
        lag = tau - tau_used
        diff = (delta - lag) - pred[i]
        if i > 0 and (abs(diff) > max_diff or abs(lag) > max_lag):
            return i, [delta, rho, tau, tau_rate]
        if reliable[i]:
            e = err[i] - diff
            delta += alpha * e
            rho += beta * e
            if not math.isnan(jump[i]):
                te = jump[i] - lag
                tau += gamma * te
                tau_rate += gamma2 * te
                delta += gamma * te
        if timing:
            tau += tau_rate
        delta += rho
    return len(pred), [delta, rho, tau, tau_rate]


@pytest.mark.parametrize("seed", range(20))
def test_track_symbols_matches_the_python_loop(seed: int) -> None:
    from sdrlink._ext import estimate_dsp

    rng = np.random.default_rng(seed)
    k_n = int(rng.integers(1, 40))
    state0 = [rng.normal(0, 0.5), rng.normal(0, 0.01), 0.0, rng.normal(0, 0.002)]
    pred = state0[0] + state0[1] * np.arange(k_n)
    reliable = (rng.random(k_n) < 0.8).astype(np.uint8)
    err = rng.normal(0, [0.01, 0.05, 0.3][seed % 3], k_n)  # the last: cut short
    jump = np.where(rng.random(k_n) < 0.7, rng.normal(0, 0.02, k_n), np.nan)
    gains = (0.25, 0.02, 0.3, 0.02)
    state = np.array(state0)
    timing = bool(seed % 2)
    used = estimate_dsp.track_symbols(pred, reliable, err, jump, state, timing, *gains, 0.1, 0.05)
    want_used, want_state = _track_ref(pred, reliable, err, jump, state0, timing, gains, 0.1, 0.05)
    assert used == want_used
    np.testing.assert_allclose(state, want_state, rtol=1e-12, atol=1e-15)


def test_preamble_kernels_take_long_preambles() -> None:
    """A preamble of any allowed length (up to 65535 symbols) is fitted, not refused."""
    from sdrlink.protocols.lora.demod import dechirp_fft
    from sdrlink.protocols.lora.sync import peak_drift, preamble_offsets

    rng = np.random.default_rng(9)
    n, rows = 128, 100
    m = np.arange(n)
    up_rows = [
        np.exp(2j * np.pi * (3.3 + 0.01 * w) * (m / n + w)) * ref_chirps(7)[1]
        + 0.1 * _noise(rng, n)
        for w in range(rows)
    ]
    up = dechirp_fft(np.array(up_rows), 7, pad=4)
    down = up[:2]
    np.testing.assert_allclose(
        preamble_offsets(up, down, 4), _preamble_offsets_ref(up, down, 4), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(peak_drift(up, 4), _peak_drift_ref(up, 4), rtol=1e-5, atol=1e-6)


def _peak_positions_ref(up: np.ndarray) -> np.ndarray:
    """measure.peak_positions as it was in NumPy (the kernel's reference)."""
    from sdrlink.protocols.lora.measure import jacobsen

    n = up.shape[1]
    power = np.abs(up) ** 2
    ku = int(np.argmax(power.sum(axis=0)))
    span = 2
    idx = (ku + np.arange(-span, span + 1)) % n
    j = np.clip(np.argmax(power[:, idx], axis=1), 1, 2 * span - 1)
    k = idx[j]
    rows = np.arange(len(up))
    pos = k + jacobsen(up[rows, (k - 1) % n], up[rows, k], up[rows, (k + 1) % n])
    return (pos + n / 2) % n - n / 2


def _diff_noise_ref(spec: np.ndarray, pos0: float) -> float:
    """measure.row_noise after its transform, as it was in NumPy."""
    n = spec.shape[1]
    peak = spec[:, int(np.floor(pos0 + 0.5)) % n]
    if len(spec) < 2 or not np.all(np.abs(peak) > 0):
        return float("nan")
    g = peak[0] / peak
    diff = spec[1:] * g[1:, None] - spec[:-1] * g[:-1, None]
    d = (np.arange(n) - pos0 + n / 2) % n - n / 2
    far = np.abs(d) >= n / 4
    weight = np.abs(g[1:]) ** 2 + np.abs(g[:-1]) ** 2
    return float(np.mean(np.abs(diff[:, far]) ** 2 / weight[:, None]))


def _preamble_spectra(rng: np.random.Generator, rows: int, n: int, pos: float) -> np.ndarray:
    """Dechirped up-chirps: a tone at ``pos`` bins (drifting a little, varying in
    amplitude and phase from row to row) in noise."""
    t = np.arange(n)
    f = pos + rng.normal(0, 0.3, rows)[:, None]
    amp = rng.uniform(0.5, 4.0, rows)[:, None] * np.exp(2j * np.pi * rng.random((rows, 1)))
    tone = amp * np.exp(2j * np.pi * f * t / n)
    return np.fft.fft(tone + 0.3 * _noise(rng, (rows, n)), axis=1).astype(np.complex64)


@pytest.mark.parametrize("seed", range(12))
def test_preamble_peaks_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 1 << int(rng.integers(5, 11))
    rows = int(rng.integers(1, 12))
    pos = float(rng.choice([0.0, 0.4, n - 0.6, rng.uniform(0, n)]))  # peaks at the wrap too
    up = _preamble_spectra(rng, rows, n, pos)
    out = np.empty(rows)
    lora_dsp.preamble_peaks(up, out)
    want = _peak_positions_ref(up)
    np.testing.assert_allclose(out, want, atol=1e-5)
    assert np.all((out >= -n / 2) & (out < n / 2))


@pytest.mark.parametrize("seed", range(12))
def test_diff_noise_matches_numpy(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = 1 << int(rng.integers(5, 11))
    rows = int(rng.integers(2, 10))
    pos0 = float(rng.choice([0.2, n - 0.3, rng.uniform(-n / 2, n / 2)]))
    spec = _preamble_spectra(rng, rows, n, pos0)
    want = _diff_noise_ref(spec, pos0)
    assert lora_dsp.diff_noise(spec, pos0) == pytest.approx(want, rel=1e-5)


def test_diff_noise_undefined_without_two_rows_or_with_an_empty_peak() -> None:
    rng = np.random.default_rng(3)
    spec = _preamble_spectra(rng, 4, 64, 10.0)
    assert lora_dsp.diff_noise(spec[:1].copy(), 10.0) == -1.0
    spec[2, 10] = 0
    assert lora_dsp.diff_noise(spec, 10.0) == -1.0
    assert math.isnan(_diff_noise_ref(spec, 10.0))


def _symbol_errors_ref(k, frac, exact, reliable, n, j0, first_reduced, ldro):
    """The tracker's per-symbol errors as they were in NumPy (the kernel's reference)."""
    k_n = len(k)
    jj = j0 + np.arange(k_n)
    reduced = ((jj < 8) & first_reduced) | ((jj >= 8) & ldro)
    nominal = np.where(reduced, 4 * np.round((k - 1) / 4) + 1, k)
    e_meas = np.where(reduced, np.clip((k + frac - nominal + n / 2) % n - n / 2, -1.5, 1.5), frac)
    e_fit = np.where(reduced, np.clip((k + exact - nominal + n / 2) % n - n / 2, -1.5, 1.5), exact)
    fold = (n - k) % n
    ok = reliable.astype(bool) & (fold >= n // 8) & (fold <= n - n // 8)
    return e_meas, e_fit, fold, ok


@pytest.mark.parametrize("seed", range(16))
def test_symbol_errors_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    n = 1 << int(rng.integers(5, 13))
    rows = int(rng.integers(1, 40))
    k = rng.integers(0, n, rows).astype(np.int64)
    k[: rows // 4] = (4 * rng.integers(0, n // 4, rows // 4) + 3) % n  # ties: (k - 1) / 4 = x.5
    frac = rng.uniform(-0.5, 0.5, rows)
    exact = frac + rng.normal(0, 0.05, rows)
    reliable = (rng.random(rows) < 0.8).astype(np.uint8)
    j0 = int(rng.integers(0, 12))
    first_reduced, ldro = bool(rng.integers(2)), bool(rng.integers(2))
    e_meas, e_fit = np.empty(rows), np.empty(rows)
    fold, ok = np.empty(rows, np.int64), np.empty(rows, np.uint8)
    lora_dsp.symbol_errors(
        k, frac, exact, reliable, n, j0, first_reduced, ldro, e_meas, e_fit, fold, ok
    )
    w_meas, w_fit, w_fold, w_ok = _symbol_errors_ref(
        k, frac, exact, reliable, n, j0, first_reduced, ldro
    )
    np.testing.assert_allclose(e_meas, w_meas, atol=1e-12)
    np.testing.assert_allclose(e_fit, w_fit, atol=1e-12)
    np.testing.assert_array_equal(fold, w_fold)
    np.testing.assert_array_equal(ok.astype(bool), w_ok)


def _codeword_llrs_ref(mags, sf, cr, reduced, sf_app):
    """demod.codeword_llrs as it was in NumPy (the kernel's reference)."""
    ppm = 4 + cr
    n_blocks = len(mags) // ppm
    if n_blocks == 0:
        return np.zeros((0, ppm))
    llr = symbol_llrs(mags[: n_blocks * ppm], sf, reduced)[:, :sf_app]
    llr /= np.max(np.abs(llr)) or 1.0
    cw = np.empty((n_blocks, sf_app, ppm))
    i = np.arange(ppm)[:, None]
    j = np.arange(sf_app)[None, :]
    cw_index = (i - j - 1) % sf_app
    cw[:, cw_index, np.broadcast_to(i, cw_index.shape)] = llr.reshape(n_blocks, ppm, sf_app)
    return cw.reshape(-1, ppm)


@pytest.mark.parametrize("seed", range(16))
def test_codeword_llrs_match_numpy(seed: int) -> None:
    from sdrlink.protocols.lora.demod import codeword_llrs

    rng = np.random.default_rng(500 + seed)
    sf = int(rng.integers(5, 13))
    cr = int(rng.integers(1, 5))
    reduced = bool(rng.integers(2)) and sf > 6
    bits = sf - 2 if reduced else sf
    sf_app = int(rng.integers(max(1, bits - 2), bits + 1))
    rows = int(rng.integers(0, 4)) * (4 + cr) + int(rng.integers(0, 4 + cr))  # a partial block
    mags = np.abs(_noise(rng, (rows, 1 << sf))).astype(np.float32)
    mags[np.arange(rows), rng.integers(0, 1 << sf, rows)] += 8.0  # a symbol in each row
    got = codeword_llrs(mags, sf, cr, reduced, sf_app)
    want = _codeword_llrs_ref(mags, sf, cr, reduced, sf_app)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
