"""NGHam packet radio framing ("NGHam" and "NGHam no Reed Solomon").

Facts from the NGHam specification and reference code (J. P. Skagmo, LA3JPA,
github.com/skagmo/ngham: ``ngham_manual.tex``, ``ngham.c``) and gr-satellites
4.4 (``ngham_deframer.py``, ``ngham_packet_crop.py``, ``ngham_check_crc.py``).
On air (NRZ, MSB first): preamble 0xAA bytes, the sync word 0x5DE62A7E, a
24-bit size tag naming one of seven codeword sizes (the tags are 13 bits apart;
the reference receiver accepts up to 6 errors), then the codeword,
XORed with the CCSDS randomiser from its first byte:

size 0..6: payload 28, 60, 92, 124, 156, 188 or 220 bytes; the data part
is 3 bytes longer; 16 parity bytes for sizes 0-2, 32 for 3-6; codewords of
47, 79, 111, 159, 191, 223 and 255 bytes.

The data part is a header byte (low 5 bits: padding bytes, high 3 bits:
flags), the payload, its CRC-16/X.25 (over header and payload, high byte
first) and zero padding to the size; the parity is the CCSDS Reed-Solomon code
in the conventional basis (field 0x187, first root 112, primitive element 11)
with 16 or 32 roots, shortened. "NGHam no Reed Solomon" skips the RS decoding
(the CRC alone decides), as gr-satellites does.

Frames are returned as gr-satellites delivers them: the header byte followed
by the payload (without CRC and padding); the encoder takes the payload and
the ``ngham_flags`` option. Fields: ``sync_errors``, ``inverted``, ``size_tag_errors``,
``ngham_flags``, ``rs_corrected`` (absent without RS decoding).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import crc16_x25
from sdrlink.coding.reedsolomon import ReedSolomon
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.framing.base import EncodedFrame, Framing, FramingOption, parse_int_in
from sdrlink.framing.sync import Decoded, SyncDeframer, bits_of

SYNC_WORD = 0x5DE62A7E
SYNC_BITS = bits_of(SYNC_WORD, 32)
SIZE_TAGS = (0x3B49CD, 0x4DDA57, 0x76939A, 0x9BB4AE, 0xA0FD63, 0xD66EF9, 0xED2734)
PAYLOAD_SIZES = (28, 60, 92, 124, 156, 188, 220)
PARITY_SIZES = (16, 16, 16, 32, 32, 32, 32)
MAX_TAG_ERRORS = 6  # as the reference receiver
MAX_SYNC_ERRORS = 4  # as gr-satellites
_TAG_SIGNS = np.array([bits_of(t, 24) for t in SIZE_TAGS], dtype=np.float32) * 2 - 1
_RS = {16: ReedSolomon(nroots=16), 32: ReedSolomon(nroots=32)}


def codeword_size(size: int) -> int:
    """Bytes of the codeword of size number ``size`` (0..6)."""
    return PAYLOAD_SIZES[size] + 3 + PARITY_SIZES[size]


@functools.lru_cache(maxsize=32)
def _correct(codeword: bytes, parity: int, use_rs: bool) -> tuple[bytes, int | None] | None:
    """Derandomise, RS-decode (or just drop the parity): (data part, corrected)."""
    plain = ccsds_xor(codeword)
    if not use_rs:
        return plain[:-parity], None
    return _RS[parity].decode(plain)


def unpack(data: bytes, size: int) -> bytes | None:
    """Header byte + payload of a data part whose CRC checks, else None."""
    n = PAYLOAD_SIZES[size] - (data[0] & 0x1F)
    if n <= 0:
        return None
    crc = crc16_x25(data[: n + 1])
    if data[n + 1 : n + 3] != crc.to_bytes(2, "big"):
        return None
    return data[: n + 1]


class NghamDeframer(SyncDeframer):
    """Sync word, size tag (soft correlation), randomiser, RS (optional), CRC."""

    header_bits = 24

    def __init__(self, use_rs: bool, invert: bool | None) -> None:
        super().__init__(SYNC_BITS, MAX_SYNC_ERRORS, 24 + 8 * codeword_size(6), invert)
        self.use_rs = use_rs

    @staticmethod
    def _size(head: np.ndarray, soft: np.ndarray | None) -> tuple[int, int] | None:
        value = int.from_bytes(np.packbits(head[:24]).tobytes(), "big")
        if soft is not None:  # the tag closest in correlation, then its bit distance
            size = int(np.argmax(_TAG_SIGNS @ soft[:24]))
        else:
            size = min(range(7), key=lambda k: bin(value ^ SIZE_TAGS[k]).count("1"))
        errors = bin(value ^ SIZE_TAGS[size]).count("1")
        return (size, errors) if errors <= MAX_TAG_ERRORS else None

    def needed(self, head: np.ndarray) -> int | None:
        res = self._size(head, None)
        return None if res is None else 24 + 8 * codeword_size(res[0])

    def decode(self, bits: np.ndarray, soft: np.ndarray, sync_errors: int) -> Decoded | None:
        if len(soft) < 24:
            return None
        res = self._size(bits, soft)
        if res is None:
            return None
        size, tag_errors = res
        n = codeword_size(size)
        if len(bits) < 24 + 8 * n:
            return None
        out = _correct(
            np.packbits(bits[24 : 24 + 8 * n]).tobytes(), PARITY_SIZES[size], self.use_rs
        )
        if out is None:
            return None
        frame = unpack(out[0], size)
        if frame is None:
            return None
        fields: dict[str, Any] = {"size_tag_errors": tag_errors, "ngham_flags": frame[0] >> 5}
        if out[1] is not None:
            fields["rs_corrected"] = out[1]
        return Decoded(frame, True, fields, used=24 + 8 * n)


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One NGHam transmission of ``payload`` (1..220 bytes) in the smallest size
    that fits; the receiver returns it behind the header byte."""
    if not 1 <= len(payload) <= PAYLOAD_SIZES[-1]:
        raise ValueError(f"NGHam frames carry 1..{PAYLOAD_SIZES[-1]} bytes")
    size = next(k for k, n in enumerate(PAYLOAD_SIZES) if len(payload) <= n)
    head = ((PAYLOAD_SIZES[size] - len(payload)) & 0x1F) | (
        (int(options.get("ngham_flags", 0)) & 7) << 5
    )
    body = bytes([head]) + bytes(payload)
    data = (body + crc16_x25(body).to_bytes(2, "big")).ljust(PAYLOAD_SIZES[size] + 3, b"\x00")
    codeword = ccsds_xor(data + _RS[PARITY_SIZES[size]].encode(data))
    n_pre = max(4, -(-preamble_bits // 8))
    raw = (
        b"\xaa" * n_pre
        + SYNC_WORD.to_bytes(4, "big")
        + SIZE_TAGS[size].to_bytes(3, "big")
        + codeword
        + b"\xaa" * 2
    )
    return EncodedFrame(np.unpackbits(np.frombuffer(raw, dtype=np.uint8)), 8 * n_pre)


def header_byte(payload_len: int, flags: int = 0) -> int:
    """The header byte the receiver puts before a payload of ``payload_len`` bytes."""
    size = next(k for k, n in enumerate(PAYLOAD_SIZES) if payload_len <= n)
    return ((PAYLOAD_SIZES[size] - payload_len) & 0x1F) | ((flags & 7) << 5)


_FLAGS = FramingOption(
    "ngham_flags",
    0,
    "encoder only: the 3 NGHam flag bits of the header (0..7)",
    parse_int_in(0, 7),
    "N",
)

FRAMINGS = (
    Framing(
        name="ngham",
        description="NGHam: sync 0x5DE62A7E, size tag, CCSDS randomiser, RS (16/32 roots), CRC",
        make_deframer=lambda options, invert: NghamDeframer(True, invert),
        encode=encode,
        aliases=("NGHam",),
        options=(_FLAGS,),
        max_payload=PAYLOAD_SIZES[-1],
    ),
    Framing(
        name="ngham_no_rs",
        description="NGHam without Reed-Solomon decoding (the CRC alone checks the frame)",
        make_deframer=lambda options, invert: NghamDeframer(False, invert),
        encode=encode,
        aliases=("NGHam no Reed Solomon",),
        options=(_FLAGS,),
        max_payload=PAYLOAD_SIZES[-1],
    ),
)
