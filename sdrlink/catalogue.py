"""Satellite catalogue: every satellite's transmitters and how sdrlink decodes them.

The data live in ``sdrlink/data/satellites.json`` (package data), built by
``scripts/catalogue/build_catalogue.py`` from gr-satellites' SatYAML files and a
hand-written overlay (LoRa satellites, corrections). Schema version 2::

    {"version": 2, "_comment": "...", "satellites": [
      {"name": "BY70-1",                  # as gr-satellites spells it
       "aliases": ["..."],                # gr-satellites alternative_names + other spellings
       "norad": 41909,                    # or null
       "source": "gr-satellites 4.4.0 (Debian bookworm) python/satyaml/BY70-1.yml",
       "note": "...",                     # optional
       "transmitters": [
         {"name": "9k6 BPSK downlink",    # as the source names it
          "frequency_hz": 436200000,
          "protocol": "bpsk",             # fsk | bpsk | lora (from the modulation)
          "options": {                    # the keys of that protocol's make_params
            "modulation": "bpsk", "baud": 9600,
            "framing": "CCSDS Concatenated",     # verbatim, gr-satellites' spelling
            "frame_size": 114, "rs_basis": "conventional", "precoding": "differential"},
          "source": "..."}                # only where it differs from the satellite's
       ]}]}

Option keys: ``modulation`` (the source's modulation lower-cased, spaces as ``_``:
fsk, afsk, fsk_subaudio, bpsk, dbpsk, dbpsk_manchester), ``baud``, ``framing``; AFSK
adds ``af_carrier`` and ``af_deviation`` (gr-satellites' ``af_carrier`` and
``deviation``: a 1 bit is sent at carrier + deviation); other modulations keep
``deviation``; ``frame_size``, ``rs_basis``, ``rs_interleaving``, ``precoding``,
``convolutional``, ``scrambler`` and any other SatYAML key, snake_cased, as given.
LoRa transmitters use LoRa's keys (``sf``, ``bw`` in Hz, ``cr`` 1..4 for 4/5..4/8,
``sync_word``, ``preamble_len``, ``crc``, ``ldro``, ``implicit_header``, ``payload_len``).

Whether sdrlink can decode a transmitter is not stored: :meth:`Transmitter.support`
asks the protocol registry, so support follows new protocols and framings by itself.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from sdrlink.errors import ConfigError, InputError

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Transmitter:
    """One downlink mode of a satellite."""

    name: str
    frequency_hz: float
    protocol: str
    options: dict[str, Any]
    source: str = ""

    def support(self) -> tuple[bool, str]:
        """``(True, "")`` when sdrlink can decode this transmitter, else ``(False, reason)``.

        Supported means the protocol is registered and its ``make_params`` takes
        the options; the ConfigError it raises otherwise is the reason.
        """
        from sdrlink.protocols import get_protocol

        try:
            get_protocol(self.protocol).make_params(dict(self.options))
        except ConfigError as exc:
            return False, str(exc)
        return True, ""

    @property
    def supported(self) -> bool:
        return self.support()[0]

    @property
    def modulation(self) -> str:
        return str(self.options.get("modulation", self.protocol))

    @property
    def framing(self) -> str:
        return str(self.options.get("framing", ""))

    @property
    def baud(self) -> float | None:
        baud = self.options.get("baud")
        return None if baud is None else float(baud)


@dataclass(frozen=True)
class Satellite:
    """One catalogue entry: names, NORAD id and every transmitter."""

    name: str
    aliases: tuple[str, ...]
    norad: int | None
    transmitters: tuple[Transmitter, ...]
    source: str = ""
    note: str = ""

    def names(self) -> list[str]:
        """The name followed by the aliases."""
        return [self.name, *self.aliases]

    def supported_transmitters(self) -> list[Transmitter]:
        return [t for t in self.transmitters if t.supported]

    @property
    def primary(self) -> Transmitter:
        """The first transmitter sdrlink can decode, else the first one."""
        supported = self.supported_transmitters()
        return supported[0] if supported else self.transmitters[0]

    # the properties callers of the one-mode schema use
    @property
    def frequency_hz(self) -> float:
        return self.primary.frequency_hz

    @property
    def protocol(self) -> str:
        return self.primary.protocol

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.primary.options)

    @property
    def alt_options(self) -> tuple[dict[str, Any], ...]:
        """Options of the other supported transmitters of the primary's protocol."""
        first = self.primary
        return tuple(
            dict(t.options)
            for t in self.supported_transmitters()
            if t is not first and t.protocol == first.protocol
        )

    def require_supported(self) -> None:
        """ConfigError naming why, when sdrlink can decode none of the transmitters."""
        if self.supported_transmitters():
            return
        reasons = "; ".join(f"{t.name}: {t.support()[1]}" for t in self.transmitters)
        raise ConfigError(f"sdrlink cannot decode {self.name} yet ({reasons})")


def _parse(entry: dict[str, Any]) -> Satellite:
    try:
        source = str(entry.get("source", ""))
        transmitters = tuple(
            Transmitter(
                name=str(t["name"]),
                frequency_hz=float(t["frequency_hz"]),
                protocol=str(t["protocol"]),
                options=dict(t.get("options", {})),
                source=str(t.get("source", source)),
            )
            for t in entry["transmitters"]
        )
        if not transmitters:
            raise ValueError("no transmitters")
        return Satellite(
            name=str(entry["name"]),
            aliases=tuple(str(a) for a in entry.get("aliases", ())),
            norad=None if entry.get("norad") is None else int(entry["norad"]),
            transmitters=transmitters,
            source=source,
            note=str(entry.get("note", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"bad satellite catalogue entry {entry.get('name', '?')!r}: {exc}"
        ) from None


@lru_cache(maxsize=1)
def _load() -> tuple[Satellite, ...]:
    text = resources.files("sdrlink").joinpath("data/satellites.json").read_text("utf-8")
    data = json.loads(text)
    if data.get("version") != SCHEMA_VERSION:
        raise InputError(f"satellite catalogue: schema version {data.get('version')!r}, want 2")
    return tuple(_parse(e) for e in data["satellites"])


def load_catalogue() -> list[Satellite]:
    """All catalogue entries, in file order (sorted by name)."""
    return list(_load())


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@lru_cache(maxsize=1)
def _index() -> dict[str, Satellite]:
    return {_key(n): sat for sat in _load() for n in sat.names()}


def find_satellite(name_or_norad: str | int) -> Satellite:
    """The satellite with this name, alias or NORAD id (case and punctuation ignored).

    Raises ConfigError naming close matches when there is none, or the candidates
    when a NORAD id belongs to several entries (placeholder ids such as 99999).
    """
    query = str(name_or_norad).strip()
    if query.isdigit():
        hits = [s for s in _load() if s.norad == int(query)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            names = ", ".join(s.name for s in hits)
            raise ConfigError(f"NORAD id {query} is given for several satellites: {names}")
    key = _key(query)
    index = _index()
    if key in index:
        return index[key]
    close = difflib.get_close_matches(key, list(index), n=5, cutoff=0.5)
    similar = sorted({index[c].name for c in close})
    hint = f"; did you mean: {', '.join(similar)}?" if similar else "; see 'sdrlink sats'"
    raise ConfigError(f"unknown satellite {query!r}{hint}")


__all__ = [
    "SCHEMA_VERSION",
    "Satellite",
    "Transmitter",
    "find_satellite",
    "load_catalogue",
]
