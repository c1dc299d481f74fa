"""Write SigMF recordings, and add annotations (e.g. decoded frames) to them.

Data and metadata are written under temporary names in the target directory
and renamed into place only on :meth:`SigMFWriter.close`, data first, after an
fsync; so a crash or kill never leaves a half-written recording under its final
name, and a ``.sigmf-meta`` that exists always describes complete data.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from sdrlink.errors import ConfigError, InputError
from sdrlink.sources.sigmf import load_meta, meta_and_data_paths

SIGMF_VERSION = "1.0.0"

# datatype -> (complex?, integer dtype or None for float32, scale, offset, lo, hi)
_WRITE_TYPES: dict[str, tuple[bool, str | None, float, float, int, int]] = {
    "cf32_le": (True, None, 1.0, 0.0, 0, 0),
    "rf32_le": (False, None, 1.0, 0.0, 0, 0),
    "ci16_le": (True, "<i2", 32768.0, 0.0, -32768, 32767),
    "ri16_le": (False, "<i2", 32768.0, 0.0, -32768, 32767),
    "ci8": (True, "i1", 128.0, 0.0, -128, 127),
    "cu8": (True, "u1", 127.5, 127.5, 0, 255),
}


def format_datetime(t: _dt.datetime) -> str:
    """UTC ISO 8601 with a ``Z`` suffix (naive datetimes are taken as UTC)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds" if t.microsecond else "seconds") + "Z"


def declare_extension(meta: dict[str, Any]) -> dict[str, Any]:
    """Declare the ``sdrlink`` namespace in ``core:extensions`` when any key uses it."""
    objs = [meta.get("global", {}), *meta.get("captures", []), *meta.get("annotations", [])]
    if not any(str(k).startswith("sdrlink:") for o in objs for k in o):
        return meta
    exts = list(meta["global"].get("core:extensions", []))
    if not any(isinstance(e, dict) and e.get("name") == "sdrlink" for e in exts):
        from sdrlink import __version__

        exts.append({"name": "sdrlink", "version": __version__, "optional": True})
        meta["global"]["core:extensions"] = exts
    return meta


