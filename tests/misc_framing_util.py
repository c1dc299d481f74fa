"""Helpers of the framing tests: deframe soft symbols directly, or run frames
through the project's own modulator, sdrlink.channel and the FSK receiver."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import channel
from sdrlink.framing import get_framing
from sdrlink.framing.base import RawFrame
from sdrlink.framing.stream import SymbolWindow
from sdrlink.protocols import get_protocol
from sdrlink.protocols.fsk import make_params, modulate

FS = 250_000.0


def deframe(
    framing: str, soft: np.ndarray, block: int = 4096, options: dict | None = None, invert=None
) -> list[RawFrame]:
    """Run a framing's deframer over soft symbols in blocks (frames with absolute starts)."""
    fr = get_framing(framing)
    win = SymbolWindow(fr.make_deframer(fr.parse_options(options or {}), invert))
    out = []
    soft = np.asarray(soft, np.float32)
    for s in range(0, max(len(soft), 1), block):
        part = soft[s : s + block]
        final = s + block >= len(soft)
        for r in win.feed(part, final, pos=np.zeros(len(part))):
            r.start += win.base
            r.stop += win.base
            out.append(r)
        win.trim()
    return out


def soft_of(bits: np.ndarray, rng, sigma: float = 0.0, pad: int = 500) -> np.ndarray:
    """Antipodal soft symbols of channel bits with Gaussian noise, random bits around."""
    b = np.concatenate([rng.integers(0, 2, pad), np.asarray(bits), rng.integers(0, 2, pad)])
    s = 2.0 * b.astype(np.float32) - 1
    return (s + sigma * rng.standard_normal(len(s))).astype(np.float32)


def encode_bits(framing: str, payload: bytes, options: dict | None = None, pre: int = 64):
    fr = get_framing(framing)
    assert fr.encode is not None
    return fr.encode(payload, fr.parse_options(options or {}), pre)


def receive(
    options: dict, x: np.ndarray, fs: float, block: int = 65536, protocol: str = "fsk"
) -> list:
    """Frames a receiver (FSK by default) finds in samples (complex IQ or real audio)."""
    info = StreamInfo(fs, is_complex=np.iscomplexobj(x))
    rx = get_protocol(protocol).make_receiver(options, info)
    out = []
    for s in range(0, len(x), block):
        out += rx.process(SampleBlock(x[s : s + block], s))
    return out + rx.flush()


def iq_bursts(
    options: dict, payloads: list[bytes], snr_db: float, cfo: float, rng, gap: int = 4000
) -> np.ndarray:
    """Modulated frames one after another, through the channel at ``snr_db`` in
    2*(deviation + baud)."""
    p = make_params(options)
    parts = [np.zeros(gap, np.complex64)]
    for pl in payloads:
        parts += [modulate(p, pl, FS), np.zeros(gap, np.complex64)]
    x = np.concatenate(parts)
    bw = 2 * (p.deviation + p.baud)
    return channel(x, FS, snr_db=snr_db, signal_bw=bw, cfo_hz=cfo, rng=rng, signal_power=1.0)


def noise_iq(rng, n: int = 400_000) -> np.ndarray:
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)


def recording(shared: Path, name: str) -> tuple[dict, Path]:
    meta = json.loads((shared / f"{name}.json").read_text())
    return meta, shared / meta["recording"]


def wav_audio(path: Path) -> tuple[float, np.ndarray]:
    from scipy.io import wavfile

    fs, x = wavfile.read(path)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim > 1:
        x = x[:, 0]
    return float(fs), x / 32768.0


def expected_frames(meta: dict) -> set[bytes]:
    return {bytes.fromhex(h) for h in meta["frames_hex"]}


def iq_of_bits(
    options: dict, bits_list: list[np.ndarray], snr_db: float, cfo: float, rng, gap: int = 4000
) -> np.ndarray:
    """Like :func:`iq_bursts` for channel bits the test built itself."""
    from sdrlink.protocols.fsk.modulator import frequency

    p = make_params(options)
    parts = [np.zeros(gap, np.complex64)]
    for bits in bits_list:
        f = frequency(p, bits, FS)
        parts += [np.exp(2j * np.pi * np.cumsum(f) / FS).astype(np.complex64)]
        parts.append(np.zeros(gap, np.complex64))
    x = np.concatenate(parts)
    bw = 2 * (p.deviation + p.baud)
    return channel(x, FS, snr_db=snr_db, signal_bw=bw, cfo_hz=cfo, rng=rng, signal_power=1.0)


def bpsk_bursts(
    options: dict, payloads: list[bytes], ebn0_db: float, cfo: float, rng, fs: float = 96_000.0
) -> np.ndarray:
    """BPSK frames one after another (own modulator), through the channel at ``ebn0_db``
    (SNR in a bandwidth equal to the bit rate, as the BPSK receiver reports it)."""
    from sdrlink.protocols.bpsk import make_params as bpsk_params
    from sdrlink.protocols.bpsk import modulate as bpsk_modulate

    p = bpsk_params(options)
    gap = np.zeros(int(0.05 * fs), np.complex64)
    parts = [gap]
    for pl in payloads:
        parts += [bpsk_modulate(p, pl, fs), gap]
    x = np.concatenate(parts)
    return channel(
        x, fs, snr_db=ebn0_db, signal_bw=p.snr_bandwidth, cfo_hz=cfo, rng=rng, signal_power=1.0
    )
