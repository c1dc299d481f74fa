"""AX.25 link layer over HDLC: FCS, bit stuffing, NRZI, flag search, addresses.

Bits travel LSB first. The frame between two 0x7E flags is bit-stuffed (a 0
after five 1s); the last two bytes are the CRC-16/X.25 FCS (reflected 0x1021,
init and final XOR 0xFFFF) of the bytes before it, low byte first. On air the
bits are NRZI coded (a 0 is a change, a 1 no change), optionally G3RUH-scrambled.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

import numpy as np

from sdrlink._ext import fsk_dsp  # type: ignore[attr-defined]

FLAG_BITS = np.array([0, 1, 1, 1, 1, 1, 1, 0], dtype=np.uint8)
MIN_FRAME_BYTES = 3  # any HDLC payload (AX.25 itself needs 17: addresses, control, FCS)
MAX_FRAME_BYTES = 400  # AX.25 N1 default 256 info bytes + addresses, margin

_REV = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def crc16_x25(data: bytes) -> int:
    """CRC-16/X.25 (check value of b"123456789" is 0x906E).

    Computed through the C implementation of the non-reflected CCITT CRC in
    :mod:`binascii` on bit-reversed bytes, then reflected back.
    """
    c = binascii.crc_hqx(bytes(data).translate(_REV), 0xFFFF)
    return int(f"{c:016b}"[::-1], 2) ^ 0xFFFF


def nrzi_decode(bits: np.ndarray, prev: int = 0) -> np.ndarray:
    """NRZI: 1 where the level did not change, 0 where it did. ``prev`` = level before."""
    bits = np.asarray(bits, dtype=np.uint8)
    shifted = np.concatenate([[np.uint8(prev)], bits[:-1]])
    return (1 ^ bits ^ shifted).astype(np.uint8)


def nrzi_encode(bits: np.ndarray, prev: int = 0) -> np.ndarray:
    """Inverse of :func:`nrzi_decode`: toggle the level for every 0."""
    toggles = 1 ^ np.asarray(bits, dtype=np.uint8)
    return ((np.cumsum(toggles) + prev) & 1).astype(np.uint8)


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
    k = fsk_dsp.hdlc_unstuff(bits, out)
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
    """Start indices of every 01111110 pattern in a 0/1 array."""
    b = np.asarray(bits, dtype=bool)
    n = len(b) - 7
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    hit = ~b[:n] & ~b[7 : 7 + n]
    for k in range(1, 7):
        hit &= b[k : k + n]
    return np.flatnonzero(hit)


def find_six_ones(bits: np.ndarray) -> np.ndarray:
    """Start indices of every window of six 1s (flags, aborts: never inside a frame)."""
    b = np.asarray(bits, dtype=bool)
    n = len(b) - 5
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    hit = b[:n].copy()
    for k in range(1, 6):
        hit &= b[k : k + n]
    return np.flatnonzero(hit)


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
