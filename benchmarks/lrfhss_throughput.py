"""LR-FHSS receiver throughput: real time per CPU-second, blind (no option given).

Two workloads, each a recording with one 16-byte packet every ``--interval``
seconds (random hop sequence, carrier within +-5 kHz, SNR 10 dB in 488 Hz):

* ``137k``: EU868 DR8 (137 kHz channel, CR 1/3) at 250 ksps, in memory;
* ``1523k``: US915 DR5 (1.523 MHz channel, 25.4 kHz grid) at 2.4 Msps, written
  as an 8-bit unsigned ``.cu8`` file as rtl_sdr stores it and decoded from it.

Prints the CPU time (time.process_time, one process), the speed against real
time and the packets found.

    python benchmarks/lrfhss_throughput.py [--seconds 60] [--wide-seconds 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import table  # noqa: E402

import sdrlink  # noqa: E402
from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.protocols.lrfhss import LrFhssParams, make_receiver, modulate  # noqa: E402

SNR_DB = 10.0
BIT_RATE = 488.28125


def packets(seconds: float, fs: float, bw: int, grid: int, interval: float, rng):  # noqa: ANN001, ANN201
    """(start sample, waveform, payload) of the packets of one recording."""
    out = []
    t = 0.5
    i = 0
    while True:
        p = LrFhssParams(bw=bw, cr=3, grid=grid, header_count=3, hop_seq_id=int(rng.integers(384)))
        pay = i.to_bytes(4, "big") + bytes(rng.integers(0, 256, 12, dtype=np.uint8))
        x = modulate(p, pay, fs)
        start = int(t * fs)
        if start + len(x) > seconds * fs:
            break
        cfo = rng.uniform(-5e3, 5e3)
        n = np.arange(len(x))
        x = x * np.exp(2j * np.pi * (cfo * n / fs + rng.random())).astype(np.complex64)
        out.append((start, x, pay))
        t += interval
        i += 1
    return out


def noise_sigma(fs: float) -> float:
    """Per-component noise level for SNR_DB in 488 Hz with unit-power packets."""
    n0 = 1.0 / (10 ** (SNR_DB / 10) * BIT_RATE)
    return float(np.sqrt(n0 * fs / 2))


def chunks(seconds: float, fs: float, pkts, rng, size: int = 1 << 20):  # noqa: ANN001, ANN201
    """The recording, block by block: noise plus the packets' parts."""
    total = int(seconds * fs)
    sigma = noise_sigma(fs)
    for s in range(0, total, size):
        n = min(size, total - s)
        x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
        x *= np.float32(sigma)
        for start, w, _ in pkts:
            a, b = max(start, s), min(start + len(w), s + n)
            if a < b:
                x[a - s : b - s] += w[a - start : b - start]
        yield s, x


def run_narrow(seconds: float, interval: float, rng) -> list[object]:  # noqa: ANN001
    fs = 250e3
    pkts = packets(seconds, fs, 2, 1, interval, rng)
    blocks = list(chunks(seconds, fs, pkts, rng, 1 << 16))
    rx = make_receiver({}, StreamInfo(sample_rate=fs))
    frames = []
    t0 = time.process_time()
    for s, x in blocks:
        frames += rx.process(SampleBlock(x, s))
    frames += rx.flush()
    cpu = time.process_time() - t0
    got = {f.payload for f in frames if f.crc_ok}
    found = sum(p in got for _, _, p in pkts)
    n = f"{found}/{len(pkts)}"
    return ["137k DR8", "250 k", f"{seconds:g} s", "memory", cpu, seconds / cpu, n]


def run_wide(seconds: float, interval: float, rng) -> list[object]:  # noqa: ANN001
    fs = 2.4e6
    pkts = packets(seconds, fs, 8, 0, interval, rng)
    scale = 127 / (4 * noise_sigma(fs) + 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.cu8"
        with open(path, "wb") as fh:
            for _, x in chunks(seconds, fs, pkts, rng):
                iq = np.empty(2 * len(x), dtype=np.float32)
                iq[0::2], iq[1::2] = x.real, x.imag
                fh.write(np.clip(np.rint(iq * scale + 127.5), 0, 255).astype(np.uint8).tobytes())
        t0 = time.process_time()
        frames = sdrlink.decode(str(path), protocol="lrfhss", sample_rate=fs)
        cpu = time.process_time() - t0
    got = {f.payload for f in frames if f.crc_ok}
    found = sum(p in got for _, _, p in pkts)
    n = f"{found}/{len(pkts)}"
    return ["1523k DR5", "2.4 M", f"{seconds:g} s", "cu8 file", cpu, seconds / cpu, n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the 137k recording")
    ap.add_argument("--wide-seconds", type=float, default=30.0, help="length of the 1523k one")
    ap.add_argument("--interval", type=float, default=2.5, help="seconds between packets")
    ap.add_argument("--only", choices=["137k", "1523k"], help="run one workload")
    a = ap.parse_args(argv)
    rng = np.random.default_rng(11)
    rows = []
    if a.only != "1523k":
        rows.append(run_narrow(a.seconds, a.interval, rng))
    if a.only != "137k":
        rows.append(run_wide(a.wide_seconds, a.interval, rng))
    head = ["channel", "rate", "length", "input", "CPU s", "x real time", "packets"]
    print(table(head, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
