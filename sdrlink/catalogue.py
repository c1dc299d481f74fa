"""Satellite catalogue: which protocol and options each satellite uses.

The data live in ``sdrlink/data/satellites.json`` (package data), one entry per
satellite with its name, aliases, NORAD id, downlink frequency, protocol, the
protocol options (the keys that protocol's ``make_params`` takes), a note and
the source of the values.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from sdrlink.errors import ConfigError, InputError


@dataclass(frozen=True)
class Satellite:
    """One catalogue entry."""

    name: str
    aliases: tuple[str, ...]
    norad: int | None
    frequency_hz: float
    protocol: str
    options: dict[str, Any]
    note: str = ""
    source: str = ""
    alt_options: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def names(self) -> list[str]:
        """The name followed by the aliases."""
        return [self.name, *self.aliases]


def _parse(entry: dict[str, Any]) -> Satellite:
    try:
        return Satellite(
            name=str(entry["name"]),
            aliases=tuple(str(a) for a in entry.get("aliases", ())),
            norad=None if entry.get("norad") is None else int(entry["norad"]),
            frequency_hz=float(entry["frequency_hz"]),
            protocol=str(entry["protocol"]),
            options=dict(entry.get("options", {})),
            note=str(entry.get("note", "")),
            source=str(entry.get("source", "")),
            alt_options=tuple(dict(o) for o in entry.get("alt_options", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"bad satellite catalogue entry {entry.get('name', '?')!r}: {exc}"
        ) from None


@lru_cache(maxsize=1)
def _load() -> tuple[Satellite, ...]:
    text = resources.files("sdrlink").joinpath("data/satellites.json").read_text("utf-8")
    data = json.loads(text)
    return tuple(_parse(e) for e in data["satellites"])


def load_catalogue() -> list[Satellite]:
    """All catalogue entries, in file order."""
    return list(_load())


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def find_satellite(name_or_norad: str | int) -> Satellite:
    """The satellite with this name, alias or NORAD id (case and punctuation ignored).

    Raises ConfigError naming close matches when there is none.
    """
    sats = _load()
    query = str(name_or_norad).strip()
    if query.isdigit():
        for sat in sats:
            if sat.norad == int(query):
                return sat
    key = _key(query)
    for sat in sats:
        if any(_key(n) == key for n in sat.names()):
            return sat
    by_key = {_key(n): sat.name for sat in sats for n in sat.names()}
    close = difflib.get_close_matches(key, list(by_key), n=5, cutoff=0.5)
    names = sorted({by_key[c] for c in close})
    hint = f"; did you mean: {', '.join(names)}?" if names else "; see 'sdrlink sats'"
    raise ConfigError(f"unknown satellite {query!r}{hint}")
