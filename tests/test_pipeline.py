"""The streaming engine: block order, gaps, interruption, frame times."""

import datetime as dt

import numpy as np

from sdrlink.blocks import SampleBlock
from sdrlink.frame import Frame
from sdrlink.pipeline import Sink, Stage, run
from sdrlink.protocols.base import Receiver
from sdrlink.sources.array import ArraySource


class PeakReceiver(Receiver):
    """Reports every sample above a threshold as a one-byte frame (block-size proof)."""

    def __init__(self):
        self.seen = 0

    def process(self, block: SampleBlock):
        assert block.start == self.seen, "blocks must be consecutive"
        self.seen = block.stop
        idx = np.flatnonzero(np.abs(block.samples) > 5)
        return [Frame("test", int(n), bytes([n % 256]), True) for n in block.start + idx]


class ListSink(Sink):
    def __init__(self):
        self.frames, self.closed, self.stats = [], False, None

    def write(self, frame):
        self.frames.append(frame)

    def finish(self, stats):
        self.stats = stats

    def close(self):
        self.closed = True


class Doubler(Stage):
    def process(self, block):
        return SampleBlock(block.samples * 2, block.start, block.lost)

    def annotate(self, frame):
        frame.fields["doubled"] = True


def _signal():
    x = np.zeros(100_000, np.complex64)
    x[[10, 4095, 4096, 65535, 65536, 99_999]] = 4.0  # 8 after the stage
    return x


def test_pipeline_frames_independent_of_block_size():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    results = []
    for bs in (1000, 4096, 65536, 10_000_000):
        src = ArraySource(_signal(), 100e3, 436e6, start)
        sink = ListSink()
        stats = run(src, [PeakReceiver()], [sink], [Doubler()], block_size=bs)
        assert sink.closed and stats.samples == 100_000
        results.append([(f.sample_index, f.payload, f.time) for f in sink.frames])
    assert all(r == results[0] for r in results)
    assert [i for i, _, _ in results[0]] == [10, 4095, 4096, 65535, 65536, 99_999]
    # time of sample 65536 at 100 ksps is 0.65536 s after the start
    assert results[0][4][2] == start + dt.timedelta(seconds=0.65536)


def test_pipeline_stage_annotates_and_centre_frequency_is_set():
    sink = ListSink()
    run(ArraySource(_signal(), 100e3, 436e6), [PeakReceiver()], [sink], [Doubler()])
    assert all(f.fields["doubled"] and f.center_freq_hz == 436e6 for f in sink.frames)
    assert all(f.time is None for f in sink.frames)  # no start time known


def test_pipeline_without_stage_sees_nothing_below_threshold():
    sink = ListSink()
    run(ArraySource(_signal(), 100e3), [PeakReceiver()], [sink])
    assert sink.frames == []


class InterruptingSource(ArraySource):
    def blocks(self, block_size=1000):
        for i, b in enumerate(super().blocks(block_size)):
            if i == 3:
                raise KeyboardInterrupt
            yield b


def test_pipeline_ctrl_c_closes_sinks_and_reports_interruption():
    sink = ListSink()
    src = InterruptingSource(_signal(), 100e3)
    stats = run(src, [PeakReceiver()], [sink], [Doubler()], block_size=1000)
    assert stats.interrupted and sink.closed and sink.stats is stats
    assert stats.samples == 3000
    assert [f.sample_index for f in sink.frames] == [10]


class GappySource(ArraySource):
    def blocks(self, block_size=1000):
        yield SampleBlock(self.samples[:500], 0)
        yield SampleBlock(self.samples[700:1000], 700, lost=200)


def test_pipeline_counts_gaps_and_lost_samples():
    class Any(Receiver):
        def process(self, block):
            return []

    stats = run(GappySource(np.zeros(1000, np.complex64), 1e3), [Any()])
    assert (stats.gaps, stats.lost_samples, stats.samples) == (1, 200, 800)
