"""Decode many recordings in parallel on a Dask cluster, resumably.

    client process                         workers (one file per task)
    ---------------------------------      ----------------------------------
    expand paths, resolve settings   -->   hash the file(s) (streaming sha256)
    done = content hashes decoded          skip when the hash is in ``done``
           with these settings             else open_source + decode_source
    as_completed: one transaction     <--  FileResult: frames + statistics
    per file (frames + "done" record)

Only the client writes the SQLite frame log, so there is a single writer: no
lost or duplicated rows. A recording counts as done for a key made of the
content hash of its data, the canonical JSON of the decode settings and the
sdrlink version; a later run with the same key skips it unless ``force``, which
replaces its earlier rows. A failing recording is reported and does not stop
the others.

The ``recordings`` table (created beside FrameDB's tables in the same file)::

    recordings(key PRIMARY KEY, content_hash, settings_json, sdrlink_version,
               source, run_id -> runs.id, samples, frames, wall_s, decoded_utc)

Each decoded file also gets one ``runs`` row (status 'complete') whose id its
``frames`` rows carry.
"""

from __future__ import annotations

import datetime as _dt
import glob
import hashlib
import json
import os
import signal
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sdrlink import __version__
from sdrlink.errors import ConfigError, InputError, SdrlinkError
from sdrlink.frame import Frame
from sdrlink.progress import TerminalLine, bar
from sdrlink.sinks.sqlite import FrameDB

_HASH_BLOCK = 1 << 20
_GLOB_CHARS = frozenset("*?[")


# --------------------------------------------------------------------------- paths


def recording_id(path: str) -> str:
    """The name a recording is known by: a SigMF pair is named by its meta file."""
    if path.endswith(".sigmf-data"):
        meta = path[: -len(".sigmf-data")] + ".sigmf-meta"
        if os.path.exists(meta):
            return meta
    return path


def expand_patterns(patterns: Iterable[str], fmt: str | None = None) -> list[str]:
    """Expand glob patterns (``**`` recursive) into recordings, in sorted order.

    A folder stands for every recording below it. A SigMF pair matched through
    both of its files counts once. Files matched by
    a wildcard whose type is unknown (notes, ``.json`` sidecars) are left out; a
    literal path is always kept, so that a bad one is reported. A pattern that
    matches nothing raises InputError.
    """
    from sdrlink.sources.files import detect_format

    found: dict[str, str] = {}
    for pattern in patterns:
        if os.path.isdir(pattern):  # a folder: every recording below it
            pattern = os.path.join(glob.escape(pattern), "**", "*")
        if not any(c in _GLOB_CHARS for c in pattern):
            found.setdefault(os.path.abspath(recording_id(pattern)), recording_id(pattern))
            continue
        matches = [m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m)]
        kept = 0
        for match in matches:
            if fmt is None:
                try:
                    detect_format(match)
                except InputError:
                    continue
            name = recording_id(match)
            found.setdefault(os.path.abspath(name), name)
            kept += 1
        if not kept:
            raise InputError(f"no recording matches {pattern!r}")
    return sorted(found.values())


def recording_files(path: str, fmt: str | None = None) -> list[Path]:
    """The files whose content defines a recording (SigMF: meta and data)."""
    from sdrlink.sources.files import detect_format
    from sdrlink.sources.sigmf import meta_and_data_paths

    kind = fmt.lower() if fmt else detect_format(path)
    if kind != "sigmf" or path.lower().endswith(".sigmf"):
        return [Path(path)]
    meta, data = meta_and_data_paths(path)
    try:
        dataset = json.loads(meta.read_bytes())["global"].get("core:dataset")
        if isinstance(dataset, str) and dataset:
            data = meta.with_name(dataset)
    except Exception:  # unreadable metadata: open_source reports it properly
        pass
    return [meta, data]


def content_hash(path: str, fmt: str | None = None) -> str:
    """SHA-256 over the recording's file(s), read in 1 MiB blocks (constant memory).

    Only content counts, not file names: a recording moved or renamed is still
    the same recording. SigMF metadata counts by its canonical JSON without
    ``annotations``, so that annotating a recording does not change it.
    """
    digest = hashlib.sha256()
    buf = bytearray(_HASH_BLOCK)
    view = memoryview(buf)
    for file in recording_files(path, fmt):
        try:
            if file.name.endswith(".sigmf-meta"):
                meta = _meta_bytes(file.read_bytes())
                digest.update(b"meta %d\0" % len(meta) + meta)
                continue
            digest.update(b"data\0")
            with open(file, "rb", buffering=0) as f:
                while n := f.readinto(view):
                    digest.update(view[:n])
        except FileNotFoundError:
            raise InputError(f"{file}: file not found") from None
        except OSError as exc:
            raise InputError(f"{file}: cannot read ({exc.strerror})") from None
    return digest.hexdigest()


