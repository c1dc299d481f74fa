"""BPSK frames recovered, their SNR reading and their carrier, against the drift (blind).

Usage: python benchmarks/bpsk_drift.py [--ebn0 8,30] [--seeds 6] [--drifts 0,100,200,300]

For each mode, ``--seeds`` streams of three AX.25 frames (the streams of
``tests/test_bpsk_synthetic.py``: our modulator and channel model, white noise
at the given Eb/N0, a carrier offset of +5 or -9 kHz drifting at the given rate,
up or down) go through the receiver from IQ. Prints per drift the frames
recovered byte for byte, the mean error of their ``snr_db`` (Eb/N0) and the
worst error of the carrier reported at the frame's start. An overhead LEO pass
at 500 km drifts up to about 170 Hz/s at 437 MHz (60 Hz/s at 145 MHz).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's sdrlink
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _common import table  # noqa: E402
from test_bpsk_synthetic import PAYLOAD, receiver, run, stream  # noqa: E402

MODES = {
    "BPSK 1200 Bd G3RUH": ({"modulation": "bpsk", "baud": 1200, "framing": "ax25_g3ruh"}, 48e3),
    "DBPSK 1200 Bd AX.25": ({"modulation": "dbpsk", "baud": 1200, "framing": "ax25"}, 48e3),
    "BPSK 9600 Bd G3RUH": ({"modulation": "bpsk", "baud": 9600, "framing": "ax25_g3ruh"}, 250e3),
}


def frames(options: dict, fs: float, ebn0: float, cfo: float, rate: float, seed: int) -> list:
    """(SNR error, carrier error at the start) of each frame recovered from one stream."""
    x, starts = stream(options, fs, ebn0, np.random.default_rng(seed), cfo=cfo, drift=rate)
    out = []
    for f in run(receiver(options, fs), x):
        if f.crc_ok and f.payload == PAYLOAD:
            start = min(starts, key=lambda s, f=f: abs(s - f.sample_index))
            out.append((f.snr_db - ebn0, f.freq_offset_hz - (cfo + rate * start / fs)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ebn0", default="8,30", help="Eb/N0 values, dB")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--drifts", default="0,100,200,300", help="drift rates, Hz/s")
    a = ap.parse_args()
    drifts = [float(v) for v in a.drifts.split(",")]
    heads = ["mode", "Eb/N0 dB"] + [f"{d:g} Hz/s" for d in drifts]
    rows = []
    for name, (options, fs) in MODES.items():
        for ebn0 in (float(v) for v in a.ebn0.split(",")):
            row: list[object] = [name, ebn0]
            for rate in drifts:
                found = []
                for seed in range(a.seeds):
                    up = seed % 2 == 1
                    cfo, r = (5000.0, rate) if up else (-9000.0, -rate)
                    found += frames(options, fs, ebn0, cfo, r, seed)
                cell = f"{len(found)}/{3 * a.seeds}"
                if found:
                    snr, hz = np.array(found).T
                    cell += f" {np.mean(snr):+.2f} dB {np.max(np.abs(hz)):.2f} Hz"
                row.append(cell)
            rows.append(row)
    print(
        f"frames recovered, mean SNR error, worst carrier error at the start; blind, "
        f"{a.seeds} streams x 3 per cell\n"
    )
    print(table(heads, rows))


if __name__ == "__main__":
    main()
