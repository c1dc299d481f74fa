"""Every number an FSK frame reports, against the simulator's truth.

Streams of frames from the project's modulator go through ``sdrlink.channel``
(SNR in the bandwidth ``FskParams.snr_bandwidth`` names, carrier offset and
drift) and the receiver; each frame's ``snr_db``, ``freq_offset_hz`` (at its
first sample), drift and position are compared with what was put in. The
bounds are those the estimators achieve on this grid (measured maxima in
the comments), not loose envelopes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import channel
from sdrlink.dsp.estimate import fit_levels, moments_snr, noise_bandwidth
from sdrlink.framing.ax25 import ui_frame
from sdrlink.protocols.fsk import FskReceiver, make_params, modulate, modulate_audio
from sdrlink.protocols.fsk.fmaudio import fm_receive
from sdrlink.protocols.fsk.modulator import frame_start_symbol

FS = 250_000.0

# name: (options, SNRs from about the decoding threshold to +30 dB, offset bound in Hz)
IQ_MODES = {
    # measured max offset error 16 Hz
    "fsk9k6": ({"modulation": "fsk", "baud": 9600, "framing": "ax100"}, (8, 20, 30), 25.0),
    # measured 12 Hz
    "gfsk9k6": ({"modulation": "gfsk", "baud": 9600, "framing": "ax25_g3ruh"}, (11, 20, 30), 20.0),
    # measured 19 Hz
    "gmsk9k6": ({"modulation": "gmsk", "baud": 9600, "framing": "ax100"}, (12, 20, 30), 30.0),
    # measured 2.1 Hz
    "fsk1k2": (
        {"modulation": "fsk", "baud": 1200, "deviation": 600, "framing": "ax25"},
        (12, 20, 30),
        3.5,
    ),
    # measured 3.4 Hz (RF carrier)
    "afsk1k2": ({"modulation": "afsk", "baud": 1200, "framing": "ax25"}, (14, 20, 30), 5.0),
}
CARRIERS = [(0.0, 0.0), (1500.0, 0.0), (-6000.0, 300.0)]  # (offset Hz, drift Hz/s)


def run(rx: FskReceiver, x: np.ndarray, block: int = 65536) -> list:
    out = []
    for s in range(0, len(x), block):
        out += rx.process(SampleBlock(x[s : s + block], s))
    return out + rx.flush()


def payloads_for(options: dict, rng, n: int) -> list[bytes]:
    raw = [bytes(rng.integers(0, 256, 60, dtype=np.uint8)) for _ in range(n)]
    if options["framing"].startswith("ax25"):
        return [ui_frame("CQ", "TEST", r[:40]) for r in raw]
    return raw


def stream(p, payloads: list[bytes], fs: float) -> tuple[np.ndarray, list[float]]:
    """Frames with 20 ms gaps; also the first sample of each frame (sync word or flag)."""
    gap = np.zeros(int(0.02 * fs), np.complex64)
    parts, starts, at = [gap], [], len(gap)
    for pl in payloads:
        burst = modulate(p, pl, fs)
        starts.append(at + frame_start_symbol(p) * fs / p.baud)
        parts += [burst, gap]
        at += len(burst) + len(gap)
    return np.concatenate(parts), starts


@pytest.mark.parametrize("cfo,drift", CARRIERS, ids=["0", "+1.5k", "-6k+300/s"])
@pytest.mark.parametrize("mode", list(IQ_MODES))
def test_iq_snr_offset_drift_against_truth(mode, cfo, drift):
    options, snrs, offset_bound = IQ_MODES[mode]
    p = make_params(options)
    for snr in snrs:
        rng = np.random.default_rng(int(10 * snr + abs(cfo)))
        payloads = payloads_for(options, rng, 4)
        x, starts = stream(p, payloads, FS)
        y = channel(
            x,
            FS,
            snr_db=snr,
            signal_bw=p.snr_bandwidth,
            cfo_hz=cfo,
            rate_hz_s=drift,
            rng=rng,
            signal_power=1.0,
        )
        frames = [f for f in run(FskReceiver(p, StreamInfo(FS, is_complex=True)), y) if f.crc_ok]
        assert [f.payload for f in frames] == payloads, (mode, snr)
        err = np.array([f.snr_db - snr for f in frames])
        # the bounds: mean within 0.5 dB, every frame within 1 dB (measured 0.4 / 0.6)
        assert abs(err.mean()) <= 0.5 and np.abs(err).max() <= 1.0, (mode, snr, err)
        for f, start in zip(frames, starts, strict=True):
            assert abs(f.sample_index - start) <= 0.15 * FS / p.baud  # measured 0.07 symbol
            truth = cfo + drift * f.sample_index / FS
            assert abs(f.freq_offset_hz - truth) <= offset_bound, (mode, snr, f.freq_offset_hz)
            assert f.fields["snr_bandwidth_hz"] == p.snr_bandwidth
            assert f.fields["ebn0_db"] == pytest.approx(
                f.snr_db + 10 * math.log10(p.snr_bandwidth / p.baud), abs=0.01
            )
            assert f.fields["offset_of"] == "carrier"
            if f.fields["drift_hz_s"] is not None:  # reported only where measurable
                assert abs(f.fields["drift_hz_s"] - drift) <= 10.0  # measured 3 Hz/s
            if p.modulation == "afsk":
                assert abs(f.fields["tone_offset_hz"]) <= 7.0  # measured 5.5 Hz
            else:
                assert abs(f.fields["deviation_hz"] / p.deviation - 1) <= 0.03
        if p.modulation == "fsk" and p.baud == 1200:  # half-second frames: drift measured
            assert all(f.fields["drift_hz_s"] is not None for f in frames)


def test_snr_is_that_of_the_simulator_not_of_the_soft_symbols(rng):
    """The old figure (mean/std of the soft symbols) saturated near 12 dB; this one follows."""
    options = {"modulation": "fsk", "baud": 9600, "framing": "ax100"}
    p = make_params(options)
    got = []
    for snr in (10.0, 20.0, 30.0, 40.0):
        x, _ = stream(p, payloads_for(options, rng, 2), FS)
        y = channel(x, FS, snr_db=snr, signal_bw=p.snr_bandwidth, rng=rng, signal_power=1.0)
        got.append(np.mean([f.snr_db for f in run(FskReceiver(p, StreamInfo(FS, True)), y)]))
    assert np.allclose(got, [10, 20, 30, 40], atol=0.5), got


AUDIO = 48_000.0


AUDIO_CASES = [
    # (options, offset bound in Hz, carrier offsets); measured maxima 27, 30 and 5 Hz
    ({"modulation": "fsk", "baud": 9600, "framing": "ax100"}, 40.0, (0.0, 1000.0, -2000.0)),
    ({"modulation": "fsk", "baud": 19200, "framing": "ax100"}, 45.0, (0.0, 1000.0, -2000.0)),
    # 1200 Bd, 600 Hz deviation: HDLC flag preambles (7 symbols of one level, 1 of the
    # other) on a DC of more than about half the deviation, away from the long level,
    # still cost frames (about 1 in 4 at -500 Hz); see the FSK receiver's open issues
    ({"modulation": "fsk", "baud": 1200, "framing": "ax25"}, 8.0, (0.0, 500.0, -250.0)),
]


@pytest.mark.parametrize(
    "options,bound,cfo",
    [(o, b, c) for o, b, cs in AUDIO_CASES for c in cs],
    ids=[f"{int(o['baud'])}Bd{c:+g}" for o, _, cs in AUDIO_CASES for c in cs],
)
def test_audio_carrier_offset_and_no_rf_snr(options, bound, cfo):
    """FM-receiver audio of a mistuned carrier: its DC, scaled by the deviation, is the offset."""
    p = make_params(options)
    rng = np.random.default_rng(int(abs(cfo)) + int(p.baud))
    fs = 4 * AUDIO
    payloads = payloads_for(options, rng, 3)
    x, _ = stream(p, payloads, fs)
    x = channel(x, fs, snr_db=20, signal_bw=p.snr_bandwidth, cfo_hz=cfo, rng=rng, signal_power=1)
    a = 0.4 * fm_receive(x, fs, AUDIO, p.deviation, 2 * (p.deviation + p.baud) + 2 * abs(cfo))
    frames = run(FskReceiver(p, StreamInfo(AUDIO, is_complex=False)), a)
    assert [f.payload for f in frames] == payloads
    for f in frames:
        assert abs(f.freq_offset_hz - cfo) <= bound, f.freq_offset_hz
        assert math.isnan(f.snr_db) and "ebn0_db" not in f.fields
        assert f.fields["offset_of"] == "carrier"
        assert 22 < f.fields["symbol_snr_db"] < 32  # measured 25.7-27.4 dB at 20 dB RF


@pytest.mark.parametrize("shift", [0.0, 40.0, -25.0])
def test_afsk_audio_reports_the_tone_offset(shift, rng):
    """AFSK audio whose tones are ``shift`` Hz off 1200/2200 (as SSB mistuning makes them)."""
    options = {"modulation": "afsk", "baud": 1200, "framing": "ax25"}
    p = make_params(options)
    tx = make_params({**options, "afsk_tones": (1200 + shift, 2200 + shift)})
    payloads = payloads_for(options, rng, 2)
    gap = np.zeros(2000, np.float32)
    a = np.concatenate(
        [gap, *[np.concatenate([modulate_audio(tx, pl, AUDIO), gap]) for pl in payloads]]
    )
    a = (0.3 * a + 0.03 * rng.standard_normal(len(a))).astype(np.float32)
    frames = run(FskReceiver(p, StreamInfo(AUDIO, is_complex=False)), a)
    assert [f.payload for f in frames] == payloads
    for f in frames:
        assert abs(f.freq_offset_hz - shift) <= 2.5  # measured 1.8 Hz
        assert f.fields["offset_of"] == "audio tones"
        assert math.isnan(f.snr_db)


def test_symbol_snr_of_audio_follows_the_audio_noise(rng):
    """FSK audio at 5 samples per symbol with white noise: the matched filter (a boxcar of
    4 samples) leaves 1/4 of the noise power, so the soft symbols' SNR is level^2 * 4 / var."""
    options = {"modulation": "fsk", "baud": 9600, "framing": "ax100"}
    p = make_params(options)
    payloads = payloads_for(options, rng, 2)
    gap = np.zeros(2000, np.float32)
    clean = np.concatenate(
        [gap, *[np.concatenate([modulate_audio(p, pl, AUDIO), gap]) for pl in payloads]]
    )
    for sigma in (0.1, 0.2, 0.3):
        a = (clean + sigma * rng.standard_normal(len(clean))).astype(np.float32)
        frames = run(FskReceiver(p, StreamInfo(AUDIO, is_complex=False)), a)
        assert [f.payload for f in frames] == payloads
        truth = 10 * math.log10(4 / sigma**2)
        for f in frames:
            # measured 0.1 to 1.0 dB above: the linear interpolation between samples at
            # the symbol instants averages a little of the filtered noise away
            assert -0.3 <= f.fields["symbol_snr_db"] - truth <= 1.2, (sigma, f.fields)


