"""Open any supported recording by name: SigMF, raw IQ dumps and WAV.

The format comes from ``fmt`` or the file extension. Values given by the caller
(usually command-line options) override what the file says; raw dumps carry no
metadata, so for them a sample rate must be given.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from sdrlink.blocks import StreamInfo
from sdrlink.errors import ConfigError, InputError
from sdrlink.sources.formats import _EXTENSIONS, FORMATS, RAW_FORMATS
from sdrlink.sources.raw import DATATYPES, RawSource
from sdrlink.sources.sigmf import open_sigmf, open_sigmf_archive
from sdrlink.sources.wav import open_wav
from sdrlink.units import parse_si


def detect_format(path: str) -> str:
    """The format name for ``path`` from its extension (InputError when unknown)."""
    lower = path.lower()
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if lower.endswith(ext):
            return _EXTENSIONS[ext]
    if os.path.exists(path + ".sigmf-meta"):
        return "sigmf"
    raise InputError(
        f"{path}: unknown file type; name the format with --format ({', '.join(FORMATS)})"
    )


def open_file(
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    sample_rate: float | str | None = None,
    center_freq: float | str | None = None,
    start_time: _dt.datetime | str | None = None,
) -> RawSource:
    """Open a recording and return a :class:`~sdrlink.sources.base.Source`.

    ``fmt`` is one of ``FORMATS`` (default: from the extension). ``sample_rate``,
    ``center_freq`` (numbers or SI strings) and ``start_time`` (datetime or ISO
    8601 text; naive means UTC) override the file's metadata. Raises InputError
    for unreadable or inconsistent files, ConfigError for bad options.
    """
    path = os.fspath(path)
    rate = _positive(sample_rate, "sample rate") if sample_rate is not None else None
    freq = parse_si(center_freq) if center_freq is not None else None
    when = _utc(start_time) if start_time is not None else None

    check_input(path)
    kind = fmt.lower() if fmt else detect_format(path)
    if kind == "sigmf":
        if path.lower().endswith(".sigmf"):
            src = open_sigmf_archive(path, rate)
        else:
            src = open_sigmf(path, rate)
    elif kind == "sigmf-archive":
        src = open_sigmf_archive(path, rate)
    elif kind == "wav":
        src = open_wav(path)
    elif kind in RAW_FORMATS:
        if rate is None:
            raise ConfigError(
                f"{path}: a raw {kind} file has no metadata; give the sample rate (--rate)"
            )
        if not os.path.exists(path):
            raise InputError(f"{path}: file not found")
        info = StreamInfo(sample_rate=rate, extra={"format": kind, "datatype": RAW_FORMATS[kind]})
        src = RawSource(path, DATATYPES[RAW_FORMATS[kind]], info)
    else:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")

    if rate is not None:
        src.info.sample_rate = rate
    if freq is not None:
        src.info.center_freq = freq
    if when is not None:
        src.info.start_time = when
    return src


def check_input(path: str) -> None:
    """Say what is wrong with a recording's path: missing (and why), a folder, unreadable.

    A SigMF base name without extension is fine when its metadata file exists.
    """
    p = Path(path)
    if not p.exists():
        if os.path.exists(path + ".sigmf-meta"):
            return
        parent = p.parent
        while str(parent) not in ("", ".", "/") and not parent.exists():
            parent = parent.parent
        if parent.exists() and not parent.is_dir():
            raise InputError(f"{path}: {parent} is a file, not a folder")
        raise InputError(f"{path}: file not found")
    if p.is_dir():
        raise InputError(f"{path}: is a folder, not a recording")
    if not os.access(p, os.R_OK):
        raise InputError(f"{path}: permission denied (cannot read the recording)")


def _positive(value: float | str, what: str) -> float:
    v = parse_si(value)
    if not v > 0:
        raise ConfigError(f"{what} must be positive, not {value!r}")
    return v


def _utc(value: _dt.datetime | str) -> _dt.datetime:
    if isinstance(value, str):
        from sdrlink.sources.sigmf import parse_datetime

        try:
            return parse_datetime(value)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc)
