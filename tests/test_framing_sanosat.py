"""SanoSat-1 framing: sync 0xB42B, length byte, delimiter, CRC-16/CCITT-FALSE."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.crc import CRC16_CCITT_FALSE
from sdrlink.errors import ConfigError

OPTS = {"modulation": "fsk", "baud": 500, "framing": "SanoSat"}


def _data(rng, n: int = 40) -> bytes:
    return b"AM9NPQ," + rng.integers(0, 256, n - 7, dtype=np.uint8).tobytes()


def test_layout(rng):
    data = _data(rng, 30)
    enc = encode_bits("SanoSat", data)
    air = np.packbits(enc.bits[enc.start : enc.start + 16 + 8 * 39]).tobytes()
    assert air[:2] == b"\xb4\x2b" and air[2] == 34  # CRC1 + data + CRC2
    assert air[5:9] == b"\xff\xff\x00\x00" and air[9:39] == data
    assert air[3:5] == CRC16_CCITT_FALSE.to_bytes(b"\x22", "little")
    assert air[39:] == CRC16_CCITT_FALSE.to_bytes(b"\x22\xff\xff\x00\x00" + data, "little")


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_both_polarities(flip, rng):
    frames = [_data(rng, 8), _data(rng, 126)]
    encs = [encode_bits("SanoSat", f) for f in frames]
    soft = np.concatenate([soft_of(e.bits, rng, sigma=0.25) for e in encs])
    got = deframe("sanosat", flip * soft, block=97)
    assert [g.payload for g in got] == frames
    assert all(g.crc_ok and g.fields["header_crc_ok"] for g in got)
    assert all(g.fields["inverted"] is (flip < 0) for g in got)


def test_crc1_is_reported_not_required(rng):
    data = _data(rng)
    enc = encode_bits("SanoSat", data)
    soft = soft_of(enc.bits, rng)
    soft[500 + enc.start + 16 + 8 + 3] *= -1  # a CRC1 bit: outside CRC2
    got = deframe("sanosat", soft)
    assert [g.payload for g in got] == [data] and got[0].fields["header_crc_ok"] is False
    soft[500 + enc.start + 16 + 8 * 20] *= -1  # a data bit: CRC2 fails
    assert deframe("sanosat", soft) == []
    with pytest.raises(ConfigError):
        encode_bits("SanoSat", bytes(127))


# benchmarks/framing_sensitivity.py, 10x3 frames of 40 bytes: 90 % at about 8.2 dB
@pytest.mark.parametrize("snr", [9.0, 11.0])
def test_fsk_roundtrip(snr, rng):
    frames = [_data(rng) for _ in range(3)]
    got = receive(OPTS, iq_bursts(OPTS, frames, snr, 700, rng), FS, block=20_011)
    assert [f.payload for f in got] == frames


def test_block_size_and_noise(rng):
    x = iq_bursts(OPTS, [_data(rng), _data(rng, 90)], 12, -500, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (4097, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]
    assert receive(OPTS, noise_iq(rng, 2_000_000), FS) == []
    assert deframe("sanosat", rng.standard_normal(400_000).astype(np.float32)) == []
    junk = np.sign(rng.standard_normal(400_000)).astype(np.float32) * 1e3
    assert deframe("sanosat", junk, block=9999) == []
