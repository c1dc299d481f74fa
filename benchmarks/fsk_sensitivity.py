"""FSK sensitivity: frames decoded versus SNR, from IQ and from FM-receiver audio.

Usage: python benchmarks/fsk_sensitivity.py [--trials 4] [--snrs 4:14:1] [--modes NAME,...]

Each trial is a stream of five AX100 frames (60 random bytes each) from the
project's modulator; complex white noise is added at the given SNR
(signal power over noise power in Carson's bandwidth, 2 * deviation + baud),
and the stream is decoded either as IQ or, for the ``audio`` modes, as the
48 kHz discriminator audio that a ground station's FM receiver makes of it
(:func:`sdrlink.protocols.fsk.fmaudio.fm_receive`: IF filter of
2 * (deviation + baud), discriminator, audio low-pass to 21.6 kHz or, for
the modes named "12k", to 12 kHz as in the GOMX-3 recording). Prints the
fraction of frames recovered byte for byte per SNR, and the SNR where it
crosses 90 % (linear interpolation).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import table  # noqa: E402

from sdrlink.blocks import SampleBlock, StreamInfo  # noqa: E402
from sdrlink.channel import add_noise  # noqa: E402
from sdrlink.protocols.fsk import FskReceiver, make_params, modulate  # noqa: E402
from sdrlink.protocols.fsk.fmaudio import fm_receive  # noqa: E402

AUDIO = 48_000.0
FSK9K6 = {"modulation": "fsk", "baud": 9600, "framing": "ax100"}
FSK19K2 = {"modulation": "fsk", "baud": 19200, "framing": "ax100"}
# name: (options, input: "audio" or the IQ sample rate, audio bandwidth or None)
MODES: dict[str, tuple[dict, object, float | None]] = {
    "audio 9k6 FSK": (FSK9K6, "audio", None),
    "audio 9k6 GMSK": ({**FSK9K6, "modulation": "gmsk"}, "audio", None),
    "audio 19k2 FSK": (FSK19K2, "audio", None),
    "audio 19k2 FSK 12k": (FSK19K2, "audio", 12e3),
    "audio 19k2 GMSK": ({**FSK19K2, "modulation": "gmsk"}, "audio", None),
    "audio 20k FSK": ({**FSK19K2, "baud": 20000}, "audio", None),
    "IQ 250k 9k6 FSK": (FSK9K6, 250e3, None),
    "IQ 48k 9k6 GMSK": ({**FSK9K6, "modulation": "gmsk"}, 48e3, None),
    "IQ 48k 19k2 FSK": (FSK19K2, 48e3, None),
}


def stream(options: dict, fs: float, snr: float, seed: int) -> tuple[np.ndarray, list[bytes]]:
    """Five frames with gaps, at ``fs`` complex samples per second, noise at ``snr``."""
    p = make_params(options)
    rng = np.random.default_rng(seed)
    payloads = [bytes(rng.integers(0, 256, 60, dtype=np.uint8)) for _ in range(5)]
    gap = np.zeros(int(0.02 * fs), np.complex64)
    parts = [gap]
    for payload in payloads:
        parts += [modulate(p, payload, fs), gap]
    x = np.concatenate(parts)
    x = x * np.exp(2j * np.pi * rng.random()).astype(np.complex64)
    return add_noise(x, snr, p.occupied_bw, fs, rng, signal_power=1.0), payloads


def recovered(
    options: dict, where: object, snr: float, seed: int, audio_bw: float | None = None
) -> tuple[int, int]:
    p = make_params(options)
    if where == "audio":
        fs = 4 * AUDIO
        iq, payloads = stream(options, fs, snr, seed)
        x = fm_receive(iq, fs, AUDIO, p.deviation, 2 * (p.deviation + p.baud), audio_bw)
        info = StreamInfo(AUDIO, is_complex=False)
    else:
        fs = float(where)  # type: ignore[arg-type]
        x, payloads = stream(options, fs, snr, seed)
        info = StreamInfo(fs, is_complex=True)
    rx = FskReceiver(p, info)
    got = []
    for s in range(0, len(x), 65536):
        got += rx.process(SampleBlock(x[s : s + 65536], s))
    got += rx.flush()
    ok = {f.payload for f in got if f.crc_ok}
    return sum(pl in ok for pl in payloads), len(payloads)


def threshold(snrs: list[float], rates: list[float], level: float = 0.9) -> str:
    for i in range(1, len(snrs)):
        a, b = rates[i - 1], rates[i]
        if a < level <= b:
            return f"{snrs[i - 1] + (level - a) / (b - a) * (snrs[i] - snrs[i - 1]):.1f}"
    return "-" if rates and rates[0] < level else f"<{snrs[0]:g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=4, help="streams of 5 frames per SNR")
    ap.add_argument("--snrs", default="4:14:1", help="first:last:step in dB")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated mode names")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    a, b, st = (float(v) for v in args.snrs.split(":"))
    snrs = [float(v) for v in np.arange(a, b + st / 2, st)]
    rows = []
    for name in args.modes.split(","):
        options, where, audio_bw = MODES[name.strip()]
        rates = []
        for snr in snrs:
            ok = n = 0
            for t in range(args.trials):
                k, m = recovered(options, where, snr, args.seed * 1000 + t, audio_bw)
                ok, n = ok + k, n + m
            rates.append(ok / n)
        rows.append([name, *[f"{r:.2f}" for r in rates], threshold(snrs, rates)])
        print(table(["mode", *[f"{s:g}" for s in snrs], "90 % at"], rows[-1:]), flush=True)
    print(
        f"\nfraction of frames recovered vs SNR (dB in Carson's bandwidth), {args.trials}x5 frames"
    )
    print(table(["mode", *[f"{s:g}" for s in snrs], "90 % at"], rows))


if __name__ == "__main__":
    main()
