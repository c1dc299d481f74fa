"""Mobitex and Mobitex-NX framing (TU Berlin's BEESAT, TUBIN, TECHNOSAT; D-STAR ONE, ...).

A frame after its 16-bit sync word (0x5765 Mobitex, 0x0EF0 Mobitex-NX; bytes
MSB first) is a header and 1..32 data blocks:

* header: two control bytes and a byte holding their two 4-bit (12,8) FEC
  parities (:mod:`sdrlink.coding.hamming`); the low 5 bits of the first
  control byte are the number of data blocks minus one; then (except on
  BEESAT-1, framing ``beesat1``) a 6-byte ASCII callsign and its
  CRC-16/XMODEM, high byte first;
* data blocks of 30 bytes: 18 data bytes and their CRC-16/X.25 (high byte
  first) as 20 (12,8) codewords, bit-interleaved (the 240 bits on air are
  bit 0 of the 20 codewords, then bit 1, ...) and scrambled, over all the
  frame's blocks, by an additive LFSR (GNU Radio's ``additive_scrambler``
  with mask 0x22, seed 0x1FF, 9: a 10-bit register shifting right, the
  output its low bit, the new bit the parity of the taps).

Facts from gr-satellites (4.4.0 ``mobitex_deframer.py``: the sync words and
the inverted polarity; its built-in deframer of 2025, ``mobitex_deframer.py``,
``mobitex_to_datablocks.py``, ``mobitex_fec.py``, ``mobitex_fec_block.py``:
layout, codes, interleaver, scrambler, CRCs, and its variants: BEESAT-1's
header has no callsign, BEESAT-9 always sends 32 blocks whatever the control
byte says; master's ``BEESAT-1.yml`` and ``BEESAT-9.yml`` name those
framings). The deframer accepts up to 3 sync word errors (1 for
``beesat1``, whose header has no callsign CRC) and a callsign
within 2 bit errors of a valid CRC (both as gr-satellites); a header whose
callsign does not check is dropped, except by ``beesat1``, which expects
none (trying that layout too on every frame let random bits through: about
one false frame per 20 s of noise at 9600 Bd). Each data
block whose CRC holds after FEC decoding is a frame
(its 18 bytes), started at the frame's sync word. Fields: ``block``,
``num_blocks``, ``callsign`` (when present), ``control`` (hex),
``fec_corrected`` (codewords corrected in the block), ``sync_errors``,
``inverted``. The 4.4.0 release itself left Mobitex to the external gr-tnc_nx
module, whose output format is not known here.

Option ``callsign`` (the satellite descriptions' ``callsign``, e.g. NANOFF's
DP0NFA): the callsign the satellite sends. As gr-satellites master's
``mobitex_deframer.py`` does with a known callsign, the header's callsign
and CRC are then compared with the expected ones instead of being
corrected: a frame is taken when they differ in at most 2 of their 64 bits
(its option's default; its documentation suggests up to 12 for a known
callsign, but NANOFF-B's DP0NFB is only 8 bits from NANOFF-A's DP0NFA, on the
same frequency) and reports the expected callsign; frames of other
callsigns, and headers without one, are dropped. Fields then:
``callsign``, ``callsign_errors`` (bits that differ).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sdrlink.coding.crc import CRC16_X25, CRC16_XMODEM
from sdrlink.coding.hamming import decode12, encode12
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, FramingOption
from sdrlink.framing.sync import bits_of
from sdrlink.framing.syncframe import Decoded, SyncDeframer, hard_bits, pack_msb, unpack_msb

SYNC = {False: 0x5765, True: 0x0EF0}  # Mobitex, Mobitex-NX
MAX_SYNC_ERRORS = 3
#: BEESAT-1's frames have no callsign CRC in the header, so only each block's CRC-16
#: stands behind the 16-bit sync word: allowing 3 errors there let random bits
#: through (16 false frames in 4e6 random symbols); 1 error keeps ~98 % of sync
#: words at a bit error rate of 1.5 %, 41 times fewer false sync hits
BEESAT1_SYNC_ERRORS = 1
HEADER, HEADER_NO_CALL = 11, 3
BLOCK, BLOCK_DATA, MAX_BLOCKS = 30, 18, 32
SPAN = 8 * (HEADER + BLOCK * MAX_BLOCKS)
CALLSIGN_ERRORS = 2
KNOWN_CALLSIGN_ERRORS = 2  # gr-satellites' default; NANOFF-A and -B are 8 bits apart


def scrambler_bits(n: int) -> np.ndarray:
    """The first ``n`` bits of the data scrambler."""
    reg, out = 0x1FF, np.empty(n, np.uint8)
    for i in range(n):
        out[i] = reg & 1
        new = bin(reg & 0x22).count("1") & 1
        reg = (reg >> 1) | (new << 9)
    return out


_SCRAMBLE = scrambler_bits(8 * BLOCK * MAX_BLOCKS)
# on-air bit j of a block is bit j // 20 (MSB first) of codeword j % 20
_DEINTERLEAVE = np.arange(240).reshape(12, 20).T.ravel()


def _callsign_syndromes() -> dict[int, tuple[int, int]]:
    """CRC syndrome -> (callsign error pattern, bits) for every pattern of at most 2
    bit errors in callsign and CRC (the lightest first)."""
    # the CRC is linear: CRC(call ^ e) ^ (crc ^ r) = CRC(e) ^ r for a valid (call, crc)
    unit = [(1 << p, CRC16_XMODEM((1 << p).to_bytes(6, "big"))) for p in range(48)]
    unit += [(0, 1 << p) for p in range(16)]
    table: dict[int, tuple[int, int]] = {0: (0, 0)}
    for w in range(1, CALLSIGN_ERRORS + 1):
        for combo in itertools.combinations(unit, w):
            call = syndrome = 0
            for c, s in combo:
                call ^= c
                syndrome ^= s
            table.setdefault(syndrome, (call, w))
    return table


_SYNDROMES: dict[int, tuple[int, int]] = {}


def check_callsign(call: bytes, crc: bytes) -> tuple[bytes, int] | None:
    """The callsign corrected (within 2 bit errors of its CRC) and the bits
    corrected, or None."""
    if not _SYNDROMES:
        _SYNDROMES.update(_callsign_syndromes())
    hit = _SYNDROMES.get(CRC16_XMODEM(call) ^ int.from_bytes(crc, "big"))
    if hit is None:
        return None
    fixed = (int.from_bytes(call, "big") ^ hit[0]).to_bytes(6, "big")
    if any(b >= 0x80 for b in fixed):
        return None  # not ASCII: a false sync word
    return fixed, hit[1]


def decode_control(head: bytes) -> tuple[bytes, int] | None:
    """(corrected control bytes, codewords corrected) or None if uncorrectable."""
    words = np.array([(head[0] << 4) | (head[2] >> 4), (head[1] << 4) | (head[2] & 0xF)])
    data, status = decode12(words)
    if (status == 2).any():
        return None
    return bytes(data.tolist()), int(np.count_nonzero(status == 1))


def needed(after: np.ndarray, blocks: int | None = None) -> int | None:
    if len(after) < 24:
        return 8 * HEADER
    res = decode_control(pack_msb(after[:24]))
    if res is None:
        return None
    return 8 * HEADER + 240 * (blocks or (res[0][0] & 0x1F) + 1)


def decode_blocks(bits: np.ndarray, count: int) -> list[tuple[int, bytes, int]]:
    """(index, 18 data bytes, codewords corrected) of each block with a valid CRC."""
    have = min(count, len(bits) // 240)
    out: list[tuple[int, bytes, int]] = []
    if have == 0:
        return out
    raw = bits[: 240 * have] ^ _SCRAMBLE[: 240 * have]
    for b in range(have):
        coded = raw[240 * b : 240 * (b + 1)][_DEINTERLEAVE].reshape(20, 12)
        words = coded.astype(np.int64) @ (1 << np.arange(11, -1, -1))
        data, status = decode12(words)
        block = data.astype(np.uint8).tobytes()
        if CRC16_X25.verify(block, "big"):
            out.append((b, block[:BLOCK_DATA], int(np.count_nonzero(status == 1))))
    return out


def parse_callsign(value: Any) -> str | None:
    """An expected callsign: up to 6 ASCII characters (None or "" for any)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() == "none":
        return None
    if len(text) > 6 or not text.isascii() or not text.isprintable():
        raise ValueError("a callsign is 1..6 printable ASCII characters")
    return text


