"""Record a stream to SigMF while it is decoded: gaps zero-filled and annotated.

:class:`Recorder` is the pipeline's ``on_block`` hook behind ``sdrlink live
--record`` and the station's per-pass recordings. Lost samples are written as
zeros so that recording index equals stream index (frame annotations and the
Doppler curve stay aligned), and each gap gets an annotation saying how many
samples were lost. Frames can be annotated too (:meth:`Recorder.add_frame`);
everything reaches the metadata in one atomic write at :meth:`Recorder.close`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock
from sdrlink.frame import Frame
from sdrlink.sinks.annotations import frame_annotation
from sdrlink.sources.writer import SigMFWriter

_CRC_LABEL = {True: "crc ok", False: "crc BAD", None: "no crc"}


class Recorder:
    """Writes every block (gaps as zeros) of ``source`` to the SigMF recording ``path``."""

    def __init__(
        self,
        path: str,
        source: Any,
        datatype: str,
        device: str,
        *,
        description: str | None = None,
        extra_global: dict[str, Any] | None = None,
    ) -> None:
        info = source.info
        self.writer = SigMFWriter(
            path,
            sample_rate=info.sample_rate,
            center_freq=info.center_freq,
            datatype=datatype,
            start_time=info.start_time,
            description=description
            or f"sdrlink live recording from {device or 'default SoapySDR device'}",
            hw=info.extra.get("hw"),
            extra_global={"sdrlink:device": device, **(extra_global or {})},
        )
        self.info = info
        self.gaps = 0
        self.lost = 0

    def __call__(self, block: SampleBlock, stats: Any = None) -> None:
        w = self.writer
        if w.start_time is None:
            w.start_time = self.info.start_time
        if block.lost:
            self.gaps += 1
            self.lost += block.lost
            w.add_annotation(
                block.start - block.lost,
                block.lost,
                label="gap",
                comment=f"{block.lost} samples lost by the receiver (zero-filled)",
            )
            left = block.lost
            zeros = np.zeros(min(left, 1 << 20), dtype=np.complex64)
            while left:
                n = min(left, len(zeros))
                w.write(zeros[:n])
                left -= n
        w.write(block.samples)

    def add_frame(self, frame: Frame, **extra: Any) -> None:
        """Annotate a decoded frame (label: protocol and CRC state; fields as sdrlink: keys)."""
        ann = frame_annotation(frame, self.info.sample_rate)
        fields = {
            k: v
            for k, v in ann.items()
            if k.startswith("sdrlink:") or k in ("core:freq_lower_edge", "core:freq_upper_edge")
        }
        for key in ("doppler_predicted_hz", "residual_hz", "elevation_deg"):
            if key in frame.fields:
                fields[f"sdrlink:{key}"] = frame.fields[key]
        fields.update({f"sdrlink:{k}": v for k, v in extra.items()})
        lower = fields.pop("core:freq_lower_edge", None)
        upper = fields.pop("core:freq_upper_edge", None)
        self.writer.add_annotation(
            ann["core:sample_start"],
            ann["core:sample_count"],
            label=f"{frame.protocol} {_CRC_LABEL[frame.crc_ok]}",
            comment=ann["core:comment"],
            freq_lower=lower,
            freq_upper=upper,
            extra=fields,
        )

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        self.writer.abort()
