"""The station's TLE set: read from files and HTTP(S) URLs, refreshed, cached.

Each source is read on its own. A source that fails (unreachable, HTTP error,
not TLE text) keeps its last good element sets, from memory or from the disk
cache a previous run left, and the failure is reported as a warning. Where
several sources hold the same satellite, the newest epoch wins.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sdrlink.doppler.tle import Tle, parse_tles, select_tle
from sdrlink.errors import ConfigError, InputError, SdrlinkError

#: TLEs older than this at a pass are flagged in the schedule
STALE_DAYS = 14.0


def tle_epoch(tle: Tle) -> _dt.datetime:
    """The element set's epoch (UTC)."""
    yy = int(tle.line1[18:20])
    day = float(tle.line1[20:32])
    year = 2000 + yy if yy < 57 else 1900 + yy
    start = _dt.datetime(year, 1, 1, tzinfo=_dt.timezone.utc)
    return start + _dt.timedelta(days=day - 1)


def fetch_text(source: str, timeout: float = 30.0) -> str:
    """The text of a TLE file or HTTP(S) URL; InputError on any failure."""
    if "://" not in source:
        try:
            return Path(source).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(f"{source}: cannot read TLE file ({exc.strerror})") from None
    if not source.lower().startswith(("http://", "https://")):
        raise ConfigError(f"{source}: TLE sources are files or http(s):// URLs")
    req = urllib.request.Request(source, headers={"User-Agent": "sdrlink-station"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            data: bytes = resp.read(16 << 20)
    except urllib.error.HTTPError as exc:
        raise InputError(f"{source}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"{source}: cannot fetch TLEs ({reason})") from None
    return data.decode("utf-8", errors="replace")


@dataclass
class TleStore:
    """The current element sets of every source, refreshed on demand.

    ``cache_dir`` keeps the last good text of each source (atomically
    replaced), so that a station restarted without network still has TLEs.
    ``warn`` receives one line per failure.
    """

    sources: list[str]
    cache_dir: Path | None = None
    warn: Callable[[str], None] = print
    fetch: Callable[[str], str] = fetch_text
    by_source: dict[str, list[Tle]] = field(default_factory=dict)
    refreshed: _dt.datetime | None = None

    def _cache_path(self, source: str) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha1(source.encode()).hexdigest()[:16]
        return self.cache_dir / f"tle-{digest}.txt"

    def refresh(self, now: _dt.datetime) -> int:
        """Re-read every source; returns how many failed (their old sets are kept)."""
        from sdrlink.station.files import write_text_atomic

        failed = 0
        for src in self.sources:
            try:
                text = self.fetch(src)
                tles = parse_tles(text, src)
                if not tles:
                    raise InputError(f"{src}: no TLE element sets in it")
            except SdrlinkError as exc:
                failed += 1
                tles = self.by_source.get(src) or self._from_cache(src)
                kept = f"keeping {len(tles)} element set(s) from before" if tles else "none kept"
                self.warn(f"TLE refresh failed: {exc}; {kept}")
                if tles:
                    self.by_source[src] = tles
                continue
            self.by_source[src] = tles
            cache = self._cache_path(src)
            if cache is not None and "://" in src:
                cache.parent.mkdir(parents=True, exist_ok=True)
                write_text_atomic(cache, text)
        self.refreshed = now
        return failed

    def _from_cache(self, source: str) -> list[Tle]:
        cache = self._cache_path(source)
        if cache is None or not cache.exists():
            return []
        try:
            return parse_tles(cache.read_text(encoding="utf-8"), str(cache))
        except (OSError, SdrlinkError):
            return []

    def all(self) -> list[Tle]:
        """Every satellite once, the newest epoch of all sources."""
        best: dict[int, Tle] = {}
        for tles in self.by_source.values():
            for t in tles:
                old = best.get(t.norad)
                if old is None or tle_epoch(t) > tle_epoch(old):
                    best[t.norad] = t if t.name or old is None else Tle(old.name, t.line1, t.line2)
        return list(best.values())

    def find(self, keys: list[str]) -> Tle | None:
        """The element set for the first of ``keys`` (NORAD id or name) found, else None."""
        tles = self.all()
        for key in keys:
            try:
                return select_tle(tles, key)
            except ConfigError:
                continue
        return None


def age_days(tle: Tle, at: _dt.datetime) -> float:
    """Days between the TLE epoch and ``at`` (positive when the TLE is older)."""
    return (at - tle_epoch(tle)).total_seconds() / 86400.0


__all__ = ["STALE_DAYS", "TleStore", "age_days", "fetch_text", "tle_epoch"]
