"""The station's configuration: one TOML file, checked up front with one-line errors.

Everything the station needs to run unattended for weeks is in this file:
where it is, which radio it uses, which satellites it follows (names from the
catalogue, each with a priority and a minimum elevation), where the TLEs come
from and how often they are refreshed, where recordings and the frame log go,
and the optional rotator. :data:`EXAMPLE_CONFIG` is the commented example that
``sdrlink station --example-config`` prints; it parses as it stands.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdrlink.doppler.orbit import Station, parse_station
from sdrlink.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

EXAMPLE_CONFIG = """\
# sdrlink station configuration (TOML). Paths are relative to this file.

[station]
name = "my-station"
position = "52.2,0.12,30"     # latitude, longitude (degrees), altitude (metres, WGS-84)
min_elevation = 10            # degrees; default for every satellite below
horizon_hours = 24            # how far ahead the schedule is planned

[sdr]
device = "rtl_tcp=127.0.0.1:1234"   # as 'sdrlink live --device': SoapySDR args or rtl_tcp=HOST:PORT
rate = "1.024M"               # sample rate; must hold the downlink, its Doppler and its bandwidth
gain = "40"                   # dB, "agc", or per element "LNA=20,VGA=10"
# ppm = 0                     # frequency correction
# record_format = "cu8"       # cu8 (default for rtl_tcp), ci8, ci16_le or cf32_le
# record = true               # SigMF recording of every pass (1.024 Msps cu8: 2 MB/s)
# give_up = 60                # seconds a radio that never answers is retried at a pass

# One table per satellite: a catalogue name ('sdrlink sats'), the priority that
# decides between overlapping passes (higher wins, then the higher elevation)
# and the lowest elevation worth recording. 'tle' names the satellite in the
# TLE sets when it differs from the catalogue's NORAD id or name.
[[satellite]]
name = "US01"
priority = 2
min_elevation = 15

[[satellite]]
name = "FACSAT-1"
priority = 1

[tle]
sources = ["amateur.tle"]     # files or HTTP(S) URLs of TLE text (CelesTrak FORMAT=tle)
# sources = ["https://celestrak.org/NORAD/elements/gp.php?GROUP=amateur&FORMAT=tle"]
refresh_hours = 12            # a failed refresh keeps the last good set and warns

[output]
folder = "station-data"       # recordings, frame exports, schedule, state and log
frame_log = "frames.sqlite"   # SQLite frame log, relative to the folder

