"""Synthetic round trips: own BPSK modulator + sdrlink.channel -> BPSK receiver.

SNRs are Eb/N0 per channel bit: the channel's SNR measured in a bandwidth equal
to the bit rate (``signal_bw=baud``, as :attr:`BpskParams.snr_bandwidth` says).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erfc

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import channel
from sdrlink.errors import ConfigError, InputError
from sdrlink.framing.ax25 import ui_frame
from sdrlink.protocols import get_protocol
from sdrlink.protocols.bpsk import BpskReceiver, make_params, modulate
from sdrlink.protocols.bpsk.demodulator import Demodulator
from sdrlink.protocols.bpsk.modulator import (
    AUDIO_RMS,
    frame_start_sample,
    modulate_bits,
    to_audio,
)

PAYLOAD = ui_frame("CQ", "TEST-1", b"sdrlink bpsk synthetic frame 0123456789")


def run(rx: BpskReceiver, x: np.ndarray, block: int = 65536, start: int = 0) -> list:
    out = []
    for s in range(0, len(x), block):
        out += rx.process(SampleBlock(x[s : s + block], start + s))
    return out + rx.flush()


def stream(
    options: dict,
    fs: float,
    snr_db: float,
    rng: np.random.Generator,
    *,
    n_frames: int = 3,
    cfo: float = 0.0,
    drift: float = 0.0,
    carrier: float | None = None,
    payload: bytes = PAYLOAD,
    gap_s: float = 0.15,
) -> tuple[np.ndarray, list[float]]:
    """Frames separated by gaps, through the channel (IQ, or SSB audio at ``carrier``).

    Returns the samples and the true sample index of each frame's start.
    """
    p = make_params(options)
    wave = modulate(p, payload, fs)
    gap = np.zeros(int(gap_s * fs), np.complex64)
    parts, starts, at = [gap], [], len(gap)
    for _ in range(n_frames):
        starts.append(at + frame_start_sample(p, payload, fs))
        parts += [wave, gap]
        at += len(wave) + len(gap)
    x = np.concatenate(parts)
    y = channel(
        x,
        fs,
        snr_db=snr_db,
        signal_bw=p.baud,
        cfo_hz=cfo,
        rate_hz_s=drift,
        rng=rng,
        signal_power=1.0,
    )
    if carrier is not None:
        y = to_audio(y, fs, carrier)
    return y, starts


def receiver(options: dict, fs: float, audio: bool = False) -> BpskReceiver:
    rx = get_protocol("bpsk").make_receiver(options, StreamInfo(fs, is_complex=not audio))
    assert isinstance(rx, BpskReceiver)
    return rx


def check_frames(frames, starts, fs, options, expect_offset, offset_tol, snr_db, payload=PAYLOAD):
    p = make_params(options)
    good = [f for f in frames if f.payload == payload]
    assert len(good) == len(starts), f"recovered {len(good)} of {len(starts)} frames"
    assert all(f.crc_ok for f in frames) and len(frames) == len(good)
    sym = fs / p.symbol_rate
    for f, s in zip(good, starts, strict=True):
        assert abs(f.sample_index - s) <= sym, (f.sample_index, s)
        assert abs(f.freq_offset_hz - expect_offset(s / fs)) < offset_tol
        assert abs(f.snr_db - snr_db) < 1.0
        assert f.fields["ebn0_db"] == f.snr_db


G3RUH_9600 = {"modulation": "bpsk", "baud": 9600, "framing": "ax25_g3ruh"}

IQ_CASES = [
    # options, sample rate, Eb/N0, carrier offset, drift (Hz/s)
    (G3RUH_9600, 250e3, 10.0, 0.0, 0.0),
    (G3RUH_9600, 250e3, 20.0, 5000.0, 0.0),
    (G3RUH_9600, 250e3, 10.0, -9000.0, 300.0),
    ({"modulation": "bpsk", "baud": 1200, "framing": "ax25_g3ruh"}, 48e3, 10.0, -7000.0, 100.0),
    ({"modulation": "dbpsk", "baud": 1200, "framing": "ax25"}, 48e3, 10.0, 3000.0, -50.0),
    ({"modulation": "bpsk", "baud": 4800, "framing": "ax100"}, 96e3, 12.0, 2500.0, 0.0),
    ({"modulation": "dbpsk_manchester", "baud": 400, "framing": "ax25"}, 48e3, 10.0, 600.0, 0.0),
    ({"modulation": "bpsk_manchester", "baud": 1200, "framing": "ax25_g3ruh"}, 48e3, 11.0, -400, 0),
    ({"modulation": "bpsk", "baud": 50000, "framing": "ax25_g3ruh"}, 250e3, 11.0, 8000.0, 0.0),
]


@pytest.mark.parametrize("options,fs,snr,cfo,drift", IQ_CASES, ids=lambda v: str(v))
def test_iq_roundtrip(options, fs, snr, cfo, drift, rng):
    x, starts = stream(options, fs, snr, rng, cfo=cfo, drift=drift)
    frames = run(receiver(options, fs), x)
    # carrier offset: within 1 % of the symbol rate of the truth
    tol = 0.01 * make_params(options).symbol_rate
    check_frames(frames, starts, fs, options, lambda t: cfo + drift * t, tol, snr)


AUDIO_CASES = [
    # options, Eb/N0, audio carrier, its drift (Hz/s)
    (G3RUH_9600, 10.0, 12000.0, 0.0),
    (G3RUH_9600, 10.0, 11300.0, -200.0),
    (G3RUH_9600, 14.0, 7200.0, 0.0),
    ({"modulation": "bpsk", "baud": 1200, "framing": "ax25_g3ruh"}, 10.0, 1500.0, 30.0),
    ({"modulation": "bpsk", "baud": 1200, "framing": "ax25_g3ruh"}, 10.0, 19000.0, 0.0),
    ({"modulation": "dbpsk", "baud": 1200, "framing": "ax25"}, 10.0, 1100.0, -12.0),
]


@pytest.mark.parametrize("options,snr,carrier,drift", AUDIO_CASES, ids=lambda v: str(v))
def test_ssb_audio_roundtrip(options, snr, carrier, drift, rng):
    fs = 48e3
    x, starts = stream(options, fs, snr, rng, cfo=0.0, drift=drift, carrier=carrier)
    frames = run(receiver(options, fs, audio=True), x)
    tol = 0.01 * make_params(options).symbol_rate
    check_frames(frames, starts, fs, options, lambda t: carrier + drift * t, tol, snr)
    assert all(f.fields["audio_carrier_hz"] == f.freq_offset_hz for f in frames)


def test_weak_9600_frames_decode_at_9_db(rng):
    # ideal coherent BPSK needs about 8.5 dB for a 50-byte G3RUH frame 9 times in 10
    x, _ = stream(G3RUH_9600, 48e3, 9.0, rng, n_frames=12, carrier=11800.0)
    frames = run(receiver(G3RUH_9600, 48e3, audio=True), x)
    assert sum(f.payload == PAYLOAD for f in frames) >= 11
    assert all(f.payload == PAYLOAD for f in frames)


# -- soft symbols against theory ------------------------------------------------------


def q_func(x: float) -> float:
    return 0.5 * erfc(x / math.sqrt(2))


def measured_ber(modulation: str, ebn0: float, rng, detector: str = "coherent", n=60000):
    """BER of the demodulator's hard decisions on random channel bits (no framing)."""
    options = {"modulation": modulation, "baud": 9600}
    if modulation.startswith("dbpsk"):
        options["detector"] = detector
    p = make_params(options)
    fs = 48e3
    bits = rng.integers(0, 2, n).astype(np.uint8)
    x = np.concatenate([np.zeros(2000, np.complex64), modulate_bits(p, bits, fs)])
    y = channel(x, fs, snr_db=ebn0, signal_bw=p.baud, cfo_hz=150.0, rng=rng, signal_power=1.0)
    demod = Demodulator(p, fs, offset_margin=0.1 * p.symbol_rate)
    soft = np.concatenate([demod.process(y[s : s + 8192])[0] for s in range(0, len(y), 8192)])
    hard = (soft > 0).astype(np.uint8)
    # align on a stretch after acquisition (and the polarity, for coherent BPSK)
    ref = 2.0 * bits[3000:5000] - 1.0
    c = np.correlate(2.0 * hard[:8000].astype(float) - 1.0, ref, "valid")
    k = int(np.argmax(np.abs(c)))
    got = hard[k : k + n - 3100]
    if c[k] < 0:
        got = 1 - got
    return float(np.mean(got != bits[3000 : 3000 + len(got)]))