def _umask_mode() -> int:
    """The mode a plain ``open()`` would give a new file (mkstemp uses 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2) + "\n"


def _write_temp(path: Path, text: str) -> Path:
    """Write ``text`` to a fsynced temporary file beside ``path``; return its name."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _umask_mode())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def _write_json_atomic(path: Path, obj: dict[str, Any]) -> None:
    tmp = _write_temp(path, _dumps(obj))
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class SigMFWriter:
    """Stream samples into a SigMF recording.

    ``path`` is the base name or either file's name. ``datatype`` is one of
    cf32_le, ci16_le, ci8, cu8 (complex input) or rf32_le, ri16_le (real
    input); integer types are scaled (x32768, x128, x127.5+127.5) and clipped.
    As a context manager it closes on normal exit and on KeyboardInterrupt
    (keeping what was recorded) and aborts on any other exception.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sample_rate: float,
        center_freq: float | None = None,
        datatype: str = "cf32_le",
        start_time: _dt.datetime | None = None,
        description: str = "",
        hw: str | None = None,
        extra_global: dict[str, Any] | None = None,
    ) -> None:
        if datatype not in _WRITE_TYPES:
            raise ConfigError(
                f"cannot write datatype {datatype!r}; choose one of {', '.join(_WRITE_TYPES)}"
            )
        try:
            rate = float(sample_rate)
        except (TypeError, ValueError):
            rate = float("nan")
        if not rate > 0:
            raise ConfigError(f"sample rate must be positive, not {sample_rate!r}")
        from sdrlink.sinks.output import check_output

        self.meta_path, self.data_path = meta_and_data_paths(path)
        directory = self.data_path.parent
        check_output(self.data_path, "recording")
        check_output(self.meta_path, "recording")
        self.datatype = datatype
        self.sample_rate = rate
        self.center_freq = center_freq
        self.start_time = start_time
        self.description = description
        self.hw = hw
        self.extra_global = dict(extra_global or {})
        self._annotations: list[dict[str, Any]] = []
        self._count = 0
        self._closed = False
        try:
            fd, tmp = tempfile.mkstemp(
                dir=directory, prefix=f".{self.data_path.name}.", suffix=".tmp"
            )
        except OSError as exc:
            raise InputError(f"{self.data_path}: cannot create ({exc.strerror})") from None
        self._tmp_data = Path(tmp)
        os.chmod(tmp, _umask_mode())
        self._file = os.fdopen(fd, "wb")

    @property
    def samples_written(self) -> int:
        """Number of samples written so far."""
        return self._count

    def write(self, samples: np.ndarray) -> None:
        """Append samples (complex64 for complex datatypes, float32 for real ones)."""
        if self._closed:
            raise ValueError("write() on a closed SigMFWriter")
        is_complex, int_dtype, scale, offset, lo, hi = _WRITE_TYPES[self.datatype]
        x = np.asarray(samples)
        if x.ndim != 1:
            x = x.reshape(-1)
        if is_complex:
            comp = np.ascontiguousarray(x, dtype=np.complex64).view(np.float32)
        else:
            if np.iscomplexobj(x):
                raise ConfigError(f"complex samples given to a real {self.datatype} recording")
            comp = np.ascontiguousarray(x, dtype=np.float32)
        if int_dtype is None:
            out = comp.astype("<f4", copy=False)
        else:
            y = np.nan_to_num(comp * np.float32(scale) + np.float32(offset))
            out = np.clip(np.rint(y), lo, hi).astype(int_dtype)
        try:
            self._file.write(out.tobytes())
        except OSError as exc:  # e.g. disk full: keep the message to one line
            raise InputError(f"{self.data_path}: cannot write ({exc.strerror})") from None
        self._count += len(comp) // (2 if is_complex else 1)

    def add_annotation(
        self,
        sample_start: int,
        sample_count: int,
        *,
        label: str = "",
        comment: str = "",
        freq_lower: float | None = None,
        freq_upper: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Annotate ``sample_count`` samples from ``sample_start`` (written on close)."""
        self._annotations.append(
            annotation(
                sample_start,
                sample_count,
                label=label,
                comment=comment,
                freq_lower=freq_lower,
                freq_upper=freq_upper,
                extra=extra,
            )
        )

    def metadata(self) -> dict[str, Any]:
        """The metadata dict that :meth:`close` writes."""
        g: dict[str, Any] = {
            "core:version": SIGMF_VERSION,
            "core:datatype": self.datatype,
            "core:sample_rate": self.sample_rate,
            "core:recorder": "sdrlink",
        }
        if self.description:
            g["core:description"] = self.description
        if self.hw:
            g["core:hw"] = self.hw
        g.update(_plain(self.extra_global))
        cap: dict[str, Any] = {"core:sample_start": 0}
        if self.center_freq is not None:
            cap["core:frequency"] = float(self.center_freq)
        if self.start_time is not None:
            cap["core:datetime"] = format_datetime(self.start_time)
        anns = sorted(self._annotations, key=lambda a: a["core:sample_start"])
        return declare_extension({"global": g, "captures": [cap], "annotations": anns})

    def close(self) -> None:
        """Finish: fsync the data, write the metadata, rename both into place."""
        if self._closed:
            return
        self._closed = True
        try:
            text = _dumps(self.metadata())  # fails early on values JSON cannot hold
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            tmp_meta = _write_temp(self.meta_path, text)
        except OSError as exc:
            self._discard()
            raise InputError(f"{self.data_path}: cannot write ({exc.strerror})") from None
        except BaseException:
            self._discard()
            raise
        try:
            os.replace(self._tmp_data, self.data_path)  # data first: a meta file
            os.replace(tmp_meta, self.meta_path)  # always describes complete data
        except BaseException:
            tmp_meta.unlink(missing_ok=True)
            self._discard()
            raise
        _fsync_dir(self.meta_path.parent)

    def abort(self) -> None:
        """Drop the recording: close and remove the temporary files."""
        if self._closed:
            return
        self._closed = True
        self._discard()

    def _discard(self) -> None:
        try:
            self._file.close()
        finally:
            if self._tmp_data.exists():
                self._tmp_data.unlink()

    def __enter__(self) -> SigMFWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None or issubclass(exc_type, KeyboardInterrupt):
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:  # never leave temp files behind on garbage collection
        if not getattr(self, "_closed", True):
            try:
                self.abort()
            except Exception:
                pass


