"""Parameters of the BPSK family (BPSK, DBPSK, Manchester-coded DBPSK) and their framings."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sdrlink.errors import ConfigError
from sdrlink.framing import get_framing

MODULATIONS = ("bpsk", "dbpsk", "bpsk_manchester", "dbpsk_manchester")
DETECTORS = ("coherent", "differential")

# spellings of the gr-satellites satellite descriptions
_ALIASES = {
    "bpsk manchester": "bpsk_manchester",
    "dbpsk manchester": "dbpsk_manchester",
    "bpsk-manchester": "bpsk_manchester",
    "dbpsk-manchester": "dbpsk_manchester",
}

# the modem's own option keys; the framing's options come from its registry entry
MODEM_OPTIONS = (
    "modulation",
    "baud",
    "framing",
    "rrc_alpha",
    "invert",
    "audio_carrier",
    "carrier_search",
    "detector",
    "costas_bw",
    "clock_limit",
)


@dataclass(frozen=True)
class BpskParams:
    """What the modulator and the receiver need to know.

    Attributes:
        modulation: "bpsk" (coherent; the carrier phase, hence the polarity,
            is recovered only up to a sign), "dbpsk" (differentially encoded:
            a 1 keeps the phase, a 0 turns it by 180 degrees, as
            gr-satellites' DBPSK demodulator outputs it), "bpsk_manchester"
            (each bit sent as two opposite half-bit chips) or
            "dbpsk_manchester" (Manchester chips of a differentially encoded
            stream where, as gr-satellites has it, a 1 is a phase change:
            the AO-40 400 Bd beacon).
        baud: bit rate (300..100000); Manchester chips run at twice that.
        framing: canonical name of a registered framing (:mod:`sdrlink.framing`).
        framing_options: the framing's own options, parsed, as sorted pairs.
        rrc_alpha: roll-off of the root-raised-cosine pulse (transmitter) and
            matched filter (receiver); gr-satellites assumes 0.35.
        invert: None lets the deframer try both polarities; True/False forces
            one (DBPSK modes only: coherent BPSK has no absolute polarity).
        audio_carrier: SSB audio input: the carrier frequency in the audio
            (Hz), or None to search the whole audio band for it (and follow
            its drift).
        carrier_search: IQ input: how far (Hz) from the tuned frequency the
            carrier is searched blindly (LEO Doppler at 436 MHz reaches about
            10 kHz; default 12000; 0: the carrier is taken to be at 0 Hz).
        detector: DBPSK modes: "coherent" (Costas loop, then differential
            decoding of the soft symbols) or "differential" (each symbol
            against the previous one); coherent is about 0.6 dB better.
        costas_bw: loop bandwidth (Hz) of the Costas loop.
        clock_limit: largest relative symbol-clock error followed (0.02 =
            2 %; sound cards and resampled recordings can be far off).
    """

    modulation: str = "bpsk"
    baud: float = 9600.0
    framing: str = "ax25_g3ruh"
    framing_options: tuple[tuple[str, Any], ...] = ()
    rrc_alpha: float = 0.35
    invert: bool | None = None
    audio_carrier: float | None = None
    carrier_search: float = 12000.0
    detector: str = "coherent"
    costas_bw: float = 0.0
    clock_limit: float = 0.02

    @property
    def manchester(self) -> bool:
        return self.modulation.endswith("_manchester")

    @property
    def differential(self) -> bool:
        return self.modulation.startswith("dbpsk")

    @property
    def symbol_rate(self) -> float:
        """Rate of the channel symbols the pulse shape carries (chips for Manchester)."""
        return 2.0 * self.baud if self.manchester else self.baud

    @property
    def occupied_bw(self) -> float:
        """Bandwidth (Hz) of the RRC-shaped signal."""
        return (1.0 + self.rrc_alpha) * self.symbol_rate

    @property
    def snr_bandwidth(self) -> float:
        """The bandwidth the receiver's (and the simulator's) SNR refers to: the bit rate,
        so that the SNR is Eb/N0 per channel bit."""
        return self.baud


def _number(opts: dict[str, Any], key: str, default: float) -> float:
    value = opts.get(key, default)
    try:
        if isinstance(value, str):
            from sdrlink.sources.files import parse_si

            out = float(parse_si(value))
        else:
            out = float(value)
    except (TypeError, ValueError, ConfigError):
        out = math.nan
    if not math.isfinite(out):
        raise ConfigError(f"BPSK option {key} must be a finite number, got {value!r}")
    return out


def _bool_or_none(value: Any, key: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("auto", "none", ""):
        return None
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"BPSK option {key} wants true, false or auto, got {value!r}")


def make_params(options: dict[str, Any]) -> BpskParams:
    """Build :class:`BpskParams` from an options dict; None values mean default."""
    opts = {k: v for k, v in options.items() if v is not None}
    for key, value in opts.pop("framing_options", ()):  # BpskParams' own form, as normalised
        opts.setdefault(key, value)
    framing = get_framing(str(opts.get("framing", "ax25_g3ruh")))
    framing_keys = {o.key for o in framing.options}
    unknown = set(opts) - set(MODEM_OPTIONS) - framing_keys
    if unknown:
        raise ConfigError(
            f"unknown BPSK option(s) {', '.join(sorted(unknown))}; the BPSK options are "
            f"{', '.join(MODEM_OPTIONS)}"
            + (
                f", and for framing {framing.name}: {', '.join(sorted(framing_keys))}"
                if framing_keys
                else ""
            )
        )
    framing_options = framing.parse_options({k: opts[k] for k in framing_keys if k in opts})
    mod = " ".join(str(opts.get("modulation", "bpsk")).split()).lower()
    mod = _ALIASES.get(mod, mod)
    if mod not in MODULATIONS:
        raise ConfigError(
            f"unknown BPSK modulation {mod!r}; choose one of: {', '.join(MODULATIONS)}"
        )
    baud = _number(opts, "baud", 9600.0)
    if not 300 <= baud <= 100_000:
        raise ConfigError(f"baud rate {baud:g} out of range (300..100000; typical 1200..9600)")
    alpha = _number(opts, "rrc_alpha", 0.35)
    if not 0.1 <= alpha <= 1.0:
        raise ConfigError(f"rrc_alpha must be within 0.1..1.0, got {alpha:g}")
    invert = _bool_or_none(opts.get("invert"), "invert")
    if invert is not None and not mod.startswith("dbpsk"):
        raise ConfigError(
            "invert applies to dbpsk modulations only: a coherent BPSK receiver cannot "
            "know the polarity, so its deframer always tries both"
        )
    carrier = opts.get("audio_carrier")
    audio_carrier: float | None = None
    if carrier is not None and str(carrier).strip().lower() not in ("search", "auto"):
        audio_carrier = _number(opts, "audio_carrier", 0.0)
        if not audio_carrier > 0:
            raise ConfigError(f"audio_carrier must be a positive frequency, got {carrier!r}")
    search = _number(opts, "carrier_search", 12000.0)
    if not 0 <= search <= 1e6:
        raise ConfigError(f"carrier_search must be within 0..1M Hz, got {search:g}")
    detector = str(opts.get("detector", "coherent")).strip().lower()
    if detector not in DETECTORS:
        raise ConfigError(f"unknown detector {detector!r}; choose one of: {', '.join(DETECTORS)}")
    costas_bw = _number(opts, "costas_bw", 0.0)
    if costas_bw < 0:
        raise ConfigError(f"costas_bw must be >= 0 Hz (0: default), got {costas_bw:g}")
    clock_limit = _number(opts, "clock_limit", 0.02)
    if not 0 < clock_limit <= 0.2:
        raise ConfigError(f"clock_limit must be within 0..0.2, got {clock_limit:g}")
    return BpskParams(
        mod,
        baud,
        framing.name,
        tuple(sorted(framing_options.items())),
        alpha,
        invert,
        audio_carrier,
        search,
        detector,
        costas_bw,
        clock_limit,
    )