def ebn0_at(ber_of, target: float, lo: float, hi: float) -> float:
    """Eb/N0 (dB) where the BER curve crosses ``target`` (log-linear between lo and hi)."""
    b_lo, b_hi = ber_of(lo), ber_of(hi)
    f = (math.log(b_lo) - math.log(target)) / (math.log(b_lo) - math.log(b_hi))
    return lo + f * (hi - lo)


def test_coherent_bpsk_ber_is_within_half_a_db_of_theory(rng):
    # theory: 1e-3 at 6.79 dB; measured within 0.05 dB of it (120k bits: +-0.05 dB)
    need = ebn0_at(lambda e: measured_ber("bpsk", e, rng, n=120000), 1e-3, 6.0, 7.5)
    theory = ebn0_at(lambda e: q_func(math.sqrt(2 * 10 ** (e / 10))), 1e-3, 6.0, 7.5)
    assert -0.15 <= need - theory <= 0.3, (need, theory)


def test_dbpsk_coherent_beats_differential_detection(rng):
    e = 7.0
    p = q_func(math.sqrt(2 * 10 ** (e / 10)))
    coherent, differential = 2 * p * (1 - p), 0.5 * math.exp(-(10 ** (e / 10)))
    got_c = measured_ber("dbpsk", e, rng, "coherent", n=100000)
    got_d = measured_ber("dbpsk", e, rng, "differential", n=100000)
    # within 0.5 dB of their theories (BER factor ~1.6 here) and coherent ahead
    assert coherent * 0.8 < got_c < coherent * 1.6, (got_c, coherent)
    assert differential * 0.8 < got_d < differential * 1.6, (got_d, differential)
    assert got_c < 0.75 * got_d


