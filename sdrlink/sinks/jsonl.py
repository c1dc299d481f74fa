"""JSON lines: one JSON object per frame, each line written whole and flushed."""

from __future__ import annotations

import json
import os

from sdrlink.frame import Frame
from sdrlink.pipeline import Sink
from sdrlink.sinks.output import open_output


class JsonlSink(Sink):
    """Appends frames to ``path`` (or ``-`` for stdout).

    Each line is written with a single ``write`` and flushed, so a crash or
    Ctrl-C never leaves a partial line. Frames with a failed CRC are written
    only with ``include_bad`` (they carry ``"crc_ok": false``).
    """

    def __init__(self, path: str | os.PathLike, include_bad: bool = False, append: bool = False):
        self.include_bad = include_bad
        if str(path) == "-":
            import sys

            self._fh = sys.stdout
            self._own = False
        else:
            self._fh = open_output(path, "a" if append else "w", encoding="utf-8")
            self._own = True

    def write(self, frame: Frame) -> None:
        if frame.crc_ok is False and not self.include_bad:
            return
        self._fh.write(json.dumps(frame.to_dict(), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._own and not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
