"""Parameters of the FSK family (2-FSK, GFSK, GMSK, AFSK) and their framings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sdrlink.errors import ConfigError
from sdrlink.framing import get_framing

MODULATIONS = ("fsk", "gfsk", "gmsk", "afsk")

# the modem's own option keys; the framing's options come from its registry entry
MODEM_OPTIONS = (
    "modulation",
    "baud",
    "deviation",
    "bt",
    "framing",
    "afsk_tones",
    "af_carrier",
    "af_deviation",
    "invert",
    "max_offset",
    "carrier_search",
)


@dataclass(frozen=True)
class FskParams:
    """What the modulator and the receiver need to know.

    Attributes:
        modulation: "fsk" (rectangular), "gfsk"/"gmsk" (Gaussian filtered; GMSK
            has modulation index 0.5) or "afsk" (audio tones on an FM carrier).
        baud: symbol rate (1200..19200).
        deviation: peak frequency deviation in Hz of the RF carrier (for AFSK the
            FM deviation of the audio tones).
        bt: Gaussian filter bandwidth-time product (GFSK/GMSK only).
        framing: canonical name of a registered framing (:mod:`sdrlink.framing`),
            e.g. "ax25", "ax25_g3ruh", "ax100", "ax5043".
        framing_options: the framing's own options, parsed, as sorted pairs.
        afsk_tones: mark and space tones in Hz (Bell 202: 1200/2200).
        invert: None tries both polarities where the framing cannot tell;
            True/False forces one (NRZI-coded AX.25 ignores it).
        max_offset: carrier offset (Hz) the IQ channel filter lets through
            around the acquired carrier (default max(baud, 2000)); wider costs
            sensitivity.
        carrier_search: how far (Hz) from the tuned frequency IQ input is
            searched blindly for the carrier, which is then re-centred (LEO
            Doppler at 436 MHz reaches about 10 kHz; default 12000; 0: off).
    """

    modulation: str = "fsk"
    baud: float = 9600.0
    deviation: float = 4800.0
    bt: float = 0.5
    framing: str = "ax25"
    framing_options: tuple[tuple[str, Any], ...] = ()
    afsk_tones: tuple[float, float] = (1200.0, 2200.0)
    invert: bool | None = None
    max_offset: float = 2000.0
    carrier_search: float = 12000.0

    @property
    def occupied_bw(self) -> float:
        """Bandwidth (Hz) the modulated carrier occupies (Carson's rule): 2 * deviation +
        baud; AFSK (tones frequency-modulating the carrier) 2 * (deviation + highest tone)."""
        if self.modulation == "afsk":
            return 2.0 * (self.deviation + max(self.afsk_tones))
        return 2.0 * self.deviation + self.baud

    @property
    def snr_bandwidth(self) -> float:
        """The bandwidth (Hz) a frame's ``snr_db`` refers to: :attr:`occupied_bw`.

        The simulator (:mod:`sdrlink.simulate`) sets its SNR in the same bandwidth.
        """
        return self.occupied_bw


def parse_tones(value: Any) -> tuple[float, float]:
    """ "1200,2200" or a pair of numbers -> (mark, space)."""
    if isinstance(value, str):
        parts = [p for p in value.replace("/", ",").split(",") if p.strip()]
    else:
        parts = list(value)
    try:
        tones = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise ConfigError(f"--afsk-tones wants MARK,SPACE in Hz, got {value!r}") from None
    if len(tones) != 2 or min(tones) <= 0 or tones[0] == tones[1]:
        raise ConfigError(f"--afsk-tones wants two different positive tones, got {value!r}")
    return tones[0], tones[1]


def _number(value: Any) -> float:
    """A number, or text with an SI suffix ("9.6k")."""
    from sdrlink.sources.files import parse_si

    return parse_si(value) if isinstance(value, str) else float(value)


def tones_from_carrier(af_carrier: Any, af_deviation: Any) -> tuple[float, float]:
    """AFSK described as gr-satellites does (audio carrier and deviation) -> (mark, space).

    A 1 bit sits at ``af_carrier + af_deviation`` and a 0 bit at ``af_carrier -
    af_deviation`` (a negative deviation swaps the tones); the modulator sends the
    mark tone for a 1 bit. Bell 202 (1700, 500) gives (2200, 1200): the tones of
    (1200, 2200) with the bits inverted, which NRZI coding (AX.25) does not notice.
    """
    try:
        carrier, dev = float(af_carrier), float(af_deviation)
    except (TypeError, ValueError):
        raise ConfigError("af_carrier and af_deviation must be numbers (Hz)") from None
    return parse_tones((carrier + dev, carrier - dev))


def make_params(options: dict[str, Any]) -> FskParams:
    """Build :class:`FskParams` from an options dict; None values mean default.

    AFSK tones come from ``afsk_tones`` or, as the catalogue gives them, from
    ``af_carrier`` and ``af_deviation`` (:func:`tones_from_carrier`); ``afsk_tones``
    wins when both are given.
    """
    opts = {k: v for k, v in options.items() if v is not None}
    for key, value in opts.pop("framing_options", ()):  # FskParams' own form, as normalised
        opts.setdefault(key, value)
    framing = get_framing(str(opts.get("framing", "ax25")))
    framing_keys = {o.key for o in framing.options}
    unknown = set(opts) - set(MODEM_OPTIONS) - framing_keys
    if unknown:
        raise ConfigError(
            f"unknown FSK option(s) {', '.join(sorted(unknown))}; the FSK options are "
            f"{', '.join(MODEM_OPTIONS)}"
            + (
                f", and for framing {framing.name}: {', '.join(sorted(framing_keys))}"
                if framing_keys
                else ""
            )
        )
    framing_options = framing.parse_options({k: opts[k] for k in framing_keys if k in opts})
    mod = str(opts.get("modulation", "fsk")).strip().lower()
    mod = {"2-fsk": "fsk", "2fsk": "fsk", "bell202": "afsk", "bell 202": "afsk"}.get(mod, mod)
    if mod not in MODULATIONS:
        raise ConfigError(
            f"unknown FSK modulation {mod!r}; choose one of: {', '.join(MODULATIONS)}"
        )
    try:
        baud = _number(opts.get("baud", 1200.0 if mod == "afsk" else 9600.0))
    except (TypeError, ValueError):
        raise ConfigError(f"baud rate must be a number, got {opts['baud']!r}") from None
    if not 300 <= baud <= 100_000:
        raise ConfigError(f"baud rate {baud:g} out of range (300..100000; typical 1200..19200)")
    if mod == "gmsk":
        dev_default = baud / 4
    elif mod == "afsk":
        dev_default = 3000.0
    else:
        dev_default = baud / 2
    try:
        deviation = _number(opts.get("deviation", dev_default))
        bt = _number(opts.get("bt", 0.5))
    except (TypeError, ValueError):
        raise ConfigError("deviation and bt must be numbers") from None
    if deviation <= 0:
        raise ConfigError(f"deviation must be positive, got {deviation:g} Hz")
    if not 0.1 <= bt <= 2.0:
        raise ConfigError(f"Gaussian BT must be within 0.1..2.0, got {bt:g}")
    if "afsk_tones" in opts:
        tones = parse_tones(opts["afsk_tones"])
    elif "af_carrier" in opts or "af_deviation" in opts:
        if mod != "afsk":
            raise ConfigError("af_carrier and af_deviation are AFSK options (modulation afsk)")
        if "af_carrier" not in opts or "af_deviation" not in opts:
            raise ConfigError("AFSK needs both af_carrier and af_deviation (Hz)")
        tones = tones_from_carrier(opts["af_carrier"], opts["af_deviation"])
    else:
        tones = (1200.0, 2200.0)
    invert = opts.get("invert")
    try:
        max_offset = _number(opts.get("max_offset", max(baud, 2000.0)))
    except (TypeError, ValueError):
        raise ConfigError("max_offset must be a number (Hz)") from None
    if max_offset < 0:
        raise ConfigError(f"max_offset must be >= 0, got {max_offset:g}")
    from sdrlink.sources.files import parse_si

    search = opts.get("carrier_search", 12000.0)
    try:
        search = parse_si(search) if isinstance(search, str) else float(search)
    except (TypeError, ValueError, ConfigError):
        raise ConfigError(f"carrier_search must be a frequency in Hz, got {search!r}") from None
    if not 0 <= search <= 1e6:
        raise ConfigError(f"carrier_search must be within 0..1M Hz, got {search:g}")
    return FskParams(
        mod,
        baud,
        deviation,
        bt,
        framing.name,
        tuple(sorted(framing_options.items())),
        tones,
        None if invert is None else bool(invert),
        max_offset,
        search,
    )
