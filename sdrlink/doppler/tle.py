"""Two-line element sets: read a file of one or many satellites and pick one.

Both the 2-line form (no name) and the 3-line form (a name line, optionally
starting with "0 ") are accepted, mixed in one file. Each element line's
modulo-10 checksum is verified, so a corrupted or hand-edited TLE fails here
with the file and line number instead of giving a silently wrong orbit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdrlink.errors import ConfigError, InputError


@dataclass(frozen=True)
class Tle:
    """One element set: ``name`` (may be ""), the two element lines and the NORAD id."""

    name: str
    line1: str
    line2: str

    @property
    def norad(self) -> int:
        return int(self.line1[2:7].strip() or 0)

    @property
    def label(self) -> str:
        """The name when known, else "NORAD nnnnn"."""
        return self.name or f"NORAD {self.norad}"


def checksum(line: str) -> int:
    """Modulo-10 TLE checksum of the first 68 characters (digits count, '-' counts 1)."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def _check_line(line: str, number: str, where: str) -> None:
    if len(line) < 69:
        raise InputError(f"{where}: TLE line {number} is {len(line)} characters, expected 69")
    if not line[68].isdigit():
        raise InputError(f"{where}: TLE line {number} has no checksum digit in column 69")
    if checksum(line) != int(line[68]):
        raise InputError(
            f"{where}: TLE line {number} checksum mismatch (says {line[68]}, "
            f"computed {checksum(line)})"
        )


def parse_tles(text: str, source: str = "<text>") -> list[Tle]:
    """All element sets in ``text``; InputError on a malformed or unpaired line."""
    lines = [ln.rstrip() for ln in text.splitlines()]
    out: list[Tle] = []
    name = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        where = f"{source}:{i + 1}"
        if not line.strip():
            i += 1
            continue
        if line.startswith("1 ") and len(line) >= 60:
            if i + 1 >= len(lines) or not lines[i + 1].startswith("2 "):
                raise InputError(f"{where}: TLE line 1 is not followed by a line 2")
            line2 = lines[i + 1]
            _check_line(line, "1", where)
            _check_line(line2, "2", f"{source}:{i + 2}")
            if line[2:7] != line2[2:7]:
                raise InputError(f"{where}: TLE lines 1 and 2 carry different NORAD ids")
            out.append(Tle(name, line[:69], line2[:69]))
            name = ""
            i += 2
            continue
        if line.startswith("2 ") and len(line) >= 60:
            raise InputError(f"{where}: TLE line 2 without a line 1 before it")
        if name:
            raise InputError(f"{where}: expected TLE line 1 after the name {name!r}")
        name = line[2:].strip() if line.startswith("0 ") else line.strip()
        i += 1
    if name:
        raise InputError(f"{source}: name {name!r} at the end has no element lines")
    return out


def read_tle_file(path: str | os.PathLike[str]) -> list[Tle]:
    """All element sets in a file; InputError when missing, unreadable or empty."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(f"{p}: TLE file not found") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read TLE file ({exc.strerror})") from None
    tles = parse_tles(text, str(p))
    if not tles:
        raise InputError(f"{p}: no TLE element sets in the file")
    return tles


def select_tle(tles: list[Tle], sat: str | int | None, source: str = "TLE file") -> Tle:
    """The set named ``sat`` (case-insensitive) or with NORAD id ``sat``.

    With ``sat`` None the file must hold exactly one satellite. ConfigError lists
    the satellites in the file when nothing matches.
    """
    if sat is None or str(sat).strip() == "":
        if len(tles) == 1:
            return tles[0]
        raise ConfigError(f"{source} holds {len(tles)} satellites; say which one ({_names(tles)})")
    key = str(sat).strip()
    if key.isdigit():
        for t in tles:
            if t.norad == int(key):
                return t
    folded = key.casefold()
    for t in tles:
        if t.name.casefold() == folded:
            return t
    matches = [t for t in tles if folded in t.name.casefold()]
    if len(matches) == 1:
        return matches[0]
    raise ConfigError(f"satellite {key!r} not in {source}; it holds: {_names(tles)}")


def load_tle(path: str | os.PathLike[str], sat: str | int | None) -> Tle:
    """Read ``path`` and select ``sat`` in one step."""
    return select_tle(read_tle_file(path), sat, str(path))


def _names(tles: list[Tle]) -> str:
    shown = [f"{t.label} ({t.norad})" if t.name else t.label for t in tles[:20]]
    more = f", ... {len(tles) - 20} more" if len(tles) > 20 else ""
    return ", ".join(shown) + more


#: A TLE further than this from the time it is used for is stale: SGP4 errors
#: grow by kilometres a day, which is tens of Hz of Doppler at UHF.
STALE_DAYS = 14.0


def stale_warning(label: str, epoch: Any, when: Any) -> str | None:
    """A one-line warning when ``epoch`` is more than STALE_DAYS from ``when``, else None."""
    days = abs((when - epoch).total_seconds()) / 86400.0
    if days <= STALE_DAYS:
        return None
    return (
        f"the TLE of {label} (epoch {epoch:%Y-%m-%d}) is {days:.0f} days from "
        f"{when:%Y-%m-%d}; predictions that far off are unreliable: get a fresh TLE"
    )
