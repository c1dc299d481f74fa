"""Real BPSK/DBPSK satellite passes (../shared/recordings, SSB audio): every listed frame.

The receiver gets the transmitter's parameters (modulation, baud rate,
framing and its options, as gr-satellites describes the satellite), never the
expected frames, and finds the carrier in the audio itself. Recordings whose
framing is not registered yet are skipped, naming the framing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.errors import ConfigError
from sdrlink.frame import Frame
from sdrlink.framing import get_framing
from sdrlink.protocols import get_protocol

pytestmark = pytest.mark.shared


def _load(path: Path) -> tuple[float, np.ndarray]:
    fs, x = wavfile.read(path)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim > 1:
        x = x[:, 0]
    return float(fs), x / 32768.0


def decode(path: Path, options: dict, block: int = 65536) -> list[Frame]:
    fs, x = _load(path)
    rx = get_protocol("bpsk").make_receiver(options, StreamInfo(fs, is_complex=False))
    frames: list[Frame] = []
    for s in range(0, len(x), block):
        frames += rx.process(SampleBlock(x[s : s + block], s))
    return frames + rx.flush()


def expected(root: Path, name: str) -> set[bytes]:
    meta = json.loads((root / f"{name}.json").read_text())
    return {bytes.fromhex(h) for h in meta["frames_hex"]}


AX25_CASES = [("duchifat_3", 9600), ("fmn1", 9600), ("shaonian_xing", 9600), ("kr01", 1200)]


@pytest.mark.parametrize("name,baud", AX25_CASES)
def test_bpsk_ax25_recordings(shared_recordings, name, baud):
    options = {"modulation": "bpsk", "baud": baud, "framing": "ax25_g3ruh"}
    frames = decode(shared_recordings / f"{name}.wav", options)
    want = expected(shared_recordings, name)
    got = {f.payload for f in frames}
    assert want <= got, f"missing {len(want - got)} of {len(want)} frames"
    assert all(f.crc_ok for f in frames)
    # the carrier is found in the audio: 9600 Bd ones near 12 kHz, kr01 near 1.5 kHz
    for f in frames:
        assert f.fields["audio_carrier_hz"] == f.freq_offset_hz
        assert (
            (11_000 < f.freq_offset_hz < 13_000)
            if baud == 9600
            else (1400 < f.freq_offset_hz < 1600)
        )
        assert f.snr_db > 10


def test_recording_decode_does_not_depend_on_block_size(shared_recordings):
    options = {"modulation": "bpsk", "baud": 9600, "framing": "ax25_g3ruh"}
    path = shared_recordings / "shaonian_xing.wav"
    a = decode(path, options, 65536)
    b = decode(path, options, 3000)
    assert len(a) >= 1
    assert [(f.sample_index, f.payload, round(f.freq_offset_hz, 6)) for f in a] == [
        (f.sample_index, f.payload, round(f.freq_offset_hz, 6)) for f in b
    ]


def _framing_or_skip(name: str):
    try:
        return get_framing(name)
    except ConfigError:
        pytest.skip(f"framing {name!r} is not registered yet")


def _options_for(framing, wanted: dict[str, object]) -> dict[str, object]:
    """The framing's own option keys for the parameters gr-satellites names
    (frame size, RS basis, precoding): matched by what the key is about."""
    out: dict[str, object] = {}
    for opt in framing.options:
        for about, value in wanted.items():
            if about in opt.key.lower():
                out[opt.key] = value
    return out


PENDING = [
    # recording, modulation, baud, framing as gr-satellites spells it, its parameters
    ("by701", "bpsk", 9600, "CCSDS Concatenated",
     {"size": 114, "basis": "conventional", "precod": "differential"}),
    ("by02", "bpsk", 9600, "LilacSat-1", {}),
    ("ao73", "dbpsk", 1200, "AO-40 FEC", {}),
]  # fmt: skip


@pytest.mark.parametrize("name,modulation,baud,framing_name,params", PENDING)
def test_bpsk_recordings_with_other_framings(
    shared_recordings, name, modulation, baud, framing_name, params
):
    framing = _framing_or_skip(framing_name)
    options = {"modulation": modulation, "baud": baud, "framing": framing.name}
    options.update(_options_for(framing, params))
    frames = decode(shared_recordings / f"{name}.wav", options)
    want = expected(shared_recordings, name)
    got = {f.payload for f in frames if f.crc_ok is not False}
    assert want <= got, f"missing {len(want - got)} of {len(want)} frames"
