"""Stream a large sparse recording and report throughput and peak memory.

Usage: python benchmarks/source_memory.py [--size 4G] [--format cf32] [--block 65536]

The file is created sparse (truncate), so it takes no disk blocks; reading it
still goes through the full read + convert + NaN-check path of the file source.
Peak memory is reported both as the largest traced Python/NumPy allocation and
as the growth of the process's maximum resident set.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's sdrlink

from sdrlink.sources.files import RAW_FORMATS, open_file, parse_si  # noqa: E402
from sdrlink.sources.raw import DATATYPES  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="4G", help="file size in bytes (SI suffix ok)")
    ap.add_argument("--format", default="cf32", choices=sorted(RAW_FORMATS))
    ap.add_argument("--block", type=int, default=1 << 16, help="samples per block")
    ap.add_argument("--dir", default=None, help="where to create the file (default: tmp)")
    args = ap.parse_args()

    sample_size = DATATYPES[RAW_FORMATS[args.format]].sample_size
    size = int(parse_si(args.size)) // sample_size * sample_size
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / f"big.{args.format}"
        with open(path, "wb") as f:
            f.truncate(size)
        src = open_file(path, sample_rate=1e6)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        t0 = time.perf_counter()
        n = 0
        for block in src.blocks(args.block):
            n += len(block.samples)
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"{args.format}: {size / 2**30:.2f} GiB, {n} samples in {dt:.2f} s "
        f"({n / dt / 1e6:.0f} MS/s, {size / dt / 2**20:.0f} MiB/s); "
        f"peak traced {peak / 2**20:.2f} MiB; max RSS grew {(rss1 - rss0) / 1024:.1f} MiB "
        f"(to {rss1 / 1024:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
