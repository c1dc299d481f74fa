"""What a BPSK frame reports, against the channel's truth: Eb/N0 (``snr_db`` and
``ebn0_db``, the SNR in a bandwidth equal to the bit rate), the carrier at the
frame's start, and the drift with its uncertainty.

Streams of three frames from our modulator through :func:`sdrlink.channel.channel`
(carrier ``cfo + rate * t``), Eb/N0 8 to 30 dB. Measured on this grid while writing
the bounds: |mean Eb/N0 error| at most 0.24 dB (bound 0.35), spread at most 0.39 dB
(bound 0.6); the carrier within 1 Hz (0.86 Hz worst); the drift, reported where
its 95 % half-width is at most 100 Hz/s (nearly every frame here), inside that
interval in 92-100 % of each modulation's frames (bound 88 %).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_bpsk_synthetic import PAYLOAD, receiver, run, stream

from sdrlink.protocols.bpsk.receiver import MAX_DRIFT_UNCERTAINTY

#: (options, sample rate, fastest drift Hz/s). At 1200 Bd plain and differential BPSK
#: get 100 Hz/s: the carrier tracker's mixer lags a drift ahead of the matched
#: filter, the symbols turn within themselves, and the SNR of a +30 dB frame reads
#: 21-29 dB at 300 Hz/s, 27-28 dB at 100 Hz/s (the frames still decode; Manchester
#: and 9600 Bd are spared). Those frames are left out of the SNR bounds and pinned
#: by test_snr_of_drifting_1200_bd_frames_at_30_db (a known failure).
CONFIGS = {
    "bpsk9600": ({"modulation": "bpsk", "baud": 9600, "framing": "ax25_g3ruh"}, 250e3, 300.0),
    "bpsk1200": ({"modulation": "bpsk", "baud": 1200, "framing": "ax25_g3ruh"}, 48e3, 100.0),
    "dbpsk1200": ({"modulation": "dbpsk", "baud": 1200, "framing": "ax25"}, 48e3, 100.0),
    "manchester1200": (
        {"modulation": "bpsk_manchester", "baud": 1200, "framing": "ax25_g3ruh"},
        48e3,
        300.0,
    ),
}
EBN0 = (8.0, 15.0, 30.0)  # from near the decoding threshold up


def _grid(name: str) -> dict:
    options, fs, fastest = CONFIGS[name]
    out: dict = {}
    for a, ebn0 in enumerate(EBN0):
        for b, (cfo, rate) in enumerate([(0.0, 0.0), (5000.0, -fastest), (-9000.0, fastest)]):
            for seed in range(2):
                rng = np.random.default_rng(100 * a + 10 * b + seed)
                x, starts = stream(options, fs, ebn0, rng, cfo=cfo, drift=rate, n_frames=3)
                for f in run(receiver(options, fs), x):
                    if not (f.crc_ok and f.payload == PAYLOAD):
                        continue
                    start = min(starts, key=lambda s, f=f: abs(s - f.sample_index))
                    out.setdefault(ebn0, []).append((f, cfo + rate * start / fs, rate))
    return out


@pytest.fixture(scope="module")
def grids() -> dict:
    return {name: _grid(name) for name in CONFIGS}


LAGGING = ("bpsk1200", "dbpsk1200")


def _lagging(name: str, ebn0: float, rate: float) -> bool:
    return name in LAGGING and ebn0 >= 30 and rate != 0


@pytest.mark.parametrize("name", list(CONFIGS))
def test_ebn0_and_carrier_against_the_channel(grids, name):
    for ebn0, got in grids[name].items():
        assert len(got) >= (8 if ebn0 < 10 else 16), (name, ebn0, len(got))  # of 18
        errors = [f.snr_db - ebn0 for f, _, rate in got if not _lagging(name, ebn0, rate)]
        assert all(f.fields["ebn0_db"] == f.snr_db for f, _, _ in got)
        assert abs(np.mean(errors)) <= 0.35, (ebn0, np.mean(errors))
        assert np.std(errors) <= 0.6, (ebn0, np.std(errors))
        worst = max(abs(f.freq_offset_hz - truth) for f, truth, _ in got)
        assert worst <= 1.0, (ebn0, worst)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_drift_within_its_uncertainty(grids, name):
    hits = []
    for got in grids[name].values():
        for f, _, rate in got:
            drift, unc = f.fields["drift_hz_s"], f.fields["drift_uncertainty_hz_s"]
            assert unc is not None and (drift is None) == (unc > MAX_DRIFT_UNCERTAINTY)
            if drift is not None:
                hits.append(abs(drift - rate) <= unc)
    assert len(hits) >= 40 and np.mean(hits) >= 0.88, (len(hits), np.mean(hits))


@pytest.mark.parametrize("name", LAGGING)
@pytest.mark.xfail(strict=True, reason="the BPSK carrier tracker lags a drift at 1200 Bd")
def test_snr_of_drifting_1200_bd_frames_at_30_db(grids, name):
    errors = [f.snr_db - 30.0 for f, _, rate in grids[name][30.0] if rate != 0]
    assert len(errors) >= 8 and abs(np.mean(errors)) <= 0.35, np.mean(errors)
