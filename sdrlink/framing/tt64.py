"""TT-64 framing (QB50 AT03 "Pegasus", 9600 Bd FSK): sync 0x2DD4, RS(64,48), CRC-16/ARC.

After the 16-bit sync word 0x2DD4 come 64 bytes (MSB first): a Reed-Solomon
codeword of 48 data and 16 parity bytes (field polynomial 0x11D, first root 1,
primitive element 1: it corrects 8 byte errors), whose data end with a
CRC-16/ARC of the 46 before it, low byte first. The frame is those 46 bytes.
Facts from gr-satellites 4.4.0 (``tt64_deframer.py``: sync word with 1 error
allowed, length, RS parameters; ``check_tt64_crc.py``: the CRC). Fields:
``rs_corrected``, ``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_ARC
from sdrlink.coding.reedsolomon import ReedSolomon
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.syncframe import (
    Decoded,
    SyncDeframer,
    bits_from_string,
    hard_bits,
    pack_msb,
    unpack_msb,
)

SYNC = bits_from_string("0010110111010100")
RS = ReedSolomon(nroots=16, fcr=1, prim=1, gfpoly=0x11D)
CODEWORD, DATA = 64, 46


def decode_block(soft: np.ndarray) -> list[Decoded]:
    if len(soft) < 8 * CODEWORD:
        return []
    res = RS.decode(pack_msb(hard_bits(soft[: 8 * CODEWORD])))
    if res is None or not CRC16_ARC.verify(res[0], "little"):
        return []
    return [Decoded(res[0][:DATA], True, 8 * CODEWORD, {"rs_corrected": res[1]})]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, sync word, the RS codeword of 46 bytes + CRC."""
    if len(payload) != DATA:
        raise ConfigError(f"TT-64 frames are {DATA} bytes")
    data = bytes(payload) + CRC16_ARC.to_bytes(payload, "little")
    n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
    bits = np.concatenate(
        [
            (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1,
            SYNC,
            unpack_msb(data + RS.encode(data)),
            unpack_msb(b"\xaa\xaa"),
        ]
    )
    return EncodedFrame(bits, n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 1, 8 * CODEWORD, decode_block, invert)


FRAMINGS = (
    Framing(
        name="tt64",
        description="TT-64 (AT03): sync 0x2DD4, RS(64,48) over GF(2^8)/0x11D, CRC-16/ARC",
        make_deframer=_make,
        encode=encode,
        aliases=("TT-64",),
        max_payload=DATA,
    ),
)
