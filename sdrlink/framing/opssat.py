"""OPS-SAT framing: Reed-Solomon codewords inside AX.25 UI frames (9600 Bd G3RUH).

ESA's OPS-SAT sends AX.25 UI frames (HDLC, NRZI, G3RUH scrambler, as
:mod:`sdrlink.framing.ax25`) whose information field is a CCSDS-randomised,
shortened RS(255,223) codeword (conventional basis, as the AX100 uses it):
the 16 bytes of addresses, control and PID (``DL0ESA<-DP0OPS``) come first,
the FCS last. Facts from gr-satellites 4.4.0 (``ops_sat_deframer.py``: the
header length, randomiser and RS code; it does not check the FCS) and from
the satellite's frames in ``ops_sat.wav``.

The deframer accepts a frame when its RS codeword decodes and the FCS holds over
the frame as received or as RS corrected (RS corrects bit errors that would make
the FCS of the received frame fail; a frame the flags delimited a byte too long
still RS-decodes, but fails both). Fields:
``rs_corrected`` (bytes RS corrected), ``fcs_ok`` (the AX.25 FCS over the frame
as received), and the AX.25 addresses (``dst``, ``src``, ``via``,
``addresses``) when the header parses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import crc16_x25
from sdrlink.coding.linecode import nrzi_encode
from sdrlink.coding.reedsolomon import NROOTS, rs_decode, rs_encode
from sdrlink.coding.scramblers import ccsds_xor, g3ruh_scramble
from sdrlink.errors import ConfigError
from sdrlink.framing import ax25
from sdrlink.framing.base import Deframer, EncodedFrame, Framing

HEADER_BYTES = 16  # two AX.25 addresses, control, PID
MAX_DATA = 223
DST, SRC = "DL0ESA", "DP0OPS"


def check_frame(bits: np.ndarray) -> tuple[bytes, dict[str, Any]] | None:
    """The RS-decoded data carried between two flags (None if it is not such a frame)."""
    raw = ax25.bit_unstuff(bits)
    if raw is None or len(raw) % 8:
        return None
    data = np.packbits(raw, bitorder="little").tobytes()
    block = data[HEADER_BYTES:-2]
    if not NROOTS < len(block) <= NROOTS + MAX_DATA:
        return None
    res = rs_decode(ccsds_xor(block))
    if res is None:
        return None
    payload, corrected = res
    fcs = data[-2] | (data[-1] << 8)
    fcs_ok = crc16_x25(data[:-2]) == fcs
    fixed = data[:HEADER_BYTES] + ccsds_xor(payload + rs_encode(payload))
    if not fcs_ok and crc16_x25(fixed) != fcs:
        # neither the frame as received nor as RS corrected has its FCS: the flags
        # delimited it wrongly (a codeword read a byte long, x*c(x) + b, still decodes
        # with one "correction") or the header or FCS is hit; found by the fuzzer
        return None
    fields: dict[str, Any] = {"rs_corrected": corrected, "fcs_ok": fcs_ok}
    addr = ax25.parse_addresses(data[:HEADER_BYTES])
    if addr is not None:
        fields.update({k: v for k, v in addr.items() if k != "header_len"})
    return payload, fields


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One transmission: an AX.25 UI frame DL0ESA<-DP0OPS carrying the randomised
    RS codeword of ``payload`` (1..223 bytes)."""
    if not 1 <= len(payload) <= MAX_DATA:
        raise ConfigError(f"OPS-SAT frames carry 1..{MAX_DATA} bytes")
    info = ccsds_xor(bytes(payload) + rs_encode(payload))
    frame = ax25.ui_frame(DST, SRC, info)
    n_pre = max(2, -(-preamble_bits // 8))
    bits = np.concatenate(
        [np.tile(ax25.FLAG_BITS, n_pre), ax25.hdlc_frame_bits(frame), np.tile(ax25.FLAG_BITS, 4)]
    )
    line = g3ruh_scramble(nrzi_encode(bits))
    return EncodedFrame(line, 8 * (n_pre - 1))


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return ax25.HdlcDeframer(g3ruh=True, check=check_frame, min_bytes=HEADER_BYTES + NROOTS + 1 + 2)


FRAMINGS = (
    Framing(
        name="ops_sat",
        description="OPS-SAT: CCSDS-randomised RS(255,223) codewords in AX.25 UI frames (G3RUH)",
        make_deframer=_make,
        encode=encode,
        aliases=("OPS-SAT",),
        max_payload=MAX_DATA,
        polarity_free=True,
    ),
)
