"""BPSK demodulator bit error rate against theory, and the Eb/N0 it needs for a BER of 1e-3.

Random channel bits through the project's own modulator and channel model
(AWGN, a 150 Hz carrier offset the loops must pull in), the demodulator's
hard decisions compared with the bits sent (after its acquisition). Theory:
coherent BPSK Q(sqrt(2 Eb/N0)); differentially encoded BPSK detected
coherently 2p(1 - p) with that p; differential detection exp(-Eb/N0) / 2.

    .venv/bin/python benchmarks/bpsk_ber.py [--bits 200000] [--baud 9600] [--rate 48000]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy.special import erfc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's sdrlink

from sdrlink.channel import channel  # noqa: E402
from sdrlink.protocols.bpsk import make_params  # noqa: E402
from sdrlink.protocols.bpsk.demodulator import Demodulator  # noqa: E402
from sdrlink.protocols.bpsk.modulator import modulate_bits  # noqa: E402

CASES = [
    # name, modulation, detector, theory
    ("BPSK coherent", "bpsk", "coherent", "bpsk"),
    ("DBPSK coherent + diff. decoding", "dbpsk", "coherent", "debpsk"),
    ("DBPSK differential detection", "dbpsk", "differential", "dbpsk"),
    ("DBPSK Manchester coherent", "dbpsk_manchester", "coherent", "debpsk"),
    ("DBPSK Manchester differential", "dbpsk_manchester", "differential", "dbpsk"),
]
EBN0 = (4.0, 5.0, 6.0, 7.0, 8.0, 9.0)


def theory(kind: str, ebn0_db: float) -> float:
    g = 10 ** (ebn0_db / 10)
    p = 0.5 * erfc(math.sqrt(g))
    return {"bpsk": p, "debpsk": 2 * p * (1 - p), "dbpsk": 0.5 * math.exp(-g)}[kind]


def ber(modulation: str, detector: str, ebn0: float, args, rng: np.random.Generator) -> float:
    p = make_params({"modulation": modulation, "baud": args.baud, "detector": detector})
    bits = rng.integers(0, 2, args.bits).astype(np.uint8)
    x = np.concatenate([np.zeros(2000, np.complex64), modulate_bits(p, bits, args.rate)])
    y = channel(
        x, args.rate, snr_db=ebn0, signal_bw=p.baud, cfo_hz=150.0, rng=rng, signal_power=1.0
    )
    demod = Demodulator(p, args.rate, offset_margin=0.1 * p.symbol_rate)
    soft = np.concatenate([demod.process(y[s : s + 65536])[0] for s in range(0, len(y), 65536)])
    hard = (soft > 0).astype(np.uint8)
    skip = 3000  # acquisition
    ref = 2.0 * bits[skip : skip + 2000] - 1.0
    c = np.correlate(2.0 * hard[: skip + 6000].astype(float) - 1.0, ref, "valid")
    k = int(np.argmax(np.abs(c)))
    got = hard[k : k + args.bits - skip - 100]
    if c[k] < 0:  # coherent BPSK: the polarity is not known
        got = 1 - got
    return float(np.mean(got != bits[skip : skip + len(got)]))


def crossing(ebn0: tuple[float, ...], bers: list[float], target: float = 1e-3) -> float:
    """Eb/N0 where the measured curve crosses ``target`` (log-linear interpolation)."""
    for i in range(len(ebn0) - 1):
        e0, e1, b0, b1 = ebn0[i], ebn0[i + 1], bers[i], bers[i + 1]
        if b0 >= target > b1 and b1 > 0:
            f = (math.log(b0) - math.log(target)) / (math.log(b0) - math.log(b1))
            return e0 + f * (e1 - e0)
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bits", type=int, default=200_000, help="bits per point")
    ap.add_argument("--baud", type=float, default=9600.0, help="bit rate")
    ap.add_argument("--rate", type=float, default=48_000.0, help="sample rate")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    head = " ".join(f"{e:>8.0f}" for e in EBN0)
    print(f"BER at Eb/N0 (dB), {args.baud:g} Bd at {args.rate:g} Hz, {args.bits} bits per point")
    print(f"{'case':34s} {head}   1e-3 at  theory   loss")
    for name, mod, det, kind in CASES:
        got = [ber(mod, det, e, args, rng) for e in EBN0]
        want = [theory(kind, e) for e in EBN0]
        need, ideal = crossing(EBN0, got), crossing(EBN0, want)
        row = " ".join(f"{b:8.2e}" for b in got)
        print(f"{name:34s} {row}  {need:6.2f}  {ideal:6.2f}  {need - ideal:+5.2f}", flush=True)
        print(f"{'  theory':34s} " + " ".join(f"{b:8.2e}" for b in want))


if __name__ == "__main__":
    main()
