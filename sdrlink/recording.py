"""A recording as a notebook-friendly object: metadata plus lazy sample access.

>>> rec = sdrlink.open("pass.sigmf-meta")
>>> rec                                  # rate, centre frequency, start, duration
>>> x = rec.at(1.5, 0.2)                 # 200 ms from t = 1.5 s, read from disk on demand
>>> frames = sdrlink.decode(rec, protocol="lora", sf=10)

Samples are read from the file only when asked for, by seeking to the wanted
range, so a multi-gigabyte pass can be opened and browsed in constant memory.
``open_source()`` gives a fresh streaming :class:`~sdrlink.sources.base.Source`
over the whole recording for the decoders.
"""

from __future__ import annotations

import copy
import datetime as _dt
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.errors import ConfigError, InputError
from sdrlink.sources.array import ArraySource
from sdrlink.sources.base import DEFAULT_BLOCK, Source
from sdrlink.sources.raw import RawSource


class Recording:
    """Metadata and random access to the samples of one recording.

    Build one with :func:`open_recording` (a file) or :meth:`from_array`
    (samples already in memory). Indexing is by sample: ``rec[1000:5000]``;
    ``rec.at(t0_s, dur_s)`` selects by time in seconds from the start.
    """

    def __init__(
        self, source: Source, path: str | None = None, open_kwargs: dict[str, Any] | None = None
    ) -> None:
        if source.info.num_samples is None:
            raise InputError("a Recording needs a source of known length (a file or an array)")
        self._source = source
        self.path = path
        self.info: StreamInfo = source.info
        self._kwargs = dict(open_kwargs or {})

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_array(
        cls,
        samples: np.ndarray,
        sample_rate: float,
        center_freq: float | None = None,
        start_time: _dt.datetime | None = None,
    ) -> Recording:
        """A Recording over samples in memory (complex IQ or real audio)."""
        return cls(ArraySource(samples, sample_rate, center_freq, start_time))

    # ----------------------------------------------------------------- metadata
    @property
    def sample_rate(self) -> float:
        """Samples per second."""
        return float(self.info.sample_rate)

    @property
    def center_freq(self) -> float | None:
        """Tuned centre frequency in Hz (None when the file does not say)."""
        return self.info.center_freq

    @property
    def start_time(self) -> _dt.datetime | None:
        """UTC time of the first sample (None when unknown)."""
        return self.info.start_time

    @property
    def num_samples(self) -> int:
        """Number of samples in the recording."""
        assert self.info.num_samples is not None
        return int(self.info.num_samples)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_samples / self.sample_rate

    @property
    def is_complex(self) -> bool:
        """True for IQ samples, False for real ones (e.g. FM-discriminator audio)."""
        return bool(self.info.is_complex)

    @property
    def datatype(self) -> str:
        """On-disk sample format (SigMF name such as ``cf32_le``), or the array's dtype."""
        dt = self.info.extra.get("datatype")
        if dt:
            return str(dt)
        return "complex64" if self.is_complex else "float32"

    @property
    def format(self) -> str:
        """File format (sigmf, wav, cu8 ...) or ``array``."""
        return str(self.info.extra.get("format", "array" if self.path is None else "raw"))

    @property
    def metadata(self) -> dict[str, Any]:
        """The SigMF metadata dict (empty for formats without one)."""
        meta = self.info.extra.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def annotations(self) -> list[dict[str, Any]]:
        """The SigMF annotations, sorted by start sample (empty when there are none)."""
        anns = [a for a in self.metadata.get("annotations", []) if isinstance(a, dict)]
        return sorted(anns, key=lambda a: int(a.get("core:sample_start", 0)))

    @property
    def description(self) -> str:
        return self.info.description

    def time_of(self, index: int) -> _dt.datetime | None:
        """UTC time of sample ``index`` (None without a start time)."""
        return self.info.time_of(index)

    def index_of(self, t: float | _dt.datetime) -> int:
        """Sample index of a time: seconds from the start, or an absolute datetime."""
        if isinstance(t, _dt.datetime):
            if self.start_time is None:
                raise ConfigError("this recording has no start time; give seconds instead")
            if t.tzinfo is None:
                t = t.replace(tzinfo=_dt.timezone.utc)
            seconds = (t - self.start_time).total_seconds()
        else:
            seconds = float(t)
        return int(round(seconds * self.sample_rate))

    # ----------------------------------------------------------------- samples
    def __len__(self) -> int:
        return self.num_samples

    def samples(self, start: int = 0, count: int | None = None) -> np.ndarray:
        """``count`` samples from index ``start`` (to the end when None), read on demand.

        Returns complex64 for IQ and float32 for real recordings. Ranges that
        run past the end are cut short; a start outside the recording raises
        ConfigError.
        """
        start = int(start)
        n = self.num_samples
        if start < 0 or start > n:
            raise ConfigError(f"start sample {start} is outside the recording (0..{n})")
        if count is None:
            count = n - start
        if count < 0:
            raise ConfigError(f"sample count must be >= 0, not {count}")
        count = min(int(count), n - start)
        if count == 0:
            return np.zeros(0, np.complex64 if self.is_complex else np.float32)
        return self._read(start, count)

    def at(self, t0_s: float | _dt.datetime, dur_s: float) -> np.ndarray:
        """The samples of ``dur_s`` seconds from ``t0_s`` (seconds from the start or a datetime)."""
        if dur_s < 0:
            raise ConfigError(f"duration must be >= 0, not {dur_s}")
        start = self.index_of(t0_s)
        return self.samples(max(start, 0), int(round(dur_s * self.sample_rate)))

    def __getitem__(self, key: int | slice) -> Any:
        n = self.num_samples
        if isinstance(key, slice):
            idx = range(*key.indices(n))
            if len(idx) == 0:
                return self.samples(0, 0)
            lo, hi = min(idx[0], idx[-1]), max(idx[0], idx[-1]) + 1
            data = self.samples(lo, hi - lo)
            return data if idx.step == 1 else data[idx[0] - lo :: idx.step][: len(idx)]
        if isinstance(key, (int, np.integer)):
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"sample {key} is outside the recording (length {n})")
            return self._read(i, 1)[0]
        raise TypeError(f"index a Recording with an int or a slice, not {type(key).__name__}")

    def blocks(
        self, block_size: int = DEFAULT_BLOCK, start: int = 0, stop: int | None = None
    ) -> Iterator[SampleBlock]:
        """Consecutive blocks over ``[start, stop)`` (absolute indices), in constant memory."""
        stop = self.num_samples if stop is None else min(int(stop), self.num_samples)
        pos = max(int(start), 0)
        while pos < stop:
            n = min(int(block_size), stop - pos)
            yield SampleBlock(self._read(pos, n), pos)
            pos += n

    def _read(self, start: int, count: int) -> np.ndarray:
        src = self._source
        if isinstance(src, ArraySource):
            return src.samples[start : start + count]
        if isinstance(src, RawSource):
            return _read_raw(src, start, count)
        # any other finite source: stream up to the wanted range (slow but correct)
        parts: list[np.ndarray] = []
        need = count
        with self.open_source() as fresh:
            for block in fresh.blocks(max(count, DEFAULT_BLOCK)):
                if block.stop <= start:
                    continue
                a = max(start - block.start, 0)
                part = block.samples[a : a + need]
                parts.append(part)
                need -= len(part)
                if need <= 0:
                    break
        return np.concatenate(parts)

    # ----------------------------------------------------------------- decoding
    def open_source(self) -> Source:
        """A fresh streaming source over the whole recording (for the decoders)."""
        src = self._source
        if isinstance(src, ArraySource):
            return ArraySource(src.samples, self.sample_rate, self.center_freq, self.start_time)
        if isinstance(src, RawSource):
            # file sources open the file anew in blocks(): a copy with its own info suffices
            fresh = copy.copy(src)
            fresh.info = copy.deepcopy(self.info)
            return fresh
        if self.path is None:
            raise InputError("this recording cannot be reopened")
        return _open_path(self.path, self._kwargs)

    def decode(self, protocol: str | None = None, **options: Any) -> list[Any]:
        """Decode this recording; same arguments as :func:`sdrlink.api.decode`."""
        from sdrlink.api import decode

        return decode(self, protocol, **options)

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        where = os.path.basename(self.path) if self.path else "in-memory"
        kind = "complex" if self.is_complex else "real"
        parts = [f"{self.format} {self.datatype} {kind}", f"{_si(self.sample_rate)}S/s"]
        if self.center_freq is not None:
            parts.append(f"centre {_si(self.center_freq)}Hz")
        if self.start_time is not None:
            parts.append(f"start {self.start_time.isoformat().replace('+00:00', 'Z')}")
        parts.append(f"{self.duration:.3f} s ({self.num_samples} samples)")
        if self.annotations:
            parts.append(f"{len(self.annotations)} annotations")
        return f"Recording({where!r}: {', '.join(parts)})"


