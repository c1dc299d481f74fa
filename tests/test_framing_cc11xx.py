"""CC11xx-based framings: 3CAT-1 (PN9 + RS), Reaktor Hello World and Light-1 (PN9 + CRC-16)."""

from __future__ import annotations

import numpy as np
import pytest
from framing_util import decode_iq, good_payloads, iq_bursts, soft_garbage

from sdrlink.coding.crc import CRC16_CMS
from sdrlink.coding.scramblers import pn9_sequence
from sdrlink.framing import cc11xx, get_framing

CAT1 = {"modulation": "fsk", "baud": 9600, "framing": "3CAT-1"}
REAKTOR = {"modulation": "fsk", "baud": 9600, "framing": "Reaktor Hello World"}
LIGHT1 = {"modulation": "fsk", "baud": 2400, "framing": "Light-1", "deviation": 600}


def _deframe(name: str, bits: np.ndarray) -> list:
    soft = (bits.astype(np.float32) * 2 - 1) * 0.5
    return get_framing(name).make_deframer({}, None).scan(soft, 0, True)


def test_pn9_and_crc_facts():
    # TI DN509's whitening sequence and the CC11xx CRC (CRC-16/CMS check value)
    assert pn9_sequence(6).tobytes().hex() == "ffe11d9aed85"
    assert CRC16_CMS(b"123456789") == 0xAEE7


def test_3cat1_layout_and_errors(rng):
    payload = rng.integers(0, 256, 223, dtype=np.uint8).tobytes()
    enc = cc11xx.encode_3cat1(payload, {}, 32)
    bits = enc.bits.copy()
    assert np.packbits(bits[32:64]).tobytes().hex() == "d391d391"
    assert len(bits) == 64 + 8 * 255 + 16
    bits[[35, 47]] ^= 1
    for byte in range(0, 255, 16):  # 16 byte errors
        bits[64 + 8 * byte + 5] ^= 1
    got = _deframe("3cat1", 1 - bits)
    assert [r.payload for r in got] == [payload]
    assert got[0].fields["rs_corrected"] == 16 and got[0].fields["inverted"] is True
    bits[64 + 8 * 250] ^= 1  # 17: beyond the code
    assert _deframe("3cat1", bits) == []


def test_3cat1_sync_word_inverted_alone_does_not_invert_the_packet(rng):
    payload = rng.integers(0, 256, 223, dtype=np.uint8).tobytes()
    bits = cc11xx.encode_3cat1(payload, {}, 32).bits
    complement = bytes(b ^ 0xFF for b in payload)
    # the complement of a packet is a packet of the same RS code ...
    assert [r.payload for r in _deframe("3cat1", 1 - bits)] == [payload]
    codeword = payload + cc11xx.RS_3CAT1.encode(payload)
    assert cc11xx.RS_3CAT1.decode(bytes(b ^ 0xFF for b in codeword)) == (complement, 0)
    # ... so a sync word (and a few preamble bits) inverted on their own must not
    # make the packet read as its complement
    hit = bits.copy()
    hit[24:64] ^= 1
    assert all(r.payload != complement for r in _deframe("3cat1", hit))
    lone = bits.copy()
    lone[32:64] ^= 1
    assert all(r.payload != complement for r in _deframe("3cat1", lone))


def test_reaktor_layout_crc_and_length(rng):
    payload = rng.integers(0, 256, 77, dtype=np.uint8).tobytes()
    bits = cc11xx.encode_reaktor(payload, {}, 32).bits
    assert np.packbits(bits[32:64]).tobytes().hex() == "352e352e"
    assert np.packbits(bits[64:72])[0] ^ 0xFF == 77  # whitened length byte
    assert [r.payload for r in _deframe("reaktor_hello_world", 1 - bits)] == [payload]
    broken = bits.copy()
    broken[64 + 8 * 40] ^= 1  # one data bit: the CRC catches it
    assert _deframe("reaktor_hello_world", broken) == []


def test_payload_limits():
    with pytest.raises(ValueError, match="223"):
        cc11xx.encode_3cat1(bytes(224), {}, 8)
    for bad in (b"", bytes(253)):
        with pytest.raises(ValueError, match="252"):
            cc11xx.encode_reaktor(bad, {}, 8)
    short = cc11xx.encode_3cat1(b"hello", {}, 8)
    assert [r.payload for r in _deframe("3cat1", short.bits)] == [b"hello".ljust(223, b"\x00")]


# measured over 4x3 frames: 3CAT-1 all at 6 dB (9 at 5), Reaktor all at 8 dB (7 at 7)
@pytest.mark.parametrize("options,snr,cfo", [(CAT1, 6.5, 1500.0), (REAKTOR, 8.5, -2500.0)])
def test_synthetic_round_trip(options, snr, cfo, rng):
    n = 223 if options is CAT1 else 120
    payloads = [
        rng.integers(0, 256, k, dtype=np.uint8).tobytes() for k in (n, n, 7 if n == 120 else n)
    ]
    for extra_db in (0.0, 10.0):
        frames = decode_iq(options, iq_bursts(options, payloads, snr + extra_db, cfo, rng))
        assert good_payloads(frames) == payloads, extra_db


@pytest.mark.parametrize("name", ["3cat1", "reaktor_hello_world", "light1"])
def test_noise_and_garbage_give_no_frame(name, rng):
    assert soft_garbage(name, rng) == []
    noise = (rng.standard_normal(300_000) + 1j * rng.standard_normal(300_000)).astype(np.complex64)
    assert good_payloads(decode_iq({**CAT1, "framing": name}, noise)) == []


def test_block_size_independent(rng):
    payloads = [rng.integers(0, 256, k, dtype=np.uint8).tobytes() for k in (30, 200)]
    y = iq_bursts(REAKTOR, payloads, 13.0, 300.0, rng)
    runs = [
        [(f.sample_index, f.payload) for f in decode_iq(REAKTOR, y, bs)]
        for bs in (1021, 65536, 10_000_000)
    ]
    assert [p for _, p in runs[0]] == payloads
    assert runs[0] == runs[1] == runs[2]


def test_light1_is_reaktor_behind_the_ax100_sync_word(rng):
    payload = rng.integers(0, 256, 60, dtype=np.uint8).tobytes()
    bits = get_framing("Light-1").encode(payload, {}, 32).bits
    assert np.packbits(bits[32:64]).tobytes().hex() == "930b51de"
    reaktor = cc11xx.encode_reaktor(payload, {}, 32).bits
    assert (bits[64:] == reaktor[64:]).all()
    for flip in (False, True):
        noisy = bits ^ flip
        noisy[[33, 40, 51, 60]] ^= 1  # 4 sync word errors, as gr-satellites allows
        got = _deframe("light1", noisy)
        assert [r.payload for r in got] == [payload]
        assert got[0].fields["inverted"] is flip and got[0].fields["sync_errors"] == 4
    assert _deframe("reaktor_hello_world", bits) == []
    assert _deframe("ax100", bits) == []


# benchmarks/framing_sensitivity.py, 10x3 frames of 100 bytes at 2k4: 90 % at about 9.4 dB
@pytest.mark.parametrize("snr", [10.0, 12.0])
def test_light1_round_trip(snr, rng):
    payloads = [rng.integers(0, 256, k, dtype=np.uint8).tobytes() for k in (100, 20, 100)]
    frames = decode_iq(LIGHT1, iq_bursts(LIGHT1, payloads, snr, 900.0, rng), 4099)
    assert good_payloads(frames) == payloads
