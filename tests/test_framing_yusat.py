"""YUSAT framing: byte-aligned flags, AX.25 FCS, no bit stuffing."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.errors import ConfigError
from sdrlink.framing.ax25 import ui_frame

OPTS = {"modulation": "fsk", "baud": 9600, "framing": "YUSAT"}


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_roundtrip_with_flag_bytes_inside(flip, rng):
    payload = ui_frame("CQ", "YUSAT-1", b"\x7e\x7e data with flag bytes \x7e")
    enc = encode_bits("yusat", payload)
    frames = deframe("yusat", flip * soft_of(enc.bits, rng), block=300)
    assert [f.payload for f in frames] == [payload]
    f = frames[0]
    assert f.start == 500 + enc.start and f.fields["src"] == "YUSAT-1"
    assert f.fields["inverted"] is (flip < 0)


def test_fcs_error_gives_nothing(rng):
    enc = encode_bits("yusat", ui_frame("CQ", "YUSAT-1", b"hello"))
    soft = soft_of(enc.bits, rng)
    soft[500 + enc.start + 8 + 20] *= -1
    assert deframe("yusat", soft) == []
    with pytest.raises(ConfigError):
        encode_bits("yusat", bytes(254))


@pytest.mark.parametrize("snr,cfo", [(8, 0), (9, -2000)])
def test_fsk_roundtrip(snr, cfo, rng):
    payloads = [
        ui_frame("CQ", "YUSAT-1", bytes(rng.integers(0, 256, n, np.uint8))) for n in (8, 90)
    ]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    assert [f.payload for f in frames] == payloads


def test_block_size_independent(rng):
    payloads = [ui_frame("CQ", "YUSAT-1", b"first"), ui_frame("CQ", "YUSAT-1", b"second, longer")]
    x = iq_bursts(OPTS, payloads, 11, 700, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (999, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("yusat", rng.standard_normal(300_000).astype(np.float32)) == []


def test_only_ax25_frames(rng):
    enc = encode_bits("yusat", b"not an AX.25 frame")
    assert deframe("yusat", soft_of(enc.bits, rng)) == []


def test_addresses_must_be_shifted_characters(rng):
    # found by the fuzz run: random bits (seed 5024) whose FCS passed and whose
    # "addresses" read as printable text, though their callsign bytes had the low bit set
    soft = np.sign(np.random.default_rng(5024).standard_normal(2229)).astype(np.float32)
    assert deframe("yusat", soft) == []
    frame = bytearray(ui_frame("CQ", "YU1SAT", b"telemetry"))
    frame[3] |= 1  # one callsign byte no longer a shifted character
    assert deframe("yusat", soft_of(encode_bits("yusat", bytes(frame)).bits, rng)) == []
    good = ui_frame("CQ", "YU1SAT", b"telemetry")
    assert [f.payload for f in deframe("yusat", soft_of(encode_bits("yusat", good).bits, rng))] == [
        good
    ]
