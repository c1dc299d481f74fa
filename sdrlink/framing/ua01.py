"""UA01's non-conformant AX.25 (9k6, BPSK in gr-satellites' description).

Facts from gr-satellites 4.4 (``ua01_deframer.py``): the receiver undoes NRZI
twice, then the G3RUH descrambler (x^17 + x^12 + 1), and finds HDLC frames
(flags, bit stuffing, CRC-16/X.25 FCS) in the result with no further NRZI
decoding. The transmitter therefore scrambles the HDLC bits first and NRZI-codes
the result twice: the reverse of standard 9600 Bd packet (NRZI, then
scrambling). Both NRZI stages make the link polarity-free. Frames are AX.25
(addresses reported as for ``ax25``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.linecode import nrzi_decode, nrzi_encode
from sdrlink.coding.scramblers import g3ruh_descramble, g3ruh_scramble
from sdrlink.framing import ax25
from sdrlink.framing.base import Deframer, EncodedFrame, Framing


class Ua01Deframer(ax25.HdlcDeframer):
    """HDLC after two NRZI decodings and G3RUH descrambling (state kept across blocks)."""

    def __init__(self) -> None:
        super().__init__(g3ruh=True)
        self.levels = [0, 0]  # last input of each NRZI stage

    def _line_decode(self, new: np.ndarray) -> np.ndarray:
        once = nrzi_decode(new, prev=self.levels[0])
        twice = nrzi_decode(once, prev=self.levels[1])
        self.levels = [int(new[-1]), int(once[-1])]
        dec = g3ruh_descramble(twice, history=self.raw_tail)
        self.raw_tail = np.concatenate([self.raw_tail, twice])[-17:]
        return dec


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One UA01 transmission: flags, the HDLC frame, flags; scrambled, NRZI twice."""
    if not ax25.MIN_PAYLOAD <= len(payload) <= ax25.MAX_PAYLOAD:
        raise ValueError(f"UA01 frames carry {ax25.MIN_PAYLOAD}..{ax25.MAX_PAYLOAD} bytes")
    n_pre = max(4, -(-preamble_bits // 8))
    hdlc = np.concatenate(
        [
            np.tile(ax25.FLAG_BITS, n_pre),
            ax25.hdlc_frame_bits(payload),
            np.tile(ax25.FLAG_BITS, 4),
        ]
    )
    line = nrzi_encode(nrzi_encode(g3ruh_scramble(hdlc)))
    return EncodedFrame(line, 8 * (n_pre - 1))


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return Ua01Deframer()


FRAMINGS = (
    Framing(
        name="ua01",
        description="UA01 AX.25: HDLC, G3RUH scrambler, then NRZI twice",
        make_deframer=_make,
        encode=encode,
        aliases=("UA01",),
        max_payload=ax25.MAX_PAYLOAD,
        polarity_free=True,
        ax25=True,
    ),
)
