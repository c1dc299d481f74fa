"""How much sensitivity the blind LoRa receiver loses to satellite Doppler.

Usage: python benchmarks/doppler_sensitivity.py [--sf 12] [--trials 20]
       [--snrs=-27:-19:1] [--cfo 20k] [--drift 300] [--jobs 1] [--seed 1]

For each SNR, ``--trials`` LoRa frames (random 16-byte payloads, SF12 BW125k
at 250 ksps by default) go through the project's channel model twice:
without Doppler (no carrier offset), and with a carrier offset drawn
uniformly from +-``--cfo`` Hz plus a linear drift drawn uniformly from
+-``--drift`` Hz/s over the frame (no TLE: the receiver must find and follow
the offset on its own). Each is decoded with ``sdrlink.decode``; a trial
counts as received when a CRC-valid frame with the sent payload comes out.
The script prints the packet error rate (PER) per SNR and, for both cases,
the SNR where the PER crosses 10 % (linear interpolation between grid
points), and the difference: the sensitivity loss due to Doppler (target:
at most 1 dB).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's sdrlink

from sdrlink.api import decode as _decode  # noqa: E402
from sdrlink.channel import channel  # noqa: E402
from sdrlink.protocols import get_protocol  # noqa: E402
from sdrlink.sources.files import parse_si  # noqa: E402

FS = 250e3


def one_trial(job: tuple[int, float, float, float, int, float]) -> bool:
    """Send one frame at ``snr`` with offset ``cfo`` and drift ``drift``; True if decoded."""
    sf, bw, snr, cfo, seed, drift = job
    rng = np.random.default_rng(seed)
    proto = get_protocol("lora")
    params = proto.make_params({"sf": [sf], "bw": bw})
    payload = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
    wave = proto.modulate(params, payload, FS)
    lead = int(rng.integers(int(0.1 * FS), int(0.3 * FS)))
    x = np.zeros(lead + len(wave) + int(0.3 * FS), dtype=np.complex64)
    x[lead : lead + len(wave)] = wave
    y = channel(
        x, FS, snr_db=snr, signal_bw=bw, cfo_hz=cfo, rate_hz_s=drift, rng=rng, signal_power=1.0
    )
    frames = _decode(y, sample_rate=FS, protocol="lora", sf=sf, bw=bw)
    return any(f.payload == payload and f.crc_ok for f in frames)


def snr_at_per(snrs: np.ndarray, per: np.ndarray, target: float = 0.1) -> float:
    """Lowest SNR above which the PER stays below ``target`` (interpolated); nan if never."""
    ok = per <= target
    if not ok[-1]:
        return float("nan")
    i = len(per) - 1
    while i > 0 and ok[i - 1]:
        i -= 1
    if i == 0:
        return float("-inf")  # already below target at the lowest SNR tried: widen --snrs
    s0, s1, p0, p1 = snrs[i - 1], snrs[i], per[i - 1], per[i]
    return float(s0 + (p0 - target) / (p0 - p1) * (s1 - s0))


def parse_grid(text: str) -> np.ndarray:
    lo, hi, step = (float(v) for v in text.split(":"))
    return np.round(np.arange(lo, hi + step / 2, step), 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sf", type=int, default=12)
    ap.add_argument("--bw", default="125k")
    ap.add_argument("--trials", type=int, default=20, help="frames per SNR and case")
    ap.add_argument("--snrs", default="-27:-19:1", help="SNR grid LO:HI:STEP in dB")
    ap.add_argument("--cfo", default="20k", help="carrier offsets drawn from +-CFO Hz")
    ap.add_argument("--drift", type=float, default=300.0, help="drifts drawn from +-D Hz/s")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    bw, cfo_max = parse_si(args.bw), parse_si(args.cfo)
    snrs = parse_grid(args.snrs)
    rng = np.random.default_rng(args.seed)
    cases: dict[str, list[tuple[int, float, float, float, int, float]]] = {
        "no Doppler": [],
        "Doppler": [],
    }
    for snr in snrs:
        for _ in range(args.trials):
            seed = int(rng.integers(1 << 31))
            cases["no Doppler"].append((args.sf, bw, snr, 0.0, seed, 0.0))
            cfo = float(rng.uniform(-cfo_max, cfo_max))
            drift = float(rng.uniform(-args.drift, args.drift))
            cases["Doppler"].append((args.sf, bw, snr, cfo, seed, drift))
    print(
        f"LoRa SF{args.sf} BW{bw / 1e3:g}k at {FS / 1e3:g} ksps, {args.trials} frames per point; "
        f"Doppler case: offset U(+-{cfo_max / 1e3:g} kHz), drift U(+-{args.drift:g} Hz/s), blind"
    )
    results = {}
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) if args.jobs > 1 else _Serial() as pool:
        for name, jobs in cases.items():
            ok = np.array(list(pool.map(one_trial, jobs)), dtype=bool)
            per = 1.0 - ok.reshape(len(snrs), args.trials).mean(axis=1)
            results[name] = per
    print(f"{'SNR dB':>7s}  {'PER no Doppler':>14s}  {'PER Doppler':>11s}")
    for i, snr in enumerate(snrs):
        print(f"{snr:7.1f}  {results['no Doppler'][i]:14.2f}  {results['Doppler'][i]:11.2f}")
    ref = snr_at_per(snrs, results["no Doppler"])
    dop = snr_at_per(snrs, results["Doppler"])
    print(f"SNR at 10 % PER: {ref:.2f} dB without Doppler, {dop:.2f} dB with Doppler")
    print(f"sensitivity loss due to Doppler: {dop - ref:.2f} dB (target <= 1 dB)")
    print(f"({time.perf_counter() - t0:.0f} s)")


class _Serial:
    """Stands in for a process pool when --jobs 1."""

    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, jobs):  # noqa: ANN001 - same shape as Executor.map
        return map(fn, jobs)


if __name__ == "__main__":
    main()
