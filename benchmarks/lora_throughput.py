"""LoRa receiver throughput: samples processed per CPU-second.

Synthesises a 60 s, 250 ksps recording with one 16-byte SF7 (BW 125 kHz)
frame every 0.5 s in light noise, streams it through the receiver in blocks
and prints the input samples processed per CPU-second (time.process_time,
one process) and the number of frames found.

    python benchmarks/lora_throughput.py [--seconds 60] [--block 65536] [--sf 7] [--noise-only]

``--write FILE.cf32`` also saves the recording, for timing the whole process:

    python benchmarks/lora_throughput.py --write lt.cf32
    /usr/bin/time sdrlink decode lt.cf32 --rate 250k -p lora --bw 125k --sf 7 -q
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import table  # noqa: E402

from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.channel import add_noise  # noqa: E402
from sdrlink.protocols.lora import LoRaParams, make_receiver, modulate  # noqa: E402


def make_recording(
    seconds: float, fs: float, sf: int, rng: np.random.Generator, frames: bool = True
):
    p = LoRaParams(sf=sf, bw=125e3, cr=1)
    x = np.zeros(int(seconds * fs), dtype=np.complex64)
    payloads = []
    period = int(0.5 * fs)
    for i, start in enumerate(range(period // 4, len(x) if frames else 0, period)):
        pay = i.to_bytes(4, "big") + bytes(rng.integers(0, 256, 12, dtype=np.uint8))
        burst = modulate(p, pay, fs) * np.exp(2j * np.pi * rng.random())
        if start + len(burst) > len(x):
            break
        x[start : start + len(burst)] = burst
        payloads.append(pay)
    return add_noise(x, 10.0, 125e3, fs, rng, signal_power=1.0), payloads


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=250e3, help="sample rate, Hz")
    ap.add_argument("--sf", default="7", help='spreading factors the receiver looks for, "7,8"')
    ap.add_argument("--block", type=int, default=65536)
    ap.add_argument("--write", metavar="FILE", help="also save the recording (cf32)")
    ap.add_argument(
        "--noise-only",
        action="store_true",
        help="the same noise without the frames: what the stream alone costs, without frames",
    )
    a = ap.parse_args(argv)
    rng = np.random.default_rng(7)
    x, payloads = make_recording(a.seconds, a.rate, 7, rng, frames=not a.noise_only)
    if a.write:
        x.astype(np.complex64).tofile(a.write)
    sfs = [int(v) for v in a.sf.split(",")]
    rx = make_receiver({"sf": sfs, "bw": 125e3}, StreamInfo(sample_rate=a.rate))
    frames = []
    t0 = time.process_time()
    for s in range(0, len(x), a.block):
        frames += rx.process(SampleBlock(x[s : s + a.block], s))
    frames += rx.flush()
    cpu = time.process_time() - t0
    got = {f.payload for f in frames if f.crc_ok}
    found = sum(1 for p in payloads if p in got)
    rows = [
        [
            f"{a.seconds:g} s",
            f"{a.rate / 1e3:g} k",
            ",".join(map(str, sfs)),
            len(x),
            cpu,
            len(x) / cpu / 1e6,
            f"{found}/{len(payloads)}",
        ]
    ]
    print(table(["length", "rate", "SF", "samples", "CPU s", "Msps/CPU-s", "frames"], rows))
    return 0 if found == len(payloads) else 1


if __name__ == "__main__":
    sys.exit(main())
