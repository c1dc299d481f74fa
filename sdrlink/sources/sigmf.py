"""SigMF recordings: a ``.sigmf-meta``/``.sigmf-data`` pair or a ``.sigmf`` archive.

The metadata is checked against the data before any sample is read, so an
inconsistent recording fails at once with a message naming the file and the
field at fault. Archives (uncompressed tar) are read in place at the data
member's offset; nothing is extracted.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from pathlib import Path
from typing import Any

from sdrlink.blocks import StreamInfo
from sdrlink.errors import InputError
from sdrlink.sources.raw import Datatype, RawSource, sigmf_datatype

META_EXT = ".sigmf-meta"
DATA_EXT = ".sigmf-data"
ARCHIVE_EXT = ".sigmf"

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)


def parse_datetime(text: str) -> _dt.datetime:
    """An ISO 8601 / RFC 3339 time as an aware UTC datetime.

    Any number of fractional digits is accepted (SigMF allows nanoseconds);
    digits beyond microseconds are dropped. A missing offset means UTC.
    Raises ValueError on other text.
    """
    m = _ISO.match(str(text).strip())
    if not m:
        raise ValueError(f"not an ISO 8601 time: {text!r}")
    y, mo, d, h, mi, s, frac, _z, sign, oh, om = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = _dt.timezone.utc
    if sign:
        delta = _dt.timedelta(hours=int(oh), minutes=int(om))
        tz = _dt.timezone(delta if sign == "+" else -delta)
    t = _dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=tz)
    return t.astimezone(_dt.timezone.utc)


def meta_and_data_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Both files of a SigMF pair from the base name or either file's name."""
    p = Path(path)
    name = p.name
    for ext in (META_EXT, DATA_EXT):
        if name.endswith(ext):
            base = p.with_name(name[: -len(ext)])
            break
    else:
        base = p
    return base.with_name(base.name + META_EXT), base.with_name(base.name + DATA_EXT)


def load_meta(text: bytes | str, where: str) -> dict[str, Any]:
    """Parse metadata JSON and check its overall shape."""
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: invalid JSON in SigMF metadata ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("global"), dict):
        raise InputError(f"{where}: SigMF metadata has no 'global' object")
    for key in ("captures", "annotations"):
        if not isinstance(meta.get(key, []), list):
            raise InputError(f"{where}: SigMF '{key}' must be a list")
    return meta


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: {key} must be a number, not {value!r}")
    return float(value)


