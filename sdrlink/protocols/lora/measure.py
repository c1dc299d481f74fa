"""What a LoRa frame reports about the signal: SNR, carrier drift with its uncertainty,
and what the Hamming decoder corrected.

SNR: signal power over the noise power in the LoRa bandwidth, from the dechirped
preamble up-chirps: each peak holds the signal (and one bin's noise), the bins a
quarter of the band or more away from it hold noise alone, except for what the
receiver's own channel filter puts there. That filter (half amplitude at the band
edges, where every chirp passes) spreads a fixed share of the chirp's power over
all bins, 20-35 dB below the peak depending on SF and timing; at high SNR it
would pass for noise. The share is measured on a clean chirp sent through the same
filter at the frame's own timing, and removed (at one sample per chip there is
no filter and nothing to remove).

SNR noise: the mean of those far bins (not a median: unbiased, and the peak is
not among them), less the sidelobes of the peak itself, which falls between bins
(the Dirichlet kernel says how much lands where).

Drift: every up-chirp of the preamble and every data symbol the tracker reads
reliably gives the carrier's position (in bins) at that symbol's centre, from
Jacobsen's estimator on the complex FFT bins; parallel lines through them, with
their own intercepts for the preamble, the reduced-rate header block and the
payload (the receiver reads the three kinds of chirp with slightly different
biases), give the drift (:func:`sdrlink.dsp.linefit.slope_fit`: misread symbols
rejected, 95 % interval from the scatter). With oversampled input the timing
loop's movement over the frame is added to the uncertainty (a peak moves with
the timing). The drift is reported only when that half-width is at most
:data:`MAX_DRIFT_UNCERTAINTY`; the half-width always (None with too few points).

Corrections: for each Hamming codeword, the bits where the hard decisions of
the soft bits disagree with the codeword the soft decoder chose. At CR 4/7 and
4/8 these are corrected errors; at CR 4/5 and 4/6 (detection codes) the soft
decoder still flips the least reliable bits of a codeword whose check fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.protocols.lora import codec

#: a drift whose 95 % half-width exceeds this (Hz/s) is not reported: the frame is
#: too short (or too noisy) to tell a LEO drift (the FSK receiver's rule, a standard
#: error of 50 Hz/s, in the same terms)
MAX_DRIFT_UNCERTAINTY = 100.0
#: the smallest half-width reported (Hz/s): below it, on clean frames, what is left is
#: the receiver's own distortion, not noise that averages out
MIN_DRIFT_UNCERTAINTY = 0.5


def preamble_snr(
    up: np.ndarray, pad: int, leak: float = 0.0, gain: float = 1.0, noise_gain: float = 1.0
) -> float:
    """Linear SNR from dechirped preamble up-chirps ``up`` (rows zero-padded ``pad``
    times). ``leak``: power per far bin over peak power of a clean chirp through the
    same filter; ``gain``: that clean chirp's peak power over N**2 (1 unfiltered);
    ``noise_gain``: the filter's noise power out over the noise power in the band."""
    n = up.shape[1] // pad
    pk = (np.abs(up) ** 2).max(axis=1)
    noise = far_noise(up, pad)
    sig = np.maximum(pk - noise, 0.0) / (1.0 - leak)
    noise = np.maximum(noise - leak * sig, 1e-3 * noise)
    in_band = n * float(np.mean(noise)) / noise_gain
    return float(np.mean(sig) / gain / max(in_band, 1e-30))


def clean_preamble(rs: Any, p0: float, rows: int, sf: int) -> np.ndarray:
    """``rows`` up-chirps of value 0 as the channel filter ``rs`` gives them when the
    first starts at raw input position ``p0`` (the frame's own timing), unit power."""
    from sdrlink.protocols.lora.channel import SampleBuffer

    n = 1 << sf
    a, b = rs.span(p0, 0, rows * n)
    a, b = a - 4, b + 4
    t = (np.arange(a, b, dtype=np.float64) - p0) / rs.ratio  # chips
    tau = t % n
    buf = SampleBuffer()
    buf.start = a
    buf.append(np.exp(2j * np.pi * (tau * tau / (2 * n) - tau / 2)).astype(np.complex64))
    return rs.chips(buf, p0, 0, rows * n, 0.0).reshape(rows, n)


#: the filter's leak is measured at the frame's timing to 1/LEAK_PHASES of an input
#: sample (over 1/128 sample it changes by at most 2 %: 0.01 dB of SNR at 30 dB) and
#: remembered per filter, so that a frame costs no clean chirp of its own
LEAK_PHASES = 64