def test_manchester_dbpsk_ber(rng):
    e = 7.0
    p = q_func(math.sqrt(2 * 10 ** (e / 10)))
    got = measured_ber("dbpsk_manchester", e, rng, "coherent", n=40000)
    assert got < 2.0 * (2 * p * (1 - p)), got


# -- robustness -----------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["ax25", "ax25_g3ruh", "ax100", "ax5043"])
def test_noise_alone_gives_no_valid_frame(framing, rng):
    options = {"modulation": "dbpsk" if framing == "ax25" else "bpsk", "framing": framing}
    options["baud"] = 1200 if framing in ("ax25", "ax5043") else 9600
    n = 600_000
    iq = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    assert not [f for f in run(receiver(options, 250e3), iq) if f.crc_ok]
    audio = rng.standard_normal(n).astype(np.float32) * 0.1
    assert not [f for f in run(receiver(options, 48e3, audio=True), audio) if f.crc_ok]


def test_block_size_independence(rng):
    x, _ = stream(G3RUH_9600, 48e3, 12.0, rng, carrier=12300.0, drift=-100.0)
    ref = None
    for block in (777, 4096, 65536, len(x)):
        frames = run(receiver(G3RUH_9600, 48e3, audio=True), x, block)
        got = [(f.sample_index, f.payload, round(f.freq_offset_hz, 6), round(f.snr_db, 6))
               for f in frames]  # fmt: skip
        assert len(got) == 3
        ref = ref or got
        assert got == ref
    y, _ = stream(
        {"modulation": "dbpsk_manchester", "baud": 400, "framing": "ax25"},
        48e3,
        12.0,
        rng,
        n_frames=2,
        cfo=-800.0,
    )
    opts = {"modulation": "dbpsk_manchester", "baud": 400, "framing": "ax25"}
    a = run(receiver(opts, 48e3), y, 1000)
    b = run(receiver(opts, 48e3), y, 100000)
    assert len(a) == 2
    assert [(f.sample_index, f.payload, round(f.freq_offset_hz, 6)) for f in a] == [
        (f.sample_index, f.payload, round(f.freq_offset_hz, 6)) for f in b
    ]


