"""Astrocast FX.25 framings (NRZ-I and NRZ): encoder, noise, the Astrocast 0.1 recording."""

from __future__ import annotations

import numpy as np
import pytest
from framing_util import (
    decode_iq,
    decode_recording,
    expected_frames,
    good_payloads,
    iq_bursts,
    soft_garbage,
)

from sdrlink.coding.crc import crc16_x25
from sdrlink.coding.linecode import nrzi_decode
from sdrlink.coding.reedsolomon import encode_frame
from sdrlink.framing import ax25, fx25, get_framing

NRZI = {"modulation": "fsk", "baud": 1200, "framing": "Astrocast FX.25 NRZ-I"}
NRZ = {**NRZI, "framing": "Astrocast FX.25 NRZ"}


def _frame(rng, n: int, info: bytes = b"") -> bytes:
    body = info + rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    return ax25.ui_frame("CQ", "HB9GSF", body)


def _deframe(name: str, bits: np.ndarray) -> list:
    soft = (bits.astype(np.float32) * 2 - 1) * 3
    return get_framing(name).make_deframer({}, None).scan(soft, 0, True)


def test_tag_on_air_and_layout(rng):
    assert fx25.TAG_05_ON_AIR == 0x75FAC1A358D06476
    payload = _frame(rng, 40)
    enc = fx25.encode_nrzi(payload, {}, 64)
    plain = nrzi_decode(enc.bits)
    assert enc.start == 64
    assert np.array_equal(plain[64:128], fx25.TAG_BITS)
    data = np.packbits(plain[128 : 128 + 8 * 223], bitorder="little").tobytes()
    assert data[0] == 0x7E and data[1 : 1 + len(payload)] == payload
    assert np.array_equal(fx25.encode_nrz(payload, {}, 64).bits, plain)


@pytest.mark.parametrize("name", ["astrocast_fx25_nrzi", "astrocast_fx25_nrz"])
def test_errors_flag_inside_and_polarity(name, rng):
    payload = _frame(rng, 60, info=b"~~\x7e")  # 0x7E bytes inside the frame
    enc = get_framing(name).encode(payload, {}, 32)
    bits = enc.bits.copy()
    bits[[40, 50, 60]] ^= 1  # tag errors (NRZI decoding doubles them)
    # 16 byte errors in the codeword, the RS code's limit (NRZI: one line error
    # corrupts two adjacent bits, in the same byte here)
    for byte in range(0, 240, 15):
        bits[96 + 8 * byte + 2] ^= 1
    got = _deframe(name, 1 - bits)
    assert [r.payload for r in got] == [payload]
    f = got[0].fields
    assert f["rs_corrected"] == 16 and f["src"] == "HB9GSF"
    assert f["sync_errors"] == (6 if name.endswith("nrzi") else 3)
    assert f["inverted"] is name.endswith("_nrz")


def test_bit_stuffed_data_part_is_read_too(rng):
    payload = _frame(rng, 30, info=b"\xff\xff\xff")  # stuffing needed
    fcs = crc16_x25(payload)
    stuffed = np.concatenate(
        [ax25.FLAG_BITS, ax25.bit_stuff(ax25.bytes_to_bits(payload + bytes([fcs & 255, fcs >> 8])))]
    )
    stuffed = np.concatenate([stuffed, np.tile(ax25.FLAG_BITS, 240)])[: 8 * 223]
    data = np.packbits(stuffed, bitorder="little").tobytes()
    bits = np.concatenate(
        [
            ax25.bytes_to_bits(b"\x7e" * 4),
            fx25.TAG_BITS,
            ax25.bytes_to_bits(encode_frame(data, 1, "dual")),
        ]
    )
    assert [r.payload for r in _deframe("astrocast_fx25_nrz", bits)] == [payload]


def test_payload_limit():
    with pytest.raises(ValueError, match="219"):
        fx25.encode_nrz(bytes(220), {}, 8)


@pytest.mark.parametrize("options,cfo", [(NRZI, 700.0), (NRZ, -900.0)])
def test_synthetic_round_trip(options, cfo, rng):
    payloads = [_frame(rng, n) for n in (10, 100, 200)]
    for snr in (7.0, 18.0):  # measured over 4x3 frames: all at 7 dB, 11 (NRZ-I) at 6 dB
        frames = decode_iq(options, iq_bursts(options, payloads, snr, cfo, rng))
        assert good_payloads(frames) == payloads, snr
        assert all(f.crc_ok is True for f in frames)


@pytest.mark.parametrize("name", ["astrocast_fx25_nrzi", "astrocast_fx25_nrz"])
def test_noise_and_garbage_give_no_frame(name, rng):
    assert soft_garbage(name, rng) == []
    noise = (rng.standard_normal(300_000) + 1j * rng.standard_normal(300_000)).astype(np.complex64)
    assert good_payloads(decode_iq({**NRZI, "framing": name}, noise)) == []


def test_block_size_independent(rng):
    payloads = [_frame(rng, 50), _frame(rng, 150)]
    y = iq_bursts(NRZI, payloads, 11.0, 300.0, rng)
    runs = [
        [(f.sample_index, f.payload) for f in decode_iq(NRZI, y, bs)]
        for bs in (1009, 65536, 10_000_000)
    ]
    assert [p for _, p in runs[0]] == payloads
    assert runs[0] == runs[1] == runs[2]


@pytest.mark.shared
def test_recording(shared_recordings):
    frames = decode_recording(shared_recordings / "astrocast.wav", NRZI)
    assert all(f.crc_ok is True for f in frames)
    assert expected_frames(shared_recordings, "astrocast") <= {f.payload for f in frames}
    assert frames[0].fields["addresses"] == "CQ<-HB9GSF"
    # the recording is NRZ-I: read as plain NRZ it holds nothing
    assert decode_recording(shared_recordings / "astrocast.wav", NRZ) == []
