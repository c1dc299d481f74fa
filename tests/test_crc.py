"""CRCs: every catalogue entry against its published check value, engine paths."""

from __future__ import annotations

import binascii

import numpy as np
import pytest

from sdrlink.coding.crc import (
    CATALOGUE,
    Crc,
    crc16_arc,
    crc16_ccitt_false,
    crc16_usb,
    crc16_x25,
    crc32c,
    get_crc,
)
from sdrlink.errors import ConfigError

CHECK = b"123456789"


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_catalogue_check_values(name):
    crc = CATALOGUE[name]
    assert crc(CHECK) == crc.check
    assert crc.compute(CHECK) == crc.check  # the table path, also where a fast path exists


def test_published_check_values_of_the_named_functions():
    assert crc16_x25(CHECK) == 0x906E
    assert crc16_usb(CHECK) == 0xB4C8
    assert crc16_arc(CHECK) == 0xBB3D
    assert crc16_ccitt_false(CHECK) == 0x29B1
    assert crc32c(CHECK) == 0xE3069283


@pytest.mark.parametrize(
    "params",
    [
        ("CRC-5/USB", 5, 0x05, 0x1F, True, True, 0x1F, 0x19),
        ("CRC-7/MMC", 7, 0x09, 0, False, False, 0, 0x75),
        ("CRC-3/ROHC", 3, 0x3, 0x7, True, True, 0, 0x6),
        ("CRC-24/OPENPGP", 24, 0x864CFB, 0xB704CE, False, False, 0, 0x21CF02),
        ("CRC-16/TELEDISK", 16, 0xA097, 0, False, False, 0, 0x0FB3),
    ],
)
def test_engine_handles_other_widths(params):
    crc = Crc(*params)
    assert crc(CHECK) == crc.check


def test_table_path_agrees_with_binascii_on_random_data(rng):
    for _ in range(20):
        data = rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8).tobytes()
        assert get_crc("CRC-32").compute(data) == binascii.crc32(data)
        assert get_crc("CRC-16/CCITT-FALSE").compute(data) == binascii.crc_hqx(data, 0xFFFF)
        assert get_crc("X.25").compute(data) == crc16_x25(data)


def test_verify_appended_crc_in_either_byte_order():
    arc = get_crc("CRC-16/ARC")
    frame = CHECK + arc.to_bytes(CHECK, "little")
    assert frame[-2:] == bytes([0x3D, 0xBB])
    assert arc.verify(frame, "little") and not arc.verify(frame, "big")
    # a reflected CRC without final XOR leaves residue 0 over data + CRC (low byte first)
    assert arc(frame) == 0
    assert not arc.verify(b"\x01")


def test_lookup_by_alias_and_errors():
    assert get_crc("crc-16 ccitt false") is get_crc("CRC-16/IBM-3740")
    assert get_crc("CRC-32C") is get_crc("crc_32/iscsi")
    with pytest.raises(ConfigError, match="unknown CRC"):
        get_crc("CRC-17/NOPE")
    with pytest.raises(ConfigError, match="width"):
        Crc("bad", 33, 1, 0, False, False, 0, 0)
    with pytest.raises(ConfigError, match="poly"):
        Crc("bad", 8, 0x100, 0, False, False, 0, 0)
