"""LoRa receiver streaming behaviour, robustness and configuration."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import channel
from sdrlink.errors import ConfigError, InputError
from sdrlink.protocols import get_protocol
from sdrlink.protocols.lora import LoRaParams, encode_symbols, make_receiver, modulate
from sdrlink.protocols.lora.modulator import modulate_symbols


def decode(x, fs, options, block=65536):
    rx = make_receiver(options, StreamInfo(sample_rate=fs))
    frames = []
    for s in range(0, len(x), block):
        frames += rx.process(SampleBlock(x[s : s + block], s))
    return frames + rx.flush()


def _signal(rng, fs=1.024e6):
    p7, p9 = LoRaParams(sf=7), LoRaParams(sf=9, cr=3)
    parts = [
        np.zeros(3000, np.complex64),
        modulate(p7, b"first sf7 frame", fs),
        np.zeros(7777, np.complex64),
        modulate(p9, b"then an sf9 one", fs),
        np.zeros(5000, np.complex64),
        modulate(p7, b"last", fs),
        np.zeros(4000, np.complex64),
    ]
    x = np.concatenate(parts)
    return channel(
        x, fs, snr_db=0.0, signal_bw=125e3, cfo_hz=1234.0, sfo_ppm=10.0, rng=rng, signal_power=1.0
    )


def test_frames_do_not_depend_on_block_size(rng):
    fs = 1.024e6
    x = _signal(rng, fs)
    opts = {"sf": [7, 9], "bw": 125e3}
    results = [
        [f.to_dict() for f in decode(x, fs, opts, block)] for block in (1000, 65536, 10_000_000)
    ]
    assert results[0] == results[1] == results[2]
    assert [bytes.fromhex(d["payload"]) for d in results[0]] == [
        b"first sf7 frame",
        b"then an sf9 one",
        b"last",
    ]


def _half_chip_frame(seed: int = 10, fs: float = 1e6):
    """A weak SF7 frame at 8x oversampling that starts half a chip off the chip grid."""
    rng = np.random.default_rng(seed)
    p = LoRaParams(sf=7, bw=125e3, cr=1)
    payload = bytes(rng.integers(0, 256, 16, dtype=np.uint8))
    lead = int(rng.integers(128, 384)) * 8 + 4
    sig = np.concatenate(
        [np.zeros(lead, np.complex64), modulate(p, payload, fs), np.zeros(2048, np.complex64)]
    )
    cfo = float(rng.uniform(-2e4, 2e4))
    y = channel(sig, fs, snr_db=-9.0, signal_bw=125e3, cfo_hz=cfo, rng=rng, signal_power=1.0)
    return y, payload


def test_half_chip_start_is_detected_at_half_bin_offsets(monkeypatch):
    """The near-miss re-check finds a preamble whose windows straddle a phase jump of ~pi."""
    from sdrlink.protocols.lora import sync

    fs = 1e6
    y, payload = _half_chip_frame(fs=fs)
    opts = {"sf": [7], "bw": 125e3}
    results = [
        [f.to_dict() for f in decode(y, fs, opts, block)] for block in (1000, 65536, 10_000_000)
    ]
    assert results[0] == results[1] == results[2]
    assert [(bytes.fromhex(d["payload"]), d["crc_ok"]) for d in results[0]] == [(payload, True)]
    monkeypatch.setattr(sync, "RESCUE_RATIO", float("inf"))  # re-check off: the frame is lost
    assert not [f for f in decode(y, fs, opts) if f.crc_ok]


def test_noise_only_gives_no_valid_frame(rng):
    fs = 250e3
    x = (rng.standard_normal(2_000_000) + 1j * rng.standard_normal(2_000_000)).astype(np.complex64)
    frames = decode(x, fs, {"sf": [7, 8, 9, 10, 11, 12], "bw": 125e3})
    assert [f for f in frames if f.crc_ok] == []


def test_frame_cut_off_at_the_end(rng):
    fs = 250e3
    p = LoRaParams(sf=8)
    x = modulate(p, bytes(40), fs)
    whole = np.concatenate([np.zeros(5000, np.complex64), x])
    for cut in (len(whole) // 3, len(whole) // 2, len(whole) - 600):
        frames = decode(whole[:cut], fs, {"sf": [8]})
        assert [f for f in frames if f.crc_ok] == []
    assert [f.payload for f in decode(whole, fs, {"sf": [8]})] == [bytes(40)]


def test_symbols_lost_to_silence_beyond_the_fec_make_the_frame_invalid():
    """Found by benchmarks/fuzz.py: a frame cut at 90 % and followed by silence (and
    one wrong symbol) read its missing symbols as bin 0, and LoRa's weak CRC held
    over those guesses. A block with more silent symbols than its Hamming code
    corrects is not valid; one silent symbol in a CR 4/7 block is corrected."""
    fs = 125e3
    p = LoRaParams(sf=7, cr=3)
    payload = b'\x07\xe8"\xb0\xef\xfc\xfa/'
    sym = encode_symbols(p, payload).copy()
    sym[21721 % len(sym)] = 248 % 128
    wave = modulate_symbols(p, sym, fs)
    x = np.concatenate(
        [np.zeros(3000, np.complex64), wave[: int(len(wave) * 0.9)], np.zeros(5000, np.complex64)]
    )
    frames = decode(x, fs, {"sf": [7], "cr": 3})
    assert frames and all(f.crc_ok is False for f in frames)
    # silence inside the frame: one symbol of a payload block (corrected), then two
    n = 128
    data0 = int((8 + 2 + 2.25) * n)
    clean = modulate_symbols(p, encode_symbols(p, payload), fs)
    for lost, valid in (([9], True), ([9, 10], False)):
        y = clean.copy()
        for j in lost:
            y[data0 + j * n : data0 + (j + 1) * n] = 0
        y = np.concatenate([np.zeros(3000, np.complex64), y, np.zeros(5000, np.complex64)])
        frames = decode(y, fs, {"sf": [7], "cr": 3})
        assert [(f.payload == payload, f.crc_ok) for f in frames] in (
            ([(True, True)],) if valid else ([(True, False)], [(False, False)])
        ), lost


def test_corrupted_header_is_dropped_quietly(rng):
    fs = 250e3
    p = LoRaParams(sf=7)
    sym = encode_symbols(p, b"header will be damaged")
    sym[:8] = (sym[:8] + 37) % 128  # wreck the header block
    x = np.concatenate(
        [np.zeros(2000, np.complex64), modulate_symbols(p, sym, fs), np.zeros(2000, np.complex64)]
    )
    frames = decode(x, fs, {"sf": [7]})
    assert [f for f in frames if f.crc_ok] == []


def test_frame_fields(rng):
    fs = 500e3
    p = LoRaParams(sf=10, bw=250e3, cr=2, sync_word=0x34, preamble_len=10)
    x = np.concatenate(
        [np.zeros(1234, np.complex64), modulate(p, b"fields", fs), np.zeros(1000, np.complex64)]
    )
    x = channel(x, fs, cfo_hz=-7000.0, rng=rng)
    (f,) = decode(x, fs, {"sf": [10], "bw": 250e3, "sync_word": 0x34, "preamble_len": 10})
    assert f.protocol == "lora" and f.payload == b"fields" and f.crc_ok is True
    assert abs(f.sample_index - 1234) <= 1
    assert abs(f.freq_offset_hz + 7000.0) < 60
    assert f.fields["sf"] == 10 and f.fields["cr"] == 2 and f.fields["sync_word"] == 0x34
    assert f.fields["header_ok"] is True and f.fields["ldro"] is False
    assert f.snr_db > 15


def _cli_options(argv: list[str]) -> dict:
    from sdrlink.cli.common import cli_protocol_options
    from sdrlink.cli.main import build_parser

    args = ["decode", "x.cf32", "-p", "lora", *argv]
    return cli_protocol_options(build_parser(args).parse_args(args), "lora")


def test_cli_options_are_parsed():
    proto = get_protocol("lora")
    opts = proto.normalize_options(
        _cli_options(
            [
                "--sf",
                "7,9",
                "--bw",
                "250k",
                "--cr",
                "4/7",
                "--implicit",
                "--length",
                "20",
                "--no-crc",
                "--ldro",
                "on",
                "--sync",
                "0x34",
                "--preamble",
                "12",
                "--channel=-200k,+100k",
            ]
        )
    )
    assert opts == {
        "sf": [7, 9],
        "bw": 250e3,
        "cr": 3,
        "implicit_header": True,
        "payload_len": 20,
        "crc": False,
        "ldro": True,
        "sync_word": 0x34,
        "preamble_len": 12,
        "channels": [-200e3, 100e3],
    }
    p = proto.make_params(opts)
    assert (p.sf, p.bw, p.cr, p.payload_len, p.ldro_on) == (7, 250e3, 3, 20, True)
    assert _cli_options([]) == {}
    assert proto.make_params({"sf": "all"}).sf == 5


@pytest.mark.parametrize(
    "opts",
    [
        {"sf": "13"},
        {"bw": "1M"},
        {"cr": "4/9"},
        {"ldro": "maybe"},
        {"sync_word": 300},
        {"preamble_len": 4},
        {"implicit_header": True},
        {"bw": "fast"},
    ],
)
def test_bad_parameters_raise_config_error(opts):
    with pytest.raises(ConfigError):
        get_protocol("lora").make_params(opts)


def test_receiver_rejects_bad_streams():
    with pytest.raises(ConfigError):
        make_receiver({"bw": 125e3}, StreamInfo(sample_rate=100e3))
    with pytest.raises(InputError):
        make_receiver({}, StreamInfo(sample_rate=250e3, is_complex=False))
    with pytest.raises(ConfigError):
        make_receiver({"channels": [400e3]}, StreamInfo(sample_rate=250e3))


def test_ldro_auto_threshold():
    assert not LoRaParams(sf=10, bw=125e3).ldro_on  # 8.2 ms
    assert LoRaParams(sf=11, bw=125e3).ldro_on  # 16.4 ms
    assert LoRaParams(sf=9, bw=31.25e3).ldro_on  # 16.4 ms
    assert LoRaParams(sf=12, bw=500e3).ldro_on is False


def test_memory_stays_flat_on_long_streams(rng):
    fs = 1e6
    rx = make_receiver({"sf": [7, 12], "bw": 125e3}, StreamInfo(sample_rate=fs))
    block = (rng.standard_normal(1 << 16) + 1j * rng.standard_normal(1 << 16)).astype(np.complex64)
    sizes = []
    for i in range(120):
        rx.process(SampleBlock(block, i << 16))
        if i in (40, 119):
            sizes.append((len(rx.raw._data), len(rx.channels[0].stream._data)))
    assert sizes[0] == sizes[1]  # buffers stopped growing after the first seconds
    assert sizes[1][0] < 4 * fs  # a few seconds of raw input at most
