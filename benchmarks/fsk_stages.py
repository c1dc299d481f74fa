"""Where the FSK receiver's time goes: seconds per stage on the throughput workload.

Runs the cases of ``benchmarks/fsk_throughput.py`` (the same synthetic signal,
65536-sample blocks) with a timer around each stage of the receiver, and
prints one table per case: the carrier search, each front-end step (channel
filter, carrier-following filter and discriminator, matched filter ...), the
symbol synchronisers' DC followers and clocks, the click limiters, the
deframers, the frame measurements, and what is left (block handling, merging).
Wall-clock seconds, summed over the synchronisers; the timers themselves cost
about a microsecond a call, so the total is a little above the throughput
benchmark's.

    python benchmarks/fsk_stages.py [--seconds 60] [--cases IQ]

``--cases`` picks the cases whose name holds the given text (default: the
IQ cases).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import table  # noqa: E402
from fsk_throughput import CASES, segment  # noqa: E402

from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.protocols.fsk import FskReceiver, make_params  # noqa: E402


def _timed(obj: Any, name: str, stage: str, spent: dict[str, float]) -> None:
    """Wrap ``obj.name`` so that the time spent in it adds to ``spent[stage]``."""
    inner: Callable[..., Any] | None = getattr(obj, name, None)
    if inner is None:
        return

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[stage] = spent.get(stage, 0.0) + time.perf_counter() - t0

    setattr(obj, name, wrapper)


def stages(
    options: dict, fs: float, is_complex: bool, seconds: float, block: int
) -> tuple[dict[str, float], float, int, float]:
    """(seconds per stage, total seconds, frames, seconds of signal) of one case."""
    seg, _ = segment(fs, is_complex, options, np.random.default_rng(7))
    rx = FskReceiver(make_params(options), StreamInfo(fs, is_complex=is_complex))
    spent: dict[str, float] = {}
    if rx.search is not None:
        _timed(rx.search, "process_pieces", "carrier search", spent)
    for i, step in enumerate(rx.front.steps):
        _timed(step, "process", f"front end {i}: {type(step).__name__}", spent)
    for follower in getattr(rx, "followers", {}).values():
        _timed(follower, "process", "clocks: DC followers", spent)
    for chain in rx.chains:
        _timed(chain.clock, "process", "clocks", spent)
        _timed(chain.clock, "process_followed", "clocks: DPLLs", spent)
        _timed(chain.limit, "process", "click limiters", spent)
        _timed(chain.win, "feed", "deframers", spent)
    _timed(rx.measure, "measure", "frame measurements", spent)
    repeats = max(1, int(round(seconds / 10.0)))
    frames = 0
    pos = 0
    t0 = time.perf_counter()
    for _ in range(repeats):
        for s in range(0, len(seg), block):
            part = seg[s : s + block]
            frames += len(rx.process(SampleBlock(part, pos)))
            pos += len(part)
    frames += len(rx.flush())
    total = time.perf_counter() - t0
    return spent, total, frames, pos / fs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="signal length per case")
    ap.add_argument("--block", type=int, default=65536, help="block size in samples")
    ap.add_argument("--cases", default="IQ", help="run the cases whose name holds this text")
    args = ap.parse_args()
    for name, fs, is_complex, options in CASES:
        if args.cases not in name:
            continue
        if is_complex:
            options = {**options, "carrier_search": "12k"}
        spent, total, frames, signal_s = stages(options, fs, is_complex, args.seconds, args.block)
        rows: list[list[object]] = [
            [stage, f"{t:.3f}", f"{100 * t / total:.0f} %"]
            for stage, t in sorted(spent.items(), key=lambda kv: -kv[1])
        ]
        rest = total - sum(spent.values())
        share = f"{100 * rest / total:.0f} %"
        rows.append(["other (blocks, merging, frames)", f"{rest:.3f}", share])
        rows.append(["total", f"{total:.3f}", f"{signal_s / total:.0f}x real time"])
        print(f"\n{name}: {signal_s:g} s of signal, {frames} frames")
        print(table(["stage", "seconds", "share"], rows))


if __name__ == "__main__":
    main()
