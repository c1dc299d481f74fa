"""SMOG-P / ATL-1, SMOG-1 and MRC-100 repeat-accumulate framings (BME's satellites).

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

MRC-100 ("MRC-100 RA", gr-satellites master ``smogp_ra_deframer.py`` with
variant 'MRC-100'): 32-bit sync word 0xE31C9DAE (4 errors allowed, as
gr-satellites), frames of ``frame_size`` 126 bytes (252 code bytes: the RA
code of 63 words, built by the same rules as the others; not confirmed by a
recording), whose bytes 1 and 2 hold a CRC-16/CCITT-FALSE, low byte first,
of bytes 0 and 3..125. The decoded frame keeps the CRC in place, as
gr-satellites outputs it; its encoder takes the 124 other bytes.

SMOG-P's frames have no check, so the deframer accepts one only when the
re-encoded decoding agrees with the channel: at most 20 % of the hard code
bits may disagree (gr-satellites allows 35 %; noise gives 35-50 %, and frames
the decoder can correct have under 13 %). SMOG-P frames carry ``crc_ok``
None, SMOG-1 and MRC-100 frames True. Fields: ``ra_errors`` (code bits the decoder
corrected), ``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_ARC, CRC16_CCITT_FALSE
from sdrlink.coding.ra import ra_code
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, FramingOption
from sdrlink.framing.syncframe import Decoded, SyncDeframer, bits_from_string, unpack_msb

SYNC_SMOGP = bits_from_string("0010110111010100")
SYNC_SMOG1 = bits_from_string("001011011101010001100011110001010011010110011001")
SYNC_MRC100 = bits_from_string("11100011000111001001110110101110")
MAX_ERROR_RATE = 0.2


def _frame_size(value: Any) -> int:
    v = int(value, 0) if isinstance(value, str) else int(value)
    if v not in (128, 256):
        raise ValueError("frame size is 128 or 256 bytes")
    return v


OPT_FRAME_SIZE = FramingOption(
    "frame_size", 256, "RA frame size in bytes before coding: 128 or 256", _frame_size, "BYTES"
)


def _mrc_frame_size(value: Any) -> int:
    v = int(value, 0) if isinstance(value, str) else int(value)
    if v not in (126, 128, 256):
        raise ValueError("frame size is 126, 128 or 256 bytes")
    return v


OPT_MRC_FRAME_SIZE = FramingOption(
    "frame_size",
    126,
    "RA frame size in bytes before coding: 126, 128 or 256",
    _mrc_frame_size,
    "BYTES",
)


def _mrc_crc_ok(frame: bytes) -> bool:
    return CRC16_CCITT_FALSE.to_bytes(frame[:1] + frame[3:], "little") == frame[1:3]


class _Codec:
    """The RA code of one variant ("smogp", "smog1", "mrc100") and frame size."""

    def __init__(self, frame_size: int, variant: str) -> None:
        self.code = ra_code(frame_size // 2)
        self.variant = variant
        self.bits = 16 * self.code.n

    def decode(self, soft: np.ndarray) -> list[Decoded]:
        if len(soft) < self.bits:
            return []
        code = soft[: self.bits]
        if np.count_nonzero(np.nan_to_num(code)) < self.bits // 2:
            return []  # mostly erased (a zero-filled gap): all zeros would pass the CRC
        data, errors = self.code.decode(code)
        fields = {"ra_errors": errors}
        if self.variant == "smog1":
            ok = CRC16_ARC.verify(data, "little")
        elif self.variant == "mrc100":
            ok = _mrc_crc_ok(data)
        else:
            if errors > MAX_ERROR_RATE * self.bits:
                return []
            return [Decoded(data, None, self.bits, fields)]
        return [Decoded(data, True, self.bits, fields)] if ok else []

    def encode(self, payload: bytes, preamble_bits: int, sync: np.ndarray) -> EncodedFrame:
        size = 2 * self.code.k
        payload = bytes(payload)
        if self.variant != "smogp" and len(payload) != size - 2:
            name = "SMOG-1" if self.variant == "smog1" else "MRC-100"
            raise ConfigError(f"{name} RA frames carry {size - 2} bytes (plus their CRC)")
        if self.variant == "smog1":
            payload += CRC16_ARC.to_bytes(payload, "little")
        elif self.variant == "mrc100":
            crc = CRC16_CCITT_FALSE.to_bytes(payload, "little")
            payload = payload[:1] + crc + payload[1:]
        elif len(payload) != size:
            raise ConfigError(f"SMOG-P RA frames are {size} bytes")
        n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
        pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
        coded = unpack_msb(self.code.encode(payload))
        return EncodedFrame(np.concatenate([pre, sync, coded, pre[:16]]), n_pre)


#: variant -> (sync word, sync word errors allowed)
_SYNC = {"smogp": (SYNC_SMOGP, 1), "smog1": (SYNC_SMOG1, 6), "mrc100": (SYNC_MRC100, 4)}


def _maker(variant: str) -> Callable[[Mapping[str, Any], bool | None], Deframer]:
    def make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
        codec = _Codec(int(options["frame_size"]), variant)
        sync, errors = _SYNC[variant]
        return SyncDeframer(sync, errors, codec.bits, codec.decode, invert)

    return make


def _encoder(variant: str) -> Callable[[bytes, Mapping[str, Any], int], EncodedFrame]:
    def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
        codec = _Codec(int(options["frame_size"]), variant)
        return codec.encode(payload, preamble_bits, _SYNC[variant][0])

    return encode


FRAMINGS = (
    Framing(
        name="smogp_ra",
        description="SMOG-P/ATL-1 RA: sync 0x2DD4, repeat-accumulate code, 128/256-byte frames",
        make_deframer=_maker("smogp"),
        encode=_encoder("smogp"),
        aliases=("SMOG-P RA",),
        options=(OPT_FRAME_SIZE,),
        max_payload=256,
    ),
    Framing(
        name="smog1_ra",
        description="SMOG-1 RA: 48-bit sync, repeat-accumulate code, CRC-16/ARC",
        make_deframer=_maker("smog1"),
        encode=_encoder("smog1"),
        aliases=("SMOG-1 RA",),
        options=(OPT_FRAME_SIZE,),
        max_payload=254,
    ),
    Framing(
        name="mrc100_ra",
        description="MRC-100 RA: sync 0xE31C9DAE, repeat-accumulate code, CRC-16 in bytes 1-2",
        make_deframer=_maker("mrc100"),
        encode=_encoder("mrc100"),
        aliases=("MRC-100 RA",),
        options=(OPT_MRC_FRAME_SIZE,),
        max_payload=254,
    ),
)
