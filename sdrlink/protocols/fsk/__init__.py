"""FSK protocol family: 2-FSK, GFSK, GMSK and Bell 202 AFSK with any registered
framing (AX.25 plain or G3RUH-scrambled, GomSpace AX100, AX5043, CCSDS, AO-40 FEC,
...; see :mod:`sdrlink.framing`).

Works on complex IQ (FM discriminator inside) and on real FM-discriminator
audio as ground stations record passes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sdrlink.blocks import StreamInfo
from sdrlink.protocols.base import Option, Protocol, Receiver, framing_cli_options
from sdrlink.protocols.fsk.modulator import modulate, modulate_audio
from sdrlink.protocols.fsk.params import MODULATIONS, FskParams, make_params

__all__ = ["PROTOCOL", "FskParams", "FskReceiver", "make_params", "modulate", "modulate_audio"]

_MODEM_OPTIONS = (
    Option(
        "modulation",
        "--modulation",
        "FSK flavour: fsk, gfsk, gmsk (h=0.5) or afsk (Bell 202 tones on FM; default fsk)",
        choices=MODULATIONS,
    ),
    Option("baud", "--baud", "symbol rate, e.g. 1200, 4800, 9.6k (default 9600; afsk 1200)", "BD"),
    Option(
        "deviation",
        "--deviation",
        "FM deviation in Hz (default baud/2; gmsk baud/4; afsk 3000)",
        "HZ",
    ),
    Option("bt", "--bt", "Gaussian filter BT of gfsk/gmsk (default 0.5)"),
    Option("framing", "--framing", "framing (default ax25); see 'sdrlink framings'", "NAME"),
    Option(
        "carrier_search",
        "--carrier-search",
        "IQ input: how far from the tuned frequency to look for the carrier without a TLE "
        "(default 12k, enough for LEO Doppler at 436 MHz; 0 = off)",
        "HZ",
        receiver_only=True,
    ),
    Option("afsk_tones", "--afsk-tones", "AFSK tones in Hz (default 1200,2200)", "MARK,SPACE"),
)


def _cli_options() -> list[Option]:
    """The modem's options, then every framing's own."""
    from sdrlink.framing import all_framings

    return list(_MODEM_OPTIONS) + framing_cli_options(all_framings())


def _normalize(options: dict[str, Any]) -> dict[str, Any]:
    # the parameters are all a receiver uses, so they are the canonical form
    return dataclasses.asdict(make_params(options))


def _make_receiver(options: dict[str, Any], info: StreamInfo) -> Receiver:
    from sdrlink.protocols.fsk.receiver import FskReceiver  # scipy.signal: only when decoding

    return FskReceiver(make_params(options), info)


def __getattr__(name: str) -> Any:
    if name == "FskReceiver":  # imported on first use, keeping the CLI's start-up fast
        from sdrlink.protocols.fsk.receiver import FskReceiver

        return FskReceiver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _modulate(params: Any, payload: bytes, sample_rate: float):  # noqa: ANN202
    if isinstance(params, dict):
        params = make_params(params)
    return modulate(params, payload, sample_rate)


def _carries_ax25(options: dict[str, Any]) -> bool:
    from sdrlink.framing import get_framing

    return get_framing(make_params(options).framing).ax25


PROTOCOL = Protocol(
    name="fsk",
    description="2-FSK/GFSK/GMSK/AFSK with any framing ('sdrlink framings')",
    cli_options=_cli_options,
    make_params=make_params,
    make_receiver=_make_receiver,
    modulate=_modulate,
    normalize_options=_normalize,
    carries_ax25=_carries_ax25,
)