def _meta_bytes(raw: bytes) -> bytes:
    try:
        meta = json.loads(raw)
        meta.pop("annotations", None)
        return canonical_json(meta).encode()
    except Exception:  # not valid JSON: hash it as it is (decoding will report it)
        return raw


# ------------------------------------------------------------------------ settings


def _canon(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return _canon(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    return str(value)


def canonical_json(obj: Any) -> str:
    """Compact, key-sorted JSON in which 125e3 and 125000 read the same."""
    return json.dumps(_canon(obj), sort_keys=True, separators=(",", ":"))


def settings_key(content: str, settings_json: str, version: str = __version__) -> str:
    """The resumability key of one recording decoded with one set of settings."""
    text = f"{content}\n{settings_json}\n{version}"
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------------- workers


@dataclass
class FileResult:
    """What a worker sends back for one recording (picklable, no open handles)."""

    path: str
    content_hash: str | None = None
    skipped: bool = False
    frames: list[Frame] = field(default_factory=list)
    samples: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    error: str | None = None
    internal: bool = False  # the error is a bug, not bad input
    detail: str = ""  # traceback of an internal error


def decode_file(
    path: str,
    protocol: str,
    options: dict[str, Any],
    source_options: dict[str, Any],
    done: frozenset[str] = frozenset(),
    include_bad: bool = False,
    block_size: int = 1 << 18,
) -> FileResult:
    """Hash ``path``; unless its hash is in ``done``, decode it. Never raises.

    Runs on a worker. Frames are sorted by sample index, and frames failing
    their CRC are left out unless ``include_bad`` (as ``sdrlink.decode`` does).
    """
    from sdrlink.api import decode_source
    from sdrlink.sources import open_source

    result = FileResult(path)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        result.content_hash = content_hash(path, source_options.get("fmt"))
        if result.content_hash in done:
            result.skipped = True
            return result
        with open_source(path, **source_options) as source:
            stats = decode_source(source, protocol, options=options, block_size=block_size)
        frames = [f for f in stats.frame_list if include_bad or f.crc_ok is not False]
        frames.sort(key=lambda f: (f.sample_index, f.freq_offset_hz))
        result.frames = frames
        result.samples = stats.samples
    except SdrlinkError as exc:
        result.error = str(exc)
    except MemoryError:
        result.error = f"{path}: out of memory"
    except Exception as exc:
        result.error = f"{path}: internal error {exc!r}"
        result.internal = True
        result.detail = traceback.format_exc()
    finally:
        result.wall_s = time.perf_counter() - t0
        result.cpu_s = time.process_time() - c0
    return result


# ---------------------------------------------------------------------- frame log

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


# -------------------------------------------------------------------------- client


@dataclass
class FileOutcome:
    """How one recording fared: status is 'decoded', 'skipped' or 'failed'."""

    path: str
    status: str
    content_hash: str | None = None
    frames: int = 0
    samples: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    run_id: int | None = None
    error: str | None = None
    internal: bool = False
    note: str = ""


@dataclass
class BatchResult:
    """The outcome of :func:`decode_many`.

    ``files`` follows the order of the input paths. ``frames`` maps a path to
    the frames decoded in this run when they were kept (``keep_frames``; the
    default without a database).
    """

    files: list[FileOutcome]
    wall_s: float
    frames: dict[str, list[Frame]] = field(default_factory=dict)
    startup_s: float = 0.0  # starting a local cluster (not part of wall_s)
    db: str | None = None
    parquet: str | None = None

    def _with(self, status: str) -> list[FileOutcome]:
        return [f for f in self.files if f.status == status]

    @property
    def decoded(self) -> list[FileOutcome]:
        return self._with("decoded")

    @property
    def skipped(self) -> list[FileOutcome]:
        return self._with("skipped")

    @property
    def failures(self) -> list[FileOutcome]:
        return self._with("failed")

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def frame_count(self) -> int:
        """Frames written (or kept) in this run."""
        return sum(f.frames for f in self.decoded)

    @property
    def samples(self) -> int:
        return sum(f.samples for f in self.decoded)

    @property
    def cpu_s(self) -> float:
        """CPU seconds the workers spent on this run's files (hashing included)."""
        return sum(f.cpu_s for f in self.files)

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> str:
        """One line: files, skipped, frames, failures, throughput."""
        return (
            f"{len(self.files)} file(s): {len(self.decoded)} decoded, {len(self.skipped)} "
            f"skipped, {len(self.failures)} failed; {self.frame_count} frame(s); "
            f"{self.samples / 1e6:.1f} Msamples in {self.wall_s:.1f} s "
            f"({self.samples_per_s / 1e6:.2f} Msamples/s)"
            + (f", +{self.startup_s:.1f} s cluster start-up" if self.startup_s else "")
        )


def _distributed(*names: str) -> tuple[Any, ...]:
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "batch decoding needs dask.distributed: pip install 'sdrlink[batch]'"
        ) from None
    return tuple(getattr(distributed, n) for n in names)


def local_client(workers: int | None = None) -> Any:
    """A Client on a new LocalCluster: ``workers`` processes of one thread each."""
    import logging

    Client, LocalCluster = _distributed("Client", "LocalCluster")
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise ConfigError(f"need at least one worker, not {workers}")
    # Workers inherit an ignored SIGINT: Ctrl-C reaches the whole process group,
    # and only the client should react (commit what is done, close the cluster).
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
    try:
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never clash with a running cluster
            silence_logs=logging.ERROR,
        )
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    return Client(cluster)


