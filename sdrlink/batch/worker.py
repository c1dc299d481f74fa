"""The task a Dask worker runs for one recording: hash it, then decode it.

Workers import this module by reference (Dask pickles ``decode_file`` by its
qualified name), so it keeps its imports light and returns only picklable data.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sdrlink.batch.paths import content_hash
from sdrlink.errors import InputError, SdrlinkError
from sdrlink.frame import Frame

if TYPE_CHECKING:
    from sdrlink.doppler.stage import DopplerSpec


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
    protocol: str | None,
    options: dict[str, Any],
    source_options: dict[str, Any],
    done: frozenset[str] = frozenset(),
    include_bad: bool = False,
    block_size: int = 1 << 18,
    sat: str | None = None,
    doppler: DopplerSpec | None = None,
) -> FileResult:
    """Hash ``path``; unless its hash is in ``done``, decode it. Never raises.

    Runs on a worker. ``options`` are the user's protocol options and ``sat``
    the catalogue satellite (all its transmitter modes, as ``sdrlink decode``
    does); ``doppler`` a :class:`~sdrlink.doppler.stage.DopplerSpec` whose
    prediction is removed, or None. Frames are sorted by sample index, and
    frames failing their CRC are left out unless ``include_bad`` (as
    ``sdrlink.decode`` does).
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
            stages = []
            if doppler is not None:
                if source.info.start_time is None:
                    raise InputError(
                        f"{path}: no start time (SigMF core:datetime) to predict the Doppler from"
                    )
                stages.append(doppler.stage(source.info))
            stats = decode_source(
                source, protocol, sat=sat, options=options, stages=stages, block_size=block_size
            )
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
