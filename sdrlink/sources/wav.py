"""WAV recordings: stereo IQ (left I, right Q, as SDR# and HDSDR write) or mono
audio (FM-discriminator output, as many ground stations store passes).

The RIFF chunks are parsed here rather than with the :mod:`wave` module, which
reads neither IEEE float nor 24-bit extensible files. Only the header is read;
samples stream from the ``data`` chunk through :class:`RawSource`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import struct
from dataclasses import dataclass

from sdrlink.blocks import StreamInfo
from sdrlink.errors import InputError
from sdrlink.sources.raw import DATATYPES, RawSource

_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE

# (format, bits per sample) -> datatype suffix in sdrlink.sources.raw.DATATYPES
_LAYOUTS = {
    (_PCM, 8): "u8_wav",
    (_PCM, 16): "i16_le",
    (_PCM, 24): "i24_le",
    (_PCM, 32): "i32_le",
    (_FLOAT, 32): "f32_le",
    (_FLOAT, 64): "f64_le",
}


@dataclass
class WavLayout:
    """Where the samples of a WAV file are and how they are stored."""

    channels: int
    sample_rate: int
    fmt: int
    bits: int
    data_offset: int
    data_size: int


def read_layout(path: str) -> WavLayout:
    """Walk the RIFF chunks of ``path``: the ``fmt `` fields and the ``data`` extent."""
    try:
        size = os.path.getsize(path)
        f = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    with f:
        head = f.read(12)
        if len(head) < 12:
            raise InputError(f"{path}: truncated WAV header ({len(head)} bytes)")
        riff, _, wave = struct.unpack("<4sI4s", head)
        if riff in (b"RF64", b"BW64"):
            raise InputError(f"{path}: RF64 WAV files are not supported")
        if riff != b"RIFF" or wave != b"WAVE":
            raise InputError(f"{path}: not a RIFF/WAVE file")
        fmt: tuple[int, int, int, int] | None = None
        pos = 12
        while True:
            f.seek(pos)
            hdr = f.read(8)
            if len(hdr) < 8:
                what = "'fmt ' chunk" if fmt is None else "'data' chunk"
                raise InputError(f"{path}: truncated WAV header (no {what} found)")
            cid, clen = struct.unpack("<4sI", hdr)
            body = pos + 8
            if cid == b"fmt ":
                if body + clen > size:
                    raise InputError(f"{path}: truncated WAV header ('fmt ' chunk cut short)")
                fmt = _parse_fmt(path, f.read(clen), clen)
            elif cid == b"data":
                if fmt is None:
                    raise InputError(f"{path}: WAV 'data' chunk comes before 'fmt '")
                if body + clen > size:
                    raise InputError(
                        f"{path}: WAV data chunk declares {clen} bytes but only "
                        f"{size - body} follow (truncated file?)"
                    )
                channels, rate, code, bits = fmt
                return WavLayout(channels, rate, code, bits, body, clen)
            elif not re.fullmatch(rb"[\x20-\x7e]{4}", cid):
                raise InputError(f"{path}: malformed WAV chunk at byte {pos}")
            pos = body + clen + (clen & 1)  # chunks are padded to even length
            if pos > size:
                raise InputError(f"{path}: WAV chunk {cid!r} runs past the end of the file")


def _parse_fmt(path: str, body: bytes, clen: int) -> tuple[int, int, int, int]:
    if clen < 16 or len(body) < 16:
        raise InputError(f"{path}: truncated WAV 'fmt ' chunk ({len(body)} bytes)")
    code, channels, rate, _, align, bits = struct.unpack("<HHIIHH", body[:16])
    if code == _EXTENSIBLE:
        if len(body) < 26:
            raise InputError(f"{path}: truncated WAVE_FORMAT_EXTENSIBLE header")
        valid_bits = struct.unpack("<H", body[18:20])[0]
        code = struct.unpack("<H", body[24:26])[0]  # first bytes of the sub-format GUID
        if valid_bits and valid_bits != bits and not (code == _PCM and valid_bits <= bits):
            raise InputError(f"{path}: unsupported WAV valid-bits {valid_bits}/{bits}")
    if (code, bits) not in _LAYOUTS:
        raise InputError(
            f"{path}: unsupported WAV encoding (format tag {code:#06x}, {bits} bits); "
            "use PCM 8/16/24/32-bit or IEEE float 32/64-bit"
        )
    if channels not in (1, 2):
        raise InputError(f"{path}: WAV has {channels} channels; expected 1 (audio) or 2 (I/Q)")
    if align != channels * bits // 8:
        raise InputError(f"{path}: WAV block align {align} does not match {channels}x{bits} bit")
    if rate <= 0:
        raise InputError(f"{path}: WAV sample rate is 0")
    return channels, rate, code, bits


# SDR# / SDRuno / HDSDR names: ..._20240101_120000Z_437500000Hz_IQ.wav
_SDR_NAME = re.compile(r"(\d{8})_(\d{6})Z?_(\d+)(k?)Hz", re.IGNORECASE)


def hints_from_name(path: str) -> tuple[float | None, _dt.datetime | None]:
    """Centre frequency and UTC start time from an SDR#-style file name, if any."""
    m = _SDR_NAME.search(os.path.basename(path))
    if not m:
        return None, None
    date, time, freq, kilo = m.groups()
    try:
        start = _dt.datetime.strptime(date + time, "%Y%m%d%H%M%S").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        start = None
    return float(freq) * (1e3 if kilo else 1.0), start


def open_wav(path: str | os.PathLike[str]) -> RawSource:
    """Open a WAV file: 2 channels give complex IQ, 1 channel real audio."""
    path = os.fspath(path)
    lay = read_layout(path)
    kind = "c" if lay.channels == 2 else "r"
    dtype = DATATYPES[kind + _LAYOUTS[(lay.fmt, lay.bits)]]
    freq, start = hints_from_name(path) if lay.channels == 2 else (None, None)
    info = StreamInfo(
        sample_rate=float(lay.sample_rate),
        center_freq=freq,
        start_time=start,
        is_complex=lay.channels == 2,
        extra={"format": "wav", "datatype": dtype.name, "wav_bits": lay.bits},
    )
    if lay.data_size == 0:
        raise InputError(f"{path}: WAV file holds no samples")
    return RawSource(path, dtype, info, offset=lay.data_offset, nbytes=lay.data_size, label=path)
