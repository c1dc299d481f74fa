"""Helpers of the framing tests: simulated bursts through the FSK modem, decoding
recordings in place, and the checks every framing must pass on noise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import channel
from sdrlink.frame import Frame
from sdrlink.framing import get_framing
from sdrlink.protocols.fsk import FskReceiver, make_params, modulate

FS = 250_000.0


def run(rx: FskReceiver, x: np.ndarray, block: int = 65536) -> list[Frame]:
    """Feed ``x`` to ``rx`` in blocks of ``block`` samples; every frame, flush included."""
    out: list[Frame] = []
    for s in range(0, len(x), block):
        out += rx.process(SampleBlock(x[s : s + block], s))
    return out + rx.flush()


def iq_bursts(
    options: dict, payloads: list[bytes], snr_db: float, cfo: float, rng, gap: int = 20_000
) -> np.ndarray:
    """Complex baseband at :data:`FS` of ``payloads`` (one transmission each, ``gap``
    samples of silence around them) through :func:`sdrlink.channel.channel`; the SNR
    is measured in 2*(deviation + baud)."""
    p = make_params(options)
    parts = [np.zeros(gap, np.complex64)]
    for payload in payloads:
        parts += [modulate(p, payload, FS), np.zeros(gap, np.complex64)]
    bw = 2 * (p.deviation + p.baud)
    return channel(
        np.concatenate(parts),
        FS,
        snr_db=snr_db,
        signal_bw=bw,
        cfo_hz=cfo,
        rng=rng,
        signal_power=1.0,
    )


def decode_iq(options: dict, y: np.ndarray, block: int = 65536) -> list[Frame]:
    """Frames the FSK receiver finds in IQ ``y`` (sample rate :data:`FS`)."""
    return run(FskReceiver(make_params(options), StreamInfo(FS, is_complex=True)), y, block)


def good_payloads(frames: list[Frame]) -> list[bytes]:
    """Payloads of the frames whose check passed (or that have none), in order."""
    return [f.payload for f in frames if f.crc_ok is not False]


def load_wav(path: Path) -> tuple[float, np.ndarray]:
    from scipy.io import wavfile

    fs, x = wavfile.read(path)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim > 1:
        x = x[:, 0]
    return float(fs), x / 32768.0


def decode_recording(path: Path, options: dict, block: int = 65536) -> list[Frame]:
    """Frames of a shared recording (48 kHz FM-discriminator audio), read in place."""
    fs, x = load_wav(path)
    rx = FskReceiver(make_params(options), StreamInfo(fs, is_complex=False))
    return run(rx, x, block)


def expected_frames(root: Path, name: str) -> set[bytes]:
    """The distinct frames a recording's json lists."""
    meta = json.loads((root / f"{name}.json").read_text())
    return {bytes.fromhex(h) for h in meta["frames_hex"]}


def soft_garbage(framing: str, rng, n: int = 200_000, block: int = 7919) -> list:
    """Raw frames a framing's deframer finds in random soft symbols (Gaussian, and
    hard +-1 with outliers), fed in odd-sized blocks as a receiver would."""
    fr = get_framing(framing)
    found = []
    for soft in (
        rng.standard_normal(n).astype(np.float32),
        np.sign(rng.standard_normal(n)).astype(np.float32) * 1e3,
    ):
        d = fr.make_deframer(fr.parse_options({}), None)
        buf = np.zeros(0, np.float32)
        base = 0
        for s in range(0, n, block):
            buf = np.concatenate([buf, soft[s : s + block]])
            found += d.scan(buf, base, s + block >= n)
            cut = len(buf) - d.window
            if cut > 0:
                buf, base = buf[cut:], base + cut
    return found
