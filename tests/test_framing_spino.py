"""SPINO framing (INSPIRE-SAT 7's SPINO payload): 240-byte frames, length field, CRC-16."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.crc import CRC16_XMODEM
from sdrlink.errors import ConfigError
from sdrlink.framing.spino import spino_frame

HEAD = b"F4KLD 0F4KLD 1\x00\x01"


def _frame(rng, n: int = 60) -> bytes:
    return spino_frame(HEAD, rng.integers(0, 256, n, dtype=np.uint8).tobytes())


def test_layout(rng):
    frame = _frame(rng, 50)
    assert int.from_bytes(frame[16:18], "little") == len(frame) - 14
    enc = encode_bits("SPINO", frame)
    body = np.packbits(enc.bits[enc.start : enc.start + 32 + 8 * 240]).tobytes()
    assert body[:4] == bytes.fromhex("2EFC9827")
    n = len(frame)
    assert body[4 : 4 + n] == frame
    assert body[4 + n : 6 + n] == CRC16_XMODEM.to_bytes(frame, "little")
    assert body[6 + n :] == bytes(240 - n - 2)
    assert len(enc.bits) == enc.start + 32 + 8 * 240 + 16


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_both_polarities(flip, rng):
    frames = [_frame(rng, 10), _frame(rng, 220)]  # the shortest field and nearly the longest
    encs = [encode_bits("SPINO", f) for f in frames]
    soft = np.concatenate([soft_of(e.bits, rng, sigma=0.25) for e in encs])
    got = deframe("spino", flip * soft, block=401)
    assert [g.payload for g in got] == frames
    assert all(g.crc_ok is True and g.fields["inverted"] is (flip < 0) for g in got)
    assert got[0].start == 500 + encs[0].start
    assert got[0].stop == got[0].start + 32 + 8 * (len(frames[0]) + 2)


def test_checks(rng):
    frame = _frame(rng)
    enc = encode_bits("SPINO", frame)
    soft = soft_of(enc.bits, rng)
    bad = soft.copy()
    bad[500 + enc.start + 32 + 8 * 30 + 1] *= -1  # a data bit: the CRC fails
    assert deframe("spino", bad) == []
    bad = soft.copy()
    bad[500 + enc.start + 4] *= -1  # a sync word error: gr-satellites allows none
    assert deframe("spino", bad) == []
    bad = soft.copy()
    bad[500 + enc.start + 32 + 8 * 17 + np.arange(8)] = 1.0  # length 255*256+: too long
    assert deframe("spino", bad) == []
    for wrong in (frame[:17], frame + b"x", bytes(239)):
        with pytest.raises(ConfigError):
            encode_bits("SPINO", wrong)


# benchmarks/framing_sensitivity.py, 10x3 frames of 120 bytes: 90 % at 8.2 dB (2k4), 7.8 (9k6)
@pytest.mark.parametrize("baud", [2400, 9600])
@pytest.mark.parametrize("snr", [9.0, 11.0])
def test_fsk_roundtrip(baud, snr, rng):
    opts = {"modulation": "fsk", "baud": baud, "framing": "SPINO"}
    frames = [_frame(rng, 100) for _ in range(3)]
    got = receive(opts, iq_bursts(opts, frames, snr, 1100, rng), FS, block=8191)
    assert [f.payload for f in got] == frames


def test_block_size_and_noise(rng):
    opts = {"modulation": "fsk", "baud": 9600, "framing": "SPINO"}
    x = iq_bursts(opts, [_frame(rng), _frame(rng, 150)], 12, -300, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(opts, x, FS, bs)] for bs in (777, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]
    assert receive(opts, noise_iq(rng), FS) == []
    assert deframe("spino", rng.standard_normal(400_000).astype(np.float32)) == []
    junk = np.sign(rng.standard_normal(400_000)).astype(np.float32) * 1e3
    assert deframe("spino", junk, block=9999) == []
