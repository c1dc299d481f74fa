"""AAUSAT-4 framing: own encoder + FSK modem + noise, noise rejection, the recording."""

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

from sdrlink.framing import aausat4, get_framing

OPTIONS = {"modulation": "fsk", "baud": 2400, "framing": "AAUSAT-4"}


def _deframe(bits: np.ndarray, scale: float = 1.0) -> list:
    soft = (bits.astype(np.float32) * 2 - 1) * scale
    return get_framing("aausat4").make_deframer({}, None).scan(soft, 0, True)


def _block(rng, n: int) -> bytes:
    csp = rng.integers(0, 256, n - 2, dtype=np.uint8).tobytes()
    return (n - 6).to_bytes(2, "big") + csp


@pytest.mark.parametrize("n", [31, 92])
def test_encoder_layout_and_errors(n, rng):
    data = _block(rng, n)
    enc = aausat4.encode(data, {}, 64)
    assert enc.start == 64
    bits = enc.bits
    assert np.packbits(bits[64:112]).tobytes() == b"OZ4CUB"
    assert np.packbits(bits[112:120])[0] == (0x59 if n == 92 else 0xA6)
    coded = 1996 if n == 92 else 1020
    assert len(bits) == 120 + coded + 4 + 16  # padding to whole bytes, postamble
    noisy = bits.copy()
    noisy[[70, 80, 90]] ^= 1  # sync word errors
    noisy[[112, 114, 116, 118]] ^= 1  # the marker exactly between long and short
    flips = 120 + np.arange(0, coded, 19)  # scattered channel errors
    noisy[flips] ^= 1
    got = _deframe(1 - noisy)
    assert [r.payload for r in got] == [data]
    f = got[0].fields
    assert f["long"] is (n == 92) and f["fsm_errors"] == 4 and f["inverted"] is True
    assert f["viterbi_errors"] == len(flips) and f["rs_corrected"] == 0
    assert f["sync_errors"] == 3 and f["csp_length"] == n - 6


def test_short_payload_is_padded_and_limits():
    enc = aausat4.encode(b"\x00\x03abcdefg", {}, 8)
    assert [r.payload for r in _deframe(enc.bits)] == [b"\x00\x03abcdefg".ljust(31, b"\x00")]
    with pytest.raises(ValueError, match="92"):
        aausat4.encode(bytes(93), {}, 8)


# measured over 4x3 frames: all decode at 3 dB (2400 Bd) and 2 dB (9600 Bd), few at 1 dB
@pytest.mark.parametrize("baud,snr,cfo", [(2400, 3.5, 900.0), (9600, 3.0, -2000.0)])
def test_synthetic_round_trip(baud, snr, cfo, rng):
    options = {**OPTIONS, "baud": baud}
    payloads = [_block(rng, 31), _block(rng, 92), _block(rng, 92)]
    for extra_db in (0.0, 10.0):
        frames = decode_iq(options, iq_bursts(options, payloads, snr + extra_db, cfo, rng))
        assert good_payloads(frames) == payloads, extra_db
        assert all(f.crc_ok is True for f in frames)


def test_noise_and_garbage_give_no_frame(rng):
    assert soft_garbage("aausat4", rng) == []
    noise = (rng.standard_normal(300_000) + 1j * rng.standard_normal(300_000)).astype(np.complex64)
    assert good_payloads(decode_iq(OPTIONS, noise)) == []


def test_block_size_independent(rng):
    payloads = [_block(rng, 92), _block(rng, 31)]
    y = iq_bursts(OPTIONS, payloads, 9.0, 500.0, rng)
    runs = [
        [(f.sample_index, f.payload) for f in decode_iq(OPTIONS, y, bs)]
        for bs in (997, 65536, 10_000_000)
    ]
    assert [p for _, p in runs[0]] == payloads
    assert runs[0] == runs[1] == runs[2]


@pytest.mark.shared
def test_recording(shared_recordings):
    frames = decode_recording(shared_recordings / "aausat_4.wav", OPTIONS)
    assert all(f.crc_ok is True for f in frames)
    assert expected_frames(shared_recordings, "aausat_4") <= {f.payload for f in frames}
    assert frames[0].fields["long"] is True
