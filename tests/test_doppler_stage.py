"""The Doppler stage: block-size independence, phase continuity, gaps, annotation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.doppler import find_passes, make_orbit
from sdrlink.doppler.curve import SEGMENT
from sdrlink.doppler.orbit import to_posix
from sdrlink.doppler.stage import make_doppler_stage
from sdrlink.dsp.nco import mix_reference
from sdrlink.errors import ConfigError
from sdrlink.frame import Frame

DATA = Path(__file__).parent / "data" / "amateur.tle"
STATION = "52.2,0.12,30"
FS = 250e3
F_C = 436e6


@pytest.fixture(scope="module")
def start():
    """Two minutes before culmination of a high ISS pass (Doppler rate > 100 Hz/s)."""
    orbit = make_orbit(DATA, "ISS", STATION)
    p = find_passes(
        orbit, dt.datetime(2025, 11, 20, 12, tzinfo=dt.timezone.utc), 12, min_elevation=60
    )[0]
    return p.tca - dt.timedelta(seconds=120)


def info_at(start, is_complex=True):
    return StreamInfo(sample_rate=FS, center_freq=F_C, start_time=start, is_complex=is_complex)


def run_blocks(stage, x, size):
    return np.concatenate(
        [stage.process(SampleBlock(x[s : s + size], s)).samples for s in range(0, len(x), size)]
    )


def test_output_is_bit_identical_for_any_block_size(start, rng):
    n = 1_500_000 + 123
    x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    outs = []
    for size in (1000, 65536, 10_000_000, SEGMENT):
        stage = make_doppler_stage(str(DATA), "iss", STATION, info_at(start))
        outs.append(run_blocks(stage, x, size))
    for out in outs[1:]:
        assert np.array_equal(out, outs[0])
    assert not np.array_equal(outs[0], x)


def test_phase_is_continuous_piecewise_linear_doppler(start):
    """Closed-form reference: integrate the knot-to-knot linear frequency in float64."""
    n_seg = 24
    n = n_seg * SEGMENT
    x = np.ones(n, dtype=np.complex64)
    stage = make_doppler_stage(str(DATA), "ISS", STATION, info_at(start))
    out = run_blocks(stage, x, 7777)  # blocks cut inside segments, never on a knot
    orbit = make_orbit(DATA, "ISS", STATION)
    knots = orbit.doppler(to_posix(start) + np.arange(n_seg + 1) * SEGMENT / FS, F_C)
    f = knots[:-1] / FS  # cycles/sample at each segment start
    r = np.diff(knots) / FS / SEGMENT  # cycles/sample^2
    seg_cycles = f * SEGMENT + 0.5 * r * SEGMENT**2
    phase0 = np.concatenate([[0.0], np.cumsum(seg_cycles)[:-1]]) % 1.0
    ref = np.concatenate(
        [
            mix_reference(x[k * SEGMENT : (k + 1) * SEGMENT], phase0[k], f[k], r[k], 0)
            for k in range(n_seg)
        ]
    )
    assert np.max(np.abs(out - ref)) < 2e-4
    # the removed frequency really is the predicted Doppler (about 8 kHz here)
    inst = np.angle(out[1:] * np.conj(out[:-1])) * FS / (2 * np.pi)
    t_mid = to_posix(start) + (np.arange(n - 1) + 0.5) / FS
    assert np.max(np.abs(inst + orbit.doppler(t_mid, F_C))) < 0.5
    # no phase jump at knots or block edges: consecutive-sample phase steps stay smooth
    assert np.max(np.abs(np.diff(inst))) < 0.05


def test_gaps_keep_the_absolute_timeline(start, rng):
    n = 400_000
    x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    full = run_blocks(make_doppler_stage(str(DATA), "ISS", STATION, info_at(start)), x, 50_000)
    stage = make_doppler_stage(str(DATA), "ISS", STATION, info_at(start))
    a = stage.process(SampleBlock(x[:100_000], 0)).samples
    b = stage.process(SampleBlock(x[170_000:], 170_000, lost=70_000)).samples
    assert np.array_equal(a, full[:100_000])
    assert np.array_equal(b, full[170_000:])


def test_annotate_adds_prediction_and_keeps_offset_absolute(start):
    stage = make_doppler_stage(str(DATA), "ISS", STATION, info_at(start))
    orbit = make_orbit(DATA, "ISS", STATION)
    idx = 3 * SEGMENT + 5000
    frame = Frame("lora", idx, b"x", True, freq_offset_hz=12.5)
    stage.annotate(frame)
    expect = orbit.doppler(to_posix(start) + idx / FS, F_C)
    assert frame.fields["residual_hz"] == 12.5
    assert abs(frame.fields["doppler_predicted_hz"] - expect) < 0.05
    assert abs(frame.freq_offset_hz - (12.5 + expect)) < 0.05
    assert 10 < frame.fields["elevation_deg"] < 90
    rate = orbit.doppler_rate(to_posix(start) + idx / FS, F_C)
    assert rate < -5 and abs(frame.fields["doppler_rate_hz_s"] - rate) < 0.5


def test_configuration_errors(start):
    with pytest.raises(ConfigError, match="needs IQ"):
        make_doppler_stage(str(DATA), "ISS", STATION, info_at(start, is_complex=False))
    with pytest.raises(ConfigError, match=r"no start time \(core:datetime\); give --start"):
        make_doppler_stage(str(DATA), "ISS", STATION, info_at(None))
    info = StreamInfo(sample_rate=FS, start_time=start)
    with pytest.raises(ConfigError, match="carrier frequency"):
        make_doppler_stage(str(DATA), "ISS", STATION, info)
    stage = make_doppler_stage(str(DATA), "ISS", STATION, info, carrier_hz=437e6)
    assert stage.carrier_hz == 437e6
    with pytest.raises(ConfigError, match="not in"):
        make_doppler_stage(str(DATA), "NOSUCHSAT", STATION, info_at(start))
    with pytest.raises(ConfigError, match="needs IQ"):
        stage.process(SampleBlock(np.zeros(10, np.float32), 0))


@pytest.mark.parametrize("modulation", ["fsk", "afsk"])
def test_slow_fsk_under_leo_doppler_decodes_with_the_tle(tmp_path, modulation):
    """1200 Bd FSK/AFSK about 10 kHz off: the stage brings it back in reach of the receiver."""
    from pass_util import iss_recording

    from sdrlink.api import decode_source
    from sdrlink.sources import open_source

    opts = {"modulation": modulation, "baud": 1200}
    if modulation == "fsk":
        opts["deviation"] = 600
    res = iss_recording(tmp_path / "pass", "fsk", opts, 120.0, snr_db=15.0, seed=2)
    assert min(abs(f.doppler_hz) for f in res.frames) > 9e3
    with open_source(res.meta_path) as src:
        stage = make_doppler_stage(str(DATA), "ISS", STATION, src.info)
        frames = decode_source(src, "fsk", options=opts, stages=[stage]).frame_list
    assert [f.payload for f in frames if f.crc_ok] == [f.payload for f in res.frames]
