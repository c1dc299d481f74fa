"""AX.25 over HDLC (plain or G3RUH-scrambled): FCS, bit stuffing, flags, addresses.

Bits travel LSB first. The frame between two 0x7E flags is bit-stuffed (a 0
after five 1s); the last two bytes are the CRC-16/X.25 FCS (reflected 0x1021,
init and final XOR 0xFFFF) of the bytes before it, low byte first. On air the
bits are NRZI coded (a 0 is a change, a 1 no change), optionally G3RUH-scrambled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdrlink._ext import coding_dsp  # type: ignore[attr-defined]
from sdrlink.coding.crc import crc16_x25
from sdrlink.coding.linecode import nrzi_decode, nrzi_encode
from sdrlink.coding.scramblers import g3ruh_scramble
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, RawFrame

FLAG_BITS = np.array([0, 1, 1, 1, 1, 1, 1, 0], dtype=np.uint8)
MIN_FRAME_BYTES = 3  # any HDLC payload (AX.25 itself needs 17: addresses, control, FCS)
MAX_FRAME_BYTES = 400  # AX.25 N1 default 256 info bytes + addresses, margin
#: payload bytes one frame carries (the FCS takes 2 of the frame's bytes)
MIN_PAYLOAD, MAX_PAYLOAD = MIN_FRAME_BYTES - 2, MAX_FRAME_BYTES - 2


def bit_stuff(bits: np.ndarray) -> np.ndarray:
    """Insert a 0 after every run of five 1s."""
    out: list[int] = []
    run = 0
    for b in np.asarray(bits, dtype=np.uint8).tolist():
        out.append(b)
        run = run + 1 if b else 0
        if run == 5:
            out.append(0)
            run = 0
    return np.array(out, dtype=np.uint8)


def bit_unstuff(bits: np.ndarray) -> np.ndarray | None:
    """Remove stuffed zeros; None if six 1s occur in a row (abort or not a frame)."""
    bits = np.ascontiguousarray(bits, dtype=np.uint8)
    out = np.empty(len(bits), np.uint8)
    k = coding_dsp.hdlc_unstuff(bits, out)
    return None if k < 0 else out[:k]


def bytes_to_bits(data: bytes) -> np.ndarray:
    """LSB-first bits of ``data``."""
    return np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8), bitorder="little")


def hdlc_frame_bits(frame: bytes) -> np.ndarray:
    """Frame + FCS, LSB first and bit-stuffed (no flags)."""
    fcs = crc16_x25(frame)
    body = bytes(frame) + bytes([fcs & 0xFF, fcs >> 8])
    return bit_stuff(bytes_to_bits(body))


def find_flags(bits: np.ndarray) -> np.ndarray:
    """Start indices of every 01111110 pattern in a 0/1 array (one pass, Cython)."""
    b = np.ascontiguousarray(bits, dtype=np.uint8)
    flags = np.empty(len(b), np.int64)
    sixes = np.empty(len(b), np.int64)  # (the kernel's other output: unused here)
    nf, _ = coding_dsp.hdlc_marks(b, flags, sixes)
    return flags[:nf]


def check_hdlc(bits: np.ndarray) -> bytes | None:
    """The frame (without FCS) carried by the bits between two flags, if its FCS is valid."""
    raw = bit_unstuff(bits)
    if raw is None or len(raw) % 8 or not MIN_FRAME_BYTES * 8 <= len(raw) <= MAX_FRAME_BYTES * 8:
        return None
    data = np.packbits(raw, bitorder="little").tobytes()
    fcs = data[-2] | (data[-1] << 8)
    if crc16_x25(data[:-2]) != fcs:
        return None
    return data[:-2]


def check_ax25(bits: np.ndarray) -> tuple[bytes, dict[str, Any]] | None:
    """An AX.25 frame with a valid FCS between two flags, with its address fields."""
    frame = check_hdlc(bits)
    if frame is None:
        return None
    fields: dict[str, Any] = {}
    addr = parse_addresses(frame)
    if addr is not None:
        fields.update({k: v for k, v in addr.items() if k != "header_len"})
    return frame, fields


@dataclass
class Address:
    """One AX.25 address field."""

    callsign: str
    ssid: int

    def __str__(self) -> str:
        return f"{self.callsign}-{self.ssid}" if self.ssid else self.callsign


def parse_addresses(frame: bytes) -> dict[str, object] | None:
    """Destination, source and digipeaters of an AX.25 frame (None if malformed)."""
    addrs: list[Address] = []
    i = 0
    while i + 7 <= len(frame) and len(addrs) < 10:
        field = frame[i : i + 7]
        call = "".join(chr(b >> 1) for b in field[:6]).rstrip()
        ssid = (field[6] >> 1) & 0x0F
        addrs.append(Address(call, ssid))
        i += 7
        if field[6] & 1:  # address extension bit: last address
            break
    else:
        return None
    if len(addrs) < 2 or not all(a.callsign.isprintable() for a in addrs):
        return None
    dst, src, via = addrs[0], addrs[1], addrs[2:]
    text = f"{dst}<-{src}" + (" via " + ",".join(str(a) for a in via) if via else "")
    return {
        "dst": str(dst),
        "src": str(src),
        "via": [str(a) for a in via],
        "addresses": text,
        "header_len": i,
    }


def encode_address(call: str, ssid: int = 0, last: bool = False) -> bytes:
    """A 7-byte address field (for building test frames)."""
    call = call.upper().ljust(6)[:6]
    return bytes((ord(c) << 1) for c in call) + bytes([0x60 | (ssid & 0x0F) << 1 | int(last)])


def ui_frame(dst: str, src: str, info: bytes, via: tuple[str, ...] = (), pid: int = 0xF0) -> bytes:
    """An AX.25 UI frame (addresses + 0x03 + PID + info), without FCS."""
    calls = [dst, src, *via]
    out = b""
    for k, c in enumerate(calls):
        name, _, ssid = c.partition("-")
        out += encode_address(name, int(ssid or 0), last=k == len(calls) - 1)
    return out + bytes([0x03, pid]) + bytes(info)


class HdlcDeframer(Deframer):
    """AX.25 over HDLC with NRZI, optionally G3RUH-scrambled (polarity-free).

    Line decoding (descrambling, NRZI) and the flag search run once per new
    bit (Cython): decoded bits are cached by absolute index, and the flag pairs
    that may hold a frame are found as their closing flags arrive.
    """

    def __init__(
        self,
        g3ruh: bool,
        check: Callable[[np.ndarray], tuple[bytes, dict[str, Any]] | None] | None = None,
        min_bytes: int = MIN_FRAME_BYTES,
    ) -> None:
        self.g3ruh = g3ruh
        # what a flag pair holds: the bits between them -> (frame, fields) or None
        self.check = check if check is not None else check_ax25
        self.min_bits = 8 * min_bytes
        max_bits = MAX_FRAME_BYTES * 8 * 6 // 5 + 16
        self.window = max_bits + 64
        self.max_bits = max_bits
        self.end = 0  # absolute index after the last bit decoded so far
        self.dec = np.zeros(0, np.uint8)  # decoded bits [dec_base, end)
        self.dec_base = 0
        self.raw_tail = np.zeros(17, np.uint8)  # last line bits (descrambler history)
        self.last_level = 0  # last descrambled bit (NRZI reference)
        # the flag search's state (coding_dsp.hdlc_pairs: last bits, last flag, last two
        # starts of six 1s), and the flag pairs found but not yet checked: a pair with six
        # 1s between its flags cannot hold a frame, which spares the costly check on noise
        self.marks = np.array([0, -1, -(1 << 62), -(1 << 62)], np.int64)
        self.pairs: list[tuple[int, int]] = []

    def _decode_new(self, soft: np.ndarray, base: int) -> None:
        new = (soft[self.end - base :] > 0).astype(np.uint8)
        if not len(new):
            return
        dec = self._line_decode(new)
        keep_from = max(0, base - self.dec_base)
        self.dec = np.concatenate([self.dec[keep_from:], dec])
        self.dec_base += keep_from
        pairs = np.empty(len(dec) // 4 + 2, np.int64)
        k = coding_dsp.hdlc_pairs(dec, self.end, self.marks, self.min_bits, self.max_bits, pairs)
        found = pairs[: 2 * k].tolist()
        self.pairs.extend(zip(found[::2], found[1::2], strict=True))
        self.end += len(new)

    def _line_decode(self, new: np.ndarray) -> np.ndarray:
        """New line bits -> HDLC bits (descrambling, NRZI; Cython), keeping the state."""
        dec = np.empty(len(new), np.uint8)
        tail = np.ascontiguousarray(self.raw_tail, dtype=np.uint8)
        self.last_level = coding_dsp.g3ruh_nrzi_decode(
            np.ascontiguousarray(new, dtype=np.uint8), tail, self.last_level, self.g3ruh, dec
        )
        self.raw_tail = tail
        return dec

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        self._decode_new(soft, base)
        out: list[RawFrame] = []
        oldest = max(base, self.dec_base)
        for a, c in self.pairs:
            if a < oldest:
                continue  # (the window reaches further back than any frame)
            res = self.check(self.dec[a + 8 - self.dec_base : c - self.dec_base])
            if res is not None:
                out.append(RawFrame(a - base, c + 8 - base, res[0], True, res[1]))
        self.pairs = []
        return out


def _encode(payload: bytes, g3ruh: bool, preamble_bits: int) -> EncodedFrame:
    if not MIN_PAYLOAD <= len(payload) <= MAX_PAYLOAD:  # what the deframer accepts
        raise ValueError(f"AX.25 frames carry {MIN_PAYLOAD}..{MAX_PAYLOAD} bytes")
    n_pre = max(2, -(-preamble_bits // 8))
    flags = np.tile(FLAG_BITS, n_pre)
    bits = np.concatenate([flags, hdlc_frame_bits(payload), np.tile(FLAG_BITS, 4)])
    line = nrzi_encode(bits)
    if g3ruh:
        line = g3ruh_scramble(line)
    return EncodedFrame(line, 8 * (n_pre - 1))


def _make_plain(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return HdlcDeframer(g3ruh=False)


def _make_g3ruh(options: Mapping[str, Any], invert: bool | None) -> Deframer:
    return HdlcDeframer(g3ruh=True)


FRAMINGS = (
    Framing(
        name="ax25",
        description="AX.25 over HDLC with NRZI (1200 Bd AFSK/FSK packet)",
        make_deframer=_make_plain,
        encode=lambda payload, options, pre: _encode(payload, False, pre),
        aliases=("AX.25",),
        max_payload=MAX_PAYLOAD,
        polarity_free=True,
        ax25=True,
    ),
    Framing(
        name="ax25_g3ruh",
        description="AX.25 over HDLC with NRZI and the G3RUH scrambler (9600 Bd packet)",
        make_deframer=_make_g3ruh,
        encode=lambda payload, options, pre: _encode(payload, True, pre),
        aliases=("AX.25 G3RUH",),
        max_payload=MAX_PAYLOAD,
        polarity_free=True,
        ax25=True,
    ),
)

__all__ = [
    "FRAMINGS",
    "HdlcDeframer",
    "crc16_x25",
    "nrzi_decode",
    "nrzi_encode",
    "ui_frame",
    "parse_addresses",
]
