"""AX5043 FEC framing (as CAPE-3's 1k2 FSK transmitter uses it).

The on-board AX5043 transceiver sends HDLC frames (bit-stuffed, LSB first, no
NRZI) with a CRC-16/USB (reflected 0x8005, init 0xFFFF, final XOR 0xFFFF,
low byte first), through a rate-1/2 convolutional code of constraint length 5
(polynomials 25 and 23, newest bit in the LSB; the first output is inverted)
and a 4x4 block interleaver (each 16 coded bits transposed as a 4x4 matrix).
The flag preamble therefore appears on air as a repeating 16-bit pattern, and
two encoded flags make the 32-bit sync word the receiver searches for.
"""

from __future__ import annotations

import numpy as np

from sdrlink._ext import fsk_dsp  # type: ignore[attr-defined]
from sdrlink.protocols.fsk import ax25

K = 5
POLYS = (25, 23)
SYNC_BITS = np.array([int(c) for c in "10001010111001101000101011100110"], dtype=np.uint8)
MAX_CODED_BITS = 4000  # as gr-satellites: room for 200-byte frames

_USB_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0xA001 if _c & 1 else _c >> 1
    _USB_TABLE.append(_c)


def crc16_usb(data: bytes) -> int:
    """CRC-16/USB (check value of b"123456789" is 0xB4C8)."""
    crc = 0xFFFF
    for byte in bytes(data):
        crc = _USB_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFF


def interleave(bits: np.ndarray) -> np.ndarray:
    """Transpose every 16-bit block as a 4x4 matrix (its own inverse)."""
    bits = np.asarray(bits, dtype=np.uint8)
    n = len(bits) - len(bits) % 16
    return np.einsum("ijk->ikj", bits[:n].reshape(-1, 4, 4)).ravel()


def conv_encode(bits: np.ndarray, state: int = 0) -> np.ndarray:
    """Rate-1/2 encoding (loop per bit: only used to transmit), first output inverted."""
    out = np.empty(2 * len(bits), dtype=np.uint8)
    reg = state
    for i, b in enumerate(np.asarray(bits, dtype=np.uint8).tolist()):
        reg = ((reg << 1) | b) & ((1 << K) - 1)
        out[2 * i] = 1 ^ (bin(reg & POLYS[0]).count("1") & 1)
        out[2 * i + 1] = bin(reg & POLYS[1]).count("1") & 1
    return out


def decode_coded(coded: np.ndarray) -> tuple[np.ndarray, int]:
    """Deinterleave, undo the inversion and Viterbi-decode: (info bits, bit errors)."""
    d = interleave(coded).copy()
    d[::2] ^= 1
    out = np.zeros(len(d) // 2, dtype=np.uint8)
    errors = fsk_dsp.viterbi_r2(np.ascontiguousarray(d), K, POLYS[0], POLYS[1], out)
    return out, int(errors)


def frames_from_bits(info: np.ndarray) -> list[bytes]:
    """HDLC frames with a valid CRC-16/USB in decoded bits (payloads without CRC)."""
    out = []
    flags = ax25.find_flags(info)
    for a, c in zip(flags[:-1].tolist(), flags[1:].tolist(), strict=False):
        raw = ax25.bit_unstuff(info[a + 8 : c])
        if raw is None or len(raw) < 24:
            continue
        pad = (-len(raw)) % 8
        packed = np.packbits(np.concatenate([np.zeros(pad, np.uint8), raw]), bitorder="little")
        data = packed.tobytes()
        if crc16_usb(data[:-2]) == data[-2] | (data[-1] << 8):
            out.append(data[:-2])
    return out


def frame_bits(frame: bytes, preamble_flags: int = 24) -> np.ndarray:
    """Channel bits of one transmission: encoded flag preamble, frame, closing flags."""
    crc = crc16_usb(frame)
    body = ax25.bit_stuff(ax25.bytes_to_bits(bytes(frame) + bytes([crc & 0xFF, crc >> 8])))
    flags = np.tile(ax25.FLAG_BITS, preamble_flags)
    info = np.concatenate([[0], flags, body, np.tile(ax25.FLAG_BITS, 3)]).astype(np.uint8)
    info = np.concatenate([info, np.ones((-len(info)) % 8, np.uint8)])
    state = 0
    for b in ax25.FLAG_BITS[:7].tolist():  # encoder primed with flag bits
        state = ((state << 1) | b) & ((1 << K) - 1)
    return interleave(conv_encode(info, state))
