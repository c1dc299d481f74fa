"""The uniform face of a protocol: parameters, modulator, receiver.

A protocol package (``sdrlink/protocols/NAME/``) exposes a module-level
``PROTOCOL = Protocol(...)`` and is named by one line in
:mod:`sdrlink.protocols` (the registry).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the registry and --help import no numpy
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
class Option:
    """One command-line option of a protocol, declared as data.

    The command line hands the value over as typed (a string); the protocol's
    ``make_params``/``normalize_options`` parse it, as they parse catalogue
    and API values, so there is one parser per option. A ``switch`` option
    takes no value and sets ``key`` to ``switch`` (``--no-crc``: crc=False).
    Each protocol's options live in their own namespace: two protocols may
    use the same flag (``--cr``) with different meanings.
    """

    key: str
    flag: str
    help: str
    metavar: str | None = None
    switch: Any = None
    choices: tuple[str, ...] | None = None
    receiver_only: bool = False  # not offered by 'sdrlink simulate' (e.g. a search range)


@dataclass(frozen=True)
class Protocol:
    """Registry entry describing one protocol.

    Attributes:
        name: short name used on the command line (``--protocol NAME``).
        description: one line for ``--help`` and ``sdrlink protocols``.
        cli_options: the protocol's command-line options (:class:`Option`),
            each help text stating the default; a callable so that a protocol
            can list options of components it loads on demand (framings).
        make_params: builds the parameter dataclass from an options dict
            (catalogue entry merged with CLI options); raises ConfigError.
        make_receiver: builds a receiver from an options dict and the stream.
        modulate: ``modulate(params, payload, sample_rate) -> samples``: the
            baseband waveform of one frame (complex64), for simulation and tests.
        normalize_options: one canonical form of an options dict, so that
            options that configure the same receiver compare equal (``sf=7``
            and ``sf=[7]``; ``bw="125k"`` and ``bw=125000``). Batch keys its
            "already decoded" log on it. Default: None values dropped.
        carries_ax25: whether frames decoded with these options are AX.25
            frames (what ``--kiss`` writes). Default: never.
    """

    name: str
    description: str
    cli_options: Callable[[], Sequence[Option]]
    make_params: Callable[[dict[str, Any]], Any]
    make_receiver: Callable[[dict[str, Any], StreamInfo], Receiver]
    modulate: Callable[[Any, bytes, float], np.ndarray]
    normalize_options: Callable[[dict[str, Any]], dict[str, Any]] = field(
        default=lambda options: {k: v for k, v in options.items() if v is not None}
    )
    carries_ax25: Callable[[dict[str, Any]], bool] = field(default=lambda options: False)


def framing_cli_options(framings: Sequence[Any]) -> list[Option]:
    """Command-line options for the framings' own options, one per key.

    Framings that share a key (``frame_size``) share the flag; its help names
    them. For the modems whose options include a framing's.
    """
    users: dict[str, list[Any]] = {}
    first: dict[str, Any] = {}
    for framing in framings:
        for fo in framing.options:
            first.setdefault(fo.key, fo)
            users.setdefault(fo.key, []).append(framing)
    out = []
    for key, fo in first.items():
        names = ", ".join(f.name for f in users[key])
        defaults = {repr(o.default) for f in users[key] for o in f.options if o.key == key}
        default = f"; default {fo.default}" if len(defaults) == 1 else ""
        out.append(Option(key, fo.flag, f"{fo.help} (framing {names}{default})", fo.metavar))
    return out