def test_sample_index_is_absolute_with_offset_start_and_gap(rng):
    x, starts = stream(G3RUH_9600, 250e3, 15.0, rng, n_frames=2, gap_s=0.2)
    rx = receiver(G3RUH_9600, 250e3)
    cut = int(starts[1] - 20000)  # a device gap of 5000 samples before the second frame
    frames = rx.process(SampleBlock(x[:cut], 10_000))
    frames += rx.process(SampleBlock(x[cut:], 10_000 + cut + 5000))
    frames += rx.flush()
    assert len(frames) == 2
    sym = 250e3 / 9600
    assert abs(frames[0].sample_index - (10_000 + starts[0])) <= sym
    assert abs(frames[1].sample_index - (10_000 + 5000 + starts[1])) <= sym


def test_garbage_and_nan_input_give_nothing_or_a_clear_error(rng):
    rx = receiver(G3RUH_9600, 48e3, audio=True)
    junk = rng.standard_normal(200_000).astype(np.float32) * 1e6
    junk[::7] = np.nan
    junk[3::11] = np.inf
    frames = run(rx, junk)
    frames += run(rx, np.zeros(100_000, np.float32))
    assert not [f for f in frames if f.crc_ok]
    # still decodes after the garbage
    x, _ = stream(G3RUH_9600, 48e3, 15.0, rng, n_frames=1, carrier=12000.0)
    rx = receiver(G3RUH_9600, 48e3, audio=True)
    rx.process(SampleBlock(junk, 0))
    assert [f.payload for f in run(rx, x, start=len(junk))] == [PAYLOAD]
    with pytest.raises(InputError, match="real audio"):
        rx.process(SampleBlock(np.zeros(10, np.complex64), 0))
    with pytest.raises(InputError, match="one-dimensional"):
        rx.process(SampleBlock(np.zeros((10, 2), np.float32), 0))
    with pytest.raises(InputError, match="too low"):
        receiver(G3RUH_9600, 16e3)
    with pytest.raises(InputError, match="too low"):
        receiver(G3RUH_9600, 22.05e3, audio=True)
    with pytest.raises(InputError, match="does not fit"):
        receiver(dict(G3RUH_9600, audio_carrier=3000), 48e3, audio=True)


def test_bad_options_are_config_errors():
    for bad, msg in [
        ({"modulation": "qpsk"}, "modulation"),
        ({"baud": 100}, "baud"),
        ({"baud": "fast"}, "baud"),
        ({"rrc_alpha": 2}, "rrc_alpha"),
        ({"invert": True}, "dbpsk"),
        ({"modulation": "dbpsk", "invert": "maybe"}, "invert"),
        ({"detector": "magic"}, "detector"),
        ({"carrier_search": -5}, "carrier_search"),
        ({"costas_bw": float("nan")}, "costas_bw"),
        ({"af_carrier": 1700}, "unknown BPSK option"),
        ({"framing": "nonsense"}, "unknown framing"),
    ]:
        with pytest.raises(ConfigError, match=msg):
            make_params(bad)


