"""FSK receiver throughput: seconds of signal decoded per second of CPU (x real time).

Synthesises a stretch of noisy signal with the project's own modulator and
channel model (frames back to back, a 10 s segment repeated), then runs the
receiver over it in 65536-sample blocks on one core.

    .venv/bin/python benchmarks/fsk_throughput.py [--seconds 120] [--carrier-search 0]

``--carrier-search`` sets the IQ receivers' blind search range (default 12k,
as the receiver's own default; 0 turns it off).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's sdrlink

from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.channel import channel  # noqa: E402
from sdrlink.framing.ax25 import ui_frame  # noqa: E402
from sdrlink.protocols.fsk import FskReceiver, make_params, modulate, modulate_audio  # noqa: E402

CASES = [
    (
        "audio 48k, 9600 Bd FSK AX100",
        48_000.0,
        False,
        {"modulation": "fsk", "baud": 9600, "framing": "ax100"},
    ),
    (
        "audio 48k, 9600 Bd FSK G3RUH",
        48_000.0,
        False,
        {"modulation": "fsk", "baud": 9600, "framing": "ax25_g3ruh"},
    ),
    (
        "audio 48k, 1200 Bd AFSK AX.25",
        48_000.0,
        False,
        {"modulation": "afsk", "baud": 1200, "framing": "ax25"},
    ),
    (
        "IQ 250k, 9600 Bd GMSK AX100",
        250_000.0,
        True,
        {"modulation": "gmsk", "baud": 9600, "framing": "ax100"},
    ),
    (
        "IQ 250k, 9600 Bd FSK G3RUH",
        250_000.0,
        True,
        {"modulation": "fsk", "baud": 9600, "framing": "ax25_g3ruh"},
    ),
    (
        "IQ 250k, 1200 Bd AFSK AX.25",
        250_000.0,
        True,
        {"modulation": "afsk", "baud": 1200, "framing": "ax25"},
    ),
]


def segment(
    fs: float, is_complex: bool, options: dict, rng: np.random.Generator, seconds: float = 10.0
) -> tuple[np.ndarray, int]:
    """``seconds`` of frames separated by gaps, with noise; returns (samples, frame count)."""
    params = make_params(options)
    payload = ui_frame("CQ", "BENCH", bytes(range(60)))
    if params.framing == "ax100":
        payload = bytes(range(100))
    mod = modulate if is_complex else modulate_audio
    burst = mod(params, payload, fs)
    gap = np.zeros(int(0.2 * fs), dtype=burst.dtype)
    n = int(seconds * fs)
    reps = max(1, n // (len(burst) + len(gap)))
    x = np.concatenate([np.concatenate([gap, burst]) for _ in range(reps)])
    x = np.concatenate([x, np.zeros(max(0, n - len(x)), dtype=x.dtype)])[:n]
    if is_complex:
        x = channel(
            x,
            fs,
            snr_db=20,
            signal_bw=2 * (params.deviation + params.baud),
            cfo_hz=1200.0,
            rng=rng,
            signal_power=1.0,
        )
    else:
        x = (0.4 * x + 0.03 * rng.standard_normal(len(x))).astype(np.float32)
    return x, reps


def run_case(
    fs: float, is_complex: bool, options: dict, seconds: float, block: int, rng: np.random.Generator
) -> tuple[float, int, int]:
    seg, per_seg = segment(fs, is_complex, options, rng)
    repeats = max(1, int(round(seconds / 10.0)))
    rx = FskReceiver(make_params(options), StreamInfo(fs, is_complex=is_complex))
    frames = 0
    t0 = time.process_time()
    pos = 0
    for _ in range(repeats):
        for s in range(0, len(seg), block):
            frames += len(rx.process(SampleBlock(seg[s : s + block], pos)))
            pos += len(seg[s : s + block])
    frames += len(rx.flush())
    cpu = time.process_time() - t0
    return pos / fs / cpu, frames, per_seg * repeats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120.0, help="signal length per case")
    ap.add_argument("--block", type=int, default=65536, help="block size in samples")
    ap.add_argument(
        "--carrier-search", default="12k", help="IQ receivers' carrier search range (0: off)"
    )
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    print(f"{'case':34s} {'signal s':>8s} {'x real time':>12s} {'frames':>10s}")
    for name, fs, is_complex, options in CASES:
        if is_complex:
            options = {**options, "carrier_search": args.carrier_search}
        speed, got, sent = run_case(fs, is_complex, options, args.seconds, args.block, rng)
        print(f"{name:34s} {args.seconds:8.0f} {speed:12.0f} {got:>5d}/{sent:<4d}", flush=True)


if __name__ == "__main__":
    main()
