"""Doppler over a satellite pass: measured frame offsets against the TLE prediction."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sdrlink.errors import ConfigError
from sdrlink.frame import Frame
from sdrlink.plot._common import hz_scale, new_axes


def _seconds(times: Any, ref: _dt.datetime | None) -> tuple[np.ndarray, _dt.datetime | None]:
    """Times (datetimes, datetime64 or seconds) as seconds from ``ref``.

    For datetimes ``ref`` defaults to the first one; plain numbers are taken
    as seconds already and returned as they are.
    """
    arr = np.asarray(times)
    if arr.dtype.kind == "M":
        arr = np.array([_to_datetime(t) for t in arr.astype("datetime64[us]").tolist()])
    if arr.dtype == object and len(arr) and isinstance(arr[0], _dt.datetime):
        dts = [_aware(t) for t in arr]
        ref = ref or dts[0]
        return np.array([(t - ref).total_seconds() for t in dts]), ref
    return arr.astype(np.float64), ref


def _to_datetime(t: Any) -> _dt.datetime:
    return t if isinstance(t, _dt.datetime) else _dt.datetime.fromisoformat(str(t))


def _aware(t: _dt.datetime) -> _dt.datetime:
    return t.replace(tzinfo=_dt.timezone.utc) if t.tzinfo is None else t


def doppler_pass(
    frames: Iterable[Frame],
    predicted: tuple[Sequence[Any], Sequence[float]] | None = None,
    *,
    start_time: _dt.datetime | None = None,
    sample_rate: float | None = None,
    ax: Any = None,
) -> Any:
    """Measured ``freq_offset_hz`` of each frame against the predicted Doppler curve.

    ``predicted`` is ``(times, hz)``: times as datetimes (or datetime64) or as
    seconds from ``start_time``. The x axis is seconds from ``start_time``
    (default: the first predicted datetime, else the first frame's time).
    Frames are placed by ``frame.time``, or by ``sample_index / sample_rate``
    (seconds from the recording start) when they have no time. Frames that carry
    ``fields["doppler_predicted_hz"]`` (the compensation applied to them) get
    that value drawn too. Returns the Axes; the measured points are
    ``ax.lines[0]``, the predicted curve the line labelled "predicted (TLE)".
    """
    frames = list(frames)
    ref = _aware(start_time) if start_time else None
    pred_t = pred_f = None
    if predicted is not None:
        times, hz = predicted
        pred_t, ref = _seconds(times, ref)
        pred_f = np.asarray(hz, dtype=np.float64)
        if pred_t.shape != pred_f.shape:
            raise ConfigError(
                f"predicted times and Hz differ in length ({len(pred_t)} vs {len(pred_f)})"
            )
    numeric_prediction = predicted is not None and ref is None
    xs = []
    for f in frames:
        if f.time is not None:
            if numeric_prediction:
                raise ConfigError(
                    "predicted times are in seconds but the frames carry UTC times; "
                    "give start_time= (the time of second 0)"
                )
            if ref is None:
                ref = _aware(f.time)
            xs.append((_aware(f.time) - ref).total_seconds())
        elif sample_rate:
            xs.append(f.sample_index / sample_rate)
        else:
            raise ConfigError("frames without a time need sample_rate= to be placed in time")
    meas_t = np.asarray(xs, dtype=np.float64)
    meas_f = np.array([f.freq_offset_hz for f in frames], dtype=np.float64)
    span = max(
        float(np.ptp(meas_f)) if len(meas_f) else 0.0,
        float(np.ptp(pred_f)) if pred_f is not None and len(pred_f) else 0.0,
    )
    div, unit = hz_scale(span)
    ax = new_axes(ax)
    ax.plot(meas_t, meas_f / div, "o", color="tab:red", label="measured (decoded frames)", zorder=3)
    if pred_t is not None and pred_f is not None:
        ax.plot(pred_t, pred_f / div, "-", color="tab:blue", label="predicted (TLE)")
    applied = [
        (t, f.fields["doppler_predicted_hz"])
        for t, f in zip(meas_t, frames, strict=True)
        if f.fields.get("doppler_predicted_hz") is not None
    ]
    if applied:
        at, af = np.array(applied, dtype=np.float64).T
        ax.plot(at, af / div, "x", color="tab:green", label="compensation applied")
    when = f" ({ref.isoformat().replace('+00:00', 'Z')})" if ref else ""
    ax.set_xlabel(f"time from start{when} (s)")
    ax.set_ylabel(f"frequency offset ({unit})")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return ax


__all__ = ["doppler_pass"]
