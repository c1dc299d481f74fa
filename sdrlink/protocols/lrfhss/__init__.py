"""LR-FHSS: LoRa's long-range frequency-hopping mode (LoRaWAN DR8-11 EU868, DR5-6 US915).

GMSK (BT 1) at 488.28 bit/s hopping every 102.4 ms over a 3.9 kHz (or
25.4 kHz) grid inside a 39 kHz .. 1.574 MHz channel, as Semtech's SX126x and
LR11xx chips send it for direct-to-satellite IoT. Up to four header copies
(32-bit sync word, rate-1/2 code, CRC-8) say everything about a packet; the
payload (whitened, CRC-16, rate-1/3 code punctured to 5/6 .. 1/2, interleaved)
follows in 48-bit fragments. See :mod:`.coding`, :mod:`.hopping`,
:mod:`.modulator` for the transmitter and :mod:`.receiver` for the blind
receiver: it needs no setting, its options only narrow what it accepts.

``Frame.snr_db`` is the SNR in one hop's bandwidth, 488.28 Hz (signal power
over the noise power in 488.28 Hz, ``fields["snr_bandwidth_hz"]``), which at
one bit per 488.28 Hz is also the Eb/N0 of a sent bit (``fields["ebn0_db"]``);
subtract 24.08 dB for the SNR in a 125 kHz reference bandwidth, as LoRa
sensitivity figures quote it. ``Frame.freq_offset_hz`` is the channel centre
(the carrier the hop offsets are relative to) at the first header copy
received; ``Frame.sample_index`` is that copy's start and ``sample_count``
runs to the end of the last fragment. ``Frame.fields``:
``dr`` (LoRaWAN data rate, when the configuration is one), ``cr``,
``ocw_hz``, ``grid_hz``, ``hop_seq_id``, ``hopping``, ``header_copies``
(copies whose sync word was found), ``header_copies_decoded`` (copies whose
CRC-8 passed), ``fragments`` ("received/total": fragments whose bits mostly
agree with the decoded payload), ``drift_hz_s`` with ``drift_uncertainty_hz_s``
(95 % half-width, from the line through every hop's carrier; a packet lasts
seconds, so a drift is always measured), and ``hops``: for every hop
("header" or "payload", index, start in s from sample 0, duration in s,
frequency in Hz); a header's index is the number of copies after it (0 on
the last, as the header itself counts), a fragment's counts from 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.blocks import StreamInfo
from sdrlink.protocols.base import Option, Protocol, Receiver
from sdrlink.protocols.lrfhss.modulator import frame_layout, modulate
from sdrlink.protocols.lrfhss.params import LrFhssParams, make_params, normalize_options

__all__ = ["PROTOCOL", "LrFhssParams", "make_params", "modulate", "frame_layout"]

OPTIONS = (
    Option(
        "dr",
        "--dr",
        "LoRaWAN data rate(s) in --region: EU868 8..11, US915/AU915 5..6 (sets --ocw and "
        "--cr; default: any)",
        "N[,N]",
    ),
    Option("region", "--region", "region of --dr: EU868, US915 or AU915 (default EU868)"),
    Option(
        "ocw",
        "--ocw",
        "operating channel width(s): 39k, 86k, 137k, 184k, 336k, 387k, 723k, 773k, 1.523M, "
        "1.574M (default: any; simulate 137k)",
        "HZ[,HZ]",
    ),
    Option("cr", "--cr", "coding rate(s): 1/3, 1/2, 2/3, 5/6 (default: any; simulate 1/3)"),
    Option(
        "grid",
        "--grid",
        "hop grid: 3.9k or 25.4k (the 25.4k grid needs 723k or more; default: any; "
        "simulate 3.9k below 723k, else 25.4k)",
    ),
    Option(
        "header_count",
        "--header-copies",
        "header copies sent: 1..4 (simulate only; default 3 at CR 1/3, else 2)",
        "N",
    ),
    Option(
        "hop_seq_id",
        "--hop-seq",
        "hop-sequence id: simulate sends it (0..511, 0..383 below 336k; default 0), "
        "decode accepts only it (default: any)",
        "ID",
    ),
    Option("sync_word", "--sync", "header sync word (default 2C0F7995, LoRaWAN)", "HEX"),
    Option(
        "hopping",
        "--no-hopping",
        "no frequency hopping: simulate sends on one frequency, decode accepts only such "
        "packets (default: hopping; decode: both)",
        switch=False,
    ),
)


def cli_options() -> tuple[Option, ...]:
    """The LR-FHSS command-line options."""
    return OPTIONS


def make_receiver(options: dict[str, Any], info: StreamInfo) -> Receiver:
    """A :class:`~sdrlink.protocols.lrfhss.receiver.LrFhssReceiver` for ``options``."""
    from sdrlink.protocols.lrfhss.receiver import LrFhssReceiver

    return LrFhssReceiver(options, info)


def _modulate(params: Any, payload: bytes, sample_rate: float) -> np.ndarray:
    if isinstance(params, dict):
        params = make_params(params)
    return modulate(params, payload, sample_rate)


PROTOCOL = Protocol(
    name="lrfhss",
    description="LR-FHSS frequency-hopping GMSK (LoRaWAN DR8-11/DR5-6), blind: any width, rate",
    cli_options=cli_options,
    make_params=make_params,
    make_receiver=make_receiver,
    modulate=_modulate,
    normalize_options=normalize_options,
)
