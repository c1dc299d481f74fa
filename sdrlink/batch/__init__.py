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

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdrlink.batch.cluster import _distributed, connect, local_client
from sdrlink.batch.export import write_parquet
from sdrlink.batch.log import BatchLog
from sdrlink.batch.paths import (
    canonical_json,
    content_hash,
    expand_patterns,
    recording_files,
    recording_id,
    settings_key,
)
from sdrlink.batch.progress import FileProgress
from sdrlink.batch.results import BatchResult, FileOutcome
from sdrlink.batch.worker import FileResult, decode_file
from sdrlink.errors import InputError
from sdrlink.frame import Frame

if TYPE_CHECKING:
    from sdrlink.doppler.stage import DopplerSpec

__all__ = [
    "BatchLog",
    "BatchResult",
    "FileOutcome",
    "FileProgress",
    "FileResult",
    "canonical_json",
    "connect",
    "content_hash",
    "decode_file",
    "decode_many",
    "expand_patterns",
    "local_client",
    "recording_files",
    "recording_id",
    "settings_key",
    "write_parquet",
]


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
    doppler: DopplerSpec | None = None,
) -> BatchResult:
    """Decode ``paths`` in parallel on Dask; frames go to the frame log ``db``.

    ``client`` is a ``distributed.Client`` (None: a LocalCluster of ``workers``
    single-threaded processes, default one per core, closed afterwards).
    ``fmt``, ``sample_rate`` and ``center_freq`` are passed to ``open_source``
    (raw files need ``sample_rate``). Recordings already in ``db`` with the same
    settings are skipped unless ``force``. ``parquet`` also writes the frames of
    all recordings of this run (decoded or skipped) to a Parquet file.
    ``progress(outcome, done, total)`` is called as each file finishes.
    With ``sat``, every transmitter mode the catalogue lists is decoded (unless
    ``options`` are given), as ``sdrlink decode --sat`` does. ``doppler`` (a
    :class:`~sdrlink.doppler.stage.DopplerSpec`) removes the Doppler predicted
    for each recording's start time.

    The local cluster's workers are new processes that import the calling
    script, so a script calling this must guard its entry with
    ``if __name__ == "__main__":``.
    """
    from sdrlink.api import modes_label, plan_modes

    modes, satellite = plan_modes(protocol, sat, options)
    explicit = {k: v for k, v in (options or {}).items() if v is not None}
    source_options = {
        k: v
        for k, v in {"fmt": fmt, "sample_rate": sample_rate, "center_freq": center_freq}.items()
        if v is not None
    }
    settings = {
        "protocol": modes_label(modes),
        # normalised, so sf=7 and sf=[7] are one setting
        "options": modes[0].options,
        "source": source_options,
        "include_bad": include_bad,
    }
    if len(modes) > 1:  # a satellite's other transmitter modes
        settings["alt_options"] = [{"protocol": m.protocol.name, **m.options} for m in modes[1:]]
    if doppler is not None:
        settings["doppler"] = doppler.describe()
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
            protocol,
            modes_label(modes),
            explicit,
            source_options,
            done,
            log,
            settings_json,
            sat=None if satellite is None else satellite.name,
            doppler=doppler,
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
    protocol: str | None,
    kind: str,
    options: dict[str, Any],
    source_options: dict[str, Any],
    done: frozenset[str],
    log: BatchLog | None,
    settings_json: str,
    *,
    sat: str | None,
    doppler: DopplerSpec | None,
    force: bool,
    include_bad: bool,
    block_size: int,
    keep_frames: bool,
    progress: Callable[[FileOutcome, int, int], None] | None,
) -> tuple[dict[str, FileOutcome], dict[str, list[Frame]]]:
    """Submit one task per file and write results as they complete.

    ``protocol`` (None: from ``sat``) goes to the workers; ``kind`` names the
    protocol(s) in the frame log.
    """
    (as_completed,) = _distributed("as_completed")

    outcomes: dict[str, FileOutcome] = {}
    frames: dict[str, list[Frame]] = {}
    if not labels:
        return outcomes, frames
    # hash=False: a fresh key each run. A content key would be the same as the previous
    # run's when nothing changed, and that run's release of it can reach the scheduler
    # after this run's scatter, which loses the data under this run's tasks.
    done_arg: Any = client.scatter([done], broadcast=True, hash=False)[0] if done else frozenset()
    submitted = client.map(
        decode_file,
        [os.path.abspath(label) for label in labels],
        protocol=protocol,
        options=options,
        source_options=source_options,
        done=done_arg,
        include_bad=include_bad,
        block_size=block_size,
        sat=sat,
        doppler=doppler,
        pure=False,
    )
    futures = dict(zip(submitted, labels, strict=True))
    del submitted  # each result is released as soon as it is written
    decoded_here: dict[str, str] = {}  # content hash -> label, for duplicate files
    try:
        for future in as_completed(list(futures)):
            path = futures.pop(future)
            try:
                res: FileResult = future.result()
            except Exception as exc:  # the worker died (crash, out of memory) or was lost
                res = FileResult(path, error=f"{path}: worker failed ({exc!r})", internal=True)
            future.release()
            outcome = _settle(path, res, kind, settings_json, log, force, decoded_here)
            if outcome.status == "decoded" and keep_frames:
                frames[path] = res.frames
            outcomes[path] = outcome
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
