"""LilacSat-1 framing: convolutional code, NRZ-M, CCSDS marker, data and Codec2 chunks."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import (
    bpsk_bursts,
    deframe,
    encode_bits,
    expected_frames,
    receive,
    recording,
    soft_of,
    wav_audio,
)

from sdrlink.errors import ConfigError
from sdrlink.framing import lilacsat

OPTS = {"modulation": "bpsk", "baud": 9600, "framing": "LilacSat-1"}
FS_BPSK = 96_000.0


def test_chunk_layout(rng):
    data = rng.integers(0, 256, 81, dtype=np.uint8).tobytes()
    voice = rng.integers(0, 256, 35, dtype=np.uint8).tobytes()
    packet = lilacsat.join(data, voice)
    assert len(packet) == 116 and lilacsat.split(packet) == (data, voice)
    # chunk 0: 13 data bytes after the marker, then 7 voice bytes; chunk 1 starts at 20
    assert packet[:13] == data[:13] and packet[13:20] == voice[:7] and packet[20] == data[13]


@pytest.mark.parametrize("flip,shift", [(1, 0), (-1, 1)])
def test_deframer_with_channel_noise(flip, shift, rng):
    payload = rng.integers(0, 256, 81, dtype=np.uint8).tobytes()
    enc = encode_bits("lilacsat1", payload)
    # sigma 0.7: about 8 % of the hard symbols wrong, which soft Viterbi corrects
    soft = flip * soft_of(enc.bits, rng, sigma=0.7, pad=500 + shift)
    frames = deframe("lilacsat1", soft, block=1111)
    assert [f.payload for f in frames] == [payload]
    f = frames[0]
    assert f.crc_ok is None and f.fields["codec2"] == "00" * 35
    assert 80 <= f.fields["viterbi_errors"] <= 250
    assert f.start == 500 + shift + enc.start and f.fields["alignment"] == (shift % 2)


def test_agreement_gate_rejects_a_forced_marker(rng):
    # random symbols around a correctly coded marker only: the Viterbi decoder finds the
    # marker but its output does not explain the rest of the symbols
    enc = encode_bits("lilacsat1", bytes(81))
    soft = soft_of(enc.bits, rng)
    soft[500 + enc.start + 2 * 40 : 500 + enc.start + 2 * 1000] = rng.standard_normal(1920)
    assert deframe("lilacsat1", soft) == []


@pytest.mark.parametrize("ebn0,cfo", [(2, 0), (3, 2500)])
def test_bpsk_roundtrip(ebn0, cfo, rng):
    payloads = [rng.integers(0, 256, 81, dtype=np.uint8).tobytes() for _ in range(3)]
    x = bpsk_bursts(OPTS, payloads, ebn0, cfo, rng, FS_BPSK)
    frames = receive(OPTS, x, FS_BPSK, protocol="bpsk")
    assert [f.payload for f in frames] == payloads


def test_block_size_independent(rng):
    payloads = [bytes(range(81)), bytes(range(100, 181))]
    x = bpsk_bursts(OPTS, payloads, 7, 800, rng, FS_BPSK)
    runs = [
        [(f.sample_index, f.payload) for f in receive(OPTS, x, FS_BPSK, bs, protocol="bpsk")]
        for bs in (999, 65536)
    ]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


def test_noise_gives_no_frame(rng):
    noise = (rng.standard_normal(500_000) + 1j * rng.standard_normal(500_000)).astype(np.complex64)
    assert receive(OPTS, noise, FS_BPSK, protocol="bpsk") == []
    assert deframe("lilacsat1", rng.standard_normal(400_000).astype(np.float32)) == []


def test_encoder_size():
    with pytest.raises(ConfigError):
        encode_bits("lilacsat1", bytes(80))


@pytest.mark.shared
def test_recording(shared_recordings):
    meta, path = recording(shared_recordings, "by02")
    fs, x = wav_audio(path)
    frames = receive(OPTS, x, fs, protocol="bpsk")
    assert expected_frames(meta) <= {f.payload for f in frames}
    assert all(f.crc_ok is None for f in frames)


@pytest.mark.shared
def test_recording_block_size_independent(shared_recordings):
    _, path = recording(shared_recordings, "by02")
    fs, x = wav_audio(path)
    runs = [
        [(f.sample_index, f.payload) for f in receive(OPTS, x, fs, bs, protocol="bpsk")]
        for bs in (3000, 1 << 20)
    ]
    assert len(runs[0]) >= 6 and runs[0] == runs[1]
