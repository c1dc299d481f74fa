"""SMOG-P / SMOG-1 repeat-accumulate code and framings."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.crc import CRC16_ARC
from sdrlink.coding.ra import RaCode, ra_code
from sdrlink.errors import ConfigError
from sdrlink.framing import get_framing


@pytest.mark.parametrize("k,n", [(64, 130), (128, 257)])
def test_code_structure(k, n, rng):
    code = RaCode(k)
    assert code.n == n
    for p, order in enumerate(code.seq.tolist()):
        assert sorted(order) == list(range(k)) and order[-1] == p  # each pass ends at word p
    a = rng.integers(0, 256, 2 * k, dtype=np.uint8).tobytes()
    b = rng.integers(0, 256, 2 * k, dtype=np.uint8).tobytes()
    xor = bytes(x ^ y for x, y in zip(a, b, strict=True))
    ca, cb = code.encode(a), code.encode(b)
    assert code.encode(xor) == bytes(x ^ y for x, y in zip(ca, cb, strict=True))  # linear
    # one data bit reaches code words in all four passes
    one = np.frombuffer(code.encode(b"\x01" + bytes(2 * k - 1)), "<u2")
    hit = np.flatnonzero(one)
    assert (hit < k).any() and (hit >= k + 2 * code.checks).any()


@pytest.mark.parametrize("k", [64, 128])
def test_soft_decoding(k, rng):
    code = ra_code(k)
    data = rng.integers(0, 256, 2 * k, dtype=np.uint8).tobytes()
    bits = np.unpackbits(np.frombuffer(code.encode(data), np.uint8)).astype(np.float32) * 2 - 1
    # sigma 0.8: about 10 % of the hard code bits wrong, all corrected
    noisy = bits + 0.8 * rng.standard_normal(len(bits)).astype(np.float32)
    got, errors = code.decode(noisy)
    assert got == data
    assert 0.08 < errors / len(bits) < 0.13
    # sigma 1.0 is past the code's threshold: decoding fails, and says so by the errors
    got, errors = code.decode(bits + 1.0 * rng.standard_normal(len(bits)).astype(np.float32))
    assert got != data and errors / len(bits) > 0.3


@pytest.mark.parametrize("size", [128, 256])
@pytest.mark.parametrize("flip", [1, -1])
def test_smogp_deframer(size, flip, rng):
    payload = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    enc = encode_bits("smogp_ra", payload, {"frame_size": size})
    soft = soft_of(enc.bits, rng, sigma=0.7)  # about 8 % of the code bits wrong
    sync = slice(500 + enc.start, 500 + enc.start + 16)
    soft[sync] = 2.0 * enc.bits[enc.start : enc.start + 16] - 1
    soft[sync.start + 5] *= -1  # one sync word error, the most allowed
    frames = deframe("smogp_ra", flip * soft, block=1000, options={"frame_size": size})
    assert [f.payload for f in frames] == [payload]
    f = frames[0]
    assert f.crc_ok is None and f.fields["inverted"] is (flip < 0) and f.fields["sync_errors"] == 1


def test_smog1_crc_and_sync(rng):
    payload = rng.integers(0, 256, 126, dtype=np.uint8).tobytes()
    enc = encode_bits("SMOG-1 RA", payload, {"frame_size": 128})
    soft = soft_of(enc.bits, rng, sigma=0.6)
    sync = slice(500 + enc.start, 500 + enc.start + 48)
    soft[sync] = 2.0 * enc.bits[enc.start : enc.start + 48] - 1
    soft[500 + enc.start + np.array([1, 9, 20, 33])] *= -1  # 4 sync word errors (6 allowed)
    frames = deframe("smog1_ra", soft, options={"frame_size": 128})
    assert [f.payload for f in frames] == [payload + CRC16_ARC.to_bytes(payload, "little")]
    assert frames[0].crc_ok is True and frames[0].fields["sync_errors"] == 4
    # the SMOG-P sync word starts the SMOG-1 one, but SMOG-P decoding needs the 0x2DD4 frame
    assert deframe("smogp_ra", soft, options={"frame_size": 128}) == []


def test_options_and_limits():
    fr = get_framing("SMOG-P RA")
    assert fr.parse_options({"frame_size": "128"}) == {"frame_size": 128}
    with pytest.raises(Exception, match="128 or 256"):
        fr.parse_options({"frame_size": 200})
    with pytest.raises(ConfigError):
        encode_bits("smogp_ra", bytes(100), {"frame_size": 128})
    with pytest.raises(ConfigError):
        encode_bits("smog1_ra", bytes(128), {"frame_size": 128})


@pytest.mark.parametrize("baud,snr", [(1250, 5), (5000, 4)])
def test_fsk_roundtrip(baud, snr, rng):
    opts = {"modulation": "fsk", "baud": baud, "framing": "SMOG-P RA", "frame_size": 128}
    payloads = [rng.integers(0, 256, 128, dtype=np.uint8).tobytes() for _ in range(2)]
    frames = receive(opts, iq_bursts(opts, payloads, snr, 500, rng), FS)
    assert [f.payload for f in frames] == payloads


def test_noise_gives_no_frame(rng):
    opts = {"modulation": "fsk", "baud": 5000, "framing": "SMOG-P RA", "frame_size": 128}
    assert receive(opts, noise_iq(rng), FS) == []
    for name in ("smogp_ra", "smog1_ra"):
        noise = rng.standard_normal(400_000).astype(np.float32)
        assert deframe(name, noise, block=50_000, options={"frame_size": 128}) == []
