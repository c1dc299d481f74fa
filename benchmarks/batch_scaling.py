"""Batch decoding speed-up with the number of Dask workers.

Generates a set of synthetic LoRa recordings (SigMF, noise plus a few frames),
then decodes the same set with a local cluster of 1 worker and of 2 workers
(or --workers 1,2,4), each run into a fresh frame log, and prints the best
wall time of --repeat runs, the throughput and the speed-up over one worker.
Cluster start-up is timed separately and not counted in the decode time.
"busy N cores" is the workers' CPU time over the wall time: on a machine shared
with other jobs it shows how much of the cores the run actually got.

    .venv/bin/python benchmarks/batch_scaling.py --files 16 --seconds 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's sdrlink

from sdrlink.batch import decode_many, local_client  # noqa: E402
from sdrlink.channel import channel  # noqa: E402
from sdrlink.protocols import get_protocol  # noqa: E402
from sdrlink.sources.writer import SigMFWriter  # noqa: E402


def make_recordings(
    folder: Path, n: int, seconds: float, rate: float, options: dict, seed: int = 1
) -> list[str]:
    """``n`` recordings of ``seconds`` each with a frame every ~0.25 s."""
    lora = get_protocol("lora")
    params = lora.make_params(dict(options))
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        x = np.zeros(int(seconds * rate), np.complex64)
        start = int(rng.integers(1000, 5000))
        k = 0
        while True:
            burst = lora.modulate(params, f"bench {i} #{k}".encode(), rate)
            if start + len(burst) > len(x):
                break
            x[start : start + len(burst)] = burst
            start += len(burst) + int(rate * 0.25)
            k += 1
        y = channel(x, rate, snr_db=5.0, signal_bw=options["bw"], cfo_hz=1e3, rng=rng)
        with SigMFWriter(folder / f"bench{i:03d}", sample_rate=rate) as w:
            w.write(y)
        paths.append(str(folder / f"bench{i:03d}.sigmf-meta"))
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=16, help="recordings (default 16)")
    ap.add_argument("--seconds", type=float, default=2.0, help="length of each (default 2 s)")
    ap.add_argument("--rate", type=float, default=250e3, help="sample rate (default 250k)")
    ap.add_argument("--sf", type=int, default=7, help="LoRa spreading factor (default 7)")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare (default 1,2)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per count, best kept (default 2)")
    args = ap.parse_args()
    options = {"sf": args.sf, "bw": 125e3}
    counts = [int(w) for w in args.workers.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = make_recordings(folder, args.files, args.seconds, args.rate, options)
        print(
            f"{len(paths)} recordings x {args.seconds:g} s at {args.rate / 1e3:g} ksps, "
            f"SF{args.sf}: generated in {time.perf_counter() - t0:.1f} s"
        )
        base = None
        for n in counts:
            t0 = time.perf_counter()
            client = local_client(n)
            startup = time.perf_counter() - t0
            try:
                runs = [
                    decode_many(
                        paths,
                        "lora",
                        options=options,
                        db=folder / f"w{n}_{r}.sqlite",
                        client=client,
                    )
                    for r in range(max(1, args.repeat))
                ]
            finally:
                cluster = client.cluster
                client.close()
                cluster.close()
            res = min(runs, key=lambda r: r.wall_s)
            assert res.ok, [f.error for f in res.failures]
            base = base or res.wall_s
            print(
                f"{n} worker(s): {res.wall_s:6.2f} s  ({startup:.1f} s cluster start-up), "
                f"{res.frame_count} frames, {res.samples_per_s / 1e6:5.2f} Msamples/s, "
                f"speed-up x{base / res.wall_s:.2f}; busy {res.cpu_s / res.wall_s:.2f} cores"
            )


if __name__ == "__main__":
    main()
