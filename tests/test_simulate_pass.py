"""Done-when: a whole simulated LoRa pass, Doppler removed by the TLE stage, decodes.

An ISS pass over Cambridge (77 degrees, 11 minutes horizon to horizon) with
SF10 BW125k frames every 10 s at 436 MHz, 250 ksps; the SNR follows the
free-space loss (-8 dB at 1000 km: about -15 dB at the horizon, +0.5 dB
overhead). The recording (cu8, ~330 MB in tmp) is decoded through
``sdrlink.api.decode_source`` with the Doppler stage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sdrlink.api import decode_source
from sdrlink.doppler.stage import make_doppler_stage
from sdrlink.simulate import next_pass_window, simulate_recording
from sdrlink.sources import open_source

DATA = Path(__file__).parent / "data" / "amateur.tle"
STATION = "52.2,0.12,30"
OPTIONS = {"sf": [10], "bw": 125e3}
SF10_THRESHOLD_DB = -15.0  # demodulation floor of SF10 (Semtech datasheet, BW-relative SNR)


@pytest.fixture(scope="module")
def pass_recording(tmp_path_factory):
    start, duration = next_pass_window(
        DATA, "ISS", STATION, dt.datetime(2025, 11, 20, 17, tzinfo=dt.timezone.utc), margin_s=5
    )
    out = tmp_path_factory.mktemp("pass") / "iss_pass"
    res = simulate_recording(
        out,
        "lora",
        OPTIONS,
        sample_rate=250e3,
        center_freq=436e6,
        duration=duration,
        first_s=6.0,
        interval_s=10.0,
        snr_db=None,
        snr_ref_db=-8.0,
        tle=DATA,
        sat="ISS",
        station=STATION,
        start_time=start,
        seed=11,
        datatype="cu8",
    )
    yield res
    for p in Path(res.meta_path).parent.iterdir():
        p.unlink()


def test_whole_pass_decodes_after_doppler_compensation(pass_recording):
    res = pass_recording
    assert len(res.frames) >= 60
    assert max(abs(f.doppler_hz) for f in res.frames) > 9e3
    with open_source(res.meta_path) as src:
        stage = make_doppler_stage(str(DATA), "ISS", STATION, src.info)
        stats = decode_source(src, "lora", options=OPTIONS, stages=[stage], block_size=1 << 18)
    got = {}
    for f in stats.frame_list:
        if f.crc_ok:
            got[f.sample_index // 250_000] = f
    missed, residuals = [], []
    for truth in res.frames:
        frame = got.get(truth.sample_start // 250_000)
        if frame is None:
            if truth.snr_db > SF10_THRESHOLD_DB + 2.0:
                missed.append((truth.index, round(truth.snr_db, 1), round(truth.doppler_hz)))
            continue
        assert frame.payload == truth.payload
        residuals.append(abs(frame.fields["residual_hz"]))
        assert abs(frame.fields["doppler_predicted_hz"] - truth.doppler_hz) < 1.0
        assert abs(frame.freq_offset_hz - truth.offset_hz) < 50.0
    assert not missed, f"frames above threshold not decoded (index, SNR, Doppler): {missed}"
    assert residuals and max(residuals) < 50.0


def test_decoded_frames_do_not_depend_on_block_size(tmp_path):
    """40 s around culmination (Doppler rate ~170 Hz/s), decoded in three block sizes."""
    start, duration = next_pass_window(
        DATA, "ISS", STATION, dt.datetime(2025, 11, 20, 17, tzinfo=dt.timezone.utc)
    )
    res = simulate_recording(
        tmp_path / "culm",
        "lora",
        OPTIONS,
        sample_rate=250e3,
        center_freq=436e6,
        duration=24,
        first_s=1.0,
        interval_s=5.0,
        snr_db=-5.0,
        tle=DATA,
        sat="ISS",
        station=STATION,
        start_time=start + dt.timedelta(seconds=duration / 2 - 12),
        seed=5,
        datatype="ci16_le",
    )
    results = []
    for block in (1000, 65536, 10_000_000):
        with open_source(res.meta_path) as src:
            stage = make_doppler_stage(str(DATA), "ISS", STATION, src.info)
            stats = decode_source(src, "lora", options=OPTIONS, stages=[stage], block_size=block)
        results.append([f.to_dict() for f in stats.frame_list])
    assert [bytes.fromhex(d["payload"]) for d in results[0] if d["crc_ok"]] == [
        f.payload for f in res.frames
    ]
    assert max(abs(d["fields"]["residual_hz"]) for d in results[0]) < 50
    assert results[1] == results[0]
    assert results[2] == results[0]
