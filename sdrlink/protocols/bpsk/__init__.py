"""BPSK protocol family: BPSK, DBPSK and Manchester-coded (D)BPSK with any registered
framing (AX.25 G3RUH, and the CCSDS, AO-40 or LilacSat framings when registered).

Works on complex IQ (blind carrier search within +-12 kHz) and on SSB audio
(the carrier found anywhere in the audio band), as ground stations record
BPSK passes.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from sdrlink.blocks import StreamInfo
from sdrlink.framing import framing_names
from sdrlink.protocols.base import Protocol, Receiver
from sdrlink.protocols.bpsk.modulator import modulate, modulate_audio
from sdrlink.protocols.bpsk.params import DETECTORS, MODULATIONS, BpskParams, make_params

__all__ = [
    "PROTOCOL",
    "BpskParams",
    "BpskReceiver",
    "make_params",
    "modulate",
    "modulate_audio",
]

# CLI flag -> option key (prefixed: --baud, --framing and --modulation belong to fsk for now)
_FLAGS = {
    "bpsk_modulation": "modulation",
    "bpsk_baud": "baud",
    "bpsk_framing": "framing",
    "bpsk_rrc_alpha": "rrc_alpha",
    "bpsk_invert": "invert",
    "audio_carrier": "audio_carrier",
    "bpsk_carrier_search": "carrier_search",
    "bpsk_detector": "detector",
}


def _add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--bpsk-modulation",
        choices=MODULATIONS,
        default=None,
        help="BPSK flavour (default bpsk; dbpsk = differentially encoded)",
    )
    group.add_argument(
        "--bpsk-baud", type=float, default=None, help="BPSK bit rate in Bd (default 9600)"
    )
    group.add_argument(
        "--bpsk-framing",
        default=None,
        help=f"BPSK framing: {', '.join(framing_names())} (default ax25_g3ruh)",
    )
    group.add_argument(
        "--bpsk-rrc-alpha",
        type=float,
        default=None,
        help="root-raised-cosine roll-off of the BPSK pulse (default 0.35)",
    )
    group.add_argument(
        "--bpsk-invert",
        default=None,
        metavar="auto|true|false",
        help="DBPSK: force the soft-bit polarity (default auto: the deframer tries both)",
    )
    group.add_argument(
        "--audio-carrier",
        default=None,
        metavar="HZ",
        help="BPSK from SSB audio: the carrier's audio frequency (default: searched)",
    )
    group.add_argument(
        "--bpsk-carrier-search",
        default=None,
        metavar="HZ",
        help="BPSK from IQ: how far from the tuned frequency to search (default 12k; 0 = off)",
    )
    group.add_argument(
        "--bpsk-detector",
        choices=DETECTORS,
        default=None,
        help="DBPSK detection (default coherent: Costas loop, then differential decoding)",
    )


def _options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    given = {a: getattr(args, a, None) for a in _FLAGS}
    return {_FLAGS[a]: v for a, v in given.items() if v is not None}


def _normalize(options: dict[str, Any]) -> dict[str, Any]:
    # the parameters are all a receiver uses, so they are the canonical form
    return dataclasses.asdict(make_params(options))


def _make_receiver(options: dict[str, Any], info: StreamInfo) -> Receiver:
    from sdrlink.protocols.bpsk.receiver import BpskReceiver  # scipy: only when decoding

    return BpskReceiver(make_params(options), info)


def __getattr__(name: str) -> Any:
    if name == "BpskReceiver":  # imported on first use, keeping the CLI's start-up fast
        from sdrlink.protocols.bpsk.receiver import BpskReceiver

        return BpskReceiver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _modulate(params: Any, payload: bytes, sample_rate: float):  # noqa: ANN202
    if isinstance(params, dict):
        params = make_params(params)
    return modulate(params, payload, sample_rate)


PROTOCOL = Protocol(
    name="bpsk",
    description="BPSK/DBPSK (RRC, Costas) from IQ or SSB audio, with any registered framing",
    add_arguments=_add_arguments,
    options_from_args=_options_from_args,
    make_params=make_params,
    make_receiver=_make_receiver,
    modulate=_modulate,
    normalize_options=_normalize,
)
