"""The Cython kernels of ext/fsk_dsp.pyx and ext/coding_dsp.pyx against plain references.

Each kernel is compared on random inputs with a NumPy or plain-Python transcription of
what its docstring says it computes, and the stateful wrappers around the kernels are fed
the same stream cut into random blocks, which must give the uncut result exactly. The
tolerances are those of float32 arithmetic (the kernels filter and mix in float32, the
references in float64) and of the polynomial atan2 (1e-5 rad).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sdrlink._ext import coding_dsp, fsk_dsp  # type: ignore[attr-defined]
from sdrlink.protocols.fsk.demodulator import (
    AfcDiscriminator,
    ClockRecovery,
    DcBlockMixer,
    DcFollower,
    Discriminator,
    FirDecimator,
    _reversed_padded,
)

# ----------------------------------------------------------------------------- helpers


def cuts(rng, n: int, pieces: int = 7) -> list[slice]:
    """``n`` samples cut at random places (some blocks empty or a single sample)."""
    at = np.sort(rng.integers(0, n + 1, pieces - 1))
    at = np.concatenate([[0], at, [n]])
    return [slice(int(a), int(b)) for a, b in zip(at[:-1], at[1:], strict=True)]


def cfloat(rng, n: int, scale: float = 1.0) -> np.ndarray:
    return ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * scale).astype(np.complex64)


# ------------------------------------------------------------------ FIR + decimation


def fir_reference(buf: np.ndarray, rtaps: np.ndarray, start: int, step: int, n_out: int):
    m = len(rtaps)
    b = buf.astype(np.complex128 if np.iscomplexobj(buf) else np.float64)
    idx = start + step * np.arange(n_out)
    idx = idx[idx < len(buf)]
    return np.array([rtaps.astype(np.float64) @ b[i - m + 1 : i + 1] for i in idx])


@pytest.mark.parametrize("ntaps", [8, 16, 24, 40, 64])  # 8-wide tail, 16-wide main loop, both
@pytest.mark.parametrize("step", [1, 3, 8])
def test_fir_decim_f_matches_reference(ntaps, step, rng):
    rtaps = rng.standard_normal(ntaps).astype(np.float32)
    buf = rng.standard_normal(2000).astype(np.float32)
    start = ntaps - 1 + int(rng.integers(0, 5))
    out = np.zeros(1000, np.float32)
    k = fsk_dsp.fir_decim_f(buf, rtaps, start, step, out)
    ref = fir_reference(buf, rtaps, start, step, len(out))
    assert k == len(ref)
    np.testing.assert_allclose(out[:k], ref, rtol=0, atol=2e-5 * math.sqrt(ntaps))


@pytest.mark.parametrize("ntaps", [4, 8, 12, 20, 32])  # doubled: 8, 16, 24, 40, 64 floats
@pytest.mark.parametrize("step", [1, 4])
def test_fir_decim_c_matches_reference(ntaps, step, rng):
    rtaps = rng.standard_normal(ntaps).astype(np.float32)
    buf = cfloat(rng, 1500)
    start = ntaps - 1 + int(rng.integers(0, 5))
    out = np.zeros(800, np.complex64)
    k = fsk_dsp.fir_decim_c(buf, np.repeat(rtaps, 2), start, step, out)
    ref = fir_reference(buf, rtaps, start, step, len(out))
    assert k == len(ref)
    np.testing.assert_allclose(out[:k], ref, rtol=0, atol=3e-5 * math.sqrt(ntaps))


def test_fir_kernels_refuse_unpadded_taps():
    with pytest.raises(ValueError, match="multiple of 8"):
        fsk_dsp.fir_decim_f(
            np.zeros(20, np.float32), np.zeros(7, np.float32), 6, 1, np.zeros(4, np.float32)
        )
    with pytest.raises(ValueError, match="multiple of 8"):
        fsk_dsp.fir_decim_c(
            np.zeros(20, np.complex64), np.zeros(6, np.float32), 2, 1, np.zeros(4, np.complex64)
        )


@pytest.mark.parametrize("is_complex", [False, True])
@pytest.mark.parametrize("decim", [1, 2, 5])
def test_fir_decimator_stream_equals_convolution(is_complex, decim, rng):
    taps = rng.standard_normal(37).astype(np.float32)
    x = cfloat(rng, 5000) if is_complex else rng.standard_normal(5000).astype(np.float32)
    whole = FirDecimator(taps, decim, is_complex).process(x)
    # y[n] = sum_k taps[k] x[n - k] (zeros before the stream), every decim-th from n = 0
    ref = np.convolve(x.astype(np.complex128 if is_complex else np.float64), taps)[: len(x)]
    np.testing.assert_allclose(whole, ref[::decim], rtol=0, atol=2e-4)
    fir = FirDecimator(taps, decim, is_complex)
    pieces = np.concatenate([fir.process(x[c]) for c in cuts(rng, len(x), 11)])
    np.testing.assert_array_equal(pieces, whole)


# ------------------------------------------------------------------ FM discriminator


def test_discriminate_matches_numpy_angle(rng):
    # phase steps over the whole circle, including near +-pi, and some zero samples
    steps = rng.uniform(-math.pi, math.pi, 4000)
    steps[:8] = [math.pi - 1e-6, -math.pi + 1e-6, 0, 1e-9, -1e-9, math.pi / 2, -math.pi / 2, 3]
    x = (np.exp(1j * np.cumsum(steps)) * rng.uniform(0.01, 10, 4000)).astype(np.complex64)
    x[100:103] = 0
    prev = np.complex64(0.3 - 0.8j)
    out = np.empty(len(x), np.float32)
    scale = 48_000 / (2 * math.pi)
    fsk_dsp.discriminate(x, prev, scale, out)
    xx = x.astype(np.complex128)
    ref = scale * np.angle(xx * np.conj(np.concatenate([[prev], xx[:-1]])))
    err = np.abs(out - ref)
    wrap = np.abs(np.abs(ref) - scale * math.pi) < 1e-3 * scale  # +-pi: either sign is right
    assert np.all((err <= 1.2e-5 * scale) | wrap)
    d = Discriminator(48_000)
    pieces = np.concatenate([d.process(x[c]) for c in cuts(rng, len(x))])
    first = Discriminator(48_000).process(x)
    np.testing.assert_array_equal(pieces, first)


# ------------------------------------------------------------------ clock recovery


def clock_reference(x, st, step, alpha, beta, dc_k, att_k, fmax):
    """Plain-Python transcription of clock_recover's documented algorithm."""
    ph, fc, dc, yp, base, hi, lo = (float(v) for v in st)
    sym, pos, dcs = [], [], []
    for i, v in enumerate(x.astype(np.float64)):
        hi += (att_k if v > hi else dc_k) * (v - hi)
        lo += (att_k if v < lo else dc_k) * (v - lo)
        dc = 0.5 * (hi + lo)
        y = v - dc
        inc = step * (1.0 + fc)
        ph_old, ph = ph, ph + inc
        if ph >= 1.0:
            f = (1.0 - ph_old) / inc
            sym.append(yp + f * (y - yp))
            pos.append(base + i - 1.0 + f)
            dcs.append(dc)
            ph -= 1.0
        if (yp < 0.0) != (y < 0.0) and yp != y:
            phc = ph_old + yp / (yp - y) * inc
            if phc >= 1.0:
                phc -= 1.0
            e = phc - 0.5
            ph -= alpha * e
            fc = min(fmax, max(-fmax, fc - beta * e))
            ph = min(0.999999, max(0.0, ph))
        yp = y
    return np.array(sym), np.array(pos), np.array(dcs), [ph, fc, dc, yp, base + len(x), hi, lo]


