"""Regenerate the bundled example recording examples/lora_demo.sigmf-{meta,data}.

The example is made by sdrlink's own simulator (LoRa modulator + channel model):
three SF9 and two SF7 frames, BW 125 kHz, at 250 ksps stored as 8-bit unsigned IQ
(as rtl_sdr writes), with a carrier offset and drift like a LEO downlink and
in-band SNRs from +5 dB down to -8 dB. Run from the repository root:

    .venv/bin/python scripts/make_example.py
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import numpy as np

from sdrlink.channel import add_noise, apply_offset
from sdrlink.protocols import get_protocol
from sdrlink.sources.writer import SigMFWriter

OUT = os.path.join(os.path.dirname(__file__), "..", "examples", "lora_demo")
FS = 250e3
BW = 125e3
START = dt.datetime(2026, 11, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
# (time s, SF, in-band SNR dB, payload)
FRAMES = [
    (0.20, 9, 5.0, b"Hello from orbit! sdrlink demo #1"),
    (0.90, 7, 0.0, b"SF7 beacon 0042"),
    (1.40, 9, -8.0, b"weak frame near the noise floor"),
    (2.10, 7, -4.0, bytes(range(16))),
    (2.60, 9, 2.0, b"73 de sdrlink"),
]
DURATION = 3.4


def main() -> int:
    lora = get_protocol("lora")
    rng = np.random.default_rng(20261101)
    n = int(DURATION * FS)
    clean = np.zeros(n, np.complex64)
    noise_power_in_band = 1e-3
    for t, sf, snr, payload in FRAMES:
        wave = lora.modulate(lora.make_params({"sf": sf, "bw": BW}), payload, FS)
        amp = np.sqrt(noise_power_in_band * 10 ** (snr / 10))
        i = int(t * FS)
        clean[i : i + len(wave)] += amp * wave / np.sqrt(np.mean(np.abs(wave) ** 2))
    # LEO-like carrier offset: +4.1 kHz drifting at -120 Hz/s
    x = apply_offset(clean, FS, 4100.0, -120.0)
    x = add_noise(x, 0.0, BW, FS, rng, signal_power=noise_power_in_band)
    x *= np.float32(0.25 / np.sqrt(np.mean(np.abs(x) ** 2)))  # headroom for 8-bit samples
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with SigMFWriter(
        OUT,
        sample_rate=FS,
        center_freq=436.7e6,
        datatype="cu8",
        start_time=START,
        description="sdrlink demo: simulated LoRa downlink, SF7+SF9 BW125k, LEO-like offset",
    ) as w:
        w.write(x)
    print(f"wrote {os.path.normpath(OUT)}.sigmf-meta and .sigmf-data ({n} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
