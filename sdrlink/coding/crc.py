"""CRCs: a table-driven engine for any CRC up to 32 bits, and the catalogue
of those satellite framings use.

A CRC is given by the usual parameters (Williams' "Rocksoft" model, as the
CRC RevEng catalogue lists them): width, polynomial (without the x^width
term), initial register, whether input bytes and the final register are
reflected, and the final XOR. Each catalogue entry carries its published
check value, the CRC of b"123456789", which the tests verify.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass, field

from sdrlink.errors import ConfigError

_REV8 = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _reflect(value: int, width: int) -> int:
    return int(f"{value:0{width}b}"[::-1], 2)


@dataclass(frozen=True)
class Crc:
    """One CRC algorithm; call it on bytes to get the CRC as an int."""

    name: str
    width: int
    poly: int
    init: int
    refin: bool
    refout: bool
    xorout: int
    check: int
    aliases: tuple[str, ...] = ()
    _table: tuple[int, ...] = field(default=(), repr=False, compare=False)
    _fast: Callable[[bytes], int] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.width <= 32:
            raise ConfigError(f"CRC width must be 1..32, got {self.width}")
        mask = (1 << self.width) - 1
        for what in ("poly", "init", "xorout"):
            if not 0 <= getattr(self, what) <= mask:
                raise ConfigError(f"CRC {what} does not fit {self.width} bits")
        object.__setattr__(self, "_table", self._make_table())

    def _make_table(self) -> tuple[int, ...]:
        w = self.width
        table = []
        if self.refin:  # register shifts right, reflected polynomial
            rpoly = _reflect(self.poly, w)
            for i in range(256):
                c = i
                for _ in range(8):
                    c = (c >> 1) ^ rpoly if c & 1 else c >> 1
                table.append(c)
        else:  # register shifts left; widths < 8 run on a register widened to 8 bits
            wide = max(w, 8)
            top = 1 << (wide - 1)
            mask = (1 << wide) - 1
            poly = self.poly << (wide - w)
            for i in range(256):
                c = i << (wide - 8)
                for _ in range(8):
                    c = ((c << 1) ^ poly) & mask if c & top else (c << 1) & mask
                table.append(c)
        return tuple(table)

    def __call__(self, data: bytes) -> int:
        if self._fast is not None:
            return self._fast(bytes(data))
        return self.compute(data)

    def compute(self, data: bytes) -> int:
        """The CRC by the table (the reference path, also behind every fast one)."""
        w = self.width
        table = self._table
        if self.refin:
            crc = _reflect(self.init, w)
            for byte in bytes(data):
                crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
            if not self.refout:
                crc = _reflect(crc, w)
        else:
            wide = max(w, 8)
            shift = wide - 8
            mask = (1 << wide) - 1
            crc = self.init << (wide - w)
            for byte in bytes(data):
                crc = table[((crc >> shift) ^ byte) & 0xFF] ^ ((crc << 8) & mask)
            crc >>= wide - w
            if self.refout:
                crc = _reflect(crc, w)
        return crc ^ self.xorout

    def to_bytes(self, data: bytes, byteorder: str = "big") -> bytes:
        """The CRC of ``data`` as ``ceil(width/8)`` bytes ("big" or "little" first)."""
        return self(data).to_bytes((self.width + 7) // 8, byteorder)  # type: ignore[arg-type]

    def verify(self, frame: bytes, byteorder: str = "big") -> bool:
        """True when ``frame`` ends with the CRC of what precedes it (in ``byteorder``)."""
        n = (self.width + 7) // 8
        if len(frame) < n:
            return False
        return self.to_bytes(frame[:-n], byteorder) == bytes(frame[-n:])


def _x25_fast(data: bytes) -> int:
    # binascii's CCITT CRC (non-reflected 0x1021) on bit-reversed bytes, reflected back
    c = binascii.crc_hqx(data.translate(_REV8), 0xFFFF)
    return _reflect(c, 16) ^ 0xFFFF


CATALOGUE: dict[str, Crc] = {}


def _add(*args: object, **kw: object) -> Crc:
    crc = Crc(*args, **kw)  # type: ignore[arg-type]
    CATALOGUE[crc.name] = crc
    return crc


# fmt: off
# name, width, poly, init, refin, refout, xorout, check (CRC RevEng catalogue)
CRC16_X25 = _add("CRC-16/IBM-SDLC", 16, 0x1021, 0xFFFF, True, True, 0xFFFF, 0x906E,
                 aliases=("CRC-16/X-25", "CRC-16/X.25", "X-25", "CRC-16/ISO-HDLC"),
                 _fast=_x25_fast)
CRC16_CCITT_FALSE = _add("CRC-16/IBM-3740", 16, 0x1021, 0xFFFF, False, False, 0, 0x29B1,
                         aliases=("CRC-16/CCITT-FALSE", "CRC-16/AUTOSAR"),
                         _fast=lambda d: binascii.crc_hqx(d, 0xFFFF))
CRC16_XMODEM = _add("CRC-16/XMODEM", 16, 0x1021, 0, False, False, 0, 0x31C3,
                    aliases=("CRC-16/ACORN", "CRC-16/LTE", "CRC-16/V-41-MSB"),
                    _fast=lambda d: binascii.crc_hqx(d, 0))
CRC16_KERMIT = _add("CRC-16/KERMIT", 16, 0x1021, 0, True, True, 0, 0x2189,
                    aliases=("CRC-16/CCITT", "CRC-16/CCITT-TRUE", "CRC-16/V-41-LSB"))
CRC16_GENIBUS = _add("CRC-16/GENIBUS", 16, 0x1021, 0xFFFF, False, False, 0xFFFF, 0xD64E,
                     aliases=("CRC-16/DARC", "CRC-16/EPC", "CRC-16/I-CODE"))
CRC16_AUG_CCITT = _add("CRC-16/SPI-FUJITSU", 16, 0x1021, 0x1D0F, False, False, 0, 0xE5CC,
                       aliases=("CRC-16/AUG-CCITT",))
CRC16_ARC = _add("CRC-16/ARC", 16, 0x8005, 0, True, True, 0, 0xBB3D,
                 aliases=("ARC", "CRC-16/LHA", "CRC-IBM"))
CRC16_USB = _add("CRC-16/USB", 16, 0x8005, 0xFFFF, True, True, 0xFFFF, 0xB4C8)
CRC16_MODBUS = _add("CRC-16/MODBUS", 16, 0x8005, 0xFFFF, True, True, 0, 0x4B37)
CRC16_CMS = _add("CRC-16/CMS", 16, 0x8005, 0xFFFF, False, False, 0, 0xAEE7)
CRC16_DNP = _add("CRC-16/DNP", 16, 0x3D65, 0, True, True, 0xFFFF, 0xEA82)
CRC32 = _add("CRC-32/ISO-HDLC", 32, 0x04C11DB7, 0xFFFFFFFF, True, True, 0xFFFFFFFF, 0xCBF43926,
             aliases=("CRC-32", "CRC-32/ADCCP", "PKZIP"),
             _fast=binascii.crc32)
CRC32C = _add("CRC-32/ISCSI", 32, 0x1EDC6F41, 0xFFFFFFFF, True, True, 0xFFFFFFFF, 0xE3069283,
              aliases=("CRC-32C", "CRC-32/CASTAGNOLI"))
CRC32_BZIP2 = _add("CRC-32/BZIP2", 32, 0x04C11DB7, 0xFFFFFFFF, False, False, 0xFFFFFFFF,
                   0xFC891918, aliases=("CRC-32/AAL5",))
CRC32_MPEG2 = _add("CRC-32/MPEG-2", 32, 0x04C11DB7, 0xFFFFFFFF, False, False, 0, 0x0376E6E7)
CRC8_SMBUS = _add("CRC-8/SMBUS", 8, 0x07, 0, False, False, 0, 0xF4, aliases=("CRC-8",))
CRC8_ITU = _add("CRC-8/I-432-1", 8, 0x07, 0, False, False, 0x55, 0xA1, aliases=("CRC-8/ITU",))
CRC8_MAXIM = _add("CRC-8/MAXIM-DOW", 8, 0x31, 0, True, True, 0, 0xA1,
                  aliases=("CRC-8/MAXIM", "DOW-CRC"))
CRC8_DVB_S2 = _add("CRC-8/DVB-S2", 8, 0xD5, 0, False, False, 0, 0xBC)
CRC8_AUTOSAR = _add("CRC-8/AUTOSAR", 8, 0x2F, 0xFF, False, False, 0xFF, 0xDF)
# fmt: on


def _key(name: str) -> str:
    return "".join(c for c in str(name).upper() if c.isalnum())


def get_crc(name: str) -> Crc:
    """A catalogue CRC by its name or an alias (only letters and digits count)."""
    key = _key(name)
    for crc in CATALOGUE.values():
        if key == _key(crc.name) or key in {_key(a) for a in crc.aliases}:
            return crc
    raise ConfigError(f"unknown CRC {name!r}; choose one of: {', '.join(CATALOGUE)}")


def crc16_x25(data: bytes) -> int:
    """CRC-16/X.25 (IBM-SDLC), the AX.25 FCS (check value 0x906E)."""
    return _x25_fast(bytes(data))


def crc16_usb(data: bytes) -> int:
    """CRC-16/USB: reflected 0x8005, init 0xFFFF, final XOR 0xFFFF (check value 0xB4C8)."""
    return CRC16_USB(data)


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC: reflected 0x8005, init 0, no final XOR (check value 0xBB3D)."""
    return CRC16_ARC(data)


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/IBM-3740 ("CCITT-FALSE"): 0x1021, init 0xFFFF (check value 0x29B1)."""
    return binascii.crc_hqx(bytes(data), 0xFFFF)


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli, as CSP uses it; check value 0xE3069283)."""
    return CRC32C(data)
