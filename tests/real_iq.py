"""IQ from real signals: the real FM-discriminator audio of ../shared/recordings put back
on a carrier, for the FSK receiver's IQ path.

Every real recording at hand is a ground station's discriminator audio. To check what an
SDR user's IQ goes through (channel filter, carrier search, FM discriminator from IQ) on
real transmitters rather than on the project's own modulator, :func:`real_iq` undoes the
ground station's FM receiver: it scales the audio so that the transmitter's symbols swing
by the nominal deviation, keeps the signal's band (the receiver's noise beyond it is not
part of the RF signal), frequency-modulates a carrier with it, and passes the result
through the channel model (carrier offset, LEO-like drift, noise at a given SNR in
Carson's bandwidth, all known). The files are read in place; nothing is copied.

Which recordings take part is decided by their json alone (:func:`takes_part`): every
FM-family recording (FSK, GFSK, GMSK, AFSK) whose listed frames' framing
:func:`sdrlink.framing.get_framing` knows, or whose satellite the catalogue describes with
a transmitter of that modulation and baud rate; the receiver is configured from the
catalogue, or else from the json's transmitters. A framing merged later thus adds its
recordings by name.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal
from scipy.io import wavfile

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.catalogue import find_satellite
from sdrlink.channel import channel
from sdrlink.errors import ConfigError
from sdrlink.frame import Frame
from sdrlink.framing import get_framing
from sdrlink.protocols import get_protocol
from sdrlink.protocols.fsk import make_params
from sdrlink.protocols.fsk.fmaudio import fm_transmit

FM_FAMILY = {"fsk", "gfsk", "gmsk", "afsk"}


def _json_configs(meta: dict) -> list[dict[str, Any]]:
    """Receiver options from the json's transmitters (or its top-level description)."""
    txs = meta.get("transmitters") or [
        {"modulation": meta["modulation"], "baudrate": meta["baudrate"], "framing": meta["framing"]}
    ]
    out = []
    for tx in txs:
        mod = str(tx.get("modulation", "")).lower()
        if mod not in FM_FAMILY:
            continue
        try:
            framing = get_framing(str(tx.get("framing", ""))).name
        except ConfigError:
            continue
        opts: dict[str, Any] = {
            "modulation": mod,
            "baud": float(tx["baudrate"]),
            "framing": framing,
        }
        if mod == "afsk" and "af_carrier" in tx:
            opts["af_carrier"] = float(tx["af_carrier"])
            opts["af_deviation"] = float(tx.get("deviation", 500.0))
        out.append(opts)
    return out


def configs(meta: dict) -> list[dict[str, Any]]:
    """Every FM-family transmitter configuration sdrlink can decode this recording with."""
    try:
        sat = find_satellite(meta["satellite"])
    except ConfigError:
        return _json_configs(meta)
    if sat.protocol != "fsk":
        return []
    return [dict(o) for o in (sat.options, *sat.alt_options)]


def _known(framing: str) -> bool:
    try:
        get_framing(framing)
    except ConfigError:
        return False
    return True


def takes_part(meta: dict) -> bool:
    """An FM-family recording whose listed frames sdrlink can decode: their framing is a
    registered one, or the satellite catalogue has a transmitter of the same modulation
    and baud rate (gr-satellites' framing names are matched exactly, never guessed)."""
    mod = str(meta.get("modulation", "")).lower()
    cfgs = configs(meta)
    if mod not in FM_FAMILY or not cfgs:
        return False
    if _known(str(meta.get("framing", ""))):
        return True
    baud = float(meta.get("baudrate", 0))
    return any(c.get("modulation") == mod and float(c.get("baud", 0)) == baud for c in cfgs)


def recordings(root: Path) -> list[str]:
    """Names of the recordings in ``root`` that take part (:func:`takes_part`)."""
    names = []
    for path in sorted(root.glob("*.json")):
        if takes_part(json.loads(path.read_text())):
            names.append(path.stem)
    return names


@lru_cache(maxsize=8)
def load(root: Path, name: str) -> tuple[dict, float, np.ndarray]:
    meta = json.loads((root / f"{name}.json").read_text())
    fs, raw = wavfile.read(root / meta["recording"])
    scale = 1.0 if np.issubdtype(raw.dtype, np.floating) else float(np.iinfo(raw.dtype).max + 1)
    x = np.asarray(raw, np.float32) / np.float32(scale)
    if x.ndim > 1:
        x = x[:, 0]
    return meta, float(fs), x


