"""Streaming reader for a region of a file holding headerless samples.

Every file format (raw IQ, SigMF, WAV, members of a SigMF archive) ends up here:
a byte range ``[offset, offset + nbytes)`` of one file, holding interleaved
samples of one :class:`Datatype`. Blocks are read with ``readinto`` into fresh
buffers, so memory stays at a few blocks whatever the file size (a memory map
would grow the resident set with every page touched).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.errors import InputError
from sdrlink.sources.base import DEFAULT_BLOCK, Source

#: what the converters read: the raw bytes of whole components
Buffer = bytes | bytearray | memoryview | np.ndarray


def _scaled(dtype: str, scale: float, offset: float = 0.0) -> Callable[[Buffer], np.ndarray]:
    """Converter: raw bytes of integer components -> float32 ``(x - offset) / scale``."""
    np_dtype = np.dtype(dtype)
    inv = np.float32(1.0 / scale)
    off = np.float32(offset)

    def convert(buf: Buffer) -> np.ndarray:
        x = np.frombuffer(buf, dtype=np_dtype).astype(np.float32)
        if offset:
            x -= off
        x *= inv
        return x

    return convert


def _floats(dtype: str) -> Callable[[Buffer], np.ndarray]:
    np_dtype = np.dtype(dtype)

    def convert(buf: Buffer) -> np.ndarray:
        x = np.frombuffer(buf, dtype=np_dtype)
        if np_dtype == np.float32:
            return x
        with np.errstate(over="ignore"):  # beyond float32: inf, reported by the reader
            return x.astype(np.float32)

    return convert


def _int24(buf: Buffer) -> np.ndarray:
    """Little-endian signed 24-bit components -> float32 in [-1, 1)."""
    b = np.frombuffer(buf, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
    x = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
    x = (x << 8) >> 8  # sign-extend bit 23
    return x.astype(np.float32) * np.float32(1.0 / (1 << 23))


@dataclass(frozen=True)
class Datatype:
    """An on-disk sample format.

    ``component_size`` is the byte size of one component (I, Q or a real value);
    ``convert`` turns whole components into float32 scaled to about [-1, 1].
    """

    name: str
    is_complex: bool
    component_size: int
    convert: Callable[[Buffer], np.ndarray]
    is_float: bool = False

    @property
    def sample_size(self) -> int:
        return self.component_size * (2 if self.is_complex else 1)


def _make_types() -> dict[str, Datatype]:
    table: dict[str, Datatype] = {}
    for kind, is_complex in (("c", True), ("r", False)):
        specs = [
            (f"{kind}f32_le", 4, _floats("<f4"), True),
            (f"{kind}f64_le", 8, _floats("<f8"), True),
            (f"{kind}i32_le", 4, _scaled("<i4", 2.0**31), False),
            (f"{kind}i16_le", 2, _scaled("<i2", 32768.0), False),
            (f"{kind}u16_le", 2, _scaled("<u2", 32767.5, 32767.5), False),
            (f"{kind}i8", 1, _scaled("i1", 128.0), False),
            (f"{kind}u8", 1, _scaled("u1", 127.5, 127.5), False),
            # not SigMF names: WAV-only layouts
            (f"{kind}i24_le", 3, _int24, False),
            (f"{kind}u8_wav", 1, _scaled("u1", 128.0, 128.0), False),
        ]
        for name, size, conv, is_float in specs:
            table[name] = Datatype(name, is_complex, size, conv, is_float)
    return table


DATATYPES: dict[str, Datatype] = _make_types()

#: Datatypes a SigMF recording may declare (the rest of the table is internal).
SIGMF_DATATYPES = {n: t for n, t in DATATYPES.items() if not n.endswith("_wav") and "i24" not in n}


def sigmf_datatype(name: str, where: str) -> Datatype:
    """The Datatype for a SigMF ``core:datatype`` string, or InputError.

    8-bit types carry no byte order in SigMF; ``ci8_le``/``cu8_le`` are
    accepted as the same thing. Big-endian types are rejected.
    """
    key = str(name).strip().lower()
    if key[-3:] in ("_le", "_be") and key[1:-3] in ("i8", "u8"):
        key = key[:-3]
    if key in SIGMF_DATATYPES:
        return SIGMF_DATATYPES[key]
    why = " (big-endian data is not supported)" if key.endswith("_be") else ""
    raise InputError(f"{where}: unsupported datatype {name!r}{why}")


class RawSource(Source):
    """Samples of one ``Datatype`` stored contiguously in ``path`` from ``offset``.

    ``nbytes`` is the byte length of the sample region (None: to the end of the
    file). Raises InputError for empty regions or byte counts that are not a
    whole number of samples. Float data is checked block by block for NaN/inf.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        datatype: Datatype,
        info: StreamInfo,
        *,
        offset: int = 0,
        nbytes: int | None = None,
        label: str | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.label = label or self.path
        self.meta_path: os.PathLike[str] | None = None  # SigMF metadata, when there is one
        self.datatype = datatype
        self.offset = int(offset)
        try:
            size = os.path.getsize(self.path)
        except OSError as exc:
            raise InputError(f"{self.label}: cannot read file ({exc.strerror})") from None
        available = size - self.offset
        if nbytes is None:
            nbytes = available
        elif nbytes > available:
            raise InputError(
                f"{self.label}: sample data should hold {nbytes} bytes but the file "
                f"has only {max(available, 0)} (truncated?)"
            )
        if nbytes <= 0:
            raise InputError(f"{self.label}: no samples (empty data)")
        ss = datatype.sample_size
        if nbytes % ss:
            raise InputError(
                f"{self.label}: data length {nbytes} bytes is not a multiple of the "
                f"{ss}-byte {datatype.name} sample size (truncated or wrong format?)"
            )
        self.nbytes = int(nbytes)
        info.is_complex = datatype.is_complex
        info.num_samples = self.nbytes // ss
        self.info = info
        self._stopped = False

    def blocks(self, block_size: int = DEFAULT_BLOCK) -> Iterator[SampleBlock]:
        """Yield blocks of ``block_size`` samples (the last one shorter)."""
        block_size = int(block_size)
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        self._stopped = False
        ss = self.datatype.sample_size
        total = self.nbytes // ss
        try:
            f = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(f"{self.label}: cannot open ({exc.strerror})") from None
        with f:
            f.seek(self.offset)
            start = 0
            while start < total and not self._stopped:
                n = min(block_size, total - start)
                buf = np.empty(n * ss, dtype=np.uint8)  # no zero-fill: read over at once
                view = buf.data  # the array's memory, as a memoryview
                got = f.readinto(view)
                while got is not None and got < len(buf):  # short reads on pipes/NFS
                    more = f.readinto(view[got:])
                    if not more:
                        break
                    got += more
                if got != len(buf):
                    raise InputError(f"{self.label}: file ended early at sample {start}")
                yield SampleBlock(self._convert(buf, start), start)
                start += n

    def _convert(self, buf: Buffer, start: int) -> np.ndarray:
        comp = self.datatype.convert(buf)
        if self.datatype.is_float:
            finite = np.isfinite(comp)
            if not finite.all():
                first = int(np.argmin(finite))
                idx = start + (first // 2 if self.datatype.is_complex else first)
                raise InputError(
                    f"{self.label}: NaN, infinite or out-of-range value at sample {idx}"
                )
        if self.datatype.is_complex:
            return comp.view(np.complex64)
        return comp

    def stop(self) -> None:
        """End the stream after the current block."""
        self._stopped = True