_SHORT_KEYS = {
    "sample_start": "core:sample_start",
    "sample_count": "core:sample_count",
    "label": "core:label",
    "comment": "core:comment",
    "freq_lower": "core:freq_lower_edge",
    "freq_upper": "core:freq_upper_edge",
    "freq_lower_edge": "core:freq_lower_edge",
    "freq_upper_edge": "core:freq_upper_edge",
    "generator": "core:generator",
}


def annotation(
    sample_start: int,
    sample_count: int,
    *,
    label: str = "",
    comment: str = "",
    freq_lower: float | None = None,
    freq_upper: float | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A SigMF annotation object; ``extra`` keys without a namespace get ``sdrlink:``."""
    if int(sample_start) < 0 or int(sample_count) < 0:
        raise ConfigError("annotation sample_start and sample_count must be >= 0")
    if (freq_lower is None) != (freq_upper is None):
        raise ConfigError("give both freq_lower and freq_upper for an annotation, or neither")
    a: dict[str, Any] = {
        "core:sample_start": int(sample_start),
        "core:sample_count": int(sample_count),
    }
    if label:
        a["core:label"] = str(label)
    if comment:
        a["core:comment"] = str(comment)
    if freq_lower is not None and freq_upper is not None:
        a["core:freq_lower_edge"] = float(freq_lower)
        a["core:freq_upper_edge"] = float(freq_upper)
    for key, value in (extra or {}).items():
        a[key if ":" in key else f"sdrlink:{key}"] = _plain(value)
    return a


def _plain(value: Any) -> Any:
    """JSON-friendly values: numpy scalars to Python, bytes to hex, NaN/inf to null."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf
    return value


def _normalise(ann: dict[str, Any]) -> dict[str, Any]:
    """Accept SigMF keys ("core:label") or short ones ("label", "freq_lower")."""
    out: dict[str, Any] = {}
    for key, value in ann.items():
        if key == "extra" and isinstance(value, dict):
            for k, v in value.items():
                out[k if ":" in k else f"sdrlink:{k}"] = _plain(v)
        elif key in _SHORT_KEYS:
            out[_SHORT_KEYS[key]] = _plain(value)
        else:
            out[key if ":" in key else f"sdrlink:{key}"] = _plain(value)
    if "core:sample_start" not in out:
        raise ConfigError(f"annotation without sample_start: {ann!r}")
    return out


def add_annotations(
    meta_path: str | os.PathLike[str],
    annotations: list[dict[str, Any]],
    replace_generator: str | None = None,
) -> None:
    """Add annotations to an existing recording's metadata, keeping everything else.

    Each dict uses SigMF keys (``core:sample_start``...) or the short names of
    :meth:`SigMFWriter.add_annotation`; other keys without a namespace become
    ``sdrlink:KEY``. With ``replace_generator``, the existing annotations whose
    ``core:generator`` is that are dropped first. The list is kept sorted by
    sample_start and the file is replaced atomically.
    """
    meta_file, _ = meta_and_data_paths(meta_path)
    try:
        text = meta_file.read_bytes()
    except OSError as exc:
        raise InputError(f"{meta_file}: cannot read SigMF metadata ({exc.strerror})") from None
    meta = load_meta(text, str(meta_file))
    old = [
        a
        for a in meta.get("annotations", [])
        if replace_generator is None or a.get("core:generator") != replace_generator
    ]
    if not annotations and len(old) == len(meta.get("annotations", [])):
        return  # nothing to add or replace: leave the file as it is
    anns = old + [_normalise(a) for a in annotations]
    anns.sort(key=lambda a: a.get("core:sample_start", 0))  # stable: old before new
    meta["annotations"] = anns
    _write_json_atomic(meta_file, declare_extension(meta))


__all__ = ["SigMFWriter", "add_annotations", "annotation", "format_datetime"]