def connect(address: str, timeout: float = 10.0) -> Any:
    """A Client on an existing dask.distributed scheduler (ConfigError if unreachable)."""
    (Client,) = _distributed("Client")
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({exc})") from None


def decode_many(
    paths: Iterable[str | os.PathLike[str]],
    protocol: str | None = None,
    *,
    sat: str | None = None,
    options: dict[str, Any] | None = None,
    db: str | os.PathLike[str] | None = None,
    client: Any = None,
    workers: int | None = None,
    force: bool = False,
    fmt: str | None = None,
    sample_rate: float | None = None,
    center_freq: float | None = None,
    include_bad: bool = False,
    block_size: int = 1 << 18,
    keep_frames: bool | None = None,
    parquet: str | os.PathLike[str] | None = None,
    progress: Callable[[FileOutcome, int, int], None] | None = None,
) -> BatchResult:
    """Decode ``paths`` in parallel on Dask; frames go to the frame log ``db``.

    ``client`` is a ``distributed.Client`` (None: a LocalCluster of ``workers``
    single-threaded processes, default one per core, closed afterwards).
    ``fmt``, ``sample_rate`` and ``center_freq`` are passed to ``open_source``
    (raw files need ``sample_rate``). Recordings already in ``db`` with the same
    settings are skipped unless ``force``. ``parquet`` also writes the frames of
    all recordings of this run (decoded or skipped) to a Parquet file.
    ``progress(outcome, done, total)`` is called as each file finishes.

    The local cluster's workers are new processes that import the calling
    script, so a script calling this must guard its entry with
    ``if __name__ == "__main__":``.
    """
    from sdrlink.api import resolve_protocol

    proto, opts, _ = resolve_protocol(protocol, sat, options)
    source_options = {
        k: v
        for k, v in {"fmt": fmt, "sample_rate": sample_rate, "center_freq": center_freq}.items()
        if v is not None
    }
    settings = {
        "protocol": proto.name,
        "options": opts,
        "source": source_options,
        "include_bad": include_bad,
    }
    settings_json = canonical_json(settings)
    if parquet is not None and not Path(parquet).resolve().parent.is_dir():
        raise InputError(f"{parquet}: the folder for the Parquet file does not exist")
    labels = _unique([os.fspath(p) for p in paths])
    if keep_frames is None:
        keep_frames = db is None
    log = BatchLog(db) if db is not None else None
    own_client = client is None
    startup = 0.0
    try:
        done = log.done_hashes(settings_json) if log is not None and not force else frozenset()
        if own_client and labels:
            t_start = time.perf_counter()
            client = local_client(min(workers or os.cpu_count() or 1, len(labels)))
            startup = time.perf_counter() - t_start
        t0 = time.perf_counter()
        outcomes, frames = _run(
            client,
            labels,
            proto.name,
            opts,
            source_options,
            done,
            log,
            settings_json,
            force=force,
            include_bad=include_bad,
            block_size=block_size,
            keep_frames=keep_frames,
            progress=progress,
        )
        result = BatchResult(
            files=[outcomes[label] for label in labels],
            wall_s=time.perf_counter() - t0,
            frames=frames,
            startup_s=startup,
            db=None if db is None else os.fspath(db),
        )
        if parquet is not None:
            write_parquet(parquet, result, log, settings_json)
            result.parquet = os.fspath(parquet)
    finally:
        if own_client and client is not None:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
        if log is not None:
            log.close()
    return result


