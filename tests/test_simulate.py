"""The simulator's channel, checked with a pure-tone test protocol (no real modulator)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sdrlink.blocks import SampleBlock
from sdrlink.doppler import make_orbit
from sdrlink.doppler.orbit import C_LIGHT, to_posix
from sdrlink.doppler.stage import make_doppler_stage
from sdrlink.errors import ConfigError
from sdrlink.protocols.base import Protocol
from sdrlink.simulate import next_pass_window, simulate_recording
from sdrlink.sources import open_source

DATA = Path(__file__).parent / "data" / "amateur.tle"
STATION = "52.2,0.12,30"
FS = 50e3
F_C = 436e6
TONE_S = 0.25


@dataclass(frozen=True)
class ToneParams:
    bw: float = 5e3


def _tone(params, payload, sample_rate):
    return np.ones(int(TONE_S * sample_rate), dtype=np.complex64)


TONE = Protocol(
    name="tone",
    description="test double: an unmodulated carrier",
    cli_options=lambda: (),
    make_params=lambda options: ToneParams(),
    make_receiver=lambda options, info: None,  # type: ignore[arg-type,return-value]
    modulate=_tone,
)


def read_all(meta):
    with open_source(meta) as src:
        x = np.concatenate([b.samples for b in src.blocks(1 << 20)])
        return src.info, x


def tone_freq(x):
    """Frequency (Hz) of a clean tone by a least-squares fit of its phase slope."""
    ph = np.unwrap(np.angle(x))
    t = np.arange(len(x)) / FS
    return float(np.polyfit(t, ph, 1)[0] / (2 * np.pi))


def annotations(meta):
    return json.loads(Path(meta).read_text())["annotations"]


@pytest.fixture(scope="module")
def pass_start():
    start, _ = next_pass_window(
        DATA, "ISS", STATION, dt.datetime(2025, 11, 20, 17, tzinfo=dt.timezone.utc)
    )
    return start


def test_doppler_of_a_pass_is_removed_by_the_stage(tmp_path, pass_start):
    start = pass_start + dt.timedelta(seconds=200)
    res = simulate_recording(
        tmp_path / "pass",
        TONE,
        {},
        sample_rate=FS,
        center_freq=F_C,
        duration=62,
        interval_s=10,
        snr_db=40,
        tle=DATA,
        sat="ISS",
        station=STATION,
        start_time=start,
        seed=3,
    )
    assert len(res.frames) == 7
    info, x = read_all(res.meta_path)
    assert info.start_time == start
    orbit = make_orbit(DATA, "ISS", STATION)
    stage = make_doppler_stage(str(DATA), "ISS", STATION, info)
    y = stage.process(SampleBlock(x, 0)).samples
    for fr, ann in zip(res.frames, annotations(res.meta_path), strict=True):
        seg = slice(fr.sample_start, fr.sample_start + fr.sample_count)
        t = to_posix(start) + fr.sample_start / FS
        expect = float(orbit.doppler(np.array([t]), F_C)[0])
        assert abs(fr.doppler_hz - expect) < 0.01
        assert abs(ann["sdrlink:doppler_hz"] - expect) < 0.01
        assert ann["sdrlink:payload"] == fr.payload.hex()
        assert abs(ann["sdrlink:cfo_hz"]) < 0.01  # no crystal error or offset: all Doppler
        # before compensation the tone sits at the Doppler (mean over the frame) ...
        mid = float(orbit.doppler(np.array([t + TONE_S / 2]), F_C)[0])
        assert abs(tone_freq(x[seg]) - mid) < 1.0
        # ... after it, within a hertz of zero
        assert abs(tone_freq(y[seg])) < 1.0


def test_crystal_errors_offset_and_drift_are_consistent(tmp_path):
    tx, rx, cfo, drift = 20.0, -10.0, 1000.0, 50.0
    res = simulate_recording(
        tmp_path / "ppm",
        TONE,
        {},
        sample_rate=FS,
        center_freq=F_C,
        count=3,
        interval_s=2,
        snr_db=40,
        cfo_hz=cfo,
        drift_hz_s=drift,
        tx_ppm=tx,
        rx_ppm=rx,
        seed=1,
    )
    _, x = read_all(res.meta_path)
    gain = 1 + rx * 1e-6
    for i, fr in enumerate(res.frames):
        t_true = fr.sample_start / (FS * gain)
        assert abs(t_true - (1.0 + 2.0 * i)) < 1 / FS
        mid = t_true + TONE_S / 2
        expect = (F_C * (tx - rx) * 1e-6 + cfo + drift * mid) / gain  # 13080 Hz + cfo + drift
        got = tone_freq(x[fr.sample_start : fr.sample_start + fr.sample_count])
        assert abs(got - expect) < 1.0
        assert abs(fr.offset_hz - (expect - drift * TONE_S / 2 / gain)) < 0.1
        assert fr.cfo_hz == fr.offset_hz and fr.doppler_hz == 0.0
        # the symbol clock: 30 ppm fewer receiver samples per transmitted sample
        assert fr.sample_count == int(TONE_S * FS * gain / (1 + tx * 1e-6)) < TONE_S * FS


def test_snr_and_integer_datatypes(tmp_path):
    for datatype in ("cf32_le", "ci16_le", "cu8"):
        res = simulate_recording(
            tmp_path / datatype,
            TONE,
            {},
            sample_rate=FS,
            center_freq=F_C,
            count=4,
            interval_s=1.0,
            first_s=0.5,
            snr_db=10,
            seed=7,
            datatype=datatype,
        )
        info, x = read_all(res.meta_path)
        assert info.extra["datatype"] == datatype
        quiet = x[: int(0.4 * FS)]
        noise = float(np.mean(np.abs(quiet) ** 2))
        snrs = []
        for fr in res.frames:
            burst = x[fr.sample_start : fr.sample_start + fr.sample_count]
            sig = float(np.mean(np.abs(burst) ** 2)) - noise
            snrs.append(10 * np.log10(sig / (noise * ToneParams.bw / FS)))
        assert abs(np.mean(snrs) - 10.0) < 0.5, (datatype, snrs)
        assert np.max(np.abs(x.view(np.float32))) < 1.0


def test_link_budget_follows_range_and_horizon(tmp_path, pass_start):
    start = pass_start - dt.timedelta(seconds=30)  # starts below the horizon
    res = simulate_recording(
        tmp_path / "lb",
        TONE,
        {},
        sample_rate=FS,
        center_freq=F_C,
        duration=70,
        interval_s=10,
        snr_db=None,
        snr_ref_db=5.0,
        tle=DATA,
        sat="ISS",
        station=STATION,
        start_time=start,
        seed=1,
        min_elevation=0.0,
    )
    assert res.skipped_below_horizon >= 2
    assert all(fr.elevation_deg >= 0 for fr in res.frames)
    for fr in res.frames:
        assert abs(fr.snr_db - (5.0 + 20 * np.log10(1000.0 / fr.range_km))) < 1e-9
    assert res.frames[-1].snr_db > res.frames[0].snr_db  # rising satellite, shrinking range
    meta = json.loads(Path(res.meta_path).read_text())["global"]
    sim = meta["sdrlink:simulation"]
    assert sim["norad"] == 25544 and sim["snr_ref_db"] == 5.0


def test_doppler_time_compression_shortens_approaching_frames(tmp_path, pass_start):
    res = simulate_recording(
        tmp_path / "sc",
        TONE,
        {},
        sample_rate=FS,
        center_freq=F_C,
        count=1,
        first_s=120,
        snr_db=20,
        tle=DATA,
        sat="ISS",
        station=STATION,
        start_time=pass_start,
        seed=1,
    )
    fr = res.frames[0]
    t = to_posix(pass_start) + 120
    rr = float(make_orbit(DATA, "ISS", STATION).range_rate(np.array([t]))[0])
    assert rr < -5000
    assert fr.sample_count == int(TONE_S * FS * (1 + rr / C_LIGHT)) < TONE_S * FS


def test_bad_settings_are_config_errors(tmp_path):
    kw = dict(sample_rate=FS, center_freq=F_C)
    with pytest.raises(ConfigError, match="how long"):
        simulate_recording(tmp_path / "a", TONE, {}, **kw)
    with pytest.raises(ConfigError, match="needs --tle"):
        simulate_recording(tmp_path / "a", TONE, {}, count=1, snr_ref_db=3, **kw)
    with pytest.raises(ConfigError, match="--station"):
        simulate_recording(tmp_path / "a", TONE, {}, count=1, tle=DATA, **kw)
    with pytest.raises(ConfigError, match="start time"):
        simulate_recording(tmp_path / "a", TONE, {}, count=1, tle=DATA, station=STATION, **kw)
    assert not list(tmp_path.iterdir())


def test_no_payloads_gives_noise_only(tmp_path):
    from sdrlink.simulate import simulate_recording

    r = simulate_recording(
        tmp_path / "quiet",
        "fsk",
        {"baud": 9600},
        sample_rate=48e3,
        center_freq=437e6,
        duration=0.5,
        payloads=[],
        snr_db=10,
        seed=1,
    )
    assert r.frames == [] and r.num_samples == 24000
    import sdrlink

    rec = sdrlink.open(r.meta_path)
    x = rec.at(0, 0.5)
    assert len(x) == 24000 and 0.02 < float(np.std(x)) < 0.2
