"""LoRa PHY parameters, their validation and command-line options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sdrlink.errors import ConfigError
from sdrlink.protocols.base import Option
from sdrlink.units import parse_si

LDRO_LIMIT_S = 16e-3
DEFAULT_SFS = list(
    range(5, 13)
)  # without --sf: every spreading factor  # auto LDRO: on when a symbol lasts longer than this


@dataclass(frozen=True)
class LoRaParams:
    """One LoRa configuration.

    ``cr`` is the coding-rate index 1..4 (4/5 .. 4/8). ``payload_len`` is only
    used with ``implicit_header``. ``ldro`` is "auto", True or False.
    """

    sf: int = 7
    bw: float = 125e3
    cr: int = 1
    implicit_header: bool = False
    payload_len: int | None = None
    crc: bool = True
    ldro: bool | str = "auto"
    sync_word: int = 0x12
    preamble_len: int = 8

    def __post_init__(self) -> None:
        if not isinstance(self.sf, int) or not 5 <= self.sf <= 12:
            raise ConfigError(f"LoRa spreading factor must be 5..12, not {self.sf!r}")
        if not 7.0e3 <= float(self.bw) <= 500e3 + 1:
            raise ConfigError(f"LoRa bandwidth must be 7.8k..500k Hz, not {self.bw!r}")
        if not isinstance(self.cr, int) or not 1 <= self.cr <= 4:
            raise ConfigError(f"LoRa coding rate must be 1..4 (4/5..4/8), not {self.cr!r}")
        if self.ldro not in ("auto", True, False):
            raise ConfigError(f"LoRa LDRO must be auto, on or off, not {self.ldro!r}")
        if not isinstance(self.sync_word, int) or not 0 <= self.sync_word <= 0xFF:
            raise ConfigError(f"LoRa sync word must be one byte, not {self.sync_word!r}")
        if not isinstance(self.preamble_len, int) or not 6 <= self.preamble_len <= 65535:
            raise ConfigError(f"LoRa preamble must be 6..65535 symbols, not {self.preamble_len!r}")
        if self.implicit_header:
            if self.payload_len is None or not 1 <= int(self.payload_len) <= 255:
                raise ConfigError("LoRa implicit header needs a payload length 1..255 (--length)")

    @property
    def n_bins(self) -> int:
        return 1 << self.sf

    @property
    def symbol_time(self) -> float:
        return self.n_bins / float(self.bw)

    @property
    def ldro_on(self) -> bool:
        """Whether low-data-rate optimisation is in effect."""
        if self.ldro == "auto":
            return self.symbol_time > LDRO_LIMIT_S
        return bool(self.ldro)

    @property
    def sync_values(self) -> tuple[int, int]:
        """Symbol values of the two sync-word up-chirps (nibble * 8, modulo 2**sf)."""
        n = self.n_bins
        return ((self.sync_word >> 4) * 8) % n, ((self.sync_word & 0xF) * 8) % n

    @property
    def extra_upchirps(self) -> int:
        """Up-chirps that SX126x chips add after the down-chirps at SF5/SF6 (package docstring)."""
        return 2 if self.sf < 7 else 0


def parse_bw(text: str | float) -> float:
    return parse_si(text)


def parse_cr(text: str | int) -> int:
    s = str(text).strip()
    if "/" in s:
        num, _, den = s.partition("/")
        if num.strip() != "4" or not den.strip().isdigit():
            raise ConfigError(f"coding rate {text!r}: use 1..4 or 4/5..4/8")
        value = int(den) - 4
    else:
        try:
            value = int(s)
        except ValueError:
            raise ConfigError(f"coding rate {text!r}: use 1..4 or 4/5..4/8") from None
    if not 1 <= value <= 4:
        raise ConfigError(f"coding rate {text!r}: use 1..4 or 4/5..4/8")
    return value


def parse_sf_list(text: str | int | list[int]) -> list[int]:
    if isinstance(text, int):
        items = [text]
    elif isinstance(text, (list, tuple)):
        items = [int(v) for v in text]
    elif str(text).strip().lower() == "all":
        items = list(range(5, 13))
    else:
        try:
            items = [int(v) for v in str(text).split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"spreading factor {text!r}: use e.g. 9, 7,9,12 or all") from None
    if not items or any(not 5 <= v <= 12 for v in items):
        raise ConfigError(f"spreading factor {text!r}: values must be 5..12")
    return sorted(set(items))


def parse_ldro(text: str | bool) -> bool | str:
    if isinstance(text, bool):
        return text
    s = str(text).strip().lower()
    table: dict[str, bool | str] = {"auto": "auto", "2": "auto"}
    table.update(dict.fromkeys(("on", "1", "true"), True))
    table.update(dict.fromkeys(("off", "0", "false"), False))
    if s not in table:
        raise ConfigError(f"LDRO {text!r}: use auto, on or off")
    return table[s]


def parse_int(text: str | int, what: str) -> int:
    try:
        return int(str(text), 0)
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not an integer") from None


def parse_channels(text: str | float | list[float]) -> list[float]:
    if isinstance(text, (int, float)):
        return [float(text)]
    if isinstance(text, (list, tuple)):
        return [parse_si(v) for v in text]
    return [parse_si(v) for v in str(text).split(",") if v.strip()]


OPTIONS = (
    Option("sf", "--sf", 'spreading factor(s): "9", "7,9,12" or "all" (default: all, 5..12)'),
    Option("bw", "--bw", 'LoRa bandwidth, e.g. "125k" (7.8k..500k; default 125k)', "HZ"),
    Option("cr", "--cr", 'coding rate 1..4 or "4/5".."4/8" (implicit header; default 4/5)'),
    Option(
        "implicit_header",
        "--implicit",
        "implicit header (give --length, --cr and CRC; default: explicit header)",
        switch=True,
    ),
    Option("payload_len", "--length", "payload length for an implicit header", "BYTES"),
    Option("crc", "--no-crc", "no payload CRC (implicit header; default: CRC)", switch=False),
    Option("ldro", "--ldro", "low-data-rate optimisation: auto|on|off (default auto)"),
    Option("sync_word", "--sync", "sync word byte (default 0x12 private; 0x34 LoRaWAN)", "BYTE"),
    Option("preamble_len", "--preamble", "preamble length in symbols (>= 6; default 8)", "N"),
    Option(
        "channels",
        "--channel",
        "channel offsets from the centre frequency, e.g. --channel=-200k,+100k (default 0)",
        "HZ,...",
        receiver_only=True,
    ),
)


def cli_options() -> tuple[Option, ...]:
    """The LoRa command-line options."""
    return OPTIONS


KEYS = (
    "sf",
    "bw",
    "cr",
    "implicit_header",
    "payload_len",
    "crc",
    "ldro",
    "sync_word",
    "preamble_len",
    "channels",
)

_ALIASES = {
    "implicit": "implicit_header",
    "length": "payload_len",
    "sync": "sync_word",
    "preamble": "preamble_len",
    "channel": "channels",
}


def parse_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{what} {value!r}: use true or false")


def normalize_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options with aliases resolved and strings parsed (catalogue entries may use text)."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        key = _ALIASES.get(key, key)
        if value is None:
            continue
        if key not in KEYS:
            raise ConfigError(
                f"unknown LoRa option {key!r}; the LoRa options are {', '.join(KEYS)}"
            )
        if key == "sf":
            value = parse_sf_list(value)
        elif key == "bw":
            value = parse_bw(value)
        elif key == "cr":
            value = parse_cr(value)
        elif key == "ldro":
            value = parse_ldro(value)
        elif key in ("sync_word", "preamble_len", "payload_len"):
            value = parse_int(value, key.replace("_", " "))
        elif key == "channels":
            value = parse_channels(value)
        elif key in ("crc", "implicit_header"):
            value = parse_bool(value, key.replace("_", " "))
        out[key] = value
    return out


_FIELDS = ("bw", "cr", "implicit_header", "payload_len", "crc", "ldro", "sync_word", "preamble_len")


def params_for(options: dict[str, Any], sf: int) -> LoRaParams:
    opts = normalize_options(options)
    kwargs = {k: opts[k] for k in _FIELDS if k in opts}
    if "crc" in kwargs:
        kwargs["crc"] = bool(kwargs["crc"])
    if "implicit_header" in kwargs:
        kwargs["implicit_header"] = bool(kwargs["implicit_header"])
    return LoRaParams(sf=sf, **kwargs)


def make_params(options: dict[str, Any]) -> LoRaParams:
    """LoRaParams from an options dict (the first SF when several are given)."""
    opts = normalize_options(options)
    sfs = opts.get("sf", DEFAULT_SFS)
    return params_for(opts, sfs[0])
