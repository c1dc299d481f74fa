"""The uniform face of a protocol: parameters, modulator, receiver.

A protocol package (``sdrlink/protocols/NAME/``) exposes a module-level
``PROTOCOL = Protocol(...)`` and is named by one line in
:mod:`sdrlink.protocols` (the registry).
"""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.frame import Frame


class Receiver(ABC):
    """Consumes consecutive sample blocks and returns the frames it completed.

    A receiver keeps all the state it needs between blocks (overlap buffers,
    tracking loops), so the frames it returns must not depend on how the
    stream was cut into blocks. ``Frame.sample_index`` is absolute.
    """

    @abstractmethod
    def process(self, block: SampleBlock) -> list[Frame]:
        """Feed the next block; return frames completed so far."""

    def flush(self) -> list[Frame]:
        """End of stream: return frames still pending (e.g. near the end)."""
        return []


@dataclass(frozen=True)
class Protocol:
    """Registry entry describing one protocol.

    Attributes:
        name: short name used on the command line (``--protocol NAME``).
        description: one line for ``--help`` and ``sdrlink protocols``.
        add_arguments: adds the protocol's CLI options to an argparse group.
            Every option defaults to None so that unset options can be told
            apart from catalogue values.
        options_from_args: the explicitly given CLI options as a dict of
            parameter values (strings such as "125k" already parsed).
        make_params: builds the parameter dataclass from an options dict
            (catalogue entry merged with CLI options); raises ConfigError.
        make_receiver: builds a receiver from an options dict and the stream.
        modulate: ``modulate(params, payload, sample_rate) -> samples``: the
            baseband waveform of one frame (complex64), for simulation and tests.
        normalize_options: one canonical form of an options dict, so that
            options that configure the same receiver compare equal (``sf=7``
            and ``sf=[7]``; ``bw="125k"`` and ``bw=125000``). Batch keys its
            "already decoded" log on it. Default: None values dropped.
    """

    name: str
    description: str
    add_arguments: Callable[[argparse._ArgumentGroup], None]
    options_from_args: Callable[[argparse.Namespace], dict[str, Any]]
    make_params: Callable[[dict[str, Any]], Any]
    make_receiver: Callable[[dict[str, Any], StreamInfo], Receiver]
    modulate: Callable[[Any, bytes, float], np.ndarray]
    normalize_options: Callable[[dict[str, Any]], dict[str, Any]] = field(
        default=lambda options: {k: v for k, v in options.items() if v is not None}
    )
