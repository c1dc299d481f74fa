"""GomSpace radio framings: AX100 "ASM+Golay", AX100 "Reed Solomon", U482C, FORESAIL-1.

Facts from gr-satellites 4.4 (``components/deframers/ax100_deframer.py``,
``u482c_deframer.py``, ``lib/u482c_decode_impl.cc``, ``lib/ax100_decode_impl.cc``),
checked against the recordings of GomSpace-built satellites (TY-2, CA03, TW-1C,
AISAT, AU02, CZ02, GALASSIA). All three send NRZ bits MSB first after a
preamble:

* **ASM+Golay** (AX100 in ASM mode): sync word 0x930B51DE, a Golay(24,12)
  coded 12-bit field (:mod:`sdrlink.coding.golay`) whose low 8 bits are the
  length of the coded block in bytes, then the block: the CSP frame plus 32
  Reed-Solomon parity bytes (:mod:`sdrlink.coding.reedsolomon`, the CCSDS code
  in the conventional basis), CCSDS-randomised. The AX100 applies the
  randomiser and RS whatever the field's flags say, unless the satellite
  description says ``scrambler: none`` (AztechSat-1; option ``scrambler``,
  ccsds or none, from gr-satellites 4.4.0's ``ax100_deframer.py``): then the
  block is sent as it is.
* **FORESAIL-1**: ASM+Golay behind the CCSDS sync marker 0x1ACFFC1D
  instead (the satellite's Space-Ground ICD, "ASM (0x1ACFFC1D) + Golay24 +
  RS(255,223) (AX.100 Mode 5 compatible)", as quoted in gr-satellites issue
  #357, where its commit 8dcfa431 made that change and users confirmed it on
  real passes; not checked here against a recording). CCSDS deframers see
  these frames too and reject them (no RS codeword where they expect one).
* **U482C**: the same layout behind sync word 0xC3AA6655, but the field's
  flags 0x100 (convolutional code), 0x200 (CCSDS randomiser) and 0x400
  (Reed-Solomon) say which codes the block carries. The convolutional code is
  K=7 rate 1/2 with generators 133 and 171 (octal, in that order, neither
  output inverted: the "NASA-DSN uninverted" code of
  :mod:`sdrlink.coding.convolutional`), started from the zero state and
  terminated by 6 zero bits; a block of ``n`` coded bytes carries
  ``n // 2 - 1`` bytes. The randomiser then RS apply to those bytes.
* **Reed Solomon** (AX100 in RS mode): the whole bit stream (preamble
  included) is G3RUH-scrambled (x^17 + x^12 + 1, as 9600 Bd packet radio);
  behind sync word 0x930B51DE comes a length byte ``L`` (counting itself),
  then ``L - 1`` bytes: the CSP frame and its 32 RS parity bytes (same code),
  not randomised.

Fields of every frame: ``sync_errors`` (bit errors in the sync word),
``inverted`` (the channel inverted the polarity), ``rs_corrected`` (bytes RS
corrected; absent when the block has no RS); ASM+Golay and U482C add
``golay_corrected`` (bits corrected in the length field); U482C adds
``coding`` (the header's flags, e.g. "viterbi+scrambler+rs") and, with the
convolutional code, ``viterbi_errors`` (coded bits the Viterbi decoder
corrected). A U482C block without RS has no check: it is reported (with
``crc_ok`` None) only when its sync word and length field arrived without a
bit error, which noise almost never produces.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sdrlink.coding.convolutional import NAMED_CODES, channel_errors, conv_encode, viterbi_block
from sdrlink.coding.golay import golay24_decode, golay24_encode
from sdrlink.coding.reedsolomon import CCSDS_RS, read_long, rs_decode, rs_encode
from sdrlink.coding.scramblers import ccsds_xor, g3ruh_descramble_soft, g3ruh_scramble
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, FramingOption, parse_choice
from sdrlink.framing.sync import Decoded, SyncDeframer, bits_of

SYNC_WORD = 0x930B51DE
SYNC_BITS = bits_of(SYNC_WORD, 32)
U482C_SYNC_WORD = 0xC3AA6655
U482C_SYNC_BITS = bits_of(U482C_SYNC_WORD, 32)
FORESAIL1_SYNC_WORD = 0x1ACFFC1D
FORESAIL1_SYNC_BITS = bits_of(FORESAIL1_SYNC_WORD, 32)
HEADER_BITS = 32 + 24
MAX_BLOCK = 255
FLAG_VITERBI, FLAG_SCRAMBLER, FLAG_RS = 0x100, 0x200, 0x400
#: the U482C convolutional code (see the module docstring)
U482C_CODE = NAMED_CODES["nasa-dsn uninverted"]
PARITY = 32
MAX_SYNC_ERRORS = 4  # as gr-satellites' default threshold


def _head_value(bits: np.ndarray) -> int:
    return int.from_bytes(np.packbits(bits[:24]).tobytes(), "big")


@functools.lru_cache(maxsize=32)
def _correct(block: bytes, scrambled: bool) -> tuple[bytes, int] | None:
    """(Descrambling +) RS decoding of one received block.

    Cached: the receiver's parallel synchronisers usually hand over the same
    bits for a frame, and RS decoding is the costly part of the deframers.
    A block read long after a wrong length byte is refused (:func:`read_long`).
    """
    word = ccsds_xor(block) if scrambled else block
    res = rs_decode(word)
    return None if res is not None and read_long(CCSDS_RS, word, *res) else res


def decode_block(bits: np.ndarray) -> tuple[bytes, int, int] | None:
    """Decode an ASM+Golay length field + block from the bits after the sync word.

    ``bits`` must start right after the sync word (polarity-corrected) and hold
    at least 24 + 8*length bits. Returns (frame, RS-corrected bytes,
    Golay-corrected bits), or None when the field or the RS decoding fails
    (or the bits are too few).
    """
    if len(bits) < 24:
        return None
    dec = golay24_decode(_head_value(bits))
    if dec is None:
        return None
    value, gbits = dec
    length = value & 0xFF
    if length <= PARITY or len(bits) < 24 + 8 * length:
        return None
    res = _correct(np.packbits(bits[24 : 24 + 8 * length]).tobytes(), True)
    if res is None:
        return None
    return res[0], res[1], gbits


class GolayDeframer(SyncDeframer):
    """Sync word, Golay-coded length field and a block: ASM+Golay and U482C.

    ``follow_flags``: take the codes from the field's flags (U482C); otherwise
    the block is always RS-coded, and randomised unless ``scrambled`` is False
    (AX100 ASM+Golay).
    """

    header_bits = 24

    def __init__(
        self, sync: np.ndarray, follow_flags: bool, invert: bool | None, scrambled: bool = True
    ) -> None:
        super().__init__(sync, MAX_SYNC_ERRORS, 24 + 8 * MAX_BLOCK, invert)
        self.follow_flags = follow_flags
        self.fixed_flags = (FLAG_SCRAMBLER if scrambled else 0) | FLAG_RS

    def needed(self, head: np.ndarray) -> int | None:
        dec = golay24_decode(_head_value(head))
        if dec is None:
            return None
        length = dec[0] & 0xFF
        return 24 + 8 * length if length else None

    def decode(self, bits: np.ndarray, soft: np.ndarray, sync_errors: int) -> Decoded | None:
        dec = golay24_decode(_head_value(bits))
        if dec is None:
            return None
        value, gbits = dec
        length = value & 0xFF
        if len(bits) < 24 + 8 * length:
            return None
        flags = value if self.follow_flags else self.fixed_flags
        fields: dict[str, Any] = {"golay_corrected": gbits}
        if self.follow_flags:
            names = [n for f, n in _FLAG_NAMES if flags & f]
            fields["coding"] = "+".join(names) or "none"
        if flags & FLAG_VITERBI:
            nbytes = length // 2 - 1
            if nbytes <= 0:
                return None
            coded = soft[24 : 24 + 2 * (8 * nbytes + U482C_CODE.k - 1)]
            info = viterbi_block(coded, U482C_CODE, start_state=0, terminated=True)
            fields["viterbi_errors"] = channel_errors(coded, info, U482C_CODE)
            block = np.packbits(info[: 8 * nbytes]).tobytes()
        else:
            block = np.packbits(bits[24 : 24 + 8 * length]).tobytes()
        scrambled = bool(flags & FLAG_SCRAMBLER)
        if flags & FLAG_RS:
            if len(block) <= PARITY:
                return None
            res = _correct(block, scrambled)
            if res is None:
                return None
            fields["rs_corrected"] = res[1]
            return Decoded(res[0], True, fields)
        # no check at all: accept only an error-free sync word and field
        if gbits or sync_errors:
            return None
        return Decoded(ccsds_xor(block) if scrambled else block, None, fields)


_FLAG_NAMES = ((FLAG_VITERBI, "viterbi"), (FLAG_SCRAMBLER, "scrambler"), (FLAG_RS, "rs"))


class RsModeDeframer(SyncDeframer):
    """AX100 Reed Solomon mode: G3RUH descrambling, sync word, length byte, RS."""

    header_bits = 8

    def __init__(self, invert: bool | None) -> None:
        super().__init__(SYNC_BITS, MAX_SYNC_ERRORS, 8 * 256, invert, history=17)

    def line_decode(self, soft: np.ndarray) -> np.ndarray:
        return g3ruh_descramble_soft(soft)

    def needed(self, head: np.ndarray) -> int | None:
        length = int(np.packbits(head[:8])[0])
        return 8 * length if length > PARITY + 1 else None

    def decode(self, bits: np.ndarray, soft: np.ndarray, sync_errors: int) -> Decoded | None:
        length = int(np.packbits(bits[:8])[0])
        if len(bits) < 8 * length:
            return None
        res = _correct(np.packbits(bits[8 : 8 * length]).tobytes(), False)
        if res is None:
            return None
        return Decoded(res[0], True, {"rs_corrected": res[1]})


def _preamble_bytes(preamble_bits: int) -> int:
    return max(4, -(-preamble_bits // 8))


def _golay_frame(sync: int, field_value: int, block: bytes, preamble_bits: int) -> EncodedFrame:
    n_pre = _preamble_bytes(preamble_bits)
    data = (
        b"\xaa" * n_pre
        + sync.to_bytes(4, "big")
        + golay24_encode(field_value).to_bytes(3, "big")
        + block
        + b"\xaa" * 2
    )
    return EncodedFrame(np.unpackbits(np.frombuffer(data, dtype=np.uint8)), 8 * n_pre)


def encode(
    payload: bytes, options: Mapping[str, Any], preamble_bits: int, sync: int = SYNC_WORD
) -> EncodedFrame:
    """One AX100 ASM+Golay transmission of ``payload`` (<= 223 bytes): 0xAA preamble,
    sync word, Golay length field, RS block (randomised unless option ``scrambler``
    is none), two 0xAA bytes."""
    if not 1 <= len(payload) <= MAX_BLOCK - PARITY:
        raise ValueError("AX100 frames carry 1..223 bytes")
    block = bytes(payload) + rs_encode(payload)
    flags = FLAG_RS
    if options.get("scrambler", "ccsds") == "ccsds":
        block = ccsds_xor(block)
        flags |= FLAG_SCRAMBLER
    return _golay_frame(sync, flags | len(block), block, preamble_bits)


def encode_u482c(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One U482C transmission: RS parity, CCSDS randomiser and, with option
    ``u482c_convolutional``, the K=7 code (then at most 94 bytes fit the 255-byte block)."""
    conv = bool(options.get("u482c_convolutional", False))
    limit = (MAX_BLOCK // 2 - 1 - PARITY) if conv else MAX_BLOCK - PARITY
    if not 1 <= len(payload) <= limit:
        raise ValueError(f"U482C frames carry 1..{limit} bytes with these codes")
    block = ccsds_xor(bytes(payload) + rs_encode(payload))
    flags = FLAG_SCRAMBLER | FLAG_RS
    if conv:
        info = np.unpackbits(np.frombuffer(block, dtype=np.uint8))
        tail = np.zeros(8, np.uint8)  # 6 terminating zeros, then padding to a byte
        block = np.packbits(conv_encode(np.concatenate([info, tail]), U482C_CODE)).tobytes()
        flags |= FLAG_VITERBI
    return _golay_frame(U482C_SYNC_WORD, flags | len(block), block, preamble_bits)


def encode_rs_mode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One AX100 Reed Solomon mode transmission (<= 222 bytes): 0xAA preamble,
    sync word, length byte, frame, RS parity, postamble; all G3RUH-scrambled."""
    if not 1 <= len(payload) <= MAX_BLOCK - 1 - PARITY:
        raise ValueError("AX100 Reed Solomon frames carry 1..222 bytes")
    n_pre = _preamble_bytes(preamble_bits)
    body = bytes(payload) + rs_encode(payload)
    data = (
        b"\xaa" * n_pre + SYNC_WORD.to_bytes(4, "big") + bytes([len(body) + 1]) + body + b"\xaa" * 2
    )
    bits = g3ruh_scramble(np.unpackbits(np.frombuffer(data, dtype=np.uint8)))
    return EncodedFrame(bits, 8 * n_pre)


def _parse_bool(value: Any) -> bool:
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("1", "true", "yes", "on"):
            return True
        if v in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected yes/no")
    return bool(value)


OPT_SCRAMBLER = FramingOption(
    "scrambler",
    "ccsds",
    "randomiser after the sync word: ccsds or none",
    parse_choice("ccsds", "none"),
    "SCRAMBLER",
)


def _golay_maker(sync: np.ndarray) -> Callable[[Mapping[str, Any], bool | None], Deframer]:
    def make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
        return GolayDeframer(sync, False, invert, options.get("scrambler", "ccsds") == "ccsds")

    return make


FRAMINGS = (
    Framing(
        name="ax100",
        description="GomSpace AX100 ASM+Golay: sync 0x930B51DE, Golay length, CCSDS scrambler, RS",
        make_deframer=_golay_maker(SYNC_BITS),
        encode=encode,
        aliases=("AX100 ASM+Golay",),
        options=(OPT_SCRAMBLER,),
        max_payload=MAX_BLOCK - PARITY,
    ),
    Framing(
        name="foresail1",
        description="FORESAIL-1: AX100 ASM+Golay behind the CCSDS sync marker 0x1ACFFC1D",
        make_deframer=_golay_maker(FORESAIL1_SYNC_BITS),
        encode=lambda payload, options, pre: encode(payload, options, pre, FORESAIL1_SYNC_WORD),
        aliases=("FORESAIL-1",),
        options=(OPT_SCRAMBLER,),
        max_payload=MAX_BLOCK - PARITY,
    ),
    Framing(
        name="ax100_rs",
        description="GomSpace AX100 Reed Solomon: G3RUH, sync 0x930B51DE, length byte, RS",
        make_deframer=lambda options, invert: RsModeDeframer(invert),
        encode=encode_rs_mode,
        aliases=("AX100 Reed Solomon",),
        max_payload=MAX_BLOCK - 1 - PARITY,
    ),
    Framing(
        name="u482c",
        description="GomSpace U482C: sync 0xC3AA6655, Golay length+flags, K=7 code, CCSDS, RS",
        make_deframer=lambda options, invert: GolayDeframer(U482C_SYNC_BITS, True, invert),
        encode=encode_u482c,
        aliases=("U482C",),
        options=(
            FramingOption(
                "u482c_convolutional",
                False,
                "encoder only: add the K=7 convolutional code (the receiver follows the "
                "header's flags)",
                _parse_bool,
                "yes|no",
            ),
        ),
        max_payload=MAX_BLOCK - PARITY,
    ),
)
