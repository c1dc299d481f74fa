"""The CRCs of the framings (check values of b"123456789" in each docstring)."""

from __future__ import annotations

import binascii

_REV = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def crc16_x25(data: bytes) -> int:
    """CRC-16/X.25, the AX.25 FCS (check value 0x906E).

    Computed through the C implementation of the non-reflected CCITT CRC in
    :mod:`binascii` on bit-reversed bytes, then reflected back.
    """
    c = binascii.crc_hqx(bytes(data).translate(_REV), 0xFFFF)
    return int(f"{c:016b}"[::-1], 2) ^ 0xFFFF


_USB_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0xA001 if _c & 1 else _c >> 1
    _USB_TABLE.append(_c)


def crc16_usb(data: bytes) -> int:
    """CRC-16/USB: reflected 0x8005, init 0xFFFF, final XOR 0xFFFF (check value 0xB4C8)."""
    crc = 0xFFFF
    for byte in bytes(data):
        crc = _USB_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFF
