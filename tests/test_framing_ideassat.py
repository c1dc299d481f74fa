"""IDEASSat framing: UART-coded sub-packets, NRZI, CRC-16/CCITT-FALSE."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import (
    FS,
    deframe,
    encode_bits,
    expected_frames,
    iq_bursts,
    noise_iq,
    receive,
    recording,
    soft_of,
    wav_audio,
)

from sdrlink.errors import ConfigError
from sdrlink.framing import ideassat

OPTS = {"modulation": "fsk", "baud": 9600, "framing": "IDEASSat"}
HEADER = b"BN0CU 0BN0IDA0\xf0"


def frame(rng) -> bytes:
    return HEADER + rng.integers(0, 256, 185, dtype=np.uint8).tobytes()


def test_crc_check_value_and_sizes():
    assert ideassat.crc16_ccitt_false(b"123456789") == 0x29B1
    with pytest.raises(ConfigError):
        encode_bits("ideassat", b"x" * 199)
    with pytest.raises(ConfigError, match="sync word"):
        encode_bits("ideassat", b"x" * 200)


@pytest.mark.parametrize("invert", [False, True])
def test_deframer_either_polarity(invert, rng):
    payload = frame(rng)
    enc = encode_bits("ideassat", payload)
    soft = soft_of(enc.bits, rng) * (-1 if invert else 1)
    frames = deframe("ideassat", soft, block=777)
    assert [f.payload for f in frames] == [payload]
    assert frames[0].start == 500 + enc.start
    assert frames[0].fields["uart_errors"] == 0 and frames[0].fields["header_votes"] == 8


def test_header_majority_and_crc(rng):
    payload = frame(rng)
    enc = encode_bits("ideassat", payload)
    base = 500 + enc.start - 10 * ideassat.SYNC_AT
    soft = soft_of(enc.bits, rng)
    # a bit error in the header of sub-packet 3 (outside the CRC): outvoted
    soft[base + 10 * (3 * 40 + 5) + 4 : base + 10 * (3 * 40 + 5) + 6] *= -1
    frames = deframe("ideassat", soft)
    assert [f.payload for f in frames] == [payload] and frames[0].fields["header_votes"] == 7
    # one in the data of sub-packet 5: the CRC rejects the frame
    soft[base + 10 * (5 * 40 + 20) + 4 : base + 10 * (5 * 40 + 20) + 6] *= -1
    assert deframe("ideassat", soft) == []


@pytest.mark.parametrize("snr,cfo", [(10, 0), (12, -3000)])
def test_iq_roundtrip(snr, cfo, rng):
    payloads = [frame(rng) for _ in range(3)]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    assert [f.payload for f in frames] == payloads
    assert all(f.crc_ok for f in frames)


def test_block_size_independent(rng):
    payloads = [frame(rng) for _ in range(2)]
    x = iq_bursts(OPTS, payloads, 13, 500, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (999, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("ideassat", rng.standard_normal(200_000).astype(np.float32)) == []


@pytest.mark.shared
def test_recording(shared_recordings):
    meta, path = recording(shared_recordings, "ideassat")
    fs, x = wav_audio(path)
    frames = receive(OPTS, x, fs)
    assert expected_frames(meta) <= {f.payload for f in frames}
    assert all(f.crc_ok for f in frames)
