"""FSK modulators (2-FSK, GFSK, GMSK, AFSK) and framers, for simulation and tests.

``frame_symbols`` gives the channel bits of one transmission (preamble, framing,
line coding); ``frequency`` turns them into the instantaneous frequency at any
sample rate (fractional samples per symbol allowed); ``modulate`` gives complex
baseband and ``modulate_audio`` what an FM receiver's discriminator would output.
"""

from __future__ import annotations

import math

import numpy as np

from sdrlink.framing import EncodedFrame, get_framing
from sdrlink.protocols.fsk.params import FskParams


def preamble_bits(params: FskParams) -> int:
    """Preamble length asked of the framing: about 100 ms, at least 256 bits."""
    return max(256, int(params.baud // 10))


def encode_frame(params: FskParams, payload: bytes) -> EncodedFrame:
    """Channel bits (0/1) of one frame with preamble and postamble, and the frame's start."""
    framing = get_framing(params.framing)
    if framing.encode is None:
        raise ValueError(f"framing {framing.name} has no encoder")
    return framing.encode(payload, dict(params.framing_options), preamble_bits(params))


def frame_start_symbol(params: FskParams) -> int:
    """Index in the channel bits where the receiver's frame starts (sync word or the
    opening flag just before an AX.25 frame); the same for every payload."""
    return encode_frame(params, b"\x00" * 16).start


def frame_symbols(params: FskParams, payload: bytes) -> np.ndarray:
    """Channel bits (0/1) of one frame with preamble and postamble."""
    return encode_frame(params, payload).bits


def _gaussian_taps(sps: float, bt: float) -> np.ndarray:
    sigma = sps * math.sqrt(math.log(2)) / (2 * math.pi * bt)
    half = int(math.ceil(3 * sigma))
    t = np.arange(-half, half + 1)
    g = np.exp(-0.5 * (t / sigma) ** 2)
    return g / g.sum()


def frequency(params: FskParams, bits: np.ndarray, sample_rate: float) -> np.ndarray:
    """Instantaneous frequency (Hz) of the modulated carrier, one value per sample.

    For AFSK this is the FM deviation times the audio tone signal.
    """
    bits = np.asarray(bits, dtype=np.uint8)
    sps = sample_rate / params.baud
    n = int(math.ceil(len(bits) * sps))
    sym_idx = np.minimum((np.arange(n) / sps).astype(np.int64), len(bits) - 1)
    if params.modulation == "afsk":
        mark, space = params.afsk_tones
        tone = np.where(bits[sym_idx] == 1, mark, space)
        phase = 2 * np.pi * np.cumsum(tone) / sample_rate
        return (params.deviation * np.sin(phase)).astype(np.float64)
    nrz = bits[sym_idx].astype(np.float64) * 2 - 1
    if params.modulation in ("gfsk", "gmsk"):
        nrz = np.convolve(nrz, _gaussian_taps(sps, params.bt), mode="same")
    return params.deviation * nrz


def modulate(params: FskParams, payload: bytes, sample_rate: float) -> np.ndarray:
    """Complex baseband (complex64, unit amplitude) of one frame."""
    f = frequency(params, frame_symbols(params, payload), sample_rate)
    phase = 2 * np.pi * np.cumsum(f) / sample_rate
    return np.exp(1j * phase).astype(np.complex64)


def modulate_audio(params: FskParams, payload: bytes, sample_rate: float) -> np.ndarray:
    """FM-discriminator audio (float32, peak about 1) of one frame."""
    f = frequency(params, frame_symbols(params, payload), sample_rate)
    return (f / params.deviation).astype(np.float32)
