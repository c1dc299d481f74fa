"""The Python API: decode a recording, a source or an array into Frames.

>>> frames = sdrlink.decode("pass.sigmf-meta", protocol="lora", sf=10, bw=125e3)
>>> frames = sdrlink.decode(samples, sample_rate=250e3, protocol="lora", sf=7)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sdrlink.blocks import StreamInfo
from sdrlink.errors import ConfigError
from sdrlink.frame import Frame
from sdrlink.pipeline import RunStats, Sink, Stage, run
from sdrlink.protocols import Protocol, Receiver, get_protocol
from sdrlink.sources import open_source
from sdrlink.sources.array import ArraySource
from sdrlink.sources.base import DEFAULT_BLOCK, Source


def resolve_protocol(
    protocol: str | None, sat: str | None = None, options: dict[str, Any] | None = None
) -> tuple[Protocol, dict[str, Any], Any]:
    """Protocol and merged options: catalogue entry of ``sat`` first, then ``options``.

    Returns ``(protocol, options, satellite_or_None)``.
    """
    merged: dict[str, Any] = {}
    satellite = None
    if sat:
        from sdrlink.catalogue import find_satellite

        satellite = find_satellite(sat)
        if not protocol:
            satellite.require_supported()  # names why, e.g. a BPSK-only satellite
        if protocol and protocol.lower() != satellite.protocol:
            raise ConfigError(
                f"satellite {satellite.name} uses protocol {satellite.protocol!r}, not {protocol!r}"
            )
        protocol = satellite.protocol
        merged.update(satellite.options)
    if not protocol:
        raise ConfigError("say which protocol to decode (--protocol NAME or --sat NAME)")
    merged.update({k: v for k, v in (options or {}).items() if v is not None})
    proto = get_protocol(protocol)
    # one canonical form (strings from the command line parsed, aliases resolved);
    # raises ConfigError naming the accepted options for unknown or bad ones
    return proto, proto.normalize_options(merged), satellite


def build_receivers(
    proto: Protocol,
    options: dict[str, Any],
    info: StreamInfo,
    satellite: Any = None,
    explicit: dict[str, Any] | None = None,
) -> list[Receiver]:
    """The receiver for ``options`` plus one per alternative transmitter mode.

    A catalogue satellite may list other modes of its downlink
    (``alt_options``, e.g. a 1k2 and a 9k6 transmitter); they are decoded too
    unless the user gave protocol options explicitly (``explicit``).
    """
    receivers = [proto.make_receiver(options, info)]
    if satellite is not None and not explicit:
        for alt in getattr(satellite, "alt_options", ()):
            receivers.append(proto.make_receiver(dict(alt), info))
    return receivers


def decode_source(
    source: Source,
    protocol: str | None = None,
    *,
    sat: str | None = None,
    options: dict[str, Any] | None = None,
    stages: Sequence[Stage] = (),
    sinks: Sequence[Sink] = (),
    block_size: int = DEFAULT_BLOCK,
    progress: Callable[[int], None] | None = None,
) -> RunStats:
    """Run the pipeline on an open source; returns the run statistics with the frames."""
    proto, opts, satellite = resolve_protocol(protocol, sat, options)
    explicit = {k: v for k, v in (options or {}).items() if v is not None}
    receivers = build_receivers(proto, opts, source.info, satellite, explicit)
    return run(source, receivers, sinks, stages, block_size=block_size, progress=progress)


def decode(
    recording: str | os.PathLike | np.ndarray | Source | Any,
    protocol: str | None = None,
    *,
    sat: str | None = None,
    sample_rate: float | None = None,
    center_freq: float | None = None,
    block_size: int = DEFAULT_BLOCK,
    include_bad: bool = False,
    stages: Sequence[Stage] = (),
    **options: Any,
) -> list[Frame]:
    """Decode a file path, an open Recording/Source, or a NumPy array.

    Protocol options are keyword arguments (``sf=9, bw=125e3``) or come from the
    satellite catalogue (``sat="US01"``). ``stages`` run ahead of the receiver
    (e.g. :func:`sdrlink.doppler.stage.make_doppler_stage`). Frames with a failed
    CRC are dropped unless ``include_bad``. Frames are returned in time order.
    """
    if isinstance(recording, np.ndarray):
        if sample_rate is None:
            raise ConfigError("decoding an array needs sample_rate=")
        source: Source = ArraySource(recording, sample_rate, center_freq)
    elif isinstance(recording, Source):
        source = recording
    elif hasattr(recording, "open_source"):
        source = recording.open_source()
    else:
        kwargs: dict[str, Any] = {}
        if sample_rate is not None:
            kwargs["sample_rate"] = sample_rate
        if center_freq is not None:
            kwargs["center_freq"] = center_freq
        source = open_source(os.fspath(recording), **kwargs)
    with source:
        stats = decode_source(
            source, protocol, sat=sat, options=options, stages=stages, block_size=block_size
        )
    frames = [f for f in stats.frame_list if include_bad or f.crc_ok is not False]
    frames.sort(key=lambda f: (f.sample_index, f.freq_offset_hz))
    return frames
