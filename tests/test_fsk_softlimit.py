"""Click limiting of the FSK receiver's soft symbols (sdrlink.protocols.fsk.softlimit)."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import add_noise
from sdrlink.protocols.fsk import FskReceiver, make_params, softlimit
from sdrlink.protocols.fsk.fmaudio import fm_receive
from sdrlink.protocols.fsk.modulator import encode_frame, frequency
from sdrlink.protocols.fsk.softlimit import SoftLimiter


def _feed(lim: SoftLimiter, s: np.ndarray, side: np.ndarray, cuts: list[int]):
    outs = []
    edges = [0, *cuts, len(s)]
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        outs.append(lim.process(s[a:b], i == len(edges) - 2, side[a:b]))
    return [np.concatenate([o[k] for o in outs]) for k in range(3)]


def test_clips_to_the_centred_mean_magnitude_whatever_the_blocks(rng):
    s = (rng.standard_normal(500) * np.where(rng.random(500) < 0.05, 8.0, 1.0)).astype(np.float32)
    side = np.arange(500, dtype=np.float64)
    half, k = 5, 1.0
    ref = np.empty(500, np.float32)
    for i in range(500):
        w = np.abs(s[max(0, i - half) : i + half + 1].astype(np.float64))
        ref[i] = np.clip(s[i], -k * w.mean(), k * w.mean())
    for cuts in ([], [1, 2, 3, 250], [7, 13, 400, 401], list(range(3, 500, 3))):
        out, raw, pos = _feed(SoftLimiter(half, k), s, side, cuts)
        np.testing.assert_allclose(out, ref, rtol=1e-6)
        assert np.array_equal(raw, s) and np.array_equal(pos, side)  # delayed alike
    assert np.array_equal(np.sign(ref), np.sign(s))  # hard decisions unchanged
    assert np.abs(ref).max() < 0.5 * np.abs(s).max()  # the clicks are cut


def test_holds_back_half_a_window_until_the_end(rng):
    lim = SoftLimiter(32, 1.0)
    s = rng.standard_normal(100).astype(np.float32)
    out, _raw = lim.process(s, False)
    assert len(out) == 100 - 32
    out, _raw = lim.process(s[:10], False)
    assert len(out) == 10
    out, _raw = lim.process(np.zeros(0, np.float32), True)
    assert len(out) == 32
    with pytest.raises(ValueError):
        SoftLimiter(-1, 1.0)


def _audio_frames(snr: float, seed: int) -> tuple[np.ndarray, list[bytes]]:
    """Three CCSDS concatenated frames at 20 kBd, each after 20 ms without a carrier and
    with only 16 symbols of preamble (as KS-1Q's 4th burst), as 48 kHz FM audio."""
    p = make_params({"modulation": "fsk", "baud": 20000, "framing": "ccsds_concatenated"})
    rng = np.random.default_rng(seed)
    fs = 192_000.0
    parts, payloads = [np.zeros(int(0.02 * fs), np.complex64)], []
    for _ in range(3):
        payloads.append(rng.integers(0, 256, 223, dtype=np.uint8).tobytes())
        enc = encode_frame(p, payloads[-1])
        f = frequency(p, enc.bits[enc.start - 16 :], fs)
        phase = 2 * np.pi * np.cumsum(f) / fs + 2 * np.pi * rng.random()
        parts += [np.exp(1j * phase).astype(np.complex64), np.zeros(int(0.02 * fs), np.complex64)]
    x = add_noise(np.concatenate(parts), snr, p.occupied_bw, fs, rng, signal_power=1.0)
    return fm_receive(x, fs, 48_000.0, p.deviation, 2 * (p.deviation + p.baud)), payloads


def _decoded(audio: np.ndarray, payloads: list[bytes]) -> int:
    p = make_params({"modulation": "fsk", "baud": 20000, "framing": "ccsds_concatenated"})
    rx = FskReceiver(p, StreamInfo(48_000.0, is_complex=False))
    got = []
    for s in range(0, len(audio), 65536):
        got += rx.process(SampleBlock(audio[s : s + 65536], s))
    ok = {f.payload for f in got + rx.flush() if f.crc_ok}
    return sum(pl in ok for pl in payloads)


def test_limiting_gains_near_the_fm_threshold(monkeypatch):
    # measured over 6 streams (18 frames): limited 1, 10, 16, 18 at 3.5, 4, 4.5, 5 dB,
    # unlimited 0, 0, 8, 17 -- about 0.5 dB; here the first 3 streams: 6 against 0
    streams = [_audio_frames(4.0, seed) for seed in range(3)]
    limited = sum(_decoded(a, pl) for a, pl in streams)
    monkeypatch.setattr(softlimit, "LIMIT_K", float("inf"))
    plain = sum(_decoded(a, pl) for a, pl in streams)
    assert limited >= 4 and plain <= 1
