"""LoRa PHY: transmitter and multi-SF, multi-channel streaming receiver.

Frame format (as sent by Semtech SX127x/SX126x chips, cross-checked against
the open-source receivers gr-lora_sdr and rpp0/gr-lora and the reverse-
engineering papers): ``preamble_len`` up-chirps of value 0, two sync-word
up-chirps of value ``8 * (sync >> 4)`` and ``8 * (sync & 0xF)``, 2.25
down-chirps, then the data symbols. The first 8 data symbols always form one
block at CR 4/8; for SF >= 7 it is sent at reduced rate (SF-2 bits per
symbol) and holds the 5 explicit-header nibbles (or payload nibbles with an
implicit header). Later blocks use the frame's CR and SF bits per symbol, or
SF-2 with low-data-rate optimisation (LDRO; "auto" = on when a symbol lasts
longer than 16 ms). See :mod:`.codec` for the line coding.

SF5 and SF6 follow the SX126x chips: two more up-chirps come after the 2.25
down-chirps, just before the data (the SX126x time-on-air formula counts 6.25
instead of 4.25 symbols of overhead; the gr-lora_sdr author found the same
layout in frames from an SX1262), and the first block carries SF codewords at
CR 4/8 without reduced rate, so that an explicit header fits. Only our own
round trips check SF5/SF6: no recording from a chip was at hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.blocks import StreamInfo
from sdrlink.protocols.base import Protocol, Receiver
from sdrlink.protocols.lora.modulator import encode_symbols, modulate
from sdrlink.protocols.lora.params import (
    LoRaParams,
    cli_options,
    make_params,
    normalize_options,
)


def make_receiver(options: dict[str, Any], info: StreamInfo) -> Receiver:
    """A :class:`~sdrlink.protocols.lora.receiver.LoRaReceiver` for ``options``."""
    from sdrlink.protocols.lora.receiver import LoRaReceiver

    return LoRaReceiver(options, info)


def _modulate(params: Any, payload: bytes, sample_rate: float) -> np.ndarray:
    if isinstance(params, dict):
        params = make_params(params)
    return modulate(params, payload, sample_rate)


PROTOCOL = Protocol(
    name="lora",
    description="LoRa chirp spread spectrum (SF5-12, explicit/implicit header, CRC)",
    cli_options=cli_options,
    make_params=make_params,
    make_receiver=make_receiver,
    modulate=_modulate,
    normalize_options=normalize_options,
)

__all__ = ["PROTOCOL", "LoRaParams", "modulate", "encode_symbols", "make_receiver"]
