"""FM receiver and transmitter models: complex baseband <-> discriminator audio.

Many ground stations keep a pass as the audio of an FM receiver (its
discriminator output, 48 kHz mono). :func:`fm_receive` makes such audio from
complex baseband as a narrowband FM receiver would (IF filter, discriminator,
audio low-pass, resampling), so that tests and benchmarks can feed the audio
path with signals whose RF SNR is known. :func:`fm_transmit` goes the other
way: it frequency-modulates audio (e.g. a real recording's discriminator
output) onto a carrier, giving IQ for the receiver's IQ path.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy import signal


def _ratio(fs_out: float, fs_in: float) -> tuple[int, int]:
    r = Fraction(fs_out / fs_in).limit_denominator(1000)
    if abs(float(r) - fs_out / fs_in) > 1e-9 * fs_out / fs_in:
        raise ValueError(f"cannot resample {fs_in:g} Hz to {fs_out:g} Hz by a small ratio")
    return r.numerator, r.denominator


def fm_receive(
    iq: np.ndarray,
    sample_rate: float,
    audio_rate: float,
    deviation: float,
    if_bandwidth: float,
    audio_bandwidth: float | None = None,
) -> np.ndarray:
    """Discriminator audio (float32; +-1 at +-``deviation`` Hz) of complex baseband.

    The IF filter passes ``if_bandwidth`` Hz around 0 (linear-phase FIRs
    without delay: the audio lines up with the input),
    the discriminator measures the phase step per sample, the audio low-pass
    keeps ``audio_bandwidth`` Hz (default: up to 0.45 of ``audio_rate``),
    and the audio is resampled to ``audio_rate``.
    """
    x = np.asarray(iq, np.complex64)
    half = min(0.49 * sample_rate, if_bandwidth / 2)
    ntaps = int(8 * sample_rate / half) | 1
    x = signal.oaconvolve(x, signal.firwin(ntaps, half, fs=sample_rate), mode="same")
    dphi = np.angle(x[1:] * np.conj(x[:-1]))
    audio = np.concatenate([[0.0], dphi]) * sample_rate / (2 * math.pi * deviation)
    cut = audio_bandwidth if audio_bandwidth else 0.45 * audio_rate
    if cut < 0.45 * audio_rate or sample_rate == audio_rate:
        taps = signal.firwin(int(8 * sample_rate / cut) | 1, cut, fs=sample_rate)
        audio = signal.oaconvolve(audio, taps, mode="same")
    if sample_rate != audio_rate:
        up, down = _ratio(audio_rate, sample_rate)
        audio = signal.resample_poly(audio, up, down)
    return np.asarray(audio, np.float32)


def fm_transmit(
    audio: np.ndarray, audio_rate: float, deviation: float, sample_rate: float
) -> np.ndarray:
    """Complex baseband (complex64, unit amplitude) frequency-modulated by ``audio``.

    ``audio`` (+-1 = +-``deviation`` Hz) is resampled to ``sample_rate`` by
    band-limited interpolation and integrated into the carrier's phase.
    """
    a = np.asarray(audio, np.float64)
    if sample_rate != audio_rate:
        up, down = _ratio(sample_rate, audio_rate)
        a = signal.resample_poly(a, up, down)
    phase = 2 * math.pi * deviation / sample_rate * np.cumsum(a)
    return np.exp(1j * phase).astype(np.complex64)
