"""The streaming engine shared by files and live radios.

    source --blocks--> stages (e.g. Doppler NCO) --> receivers --frames--> sinks

Every stage and receiver keeps explicit state across blocks, so the frames do
not depend on the block size. Ctrl-C ends the run cleanly: receivers are
flushed and every sink is closed, leaving valid outputs.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.frame import Frame
from sdrlink.protocols.base import Receiver
from sdrlink.sources.base import DEFAULT_BLOCK, Source


class Stage(ABC):
    """A block-to-block transform ahead of the receivers (Doppler removal ...)."""

    @abstractmethod
    def process(self, block: SampleBlock) -> SampleBlock:
        """Return the transformed block (same ``start`` and length)."""

    def annotate(self, frame: Frame) -> None:  # noqa: B027 - optional hook
        """Add what this stage knows to a finished frame (e.g. predicted Doppler)."""


class Sink(ABC):
    """Where frames go: terminal, JSON lines, SQLite, annotations, KISS ..."""

    @abstractmethod
    def write(self, frame: Frame) -> None:
        """Record one frame (durably enough that a crash loses at most this one)."""

    def finish(self, stats: RunStats) -> None:  # noqa: B027 - optional hook
        """Told how the run ended, just before ``close`` (interrupted, sample count)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and finish the output; must leave it valid."""


@dataclass
class RunStats:
    """What a run did; printed as the summary and stored by batch runs."""

    samples: int = 0
    blocks: int = 0
    frames: int = 0
    valid_frames: int = 0
    unchecked_frames: int = 0  # frames of framings without a check (crc_ok None)
    gaps: int = 0
    lost_samples: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    interrupted: bool = False
    frame_list: list[Frame] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        """``5 frame(s), 5 with valid CRC`` (and how many carried no check at all)."""
        text = f"{self.frames} frame(s), {self.valid_frames} with valid CRC"
        if self.unchecked_frames:
            text += f", {self.unchecked_frames} without a check"
        return text

    @property
    def realtime_factor(self) -> float:
        return self.samples / self.wall_s if self.wall_s > 0 else float("inf")


def finish_frame(frame: Frame, info: StreamInfo, stages: Sequence[Stage]) -> Frame:
    """Fill in time and centre frequency and let the stages annotate the frame."""
    if frame.time is None:
        frame.time = info.time_of(frame.sample_index)
    if frame.center_freq_hz is None:
        frame.center_freq_hz = info.center_freq
    for stage in stages:
        stage.annotate(frame)
    return frame


def run(
    source: Source,
    receivers: Sequence[Receiver],
    sinks: Sequence[Sink] = (),
    stages: Sequence[Stage] = (),
    *,
    block_size: int = DEFAULT_BLOCK,
    progress: Callable[[int], None] | None = None,
    keep_frames: bool = True,
    on_block: Callable[[SampleBlock, RunStats], None] | None = None,
) -> RunStats:
    """Stream ``source`` through ``stages`` into ``receivers``; frames go to ``sinks``.

    ``progress(samples_done)`` is called after each block; ``on_block`` sees each
    block as read (before the stages) with the running statistics, for status
    lines and recorders. Returns the statistics; with ``keep_frames`` the frames
    are also collected in ``RunStats.frame_list`` in output order.
    """
    info = source.info
    stats = RunStats()
    t0, c0 = time.perf_counter(), time.process_time()

    def emit(frames: Iterable[Frame]) -> None:
        for frame in frames:
            finish_frame(frame, info, stages)
            stats.frames += 1
            stats.valid_frames += frame.crc_ok is True
            stats.unchecked_frames += frame.crc_ok is None
            if keep_frames:
                stats.frame_list.append(frame)
            for sink in sinks:
                sink.write(frame)

    try:
        try:
            for block in source.blocks(block_size):
                if block.lost:
                    stats.gaps += 1
                    stats.lost_samples += block.lost
                stats.blocks += 1
                stats.samples += len(block.samples)
                if on_block is not None:
                    on_block(block, stats)
                for stage in stages:
                    block = stage.process(block)
                for rx in receivers:
                    emit(rx.process(block))
                if progress is not None:
                    progress(block.stop)
        except KeyboardInterrupt:
            stats.interrupted = True
            source.stop()
        for rx in receivers:
            emit(rx.flush())
    finally:
        stats.wall_s = time.perf_counter() - t0
        stats.cpu_s = time.process_time() - c0
        for sink in sinks:
            sink.finish(stats)
            sink.close()
    return stats
