"""Helpers shared by the plot functions: axes creation, inputs, unit scaling."""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.errors import ConfigError


def new_axes(ax: Any = None, *, projection: str | None = None, figsize: Any = None) -> Any:
    """``ax`` itself, or the Axes of a new figure (pyplot, so notebooks show it inline)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize or (8, 4.5), layout="constrained")
    return fig.add_subplot(projection=projection)


def as_1d(samples: Any, what: str = "samples") -> np.ndarray:
    """A finite one-dimensional array (ConfigError otherwise)."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ConfigError(f"{what} must be one-dimensional, got shape {x.shape}")
    if x.size == 0:
        raise ConfigError(f"{what} is empty")
    return x


def hz_scale(span_hz: float) -> tuple[float, str]:
    """A divisor and unit name that keep ``span_hz`` readable (Hz, kHz, MHz)."""
    span = abs(span_hz)
    if span >= 2e6:
        return 1e6, "MHz"
    if span >= 2e3:
        return 1e3, "kHz"
    return 1.0, "Hz"


def positive(value: float, what: str) -> float:
    """``value`` as a float, ConfigError unless it is > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not v > 0:
        raise ConfigError(f"{what} must be positive, not {value!r}")
    return v
