"""LR-FHSS sensitivity: packet error rate against SNR, sdrlink blind beside the ``lrfhss``
package's receiver told the configuration.

Each trial is one capture holding one packet (16-byte payload, random hop
sequence and carrier phase) with a random carrier offset (uniform within
+-``--cfo``) and drift (uniform within +-``--drift`` Hz/s), in white noise at
the given SNR. SNRs are in one hop's bandwidth (488.28 Hz) and, in the second
column, in the 125 kHz reference bandwidth of LoRa figures (24.08 dB lower).
sdrlink is told nothing; the ``lrfhss`` receiver is given the channel width,
the number of header copies and the sample rate. A packet counts when its
payload comes out byte for byte.

Configurations (``--dr``): EU868 DR8 (137 kHz, CR 1/3, 3 copies, 250 ksps),
DR9 (137 kHz, CR 2/3, 2 copies, 250 ksps), DR10 (336 kHz, CR 1/3, 3 copies,
500 ksps). The last lines give, per receiver, the SNR at 10 % PER
(interpolated between the measured points).

    python benchmarks/lrfhss_sensitivity.py [--trials 40] [--snrs=-3:3:1] [--dr 8,9,10]
        [--drift 300] [--cfo 10k] [--jobs 2] [--no-peer]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import table  # noqa: E402

from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.channel import add_noise, apply_offset  # noqa: E402
from sdrlink.protocols.lrfhss import LrFhssParams, make_receiver, modulate  # noqa: E402
from sdrlink.sources.files import parse_si  # noqa: E402

REF_DB = 10 * np.log10(125e3 / 488.28125)  # 24.08 dB
CONFIGS = {  # DR: (bw code, CR code, header copies, sample rate, width kHz for the peer)
    8: (2, 3, 3, 250e3, 136.72),
    9: (2, 1, 2, 250e3, 136.72),
    10: (4, 3, 3, 500e3, 335.94),
}


def capture(dr: int, snr: float, seed: int, cfo: float, drift: float):  # noqa: ANN201
    bw, cr, hc, fs, _ = CONFIGS[dr]
    rng = np.random.default_rng([seed, dr, int(round(snr * 100)) + 10000])
    p = LrFhssParams(bw=bw, cr=cr, grid=1, header_count=hc, hop_seq_id=int(rng.integers(384)))
    payload = bytes(rng.integers(0, 256, 16, dtype=np.uint8))
    x = np.concatenate(
        [np.zeros(int(0.25 * fs)), modulate(p, payload, fs), np.zeros(int(0.25 * fs))]
    )
    x = x * np.complex64(np.exp(2j * np.pi * rng.random()))
    x = apply_offset(x.astype(np.complex64), fs, rng.uniform(-cfo, cfo), rng.uniform(-drift, drift))
    return add_noise(x, snr, 488.28125, fs, rng, signal_power=1.0), payload, fs


def ours(x: np.ndarray, fs: float) -> list[bytes]:
    rx = make_receiver({}, StreamInfo(sample_rate=fs))
    frames = []
    for s in range(0, len(x), 1 << 16):
        frames += rx.process(SampleBlock(x[s : s + (1 << 16)], s))
    frames += rx.flush()
    return [f.payload for f in frames if f.crc_ok]


def peer(x: np.ndarray, fs: float, dr: int) -> list[bytes]:
    import lrfhss
    from lrfhss import config

    _, _, hc, _, khz = CONFIGS[dr]
    config.retune(khz * 1e3, hdr_count=hc, fs_capture=fs)
    with contextlib.redirect_stdout(io.StringIO()):
        res = lrfhss.decode(x.astype(complex))
    return [bytes(r["bytes"]) for r in res if isinstance(r, dict) and r.get("crc")]


def trial(task: tuple[int, float, int, float, float, bool]) -> tuple[int, float, bool, bool]:
    dr, snr, seed, cfo, drift, with_peer = task
    x, payload, fs = capture(dr, snr, seed, cfo, drift)
    a = payload in ours(x, fs)
    b = with_peer and payload in peer(x, fs, dr)
    return dr, snr, a, b


def snr_at(snrs: list[float], per: list[float], target: float = 0.1) -> float:
    """SNR where the PER falls to ``target`` (linear interpolation between the last point
    above it and the next); -inf when already below at the lowest SNR, nan when never."""
    for k in range(len(snrs) - 1, 0, -1):
        if per[k] <= target < per[k - 1]:
            f = (per[k - 1] - target) / (per[k - 1] - per[k])
            return snrs[k - 1] + f * (snrs[k] - snrs[k - 1])
    if per and per[0] <= target:
        return float("-inf")
    return float("nan")


def _db(v: float, lowest: float) -> str:
    if v == float("-inf"):
        return f"< {lowest:.2f}"
    return "never" if v != v else f"{v:.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trials", type=int, default=40, help="packets per point")
    ap.add_argument("--snrs", default="-3:3:1", help="SNRs in 488 Hz: start:stop:step or a,b,c")
    ap.add_argument("--dr", default="8,9,10", help="EU868 data rates")
    ap.add_argument("--drift", type=float, default=300.0, help="max |drift|, Hz/s")
    ap.add_argument("--cfo", default="10k", help="max |carrier offset|, Hz")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-peer", action="store_true", help="sdrlink only")
    a = ap.parse_args(argv)
    if ":" in a.snrs:
        lo, hi, st = (float(v) for v in a.snrs.split(":"))
        snrs = [round(v, 3) for v in np.arange(lo, hi + st / 2, st)]
    else:
        snrs = [float(v) for v in a.snrs.split(",")]
    drs = [int(v) for v in a.dr.split(",")]
    cfo = parse_si(a.cfo)
    tasks = [
        (dr, snr, a.seed * 100000 + t, cfo, a.drift, not a.no_peer)
        for dr in drs
        for snr in snrs
        for t in range(a.trials)
    ]
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as pool:
            results = list(pool.map(trial, tasks, chunksize=4))
    else:
        results = [trial(t) for t in tasks]
    ok = {(dr, s): [0, 0] for dr in drs for s in snrs}
    for dr, snr, x, y in results:
        ok[(dr, snr)][0] += x
        ok[(dr, snr)][1] += y
    head = ["DR", "SNR 488 Hz", "SNR 125 kHz", "sdrlink PER %"]
    head += [] if a.no_peer else ["lrfhss PER %"]
    rows, summary = [], []
    for dr in drs:
        per_a = [1 - ok[(dr, s)][0] / a.trials for s in snrs]
        per_b = [1 - ok[(dr, s)][1] / a.trials for s in snrs]
        for s, pa, pb in zip(snrs, per_a, per_b, strict=True):
            rows.append([dr, s, s - REF_DB, 100 * pa] + ([] if a.no_peer else [100 * pb]))
        ea, eb = snr_at(snrs, per_a), snr_at(snrs, per_b)
        lo = snrs[0]
        line = [dr, _db(ea, lo), _db(ea - REF_DB, lo - REF_DB)]
        if not a.no_peer:
            gap = eb - ea if np.isfinite(ea) and np.isfinite(eb) else float("nan")
            gap_text = "peer never" if eb != eb and np.isfinite(ea) else _db(gap, 0.0)
            line += [_db(eb, lo), _db(eb - REF_DB, lo - REF_DB), gap_text]
        summary.append(line)
    print(f"{a.trials} packets per point, carrier +-{cfo:g} Hz, drift +-{a.drift:g} Hz/s")
    print(table(head, rows))
    print()
    sh = ["DR", "sdrlink 10% (488 Hz)", "(125 kHz)"]
    sh += [] if a.no_peer else ["lrfhss 10% (488 Hz)", "(125 kHz)", "sdrlink better by dB"]
    print(table(sh, summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