def filter_correction(
    rs: Any, p0: float, rows: int, sf: int, pad: int
) -> tuple[float, float, float]:
    """(leak, gain, noise_gain) of :func:`preamble_snr` for the channel filter ``rs``
    (a :class:`~sdrlink.protocols.lora.channel.FrameResampler`) and a preamble of
    ``rows`` up-chirps starting at raw input position ``p0``."""
    from sdrlink.protocols.lora.demod import dechirp_fft

    q = int(round((p0 % 1.0) * LEAK_PHASES)) % LEAK_PHASES
    key = (sf, rows, pad, q)
    got = rs.measured.get(key)
    if got is None:
        clean = clean_preamble(rs, q / LEAK_PHASES, rows, sf)
        leak, gain = filter_leak(dechirp_fft(clean, sf, pad=pad), pad)
        got = rs.measured[key] = (leak, gain, noise_gain(rs))
    return got


def noise_gain(rs: Any) -> float:
    """White noise power a channel filter passes, over the power in its band."""
    return float((rs.bank.astype(np.float64) ** 2).sum(axis=1).mean() * rs.ratio)


def filter_leak(clean_up: np.ndarray, pad: int) -> tuple[float, float]:
    """(leak, gain) for :func:`preamble_snr` from a clean preamble's padded spectra."""
    pk = (np.abs(clean_up) ** 2).max(axis=1)
    n = clean_up.shape[1] // pad
    return float(np.mean(far_noise(clean_up, pad) / pk)), float(np.mean(pk)) / n**2


def far_noise(up: np.ndarray, pad: int) -> np.ndarray:
    """Per row of padded spectra ``up``: the mean power of the whole bins a quarter band
    or more from the peak, less what the peak's own sidelobes put there (a tone between
    bins leaks pk * D(d)**2 into a bin d away, D the Dirichlet kernel; at SF12 and
    30 dB that is as much as the noise)."""
    from sdrlink.protocols.lora.demod import frac_offsets

    m = up.shape[1]
    n = m // pad
    power = np.abs(up) ** 2
    whole = power[:, ::pad]
    rows = np.arange(len(up))
    kp = np.argmax(power, axis=1)
    mag = np.sqrt(power[rows[:, None], (kp[:, None] + np.arange(-1, 2)) % m])
    pos = (kp + frac_offsets(mag[:, 0], mag[:, 1], mag[:, 2])) / pad
    d = (np.arange(n)[None, :] - pos[:, None] + n / 2) % n - n / 2
    far = np.abs(d) >= n / 4
    x = np.pi * np.where(far, d, 0.5)  # near bins: any value with sin(x / n) != 0
    dirichlet2 = (np.sin(x) / (n * np.sin(x / n))) ** 2
    count = far.sum(axis=1)
    out = ((whole * far).sum(axis=1) - power[rows, kp] * (dirichlet2 * far).sum(axis=1)) / count
    return np.maximum(out, 1e-30)


def jacobsen(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Fractional position (-0.5..0.5) of tones peaking at complex FFT bins ``b``, with
    ``a`` and ``c`` the bins below and above (Jacobsen's estimator: nearly unbiased
    for an unwindowed tone, where a parabola through the magnitudes is not)."""
    den = 2 * b - a - c
    ok = np.abs(den) > 0
    ratio = np.where(ok, (a - c) / np.where(ok, den, 1.0), 0.0)
    return np.clip(np.real(ratio), -0.5, 0.5)


def peak_positions(up: np.ndarray) -> np.ndarray:
    """Where each dechirped up-chirp spectrum (complex rows of ``up``, not padded)
    peaks, in bins within [-N/2, N/2), near the rows' common peak."""
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


def timing_slope(t: np.ndarray, tau: np.ndarray) -> float:
    """|slope| (chips per symbol) of the timing the tracker used, 0 without two points."""
    if len(t) < 2 or np.ptp(t) == 0:
        return 0.0
    dt = t - t.mean()
    return abs(float(dt @ (tau - tau.mean())) / float(dt @ dt))


def corrected_bits(llr: np.ndarray, nibbles: np.ndarray, cr: int) -> int:
    """Codeword bits the soft decoder changed: hard decisions of ``llr`` (shape
    (codewords, 4 + cr), > 0 favours 0) against the codewords of ``nibbles``."""
    if len(nibbles) == 0:
        return 0
    book = codec.CODEBOOKS[cr][np.asarray(nibbles, dtype=np.int64)]
    hard = (np.asarray(llr) < 0).astype(np.int8)
    return int(np.count_nonzero(hard != book))
