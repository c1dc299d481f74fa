"""Doppler compensation speed: the Cython NCO and the TLE-driven stage.

Usage: python benchmarks/doppler_throughput.py [--seconds 20] [--rate 2.4M] [--block 262144]

Streams ``--seconds`` of complex noise at ``--rate`` through (1) the NCO with
a drifting frequency (what the simulator and multi-channel LoRa use), (2) the
NCO at a constant frequency (the FSK and BPSK carrier searches' re-centring)
and (3) the Doppler stage of an overhead ISS pass at 436 MHz (TLE from
tests/data), block by block, and prints the samples processed per
CPU-second (time.process_time, one process) and the multiple of real time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import table  # noqa: E402

from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.doppler.stage import make_doppler_stage  # noqa: E402
from sdrlink.dsp.nco import Nco  # noqa: E402
from sdrlink.simulate import next_pass_window  # noqa: E402
from sdrlink.sources.files import parse_si  # noqa: E402

TLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "amateur.tle"
STATION = "52.2,0.12,30"


def _time(process, x: np.ndarray, block: int) -> float:
    t0 = time.process_time()
    for s in range(0, len(x), block):
        process(x[s : s + block], s)
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate", default="2.4M", help="sample rate, Hz")
    ap.add_argument("--block", type=int, default=1 << 18)
    args = ap.parse_args()
    fs = parse_si(args.rate)
    n = int(args.seconds * fs)
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)

    nco = Nco(fs, 12_345.0, -300.0)
    t_nco = _time(lambda b, s: nco.mix(b), x, args.block)
    steady = Nco(fs, 12_345.0)  # no drift: the carrier searches' re-centring
    t_steady = _time(lambda b, s: steady.mix(b), x, args.block)

    start, duration = next_pass_window(
        TLE, "ISS", STATION, dt.datetime(2025, 11, 20, 17, tzinfo=dt.timezone.utc)
    )
    info = StreamInfo(
        sample_rate=fs,
        center_freq=436e6,
        start_time=start + dt.timedelta(seconds=duration / 2 - args.seconds / 2),
    )
    stage = make_doppler_stage(str(TLE), "ISS", STATION, info)
    t_stage = _time(lambda b, s: stage.process(SampleBlock(b, s)), x, args.block)

    rows = []
    cases = (("NCO, drifting", t_nco), ("NCO, constant", t_steady))
    for name, cpu in (*cases, ("Doppler stage (TLE)", t_stage)):
        rows.append([name, f"{n / cpu / 1e6:.1f}", f"{args.seconds / cpu:.0f}x"])
    print(f"{args.seconds:g} s of IQ at {fs / 1e6:g} Msps in blocks of {args.block}, one process\n")
    print(table(["what", "Msps/CPU-s", "real time"], rows))


if __name__ == "__main__":
    main()