def _index(obj: dict[str, Any], key: str, where: str, what: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{where}: {what} {key} must be a non-negative integer, not {value!r}")
    return value


def check_consistency(meta: dict[str, Any], num_samples: int, where: str) -> None:
    """Captures and annotations must lie inside the data's ``num_samples``."""
    declared = _index(meta["global"], "core:sample_count", where, "global")
    if declared is not None and declared != num_samples:
        raise InputError(
            f"{where}: metadata declares core:sample_count {declared} but the data holds "
            f"{num_samples} samples"
        )
    for i, cap in enumerate(meta.get("captures", [])):
        what = f"capture {i}"
        if not isinstance(cap, dict):
            raise InputError(f"{where}: {what} is not an object")
        start = _index(cap, "core:sample_start", where, what) or 0
        if start >= num_samples:
            raise InputError(
                f"{where}: {what} starts at sample {start}, beyond the {num_samples} "
                "samples in the data"
            )
        if i > 0 and cap.get("core:header_bytes"):
            raise InputError(f"{where}: {what}: core:header_bytes after the first is unsupported")
    for i, ann in enumerate(meta.get("annotations", [])):
        what = f"annotation {i}"
        if not isinstance(ann, dict):
            raise InputError(f"{where}: {what} is not an object")
        start = _index(ann, "core:sample_start", where, what) or 0
        count = _index(ann, "core:sample_count", where, what) or 0
        if start + count > num_samples:
            raise InputError(
                f"{where}: {what} covers samples {start}..{start + count} beyond the "
                f"{num_samples} samples in the data"
            )


def info_from_meta(
    meta: dict[str, Any], where: str, sample_rate: float | None = None
) -> tuple[Datatype, StreamInfo, int]:
    """Datatype, stream info and header bytes (first capture) from metadata.

    ``sample_rate`` overrides (or, where the metadata lacks it, supplies) the rate.
    """
    g = meta["global"]
    if "core:datatype" not in g:
        raise InputError(f"{where}: SigMF metadata lacks core:datatype")
    dtype = sigmf_datatype(g["core:datatype"], where)
    channels = g.get("core:num_channels", 1)
    if channels != 1:
        raise InputError(f"{where}: core:num_channels {channels!r} is unsupported (only 1)")
    rate = g.get("core:sample_rate") if sample_rate is None else sample_rate
    if rate is None:
        raise InputError(f"{where}: SigMF metadata lacks core:sample_rate (give --rate)")
    rate = _number(rate, "core:sample_rate", where)
    if not rate > 0:
        raise InputError(f"{where}: core:sample_rate must be positive, not {rate}")
    captures = meta.get("captures") or [{}]
    first = captures[0] if isinstance(captures[0], dict) else {}
    freq = first.get("core:frequency")
    freq = None if freq is None else _number(freq, "core:frequency", where)
    start_time = None
    if first.get("core:datetime") is not None:
        try:
            start_time = parse_datetime(first["core:datetime"])
        except ValueError as exc:
            raise InputError(f"{where}: bad core:datetime: {exc}") from None
    header = _index(first, "core:header_bytes", where, "capture 0") or 0
    info = StreamInfo(
        sample_rate=rate,
        center_freq=freq,
        start_time=start_time,
        is_complex=dtype.is_complex,
        description=str(g.get("core:description", "")),
        extra={"format": "sigmf", "datatype": dtype.name, "metadata": meta},
    )
    return dtype, info, header


def _build(
    data_path: str,
    meta: dict[str, Any],
    where: str,
    *,
    data_offset: int,
    data_size: int,
    label: str,
    sample_rate: float | None = None,
) -> RawSource:
    dtype, info, header = info_from_meta(meta, where, sample_rate)
    trailing = _index(meta["global"], "core:trailing_bytes", where, "global") or 0
    nbytes = data_size - header - trailing
    if nbytes <= 0:
        raise InputError(f"{label}: no samples (empty data)")
    if nbytes % dtype.sample_size:
        raise InputError(
            f"{label}: data length {nbytes} bytes is not a multiple of the "
            f"{dtype.sample_size}-byte {dtype.name} sample size (truncated or wrong datatype?)"
        )
    check_consistency(meta, nbytes // dtype.sample_size, where)
    return RawSource(
        data_path, dtype, info, offset=data_offset + header, nbytes=nbytes, label=label
    )


def open_sigmf(path: str | os.PathLike[str], sample_rate: float | None = None) -> RawSource:
    """Open a SigMF pair given the base name, the meta file or the data file.

    ``sample_rate`` overrides the metadata's (and stands in where it is missing)."""
    meta_path, data_path = meta_and_data_paths(path)
    where = str(meta_path)
    try:
        text = meta_path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{meta_path}: SigMF metadata file not found") from None
    except OSError as exc:
        raise InputError(f"{meta_path}: cannot read SigMF metadata ({exc.strerror})") from None
    meta = load_meta(text, where)
    dataset = meta["global"].get("core:dataset")
    if isinstance(dataset, str) and dataset:
        data_path = meta_path.with_name(dataset)  # non-conforming dataset
    if not data_path.exists():
        raise InputError(f"{data_path}: SigMF data file not found (metadata {meta_path.name})")
    try:
        size = data_path.stat().st_size
    except OSError as exc:
        raise InputError(f"{data_path}: cannot read ({exc.strerror})") from None
    source = _build(
        str(data_path),
        meta,
        where,
        data_offset=0,
        data_size=size,
        label=str(data_path),
        sample_rate=sample_rate,
    )
    source.meta_path = meta_path  # where --annotate writes
    return source


def open_sigmf_archive(path: str | os.PathLike[str], sample_rate: float | None = None) -> RawSource:
    """Open the single recording in an uncompressed ``.sigmf`` tar archive, in place."""
    import tarfile  # only archives need it (a plain recording's decode starts faster)

    label = os.fspath(path)
    try:
        with tarfile.open(label, mode="r:") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            metas = [n for n in members if n.endswith(META_EXT)]
            if not metas:
                raise InputError(f"{label}: SigMF archive holds no {META_EXT} file")
            if len(metas) > 1:
                raise InputError(
                    f"{label}: SigMF archive holds {len(metas)} recordings; "
                    "only single-recording archives are supported"
                )
            meta_name = metas[0]
            fobj = tar.extractfile(members[meta_name])
            assert fobj is not None
            meta = load_meta(fobj.read(), f"{label}:{meta_name}")
            data_name = meta_name[: -len(META_EXT)] + DATA_EXT
            data = members.get(data_name)
            if data is None:
                raise InputError(f"{label}: SigMF archive lacks {data_name}")
            offset, size = data.offset_data, data.size
    except tarfile.ReadError as exc:
        raise InputError(f"{label}: not an uncompressed SigMF tar archive ({exc})") from None
    except FileNotFoundError:
        raise InputError(f"{label}: file not found") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror})") from None
    return _build(
        label,
        meta,
        f"{label}:{meta_name}",
        data_offset=offset,
        data_size=size,
        label=f"{label}:{data_name}",
        sample_rate=sample_rate,
    )