def test_params_defaults_and_aliases():
    p = make_params({})
    assert (p.modulation, p.baud, p.framing, p.rrc_alpha) == ("bpsk", 9600.0, "ax25_g3ruh", 0.35)
    assert p.snr_bandwidth == 9600.0 and p.invert is None and p.audio_carrier is None
    m = make_params({"modulation": "DBPSK Manchester", "baud": "400", "framing": "AX.25"})
    assert (m.modulation, m.symbol_rate, m.framing) == ("dbpsk_manchester", 800.0, "ax25")
    assert make_params({"audio_carrier": "1.5k"}).audio_carrier == 1500.0
    assert make_params({"audio_carrier": "search"}).audio_carrier is None
    assert make_params({"modulation": "dbpsk", "invert": "false"}).invert is False


def test_carrier_search_off_and_fixed_audio_carrier(rng):
    x, _ = stream(G3RUH_9600, 250e3, 15.0, rng, n_frames=1, cfo=5000.0)
    assert not run(receiver(dict(G3RUH_9600, carrier_search=0), 250e3), x)
    y, _ = stream(G3RUH_9600, 250e3, 15.0, rng, n_frames=1, cfo=200.0)
    assert len(run(receiver(dict(G3RUH_9600, carrier_search=0), 250e3), y)) == 1
    a, _ = stream(G3RUH_9600, 48e3, 15.0, rng, n_frames=1, carrier=10500.0)
    frames = run(receiver(dict(G3RUH_9600, audio_carrier=10500), 48e3, audio=True), a)
    assert [f.payload for f in frames] == [PAYLOAD]
    assert abs(frames[0].freq_offset_hz - 10500) < 20


def test_protocol_registry_and_cli_options():
    from sdrlink.cli.common import cli_protocol_options
    from sdrlink.cli.main import build_parser

    proto = get_protocol("bpsk")
    argv = ["decode", "x.wav", "-p", "bpsk", "--modulation", "dbpsk", "--baud", "1.2k",
            "--framing", "AX.25", "--audio-carrier", "1100"]  # fmt: skip
    opts = cli_protocol_options(build_parser(argv).parse_args(argv), "bpsk")
    assert opts == {
        "modulation": "dbpsk",
        "baud": "1.2k",
        "framing": "AX.25",
        "audio_carrier": "1100",
    }
    p = make_params(opts)
    assert (p.modulation, p.baud, p.framing, p.audio_carrier) == ("dbpsk", 1200.0, "ax25", 1100.0)
    assert proto.normalize_options(opts) == proto.normalize_options(
        {"modulation": "dbpsk", "baud": 1200, "framing": "ax25", "audio_carrier": 1100.0}
    )
    assert proto.carries_ax25(opts)
    # receiver-only options are not offered by 'sdrlink simulate'
    sim = ["simulate", "out", "-p", "bpsk", "--audio-carrier", "1100"]
    with pytest.raises(SystemExit):
        build_parser(sim).parse_args(sim)
    wave = proto.modulate(opts, PAYLOAD, 48e3)
    assert wave.dtype == np.complex64 and abs(np.mean(np.abs(wave) ** 2) - 1) < 0.05


def test_simulate_then_decode_through_the_api(tmp_path):
    import sdrlink
    from sdrlink.simulate import simulate_recording

    opts = {"modulation": "bpsk", "baud": 9600, "framing": "ax25_g3ruh"}
    truth = simulate_recording(
        tmp_path / "sim", "bpsk", opts, sample_rate=250e3, center_freq=436e6, count=3,
        interval_s=0.4,
        first_s=0.2, snr_db=12.0, cfo_hz=-6000.0, drift_hz_s=300.0, seed=5,
    )  # fmt: skip
    frames = sdrlink.decode(truth.meta_path, protocol="bpsk", **opts)
    assert [f.payload for f in frames] == [t.payload for t in truth.frames]
    for f, t in zip(frames, truth.frames, strict=True):
        assert abs(f.freq_offset_hz - t.offset_hz) < 100
        assert abs(f.snr_db - 12.0) < 1.0


