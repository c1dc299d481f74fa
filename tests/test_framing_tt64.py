"""TT-64 framing: sync 0x2DD4, RS(64,48), CRC-16/ARC."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.errors import ConfigError
from sdrlink.framing import tt64

OPTS = {"modulation": "fsk", "baud": 9600, "framing": "TT-64"}


def test_rs_code_parameters(rng):
    data = rng.integers(0, 256, 48, dtype=np.uint8).tobytes()
    cw = bytearray(data + tt64.RS.encode(data))
    for p in range(0, 64, 8):  # 8 byte errors: the code's capacity
        cw[p] ^= 0xA5
    assert tt64.RS.decode(bytes(cw)) == (data, 8)


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_corrects_byte_errors(flip, rng):
    payload = rng.integers(0, 256, 46, dtype=np.uint8).tobytes()
    enc = encode_bits("tt64", payload)
    soft = flip * soft_of(enc.bits, rng)
    first = 500 + enc.start + 16
    for k in range(5):
        soft[first + 8 * (11 * k) + k] *= -1  # one bit in 5 different bytes
    frames = deframe("tt64", soft, block=100)
    assert [f.payload for f in frames] == [payload]
    assert frames[0].fields["rs_corrected"] == 5 and frames[0].fields["inverted"] is (flip < 0)


def test_crc_guards_a_miscorrection(rng):
    # a valid RS codeword whose data fail the CRC: not a frame
    data = rng.integers(0, 256, 48, dtype=np.uint8).tobytes()
    bits = np.concatenate(
        [tt64.SYNC, np.unpackbits(np.frombuffer(data + tt64.RS.encode(data), np.uint8))]
    )
    assert deframe("tt64", soft_of(bits, rng)) == []
    with pytest.raises(ConfigError):
        encode_bits("tt64", bytes(45))


@pytest.mark.parametrize("snr,cfo", [(6, 0), (7, 3000)])
def test_fsk_roundtrip(snr, cfo, rng):
    payloads = [rng.integers(0, 256, 46, dtype=np.uint8).tobytes() for _ in range(3)]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    assert [f.payload for f in frames] == payloads


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("tt64", rng.standard_normal(300_000).astype(np.float32)) == []
