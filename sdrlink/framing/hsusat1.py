"""HSU-SAT1 framing (1200 Bd AFSK): UART characters carrying a convolutionally coded block.

Everything after the preamble is sent as 8N1 UART characters (a 0 start
bit, 8 data bits LSB first, a 1 stop bit). The 33-bit sync pattern is the
tail of such a stream ending with the character 0x7E (0xE37B167E and a 1
as raw bits); then come 118 characters: 16 header bytes (not protected, not
reported) and 102 FEC bytes, the FEC of f4goh's CONVOLUTION library:

* 48 data bytes, their CRC-16/X.25 (high byte first) and a 0x00 byte that
  flushes the code, through the K=3 rate-1/2 code with generators 7 and 5
  (octal; 7's bit first) from the zero state: 816 coded bits, of which the
  last 12 are never looked at (2 tail bits need only 4);
* XORed with a scrambler sequence: the m-sequence of s[i] = s[i-4] ^
  s[i-7] from 0000111 (its bytes, MSB first: 0x0E, 0xF2, 0xC9, ...);
* the first 96 bytes interleaved in blocks of 8 bytes as a bit matrix
  transpose (bit ``c`` of byte ``r`` becomes bit ``r`` of byte ``c``), the last
  6 bytes not.

The frame is the 48 data bytes. Facts from gr-satellites master
(``hsu_sat1_deframer.py``: sync pattern and its 4 allowed errors, the UART
layout, the 16 + 102 bytes, the interleaver, descrambler table, code, CRC;
the scrambler's recurrence was found here from its table). The header's
content and the preamble are not known (the encoder sends zeros and
alternating bits), nor is anything checked against a recording. The
deframer decodes the code by soft Viterbi (:mod:`sdrlink.coding.convolutional`).
Fields: ``viterbi_errors`` (coded bits corrected), ``uart_errors`` (start or
stop bits of the FEC characters that were wrong), ``sync_errors``,
``inverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.convolutional import ConvCode, channel_errors, conv_encode, viterbi_block
from sdrlink.coding.crc import CRC16_X25
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.syncframe import Decoded, SyncDeframer, bits_from_string, pack_msb

SYNC = bits_from_string("111000110111101100010110011111101")
CODE = ConvCode(3, (0o7, 0o5))
HEADER, FEC = 16, 102
CHARS = HEADER + FEC
DATA = 48
CODED_BITS = 8 * FEC - 12  # what the decoder uses of the 816 coded bits


def scrambler_bytes(n: int) -> np.ndarray:
    """The first ``n`` bytes of the scrambler sequence (MSB first)."""
    s = [0, 0, 0, 0, 1, 1, 1]
    while len(s) < 8 * n:
        s.append(s[-4] ^ s[-7])
    return np.packbits(np.array(s[: 8 * n], np.uint8))


_SCRAMBLE_BITS = np.unpackbits(scrambler_bytes(FEC))


def _transpose_index() -> np.ndarray:
    """Bit index map of the interleaved part (96 bytes, MSB-first bits): bit ``p`` of the
    deinterleaved bits is bit ``IDX[p]`` of the received ones (an involution)."""
    idx = np.arange(8 * FEC)
    for blk in range(12):
        for c in range(8):  # deinterleaved byte
            for j in range(8):  # its bit of weight 2**j
                idx[64 * blk + 8 * c + 7 - j] = 64 * blk + 8 * j + 7 - c
    return idx


_IDX = _transpose_index()


def uart_frame(data: bytes) -> np.ndarray:
    """8N1 characters of ``data`` as bits."""
    bits = np.unpackbits(np.frombuffer(bytes(data), np.uint8), bitorder="little").reshape(-1, 8)
    n = len(bits)
    return np.concatenate([np.zeros((n, 1), np.uint8), bits, np.ones((n, 1), np.uint8)], 1).ravel()


def decode(soft: np.ndarray) -> list[Decoded]:
    if len(soft) < 10 * CHARS:
        return []
    chars = soft[: 10 * CHARS].reshape(CHARS, 10)[HEADER:]
    uart_errors = int(np.count_nonzero(chars[:, 0] > 0) + np.count_nonzero(chars[:, 9] < 0))
    fec = chars[:, 8:0:-1].ravel()  # data bits MSB first
    coded = fec[_IDX] * np.where(_SCRAMBLE_BITS == 1, -1.0, 1.0).astype(np.float32)
    coded = coded[:CODED_BITS]
    info = viterbi_block(coded, CODE, start_state=0, terminated=True)
    block = pack_msb(info[: 8 * (DATA + 2)])
    if not CRC16_X25.verify(block, "big"):
        return []
    fields = {
        "viterbi_errors": channel_errors(coded, info, CODE, 0),
        "uart_errors": uart_errors,
    }
    return [Decoded(block[:DATA], True, 10 * CHARS, fields)]


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """Alternating-bit preamble, sync pattern, 16 zero header bytes and the FEC bytes."""
    data = bytes(payload)
    if len(data) != DATA:
        raise ConfigError(f"HSU-SAT1 frames are {DATA} bytes")
    info = np.unpackbits(np.frombuffer(data + CRC16_X25.to_bytes(data, "big") + b"\x00", np.uint8))
    coded = conv_encode(info, CODE) ^ _SCRAMBLE_BITS
    fec = np.packbits(coded[_IDX]).tobytes()
    n_pre = max(32, preamble_bits + (-preamble_bits) % 2)
    pre = np.arange(n_pre, dtype=np.uint8) & 1
    body = uart_frame(bytes(HEADER) + fec)
    return EncodedFrame(np.concatenate([pre, SYNC, body, np.ones(16, np.uint8)]), n_pre)


def _make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return SyncDeframer(SYNC, 4, 10 * CHARS, decode, invert)


FRAMINGS = (
    Framing(
        name="hsu_sat1",
        description="HSU-SAT1: UART 8N1 characters, K=3 (7,5) code, scrambler, interleaver, CRC",
        make_deframer=_make,
        encode=encode,
        aliases=("HSU-SAT1",),
        max_payload=DATA,
    ),
)
