"""The SQLite frame log: a stable schema, written in transactions.

Schema (version 1)::

    meta(key TEXT PRIMARY KEY, value TEXT)            -- schema_version, created
    runs(id, started_utc, finished_utc, source, protocol, settings_json, status,
         samples, frames)
    frames(id, run_id, source, protocol, time_utc, sample_index, center_freq_hz,
           freq_offset_hz, snr_db, crc_ok, payload BLOB, payload_hex, fields_json)

Frames are committed in small transactions (every ``commit_every`` frames and at
close), and SQLite's journal keeps the file valid if the program is killed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable
from typing import Any

from sdrlink.errors import InputError
from sdrlink.frame import Frame
from sdrlink.pipeline import Sink

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_utc TEXT NOT NULL,
    finished_utc TEXT,
    source TEXT,
    protocol TEXT,
    settings_json TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    samples INTEGER,
    frames INTEGER
);
CREATE TABLE IF NOT EXISTS frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id),
    source TEXT,
    protocol TEXT NOT NULL,
    time_utc TEXT,
    sample_index INTEGER NOT NULL,
    center_freq_hz REAL,
    freq_offset_hz REAL,
    snr_db REAL,
    crc_ok INTEGER,
    payload BLOB NOT NULL,
    payload_hex TEXT NOT NULL,
    fields_json TEXT
);
CREATE INDEX IF NOT EXISTS frames_time ON frames(time_utc);
CREATE INDEX IF NOT EXISTS frames_source ON frames(source);
"""


FRAME_COLUMNS = (
    "run_id, source, protocol, time_utc, sample_index, center_freq_hz, freq_offset_hz, "
    "snr_db, crc_ok, payload, payload_hex, fields_json"
)
INSERT_FRAME = f"INSERT INTO frames ({FRAME_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")


class FrameDB:
    """Connection to a frame log; creates or checks the schema."""

    def __init__(self, path: str | os.PathLike) -> None:
        from sdrlink.sinks.output import check_output

        self.path = str(check_output(path, "frame log"))
        try:
            self.con = sqlite3.connect(self.path, timeout=30)
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.executescript(_SCHEMA)
            row = self.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: not a usable SQLite frame log ({exc})") from None
        if row is None:
            with self.con:
                self.con.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?), ('created', ?)",
                    (str(SCHEMA_VERSION), _now()),
                )
        elif int(row[0]) != SCHEMA_VERSION:
            raise InputError(
                f"{self.path}: frame log schema version {row[0]}, this sdrlink writes "
                f"{SCHEMA_VERSION}"
            )

    def start_run(self, source: str, protocol: str, settings: dict[str, Any]) -> int:
        with self.con:
            cur = self.con.execute(
                "INSERT INTO runs (started_utc, source, protocol, settings_json) VALUES (?,?,?,?)",
                (_now(), source, protocol, json.dumps(settings, sort_keys=True, default=str)),
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, samples: int, frames: int) -> None:
        with self.con:
            self.con.execute(
                "UPDATE runs SET finished_utc=?, status=?, samples=?, frames=? WHERE id=?",
                (_now(), status, samples, frames, run_id),
            )

    @staticmethod
    def frame_rows(run_id: int | None, source: str, frames: Iterable[Frame]) -> list[tuple]:
        """The ``frames`` table rows for ``frames``, in :data:`FRAME_COLUMNS` order."""
        return [
            (
                run_id,
                source,
                f.protocol,
                f.time.isoformat().replace("+00:00", "Z") if f.time else None,
                int(f.sample_index),
                f.center_freq_hz,
                float(f.freq_offset_hz),
                float(f.snr_db),
                None if f.crc_ok is None else int(f.crc_ok),
                bytes(f.payload),
                f.payload.hex(),
                json.dumps(f.to_dict()["fields"], sort_keys=True),
            )
            for f in frames
        ]

    def insert_frames(
        self, run_id: int | None, source: str, frames: Iterable[Frame], *, commit: bool = True
    ) -> int:
        """Insert frames (committed at once unless ``commit=False``); returns how many."""
        rows = self.frame_rows(run_id, source, frames)
        self.con.executemany(INSERT_FRAME, rows)
        if commit:
            self.con.commit()
        return len(rows)

    def close(self) -> None:
        self.con.close()


class SqliteSink(Sink):
    """Writes frames to a :class:`FrameDB`, recording the run and its outcome."""

    def __init__(
        self,
        path: str | os.PathLike,
        source: str,
        protocol: str,
        settings: dict[str, Any] | None = None,
        include_bad: bool = False,
        commit_every: int = 16,
    ) -> None:
        self.db = FrameDB(path)
        self.source = source
        self.include_bad = include_bad
        self.commit_every = commit_every
        self.run_id = self.db.start_run(source, protocol, settings or {})
        self._pending: list[Frame] = []
        self.count = 0
        self.status = "complete"
        self.samples = 0

    def write(self, frame: Frame) -> None:
        if frame.crc_ok is False and not self.include_bad:
            return
        self._pending.append(frame)
        if len(self._pending) >= self.commit_every:
            self._commit()

    def finish(self, stats) -> None:
        self.samples = stats.samples
        self.status = "interrupted" if stats.interrupted else "complete"

    def _commit(self) -> None:
        self.count += self.db.insert_frames(self.run_id, self.source, self._pending)
        self._pending.clear()

    def close(self) -> None:
        self._commit()
        self.db.finish_run(self.run_id, self.status, self.samples, self.count)
        self.db.close()
