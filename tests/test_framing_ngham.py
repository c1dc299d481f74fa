"""NGHam framings (with and without Reed-Solomon decoding): encoder, noise, round trips."""

from __future__ import annotations

import numpy as np
import pytest
from framing_util import decode_iq, good_payloads, iq_bursts, soft_garbage

from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.framing import get_framing, ngham

OPTIONS = {"modulation": "fsk", "baud": 2400, "framing": "NGHam"}
NO_RS = {**OPTIONS, "framing": "NGHam no Reed Solomon"}


def _deframe(name: str, bits: np.ndarray) -> list:
    soft = (bits.astype(np.float32) * 2 - 1) * 5
    return get_framing(name).make_deframer({}, None).scan(soft, 0, True)


def _expect(payload: bytes, flags: int = 0) -> bytes:
    return bytes([ngham.header_byte(len(payload), flags)]) + payload


@pytest.mark.parametrize("n,size", [(1, 0), (28, 0), (29, 1), (124, 3), (220, 6)])
def test_sizes_layout_and_crc(n, size, rng):
    payload = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    enc = ngham.encode(payload, {"ngham_flags": 5}, 32)
    bits = enc.bits
    assert enc.start == 32 and np.packbits(bits[32:64]).tobytes().hex() == "5de62a7e"
    assert int.from_bytes(np.packbits(bits[64:88]).tobytes(), "big") == ngham.SIZE_TAGS[size]
    cw = ccsds_xor(np.packbits(bits[88 : 88 + 8 * ngham.codeword_size(size)]).tobytes())
    assert cw[0] == (ngham.PAYLOAD_SIZES[size] - n) | 0xA0 and cw[1 : 1 + n] == payload
    for name in ("ngham", "ngham_no_rs"):
        got = _deframe(name, bits)
        assert [r.payload for r in got] == [_expect(payload, 5)]
        assert got[0].fields["ngham_flags"] == 5


def test_rs_corrects_what_the_plain_crc_cannot(rng):
    payload = rng.integers(0, 256, 100, dtype=np.uint8).tobytes()  # size 3: 32 roots
    bits = ngham.encode(payload, {}, 32).bits.copy()
    bits[[33, 45, 50]] ^= 1  # sync errors
    bits[[64, 70, 75, 80, 86]] ^= 1  # size tag errors (the limit is 6)
    for byte in range(0, 160, 10):  # 16 byte errors
        bits[88 + 8 * byte + 1] ^= 1
    got = _deframe("ngham", 1 - bits)
    assert [r.payload for r in got] == [_expect(payload)]
    f = got[0].fields
    assert (f["rs_corrected"], f["size_tag_errors"], f["sync_errors"]) == (16, 5, 3)
    assert f["inverted"] is True
    assert _deframe("ngham_no_rs", 1 - bits) == []  # the CRC fails without RS
    bits[[65, 66]] ^= 1  # 7 tag errors: beyond the receiver's limit
    assert _deframe("ngham", bits) == []


def test_payload_limits():
    for bad in (b"", bytes(221)):
        with pytest.raises(ValueError, match="1..220"):
            ngham.encode(bad, {}, 8)
    with pytest.raises(Exception, match="ngham_flags"):
        get_framing("ngham").parse_options({"ngham_flags": 8})


# measured over 4x3 frames: RS all at 6 dB (11 at 5), without RS all at 9 dB (11 at 8)
@pytest.mark.parametrize("options,snr,cfo", [(OPTIONS, 6.0, 800.0), (NO_RS, 9.0, -1100.0)])
def test_synthetic_round_trip(options, snr, cfo, rng):
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (5, 70, 200)]
    for extra_db in (0.0, 10.0):
        frames = decode_iq(options, iq_bursts(options, payloads, snr + extra_db, cfo, rng))
        assert good_payloads(frames) == [_expect(p) for p in payloads], extra_db


@pytest.mark.parametrize("name", ["ngham", "ngham_no_rs"])
def test_noise_and_garbage_give_no_frame(name, rng):
    assert soft_garbage(name, rng) == []
    noise = (rng.standard_normal(300_000) + 1j * rng.standard_normal(300_000)).astype(np.complex64)
    assert good_payloads(decode_iq({**OPTIONS, "framing": name}, noise)) == []


def test_block_size_independent(rng):
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (40, 150)]
    y = iq_bursts(OPTIONS, payloads, 11.0, 300.0, rng)
    runs = [
        [(f.sample_index, f.payload) for f in decode_iq(OPTIONS, y, bs)]
        for bs in (1031, 65536, 10_000_000)
    ]
    assert [p for _, p in runs[0]] == [_expect(p) for p in payloads]
    assert runs[0] == runs[1] == runs[2]