def test_measurements_do_not_depend_on_block_size(rng):
    options = {"modulation": "gmsk", "baud": 9600, "framing": "ax100"}
    p = make_params(options)
    x, _ = stream(p, payloads_for(options, rng, 3), FS)
    y = channel(x, FS, snr_db=15, signal_bw=p.snr_bandwidth, cfo_hz=-7000, rng=rng, signal_power=1)
    runs = []
    for bs in (999, 65536, 10_000_000):
        frames = run(FskReceiver(p, StreamInfo(FS, is_complex=True)), y, bs)
        runs.append([(f.sample_index, f.freq_offset_hz, f.snr_db, f.fields) for f in frames])
    assert len(runs[0]) == 3
    assert runs[0] == runs[1] == runs[2]


def test_estimators_on_their_own(rng):
    # M2M4: constant envelope plus complex noise of known power
    n = 200_000
    s = np.exp(1j * np.cumsum(rng.standard_normal(n)))
    for snr in (0.5, 3.0, 100.0):
        noise = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * math.sqrt(0.5 / snr)
        p = np.abs(s + noise) ** 2
        assert moments_snr(p.mean(), (p * p).mean()) == pytest.approx(snr, rel=0.03)
    assert moments_snr(2.0, 8.0) == 0.0  # pure noise: M4 = 2 M2^2
    assert math.isnan(moments_snr(0.0, 0.0))
    # noise bandwidth of a boxcar of 5 taps at 10 Hz: 2 Hz
    assert noise_bandwidth(np.ones(5), 10.0) == pytest.approx(2.0)
    # level fit: DC, drift and ISI taps recovered from an unbalanced pattern
    b = np.where(rng.random(400) < 0.7, 1.0, -1.0)
    t = np.arange(400) / 1000.0
    v = 30 + 50 * t + 900 * b + 40 * np.roll(b, 1) + 10 * np.roll(b, -1)
    v[2:-2] += rng.standard_normal(396) * 5
    fit = fit_levels(v, b, t)
    assert fit is not None
    assert fit.dc == pytest.approx(30, abs=2) and fit.drift == pytest.approx(50, abs=10)
    assert fit.level == pytest.approx(950, abs=1)
    assert fit.noise == pytest.approx(25, rel=0.2)
    assert fit_levels(v[:20], b[:20], t[:20]) is None
