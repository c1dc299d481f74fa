"""KISS output: decoded AX.25 frames in the TNC framing that packet tools read.

Each frame becomes ``FEND, 0x00 (data frame, port 0), escaped bytes, FEND``;
inside, FEND (0xC0) is sent as FESC TFEND (0xDB 0xDC) and FESC (0xDB) as
FESC TFESC (0xDB 0xDD). The type byte is escaped too: port 12's data frames
have type 0xC0, which would otherwise end the frame. As in KISS, the AX.25 FCS is not included (the
decoder's payload already excludes it).
"""

from __future__ import annotations

import os

from sdrlink.frame import Frame
from sdrlink.pipeline import Sink
from sdrlink.sinks.output import open_output

FEND = 0xC0
FESC = 0xDB
TFEND = 0xDC
TFESC = 0xDD


def kiss_escape(data: bytes) -> bytes:
    """Escape FEND and FESC bytes."""
    return (
        bytes(data)
        .replace(bytes([FESC]), bytes([FESC, TFESC]))
        .replace(bytes([FEND]), bytes([FESC, TFEND]))
    )


def kiss_unescape(data: bytes) -> bytes:
    """Inverse of :func:`kiss_escape`."""
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == FESC:
            nxt = next(it, None)
            out.append(FEND if nxt == TFEND else FESC if nxt == TFESC else (nxt or 0))
        else:
            out.append(b)
    return bytes(out)


def kiss_frame(payload: bytes, port: int = 0) -> bytes:
    """One KISS data frame carrying ``payload``."""
    if not 0 <= port <= 15:
        raise ValueError("KISS port must be 0..15")
    return bytes([FEND]) + kiss_escape(bytes([port << 4]) + bytes(payload)) + bytes([FEND])


def kiss_decode_stream(data: bytes) -> list[bytes]:
    """Split a KISS byte stream into the payloads of its data frames."""
    out = []
    for chunk in bytes(data).split(bytes([FEND])):
        frame = kiss_unescape(chunk)
        if len(frame) >= 1 and frame[0] & 0x0F == 0:
            out.append(frame[1:])
    return out


def _is_ax25(frame: Frame) -> bool:
    from sdrlink.errors import ConfigError
    from sdrlink.framing import get_framing

    try:
        return get_framing(str(frame.fields.get("framing", ""))).ax25
    except ConfigError:
        return False


class KissSink(Sink):
    """Writes valid AX.25 frames (or, with ``all_frames``, every valid frame) as KISS."""

    def __init__(
        self, path: str | os.PathLike, port: int = 0, all_frames: bool = False, append: bool = False
    ) -> None:
        self.port = port
        self.all_frames = all_frames
        self._fh = open_output(path, "ab" if append else "wb")

    def write(self, frame: Frame) -> None:
        if frame.crc_ok is False:
            return
        if not self.all_frames and not _is_ax25(frame):
            return
        self._fh.write(kiss_frame(frame.payload, self.port))
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
