"""LR-FHSS transmitter: the frame's bits and its hopping GMSK waveform.

One GMSK modulator (BT 1, modulation index 1/2, bit 1 = upper frequency,
488.28125 bit/s) runs over the whole frame: header blocks, then payload
blocks (:mod:`.coding`). As in the SX126x chips, the first hop lasts one bit
longer than its block (the chip's "pulse-shape compensation"): each bit's
frequency pulse is centred 1.5 bit periods after the start of its block, and
the carrier steps to the next hop's frequency at every block boundary
(delayed by that one bit). The phase is continuous across hops.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sdrlink.errors import ConfigError
from sdrlink.protocols.lrfhss import coding
from sdrlink.protocols.lrfhss.hopping import BIT_RATE, hop_offsets
from sdrlink.protocols.lrfhss.params import LrFhssParams

BT = 1.0
DELAY_BITS = 1.0  # the chip's pulse-shape compensation: bit k's pulse is centred at k + 1.5
_CHUNK = 1 << 18


@dataclass(frozen=True)
class Hop:
    """One hop of a frame: where it starts (s after the frame start), how long, and where."""

    kind: str  # "header" or "payload"
    index: int  # header copy 0.. or fragment 0..
    start_s: float
    duration_s: float
    freq_hz: float  # relative to the channel centre
    first_bit: int  # index of the block's first bit in the frame's bit stream
    n_bits: int


def frame_bits(params: LrFhssParams, payload: bytes) -> tuple[list[np.ndarray], np.ndarray]:
    """The hop blocks of a frame (bits) and every hop's frequency offset (Hz)."""
    if not 1 <= len(payload) <= 255:
        raise ConfigError(f"LR-FHSS payload must be 1..255 bytes, not {len(payload)}")
    coded = coding.encode_payload(payload, params.cr)
    frags = coding.payload_blocks(coded)
    blocks = []
    for i in range(params.header_count):
        fields = coding.HeaderFields(
            length=len(payload),
            cr=params.cr,
            grid=params.grid,
            hopping=params.hopping,
            bw=params.bw,
            hop_seq_id=params.hop_seq_id,
            index=params.header_count - 1 - i,
        )
        blocks.append(coding.header_block(fields, params.sync_word))
    blocks += frags
    freqs = hop_offsets(
        params.bw,
        params.grid,
        params.hop_seq_id,
        params.header_count,
        len(frags),
        params.hopping,
        params.device_offset,
    )
    return blocks, freqs


def frame_layout(params: LrFhssParams, length: int) -> list[Hop]:
    """Time and frequency of every hop of a frame with a ``length``-byte payload."""
    coded = coding.payload_coded_bits(length, params.cr)
    sizes = [coding.HEADER_BITS] * params.header_count + [
        coding.GUARD_BITS + min(coding.FRAG_BITS, coded - i)
        for i in range(0, coded, coding.FRAG_BITS)
    ]
    freqs = hop_offsets(
        params.bw,
        params.grid,
        params.hop_seq_id,
        params.header_count,
        len(sizes) - params.header_count,
        params.hopping,
        params.device_offset,
    )
    return _layout(sizes, freqs, params.header_count)


def _layout(sizes: list[int], freqs: np.ndarray, header_count: int) -> list[Hop]:
    hops, bit = [], 0
    t_bit = 1 / BIT_RATE
    for h, n in enumerate(sizes):
        start = 0.0 if h == 0 else (bit + DELAY_BITS) * t_bit
        end = (bit + n + DELAY_BITS) * t_bit
        kind = "header" if h < header_count else "payload"
        idx = h if h < header_count else h - header_count
        hops.append(Hop(kind, idx, start, end - start, float(freqs[h]), bit, n))
        bit += n
    return hops


def _phase_step(tau: np.ndarray) -> np.ndarray:
    """Integrated GMSK frequency pulse (0 -> 1 over about two bits), ``tau`` in bit periods."""
    from scipy.special import erf  # here: `decode --help` imports this module

    a = np.sqrt(2.0) * np.sqrt(np.log(2.0)) / (2 * np.pi * BT)  # sqrt(2) * sigma, in bits

    def f(x: np.ndarray) -> np.ndarray:
        return x * erf(x / a) + a / np.sqrt(np.pi) * np.exp(-((x / a) ** 2))

    return 0.5 + 0.5 * (f(tau + 0.5) - f(tau - 0.5))


_STEP_RES = 4096  # table points per bit of the phase step (linear interpolation)


@lru_cache(maxsize=1)
def _step_table() -> np.ndarray:
    return _phase_step(np.arange(-2 * _STEP_RES, 2 * _STEP_RES + 2) / _STEP_RES)


def _phase_step_fast(tau: np.ndarray) -> np.ndarray:
    """:func:`_phase_step` from a table (error below 1e-7 rad)."""
    x = (np.clip(tau, -2.0, 2.0) + 2.0) * _STEP_RES
    i = np.minimum(x.astype(np.int64), 4 * _STEP_RES)
    frac = x - i
    table = _step_table()
    return table[i] + frac * (table[i + 1] - table[i])


def gmsk_phase(bits: np.ndarray, t_bits: np.ndarray) -> np.ndarray:
    """GMSK phase (radians) of a bit stream at times ``t_bits`` (in bit periods).

    Bit ``k``'s frequency pulse is centred at ``k + 0.5 + DELAY_BITS``; each
    bit adds or removes pi/2.
    """
    a = 2.0 * np.asarray(bits, dtype=np.float64) - 1.0
    cum = np.concatenate([[0.0], np.cumsum(a)])
    j0 = np.floor(t_bits - 0.5 - DELAY_BITS).astype(np.int64) - 1
    base = cum[np.clip(j0, 0, len(a))]
    acc = base.copy()
    for d in range(4):
        j = j0 + d
        ok = (j >= 0) & (j < len(a))
        jj = np.clip(j, 0, len(a) - 1)
        acc += np.where(ok, a[jj] * _phase_step_fast(t_bits - (jj + 0.5 + DELAY_BITS)), 0.0)
    return (np.pi / 2) * acc


def modulate(params: LrFhssParams, payload: bytes, sample_rate: float) -> np.ndarray:
    """Complex baseband of one frame at ``sample_rate``, hops relative to the channel centre."""
    fs = float(sample_rate)
    if fs < params.ocw_hz:
        raise ConfigError(
            f"sample rate {fs:g} Hz is below the LR-FHSS channel width {params.ocw_hz:g} Hz"
        )
    blocks, freqs = frame_bits(params, payload)
    bits = np.concatenate(blocks)
    hops = _layout([len(b) for b in blocks], freqs, params.header_count)
    n_total = int(np.ceil((len(bits) + DELAY_BITS) / BIT_RATE * fs))
    starts = np.array([h.start_s for h in hops])
    f = np.array([h.freq_hz for h in hops])
    acc0 = np.concatenate([[0.0], np.cumsum(np.diff(starts) * f[:-1])])  # cycles at hop starts
    out = np.empty(n_total, dtype=np.complex64)
    for s in range(0, n_total, _CHUNK):
        t = np.arange(s, min(s + _CHUNK, n_total)) / fs
        h = np.searchsorted(starts, t, side="right") - 1
        cycles = acc0[h] + f[h] * (t - starts[h])
        phase = gmsk_phase(bits, t * BIT_RATE) + 2 * np.pi * np.mod(cycles, 1.0)
        out[s : s + len(t)] = np.exp(1j * phase).astype(np.complex64)
    return out
