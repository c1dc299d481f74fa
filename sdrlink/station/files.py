"""Files the station writes: each one complete under its final name, or absent.

Everything is written to a hidden temporary file beside the target, fsynced
and renamed into place (the SigMF writer does the same for recordings). A
station killed mid-write leaves only such temporary files, which
:func:`remove_stale_temporaries` deletes at the next start.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sdrlink.frame import Frame
from sdrlink.sources.writer import _write_temp

CSV_COLUMNS = (
    "time_utc",
    "satellite",
    "protocol",
    "sample_index",
    "freq_offset_hz",
    "snr_db",
    "crc_ok",
    "payload_hex",
    "payload_text",
)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (temporary file, fsync, rename)."""
    tmp = _write_temp(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=1, sort_keys=True, default=str) + "\n")


def frame_record(frame: Frame, satellite: str) -> dict[str, Any]:
    """The JSON form of a frame as the station exports and shows it."""
    d = frame.to_dict()
    d["satellite"] = satellite
    d["text"] = frame.text()
    return d


def frames_jsonl(frames: Iterable[Frame], satellite: str) -> str:
    return "".join(
        json.dumps(frame_record(f, satellite), ensure_ascii=False) + "\n" for f in frames
    )


def frames_csv(frames: Iterable[Frame], satellite: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for f in frames:
        when = f.time.isoformat().replace("+00:00", "Z") if f.time else ""
        crc = "" if f.crc_ok is None else str(bool(f.crc_ok)).lower()
        w.writerow(
            (
                when,
                satellite,
                f.protocol,
                f.sample_index,
                f"{f.freq_offset_hz:.1f}",
                f"{f.snr_db:.2f}",
                crc,
                f.payload.hex(),
                f.text(),
            )
        )
    return buf.getvalue()


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the hidden ``.NAME.*.tmp`` files a killed run left in ``folder`` (recursively)."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for p in folder.rglob(".*.tmp"):
        if p.is_file():
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed
