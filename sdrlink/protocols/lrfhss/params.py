"""LR-FHSS parameters, LoRaWAN data rates, and option parsing.

The receiver is blind: every header says the channel width, coding rate, grid,
hop sequence and payload length. Options given to it only narrow what it
accepts (``ocw``, ``cr``, ``grid``, or a LoRaWAN ``dr`` in a ``region``); the
modulator needs one complete configuration (:class:`LrFhssParams`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sdrlink.errors import ConfigError
from sdrlink.protocols.lrfhss.hopping import (
    BIT_RATE,
    CHANNEL_COUNT,
    grid_hz,
    hop_sequence_count,
    ocw_hz,
    valid_config,
)
from sdrlink.sources.files import parse_si

LORAWAN_SYNC_WORD = bytes.fromhex("2C0F7995")
CR_CODES = {"5/6": 0, "2/3": 1, "1/2": 2, "1/3": 3}
CR_TEXT = {v: k for k, v in CR_CODES.items()}
GRID_TEXT = {0: "25.4k", 1: "3.9k"}
REGIONS = ("EU868", "US915", "AU915")

# (region, DR) -> (bandwidth code, CR code, grid code), per LoRaWAN Regional
# Parameters as coded in LoRaMac-node / the LoRa Basics Modem region files.
DATA_RATES: dict[tuple[str, int], tuple[int, int, int]] = {
    ("EU868", 8): (2, 3, 1),
    ("EU868", 9): (2, 1, 1),
    ("EU868", 10): (4, 3, 1),
    ("EU868", 11): (4, 1, 1),
    ("US915", 5): (8, 3, 0),
    ("US915", 6): (8, 1, 0),
    ("AU915", 5): (8, 3, 0),
    ("AU915", 6): (8, 1, 0),
}


def header_count_for(cr: int) -> int:
    """Header copies a LoRaWAN device sends: 3 at CR 1/3, else 2."""
    return 3 if cr == 3 else 2


@dataclass(frozen=True)
class LrFhssParams:
    """One complete LR-FHSS transmitter configuration.

    ``bw`` is the channel-width code 0..9 (39.06 kHz .. 1.574 MHz), ``cr`` the
    coding-rate code (0 = 5/6, 1 = 2/3, 2 = 1/2, 3 = 1/3), ``grid`` 1 for the
    3.906 kHz grid and 0 for 25.39 kHz.
    """

    bw: int = 2
    cr: int = 3
    grid: int = 1
    header_count: int = 3
    hop_seq_id: int = 0
    hopping: bool = True
    sync_word: bytes = field(default=LORAWAN_SYNC_WORD)
    device_offset: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.bw < len(CHANNEL_COUNT):
            raise ConfigError(f"LR-FHSS bandwidth code must be 0..9, not {self.bw!r}")
        if self.cr not in CR_TEXT:
            raise ConfigError(f"LR-FHSS coding rate code must be 0..3, not {self.cr!r}")
        if not valid_config(self.bw, self.grid):
            raise ConfigError(
                f"LR-FHSS {GRID_TEXT.get(self.grid, self.grid)} grid needs a channel of "
                f"723 kHz or more, not {ocw_hz(self.bw) / 1e3:.2f} kHz"
            )
        if not 1 <= self.header_count <= 4:
            raise ConfigError(f"LR-FHSS header copies must be 1..4, not {self.header_count!r}")
        limit = hop_sequence_count(self.bw, self.grid)
        if not 0 <= self.hop_seq_id < limit:
            raise ConfigError(f"LR-FHSS hop sequence id must be 0..{limit - 1} here")
        if len(self.sync_word) != 4:
            raise ConfigError("LR-FHSS sync word must be 4 bytes")
        lim = (-26, 25) if self.grid == 0 else (-4, 3)
        if not lim[0] <= self.device_offset <= lim[1]:
            raise ConfigError(f"LR-FHSS device offset must be {lim[0]}..{lim[1]}")

    @property
    def ocw_hz(self) -> float:
        return ocw_hz(self.bw)

    @property
    def grid_hz(self) -> float:
        return grid_hz(self.grid)

    @property
    def snr_bandwidth(self) -> float:
        """The bandwidth SNRs refer to: one hop, 488.28 Hz."""
        return BIT_RATE


def parse_ocw(value: Any) -> list[int]:
    """Channel widths ('137k', '1.523M', 136719, code 2, or a list) as bandwidth codes."""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    out = []
    for item in items:
        if isinstance(item, int) and 0 <= item < len(CHANNEL_COUNT):
            out.append(item)
            continue
        try:
            hz = parse_si(str(item).strip())
        except Exception:
            raise ConfigError(f"LR-FHSS channel width {item!r}: use e.g. 137k or 1.523M") from None
        best = min(range(len(CHANNEL_COUNT)), key=lambda b: abs(ocw_hz(b) - hz))
        if abs(ocw_hz(best) - hz) > 0.02 * ocw_hz(best):
            widths = ", ".join(f"{ocw_hz(b) / 1e3:.0f}k" for b in range(len(CHANNEL_COUNT)))
            raise ConfigError(f"LR-FHSS channel width {item!r}: choose one of {widths}")
        out.append(best)
    return sorted(set(out))


def parse_cr(value: Any) -> list[int]:
    """Coding rates ('1/3', '2/3,1/3', code 3, or a list) as CR codes."""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    out = []
    for item in items:
        if isinstance(item, int) and item in CR_TEXT:
            out.append(item)
            continue
        text = str(item).strip()
        if text not in CR_CODES:
            raise ConfigError(f"LR-FHSS coding rate {item!r}: use 1/3, 1/2, 2/3 or 5/6")
        out.append(CR_CODES[text])
    return sorted(set(out))


def parse_grid(value: Any) -> list[int]:
    """Hop grids ('3.9k', '25k', 3906, code 0/1, or a list) as grid codes."""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    out = []
    for item in items:
        if isinstance(item, int) and item in (0, 1):
            out.append(item)
            continue
        try:
            hz = parse_si(str(item).strip())
        except Exception:
            raise ConfigError(f"LR-FHSS grid {item!r}: use 3.9k or 25.4k") from None
        if abs(hz - grid_hz(1)) < 200:
            out.append(1)
        elif abs(hz - grid_hz(0)) < 1500:
            out.append(0)
        else:
            raise ConfigError(f"LR-FHSS grid {item!r}: use 3.9k or 25.4k")
    return sorted(set(out))


def parse_int(value: Any, what: str) -> int:
    try:
        return int(str(value), 0)
    except ValueError:
        raise ConfigError(f"LR-FHSS {what} {value!r} is not an integer") from None


def parse_region(value: Any) -> str:
    text = str(value).strip().upper().replace("-", "")
    if text not in REGIONS:
        raise ConfigError(f"LR-FHSS region {value!r}: use one of {', '.join(REGIONS)}")
    return text


def parse_dr(value: Any) -> list[int]:
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return sorted({parse_int(v, "data rate") for v in items})


def parse_sync(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        text = str(value).strip().lower().removeprefix("0x")
        try:
            data = bytes.fromhex(text)
        except ValueError:
            raise ConfigError(f"LR-FHSS sync word {value!r}: give 8 hex digits") from None
    if len(data) != 4:
        raise ConfigError(f"LR-FHSS sync word {value!r}: give 8 hex digits")
    return data


def parse_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "on", "true", "yes"):
        return True
    if text in ("0", "off", "false", "no"):
        return False
    raise ConfigError(f"LR-FHSS {what} {value!r}: use on or off")


_ALIASES = {
    "bw": "ocw",
    "hop_id": "hop_seq_id",
    "hop_seq": "hop_seq_id",
    "sync": "sync_word",
    "header_copies": "header_count",
}
KEYS = (
    "dr",
    "region",
    "ocw",
    "cr",
    "grid",
    "header_count",
    "hop_seq_id",
    "sync_word",
    "hopping",
    "device_offset",
)


def normalize_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options with aliases resolved, text parsed and a data rate expanded.

    ``dr`` (with ``region``, default EU868) becomes ``ocw`` and ``cr`` lists
    unless those are given explicitly. It does not narrow the grid: the header
    says which grid a packet uses (the modulator takes the region's grid).
    """
    out: dict[str, Any] = {}
    for key, value in options.items():
        key = _ALIASES.get(key, key)
        if value is None:
            continue
        if key not in KEYS:
            raise ConfigError(
                f"unknown LR-FHSS option {key!r}; the LR-FHSS options are {', '.join(KEYS)}"
            )
        if key == "ocw":
            out[key] = parse_ocw(value)
        elif key == "cr":
            out[key] = parse_cr(value)
        elif key == "grid":
            out[key] = parse_grid(value)
        elif key == "dr":
            out[key] = parse_dr(value)
        elif key == "region":
            out[key] = parse_region(value)
        elif key in ("header_count", "hop_seq_id", "device_offset"):
            out[key] = parse_int(value, key.replace("_", " "))
        elif key == "sync_word":
            out[key] = parse_sync(value).hex()
        else:  # hopping
            out[key] = parse_bool(value, "hopping")
    if "dr" in out:
        region = out.get("region", "EU868")
        specs = []
        for dr in out["dr"]:
            if (region, dr) not in DATA_RATES:
                known = sorted(d for r, d in DATA_RATES if r == region)
                raise ConfigError(
                    f"no LR-FHSS DR{dr} in {region}; LR-FHSS data rates there: "
                    + ", ".join(f"DR{d}" for d in known)
                )
            specs.append(DATA_RATES[(region, dr)])
        out.setdefault("ocw", sorted({s[0] for s in specs}))
        out.setdefault("cr", sorted({s[1] for s in specs}))
    return out


