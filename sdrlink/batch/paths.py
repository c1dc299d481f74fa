"""Which recordings a batch covers and the key that says one is already decoded.

Patterns expand to recordings (a SigMF pair counts once, by its meta file); a
recording is known by the SHA-256 of its content, so a renamed file is still
the same one, and by the canonical JSON of the decode settings.
"""

from __future__ import annotations

import datetime as _dt
import glob
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sdrlink import __version__
from sdrlink.errors import InputError

_HASH_BLOCK = 1 << 20
_GLOB_CHARS = frozenset("*?[")


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
