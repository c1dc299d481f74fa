"""QUBIK framing (Libre Space Foundation's QUBIK PocketQubes; ERMINAZ-1U's first downlink).

After the 32-bit sync word 0x3C674952 come 164 bytes, MSB first: one
shortened CCSDS Reed-Solomon codeword (RS(255,223), conventional basis) of
132 data bytes and 32 parity bytes. Unusually the CCSDS randomiser is
applied before the RS encoding, so the codeword's data are randomised:
de-randomised they are the 126-byte frame, its CRC-16/CCITT-FALSE and a
CRC-32C of frame and CRC-16 (both high byte first). The frame is the 126
bytes.

Facts from gr-satellites master (``qubik_deframer.py``: sync word with 4
errors allowed, the 128 + 32 + 4 bytes, the order RS, randomiser, CRC-32C,
CRC-16; ``crcs.py``: the CRCs and their byte order). gr-satellites cites
the ERMINAZ team's transceiver flowgraph and gr-satnogs'
``ieee802_15_4_variant_decoder.cc`` as its sources; not read here, and no
recording was at hand. Fields: ``rs_corrected``, ``sync_errors``,
``inverted``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_CCITT_FALSE, CRC32C
from sdrlink.coding.reedsolomon import rs_decode, rs_encode
from sdrlink.coding.scramblers import ccsds_xor
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

SYNC = bits_from_string("00111100011001110100100101010010")
FRAME = 126
DATA = FRAME + 2 + 4  # frame, CRC-16, CRC-32C
CODEWORD = DATA + 32


@functools.lru_cache(maxsize=16)
def _correct(block: bytes) -> tuple[bytes, int] | None:
    """RS decoding (cached: the receiver's parallel synchronisers hand over the same bits)."""
    return rs_decode(block)


def decode(soft: np.ndarray) -> list[Decoded]:
    if len(soft) < 8 * CODEWORD:
        return []
    res = _correct(pack_msb(hard_bits(soft[: 8 * CODEWORD])))
    if res is None:
        return []
    data = ccsds_xor(res[0])
    if not (CRC32C.verify(data, "big") and CRC16_CCITT_FALSE.verify(data[:-4], "big")):
        return []
    return [Decoded(data[:FRAME], True, 8 * CODEWORD, {"rs_corrected": res[1]})]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, sync word, the RS codeword of the randomised frame + CRCs."""
    frame = bytes(payload)
    if len(frame) != FRAME:
        raise ConfigError(f"QUBIK frames are {FRAME} bytes")
    frame += CRC16_CCITT_FALSE.to_bytes(frame, "big")
    frame += CRC32C.to_bytes(frame, "big")
    data = ccsds_xor(frame)
    n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
    pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
    coded = unpack_msb(data + rs_encode(data))
    return EncodedFrame(np.concatenate([pre, SYNC, coded, pre[:16]]), n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 4, 8 * CODEWORD, decode, invert)


FRAMINGS = (
    Framing(
        name="qubik",
        description="QUBIK: sync 0x3C674952, CCSDS randomiser then RS(164,132), CRC-32C, CRC-16",
        make_deframer=_make,
        encode=encode,
        aliases=("QUBIK",),
        max_payload=FRAME,
    ),
)
