"""Rendering helper shared by the plot tests."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def png(ax, dpi: int = 60) -> np.ndarray:
    """The rendered figure as an RGBA array (through a real PNG encode/decode)."""
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=dpi)
    buf.seek(0)
    return plt.imread(buf)
