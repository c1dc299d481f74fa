"""SMOG-P / ATL-1 and SMOG-1 repeat-accumulate framings (BME's PocketQubes).

A frame of ``frame_size`` bytes (128 or 256, the satellite description's
``frame size``) is RA-encoded (:mod:`sdrlink.coding.ra`: 260 or 514 code
bytes) and sent after a sync word: SMOG-P and ATL-1 ("SMOG-P RA") use the
16-bit 0x2DD4 and nothing else, SMOG-1 ("SMOG-1 RA") the 48-bit
0x2DD463C53599 and ends the frame with a CRC-16/ARC of the bytes before it
(low byte first), which the decoded frame keeps, as gr-satellites outputs
it. Facts from gr-satellites 4.4.0 (``smogp_ra_deframer.py``: sync words,
code sizes, the CRC; ``decode_ra_code_impl.cc``: bit order). Sync word
errors allowed: 6 of SMOG-1's 48 bits (as gr-satellites), 1 of SMOG-P's 16
(gr-satellites: none, which loses two thirds of the frames at the code's
threshold of about 8 % wrong bits; one error costs an RA decoding, about
20 ms, every 2000 noise bits on average).

SMOG-P's frames have no check, so the deframer accepts one only when the
re-encoded decoding agrees with the channel: at most 20 % of the hard code
bits may disagree (gr-satellites allows 35 %; noise gives 35-50 %, and frames
the decoder can correct have under 13 %). SMOG-P frames carry ``crc_ok``
None, SMOG-1 frames True. Fields: ``ra_errors`` (code bits the decoder
corrected), ``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_ARC
from sdrlink.coding.ra import ra_code
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, FramingOption
from sdrlink.framing.syncframe import Decoded, SyncDeframer, bits_from_string, unpack_msb

SYNC_SMOGP = bits_from_string("0010110111010100")
SYNC_SMOG1 = bits_from_string("001011011101010001100011110001010011010110011001")
MAX_ERROR_RATE = 0.2


def _frame_size(value: Any) -> int:
    v = int(value, 0) if isinstance(value, str) else int(value)
    if v not in (128, 256):
        raise ValueError("frame size is 128 or 256 bytes")
    return v


OPT_FRAME_SIZE = FramingOption(
    "frame_size", 256, "RA frame size in bytes before coding: 128 or 256", _frame_size, "BYTES"
)


class _Codec:
    def __init__(self, frame_size: int, crc: bool) -> None:
        self.code = ra_code(frame_size // 2)
        self.crc = crc
        self.bits = 16 * self.code.n

    def decode(self, soft: np.ndarray) -> list[Decoded]:
        if len(soft) < self.bits:
            return []
        code = soft[: self.bits]
        if np.count_nonzero(np.nan_to_num(code)) < self.bits // 2:
            return []  # mostly erased (a zero-filled gap): all zeros would pass the CRC
        data, errors = self.code.decode(code)
        if self.crc:
            if not CRC16_ARC.verify(data, "little"):
                return []
            return [Decoded(data, True, self.bits, {"ra_errors": errors})]
        if errors > MAX_ERROR_RATE * self.bits:
            return []
        return [Decoded(data, None, self.bits, {"ra_errors": errors})]

    def encode(self, payload: bytes, preamble_bits: int, sync: np.ndarray) -> EncodedFrame:
        size = 2 * self.code.k
        if self.crc:
            if len(payload) != size - 2:
                raise ConfigError(f"SMOG-1 RA frames carry {size - 2} bytes (plus their CRC)")
            payload = bytes(payload) + CRC16_ARC.to_bytes(payload, "little")
        elif len(payload) != size:
            raise ConfigError(f"SMOG-P RA frames are {size} bytes")
        n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
        pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
        coded = unpack_msb(self.code.encode(payload))
        return EncodedFrame(np.concatenate([pre, sync, coded, pre[:16]]), n_pre)


def _maker(smog1: bool) -> Callable[[Mapping[str, Any], bool | None], Deframer]:
    def make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
        codec = _Codec(int(options["frame_size"]), smog1)
        sync, errors = (SYNC_SMOG1, 6) if smog1 else (SYNC_SMOGP, 1)
        return SyncDeframer(sync, errors, codec.bits, codec.decode, invert)

    return make


def _encoder(smog1: bool) -> Callable[[bytes, Mapping[str, Any], int], EncodedFrame]:
    def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
        codec = _Codec(int(options["frame_size"]), smog1)
        return codec.encode(payload, preamble_bits, SYNC_SMOG1 if smog1 else SYNC_SMOGP)

    return encode


FRAMINGS = (
    Framing(
        name="smogp_ra",
        description="SMOG-P/ATL-1 RA: sync 0x2DD4, repeat-accumulate code, 128/256-byte frames",
        make_deframer=_maker(False),
        encode=_encoder(False),
        aliases=("SMOG-P RA",),
        options=(OPT_FRAME_SIZE,),
        max_payload=256,
    ),
    Framing(
        name="smog1_ra",
        description="SMOG-1 RA: 48-bit sync, repeat-accumulate code, CRC-16/ARC",
        make_deframer=_maker(True),
        encode=_encoder(True),
        aliases=("SMOG-1 RA",),
        options=(OPT_FRAME_SIZE,),
        max_payload=254,
    ),
)