def _callsign_field(callsign: str) -> bytes:
    """The header's callsign and CRC bytes of ``callsign``."""
    call = callsign.encode("ascii").ljust(6)
    return call + CRC16_XMODEM.to_bytes(call, "big")


def _known_callsign(head: bytes, expected: bytes) -> tuple[bytes, int] | None:
    got = np.unpackbits(np.frombuffer(head[3:11], np.uint8))
    want = np.unpackbits(np.frombuffer(expected, np.uint8))
    errors = int(np.count_nonzero(got != want))
    return (expected[:6], errors) if errors <= KNOWN_CALLSIGN_ERRORS else None


def decode_frame(
    soft: np.ndarray,
    expected: bytes | None = None,
    with_callsign: bool = True,
    blocks: int | None = None,
) -> list[Decoded]:
    """Frames (one per data block with a valid CRC) of the bits after a sync word;
    ``expected``: the header's callsign and CRC bytes the satellite sends, if known;
    ``with_callsign`` False: BEESAT-1's header without one; ``blocks``: a block count
    that overrides the control byte's (BEESAT-9: 32)."""
    bits = hard_bits(soft)
    length = HEADER if with_callsign else HEADER_NO_CALL
    if len(bits) < 8 * length:
        return []
    head = pack_msb(bits[: 8 * length])
    res = decode_control(head)
    if res is None:
        return []
    control, corrected = res
    count = blocks or (control[0] & 0x1F) + 1
    fields: dict[str, Any] = {"num_blocks": count, "control": control.hex()}
    if with_callsign:
        call = (
            check_callsign(head[3:9], head[9:11])
            if expected is None
            else _known_callsign(head, expected)
        )
        if call is None:
            return []
        fields.update(callsign=call[0].decode("ascii"), callsign_errors=call[1])
    return [
        Decoded(data, True, 8 * length + 240 * (b + 1), {**fields, "block": b, "fec_corrected": n})
        for b, data, n in decode_blocks(bits[8 * length :], count)
    ]