@pytest.mark.parametrize("baud,offset_s", [(1200, 120.0), (9600, 328.0), (1200, 328.0)])
def test_leo_pass_blind_and_with_the_tle(tmp_path, baud, offset_s):
    """An ISS pass at 436 MHz: Doppler near 10 kHz (1200 Bd, 120 s in) or its fastest drift
    (-170 Hz/s, near the closest approach): found blind, and with the TLE stage."""
    from pass_util import STATION, TLE, iss_recording

    from sdrlink.api import decode_source
    from sdrlink.doppler.stage import make_doppler_stage
    from sdrlink.sources import open_source

    opts = {"modulation": "bpsk", "baud": baud, "framing": "ax25_g3ruh"}
    res = iss_recording(tmp_path / "pass", "bpsk", opts, offset_s, snr_db=12.0, seed=3)
    sent = [f.payload for f in res.frames]
    assert len(sent) == 4
    with open_source(res.meta_path) as src:
        blind = decode_source(src, "bpsk", options=opts).frame_list
    assert [f.payload for f in blind] == sent
    # the truth is given at each burst's first sample; the frame starts after the
    # preamble: move it along the Doppler curve (linear between bursts 2 s apart)
    fs = 250e3
    for k, (f, t) in enumerate(zip(blind, res.frames, strict=True)):
        a, b = (k, k + 1) if k + 1 < len(res.frames) else (k - 1, k)
        ta, tb = res.frames[a], res.frames[b]
        slope = (tb.offset_hz - ta.offset_hz) / ((tb.sample_start - ta.sample_start) / fs)
        want = t.offset_hz + slope * (f.sample_index - t.sample_start) / fs
        assert abs(f.freq_offset_hz - want) < 0.01 * baud
        assert abs(f.fields["drift_hz_s"] - slope) < 0.05 * baud
    with open_source(res.meta_path) as src:
        stage = make_doppler_stage(str(TLE), "ISS", STATION, src.info)
        tle = decode_source(src, "bpsk", options=opts, stages=[stage]).frame_list
    assert [f.payload for f in tle] == sent
    assert all(abs(f.fields["residual_hz"]) < 50 for f in tle)


@pytest.mark.parametrize(
    "audio,carrier,tones",
    [
        (True, 11500.0, [(3000.0, 30.0), (21000.0, 20.0)]),  # birdies out of the signal band
        (False, 4000.0, [(-9000.0, 30.0)]),
        (True, 1500.0, [(5000.0, 30.0), (3100.0, 20.0)]),
    ],
)
def test_strong_tones_elsewhere_do_not_capture_the_carrier_search(audio, carrier, tones, rng):
    """A tone squared is a line too: the search must not take a birdie for the carrier."""
    opts = dict(G3RUH_9600, baud=1200 if carrier < 2000 else 9600)
    fs = 48e3 if audio else 250e3
    x, starts = stream(opts, fs, 12.0, rng, carrier=carrier if audio else None,
                       cfo=0.0 if audio else carrier)  # fmt: skip
    n = np.arange(len(x))
    for f, db in tones:  # power relative to the signal's
        amp = 10 ** (db / 20)
        if audio:
            x = x + (AUDIO_RMS * math.sqrt(2) * amp * np.cos(2 * np.pi * f / fs * n)).astype(
                np.float32
            )
        else:
            x = x + (amp * np.exp(2j * np.pi * f / fs * n)).astype(np.complex64)
    frames = run(receiver(opts, fs, audio=audio), x)
    assert [f.payload for f in frames] == [PAYLOAD] * 3
    assert all(abs(f.freq_offset_hz - carrier) < 5 for f in frames)