def _unique(labels: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for label in labels:
        key = os.path.abspath(recording_id(label))
        if key not in seen:
            seen.add(key)
            out.append(recording_id(label))
    return out


def _run(
    client: Any,
    labels: list[str],
    protocol: str,
    options: dict[str, Any],
    source_options: dict[str, Any],
    done: frozenset[str],
    log: BatchLog | None,
    settings_json: str,
    *,
    force: bool,
    include_bad: bool,
    block_size: int,
    keep_frames: bool,
    progress: Callable[[FileOutcome, int, int], None] | None,
) -> tuple[dict[str, FileOutcome], dict[str, list[Frame]]]:
    """Submit one task per file and write results as they complete."""
    (as_completed,) = _distributed("as_completed")

    outcomes: dict[str, FileOutcome] = {}
    frames: dict[str, list[Frame]] = {}
    if not labels:
        return outcomes, frames
    done_arg: Any = client.scatter([done], broadcast=True)[0] if done else frozenset()
    submitted = client.map(
        decode_file,
        [os.path.abspath(label) for label in labels],
        protocol=protocol,
        options=options,
        source_options=source_options,
        done=done_arg,
        include_bad=include_bad,
        block_size=block_size,
        pure=False,
    )
    futures = dict(zip(submitted, labels, strict=True))
    del submitted  # each result is released as soon as it is written
    decoded_here: dict[str, str] = {}  # content hash -> label, for duplicate files
    try:
        for future in as_completed(list(futures)):
            label = futures.pop(future)
            try:
                res: FileResult = future.result()
            except Exception as exc:  # the worker died (crash, out of memory) or was lost
                res = FileResult(label, error=f"{label}: worker failed ({exc!r})", internal=True)
            future.release()
            outcome = _settle(label, res, protocol, settings_json, log, force, decoded_here)
            if outcome.status == "decoded" and keep_frames:
                frames[label] = res.frames
            outcomes[label] = outcome
            if progress is not None:
                progress(outcome, len(outcomes), len(labels))
    finally:
        if futures:
            client.cancel(list(futures))
    return outcomes, frames


def _settle(
    label: str,
    res: FileResult,
    protocol: str,
    settings_json: str,
    log: BatchLog | None,
    force: bool,
    decoded_here: dict[str, str],
) -> FileOutcome:
    """Turn a worker's result into an outcome, writing it to the log if decoded."""
    error = res.error
    if error:  # workers see absolute paths; show them as the user named them
        folder = os.path.dirname(label)
        error = error.replace(
            os.path.dirname(os.path.abspath(label)) + os.sep, folder + os.sep if folder else ""
        )
    out = FileOutcome(label, "failed", res.content_hash, error=error, internal=res.internal)
    if res.error is not None:
        return out
    out.wall_s, out.cpu_s = res.wall_s, res.cpu_s
    if res.skipped:
        out.status = "skipped"
        out.note = "already decoded with these settings"
        return out
    assert res.content_hash is not None
    if res.content_hash in decoded_here:
        out.status = "skipped"
        out.note = f"same content as {decoded_here[res.content_hash]}"
        return out
    decoded_here[res.content_hash] = label
    if log is not None:
        out.run_id = log.record(label, res, protocol, settings_json, force)
        if out.run_id is None:
            out.status = "skipped"
            out.note = "decoded meanwhile by another run"
            return out
    out.status = "decoded"
    out.frames = len(res.frames)
    out.samples = res.samples
    return out


# ------------------------------------------------------------------ export, progress


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


class FileProgress(TerminalLine):
    """A bar over files on stderr, drawn only on a terminal (or with ``force``)."""

    def __init__(self, stream: TextIO | None = None, force: bool = False, hz: float = 4.0):
        super().__init__(stream, force, hz)
        self.counts = {"decoded": 0, "skipped": 0, "failed": 0}
        self.samples = 0

    def __call__(self, outcome: FileOutcome, done: int, total: int) -> None:
        self.counts[outcome.status] += 1
        self.samples += outcome.samples
        if not self.due(final=done >= total):
            return
        elapsed = self.elapsed
        eta = (total - done) * elapsed / done
        c = self.counts
        self.draw(
            f"{bar(done / total)} {done}/{total} files, "
            f"{c['skipped']} skipped, {c['failed']} failed, "
            f"{self.samples / elapsed / 1e6:.2f} Msamples/s, ETA {eta:4.0f} s "
        )