def encode_frame(data: bytes, callsign: str | None = "DP0BEE", nx: bool = True) -> np.ndarray:
    """Channel bits from the sync word on of a frame carrying ``data`` (1..32 blocks
    of 18 bytes); ``callsign`` None gives BEESAT-1's header (then only the
    ``beesat1`` framing reads it)."""
    if not data or len(data) % BLOCK_DATA or len(data) > BLOCK_DATA * MAX_BLOCKS:
        raise ConfigError(f"Mobitex frames carry 1..{MAX_BLOCKS} blocks of {BLOCK_DATA} bytes")
    count = len(data) // BLOCK_DATA
    control = bytes([0x40 | (count - 1), 0x00])
    fec = encode12(np.frombuffer(control, np.uint8)) & 0xF
    head = control + bytes([(int(fec[0]) << 4) | int(fec[1])])
    if callsign is not None:
        call = callsign.encode("ascii").ljust(6)[:6]
        head += call + CRC16_XMODEM.to_bytes(call, "big")
    coded = []
    for b in range(count):
        block = data[BLOCK_DATA * b : BLOCK_DATA * (b + 1)]
        block += CRC16_X25.to_bytes(block, "big")
        words = encode12(np.frombuffer(block, np.uint8))
        wbits = ((words[:, None] >> np.arange(11, -1, -1)) & 1).astype(np.uint8).ravel()
        air = np.empty(240, np.uint8)
        air[_DEINTERLEAVE] = wbits
        coded.append(air)
    body = np.concatenate(coded) ^ _SCRAMBLE[: 240 * count]
    return np.concatenate([bits_of(SYNC[nx], 16), unpack_msb(head), body]).astype(np.uint8)


