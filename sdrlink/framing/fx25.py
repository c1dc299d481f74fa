"""FX.25 as Astrocast sends it ("Astrocast FX.25 NRZ-I" and "Astrocast FX.25 NRZ").

FX.25 (Stensat Group, "AX.25 Forward Error Correction", 2006) wraps an AX.25
frame in a Reed-Solomon codeword: a 64-bit correlation tag names the code
(tag 0x05 = RS(255,223): 0x6E260B1AC5835FAE; eleven tags for RS(255,239) down
to RS(48,32)), and the codeword follows, each byte sent LSB first, its data
part holding the HDLC frame (flags, AX.25 frame, FCS) padded to length.
The tag is sent LSB first too, so on air it reads 0x75FAC1A358D06476.

Astrocast 0.1/0.2 differ from the specification (facts from gr-satellites 4.4
``astrocast_fx25_deframer.py`` and ``check_astrocast_crc.py``, confirmed on the
Astrocast 0.1 recording): only tag 0x05 is used; the codeword is the CCSDS
RS(255,223) code in the dual basis (:mod:`sdrlink.coding.reedsolomon`), not
the specification's own RS code; the data part is 0x7E, the
AX.25 frame with its CRC-16/X.25 FCS (low byte first) and 0x7E, byte aligned
(no bit stuffing seen), then filler bytes. One transmitter mode NRZI-codes the
whole bit stream (tag included) as AX.25 does, the other sends plain NRZ.

The deframer takes the first closing 0x7E after which the FCS checks (so a
0x7E byte inside the frame does no harm), and failing that reads the data
part as bit-stuffed HDLC. Fields: ``sync_errors`` (tag bit errors),
``inverted`` (always False for NRZ-I), ``rs_corrected``, and the AX.25 addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import crc16_x25
from sdrlink.coding.linecode import nrzi_decode_soft, nrzi_encode
from sdrlink.coding.reedsolomon import decode_frame, encode_frame
from sdrlink.framing import ax25
from sdrlink.framing.base import EncodedFrame, Framing
from sdrlink.framing.sync import Decoded, SyncDeframer, bits_of

#: FX.25 correlation tag 0x05 (RS(255,223)) as the specification writes it
TAG_05 = 0x6E260B1AC5835FAE
#: ... and in the order it is sent (LSB first)
TAG_05_ON_AIR = int(f"{TAG_05:064b}"[::-1], 2)
TAG_BITS = bits_of(TAG_05_ON_AIR, 64)
CODEWORD = 255
DATA = 223
FLAG = 0x7E
MAX_SYNC_ERRORS = 8  # as gr-satellites
MAX_FRAME = DATA - 4  # opening flag, FCS, closing flag


def _lsb_bytes(bits: np.ndarray) -> bytes:
    return np.packbits(bits, bitorder="little").tobytes()


def _frame_from_data(data: bytes) -> bytes | None:
    """The AX.25 frame (without FCS) in a corrected data part, or None."""
    if data[0] == FLAG:
        k = data.find(FLAG, 1)
        while k >= 0:
            body = data[1:k]
            if len(body) >= 3 and crc16_x25(body[:-2]) == body[-2] | (body[-1] << 8):
                return body[:-2]
            k = data.find(FLAG, k + 1)
    # bit-stuffed HDLC, as the FX.25 specification has it
    bits = ax25.bytes_to_bits(data)
    flags = ax25.find_flags(bits)
    for a, c in zip(flags[:-1].tolist(), flags[1:].tolist(), strict=False):
        if c - a > 8:
            frame = ax25.check_hdlc(bits[a + 8 : c])
            if frame is not None:
                return frame
    return None


class AstrocastDeframer(SyncDeframer):
    """Tag search (after NRZI decoding for the NRZ-I mode), RS, flag and FCS."""

    def __init__(self, nrzi: bool, invert: bool | None) -> None:
        # NRZI decoding removes the polarity: only the upright tag is a match
        super().__init__(TAG_BITS, MAX_SYNC_ERRORS, 8 * CODEWORD, False if nrzi else invert, 1)
        self.nrzi = nrzi

    def line_decode(self, soft: np.ndarray) -> np.ndarray:
        return nrzi_decode_soft(soft) if self.nrzi else soft

    def decode(self, bits: np.ndarray, soft: np.ndarray, sync_errors: int) -> Decoded | None:
        if len(bits) < 8 * CODEWORD:
            return None
        res = decode_frame(_lsb_bytes(bits[: 8 * CODEWORD]), 1, "dual")
        if res is None:
            return None
        frame = _frame_from_data(res[0])
        if frame is None:
            return None
        fields: dict[str, Any] = {"rs_corrected": res[1][0]}
        addr = ax25.parse_addresses(frame)
        if addr is not None:
            fields.update({k: v for k, v in addr.items() if k != "header_len"})
        return Decoded(frame, True, fields)


def _encode(payload: bytes, nrzi: bool, preamble_bits: int) -> EncodedFrame:
    if not 1 <= len(payload) <= MAX_FRAME:
        raise ValueError(f"Astrocast FX.25 frames carry 1..{MAX_FRAME} bytes")
    fcs = crc16_x25(payload)
    data = bytes([FLAG]) + bytes(payload) + bytes([fcs & 0xFF, fcs >> 8, FLAG])
    data = data.ljust(DATA, bytes([FLAG]))
    codeword = encode_frame(data, 1, "dual")
    n_pre = max(4, -(-preamble_bits // 8))
    bits = np.concatenate(
        [
            ax25.bytes_to_bits(bytes([FLAG]) * n_pre),
            TAG_BITS,
            ax25.bytes_to_bits(codeword),
            ax25.bytes_to_bits(bytes([FLAG]) * 2),
        ]
    )
    return EncodedFrame(nrzi_encode(bits) if nrzi else bits, 8 * n_pre)


def encode_nrzi(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One NRZ-I transmission: flags, tag 0x05, the RS codeword, flags."""
    return _encode(payload, True, preamble_bits)


def encode_nrz(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """As :func:`encode_nrzi`, without the NRZI line code."""
    return _encode(payload, False, preamble_bits)


FRAMINGS = (
    Framing(
        name="astrocast_fx25_nrzi",
        description="Astrocast FX.25 (tag 0x05, CCSDS RS dual basis, AX.25 FCS), NRZI",
        make_deframer=lambda options, invert: AstrocastDeframer(True, invert),
        encode=encode_nrzi,
        aliases=("Astrocast FX.25 NRZ-I",),
        max_payload=MAX_FRAME,
        polarity_free=True,
        ax25=True,
    ),
    Framing(
        name="astrocast_fx25_nrz",
        description="Astrocast FX.25 (tag 0x05, CCSDS RS dual basis, AX.25 FCS), NRZ",
        make_deframer=lambda options, invert: AstrocastDeframer(False, invert),
        encode=encode_nrz,
        aliases=("Astrocast FX.25 NRZ",),
        max_payload=MAX_FRAME,
        ax25=True,
    ),
)
