"""Swiatowid image framing: packets of RS(58,48) blocks with a CRC-16."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import (
    FS,
    deframe,
    encode_bits,
    expected_frames,
    iq_of_bits,
    noise_iq,
    receive,
    recording,
    soft_of,
    wav_audio,
)

from sdrlink.errors import ConfigError
from sdrlink.framing import swiatowid

OPTS = {"modulation": "fsk", "baud": 9600, "framing": "Swiatowid"}


def blocks_of(data: bytes) -> list[bytes]:
    return [data[j : j + 48] for j in range(0, len(data), 48)]


def test_rs_code_corrects_five_bytes(rng):
    data = rng.integers(0, 256, 48, dtype=np.uint8).tobytes()
    cw = bytearray(data + swiatowid.RS.encode(data))
    assert len(cw) == 58
    for p in (0, 11, 23, 40, 57):
        cw[p] ^= 0x5A
    assert swiatowid.RS.decode(bytes(cw)) == (data, 5)
    cw[30] ^= 1
    res = swiatowid.RS.decode(bytes(cw))
    assert res is None or res[0] != data


def test_packet_roundtrip_with_errors_and_crc(rng):
    data = rng.integers(0, 256, 200, dtype=np.uint8).tobytes()  # 4 full blocks + 8 bytes
    enc = swiatowid.encode_packet(data)
    soft = soft_of(enc.bits, rng)
    first = 500 + enc.start + 32 + 16
    soft[first + 8 * 70 + 3] *= -1  # a byte error in block 1
    frames = deframe("swiatowid", soft, block=1000)
    assert [f.payload for f in frames] == blocks_of(data)
    assert [f.fields["block"] for f in frames] == list(range(5))
    assert [f.fields["rs_corrected"] for f in frames] == [0, 1, 0, 0, 0]
    assert frames[-1].fields["packet_crc_ok"] is True
    # each block's frame starts at the block, and knows where its packet began
    sizes = [58] * 4 + [len(data) - 4 * 48 + 10]
    starts = [first + 8 * sum(sizes[:k]) for k in range(5)]
    assert [f.start for f in frames] == starts
    assert all(f.start + f.fields["packet_start"] == 500 + enc.start for f in frames)
    # too many errors in block 2: that block is lost, the rest decode, no CRC verdict
    soft[first + 8 * 120 : first + 8 * 130] *= -1
    frames = deframe("swiatowid", soft)
    assert [f.fields["block"] for f in frames] == [0, 1, 3, 4]
    assert "packet_crc_ok" not in frames[-1].fields


def test_a_corrupted_length_field_gives_no_valid_false_block(rng):
    """Found by benchmarks/fuzz.py: the length field one too high made the shortened
    last block a byte longer, which RS "corrected" (x*c(x) + b is one error away from
    a codeword) into a valid frame with an extra byte. The packet CRC must confirm the
    last block; the full blocks before it sit where they are whatever the length says."""
    # one too high, and (also found by the fuzz run) so high that the short last
    # block is read as a full one: it must not count as valid either
    for n, more in ((47, 1), (100, 1), (47, 256), (100, 256)):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        enc = swiatowid.encode_packet(data)
        bits = enc.bits.copy()
        lf = enc.start + 32  # the length field after the sync word, LSB first
        length = int(np.packbits(bits[lf : lf + 16], bitorder="little").view("<u2")[0])
        new = np.array([length + more], "<u2").view(np.uint8)
        bits[lf : lf + 16] = np.unpackbits(new, bitorder="little")
        frames = deframe("swiatowid", soft_of(bits, rng))
        good = [f.payload for f in frames if f.crc_ok]
        assert all(p in blocks_of(data) for p in good), n
        assert len(good) == (n - 1) // 48  # the full blocks only
        frames = deframe("swiatowid", soft_of(enc.bits, rng))
        assert [f.payload for f in frames if f.crc_ok] == blocks_of(data)


def test_truncated_packet_gives_the_blocks_received(rng):
    data = rng.integers(0, 256, 480, dtype=np.uint8).tobytes()
    enc = swiatowid.encode_packet(data)
    cut = enc.start + 32 + 16 + 8 * (3 * 58 + 20)  # stops inside block 3
    frames = deframe("swiatowid", soft_of(enc.bits[:cut], rng, pad=300)[:-300], block=512)
    assert [f.payload for f in frames] == blocks_of(data)[:3]


def test_block_size_independent(rng):
    data = rng.integers(0, 256, 300, dtype=np.uint8).tobytes()
    soft = soft_of(swiatowid.encode_packet(data).bits, rng, sigma=0.4)
    runs = [
        [(f.start, f.stop, f.payload) for f in deframe("swiatowid", soft, block=bs)]
        for bs in (97, 4096, 100_000)
    ]
    assert len(runs[0]) == 7 and runs[0] == runs[1] == runs[2]


@pytest.mark.parametrize("snr,cfo", [(7, 0), (9, -3000)])
def test_iq_roundtrip(snr, cfo, rng):
    data = rng.integers(0, 256, 48 * 6, dtype=np.uint8).tobytes()
    x = iq_of_bits(OPTS, [swiatowid.encode_packet(data, 256).bits], snr, cfo, rng)
    frames = receive(OPTS, x, FS)
    assert [f.payload for f in frames] == blocks_of(data)
    assert frames[-1].fields["packet_crc_ok"] is True


def test_single_block_encoder_and_limits(rng):
    enc = encode_bits("swiatowid", b"hello")
    assert [f.payload for f in deframe("swiatowid", soft_of(enc.bits, rng))] == [b"hello"]
    with pytest.raises(ConfigError):
        encode_bits("swiatowid", b"x" * 49)


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("swiatowid", rng.standard_normal(200_000).astype(np.float32)) == []


@pytest.mark.shared
def test_recording(shared_recordings):
    meta, path = recording(shared_recordings, "swiatowid")
    fs, x = wav_audio(path)
    frames = receive(OPTS, x, fs)
    assert expected_frames(meta) <= {f.payload for f in frames}
    assert all(f.crc_ok for f in frames)
    assert [f.fields["packet_crc_ok"] for f in frames if "packet_crc_ok" in f.fields] == [True] * 2


@pytest.mark.shared
def test_recording_block_size_independent(shared_recordings):
    _, path = recording(shared_recordings, "swiatowid")
    fs, x = wav_audio(path)
    x = x[:450_000]  # the first packet and the start of the second
    runs = [
        [(f.sample_index, f.payload, f.fields["block"]) for f in receive(OPTS, x, fs, bs)]
        for bs in (4000, 1 << 20)
    ]
    assert len(runs[0]) > 141 and runs[0] == runs[1]  # 141 blocks a packet
