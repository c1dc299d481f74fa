"""GomSpace AX100 "ASM+Golay" framing (as in the U482C/AX100 radios).

On air (NRZ, MSB first): preamble, the 32-bit sync word 0x930B51DE, a 24-bit
Golay(24,12)-coded field whose low 8 data bits are the length of the coded
block and bits 0x100/0x200/0x400 flag convolutional coding, scrambling and
Reed-Solomon, then the block. The AX100 receiver always applies the CCSDS
randomiser and RS(255,223) (shortened; 32 parity bytes at the end), so the
decoded frame is ``length - 32`` bytes: the CSP header and payload.
"""

from __future__ import annotations

import functools

import numpy as np

from sdrlink._ext import fsk_dsp  # type: ignore[attr-defined]
from sdrlink.protocols.fsk.golay import golay24_decode, golay24_encode
from sdrlink.protocols.fsk.reedsolomon import rs_decode, rs_encode
from sdrlink.protocols.fsk.scramblers import ccsds_xor

SYNC_WORD = 0x930B51DE
SYNC_BITS = np.array([(SYNC_WORD >> (31 - i)) & 1 for i in range(32)], dtype=np.uint8)
HEADER_BITS = 32 + 24
MAX_BLOCK = 255
FLAG_VITERBI, FLAG_SCRAMBLER, FLAG_RS = 0x100, 0x200, 0x400


def find_sync(
    bits: np.ndarray, max_errors: int = 4, pattern: np.ndarray = SYNC_BITS
) -> tuple[np.ndarray, np.ndarray]:
    """Indices where ``pattern`` (default: the AX100 sync word) starts with <= max_errors
    bit errors, in either polarity.

    Returns (indices, inverted) where ``inverted`` says the bits there are the
    complement of the sync word (inverted FSK polarity).
    """
    bits = np.ascontiguousarray(bits, dtype=np.uint8)
    n = len(pattern)
    if len(bits) < n:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    word = int("".join(str(int(b)) for b in pattern), 2)
    idx = np.empty(len(bits), np.int64)
    inv = np.empty(len(bits), np.uint8)
    k = fsk_dsp.sync_search(bits, word, n, max_errors, idx, inv)
    return idx[:k].copy(), inv[:k].astype(bool)


def decode_block(bits: np.ndarray) -> tuple[bytes, int, int] | None:
    """Decode Golay header + block from the bits after the sync word.

    ``bits`` must start right after the sync word (already polarity-corrected)
    and hold at least 24 + 8*length bits. Returns (frame, RS-corrected bytes,
    Golay-corrected bits), or None when the header or the RS decoding fails.
    Raises IndexError-free: too few bits also gives None.
    """
    if len(bits) < 24:
        return None
    head = int(np.packbits(bits[:24]).view(">u1").astype(np.int64) @ [1 << 16, 1 << 8, 1])
    dec = golay24_decode(head)
    if dec is None:
        return None
    field, gbits = dec
    length = field & 0xFF
    if length <= 32 or len(bits) < 24 + 8 * length:
        return None
    res = _descramble_and_correct(np.packbits(bits[24 : 24 + 8 * length]).tobytes())
    if res is None:
        return None
    frame, ncorr = res
    return frame, ncorr, gbits


@functools.lru_cache(maxsize=32)
def _descramble_and_correct(block: bytes) -> tuple[bytes, int] | None:
    """CCSDS descrambling + RS decoding of one received block.

    Cached: the receiver's parallel synchronisers usually hand over the same
    bits for a frame, and RS decoding is the costly part of the deframer.
    """
    return rs_decode(ccsds_xor(block))


def needed_bits(bits_after_sync: np.ndarray) -> int | None:
    """How many bits after the sync word the frame needs (None if the header is bad)."""
    if len(bits_after_sync) < 24:
        return HEADER_BITS - 32 + 8 * MAX_BLOCK
    head = int.from_bytes(np.packbits(bits_after_sync[:24]).tobytes(), "big")
    dec = golay24_decode(head)
    if dec is None:
        return None
    return 24 + 8 * (dec[0] & 0xFF)


def frame_bits(frame: bytes, preamble_bytes: int = 8) -> np.ndarray:
    """The bits of one AX100 ASM+Golay transmission of ``frame`` (<= 223 bytes)."""
    if len(frame) > 223:
        raise ValueError("AX100 frames carry at most 223 bytes")
    block = ccsds_xor(bytes(frame) + rs_encode(frame))
    field = golay24_encode(FLAG_SCRAMBLER | FLAG_RS | len(block))
    data = (
        b"\xaa" * preamble_bytes
        + SYNC_WORD.to_bytes(4, "big")
        + field.to_bytes(3, "big")
        + block
        + b"\xaa" * 2
    )
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8))
