"""Packet error rate against SNR, from the results the benchmarks write."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from sdrlink.errors import ConfigError, InputError
from sdrlink.plot._common import new_axes

#: Keys that describe a measurement rather than a configuration.
_MEASURED = {
    "snr_db",
    "per",
    "trials",
    "errors",
    "frames",
    "decoded",
    "packets",
    "ok",
    "wall_s",
    "cpu_s",
    "seconds",
    "realtime_factor",
    "ber",
    "false_frames",
}


def load_results(results: Any) -> list[dict[str, Any]]:
    """Benchmark results as a list of dicts with at least ``snr_db`` and ``per``.

    Accepts a path to a JSON file, a list of dicts, a dict with a ``results``
    list, or a dict mapping a label to such a list (the label becomes ``label``).
    """
    if isinstance(results, (str, os.PathLike)):
        try:
            with open(results, encoding="utf-8") as fh:
                results = json.load(fh)
        except OSError as exc:
            raise InputError(f"{results}: cannot read ({exc.strerror})") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{results}: not JSON ({exc})") from None
    if isinstance(results, Mapping):
        if isinstance(results.get("results"), list):
            results = results["results"]
        else:
            results = [
                {**row, "label": label}
                for label, rows in results.items()
                if isinstance(rows, list)
                for row in rows
            ]
    rows = [dict(r) for r in results if isinstance(r, Mapping)]
    for i, r in enumerate(rows):
        if "snr_db" not in r or "per" not in r:
            raise ConfigError(f"result {i} lacks snr_db or per: {r!r}")
    if not rows:
        raise ConfigError("no benchmark results to plot")
    return rows


def _fmt(key: str, value: Any) -> str:
    if key == "sf":
        return f"SF{value}"
    if key in ("rate", "fs", "sample_rate", "bw") and isinstance(value, (int, float)):
        v = float(value)
        for scale, p in ((1e6, "M"), (1e3, "k")):
            if abs(v) >= scale:
                return f"{key} {v / scale:g}{p}"
        return f"{key} {v:g}"
    if key == "label":
        return str(value)
    return f"{key} {value}"


def group_results(rows: Iterable[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{curve label: (snr_db sorted, per)}``, one curve per configuration."""
    groups: dict[tuple[tuple[str, Any], ...], list[tuple[float, float]]] = {}
    for r in rows:
        key = tuple(
            (k, v)
            for k, v in sorted(r.items())
            if k not in _MEASURED and isinstance(v, (str, int, float, bool))
        )
        groups.setdefault(key, []).append((float(r["snr_db"]), float(r["per"])))
    out = {}
    for key, points in groups.items():
        pts = np.array(sorted(points), dtype=np.float64)
        label = ", ".join(_fmt(k, v) for k, v in key) or "results"
        out[label] = (pts[:, 0], pts[:, 1])
    return out


def per_curve(results: Any, *, log: bool = True, ax: Any = None) -> Any:
    """Packet error rate versus SNR, one line per configuration (sf, rate ...).

    ``results``: see :func:`load_results`. With ``log`` the PER axis is
    logarithmic and zero-PER points are drawn at the bottom edge as open
    markers. Returns the Axes; line ``i`` holds curve ``i``'s (snr_db, per).
    """
    curves = group_results(load_results(results))
    ax = new_axes(ax)
    positive = [p[p > 0] for _, p in curves.values()]
    floor = min((float(p.min()) for p in positive if len(p)), default=1e-3) / 3
    for label, (snr, per) in curves.items():
        line = ax.plot(snr, per, "o-", label=label)[0]
        if log and np.any(per <= 0):
            zero = per <= 0
            ax.plot(snr[zero], np.full(zero.sum(), floor), "o", mfc="none", color=line.get_color())
    if log:
        ax.set_yscale("log")
        ax.set_ylim(floor / 1.5, 1.5)
    else:
        ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("SNR in the signal bandwidth (dB)")
    ax.set_ylabel("packet error rate")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return ax


__all__ = ["per_curve", "load_results", "group_results"]