def data_rate_of(bw: int, cr: int, grid: int) -> str | None:
    """'DR8 EU868' (all regions that name it) for a LoRaWAN configuration, else None."""
    names: dict[int, list[str]] = {}
    for (region, dr), spec in DATA_RATES.items():
        if spec == (bw, cr, grid):
            names.setdefault(dr, []).append(region)
    if not names:
        return None
    return "; ".join(f"DR{dr} {'/'.join(regions)}" for dr, regions in sorted(names.items()))


def make_params(options: dict[str, Any]) -> LrFhssParams:
    """The transmitter configuration of an options dict (the first of each list).

    Default: EU868 DR8 (137 kHz channel, CR 1/3, 3 header copies, 3.9 kHz grid).
    """
    opts = normalize_options(options)
    bw = opts.get("ocw", [2])[0]
    cr = opts.get("cr", [3])[0]
    if "grid" in opts:
        grid = opts["grid"][0]
    elif "dr" in opts:
        grid = DATA_RATES[(opts.get("region", "EU868"), opts["dr"][0])][2]
    else:
        grid = 1 if bw < 6 else 0
    return LrFhssParams(
        bw=bw,
        cr=cr,
        grid=grid,
        header_count=opts.get("header_count", header_count_for(cr)),
        hop_seq_id=opts.get("hop_seq_id", 0),
        hopping=opts.get("hopping", True),
        sync_word=bytes.fromhex(opts.get("sync_word", LORAWAN_SYNC_WORD.hex())),
        device_offset=opts.get("device_offset", 0),
    )