def _read_raw(src: RawSource, start: int, count: int) -> np.ndarray:
    """Read ``count`` samples from ``start`` of a file-backed RawSource by seeking."""
    dtype = src.datatype
    ss = dtype.sample_size
    buf = bytearray(count * ss)
    try:
        with open(src.path, "rb", buffering=0) as f:
            f.seek(src.offset + start * ss)
            view = memoryview(buf)
            got = 0
            while got < len(buf):
                n = f.readinto(view[got:])
                if not n:
                    break
                got += n
    except OSError as exc:
        raise InputError(f"{src.label}: cannot read ({exc.strerror})") from None
    if got != len(buf):
        raise InputError(f"{src.label}: file ended early at sample {start + got // ss}")
    comp = dtype.convert(buf)
    if not comp.flags.writeable:
        comp = comp.copy()
    return comp.view(np.complex64) if dtype.is_complex else comp


def _open_path(path: str, kwargs: dict[str, Any]) -> Source:
    from sdrlink.sources import open_source

    return open_source(path, **kwargs)


def _si(value: float) -> str:
    """``250000`` -> ``"250 k"``, ``868.1e6`` -> ``"868.1 M"``."""
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.6g} {prefix}"
    return f"{value:.6g} "


def open_recording(path: str | os.PathLike[str], **kwargs: Any) -> Recording:
    """Open a recording file (SigMF, raw IQ, WAV) as a :class:`Recording`.

    Keyword arguments are those of :func:`sdrlink.sources.files.open_file`:
    ``fmt``, ``sample_rate``, ``center_freq``, ``start_time`` (they override the
    file's metadata; raw dumps need ``sample_rate``). Raises InputError or
    ConfigError with a one-line message for unreadable files and bad options.
    """
    path = os.fspath(path)
    src = _open_path(path, kwargs)
    if src.info.num_samples is None:
        raise InputError(f"{path}: not a finite recording")
    return Recording(src, path, kwargs)


__all__ = ["Recording", "open_recording"]
