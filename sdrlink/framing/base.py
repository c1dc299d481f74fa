"""The uniform face of a framing: options, deframer, encoder.

A framing turns the soft symbols a demodulator produces into checked frames
(and, for the modulators, a payload into channel bits). Demodulators of every
modulation (FSK, BPSK, ...) feed the same deframers, so a satellite's
transmitter is a modem plus a framing, both named by the catalogue.

Soft symbols are float32: a positive value means bit 1, a negative one bit 0,
the magnitude says how sure the demodulator is (its scale is the
demodulator's; deframers that need calibrated values normalise them). The
channel's polarity is not known (FM discriminators and BPSK carrier recovery
can both invert it): deframers find frames in either polarity unless told.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink.errors import ConfigError


@dataclass
class RawFrame:
    """A frame found in a deframer's symbol window.

    ``start`` and ``stop`` index the window passed to :meth:`Deframer.scan`
    (the first channel symbol of the frame's sync marker or opening flag, and
    one past its last symbol). ``crc_ok`` is the frame's own check: True when
    it matched, None when the framing has no check (such frames are emitted
    only when the code's decoder accepted them).
    """

    start: int
    stop: int
    payload: bytes
    crc_ok: bool | None
    fields: dict[str, Any] = field(default_factory=dict)


class Deframer(ABC):
    """Finds frames in a sliding window of soft symbols, streaming.

    The caller passes the window again after every block of new symbols:
    ``soft`` reaches back at least :attr:`window` symbols before its end (or
    to the start of the stream) and ``base`` is the absolute index of
    ``soft[0]``. The deframer remembers, by absolute index, what it already
    examined, so every frame is found exactly once whatever the block sizes.
    ``final`` says no more symbols will come (frames still waiting for their
    end are examined as they are).
    """

    #: symbols of history the caller must keep in the window
    window: int = 0

    @abstractmethod
    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        """Frames completed in this window (indices relative to ``soft``)."""


@dataclass(frozen=True)
class EncodedFrame:
    """Channel bits of one transmission and where its frame starts.

    ``bits`` (uint8 0/1, in transmission order) include the preamble and any
    postamble; ``start`` is the index the receiver reports as the frame's
    start (:attr:`RawFrame.start`), for truth annotations in simulations.
    """

    bits: np.ndarray
    start: int


@dataclass(frozen=True)
class FramingOption:
    """One option of a framing, as the catalogue, the API and the CLI give it.

    ``parse`` turns a value (a string from the command line, or a value from
    the catalogue or the API) into the canonical one, raising ConfigError or
    ValueError on a bad value. ``default`` is canonical; ``help`` says what
    the option means (the CLI adds the default).
    """

    key: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str
    metavar: str = "VALUE"

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")


@dataclass(frozen=True)
class Framing:
    """Registry entry of one framing.

    Attributes:
        name: canonical name (``--framing NAME``), lower case.
        description: one line for ``--help`` and ``sdrlink framings``.
        make_deframer: ``make_deframer(options, invert)``: a new deframer for
            the parsed options (every key of :attr:`options` present);
            ``invert`` None searches both polarities, True/False forces one.
        encode: ``encode(payload, options, preamble_bits)``: the channel bits
            of one transmission with at least ``preamble_bits`` of preamble,
            for the modulators and the tests; None when there is no encoder.
        aliases: other exact spellings accepted for the name (as the
            gr-satellites satellite descriptions write it, e.g. "AX.25 G3RUH").
        options: the framing's own options.
        max_payload: the longest payload (bytes) the framing carries.
        polarity_free: the line code makes the polarity irrelevant (NRZI),
            so deframing once is enough whatever the polarity.
        ax25: the payloads are AX.25 frames (what KISS tools take).
    """

    name: str
    description: str
    make_deframer: Callable[[Mapping[str, Any], bool | None], Deframer]
    encode: Callable[[bytes, Mapping[str, Any], int], EncodedFrame] | None = None
    aliases: tuple[str, ...] = ()
    options: tuple[FramingOption, ...] = ()
    max_payload: int = 255
    polarity_free: bool = False
    ax25: bool = False

    def parse_options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every option of this framing, parsed, with defaults for those not given.

        Raises ConfigError for keys this framing does not have or bad values.
        """
        known = {o.key: o for o in self.options}
        unknown = sorted(k for k, v in given.items() if v is not None and k not in known)
        if unknown:
            have = ", ".join(sorted(known)) or "none"
            raise ConfigError(
                f"framing {self.name} has no option {', '.join(unknown)} (its options: {have})"
            )
        out: dict[str, Any] = {}
        for key, opt in known.items():
            value = given.get(key)
            if value is None:
                out[key] = opt.default
                continue
            try:
                out[key] = opt.parse(value)
            except (TypeError, ValueError, ConfigError) as exc:
                raise ConfigError(f"framing {self.name}: bad {key} {value!r} ({exc})") from None
        return out


def parse_int_in(lo: int, hi: int) -> Callable[[Any], int]:
    """A parser for an integer within ``lo..hi`` (text may be 0x-prefixed)."""

    def parse(value: Any) -> int:
        v = int(value, 0) if isinstance(value, str) else int(value)
        if isinstance(value, float) and value != v:
            raise ValueError("not an integer")
        if not lo <= v <= hi:
            raise ValueError(f"must be {lo}..{hi}")
        return v

    return parse


def parse_choice(*choices: str) -> Callable[[Any], str]:
    """A parser for one of ``choices`` (case-insensitive; None/"none" map to "none")."""

    def parse(value: Any) -> str:
        v = "none" if value is None else str(value).strip().lower()
        if v not in choices:
            raise ValueError(f"choose one of {', '.join(choices)}")
        return v

    return parse
