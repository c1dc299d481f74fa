"""OpenLST framing (the open-source CC1110 radio of Planet; DORA): FEC, interleaving, PN9.

After the 32-bit sync word 0xD391D391 the packet goes through the TI CC1110
packet engine's FEC (TI design note DN504): a rate-1/2 convolutional code of
constraint length 4 whose first output bit per input bit is 1 + D^2 + D^3 and
second 1 + D + D^2 + D^3 (generators 13 and 17 octal, MSB the newest bit),
the coded bits interleaved in blocks of 4 bytes (16 two-bit symbols, written
row-wise into a 4x4 matrix and read column-wise: symbol ``j`` of byte ``i``
on air is symbol ``3 - i`` of coded byte ``3 - j``; the interleaver is its own
inverse). Decoded, the bytes are PN9-whitened (TI's PN9 from the all-ones
state, as :func:`sdrlink.coding.scramblers.pn9_xor`): a length byte ``L``, then
``L - 2`` data bytes and a CRC-16 (polynomial 0x8005, initial 0xFFFF:
CRC-16/CMS) of the length byte and data, low byte first. The frame is the
data.

Facts from gr-satellites master (``openlst_deframer.py``, which takes its
FEC decoder from Robert Zimmerman's gr-openlst: the sync word with 4 errors
allowed, at most 512 coded bytes, the code's trellis from which the
generators above were read, the interleaver, the whitening after decoding,
the length and CRC; gr-satellites supports only OpenLST's FEC + whitening
configuration, DORA's). The code's start state is taken as unknown (as
gr-openlst does) and its termination is not relied on: the decoder runs
soft Viterbi (:mod:`sdrlink.coding.convolutional`) over the 4-byte blocks
that hold the packet plus one more when it has arrived. The encoder
flushes the code with zeros and pads to whole blocks; how the CC1110 itself
terminates (DN504's trellis terminator) is not confirmed here, nor is the
code by a recording. Fields: ``viterbi_errors`` (coded bits the decoder
corrected in the packet), ``sync_errors``, ``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.convolutional import ConvCode, channel_errors, conv_encode, viterbi_block
from sdrlink.coding.crc import CRC16_CMS
from sdrlink.coding.scramblers import pn9_xor
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.syncframe import Decoded, SyncDeframer, bits_from_string, pack_msb

SYNC = bits_from_string("11010011100100011101001110010001")
CODE = ConvCode(4, (0o13, 0o17))
BLOCK = 32  # coded bits per interleaver block (16 data bits)
MAX_CODED = 512  # coded bytes after the sync word gr-satellites looks at
MAX_DATA = MAX_CODED // 2 - 3 - 2  # length byte, CRC, and room for the code's flush
_HEAD_BLOCKS = 3  # blocks decoded to read the length byte


def _interleaver() -> np.ndarray:
    """Index map of one 32-bit block: deinterleaved bit p is on-air bit PERM[p]."""
    perm = np.empty(BLOCK, np.int64)
    for i in range(4):  # coded byte
        for j in range(4):  # symbol in it, first on air first
            for k in range(2):
                perm[8 * i + 2 * j + k] = 8 * (3 - j) + 2 * (3 - i) + k
    return perm


PERM = _interleaver()


def deinterleave(x: np.ndarray) -> np.ndarray:
    """On-air bits or soft symbols (whole blocks) -> coded order (and back: an involution)."""
    return np.asarray(x).reshape(-1, BLOCK)[:, PERM].ravel()


def _blocks_for(nbytes: int) -> int:
    """Interleaver blocks holding the code of ``nbytes`` packet bytes."""
    return -(-16 * nbytes // BLOCK)


def _decode_bytes(soft: np.ndarray, nbytes: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The first ``nbytes`` whitened bytes decoded from whole blocks of ``soft``
    (polarity-corrected, on-air order); also the coded soft symbols and info bits."""
    coded = deinterleave(soft[: BLOCK * (len(soft) // BLOCK)])
    info = viterbi_block(coded, CODE, start_state=None, terminated=False)
    return pack_msb(info[: 8 * nbytes]), coded, info


def _length(first: int) -> int | None:
    """Packet bytes (length byte included) for a de-whitened length byte, or None."""
    return first + 1 if 3 <= first <= MAX_DATA + 2 else None


def needed(after: np.ndarray) -> int | None:
    head = BLOCK * _HEAD_BLOCKS
    if len(after) < head:
        return head
    raw, _, _ = _decode_bytes(2.0 * after[:head].astype(np.float32) - 1.0, 1)
    n = _length(pn9_xor(raw)[0])
    if n is None:
        return None
    return BLOCK * (_blocks_for(n) + 1)  # one block more: the code's tail


def decode(soft: np.ndarray) -> list[Decoded]:
    if len(soft) < BLOCK * _HEAD_BLOCKS:
        return []
    head, _, _ = _decode_bytes(soft[: BLOCK * _HEAD_BLOCKS], 1)
    n = _length(pn9_xor(head)[0])
    if n is None:
        return []
    blocks = min(len(soft) // BLOCK, _blocks_for(n) + 1)
    if blocks < _blocks_for(n):
        return []
    raw, coded, info = _decode_bytes(soft[: BLOCK * blocks], n)
    packet = pn9_xor(raw)
    if packet[0] + 1 != n or not CRC16_CMS.verify(packet, "little"):
        return []
    errors = channel_errors(coded[: 16 * n], info[: 8 * n], CODE, 0)
    return [Decoded(packet[1:-2], True, BLOCK * blocks, {"viterbi_errors": errors})]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, sync word, the coded and interleaved whitened packet."""
    data = bytes(payload)
    if not 1 <= len(data) <= MAX_DATA:  # the deframer takes length bytes from 3 up
        raise ConfigError(f"OpenLST frames carry 1..{MAX_DATA} bytes")
    body = bytes([len(data) + 2]) + data
    packet = pn9_xor(body + CRC16_CMS.to_bytes(body, "little"))
    info = np.unpackbits(np.frombuffer(packet, np.uint8))
    total = 16 * (-(-(len(info) + CODE.k - 1) // 16))  # flush, then whole blocks
    info = np.concatenate([info, np.zeros(total - len(info), np.uint8)])
    air = deinterleave(conv_encode(info, CODE))
    n_pre = max(32, preamble_bits + (-preamble_bits) % 8)
    pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
    return EncodedFrame(np.concatenate([pre, SYNC, air, pre[:16]]).astype(np.uint8), n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 4, 8 * MAX_CODED + BLOCK, decode, invert, needed=needed)


FRAMINGS = (
    Framing(
        name="openlst",
        description="OpenLST (CC1110, DORA): sync 0xD391D391, K=4 FEC, interleaving, PN9, CRC-16",
        make_deframer=_make,
        encode=encode,
        aliases=("OpenLST",),
        max_payload=MAX_DATA,
    ),
)
