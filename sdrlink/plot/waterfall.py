"""Waterfall display of a recording with its decoded bursts outlined and labelled."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdrlink.frame import Frame
from sdrlink.plot._common import hz_scale, new_axes
from sdrlink.plot.spectrum import spectrogram_of


@dataclass
class BurstBox:
    """A burst in time (seconds from the recording start) and frequency (Hz offset)."""

    t0: float
    t1: float
    f_lo: float | None  # None: band unknown, spans the display
    f_hi: float | None
    label: str
    valid: bool = True


#: Frame fields that may carry a burst's bandwidth and length, in order of preference.
BW_FIELDS = ("bw", "bandwidth_hz", "bw_hz", "occupied_bw_hz")
LEN_FIELDS = ("num_samples", "n_samples", "length_samples")


def default_label(index: int, frame: Frame) -> str:
    """``"#3 lora SF9 12 B"`` (``BAD`` when the CRC failed; SF or baud rate when known)."""
    bad = " BAD" if frame.crc_ok is False else ""
    mode = ""
    if frame.fields.get("sf"):
        mode = f" SF{frame.fields['sf']}"
    elif frame.fields.get("baud"):
        mode = f" {float(frame.fields['baud']):g} Bd"
    return f"#{index} {frame.protocol}{mode} {len(frame.payload)} B{bad}"


def frame_boxes(
    frames: Iterable[Frame],
    sample_rate: float,
    *,
    default_dur_s: float,
    label: Callable[[int, Frame], str] | None = default_label,
) -> list[BurstBox]:
    """Boxes for decoded frames: start at ``sample_index``, centred on ``freq_offset_hz``.

    Length comes from ``fields["num_samples"]``, else for LoRa from the symbol
    count (``sf``, ``bw``, ``n_symbols``), else ``default_dur_s``; the band
    from ``fields["bw"]`` or similar (else the whole display).
    """
    boxes = []
    for i, f in enumerate(frames):
        t0 = f.sample_index / sample_rate
        n = next((f.fields[k] for k in LEN_FIELDS if f.fields.get(k)), None)
        dur = float(n) / sample_rate if n else _air_time(f) or default_dur_s
        bw = next((f.fields[k] for k in BW_FIELDS if f.fields.get(k)), None)
        lo = hi = None
        if bw:
            lo, hi = f.freq_offset_hz - float(bw) / 2, f.freq_offset_hz + float(bw) / 2
        text = label(i, f) if label is not None else ""
        boxes.append(BurstBox(t0, t0 + dur, lo, hi, text, f.crc_ok is not False))
    return boxes


#: Framing bytes around an FSK payload: AX100 sync word, Golay length and Reed-Solomon
#: parity; AX.25 CRC and flags (bit stuffing ignored).
_FSK_OVERHEAD = {"ax100": 4 + 3 + 32, "ax25": 4, "ax25_g3ruh": 4}


def _air_time(frame: Frame) -> float | None:
    """Air time (s) of a frame from its fields, for LoRa and FSK frames; None if unknown.

    LoRa: preamble, sync word, 2.25 down-chirps and ``n_symbols`` data symbols.
    FSK: payload plus framing bytes at ``baud`` (the preamble is not counted).
    """
    f = frame.fields
    try:
        if "n_symbols" in f:
            sf, bw, n_sym = int(f["sf"]), float(f["bw"]), int(f["n_symbols"])
            preamble = int(f.get("preamble_len", 8)) + (2 if sf < 7 else 0)
            return (preamble + 4.25 + n_sym) * (1 << sf) / bw if bw > 0 else None
        if "baud" in f:
            extra = _FSK_OVERHEAD.get(str(f.get("framing", "")), 0)
            baud = float(f["baud"])
            return 8 * (len(frame.payload) + extra) / baud if baud > 0 else None
    except (KeyError, TypeError, ValueError):
        return None
    return None


def annotation_boxes(
    annotations: Sequence[dict[str, Any]], sample_rate: float, center_freq: float | None
) -> list[BurstBox]:
    """Boxes for SigMF annotations (edges are absolute; without a centre frequency, offsets)."""
    boxes = []
    for ann in annotations:
        t0 = int(ann.get("core:sample_start", 0)) / sample_rate
        t1 = t0 + int(ann.get("core:sample_count", 0)) / sample_rate
        lo, hi = ann.get("core:freq_lower_edge"), ann.get("core:freq_upper_edge")
        if lo is not None and hi is not None:
            ref = center_freq or 0.0
            lo, hi = float(lo) - ref, float(hi) - ref
        else:
            lo = hi = None
        text = str(ann.get("core:label") or ann.get("core:comment") or "")
        boxes.append(BurstBox(t0, t1, lo, hi, text, ann.get("sdrlink:crc_ok") is not False))
    return boxes


def waterfall(
    data: Any,
    frames: Iterable[Frame] | None = None,
    annotations: bool = True,
    *,
    sample_rate: float | None = None,
    start_s: float = 0.0,
    dur_s: float | None = None,
    nfft: int = 1024,
    max_rows: int = 600,
    hop: int | None = None,
    dynamic_range_db: float = 50.0,
    cmap: str = "viridis",
    label: Callable[[int, Frame], str] | None = default_label,
    colorbar: bool = True,
    ax: Any = None,
) -> Any:
    """Spectrogram (frequency across, time down) with bursts outlined; returns the Axes.

    ``data`` is a :class:`~sdrlink.recording.Recording`, a finite Source or an
    array (then give ``sample_rate``). Long recordings are streamed block by
    block and averaged to at most ``max_rows`` rows, so memory stays bounded.
    Bursts come from ``frames`` (decoded Frames) or, when no frames are given
    and ``annotations`` is true, from the recording's SigMF annotations. Valid
    frames are outlined in red, frames with a failed CRC in orange (dashed);
    ``label(i, frame)`` gives each box's text (None: no text).
    """
    spec, t_off = spectrogram_of(
        data, sample_rate, start_s=start_s, dur_s=dur_s, nfft=nfft, max_rows=max_rows, hop=hop
    )
    ax = new_axes(ax)
    div, unit = hz_scale(spec.sample_rate)
    db = spec.db
    vmax = float(db.max())
    vmin = max(float(np.percentile(db, 5)), vmax - dynamic_range_db)
    df = spec.sample_rate / spec.nfft
    f0, f1 = (spec.freqs[0] - df / 2) / div, (spec.freqs[-1] + df / 2) / div
    t_lo, t_hi = t_off + spec.t_edges[0], t_off + spec.t_edges[-1]
    im = ax.imshow(
        db,
        aspect="auto",
        origin="upper",
        extent=(f0, f1, t_hi, t_lo),
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        interpolation="nearest",
    )
    where = "offset from centre" if spec.center_freq else "frequency"
    if spec.center_freq:
        where += f" {spec.center_freq / 1e6:.4f} MHz"
    ax.set_xlabel(f"{where} ({unit})")
    ax.set_ylabel("time (s)")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="PSD (dB/Hz)", pad=0.01)

    boxes: list[BurstBox] = []
    if frames is not None:
        boxes = frame_boxes(frames, spec.sample_rate, default_dur_s=(t_hi - t_lo) / 50, label=label)
    elif annotations:
        anns = getattr(data, "annotations", None) or []
        boxes = annotation_boxes(anns, spec.sample_rate, spec.center_freq)
    _draw_boxes(ax, boxes, div, (f0, f1), (t_lo, t_hi))
    ax.set_xlim(f0, f1)
    ax.set_ylim(t_hi, t_lo)
    return ax


def _draw_boxes(
    ax: Any,
    boxes: Sequence[BurstBox],
    div: float,
    f_span: tuple[float, float],
    t_span: tuple[float, float],
) -> None:
    from matplotlib.patches import Rectangle

    for box in boxes:
        if box.t1 < t_span[0] or box.t0 > t_span[1]:
            continue
        lo = f_span[0] if box.f_lo is None else box.f_lo / div
        hi = f_span[1] if box.f_hi is None else box.f_hi / div
        color = "red" if box.valid else "orange"
        rect = Rectangle(
            (lo, box.t0),
            hi - lo,
            box.t1 - box.t0,
            fill=False,
            edgecolor=color,
            linewidth=1.5,
            linestyle="-" if box.valid else "--",
            gid="burst",
        )
        ax.add_patch(rect)
        if box.label:
            ax.text(
                lo,
                box.t0,
                box.label,
                color="white",
                fontsize=8,
                va="bottom",
                ha="left",
                clip_on=True,
                bbox={"facecolor": color, "alpha": 0.6, "pad": 1, "edgecolor": "none"},
            )


__all__ = ["waterfall", "BurstBox", "frame_boxes", "annotation_boxes", "default_label"]
