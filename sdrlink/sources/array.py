"""A source over samples already in memory (Python API, notebooks, tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.errors import ConfigError, InputError
from sdrlink.sources.base import DEFAULT_BLOCK, Source


class ArraySource(Source):
    """Yields an in-memory array in blocks; complex arrays become complex64, real float32."""

    def __init__(
        self,
        samples: np.ndarray,
        sample_rate: float,
        center_freq: float | None = None,
        start_time: dt.datetime | None = None,
    ) -> None:
        if not sample_rate or sample_rate <= 0:
            raise ConfigError("decoding an array needs sample_rate > 0")
        x = np.asarray(samples)
        if x.ndim != 1:
            raise InputError(f"samples must be one-dimensional, got shape {x.shape}")
        is_complex = np.iscomplexobj(x)
        self.samples = x.astype(np.complex64 if is_complex else np.float32, copy=False)
        bad = ~np.isfinite(self.samples)
        if bad.any():
            raise InputError(f"samples contain NaN/inf (first at index {int(np.argmax(bad))})")
        self.info = StreamInfo(
            sample_rate=float(sample_rate),
            center_freq=center_freq,
            start_time=start_time,
            is_complex=is_complex,
            num_samples=len(self.samples),
            description="in-memory array",
        )

    def blocks(self, block_size: int = DEFAULT_BLOCK) -> Iterator[SampleBlock]:
        for start in range(0, len(self.samples), block_size):
            yield SampleBlock(self.samples[start : start + block_size], start)