def nrz_signal(rng, n_sym: int, sps: float, dc: float = 0.3) -> np.ndarray:
    bits = rng.integers(0, 2, n_sym) * 2.0 - 1.0
    idx = np.minimum((np.arange(int(n_sym * sps)) / sps).astype(int), n_sym - 1)
    x = np.convolve(bits[idx], np.ones(int(sps)) / int(sps), mode="same")
    return (x + dc + 0.2 * rng.standard_normal(len(x))).astype(np.float32)


@pytest.mark.parametrize("sps", [4.3, 7.0, 10.0])
def test_clock_recover_matches_reference(sps, rng):
    x = nrz_signal(rng, 400, sps * 1.003)  # a clock 0.3 % off
    st = np.zeros(7)
    st[4] = 1000.0  # absolute index of x[0]
    args = (1.0 / sps, 0.2, 0.005, 1.0 / (40 * sps), 1.0 / (2 * sps), 0.02)
    ref = clock_reference(x, st.copy(), *args)
    cap = 2 * len(x) // int(sps) + 8
    sym, pos, dcs = np.empty(cap, np.float32), np.empty(cap), np.empty(cap, np.float32)
    k = fsk_dsp.clock_recover(x, st, *args, sym, pos, dcs)
    assert k == len(ref[0]) > 350
    np.testing.assert_allclose(sym[:k], ref[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(pos[:k], ref[1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(dcs[:k], ref[2], rtol=0, atol=1e-6)
    np.testing.assert_allclose(st, ref[3], rtol=0, atol=1e-9)


@pytest.mark.parametrize("sps", [4.3, 10.0])
def test_dc_follow_then_symbol_clock_match_the_reference(sps, rng):
    """The two halves of clock_recover, each against the plain-Python definition."""
    x = nrz_signal(rng, 400, sps * 0.997)
    st = np.zeros(7)
    st[4], st[5], st[6] = 500.0, 0.4, -0.2  # index of x[0]; envelopes already under way
    step, alpha, beta, dc_k, att_k, fmax = 1.0 / sps, 0.2, 0.005, 1 / (40 * sps), 0.5 / sps, 0.02
    ref = clock_reference(x, st.copy(), step, alpha, beta, dc_k, att_k, fmax)
    env = st[5:7].copy()
    y, dc = np.empty(len(x)), np.empty(len(x), np.float32)
    fsk_dsp.dc_follow(x, env, dc_k, att_k, y, dc)
    np.testing.assert_allclose(env, ref[3][5:7], rtol=0, atol=1e-9)
    clk = st[:5].copy()
    cap = 2 * len(x) // int(sps) + 8
    sym, pos, dcs = np.empty(cap, np.float32), np.empty(cap), np.empty(cap, np.float32)
    k = fsk_dsp.symbol_clock(y, dc, clk, step, alpha, beta, fmax, sym, pos, dcs)
    assert k == len(ref[0]) > 350
    np.testing.assert_allclose(sym[:k], ref[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(pos[:k], ref[1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(dcs[:k], ref[2], rtol=0, atol=1e-6)
    np.testing.assert_allclose(clk[[0, 1, 3, 4]], np.array(ref[3])[[0, 1, 3, 4]], atol=1e-9)


def test_clock_recover_stops_at_capacity(rng):
    x = nrz_signal(rng, 100, 5.0)
    sym, pos, dcs = np.empty(10, np.float32), np.empty(10), np.empty(10, np.float32)
    k = fsk_dsp.clock_recover(x, np.zeros(7), 0.2, 0.2, 0.005, 0.005, 0.1, 0.02, sym, pos, dcs)
    assert k == 10


def test_clock_recovery_stream_independent_of_cuts(rng):
    x = nrz_signal(rng, 2000, 6.1)
    whole = ClockRecovery(6.1).process(x)
    cr = ClockRecovery(6.1)
    parts = [cr.process(x[c]) for c in cuts(rng, len(x), 13)]
    for i in range(3):
        np.testing.assert_array_equal(np.concatenate([p[i] for p in parts]), whole[i])


def test_shared_dc_follower_gives_the_same_symbols_as_each_chain_alone(rng):
    """The receiver runs one DcFollower per DC setting for its chains: the symbols
    must be those of a ClockRecovery that tracks the DC itself, bit for bit."""
    x = nrz_signal(rng, 3000, 5.3)
    alone = [ClockRecovery(5.3, alpha=a, dc_symbols=30.0).process(x) for a in (0.2, 0.05)]
    follower = DcFollower(5.3, dc_symbols=30.0)
    clocks = [ClockRecovery(5.3, alpha=a, dc_symbols=30.0) for a in (0.2, 0.05)]
    parts: list[list] = [[], []]
    for c in cuts(rng, len(x), 11):
        y, dc = follower.process(x[c])
        for j, clock in enumerate(clocks):
            parts[j].append(clock.process_followed(y, dc))
    for j in range(2):
        assert len(alone[j][0]) > 2900
        for i in range(3):
            np.testing.assert_array_equal(np.concatenate([p[i] for p in parts[j]]), alone[j][i])
    # the halves refuse short outputs and states
    y, dc = np.empty(len(x)), np.empty(len(x), np.float32)
    one = np.empty(4, np.float32)
    with pytest.raises(ValueError, match="state"):
        fsk_dsp.symbol_clock(y, dc, np.zeros(4), 0.2, 0.2, 0.005, 0.02, one, np.empty(4), one)
    with pytest.raises(ValueError, match="dc as long"):
        fsk_dsp.symbol_clock(y, dc[:3], np.zeros(5), 0.2, 0.2, 0.005, 0.02, one, np.empty(4), one)
    with pytest.raises(ValueError, match="as long as sym"):
        fsk_dsp.symbol_clock(y, dc, np.zeros(5), 0.2, 0.2, 0.005, 0.02, one, np.empty(3), one)
    with pytest.raises(ValueError, match="state"):
        fsk_dsp.dc_follow(x, np.zeros(1), 0.01, 0.1, np.empty(len(x)), np.empty(len(x), np.float32))
    with pytest.raises(ValueError, match="as long"):
        fsk_dsp.dc_follow(x, np.zeros(2), 0.01, 0.1, np.empty(3), np.empty(len(x), np.float32))


# ------------------------------------------------------------------ frequency-locked filter


def afc_reference(x, rtaps, hist, st, fs, gain, leak, p_k, fmax, wide_k, decim):
    """Plain-Python definition of afc_discriminate, sample by sample (float32 where the
    kernel stores float32: the mixed samples and the filter output); ``hist`` holds the
    last mixed samples, oldest first, and the mixer's phasor advances one step a sample."""
    h = hist.astype(np.complex128).copy()
    c, s, f, p, pr, pim, _, count, dc, ds, pw, qr, qi, acc_n, acc_w, _ = (float(v) for v in st)
    count = int(count)
    scale = fs / (2 * math.pi * decim)
    pk = p_k * decim
    out = []
    for xi_ in x.astype(np.complex128):
        if count % 32 == 0:
            dc, ds = math.cos(2 * math.pi * f / fs), math.sin(2 * math.pi * f / fs)
            mag = 1.0 / math.sqrt(c * c + s * s)
            c, s = c * mag, s * mag
        xr, xi = xi_.real, xi_.imag
        mr = float(np.float32(xr * c + xi * s))
        mi = float(np.float32(xi * c - xr * s))
        h = np.concatenate([h[1:], [complex(mr, mi)]])
        if count % decim == 0:
            z = complex(rtaps.astype(np.float64) @ h)
            zr, zi = float(np.float32(z.real)), float(np.float32(z.imag))
            cr, ci = zr * pr + zi * pim, zi * pr - zr * pim
            out.append(scale * math.atan2(ci, cr) + f)
            p += pk * (zr * zr + zi * zi - p)
            acc_n += ci
            pr, pim = zr, zi
        count += 1
        pw += p_k * (mr * mr + mi * mi - pw)
        acc_w += mi * qr - mr * qi
        qr, qi = mr, mi
        if count % 8 == 0:
            if p > 0 and pw > 0:
                f += gain * (acc_n / p + wide_k * acc_w / pw) * fs / (2 * math.pi)
            f = min(fmax, max(-fmax, f - 8 * leak * f))
            acc_n = acc_w = 0.0
        c, s = c * dc - s * ds, s * dc + c * ds
    return np.array(out), f


@pytest.mark.parametrize("decim", [1, 2, 4])
def test_afc_discriminate_matches_reference(decim, rng):
    fs = 62_500.0
    n = 6000
    t = np.arange(n) / fs
    # an FSK-like signal 900 Hz off, in noise: the loop pulls the filter towards it
    freq = 900 + 2400 * np.sign(np.sin(2 * np.pi * 600 * t))
    x = (np.exp(2j * np.pi * np.cumsum(freq) / fs) + cfloat(rng, n, 0.2)).astype(np.complex64)
    afc = AfcDiscriminator(fs, 7200.0, 4800.0, 2000.0, decim)
    rtaps = _reversed_padded(afc.taps, 4)
    st0 = afc.state.copy()
    ref, f_end = afc_reference(
        x, rtaps, afc.hist, st0, fs, afc.gain, afc.leak, afc.p_k, afc.fmax, afc.wide_k, decim
    )
    got = afc.process(x)
    assert len(got) == len(ref) == -(-n // decim)
    # float32 dot products and the polynomial atan2 (1e-5 rad * fs / (2 pi decim)):
    # measured at most 0.018 Hz (decim 1) and 5e-6 Hz in the final loop frequency
    np.testing.assert_allclose(got, ref, rtol=0, atol=0.05)
    assert abs(afc.state[2] - f_end) < 1e-4
    assert abs(f_end - 900) < 300  # the loop did move: the comparison covers it


def test_afc_discriminate_independent_of_cuts(rng):
    fs = 62_500.0
    x = cfloat(rng, 9000)
    whole = AfcDiscriminator(fs, 7200.0, 4800.0, 2000.0, 2).process(x)
    afc = AfcDiscriminator(fs, 7200.0, 4800.0, 2000.0, 2)
    parts = np.concatenate([afc.process(x[c]) for c in cuts(rng, len(x), 9)])
    np.testing.assert_array_equal(parts, whole)


def test_afc_discriminate_refuses_bad_arguments():
    afc = AfcDiscriminator(62_500.0, 7200.0, 4800.0, 2000.0, 1)
    x = np.zeros(16, np.complex64)
    out = np.zeros(32, np.float32)
    args = (afc.state, 62_500.0, 0.0, 0.0, 0.1, 100.0, 1.0)
    with pytest.raises(ValueError, match="divide 8"):
        fsk_dsp.afc_discriminate(x, afc.kern_taps, afc.hist, *args, 3, out)
    with pytest.raises(ValueError, match="history"):
        fsk_dsp.afc_discriminate(x, afc.kern_taps, afc.hist[:-2], *args, 1, out)
    with pytest.raises(ValueError, match="state"):
        fsk_dsp.afc_discriminate(x, afc.kern_taps, afc.hist, afc.state[:15], *args[1:], 1, out)


# ------------------------------------------------------------------ DC blocker + mixer


def test_dc_block_mix_matches_reference(rng):
    fs, corner, freq = 48_000.0, 120.0, 1700.0
    x = (rng.standard_normal(3000) + 0.7).astype(np.float32)
    a = math.exp(-2 * math.pi * corner / fs)
    st = np.array([0.2, -0.1, 999.0])  # previous input, previous output, absolute count
    out = np.empty(len(x), np.complex64)
    fsk_dsp.dc_block_mix(x, st, a, freq / fs, out)
    y = np.empty(len(x))
    xp, yp, g = 0.2, -0.1, 0.5 * (1 + a)
    for i, v in enumerate(x.astype(np.float64)):
        yp = g * (v - xp) + a * yp
        xp = v
        y[i] = yp
    n = 999 + np.arange(len(x))
    ref = y * np.exp(-2j * np.pi * freq / fs * n)
    np.testing.assert_allclose(out, ref, rtol=0, atol=2e-5 * np.abs(y).max())
    np.testing.assert_allclose(st, [x[-1], y[-1], 999 + len(x)], rtol=1e-6)
    m = DcBlockMixer(fs, corner, freq)
    parts = np.concatenate([m.process(x[c]) for c in cuts(rng, len(x))])
    np.testing.assert_array_equal(parts, DcBlockMixer(fs, corner, freq).process(x))
    with pytest.raises(ValueError, match="shorter"):
        fsk_dsp.dc_block_mix(x, st, a, 0.1, np.empty(10, np.complex64))


# ------------------------------------------------------------------ coding kernels


def unstuff_reference(bits: list[int]) -> list[int] | None:
    out, run = [], 0
    for b in bits:
        if b:
            run += 1
            if run == 6:
                return None
            out.append(1)
        else:
            if run != 5:
                out.append(0)
            run = 0
    return out


@pytest.mark.parametrize("p_one", [0.5, 0.8, 0.9])  # more ones: more stuffing, more aborts
def test_hdlc_unstuff_matches_reference(p_one, rng):
    for _ in range(40):
        bits = (rng.random(int(rng.integers(0, 300))) < p_one).astype(np.uint8)
        out = np.zeros(len(bits), np.uint8)
        k = coding_dsp.hdlc_unstuff(bits, out)
        ref = unstuff_reference(bits.tolist())
        if ref is None:
            assert k == -1
        else:
            assert out[:k].tolist() == ref
    with pytest.raises(ValueError, match="shorter"):
        coding_dsp.hdlc_unstuff(np.ones(5, np.uint8), np.zeros(4, np.uint8))


@pytest.mark.parametrize("n,max_errors", [(8, 0), (32, 4), (57, 6), (64, 10)])
def test_sync_search_matches_reference(n, max_errors, rng):
    pattern = rng.integers(0, 2, n).astype(np.uint8)
    bits = rng.integers(0, 2, 3000).astype(np.uint8)
    for at, inv, flips in ((100, False, 0), (900, True, max_errors), (2000, False, max_errors)):
        word = pattern ^ np.uint8(inv)
        word[rng.choice(n, flips, replace=False)] ^= 1
        bits[at : at + n] = word
    w = int("".join(map(str, pattern)), 2)
    idx = np.empty(len(bits), np.int64)
    inv = np.empty(len(bits), np.uint8)
    k = coding_dsp.sync_search(bits, w, n, max_errors, idx, inv)
    windows = np.lib.stride_tricks.sliding_window_view(bits, n)
    errors = (windows != pattern).sum(axis=1)
    hit = (errors <= max_errors) | (errors >= n - max_errors)
    assert idx[:k].tolist() == np.flatnonzero(hit).tolist()
    assert inv[:k].astype(bool).tolist() == (errors[hit] > max_errors).tolist()
    assert {100, 900, 2000} <= set(idx[:k].tolist())
    with pytest.raises(ValueError, match="1..64"):
        coding_dsp.sync_search(bits, 0, 65, 0, idx, inv)


# ------------------------------------------------------------------ carrier search kernels


def test_group_sum_window_and_welch_power_match_numpy(rng):
    dec, sub, looks = 5, 64, 8
    seg = cfloat(rng, dec * sub * looks + 3)
    window = np.tile(np.hanning(sub), looks).astype(np.float32)
    acc = np.empty(sub * looks, np.complex64)
    fsk_dsp.group_sum_window(seg, dec, window, acc)
    ref = seg[: dec * sub * looks].astype(np.complex128).reshape(-1, dec).sum(axis=1) * window
    np.testing.assert_allclose(acc, ref, rtol=0, atol=1e-5)
    spectra = np.fft.fft(acc.reshape(looks, sub), axis=1).astype(np.complex64)
    order = np.fft.fftshift(np.arange(sub))[5:50].astype(np.int64)
    power, csum = np.empty(45, np.float32), np.empty(46)
    fsk_dsp.welch_power(spectra, order, power, csum)
    ref_p = (np.abs(spectra.astype(np.complex128)) ** 2).mean(axis=0)[order]
    np.testing.assert_allclose(power, ref_p, rtol=1e-5)
    np.testing.assert_allclose(csum, np.concatenate([[0], np.cumsum(ref_p)]), rtol=1e-5)
    with pytest.raises(ValueError, match="shorter"):
        fsk_dsp.group_sum_window(seg[:100], dec, window, acc)


def test_search_stats_and_two_tone_peak_match_numpy(rng):
    for n, width, q in ((200, 20, 59), (57, 57, 0), (1000, 3, 999)):
        power = rng.exponential(1.0, n).astype(np.float32)
        power[n // 3 : n // 3 + 5] += 40  # a tone
        csum = np.concatenate([[0.0], np.cumsum(power, dtype=np.float64)])
        qv, k, top = fsk_dsp.search_stats(power, csum, width, q, np.empty(n, np.float32))
        sums = csum[width:] - csum[:-width]
        assert qv == np.partition(power, q)[q]
        assert k == int(np.argmax(sums)) and top == pytest.approx(sums.max())
    power = rng.exponential(1.0, 300)
    power[[100, 101, 160, 161]] += 50  # two tones 60 bins apart, 2 bins wide
    csum = np.concatenate([[0.0], np.cumsum(power)])
    h, d = 1, 30
    lobes = csum[2 * h + 1 :] - csum[: -(2 * h + 1)]
    ref = int(np.argmax(lobes[: -2 * d] + lobes[2 * d :]))
    assert fsk_dsp.two_tone_peak(csum, h, d) == ref and ref in (99, 100)
    assert fsk_dsp.two_tone_peak(csum[:50], h, d) == -1  # two tones do not fit


# ------------------------------------------------------------------ frame measurement kernels


def test_symbol_freqs_matches_numpy(rng):
    fs = 50_000.0
    n = 6000
    f = 1300 + 2000 * np.sign(np.sin(2 * np.pi * 800 * np.arange(n) / fs))
    z = (np.exp(2j * np.pi * np.cumsum(f) / fs) + cfloat(rng, n, 0.05)).astype(np.complex64)
    taps = np.hanning(21)[1:-1].astype(np.float32)  # 19 taps, symmetric
    taps /= taps.sum()
    rt2 = np.ascontiguousarray(np.repeat(_reversed_padded(taps, 4), 2))
    coarse = 1250.0 / fs
    edges = np.cumsum(rng.uniform(20, 40, 160)) + 40
    out = np.empty(len(edges) - 1)
    fsk_dsp.symbol_freqs(z, rt2, len(taps), coarse, edges, out)
    # reference: mix, centred filter, phase, linear interpolation at the edges
    mixed = z.astype(np.complex128) * np.exp(-2j * np.pi * coarse * np.arange(n))
    y = np.convolve(mixed, taps.astype(np.float64), mode="same")
    ph = np.concatenate([[0.0], np.cumsum(np.angle(y[1:] * np.conj(y[:-1])))])
    at = np.interp(edges, np.arange(n), ph)
    ref = np.diff(at) / (2 * np.pi * np.diff(edges)) + coarse
    # Hz: the polynomial atan2 and float32 filtering (measured at most 0.005 Hz)
    np.testing.assert_allclose(out * fs, ref * fs, rtol=0, atol=0.015)
    with pytest.raises(ValueError, match="ends"):
        fsk_dsp.symbol_freqs(z, rt2, len(taps), coarse, np.array([1.0, 50.0]), out)
    with pytest.raises(ValueError, match="increase"):
        fsk_dsp.symbol_freqs(z, rt2, len(taps), coarse, np.array([100.0, 90.0]), out)


def test_level_kernels_and_solver_match_numpy(rng):
    from sdrlink._ext import estimate_dsp

    n = 300
    v, b, t = rng.standard_normal(n), np.sign(rng.standard_normal(n)), np.arange(n) / 1e3
    t0, ts = 0.15, 0.09
    rows = np.array(
        [
            [1, (t[k] - t0) / ts, b[k], b[k - 1], b[k + 1], b[k - 2], b[k + 2]]
            for k in range(2, n - 2)
        ]
    )
    keep = rng.random(n - 4) < 0.8
    gram, atv = np.empty((7, 7)), np.empty(7)
    assert estimate_dsp.level_normal(v, b, t, t0, ts, keep.view(np.uint8), gram, atv) == keep.sum()
    np.testing.assert_allclose(gram, rows[keep].T @ rows[keep], rtol=1e-12)
    np.testing.assert_allclose(atv, rows[keep].T @ v[2:-2][keep], rtol=1e-12)
    coef, inv = np.empty(7), np.empty((7, 7))
    assert estimate_dsp.spd_solve(gram, atv, coef, inv)
    np.testing.assert_allclose(coef, np.linalg.solve(gram, atv), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(inv, np.linalg.inv(gram), rtol=1e-9, atol=1e-12)
    resid, data = np.empty(n - 4), np.empty(n - 4)
    estimate_dsp.level_residuals(v, b, t, t0, ts, coef, resid, data)
    np.testing.assert_allclose(resid, v[2:-2] - rows @ coef, atol=1e-12)
    np.testing.assert_allclose(data, rows[:, 2:] @ coef[2:], atol=1e-12)
    singular = gram.copy()
    singular[:, 3], singular[3, :] = singular[:, 2], singular[2, :]
    assert not estimate_dsp.spd_solve(singular, atv, coef, inv)
    z = cfloat(rng, 1000)
    m2, m4 = estimate_dsp.power_moments(z)
    p = np.abs(z.astype(np.complex128)) ** 2
    assert m2 == pytest.approx(p.mean(), rel=1e-12) and m4 == pytest.approx(
        (p * p).mean(), rel=1e-12
    )


# ----------------------------------------------------------------------- soft limiter


@pytest.mark.parametrize("half", [0, 1, 32])
def test_soft_limit_matches_reference(half, rng):
    s = (rng.standard_normal(500) * rng.choice([1.0, 30.0], 500, p=[0.95, 0.05])).astype(np.float32)
    past = np.abs(rng.standard_normal(20))
    mag = np.concatenate([past, np.abs(s.astype(np.float64))])
    n = 480  # the last symbols still wait for their look-ahead
    out = np.empty(n, np.float32)
    assert fsk_dsp.soft_limit(past, s, half, 0.8, out) == n
    want = []
    for j in range(n):
        at = len(past) + j
        window = mag[max(0, at - half) : min(at + half + 1, len(mag))]
        lim = 0.8 * window.mean()
        want.append(min(max(float(s[j]), -lim), lim))
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-7)
    assert np.array_equal(np.sign(out), np.sign(s[:n]))  # hard decisions unchanged
    with pytest.raises(ValueError):
        fsk_dsp.soft_limit(past, s[:100], half, 0.8, out)


def test_soft_limiter_stream_independent_of_cuts(rng):
    from sdrlink.protocols.fsk.softlimit import SoftLimiter

    s = (rng.standard_normal(3000) * 3).astype(np.float32)
    side = np.arange(3000, dtype=np.float64)
    whole = SoftLimiter(32, 1.0).process(s, True, side)
    lim = SoftLimiter(32, 1.0)
    parts = [lim.process(s[c], False, side[c]) for c in cuts(rng, len(s), 9)]
    parts.append(lim.process(np.zeros(0, np.float32), True, np.zeros(0)))
    for k in range(3):
        got = np.concatenate([p[k] for p in parts])
        np.testing.assert_allclose(got, whole[k], rtol=1e-6)


# ------------------------------------------------------------------ HDLC line decoding


def test_hdlc_marks_match_numpy(rng):
    bits = (rng.random(5000) < 0.7).astype(np.uint8)  # many runs of 1s
    bits[100:108] = [0, 1, 1, 1, 1, 1, 1, 0]
    flags = np.empty(len(bits), np.int64)
    sixes = np.empty(len(bits), np.int64)
    nf, ns = coding_dsp.hdlc_marks(bits, flags, sixes)
    b = bits.astype(bool)
    win8 = np.lib.stride_tricks.sliding_window_view(b, 8)
    want_flags = np.flatnonzero((win8 == np.array([0, 1, 1, 1, 1, 1, 1, 0], bool)).all(axis=1))
    want_sixes = np.flatnonzero(np.lib.stride_tricks.sliding_window_view(b, 6).all(axis=1))
    assert 100 in want_flags and nf == len(want_flags) > 10 and ns == len(want_sixes)
    np.testing.assert_array_equal(flags[:nf], want_flags)
    np.testing.assert_array_equal(sixes[:ns], want_sixes)


def test_hdlc_pairs_match_a_reference_across_cuts(rng):
    """Consecutive flags whose gap has a frame's length and no six 1s, found as the
    bits arrive, whatever the cuts (checked against the flags and sixes of the whole)."""
    bits = (rng.random(20000) < 0.62).astype(np.uint8)  # random flags and sixes
    flag = [0, 1, 1, 1, 1, 1, 1, 0]
    for at in (300, 520, 900, 5000, 5100):  # a few clean flag pairs, some too close
        bits[at : at + 8] = flag
    bits[308:520] = np.tile([1, 1, 0, 1, 0], 43)[:212]  # a gap without six 1s
    b = bits.astype(bool)
    win8 = np.lib.stride_tricks.sliding_window_view(b, 8)
    flags = np.flatnonzero((win8 == np.array(flag, bool)).all(axis=1))
    sixes = np.flatnonzero(np.lib.stride_tricks.sliding_window_view(b, 6).all(axis=1))
    lo, hi = 24, 400
    want = [
        (a, c)
        for a, c in zip(flags[:-1], flags[1:], strict=True)
        if lo <= c - a - 8 <= hi and not np.any((sixes >= a + 8) & (sixes <= c - 6))
    ]
    assert (300, 520) in want and len(want) >= 5
    st = np.array([0, -1, -(1 << 62), -(1 << 62)], np.int64)
    got = []
    for c in cuts(rng, len(bits), 17):
        out = np.empty((c.stop - c.start) // 4 + 2, np.int64)
        k = coding_dsp.hdlc_pairs(bits[c], c.start, st, lo, hi, out)
        got += list(zip(out[: 2 * k : 2].tolist(), out[1 : 2 * k : 2].tolist(), strict=True))
    assert got == [(int(a), int(c)) for a, c in want]


@pytest.mark.parametrize("g3ruh", [True, False])
def test_g3ruh_nrzi_decode_matches_reference_across_cuts(g3ruh, rng):
    line = rng.integers(0, 2, 3000, dtype=np.uint8)
    # reference: d[i] = l[i] ^ l[i-12] ^ l[i-17] (zeros before), then 1 where d did not change
    ext = np.concatenate([np.zeros(17, np.uint8), line])
    d = line ^ ext[5:-12] ^ ext[:-17] if g3ruh else line
    want = 1 ^ d ^ np.concatenate([[0], d[:-1]]).astype(np.uint8)
    tail, level, got = np.zeros(17, np.uint8), 0, []
    for c in cuts(rng, len(line), 9):
        out = np.empty(c.stop - c.start, np.uint8)
        level = coding_dsp.g3ruh_nrzi_decode(line[c], tail, level, g3ruh, out)
        got.append(out)
    np.testing.assert_array_equal(np.concatenate(got), want)
    np.testing.assert_array_equal(tail, line[-17:])
    assert level == d[-1]
