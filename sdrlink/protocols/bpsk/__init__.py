"""BPSK protocol family: BPSK, DBPSK and Manchester-coded (D)BPSK with any registered
framing (AX.25 G3RUH, and the CCSDS, AO-40 or LilacSat framings when registered).

Works on complex IQ (blind carrier search within +-12 kHz) and on SSB audio
(the carrier found anywhere in the audio band), as ground stations record
BPSK passes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sdrlink.blocks import StreamInfo
from sdrlink.protocols.base import Option, Protocol, Receiver, framing_cli_options
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

_MODEM_OPTIONS = (
    Option(
        "modulation",
        "--modulation",
        "bpsk, dbpsk (differentially encoded), bpsk_manchester or dbpsk_manchester (default bpsk)",
        choices=MODULATIONS,
    ),
    Option("baud", "--baud", "bit rate, e.g. 1200, 9.6k (default 9600)", "BD"),
    Option("framing", "--framing", "framing (default ax25_g3ruh); see 'sdrlink framings'", "NAME"),
    Option("rrc_alpha", "--rrc-alpha", "root-raised-cosine roll-off (default 0.35)", "ALPHA"),
    Option(
        "invert",
        "--invert",
        "dbpsk modes: force the soft-bit polarity (default auto: the deframer tries both)",
        "auto|true|false",
    ),
    Option(
        "audio_carrier",
        "--audio-carrier",
        "SSB audio input: the carrier's frequency in the audio (default: searched in the "
        "whole band, drift followed)",
        "HZ",
        receiver_only=True,
    ),
    Option(
        "carrier_search",
        "--carrier-search",
        "IQ input: how far from the tuned frequency to look for the carrier "
        "(default 12k, enough for LEO Doppler at 436 MHz; 0 = off)",
        "HZ",
        receiver_only=True,
    ),
    Option(
        "detector",
        "--detector",
        "dbpsk modes: coherent (Costas loop, then differential decoding; about 0.6 dB "
        "better) or differential (default coherent)",
        choices=DETECTORS,
        receiver_only=True,
    ),
    Option(
        "costas_bw",
        "--costas-bw",
        "Costas loop bandwidth in Hz (default 1.2 %% of the symbol rate, at least 25)",
        "HZ",
        receiver_only=True,
    ),
    Option(
        "clock_limit",
        "--clock-limit",
        "largest relative symbol-clock error followed (default 0.02)",
        "FRACTION",
        receiver_only=True,
    ),
)


def _cli_options() -> list[Option]:
    """The modem's options, then every framing's own."""
    from sdrlink.framing import all_framings

    return list(_MODEM_OPTIONS) + framing_cli_options(all_framings())


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


def _carries_ax25(options: dict[str, Any]) -> bool:
    from sdrlink.framing import get_framing

    return get_framing(make_params(options).framing).ax25


PROTOCOL = Protocol(
    name="bpsk",
    description="BPSK/DBPSK (RRC, Costas) from IQ or SSB audio, with any registered framing",
    cli_options=_cli_options,
    make_params=make_params,
    make_receiver=_make_receiver,
    modulate=_modulate,
    normalize_options=_normalize,
    carries_ax25=_carries_ax25,
)
