"""Parquet export of the frames of a batch run (pandas and pyarrow, optional)."""

from __future__ import annotations

import os
from pathlib import Path

from sdrlink.batch.log import BatchLog
from sdrlink.batch.results import BatchResult
from sdrlink.errors import ConfigError, InputError
from sdrlink.sinks.sqlite import FrameDB


def write_parquet(
    path: str | os.PathLike[str],
    result: BatchResult,
    log: BatchLog | None,
    settings_json: str,
) -> int:
    """Write the frames of the run's recordings to Parquet; returns the row count.

    With a frame log the rows come from it (decoded and skipped recordings);
    without one, from the frames kept in ``result``. Written under a temporary
    name and renamed into place.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ConfigError(
            "Parquet export needs pandas and pyarrow: pip install 'sdrlink[batch]'"
        ) from None

    if log is not None:
        runs = [
            r
            for f in result.files
            if f.content_hash and f.status != "failed"
            for r in [f.run_id or log.run_of(f.content_hash, settings_json)]
            if r is not None
        ]
        table = log.frames_table(runs)
    else:
        rows = []
        for label, frames in result.frames.items():
            content = next(f.content_hash for f in result.files if f.path == label)
            for fr in frames:
                row = FrameDB.frame_rows(0, label, [fr])[0][1:]
                rows.append((*row, content))
        table = pd.DataFrame(
            rows,
            columns=[
                "source",
                "protocol",
                "time_utc",
                "sample_index",
                "center_freq_hz",
                "freq_offset_hz",
                "snr_db",
                "crc_ok",
                "payload",
                "payload_hex",
                "fields_json",
                "content_hash",
            ],
        )
    table["time_utc"] = pd.to_datetime(table["time_utc"], utc=True, format="ISO8601")
    table["crc_ok"] = table["crc_ok"].map({1: True, 0: False}).astype("boolean")
    table["payload"] = table["payload"].map(bytes)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except ImportError:
        raise ConfigError("Parquet export needs pyarrow: pip install 'sdrlink[batch]'") from None
    except OSError as exc:
        raise InputError(f"{target}: cannot write Parquet ({exc.strerror or exc})") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(table)
