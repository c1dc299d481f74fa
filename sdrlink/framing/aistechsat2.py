"""AISTECHSAT-2 custom CCSDS-like framing (1200/4800/9600 Bd FSK).

After the CCSDS sync marker 0x1ACFFC1D come 125 bytes, CCSDS-randomised from
the first: a 10-byte header and a shortened RS(255,223) codeword in the
conventional basis (83 data bytes, 32 parity). The frame is the 83 data
bytes (the header, which the code does not protect, is reported as the field
``header``, hex). Facts from gr-satellites 4.4.0
(``aistechsat_2_deframer.py``: marker with up to 4 bit errors, length,
randomiser over the whole block, 10 bytes dropped, RS without dual basis).
Fields: ``header``, ``rs_corrected``, ``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.reedsolomon import rs_decode, rs_encode
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.ccsds import ASM, ASM_BITS
from sdrlink.framing.syncframe import Decoded, SyncDeframer, hard_bits, pack_msb, unpack_msb

HEADER, DATA, PARITY = 10, 83, 32
BLOCK = HEADER + DATA + PARITY


def decode_block(soft: np.ndarray) -> list[Decoded]:
    if len(soft) < 8 * BLOCK:
        return []
    block = ccsds_xor(pack_msb(hard_bits(soft[: 8 * BLOCK])))
    res = rs_decode(block[HEADER:])
    if res is None:
        return []
    fields = {"header": block[:HEADER].hex(), "rs_corrected": res[1]}
    return [Decoded(res[0], True, 8 * BLOCK, fields)]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, marker, randomised header (zeros) and RS codeword."""
    if len(payload) != DATA:
        raise ConfigError(f"AISTECHSAT-2 frames are {DATA} bytes")
    block = ccsds_xor(bytes(HEADER) + bytes(payload) + rs_encode(payload))
    n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
    bits = np.concatenate(
        [
            (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1,
            unpack_msb(ASM.to_bytes(4, "big") + block + b"\xaa\xaa"),
        ]
    )
    return EncodedFrame(bits, n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(ASM_BITS, 4, 8 * BLOCK, decode_block, invert)


FRAMINGS = (
    Framing(
        name="aistechsat2",
        description="AISTECHSAT-2: CCSDS marker, randomiser, 10-byte header, RS(115,83)",
        make_deframer=_make,
        encode=encode,
        aliases=("AISTECHSAT-2",),
        max_payload=DATA,
    ),
)
