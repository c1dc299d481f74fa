"""BPSK modulators for simulation and tests: RRC-shaped BPSK, DBPSK and Manchester.

``channel_symbols`` turns the framing's channel bits into +-1 symbols
(differential encoding and Manchester chips as the modulation says);
``shape`` gives their RRC-shaped complex baseband at any sample rate
(fractional samples per symbol allowed); ``modulate`` does both for one
frame, and ``modulate_audio`` puts it on an audio carrier as an SSB receiver
would output it (upper sideband: the audio spectrum is the RF spectrum
shifted, not mirrored).
"""

from __future__ import annotations

import math

import numpy as np

from sdrlink.coding.linecode import diff_encode, nrzi_encode
from sdrlink.framing import EncodedFrame, get_framing
from sdrlink.protocols.bpsk.params import BpskParams
from sdrlink.protocols.bpsk.pulse import rrc

SPAN = 12  # pulse length in symbols
AUDIO_RMS = 0.35  # level of modulate_audio's output (peaks stay below 1)


def preamble_bits(params: BpskParams) -> int:
    """Preamble length asked of the framing: about 50 ms, at least 256 bits."""
    return max(256, int(params.baud // 20))


def encode_frame(params: BpskParams, payload: bytes) -> EncodedFrame:
    """Channel bits (0/1) of one frame with preamble and postamble, and the frame's start."""
    framing = get_framing(params.framing)
    if framing.encode is None:
        raise ValueError(f"framing {framing.name} has no encoder")
    return framing.encode(payload, dict(params.framing_options), preamble_bits(params))


def channel_symbols(params: BpskParams, bits: np.ndarray) -> np.ndarray:
    """+-1 symbols (float64) at :attr:`BpskParams.symbol_rate` for channel bits.

    bpsk: bit 1 -> +1. dbpsk: a 1 keeps the phase, a 0 inverts it (NRZI).
    dbpsk_manchester: a 1 inverts the phase (differential coding), each level
    sent as two chips (+1, -1) or (-1, +1). bpsk_manchester: bit 1 -> (+1, -1).
    """
    b = np.asarray(bits, dtype=np.uint8)
    if params.modulation == "dbpsk":
        b = nrzi_encode(b)
    elif params.modulation == "dbpsk_manchester":
        b = diff_encode(b)
    s = 2.0 * b.astype(np.float64) - 1.0
    if params.manchester:
        s = np.stack([s, -s], axis=1).ravel()
    return s


def shape(symbols: np.ndarray, sps: float, alpha: float) -> np.ndarray:
    """RRC-shaped complex baseband (complex64, unit mean power over the symbols).

    Symbol n is centred on sample ``(n + SPAN/2) * sps``; the output runs
    until the last pulse's tail has decayed (``(len + SPAN) * sps`` samples).
    """
    a = np.asarray(symbols, dtype=np.float64)
    n_sym = len(a)
    n = int(math.ceil((n_sym + SPAN) * sps))
    t = np.arange(n) / sps - SPAN / 2  # time in symbols relative to symbol 0
    base = np.floor(t).astype(np.int64)
    out = np.zeros(n, np.float64)
    half = SPAN // 2
    for k in range(-half, half + 2):
        idx = base + k
        ok = (idx >= 0) & (idx < n_sym)
        d = t[ok] - idx[ok]
        out[ok] += a[idx[ok]] * rrc(d, alpha) * _taper(d)
    # the pulse has unit energy per symbol period, so +-1 symbols give unit power
    return out.astype(np.complex64)


def _taper(d: np.ndarray) -> np.ndarray:
    """Smooth truncation of the pulse at +-SPAN/2 symbols (cosine over the last symbol)."""
    x = np.abs(d) - (SPAN / 2 - 1)
    return np.where(x <= 0, 1.0, np.where(x >= 1, 0.0, 0.5 + 0.5 * np.cos(math.pi * x)))


def modulate_bits(params: BpskParams, bits: np.ndarray, sample_rate: float) -> np.ndarray:
    """Complex baseband (complex64, unit power) of channel bits."""
    sps = sample_rate / params.symbol_rate
    return shape(channel_symbols(params, bits), sps, params.rrc_alpha)


def modulate(params: BpskParams, payload: bytes, sample_rate: float) -> np.ndarray:
    """Complex baseband (complex64, unit power) of one frame."""
    return modulate_bits(params, encode_frame(params, payload).bits, sample_rate)


def frame_start_sample(params: BpskParams, payload: bytes, sample_rate: float) -> float:
    """Sample of :func:`modulate`'s output where the receiver's frame starts."""
    start = encode_frame(params, payload).start
    if params.manchester:
        start *= 2
    return (start + SPAN / 2) * sample_rate / params.symbol_rate


def to_audio(z: np.ndarray, sample_rate: float, carrier: float, phase: float = 0.0) -> np.ndarray:
    """Complex baseband on an audio carrier, as an upper-sideband receiver outputs it (float32).

    ``z`` is shifted up by ``carrier`` Hz and only what then lies at positive
    frequencies is kept (an SSB receiver passes one sideband: noise added to
    ``z`` keeps its SNR), and the real part is returned. Unit-power baseband
    gives RMS :data:`AUDIO_RMS`. Works on a whole array at once (FFT).
    """
    n = len(z)
    osc = np.exp(1j * (2 * math.pi * carrier / sample_rate * np.arange(n) + phase))
    w = np.fft.fft(np.asarray(z, np.complex128) * osc)
    w[(n + 1) // 2 :] = 0  # negative frequencies: the other sideband
    return (math.sqrt(2) * AUDIO_RMS * np.real(np.fft.ifft(w))).astype(np.float32)


def modulate_audio(
    params: BpskParams, payload: bytes, sample_rate: float, carrier: float = 1500.0
) -> np.ndarray:
    """SSB audio (float32, RMS :data:`AUDIO_RMS`) of one frame on an audio carrier."""
    if not 0 < carrier < sample_rate / 2:
        raise ValueError(f"audio carrier {carrier:g} Hz outside 0..{sample_rate / 2:g} Hz")
    return to_audio(modulate(params, payload, sample_rate), sample_rate, carrier)
