"""ESEO framing: line coding inside, Reed-Solomon outside, 0x7E7E markers."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.errors import ConfigError
from sdrlink.framing import eseo

OPTS = {"modulation": "fsk", "baud": 9600, "framing": "ESEO"}


def test_line_coding_roundtrip_and_stuffing(rng):
    frame = bytes([0xFF] * 20) + rng.integers(0, 256, 50, dtype=np.uint8).tobytes()
    coded = eseo.line_encode(frame)
    assert b"\x7e" not in coded  # stuffing keeps six 1s out
    assert eseo.line_decode(coded)[:-2] == frame


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_with_byte_errors(flip, rng):
    payload = rng.integers(0, 256, 100, dtype=np.uint8).tobytes()
    enc = encode_bits("eseo", payload)
    soft = flip * soft_of(enc.bits, rng)
    first = 500 + enc.start + 16
    for k in range(6):
        soft[first + 8 * (17 * k + 3) + 2] *= -1
    frames = deframe("eseo", soft, block=200)
    assert [f.payload for f in frames] == [payload]
    assert frames[0].fields["rs_corrected"] == 6 and frames[0].start == 500 + enc.start


def test_marker_inside_the_parity_is_skipped(rng):
    # find a frame whose RS parity contains 0x7E7E: the deframer must look past it
    for n in range(2000):
        payload = n.to_bytes(2, "big") + b"ESEO parity marker test"
        coded = eseo.line_encode(payload)
        if eseo.MARKER in eseo.RS.encode(coded):
            break
    else:
        pytest.skip("no such frame among the first 2000")
    frames = deframe("eseo", soft_of(encode_bits("eseo", payload).bits, rng))
    assert [f.payload for f in frames] == [payload]


def test_marker_before_the_parity_length_is_skipped(rng):
    # a short frame whose parity reads 0x7E7E within the first 16 bytes of the codeword: the
    # deframer stopped looking there and lost the frame (found by the fuzz run)
    for n in range(20000):
        payload = n.to_bytes(2, "big")
        coded = eseo.line_encode(payload)
        at = (coded + eseo.RS.encode(coded)).find(eseo.MARKER)
        if 0 <= at <= eseo.RS.nroots:
            break
    else:
        pytest.skip("no such frame among the first 20000")
    for flip in (1, -1):
        frames = deframe("eseo", flip * soft_of(encode_bits("eseo", payload).bits, rng))
        assert [f.payload for f in frames] == [payload]


def test_too_many_errors_or_bad_crc(rng):
    payload = b"ESEO frame"
    enc = encode_bits("eseo", payload)
    soft = soft_of(enc.bits, rng)
    first = 500 + enc.start + 16
    soft[first : first + 8 * 9 : 8] *= -1  # 9 byte errors: beyond RS
    assert deframe("eseo", soft) == []
    with pytest.raises(ConfigError):
        encode_bits("eseo", bytes(181))


@pytest.mark.parametrize("snr,cfo", [(7, 0), (8, 2500)])
def test_fsk_roundtrip(snr, cfo, rng):
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (20, 120)]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    assert [f.payload for f in frames] == payloads


def test_block_size_independent(rng):
    payloads = [bytes(range(30)), bytes(range(40, 140))]
    x = iq_bursts(OPTS, payloads, 10, -900, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (999, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("eseo", rng.standard_normal(300_000).astype(np.float32)) == []
