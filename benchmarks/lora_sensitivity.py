"""LoRa receiver sensitivity: packet error rate versus SNR (in the LoRa bandwidth).

Each trial sends one 16-byte CR 4/5 frame with a random carrier offset within
+-BW/4, a random start time and a random carrier phase, adds white noise at
the given in-band SNR and decodes it with the streaming receiver. A trial
succeeds when exactly the sent payload comes out with a valid CRC. Prints the
PER table and the SNR at 10 % PER per spreading factor and sample rate, and
saves a plot under benchmarks/results/.

The start time is a whole number of samples unless ``--between``: then the
frame is sampled at a random sixteenth of a sample off the grid (synthesised at
16 times the rate, one phase of it kept), as a real frame starts anywhere.

    python benchmarks/lora_sensitivity.py --trials 100 --sf 7,8 --os 1,2,8 --jobs 4
    python benchmarks/lora_sensitivity.py --between --sf 7 --os 1,2 --span=39,39  # 30 dB
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import cpu_count, results_dir, table  # noqa: E402

from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.channel import channel  # noqa: E402
from sdrlink.protocols.lora import LoRaParams, make_receiver, modulate  # noqa: E402

BW = 125e3
TARGET = {7: -9.0, 8: -11.5, 9: -14.0, 10: -16.5, 11: -19.0, 12: -22.0}


PHASES = 16  # --between: sample phases a frame can start at


def trial(sf: int, os_: int, snr: float, seed: int, between: bool = False) -> bool:
    rng = np.random.default_rng(seed)
    fs = BW * os_
    p = LoRaParams(sf=sf, bw=BW, cr=1)
    payload = bytes(rng.integers(0, 256, 16, dtype=np.uint8))
    if between:
        x = modulate(p, payload, fs * PHASES)[int(rng.integers(0, PHASES)) :: PHASES]
    else:
        x = modulate(p, payload, fs)
    n_sym = (1 << sf) * os_
    lead = int(rng.integers(n_sym, 3 * n_sym))
    sig = np.concatenate([np.zeros(lead, np.complex64), x, np.zeros(2 * n_sym, np.complex64)])
    cfo = float(rng.uniform(-BW / 4, BW / 4))
    y = channel(sig, fs, snr_db=snr, signal_bw=BW, cfo_hz=cfo, rng=rng, signal_power=1.0)
    rx = make_receiver({"sf": [sf], "bw": BW}, StreamInfo(sample_rate=fs))
    frames = []
    block = 1 << 18
    for s in range(0, len(y), block):
        frames += rx.process(SampleBlock(y[s : s + block], s))
    frames += rx.flush()
    good = [f for f in frames if f.crc_ok]
    return len(good) == 1 and good[0].payload == payload


def _run(args: tuple[int, int, float, int, int, bool]) -> tuple[int, int, float, int]:
    sf, os_, snr, trials, seed0, between = args
    ok = sum(trial(sf, os_, snr, seed0 + i, between) for i in range(trials))
    return sf, os_, snr, trials - ok


def snr_at(snrs: list[float], per: list[float], level: float = 0.1) -> float:
    """Lowest SNR where the interpolated PER curve falls to ``level``."""
    pts = sorted(zip(snrs, per, strict=True))
    for (s0, p0), (s1, p1) in zip(pts, pts[1:], strict=False):
        if p0 > level >= p1:
            return s0 + (p0 - level) * (s1 - s0) / (p0 - p1)
    if pts and pts[0][1] <= level:
        return float("-inf")  # below the grid
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trials", type=int, default=40, help="frames per SNR point")
    ap.add_argument("--sf", default="7,8,9,10,11,12", help="spreading factors, e.g. 7,9")
    ap.add_argument("--os", default="1,2,8", help="oversampling factors (sample rate / BW)")
    ap.add_argument("--span", default="-2.5,1.0", help="SNR grid around the target, dB")
    ap.add_argument("--step", type=float, default=0.5, help="SNR grid step, dB")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--between", action="store_true", help="frames start between samples (see above)"
    )
    ap.add_argument("--plot", default="lora_sensitivity.png", help="file under benchmarks/results/")
    a = ap.parse_args(argv)
    sfs = [int(v) for v in a.sf.split(",")]
    oss = [int(v) for v in a.os.split(",")]
    lo, hi = (float(v) for v in a.span.split(","))
    work = []
    for sf in sfs:
        for os_ in oss:
            for snr in np.arange(TARGET[sf] + lo, TARGET[sf] + hi + 1e-9, a.step):
                seed = a.seed * 1_000_003 + int(snr * 100)
                work.append((sf, os_, float(snr), a.trials, seed, a.between))
    t0 = time.time()
    jobs = max(1, min(a.jobs, cpu_count()))
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            results = list(ex.map(_run, work))
    else:
        results = [_run(w) for w in work]
    per: dict[tuple[int, int], dict[float, float]] = {}
    for sf, os_, snr, errors in results:
        per.setdefault((sf, os_), {})[snr] = errors / a.trials
    snr_grid = sorted({round(w[2] - TARGET[w[0]], 2) for w in work})
    rows = []
    summary = []
    for (sf, os_), d in sorted(per.items()):
        s = sorted(d)
        rows.append([f"SF{sf}", f"{os_}x"] + [f"{d[v]:.2f}" for v in s])
        at = snr_at(s, [d[v] for v in s])
        verdict = "ok" if at <= TARGET[sf] + 1e-9 else "MISS"
        summary.append([f"SF{sf}", f"{os_}x", TARGET[sf], at, verdict])
    print(f"PER vs SNR offset from target (dB), {a.trials} trials per point")
    print(table(["SF", "rate"] + [f"{v:+.1f}" for v in snr_grid], rows))
    print()
    print("SNR at 10% PER (dB in the LoRa bandwidth)")
    print(table(["SF", "rate", "target", "measured", ""], summary))
    print(f"\n{len(work) * a.trials} frames in {time.time() - t0:.0f} s")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 5))
        for (sf, os_), d in sorted(per.items()):
            s = sorted(d)
            ax.semilogy(
                s, [max(d[v], 0.5 / a.trials) for v in s], marker="o", label=f"SF{sf} {os_}x"
            )
        ax.axhline(0.1, color="k", lw=0.5)
        ax.set_xlabel("SNR in the LoRa bandwidth (dB)")
        ax.set_ylabel("packet error rate")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=3)
        out = results_dir() / a.plot
        fig.savefig(out, dpi=120)
        print(f"plot: {out}")
    except Exception as exc:  # pragma: no cover - plotting is optional
        print(f"no plot ({exc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
