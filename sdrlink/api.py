"""The Python API: decode a recording, a source or an array into Frames.

>>> frames = sdrlink.decode("pass.sigmf-meta", protocol="lora", sf=10, bw=125e3)
>>> frames = sdrlink.decode(samples, sample_rate=250e3, protocol="lora", sf=7)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdrlink.blocks import StreamInfo
from sdrlink.errors import ConfigError, InputError
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


@dataclass(frozen=True)
class Mode:
    """One transmitter mode to receive: a protocol and its (normalised) options.

    ``transmitter`` names the catalogue transmitter it comes from, if any; its
    frames carry it in ``fields["transmitter"]``.
    """

    protocol: Protocol
    options: dict[str, Any]
    transmitter: str | None = None


def plan_modes(
    protocol: str | None, sat: str | None = None, options: dict[str, Any] | None = None
) -> tuple[list[Mode], Any]:
    """The modes to decode, and the catalogue satellite (or None).

    Without ``sat``: one mode of ``protocol`` with ``options``. With ``sat`` and
    no options: every transmitter of the satellite sdrlink can decode (only
    those of ``protocol`` when it is given), whatever their protocols. With
    ``sat`` and options: those options replace the catalogue's modes: one mode,
    the first transmitter of the protocol (``protocol``, else the satellite's
    first decodable one) with the options on top.
    """
    explicit = {k: v for k, v in (options or {}).items() if v is not None}
    if not sat:
        proto, opts, _ = resolve_protocol(protocol, None, explicit)
        return [Mode(proto, opts)], None
    from sdrlink.catalogue import find_satellite

    satellite = find_satellite(sat)
    satellite.require_supported()
    txs = satellite.supported_transmitters()
    if protocol:
        txs = [t for t in txs if t.protocol == protocol.lower()]
        if not txs:
            have = ", ".join(sorted({t.protocol for t in satellite.supported_transmitters()}))
            raise ConfigError(
                f"satellite {satellite.name} has no {protocol!r} transmitter sdrlink decodes "
                f"(it has: {have})"
            )
    if explicit:
        tx = txs[0]
        proto = get_protocol(tx.protocol)
        opts = proto.normalize_options({**tx.options, **explicit})
        return [Mode(proto, opts, tx.name)], satellite
    modes = []
    for tx in txs:
        proto = get_protocol(tx.protocol)
        modes.append(Mode(proto, proto.normalize_options(dict(tx.options)), tx.name))
    return modes, satellite


class _Tagged(Receiver):
    """A receiver whose frames are tagged with their catalogue transmitter's name."""

    def __init__(self, rx: Receiver, transmitter: str) -> None:
        self.rx = rx
        self.transmitter = transmitter

    def _tag(self, frames: list[Frame]) -> list[Frame]:
        for f in frames:
            f.fields.setdefault("transmitter", self.transmitter)
        return frames

    def process(self, block: Any) -> list[Frame]:
        return self._tag(self.rx.process(block))

    def flush(self) -> list[Frame]:
        return self._tag(self.rx.flush())


def build_receivers(
    modes: Sequence[Mode], info: StreamInfo, notify: Callable[[str], None] | None = None
) -> list[Receiver]:
    """One receiver per mode.

    A mode the stream cannot carry (LoRa on FM audio, a baud rate above what the
    sample rate holds) is left out with a note to ``notify`` when other modes
    remain; when none remains, the first mode's error is raised.
    """
    receivers: list[Receiver] = []
    errors: list[Exception] = []
    for mode in modes:
        try:
            rx = mode.protocol.make_receiver(dict(mode.options), info)
        except (InputError, ConfigError) as exc:
            if len(modes) == 1:
                raise
            errors.append(exc)
            if notify is not None:
                notify(f"not decoding {mode.transmitter or mode.protocol.name}: {exc}")
            continue
        receivers.append(_Tagged(rx, mode.transmitter) if mode.transmitter else rx)
    if not receivers:
        raise errors[0]
    return receivers


def modes_label(modes: Sequence[Mode]) -> str:
    """The protocol name(s) of the modes, for logs: "fsk", "fsk+lora"."""
    names: list[str] = []
    for m in modes:
        if m.protocol.name not in names:
            names.append(m.protocol.name)
    return "+".join(names)


def modes_settings(modes: Sequence[Mode]) -> dict[str, Any]:
    """The options of a run, JSON-able: one mode's options, or the list of modes."""
    if len(modes) == 1:
        return dict(modes[0].options)
    return {
        "modes": [
            {"protocol": m.protocol.name, "transmitter": m.transmitter, **m.options} for m in modes
        ]
    }


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
    """Run the pipeline on an open source; returns the run statistics with the frames.

    With ``sat`` every decodable transmitter of the satellite is decoded (see
    :func:`plan_modes`); modes the stream cannot carry are left out with a warning.
    """
    import warnings

    modes, _ = plan_modes(protocol, sat, options)
    receivers = build_receivers(modes, source.info, notify=warnings.warn)
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
