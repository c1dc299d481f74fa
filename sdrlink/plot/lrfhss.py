"""LR-FHSS: a spectrogram with every decoded packet's header and fragment hops boxed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sdrlink.frame import Frame
from sdrlink.plot.waterfall import waterfall

HOP_WIDTH_HZ = 700.0  # drawn width of a hop (GMSK at 488 bit/s occupies about 600 Hz)
COLOURS = ("tab:red", "tab:orange", "tab:cyan", "tab:pink", "tab:olive", "white")


def lrfhss_hops(
    data: Any,
    frames: Iterable[Frame],
    *,
    sample_rate: float | None = None,
    start_s: float = 0.0,
    dur_s: float | None = None,
    nfft: int = 1024,
    label: bool = True,
    ax: Any = None,
    **waterfall_args: Any,
) -> Any:
    """The recording's spectrogram with the hops of each LR-FHSS frame outlined.

    Header copies are drawn solid, payload fragments dashed, one colour per
    frame; the boxes come from ``frame.fields["hops"]`` (what the receiver
    found: start, duration and frequency of every hop). ``data`` is anything
    :func:`~sdrlink.plot.waterfall` takes; ``nfft`` should resolve a few
    hundred hertz. Returns the Axes.
    """
    frames = [f for f in frames if f.protocol == "lrfhss"]
    ax = waterfall(
        data,
        frames=[],
        annotations=False,
        sample_rate=sample_rate,
        start_s=start_s,
        dur_s=dur_s,
        nfft=nfft,
        ax=ax,
        **waterfall_args,
    )
    from matplotlib.patches import Rectangle

    div = _divisor(ax)
    for i, f in enumerate(frames):
        colour = COLOURS[i % len(COLOURS)]
        hops = f.fields.get("hops", [])
        first = min((h[1] for h in hops if h[0] == "header"), default=None)
        for kind, index, t0, dur, freq in hops:
            head = kind == "header"
            ax.add_patch(
                Rectangle(
                    ((freq - HOP_WIDTH_HZ / 2) / div, t0),
                    HOP_WIDTH_HZ / div,
                    dur,
                    fill=False,
                    edgecolor=colour,
                    linewidth=1.6 if head else 1.0,
                    linestyle="-" if head else "--",
                )
            )
            if label and head and index == first:
                ax.text(
                    (freq + HOP_WIDTH_HZ) / div,
                    t0,
                    f"#{i} {len(f.payload)} B",
                    color=colour,
                    fontsize=8,
                    va="top",
                )
    return ax


def _divisor(ax: Any) -> float:
    """Hz per unit of the waterfall's frequency axis (read from its label)."""
    text = ax.get_xlabel()
    if "(MHz)" in text:
        return 1e6
    if "(kHz)" in text:
        return 1e3
    return 1.0
