"""Which FFT library for the transforms the receivers compute, size by size.

For each transform shape a receiver uses (LoRa detection windows of 2**SF
points in chunks of rows, zero-padded preamble spectra, the FSK carrier
search, the wideband channelizer's block and channel transforms), prints
the time per call of numpy.fft, scipy.fft and FFTW through pyFFTW (planned
once with FFTW_ESTIMATE, with FFTW_MEASURE, and on 2 threads), the planning
cost, and which one sdrlink.dsp.fft uses. Times are the best of several
repeats (wall clock; the machine may be shared).

    python benchmarks/fft_sizes.py [--quick] [--threads 2]
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

from sdrlink.dsp import fft as sfft  # noqa: E402


def shapes() -> list[tuple[str, int, int, bool]]:
    """(use, rows, points, inverse)."""
    out = []
    for sf in range(5, 13):
        n = 1 << sf
        chunk = min(256, max(4, 16384 // n))
        out.append((f"LoRa SF{sf} detection", chunk, n, False))
    for sf in (7, 10, 12):
        out.append((f"LoRa SF{sf} preamble, 4x padded", 7, 4 * (1 << sf), False))
    for m in (1024, 4096):
        out.append(("FSK carrier search", 1, m, False))
    out.append(("channelizer 2.4 Msps, block", 32, 6144, False))
    out.append(("channelizer 2.4 Msps, channel", 32, 640, True))
    out.append(("channelizer 10 Msps, block", 32, 10240, False))
    out.append(("channelizer 10 Msps, channel", 32, 256, True))
    return out


def best_time(f, seconds: float) -> float:
    f()
    reps = 1
    while True:  # calls per repeat so that one repeat takes ~seconds/5
        t = time.perf_counter()
        for _ in range(reps):
            f()
        dt = time.perf_counter() - t
        if dt > seconds / 5 or reps > 1 << 16:
            break
        reps *= 4
    best = dt / reps
    for _ in range(4):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        best = min(best, (time.perf_counter() - t) / reps)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter timing")
    ap.add_argument("--threads", type=int, default=2, help="threads for the threaded column")
    a = ap.parse_args(argv)
    import scipy.fft

    fftw = sfft._load_fftw()
    if not fftw:
        print("pyFFTW is not installed: only numpy.fft and scipy.fft are compared")
    secs = 0.05 if a.quick else 0.25
    rng = np.random.default_rng(1)
    rows_out = []
    for use, rows, n, inverse in shapes():
        x = (rng.standard_normal((rows, n)) + 1j * rng.standard_normal((rows, n))).astype(
            np.complex64
        )
        np_f = np.fft.ifft if inverse else np.fft.fft
        sp_f = scipy.fft.ifft if inverse else scipy.fft.fft
        t_np = best_time(lambda x=x, f=np_f: f(x, axis=1), secs)
        t_sp = best_time(lambda x=x, f=sp_f: f(x, axis=1), secs)
        cells = [use, f"{rows} x {n}", t_np * 1e6, t_sp * 1e6]
        if fftw:
            direction = "FFTW_BACKWARD" if inverse else "FFTW_FORWARD"
            res = {}
            for label, flags, threads in (
                ("estimate", ("FFTW_ESTIMATE",), 1),
                ("measure", ("FFTW_MEASURE",), 1),
                ("threads", ("FFTW_MEASURE",), a.threads),
            ):
                inp = fftw.zeros_aligned((rows, n), dtype="complex64")
                out = fftw.empty_aligned((rows, n), dtype="complex64")
                t0 = time.perf_counter()
                plan = fftw.FFTW(
                    inp, out, axes=(1,), direction=direction, flags=flags, threads=threads
                )
                plan_s = time.perf_counter() - t0
                inp[:] = x
                res[label] = (best_time(plan.execute, secs), plan_s)
                fftw.forget_wisdom()
            est, meas, thr = res["estimate"], res["measure"], res["threads"]
            cells += [est[0] * 1e6, meas[0] * 1e6, thr[0] * 1e6, est[1] * 1e3, meas[1] * 1e3]
            choice = "fftw (estimate)"
            cells += [f"{t_sp / est[0]:.1f}x", choice]
        else:
            cells += ["-"] * 5 + ["1.0x", "scipy"]
        rows_out.append(cells)
        print(f"  {use}: done", file=sys.stderr)
    headers = [
        "transform",
        "rows x points",
        "numpy us",
        "scipy us",
        "FFTW est. us",
        "FFTW meas. us",
        f"FFTW {a.threads} thr us",
        "plan est. ms",
        "plan meas. ms",
        "FFTW est. vs scipy",
        "sdrlink uses",
    ]
    print(table(headers, rows_out))
    print(
        f"sdrlink.dsp.fft backend here: {sfft.backend()} "
        f"(planning: {sfft._effort}; SDRLINK_FFTW=measure|estimate|off)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
