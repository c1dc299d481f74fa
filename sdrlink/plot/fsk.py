"""FSK views: eye diagram of the demodulated signal and histogram of soft bits."""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.errors import ConfigError
from sdrlink.plot._common import as_1d, new_axes


def eye_traces(
    signal: Any,
    sps: float,
    *,
    offset: float | None = None,
    spans: int = 2,
    max_traces: int = 400,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``signal`` into overlapping traces of ``spans`` symbols, one per symbol.

    Returns ``(t, traces)``: ``t`` in symbol periods (``-spans/2 .. spans/2``) and
    ``traces`` of shape ``(count, len(t))``. Trace ``k`` starts at sample
    ``offset + k * sps`` (rounded), so fractional ``sps`` works. ``offset=None``
    centres the eye: symbol centres at ``t = 0``, crossings at ``t = ±1/2``.
    Complex input is reduced to its real part.
    """
    x = as_1d(signal, "signal")
    if np.iscomplexobj(x):
        x = x.real
    x = x.astype(np.float64)
    if not sps >= 2:
        raise ConfigError(f"samples per symbol must be >= 2 for an eye diagram, not {sps!r}")
    if offset is None:
        offset = _eye_centre_offset(x, sps, spans)
    width = int(round(spans * sps)) + 1
    count = int((len(x) - width - offset) // sps) + 1
    if count < 1:
        raise ConfigError(f"signal of {len(x)} samples is shorter than {spans} symbols")
    step = max(1, -(-count // max_traces))
    starts = np.round(offset + np.arange(0, count, step) * sps).astype(np.int64)
    traces = x[starts[:, None] + np.arange(width)[None, :]]
    t = np.arange(width) / sps - spans / 2
    return t, traces


def _eye_centre_offset(x: np.ndarray, sps: float, spans: int) -> float:
    """Trace start offset that puts the symbol centre in the middle of the traces.

    The centre is half a symbol from the phase where transitions cross (the
    smallest mean ``|x|``), which is sharper to find than the flat top.
    """
    bins = max(int(round(sps)), 2)
    phase = np.arange(len(x)) % sps
    k = np.minimum(np.floor(phase / sps * bins).astype(np.int64), bins - 1)
    count = np.maximum(np.bincount(k, minlength=bins), 1)
    level = np.bincount(k, weights=np.abs(x - np.mean(x)), minlength=bins) / count
    mean_phase = np.bincount(k, weights=phase, minlength=bins) / count
    crossing = float(mean_phase[int(np.argmin(level))])
    return float((crossing + sps / 2 - spans * sps / 2) % sps)


def eye_diagram(
    signal: Any,
    sps: float,
    *,
    offset: float | None = None,
    spans: int = 2,
    max_traces: int = 400,
    alpha: float | None = None,
    color: str = "tab:blue",
    ax: Any = None,
) -> Any:
    """Overlaid two-symbol traces of a demodulated (frequency-discriminator) signal.

    ``sps`` is samples per symbol; ``offset`` the sample where the first trace
    starts (default: chosen so that the eye is centred). Each trace is one
    line in ``ax.lines``. Returns the Axes.
    """
    t, traces = eye_traces(signal, sps, offset=offset, spans=spans, max_traces=max_traces)
    ax = new_axes(ax)
    a = alpha if alpha is not None else float(np.clip(8.0 / len(traces), 0.03, 0.6))
    ax.plot(t, traces.T, color=color, alpha=a, linewidth=0.8)
    ax.set_xlabel("time (symbols)")
    ax.set_ylabel("amplitude")
    ax.set_title(f"eye diagram ({len(traces)} traces, {sps:g} samples/symbol)")
    ax.set_xlim(t[0], t[-1])
    ax.grid(True, alpha=0.3)
    return ax


def soft_bit_histogram(
    soft_bits: Any,
    *,
    bins: int = 60,
    threshold: float = 0.0,
    color: str = "tab:blue",
    ax: Any = None,
) -> Any:
    """Histogram of soft bit values: two well-separated humps mean a clean signal.

    The decision threshold is drawn as a dashed line and the fraction of bits
    within 10 % of the spread from it (the unreliable ones) is given in the
    title. Returns the Axes; the bars are ``ax.patches``.
    """
    x = as_1d(soft_bits, "soft_bits").astype(np.float64)
    x = x[np.isfinite(x)]
    if not len(x):
        raise ConfigError("soft_bits holds no finite value")
    ax = new_axes(ax)
    ax.hist(x, bins=bins, color=color, alpha=0.8)
    ax.axvline(threshold, color="k", linestyle="--", linewidth=1, label="threshold")
    spread = float(np.percentile(np.abs(x - threshold), 90)) or 1.0
    weak = float(np.mean(np.abs(x - threshold) < 0.1 * spread))
    ax.set_title(f"soft bits: {len(x)} values, {100 * weak:.1f}% near the threshold")
    ax.set_xlabel("soft value")
    ax.set_ylabel("count")
    return ax


__all__ = ["eye_diagram", "eye_traces", "soft_bit_histogram"]
