"""Unified SPUTNIX Protocol (USP): CCSDS concatenated coding with a DVB-S2-style header.

SPUTNIX's satellites (CubeSX-HSE, CubeSX-Sirius-HSE, OrbiCraft-Zorkiy) send,
after the 64-bit sync word 0x5072F64B2D90B1F5, a 64-bit physical-layer
signalling code (PLS) that gives the frame's length, then the frame:
``data_len`` bytes + 32 RS(255,223) parity bytes (dual basis, as CCSDS),
CCSDS-randomised, convolutionally coded with the CCSDS K=7 r=1/2 code from
the zero state and not terminated. The PLS is one of two codewords of the
DVB-S2 PLS code, XORed with the DVB-S2 PLS scrambling sequence
0x719D83C953422DFA: the all-zero codeword for 48 data bytes, the alternating
one (0101...) for 223. The data are a 2-byte field, a 16-bit little-endian
length and an AX.25 frame (without FCS), which is what the deframer outputs.
Facts from gr-satellites 4.4.0 (``usp_deframer.py``: sync word with up to 13
bit errors, code, randomiser, RS basis; ``usp/usp_pls_crop.py``: the PLS
codes and their lengths, which it notes are swapped relative to the
protocol description v1.04; ``usp/usp_ax25_crop.py``: the length field).

The PLS is chosen by the smaller Hamming distance (the two codewords differ
in 32 bits), the coded block soft-Viterbi decoded. Fields: ``usp_data_len``,
``rs_corrected``, ``viterbi_errors`` (channel symbols the Viterbi decoder
corrected), the AX.25 addresses when they parse, ``sync_errors``,
``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.convolutional import CCSDS, channel_errors, conv_encode, viterbi_block
from sdrlink.coding.reedsolomon import decode_frame, encode_frame
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.errors import ConfigError
from sdrlink.framing.ax25 import parse_addresses
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.sync import bits_of
from sdrlink.framing.syncframe import Decoded, SyncDeframer, hard_bits, unpack_msb

SYNC = bits_of(0x5072F64B2D90B1F5, 64)
MAX_SYNC_ERRORS = 13
PLS_SCRAMBLE = bits_of(0x719D83C953422DFA, 64)
PLS = {48: PLS_SCRAMBLE, 223: PLS_SCRAMBLE ^ (np.arange(64, dtype=np.uint8) & 1)}
SPAN = 64 + 16 * (223 + 32)


def data_len(pls_bits: np.ndarray) -> int:
    """The data length the PLS announces (nearest codeword)."""
    return min(PLS, key=lambda n: int(np.count_nonzero(PLS[n] != pls_bits)))


def needed(after: np.ndarray) -> int:
    if len(after) < 64:
        return 64
    return 64 + 16 * (data_len(after[:64]) + 32)


def decode_block(soft: np.ndarray) -> list[Decoded]:
    if len(soft) < 64:
        return []
    n = data_len(hard_bits(soft[:64]))
    coded = soft[64 : 64 + 16 * (n + 32)]
    if len(coded) < 16 * (n + 32):
        return []
    bits = viterbi_block(coded, CCSDS, start_state=0, terminated=False)
    res = decode_frame(ccsds_xor(np.packbits(bits).tobytes()), 1, "dual")
    if res is None:
        return []
    data, corrected = res
    length = int.from_bytes(data[2:4], "little")
    if not 0 < length <= n - 4:
        return []
    frame = data[4 : 4 + length]
    fields: dict[str, Any] = {
        "usp_data_len": n,
        "rs_corrected": corrected[0],
        "viterbi_errors": channel_errors(coded, bits, CCSDS),
    }
    addr = parse_addresses(frame)
    if addr is not None:
        fields.update({k: v for k, v in addr.items() if k != "header_len"})
    return [Decoded(frame, True, 64 + len(coded), fields)]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Preamble, sync word, PLS, coded frame (48 data bytes if the frame fits, else 223)."""
    if not 1 <= len(payload) <= 223 - 4:
        raise ConfigError("USP frames carry 1..219 bytes")
    n = 48 if len(payload) <= 48 - 4 else 223
    data = (b"\x00\x00" + len(payload).to_bytes(2, "little") + bytes(payload)).ljust(n, b"\x00")
    coded = conv_encode(unpack_msb(ccsds_xor(encode_frame(data, 1, "dual"))), CCSDS)
    n_pre = max(64, preamble_bits)
    pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
    bits = np.concatenate([pre, SYNC, PLS[n], coded, pre[:32]])
    return EncodedFrame(bits, n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, MAX_SYNC_ERRORS, SPAN, decode_block, invert, needed=needed)


FRAMINGS = (
    Framing(
        name="usp",
        description="USP (SPUTNIX): 64-bit sync, PLS length code, K=7 code, randomiser, RS",
        make_deframer=_make,
        encode=encode,
        aliases=("USP",),
        max_payload=219,
        ax25=True,
    ),
)
