"""What a LoRa frame reports about the signal: SNR, carrier drift with its uncertainty,
and what the Hamming decoder corrected.

SNR: signal power over the noise power in the LoRa bandwidth, from the dechirped
preamble up-chirps: each peak holds the signal (and one bin's noise, removed). The
noise is what differs between consecutive up-chirps once each is dechirped with its
carrier moved onto the first one's and scaled to its peak: the peak, its sidelobes
(the peak falls between bins) and what the transmitter's and the receiver's filters
spread from it (per bin 45 dB under the peak at SF7, 75 dB at SF12, depending also
on sampling and timing: at high SNR as much as the noise) are the same in every
up-chirp and cancel, the noise adds. It is taken in the bins a quarter of the band
or more from the peak. The channel filter's own effect on the peak (a loss of
0.28 dB: it halves the band edges, where every chirp passes) and on the noise are
measured once per filter.

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

import math
from typing import Any

import numpy as np

from sdrlink._ext import lora_dsp
from sdrlink.protocols.lora import codec

#: a drift whose 95 % half-width exceeds this (Hz/s) is not reported: the frame is
#: too short (or too noisy) to tell a LEO drift (the FSK receiver's rule, a standard
#: error of 50 Hz/s, in the same terms)
MAX_DRIFT_UNCERTAINTY = 100.0
#: the smallest half-width reported (Hz/s): below it, on clean frames, what is left is
#: the receiver's own distortion, not noise that averages out
MIN_DRIFT_UNCERTAINTY = 0.5


def row_noise(rows: np.ndarray, sf: int, pos: np.ndarray) -> float:
    """Noise power per FFT bin in preamble up-chirp ``rows`` (chips, one per row) whose
    carrier sits at ``pos`` bins: consecutive rows, dechirped with their carriers moved
    onto the first one's and scaled to its peak, differ by their noise alone (the peak,
    its sidelobes and what the channel filter spreads from it cancel), in the bins a
    quarter band or more from the peak."""
    from sdrlink.protocols.lora.demod import dechirp_fft

    pos = np.asarray(pos, dtype=np.float64)
    spec = dechirp_fft(rows, sf, shift=pos - pos[0])
    noise = lora_dsp.diff_noise(np.ascontiguousarray(spec), float(pos[0]))
    return float(noise) if noise >= 0 else float("nan")


def preamble_snr(
    up: np.ndarray, pad: int, noise: float, gain: float = 1.0, noise_gain: float = 1.0
) -> float:
    """Linear SNR from dechirped preamble up-chirps ``up`` (rows zero-padded ``pad``
    times) and the noise power per FFT bin (:func:`row_noise`; when that is not finite,
    the far bins of ``up`` less the peaks' sidelobes, :func:`far_noise`). ``gain``: a
    clean chirp's peak power through the channel filter over N**2 (1 unfiltered);
    ``noise_gain``: the filter's noise power out over the noise power in the band."""
    n = up.shape[1] // pad
    pk = (np.abs(up) ** 2).max(axis=1)
    if not math.isfinite(noise):
        noise = float(np.mean(far_noise(up, pad)))
    sig = np.maximum(pk - noise, 0.0)
    in_band = n * noise / noise_gain
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


def filter_gains(rs: Any, sf: int) -> tuple[float, float]:
    """(gain, noise_gain) of :func:`preamble_snr` for the channel filter ``rs`` (a
    :class:`~sdrlink.protocols.lora.channel.FrameResampler`): a clean up-chirp's peak
    power through it over N**2 (the filter halves the band edges, where every chirp
    passes; the timing changes it by 1e-5), and the white noise power it passes over
    the power in its band. Measured once per filter and SF."""
    from sdrlink.protocols.lora.demod import dechirp_fft

    got = rs.gains.get(sf)
    if got is None:
        n = 1 << sf
        pk = (np.abs(dechirp_fft(clean_preamble(rs, 0.0, 1, sf), sf)) ** 2).max()
        noise = float((rs.bank.astype(np.float64) ** 2).sum(axis=1).mean() * rs.ratio)
        got = rs.gains[sf] = (float(pk) / n**2, noise)
    return got


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
    out = np.empty(len(up))
    lora_dsp.preamble_peaks(np.ascontiguousarray(up, dtype=np.complex64), out)
    return out


def timing_slope(t: np.ndarray, tau: np.ndarray) -> float:
    """|slope| (chips per symbol) of the timing the tracker used, 0 without two points."""
    if len(t) < 2:
        return 0.0
    dt = t - t.mean()
    sxx = float(dt @ dt)
    return abs(float(dt @ (tau - tau.mean())) / sxx) if sxx > 0 else 0.0


def corrected_bits(llr: np.ndarray, nibbles: np.ndarray, cr: int, block: int = 0) -> list[int]:
    """Codeword bits the soft decoder changed, per interleaver block of ``block``
    codewords (0: all in one): hard decisions of ``llr`` (shape (codewords, 4 + cr),
    > 0 favours 0) against the codewords of ``nibbles``."""
    if len(nibbles) == 0:
        return [0] if block == 0 else []
    book = codec.CODEBOOKS[cr][np.asarray(nibbles, dtype=np.int64)]
    wrong = (np.asarray(llr) < 0) != book.astype(bool)
    per = wrong.reshape(1 if block == 0 else len(wrong) // block, -1)
    return np.count_nonzero(per, axis=1).tolist()
