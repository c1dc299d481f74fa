"""Streaming LoRa receiver: several channels and spreading factors at once.

Per channel, a :class:`~.channel.Channelizer` turns the input into one sample
per chip. Per spreading factor, a :class:`~.sync.Detector` dechirps that
stream in fixed windows (batched FFTs over whole blocks) and, when a preamble
shows up, synchronises and demodulates the frame again from its source
stream (:mod:`.sync`), centred on its own carrier offset and timing.

The source stream is the input itself when it is at most twice the LoRa
bandwidth. Wider input (a wideband capture, several channels) first goes
through one FFT filter bank (:class:`~sdrlink.dsp.channelizer.FftChannelizer`)
shared by all channels, which gives each channel a stream at twice the
bandwidth: the source of its frames, and (halved again) its detection
stream. All state is keyed on absolute sample indices, so frames do not
depend on block sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.dsp.channelizer import FftChannelizer
from sdrlink.errors import ConfigError, InputError
from sdrlink.frame import Frame
from sdrlink.protocols.base import Receiver
from sdrlink.protocols.lora.channel import Channelizer, FrameResampler, SampleBuffer
from sdrlink.protocols.lora.params import DEFAULT_SFS, normalize_options, params_for
from sdrlink.protocols.lora.scan import HALF_ROWS, ScanEngine
from sdrlink.protocols.lora.sync import Detector


class _Channel:
    """One channel: its detection stream, its detectors and the source of its frames.

    ``source`` is None when the frames come from the input itself (shared by
    the channels); else it is this channel's stream at ``source_rate``,
    centred on ``center`` (from the shared filter bank).
    """

    def __init__(
        self,
        offset: float,
        fs: float,
        bw: float,
        sfs: list[int],
        options: dict[str, Any],
        resampler: FrameResampler,
        engines: dict[int, tuple[ScanEngine, ScanEngine]],
        center: float | None = None,
        source_rate: float | None = None,
    ) -> None:
        self.offset = offset
        self.center = offset if center is None else center
        self.source = None if source_rate is None else SampleBuffer()
        if source_rate is None:
            self.chan = Channelizer(fs, bw, offset)
        else:
            self.chan = Channelizer(source_rate, bw, 0.0)
        self.stream = SampleBuffer()
        src_center = 0.0 if source_rate is None else self.center
        self.detectors = [
            Detector(
                params_for(options, sf),
                offset,
                fs,
                self.stream,
                resampler,
                self.center,
                src_center,
                *engines[sf],
            )
            for sf in sfs
        ]
        if self.source is not None:
            for det in self.detectors:
                det.raw = self.source

    def feed(self, y: np.ndarray, k0: int) -> None:
        """New detection-stream chips ``y`` from chip ``k0`` on."""
        if k0 > self.stream.stop:
            self.stream.append(np.zeros(k0 - self.stream.stop, dtype=np.complex64))
        self.stream.append(y)

    def feed_source(self, y: np.ndarray, j0: int) -> None:
        """New source samples (from the filter bank); detection chips from them."""
        assert self.source is not None
        if j0 > self.source.stop:
            self.source.append(np.zeros(j0 - self.source.stop, dtype=np.complex64))
        elif j0 < self.source.stop:
            y, j0 = y[self.source.stop - j0 :], self.source.stop
        self.source.append(y)
        self.feed(*self.chan.process(y, j0))


class LoRaReceiver(Receiver):
    """Decodes LoRa frames of the configured SFs on the configured channel offsets."""

    def __init__(self, options: dict[str, Any], info: StreamInfo) -> None:
        opts = normalize_options(options)
        if not info.is_complex:
            raise InputError("LoRa needs complex IQ samples, not a real (audio) stream")
        sfs = opts.get("sf", DEFAULT_SFS)
        self.params = {sf: params_for(opts, sf) for sf in sfs}
        bw = float(next(iter(self.params.values())).bw)
        fs = float(info.sample_rate)
        channels = opts.get("channels", [0.0])
        for off in channels:
            if abs(off) + bw / 2 > fs / 2 + 1e-6 and fs > bw * 1.0001:
                raise ConfigError(
                    f"LoRa channel at {off:+g} Hz (bw {bw:g}) lies outside the "
                    f"{fs:g} Hz wide capture"
                )
        if fs < bw * 0.999:
            raise ConfigError(f"sample rate {fs:g} Hz is below the LoRa bandwidth {bw:g} Hz")
        self.info = info
        self.fs = fs
        self.raw = SampleBuffer()
        self.bank: FftChannelizer | None = None
        # one scan engine per SF (whole-bin and half-bin), shared by the channels
        engines = {sf: (ScanEngine(sf), ScanEngine(sf, 0.5, HALF_ROWS)) for sf in sfs}
        if fs > 2 * bw * (1 + 1e-9):  # wideband: one filter bank for all channels
            self.bank = FftChannelizer(fs, 2 * bw, list(channels))
            rate = self.bank.rate
            self.resampler = FrameResampler(rate, bw)
            self.channels = [
                _Channel(off, fs, bw, sfs, opts, self.resampler, engines, center, rate)
                for off, center in zip(channels, self.bank.centers, strict=True)
            ]
        else:
            self.resampler = FrameResampler(fs, bw)
            self.channels = [
                _Channel(off, fs, bw, sfs, opts, self.resampler, engines) for off in channels
            ]
            for ch in self.channels:
                for det in ch.detectors:
                    det.raw = self.raw

    def process(self, block: SampleBlock) -> list[Frame]:
        x = np.asarray(block.samples)
        if x.dtype.kind != "c":
            raise InputError("LoRa needs complex IQ samples")
        x = x.astype(np.complex64, copy=False)
        if self.bank is not None:
            for ch, (y, j0) in zip(self.channels, self.bank.process(x, block.start), strict=True):
                ch.feed_source(y, j0)
            return self._run(final=False)
        if block.start > self.raw.stop:
            self.raw.append(np.zeros(block.start - self.raw.stop, dtype=np.complex64))
        elif block.start < self.raw.stop:  # overlapping block: keep only the new part
            x = x[self.raw.stop - block.start :]
        start = self.raw.stop
        self.raw.append(x)
        for ch in self.channels:
            ch.feed(*ch.chan.process(x, start, shared=self.raw))
        return self._run(final=False)

    def flush(self) -> list[Frame]:
        if self.bank is not None:
            for ch, (y, j0) in zip(self.channels, self.bank.flush(), strict=True):
                ch.feed_source(y, j0)
        return self._run(final=True)

    def _prescan(self) -> None:
        """Scan the new windows of every channel at once, one engine call per SF."""
        if len(self.channels) < 2:
            return  # one detector per engine: its own scan is the same call
        for i in range(len(self.channels[0].detectors)):
            dets = [ch.detectors[i] for ch in self.channels]
            todo = [(det, det.scan_segment(det.stream.stop // det.n)) for det in dets]
            work = [(det, got) for det, got in todo if got is not None]
            if not work:
                continue
            rows = dets[0].engine.pair_rows([got[1] for _, got in work], lead=3)
            for (det, got), r in zip(work, rows, strict=True):
                det.scan_rows(got[0], r)

    def _run(self, final: bool) -> list[Frame]:
        frames: list[Frame] = []
        self._prescan()
        for ch in self.channels:
            for det in ch.detectors:
                frames += det.run(final=final)
        if not final:
            self._trim()
        return self._finish(frames)

    def _trim(self) -> None:
        keep_raw = self.raw.stop
        for ch in self.channels:
            keep_stream = ch.stream.stop
            keep_source = ch.source.stop if ch.source is not None else 0
            for det in ch.detectors:
                s, r = det.keep_from()
                keep_stream = min(keep_stream, s)
                keep_raw = min(keep_raw, r)
                keep_source = min(keep_source, r)
            ch.stream.trim(keep_stream)
            if ch.source is not None:
                ch.source.trim(keep_source)
            else:  # a channel filter without a mixer reads the input in place
                keep_raw = min(keep_raw, ch.chan.keep_from())
        self.raw.trim(keep_raw)

    def _finish(self, frames: list[Frame]) -> list[Frame]:
        for f in frames:
            f.time = self.info.time_of(f.sample_index)
            f.center_freq_hz = self.info.center_freq
        frames.sort(key=lambda f: f.sample_index)
        return frames
