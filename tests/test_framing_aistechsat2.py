"""AISTECHSAT-2 framing: CCSDS marker, randomiser, header, RS(115,83)."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.errors import ConfigError

OPTS = {"modulation": "fsk", "baud": 4800, "framing": "AISTECHSAT-2"}


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_with_errors(flip, rng):
    payload = rng.integers(0, 256, 83, dtype=np.uint8).tobytes()
    enc = encode_bits("aistechsat2", payload)
    soft = flip * soft_of(enc.bits, rng)
    soft[500 + enc.start + 3] *= -1  # a marker bit
    first = 500 + enc.start + 32 + 8 * 10
    for k in range(10):
        soft[first + 8 * 11 * k + k % 8] *= -1  # ten bytes of the codeword
    frames = deframe("aistechsat2", soft, block=123)
    assert [f.payload for f in frames] == [payload]
    f = frames[0]
    assert f.fields["rs_corrected"] == 10 and f.fields["sync_errors"] == 1
    assert f.fields["header"] == "00" * 10 and f.fields["inverted"] is (flip < 0)


def test_uncorrectable_gives_nothing(rng):
    enc = encode_bits("aistechsat2", bytes(83))
    soft = soft_of(enc.bits, rng)
    first = 500 + enc.start + 32 + 8 * 10
    soft[first : first + 8 * 17 : 8] *= -1  # 17 byte errors
    assert deframe("aistechsat2", soft) == []
    with pytest.raises(ConfigError):
        encode_bits("aistechsat2", bytes(82))


@pytest.mark.parametrize("snr,cfo", [(5, 0), (6, 1500)])
def test_fsk_roundtrip(snr, cfo, rng):
    payloads = [rng.integers(0, 256, 83, dtype=np.uint8).tobytes() for _ in range(2)]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    assert [f.payload for f in frames] == payloads


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("aistechsat2", rng.standard_normal(300_000).astype(np.float32)) == []