def _maker(
    nx: bool, with_callsign: bool = True, blocks: int | None = None
) -> Callable[[Mapping[str, Any], bool | None], Deframer]:
    def make(options: Mapping[str, Any], invert: bool | None) -> Deframer:
        callsign = options.get("callsign")
        expected = None if callsign is None else _callsign_field(callsign)
        return SyncDeframer(
            bits_of(SYNC[nx], 16),
            MAX_SYNC_ERRORS if with_callsign else BEESAT1_SYNC_ERRORS,
            SPAN,
            functools.partial(
                decode_frame, expected=expected, with_callsign=with_callsign, blocks=blocks
            ),
            invert,
            needed=functools.partial(needed, blocks=blocks),
        )

    return make


def _encoder(
    nx: bool, with_callsign: bool = True, blocks: int | None = None
) -> Callable[[bytes, Mapping[str, Any], int], EncodedFrame]:
    def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
        """Alternating-bit preamble, the frame, 16 bits of tail."""
        if blocks is not None and len(payload) != BLOCK_DATA * blocks:
            raise ConfigError(f"these frames carry {blocks} blocks of {BLOCK_DATA} bytes")
        n_pre = max(32, preamble_bits)
        pre = (np.arange(n_pre, dtype=np.uint8) & 1) ^ 1
        call = (options.get("callsign") or "DP0BEE") if with_callsign else None
        frame = encode_frame(payload, callsign=call, nx=nx)
        return EncodedFrame(np.concatenate([pre, frame, pre[:16]]), n_pre)

    return encode


OPT_CALLSIGN = FramingOption(
    "callsign",
    None,
    "the callsign the satellite sends (frames of others are dropped; default: any)",
    parse_callsign,
    "CALL",
)

FRAMINGS = (
    Framing(
        name="mobitex",
        description="Mobitex: sync 0x5765, (12,8) FEC, interleaved scrambled 18-byte blocks",
        make_deframer=_maker(False),
        encode=_encoder(False),
        aliases=("Mobitex",),
        options=(OPT_CALLSIGN,),
        max_payload=BLOCK_DATA * MAX_BLOCKS,
    ),
    Framing(
        name="mobitex_nx",
        description="Mobitex-NX (BEESAT, TUBIN): sync 0x0EF0, (12,8) FEC, 18-byte blocks",
        make_deframer=_maker(True),
        encode=_encoder(True),
        aliases=("Mobitex-NX",),
        options=(OPT_CALLSIGN,),
        max_payload=BLOCK_DATA * MAX_BLOCKS,
    ),
    Framing(
        name="beesat1",
        description="BEESAT-1: Mobitex-NX with a header without callsign",
        make_deframer=_maker(True, with_callsign=False),
        encode=_encoder(True, with_callsign=False),
        aliases=("BEESAT-1",),
        max_payload=BLOCK_DATA * MAX_BLOCKS,
    ),
    Framing(
        name="beesat9",
        description="BEESAT-9: Mobitex-NX, always 32 blocks",
        make_deframer=_maker(True, blocks=MAX_BLOCKS),
        encode=_encoder(True, blocks=MAX_BLOCKS),
        aliases=("BEESAT-9",),
        options=(OPT_CALLSIGN,),
        max_payload=BLOCK_DATA * MAX_BLOCKS,
    ),
)
