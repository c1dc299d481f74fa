"""Transceiver-chip packet formats: AALTO-1, Lucky-7, FOSSASAT, Grizu-263A, BINAR-1, DIY-1."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.scramblers import pn9_sequence
from sdrlink.errors import ConfigError
from sdrlink.framing import chips, get_framing

# each satellite's modem (gr-satellites' satellite descriptions) and a frame for it
CASES = {
    "AALTO-1": (9600, lambda rng, n: rng.integers(0, 256, n, dtype=np.uint8).tobytes()),
    "Lucky-7": (4800, lambda rng, n: rng.integers(0, 256, 35, dtype=np.uint8).tobytes()),
    "FOSSASAT": (9600, lambda rng, n: rng.integers(0, 256, n, dtype=np.uint8).tobytes()),
    "Grizu-263A": (2400, lambda rng, n: rng.integers(0, 256, n, dtype=np.uint8).tobytes()),
    "BINAR-1": (
        9600,
        lambda rng, n: bytes([n - 1]) + rng.integers(0, 256, n - 1, np.uint8).tobytes(),
    ),
    "DIY-1": (
        1200,
        lambda rng, n: b"DIY1" + bytes([n - 5]) + rng.integers(0, 256, n - 5, np.uint8).tobytes(),
    ),
}


def test_sx126x_crc_against_a_bitwise_reference():
    def bitwise(data: bytes) -> int:
        crc = 0x1D0F
        for byte in data:
            crc ^= byte << 8
            for _ in range(8):
                crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        return crc ^ 0xFFFF

    for data in (b"123456789", bytes(range(40)), b"\xff" * 7):
        assert chips.CRC16_SX126X(data) == bitwise(data)


def test_whitening_sequences():
    # Si4463 whitens bit by bit from state 0x1E1: the TI PN9 bytes from the second on,
    # each sent LSB first
    seq = chips.pn9_reversed(0x1E1)(4)
    assert seq.tobytes() == bytes(int(f"{b:08b}"[::-1], 2) for b in pn9_sequence(5)[1:])
    assert chips.pn9()(3).tobytes() == b"\xff\xe1\x1d"


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_roundtrip(name, flip, rng):
    payload = CASES[name][1](rng, 40)
    enc = encode_bits(name, payload)
    soft = flip * soft_of(enc.bits, rng, sigma=0.3)
    frames = deframe(name, soft, block=257)
    assert [f.payload for f in frames] == [payload]
    f = frames[0]
    assert f.crc_ok is True and f.fields["inverted"] is (flip < 0)
    assert f.start == 500 + enc.start and f.stop == len(soft) - 500 - 16


@pytest.mark.parametrize("name", list(CASES))
def test_crc_rejects_a_bit_error(name, rng):
    payload = CASES[name][1](rng, 30)
    enc = encode_bits(name, payload)
    soft = soft_of(enc.bits, rng)
    sync_len = len(chips.FORMATS[get_framing(name).name].sync)
    soft[500 + enc.start + sync_len + 8 * 6 + 3] *= -1  # a data bit
    assert deframe(name, soft) == []


def test_whitening_is_applied_on_air(rng):
    # a run of zeros does not stay a run of zeros on air, and the length byte is whitened
    enc = encode_bits("AALTO-1", bytes(60))
    body = np.packbits(enc.bits[enc.start + 32 : enc.start + 32 + 8 * 63]).tobytes()
    assert body[0] == 60 ^ 0xFF and body[1:4] == pn9_sequence(4)[1:].tobytes()


def test_encoder_rules():
    with pytest.raises(ConfigError):
        encode_bits("Lucky-7", bytes(34))
    with pytest.raises(ConfigError):
        encode_bits("BINAR-1", b"\x05abc")  # length byte says 5, 3 follow
    with pytest.raises(ConfigError):
        encode_bits("DIY-1", b"hdr")
    with pytest.raises(ConfigError):
        encode_bits("FOSSASAT", bytes(256))
    assert get_framing("DIY-1").max_payload == 4 + 1 + 255


@pytest.mark.parametrize("name", list(CASES))
def test_fsk_roundtrip(name, rng):
    baud, make = CASES[name]
    opts = {"modulation": "fsk", "baud": baud, "framing": name}
    payloads = [make(rng, 20), make(rng, 60)]
    frames = receive(opts, iq_bursts(opts, payloads, 9.5, 800, rng), FS)
    assert [f.payload for f in frames] == payloads


def test_block_size_independent(rng):
    opts = {"modulation": "fsk", "baud": 9600, "framing": "FOSSASAT"}
    payloads = [bytes(range(30)), bytes(range(50, 120))]
    x = iq_bursts(opts, payloads, 10, -600, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(opts, x, FS, bs)] for bs in (999, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


@pytest.mark.parametrize("name", list(CASES))
def test_noise_gives_no_frame(name, rng):
    assert deframe(name, rng.standard_normal(300_000).astype(np.float32)) == []


def test_noise_through_the_receiver(rng):
    for name in ("Lucky-7", "DIY-1"):  # the 16-bit sync words: the most candidates
        opts = {"modulation": "fsk", "baud": 9600, "framing": name}
        assert receive(opts, noise_iq(rng), FS) == []
