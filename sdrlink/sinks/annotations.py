"""SigMF annotations for decoded bursts, added to the recording's metadata."""

from __future__ import annotations

from pathlib import Path

from sdrlink.frame import Frame
from sdrlink.pipeline import Sink

GENERATOR = "sdrlink decode"  # core:generator of the annotations this sink writes


def frame_annotation(frame: Frame, sample_rate: float) -> dict:
    """A SigMF annotation object describing one frame (its length on air when known)."""
    length = frame.sample_count or int(0.01 * sample_rate)
    bw = float(frame.fields.get("bw", 0) or frame.fields.get("bandwidth_hz", 0) or 0)
    ann: dict = {
        "core:sample_start": int(frame.sample_index),
        "core:sample_count": length,
        "core:label": f"{frame.protocol} {'crc ok' if frame.crc_ok else 'no crc'}",
        "core:comment": frame.payload.hex(),
        "core:generator": GENERATOR,
        "sdrlink:snr_db": round(float(frame.snr_db), 2),
        "sdrlink:freq_offset_hz": round(float(frame.freq_offset_hz), 1),
        "sdrlink:crc_ok": frame.crc_ok,
    }
    if frame.center_freq_hz is not None and bw:
        f0 = frame.center_freq_hz + frame.freq_offset_hz
        ann["core:freq_lower_edge"] = f0 - bw / 2
        ann["core:freq_upper_edge"] = f0 + bw / 2
    return ann


class AnnotationSink(Sink):
    """Collects valid frames and writes them into ``meta_path`` at close (atomically).

    The annotations an earlier decode wrote (``core:generator`` "sdrlink decode")
    are replaced, so decoding again does not duplicate them; everyone else's
    (a simulation's truth, other tools') are kept.
    """

    def __init__(self, meta_path: str | Path, sample_rate: float) -> None:
        from sdrlink.sinks.output import check_rewritable

        # checked now: finding out after a long decode would lose its work
        self.meta_path = check_rewritable(meta_path, "SigMF metadata")
        self.sample_rate = sample_rate
        self._anns: list[dict] = []

    def write(self, frame: Frame) -> None:
        if frame.crc_ok is not False:
            self._anns.append(frame_annotation(frame, self.sample_rate))

    def close(self) -> None:
        from sdrlink.sources.writer import add_annotations

        add_annotations(self.meta_path, self._anns, replace_generator=GENERATOR)
        self._anns = []
