"""Synthetic round trips: own modulator + sdrlink.channel -> FSK receiver."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import channel
from sdrlink.errors import ConfigError, InputError
from sdrlink.framing.ax25 import ui_frame
from sdrlink.protocols import get_protocol
from sdrlink.protocols.fsk import FskReceiver, make_params, modulate, modulate_audio
from sdrlink.protocols.fsk.modulator import frame_start_symbol

FS = 250_000.0
PAYLOAD = ui_frame("CQ", "TEST-1", b"sdrlink synthetic frame 0123456789")


def run(rx: FskReceiver, x: np.ndarray, block: int = 65536) -> list:
    out = []
    for s in range(0, len(x), block):
        out += rx.process(SampleBlock(x[s : s + block], s))
    return out + rx.flush()


def iq_burst(
    options: dict,
    payload: bytes,
    snr_db: float,
    cfo: float,
    rng,
    pad: int = 6000,
    sfo_ppm: float = 0.0,
) -> tuple[np.ndarray, dict]:
    p = make_params(options)
    x = modulate(p, payload, FS)
    x = np.concatenate([np.zeros(pad, np.complex64), x, np.zeros(pad, np.complex64)])
    bw = 2 * (p.deviation + p.baud)
    y = channel(
        x, FS, snr_db=snr_db, signal_bw=bw, cfo_hz=cfo, sfo_ppm=sfo_ppm, rng=rng, signal_power=1.0
    )
    return y, {"pad": pad}


# SNR in 2*(deviation + baud); each case decoded >= 7 of 8 random seeds 2 dB lower
CASES = [
    ({"modulation": "fsk", "baud": 1200, "framing": "ax25"}, 12, 1000),
    ({"modulation": "gmsk", "baud": 2400, "framing": "ax100"}, 18, -1500),
    ({"modulation": "fsk", "baud": 4800, "framing": "ax100"}, 10, 1500),
    ({"modulation": "gfsk", "baud": 9600, "framing": "ax25_g3ruh"}, 12, -3000),
    ({"modulation": "gmsk", "baud": 19200, "framing": "ax100"}, 15, 5000),
    ({"modulation": "afsk", "baud": 1200, "framing": "ax25"}, 16, 1500),
    ({"modulation": "fsk", "baud": 1200, "framing": "ax5043"}, 10, 500),
]


@pytest.mark.parametrize("options,snr,cfo", CASES, ids=lambda v: str(v))
def test_iq_roundtrip(options, snr, cfo, rng):
    payload = PAYLOAD if options["framing"] == "ax25" else PAYLOAD[:100]
    y, meta = iq_burst(options, payload, snr, cfo, rng)
    rx = FskReceiver(make_params(options), StreamInfo(FS, is_complex=True))
    frames = run(rx, y)
    assert [f.payload for f in frames] == [payload]
    f = frames[0]
    assert f.crc_ok is True and f.protocol == "fsk"
    p = make_params(options)
    start = meta["pad"] + frame_start_symbol(p) * FS / options["baud"]
    assert abs(f.sample_index - start) <= 0.15 * FS / options["baud"]  # measured 0.08 symbol
    # the carrier (AFSK too: the RF carrier) within 2 Hz + 0.1 % of the baud rate (measured
    # 8.3 Hz at 9600 Bd G3RUH, 1.1 Hz or less at 1200..4800 Bd)
    assert abs(f.freq_offset_hz - cfo) <= 2 + 1e-3 * options["baud"]
    # the SNR was set in 2 * (deviation + baud); the frame reports it in Carson's bandwidth
    truth = snr + 10 * np.log10(2 * (p.deviation + p.baud) / p.snr_bandwidth)
    assert abs(f.snr_db - truth) <= 0.5  # measured 0.24 dB


def test_iq_roundtrip_clock_offset(rng):
    options = {"modulation": "fsk", "baud": 9600, "framing": "ax25"}
    y, _ = iq_burst(options, PAYLOAD, 15, 0.0, rng, sfo_ppm=300)
    frames = run(FskReceiver(make_params(options), StreamInfo(FS, is_complex=True)), y)
    assert [f.payload for f in frames] == [PAYLOAD]


@pytest.mark.parametrize("invert", [False, True])
def test_audio_input_either_polarity(invert, rng):
    fs = 48_000.0
    for options in (
        {"modulation": "fsk", "baud": 9600, "framing": "ax100"},
        {"modulation": "fsk", "baud": 9600, "framing": "ax25_g3ruh"},
        {"modulation": "afsk", "baud": 1200, "framing": "ax25"},
    ):
        payload = PAYLOAD[:60]
        a = modulate_audio(make_params(options), payload, fs) * (-1 if invert else 1)
        a = 0.3 * a + 0.05  # level and DC as a real receiver would give
        a = np.concatenate([np.zeros(3000, np.float32), a, np.zeros(3000, np.float32)])
        a = (a + 0.02 * rng.standard_normal(len(a))).astype(np.float32)
        rx = FskReceiver(make_params(options), StreamInfo(fs, is_complex=False))
        frames = run(rx, a, 4096)
        assert [f.payload for f in frames] == [payload], options
        if options["framing"] == "ax100":
            assert frames[0].fields["inverted"] is invert


def test_block_size_independence_iq(rng):
    options = {"modulation": "gfsk", "baud": 9600, "framing": "ax25_g3ruh"}
    parts = [iq_burst(options, PAYLOAD[: 30 + 10 * k], 12, 800, rng)[0] for k in range(3)]
    y = np.concatenate(parts)
    results = []
    for bs in (1000, 65536, 10_000_000):
        frames = run(FskReceiver(make_params(options), StreamInfo(FS, is_complex=True)), y, bs)
        results.append([(f.sample_index, f.payload, round(f.freq_offset_hz, 3)) for f in frames])
    assert len(results[0]) == 3
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("framing", ["ax25", "ax25_g3ruh", "ax100", "ax5043"])
def test_noise_only_gives_no_valid_frame(framing, rng):
    noise = (rng.standard_normal(400_000) + 1j * rng.standard_normal(400_000)).astype(np.complex64)
    options = {"modulation": "fsk", "baud": 9600, "framing": framing}
    frames = run(FskReceiver(make_params(options), StreamInfo(FS, is_complex=True)), noise)
    assert [f for f in frames if f.crc_ok] == []


def test_garbage_audio_does_not_raise(rng):
    options = {"modulation": "fsk", "baud": 4800, "framing": "ax100"}
    rx = FskReceiver(make_params(options), StreamInfo(48_000, is_complex=False))
    junk = np.sign(rng.standard_normal(200_000)).astype(np.float32)  # random hard bits
    junk[::7] = np.nan
    frames = run(rx, np.nan_to_num(junk))
    assert all(f.crc_ok for f in frames) and len(frames) == 0


def test_bad_input_and_options():
    rx = FskReceiver(make_params({}), StreamInfo(FS, is_complex=True))
    with pytest.raises(InputError):
        rx.process(SampleBlock(np.zeros(10, np.float32), 0))
    with pytest.raises(InputError):
        FskReceiver(make_params({"baud": 9600}), StreamInfo(8000, is_complex=True))
    for bad in (
        {"modulation": "qpsk"},
        {"framing": "hdlc9"},
        {"baud": "fast"},
        {"afsk_tones": "1200"},
        {"bt": 9},
        {"colour": 1},
    ):
        with pytest.raises(ConfigError):
            make_params(bad)


def test_params_defaults_and_aliases():
    p = make_params({"modulation": "gmsk", "baud": 9600, "framing": "AX100 ASM+Golay"})
    assert p.deviation == 2400 and p.framing == "ax100"
    assert make_params({"framing": "AX.25 G3RUH"}).framing == "ax25_g3ruh"
    assert make_params({"modulation": "FSK", "framing": "AX5043"}).framing == "ax5043"
    assert make_params({"framing": " ax.25 "}).framing == "ax25"


@pytest.mark.parametrize(
    "name", ["AX.25 (AFSK 1200, Bell 202 tones)", "AX100 Reed Solomon x", "ax"]
)
def test_framing_names_are_matched_exactly_not_by_substring(name):
    with pytest.raises(ConfigError, match="unknown framing .* choose one of: ax25, ax25_g3ruh"):
        make_params({"framing": name})
    assert make_params({"modulation": "afsk", "afsk_tones": "1200,2200"}).afsk_tones == (
        1200.0,
        2200.0,
    )


def _cli_options(*argv: str) -> dict:
    from sdrlink.cli.common import cli_protocol_options
    from sdrlink.cli.main import build_parser

    args = ["decode", "x.wav", "-p", "fsk", *argv]
    return cli_protocol_options(build_parser(args).parse_args(args), "fsk")


def test_protocol_registry_entry_and_cli_options():
    proto = get_protocol("fsk")
    opts = _cli_options("--baud", "4.8k", "--framing", "ax100", "--afsk-tones", "1,2")
    assert opts == {"baud": "4.8k", "framing": "ax100", "afsk_tones": "1,2"}
    assert proto.make_params(opts).baud == 4800.0
    x = proto.modulate(proto.make_params({"baud": 9600}), b"\x01" * 20, FS)
    assert x.dtype == np.complex64 and np.allclose(np.abs(x), 1, atol=1e-3)


def test_sample_index_is_absolute_with_offset_start_and_gap(rng):
    options = {"modulation": "fsk", "baud": 9600, "framing": "ax100"}
    y, meta = iq_burst(options, PAYLOAD[:50], 20, 0.0, rng)
    ref = run(FskReceiver(make_params(options), StreamInfo(FS, is_complex=True)), y)
    assert len(ref) == 1
    rx = FskReceiver(make_params(options), StreamInfo(FS, is_complex=True))
    first = 2000  # a block lost after the first one: later indices jump by 500
    frames = rx.process(SampleBlock(y[:first], 10_000))
    frames += rx.process(SampleBlock(y[first:], 10_000 + first + 500, lost=500))
    frames += rx.flush()
    assert [f.payload for f in frames] == [ref[0].payload]
    assert frames[0].sample_index == ref[0].sample_index + 10_500


def test_large_carrier_offset_is_followed(rng):
    # within the default acceptance (max_offset = baud): the FLL re-centres the narrow filter
    options = {"modulation": "fsk", "baud": 9600, "framing": "ax25_g3ruh"}
    y, _ = iq_burst(options, PAYLOAD, 12, 8000.0, rng)
    frames = run(FskReceiver(make_params(options), StreamInfo(FS, is_complex=True)), y)
    assert [f.payload for f in frames] == [PAYLOAD]
    assert abs(frames[0].freq_offset_hz - 8000.0) <= 12.0  # measured 7.5 Hz


def test_gmsk_9600_decodes_every_frame_at_10_db():
    """A clock-recovery symbol slip once lost most of these frames even at 12-13 dB."""
    options = {"modulation": "gmsk", "baud": 9600, "framing": "ax100"}
    payload = PAYLOAD[:100]
    decoded = 0
    for seed in range(8):
        y, _ = iq_burst(options, payload, 10.0, 1200.0, np.random.default_rng(seed))
        rx = FskReceiver(make_params(options), StreamInfo(FS, is_complex=True))
        decoded += [f.payload for f in run(rx, y) if f.crc_ok] == [payload]
    assert decoded == 8


def _doppler_bursts(options: dict, rng, cfo: float, rate: float, snr: float = 14.0):
    """Three frames about 10 kHz off (LEO Doppler at 436 MHz), drifting, in noise."""
    p = make_params(options)
    payloads = [PAYLOAD[: 40 + 15 * k] for k in range(3)]
    parts = [np.zeros(30_000, np.complex64)]
    for payload in payloads:
        parts += [modulate(p, payload, FS), np.zeros(40_000, np.complex64)]
    y = channel(
        np.concatenate(parts),
        FS,
        snr_db=snr,
        signal_bw=2 * p.baud,
        cfo_hz=cfo,
        rate_hz_s=rate,
        rng=rng,
        signal_power=1.0,
    )
    return y, payloads


@pytest.mark.parametrize(
    "options",
    [
        {"modulation": "fsk", "baud": 1200, "deviation": 600, "framing": "ax25"},
        {"modulation": "afsk", "baud": 1200, "framing": "ax25"},
    ],
    ids=["fsk1200", "afsk1200"],
)
@pytest.mark.parametrize("cfo,rate", [(9500.0, -250.0), (-10500.0, 250.0)])
def test_slow_fsk_far_off_frequency_is_found_blind(options, cfo, rate, rng):
    """The carrier search re-centres what the 1200 Bd receivers alone cannot reach."""
    snr = 20.0 if options["modulation"] == "afsk" else 14.0
    y, payloads = _doppler_bursts(options, rng, cfo, rate, snr)
    frames = run(FskReceiver(make_params(options), StreamInfo(FS, is_complex=True)), y)
    assert [f.payload for f in frames] == payloads
    # the reported offset is the carrier's at the frame's first sample, found blind
    for f in frames:
        t = f.sample_index / FS
        assert abs(f.freq_offset_hz - (cfo + rate * t)) <= 1.5  # measured 0.9 Hz
        if options["modulation"] == "fsk":  # the drift over these 0.3-0.5 s frames too
            assert abs(f.fields["drift_hz_s"] - rate) <= 3.0  # measured 1.6 Hz/s
    off = make_params({**options, "carrier_search": 0})
    assert run(FskReceiver(off, StreamInfo(FS, is_complex=True)), y) == []


def test_carrier_search_does_not_depend_on_block_size(rng):
    options = {"modulation": "fsk", "baud": 1200, "deviation": 600, "framing": "ax25"}
    y, payloads = _doppler_bursts(options, rng, -9000.0, 300.0)
    results = []
    for bs in (999, 65536, 10_000_000):
        frames = run(FskReceiver(make_params(options), StreamInfo(FS, is_complex=True)), y, bs)
        results.append([(f.sample_index, f.payload, round(f.freq_offset_hz, 3)) for f in frames])
    assert [r[1] for r in results[0]] == payloads
    assert results[0] == results[1] == results[2]


def test_carrier_search_leaves_near_signals_and_noise_alone(rng):
    from sdrlink.protocols.fsk.acquire import CarrierSearch

    noise = (rng.standard_normal(300_000) + 1j * rng.standard_normal(300_000)).astype(np.complex64)
    cs = CarrierSearch(FS, 2400.0, 12e3, far_hz=2000.0)
    out = np.concatenate([cs.process(noise), cs.flush()])
    assert np.array_equal(out, noise)  # nothing found: mixed by exactly 0 Hz
    options = {"modulation": "fsk", "baud": 1200, "deviation": 600, "framing": "ax25"}
    y, _ = _doppler_bursts(options, rng, 1200.0, 0.0)
    cs = CarrierSearch(FS, 2400.0, 12e3, far_hz=2000.0)
    cs.process(y)
    assert cs.freq == 0.0  # within the receiver's own reach: left to it
    y, _ = _doppler_bursts(options, rng, 7000.0, 0.0)
    cs = CarrierSearch(FS, 2400.0, 12e3, far_hz=2000.0)
    cs.process(y)
    assert abs(cs.freq - 7000.0) < 700  # the flag preamble leans to one tone (600 Hz away)


def test_carrier_search_option():
    proto = get_protocol("fsk")
    opts = _cli_options("--carrier-search", "20k")
    assert proto.make_params(opts).carrier_search == 20000.0
    assert make_params({}).carrier_search == 12000.0
    assert make_params({"carrier_search": "20k"}).carrier_search == 20000.0
    assert make_params({"carrier_search": 0}).carrier_search == 0.0
    for bad in ("wide", -5, 5e6):
        with pytest.raises(ConfigError):
            make_params({"carrier_search": bad})
