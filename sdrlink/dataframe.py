"""Frames as a pandas DataFrame, one row per frame, for notebooks and analysis.

pandas is optional (``pip install sdrlink[batch]``); without it
:func:`frames_to_dataframe` raises ImportError saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sdrlink.frame import Frame

#: The fixed columns, in order; protocol fields follow.
COLUMNS = [
    "time",
    "sample_index",
    "protocol",
    "crc_ok",
    "freq_offset_hz",
    "snr_db",
    "length",
    "payload_hex",
    "text",
    "center_freq_hz",
]


def _scalar(value: Any) -> Any:
    """Plain values for table cells: numpy scalars to Python, bytes to hex."""
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def frames_to_rows(frames: Iterable[Frame]) -> list[dict[str, Any]]:
    """One dict per frame: the fixed :data:`COLUMNS` then the protocol's ``fields``.

    A field whose name clashes with a fixed column is stored as ``field_NAME``.
    """
    rows = []
    for f in frames:
        row: dict[str, Any] = {
            "time": f.time,
            "sample_index": int(f.sample_index),
            "protocol": f.protocol,
            "crc_ok": f.crc_ok,
            "freq_offset_hz": float(f.freq_offset_hz),
            "snr_db": float(f.snr_db),
            "length": len(f.payload),
            "payload_hex": f.payload.hex(),
            "text": f.text(),
            "center_freq_hz": f.center_freq_hz,
        }
        for key, value in f.fields.items():
            row[f"field_{key}" if key in row else str(key)] = _scalar(value)
        rows.append(row)
    return rows


def frames_to_dataframe(frames: Iterable[Frame]) -> Any:
    """A ``pandas.DataFrame`` with one row per frame (columns as :func:`frames_to_rows`).

    ``time`` becomes a timezone-aware UTC datetime column; frames without a
    time get ``NaT``. Raises ImportError when pandas is not installed.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "frames_to_dataframe needs pandas: pip install pandas (or pip install 'sdrlink[batch]')"
        ) from None
    rows = frames_to_rows(frames)
    columns = list(COLUMNS)
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    df = pd.DataFrame(rows, columns=columns)
    df["time"] = pd.to_datetime(df["time"], utc=True)
    return df


__all__ = ["frames_to_dataframe", "frames_to_rows", "COLUMNS"]
