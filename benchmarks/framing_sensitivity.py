"""Sensitivity of the satellite-specific framings: frames decoded versus SNR.

Usage: python benchmarks/framing_sensitivity.py [--trials 3] [--snrs 2:12:1] [--modes NAME,...]

Each trial is three frames of random content (shaped as the framing needs:
IDEASSat's header, AX.25 addresses for YUSAT and USP, ...) from the
framing's own encoder and the project's modulator, through sdrlink.channel
(complex white noise; a carrier offset of 1 kHz), decoded from IQ at 250
kHz. The SNR is in 2 * (deviation + baud) for FSK, and Eb/N0 per channel
bit for BPSK (as the receivers report it). Prints the fraction of frames
recovered byte for byte per SNR and the SNR where it reaches 90 % (linear
interpolation; "-" when it never does).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import table  # noqa: E402

from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.channel import channel  # noqa: E402
from sdrlink.framing.ax25 import ui_frame  # noqa: E402
from sdrlink.protocols import get_protocol  # noqa: E402

FS = 250_000.0
Rng = np.random.Generator


def _rand(n: int) -> Callable[[Rng], bytes]:
    return lambda rng: rng.integers(0, 256, n, dtype=np.uint8).tobytes()


def _ax25(n: int) -> Callable[[Rng], bytes]:
    return lambda rng: ui_frame("CQ", "TEST-1", _rand(n)(rng))


# name: (protocol, options, frame maker, frames per frame maker output)
MODES: dict[str, tuple[str, dict, Callable[[Rng], bytes], int]] = {
    "OPS-SAT 9k6": ("fsk", {"baud": 9600, "framing": "OPS-SAT"}, _rand(100), 1),
    "IDEASSat 9k6": (
        "fsk",
        {"baud": 9600, "framing": "IDEASSat"},
        lambda rng: b"BN0CU 0BN0IDA0\xf0" + _rand(185)(rng),
        1,
    ),
    "S-NET AFSK 1k2": (
        "fsk",
        {
            "modulation": "afsk",
            "baud": 1200,
            "af_carrier": 1500,
            "af_deviation": -600,
            "framing": "S-NET",
        },
        _rand(40),
        1,
    ),
    "Swiatowid 9k6": ("fsk", {"baud": 9600, "framing": "Swiatowid"}, _rand(48), 1),
    "FOSSASAT 9k6": ("fsk", {"baud": 9600, "framing": "FOSSASAT"}, _rand(60), 1),
    "Lucky-7 4k8": ("fsk", {"baud": 4800, "framing": "Lucky-7"}, _rand(35), 1),
    "TT-64 9k6": ("fsk", {"baud": 9600, "framing": "TT-64"}, _rand(46), 1),
    "YUSAT 9k6": ("fsk", {"baud": 9600, "framing": "YUSAT"}, _ax25(60), 1),
    "ESEO 9k6": ("fsk", {"baud": 9600, "framing": "ESEO"}, _rand(100), 1),
    "AISTECHSAT-2 4k8": ("fsk", {"baud": 4800, "framing": "AISTECHSAT-2"}, _rand(83), 1),
    "USP 9k6": ("fsk", {"baud": 9600, "framing": "USP"}, _ax25(150), 1),
    "NuSat 40k": ("fsk", {"baud": 40000, "framing": "NuSat"}, _rand(58), 1),
    "SMOG-P RA 5k": (
        "fsk",
        {"baud": 5000, "framing": "SMOG-P RA", "frame_size": 128},
        _rand(128),
        1,
    ),
    "Mobitex-NX 4k8": ("fsk", {"baud": 4800, "framing": "Mobitex-NX"}, _rand(18 * 3), 3),
    "LilacSat-1 BPSK 9k6": ("bpsk", {"baud": 9600, "framing": "LilacSat-1"}, _rand(81), 1),
    "AX.25 G3RUH 9k6 (reference)": ("fsk", {"baud": 9600, "framing": "ax25_g3ruh"}, _ax25(80), 1),
}


def trial(mode: str, snr: float, rng: Rng) -> tuple[int, int]:
    """(frames recovered, frames sent) of one stream of three frames."""
    proto_name, options, make, blocks = MODES[mode]
    proto = get_protocol(proto_name)
    if proto_name == "fsk":
        from sdrlink.protocols.fsk import make_params, modulate

        params = make_params(options)
        bw = 2 * (params.deviation + params.baud)
    else:
        from sdrlink.protocols.bpsk import make_params, modulate  # type: ignore[assignment]

        params = make_params(options)
        bw = params.snr_bandwidth
    frames = [make(rng) for _ in range(3)]
    gap = np.zeros(int(0.03 * FS), np.complex64)
    x = np.concatenate([gap] + [np.concatenate([modulate(params, f, FS), gap]) for f in frames])
    y = channel(x, FS, snr_db=snr, signal_bw=bw, cfo_hz=1000.0, rng=rng, signal_power=1.0)
    rx = proto.make_receiver(options, StreamInfo(FS, is_complex=True))
    got: list[bytes] = []
    for s in range(0, len(y), 65536):
        got += [f.payload for f in rx.process(SampleBlock(y[s : s + 65536], s))]
    got += [f.payload for f in rx.flush()]
    n = len(frames[0]) // blocks
    sent = [f[i : i + n] for f in frames for i in range(0, len(f), n)]
    return sum(p in got for p in sent), len(sent)


def crossing(snrs: list[float], rates: list[float], level: float = 0.9) -> str:
    for k in range(len(snrs)):
        if rates[k] >= level:
            if k == 0:
                return f"<={snrs[0]:g}"
            s0, s1, r0, r1 = snrs[k - 1], snrs[k], rates[k - 1], rates[k]
            return f"{s0 + (level - r0) * (s1 - s0) / (r1 - r0):.1f}"
    return "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--snrs", default="2:12:1", help="first:last:step in dB")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated mode names")
    args = ap.parse_args()
    a, b, step = (float(v) for v in args.snrs.split(":"))
    snrs = [float(v) for v in np.arange(a, b + step / 2, step)]
    rows = []
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        if mode not in MODES:
            sys.exit(f"unknown mode {mode!r}; choose from: {', '.join(MODES)}")
        rates = []
        for snr in snrs:
            ok = total = 0
            for t in range(args.trials):
                got, n = trial(mode, snr, np.random.default_rng(1000 * t + 7))
                ok, total = ok + got, total + n
            rates.append(ok / total)
        rows.append([mode, *[f"{r:.2f}" for r in rates], crossing(snrs, rates)])
        print(table(["mode", *[f"{s:g} dB" for s in snrs], "90 %"], rows[-1:]), flush=True)
    print()
    print(table(["mode", *[f"{s:g} dB" for s in snrs], "90 %"], rows))


if __name__ == "__main__":
    main()
