"""BPSK receiver throughput: seconds of signal decoded per second of CPU (x real time).

Synthesises a stretch of noisy signal with the project's own modulator and
channel model (frames separated by short gaps, a 10 s segment repeated), as
SSB audio or complex IQ, then runs the receiver over it in 65536-sample
blocks on one core (carrier search included: the carrier drifts).

    .venv/bin/python benchmarks/bpsk_throughput.py [--seconds 120]
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
from sdrlink.protocols.bpsk import BpskReceiver, make_params, modulate  # noqa: E402
from sdrlink.protocols.bpsk.modulator import to_audio  # noqa: E402

G3RUH = {"modulation": "bpsk", "framing": "ax25_g3ruh"}
CASES = [
    # name, sample rate, complex, options, carrier offset or audio carrier (Hz)
    ("audio 48k, 9600 Bd BPSK G3RUH", 48_000.0, False, {**G3RUH, "baud": 9600}, 11_800.0),
    ("audio 48k, 1200 Bd BPSK G3RUH", 48_000.0, False, {**G3RUH, "baud": 1200}, 1_500.0),
    (
        "audio 48k, 1200 Bd DBPSK AX.25",
        48_000.0,
        False,
        {"modulation": "dbpsk", "baud": 1200, "framing": "ax25"},
        1_100.0,
    ),
    ("IQ 250k, 9600 Bd BPSK G3RUH", 250_000.0, True, {**G3RUH, "baud": 9600}, 3_000.0),
    ("IQ 250k, 1200 Bd BPSK G3RUH", 250_000.0, True, {**G3RUH, "baud": 1200}, -6_000.0),
]
SNR_DB = 15.0  # Eb/N0
DRIFT = 100.0  # Hz/s


def segment(
    fs: float, is_complex: bool, options: dict, offset: float, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """10 s of frames separated by gaps, with noise; returns (samples, frame count)."""
    params = make_params(options)
    burst = modulate(params, ui_frame("CQ", "BENCH", bytes(range(60))), fs)
    gap = np.zeros(int(0.2 * fs), np.complex64)
    n = int(10.0 * fs)
    reps = max(1, n // (len(burst) + len(gap)))
    x = np.concatenate([np.concatenate([gap, burst]) for _ in range(reps)])
    x = np.concatenate([x, np.zeros(max(0, n - len(x)), np.complex64)])[:n]
    cfo = offset if is_complex else 0.0
    y = channel(
        x, fs, snr_db=SNR_DB, signal_bw=params.baud, cfo_hz=cfo, rate_hz_s=DRIFT, rng=rng,
        signal_power=1.0,
    )  # fmt: skip
    return (y if is_complex else to_audio(y, fs, offset)), reps


def run_case(
    fs: float,
    is_complex: bool,
    options: dict,
    offset: float,
    seconds: float,
    block: int,
    rng: np.random.Generator,
) -> tuple[float, int, int]:
    seg, per_seg = segment(fs, is_complex, options, offset, rng)
    repeats = max(1, int(round(seconds / 10.0)))
    rx = BpskReceiver(make_params(options), StreamInfo(fs, is_complex=is_complex))
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
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    print(f"{'case':34s} {'signal s':>8s} {'x real time':>12s} {'frames':>10s}")
    for name, fs, is_complex, options, offset in CASES:
        speed, got, sent = run_case(fs, is_complex, options, offset, args.seconds, args.block, rng)
        print(f"{name:34s} {args.seconds:8.0f} {speed:12.0f} {got:>5d}/{sent:<4d}", flush=True)


if __name__ == "__main__":
    main()
