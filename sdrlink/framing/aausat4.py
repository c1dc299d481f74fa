"""AAUSAT-4 framing (Aalborg University's CubeSat, 2k4 and 9k6 FSK).

On air (NRZ): a 0101... training sequence, the 48-bit sync word "OZ4CUB"
in ASCII (0x4F5A34435542), a frame size marker (FSM) byte, 0x59 for a long
frame and 0xA6 for a short one, then the coded block: the data block (92
bytes long, 31 short) with 32 Reed-Solomon parity bytes (the CCSDS code in
the conventional basis, :mod:`sdrlink.coding.reedsolomon`), CCSDS-randomised,
then through the CCSDS K=7 rate-1/2 convolutional code (171/133 octal, the
second output inverted) from the zero state, terminated by 6 zero bits:
1996 coded bits long (998 steps), 1020 short, each padded to whole bytes (250
and 128). The data block starts with the length of the CSP packet after its
4-byte header (big-endian 16 bits), then the packet, then padding.

Sources: the AAUSAT-4 team's description of the FSM values, block sizes and
length field as quoted by D. Estévez ("A bunch of data from AAUSAT-4",
destevez.net, 2016); gr-satellites 4.4 ``aausat4_deframer.py`` (sync word,
8-bit error threshold, code polynomials, terminated trellis, randomiser, RS
basis). The deframer returns the whole data block, as gr-satellites does.

Fields: ``sync_errors``, ``inverted``, ``long`` (FSM said long), ``fsm_errors``
(FSM bits that differ from the chosen marker), ``viterbi_errors`` (coded bits
the soft Viterbi decoder corrected), ``rs_corrected`` and ``csp_length``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.convolutional import CCSDS, channel_errors, conv_encode, viterbi_block
from sdrlink.coding.reedsolomon import rs_decode, rs_encode
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.framing.base import EncodedFrame, Framing
from sdrlink.framing.sync import Decoded, SyncDeframer, bits_of

SYNC_WORD = int.from_bytes(b"OZ4CUB", "big")
SYNC_BITS = bits_of(SYNC_WORD, 48)
FSM_LONG, FSM_SHORT = 0x59, 0xA6
LONG_DATA, SHORT_DATA = 92, 31
PARITY = 32
MAX_SYNC_ERRORS = 8  # as gr-satellites
TAIL = CCSDS.k - 1


def coded_bits(data_len: int) -> int:
    """Convolutionally coded bits of a block carrying ``data_len`` data bytes."""
    return 2 * (8 * (data_len + PARITY) + TAIL)


_FSM_SIGNS = {fsm: bits_of(fsm, 8).astype(np.float32) * 2 - 1 for fsm in (FSM_LONG, FSM_SHORT)}


@functools.lru_cache(maxsize=16)
def _correct(block: bytes) -> tuple[bytes, int] | None:
    """Derandomise and RS-decode (cached: parallel synchronisers repeat blocks)."""
    return rs_decode(ccsds_xor(block))


class Aausat4Deframer(SyncDeframer):
    """Sync word, FSM (soft decision long/short), soft Viterbi, randomiser, RS."""

    header_bits = 8

    def __init__(self, invert: bool | None) -> None:
        super().__init__(SYNC_BITS, MAX_SYNC_ERRORS, 8 + coded_bits(LONG_DATA), invert)

    def needed(self, head: np.ndarray) -> int | None:
        fsm = int(np.packbits(head[:8])[0])
        short = bin(fsm ^ FSM_SHORT).count("1") < bin(fsm ^ FSM_LONG).count("1")
        return 8 + coded_bits(SHORT_DATA if short else LONG_DATA)

    def decode(self, bits: np.ndarray, soft: np.ndarray, sync_errors: int) -> Decoded | None:
        if len(soft) < 8:
            return None
        corr = float(np.dot(soft[:8], _FSM_SIGNS[FSM_LONG]))
        order = (LONG_DATA, SHORT_DATA) if corr >= 0 else (SHORT_DATA, LONG_DATA)
        fsm = int(np.packbits(bits[:8])[0])
        for data_len in order:  # the marker's choice first, the other if that fails
            n = coded_bits(data_len)
            if len(soft) < 8 + n:
                continue
            coded = soft[8 : 8 + n]
            info = viterbi_block(coded, CCSDS, start_state=0, terminated=True)
            block = np.packbits(info[: 8 * (data_len + PARITY)]).tobytes()
            res = _correct(block)
            if res is None:
                continue
            data, corrected = res
            marker = FSM_LONG if data_len == LONG_DATA else FSM_SHORT
            fields = {
                "long": data_len == LONG_DATA,
                "fsm_errors": bin(fsm ^ marker).count("1"),
                "viterbi_errors": channel_errors(coded, info, CCSDS),
                "rs_corrected": corrected,
                "csp_length": int.from_bytes(data[:2], "big"),
            }
            return Decoded(data, True, fields, used=8 + n)
        return None


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One transmission of a data block (``payload`` zero-padded to 31 bytes, or
    to 92 when longer: the receiver returns the padded block)."""
    if len(payload) > LONG_DATA:
        raise ValueError(f"AAUSAT-4 frames carry at most {LONG_DATA} bytes")
    data_len = SHORT_DATA if len(payload) <= SHORT_DATA else LONG_DATA
    data = bytes(payload).ljust(data_len, b"\x00")
    block = ccsds_xor(data + rs_encode(data))
    info = np.concatenate(
        [np.unpackbits(np.frombuffer(block, dtype=np.uint8)), np.zeros(TAIL, np.uint8)]
    )
    coded = conv_encode(info, CCSDS)
    coded = np.concatenate([coded, np.zeros((-len(coded)) % 8, np.uint8)])
    n_pre = max(8, -(-preamble_bits // 8))
    fsm = FSM_LONG if data_len == LONG_DATA else FSM_SHORT
    head = b"\x55" * n_pre + SYNC_WORD.to_bytes(6, "big") + bytes([fsm])
    bits = np.concatenate(
        [np.unpackbits(np.frombuffer(head, dtype=np.uint8)), coded, bits_of(0x5555, 16)]
    )
    return EncodedFrame(bits, 8 * n_pre)


FRAMINGS = (
    Framing(
        name="aausat4",
        description="AAUSAT-4: sync OZ4CUB, size marker, CCSDS K=7 code, CCSDS scrambler, RS",
        make_deframer=lambda options, invert: Aausat4Deframer(invert),
        encode=encode,
        aliases=("AAUSAT-4",),
        max_payload=LONG_DATA,
    ),
)
