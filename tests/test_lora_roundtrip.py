"""Transmitter -> channel -> receiver round trips over the LoRa parameter space."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import channel
from sdrlink.protocols.lora import LoRaParams, make_receiver, modulate


def _burst_train(params, payloads, fs, rng, gap_s=0.01):
    gap = np.zeros(int(gap_s * fs) + int(rng.integers(0, 1000)), dtype=np.complex64)
    parts, starts, pos = [], [], 0
    for pay in payloads:
        parts.append(gap)
        pos += len(gap)
        starts.append(pos)
        x = modulate(params, pay, fs)
        parts.append(x)
        pos += len(x)
    parts.append(gap)
    return np.concatenate(parts), starts


def decode(x, fs, options, block=65536):
    rx = make_receiver(options, StreamInfo(sample_rate=fs))
    frames = []
    for s in range(0, len(x), block):
        frames += rx.process(SampleBlock(x[s : s + block], s))
    return frames + rx.flush()


def options_of(p: LoRaParams, **extra):
    d = dict(
        sf=[p.sf],
        bw=p.bw,
        cr=p.cr,
        implicit_header=p.implicit_header,
        crc=p.crc,
        ldro=p.ldro,
        sync_word=p.sync_word,
        preamble_len=p.preamble_len,
    )
    if p.implicit_header:
        d["payload_len"] = p.payload_len
    d.update(extra)
    return d


def roundtrip(p, fs, rng, n=2, length=12, snr=None, cfo=0.0, sfo=0.0, rate=0.0, **extra):
    payloads = [bytes(rng.integers(0, 256, length, dtype=np.uint8)) for _ in range(n)]
    x, starts = _burst_train(p, payloads, fs, rng)
    y = channel(
        x,
        fs,
        snr_db=snr,
        signal_bw=p.bw,
        cfo_hz=cfo,
        sfo_ppm=sfo,
        rate_hz_s=rate,
        rng=rng,
        signal_power=1.0,
    )
    frames = decode(y, fs, options_of(p, **extra))
    good = [f for f in frames if f.crc_ok is not False]
    assert [f.payload for f in good] == payloads
    for f, s in zip(good, starts, strict=True):
        assert abs(f.sample_index - s) <= max(2, fs / p.bw * 2)
        assert abs(f.freq_offset_hz - cfo) < p.bw / (1 << p.sf) * 0.5 + abs(rate) * 2
    return good


@pytest.mark.parametrize("sf", [5, 6, 7, 8, 9, 10])
def test_each_sf_with_noise_and_offset(sf, rng):
    p = LoRaParams(sf=sf, bw=125e3, cr=1)
    frames = roundtrip(p, 250e3, rng, snr=0.0, cfo=3100.0)
    assert all(f.fields["sf"] == sf and f.crc_ok for f in frames)


@pytest.mark.parametrize("sf", [11, 12])
def test_long_symbols_with_ldro_auto(sf, rng):
    p = LoRaParams(sf=sf, bw=125e3, cr=2)
    assert p.ldro_on
    frames = roundtrip(p, 125e3, rng, n=1, length=8, snr=-5.0, cfo=-2000.0)
    assert frames[0].fields["ldro"] is True


@pytest.mark.parametrize("cr", [1, 2, 3, 4])
def test_each_coding_rate(cr, rng):
    frames = roundtrip(LoRaParams(sf=8, cr=cr), 250e3, rng, length=20, snr=2.0, cfo=-5000.0)
    assert all(f.fields["cr"] == cr for f in frames)


def test_implicit_header_no_crc(rng):
    p = LoRaParams(sf=8, cr=3, implicit_header=True, payload_len=9, crc=False)
    frames = roundtrip(p, 250e3, rng, length=9, snr=5.0)
    assert all(f.crc_ok is None and f.fields["implicit"] for f in frames)


def test_explicit_no_crc(rng):
    frames = roundtrip(LoRaParams(sf=7, cr=4, crc=False), 250e3, rng, snr=5.0)
    assert all(f.crc_ok is None for f in frames)


@pytest.mark.parametrize("ldro", [True, False])
def test_ldro_forced(ldro, rng):
    p = LoRaParams(sf=9, cr=1, ldro=ldro)
    frames = roundtrip(p, 250e3, rng, snr=3.0)
    assert all(f.fields["ldro"] is ldro for f in frames)


@pytest.mark.parametrize("sync", [0x12, 0x34, 0x56])
def test_sync_words(sync, rng):
    roundtrip(LoRaParams(sf=7, sync_word=sync), 250e3, rng, snr=5.0)


def test_wrong_sync_word_is_rejected(rng):
    p = LoRaParams(sf=7, sync_word=0x34)
    x, _ = _burst_train(p, [b"public frame"], 250e3, rng)
    assert decode(x, 250e3, options_of(LoRaParams(sf=7, sync_word=0x12))) == []


@pytest.mark.parametrize("preamble", [6, 12, 32])
def test_preamble_lengths(preamble, rng):
    roundtrip(LoRaParams(sf=8, preamble_len=preamble), 250e3, rng, snr=3.0)


@pytest.mark.parametrize(
    "bw,fs",
    [(125e3, 125e3), (125e3, 1e6), (125e3, 1.024e6), (250e3, 500e3), (500e3, 1e6), (62.5e3, 250e3)],
)
def test_bandwidths_and_sample_rates(bw, fs, rng):
    roundtrip(LoRaParams(sf=7, bw=bw), fs, rng, snr=0.0, cfo=bw / 20)


def test_sample_clock_offset(rng):
    roundtrip(LoRaParams(sf=9, cr=2), 250e3, rng, length=48, snr=5.0, cfo=2000.0, sfo=40.0)


def test_large_carrier_offset_beyond_quarter_band(rng):
    # 20 kHz at 62.5 kHz bandwidth is 0.32 BW
    roundtrip(LoRaParams(sf=8, bw=62.5e3), 250e3, rng, snr=5.0, cfo=20e3)


def test_leo_doppler_drift_sf12(rng):
    p = LoRaParams(sf=12, bw=125e3, cr=1)
    roundtrip(p, 125e3, rng, n=1, length=32, snr=-15.0, cfo=-18e3, rate=300.0)


def test_two_channels_and_two_sfs_at_once(rng):
    fs = 1e6
    a = modulate(LoRaParams(sf=7), b"channel A sf7", fs)
    b = modulate(LoRaParams(sf=9), b"channel B sf9", fs)
    n = max(len(a), len(b)) + 20000
    x = np.zeros(n, dtype=np.complex64)
    x[5000 : 5000 + len(a)] += channel(a, fs, cfo_hz=-200e3, rng=rng)
    x[9000 : 9000 + len(b)] += channel(b, fs, cfo_hz=+250e3, rng=rng)
    x = channel(x, fs, snr_db=20.0, signal_bw=fs, rng=rng, signal_power=1.0)
    frames = decode(x, fs, {"sf": [7, 9], "bw": 125e3, "channels": [-200e3, 250e3]})
    got = {(f.fields["channel_hz"], f.fields["sf"], f.payload) for f in frames if f.crc_ok}
    assert got == {(-200e3, 7, b"channel A sf7"), (250e3, 9, b"channel B sf9")}


@pytest.mark.parametrize("sfo", [-30.0, 25.0])
def test_clock_offset_over_a_long_frame_with_residual_drift(sfo, rng):
    # a Doppler-compressed SF11 frame: the timing walks about a chip over the frame
    p = LoRaParams(sf=11, cr=1)
    roundtrip(p, 250e3, rng, n=1, length=40, snr=-12.0, cfo=1500.0, sfo=sfo, rate=40.0)


@pytest.mark.parametrize("sf", [5, 6])
def test_sf5_sf6_put_two_upchirps_after_the_downchirps(sf):
    """SX126x layout: preamble, sync word, 2.25 down-chirps, 2 up-chirps, then data."""
    from sdrlink.api import decode
    from sdrlink.protocols import get_protocol

    lora = get_protocol("lora")
    p = lora.make_params({"sf": sf, "bw": 125e3, "preamble": 8})
    x = lora.modulate(p, b"abc", 125e3)  # one sample per chip
    n = 1 << sf
    k = np.arange(n)
    up0 = np.exp(1j * np.pi * (k * k / n - k))  # base up-chirp

    def value(sym_start):  # dechirped FFT peak of the up-chirp starting there
        seg = x[sym_start : sym_start + n] * np.conj(up0)
        return int(np.argmax(np.abs(np.fft.fft(seg))))

    assert [value(i * n) for i in range(8)] == [0] * 8
    assert (value(8 * n), value(9 * n)) == p.sync_values
    after_down = 12 * n + n // 4
    assert [value(after_down), value(after_down + n)] == [0, 0]
    # the receiver finds the frame at the first preamble chirp
    frames = decode(
        np.concatenate([np.zeros(500, np.complex64), x, np.zeros(4000, np.complex64)]),
        "lora",
        sample_rate=125e3,
        sf=sf,
        bw=125e3,
    )
    assert [f.payload for f in frames] == [b"abc"] and frames[0].sample_index == 500
