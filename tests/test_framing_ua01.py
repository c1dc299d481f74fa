"""UA01 framing: HDLC, G3RUH, NRZI twice; own encoder through the FSK modem (and the
BPSK modem the satellite uses, once that protocol is registered)."""

from __future__ import annotations

import numpy as np
import pytest
from framing_util import FS, decode_iq, good_payloads, iq_bursts, run, soft_garbage

from sdrlink.blocks import StreamInfo
from sdrlink.channel import channel
from sdrlink.coding.linecode import nrzi_decode
from sdrlink.coding.scramblers import g3ruh_descramble
from sdrlink.errors import ConfigError
from sdrlink.framing import ax25, get_framing, ua01
from sdrlink.protocols import get_protocol

OPTIONS = {"modulation": "fsk", "baud": 9600, "framing": "UA01"}


def _frame(rng, n: int) -> bytes:
    return ax25.ui_frame("CQ", "UA01", rng.integers(0, 256, n, dtype=np.uint8).tobytes())


def _deframe(bits: np.ndarray, block: int | None = None) -> list:
    soft = (bits.astype(np.float32) * 2 - 1) * 2
    d = get_framing("ua01").make_deframer({}, None)
    if block is None:
        return d.scan(soft, 0, True)
    out = []
    for s in range(0, len(soft), block):  # the deframer keeps the whole window here
        out += d.scan(soft[: s + block], 0, s + block >= len(soft))
    return out


def test_line_code_order_and_polarity(rng):
    payload = _frame(rng, 50)
    bits = ua01.encode(payload, {}, 64).bits
    hdlc = g3ruh_descramble(nrzi_decode(nrzi_decode(bits)))
    flags = ax25.find_flags(hdlc)
    assert flags[:8].tolist() == list(range(0, 64, 8))  # the flag preamble
    for b in (bits, 1 - bits):
        got = _deframe(b)
        assert [r.payload for r in got] == [payload]
        assert got[0].fields["src"] == "UA01"
    assert [r.payload for r in _deframe(bits, block=333)] == [payload]
    # standard AX.25 G3RUH does not read it
    assert get_framing("ax25_g3ruh").make_deframer({}, None).scan(bits * 2.0 - 1, 0, True) == []


def test_payload_limit():
    """The encoder refuses what the deframer would never give back (the FCS counts
    in the HDLC frame's 400 bytes)."""
    for n in (0, 399):
        with pytest.raises(ValueError, match="1..398"):
            ua01.encode(bytes(n), {}, 8)


def test_synthetic_round_trip_fsk(rng):
    payloads = [_frame(rng, n) for n in (5, 100, 250)]
    for snr in (9.5, 20.0):  # measured over 4x3 frames: all at 9 dB, 10 at 8 dB
        frames = decode_iq(OPTIONS, iq_bursts(OPTIONS, payloads, snr, -1800.0, rng))
        assert good_payloads(frames) == payloads, snr


def test_synthetic_round_trip_bpsk(rng):
    try:
        proto = get_protocol("bpsk")
    except ConfigError:
        pytest.skip("BPSK protocol not registered yet (branch bpsk)")
    options = {"modulation": "bpsk", "baud": 9600, "framing": "UA01"}
    payload = _frame(rng, 80)
    x = proto.modulate(proto.make_params(options), payload, FS)
    x = np.concatenate([np.zeros(20_000, np.complex64), x, np.zeros(20_000, np.complex64)])
    y = channel(x, FS, snr_db=10.0, signal_bw=9600.0, cfo_hz=700.0, rng=rng, signal_power=1.0)
    frames = run(proto.make_receiver(options, StreamInfo(FS, is_complex=True)), y)
    assert good_payloads(frames) == [payload]


def test_noise_and_garbage_give_no_frame(rng):
    assert soft_garbage("ua01", rng) == []
    noise = (rng.standard_normal(300_000) + 1j * rng.standard_normal(300_000)).astype(np.complex64)
    assert good_payloads(decode_iq(OPTIONS, noise)) == []


def test_block_size_independent(rng):
    payloads = [_frame(rng, 40), _frame(rng, 160)]
    y = iq_bursts(OPTIONS, payloads, 14.0, 300.0, rng)
    runs = [
        [(f.sample_index, f.payload) for f in decode_iq(OPTIONS, y, bs)]
        for bs in (1019, 65536, 10_000_000)
    ]
    assert [p for _, p in runs[0]] == payloads
    assert runs[0] == runs[1] == runs[2]