# A rotator behind Hamlib's rotctld ('rotctld -m MODEL -r /dev/ttyUSB0 -t 4533').
# [rotator]
# address = "127.0.0.1:4533"
# park = [0, 90]              # azimuth, elevation after each pass
# lead_s = 60                 # turn to the rise azimuth this long before AOS
"""

RECORD_TYPES = ("cf32_le", "ci16_le", "ci8", "cu8")


@dataclass(frozen=True)
class SatelliteConfig:
    """One followed satellite: catalogue name, priority, minimum elevation, TLE key."""

    name: str
    priority: float = 0.0
    min_elevation: float = 10.0
    tle: str | None = None


@dataclass(frozen=True)
class SdrConfig:
    """The radio, in the terms of ``sdrlink live``."""

    device: str = ""
    rate: float = 1.024e6
    gain: str | None = None
    ppm: float | None = None
    antenna: str | None = None
    bandwidth: float | None = None
    record: bool = True
    record_format: str | None = None
    give_up_s: float = 60.0
    buffer_s: float = 2.0

    @property
    def is_rtltcp(self) -> bool:
        return self.device.strip().lower().startswith("rtl_tcp")

    @property
    def datatype(self) -> str:
        return self.record_format or ("cu8" if self.is_rtltcp else "cf32_le")


@dataclass(frozen=True)
class RotatorConfig:
    """A rotctld server and how to use it."""

    host: str
    port: int = 4533
    park_az: float = 0.0
    park_el: float = 90.0
    lead_s: float = 60.0
    update_s: float = 1.0


@dataclass
class StationConfig:
    """The whole configuration (see :data:`EXAMPLE_CONFIG`)."""

    name: str
    station: Station
    satellites: list[SatelliteConfig]
    tle_sources: list[str]
    sdr: SdrConfig = field(default_factory=SdrConfig)
    folder: Path = Path("station-data")
    frame_log: Path | None = None
    refresh_hours: float = 12.0
    horizon_hours: float = 24.0
    rotator: RotatorConfig | None = None
    path: Path | None = None

    @property
    def passes_dir(self) -> Path:
        return self.folder / "passes"


def _si(value: Any, what: str) -> float:
    from sdrlink.sources.files import parse_si

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return parse_si(str(value))
    except Exception:
        raise ConfigError(f"{what}: not a number: {value!r} (e.g. 1.024M)") from None


def _num(table: dict[str, Any], key: str, default: float, what: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{what}.{key} must be a number, not {value!r}")
    return float(value)


def _table(data: dict[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{where}: missing [{key}] table")
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


def _unknown(table: dict[str, Any], allowed: set[str], what: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ConfigError(
            f"{what}: unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}"
        )


def _station(data: dict[str, Any], where: str) -> tuple[str, Station, float, float]:
    st = _table(data, "station", where, required=True)
    _unknown(st, {"name", "position", "min_elevation", "horizon_hours"}, "[station]")
    if "position" not in st:
        raise ConfigError(f'{where}: [station] needs position = "LAT,LON,ALT"')
    pos = st["position"]
    if isinstance(pos, list):
        pos = ",".join(str(v) for v in pos)
    min_el = _num(st, "min_elevation", 10.0, "[station]")
    horizon = _num(st, "horizon_hours", 24.0, "[station]")
    if not 1 <= horizon <= 24 * 14:
        raise ConfigError(f"[station] horizon_hours {horizon:g} outside 1..336")
    return str(st.get("name", "sdrlink")), parse_station(str(pos)), min_el, horizon


def _satellites(data: dict[str, Any], min_el: float, where: str) -> list[SatelliteConfig]:
    from sdrlink.catalogue import find_satellite

    entries = data.get("satellite")
    if not entries or not isinstance(entries, list):
        raise ConfigError(f"{where}: list the satellites to follow in [[satellite]] tables")
    out: list[SatelliteConfig] = []
    for i, entry in enumerate(entries, 1):
        what = f"[[satellite]] #{i}"
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError(f'{what} needs name = "CATALOGUE NAME"')
        _unknown(entry, {"name", "priority", "min_elevation", "tle"}, what)
        sat = find_satellite(str(entry["name"]))  # ConfigError with close matches
        el = _num(entry, "min_elevation", min_el, what)
        if not 0 <= el < 90:
            raise ConfigError(f"{what}: min_elevation {el:g} outside 0..90 degrees")
        tle = entry.get("tle")
        out.append(
            SatelliteConfig(
                sat.name, _num(entry, "priority", 0.0, what), el, None if tle is None else str(tle)
            )
        )
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"{where}: satellite(s) listed twice: {', '.join(dup)}")
    return out


def _sdr(data: dict[str, Any]) -> SdrConfig:
    t = _table(data, "sdr", "config")
    allowed = {"device", "rate", "gain", "ppm", "antenna", "bandwidth", "record"}
    _unknown(t, allowed | {"record_format", "give_up", "buffer"}, "[sdr]")
    fmt = t.get("record_format")
    if fmt is not None and fmt not in RECORD_TYPES:
        raise ConfigError(f"[sdr] record_format {fmt!r}: choose one of {', '.join(RECORD_TYPES)}")
    rate = _si(t.get("rate", 1.024e6), "[sdr] rate")
    if not rate > 0:
        raise ConfigError("[sdr] rate must be positive")
    gain = t.get("gain")
    return SdrConfig(
        device=str(t.get("device", "")),
        rate=rate,
        gain=None if gain is None else str(gain),
        ppm=None if "ppm" not in t else _num(t, "ppm", 0.0, "[sdr]"),
        antenna=None if t.get("antenna") is None else str(t["antenna"]),
        bandwidth=None if t.get("bandwidth") is None else _si(t["bandwidth"], "[sdr] bandwidth"),
        record=bool(t.get("record", True)),
        record_format=fmt,
        give_up_s=_num(t, "give_up", 60.0, "[sdr]"),
        buffer_s=_num(t, "buffer", 2.0, "[sdr]"),
    )


def _rotator(data: dict[str, Any]) -> RotatorConfig | None:
    t = data.get("rotator")
    if t is None:
        return None
    if not isinstance(t, dict) or "address" not in t:
        raise ConfigError('[rotator] needs address = "HOST:PORT" (rotctld)')
    _unknown(t, {"address", "park", "lead_s", "update_s"}, "[rotator]")
    from sdrlink.sources.rtltcp import parse_host_port

    host, port = parse_host_port(str(t["address"]), default_port=4533)
    park = t.get("park", [0, 90])
    if not (isinstance(park, list) and len(park) == 2):
        raise ConfigError("[rotator] park must be [azimuth, elevation]")
    az, el = (float(v) for v in park)
    update = _num(t, "update_s", 1.0, "[rotator]")
    if not 0.1 <= update <= 10:
        raise ConfigError("[rotator] update_s must be 0.1..10 seconds")
    return RotatorConfig(host, port, az, el, _num(t, "lead_s", 60.0, "[rotator]"), update)


def parse_config(text: str, base: Path | None = None, where: str = "config") -> StationConfig:
    """Parse TOML ``text``; relative paths are taken from ``base`` (the file's folder)."""
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise ConfigError(
            "reading the station config needs tomli on Python 3.10: pip install tomli"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from None
    _unknown(data, {"station", "sdr", "satellite", "tle", "output", "rotator"}, where)
    base = base or Path.cwd()
    name, station, min_el, horizon = _station(data, where)
    tle = _table(data, "tle", where, required=True)
    _unknown(tle, {"sources", "refresh_hours"}, "[tle]")
    sources = tle.get("sources")
    if isinstance(sources, str):
        sources = [sources]
    if not sources or not all(isinstance(s, str) for s in sources):
        raise ConfigError("[tle] sources must list TLE files or URLs")
    sources = [s if "://" in s else str(base / os.path.expanduser(s)) for s in sources]
    refresh = _num(tle, "refresh_hours", 12.0, "[tle]")
    if not refresh > 0:
        raise ConfigError("[tle] refresh_hours must be positive")
    out = _table(data, "output", where)
    _unknown(out, {"folder", "frame_log"}, "[output]")
    folder = base / os.path.expanduser(str(out.get("folder", "station-data")))
    log = out.get("frame_log", "frames.sqlite")
    return StationConfig(
        name=name,
        station=station,
        satellites=_satellites(data, min_el, where),
        tle_sources=sources,
        sdr=_sdr(data),
        folder=folder,
        frame_log=None if not log else folder / str(log),
        refresh_hours=refresh,
        horizon_hours=horizon,
        rotator=_rotator(data),
    )


def load_config(path: str | os.PathLike[str]) -> StationConfig:
    """Read and check a station config file; ConfigError names what is wrong."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{p}: station config not found (sdrlink station --example-config)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc.strerror})") from None
    cfg = parse_config(text, p.resolve().parent, str(p))
    cfg.path = p
    return cfg
