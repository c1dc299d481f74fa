"""FSK options the satellite descriptions use: negative deviation (inverted bits),
AFSK's fm_deviation, and sub-audio FSK (LilacSat-2's 300 Bd under FM voice)."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, iq_bursts, noise_iq, receive

from sdrlink.catalogue import find_satellite
from sdrlink.channel import channel
from sdrlink.errors import ConfigError
from sdrlink.protocols.fsk import make_params, modulate_audio
from sdrlink.protocols.fsk.modulator import frame_symbols, frequency


def _tx(sat: str, name_part: str) -> dict:
    (tx,) = [t for t in find_satellite(sat).transmitters if name_part in t.name]
    return dict(tx.options)


# --- negative deviation: gr-satellites' way to say the low tone is bit 1 ---------------------


def test_negative_deviation_is_magnitude_and_inversion():
    opts = _tx("EIRSAT-1", "GMSK downlink")
    assert opts["deviation"] == -2400
    p = make_params(opts)
    assert p.deviation == 2400 and p.invert is True
    assert make_params({**opts, "invert": "yes"}).invert is True
    with pytest.raises(ConfigError, match="negative deviation"):
        make_params({**opts, "invert": False})
    with pytest.raises(ConfigError, match="not be 0"):
        make_params({"deviation": 0})
    with pytest.raises(ConfigError, match="invert"):
        make_params({"invert": "maybe"})
    assert make_params({"invert": "false"}).invert is False  # text, not truthiness
    # the modulator sends the bits inverted: bit 1 on the low tone
    f = frequency(p, np.array([1, 1, 0, 0], np.uint8), 4 * p.baud)
    assert (f[:8] < 0).all() and (f[8:] > 0).all()


@pytest.mark.parametrize("name", ["GMSK downlink", "convolutional"])
def test_inverted_transmitter_round_trip(name, rng):
    opts = _tx("EIRSAT-1", name)
    payloads = [rng.integers(0, 256, 892, dtype=np.uint8).tobytes()]
    got = receive(opts, iq_bursts(opts, payloads, 9.0, -1200, rng), FS, block=30_000)
    assert [f.payload for f in got] == payloads
    assert got[0].fields["inverted"] is True
    # told the polarity, the receiver does not look for the other one
    plain = {**opts, "deviation": 2400}
    assert receive(opts, iq_bursts(plain, payloads, 12.0, 0, rng), FS) == []


# --- AFSK's FM deviation ----------------------------------------------------------------------


def test_fm_deviation_is_the_afsk_deviation(rng):
    opts = _tx("OOV-Cube", "AFSK")
    p = make_params(opts)
    assert p.deviation == 10_000 and p.afsk_tones == (1200.0, 1800.0)
    assert make_params({**opts, "deviation": 10_000}).deviation == 10_000
    with pytest.raises(ConfigError, match="deviation or fm_deviation"):
        make_params({**opts, "deviation": 3000})
    with pytest.raises(ConfigError, match="AFSK"):
        make_params({"modulation": "fsk", "fm_deviation": 3000})
    frames = [rng.integers(0, 256, 40, dtype=np.uint8).tobytes() for _ in range(2)]
    got = receive(opts, iq_bursts(opts, frames, 12.0, 2000, rng), FS)
    assert [f.payload for f in got] == frames


# --- sub-audio FSK ----------------------------------------------------------------------------

SUB = _tx("LilacSat-2", "subaudio")


def _voice(n: int, fs: float, rng, peak: float) -> np.ndarray:
    """A voice-like frequency signal: tones of 350..2800 Hz, ``peak`` Hz at most."""
    t = np.arange(n) / fs
    f = sum(
        rng.uniform(0.3, 1) * np.sin(2 * np.pi * rng.uniform(350, 2800) * t + rng.uniform(0, 6))
        for _ in range(12)
    )
    return peak * f / np.max(np.abs(f))


def _sub_stream(payloads, fs, rng, voice=0.7):
    """The instantaneous frequency (Hz) of the frames under voice at ``voice`` * deviation."""
    p = make_params(SUB)
    parts = [np.zeros(int(0.08 * fs))]
    for pl in payloads:
        parts += [frequency(p, frame_symbols(p, pl), fs), np.zeros(int(0.08 * fs))]
    f = np.concatenate(parts)
    return f + _voice(len(f), fs, rng, voice * p.deviation)


def test_subaudio_params():
    p = make_params(SUB)
    assert p.modulation == "fsk_subaudio" and p.deviation == 5000 and p.baud == 300
    assert p.occupied_bw == 2 * (5000 + 3000)
    assert make_params({**SUB, "modulation": "FSK subaudio"}).modulation == "fsk_subaudio"


# measured over 5x2 frames under voice at 70 % of the deviation: 90 % at about 3.5 dB
# (SNR in the FM channel, 2 * (5000 + 3000) Hz)
@pytest.mark.parametrize("snr", [4.5, 6.5])
def test_subaudio_iq_round_trip_under_voice(snr, rng):
    p = make_params(SUB)
    payloads = [rng.integers(0, 256, 114, dtype=np.uint8).tobytes() for _ in range(2)]
    f = _sub_stream(payloads, FS, rng)
    x = np.exp(2j * np.pi * np.cumsum(f) / FS).astype(np.complex64)
    y = channel(x, FS, snr_db=snr, signal_bw=p.occupied_bw, cfo_hz=-900, rng=rng, signal_power=1)
    got = receive(SUB, y, FS, block=40_000)
    assert [g.payload for g in got] == payloads
    assert all(abs(g.freq_offset_hz + 900) < 30 and abs(g.snr_db - snr) < 1 for g in got)


@pytest.mark.parametrize("is_complex", [False, True])
def test_subaudio_filter_keeps_the_voice_out(is_complex):
    from sdrlink.protocols.fsk.demodulator import FrontEnd

    p = make_params(SUB)
    fs = FS if is_complex else 48_000.0

    def level(tone: float) -> float:
        t = np.arange(int(2 * fs)) / fs
        f = 0.5 * p.deviation * np.sin(2 * np.pi * tone * t)
        x = np.exp(2j * np.pi * np.cumsum(f) / fs).astype(np.complex64) if is_complex else f
        y = FrontEnd(p, fs, is_complex).process(x.astype(x.dtype))
        return float(np.std(y[len(y) // 2 :]))

    data_band, voice = level(60.0), level(350.0)
    assert 20 * np.log10(data_band / voice) > 40  # the voice's lowest notes: 40 dB down


def test_subaudio_audio_polarity_blocks_and_noise(rng):
    p = make_params(SUB)
    payloads = [rng.integers(0, 256, 114, dtype=np.uint8).tobytes() for _ in range(2)]
    audio = _sub_stream(payloads, 48_000.0, rng) / p.deviation
    audio = (0.5 * audio + 0.05 * rng.standard_normal(len(audio))).astype(np.float32)
    for sign in (1, -1):
        runs = [
            [(g.sample_index, g.payload) for g in receive(SUB, sign * audio, 48e3, bs)]
            for bs in (4001, 65536)
        ]
        assert [pl for _, pl in runs[0]] == payloads and runs[0] == runs[1]
        assert all(np.isnan(g.freq_offset_hz) for g in receive(SUB, sign * audio, 48e3))
    assert receive(SUB, noise_iq(rng, 1_000_000), FS) == []
    assert len(modulate_audio(p, payloads[0], 48_000.0)) > 0
