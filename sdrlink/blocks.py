"""Sample blocks: the unit that flows through the streaming pipeline."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy only for the annotations: importing sdrlink stays light
    import numpy as np


@dataclass
class StreamInfo:
    """What a source knows about its stream.

    ``sample_rate`` in Hz; ``center_freq`` in Hz (None when unknown, e.g. audio);
    ``start_time`` is the UTC time of sample 0 when known; ``is_complex`` says
    whether blocks carry complex IQ (complex64) or real samples (float32, such as
    FM-discriminator audio); ``num_samples`` is None for live streams.
    """

    sample_rate: float
    center_freq: float | None = None
    start_time: _dt.datetime | None = None
    is_complex: bool = True
    num_samples: int | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def time_of(self, sample_index: int) -> _dt.datetime | None:
        """UTC time of an absolute sample index, or None without a start time."""
        if self.start_time is None:
            return None
        return self.start_time + _dt.timedelta(seconds=sample_index / self.sample_rate)


@dataclass
class SampleBlock:
    """Consecutive samples starting at absolute index ``start``.

    ``samples`` is complex64 (IQ) or float32 (real). A gap (``lost`` > 0) means
    ``lost`` samples were dropped by the device just before this block, so
    ``start`` already skips them and frame times stay true.
    """

    samples: np.ndarray
    start: int
    lost: int = 0

    @property
    def stop(self) -> int:
        return self.start + len(self.samples)
