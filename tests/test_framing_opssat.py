"""OPS-SAT framing: RS codewords in AX.25 UI frames over G3RUH FSK."""

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
from sdrlink.framing import get_framing

OPTS = {"modulation": "fsk", "baud": 9600, "framing": "OPS-SAT"}


def test_alias_and_payload_limits():
    fr = get_framing("OPS-SAT")
    assert fr.name == "ops_sat" and fr.max_payload == 223
    with pytest.raises(ConfigError):
        encode_bits("ops_sat", b"x" * 224)


def test_rs_corrects_what_the_fcs_rejects(rng):
    payload = rng.integers(0, 256, 100, dtype=np.uint8).tobytes()
    enc = encode_bits("ops_sat", payload)
    recovered = 0
    for k in range(10):
        # one channel bit error in the RS block: G3RUH and NRZI spread it over 6
        # bits (<= 4 bytes), which breaks the FCS; unless it upsets the bit stuffing,
        # RS fixes it
        soft = soft_of(enc.bits, rng)
        soft[500 + enc.start + 8 + 16 * 8 + 40 + 7 * k] *= -1
        frames = deframe("ops_sat", soft)
        assert all(f.payload == payload and f.crc_ok for f in frames)
        if frames:
            recovered += 1
            f = frames[0]
            assert f.fields["fcs_ok"] is False and 1 <= f.fields["rs_corrected"] <= 4
            assert f.fields["addresses"] == "DL0ESA<-DP0OPS"
    assert recovered >= 8


def test_a_frame_read_a_byte_long_is_not_valid(rng):
    """Found by benchmarks/fuzz.py: a frame the flags delimit one byte too long still
    RS-decodes (x*c(x) + b is one error away from a codeword) into the payload plus a
    parity byte; its FCS fails as received and as corrected, so it is no frame."""
    from sdrlink.coding.linecode import nrzi_encode
    from sdrlink.coding.reedsolomon import rs_encode
    from sdrlink.coding.scramblers import ccsds_xor, g3ruh_scramble
    from sdrlink.framing import ax25, opssat

    payload = rng.integers(0, 256, 60, dtype=np.uint8).tobytes()
    good = ax25.ui_frame(opssat.DST, opssat.SRC, ccsds_xor(payload + rs_encode(payload)))
    fcs = ax25.crc16_x25(good)
    for extra in (0x00, 0x5A, 0xFF):  # a byte between the codeword and the FCS
        raw = good + bytes([extra, fcs & 0xFF, fcs >> 8])
        flags = np.tile(ax25.FLAG_BITS, 8)
        bits = np.concatenate([flags, ax25.bit_stuff(ax25.bytes_to_bits(raw)), flags])
        soft = soft_of(g3ruh_scramble(nrzi_encode(bits)), rng)
        assert not [f for f in deframe("ops_sat", soft) if f.crc_ok], extra


@pytest.mark.parametrize("snr,cfo", [(10, 0), (12, -2500), (16, 4000)])
def test_iq_roundtrip(snr, cfo, rng):
    payloads = [bytes([k]) * (20 + 60 * k) for k in range(3)]
    x = iq_bursts(OPTS, payloads, snr, cfo, rng)
    frames = receive(OPTS, x, FS)
    assert [f.payload for f in frames] == payloads
    assert all(f.crc_ok and f.fields["framing"] == "ops_sat" for f in frames)


def test_block_size_independent(rng):
    payloads = [bytes(range(40)), bytes(range(100, 200))]
    x = iq_bursts(OPTS, payloads, 11, 1000, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (999, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    garbage = rng.standard_normal(200_000).astype(np.float32)
    assert deframe("ops_sat", garbage) == []


@pytest.mark.shared
def test_recording(shared_recordings):
    meta, path = recording(shared_recordings, "ops_sat")
    fs, x = wav_audio(path)
    frames = receive(OPTS, x, fs)
    assert expected_frames(meta) <= {f.payload for f in frames}
    assert all(f.crc_ok for f in frames)
