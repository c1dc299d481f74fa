"""The FSK receiver's IQ path on real signals (see ``tests/real_iq.py``).

Each real recording's discriminator audio goes back on a carrier at a LEO-like offset and
drift within the carrier search's +-12 kHz, is sampled at 250 ksps or 1.024 Msps (on a
subset also written as rtl_sdr's unsigned 8-bit IQ and decoded from the file), gets noise
at a known SNR, and must give every frame the recording lists, through the IQ path with
the catalogue's settings. The SNR each frame reports must be the one set: the real
audio's own noise rides on the carrier as frequency modulation, so the added noise is
all there is in the channel.
"""

from __future__ import annotations

import pytest
from conftest import SHARED
from real_iq import decode, real_iq, recordings, source, to_cu8

import sdrlink

pytestmark = pytest.mark.shared

ROOT = SHARED / "recordings"
NAMES = recordings(ROOT) if ROOT.exists() else []
# (sample rate, carrier offset Hz, drift Hz/s, SNR dB in Carson's bandwidth)
CHANNELS = [
    (250e3, 4200.0, -150.0, 20.0),
    (250e3, -9500.0, 300.0, 14.0),
    (1.024e6, 11000.0, -250.0, 20.0),
]
CU8 = ["1kuns_pf", "swiatowid-ax25", "ty_2"]  # 1k2 FSK, AFSK, 9k6 FSK


def test_the_recordings_at_hand_take_part(shared_recordings):
    # the seven AX.25 / AX100 / AX5043 passes the receiver decodes today; recordings of
    # framings merged later join by themselves
    assert {"us01", "swiatowid-ax25", "1kuns_pf", "facsat_1", "luojia-1", "ty_2", "cape3"} <= set(
        recordings(shared_recordings)
    )
    assert "swiatowid" not in recordings(shared_recordings)  # its own framing, not AX.25


@pytest.mark.parametrize("rate,cfo,drift,snr", CHANNELS, ids=["250k+4k", "250k-9k", "1M+11k"])
@pytest.mark.parametrize("name", NAMES)
def test_real_signal_through_the_iq_path(shared_recordings, name, rate, cfo, drift, snr):
    src = source(shared_recordings, name)
    iq = real_iq(src, rate, snr, cfo, drift, seed=len(name))
    frames = [f for f in decode(iq, rate, src.options, True) if f.crc_ok]
    got = {f.payload for f in frames}
    missing = src.expected - got
    assert not missing, f"{name}: {len(missing)} of {len(src.expected)} frames missing"
    for f in frames:
        if f.payload in src.expected:
            assert abs(f.snr_db - snr) <= 1.0, (name, f.snr_db)  # measured 0.8 dB at most


@pytest.mark.parametrize("name", CU8)
def test_real_signal_as_rtl_sdr_file(shared_recordings, tmp_path, name):
    if name not in NAMES:
        pytest.fail(f"{name} no longer takes part")
    src = source(shared_recordings, name)
    rate = 1.024e6
    iq = real_iq(src, rate, 20.0, -7000.0, 200.0, seed=7)
    path = tmp_path / f"{name}.cu8"
    to_cu8(iq).tofile(path)
    frames = sdrlink.decode(path, "fsk", sample_rate=rate, center_freq=437.3e6, **src.options)
    assert src.expected <= {f.payload for f in frames}
    assert all(f.center_freq_hz == 437.3e6 for f in frames)
