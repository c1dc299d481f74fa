"""The client's frame log: FrameDB plus the ``recordings`` table of done files.

Only the client writes it, one transaction per file (its frames, its ``runs``
row and its ``recordings`` row together), so there is a single writer.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
from collections.abc import Sequence
from typing import Any

from sdrlink import __version__
from sdrlink.batch.paths import settings_key
from sdrlink.batch.worker import FileResult
from sdrlink.errors import InputError
from sdrlink.sinks.sqlite import FrameDB

_BATCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS recordings (
    key TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    sdrlink_version TEXT NOT NULL,
    source TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    samples INTEGER,
    frames INTEGER,
    wall_s REAL,
    decoded_utc TEXT
);
CREATE INDEX IF NOT EXISTS recordings_settings ON recordings(settings_json, sdrlink_version);
"""


def _iso(t: _dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class BatchLog:
    """The frame log plus the ``recordings`` table; used by the client only."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.db = FrameDB(path)
        self.con = self.db.con
        try:
            self.con.executescript(_BATCH_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise InputError(f"{path}: cannot add the batch tables ({exc})") from None

    def done_hashes(self, settings_json: str, version: str = __version__) -> frozenset[str]:
        """Content hashes already decoded with these settings and this version."""
        rows = self.con.execute(
            "SELECT content_hash FROM recordings WHERE settings_json=? AND sdrlink_version=?",
            (settings_json, version),
        )
        return frozenset(r[0] for r in rows)

    def record(
        self,
        label: str,
        result: FileResult,
        protocol: str,
        settings_json: str,
        force: bool,
    ) -> int | None:
        """Write a file's frames and its done record in one transaction.

        Returns the new run id, or None when the key was recorded meanwhile
        (by a concurrent run) and ``force`` is off.
        """
        try:
            return self._record(label, result, protocol, settings_json, force)
        except sqlite3.Error as exc:
            raise InputError(f"{self.db.path}: cannot write the frame log ({exc})") from None

    def _record(
        self, label: str, result: FileResult, protocol: str, settings_json: str, force: bool
    ) -> int | None:
        assert result.content_hash is not None
        key = settings_key(result.content_hash, settings_json)
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            old = con.execute("SELECT run_id FROM recordings WHERE key=?", (key,)).fetchone()
            if old is not None and not force:
                con.rollback()
                return None
            if old is not None:
                con.execute("DELETE FROM frames WHERE run_id=?", (old[0],))
                con.execute("DELETE FROM runs WHERE id=?", (old[0],))
            now = _dt.datetime.now(_dt.timezone.utc)
            started = now - _dt.timedelta(seconds=result.wall_s)  # as timed on the worker
            cur = con.execute(
                "INSERT INTO runs (started_utc, finished_utc, source, protocol, settings_json, "
                "status, samples, frames) VALUES (?,?,?,?,?,'complete',?,?)",
                (
                    _iso(started),
                    _iso(now),
                    label,
                    protocol,
                    settings_json,
                    result.samples,
                    len(result.frames),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            self.db.insert_frames(run_id, label, result.frames, commit=False)
            con.execute(
                "INSERT OR REPLACE INTO recordings VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    key,
                    result.content_hash,
                    settings_json,
                    __version__,
                    label,
                    run_id,
                    result.samples,
                    len(result.frames),
                    result.wall_s,
                    _iso(now),
                ),
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return run_id

    def run_of(self, content: str, settings_json: str) -> int | None:
        row = self.con.execute(
            "SELECT run_id FROM recordings WHERE key=?", (settings_key(content, settings_json),)
        ).fetchone()
        return None if row is None else int(row[0])

    def frames_table(self, run_ids: Sequence[int]) -> Any:
        """The frames rows of the given runs as a pandas DataFrame."""
        import pandas as pd

        self.con.execute("CREATE TEMP TABLE IF NOT EXISTS export_runs (id INTEGER PRIMARY KEY)")
        with self.con:
            self.con.execute("DELETE FROM export_runs")
            self.con.executemany(
                "INSERT OR IGNORE INTO export_runs VALUES (?)", [(i,) for i in run_ids]
            )
        query = (
            "SELECT f.source, f.protocol, f.time_utc, f.sample_index, f.center_freq_hz, "
            "f.freq_offset_hz, f.snr_db, f.crc_ok, f.payload, f.payload_hex, f.fields_json, "
            "r.content_hash FROM frames f JOIN export_runs e ON f.run_id = e.id "
            "JOIN recordings r ON r.run_id = f.run_id ORDER BY f.source, f.sample_index, f.id"
        )
        return pd.read_sql_query(query, self.con)

    def close(self) -> None:
        self.db.close()
