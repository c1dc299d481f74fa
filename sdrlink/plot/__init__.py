"""Plots for notebooks and reports (matplotlib).

Every function draws on ``ax=`` when given (else on a new figure) and returns
the Axes, so plots compose into subplots::

    fig, (a, b) = plt.subplots(1, 2)
    sdrlink.plot.waterfall(rec, frames, ax=a)
    sdrlink.plot.per_curve("benchmarks/results/lora_per.json", ax=b)
"""

from __future__ import annotations

from sdrlink.plot.doppler import doppler_pass
from sdrlink.plot.fsk import eye_diagram, soft_bit_histogram
from sdrlink.plot.lora import acquisition_surface, lora_dechirped, lora_symbols
from sdrlink.plot.lrfhss import lrfhss_hops
from sdrlink.plot.per import per_curve
from sdrlink.plot.spectrum import Spectrogram, spectrogram
from sdrlink.plot.waterfall import waterfall

__all__ = [
    "Spectrogram",
    "acquisition_surface",
    "doppler_pass",
    "eye_diagram",
    "lora_dechirped",
    "lora_symbols",
    "lrfhss_hops",
    "per_curve",
    "soft_bit_histogram",
    "spectrogram",
    "waterfall",
]
