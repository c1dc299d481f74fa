"""NuSat framing: sync word, RS(64,60), CRC-8, XOR sequence (40 kBd FSK)."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.errors import ConfigError
from sdrlink.framing import nusat

OPTS = {"modulation": "fsk", "baud": 40000, "framing": "NuSat"}


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_corrects_two_bytes(flip, rng):
    payload = rng.integers(0, 256, 50, dtype=np.uint8).tobytes()
    enc = encode_bits("nusat", payload)
    soft = flip * soft_of(enc.bits, rng)
    first = 500 + enc.start + 32
    soft[first + 8 * 5 + 1] *= -1
    soft[first + 8 * 40 + 6] *= -1
    frames = deframe("nusat", soft, block=99)
    assert [f.payload for f in frames] == [payload]
    assert frames[0].fields["rs_corrected"] == 2 and frames[0].fields["inverted"] is (flip < 0)


def test_packet_is_scrambled_and_checked(rng):
    enc = encode_bits("nusat", bytes(20))
    block = np.packbits(enc.bits[enc.start + 32 : enc.start + 32 + 8 * 64]).tobytes()
    assert block[0] == 20 and block[2:60] == nusat.SEQUENCE[:58]
    soft = soft_of(enc.bits, rng)
    first = 500 + enc.start + 32
    soft[first + 8 * 3 : first + 8 * 6 : 8] *= -1  # three byte errors: beyond RS(64,60)
    assert deframe("nusat", soft) == []
    with pytest.raises(ConfigError):
        encode_bits("nusat", bytes(59))


@pytest.mark.parametrize("snr,cfo", [(7, 0), (8, 5000)])
def test_fsk_roundtrip(snr, cfo, rng):
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (10, 58)]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    assert [f.payload for f in frames] == payloads


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("nusat", rng.standard_normal(300_000).astype(np.float32)) == []
