"""Wideband multi-channel LoRa captures for the gateway benchmarks (and their truth).

A capture holds ``channels`` LoRa channels (125 kHz, offsets from the centre
frequency) of one 8-bit IQ recording, as an RTL-SDR (cu8) or a HackRF (cs8)
gives it, with frames of SF7..12 on every channel; frames on different
channels overlap in time, frames on one channel do not.

The frames come from an independent LoRa transmitter when it is installed:
the ``lora-phy`` package (PyPI; a Python translation of jkadbear's LoRaPHY),
which sends the LoRaWAN public sync word 0x34 and is modulated at 2 samples
per chip. Without it, sdrlink's own modulator is used and the table says so
(not independent). Each frame then gets what a real end device and channel
give it: a crystal error of up to ``ppm`` (carrier offset and sample-clock
offset alike), a random phase and fractional start, an SNR drawn from
``snr`` (dB in the channel's bandwidth); it is resampled to the capture rate
(scipy.signal.resample_poly), moved onto its channel and added to white noise.
The capture is written in 1 s pieces, so memory stays small for long ones.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

BW = 125e3
TX_RATE = 2 * BW  # the transmitter's own sample rate
CARRIER = 868e6  # for the crystal error in Hz


@dataclass
class TruthFrame:
    channel_hz: float
    sf: int
    payload: bytes
    start: int  # first sample in the capture
    length: int  # samples in the capture
    snr_db: float
    ppm: float


def _lora_phy_transmitter():
    """lora_phy.tx.LoRaTransmitter, or None when lora-phy is not installed.

    The package's ``__init__`` imports a module that needs Python >= 3.12
    syntax, so only its transmitter module is loaded.
    """
    if "lora_phy" not in sys.modules:
        spec = importlib.util.find_spec("lora_phy")
        if spec is None or not spec.submodule_search_locations:
            return None
        pkg = types.ModuleType("lora_phy")
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules["lora_phy"] = pkg
    from lora_phy.tx import LoRaTransmitter

    return LoRaTransmitter


def transmitter_name() -> str:
    if _lora_phy_transmitter() is not None:
        return "lora-phy 0.3 (independent)"
    return "sdrlink's modulator (NOT independent: pip install lora-phy)"


SYNC_WORD = 0x34  # what lora-phy sends (LoRaWAN public); sdrlink's modulator is told the same


def baseband(sf: int, payload: bytes) -> np.ndarray:
    """One frame at TX_RATE (2 samples per chip), CR 4/5, explicit header, CRC."""
    tx_cls = _lora_phy_transmitter()
    if tx_cls is not None:
        tx = tx_cls(sf, BW, TX_RATE, coding_rate=1, preamble_len=8)
        symbols = tx.encode(np.frombuffer(payload, dtype=np.uint8).copy())
        return np.asarray(tx.modulate(symbols), dtype=np.complex64)
    from sdrlink.protocols.lora import LoRaParams, modulate

    p = LoRaParams(sf=sf, bw=BW, cr=1, sync_word=SYNC_WORD)
    return modulate(p, payload, TX_RATE)


def eu868_like(n: int, spacing: float = 200e3) -> list[float]:
    """``n`` channel offsets ``spacing`` apart, centred on 0 (8: -700k..+700k)."""
    return [(i - (n - 1) / 2) * spacing for i in range(n)]


def schedule(
    channels: list[float],
    seconds: float,
    n_frames: int,
    fs: float,
    rng: np.random.Generator,
    snr: tuple[float, float],
    ppm: float,
) -> list[tuple[TruthFrame, np.ndarray]]:
    """Frames spread over the capture: frame i on channel i mod len(channels).

    Each channel's time is cut into as many slots as it has frames and a
    frame starts at a random time inside its slot (so that it ends inside
    it); the spreading factor runs through 7..12 per channel, in a random
    order per channel, so every channel carries every SF.
    """
    n_ch = len(channels)
    per_ch = [list(range(i, n_frames, n_ch)) for i in range(n_ch)]
    out: list[tuple[TruthFrame, np.ndarray]] = []
    for ci, idx in enumerate(per_ch):
        if not idx:
            continue
        sfs = [7 + (k % 6) for k in range(len(idx))]
        rng.shuffle(sfs)
        slot = seconds / len(idx)
        for k, (i, sf) in enumerate(zip(idx, sfs, strict=True)):
            length = int(rng.integers(8, 25))
            payload = i.to_bytes(2, "big") + bytes(rng.integers(0, 256, length - 2, dtype=np.uint8))
            x = baseband(sf, payload)
            dur = len(x) / TX_RATE
            if dur + 0.02 > slot:
                raise ValueError(f"SF{sf} frames need slots of {dur:.2f} s: fewer frames")
            t0 = k * slot + 0.01 + rng.random() * (slot - dur - 0.02)
            f = TruthFrame(
                channel_hz=channels[ci],
                sf=sf,
                payload=payload,
                start=int(round(t0 * fs)),
                length=0,
                snr_db=float(rng.uniform(*snr)),
                ppm=float(rng.uniform(-ppm, ppm)),
            )
            out.append((f, x))
    out.sort(key=lambda fx: fx[0].start)
    return out


def _to_capture(
    f: TruthFrame, x: np.ndarray, fs: float, noise_sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """Frame at TX_RATE -> crystal error, resampled to fs, on its channel, scaled to its SNR."""
    from scipy import signal

    from sdrlink.channel import apply_sfo

    # a fast transmitter clock: the receiver sees fewer samples per symbol
    y = apply_sfo(x, -f.ppm) if f.ppm else x
    r = Fraction(fs / TX_RATE).limit_denominator(1000)
    y = signal.resample_poly(y, r.numerator, r.denominator).astype(np.complex64)
    # fractional start: shift by a random part of a sample with a linear phase ramp
    # in frequency (exact for the band-limited frame)
    n = len(y) + 64
    spec = np.fft.fft(np.concatenate([y, np.zeros(64, np.complex64)]))
    frac = rng.random()
    k = np.fft.fftfreq(n)
    y = np.fft.ifft(spec * np.exp(-2j * np.pi * k * frac)).astype(np.complex64)
    t = (f.start + np.arange(len(y))) / fs
    freq = f.channel_hz + f.ppm * 1e-6 * CARRIER
    phase = 2 * np.pi * (freq * t + rng.random())
    # SNR in the LoRa bandwidth: noise power there is 2 sigma^2 * BW / fs
    amp = np.sqrt(10 ** (f.snr_db / 10) * 2 * noise_sigma**2 * BW / fs)
    return (y * amp * np.exp(1j * phase)).astype(np.complex64)


def write_capture(
    path: Path,
    fs: float,
    channels: list[float],
    seconds: float,
    n_frames: int,
    seed: int = 1,
    snr: tuple[float, float] = (-5.0, 10.0),
    ppm: float = 10.0,
    fmt: str = "cu8",
    noise_sigma: float = 6.0,
) -> list[TruthFrame]:
    """Write the capture (``fmt`` cu8 or cs8, 8-bit IQ) and return its frames' truth."""
    rng = np.random.default_rng(seed)
    frames = schedule(channels, seconds, n_frames, fs, rng, snr, ppm)
    total = int(round(seconds * fs))
    chunk = int(fs)
    pending = list(frames)
    active: list[tuple[TruthFrame, np.ndarray]] = []
    truth: list[TruthFrame] = []
    with open(path, "wb") as fh:
        for a in range(0, total, chunk):
            b = min(total, a + chunk)
            while pending and pending[0][0].start < b:
                f, x = pending.pop(0)
                y = _to_capture(f, x, fs, noise_sigma, rng)
                f.length = len(y)
                if f.start + len(y) <= total:
                    truth.append(f)
                active.append((f, y))
            noise = rng.standard_normal((b - a, 2)).astype(np.float32) * noise_sigma
            z = noise[:, 0] + 1j * noise[:, 1]
            for f, y in active:
                lo, hi = max(a, f.start), min(b, f.start + len(y))
                if hi > lo:
                    z[lo - a : hi - a] += y[lo - f.start : hi - f.start]
            active = [(f, y) for f, y in active if f.start + len(y) > b]
            iq = np.empty((b - a, 2), dtype=np.float32)
            iq[:, 0], iq[:, 1] = z.real, z.imag
            if fmt == "cu8":  # read back as (v - 127.5) / 127.5
                np.clip(np.round(iq + 127.5), 0, 255).astype(np.uint8).tofile(fh)
            else:
                np.clip(np.round(iq), -127, 127).astype(np.int8).tofile(fh)
    return truth


def cached_capture(
    where: Path,
    fs: float,
    channels: list[float],
    seconds: float,
    n_frames: int,
    seed: int,
    snr: tuple[float, float],
    ppm: float,
    fmt: str,
    keep: bool,
) -> tuple[Path, list[TruthFrame], bool]:
    """The capture in ``where`` (written unless one with these settings is there).

    Returns (path, truth, whether it was there already); with ``keep`` the
    truth is saved next to it for the next run.
    """
    path = where / f"gateway.{fmt}"
    settings = [seconds, fs, channels, n_frames, seed, list(snr), ppm, fmt, transmitter_name()]
    saved = where / "gateway-truth.json"
    if saved.exists() and path.exists():
        old = json.loads(saved.read_text())
        if old[0] == json.loads(json.dumps(settings)):
            truth = [TruthFrame(**dict(d, payload=bytes.fromhex(d["payload"]))) for d in old[1]]
            return path, truth, True
    truth = write_capture(path, fs, channels, seconds, n_frames, seed, snr, ppm, fmt)
    if keep:
        rows = [dict(vars(f), payload=f.payload.hex()) for f in truth]
        saved.write_text(json.dumps([settings, rows]))
    return path, truth, False
