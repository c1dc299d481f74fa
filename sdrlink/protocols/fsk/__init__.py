"""FSK protocol family: 2-FSK, GFSK, GMSK and Bell 202 AFSK with any registered
framing (AX.25 plain or G3RUH-scrambled, GomSpace AX100, AX5043, CCSDS, AO-40 FEC,
...; see :mod:`sdrlink.framing`).

Works on complex IQ (FM discriminator inside) and on real FM-discriminator
audio as ground stations record passes.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from sdrlink.blocks import StreamInfo
from sdrlink.framing import framing_names
from sdrlink.protocols.base import Protocol, Receiver
from sdrlink.protocols.fsk.modulator import modulate, modulate_audio
from sdrlink.protocols.fsk.params import MODULATIONS, FskParams, make_params

__all__ = ["PROTOCOL", "FskParams", "FskReceiver", "make_params", "modulate", "modulate_audio"]

_OPTIONS = ("modulation", "baud", "deviation", "bt", "framing", "afsk_tones", "carrier_search")


def _add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--modulation",
        choices=MODULATIONS,
        default=None,
        help="FSK flavour (default fsk; gmsk has h=0.5; afsk = Bell 202 tones)",
    )
    group.add_argument(
        "--baud",
        type=float,
        default=None,
        help="symbol rate in Bd, e.g. 1200, 4800, 9600 (default 9600; afsk 1200)",
    )
    group.add_argument(
        "--deviation",
        type=float,
        default=None,
        help="FM deviation in Hz (default baud/2; gmsk baud/4; afsk 3000)",
    )
    group.add_argument(
        "--bt", type=float, default=None, help="Gaussian filter BT for gfsk/gmsk (default 0.5)"
    )
    group.add_argument(
        "--framing",
        default=None,
        help=f"framing: {', '.join(framing_names())} (default ax25)",
    )
    group.add_argument(
        "--carrier-search",
        default=None,
        metavar="HZ",
        help=(
            "IQ input: how far from the tuned frequency to look for the carrier without a "
            "TLE (default 12k, enough for LEO Doppler at 436 MHz; 0 = off)"
        ),
    )
    group.add_argument(
        "--afsk-tones",
        default=None,
        metavar="MARK,SPACE",
        help="AFSK tones in Hz (default 1200,2200)",
    )


def _options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in _OPTIONS if getattr(args, k, None) is not None}


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


PROTOCOL = Protocol(
    name="fsk",
    description="2-FSK/GFSK/GMSK/AFSK with AX.25, AX100, AX5043, CCSDS, AO-40, ... framing",
    add_arguments=_add_arguments,
    options_from_args=_options_from_args,
    make_params=make_params,
    make_receiver=_make_receiver,
    modulate=_modulate,
    normalize_options=_normalize,
)
