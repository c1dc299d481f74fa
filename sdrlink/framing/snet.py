"""S-NET and SALSAT framing (TU Berlin): BCH-coded LTU header and PDU, CRC-5/CRC-13.

After a 32-bit sync word, a frame is:

* the LTU header: 70 bits (source and destination id 7 bits each, Tx/Rx frame
  counters, SNR, coding of the PDU ``AiTypeSrc`` and ``AiTypeDst`` 4 bits
  each, DFC id, six flags, PDU length 10 bits, CRC-13 of the PDU, CRC-5 of the
  header), MSB first, as 14 BCH(15,5) codewords of 5 data bits.
  The 14 codewords are sent interleaved bit by bit (bit 0 of every codeword,
  then bit 1, ...), 210 channel bits; each codeword's data bits are its
  coefficients x^14 down to x^10;
* the PDU: uncoded (``AiTypeSrc`` 0, bytes LSB first) or in blocks of 16
  BCH(15,11), (15,7) or (15,5) codewords (``AiTypeSrc`` 1, 2, 3), interleaved
  the same way (240 channel bits a block); the data bits of a block, in
  codeword order, are the PDU's bytes LSB first, padded with 0xDB.

The CRC-5 (polynomial 0x15, init 0x1F) covers the header bits before it plus
the constant 1011011; the CRC-13 (polynomial 0x1CF5, init 0x1FFF) the PDU.
S-NET's flight software computes both with known bugs (bytes taken in reverse
order, one byte of the CRC-5 input replaced by its neighbour, and a CRC-13
update that XORs the polynomial when the register's top bit *or* the data bit
is set); SALSAT, from the same team, uses the correct CRCs. The faulty CRC-13
takes only a few values (it depends mostly on the PDU's first bytes; for
200-byte PDUs three values cover all of them, one of them about 80 % of random
PDUs), so it is no integrity check: an S-NET frame whose CRC-13 matches is
reported with ``crc_ok`` None (unchecked), one whose CRC-13 does not match is
dropped. SALSAT's frames, with the correct CRC-13, get ``crc_ok`` True. For
both, the BCH decoding, the CRC-5 and the 0xDB padding of the last PDU block
(checked) do the rest of the rejecting of noise. All of this is as
gr-satellites 4.4.0 implements it (``snet_deframer.py``, ``telemetry/snet.py``,
``bch15.py``, ``components/deframers/snet_deframer.py``: sync word, up to 4
sync errors); the BCH codes are the standard ones (:mod:`sdrlink.coding.bch`),
checked against the frames in ``snet_a.wav``.

The decoded frame is the PDU. Fields: ``snet_src``, ``snet_dst`` (ids),
``snet_coding`` (``AiTypeSrc``), ``bch_corrected`` (bits corrected in header
and PDU).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sdrlink.coding import bch
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing
from sdrlink.framing.syncframe import Decoded, SyncDeframer, bits_from_string, hard_bits

SYNC = bits_from_string("00000100110011110101111111001000")
MAX_SYNC_ERRORS = 4
LTU_BITS = 210
BLOCK_BITS = 240
CODING_K = {1: 11, 2: 7, 3: 5}  # AiTypeSrc -> BCH data bits per codeword
MAX_PDU = 1023
SPAN = LTU_BITS + BLOCK_BITS * -(-MAX_PDU // (2 * 5))
PAD = 0xDB
# header fields, MSB first: (name, bits)
HEADER_FIELDS = (
    ("src", 7),
    ("dst", 7),
    ("fr_cnt_tx", 4),
    ("fr_cnt_rx", 4),
    ("snr", 4),
    ("ai_type_src", 4),
    ("ai_type_dst", 4),
    ("dfc_id", 2),
    ("flags", 6),
    ("pdu_length", 10),
    ("crc13", 13),
    ("crc5", 5),
)


def _deinterleave(bits: np.ndarray, ncw: int) -> np.ndarray:
    """Codeword words of ``ncw`` codewords sent bit by bit interleaved."""
    return bch.words_from_bits(np.asarray(bits).reshape(bch.N, ncw).T)


def _interleave(words: np.ndarray) -> np.ndarray:
    return bch.bits_from_words(words).T.ravel()


def crc5(header_bits: np.ndarray, buggy: bool) -> int:
    """The LTU's CRC-5 over the 65 header bits before it (S-NET's bugs if ``buggy``)."""
    m = np.concatenate([header_bits[:65], [1, 0, 1, 1, 0, 1, 1]]).astype(np.uint8).reshape(9, 8)
    if buggy:
        m = m[::-1].copy()
        m[4] = m[3]
    crc = 0x1F
    for bit in m.ravel().tolist():
        top = (crc >> 4) & 1
        crc = (crc << 1) & 0x1F
        if top != bit:
            crc ^= 0x15
    return crc


def crc13(pdu: bytes, buggy: bool) -> int:
    """The PDU's CRC-13 (S-NET's bugs if ``buggy``)."""
    data = bytes(pdu)[::-1] if buggy else bytes(pdu)
    crc = 0x1FFF
    for bit in np.unpackbits(np.frombuffer(data, np.uint8)).tolist():
        top = (crc >> 12) & 1
        crc = (crc << 1) & 0x1FFF
        if (top or bit) if buggy else (top != bit):
            crc ^= 0x1CF5
    return crc


def _fields_of(bits: np.ndarray) -> dict[str, int]:
    out, pos = {}, 0
    for name, n in HEADER_FIELDS:
        out[name] = int("".join(map(str, bits[pos : pos + n].tolist())), 2)
        pos += n
    return out


def decode_ltu(bits: np.ndarray, buggy: bool) -> tuple[dict[str, int], int] | None:
    """Header fields and corrected bit count from the 210 LTU channel bits (None if
    a codeword is uncorrectable or the CRC-5 fails)."""
    if len(bits) < LTU_BITS:
        return None
    cw, err = bch.decode_words(_deinterleave(bits[:LTU_BITS], 14), 5)
    if (err < 0).any():
        return None
    data = ((cw[:, None] >> np.arange(14, 9, -1)) & 1).astype(np.uint8).ravel()
    head = _fields_of(data)
    if crc5(data, buggy) != head["crc5"]:
        return None
    return head, int(err.sum())


def pdu_bits(head: Mapping[str, int]) -> int | None:
    """Channel bits of the PDU the header announces (None for an unknown coding)."""
    length = head["pdu_length"]
    if head["ai_type_src"] == 0:
        return 8 * length
    k = CODING_K.get(head["ai_type_src"])
    if k is None:
        return None
    return BLOCK_BITS * -(-length // (2 * k))


def decode_pdu(bits: np.ndarray, head: Mapping[str, int]) -> tuple[bytes, int] | None:
    """PDU bytes and corrected bit count (None if a codeword is uncorrectable or
    the padding after the PDU is not 0xDB)."""
    length, ai = head["pdu_length"], head["ai_type_src"]
    if ai == 0:
        return np.packbits(bits[: 8 * length], bitorder="little").tobytes(), 0
    k = CODING_K[ai]
    nblocks = -(-length // (2 * k))
    words = np.concatenate(
        [_deinterleave(bits[BLOCK_BITS * b : BLOCK_BITS * (b + 1)], 16) for b in range(nblocks)]
    )
    cw, err = bch.decode_words(words, k)
    if (err < 0).any():
        return None
    data = ((cw[:, None] >> np.arange(bch.N - k, bch.N)) & 1).astype(np.uint8).ravel()
    block = np.packbits(data, bitorder="little").tobytes()
    if block[length:].strip(bytes([PAD])):
        return None  # the padding is not 0xDB: not a frame
    return block[:length], int(err.sum())


class _Codec:
    """Needed-length and block decoding for one CRC variant."""

    def __init__(self, buggy: bool) -> None:
        self.buggy = buggy

    def needed(self, after: np.ndarray) -> int | None:
        if len(after) < LTU_BITS:
            return LTU_BITS  # wait for the header
        res = decode_ltu(after, self.buggy)
        if res is None or res[0]["pdu_length"] == 0:
            return None
        n = pdu_bits(res[0])
        return None if n is None else LTU_BITS + n

    def decode(self, soft: np.ndarray) -> list[Decoded]:
        bits = hard_bits(soft)
        res = decode_ltu(bits, self.buggy)
        if res is None:
            return []
        head, corrected = res
        n = pdu_bits(head)
        if n is None or head["pdu_length"] == 0 or len(bits) < LTU_BITS + n:
            return []
        pdu = decode_pdu(bits[LTU_BITS : LTU_BITS + n], head)
        if pdu is None or crc13(pdu[0], self.buggy) != head["crc13"]:
            return []
        fields = {
            "snet_src": head["src"],
            "snet_dst": head["dst"],
            "snet_coding": head["ai_type_src"],
            "bch_corrected": corrected + pdu[1],
        }
        # S-NET's faulty CRC-13 matching says little: the frame is unchecked
        return [Decoded(pdu[0], None if self.buggy else True, LTU_BITS + n, fields)]


def encode_frame(
    pdu: bytes, buggy: bool = True, coding: int = 2, src: int = 0, dst: int = 127
) -> np.ndarray:
    """Channel bits (sync word on) of one frame carrying ``pdu`` with ``coding``
    (``AiTypeSrc`` 0..3; S-NET A's frames in ``snet_a.wav`` use 2, BCH(15,7))."""
    if not 1 <= len(pdu) <= MAX_PDU:
        raise ConfigError(f"S-NET PDUs are 1..{MAX_PDU} bytes")
    if coding not in (0, *CODING_K):
        raise ConfigError("S-NET coding (AiTypeSrc) is 0..3")
    values = {name: 0 for name, _ in HEADER_FIELDS}
    values.update(src=src, dst=dst, snr=15, ai_type_src=coding, ai_type_dst=3)
    values.update(pdu_length=len(pdu), crc13=crc13(pdu, buggy))
    head = np.concatenate(
        [
            np.array([(values[name] >> (n - 1 - i)) & 1 for i in range(n)], np.uint8)
            for name, n in HEADER_FIELDS
        ]
    )
    head[65:70] = [(crc5(head, buggy) >> (4 - i)) & 1 for i in range(5)]
    data5 = head.reshape(14, 5) @ (1 << np.arange(4, -1, -1))
    parts = [SYNC, _interleave(bch.encode_words(data5, 5))]
    if coding == 0:
        parts.append(np.unpackbits(np.frombuffer(pdu, np.uint8), bitorder="little"))
    else:
        k = CODING_K[coding]
        nblocks = -(-len(pdu) // (2 * k))
        padded = bytes(pdu) + bytes([PAD]) * (2 * k * nblocks - len(pdu))
        chunks = np.unpackbits(np.frombuffer(padded, np.uint8), bitorder="little").reshape(-1, k)
        words = bch.encode_words(chunks @ (1 << np.arange(k)), k)
        parts += [_interleave(words[16 * b : 16 * (b + 1)]) for b in range(nblocks)]
    return np.concatenate(parts).astype(np.uint8)


def _encoder(buggy: bool) -> Callable[[bytes, Mapping[str, Any], int], EncodedFrame]:
    def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
        """Alternating-bit preamble, sync word, LTU, BCH(15,7)-coded PDU, 16 bits tail."""
        n_pre = max(32, preamble_bits)
        pre = np.arange(n_pre, dtype=np.uint8) & 1
        bits = np.concatenate([pre, encode_frame(payload, buggy), np.zeros(16, np.uint8)])
        return EncodedFrame(bits, n_pre)

    return encode


def _maker(buggy: bool) -> Callable[[Mapping[str, Any], bool | None], Deframer]:
    def make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
        codec = _Codec(buggy)
        return SyncDeframer(SYNC, MAX_SYNC_ERRORS, SPAN, codec.decode, invert, needed=codec.needed)

    return make


FRAMINGS = (
    Framing(
        name="snet",
        description="S-NET: BCH(15,k)-coded LTU header and PDU, S-NET's CRC-5/CRC-13",
        make_deframer=_maker(True),
        encode=_encoder(True),
        aliases=("S-NET",),
        max_payload=MAX_PDU,
    ),
    Framing(
        name="salsat",
        description="SALSAT: S-NET framing with correct CRC-5/CRC-13",
        make_deframer=_maker(False),
        encode=_encoder(False),
        aliases=("SALSAT",),
        max_payload=MAX_PDU,
    ),
)
