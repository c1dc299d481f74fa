"""Streaming LoRa receiver: several channels and spreading factors at once.

Per channel, a :class:`~.channel.Channelizer` turns the input into one sample
per chip. Per spreading factor, a :class:`~.sync.Detector` dechirps that
stream in fixed windows (batched FFTs over whole blocks) and, when a preamble
shows up, synchronises and demodulates the frame from the raw input again
(:mod:`.sync`), centred on its own carrier offset and timing. All state is
keyed on absolute sample indices, so frames do not depend on block sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.errors import ConfigError, InputError
from sdrlink.frame import Frame
from sdrlink.protocols.base import Receiver
from sdrlink.protocols.lora.channel import Channelizer, FrameResampler, SampleBuffer
from sdrlink.protocols.lora.params import DEFAULT_SFS, normalize_options, params_for
from sdrlink.protocols.lora.sync import Detector


class _Channel:
    def __init__(
        self,
        offset: float,
        fs: float,
        bw: float,
        sfs: list[int],
        options: dict[str, Any],
        resampler: FrameResampler,
    ) -> None:
        self.offset = offset
        self.chan = Channelizer(fs, bw, offset)
        self.stream = SampleBuffer()
        self.detectors = [
            Detector(params_for(options, sf), offset, fs, self.stream, resampler) for sf in sfs
        ]


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
        self.resampler = FrameResampler(fs, bw)
        self.channels = [_Channel(off, fs, bw, sfs, opts, self.resampler) for off in channels]
        for ch in self.channels:
            for det in ch.detectors:
                det.raw = self.raw

    def process(self, block: SampleBlock) -> list[Frame]:
        x = np.asarray(block.samples)
        if x.dtype.kind != "c":
            raise InputError("LoRa needs complex IQ samples")
        x = x.astype(np.complex64, copy=False)
        if block.start > self.raw.stop:
            self.raw.append(np.zeros(block.start - self.raw.stop, dtype=np.complex64))
        elif block.start < self.raw.stop:  # overlapping block: keep only the new part
            x = x[self.raw.stop - block.start :]
        start = self.raw.stop
        self.raw.append(x)
        frames: list[Frame] = []
        for ch in self.channels:
            y, k0 = ch.chan.process(x, start)
            if k0 > ch.stream.stop:
                ch.stream.append(np.zeros(k0 - ch.stream.stop, dtype=np.complex64))
            ch.stream.append(y)
            for det in ch.detectors:
                frames += det.run(final=False)
        self._trim()
        return self._finish(frames)

    def flush(self) -> list[Frame]:
        frames: list[Frame] = []
        for ch in self.channels:
            for det in ch.detectors:
                frames += det.run(final=True)
        return self._finish(frames)

    def _trim(self) -> None:
        keep_raw = self.raw.stop
        for ch in self.channels:
            keep_stream = ch.stream.stop
            for det in ch.detectors:
                s, r = det.keep_from()
                keep_stream = min(keep_stream, s)
                keep_raw = min(keep_raw, r)
            ch.stream.trim(keep_stream)
        self.raw.trim(keep_raw)

    def _finish(self, frames: list[Frame]) -> list[Frame]:
        for f in frames:
            f.time = self.info.time_of(f.sample_index)
            f.center_freq_hz = self.info.center_freq
        frames.sort(key=lambda f: f.sample_index)
        return frames