def decode(x: np.ndarray, fs: float, options: dict, is_complex: bool, block: int = 65536):
    rx = get_protocol("fsk").make_receiver(options, StreamInfo(fs, is_complex=is_complex))
    frames: list[Frame] = []
    for s in range(0, len(x), block):
        frames += rx.process(SampleBlock(x[s : s + block], s))
    return frames + rx.flush()


@dataclass(frozen=True)
class Source:
    """A recording's audio ready to go on a carrier, with the transmitter it was sent by."""

    name: str
    options: dict[str, Any]
    audio: np.ndarray  # +-1 = +-deviation (FSK) or the tones' peak = deviation (AFSK)
    rate: float
    expected: frozenset[bytes]


def source(root: Path, name: str) -> Source:
    """The audio of ``name`` normalised for :func:`real_iq`, and its transmitter.

    The audio's scale is measured where the recording's listed frames are: the audio
    path of the receiver finds them (with every configuration :func:`configs` gives;
    the one that finds the most is the transmitter), and over each frame the level of
    the symbols (FSK: the median distance of the one-symbol average from the frame's
    median; AFSK: the tones' peak, sqrt(2) times their RMS) is taken.
    """
    meta, fs, x = load(root, name)
    expected = frozenset(bytes.fromhex(h) for h in meta["frames_hex"])
    best: tuple[int, dict, list[Frame]] | None = None
    for options in configs(meta):
        frames = [f for f in decode(x, fs, options, False) if f.payload in expected]
        if best is None or len(frames) > best[0]:
            best = (len(frames), options, frames)
    assert best is not None and best[0], f"{name}: the audio path finds none of its frames"
    _, options, frames = best
    p = make_params(options)
    sps = fs / p.baud
    levels = []
    for f in frames:
        seg = x[f.sample_index : f.sample_index + int(8 * len(f.payload) * sps)].astype(np.float64)
        if p.modulation == "afsk":
            seg = seg - seg.mean()
            levels.append(math.sqrt(2.0 * float(np.mean(seg * seg))))
        else:
            n = max(1, int(round(sps)))
            avg = np.convolve(seg, np.ones(n) / n, mode="valid")
            levels.append(float(np.median(np.abs(avg - np.median(avg)))))
    level = float(np.median(levels))
    # keep the signal's band: the ground station's noise beyond it is not on the air
    top = max(p.afsk_tones) + p.baud if p.modulation == "afsk" else 1.2 * p.baud
    audio = x.astype(np.float64)
    if top < 0.45 * fs:
        audio = signal.filtfilt(signal.firwin(int(8 * fs / top) | 1, top, fs=fs), 1.0, audio)
    if p.modulation != "afsk":
        audio = audio - np.median(audio)  # the ground station's tuning error is not ours
    return Source(name, options, (audio / level).astype(np.float32), fs, expected)


def real_iq(
    src: Source,
    sample_rate: float,
    snr_db: float,
    cfo_hz: float,
    drift_hz_s: float,
    seed: int,
    pad_s: float = 0.2,
) -> np.ndarray:
    """Complex baseband at ``sample_rate``: the source's audio frequency-modulated onto a
    carrier ``cfo_hz`` off (drifting ``drift_hz_s``), with noise at ``snr_db`` in Carson's
    bandwidth. ``pad_s`` of silence (noise only) goes before and after."""
    p = make_params(src.options)
    iq = fm_transmit(src.audio, src.rate, p.deviation, sample_rate)
    pad = np.zeros(int(pad_s * sample_rate), np.complex64)
    iq = np.concatenate([pad, iq, pad])
    rng = np.random.default_rng(seed)
    return channel(
        iq,
        sample_rate,
        snr_db=snr_db,
        signal_bw=p.snr_bandwidth,
        cfo_hz=cfo_hz,
        rate_hz_s=drift_hz_s,
        rng=rng,
        signal_power=1.0,
    )


def to_cu8(iq: np.ndarray, rms: float = 0.25) -> np.ndarray:
    """Interleaved unsigned 8-bit IQ as rtl_sdr writes it (the whole signal scaled to
    ``rms`` of full scale, rounded, clipped)."""
    scale = rms * 127.5 / float(np.sqrt(np.mean(np.abs(iq) ** 2)))
    inter = np.empty(2 * len(iq), np.float64)
    inter[0::2] = iq.real * scale
    inter[1::2] = iq.imag * scale
    return np.clip(np.round(inter + 127.5), 0, 255).astype(np.uint8)
