"""One human-readable line per frame."""

from __future__ import annotations

import math
import sys
from typing import TextIO

from sdrlink.frame import Frame
from sdrlink.pipeline import Sink

_CRC = {True: "CRC ok ", False: "CRC BAD", None: "no CRC "}


def _detail(fields: dict) -> str:
    """A few protocol fields worth a glance: LoRa SF/CR, FSK framing, AX.25 addresses."""
    parts = []
    if "sf" in fields:
        parts.append(f"SF{fields['sf']}")
        if "cr" in fields:
            parts.append(f"CR4/{4 + int(fields['cr'])}")
    if "framing" in fields:
        baud = fields.get("baud")
        parts.append(f"{fields['framing']} {baud:g} Bd" if baud else str(fields["framing"]))
    if fields.get("addresses"):
        parts.append(str(fields["addresses"]))
    return " ".join(parts)


def format_frame(frame: Frame, max_hex: int = 64) -> str:
    """``time  offset  SNR  CRC  [protocol details]  hex  |text|`` on one line."""
    if frame.time is not None:
        when = frame.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    else:  # as wide as a time, so that the columns stay aligned
        when = f"sample {frame.sample_index}".ljust(24)
    detail = _detail(frame.fields)
    hexs = frame.payload.hex()
    if len(hexs) > max_hex:
        hexs = hexs[:max_hex] + "…"
    text = frame.text()
    if len(text) > max_hex // 2:
        text = text[: max_hex // 2] + "…"
    parts = [
        when,
        f"{frame.freq_offset_hz:+9.1f} Hz"
        if math.isfinite(frame.freq_offset_hz)
        else "        - Hz",
        f"{frame.snr_db:5.1f} dB" if math.isfinite(frame.snr_db) else "    - dB",
        _CRC[frame.crc_ok],
        frame.protocol,
    ]
    if detail:
        parts.append(str(detail))
    parts += [f"{len(frame.payload):3d} B", hexs, f"|{text}|"]
    return "  ".join(parts)


class TerminalSink(Sink):
    """Prints each frame; frames with a failed CRC only when ``show_bad``."""

    def __init__(self, stream: TextIO | None = None, show_bad: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.show_bad = show_bad

    def write(self, frame: Frame) -> None:
        if frame.crc_ok is False and not self.show_bad:
            return
        print(format_frame(frame), file=self.stream, flush=True)
